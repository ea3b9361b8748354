//! `tcplink connect` with stdin piped, `tcplink serve --echo`, `tcplink demo`, `--help` and the
//! progress bars, over plain TCP (the TLS cases are in `tls.rs`).

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
    assert!(
        run.stdout == data,
        "{} of {} bytes came back",
        run.stdout.len(),
        data.len()
    );
}

#[test]
fn connect_through_an_http_proxy() {
    let echo = socat_echo();
    let dir = scratch();
    let proxy = tinyproxy(dir.path(), None);
    let url = format!("http://{}", proxy.addr());
    // tinyproxy closes both ways when the client half-closes, dropping an answer still on its
    // way (ncat loses it too), so stdin stays open until the echo is back.
    let mut client = Interactive::start(&["connect", &echo.addr(), "--proxy", &url]);
    client.send(b"proxied\n");
    assert_eq!(client.receive(8), b"proxied\n");
    assert_eq!(client.close_and_wait().code, Some(code::OK));
}

#[test]
fn connect_waits_for_the_socket_and_stdin_without_waking_up_on_a_timer() {
    // The server answers one line, then reads until the client half-closes.
    let port = fault_server(|mut stream| {
        use std::io::Write;
        let _ = stream.write_all(b"hello\n");
        drain(&mut stream);
    });
    let mut client = Interactive::start(&["connect", &format!("127.0.0.1:{port}")]);
    assert_eq!(client.receive(6), b"hello\n");
    std::thread::sleep(std::time::Duration::from_secs(1));
    let ended = client.close_and_wait();
    assert_eq!(ended.code, Some(code::OK));
    // Polling every 10 ms would wait about 100 times in that idle second.
    assert!(ended.waits < 30, "{} waits", ended.waits);
}

#[test]
fn connect_idle_timeout_against_a_silent_server() {
    let port = silent_server();
    let run = run(&[
        "connect",
        &format!("127.0.0.1:{port}"),
        "--idle-timeout",
        "300ms",
    ])
    .expect(code::TIMEOUT);
    run.stderr_has(&["timeout error"]);
}

#[test]
fn connect_errors_have_their_exit_codes() {
    run(&["connect", &format!("127.0.0.1:{}", free_port())]).expect(code::CONNECT);
    run(&["connect", "no-such-host.invalid:1"]).expect(code::RESOLVE);
    run(&["connect", "h:1", "--marker", "x"]).expect(code::ARGUMENT);
}

#[test]
fn serve_echo_plain() {
    let server = serve(&["--echo", "-k"], 0);
    assert!(
        server.banner[0].contains("plain TCP"),
        "{:?}",
        server.banner
    );
    let run = request(&server.addr(), "ping\n", &[]).expect(code::OK);
    assert_eq!(run.out(), "ping\n");
    let mut streamed = Interactive::start(&["connect", &server.addr()]);
    streamed.send(b"a\nb\nc");
    assert_eq!(streamed.receive(5), b"a\nb\nc");
    assert_eq!(streamed.close_and_wait().code, Some(code::OK));
}

#[test]
fn serve_and_request_over_ipv6_loopback() {
    let server = serve(&["--echo", "-k", "--bind", "::1"], 0);
    assert!(
        server.banner[0].starts_with("listening on [::1]:"),
        "{:?}",
        server.banner
    );
    let addr = format!("[::1]:{}", server.port);
    assert_eq!(request(&addr, "six\n", &[]).expect(code::OK).out(), "six\n");
}

