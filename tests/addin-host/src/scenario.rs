//! A self-contained check of an add-in build: the interface, round trips over a plain and a TLS
//! echo server run in-process ([`crate::servers`]), and the memory accounting. Needs nothing
//! but the library, so the same binary can check a Windows build under Wine or a 32-bit build.

use std::path::Path;

use crate::addin::{AddinLibrary, AddinObject};
use crate::servers::{spawn_echo_server, spawn_tls_echo_server};
use crate::variant::Value;

/// The outcome of [`smoke`]: one line per check.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Checks that held.
    pub passed: Vec<String>,
    /// Checks that failed, with what was seen.
    pub failed: Vec<String>,
}

impl Outcome {
    fn check(&mut self, name: &str, ok: bool, seen: impl std::fmt::Debug) {
        if ok {
            self.passed.push(name.to_string());
        } else {
            self.failed.push(format!("{name}: got {seen:?}"));
        }
    }
}

/// Loads the add-in at `path` and checks: the class list, every method's two names and
/// parameter counts, a connect / send / read-with-marker / leftover / close round trip over a
/// plain echo server, a round trip over a TLS echo server (whose `TlsInfo` names
/// `tls_backend`, if given), `GetLastError`, and that every allocation was freed exactly once.
pub fn smoke(path: &Path, tls_backend: Option<&str>) -> Result<Outcome, String> {
    let library = AddinLibrary::load(path).map_err(|e| e.to_string())?;
    let mut out = Outcome::default();
    out.check(
        "class names",
        library.class_names() == ["TcpClient"],
        library.class_names(),
    );
    library.set_platform_capabilities(3);
    let obj = library.create("TcpClient").map_err(|e| e.to_string())?;
    out.check(
        "extension name",
        obj.extension_name == "TcpClient",
        &obj.extension_name,
    );
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
    plain_round_trip(&obj, &mut out);
    tls_round_trip(&obj, tls_backend, &mut out);
    let error = call(&obj, "GetLastError", &[]);
    out.check("no error after success", error == Ok(Value::str("")), error);
    let memory = obj.destroy();
    out.check(
        "every allocation freed once",
        memory.is_balanced() && memory.allocations > 0,
        memory,
    );
    Ok(out)
}

/// Calls `name` as a function and returns its value.
fn call(obj: &AddinObject, name: &str, args: &[Value]) -> Result<Value, String> {
    obj.call(name, args)
        .map(|r| r.value)
        .map_err(|e| e.to_string())
}

/// Connect, send, read up to a marker, read the leftover until the timeout, close.
fn plain_round_trip(obj: &AddinObject, out: &mut Outcome) {
    let echo = spawn_echo_server();
    let connected = call(obj, "Connect", &[Value::Str(echo.to_string())]);
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
fn tls_round_trip(obj: &AddinObject, tls_backend: Option<&str>, out: &mut Outcome) {
    let server = spawn_tls_echo_server();
    let settings = call(obj, "GetTlsSettings", &[Value::Bool(true)]);
    let Ok(Value::Str(settings)) = settings else {
        out.check("TLS settings", false, settings);
        return;
    };
    let connected = call(
        obj,
        "Connect",
        &[Value::Str(server.to_string()), Value::Str(settings)],
    );
    let error = call(obj, "GetLastError", &[]);
    out.check(
        "connect with TLS",
        connected == Ok(Value::Bool(true)),
        (connected, error),
    );
    let info = obj.get_prop("TlsInfo").map(|r| r.value);
    let backend = tls_backend.map(|b| format!("\"backend\":\"{b}\""));
    out.check(
        "TLS was negotiated with the expected backend",
        matches!(&info, Ok(Value::Str(json))
            if json.contains("\"version\"") && backend.iter().all(|b| json.contains(b))),
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
