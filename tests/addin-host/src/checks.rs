//! The small steps every check is made of: call a method and insist the call itself worked, read
//! the last error as JSON, and destroy an object insisting its memory balanced.

use crate::addin::AddinObject;
use crate::variant::Value;

/// A string value.
pub fn s(text: &str) -> Value {
    Value::str(text)
}

/// Calls a method as a function and returns the value, asserting the call itself succeeded.
///
/// # Panics
/// When the host refuses the call or the add-in returns false.
pub fn call(obj: &AddinObject, name: &str, args: &[Value]) -> Value {
    let returned = obj
        .call(name, args)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        returned.ok,
        "{name} returned false (an exception): {:?}",
        obj.take_errors()
    );
    returned.value
}

/// The last error as JSON (`Value::Null` when there is none).
///
/// # Panics
/// When `GetLastError` fails or returns something that is not JSON.
pub fn last_error(obj: &AddinObject) -> serde_json::Value {
    match call(obj, "GetLastError", &[]) {
        Value::Str(s) if s.is_empty() => serde_json::Value::Null,
        Value::Str(s) => {
            serde_json::from_str(&s).unwrap_or_else(|e| panic!("bad error JSON {s:?}: {e}"))
        }
        other => panic!("GetLastError returned {other:?}"),
    }
}

/// Destroys `obj` as its host does and asserts that every allocation it handed to the host was
/// freed once.
///
/// # Panics
/// When the memory does not balance.
pub fn finish(obj: AddinObject) {
    let report = obj.destroy();
    assert!(report.is_balanced(), "memory not balanced: {report:?}");
}
