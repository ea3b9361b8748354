//! Loading an add-in library and driving its objects through their interface tables, the way
//! the platform does.
//!
//! An object (`IComponentBase`) starts with four interface-table pointers: IInitDoneBase,
//! ILanguageExtenderBase, LocaleBase, UserLanguageBase. A method of one interface is called
//! with `this` = the address of that interface's pointer inside the object. Each table starts
//! with the destructor slots ([`DestructorSlots`]), which a host that owns an
//! `IComponentBase*` calls for C++ `delete`.
//!
//! How objects are created, destroyed, and how their results are read follows a
//! [`HostProfile`].

use std::ffi::{c_int, c_long, c_void};
use std::fmt;
use std::path::Path;
use std::sync::Mutex;

use libloading::Library;

use crate::platform::{read_wstr, HostConnection, HostMemory, MemoryReport, ReportedError};
use crate::profile::HostProfile;
use crate::variant::{
    ParamBlock, StrData, TVariant, Value, VTYPE_BLOB, VTYPE_BOOL, VTYPE_EMPTY, VTYPE_I4,
    VTYPE_PWSTR, VTYPE_R8, VTYPE_TM,
};

type This = *mut c_void;

/// The destructor slots at the start of every interface table, as the C++ compiler that built
/// the host lays them out and calls them.
///
/// Itanium C++ ABI (Linux): the complete-object destructor (destroys, keeps the memory), then
/// the deleting destructor (destroys and frees), which `delete p` calls. MSVC (Windows): one
/// slot, the scalar deleting destructor `void* (unsigned flags)`, which `delete p` calls with
/// flags 1; it is `__thiscall` on x86 (this in ECX), unlike the interface methods.
#[repr(C)]
struct DestructorSlots {
    #[cfg(not(windows))]
    complete: unsafe extern "C" fn(This),
    #[cfg(not(windows))]
    deleting: unsafe extern "C" fn(This),
    #[cfg(all(windows, target_arch = "x86"))]
    scalar_deleting: unsafe extern "thiscall" fn(This, u32) -> *mut c_void,
    #[cfg(all(windows, not(target_arch = "x86")))]
    scalar_deleting: unsafe extern "C" fn(This, u32) -> *mut c_void,
}

impl DestructorSlots {
    /// `delete p`: destroys and frees.
    unsafe fn delete(&self, this: This) {
        #[cfg(not(windows))]
        (self.deleting)(this);
        #[cfg(windows)]
        (self.scalar_deleting)(this, 1);
    }

    /// `p->~T()`: destroys and keeps the memory.
    unsafe fn destroy_in_place(&self, this: This) {
        #[cfg(not(windows))]
        (self.complete)(this);
        #[cfg(windows)]
        (self.scalar_deleting)(this, 0);
    }
}

#[repr(C)]
struct InitDoneVTable {
    dtor: DestructorSlots,
    init: unsafe extern "system" fn(This, *mut c_void) -> u32,
    set_mem_manager: unsafe extern "system" fn(This, *mut c_void) -> u32,
    get_info: unsafe extern "system" fn(This) -> c_long,
    done: unsafe extern "system" fn(This),
}

#[repr(C)]
struct LanguageExtenderVTable {
    dtor: DestructorSlots,
    register_extension_as: unsafe extern "system" fn(This, *mut *mut u16) -> u32,
    get_n_props: unsafe extern "system" fn(This) -> c_long,
    find_prop: unsafe extern "system" fn(This, *const u16) -> c_long,
    get_prop_name: unsafe extern "system" fn(This, c_long, c_long) -> *const u16,
    get_prop_val: unsafe extern "system" fn(This, c_long, *mut TVariant) -> u32,
    set_prop_val: unsafe extern "system" fn(This, c_long, *mut TVariant) -> u32,
    is_prop_readable: unsafe extern "system" fn(This, c_long) -> u32,
    is_prop_writable: unsafe extern "system" fn(This, c_long) -> u32,
    get_n_methods: unsafe extern "system" fn(This) -> c_long,
    find_method: unsafe extern "system" fn(This, *const u16) -> c_long,
    get_method_name: unsafe extern "system" fn(This, c_long, c_long) -> *const u16,
    get_n_params: unsafe extern "system" fn(This, c_long) -> c_long,
    get_param_def_value: unsafe extern "system" fn(This, c_long, c_long, *mut TVariant) -> u32,
    has_ret_val: unsafe extern "system" fn(This, c_long) -> u32,
    call_as_proc: unsafe extern "system" fn(This, c_long, *mut TVariant, c_long) -> u32,
    call_as_func:
        unsafe extern "system" fn(This, c_long, *mut TVariant, *mut TVariant, c_long) -> u32,
}

