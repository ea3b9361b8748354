//! Proxies: SOCKS5 through microsocks, SOCKS4 through Dante, SOCKS4a through a small in-test
//! proxy, HTTP CONNECT through tinyproxy; with and without credentials, refusals, and TLS through
//! a proxy.

mod common;

use std::time::Duration;

use common::*;
use tcplink::{Connection, ErrorKind, ProxySettings, ReadEnd, ReadLimits};

fn proxy(kind: &str, port: u16, login: &str, password: &str) -> ProxySettings {
    ProxySettings::new("127.0.0.1", port.into(), kind, login, password).unwrap()
}

fn round_trip(target: &str, proxy: ProxySettings) -> tcplink::Result<Vec<u8>> {
    let proxy_addr = format!("{}:{}", proxy.server, proxy.port);
    let mut conn = Connection::open(&endpoint(target, None, Some(proxy)), &quick())?;
    // The connection goes to the proxy, never straight to the target.
    assert_eq!(
        conn.peer_addr().map(|a| a.to_string()),
        Some(proxy_addr),
        "to {target}"
    );
    conn.send(b"through the proxy\n", Some(Duration::from_secs(5)))?;
    let out = conn.read(&ReadLimits {
        max_size: 0,
        marker: b"\n",
        idle_timeout: Some(Duration::from_secs(5)),
        timeout: None,
    })?;
    assert_eq!(out.end, ReadEnd::Marker);
    Ok(out.data)
}

/// Checks that a round trip through `proxy` to the echo server at `target` comes back whole.
fn tunnels(target: &str, proxy: ProxySettings) {
    let what = proxy.describe();
    assert_eq!(
        round_trip(target, proxy).unwrap(),
        b"through the proxy\n",
        "via {what}"
    );
}

/// Asks the proxy for a port nobody listens on; returns the error after checking it is a proxy
/// refusal that names the target.
fn refusal(kind: &str, proxy_port: u16) -> tcplink::Error {
    let target = format!("127.0.0.1:{}", free_port());
    let err = round_trip(&target, proxy(kind, proxy_port, "", "")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy, "{kind}: {err}");
    assert!(err.message().contains(&target), "{kind}: {err}");
    err
}

#[test]
fn socks5_without_auth() {
    let echo = socat_echo();
    let px = microsocks(None);
    tunnels(&echo.addr(), proxy("socks5", px.port, "", ""));
    // Host names are resolved by the proxy.
    let by_name = format!("localhost:{}", echo.port);
    tunnels(&by_name, proxy("socks5", px.port, "", ""));
}

#[test]
fn socks5_sends_the_name_for_the_proxy_to_resolve() {
    let echo = socat_echo();
    let (port, requests) = socks5_proxy();
    tunnels(
        &format!("localhost:{}", echo.port),
        proxy("socks5", port, "", ""),
    );
    assert_eq!(
        requests.recv_timeout(Duration::from_secs(2)).unwrap(),
        Socks5Request {
            host: "localhost".into(),
            by_name: true,
            port: echo.port,
        }
    );
    tunnels(&echo.addr(), proxy("socks5", port, "", ""));
    assert_eq!(
        requests.recv_timeout(Duration::from_secs(2)).unwrap(),
        Socks5Request {
            host: "127.0.0.1".into(),
            by_name: false,
            port: echo.port,
        }
    );
}

#[test]
fn socks5_with_user_and_password() {
    let echo = socat_echo();
    let px = microsocks(Some(("alice", "s3cret-pass")));
    tunnels(
        &echo.addr(),
        proxy("socks5", px.port, "alice", "s3cret-pass"),
    );

    let err = round_trip(
        &echo.addr(),
        proxy("socks5", px.port, "alice", "wrong-pass"),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy, "{err}");
    assert!(
        err.message().contains(&format!("127.0.0.1:{}", px.port)),
        "{err}"
    );
    assert!(
        !err.message().contains("wrong-pass"),
        "password leaked: {err}"
    );

    let err = round_trip(&echo.addr(), proxy("socks5", px.port, "", "")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy, "{err}");
    assert!(err.message().contains("requires authentication"), "{err}");
}

#[test]
fn socks5_refusing_to_reach_the_target() {
    let px = microsocks(None);
    let err = refusal("socks5", px.port);
    assert!(err.message().contains("connection refused"), "{err}");
}

#[test]
fn socks4_through_dante() {
    let dir = tempfile::tempdir().unwrap();
    let echo = socat_echo();
    let px = danted(dir.path());
    tunnels(&echo.addr(), proxy("socks4", px.port, "", ""));
    // SOCKS4 resolves names locally.
    let by_name = format!("localhost:{}", echo.port);
    tunnels(&by_name, proxy("socks4", px.port, "", ""));
    // Dante also speaks SOCKS5.
    tunnels(&echo.addr(), proxy("socks5", px.port, "", ""));
    // A target that refuses is reported as a proxy refusal.
    refusal("socks4", px.port);
}

