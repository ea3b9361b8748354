//! The event log: what a connection does, step by step, told to an [`EventSink`] the caller
//! sets in [`ConnectOptions::events`](crate::ConnectOptions::events).
//!
//! Events cover the connector chain (name resolution, each address tried and its outcome, the
//! proxy handshake, the TLS handshake with the server certificate's subject, issuer, validity,
//! SHA-256 fingerprint and public key in pin form), the connection's life (each send and read
//! with its size and why the read ended, the close, every error), and a [`crate::server`]'s
//! life (where it listens, each connection accepted, refused, evicted, read from, sent to or
//! closed, its stop). They never hold payload bytes or a password: a proxy is named by its
//! kind, address and login only.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use tcplink::{ConnectOptions, Event};
//!
//! let lines = Arc::new(Mutex::new(Vec::new()));
//! let kept = lines.clone();
//! let options = ConnectOptions {
//!     events: Some(Arc::new(move |event: &Event| kept.lock().unwrap().push(event.to_string()))),
//!     ..ConnectOptions::default()
//! };
//! options.events.as_ref().unwrap().event(&Event::Sent { bytes: 12 });
//! assert_eq!(*lines.lock().unwrap(), ["sent 12 bytes"]);
//! ```
//!
//! # Why a callback
//!
//! A sink belongs to one set of options, so each connection can log to its own place: the 1C
//! add-in keeps a bounded ring per client object and may append to a file, a server can tag
//! lines with its request, and a test collects them in order. The `log` crate has one logger per
//! process, so it cannot route events to the object they belong to, and its records are
//! formatted text where a callback gets the typed [`Event`] (sizes, addresses, the
//! [`TlsInfo`]). For programs that do want their events in `log`, the `log` feature adds
//! `LogSink`, a sink that forwards every event there; nothing reaches `log` unless it is set.
//!
//! Events borrow from the connection (addresses, the error, the TLS report), so emitting one
//! allocates nothing; with no sink set nothing is built or formatted at all. A sink that keeps
//! events keeps their [`Display`](fmt::Display) line or copies the fields it needs.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::reader::ReadEnd;
use crate::settings::ProxyKind;
use tcplink_transport::{Backend, Error, HostPort, Result, TlsInfo};

