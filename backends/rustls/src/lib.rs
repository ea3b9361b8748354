//! # tcplink-rustls
//!
//! tcplink's rustls backend, one of the TLS backends over the transport layer
//! (`tcplink-transport`), on which alone it depends; the `tcplink` crate's `rustls` feature pulls
//! it in and `tcplink::tls::handshake` calls [`connect`].
//!
//! TLS through rustls 0.23 with the ring crypto provider (it builds with only a C compiler for
//! every target we ship, where aws-lc-rs would also need cmake and nasm for Windows and i686).
//!
//! Trust roots: the operating system's store (rustls-native-certs), or the bundled Mozilla roots
//! (webpki-roots) where the system has none; `ca_cert_path` adds certificates to either. A
//! certificate in `ca_cert_path` is also accepted as the server's own when it is a CA or v1
//! certificate, as OpenSSL and the platforms accept it (see `verify.rs`).

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
    StreamOwned,
};

mod verify;

use verify::{Refusal, Verifier};

use tcplink_transport::tls::{
    certificate_error, handshake_error, handshake_io_error, read_setting_file, sha256_fingerprint,
    subject_of_der, TlsInfo, TlsParams, TlsVersion,
};
use tcplink_transport::tls_cache::ConfigCache;
use tcplink_transport::{Error, Result, TimedSocket, Transport};

/// A TLS connection through rustls.
pub struct RustlsTransport {
    stream: StreamOwned<ClientConnection, TimedSocket>,
}

/// Runs the handshake over `socket` and returns the transport.
pub fn connect(socket: TimedSocket, params: &TlsParams, peer: &str) -> Result<Box<dyn Transport>> {
    static CONFIGS: ConfigCache<Arc<ClientConfig>> = ConfigCache::new();
    let config = CONFIGS.get_or_build(params, || client_config(params).map(Arc::new))?;
    let name = ServerName::try_from(params.server_name.clone()).map_err(|e| {
        Error::argument(
            "server_name",
            format!("{:?} is not a valid server name: {e}", params.server_name),
        )
    })?;
    let conn = ClientConnection::new(config, name).map_err(|e| handshake_error(peer, e))?;
    let mut stream = StreamOwned::new(conn, socket);
    while stream.conn.is_handshaking() {
        if let Err(e) = stream.conn.complete_io(&mut stream.sock) {
            return Err(match rustls_error(&e) {
                Some(tls) => match Refusal::of(tls) {
                    Some(r) => certificate_error(peer, &params.server_name, &r.problem, &r.raw),
                    None => handshake_error(peer, tls),
                },
                None => handshake_io_error(peer, &e),
            });
        }
    }
    Ok(Box::new(RustlsTransport { stream }))
}

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(crypto::ring::default_provider()))
        .clone()
}

/// The system's trust roots, or the bundled ones if the system has none; loaded once.
fn system_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if roots.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        roots
    })
}

fn client_config(params: &TlsParams) -> Result<ClientConfig> {
    let versions: &[&rustls::SupportedProtocolVersion] = match params.min_version {
        TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| Error::argument("min_version", e))?;
    let builder = if params.verify {
        let mut roots = system_roots().clone();
        let mut named = Vec::new();
        if let Some(path) = &params.ca_file {
            let pem = read_setting_file(path, "ca_cert_path")?;
            let certs = CertificateDer::pem_slice_iter(&pem)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| Error::argument("ca_cert_path", format!("{}: {e}", path.display())))?;
            let (added, _) = roots.add_parsable_certificates(certs.iter().cloned());
            if added == 0 {
                return Err(Error::argument(
                    "ca_cert_path",
                    format!("{} holds no usable PEM certificate", path.display()),
                ));
            }
            named = certs;
        }
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier::new(roots, named, provider())?))
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider())))
    };
    let mut config = match &params.client_identity {
        None => builder.with_no_client_auth(),
        Some((cert_path, key_path)) => {
            let cert_pem = read_setting_file(cert_path, "client_cert_path")?;
            let certs = CertificateDer::pem_slice_iter(&cert_pem)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| {
                    Error::argument("client_cert_path", format!("{}: {e}", cert_path.display()))
                })?;
            if certs.is_empty() {
                return Err(Error::argument(
                    "client_cert_path",
                    format!("{} holds no PEM certificate", cert_path.display()),
                ));
            }
            let key_pem = read_setting_file(key_path, "client_key_path")?;
            let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
                Error::argument("client_key_path", format!("{}: {e}", key_path.display()))
            })?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| Error::argument("client_key_path", e))?
        }
    };
    config.alpn_protocols = params.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok(config)
}

/// The rustls error inside an I/O error from `complete_io`, if any.
fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
}

/// The verifier used with `accept_invalid_certs`: any certificate and name is accepted, but the
/// handshake signatures are still checked, so the session is still bound to the presented key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl Read for RustlsTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.stream.read(buf) {
            // A peer that closes TCP without close_notify has still ended the stream.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            other => other,
        }
    }
}

impl Write for RustlsTransport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

impl Transport for RustlsTransport {
    fn socket(&self) -> &TimedSocket {
        &self.stream.sock
    }

    fn socket_mut(&mut self) -> &mut TimedSocket {
        &mut self.stream.sock
    }

    fn tls_info(&self) -> Option<TlsInfo> {
        let conn = &self.stream.conn;
        let leaf = conn.peer_certificates().and_then(|c| c.first());
        Some(TlsInfo {
            backend: "rustls",
            version: conn.protocol_version().map(|v| match v {
                rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
                other => format!("{other:?}"),
            }),
            cipher: conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite())),
            alpn: conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            peer_subject: leaf.and_then(|c| subject_of_der(c)),
            peer_sha256: leaf.map(|c| sha256_fingerprint(c)),
            resumed: conn
                .handshake_kind()
                .map(|k| k == rustls::HandshakeKind::Resumed),
        })
    }

    fn has_buffered_input(&mut self) -> bool {
        // Records already read from the socket are decrypted here; an error is reported by the
        // next read, which therefore does not wait either.
        self.stream
            .conn
            .process_new_packets()
            .map_or(true, |state| {
                state.plaintext_bytes_to_read() > 0 || state.peer_has_closed()
            })
    }

    fn shutdown(&mut self) -> io::Result<()> {
        self.stream.conn.send_close_notify();
        let flushed = self.stream.flush();
        self.stream.sock.shutdown(Shutdown::Write).and(flushed)
    }

    fn into_plain_socket(self: Box<Self>) -> Result<TimedSocket, Box<dyn Transport>> {
        // Already TLS: there is no plain socket to upgrade.
        Err(self)
    }
}
