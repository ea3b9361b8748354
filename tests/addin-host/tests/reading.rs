//! The reading rules through the add-in, over real servers: the marker (string or binary) is
//! kept, leftovers come first in the next read, the size limit, the idle timeout, EOF,
//! encodings, ProcessRequest, and very large binary data.

mod common;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use addin_host::Value;
use common::*;

fn blob(bytes: &[u8]) -> Value {
    Value::Blob(bytes.to_vec())
}

fn read_end(obj: &addin_host::AddinObject) -> Value {
    obj.get_prop("ПричинаОкончанияЧтения").unwrap().value
}

#[test]
fn the_marker_is_kept_and_the_leftover_comes_next() {
    let echo = socat_echo();
    let obj = client();
    assert_eq!(
        call(&obj, "ОткрытьСоединение", &[s(&echo.addr())]),
        Value::Bool(true)
    );
    assert_eq!(
        call(
            &obj,
            "ОтправитьДвоичныеДанные",
            &[blob(b"one\r\ntwo\r\nthr")]
        ),
        Value::Bool(true)
    );
    let first = call(
        &obj,
        "ПрочитатьДвоичныеДанные",
        &[Value::I4(0), s("\r\n"), Value::I4(3000)],
    );
    assert_eq!(first.as_blob(), b"one\r\n");
    assert_eq!(read_end(&obj), s("marker"));
    let second = call(&obj, "ReadLine", &[s("UTF-8"), s("\r\n"), Value::I4(3000)]);
    assert_eq!(second, s("two\r\n"));
    let rest = call(
        &obj,
        "ReadBinaryData",
        &[Value::I4(0), s(""), Value::I4(300)],
    );
    assert_eq!(rest.as_blob(), b"thr");
    assert_eq!(read_end(&obj), s("timeout"));
    assert_eq!(
        last_error(&obj),
        serde_json::Value::Null,
        "a timeout is not an error"
    );
    finish(obj);
}

#[test]
fn the_size_limit_ends_a_read_and_keeps_the_excess() {
    let echo = socat_echo();
    let obj = client();
    call(&obj, "Connect", &[s(&echo.addr())]);
    call(&obj, "SendLine", &[s("0123456789")]);
    let read = |max: i32| {
        call(
            &obj,
            "ReadBinaryData",
            &[Value::I4(max), s(""), Value::I4(2000)],
        )
    };
    assert_eq!(read(4).as_blob(), b"0123");
    assert_eq!(read_end(&obj), s("size"));
    assert_eq!(read(4).as_blob(), b"4567");
    // A marker beyond the size limit does not stretch it.
    call(&obj, "SendLine", &[s("ab\n")]);
    let out = call(
        &obj,
        "ReadBinaryData",
        &[Value::R8(3.0), s("\n"), Value::I4(2000)],
    );
    assert_eq!(out.as_blob(), b"89a");
    assert_eq!(read_end(&obj), s("size"));
    let out = call(
        &obj,
        "ReadBinaryData",
        &[Value::I4(3), s("\n"), Value::I4(2000)],
    );
    assert_eq!(out.as_blob(), b"b\n");
    assert_eq!(read_end(&obj), s("marker"));
    finish(obj);
}

#[test]
fn a_binary_marker_is_matched_byte_for_byte() {
    let echo = socat_echo();
    let obj = client();
    call(&obj, "Connect", &[s(&echo.addr())]);
    call(
        &obj,
        "SendBinaryData",
        &[blob(&[1, 2, 0xFF, 0, 3, 0xFF, 0])],
    );
    let out = call(
        &obj,
        "ReadBinaryData",
        &[Value::I4(0), blob(&[0xFF, 0]), Value::I4(2000)],
    );
    assert_eq!(out.as_blob(), [1, 2, 0xFF, 0]);
    // A binary marker works for text reads too.
    let out = call(
        &obj,
        "ReadLine",
        &[s("windows-1251"), blob(&[0xFF, 0]), Value::I4(2000)],
    );
    assert_eq!(out, s("\u{3}я\u{0}"));
    assert_eq!(read_end(&obj), s("marker"));
    finish(obj);
}

