//! Memory: the peak RSS a library read of N bytes adds, measured in a child process so the
//! server's copy of the payload does not count.

use std::process::Command;
use std::sync::Arc;

use crate::bulk::pattern;
use crate::clients::{library_read, Kind};
use crate::pki::Pki;
use crate::report::Row;
use crate::servers::payload_server;

/// The flag that makes the benchmark binary act as the measured child.
pub const CHILD_FLAG: &str = "--rss-child";

/// Serves `bytes` and has a child process read them; checks peak RSS growth ≤ 2N + 1 MiB.
pub fn run(bytes: usize) -> Row {
    let port = payload_server(Arc::new(pattern(bytes)), None);
    let out = Command::new(std::env::current_exe().unwrap())
        .args([CHILD_FLAG, &port.to_string(), &bytes.to_string()])
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
        format!("peak RSS growth reading {} MiB", bytes >> 20),
        format!(
            "{:.1} MiB ({:.2} N)",
            grown as f64 / 1048576.0,
            grown as f64 / bytes as f64
        ),
        "<= 2N + 1 MiB",
        grown <= limit,
    )
}

/// The child: reads `bytes` from `port` and prints how much the peak RSS grew, in bytes.
pub fn child(port: u16, bytes: usize, pki: &Pki) {
    let before = peak_rss();
    let out = library_read(Kind::Plain, port, pki, b"");
    assert_eq!(out.data.len(), bytes);
    println!("{}", peak_rss().saturating_sub(before));
}

/// VmHWM from /proc/self/status, in bytes.
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}
