//! The thread of one server connection: the only code that touches its transport.
//!
//! TLS streams (rustls, OpenSSL, native-tls) cannot be read and written from two threads at
//! once, so one thread does both: it waits on its [`Poller`] for the socket to become readable
//! (while the inbox has room), writable (while a send is under way) or for a caller's wake-up,
//! and checks [`Transport::has_buffered_input`] before waiting, since a TLS session may hold
//! decrypted bytes the socket no longer shows. Each read and write is bounded by a short
//! deadline, so a TLS record that arrives in pieces never keeps the thread from a send or a
//! close for longer than that.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use polling::{Event as Interest, Events};

use super::conn::{closed, Conn, Job};
use super::options::AcceptStep;
use super::registry::Registry;
use crate::events::{Emitter, Event, EventSink};
use tcplink_transport::{Deadline, Error, ErrorKind, Result, TimedSocket, Transport};

/// The stack of a connection thread: enough for a TLS handshake, small enough for thousands of
/// connections.
const STACK_SIZE: usize = 256 * 1024;

/// How long one read or write of the socket may block the thread (a TLS record arriving in
/// pieces, a send buffer filling up) before it looks at its jobs again.
const SLICE: Duration = Duration::from_millis(10);

/// How many bytes one read of the socket takes at most.
const READ_CHUNK: usize = 16 * 1024;

/// How long closing may take to send close_notify and the FIN.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// The poller key of the connection's socket.
const SOCKET: usize = 0;

/// What every connection thread of a server shares with it.
pub(super) struct Context {
    /// The server's connections.
    pub registry: Registry,
    /// Turns an accepted socket into the transport.
    pub accept: Arc<dyn AcceptStep>,
    /// How long the accept step may take.
    pub handshake_timeout: Option<Duration>,
    /// Whether a connection stays open for sending after a read reported its client's end.
    pub keep_open_after_client_end: bool,
    /// Where events go.
    pub events: Option<Arc<dyn EventSink>>,
}

/// Why a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// The caller closed it.
    Closed,
    /// The client closed its side and a read returned the last of what it sent.
    PeerClosed,
    /// It was the oldest of a full server.
    Evicted,
    /// Its accept step failed, or its thread ended unexpectedly (already told as an error).
    Failed,
}

impl Context {
    /// The event emitter.
    pub fn emitter(&self) -> Emitter<'_> {
        Emitter::new(self.events.as_deref())
    }

    /// Takes `conn` out of the registry and has its thread close it; the first to do so tells
    /// the event sink why.
    pub fn retire(&self, conn: &Conn, ending: Ending) {
        if self.registry.remove(conn.seq) {
            let (id, peer) = (conn.id.as_str(), conn.peer);
            match ending {
                Ending::Closed => self.emitter().emit(Event::ConnectionClosed { id, peer }),
                Ending::PeerClosed => self.emitter().emit(Event::PeerClosed { id, peer }),
                Ending::Evicted => self.emitter().emit(Event::Evicted { id, peer }),
                Ending::Failed => {}
            }
        }
        conn.request_close();
    }

    /// Queues `conn` for `next_with_data` if a read has news (data, or the client's end) and it
    /// is not queued yet, or retires it once it is over: a read reported the client's end and
    /// (when connections stay open after it) sending was finished too.
    pub fn after_change(&self, conn: &Arc<Conn>) {
        let (queue, over) = {
            let state = conn.state();
            (
                state.has_news() && conn.needs_queueing(),
                state.is_over(self.keep_open_after_client_end),
            )
        };
        if queue {
            self.registry.queue(conn);
        }
        if over {
            self.retire(conn, Ending::PeerClosed);
        }
    }
}

/// Starts the thread of `conn`, accepted on `stream`; it is named `tcplink-c<ID>` (within the
/// 15 characters Linux keeps of a thread's name for IDs up to six digits).
pub(super) fn spawn(
    context: Arc<Context>,
    conn: Arc<Conn>,
    stream: TcpStream,
) -> io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name(format!("tcplink-c{}", conn.id))
        .stack_size(STACK_SIZE)
        .spawn(move || {
            let _release = Release(&context, &conn);
            if let Some(transport) = handshake(&context, &conn, stream) {
                context.registry.arrive(&conn);
                Pump::new(&context, &conn, transport).run();
            }
        })
}

/// Marks the connection gone when its thread ends, however it ends (a panic included): waiting
/// callers wake with a `closed` error, and the connection leaves the registry.
struct Release<'a>(&'a Context, &'a Arc<Conn>);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        let Release(context, conn) = *self;
        conn.update(|state| {
            state.gone = true;
            state.closing = true;
            if state.job.take().is_some() {
                state.job_done = Some(Err(closed()));
            }
        });
        context.retire(conn, Ending::Failed);
    }
}

