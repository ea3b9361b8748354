//! Server-side TLS on every backend (issue 17, item 1): `tcplink::tls::accept` over sockets a
//! tiny accept loop in this test takes from a std `TcpListener` on 127.0.0.1, against real
//! clients: `openssl s_client` (TLS 1.2 and 1.3, ALPN, with and without a client certificate),
//! `socat OPENSSL:` and the library's own TLS `Connection` on every backend. Certificates are
//! made at test time: the shared rcgen PKI, `openssl req -x509`, and a `.pfx` made by
//! `openssl pkcs12 -export`.
//!
//! Each accepted connection is answered the same way: the server reads one line (checking that
//! the transport reports the rest of a record it holds), writes `echo:<line>` and ends the
//! session politely (close_notify), so every client sees its line come back only when the whole
//! handshake and the transport work.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use tcplink::tls::{accept, prepare_accept, ServerTlsParams};
use tcplink::{
    Backend, Connection, Deadline, ErrorKind, ReadEnd, ServerTlsSettings, TimedSocket, TlsInfo,
    TlsSettings, Transport,
};

const PASSWORD: &str = "Server-Pfx-Pa55-never-shown";

/// native-tls serves TLS 1.2 only here: on Linux it is OpenSSL with Mozilla's intermediate v4
/// profile, which turns TLS 1.3 off.
const NATIVE_TLS_12_ONLY: bool = cfg!(not(any(windows, target_vendor = "apple")));

/// What one accepted connection came to: the handshake's report, or its error.
type Outcome = tcplink::Result<TlsInfo>;

/// A TLS server in this test: each connection is accepted with `params` on its own thread, the
/// handshake bounded by `handshake_ms`; the outcomes arrive on `outcomes`.
struct TestServer {
    port: u16,
    outcomes: Receiver<Outcome>,
}

impl TestServer {
    fn start(params: ServerTlsParams, handshake_ms: u64) -> TestServer {
        prepare_accept(&params).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, outcomes) = mpsc::channel();
        let params = Arc::new(params);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (tx, params) = (tx.clone(), params.clone());
                thread::spawn(move || {
                    let peer = stream.peer_addr().unwrap().to_string();
                    let mut socket = TimedSocket::new(stream);
                    socket.set_deadline(Deadline::after_ms(handshake_ms));
                    match accept(socket, &params, &peer) {
                        Ok(mut transport) => {
                            let info = transport.tls_info().expect("a TLS report");
                            let _ = tx.send(echo_one_line(&mut *transport).map(|()| info));
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                        }
                    }
                });
            }
        });
        TestServer { port, outcomes }
    }

    /// A server with `settings`, handshakes bounded by 10 s.
    fn with(settings: &ServerTlsSettings) -> TestServer {
        TestServer::start(ServerTlsParams::new(settings).unwrap(), 10_000)
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// What the next connection came to.
    fn outcome(&self) -> Outcome {
        self.outcomes
            .recv_timeout(Duration::from_secs(20))
            .expect("the server reports each connection")
    }
}

