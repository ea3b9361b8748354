//! The event log against real peers: name resolution and each address tried, sends and reads
//! with their sizes and end reasons, the close, errors, the TLS handshake with the peer
//! certificate's SHA-256 fingerprint per backend, and proxies with passwords that never show.

mod common;

use std::io::Write;
use std::sync::Arc;

use common::*;
use tcplink::{process_request, Backend, ConnectOptions, Connection, ProxySettings, Request};

/// Quick options that tell `recorder`.
fn recording(recorder: &Arc<Recorder>) -> ConnectOptions {
    ConnectOptions {
        events: Some(recorder.clone()),
        ..quick()
    }
}

#[test]
fn each_address_send_read_and_close_in_order() {
    let peer = socat_echo();
    let rec = Arc::new(Recorder::default());
    let target = format!("localhost:{}", peer.port);
    let mut conn = Connection::open(&endpoint(&target, None, None), &recording(&rec)).unwrap();
    conn.send(b"abcdef\n", None).unwrap();
    conn.read(&limits(2, b"", 2000)).unwrap();
    conn.read(&limits(0, b"\n", 2000)).unwrap();
    conn.read(&limits(0, b"\n", 100)).unwrap();
    conn.close().unwrap();
    let err = conn.send(b"x", None).unwrap_err();

    let lines = rec.lines();
    // "localhost" gives every loopback address the system has for it (127.0.0.1, and ::1 where
    // /etc/hosts lists it); the server listens on IPv4 only, so each address before 127.0.0.1 is
    // tried and fails first. connect::tests covers two addresses with the first refused on any
    // machine.
    let resolved = lines[0].strip_prefix("resolved localhost to ").unwrap();
    let ips: Vec<&str> = resolved.split(", ").collect();
    let v4 = ips.iter().position(|ip| *ip == "127.0.0.1").unwrap();
    let mut expected = Vec::new();
    for ip in &ips[..v4] {
        let addr = format!("[{ip}]:{}", peer.port);
        expected.push(format!("connecting to {addr}"));
        expected.push(format!("cannot connect to {addr}"));
    }
    expected.extend([
        format!("connecting to {}", peer.addr()),
        format!("connected to {} in N ms", peer.addr()),
        "sent 7 bytes".into(),
        "read 2 bytes, ended on size".into(),
        "read 5 bytes, ended on marker".into(),
        "read 0 bytes, ended on idle".into(),
        format!("closed the connection to {target}"),
        format!("error (closed): {}", err.message()),
    ]);
    assert_eq!(lines.len(), expected.len() + 1, "{lines:#?}");
    for (line, want) in lines[1..].iter().zip(&expected) {
        assert!(line.starts_with(want.as_str()), "{line:?} is not {want:?}");
    }
}

#[test]
fn eof_and_a_refused_connect_are_told() {
    let port = fault_server(|mut s| {
        s.write_all(b"bye").unwrap();
    });
    let rec = Arc::new(Recorder::default());
    let addr = format!("127.0.0.1:{port}");
    let mut conn = Connection::open(&endpoint(&addr, None, None), &recording(&rec)).unwrap();
    conn.read(&limits(0, b"\n", 2000)).unwrap();
    drop(conn);
    let closed = format!("127.0.0.1:{}", free_port());
    let err = Connection::open(&endpoint(&closed, None, None), &recording(&rec)).unwrap_err();

    let lines = rec.lines();
    assert_eq!(
        lines[..4],
        [
            format!("connecting to {addr}"),
            format!("connected to {addr} in N ms"),
            "read 3 bytes, ended on eof".into(),
            format!("closed the connection to {addr}"),
        ]
    );
    assert_eq!(lines[4], format!("connecting to {closed}"));
    assert!(
        lines[5].starts_with(&format!("cannot connect to {closed}: ")),
        "{lines:#?}"
    );
    assert_eq!(lines[6], format!("error (connect): {}", err.message()));
    assert_eq!(lines.len(), 7, "{lines:#?}");
}

