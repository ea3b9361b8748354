//! PKCS#12 client certificates (issue 16, item 6): `.pfx` files made at test time with
//! `openssl pkcs12 -export` the ways users make them, presented by every backend to
//! `openssl s_server -Verify 2 -verify_return_error -CAfile <root>` on 127.0.0.1.
//!
//! The client certificate is issued by an intermediate CA, and the server trusts only the root:
//! it accepts a client only when the client sends the intermediate too, so a file with the chain
//! is served and the same certificate without the chain is refused. That the server verified the
//! certificate shows in both: it serves no client without one (see `tests/tls.rs`).

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use common::*;
use tcplink::tls::TlsParams;
use tcplink::{Backend, Connection, ErrorKind, ReadEnd, ReadLimits, TlsSettings};

const PASSWORD: &str = "Pfx-Pa55-never-shown";
/// A password as 1C users may write it: PKCS#12 encodes it as UTF-16 (PBES1, MAC) or UTF-8 (PBES2).
const CYRILLIC: &str = "Пароль-1С";

/// The PKCS#12 files, made once per test binary.
struct Files {
    _dir: tempfile::TempDir,
    /// The root CA the server trusts for clients.
    root: PathBuf,
    /// OpenSSL 3's default (AES-256-CBC, PBKDF2, SHA-256 MAC) with the intermediate.
    aes: PathBuf,
    /// The same without the intermediate.
    aes_no_chain: PathBuf,
    /// `-legacy`: RC2-40 for the certificates, 3DES for the key, SHA-1 MAC (older Windows).
    legacy: PathBuf,
    /// 3DES with SHA-1 for both (Windows' "TripleDES-SHA1" export).
    triple_des: PathBuf,
    /// The default form with the empty password.
    no_password: PathBuf,
    /// The default form and the Windows 3DES form with a Cyrillic password.
    cyrillic: [PathBuf; 2],
    /// A PEM certificate, not PKCS#12.
    pem: PathBuf,
}

fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let root = req_x509(d, "root", &["rsa:2048"], "/CN=tcplink pfx root", &[]);
        let ca_ext = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n";
        let inter = signed(d, "inter", "/CN=tcplink pfx intermediate", &root, ca_ext);
        let leaf_ext = "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
        let client = signed(d, "client", "/CN=tcplink pfx client", &inter, leaf_ext);
        let chain = Some(inter.cert.as_path());
        let export = |name, chain, password, how: &[&str]| {
            pkcs12_export(d, name, &client, chain, password, how)
        };
        let windows_3des = [
            "-certpbe",
            "PBE-SHA1-3DES",
            "-keypbe",
            "PBE-SHA1-3DES",
            "-macalg",
            "sha1",
        ];
        Files {
            root: root.cert,
            aes: export("aes", chain, PASSWORD, &[]),
            aes_no_chain: export("aes-no-chain", None, PASSWORD, &[]),
            legacy: export("legacy", chain, PASSWORD, &["-legacy"]),
            triple_des: export("3des", chain, PASSWORD, &windows_3des),
            no_password: export("no-password", chain, "", &[]),
            cyrillic: [
                export("cyrillic-aes", chain, CYRILLIC, &[]),
                export("cyrillic-3des", chain, CYRILLIC, &windows_3des),
            ],
            pem: client.cert,
            _dir: dir,
        }
    })
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The server: requires a client certificate and refuses one it cannot verify up to the root
/// (without `-verify_return_error`, s_server only logs a failed verification).
fn server() -> Peer {
    let root = path(&files().root);
    s_server(
        &pki().server.cert,
        &pki().server.key,
        &["-Verify", "2", "-verify_return_error", "-CAfile", &root],
    )
}

/// Settings for `backend` presenting `pfx` with `password`.
fn with_pfx(backend: Backend, pfx: &Path, password: Option<&str>) -> TlsSettings {
    TlsSettings {
        client_pfx_path: Some(path(pfx)),
        client_pfx_password: password.map(|p| tcplink::Secret(p.into())),
        ..tls_with_ca(backend)
    }
}

