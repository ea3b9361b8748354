//! [`TimedSocket`]: a TCP stream whose reads and writes each obey a [`Deadline`].
//!
//! Every transport sits on one of these, so the TLS handshake, a proxy handshake, an idle read
//! timeout and a write-all timeout are all the same mechanism: before each system call the socket
//! timeout is set to the time left until the deadline, and a call made after it has passed fails
//! at once with [`io::ErrorKind::TimedOut`].

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Instant;

use crate::deadline::Deadline;

/// A connected TCP stream with a read deadline and a write deadline.
#[derive(Debug)]
pub struct TimedSocket {
    stream: TcpStream,
    read_deadline: Deadline,
    write_deadline: Deadline,
}

impl TimedSocket {
    /// Wraps a connected stream; both deadlines start as [`Deadline::NONE`].
    pub fn new(stream: TcpStream) -> Self {
        TimedSocket {
            stream,
            read_deadline: Deadline::NONE,
            write_deadline: Deadline::NONE,
        }
    }

    /// Sets the deadline for the reads that follow.
    pub fn set_read_deadline(&mut self, deadline: Deadline) {
        self.read_deadline = deadline;
    }

    /// Sets the deadline for the writes that follow.
    pub fn set_write_deadline(&mut self, deadline: Deadline) {
        self.write_deadline = deadline;
    }

    /// Sets both deadlines.
    pub fn set_deadline(&mut self, deadline: Deadline) {
        self.read_deadline = deadline;
        self.write_deadline = deadline;
    }

    /// The underlying stream.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// The local address of the connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }

    /// Shuts down the sending half (the peer reads EOF) or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self.stream.shutdown(how) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }
}

/// The socket timeout that makes one system call end by `deadline`, or a `TimedOut` error when
/// the deadline has already passed.
fn timeout_for(deadline: Deadline) -> io::Result<Option<std::time::Duration>> {
    match deadline.instant() {
        None => Ok(None),
        Some(at) => match at.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(Some(left)),
            _ => Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed")),
        },
    }
}

impl Read for TimedSocket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream
            .set_read_timeout(timeout_for(self.read_deadline)?)?;
        self.stream.read(buf)
    }
}

impl Write for TimedSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream
            .set_write_timeout(timeout_for(self.write_deadline)?)?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}
