//! Failures through the add-in: error kinds from real failures, bad inputs named in `argument`
//! errors, exceptions through `AddError`, proxies, and the connection's life cycle
//! (replacing, `DestroyObject` closing it).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use addin_host::Value;
use common::*;

#[test]
fn real_failures_have_stable_kinds() {
    let obj = client();
    call(&obj, "Connect", &[s(&format!("127.0.0.1:{}", free_port()))]);
    assert_eq!(error_kind(&obj), "connect");
    // Both shapes: OPI's `result` and `error` beside `kind` and `message`.
    let error = last_error(&obj);
    assert_eq!(error["result"], serde_json::Value::Bool(false), "{error}");
    assert_eq!(error["error"], error["message"], "{error}");
    assert!(
        error["error"].as_str().unwrap().contains("127.0.0.1"),
        "{error}"
    );
    call(&obj, "Connect", &[s("no-such-host.invalid:80")]);
    assert_eq!(error_kind(&obj), "resolve");
    // A server that accepts and never answers the TLS handshake: the connect timeout bounds it.
    let silent = serve(|stream| {
        thread::sleep(Duration::from_secs(5));
        drop(stream);
    });
    assert!(obj.set_prop("ConnectTimeout", Value::I4(300)).unwrap());
    let started = Instant::now();
    let tls = r#"{"use_tls": true, "accept_invalid_certs": true}"#;
    assert_eq!(
        call(&obj, "Connect", &[s(&silent.to_string()), s(tls)]),
        Value::Bool(false)
    );
    assert_eq!(error_kind(&obj), "timeout");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // No connection: sending and reading report `closed`, and the read end is `error`.
    assert_eq!(
        call(&obj, "SendBinaryData", &[Value::Blob(b"x".to_vec())]),
        Value::Bool(false)
    );
    assert_eq!(error_kind(&obj), "closed");
    assert_eq!(call(&obj, "ReadBinaryData", &[]), Value::Blob(Vec::new()));
    assert_eq!(error_kind(&obj), "closed");
    assert_eq!(obj.get_prop("LastReadEnd").unwrap().value, s("error"));
    // Success clears the last error.
    call(&obj, "GetProxySettings", &[s("proxy"), Value::I4(1080)]);
    assert_eq!(last_error(&obj), serde_json::Value::Null);
    finish(obj);
}

