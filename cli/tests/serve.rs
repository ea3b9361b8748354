//! `tcplink serve` as a whole process beside real clients on 127.0.0.1: socat, ncat,
//! `openssl s_client` with and without a client certificate, `tcplink request` and `connect`
//! (the library's own client) and plain sockets: what arrives is printed byte for byte (the
//! chunks of several clients never mixed), stdin goes to the client, the one-shot and
//! --keep-open modes, the connection limit, the allow filter, echo to clients that half-close
//! (plain and TLS) and to one client while another does not read, TLS with a generated
//! certificate pinned by the client, with given PEM and PKCS#12 certificates, and mutual TLS on
//! each backend that verifies client certificates.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;

/// 256 KiB of every byte value, in an order that is not a simple repetition.
fn binary_data() -> Vec<u8> {
    (0..256 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// Runs `program args` with `input` on its stdin and returns its stdout; it is killed after
/// 20 s (coreutils' `timeout`).
fn client(program: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new("timeout")
        .arg("20")
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    writer.join().unwrap();
    let _ = child.wait();
    out
}

/// Whether the server closed `stream` at once: a read gives EOF or a reset within 5 s.
fn closed_at_once(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

#[test]
fn binary_data_from_socat_is_printed_byte_for_byte_and_one_shot_exits_when_it_leaves() {
    let mut server = serve(&[], 0);
    assert_eq!(
        server.banner[0],
        format!("listening on {} (plain TCP)", server.addr())
    );
    let data = binary_data();
    let address = format!("TCP:{}", server.addr());
    client("socat", &["-u", "STDIN", &address], &data);
    assert_eq!(server.exit_code(), Some(code::OK));
    assert!(
        server.output() == data,
        "the output differs from what was sent"
    );
}

#[test]
fn hex_prints_each_chunk_as_a_line_of_digits() {
    let mut server = serve(&["--hex"], 0);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.write_all(&[0x00, 0xff, 0x10, b'A']).unwrap();
    drop(stream);
    assert_eq!(server.exit_code(), Some(code::OK));
    assert_eq!(String::from_utf8(server.output()).unwrap(), "00ff1041\n");
}

#[test]
fn stdin_goes_to_the_ncat_client_and_its_end_closes_the_sending_side() {
    let mut server = serve_with(&["-v"], 0, Stdio::piped());
    let port = server.port.to_string();
    // --no-shutdown: ncat keeps its sending side open when its stdin ends, since a client that
    // ends its sending side ends the connection; it exits when the server closes its side.
    let ncat = thread::spawn(move || {
        client(
            "ncat",
            &["--no-shutdown", "127.0.0.1", &port],
            b"from ncat\n",
        )
    });
    let mut stdin = server.stdin.take().unwrap();
    stdin.write_all(b"from the server\n").unwrap();
    // Stdin ends: the client reads the end of the data, and ncat exits.
    drop(stdin);
    assert_eq!(ncat.join().unwrap(), b"from the server\n");
    assert_eq!(server.exit_code(), Some(code::OK));
    assert_eq!(server.output(), b"from ncat\n");
    let log = server.errors();
    assert!(log.contains("accepted connection"), "{log}");
    assert!(log.contains("closed by the client"), "{log}");
}

#[test]
fn keep_open_sends_stdin_to_every_client_and_prints_what_each_sends() {
    let mut server = serve_with(&["-k"], 0, Stdio::piped());
    let mut a = TcpStream::connect(server.addr()).unwrap();
    let mut b = TcpStream::connect(server.addr()).unwrap();
    a.write_all(b"a\n").unwrap();
    assert_eq!(server.output_of_len(2), b"a\n");
    b.write_all(b"b\n").unwrap();
    assert_eq!(server.output_of_len(4), b"a\nb\n");
    let mut stdin = server.stdin.take().unwrap();
    stdin.write_all(b"to all\n").unwrap();
    drop(stdin);
    for stream in [&mut a, &mut b] {
        let mut got = Vec::new();
        stream.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"to all\n");
    }
    // Both left; the server goes on serving others.
    drop((a, b));
    let mut c = TcpStream::connect(server.addr()).unwrap();
    c.write_all(b"c\n").unwrap();
    assert_eq!(server.output_of_len(6), b"a\nb\nc\n");
}

#[test]
fn one_shot_refuses_a_second_client_while_the_first_is_served() {
    let server = serve(&["-v"], 0);
    let mut first = TcpStream::connect(server.addr()).unwrap();
    first.write_all(b"1").unwrap();
    assert_eq!(server.output_of_len(1), b"1");
    let mut second = TcpStream::connect(server.addr()).unwrap();
    assert!(closed_at_once(&mut second));
    server.errors_with("refused");
}

#[test]
fn the_connection_limit_refuses_the_next_client_until_one_leaves() {
    let server = serve(&["-k", "--max-connections", "2", "-v"], 0);
    let mut open: Vec<TcpStream> = (0..2)
        .map(|i| {
            let mut s = TcpStream::connect(server.addr()).unwrap();
            s.write_all(&[b'0' + i]).unwrap();
            s
        })
        .collect();
    assert_eq!(server.output_of_len(2).len(), 2);
    let mut third = TcpStream::connect(server.addr()).unwrap();
    assert!(closed_at_once(&mut third));
    server.errors_with("2 connections are open, the limit");
    drop(open.pop());
    // Once the server has seen the client leave, there is room again.
    thread::sleep(Duration::from_millis(300));
    let mut fourth = TcpStream::connect(server.addr()).unwrap();
    fourth.write_all(b"4").unwrap();
    assert_eq!(server.output_of_len(3).len(), 3);
}

#[test]
fn the_allow_filter_closes_clients_outside_it() {
    let outside = serve(&["-k", "--allow", "10.0.0.0/8,192.168.0.0/16", "-v"], 0);
    let mut stream = TcpStream::connect(outside.addr()).unwrap();
    assert!(closed_at_once(&mut stream));
    outside.errors_with("not an allowed client address");
    let inside = serve(
        &[
            "-k",
            "--echo",
            "--allow",
            "10.0.0.0/8",
            "--allow",
            "127.0.0.1/32",
        ],
        0,
    );
    assert_eq!(
        request(&inside.addr(), "in\n", &[]).expect(code::OK).out(),
        "in\n"
    );
}

#[test]
fn bad_options_are_argument_errors_naming_them() {
    let run1 = run(&["serve", "--allow", "10.0.0.0/33"]).expect(code::ARGUMENT);
    run1.stderr_has(&["--allow", "10.0.0.0/33"]);
    run(&["serve", "--listen", "localhost"])
        .expect(code::ARGUMENT)
        .stderr_has(&["--listen"]);
    run(&["serve", "--client-ca", path(&pki().ca)])
        .expect(code::ARGUMENT)
        .stderr_has(&["--client-ca"]);
    run(&[
        "serve",
        "--tls-cert",
        "/nonexistent.pem",
        "--tls-key",
        "/nonexistent.key",
    ])
    .expect(code::ARGUMENT)
    .stderr_has(&["cert_path"]);
    run(&["serve", "--max-connections", "0"]).expect(code::ARGUMENT);
}

#[test]
fn a_generated_certificate_is_pinned_by_the_client_with_the_pin_it_prints() {
    let server = serve(&["-k", "--echo", "--tls"], 3);
    let pin = server.banner[1]
        .strip_prefix("public key   ")
        .unwrap_or_else(|| panic!("{:?}", server.banner))
        .to_string();
    assert!(pin.starts_with("sha256//"), "{pin}");
    assert!(server.banner[3].contains(&format!("--tls-insecure --pin {pin}")));
    for backend in tls_backends() {
        let run1 = request(
            &server.addr(),
            "pinned\n",
            &["--tls-insecure", "--pin", &pin, "--backend", backend],
        )
        .expect(code::OK);
        assert_eq!(run1.out(), "pinned\n", "{backend}");
    }
    let other = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    request(&server.addr(), "x\n", &["--tls-insecure", "--pin", other]).expect(code::TLS);
    // `tcplink pin` sees the same key.
    let seen = run(&["pin", &server.addr()]).expect(code::OK).out();
    assert!(seen.contains(&format!("public key   {pin}")), "{seen}");
}

#[test]
fn mutual_tls_with_s_client_with_and_without_a_client_certificate_on_each_backend() {
    let ca = path(&pki().ca);
    let (cert, key) = (path(&pki().server.cert), path(&pki().server.key));
    let (client_cert, client_key) = (path(&pki().client.cert), path(&pki().client.key));
    for backend in tls_backends().into_iter().filter(|b| *b != "native-tls") {
        let common = [
            "-k",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
            "--client-ca",
            ca,
        ];
        let mut args = common.to_vec();
        args.extend(["--tls-backend", backend, "-v"]);
        // The server's stdin stays open, so that it does not end its side as soon as a client
        // is in (and s_client, seeing that, exits before it sends).
        let server = serve_with(&args, 0, Stdio::piped());
        s_client(
            server.port,
            &["-cert", client_cert, "-key", client_key],
            b"with a certificate\n",
        );
        assert_eq!(
            server.output_of_len(19),
            b"with a certificate\n",
            "{backend}"
        );
        s_client(server.port, &[], b"without\n");
        thread::sleep(Duration::from_millis(300));
        assert_eq!(server.output(), b"with a certificate\n", "{backend}");
        server.errors_with("error (tls)");
        server.errors_with("subject=CN=tcplink test client");

        let mut optional = common.to_vec();
        optional.extend(["--client-cert", "optional", "--tls-backend", backend, "-v"]);
        let server = serve_with(&optional, 0, Stdio::piped());
        s_client(server.port, &[], b"optional\n");
        let out = server.output_of_len(9);
        assert_eq!(out, b"optional\n", "{backend}: {}", server.errors());
    }
}

/// `openssl s_client` to `port` on 127.0.0.1 verifying the server by the test CA, with `extra`
/// arguments, sending `line`: it ends its side at the end of its stdin (`-quiet` alone would
/// ignore that) and exits when the server closes. What it received.
fn s_client(port: u16, extra: &[&str], line: &[u8]) -> Vec<u8> {
    let connect = format!("127.0.0.1:{port}");
    let mut args = vec!["s_client", "-quiet", "-no_ign_eof", "-connect", &connect];
    args.extend(["-CAfile", path(&pki().ca)]);
    args.extend(extra);
    client("openssl", &args, line)
}

#[test]
fn native_tls_cannot_verify_client_certificates_and_says_so() {
    if !tls_backends().contains(&"native-tls") {
        return;
    }
    let ca = path(&pki().ca);
    let (cert, key) = (path(&pki().server.cert), path(&pki().server.key));
    let args = [
        "serve",
        "--tls-cert",
        cert,
        "--tls-key",
        key,
        "--client-ca",
        ca,
    ];
    let mut args = args.to_vec();
    args.extend(["--tls-backend", "native-tls"]);
    run(&args)
        .expect(code::ARGUMENT)
        .stderr_has(&["native-tls"]);
}

#[test]
fn a_pkcs12_certificate_serves_each_backend_with_its_password_from_the_environment() {
    let dir = scratch();
    let pfx = pkcs12_export(dir.path(), "server", &pki().server, None, "s3cret", &[]);
    for backend in tls_backends() {
        let mut child = binary()
            .args([
                "serve",
                "-k",
                "--echo",
                "--pfx",
                path(&pfx),
                "--pfx-pass",
                "env:SERVE_PW",
            ])
            .args(["--tls-backend", backend])
            .env("SERVE_PW", "s3cret")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut banner = String::new();
        let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        std::io::BufRead::read_line(&mut stderr, &mut banner).unwrap();
        let addr = banner.split_whitespace().nth(2).unwrap().to_string();
        let run1 = request(&addr, "pfx\n", &["--ca", path(&pki().ca)]);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(run1.expect(code::OK).out(), "pfx\n", "{backend}");
    }
    let wrong = ["serve", "--pfx", path(&pfx), "--pfx-pass", "pass:guessed"];
    let run1 = run(&wrong).expect(code::ARGUMENT);
    assert!(!run1.stderr.contains("guessed"), "{}", run1.stderr);
}

#[test]
fn echo_over_tls_with_a_given_certificate_answers_the_librarys_client_byte_for_byte() {
    let (cert, key) = (path(&pki().server.cert), path(&pki().server.key));
    let server = serve(&["-k", "--echo", "--tls-cert", cert, "--tls-key", key], 0);
    assert!(
        server.banner[0].ends_with("(TLS, echo)"),
        "{:?}",
        server.banner
    );
    // The echo comes back piece by piece while the client sends; when it ends its side, the
    // server ends its own and the client exits.
    let data = binary_data();
    let mut client = Interactive::start(&["connect", &server.addr(), "--ca", path(&pki().ca)]);
    for piece in data.chunks(64 * 1024) {
        client.send(piece);
        assert!(client.receive(piece.len()) == piece, "the echo differs");
    }
    assert_eq!(client.close_and_wait().code, Some(code::OK));
}

/// `printf 'line\n' | ncat HOST PORT` and `socat - TCP:HOST:PORT` with `input` (each half-closes
/// when its stdin ends, then reads until the server closes), or their TLS forms (`ncat --ssl`,
/// `socat - OPENSSL:…,verify=0`) with `tls`: what each got back and how long it ran. socat is
/// given 30 s (`-t`) instead of its 0.5 s to wait for the server's end after its own, so that it
/// exits early only when the server closed.
fn half_closing_clients(
    port: u16,
    tls: bool,
    input: &[u8],
) -> Vec<(&'static str, Vec<u8>, Duration)> {
    let port = port.to_string();
    let mut ncat = vec!["127.0.0.1", port.as_str()];
    if tls {
        ncat.insert(0, "--ssl");
    }
    let address = match tls {
        false => format!("TCP:127.0.0.1:{port}"),
        true => format!("OPENSSL:127.0.0.1:{port},verify=0"),
    };
    let socat = ["-t", "30", "-", address.as_str()];
    [("ncat", ncat.as_slice()), ("socat", socat.as_slice())]
        .into_iter()
        .map(|(program, args)| {
            let start = Instant::now();
            let got = client(program, args, input);
            (program, got, start.elapsed())
        })
        .collect()
}

/// Checks that each of [`half_closing_clients`] got `input` back and the server's end soon after.
fn each_gets_its_echo_and_the_end(port: u16, tls: bool, input: &[u8], label: &str) {
    for (program, got, took) in half_closing_clients(port, tls, input) {
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(input),
            "{program} ({label})"
        );
        assert!(
            took < Duration::from_secs(10),
            "{program} ({label}) waited {took:?} for the server's end"
        );
    }
}

#[test]
fn ncat_and_socat_that_half_close_at_the_end_of_their_stdin_get_their_echo() {
    let server = serve(&["-k", "--echo", "-v"], 0);
    each_gets_its_echo_and_the_end(server.port, false, b"line\n", "plain");
    // Several chunks, the last of them sent with the end.
    let long: Vec<u8> = (0..300_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    each_gets_its_echo_and_the_end(server.port, false, &long, "plain, 300 kB");
    server.errors_with("closed by the client");

    // One-shot: the first client's echo, then the server exits.
    let mut once = serve(&["--echo"], 0);
    let port = once.port.to_string();
    assert_eq!(client("ncat", &["127.0.0.1", &port], b"once\n"), b"once\n");
    assert_eq!(once.exit_code(), Some(code::OK));
}

#[test]
fn ncat_ssl_and_socat_openssl_that_half_close_get_their_echo_on_each_backend() {
    let (cert, key) = (path(&pki().server.cert), path(&pki().server.key));
    for backend in tls_backends() {
        let server = serve(
            &[
                "-k",
                "--echo",
                "--tls-cert",
                cert,
                "--tls-key",
                key,
                "--tls-backend",
                backend,
            ],
            0,
        );
        each_gets_its_echo_and_the_end(server.port, true, b"over tls\n", backend);
    }
}

#[test]
fn a_client_that_never_reads_does_not_delay_the_echo_to_another() {
    let server = serve(&["-k", "--echo", "--send-timeout", "30s"], 0);
    // The first client sends until everything between it and the server is full: its echo
    // waits on it, for up to 30 s.
    let stuck = TcpStream::connect(server.addr()).unwrap();
    stuck
        .set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (mut stuck, sent) = (stuck.try_clone().unwrap(), sent.clone());
        thread::spawn(move || {
            let piece = vec![b'x'; 64 * 1024];
            while sent.load(Ordering::SeqCst) < 256 << 20 && stuck.write_all(&piece).is_ok() {
                sent.fetch_add(piece.len(), Ordering::SeqCst);
            }
        })
    };
    let start = Instant::now();
    let mut last = 0;
    loop {
        thread::sleep(Duration::from_millis(500));
        let now = sent.load(Ordering::SeqCst);
        if now == last && now > 1 << 20 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "sending never stalled"
        );
        last = now;
    }
    let mut second = TcpStream::connect(server.addr()).unwrap();
    second
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let sent_at = Instant::now();
    second.write_all(b"second\n").unwrap();
    let mut echo = [0u8; 7];
    second.read_exact(&mut echo).unwrap();
    let took = sent_at.elapsed();
    assert_eq!(&echo, b"second\n");
    assert!(
        took < Duration::from_secs(5),
        "the echo took {took:?} while another client did not read ({} MiB sent)",
        last >> 20
    );
    stuck.shutdown(Shutdown::Both).unwrap();
    writer.join().unwrap();
}

