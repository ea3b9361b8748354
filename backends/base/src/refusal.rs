//! Why a server's certificate was refused, in the same plain words whatever the backend: each
//! backend maps its own verdict (rustls's `CertificateError`, OpenSSL's `X509_V_ERR_*` codes,
//! native-tls's message) into a [`CertProblem`], and [`certificate_error`] turns it into the
//! [`tls`](ErrorKind::Tls) error the user sees, with the backend's own detail after it. A TLS
//! server refusing a client's certificate says so the same way ([`client_certificate_error`],
//! [`client_certificate_missing`]).

use std::fmt;

use crate::error::{Error, ErrorKind};

/// What is wrong with a server's certificate. The details (dates, names, issuer) are filled in
/// where the backend lets us see the certificate; the words are the same without them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// Self-signed or issued by a CA that is neither trusted nor in `ca_cert_path`.
    UnknownIssuer,
    /// The server sent a certificate whose issuer it did not send and nobody trusts: usually the
    /// intermediate certificate is missing from the server's configuration.
    IncompleteChain {
        /// The issuer the chain stops at, e.g. `CN=Intermediate`.
        issuer: Option<String>,
    },
    /// The validity period ended.
    Expired {
        /// The end of the validity period, `YYYY-MM-DD HH:MM:SS UTC`.
        not_after: Option<String>,
    },
    /// The validity period has not begun.
    NotYetValid {
        /// The start of the validity period, `YYYY-MM-DD HH:MM:SS UTC`.
        not_before: Option<String>,
    },
    /// The certificate does not name the host connected to.
    NameMismatch {
        /// The names it is for (subject alternative names, or the common name without them);
        /// empty when the backend does not say.
        names: Vec<String>,
    },
    /// A certificate marked as a CA (`CA:TRUE`) presented as the server's own, without being
    /// itself in `ca_cert_path`.
    CaAsEndEntity,
    /// An X.509 v1 certificate (no extensions) presented as the server's own, without being
    /// itself in `ca_cert_path`.
    V1EndEntity,
    /// The server's public key is none of those in `pinned_sha256`.
    KeyNotPinned {
        /// The key seen, in pin form (`sha256//…`); `None` when its certificate cannot be read.
        key: Option<String>,
    },
}

impl CertProblem {
    /// The plain words for a connection that checked the name `server_name`.
    pub fn describe(&self, server_name: &str) -> String {
        let named = "name this very certificate in ca_cert_path to trust it";
        match self {
            CertProblem::UnknownIssuer => "the certificate is not trusted (unknown issuer): it is \
                 not in ca_cert_path and no trusted CA issued it"
                .into(),
            CertProblem::IncompleteChain { issuer } => format!(
                "the chain is incomplete: the server did not send the intermediate certificate{}, \
                 and it is not a trusted CA",
                wrapped("", issuer.as_deref())
            ),
            CertProblem::Expired { not_after } => format!(
                "the certificate has expired{}",
                wrapped("not after ", not_after.as_deref())
            ),
            CertProblem::NotYetValid { not_before } => format!(
                "the certificate is not valid yet{}",
                wrapped("not before ", not_before.as_deref())
            ),
            CertProblem::NameMismatch { names } if names.is_empty() => {
                format!("the certificate is not for {server_name} (name mismatch)")
            }
            CertProblem::NameMismatch { names } => format!(
                "the certificate is for {}, not {server_name} (name mismatch)",
                names.join(", ")
            ),
            CertProblem::CaAsEndEntity => {
                format!("a CA certificate used as the server's certificate: {named}")
            }
            CertProblem::V1EndEntity => format!(
                "an X.509 v1 certificate (without extensions) used as the server's certificate: \
                 {named}"
            ),
            CertProblem::KeyNotPinned { key: Some(key) } => format!(
                "the server's public key {key} matches none of the pinned keys (pinned_sha256)"
            ),
            CertProblem::KeyNotPinned { key: None } => "the server's certificate cannot be read, \
                 so its public key matches none of the pinned keys (pinned_sha256)"
                .into(),
        }
    }

