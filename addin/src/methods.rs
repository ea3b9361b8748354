//! The method table of `TcpClient`: layer 1 of the API (`shared/api.md`), in the platform's
//! numbering. Each entry has both names, its parameters with their defaults, what it returns on
//! failure, and the function that runs it.

use tcplink::batch_json::AnswerForm;
use tcplink::{BorrowedRead, ReadLimits, Result, MAX_THREADS};

use crate::encodings::TextEncoding;
use crate::names;
use crate::names::Names;
use crate::object::{get_last_error, get_log};
use crate::params::{Args, DefaultValue as D, ParamKind as K, ParamSpec as P};
use crate::state::{proxy_settings_json, tls_settings_json, ClientState};

/// A value returned to the platform.
#[derive(Debug)]
pub enum Value<'a> {
    /// Булево.
    Bool(bool),
    /// Число.
    Number(i32),
    /// Строка.
    Text(String),
    /// ДвоичныеДанные.
    Binary(Vec<u8>),
    /// ДвоичныеДанные still in the connection's read buffer: copied straight into platform
    /// memory, and consumed only once that succeeded.
    Received(BorrowedRead<'a>),
    /// A Строка decoded from a read still in the connection's read buffer, which is consumed only
    /// once the platform has taken the string.
    ReceivedText(String, BorrowedRead<'a>),
}

impl Value<'_> {
    /// Drops a result that was called for as a procedure: received data is consumed all the
    /// same, as a function call would have returned it.
    pub fn discard(self) {
        if let Value::Received(read) | Value::ReceivedText(_, read) = self {
            read.consume();
        }
    }
}

/// What a method returns when it fails and exceptions are off: `Ложь` or empty data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// `Ложь`.
    Bool,
    /// `""`.
    Text,
    /// Empty ДвоичныеДанные.
    Binary,
    /// `""`, or empty ДвоичныеДанные when parameter `n` is `Ложь` (`ОтветСтрокой`).
    TextUnlessFalse(usize),
}

impl Returns {
    /// The failure value for a call with `args`.
    pub fn failure(self, args: Option<&Args>) -> Value<'static> {
        match self {
            Returns::Bool => Value::Bool(false),
            Returns::Text => Value::Text(String::new()),
            Returns::Binary => Value::Binary(Vec::new()),
            Returns::TextUnlessFalse(i) => match args.map(|a| a.boolean(i)) {
                Some(Ok(false)) => Value::Binary(Vec::new()),
                _ => Value::Text(String::new()),
            },
        }
    }
}

/// One method of the class whose state is `S`: names, parameters, failure value and
/// implementation.
pub struct MethodSpec<S: 'static> {
    /// Russian and English names.
    pub names: Names,
    /// Parameters, in order; `GetNParams` counts all of them, optional ones included.
    pub params: &'static [P],
    /// What a failed call returns when exceptions are off.
    pub returns: Returns,
    /// Runs the method.
    pub run: for<'s> fn(&'s mut S, &Args) -> Result<Value<'s>>,
}

impl<S> MethodSpec<S> {
    /// How many parameters a caller must pass (the rest have defaults).
    pub fn required_params(&self) -> usize {
        self.params.iter().filter(|p| p.default.is_none()).count()
    }
}

pub(crate) const TIMEOUT: P = P::optional(names!("Таймаут", "Timeout"), K::Number, D::Number(5000));
pub(crate) const IDLE_TIMEOUT: P = P::optional(
    names!("ТаймаутОжидания", "IdleTimeout"),
    K::Number,
    D::Number(0),
);
const ENCODING: P = P::optional(names!("Кодировка", "Encoding"), K::Text, D::Text("UTF-8"));
pub(crate) const MARKER: P = P::optional(names!("Маркер", "Marker"), K::TextOrBinary, D::Text(""));
const ADDRESS: P = P::required(names!("Адрес", "Address"), K::Text);
pub(crate) const TLS: P = P::optional(names!("Tls", "Tls"), K::Text, D::Text(""));
const PROXY: P = P::optional(names!("Прокси", "Proxy"), K::Text, D::Text(""));
pub(crate) const LOGGING: P = P::optional(names!("Логирование", "Logging"), K::Text, D::Text(""));
const AS_STRING: P = P::optional(
    names!("ОтветСтрокой", "AsString"),
    K::Boolean,
    D::Boolean(true),
);

/// `ПолучитьЛог`'s one parameter: how many of the last events (0: all).
pub(crate) const EVENT_COUNT: P = P::optional(
    names!("ЧислоСобытий", "EventCount"),
    K::Number,
    D::Number(100),
);