/// Reads one line and answers `echo:<line>`, then sends close_notify and closes. The line comes
/// in one TLS record: after its first byte is read, the transport must say that it holds the
/// rest (`has_buffered_input`), or this fails.
fn echo_one_line(transport: &mut dyn Transport) -> tcplink::Result<()> {
    transport.set_read_deadline(Deadline::after_ms(10_000));
    transport.set_write_deadline(Deadline::after_ms(10_000));
    let failed = |e: std::io::Error| tcplink::Error::from_io(&e, "serving a line");
    let mut line = vec![0];
    transport.read_exact(&mut line).map_err(failed)?;
    if !transport.has_buffered_input() {
        return Err(tcplink::Error::new(
            ErrorKind::Io,
            "has_buffered_input said nothing was held after one byte of a record was read",
        ));
    }
    BufReader::new(&mut *transport)
        .read_until(b'\n', &mut line)
        .map_err(failed)?;
    let mut answer = b"echo:".to_vec();
    answer.extend_from_slice(&line);
    transport.write_all(&answer).map_err(failed)?;
    transport.flush().map_err(failed)?;
    transport.shutdown().map_err(failed)
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Server settings for `backend` with the shared PKI's server certificate (`localhost`,
/// `127.0.0.1`, issued by the test CA).
fn server_settings(backend: Backend) -> ServerTlsSettings {
    ServerTlsSettings {
        use_tls: true,
        cert_path: Some(path(&pki().server.cert)),
        key_path: Some(path(&pki().server.key)),
        backend: Some(backend.name().into()),
        ..Default::default()
    }
}

/// The same, verifying client certificates against the test CA; `required` or optional.
fn verifying(backend: Backend, required: bool) -> ServerTlsSettings {
    ServerTlsSettings {
        client_ca_path: Some(path(&pki().ca)),
        client_cert: Some(if required { "required" } else { "optional" }.into()),
        ..server_settings(backend)
    }
}

/// The backends that verify client certificates as a server (native-tls cannot).
fn verifying_backends() -> Vec<Backend> {
    Backend::compiled()
        .into_iter()
        .filter(|b| *b != Backend::NativeTls)
        .collect()
}

/// Runs a client program with `input` on its standard input; its standard output and error.
fn run_client(program: &str, args: &[String], input: &str) -> (String, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program} ({e}); ci/setup installs it"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `openssl s_client` to `server`, verifying its certificate against `ca`, with `extra`
/// arguments, sending `ping`; what it printed.
fn s_client(server: &TestServer, ca: &Path, extra: &[&str]) -> String {
    let mut args: Vec<String> = ["s_client", "-quiet", "-verify_return_error", "-connect"]
        .map(String::from)
        .to_vec();
    args.push(server.addr());
    args.extend(["-CAfile".into(), path(ca)]);
    args.extend(extra.iter().map(|s| s.to_string()));
    run_client("openssl", &args, "ping\n").0
}

/// The library's TLS client with `settings` to `server`: the answer to `ping`, or the error.
fn library_client(server: &TestServer, settings: TlsSettings) -> tcplink::Result<Vec<u8>> {
    let mut conn = Connection::open(&endpoint(&server.addr(), Some(settings), None), &quick())?;
    conn.send(b"ping\n", Some(Duration::from_secs(5)))?;
    let answer = conn.read(&limits(0, b"\n", 5_000))?;
    assert_eq!(answer.end, ReadEnd::Marker);
    Ok(answer.data)
}

#[test]
fn s_client_reaches_every_backend_over_tls_1_2_and_1_3_with_alpn() {
    for backend in Backend::compiled() {
        let server = TestServer::with(&ServerTlsSettings {
            alpn: vec!["tcplink".into(), "http/1.1".into()],
            ..server_settings(backend)
        });
        for (flag, version) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
            let out = s_client(&server, &pki().ca, &[flag, "-alpn", "x-other,http/1.1"]);
            if backend == Backend::NativeTls && flag == "-tls1_3" && NATIVE_TLS_12_ONLY {
                assert_eq!(out, "");
                let err = server.outcome().unwrap_err();
                assert!(err.message().contains("unsupported protocol"), "{err}");
                continue;
            }
            assert_eq!(out, "echo:ping\n", "{backend} {flag}");
            let info = server.outcome().unwrap();
            assert_eq!(info.backend, backend.name());
            assert_eq!(info.alpn.as_deref(), Some("http/1.1"), "{backend} {flag}");
            // native-tls does not report the version or the cipher.
            if backend != Backend::NativeTls {
                assert_eq!(info.version.as_deref(), Some(version), "{backend}");
                assert!(info.cipher.is_some(), "{backend}");
            }
            // No client certificate was asked for.
            assert_eq!(info.peer_subject, None, "{backend}");
        }
    }
}

#[test]
fn the_minimum_version_refuses_older_clients() {
    for backend in Backend::compiled() {
        let settings = ServerTlsSettings {
            min_version: Some("1.3".into()),
            ..server_settings(backend)
        };
        if backend == Backend::NativeTls && NATIVE_TLS_12_ONLY {
            assert_eq!(prepare_field(&settings), "min_version");
            continue;
        }
        let server = TestServer::with(&settings);
        assert_eq!(s_client(&server, &pki().ca, &["-tls1_2"]), "", "{backend}");
        let err = server.outcome().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{backend}: {err}");
        assert!(
            err.message().contains("TLS handshake with 127.0.0.1:"),
            "{err}"
        );
        assert_eq!(s_client(&server, &pki().ca, &["-tls1_3"]), "echo:ping\n");
        assert!(server.outcome().is_ok());
    }
}

