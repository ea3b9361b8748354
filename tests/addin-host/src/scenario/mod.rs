//! Self-contained checks of an add-in build, run in a chosen host profile: [`smoke`] (the
//! interface and round trips over plain TCP and TLS), [`bad_input`] (every method with every
//! kind of bad argument), [`server`] and [`server_bad_input`] (the `TcpServer` class) and
//! [`churn`] (many objects created, used and destroyed). They need
//! nothing but the library and in-process servers ([`crate::servers`]), so the same binary checks
//! a Windows build under Wine or a 32-bit build.

pub mod bad_input;
pub mod churn;
pub mod server;
pub mod server_bad_input;
pub mod smoke;

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use crate::addin::{AddinLibrary, AddinObject};
use crate::profile::HostProfile;
use crate::servers::{spawn_echo_server, spawn_tls_echo_server};

/// The outcome of a run: one line per check.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Checks that held.
    pub passed: Vec<String>,
    /// Checks that failed, with what was seen.
    pub failed: Vec<String>,
}

impl Outcome {
    /// Records a check that held when `ok`, or failed having seen `seen`.
    pub fn check(&mut self, name: &str, ok: bool, seen: impl std::fmt::Debug) {
        if ok {
            self.passed.push(name.to_string());
        } else {
            self.failed.push(format!("{name}: got {seen:?}"));
        }
    }

    /// Runs `check`, which asserts; a panic is recorded as the check's failure.
    pub fn run(&mut self, name: &str, check: impl FnOnce()) {
        match catch_unwind(AssertUnwindSafe(check)) {
            Ok(()) => self.passed.push(name.to_string()),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("panicked");
                self.failed.push(format!("{name}: {message}"));
            }
        }
    }
}

/// What a scenario works with: the library, the host profile, an echo server over plain TCP and
/// one over TLS (self-signed), and a directory for files.
pub struct Host<'a> {
    /// The loaded add-in.
    pub library: &'a AddinLibrary,
    /// The host whose habits the objects are driven with.
    pub profile: HostProfile,
    /// A plain echo server's address.
    pub echo: String,
    /// A TLS echo server's address (clients must accept invalid certificates).
    pub tls: String,
    /// A directory the scenario may write files to.
    pub files: &'a Path,
    /// The TLS backend the run checks (`TlsInfo` of the client, the server's `backend`), if
    /// named.
    pub tls_backend: Option<&'a str>,
}

impl Host<'_> {
    /// A fresh `TcpClient` object, created as the profile's host does.
    ///
    /// # Panics
    /// When the object cannot be created.
    pub fn client(&self) -> AddinObject {
        self.library
            .create_as("TcpClient", self.profile)
            .expect("create TcpClient")
    }

    /// A fresh `TcpServer` object, created as the profile's host does.
    ///
    /// # Panics
    /// When the object cannot be created.
    pub fn server(&self) -> AddinObject {
        self.library
            .create_as("TcpServer", self.profile)
            .expect("create TcpServer")
    }
}

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(profile: HostProfile) -> std::io::Result<TempDir> {
        let path = std::env::temp_dir().join(format!(
            "tcplink-addin-host-{}-{profile}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs every scenario on `library` as `profile`'s host: the smoke scenario (checking that TLS
/// went through `tls_backend`, if given), the bad-input scenario, the server scenario and the
/// server's bad input, and `objects` objects created,
/// used and destroyed one after another.
pub fn run_all(
    library: &AddinLibrary,
    profile: HostProfile,
    tls_backend: Option<&str>,
    objects: usize,
    out: &mut Outcome,
) -> Result<(), String> {
    let files = TempDir::new(profile).map_err(|e| format!("a temporary directory: {e}"))?;
    let addr = |a: SocketAddr| a.to_string();
    let host = Host {
        library,
        profile,
        echo: addr(spawn_echo_server()),
        tls: addr(spawn_tls_echo_server()),
        files: &files.0,
        tls_backend,
    };
    smoke::smoke(&host, tls_backend, out);
    for (name, check) in bad_input::CHECKS {
        out.run(&format!("bad input: {name}"), || check(&host));
    }
    for (name, check) in server::CHECKS {
        out.run(name, || check(&host));
    }
    for (name, check) in server_bad_input::CHECKS {
        out.run(&format!("bad input: {name}"), || check(&host));
    }
    out.run(
        &format!("{objects} objects created, used and destroyed"),
        || churn::churn(&host, objects),
    );
    Ok(())
}

/// Loads the library at `path` and runs every scenario in each of `profiles`, naming each check
/// after its profile.
pub fn run_all_profiles(
    path: &Path,
    profiles: &[HostProfile],
    tls_backend: Option<&str>,
    objects: usize,
) -> Result<Outcome, String> {
    let library = AddinLibrary::load(path).map_err(|e| e.to_string())?;
    let mut all = Outcome::default();
    for &profile in profiles {
        let mut out = Outcome::default();
        run_all(&library, profile, tls_backend, objects, &mut out)?;
        all.passed
            .extend(out.passed.into_iter().map(|c| format!("[{profile}] {c}")));
        all.failed
            .extend(out.failed.into_iter().map(|c| format!("[{profile}] {c}")));
    }
    Ok(all)
}
