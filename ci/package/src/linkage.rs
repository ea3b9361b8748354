//! What a library loads at run time, read with objdump: no OpenSSL anywhere (the point of the
//! packages), and on Windows no MinGW runtime DLL that a 1C machine would not have.

use std::path::Path;
use std::process::Command;

use crate::matrix::Platform;

/// Libraries a package's library must not load: OpenSSL's on every platform, and on Windows the
/// MinGW runtime's, which are not part of Windows.
fn forbidden(platform: &Platform, dependency: &str) -> bool {
    let name = dependency.to_ascii_lowercase();
    let openssl = name.starts_with("libssl") || name.starts_with("libcrypto");
    let mingw = ["libgcc", "libstdc++", "libwinpthread"]
        .iter()
        .any(|prefix| name.starts_with(prefix));
    openssl || (platform.is_windows() && mingw)
}

/// The shared libraries `library` names as dependencies (ELF `NEEDED`, PE `DLL Name`), sorted,
/// each once (PE import tables may name a DLL twice, in different cases).
pub fn dependencies(platform: &Platform, library: &Path) -> Result<Vec<String>, String> {
    let output = Command::new(platform.objdump())
        .arg("-p")
        .arg(library)
        .output()
        .map_err(|e| format!("{}: {e}", platform.objdump()))?;
    if !output.status.success() {
        return Err(format!(
            "{} -p {}: {}",
            platform.objdump(),
            library.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            line.strip_prefix("NEEDED")
                .or_else(|| line.strip_prefix("DLL Name:"))
                .map(|name| name.trim().to_ascii_lowercase())
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    Ok(names)
}

/// Checks `library`'s dependencies; returns them for the report.
pub fn check(platform: &Platform, library: &Path) -> Result<Vec<String>, String> {
    let dependencies = dependencies(platform, library)?;
    let bad: Vec<&String> = dependencies
        .iter()
        .filter(|d| forbidden(platform, d))
        .collect();
    if bad.is_empty() {
        Ok(dependencies)
    } else {
        Err(format!("{} loads {bad:?}", library.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::PLATFORMS;

    #[test]
    fn openssl_is_forbidden_everywhere_and_mingw_runtime_on_windows() {
        let (windows, linux) = (&PLATFORMS[0], &PLATFORMS[2]);
        assert!(forbidden(linux, "libssl.so.3"));
        assert!(forbidden(windows, "libcrypto-3-x64.dll"));
        assert!(forbidden(windows, "libgcc_s_dw2-1.dll"));
        assert!(!forbidden(linux, "libgcc_s.so.1"));
        assert!(!forbidden(windows, "crypt32.dll"));
        assert!(!forbidden(windows, "bcryptprimitives.dll"));
    }
}
