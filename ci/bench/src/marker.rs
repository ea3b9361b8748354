//! Marker read: the cost per byte of a read that ends on a marker at the end of 16, 64 and
//! 256 MiB (4, 8 and 16 in a quick run) stays flat, and at the middle size is close to the same
//! read without a marker.

use std::sync::Arc;
use std::time::Duration;

use crate::bulk::pattern;
use crate::clients::{library_read, Kind};
use crate::pki::Pki;
use crate::report::{Row, Series};
use crate::servers::payload_server;
use crate::stats::{best, timed};

const MARKER: &[u8] = b"\r\n.\r\n";

/// The marker target: time with a marker at most this share over the time without.
pub const TARGET: f64 = 1.10;

/// What the marker reads measured.
pub struct Marker {
    /// The table rows.
    pub rows: Vec<Row>,
    /// The chart's series.
    pub series: Vec<Series>,
    /// Time with a marker over time without, at the middle size.
    pub ratio: f64,
}

/// Measures each size.
pub fn run(pki: &Pki, sizes_mib: &[usize], reps: usize) -> Marker {
    let middle = sizes_mib[sizes_mib.len() / 2];
    let mut marker_ratio = 0.0;
    let mut with_marker = Vec::new();
    let mut without = Vec::new();
    let mut rows = Vec::new();
    for &mib in sizes_mib {
        let bytes = mib << 20;
        let mut payload = pattern(bytes - MARKER.len());
        payload.extend_from_slice(MARKER);
        let port = payload_server(Arc::new(payload), 1, None);
        let (mut m, mut n) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            let (t, out) = timed(|| library_read(Kind::Plain, port, pki, MARKER));
            assert_eq!((out.data.len(), out.end), (bytes, tcplink::ReadEnd::Marker));
            m.push(t);
            let (t, out) = timed(|| library_read(Kind::Plain, port, pki, b""));
            assert_eq!((out.data.len(), out.end), (bytes, tcplink::ReadEnd::Eof));
            n.push(t);
        }
        let (m, n) = (best(&m), best(&n));
        with_marker.push((mib as f64, ns_per_byte(m, bytes)));
        without.push((mib as f64, ns_per_byte(n, bytes)));
        if mib == middle {
            let ratio = m.as_secs_f64() / n.as_secs_f64();
            marker_ratio = ratio;
            rows.push(Row::check(
                format!("marker read {mib} MiB: time with marker / without"),
                format!(
                    "{ratio:.2} ({:.0} vs {:.0} ms)",
                    m.as_secs_f64() * 1e3,
                    n.as_secs_f64() * 1e3
                ),
                format!("<= {TARGET:.2}"),
                ratio <= TARGET,
            ));
        }
    }
    // Linear cost means the cost per byte does not grow with the size; a fixed per-read cost
    // (connect, first allocation) makes small reads dearer per byte, which is not a growth.
    let growth = with_marker.last().map_or(1.0, |l| l.1) / with_marker.first().map_or(1.0, |f| f.1);
    let figures: Vec<String> = with_marker
        .iter()
        .map(|(mib, ns)| format!("{mib} MiB: {ns:.3}"))
        .collect();
    rows.push(Row::check(
        "marker read: ns per byte, largest size / smallest",
        format!("{growth:.2} ({})", figures.join(", ")),
        "<= 1.25 (linear cost: no growth with size)",
        growth <= 1.25,
    ));
    let series = vec![
        Series {
            name: "marker at the end".into(),
            points: with_marker,
        },
        Series {
            name: "no marker (read to EOF)".into(),
            points: without,
        },
    ];
    Marker {
        rows,
        series,
        ratio: marker_ratio,
    }
}

fn ns_per_byte(d: Duration, bytes: usize) -> f64 {
    d.as_nanos() as f64 / bytes as f64
}
