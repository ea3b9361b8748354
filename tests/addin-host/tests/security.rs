//! Security through the add-in: verification is on for the TLS JSON users write by hand and for
//! `ПолучитьНастройкиTls(Ложь)`, and a proxy password or a PKCS#12 file's password never shows in
//! `ПолучитьПоследнююОшибку`, in an exception's text, in a property or in the event log. `ПолучитьНастройкиПрокси` does return it: that JSON
//! is the caller's own settings, made to be passed to `ОткрытьСоединение`.

mod common;

use addin_host::{AddinObject, Value};
use common::*;

const PASSWORD: &str = "Pa55-never-shown";

/// Every string the object shows: the last error and each readable property.
fn everything_shown(obj: &AddinObject) -> String {
    let mut all = call(obj, "GetLastError", &[]).as_str().to_string();
    for prop in ["TlsInfo", "LastReadEnd", "Version"] {
        if let Ok(returned) = obj.get_prop(prop) {
            all.push_str(&format!("{:?}", returned.value));
        }
    }
    all
}

#[test]
fn certificates_are_verified_unless_turned_off() {
    let certs = self_signed();
    let server = openssl_rev(&certs);
    let obj = client();
    let verified = call(&obj, "GetTlsSettings", &[Value::Bool(false)]);
    for tls in [s(r#"{"use_tls": true}"#), verified] {
        let ok = call(&obj, "Connect", &[s(&server.addr()), tls]);
        assert_eq!(ok, Value::Bool(false));
        assert_eq!(error_kind(&obj), "tls");
    }
    let unverified = call(&obj, "GetTlsSettings", &[Value::Bool(true)]);
    assert_eq!(
        call(&obj, "Connect", &[s(&server.addr()), unverified]),
        Value::Bool(true)
    );
    finish(obj);
}

#[test]
fn proxy_passwords_are_not_shown() {
    let echo = socat_echo();
    let socks = microsocks(Some(("alice", "the-right-one")));
    let obj = client();
    let proxy = call(
        &obj,
        "GetProxySettings",
        &[
            s("127.0.0.1"),
            Value::I4(socks.port.into()),
            s("socks5"),
            s("alice"),
            s(PASSWORD),
        ],
    );
    // The caller's own settings: the password is there to be used.
    assert!(proxy.as_str().contains(PASSWORD));
    let closed = proxy
        .as_str()
        .replace(&socks.port.to_string(), &free_port().to_string());
    for settings in [proxy.clone(), s(&closed)] {
        let args = [s(&echo.addr()), s(""), settings.clone()];
        assert_eq!(call(&obj, "Connect", &args), Value::Bool(false));
        assert!(["proxy", "connect"].contains(&error_kind(&obj).as_str()));
        assert!(!everything_shown(&obj).contains(PASSWORD));
        let args = [
            s(&echo.addr()),
            s("x\n"),
            Value::Bool(true),
            s(""),
            settings,
        ];
        assert_eq!(call(&obj, "ProcessRequest", &args), s(""));
        assert!(!everything_shown(&obj).contains(PASSWORD));
    }
    // Exceptions carry the same text.
    assert!(obj.set_prop("ThrowErrors", Value::Bool(true)).unwrap());
    let returned = obj
        .call("Connect", &[s(&echo.addr()), s(""), proxy])
        .unwrap();
    assert!(!returned.ok);
    let raised = obj.take_errors();
    assert_eq!(raised.len(), 1);
    assert!(!raised[0].description.contains(PASSWORD), "{raised:?}");
    finish(obj);
}

#[test]
fn a_pfx_client_certificate_connects_and_its_password_never_shows() {
    let ca = pki().ca.to_string_lossy().into_owned();
    let server = s_server_verifying_clients();
    let dir = tempfile::tempdir().unwrap();
    let pfx = pkcs12_export(dir.path(), "client", &pki().client, None, PASSWORD, &[]);
    let tls = |password: &str| {
        let json = serde_json::json!({
            "use_tls": true, "ca_cert_path": ca, "client_pfx_path": pfx, "client_pfx_password": password,
        });
        s(&json.to_string())
    };
    let logging = s(r#"{"mode": "memory", "max_entries": 50}"#);
    let obj = client();
    let args = [s(&server.addr()), tls(PASSWORD), s(""), logging.clone()];
    assert_eq!(call(&obj, "ОткрытьСоединение", &args), Value::Bool(true));
    call(&obj, "SendLine", &[s("pfx\n")]);
    assert_eq!(
        call(&obj, "ReadLine", &[s("UTF-8"), s("\n"), Value::I4(5000)]),
        s("xfp\n")
    );
    call(&obj, "Close", &[]);

    let wrong = "wrong-Pa55";
    let args = [s(&server.addr()), tls(wrong), s(""), logging];
    assert_eq!(call(&obj, "Connect", &args), Value::Bool(false));
    assert_eq!(error_kind(&obj), "argument");
    let message = error_message(&obj);
    assert!(message.contains("client_pfx_password"), "{message}");
    assert!(message.contains("password is wrong"), "{message}");
    assert!(message.contains(pfx.to_str().unwrap()), "{message}");
    let shown = everything_shown(&obj);
    let log = call(&obj, "GetLog", &[Value::I4(0)]);
    assert!(log.as_str().contains("password is wrong"), "{log:?}");
    for text in [shown.as_str(), log.as_str()] {
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(!text.contains(wrong), "{text}");
    }
    let args = [s(&server.addr()), s("x\n"), Value::Bool(true), tls(wrong)];
    assert_eq!(call(&obj, "ProcessRequest", &args), s(""));
    assert!(!everything_shown(&obj).contains(wrong));
    // Exceptions carry the same text.
    assert!(obj.set_prop("ThrowErrors", Value::Bool(true)).unwrap());
    let returned = obj
        .call("Connect", &[s(&server.addr()), tls(wrong)])
        .unwrap();
    assert!(!returned.ok);
    let raised = obj.take_errors();
    assert_eq!(raised.len(), 1);
    assert!(
        raised[0].description.contains("client_pfx_password"),
        "{raised:?}"
    );
    assert!(!raised[0].description.contains(wrong), "{raised:?}");
    finish(obj);
}
