//! Where a certificate chain and its private key come from ([`IdentityFiles`]: PEM files or a
//! PKCS#12 file), for the client of mutual TLS and for a TLS server alike, and the names of the
//! settings they are read from ([`IdentityFields`]), so every message names the setting the user
//! wrote.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::settings::{Secret, TlsSettings};

/// The names of the settings one identity is read from: the client's (`client_cert_path`, …)
/// or the server's (`cert_path`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityFields {
    /// The PEM certificate chain.
    pub cert: &'static str,
    /// The PEM private key.
    pub key: &'static str,
    /// The PKCS#12 file.
    pub pfx: &'static str,
    /// The PKCS#12 file's password.
    pub password: &'static str,
    /// Whose certificate it is, for messages: `client` or `server`.
    pub whose: &'static str,
}

impl IdentityFields {
    /// The client certificate of mutual TLS ([`TlsSettings`]).
    pub const CLIENT: IdentityFields = IdentityFields {
        cert: "client_cert_path",
        key: "client_key_path",
        pfx: "client_pfx_path",
        password: "client_pfx_password",
        whose: "client",
    };

    /// A TLS server's certificate (`ServerTlsSettings`).
    pub const SERVER: IdentityFields = IdentityFields {
        cert: "cert_path",
        key: "key_path",
        pfx: "pfx_path",
        password: "pfx_password",
        whose: "server",
    };
}

/// Where a certificate, its chain and its private key come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityFiles {
    /// A PEM file with the certificate chain (leaf first) and a PEM file with the key.
    Pem {
        /// The certificate chain file.
        cert: PathBuf,
        /// The private key file.
        key: PathBuf,
    },
    /// A PKCS#12 file and its password.
    Pkcs12 {
        /// The `.pfx`/`.p12` file.
        path: PathBuf,
        /// Its password; `Debug` shows `***`.
        password: Secret,
    },
}

impl IdentityFiles {
    /// The client identity `settings` name, checked as [`IdentityFiles::from_fields`] says.
    pub fn of(settings: &TlsSettings) -> Result<Option<IdentityFiles>> {
        IdentityFiles::from_fields(
            settings.client_cert_path.as_deref(),
            settings.client_key_path.as_deref(),
            settings.client_pfx_path.as_deref(),
            settings.client_pfx_password.as_ref(),
            &IdentityFields::CLIENT,
        )
    }

    /// The identity given by the settings `fields` names, with the values `cert`, `key`, `pfx`
    /// and `password`, checked: a PEM certificate comes with its key, a PKCS#12 file comes alone
    /// (not with PEM files), a non-empty PKCS#12 password comes with its file. `None` when none
    /// is given; every error names the setting to fix.
    pub fn from_fields(
        cert: Option<&str>,
        key: Option<&str>,
        pfx: Option<&str>,
        password: Option<&Secret>,
        fields: &IdentityFields,
    ) -> Result<Option<IdentityFiles>> {
        let whose = fields.whose;
        let pem = match (cert, key) {
            (Some(cert), Some(key)) => Some(IdentityFiles::Pem {
                cert: PathBuf::from(cert),
                key: PathBuf::from(key),
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::argument(
                    fields.key,
                    format!("a {whose} certificate needs its key"),
                ))
            }
            (None, Some(_)) => {
                return Err(Error::argument(
                    fields.cert,
                    format!("a {whose} key needs its certificate"),
                ))
            }
        };
        let has_password = password.is_some_and(|p| !p.0.is_empty());
        match (pfx, pem) {
            (Some(_), Some(_)) => Err(Error::argument(
                fields.pfx,
                format!(
                    "give either {} (a PKCS#12 file with the certificate and its key) or {} and \
                     {} (PEM files), not both",
                    fields.pfx, fields.cert, fields.key
                ),
            )),
            (Some(path), None) => Ok(Some(IdentityFiles::Pkcs12 {
                path: PathBuf::from(path),
                password: password.cloned().unwrap_or_default(),
            })),
            // An empty password without a file is what an unfilled form sends: no PKCS#12 file.
            (None, pem) if has_password => Err(Error::argument(
                fields.password,
                match pem {
                    Some(_) => format!(
                        "is the password of {}; PEM keys with a password are not supported",
                        fields.pfx
                    ),
                    None => format!("is given without {}, the PKCS#12 file it opens", fields.pfx),
                },
            )),
            (None, pem) => Ok(pem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pfx_comes_alone_and_its_password_with_it() {
        let pfx = TlsSettings {
            client_pfx_path: Some("c.pfx".into()),
            ..Default::default()
        };
        assert_eq!(
            IdentityFiles::of(&pfx).unwrap(),
            Some(IdentityFiles::Pkcs12 {
                path: "c.pfx".into(),
                password: Secret::default(),
            })
        );
        let with_pem = TlsSettings {
            client_cert_path: Some("c.pem".into()),
            client_key_path: Some("c.key".into()),
            ..pfx.clone()
        };
        let err = IdentityFiles::of(&with_pem).unwrap_err();
        assert!(err.message().starts_with("client_pfx_path: "), "{err}");
        let unfilled = TlsSettings {
            client_pfx_path: None,
            client_pfx_password: Some(Secret::default()),
            ..Default::default()
        };
        assert_eq!(IdentityFiles::of(&unfilled).unwrap(), None);
        let password = Some(Secret("pw".into()));
        for settings in [
            TlsSettings {
                client_pfx_password: password.clone(),
                ..Default::default()
            },
            TlsSettings {
                client_pfx_path: None,
                client_pfx_password: password.clone(),
                ..with_pem
            },
        ] {
            let err = IdentityFiles::of(&settings).unwrap_err();
            assert!(err.message().starts_with("client_pfx_password: "), "{err}");
        }
    }

    #[test]
    fn a_server_identity_names_the_server_settings() {
        let err =
            IdentityFiles::from_fields(Some("s.pem"), None, None, None, &IdentityFields::SERVER)
                .unwrap_err();
        assert_eq!(
            err.message(),
            "key_path: a server certificate needs its key"
        );
        let both = IdentityFiles::from_fields(
            Some("s.pem"),
            Some("s.key"),
            Some("s.pfx"),
            None,
            &IdentityFields::SERVER,
        )
        .unwrap_err();
        assert!(both.message().starts_with("pfx_path: "), "{both}");
        assert!(both.message().contains("cert_path and key_path"), "{both}");
    }
}
