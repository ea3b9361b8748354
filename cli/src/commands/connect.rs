//! `tcplink connect`: stdin to the server, the server to stdout, as ncat does.
//!
//! A TLS session is one state machine that cannot be split between a reading and a writing
//! thread, so one thread drives the connection and takes turns: write what stdin gave (a short
//! deadline, so a server that does not read cannot stall the reading), then read (a short
//! deadline, so new input is not kept waiting). A second thread only reads stdin. When stdin
//! ends, the sending side is closed (close_notify, then a TCP half-close) and reading goes on
//! until the server closes.

use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::thread;
use std::time::{Duration, Instant};

use tcplink::reader::is_timeout;
use tcplink::{Deadline, Error, ErrorKind, Result, Transport};

use crate::args::ConnectArgs;
use crate::output;

/// How long one turn may wait for the socket.
const TURN: Duration = Duration::from_millis(10);

/// The most bytes moved in one step.
const CHUNK: usize = 64 * 1024;

/// How long the half-close (sending close_notify, then FIN) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `tcplink connect`.
pub fn run(args: &ConnectArgs) -> Result<()> {
    let endpoint = args.endpoint.endpoint(&args.address)?;
    let peer = endpoint.target.to_string();
    let mut transport = endpoint.connect(&args.endpoint.connect_options())?;
    if args.verbose {
        output::report_connection(&peer, transport.as_ref());
    }
    let idle = Some(args.idle_timeout).filter(|d| !d.is_zero());
    let result = pump(
        transport.as_mut(),
        stdin_chunks(),
        &mut io::stdout().lock(),
        idle,
        &peer,
    );
    if args.verbose && result.is_ok() {
        output::note("the server closed the connection");
    }
    result
}

/// Reads stdin on its own thread; the channel closes at EOF, after an error item on failure.
fn stdin_chunks() -> Receiver<io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut buf = vec![0; CHUNK];
        loop {
            let item = match stdin.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => Ok(buf[..n].to_vec()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            if tx.send(item).is_err() || failed {
                return;
            }
        }
    });
    rx
}

/// Where the sending direction stands.
enum Sending {
    /// Input may still come.
    Open,
    /// Input ended; what is pending still has to go out before the half-close.
    Draining,
    /// The sending side is closed.
    Closed,
}

/// Moves bytes both ways until the server closes: `input` to `transport`, `transport` to
/// `sink`. Fails with a `timeout` error after `idle` without traffic.
fn pump(
    transport: &mut dyn Transport,
    input: Receiver<io::Result<Vec<u8>>>,
    sink: &mut dyn Write,
    idle: Option<Duration>,
    peer: &str,
) -> Result<()> {
    let sending_failed = |e: io::Error| Error::from_io(&e, &format!("sending to {peer}"));
    let mut sending = Sending::Open;
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0; CHUNK];
    let mut last_traffic = Instant::now();
    loop {
        if matches!(sending, Sending::Open) && pending.is_empty() {
            match input.try_recv() {
                Ok(Ok(chunk)) => pending = chunk,
                Ok(Err(e)) => return Err(Error::from_io(&e, "reading stdin")),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => sending = Sending::Draining,
            }
        }
        transport.set_write_deadline(Deadline::after(Some(TURN)));
        if !pending.is_empty() {
            match transport.write(&pending) {
                Ok(n) => {
                    pending.drain(..n);
                    last_traffic = Instant::now();
                }
                Err(e) if must_wait(&e) => {}
                Err(e) => return Err(sending_failed(e)),
            }
        }
        if pending.is_empty() && matches!(sending, Sending::Draining) {
            match transport.flush() {
                Ok(()) => {
                    transport.set_write_deadline(Deadline::after(Some(CLOSE_TIMEOUT)));
                    transport.shutdown().map_err(sending_failed)?;
                    sending = Sending::Closed;
                }
                Err(e) if must_wait(&e) => {}
                Err(e) => return Err(sending_failed(e)),
            }
        }
        transport.set_read_deadline(Deadline::after(Some(TURN)));
        match transport.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                output::emit(sink, &buf[..n])?;
                last_traffic = Instant::now();
            }
            Err(e) if must_wait(&e) => {}
            Err(e) => return Err(Error::from_io(&e, &format!("reading from {peer}"))),
        }
        if let Some(limit) = idle.filter(|limit| last_traffic.elapsed() >= *limit) {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("no traffic with {peer} for {limit:?}"),
            ));
        }
    }
}

/// Whether an I/O error only means "not now": the turn's deadline passed, or a signal came.
fn must_wait(e: &io::Error) -> bool {
    is_timeout(e) || e.kind() == io::ErrorKind::Interrupted
}
