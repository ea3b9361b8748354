//! Plain TCP against real peers: echo through socat, and the reading rules against small servers
//! that trickle, stall, reset and half-close.

mod common;

use std::io::Write;
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use socket2::SockRef;
use tcplink::{process_request, Connection, ErrorKind, ReadEnd, Request};

#[test]
fn echo_through_socat() {
    let peer = socat_echo();
    let mut conn = Connection::open(&endpoint(&peer.addr(), None, None), &quick()).unwrap();
    assert!(conn.tls_info().is_none());
    conn.send(b"first line\nsecond", Some(Duration::from_secs(5)))
        .unwrap();
    let a = conn.read(&limits(0, b"\n", 5000)).unwrap();
    assert_eq!(
        (a.data.as_slice(), a.end),
        (&b"first line\n"[..], ReadEnd::Marker)
    );
    let b = conn.read(&limits(0, b"\n", 300)).unwrap();
    assert_eq!((b.data.as_slice(), b.end), (&b"second"[..], ReadEnd::Idle));
    assert_eq!(conn.last_read_end(), Some(ReadEnd::Idle));
    conn.close().unwrap();
    assert!(!conn.is_open());
    assert_eq!(conn.send(b"x", None).unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(
        conn.read(&limits(0, b"", 10)).unwrap_err().kind(),
        ErrorKind::Closed
    );
}

#[test]
fn large_echo_in_sized_reads_keeps_every_byte() {
    let peer = socat_echo();
    let mut conn = Connection::open(&endpoint(&peer.addr(), None, None), &quick()).unwrap();
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let mut received = Vec::with_capacity(payload.len());
    for chunk in payload.chunks(100_000) {
        conn.send(chunk, Some(Duration::from_secs(5))).unwrap();
        let want = received.len() + chunk.len();
        while received.len() < want {
            let part = conn
                .read(&limits(want - received.len(), b"", 5000))
                .unwrap();
            assert!(
                !part.data.is_empty(),
                "read ended on {:?} with nothing",
                part.end
            );
            received.extend(part.data);
        }
    }
    assert_eq!(received.len(), payload.len());
    assert!(received == payload, "echoed bytes differ");
}

#[test]
fn marker_arriving_one_byte_at_a_time() {
    let port = fault_server(|mut s| {
        trickle(
            &mut s,
            b"HEADER\r\n\r\nbody-after",
            Duration::from_millis(2),
        )
    });
    let mut conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    let head = conn.read(&limits(0, b"\r\n\r\n", 2000)).unwrap();
    assert_eq!(
        (head.data.as_slice(), head.end),
        (&b"HEADER\r\n\r\n"[..], ReadEnd::Marker)
    );
    let rest = conn.read(&limits(0, b"", 2000)).unwrap();
    assert_eq!(
        (rest.data.as_slice(), rest.end),
        (&b"body-after"[..], ReadEnd::Eof)
    );
}

#[test]
fn leftover_bytes_come_back_first_and_max_size_is_exact() {
    let port = fault_server(|mut s| {
        s.write_all(b"one\ntwo\nthree-and-more").unwrap();
        thread::sleep(Duration::from_millis(300));
    });
    let mut conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    thread::sleep(Duration::from_millis(100));
    let one = conn.read(&limits(0, b"\n", 2000)).unwrap();
    assert_eq!(one.data, b"one\n");
    assert_eq!(conn.pending(), b"two\nthree-and-more");
    let two = conn.read(&limits(0, b"\n", 2000)).unwrap();
    assert_eq!(two.data, b"two\n");
    let five = conn.read(&limits(5, b"\n", 2000)).unwrap();
    assert_eq!(
        (five.data.as_slice(), five.end),
        (&b"three"[..], ReadEnd::Size)
    );
    let rest = conn.read(&limits(0, b"", 2000)).unwrap();
    assert_eq!(
        (rest.data.as_slice(), rest.end),
        (&b"-and-more"[..], ReadEnd::Eof)
    );
}

#[test]
fn the_whole_read_timeout_ends_a_trickle_that_never_goes_idle() {
    // One byte every 30 ms, no marker: the idle rule (300 ms) never fires; the whole-read
    // timeout (400 ms) ends the read with the bytes that came.
    let port = fault_server(|mut s| trickle(&mut s, &[b'.'; 100], Duration::from_millis(30)));
    let mut conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    let mut limits = limits(0, b"\n", 300);
    limits.timeout = Some(Duration::from_millis(400));
    let start = Instant::now();
    let out = conn.read(&limits).unwrap();
    let waited = start.elapsed();
    assert_eq!(out.end, ReadEnd::Timeout);
    assert!(
        out.data.len() >= 5 && out.data.iter().all(|&b| b == b'.'),
        "{out:?}"
    );
    // The trickle lasts 3 s: ending well before it, on Timeout, is the whole-read rule.
    assert!(
        waited >= Duration::from_millis(390) && waited < Duration::from_millis(2500),
        "{waited:?}"
    );
}

#[test]
fn idle_timeout_returns_partial_data_and_the_connection_stays_usable() {
    // The rest is sent only when the client asks, after its first read ended.
    let port = fault_server(|mut s| {
        s.write_all(b"partial").unwrap();
        let mut go = [0u8; 1];
        std::io::Read::read_exact(&mut s, &mut go).unwrap();
        s.write_all(b" later\n").unwrap();
        drain(&mut s);
    });
    let mut conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    let start = Instant::now();
    let first = conn.read(&limits(0, b"\n", 300)).unwrap();
    let waited = start.elapsed();
    assert_eq!(
        (first.data.as_slice(), first.end),
        (&b"partial"[..], ReadEnd::Idle)
    );
    // Nothing else can end the read: the upper margin only catches a read that hangs.
    assert!(
        waited >= Duration::from_millis(290) && waited < Duration::from_millis(3000),
        "{waited:?}"
    );
    conn.send(b"g", None).unwrap();
    let second = conn.read(&limits(0, b"\n", 2000)).unwrap();
    assert_eq!(
        (second.data.as_slice(), second.end),
        (&b" later\n"[..], ReadEnd::Marker)
    );
}

#[test]
fn trickle_past_max_size_ends_on_size() {
    let port = fault_server(|mut s| trickle(&mut s, b"0123456789", Duration::from_millis(30)));
    let mut conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    let out = conn.read(&limits(4, b"", 1000)).unwrap();
    assert_eq!(
        (out.data.as_slice(), out.end),
        (&b"0123"[..], ReadEnd::Size)
    );
}

#[test]
fn eof_with_and_without_data() {
    let port = fault_server(|mut s| {
        s.write_all(b"bye").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        thread::sleep(Duration::from_millis(300));
    });
    let mut conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    let out = conn.read(&limits(0, b"\n", 2000)).unwrap();
    assert_eq!((out.data.as_slice(), out.end), (&b"bye"[..], ReadEnd::Eof));
    let again = conn.read(&limits(0, b"\n", 2000)).unwrap();
    assert_eq!((again.data.len(), again.end), (0, ReadEnd::Eof));
}

#[test]
fn half_closed_peer_still_receives_what_we_send() {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let port = fault_server(move |mut s| {
        s.shutdown(Shutdown::Write).unwrap();
        tx.lock().unwrap().send(drain(&mut s)).unwrap();
    });
    let mut conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    let out = conn.read(&limits(0, b"", 2000)).unwrap();
    assert_eq!(out.end, ReadEnd::Eof);
    conn.send(b"after half-close", Some(Duration::from_secs(2)))
        .unwrap();
    conn.close().unwrap();
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        b"after half-close"
    );
}

