//! The server's bad input through the add-in: every parameter of every `TcpServer` method with
//! every wrong type, missing and extra parameters, numbers out of range, lone UTF-16 surrogates,
//! malformed listen and allowed addresses, TLS, logging and server settings, unknown connection
//! IDs, and calls on a server that is not running. Nothing may crash; each failure is an `argument` (or
//! `closed`) error whose message names the parameter; a running server and its connection
//! survive bad input; memory balances.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::addin::AddinObject;
use crate::checks::{call, finish, s};
use crate::variant::Value;

use super::bad_input::{
    assert_argument, bad_numbers, english, every_type, lone_surrogates, p, try_call, Param, Takes,
};
use super::server::start_with;
use super::Host;

/// A running server on 127.0.0.1 with one connection that has sent data; the client is kept
/// open, and the ID is the connection's.
struct Running {
    obj: AddinObject,
    id: String,
    _client: TcpStream,
}

impl Running {
    fn new(host: &Host) -> Running {
        let obj = host.server();
        let port = start_with(&obj, &[Value::I4(0), Value::I4(10), s(""), s("127.0.0.1")]);
        let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        client.write_all(b"x").unwrap();
        let started = Instant::now();
        let id = loop {
            let list: serde_json::Value =
                serde_json::from_str(call(&obj, "GetConnectionList", &[]).as_str()).unwrap();
            if let Some(id) = list["connections"][0]["connectionId"].as_str() {
                break id.to_string();
            }
            assert!(started.elapsed() < Duration::from_secs(5), "not listed");
            std::thread::sleep(Duration::from_millis(5));
        };
        Running {
            obj,
            id,
            _client: client,
        }
    }

    /// Asserts that the server still runs and its connection is still listed.
    fn assert_alive(&self, after: &str) {
        assert_eq!(
            self.obj.get_prop("Running").unwrap().value,
            Value::Bool(true),
            "{after}"
        );
        let list = call(&self.obj, "GetConnectionList", &[]);
        assert!(list.as_str().contains(&self.id), "{after}: {list:?}");
    }
}

/// One method: its label in messages and its parameters with good values.
struct Method {
    label: &'static str,
    params: Vec<Param>,
}

impl Method {
    fn name(&self) -> &'static str {
        english(self.label)
    }

    fn good_args(&self) -> Vec<Value> {
        self.params.iter().map(|p| p.good.clone()).collect()
    }
}

/// The server's API with good arguments for connection `id`.
fn api(id: &str) -> Vec<Method> {
    use Takes::*;
    let id = || p("IDСоединения (ConnectionID)", Text, s(id));
    let reading = || {
        vec![
            p("Таймаут (Timeout)", Number, Value::I4(10)),
            p("МаксимальныйРазмер (MaxSize)", Number, Value::I4(8192)),
            p("Маркер (Marker)", TextOrBinary, s("")),
            p("ТаймаутОжидания (IdleTimeout)", Number, Value::I4(0)),
        ]
    };
    let m = |label, params| Method { label, params };
    vec![
        m(
            "Запустить (Start)",
            vec![
                p("Порт (Port)", Number, Value::I4(0)),
                p("РазмерПула (PoolSize)", Number, Value::I4(10)),
                p("Логирование (Logging)", Text, s("")),
                p("АдресПрослушивания (ListenAddress)", Text, s("127.0.0.1")),
                p("Tls (Tls)", Text, s("")),
                p("РазрешенныеАдреса (AllowedAddresses)", Text, s("")),
                p("ВытеснятьСтарые (EvictOldest)", Bool, Value::Bool(false)),
                p("Настройки (Settings)", Text, s("")),
            ],
        ),
        m("Остановить (Stop)", vec![]),
        m(
            "ПолучитьДанныеОчередногоСоединения (GetNextConnectionData)",
            reading(),
        ),
        m(
            "ПолучитьДанныеСоединения (GetConnectionData)",
            std::iter::once(id()).chain(reading()).collect(),
        ),
        m(
            "ОтправитьДанные (SendData)",
            vec![
                id(),
                p("Данные (Data)", TextOrBinary, s("")),
                p("Таймаут (Timeout)", Number, Value::I4(50)),
            ],
        ),
        m(
            "ЗакрытьВходящееСоединение (CloseIncomingConnection)",
            vec![id()],
        ),
        m("ЗавершитьОтправку (CompleteSend)", vec![id()]),
        m("ЗавершитьПолучение (FinishReceiving)", vec![id()]),
        m("ПолучитьСписокСоединений (GetConnectionList)", vec![]),
        m("ПолучитьПоследнююОшибку (GetLastError)", vec![]),
        m(
            "ПолучитьЛог (GetLog)",
            vec![p("ЧислоСобытий (EventCount)", Number, Value::I4(10))],
        ),
    ]
}

