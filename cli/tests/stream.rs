//! `tcplink connect` with stdin piped, `tcplink serve --echo`, `tcplink demo` and `--help`.

mod common;

use std::process::Command;

use common::*;

#[test]
fn connect_pipes_stdin_and_half_closes_so_the_echo_ends() {
    let echo = socat_echo();
    let run = run_piped(&["connect", &echo.addr()], b"line 1\nline 2\n").expect(code::OK);
    assert_eq!(run.out(), "line 1\nline 2\n");
}

#[test]
fn connect_streams_megabytes_both_ways_without_stalling() {
    let echo = socat_echo();
    let data: Vec<u8> = (0..4_000_000u32).map(|i| (i % 253) as u8).collect();
    let run = run_piped(&["connect", &echo.addr()], &data).expect(code::OK);
    assert!(run.stdout == data, "{} of {} bytes came back", run.stdout.len(), data.len());
}

#[test]
fn connect_over_tls_sends_close_notify_and_reads_to_the_end() {
    let server = s_server(&pki().server, &[]);
    let run = run_piped(&["connect", &server.addr(), "--ca", path(&pki().ca), "-v"], b"hello\nworld\n").expect(code::OK);
    assert_eq!(run.out(), "olleh\ndlrow\n");
    assert!(run.stderr.contains("tls: backend="), "{}", run.stderr);
    assert!(run.stderr.contains("the server closed the connection"), "{}", run.stderr);
}

#[test]
fn connect_through_an_http_proxy() {
    let echo = socat_echo();
    let proxy = ncat_http_proxy();
    let url = format!("http://{}", proxy.addr());
    let run = run_piped(&["connect", &echo.addr(), "--proxy", &url], b"proxied\n").expect(code::OK);
    assert_eq!(run.out(), "proxied\n");
}

#[test]
fn connect_idle_timeout_against_a_silent_server() {
    let port = silent_server();
    let run = run(&["connect", &format!("127.0.0.1:{port}"), "--idle-timeout", "300ms"]).expect(code::TIMEOUT);
    assert!(run.stderr.contains("timeout error"), "{}", run.stderr);
}

#[test]
fn connect_errors_have_their_exit_codes() {
    run(&["connect", &format!("127.0.0.1:{}", free_port())]).expect(code::CONNECT);
    run(&["connect", "no-such-host.invalid:1"]).expect(code::RESOLVE);
    let server = s_server(&pki().self_signed, &[]);
    run(&["connect", &server.addr(), "--ssl"]).expect(code::TLS);
}

#[test]
fn serve_echo_plain() {
    let (server, lines) = serve(&["--echo"], 0);
    assert!(lines[0].contains("plain TCP"), "{lines:?}");
    let run = run(&["request", "-a", &server.addr(), "-d", "ping\n"]).expect(code::OK);
    assert_eq!(run.out(), "ping\n");
    let streamed = run_piped(&["connect", &server.addr()], b"a\nb\nc").expect(code::OK);
    assert_eq!(streamed.out(), "a\nb\nc");
}

#[test]
fn serve_echo_tls_prints_the_fingerprint_of_the_certificate_it_wrote() {
    let cert = pki().dir.path().join("serve-cert.pem");
    let port = free_port().to_string();
    let (server, lines) = serve(&["--echo", "--tls", "--port", &port, "--cert-out", path(&cert)], 1);
    assert_eq!(server.port.to_string(), port);
    let openssl = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in", path(&cert)])
        .output()
        .unwrap();
    let expected = String::from_utf8(openssl.stdout).unwrap();
    let expected = expected.trim().rsplit('=').next().unwrap();
    assert_eq!(lines[1], format!("certificate SHA-256 fingerprint {expected}"));

    let run1 = run(&["request", "-a", &server.addr(), "-d", "secure\n", "--ca", path(&cert), "-v"]).expect(code::OK);
    assert_eq!(run1.out(), "secure\n");
    assert!(run1.stderr.contains("O=tcplink serve"), "{}", run1.stderr);
    run(&["request", "-a", &server.addr(), "-d", "x\n", "--ssl"]).expect(code::TLS);
    let streamed = run_piped(&["connect", &server.addr(), "--tls-insecure"], b"1\n2\n").expect(code::OK);
    assert_eq!(streamed.out(), "1\n2\n");
}

#[test]
fn demo_runs_plain_and_every_compiled_backend_offline() {
    let run = run(&["demo"]).expect(code::OK);
    let out = run.out();
    assert!(out.contains(r#"answer "hello over plain TCP\n" (read ended on marker)"#), "{out}");
    for backend in ["rustls", "openssl", "native-tls"] {
        let line = format!(r#"answer "hello over TLS via {backend}\n" (read ended on marker)"#);
        let compiled = cfg!(feature = "rustls") && backend == "rustls"
            || cfg!(feature = "openssl") && backend == "openssl"
            || cfg!(feature = "native-tls") && backend == "native-tls";
        assert_eq!(out.contains(&line), compiled, "{backend}: {out}");
        assert_eq!(out.contains(&format!("backend={backend} ")), compiled, "{backend}: {out}");
    }
    assert!(!out.contains("FAILED"), "{out}");
    if cfg!(any(feature = "rustls", feature = "openssl", feature = "native-tls")) {
        assert!(out.contains("rejected, as it should be"), "{out}");
    }
}

#[test]
fn help_documents_every_option_and_the_exit_codes() {
    let request = run(&["request", "--help"]).expect(code::OK).out();
    for option in [
        "--address", "--data", "--string", "--hex", "--marker", "--max-size", "--timeout", "--verbose", "--tls ", "--ssl",
        "--tls-insecure", "--ca", "--cert", "--key", "--sni", "--alpn", "--tls-min", "--backend", "--proxy",
        "--connect-timeout",
    ] {
        assert!(request.contains(option), "request --help lacks {option}");
    }
    for line in ["2  argument", "3  resolve", "4  connect", "5  tls", "6  proxy", "7  timeout", "8  closed"] {
        assert!(request.contains(line), "request --help lacks {line:?}");
    }
    let connect = run(&["connect", "--help"]).expect(code::OK).out();
    assert!(connect.contains("--idle-timeout") && connect.contains("--proxy"), "{connect}");
    let serve = run(&["serve", "--help"]).expect(code::OK).out();
    for option in ["--echo", "--tls", "--port", "--bind", "--cert-out"] {
        assert!(serve.contains(option), "serve --help lacks {option}");
    }
}