#[test]
fn eof_returns_what_arrived_and_is_not_an_error() {
    let addr = send_and_close(b"bye".to_vec());
    let obj = client();
    call(&obj, "Connect", &[s(&addr.to_string())]);
    assert_eq!(
        call(&obj, "ReadLine", &[s("UTF-8"), s("\n"), Value::I4(3000)]),
        s("bye")
    );
    assert_eq!(read_end(&obj), s("eof"));
    assert_eq!(last_error(&obj), serde_json::Value::Null);
    assert_eq!(call(&obj, "ReadLine", &[]), s(""));
    assert_eq!(read_end(&obj), s("eof"));
    // The connection stays open on our side until closed.
    assert_eq!(obj.get_prop("Connected").unwrap().value, Value::Bool(true));
    finish(obj);
}

#[test]
fn the_idle_timeout_returns_partial_data_and_zero_means_no_limit() {
    // The late bytes follow 800 ms after the client asks, once its first read ended.
    let addr = serve(|mut stream| {
        let _ = stream.write_all(b"part");
        let mut go = [0u8; 1];
        if std::io::Read::read_exact(&mut stream, &mut go).is_ok() {
            thread::sleep(Duration::from_millis(800));
            let _ = stream.write_all(b"late");
        }
        thread::sleep(Duration::from_secs(3));
    });
    let obj = client();
    call(&obj, "Connect", &[s(&addr.to_string())]);
    let started = Instant::now();
    assert_eq!(
        call(&obj, "ReadLine", &[s("UTF-8"), s("\n"), Value::I4(300)]),
        s("part")
    );
    let waited = started.elapsed();
    // Nothing else can end the read: the upper margin only catches a read that hangs.
    assert!(
        waited >= Duration::from_millis(280) && waited < Duration::from_millis(3000),
        "{waited:?}"
    );
    assert_eq!(read_end(&obj), s("timeout"));
    call(&obj, "SendLine", &[s("g")]);
    // Timeout 0: wait as long as it takes (here, 800 ms for the late bytes).
    let started = Instant::now();
    let out = call(&obj, "ReadBinaryData", &[Value::I4(4), s(""), Value::I4(0)]);
    assert_eq!(out.as_blob(), b"late");
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(read_end(&obj), s("size"));
    finish(obj);
}

#[test]
fn encodings_write_and_read_the_right_bytes() {
    let echo = socat_echo();
    let obj = client();
    call(&obj, "Connect", &[s(&echo.addr())]);
    let cases: [(&str, &[u8]); 5] = [
        ("UTF-8", &[0xD0, 0xAF, b';']),
        ("windows-1251", &[0xDF, b';']),
        ("KOI8-R", &[0xF1, b';']),
        ("CP866", &[0x9F, b';']),
        ("UTF-16LE", &[0x2F, 0x04, b';', 0]),
    ];
    for (encoding, bytes) in cases {
        call(&obj, "SendLine", &[s("Я;"), s(encoding)]);
        let raw = call(
            &obj,
            "ReadBinaryData",
            &[Value::I4(bytes.len() as i32), s(""), Value::I4(2000)],
        );
        assert_eq!(raw.as_blob(), bytes, "{encoding}");
        // The string marker is encoded in the read's encoding.
        call(
            &obj,
            "ОтправитьСтроку",
            &[s("Привет; мир;"), s(encoding), Value::I4(2000)],
        );
        let text = call(
            &obj,
            "ПрочитатьСтроку",
            &[s(encoding), s(";"), Value::I4(2000)],
        );
        assert_eq!(text, s("Привет;"), "{encoding}");
        let text = call(
            &obj,
            "ПрочитатьСтроку",
            &[s(encoding), s(";"), Value::I4(2000)],
        );
        assert_eq!(text, s(" мир;"), "{encoding}");
    }
    finish(obj);
}

#[test]
fn process_request_round_trips_as_text_or_binary() {
    let echo = socat_echo();
    let obj = client();
    let answer = call(
        &obj,
        "ОбработатьЗапрос",
        &[s(&echo.addr()), s("привет\nrest")],
    );
    assert_eq!(answer, s("привет\n"));
    assert_eq!(read_end(&obj), s("marker"));
    let answer = call(
        &obj,
        "ProcessRequest",
        &[s(&echo.addr()), blob(&[0, 1, b'\n', 2]), Value::Bool(false)],
    );
    assert_eq!(answer.as_blob(), [0, 1, b'\n']);
    // The object's own connection is not involved.
    assert_eq!(obj.get_prop("Connected").unwrap().value, Value::Bool(false));
    finish(obj);
}

