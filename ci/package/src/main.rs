//! `package [--test] [PACKAGE...]`: builds the add-in's release packages, `dist/tcplink-<backend>.zip`
//! (see [`matrix`]), each with MANIFEST.XML, a library per platform and the BSL modules; checks
//! that no library loads OpenSSL (or, on Windows, a MinGW runtime DLL) and that every library
//! MANIFEST.XML lists is in the zip. With `--test`, takes every library out of every zip and
//! runs the test host's scenarios on it on its own platform, as 1C and as OneScript: smoke
//! (plain TCP and TLS), bad input, and 1000 objects created, used and destroyed.
//!
//! Needs the cross toolchains and Wine that `ci/wine/setup` installs.

mod archive;
mod build;
mod host_run;
mod linkage;
mod manifest;
mod matrix;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use matrix::{Package, PACKAGES};

/// The text only the add-in's test-only `panic-trigger` feature compiles in.
const TEST_TRIGGER: &[u8] = b"tcplink-panic";

/// Refuses a library built with the add-in's test-only `panic-trigger` feature.
fn refuse_test_trigger(library: &Path) -> Result<(), String> {
    let bytes = std::fs::read(library).map_err(|e| format!("{}: {e}", library.display()))?;
    if bytes.windows(TEST_TRIGGER.len()).any(|w| w == TEST_TRIGGER) {
        return Err(format!(
            "{}: built with the test-only panic-trigger feature",
            library.display()
        ));
    }
    Ok(())
}

/// Builds `package`, writes and verifies its zip in `dist/`; returns the zip's path.
fn make(workspace: &Path, package: &Package) -> Result<PathBuf, String> {
    let libraries = build::addin(workspace, package)?;
    for (platform, library) in &libraries {
        let dependencies = linkage::check(platform, library)?;
        refuse_test_trigger(library)?;
        let size = std::fs::metadata(library)
            .map_err(|e| format!("{}: {e}", library.display()))?
            .len();
        println!(
            "{:8} {:26} {:>9} bytes  needs {}",
            package.name,
            platform.triple,
            size,
            dependencies.join(" ")
        );
    }
    // The BSL modules (TcpLink and OPI_TCP, for 1C and OneScript) in bsl/.
    let extras: Vec<(String, Vec<u8>)> = tcplink_addin::bsl::shipped_files()
        .into_iter()
        .map(|file| (format!("bsl/{}", file.name), file.text.into_bytes()))
        .collect();
    let zip = workspace.join("dist").join(package.zip_file());
    archive::write(&zip, &libraries, &extras)?;
    let listed = archive::verify(&zip)?;
    println!(
        "{}: MANIFEST.XML lists {listed:?}, all present",
        zip.display()
    );
    Ok(zip)
}

/// Runs the test host's scenarios on every library of every zip, each on its platform.
fn test(workspace: &Path, zips: &[(Package, PathBuf)]) -> Result<(), String> {
    let hosts = build::hosts(workspace)?;
    let target_dir = build::target_dir(workspace);
    let wine = host_run::Wine::new(&target_dir);
    let mut failed = Vec::new();
    for (package, zip) in zips {
        for (platform, host) in &hosts {
            let library = target_dir
                .join("package-test")
                .join(package.name)
                .join(platform.triple)
                .join(platform.zip_name);
            archive::extract(zip, platform.zip_name, &library)?;
            println!("--- {} on {}", package.zip_file(), platform.triple);
            let backend = package.tls_backend(platform);
            if let Err(e) = host_run::scenarios(platform, host, &library, backend, &wine) {
                failed.push(format!("{} {}: {e}", package.name, platform.triple));
            }
        }
    }
    if failed.is_empty() {
        println!("package: every library passed on its platform");
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}

/// The packages named in `args` (all if none is named) and whether `--test` was given.
fn parse_args(args: &[String]) -> Result<(Vec<Package>, bool), String> {
    let mut with_tests = false;
    let mut chosen = Vec::new();
    for arg in args {
        match PACKAGES.iter().find(|p| p.name == arg) {
            Some(package) => chosen.push(*package),
            None if arg == "--test" => with_tests = true,
            None => {
                return Err(format!(
                    "unknown argument {arg}; usage: package [--test] [rustls|openssl]..."
                ))
            }
        }
    }
    if chosen.is_empty() {
        chosen = PACKAGES.to_vec();
    }
    Ok((chosen, with_tests))
}

/// Builds (and with `--test` tests) the packages `args` name.
fn run(args: &[String]) -> Result<(), String> {
    let (chosen, with_tests) = parse_args(args)?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .map_err(|e| format!("the workspace: {e}"))?;
    let zips = chosen
        .iter()
        .map(|package| make(&workspace, package).map(|zip| (*package, zip)))
        .collect::<Result<Vec<_>, String>>()?;
    if with_tests {
        test(&workspace, &zips)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("package: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_choose_packages_and_anything_else_is_refused() {
        let (all, test) = parse_args(&args(&["--test"])).unwrap();
        assert_eq!((all.len(), test), (2, true));
        let (one, test) = parse_args(&args(&["openssl"])).unwrap();
        assert_eq!((one[0].name, one.len(), test), ("openssl", 1, false));
        assert!(parse_args(&args(&["rustl"])).is_err());
        assert!(parse_args(&args(&["--tset"])).is_err());
    }
}
