//! Bulk read: the library reader against a raw 64 KiB read loop on the same stream type, per
//! transport, and against `socat -u TCP:… /dev/null`, every side measured in turn within each
//! repetition.
//!
//! Both sides build their TLS configuration before the timing: the raw loop's connector is built
//! once, and one untimed read on each side first fills the library's configuration cache and
//! gives both a session to resume where the backend keeps one.

use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::clients::{library_read, raw_connector, raw_read, Kind};
use crate::pki::Pki;
use crate::report::Row;
use crate::servers::payload_server;
use crate::stats::{best, mib_per_s, timed};

/// The bulk-read target: library throughput at least this share of the raw loop's.
pub const TARGET: f64 = 0.95;

/// What the bulk reads measured: the rows, and the library / raw loop ratio over plain TCP.
pub struct Bulk {
    /// The table rows.
    pub rows: Vec<Row>,
    /// The plain-TCP library / raw loop throughput ratio.
    pub plain_ratio: f64,
}

/// Measures every transport.
pub fn run(pki: &Pki, bytes: usize, reps: usize) -> Bulk {
    let payload = Arc::new(pattern(bytes));
    let mut rows = Vec::new();
    let mut plain_ratio = 0.0;
    let mut socat_row = None;
    for kind in Kind::all() {
        let tls = matches!(kind, Kind::Tls(_)).then(|| pki.server.clone());
        let port = payload_server(payload.clone(), 1, tls);
        let connector = raw_connector(kind, pki);
        // Each side's timing covers its read only: checking what arrived and freeing it happen
        // after the clock stops, the same for both.
        let raw_once = || {
            let (time, data) = timed(|| raw_read(&connector, port));
            assert_eq!(data.len(), bytes, "raw {kind:?} read a short payload");
            time
        };
        let library_once = || {
            let (time, out) = timed(|| library_read(kind, port, pki, b""));
            assert!(
                out.data.len() == bytes && out.data == *payload,
                "library {kind:?} read differs"
            );
            time
        };
        raw_once();
        library_once();
        let (mut raw, mut lib, mut socat) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..reps {
            raw.push(raw_once());
            lib.push(library_once());
            if kind == Kind::Plain {
                socat.push(timed(|| run_socat(port)).0);
            }
        }
        let (raw, lib) = (best(&raw), best(&lib));
        let ratio = raw.as_secs_f64() / lib.as_secs_f64();
        if kind == Kind::Plain {
            plain_ratio = ratio;
            let socat = best(&socat);
            socat_row = Some(Row::info(
                format!("bulk read {} MiB, plain: library / socat -u", bytes >> 20),
                format!(
                    "{:.2} ({:.0} vs {:.0} MiB/s)",
                    socat.as_secs_f64() / lib.as_secs_f64(),
                    mib_per_s(bytes, lib),
                    mib_per_s(bytes, socat)
                ),
            ));
        }
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
    rows.extend(socat_row);
    Bulk { rows, plain_ratio }
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
