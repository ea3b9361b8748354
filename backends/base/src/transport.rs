//! The [`Transport`] trait: what every connection type (plain TCP and each TLS backend) offers to
//! the reader, the writer and the callers.

use std::io::{self, Read, Write};
use std::net::SocketAddr;

use crate::deadline::Deadline;
use crate::socket::TimedSocket;
use crate::tls::TlsInfo;

/// A bidirectional byte stream over one TCP connection, possibly encrypted.
///
/// Reads and writes go through [`Read`] and [`Write`]; they obey the deadlines set on the
/// underlying [`TimedSocket`] and fail with [`io::ErrorKind::TimedOut`] or
/// [`io::ErrorKind::WouldBlock`] when one passes, after which the transport stays usable.
pub trait Transport: Read + Write + Send {
    /// The TCP socket under this transport.
    fn socket(&self) -> &TimedSocket;

    /// The TCP socket under this transport, for setting deadlines.
    fn socket_mut(&mut self) -> &mut TimedSocket;

    /// What was negotiated, for TLS transports; `None` for plain TCP.
    fn tls_info(&self) -> Option<TlsInfo>;

    /// Whether a read would return without waiting for the socket: a TLS session may already
    /// hold decrypted bytes (a record of up to 16 KiB arrives whole and a read may take part of
    /// it), an alert or the peer's close_notify. A caller that waits for the socket to become
    /// readable (poll(2)) must check this first. Always `false` for plain TCP.
    fn has_buffered_input(&mut self) -> bool;

    /// Ends the connection politely: a TLS transport sends close_notify, then the sending half of
    /// the TCP connection is shut down. Bounded by the socket's write deadline.
    fn shutdown(&mut self) -> io::Result<()>;

    /// Gives back the plain TCP socket for a STARTTLS upgrade (`tcplink::Connection::start_tls`):
    /// plain TCP returns it; a transport that is not the bare socket (TLS, or a framing of its
    /// own) returns itself unchanged as the error, so the caller keeps the connection.
    fn into_plain_socket(self: Box<Self>) -> Result<TimedSocket, Box<dyn Transport>>;

    /// The address of the peer (the proxy, when connected through one).
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket().peer_addr()
    }

    /// The local address of the connection.
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket().local_addr()
    }

    /// Sets the deadline of the reads that follow.
    fn set_read_deadline(&mut self, deadline: Deadline) {
        self.socket_mut().set_read_deadline(deadline);
    }

    /// Sets the deadline of the writes that follow.
    fn set_write_deadline(&mut self, deadline: Deadline) {
        self.socket_mut().set_write_deadline(deadline);
    }
}

/// A byte source whose reads can be bounded by a deadline: what the generic
/// reader (`tcplink::reader`) needs. Every [`Transport`] is one.
pub trait DeadlineRead: Read {
    /// Sets the deadline of the reads that follow.
    fn set_read_deadline(&mut self, deadline: Deadline);
}

impl<T: Transport + ?Sized> DeadlineRead for T {
    fn set_read_deadline(&mut self, deadline: Deadline) {
        Transport::set_read_deadline(self, deadline);
    }
}
