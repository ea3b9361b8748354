//! What every TLS backend shares: the [`Backend`] names, the settings resolved for one connection
//! ([`TlsParams`]), what a handshake reports ([`TlsInfo`]) and the helpers that turn a backend's
//! failures into [`Error`]s, a refused certificate in the same plain words for every backend
//! ([`CertProblem`], [`certificate_error`]). The handshake itself, which dispatches to a backend crate, is in
//! `tcplink::tls`.

use std::fmt;
use std::path::PathBuf;

use cfg_if::cfg_if;

use crate::address::HostPort;
use crate::error::{Error, ErrorKind, Result};
use crate::settings::TlsSettings;

pub use crate::digest::fingerprint_hex;
#[cfg(feature = "x509")]
use crate::digest::sha256;
#[cfg(feature = "x509")]
pub use crate::digest::sha256_fingerprint;
pub use crate::identity::{IdentityFields, IdentityFiles};
pub use crate::pins::{pin_text, Pins, PIN_PREFIX};
#[cfg(feature = "x509")]
pub use crate::refusal::CertFacts;
pub use crate::refusal::{
    certificate_error, certificate_reason, client_certificate_error, client_certificate_missing,
    utc_text, CertProblem,
};

/// A TLS implementation tcplink can be built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// rustls 0.23 with the ring crypto provider.
    Rustls,
    /// OpenSSL through the `openssl` crate.
    Openssl,
    /// The platform's TLS through `native-tls` (SChannel on Windows, OpenSSL on Linux).
    NativeTls,
}

cfg_if! {
    if #[cfg(feature = "rustls")] {
        const DEFAULT_BACKEND: Option<Backend> = Some(Backend::Rustls);
    } else if #[cfg(feature = "openssl")] {
        const DEFAULT_BACKEND: Option<Backend> = Some(Backend::Openssl);
    } else if #[cfg(feature = "native-tls")] {
        const DEFAULT_BACKEND: Option<Backend> = Some(Backend::NativeTls);
    } else {
        const DEFAULT_BACKEND: Option<Backend> = None;
    }
}

impl Backend {
    /// Every backend, compiled in or not.
    pub const ALL: [Backend; 3] = [Backend::Rustls, Backend::Openssl, Backend::NativeTls];

    /// The name used in settings and reports: `rustls`, `openssl`, `native-tls`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Rustls => "rustls",
            Backend::Openssl => "openssl",
            Backend::NativeTls => "native-tls",
        }
    }

    /// Whether this build contains the backend.
    pub fn is_compiled(self) -> bool {
        match self {
            Backend::Rustls => cfg!(feature = "rustls"),
            Backend::Openssl => cfg!(feature = "openssl"),
            Backend::NativeTls => cfg!(feature = "native-tls"),
        }
    }

    /// The backends this build contains, the default first.
    pub fn compiled() -> Vec<Backend> {
        Backend::ALL
            .into_iter()
            .filter(|b| b.is_compiled())
            .collect()
    }

    /// The backend used when the settings name none.
    pub fn default_compiled() -> Option<Backend> {
        DEFAULT_BACKEND
    }

    /// Looks a backend up by name; an unknown name or one not compiled into this build is an
    /// [`argument`](ErrorKind::Argument) error (never a silent fallback).
    pub fn from_name(name: &str) -> Result<Backend> {
        let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
        let backend = Backend::ALL
            .into_iter()
            .find(|b| b.name() == wanted || (wanted == "nativetls" && *b == Backend::NativeTls))
            .ok_or_else(|| {
                Error::argument(
                    "backend",
                    format!("unknown TLS backend {name:?} (known: rustls, openssl, native-tls)"),
                )
            })?;
        if !backend.is_compiled() {
            return Err(Error::argument(
                "backend",
                format!(
                    "TLS backend {:?} is not compiled into this build (available: {})",
                    backend.name(),
                    compiled_names()
                ),
            ));
        }
        Ok(backend)
    }
}

