//! The clients measured: the library, and the reference loops a user would otherwise write with
//! `std::net::TcpStream` or the TLS library's own stream (64 KiB buffer, [`crate::raw`]).

use std::time::Duration;

use tcplink::{
    Backend, ConnectOptions, Connection, Endpoint, HostPort, ReadLimits, ReadOutcome, TlsSettings,
};

use crate::pki::Pki;
use crate::raw;

/// What a connection runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Plain TCP.
    Plain,
    /// TLS through a backend.
    Tls(Backend),
}

impl Kind {
    /// Every kind this build can measure.
    pub fn all() -> Vec<Kind> {
        std::iter::once(Kind::Plain)
            .chain(Backend::compiled().into_iter().map(Kind::Tls))
            .collect()
    }

    /// A short name for tables.
    pub fn name(self) -> String {
        match self {
            Kind::Plain => "plain".into(),
            Kind::Tls(b) => b.name().into(),
        }
    }
}

/// The library's endpoint for `port` with `kind`'s settings.
pub fn endpoint(kind: Kind, port: u16, pki: &Pki) -> Endpoint {
    let tls = match kind {
        Kind::Plain => None,
        Kind::Tls(b) => Some(TlsSettings {
            use_tls: true,
            backend: Some(b.name().into()),
            ca_cert_path: Some(pki.ca_path.to_string_lossy().into_owned()),
            ..TlsSettings::default()
        }),
    };
    Endpoint {
        target: HostPort::parse(&format!("127.0.0.1:{port}"), "Address").unwrap(),
        tls,
        proxy: None,
    }
}

/// One library read of everything (or up to `marker`) the server sends.
pub fn library_read(kind: Kind, port: u16, pki: &Pki, marker: &[u8]) -> ReadOutcome {
    let mut conn =
        Connection::open(&endpoint(kind, port, pki), &ConnectOptions::default()).unwrap();
    let limits = ReadLimits {
        max_size: 0,
        marker,
        idle_timeout: Some(Duration::from_secs(30)),
        timeout: None,
    };
    conn.read(&limits).unwrap()
}

/// The reference's connector for `kind`, built once (outside the timed runs, as the library's
/// own configuration is cached).
pub fn raw_connector(kind: Kind, pki: &Pki) -> raw::Connector {
    raw::Connector::new(match kind {
        Kind::Plain => None,
        Kind::Tls(backend) => Some((backend, pki.ca_path.as_path())),
    })
}

/// The reference: a 64 KiB read loop appending to a `Vec`, on the library's own stream type.
pub fn raw_read(connector: &raw::Connector, port: u16) -> Vec<u8> {
    let mut out = Vec::new();
    raw::read_loop(connector.stream(port), &mut out);
    out
}
