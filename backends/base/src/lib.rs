//! # tcplink-transport
//!
//! The bottom layer of tcplink: what a connection is, and what every way of making one needs.
//! Nothing here connects, proxies or reads by rules; the `tcplink` crate does that on top.
//!
//! ```text
//! tcplink-transport (this crate)         Transport, TimedSocket, Deadline, Error, TLS parameters
//!   ↑ tcplink-rustls, tcplink-openssl,   one TLS backend each, depending on this crate only
//!     tcplink-native-tls
//!     ↑ tcplink                          connector chain, proxies, reader, Connection, events
//!       ↑ tcplink-addin, tcplink-cli
//! ```
//!
//! - [`Transport`] is a connection: a byte stream over one [`TimedSocket`], a TCP stream whose
//!   reads and writes each obey a [`Deadline`]. Plain TCP is the socket itself (`TimedSocket`
//!   implements `Transport`); a TLS backend wraps the socket in its session. A program can
//!   implement `Transport` for a stream of its own over a `TimedSocket` and hand it to tcplink's
//!   reader (see `examples/custom_transport.rs` in the tcplink repository).
//! - Every failure is an [`Error`] with a stable [`ErrorKind`].
//! - [`tls`] holds what the backends share: the [`Backend`] names, the settings resolved for one
//!   connection ([`TlsParams`], from the user's [`TlsSettings`] and the target [`HostPort`]),
//!   what a handshake reports ([`TlsInfo`]), [`tls_cache`], the cache of built client
//!   configurations (a server's too), and [`pkcs12`], the shared words for a PKCS#12 file that
//!   cannot be used.
//! - [`server_tls`] holds a TLS server's side: its settings ([`ServerTlsSettings`]) resolved into
//!   [`ServerTlsParams`], which each backend's `accept` takes.
//!
//! The features `rustls`, `openssl` and `native-tls` only say which backends the build
//! dispatches to ([`Backend::is_compiled`]); `tcplink`'s features of the same names set them.
//! The feature `x509` adds what the backends read from the server's certificate (DER):
//! `tls::CertFacts` for the checks and the details of a refusal, the `peer_*` fields of
//! [`TlsInfo`] (`TlsInfo::with_peer`), and the check of its key against the pins
//! (`tls::Pins::check`).

#![warn(missing_docs)]

mod address;
mod deadline;
mod digest;
mod error;
mod identity;
mod pins;
pub mod pkcs12;
mod plain;
mod refusal;
pub mod server_tls;
pub mod settings;
mod socket;
pub mod tls;
pub mod tls_cache;
mod transport;

pub use address::HostPort;
pub use deadline::{Deadline, Expired};
pub use error::{Error, ErrorKind, Result};
pub use server_tls::{ServerTlsParams, ServerTlsSettings};
pub use settings::TlsSettings;
pub use socket::{is_timeout, TimedSocket};
pub use tls::{Backend, TlsInfo, TlsParams};
pub use transport::{DeadlineRead, Transport};