fn compiled_names() -> String {
    let names: Vec<_> = Backend::compiled().into_iter().map(Backend::name).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

impl Backend {
    /// The backend the setting `backend` names, or the default one when it names none; a build
    /// without any is an [`argument`](ErrorKind::Argument) error naming `Tls`.
    pub fn chosen(name: Option<&str>) -> Result<Backend> {
        match name {
            Some(name) => Backend::from_name(name),
            None => Backend::default_compiled().ok_or_else(|| {
                Error::argument("Tls", "TLS was requested but this build has no TLS backend")
            }),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The lowest TLS protocol version a connection accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2 (the default minimum; older versions are never offered).
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

impl TlsVersion {
    /// The version the setting `min_version` names: `"1.2"` (also when absent) or `"1.3"`, with
    /// or without the `TLSv` prefix; anything else is an argument error naming `min_version`.
    pub fn parse(setting: Option<&str>) -> Result<TlsVersion> {
        match setting.map(str::trim) {
            None | Some("1.2") | Some("TLSv1.2") => Ok(TlsVersion::Tls12),
            Some("1.3") | Some("TLSv1.3") => Ok(TlsVersion::Tls13),
            Some(other) => Err(Error::argument(
                "min_version",
                format!("{other:?} is not supported (use \"1.2\" or \"1.3\")"),
            )),
        }
    }
}

/// Checks the setting `alpn`: each protocol name is 1 to 255 bytes, as ALPN's wire form allows.
pub fn check_alpn(alpn: &[String]) -> Result<()> {
    match alpn.iter().find(|p| p.is_empty() || p.len() > 255) {
        Some(bad) => Err(Error::argument(
            "alpn",
            format!("protocol name {bad:?} must be 1 to 255 bytes"),
        )),
        None => Ok(()),
    }
}

/// The ALPN protocol names in their wire form: each preceded by its length in one byte (the
/// names were checked by [`check_alpn`]).
pub fn alpn_wire(alpn: &[String]) -> Vec<u8> {
    let mut wire = Vec::new();
    for p in alpn {
        wire.push(p.len() as u8);
        wire.extend_from_slice(p.as_bytes());
    }
    wire
}

/// What a TLS handshake negotiated, and what the peer's certificate says: everything a user
/// needs to decide whether to trust it on first use and pin it. The peer is the server on a
/// connection made, and the client on a connection a TLS server accepted (its `peer_*` fields
/// are empty when the client presented no certificate).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TlsInfo {
    /// The backend that made the connection.
    pub backend: &'static str,
    /// The protocol version, e.g. `TLSv1.3`, where the backend reports it.
    pub version: Option<String>,
    /// The cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`, where the backend reports it.
    pub cipher: Option<String>,
    /// The ALPN protocol chosen (by the server), if any.
    pub alpn: Option<String>,
    /// The subject of the peer's certificate, e.g. `CN=localhost`.
    pub peer_subject: Option<String>,
    /// The issuer of the peer's certificate, e.g. `CN=tcplink test CA` (the subject again for
    /// a self-signed one).
    pub peer_issuer: Option<String>,
    /// The start of the certificate's validity period, `YYYY-MM-DD HH:MM:SS UTC`.
    pub peer_not_before: Option<String>,
    /// The end of the certificate's validity period, `YYYY-MM-DD HH:MM:SS UTC`.
    pub peer_not_after: Option<String>,
    /// The SHA-256 fingerprint of the peer's (leaf) certificate as upper-case hex pairs joined
    /// by colons, as `openssl x509 -fingerprint -sha256` prints it: `AB:CD:…`.
    pub peer_sha256: Option<String>,
    /// The SHA-256 of the peer's public key (its SubjectPublicKeyInfo) in pin form,
    /// `sha256//<base64>`: the value to put in `pinned_sha256`. It stays the same when the
    /// certificate is renewed with the same key.
    pub peer_key_sha256: Option<String>,
    /// Whether the session was resumed from an earlier connection, where the backend reports it.
    pub resumed: Option<bool>,
}

impl TlsInfo {
    /// This report as a JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("TLS info serialises")
    }

    /// A report by `backend` with the peer's certificate `leaf` (DER) read into the `peer_*`
    /// fields, where it parses; the negotiated fields are left for the backend to fill.
    #[cfg(feature = "x509")]
    pub fn with_peer(backend: &'static str, leaf: Option<&[u8]>) -> TlsInfo {
        let mut info = TlsInfo {
            backend,
            peer_sha256: leaf.map(sha256_fingerprint),
            ..TlsInfo::default()
        };
        if let Some(facts) = leaf.and_then(CertFacts::from_der) {
            info.peer_key_sha256 = Some(crate::pins::pin_text(&sha256(&facts.public_key)));
            info.peer_not_before = Some(utc_text(facts.not_before));
            info.peer_not_after = Some(utc_text(facts.not_after));
            info.peer_issuer = Some(facts.issuer);
            info.peer_subject = Some(facts.subject);
        }
        info
    }
}

/// TLS settings resolved and checked for one connection.
#[derive(Debug, Clone)]
pub struct TlsParams {
    /// The backend to use.
    pub backend: Backend,
    /// The name to send as SNI and to verify the certificate against.
    pub server_name: String,
    /// Whether to verify the certificate chain, dates and host name (the pins are checked
    /// either way).
    pub verify: bool,
    /// Extra trusted CA certificates (PEM).
    pub ca_file: Option<PathBuf>,
    /// The client's certificate and key, for mutual TLS.
    pub client_identity: Option<IdentityFiles>,
    /// ALPN protocols to offer.
    pub alpn: Vec<String>,
    /// The lowest version accepted.
    pub min_version: TlsVersion,
    /// The public keys the server may have (`pinned_sha256`); empty when nothing is pinned.
    pub pins: Pins,
}

impl TlsParams {
    /// Checks `settings` for a connection to `target`: the backend, the minimum version, and the
    /// client identity ([`IdentityFiles::of`]). File contents are checked by the backend.
    pub fn new(settings: &TlsSettings, target: &HostPort) -> Result<TlsParams> {
        let backend = Backend::chosen(settings.backend.as_deref())?;
        let min_version = TlsVersion::parse(settings.min_version.as_deref())?;
        let client_identity = IdentityFiles::of(settings)?;
        check_alpn(&settings.alpn)?;
        let pins = Pins::parse(&settings.pinned_sha256)?;
        Ok(TlsParams {
            backend,
            server_name: settings
                .server_name
                .clone()
                .unwrap_or_else(|| target.host.clone()),
            verify: !settings.accept_invalid_certs,
            ca_file: settings.ca_cert_path.as_ref().map(PathBuf::from),
            client_identity,
            alpn: settings.alpn.clone(),
            min_version,
            pins,
        })
    }
}

/// Reads a file named by the TLS setting `param`; failure is an argument error naming both.
pub fn read_setting_file(path: &std::path::Path, param: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::argument(param, format!("cannot read {}: {e}", path.display())))
}

/// The error of a failed handshake with `peer` that is not about the certificate (refusals of
/// the certificate go through [`certificate_error`]).
pub fn handshake_error(peer: &str, detail: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Tls,
        format!("TLS handshake with {peer} failed: {detail}"),
    )
}

