use std::{
    ffi::{c_long, c_void},
    mem::ManuallyDrop,
    panic::{catch_unwind, AssertUnwindSafe},
    ptr::{self},
    slice::from_raw_parts_mut,
};

use smallvec::SmallVec;

use crate::{
    memory_manager::MemoryManager, tvariant::TVariant, variant::Variant, CStr1C, Connection,
};

#[allow(unused_variables)]
pub trait Addin {
    fn init(&mut self, interface: &'static Connection) -> bool {
        true
    }

    /// default 2000, don't use version 1000, because static objects are created
    fn get_info(&mut self) -> u16 {
        2000
    }
    fn done(&mut self) {}
    fn register_extension_as(&mut self) -> &CStr1C;
    fn get_n_props(&mut self) -> usize {
        0
    }
    fn find_prop(&mut self, name: &CStr1C) -> Option<usize> {
        None
    }
    fn get_prop_name(&mut self, num: usize, alias: usize) -> Option<&'static CStr1C> {
        None
    }
    fn get_prop_val(&mut self, num: usize, val: &mut Variant) -> bool {
        false
    }
    fn set_prop_val(&mut self, num: usize, val: &Variant) -> bool {
        false
    }
    fn is_prop_readable(&mut self, num: usize) -> bool {
        false
    }
    fn is_prop_writable(&mut self, num: usize) -> bool {
        false
    }
    fn get_n_methods(&mut self) -> usize {
        0
    }
    fn find_method(&mut self, name: &CStr1C) -> Option<usize> {
        None
    }
    fn get_method_name(&mut self, num: usize, alias: usize) -> Option<&'static CStr1C> {
        None
    }
    fn get_n_params(&mut self, num: usize) -> usize {
        0
    }
    fn get_param_def_value(&mut self, method_num: usize, param_num: usize, value: Variant) -> bool {
        true
    }
    fn has_ret_val(&mut self, method_num: usize) -> bool {
        false
    }
    fn call_as_proc(&mut self, method_num: usize, params: &mut [Variant]) -> bool {
        false
    }
    fn call_as_func(
        &mut self,
        method_num: usize,
        params: &mut [Variant],
        val: &mut Variant,
    ) -> bool {
        false
    }
    fn set_locale(&mut self, loc: &[u16]) {}
    fn set_user_interface_language_code(&mut self, lang: &[u16]) {}
}


/// A `bool` result as the host reads it: 0 or 1 in the whole 32-bit return register.
///
/// A C++ host compiled against the Native API headers reads only the low byte, but a host that
/// marshals the result as a 32-bit `BOOL` (OneScript's .NET side) reads all of it; a Rust `bool`
/// leaves the upper 24 bits undefined, so a `false` could read as true there.
#[repr(transparent)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bool32(u32);

impl From<bool> for Bool32 {
    fn from(value: bool) -> Self {
        Bool32(value as u32)
    }
}

#[repr(C)]
struct This<const OFFSET: usize, T: Addin> {
    ptr: *mut Component<T>,
}

impl<const OFFSET: usize, T: Addin> This<OFFSET, T> {
    /// The object this interface pointer belongs to: interface `OFFSET` is the `OFFSET`-th
    /// pointer of the object, as a C++ compiler adjusts `this` for a secondary base.
    fn component_ptr(&mut self) -> *mut Component<T> {
        (self as *mut This<OFFSET, T> as *mut c_void)
            .wrapping_sub(OFFSET * std::mem::size_of::<usize>())
            .cast()
    }

    unsafe fn get_component(&mut self) -> &mut Component<T> {
        &mut *self.component_ptr()
    }
}

