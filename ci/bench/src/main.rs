//! `tcplink-bench`: throughput, latency and memory of tcplink measured side by side with a raw
//! socket loop, the TLS libraries' own streams and socat, in one run on loopback. Ratios are
//! compared with their targets; absolute figures are reported, never asserted.
//!
//! A bench binary rather than criterion: every figure is a ratio of two measurements taken
//! interleaved in the same run, which criterion's one-function-at-a-time model does not give.
//!
//! Usage: `ci/bench/run [--quick]` (it builds the add-in first); writes `docs/bench.md` and
//! `docs/bench.svg`. `--quick` uses small sizes and writes nothing: a smoke run for CI.

mod addin;
mod bulk;
mod clients;
mod latency;
mod marker;
mod memory;
mod pki;
mod report;
mod servers;
mod stats;

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pki = pki::Pki::generate();
    if args.get(1).map(String::as_str) == Some(memory::CHILD_FLAG) {
        memory::child(
            args[2].parse().unwrap(),
            args[3].parse().unwrap(),
            memory::Reader::parse(&args[4]),
            &pki,
        );
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let (bulk_bytes, sizes, reps, plain_requests, tls_requests) = if quick {
        (16 << 20, vec![4, 8, 16], 3, 200, 50)
    } else {
        (256 << 20, vec![16, 64, 256], 7, 2000, 300)
    };

    let mut rows = Vec::new();
    eprintln!("bulk reads…");
    rows.extend(bulk::run(&pki, bulk_bytes, reps).0);
    eprintln!("add-in reads…");
    rows.extend(addin::run(&pki, bulk_bytes / 4, reps));
    eprintln!("marker reads…");
    let (marker_rows, series) = marker::run(&pki, &sizes, reps);
    rows.extend(marker_rows);
    eprintln!("request latency…");
    rows.extend(latency::run(&pki, plain_requests, tls_requests));
    eprintln!("memory…");
    rows.extend(memory::run(bulk_bytes));

    let table = report::markdown(&rows);
    println!("{table}");
    let missed = rows.iter().filter(|r| r.met == Some(false)).count();
    if quick {
        eprintln!("{missed} target(s) missed (quick run: small sizes, nothing written)");
        return;
    }
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    std::fs::create_dir_all(&docs).unwrap();
    report::chart(&docs.join("bench.svg"), &series).unwrap();
    let page = format!(
        "# Benchmarks\n\nMeasured by `ci/bench/run` on {} ({} cores), loopback; every ratio compares two \
         measurements taken interleaved in the same run. Regenerate with `ci/bench/run`.\n\n{table}\n\
         ![read cost per byte](bench.svg)\n",
        std::env::consts::ARCH,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    std::fs::write(docs.join("bench.md"), page).unwrap();
    eprintln!("{missed} target(s) missed; written docs/bench.md and docs/bench.svg");
}
