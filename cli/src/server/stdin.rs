//! Stdin passed on to the clients of `tcplink serve`, as `ncat -l` does: each chunk goes to
//! every client connected at that moment that is still sending (as `ncat --broker` does with
//! several; a client that has ended its side is being closed, as `ncat -l` closes it), and when
//! stdin ends their sending sides are closed (TLS close_notify, then FIN).

use std::io::Read;
use std::sync::mpsc::Receiver;

use tcplink::{Error, Result, Server};

/// Reads `input` until it ends and sends each chunk to every client of `server` that can be
/// sent to and has not ended its side; waits until `first_client` tells that a client is in
/// before reading (and returns at once when it is dropped untold). A send that fails (the client
/// does not read within the send timeout, or has gone) closes that client. When `input` ends,
/// each client's sending side is closed.
pub fn forward_stdin(
    server: &Server,
    first_client: Receiver<()>,
    mut input: impl Read,
) -> Result<()> {
    if first_client.recv().is_err() {
        return Ok(());
    }
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::from_io(&e, "reading stdin")),
        };
        for client in server.connections().iter().filter(|c| c.can_write) {
            let sent = if n == 0 {
                server.finish_sending(&client.id)
            } else if client.can_read {
                server.send(&client.id, &buf[..n], None)
            } else {
                Ok(())
            };
            if sent.is_err() && n > 0 {
                let _ = server.close(&client.id);
            }
        }
        if n == 0 {
            return Ok(());
        }
    }
}