/// The destructor slots that start every interface table.
///
/// Itanium C++ ABI (Linux, macOS): two slots, the complete-object destructor (destroys, keeps
/// the memory) and the deleting destructor (destroys and frees): `delete p` calls the second.
/// MSVC (Windows): one slot, the scalar deleting destructor, whose flags argument says whether
/// to free (bit 0); it is `__thiscall` on x86 (this in ECX, callee pops the flags), which on
/// x86-64 is the one calling convention.
#[repr(C)]
struct Destructors<const OFFSET: usize, T: Addin> {
    #[cfg(not(windows))]
    complete: unsafe extern "C" fn(&mut This<OFFSET, T>),
    #[cfg(not(windows))]
    deleting: unsafe extern "C" fn(&mut This<OFFSET, T>),
    #[cfg(all(windows, target_arch = "x86"))]
    deleting: unsafe extern "thiscall" fn(&mut This<OFFSET, T>, u32) -> *mut c_void,
    #[cfg(all(windows, not(target_arch = "x86")))]
    deleting: unsafe extern "C" fn(&mut This<OFFSET, T>, u32) -> *mut c_void,
}

impl<const OFFSET: usize, T: Addin> Destructors<OFFSET, T> {
    fn new() -> Self {
        Destructors {
            #[cfg(not(windows))]
            complete: complete_destructor::<OFFSET, T>,
            #[cfg(not(windows))]
            deleting: deleting_destructor::<OFFSET, T>,
            #[cfg(windows)]
            deleting: scalar_deleting_destructor::<OFFSET, T>,
        }
    }
}

#[cfg(not(windows))]
unsafe extern "C" fn complete_destructor<const OFFSET: usize, T: Addin>(this: &mut This<OFFSET, T>) {
    release(this.component_ptr(), false);
}

#[cfg(not(windows))]
unsafe extern "C" fn deleting_destructor<const OFFSET: usize, T: Addin>(this: &mut This<OFFSET, T>) {
    release(this.component_ptr(), true);
}

#[cfg(all(windows, target_arch = "x86"))]
unsafe extern "thiscall" fn scalar_deleting_destructor<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    flags: u32,
) -> *mut c_void {
    scalar_delete(this, flags)
}

#[cfg(all(windows, not(target_arch = "x86")))]
unsafe extern "C" fn scalar_deleting_destructor<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    flags: u32,
) -> *mut c_void {
    scalar_delete(this, flags)
}

/// MSVC's scalar deleting destructor: destroys, frees when bit 0 of `flags` is set, and returns
/// `this` as MSVC does.
#[cfg(windows)]
unsafe fn scalar_delete<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    flags: u32,
) -> *mut c_void {
    let this_ptr = this as *mut This<OFFSET, T> as *mut c_void;
    release(this.component_ptr(), flags & 1 != 0);
    this_ptr
}

/// Releases the object: its add-in is dropped the first time (whichever way the host destroys
/// it), its memory is freed when `free` is set. A panic in the add-in's drop stays here.
unsafe fn release<T: Addin>(component: *mut Component<T>, free: bool) {
    let c = &mut *component;
    if !c.released {
        c.released = true;
        let addin = &mut c.addin;
        let _ = catch_unwind(AssertUnwindSafe(|| ManuallyDrop::drop(addin)));
    }
    if free {
        drop(Box::from_raw(component));
    }
}

#[repr(C)]
struct InitDoneBaseVTable<const OFFSET: usize, T: Addin> {
    dtor: Destructors<OFFSET, T>,
    init: unsafe extern "system" fn(&mut This<OFFSET, T>, &'static Connection) -> Bool32,
    set_mem_manager:
        unsafe extern "system" fn(&mut This<OFFSET, T>, &'static MemoryManager) -> Bool32,
    get_info: unsafe extern "system" fn(&mut This<OFFSET, T>) -> c_long,
    done: unsafe extern "system" fn(&mut This<OFFSET, T>),
}

unsafe extern "system" fn init<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    interface: &'static Connection,
) -> Bool32 {
    let component = this.get_component();
    component.addin.init(interface).into()
}

unsafe extern "system" fn set_mem_manager<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    mem: &'static MemoryManager,
) -> Bool32 {
    let component = this.get_component();
    component.memory = Some(mem);
    true.into()
}

