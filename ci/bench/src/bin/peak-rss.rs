//! `peak-rss PROGRAM ARGS...`: runs PROGRAM with stdout to /dev/null and prints its exit code and
//! peak resident memory in bytes. The kernel counts into a child's peak the memory of the process
//! that started it (the address space it leaves at exec), so the benchmark, which holds its
//! payloads, starts the measured process through this small one.

#[allow(dead_code)] // `waits` is for the CLI tests.
#[path = "../../../../cli/tests/common/rusage.rs"]
mod rusage;

use std::process::{Command, Stdio};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let child = Command::new(&args[0])
        .args(&args[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("start the measured program");
    let ended = rusage::wait(child);
    println!("{} {}", ended.code.unwrap_or(-1), ended.peak_rss);
}
