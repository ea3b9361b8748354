//! Happy Eyeballs (RFC 8305) against real loopback sockets: black-holed addresses (listeners
//! whose full accept queue drops SYNs), refusing ones and live listeners, raced by
//! `tcplink::connect_addresses` as `Endpoint::connect` races a name's addresses. Only loopback
//! addresses are ever connected to.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use tcplink::{connect_addresses, ConnectOptions, ErrorKind};

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// Options with this stagger and connect timeout that tell `recorder`.
fn racing(recorder: &Arc<Recorder>, stagger: Option<u64>, timeout_ms: u64) -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Some(Duration::from_millis(timeout_ms)),
        attempt_delay: stagger.map(Duration::from_millis),
        events: Some(recorder.clone()),
        ..ConnectOptions::default()
    }
}

/// A listener on `ip` and its address.
fn live(ip: IpAddr) -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind((ip, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[test]
fn a_black_holed_first_address_yields_to_the_next_after_the_stagger_not_the_timeout() {
    let hole = black_hole(V4);
    let (listener, open) = live(V4);
    let rec = Arc::new(Recorder::default());
    let started = Instant::now();
    let stream = connect_addresses(&[hole.addr, open], &racing(&rec, Some(250), 10_000)).unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(240) && took < Duration::from_millis(2500),
        "connected in {took:?}: the second attempt should start 250 ms after the first"
    );
    let (accepted, from) = listener.accept().unwrap();
    assert_eq!(from, stream.local_addr().unwrap());
    assert!(
        stream.nodelay().unwrap(),
        "socket options are set on the winner"
    );
    drop(accepted);
    assert_eq!(
        rec.lines(),
        [
            format!("connecting to {}", hole.addr),
            format!("connecting to {open}"),
            format!("connected to {open} in N ms"),
            format!(
                "cancelled connecting to {}, {open} connected first",
                hole.addr
            ),
        ]
    );
}

#[test]
fn the_losing_attempts_are_closed_when_connect_returns() {
    let hole = black_hole(V4);
    let (_listener, open) = live(V4);
    // The check sees an attempt left pending: a plain non-blocking connect to the hole.
    let pending = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    pending.set_nonblocking(true).unwrap();
    let _ = pending.connect(&hole.addr.into());
    let Some(seen) = syn_sent_to(hole.addr) else {
        eprintln!("skipped: no /proc/net/tcp here to look for pending connects");
        return;
    };
    assert_eq!(seen, 1, "the check does not see a pending connect");
    drop(pending);
    assert_eq!(syn_sent_to(hole.addr), Some(0));

    let options = ConnectOptions {
        attempt_delay: Some(Duration::from_millis(50)),
        ..quick()
    };
    let _stream = connect_addresses(&[hole.addr, hole.addr, open], &options).unwrap();
    assert_eq!(
        syn_sent_to(hole.addr),
        Some(0),
        "an attempt to {} is still pending after connect returned",
        hole.addr
    );
}

#[test]
fn a_refused_address_moves_on_at_once_without_waiting_for_the_stagger() {
    let (_refusing, closed) = refusing(V4);
    let (listener, open) = live(V4);
    let rec = Arc::new(Recorder::default());
    let started = Instant::now();
    connect_addresses(&[closed, open], &racing(&rec, Some(5000), 10_000)).unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2000), "connected in {took:?}");
    listener.accept().unwrap();
    let lines = rec.lines();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert_eq!(lines[0], format!("connecting to {closed}"));
    assert!(
        lines[1].starts_with(&format!("cannot connect to {closed}: ")),
        "{lines:#?}"
    );
    assert_eq!(
        lines[2..],
        [
            format!("connecting to {open}"),
            format!("connected to {open} in N ms")
        ]
    );
}

#[test]
fn families_interleave_starting_with_the_first_addresses_family() {
    let Some(_v6) = ipv6_loopback_listener() else {
        return;
    };
    let refused: Vec<_> = [V6, V6, V4, V4].into_iter().map(refusing).collect();
    let [a6, b6, a4, b4] = [0, 1, 2, 3].map(|i| refused[i].1);
    for (resolved, live_ip, tried) in [
        (vec![a6, b6, a4], V4, vec![a6, a4, b6]),
        (vec![a4, b4, a6], V6, vec![a4, a6, b4]),
    ] {
        let (listener, open) = live(live_ip);
        let mut addrs = resolved;
        addrs.push(open);
        let rec = Arc::new(Recorder::default());
        connect_addresses(&addrs, &racing(&rec, Some(250), 10_000)).unwrap();
        listener.accept().unwrap();
        let connecting: Vec<String> = rec
            .lines()
            .into_iter()
            .filter_map(|l| l.strip_prefix("connecting to ").map(str::to_string))
            .collect();
        let mut expected: Vec<String> = tried.iter().map(ToString::to_string).collect();
        expected.push(open.to_string());
        assert_eq!(connecting, expected);
    }
}

#[test]
fn everything_black_holed_times_out_at_the_connect_timeout_naming_every_address() {
    let holes = [black_hole(V4), black_hole(V4)];
    let addrs = [holes[0].addr, holes[1].addr];
    for stagger in [Some(250), None] {
        let rec = Arc::new(Recorder::default());
        let started = Instant::now();
        let err = connect_addresses(&addrs, &racing(&rec, stagger, 1000)).unwrap_err();
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(950) && took < Duration::from_millis(3000),
            "gave up after {took:?}, not at the 1 s connect timeout"
        );
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        let second = match stagger {
            Some(_) => "timed out",
            None => "not tried, the connect timeout ran out first",
        };
        assert_eq!(
            err.message(),
            format!(
                "cannot connect to {0}, {1} ({0}: timed out; {1}: {second})",
                addrs[0], addrs[1]
            )
        );
        let lines = rec.lines();
        assert_eq!(lines[0], format!("connecting to {}", addrs[0]));
        assert_eq!(
            lines.last().unwrap(),
            &format!("error (timeout): {}", err.message())
        );
        let failed = lines
            .iter()
            .filter(|l| l.starts_with("cannot connect to "))
            .count();
        assert_eq!(failed, if stagger.is_some() { 2 } else { 1 }, "{lines:#?}");
    }
}
