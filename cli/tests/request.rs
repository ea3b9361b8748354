//! `tcplink request` over plain TCP and through proxies, against real servers (socat, microsocks,
//! Dante, tinyproxy) and small fault servers, and every exit code that does not need TLS.

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use common::*;

#[test]
fn seed_options_send_and_print_the_answer_byte_for_byte() {
    let echo = socat_echo();
    let run = run(&[
        "request",
        "--address",
        &echo.addr(),
        "--data",
        "hello\n",
        "--string",
        "true",
    ])
    .expect(code::OK);
    assert_eq!(run.stdout, b"hello\n");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[test]
fn string_false_prints_raw_bytes_and_string_true_replaces_invalid_utf8() {
    let echo = socat_echo();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), [b'o', 0xff, 0x00, 0xfe, b'\n']).unwrap();
    let data = format!("@{}", path(file.path()));
    let raw = request(&echo.addr(), &data, &["--string", "false"]).expect(code::OK);
    assert_eq!(raw.stdout, [b'o', 0xff, 0x00, 0xfe, b'\n']);
    let text = request(&echo.addr(), &data, &[]).expect(code::OK);
    assert_eq!(text.out(), "o\u{fffd}\u{0}\u{fffd}\n");
}

#[test]
fn data_from_stdin() {
    let echo = socat_echo();
    let run = run_piped(
        &["request", "-a", &echo.addr(), "--data", "-"],
        "привет\n".as_bytes(),
    )
    .expect(code::OK);
    assert_eq!(run.out(), "привет\n");
}

#[test]
fn marker_escapes_and_hex_end_the_answer_and_are_part_of_it() {
    let echo = socat_echo();
    let cases = [
        ("oneENDtwo\n", "END", "oneEND"),
        ("a\nb\r\nc\r\n", r"\r\n", "a\nb\r\n"),
        ("x\\y\tz\n", r"\\y\t", "x\\y\t"),
        ("ab\x01\x02cd", "hex:0102", "ab\x01\x02"),
        ("esc\x1b[0m", r"\x1b[", "esc\x1b["),
    ];
    for (data, marker, answer) in cases {
        let run = request(&echo.addr(), data, &["--marker", marker]);
        assert_eq!(run.expect(code::OK).out(), answer, "marker {marker:?}");
    }
}

#[test]
fn max_size_limits_the_answer_exactly() {
    let echo = socat_echo();
    let run = request(&echo.addr(), "abcdefgh\n", &["--max-size", "3", "-v"]).expect(code::OK);
    assert_eq!(run.stdout, b"abc");
    run.stderr_has(&["read ended on size after 3 bytes"]);
}

#[test]
fn hex_output() {
    let echo = socat_echo();
    let run = request(&echo.addr(), "AB\n", &["--hex"]).expect(code::OK);
    assert_eq!(run.out(), "41420a\n");
}

#[test]
fn a_read_that_times_out_prints_what_arrived_and_succeeds() {
    let echo = socat_echo();
    let run = request(&echo.addr(), "no newline", &["--timeout", "1s", "-v"]).expect(code::OK);
    assert_eq!(run.out(), "no newline");
    run.stderr_has(&["read ended on timeout"]);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
}

#[test]
fn an_idle_timeout_ends_the_read_before_the_whole_read_timeout() {
    let echo = socat_echo();
    let args = ["--timeout", "20s", "--idle-timeout", "300ms", "-v"];
    let run = request(&echo.addr(), "no newline", &args).expect(code::OK);
    assert_eq!(run.out(), "no newline");
    run.stderr_has(&["read ended on idle"]);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
}

#[test]
fn an_empty_marker_reads_until_the_server_closes() {
    let port = fault_server(|mut stream| {
        use std::io::Write;
        let _ = stream.write_all(b"line 1\nline 2\n");
    });
    let run = run(&[
        "request",
        "-a",
        &format!("127.0.0.1:{port}"),
        "--marker",
        "",
        "-v",
    ])
    .expect(code::OK);
    assert_eq!(run.out(), "line 1\nline 2\n");
    run.stderr_has(&["read ended on eof"]);
}

#[test]
fn verbose_reports_the_connection_on_stderr_only() {
    let echo = socat_echo();
    let run = request(&echo.addr(), "hi\n", &["--verbose"]).expect(code::OK);
    assert_eq!(run.stdout, b"hi\n");
    assert!(
        run.stderr
            .contains(&format!("connected to {}", echo.addr())),
        "{}",
        run.stderr
    );
    run.stderr_has(&["plain TCP, no TLS"]);
    run.stderr_has(&["read ended on marker after 3 bytes"]);
}

