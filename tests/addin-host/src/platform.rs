//! What the platform implements for the add-in: `IMemoryManager`, which counts every
//! allocation and free (from Rust's allocator, or from `calloc`/`free` as OneScript's host), and
//! `IAddInDefBase`, which records `AddError` calls.
//!
//! Each is a C++ object: a pointer to an interface table whose first entries are the
//! destructor (two slots under the Itanium C++ ABI, one under MSVC), then the methods in
//! declaration order. Methods are `__stdcall` on 32-bit Windows (`extern "system"`).

use std::alloc::{alloc, dealloc, Layout};
use std::collections::HashMap;
use std::ffi::{c_long, c_ulong, c_ushort, c_void};
use std::sync::Mutex;

use crate::variant::TVariant;

const ALIGN: usize = 16;

/// Allocation statistics of a [`HostMemory`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryReport {
    /// How many blocks `AllocMemory` handed out.
    pub allocations: usize,
    /// How many blocks `FreeMemory` released.
    pub frees: usize,
    /// Blocks handed out and not freed: address and size.
    pub live: Vec<(usize, usize)>,
    /// `FreeMemory` calls with a pointer that was not live (double or foreign frees).
    pub bad_frees: Vec<usize>,
    /// The largest block handed out.
    pub largest: usize,
}

impl MemoryReport {
    /// Whether every block handed out was freed exactly once and nothing else was freed.
    pub fn is_balanced(&self) -> bool {
        self.live.is_empty() && self.bad_frees.is_empty() && self.allocations == self.frees
    }
}

#[derive(Default)]
struct Ledger {
    live: HashMap<usize, usize>,
    allocations: usize,
    frees: usize,
    bad_frees: Vec<usize>,
    largest: usize,
    /// Requests above this size are refused, as by a platform out of memory.
    refuse_above: Option<usize>,
}

#[repr(C)]
struct MemoryVTable {
    dtor: usize,
    #[cfg(not(windows))]
    dtor2: usize,
    alloc_memory: unsafe extern "system" fn(*mut HostMemory, *mut *mut c_void, c_ulong) -> bool,
    free_memory: unsafe extern "system" fn(*mut HostMemory, *mut *mut c_void),
}

/// The host's `IMemoryManager`.
#[repr(C)]
pub struct HostMemory {
    vtable: &'static MemoryVTable,
    ledger: Mutex<Ledger>,
    /// Blocks come from `calloc` and go back to `free`, as in OneScript's host.
    c_heap: bool,
}

extern "C" {
    fn calloc(count: usize, size: usize) -> *mut c_void;
    fn free(block: *mut c_void);
}

static MEMORY_VTABLE: MemoryVTable = MemoryVTable {
    dtor: 0,
    #[cfg(not(windows))]
    dtor2: 0,
    alloc_memory,
    free_memory,
};

unsafe extern "system" fn alloc_memory(
    this: *mut HostMemory,
    out: *mut *mut c_void,
    size: c_ulong,
) -> bool {
    if out.is_null() {
        return false;
    }
    let size = size as usize;
    let mut ledger = (*this).ledger.lock().unwrap_or_else(|p| p.into_inner());
    let refused = ledger.refuse_above.is_some_and(|limit| size > limit);
    let ptr = if refused {
        std::ptr::null_mut()
    } else if (*this).c_heap {
        calloc(1, size).cast()
    } else {
        Layout::from_size_align(size.max(1), ALIGN).map_or(std::ptr::null_mut(), |l| alloc(l))
    };
    if ptr.is_null() {
        *out = std::ptr::null_mut();
        return false;
    }
    ledger.live.insert(ptr as usize, size.max(1));
    ledger.allocations += 1;
    ledger.largest = ledger.largest.max(size);
    *out = ptr.cast();
    true
}

