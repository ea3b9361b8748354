//! Happy Eyeballs (RFC 8305): connection attempts over a host's addresses, interleaved by family
//! and started one after another with a stagger, the first to connect winning.
//!
//! The attempts are non-blocking sockets waited on together with one [`Poller`] (epoll, kqueue
//! or IOCP), all on the caller's thread: when [`race`] returns, every attempt but the winner is
//! closed and nothing of the race is left running.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use polling::{Event as Interest, Events, Poller};
use socket2::{Domain, Protocol, Socket, Type};

use crate::events::{Emitter, Event};
use tcplink_transport::{Deadline, Error, ErrorKind, Result};

/// The shortest stagger between attempts: RFC 8305 §5 bounds the Connection Attempt Delay below
/// by 10 ms; shorter ones are raised to this.
pub const MIN_ATTEMPT_DELAY: Duration = Duration::from_millis(10);

/// The order in which `addrs` are tried (RFC 8305 §4): families interleaved one address at a
/// time, starting with the family of the first address the resolver returned, each family
/// keeping the resolver's order.
pub fn attempt_order(addrs: &[SocketAddr]) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return Vec::new();
    };
    let (mut preferred, mut other): (Vec<SocketAddr>, Vec<SocketAddr>) =
        addrs.iter().partition(|a| a.is_ipv6() == first.is_ipv6());
    preferred.reverse();
    other.reverse();
    let mut order = Vec::with_capacity(addrs.len());
    while !preferred.is_empty() || !other.is_empty() {
        order.extend(preferred.pop());
        order.extend(other.pop());
    }
    order
}

/// Connects to the first of `addrs` (in [`attempt_order`]) that accepts: an attempt starts every
/// `stagger` while earlier ones are still pending (at once when one fails), or, with no stagger,
/// only when the one before has failed. The winner is returned blocking, as
/// [`TcpStream::connect`] gives it; the other attempts are closed. Each attempt's start, outcome
/// or cancellation is told to `events`. When every attempt fails, or the deadline passes first,
/// the error names every address and why (`what` names the target in it).
pub(crate) fn race(
    addrs: &[SocketAddr],
    deadline: Deadline,
    stagger: Option<Duration>,
    what: &str,
    events: Emitter<'_>,
) -> Result<TcpStream> {
    let order = attempt_order(addrs);
    let poller = Poller::new().map_err(|e| Error::from_io(&e, &format!("connecting to {what}")))?;
    let mut race = Race {
        poller,
        order: &order,
        in_flight: Vec::new(),
        failures: Vec::new(),
        timed_out: false,
        events,
    };
    let stagger = stagger.map(|d| d.max(MIN_ATTEMPT_DELAY));
    race.run(deadline, stagger).ok_or_else(|| race.error(what))
}

/// One pending attempt: `order[key]`'s socket, registered with the poller under `key`.
struct Attempt {
    key: usize,
    socket: Socket,
    started: Instant,
}

/// What became of an attempt when it was started or reported ready.
enum Outcome {
    /// It connected: the race is won.
    Connected(TcpStream),
    /// It is still connecting.
    Pending,
    /// It failed (and was told and recorded): the next attempt may start at once.
    Failed,
}

/// The state of one [`race`].
struct Race<'a> {
    poller: Poller,
    order: &'a [SocketAddr],
    in_flight: Vec<Attempt>,
    /// `address: why` for every attempt that failed.
    failures: Vec<String>,
    /// Whether the deadline ended the race.
    timed_out: bool,
    events: Emitter<'a>,
}

