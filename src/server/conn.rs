//! [`Conn`]: what the callers and the thread of one server connection share.
//!
//! The connection's thread alone touches its transport (see `worker`). It moves received
//! bytes into the connection's inbox, and callers hand it jobs (a send, finishing a half) through
//! the same state, under the connection's own lock: no lock is ever held across I/O, and no
//! lock of one connection is held while waiting for another. Callers wait on a [`Condvar`];
//! the thread waits on its [`Poller`], which they wake with [`Poller::notify`].

use std::collections::VecDeque;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use polling::Poller;

use crate::reader::ReadBuffer;
use tcplink_transport::{Deadline, DeadlineRead, Error, ErrorKind, Result};

/// Work a caller hands to the connection's thread. One at a time: callers take
/// [`Conn::jobs`] first.
#[derive(Debug)]
pub(super) enum Job {
    /// Send all of the data by the deadline.
    Send {
        /// The bytes.
        data: Vec<u8>,
        /// By when they must be sent.
        deadline: Deadline,
    },
    /// Close the sending half (close_notify, then FIN) by the deadline.
    FinishSending(Deadline),
    /// Close the receiving half and drop what is unread.
    FinishReceiving,
}

/// The state of one connection, under [`Conn`]'s lock.
#[derive(Debug, Default)]
pub(super) struct State {
    /// Bytes received by the thread and not yet taken by a reader.
    pub inbox: VecDeque<u8>,
    /// Bytes a reader took from the inbox and still holds (after a marker), as of its last read.
    pub reader_pending: usize,
    /// The accept step is done: the connection is listed.
    pub established: bool,
    /// The client closed its side (or the connection failed): no more bytes will come.
    pub peer_finished: bool,
    /// A read has told the caller that the client is done (`active` = `false`).
    pub end_reported: bool,
    /// The receiving half was closed by [`Job::FinishReceiving`].
    pub receiving_finished: bool,
    /// The sending half was closed by [`Job::FinishSending`].
    pub sending_finished: bool,
    /// Closing was asked for: the thread ends the connection and exits.
    pub closing: bool,
    /// The thread has exited.
    pub gone: bool,
    /// The job handed to the thread and not yet taken.
    pub job: Option<Job>,
    /// The outcome of the last job, for the caller waiting for it.
    pub job_done: Option<Result<()>>,
}

impl State {
    /// Bytes received and not yet returned by a read.
    pub fn unread(&self) -> usize {
        self.inbox.len() + self.reader_pending
    }

    /// Whether more bytes may still arrive.
    pub fn may_receive(&self) -> bool {
        !(self.peer_finished || self.receiving_finished || self.closing)
    }

    /// Whether a read has something to tell: unread bytes, or that the client is done.
    pub fn has_news(&self) -> bool {
        (self.unread() > 0 && !self.receiving_finished)
            || (self.peer_finished && !self.end_reported)
    }

    /// Whether the connection is over: a read has said the client is done and, when
    /// connections stay open for sending after that (`keep_open`), sending was finished too.
    pub fn is_over(&self, keep_open: bool) -> bool {
        self.end_reported && (!keep_open || self.sending_finished)
    }

    /// Ends a read: records what the reader still holds and whether the client is done with
    /// nothing left unread, which the read reports as its end. Whether the connection is still
    /// active.
    pub fn end_read(&mut self, reader_pending: usize) -> bool {
        self.reader_pending = reader_pending;
        if self.peer_finished && self.unread() == 0 {
            self.end_reported = true;
        }
        !self.end_reported
    }
}

/// One server connection as its callers and its thread share it.
pub(super) struct Conn {
    /// The key in the registry (and the ID's number).
    pub seq: u64,
    /// The opaque ID handed to callers.
    pub id: String,
    /// The client.
    pub peer: SocketAddr,
    /// The most unread bytes held before the thread stops reading the socket.
    pub buffer_limit: usize,
    state: Mutex<State>,
    /// Told every change of the state callers wait for: bytes arrived, the peer finished, a
    /// job done, the connection closing.
    changed: Condvar,
    /// What the connection's thread waits on; callers `notify` it after handing it work.
    pub waker: Poller,
    /// The reading side's buffer (bytes after a marker stay here); one read at a time.
    pub reader: Mutex<ReadBuffer>,
    /// Held by a caller for the whole of a job: one job at a time.
    pub jobs: Mutex<()>,
    /// Whether the connection is in the registry's queue of connections with unread data;
    /// changed only under the state lock.
    pub queued: AtomicBool,
    /// A handle of the socket while the accept step runs, so that closing the connection can
    /// cut a stalled handshake short instead of waiting for its deadline.
    handshaking: Mutex<Option<TcpStream>>,
}

impl Conn {
    /// A connection from `peer` that is not established yet.
    pub fn new(seq: u64, peer: SocketAddr, buffer_limit: usize) -> io::Result<Conn> {
        Ok(Conn {
            seq,
            id: seq.to_string(),
            peer,
            buffer_limit,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            waker: Poller::new()?,
            reader: Mutex::new(ReadBuffer::new()),
            jobs: Mutex::new(()),
            queued: AtomicBool::new(false),
            handshaking: Mutex::new(None),
        })
    }

