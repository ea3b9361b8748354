//! `ОбработатьЗапросы` / `ProcessRequests` through the add-in, against real servers on 127.0.0.1
//! (socat, openssl s_server, small slow servers): the answers come back in the order of the
//! requests, as text or base64, with each failure in both error shapes in its own slot; slow
//! servers are polled at once; TLS works in a batch with every backend; bad input is an
//! `argument` error; the object's own connection is untouched and memory balances.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use addin_host::Value;
use common::*;
use serde_json::json;

/// Calls `method` with the batch `requests` (JSON) and the other arguments, and parses the
/// returned JSON array.
fn batch(
    obj: &addin_host::AddinObject,
    method: &str,
    requests: serde_json::Value,
    rest: &[Value],
) -> Vec<serde_json::Value> {
    let mut args = vec![s(&requests.to_string())];
    args.extend_from_slice(rest);
    let returned = call(obj, method, &args);
    assert_eq!(last_error(obj), serde_json::Value::Null);
    match serde_json::from_str(returned.as_str()) {
        Ok(serde_json::Value::Array(results)) => results,
        other => panic!("{method} returned {returned:?}: {other:?}"),
    }
}

#[test]
fn answers_and_failures_come_back_in_order_in_both_error_shapes() {
    let echo = socat_echo();
    let refused = format!("127.0.0.1:{}", free_port());
    let requests = json!([
        {"address": echo.addr(), "data": "привет\nrest"},
        {"address": refused, "data": "x\n"},
        {"address": echo.addr(), "data": "a;b;", "marker": ";"},
        {"address": echo.addr(), "data": "12345", "max_size": 3},
        {"address": echo.addr(), "data": "no end", "idle_timeout": 300},
    ]);
    let obj = client();
    let results = batch(&obj, "ОбработатьЗапросы", requests, &[]);
    assert_eq!(
        results,
        [
            json!({"result": true, "address": echo.addr(), "answer": "привет\n", "end": "marker"}),
            results[1].clone(),
            json!({"result": true, "address": echo.addr(), "answer": "a;", "end": "marker"}),
            json!({"result": true, "address": echo.addr(), "answer": "123", "end": "size"}),
            json!({"result": true, "address": echo.addr(), "answer": "no end", "end": "idle"}),
        ]
    );
    let failed = &results[1];
    assert_eq!(failed["result"], false);
    assert_eq!(failed["kind"], "connect");
    assert_eq!(failed["address"], refused);
    let message = failed["message"].as_str().unwrap();
    assert!(message.contains(&refused), "{message}");
    assert_eq!(failed["error"], failed["message"]);
    // The object's own connection is not involved, and the call itself did not fail.
    assert_eq!(obj.get_prop("Connected").unwrap().value, Value::Bool(false));
    finish(obj);
}

#[test]
fn binary_data_goes_and_comes_as_base64() {
    let echo = socat_echo();
    let requests = json!([
        // 00 ff 0a 01: the answer ends on the newline.
        {"address": echo.addr(), "data_base64": "AP8KAQ=="},
        {"address": echo.addr(), "data_base64": "AQID\r\nBA==", "marker_base64": "Aw=="},
    ]);
    let obj = client();
    let results = batch(&obj, "ProcessRequests", requests, &[Value::Bool(false)]);
    assert_eq!(results[0]["answer_base64"], "AP8K");
    assert_eq!(results[1]["answer_base64"], "AQID");
    assert!(results[0].get("answer").is_none());
    finish(obj);
}

#[test]
fn slow_servers_are_polled_at_once_within_the_thread_count() {
    const DELAY: Duration = Duration::from_millis(300);
    let servers: Vec<String> = (0..20)
        .map(|i| {
            format!(
                "127.0.0.1:{}",
                slow_line_server(DELAY, format!("device {i}"))
            )
        })
        .collect();
    let requests: Vec<serde_json::Value> = servers
        .iter()
        .enumerate()
        .map(|(i, address)| json!({"address": address, "data": format!("poll {i}\n")}))
        .collect();
    let obj = client();
    for (threads, at_least) in [(20, Duration::ZERO), (5, DELAY * 4)] {
        let start = Instant::now();
        let results = batch(
            &obj,
            "ProcessRequests",
            json!(requests),
            &[Value::Bool(true), Value::I4(threads)],
        );
        let took = start.elapsed();
        // 20 requests on `threads` threads take 20 / threads rounds of 0.3 s; one at a time, 6 s.
        assert!(took >= at_least, "{threads} threads: {took:?}");
        assert!(
            took < DELAY * (20 / threads as u32) + Duration::from_secs(2),
            "{threads} threads: {took:?}"
        );
        for (i, result) in results.iter().enumerate() {
            assert_eq!(result["answer"], format!("device {i}:poll {i}\n"));
        }
    }
    finish(obj);
}

