//! SHA-256 digests of what the server presents, and how they are written.

use std::fmt;

/// A digest as upper-case hex pairs joined by colons: `AB:CD:…`.
pub fn fingerprint_hex(digest: &[u8]) -> String {
    use fmt::Write as _;
    let mut text = String::with_capacity(digest.len() * 3);
    for (i, byte) in digest.iter().enumerate() {
        if i > 0 {
            text.push(':');
        }
        let _ = write!(text, "{byte:02X}");
    }
    text
}

/// The SHA-256 fingerprint of a DER certificate (see [`TlsInfo::peer_sha256`](crate::TlsInfo::peer_sha256)), hashed by ring.
#[cfg(feature = "x509")]
pub fn sha256_fingerprint(der: &[u8]) -> String {
    fingerprint_hex(&sha256(der))
}

/// The SHA-256 digest of `bytes`, by ring.
#[cfg(feature = "x509")]
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_colon_separated_upper_case_hex() {
        assert_eq!(fingerprint_hex(&[0xab, 0x01, 0xff]), "AB:01:FF");
        assert_eq!(fingerprint_hex(&[]), "");
    }
}
