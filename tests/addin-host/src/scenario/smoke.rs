//! The smoke scenario: the interface, round trips over a plain and a TLS echo server, and the
//! memory accounting.

use crate::addin::AddinObject;
use crate::profile::HostProfile;
use crate::variant::Value;

use super::{Host, Outcome};

/// Checks: the class list, every method's two names, a connect / send / read-with-marker /
/// leftover / close round trip over the plain echo server, a round trip over the TLS echo server
/// (whose `TlsInfo` names `tls_backend`, if given), a batch to both servers at once,
/// `GetLastError`, and that every allocation was freed exactly once when the object was destroyed
/// as the profile's host destroys it.
pub fn smoke(host: &Host, tls_backend: Option<&str>, out: &mut Outcome) {
    let library = host.library;
    out.check(
        "class names",
        library.class_names() == ["TcpClient", "TcpServer"],
        library.class_names(),
    );
    let obj = host.client();
    if host.profile == HostProfile::OneC {
        library.set_platform_capabilities(3);
        out.check(
            "extension name",
            obj.extension_name == "TcpClient",
            &obj.extension_name,
        );
    }
    for num in 0..obj.n_methods() {
        let (en, ru) = (obj.method_name(num, 0), obj.method_name(num, 1));
        let by_en = en
            .as_deref()
            .and_then(|n| obj.find_method(&n.to_uppercase()));
        let by_ru = ru
            .as_deref()
            .and_then(|n| obj.find_method(&n.to_lowercase()));
        out.check(
            &format!("method {num} found by both names"),
            by_en == Some(num) && by_ru == Some(num),
            (en, ru),
        );
    }
    plain_round_trip(&obj, &host.echo, out);
    tls_round_trip(&obj, &host.tls, tls_backend, out);
    batch_round_trip(&obj, host, out);
    let error = call(&obj, "GetLastError", &[]);
    out.check("no error after success", error == Ok(Value::str("")), error);
    let memory = obj.destroy();
    out.check(
        "every allocation freed once",
        memory.is_balanced() && memory.allocations > 0,
        memory,
    );
}

/// Calls `name` as a function and returns its value.
fn call(obj: &AddinObject, name: &str, args: &[Value]) -> Result<Value, String> {
    obj.call(name, args)
        .map(|r| r.value)
        .map_err(|e| e.to_string())
}

/// Connect, send, read up to a marker, read the leftover until the timeout, close.
fn plain_round_trip(obj: &AddinObject, echo: &str, out: &mut Outcome) {
    let connected = call(obj, "Connect", &[Value::str(echo)]);
    out.check("connect", connected == Ok(Value::Bool(true)), connected);
    let sent = call(obj, "ОтправитьСтроку", &[Value::str("ping\nrest")]);
    out.check("send a line", sent == Ok(Value::Bool(true)), sent);
    let line = call(
        obj,
        "ПрочитатьСтроку",
        &[Value::str("UTF-8"), Value::str("\n")],
    );
    out.check(
        "read up to the marker",
        line == Ok(Value::str("ping\n")),
        line,
    );
    let rest = call(
        obj,
        "ReadLine",
        &[Value::str("UTF-8"), Value::str(""), Value::I4(300)],
    );
    out.check(
        "the leftover comes next",
        rest == Ok(Value::str("rest")),
        rest,
    );
    let end = obj.get_prop("LastReadEnd").map(|r| r.value);
    out.check(
        "the read ended on the timeout",
        end == Ok(Value::str("timeout")),
        end,
    );
    still_usable_after_a_timeout(obj, "plain", out);
    let closed = call(obj, "ЗакрытьСоединение", &[]);
    out.check("close", closed == Ok(Value::Bool(true)), closed);
}

/// After a read that ended on its idle timeout, the connection still sends and receives, with
/// no byte lost (Winsock calls a connection whose receive timed out "indeterminate").
fn still_usable_after_a_timeout(obj: &AddinObject, kind: &str, out: &mut Outcome) {
    let sent = call(obj, "SendLine", &[Value::str("again\n")]);
    let line = call(
        obj,
        "ReadLine",
        &[Value::str("UTF-8"), Value::str("\n"), Value::I4(5000)],
    );
    out.check(
        &format!("the {kind} connection works after an idle timeout"),
        sent == Ok(Value::Bool(true)) && line == Ok(Value::str("again\n")),
        (sent, line),
    );
}

