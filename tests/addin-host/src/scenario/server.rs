//! The server scenario: the `TcpServer` class driven through the Native API as each host drives
//! it, with std sockets and the add-in's own `TcpClient` as its clients on 127.0.0.1: start,
//! data from the next connection and from a named one, sends, the connection list, closing one
//! half or the whole connection, a client that leaves with data unread, stop and start again, a
//! full pool (refused, or the oldest evicted), allowed addresses, unknown IDs, TLS with an rcgen
//! certificate, objects created, started and destroyed with no thread left behind, and the
//! server settings (Настройки) seen from outside: the buffer limit, the handshake timeout and
//! answering a client after its half-close.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value as Json;

use crate::addin::AddinObject;
use crate::checks::{call, finish, last_error, s};
use crate::variant::Value;

use super::Host;

const FIVE: Duration = Duration::from_secs(5);

/// Starts `obj` on 127.0.0.1 with a port the system picks and `extra` parameters after the
/// address (Tls, РазрешенныеАдреса, ВытеснятьСтарые, Настройки); returns the port.
fn start(obj: &AddinObject, pool: i32, extra: &[Value]) -> u16 {
    let mut args = vec![Value::I4(0), Value::I4(pool), s(""), s("127.0.0.1")];
    args.extend_from_slice(extra);
    start_with(obj, &args)
}

/// The arguments after the address of a Start with server settings `settings` (JSON or a
/// `.json` path) and TLS settings `tls` (`""`: plain TCP).
fn with_settings(tls: &str, settings: &str) -> [Value; 4] {
    [s(tls), s(""), Value::Bool(false), s(settings)]
}

/// Starts `obj` with the arguments `args` of Start, asserting that it runs; returns the port.
pub(super) fn start_with(obj: &AddinObject, args: &[Value]) -> u16 {
    let started = call(obj, "Start", args);
    assert_eq!(started, Value::Bool(true), "{:?}", last_error(obj));
    assert_eq!(obj.get_prop("Running").unwrap().value, Value::Bool(true));
    match obj.get_prop("Port").unwrap().value {
        Value::I4(port) if port > 0 => port as u16,
        other => panic!("Port is {other:?}"),
    }
}

/// A std client of the server on `port`, with a five-second read timeout.
fn client(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the add-in's server");
    stream.set_read_timeout(Some(FIVE)).unwrap();
    stream
}

/// Calls a method that answers JSON and parses it.
fn json(obj: &AddinObject, method: &str, args: &[Value]) -> Json {
    let text = call(obj, method, args);
    serde_json::from_str(text.as_str()).unwrap_or_else(|e| panic!("{method}: {text:?}: {e}"))
}