/// One step of a connection, borrowed from it for the time of the [`EventSink::event`] call.
///
/// [`Display`](fmt::Display) gives one English line per event (shown beside each variant);
/// `Debug` shows the fields. Neither ever shows payload bytes or a password.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A host name resolved to these addresses, in the order they are tried (IP literals need
    /// no lookup and give no event): `resolved localhost to ::1, 127.0.0.1`.
    Resolved {
        /// The name looked up.
        host: &'a str,
        /// The addresses it gave.
        addrs: &'a [SocketAddr],
    },
    /// A TCP connection to one address starts (the proxy's address when going through one):
    /// `connecting to 127.0.0.1:7000`.
    Connecting {
        /// The address.
        addr: SocketAddr,
    },
    /// The TCP connection is established: `connected to 127.0.0.1:7000 in 3 ms`.
    Connected {
        /// The address.
        addr: SocketAddr,
        /// How long the connect took.
        elapsed: Duration,
    },
    /// The TCP connection to one address failed; the next one is tried, if any:
    /// `cannot connect to [::1]:7000: Connection refused (os error 111)`.
    ConnectFailed {
        /// The address.
        addr: SocketAddr,
        /// Why.
        error: &'a io::Error,
    },
    /// A connection attempt still pending was closed because another address connected first
    /// (Happy Eyeballs, see [`crate::happy_eyeballs`]):
    /// `cancelled connecting to [::1]:7000, 127.0.0.1:7000 connected first`.
    ConnectCancelled {
        /// The address given up.
        addr: SocketAddr,
        /// The address that connected.
        winner: SocketAddr,
    },
    /// The proxy handshake starts:
    /// `asking socks5 proxy 127.0.0.1:1080 for a tunnel to example.com:80 as alice` (the login,
    /// when one is set; never the password).
    ProxyHandshake {
        /// The protocol spoken to the proxy.
        kind: ProxyKind,
        /// The proxy.
        proxy: &'a HostPort,
        /// Where the tunnel goes.
        target: &'a HostPort,
        /// The login (SOCKS4 user id), if one is set.
        login: Option<&'a str>,
    },
    /// The proxy opened the tunnel:
    /// `socks5 proxy 127.0.0.1:1080 opened a tunnel to example.com:80 in 2 ms`.
    ProxyTunnel {
        /// The protocol spoken to the proxy.
        kind: ProxyKind,
        /// The proxy.
        proxy: &'a HostPort,
        /// Where the tunnel goes.
        target: &'a HostPort,
        /// How long the handshake took.
        elapsed: Duration,
    },
    /// The TLS handshake starts: `TLS handshake (rustls) with localhost` (and
    /// `, certificate not verified` with `accept_invalid_certs`).
    TlsHandshake {
        /// The backend.
        backend: Backend,
        /// The name sent as SNI and verified.
        server_name: &'a str,
        /// Whether the certificate chain and name are verified.
        verify: bool,
    },
    /// The TLS handshake finished:
    /// `TLS: rustls TLSv1.3 TLS13_AES_256_GCM_SHA384, subject CN=localhost, issuer CN=Test CA,
    /// valid 2026-01-01 00:00:00 UTC to 2027-01-01 00:00:00 UTC, sha256 AB:CD:…, key
    /// sha256//q83…=, in 4 ms` (with `, ALPN h2` and `, resumed` when they apply; what the
    /// backend does not report is left out). `sha256` is the certificate's fingerprint, `key`
    /// the public key's in pin form (what `pinned_sha256` takes).
    TlsEstablished {
        /// What was negotiated.
        info: &'a TlsInfo,
        /// How long the handshake took.
        elapsed: Duration,
    },
    /// Data was sent in full: `sent 12 bytes`.
    Sent {
        /// How many bytes.
        bytes: usize,
    },
    /// A read returned: `read 5 bytes, ended on marker` (the reason is [`ReadEnd::as_str`]).
    Read {
        /// How many bytes it returned.
        bytes: usize,
        /// Why it ended.
        end: ReadEnd,
    },
    /// We finished sending (close_notify for TLS, then FIN); reading goes on:
    /// `finished sending to 127.0.0.1:7000`.
    FinishedSending {
        /// The server, as given.
        peer: &'a str,
    },
    /// The connection was closed by us: `closed the connection to 127.0.0.1:7000`.
    Closed {
        /// The server, as given.
        peer: &'a str,
    },
    /// An operation failed: `error (connect): cannot connect to 127.0.0.1:7000 (…)` (the
    /// error's kind and message).
    Error(&'a Error),
    /// A server listens on this address (see [`crate::server`]): `listening on 127.0.0.1:7000`.
    Listening {
        /// The address, with the port the system picked when 0 was asked for.
        addr: SocketAddr,
    },
    /// A server accepted a connection: `accepted connection 7 from 127.0.0.1:50000`.
    Accepted {
        /// The connection's ID.
        id: &'a str,
        /// The client.
        peer: SocketAddr,
    },
    /// A server closed a new connection at once:
    /// `refused 127.0.0.1:50000: 100 connections are open, the limit`.
    Refused {
        /// The client.
        peer: SocketAddr,
        /// Why.
        reason: RefusalReason,
    },
    /// A full server closed its oldest connection to make room for a new one:
    /// `closed connection 3 from 127.0.0.1:50000, the oldest, to make room for a new one`.
    Evicted {
        /// The connection's ID.
        id: &'a str,
        /// Its client.
        peer: SocketAddr,
    },
    /// The client of a server connection closed its side and nothing it sent is left unread:
    /// `connection 7 from 127.0.0.1:50000 closed by the client`.
    PeerClosed {
        /// The connection's ID.
        id: &'a str,
        /// The client.
        peer: SocketAddr,
    },
    /// A read of a server connection returned: `connection 7: read 5 bytes, ended on marker`.
    ConnectionRead {
        /// The connection's ID.
        id: &'a str,
        /// How many bytes it returned.
        bytes: usize,
        /// Why it ended.
        end: ReadEnd,
    },
    /// Data was sent in full on a server connection: `connection 7: sent 12 bytes`.
    ConnectionSent {
        /// The connection's ID.
        id: &'a str,
        /// How many bytes.
        bytes: usize,
    },
    /// A server connection was closed by the server's user:
    /// `closed connection 7 from 127.0.0.1:50000`.
    ConnectionClosed {
        /// The connection's ID.
        id: &'a str,
        /// The client.
        peer: SocketAddr,
    },
    /// A server stopped: its listeners and connections are closed and its threads joined:
    /// `server stopped, 2 connections closed`.
    Stopped {
        /// How many connections were open.
        connections: usize,
    },
}

