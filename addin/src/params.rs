//! Parameter descriptions and the conversion of the platform's values into Rust values.
//!
//! Every conversion names the parameter (`Таймаут (Timeout)`) in its `argument` error. An empty
//! value (an omitted parameter, or `Неопределено`) means the parameter's default; a required
//! parameter without a value is an error.

use std::borrow::Cow;
use std::time::Duration;

use addin1c::ParamValue;
use tcplink::{Error, Result};

use crate::names::Names;

/// What type a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Строка.
    Text,
    /// ДвоичныеДанные.
    Binary,
    /// Строка or ДвоичныеДанные.
    TextOrBinary,
    /// Булево.
    Boolean,
    /// Число (an integer).
    Number,
}

impl ParamKind {
    fn describe(self) -> &'static str {
        match self {
            ParamKind::Text => "a string",
            ParamKind::Binary => "binary data",
            ParamKind::TextOrBinary => "a string or binary data",
            ParamKind::Boolean => "a boolean",
            ParamKind::Number => "a number",
        }
    }
}

/// A parameter's default value, returned by `GetParamDefValue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// A string.
    Text(&'static str),
    /// A number.
    Number(i32),
    /// A boolean.
    Boolean(bool),
}

/// One parameter of a method.
#[derive(Debug)]
pub struct ParamSpec {
    /// Its Russian and English names (for messages and documentation).
    pub names: Names,
    /// The type it takes.
    pub kind: ParamKind,
    /// Its default; `None` for a required parameter.
    pub default: Option<DefaultValue>,
}

impl ParamSpec {
    /// A required parameter.
    pub const fn required(names: Names, kind: ParamKind) -> ParamSpec {
        ParamSpec {
            names,
            kind,
            default: None,
        }
    }

    /// An optional parameter with a default.
    pub const fn optional(names: Names, kind: ParamKind, default: DefaultValue) -> ParamSpec {
        ParamSpec {
            names,
            kind,
            default: Some(default),
        }
    }

    fn label(&self) -> String {
        self.names.label()
    }

    fn type_error(&self, got: &ParamValue) -> Error {
        Error::argument(
            &self.label(),
            format!("expected {}, got {}", self.kind.describe(), describe(got)),
        )
    }
}

/// What the platform passed, as a short phrase for messages.
pub fn describe(value: &ParamValue) -> &'static str {
    match value {
        ParamValue::Empty => "nothing",
        ParamValue::Bool(_) => "a boolean",
        ParamValue::I32(_) | ParamValue::F64(_) => "a number",
        ParamValue::Date(_) => "a date",
        ParamValue::Str(_) => "a string",
        ParamValue::Blob(_) => "binary data",
    }
}

/// A text parameter as UTF-16 from the platform, converted to a `String`.
pub fn utf16_to_string(units: &[u16], param: &str) -> Result<String> {
    String::from_utf16(units)
        .map_err(|_| Error::argument(param, "the string is not valid UTF-16 (a lone surrogate)"))
}

/// A number from the platform as an integer: 1C passes integers as I4 and other numbers as R8.
pub fn integer(value: &ParamValue, param: &str) -> Option<Result<i64>> {
    match *value {
        ParamValue::I32(n) => Some(Ok(i64::from(n))),
        ParamValue::F64(x) if x.fract() == 0.0 && x.abs() <= 9.0e15 => Some(Ok(x as i64)),
        ParamValue::F64(x) => Some(Err(Error::argument(
            param,
            format!("{x} is not a whole number"),
        ))),
        _ => None,
    }
}

/// A non-negative count of milliseconds; 0 means "no limit".
pub fn millis(ms: i64, param: &str) -> Result<Option<Duration>> {
    let ms =
        u64::try_from(ms).map_err(|_| Error::argument(param, format!("{ms} ms is negative")))?;
    Ok((ms != 0).then(|| Duration::from_millis(ms)))
}

/// The actual parameters of one call, checked against the method's parameter list.
pub struct Args<'a> {
    specs: &'static [ParamSpec],
    values: Vec<ParamValue<'a>>,
}

