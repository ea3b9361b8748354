//! The `--data` value: literal text, `@FILE`, or `-` for stdin.

use std::io::Read;

use tcplink::{Error, Result};

/// The bytes to send, and whether they came from a file or stdin (which gets a progress bar).
#[derive(Debug, PartialEq, Eq)]
pub struct Payload {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Whether they were read from a file or stdin rather than given on the command line.
    pub from_stream: bool,
}

/// Loads `--data`: `-` reads stdin to its end, `@path` reads a file, anything else is sent as
/// its UTF-8 bytes.
pub fn load(value: &str) -> Result<Payload> {
    if value == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::from_io(&e, "reading --data from stdin"))?;
        return Ok(Payload {
            bytes,
            from_stream: true,
        });
    }
    match value.strip_prefix('@') {
        Some(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| Error::argument("--data", format!("cannot read {path}: {e}")))?;
            Ok(Payload {
                bytes,
                from_stream: true,
            })
        }
        None => Ok(Payload {
            bytes: value.as_bytes().to_vec(),
            from_stream: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_files_load() {
        assert_eq!(
            load("hi").unwrap(),
            Payload {
                bytes: b"hi".to_vec(),
                from_stream: false
            }
        );
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), [0u8, 0xff, b'\n']).unwrap();
        let loaded = load(&format!("@{}", file.path().display())).unwrap();
        assert_eq!(
            loaded,
            Payload {
                bytes: vec![0, 0xff, b'\n'],
                from_stream: true
            }
        );
        let err = load("@/nonexistent/file").unwrap_err();
        assert_eq!(err.kind(), tcplink::ErrorKind::Argument);
        assert!(err.message().starts_with("--data:"));
    }
}