/// Whether the server answers a line over a connection with `settings`: it refuses a client
/// certificate it cannot verify in the handshake (TLS 1.2) or at the first read (TLS 1.3, where
/// the client finishes first). Settings the client cannot use are returned as the error.
fn served(peer: &Peer, settings: TlsSettings) -> tcplink::Result<bool> {
    let mut conn = match Connection::open(&endpoint(&peer.addr(), Some(settings), None), &quick()) {
        Ok(conn) => conn,
        Err(e) if e.kind() == ErrorKind::Tls => return Ok(false),
        Err(e) => return Err(e),
    };
    if conn.send(b"pfx\n", Some(Duration::from_secs(2))).is_err() {
        return Ok(false);
    }
    let limits = ReadLimits {
        max_size: 0,
        marker: b"\n",
        idle_timeout: Some(Duration::from_secs(5)),
        timeout: None,
    };
    Ok(match conn.read(&limits) {
        Ok(out) => out.end == ReadEnd::Marker && out.data == b"xfp\n",
        Err(_) => false,
    })
}

#[test]
fn each_backend_presents_the_pfx_with_its_chain() {
    let peer = server();
    let f = files();
    for b in Backend::compiled() {
        for (name, pfx, password) in [
            ("OpenSSL 3 default (AES-256)", &f.aes, Some(PASSWORD)),
            ("Windows TripleDES-SHA1", &f.triple_des, Some(PASSWORD)),
            ("empty password, none given", &f.no_password, None),
            ("empty password, given", &f.no_password, Some("")),
            ("Cyrillic password, AES-256", &f.cyrillic[0], Some(CYRILLIC)),
            (
                "Cyrillic password, TripleDES-SHA1",
                &f.cyrillic[1],
                Some(CYRILLIC),
            ),
        ] {
            let settings = with_pfx(b, pfx, password);
            assert_eq!(served(&peer, settings), Ok(true), "{b}, {name}");
        }
        // The same certificate without the intermediate is refused by the server: the chain
        // inside the file is what let it verify the client above.
        let settings = with_pfx(b, &f.aes_no_chain, Some(PASSWORD));
        assert_eq!(served(&peer, settings), Ok(false), "{b}, no chain");
    }
}

#[test]
fn legacy_rc2_files_work_on_rustls_and_are_refused_in_plain_words_elsewhere() {
    let peer = server();
    for b in Backend::compiled() {
        let result = served(&peer, with_pfx(b, &files().legacy, Some(PASSWORD)));
        match b {
            // p12-keystore decrypts RC2 and 3DES itself.
            Backend::Rustls => assert_eq!(result, Ok(true), "{b}"),
            // OpenSSL 3 keeps RC2 in its legacy provider, which tcplink does not load (and the
            // vendored build does not have); native-tls uses the same OpenSSL on Linux.
            Backend::Openssl | Backend::NativeTls => {
                let err = result.unwrap_err();
                println!("{b}: {err}");
                assert_eq!(err.kind(), ErrorKind::Argument, "{b}: {err}");
                let message = err.message();
                assert!(message.starts_with("client_pfx_path: "), "{b}: {err}");
                assert!(message.contains("legacy cipher"), "{b}: {err}");
                assert!(message.contains("rustls backend"), "{b}: {err}");
                assert!(message.contains(&path(&files().legacy)), "{b}: {err}");
            }
        }
    }
}