/// Runs `check` on each parameter of each method of a running server with the other arguments
/// good, then checks that the server and its connection survived.
fn for_each_param(host: &Host, mut check: impl FnMut(&AddinObject, &Method, usize)) {
    let running = Running::new(host);
    for method in api(&running.id) {
        for i in 0..method.params.len() {
            check(&running.obj, &method, i);
            running.assert_alive(method.label);
        }
    }
    finish(running.obj);
}

fn every_parameter_rejects_every_wrong_type(host: &Host) {
    for_each_param(host, |obj, method, i| {
        let param = &method.params[i];
        for wrong in every_type().into_iter().filter(|v| !param.takes.accepts(v)) {
            let mut args = method.good_args();
            args[i] = wrong;
            let needle = format!("{}: expected", param.label);
            assert_argument(obj, method.name(), &args, &needle);
        }
    });
}

fn missing_and_extra_parameters(host: &Host) {
    let running = Running::new(host);
    let obj = &running.obj;
    for method in api(&running.id) {
        let n = method.params.len();
        let mut extra = method.good_args();
        extra.push(s("extra"));
        let expected = format!(
            "{}: takes at most {n} parameters, got {}",
            method.label,
            n + 1
        );
        assert_argument(obj, method.name(), &extra, &expected);
        for (i, param) in method.params.iter().enumerate() {
            if obj
                .param_default(obj.find_method(method.name()).unwrap(), i)
                .is_some()
            {
                continue;
            }
            let needle = format!("{}: the parameter is required", param.label);
            assert_argument(obj, method.name(), &method.good_args()[..i], &needle);
            let mut empty = method.good_args();
            empty[i] = Value::Empty;
            assert_argument(obj, method.name(), &empty, &needle);
        }
        running.assert_alive(method.label);
    }
    finish(running.obj);
}

fn negative_fractional_and_huge_numbers(host: &Host) {
    for_each_param(host, |obj, method, i| {
        let param = &method.params[i];
        if param.takes != Takes::Number {
            return;
        }
        for value in bad_numbers() {
            let mut args = method.good_args();
            args[i] = value;
            assert_argument(obj, method.name(), &args, english(param.label));
        }
    });
    let running = Running::new(host);
    for (args, needle) in [
        (vec![Value::I4(65536)], "Порт (Port): 65536 is out of range"),
        (
            vec![Value::I4(0), Value::I4(0)],
            "РазмерПула (PoolSize): must be at least 1",
        ),
    ] {
        assert_argument(&running.obj, "Start", &args, needle);
        running.assert_alive(needle);
    }
    finish(running.obj);
}

fn lone_surrogates_are_argument_errors(host: &Host) {
    for_each_param(host, |obj, method, i| {
        let param = &method.params[i];
        if !param.takes.accepts(&s("")) {
            return;
        }
        for units in lone_surrogates() {
            let mut args = method.good_args();
            args[i] = Value::Utf16(units);
            let needle = format!("{}: the string is not valid UTF-16", param.label);
            assert_argument(obj, method.name(), &args, &needle);
        }
    });
}