#[test]
fn socat_reaches_every_backend() {
    for backend in Backend::compiled() {
        let server = TestServer::with(&server_settings(backend));
        let target = format!(
            "OPENSSL:{},cafile={},verify=1",
            server.addr(),
            path(&pki().ca)
        );
        let args = ["-t", "5", "-", &target].map(String::from);
        let (out, err) = run_client("socat", &args, "ping\n");
        assert_eq!(out, "echo:ping\n", "{backend}: {err}");
        assert!(server.outcome().is_ok(), "{backend}");
    }
}

#[test]
fn library_clients_and_servers_pair_up_on_every_backend() {
    for server_backend in Backend::compiled() {
        let server = TestServer::with(&ServerTlsSettings {
            alpn: vec!["tcplink".into()],
            ..server_settings(server_backend)
        });
        for client_backend in Backend::compiled() {
            let settings = TlsSettings {
                alpn: vec!["tcplink".into()],
                ..tls_with_ca(client_backend)
            };
            let answer = library_client(&server, settings);
            let pair = format!("{client_backend} client, {server_backend} server");
            assert_eq!(answer.as_deref(), Ok(&b"echo:ping\n"[..]), "{pair}");
            let info = server.outcome().unwrap();
            assert_eq!(info.alpn.as_deref(), Some("tcplink"), "{pair}");
        }
    }
}

#[test]
fn mutual_tls_required_takes_a_verified_client_and_refuses_the_rest() {
    let (cert, key) = (path(&pki().client.cert), path(&pki().client.key));
    let (other_cert, other_key) = (path(&pki().self_signed.cert), path(&pki().self_signed.key));
    for backend in verifying_backends() {
        let server = TestServer::with(&verifying(backend, true));
        for flag in ["-tls1_2", "-tls1_3"] {
            let args = [flag, "-cert", &cert, "-key", &key];
            assert_eq!(
                s_client(&server, &pki().ca, &args),
                "echo:ping\n",
                "{backend}"
            );
            let info = server.outcome().unwrap();
            let subject = info.peer_subject.unwrap_or_default();
            assert!(
                subject.contains("tcplink test client"),
                "{backend}: {subject}"
            );
            assert!(info.peer_key_sha256.is_some(), "{backend}");

            assert_eq!(s_client(&server, &pki().ca, &[flag]), "", "{backend}");
            let err = server.outcome().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Tls, "{backend}: {err}");
            assert!(
                err.message()
                    .contains("client certificate rejected: the client presented no certificate"),
                "{backend} {flag}: {err}"
            );

            let args = [flag, "-cert", &other_cert, "-key", &other_key];
            assert_eq!(s_client(&server, &pki().ca, &args), "", "{backend}");
            let err = server.outcome().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Tls, "{backend}: {err}");
            assert!(
                err.message().contains(
                    "client certificate rejected: the client's certificate is not trusted \
                     (unknown issuer): no CA certificate in client_ca_path issued it"
                ),
                "{backend} {flag}: {err}"
            );
        }
    }
}

#[test]
fn an_expired_client_certificate_is_refused_in_plain_words() {
    let (cert, key) = (path(&pki().expired.cert), path(&pki().expired.key));
    for backend in verifying_backends() {
        let server = TestServer::with(&verifying(backend, true));
        let args = ["-tls1_2", "-cert", &cert, "-key", &key];
        assert_eq!(s_client(&server, &pki().ca, &args), "", "{backend}");
        let err = server.outcome().unwrap_err();
        let words = "client certificate rejected: the client's certificate has expired";
        assert!(err.message().contains(words), "{backend}: {err}");
        // OpenSSL keeps no client certificate after a failed verification to read the date from.
        if backend == Backend::Rustls {
            let date = "has expired (not after 2020-12-31 00:00:00 UTC)";
            assert!(err.message().contains(date), "{err}");
        }
    }
}

#[test]
fn mutual_tls_optional_takes_clients_without_a_certificate() {
    for backend in verifying_backends() {
        let server = TestServer::with(&verifying(backend, false));
        assert_eq!(
            s_client(&server, &pki().ca, &[]),
            "echo:ping\n",
            "{backend}"
        );
        assert_eq!(server.outcome().unwrap().peer_subject, None, "{backend}");
        let stranger = [
            "-cert",
            &path(&pki().self_signed.cert),
            "-key",
            &path(&pki().self_signed.key),
        ];
        assert_eq!(s_client(&server, &pki().ca, &stranger), "", "{backend}");
        let err = server.outcome().unwrap_err();
        assert!(err.message().contains("unknown issuer"), "{backend}: {err}");
    }
}

