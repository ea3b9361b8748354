//! The clients measured: the library, and the reference loops a user would otherwise write with
//! `std::net::TcpStream` or the TLS library's own stream (64 KiB buffer).

use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use tcplink::{
    Backend, ConnectOptions, Connection, Endpoint, HostPort, ReadLimits, ReadOutcome, TlsSettings,
};

use crate::pki::Pki;

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

/// The reference: a 64 KiB read loop appending to a `Vec`, on the library's own stream type.
pub fn raw_read(kind: Kind, port: u16, pki: &Pki) -> Vec<u8> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_nodelay(true).unwrap();
    match kind {
        Kind::Plain => read_loop(tcp),
        Kind::Tls(Backend::Rustls) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(pki.ca_pem.as_bytes()) {
                roots.add(cert.unwrap()).unwrap();
            }
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
            let conn =
                rustls::ClientConnection::new(Arc::new(config), "127.0.0.1".try_into().unwrap())
                    .unwrap();
            read_loop(rustls::StreamOwned::new(conn, tcp))
        }
        Kind::Tls(Backend::Openssl) => {
            let mut b =
                openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls_client()).unwrap();
            b.set_ca_file(&pki.ca_path).unwrap();
            read_loop(b.build().connect("127.0.0.1", tcp).unwrap())
        }
        Kind::Tls(Backend::NativeTls) => {
            let ca = native_tls::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap();
            let connector = native_tls::TlsConnector::builder()
                .add_root_certificate(ca)
                .build()
                .unwrap();
            read_loop(connector.connect("127.0.0.1", tcp).unwrap())
        }
    }
}

fn read_loop<R: Read>(mut stream: R) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // TLS peers that close without close_notify still ended the stream.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return out,
            Err(e) => panic!("raw read failed: {e}"),
        }
    }
}
