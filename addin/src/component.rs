//! The `TcpClient` object as the platform sees it: addin1c's [`RawAddin`] over the method and
//! property tables, with every entry point shielded from panics.
//!
//! Gaps of addin1c 0.7 filled here: it has no `catch_unwind` on its interface-table functions
//! (a panic would abort the 1C process), it does not expose `IAddInDefBase::AddError`, and it
//! truncates value lengths to 32 bits without checking.

use std::any::Any;
use std::ffi::{c_long, c_ushort, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use addin1c::{CStr1C, Connection, ParamValue, RawAddin, Variant};
use tcplink::{Error, ErrorKind, Result};

use crate::methods::Value;
use crate::names::find;
use crate::object::ObjectClass;
use crate::params::{Args, DefaultValue};
use crate::props::PropSpec;

/// The largest string or binary value the platform can take: `tVariant` lengths are 32-bit.
pub const MAX_VALUE_BYTES: usize = u32::MAX as usize;

/// `ADDIN_E_FAIL`: the message code of `AddError` for a failure.
const ADDIN_E_FAIL: c_ushort = 1006;
/// `E_FAIL` as a signed 32-bit HRESULT: a non-zero `scode` makes the platform raise an exception.
const E_FAIL: c_long = 0x8000_4005_u32 as i32 as c_long;

/// Runs `f`, turning a panic into `fallback`: nothing may unwind into the platform.
pub fn shield<R>(fallback: R, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic")
}

/// The platform's `IAddInDefBase`, as far as this add-in uses it: the interface table starts
/// with the destructor (two slots under the Itanium C++ ABI, one under MSVC), then `AddError`.
#[repr(C)]
struct AddInDefBaseVTable {
    dtor: usize,
    #[cfg(target_family = "unix")]
    dtor2: usize,
    add_error:
        unsafe extern "system" fn(*const c_void, c_ushort, *const u16, *const u16, c_long) -> bool,
}

#[repr(C)]
struct AddInDefBase {
    vtable: *const AddInDefBaseVTable,
}

/// Reports `err` through `IAddInDefBase::AddError` so that the platform raises an exception.
fn raise(platform: &Connection, err: &Error) {
    let source: Vec<u16> = "TcpLink".encode_utf16().chain([0]).collect();
    let text: Vec<u16> = err.to_string().encode_utf16().chain([0]).collect();
    let this = platform as *const Connection as *const AddInDefBase;
    // SAFETY: `platform` is the IAddInDefBase the platform passed to Init, alive for the
    // object's lifetime; its first field is the interface-table pointer.
    unsafe {
        ((*(*this).vtable).add_error)(
            this.cast(),
            ADDIN_E_FAIL,
            source.as_ptr(),
            text.as_ptr(),
            E_FAIL,
        )
    };
}

/// Writes `value` into a platform variant, allocating through the platform's memory manager.
fn write(value: Value, out: &mut Variant) -> Result<()> {
    match value {
        Value::Bool(b) => out.set_bool(b),
        Value::Number(n) => out.set_i32(n),
        Value::Text(text) => write_text(&text, out)?,
        Value::Binary(data) => write_blob(&data, out)?,
        Value::Received(read) => {
            // Consumed only once it is in platform memory; on failure its bytes stay buffered,
            // so a read with a smaller МаксимальныйРазмер can still fetch them.
            write_blob(read.data(), out)?;
            read.consume();
        }
        Value::ReceivedText(text, read) => {
            write_text(&text, out)?;
            read.consume();
        }
    }
    Ok(())
}

/// Writes `text` into a platform string (UTF-16).
fn write_text(text: &str, out: &mut Variant) -> Result<()> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let bytes = units.len().saturating_mul(2);
    check_size(bytes)?;
    out.set_str1c(units.as_slice())
        .map_err(|_| no_memory(bytes))
}