/// Index of `ПолучитьПоследнююОшибку`, the one method that does not reset the last error.
pub const GET_LAST_ERROR: usize = 9;

/// Every method, in the platform's numbering.
pub static METHODS: [MethodSpec<ClientState>; 14] = [
    MethodSpec {
        names: names!("ОткрытьСоединение", "Connect"),
        params: &[ADDRESS, TLS, PROXY, LOGGING],
        returns: Returns::Bool,
        run: |s, a| {
            let logging = (a.text(3)?, a.label(3));
            s.connect(
                &a.text(0)?,
                &a.text(1)?,
                &a.text(2)?,
                (&logging.0, &logging.1),
            )
            .map(|_| Value::Bool(true))
        },
    },
    MethodSpec {
        names: names!("ЗакрытьСоединение", "Close"),
        params: &[],
        returns: Returns::Bool,
        run: |s, _| {
            s.close();
            Ok(Value::Bool(true))
        },
    },
    MethodSpec {
        names: names!("ОтправитьДвоичныеДанные", "SendBinaryData"),
        params: &[P::required(names!("Данные", "Data"), K::Binary), TIMEOUT],
        returns: Returns::Bool,
        run: |s, a| {
            s.send(a.binary(0)?, a.timeout(1)?)
                .map(|_| Value::Bool(true))
        },
    },
    MethodSpec {
        names: names!("ОтправитьСтроку", "SendLine"),
        params: &[
            P::required(names!("Данные", "Data"), K::Text),
            ENCODING,
            TIMEOUT,
        ],
        returns: Returns::Bool,
        run: |s, a| {
            let encoding = TextEncoding::from_name(&a.text(1)?, &a.label(1))?;
            let data = encoding.encode(&a.text(0)?, &a.label(0))?;
            s.send(&data, a.timeout(2)?).map(|_| Value::Bool(true))
        },
    },
    MethodSpec {
        names: names!("ПрочитатьДвоичныеДанные", "ReadBinaryData"),
        params: &[
            P::optional(
                names!("МаксимальныйРазмер", "MaxSize"),
                K::Number,
                D::Number(0),
            ),
            MARKER,
            TIMEOUT,
            IDLE_TIMEOUT,
        ],
        returns: Returns::Binary,
        run: |s, a| {
            let marker = a.bytes(1, |text, param| TextEncoding::UTF8.encode(text, param))?;
            let limits = ReadLimits {
                max_size: a.size(0)?,
                marker: &marker,
                idle_timeout: a.timeout(3)?,
                timeout: a.timeout(2)?,
            };
            Ok(Value::Received(s.read_borrowed(&limits)?))
        },
    },
    MethodSpec {
        names: names!("ПрочитатьСтроку", "ReadLine"),
        params: &[ENCODING, MARKER, TIMEOUT, IDLE_TIMEOUT],
        returns: Returns::Text,
        run: |s, a| {
            let encoding = TextEncoding::from_name(&a.text(0)?, &a.label(0))?;
            let marker = a.bytes(1, |text, param| encoding.encode(text, param))?;
            let limits = ReadLimits {
                max_size: 0,
                marker: &marker,
                idle_timeout: a.timeout(3)?,
                timeout: a.timeout(2)?,
            };
            let read = s.read_borrowed(&limits)?;
            Ok(Value::ReceivedText(encoding.decode(read.data()), read))
        },
    },
    MethodSpec {
        names: names!("ОбработатьЗапрос", "ProcessRequest"),
        params: &[
            ADDRESS,
            P::optional(names!("Данные", "Data"), K::TextOrBinary, D::Text("")),
            AS_STRING,
            TLS,
            PROXY,
        ],
        returns: Returns::TextUnlessFalse(2),
        run: |s, a| {
            let data = a
                .bytes(1, |text, param| TextEncoding::UTF8.encode(text, param))?
                .into_owned();
            let as_string = a.boolean(2)?;
            let answer = s.process_request(&a.text(0)?, data, &a.text(3)?, &a.text(4)?)?;
            Ok(if as_string {
                Value::Text(TextEncoding::UTF8.decode(&answer.data))
            } else {
                Value::Binary(answer.data)
            })
        },
    },
    MethodSpec {
        names: names!("ПолучитьНастройкиTls", "GetTlsSettings"),
        params: &[
            P::required(
                names!("ОтключитьПроверкуСертификатов", "AcceptInvalidCerts"),
                K::Boolean,
            ),
            P::optional(
                names!("ПутьКСертификату", "CaCertPath"),
                K::Text,
                D::Text(""),
            ),
            P::optional(names!("Пины", "Pins"), K::Text, D::Text("")),
        ],
        returns: Returns::Text,
        run: |_, a| {
            let json = tls_settings_json(a.boolean(0)?, &a.text(1)?, (&a.text(2)?, &a.label(2)))?;
            Ok(Value::Text(json))
        },
    },
    MethodSpec {
        names: names!("ПолучитьНастройкиПрокси", "GetProxySettings"),
        params: &[
            ADDRESS,
            P::required(names!("Порт", "Port"), K::Number),
            P::optional(names!("Вид", "Kind"), K::Text, D::Text("socks5")),
            P::optional(names!("Логин", "Login"), K::Text, D::Text("")),
            P::optional(names!("Пароль", "Password"), K::Text, D::Text("")),
        ],
        returns: Returns::Text,
        run: |_, a| {
            let json = proxy_settings_json(
                &a.text(0)?,
                a.integer(1)?,
                &a.text(2)?,
                &a.text(3)?,
                &a.text(4)?,
            )?;
            Ok(Value::Text(json))
        },
    },
    MethodSpec {
        names: names!("ПолучитьПоследнююОшибку", "GetLastError"),
        params: &[],
        returns: Returns::Text,
        run: get_last_error,
    },
    MethodSpec {
        names: names!("ПолучитьЛог", "GetLog"),
        params: &[EVENT_COUNT],
        returns: Returns::Text,
        run: get_log,
    },
    MethodSpec {
        names: names!("ОбработатьЗапросы", "ProcessRequests"),
        params: &[
            P::required(names!("Запросы", "Requests"), K::Text),
            AS_STRING,
            P::optional(names!("ЧислоПотоков", "Threads"), K::Number, D::Number(16)),
        ],
        returns: Returns::Text,
        run: |s, a| {
            let threads = a.size(2)?;
            if threads == 0 {
                return Err(tcplink::Error::argument(
                    &a.label(2),
                    format!("0 threads: give 1 or more (at most {MAX_THREADS} run at once)"),
                ));
            }
            let form = if a.boolean(1)? {
                AnswerForm::Text
            } else {
                AnswerForm::Base64
            };
            let json = s.process_requests(&a.text(0)?, &a.label(0), form, threads)?;
            Ok(Value::Text(json))
        },
    },
    MethodSpec {
        names: names!("НачатьTls", "StartTls"),
        params: &[TLS],
        returns: Returns::Bool,
        run: |s, a| s.start_tls(&a.text(0)?).map(|_| Value::Bool(true)),
    },
    MethodSpec {
        names: names!("ЗавершитьОтправку", "FinishSending"),
        params: &[TIMEOUT],
        returns: Returns::Bool,
        run: |s, a| s.finish_sending(a.timeout(0)?).map(|_| Value::Bool(true)),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_api() {
        let summary: Vec<(&str, &str, usize, usize)> = METHODS
            .iter()
            .map(|m| (m.names.ru, m.names.en, m.required_params(), m.params.len()))
            .collect();
        assert_eq!(
            summary,
            [
                ("ОткрытьСоединение", "Connect", 1, 4),
                ("ЗакрытьСоединение", "Close", 0, 0),
                ("ОтправитьДвоичныеДанные", "SendBinaryData", 1, 2),
                ("ОтправитьСтроку", "SendLine", 1, 3),
                ("ПрочитатьДвоичныеДанные", "ReadBinaryData", 0, 4),
                ("ПрочитатьСтроку", "ReadLine", 0, 4),
                ("ОбработатьЗапрос", "ProcessRequest", 1, 5),
                ("ПолучитьНастройкиTls", "GetTlsSettings", 1, 3),
                ("ПолучитьНастройкиПрокси", "GetProxySettings", 2, 5),
                ("ПолучитьПоследнююОшибку", "GetLastError", 0, 0),
                ("ПолучитьЛог", "GetLog", 0, 1),
                ("ОбработатьЗапросы", "ProcessRequests", 1, 3),
                ("НачатьTls", "StartTls", 0, 1),
                ("ЗавершитьОтправку", "FinishSending", 0, 1),
            ]
        );
        assert_eq!(METHODS[GET_LAST_ERROR].names.en, "GetLastError");
        // Required parameters come first, so omitting trailing ones is always possible.
        for m in &METHODS {
            assert!(
                m.params[..m.required_params()]
                    .iter()
                    .all(|p| p.default.is_none()),
                "{}",
                m.names.en
            );
        }
    }
}
