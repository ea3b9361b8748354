//! `tcplink request` with several `--address`es and a `--requests` file, run as a whole process
//! against real servers on 127.0.0.1 (socat, openssl s_server, small slow servers): the requests
//! run at once, each result is a JSON line in order, failures stay in their line and set the exit
//! code, absent fields come from the options, and bad files are argument errors.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// Stdout as one JSON value per line.
fn results(run: &Run) -> Vec<Value> {
    run.out()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

#[test]
fn several_addresses_get_the_same_data_at_once_and_print_in_order() {
    const DELAY: Duration = Duration::from_millis(400);
    let servers: Vec<String> = (0..10)
        .map(|i| format!("127.0.0.1:{}", slow_line_server(DELAY, format!("s{i}"))))
        .collect();
    let mut args = vec!["request", "-d", "poll\n", "-j", "10"];
    for address in &servers {
        args.extend(["-a", address.as_str()]);
    }
    let run = run(&args).expect(code::OK);
    // One at a time: 4 s.
    assert!(
        run.elapsed < Duration::from_millis(2500),
        "{:?}",
        run.elapsed
    );
    let expected: Vec<Value> = servers
        .iter()
        .enumerate()
        .map(|(i, address)| {
            json!({"result": true, "address": address, "answer": format!("s{i}:poll\n"), "end": "marker"})
        })
        .collect();
    assert_eq!(results(&run), expected);
}

#[test]
fn a_failed_request_keeps_its_line_and_sets_the_exit_code() {
    let echo = socat_echo();
    let refused = format!("127.0.0.1:{}", free_port());
    let run = run(&[
        "request",
        "-a",
        &echo.addr(),
        "-a",
        &refused,
        "-a",
        &echo.addr(),
        "-d",
        "hi\n",
    ])
    .expect(code::CONNECT);
    let lines = results(&run);
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["answer"], "hi\n");
    assert_eq!(lines[1]["result"], false);
    assert_eq!(lines[1]["kind"], "connect");
    assert_eq!(lines[1]["error"], lines[1]["message"]);
    assert_eq!(lines[2]["answer"], "hi\n");
    run.stderr_has(&["1 of 3 requests failed; the first, request [1]"]);
}

#[test]
fn a_requests_file_takes_absent_fields_from_the_options() {
    let echo = socat_echo();
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("requests.jsonl");
    std::fs::write(
        &lines,
        format!(
            "{}\n\n{}\n",
            json!({"address": echo.addr(), "data": "one;two;"}),
            json!({"address": echo.addr(), "data_base64": "AP8KOw==", "marker": "\n"}),
        ),
    )
    .unwrap();
    // The options give the marker and, with --string false, base64 answers.
    let run = run(&[
        "request",
        "--requests",
        lines.to_str().unwrap(),
        "-m",
        ";",
        "--string",
        "false",
        "-a",
        &echo.addr(),
        "-d",
        "first;",
    ])
    .expect(code::OK);
    let answers: Vec<Value> = results(&run)
        .iter()
        .map(|r| r["answer_base64"].clone())
        .collect();
    // "first;" (the --address comes first), "one;", then 00 ff 0a.
    assert_eq!(answers, ["Zmlyc3Q7", "b25lOw==", "AP8K"]);
    // A JSON array from stdin works the same.
    let array = json!([{"address": echo.addr(), "data": "x\n"}]).to_string();
    let run = run_piped(&["request", "--requests", "-"], array.as_bytes()).expect(code::OK);
    assert_eq!(results(&run)[0]["answer"], "x\n");
}

#[test]
fn tls_options_apply_to_every_address() {
    let peer = s_server(&pki().server.cert, &pki().server.key, &[]);
    let ca = pki().ca.to_str().unwrap().to_string();
    let run = run(&[
        "request",
        "-a",
        &peer.addr(),
        "-a",
        &peer.addr(),
        "--ca",
        &ca,
        "-d",
        "abc\n",
    ])
    .expect(code::OK);
    let answers: Vec<Value> = results(&run).iter().map(|r| r["answer"].clone()).collect();
    assert_eq!(answers, ["cba\n", "cba\n"]);
}

#[test]
fn bad_request_files_are_argument_errors_naming_the_request_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        r#"[{"address": "127.0.0.1:1"}, {"address": "127.0.0.1:1", "timeout": "5s"}]"#,
    )
    .unwrap();
    let bad = run(&["request", "--requests", file.to_str().unwrap()]).expect(code::ARGUMENT);
    bad.stderr_has(&["--requests: request [1]: timeout: expected a number"]);
    assert!(bad.stdout.is_empty());
    let missing = run(&["request", "--requests", "/nonexistent/requests.json"]);
    missing
        .expect(code::ARGUMENT)
        .stderr_has(&["--requests: cannot read"]);
    let zero = run(&[
        "request",
        "-a",
        "127.0.0.1:1",
        "-a",
        "127.0.0.1:2",
        "-j",
        "0",
    ]);
    zero.expect(code::ARGUMENT);
    let hex = run(&["request", "-a", "127.0.0.1:1", "-a", "127.0.0.1:2", "--hex"]);
    hex.expect(code::ARGUMENT).stderr_has(&["--hex"]);
}