#[test]
fn process_request_tells_every_step() {
    let peer = socat_echo();
    let rec = Arc::new(Recorder::default());
    let mut request = Request::new(endpoint(&peer.addr(), None, None), b"ping\n".to_vec());
    request.connect = recording(&rec);
    process_request(&request).unwrap();
    request.marker = b"a longer marker".to_vec();
    request.max_size = 2;
    let err = process_request(&request).unwrap_err();
    assert_eq!(
        rec.lines(),
        [
            format!("connecting to {}", peer.addr()),
            format!("connected to {} in N ms", peer.addr()),
            "sent 5 bytes".into(),
            "read 5 bytes, ended on marker".into(),
            format!("closed the connection to {}", peer.addr()),
            format!("error (argument): {}", err.message()),
        ]
    );
}

#[test]
fn tls_handshake_reports_the_peer_certificate_fingerprint_for_each_backend() {
    let peer = s_server(&pki().server.cert, &pki().server.key, &[]);
    let fingerprint = openssl_fingerprint(&pki().server.cert);
    assert_eq!(fingerprint.len(), 32 * 3 - 1, "{fingerprint}");
    for b in Backend::compiled() {
        let rec = Arc::new(Recorder::default());
        let conn = Connection::open(
            &endpoint(&peer.addr(), Some(tls_with_ca(b)), None),
            &recording(&rec),
        )
        .unwrap();
        let info = conn.tls_info().unwrap();
        assert_eq!(
            info.peer_sha256.as_deref(),
            Some(fingerprint.as_str()),
            "{b}"
        );
        assert!(
            info.to_json()
                .contains(&format!(r#""peer_sha256":"{fingerprint}""#)),
            "{b}: {}",
            info.to_json()
        );
        drop(conn);
        let lines = rec.lines();
        assert_eq!(lines.len(), 5, "{b}: {lines:#?}");
        assert_eq!(lines[2], format!("TLS handshake ({b}) with 127.0.0.1"));
        let tls = &lines[3];
        assert!(tls.starts_with(&format!("TLS: {b}")), "{tls}");
        if b != Backend::NativeTls {
            assert!(tls.contains(" TLSv1.3 "), "{b}: {tls}");
        }
        assert!(tls.contains(", subject CN=localhost"), "{b}: {tls}");
        assert!(
            tls.contains(&format!(", sha256 {fingerprint}, ")),
            "{b}: {tls}"
        );
        assert!(tls.ends_with(" in N ms"), "{b}: {tls}");
        assert_eq!(
            lines[4],
            format!("closed the connection to {}", peer.addr())
        );
    }
}

#[test]
fn a_rejected_certificate_is_an_error_event() {
    let peer = s_server(&pki().self_signed.cert, &pki().self_signed.key, &[]);
    for b in Backend::compiled() {
        let rec = Arc::new(Recorder::default());
        let err = Connection::open(
            &endpoint(&peer.addr(), Some(tls(b)), None),
            &recording(&rec),
        )
        .unwrap_err();
        let lines = rec.lines();
        assert_eq!(
            lines.last().unwrap(),
            &format!("error (tls): {}", err.message()),
            "{b}"
        );
        assert!(lines.last().unwrap().contains("unknown issuer"), "{b}");
    }
}

const PASSWORD: &str = "s3cret-pass";

fn with_password(kind: &str, port: u16, password: &str) -> ProxySettings {
    ProxySettings::new("127.0.0.1", port.into(), kind, "alice", password).unwrap()
}

/// Opens `target` through `proxy`, sends a line and reads it back, recording the events.
fn through(target: &str, proxy: ProxySettings) -> (tcplink::Result<()>, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    let result = Connection::open(&endpoint(target, None, Some(proxy)), &recording(&rec)).and_then(
        |mut conn| {
            conn.send(b"tunnel\n", None)?;
            conn.read(&limits(0, b"\n", 5000)).map(drop)
        },
    );
    (result, rec)
}

/// Checks that no event shows the password, plainly or in an HTTP Basic token.
fn assert_no_password(rec: &Recorder, password: &str) {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("alice:{password}"));
    let everything = rec.everything();
    assert!(
        !everything.contains(password),
        "password shown:\n{everything}"
    );
    assert!(
        !everything.contains(&token),
        "Basic token shown:\n{everything}"
    );
}

#[test]
fn proxies_with_a_password_are_told_without_it() {
    let echo = socat_echo();
    let dir = tempfile::tempdir().unwrap();
    let socks = microsocks(Some(("alice", PASSWORD)));
    let http = tinyproxy(dir.path(), Some(("alice", PASSWORD)));
    for (kind, proxy) in [("socks5", &socks), ("http", &http)] {
        let (result, rec) = through(&echo.addr(), with_password(kind, proxy.port, PASSWORD));
        result.unwrap();
        let lines = rec.lines();
        let at = format!("{kind} proxy {}", proxy.addr());
        assert_eq!(
            lines[..6],
            [
                format!("connecting to {}", proxy.addr()),
                format!("connected to {} in N ms", proxy.addr()),
                format!("asking {at} for a tunnel to {} as alice", echo.addr()),
                format!("{at} opened a tunnel to {} in N ms", echo.addr()),
                "sent 7 bytes".into(),
                "read 7 bytes, ended on marker".into(),
            ],
            "{kind}"
        );
        assert_no_password(&rec, PASSWORD);

        let wrong = "wrong-pass";
        let (result, rec) = through(&echo.addr(), with_password(kind, proxy.port, wrong));
        let err = result.unwrap_err();
        let lines = rec.lines();
        assert_eq!(
            lines.last().unwrap(),
            &format!("error (proxy): {}", err.message()),
            "{kind}"
        );
        assert_no_password(&rec, wrong);
    }
}

#[test]
fn tls_through_a_proxy_tells_both_handshakes() {
    let peer = s_server(&pki().server.cert, &pki().server.key, &[]);
    let socks = microsocks(Some(("alice", PASSWORD)));
    let Some(b) = Backend::default_compiled() else {
        return;
    };
    let rec = Arc::new(Recorder::default());
    let target = format!("localhost:{}", peer.port);
    Connection::open(
        &endpoint(
            &target,
            Some(tls_with_ca(b)),
            Some(with_password("socks5", socks.port, PASSWORD)),
        ),
        &recording(&rec),
    )
    .unwrap();
    let lines = rec.lines();
    assert_eq!(
        lines[2],
        format!(
            "asking socks5 proxy {} for a tunnel to {target} as alice",
            socks.addr()
        )
    );
    assert_eq!(lines[4], format!("TLS handshake ({b}) with localhost"));
    assert!(lines[5].starts_with(&format!("TLS: {b}")), "{lines:#?}");
    assert_no_password(&rec, PASSWORD);
}

#[test]
fn a_pfx_password_never_shows_in_events() {
    let peer = s_server_verifying_clients();
    let dir = tempfile::tempdir().unwrap();
    let pfx = pkcs12_export(dir.path(), "client", &pki().client, None, PASSWORD, &[]);
    for b in Backend::compiled() {
        for password in [PASSWORD, "wrong-pass"] {
            let settings = tcplink::TlsSettings {
                client_pfx_path: Some(pfx.to_string_lossy().into_owned()),
                client_pfx_password: Some(tcplink::Secret(password.into())),
                ..tls_with_ca(b)
            };
            let rec = Arc::new(Recorder::default());
            let ep = endpoint(&peer.addr(), Some(settings), None);
            let result = Connection::open(&ep, &recording(&rec)).and_then(|mut conn| {
                conn.send(b"pfx\n", None)?;
                conn.read(&limits(0, b"\n", 5000)).map(|out| out.data)
            });
            let lines = rec.lines();
            match password {
                PASSWORD => assert_eq!(result.unwrap(), b"xfp\n", "{b}"),
                _ => assert_eq!(
                    lines.last().unwrap(),
                    &format!("error (argument): {}", result.unwrap_err().message()),
                    "{b}"
                ),
            }
            assert_no_password(&rec, password);
        }
    }
}
