//! The event log (OPI's `Логирование`): what ОткрытьСоединение with logging settings records,
//! what ПолучитьЛог returns, the file mode, and that no password or payload ever reaches it.

mod common;

use addin_host::Value;
use common::*;

/// ПолучитьЛог's answer as JSON.
fn log(obj: &addin_host::AddinObject, count: i32) -> serde_json::Value {
    let text = call(obj, "GetLog", &[Value::I4(count)]);
    serde_json::from_str(text.as_str()).unwrap()
}

/// The lines of a successful ПолучитьЛог answer.
fn log_lines(answer: &serde_json::Value) -> Vec<String> {
    assert_eq!(answer["result"], true, "{answer}");
    answer["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

const MEMORY: &str = r#"{"mode": "memory", "max_entries": 50}"#;

#[test]
fn a_memory_log_tells_each_step_of_a_connection_with_timestamps() {
    let echo = socat_echo();
    let obj = client();
    let args = [s(&echo.addr()), s(""), s(""), s(MEMORY)];
    assert_eq!(call(&obj, "Connect", &args), Value::Bool(true));
    call(&obj, "SendLine", &[s("secret payload\n")]);
    call(&obj, "ReadLine", &[s("UTF-8"), s("\n")]);
    call(&obj, "Close", &[]);
    let answer = log(&obj, 0);
    let lines = log_lines(&answer);
    assert_eq!(answer["returned"], lines.len());
    assert_eq!(answer["total"], lines.len());
    let expected = [
        format!("connecting to {}", echo.addr()),
        format!("connected to {}", echo.addr()),
        "sent 15 bytes".to_string(),
        "read 15 bytes, ended on marker".to_string(),
        format!("closed the connection to {}", echo.addr()),
    ];
    assert_eq!(lines.len(), expected.len(), "{lines:#?}");
    for (line, want) in lines.iter().zip(&expected) {
        // [YYYY-MM-DD HH:MM:SS.mmm] event
        let (stamp, event) = line.split_once("] ").unwrap();
        assert_eq!(stamp.len(), 24, "{line}");
        assert!(
            stamp.starts_with("[20") && stamp.as_bytes()[20] == b'.',
            "{line}"
        );
        assert!(event.starts_with(want.as_str()), "{line:?} is not {want:?}");
    }
    assert!(lines.iter().all(|l| !l.contains("secret payload")));
    // The last N events; failures are recorded with the method's name.
    call(&obj, "SendLine", &[s("x")]);
    let last = log_lines(&log(&obj, 2));
    assert_eq!(last.len(), 2);
    assert!(
        last[1].contains("ОтправитьСтроку (SendLine) failed: closed error"),
        "{last:?}"
    );
    finish(obj);
}

#[test]
fn a_proxy_password_never_reaches_the_log() {
    let echo = socat_echo();
    let socks = microsocks(Some(("alice", "the-secret-one")));
    let obj = client();
    for password in ["the-secret-one", "wrong-secret"] {
        let proxy = serde_json::json!({
            "server": "127.0.0.1", "port": socks.port, "proxy_type": "socks5",
            "login": "alice", "password": password,
        });
        let args = [s(&echo.addr()), s(""), s(&proxy.to_string()), s(MEMORY)];
        call(&obj, "Connect", &args);
    }
    let lines = log_lines(&log(&obj, 0));
    let text = lines.join("\n");
    assert!(text.contains("socks5 proxy"), "{text}");
    assert!(text.contains("alice"), "{text}");
    assert!(!text.contains("secret"), "{text}");
    finish(obj);
}

#[test]
fn a_file_log_is_appended_to_and_is_not_kept_in_memory() {
    let echo = socat_echo();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tcplink.log");
    let settings = serde_json::json!({"mode": "file", "file_path": path.to_str().unwrap()});
    let obj = client();
    let args = [s(&echo.addr()), s(""), s(""), s(&settings.to_string())];
    assert_eq!(call(&obj, "Connect", &args), Value::Bool(true));
    call(&obj, "SendLine", &[s("hi\n")]);
    call(&obj, "Close", &[]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("sent 3 bytes"), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");
    let answer = log(&obj, 0);
    assert_eq!(answer["result"], false, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("memory"));
    finish(obj);
}

#[test]
fn without_logging_settings_there_is_no_log_and_bad_settings_name_the_parameter() {
    let echo = socat_echo();
    let obj = client();
    assert_eq!(log(&obj, 10)["result"], false);
    let args = [s(&echo.addr()), s(""), s(""), s(r#"{"mode": "disk"}"#)];
    assert_eq!(call(&obj, "Connect", &args), Value::Bool(false));
    let error = last_error(&obj);
    assert_eq!(error["kind"], "argument");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("Логирование (Logging):"),
        "{error}"
    );
    finish(obj);
}
