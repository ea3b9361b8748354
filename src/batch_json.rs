//! The JSON form of a batch, shared by the add-in's `ОбработатьЗапросы` / `ProcessRequests` and
//! the CLI's `tcplink request --requests`: requests in ([`requests_from_json`]) and results out
//! ([`result_json`], [`results_json`]).
//!
//! A request is an object with these fields; only `address` is required, and an absent (or
//! `null`) field keeps the caller's default:
//!
//! | field | value |
//! |---|---|
//! | `address` | the server, as `ОбработатьЗапрос` takes it (`host:port`, `[v6]:port`, a URL) |
//! | `data` / `data_base64` | what to send: UTF-8 text, or bytes in base64 (one of the two) |
//! | `tls`, `proxy` | settings as an object, or as JSON text or the path of a `.json` file |
//! | `marker` / `marker_base64` | the end of the answer: UTF-8 text, or bytes in base64 |
//! | `max_size` | the most bytes to read; 0: no limit |
//! | `timeout` | ms: the send limit and the whole read's limit; 0: none |
//! | `idle_timeout` | ms: how long the read waits for the next byte; 0: no such limit |
//! | `connect_timeout` | ms: the bound on resolving, connecting and the handshakes; 0: none |
//!
//! A result is an object: `{"result": true, "address": ..., "answer": text, "end": ...}` (or
//! `"answer_base64"` for binary answers), or the error in both shapes the add-in uses:
//! `{"result": false, "address": ..., "error": ..., "kind": ..., "message": ...}`.

use std::time::Duration;

use base64::Engine;
use serde_json::{Map, Value};

use crate::connect::Endpoint;
use crate::connection::Request;
use crate::reader::ReadOutcome;
use crate::settings::ProxySettings;
use tcplink_transport::{Error, HostPort, Result, TlsSettings};

/// Every field a request may have.
pub const FIELDS: [&str; 11] = [
    "address",
    "data",
    "data_base64",
    "tls",
    "proxy",
    "marker",
    "marker_base64",
    "max_size",
    "timeout",
    "idle_timeout",
    "connect_timeout",
];

/// How a result carries its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerForm {
    /// `answer`: the bytes as UTF-8 text, with bytes that are not UTF-8 replaced by U+FFFD.
    Text,
    /// `answer_base64`: the bytes in base64.
    Base64,
}

/// Parses a batch: a JSON array of request objects, or JSON lines (one request object per
/// non-empty line). Each request starts as `defaults(target)` for its address and takes the
/// fields it gives. A malformed batch is an `argument` error for `param` that names the
/// request's index (from 0) and the field.
pub fn requests_from_json(
    text: &str,
    param: &str,
    defaults: impl Fn(HostPort) -> Request,
) -> Result<Vec<Request>> {
    let values = parse_values(text, param)?;
    values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let context = format!("{param}: request [{index}]");
            request(value, &context, &defaults)
        })
        .collect()
}

/// The requests as JSON values: the elements of an array, or one per non-empty line.
fn parse_values(text: &str, param: &str) -> Result<Vec<Value>> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::argument(
            param,
            "expected a JSON array of requests [{\"address\": ...}, ...], got an empty string",
        ));
    }
    if trimmed.starts_with('[') {
        return match serde_json::from_str(trimmed) {
            Ok(Value::Array(values)) => Ok(values),
            Ok(_) => unreachable!("a JSON text starting with [ is an array"),
            Err(e) => Err(Error::argument(param, format!("invalid JSON: {e}"))),
        };
    }
    trimmed
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| {
                Error::argument(
                    param,
                    format!(
                        "line {}: invalid JSON (expected an array of requests, or one request object per line): {e}",
                        n + 1
                    ),
                )
            })
        })
        .collect()
}

/// One request from its JSON object; `context` starts every error message.
fn request(
    value: &Value,
    context: &str,
    defaults: &impl Fn(HostPort) -> Request,
) -> Result<Request> {
    let Value::Object(fields) = value else {
        return Err(Error::argument(
            context,
            format!(
                "expected an object {{\"address\": ...}}, got {}",
                describe(value)
            ),
        ));
    };
    let field = Fields { fields, context };
    if let Some(unknown) = fields.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(field.error(
            unknown,
            format!("unknown field (the fields are {})", FIELDS.join(", ")),
        ));
    }
    let address = field
        .text("address")?
        .ok_or_else(|| field.error("address", "the field is required".into()))?;
    let target = HostPort::parse_address(&address, &format!("{context}: address"))?;
    let mut request = defaults(target);
    if let Some(data) = field.bytes("data", "data_base64")? {
        request.data = data;
    }
    if let Some(marker) = field.bytes("marker", "marker_base64")? {
        request.marker = marker;
    }
    if let Some(tls) = field.settings("tls", TlsSettings::from_json)? {
        request.endpoint.tls = tls;
    }
    if let Some(proxy) = field.settings("proxy", ProxySettings::from_json)? {
        request.endpoint.proxy = proxy;
    }
    if let Some(size) = field.number("max_size")? {
        request.max_size = usize::try_from(size).unwrap_or(usize::MAX);
    }
    if let Some(ms) = field.number("timeout")? {
        request.timeout = millis(ms);
    }
    if let Some(ms) = field.number("idle_timeout")? {
        request.idle_timeout = millis(ms);
    }
    if let Some(ms) = field.number("connect_timeout")? {
        request.connect.connect_timeout = millis(ms);
    }
    Ok(request)
}

