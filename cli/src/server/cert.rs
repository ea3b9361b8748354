//! The self-signed certificate `tcplink serve --tls` and `tcplink demo` generate at start (rcgen),
//! written with its key to a temporary folder for the server's TLS settings, and what a client
//! pins of it.

use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PublicKeyData};
use tcplink::tls::{fingerprint_hex, pin_text};
use tcplink::{Error, ErrorKind, Result, ServerTlsSettings};

/// The names the certificate is valid for.
const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A freshly generated self-signed certificate, its key in files that live as long as it.
pub struct SelfSigned {
    /// The certificate in PEM, to trust with `--ca`.
    pub pem: String,
    /// The SHA-256 fingerprint of the certificate, as `AB:CD:...` (what `openssl x509
    /// -fingerprint -sha256` and `tcplink pin` print).
    pub fingerprint: String,
    /// The SHA-256 of the public key in pin form, `sha256//<base64>` (what `tcplink pin`
    /// prints and `--pin` takes).
    pub pin: String,
    cert_path: PathBuf,
    key_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SelfSigned {
    /// Generates an ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1 and writes it and
    /// its key to a new temporary folder.
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
        let dir = tempfile::tempdir().map_err(|e| Error::from_io(&e, "creating a folder"))?;
        let cert_path = dir.path().join("cert.pem");
        let key_path = dir.path().join("key.pem");
        write(&cert_path, &cert.pem())?;
        write(&key_path, &key.serialize_pem())?;
        Ok(SelfSigned {
            pem: cert.pem(),
            fingerprint: fingerprint_hex(&sha256(cert.der())),
            pin: pin_text(&sha256(&key.subject_public_key_info())),
            cert_path,
            key_path,
            _dir: dir,
        })
    }

    /// The file holding the certificate (PEM), for a client's `ca_cert_path`.
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// Server TLS settings presenting this certificate.
    pub fn settings(&self) -> ServerTlsSettings {
        ServerTlsSettings {
            use_tls: true,
            cert_path: Some(self.cert_path.to_string_lossy().into_owned()),
            key_path: Some(self.key_path.to_string_lossy().into_owned()),
            ..ServerTlsSettings::default()
        }
    }
}

/// The SHA-256 digest of `bytes`.
fn sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// Writes `text` to `path`.
fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| Error::from_io(&e, &format!("writing {}", path.display())))
}
