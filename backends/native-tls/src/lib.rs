//! # tcplink-native-tls
//!
//! tcplink's native-tls backend, one of the TLS backends over the transport layer
//! (`tcplink-transport`), on which alone it depends; the `tcplink` crate's `native-tls` feature
//! pulls it in, `tcplink::tls::handshake` calls [`connect`] and `tcplink::tls::accept` calls
//! [`accept`], the server's handshake.
//!
//! TLS through native-tls: SChannel on Windows, OpenSSL on Linux. native-tls does not report the
//! negotiated version or cipher suite, so [`TlsInfo`] leaves those empty for this backend. As a
//! server it cannot ask clients for certificates (native-tls has no API for it), so settings
//! that verify clients are refused (`client_ca_path`).

use std::io::{self, Read, Write};
use std::net::Shutdown;

use native_tls::{Certificate, HandshakeError, Identity, Protocol, TlsConnector, TlsStream};

mod server;

pub use server::{accept, prepare_accept};

use tcplink_transport::pkcs12::{open_pkcs12, Pkcs12Problem};
use tcplink_transport::tls::{
    certificate_error, certificate_reason, handshake_error, handshake_io_error, read_setting_file,
    IdentityFields, IdentityFiles, TlsInfo, TlsParams, TlsVersion,
};
use tcplink_transport::tls_cache::ConfigCache;
use tcplink_transport::{Error, Result, TimedSocket, Transport};

/// A TLS connection through native-tls.
pub struct NativeTlsTransport {
    stream: TlsStream<TimedSocket>,
}

/// Runs the handshake over `socket` and returns the transport.
pub fn connect(socket: TimedSocket, params: &TlsParams, peer: &str) -> Result<Box<dyn Transport>> {
    static CONNECTORS: ConfigCache<TlsConnector> = ConfigCache::new();
    let connector = CONNECTORS.get_or_build(params, || connector(params))?;
    match connector.connect(&params.server_name, socket) {
        Ok(stream) => {
            check_pins(params, peer, &stream)?;
            Ok(Box::new(NativeTlsTransport { stream }))
        }
        Err(HandshakeError::WouldBlock(_)) => Err(timed_out(peer)),
        Err(HandshakeError::Failure(e)) => Err(classify(peer, &params.server_name, e)),
    }
}

/// Checks the server's certificate against the pins, right after the handshake and before
/// anything is sent; no certificate matches no pin.
fn check_pins(params: &TlsParams, peer: &str, stream: &TlsStream<TimedSocket>) -> Result<()> {
    if params.pins.is_empty() {
        return Ok(());
    }
    params
        .pins
        .check(&leaf_der(stream).unwrap_or_default())
        .map_err(|problem| certificate_error(peer, &params.server_name, &problem, &params.pins))
}

/// The server's certificate as DER.
fn leaf_der(stream: &TlsStream<TimedSocket>) -> Option<Vec<u8>> {
    stream.peer_certificate().ok().flatten()?.to_der().ok()
}

/// The error of a handshake that `WouldBlock`: the socket's deadline passed.
fn timed_out(peer: &str) -> Error {
    handshake_io_error(peer, &io::Error::from(io::ErrorKind::TimedOut))
}

/// The I/O failure native-tls folded into its own error type, from its source chain: time-outs
/// and resets stay what they are.
fn io_failure(peer: &str, err: &native_tls::Error) -> Option<Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(io_err) = e.downcast_ref::<io::Error>() {
            return Some(handshake_io_error(peer, io_err));
        }
        source = e.source();
    }
    None
}

/// An I/O failure ([`io_failure`]), or a refused certificate named from the message (on Linux
/// OpenSSL's verify result; native-tls shows no certificate after a failed handshake, so no
/// dates or names), or a TLS failure.
fn classify(peer: &str, server_name: &str, err: native_tls::Error) -> Error {
    if let Some(io_err) = io_failure(peer, &err) {
        return io_err;
    }
    match certificate_reason(&err.to_string()) {
        Some(problem) => certificate_error(peer, server_name, &problem, err),
        None => handshake_error(peer, err),
    }
}