/// The error of an I/O failure during the handshake with `peer`: time-outs stay time-outs,
/// anything else is a TLS failure.
pub fn handshake_io_error(peer: &str, err: &std::io::Error) -> Error {
    let e = Error::from_io(err, &format!("TLS handshake with {peer}"));
    match e.kind() {
        ErrorKind::Timeout => e,
        ErrorKind::Closed => Error::new(
            ErrorKind::Tls,
            format!("TLS handshake with {peer} failed: the peer closed the connection ({err})"),
        ),
        _ => handshake_error(peer, err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names_resolve_only_when_compiled() {
        for b in Backend::ALL {
            let result = Backend::from_name(b.name());
            assert_eq!(result.is_ok(), b.is_compiled(), "{b}");
            if let Err(e) = result {
                assert_eq!(e.kind(), ErrorKind::Argument);
                assert!(e.message().contains("not compiled"));
            }
        }
        assert_eq!(
            Backend::from_name("gnutls").unwrap_err().kind(),
            ErrorKind::Argument
        );
        assert_eq!(
            Backend::default_compiled(),
            Backend::compiled().first().copied()
        );
    }

    #[test]
    fn params_check_version_and_identity() {
        let target = HostPort::parse("example.com:443", "a").unwrap();
        let mut s = TlsSettings {
            use_tls: true,
            ..Default::default()
        };
        if Backend::default_compiled().is_none() {
            assert_eq!(
                TlsParams::new(&s, &target).unwrap_err().kind(),
                ErrorKind::Argument
            );
            return;
        }
        let p = TlsParams::new(&s, &target).unwrap();
        assert_eq!(
            (p.server_name.as_str(), p.verify, p.min_version),
            ("example.com", true, TlsVersion::Tls12)
        );
        s.min_version = Some("1.1".into());
        assert!(TlsParams::new(&s, &target)
            .unwrap_err()
            .message()
            .contains("min_version"));
        s.min_version = Some("1.3".into());
        s.client_cert_path = Some("c.pem".into());
        assert!(TlsParams::new(&s, &target)
            .unwrap_err()
            .message()
            .contains("client_key_path"));
    }
}
