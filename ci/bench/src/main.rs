//! `tcplink-bench`: throughput, latency and memory of tcplink measured side by side with a raw
//! socket loop, the TLS libraries' own streams and socat, in one run on loopback. Ratios are
//! compared with their targets; absolute figures are reported, never asserted.
//!
//! A bench binary rather than criterion: every figure is a ratio of two measurements taken
//! interleaved in the same run, which criterion's one-function-at-a-time model does not give.
//!
//! Usage: `ci/bench/run [--quick]` (it builds the add-in first); writes `docs/bench.md` and
//! `docs/bench.svg`. `--quick` uses small sizes and writes nothing: a run for CI that fails (exit
//! status 1) when a gated ratio misses its quick-run margin ([`gate`]).

mod addin;
mod batch;
mod bulk;
mod cli;
mod clients;
mod gate;
mod latency;
mod marker;
mod memory;
mod notes;
mod pki;
mod raw;
mod report;
mod server;
mod servers;
mod stats;

use std::path::Path;

/// The quick run's margin for the plain bulk read, library / raw loop (target [`bulk::TARGET`]).
/// Quick runs on a quiet 2-core machine gave 0.69-0.87 and one beside two parallel builds 0.31;
/// CI runs the bench alone, so the margin sits below the quiet runs with room, and still stops a
/// library that got twice as slow.
const QUICK_BULK_PLAIN: f64 = 0.40;
/// The quick run's margin for the marker read, time with marker / without (target
/// [`marker::TARGET`]).
const QUICK_MARKER: f64 = 1.50;
/// The quick run's margin for many requests at once, batch / one request (target
/// [`batch::TARGET`]): twice the target, as threads start slower on a busy machine.
const QUICK_BATCH: f64 = 4.0;
/// The quick run's margin for connections accepted per second, `tcplink serve` / socat's
/// `LISTEN,fork`: quick runs gave 10 (a process per connection is socat's cost); the margin
/// only stops a server that became slower than forking.
const QUICK_SERVER_ACCEPTS: f64 = 1.0;
/// The quick run's margin for the echo throughput of one connection, `tcplink serve` / socat's:
/// quick runs gave 1.4-1.9; half of socat's is the alarm.
const QUICK_SERVER_ECHO: f64 = 0.5;

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
        (16 << 20, vec![4, 8, 16], 5, 200, 50)
    } else {
        (256 << 20, vec![16, 64, 256], 11, 2000, 300)
    };
    let server_connections = if quick { 400 } else { 4000 };

    let mut rows = Vec::new();
    eprintln!("bulk reads…");
    let bulk = bulk::run(&pki, bulk_bytes, reps);
    rows.extend(bulk.rows);
    eprintln!("the CLI as a whole process…");
    rows.extend(cli::run_all(&pki, bulk_bytes, 4 * bulk_bytes, reps));
    eprintln!("add-in reads…");
    let (addin_rows, addin_figures) = addin::run(&pki, bulk_bytes / 4, reps);
    rows.extend(addin_rows);
    eprintln!("marker reads…");
    // Twice the repetitions: the marker costs about 5 %, close to the machine's noise.
    let marker = marker::run(&pki, &sizes, 2 * reps);
    rows.extend(marker.rows);
    eprintln!("request latency…");
    rows.extend(latency::run(&pki, plain_requests, tls_requests));
    eprintln!("many requests at once…");
    let batch = batch::run(&pki, reps, !quick);
    rows.extend(batch.rows);
    eprintln!("receiving connections…");
    let serving = server::run(server_connections, bulk_bytes / 4, reps);
    rows.extend(serving.rows);
    eprintln!("memory…");
    rows.extend(memory::run(bulk_bytes));

    let table = report::markdown(&rows);
    println!("{table}");
    let missed = rows.iter().filter(|r| r.met == Some(false)).count();
    if quick {
        eprintln!("{missed} target(s) missed (quick run: small sizes, nothing written)");
        let checks = [
            gate::Check::at_least(
                "bulk read, plain: library / raw loop",
                bulk.plain_ratio,
                QUICK_BULK_PLAIN,
            ),
            gate::Check::at_most(
                "marker read: time with marker / without",
                marker.ratio,
                QUICK_MARKER,
            ),
            gate::Check::at_most(
                "many requests at once: batch / one request",
                batch.ratio,
                QUICK_BATCH,
            ),
            gate::Check::at_least(
                "server: connections accepted per second, tcplink serve / socat",
                serving.accept_ratio,
                QUICK_SERVER_ACCEPTS,
            ),
            gate::Check::at_least(
                "server: echo throughput, tcplink serve / socat",
                serving.echo_ratio,
                QUICK_SERVER_ECHO,
            ),
        ];
        for check in &checks {
            eprintln!("{check}");
        }
        if !checks.iter().all(gate::Check::passed) {
            eprintln!("quick run FAILED: a ratio missed its margin");
            std::process::exit(1);
        }
        return;
    }
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    std::fs::create_dir_all(&docs).unwrap();
    report::chart(&docs.join("bench.svg"), &marker.series).unwrap();
    let page = format!(
        "# Benchmarks\n\nMeasured by `ci/bench/run` on {} ({} cores), loopback; every ratio compares two \
         measurements taken interleaved in the same run. Regenerate with `ci/bench/run`.\n\n{table}\n\
         {}\n![read cost per byte](bench.svg)\n",
        std::env::consts::ARCH,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        notes::notes(addin_figures.as_ref()),
    );
    std::fs::write(docs.join("bench.md"), page).unwrap();
    eprintln!("{missed} target(s) missed; written docs/bench.md and docs/bench.svg");
}