/// The version `min` in native-tls's terms.
fn protocol(min: TlsVersion) -> Protocol {
    match min {
        TlsVersion::Tls12 => Protocol::Tlsv12,
        TlsVersion::Tls13 => Protocol::Tlsv13,
    }
}

fn connector(params: &TlsParams) -> Result<TlsConnector> {
    let mut b = TlsConnector::builder();
    b.min_protocol_version(Some(protocol(params.min_version)));
    b.danger_accept_invalid_certs(!params.verify);
    b.danger_accept_invalid_hostnames(!params.verify);
    if let (true, Some(path)) = (params.verify, &params.ca_file) {
        let pem = read_setting_file(path, "ca_cert_path")?;
        let certs = Certificate::stack_from_pem(&pem)
            .map_err(|e| Error::argument("ca_cert_path", format!("{}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(Error::argument(
                "ca_cert_path",
                format!("{} holds no PEM certificate", path.display()),
            ));
        }
        for cert in certs {
            b.add_root_certificate(cert);
        }
    }
    if let Some(identity) = &params.client_identity {
        b.identity(identity_of(identity, &IdentityFields::CLIENT)?);
    }
    let alpn: Vec<&str> = params.alpn.iter().map(String::as_str).collect();
    b.request_alpns(&alpn);
    b.build()
        .map_err(|e| Error::argument("Tls", format!("TLS set-up failed: {e}")))
}

/// The platform identity for `identity`, with errors naming the settings in `fields`: PEM files
/// (a PKCS#8 key), or a PKCS#12 file the platform opens itself (on Linux OpenSSL, whose legacy
/// RC2 cipher needs the legacy provider the vendored build lacks; on Windows SChannel's import,
/// which reads what Windows exports).
fn identity_of(identity: &IdentityFiles, fields: &IdentityFields) -> Result<Identity> {
    match identity {
        IdentityFiles::Pem { cert, key } => {
            let cert_pem = read_setting_file(cert, fields.cert)?;
            // Checked here: native-tls blames the pair for a certificate it cannot read.
            let chain = Certificate::stack_from_pem(&cert_pem)
                .map_err(|e| Error::argument(fields.cert, format!("{}: {e}", cert.display())))?;
            if chain.is_empty() {
                return Err(Error::argument(
                    fields.cert,
                    format!("{} holds no PEM certificate", cert.display()),
                ));
            }
            let key_pem = read_setting_file(key, fields.key)?;
            Identity::from_pkcs8(&cert_pem, &key_pem).map_err(|e| {
                Error::argument(
                    fields.key,
                    format!("{} (a PKCS#8 PEM key is needed): {e}", key.display()),
                )
            })
        }
        IdentityFiles::Pkcs12 { path, password } => open_pkcs12(path, fields, |der| {
            Identity::from_pkcs12(der, &password.0)
                .map_err(|e| Pkcs12Problem::from_library_text(&e.to_string(), "native-tls"))
        }),
    }
}

impl Read for NativeTlsTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }
}

impl Write for NativeTlsTransport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

impl Transport for NativeTlsTransport {
    fn socket(&self) -> &TimedSocket {
        self.stream.get_ref()
    }

    fn socket_mut(&mut self) -> &mut TimedSocket {
        self.stream.get_mut()
    }

    fn tls_info(&self) -> Option<TlsInfo> {
        Some(TlsInfo {
            alpn: self
                .stream
                .negotiated_alpn()
                .ok()
                .flatten()
                .map(|p| String::from_utf8_lossy(&p).into_owned()),
            ..TlsInfo::with_peer("native-tls", leaf_der(&self.stream).as_deref())
        })
    }

    fn has_buffered_input(&mut self) -> bool {
        // A failure to tell is reported by the next read, which therefore does not wait.
        self.stream.buffered_read_size().map_or(true, |n| n > 0)
    }

    fn shutdown(&mut self) -> io::Result<()> {
        let notified = self.stream.shutdown();
        self.stream
            .get_ref()
            .shutdown(Shutdown::Write)
            .and(notified)
    }

    fn into_plain_socket(self: Box<Self>) -> Result<TimedSocket, Box<dyn Transport>> {
        // Already TLS: there is no plain socket to upgrade.
        Err(self)
    }
}
