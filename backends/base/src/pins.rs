//! Certificate pinning: the TLS setting `pinned_sha256` read into [`Pins`], the pin form of a
//! public key (`sha256//<base64>`, as curl's `--pinnedpubkey` writes it), and the check of the
//! server's key against the pins, which every backend makes before the connection is handed out.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use crate::error::{Error, Result};
#[cfg(feature = "x509")]
use crate::refusal::{CertFacts, CertProblem};

/// The prefix of a pin in curl's form.
pub const PIN_PREFIX: &str = "sha256//";

/// The setting's name, as errors name it.
const PARAM: &str = "pinned_sha256";

/// Standard base64, read with or without the trailing `=`.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The SHA-256 digests of the SubjectPublicKeyInfo of the keys a server may have; empty when
/// nothing is pinned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Pins(Vec<[u8; 32]>);

impl Pins {
    /// Reads the entries of `pinned_sha256`. Each entry is one pin, or several joined by `;` (as
    /// curl takes them); a pin is `sha256//<base64>` or 64 hex digits, with or without colons
    /// between the pairs, in any case. Empty entries are skipped. A malformed pin is an
    /// [`argument`](crate::ErrorKind::Argument) error naming `pinned_sha256`, the entry (counted
    /// from 1 over the pins after splitting) and what is wrong with it.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Pins> {
        let pins = entries
            .iter()
            .flat_map(|entry| entry.as_ref().split(';'))
            .map(str::trim)
            .filter(|pin| !pin.is_empty());
        let mut digests = Vec::new();
        for (i, pin) in pins.enumerate() {
            let digest = parse_pin(pin).map_err(|why| {
                Error::argument(PARAM, format!("entry {} ({pin:?}) {why}", i + 1))
            })?;
            digests.push(digest);
        }
        Ok(Pins(digests))
    }

    /// Whether nothing is pinned.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `key_sha256`, the SHA-256 of a SubjectPublicKeyInfo, is one of the pins.
    pub fn contains(&self, key_sha256: &[u8]) -> bool {
        self.0.iter().any(|pin| pin[..] == *key_sha256)
    }
}

#[cfg(feature = "x509")]
impl Pins {
    /// Checks the server's certificate `leaf` (DER): accepted when nothing is pinned or the
    /// SHA-256 of its SubjectPublicKeyInfo is one of the pins; refused otherwise, naming the key
    /// seen in pin form (see [`CertProblem::KeyNotPinned`]).
    pub fn check(&self, leaf: &[u8]) -> std::result::Result<(), CertProblem> {
        if self.is_empty() {
            return Ok(());
        }
        let key = CertFacts::from_der(leaf).map(|facts| crate::digest::sha256(&facts.public_key));
        match key {
            Some(key) if self.contains(&key) => Ok(()),
            _ => Err(CertProblem::KeyNotPinned {
                key: key.map(|key| pin_text(&key)),
            }),
        }
    }
}

/// `pinned: sha256//…, sha256//…`, the detail of a refusal.
impl fmt::Display for Pins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pinned: ")?;
        for (i, pin) in self.0.iter().enumerate() {
            let separator = if i == 0 { "" } else { ", " };
            write!(f, "{separator}{}", pin_text(pin))?;
        }
        Ok(())
    }
}

/// A SHA-256 digest in pin form: `sha256//` and its standard base64.
pub fn pin_text(digest: &[u8]) -> String {
    format!("{PIN_PREFIX}{}", BASE64.encode(digest))
}

/// One pin's digest, or why it is not a pin (the words follow the entry's number and text).
fn parse_pin(pin: &str) -> std::result::Result<[u8; 32], String> {
    let digest = match pin.get(..PIN_PREFIX.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(PIN_PREFIX) => {
            let encoded = &pin[PIN_PREFIX.len()..];
            BASE64
                .decode(encoded)
                .map_err(|e| format!("is not sha256// and base64: {e}"))?
        }
        _ if pin.contains("//") => {
            return Err("is not a SHA-256 pin: only sha256// pins are supported".into())
        }
        _ => hex_digest(pin)?,
    };
    <[u8; 32]>::try_from(digest.as_slice()).map_err(|_| {
        format!(
            "holds {} bytes, where a SHA-256 fingerprint has 32",
            digest.len()
        )
    })
}

