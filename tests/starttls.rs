//! STARTTLS and half-close on a [`Connection`], once per compiled backend.
//!
//! STARTTLS: a small plain-text server greets, takes `STARTTLS`, says go ahead and from then on
//! relays the socket to a real `openssl s_server -rev`, so the TLS part of every upgrade is
//! against OpenSSL's own server. Faults: plaintext injected right after the go-ahead, a server
//! that never answers the handshake, a certificate that does not verify.
//!
//! Half-close: a server that reads until EOF and only then answers (plain: in-process; TLS:
//! `socat OPENSSL-LISTEN` running `wc -c`), so the answer arrives only if our close_notify and FIN
//! went out while our reading half stayed open.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use tcplink::{
    Backend, ConnectOptions, Connection, ErrorKind, Event, EventSink, ReadEnd, ReadLimits,
    TlsSettings,
};

const SECONDS_5: Option<Duration> = Some(Duration::from_secs(5));

fn line_limits() -> ReadLimits<'static> {
    ReadLimits {
        marker: b"\n",
        timeout: SECONDS_5,
        ..Default::default()
    }
}

/// Opens a plain connection to the STARTTLS server on `port` (telling `options.events`) and
/// reads up to the go-ahead.
fn plain_until_go_ahead(port: u16, options: &ConnectOptions) -> Connection {
    let addr = format!("localhost:{port}");
    let mut conn = Connection::open(&endpoint(&addr, None, None), options).unwrap();
    assert_eq!(conn.read(&line_limits()).unwrap().data, b"220 ready\r\n");
    conn.send(b"STARTTLS\r\n", SECONDS_5).unwrap();
    assert_eq!(conn.read(&line_limits()).unwrap().data, b"220 go ahead\r\n");
    conn
}

/// An event sink that keeps each event's line.
fn recorder() -> (Arc<Mutex<Vec<String>>>, ConnectOptions) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let lines = lines.clone();
        move |e: &Event<'_>| lines.lock().unwrap().push(e.to_string())
    };
    let options = ConnectOptions {
        events: Some(Arc::new(sink) as Arc<dyn EventSink>),
        ..quick()
    };
    (lines, options)
}

#[test]
fn start_tls_upgrades_the_same_socket_on_every_backend() {
    let tls_server = s_server(&pki().server.cert, &pki().server.key, &[]);
    let port = starttls_server(SMTP_SHORT, GoAhead::Relay(tls_server.port));
    for b in Backend::compiled() {
        let (lines, options) = recorder();
        let mut conn = plain_until_go_ahead(port, &options);
        let local = conn.local_addr();
        assert!(conn.tls_info().is_none());
        conn.start_tls(&tls_with_ca(b), SECONDS_5).unwrap();
        let info = conn.tls_info().expect("TLS after the upgrade");
        assert_eq!(info.backend, b.name());
        assert_eq!(conn.local_addr(), local, "{b}: the same socket");
        conn.send(b"over tls\n", SECONDS_5).unwrap();
        assert_eq!(
            conn.read(&line_limits()).unwrap().data,
            b"slt revo\n",
            "{b}"
        );
        let lines = lines.lock().unwrap().clone();
        assert!(
            lines
                .iter()
                .any(|l| l == &format!("TLS handshake ({b}) with localhost")),
            "{b}: {lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with(&format!("TLS: {b}"))),
            "{b}: {lines:?}"
        );
    }
}

#[test]
fn plaintext_after_the_go_ahead_refuses_the_upgrade_and_closes() {
    let port = starttls_server(SMTP_SHORT, GoAhead::Injected);
    for b in Backend::compiled() {
        let (lines, options) = recorder();
        let mut conn = plain_until_go_ahead(port, &options);
        let err = conn.start_tls(&tls_with_ca(b), SECONDS_5).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{b}: {err}");
        assert!(
            err.message().contains("14 bytes arrived in plain text"),
            "{b}: {err}"
        );
        assert!(!conn.is_open(), "{b}: the connection is closed");
        assert!(
            conn.pending().is_empty(),
            "{b}: the injected bytes are gone"
        );
        let read = conn.read(&line_limits()).unwrap_err();
        assert_eq!(read.kind(), ErrorKind::Closed, "{b}: {read}");
        let lines = lines.lock().unwrap().clone();
        assert!(
            lines.iter().any(|l| l.starts_with("error (tls): STARTTLS")),
            "{lines:?}"
        );
    }
}

#[test]
fn an_upgrade_is_refused_on_tls_and_on_closed_connections() {
    let tls_server = s_server(&pki().server.cert, &pki().server.key, &[]);
    for b in Backend::compiled() {
        let ep = endpoint(&tls_server.addr(), Some(tls_with_ca(b)), None);
        let mut conn = Connection::open(&ep, &quick()).unwrap();
        let err = conn.start_tls(&tls_with_ca(b), SECONDS_5).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{b}: {err}");
        assert!(err.message().contains("already TLS"), "{b}: {err}");
        // Still open and still TLS.
        conn.send(b"abc\n", SECONDS_5).unwrap();
        assert_eq!(conn.read(&line_limits()).unwrap().data, b"cba\n");
        conn.close().unwrap();
        let err = conn.start_tls(&tls_with_ca(b), SECONDS_5).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Closed, "{b}: {err}");
    }
}

