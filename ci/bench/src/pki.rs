//! A CA and a server certificate for `localhost`/`127.0.0.1`, generated at start.

use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The benchmark's certificates; the files live as long as this value.
pub struct Pki {
    _dir: tempfile::TempDir,
    /// The CA certificate, PEM, for clients' `ca_cert_path`.
    pub ca_path: PathBuf,
    /// The server's TLS configuration (it offers session resumption, as rustls does by default).
    pub server: Arc<rustls::ServerConfig>,
}

impl Pki {
    /// Generates the certificates.
    pub fn generate() -> Pki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "tcplink bench CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut leaf =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        // Distinct from the CA's name, or OpenSSL takes the leaf for a self-signed certificate.
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        let cert = leaf.signed_by(&key, &ca).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca.pem()).unwrap();
        Pki {
            _dir: dir,
            ca_path,
            server: Arc::new(server),
        }
    }

    /// The server's TLS configuration without session resumption: every handshake is a full one.
    pub fn server_without_resumption(&self) -> Arc<rustls::ServerConfig> {
        let mut config = (*self.server).clone();
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        Arc::new(config)
    }
}
