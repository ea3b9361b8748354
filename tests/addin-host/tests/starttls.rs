//! StartTls and FinishSending through the add-in, in the host profile `$TCPLINK_HOST_PROFILE`:
//! an upgrade after a plain-text go-ahead (the TLS part against `openssl s_server -rev`, relayed),
//! TlsInfo and the event log after it, the refusals (already TLS, closed, plaintext injected after
//! the go-ahead), and a half-close whose answer the peer sends only after reading EOF.

mod common;

use addin_host::{AddinObject, Value};
use common::*;

/// TLS settings JSON trusting the test CA.
fn trusting_the_ca() -> String {
    serde_json::json!({"ca_cert_path": ca_signed().ca}).to_string()
}

/// Connects plainly to a STARTTLS server on `port` (with the event log in memory) and reads up
/// to its go-ahead.
fn plain_until_go_ahead(obj: &AddinObject, port: u16) {
    let logging = r#"{"mode": "memory"}"#;
    let addr = format!("localhost:{port}");
    assert_eq!(
        call(obj, "Connect", &[s(&addr), s(""), s(""), s(logging)]),
        Value::Bool(true)
    );
    assert_eq!(
        call(obj, "ReadLine", &[s("UTF-8"), s("\n")]),
        s("220 ready\r\n")
    );
    call(obj, "SendLine", &[s("STARTTLS\r\n")]);
    assert_eq!(
        call(obj, "ReadLine", &[s("UTF-8"), s("\n")]),
        s("220 go ahead\r\n")
    );
}

#[test]
fn start_tls_upgrades_the_connection_and_tls_info_shows_it() {
    let tls_server = openssl_rev(&ca_signed());
    let port = starttls_server(SMTP_SHORT, GoAhead::Relay(tls_server.port));
    let obj = client();
    plain_until_go_ahead(&obj, port);
    assert_eq!(obj.get_prop("TlsInfo").unwrap().value, s(""));
    assert_eq!(
        call(&obj, "НачатьTls", &[s(&trusting_the_ca())]),
        Value::Bool(true),
        "{}",
        error_message(&obj)
    );
    let info = obj.get_prop("ИнформацияTls").unwrap().value;
    let info: serde_json::Value = serde_json::from_str(info.as_str()).unwrap();
    assert!(info["backend"].is_string(), "{info}");
    call(&obj, "SendLine", &[s("over tls\n")]);
    assert_eq!(
        call(&obj, "ReadLine", &[s("UTF-8"), s("\n")]),
        s("slt revo\n")
    );
    let log = call(&obj, "GetLog", &[Value::I4(0)]);
    assert!(log.as_str().contains("TLS handshake ("), "{log:?}");
    finish(obj);
}

#[test]
fn start_tls_refuses_tls_and_closed_connections() {
    let tls_server = openssl_rev(&ca_signed());
    let obj = client();
    let tls = serde_json::json!({"use_tls": true, "ca_cert_path": ca_signed().ca}).to_string();
    assert_eq!(
        call(&obj, "Connect", &[s(&tls_server.addr()), s(&tls)]),
        Value::Bool(true)
    );
    assert_eq!(call(&obj, "StartTls", &[s(&tls)]), Value::Bool(false));
    assert_eq!(error_kind(&obj), "argument");
    assert!(
        error_message(&obj).contains("already TLS"),
        "{}",
        error_message(&obj)
    );
    assert_eq!(obj.get_prop("Connected").unwrap().value, Value::Bool(true));
    call(&obj, "Close", &[]);
    assert_eq!(call(&obj, "StartTls", &[s(&tls)]), Value::Bool(false));
    assert_eq!(error_kind(&obj), "closed");
    finish(obj);
}

#[test]
fn plaintext_injected_after_the_go_ahead_refuses_the_upgrade_and_closes() {
    let port = starttls_server(SMTP_SHORT, GoAhead::Injected);
    let obj = client();
    plain_until_go_ahead(&obj, port);
    assert_eq!(
        call(&obj, "StartTls", &[s(&trusting_the_ca())]),
        Value::Bool(false)
    );
    assert_eq!(error_kind(&obj), "tls");
    assert!(
        error_message(&obj).contains("arrived in plain text"),
        "{}",
        error_message(&obj)
    );
    assert_eq!(obj.get_prop("Connected").unwrap().value, Value::Bool(false));
    assert_eq!(obj.get_prop("TlsInfo").unwrap().value, s(""));
    finish(obj);
}

#[test]
fn finish_sending_lets_the_peer_answer_after_eof_and_refuses_sending() {
    let port = count_until_eof_server();
    let obj = client();
    assert_eq!(
        call(&obj, "Connect", &[s(&format!("127.0.0.1:{port}"))]),
        Value::Bool(true)
    );
    call(&obj, "SendLine", &[s("twelve bytes")]);
    assert_eq!(call(&obj, "ЗавершитьОтправку", &[]), Value::Bool(true));
    assert_eq!(
        call(&obj, "ReadLine", &[s("UTF-8"), s("\n")]),
        s("got 12 bytes\n")
    );
    assert_eq!(
        call(&obj, "SendBinaryData", &[Value::Blob(b"more".to_vec())]),
        Value::Bool(false)
    );
    assert_eq!(error_kind(&obj), "closed");
    assert!(
        error_message(&obj).contains("sending half"),
        "{}",
        error_message(&obj)
    );
    // Finishing again is harmless; the object still reads and closes.
    assert_eq!(call(&obj, "FinishSending", &[]), Value::Bool(true));
    finish(obj);
}
