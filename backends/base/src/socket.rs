//! [`TimedSocket`]: a TCP stream whose reads and writes each obey a [`Deadline`].
//!
//! Every transport sits on one of these, so the TLS handshake, a proxy handshake, an idle read
//! timeout and a write-all timeout are all the same mechanism: before each system call the socket
//! timeout is set to the time left until the deadline, and a call made after it has passed fails
//! at once with [`io::ErrorKind::TimedOut`].
//!
//! Except reads on Windows: Winsock documents a connection as "in an indeterminate state" once a
//! blocking receive has timed out through the socket timeout, and an idle timeout must leave the
//! connection usable with no byte lost. There a read waits with `WSAPoll` until the socket has
//! something to receive (data, EOF or an error) or the deadline passes, and only then receives.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use crate::deadline::Deadline;

/// A connected TCP stream with a read deadline and a write deadline.
#[derive(Debug)]
pub struct TimedSocket {
    stream: TcpStream,
    read_deadline: Deadline,
    write_deadline: Deadline,
    #[cfg(not(windows))]
    read_timeout: AppliedTimeout,
    write_timeout: AppliedTimeout,
}

/// The timeout last set on the socket for one direction, so that a system call is spent on
/// `setsockopt` only when it has to change (TLS libraries read in record-sized pieces, and a
/// `setsockopt` before each doubled the system calls of a bulk read).
#[derive(Debug, Clone, Copy, Default)]
struct AppliedTimeout(Option<Option<Duration>>);

impl AppliedTimeout {
    /// Whether a call that must end within `wanted` needs the socket's timeout changed: when the
    /// set one is longer (the call could outlive the deadline), or less than half of it (the
    /// call would time out early too often), or unknown. A call that times out early is
    /// retried, so a slightly shorter timeout is harmless.
    fn needs(self, wanted: Option<Duration>) -> bool {
        match (self.0, wanted) {
            (Some(None), None) => false,
            (Some(Some(set)), Some(wanted)) => set > wanted || set < wanted / 2,
            _ => true,
        }
    }
}

impl TimedSocket {
    /// Wraps a connected stream; both deadlines start as [`Deadline::NONE`].
    pub fn new(stream: TcpStream) -> Self {
        TimedSocket {
            stream,
            read_deadline: Deadline::NONE,
            write_deadline: Deadline::NONE,
            #[cfg(not(windows))]
            read_timeout: AppliedTimeout::default(),
            write_timeout: AppliedTimeout::default(),
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

/// Whether an I/O error means a socket timeout expired.
pub fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// The socket timeout that makes one system call end by `deadline`, or a `TimedOut` error when
/// the deadline has already passed.
fn timeout_for(deadline: Deadline) -> io::Result<Option<Duration>> {
    deadline
        .time_left()
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "deadline passed"))
}

/// One system call bounded by `deadline`: sets the socket timeout through `set` when `applied`
/// says it must change, and retries a call that timed out before the deadline.
fn bounded_call(
    deadline: Deadline,
    applied: &mut AppliedTimeout,
    set: impl Fn(Option<Duration>) -> io::Result<()>,
    mut call: impl FnMut() -> io::Result<usize>,
) -> io::Result<usize> {
    loop {
        let wanted = timeout_for(deadline)?;
        if applied.needs(wanted) {
            set(wanted)?;
            *applied = AppliedTimeout(Some(wanted));
        }
        match call() {
            // The socket's timeout was a little shorter than the time left: try again.
            Err(e) if is_timeout(&e) && !deadline.expired() => continue,
            other => return other,
        }
    }
}

impl Read for TimedSocket {
    #[cfg(not(windows))]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let stream = &self.stream;
        bounded_call(
            self.read_deadline,
            &mut self.read_timeout,
            |t| stream.set_read_timeout(t),
            || (&*stream).read(buf),
        )
    }

    #[cfg(windows)]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        wait_readable(&self.stream, self.read_deadline)?;
        (&self.stream).read(buf)
    }
}

/// Waits until `stream` has something to receive (data, EOF or an error) or `deadline` passes,
/// with `WSAPoll`: the socket timeout is never used for reads on Windows (see the module docs).
#[cfg(windows)]
fn wait_readable(stream: &TcpStream, deadline: Deadline) -> io::Result<()> {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock::{WSAPoll, POLLRDNORM, WSAPOLLFD};

    loop {
        // Whole milliseconds, rounded up so that a wait never ends before the deadline.
        let wait_ms = timeout_for(deadline)?.map_or(-1, |left| {
            i32::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX)
        });
        let mut socket = WSAPOLLFD {
            fd: stream.as_raw_socket() as usize,
            events: POLLRDNORM,
            revents: 0,
        };
        // SAFETY: one valid WSAPOLLFD naming a socket `stream` owns, for the duration of the call.
        match unsafe { WSAPoll(&mut socket, 1, wait_ms) } {
            // Readable, closed or failed: the receive that follows says which.
            ready if ready > 0 => return Ok(()),
            // Timed out: the next turn returns TimedOut once the deadline has passed.
            0 => {}
            _ => return Err(io::Error::last_os_error()),
        }
    }
}

impl Write for TimedSocket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let stream = &self.stream;
        bounded_call(
            self.write_deadline,
            &mut self.write_timeout,
            |t| stream.set_write_timeout(t),
            || (&*stream).write(buf),
        )
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_timeout_changes_only_when_it_must() {
        let secs = |s| Some(Duration::from_secs(s));
        assert!(AppliedTimeout::default().needs(None));
        assert!(AppliedTimeout::default().needs(secs(5)));
        assert!(!AppliedTimeout(Some(None)).needs(None));
        assert!(AppliedTimeout(Some(None)).needs(secs(5)));
        assert!(AppliedTimeout(Some(secs(5))).needs(None));
        // Longer than the time left: the call could outlive the deadline.
        assert!(AppliedTimeout(Some(secs(5))).needs(secs(4)));
        // A little shorter: kept (an early time-out is retried).
        assert!(!AppliedTimeout(Some(secs(5))).needs(secs(5)));
        assert!(!AppliedTimeout(Some(secs(4))).needs(secs(5)));
        // Much shorter: it would wake the call up too often.
        assert!(AppliedTimeout(Some(secs(1))).needs(secs(5)));
    }
}