#[test]
fn demo_runs_plain_and_every_compiled_backend_offline() {
    let run = run(&["demo"]).expect(code::OK);
    let out = run.out();
    assert!(
        out.contains(r#"answer "hello over plain TCP\n" (read ended on marker)"#),
        "{out}"
    );
    for backend in ["rustls", "openssl", "native-tls"] {
        let line = format!(r#"answer "hello over TLS via {backend}\n" (read ended on marker)"#);
        let compiled = cfg!(feature = "rustls") && backend == "rustls"
            || cfg!(feature = "openssl") && backend == "openssl"
            || cfg!(feature = "native-tls") && backend == "native-tls";
        assert_eq!(out.contains(&line), compiled, "{backend}: {out}");
        assert_eq!(
            out.contains(&format!("backend={backend} ")),
            compiled,
            "{backend}: {out}"
        );
    }
    assert!(!out.contains("FAILED"), "{out}");
    if cfg!(any(
        feature = "rustls",
        feature = "openssl",
        feature = "native-tls"
    )) {
        assert!(out.contains("rejected, as it should be"), "{out}");
    }
}

#[test]
fn help_documents_every_option_and_the_exit_codes() {
    let request = run(&["request", "--help"]).expect(code::OK).out();
    for option in [
        "--address",
        "--data",
        "--string",
        "--hex",
        "--marker",
        "--max-size",
        "--timeout",
        "--verbose",
        "--tls ",
        "--ssl",
        "--tls-insecure",
        "--ca",
        "--cert",
        "--key",
        "--sni",
        "--alpn",
        "--tls-min",
        "--backend",
        "--proxy",
        "--connect-timeout",
    ] {
        assert!(request.contains(option), "request --help lacks {option}");
    }
    for line in [
        "2  argument",
        "3  resolve",
        "4  connect",
        "5  tls",
        "6  proxy",
        "7  timeout",
        "8  closed",
    ] {
        assert!(request.contains(line), "request --help lacks {line:?}");
    }
    let connect = run(&["connect", "--help"]).expect(code::OK).out();
    assert!(
        connect.contains("--idle-timeout") && connect.contains("--proxy"),
        "{connect}"
    );
    let serve = run(&["serve", "--help"]).expect(code::OK).out();
    for option in [
        "--echo",
        "--listen",
        "--keep-open",
        "--max-connections",
        "--allow",
        "--hex",
        "--tls",
        "--tls-cert",
        "--pfx",
        "--client-ca",
        "--client-cert",
        "--tls-backend",
        "--port",
        "--bind",
        "--cert-out",
    ] {
        assert!(serve.contains(option), "serve --help lacks {option}");
    }
}

/// Runs `tcplink args` with stderr on a terminal (`script` gives it a pseudo-terminal) and
/// stdout discarded; returns the exit code and what the terminal showed.
fn on_a_terminal(args: &[&str]) -> (i32, String) {
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_tcplink"))
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let command = format!("{} > /dev/null", quoted.join(" "));
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .output()
        .expect("script (bsdutils)");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn progress_bars_show_on_a_terminal_while_sending_a_file_and_receiving_a_large_answer() {
    let dir = scratch();
    let file = dir.path().join("big.bin");
    std::fs::write(&file, vec![b'x'; 64 * 1024 * 1024]).unwrap();
    let data = format!("@{}", path(&file));
    let silent = format!("127.0.0.1:{}", silent_server());
    let (code, screen) = on_a_terminal(&["request", "-a", &silent, "-d", &data, "--timeout", "1s"]);
    assert_eq!(code, code::TIMEOUT, "{screen}");
    assert!(
        screen.contains("sending [") && screen.contains("MiB/64.00 MiB"),
        "{screen}"
    );

    let talker = fault_server(|mut stream| {
        use std::io::Write;
        let _ = stream.write_all(&vec![b'y'; 2 * 1024 * 1024]);
        std::thread::sleep(std::time::Duration::from_millis(1000));
    });
    let talker = format!("127.0.0.1:{talker}");
    let (code, screen) = on_a_terminal(&["request", "-a", &talker, "--marker", ""]);
    assert_eq!(code, code::OK, "{screen}");
    assert!(
        screen.contains("receiving") && screen.contains("2.00 MiB"),
        "{screen}"
    );
}
