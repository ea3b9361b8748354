//! [`Registry`]: a server's connections by ID, the queue of those with unread data, and the
//! threads it started.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use super::conn::Conn;
use tcplink_transport::{Deadline, Error, ErrorKind, Result};

/// The number of the next connection, across every server of the process: an ID is never
/// handed out twice, not even by a server started again on the same port.
static NEXT_SEQ: AtomicU64 = AtomicU64::new(1);

/// A number for a new connection.
pub(super) fn next_seq() -> u64 {
    NEXT_SEQ.fetch_add(1, Ordering::Relaxed)
}

/// What the registry's lock guards.
#[derive(Default)]
struct Inner {
    /// Open connections by number: the first is the oldest.
    conns: BTreeMap<u64, Arc<Conn>>,
    /// Connections that had unread data when they were queued, in turn.
    ready: VecDeque<Arc<Conn>>,
    /// Connections established and not yet returned by [`Registry::next_arrived`], oldest first.
    arrived: VecDeque<Arc<Conn>>,
    /// The connection threads not joined yet.
    threads: Vec<JoinHandle<()>>,
    /// The server stopped: nothing is found any more.
    stopped: bool,
}

/// A server's connections. Lock order: the registry before a connection's state, never the
/// other way round.
#[derive(Default)]
pub(super) struct Registry {
    inner: Mutex<Inner>,
    /// Told when a connection is queued or arrives, and when the server stops.
    changed: Condvar,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The connection with `id`: an [`argument`](ErrorKind::Argument) error naming the ID when
    /// there is none, a [`closed`](ErrorKind::Closed) one when the server stopped.
    pub fn get(&self, id: &str) -> Result<Arc<Conn>> {
        let inner = self.lock();
        if inner.stopped {
            return Err(stopped());
        }
        id.parse::<u64>()
            .ok()
            .and_then(|seq| inner.conns.get(&seq))
            .filter(|conn| conn.state().established)
            .cloned()
            .ok_or_else(|| {
                Error::argument(
                    "connection_id",
                    format!("{id:?} is not an open connection of this server"),
                )
            })
    }

    /// How many connections are open (established or in their accept step).
    pub fn len(&self) -> usize {
        self.lock().conns.len()
    }

    /// Adds a connection.
    pub fn insert(&self, conn: Arc<Conn>) {
        self.lock().conns.insert(conn.seq, conn);
    }

    /// Removes the connection numbered `seq`, from the queues too (so that it is dropped even
    /// when nobody asks [`next_ready`](Registry::next_ready) or
    /// [`next_arrived`](Registry::next_arrived)); whether it was there.
    pub fn remove(&self, seq: u64) -> bool {
        let mut inner = self.lock();
        inner.ready.retain(|conn| conn.seq != seq);
        inner.arrived.retain(|conn| conn.seq != seq);
        inner.conns.remove(&seq).is_some()
    }

    /// The oldest connection, if any.
    pub fn oldest(&self) -> Option<Arc<Conn>> {
        self.lock().conns.values().next().cloned()
    }

    /// The established connections, oldest first.
    pub fn established(&self) -> Vec<Arc<Conn>> {
        let inner = self.lock();
        inner
            .conns
            .values()
            .filter(|conn| conn.state().established)
            .cloned()
            .collect()
    }

    /// Queues `conn`, which has unread data, and wakes a waiting
    /// [`next_ready`](Registry::next_ready); one removed already is not queued.
    pub fn queue(&self, conn: &Arc<Conn>) {
        let mut inner = self.lock();
        if !inner.conns.contains_key(&conn.seq) {
            return;
        }
        inner.ready.push_back(conn.clone());
        drop(inner);
        self.changed.notify_all();
    }

    /// The ID of the next connection with unread data, in turn, waiting for one until
    /// `deadline`: `None` when it passes. A connection stays queued while it has unread data,
    /// so asking again without reading returns the others first, then it again.
    pub fn next_ready(&self, deadline: Deadline) -> Result<Option<String>> {
        self.wait_for(deadline, |inner| {
            while let Some(conn) = inner.ready.pop_front() {
                if !inner.conns.contains_key(&conn.seq) {
                    continue;
                }
                if conn.stays_queued() {
                    let id = conn.id.clone();
                    inner.ready.push_back(conn);
                    return Some(id);
                }
            }
            None
        })
    }