/// A time limit in milliseconds; 0 means none.
fn millis(ms: u64) -> Option<Duration> {
    (ms != 0).then(|| Duration::from_millis(ms))
}

/// The fields of one request object, read with errors that name the request and the field.
struct Fields<'a> {
    fields: &'a Map<String, Value>,
    context: &'a str,
}

impl Fields<'_> {
    fn error(&self, field: &str, problem: String) -> Error {
        Error::argument(&format!("{}: {field}", self.context), problem)
    }

    /// The field's value; `null` counts as absent.
    fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    fn text(&self, name: &str) -> Result<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => {
                Err(self.error(name, format!("expected a string, got {}", describe(other))))
            }
        }
    }

    fn number(&self, name: &str) -> Result<Option<u64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| {
                self.error(name, format!("expected a whole number 0 or more, got {n}"))
            }),
            Some(other) => {
                Err(self.error(name, format!("expected a number, got {}", describe(other))))
            }
        }
    }

    /// Bytes given as UTF-8 text in `text` or as base64 in `base64` (whitespace, such as the line
    /// breaks 1C's `Base64Строка` writes, is ignored), but not both.
    fn bytes(&self, text: &str, base64: &str) -> Result<Option<Vec<u8>>> {
        match (self.text(text)?, self.text(base64)?) {
            (Some(_), Some(_)) => {
                Err(self.error(base64, format!("give {text} or {base64}, not both")))
            }
            (Some(text), None) => Ok(Some(text.into_bytes())),
            (None, Some(encoded)) => {
                let compact: String = encoded.split_ascii_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map(Some)
                    .map_err(|e| self.error(base64, format!("invalid base64: {e}")))
            }
            (None, None) => Ok(None),
        }
    }

    /// Settings given as an object, or as JSON text or a `.json` path, parsed by `parse`; the
    /// error of `parse` is re-attributed to the request's field.
    fn settings<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<Option<T>>,
    ) -> Result<Option<Option<T>>> {
        let text = match self.get(name) {
            None => return Ok(None),
            Some(Value::String(text)) => text.clone(),
            Some(object @ Value::Object(_)) => object.to_string(),
            Some(other) => {
                return Err(self.error(
                    name,
                    format!(
                        "expected an object, JSON text or a .json path, got {}",
                        describe(other)
                    ),
                ))
            }
        };
        parse(&text).map(Some).map_err(|e| {
            let message = e.message();
            // The parser names its own parameter (`Tls: ...`); the request's field replaces it.
            let problem = message.split_once(": ").map_or(message, |(_, p)| p);
            self.error(name, problem.to_string())
        })
    }
}

/// What a JSON value is, for messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One request's result as a JSON object (see the module's documentation), naming its server.
pub fn result_json(endpoint: &Endpoint, result: &Result<ReadOutcome>, form: AnswerForm) -> Value {
    let mut object = match result {
        Ok(outcome) => {
            let mut object = Map::new();
            object.insert("result".into(), true.into());
            let (key, answer) = match form {
                AnswerForm::Text => ("answer", String::from_utf8_lossy(&outcome.data).into()),
                AnswerForm::Base64 => (
                    "answer_base64",
                    base64::engine::general_purpose::STANDARD.encode(&outcome.data),
                ),
            };
            object.insert(key.into(), answer.into());
            object.insert("end".into(), outcome.end.as_str().into());
            object
        }
        Err(e) => match serde_json::from_str(&e.to_json()) {
            Ok(Value::Object(object)) => object,
            _ => unreachable!("an error's JSON is an object"),
        },
    };
    object.insert("address".into(), endpoint.target.to_string().into());
    Value::Object(object)
}

