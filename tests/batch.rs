//! `process_requests`: many requests at once against real peers on 127.0.0.1 (small in-test
//! servers, socat, openssl s_server): a hundred slow servers answer concurrently and in order,
//! failures of every kind stay in their own slot, TLS works in a batch with every compiled
//! backend, and no more connections are open at once than the thread count allows.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use tcplink::{process_requests, Backend, ErrorKind, ReadEnd, Request, TlsSettings};

/// A request for `address` sending `data`, with a short connect timeout.
fn request(address: &str, data: &[u8]) -> Request {
    let mut request = Request::new(endpoint(address, None, None), data.to_vec());
    request.connect = quick();
    request
}

#[test]
fn a_hundred_slow_servers_answer_concurrently_and_in_order() {
    const DELAY_MS: u64 = 200;
    // Later servers answer sooner, so finishing order is the reverse of request order.
    let requests: Vec<Request> = (0..100u64)
        .map(|i| {
            let delay = Duration::from_millis(DELAY_MS + (100 - i) * 2);
            let port = slow_line_server(delay, format!("server {i}"));
            request(
                &format!("127.0.0.1:{port}"),
                format!("ping {i}\n").as_bytes(),
            )
        })
        .collect();
    let start = Instant::now();
    let results = process_requests(&requests, 100);
    let took = start.elapsed();
    // One at a time this takes 100 × 0.2-0.4 s = 30 s; at once, about 0.4 s (loose for a loaded
    // machine).
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(results.len(), 100);
    for (i, result) in results.into_iter().enumerate() {
        let answer = result.unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(answer.end, ReadEnd::Marker);
        assert_eq!(
            String::from_utf8(answer.data).unwrap(),
            format!("server {i}:ping {i}\n")
        );
    }
}

#[test]
fn every_kind_of_failure_stays_in_its_own_slot() {
    let echo = socat_echo();
    let silent = fault_server(|mut stream| {
        // Reads what it is sent and never answers.
        let _ = drain(&mut stream);
    });
    let self_signed = s_server(&pki().self_signed.cert, &pki().self_signed.key, &[]);
    let refused = format!("127.0.0.1:{}", free_port());
    let mut times_out = request(&format!("127.0.0.1:{silent}"), b"hello\n");
    times_out.timeout = Some(Duration::from_millis(300));
    let mut goes_idle = request(&format!("127.0.0.1:{silent}"), b"hello\n");
    goes_idle.idle_timeout = Some(Duration::from_millis(300));
    let mut unverified = request(&self_signed.addr(), b"olleh\n");
    unverified.endpoint.tls = Some(TlsSettings {
        use_tls: true,
        ..Default::default()
    });
    let mut bad_setting = request(&echo.addr(), b"x\n");
    bad_setting.endpoint.tls = Some(TlsSettings {
        use_tls: true,
        min_version: Some("1.0".into()),
        ..Default::default()
    });
    let requests = vec![
        request(&echo.addr(), b"first\n"),
        request(&refused, b"x\n"),
        times_out,
        goes_idle,
        unverified,
        bad_setting,
        request("nonexistent.invalid:7", b"x\n"),
        request(&echo.addr(), b"last\n"),
    ];
    let start = Instant::now();
    let results = process_requests(&requests, 8);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    let summary: Vec<String> = results
        .iter()
        .map(|r| match r {
            Ok(answer) => format!(
                "{} {:?}",
                answer.end.as_str(),
                String::from_utf8_lossy(&answer.data)
            ),
            Err(e) => format!("{} error", e.kind()),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "marker \"first\\n\"",
            "connect error",
            "timeout \"\"",
            "idle \"\"",
            "tls error",
            "argument error",
            "resolve error",
            "marker \"last\\n\"",
        ]
    );
    let tls = results[4].as_ref().unwrap_err();
    assert!(
        tls.message().contains("self-signed") || tls.message().contains("certificate"),
        "{tls}"
    );
    assert_eq!(results[5].as_ref().unwrap_err().kind(), ErrorKind::Argument);
}

#[test]
fn tls_requests_run_in_a_batch_with_every_backend() {
    let peer = s_server(&pki().server.cert, &pki().server.key, &[]);
    let backends = Backend::compiled();
    let requests: Vec<Request> = backends
        .iter()
        .map(|&backend| {
            let mut r = request(&peer.addr(), format!("{}\n", backend.name()).as_bytes());
            r.endpoint.tls = Some(tls_with_ca(backend));
            r
        })
        .collect();
    let results = process_requests(&requests, 4);
    for (backend, result) in backends.iter().zip(results) {
        let answer = result.unwrap_or_else(|e| panic!("{backend}: {e}"));
        let reversed: String = backend.name().chars().rev().collect();
        assert_eq!(answer.data, format!("{reversed}\n").as_bytes(), "{backend}");
    }
}

#[test]
fn no_more_connections_are_open_at_once_than_the_thread_count() {
    let open = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let port = {
        let (open, most) = (Arc::clone(&open), Arc::clone(&most));
        fault_server(move |stream| {
            let now = open.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            thread::sleep(Duration::from_millis(50));
            // Counted as closed before the answer goes out: the client's next connection can
            // only start after it has the answer.
            open.fetch_sub(1, Ordering::SeqCst);
            let _ = reader.get_mut().write_all(line.as_bytes());
        })
    };
    let address = format!("127.0.0.1:{port}");
    for threads in [1, 3, 7] {
        most.store(0, Ordering::SeqCst);
        let requests: Vec<Request> = (0..21)
            .map(|i| request(&address, format!("{i}\n").as_bytes()))
            .collect();
        let results = process_requests(&requests, threads);
        for (i, result) in results.into_iter().enumerate() {
            assert_eq!(result.unwrap().data, format!("{i}\n").as_bytes());
        }
        // 21 requests of 50 ms each keep every thread busy at once.
        assert_eq!(most.load(Ordering::SeqCst), threads, "threads {threads}");
    }
}
