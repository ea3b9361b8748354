//! TLS through the add-in against `openssl s_server -rev`, with certificates made at test time:
//! verification is on by default, can be turned off, a CA file makes a private CA trusted, and
//! a pinned key trusts a self-signed device (ПолучитьНастройкиTls's Пины, ИнформацияTls's
//! certificate facts).

mod common;

use addin_host::Value;
use common::*;

fn tls_settings(obj: &addin_host::AddinObject, accept_invalid: bool, ca: &str) -> String {
    let json = call(
        obj,
        "ПолучитьНастройкиTls",
        &[Value::Bool(accept_invalid), s(ca)],
    );
    json.as_str().to_string()
}

#[test]
fn tls_settings_json_has_the_seed_fields() {
    let obj = client();
    let json: serde_json::Value =
        serde_json::from_str(&tls_settings(&obj, true, "/tmp/ca.pem")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"use_tls": true, "accept_invalid_certs": true, "ca_cert_path": "/tmp/ca.pem"})
    );
    let json = call(&obj, "GetTlsSettings", &[Value::Bool(false)]);
    let json: serde_json::Value = serde_json::from_str(json.as_str()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"use_tls": true, "accept_invalid_certs": false})
    );
    call(&obj, "GetTlsSettings", &[s("yes")]);
    assert_eq!(error_kind(&obj), "argument");
    finish(obj);
}

