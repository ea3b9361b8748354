//! [`Connection`]: one open connection with its read buffer, and [`process_request`], the
//! connect-send-read-close round trip.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::connect::{ConnectOptions, Endpoint};
use crate::events::{Emitter, Event, EventSink};
use crate::reader::{
    BorrowedRead, ReadBuffer, ReadEnd, ReadLimits, ReadOutcome, StreamError, StreamOutcome,
};
use tcplink_transport::{Deadline, Error, ErrorKind, Result, TlsInfo, Transport};

/// How long closing may take to send close_notify and the FIN.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// An open TCP or TLS connection. Opened with an event sink in its options, it tells the sink
/// each send, read, the close and every error (see [`crate::events`]).
pub struct Connection {
    transport: Option<Box<dyn Transport>>,
    buffer: ReadBuffer,
    peer: String,
    last_read_end: Option<ReadEnd>,
    events: Option<Arc<dyn EventSink>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer)
            .field("open", &self.is_open())
            .field("pending", &self.buffer.pending().len())
            .finish()
    }
}

impl Connection {
    /// Connects to `endpoint`; the connection keeps the options' event sink.
    pub fn open(endpoint: &Endpoint, options: &ConnectOptions) -> Result<Connection> {
        let transport = endpoint.connect(options)?;
        let mut conn = Connection::from_transport(transport, endpoint.target.to_string());
        conn.events = options.events.clone();
        Ok(conn)
    }

    /// Wraps an established transport; `peer` names it in messages. It has no event sink.
    pub fn from_transport(transport: Box<dyn Transport>, peer: String) -> Connection {
        Connection {
            transport: Some(transport),
            buffer: ReadBuffer::new(),
            peer,
            last_read_end: None,
            events: None,
        }
    }

    /// Whether the connection is open (not closed by [`close`](Connection::close)).
    pub fn is_open(&self) -> bool {
        self.transport.is_some()
    }

    /// The server this connection was opened to, as given.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// The socket address of the other end (the proxy, when connected through one).
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.transport.as_ref()?.peer_addr().ok()
    }

    /// The local socket address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.transport.as_ref()?.local_addr().ok()
    }

    /// What TLS negotiated, or `None` for plain TCP or a closed connection.
    pub fn tls_info(&self) -> Option<TlsInfo> {
        self.transport.as_ref()?.tls_info()
    }

    /// Why the last read ended, if there was one.
    pub fn last_read_end(&self) -> Option<ReadEnd> {
        self.last_read_end
    }

    /// Bytes received and not yet returned by a read.
    pub fn pending(&self) -> &[u8] {
        self.buffer.pending()
    }

    /// Sends all of `data` within `timeout` (`None` or zero: no limit).
    pub fn send(&mut self, data: &[u8], timeout: Option<Duration>) -> Result<()> {
        let events = Emitter::new(self.events.as_deref());
        let sent = match self.transport.as_mut() {
            None => Err(closed()),
            Some(transport) => {
                transport.set_write_deadline(Deadline::after(timeout));
                transport
                    .write_all(data)
                    .and_then(|_| transport.flush())
                    .map_err(|e| Error::from_io(&e, &format!("sending to {}", self.peer)))
            }
        };
        events.on_error(sent)?;
        events.emit(Event::Sent { bytes: data.len() });
        Ok(())
    }

    /// Reads by the reading rules (see [`crate::reader`]). A read that ends on a timeout or EOF
    /// returns what arrived; on an error the bytes received stay buffered for the next read.
    pub fn read(&mut self, limits: &ReadLimits<'_>) -> Result<ReadOutcome> {
        self.read_borrowed(limits).map(BorrowedRead::into_outcome)
    }

    /// Reads like [`read`](Connection::read) but lends the data in place: for a caller that
    /// copies it elsewhere anyway. The data stays buffered until it is
    /// [consumed](BorrowedRead::consume).
    pub fn read_borrowed(&mut self, limits: &ReadLimits<'_>) -> Result<BorrowedRead<'_>> {
        let events = Emitter::new(self.events.as_deref());
        let read = open_for_reading(&mut self.transport, limits).and_then(|transport| {
            self.buffer
                .read_borrowed(transport, limits)
                .map_err(|e| Error::from_io(&e, &format!("reading from {}", self.peer)))
        });
        self.last_read_end = Some(read.as_ref().map_or(ReadEnd::Error, BorrowedRead::end));
        let read = events.on_error(read)?;
        events.emit(Event::Read {
            bytes: read.data().len(),
            end: read.end(),
        });
        Ok(read)
    }

    /// Reads by the same rules but writes the data to `sink` as it arrives, so memory does not
    /// grow with the answer (see [`ReadBuffer::read_to`]); returns how many bytes went to the
    /// sink and why the read ended. A failing sink is an error with the context `writing` (for
    /// example `"writing to stdout"`); the bytes it did not take stay buffered.
    pub fn read_to<W: Write + ?Sized>(
        &mut self,
        limits: &ReadLimits<'_>,
        sink: &mut W,
        writing: &str,
    ) -> Result<StreamOutcome> {
        let events = Emitter::new(self.events.as_deref());
        let result = open_for_reading(&mut self.transport, limits).and_then(|transport| {
            self.buffer
                .read_to(transport, limits, sink)
                .map_err(|e| match e {
                    StreamError::Read(e) => {
                        Error::from_io(&e, &format!("reading from {}", self.peer))
                    }
                    StreamError::Write(e) => Error::from_io(&e, writing),
                })
        });
        self.last_read_end = Some(result.as_ref().map_or(ReadEnd::Error, |r| r.end));
        let outcome = events.on_error(result)?;
        events.emit(Event::Read {
            bytes: usize::try_from(outcome.len).unwrap_or(usize::MAX),
            end: outcome.end,
        });
        Ok(outcome)
    }

    /// Closes the connection: close_notify for TLS, then FIN. Closing a closed connection is a
    /// no-op. Unread bytes are discarded.
    pub fn close(&mut self) -> Result<()> {
        if let Some(mut transport) = self.transport.take() {
            transport.set_write_deadline(Deadline::after(Some(CLOSE_TIMEOUT)));
            // The peer may already be gone; closing still succeeds.
            let _ = transport.shutdown();
            Emitter::new(self.events.as_deref()).emit(Event::Closed { peer: &self.peer });
        }
        self.buffer.clear();
        Ok(())
    }
}