#[test]
fn a_client_that_half_closes_while_printing_is_closed_at_once_as_ncat_l_does() {
    // One-shot: its bytes are printed and the server exits; the client gets nothing.
    let mut once = serve_with(&[], 0, Stdio::piped());
    let port = once.port.to_string();
    let start = Instant::now();
    assert_eq!(client("ncat", &["127.0.0.1", &port], b"hi\n"), b"");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(once.exit_code(), Some(code::OK));
    assert_eq!(once.output(), b"hi\n");

    // Keep-open: stdin goes on to the clients still sending, not to the one that ended.
    let mut server = serve_with(&["-k"], 0, Stdio::piped());
    let mut open = TcpStream::connect(server.addr()).unwrap();
    open.write_all(b"open\n").unwrap();
    assert_eq!(server.output_of_len(5), b"open\n");
    let mut ended = TcpStream::connect(server.addr()).unwrap();
    ended.write_all(b"ended\n").unwrap();
    ended.shutdown(Shutdown::Write).unwrap();
    assert!(closed_at_once(&mut ended));
    assert_eq!(server.output_of_len(11), b"open\nended\n");
    let mut stdin = server.stdin.take().unwrap();
    stdin.write_all(b"to the open one\n").unwrap();
    drop(stdin);
    let mut got = Vec::new();
    open.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"to the open one\n");
}

