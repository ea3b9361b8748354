//! `tVariant` as the platform lays it out (`types.h` of the 1C Native API), written for this
//! host independently of addin1c, and the host's own value type.

use std::ffi::{c_int, c_void};

/// `struct tm` as the C library defines it (glibc adds `tm_gmtoff` and `tm_zone`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Tm {
    /// Seconds, minutes, hours, day of month, month, year - 1900, weekday, day of year, DST flag.
    pub fields: [c_int; 9],
    /// Seconds east of UTC (glibc).
    #[cfg(not(windows))]
    pub gmtoff: std::ffi::c_long,
    /// Time zone abbreviation (glibc).
    #[cfg(not(windows))]
    pub zone: *const std::ffi::c_char,
}

impl Default for Tm {
    /// 1900-01-00 00:00:00, no zone.
    fn default() -> Self {
        Tm {
            fields: [0; 9],
            #[cfg(not(windows))]
            gmtoff: 0,
            #[cfg(not(windows))]
            zone: std::ptr::null(),
        }
    }
}

/// The `str`/`wstr` members: a pointer and a length (bytes for `pstrVal`, UTF-16 units for
/// `pwstrVal`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct StrData {
    /// `pstrVal` / `pwstrVal`.
    pub ptr: *mut c_void,
    /// `strLen` / `wstrLen`.
    pub len: u32,
}

/// The `iface` member: an interface pointer and its IID.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct IfaceData {
    /// `pInterfaceVal`.
    pub ptr: *mut c_void,
    /// `InterfaceID`.
    pub iid: [u8; 16],
}

/// The anonymous union of `tVariant`; `struct tm` is its largest member.
#[repr(C)]
#[derive(Clone, Copy)]
pub union VariantData {
    /// `bVal`.
    pub b: bool,
    /// `lVal`.
    pub i32: i32,
    /// `llVal`.
    pub i64: i64,
    /// `dblVal`.
    pub f64: f64,
    /// `tmVal`.
    pub tm: Tm,
    /// `str` / `wstr`.
    pub str: StrData,
    /// `iface`.
    pub iface: IfaceData,
}

/// `tVariant`: the union, `uint32_t cbElements`, then the 2-byte type tag.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TVariant {
    /// The value.
    pub data: VariantData,
    /// `cbElements`: array dimension (unused for scalars).
    pub cb_elements: u32,
    /// `vt`: one of the `VTYPE_*` constants.
    pub vt: u16,
}

/// `tVariant`'s size and the offset of `cbElements` on the four platforms 1C runs add-ins on.
/// The union is as large as `struct tm`: 56 bytes on Linux x86-64 (9 ints, then glibc's `long`
/// and pointer), 44 on Linux i686, 36 on Windows; its alignment is `double`'s, which is 4 on
/// Linux i686 and 8 elsewhere, so on Windows (both widths) it rounds up to 40.
const LAYOUT: Option<(usize, usize)> = if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
    Some((64, 56))
} else if cfg!(all(target_os = "linux", target_arch = "x86")) {
    Some((52, 44))
} else if cfg!(windows) {
    Some((48, 40))
} else {
    None
};

const _: () = {
    if let Some((size, cb_elements)) = LAYOUT {
        assert!(std::mem::size_of::<TVariant>() == size);
        assert!(std::mem::offset_of!(TVariant, cb_elements) == cb_elements);
        assert!(std::mem::offset_of!(TVariant, vt) == cb_elements + 4);
    }
};

impl TVariant {
    /// A `VTYPE_EMPTY` variant, all bytes zero, as the platform passes a fresh result slot.
    pub fn empty() -> TVariant {
        // SAFETY: all-zero bytes are a valid TVariant (null pointers, zero numbers, EMPTY tag).
        unsafe { std::mem::zeroed() }
    }
}

/// `VTYPE_EMPTY`.
pub const VTYPE_EMPTY: u16 = 0;
/// `VTYPE_NULL`.
pub const VTYPE_NULL: u16 = 1;
/// `VTYPE_I2`.
pub const VTYPE_I2: u16 = 2;
/// `VTYPE_I4`.
pub const VTYPE_I4: u16 = 3;
/// `VTYPE_R4`.
pub const VTYPE_R4: u16 = 4;
/// `VTYPE_R8`.
pub const VTYPE_R8: u16 = 5;
/// `VTYPE_DATE`.
pub const VTYPE_DATE: u16 = 6;
/// `VTYPE_TM`.
pub const VTYPE_TM: u16 = 7;
/// `VTYPE_PSTR`.
pub const VTYPE_PSTR: u16 = 8;
/// `VTYPE_BOOL`.
pub const VTYPE_BOOL: u16 = 11;
/// `VTYPE_I8`.
pub const VTYPE_I8: u16 = 17;
/// `VTYPE_PWSTR`.
pub const VTYPE_PWSTR: u16 = 22;
/// `VTYPE_BLOB`.
pub const VTYPE_BLOB: u16 = 23;

