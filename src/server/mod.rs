//! Receiving connections: [`Server`] listens on one or more addresses, lets clients in up to a
//! limit, and hands out their connections by opaque string IDs, read by the same rules as a
//! client [`Connection`](crate::Connection) reads (see [`crate::reader`]).
//!
//! ```no_run
//! use std::time::Duration;
//! use tcplink::{ReadLimits, Server, ServerOptions};
//!
//! let server = Server::start(ServerOptions::new("127.0.0.1:7000".parse().unwrap()))?;
//! while let Some(id) = server.next_with_data(Some(Duration::from_secs(60)))? {
//!     let line = server.read(&id, &ReadLimits { marker: b"\n", ..Default::default() })?;
//!     if line.active {
//!         server.send(&id, &line.data, None)?; // an echo
//!     } else {
//!         println!("{} left", line.peer); // the connection is closed, its ID gone
//!     }
//! }
//! # Ok::<(), tcplink::Error>(())
//! ```
//!
//! # How it works
//!
//! One thread accepts; each connection then has a thread of its own, with a small stack, which
//! runs the [`AcceptStep`] (a TLS handshake, bounded by
//! [`ServerOptions::handshake_timeout`]) and from then on is the only code that touches the
//! connection's transport: TLS streams cannot be read and written from two threads at once.
//! That thread reads the socket into the connection's inbox while the inbox holds less than
//! [`ServerOptions::buffer_limit`] bytes, and stops reading when it is full, so a client that
//! sends faster than the caller reads is slowed by TCP flow control. Calls about a connection
//! take only that connection's lock, and never hold it across I/O: a slow or silent client
//! never delays calls about another. [`Server::next_with_data`] waits on a condition variable
//! the connection threads signal as data arrives, never on a timer.
//!
//! A client that closes its side stays listed (and [`Server::next_with_data`] returns it) until
//! a read has returned the last of what it sent with [`ServerRead::active`] = `false` (an empty
//! read with [`ReadEnd::Eof`] when nothing was left unread); then the connection is closed and
//! leaves the list. So every connection's end is reported by exactly one read. A client that
//! half-closes and waits for an answer is answered with
//! [`ServerOptions::keep_open_after_client_end`]: the connection then stays open for sending
//! until [`Server::finish_sending`] or [`Server::close`].
//!
//! [`Server::next_with_data`] serves every connection from one loop; for a thread per client,
//! take each new connection from [`Server::accept`] and wait for its data with
//! [`Server::wait_for_data`].

mod conn;
mod listen;
mod options;
mod registry;
mod worker;

pub use options::{
    AcceptStep, AllowedClients, PlainAccept, ServerOptions, TlsAccept, DEFAULT_BUFFER_LIMIT,
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_SEND_TIMEOUT,
};

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use conn::{Conn, Inbox, Job};
use listen::{Acceptor, Admission};
use registry::{join_all, Registry};
use worker::{sending_finished, Context, Ending};

use crate::events::Event;
use crate::reader::{ReadEnd, ReadLimits};
use tcplink_transport::{Deadline, Error, Result};

/// What one read of a server connection returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRead {
    /// The bytes read, the marker included when the read ended on it.
    pub data: Vec<u8>,
    /// Why the read ended.
    pub end: ReadEnd,
    /// `false` when the client has closed its side and these were its last bytes (possibly
    /// none): the connection is closed and its ID is no longer valid, unless
    /// [`ServerOptions::keep_open_after_client_end`] keeps it open for sending.
    pub active: bool,
    /// The client.
    pub peer: SocketAddr,
}

/// One open connection of a server, as [`Server::connections`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The connection's ID.
    pub id: String,
    /// The client.
    pub peer: SocketAddr,
    /// Whether there is or may still be something to read: bytes unread, or a receiving half
    /// that neither the client nor [`Server::finish_receiving`] closed.
    pub can_read: bool,
    /// Whether sending is possible: [`Server::finish_sending`] was not called.
    pub can_write: bool,
    /// Bytes received and not yet returned by a read (at most about
    /// [`ServerOptions::buffer_limit`] plus what a read that ended on a marker left over).
    pub unread: usize,
}

/// A TCP server (TLS through its [`AcceptStep`]): see the [module docs](self).
///
/// Every method takes `&self`: share the server between threads (in an `Arc`) to serve
/// connections in parallel. [`stop`](Server::stop), or dropping it, closes the listeners and
/// every connection and joins every thread the server started.
pub struct Server {
    context: Arc<Context>,
    acceptor: Mutex<Option<Acceptor>>,
    local_addrs: Vec<SocketAddr>,
    send_timeout: Option<Duration>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addrs", &self.local_addrs)
            .field("connections", &self.context.registry.len())
            .finish()
    }
}

