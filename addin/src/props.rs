//! The property table of `TcpClient`.

use addin1c::ParamValue;
use tcplink::{Error, Result};

use crate::methods::Value;
use crate::names;
use crate::names::Names;
use crate::object::{get_throw_errors, get_version, set_throw_errors, type_error};
use crate::params::integer;
use crate::state::ClientState;

/// Writes a property of the class whose state is `S` from the platform's value; the `&str` is
/// the property's label for messages.
pub type Setter<S> = fn(&mut S, &ParamValue, &str) -> Result<()>;

/// One property of the class whose state is `S`: names, getter and (for read-write ones)
/// setter.
pub struct PropSpec<S: 'static> {
    /// Russian and English names.
    pub names: Names,
    /// Reads the property.
    pub get: fn(&S) -> Value<'static>,
    /// Writes the property; `None` for read-only ones.
    pub set: Option<Setter<S>>,
}

/// `ВызыватьИсключения` / `ThrowErrors`, the same in every class.
pub const fn throw_errors<S: crate::object::ObjectClass>() -> PropSpec<S> {
    PropSpec {
        names: names!("ВызыватьИсключения", "ThrowErrors"),
        get: get_throw_errors::<S>,
        set: Some(set_throw_errors::<S>),
    }
}

/// `Версия` / `Version`, the same in every class.
pub const fn version<S>() -> PropSpec<S> {
    PropSpec {
        names: names!("Версия", "Version"),
        get: get_version::<S>,
        set: None,
    }
}

/// Every property, in the platform's numbering.
pub static PROPS: [PropSpec<ClientState>; 7] = [
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
    version(),
    throw_errors(),
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