#[repr(C)]
struct LocaleVTable {
    dtor: DestructorSlots,
    set_locale: unsafe extern "system" fn(This, *const u16),
}

/// What the destructor slots of every table have in common: the slots.
#[repr(C)]
struct AnyVTable {
    dtor: DestructorSlots,
}

type GetClassObjectFn = unsafe extern "C" fn(*const u16, *mut *mut c_void) -> c_long;
type DestroyObjectFn = unsafe extern "C" fn(*mut *mut c_void) -> c_long;
type GetClassNamesFn = unsafe extern "C" fn() -> *const u16;
type SetPlatformCapabilitiesFn = unsafe extern "C" fn(c_int) -> c_int;

/// A failure of the host, as the platform would report it to the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The library or one of its exports could not be loaded.
    Load(String),
    /// `GetClassObject` failed.
    Create(String),
    /// `FindMethod`/`FindProp` returned -1.
    NotFound(String),
    /// More arguments than `GetNParams` (the platform refuses the call).
    TooManyArguments {
        /// The method as called.
        method: String,
        /// How many arguments were given.
        given: usize,
        /// What `GetNParams` returned.
        accepted: usize,
    },
    /// An omitted parameter without a default (`GetParamDefValue` returned false).
    MissingArgument {
        /// The method as called.
        method: String,
        /// The parameter's index.
        index: usize,
    },
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for HostError {}

/// Every library the host loaded. Like the platform, the host never unloads one: the add-in's
/// statics (its TLS configuration caches, the TLS libraries' own state) live for the rest of the
/// process, and a leak check at exit sees them as reachable rather than lost.
static LOADED: Mutex<Vec<Library>> = Mutex::new(Vec::new());

/// A loaded add-in library: its four exports (the library stays loaded, see [`LOADED`]).
pub struct AddinLibrary {
    get_class_object: GetClassObjectFn,
    destroy_object: DestroyObjectFn,
    get_class_names: GetClassNamesFn,
    set_platform_capabilities: SetPlatformCapabilitiesFn,
}

impl AddinLibrary {
    /// Loads the library at `path` and resolves the four exports.
    pub fn load(path: &Path) -> Result<AddinLibrary, HostError> {
        let load = |e: libloading::Error| HostError::Load(format!("{}: {e}", path.display()));
        // SAFETY: loading runs the library's initialisers; the add-in is ours.
        let library = unsafe { Library::new(path) }.map_err(load)?;
        // SAFETY: the types are the Native API's export signatures.
        unsafe {
            let get_class_object = *library
                .get::<GetClassObjectFn>(b"GetClassObject\0")
                .map_err(load)?;
            let destroy_object = *library
                .get::<DestroyObjectFn>(b"DestroyObject\0")
                .map_err(load)?;
            let get_class_names = *library
                .get::<GetClassNamesFn>(b"GetClassNames\0")
                .map_err(load)?;
            let set_platform_capabilities = *library
                .get::<SetPlatformCapabilitiesFn>(b"SetPlatformCapabilities\0")
                .map_err(load)?;
            LOADED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(library);
            Ok(AddinLibrary {
                get_class_object,
                destroy_object,
                get_class_names,
                set_platform_capabilities,
            })
        }
    }

