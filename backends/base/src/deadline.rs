//! [`Deadline`], the one time-limit type: every timeout in tcplink becomes a point in time that
//! each blocking step checks, so a chain of steps (resolve, connect, proxy, TLS) shares one bound.

use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// A deadline has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired;

/// A point in time by which an operation must finish, or no limit at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No limit.
    pub const NONE: Deadline = Deadline(None);

    /// A deadline `timeout` from now; `None` or a zero duration means no limit (the API's
    /// convention: a timeout of 0 ms waits forever).
    pub fn after(timeout: Option<Duration>) -> Self {
        match timeout {
            Some(d) if !d.is_zero() => Deadline(Instant::now().checked_add(d)),
            _ => Deadline::NONE,
        }
    }

    /// A deadline `ms` milliseconds from now, with 0 meaning no limit.
    pub fn after_ms(ms: u64) -> Self {
        Deadline::after(Some(Duration::from_millis(ms)))
    }

    /// The instant, if there is a limit.
    pub fn instant(self) -> Option<Instant> {
        self.0
    }

    /// The time left: `Ok(None)` without a limit, `Ok(Some(d))` with `d > 0`, or a
    /// [`ErrorKind::Timeout`] error naming `what` once the deadline has passed.
    pub fn remaining(self, what: &str) -> Result<Option<Duration>> {
        self.time_left()
            .map_err(|Expired| Error::new(ErrorKind::Timeout, format!("{what}: timed out")))
    }

    /// The time left: `Ok(None)` without a limit, `Ok(Some(d))` with `d > 0`, or [`Expired`]: what
    /// a transport turns into the timeout of one system call.
    pub fn time_left(self) -> std::result::Result<Option<Duration>, Expired> {
        match self.0 {
            None => Ok(None),
            Some(at) => match at.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Ok(Some(left)),
                _ => Err(Expired),
            },
        }
    }

    /// Whether the deadline has passed.
    pub fn expired(self) -> bool {
        self.0.is_some_and(|at| Instant::now() >= at)
    }

    /// The earlier of two deadlines.
    pub fn min(self, other: Deadline) -> Deadline {
        match (self.0, other.0) {
            (Some(a), Some(b)) => Deadline(Some(a.min(b))),
            (a, b) => Deadline(a.or(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_no_limit() {
        assert_eq!(Deadline::after_ms(0), Deadline::NONE);
        assert_eq!(Deadline::NONE.remaining("x").unwrap(), None);
        assert!(!Deadline::NONE.expired());
    }

    #[test]
    fn expired_deadline_is_a_timeout() {
        let d = Deadline::after(Some(Duration::from_nanos(1)));
        std::thread::sleep(Duration::from_millis(2));
        assert!(d.expired());
        let err = d.remaining("connecting to a:1").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert!(err.message().contains("connecting to a:1"));
    }

    #[test]
    fn min_picks_the_earlier() {
        let near = Deadline::after_ms(10);
        let far = Deadline::after_ms(10_000);
        assert_eq!(near.min(far), near);
        assert_eq!(far.min(Deadline::NONE), far);
        assert_eq!(Deadline::NONE.min(near), near);
    }
}
