//! [`process_requests`]: many [`Request`]s at once, on a bounded number of threads, with the
//! answers in the order of the requests. One request's failure is its own result; it never fails
//! the others.
//!
//! The threads are scoped: every one of them has finished when [`process_requests`] returns, so
//! nothing is left running in the caller's process (the 1C process, for the add-in).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

use crate::connection::{process_request, Request};
use crate::reader::ReadOutcome;
use tcplink_transport::{Error, ErrorKind, Result};

/// The most threads one batch runs: more than enough to poll a few hundred devices at once
/// (each thread waits on the network, not the CPU), and few enough that a mistyped count cannot
/// exhaust the process. A larger count is lowered to this.
pub const MAX_THREADS: usize = 256;

/// The number of threads a batch of `requests` runs on when `threads` are asked for: at least
/// 1, at most [`MAX_THREADS`], and never more than there are requests.
pub fn thread_count(threads: usize, requests: usize) -> usize {
    threads.clamp(1, MAX_THREADS).min(requests.max(1))
}

/// Runs every request as [`process_request`] does, up to [`thread_count`]`(threads, ..)` at a
/// time (the calling thread is one of them), and returns their results in the order of
/// `requests`. Each request reports to its own
/// event sink ([`Request::connect`]); a request that panics (a bug) becomes an `io` error of its
/// own, never the batch's. All threads are joined before this returns.
pub fn process_requests(requests: &[Request], threads: usize) -> Vec<Result<ReadOutcome>> {
    let slots: Vec<Mutex<Option<Result<ReadOutcome>>>> =
        requests.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(request) = requests.get(i) else {
            break;
        };
        let result = catch_unwind(AssertUnwindSafe(|| process_request(request)))
            .unwrap_or_else(|_| Err(internal_error(request)));
        *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
    };
    thread::scope(|scope| {
        // The calling thread is one of the workers. Should the system refuse a thread, the
        // batch runs on those it has: fewer at a time, never fewer requests.
        for _ in 1..thread_count(threads, requests.len()) {
            if thread::Builder::new().spawn_scoped(scope, worker).is_err() {
                break;
            }
        }
        worker();
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every request was run")
        })
        .collect()
}

/// The result of a request whose processing panicked.
fn internal_error(request: &Request) -> Error {
    Error::new(
        ErrorKind::Io,
        format!(
            "internal error while processing the request to {}",
            request.endpoint.target
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_count_is_bounded() {
        assert_eq!(thread_count(16, 100), 16);
        assert_eq!(thread_count(0, 100), 1);
        assert_eq!(thread_count(100_000, 100_000), MAX_THREADS);
        assert_eq!(thread_count(16, 3), 3);
        assert_eq!(thread_count(16, 0), 1);
    }

    #[test]
    fn no_requests_give_no_results() {
        assert!(process_requests(&[], 4).is_empty());
    }

    #[test]
    fn a_request_that_panics_is_its_own_error() {
        use crate::connect::Endpoint;
        use std::sync::Arc;
        let refused = || {
            let endpoint = Endpoint::parse("127.0.0.1:1", "", "").unwrap();
            Request::new(endpoint, Vec::new())
        };
        let mut panics = refused();
        panics.connect.events = Some(Arc::new(|_: &crate::events::Event<'_>| {
            panic!("a sink with a bug")
        }));
        let results = process_requests(&[panics, refused()], 2);
        let err = results[0].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io);
        assert!(err.message().contains("internal error"), "{err}");
        assert_eq!(results[1].as_ref().unwrap_err().kind(), ErrorKind::Connect);
    }
}
