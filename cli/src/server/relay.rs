//! The relay: one loop takes each new client from [`Server::accept`] and serves it on a thread of
//! its own, which waits for that client's data ([`Server::wait_for_data`], woken by its arrival),
//! reads what has arrived and prints it or sends it back. A client that does not read holds up
//! only its own thread, until its send times out and it is dropped.

use std::io::Write;
use std::sync::mpsc::Sender;
use std::sync::{Mutex, OnceLock};
use std::thread::{self, Scope};
use std::time::Duration;

use tcplink::{Error, ReadLimits, Result, Server};

use crate::output;

/// The most bytes taken from one client at a time.
const CHUNK: usize = 64 * 1024;

/// The stack of a client's thread: it only moves chunks (held on the heap) along.
const STACK_SIZE: usize = 256 * 1024;

/// A read that takes what has arrived and waits for nothing more: a client's thread reads only
/// when [`Server::wait_for_data`] says the client has data (or has left).
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

/// Serves the clients of `server` in `mode`, each on its own thread, writing what they send to
/// `out` (not in echo mode) one whole chunk at a time, so chunks of several clients never mix.
/// `first_client` is told when the first client is in (the stdin forwarder waits for it), and
/// dropped when the relay returns.
///
/// A client's end (its half-close) is answered by finishing the sending side, which closes the
/// connection: after the echo of its last bytes in echo mode, at once otherwise (as `ncat -l`
/// does). The server should keep connections open after a client's end
/// ([`tcplink::ServerOptions::keep_open_after_client_end`]); without it the read that reports the
/// end closes the connection, and what came with the end is not echoed.
///
/// With `once`, serves the first client and returns when it has left; otherwise runs until the
/// server stops (a `closed` error) or writing to `out` fails, which stops the server and is the
/// error returned.
pub fn relay(
    server: &Server,
    mode: Mode,
    once: bool,
    out: &Mutex<dyn Write + Send>,
    first_client: Option<Sender<()>>,
) -> Result<()> {
    let mut first_client = first_client;
    let mut arrived = || {
        let id = next_client(server)?;
        if let Some(tell) = first_client.take() {
            let _ = tell.send(());
        }
        Ok::<_, Error>(id)
    };
    if once {
        let id = arrived()?;
        return serve_client(server, &id, mode, out);
    }
    let failure = OnceLock::new();
    let accepting = thread::scope(|scope| loop {
        let id = arrived()?;
        start_client(scope, server, id, mode, out, &failure);
    });
    failure.into_inner().map_or(accepting, Err)
}

/// The next client let in (through its accept step), waiting as long as it takes.
fn next_client(server: &Server) -> Result<String> {
    loop {
        if let Some(id) = server.accept(None)? {
            return Ok(id);
        }
    }
}

/// Serves client `id` on a thread of `scope`. A failure to write to `out` is kept in `failure`
/// (the first one) and stops the server, which ends every other thread and the accept loop.
fn start_client<'scope>(
    scope: &'scope Scope<'scope, '_>,
    server: &'scope Server,
    id: String,
    mode: Mode,
    out: &'scope Mutex<dyn Write + Send>,
    failure: &'scope OnceLock<Error>,
) {
    let started = thread::Builder::new()
        .name(format!("serve-{id}"))
        .stack_size(STACK_SIZE)
        .spawn_scoped(scope, {
            let id = id.clone();
            move || {
                if let Err(e) = serve_client(server, &id, mode, out) {
                    let _ = failure.set(e);
                    server.stop();
                }
            }
        });
    if let Err(e) = started {
        output::note(&format!("cannot serve connection {id}: {e}"));
        let _ = server.close(&id);
    }
}

/// Serves client `id` until it leaves or is dropped: waits for its data, reads what has arrived
/// and prints it or echoes it. Fails only when writing to `out` fails.
fn serve_client(
    server: &Server,
    id: &str,
    mode: Mode,
    out: &Mutex<dyn Write + Send>,
) -> Result<()> {
    loop {
        let read = match server
            .wait_for_data(id, None)
            .and_then(|_| server.read(id, &AVAILABLE))
        {
            Ok(read) => read,
            // Closed (by a failed send of stdin, or the server's stop), or failed: nothing more
            // to take from it (a failure goes to the event sink, shown with --verbose).
            Err(_) => {
                let _ = server.close(id);
                return Ok(());
            }
        };
        if !read.data.is_empty() {
            match mode {
                Mode::Raw => write_chunk(out, &read.data)?,
                Mode::Hex => write_chunk(out, format!("{}\n", hex(&read.data)).as_bytes())?,
                Mode::Echo => {
                    // A client that does not take its echo within the send timeout is dropped
                    // (the failure goes to the event sink, shown with --verbose).
                    if server.send(id, &read.data, None).is_err() {
                        let _ = server.close(id);
                        return Ok(());
                    }
                }
            }
        }
        if !read.active {
            // The client is done sending: so are we. Finishing the sending side closes the
            // connection, both halves being done.
            if server.finish_sending(id).is_err() {
                let _ = server.close(id);
            }
            return Ok(());
        }
    }
}

/// Writes `bytes` to `out` while holding it, so that no other client's chunk comes in between.
fn write_chunk(out: &Mutex<dyn Write + Send>, bytes: &[u8]) -> Result<()> {
    let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
    output::emit(&mut *out, bytes)
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