/// Why a server closed a new connection at once ([`Event::Refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// The connection limit is reached: `100 connections are open, the limit`.
    Full {
        /// The limit.
        limit: usize,
    },
    /// The client's address is not among the allowed ones: `not an allowed client address`.
    NotAllowed,
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RefusalReason::Full { limit: 1 } => f.write_str("1 connection is open, the limit"),
            RefusalReason::Full { limit } => {
                write!(f, "{limit} connections are open, the limit")
            }
            RefusalReason::NotAllowed => f.write_str("not an allowed client address"),
        }
    }
}

/// `1 connection`, `2 connections`.
struct Connections(usize);

impl fmt::Display for Connections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 connection"),
            n => write!(f, "{n} connections"),
        }
    }
}

/// `1 byte`, `12 bytes`.
struct Bytes(usize);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 byte"),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// `3 ms`.
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0.as_millis())
    }
}

impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Event::Resolved { host, addrs } => {
                write!(f, "resolved {host} to ")?;
                for (i, addr) in addrs.iter().enumerate() {
                    let separator = if i == 0 { "" } else { ", " };
                    write!(f, "{separator}{}", addr.ip())?;
                }
                Ok(())
            }
            Event::Connecting { addr } => write!(f, "connecting to {addr}"),
            Event::Connected { addr, elapsed } => {
                write!(f, "connected to {addr} in {}", Millis(elapsed))
            }
            Event::ConnectFailed { addr, error } => write!(f, "cannot connect to {addr}: {error}"),
            Event::ConnectCancelled { addr, winner } => {
                write!(
                    f,
                    "cancelled connecting to {addr}, {winner} connected first"
                )
            }
            Event::ProxyHandshake {
                kind,
                proxy,
                target,
                login,
            } => {
                write!(
                    f,
                    "asking {} proxy {proxy} for a tunnel to {target}",
                    kind.as_str()
                )?;
                match login {
                    Some(login) => write!(f, " as {login}"),
                    None => Ok(()),
                }
            }
            Event::ProxyTunnel {
                kind,
                proxy,
                target,
                elapsed,
            } => write!(
                f,
                "{} proxy {proxy} opened a tunnel to {target} in {}",
                kind.as_str(),
                Millis(elapsed)
            ),
            Event::TlsHandshake {
                backend,
                server_name,
                verify,
            } => {
                write!(f, "TLS handshake ({backend}) with {server_name}")?;
                if verify {
                    Ok(())
                } else {
                    f.write_str(", certificate not verified")
                }
            }
            Event::TlsEstablished { info, elapsed } => {
                write!(f, "TLS: {}", info.backend)?;
                for part in [&info.version, &info.cipher].into_iter().flatten() {
                    write!(f, " {part}")?;
                }
                if let Some(subject) = &info.peer_subject {
                    write!(f, ", subject {subject}")?;
                }
                if let Some(issuer) = &info.peer_issuer {
                    write!(f, ", issuer {issuer}")?;
                }
                if let (Some(from), Some(to)) = (&info.peer_not_before, &info.peer_not_after) {
                    write!(f, ", valid {from} to {to}")?;
                }
                if let Some(sha256) = &info.peer_sha256 {
                    write!(f, ", sha256 {sha256}")?;
                }
                if let Some(key) = &info.peer_key_sha256 {
                    write!(f, ", key {key}")?;
                }
                if let Some(alpn) = &info.alpn {
                    write!(f, ", ALPN {alpn}")?;
                }
                if info.resumed == Some(true) {
                    f.write_str(", resumed")?;
                }
                write!(f, ", in {}", Millis(elapsed))
            }
            Event::Sent { bytes } => write!(f, "sent {}", Bytes(bytes)),
            Event::Read { bytes, end } => {
                write!(f, "read {}, ended on {}", Bytes(bytes), end.as_str())
            }
            Event::FinishedSending { peer } => write!(f, "finished sending to {peer}"),
            Event::Closed { peer } => write!(f, "closed the connection to {peer}"),
            Event::Error(error) => write!(f, "error ({}): {}", error.kind(), error.message()),
            Event::Listening { addr } => write!(f, "listening on {addr}"),
            Event::Accepted { id, peer } => write!(f, "accepted connection {id} from {peer}"),
            Event::Refused { peer, reason } => write!(f, "refused {peer}: {reason}"),
            Event::Evicted { id, peer } => write!(
                f,
                "closed connection {id} from {peer}, the oldest, to make room for a new one"
            ),
            Event::PeerClosed { id, peer } => {
                write!(f, "connection {id} from {peer} closed by the client")
            }
            Event::ConnectionRead { id, bytes, end } => write!(
                f,
                "connection {id}: read {}, ended on {}",
                Bytes(bytes),
                end.as_str()
            ),
            Event::ConnectionSent { id, bytes } => {
                write!(f, "connection {id}: sent {}", Bytes(bytes))
            }
            Event::ConnectionClosed { id, peer } => {
                write!(f, "closed connection {id} from {peer}")
            }
            Event::Stopped { connections } => {
                write!(f, "server stopped, {} closed", Connections(connections))
            }
        }
    }
}

