//! The echo server's self-signed certificate, generated at start with rcgen, and its rustls
//! server configuration.

use std::sync::Arc;

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use tcplink::{Error, ErrorKind, Result};

/// The names the certificate is valid for.
const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A freshly generated self-signed certificate and its key.
pub struct SelfSigned {
    /// The certificate in PEM, to trust with `--ca`.
    pub pem: String,
    der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl SelfSigned {
    /// Generates an ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1.
    pub fn generate() -> Result<SelfSigned> {
        let failed = |e: rcgen::Error| {
            Error::new(
                ErrorKind::Tls,
                format!("cannot generate a certificate: {e}"),
            )
        };
        let mut params =
            CertificateParams::new(NAMES.map(String::from).to_vec()).map_err(failed)?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "localhost");
        name.push(DnType::OrganizationName, "tcplink serve");
        params.distinguished_name = name;
        let key = KeyPair::generate().map_err(failed)?;
        let cert = params.self_signed(&key).map_err(failed)?;
        Ok(SelfSigned {
            pem: cert.pem(),
            der: cert.der().clone(),
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    /// The SHA-256 fingerprint of the certificate, as `AB:CD:...` (what `openssl x509
    /// -fingerprint -sha256` prints).
    pub fn fingerprint(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.der);
        let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
        hex.join(":")
    }

    /// A rustls server configuration (ring provider, TLS 1.2 and 1.3) presenting this
    /// certificate.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>> {
        let failed = |e: rustls::Error| {
            Error::new(
                ErrorKind::Tls,
                format!("cannot configure the TLS server: {e}"),
            )
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(failed)?
            .with_no_client_auth()
            .with_single_cert(
                vec![self.der.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )
            .map_err(failed)?;
        Ok(Arc::new(config))
    }
}
