//! # tcplink
//!
//! A TCP/TLS client for talking to devices and services over raw TCP, with or without TLS,
//! directly or through a SOCKS4/4a, SOCKS5 or HTTP CONNECT proxy.
//!
//! tcplink sits on top of its transport layer, crates of their own under `backends/` in the
//! repository, each depending only on the ones below it:
//!
//! ```text
//! tcplink-transport                      Transport, TimedSocket, Deadline, Error, TLS parameters
//!   ↑ tcplink-rustls, tcplink-openssl,   one TLS backend each, pulled in by this crate's features
//!     tcplink-native-tls                 and re-exported as backends::rustls, ::openssl, ::native_tls
//!     ↑ tcplink (this crate)             connector chain, proxies, reader, Connection, events
//!       ↑ the add-in, the CLI
//! ```
//!
//! This crate re-exports the transport layer's types, so a caller needs only `tcplink`.
//!
//! - [`Transport`] is what every connection is: plain TCP ([`TimedSocket`]) or TLS through rustls,
//!   OpenSSL or native-tls, chosen by Cargo features at build time (`rustls` by default,
//!   `openssl`, `native-tls`, `vendored-openssl`) and by [`TlsSettings::backend`] at run time.
//!   A program can implement it for a stream of its own over a [`TimedSocket`] and read that
//!   with [`ReadBuffer`] (`examples/custom_transport.rs`).
//! - [`Endpoint::connect`] runs the connector chain (resolve, TCP connect racing the addresses
//!   by Happy Eyeballs, RFC 8305, see [`happy_eyeballs`], proxy handshake, TLS handshake) under
//!   one [`Deadline`]. [`connect_addresses`] is its TCP step alone, for addresses the caller
//!   resolved.
//! - [`Connection`] adds the generic reader ([`ReadBuffer`]): a read ends on the marker, the size
//!   limit, a time limit for the whole read, an idle timeout, EOF or an error, and bytes after
//!   the marker or past the size limit are kept for the next read. [`Connection::read`] returns
//!   the data owned; [`Connection::read_borrowed`] lends it in place ([`BorrowedRead`]) for a
//!   caller that copies it elsewhere anyway; [`Connection::read_to`] writes it into a
//!   [`std::io::Write`] as it arrives, in memory that does not grow with the answer.
//! - [`process_request`] is one connect-send-read-close round trip; [`process_requests`] runs
//!   many at once on a bounded number of scoped threads, with the results in the order of the
//!   requests, and [`batch_json`] is their JSON form for the add-in and the CLI.
//! - [`Connection::start_tls`] upgrades a plain connection to TLS on the same socket (STARTTLS),
//!   refusing plaintext that arrived before the upgrade and was not read;
//!   [`Connection::finish_sending`] closes the sending half while reading goes on.
//! - [`tls::accept`] is a TLS server's handshake on a socket it accepted, on any backend, with
//!   [`ServerTlsSettings`] checked into [`tls::ServerTlsParams`] and the backend's configuration
//!   built before the first connection by [`tls::prepare_accept`].
//! - [`Server`] receives connections: it listens on one or more addresses, lets clients in up
//!   to a limit (refusing or evicting the oldest beyond it, filtering by [`AllowedClients`]),
//!   and hands out their connections by ID, read by the same rules, each served by a thread of
//!   its own with bounded buffering (see [`server`]).
//! - Every failure is an [`Error`] with a stable [`ErrorKind`].
//! - An [`EventSink`] set in [`ConnectOptions::events`] is told every step as an [`Event`]:
//!   resolution, each address tried, the proxy and TLS handshakes, sends, reads, the close and
//!   errors (see [`events`]).
//!
//! ```no_run
//! use std::time::Duration;
//! use tcplink::{Connection, ConnectOptions, Endpoint, ReadLimits};
//!
//! let endpoint = Endpoint::parse("example.com:443", r#"{"use_tls": true}"#, "")?;
//! let mut conn = Connection::open(&endpoint, &ConnectOptions::default())?;
//! conn.send(b"HEAD / HTTP/1.0\r\nHost: example.com\r\n\r\n", Some(Duration::from_secs(5)))?;
//! let answer = conn.read(&ReadLimits { marker: b"\r\n\r\n", timeout: Some(Duration::from_secs(5)), ..Default::default() })?;
//! println!("{} bytes, ended on {}", answer.data.len(), answer.end.as_str());
//! # Ok::<(), tcplink::Error>(())
//! ```

#![warn(missing_docs)]

pub mod backends;
mod batch;
pub mod batch_json;
mod connect;
mod connection;
pub mod events;
pub mod happy_eyeballs;
pub mod proxy;
pub mod reader;
mod resolve;
pub mod server;
mod settings;
pub mod tls;

pub use batch::{process_requests, thread_count, MAX_THREADS};
pub use connect::{connect_addresses, ConnectOptions, Endpoint, DEFAULT_ATTEMPT_DELAY};
pub use connection::{process_request, Connection, Request};
pub use events::{Event, EventSink, RefusalReason};
pub use reader::{
    BorrowedRead, ReadBuffer, ReadEnd, ReadLimits, ReadOutcome, StreamError, StreamOutcome,
};
pub use resolve::resolve;
pub use server::{
    AcceptStep, AllowedClients, ConnectionInfo, PlainAccept, Server, ServerOptions, ServerRead,
    TlsAccept,
};
pub use settings::{settings_json, ProxyKind, ProxySettings, Secret};
pub use tcplink_transport::{
    Deadline, DeadlineRead, Error, ErrorKind, HostPort, Result, ServerTlsSettings, TimedSocket,
    TlsSettings, Transport,
};
pub use tls::{Backend, TlsInfo};

/// The version of this library.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
