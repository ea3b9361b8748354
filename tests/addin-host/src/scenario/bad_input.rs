//! The bad-input scenario: bad input through the add-in, systematically: every parameter of every method with every wrong
//! type, missing and extra parameters, empty strings, numbers out of range, lone UTF-16
//! surrogates, unknown encodings, malformed settings JSON, missing certificate files, and calls
//! after Close. StartTls and FinishSending get a fresh connection each (the first to the TLS
//! server as plain TCP, so that a good call upgrades it; the second to the echo server), since a
//! good call changes the connection for the methods after it. Nothing may crash; each failure is an `argument` (or `closed`) error whose
//! message names the parameter; the connection survives bad input; memory balances.

use crate::addin::AddinObject;
use crate::checks::{call, finish, last_error, s};
use crate::variant::Value;

use super::Host;

/// What a parameter accepts, as the API documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Takes {
    Text,
    Binary,
    TextOrBinary,
    Bool,
    Number,
}

impl Takes {
    /// Whether a value of this type is accepted (numbers as I4 or R8, as 1C passes them).
    pub(super) fn accepts(self, value: &Value) -> bool {
        matches!(
            (self, value),
            (Takes::Text | Takes::TextOrBinary, Value::Str(_))
                | (Takes::Binary | Takes::TextOrBinary, Value::Blob(_))
                | (Takes::Bool, Value::Bool(_))
                | (Takes::Number, Value::I4(_) | Value::R8(_))
        )
    }
}

/// One parameter: its label in messages (`Russian (English)`), its type, and a good value.
pub(super) struct Param {
    pub(super) label: &'static str,
    pub(super) takes: Takes,
    pub(super) good: Value,
}

/// One method: its label in messages, its parameters, and the server it needs a fresh plain
/// connection to, when a good call changes the connection (`None`: any open connection to the
/// echo server).
struct Method {
    label: &'static str,
    params: Vec<Param>,
    fresh: Option<String>,
}

impl Method {
    fn name(&self) -> &'static str {
        let (_, english) = self.label.split_once(" (").unwrap();
        english.trim_end_matches(')')
    }

    fn good_args(&self) -> Vec<Value> {
        self.params.iter().map(|p| p.good.clone()).collect()
    }
}

pub(super) fn p(label: &'static str, takes: Takes, good: Value) -> Param {
    Param { label, takes, good }
}

