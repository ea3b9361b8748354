//! Stdin passed on to the clients of `tcplink serve`, as `ncat -l` does: each chunk goes to
//! every client connected at that moment (as `ncat --broker` does with several), and when stdin
//! ends their sending sides are closed (TLS close_notify, then FIN).

use std::io::Read;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use tcplink::{Error, Result, Server};

/// How long the forwarder waits before it looks again for a client that [`Arrivals`] announced
/// but the server has not listed yet (its accept step has just returned).
const LISTING_DELAY: Duration = Duration::from_millis(10);

/// How many times the forwarder looks for an announced client (one that failed right after its
/// accept step is never listed).
const LISTING_TRIES: u32 = 100;

/// Tells the forwarder that a client has been let in.
#[derive(Default)]
pub struct Arrivals {
    count: Mutex<u64>,
    changed: Condvar,
}

impl Arrivals {
    /// A client was let in.
    pub fn tell(&self) {
        *self.count.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.changed.notify_all();
    }

    /// Waits until `server` lists a client: sleeps until one is let in, then looks again every
    /// [`LISTING_DELAY`] for at most [`LISTING_TRIES`] times until the server lists it.
    fn wait_for_client(&self, server: &Server) {
        let mut count = self.count.lock().unwrap_or_else(|p| p.into_inner());
        let (mut seen, mut tries) = (0, 0);
        while server.connections().is_empty() && server.is_running() {
            if *count > seen {
                (seen, tries) = (*count, LISTING_TRIES);
            }
            count = if tries > 0 {
                tries -= 1;
                let waited = self.changed.wait_timeout(count, LISTING_DELAY);
                waited.unwrap_or_else(|p| p.into_inner()).0
            } else {
                self.changed.wait(count).unwrap_or_else(|p| p.into_inner())
            };
        }
    }
}

/// Reads `input` until it ends and sends each chunk to every client of `server` that can be
/// sent to; waits for the first client before reading. A send that fails (the client does not
/// read within the send timeout, or has gone) closes that client. When `input` ends, each
/// client's sending side is closed.
pub fn forward_stdin(server: &Server, arrivals: &Arrivals, mut input: impl Read) -> Result<()> {
    arrivals.wait_for_client(server);
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
            } else {
                server.send(&client.id, &buf[..n], None)
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