#[test]
fn reset_mid_read_is_an_error_and_keeps_the_received_bytes() {
    let port = fault_server(|mut s| {
        s.write_all(b"half a mess").unwrap();
        thread::sleep(Duration::from_millis(100));
        // Linger 0 turns close into a reset.
        socket2::SockRef::from(&s)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(s);
    });
    let mut conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    let err = conn.read(&limits(0, b"\n", 3000)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
    assert!(
        err.message().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert_eq!(conn.last_read_end(), Some(ReadEnd::Error));
    let kept = conn.read(&limits(0, b"\n", 500)).unwrap();
    assert_eq!(kept.data, b"half a mess");
}

#[test]
fn marker_longer_than_max_size_is_an_argument_error() {
    let peer = socat_echo();
    let mut conn = Connection::open(&endpoint(&peer.addr(), None, None), &quick()).unwrap();
    let err = conn.read(&limits(2, b"abc", 100)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
    assert!(err.message().contains("Marker"));
}

#[test]
fn process_request_round_trip() {
    let peer = socat_echo();
    let req = Request::new(
        tcplink::Endpoint::parse(&peer.addr(), "", "").unwrap(),
        b"ping\nextra".to_vec(),
    );
    let answer = process_request(&req).unwrap();
    assert_eq!(
        (answer.data.as_slice(), answer.end),
        (&b"ping\n"[..], ReadEnd::Marker)
    );
}

#[test]
fn names_resolving_to_several_addresses_are_tried_in_turn() {
    // Where "localhost" resolves to ::1 and 127.0.0.1 (in either order), the first address
    // gets a socket bound to the port without listening, so connecting to it is refused for
    // certain; the last one gets the server. Where /etc/hosts gives localhost one address (as
    // on CI's machine), `connect::tests::addresses_are_tried_in_turn_and_each_outcome_is_told`
    // proves the same fallback on two addresses.
    let any = tcplink::HostPort::parse("localhost:1", "Address").unwrap();
    let addrs = tcplink::resolve(&any, tcplink::Deadline::after(None), "localhost").unwrap();
    let (first, last) = (addrs[0].ip(), addrs[addrs.len() - 1].ip());
    if first == last {
        eprintln!("skipped: localhost resolves to one address here (/etc/hosts): {addrs:?}");
        return;
    }
    let (listener, _refusing) = (0..20)
        .find_map(|_| {
            let listener = std::net::TcpListener::bind((last, 0)).ok()?;
            let port = listener.local_addr().ok()?.port();
            let domain = socket2::Domain::for_address((first, port).into());
            let refusing = socket2::Socket::new(domain, socket2::Type::STREAM, None).ok()?;
            refusing
                .bind(&std::net::SocketAddr::new(first, port).into())
                .ok()?;
            Some((listener, refusing))
        })
        .expect("a port free on both loopback addresses");
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"fallback\n").unwrap();
        drain(&mut s);
    });
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = told.clone();
    let options = tcplink::ConnectOptions {
        events: Some(std::sync::Arc::new(
            move |event: &tcplink::Event<'_>| match event {
                tcplink::Event::ConnectFailed { addr, .. } => {
                    sink.lock().unwrap().push((*addr, false))
                }
                tcplink::Event::Connected { addr, .. } => sink.lock().unwrap().push((*addr, true)),
                _ => {}
            },
        )),
        ..quick()
    };
    let mut conn = Connection::open(
        &endpoint(&format!("localhost:{port}"), None, None),
        &options,
    )
    .unwrap();
    assert_eq!(
        conn.read(&limits(0, b"\n", 5000)).unwrap().data,
        b"fallback\n"
    );
    let told = told.lock().unwrap().clone();
    assert_eq!(
        told.first(),
        Some(&((first, port).into(), false)),
        "{told:?}"
    );
    assert_eq!(told.last(), Some(&((last, port).into(), true)), "{told:?}");
    assert_eq!(conn.peer_addr(), Some((last, port).into()));
}

