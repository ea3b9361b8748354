//! Host profiles: the habits of each host that loads Native API add-ins, as far as an add-in can
//! tell them apart. The test host reproduces either one, so every scenario can run "as 1C" and
//! "as OneScript".
//!
//! | habit | 1C:Enterprise (`1c`) | OneScript (`onescript`) |
//! |---|---|---|
//! | create | `GetClassObject`, `Init`, `setMemManager`, `GetInfo`, `RegisterExtensionAs`, `SetLocale` | `GetClassObject`, `setMemManager`, `Init` |
//! | destroy | `Done`, then the exported `DestroyObject` | `Done`, then C++ `delete` through the first interface table's destructor slot |
//! | memory manager | the platform's own allocator | `calloc` / `free` |
//! | bool results | the low byte (a C++ `bool`) | the whole 32-bit register (a .NET `BOOL`) |
//! | results of type I8, UI4, date | read as they are | read as Неопределено |
//! | a null pointer in a returned string or blob | read as empty | aborts the process |
//! | a call that returns false | raises an exception (with the `AddError` text) | the result is Неопределено, nothing is raised |

use std::fmt;

/// A host whose habits the test host reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostProfile {
    /// 1C:Enterprise 8.3.
    OneC,
    /// OneScript 1.x and 2.x, whose native host is a small C++ proxy driven from .NET.
    OneScript,
}

impl HostProfile {
    /// Every profile.
    pub const ALL: [HostProfile; 2] = [HostProfile::OneC, HostProfile::OneScript];

    /// The profile's name: `1c` or `onescript`.
    pub fn name(self) -> &'static str {
        match self {
            HostProfile::OneC => "1c",
            HostProfile::OneScript => "onescript",
        }
    }

    /// The profile named `name` (`1c` or `onescript`).
    pub fn from_name(name: &str) -> Option<HostProfile> {
        HostProfile::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The profile named by `$TCPLINK_HOST_PROFILE`, 1C when it is not set.
    ///
    /// # Panics
    /// When the variable names no profile.
    pub fn from_env() -> HostProfile {
        match std::env::var("TCPLINK_HOST_PROFILE") {
            Ok(name) => HostProfile::from_name(&name)
                .unwrap_or_else(|| panic!("TCPLINK_HOST_PROFILE={name}: expected 1c or onescript")),
            Err(_) => HostProfile::OneC,
        }
    }

    /// Reads a `bool` an interface function returned in `raw`, the whole return register.
    ///
    /// # Panics
    /// Under OneScript, for anything but 0 or 1: OneScript reads the register as a 32-bit
    /// `BOOL`, so a `false` with stray upper bits would read as true.
    pub fn read_bool(self, raw: u32, function: &str) -> bool {
        match self {
            HostProfile::OneC => raw & 0xff != 0,
            HostProfile::OneScript => {
                assert!(
                    raw <= 1,
                    "{function} returned {raw:#x} as a bool: OneScript reads all 32 bits"
                );
                raw != 0
            }
        }
    }

    /// Whether a call that returns false raises an exception in the script.
    pub fn raises_on_failure(self) -> bool {
        self == HostProfile::OneC
    }

    /// Whether the host allocates with `calloc` and frees with `free`.
    pub fn uses_c_heap(self) -> bool {
        self == HostProfile::OneScript
    }
}

impl fmt::Display for HostProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
