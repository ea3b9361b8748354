//! Fault servers beyond `plain.rs`, `tls.rs` and `proxy.rs`: each asserts the data, the error
//! kind, that nothing waited longer than the configured timeouts plus a margin, and that the
//! process still connects and talks afterwards.

mod common;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use tcplink::{process_request, Connection, ErrorKind, ProxySettings, ReadEnd, Request};

/// The margin a loaded 2-core machine may add to a timeout.
const MARGIN: Duration = Duration::from_millis(1500);

fn open(port: u16) -> Connection {
    Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap()
}

/// Runs `f` and asserts it took at most `bound` plus [`MARGIN`].
fn bounded<T>(bound: Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took <= bound + MARGIN, "took {took:?}, bound {bound:?}");
    out
}

/// The process is intact: a fresh connection to a real echo works.
fn still_works() {
    let echo = socat_echo();
    let mut conn = Connection::open(&endpoint(&echo.addr(), None, None), &quick()).unwrap();
    conn.send(b"still here\n", Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(
        conn.read(&limits(0, b"\n", 5000)).unwrap().data,
        b"still here\n"
    );
}

#[test]
fn trickle_one_byte_per_100_ms_past_the_max_size() {
    let port = fault_server(|mut s| trickle(&mut s, b"0123456789\n", Duration::from_millis(100)));
    let mut conn = open(port);
    // Four bytes take about 400 ms; the 1 s idle timeout never fires between bytes.
    let first = bounded(Duration::from_millis(400), || {
        conn.read(&limits(4, b"\n", 1000)).unwrap()
    });
    assert_eq!(
        (first.data.as_slice(), first.end),
        (&b"0123"[..], ReadEnd::Size)
    );
    let rest = bounded(Duration::from_millis(700), || {
        conn.read(&limits(0, b"\n", 1000)).unwrap()
    });
    assert_eq!(
        (rest.data.as_slice(), rest.end),
        (&b"456789\n"[..], ReadEnd::Marker)
    );
    still_works();
}

#[test]
fn a_silent_peer_ends_the_read_on_the_idle_timeout_and_stays_usable() {
    let port = fault_server(|mut s| {
        let mut line = [0u8; 6];
        // Silent until asked, then answers.
        if s.read_exact(&mut line).is_ok() {
            let _ = s.write_all(b"answer\n");
        }
        thread::sleep(Duration::from_secs(2));
    });
    let mut conn = open(port);
    let out = bounded(Duration::from_millis(300), || {
        conn.read(&limits(0, b"\n", 300)).unwrap()
    });
    assert_eq!((out.data.len(), out.end), (0, ReadEnd::Idle));
    conn.send(b"hello\n", Some(Duration::from_secs(2))).unwrap();
    let answer = conn.read(&limits(0, b"\n", 2000)).unwrap();
    assert_eq!(
        (answer.data.as_slice(), answer.end),
        (&b"answer\n"[..], ReadEnd::Marker)
    );
    still_works();
}

#[test]
fn a_reset_while_sending_is_a_closed_error_within_the_send_timeout() {
    let port = fault_server(|mut s| {
        let mut some = [0u8; 1000];
        let _ = s.read_exact(&mut some);
        socket2::SockRef::from(&s)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    });
    let mut conn = open(port);
    let big = vec![7u8; 64 * 1024 * 1024];
    let err = bounded(Duration::from_secs(3), || {
        conn.send(&big, Some(Duration::from_secs(3))).unwrap_err()
    });
    assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
    still_works();
}

#[test]
fn process_request_against_a_silent_server_returns_empty_on_the_timeout() {
    let port = fault_server(|s| {
        thread::sleep(Duration::from_secs(3));
        drop(s);
    });
    let mut req = Request::new(
        tcplink::Endpoint::parse(&format!("127.0.0.1:{port}"), "", "").unwrap(),
        b"ping\n".to_vec(),
    );
    req.timeout = Some(Duration::from_millis(400));
    let answer = bounded(Duration::from_millis(400), || {
        process_request(&req).unwrap()
    });
    assert_eq!((answer.data.len(), answer.end), (0, ReadEnd::Timeout));
    still_works();
}

#[test]
fn a_proxy_that_hangs_up_at_once_is_a_proxy_error() {
    let port = fault_server(drop);
    for kind in ["socks5", "socks4", "http"] {
        let proxy = ProxySettings::new("127.0.0.1", port.into(), kind, "", "").unwrap();
        let err = bounded(Duration::from_secs(5), || {
            Connection::open(&endpoint("127.0.0.1:9", None, Some(proxy)), &quick()).unwrap_err()
        });
        assert!(
            matches!(err.kind(), ErrorKind::Proxy | ErrorKind::Closed),
            "{kind}: {err}"
        );
        assert!(err.message().contains(&port.to_string()), "{kind}: {err}");
    }
    still_works();
}

#[test]
fn an_http_proxy_answering_407_is_a_proxy_error_within_the_connect_timeout() {
    let port = fault_server(|mut s| {
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf);
        let _ = s.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n",
        );
        thread::sleep(Duration::from_secs(10));
    });
    let proxy = ProxySettings::new("127.0.0.1", port.into(), "http", "user", "pw").unwrap();
    let err = bounded(Duration::from_secs(5), || {
        Connection::open(&endpoint("127.0.0.1:9", None, Some(proxy)), &quick()).unwrap_err()
    });
    assert_eq!(err.kind(), ErrorKind::Proxy, "{err}");
    assert!(err.message().contains("407"), "{err}");
    still_works();
}

#[test]
fn failing_connects_end_within_the_connect_timeout_and_leave_the_process_intact() {
    let garbage = fault_server(|mut s| {
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2\r\nnot TLS, not a proxy\r\n");
        thread::sleep(Duration::from_secs(3));
    });
    let garbage_addr = format!("127.0.0.1:{garbage}");
    let garbage_proxy = ProxySettings::new("127.0.0.1", garbage.into(), "socks5", "", "").unwrap();
    let mut cases = vec![
        (
            endpoint(&format!("127.0.0.1:{}", free_port()), None, None),
            ErrorKind::Connect,
        ),
        (
            endpoint("no-such-host.invalid:80", None, None),
            ErrorKind::Resolve,
        ),
        (
            endpoint("127.0.0.1:9", None, Some(garbage_proxy)),
            ErrorKind::Proxy,
        ),
    ];
    for b in tcplink::Backend::compiled() {
        cases.push((endpoint(&garbage_addr, Some(tls(b)), None), ErrorKind::Tls));
    }
    let opts = tcplink::ConnectOptions {
        connect_timeout: Some(Duration::from_secs(1)),
        ..quick()
    };
    for (ep, kind) in cases {
        let err = bounded(Duration::from_secs(1), || {
            Connection::open(&ep, &opts).unwrap_err()
        });
        assert_eq!(err.kind(), kind, "{err}");
    }
    still_works();
}
