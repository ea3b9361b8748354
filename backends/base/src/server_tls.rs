//! A TLS server's settings: [`ServerTlsSettings`], what users pass as JSON (the server's
//! certificate and key, client-certificate verification for mutual TLS, the lowest version, ALPN,
//! the backend), and [`ServerTlsParams`], the same resolved and checked before any connection is
//! accepted. The server handshake itself dispatches to a backend crate in `tcplink::tls::accept`.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::identity::{IdentityFields, IdentityFiles};
use crate::settings::{non_empty, settings_json, yes, Secret};
use crate::tls::{check_alpn, read_setting_file, Backend, TlsVersion};

/// A TLS server's settings. Unknown fields are rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTlsSettings {
    /// Whether to use TLS at all. A non-empty settings object without this field means `true`.
    #[serde(default = "yes")]
    pub use_tls: bool,
    /// A PEM file with the server's certificate chain, the server's own certificate first.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub cert_path: Option<String>,
    /// A PEM file with the server's private key.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub key_path: Option<String>,
    /// A PKCS#12 file (`.pfx`, `.p12`) with the server's certificate, its chain and its private
    /// key; instead of `cert_path` and `key_path`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub pfx_path: Option<String>,
    /// The password of `pfx_path` (none: the empty password). Never shown in `Debug` output or
    /// messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pfx_password: Option<Secret>,
    /// A PEM file of the CA certificates that issue client certificates: with it, clients are
    /// asked for a certificate (mutual TLS) and one that no CA here issued is refused. Not
    /// available with the native-tls backend.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub client_ca_path: Option<String>,
    /// With `client_ca_path`: `"required"` (the default; a client without a certificate is
    /// refused) or `"optional"` (a client may come without one; one it presents must verify).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub client_cert: Option<String>,
    /// ALPN protocols the server speaks, most preferred first. A client that offers none of
    /// them: the rustls backend refuses it (RFC 7301's `no_application_protocol`), OpenSSL and
    /// native-tls go on without ALPN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alpn: Vec<String>,
    /// The lowest TLS version to accept: `"1.2"` (the default) or `"1.3"`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub min_version: Option<String>,
    /// The TLS backend: `"rustls"`, `"openssl"` or `"native-tls"`; the default is the first
    /// compiled in, in that order.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub backend: Option<String>,
}

impl ServerTlsSettings {
    /// Parses settings JSON, given as text or as the path of a `.json` file holding it. An empty
    /// string means plain TCP (`None`), as does `"use_tls": false`. Malformed JSON and unknown
    /// fields are [`argument`](crate::ErrorKind::Argument) errors that name the parameter `Tls`
    /// and the field.
    pub fn from_json(text: &str) -> Result<Option<ServerTlsSettings>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let text = settings_json(text, "Tls", "server TLS")?;
        let settings: ServerTlsSettings = serde_json::from_str(&text).map_err(|e| {
            Error::argument("Tls", format!("invalid server TLS settings JSON: {e}"))
        })?;
        Ok(settings.use_tls.then_some(settings))
    }

    /// These settings as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("settings serialise")
    }
}

/// How a server verifies client certificates (mutual TLS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientVerify {
    /// The CA certificates that issue client certificates (PEM, `client_ca_path`).
    pub ca_file: PathBuf,
    /// Whether a client without a certificate is refused.
    pub required: bool,
}

/// A TLS server's settings resolved and checked.
#[derive(Debug, Clone)]
pub struct ServerTlsParams {
    /// The backend to use.
    pub backend: Backend,
    /// The server's certificate chain and key.
    pub identity: IdentityFiles,
    /// Client-certificate verification, for mutual TLS; `None`: clients are not asked for one.
    pub client_verify: Option<ClientVerify>,
    /// ALPN protocols the server speaks, most preferred first.
    pub alpn: Vec<String>,
    /// The lowest version accepted.
    pub min_version: TlsVersion,
}