/// Runs the accept step within the handshake deadline; the transport, or `None` after telling
/// the event sink why not.
fn handshake(context: &Context, conn: &Conn, stream: TcpStream) -> Option<Box<dyn Transport>> {
    conn.set_handshaking(stream.try_clone().ok());
    let mut socket = TimedSocket::new(stream);
    socket.set_deadline(Deadline::after(context.handshake_timeout));
    let made = context.accept.accept(socket, conn.peer);
    conn.set_handshaking(None);
    match made {
        Ok(mut transport) => {
            transport.socket_mut().set_deadline(Deadline::NONE);
            conn.publish(|state| state.established = true);
            Some(transport)
        }
        Err(e) => {
            let error = Error::new(
                e.kind(),
                format!(
                    "accepting connection {} from {}: {}",
                    conn.id,
                    conn.peer,
                    e.message()
                ),
            );
            context.emitter().emit(Event::Error(&error));
            None
        }
    }
}

/// A send under way: the data and how much of it went out.
struct Sending {
    data: Vec<u8>,
    written: usize,
    deadline: Deadline,
}

/// What the thread does next, decided under the state lock.
struct Plan {
    closing: bool,
    /// Room in the inbox, when the socket should be read.
    read_room: Option<usize>,
    job: Option<Job>,
}

/// The connection's thread once its transport is made.
struct Pump<'a> {
    context: &'a Context,
    conn: &'a Arc<Conn>,
    transport: Box<dyn Transport>,
    sending: Option<Sending>,
    scratch: Vec<u8>,
    events: Events,
}

impl<'a> Pump<'a> {
    fn new(context: &'a Context, conn: &'a Arc<Conn>, transport: Box<dyn Transport>) -> Self {
        Pump {
            context,
            conn,
            transport,
            sending: None,
            scratch: Vec::new(),
            // One socket: a wait reports at most one event (the wake-up reports none).
            events: Events::with_capacity(NonZeroUsize::MIN),
        }
    }

    fn peer(&self) -> SocketAddr {
        self.conn.peer
    }

    /// Serves the connection until it is closed, then closes it.
    fn run(mut self) {
        let stream = self.transport.socket().stream().try_clone();
        // SAFETY: the socket is deleted from the poller below, before the transport (and with
        // it the socket) is dropped at the end of this function.
        let added = stream.and_then(|stream| unsafe {
            self.conn.waker.add(&stream, Interest::none(SOCKET))?;
            Ok(stream)
        });
        match added {
            Ok(stream) => {
                self.serve(&stream);
                let _ = self.conn.waker.delete(&stream);
            }
            Err(e) => {
                let error = Error::from_io(&e, &format!("serving {}", self.peer()));
                self.context.emitter().emit(Event::Error(&error));
            }
        }
        self.close();
    }

