//! What every class of the add-in shares: the [`Common`] part of an object's state (exception
//! mode, the last error, the event log), the [`ObjectClass`] trait that gives the platform-facing
//! [`Component`](crate::component::Component) a class's tables, and the methods and properties
//! every class has under the same names (`ПолучитьПоследнююОшибку`, `ПолучитьЛог`,
//! `ВызыватьИсключения`, `Версия`).

use std::sync::Arc;

use addin1c::{CStr1C, ParamValue};
use tcplink::{Error, Result, VERSION};

use crate::log::EventLog;
use crate::methods::{MethodSpec, Value};
use crate::params::{describe, Args};
use crate::props::PropSpec;

/// The part of an object's state every class has.
#[derive(Debug, Default)]
pub struct Common {
    /// Whether failures raise a 1C exception instead of returning `Ложь`.
    pub throw_errors: bool,
    /// The error of the last call, if it failed.
    pub last_error: Option<Error>,
    /// The event log, once the object was given logging settings.
    pub log: Option<Arc<EventLog>>,
    /// Test builds: where this object panics on purpose.
    #[cfg(feature = "panic-trigger")]
    pub panic_trigger: crate::panic_trigger::Trigger,
}

/// One class of the add-in: its name, its tables and its state.
pub trait ObjectClass: Default + 'static {
    /// The class name, as `GetClassNames` reports it.
    const CLASS_NAME: &'static str;
    /// Index of `ПолучитьПоследнююОшибку`, the one method that does not reset the last error.
    const GET_LAST_ERROR: usize;
    /// The class name as the platform's string, for `RegisterExtensionAs`.
    fn class_name16() -> &'static CStr1C;
    /// The methods, in the platform's numbering.
    fn methods() -> &'static [MethodSpec<Self>];
    /// The properties, in the platform's numbering.
    fn props() -> &'static [PropSpec<Self>];
    /// The shared part of the state.
    fn common(&self) -> &Common;
    /// The shared part of the state, to change.
    fn common_mut(&mut self) -> &mut Common;
    /// Closes what the object holds open (`Done`, `DestroyObject`); twice is fine.
    fn close(&mut self);
}

/// `ПолучитьПоследнююОшибку` / `GetLastError`: the last call's error as JSON, `""` after a
/// success.
pub fn get_last_error<S: ObjectClass>(state: &mut S, _: &Args) -> Result<Value<'static>> {
    Ok(Value::Text(
        state
            .common()
            .last_error
            .as_ref()
            .map(|e| e.to_json())
            .unwrap_or_default(),
    ))
}

/// `ПолучитьЛог` / `GetLog` (parameter 0: `ЧислоСобытий`): OPI's answer, `{"result": true,
/// "logs": [...], "returned": n, "total": m}` with the last events (0: all), or `{"result":
/// false, "error": ...}` when the object keeps no log in memory.
pub fn get_log<S: ObjectClass>(state: &mut S, args: &Args) -> Result<Value<'static>> {
    let count = args.size(0)?;
    let extract = state.common().log.as_ref().and_then(|log| log.last(count));
    let json = match extract {
        Some(extract) => serde_json::json!({
            "result": true,
            "returned": extract.lines.len(),
            "total": extract.total,
            "logs": extract.lines,
        }),
        None => serde_json::json!({
            "result": false,
            "error": "no event log in memory: give logging settings whose mode is memory or both",
        }),
    };
    Ok(Value::Text(json.to_string()))
}

/// `ВызыватьИсключения` / `ThrowErrors`, read.
pub fn get_throw_errors<S: ObjectClass>(state: &S) -> Value<'static> {
    Value::Bool(state.common().throw_errors)
}

/// `ВызыватьИсключения` / `ThrowErrors`, written: a boolean.
pub fn set_throw_errors<S: ObjectClass>(state: &mut S, v: &ParamValue, label: &str) -> Result<()> {
    match v {
        ParamValue::Bool(b) => {
            state.common_mut().throw_errors = *b;
            Ok(())
        }
        other => Err(type_error(label, "a boolean", other)),
    }
}

/// `Версия` / `Version`.
pub fn get_version<S>(_: &S) -> Value<'static> {
    Value::Text(VERSION.to_string())
}

/// The error of a property given a value of the wrong type.
pub fn type_error(label: &str, expected: &str, got: &ParamValue) -> Error {
    Error::argument(label, format!("expected {expected}, got {}", describe(got)))
}