fn malformed_start_settings_name_the_parameter_and_leave_the_server_running(host: &Host) {
    let running = Running::new(host);
    let missing = host.files.join("missing.pem");
    let missing = missing.to_str().unwrap();
    let missing_settings = host.files.join("missing-settings.json");
    let missing_settings = missing_settings.to_str().unwrap();
    const SETTINGS: &str = "Настройки (Settings)";
    let cases: Vec<(usize, String, &str)> = vec![
        (
            3,
            "localhost".into(),
            "АдресПрослушивания (ListenAddress): \"localhost\"",
        ),
        (
            3,
            "127.0.0.1:80".into(),
            "АдресПрослушивания (ListenAddress)",
        ),
        (3, "999.0.0.1".into(), "АдресПрослушивания (ListenAddress)"),
        (
            5,
            "10.0.0.0/33".into(),
            "РазрешенныеАдреса (AllowedAddresses): \"10.0.0.0/33\"",
        ),
        (
            5,
            "127.0.0.1, host".into(),
            "РазрешенныеАдреса (AllowedAddresses)",
        ),
        (4, "{".into(), "Tls"),
        (4, "[]".into(), "Tls"),
        (4, r#"{"use_tls": "yes"}"#.into(), "Tls"),
        (
            4,
            r#"{"use_tls": true, "unknown_field": 1}"#.into(),
            "unknown_field",
        ),
        (4, r#"{"use_tls": true}"#.into(), "cert_path"),
        (
            4,
            // Built by serde_json: a Windows path's backslashes must be escaped.
            serde_json::json!({"cert_path": missing, "key_path": missing}).to_string(),
            "cert_path",
        ),
        (
            4,
            r#"{"pfx_path": "/nonexistent/s.pfx"}"#.into(),
            "pfx_path",
        ),
        (2, "{".into(), "Логирование (Logging)"),
        (
            2,
            r#"{"mode": "sometimes"}"#.into(),
            "Логирование (Logging)",
        ),
    ];
    // Server settings: each message names the parameter and, where there is one, the field.
    let settings_cases: Vec<(String, &str)> = vec![
        ("{".into(), "invalid server settings JSON"),
        ("buffer_limit=1".into(), "invalid server settings JSON"),
        (
            r#"{"buffer_size": 4096}"#.into(),
            "unknown field `buffer_size`",
        ),
        (r#"{"buffer_limit": 0}"#.into(), "buffer_limit: must be"),
        (
            r#"{"send_timeout": -1}"#.into(),
            "send_timeout: invalid value",
        ),
        (
            r#"{"handshake_timeout": -1000}"#.into(),
            "handshake_timeout: invalid value",
        ),
        (
            r#"{"buffer_limit": "1M"}"#.into(),
            "buffer_limit: invalid type",
        ),
        (
            r#"{"send_timeout": 2.5}"#.into(),
            "send_timeout: invalid type",
        ),
        (
            r#"{"handshake_timeout": true}"#.into(),
            "handshake_timeout: invalid type",
        ),
        (
            r#"{"keep_open_after_client_end": 1}"#.into(),
            "keep_open_after_client_end: invalid type",
        ),
        (
            missing_settings.into(),
            "cannot read the server settings file",
        ),
    ];
    let cases = cases.into_iter().chain(
        settings_cases
            .into_iter()
            .map(|(value, needle)| (7, value, needle)),
    );
    for (i, value, needle) in cases {
        let mut args = vec![
            Value::I4(0),
            Value::I4(10),
            s(""),
            s("127.0.0.1"),
            s(""),
            s(""),
            Value::Bool(false),
            s(""),
        ];
        args[i] = s(&value);
        let needle = if i == 7 {
            format!("{SETTINGS}: {needle}")
        } else {
            needle.to_string()
        };
        assert_argument(&running.obj, "Start", &args, &needle);
        running.assert_alive(&value);
    }
    finish(running.obj);
}

fn unknown_ids_fail_at_once_naming_the_parameter(host: &Host) {
    let running = Running::new(host);
    let obj = &running.obj;
    let started = Instant::now();
    for id in ["nope", "", "999999999"] {
        for (method, args) in [
            ("GetConnectionData", vec![s(id), Value::I4(5000)]),
            ("SendData", vec![s(id), s("x")]),
            ("CloseIncomingConnection", vec![s(id)]),
            ("CompleteSend", vec![s(id)]),
            ("FinishReceiving", vec![s(id)]),
        ] {
            assert_argument(obj, method, &args, "IDСоединения (ConnectionID): ");
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    running.assert_alive("unknown IDs");
    finish(running.obj);
}

fn calls_on_a_server_not_running_are_closed_errors_and_leak_nothing(host: &Host) {
    let obj = host.server();
    assert_eq!(obj.get_prop("Running").unwrap().value, Value::Bool(false));
    let calls: [(&str, Vec<Value>); 6] = [
        ("GetNextConnectionData", vec![Value::I4(10)]),
        ("GetConnectionData", vec![s("1")]),
        ("SendData", vec![s("1"), s("x")]),
        ("CloseIncomingConnection", vec![s("1")]),
        ("CompleteSend", vec![s("1")]),
        ("GetConnectionList", vec![]),
    ];
    let mut live_after_100 = 0;
    for i in 0..1000 {
        let (method, args) = &calls[i % calls.len()];
        let (kind, message) = try_call(&obj, method, args).expect("a call on a stopped server");
        assert_eq!(kind, "closed", "{method}: {message}");
        assert!(message.contains("Start"), "{method}: {message}");
        if i % 100 == 0 {
            call(&obj, "Stop", &[]);
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
    finish(obj);
}

fn exception_mode_raises_through_add_error(host: &Host) {
    let running = Running::new(host);
    let obj = &running.obj;
    assert!(obj
        .set_prop("ВызыватьИсключения", Value::Bool(true))
        .unwrap());
    let returned = obj.call("SendData", &[s("nope"), s("x")]).unwrap();
    assert!(
        !returned.ok,
        "a failure returns false so that the platform raises"
    );
    let raised = obj.take_errors();
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(
        (raised[0].code, raised[0].source.as_str()),
        (1006, "TcpLink")
    );
    assert!(
        raised[0]
            .description
            .contains("IDСоединения (ConnectionID)"),
        "{raised:?}"
    );
    // The error stays for ПолучитьПоследнююОшибку; successful calls raise nothing.
    let error = crate::checks::last_error(obj);
    assert_eq!(error["kind"], "argument", "{error}");
    call(obj, "GetConnectionList", &[]);
    assert!(obj.take_errors().is_empty());
    running.assert_alive("exceptions");
    finish(running.obj);
}

/// One check: its name and what it runs.
pub type Check = (&'static str, fn(&Host));

/// Every check of this scenario, by name.
pub const CHECKS: [Check; 8] = [
    (
        "server: every parameter rejects every wrong type",
        every_parameter_rejects_every_wrong_type,
    ),
    (
        "server: missing and extra parameters",
        missing_and_extra_parameters,
    ),
    (
        "server: negative, fractional, huge and out-of-range numbers",
        negative_fractional_and_huge_numbers,
    ),
    (
        "server: lone surrogates are argument errors",
        lone_surrogates_are_argument_errors,
    ),
    (
        "server: malformed start settings name the parameter and leave the server running",
        malformed_start_settings_name_the_parameter_and_leave_the_server_running,
    ),
    (
        "server: unknown IDs fail at once naming the parameter",
        unknown_ids_fail_at_once_naming_the_parameter,
    ),
    (
        "server: calls on a server not running are closed errors and leak nothing",
        calls_on_a_server_not_running_are_closed_errors_and_leak_nothing,
    ),
    (
        "server: exception mode raises through AddError",
        exception_mode_raises_through_add_error,
    ),
];
