//! Everything that needs a client TLS backend: `tcplink request` and `tcplink connect` against
//! `openssl s_server -rev` (which answers each line reversed) and `tcplink serve --echo --tls`,
//! with certificates generated at test time; every TLS option and the TLS and handshake-timeout
//! exit codes.
#![cfg(any(feature = "rustls", feature = "openssl", feature = "native-tls"))]

mod common;

use std::process::Command;

use common::*;

/// The TLS backends compiled into the binary under test, by the features of this package.
fn backends() -> Vec<&'static str> {
    let mut all = Vec::new();
    if cfg!(feature = "rustls") {
        all.push("rustls");
    }
    if cfg!(feature = "openssl") {
        all.push("openssl");
    }
    if cfg!(feature = "native-tls") {
        all.push("native-tls");
    }
    all
}

#[test]
fn verified_tls_with_ca_on_every_backend_reports_the_session() {
    let server = s_server(&pki().server.cert, &pki().server.key, &[]);
    for backend in backends() {
        let run = request(
            &server.addr(),
            "hello\n",
            &["--ca", path(&pki().ca), "--backend", backend, "-v"],
        )
        .expect(code::OK);
        assert_eq!(run.out(), "olleh\n", "{backend}");
        run.stderr_has(&[&format!("tls: backend={backend}")]);
        run.stderr_has(&["subject=CN=localhost"]);
    }
}