unsafe extern "system" fn free_memory(this: *mut HostMemory, block: *mut *mut c_void) {
    if block.is_null() || (*block).is_null() {
        return;
    }
    let ptr = *block as usize;
    let mut ledger = (*this).ledger.lock().unwrap_or_else(|p| p.into_inner());
    match ledger.live.remove(&ptr) {
        Some(size) => {
            ledger.frees += 1;
            (*this).release(ptr, size);
            *block = std::ptr::null_mut();
        }
        None => ledger.bad_frees.push(ptr),
    }
}

impl HostMemory {
    /// A fresh memory manager; boxed so its address stays fixed while the add-in holds it. With
    /// `c_heap`, blocks come from `calloc` and go back to `free`.
    pub fn new(c_heap: bool) -> Box<HostMemory> {
        Box::new(HostMemory {
            vtable: &MEMORY_VTABLE,
            ledger: Mutex::new(Ledger::default()),
            c_heap,
        })
    }

    /// Returns a live block of `size` bytes (as recorded) to where it came from.
    ///
    /// # Safety
    /// `ptr` must be a block this manager handed out and has not released.
    unsafe fn release(&self, ptr: usize, size: usize) {
        if self.c_heap {
            free(ptr as *mut c_void);
        } else {
            dealloc(
                ptr as *mut u8,
                Layout::from_size_align_unchecked(size, ALIGN),
            );
        }
    }

    /// The pointer passed to `setMemManager`.
    pub fn as_interface(&self) -> *mut c_void {
        self as *const HostMemory as *mut c_void
    }

    /// Frees a block the way the platform does after taking a returned value: through its own
    /// `FreeMemory`, which also nulls the pointer.
    pub fn free(&self, block: &mut *mut c_void) {
        // SAFETY: the same call the add-in makes through the interface table.
        unsafe { (self.vtable.free_memory)(self as *const HostMemory as *mut HostMemory, block) }
    }

    /// Refuses `AllocMemory` requests above `limit` bytes from now on (`None`: none).
    pub fn refuse_above(&self, limit: Option<usize>) {
        self.ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .refuse_above = limit;
    }

    /// The statistics so far.
    pub fn report(&self) -> MemoryReport {
        let ledger = self.ledger.lock().unwrap_or_else(|p| p.into_inner());
        let mut live: Vec<(usize, usize)> = ledger.live.iter().map(|(a, s)| (*a, *s)).collect();
        live.sort_unstable();
        MemoryReport {
            allocations: ledger.allocations,
            frees: ledger.frees,
            live,
            bad_frees: ledger.bad_frees.clone(),
            largest: ledger.largest,
        }
    }
}

impl Drop for HostMemory {
    fn drop(&mut self) {
        // Blocks the add-in leaked are released here so a failing test does not leak too.
        let live = std::mem::take(
            &mut self
                .ledger
                .get_mut()
                .unwrap_or_else(|p| p.into_inner())
                .live,
        );
        for (ptr, size) in live {
            // SAFETY: every live block was handed out by this manager.
            unsafe { self.release(ptr, size) };
        }
    }
}

/// One `AddError` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedError {
    /// `wcode` (1006 is `ADDIN_E_FAIL`).
    pub code: u16,
    /// The source string.
    pub source: String,
    /// The description.
    pub description: String,
    /// `scode`: non-zero asks for an exception.
    pub scode: i64,
}

#[repr(C)]
struct AddInDefBaseVTable {
    dtor: usize,
    #[cfg(not(windows))]
    dtor2: usize,
    add_error: unsafe extern "system" fn(
        *mut HostConnection,
        c_ushort,
        *const u16,
        *const u16,
        c_long,
    ) -> bool,
    read: unsafe extern "system" fn(
        *mut HostConnection,
        *mut u16,
        *mut TVariant,
        *mut c_long,
        *mut *mut u16,
    ) -> bool,
    write: unsafe extern "system" fn(*mut HostConnection, *mut u16, *mut TVariant) -> bool,
    register_profile_as: unsafe extern "system" fn(*mut HostConnection, *mut u16) -> bool,
    set_event_buffer_depth: unsafe extern "system" fn(*mut HostConnection, c_long) -> bool,
    get_event_buffer_depth: unsafe extern "system" fn(*mut HostConnection) -> c_long,
    external_event:
        unsafe extern "system" fn(*mut HostConnection, *mut u16, *mut u16, *mut u16) -> bool,
    clean_event_buffer: unsafe extern "system" fn(*mut HostConnection),
    set_status_line: unsafe extern "system" fn(*mut HostConnection, *mut u16) -> bool,
    reset_status_line: unsafe extern "system" fn(*mut HostConnection),
}