    /// Records that `conn` is established, for [`next_arrived`](Registry::next_arrived); one
    /// removed already (closed during its accept step) is not recorded. The record never holds
    /// more than the open connections: [`remove`](Registry::remove) takes them out.
    pub fn arrive(&self, conn: &Arc<Conn>) {
        let mut inner = self.lock();
        if inner.stopped || !inner.conns.contains_key(&conn.seq) {
            return;
        }
        inner.arrived.push_back(conn.clone());
        drop(inner);
        self.changed.notify_all();
    }

    /// The ID of the oldest connection established and not returned yet (still open), waiting
    /// for one until `deadline`: `None` when it passes.
    pub fn next_arrived(&self, deadline: Deadline) -> Result<Option<String>> {
        self.wait_for(deadline, |inner| {
            while let Some(conn) = inner.arrived.pop_front() {
                if inner.conns.contains_key(&conn.seq) {
                    return Some(conn.id.clone());
                }
            }
            None
        })
    }

    /// Waits until `find` finds something (each change is told on [`Registry::changed`]) or
    /// `deadline` passes (`None`); a stopped registry fails.
    fn wait_for(
        &self,
        deadline: Deadline,
        mut find: impl FnMut(&mut Inner) -> Option<String>,
    ) -> Result<Option<String>> {
        let mut inner = self.lock();
        loop {
            if inner.stopped {
                return Err(stopped());
            }
            if let Some(found) = find(&mut inner) {
                return Ok(Some(found));
            }
            inner = match deadline.time_left() {
                Err(_) => return Ok(None),
                Ok(None) => self.changed.wait(inner).unwrap_or_else(|p| p.into_inner()),
                Ok(Some(left)) => {
                    self.changed
                        .wait_timeout(inner, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }

    /// Keeps a connection thread to join, joining those that have ended.
    pub fn add_thread(&self, thread: JoinHandle<()>) {
        let ended = {
            let mut inner = self.lock();
            inner.threads.push(thread);
            let (ended, running) = std::mem::take(&mut inner.threads)
                .into_iter()
                .partition(JoinHandle::is_finished);
            inner.threads = running;
            ended
        };
        join_all(ended);
    }

    /// Stops the registry: every later lookup fails, waiters wake; returns the connections that
    /// were open and the threads to join.
    pub fn stop(&self) -> (Vec<Arc<Conn>>, Vec<JoinHandle<()>>) {
        let mut inner = self.lock();
        inner.stopped = true;
        inner.ready.clear();
        inner.arrived.clear();
        let conns = std::mem::take(&mut inner.conns).into_values().collect();
        let threads = std::mem::take(&mut inner.threads);
        drop(inner);
        self.changed.notify_all();
        (conns, threads)
    }
}

/// Joins `threads`. A connection thread that panicked has already released its connection (its
/// guard runs while unwinding), so its panic is not passed on.
pub(super) fn join_all(threads: Vec<JoinHandle<()>>) {
    for thread in threads {
        let _ = thread.join();
    }
}

/// The error of a call to a stopped server.
pub(super) fn stopped() -> Error {
    Error::new(ErrorKind::Closed, "the server is stopped")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A registered connection from a test address.
    fn registered(registry: &Registry) -> Arc<Conn> {
        let conn = Arc::new(Conn::new(next_seq(), "127.0.0.1:9".parse().unwrap(), 1).unwrap());
        registry.insert(conn.clone());
        conn
    }

    #[test]
    fn a_removed_connection_leaves_the_queues_nobody_asked() {
        let registry = Registry::default();
        let (left, stays) = (registered(&registry), registered(&registry));
        for conn in [&left, &stays] {
            registry.arrive(conn);
            registry.queue(conn);
        }
        assert!(registry.remove(left.seq));
        // Only this handle is left: the queues let go of it.
        assert_eq!(Arc::strong_count(&left), 1);
        assert_eq!(Arc::strong_count(&stays), 4);
        // One removed before it arrives or has news is not recorded.
        registry.arrive(&left);
        registry.queue(&left);
        assert_eq!(Arc::strong_count(&left), 1);
        let inner = registry.lock();
        assert_eq!((inner.ready.len(), inner.arrived.len()), (1, 1));
    }
}
