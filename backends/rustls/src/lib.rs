//! # tcplink-rustls
//!
//! tcplink's rustls backend, one of the TLS backends over the transport layer
//! (`tcplink-transport`), on which alone it depends; the `tcplink` crate's `rustls` feature pulls
//! it in and `tcplink::tls::handshake` calls [`connect`].
//!
//! TLS through rustls 0.23 with the ring crypto provider (it builds with only a C compiler for
//! every target we ship, where aws-lc-rs would also need cmake and nasm for Windows and i686).
//!
//! Client certificates: PEM files, or a PKCS#12 file opened by p12-keystore (see `identity.rs`).
//!
//! Trust roots: the operating system's store (rustls-native-certs), or the bundled Mozilla roots
//! (webpki-roots) where the system has none; `ca_cert_path` adds certificates to either. A
//! certificate in `ca_cert_path` is also accepted as the server's own when it is a CA or v1
//! certificate, as OpenSSL and the platforms accept it (see `verify.rs`). Pinned keys are
//! checked by the verifier, before the handshake goes on (see `pinned.rs`).

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
    StreamOwned,
};

mod identity;
mod pinned;
mod verify;

use identity::Identity;
use pinned::PinnedVerifier;
use verify::{tls12_signature_by_key, tls13_signature_by_key, Refusal, Verifier};

use tcplink_transport::tls::{
    certificate_error, handshake_error, handshake_io_error, read_setting_file, CertFacts, TlsInfo,
    TlsParams, TlsVersion,
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
                    Some(r) => certificate_error(peer, &params.server_name, &r.problem, &r.detail),
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
    let verifier: Arc<dyn ServerCertVerifier> = if params.verify {
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
        Arc::new(Verifier::new(roots, named, provider())?)
    } else {
        Arc::new(AcceptAnyCertificate(provider()))
    };
    let verifier: Arc<dyn ServerCertVerifier> = if params.pins.is_empty() {
        verifier
    } else {
        Arc::new(PinnedVerifier::new(verifier, params.pins.clone()))
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &params.client_identity {
        None => builder.with_no_client_auth(),
        Some(identity) => {
            let Identity {
                certs,
                key,
                setting,
            } = Identity::load(identity)?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| Error::argument(setting, e))?
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
/// handshake signatures are still checked with the certificate's public key (read here, so that
/// X.509 v1 certificates, which webpki does not read, work too), so the session is still bound to
/// the presented key.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl AcceptAnyCertificate {
    /// The public key of `cert`.
    fn key(cert: &CertificateDer<'_>) -> std::result::Result<Vec<u8>, rustls::Error> {
        CertFacts::from_der(cert)
            .map(|facts| facts.public_key)
            .ok_or_else(|| rustls::CertificateError::BadEncoding.into())
    }
}

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
        let key = AcceptAnyCertificate::key(cert)?;
        tls12_signature_by_key(
            message,
            &key,
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
        let key = AcceptAnyCertificate::key(cert)?;
        tls13_signature_by_key(
            message,
            &key,
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
            resumed: conn
                .handshake_kind()
                .map(|k| k == rustls::HandshakeKind::Resumed),
            ..TlsInfo::with_peer("rustls", leaf.map(|c| c.as_ref()))
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
