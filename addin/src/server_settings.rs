//! `Настройки` / `Settings` of `Запустить` / `Start`: the server's buffer limit, send and
//! handshake timeouts and whether a client that half-closes can still be answered, as JSON text
//! or the path of a `.json` file, read the way the `Tls` parameter is.

use std::time::Duration;

use serde::Deserialize;
use serde_path_to_error::Segment;
use tcplink::server::{DEFAULT_BUFFER_LIMIT, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SEND_TIMEOUT};
use tcplink::{settings_json, Error, Result, ServerOptions};

/// The server settings. Absent fields keep the library's defaults; unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Bytes received and unread that one connection holds at most (at least 1): past them the
    /// server stops reading the client, whom TCP flow control then slows down.
    pub buffer_limit: usize,
    /// Milliseconds `ЗавершитьОтправку` / `CompleteSend` may take (0: no limit);
    /// `ОтправитьДанные` / `SendData` takes its own `Таймаут`.
    pub send_timeout: u64,
    /// Milliseconds a client has to finish its TLS handshake (0: no limit).
    pub handshake_timeout: u64,
    /// `true`: the read that returns a client's end (`active` = false) leaves the connection
    /// open for sending until `ЗавершитьОтправку` / `CompleteSend` (which then closes it) or
    /// `ЗакрытьВходящееСоединение` / `CloseIncomingConnection`; `false` (OPI's rule) closes it.
    pub keep_open_after_client_end: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            buffer_limit: DEFAULT_BUFFER_LIMIT,
            send_timeout: millis(DEFAULT_SEND_TIMEOUT),
            handshake_timeout: millis(DEFAULT_HANDSHAKE_TIMEOUT),
            keep_open_after_client_end: false,
        }
    }
}

impl ServerSettings {
    /// Parses the settings of parameter `param`: a JSON object, the path of a `.json` file
    /// holding one, or `""` (every default). Malformed JSON, an unknown field, a value of the
    /// wrong type and a `buffer_limit` of 0 are [`argument`](tcplink::ErrorKind::Argument)
    /// errors naming `param` and the field.
    pub fn from_json(text: &str, param: &str) -> Result<ServerSettings> {
        if text.trim().is_empty() {
            return Ok(ServerSettings::default());
        }
        let text = settings_json(text, param, "server")?;
        let mut json = serde_json::Deserializer::from_str(&text);
        let settings: ServerSettings = serde_path_to_error::deserialize(&mut json)
            .map_err(|e| Error::argument(param, problem(&e)))?;
        if settings.buffer_limit == 0 {
            return Err(Error::argument(
                param,
                "buffer_limit: must be at least 1 byte",
            ));
        }
        Ok(settings)
    }

    /// `options` with these settings.
    pub fn apply(&self, options: ServerOptions) -> ServerOptions {
        ServerOptions {
            buffer_limit: self.buffer_limit,
            send_timeout: limit(self.send_timeout),
            handshake_timeout: limit(self.handshake_timeout),
            keep_open_after_client_end: self.keep_open_after_client_end,
            ..options
        }
    }
}

/// What is wrong with settings JSON, naming the field it is in (an unknown field's message
/// names it already).
fn problem(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let problem = e.inner();
    match e.path().iter().next_back() {
        Some(Segment::Map { key }) if !problem.to_string().contains(&format!("`{key}`")) => {
            format!("{key}: {problem}")
        }
        Some(Segment::Map { .. }) => problem.to_string(),
        _ => format!("invalid server settings JSON: {problem}"),
    }
}