impl Race<'_> {
    /// Starts attempts and waits for them until one connects (its stream is returned) or none
    /// is left to wait for.
    fn run(&mut self, deadline: Deadline, stagger: Option<Duration>) -> Option<TcpStream> {
        let mut next = 0;
        let mut next_start = Instant::now();
        let mut ready =
            Events::with_capacity(self.order.len().try_into().unwrap_or(NonZeroUsize::MIN));
        loop {
            let may_start =
                self.in_flight.is_empty() || (stagger.is_some() && Instant::now() >= next_start);
            if next < self.order.len() && may_start && !deadline.expired() {
                let key = next;
                next += 1;
                next_start = Instant::now() + stagger.unwrap_or_default();
                match self.start(key) {
                    Outcome::Connected(stream) => return Some(stream),
                    Outcome::Pending => {}
                    Outcome::Failed => next_start = Instant::now(),
                }
                continue;
            }
            if deadline.expired() {
                self.timed_out = true;
                self.fail_all(&io::ErrorKind::TimedOut.into());
                return self.not_tried(next, "the connect timeout ran out first");
            }
            if self.in_flight.is_empty() {
                return None;
            }
            let starts_later = stagger
                .filter(|_| next < self.order.len())
                .map(|_| next_start);
            let wait_until = match (deadline.instant(), starts_later) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let timeout = wait_until.map(|at| at.saturating_duration_since(Instant::now()));
            ready.clear();
            if let Err(e) = self.poller.wait(&mut ready, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    self.fail_all(&e);
                    return self.not_tried(next, "waiting for the other attempts failed");
                }
            }
            for key in ready.iter().map(|r| r.key) {
                match self.finish(key) {
                    Outcome::Connected(stream) => return Some(stream),
                    Outcome::Pending => {}
                    Outcome::Failed => next_start = Instant::now(),
                }
            }
        }
    }

    /// Starts the attempt to `order[key]`.
    fn start(&mut self, key: usize) -> Outcome {
        let addr = self.order[key];
        self.events.emit(Event::Connecting { addr });
        let started = Instant::now();
        let begun = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .and_then(|socket| {
                socket.set_nonblocking(true)?;
                match socket.connect(&addr.into()) {
                    Ok(()) => Ok((socket, true)),
                    Err(e) if is_in_progress(&e) => Ok((socket, false)),
                    Err(e) => Err(e),
                }
            });
        match begun {
            Ok((socket, connected)) => {
                let attempt = Attempt {
                    key,
                    socket,
                    started,
                };
                if connected {
                    self.win(attempt)
                } else {
                    self.wait_for(attempt)
                }
            }
            Err(e) => self.fail(addr, &e),
        }
    }

    /// Looks at the attempt the poller reported ready; a report before the connect completed
    /// (spurious) waits on.
    fn finish(&mut self, key: usize) -> Outcome {
        let Some(attempt) = self.take(key) else {
            return Outcome::Pending;
        };
        let error = match attempt.socket.take_error() {
            Ok(None) => match attempt.socket.peer_addr() {
                Ok(_) => return self.win(attempt),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    return self.wait_for(attempt);
                }
                Err(e) => e,
            },
            Ok(Some(e)) | Err(e) => e,
        };
        self.fail(self.order[attempt.key], &error)
    }

    /// Registers a pending attempt with the poller.
    fn wait_for(&mut self, attempt: Attempt) -> Outcome {
        // SAFETY: the socket is deleted from the poller before it is closed: by `take`, `win`
        // (the losers), `fail_all` or `Race`'s `Drop`, whichever comes first.
        match unsafe {
            self.poller
                .add(&attempt.socket, Interest::writable(attempt.key))
        } {
            Ok(()) => {
                self.in_flight.push(attempt);
                Outcome::Pending
            }
            Err(e) => self.fail(self.order[attempt.key], &e),
        }
    }

    /// The connected attempt: made blocking and told, and the others cancelled.
    fn win(&mut self, attempt: Attempt) -> Outcome {
        let addr = self.order[attempt.key];
        if let Err(e) = attempt.socket.set_nonblocking(false) {
            return self.fail(addr, &e);
        }
        self.events.emit(Event::Connected {
            addr,
            elapsed: attempt.started.elapsed(),
        });
        for loser in std::mem::take(&mut self.in_flight) {
            let _ = self.poller.delete(&loser.socket);
            self.events.emit(Event::ConnectCancelled {
                addr: self.order[loser.key],
                winner: addr,
            });
        }
        Outcome::Connected(attempt.socket.into())
    }

    /// Removes the attempt under `key` from the poller and the pending ones.
    fn take(&mut self, key: usize) -> Option<Attempt> {
        let at = self.in_flight.iter().position(|a| a.key == key)?;
        let attempt = self.in_flight.swap_remove(at);
        let _ = self.poller.delete(&attempt.socket);
        Some(attempt)
    }

    /// Ends the race without a winner, naming the addresses from `order[next]` on as not tried
    /// and `why`.
    fn not_tried(&mut self, next: usize, why: &str) -> Option<TcpStream> {
        for addr in &self.order[next..] {
            self.failures.push(format!("{addr}: not tried, {why}"));
        }
        None
    }

    /// Fails every pending attempt with `error`.
    fn fail_all(&mut self, error: &io::Error) {
        let mut pending = std::mem::take(&mut self.in_flight);
        pending.sort_by_key(|a| a.key);
        for attempt in pending {
            let _ = self.poller.delete(&attempt.socket);
            self.fail(self.order[attempt.key], error);
        }
    }

    /// Tells and records that the attempt to `addr` failed.
    fn fail(&mut self, addr: SocketAddr, error: &io::Error) -> Outcome {
        self.events.emit(Event::ConnectFailed { addr, error });
        self.failures.push(format!("{addr}: {error}"));
        Outcome::Failed
    }

    /// The error of a race nobody won.
    fn error(&self, what: &str) -> Error {
        let kind = if self.timed_out {
            ErrorKind::Timeout
        } else {
            ErrorKind::Connect
        };
        Error::new(
            kind,
            format!("cannot connect to {what} ({})", self.failures.join("; ")),
        )
    }
}

impl Drop for Race<'_> {
    fn drop(&mut self) {
        for attempt in &self.in_flight {
            let _ = self.poller.delete(&attempt.socket);
        }
    }
}

/// Whether a non-blocking `connect` has started rather than failed.
fn is_in_progress(error: &io::Error) -> bool {
    #[cfg(unix)]
    if error.raw_os_error() == Some(libc::EINPROGRESS) {
        return true;
    }
    error.kind() == io::ErrorKind::WouldBlock
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    #[test]
    fn families_interleave_starting_with_the_first_address_family() {
        let resolved = addrs(&["[::1]:1", "[::2]:1", "[::3]:1", "10.0.0.1:1", "10.0.0.2:1"]);
        assert_eq!(
            attempt_order(&resolved),
            addrs(&["[::1]:1", "10.0.0.1:1", "[::2]:1", "10.0.0.2:1", "[::3]:1"])
        );
        let resolved = addrs(&["10.0.0.1:1", "[::1]:1", "[::2]:1", "10.0.0.2:1"]);
        assert_eq!(
            attempt_order(&resolved),
            addrs(&["10.0.0.1:1", "[::1]:1", "10.0.0.2:1", "[::2]:1"])
        );
        let one_family = addrs(&["10.0.0.2:1", "10.0.0.1:1"]);
        assert_eq!(attempt_order(&one_family), one_family);
        assert!(attempt_order(&[]).is_empty());
    }
}