#[test]
fn very_large_binary_data_goes_both_ways() {
    const SIZE: usize = 256 << 20;
    let pattern: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let expected = pattern.clone();
    // A sink that counts what arrives and answers with the count.
    let sink = serve(move |mut stream| {
        let mut total = 0usize;
        let mut buf = vec![0u8; 1 << 20];
        while total < SIZE {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
        let _ = stream.write_all(format!("{total}\n").as_bytes());
    });
    let obj = client();
    call(&obj, "Connect", &[s(&sink.to_string())]);
    assert_eq!(
        call(
            &obj,
            "SendBinaryData",
            &[Value::Blob(pattern), Value::I4(60_000)]
        ),
        Value::Bool(true)
    );
    assert_eq!(
        call(&obj, "ReadLine", &[s("UTF-8"), s("\n"), Value::I4(60_000)]),
        s(&format!("{SIZE}\n"))
    );
    call(&obj, "Close", &[]);
    let source = send_and_close(expected.clone());
    call(&obj, "Connect", &[s(&source.to_string())]);
    let got = call(
        &obj,
        "ReadBinaryData",
        &[Value::I4(0), s(""), Value::I4(60_000)],
    );
    assert!(
        got.as_blob() == expected.as_slice(),
        "the 256 MiB answer differs"
    );
    assert_eq!(read_end(&obj), s("eof"));
    assert!(obj.memory().largest >= SIZE);
    finish(obj);
}

#[test]
fn data_the_platform_could_not_take_stays_buffered() {
    let data: Vec<u8> = (0..3 << 20).map(|i| (i % 253) as u8).collect();
    let source = send_and_close(data.clone());
    let obj = client();
    call(&obj, "Connect", &[s(&source.to_string())]);
    let read_all = [Value::I4(0), s(""), Value::I4(10_000)];
    obj.refuse_blocks_above(Some(1 << 20));
    assert_eq!(call(&obj, "ReadBinaryData", &read_all), blob(b""));
    assert!(
        error_message(&obj).contains("could not allocate"),
        "{}",
        error_message(&obj)
    );
    // The bytes are still there: in parts that fit, or whole once the platform has memory.
    let part = call(
        &obj,
        "ReadBinaryData",
        &[Value::I4(1 << 20), s(""), Value::I4(10_000)],
    );
    assert!(part.as_blob() == &data[..1 << 20], "the first part differs");
    obj.refuse_blocks_above(None);
    let rest = call(&obj, "ReadBinaryData", &read_all);
    assert!(rest.as_blob() == &data[1 << 20..], "the rest differs");
    assert_eq!(read_end(&obj), s("eof"));
    finish(obj);
}

#[test]
fn a_read_called_as_a_procedure_consumes_its_data() {
    let source = send_and_close(b"skip\nkeep\n".to_vec());
    let obj = client();
    call(&obj, "Connect", &[s(&source.to_string())]);
    assert_eq!(
        obj.call_proc("ReadBinaryData", &[Value::I4(0), s("\n")]),
        Ok(true)
    );
    assert_eq!(call(&obj, "ReadLine", &[]), s("keep\n"));
    finish(obj);
}

#[test]
fn repeated_large_reads_on_one_connection_return_every_byte_in_order() {
    const PART: usize = 8 << 20;
    let data: Vec<u8> = (0..5 * PART).map(|i| (i % 249) as u8).collect();
    let source = send_and_close(data.clone());
    let obj = client();
    call(&obj, "Connect", &[s(&source.to_string())]);
    for (i, expected) in data.chunks(PART).enumerate() {
        let part = call(
            &obj,
            "ReadBinaryData",
            &[Value::I4(PART as i32), s(""), Value::I4(10_000)],
        );
        assert!(part.as_blob() == expected, "part {i} differs");
        assert_eq!(read_end(&obj), s("size"));
    }
    let memory = obj.memory();
    assert_eq!(
        memory.largest, PART,
        "one block per read, of the read's size"
    );
    finish(obj);
}

#[test]
fn a_line_the_platform_could_not_take_stays_buffered() {
    let source = send_and_close("строка\nnext\n".as_bytes().to_vec());
    let obj = client();
    call(&obj, "Connect", &[s(&source.to_string())]);
    // Every argument given: the platform's defaults would need memory too.
    let line = [s("UTF-8"), s("\n"), Value::I4(5000)];
    obj.refuse_blocks_above(Some(4));
    assert_eq!(call(&obj, "ReadLine", &line), s(""));
    obj.refuse_blocks_above(None);
    assert!(error_message(&obj).contains("could not allocate"));
    assert_eq!(call(&obj, "ReadLine", &line), s("строка\n"));
    assert_eq!(call(&obj, "ReadLine", &line), s("next\n"));
    finish(obj);
}

/// A peer that sends one byte every 100 ms and never the marker, for as long as it can.
fn trickling_peer() -> std::net::SocketAddr {
    serve(|mut stream| {
        for _ in 0..100 {
            if stream.write_all(b".").is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(100));
        }
    })
}