#[test]
fn a_wrong_password_is_named_without_being_shown() {
    let peer = server();
    let f = files();
    for b in Backend::compiled() {
        for (pfx, password) in [
            (&f.aes, "wrong-Pa55"),
            (&f.triple_des, "wrong-Pa55"),
            (&f.aes, ""),
            (&f.no_password, PASSWORD),
        ] {
            let err = served(&peer, with_pfx(b, pfx, Some(password))).unwrap_err();
            println!("{b}: {err}");
            assert_eq!(err.kind(), ErrorKind::Argument, "{b}: {err}");
            let message = err.message();
            assert!(message.starts_with("client_pfx_password: "), "{b}: {err}");
            assert!(message.contains("password is wrong"), "{b}: {err}");
            assert!(message.contains(&path(pfx)), "{b}: {err}");
            assert!(!message.contains(PASSWORD), "{b}: {err}");
            if !password.is_empty() {
                assert!(!message.contains(password), "{b}: {err}");
            }
            assert!(!err.to_json().contains(PASSWORD), "{b}: {err}");
        }
    }
}

#[test]
fn a_missing_or_foreign_file_names_client_pfx_path() {
    let peer = server();
    let f = files();
    for b in Backend::compiled() {
        for pfx in [Path::new("/nonexistent/client.pfx"), &f.pem, &f.root] {
            let err = served(&peer, with_pfx(b, pfx, Some(PASSWORD))).unwrap_err();
            println!("{b}: {err}");
            assert_eq!(err.kind(), ErrorKind::Argument, "{b}: {err}");
            assert!(err.message().starts_with("client_pfx_path: "), "{b}: {err}");
            assert!(err.message().contains(&path(pfx)), "{b}: {err}");
            assert!(!err.message().contains(PASSWORD), "{b}: {err}");
        }
    }
}

#[test]
fn pfx_and_pem_settings_exclude_each_other() {
    let target = tcplink::HostPort::parse("127.0.0.1:1", "Address").unwrap();
    let both = TlsSettings {
        client_cert_path: Some(path(&pki().client.cert)),
        client_key_path: Some(path(&pki().client.key)),
        ..with_pfx(Backend::compiled()[0], &files().aes, Some(PASSWORD))
    };
    let err = TlsParams::new(&both, &target).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
    for name in ["client_pfx_path", "client_cert_path", "client_key_path"] {
        assert!(err.message().contains(name), "{err}");
    }
    let password_alone = TlsSettings {
        client_pfx_path: None,
        ..with_pfx(Backend::compiled()[0], &files().aes, Some(PASSWORD))
    };
    let err = TlsParams::new(&password_alone, &target).unwrap_err();
    assert!(err.message().starts_with("client_pfx_password: "), "{err}");
    assert!(!err.message().contains(PASSWORD), "{err}");
}

#[test]
fn the_password_never_shows_in_debug_output_or_json_errors() {
    let target = tcplink::HostPort::parse("127.0.0.1:1", "Address").unwrap();
    let settings = with_pfx(Backend::compiled()[0], &files().aes, Some(PASSWORD));
    let params = TlsParams::new(&settings, &target).unwrap();
    for debug in [format!("{settings:?}"), format!("{params:?}")] {
        assert!(!debug.contains(PASSWORD), "{debug}");
        assert!(debug.contains("***"), "{debug}");
    }
    // Settings JSON round-trips the password (it is the caller's own), but a malformed one is
    // refused without quoting it, whatever its type.
    let json = settings.to_json();
    assert_eq!(TlsSettings::from_json(&json).unwrap(), Some(settings));
    for bad in [
        "12345678".to_string(),
        "123.5".to_string(),
        "true".to_string(),
        format!("[\"{PASSWORD}\"]"),
        format!("{{\"p\": \"{PASSWORD}\"}}"),
        format!("\"{PASSWORD}\", \"unknown\": 1"),
        format!("\"{PASSWORD}"),
    ] {
        let json = format!(r#"{{"client_pfx_path": "c.pfx", "client_pfx_password": {bad}}}"#);
        let err = TlsSettings::from_json(&json).unwrap_err();
        println!("{err}");
        assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
        assert!(!err.message().contains(PASSWORD), "{err}");
        assert!(!err.message().contains("12345678"), "{err}");
        assert!(!err.message().contains("123.5"), "{err}");
    }
}