#[test]
fn the_seed_tls_json_as_text_and_as_a_file() {
    let server = s_server(&pki().server.cert, &pki().server.key, &[]);
    let json = format!(
        r#"{{"use_tls": true, "accept_invalid_certs": false, "ca_cert_path": "{}"}}"#,
        path(&pki().ca)
    );
    let run1 = run(&[
        "request",
        "--address",
        &server.addr(),
        "--data",
        "json\n",
        "--tls",
        &json,
    ])
    .expect(code::OK);
    assert_eq!(run1.out(), "nosj\n");
    let dir = scratch();
    let file = dir.path().join("tls.json");
    std::fs::write(&file, &json).unwrap();
    let run2 = run(&[
        "request",
        "--address",
        &server.addr(),
        "--data",
        "file\n",
        "--tls",
        path(&file),
    ])
    .expect(code::OK);
    assert_eq!(run2.out(), "elif\n");
    let plain = request(
        &server.addr(),
        "x\n",
        &["--tls", r#"{"use_tls": false}"#, "-t", "500ms"],
    );
    assert_ne!(plain.out(), "x\n", "use_tls false must not speak TLS");
}

#[test]
fn exit_code_tls_for_a_self_signed_certificate_unless_insecure() {
    let server = s_server(&pki().self_signed.cert, &pki().self_signed.key, &[]);
    for backend in backends() {
        let rejected = request(&server.addr(), "x\n", &["--backend", backend]).expect(code::TLS);
        rejected.stderr_has(&["tls error", "certificate rejected"]);
        let accepted = request(
            &server.addr(),
            "abc\n",
            &["--tls-insecure", "--backend", backend],
        )
        .expect(code::OK);
        assert_eq!(accepted.out(), "cba\n");
    }
    let ssl = request(&server.addr(), "x\n", &["--ssl"]).expect(code::TLS);
    ssl.stderr_has(&["unknown issuer"]);
}

#[test]
fn sni_overrides_the_name_checked() {
    let server = s_server(&pki().localhost_only.cert, &pki().localhost_only.key, &[]);
    let ca = path(&pki().ca);
    let mismatch = request(&server.addr(), "x\n", &["--ca", ca]).expect(code::TLS);
    mismatch.stderr_has(&["name mismatch"]);
    let run =
        request(&server.addr(), "sni\n", &["--ca", ca, "--sni", "localhost"]).expect(code::OK);
    assert_eq!(run.out(), "ins\n");
}

#[test]
fn alpn_is_offered_and_reported() {
    let server = s_server(
        &pki().server.cert,
        &pki().server.key,
        &["-alpn", "tcplink/1"],
    );
    let ca = path(&pki().ca);
    let run = request(
        &server.addr(),
        "a\n",
        &["--ca", ca, "--alpn", "h2,tcplink/1", "-v"],
    )
    .expect(code::OK);
    run.stderr_has(&["alpn=tcplink/1"]);
    let repeated = run_piped(
        &[
            "request",
            "-a",
            &server.addr(),
            "-d",
            "-",
            "--ca",
            ca,
            "--alpn",
            "x",
            "--alpn",
            "tcplink/1",
            "-v",
        ],
        b"b\n",
    )
    .expect(code::OK);
    repeated.stderr_has(&["alpn=tcplink/1"]);
}

#[test]
fn tls_min_refuses_an_older_server() {
    let server = s_server(&pki().server.cert, &pki().server.key, &["-tls1_2"]);
    let ca = path(&pki().ca);
    let ok = request(
        &server.addr(),
        "v\n",
        &["--ca", ca, "--tls-min", "1.2", "-v"],
    )
    .expect(code::OK);
    ok.stderr_has(&["version=TLSv1.2"]);
    request(&server.addr(), "v\n", &["--ca", ca, "--tls-min", "1.3"]).expect(code::TLS);
}

#[test]
fn client_certificate_for_mutual_tls() {
    let ca = path(&pki().ca);
    // TLS 1.2, so a missing client certificate fails the handshake itself.
    let server = s_server(
        &pki().server.cert,
        &pki().server.key,
        &["-Verify", "1", "-CAfile", ca, "-tls1_2"],
    );
    let client = &pki().client;
    let run1 = request(
        &server.addr(),
        "mtls\n",
        &[
            "--ca",
            ca,
            "--cert",
            path(&client.cert),
            "--key",
            path(&client.key),
        ],
    )
    .expect(code::OK);
    assert_eq!(run1.out(), "sltm\n");
    request(&server.addr(), "x\n", &["--ca", ca]).expect(code::TLS);
    let missing = run(&[
        "request",
        "-a",
        &server.addr(),
        "--ca",
        ca,
        "--cert",
        "/nonexistent.pem",
        "--key",
        "/nonexistent.key",
    ]);
    assert_eq!(missing.code, code::ARGUMENT, "{}", missing.stderr);
}

#[test]
fn client_certificate_from_a_pfx_file() {
    let ca = path(&pki().ca);
    let server = s_server_verifying_clients();
    let dir = tempfile::tempdir().unwrap();
    let secret = "Cli-Pfx-Pa55";
    let pfx = pkcs12_export(dir.path(), "client", &pki().client, None, secret, &[]);
    let right = dir.path().join("right.txt");
    std::fs::write(&right, format!("{secret}\n")).unwrap();
    let wrong = dir.path().join("wrong.txt");
    std::fs::write(&wrong, "wrong-Pa55\n").unwrap();
    let from = |file: &std::path::Path| format!("file:{}", path(file));
    for b in backends() {
        let args = [
            "--ca",
            ca,
            "--backend",
            b,
            "--pfx",
            path(&pfx),
            "--pfx-pass",
        ];
        let mut with_right = args.to_vec();
        let source = from(&right);
        with_right.push(&source);
        let answer = request(&server.addr(), "pfx\n", &with_right).expect(code::OK);
        assert_eq!(answer.out(), "xfp\n", "{b}");
        let mut with_wrong = args.to_vec();
        let source = from(&wrong);
        with_wrong.push(&source);
        let refused = request(&server.addr(), "pfx\n", &with_wrong).expect(code::ARGUMENT);
        refused.stderr_has(&["client_pfx_password", "password is wrong", path(&pfx)]);
        assert!(
            !refused.stderr.contains("wrong-Pa55"),
            "{b}: {}",
            refused.stderr
        );
    }
}

#[test]
fn tls_through_a_socks5_proxy() {
    let server = s_server(&pki().server.cert, &pki().server.key, &[]);
    let socks = microsocks(Some(("u", "p")));
    let url = format!("socks5://u:p@{}", socks.addr());
    let run = request(
        &server.addr(),
        "tunnel\n",
        &["--ca", path(&pki().ca), "--proxy", &url],
    )
    .expect(code::OK);
    assert_eq!(run.out(), "lennut\n");
}

#[test]
fn exit_code_timeout_when_a_server_accepts_and_stays_silent_during_the_handshake() {
    let port = silent_server();
    let addr = format!("127.0.0.1:{port}");
    let run = request(&addr, "x\n", &["--ssl", "--connect-timeout", "400ms"]).expect(code::TIMEOUT);
    run.stderr_has(&["timeout error"]);
    assert!(
        run.elapsed < std::time::Duration::from_secs(5),
        "{:?}",
        run.elapsed
    );
}

#[test]
fn backend_not_compiled_is_an_argument_error() {
    for name in ["rustls", "openssl", "native-tls"] {
        if !backends().contains(&name) {
            let run =
                run(&["request", "-a", "127.0.0.1:9", "--backend", name]).expect(code::ARGUMENT);
            run.stderr_has(&["not compiled"]);
        }
    }
}

#[test]
fn connect_over_tls_sends_close_notify_and_reads_to_the_end() {
    let rejected = s_server(&pki().self_signed.cert, &pki().self_signed.key, &[]);
    run(&["connect", &rejected.addr(), "--ssl"]).expect(code::TLS);
    let server = s_server(&pki().server.cert, &pki().server.key, &[]);
    let run = run_piped(
        &["connect", &server.addr(), "--ca", path(&pki().ca), "-v"],
        b"hello\nworld\n",
    )
    .expect(code::OK);
    assert_eq!(run.out(), "olleh\ndlrow\n");
    run.stderr_has(&["tls: backend="]);
    run.stderr_has(&["the server closed the connection"]);
}

#[test]
fn connect_over_tls_passes_on_records_the_session_already_holds_while_stdin_stays_open() {
    let dir = scratch();
    let cert = dir.path().join("echo.pem");
    let server = serve(&["--echo", "-k", "--tls", "--cert-out", path(&cert)], 3);
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    for backend in backends() {
        let mut client = Interactive::start(&[
            "connect",
            &server.addr(),
            "--ca",
            path(&cert),
            "--backend",
            backend,
        ]);
        // Sent and echoed in pieces while stdin stays open: every record must come out
        // without waiting for the socket, which has nothing more to signal.
        for piece in data.chunks(100_000) {
            client.send(piece);
            assert!(client.receive(piece.len()) == piece, "{backend}");
        }
        assert_eq!(client.close_and_wait().code, Some(code::OK), "{backend}");
    }
}

#[test]
fn serve_echo_tls_prints_the_fingerprint_of_the_certificate_it_wrote() {
    let dir = scratch();
    let cert = dir.path().join("serve-cert.pem");
    let port = free_port().to_string();
    let server = serve(
        &[
            "--echo",
            "-k",
            "--tls",
            "--port",
            &port,
            "--cert-out",
            path(&cert),
        ],
        3,
    );
    assert_eq!(server.port.to_string(), port);
    let openssl = Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            path(&cert),
        ])
        .output()
        .unwrap();
    let expected = String::from_utf8(openssl.stdout).unwrap();
    let expected = expected.trim().rsplit('=').next().unwrap();
    assert_eq!(server.banner[2], format!("certificate  sha256 {expected}"));

    let run1 = request(&server.addr(), "secure\n", &["--ca", path(&cert), "-v"]).expect(code::OK);
    assert_eq!(run1.out(), "secure\n");
    run1.stderr_has(&["O=tcplink serve"]);
    request(&server.addr(), "x\n", &["--ssl"]).expect(code::TLS);
    let mut streamed = Interactive::start(&["connect", &server.addr(), "--tls-insecure"]);
    streamed.send(b"1\n2\n");
    assert_eq!(streamed.receive(4), b"1\n2\n");
    assert_eq!(streamed.close_and_wait().code, Some(code::OK));
}

