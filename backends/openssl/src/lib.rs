//! # tcplink-openssl
//!
//! tcplink's OpenSSL backend, one of the TLS backends over the transport layer
//! (`tcplink-transport`), on which alone it depends; the `tcplink` crate's `openssl` feature pulls
//! it in (`vendored-openssl` turns on this crate's `vendored`), `tcplink::tls::handshake`
//! calls [`connect`] and `tcplink::tls::accept` calls [`accept`], the server's handshake.
//!
//! TLS through OpenSSL 3 (the `openssl` crate): the system's library, or a static one built from
//! source with the `vendored-openssl` feature. Client certificates, and a server's certificate:
//! PEM files, or a PKCS#12 file OpenSSL opens itself; the legacy RC2 cipher needs OpenSSL's
//! legacy provider, which the vendored build does not have (the error says so).

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
    Ssl, SslConnector, SslContextBuilder, SslMethod, SslOptions, SslSession, SslSessionCacheMode,
    SslStream, SslVerifyMode, SslVersion,
};

mod failure;
mod server;

use failure::Failure;
pub use server::{accept, prepare_accept};

use tcplink_transport::pkcs12::{open_pkcs12, pkcs12_error, Pkcs12Problem};
use tcplink_transport::tls::{
    alpn_wire, certificate_error, handshake_error, read_setting_file, IdentityFields,
    IdentityFiles, TlsInfo, TlsParams, TlsVersion,
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
    static INDEX: OnceLock<std::result::Result<Index<Ssl, String>, ErrorStack>> = OnceLock::new();
    INDEX
        .get_or_init(Ssl::new_ex_index)
        .clone()
        .map_err(setup_error)
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
        Err(e) => Err(match Failure::of(e, peer) {
            Failure::Refused {
                problem: Some(problem),
                detail,
            } => certificate_error(peer, &params.server_name, &problem, detail),
            Failure::Refused { detail, .. } | Failure::Tls(detail) => handshake_error(peer, detail),
            Failure::Io(e) => e,
        }),
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
    let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(setup_error)?;
    b.set_min_proto_version(Some(openssl_version(params.min_version)))
        .map_err(setup_error)?;
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
        use_identity(&mut b, identity, &IdentityFields::CLIENT)?;
    }
    if !params.alpn.is_empty() {
        b.set_alpn_protos(&alpn_wire(&params.alpn))
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

/// Presents `identity` as this side's certificate (the client's, or a server's), with errors
/// naming the settings in `fields`: PEM files, or a PKCS#12 file opened by OpenSSL, whose chain
/// certificates are sent after the leaf.
fn use_identity(
    b: &mut SslContextBuilder,
    identity: &IdentityFiles,
    fields: &IdentityFields,
) -> Result<()> {
    let setting = match identity {
        IdentityFiles::Pem { cert, key } => {
            read_setting_file(cert, fields.cert)?;
            b.set_certificate_chain_file(cert)
                .map_err(|e| Error::argument(fields.cert, format!("{}: {e}", cert.display())))?;
            // Read with a passphrase callback that supplies none: OpenSSL's own default would ask
            // on the process's terminal, which inside 1C waits forever.
            let pem = read_setting_file(key, fields.key)?;
            let pkey = PKey::private_key_from_pem_callback(&pem, |_| Ok(0)).map_err(|e| {
                Error::argument(
                    fields.key,
                    format!(
                        "{}: not an unencrypted PEM private key (an encrypted key needs its \
                         passphrase removed, e.g. openssl pkey -in KEY -out PLAIN): {e}",
                        key.display()
                    ),
                )
            })?;
            b.set_private_key(&pkey)
                .map_err(|e| Error::argument(fields.key, format!("{}: {e}", key.display())))?;
            fields.key
        }
        IdentityFiles::Pkcs12 { path, password } => {
            let parsed = open_pkcs12(path, fields, |der| {
                let text =
                    |e: ErrorStack| Pkcs12Problem::from_library_text(&e.to_string(), "openssl");
                Pkcs12::from_der(der)
                    .map_err(|e| Pkcs12Problem::NotPkcs12(e.to_string()))?
                    .parse2(&password.0)
                    .map_err(text)
            })?;
            let (Some(cert), Some(key)) = (parsed.cert, parsed.pkey) else {
                return Err(pkcs12_error(path, fields, Pkcs12Problem::NoIdentity));
            };
            let unusable =
                |e: ErrorStack| pkcs12_error(path, fields, Pkcs12Problem::Unusable(e.to_string()));
            b.set_certificate(&cert).map_err(unusable)?;
            b.set_private_key(&key).map_err(unusable)?;
            for ca in parsed.ca.into_iter().flatten() {
                b.add_extra_chain_cert(ca).map_err(unusable)?;
            }
            fields.pfx
        }
    };
    b.check_private_key().map_err(|e| {
        Error::argument(
            setting,
            format!("the key does not match the certificate: {e}"),
        )
    })
}

/// The error of OpenSSL failing to set up a context.
fn setup_error(e: ErrorStack) -> Error {
    Error::argument("Tls", format!("OpenSSL set-up failed: {e}"))
}

/// The version `min` in OpenSSL's terms.
fn openssl_version(min: TlsVersion) -> SslVersion {
    match min {
        TlsVersion::Tls12 => SslVersion::TLS1_2,
        TlsVersion::Tls13 => SslVersion::TLS1_3,
    }
}

/// Adds the operating system's trust roots. A statically linked (vendored) OpenSSL looks for them
/// under its build prefix (`/usr/local/ssl`), where distributions keep none; openssl-probe finds
/// where this system keeps them (`/etc/ssl/certs/ca-certificates.crt`, …). Best effort: without
/// system roots, `ca_cert_path` still works.
fn add_system_roots(b: &mut SslContextBuilder) {
    let probe = openssl_probe::probe();
    let dir = probe.cert_dir.first().map(PathBuf::as_path);
    if probe.cert_file.is_some() || dir.is_some() {
        let _ = b.load_verify_locations(probe.cert_file.as_deref(), dir);
    }
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
