//! The `--marker` syntax: text with backslash escapes, or `hex:` followed by hex digits.

use tcplink::{Error, Result};

/// Parses a marker: `hex:0d0a` gives those bytes; anything else is text whose escapes `\n`,
/// `\r`, `\t`, `\0`, `\\` and `\xHH` are replaced. An empty marker means none.
pub fn parse_marker(text: &str) -> Result<Vec<u8>> {
    match text.strip_prefix("hex:") {
        Some(digits) => parse_hex(digits, "--marker"),
        None => unescape(text, "--marker"),
    }
}

/// Decodes hex digits (spaces and colons between bytes are allowed: `0d 0a`, `0d:0a`).
fn parse_hex(digits: &str, param: &str) -> Result<Vec<u8>> {
    let clean: Vec<char> = digits.chars().filter(|c| !matches!(c, ' ' | ':')).collect();
    if clean.len() % 2 != 0 {
        return Err(Error::argument(
            param,
            format!("odd number of hex digits in {digits:?}"),
        ));
    }
    clean
        .chunks(2)
        .map(|pair| {
            let byte: String = pair.iter().collect();
            u8::from_str_radix(&byte, 16)
                .map_err(|_| Error::argument(param, format!("{byte:?} is not a hex byte")))
        })
        .collect()
}

/// Replaces backslash escapes in `text` and returns its UTF-8 bytes.
fn unescape(text: &str, param: &str) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut utf8 = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('r') => out.push(b'\r'),
            Some('t') => out.push(b'\t'),
            Some('0') => out.push(0),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let digits: String = chars.by_ref().take(2).collect();
                if digits.len() != 2 {
                    return Err(Error::argument(param, "\\x needs two hex digits"));
                }
                out.extend(parse_hex(&digits, param)?);
            }
            Some(other) => {
                return Err(Error::argument(
                    param,
                    format!("unknown escape \\{other} (known: \\n \\r \\t \\0 \\\\ \\xHH)"),
                ))
            }
            None => {
                return Err(Error::argument(
                    param,
                    "a trailing backslash escapes nothing",
                ))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_replaced() {
        assert_eq!(parse_marker(r"\r\n").unwrap(), b"\r\n");
        assert_eq!(parse_marker(r"END\t\\\0").unwrap(), b"END\t\\\0");
        assert_eq!(parse_marker(r"\x1b[").unwrap(), b"\x1b[");
        assert_eq!(parse_marker("конец").unwrap(), "конец".as_bytes());
        assert_eq!(parse_marker("").unwrap(), b"");
    }

    #[test]
    fn hex_markers_are_decoded() {
        assert_eq!(parse_marker("hex:0d0a").unwrap(), b"\r\n");
        assert_eq!(parse_marker("hex:FF 00:7f").unwrap(), [0xff, 0, 0x7f]);
    }

    #[test]
    fn bad_markers_are_argument_errors_naming_the_option() {
        for bad in ["hex:0d0", "hex:zz", r"\q", "abc\\", r"\x4"] {
            let err = parse_marker(bad).unwrap_err();
            assert_eq!(err.kind(), tcplink::ErrorKind::Argument, "{bad}");
            assert!(err.message().starts_with("--marker:"), "{}", err.message());
        }
    }
}
