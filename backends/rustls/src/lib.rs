//! # tcplink-rustls
//!
//! tcplink's rustls backend, one of the TLS backends over the transport layer
//! (`tcplink-transport`), on which alone it depends; the `tcplink` crate's `rustls` feature pulls
//! it in, `tcplink::tls::handshake` calls [`connect`] and `tcplink::tls::accept` calls [`accept`],
//! the server's handshake.
//!
//! TLS through rustls 0.23 with the ring crypto provider (it builds with only a C compiler for
//! every target we ship, where aws-lc-rs would also need cmake and nasm for Windows and i686).
//!
//! Client certificates, and a server's certificate: PEM files, or a PKCS#12 file opened by
//! p12-keystore (see `identity.rs`). As a server, client certificates are verified by webpki
//! against `client_ca_path` (see `server.rs`).
//!
//! Trust roots: the operating system's store (rustls-native-certs), or the bundled Mozilla roots
//! (webpki-roots) where the system has none; `ca_cert_path` adds certificates to either. A
//! certificate in `ca_cert_path` is also accepted as the server's own when it is a CA or v1
//! certificate, as OpenSSL and the platforms accept it (see `verify.rs`). Pinned keys are
//! checked by the verifier, before the handshake goes on (see `pinned.rs`).

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

mod identity;
mod pinned;
mod server;
mod transport;
mod verify;

use identity::Identity;
use pinned::PinnedVerifier;
use verify::{tls12_signature_by_key, tls13_signature_by_key, Refusal, Verifier};

pub use server::{accept, prepare_accept};
use transport::rustls_error;
pub use transport::{RustlsServerTransport, RustlsTransport};

use tcplink_transport::tls::{
    certificate_error, handshake_error, handshake_io_error, read_setting_file, CertFacts,
    IdentityFields, TlsParams, TlsVersion,
};
use tcplink_transport::tls_cache::ConfigCache;
use tcplink_transport::{Error, Result, TimedSocket, Transport};

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
    match RustlsTransport::handshake(conn, socket) {
        Ok(transport) => Ok(Box::new(transport)),
        Err(e) => Err(match rustls_error(&e) {
            Some(tls) => match Refusal::of(tls) {
                Some(r) => certificate_error(peer, &params.server_name, &r.problem, &r.detail),
                None => handshake_error(peer, tls),
            },
            None => handshake_io_error(peer, &e),
        }),
    }
}

/// The ring crypto provider, made once.
pub(crate) fn provider() -> Arc<CryptoProvider> {
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

/// The protocol versions from `min` up.
pub(crate) fn versions(min: TlsVersion) -> &'static [&'static rustls::SupportedProtocolVersion] {
    const FROM_TLS12: &[&rustls::SupportedProtocolVersion] =
        &[&rustls::version::TLS13, &rustls::version::TLS12];
    const TLS13_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
    match min {
        TlsVersion::Tls12 => FROM_TLS12,
        TlsVersion::Tls13 => TLS13_ONLY,
    }
}

/// The PEM certificates in the file `path`, named by the setting `param`; a file without any is
/// an error.
pub(crate) fn pem_certificates(
    path: &std::path::Path,
    param: &str,
) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read_setting_file(path, param)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::argument(param, format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::argument(
            param,
            format!("{} holds no PEM certificate", path.display()),
        ));
    }
    Ok(certs)
}

fn client_config(params: &TlsParams) -> Result<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(params.min_version))
        .map_err(|e| Error::argument("min_version", e))?;
    let verifier: Arc<dyn ServerCertVerifier> = if params.verify {
        let mut roots = system_roots().clone();
        let mut named = Vec::new();
        if let Some(path) = &params.ca_file {
            let certs = pem_certificates(path, "ca_cert_path")?;
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
            } = Identity::load(identity, &IdentityFields::CLIENT)?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| Error::argument(setting, e))?
        }
    };
    config.alpn_protocols = params.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok(config)
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
