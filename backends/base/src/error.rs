//! The one error type of the crate: a stable machine-readable [`ErrorKind`] and a human message.

use std::fmt;
use std::io;

/// What kind of failure an [`Error`] is. The names returned by [`ErrorKind::as_str`] are stable:
/// the add-in and the CLI report them to users, who match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A host name could not be resolved.
    Resolve,
    /// The TCP connection could not be established (refused, unreachable).
    Connect,
    /// An operation did not finish within its time limit.
    Timeout,
    /// The TLS handshake or a TLS record failed (certificate rejected, protocol mismatch).
    Tls,
    /// The proxy refused the request or answered something that is not its protocol.
    Proxy,
    /// The connection is closed: by us, or by the peer (reset, broken pipe).
    Closed,
    /// Any other input/output failure.
    Io,
    /// The caller passed a bad value (malformed address or settings, unknown encoding).
    Argument,
}

impl ErrorKind {
    /// The stable lower-case name of this kind (`"resolve"`, `"connect"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Resolve => "resolve",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Tls => "tls",
            ErrorKind::Proxy => "proxy",
            ErrorKind::Closed => "closed",
            ErrorKind::Io => "io",
            ErrorKind::Argument => "argument",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure of a tcplink operation: a [`kind`](Error::kind) to match on and a
/// [`message`](Error::message) that names what failed (the address, the proxy, the setting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// The result type of tcplink operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Creates an error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// Creates an [`ErrorKind::Argument`] error for the parameter `name`.
    pub fn argument(name: &str, problem: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Argument, format!("{name}: {problem}"))
    }

    /// Classifies an I/O error that happened while doing `context` (for example
    /// `"reading from 127.0.0.1:7000"`): time-outs become [`ErrorKind::Timeout`], resets and
    /// broken pipes [`ErrorKind::Closed`], everything else [`ErrorKind::Io`].
    pub fn from_io(err: &io::Error, context: &str) -> Self {
        let kind = match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => ErrorKind::Timeout,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::NotConnected
            | io::ErrorKind::UnexpectedEof => ErrorKind::Closed,
            _ => ErrorKind::Io,
        };
        let detail = if kind == ErrorKind::Timeout {
            "timed out".to_string()
        } else {
            err.to_string()
        };
        Error::new(kind, format!("{context}: {detail}"))
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable description.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error as the JSON object users read from `GetLastError`: OPI's keys `result`
    /// (always false) and `error` (the text), and beside them `kind` and `message`:
    /// `{"result": false, "error": "...", "kind": "...", "message": "..."}`.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "result": false,
            "error": self.message,
            "kind": self.kind.as_str(),
            "message": self.message,
        })
        .to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_classified() {
        let timeout = io::Error::from(io::ErrorKind::WouldBlock);
        assert_eq!(Error::from_io(&timeout, "x").kind(), ErrorKind::Timeout);
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(Error::from_io(&reset, "x").kind(), ErrorKind::Closed);
        let other = io::Error::other("boom");
        let err = Error::from_io(&other, "reading from a:1");
        assert_eq!(err.kind(), ErrorKind::Io);
        assert_eq!(err.message(), "reading from a:1: boom");
    }

    #[test]
    fn json_has_kind_and_message() {
        let err = Error::argument("Address", "port 70000 is out of range");
        let value: serde_json::Value = serde_json::from_str(&err.to_json()).unwrap();
        assert_eq!(value["kind"], "argument");
        assert_eq!(value["message"], "Address: port 70000 is out of range");
    }
}