/// The API table with a good call for each method, on the host's servers.
fn api(host: &Host) -> Vec<Method> {
    use Takes::*;
    let addr = host.echo.as_str();
    let timeout = || p("Таймаут (Timeout)", Number, Value::I4(50));
    let m = |label, params| Method {
        label,
        params,
        fresh: None,
    };
    let fresh = |label, params, server: &str| Method {
        label,
        params,
        fresh: Some(server.to_string()),
    };
    vec![
        m(
            "ОткрытьСоединение (Connect)",
            vec![
                p("Адрес (Address)", Text, s(addr)),
                p("Tls (Tls)", Text, s("")),
                p("Прокси (Proxy)", Text, s("")),
                p("Логирование (Logging)", Text, s("")),
            ],
        ),
        m(
            "ОтправитьДвоичныеДанные (SendBinaryData)",
            vec![
                p("Данные (Data)", Binary, Value::Blob(Vec::new())),
                timeout(),
            ],
        ),
        m(
            "ОтправитьСтроку (SendLine)",
            vec![
                p("Данные (Data)", Text, s("")),
                p("Кодировка (Encoding)", Text, s("UTF-8")),
                timeout(),
            ],
        ),
        m(
            "ПрочитатьДвоичныеДанные (ReadBinaryData)",
            vec![
                p("МаксимальныйРазмер (MaxSize)", Number, Value::I4(0)),
                p("Маркер (Marker)", TextOrBinary, s("")),
                timeout(),
                p("ТаймаутОжидания (IdleTimeout)", Number, Value::I4(0)),
            ],
        ),
        m(
            "ПрочитатьСтроку (ReadLine)",
            vec![
                p("Кодировка (Encoding)", Text, s("UTF-8")),
                p("Маркер (Marker)", TextOrBinary, s("")),
                timeout(),
                p("ТаймаутОжидания (IdleTimeout)", Number, Value::I4(0)),
            ],
        ),
        m(
            "ОбработатьЗапрос (ProcessRequest)",
            vec![
                p("Адрес (Address)", Text, s(addr)),
                p("Данные (Data)", TextOrBinary, s("ping\n")),
                p("ОтветСтрокой (AsString)", Bool, Value::Bool(true)),
                p("Tls (Tls)", Text, s("")),
                p("Прокси (Proxy)", Text, s("")),
            ],
        ),
        m(
            "ПолучитьНастройкиTls (GetTlsSettings)",
            vec![
                p(
                    "ОтключитьПроверкуСертификатов (AcceptInvalidCerts)",
                    Bool,
                    Value::Bool(false),
                ),
                p("ПутьКСертификату (CaCertPath)", Text, s("")),
                p("Пины (Pins)", Text, s(&"00".repeat(32))),
            ],
        ),
        m(
            "ПолучитьНастройкиПрокси (GetProxySettings)",
            vec![
                p("Адрес (Address)", Text, s("proxy")),
                p("Порт (Port)", Number, Value::I4(1080)),
                p("Вид (Kind)", Text, s("socks5")),
                p("Логин (Login)", Text, s("")),
                p("Пароль (Password)", Text, s("")),
            ],
        ),
        m("ЗакрытьСоединение (Close)", vec![]),
        m("ПолучитьПоследнююОшибку (GetLastError)", vec![]),
        m(
            "ПолучитьЛог (GetLog)",
            vec![p("ЧислоСобытий (EventCount)", Number, Value::I4(10))],
        ),
        m(
            "ОбработатьЗапросы (ProcessRequests)",
            vec![
                p(
                    "Запросы (Requests)",
                    Text,
                    s(&format!(r#"[{{"address": "{addr}", "data": "ping\n"}}]"#)),
                ),
                p("ОтветСтрокой (AsString)", Bool, Value::Bool(true)),
                p("ЧислоПотоков (Threads)", Number, Value::I4(4)),
            ],
        ),
        fresh(
            "НачатьTls (StartTls)",
            vec![p("Tls (Tls)", Text, s(r#"{"accept_invalid_certs": true}"#))],
            &host.tls,
        ),
        fresh(
            "ЗавершитьОтправку (FinishSending)",
            vec![timeout()],
            &host.echo,
        ),
    ]
}

/// A value of every type the platform passes.
pub(super) fn every_type() -> Vec<Value> {
    vec![
        Value::Bool(true),
        Value::I4(7),
        Value::R8(2.5),
        s("x"),
        Value::Blob(b"x".to_vec()),
        Value::Date,
    ]
}

/// Calls `method` with `args` straight through `CallAsFunc` (no completion with defaults) and
/// returns the last error as `(kind, message)`, or `None` after a success. The call itself must
/// return true: errors are reported, not raised, unless ВызыватьИсключения is set.
pub(super) fn try_call(
    obj: &AddinObject,
    method: &str,
    args: &[Value],
) -> Option<(String, String)> {
    let num = obj.find_method(method).unwrap();
    let returned = obj.call_raw(num, args);
    assert!(
        returned.ok,
        "{method}{args:?} raised: {:?}",
        obj.take_errors()
    );
    let error = last_error(obj);
    (!error.is_null()).then(|| {
        (
            error["kind"].as_str().unwrap().to_string(),
            error["message"].as_str().unwrap().to_string(),
        )
    })
}

/// Asserts that the call failed with an `argument` error whose message contains `needle`.
pub(super) fn assert_argument(obj: &AddinObject, method: &str, args: &[Value], needle: &str) {
    match try_call(obj, method, args) {
        Some((kind, message)) => {
            assert_eq!(kind, "argument", "{method}{args:?}: {message}");
            assert!(message.contains(needle), "{method}{args:?}: {message}");
        }
        None => panic!("{method}{args:?} succeeded"),
    }
}

/// Makes sure `obj` has the connection `method` is called on: a fresh one to its server, or
/// any open one to the echo server.
fn ensure_connected(obj: &AddinObject, host: &Host, method: &Method) {
    match &method.fresh {
        Some(server) => assert_eq!(call(obj, "Connect", &[s(server)]), Value::Bool(true)),
        None if obj.get_prop("Connected").unwrap().value != Value::Bool(true) => {
            assert_eq!(call(obj, "Connect", &[s(&host.echo)]), Value::Bool(true));
        }
        None => {}
    }
}

/// Runs `check` on each parameter of each method with the other arguments good, connected.
fn for_each_param(host: &Host, mut check: impl FnMut(&AddinObject, &Method, usize, Vec<Value>)) {
    let obj = host.client();
    for method in api(host) {
        for i in 0..method.params.len() {
            ensure_connected(&obj, host, &method);
            check(&obj, &method, i, method.good_args());
        }
        if method.fresh.is_some() {
            call(&obj, "Close", &[]);
        }
    }
    finish(obj);
}

fn the_good_calls_succeed(host: &Host) {
    let obj = host.client();
    for method in api(host) {
        ensure_connected(&obj, host, &method);
        assert_eq!(
            try_call(&obj, method.name(), &method.good_args()),
            None,
            "{}",
            method.label
        );
        if method.fresh.is_some() {
            call(&obj, "Close", &[]);
        }
    }
    finish(obj);
}

fn every_parameter_rejects_every_wrong_type_and_the_connection_survives(host: &Host) {
    for_each_param(host, |obj, method, i, good| {
        let param = &method.params[i];
        for wrong in every_type().into_iter().filter(|v| !param.takes.accepts(v)) {
            let mut args = good.clone();
            args[i] = wrong;
            assert_argument(
                obj,
                method.name(),
                &args,
                &format!("{}: expected", param.label),
            );
            let connected = obj.get_prop("Connected").unwrap().value;
            assert_eq!(connected, Value::Bool(true), "{}{args:?}", method.label);
        }
    });
}

fn missing_and_extra_parameters(host: &Host) {
    let obj = host.client();
    for method in api(host) {
        let n = method.params.len();
        let mut extra = method.good_args();
        extra.push(s("extra"));
        let expected = format!(
            "{}: takes at most {n} parameters, got {}",
            method.label,
            n + 1
        );
        assert_argument(&obj, method.name(), &extra, &expected);
        // Omitted (missing, or Неопределено) required parameters are named.
        for (i, param) in method.params.iter().enumerate() {
            let default = obj.param_default(obj.find_method(method.name()).unwrap(), i);
            if default.is_some() {
                continue;
            }
            let needle = format!("{}: the parameter is required", param.label);
            assert_argument(&obj, method.name(), &method.good_args()[..i], &needle);
            let mut empty = method.good_args();
            empty[i] = Value::Empty;
            assert_argument(&obj, method.name(), &empty, &needle);
        }
    }
    finish(obj);
}

/// The English name inside a label: `Таймаут (Timeout)` gives `Timeout`.
pub(super) fn english(label: &str) -> &str {
    label
        .split_once(" (")
        .map_or(label, |(_, en)| en.trim_end_matches(')'))
}

fn empty_strings_succeed_or_name_the_parameter(host: &Host) {
    for_each_param(host, |obj, method, i, good| {
        let param = &method.params[i];
        if !param.takes.accepts(&s("")) {
            return;
        }
        let mut args = good;
        args[i] = s("");
        if let Some((kind, message)) = try_call(obj, method.name(), &args) {
            // An empty Tls asks StartTls for TLS with every default: verification on, which the
            // self-signed server fails in the handshake, not in the arguments.
            if method.name() == "StartTls" && kind == "tls" {
                return;
            }
            assert_eq!(kind, "argument", "{}{args:?}: {message}", method.label);
            assert!(
                message.contains(english(param.label)),
                "{}{args:?}: {message}",
                method.label
            );
        }
    });
}

/// Numbers no parameter takes: negative, fractional, not finite, huge.
pub(super) fn bad_numbers() -> [Value; 8] {
    [
        Value::I4(-1),
        Value::I4(i32::MIN),
        Value::R8(-1.0),
        Value::R8(0.5),
        Value::R8(f64::NAN),
        Value::R8(f64::INFINITY),
        Value::R8(f64::NEG_INFINITY),
        Value::R8(1e300),
    ]
}

/// Strings that are not valid UTF-16: lone surrogates.
pub(super) fn lone_surrogates() -> [Vec<u16>; 3] {
    [vec![0xD800], vec![0x61, 0xDC00], vec![0xDBFF, 0x62]]
}

fn negative_fractional_and_huge_numbers_are_argument_errors(host: &Host) {
    let bad = bad_numbers();
    for_each_param(host, |obj, method, i, good| {
        let param = &method.params[i];
        if param.takes != Takes::Number {
            return;
        }
        for value in &bad {
            let mut args = good.clone();
            args[i] = value.clone();
            assert_argument(obj, method.name(), &args, english(param.label));
        }
    });
}

fn lone_surrogates_are_argument_errors(host: &Host) {
    let lone = lone_surrogates();
    for_each_param(host, |obj, method, i, good| {
        let param = &method.params[i];
        if !param.takes.accepts(&s("")) {
            return;
        }
        for units in &lone {
            let mut args = good.clone();
            args[i] = Value::Utf16(units.clone());
            let needle = format!("{}: the string is not valid UTF-16", param.label);
            assert_argument(obj, method.name(), &args, &needle);
        }
    });
}

fn types_the_platform_does_not_pass_count_as_omitted(host: &Host) {
    // addin1c reads any tag it does not know (NULL, I2, R4, I8, ...) as an empty value.
    let obj = host.client();
    for tag in [1, 2, 4, 10, 17, 99] {
        assert_argument(
            &obj,
            "Connect",
            &[Value::Other(tag)],
            "Адрес (Address): the parameter is required",
        );
        let json = call(
            &obj,
            "GetTlsSettings",
            &[Value::Bool(true), Value::Other(tag)],
        );
        assert!(json.as_str().contains("accept_invalid_certs"), "{json:?}");
    }
    assert_eq!(call(&obj, "Connect", &[s(&host.echo)]), Value::Bool(true));
    finish(obj);
}

fn unknown_encodings_are_argument_errors(host: &Host) {
    let obj = host.client();
    call(&obj, "Connect", &[s(&host.echo)]);
    for name in [
        "klingon",
        "UTF-9",
        "replacement",
        "x-user-defined-2",
        " ",
        "UTF-8\0",
    ] {
        let needle = "Кодировка (Encoding): unknown encoding";
        assert_argument(&obj, "SendLine", &[s("x"), s(name)], needle);
        assert_argument(&obj, "ReadLine", &[s(name), s(""), Value::I4(10)], needle);
    }
    finish(obj);
}

fn marker_longer_than_max_size_in_any_form(host: &Host) {
    let obj = host.client();
    call(&obj, "Connect", &[s(&host.echo)]);
    for (max, marker) in [
        (2, s("abc")),
        (3, s("Жж")), // 4 bytes in UTF-8
        (1, Value::Blob(vec![0, 0])),
    ] {
        let args = [Value::I4(max), marker, Value::I4(10)];
        assert_argument(&obj, "ReadBinaryData", &args, "Marker");
    }
    finish(obj);
}

/// TLS settings JSON that must be refused.
fn malformed_tls() -> Vec<String> {
    let deep = "[".repeat(100_000);
    [
        "{",
        "[]",
        "null",
        "42",
        r#"{"use_tls": "yes"}"#,
        r#"{"use_tls": true, "alpn": "h2"}"#,
        r#"{"use_tls": true, "unknown_field": 1}"#,
        r#"{"use_tls": true, "use_tls": true}"#,
        r#"{"use_tls": true, "client_pfx_path": "c.pfx", "client_pfx_password": 1234}"#,
        r#"{"use_tls": true, "client_pfx_path": "c.pfx", "client_pfx_password": ["pw"]}"#,
        r#"{"use_tls": true, "pinned_sha256": 5}"#,
        r#"{"use_tls": true, "pinned_sha256": [["sha256//x"]]}"#,
        &deep,
    ]
    .map(String::from)
    .to_vec()
}

/// Proxy settings JSON that must be refused.
fn malformed_proxy() -> Vec<String> {
    let deep = "{\"a\":".repeat(100_000);
    [
        "{",
        "{}",
        "[]",
        r#"{"server": "", "port": 1080}"#,
        r#"{"server": "p", "port": 0}"#,
        r#"{"server": "p", "port": -1}"#,
        r#"{"server": "p", "port": 1e3}"#,
        r#"{"server": "p", "port": 1080, "proxy_type": "ftp"}"#,
        r#"{"server": "p", "port": 1080, "login": 5}"#,
        &deep,
    ]
    .map(String::from)
    .to_vec()
}

fn malformed_settings_json_is_an_argument_error_naming_the_parameter(host: &Host) {
    let obj = host.client();
    let addr = s(&host.echo);
    for tls in malformed_tls() {
        assert_argument(&obj, "Connect", &[addr.clone(), s(&tls)], "Tls");
        let args = [addr.clone(), s("x\n"), Value::Bool(true), s(&tls)];
        assert_argument(&obj, "ProcessRequest", &args, "Tls");
        assert_argument(&obj, "StartTls", &[s(&tls)], "Tls");
    }
    // Settings that turn TLS off do not ask StartTls for anything.
    assert_argument(&obj, "StartTls", &[s(r#"{"use_tls": false}"#)], "use_tls");
    // A value checked after parsing names its field.
    for (tls, field) in [
        (r#"{"use_tls": true, "min_version": "1.0"}"#, "min_version"),
        (r#"{"use_tls": true, "backend": "gnutls"}"#, "backend"),
        (
            r#"{"use_tls": true, "client_pfx_password": "pw"}"#,
            "client_pfx_password",
        ),
        (
            r#"{"client_pfx_path": "c.pfx", "client_cert_path": "c.pem", "client_key_path": "c.key"}"#,
            "client_pfx_path",
        ),
        (
            r#"{"use_tls": true, "pinned_sha256": ["sha256//AAAA"]}"#,
            "pinned_sha256: entry 1",
        ),
    ] {
        assert_argument(&obj, "Connect", &[addr.clone(), s(tls)], field);
    }
    for proxy in malformed_proxy() {
        assert_argument(&obj, "Connect", &[addr.clone(), s(""), s(&proxy)], "Proxy");
        let args = [addr.clone(), s("x\n"), Value::Bool(true), s(""), s(&proxy)];
        assert_argument(&obj, "ProcessRequest", &args, "Proxy");
    }
    finish(obj);
}

fn malformed_batch_requests_name_the_index_and_field(host: &Host) {
    let obj = host.client();
    let addr = &host.echo;
    for (requests, needle) in [
        ("{", "Запросы (Requests): "),
        ("[1]", "Запросы (Requests): request [0]: expected an object"),
        (
            &format!(r#"[{{"address": "{addr}"}}, {{"data": "x"}}]"#),
            "Запросы (Requests): request [1]: address: the field is required",
        ),
        (
            &format!(r#"[{{"address": "{addr}", "timeout": "5"}}]"#),
            "request [0]: timeout: expected a number",
        ),
        (
            &format!(r#"[{{"address": "{addr}", "tls": {{"use_tls": "yes"}}}}]"#),
            "request [0]: tls: invalid TLS settings JSON",
        ),
        (
            &format!(r#"[{{"address": "{addr}", "proxy": {{"server": "p", "port": 0}}}}]"#),
            "request [0]: proxy: ",
        ),
        (
            &format!(r#"[{{"address": "{addr}", "Data": "x"}}]"#),
            "request [0]: Data: unknown field",
        ),
        (
            &format!(r#"[{{"address": "{addr}", "data_base64": "%%"}}]"#),
            "request [0]: data_base64: invalid base64",
        ),
    ] {
        assert_argument(&obj, "ProcessRequests", &[s(requests)], needle);
    }
    let good = format!(r#"[{{"address": "{addr}"}}]"#);
    assert_argument(
        &obj,
        "ProcessRequests",
        &[s(&good), Value::Bool(true), Value::I4(0)],
        "ЧислоПотоков (Threads): 0 threads",
    );
}

fn malformed_pins_are_argument_errors_naming_the_pin(host: &Host) {
    let obj = host.client();
    let good = "00".repeat(32);
    for (pins, needle) in [
        (
            "sha256//AAAA".to_string(),
            "entry 1 (\"sha256//AAAA\") holds 3 bytes",
        ),
        (format!("{good}, abc"), "entry 2 (\"abc\") has 3 hex digits"),
        (format!("{good}\n{good}; zz"), "entry 3 (\"zz\")"),
        (
            "sha1//AAAA".to_string(),
            "entry 1 (\"sha1//AAAA\") is not a SHA-256 pin",
        ),
        ("[1]".to_string(), "invalid JSON array of pins"),
        (format!("[\"{good}\""), "invalid JSON array of pins"),
        (format!("[\"{good}\", \"x\"]"), "entry 2 (\"x\")"),
    ] {
        let args = [Value::Bool(true), s(""), s(&pins)];
        assert_argument(
            &obj,
            "GetTlsSettings",
            &args,
            &format!("Пины (Pins): {needle}"),
        );
    }
    let json = call(
        &obj,
        "GetTlsSettings",
        &[Value::Bool(true), s(""), s(&format!("[\"{good}\"]"))],
    );
    assert!(json.as_str().contains(r#""pinned_sha256":["#), "{json:?}");
    finish(obj);
}

fn missing_or_unusable_certificate_files_are_argument_errors(host: &Host) {
    let dir = host.files;
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let key = dir.join("client.key");
    let key_pair = rcgen::KeyPair::generate().unwrap();
    std::fs::write(&key, key_pair.serialize_pem()).unwrap();
    let text = |path: &std::path::Path| path.to_str().unwrap().to_string();
    let obj = host.client();
    let missing = "/nonexistent/ca.pem".to_string();
    for (field, path) in [
        ("ca_cert_path", missing.clone()),
        ("ca_cert_path", text(dir)),
        ("ca_cert_path", text(&empty)),
        ("ca_cert_path", text(&not_pem)),
        ("client_cert_path", missing.clone()),
        ("client_pfx_path", "/nonexistent/client.pfx".to_string()),
        ("client_pfx_path", text(dir)),
        ("client_pfx_path", text(&not_pem)),
    ] {
        let mut tls = serde_json::json!({"use_tls": true, field: path});
        if field == "client_cert_path" {
            tls["client_key_path"] = text(&key).into();
        }
        let args = [s(&host.tls), s(&tls.to_string())];
        assert_argument(&obj, "Connect", &args, field);
        assert_eq!(obj.get_prop("Connected").unwrap().value, Value::Bool(false));
    }
    // GetTlsSettings only builds JSON; the file is checked when it is used.
    let json = call(&obj, "GetTlsSettings", &[Value::Bool(false), s(&missing)]);
    assert_argument(&obj, "Connect", &[s(&host.tls), json], "ca_cert_path");
    finish(obj);
}

fn a_thousand_calls_after_close_are_closed_errors_and_leak_nothing(host: &Host) {
    let obj = host.client();
    call(&obj, "Connect", &[s(&host.echo)]);
    assert_eq!(call(&obj, "Close", &[]), Value::Bool(true));
    let calls: [(&str, Vec<Value>); 6] = [
        ("SendLine", vec![s("x\n")]),
        ("SendBinaryData", vec![Value::Blob(b"x".to_vec())]),
        ("ReadLine", vec![s("UTF-8"), s("\n"), Value::I4(10)]),
        ("ReadBinaryData", vec![Value::I4(1)]),
        ("StartTls", vec![s(r#"{"accept_invalid_certs": true}"#)]),
        ("FinishSending", vec![]),
    ];
    let mut live_after_100 = 0;
    for i in 0..1000 {
        let (method, args) = &calls[i % calls.len()];
        let (kind, message) = try_call(&obj, method, args).expect("a call after Close failed");
        assert_eq!(kind, "closed", "{method}: {message}");
        // Closing again is harmless.
        if i % 100 == 0 {
            call(&obj, "Close", &[]);
        }
        if i == 100 {
            live_after_100 = obj.memory().live.len();
        }
    }
    assert!(
        obj.memory().live.len() <= live_after_100,
        "{:?}",
        obj.memory()
    );
    // The object still works.
    assert_eq!(call(&obj, "Connect", &[s(&host.echo)]), Value::Bool(true));
    call(&obj, "SendLine", &[s("alive\n")]);
    assert_eq!(call(&obj, "ReadLine", &[s("UTF-8"), s("\n")]), s("alive\n"));
    finish(obj);
}

/// One check: its name and what it runs.
pub type Check = (&'static str, fn(&Host));

/// Every check of this scenario, by name.
pub const CHECKS: [Check; 14] = [
    ("the good calls succeed", the_good_calls_succeed),
    (
        "every parameter rejects every wrong type and the connection survives",
        every_parameter_rejects_every_wrong_type_and_the_connection_survives,
    ),
    ("missing and extra parameters", missing_and_extra_parameters),
    (
        "empty strings succeed or name the parameter",
        empty_strings_succeed_or_name_the_parameter,
    ),
    (
        "negative, fractional and huge numbers are argument errors",
        negative_fractional_and_huge_numbers_are_argument_errors,
    ),
    (
        "lone surrogates are argument errors",
        lone_surrogates_are_argument_errors,
    ),
    (
        "types the platform does not pass count as omitted",
        types_the_platform_does_not_pass_count_as_omitted,
    ),
    (
        "unknown encodings are argument errors",
        unknown_encodings_are_argument_errors,
    ),
    (
        "a marker longer than the max size, in any form",
        marker_longer_than_max_size_in_any_form,
    ),
    (
        "malformed settings JSON is an argument error naming the parameter",
        malformed_settings_json_is_an_argument_error_naming_the_parameter,
    ),
    (
        "malformed batch requests name the index and field",
        malformed_batch_requests_name_the_index_and_field,
    ),
    (
        "malformed pins are argument errors naming the pin",
        malformed_pins_are_argument_errors_naming_the_pin,
    ),
    (
        "missing or unusable certificate files are argument errors",
        missing_or_unusable_certificate_files_are_argument_errors,
    ),
    (
        "a thousand calls after Close are closed errors and leak nothing",
        a_thousand_calls_after_close_are_closed_errors_and_leak_nothing,
    ),
];
