//! Bulk read: the library reader against a raw 64 KiB read loop on the same stream type, per
//! transport, and against `socat -u TCP:… /dev/null`.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::clients::{library_read, raw_read, Kind};
use crate::pki::Pki;
use crate::report::Row;
use crate::servers::payload_server;
use crate::stats::{best, mib_per_s, timed};

/// The bulk-read target: library throughput at least this share of the raw loop's.
const TARGET: f64 = 0.95;

/// Measures every transport; returns the rows and the library's best plain-TCP time.
pub fn run(pki: &Pki, bytes: usize, reps: usize) -> (Vec<Row>, Duration) {
    let payload = Arc::new(pattern(bytes));
    let mut rows = Vec::new();
    let mut plain_library = Duration::ZERO;
    for kind in Kind::all() {
        let tls = matches!(kind, Kind::Tls(_)).then(|| pki.server.clone());
        let port = payload_server(payload.clone(), 1, tls);
        let (mut raw, mut lib) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let (t, data) = timed(|| raw_read(kind, port, pki));
            assert_eq!(data.len(), bytes, "raw {kind:?} read a short payload");
            raw.push(t);
            let (t, out) = timed(|| library_read(kind, port, pki, b""));
            assert!(
                out.data.len() == bytes && out.data == *payload,
                "library {kind:?} read differs"
            );
            lib.push(t);
        }
        let (raw, lib) = (best(&raw), best(&lib));
        if kind == Kind::Plain {
            plain_library = lib;
        }
        let ratio = raw.as_secs_f64() / lib.as_secs_f64();
        rows.push(Row::check(
            format!(
                "bulk read {} MiB, {}: library / raw loop",
                bytes >> 20,
                kind.name()
            ),
            format!(
                "{ratio:.2} ({:.0} vs {:.0} MiB/s)",
                mib_per_s(bytes, lib),
                mib_per_s(bytes, raw)
            ),
            format!(">= {TARGET:.2}"),
            ratio >= TARGET,
        ));
    }
    let port = payload_server(payload, 1, None);
    let socat: Vec<_> = (0..reps)
        .map(|_| timed(|| run_socat(port)).0)
        .collect::<Vec<_>>();
    let socat = best(&socat);
    rows.push(Row::info(
        format!("bulk read {} MiB, plain: library / socat -u", bytes >> 20),
        format!(
            "{:.2} ({:.0} vs {:.0} MiB/s)",
            socat.as_secs_f64() / plain_library.as_secs_f64(),
            mib_per_s(bytes, plain_library),
            mib_per_s(bytes, socat)
        ),
    ));
    (rows, plain_library)
}

fn run_socat(port: u16) {
    let status = Command::new("socat")
        .args(["-u", &format!("TCP:127.0.0.1:{port}"), "/dev/null"])
        .stdin(Stdio::null())
        .status()
        .expect("socat runs (ci/setup installs it)");
    assert!(status.success(), "socat failed: {status}");
}

/// A payload with no line feeds in it, so a marker placed at its end is the only match.
pub fn pattern(bytes: usize) -> Vec<u8> {
    (0..bytes).map(|i| b'a' + (i % 26) as u8).collect()
}