    /// `GetClassNames`, split at `|`.
    pub fn class_names(&self) -> Vec<String> {
        // SAFETY: the export returns a static null-terminated string.
        let names = unsafe { read_wstr((self.get_class_names)()) }.unwrap_or_default();
        names.split('|').map(str::to_string).collect()
    }

    /// `SetPlatformCapabilities(3)`, as platform 8.3.21+ does.
    pub fn set_platform_capabilities(&self, capabilities: c_int) -> c_int {
        // SAFETY: a plain C function.
        unsafe { (self.set_platform_capabilities)(capabilities) }
    }

    /// Creates an object of `class` as 1C does (see [`AddinLibrary::create_as`]).
    pub fn create(&self, class: &str) -> Result<AddinObject, HostError> {
        self.create_as(class, HostProfile::OneC)
    }

    /// Creates an object of `class` and initialises it as `profile`'s host does. 1C: `Init`
    /// with the host's `IAddInDefBase`, `setMemManager`, `GetInfo`, `RegisterExtensionAs`,
    /// `SetLocale`. OneScript: `setMemManager`, then `Init`, and nothing else.
    pub fn create_as(&self, class: &str, profile: HostProfile) -> Result<AddinObject, HostError> {
        let name: Vec<u16> = class.encode_utf16().chain([0]).collect();
        let mut object: *mut c_void = std::ptr::null_mut();
        // SAFETY: the export's contract.
        let created = unsafe { (self.get_class_object)(name.as_ptr(), &mut object) };
        if created == 0 || object.is_null() {
            return Err(HostError::Create(format!(
                "GetClassObject({class}) returned {created}"
            )));
        }
        let mut obj = AddinObject {
            object,
            profile,
            memory: HostMemory::new(profile.uses_c_heap()),
            connection: HostConnection::new(),
            destroy_object: self.destroy_object,
            info: 0,
            extension_name: String::new(),
            destroyed: false,
        };
        if profile == HostProfile::OneScript {
            obj.set_mem_manager()?;
            obj.init()?;
            return Ok(obj);
        }
        obj.init()?;
        obj.set_mem_manager()?;
        // SAFETY: the object was just created; the interfaces live in `obj`.
        unsafe {
            obj.info = (obj.init_done().get_info)(obj.this(0)) as i64;
            let mut ext: *mut u16 = std::ptr::null_mut();
            let registered = (obj.lang().register_extension_as)(obj.this(1), &mut ext);
            if !obj.read_bool(registered, "RegisterExtensionAs") {
                return Err(HostError::Create(
                    "RegisterExtensionAs returned false".into(),
                ));
            }
            obj.extension_name = obj.take_wstr(ext).unwrap_or_default();
        }
        obj.set_locale("ru_RU");
        Ok(obj)
    }
}

/// The result of `CallAsFunc` / `GetPropVal`: what the function returned and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Returned {
    /// The interface function's result; `false` makes the platform raise an exception.
    pub ok: bool,
    /// The value written into the result variant.
    pub value: Value,
}

/// One add-in object, with the host-side memory manager and connection it was given.
pub struct AddinObject {
    object: *mut c_void,
    profile: HostProfile,
    memory: Box<HostMemory>,
    connection: Box<HostConnection>,
    destroy_object: DestroyObjectFn,
    /// What `GetInfo` returned.
    pub info: i64,
    /// What `RegisterExtensionAs` returned.
    pub extension_name: String,
    destroyed: bool,
}

impl AddinObject {
    /// `this` for interface `n` (0 IInitDoneBase, 1 ILanguageExtenderBase, 2 LocaleBase).
    fn this(&self, n: usize) -> This {
        // SAFETY: the object starts with four interface-table pointers.
        unsafe { self.object.cast::<*const c_void>().add(n).cast() }
    }

    unsafe fn table<T>(&self, n: usize) -> &T {
        &*(*self.object.cast::<*const T>().add(n))
    }