    /// The plain words for a client's certificate that a server checked against the CA
    /// certificates of `client_ca_path` and refused.
    pub fn describe_client(&self) -> String {
        match self {
            CertProblem::UnknownIssuer => "the client's certificate is not trusted (unknown \
                 issuer): no CA certificate in client_ca_path issued it"
                .into(),
            CertProblem::IncompleteChain { issuer } => format!(
                "the client's chain is incomplete: the client did not send the intermediate \
                 certificate{}, and it is not in client_ca_path",
                wrapped("", issuer.as_deref())
            ),
            CertProblem::Expired { not_after } => format!(
                "the client's certificate has expired{}",
                wrapped("not after ", not_after.as_deref())
            ),
            CertProblem::NotYetValid { not_before } => format!(
                "the client's certificate is not valid yet{}",
                wrapped("not before ", not_before.as_deref())
            ),
            CertProblem::CaAsEndEntity | CertProblem::V1EndEntity => "the client presented a CA \
                 or X.509 v1 certificate as its own: name this very certificate in \
                 client_ca_path to trust it"
                .into(),
            // Names and pins are not checked of a client: words for completeness.
            CertProblem::NameMismatch { .. } | CertProblem::KeyNotPinned { .. } => {
                "the client's certificate is refused".into()
            }
        }
    }

    /// This problem with its details taken from the server's certificate `leaf` and the last
    /// certificate the server sent, `top` (the leaf itself when it sent only that).
    #[cfg(feature = "x509")]
    pub fn with_details(self, leaf: Option<&CertFacts>, top: Option<&CertFacts>) -> CertProblem {
        match (self, leaf, top) {
            (CertProblem::IncompleteChain { .. }, _, Some(top)) => CertProblem::IncompleteChain {
                issuer: Some(top.issuer.clone()),
            },
            (CertProblem::Expired { .. }, Some(leaf), _) => CertProblem::Expired {
                not_after: Some(utc_text(leaf.not_after)),
            },
            (CertProblem::NotYetValid { .. }, Some(leaf), _) => CertProblem::NotYetValid {
                not_before: Some(utc_text(leaf.not_before)),
            },
            (CertProblem::NameMismatch { .. }, Some(leaf), _) => CertProblem::NameMismatch {
                names: leaf.names(),
            },
            (problem, _, _) => problem,
        }
    }
}

fn wrapped(prefix: &str, value: Option<&str>) -> String {
    value.map(|v| format!(" ({prefix}{v})")).unwrap_or_default()
}

/// The error of a handshake with `peer` (for `server_name`) that refused the certificate for
/// `problem`; the backend's own `detail` follows the plain words.
pub fn certificate_error(
    peer: &str,
    server_name: &str,
    problem: &CertProblem,
    detail: impl fmt::Display,
) -> Error {
    Error::new(
        ErrorKind::Tls,
        format!(
            "TLS handshake with {peer} failed: certificate rejected: {} [{detail}]",
            problem.describe(server_name)
        ),
    )
}

/// The error of a server's handshake with the client `peer` that refused the client's
/// certificate for `problem`; the backend's own `detail` follows the plain words.
pub fn client_certificate_error(
    peer: &str,
    problem: &CertProblem,
    detail: impl fmt::Display,
) -> Error {
    Error::new(
        ErrorKind::Tls,
        format!(
            "TLS handshake with {peer} failed: client certificate rejected: {} [{detail}]",
            problem.describe_client()
        ),
    )
}

/// The error of a server's handshake with the client `peer`, which presented no certificate
/// where one is required (`client_cert`: `"required"`); the backend's own `detail` follows.
pub fn client_certificate_missing(peer: &str, detail: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Tls,
        format!(
            "TLS handshake with {peer} failed: client certificate rejected: the client \
             presented no certificate, and one issued by a CA in client_ca_path is required \
             [{detail}]"
        ),
    )
}

