//! Text encodings for `ОтправитьСтроку` / `ПрочитатьСтроку` (`SendLine` / `ReadLine`), by name,
//! through `encoding_rs`.
//!
//! Any WHATWG label is accepted (`UTF-8`, `windows-1251`/`cp1251`, `KOI8-R`, `cp866`/`IBM866`,
//! `UTF-16LE`/`UTF-16`, `UTF-16BE`, ...), case-insensitively, and so are 1C's names `ANSI`
//! (windows-1251) and `OEM` (cp866), as `КодировкаТекста.ANSI` and `.OEM` mean in a Russian
//! locale. encoding_rs only decodes UTF-16, so encoding to it is done here.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};
use tcplink::{Error, Result};

/// A text encoding chosen by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding(&'static Encoding);

impl TextEncoding {
    /// UTF-8, the default of every text parameter.
    pub const UTF8: TextEncoding = TextEncoding(encoding_rs::UTF_8);

    /// Looks an encoding up by name; an unknown name is an `argument` error for `param`.
    pub fn from_name(name: &str, param: &str) -> Result<TextEncoding> {
        let label = match name.trim() {
            ansi if ansi.eq_ignore_ascii_case("ANSI") => "windows-1251",
            oem if oem.eq_ignore_ascii_case("OEM") => "IBM866",
            other => other,
        };
        Encoding::for_label_no_replacement(label.as_bytes())
            .map(TextEncoding)
            .ok_or_else(|| {
                Error::argument(
                    param,
                    format!("unknown encoding {name:?} (for example UTF-8, windows-1251, ANSI, KOI8-R, CP866, OEM, UTF-16LE)"),
                )
            })
    }

    /// The canonical name, e.g. `windows-1251`.
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Encodes `text`. A character the encoding cannot represent is an `argument` error for
    /// `param` (encoding_rs would silently write an HTML character reference instead).
    pub fn encode(self, text: &str, param: &str) -> Result<Vec<u8>> {
        if self.0 == UTF_16LE {
            return Ok(text.encode_utf16().flat_map(u16::to_le_bytes).collect());
        }
        if self.0 == UTF_16BE {
            return Ok(text.encode_utf16().flat_map(u16::to_be_bytes).collect());
        }
        let (bytes, _, unmappable) = self.0.encode(text);
        if unmappable {
            let bad = text
                .chars()
                .find(|c| self.0.encode(c.encode_utf8(&mut [0; 4])).2)
                .unwrap_or('?');
            return Err(Error::argument(
                param,
                format!("the character {bad:?} cannot be written in {}", self.name()),
            ));
        }
        Ok(bytes.into_owned())
    }

    /// Decodes `bytes` exactly as they are (a byte order mark is kept as U+FEFF); malformed
    /// sequences become U+FFFD.
    pub fn decode(self, bytes: &[u8]) -> String {
        self.0.decode_without_bom_handling(bytes).0.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcplink::ErrorKind;

    #[test]
    fn the_required_encodings_round_trip_cyrillic() {
        let text = "Привет, мир! 123";
        for name in [
            "UTF-8",
            "windows-1251",
            "KOI8-R",
            "CP866",
            "UTF-16LE",
            "utf-16be",
            "cp1251",
            "utf8",
        ] {
            let enc = TextEncoding::from_name(name, "Кодировка").unwrap();
            let bytes = enc.encode(text, "Данные").unwrap();
            assert_eq!(enc.decode(&bytes), text, "{name}");
        }
    }

    #[test]
    fn known_byte_values() {
        let enc = |n| TextEncoding::from_name(n, "Кодировка").unwrap();
        assert_eq!(enc("windows-1251").encode("Я", "x").unwrap(), [0xDF]);
        assert_eq!(enc("KOI8-R").encode("Я", "x").unwrap(), [0xF1]);
        assert_eq!(enc("CP866").encode("Я", "x").unwrap(), [0x9F]);
        assert_eq!(
            enc("UTF-16LE").encode("Я\n", "x").unwrap(),
            [0x2F, 0x04, 0x0A, 0x00]
        );
        assert_eq!(enc("UTF-8").encode("Я", "x").unwrap(), [0xD0, 0xAF]);
        // 1C's names for the Windows and DOS code pages.
        assert_eq!(enc("ANSI").encode("Я", "x").unwrap(), [0xDF]);
        assert_eq!(enc(" oem ").encode("Я", "x").unwrap(), [0x9F]);
        assert_eq!(enc("ANSI").name(), "windows-1251");
    }

    #[test]
    fn unknown_names_and_unmappable_text_are_argument_errors() {
        let err = TextEncoding::from_name("klingon", "Кодировка").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument);
        assert!(err.message().starts_with("Кодировка"), "{}", err.message());
        // The replacement encoding is a decoder-only trap; it is not offered.
        assert!(TextEncoding::from_name("iso-2022-kr", "Кодировка").is_err());
        let err = TextEncoding::from_name("windows-1251", "x")
            .unwrap()
            .encode("a€✓", "Данные")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument);
        assert!(err.message().contains('✓'), "{}", err.message());
    }
}
