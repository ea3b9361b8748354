//! Certificate pinning and trust on first use (issue 16, items 1 and 2), against
//! `openssl s_server` on 127.0.0.1, once per compiled backend: a self-signed device (made by
//! `openssl req -x509`, by rcgen, and as an X.509 v1 certificate) trusted by its pin alone; a key
//! that matches no pin refused, naming the key seen; pins in every form; pins with verification
//! on, where the chain and the pin must both hold; and the certificate facts every connection
//! reports, compared with what the `openssl` command line computes.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use tcplink::{Backend, ConnectOptions, Connection, Endpoint, ErrorKind, Event, TlsSettings};

/// The words of a refusal for a key that matches no pin.
const NOT_PINNED: &str = "matches none of the pinned keys (pinned_sha256)";

/// Settings for `backend` with `pins` and verification on or off.
fn pinned(backend: Backend, verify: bool, pins: &[&str]) -> TlsSettings {
    TlsSettings {
        accept_invalid_certs: !verify,
        pinned_sha256: pins.iter().map(|p| p.to_string()).collect(),
        ..tls(backend)
    }
}

/// Connects with `settings` and checks the connection works: a line goes there and back.
fn exchange(peer: &Peer, settings: TlsSettings) -> tcplink::Result<Connection> {
    let mut conn = Connection::open(&endpoint(&peer.addr(), Some(settings), None), &quick())?;
    conn.send(b"pin\n", Some(Duration::from_secs(5)))?;
    let reply = conn.read(&limits(0, b"\n", 5000))?;
    assert_eq!(reply.data, b"nip\n");
    Ok(conn)
}

/// The self-signed certificates of the tests: `openssl req -x509` (RSA, `CA:TRUE`), rcgen
/// (ECDSA P-256), and an X.509 v1 one (no extensions), each for localhost.
fn devices(dir: &Path) -> Vec<(&'static str, CertFiles)> {
    let req = req_x509(
        dir,
        "device",
        &["rsa:2048"],
        "/CN=device.local",
        &["-addext", "subjectAltName=DNS:device.local"],
    );
    vec![
        ("openssl req -x509", req),
        ("rcgen", pki().self_signed.clone()),
        ("x509 v1", v1_self_signed(dir)),
    ]
}

/// A pin of another key, which the servers here do not have.
fn other_pin() -> String {
    format!("sha256//{}", openssl_pins(&pki().client.cert).base64)
}

#[test]
fn a_pin_alone_trusts_a_self_signed_device_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    for (made_by, device) in devices(dir.path()) {
        // TLS 1.3, and 1.2, whose handshake signature is checked differently.
        for server_args in [&[][..], &["-tls1_2"][..]] {
            let peer = s_server(&device.cert, &device.key, server_args);
            trusted_by_pin_alone(made_by, &peer, &device);
        }
    }
}

/// Asserts that `peer`, serving `device`, is trusted by the device's pin alone on every
/// backend, and refused without it.
fn trusted_by_pin_alone(made_by: &str, peer: &Peer, device: &CertFiles) {
    let pin = format!("sha256//{}", openssl_pins(&device.cert).base64);
    for b in Backend::compiled() {
        // Twice: the second connection may resume the first one's session.
        for round in 0..2 {
            let conn = exchange(peer, pinned(b, false, &[&pin]))
                .unwrap_or_else(|e| panic!("{made_by} on {b}, round {round}: {e}"));
            let info = conn.tls_info().unwrap();
            assert_eq!(info.peer_key_sha256.as_deref(), Some(pin.as_str()), "{b}");
        }
        let unpinned = exchange(peer, tls(b)).unwrap_err();
        assert_eq!(unpinned.kind(), ErrorKind::Tls, "{made_by} on {b}");
    }
}