unsafe extern "system" fn get_info<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
) -> c_long {
    let component = this.get_component();
    component.addin.get_info() as c_long
}

unsafe extern "system" fn done<const OFFSET: usize, T: Addin>(this: &mut This<OFFSET, T>) {
    let component = this.get_component();
    component.addin.done()
}

#[repr(C)]
struct LanguageExtenderBaseVTable<const OFFSET: usize, T: Addin> {
    dtor: Destructors<OFFSET, T>,
    register_extension_as:
        unsafe extern "system" fn(&mut This<OFFSET, T>, *mut *mut u16) -> Bool32,
    get_n_props: unsafe extern "system" fn(&mut This<OFFSET, T>) -> c_long,
    find_prop: unsafe extern "system" fn(&mut This<OFFSET, T>, *const u16) -> c_long,
    get_prop_name: unsafe extern "system" fn(&mut This<OFFSET, T>, c_long, c_long) -> *const u16,
    get_prop_val: unsafe extern "system" fn(&mut This<OFFSET, T>, c_long, &mut TVariant) -> Bool32,
    set_prop_val: unsafe extern "system" fn(&mut This<OFFSET, T>, c_long, &mut TVariant) -> Bool32,
    is_prop_readable: unsafe extern "system" fn(&mut This<OFFSET, T>, c_long) -> Bool32,
    is_prop_writable: unsafe extern "system" fn(&mut This<OFFSET, T>, c_long) -> Bool32,
    get_n_methods: unsafe extern "system" fn(&mut This<OFFSET, T>) -> c_long,
    find_method: unsafe extern "system" fn(&mut This<OFFSET, T>, *const u16) -> c_long,
    get_method_name: unsafe extern "system" fn(&mut This<OFFSET, T>, c_long, c_long) -> *const u16,
    get_n_params: unsafe extern "system" fn(&mut This<OFFSET, T>, c_long) -> c_long,
    get_param_def_value:
        unsafe extern "system" fn(&mut This<OFFSET, T>, c_long, c_long, &mut TVariant) -> Bool32,
    has_ret_val: unsafe extern "system" fn(&mut This<OFFSET, T>, c_long) -> Bool32,
    call_as_proc:
        unsafe extern "system" fn(&mut This<OFFSET, T>, c_long, *mut TVariant, c_long) -> Bool32,
    call_as_func: unsafe extern "system" fn(
        &mut This<OFFSET, T>,
        c_long,
        &mut TVariant,
        *mut TVariant,
        c_long,
    ) -> Bool32,
}

/// Copies `name` into a string allocated by the host's memory manager (null on failure).
fn host_string(component: &Component<impl Addin>, name: Option<&CStr1C>) -> *mut u16 {
    let (Some(allocator), Some(name)) = (component.memory, name) else {
        return ptr::null_mut();
    };
    let Ok(ptr) = allocator.alloc_str(name.len()) else {
        return ptr::null_mut();
    };
    // SAFETY: the block holds `name.len()` units.
    unsafe { ptr::copy_nonoverlapping(name.as_ptr(), ptr.as_ptr(), name.len()) };
    ptr.as_ptr()
}

unsafe extern "system" fn register_extension_as<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    name: *mut *mut u16,
) -> Bool32 {
    let component = this.get_component();
    let extension_name = component.addin.register_extension_as() as *const CStr1C;
    let ptr = host_string(component, Some(&*extension_name));
    if ptr.is_null() || name.is_null() {
        return false.into();
    }
    *name = ptr;
    true.into()
}

unsafe extern "system" fn get_n_props<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
) -> c_long {
    let component = this.get_component();
    component.addin.get_n_props() as c_long
}

unsafe extern "system" fn find_prop<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    name: *const u16,
) -> c_long {
    let component = this.get_component();
    let name = CStr1C::from_ptr(name);
    match component.addin.find_prop(name) {
        Some(i) => i as c_long,
        None => -1,
    }
}