/// The problem named by a backend's error text (OpenSSL's verify messages, which native-tls
/// passes on, and rustls's error names), without details.
pub fn certificate_reason(text: &str) -> Option<CertProblem> {
    let t = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&[
        "unable to get local issuer",
        "unable to get issuer",
        "unable to verify the first",
    ]) {
        Some(CertProblem::IncompleteChain { issuer: None })
    } else if has(&[
        "self-signed",
        "self signed",
        "unknown issuer",
        "unknownissuer",
        "not trusted",
    ]) {
        Some(CertProblem::UnknownIssuer)
    } else if has(&["not yet valid", "notvalidyet"]) {
        Some(CertProblem::NotYetValid { not_before: None })
    } else if has(&["expired"]) {
        Some(CertProblem::Expired { not_after: None })
    } else if has(&[
        "mismatch",
        "not valid for name",
        "notvalidforname",
        "principal name is incorrect",
    ]) {
        Some(CertProblem::NameMismatch { names: Vec::new() })
    } else {
        None
    }
}

/// What the checks need to know of one certificate, read from its DER.
#[cfg(feature = "x509")]
#[derive(Debug, Clone)]
pub struct CertFacts {
    /// The subject, e.g. `CN=localhost`.
    pub subject: String,
    /// The issuer, e.g. `CN=tcplink test CA`.
    pub issuer: String,
    /// The start of the validity period, seconds since 1970 (UTC).
    pub not_before: i64,
    /// The end of the validity period, seconds since 1970 (UTC).
    pub not_after: i64,
    /// The DNS names of the subject alternative names.
    pub dns_names: Vec<String>,
    /// The IP addresses of the subject alternative names.
    pub ip_addresses: Vec<std::net::IpAddr>,
    /// The subject's common names.
    pub common_names: Vec<String>,
    /// Whether the certificate has a subject alternative name extension.
    pub has_san: bool,
    /// The public key as a DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
}

