//! The relay: one thread takes what each client sends as it arrives, in turn
//! ([`Server::next_with_data`], which wakes on data), and prints it or sends it back.

use std::io::Write;
use std::time::Duration;

use tcplink::{ErrorKind, ReadLimits, Result, Server};

use crate::output;

/// The most bytes taken from one client at a time.
const CHUNK: usize = 64 * 1024;

/// A read that takes what has arrived and waits for nothing more: the relay reads a client only
/// when [`Server::next_with_data`] says it has data (or has left).
const AVAILABLE: ReadLimits<'static> = ReadLimits {
    max_size: CHUNK,
    marker: b"",
    idle_timeout: Some(Duration::from_nanos(1)),
    timeout: None,
};

/// What the relay does with what arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write the bytes as they are.
    Raw,
    /// Write each chunk as a line of hexadecimal digits.
    Hex,
    /// Send the bytes back to the client.
    Echo,
}

/// Serves the clients of `server` in `mode`, writing what they send to `out` (not in echo
/// mode). With `once`, returns when the first client to send anything or leave has left;
/// otherwise runs until the server stops (a `closed` error) or `out` fails.
pub fn relay(server: &Server, mode: Mode, once: bool, out: &mut dyn Write) -> Result<()> {
    loop {
        let Some(id) = server.next_with_data(None)? else {
            continue;
        };
        let read = match server.read(&id, &AVAILABLE) {
            Ok(read) => read,
            // Closed or evicted since it was named: nothing more to take from it.
            Err(e) if matches!(e.kind(), ErrorKind::Argument | ErrorKind::Closed) => continue,
            Err(e) => return Err(e),
        };
        if !read.data.is_empty() {
            match mode {
                Mode::Raw => output::emit(out, &read.data)?,
                Mode::Hex => output::emit(out, format!("{}\n", hex(&read.data)).as_bytes())?,
                Mode::Echo => {
                    // A client that does not take its echo within the send timeout is dropped
                    // (the failure goes to the event sink, shown with --verbose).
                    if server.send(&id, &read.data, None).is_err() {
                        let _ = server.close(&id);
                    }
                }
            }
        }
        if !read.active && once {
            return Ok(());
        }
    }
}

/// `bytes` as lower-case hexadecimal digits.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[0, 0xab, 0x10, 0xff]), "00ab10ff");
    }
}