#[test]
fn bad_inputs_are_argument_errors_that_name_the_parameter() {
    let echo = socat_echo();
    let obj = client();
    let addr = echo.addr();
    let blob = |b: &[u8]| Value::Blob(b.to_vec());
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        (
            "Connect",
            vec![Value::I4(1)],
            "Адрес (Address): expected a string, got a number",
        ),
        (
            "Connect",
            vec![s("127.0.0.1:70000")],
            "Address: port 70000 is out of range",
        ),
        (
            "Connect",
            vec![s("localhost:")],
            "Address: port \"\" is not a number",
        ),
        (
            "Connect",
            vec![s(&addr), s("{bad json")],
            "Tls: invalid TLS settings JSON",
        ),
        (
            "Connect",
            vec![s(&addr), s(r#"{"verify": false}"#)],
            "Tls: invalid TLS settings JSON",
        ),
        (
            "Connect",
            vec![s(&addr), s(""), s("{}")],
            "Proxy: invalid proxy settings JSON",
        ),
        (
            "Connect",
            vec![s(&addr), Value::Bool(true)],
            "Tls (Tls): expected a string, got a boolean",
        ),
        (
            "SendLine",
            vec![s("x"), s("klingon")],
            "Кодировка (Encoding): unknown encoding",
        ),
        (
            "SendLine",
            vec![s("✓"), s("windows-1251")],
            "Данные (Data): the character '✓'",
        ),
        (
            "SendLine",
            vec![blob(b"x")],
            "Данные (Data): expected a string, got binary data",
        ),
        (
            "SendBinaryData",
            vec![s("text")],
            "Данные (Data): expected binary data, got a string",
        ),
        (
            "SendBinaryData",
            vec![blob(b"x"), Value::R8(1.5)],
            "Таймаут (Timeout): 1.5 is not a whole number",
        ),
        (
            "SendBinaryData",
            vec![blob(b"x"), Value::I4(-5)],
            "Таймаут (Timeout): -5 ms is negative",
        ),
        (
            "ReadLine",
            vec![s("UTF-8"), Value::I4(5)],
            "Маркер (Marker): expected a string or binary data",
        ),
        (
            "ReadLine",
            vec![s("nope")],
            "Кодировка (Encoding): unknown encoding",
        ),
        (
            "ReadBinaryData",
            vec![Value::I4(-1)],
            "МаксимальныйРазмер (MaxSize): -1 is negative",
        ),
        (
            "ReadBinaryData",
            vec![Value::I4(2), s("abc")],
            "Marker: the marker is 3 bytes",
        ),
        (
            "ReadBinaryData",
            vec![Value::Date],
            "МаксимальныйРазмер (MaxSize): expected a number, got a date",
        ),
        (
            "ProcessRequest",
            vec![s(&addr), Value::I4(5)],
            "Данные (Data): expected a string or binary data",
        ),
        (
            "ProcessRequest",
            vec![s(&addr), s(""), s("yes")],
            "ОтветСтрокой (AsString): expected a boolean",
        ),
        (
            "GetTlsSettings",
            vec![Value::Date],
            "ОтключитьПроверкуСертификатов (AcceptInvalidCerts)",
        ),
        (
            "GetTlsSettings",
            vec![Value::Bool(true), s(""), s("sha256//AAAA")],
            "Пины (Pins): entry 1 (\"sha256//AAAA\") holds 3 bytes",
        ),
        (
            "GetProxySettings",
            vec![s("proxy"), Value::I4(70000)],
            "Порт (Port): port 70000 is out of range",
        ),
        (
            "GetProxySettings",
            vec![s("proxy"), s("1080")],
            "Порт (Port): expected a number, got a string",
        ),
        (
            "GetProxySettings",
            vec![s("proxy"), Value::I4(1080), s("ftp")],
            "Вид (Kind): unknown proxy type",
        ),
    ];
    call(&obj, "Connect", &[s(&addr)]);
    for (method, args, prefix) in cases {
        let returned = obj.call(method, &args).unwrap();
        assert!(returned.ok, "{method}{args:?}");
        let failure = match method {
            "ReadBinaryData" => Value::Blob(Vec::new()),
            "ReadLine" | "ProcessRequest" | "GetTlsSettings" | "GetProxySettings" => s(""),
            _ => Value::Bool(false),
        };
        assert_eq!(returned.value, failure, "{method}{args:?}");
        assert_eq!(error_kind(&obj), "argument", "{method}{args:?}");
        let message = error_message(&obj);
        assert!(message.starts_with(prefix), "{method}{args:?}: {message}");
    }
    // Bad settings did not close the open connection.
    assert_eq!(obj.get_prop("Connected").unwrap().value, Value::Bool(true));
    // What the platform would never send: wrong counts straight into CallAsFunc.
    let close = obj.find_method("Close").unwrap();
    let returned = obj.call_raw(close, &[Value::I4(1)]);
    assert_eq!((returned.ok, returned.value), (true, Value::Bool(false)));
    assert_eq!(
        error_message(&obj),
        "ЗакрытьСоединение (Close): takes at most 0 parameters, got 1"
    );
    let connect = obj.find_method("Connect").unwrap();
    assert_eq!(obj.call_raw(connect, &[]).value, Value::Bool(false));
    assert_eq!(
        error_message(&obj),
        "Адрес (Address): the parameter is required"
    );
    // ProcessRequest fails with empty binary data when binary was asked for.
    let process = obj.find_method("ProcessRequest").unwrap();
    let returned = obj.call_raw(process, &[s("bad"), s(""), Value::Bool(false)]);
    assert_eq!(returned.value, Value::Blob(Vec::new()));
    finish(obj);
}

#[test]
fn throw_errors_raises_through_add_error() {
    let obj = client();
    assert!(obj
        .set_prop("ВызыватьИсключения", Value::Bool(true))
        .unwrap());
    let refused = format!("127.0.0.1:{}", free_port());
    let returned = obj.call("ОткрытьСоединение", &[s(&refused)]).unwrap();
    assert!(
        !returned.ok,
        "a failure returns false so that the platform raises"
    );
    assert_eq!(returned.value, Value::Empty);
    let raised = obj.take_errors();
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(raised[0].code, 1006);
    assert_ne!(raised[0].scode, 0);
    assert_eq!(raised[0].source, "TcpLink");
    assert!(
        raised[0]
            .description
            .starts_with("connect error: cannot connect to"),
        "{raised:?}"
    );
    // The error is still there for ПолучитьПоследнююОшибку.
    assert_eq!(error_kind(&obj), "connect");
    assert!(!obj.call_proc("SendLine", &[s("x")]).unwrap());
    assert_eq!(obj.take_errors().len(), 1);
    // Successful calls raise nothing.
    let json = call(&obj, "GetTlsSettings", &[Value::Bool(false)]);
    assert!(json.as_str().contains("use_tls"));
    assert!(obj.take_errors().is_empty());
    finish(obj);
}

#[test]
fn destroy_object_closes_the_connection() {
    let (tx, rx) = mpsc::channel();
    let addr = serve(move |mut stream| {
        let _ = tx.send(read_to_end(&mut stream));
    });
    let obj = client();
    call(&obj, "Connect", &[s(&addr.to_string())]);
    call(&obj, "SendLine", &[s("bye\n")]);
    finish(obj);
    let seen = rx
        .recv_timeout(Duration::from_secs(3))
        .expect("the server saw the connection close");
    assert_eq!(seen, b"bye\n");
}

#[test]
fn connecting_again_replaces_the_open_connection() {
    let (tx, rx) = mpsc::channel();
    let first = serve(move |mut stream| {
        let _ = tx.send(read_to_end(&mut stream));
    });
    let echo = socat_echo();
    let obj = client();
    call(&obj, "Connect", &[s(&first.to_string())]);
    call(&obj, "SendLine", &[s("first")]);
    assert_eq!(call(&obj, "Connect", &[s(&echo.addr())]), Value::Bool(true));
    assert_eq!(rx.recv_timeout(Duration::from_secs(3)).unwrap(), b"first");
    call(&obj, "SendLine", &[s("second\n")]);
    assert_eq!(
        call(&obj, "ReadLine", &[s("UTF-8"), s("\n")]),
        s("second\n")
    );
    finish(obj);
}

/// A minimal HTTP CONNECT proxy; answers 403 to targets on `forbidden_port`.
/// An HTTP CONNECT proxy that refuses `forbidden_port`; each target asked for is sent on `asked`.
fn http_proxy(forbidden_port: u16, asked: std::sync::mpsc::Sender<String>) -> SocketAddr {
    let asked = std::sync::Mutex::new(asked);
    serve(move |client| {
        let mut reader = BufReader::new(client.try_clone().unwrap());
        let mut request = String::new();
        let _ = reader.read_line(&mut request);
        let mut line = String::new();
        while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
            line.clear();
        }
        let target = request
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let _ = asked.lock().unwrap().send(target.clone());
        let mut client = client;
        if target.ends_with(&format!(":{forbidden_port}")) {
            let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n");
            return;
        }
        let Ok(upstream) = TcpStream::connect(&target) else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
            return;
        };
        let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        let mut upstream = upstream;
        let mut to_upstream = upstream.try_clone().unwrap();
        thread::spawn(move || {
            let _ = std::io::copy(&mut reader, &mut to_upstream);
            let _ = to_upstream.shutdown(std::net::Shutdown::Write);
        });
        let _ = std::io::copy(&mut upstream, &mut client);
    })
}