#[test]
fn a_key_that_matches_no_pin_is_refused_naming_the_key_seen() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = other_pin();
    for (made_by, device) in devices(dir.path()) {
        let peer = s_server(&device.cert, &device.key, &[]);
        let seen = format!("sha256//{}", openssl_pins(&device.cert).base64);
        for b in Backend::compiled() {
            let err = exchange(&peer, pinned(b, false, &[&wrong])).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Tls, "{made_by} on {b}: {err}");
            let expected = format!("certificate rejected: the server's public key {seen} {NOT_PINNED} [pinned: {wrong}]");
            assert!(err.message().contains(&expected), "{made_by} on {b}: {err}");
            assert!(err.message().contains(&peer.addr()), "{b}: {err}");
        }
    }
}

#[test]
fn pins_match_in_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = other_pin();
    for (made_by, device) in devices(dir.path()) {
        let peer = s_server(&device.cert, &device.key, &[]);
        let computed = openssl_pins(&device.cert);
        let curl = format!("sha256//{}", computed.base64);
        let bare_hex = computed.hex_colons.replace(':', "");
        let (upper_colons, upper_hex) =
            (computed.hex_colons.to_uppercase(), bare_hex.to_uppercase());
        let one_of_several = format!("{wrong};{curl}");
        let forms: Vec<Vec<&str>> = vec![
            vec![&curl],
            vec![&computed.hex_colons],
            vec![&upper_colons],
            vec![&bare_hex],
            vec![&upper_hex],
            vec![&one_of_several],
            vec![&wrong, &bare_hex],
        ];
        for b in Backend::compiled() {
            for form in &forms {
                exchange(&peer, pinned(b, false, form))
                    .unwrap_or_else(|e| panic!("{made_by}, {form:?} on {b}: {e}"));
            }
        }
    }
}

#[test]
fn with_verification_on_the_chain_and_the_pin_must_both_hold() {
    let server = &pki().server;
    let peer = s_server(&server.cert, &server.key, &[]);
    let pin = format!("sha256//{}", openssl_pins(&server.cert).base64);
    let wrong = other_pin();
    let expired = s_server(&pki().expired.cert, &pki().expired.key, &[]);
    let expired_pin = format!("sha256//{}", openssl_pins(&pki().expired.cert).base64);
    for b in Backend::compiled() {
        let with_ca = |pins: &[&str]| TlsSettings {
            ca_cert_path: Some(pki().ca.to_string_lossy().into_owned()),
            ..pinned(b, true, pins)
        };
        exchange(&peer, with_ca(&[&pin])).unwrap_or_else(|e| panic!("{b}: {e}"));
        let mismatch = exchange(&peer, with_ca(&[&wrong])).unwrap_err();
        assert_eq!(mismatch.kind(), ErrorKind::Tls, "{b}: {mismatch}");
        assert!(mismatch.message().contains(NOT_PINNED), "{b}: {mismatch}");
        // The pin matches, but nothing vouches for the chain.
        let untrusted = exchange(&peer, pinned(b, true, &[&pin])).unwrap_err();
        assert_eq!(untrusted.kind(), ErrorKind::Tls, "{b}: {untrusted}");
        assert!(
            untrusted.message().contains("certificate rejected")
                && !untrusted.message().contains(NOT_PINNED),
            "{b}: {untrusted}"
        );
        let dated = exchange(&expired, with_ca(&[&expired_pin])).unwrap_err();
        assert!(
            dated.message().contains("the certificate has expired"),
            "{b}: {dated}"
        );
    }
}

/// `openssl x509 -noout -<field>` of `cert`: a name with `CN = x` written `CN=x`, or a date as
/// `YYYY-MM-DD HH:MM:SS UTC`.
fn openssl_field(cert: &Path, field: &str) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", &format!("-{field}"), "-in"])
        .arg(cert)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let value = text.trim().split_once('=').unwrap().1.trim();
    if !field.ends_with("date") {
        return value.replace(" = ", "=");
    }
    // `Dec  1 11:00:00 2026 GMT`.
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = value.split_whitespace().collect();
    let month = MONTHS.iter().position(|m| *m == parts[0]).unwrap() + 1;
    let day: u32 = parts[1].parse().unwrap();
    format!("{}-{month:02}-{day:02} {} UTC", parts[3], parts[2])
}

