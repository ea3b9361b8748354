//! The settings fuzz check: the parsers (pins, a server's TLS settings and the add-in server's
//! Настройки included) take any text without panicking, and what they accept serialises and
//! parses back to the same settings.

use tcplink::tls::Pins;
use tcplink::{
    Deadline, ErrorKind, HostPort, ProxySettings, Secret, ServerOptions, ServerTlsSettings,
    TlsSettings,
};
use tcplink_addin::encodings::TextEncoding;
use tcplink_addin::server_settings::ServerSettings;

/// Runs one fuzz case; panics when a parser panics or breaks a rule.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    if let Ok(Some(tls)) = TlsSettings::from_json(text) {
        assert_eq!(TlsSettings::from_json(&tls.to_json()).unwrap(), Some(tls));
    }
    // A server's TLS settings: what is read writes back to the same settings, and its password
    // never shows (with another one, the debug output stays the same).
    match ServerTlsSettings::from_json(text) {
        Ok(Some(server)) => {
            assert_eq!(
                ServerTlsSettings::from_json(&server.to_json()).unwrap(),
                Some(server.clone())
            );
            let other = ServerTlsSettings {
                pfx_password: server.pfx_password.as_ref().map(|_| Secret("another".into())),
                ..server.clone()
            };
            assert_eq!(format!("{server:?}"), format!("{other:?}"));
        }
        Ok(None) => {}
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Argument);
            assert!(e.message().starts_with("Tls: "), "{e}");
        }
    }
    // The add-in server's Настройки: what is read makes valid options whose time limits make
    // deadlines; what is refused is an argument error naming the parameter.
    match ServerSettings::from_json(text, "Настройки (Settings)") {
        Ok(settings) => {
            let options = settings.apply(ServerOptions::new("127.0.0.1:0".parse().unwrap()));
            assert!(options.validate().is_ok(), "{options:?}");
            let _ = Deadline::after(options.send_timeout);
            let _ = Deadline::after(options.handshake_timeout);
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Argument);
            assert!(e.message().starts_with("Настройки (Settings): "), "{e}");
        }
    }
    // Pins: read, or refused as an argument error that names the setting; a pin read is written
    // back in the form that reads as the same pin.
    match Pins::parse(&[text]) {
        Ok(pins) if !pins.is_empty() => {
            let written = pins.to_string();
            let again = written.trim_start_matches("pinned: ").replace(", ", ";");
            assert_eq!(Pins::parse(&[again]).unwrap(), pins);
        }
        Ok(_) => {}
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Argument);
            assert!(e.message().starts_with("pinned_sha256: entry "), "{e}");
        }
    }
    match ProxySettings::from_json(text) {
        Ok(Some(proxy)) => {
            assert!(proxy.endpoint().is_ok());
            assert_eq!(
                ProxySettings::from_json(&proxy.to_json()).unwrap(),
                Some(proxy.clone())
            );
            // The password never shows: with another one, the description and the debug output
            // stay the same (a substring test would flag a password such as "prox" in "proxy").
            if proxy.password.is_some() {
                let other = ProxySettings {
                    password: Some(Secret("another password".into())),
                    ..proxy.clone()
                };
                assert_eq!(proxy.describe(), other.describe());
                assert_eq!(format!("{proxy:?}"), format!("{other:?}"));
            }
        }
        Ok(None) => {}
        Err(e) => assert_eq!(e.kind(), ErrorKind::Argument, "{e}"),
    }
    match HostPort::parse(text, "Address") {
        Ok(hp) => assert!(hp.port != 0 && !hp.host.is_empty()),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Argument);
            assert!(e.message().contains("Address"), "{e}");
        }
    }
    encodings(data, text);
}

/// The add-in's encodings: the first line of the input names one, the rest is text and bytes.
fn encodings(data: &[u8], text: &str) {
    let (name, body) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(enc) = TextEncoding::from_name(name, "Encoding") else {
        return;
    };
    if let Ok(bytes) = enc.encode(body, "Data") {
        let back = enc.decode(&bytes);
        // Stateful encodings (ISO-2022-JP) may differ in escapes but never lose characters.
        if !name.to_ascii_lowercase().contains("2022") {
            assert_eq!(back, body, "{} does not round-trip", enc.name());
        }
    }
    enc.decode(data);
}
