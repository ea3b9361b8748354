//! Memory: the peak RSS a read of N bytes adds, through the library and through the add-in,
//! measured in a child process so the server's copy of the payload does not count. The add-in's
//! read holds its read buffer and the platform block at once: 2N at the peak.

use std::process::Command;
use std::sync::Arc;

use crate::addin;
use crate::bulk::pattern;
use crate::clients::{library_read, Kind};
use crate::pki::Pki;
use crate::report::Row;
use crate::servers::payload_server;

/// The flag that makes the benchmark binary act as the measured child.
pub const CHILD_FLAG: &str = "--rss-child";

/// How the child reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// `Connection::read`.
    Library,
    /// ReadBinaryData through the test host.
    Addin,
}

impl Reader {
    fn name(self) -> &'static str {
        match self {
            Reader::Library => "library",
            Reader::Addin => "add-in",
        }
    }

    /// The reader named `name` on the child's command line.
    pub fn parse(name: &str) -> Reader {
        match name {
            "add-in" => Reader::Addin,
            _ => Reader::Library,
        }
    }
}

/// Serves `bytes` and has a child process read them with each reader; checks peak RSS growth
/// ≤ 2N + 1 MiB.
pub fn run(bytes: usize) -> Vec<Row> {
    let port = payload_server(Arc::new(pattern(bytes)), 1, None);
    let mut rows = vec![measure(Reader::Library, port, bytes)];
    if addin::available() {
        rows.push(measure(Reader::Addin, port, bytes));
    }
    rows
}

fn measure(reader: Reader, port: u16, bytes: usize) -> Row {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            CHILD_FLAG,
            &port.to_string(),
            &bytes.to_string(),
            reader.name(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let grown: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let limit = 2 * bytes + (1 << 20);
    Row::check(
        format!(
            "peak RSS growth reading {} MiB, {}",
            bytes >> 20,
            reader.name()
        ),
        format!(
            "{:.1} MiB ({:.2} N)",
            grown as f64 / 1048576.0,
            grown as f64 / bytes as f64
        ),
        "<= 2N + 1 MiB",
        grown <= limit,
    )
}

/// The child: reads `bytes` from `port` and prints how much the peak RSS grew, in bytes. The
/// add-in is loaded and connected before the first measurement.
pub fn child(port: u16, bytes: usize, reader: Reader, pki: &Pki) {
    let grown = match reader {
        Reader::Library => {
            let before = peak_rss();
            let out = library_read(Kind::Plain, port, pki, b"");
            assert_eq!(out.data.len(), bytes);
            peak_rss().saturating_sub(before)
        }
        Reader::Addin => {
            let library = addin::load().expect("the add-in loads");
            let object = addin::connected(&library, port);
            let before = peak_rss();
            let (ok, len) = object
                .call_inspecting_blob("ReadBinaryData", &addin::read_args(0), <[u8]>::len)
                .unwrap();
            assert!(
                ok && len == Some(bytes),
                "ReadBinaryData read {len:?} bytes"
            );
            peak_rss().saturating_sub(before)
        }
    };
    println!("{grown}");
}

/// VmHWM from /proc/self/status, in bytes.
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}