#[test]
fn the_timeout_bounds_the_whole_read_even_when_bytes_keep_trickling() {
    let addr = trickling_peer();
    let obj = client();
    call(&obj, "Connect", &[s(&addr.to_string())]);
    for method in ["ReadBinaryData", "ReadLine"] {
        let started = Instant::now();
        let args = if method == "ReadLine" {
            vec![s("UTF-8"), s("\n"), Value::I4(700)]
        } else {
            vec![Value::I4(0), s("\n"), Value::I4(700)]
        };
        let out = call(&obj, method, &args);
        let waited = started.elapsed();
        let bytes = match &out {
            Value::Blob(b) => b.clone(),
            Value::Str(t) => t.clone().into_bytes(),
            other => panic!("{method} returned {other:?}"),
        };
        // The trickle lasts 10 s: ending well before it is the whole-read timeout.
        assert!(
            waited >= Duration::from_millis(690) && waited < Duration::from_millis(4000),
            "{method}: {waited:?}"
        );
        assert!(
            bytes.len() >= 4 && bytes.iter().all(|&b| b == b'.'),
            "{method}: {bytes:?}"
        );
        assert_eq!(read_end(&obj), s("timeout"), "{method}");
    }
    finish(obj);
}

#[test]
fn the_idle_timeout_ends_a_read_when_no_byte_comes_for_that_long() {
    let addr = trickling_peer();
    let obj = client();
    call(&obj, "Connect", &[s(&addr.to_string())]);
    // Bytes come every 100 ms: an idle limit of 300 ms never fires, the whole-read limit does.
    let args = [Value::I4(0), s(""), Value::I4(600), Value::I4(300)];
    let out = call(&obj, "ReadBinaryData", &args);
    assert!(out.as_blob().len() >= 3, "{out:?}");
    assert_eq!(read_end(&obj), s("timeout"));
    // An idle limit below the gap between bytes ends the read as idle, with what arrived.
    let args = [s("UTF-8"), s(""), Value::I4(0), Value::I4(40)];
    let started = Instant::now();
    let out = call(&obj, "ReadLine", &args);
    assert!(started.elapsed() < Duration::from_millis(500));
    assert!(out.as_str().len() <= 2, "{out:?}");
    assert_eq!(read_end(&obj), s("idle"));
    finish(obj);
}

#[test]
fn opis_inputs_urls_settings_files_and_1c_encoding_names() {
    let echo = socat_echo();
    let port = echo.addr().rsplit_once(':').unwrap().1.to_string();
    let obj = client();
    // A URL: the scheme picks the default port only, an explicit port wins.
    let url = format!("tcp://127.0.0.1:{port}");
    assert_eq!(call(&obj, "Connect", &[s(&url)]), Value::Bool(true));
    // 1C's encoding names.
    call(&obj, "SendLine", &[s("Привет\n"), s("ANSI")]);
    let line = call(&obj, "ReadLine", &[s("windows-1251"), s("\n")]);
    assert_eq!(line, s("Привет\n"));
    call(&obj, "SendLine", &[s("Мир\n"), s("OEM")]);
    let raw = call(&obj, "ReadBinaryData", &[Value::I4(0), s("\n")]);
    assert_eq!(raw.as_blob(), [0x8C, 0xA8, 0xE0, b'\n']);
    // Settings given as the path of a .json file.
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls.json");
    std::fs::write(&tls, r#"{"use_tls": false}"#).unwrap();
    let http = format!("http://127.0.0.1:{port}/ignored");
    let args = [s(&http), s(tls.to_str().unwrap())];
    assert_eq!(call(&obj, "Connect", &args), Value::Bool(true));
    let missing = dir.path().join("missing.json");
    let args = [s(&url), s(missing.to_str().unwrap())];
    assert_eq!(call(&obj, "Connect", &args), Value::Bool(false));
    assert!(error_message(&obj).contains("missing.json"));
    finish(obj);
}
