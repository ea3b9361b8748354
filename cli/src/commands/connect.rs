//! `tcplink connect`: stdin to the server, the server to stdout, as ncat does.
//!
//! A TLS session is one state machine that cannot be split between a reading and a writing
//! thread, so one thread owns the connection and waits with poll(2) for the socket and stdin at
//! once, with no timer (only `--idle-timeout` bounds the wait). Before waiting it asks the
//! transport whether it already holds received bytes (a TLS record read in part), which the
//! socket would not signal. Stdin is read only while nothing read from it is waiting to be sent,
//! so a server that does not read slows the input down instead of filling memory. When stdin
//! ends, the sending side is closed (close_notify, then a TCP half-close) and reading goes on
//! until the server closes.

use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use tcplink::reader::is_timeout;
use tcplink::{Deadline, Error, ErrorKind, Result, Transport};

use crate::args::ConnectArgs;
use crate::{output, starttls};

/// How long one read or write may block after poll(2) said the socket is ready: a TLS record
/// may arrive in parts, and a socket with some room may not take a whole chunk.
const STEP: Duration = Duration::from_millis(10);

/// The most bytes moved in one step.
const CHUNK: usize = 64 * 1024;

/// How long the half-close (sending close_notify, then FIN) may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `tcplink connect`.
pub fn run(args: &ConnectArgs) -> Result<()> {
    let endpoint = args.endpoint.endpoint(&args.address)?;
    let peer = endpoint.target.to_string();
    let options = args.endpoint.connect_options(args.verbose);
    let mut transport = starttls::connect(&endpoint, &options, args.endpoint.starttls)?;
    if args.verbose {
        output::report_connection(&peer, transport.as_ref());
    }
    let idle = Some(args.idle_timeout).filter(|d| !d.is_zero());
    let stdin = io::stdin();
    let result = pump(
        transport.as_mut(),
        stdin.as_fd(),
        &mut io::stdout().lock(),
        idle,
        &peer,
    );
    if args.verbose && result.is_ok() {
        output::note("the server closed the connection");
    }
    result
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

/// What poll(2) found ready.
struct Ready {
    /// The transport has bytes, EOF or an error to read.
    socket_in: bool,
    /// The socket takes more bytes (or has failed, which a write reports).
    socket_out: bool,
    /// Stdin has bytes or EOF.
    input: bool,
}

/// Waits until the transport or `input` has something to read, or the socket room to write
/// when `want_write`; returns at once when the transport already holds received bytes. Fails
/// with a `timeout` error when `idle` has passed since `last_traffic`.
fn wait(
    transport: &mut dyn Transport,
    input: Option<BorrowedFd<'_>>,
    want_write: bool,
    idle: Option<Duration>,
    last_traffic: Instant,
    peer: &str,
) -> Result<Ready> {
    let buffered = transport.has_buffered_input();
    let timeout = if buffered {
        Some(Duration::ZERO)
    } else {
        idle.map(|limit| limit.saturating_sub(last_traffic.elapsed()))
    };
    // A limit too long for a timespec (billions of years) is no limit.
    let timeout = timeout.and_then(|t| Timespec::try_from(t).ok());
    let mut socket_events = PollFlags::IN;
    socket_events.set(PollFlags::OUT, want_write);
    let socket = transport.socket().stream().as_fd();
    let mut fds = vec![PollFd::from_borrowed_fd(socket, socket_events)];
    fds.extend(input.map(|fd| PollFd::from_borrowed_fd(fd, PollFlags::IN)));
    let ready = loop {
        match poll(&mut fds, timeout.as_ref()) {
            Ok(n) => break n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => {
                return Err(Error::from_io(
                    &e.into(),
                    "waiting for the socket and stdin",
                ))
            }
        }
    };
    if ready == 0 && !buffered {
        return Err(Error::new(
            ErrorKind::Timeout,
            format!("no traffic with {peer} for {:?}", idle.unwrap_or_default()),
        ));
    }
    let failed = PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL;
    let socket = fds[0].revents();
    Ok(Ready {
        socket_in: buffered || socket.intersects(PollFlags::IN | failed),
        socket_out: socket.intersects(PollFlags::OUT | failed),
        input: fds
            .get(1)
            .is_some_and(|fd| fd.revents().intersects(PollFlags::IN | failed)),
    })
}

/// Moves bytes both ways until the server closes: `input` to `transport`, `transport` to
/// `sink`. Fails with a `timeout` error after `idle` without traffic.
fn pump(
    transport: &mut dyn Transport,
    input: BorrowedFd<'_>,
    sink: &mut dyn Write,
    idle: Option<Duration>,
    peer: &str,
) -> Result<()> {
    let sending_failed = |e: io::Error| Error::from_io(&e, &format!("sending to {peer}"));
    let mut sending = Sending::Open;
    // Read from stdin and not yet taken by the transport.
    let mut pending: Vec<u8> = Vec::new();
    // The transport took bytes it has not managed to send yet (a TLS session queues records).
    let mut unflushed = false;
    let mut buf = vec![0; CHUNK];
    let mut last_traffic = Instant::now();
    loop {
        let reading_input = matches!(sending, Sending::Open) && pending.is_empty();
        let want_write = !pending.is_empty() || unflushed || matches!(sending, Sending::Draining);
        let ready = wait(
            transport,
            reading_input.then_some(input),
            want_write,
            idle,
            last_traffic,
            peer,
        )?;
        if ready.input {
            pending.resize(CHUNK, 0);
            match rustix::io::read(input, &mut pending[..]) {
                Ok(0) => {
                    pending.clear();
                    sending = Sending::Draining;
                }
                Ok(n) => pending.truncate(n),
                Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => pending.clear(),
                Err(e) => return Err(Error::from_io(&e.into(), "reading stdin")),
            }
        }
        if ready.socket_out {
            transport.set_write_deadline(Deadline::after(Some(STEP)));
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
            match transport.flush() {
                Ok(()) => unflushed = false,
                Err(e) if must_wait(&e) => unflushed = true,
                Err(e) => return Err(sending_failed(e)),
            }
            if pending.is_empty() && !unflushed && matches!(sending, Sending::Draining) {
                transport.set_write_deadline(Deadline::after(Some(CLOSE_TIMEOUT)));
                transport.shutdown().map_err(sending_failed)?;
                sending = Sending::Closed;
            }
        }
        if ready.socket_in {
            transport.set_read_deadline(Deadline::after(Some(STEP)));
            match transport.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    output::emit(sink, &buf[..n])?;
                    last_traffic = Instant::now();
                }
                Err(e) if must_wait(&e) => {}
                Err(e) => return Err(Error::from_io(&e, &format!("reading from {peer}"))),
            }
        }
    }
}

/// Whether an I/O error only means "not now": the step's deadline passed, or a signal came.
fn must_wait(e: &io::Error) -> bool {
    is_timeout(e) || e.kind() == io::ErrorKind::Interrupted
}
