//! # tcplink-addin
//!
//! The tcplink 1C:Enterprise add-in (Native API): the class `TcpClient`, one object per
//! connection, and the class `TcpServer`, one object per server receiving connections (OPI's
//! server functions as its methods); `TcpClient` comes with layer 1 of `shared/api.md`: every method under a Russian and an English
//! name, optional parameters with defaults the platform can ask for, and properties for the
//! connect timeout, the connection state, why the last read ended, TLS details, the version, and
//! whether failures raise exceptions.
//!
//! The BSL modules shipped beside it are made by [`bsl`].
//!
//! Module map: [`names`] (bilingual names, lookup), [`params`] (parameter descriptions and
//! conversion), [`encodings`] (text encodings), [`log`] (the event log), [`object`] (what every
//! class shares), [`state`] (the client's state and operations), [`methods`] and [`props`] (the
//! client's tables), [`server_state`], [`server_methods`] and [`server_props`] (the server's),
//! [`component`] (the platform-facing object), [`classes`] (each class's state bound to its
//! tables) and the exported functions below.

#![warn(missing_docs)]

use std::ffi::{c_int, c_long, c_void};

use addin1c::{create_component, destroy_component, utf16_null, AttachType};

pub mod bsl;
pub mod classes;
pub mod component;
pub mod encodings;
pub mod log;
pub mod methods;
pub mod names;
pub mod object;
#[cfg(feature = "panic-trigger")]
pub mod panic_trigger;
pub mod params;
pub mod props;
pub mod server_methods;
pub mod server_props;
pub mod server_settings;
pub mod server_state;
pub mod state;

use classes::{TcpClient, TcpServer};
use component::shield;
use object::ObjectClass;
use server_state::ServerState;
use state::ClientState;

/// The class names `GetClassNames` reports, `|`-separated, null-terminated UTF-16.
static CLASS_NAMES: [u16; 20] = utf16_null!("TcpClient|TcpServer");

/// Whether the null-terminated UTF-16 string at `name` is `expected`.
///
/// # Safety
/// `name` must be null or point to a null-terminated UTF-16 string.
unsafe fn is_named(name: *const u16, expected: &str) -> bool {
    if name.is_null() {
        return false;
    }
    let mut len = 0;
    while len <= expected.len() && *name.add(len) != 0 {
        len += 1;
    }
    std::slice::from_raw_parts(name, len)
        .iter()
        .copied()
        .eq(expected.encode_utf16())
}

/// Creates a `TcpClient` or `TcpServer` object, as `name` says, and stores its pointer in
/// `*component`; returns 1 on success and 0 for an unknown class name.
///
/// # Safety
/// Called by the platform: `name` is a null-terminated UTF-16 string, `component` points to
/// writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn GetClassObject(name: *const u16, component: *mut *mut c_void) -> c_long {
    shield(0, || {
        #[cfg(feature = "panic-trigger")]
        if is_named(name, panic_trigger::CLASS_NAME) {
            panic!("panic-trigger: GetClassObject panicked");
        }
        if component.is_null() {
            return 0;
        }
        if is_named(name, ClientState::CLASS_NAME) {
            create_component(component, TcpClient::default())
        } else if is_named(name, ServerState::CLASS_NAME) {
            create_component(component, TcpServer::default())
        } else {
            0
        }
    })
}

/// Destroys an object made by [`GetClassObject`], closing its connection or stopping its
/// server.
///
/// # Safety
/// Called by the platform once per object, with the pointer `GetClassObject` stored.
#[no_mangle]
pub unsafe extern "C" fn DestroyObject(component: *mut *mut c_void) -> c_long {
    shield(-1, || {
        if component.is_null() || (*component).is_null() {
            return -1;
        }
        destroy_component(component)
    })
}

/// The classes of this add-in: `TcpClient` and `TcpServer`.
#[no_mangle]
pub extern "C" fn GetClassNames() -> *const u16 {
    CLASS_NAMES.as_ptr()
}

/// Accepts the platform's capabilities; reports the newest capability level (3).
#[no_mangle]
pub extern "C" fn SetPlatformCapabilities(_capabilities: c_int) -> c_int {
    3
}

/// The add-in may be loaded in the platform's process or isolated.
#[no_mangle]
pub extern "C" fn GetAttachedInfo() -> AttachType {
    AttachType::Any
}
