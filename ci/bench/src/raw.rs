//! The reference a user would otherwise write: `std::net::TcpStream`, or the TLS library's own
//! stream over it, read in a 64 KiB loop. Used in process by the bulk benchmark and as a whole
//! process by the `raw-read` binary.
//!
//! The TLS configuration (trust store, connector) is built once by [`Connector::new`], as a user
//! would keep it, and as the library keeps its own: in process, both sides build theirs before
//! the timed runs; as whole processes, both build theirs inside.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;

use tcplink::Backend;

/// How to connect: plain TCP, or TLS through one backend's own connector, built once.
pub enum Connector {
    /// Plain TCP.
    Plain,
    /// rustls with a client configuration (its session cache included).
    Rustls(Arc<rustls::ClientConfig>),
    /// OpenSSL's connector.
    Openssl(openssl::ssl::SslConnector),
    /// native-tls's connector.
    NativeTls(native_tls::TlsConnector),
}

impl Connector {
    /// Plain TCP, or TLS through `backend` trusting the CA in the PEM file `ca`.
    pub fn new(tls: Option<(Backend, &Path)>) -> Connector {
        let Some((backend, ca)) = tls else {
            return Connector::Plain;
        };
        match backend {
            Backend::Rustls => {
                let mut roots = rustls::RootCertStore::empty();
                let pem = std::fs::read(ca).unwrap();
                for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&pem) {
                    roots.add(cert.unwrap()).unwrap();
                }
                let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
                Connector::Rustls(Arc::new(config))
            }
            Backend::Openssl => {
                let mut b =
                    openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls_client())
                        .unwrap();
                b.set_ca_file(ca).unwrap();
                Connector::Openssl(b.build())
            }
            Backend::NativeTls => {
                let pem = std::fs::read(ca).unwrap();
                let ca = native_tls::Certificate::from_pem(&pem).unwrap();
                let connector = native_tls::TlsConnector::builder()
                    .add_root_certificate(ca)
                    .build()
                    .unwrap();
                Connector::NativeTls(connector)
            }
        }
    }

    /// A connection to `127.0.0.1:port`.
    pub fn stream(&self, port: u16) -> Box<dyn Read> {
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_nodelay(true).unwrap();
        match self {
            Connector::Plain => Box::new(tcp),
            Connector::Rustls(config) => {
                let conn =
                    rustls::ClientConnection::new(config.clone(), "127.0.0.1".try_into().unwrap())
                        .unwrap();
                Box::new(rustls::StreamOwned::new(conn, tcp))
            }
            Connector::Openssl(c) => Box::new(c.connect("127.0.0.1", tcp).unwrap()),
            Connector::NativeTls(c) => Box::new(c.connect("127.0.0.1", tcp).unwrap()),
        }
    }
}

/// Reads `stream` to its end in 64 KiB reads, writing each read to `sink`; returns the bytes.
pub fn read_loop(mut stream: impl Read, mut sink: impl Write) -> u64 {
    let mut total = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => {
                sink.write_all(&buf[..n]).unwrap();
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // TLS peers that close without close_notify still ended the stream.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return total,
            Err(e) => panic!("raw read failed: {e}"),
        }
    }
}
