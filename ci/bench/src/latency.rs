//! Request latency: ProcessRequest (connect, send a line, read a line, close) against a raw
//! socket doing the same steps, and per TLS backend the cost of a full handshake (a server that
//! does not resume sessions) and of a resumed one (a server that does), measured interleaved.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use tcplink::{process_request, ConnectOptions, Connection, Request};

use crate::clients::{endpoint, Kind};
use crate::pki::Pki;
use crate::report::Row;
use crate::servers::line_server;
use crate::stats::{median, percentile, timed};

const LINE: &[u8] = b"GET status\n";

/// Runs `plain_requests` plain round trips each way and `tls_requests` per TLS backend.
pub fn run(pki: &Pki, plain_requests: usize, tls_requests: usize) -> Vec<Row> {
    let plain_port = line_server(None);
    let (mut raw, mut lib) = (Vec::new(), Vec::new());
    for _ in 0..plain_requests {
        raw.push(timed(|| raw_request(plain_port)).0);
        lib.push(timed(|| library_request(Kind::Plain, plain_port, pki)).0);
    }
    let (raw_med, lib_med) = (median(&mut raw), median(&mut lib));
    let ratio = lib_med.as_secs_f64() / raw_med.as_secs_f64();
    let mut rows = vec![Row::check(
        format!("ProcessRequest plain, {plain_requests} requests: median library / raw"),
        format!(
            "{ratio:.2} (library {} / p99 {}, raw {} / p99 {})",
            us(lib_med),
            us(percentile(&mut lib, 99.0)),
            us(raw_med),
            us(percentile(&mut raw, 99.0))
        ),
        "<= 1.30",
        ratio <= 1.30,
    )];
    let resuming = line_server(Some(pki.server.clone()));
    let full = line_server(Some(pki.server_without_resumption()));
    for kind in Kind::all().into_iter().filter(|k| *k != Kind::Plain) {
        let (mut fresh, mut again) = (Vec::new(), Vec::new());
        for _ in 0..tls_requests {
            fresh.push(timed(|| library_request(kind, full, pki)).0);
            again.push(timed(|| library_request(kind, resuming, pki)).0);
        }
        let resumes = resumed(kind, resuming, pki);
        let (fresh_med, again_med) = (median(&mut fresh), median(&mut again));
        rows.push(Row::info(
            format!(
                "ProcessRequest TLS {}, {tls_requests} requests: full handshake; with a resuming server",
                kind.name()
            ),
            format!(
                "median {} / p99 {}, handshake ~{}; median {} / p99 {}, {}",
                us(fresh_med),
                us(percentile(&mut fresh, 99.0)),
                us(fresh_med.saturating_sub(lib_med)),
                us(again_med),
                us(percentile(&mut again, 99.0)),
                match resumes {
                    Some(true) => format!(
                        "resumed handshake ~{}",
                        us(again_med.saturating_sub(lib_med))
                    ),
                    Some(false) => "the backend does not resume".to_string(),
                    None => "the backend does not say whether it resumed".to_string(),
                }
            ),
        ));
    }
    rows
}

/// Whether a connection of `kind` to `port`, after the requests, resumed its TLS session.
fn resumed(kind: Kind, port: u16, pki: &Pki) -> Option<bool> {
    let conn = Connection::open(&endpoint(kind, port, pki), &ConnectOptions::default()).unwrap();
    conn.tls_info().and_then(|info| info.resumed)
}

fn library_request(kind: Kind, port: u16, pki: &Pki) {
    let answer = process_request(&Request::new(endpoint(kind, port, pki), LINE.to_vec())).unwrap();
    assert_eq!(answer.data, LINE);
}

fn raw_request(port: u16) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(LINE).unwrap();
    let mut line = Vec::new();
    BufReader::new(&s).read_until(b'\n', &mut line).unwrap();
    assert_eq!(line, LINE);
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}
