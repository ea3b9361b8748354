//! `addin-host [LIBRARY] [--tls-backend NAME] [--profile 1c|onescript] [--objects N]`: loads the
//! tcplink add-in (default: see `addin_host::library_path`) and runs every self-contained
//! scenario (smoke, bad input, N objects created, used and destroyed; 1000 by default) as each
//! host does, or only as the one `--profile` names, printing `N passed, N failed`. With
//! `--tls-backend`, the TLS step also checks which backend `TlsInfo` reports (`rustls`,
//! `openssl`, `native-tls`).

use std::path::PathBuf;
use std::process::ExitCode;

use addin_host::HostProfile;

/// The parsed command line.
struct Args {
    path: PathBuf,
    tls_backend: Option<String>,
    profiles: Vec<HostProfile>,
    objects: usize,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        path: addin_host::library_path(),
        tls_backend: None,
        profiles: HostProfile::ALL.to_vec(),
        objects: 1000,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let mut value = || given.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--tls-backend" => args.tls_backend = Some(value()?),
            "--profile" => {
                let name = value()?;
                let profile = HostProfile::from_name(&name)
                    .ok_or(format!("--profile {name}: expected 1c or onescript"))?;
                args.profiles = vec![profile];
            }
            "--objects" => {
                let n = value()?;
                args.objects = n
                    .parse()
                    .map_err(|_| format!("--objects {n}: not a count"))?;
            }
            _ => args.path = PathBuf::from(arg),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("addin-host: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = addin_host::scenario::run_all_profiles(
        &args.path,
        &args.profiles,
        args.tls_backend.as_deref(),
        args.objects,
    );
    match outcome {
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