/// Connect with TLS (accepting the self-signed certificate), check `TlsInfo`, echo binary data
/// up to a marker, close.
fn tls_round_trip(obj: &AddinObject, server: &str, tls_backend: Option<&str>, out: &mut Outcome) {
    let settings = call(obj, "GetTlsSettings", &[Value::Bool(true)]);
    let Ok(Value::Str(settings)) = settings else {
        out.check("TLS settings", false, settings);
        return;
    };
    let connected = call(obj, "Connect", &[Value::str(server), Value::Str(settings)]);
    let error = call(obj, "GetLastError", &[]);
    out.check(
        "connect with TLS",
        connected == Ok(Value::Bool(true)),
        (connected, error),
    );
    let info = obj.get_prop("TlsInfo").map(|r| r.value);
    out.check(
        "TLS was negotiated with the expected backend and, where it reports one, a version",
        matches!(&info, Ok(Value::Str(json)) if tls_info_is_complete(json, tls_backend)),
        info,
    );
    let data = Value::Blob(b"\x00tls\xff\r\nafter".to_vec());
    let sent = call(obj, "SendBinaryData", &[data]);
    out.check(
        "send binary data over TLS",
        sent == Ok(Value::Bool(true)),
        sent,
    );
    let marker = Value::Blob(b"\r\n".to_vec());
    let read = call(
        obj,
        "ReadBinaryData",
        &[Value::I4(1024), marker, Value::I4(5000)],
    );
    out.check(
        "read binary data over TLS up to the marker",
        read == Ok(Value::Blob(b"\x00tls\xff\r\n".to_vec())),
        read,
    );
    let rest = call(
        obj,
        "ReadBinaryData",
        &[Value::I4(0), Value::str(""), Value::I4(300)],
    );
    out.check(
        "the TLS leftover comes next, up to the timeout",
        rest == Ok(Value::Blob(b"after".to_vec())),
        rest,
    );
    still_usable_after_a_timeout(obj, "TLS", out);
    let closed = call(obj, "Close", &[]);
    out.check(
        "close the TLS connection",
        closed == Ok(Value::Bool(true)),
        closed,
    );
}

/// `ProcessRequests` to the plain and the TLS echo server at once (threads in the add-in's
/// process): each answer in its place, binary answers as base64.
fn batch_round_trip(obj: &AddinObject, host: &Host, out: &mut Outcome) {
    let requests = serde_json::json!([
        {"address": host.echo, "data": "plain\n"},
        {"address": host.tls, "data_base64": "AHRscw0K", "marker": "\r\n",
         "tls": {"use_tls": true, "accept_invalid_certs": true}},
    ]);
    let results = call(
        obj,
        "ProcessRequests",
        &[Value::str(&requests.to_string()), Value::Bool(false)],
    );
    let answers: Option<Vec<serde_json::Value>> = match &results {
        Ok(Value::Str(json)) => serde_json::from_str::<Vec<serde_json::Value>>(json)
            .ok()
            .map(|r| r.iter().map(|r| r["answer_base64"].clone()).collect()),
        _ => None,
    };
    out.check(
        "a batch to the plain and the TLS server at once",
        answers == Some(vec!["cGxhaW4K".into(), "AHRscw0K".into()]),
        results,
    );
}

/// Whether `TlsInfo`'s JSON names `expected` (if given) as its backend and carries a TLS version,
/// unless the backend is native-tls, which has no API to report one (its `version` is null).
fn tls_info_is_complete(json: &str, expected: Option<&str>) -> bool {
    let Ok(info) = serde_json::from_str::<serde_json::Value>(json) else {
        return false;
    };
    let backend = info["backend"].as_str().unwrap_or_default();
    let version = info["version"].as_str().unwrap_or_default();
    expected.iter().all(|b| *b == backend)
        && (version.starts_with("TLS") || (backend == "native-tls" && info["version"].is_null()))
}