impl ServerTlsParams {
    /// Checks `settings`: the backend, the minimum version, ALPN, the server's identity (which
    /// must be given) and client verification, and that every file named can be read. Each
    /// problem is an [`argument`](crate::ErrorKind::Argument) error naming the field. What the
    /// files hold is checked by the backend (`tcplink::tls::prepare_accept`).
    pub fn new(settings: &ServerTlsSettings) -> Result<ServerTlsParams> {
        let backend = Backend::chosen(settings.backend.as_deref())?;
        let min_version = TlsVersion::parse(settings.min_version.as_deref())?;
        check_alpn(&settings.alpn)?;
        let fields = &IdentityFields::SERVER;
        let identity = IdentityFiles::from_fields(
            settings.cert_path.as_deref(),
            settings.key_path.as_deref(),
            settings.pfx_path.as_deref(),
            settings.pfx_password.as_ref(),
            fields,
        )?
        .ok_or_else(|| {
            Error::argument(
                "cert_path",
                "a TLS server needs its certificate and key: give cert_path and key_path (PEM \
                 files) or pfx_path (a PKCS#12 file)",
            )
        })?;
        match &identity {
            IdentityFiles::Pem { cert, key } => {
                read_setting_file(cert, fields.cert)?;
                read_setting_file(key, fields.key)?;
            }
            IdentityFiles::Pkcs12 { path, .. } => {
                read_setting_file(path, fields.pfx)?;
            }
        }
        let client_verify = ClientVerify::of(settings)?;
        if let Some(verify) = &client_verify {
            if backend == Backend::NativeTls {
                return Err(client_verify_unsupported(backend));
            }
            read_setting_file(&verify.ca_file, "client_ca_path")?;
        }
        Ok(ServerTlsParams {
            backend,
            identity,
            client_verify,
            alpn: settings.alpn.clone(),
            min_version,
        })
    }
}

impl ClientVerify {
    /// The verification `settings` ask for: `client_cert` only with `client_ca_path`.
    fn of(settings: &ServerTlsSettings) -> Result<Option<ClientVerify>> {
        let required = match settings.client_cert.as_deref().map(str::trim) {
            None => true,
            Some(v) if v.eq_ignore_ascii_case("required") => true,
            Some(v) if v.eq_ignore_ascii_case("optional") => false,
            Some(other) => {
                return Err(Error::argument(
                    "client_cert",
                    format!("{other:?} is not known (use \"required\" or \"optional\")"),
                ))
            }
        };
        match (&settings.client_ca_path, &settings.client_cert) {
            (Some(ca), _) => Ok(Some(ClientVerify {
                ca_file: PathBuf::from(ca),
                required,
            })),
            (None, Some(_)) => Err(Error::argument(
                "client_ca_path",
                "client_cert asks for client certificates, which are verified against the CA \
                 certificates in client_ca_path: give that file",
            )),
            (None, None) => Ok(None),
        }
    }
}