#[test]
fn library_clients_present_their_certificates_to_every_verifying_backend() {
    for server_backend in verifying_backends() {
        let server = TestServer::with(&verifying(server_backend, true));
        for client_backend in Backend::compiled() {
            let pair = format!("{client_backend} client, {server_backend} server");
            let with_cert = TlsSettings {
                client_cert_path: Some(path(&pki().client.cert)),
                client_key_path: Some(path(&pki().client.key)),
                ..tls_with_ca(client_backend)
            };
            let answer = library_client(&server, with_cert);
            assert_eq!(answer.as_deref(), Ok(&b"echo:ping\n"[..]), "{pair}");
            let subject = server.outcome().unwrap().peer_subject.unwrap_or_default();
            assert!(subject.contains("tcplink test client"), "{pair}: {subject}");

            // Refused: by the handshake (TLS 1.2) or at the first read (TLS 1.3).
            assert!(
                library_client(&server, tls_with_ca(client_backend)).is_err(),
                "{pair}"
            );
            let err = server.outcome().unwrap_err();
            assert!(
                err.message().contains("presented no certificate"),
                "{pair}: {err}"
            );
        }
    }
}

/// Certificates made with the `openssl` command line, once per test binary.
struct Files {
    _dir: tempfile::TempDir,
    /// `openssl req -x509 -newkey rsa:2048` for `localhost` and `127.0.0.1` (CA:TRUE, as
    /// tutorials make it).
    req_x509: CertFiles,
    /// An X.509 v1 certificate (`openssl x509 -req -signkey`, no extensions).
    v1: CertFiles,
    /// `openssl pkcs12 -export` of the shared server certificate and key, with the CA, under
    /// [`PASSWORD`].
    pfx: PathBuf,
}

fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let san = "subjectAltName=DNS:localhost,IP:127.0.0.1";
        let req_x509 = req_x509(d, "req", &["rsa:2048"], "/CN=localhost", &["-addext", san]);
        let pfx = pkcs12_export(d, "server", &pki().server, Some(&pki().ca), PASSWORD, &[]);
        let v1 = v1_self_signed(d);
        Files {
            _dir: dir,
            req_x509,
            v1,
            pfx,
        }
    })
}

#[test]
fn req_x509_certificates_and_pfx_files_serve_on_every_backend() {
    let f = files();
    for backend in Backend::compiled() {
        let req = TestServer::with(&ServerTlsSettings {
            cert_path: Some(path(&f.req_x509.cert)),
            key_path: Some(path(&f.req_x509.key)),
            ..server_settings(backend)
        });
        assert_eq!(
            s_client(&req, &f.req_x509.cert, &[]),
            "echo:ping\n",
            "{backend}"
        );
        assert!(req.outcome().is_ok());

        let pfx = TestServer::with(&ServerTlsSettings {
            cert_path: None,
            key_path: None,
            pfx_path: Some(path(&f.pfx)),
            pfx_password: Some(tcplink::Secret(PASSWORD.into())),
            ..server_settings(backend)
        });
        assert_eq!(s_client(&pfx, &pki().ca, &[]), "echo:ping\n", "{backend}");
        assert!(pfx.outcome().is_ok());
        let answer = library_client(&pfx, tls_with_ca(backend));
        assert_eq!(answer.as_deref(), Ok(&b"echo:ping\n"[..]), "{backend}");
        assert!(pfx.outcome().is_ok());
    }
}

#[test]
fn a_self_signed_client_certificate_named_in_client_ca_path_is_served() {
    let f = files();
    for backend in verifying_backends() {
        for (form, own) in [("req -x509 (CA:TRUE)", &f.req_x509), ("v1", &f.v1)] {
            let server = TestServer::with(&ServerTlsSettings {
                client_ca_path: Some(path(&own.cert)),
                ..verifying(backend, true)
            });
            for flag in ["-tls1_2", "-tls1_3"] {
                let args = [flag, "-cert", &path(&own.cert), "-key", &path(&own.key)];
                let out = s_client(&server, &pki().ca, &args);
                let outcome = server.outcome();
                assert_eq!(out, "echo:ping\n", "{backend} {form} {flag}: {outcome:?}");
                let subject = outcome.unwrap().peer_subject.unwrap_or_default();
                assert!(subject.contains("localhost"), "{backend} {form}: {subject}");
            }
            // Another self-signed certificate is still a stranger.
            let stranger = [
                "-cert",
                &path(&pki().self_signed.cert),
                "-key",
                &path(&pki().self_signed.key),
            ];
            assert_eq!(
                s_client(&server, &pki().ca, &stranger),
                "",
                "{backend} {form}"
            );
            let err = server.outcome().unwrap_err();
            assert!(
                err.message().contains("client certificate rejected"),
                "{backend}: {err}"
            );
        }
    }
}

