//! Security defaults: certificates are verified unless the caller turns it off (also through
//! settings JSON, the path 1C users take), and a proxy password never appears in an error
//! message or a `Debug` print, whatever fails.
//!
//! Not a leak by this definition: `ProxySettings::to_json` (and the add-in's
//! `ПолучитьНастройкиПрокси`) returns the password, because that JSON is the caller's own
//! settings, built to be passed to `ОткрытьСоединение`.

mod common;

use std::io::{Read, Write};

use base64::Engine;
use common::*;
use tcplink::{Backend, Connection, ErrorKind, ProxySettings, TlsSettings};

const PASSWORD: &str = "Pa55-never-shown";

/// Asserts that `text` shows neither the password nor `user:password` in Base64.
fn assert_no_secret(text: &str) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"));
    assert!(!text.contains(PASSWORD), "password leaked: {text}");
    assert!(!text.contains(&basic), "Basic credentials leaked: {text}");
}

#[test]
fn settings_json_verifies_certificates_by_default() {
    let pki = pki();
    let self_signed = s_server(&pki.self_signed.cert, &pki.self_signed.key, &[]);
    let ca_signed = s_server(&pki.server.cert, &pki.server.key, &[]);
    let wrong_name = s_server(&pki.wrong_name.cert, &pki.wrong_name.key, &[]);
    for b in Backend::compiled() {
        let json = format!(r#"{{"use_tls": true, "backend": "{}"}}"#, b.name());
        let settings = TlsSettings::from_json(&json).unwrap().unwrap();
        assert!(!settings.accept_invalid_certs);
        // Neither a self-signed certificate nor one from a CA the system does not trust.
        for peer in [&self_signed, &ca_signed] {
            let ep = endpoint(&peer.addr(), Some(settings.clone()), None);
            let err = Connection::open(&ep, &quick()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Tls, "{b}: {err}");
        }
        // Trusting the CA does not excuse a wrong host name.
        let with_ca = TlsSettings {
            ca_cert_path: Some(pki.ca.to_string_lossy().into_owned()),
            ..settings
        };
        let ep = endpoint(&wrong_name.addr(), Some(with_ca.clone()), None);
        let err = Connection::open(&ep, &quick()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Tls, "{b}: {err}");
        let ep = endpoint(&ca_signed.addr(), Some(with_ca), None);
        Connection::open(&ep, &quick()).unwrap();
    }
}

fn settings(kind: &str, port: u16) -> ProxySettings {
    ProxySettings::new("127.0.0.1", port.into(), kind, "alice", PASSWORD).unwrap()
}

fn fail_through(proxy: ProxySettings) -> tcplink::Error {
    let echo = socat_echo();
    Connection::open(&endpoint(&echo.addr(), None, Some(proxy)), &quick()).unwrap_err()
}

#[test]
fn proxy_passwords_never_appear_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let socks = microsocks(Some(("alice", "the-right-one")));
    let http = tinyproxy(dir.path(), Some(("alice", "the-right-one")));
    let hang_up = fault_server(drop);
    // A proxy that echoes the request back as its answer, credentials included.
    let mirror = fault_server(|mut s| {
        let mut buf = [0u8; 4096];
        let n = s.read(&mut buf).unwrap_or(0);
        let _ = s.write_all(&buf[..n]);
    });
    let cases = [
        settings("socks5", socks.port),
        settings("http", http.port),
        settings("socks5", free_port()),
        settings("socks5", hang_up),
        settings("http", hang_up),
        settings("http", mirror),
        settings("socks5", mirror),
        settings("socks4", mirror),
    ];
    for proxy in cases {
        assert_no_secret(&format!("{proxy:?}"));
        let err = fail_through(proxy.clone());
        assert!(
            matches!(
                err.kind(),
                ErrorKind::Proxy | ErrorKind::Connect | ErrorKind::Closed
            ),
            "{err}"
        );
        assert_no_secret(&err.to_string());
        assert_no_secret(&err.to_json());
    }
}

#[test]
fn malformed_proxy_json_does_not_echo_the_password() {
    for json in [
        format!(r#"{{"server": "p", "port": 0, "login": "alice", "password": "{PASSWORD}"}}"#),
        format!(r#"{{"server": "p", "port": 1, "password": "{PASSWORD}", "extra": 1}}"#),
        format!(r#"{{"server": "p", "port": 1, "proxy_type": "x", "password": "{PASSWORD}"}}"#),
        format!(r#"{{"server": "p", "port": 1, "password": "{PASSWORD}"#),
        format!(r#"{{"server": "p", "port": 1, "password": ["{PASSWORD}"]}}"#),
    ] {
        let err = ProxySettings::from_json(&json).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
        assert_no_secret(&err.to_string());
    }
    // A password written as a number is refused without quoting it (serde would).
    let err =
        ProxySettings::from_json(r#"{"server": "p", "port": 1, "password": 73519}"#).unwrap_err();
    assert!(err.message().contains("must be a string"), "{err}");
    assert!(!err.message().contains("73519"), "{err}");
}