#[test]
fn proxy_settings_and_connections_through_an_http_proxy() {
    let echo = socat_echo();
    let forbidden = free_port();
    let (asked, targets) = std::sync::mpsc::channel();
    let proxy = http_proxy(forbidden, asked);
    let obj = client();
    let json = call(
        &obj,
        "ПолучитьНастройкиПрокси",
        &[s("127.0.0.1"), Value::I4(proxy.port() as i32), s("http")],
    );
    let parsed: serde_json::Value = serde_json::from_str(json.as_str()).unwrap();
    assert_eq!(
        parsed,
        serde_json::json!({"server": "127.0.0.1", "port": proxy.port(), "proxy_type": "http"})
    );
    let with_login = call(
        &obj,
        "GetProxySettings",
        &[
            s("p"),
            Value::R8(1080.0),
            Value::Empty,
            s("user"),
            s("secret"),
        ],
    );
    let with_login: serde_json::Value = serde_json::from_str(with_login.as_str()).unwrap();
    assert_eq!(
        with_login,
        serde_json::json!({"server": "p", "port": 1080, "proxy_type": "socks5", "login": "user", "password": "secret"})
    );
    assert_eq!(
        call(&obj, "Connect", &[s(&echo.addr()), s(""), json.clone()]),
        Value::Bool(true)
    );
    call(&obj, "SendLine", &[s("via proxy\n")]);
    assert_eq!(
        call(&obj, "ReadLine", &[s("UTF-8"), s("\n")]),
        s("via proxy\n")
    );
    let answer = call(
        &obj,
        "ProcessRequest",
        &[
            s(&echo.addr()),
            s("again\n"),
            Value::Bool(true),
            s(""),
            json.clone(),
        ],
    );
    assert_eq!(answer, s("again\n"));
    // Both went through the proxy, not straight to the echo server.
    let asked: Vec<String> = targets.try_iter().collect();
    assert_eq!(asked, [echo.addr(), echo.addr()]);
    call(
        &obj,
        "Connect",
        &[s(&format!("127.0.0.1:{forbidden}")), s(""), json],
    );
    assert_eq!(error_kind(&obj), "proxy");
    finish(obj);
}