/// The host's `IAddInDefBase`, the interface passed to `Init`.
#[repr(C)]
pub struct HostConnection {
    vtable: &'static AddInDefBaseVTable,
    errors: Mutex<Vec<ReportedError>>,
}

/// Reads a null-terminated UTF-16 string.
///
/// # Safety
/// `ptr` must be null or point to a null-terminated UTF-16 string.
pub unsafe fn read_wstr(ptr: *const u16) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    let mut len = 0;
    while *ptr.add(len) != 0 {
        len += 1;
    }
    Some(String::from_utf16_lossy(std::slice::from_raw_parts(
        ptr, len,
    )))
}

unsafe extern "system" fn add_error(
    this: *mut HostConnection,
    code: c_ushort,
    source: *const u16,
    description: *const u16,
    scode: c_long,
) -> bool {
    // `long` is 32-bit on Windows, 64-bit on Linux.
    #[allow(clippy::useless_conversion)]
    let error = ReportedError {
        code,
        source: read_wstr(source).unwrap_or_default(),
        description: read_wstr(description).unwrap_or_default(),
        scode: i64::from(scode),
    };
    (*this)
        .errors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(error);
    true
}

unsafe extern "system" fn read(
    _: *mut HostConnection,
    _: *mut u16,
    _: *mut TVariant,
    _: *mut c_long,
    _: *mut *mut u16,
) -> bool {
    false
}
unsafe extern "system" fn write(_: *mut HostConnection, _: *mut u16, _: *mut TVariant) -> bool {
    false
}
unsafe extern "system" fn register_profile_as(_: *mut HostConnection, _: *mut u16) -> bool {
    false
}
unsafe extern "system" fn set_event_buffer_depth(_: *mut HostConnection, _: c_long) -> bool {
    true
}
unsafe extern "system" fn get_event_buffer_depth(_: *mut HostConnection) -> c_long {
    1
}
unsafe extern "system" fn external_event(
    _: *mut HostConnection,
    _: *mut u16,
    _: *mut u16,
    _: *mut u16,
) -> bool {
    true
}
unsafe extern "system" fn clean_event_buffer(_: *mut HostConnection) {}
unsafe extern "system" fn set_status_line(_: *mut HostConnection, _: *mut u16) -> bool {
    true
}
unsafe extern "system" fn reset_status_line(_: *mut HostConnection) {}

static CONNECTION_VTABLE: AddInDefBaseVTable = AddInDefBaseVTable {
    dtor: 0,
    #[cfg(not(windows))]
    dtor2: 0,
    add_error,
    read,
    write,
    register_profile_as,
    set_event_buffer_depth,
    get_event_buffer_depth,
    external_event,
    clean_event_buffer,
    set_status_line,
    reset_status_line,
};

impl HostConnection {
    /// A fresh connection object; boxed so its address stays fixed.
    pub fn new() -> Box<HostConnection> {
        Box::new(HostConnection {
            vtable: &CONNECTION_VTABLE,
            errors: Mutex::new(Vec::new()),
        })
    }

    /// The pointer passed to `Init`.
    pub fn as_interface(&self) -> *mut c_void {
        self as *const HostConnection as *mut c_void
    }

    /// Takes the `AddError` calls recorded so far.
    pub fn take_errors(&self) -> Vec<ReportedError> {
        std::mem::take(&mut *self.errors.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