/// The error for client-certificate verification asked of `backend`, which cannot do it (the
/// native-tls crate offers no way to ask a client for a certificate); names `client_ca_path`.
pub fn client_verify_unsupported(backend: impl fmt::Display) -> Error {
    Error::argument(
        "client_ca_path",
        format!(
            "the {backend} backend cannot verify client certificates (the native-tls crate has \
             no way to ask a client for one): use the rustls or openssl backend for mutual TLS"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn files() -> (tempfile::TempDir, ServerTlsSettings) {
        let dir = tempfile::tempdir().unwrap();
        for name in ["s.pem", "s.key", "ca.pem"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let path = |name: &str| Some(dir.path().join(name).to_string_lossy().into_owned());
        let settings = ServerTlsSettings {
            use_tls: true,
            cert_path: path("s.pem"),
            key_path: path("s.key"),
            ..Default::default()
        };
        (dir, settings)
    }

    fn field_of(settings: &ServerTlsSettings) -> String {
        let err = ServerTlsParams::new(settings).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
        err.message().split(':').next().unwrap().to_string()
    }

    #[test]
    fn json_is_read_and_checked() {
        assert_eq!(ServerTlsSettings::from_json("  ").unwrap(), None);
        assert_eq!(
            ServerTlsSettings::from_json(r#"{"use_tls": false, "cert_path": "a"}"#).unwrap(),
            None
        );
        let s = ServerTlsSettings::from_json(
            r#"{"cert_path": "s.pem", "key_path": "s.key", "client_ca_path": "",
                "alpn": ["h2"], "client_cert": "optional"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.client_ca_path, None);
        assert_eq!(s.alpn, ["h2"]);
        let back = ServerTlsSettings::from_json(&s.to_json()).unwrap().unwrap();
        assert_eq!(back, s);
        for bad in [r#"{"cert": "a"}"#, "[]", r#"{"pfx_password": 5}"#] {
            let err = ServerTlsSettings::from_json(bad).unwrap_err();
            assert!(err.message().starts_with("Tls: "), "{err}");
        }
    }

    #[test]
    fn the_password_never_shows() {
        let s = ServerTlsSettings::from_json(r#"{"pfx_path": "s.pfx", "pfx_password": "Sekr3t"}"#)
            .unwrap()
            .unwrap();
        assert!(!format!("{s:?}").contains("Sekr3t"));
        let err = ServerTlsParams::new(&s).err().map(|e| e.to_string());
        assert!(!format!("{err:?}").contains("Sekr3t"), "{err:?}");
        if Backend::default_compiled().is_some() {
            let pfx = tempfile::NamedTempFile::new().unwrap();
            let p = ServerTlsParams::new(&ServerTlsSettings {
                pfx_path: Some(pfx.path().to_string_lossy().into_owned()),
                ..s
            })
            .unwrap();
            assert!(!format!("{p:?}").contains("Sekr3t"), "{p:?}");
        }
    }

    #[test]
    fn every_problem_names_its_field() {
        let Some(backend) = Backend::default_compiled() else {
            return;
        };
        let (dir, good) = files();
        let p = ServerTlsParams::new(&good).unwrap();
        assert_eq!((p.backend, p.client_verify), (backend, None));
        let ca = Some(dir.path().join("ca.pem").to_string_lossy().into_owned());
        if backend != Backend::NativeTls {
            let optional = ServerTlsParams::new(&ServerTlsSettings {
                client_ca_path: ca.clone(),
                client_cert: Some("Optional".into()),
                ..good.clone()
            });
            assert!(!optional.unwrap().client_verify.unwrap().required);
        }
        let missing = Some("/nonexistent/x.pem".to_string());
        let cases: Vec<(ServerTlsSettings, &str)> = vec![
            (
                ServerTlsSettings {
                    cert_path: None,
                    key_path: None,
                    ..good.clone()
                },
                "cert_path",
            ),
            (
                ServerTlsSettings {
                    key_path: None,
                    ..good.clone()
                },
                "key_path",
            ),
            (
                ServerTlsSettings {
                    cert_path: missing.clone(),
                    ..good.clone()
                },
                "cert_path",
            ),
            (
                ServerTlsSettings {
                    key_path: missing.clone(),
                    ..good.clone()
                },
                "key_path",
            ),
            (
                ServerTlsSettings {
                    pfx_path: missing.clone(),
                    ..good.clone()
                },
                "pfx_path",
            ),
            (
                ServerTlsSettings {
                    client_ca_path: missing.clone(),
                    ..good.clone()
                },
                "client_ca_path",
            ),
            (
                ServerTlsSettings {
                    client_cert: Some("required".into()),
                    ..good.clone()
                },
                "client_ca_path",
            ),
            (
                ServerTlsSettings {
                    client_ca_path: ca.clone(),
                    client_cert: Some("sometimes".into()),
                    ..good.clone()
                },
                "client_cert",
            ),
            (
                ServerTlsSettings {
                    min_version: Some("1.1".into()),
                    ..good.clone()
                },
                "min_version",
            ),
            (
                ServerTlsSettings {
                    alpn: vec![String::new()],
                    ..good.clone()
                },
                "alpn",
            ),
            (
                ServerTlsSettings {
                    backend: Some("schannel".into()),
                    ..good.clone()
                },
                "backend",
            ),
        ];
        for (settings, field) in cases {
            assert_eq!(field_of(&settings), field, "{settings:?}");
        }
        if Backend::NativeTls.is_compiled() {
            let err = ServerTlsParams::new(&ServerTlsSettings {
                client_ca_path: ca,
                backend: Some("native-tls".into()),
                ..good
            })
            .unwrap_err();
            assert!(err.message().starts_with("client_ca_path: "), "{err}");
            assert!(err.message().contains("native-tls"), "{err}");
        }
    }
}