    /// The loop: jobs, then reading and writing as the socket allows.
    fn serve(&mut self, stream: &TcpStream) {
        loop {
            let plan = self.plan();
            if plan.closing {
                return;
            }
            match plan.job {
                Some(Job::Send { data, deadline }) => {
                    self.sending = Some(Sending {
                        data,
                        written: 0,
                        deadline,
                    })
                }
                Some(Job::FinishSending(deadline)) => {
                    let done = self.finish_sending(deadline);
                    self.complete(done);
                    continue;
                }
                Some(Job::FinishReceiving) => {
                    let done = self.finish_receiving();
                    self.complete(done);
                    continue;
                }
                None => {}
            }
            if let Some(room) = plan.read_room {
                if self.transport.has_buffered_input() {
                    self.receive(room);
                    continue;
                }
            }
            let interest = Interest::new(SOCKET, plan.read_room.is_some(), self.sending.is_some());
            let timeout = self
                .sending
                .as_ref()
                .and_then(|s| s.deadline.instant())
                .map(|at| at.saturating_duration_since(std::time::Instant::now()));
            self.events.clear();
            // With nothing to read or write, the socket is left unarmed (its one-shot
            // registration fired or is spent on at most one more event): a socket that is done
            // (reset, or both halves shut) reports a hang-up to every wait, which would turn
            // this loop into a spin until the caller closes the connection.
            let armed = match interest.readable || interest.writable {
                true => self.conn.waker.modify(stream, interest),
                false => Ok(()),
            };
            let waited = armed.and_then(|()| self.conn.waker.wait(&mut self.events, timeout));
            if let Err(e) = waited {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.fail(&e, "waiting for");
                    return;
                }
            }
            let ready = self.events.iter().next();
            if let Some(event) = ready {
                if event.readable {
                    if let Some(room) = plan.read_room {
                        self.receive(room);
                    }
                }
                if event.writable {
                    self.send_some();
                }
            }
            self.check_send_deadline();
        }
    }

    /// Reads the state: whether to close, whether to read, the job handed over.
    fn plan(&mut self) -> Plan {
        let mut state = self.conn.state();
        let room = self.conn.buffer_limit.saturating_sub(state.inbox.len());
        Plan {
            closing: state.closing,
            read_room: (state.may_receive() && room > 0).then_some(room),
            job: state.job.take(),
        }
    }

    /// Tells the waiting caller how its job ended.
    fn complete(&mut self, done: Result<()>) {
        self.conn.publish(|state| state.job_done = Some(done));
    }

    /// Reads once from the socket into the inbox, at most `room` bytes.
    fn receive(&mut self, room: usize) {
        if self.scratch.is_empty() {
            self.scratch = vec![0; READ_CHUNK];
        }
        let n = room.min(READ_CHUNK);
        self.transport
            .set_read_deadline(Deadline::after(Some(SLICE)));
        match self.transport.read(&mut self.scratch[..n]) {
            Ok(0) => self.peer_finished(),
            Ok(n) => {
                let bytes = &self.scratch[..n];
                self.conn.publish(|state| state.inbox.extend(bytes));
                self.context.after_change(self.conn);
            }
            Err(e) if tcplink_transport::is_timeout(&e) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                self.fail(&e, "reading from");
                self.peer_finished();
            }
        }
    }

    /// The client will send no more.
    fn peer_finished(&mut self) {
        self.conn.publish(|state| state.peer_finished = true);
        self.context.after_change(self.conn);
    }

    /// Writes what the socket takes of the send under way.
    fn send_some(&mut self) {
        let Some(sending) = self.sending.as_mut() else {
            return;
        };
        self.transport
            .set_write_deadline(Deadline::after(Some(SLICE)).min(sending.deadline));
        let transport = &mut self.transport;
        let mut step = Ok(());
        if sending.written < sending.data.len() {
            step = transport
                .write(&sending.data[sending.written..])
                .map(|n| sending.written += n);
        }
        let all_written = sending.written == sending.data.len();
        // A TLS transport may hold records the socket did not take yet.
        match step.and_then(|()| {
            if all_written {
                transport.flush()
            } else {
                Ok(())
            }
        }) {
            Ok(()) if all_written => self.end_send(Ok(())),
            Ok(()) => {}
            Err(e) if tcplink_transport::is_timeout(&e) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => self.end_send(Err(e)),
        }
    }

    /// Fails the send under way once its deadline has passed.
    fn check_send_deadline(&mut self) {
        if self.sending.as_ref().is_some_and(|s| s.deadline.expired()) {
            self.end_send(Err(io::ErrorKind::TimedOut.into()));
        }
    }

    /// Ends the send under way with `outcome`.
    fn end_send(&mut self, outcome: io::Result<()>) {
        self.sending = None;
        let peer = self.peer();
        self.complete(outcome.map_err(|e| Error::from_io(&e, &format!("sending to {peer}"))));
    }

    /// Closes the sending half: close_notify for TLS, then FIN.
    fn finish_sending(&mut self, deadline: Deadline) -> Result<()> {
        self.transport.set_write_deadline(deadline);
        let done = self.transport.shutdown();
        self.conn.publish(|state| state.sending_finished = true);
        done.map_err(|e| Error::from_io(&e, &format!("finishing sending to {}", self.peer())))
    }

    /// Closes the receiving half and drops what is unread.
    fn finish_receiving(&mut self) -> Result<()> {
        let done = self.transport.socket().shutdown(Shutdown::Read);
        self.conn.publish(|state| {
            state.receiving_finished = true;
            state.inbox = Default::default();
        });
        done.map_err(|e| Error::from_io(&e, &format!("finishing receiving from {}", self.peer())))
    }

    /// Tells the event sink that `doing` the peer failed.
    fn fail(&self, error: &io::Error, doing: &str) {
        let error = Error::from_io(error, &format!("{doing} {}", self.peer()));
        self.context.emitter().emit(Event::Error(&error));
    }

    /// Ends the connection: fails the send under way, then close_notify and FIN unless sending
    /// was finished.
    fn close(mut self) {
        if self.sending.is_some() {
            self.sending = None;
            self.complete(Err(closed()));
        }
        if !self.conn.state().sending_finished {
            self.transport
                .set_write_deadline(Deadline::after(Some(CLOSE_TIMEOUT)));
            // The client may already be gone; closing still succeeds.
            let _ = self.transport.shutdown();
        }
    }
}

/// The error of sending after the sending half was closed.
pub(super) fn sending_finished(peer: SocketAddr) -> Error {
    Error::new(
        ErrorKind::Closed,
        format!("the sending half of the connection from {peer} is closed: sending was finished"),
    )
}