/// Receives the [`Event`]s of the connections opened with it, on the thread doing the work, as
/// they happen. A sink shared by several connections sees their events interleaved.
///
/// Closures `Fn(&Event) + Send + Sync` are sinks.
pub trait EventSink: Send + Sync {
    /// Called once per event; the event is gone when this returns.
    fn event(&self, event: &Event<'_>);
}

impl<F: Fn(&Event<'_>) + Send + Sync> EventSink for F {
    fn event(&self, event: &Event<'_>) {
        self(event)
    }
}

/// A sink that forwards every event to the `log` crate under the target `tcplink`: errors at
/// the `warn` level, everything else at `debug`. Only with the `log` feature.
#[cfg(feature = "log")]
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSink;

#[cfg(feature = "log")]
impl EventSink for LogSink {
    fn event(&self, event: &Event<'_>) {
        let level = match event {
            Event::Error(_) => log::Level::Warn,
            _ => log::Level::Debug,
        };
        log::log!(target: "tcplink", level, "{event}");
    }
}

/// Where the events of one connect or connection go: a sink, or nowhere (then emitting costs
/// one branch).
#[derive(Clone, Copy)]
pub(crate) struct Emitter<'s>(Option<&'s dyn EventSink>);

impl<'s> Emitter<'s> {
    /// Emits to `sink`, if there is one.
    pub(crate) fn new(sink: Option<&'s dyn EventSink>) -> Self {
        Emitter(sink)
    }

    /// Whether anyone listens: for events that cost something to build.
    pub(crate) fn is_on(self) -> bool {
        self.0.is_some()
    }

    /// Tells the sink about `event`.
    pub(crate) fn emit(self, event: Event<'_>) {
        if let Some(sink) = self.0 {
            sink.event(&event);
        }
    }