/// A value as the host sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `VTYPE_EMPTY` (Неопределено, or an omitted parameter).
    Empty,
    /// `VTYPE_BOOL`.
    Bool(bool),
    /// `VTYPE_I4`.
    I4(i32),
    /// `VTYPE_R8`.
    R8(f64),
    /// `VTYPE_PWSTR`.
    Str(String),
    /// `VTYPE_PWSTR` from raw UTF-16 units, which may be invalid (a lone surrogate); never
    /// returned by the add-in, only passed to it.
    Utf16(Vec<u16>),
    /// `VTYPE_BLOB`.
    Blob(Vec<u8>),
    /// `VTYPE_TM` (a date; its fields do not matter to these tests).
    Date,
    /// Any other tag, as received.
    Other(u16),
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(s.to_string())
    }

    /// The string inside, or a panic naming what it was.
    pub fn as_str(&self) -> &str {
        match self {
            Value::Str(s) => s,
            other => panic!("expected a string, got {other:?}"),
        }
    }

    /// The bytes inside, or a panic naming what it was.
    pub fn as_blob(&self) -> &[u8] {
        match self {
            Value::Blob(b) => b,
            other => panic!("expected binary data, got {other:?}"),
        }
    }
}

/// Parameters laid out as a `tVariant` array, pointing into buffers the host owns for the
/// duration of a call (strings are null-terminated, as the platform passes them).
pub struct ParamBlock<'a> {
    variants: Vec<TVariant>,
    _strings: Vec<Vec<u16>>,
    _values: &'a [Value],
}

impl<'a> ParamBlock<'a> {
    /// Lays `values` out; binary data is pointed at, not copied.
    pub fn new(values: &'a [Value]) -> ParamBlock<'a> {
        let mut strings = Vec::new();
        let variants = values
            .iter()
            .map(|value| {
                let mut v = TVariant::empty();
                match value {
                    Value::Empty => v.vt = VTYPE_EMPTY,
                    Value::Bool(b) => {
                        v.vt = VTYPE_BOOL;
                        v.data.b = *b;
                    }
                    Value::I4(n) => {
                        v.vt = VTYPE_I4;
                        v.data.i32 = *n;
                    }
                    Value::R8(x) => {
                        v.vt = VTYPE_R8;
                        v.data.f64 = *x;
                    }
                    Value::Str(_) | Value::Utf16(_) => {
                        let mut units: Vec<u16> = match value {
                            Value::Str(s) => s.encode_utf16().collect(),
                            Value::Utf16(units) => units.clone(),
                            _ => unreachable!(),
                        };
                        let len = units.len() as u32;
                        units.push(0);
                        v.vt = VTYPE_PWSTR;
                        v.data.str = StrData {
                            ptr: units.as_mut_ptr().cast(),
                            len,
                        };
                        strings.push(units);
                    }
                    Value::Blob(bytes) => {
                        v.vt = VTYPE_BLOB;
                        // The platform never passes a null pointer, even for empty data.
                        static NOTHING: [u8; 1] = [0];
                        let ptr = if bytes.is_empty() {
                            NOTHING.as_ptr()
                        } else {
                            bytes.as_ptr()
                        };
                        v.data.str = StrData {
                            ptr: ptr as *mut c_void,
                            len: bytes.len() as u32,
                        };
                    }
                    Value::Date => {
                        v.vt = VTYPE_TM;
                        v.data.tm = Tm::default();
                    }
                    Value::Other(tag) => {
                        v.vt = *tag;
                        v.data.i64 = 0;
                    }
                }
                v
            })
            .collect();
        ParamBlock {
            variants,
            _strings: strings,
            _values: values,
        }
    }

    /// The array pointer passed to `CallAsProc`/`CallAsFunc` (null when there are no parameters).
    pub fn as_mut_ptr(&mut self) -> *mut TVariant {
        if self.variants.is_empty() {
            std::ptr::null_mut()
        } else {
            self.variants.as_mut_ptr()
        }
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.variants.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.variants.is_empty()
    }

    /// The type tags after the call (the add-in must not change its inputs).
    pub fn tags(&self) -> Vec<u16> {
        self.variants.iter().map(|v| v.vt).collect()
    }
}