/// The error of an operation on a closed connection.
fn closed() -> Error {
    Error::new(ErrorKind::Closed, "the connection is closed")
}

/// The transport to read from, once `limits` are valid and the connection is open.
fn open_for_reading<'a>(
    transport: &'a mut Option<Box<dyn Transport>>,
    limits: &ReadLimits<'_>,
) -> Result<&'a mut dyn Transport> {
    limits.validate()?;
    match transport {
        Some(transport) => Ok(transport.as_mut()),
        None => Err(closed()),
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// A request/response round trip: what [`process_request`] does.
#[derive(Debug, Clone)]
pub struct Request {
    /// Where to connect.
    pub endpoint: Endpoint,
    /// What to send (may be empty: then nothing is sent).
    pub data: Vec<u8>,
    /// The marker that ends the answer; `\n` by default.
    pub marker: Vec<u8>,
    /// The most bytes to read; 0 (the default) means no limit.
    pub max_size: usize,
    /// The send time limit and the whole read's time limit (OPI's meaning); 5 s by default.
    pub timeout: Option<Duration>,
    /// How long the read waits for the next byte; none by default.
    pub idle_timeout: Option<Duration>,
    /// How to connect.
    pub connect: ConnectOptions,
}

impl Request {
    /// A request to `endpoint` with the seed's defaults: marker `\n`, no size limit, 5 s.
    pub fn new(endpoint: Endpoint, data: Vec<u8>) -> Request {
        Request {
            endpoint,
            data,
            marker: b"\n".to_vec(),
            max_size: 0,
            timeout: Some(Duration::from_secs(5)),
            idle_timeout: None,
            connect: ConnectOptions::default(),
        }
    }
}

/// Connects, sends the data, reads until the marker (or the size limit, the timeouts, EOF),
/// closes, and returns the answer with why the read ended. Each step and any error is told to
/// the event sink in [`Request::connect`], if there is one.
pub fn process_request(request: &Request) -> Result<ReadOutcome> {
    let limits = ReadLimits {
        max_size: request.max_size,
        marker: &request.marker,
        idle_timeout: request.idle_timeout,
        timeout: request.timeout,
    };
    Emitter::new(request.connect.events.as_deref()).on_error(limits.validate())?;
    let mut conn = Connection::open(&request.endpoint, &request.connect)?;
    if !request.data.is_empty() {
        conn.send(&request.data, request.timeout)?;
    }
    let answer = conn.read(&limits)?;
    conn.close()?;
    Ok(answer)
}
