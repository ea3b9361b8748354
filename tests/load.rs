//! Load: 200 connections used at once from threads against a real echo (socat), and 10,000
//! sequential `process_request` calls against an in-test echo. Every byte arrives (checksums),
//! and the file-descriptor count and the resident memory do not grow.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::*;
use tcplink::{process_request, Connection, ReadLimits, Request};

/// Held by each test: they count the process's descriptors, so they must not overlap.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Open file descriptors of this process.
fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Resident memory of this process in KiB.
fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// FNV-1a, enough to tell the bytes apart.
fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `len` bytes that differ from connection to connection.
fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn two_hundred_concurrent_connections_keep_every_byte() {
    const CONNECTIONS: u64 = 200;
    const ROUNDS: usize = 4;
    const CHUNK: usize = 16 * 1024;
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let echo = socat_echo();
    let fds_before = fd_count();
    let addr = echo.addr();
    // All connections are opened first, then used at once.
    let conns: Vec<Connection> = (0..CONNECTIONS)
        .map(|_| Connection::open(&endpoint(&addr, None, None), &quick()).unwrap())
        .collect();
    let threads: Vec<_> = conns
        .into_iter()
        .zip(0..)
        .map(|(mut conn, id)| {
            std::thread::spawn(move || {
                let sent = payload(id, CHUNK * ROUNDS);
                let mut received = Vec::with_capacity(sent.len());
                for chunk in sent.chunks(CHUNK) {
                    conn.send(chunk, Some(Duration::from_secs(20))).unwrap();
                    let want = received.len() + chunk.len();
                    while received.len() < want {
                        let limits = ReadLimits {
                            max_size: want - received.len(),
                            marker: b"",
                            idle_timeout: Some(Duration::from_secs(20)),
                            timeout: None,
                        };
                        let part = conn.read(&limits).unwrap();
                        assert!(!part.data.is_empty(), "{id}: ended on {:?}", part.end);
                        received.extend(part.data);
                    }
                }
                conn.close().unwrap();
                assert_eq!(checksum(&received), checksum(&sent), "connection {id}");
                assert!(received == sent, "connection {id}");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let fds_after = fd_count();
    assert!(
        fds_after <= fds_before + 5,
        "fds {fds_before} -> {fds_after}"
    );
}

#[test]
fn ten_thousand_sequential_requests_leak_nothing() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let port = fault_server(|mut s| {
        // Echo one line, then close.
        let mut line = Vec::new();
        let mut byte = [0u8];
        while s.read_exact(&mut byte).is_ok() {
            line.push(byte[0]);
            if byte[0] == b'\n' {
                break;
            }
        }
        let _ = s.write_all(&line);
    });
    let endpoint = tcplink::Endpoint::parse(&format!("127.0.0.1:{port}"), "", "").unwrap();
    let request = |i: u64| {
        let mut data = format!("{i:05} ").into_bytes();
        data.extend(payload(i, 40).iter().map(|b| b'a' + b % 26));
        data.push(b'\n');
        let answer = process_request(&Request::new(endpoint.clone(), data.clone())).unwrap();
        assert_eq!(checksum(&answer.data), checksum(&data), "request {i}");
    };
    for i in 0..200 {
        request(i);
    }
    let (fds, rss) = (fd_count(), rss_kib());
    for i in 200..10_000 {
        request(i);
    }
    let (fds_after, rss_after) = (fd_count(), rss_kib());
    assert!(fds_after <= fds + 5, "fds {fds} -> {fds_after}");
    assert!(
        rss_after <= rss + 16 * 1024,
        "RSS {rss} KiB -> {rss_after} KiB"
    );
}