#[test]
fn a_large_file_goes_out_and_comes_back_intact() {
    let echo = socat_echo();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &data).unwrap();
    let arg = format!("@{}", path(file.path()));
    let size = data.len().to_string();
    let run = request(
        &echo.addr(),
        &arg,
        &["--marker", "", "--max-size", &size, "--string", "false"],
    )
    .expect(code::OK);
    assert!(run.stdout == data, "{} bytes came back", run.stdout.len());
    assert!(
        run.stderr.is_empty(),
        "no progress bar without a terminal: {}",
        run.stderr
    );
}

#[test]
fn socks5_proxy_by_url_json_and_file() {
    let echo = socat_echo();
    let socks = microsocks(Some(("user", "p@ss")));
    let url = format!("socks5://user:p%40ss@{}", socks.addr());
    let run1 = request(&echo.addr(), "via socks5\n", &["--proxy", &url]).expect(code::OK);
    assert_eq!(run1.out(), "via socks5\n");

    let json = format!(
        r#"{{"server":"127.0.0.1","port":{},"proxy_type":"socks5","login":"user","password":"p@ss"}}"#,
        socks.port
    );
    let run2 = request(&echo.addr(), "via json\n", &["--proxy", &json]).expect(code::OK);
    assert_eq!(run2.out(), "via json\n");

    let dir = scratch();
    let file = dir.path().join("proxy.json");
    std::fs::write(&file, &json).unwrap();
    let run3 = request(&echo.addr(), "via file\n", &["--proxy", path(&file)]).expect(code::OK);
    assert_eq!(run3.out(), "via file\n");

    // As OPI's documentation writes it: single quotes, the port as a string.
    let opi = format!(
        "{{'server':'127.0.0.1','port':'{}','proxy_type':'socks5','login':'user','password':'p@ss'}}",
        socks.port
    );
    let run4 = request(&echo.addr(), "via OPI's form\n", &["--proxy", &opi]).expect(code::OK);
    assert_eq!(run4.out(), "via OPI's form\n");
}

#[test]
fn socks4_socks4a_and_http_proxy_urls() {
    let echo = socat_echo();
    let dir = scratch();
    let dante = danted(dir.path());
    let socks4 = format!("socks4://{}", dante.addr());
    let run1 = request(&echo.addr(), "via socks4\n", &["--proxy", &socks4]).expect(code::OK);
    assert_eq!(run1.out(), "via socks4\n");

    let (port, requests) = socks4a_proxy();
    let socks4a = format!("socks4a://tester@127.0.0.1:{port}");
    let target = format!("localhost:{}", echo.port);
    let run2 = request(&target, "via socks4a\n", &["--proxy", &socks4a]).expect(code::OK);
    assert_eq!(run2.out(), "via socks4a\n");
    let asked = requests.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(
        (asked.user_id.as_str(), asked.host.as_str()),
        ("tester", "localhost"),
        "the proxy resolves the name"
    );

    let http = tinyproxy(dir.path(), Some(("user", "secret")));
    let url = format!("http://user:secret@{}", http.addr());
    let run3 = request(&echo.addr(), "via http\n", &["--proxy", &url]).expect(code::OK);
    assert_eq!(run3.out(), "via http\n");
    let rejected = format!("http://user:wrong@{}", http.addr());
    request(&echo.addr(), "x\n", &["--proxy", &rejected]).expect(code::PROXY);
}

#[test]
fn exit_code_proxy_for_rejected_credentials_and_a_non_proxy() {
    let echo = socat_echo();
    let socks = microsocks(Some(("user", "right")));
    let url = format!("socks5://user:wrong@{}", socks.addr());
    let run1 = request(&echo.addr(), "x\n", &["--proxy", &url]).expect(code::PROXY);
    run1.stderr_has(&["proxy error", "authentication failed"]);
    assert!(
        !run1.stderr.contains("wrong"),
        "the password must not be shown: {}",
        run1.stderr
    );
    let not_a_proxy = format!("socks5://{}", echo.addr());
    run(&["request", "-a", "example.com:80", "--proxy", &not_a_proxy]).expect(code::PROXY);
}