impl Server {
    /// Listens on every address of `options.listen` and starts accepting. Fails when the
    /// options are out of range ([`argument`](tcplink_transport::ErrorKind::Argument) error
    /// naming the field) or an address cannot be bound.
    pub fn start(options: ServerOptions) -> Result<Server> {
        let events = crate::events::Emitter::new(options.events.as_deref());
        events.on_error(options.validate())?;
        let listeners = events.on_error(listen::bind(&options.listen))?;
        let local_addrs = listeners
            .iter()
            .map(|l| l.local_addr())
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::from_io(&e, "reading the listening address"));
        let local_addrs = events.on_error(local_addrs)?;
        for &addr in &local_addrs {
            events.emit(Event::Listening { addr });
        }
        let context = Arc::new(Context {
            registry: Registry::default(),
            accept: options.accept,
            handshake_timeout: options.handshake_timeout,
            keep_open_after_client_end: options.keep_open_after_client_end,
            events: options.events,
        });
        let admission = Admission {
            max_connections: options.max_connections,
            evict_oldest: options.evict_oldest,
            allowed: options.allowed_clients,
            buffer_limit: options.buffer_limit,
        };
        let acceptor = Acceptor::start(listeners, context.clone(), admission);
        let acceptor = context.emitter().on_error(acceptor)?;
        Ok(Server {
            context,
            acceptor: Mutex::new(Some(acceptor)),
            local_addrs,
            send_timeout: options.send_timeout,
        })
    }

    /// The first address listened on, with the port the system picked when 0 was asked for.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs[0]
    }

    /// Every address listened on, in the order of [`ServerOptions::listen`].
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// Whether the server is running (not stopped).
    pub fn is_running(&self) -> bool {
        self.lock_acceptor().is_some()
    }

    /// The open connections, oldest first (those still in their accept step are not listed).
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        self.context
            .registry
            .established()
            .iter()
            .map(|conn| {
                let state = conn.state();
                ConnectionInfo {
                    id: conn.id.clone(),
                    peer: conn.peer,
                    can_read: !state.receiving_finished
                        && (state.unread() > 0 || state.may_receive()),
                    can_write: !state.sending_finished && !state.closing,
                    unread: state.unread(),
                }
            })
            .collect()
    }

    /// Waits for a connection that has come in (through its accept step: a TLS handshake) and no
    /// call of `accept` returned yet, and returns its ID, oldest first; `None` when `timeout`
    /// passes first (`None` or zero: no limit). Wakes when a connection comes, never on a timer.
    /// Connections closed before they were asked for are skipped. With a thread per connection
    /// waiting on [`wait_for_data`](Server::wait_for_data), this serves each client on its own.
    /// Calling it is optional: connections are served and listed whether or not it is called.
    pub fn accept(&self, timeout: Option<Duration>) -> Result<Option<String>> {
        self.context.registry.next_arrived(Deadline::after(timeout))
    }

    /// Waits until a connection has unread data, or its client closed and no read has reported
    /// that yet, and returns its ID; `None` when `timeout` passes first (`None` or zero: no
    /// limit). Wakes when data arrives, never on a timer. Connections with unread data take
    /// turns: asking again without reading returns the others first.
    pub fn next_with_data(&self, timeout: Option<Duration>) -> Result<Option<String>> {
        self.context.registry.next_ready(Deadline::after(timeout))
    }

    /// Waits until connection `id` has something for a read: unread bytes, or its end (the client
    /// closed its side, or the receiving half was finished).
    /// Returns `false` when `timeout` passes first (`None` or zero: no limit); wakes when data
    /// arrives, never on a timer. An unknown ID fails at once; a connection closed meanwhile
    /// fails with a [`closed`](tcplink_transport::ErrorKind::Closed) error.
    pub fn wait_for_data(&self, id: &str, timeout: Option<Duration>) -> Result<bool> {
        let events = self.context.emitter();
        let conn = events.on_error(self.context.registry.get(id))?;
        let deadline = Deadline::after(timeout);
        let mut state = conn.state();
        loop {
            if state.has_news() || state.receiving_finished || state.end_reported {
                return Ok(true);
            }
            if state.closing || state.gone {
                return events.on_error(Err(conn::closed()));
            }
            let (next, expired) = conn.wait(state, deadline);
            if expired {
                return Ok(false);
            }
            state = next;
        }
    }

    /// Reads from connection `id` by the reading rules (see [`crate::reader`]): the read ends on
    /// the marker, `max_size` bytes, the whole-read timeout, the idle timeout or the client's
    /// close; bytes after the marker or past `max_size` are kept for the next read. Reads of
    /// one connection take turns; reads of others run at the same time.
    pub fn read(&self, id: &str, limits: &ReadLimits<'_>) -> Result<ServerRead> {
        let events = self.context.emitter();
        events.on_error(limits.validate())?;
        let conn = events.on_error(self.context.registry.get(id))?;
        let mut buffer = conn.reader.lock().unwrap_or_else(|p| p.into_inner());
        let read = buffer.read_until(&mut Inbox::new(&conn), limits);
        let active = conn.state().end_read(buffer.pending().len());
        drop(buffer);
        self.context.after_change(&conn);
        let read = read.map_err(|e| Error::from_io(&e, &format!("reading from {}", conn.peer)));
        let read = events.on_error(read)?;
        events.emit(Event::ConnectionRead {
            id,
            bytes: read.data.len(),
            end: read.end,
        });
        Ok(ServerRead {
            data: read.data,
            end: read.end,
            active,
            peer: conn.peer,
        })
    }

    /// Sends all of `data` to connection `id` within `timeout` (`None`: the server's
    /// [`ServerOptions::send_timeout`]; zero: no limit). A client that does not read makes the
    /// send fail with a [`timeout`](tcplink_transport::ErrorKind::Timeout) error when the time
    /// is up, without delaying anything else; sends to one connection take turns.
    pub fn send(&self, id: &str, data: &[u8], timeout: Option<Duration>) -> Result<()> {
        let deadline = Deadline::after(timeout.or(self.send_timeout));
        self.job(id, |conn| {
            if conn.state().sending_finished {
                return Err(sending_finished(conn.peer));
            }
            conn.run_job(Job::Send {
                data: data.to_vec(),
                deadline,
            })?;
            self.context.emitter().emit(Event::ConnectionSent {
                id,
                bytes: data.len(),
            });
            Ok(())
        })
    }

    /// Closes the sending half of connection `id` (close_notify for TLS, then FIN) within the
    /// server's [`ServerOptions::send_timeout`]: the client reads the end of the data; reading
    /// goes on. Later sends fail with a [`closed`](tcplink_transport::ErrorKind::Closed) error
    /// saying the sending half is closed. Finishing twice is a no-op. A connection kept open
    /// after its client's end ([`ServerOptions::keep_open_after_client_end`]) is closed by it.
    pub fn finish_sending(&self, id: &str) -> Result<()> {
        let deadline = Deadline::after(self.send_timeout);
        self.job(id, |conn| {
            if conn.state().sending_finished {
                return Ok(());
            }
            let done = conn.run_job(Job::FinishSending(deadline));
            self.context.after_change(conn);
            done
        })
    }

    /// Closes the receiving half of connection `id`: what arrived and was not read is dropped,
    /// and whatever the client sends from now on is discarded. Sending goes on.
    pub fn finish_receiving(&self, id: &str) -> Result<()> {
        self.job(id, |conn| {
            conn.run_job(Job::FinishReceiving)?;
            conn.reader
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
            conn.update(|state| state.reader_pending = 0);
            Ok(())
        })
    }

    /// Closes connection `id` (close_notify for TLS, then FIN, within a second, on the
    /// connection's thread): its ID is invalid from now on, and a send or read under way on
    /// another thread ends with a [`closed`](tcplink_transport::ErrorKind::Closed) error or the
    /// data read so far.
    pub fn close(&self, id: &str) -> Result<()> {
        let events = self.context.emitter();
        let conn = events.on_error(self.context.registry.get(id))?;
        self.context.retire(&conn, Ending::Closed);
        Ok(())
    }

    /// Stops the server: closes the listeners and every connection, and joins every thread it
    /// started. Later calls fail with a [`closed`](tcplink_transport::ErrorKind::Closed) error;
    /// stopping again is a no-op. A new server can listen on the same port at once.
    pub fn stop(&self) {
        let Some(mut acceptor) = self.lock_acceptor().take() else {
            return;
        };
        acceptor.stop();
        let (conns, threads) = self.context.registry.stop();
        for conn in &conns {
            conn.request_close();
        }
        join_all(threads);
        self.context.emitter().emit(Event::Stopped {
            connections: conns.len(),
        });
    }

    /// Runs `job` on connection `id` with the connection's job lock held; errors go to the
    /// event sink.
    fn job(&self, id: &str, job: impl FnOnce(&Arc<Conn>) -> Result<()>) -> Result<()> {
        let events = self.context.emitter();
        let conn = events.on_error(self.context.registry.get(id))?;
        let _turn = conn.jobs.lock().unwrap_or_else(|p| p.into_inner());
        events.on_error(job(&conn))
    }

    fn lock_acceptor(&self) -> std::sync::MutexGuard<'_, Option<Acceptor>> {
        self.acceptor.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
