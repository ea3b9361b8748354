//! addin1c 0.7.0, patched for tcplink so that the binary interface holds in every host that
//! loads a Native API add-in, not only in 1C:Enterprise. Upstream's newest release (0.7.0) has
//! none of these; the changes, all in the interface layer:
//!
//! 1. **Destructor slots** (`ffi.rs`): upstream leaves the destructor slots of every interface
//!    table null, so a host that destroys the object with C++ `delete` (OneScript: `Done()`, then
//!    `delete` on the `IComponentBase*`) jumps to address 0. Every table now has real
//!    destructors: the Itanium pair on Linux (complete-object, deleting) and MSVC's scalar
//!    deleting destructor on Windows (`__thiscall` on x86, with the flags argument). Each adjusts
//!    `this` for its table, as a C++ compiler's thunk does. The add-in is dropped exactly once,
//!    whichever comes first: `DestroyObject`, a deleting destructor, or a complete-object
//!    destructor (which keeps the memory, as C++ does).
//! 2. **32-bit bool results** (`ffi.rs`, `Bool32`): every `bool` an interface function returns
//!    is 0 or 1 in the whole 32-bit register, because a host that marshals it as a 4-byte BOOL
//!    (OneScript) reads garbage in the upper bits as true. A bool written into a variant sets
//!    the whole 32-bit word.
//! 3. **No null pointers** (`memory_manager.rs`): empty strings and blobs still get a block (at
//!    least one unit) from the host's memory manager, with length 0; OneScript aborts on a null
//!    one.
//! 4. **Null pointers from the host** (`variant.rs`, `cstr1c.rs`): an empty string or blob
//!    parameter with a null pointer reads as empty instead of making a slice from null, and a
//!    null name reads as the empty string.
//! 5. A negative or zero parameter count with a null array is no parameters (`ffi.rs`).

mod connection;
mod cstr1c;
mod ffi;
mod macros;
mod memory_manager;
mod simple;
mod tm;
mod tvariant;
mod variant;

pub use connection::Connection;
pub use cstr1c::{CStr1C, CString1C};
pub use ffi::{create_component, destroy_component, Addin as RawAddin};
pub use simple::{Addin as SimpleAddin, AddinResult, MethodInfo, Methods, PropInfo};
pub use tm::Tm;
pub use variant::{IncompatibleTypeError, ParamValue, Variant};

pub use utf16_lit::utf16;
pub use utf16_lit::utf16_null;

#[repr(C)]
#[derive(Debug)]
pub enum AttachType {
    NotIsolated = 1,
    Isolated,
    Any,
}