unsafe extern "system" fn get_prop_name<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    num: c_long,
    alias: c_long,
) -> *const u16 {
    let component = this.get_component();
    let name = component.addin.get_prop_name(num as usize, alias as usize);
    host_string(component, name)
}

unsafe extern "system" fn get_prop_val<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    num: c_long,
    val: &mut TVariant,
) -> Bool32 {
    let component = this.get_component();
    let Some(mem) = component.memory else {
        return false.into();
    };
    let mut return_value = Variant { mem, variant: val };
    component
        .addin
        .get_prop_val(num as usize, &mut return_value)
        .into()
}

unsafe extern "system" fn set_prop_val<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    num: c_long,
    val: &mut TVariant,
) -> Bool32 {
    let component = this.get_component();
    let Some(mem) = component.memory else {
        return false.into();
    };
    let value = Variant { mem, variant: val };
    component.addin.set_prop_val(num as usize, &value).into()
}

unsafe extern "system" fn is_prop_readable<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    num: c_long,
) -> Bool32 {
    let component = this.get_component();
    component.addin.is_prop_readable(num as usize).into()
}

unsafe extern "system" fn is_prop_writable<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    num: c_long,
) -> Bool32 {
    let component = this.get_component();
    component.addin.is_prop_writable(num as usize).into()
}

unsafe extern "system" fn get_n_methods<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
) -> c_long {
    let component = this.get_component();
    component.addin.get_n_methods() as c_long
}

unsafe extern "system" fn find_method<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    name: *const u16,
) -> c_long {
    let component = this.get_component();
    let name = CStr1C::from_ptr(name);
    match component.addin.find_method(name) {
        Some(i) => i as c_long,
        None => -1,
    }
}

unsafe extern "system" fn get_method_name<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    num: c_long,
    alias: c_long,
) -> *const u16 {
    let component = this.get_component();
    let name = component
        .addin
        .get_method_name(num as usize, alias as usize);
    host_string(component, name)
}

unsafe extern "system" fn get_n_params<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    num: c_long,
) -> c_long {
    let component = this.get_component();
    component.addin.get_n_params(num as usize) as _
}

unsafe extern "system" fn get_param_def_value<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    method_num: c_long,
    param_num: c_long,
    val: &mut TVariant,
) -> Bool32 {
    let component = this.get_component();
    let Some(mem) = component.memory else {
        return false.into();
    };
    let return_value = Variant { mem, variant: val };
    component
        .addin
        .get_param_def_value(method_num as usize, param_num as usize, return_value)
        .into()
}

unsafe extern "system" fn has_ret_val<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    method_num: c_long,
) -> Bool32 {
    let component = this.get_component();
    component.addin.has_ret_val(method_num as usize).into()
}

/// The host's parameter array as variants (none for a null array or a non-positive size).
unsafe fn param_values<'a>(
    mem: &'a MemoryManager,
    params: *mut TVariant,
    size_array: c_long,
) -> SmallVec<[Variant<'a>; 8]> {
    let mut values = SmallVec::new();
    if let Ok(size) = usize::try_from(size_array) {
        if size > 0 && !params.is_null() {
            for variant in from_raw_parts_mut(params, size) {
                values.push(Variant { mem, variant });
            }
        }
    }
    values
}

unsafe extern "system" fn call_as_proc<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    method_num: c_long,
    params: *mut TVariant,
    size_array: c_long,
) -> Bool32 {
    let component = this.get_component();
    let Some(mem) = component.memory else {
        return false.into();
    };
    let mut param_values = param_values(mem, params, size_array);
    component
        .addin
        .call_as_proc(method_num as usize, &mut param_values)
        .into()
}

unsafe extern "system" fn call_as_func<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    method_num: c_long,
    ret_value: &mut TVariant,
    params: *mut TVariant,
    size_array: c_long,
) -> Bool32 {
    let component = this.get_component();
    let Some(mem) = component.memory else {
        return false.into();
    };
    let mut return_value = Variant {
        mem,
        variant: ret_value,
    };
    let mut param_values = param_values(mem, params, size_array);
    component
        .addin
        .call_as_func(method_num as usize, &mut param_values, &mut return_value)
        .into()
}