#[cfg(feature = "x509")]
impl CertFacts {
    /// Reads a DER certificate; `None` if it does not parse.
    pub fn from_der(der: &[u8]) -> Option<CertFacts> {
        use x509_parser::extensions::GeneralName;
        use x509_parser::prelude::FromDer;
        let (_, cert) = x509_parser::certificate::X509Certificate::from_der(der).ok()?;
        let san = cert.subject_alternative_name().ok().flatten();
        let general = san
            .as_ref()
            .map(|s| s.value.general_names.as_slice())
            .unwrap_or(&[]);
        let dns_names = general
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(name) => Some(name.to_string()),
                _ => None,
            })
            .collect();
        let ip_addresses = general
            .iter()
            .filter_map(|n| match n {
                GeneralName::IPAddress(b) => match b.len() {
                    4 => Some(<[u8; 4]>::try_from(*b).ok()?.into()),
                    16 => Some(<[u8; 16]>::try_from(*b).ok()?.into()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let common_names = cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok().map(str::to_string))
            .collect();
        Some(CertFacts {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            dns_names,
            ip_addresses,
            common_names,
            has_san: san.is_some(),
            public_key: cert.public_key().raw.to_vec(),
        })
    }

    /// Whether the issuer is the subject (a self-signed certificate, or a root).
    pub fn self_issued(&self) -> bool {
        self.subject == self.issuer
    }

    /// The names it is for, as a user would read them: the subject alternative names, or the
    /// common names when there are none.
    pub fn names(&self) -> Vec<String> {
        if !self.has_san {
            return self.common_names.clone();
        }
        let ips = self.ip_addresses.iter().map(|ip| ip.to_string());
        self.dns_names.iter().cloned().chain(ips).collect()
    }

    /// Whether it is for `server_name`: an IP address must be among the SAN IP addresses; a host
    /// name among the SAN DNS names (a `*.` wildcard standing for one label), or the common names
    /// when there is no SAN. Names compare without case and without a final dot.
    pub fn is_for(&self, server_name: &str) -> bool {
        if let Ok(ip) = server_name.parse::<std::net::IpAddr>() {
            return self.ip_addresses.contains(&ip);
        }
        let wanted = server_name.trim_end_matches('.').to_ascii_lowercase();
        let names = if self.has_san {
            &self.dns_names
        } else {
            &self.common_names
        };
        names.iter().any(|name| {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            match name.strip_prefix("*.") {
                Some(parent) => wanted
                    .split_once('.')
                    .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
                None => name == wanted,
            }
        })
    }

    /// Whether `now` (seconds since 1970, UTC) is inside the validity period; the problem if not.
    pub fn validity_at(&self, now: i64) -> Result<(), CertProblem> {
        if now < self.not_before {
            Err(CertProblem::NotYetValid {
                not_before: Some(utc_text(self.not_before)),
            })
        } else if now > self.not_after {
            Err(CertProblem::Expired {
                not_after: Some(utc_text(self.not_after)),
            })
        } else {
            Ok(())
        }
    }
}

/// Seconds since 1970 as `YYYY-MM-DD HH:MM:SS UTC` (the proleptic Gregorian calendar).
pub fn utc_text(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_texts_name_their_problem() {
        assert_eq!(
            certificate_reason("invalid peer certificate: UnknownIssuer"),
            Some(CertProblem::UnknownIssuer)
        );
        assert_eq!(
            certificate_reason("certificate verify failed (self-signed certificate)"),
            Some(CertProblem::UnknownIssuer)
        );
        assert_eq!(
            certificate_reason("(unable to get local issuer certificate)"),
            Some(CertProblem::IncompleteChain { issuer: None })
        );
        assert_eq!(
            certificate_reason("certificate has expired"),
            Some(CertProblem::Expired { not_after: None })
        );
        assert_eq!(
            certificate_reason("certificate is not yet valid"),
            Some(CertProblem::NotYetValid { not_before: None })
        );
        assert_eq!(
            certificate_reason("hostname mismatch"),
            Some(CertProblem::NameMismatch { names: vec![] })
        );
        assert_eq!(certificate_reason("handshake failure"), None);
    }

    #[test]
    fn problems_are_told_in_plain_words() {
        let names = CertProblem::NameMismatch {
            names: vec!["a.example".into(), "10.0.0.1".into()],
        };
        assert_eq!(
            names.describe("b.example"),
            "the certificate is for a.example, 10.0.0.1, not b.example (name mismatch)"
        );
        let expired = CertProblem::Expired {
            not_after: Some(utc_text(1_609_372_800)),
        };
        assert_eq!(
            expired.describe("x"),
            "the certificate has expired (not after 2020-12-31 00:00:00 UTC)"
        );
        let unpinned = CertProblem::KeyNotPinned {
            key: Some("sha256//q80=".into()),
        };
        assert_eq!(
            unpinned.describe("x"),
            "the server's public key sha256//q80= matches none of the pinned keys (pinned_sha256)"
        );
        assert!(CertProblem::KeyNotPinned { key: None }
            .describe("x")
            .contains("cannot be read"));
        let err = certificate_error("h:1", "h", &CertProblem::UnknownIssuer, "raw");
        assert_eq!(err.kind(), ErrorKind::Tls);
        assert!(err.message().ends_with("[raw]"), "{}", err.message());
    }

    #[test]
    fn utc_text_counts_days_like_the_calendar() {
        assert_eq!(utc_text(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_text(951_825_599), "2000-02-29 11:59:59 UTC");
        assert_eq!(utc_text(4_102_444_800), "2100-01-01 00:00:00 UTC");
        assert_eq!(utc_text(-1), "1969-12-31 23:59:59 UTC");
    }
}
