//! `tcplink serve` as a whole process beside real clients on 127.0.0.1: socat, ncat,
//! `openssl s_client` with and without a client certificate, `tcplink request` and `connect`
//! (the library's own client) and plain sockets: what arrives is printed byte for byte, stdin
//! goes to the client, the one-shot and --keep-open modes, the connection limit, the allow
//! filter, TLS with a generated certificate pinned by the client, with given PEM and PKCS#12
//! certificates, and mutual TLS on each backend that verifies client certificates.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use common::*;

/// 256 KiB of every byte value, in an order that is not a simple repetition.
fn binary_data() -> Vec<u8> {
    (0..256 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// Runs `program args` with `input` on its stdin and returns its stdout (at most 20 s).
fn client(program: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
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
        let server = serve(&args, 0);
        let connect = format!("127.0.0.1:{}", server.port);
        let s_client = |extra: &[&str], line: &[u8]| {
            let mut args = vec!["s_client", "-quiet", "-connect", &connect, "-CAfile", ca];
            args.extend(extra);
            client("openssl", &args, line)
        };
        s_client(
            &["-cert", client_cert, "-key", client_key],
            b"with a certificate\n",
        );
        assert_eq!(
            server.output_of_len(19),
            b"with a certificate\n",
            "{backend}"
        );
        s_client(&[], b"without\n");
        thread::sleep(Duration::from_millis(300));
        assert_eq!(server.output(), b"with a certificate\n", "{backend}");
        server.errors_with("error (tls)");
        server.errors_with("subject=CN=tcplink test client");

        let mut optional = common.to_vec();
        optional.extend(["--client-cert", "optional", "--tls-backend", backend, "-v"]);
        let server = serve(&optional, 0);
        let connect = format!("127.0.0.1:{}", server.port);
        let args = ["s_client", "-quiet", "-connect", &connect, "-CAfile", ca];
        client("openssl", &args, b"optional\n");
        let out = server.output_of_len(9);
        assert_eq!(out, b"optional\n", "{backend}: {}", server.errors());
    }
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
    // The echo comes back while the client keeps its sending side open: a client that ends it
    // ends the connection, and what it sent with its end is not echoed.
    let data = binary_data();
    let mut client = Interactive::start(&["connect", &server.addr(), "--ca", path(&pki().ca)]);
    for piece in data.chunks(64 * 1024) {
        client.send(piece);
        assert!(client.receive(piece.len()) == piece, "the echo differs");
    }
    assert_eq!(client.close_and_wait().code, Some(code::OK));
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