/// The bytes of a data answer's `message` (base64).
fn message(answer: &Json) -> Vec<u8> {
    let text = answer["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// The next connection's data, asserting there was some within five seconds.
fn next_data(obj: &AddinObject, args: &[Value]) -> Json {
    let mut all = vec![Value::I4(5000)];
    all.extend_from_slice(args);
    let answer = json(obj, "GetNextConnectionData", &all);
    assert_eq!(answer["result"], true, "{answer}");
    answer
}

/// The IDs of the listed connections.
fn listed(obj: &AddinObject) -> Vec<String> {
    let list = json(obj, "GetConnectionList", &[]);
    assert_eq!(list["result"], true, "{list}");
    list["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["connectionId"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until `count` connections are listed.
fn wait_for_count(obj: &AddinObject, count: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let ids = listed(obj);
        if ids.len() == count {
            return ids;
        }
        assert!(
            started.elapsed() < FIVE,
            "{} listed, not {count}",
            ids.len()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether the server closed `stream`: reads see EOF or a reset (after what the server sent
/// last, such as a TLS alert) within the stream's read timeout.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) => true,
        Err(e) => e.kind() == ErrorKind::ConnectionReset,
    }
}

/// The kind and message of the last call's error.
fn error_of(obj: &AddinObject) -> (String, String) {
    let error = last_error(obj);
    assert!(!error.is_null(), "the last call succeeded");
    (
        error["kind"].as_str().unwrap().to_string(),
        error["message"].as_str().unwrap().to_string(),
    )
}

fn receive_answer_list_and_close(host: &Host) {
    let obj = host.server();
    let port = start(&obj, 100, &[]);
    let mut a = client(port);
    a.write_all(b"hello\n").unwrap();
    let answer = next_data(&obj, &[]);
    assert_eq!(message(&answer), b"hello\n");
    assert_eq!(answer["active"], true);
    assert_eq!(answer["address"], a.local_addr().unwrap().to_string());
    let id = answer["connectionId"].as_str().unwrap().to_string();
    // Text goes out as UTF-8, binary data as it is.
    assert_eq!(
        call(&obj, "SendData", &[s(&id), s("мир\n")]),
        Value::Bool(true)
    );
    let blob = Value::Blob(vec![0, 1, 2, 255]);
    assert_eq!(
        call(&obj, "ОтправитьДанные", &[s(&id), blob]),
        Value::Bool(true)
    );
    let mut got = vec![0u8; "мир\n".len() + 4];
    a.read_exact(&mut got).unwrap();
    assert_eq!(got, ["мир\n".as_bytes(), &[0, 1, 2, 255]].concat());
    // A named connection, read by a marker; the rest stays for the next read.
    a.write_all(b"one\ntwo\n").unwrap();
    let args = [s(&id), Value::I4(5000), Value::I4(0), s("\n")];
    let first = json(&obj, "GetConnectionData", &args);
    assert_eq!(
        (message(&first), first["end"].as_str()),
        (b"one\n".to_vec(), Some("marker"))
    );
    let second = json(&obj, "ПолучитьДанныеСоединения", &args);
    assert_eq!(message(&second), b"two\n");
    // Nothing more: OPI's timeout answer, after the time asked for.
    let started = Instant::now();
    let none = json(&obj, "GetNextConnectionData", &[Value::I4(150)]);
    assert_eq!(
        none,
        serde_json::json!({"result": false, "error": "timeout"})
    );
    assert!(started.elapsed() >= Duration::from_millis(150));
    let none = json(&obj, "GetConnectionData", &[s(&id), Value::I4(100)]);
    assert_eq!(none["error"], "timeout");
    let list = json(&obj, "GetConnectionList", &[]);
    let entry = &list["connections"][0];
    assert_eq!(entry["connectionId"], id.as_str(), "{list}");
    assert_eq!(
        (entry["canRead"].as_bool(), entry["canWrite"].as_bool()),
        (Some(true), Some(true))
    );
    // CompleteSend: the client reads the end; later sends fail saying why.
    assert_eq!(call(&obj, "CompleteSend", &[s(&id)]), Value::Bool(true));
    assert!(closed_by_server(&mut a));
    assert_eq!(
        call(&obj, "SendData", &[s(&id), s("late")]),
        Value::Bool(false)
    );
    let (kind, text) = error_of(&obj);
    assert_eq!(kind, "closed", "{text}");
    assert!(text.contains("sending half"), "{text}");
    assert_eq!(
        json(&obj, "GetConnectionList", &[])["connections"][0]["canWrite"],
        false
    );
    // FinishReceiving: what the client sends is dropped.
    assert_eq!(call(&obj, "FinishReceiving", &[s(&id)]), Value::Bool(true));
    // A client that leaves with data unread stays listed until it is read; its last data comes
    // with active = false.
    let mut b = client(port);
    b.write_all(b"last words").unwrap();
    b.shutdown(Shutdown::Write).unwrap();
    let ids = wait_for_count(&obj, 2);
    let b_id = ids.iter().find(|i| **i != id).unwrap().clone();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(wait_for_count(&obj, 2).len(), 2);
    let last = json(
        &obj,
        "GetConnectionData",
        &[
            s(&b_id),
            Value::I4(5000),
            Value::I4(0),
            s(""),
            Value::I4(200),
        ],
    );
    assert_eq!(
        (message(&last), last["active"].as_bool()),
        (b"last words".to_vec(), Some(false))
    );
    assert_eq!(listed(&obj), std::slice::from_ref(&id));
    // CloseIncomingConnection ends it; its ID is unknown from then on.
    assert_eq!(
        call(&obj, "CloseIncomingConnection", &[s(&id)]),
        Value::Bool(true)
    );
    let started = Instant::now();
    assert_eq!(
        call(&obj, "GetConnectionData", &[s(&id), Value::I4(5000)]),
        s("")
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(error_of(&obj).0, "argument");
    assert!(listed(&obj).is_empty());
    finish(obj);
}

fn stop_and_start_again_on_the_same_port(host: &Host) {
    let obj = host.server();
    let port = start(&obj, 100, &[]);
    let mut a = client(port);
    a.write_all(b"x").unwrap();
    next_data(&obj, &[]);
    assert_eq!(call(&obj, "Stop", &[]), Value::Bool(true));
    assert_eq!(obj.get_prop("Running").unwrap().value, Value::Bool(false));
    assert_eq!(obj.get_prop("Port").unwrap().value, Value::I4(0));
    assert!(closed_by_server(&mut a));
    assert_eq!(call(&obj, "GetConnectionList", &[]), s(""));
    assert_eq!(error_of(&obj).0, "closed");
    assert_eq!(call(&obj, "Остановить", &[]), Value::Bool(true));
    let again = [
        Value::I4(i32::from(port)),
        Value::I4(10),
        s(""),
        s("127.0.0.1"),
    ];
    assert_eq!(call(&obj, "Запустить", &again), Value::Bool(true));
    assert_eq!(
        obj.get_prop("Порт").unwrap().value,
        Value::I4(i32::from(port))
    );
    let mut b = client(port);
    b.write_all(b"again\n").unwrap();
    assert_eq!(message(&next_data(&obj, &[])), b"again\n");
    // Starting a running server again replaces it.
    start(&obj, 100, &[]);
    assert!(closed_by_server(&mut b));
    finish(obj);
}

fn a_full_pool_refuses_the_newcomer_or_evicts_the_oldest(host: &Host) {
    let obj = host.server();
    let logging = s(r#"{"mode": "memory"}"#);
    let port = start_with(&obj, &[Value::I4(0), Value::I4(1), logging, s("127.0.0.1")]);
    let mut first = client(port);
    first.write_all(b"1").unwrap();
    wait_for_count(&obj, 1);
    let mut second = client(port);
    assert!(closed_by_server(&mut second), "the newcomer was let in");
    assert_eq!(message(&next_data(&obj, &[])), b"1");
    // The refusal is in the server's log, beside where it listens.
    let log = json(&obj, "GetLog", &[Value::I4(0)]);
    let lines = log["logs"].as_array().unwrap_or_else(|| panic!("{log}"));
    let has = |text: &str| lines.iter().any(|l| l.as_str().unwrap().contains(text));
    assert!(
        has("listening on 127.0.0.1:") && has("refused 127.0.0.1:"),
        "{log}"
    );
    let port = start(&obj, 1, &[s(""), s(""), Value::Bool(true)]);
    let mut old = client(port);
    wait_for_count(&obj, 1);
    let mut new = client(port);
    assert!(closed_by_server(&mut old), "the oldest stayed");
    new.write_all(b"new").unwrap();
    assert_eq!(message(&next_data(&obj, &[])), b"new");
    drop(first);
    finish(obj);
}

fn only_allowed_addresses_get_in(host: &Host) {
    let obj = host.server();
    let port = start(&obj, 100, &[s(""), s("10.0.0.0/8")]);
    let mut refused = client(port);
    assert!(closed_by_server(&mut refused));
    let port = start(&obj, 100, &[s(""), s("10.0.0.0/8, 127.0.0.1")]);
    let mut allowed = client(port);
    allowed.write_all(b"in").unwrap();
    assert_eq!(message(&next_data(&obj, &[])), b"in");
    finish(obj);
}

/// A TLS server's settings with a fresh rcgen certificate for `localhost` in PEM files, on the
/// run's backend if it names one; `None` where the server cannot be checked.
fn server_tls(host: &Host) -> Option<Json> {
    if !tls_server_checkable(host) {
        return None;
    }
    let (cert_path, key_path) = self_signed(host, "localhost");
    Some(on_backend(
        host,
        serde_json::json!({"cert_path": cert_path, "key_path": key_path}),
    ))
}

/// Whether a TLS server of this run can be checked: not native-tls on Windows, which runs under
/// Wine here. Its SChannel imports no PEM PKCS#8 key ("File not found") and no ECDSA key; an RSA
/// key in a `.pfx` is imported, but every server handshake then fails (the client sees EOF). There
/// is no real Windows here, so features.md lists the case under "Not yet".
fn tls_server_checkable(host: &Host) -> bool {
    let checkable = !(cfg!(windows) && host.tls_backend == Some("native-tls"));
    if !checkable {
        eprintln!("note: the native-tls TLS server is not checked on Windows (Wine)");
    }
    checkable
}

/// `tls` with the run's backend, if it names one.
fn on_backend(host: &Host, mut tls: Json) -> Json {
    if let Some(backend) = host.tls_backend {
        tls["backend"] = backend.into();
    }
    tls
}

/// TLS server settings naming a fresh rcgen certificate for `localhost` and its key in a `.pfx`
/// file as Windows exports one (TripleDES, SHA-1 MAC), with a password.
fn pfx_identity(host: &Host) -> Json {
    use p12_keystore::{
        Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
        PrivateKeyChain,
    };
    const PASSWORD: &str = "сервер 1C";
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let chain = PrivateKeyChain::new(
        "localhost",
        PrivateKey::from_der(&key.serialize_der()).unwrap(),
        [Certificate::from_der(cert.der()).unwrap()],
    );
    let mut store = KeyStore::new();
    store.add_entry("localhost", KeyStoreEntry::PrivateKeyChain(chain));
    let pfx = store
        .writer(PASSWORD)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
        .mac_algorithm(MacAlgorithm::HmacSha1)
        .write()
        .unwrap();
    let path = host.files.join("localhost.pfx");
    std::fs::write(&path, pfx).unwrap();
    serde_json::json!({"pfx_path": path.to_str().unwrap(), "pfx_password": PASSWORD})
}

fn a_tls_server_with_an_rcgen_certificate_answers_the_addins_client(host: &Host) {
    let Some(mut tls) = server_tls(host) else {
        return;
    };
    let obj = host.server();
    let port = start(&obj, 100, &[s(&tls.to_string())]);
    let peer = host.client();
    let settings = r#"{"use_tls": true, "accept_invalid_certs": true}"#;
    let address = format!("127.0.0.1:{port}");
    assert_eq!(
        call(&peer, "Connect", &[s(&address), s(settings)]),
        Value::Bool(true)
    );
    call(&peer, "SendLine", &[s("over tls\n")]);
    let answer = next_data(&obj, &[Value::I4(0), s("\n")]);
    assert_eq!(message(&answer), b"over tls\n");
    let id = answer["connectionId"].as_str().unwrap();
    assert_eq!(
        call(&obj, "SendData", &[s(id), s("back\n")]),
        Value::Bool(true)
    );
    assert_eq!(call(&peer, "ReadLine", &[s("UTF-8"), s("\n")]), s("back\n"));
    // A plain-text client is not let in.
    let mut plain = client(port);
    plain.write_all(b"not tls\n").unwrap();
    assert!(closed_by_server(&mut plain));
    finish(peer);
    // Mutual TLS (not on native-tls, which cannot ask for a client certificate): a device's
    // self-signed certificate named in client_ca_path gets in, a client without one does not.
    if host.tls_backend != Some("native-tls") {
        let device = self_signed(host, "device");
        tls["client_ca_path"] = device.0.clone().into();
        let port = start(&obj, 100, &[s(&tls.to_string())]);
        let address = format!("127.0.0.1:{port}");
        let with_cert = serde_json::json!({
            "accept_invalid_certs": true,
            "client_cert_path": device.0,
            "client_key_path": device.1,
        });
        let device = host.client();
        let connected = call(
            &device,
            "Connect",
            &[s(&address), s(&with_cert.to_string())],
        );
        assert_eq!(connected, Value::Bool(true));
        call(&device, "SendLine", &[s("from the device\n")]);
        let answer = next_data(&obj, &[Value::I4(0), s("\n")]);
        assert_eq!(message(&answer), b"from the device\n");
        let stranger = host.client();
        // The handshake fails on one side or the other; nothing it sends reaches the server.
        if call(&stranger, "Connect", &[s(&address), s(settings)]) == Value::Bool(true) {
            call(&stranger, "SendLine", &[s("let me in\n")]);
        }
        let none = json(&obj, "GetNextConnectionData", &[Value::I4(300)]);
        assert_eq!(none["error"], "timeout", "{none}");
        finish(device);
        finish(stranger);
    }
    finish(obj);
}

/// A self-signed certificate for `name` and its key, written to the host's files; their paths.
fn self_signed(host: &Host, name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![name.to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let cert_path = host.files.join(format!("{name}.pem"));
    let key_path = host.files.join(format!("{name}.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let text = |p: std::path::PathBuf| p.to_str().unwrap().to_string();
    (text(cert_path), text(key_path))
}

/// The names of this process's threads the library starts for servers, where the system tells
/// them (`/proc/self/task`); `None` elsewhere (a Windows build under Wine).
fn server_threads() -> Option<Vec<String>> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    Some(
        tasks
            .flatten()
            .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
            .map(|name| name.trim().to_string())
            .filter(|name| name == "tcplink-accept" || name.starts_with("tcplink-c"))
            .collect(),
    )
}

fn server_objects_created_started_and_destroyed_leave_no_thread(host: &Host) {
    for n in 0..30 {
        let obj = host.server();
        let port = start(&obj, 100, &[]);
        let mut peer = client(port);
        peer.write_all(format!("object {n}").as_bytes()).unwrap();
        assert_eq!(
            message(&next_data(&obj, &[])),
            format!("object {n}").as_bytes()
        );
        if n % 3 == 0 {
            call(&obj, "Stop", &[]);
        } else if n % 3 == 1 {
            obj.done();
        }
        finish(obj);
        assert!(
            closed_by_server(&mut peer),
            "object {n}: its connection stayed open"
        );
        if let Some(threads) = server_threads() {
            assert!(threads.is_empty(), "object {n}: threads left: {threads:?}");
        }
    }
}

fn a_small_buffer_limit_bounds_unread_and_every_byte_arrives_in_order(host: &Host) {
    const LIMIT: usize = 4096;
    const TOTAL: usize = 256 * 1024;
    // The settings from a .json file, as a configuration may keep them.
    let path = host.files.join("server-settings.json");
    std::fs::write(&path, format!(r#"{{"buffer_limit": {LIMIT}}}"#)).unwrap();
    let obj = host.server();
    let port = start(&obj, 100, &with_settings("", path.to_str().unwrap()));
    let sent: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
    let mut pusher = client(port);
    let data = sent.clone();
    let writer = std::thread::spawn(move || {
        pusher.write_all(&data).unwrap();
        pusher
    });
    let id = wait_for_count(&obj, 1).remove(0);
    let unread = || {
        let list = json(&obj, "GetConnectionList", &[]);
        let unread = list["connections"][0]["unread"].as_u64().unwrap() as usize;
        assert!(
            unread <= LIMIT,
            "{unread} bytes unread, over the limit {LIMIT}"
        );
        unread
    };
    // The server fills the connection's buffer up to the limit, then leaves the rest to TCP.
    let started = Instant::now();
    while unread() < LIMIT {
        assert!(started.elapsed() < FIVE, "the buffer never filled");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(unread(), LIMIT);
    let mut got = Vec::with_capacity(TOTAL);
    while got.len() < TOTAL {
        let args = [s(&id), Value::I4(5000), Value::I4(0)];
        let answer = json(&obj, "GetConnectionData", &args);
        assert_eq!(answer["result"], true, "{answer} after {} bytes", got.len());
        got.extend(message(&answer));
        if got.len() < TOTAL {
            unread();
        }
    }
    let first_difference = sent.iter().zip(&got).position(|(a, b)| a != b);
    assert!(
        got.len() == TOTAL && first_difference.is_none(),
        "{} bytes, the first difference at {first_difference:?}",
        got.len()
    );
    drop(writer.join().unwrap());
    finish(obj);
}

fn a_short_handshake_timeout_closes_a_silent_tls_client(host: &Host) {
    if !tls_server_checkable(host) {
        return;
    }
    // A .pfx here, so that the add-in's PKCS#12 server identity is served too.
    let tls = on_backend(host, pfx_identity(host));
    let obj = host.server();
    let settings = r#"{"handshake_timeout": 500}"#;
    let port = start(&obj, 100, &with_settings(&tls.to_string(), settings));
    // A client that connects and says nothing is closed after the handshake timeout (the
    // default would wait 10 s; the upper bound leaves room for valgrind, which runs this too)
    // and never listed.
    let mut silent = client(port);
    let started = Instant::now();
    assert!(closed_by_server(&mut silent), "the silent client stayed");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "closed after {took:?}"
    );
    assert!(listed(&obj).is_empty());
    // One that shakes hands in time gets in.
    let peer = host.client();
    let address = format!("127.0.0.1:{port}");
    let settings = r#"{"use_tls": true, "accept_invalid_certs": true}"#;
    assert_eq!(
        call(&peer, "Connect", &[s(&address), s(settings)]),
        Value::Bool(true)
    );
    call(&peer, "SendLine", &[s("in time\n")]);
    let answer = next_data(&obj, &[Value::I4(0), s("\n")]);
    assert_eq!(message(&answer), b"in time\n");
    finish(peer);
    finish(obj);
}

/// Reads what `obj`'s next connection with data sent until the read that reports its end
/// (`active` = false); its ID and the bytes.
fn read_to_client_end(obj: &AddinObject) -> (String, Vec<u8>) {
    let mut got = Vec::new();
    loop {
        let answer = next_data(obj, &[]);
        got.extend(message(&answer));
        if answer["active"] == false {
            return (answer["connectionId"].as_str().unwrap().to_string(), got);
        }
    }
}

fn a_client_that_half_closes_is_answered_when_connections_stay_open(host: &Host) {
    let obj = host.server();
    let settings = r#"{"keep_open_after_client_end": true}"#;
    let port = start(&obj, 100, &with_settings("", settings));
    let mut asker = client(port);
    asker.write_all(b"question?").unwrap();
    asker.shutdown(Shutdown::Write).unwrap();
    let (id, question) = read_to_client_end(&obj);
    assert_eq!(question, b"question?");
    // Still listed, open for sending only, and no news from it any more.
    let list = json(&obj, "GetConnectionList", &[]);
    let entry = &list["connections"][0];
    assert_eq!(entry["connectionId"], id.as_str(), "{list}");
    assert_eq!(
        (entry["canRead"].as_bool(), entry["canWrite"].as_bool()),
        (Some(false), Some(true)),
        "{list}"
    );
    let none = json(&obj, "GetNextConnectionData", &[Value::I4(100)]);
    assert_eq!(none["error"], "timeout", "{none}");
    // The answer, sent after its last data was read, then the end.
    assert_eq!(
        call(&obj, "SendData", &[s(&id), s("answer!")]),
        Value::Bool(true)
    );
    assert_eq!(call(&obj, "CompleteSend", &[s(&id)]), Value::Bool(true));
    let mut answer = Vec::new();
    asker.read_to_end(&mut answer).unwrap();
    assert_eq!(answer, b"answer!");
    wait_for_count(&obj, 0);
    assert_eq!(
        call(&obj, "SendData", &[s(&id), s("late")]),
        Value::Bool(false)
    );
    assert_eq!(error_of(&obj).0, "argument");
    // CloseIncomingConnection ends such a connection as well.
    let mut leaver = client(port);
    leaver.write_all(b"bye").unwrap();
    leaver.shutdown(Shutdown::Write).unwrap();
    let (id, _) = read_to_client_end(&obj);
    assert_eq!(wait_for_count(&obj, 1), std::slice::from_ref(&id));
    assert_eq!(
        call(&obj, "CloseIncomingConnection", &[s(&id)]),
        Value::Bool(true)
    );
    assert!(closed_by_server(&mut leaver));
    wait_for_count(&obj, 0);
    finish(obj);
}

/// One check: its name and what it runs.
pub type Check = (&'static str, fn(&Host));

/// Every check of this scenario, by name.
pub const CHECKS: [Check; 9] = [
    (
        "server: receive, answer, list and close",
        receive_answer_list_and_close,
    ),
    (
        "server: stop and start again on the same port",
        stop_and_start_again_on_the_same_port,
    ),
    (
        "server: a full pool refuses the newcomer or evicts the oldest",
        a_full_pool_refuses_the_newcomer_or_evicts_the_oldest,
    ),
    (
        "server: only allowed addresses get in",
        only_allowed_addresses_get_in,
    ),
    (
        "server: TLS with an rcgen certificate answers the add-in's client, mutual TLS too",
        a_tls_server_with_an_rcgen_certificate_answers_the_addins_client,
    ),
    (
        "server: objects created, started and destroyed leave no thread",
        server_objects_created_started_and_destroyed_leave_no_thread,
    ),
    (
        "server: a small buffer_limit bounds unread and every byte arrives in order",
        a_small_buffer_limit_bounds_unread_and_every_byte_arrives_in_order,
    ),
    (
        "server: a short handshake_timeout closes a silent TLS client",
        a_short_handshake_timeout_closes_a_silent_tls_client,
    ),
    (
        "server: with keep_open_after_client_end a client that half-closes is answered",
        a_client_that_half_closes_is_answered_when_connections_stay_open,
    ),
];
