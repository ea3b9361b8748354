//! `tcplink pin`: trust on first use. Connects over TLS without verifying the certificate,
//! sends nothing, and prints what to pin (the public key's fingerprint in curl's
//! `sha256//<base64>` form), the certificate's facts to compare with the device's, and the
//! settings that pin the key, with a plain warning that this first connection proves nothing.

use std::fmt::Write as _;
use std::time::Duration;

use tcplink::{Deadline, Endpoint, Error, ErrorKind, Result, TlsInfo, TlsSettings};

use crate::args::PinArgs;
use crate::output::shown;

/// How long closing may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Runs `tcplink pin`.
pub fn run(args: &PinArgs) -> Result<()> {
    let endpoint = unverified(args.endpoint.endpoint(&args.address)?);
    let mut transport = endpoint.connect(&args.endpoint.connect_options(args.verbose))?;
    let info = transport.tls_info();
    transport.set_write_deadline(Deadline::after(Some(CLOSE_TIMEOUT)));
    // What was to be learnt is learnt; a peer that is already gone changes nothing.
    let _ = transport.shutdown();
    let peer = endpoint.target.to_string();
    let info = info.ok_or_else(|| Error::new(ErrorKind::Tls, "the connection is not TLS"))?;
    let key = info.peer_key_sha256.clone().ok_or_else(|| {
        Error::new(
            ErrorKind::Tls,
            format!("{peer} sent no certificate whose public key could be read"),
        )
    })?;
    let settings = pinning(endpoint.tls.unwrap_or_default(), &key);
    print!("{}", report(&peer, &info, &key, &settings));
    Ok(())
}

/// `endpoint` over TLS that verifies nothing and pins nothing: the server shows its key.
fn unverified(mut endpoint: Endpoint) -> Endpoint {
    let settings = endpoint.tls.take().unwrap_or_default();
    endpoint.tls = Some(TlsSettings {
        use_tls: true,
        accept_invalid_certs: true,
        ca_cert_path: None,
        pinned_sha256: Vec::new(),
        ..settings
    });
    endpoint
}

/// The settings that trust the key `key` and nothing else, from those used to see it (their
/// server name, backend and client certificate are kept).
fn pinning(seen_with: TlsSettings, key: &str) -> TlsSettings {
    TlsSettings {
        pinned_sha256: vec![key.to_string()],
        ..seen_with
    }
}

/// The text `tcplink pin` prints.
fn report(peer: &str, info: &TlsInfo, key: &str, settings: &TlsSettings) -> String {
    let field = shown;
    let mut text = String::new();
    let session = [Some(info.backend.to_string()), info.version.clone()];
    let session: Vec<String> = session.into_iter().flatten().collect();
    let _ = writeln!(
        text,
        "{peer}: TLS ({}), certificate NOT verified\n",
        session.join(", ")
    );
    let self_signed = info.peer_issuer.is_some() && info.peer_issuer == info.peer_subject;
    let rows = [
        ("public key", key.to_string()),
        (
            "certificate",
            format!("sha256 {}", field(&info.peer_sha256)),
        ),
        ("subject", field(&info.peer_subject)),
        (
            "issuer",
            field(&info.peer_issuer) + if self_signed { " (self-signed)" } else { "" },
        ),
        (
            "valid",
            format!(
                "{} to {}",
                field(&info.peer_not_before),
                field(&info.peer_not_after)
            ),
        ),
    ];
    for (name, value) in rows {
        let _ = writeln!(text, "{name:<12} {value}");
    }
    let _ = writeln!(
        text,
        "\nThis connection checked nothing: anyone between you and {peer} could have answered it.\n\
         Trust the key only after comparing its fingerprint with the one the device shows on its\n\
         screen, label or web page, or that its owner gives you by another channel.\n"
    );
    let _ = writeln!(
        text,
        "TLS settings that trust this key alone (chain, dates and name are not checked; a server\n\
         with any other key is refused):\n{}\n",
        settings.to_json()
    );
    let _ = writeln!(
        text,
        "In 1C or OneScript: Tls = TcpLink.ПолучитьНастройкиTls(Истина, , \"{key}\");\n\
         On the command line: --tls-insecure --pin {key}\n\
         If the certificate also verifies (a trusted CA, the right name), set accept_invalid_certs\n\
         to false (ПолучитьНастройкиTls(Ложь, , ...), or leave out --tls-insecure): then the chain\n\
         and the pin must both hold."
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_the_pin_and_the_settings_that_use_it() {
        let info = TlsInfo {
            backend: "rustls",
            version: Some("TLSv1.3".into()),
            peer_subject: Some("CN=device".into()),
            peer_issuer: Some("CN=device".into()),
            peer_sha256: Some("AB:CD".into()),
            peer_key_sha256: Some("sha256//q80=".into()),
            ..TlsInfo::default()
        };
        let settings = pinning(
            TlsSettings {
                use_tls: true,
                accept_invalid_certs: true,
                server_name: Some("device".into()),
                ..TlsSettings::default()
            },
            "sha256//q80=",
        );
        let text = report("h:1", &info, "sha256//q80=", &settings);
        for needle in [
            "h:1: TLS (rustls, TLSv1.3), certificate NOT verified",
            "public key   sha256//q80=",
            "certificate  sha256 AB:CD",
            "issuer       CN=device (self-signed)",
            "valid        - to -",
            r#"{"use_tls":true,"accept_invalid_certs":true,"server_name":"device","pinned_sha256":["sha256//q80="]}"#,
            "ПолучитьНастройкиTls(Истина, , \"sha256//q80=\")",
        ] {
            assert!(text.contains(needle), "{needle}\n{text}");
        }
    }

    #[test]
    fn the_first_connection_verifies_and_pins_nothing() {
        let seen = Endpoint::parse(
            "h:1",
            r#"{"ca_cert_path": "ca.pem", "pinned_sha256": "00", "backend": "rustls"}"#,
            "",
        )
        .map(unverified)
        .unwrap();
        let tls = seen.tls.unwrap();
        assert!(tls.accept_invalid_certs && tls.use_tls);
        assert!(tls.ca_cert_path.is_none() && tls.pinned_sha256.is_empty());
        assert_eq!(tls.backend.as_deref(), Some("rustls"));
        let plain = unverified(Endpoint::parse("h:1", "", "").unwrap());
        assert!(plain.tls.unwrap().accept_invalid_certs);
    }
}
