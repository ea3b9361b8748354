//! `addin-host [LIBRARY]`: loads the tcplink add-in (default: see `addin_host::library_path`)
//! and runs the self-contained smoke scenario, printing `N passed, N failed`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(addin_host::library_path);
    match addin_host::scenario::smoke(&path) {
        Ok(outcome) => {
            for name in &outcome.passed {
                println!("ok: {name}");
            }
            for failure in &outcome.failed {
                println!("FAILED: {failure}");
            }
            println!(
                "{} passed, {} failed",
                outcome.passed.len(),
                outcome.failed.len()
            );
            if outcome.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("addin-host: {e}");
            ExitCode::from(2)
        }
    }
}
