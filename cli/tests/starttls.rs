//! `--starttls smtp|imap|pop3|ftp` on `tcplink request` and `tcplink connect`, once per compiled
//! backend: SMTP against aiosmtpd and FTP against pyftpdlib (real servers from Debian's
//! python3-aiosmtpd and python3-pyftpdlib), IMAP and POP3 against small in-test servers that
//! relay to `openssl s_server -rev` after their go-ahead; plaintext injected after the
//! go-ahead and a server that refuses both end in the TLS exit code.
#![cfg(any(feature = "rustls", feature = "openssl", feature = "native-tls"))]

mod common;

use common::*;

/// The TLS backends compiled into the binary under test, by the features of this package.
fn backends() -> Vec<&'static str> {
    [
        (cfg!(feature = "rustls"), "rustls"),
        (cfg!(feature = "openssl"), "openssl"),
        (cfg!(feature = "native-tls"), "native-tls"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect()
}

/// Debian's Python, where the apt packages install their modules.
const PYTHON: &str = "/usr/bin/python3";

/// aiosmtpd with STARTTLS, using the test CA's `localhost` certificate.
fn aiosmtpd() -> Peer {
    let files = &pki().server;
    spawn_peer(PYTHON, |port| {
        [
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "--tlscert",
            path(&files.cert),
            "--tlskey",
            path(&files.key),
        ]
        .map(String::from)
        .to_vec()
    })
}

/// pyftpdlib's FTP server with AUTH TLS, using the test CA's `localhost` certificate.
fn pyftpdlib() -> Peer {
    const SERVER: &str = "import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.servers import FTPServer
TLS_FTPHandler.certfile, TLS_FTPHandler.keyfile = sys.argv[2], sys.argv[3]
TLS_FTPHandler.authorizer = DummyAuthorizer()
FTPServer(('127.0.0.1', int(sys.argv[1])), TLS_FTPHandler).serve_forever()";
    let files = &pki().server;
    spawn_peer(PYTHON, |port| {
        vec![
            "-c".into(),
            SERVER.into(),
            port.to_string(),
            path(&files.cert).into(),
            path(&files.key).into(),
        ]
    })
}

/// `tcplink request` to `localhost:port` upgraded by `protocol`, trusting the test CA.
fn starttls_request(port: u16, protocol: &str, data: &str, backend: &str) -> Run {
    request(
        &format!("localhost:{port}"),
        data,
        &[
            "--starttls",
            protocol,
            "--ca",
            path(&pki().ca),
            "--backend",
            backend,
            "-v",
        ],
    )
}

#[test]
fn smtp_against_aiosmtpd_on_every_backend() {
    let server = aiosmtpd();
    for backend in backends() {
        // EHLO again over TLS, as RFC 3207 asks; its answer is several lines.
        let run =
            starttls_request(server.port, "smtp", "EHLO tcplink\r\n", backend).expect(code::OK);
        assert!(run.out().starts_with("250"), "{backend}: {}", run.out());
        run.stderr_has(&[&format!("TLS handshake ({backend}) with localhost")]);
    }
}

#[test]
fn ftp_against_pyftpdlib_on_every_backend() {
    let server = pyftpdlib();
    for backend in backends() {
        let run = starttls_request(server.port, "ftp", "PBSZ 0\r\n", backend).expect(code::OK);
        assert!(run.out().starts_with("200"), "{backend}: {}", run.out());
        run.stderr_has(&[&format!("tls: backend={backend}")]);
    }
}

#[test]
fn imap_and_pop3_upgrade_and_talk_over_tls_on_every_backend() {
    let tls_server = s_server(&pki().server.cert, &pki().server.key, &[]);
    for (protocol, script) in [("imap", IMAP), ("pop3", POP3)] {
        let port = starttls_server(script, GoAhead::Relay(tls_server.port));
        for backend in backends() {
            let run = starttls_request(port, protocol, "over tls\n", backend).expect(code::OK);
            assert_eq!(run.out(), "slt revo\n", "{protocol} {backend}");
        }
    }
}

#[test]
fn connect_upgrades_then_pipes_stdin() {
    let tls_server = s_server(&pki().server.cert, &pki().server.key, &[]);
    let port = starttls_server(IMAP, GoAhead::Relay(tls_server.port));
    let addr = format!("localhost:{port}");
    let args = [
        "connect",
        &addr,
        "--starttls",
        "imap",
        "--ca",
        path(&pki().ca),
    ];
    let run = run_piped(&args, b"piped\n").expect(code::OK);
    assert_eq!(run.out(), "depip\n");
}

#[test]
fn plaintext_after_the_go_ahead_is_refused_with_the_tls_exit_code() {
    let port = starttls_server(POP3, GoAhead::Injected);
    let run = starttls_request(port, "pop3", "x\n", backends()[0]).expect(code::TLS);
    run.stderr_has(&["arrived in plain text"]);
}

#[test]
fn a_server_that_does_not_agree_is_a_tls_error_naming_its_answer() {
    let port = fault_server(|mut stream| {
        use std::io::Write;
        let _ = stream.write_all(b"220-first line\r\n220 ready\r\n");
        let mut line = [0u8; 10];
        let _ = std::io::Read::read(&mut stream, &mut line);
        let _ = stream.write_all(b"502 no TLS here\r\n");
        drain(&mut stream);
    });
    let run = starttls_request(port, "ftp", "x\n", backends()[0]).expect(code::TLS);
    run.stderr_has(&["the answer to AUTH TLS was \"502 no TLS here\""]);
}
