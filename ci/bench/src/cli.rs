//! The `tcplink` CLI as a whole process, pulling an answer to /dev/null on loopback, against
//! `socat -u TCP:… /dev/null` and the `raw-read` binary (a 64 KiB read loop over plain TCP or the
//! TLS library's own stream), run interleaved; and the CLI's peak memory, from wait4(2) in the
//! small `peak-rss` binary.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bulk::pattern;
use crate::clients::Kind;
use crate::pki::Pki;
use crate::report::Row;
use crate::servers::payload_server;
use crate::stats::{best, mib_per_s};

/// CLI time over socat's, plain TCP.
const TARGET_SOCAT: f64 = 0.80;
/// CLI time over the raw read loop's, plain TCP.
const TARGET_RAW: f64 = 1.25;
/// The CLI's peak memory, whatever the answer's size.
const TARGET_RSS: u64 = 32 << 20;

/// A program next to this benchmark's binary (cargo builds them into the same directory).
pub fn sibling(name: &str) -> PathBuf {
    let path = std::env::current_exe().unwrap().with_file_name(name);
    assert!(
        path.exists(),
        "{} is missing: ci/bench/run builds it",
        path.display()
    );
    path
}

/// Runs `command` with stdout to /dev/null; returns how long it took.
fn run(mut command: Command) -> Duration {
    let start = Instant::now();
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let took = start.elapsed();
    assert!(status.success(), "{command:?} failed: {status}");
    took
}

/// Runs `command` through `peak-rss`; returns its peak resident memory in bytes.
fn peak_rss(command: &Command) -> u64 {
    let out = Command::new(sibling("peak-rss"))
        .arg(command.get_program())
        .args(command.get_args())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let (code, rss) = text
        .trim()
        .split_once(' ')
        .expect("peak-rss prints two numbers");
    assert_eq!(code, "0", "{command:?} failed");
    rss.parse().unwrap()
}

/// `tcplink request` reading everything the server on `port` sends, raw, to stdout.
fn cli(kind: Kind, port: u16, pki: &Pki) -> Command {
    let mut command = Command::new(sibling("tcplink"));
    command.args(["request", "-a", &format!("127.0.0.1:{port}")]);
    command.args(["--string", "false", "--marker", "", "--timeout", "30s"]);
    if let Kind::Tls(backend) = kind {
        command.arg("--ca").arg(&pki.ca_path);
        command.args(["--backend", backend.name()]);
    }
    command
}

/// The raw read loop over the same transport.
fn raw(kind: Kind, port: u16, pki: &Pki) -> Command {
    let mut command = Command::new(sibling("raw-read"));
    command.arg(port.to_string());
    if let Kind::Tls(backend) = kind {
        command.arg(backend.name()).arg(&pki.ca_path);
    }
    command
}

fn socat(port: u16) -> Command {
    let mut command = Command::new("socat");
    command.args(["-u", &format!("TCP:127.0.0.1:{port}"), "/dev/null"]);
    command
}

/// Measures every transport with answers of `bytes`, and the CLI's peak memory for `bytes` and
/// `large` (a multiple of `bytes`).
pub fn run_all(pki: &Pki, bytes: usize, large: usize, reps: usize) -> Vec<Row> {
    let payload = Arc::new(pattern(bytes));
    let mut rows = Vec::new();
    for kind in Kind::all() {
        let tls = matches!(kind, Kind::Tls(_)).then(|| pki.server.clone());
        let port = payload_server(payload.clone(), 1, tls);
        let (mut ours, mut loops, mut socats) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..reps {
            ours.push(run(cli(kind, port, pki)));
            loops.push(run(raw(kind, port, pki)));
            if kind == Kind::Plain {
                socats.push(run(socat(port)));
            }
        }
        let (ours, loops) = (best(&ours), best(&loops));
        let figure = |theirs: Duration| {
            format!(
                "{:.2} ({:.0} vs {:.0} MiB/s)",
                ours.as_secs_f64() / theirs.as_secs_f64(),
                mib_per_s(bytes, ours),
                mib_per_s(bytes, theirs)
            )
        };
        let name = |against: &str| {
            format!(
                "tcplink request {} MiB to /dev/null, {}: CLI time / {against}",
                bytes >> 20,
                kind.name()
            )
        };
        if kind == Kind::Plain {
            let socat = best(&socats);
            rows.push(Row::check(
                name("socat -u"),
                figure(socat),
                format!("<= {TARGET_SOCAT:.2}"),
                ours.as_secs_f64() / socat.as_secs_f64() <= TARGET_SOCAT,
            ));
            rows.push(Row::check(
                name("raw 64 KiB read loop"),
                figure(loops),
                format!("<= {TARGET_RAW:.2}"),
                ours.as_secs_f64() / loops.as_secs_f64() <= TARGET_RAW,
            ));
        } else {
            rows.push(Row::info(
                name("the TLS library's own read loop"),
                figure(loops),
            ));
        }
    }
    for size in [bytes, large] {
        let port = payload_server(payload.clone(), size / bytes, None);
        let rss = peak_rss(&cli(Kind::Plain, port, pki));
        rows.push(Row::check(
            format!("tcplink request peak RSS, {} MiB answer", size >> 20),
            format!("{:.1} MiB", rss as f64 / 1048576.0),
            format!("< {} MiB", TARGET_RSS >> 20),
            rss < TARGET_RSS,
        ));
    }
    rows
}
