//! # tcplink-addin-host
//!
//! A test host for 1C Native API add-ins, written from the platform's side of the interface
//! and independently of addin1c: it loads the library with libloading, creates objects through
//! `GetClassObject`, drives them through their C++ interface tables
//! ([`addin::AddinObject`]), gives them an `IMemoryManager` that counts every allocation and
//! an `IAddInDefBase` that records `AddError` ([`platform`]), and lays values out as the
//! platform's `tVariant` ([`variant`]). It behaves like either host that loads the add-in, 1C or
//! OneScript ([`profile::HostProfile`]): how objects are created and destroyed, where memory comes
//! from, how bool and other results are read, whether a failed call raises.
//!
//! [`scenario`] holds self-contained runs (smoke, bad input, churn of many objects; their own
//! plain and TLS echo servers, [`servers`], no tools needed) that the `addin-host` binary
//! executes in each host profile: natively, as a 32-bit Linux build, or as a Windows build under
//! Wine (`ci/package --test` does all four).
//!
//! The tables follow the platform's binary interface on each target: one destructor slot per
//! table on Windows (MSVC) and two elsewhere (Itanium C++ ABI), `__stdcall` methods on 32-bit
//! Windows (`extern "system"`), `long` as `c_long` (32-bit on Windows), and `tVariant` laid out
//! by the C rules of the target ([`variant::TVariant`] asserts the size on each of the four).

#![warn(missing_docs)]

pub mod addin;
pub mod checks;
pub mod platform;
pub mod profile;
pub mod scenario;
pub mod servers;
pub mod variant;

use std::path::PathBuf;

pub use addin::{AddinLibrary, AddinObject, HostError, Returned};
pub use platform::{MemoryReport, ReportedError};
pub use profile::HostProfile;
pub use variant::Value;

/// The file name of the tcplink add-in on this platform.
pub const LIBRARY_FILE: &str = if cfg!(windows) {
    "tcplink_addin.dll"
} else if cfg!(target_os = "macos") {
    "libtcplink_addin.dylib"
} else {
    "libtcplink_addin.so"
};

/// Where the add-in library is: `$TCPLINK_ADDIN` if set, else the debug build in the
/// workspace's target directory (`$CARGO_TARGET_DIR` or `target/`).
pub fn library_path() -> PathBuf {
    if let Some(path) = std::env::var_os("TCPLINK_ADDIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("debug").join(LIBRARY_FILE)
}