#[test]
fn pin_shows_what_to_pin_and_its_settings_trust_that_key_alone() {
    let device = &pki().self_signed;
    let server = s_server(&device.cert, &device.key, &[]);
    let key = format!("sha256//{}", openssl_pins(&device.cert).base64);
    let fingerprint = openssl_fingerprint(&device.cert);
    for backend in backends() {
        let shown = run(&[
            "pin",
            &server.addr(),
            "--backend",
            backend,
            "--sni",
            "localhost",
        ])
        .expect(code::OK);
        let out = shown.out();
        for needle in [
            &format!("TLS ({backend}"),
            "certificate NOT verified",
            &format!("public key   {key}\n"),
            &format!("certificate  sha256 {fingerprint}\n"),
            "subject      CN=localhost, O=tcplink tests\n",
            "issuer       CN=localhost, O=tcplink tests (self-signed)\n",
            " UTC to ",
            "This connection checked nothing",
            "comparing its fingerprint with the one the device shows",
            &format!("ПолучитьНастройкиTls(Истина, , \"{key}\")"),
        ] {
            assert!(out.contains(needle), "{backend}: {needle}\n{out}");
        }
        let json = out.lines().find(|l| l.starts_with('{')).unwrap();
        let settings: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            settings,
            serde_json::json!({"use_tls": true, "accept_invalid_certs": true,
                "server_name": "localhost", "backend": backend, "pinned_sha256": [key]}),
            "{backend}"
        );
        // The settings printed trust the device, and its key only.
        let pinned = run(&[
            "request",
            "-a",
            &server.addr(),
            "-d",
            "pin\n",
            "--tls",
            json,
        ]);
        assert_eq!(pinned.expect(code::OK).out(), "nip\n", "{backend}");
        let other = format!("sha256//{}", openssl_pins(&pki().client.cert).base64);
        let refused = request(
            &server.addr(),
            "x\n",
            &["--backend", backend, "--tls-insecure", "--pin", &other],
        )
        .expect(code::TLS);
        refused.stderr_has(&[&format!(
            "the server's public key {key} matches none of the pinned keys"
        )]);
        // --verbose tells the same facts on every connection.
        let verbose = request(
            &server.addr(),
            "v\n",
            &["--backend", backend, "--tls-insecure", "--pin", &key, "-v"],
        )
        .expect(code::OK);
        verbose.stderr_has(&[
            &format!("sha256={fingerprint} key={key}"),
            &format!(", key {key}, "),
        ]);
    }
    // Through a proxy, which is asked for the server.
    let (proxy, asked) = socks5_proxy();
    let proxied = run(&[
        "pin",
        &server.addr(),
        "--proxy",
        &format!("socks5://127.0.0.1:{proxy}"),
    ])
    .expect(code::OK);
    assert!(proxied.out().contains(&format!("public key   {key}\n")));
    assert_eq!(asked.try_recv().unwrap().port, server.port);
    // Nothing listens: the connect error's exit code, not a report.
    let nobody = free_port();
    run(&["pin", &format!("127.0.0.1:{nobody}")]).expect(code::CONNECT);
}