/// The results of `requests` as a JSON array, in their order.
pub fn results_json(
    requests: &[Request],
    results: &[Result<ReadOutcome>],
    form: AnswerForm,
) -> String {
    let values: Vec<Value> = requests
        .iter()
        .zip(results)
        .map(|(request, result)| result_json(&request.endpoint, result, form))
        .collect();
    Value::Array(values).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::ReadEnd;
    use tcplink_transport::ErrorKind;

    fn defaults(target: HostPort) -> Request {
        Request::new(
            Endpoint {
                target,
                tls: None,
                proxy: None,
            },
            b"default".to_vec(),
        )
    }

    fn parse(text: &str) -> Result<Vec<Request>> {
        requests_from_json(text, "Requests", defaults)
    }

    fn message(text: &str) -> String {
        let err = parse(text).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
        err.message().to_string()
    }

    #[test]
    fn every_field_parses_and_absent_fields_keep_the_defaults() {
        let requests = parse(
            r#"[{"address": "127.0.0.1:7"},
                {"address": "h:1", "data_base64": "AP8K", "marker": "\r\n", "max_size": 10,
                 "timeout": 0, "idle_timeout": 250, "connect_timeout": 1500,
                 "tls": {"use_tls": true, "accept_invalid_certs": true},
                 "proxy": "{\"server\": \"p\", \"port\": 1080}"}]"#,
        )
        .unwrap();
        assert_eq!(requests[0].data, b"default");
        assert_eq!(requests[0].marker, b"\n");
        assert_eq!(requests[0].timeout, Some(Duration::from_secs(5)));
        let r = &requests[1];
        assert_eq!(r.endpoint.target.to_string(), "h:1");
        assert_eq!(r.data, [0, 0xff, b'\n']);
        assert_eq!(r.marker, b"\r\n");
        assert_eq!(r.max_size, 10);
        assert_eq!(r.timeout, None);
        assert_eq!(r.idle_timeout, Some(Duration::from_millis(250)));
        assert_eq!(r.connect.connect_timeout, Some(Duration::from_millis(1500)));
        assert!(r.endpoint.tls.as_ref().unwrap().accept_invalid_certs);
        assert_eq!(r.endpoint.proxy.as_ref().unwrap().port, 1080);
    }

    #[test]
    fn json_lines_and_wrapped_base64_are_accepted() {
        let requests =
            parse("{\"address\": \"a:1\", \"data\": \"x\"}\n\n{\"address\": \"b:2\", \"data_base64\": \"AP\\r\\n8K\"}\n")
                .unwrap();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].data, b"x");
        assert_eq!(requests[1].data, [0, 0xff, b'\n']);
        assert!(parse("[]").unwrap().is_empty());
    }

    #[test]
    fn malformed_requests_name_their_index_and_field() {
        for (text, expected) in [
            ("", "Requests: expected a JSON array"),
            ("[1", "Requests: invalid JSON"),
            (
                "{\"address\": \"a:1\"}\n{",
                "Requests: line 2: invalid JSON",
            ),
            (
                r#"[{"address": "a:1"}, 5]"#,
                "request [1]: expected an object",
            ),
            (
                r#"[{"data": "x"}]"#,
                "request [0]: address: the field is required",
            ),
            (
                r#"[{"address": 5}]"#,
                "request [0]: address: expected a string, got a number",
            ),
            (r#"[{"address": ""}]"#, "request [0]: address: "),
            (
                r#"[{"address": "a:1", "timout": 5}]"#,
                "request [0]: timout: unknown field",
            ),
            (
                r#"[{"address": "a:1", "timeout": -1}]"#,
                "request [0]: timeout: expected a whole number 0 or more, got -1",
            ),
            (
                r#"[{"address": "a:1", "max_size": "5"}]"#,
                "request [0]: max_size: expected a number, got a string",
            ),
            (
                r#"[{"address": "a:1", "data": "x", "data_base64": "eA=="}]"#,
                "request [0]: data_base64: give data or data_base64, not both",
            ),
            (
                r#"[{"address": "a:1", "marker_base64": "!"}]"#,
                "request [0]: marker_base64: invalid base64",
            ),
            (
                r#"[{"address": "a:1", "tls": {"verify": 1}}]"#,
                "request [0]: tls: invalid TLS settings JSON: unknown field `verify`",
            ),
            (
                r#"[{"address": "a:1", "tls": true}]"#,
                "request [0]: tls: expected an object",
            ),
            (
                r#"[{"address": "a:1", "proxy": {"server": "p", "port": 0}}]"#,
                "request [0]: proxy: ",
            ),
        ] {
            let message = message(text);
            assert!(message.starts_with("Requests: "), "{text}: {message}");
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    #[test]
    fn results_carry_the_answer_or_both_error_shapes() {
        let requests = parse(r#"[{"address": "a:1"}, {"address": "b:2"}]"#).unwrap();
        let results = vec![
            Ok(ReadOutcome {
                data: vec![b'o', b'k', 0xff],
                end: ReadEnd::Eof,
            }),
            Err(Error::new(ErrorKind::Connect, "refused")),
        ];
        let text: Value =
            serde_json::from_str(&results_json(&requests, &results, AnswerForm::Text)).unwrap();
        assert_eq!(
            text,
            serde_json::json!([
                {"result": true, "address": "a:1", "answer": "ok\u{fffd}", "end": "eof"},
                {"result": false, "address": "b:2", "error": "refused", "kind": "connect", "message": "refused"},
            ])
        );
        let binary = result_json(&requests[0].endpoint, &results[0], AnswerForm::Base64);
        assert_eq!(binary["answer_base64"], "b2v/");
        assert!(binary.get("answer").is_none());
    }
}
