//! `tcplink request` writes its answer to stdout as it arrives: a 1 GiB answer in bounded memory,
//! a marker split across chunks, and text whose characters are split across chunks. Small servers
//! on 127.0.0.1 send the answers in the pieces each test needs.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use common::*;

/// The answer pattern's period: a prime, so a byte lost, doubled or moved shows as a mismatch.
const PERIOD: usize = 65_521;

/// One period of pseudo-random bytes.
fn pattern() -> Vec<u8> {
    let mut state: u32 = 0x9e37_79b9;
    (0..PERIOD)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

/// Gives the pieces of `data` to a client one write at a time, `gap` apart, then closes.
fn pieces_server(pieces: Vec<Vec<u8>>, gap: Duration) -> String {
    let port = fault_server(move |mut stream: TcpStream| {
        stream.set_nodelay(true).unwrap();
        for piece in &pieces {
            if stream.write_all(piece).is_err() {
                return;
            }
            thread::sleep(gap);
        }
    });
    format!("127.0.0.1:{port}")
}

#[test]
fn a_one_gib_answer_streams_through_in_bounded_memory_with_every_byte_in_place() {
    const TOTAL: u64 = 1 << 30;
    let period = pattern();
    let sent = period.clone();
    let port = fault_server(move |mut stream: TcpStream| {
        let mut left = TOTAL;
        while left > 0 {
            let n = left.min(PERIOD as u64) as usize;
            if stream.write_all(&sent[..n]).is_err() {
                return;
            }
            left -= n as u64;
        }
    });
    let addr = format!("127.0.0.1:{port}");
    let mut received: u64 = 0;
    let mut mismatch = None;
    let (ended, stderr) = run_streaming(
        &[
            "request", "-a", &addr, "--string", "false", "--marker", "", "-v",
        ],
        |mut piece| {
            while !piece.is_empty() {
                let at = (received % PERIOD as u64) as usize;
                let n = piece.len().min(PERIOD - at);
                if mismatch.is_none() && piece[..n] != period[at..at + n] {
                    mismatch = Some(received);
                }
                received += n as u64;
                piece = &piece[n..];
            }
        },
    );
    assert_eq!(ended.code, Some(code::OK), "{stderr}");
    assert_eq!(received, TOTAL, "byte count");
    assert_eq!(mismatch, None, "first byte that differs from the pattern");
    assert!(
        stderr.contains(&format!("read ended on eof after {TOTAL} bytes")),
        "{stderr}"
    );
    assert!(
        ended.peak_rss < 32 << 20,
        "peak RSS {} MiB for a 1 GiB answer",
        ended.peak_rss >> 20
    );
}

#[test]
fn a_marker_split_across_every_chunk_boundary_ends_the_answer_and_nothing_after_it_is_printed() {
    // More than one read chunk before the marker, so the answer is on its way before it ends.
    let before: Vec<u8> = (0..200_000).map(|i| b'a' + (i % 26) as u8).collect();
    let marker = b"<<END>>";
    let mut splits: Vec<Vec<Vec<u8>>> = (1..marker.len())
        .map(|cut| {
            let mut first = before.clone();
            first.extend_from_slice(&marker[..cut]);
            let mut second = marker[cut..].to_vec();
            second.extend_from_slice(b"after");
            vec![first, second]
        })
        .collect();
    // And every byte of the marker in a chunk of its own.
    let mut one_by_one = vec![before.clone()];
    one_by_one.extend(marker.iter().map(|b| vec![*b]));
    one_by_one.push(b"after".to_vec());
    splits.push(one_by_one);
    let mut expected = before.clone();
    expected.extend_from_slice(marker);
    for pieces in splits {
        let sizes: Vec<usize> = pieces.iter().map(Vec::len).collect();
        let addr = pieces_server(pieces, Duration::from_millis(30));
        let run = run(&[
            "request", "-a", &addr, "--string", "false", "--marker", "<<END>>", "-v",
        ])
        .expect(code::OK);
        assert!(run.stdout == expected, "pieces of {sizes:?}");
        run.stderr_has(&[&format!(
            "read ended on marker after {} bytes",
            expected.len()
        )]);
    }
}

#[test]
fn text_with_characters_split_across_chunks_prints_them_whole() {
    let text = "привет, мир: € 𝄞 ok\n";
    let cases: [(Vec<Vec<u8>>, &str, &str); 3] = [
        // Every byte in a chunk of its own: each multi-byte character is split.
        (text.bytes().map(|b| vec![b]).collect(), r"\n", text),
        // A sequence cut short by the next chunk's ASCII: one U+FFFD for it, as for the whole.
        (
            vec![
                b"ok \xe2\x82".to_vec(),
                b"A\xf0\x9d".to_vec(),
                b"\x84\x9e\n".to_vec(),
            ],
            r"\n",
            "ok \u{fffd}A𝄞\n",
        ),
        // The answer ends inside a sequence.
        (vec![b"ab\xe2".to_vec(), b"\x82".to_vec()], "", "ab\u{fffd}"),
    ];
    for (pieces, marker, expected) in cases {
        let addr = pieces_server(pieces, Duration::from_millis(5));
        let run = run(&["request", "-a", &addr, "--marker", marker]).expect(code::OK);
        assert_eq!(run.out(), expected);
        assert_eq!(run.stdout, expected.as_bytes(), "byte for byte");
    }
}