#[test]
fn ipv6_literal_addresses_connect() {
    let Some(listener) = ipv6_loopback_listener() else {
        return;
    };
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"six\n").unwrap();
    });
    let mut conn =
        Connection::open(&endpoint(&format!("[::1]:{port}"), None, None), &quick()).unwrap();
    assert_eq!(conn.read(&limits(0, b"\n", 2000)).unwrap().data, b"six\n");
}

#[test]
fn closed_port_is_a_connect_error_naming_the_address() {
    let port = free_port();
    let err = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect);
    assert!(
        err.message().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn unresolvable_name_is_a_resolve_error() {
    let err =
        Connection::open(&endpoint("no-such-host.invalid:80", None, None), &quick()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Resolve, "{err}");
    assert!(err.message().contains("no-such-host.invalid"));
}

#[test]
fn bad_addresses_are_argument_errors() {
    for bad in [
        "127.0.0.1:",
        "127.0.0.1:70000",
        "[::1:80",
        "ftp://127.0.0.1:1",
    ] {
        let err = tcplink::Endpoint::parse(bad, "", "").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{bad}");
    }
}

#[test]
fn nodelay_and_keepalive_are_set_on_the_connected_socket() {
    let peer = socat_echo();
    let ep = endpoint(&peer.addr(), None, None);
    let plain = ep.connect(&quick()).unwrap();
    let socket = SockRef::from(plain.socket().stream());
    assert!(socket.tcp_nodelay().unwrap(), "TCP_NODELAY is off");
    assert!(
        !socket.keepalive().unwrap(),
        "keepalive is on without the option"
    );
    let opts = tcplink::ConnectOptions {
        keepalive: Some(Duration::from_secs(37)),
        ..quick()
    };
    let kept = ep.connect(&opts).unwrap();
    let socket = SockRef::from(kept.socket().stream());
    assert!(socket.tcp_nodelay().unwrap(), "TCP_NODELAY is off");
    assert!(socket.keepalive().unwrap(), "SO_KEEPALIVE is off");
    assert_eq!(
        socket.tcp_keepalive_time().unwrap(),
        Duration::from_secs(37)
    );
}

#[test]
fn the_plain_transport_reports_its_peer_and_local_addresses() {
    let (seen, accepted) = std::sync::mpsc::channel();
    let port = fault_server(move |mut s| {
        seen.send((s.local_addr().unwrap(), s.peer_addr().unwrap()))
            .unwrap();
        drain(&mut s);
    });
    let conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    let (server, client) = accepted.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(conn.peer_addr(), Some(server));
    assert_eq!(conn.local_addr(), Some(client));
}

#[test]
fn send_times_out_when_the_peer_never_reads() {
    let port = fault_server(|s| {
        thread::sleep(Duration::from_secs(20));
        drop(s);
    });
    let mut conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    let big = vec![0u8; 64 * 1024 * 1024];
    let start = Instant::now();
    let err = conn
        .send(&big, Some(Duration::from_millis(400)))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    // The peer stays silent for 20 s: ending within 5 s is the send timeout.
    assert!(
        start.elapsed() >= Duration::from_millis(390) && start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_streamed_read_writes_to_the_sink_by_the_same_rules_and_keeps_the_rest() {
    let port = fault_server(|mut s| {
        s.write_all(b"first part, ").unwrap();
        thread::sleep(Duration::from_millis(100));
        s.write_all(b"second part<E").unwrap();
        thread::sleep(Duration::from_millis(100));
        s.write_all(b"ND>after").unwrap();
        thread::sleep(Duration::from_millis(300));
    });
    let mut conn = Connection::open(
        &endpoint(&format!("127.0.0.1:{port}"), None, None),
        &quick(),
    )
    .unwrap();
    let mut sink = Vec::new();
    let out = conn
        .read_to(&limits(0, b"<END>", 2000), &mut sink, "writing to a Vec")
        .unwrap();
    assert_eq!(sink, b"first part, second part<END>");
    assert_eq!((out.len, out.end), (sink.len() as u64, ReadEnd::Marker));
    assert_eq!(conn.last_read_end(), Some(ReadEnd::Marker));
    assert_eq!(conn.pending(), b"after");
    let mut rest = Vec::new();
    let out = conn
        .read_to(&limits(0, b"", 2000), &mut rest, "writing to a Vec")
        .unwrap();
    assert_eq!((rest.as_slice(), out.end), (&b"after"[..], ReadEnd::Eof));
}