    /// Passes `result` through, telling the sink about its error, if any.
    pub(crate) fn on_error<T>(self, result: Result<T>) -> Result<T> {
        if let Err(error) = &result {
            self.emit(Event::Error(error));
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcplink_transport::ErrorKind;

    fn info() -> TlsInfo {
        TlsInfo {
            backend: "rustls",
            version: Some("TLSv1.3".into()),
            cipher: Some("TLS13_AES_256_GCM_SHA384".into()),
            alpn: None,
            peer_subject: Some("CN=localhost".into()),
            peer_issuer: Some("CN=Test CA".into()),
            peer_not_before: Some("2026-01-01 00:00:00 UTC".into()),
            peer_not_after: Some("2027-01-01 00:00:00 UTC".into()),
            peer_sha256: Some("AB:CD".into()),
            peer_key_sha256: Some("sha256//q80=".into()),
            resumed: Some(false),
        }
    }

    #[test]
    fn every_event_is_one_english_line() {
        let addrs: Vec<SocketAddr> = vec![
            "[::1]:7000".parse().unwrap(),
            "127.0.0.1:7000".parse().unwrap(),
        ];
        let addr = addrs[1];
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let proxy = HostPort::parse("127.0.0.1:1080", "a").unwrap();
        let target = HostPort::parse("example.com:80", "a").unwrap();
        let plain = info();
        let mut resumed = info();
        resumed.resumed = Some(true);
        resumed.alpn = Some("h2".into());
        let native = TlsInfo {
            backend: "native-tls",
            version: None,
            cipher: None,
            peer_issuer: None,
            peer_not_before: None,
            peer_key_sha256: None,
            ..info()
        };
        let error = Error::new(ErrorKind::Connect, "cannot connect to 127.0.0.1:7000");
        let ms = Duration::from_millis(3);
        let cases: Vec<(Event<'_>, String)> = vec![
            (
                Event::Resolved { host: "localhost", addrs: &addrs },
                "resolved localhost to ::1, 127.0.0.1".into(),
            ),
            (Event::Connecting { addr }, "connecting to 127.0.0.1:7000".into()),
            (
                Event::Connected { addr, elapsed: ms },
                "connected to 127.0.0.1:7000 in 3 ms".into(),
            ),
            (
                Event::ConnectFailed { addr: addrs[0], error: &refused },
                format!("cannot connect to [::1]:7000: {refused}"),
            ),
            (
                Event::ConnectCancelled { addr: addrs[0], winner: addr },
                "cancelled connecting to [::1]:7000, 127.0.0.1:7000 connected first".into(),
            ),
            (
                Event::ProxyHandshake {
                    kind: ProxyKind::Socks5,
                    proxy: &proxy,
                    target: &target,
                    login: Some("alice"),
                },
                "asking socks5 proxy 127.0.0.1:1080 for a tunnel to example.com:80 as alice".into(),
            ),
            (
                Event::ProxyHandshake {
                    kind: ProxyKind::Http,
                    proxy: &proxy,
                    target: &target,
                    login: None,
                },
                "asking http proxy 127.0.0.1:1080 for a tunnel to example.com:80".into(),
            ),
            (
                Event::ProxyTunnel {
                    kind: ProxyKind::Socks4a,
                    proxy: &proxy,
                    target: &target,
                    elapsed: ms,
                },
                "socks4a proxy 127.0.0.1:1080 opened a tunnel to example.com:80 in 3 ms".into(),
            ),
            (
                Event::TlsHandshake {
                    backend: Backend::Openssl,
                    server_name: "localhost",
                    verify: true,
                },
                "TLS handshake (openssl) with localhost".into(),
            ),
            (
                Event::TlsHandshake {
                    backend: Backend::Rustls,
                    server_name: "localhost",
                    verify: false,
                },
                "TLS handshake (rustls) with localhost, certificate not verified".into(),
            ),
            (
                Event::TlsEstablished { info: &plain, elapsed: ms },
                "TLS: rustls TLSv1.3 TLS13_AES_256_GCM_SHA384, subject CN=localhost, issuer CN=Test CA, \
                 valid 2026-01-01 00:00:00 UTC to 2027-01-01 00:00:00 UTC, sha256 AB:CD, key sha256//q80=, in 3 ms".into(),
            ),
            (
                Event::TlsEstablished { info: &resumed, elapsed: ms },
                "TLS: rustls TLSv1.3 TLS13_AES_256_GCM_SHA384, subject CN=localhost, issuer CN=Test CA, \
                 valid 2026-01-01 00:00:00 UTC to 2027-01-01 00:00:00 UTC, sha256 AB:CD, key sha256//q80=, \
                 ALPN h2, resumed, in 3 ms".into(),
            ),
            (
                Event::TlsEstablished { info: &native, elapsed: ms },
                "TLS: native-tls, subject CN=localhost, sha256 AB:CD, in 3 ms".into(),
            ),
            (Event::Sent { bytes: 12 }, "sent 12 bytes".into()),
            (
                Event::Read { bytes: 1, end: ReadEnd::Marker },
                "read 1 byte, ended on marker".into(),
            ),
            (
                Event::FinishedSending { peer: "127.0.0.1:7000" },
                "finished sending to 127.0.0.1:7000".into(),
            ),
            (
                Event::Closed { peer: "127.0.0.1:7000" },
                "closed the connection to 127.0.0.1:7000".into(),
            ),
            (
                Event::Error(&error),
                "error (connect): cannot connect to 127.0.0.1:7000".into(),
            ),
            (Event::Listening { addr }, "listening on 127.0.0.1:7000".into()),
            (
                Event::Accepted { id: "7", peer: addr },
                "accepted connection 7 from 127.0.0.1:7000".into(),
            ),
            (
                Event::Refused { peer: addr, reason: RefusalReason::Full { limit: 100 } },
                "refused 127.0.0.1:7000: 100 connections are open, the limit".into(),
            ),
            (
                Event::Refused { peer: addr, reason: RefusalReason::Full { limit: 1 } },
                "refused 127.0.0.1:7000: 1 connection is open, the limit".into(),
            ),
            (
                Event::Refused { peer: addr, reason: RefusalReason::NotAllowed },
                "refused 127.0.0.1:7000: not an allowed client address".into(),
            ),
            (
                Event::Evicted { id: "3", peer: addr },
                "closed connection 3 from 127.0.0.1:7000, the oldest, to make room for a new one"
                    .into(),
            ),
            (
                Event::PeerClosed { id: "7", peer: addr },
                "connection 7 from 127.0.0.1:7000 closed by the client".into(),
            ),
            (
                Event::ConnectionRead { id: "7", bytes: 5, end: ReadEnd::Marker },
                "connection 7: read 5 bytes, ended on marker".into(),
            ),
            (
                Event::ConnectionSent { id: "7", bytes: 1 },
                "connection 7: sent 1 byte".into(),
            ),
            (
                Event::ConnectionClosed { id: "7", peer: addr },
                "closed connection 7 from 127.0.0.1:7000".into(),
            ),
            (Event::Stopped { connections: 1 }, "server stopped, 1 connection closed".into()),
            (Event::Stopped { connections: 2 }, "server stopped, 2 connections closed".into()),
        ];
        for (event, line) in cases {
            assert_eq!(event.to_string(), line);
        }
    }

    #[test]
    fn closures_are_sinks_and_no_sink_is_silent() {
        let seen = std::sync::Mutex::new(Vec::new());
        let sink = |e: &Event<'_>| seen.lock().unwrap().push(e.to_string());
        let emitter = Emitter::new(Some(&sink));
        assert!(emitter.is_on());
        emitter.emit(Event::Sent { bytes: 2 });
        let failed: Result<()> = Err(Error::new(ErrorKind::Closed, "gone"));
        assert!(emitter.on_error(failed).is_err());
        assert_eq!(
            *seen.lock().unwrap(),
            ["sent 2 bytes", "error (closed): gone"]
        );
        assert!(!Emitter::new(None).is_on());
    }

    #[cfg(feature = "log")]
    #[test]
    fn log_sink_forwards_errors_as_warnings_and_the_rest_as_debug() {
        use std::sync::Mutex;

        static RECORDS: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());
        struct Keep;
        impl log::Log for Keep {
            fn enabled(&self, _: &log::Metadata<'_>) -> bool {
                true
            }
            fn log(&self, record: &log::Record<'_>) {
                if record.target() == "tcplink" {
                    let line = record.args().to_string();
                    RECORDS.lock().unwrap().push((record.level(), line));
                }
            }
            fn flush(&self) {}
        }
        log::set_logger(&Keep).unwrap();
        log::set_max_level(log::LevelFilter::Debug);
        let error = Error::new(ErrorKind::Timeout, "reading: timed out");
        LogSink.event(&Event::Sent { bytes: 3 });
        LogSink.event(&Event::Error(&error));
        assert_eq!(
            *RECORDS.lock().unwrap(),
            [
                (log::Level::Debug, "sent 3 bytes".to_string()),
                (
                    log::Level::Warn,
                    "error (timeout): reading: timed out".into()
                ),
            ]
        );
    }
}