/// Copies `data` into a platform block: the one copy a binary result takes.
fn write_blob(data: &[u8], out: &mut Variant) -> Result<()> {
    check_size(data.len())?;
    out.set_blob(data).map_err(|_| no_memory(data.len()))
}

/// Refuses a value the platform cannot hold.
fn check_size(bytes: usize) -> Result<()> {
    if bytes > MAX_VALUE_BYTES {
        return Err(Error::new(
            ErrorKind::Io,
            format!(
                "the value is {bytes} bytes; a 1C value can hold at most {MAX_VALUE_BYTES} bytes"
            ),
        ));
    }
    Ok(())
}

fn no_memory(bytes: usize) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("the platform could not allocate {bytes} bytes for the value"),
    )
}

fn default_value(default: DefaultValue) -> Value<'static> {
    match default {
        DefaultValue::Text(text) => Value::Text(text.to_string()),
        DefaultValue::Number(n) => Value::Number(n),
        DefaultValue::Boolean(b) => Value::Bool(b),
    }
}

/// One object of the class whose state is `S` (`TcpClient`, `TcpServer`).
#[derive(Default)]
pub struct Component<S: ObjectClass> {
    state: S,
    platform: Option<&'static Connection>,
}

impl<S: ObjectClass> Component<S> {
    /// Records a failure; raises it if asked to, otherwise stores `failure` as the result.
    /// Returns what the interface function returns: `false` makes the platform raise.
    fn fail(&mut self, err: Error, failure: Option<Value>, out: Option<&mut Variant>) -> bool {
        let throw = self.state.common().throw_errors;
        if throw {
            if let Some(platform) = self.platform {
                raise(platform, &err);
            }
        }
        self.state.common_mut().last_error = Some(err);
        if throw {
            return false;
        }
        if let (Some(out), Some(value)) = (out, failure) {
            // Empty values need no memory beyond a zero-length allocation; should even that fail,
            // the variant stays empty, which the caller sees as Неопределено.
            let _ = write(value, out);
        }
        true
    }

    /// `CallAsFunc` (with `out`) and `CallAsProc` (without).
    fn call(&mut self, num: usize, params: &mut [Variant], out: Option<&mut Variant>) -> bool {
        let Some(spec) = S::methods().get(num) else {
            return false;
        };
        if num != S::GET_LAST_ERROR {
            self.state.common_mut().last_error = None;
        }
        let values: Vec<ParamValue> = params.iter().map(Variant::get).collect();
        let args = Args::new(&spec.names, spec.params, values);
        let result = match &args {
            Ok(args) => {
                let state = &mut self.state;
                // The closure moves `state` on (FnOnce), so its result may borrow the state.
                catch_unwind(AssertUnwindSafe(move || {
                    let state = state;
                    (spec.run)(state, args)
                }))
                .unwrap_or_else(|panic| {
                    Err(Error::new(
                        ErrorKind::Io,
                        format!(
                            "internal error in {}: {}",
                            spec.names.label(),
                            panic_message(panic.as_ref())
                        ),
                    ))
                })
            }
            Err(e) => Err(e.clone()),
        };
        let failure = spec.returns.failure(args.as_ref().ok());
        match (result, out) {
            (Ok(value), Some(out)) => match write(value, out) {
                Ok(()) => true,
                Err(e) => self.fail(e, Some(failure), Some(out)),
            },
            (Ok(value), None) => {
                value.discard();
                true
            }
            (Err(e), out) => {
                if let Some(log) = &self.state.common().log {
                    log.record(&format!("{} failed: {e}", spec.names.label()));
                }
                self.fail(e, Some(failure), out)
            }
        }
    }
}

impl<S: ObjectClass> Drop for Component<S> {
    /// `DestroyObject` drops the object: what it holds open is closed.
    fn drop(&mut self) {
        shield((), || self.state.close());
    }
}

impl<S: ObjectClass> RawAddin for Component<S> {
    fn init(&mut self, interface: &'static Connection) -> bool {
        self.platform = Some(interface);
        true
    }

