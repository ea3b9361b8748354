//! The TLS settings users pass as JSON (the seed's format, extended), and what every settings
//! parser shares: the two helpers `tcplink`'s proxy settings are read with, and [`Secret`], the
//! password that never shows (a proxy's, a PKCS#12 file's).

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// TLS settings. The seed's fields `use_tls`, `accept_invalid_certs` and `ca_cert_path` keep
/// their meaning; the others are optional additions. Unknown fields are rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// Whether to use TLS at all. A non-empty settings object without this field means `true`.
    #[serde(default = "yes")]
    pub use_tls: bool,
    /// Turns off certificate verification: the chain, the dates and the host name. Pins in
    /// `pinned_sha256` are still checked: with them this means "the pin is the only check".
    #[serde(default)]
    pub accept_invalid_certs: bool,
    /// A PEM file of CA certificates trusted in addition to the system's roots.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub ca_cert_path: Option<String>,
    /// A PEM file with the client certificate chain, for mutual TLS.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub client_cert_path: Option<String>,
    /// A PEM file with the client's private key, for mutual TLS.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub client_key_path: Option<String>,
    /// A PKCS#12 file (`.pfx`, `.p12`: what Windows exports from its certificate store) with the
    /// client certificate, its chain and its private key, for mutual TLS; instead of
    /// `client_cert_path` and `client_key_path`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub client_pfx_path: Option<String>,
    /// The password of `client_pfx_path` (none: the empty password). Never shown in `Debug`
    /// output or messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_pfx_password: Option<Secret>,
    /// The name to send as SNI and to verify the certificate against, instead of the host.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub server_name: Option<String>,
    /// ALPN protocols to offer, most preferred first.
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
    /// The SHA-256 fingerprints of the public keys (SubjectPublicKeyInfo) the server may have,
    /// each `sha256//<base64>` (curl's form; several may be joined by `;`) or 64 hex digits with
    /// or without colons. JSON: a string or an array of strings. With pins, a server whose key
    /// matches none is refused; with `accept_invalid_certs` as well, the pin is the only check
    /// (see `tls::Pins`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many"
    )]
    pub pinned_sha256: Vec<String>,
}

/// The settings JSON `text` stands for: the text itself when it is an object, or the contents of
/// the file it names when it is a path ending in `.json` (as OPI accepts); anything else is an
/// argument error naming `param` and calling the settings `what`. Settings are a JSON object:
/// serde would also build a struct from an array (`[]` would turn TLS on with every default),
/// which no caller means.
pub fn settings_json<'a>(text: &'a str, param: &str, what: &str) -> Result<Cow<'a, str>> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        return Ok(Cow::Borrowed(text));
    }
    if trimmed.to_ascii_lowercase().ends_with(".json") {
        return std::fs::read_to_string(trimmed)
            .map(Cow::Owned)
            .map_err(|e| {
                Error::argument(
                    param,
                    format!("cannot read the {what} settings file {trimmed}: {e}"),
                )
            });
    }
    Err(Error::argument(
        param,
        format!(
            "invalid {what} settings JSON: expected an object {{...}} or a path to a .json file"
        ),
    ))
}

/// A secret string (a password) that never shows in `Debug` output or error messages. A
/// malformed one in settings JSON (a number, an array) is refused without its value: serde's own
/// message would quote it.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        /// Takes a string; anything else is refused by its type alone.
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a password as a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> std::result::Result<Secret, E> {
                Err(E::custom("a password must be a string, not a boolean"))
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> std::result::Result<Secret, E> {
                Err(E::custom("a password must be a string, not a number"))
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> std::result::Result<Secret, E> {
                Err(E::custom("a password must be a string, not a number"))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> std::result::Result<Secret, E> {
                Err(E::custom("a password must be a string, not a number"))
            }
        }
        // deserialize_any: serde_json would quote a number itself before a visitor saw it.
        d.deserialize_any(Text)
    }
}

/// `true`, the default of `use_tls` (for `#[serde(default)]`).
pub(crate) fn yes() -> bool {
    true
}

/// Reads an optional string, treating `""` and `null` as absent (for `#[serde(deserialize_with)]`).
pub fn non_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    let value: Option<String> = Option::deserialize(d)?;
    Ok(value.filter(|s| !s.trim().is_empty()))
}

/// Reads a string or an array of strings as a list (`null`: empty), for
/// `#[serde(deserialize_with)]`.
pub fn one_or_many<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(
        untagged,
        expecting = "pinned_sha256 as a string or an array of strings"
    )]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

impl TlsSettings {
    /// Parses settings JSON, given as text or as the path of a `.json` file holding it. An empty
    /// string means plain TCP (`None`), as does
    /// `"use_tls": false`. Malformed JSON and unknown fields are
    /// [`argument`](crate::ErrorKind::Argument) errors that name the parameter and the field.
    pub fn from_json(text: &str) -> Result<Option<TlsSettings>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let text = settings_json(text, "Tls", "TLS")?;
        let settings: TlsSettings = serde_json::from_str(&text)
            .map_err(|e| Error::argument("Tls", format!("invalid TLS settings JSON: {e}")))?;
        Ok(settings.use_tls.then_some(settings))
    }

    /// The seed's `GetTlsSettings`: TLS on, with verification off if asked, and a CA file.
    pub fn seed(accept_invalid_certs: bool, ca_cert_path: &str) -> TlsSettings {
        TlsSettings {
            use_tls: true,
            accept_invalid_certs,
            ca_cert_path: Some(ca_cert_path.to_string()).filter(|p| !p.is_empty()),
            ..TlsSettings::default()
        }
    }

    /// These settings as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("settings serialise")
    }
}