    unsafe fn init_done(&self) -> &InitDoneVTable {
        self.table(0)
    }

    unsafe fn lang(&self) -> &LanguageExtenderVTable {
        self.table(1)
    }

    /// The host this object is driven as.
    pub fn profile(&self) -> HostProfile {
        self.profile
    }

    /// Reads a bool result as this object's host does.
    fn read_bool(&self, raw: u32, function: &str) -> bool {
        self.profile.read_bool(raw, function)
    }

    fn init(&self) -> Result<(), HostError> {
        // SAFETY: interface call on a live object; the connection lives as long as `self`.
        let raw = unsafe { (self.init_done().init)(self.this(0), self.connection.as_interface()) };
        if !self.read_bool(raw, "Init") {
            return Err(HostError::Create("Init returned false".into()));
        }
        Ok(())
    }

    fn set_mem_manager(&self) -> Result<(), HostError> {
        // SAFETY: interface call on a live object; the memory manager lives as long as `self`.
        let raw =
            unsafe { (self.init_done().set_mem_manager)(self.this(0), self.memory.as_interface()) };
        if !self.read_bool(raw, "setMemManager") {
            return Err(HostError::Create("setMemManager returned false".into()));
        }
        Ok(())
    }

    /// Reads a string the add-in allocated and frees it through the memory manager.
    unsafe fn take_wstr(&self, ptr: *const u16) -> Option<String> {
        let text = read_wstr(ptr)?;
        let mut block = ptr as *mut c_void;
        self.memory.free(&mut block);
        Some(text)
    }