#[test]
fn tls_requests_run_in_a_batch_with_every_backend() {
    let certs = self_signed();
    let peer = openssl_rev(&certs);
    let ca = certs.ca.to_str().unwrap();
    let backends = ["rustls", "openssl", "native-tls"];
    let mut requests: Vec<serde_json::Value> = backends
        .iter()
        .map(|backend| {
            json!({
                "address": peer.addr(),
                "data": format!("{backend}\n"),
                "tls": {"use_tls": true, "ca_cert_path": ca, "backend": backend},
            })
        })
        .collect();
    // Settings as JSON text, and verification on without the CA: refused.
    requests.push(json!({"address": peer.addr(), "data": "x\n", "tls": "{\"use_tls\": true}"}));
    let obj = client();
    let results = batch(&obj, "ProcessRequests", json!(requests), &[]);
    // CI also builds the add-in with one backend and says which (TCPLINK_EXPECT_BACKEND): a
    // request for another one is that request's argument error, not the batch's.
    let only = std::env::var("TCPLINK_EXPECT_BACKEND").ok();
    for (backend, result) in backends.iter().zip(&results) {
        if only.as_deref().is_some_and(|only| only != *backend) {
            assert_eq!(result["kind"], "argument", "{backend}: {result}");
            assert!(
                result["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("not compiled into this build")),
                "{backend}: {result}"
            );
            continue;
        }
        let reversed: String = backend.chars().rev().collect();
        assert_eq!(
            result["answer"],
            format!("{reversed}\n"),
            "{backend}: {result}"
        );
    }
    assert_eq!(results[3]["kind"], "tls", "{}", results[3]);
    finish(obj);
}

#[test]
fn each_request_keeps_its_own_time_limits() {
    // A server that takes what it is sent and never answers.
    let silent = serve(|stream| {
        thread::sleep(Duration::from_secs(3));
        drop(stream);
    });
    let obj = client();
    let requests = json!([
        {"address": silent.to_string(), "data": "x\n", "timeout": 200},
        {"address": silent.to_string(), "data": "x\n", "timeout": 0, "idle_timeout": 200},
    ]);
    let start = Instant::now();
    let results = batch(&obj, "ProcessRequests", requests, &[]);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(results[0]["end"], "timeout");
    assert_eq!(results[1]["end"], "idle");
    finish(obj);
}

#[test]
fn bad_input_fails_the_call_with_an_argument_error() {
    let obj = client();
    let process = obj.find_method("ProcessRequests").unwrap();
    for (args, prefix) in [
        (
            vec![s("[{\"address\": \"\"}]")],
            "Запросы (Requests): request [0]: address: ",
        ),
        (
            vec![s("[]"), Value::Bool(true), Value::I4(-1)],
            "ЧислоПотоков (Threads): -1 is negative",
        ),
        (
            vec![s("[]"), s("yes")],
            "ОтветСтрокой (AsString): expected a boolean",
        ),
        (vec![Value::I4(1)], "Запросы (Requests): expected a string"),
    ] {
        let returned = obj.call_raw(process, &args);
        assert!(returned.ok, "{args:?}");
        assert_eq!(returned.value, s(""), "{args:?}");
        assert_eq!(error_kind(&obj), "argument", "{args:?}");
        let message = error_message(&obj);
        assert!(message.starts_with(prefix), "{args:?}: {message}");
    }
    // An empty batch is no error.
    assert_eq!(call(&obj, "ProcessRequests", &[s("[]")]), s("[]"));
    finish(obj);
}