#[test]
fn a_client_that_never_finishes_the_handshake_fails_at_the_deadline() {
    for backend in Backend::compiled() {
        let params = ServerTlsParams::new(&server_settings(backend)).unwrap();
        let server = TestServer::start(params, 500);
        // Connected, and then silent: no ClientHello ever comes.
        let silent = TcpStream::connect(server.addr()).unwrap();
        let started = Instant::now();
        let err = server.outcome().unwrap_err();
        let waited = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{backend}: {err}");
        assert!(
            waited >= Duration::from_millis(400) && waited < Duration::from_secs(5),
            "{backend}: {waited:?}"
        );
        drop(silent);
    }
}

/// The field an argument error names, after checking its kind.
fn field(err: tcplink::Error) -> String {
    assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
    err.message().split(':').next().unwrap().to_string()
}

/// What preparing a server with `settings` says, as the field it names.
fn prepare_field(settings: &ServerTlsSettings) -> String {
    let params = ServerTlsParams::new(settings).unwrap();
    field(prepare_accept(&params).unwrap_err())
}

#[test]
fn bad_files_are_argument_errors_naming_the_field_before_any_connection() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let garbage = path(&garbage);
    let f = files();
    for backend in Backend::compiled() {
        let good = server_settings(backend);
        let cases = [
            (
                ServerTlsSettings {
                    cert_path: Some(garbage.clone()),
                    ..good.clone()
                },
                "cert_path",
            ),
            (
                ServerTlsSettings {
                    key_path: Some(garbage.clone()),
                    ..good.clone()
                },
                "key_path",
            ),
            (
                ServerTlsSettings {
                    cert_path: None,
                    key_path: None,
                    pfx_path: Some(garbage.clone()),
                    ..good.clone()
                },
                "pfx_path",
            ),
        ];
        for (settings, name) in cases {
            assert_eq!(prepare_field(&settings), name, "{backend}: {settings:?}");
        }
        // Another certificate's key: native-tls does not check that it matches (every handshake
        // fails instead).
        if backend != Backend::NativeTls {
            let mismatched = ServerTlsSettings {
                key_path: Some(path(&pki().client.key)),
                ..good.clone()
            };
            assert_eq!(prepare_field(&mismatched), "key_path", "{backend}");
        }
        let wrong_password = ServerTlsSettings {
            cert_path: None,
            key_path: None,
            pfx_path: Some(path(&f.pfx)),
            pfx_password: Some(tcplink::Secret("Wrong-Pa55-never-shown".into())),
            ..good.clone()
        };
        let params = ServerTlsParams::new(&wrong_password).unwrap();
        let err = prepare_accept(&params).unwrap_err();
        let shown = format!("{err} {err:?} {wrong_password:?} {params:?}");
        assert!(!shown.contains("Wrong-Pa55"), "{backend}: {shown}");
        assert_eq!(field(err), "pfx_password", "{backend}");
        if backend != Backend::NativeTls {
            let bad_ca = ServerTlsSettings {
                client_ca_path: Some(garbage.clone()),
                ..good
            };
            assert_eq!(prepare_field(&bad_ca), "client_ca_path", "{backend}");
        }
    }
}

#[test]
fn settings_a_backend_cannot_honour_are_refused_not_ignored() {
    if !Backend::NativeTls.is_compiled() {
        return;
    }
    let err = ServerTlsParams::new(&verifying(Backend::NativeTls, true)).unwrap_err();
    assert_eq!(field(err.clone()), "client_ca_path");
    assert!(err.message().contains("native-tls"), "{err}");
    let settings = ServerTlsSettings::from_json(&format!(
        r#"{{"backend": "native-tls", "cert_path": {:?}, "key_path": {:?},
            "client_cert": "optional"}}"#,
        path(&pki().server.cert),
        path(&pki().server.key)
    ))
    .unwrap()
    .unwrap();
    assert_eq!(
        field(ServerTlsParams::new(&settings).unwrap_err()),
        "client_ca_path"
    );
}