#[test]
fn a_self_signed_certificate_is_rejected_by_default() {
    let certs = self_signed();
    let server = openssl_rev(&certs);
    let obj = client();
    let tls = tls_settings(&obj, false, "");
    assert_eq!(
        call(&obj, "Connect", &[s(&server.addr()), s(&tls)]),
        Value::Bool(false)
    );
    assert_eq!(error_kind(&obj), "tls");
    assert_eq!(obj.get_prop("Connected").unwrap().value, Value::Bool(false));
    // The seed's minimal settings object verifies too.
    call(
        &obj,
        "Connect",
        &[s(&server.addr()), s(r#"{"use_tls": true}"#)],
    );
    assert_eq!(error_kind(&obj), "tls");
    // ProcessRequest as well.
    assert_eq!(
        call(
            &obj,
            "ProcessRequest",
            &[s(&server.addr()), s("hi\n"), Value::Bool(true), s(&tls)]
        ),
        s("")
    );
    assert_eq!(error_kind(&obj), "tls");
    finish(obj);
}

#[test]
fn accept_invalid_certs_connects_and_reports_tls_info() {
    let certs = self_signed();
    let server = openssl_rev(&certs);
    let obj = client();
    let tls = tls_settings(&obj, true, "");
    assert_eq!(
        call(&obj, "ОткрытьСоединение", &[s(&server.addr()), s(&tls)]),
        Value::Bool(true)
    );
    call(&obj, "SendLine", &[s("hello\n")]);
    assert_eq!(
        call(&obj, "ReadLine", &[s("UTF-8"), s("\n"), Value::I4(5000)]),
        s("olleh\n")
    );
    let info = obj.get_prop("ИнформацияTls").unwrap().value;
    let info: serde_json::Value = serde_json::from_str(info.as_str()).unwrap();
    let backend = info["backend"].as_str().unwrap();
    assert!(
        ["rustls", "openssl", "native-tls"].contains(&backend),
        "{info}"
    );
    // CI builds the add-in once per backend and says which one it built.
    if let Ok(expected) = std::env::var("TCPLINK_EXPECT_BACKEND") {
        assert_eq!(
            backend, expected,
            "the add-in under test was built with another backend"
        );
    }
    assert!(
        info["version"]
            .as_str()
            .is_some_and(|v| v.contains("1.3") || v.contains("1.2")),
        "{info}"
    );
    assert!(
        info["cipher"].as_str().is_some_and(|c| !c.is_empty()),
        "{info}"
    );
    call(&obj, "Close", &[]);
    assert_eq!(obj.get_prop("TlsInfo").unwrap().value, s(""));
    finish(obj);
}

#[test]
fn a_ca_file_makes_a_private_ca_trusted() {
    let certs = ca_signed();
    let server = openssl_rev(&certs);
    let obj = client();
    let tls = tls_settings(&obj, false, &certs.ca.display().to_string());
    assert_eq!(
        call(&obj, "Connect", &[s(&server.addr()), s(&tls)]),
        Value::Bool(true),
        "{:?}",
        last_error(&obj)
    );
    let info: serde_json::Value =
        serde_json::from_str(obj.get_prop("TlsInfo").unwrap().value.as_str()).unwrap();
    assert!(
        info["peer_subject"]
            .as_str()
            .is_some_and(|p| p.contains("localhost")),
        "{info}"
    );
    // s_server serves one connection at a time.
    call(&obj, "Close", &[]);
    let answer = call(
        &obj,
        "ProcessRequest",
        &[s(&server.addr()), s("abc\n"), Value::Bool(true), s(&tls)],
    );
    assert_eq!(answer, s("cba\n"), "{:?}", last_error(&obj));
    // Without the CA file the same server is rejected.
    call(
        &obj,
        "Connect",
        &[s(&server.addr()), s(&tls_settings(&obj, false, ""))],
    );
    assert_eq!(error_kind(&obj), "tls");
    // An unreadable CA file is the caller's mistake.
    call(
        &obj,
        "Connect",
        &[
            s(&server.addr()),
            s(&tls_settings(&obj, false, "/nonexistent/ca.pem")),
        ],
    );
    assert_eq!(error_kind(&obj), "argument");
    finish(obj);
}

#[test]
fn tls_settings_take_pins_as_a_list_or_a_json_array() {
    let obj = client();
    let hex = "AB:".repeat(31) + "AB";
    let base64 = format!("sha256//{}o=", "q".repeat(42));
    for (pins, expected) in [
        (format!("{base64}; {hex}"), vec![&base64, &hex]),
        (format!("{base64},\n{hex} "), vec![&base64, &hex]),
        (format!(r#"["{base64}", "{hex}"]"#), vec![&base64, &hex]),
        (String::new(), vec![]),
    ] {
        let json = call(
            &obj,
            "ПолучитьНастройкиTls",
            &[Value::Bool(true), s(""), s(&pins)],
        );
        let json: serde_json::Value = serde_json::from_str(json.as_str()).unwrap();
        let mut want = serde_json::json!({"use_tls": true, "accept_invalid_certs": true});
        if !expected.is_empty() {
            want["pinned_sha256"] = serde_json::json!(expected);
        }
        assert_eq!(json, want, "{pins:?}");
    }
    let bad = call(
        &obj,
        "GetTlsSettings",
        &[Value::Bool(true), s(""), s(&format!("{base64};{hex}:CD"))],
    );
    assert_eq!(bad, s(""));
    assert_eq!(error_kind(&obj), "argument");
    let message = error_message(&obj);
    assert!(
        message.starts_with("Пины (Pins): entry 2 (") && message.contains("hex digits"),
        "{message}"
    );
    finish(obj);
}

#[test]
fn a_pinned_key_trusts_a_self_signed_device_and_tls_info_says_what_to_pin() {
    let certs = self_signed();
    let server = openssl_rev(&certs);
    let pin = format!("sha256//{}", openssl_pins(&certs.cert).base64);
    let obj = client();
    // Trust on first use: a first connection that checks nothing shows what to pin.
    let unverified = tls_settings(&obj, true, "");
    assert_eq!(
        call(&obj, "Connect", &[s(&server.addr()), s(&unverified)]),
        Value::Bool(true)
    );
    let info: serde_json::Value =
        serde_json::from_str(obj.get_prop("ИнформацияTls").unwrap().value.as_str()).unwrap();
    assert_eq!(info["peer_key_sha256"], pin.as_str(), "{info}");
    assert_eq!(
        info["peer_sha256"],
        openssl_fingerprint(&certs.cert).as_str(),
        "{info}"
    );
    assert_eq!(info["peer_issuer"], info["peer_subject"], "{info}");
    for field in ["peer_not_before", "peer_not_after"] {
        assert!(
            info[field].as_str().is_some_and(|t| t.ends_with(" UTC")),
            "{field}: {info}"
        );
    }
    call(&obj, "Close", &[]);
    // From then on the pin is the check.
    let pinned = call(&obj, "GetTlsSettings", &[Value::Bool(true), s(""), s(&pin)]);
    assert_eq!(
        call(&obj, "Connect", &[s(&server.addr()), pinned]),
        Value::Bool(true),
        "{:?}",
        last_error(&obj)
    );
    call(&obj, "SendLine", &[s("pin\n")]);
    assert_eq!(
        call(&obj, "ReadLine", &[s("UTF-8"), s("\n"), Value::I4(5000)]),
        s("nip\n")
    );
    call(&obj, "Close", &[]);
    // Another device with the same name but another key is refused, naming its key.
    let other = ca_signed();
    let impostor = openssl_rev(&other);
    let pinned = call(&obj, "GetTlsSettings", &[Value::Bool(true), s(""), s(&pin)]);
    assert_eq!(
        call(&obj, "Connect", &[s(&impostor.addr()), pinned]),
        Value::Bool(false)
    );
    assert_eq!(error_kind(&obj), "tls");
    let seen = format!("sha256//{}", openssl_pins(&other.cert).base64);
    let message = error_message(&obj);
    assert!(
        message.contains(&format!(
            "the server's public key {seen} matches none of the pinned keys (pinned_sha256)"
        )),
        "{message}"
    );
    finish(obj);
}