impl<'a> Args<'a> {
    /// Pairs the passed values with the parameter list. More values than parameters is an
    /// `argument` error naming `method`; missing trailing values count as omitted.
    pub fn new(
        method: &Names,
        specs: &'static [ParamSpec],
        values: Vec<ParamValue<'a>>,
    ) -> Result<Args<'a>> {
        if values.len() > specs.len() {
            return Err(Error::argument(
                &method.label(),
                format!(
                    "takes at most {} parameters, got {}",
                    specs.len(),
                    values.len()
                ),
            ));
        }
        Ok(Args { specs, values })
    }

    /// The value at `i`, or the default when it is empty or missing.
    fn get(&self, i: usize) -> Result<(&'static ParamSpec, Option<&ParamValue<'a>>)> {
        let spec = &self.specs[i];
        match self.values.get(i) {
            None | Some(ParamValue::Empty) if spec.default.is_none() => {
                Err(Error::argument(&spec.label(), "the parameter is required"))
            }
            None | Some(ParamValue::Empty) => Ok((spec, None)),
            Some(value) => Ok((spec, Some(value))),
        }
    }

    fn default_error(spec: &ParamSpec) -> Error {
        Error::argument(
            &spec.label(),
            format!("has no default of {}", spec.kind.describe()),
        )
    }

    /// Parameter `i` as a string.
    pub fn text(&self, i: usize) -> Result<String> {
        match self.get(i)? {
            (_, Some(ParamValue::Str(units))) => utf16_to_string(units, &self.specs[i].label()),
            (spec, Some(other)) => Err(spec.type_error(other)),
            (spec, None) => match spec.default {
                Some(DefaultValue::Text(text)) => Ok(text.to_string()),
                _ => Err(Self::default_error(spec)),
            },
        }
    }

    /// Parameter `i` as binary data (borrowed from the platform's value, not copied).
    pub fn binary(&self, i: usize) -> Result<&'a [u8]> {
        match self.get(i)? {
            (_, Some(ParamValue::Blob(bytes))) => Ok(bytes),
            (spec, Some(other)) => Err(spec.type_error(other)),
            (spec, None) => match spec.default {
                Some(DefaultValue::Text("")) => Ok(&[]),
                _ => Err(Self::default_error(spec)),
            },
        }
    }

    /// Parameter `i` as bytes: binary data as it is, a string through `encode` (which gets the
    /// text and the parameter's label).
    pub fn bytes(
        &self,
        i: usize,
        encode: impl FnOnce(&str, &str) -> Result<Vec<u8>>,
    ) -> Result<Cow<'a, [u8]>> {
        let spec = &self.specs[i];
        match self.get(i)? {
            (_, Some(ParamValue::Blob(bytes))) => Ok(Cow::Borrowed(bytes)),
            (_, Some(ParamValue::Str(units))) => {
                let text = utf16_to_string(units, &spec.label())?;
                encode(&text, &spec.label()).map(Cow::Owned)
            }
            (_, Some(other)) => Err(spec.type_error(other)),
            (_, None) => match spec.default {
                Some(DefaultValue::Text(text)) => encode(text, &spec.label()).map(Cow::Owned),
                _ => Err(Self::default_error(spec)),
            },
        }
    }

    /// Parameter `i` as a boolean.
    pub fn boolean(&self, i: usize) -> Result<bool> {
        match self.get(i)? {
            (_, Some(ParamValue::Bool(b))) => Ok(*b),
            (spec, Some(other)) => Err(spec.type_error(other)),
            (spec, None) => match spec.default {
                Some(DefaultValue::Boolean(b)) => Ok(b),
                _ => Err(Self::default_error(spec)),
            },
        }
    }

    /// Parameter `i` as an integer.
    pub fn integer(&self, i: usize) -> Result<i64> {
        match self.get(i)? {
            (spec, Some(value)) => {
                integer(value, &spec.label()).unwrap_or_else(|| Err(spec.type_error(value)))
            }
            (spec, None) => match spec.default {
                Some(DefaultValue::Number(n)) => Ok(i64::from(n)),
                _ => Err(Self::default_error(spec)),
            },
        }
    }

    /// Parameter `i` as a time limit in milliseconds; 0 means no limit.
    pub fn timeout(&self, i: usize) -> Result<Option<Duration>> {
        millis(self.integer(i)?, &self.specs[i].label())
    }

    /// Parameter `i` as a non-negative size.
    pub fn size(&self, i: usize) -> Result<usize> {
        let n = self.integer(i)?;
        usize::try_from(n)
            .map_err(|_| Error::argument(&self.specs[i].label(), format!("{n} is negative")))
    }

    /// How messages name parameter `i`.
    pub fn label(&self, i: usize) -> String {
        self.specs[i].label()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names;
    use tcplink::ErrorKind;

    static SPECS: [ParamSpec; 4] = [
        ParamSpec::required(names!("Адрес", "Address"), ParamKind::Text),
        ParamSpec::optional(
            names!("Таймаут", "Timeout"),
            ParamKind::Number,
            DefaultValue::Number(5000),
        ),
        ParamSpec::optional(
            names!("Маркер", "Marker"),
            ParamKind::TextOrBinary,
            DefaultValue::Text(""),
        ),
        ParamSpec::optional(
            names!("ОтветСтрокой", "AsString"),
            ParamKind::Boolean,
            DefaultValue::Boolean(true),
        ),
    ];
    static METHOD: Names = names!("Метод", "Method");

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn omitted_and_empty_values_take_the_defaults() {
        let address = utf16("a:1");
        let args = Args::new(
            &METHOD,
            &SPECS,
            vec![ParamValue::Str(&address), ParamValue::Empty],
        )
        .unwrap();
        assert_eq!(args.text(0).unwrap(), "a:1");
        assert_eq!(args.timeout(1).unwrap(), Some(Duration::from_millis(5000)));
        assert_eq!(
            args.bytes(2, |t, _| Ok(t.as_bytes().to_vec()))
                .unwrap()
                .as_ref(),
            b""
        );
        assert!(args.boolean(3).unwrap());
    }

    #[test]
    fn wrong_types_counts_and_values_name_the_parameter() {
        let args = Args::new(
            &METHOD,
            &SPECS,
            vec![
                ParamValue::I32(1),
                ParamValue::F64(1.5),
                ParamValue::Bool(true),
            ],
        )
        .unwrap();
        let err = args.text(0).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument);
        assert_eq!(
            err.message(),
            "Адрес (Address): expected a string, got a number"
        );
        assert!(args
            .timeout(1)
            .unwrap_err()
            .message()
            .starts_with("Таймаут (Timeout): 1.5"));
        assert!(args
            .bytes(2, |_, _| unreachable!())
            .unwrap_err()
            .message()
            .contains("string or binary"));
        let args = Args::new(
            &METHOD,
            &SPECS,
            vec![ParamValue::Empty, ParamValue::I32(-1)],
        )
        .unwrap();
        assert_eq!(
            args.text(0).unwrap_err().message(),
            "Адрес (Address): the parameter is required"
        );
        assert!(args.timeout(1).unwrap_err().message().contains("negative"));
        let five = vec![
            ParamValue::Empty,
            ParamValue::Empty,
            ParamValue::Empty,
            ParamValue::Empty,
            ParamValue::Empty,
        ];
        let err = Args::new(&METHOD, &SPECS, five).err().unwrap();
        assert_eq!(
            err.message(),
            "Метод (Method): takes at most 4 parameters, got 5"
        );
    }

    #[test]
    fn whole_reals_are_integers() {
        let args = Args::new(
            &METHOD,
            &SPECS,
            vec![ParamValue::Empty, ParamValue::F64(250.0)],
        )
        .unwrap();
        assert_eq!(args.integer(1).unwrap(), 250);
        let lone = [0xD800u16];
        let args = Args::new(&METHOD, &SPECS, vec![ParamValue::Str(&lone)]).unwrap();
        assert!(args.text(0).unwrap_err().message().contains("UTF-16"));
    }
}
