//! A certificate chain and private key, the client's for mutual TLS or a server's, from PEM files
//! or from a PKCS#12 file, which p12-keystore opens: every form `openssl pkcs12 -export` and Windows make,
//! the legacy ciphers (RC2, 3DES with SHA-1) included.

use p12_keystore::error::Error as P12Error;
use p12_keystore::{KeyStore, Pkcs12ImportPolicy};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use tcplink_transport::pkcs12::{open_pkcs12, Pkcs12Problem};
use tcplink_transport::tls::{read_setting_file, IdentityFields, IdentityFiles};
use tcplink_transport::{Error, Result};

/// A certificate chain (leaf first) and its key, with the setting to blame when rustls refuses
/// them.
pub struct Identity {
    /// The leaf certificate, then the chain.
    pub certs: Vec<CertificateDer<'static>>,
    /// The private key.
    pub key: PrivateKeyDer<'static>,
    /// The key's setting (`client_key_path`, `key_path`) or the PKCS#12 file's.
    pub setting: &'static str,
}

impl Identity {
    /// Reads the files `identity` names; errors name the settings in `fields`.
    pub fn load(identity: &IdentityFiles, fields: &IdentityFields) -> Result<Identity> {
        match identity {
            IdentityFiles::Pem { cert, key } => {
                let cert_pem = read_setting_file(cert, fields.cert)?;
                let certs = CertificateDer::pem_slice_iter(&cert_pem)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| {
                        Error::argument(fields.cert, format!("{}: {e}", cert.display()))
                    })?;
                if certs.is_empty() {
                    return Err(Error::argument(
                        fields.cert,
                        format!("{} holds no PEM certificate", cert.display()),
                    ));
                }
                let key_pem = read_setting_file(key, fields.key)?;
                let key = PrivateKeyDer::from_pem_slice(&key_pem)
                    .map_err(|e| Error::argument(fields.key, format!("{}: {e}", key.display())))?;
                Ok(Identity {
                    certs,
                    key,
                    setting: fields.key,
                })
            }
            IdentityFiles::Pkcs12 { path, password } => open_pkcs12(path, fields, |der| {
                from_pkcs12(der, &password.0, fields.pfx)
            }),
        }
    }
}

/// The first private key in a PKCS#12 file with its certificate and the chain the file holds.
/// `setting` names the file.
fn from_pkcs12(
    der: &[u8],
    password: &str,
    setting: &'static str,
) -> std::result::Result<Identity, Pkcs12Problem> {
    let store =
        KeyStore::from_pkcs12(der, password, Pkcs12ImportPolicy::Strict).map_err(problem)?;
    let (_, chain) = store.private_key_chain().ok_or(Pkcs12Problem::NoIdentity)?;
    Ok(Identity {
        certs: chain
            .certs()
            .iter()
            .map(|c| CertificateDer::from(c.as_der().to_vec()))
            .collect(),
        key: PrivatePkcs8KeyDer::from(chain.key().as_der().to_vec()).into(),
        setting,
    })
}

/// The problem a p12-keystore error stands for. Without the right password the integrity check
/// (MAC) fails; a file without one fails to decrypt instead.
fn problem(err: P12Error) -> Pkcs12Problem {
    match err {
        P12Error::MacError(_) | P12Error::UnpadError => Pkcs12Problem::WrongPassword,
        P12Error::Pkcs5Error(_) => Pkcs12Problem::WrongPassword,
        P12Error::InvalidPrivateKey => Pkcs12Problem::Unusable(err.to_string()),
        other => Pkcs12Problem::NotPkcs12(other.to_string()),
    }
}
