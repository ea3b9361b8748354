//! TLS against `openssl s_server`, once per compiled backend: verification on by default, the
//! reasons a certificate is rejected, `accept_invalid_certs`, `ca_cert_path`, SNI override,
//! mutual TLS, ALPN, and servers limited to TLS 1.2 or 1.3.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use tcplink::{Backend, Connection, ErrorKind, ReadEnd, ReadLimits, TlsSettings};

fn line(conn: &mut Connection, text: &[u8]) -> Vec<u8> {
    conn.send(text, Some(Duration::from_secs(5))).unwrap();
    let limits = ReadLimits {
        max_size: 0,
        marker: b"\n",
        idle_timeout: Some(Duration::from_secs(5)),
        timeout: None,
    };
    let out = conn.read(&limits).unwrap();
    assert_eq!(out.end, ReadEnd::Marker);
    out.data
}

fn open(addr: &str, settings: TlsSettings) -> tcplink::Result<Connection> {
    Connection::open(&endpoint(addr, Some(settings), None), &quick())
}

fn backends() -> Vec<Backend> {
    let all = Backend::compiled();
    assert!(
        !all.is_empty()
            || cfg!(not(any(
                feature = "rustls",
                feature = "openssl",
                feature = "native-tls"
            )))
    );
    all
}