/// The bytes of hex digits written as pairs joined by colons (`AB:CD:…`) or without them.
fn hex_digest(pin: &str) -> std::result::Result<Vec<u8>, String> {
    let digits: Vec<u8> = if pin.contains(':') {
        let pairs: Vec<&str> = pin.split(':').collect();
        if let Some(bad) = pairs.iter().find(|p| p.len() != 2) {
            return Err(format!(
                "is not hex pairs joined by colons ({bad:?} is not a pair of digits)"
            ));
        }
        pairs.concat().into_bytes()
    } else {
        pin.as_bytes().to_vec()
    };
    if let Some(bad) = digits.iter().find(|b| !b.is_ascii_hexdigit()) {
        let looks_base64 = pin.ends_with('=') || pin.contains('+') || pin.contains('/');
        let hint = if looks_base64 {
            " (a base64 pin starts with sha256//)"
        } else {
            ""
        };
        return Err(format!(
            "is not sha256//<base64> nor hex: {:?} is not a hex digit{hint}",
            char::from(*bad)
        ));
    }
    if digits.len() != 64 {
        return Err(format!(
            "has {} hex digits, where a SHA-256 fingerprint has 64",
            digits.len()
        ));
    }
    Ok(digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).unwrap_or("00");
            u8::from_str_radix(text, 16).unwrap_or(0)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const DIGEST: [u8; 32] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54,
        0x32, 0x10,
    ];

    fn error_of(entries: &[&str]) -> String {
        let err = Pins::parse(entries).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument);
        err.message().to_string()
    }

    #[test]
    fn every_form_reads_as_the_same_digest() {
        let hex: String = DIGEST.iter().map(|b| format!("{b:02x}")).collect();
        let colons = crate::digest::fingerprint_hex(&DIGEST);
        let base64 = pin_text(&DIGEST);
        assert!(base64.starts_with("sha256//") && base64.ends_with('='));
        let unpadded = base64.trim_end_matches('=').to_string();
        let upper_prefix = base64.replace("sha256//", "SHA256//");
        for form in [
            hex.clone(),
            hex.to_uppercase(),
            colons.clone(),
            colons.to_lowercase(),
            base64.clone(),
            unpadded,
            upper_prefix,
        ] {
            let pins = Pins::parse(&[form.as_str()]).unwrap();
            assert!(pins.contains(&DIGEST), "{form}");
            assert!(!pins.contains(&[0; 32]), "{form}");
        }
        let joined = format!("{base64}; {hex};;");
        let pins = Pins::parse(&[joined.as_str(), "", colons.as_str()]).unwrap();
        assert_eq!(pins.0.len(), 3);
        assert_eq!(
            pins.to_string(),
            format!("pinned: {base64}, {base64}, {base64}")
        );
        assert!(Pins::parse::<&str>(&[]).unwrap().is_empty());
        assert!(Pins::parse(&[" ; "]).unwrap().is_empty());
    }

    #[test]
    fn malformed_pins_are_named_with_the_reason() {
        let good = pin_text(&DIGEST);
        let short = format!("{good};sha256//AAAA");
        let message = error_of(&[short.as_str()]);
        assert!(
            message.starts_with("pinned_sha256: entry 2 (\"sha256//AAAA\")"),
            "{message}"
        );
        assert!(
            message.contains("3 bytes, where a SHA-256 fingerprint has 32"),
            "{message}"
        );
        assert!(error_of(&["sha256//!!"]).contains("base64"));
        assert!(error_of(&["sha1//abc="]).contains("only sha256// pins"));
        assert!(error_of(&["abcd"]).contains("has 4 hex digits"));
        assert!(error_of(&[&"zz".repeat(32)]).contains("'z' is not a hex digit"));
        let bare = good.trim_start_matches("sha256//");
        assert!(error_of(&[bare]).contains("a base64 pin starts with sha256//"));
        assert!(error_of(&["AB:CD:E"]).contains("\"E\" is not a pair"));
        let cert_sized = "ab".repeat(20);
        assert!(error_of(&[&cert_sized]).contains("has 40 hex digits"));
    }
}
