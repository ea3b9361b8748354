//! Running the test host's scenarios (smoke, bad input, 1000 objects created, used and
//! destroyed; each as 1C and as OneScript) against a library taken out of a package, on the
//! library's own platform: natively for Linux (the i686 host is a 32-bit Linux program), under
//! Wine for Windows, with the `bcryptprimitives.dll` shim from `ci/wine/setup` beside the host.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::build::run;
use crate::matrix::Platform;

/// What the Windows runs need from `ci/wine/setup`, under the target directory.
pub struct Wine {
    prefix: PathBuf,
    shims: PathBuf,
}

impl Wine {
    /// The prefix and shims `ci/wine/setup` made under `target_dir`.
    pub fn new(target_dir: &Path) -> Wine {
        Wine {
            prefix: target_dir.join("wine/prefix"),
            shims: target_dir.join("wine/shim"),
        }
    }

    /// Puts the shim for `platform` beside `host`.
    fn install_shim(&self, platform: &Platform, host: &Path) -> Result<(), String> {
        let shim = self
            .shims
            .join(platform.triple)
            .join("bcryptprimitives.dll");
        let dest = host.with_file_name("bcryptprimitives.dll");
        fs::copy(&shim, &dest)
            .map(drop)
            .map_err(|e| format!("{}: {e} (run ci/wine/setup first)", shim.display()))
    }
}

/// A Unix path as Wine's drive Z: shows it.
fn wine_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// Runs `host` (built for `platform`) on `library` in every host profile, expecting
/// `tls_backend` in `TlsInfo`.
pub fn scenarios(
    platform: &Platform,
    host: &Path,
    library: &Path,
    tls_backend: &str,
    wine: &Wine,
) -> Result<(), String> {
    let mut command;
    if platform.is_windows() {
        wine.install_shim(platform, host)?;
        command = Command::new("wine");
        command
            .arg(host)
            .arg(wine_path(library))
            .env("WINEPREFIX", &wine.prefix)
            .env("WINEDEBUG", "-all");
    } else {
        command = Command::new(host);
        command.arg(library);
    }
    command.args(["--tls-backend", tls_backend]);
    match run(&mut command) {
        // Wine occasionally fails to start a program ("ShellExecuteEx failed: Internal error",
        // seen once on the first run in a fresh prefix); a failing library fails again.
        Err(e) if platform.is_windows() => {
            eprintln!("package: {e}; retrying once under Wine");
            run(&mut command)
        }
        result => result,
    }
}