#[test]
fn every_connection_reports_what_to_pin_as_openssl_computes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = devices(dir.path());
    served.push(("CA-signed", pki().server.clone()));
    for (made_by, cert) in served {
        let peer = s_server(&cert.cert, &cert.key, &[]);
        let pin = format!("sha256//{}", openssl_pins(&cert.cert).base64);
        for b in Backend::compiled() {
            let lines = Arc::new(Mutex::new(Vec::new()));
            let kept = lines.clone();
            let options = ConnectOptions {
                events: Some(Arc::new(move |e: &Event<'_>| {
                    kept.lock().unwrap().push(e.to_string())
                })),
                ..quick()
            };
            let settings = TlsSettings {
                accept_invalid_certs: true,
                ..tls(b)
            };
            let conn = Connection::open(&endpoint(&peer.addr(), Some(settings), None), &options)
                .unwrap_or_else(|e| panic!("{made_by} on {b}: {e}"));
            let info = conn.tls_info().unwrap();
            let expected = [
                (&info.peer_key_sha256, pin.clone()),
                (&info.peer_sha256, openssl_fingerprint(&cert.cert)),
                (&info.peer_subject, openssl_field(&cert.cert, "subject")),
                (&info.peer_issuer, openssl_field(&cert.cert, "issuer")),
                (
                    &info.peer_not_before,
                    openssl_field(&cert.cert, "startdate"),
                ),
                (&info.peer_not_after, openssl_field(&cert.cert, "enddate")),
            ];
            for (got, want) in expected {
                assert_eq!(got.as_deref(), Some(want.as_str()), "{made_by} on {b}");
            }
            let json: serde_json::Value = serde_json::from_str(&info.to_json()).unwrap();
            assert_eq!(json["peer_key_sha256"], pin.as_str(), "{b}");
            assert_eq!(
                json["peer_issuer"],
                info.peer_issuer.clone().unwrap().as_str()
            );
            let lines = lines.lock().unwrap();
            let established = lines.iter().find(|l| l.starts_with("TLS: ")).unwrap();
            for part in [
                format!(", issuer {}, ", info.peer_issuer.as_ref().unwrap()),
                format!(
                    ", valid {} to {}, ",
                    info.peer_not_before.as_ref().unwrap(),
                    info.peer_not_after.as_ref().unwrap()
                ),
                format!(", key {pin}, "),
            ] {
                assert!(established.contains(&part), "{b}: {established}");
            }
        }
    }
}

#[test]
fn pins_are_read_from_json_as_a_string_or_an_array_and_checked() {
    let base64 = openssl_pins(&pki().self_signed.cert).base64;
    for json in [
        format!(r#"{{"accept_invalid_certs": true, "pinned_sha256": "sha256//{base64}"}}"#),
        format!(r#"{{"accept_invalid_certs": true, "pinned_sha256": ["", "sha256//{base64};"]}}"#),
    ] {
        let endpoint = Endpoint::parse("127.0.0.1:1", &json, "").unwrap();
        assert!(!endpoint.tls.unwrap().pinned_sha256.is_empty(), "{json}");
    }
    let err = Endpoint::parse("127.0.0.1:1", r#"{"pinned_sha256": 5}"#, "").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument);
    assert!(err.message().contains("pinned_sha256"), "{err}");
    // A malformed pin is refused before anything touches the network (nobody listens on port 1).
    let endpoint = Endpoint::parse(
        "127.0.0.1:1",
        &format!(r#"{{"pinned_sha256": ["sha256//{base64}", "sha256//AAAA"]}}"#),
        "",
    )
    .unwrap();
    let err = Connection::open(&endpoint, &quick()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
    assert!(
        err.message()
            .starts_with("pinned_sha256: entry 2 (\"sha256//AAAA\")"),
        "{err}"
    );
}
