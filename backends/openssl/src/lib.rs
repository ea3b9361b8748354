//! # tcplink-openssl
//!
//! tcplink's OpenSSL backend, one of the TLS backends over the transport layer
//! (`tcplink-transport`), on which alone it depends; the `tcplink` crate's `openssl` feature pulls
//! it in (`vendored-openssl` turns on this crate's `vendored`) and `tcplink::tls::handshake`
//! calls [`connect`].
//!
//! TLS through OpenSSL 3 (the `openssl` crate): the system's library, or a static one built from
//! source with the `vendored-openssl` feature. Client certificates: PEM files, or a PKCS#12 file
//! OpenSSL opens itself; the legacy RC2 cipher needs OpenSSL's legacy provider, which the
//! vendored build does not have (the error says so).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use openssl::error::ErrorStack;
use openssl::ex_data::Index;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::PKey;
use openssl::ssl::{
    HandshakeError, Ssl, SslConnector, SslConnectorBuilder, SslMethod, SslOptions, SslSession,
    SslSessionCacheMode, SslStream, SslVerifyMode, SslVersion,
};
use openssl::x509::X509VerifyResult;

use tcplink_transport::pkcs12::{open_pkcs12, pkcs12_error, Pkcs12Problem};
use tcplink_transport::tls::{
    certificate_error, handshake_error, handshake_io_error, read_setting_file, CertFacts,
    CertProblem, ClientIdentity, TlsInfo, TlsParams, TlsVersion,
};
use tcplink_transport::tls_cache::ConfigCache;
use tcplink_transport::{Error, Result, TimedSocket, Transport};

/// A TLS connection through OpenSSL.
pub struct OpensslTransport {
    stream: SslStream<TimedSocket>,
}

/// How many servers' sessions a connector keeps for resumption.
const SESSIONS_KEPT: usize = 256;

/// TLS sessions the server gave us, by `host:port`, for resuming the next connection there.
#[derive(Default)]
struct SessionStore(Mutex<HashMap<String, SslSession>>);

impl SessionStore {
    fn get(&self, peer: &str) -> Option<SslSession> {
        self.lock().get(peer).cloned()
    }