    /// The state, locked. A thread that panicked while holding it left it consistent (every
    /// change is a single assignment), so poisoning is ignored.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the state, then wakes the callers waiting on it and the connection's thread.
    pub fn update<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        let result = self.publish(change);
        let _ = self.waker.notify();
        result
    }

    /// Changes the state and wakes the callers waiting on it: for the connection's own thread,
    /// which needs no wake-up.
    pub fn publish<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        let result = change(&mut self.state());
        self.changed.notify_all();
        result
    }

    /// Waits for a change of the state until `deadline`; returns the state and whether the
    /// deadline passed.
    pub fn wait<'a>(
        &self,
        state: MutexGuard<'a, State>,
        deadline: Deadline,
    ) -> (MutexGuard<'a, State>, bool) {
        match deadline.time_left() {
            Err(_) => (state, true),
            Ok(None) => (
                self.changed.wait(state).unwrap_or_else(|p| p.into_inner()),
                false,
            ),
            Ok(Some(left)) => {
                let (state, _) = self
                    .changed
                    .wait_timeout(state, left)
                    .unwrap_or_else(|p| p.into_inner());
                (state, false)
            }
        }
    }

    /// Asks the connection's thread to close the connection and exit; a handshake under way
    /// ends at once, its socket shut down.
    pub fn request_close(&self) {
        self.update(|state| state.closing = true);
        if let Some(socket) = self.lock_handshaking().as_ref() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }

    /// Keeps a handle of the socket for the time of the accept step (`None` when it ends), for
    /// [`request_close`](Conn::request_close). A close asked for before the step starts shuts
    /// the socket down at once.
    pub fn set_handshaking(&self, socket: Option<TcpStream>) {
        let mut handshaking = self.lock_handshaking();
        *handshaking = socket;
        if self.state().closing {
            if let Some(socket) = handshaking.as_ref() {
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
    }

    fn lock_handshaking(&self) -> MutexGuard<'_, Option<TcpStream>> {
        self.handshaking.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a read of the connection has something to tell; when not, it leaves the
    /// registry's queue (both under the state lock, so the thread cannot add news in between
    /// unseen).
    pub fn stays_queued(&self) -> bool {
        let state = self.state();
        let news = state.has_news();
        if !news {
            self.queued.store(false, Ordering::SeqCst);
        }
        news
    }

    /// Whether the connection must now enter the registry's queue; called under the state lock
    /// when it has news.
    pub fn needs_queueing(&self) -> bool {
        !self.queued.swap(true, Ordering::SeqCst)
    }

    /// Hands `job` to the connection's thread and waits for its outcome. The caller holds
    /// [`Conn::jobs`].
    pub fn run_job(&self, job: Job) -> Result<()> {
        let mut state = self.state();
        check_open(&state)?;
        state.job = Some(job);
        state.job_done = None;
        drop(state);
        let _ = self.waker.notify();
        let mut state = self.state();
        loop {
            if let Some(done) = state.job_done.take() {
                return done;
            }
            if state.gone {
                return Err(closed());
            }
            state = self.wait(state, Deadline::NONE).0;
        }
    }
}

/// The error of an operation on a closed connection.
pub(super) fn closed() -> Error {
    Error::new(ErrorKind::Closed, "the connection is closed")
}

/// Fails when the connection is closing or gone.
fn check_open(state: &State) -> Result<()> {
    if state.closing || state.gone {
        Err(closed())
    } else {
        Ok(())
    }
}

/// The byte source a read of a server connection reads from: the connection's inbox, waiting
/// for the thread to fill it until the deadline the reader sets.
pub(super) struct Inbox<'a> {
    conn: &'a Conn,
    deadline: Deadline,
}

impl<'a> Inbox<'a> {
    /// The inbox of `conn`.
    pub fn new(conn: &'a Conn) -> Self {
        Inbox {
            conn,
            deadline: Deadline::NONE,
        }
    }
}

impl io::Read for Inbox<'_> {
    /// Takes what the inbox holds, up to `buf.len()` bytes; waits while it is empty and more
    /// may come. Returns 0 once nothing more will come, and a time-out when the deadline passes.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut state = self.conn.state();
        loop {
            if !state.inbox.is_empty() && !state.receiving_finished {
                let was_full = state.inbox.len() >= self.conn.buffer_limit;
                let n = buf.len().min(state.inbox.len());
                let (front, back) = state.inbox.as_slices();
                let from_front = n.min(front.len());
                buf[..from_front].copy_from_slice(&front[..from_front]);
                buf[from_front..n].copy_from_slice(&back[..n - from_front]);
                state.inbox.drain(..n);
                if state.inbox.is_empty() && state.inbox.capacity() > crate::reader::CHUNK_SIZE {
                    state.inbox = VecDeque::new();
                }
                drop(state);
                if was_full {
                    // The thread stopped reading the socket; there is room again.
                    let _ = self.conn.waker.notify();
                }
                return Ok(n);
            }
            if !state.may_receive() || state.gone {
                return Ok(0);
            }
            let (next, expired) = self.conn.wait(state, self.deadline);
            if expired {
                return Err(io::ErrorKind::TimedOut.into());
            }
            state = next;
        }
    }
}

impl DeadlineRead for Inbox<'_> {
    fn set_read_deadline(&mut self, deadline: Deadline) {
        self.deadline = deadline;
    }
}
