//! [`Connection`]: one open connection with its read buffer, and [`process_request`], the
//! connect-send-read-close round trip.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::connect::{tls_handshake, ConnectOptions, Endpoint};
use crate::events::{Emitter, Event, EventSink};
use crate::reader::{
    BorrowedRead, ReadBuffer, ReadEnd, ReadLimits, ReadOutcome, StreamError, StreamOutcome,
};
use tcplink_transport::{
    Deadline, Error, ErrorKind, HostPort, Result, TlsInfo, TlsParams, TlsSettings, Transport,
};

/// How long closing may take to send close_notify and the FIN.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// An open TCP or TLS connection. Opened with an event sink in its options, it tells the sink
/// each send, read, the close and every error (see [`crate::events`]).
///
/// A plain connection can be upgraded to TLS on the same socket ([`start_tls`]), and its
/// sending half can be closed while reading goes on ([`finish_sending`]).
///
/// [`start_tls`]: Connection::start_tls
/// [`finish_sending`]: Connection::finish_sending
pub struct Connection {
    transport: Option<Box<dyn Transport>>,
    buffer: ReadBuffer,
    peer: String,
    /// The server as host and port, for the TLS server name of an upgrade; `None` when the peer
    /// was named otherwise ([`Connection::from_transport`]).
    target: Option<HostPort>,
    /// Whether [`Connection::finish_sending`] closed the sending half.
    sending_finished: bool,
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
        conn.target = Some(endpoint.target.clone());
        conn.events = options.events.clone();
        Ok(conn)
    }

    /// Wraps an established transport; `peer` names it in messages (and, when it is
    /// `host:port`, is the TLS server name of a [`start_tls`](Connection::start_tls)). It has no
    /// event sink.
    pub fn from_transport(transport: Box<dyn Transport>, peer: String) -> Connection {
        Connection {
            transport: Some(transport),
            buffer: ReadBuffer::new(),
            target: HostPort::parse(&peer, "peer").ok(),
            sending_finished: false,
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
            Some(_) if self.sending_finished => Err(sending_finished(&self.peer)),
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

    /// The transport under this connection, for a caller that drives it itself from here on
    /// (the CLI after a STARTTLS upgrade); `None` when the connection is closed. Bytes received
    /// and not yet read go with the connection: there are none right after a
    /// [`start_tls`](Connection::start_tls).
    pub fn into_transport(mut self) -> Option<Box<dyn Transport>> {
        self.buffer.clear();
        self.transport.take()
    }

    /// Whether [`finish_sending`](Connection::finish_sending) closed the sending half.
    pub fn is_sending_finished(&self) -> bool {
        self.sending_finished
    }

    /// Closes the sending half within `timeout` (`None` or zero: no limit): a TLS connection
    /// sends close_notify, then the TCP sending half is shut down, so the peer reads the end of
    /// the data. Reading goes on until the peer closes; sending afterwards is a
    /// [`closed`](ErrorKind::Closed) error saying the sending half is closed. Finishing twice is
    /// a no-op.
    pub fn finish_sending(&mut self, timeout: Option<Duration>) -> Result<()> {
        let events = Emitter::new(self.events.as_deref());
        let transport = events.on_error(self.transport.as_mut().ok_or_else(closed))?;
        if self.sending_finished {
            return Ok(());
        }
        transport.set_write_deadline(Deadline::after(timeout));
        let finished = transport
            .shutdown()
            .map_err(|e| Error::from_io(&e, &format!("finishing sending to {}", self.peer)));
        // Whatever the outcome, the sending half is no longer usable: a TLS session that sent
        // part of its close_notify cannot carry data.
        self.sending_finished = true;
        events.on_error(finished)?;
        events.emit(Event::FinishedSending { peer: &self.peer });
        Ok(())
    }

    /// Upgrades this plain connection to TLS on the same socket (STARTTLS), within `timeout`
    /// (`None` or zero: no limit): after the protocol's own "go ahead" (SMTP's `220`, IMAP's
    /// `OK`, FTP's `234`, ...) has been read. The handshake uses `settings` as a TLS connect
    /// does (`use_tls` is not consulted: the call itself asks for TLS), with the server's host
    /// as the default server name, and tells the event sink the same TLS events.
    ///
    /// Refusals:
    /// - a connection that is already TLS, or a transport that is not bare TCP, or bad
    ///   settings: an [`argument`](ErrorKind::Argument) error; the connection stays as it was;
    /// - bytes that arrived before the upgrade and were not read yet: a [`tls`](ErrorKind::Tls)
    ///   error, and the connection is **closed**. They came in plain text, so they could have
    ///   been put there by anyone on the path, and handing them out later as part of the TLS
    ///   stream is the STARTTLS injection flaw (CVE-2011-0411 and its kin); a protocol in which
    ///   the server says anything after its "go ahead" is not being followed either way (bytes
    ///   that reach the socket only after this check are taken by the handshake as TLS records,
    ///   which fails it);
    /// - a failed handshake: its error (`tls`, `timeout`); the socket is closed with it.
    ///
    /// After a refusal that closed it the connection is closed as by [`close`](Connection::close).
    pub fn start_tls(&mut self, settings: &TlsSettings, timeout: Option<Duration>) -> Result<()> {
        // The sink is shared with `self`, which the upgrade changes.
        let sink = self.events.clone();
        let events = Emitter::new(sink.as_deref());
        let upgraded = self.upgrade(settings, timeout, events);
        events.on_error(upgraded)
    }

    fn upgrade(
        &mut self,
        settings: &TlsSettings,
        timeout: Option<Duration>,
        events: Emitter<'_>,
    ) -> Result<()> {
        let transport = self.transport.as_ref().ok_or_else(closed)?;
        if transport.tls_info().is_some() {
            return Err(Error::argument(
                "Tls",
                format!("the connection to {} is already TLS", self.peer),
            ));
        }
        if self.sending_finished {
            return Err(sending_finished(&self.peer));
        }
        let params = match &self.target {
            Some(target) => TlsParams::new(settings, target)?,
            None => TlsParams::new(settings, &self.named_target(settings)?)?,
        };
        let unread = self.buffer.pending().len();
        if unread > 0 {
            self.close()?;
            return Err(Error::new(
                ErrorKind::Tls,
                format!(
                    "STARTTLS with {} refused: {unread} bytes arrived in plain text after the                      last read and before the upgrade (they could have been injected on the                      way); the connection is closed",
                    self.peer
                ),
            ));
        }
        let transport = self.transport.take().ok_or_else(closed)?;
        let mut socket = match transport.into_plain_socket() {
            Ok(socket) => socket,
            Err(transport) => {
                self.transport = Some(transport);
                return Err(Error::argument(
                    "Tls",
                    format!(
                        "the connection to {} is not bare TCP and cannot be upgraded",
                        self.peer
                    ),
                ));
            }
        };
        socket.set_deadline(Deadline::after(timeout));
        let mut transport = match tls_handshake(socket, &params, &self.peer, events) {
            Ok(transport) => transport,
            Err(e) => {
                // The handshake took the socket with it.
                self.close()?;
                return Err(e);
            }
        };
        transport.socket_mut().set_deadline(Deadline::NONE);
        self.transport = Some(transport);
        self.last_read_end = None;
        Ok(())
    }

    /// The target to verify an upgrade against when the peer is not `host:port`: the settings'
    /// server name.
    fn named_target(&self, settings: &TlsSettings) -> Result<HostPort> {
        match &settings.server_name {
            Some(name) => Ok(HostPort {
                host: name.clone(),
                port: 0,
            }),
            None => Err(Error::argument(
                "server_name",
                format!(
                    "the connection's peer {:?} is not host:port: give the TLS server name",
                    self.peer
                ),
            )),
        }
    }

    /// Closes the connection: close_notify for TLS, then FIN (unless
    /// [`finish_sending`](Connection::finish_sending) sent them already). Closing a closed
    /// connection is a no-op. Unread bytes are discarded.
    pub fn close(&mut self) -> Result<()> {
        if let Some(mut transport) = self.transport.take() {
            if !self.sending_finished {
                transport.set_write_deadline(Deadline::after(Some(CLOSE_TIMEOUT)));
                // The peer may already be gone; closing still succeeds.
                let _ = transport.shutdown();
            }
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

/// The error of sending to `peer` after [`Connection::finish_sending`].
fn sending_finished(peer: &str) -> Error {
    Error::new(
        ErrorKind::Closed,
        format!("the sending half of the connection to {peer} is closed: sending was finished"),
    )
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