#[test]
fn socks4a_sends_the_name_and_user_id() {
    let echo = socat_echo();
    let (port, requests) = socks4a_proxy();
    let target = format!("localhost:{}", echo.port);
    tunnels(&target, proxy("socks4a", port, "bob", ""));
    let req = requests.recv_timeout(Duration::from_secs(2)).unwrap();
    assert_eq!(
        req,
        Socks4Request {
            user_id: "bob".into(),
            host: "localhost".into(),
            port: echo.port
        }
    );
    // Plain SOCKS4 sends the address it resolved itself.
    tunnels(&target, proxy("socks4", port, "", ""));
    let req = requests.recv_timeout(Duration::from_secs(2)).unwrap();
    assert_eq!(req.host, "127.0.0.1");
    assert!(refusal("socks4a", port).message().contains("rejected"));
}

#[test]
fn http_connect_with_and_without_basic_auth() {
    let dir = tempfile::tempdir().unwrap();
    let echo = socat_echo();
    let open = tinyproxy(dir.path(), None);
    tunnels(&echo.addr(), proxy("http", open.port, "", ""));

    let guarded = tinyproxy(dir.path(), Some(("carol", "pa55word")));
    tunnels(
        &echo.addr(),
        proxy("http", guarded.port, "carol", "pa55word"),
    );
    let err = round_trip(&echo.addr(), proxy("http", guarded.port, "", "")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy, "{err}");
    assert!(err.message().contains("407"), "{err}");
    let err = round_trip(
        &echo.addr(),
        proxy("http", guarded.port, "carol", "nope-wrong"),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Proxy, "{err}");
    assert!(
        err.message().contains("credentials rejected") && !err.message().contains("nope-wrong"),
        "{err}"
    );
}

#[test]
fn http_proxy_refusing_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let px = tinyproxy(dir.path(), None);
    refusal("http", px.port);
}

#[test]
fn unreachable_proxy_is_a_connect_error_naming_it() {
    let port = free_port();
    let err = round_trip("127.0.0.1:9", proxy("socks5", port, "", "")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    assert!(
        err.message()
            .contains(&format!("socks5 proxy 127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn tls_through_each_proxy_kind() {
    let dir = tempfile::tempdir().unwrap();
    let server = s_server(&pki().server.cert, &pki().server.key, &[]);
    let socks5 = microsocks(None);
    let http = tinyproxy(dir.path(), None);
    let dante = danted(dir.path());
    for b in tcplink::Backend::compiled() {
        for px in [
            proxy("socks5", socks5.port, "", ""),
            proxy("http", http.port, "", ""),
            proxy("socks4", dante.port, "", ""),
        ] {
            // The certificate is verified against the target's name, not the proxy's.
            let target = format!("localhost:{}", server.port);
            let mut conn = Connection::open(
                &endpoint(&target, Some(tls_with_ca(b)), Some(px.clone())),
                &quick(),
            )
            .unwrap_or_else(|e| panic!("{b} via {}: {e}", px.describe()));
            conn.send(b"tunnel\n", Some(Duration::from_secs(5)))
                .unwrap();
            let out = conn
                .read(&ReadLimits {
                    max_size: 0,
                    marker: b"\n",
                    idle_timeout: Some(Duration::from_secs(5)),
                    timeout: None,
                })
                .unwrap();
            assert_eq!(out.data, b"lennut\n", "{b} via {}", px.describe());
        }
    }
}

#[test]
fn proxy_settings_json_from_the_seed_format() {
    let echo = socat_echo();
    let px = microsocks(None);
    let json = format!(
        r#"{{"server":"127.0.0.1","port":{},"proxy_type":"socks5","login":null,"password":null}}"#,
        px.port
    );
    let endpoint = tcplink::Endpoint::parse(&echo.addr(), "", &json).unwrap();
    let mut conn = Connection::open(&endpoint, &quick()).unwrap();
    conn.send(b"json\n", None).unwrap();
    let out = conn
        .read(&ReadLimits {
            max_size: 0,
            marker: b"\n",
            idle_timeout: Some(Duration::from_secs(5)),
            timeout: None,
        })
        .unwrap();
    assert_eq!(out.data, b"json\n");
}

#[test]
fn silent_proxy_times_out_within_the_connect_timeout() {
    let port = fault_server(|s| {
        std::thread::sleep(Duration::from_secs(20));
        drop(s);
    });
    for kind in ["socks5", "socks4a", "http"] {
        let opts = tcplink::ConnectOptions {
            connect_timeout: Some(Duration::from_millis(400)),
            ..quick()
        };
        let start = std::time::Instant::now();
        let err = Connection::open(
            &endpoint("example.com:80", None, Some(proxy(kind, port, "u", "p"))),
            &opts,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{kind}: {err}");
        // The proxy stays silent for 20 s: ending within 5 s is the connect timeout.
        assert!(
            start.elapsed() >= Duration::from_millis(390)
                && start.elapsed() < Duration::from_secs(5),
            "{kind}: {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn garbage_from_a_proxy_is_a_proxy_error() {
    let port = fault_server(|mut s| {
        use std::io::Write;
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n");
        std::thread::sleep(Duration::from_millis(300));
    });
    for kind in ["socks5", "socks4", "http"] {
        let err = round_trip("127.0.0.1:9", proxy(kind, port, "", "")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Proxy, "{kind}: {err}");
    }
}
