//! Building the add-in and the test host with cargo for several targets.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::matrix::{Package, Platform, PLATFORMS};

/// Where cargo puts its output: `$CARGO_TARGET_DIR` or the workspace's `target/`.
pub fn target_dir(workspace: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
}

/// Runs a command, failing with its description if it does not succeed.
pub fn run(command: &mut Command) -> Result<(), String> {
    eprintln!("package: {command:?}");
    let status = command.status().map_err(|e| format!("{command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?}: {status}"))
    }
}

/// `cargo build` of `crate_name` in `profile` for `platforms`, all in one invocation (cargo
/// builds the targets in parallel and shares the host-side build scripts).
fn cargo_build(
    workspace: &Path,
    crate_name: &str,
    profile: &str,
    features: Option<&str>,
    platforms: &[&Platform],
) -> Result<(), String> {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(workspace)
        .args(["build", "--quiet", "--locked", "-p", crate_name])
        .args(["--profile", profile]);
    if let Some(features) = features {
        command.args(["--no-default-features", "--features", features]);
    }
    for platform in platforms {
        command.args(["--target", platform.triple]);
    }
    run(&mut command)
}

/// The cargo profile of the shipped libraries (root `Cargo.toml`: size-optimised, LTO, stripped).
const DIST_PROFILE: &str = "dist";

/// Builds `package`'s four libraries and returns each platform's library path.
/// Platforms that share the features are built in one cargo invocation.
pub fn addin(workspace: &Path, package: &Package) -> Result<Vec<(Platform, PathBuf)>, String> {
    let mut feature_sets: Vec<&str> = PLATFORMS.iter().map(|p| package.features(p)).collect();
    feature_sets.sort_unstable();
    feature_sets.dedup();
    for features in feature_sets {
        let platforms: Vec<&Platform> = PLATFORMS
            .iter()
            .filter(|p| package.features(p) == features)
            .collect();
        cargo_build(
            workspace,
            "tcplink-addin",
            DIST_PROFILE,
            Some(features),
            &platforms,
        )?;
    }
    let target = target_dir(workspace);
    Ok(PLATFORMS
        .iter()
        .map(|p| {
            let dir = target.join(p.triple).join(DIST_PROFILE);
            (*p, dir.join(p.cargo_library()))
        })
        .collect())
}

/// Builds the test host (dev profile) for every platform; returns each platform's binary path.
pub fn hosts(workspace: &Path) -> Result<Vec<(Platform, PathBuf)>, String> {
    let platforms: Vec<&Platform> = PLATFORMS.iter().collect();
    cargo_build(workspace, "tcplink-addin-host", "dev", None, &platforms)?;
    let target = target_dir(workspace);
    Ok(PLATFORMS
        .iter()
        .map(|p| (*p, target.join(p.triple).join("debug").join(p.cargo_host())))
        .collect())
}
