//! One verdict per certificate, whatever the backend (issue 16, item 0): certificates made at test
//! time the way users make them (the `openssl` command line; rcgen for dates in the past and the
//! future, which OpenSSL 3.0's `x509` cannot set), each served by `openssl s_server` on
//! 127.0.0.1, each tried by every compiled backend. Every backend must reach the expected verdict:
//! accepted, or refused with kind `tls` and the same plain words. The matrix is printed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use tcplink::{Backend, Connection, ErrorKind, TlsSettings};

/// The plain words of each refusal, as the matrix names them.
const REFUSALS: [(&str, &str); 6] = [
    (
        "unknown issuer",
        "the certificate is not trusted (unknown issuer)",
    ),
    (
        "incomplete chain",
        "the chain is incomplete: the server did not send the intermediate certificate",
    ),
    ("expired", "the certificate has expired"),
    ("not yet valid", "the certificate is not valid yet"),
    ("name mismatch", "(name mismatch)"),
    (
        "CA as end entity",
        "a CA certificate used as the server's certificate",
    ),
];

/// `openssl x509 -text` of a certificate, to check that it is what the row says.
fn text_of(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(cert)
        .output()
        .expect("openssl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A self-signed certificate for localhost valid from `from` to `to` (years), marked `CA:TRUE`
/// as `req -x509` marks it, by rcgen.
fn dated(dir: &Path, name: &str, from: i32, to: i32) -> CertFiles {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    params.not_before = rcgen::date_time_ymd(from, 1, 1);
    params.not_after = rcgen::date_time_ymd(to, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let files = CertFiles {
        cert: dir.join(format!("{name}.pem")),
        key: dir.join(format!("{name}.key")),
    };
    std::fs::write(&files.cert, cert.pem()).unwrap();
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    files
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// One row: what the server sends, what the client trusts, the name it checks, the verdict.
struct Case {
    name: &'static str,
    served: CertFiles,
    server_args: Vec<String>,
    trusted: PathBuf,
    server_name: Option<&'static str>,
    expected: &'static str,
}

fn cases(dir: &Path) -> Vec<Case> {
    let localhost = ["-addext", "subjectAltName=DNS:localhost"];
    let rsa = req_x509(dir, "rsa", &["rsa:2048"], "/CN=localhost", &localhost);
    assert!(text_of(&rsa.cert).contains("CA:TRUE"), "req -x509 marks CA");
    let ca_false = req_x509(
        dir,
        "ca-false",
        &["rsa:2048"],
        "/CN=localhost",
        &[
            localhost[0],
            localhost[1],
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
    );
    let v1 = v1_self_signed(dir);
    assert!(text_of(&v1.cert).contains("Version: 1 (0x0)"));
    let ec = req_x509(
        dir,
        "p256",
        &["ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "/CN=localhost",
        &localhost,
    );
    let ed = req_x509(dir, "ed25519", &["ed25519"], "/CN=localhost", &localhost);
    let ip = req_x509(
        dir,
        "ip",
        &["rsa:2048"],
        "/CN=device",
        &["-addext", "subjectAltName=IP:127.0.0.1"],
    );
    let other = req_x509(
        dir,
        "other",
        &["rsa:2048"],
        "/CN=other.example",
        &["-addext", "subjectAltName=DNS:other.example"],
    );
    let root = req_x509(dir, "root", &["rsa:2048"], "/CN=tcplink matrix root", &[]);
    let intermediate = signed(
        dir,
        "intermediate",
        "/CN=tcplink matrix intermediate",
        &root,
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    );
    let leaf = signed(
        dir,
        "leaf",
        "/CN=localhost",
        &intermediate,
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost\n",
    );
    let expired = dated(dir, "expired", 2020, 2021);
    let future = dated(dir, "future", 2090, 2099);
    let own = |name, served: &CertFiles, expected| Case {
        name,
        served: served.clone(),
        server_args: Vec::new(),
        trusted: served.cert.clone(),
        server_name: Some("localhost"),
        expected,
    };
    vec![
        own("self-signed RSA, CA:TRUE (req -x509)", &rsa, "accept"),
        own("self-signed RSA, CA:FALSE", &ca_false, "accept"),
        own("self-signed v1, no extensions", &v1, "accept"),
        Case {
            server_args: vec!["-tls1_2".into()],
            ..own("self-signed v1, TLS 1.2 server", &v1, "accept")
        },
        Case {
            server_args: vec!["-tls1_2".into()],
            ..own("self-signed RSA, CA:TRUE, TLS 1.2 server", &rsa, "accept")
        },
        own("self-signed ECDSA P-256, CA:TRUE", &ec, "accept"),
        own("self-signed Ed25519, CA:TRUE", &ed, "accept"),
        Case {
            server_name: None,
            ..own("IP 127.0.0.1 in SAN, by IP", &ip, "accept")
        },
        Case {
            trusted: root.cert.clone(),
            ..own("self-signed, another one trusted", &rsa, "unknown issuer")
        },
        own("expired (2020-2021)", &expired, "expired"),
        own("not yet valid (2090-2099)", &future, "not yet valid"),
        own(
            "for other.example, checked as localhost",
            &other,
            "name mismatch",
        ),
        Case {
            server_name: None,
            ..own("for localhost, checked as 127.0.0.1", &rsa, "name mismatch")
        },
        Case {
            server_args: vec!["-cert_chain".into(), path(&intermediate.cert)],
            trusted: root.cert.clone(),
            ..own("leaf + intermediate sent, root trusted", &leaf, "accept")
        },
        Case {
            trusted: root.cert.clone(),
            ..own("leaf only sent, root trusted", &leaf, "incomplete chain")
        },
    ]
}

/// The verdict of one connection: `accept`, the refusal's name, or what else happened.
fn verdict(result: &tcplink::Result<Connection>) -> String {
    match result {
        Ok(_) => "accept".into(),
        Err(e) if e.kind() != ErrorKind::Tls => format!("{:?} error", e.kind()),
        Err(e) => REFUSALS
            .iter()
            .find(|(_, words)| e.message().contains(words))
            .map_or_else(|| "unexplained".into(), |(name, _)| name.to_string()),
    }
}

fn try_case(case: &Case, peer: &Peer, backend: Backend) -> tcplink::Result<Connection> {
    let settings = TlsSettings {
        ca_cert_path: Some(case.trusted.to_string_lossy().into_owned()),
        server_name: case.server_name.map(str::to_string),
        ..tls(backend)
    };
    let mut conn = Connection::open(&endpoint(&peer.addr(), Some(settings), None), &quick())?;
    conn.send(b"ping\n", Some(std::time::Duration::from_secs(5)))?;
    let reply = conn.read(&limits(0, b"\n", 5000))?;
    assert_eq!(reply.data, b"gnip\n", "{backend}: {}", case.name);
    Ok(conn)
}

#[test]
fn every_backend_reaches_the_same_verdict_on_each_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let backends = Backend::compiled();
    let mut table = format!("{:<42}", "certificate");
    for b in &backends {
        table += &format!(" | {:<16}", b.name());
    }
    let (mut failures, mut messages) = (Vec::new(), Vec::new());
    for case in cases(dir.path()) {
        let extra: Vec<&str> = case.server_args.iter().map(String::as_str).collect();
        let peer = s_server(&case.served.cert, &case.served.key, &extra);
        table += &format!("\n{:<42}", case.name);
        for &b in &backends {
            let result = try_case(&case, &peer, b);
            let got = verdict(&result);
            table += &format!(" | {got:<16}");
            let why = result.err().map(|e| e.to_string()).unwrap_or_default();
            if got != case.expected {
                failures.push(format!(
                    "{} on {b}: expected {}, got {got}: {why}",
                    case.name, case.expected
                ));
            } else if !why.is_empty() {
                messages.push(format!("{b:<10} {why}"));
            }
        }
    }
    println!(
        "{table}\n\nThe refusals' messages:\n{}",
        messages.join("\n")
    );
    assert!(failures.is_empty(), "{table}\n\n{}", failures.join("\n"));
}