#[test]
fn exit_code_argument_for_bad_values() {
    let bad: &[&[&str]] = &[
        &["request"],
        &["request", "-a", "h:"],
        &["request", "-a", "ftp://h:1"],
        &["request", "-a", "h:70000"],
        &["request", "-a", "h:1", "--string", "maybe"],
        &["request", "-a", "h:1", "--timeout", "soon"],
        &["request", "-a", "h:1", "--marker", r"\q"],
        &["request", "-a", "h:1", "--marker", "abc", "--max-size", "2"],
        &["request", "-a", "h:1", "--tls", "{not json"],
        &["request", "-a", "h:1", "--tls", r#"{"verify_peer": false}"#],
        &["request", "-a", "h:1", "--tls", "/nonexistent/tls.json"],
        &["request", "-a", "h:1", "--backend", "gnutls"],
        &["request", "-a", "h:1", "--tls-min", "1.1"],
        &["request", "-a", "h:1", "--cert", "c.pem"],
        &["request", "-a", "h:1", "--proxy", "ftp://p:1"],
        &[
            "request",
            "-a",
            "h:1",
            "--proxy",
            r#"{"server":"p","port":0}"#,
        ],
        &["request", "-a", "h:1", "--data", "@/nonexistent/data"],
        &["connect"],
        &["serve", "--echo", "--hex"],
        &["frobnicate"],
    ];
    for args in bad {
        let run = run(args);
        assert_eq!(run.code, code::ARGUMENT, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
    let named = run(&["request", "-a", "h:1", "--marker", r"\q"]);
    named.stderr_has(&["argument error: --marker:"]);
}

#[test]
fn exit_code_resolve_for_an_unresolvable_name() {
    let run = request("no-such-host.invalid:80", "x", &[]).expect(code::RESOLVE);
    run.stderr_has(&["resolve error"]);
    assert!(run.stdout.is_empty());
}

#[test]
fn exit_code_connect_for_a_closed_port() {
    let port = free_port();
    let run =
        run(&["request", "-a", &format!("127.0.0.1:{port}"), "-d", "x"]).expect(code::CONNECT);
    run.stderr_has(&["connect error"]);
}

#[test]
fn exit_code_timeout_when_a_silent_server_does_not_read_what_we_send() {
    let port = silent_server();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), vec![b'x'; 64 * 1024 * 1024]).unwrap();
    let data = format!("@{}", path(file.path()));
    let run = run(&[
        "request",
        "-a",
        &format!("127.0.0.1:{port}"),
        "-d",
        &data,
        "--timeout",
        "300ms",
    ])
    .expect(code::TIMEOUT);
    run.stderr_has(&["timeout error", "sending to"]);
}

#[test]
fn exit_code_closed_when_the_server_resets_while_we_send() {
    let port = fault_server(|mut stream| {
        let mut first = [0u8; 1];
        let _ = stream.read_exact(&mut first);
        // Dropping a socket with unread data sends a reset.
    });
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), vec![b'x'; 64 * 1024 * 1024]).unwrap();
    let data = format!("@{}", path(file.path()));
    let run =
        run(&["request", "-a", &format!("127.0.0.1:{port}"), "-d", &data]).expect(code::CLOSED);
    run.stderr_has(&["closed error"]);
}

#[test]
fn exit_code_io_when_stdin_cannot_be_read() {
    let dir = std::fs::File::open("/").unwrap();
    let run = run_with(
        &["request", "-a", "127.0.0.1:9", "-d", "-"],
        Stdio::from(dir),
        None,
    )
    .expect(code::IO);
    run.stderr_has(&["io error", "stdin"]);
}

#[test]
fn verbose_reports_every_step_of_connecting_and_never_the_password() {
    let echo = socat_echo();
    let socks = microsocks(Some(("user", "p@ss-word")));
    let url = format!("socks5://user:p%40ss-word@{}", socks.addr());
    let run = request(&echo.addr(), "hello\n", &["--proxy", &url, "-v"]).expect(code::OK);
    assert_eq!(run.out(), "hello\n");
    run.stderr_has(&[
        &format!("connecting to {}", socks.addr()),
        &format!(
            "asking socks5 proxy {} for a tunnel to {} as user",
            socks.addr(),
            echo.addr()
        ),
        "opened a tunnel",
        "read ended on marker",
    ]);
    assert!(!run.stderr.contains("p@ss"), "{}", run.stderr);
}
