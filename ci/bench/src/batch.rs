//! Many requests at once: 100 servers on loopback that each answer a line 50 ms after it arrived
//! (devices that take their time), polled with `process_requests` on 100 threads, against one
//! request's time, measured interleaved. The full run also times the same 100 one after another
//! (a ProcessRequest loop) and on the default 16 threads.

use std::time::Duration;

use tcplink::{process_request, process_requests, Request};

use crate::clients::{endpoint, Kind};
use crate::pki::Pki;
use crate::report::Row;
use crate::servers::slow_line_server;
use crate::stats::{median, timed};

/// The target: the batch takes at most twice one request (a loop takes 100 times).
pub const TARGET: f64 = 2.0;
/// How many servers, and threads in the measured batch.
const SERVERS: usize = 100;
/// How long each server waits before answering.
const DELAY: Duration = Duration::from_millis(50);
/// The add-in's default thread count.
const DEFAULT_THREADS: usize = 16;
const LINE: &[u8] = b"GET weight\n";

/// The rows and the ratio the quick run gates.
pub struct Batch {
    /// The report's rows.
    pub rows: Vec<Row>,
    /// Median batch time / median time of one request.
    pub ratio: f64,
}

/// Runs `reps` interleaved measurements; with `full`, the loop and the default thread count too.
pub fn run(pki: &Pki, reps: usize, full: bool) -> Batch {
    let requests: Vec<Request> = (0..SERVERS)
        .map(|_| {
            let port = slow_line_server(DELAY);
            Request::new(endpoint(Kind::Plain, port, pki), LINE.to_vec())
        })
        .collect();
    let (mut one, mut batch) = (Vec::new(), Vec::new());
    for rep in 0..reps {
        one.push(timed(|| check(process_request(&requests[rep % SERVERS]))).0);
        batch.push(
            timed(|| {
                process_requests(&requests, SERVERS)
                    .into_iter()
                    .for_each(check)
            })
            .0,
        );
    }
    let (one, batch) = (median(&mut one), median(&mut batch));
    let ratio = batch.as_secs_f64() / one.as_secs_f64();
    let mut rows = vec![Row::check(
        format!(
            "ProcessRequests, {SERVERS} servers answering after {} ms, {SERVERS} threads: batch / one request",
            DELAY.as_millis()
        ),
        format!("{ratio:.2} (batch {}, one request {})", ms(batch), ms(one)),
        format!("<= {TARGET:.0}"),
        ratio <= TARGET,
    )];
    if full {
        let (sequential, _) = timed(|| requests.iter().map(process_request).for_each(check));
        let (default, _) = timed(|| {
            process_requests(&requests, DEFAULT_THREADS)
                .into_iter()
                .for_each(check)
        });
        let of_one = |d: Duration| d.as_secs_f64() / one.as_secs_f64();
        rows.push(Row::info(
            format!("the same {SERVERS}: one after another (a ProcessRequest loop); on {DEFAULT_THREADS} threads (the default): / one request"),
            format!(
                "{:.1} ({}); {:.1} ({})",
                of_one(sequential),
                ms(sequential),
                of_one(default),
                ms(default)
            ),
        ));
    }
    Batch { rows, ratio }
}

/// Asserts that a request came back with its line.
fn check(result: tcplink::Result<tcplink::ReadOutcome>) {
    assert_eq!(result.expect("a request to a slow server").data, LINE);
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}
