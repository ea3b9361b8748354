//! `addin-host [LIBRARY] [--tls-backend NAME]`: loads the tcplink add-in (default: see
//! `addin_host::library_path`) and runs the self-contained smoke scenario, printing
//! `N passed, N failed`. With `--tls-backend`, the TLS step also checks which backend
//! `TlsInfo` reports (`rustls`, `openssl`, `native-tls`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut path = None;
    let mut tls_backend = None;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--tls-backend" {
            tls_backend = args.next().and_then(|b| b.into_string().ok());
        } else {
            path = Some(PathBuf::from(arg));
        }
    }
    let path = path.unwrap_or_else(addin_host::library_path);
    match addin_host::scenario::smoke(&path, tls_backend.as_deref()) {
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