#[repr(C)]
struct LocaleBaseVTable<const OFFSET: usize, T: Addin> {
    dtor: Destructors<OFFSET, T>,
    set_locale: unsafe extern "system" fn(&mut This<OFFSET, T>, *const u16),
}

unsafe extern "system" fn set_locale<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    loc: *const u16,
) {
    let component = this.get_component();
    let loc = CStr1C::from_ptr(loc);
    component.addin.set_locale(loc)
}

#[repr(C)]
struct UserLanguageBaseVTable<const OFFSET: usize, T: Addin> {
    dtor: Destructors<OFFSET, T>,
    set_user_interface_language_code: unsafe extern "system" fn(&mut This<OFFSET, T>, *const u16),
}

unsafe extern "system" fn set_user_interface_language_code<const OFFSET: usize, T: Addin>(
    this: &mut This<OFFSET, T>,
    lang: *const u16,
) {
    let component = this.get_component();
    let lang = CStr1C::from_ptr(lang);
    component.addin.set_user_interface_language_code(lang)
}

#[repr(C)]
struct Component<T: Addin> {
    vptr1: Box<InitDoneBaseVTable<0, T>>,
    vptr2: Box<LanguageExtenderBaseVTable<1, T>>,
    vptr3: Box<LocaleBaseVTable<2, T>>,
    vptr4: Box<UserLanguageBaseVTable<3, T>>,
    destroy: unsafe extern "system" fn(*mut *mut Component<T>),
    memory: Option<&'static MemoryManager>,
    /// Set once the add-in has been dropped, by whichever destructor came first.
    released: bool,
    addin: ManuallyDrop<T>,
}

unsafe extern "system" fn destroy<T: Addin>(component: *mut *mut Component<T>) {
    release(*component, true);
}

/// # Safety
///
/// Component must be non-null.
pub unsafe fn create_component<T: Addin>(component: *mut *mut c_void, addin: T) -> c_long {
    let vptr1 = Box::new(InitDoneBaseVTable {
        dtor: Destructors::new(),
        init,
        set_mem_manager,
        get_info,
        done,
    });

    let vptr2 = Box::new(LanguageExtenderBaseVTable {
        dtor: Destructors::new(),
        register_extension_as,
        get_n_props,
        find_prop,
        get_prop_name,
        get_prop_val,
        set_prop_val,
        is_prop_readable,
        is_prop_writable,
        get_n_methods,
        find_method,
        get_method_name,
        get_n_params,
        get_param_def_value,
        has_ret_val,
        call_as_proc,
        call_as_func,
    });

    let vptr3 = Box::new(LocaleBaseVTable {
        dtor: Destructors::new(),
        set_locale,
    });

    let vptr4 = Box::new(UserLanguageBaseVTable {
        dtor: Destructors::new(),
        set_user_interface_language_code,
    });

    let c = Box::new(Component {
        vptr1,
        vptr2,
        vptr3,
        vptr4,
        destroy: destroy::<T>,
        memory: None,
        released: false,
        addin: ManuallyDrop::new(addin),
    });

    *component = Box::into_raw(c) as *mut c_void;
    1
}

/// # Safety
///
/// Component must be returned from `create_component`, the function must be called once for each component.
pub unsafe fn destroy_component(component: *mut *mut c_void) -> c_long {
    #[repr(C)]
    struct ComponentWrapper {
        vptr1: usize,
        vptr2: usize,
        vptr3: usize,
        vptr4: usize,
        destroy: unsafe extern "system" fn(*mut *mut c_void),
    }

    let wrapper = *component as *mut ComponentWrapper;
    let wrapper = &mut *wrapper;
    (wrapper.destroy)(component);
    *component = ptr::null_mut();

    0
}
