//! Listening: binding the server's addresses, and the accepting thread that lets each new
//! connection in (or refuses it) and starts its thread.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use polling::{Event as Interest, Events, Poller};
use socket2::{Domain, Protocol, Socket, Type};

use super::conn::Conn;
use super::options::AllowedClients;
use super::registry::next_seq;
use super::worker::{spawn, Context, Ending};
use crate::events::{Event, RefusalReason};
use tcplink_transport::{Error, Result};

/// How many connections may wait in the kernel for the accepting thread.
const BACKLOG: i32 = 1024;

/// How long accepting pauses after the system refused to accept (out of file descriptors).
const ACCEPT_BACK_OFF: Duration = Duration::from_millis(100);

/// The stack of the accepting thread.
const STACK_SIZE: usize = 128 * 1024;

/// Binds every address of `addrs`, in order; addresses after the first with port 0 take the
/// port the first got. IPv6 listeners are IPv6 only, so `0.0.0.0` and `[::]` can share a port.
pub(super) fn bind(addrs: &[SocketAddr]) -> Result<Vec<TcpListener>> {
    let mut picked = None;
    addrs
        .iter()
        .map(|&addr| {
            let mut addr = addr;
            if addr.port() == 0 {
                addr.set_port(picked.unwrap_or(0));
            }
            let listener =
                bind_one(addr).map_err(|e| Error::from_io(&e, &format!("listening on {addr}")))?;
            if picked.is_none() {
                picked = listener.local_addr().ok().map(|a| a.port());
            }
            Ok(listener)
        })
        .collect()
}

/// One listening socket on `addr`, non-blocking, for the accepting thread's poller.
fn bind_one(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // On Unix a server started again binds its port while connections of the last run are in
    // TIME_WAIT. (On Windows the option would let another program take a port in use.)
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// What the accepting thread needs besides the connections' context.
pub(super) struct Admission {
    /// The most connections open at once.
    pub max_connections: usize,
    /// Whether a full server closes its oldest connection for a new one.
    pub evict_oldest: bool,
    /// The clients let in.
    pub allowed: AllowedClients,
    /// How many unread bytes one connection holds.
    pub buffer_limit: usize,
}

/// The accepting thread: what stops it, and its handle.
pub(super) struct Acceptor {
    waker: Arc<Poller>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Acceptor {
    /// Starts accepting on `listeners`.
    pub fn start(
        listeners: Vec<TcpListener>,
        context: Arc<Context>,
        admission: Admission,
    ) -> Result<Acceptor> {
        let failed = |e: io::Error| Error::from_io(&e, "starting the accepting thread");
        let waker = Arc::new(Poller::new().map_err(failed)?);
        for (key, listener) in listeners.iter().enumerate() {
            // SAFETY: the listeners live in the accepting thread until it deletes them.
            unsafe { waker.add(listener, Interest::readable(key)) }.map_err(failed)?;
        }
        let stopping = Arc::new(AtomicBool::new(false));
        let accepting = Accepting {
            listeners,
            waker: waker.clone(),
            stopping: stopping.clone(),
            context,
            admission,
        };
        let thread = thread::Builder::new()
            .name("tcplink-accept".into())
            .stack_size(STACK_SIZE)
            .spawn(move || accepting.run())
            .map_err(failed)?;
        Ok(Acceptor {
            waker,
            stopping,
            thread: Some(thread),
        })
    }

    /// Stops accepting, closes the listeners and joins the thread.
    pub fn stop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = self.waker.notify();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The accepting thread's own state.
struct Accepting {
    listeners: Vec<TcpListener>,
    waker: Arc<Poller>,
    stopping: Arc<AtomicBool>,
    context: Arc<Context>,
    admission: Admission,
}

impl Accepting {
    /// Accepts until stopped.
    fn run(self) {
        let mut events = Events::new();
        while !self.stopping.load(Ordering::SeqCst) {
            events.clear();
            if let Err(e) = self.waker.wait(&mut events, None) {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.report(&e, "waiting for connections");
                    break;
                }
            }
            let ready: Vec<usize> = events.iter().map(|event| event.key).collect();
            for key in ready {
                if self.stopping.load(Ordering::SeqCst) {
                    break;
                }
                self.accept_all(key);
            }
        }
        for listener in &self.listeners {
            let _ = self.waker.delete(listener);
        }
    }

    /// Accepts every connection waiting on listener `key`, then waits for it again.
    fn accept_all(&self, key: usize) {
        let listener = &self.listeners[key];
        loop {
            match listener.accept() {
                Ok((stream, peer)) => self.admit(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                // Interrupted, or the client left before it was accepted.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    // Out of file descriptors or memory: the waiting connection stays queued
                    // and the listener stays readable, so give the system a moment instead of
                    // spinning (a stop still ends the pause at once).
                    self.report(&e, "accepting a connection");
                    let _ = self.waker.wait(&mut Events::new(), Some(ACCEPT_BACK_OFF));
                    break;
                }
            }
        }
        if let Err(e) = self.waker.modify(listener, Interest::readable(key)) {
            self.report(&e, "waiting for connections");
        }
    }

    /// Lets the connection from `peer` in and starts its thread, or closes it at once.
    fn admit(&self, stream: TcpStream, peer: SocketAddr) {
        let events = self.context.emitter();
        if !self.admission.allowed.allows(peer.ip()) {
            events.emit(Event::Refused {
                peer,
                reason: RefusalReason::NotAllowed,
            });
            return;
        }
        let registry = &self.context.registry;
        if registry.len() >= self.admission.max_connections {
            match registry.oldest() {
                Some(oldest) if self.admission.evict_oldest => {
                    self.context.retire(&oldest, Ending::Evicted)
                }
                _ => {
                    let limit = self.admission.max_connections;
                    events.emit(Event::Refused {
                        peer,
                        reason: RefusalReason::Full { limit },
                    });
                    return;
                }
            }
        }
        let configured = stream
            .set_nonblocking(false)
            .and_then(|()| stream.set_nodelay(true))
            .and_then(|()| Conn::new(next_seq(), peer, self.admission.buffer_limit));
        let conn = match configured {
            Ok(conn) => Arc::new(conn),
            Err(e) => return self.report(&e, &format!("accepting {peer}")),
        };
        registry.insert(conn.clone());
        events.emit(Event::Accepted { id: &conn.id, peer });
        match spawn(self.context.clone(), conn.clone(), stream) {
            Ok(thread) => registry.add_thread(thread),
            Err(e) => {
                registry.remove(conn.seq);
                self.report(
                    &e,
                    &format!("starting the thread of connection {}", conn.id),
                );
            }
        }
    }

    /// Tells the event sink that `doing` failed.
    fn report(&self, error: &io::Error, doing: &str) {
        let error = Error::from_io(error, doing);
        self.context.emitter().emit(Event::Error(&error));
    }
}