/// `duration` in whole milliseconds.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A time limit of `ms` milliseconds; 0 is none.
fn limit(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcplink::ErrorKind;

    const PARAM: &str = "Настройки (Settings)";

    fn error(text: &str) -> String {
        let err = ServerSettings::from_json(text, PARAM).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument, "{err}");
        err.message().to_string()
    }

    #[test]
    fn empty_text_and_an_empty_object_are_the_librarys_defaults() {
        let defaults = ServerSettings {
            buffer_limit: 1 << 20,
            send_timeout: 10_000,
            handshake_timeout: 10_000,
            keep_open_after_client_end: false,
        };
        assert_eq!(ServerSettings::from_json(" ", PARAM).unwrap(), defaults);
        assert_eq!(ServerSettings::from_json("{}", PARAM).unwrap(), defaults);
        let options = defaults.apply(ServerOptions::new("127.0.0.1:0".parse().unwrap()));
        let library = ServerOptions::new("127.0.0.1:0".parse().unwrap());
        assert_eq!(format!("{options:?}"), format!("{library:?}"));
    }

    #[test]
    fn every_field_reaches_the_options_and_zero_timeouts_are_no_limit() {
        let settings = ServerSettings::from_json(
            r#"{"buffer_limit": 4096, "send_timeout": 0, "handshake_timeout": 250,
                "keep_open_after_client_end": true}"#,
            PARAM,
        )
        .unwrap();
        let options = settings.apply(ServerOptions::new("127.0.0.1:0".parse().unwrap()));
        assert_eq!(options.buffer_limit, 4096);
        assert_eq!(options.send_timeout, None);
        assert_eq!(options.handshake_timeout, Some(Duration::from_millis(250)));
        assert!(options.keep_open_after_client_end);
        // The largest values are taken, and a deadline that far away is made without a panic.
        let huge = format!(
            r#"{{"buffer_limit": {}, "send_timeout": {}}}"#,
            usize::MAX,
            u64::MAX
        );
        let settings = ServerSettings::from_json(&huge, PARAM).unwrap();
        assert_eq!(settings.buffer_limit, usize::MAX);
        let options = settings.apply(ServerOptions::new("127.0.0.1:0".parse().unwrap()));
        assert_eq!(options.send_timeout, Some(Duration::from_millis(u64::MAX)));
        let _ = tcplink::Deadline::after(options.send_timeout);
    }

    #[test]
    fn a_path_to_a_json_file_is_read() {
        let path = std::env::temp_dir().join(format!("srvset-{}.json", std::process::id()));
        std::fs::write(&path, r#"{"buffer_limit": 10}"#).unwrap();
        let settings = ServerSettings::from_json(path.to_str().unwrap(), PARAM);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(settings.unwrap().buffer_limit, 10);
        let missing = error("/nonexistent/server.json");
        assert!(
            missing.starts_with("Настройки (Settings): cannot read the server settings file"),
            "{missing}"
        );
    }

    #[test]
    fn bad_settings_name_the_parameter_and_the_field() {
        for (text, needle) in [
            ("{", "Настройки (Settings): invalid server settings JSON"),
            (
                "not json",
                "Настройки (Settings): invalid server settings JSON",
            ),
            ("[]", "Настройки (Settings): invalid server settings JSON"),
            (
                r#"{"buffer_size": 1}"#,
                "Настройки (Settings): unknown field `buffer_size`",
            ),
            (
                r#"{"buffer_limit": 0}"#,
                "Настройки (Settings): buffer_limit: must be",
            ),
            (
                r#"{"buffer_limit": "big"}"#,
                "Настройки (Settings): buffer_limit: invalid type",
            ),
            (
                r#"{"buffer_limit": 1.5}"#,
                "Настройки (Settings): buffer_limit: invalid type",
            ),
            (
                r#"{"send_timeout": -1}"#,
                "Настройки (Settings): send_timeout: invalid value",
            ),
            (
                r#"{"handshake_timeout": -5}"#,
                "Настройки (Settings): handshake_timeout: invalid",
            ),
            (
                r#"{"handshake_timeout": null}"#,
                "Настройки (Settings): handshake_timeout: invalid",
            ),
            (
                r#"{"keep_open_after_client_end": "yes"}"#,
                "Настройки (Settings): keep_open_after_client_end: invalid type",
            ),
        ] {
            let message = error(text);
            assert!(message.contains(needle), "{text}: {message}");
        }
    }
}
