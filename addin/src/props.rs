//! The property table of `TcpClient`.

use addin1c::ParamValue;
use tcplink::{Error, Result, VERSION};

use crate::methods::Value;
use crate::names;
use crate::names::Names;
use crate::params::{describe, integer};
use crate::state::ClientState;

/// Writes a property from the platform's value; the `&str` is the property's label for messages.
pub type Setter = fn(&mut ClientState, &ParamValue, &str) -> Result<()>;

/// One property: names, getter and (for read-write ones) setter.
pub struct PropSpec {
    /// Russian and English names.
    pub names: Names,
    /// Reads the property.
    pub get: fn(&ClientState) -> Value,
    /// Writes the property; `None` for read-only ones.
    pub set: Option<Setter>,
}

/// Every property, in the platform's numbering.
pub static PROPS: [PropSpec; 7] = [
    PropSpec {
        names: names!("ТаймаутПодключения", "ConnectTimeout"),
        get: |s| milliseconds(s.connect_timeout_ms),
        set: Some(|s, v, label| {
            s.connect_timeout_ms = to_milliseconds(v, label)?;
            Ok(())
        }),
    },
    PropSpec {
        names: names!("Подключено", "Connected"),
        get: |s| Value::Bool(s.is_connected()),
        set: None,
    },
    PropSpec {
        names: names!("ПричинаОкончанияЧтения", "LastReadEnd"),
        get: |s| {
            Value::Text(
                s.last_read_end
                    .map(|e| e.as_str().to_string())
                    .unwrap_or_default(),
            )
        },
        set: None,
    },
    PropSpec {
        names: names!("ИнформацияTls", "TlsInfo"),
        get: |s| Value::Text(s.tls_info_json()),
        set: None,
    },
    PropSpec {
        names: names!("Версия", "Version"),
        get: |_| Value::Text(VERSION.to_string()),
        set: None,
    },
    PropSpec {
        names: names!("ВызыватьИсключения", "ThrowErrors"),
        get: |s| Value::Bool(s.throw_errors),
        set: Some(|s, v, label| match v {
            ParamValue::Bool(b) => {
                s.throw_errors = *b;
                Ok(())
            }
            other => Err(type_error(label, "a boolean", other)),
        }),
    },
    PropSpec {
        names: names!("ЗадержкаПопыткиПодключения", "ConnectAttemptDelay"),
        get: |s| milliseconds(s.attempt_delay_ms),
        set: Some(|s, v, label| {
            s.attempt_delay_ms = to_milliseconds(v, label)?;
            Ok(())
        }),
    },
];

/// A number of milliseconds as the platform's number.
fn milliseconds(ms: u32) -> Value<'static> {
    Value::Number(i32::try_from(ms).unwrap_or(i32::MAX))
}

/// The platform's value as a number of milliseconds, 0 to `u32::MAX`.
fn to_milliseconds(v: &ParamValue, label: &str) -> Result<u32> {
    let ms = integer(v, label).unwrap_or_else(|| Err(type_error(label, "a number", v)))?;
    u32::try_from(ms)
        .map_err(|_| Error::argument(label, format!("{ms} ms is out of range 0-{}", u32::MAX)))
}

fn type_error(label: &str, expected: &str, got: &ParamValue) -> Error {
    Error::argument(label, format!("expected {expected}, got {}", describe(got)))
}