#[test]
fn hex_lines_of_clients_sending_at_once_never_mix() {
    let server = serve(&["-k", "--hex"], 0);
    let senders: Vec<_> = [0xaa_u8, 0xbb]
        .into_iter()
        .map(|byte| {
            let addr = server.addr();
            thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                for _ in 0..64 {
                    stream.write_all(&[byte; 16 * 1024]).unwrap();
                }
            })
        })
        .collect();
    senders.into_iter().for_each(|s| s.join().unwrap());
    // Two hex digits and a newline now and then for each of the 2 MiB sent.
    let start = Instant::now();
    let digits = |out: &[u8]| out.iter().filter(|b| **b != b'\n').count();
    while digits(&server.output()) < 4 << 20 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "not everything was printed"
        );
        thread::sleep(Duration::from_millis(50));
    }
    let out = String::from_utf8(server.output()).unwrap();
    for line in out.lines() {
        let first = &line[..2];
        assert!(
            line.as_bytes()
                .chunks(2)
                .all(|pair| pair == first.as_bytes()),
            "a line mixes two clients' bytes"
        );
    }
}

/// The TLS backends compiled into the binary under test.
fn tls_backends() -> Vec<&'static str> {
    [
        (cfg!(feature = "rustls"), "rustls"),
        (cfg!(feature = "openssl"), "openssl"),
        (cfg!(feature = "native-tls"), "native-tls"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect()
}