#[test]
fn bad_settings_refuse_the_upgrade_and_keep_the_connection() {
    let port = starttls_server(SMTP_SHORT, GoAhead::Silent);
    let mut conn = plain_until_go_ahead(port, &quick());
    let Some(backend) = Backend::default_compiled() else {
        return;
    };
    let settings = TlsSettings {
        min_version: Some("1.1".into()),
        ..tls(backend)
    };
    let err = conn.start_tls(&settings, SECONDS_5).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
    assert!(err.message().contains("min_version"), "{err}");
    assert!(conn.is_open());
    assert!(conn.tls_info().is_none());
}

#[test]
fn a_failed_upgrade_handshake_says_why_and_closes() {
    let tls_server = s_server(&pki().self_signed.cert, &pki().self_signed.key, &[]);
    let port = starttls_server(SMTP_SHORT, GoAhead::Relay(tls_server.port));
    for b in Backend::compiled() {
        let mut conn = plain_until_go_ahead(port, &quick());
        let err = conn.start_tls(&tls(b), SECONDS_5).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{b}: {err}");
        assert!(err.message().contains("unknown issuer"), "{b}: {err}");
        assert!(!conn.is_open(), "{b}");
    }
}

#[test]
fn an_upgrade_is_bounded_by_its_timeout() {
    let port = starttls_server(SMTP_SHORT, GoAhead::Silent);
    for b in Backend::compiled() {
        let mut conn = plain_until_go_ahead(port, &quick());
        let started = Instant::now();
        let err = conn
            .start_tls(&tls_with_ca(b), Some(Duration::from_millis(300)))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{b}: {err}");
        assert!(started.elapsed() < Duration::from_secs(3), "{b}");
        assert!(!conn.is_open(), "{b}");
    }
}

fn until_eof() -> ReadLimits<'static> {
    ReadLimits {
        timeout: SECONDS_5,
        ..Default::default()
    }
}

/// Sends, finishes sending, reads the answer the peer gives only after EOF, and checks that
/// sending afterwards is refused.
fn half_close_round_trip(conn: &mut Connection, expected: &[u8]) {
    conn.send(b"twelve bytes", SECONDS_5).unwrap();
    conn.finish_sending(SECONDS_5).unwrap();
    assert!(conn.is_sending_finished());
    let answer = conn.read(&until_eof()).unwrap();
    assert_eq!(answer.end, ReadEnd::Eof);
    assert_eq!(
        String::from_utf8_lossy(&answer.data).trim(),
        String::from_utf8_lossy(expected)
    );
    let err = conn.send(b"more", SECONDS_5).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
    assert!(err.message().contains("sending half"), "{err}");
    // Finishing again is a no-op; closing still works.
    conn.finish_sending(SECONDS_5).unwrap();
    conn.close().unwrap();
}

#[test]
fn finish_sending_on_plain_tcp_lets_the_peer_answer_after_eof() {
    let port = count_until_eof_server();
    let (lines, options) = recorder();
    let addr = format!("127.0.0.1:{port}");
    let mut conn = Connection::open(&endpoint(&addr, None, None), &options).unwrap();
    half_close_round_trip(&mut conn, b"got 12 bytes");
    let lines = lines.lock().unwrap().clone();
    assert!(
        lines.contains(&format!("finished sending to {addr}")),
        "{lines:?}"
    );
}

/// `socat` terminating TLS and running `wc -c`: it answers the byte count once it reads EOF.
fn tls_count_server() -> Peer {
    let files = &pki().server;
    spawn_peer("socat", |port| {
        vec![
            format!(
                "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,verify=0,cert={},key={}",
                files.cert.display(),
                files.key.display()
            ),
            "EXEC:wc -c".into(),
        ]
    })
}

#[test]
fn finish_sending_on_tls_sends_close_notify_and_keeps_reading_on_every_backend() {
    let peer = tls_count_server();
    for b in Backend::compiled() {
        let ep = endpoint(&peer.addr(), Some(tls_with_ca(b)), None);
        let mut conn = Connection::open(&ep, &quick()).unwrap();
        half_close_round_trip(&mut conn, b"12");
    }
}

#[test]
fn finish_sending_on_a_closed_connection_is_a_closed_error() {
    let port = count_until_eof_server();
    let addr = format!("127.0.0.1:{port}");
    let mut conn = Connection::open(&endpoint(&addr, None, None), &quick()).unwrap();
    conn.close().unwrap();
    let err = conn.finish_sending(SECONDS_5).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed, "{err}");
}

#[test]
fn the_reader_drains_what_the_peer_sent_before_eof() {
    // The peer's data sent before our half-close is never lost to it: read it all.
    let port = fault_server(|mut stream| {
        let mut got = Vec::new();
        let _ = stream.read_to_end(&mut got);
        let _ = stream.write_all(&got.repeat(1000));
    });
    let addr = format!("127.0.0.1:{port}");
    let mut conn = Connection::open(&endpoint(&addr, None, None), &quick()).unwrap();
    conn.send(b"0123456789", SECONDS_5).unwrap();
    conn.finish_sending(SECONDS_5).unwrap();
    let answer = conn.read(&until_eof()).unwrap();
    assert_eq!(answer.data.len(), 10_000);
    assert_eq!(answer.end, ReadEnd::Eof);
}