    fn put(&self, peer: String, session: SslSession) {
        let mut sessions = self.lock();
        if sessions.len() >= SESSIONS_KEPT && !sessions.contains_key(&peer) {
            sessions.clear();
        }
        sessions.insert(peer, session);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SslSession>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The `host:port` a connection goes to, kept on the `Ssl` for the new-session callback.
fn peer_index() -> Result<Index<Ssl, String>> {
    static INDEX: OnceLock<std::result::Result<Index<Ssl, String>, String>> = OnceLock::new();
    INDEX
        .get_or_init(|| Ssl::new_ex_index().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| Error::argument("Tls", format!("OpenSSL set-up failed: {e}")))
}

/// Runs the handshake over `socket` and returns the transport.
pub fn connect(socket: TimedSocket, params: &TlsParams, peer: &str) -> Result<Box<dyn Transport>> {
    static CONNECTORS: ConfigCache<(SslConnector, Arc<SessionStore>)> = ConfigCache::new();
    let (connector, sessions) = CONNECTORS.get_or_build(params, || connector(params))?;
    let mut config = connector
        .configure()
        .map_err(|e| handshake_error(peer, e))?
        .verify_hostname(params.verify)
        .use_server_name_indication(true);
    config.set_ex_data(peer_index()?, peer.to_string());
    if let Some(session) = sessions.get(peer) {
        // SAFETY: the session came from this connector's context (each cached connector has its
        // own store), as `set_session` requires.
        unsafe { config.set_session(&session) }.map_err(|e| handshake_error(peer, e))?;
    }
    match config.connect(&params.server_name, socket) {
        Ok(stream) => {
            let leaf = stream
                .ssl()
                .peer_certificate()
                .and_then(|c| c.to_der().ok());
            check_pins(params, peer, leaf.as_deref())?;
            Ok(Box::new(OpensslTransport { stream }))
        }
        Err(HandshakeError::SetupFailure(e)) => Err(handshake_error(peer, e)),
        Err(HandshakeError::WouldBlock(_)) => Err(handshake_io_error(
            peer,
            &io::Error::from(io::ErrorKind::TimedOut),
        )),
        Err(HandshakeError::Failure(mid)) => {
            let verify = mid.ssl().verify_result();
            let err = mid.error();
            if verify != X509VerifyResult::OK {
                let detail = format!("certificate verify failed: {}", verify.error_string());
                Err(match verify_problem(verify, mid.ssl()) {
                    Some(problem) => certificate_error(peer, &params.server_name, &problem, detail),
                    None => handshake_error(peer, detail),
                })
            } else if let Some(io_err) = err.io_error() {
                Err(handshake_io_error(peer, io_err))
            } else if err.ssl_error().is_none() {
                Err(handshake_io_error(
                    peer,
                    &io::Error::from(io::ErrorKind::UnexpectedEof),
                ))
            } else {
                Err(handshake_error(peer, err))
            }
        }
    }
}

/// Checks the server's certificate `leaf` (DER) against the pins, right after the handshake and
/// before anything is sent; no certificate matches no pin.
fn check_pins(params: &TlsParams, peer: &str, leaf: Option<&[u8]>) -> Result<()> {
    if params.pins.is_empty() {
        return Ok(());
    }
    params
        .pins
        .check(leaf.unwrap_or_default())
        .map_err(|problem| certificate_error(peer, &params.server_name, &problem, &params.pins))
}

/// A connector for `params` that keeps the sessions servers give it in its own store.
fn connector(params: &TlsParams) -> Result<(SslConnector, Arc<SessionStore>)> {
    let setup = |e: openssl::error::ErrorStack| {
        Error::argument("Tls", format!("OpenSSL set-up failed: {e}"))
    };
    let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(setup)?;
    let min = match params.min_version {
        TlsVersion::Tls12 => SslVersion::TLS1_2,
        TlsVersion::Tls13 => SslVersion::TLS1_3,
    };
    b.set_min_proto_version(Some(min)).map_err(setup)?;
    // A peer that closes TCP without close_notify has still ended the stream.
    b.set_options(SslOptions::IGNORE_UNEXPECTED_EOF);
    if params.verify {
        add_system_roots(&mut b);
        if let Some(path) = &params.ca_file {
            read_setting_file(path, "ca_cert_path")?;
            b.set_ca_file(path)
                .map_err(|e| Error::argument("ca_cert_path", format!("{}: {e}", path.display())))?;
        }
    } else {
        b.set_verify(SslVerifyMode::NONE);
    }
    if let Some(identity) = &params.client_identity {
        use_identity(&mut b, identity)?;
    }
    if !params.alpn.is_empty() {
        let mut wire = Vec::new();
        for p in &params.alpn {
            wire.push(p.len() as u8);
            wire.extend_from_slice(p.as_bytes());
        }
        b.set_alpn_protos(&wire)
            .map_err(|e| Error::argument("alpn", e))?;
    }
    let sessions = Arc::new(SessionStore::default());
    let store = sessions.clone();
    let index = peer_index()?;
    b.set_session_cache_mode(SslSessionCacheMode::CLIENT);
    b.set_new_session_callback(move |ssl, session| {
        if let Some(peer) = ssl.ex_data(index) {
            store.put(peer.clone(), session);
        }
    });
    Ok((b.build(), sessions))
}

/// Presents `identity` as the client's certificate: PEM files, or a PKCS#12 file opened by
/// OpenSSL, whose chain certificates are sent after the leaf.
fn use_identity(b: &mut SslConnectorBuilder, identity: &ClientIdentity) -> Result<()> {
    let setting = match identity {
        ClientIdentity::Pem { cert, key } => {
            read_setting_file(cert, "client_cert_path")?;
            b.set_certificate_chain_file(cert).map_err(|e| {
                Error::argument("client_cert_path", format!("{}: {e}", cert.display()))
            })?;
            // Read with a passphrase callback that supplies none: OpenSSL's own default would ask
            // on the process's terminal, which inside 1C waits forever.
            let pem = read_setting_file(key, "client_key_path")?;
            let pkey = PKey::private_key_from_pem_callback(&pem, |_| Ok(0)).map_err(|e| {
                Error::argument(
                    "client_key_path",
                    format!(
                        "{}: not an unencrypted PEM private key (an encrypted key needs its \
                         passphrase removed, e.g. openssl pkey -in KEY -out PLAIN): {e}",
                        key.display()
                    ),
                )
            })?;
            b.set_private_key(&pkey).map_err(|e| {
                Error::argument("client_key_path", format!("{}: {e}", key.display()))
            })?;
            "client_key_path"
        }
        ClientIdentity::Pkcs12 { path, password } => {
            let parsed = open_pkcs12(path, |der| {
                let text =
                    |e: ErrorStack| Pkcs12Problem::from_library_text(&e.to_string(), "openssl");
                Pkcs12::from_der(der)
                    .map_err(|e| Pkcs12Problem::NotPkcs12(e.to_string()))?
                    .parse2(&password.0)
                    .map_err(text)
            })?;
            let (Some(cert), Some(key)) = (parsed.cert, parsed.pkey) else {
                return Err(pkcs12_error(path, Pkcs12Problem::NoIdentity));
            };
            let unusable =
                |e: ErrorStack| pkcs12_error(path, Pkcs12Problem::Unusable(e.to_string()));
            b.set_certificate(&cert).map_err(unusable)?;
            b.set_private_key(&key).map_err(unusable)?;
            for ca in parsed.ca.into_iter().flatten() {
                b.add_extra_chain_cert(ca).map_err(unusable)?;
            }
            "client_pfx_path"
        }
    };
    b.check_private_key().map_err(|e| {
        Error::argument(
            setting,
            format!("the key does not match the certificate: {e}"),
        )
    })
}

/// Adds the operating system's trust roots. A statically linked (vendored) OpenSSL looks for them
/// under its build prefix (`/usr/local/ssl`), where distributions keep none; openssl-probe finds
/// where this system keeps them (`/etc/ssl/certs/ca-certificates.crt`, …). Best effort: without
/// system roots, `ca_cert_path` still works.
fn add_system_roots(b: &mut SslConnectorBuilder) {
    let probe = openssl_probe::probe();
    let dir = probe.cert_dir.first().map(PathBuf::as_path);
    if probe.cert_file.is_some() || dir.is_some() {
        let _ = b.load_verify_locations(probe.cert_file.as_deref(), dir);
    }
}

// X509_V_ERR_* codes (openssl/x509_vfy.h) grouped by the problem users are told of.
const UNKNOWN_ISSUER: [i32; 2] = [
    18, // DEPTH_ZERO_SELF_SIGNED_CERT
    19, // SELF_SIGNED_CERT_IN_CHAIN
];
// The last certificate sent is not self-signed and its issuer is found nowhere.
const INCOMPLETE_CHAIN: [i32; 3] = [
    2,  // UNABLE_TO_GET_ISSUER_CERT
    20, // UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21, // UNABLE_TO_VERIFY_LEAF_SIGNATURE
];
const NOT_YET_VALID: i32 = 9; // CERT_NOT_YET_VALID
const EXPIRED: i32 = 10; // CERT_HAS_EXPIRED
const NAME_MISMATCH: [i32; 3] = [
    62, // HOSTNAME_MISMATCH
    63, // EMAIL_MISMATCH
    64, // IP_ADDRESS_MISMATCH
];

/// The problem OpenSSL's verification failure stands for, with details from the certificates the
/// server sent (`ssl`'s peer chain, which OpenSSL keeps after a failed verification).
fn verify_problem(result: X509VerifyResult, ssl: &openssl::ssl::SslRef) -> Option<CertProblem> {
    let code = result.as_raw();
    let problem = if UNKNOWN_ISSUER.contains(&code) {
        CertProblem::UnknownIssuer
    } else if INCOMPLETE_CHAIN.contains(&code) {
        CertProblem::IncompleteChain { issuer: None }
    } else if code == NOT_YET_VALID {
        CertProblem::NotYetValid { not_before: None }
    } else if code == EXPIRED {
        CertProblem::Expired { not_after: None }
    } else if NAME_MISMATCH.contains(&code) {
        CertProblem::NameMismatch { names: Vec::new() }
    } else {
        return None;
    };
    let sent: Vec<CertFacts> = ssl
        .peer_cert_chain()
        .into_iter()
        .flatten()
        .filter_map(|cert| CertFacts::from_der(&cert.to_der().ok()?))
        .collect();
    Some(problem.with_details(sent.first(), sent.last()))
}

impl Read for OpensslTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

impl Write for OpensslTransport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

impl Transport for OpensslTransport {
    fn socket(&self) -> &TimedSocket {
        self.stream.get_ref()
    }

    fn socket_mut(&mut self) -> &mut TimedSocket {
        self.stream.get_mut()
    }

    fn tls_info(&self) -> Option<TlsInfo> {
        let ssl = self.stream.ssl();
        let leaf = ssl.peer_certificate().and_then(|cert| cert.to_der().ok());
        Some(TlsInfo {
            version: Some(ssl.version_str().to_string()),
            cipher: ssl.current_cipher().map(|c| c.name().to_string()),
            alpn: ssl
                .selected_alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            resumed: Some(ssl.session_reused()),
            ..TlsInfo::with_peer("openssl", leaf.as_deref())
        })
    }

    fn has_buffered_input(&mut self) -> bool {
        // Without read-ahead (the default) OpenSSL takes one record at a time from the socket,
        // so what it holds is the rest of the record last read.
        self.stream.ssl().pending() > 0
    }

    fn shutdown(&mut self) -> io::Result<()> {
        let notified = self
            .stream
            .shutdown()
            .map(|_| ())
            .map_err(|e| e.into_io_error().unwrap_or_else(io::Error::other));
        self.stream
            .get_ref()
            .shutdown(Shutdown::Write)
            .and(notified)
    }

    fn into_plain_socket(self: Box<Self>) -> Result<TimedSocket, Box<dyn Transport>> {
        // Already TLS: there is no plain socket to upgrade.
        Err(self)
    }
}