    fn get_info(&mut self) -> u16 {
        2000
    }

    fn done(&mut self) {
        shield((), || self.state.close());
    }

    fn register_extension_as(&mut self) -> &CStr1C {
        S::class_name16()
    }

    fn get_n_props(&mut self) -> usize {
        S::props().len()
    }

    fn find_prop(&mut self, name: &CStr1C) -> Option<usize> {
        shield(None, || find(S::props(), |p| &p.names, name))
    }

    fn get_prop_name(&mut self, num: usize, alias: usize) -> Option<&'static CStr1C> {
        S::props().get(num).map(|p| p.names.by_alias(alias))
    }

    fn get_prop_val(&mut self, num: usize, val: &mut Variant) -> bool {
        shield(false, || {
            #[cfg(feature = "panic-trigger")]
            self.state
                .common()
                .panic_trigger
                .at(crate::panic_trigger::Point::GetProp);
            S::props()
                .get(num)
                .is_some_and(|p| match write((p.get)(&self.state), val) {
                    Ok(()) => true,
                    Err(e) => {
                        self.fail(e, None, None);
                        false
                    }
                })
        })
    }

    fn set_prop_val(&mut self, num: usize, val: &Variant) -> bool {
        shield(false, || {
            #[cfg(feature = "panic-trigger")]
            self.state
                .common()
                .panic_trigger
                .at(crate::panic_trigger::Point::SetProp);
            let Some(PropSpec {
                names,
                set: Some(set),
                ..
            }) = S::props().get(num)
            else {
                return false;
            };
            match set(&mut self.state, &val.get(), &names.label()) {
                Ok(()) => true,
                // A failed assignment returns false either way: no result can stand in for it.
                Err(e) => {
                    self.fail(e, None, None);
                    false
                }
            }
        })
    }

    fn is_prop_readable(&mut self, num: usize) -> bool {
        num < S::props().len()
    }

    fn is_prop_writable(&mut self, num: usize) -> bool {
        S::props().get(num).is_some_and(|p| p.set.is_some())
    }

    fn get_n_methods(&mut self) -> usize {
        S::methods().len()
    }

    fn find_method(&mut self, name: &CStr1C) -> Option<usize> {
        shield(None, || find(S::methods(), |m| &m.names, name))
    }

    fn get_method_name(&mut self, num: usize, alias: usize) -> Option<&'static CStr1C> {
        S::methods().get(num).map(|m| m.names.by_alias(alias))
    }

    fn get_n_params(&mut self, num: usize) -> usize {
        S::methods().get(num).map_or(0, |m| m.params.len())
    }

    fn get_param_def_value(
        &mut self,
        method_num: usize,
        param_num: usize,
        mut value: Variant,
    ) -> bool {
        shield(false, || {
            let default = S::methods()
                .get(method_num)
                .and_then(|m| m.params.get(param_num))
                .and_then(|p| p.default);
            default.is_some_and(|d| write(default_value(d), &mut value).is_ok())
        })
    }

    fn has_ret_val(&mut self, method_num: usize) -> bool {
        method_num < S::methods().len()
    }

    fn call_as_proc(&mut self, method_num: usize, params: &mut [Variant]) -> bool {
        shield(false, || self.call(method_num, params, None))
    }

    fn call_as_func(
        &mut self,
        method_num: usize,
        params: &mut [Variant],
        val: &mut Variant,
    ) -> bool {
        shield(false, || self.call(method_num, params, Some(val)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shield_turns_panics_into_the_fallback() {
        assert_eq!(shield(7, || -> i32 { panic!("boom") }), 7);
        assert_eq!(shield(7, || 1), 1);
        let payload = catch_unwind(|| panic!("with {}", "format")).unwrap_err();
        assert_eq!(panic_message(payload.as_ref()), "with format");
    }

    #[test]
    fn e_fail_is_the_negative_hresult() {
        assert_eq!(E_FAIL, -2147467259);
    }
}
