//! Printing an answer as it arrives: the bytes as they are, hex digits, or UTF-8 text with bytes
//! that are not UTF-8 replaced by U+FFFD. Each chunk is rendered and flushed as it comes; the only
//! thing held between chunks is a UTF-8 sequence split across two of them (at most 3 bytes).

use std::io::{self, Write};

/// How an answer is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The bytes as they arrived.
    Raw,
    /// UTF-8 text: bytes that are not UTF-8 become U+FFFD, as `String::from_utf8_lossy` does.
    Text,
    /// Lower-case hex digits, then a newline at the end.
    Hex,
}

/// U+FFFD, the replacement character, in UTF-8.
const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();

/// A [`Write`] sink that renders what it is given in a [`Format`] and passes it on to `out`,
/// flushing after each chunk. Call [`finish`](Renderer::finish) after the last chunk.
pub struct Renderer<W: Write> {
    out: W,
    format: Format,
    /// Text: the start of a UTF-8 sequence the last chunk ended in.
    carry: Vec<u8>,
    /// Hex: the digits of the current chunk (reused).
    digits: Vec<u8>,
}

impl<W: Write> Renderer<W> {
    /// A renderer writing `format` to `out`.
    pub fn new(out: W, format: Format) -> Self {
        Renderer {
            out,
            format,
            carry: Vec::new(),
            digits: Vec::new(),
        }
    }

    /// Ends the answer: hex output gets its newline, and text that ended inside a UTF-8
    /// sequence gets one U+FFFD for it. Flushes the output.
    pub fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Hex => self.out.write_all(b"\n")?,
            Format::Text if !self.carry.is_empty() => self.out.write_all(REPLACEMENT)?,
            Format::Text | Format::Raw => {}
        }
        self.out.flush()
    }

    /// Writes `chunk` as text: the sequence left from the last chunk first, then the rest.
    fn text(&mut self, chunk: &[u8]) -> io::Result<()> {
        let held = self.carry.len();
        if held == 0 {
            return self.lossy(chunk);
        }
        let mut joined = std::mem::take(&mut self.carry);
        joined.extend_from_slice(&chunk[..chunk.len().min(4 - held)]);
        // Only the first character (the one that started in the last chunk) is settled here.
        let (valid, error) = match std::str::from_utf8(&joined) {
            Ok(text) => (text.len(), None),
            Err(e) => (e.valid_up_to(), e.error_len()),
        };
        let (piece, used) = if valid > 0 {
            let first = std::str::from_utf8(&joined[..valid]).map_or(0, first_char_len);
            (&joined[..first], first)
        } else if let Some(bad) = error {
            (REPLACEMENT, bad)
        } else {
            // Still incomplete: the chunk was shorter than the rest of the sequence.
            self.carry = joined;
            return Ok(());
        };
        self.out.write_all(piece)?;
        self.lossy(&chunk[used - held..])
    }

    /// Writes `bytes` as text, keeping an incomplete sequence at its end for the next chunk.
    fn lossy(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        loop {
            match std::str::from_utf8(bytes) {
                Ok(_) => return self.out.write_all(bytes),
                Err(e) => {
                    let (valid, after) = bytes.split_at(e.valid_up_to());
                    self.out.write_all(valid)?;
                    match e.error_len() {
                        Some(bad) => {
                            self.out.write_all(REPLACEMENT)?;
                            bytes = &after[bad..];
                        }
                        None => {
                            self.carry = after.to_vec();
                            return Ok(());
                        }
                    }
                }
            }
        }
    }

    /// Writes `chunk` as hex digits.
    fn hex(&mut self, chunk: &[u8]) -> io::Result<()> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        self.digits.clear();
        self.digits.extend(
            chunk
                .iter()
                .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]]),
        );
        self.out.write_all(&self.digits)
    }
}

/// The length in bytes of the first character of `text`.
fn first_char_len(text: &str) -> usize {
    text.chars().next().map_or(0, char::len_utf8)
}

impl<W: Write> Write for Renderer<W> {
    fn write(&mut self, chunk: &[u8]) -> io::Result<usize> {
        match self.format {
            Format::Raw => self.out.write_all(chunk)?,
            Format::Text => self.text(chunk)?,
            Format::Hex => self.hex(chunk)?,
        }
        self.out.flush()?;
        Ok(chunk.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(chunks: &[&[u8]], format: Format) -> Vec<u8> {
        let mut out = Vec::new();
        let mut renderer = Renderer::new(&mut out, format);
        for chunk in chunks {
            renderer.write_all(chunk).unwrap();
        }
        renderer.finish().unwrap();
        out
    }

    #[test]
    fn formats_render() {
        let data = [b'o', b'k', 0xff, b'\n'];
        assert_eq!(render(&[&data], Format::Raw), data);
        assert_eq!(render(&[&data], Format::Text), "ok\u{fffd}\n".as_bytes());
        assert_eq!(
            render(&[&data[..1], &data[1..]], Format::Hex),
            b"6f6bff0a\n"
        );
        assert_eq!(render(&[], Format::Hex), b"\n");
    }

    #[test]
    fn text_split_anywhere_renders_as_the_whole_would() {
        let cases: [&[u8]; 7] = [
            "привет, мир € 𝄞 ok".as_bytes(),
            b"\xe2\x82\xac\xe2\x82A\xf0\x9d\x84",
            b"\xf0\x90\x80\xf0\x90\x41\xed\xa0\x80\xc0\xaf",
            b"a\xff\xfe\xe2\x82",
            b"\xe2",
            b"\xf4\x90\x80\x80\xf4\x8f\xbf\xbf",
            b"\xc3\xa9\xc3",
        ];
        for whole in cases {
            let expected = String::from_utf8_lossy(whole).into_owned().into_bytes();
            let bytes: Vec<&[u8]> = whole.chunks(1).collect();
            assert_eq!(
                render(&bytes, Format::Text),
                expected,
                "{whole:x?} by bytes"
            );
            for a in 0..=whole.len() {
                for b in a..=whole.len() {
                    let parts = [&whole[..a], &whole[a..b], &whole[b..]];
                    assert_eq!(
                        render(&parts, Format::Text),
                        expected,
                        "{whole:x?} cut at {a} and {b}"
                    );
                }
            }
        }
    }
}