#[test]
fn self_signed_is_rejected_by_default_and_says_why() {
    let peer = s_server(&pki().self_signed.cert, &pki().self_signed.key, &[]);
    for b in backends() {
        let err = open(&peer.addr(), tls(b)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{b}: {err}");
        assert!(err.message().contains("unknown issuer"), "{b}: {err}");
        assert!(err.message().contains(&peer.addr()), "{b}: {err}");
    }
}

#[test]
fn accept_invalid_certs_accepts_self_signed() {
    let peer = s_server(&pki().self_signed.cert, &pki().self_signed.key, &[]);
    for b in backends() {
        let settings = TlsSettings {
            accept_invalid_certs: true,
            ..tls(b)
        };
        let mut conn = open(&peer.addr(), settings).unwrap();
        assert_eq!(line(&mut conn, b"hello\n"), b"olleh\n", "{b}");
        let info = conn.tls_info().unwrap();
        assert_eq!(info.backend, b.name());
        assert_eq!(
            info.peer_subject
                .as_deref()
                .map(|s| s.contains("CN=localhost")),
            Some(true),
            "{b}: {info:?}"
        );
    }
}

#[test]
fn each_tls_transport_reports_its_peer_and_local_addresses() {
    let peer = s_server(&pki().server.cert, &pki().server.key, &[]);
    for b in backends() {
        let mut conn = open(&peer.addr(), tls_with_ca(b)).unwrap();
        assert_eq!(line(&mut conn, b"addr\n"), b"rdda\n", "{b}");
        assert_eq!(
            conn.peer_addr().map(|a| a.to_string()),
            Some(peer.addr()),
            "{b}"
        );
        let local = conn.local_addr().unwrap();
        assert!(
            local.ip().is_loopback() && local.port() != 0 && local.port() != peer.port,
            "{b}: {local}"
        );
    }
}

#[test]
fn ca_cert_path_makes_the_chain_trusted() {
    let peer = s_server(&pki().server.cert, &pki().server.key, &[]);
    for b in backends() {
        let mut conn = open(&peer.addr(), tls_with_ca(b)).unwrap();
        assert_eq!(line(&mut conn, b"abc\n"), b"cba\n", "{b}");
        let info = conn.tls_info().unwrap();
        if b != Backend::NativeTls {
            assert_eq!(info.version.as_deref(), Some("TLSv1.3"), "{b}");
            assert!(info.cipher.is_some(), "{b}");
        }
        conn.close().unwrap();
        // The same by name, resolving localhost.
        let mut conn = open(&format!("localhost:{}", peer.port), tls_with_ca(b)).unwrap();
        assert_eq!(line(&mut conn, b"xy\n"), b"yx\n", "{b}");
    }
}

#[test]
fn host_name_mismatch_is_rejected() {
    let peer = s_server(&pki().wrong_name.cert, &pki().wrong_name.key, &[]);
    for b in backends() {
        let err = open(&peer.addr(), tls_with_ca(b)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{b}: {err}");
        assert!(err.message().contains("name mismatch"), "{b}: {err}");
        // accept_invalid_certs turns the name check off too.
        let settings = TlsSettings {
            accept_invalid_certs: true,
            ..tls_with_ca(b)
        };
        assert!(open(&peer.addr(), settings).is_ok(), "{b}");
    }
}

#[test]
fn expired_certificate_is_rejected() {
    let peer = s_server(&pki().expired.cert, &pki().expired.key, &[]);
    for b in backends() {
        let err = open(&peer.addr(), tls_with_ca(b)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{b}: {err}");
        assert!(err.message().contains("expired"), "{b}: {err}");
    }
}

#[test]
fn server_name_overrides_sni_and_verification_name() {
    let peer = s_server(&pki().localhost_only.cert, &pki().localhost_only.key, &[]);
    for b in backends() {
        // The certificate names localhost only: connecting by IP fails, unless the name is set.
        let err = open(&peer.addr(), tls_with_ca(b)).unwrap_err();
        assert!(err.message().contains("name mismatch"), "{b}: {err}");
        let settings = TlsSettings {
            server_name: Some("localhost".into()),
            ..tls_with_ca(b)
        };
        let mut conn = open(&peer.addr(), settings).unwrap();
        assert_eq!(line(&mut conn, b"sni\n"), b"ins\n", "{b}");
    }
}

#[test]
fn mutual_tls_against_s_server_verify() {
    let peer = s_server_verifying_clients();
    for b in backends() {
        let settings = TlsSettings {
            client_cert_path: Some(pki().client.cert.to_string_lossy().into_owned()),
            client_key_path: Some(pki().client.key.to_string_lossy().into_owned()),
            ..tls_with_ca(b)
        };
        let mut conn = open(&peer.addr(), settings).unwrap();
        assert_eq!(line(&mut conn, b"mtls\n"), b"sltm\n", "{b}");
        drop(conn);
        // Without a client certificate the server refuses: in the handshake (TLS 1.2) or at the
        // first read (TLS 1.3, where the client finishes first).
        let failed = match open(&peer.addr(), tls_with_ca(b)) {
            Err(e) => e.kind() == ErrorKind::Tls,
            Ok(mut conn) => {
                let _ = conn.send(b"x\n", Some(Duration::from_secs(2)));
                let limits = ReadLimits {
                    max_size: 0,
                    marker: b"\n",
                    idle_timeout: Some(Duration::from_secs(3)),
                    timeout: None,
                };
                match conn.read(&limits) {
                    Err(_) => true,
                    Ok(out) => out.data.is_empty() && out.end == ReadEnd::Eof,
                }
            }
        };
        assert!(failed, "{b}: a client without a certificate was served");
    }
}

/// A client key encrypted with a passphrase (what `openssl genpkey -aes256` makes) is refused by
/// every backend as an `argument` error naming `client_key_path`, at once: no backend may ask for
/// the passphrase on the process's terminal (OpenSSL's default), which inside 1C waits forever.
#[test]
fn an_encrypted_client_key_is_refused_without_asking_for_a_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("encrypted.key");
    openssl(
        dir.path(),
        &[
            "pkey",
            "-in",
            pki().client.key.to_str().unwrap(),
            "-aes256",
            "-passout",
            "pass:secret",
            "-out",
            key.to_str().unwrap(),
        ],
    );
    let peer = s_server_verifying_clients();
    for b in backends() {
        let settings = TlsSettings {
            client_cert_path: Some(pki().client.cert.to_string_lossy().into_owned()),
            client_key_path: Some(key.to_string_lossy().into_owned()),
            ..tls_with_ca(b)
        };
        let started = Instant::now();
        let err = open(&peer.addr(), settings).map(|_| ()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{b}: {err}");
        assert!(err.to_string().contains("client_key_path"), "{b}: {err}");
        assert!(started.elapsed() < Duration::from_secs(5), "{b}: waited");
    }
}

#[test]
fn tls12_only_and_tls13_only_servers() {
    let tls12 = s_server(&pki().server.cert, &pki().server.key, &["-tls1_2"]);
    let tls13 = s_server(&pki().server.cert, &pki().server.key, &["-tls1_3"]);
    for b in backends() {
        let mut conn = open(&tls12.addr(), tls_with_ca(b)).unwrap();
        assert_eq!(line(&mut conn, b"12\n"), b"21\n", "{b}");
        if b != Backend::NativeTls {
            assert_eq!(
                conn.tls_info().unwrap().version.as_deref(),
                Some("TLSv1.2"),
                "{b}"
            );
        }
        drop(conn);
        let mut conn = open(&tls13.addr(), tls_with_ca(b)).unwrap();
        assert_eq!(line(&mut conn, b"13\n"), b"31\n", "{b}");
        drop(conn);
        // Asking for 1.3 at least refuses the 1.2-only server.
        let settings = TlsSettings {
            min_version: Some("1.3".into()),
            ..tls_with_ca(b)
        };
        let err = open(&tls12.addr(), settings).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{b}: {err}");
    }
}

#[test]
fn tls_below_1_2_is_refused() {
    let peer = s_server(
        &pki().server.cert,
        &pki().server.key,
        &["-tls1_1", "-cipher", "ALL:@SECLEVEL=0"],
    );
    // The server does serve TLS 1.1 to a client that allows it, so the refusals below are ours.
    let client = std::process::Command::new("openssl")
        .args(["s_client", "-connect", &peer.addr(), "-tls1_1"])
        .args(["-cipher", "DEFAULT@SECLEVEL=0", "-ign_eof"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    client
        .stdin
        .as_ref()
        .unwrap()
        .write_all(b"eleven\n")
        .unwrap();
    let answer = wait_for_output(client, "nevele", Duration::from_secs(10));
    assert!(
        answer.contains("Protocol  : TLSv1.1") && answer.contains("nevele"),
        "openssl s_client -tls1_1 was not served TLS 1.1:\n{answer}"
    );
    for b in backends() {
        let err = open(&peer.addr(), tls_with_ca(b)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{b}: {err}");
        let message = err.message().to_lowercase();
        assert!(
            [
                "protocol version",
                "protocolversion",
                "unsupported protocol"
            ]
            .iter()
            .any(|about| message.contains(about)),
            "{b}: the refusal is not about the protocol version: {err}"
        );
    }
}

/// The output of `child` up to the first line containing `needle` (all of it if none does
/// within `limit`); the child is killed then.
fn wait_for_output(mut child: std::process::Child, needle: &str, limit: Duration) -> String {
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + limit;
    let mut out = String::new();
    while let Ok(line) = received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        out.push_str(&line);
        out.push('\n');
        if line.contains(needle) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    out
}

#[test]
fn alpn_is_negotiated() {
    let peer = s_server(
        &pki().server.cert,
        &pki().server.key,
        &["-alpn", "tcplink/1,http/1.1"],
    );
    for b in backends() {
        let settings = TlsSettings {
            alpn: vec!["tcplink/1".into()],
            ..tls_with_ca(b)
        };
        let mut conn = open(&peer.addr(), settings).unwrap();
        assert_eq!(
            conn.tls_info().unwrap().alpn.as_deref(),
            Some("tcplink/1"),
            "{b}"
        );
        assert_eq!(line(&mut conn, b"alpn\n"), b"npla\n");
    }
}

#[test]
fn missing_or_bad_files_are_argument_errors() {
    let peer = s_server(&pki().server.cert, &pki().server.key, &[]);
    for b in backends() {
        let settings = TlsSettings {
            ca_cert_path: Some("/nonexistent/ca.pem".into()),
            ..tls(b)
        };
        let err = open(&peer.addr(), settings).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{b}: {err}");
        assert!(err.message().contains("ca_cert_path"), "{b}: {err}");
        let settings = TlsSettings {
            client_cert_path: Some(pki().client.cert.to_string_lossy().into_owned()),
            client_key_path: Some("/nonexistent/key.pem".into()),
            ..tls_with_ca(b)
        };
        let err = open(&peer.addr(), settings).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{b}: {err}");
        assert!(err.message().contains("client_key_path"), "{b}: {err}");
    }
}

#[test]
fn handshake_with_a_silent_server_times_out_within_the_connect_timeout() {
    let port = fault_server(|s| {
        std::thread::sleep(Duration::from_secs(20));
        drop(s);
    });
    for b in backends() {
        let opts = tcplink::ConnectOptions {
            connect_timeout: Some(Duration::from_millis(500)),
            ..quick()
        };
        let start = Instant::now();
        let err = Connection::open(
            &endpoint(&format!("127.0.0.1:{port}"), Some(tls(b)), None),
            &opts,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{b}: {err}");
        // The server stays silent for 20 s: ending within 5 s is the connect timeout.
        assert!(
            start.elapsed() >= Duration::from_millis(490)
                && start.elapsed() < Duration::from_secs(5),
            "{b}: {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn garbage_instead_of_tls_is_a_tls_error() {
    let port = fault_server(|mut s| {
        use std::io::Write;
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\nthis is not TLS at all\n");
        std::thread::sleep(Duration::from_millis(500));
    });
    for b in backends() {
        let err = Connection::open(
            &endpoint(&format!("127.0.0.1:{port}"), Some(tls(b)), None),
            &quick(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{b}: {err}");
    }
}

#[test]
fn a_backend_not_compiled_in_is_an_argument_error() {
    for b in Backend::ALL.into_iter().filter(|b| !b.is_compiled()) {
        let err = open("127.0.0.1:1", tls(b)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{b}: {err}");
    }
    let settings = TlsSettings {
        backend: Some("schannel-ng".into()),
        ..TlsSettings::default()
    };
    assert_eq!(
        open(
            "127.0.0.1:1",
            TlsSettings {
                use_tls: true,
                ..settings
            }
        )
        .unwrap_err()
        .kind(),
        ErrorKind::Argument
    );
}

#[test]
fn large_transfer_over_tls_keeps_every_byte() {
    let peer = s_server(&pki().server.cert, &pki().server.key, &[]);
    for b in backends() {
        let mut conn = open(&peer.addr(), tls_with_ca(b)).unwrap();
        // s_server -rev answers each line reversed; send many long lines.
        let mut expected = Vec::new();
        for i in 0..200u32 {
            let text: Vec<u8> = (0..4000u32).map(|j| b'a' + ((i + j) % 26) as u8).collect();
            let mut msg = text.clone();
            msg.push(b'\n');
            let mut rev = text;
            rev.reverse();
            rev.push(b'\n');
            expected.extend(rev);
            conn.send(&msg, Some(Duration::from_secs(5))).unwrap();
        }
        let mut got = Vec::new();
        while got.len() < expected.len() {
            let limits = ReadLimits {
                max_size: expected.len() - got.len(),
                marker: b"",
                idle_timeout: Some(Duration::from_secs(5)),
                timeout: None,
            };
            let part = conn.read(&limits).unwrap();
            assert!(!part.data.is_empty(), "{b}: {:?}", part.end);
            got.extend(part.data);
        }
        assert!(got == expected, "{b}: data differs");
    }
}

#[test]
fn connections_with_the_same_settings_resume_the_session_where_the_backend_can() {
    let peer = s_server(&pki().server.cert, &pki().server.key, &[]);
    for b in backends() {
        let mut resumed = Vec::new();
        // Settings no other test uses: a configuration (and session store) of its own, so
        // parallel tests against other servers at 127.0.0.1 cannot replace the session.
        let settings = TlsSettings {
            alpn: vec!["tcplink-resumption-test".into()],
            ..tls_with_ca(b)
        };
        for _ in 0..2 {
            let mut conn = open(&peer.addr(), settings.clone()).unwrap();
            // The answer also carries the TLS 1.3 session tickets.
            assert_eq!(line(&mut conn, b"again\n"), b"niaga\n", "{b}");
            resumed.push(conn.tls_info().unwrap().resumed);
        }
        match b {
            // rustls and OpenSSL keep sessions with the cached client configuration.
            Backend::Rustls | Backend::Openssl => {
                assert_eq!(resumed, [Some(false), Some(true)], "{b}")
            }
            Backend::NativeTls => assert_eq!(resumed, [None, None], "{b}"),
        }
    }
}

#[test]
fn a_record_read_in_part_is_reported_as_buffered_input() {
    let peer = s_server(&pki().server.cert, &pki().server.key, &[]);
    let line = [b"x".repeat(10_000), b"\n".to_vec()].concat();
    for b in backends() {
        let mut transport = endpoint(&peer.addr(), Some(tls_with_ca(b)), None)
            .connect(&quick())
            .unwrap();
        transport.write_all(&line).unwrap();
        transport.flush().unwrap();
        assert!(!transport.has_buffered_input(), "{b}: nothing read yet");
        let mut first = [0; 1];
        transport.read_exact(&mut first).unwrap();
        // The rest of the record is in the session, where the socket cannot signal it.
        assert!(transport.has_buffered_input(), "{b}: after one byte");
        let mut rest = vec![0; line.len() - 1];
        transport.read_exact(&mut rest).unwrap();
        assert!(!transport.has_buffered_input(), "{b}: after the whole line");
    }
}