    /// Converts a result variant to a [`Value`], freeing its memory as the platform does.
    ///
    /// # Panics
    /// Under OneScript, for a string or blob with a null pointer (OneScript aborts on one);
    /// under any host, for a null pointer with a non-zero length.
    fn take_value(&self, v: &mut TVariant) -> Value {
        let onescript = self.profile == HostProfile::OneScript;
        // SAFETY: the tag says which union member the add-in wrote.
        unsafe {
            match v.vt {
                VTYPE_EMPTY => Value::Empty,
                VTYPE_BOOL => Value::Bool(v.data.b),
                VTYPE_I4 => Value::I4(v.data.i32),
                VTYPE_R8 => Value::R8(v.data.f64),
                // OneScript knows only I4 and R8 numbers, and no dates coming back.
                VTYPE_TM if onescript => Value::Empty,
                VTYPE_TM => Value::Date,
                VTYPE_PWSTR | VTYPE_BLOB => {
                    let StrData { ptr, len } = v.data.str;
                    assert!(
                        !(onescript && ptr.is_null()),
                        "a {} result with a null pointer: OneScript aborts the process",
                        if v.vt == VTYPE_PWSTR {
                            "string"
                        } else {
                            "binary"
                        }
                    );
                    let value = if ptr.is_null() {
                        assert_eq!(len, 0, "a null pointer with a non-zero length");
                        if v.vt == VTYPE_PWSTR {
                            Value::Str(String::new())
                        } else {
                            Value::Blob(Vec::new())
                        }
                    } else if v.vt == VTYPE_PWSTR {
                        Value::Str(String::from_utf16_lossy(std::slice::from_raw_parts(
                            ptr.cast::<u16>(),
                            len as usize,
                        )))
                    } else {
                        Value::Blob(
                            std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize).to_vec(),
                        )
                    };
                    let mut block = ptr;
                    self.memory.free(&mut block);
                    v.data.str.ptr = block;
                    value
                }
                _ if onescript => Value::Empty,
                other => Value::Other(other),
            }
        }
    }

    /// `GetNMethods`.
    pub fn n_methods(&self) -> usize {
        // SAFETY: interface call on a live object.
        unsafe { (self.lang().get_n_methods)(self.this(1)) as usize }
    }

    /// `FindMethod`.
    pub fn find_method(&self, name: &str) -> Option<usize> {
        let name: Vec<u16> = name.encode_utf16().chain([0]).collect();
        // SAFETY: interface call on a live object.
        let n = unsafe { (self.lang().find_method)(self.this(1), name.as_ptr()) };
        usize::try_from(n).ok()
    }

    /// `GetMethodName` (alias 0: English, 1: local), freeing the string as the platform does.
    pub fn method_name(&self, num: usize, alias: usize) -> Option<String> {
        // SAFETY: interface call on a live object; the result is the add-in's allocation.
        unsafe {
            self.take_wstr((self.lang().get_method_name)(
                self.this(1),
                num as c_long,
                alias as c_long,
            ))
        }
    }

    /// `GetNParams`.
    pub fn n_params(&self, num: usize) -> usize {
        // SAFETY: interface call on a live object.
        unsafe { (self.lang().get_n_params)(self.this(1), num as c_long) as usize }
    }

    /// `GetParamDefValue`: `None` when it returns false.
    pub fn param_default(&self, method: usize, param: usize) -> Option<Value> {
        let mut v = TVariant::empty();
        // SAFETY: interface call on a live object.
        let raw = unsafe {
            (self.lang().get_param_def_value)(
                self.this(1),
                method as c_long,
                param as c_long,
                &mut v,
            )
        };
        let ok = self.read_bool(raw, "GetParamDefValue");
        let value = self.take_value(&mut v);
        ok.then_some(value)
    }

    /// `HasRetVal`.
    pub fn has_ret_val(&self, method: usize) -> bool {
        // SAFETY: interface call on a live object.
        let raw = unsafe { (self.lang().has_ret_val)(self.this(1), method as c_long) };
        self.read_bool(raw, "HasRetVal")
    }

    fn method(&self, name: &str) -> Result<usize, HostError> {
        self.find_method(name)
            .ok_or_else(|| HostError::NotFound(name.to_string()))
    }

    /// Completes `args` as the platform does: more than `GetNParams` is refused; omitted
    /// trailing parameters are filled from `GetParamDefValue`.
    fn complete(&self, name: &str, num: usize, args: &[Value]) -> Result<Vec<Value>, HostError> {
        let accepted = self.n_params(num);
        if args.len() > accepted {
            return Err(HostError::TooManyArguments {
                method: name.to_string(),
                given: args.len(),
                accepted,
            });
        }
        let mut all = args.to_vec();
        for index in args.len()..accepted {
            let value =
                self.param_default(num, index)
                    .ok_or_else(|| HostError::MissingArgument {
                        method: name.to_string(),
                        index,
                    })?;
            all.push(value);
        }
        Ok(all)
    }

    /// Calls method `name` as a function, the way the platform does for `X = Obj.Name(args)`.
    pub fn call(&self, name: &str, args: &[Value]) -> Result<Returned, HostError> {
        let num = self.method(name)?;
        let all = self.complete(name, num, args)?;
        Ok(self.call_raw(num, &all))
    }

    /// Calls method `name` as a procedure (`Obj.Name(args);`): returns `CallAsProc`'s result.
    pub fn call_proc(&self, name: &str, args: &[Value]) -> Result<bool, HostError> {
        let num = self.method(name)?;
        let all = self.complete(name, num, args)?;
        let mut block = ParamBlock::new(&all);
        // SAFETY: interface call on a live object with a valid parameter array.
        let raw = unsafe {
            (self.lang().call_as_proc)(
                self.this(1),
                num as c_long,
                block.as_mut_ptr(),
                block.len() as c_long,
            )
        };
        Ok(self.read_bool(raw, "CallAsProc"))
    }

    /// `CallAsFunc` with exactly `args` (no completion, no count check): for probing how the
    /// add-in treats what the platform would never send. When the call returns false, OneScript
    /// drops the result and the script sees Неопределено.
    pub fn call_raw(&self, num: usize, args: &[Value]) -> Returned {
        let (ok, mut ret) = self.call_as_func(num, args);
        let value = self.take_value(&mut ret);
        let value = if ok || self.profile.raises_on_failure() {
            value
        } else {
            Value::Empty
        };
        Returned { ok, value }
    }

    /// Calls method `name` as a function and hands a binary result to `inspect` where the add-in
    /// put it, before freeing it: what a caller that uses the data without copying it sees.
    /// Returns `CallAsFunc`'s result and `inspect`'s, or `None` when the result is not binary.
    pub fn call_inspecting_blob<R>(
        &self,
        name: &str,
        args: &[Value],
        inspect: impl FnOnce(&[u8]) -> R,
    ) -> Result<(bool, Option<R>), HostError> {
        let num = self.method(name)?;
        let all = self.complete(name, num, args)?;
        let (ok, mut ret) = self.call_as_func(num, &all);
        // SAFETY: the tag says which union member the add-in wrote.
        let blob = unsafe {
            (ret.vt == VTYPE_BLOB && !ret.data.str.ptr.is_null()).then_some(ret.data.str)
        };
        let Some(StrData { ptr, len }) = blob else {
            self.take_value(&mut ret);
            return Ok((ok, None));
        };
        // SAFETY: the add-in allocated `len` bytes at `ptr` through our memory manager.
        let result = inspect(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len as usize) });
        let mut block = ptr;
        self.memory.free(&mut block);
        Ok((ok, Some(result)))
    }

    /// `CallAsFunc` with exactly `args`; checks the add-in left its input parameters alone.
    fn call_as_func(&self, num: usize, args: &[Value]) -> (bool, TVariant) {
        let mut block = ParamBlock::new(args);
        let tags = block.tags();
        let mut ret = TVariant::empty();
        // SAFETY: interface call on a live object with a valid parameter array.
        let raw = unsafe {
            (self.lang().call_as_func)(
                self.this(1),
                num as c_long,
                &mut ret,
                block.as_mut_ptr(),
                block.len() as c_long,
            )
        };
        let ok = self.read_bool(raw, "CallAsFunc");
        assert_eq!(
            block.tags(),
            tags,
            "the add-in changed its input parameters"
        );
        (ok, ret)
    }

    /// `GetNProps`.
    pub fn n_props(&self) -> usize {
        // SAFETY: interface call on a live object.
        unsafe { (self.lang().get_n_props)(self.this(1)) as usize }
    }

    /// `FindProp`.
    pub fn find_prop(&self, name: &str) -> Option<usize> {
        let name: Vec<u16> = name.encode_utf16().chain([0]).collect();
        // SAFETY: interface call on a live object.
        let n = unsafe { (self.lang().find_prop)(self.this(1), name.as_ptr()) };
        usize::try_from(n).ok()
    }

    /// `GetPropName`, freeing the string as the platform does.
    pub fn prop_name(&self, num: usize, alias: usize) -> Option<String> {
        // SAFETY: interface call on a live object; the result is the add-in's allocation.
        unsafe {
            self.take_wstr((self.lang().get_prop_name)(
                self.this(1),
                num as c_long,
                alias as c_long,
            ))
        }
    }

    /// `IsPropReadable` and `IsPropWritable`.
    pub fn prop_access(&self, num: usize) -> (bool, bool) {
        // SAFETY: interface calls on a live object.
        let (readable, writable) = unsafe {
            (
                (self.lang().is_prop_readable)(self.this(1), num as c_long),
                (self.lang().is_prop_writable)(self.this(1), num as c_long),
            )
        };
        (
            self.read_bool(readable, "IsPropReadable"),
            self.read_bool(writable, "IsPropWritable"),
        )
    }

    /// `GetPropVal` of the property `name`.
    pub fn get_prop(&self, name: &str) -> Result<Returned, HostError> {
        let num = self
            .find_prop(name)
            .ok_or_else(|| HostError::NotFound(name.to_string()))?;
        let mut v = TVariant::empty();
        // SAFETY: interface call on a live object.
        let raw = unsafe { (self.lang().get_prop_val)(self.this(1), num as c_long, &mut v) };
        let ok = self.read_bool(raw, "GetPropVal");
        Ok(Returned {
            ok,
            value: self.take_value(&mut v),
        })
    }

    /// `SetPropVal` of the property `name`.
    pub fn set_prop(&self, name: &str, value: Value) -> Result<bool, HostError> {
        let num = self
            .find_prop(name)
            .ok_or_else(|| HostError::NotFound(name.to_string()))?;
        let values = [value];
        let mut block = ParamBlock::new(&values);
        // SAFETY: interface call on a live object with a valid variant.
        let raw =
            unsafe { (self.lang().set_prop_val)(self.this(1), num as c_long, block.as_mut_ptr()) };
        Ok(self.read_bool(raw, "SetPropVal"))
    }

    /// `LocaleBase::SetLocale`.
    pub fn set_locale(&self, locale: &str) {
        let locale: Vec<u16> = locale.encode_utf16().chain([0]).collect();
        // SAFETY: interface call on a live object.
        unsafe { (self.table::<LocaleVTable>(2).set_locale)(self.this(2), locale.as_ptr()) }
    }

    /// The `AddError` calls the object made since the last call of this.
    pub fn take_errors(&self) -> Vec<ReportedError> {
        self.connection.take_errors()
    }

    /// Makes the platform's `AllocMemory` refuse requests above `limit` bytes (`None`: none),
    /// as a platform out of memory would.
    pub fn refuse_blocks_above(&self, limit: Option<usize>) {
        self.memory.refuse_above(limit);
    }

    /// The memory statistics so far.
    pub fn memory(&self) -> MemoryReport {
        self.memory.report()
    }

    /// Destroys the object as its host does when the last reference goes: `Done`, then
    /// `DestroyObject` (1C) or C++ `delete` through the first interface table (OneScript).
    /// Returns the final memory statistics.
    pub fn destroy(mut self) -> MemoryReport {
        self.destroy_now();
        self.memory.report()
    }

    /// `IInitDoneBase::Done`, which hosts call before destroying an object.
    pub fn done(&self) {
        // SAFETY: interface call on a live object.
        unsafe { (self.init_done().done)(self.this(0)) }
    }

    /// C++ `delete` through interface pointer `table` (0-3), without `Done`, as a C++ host that
    /// owns a pointer to that base would; returns the final memory statistics.
    pub fn delete_through(mut self, table: usize) -> MemoryReport {
        assert!(table < 4, "an object has four interface tables");
        self.destroyed = true;
        // SAFETY: the object is live; `delete` frees it, so it is never used again.
        unsafe { self.table::<AnyVTable>(table).dtor.delete(self.this(table)) };
        self.memory.report()
    }

    /// `p->~T()` through interface pointer `table` (destroys, keeps the memory), then the
    /// exported `DestroyObject`, which must free the memory without destroying the object
    /// again. Returns the final memory statistics.
    pub fn destroy_in_place_then_destroy_object(mut self, table: usize) -> MemoryReport {
        assert!(table < 4, "an object has four interface tables");
        self.destroyed = true;
        // SAFETY: the object is live; after the destructor only DestroyObject touches it.
        unsafe {
            self.table::<AnyVTable>(table)
                .dtor
                .destroy_in_place(self.this(table));
            (self.destroy_object)(&mut self.object);
        }
        self.memory.report()
    }

    fn destroy_now(&mut self) {
        if self.destroyed {
            return;
        }
        self.destroyed = true;
        self.done();
        // SAFETY: the object is live until it is destroyed here, never used after.
        unsafe {
            match self.profile {
                HostProfile::OneC => {
                    (self.destroy_object)(&mut self.object);
                }
                HostProfile::OneScript => self.init_done().dtor.delete(self.this(0)),
            }
        }
    }
}

impl Drop for AddinObject {
    fn drop(&mut self) {
        self.destroy_now();
    }
}
