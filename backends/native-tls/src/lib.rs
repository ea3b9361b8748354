//! # tcplink-native-tls
//!
//! tcplink's native-tls backend, one of the TLS backends over the transport layer
//! (`tcplink-transport`), on which alone it depends; the `tcplink` crate's `native-tls` feature
//! pulls it in and `tcplink::tls::handshake` calls [`connect`].
//!
//! TLS through native-tls: SChannel on Windows, OpenSSL on Linux. native-tls does not report the
//! negotiated version or cipher suite, so [`TlsInfo`] leaves those empty for this backend.

use std::io::{self, Read, Write};
use std::net::Shutdown;

use native_tls::{Certificate, HandshakeError, Identity, Protocol, TlsConnector, TlsStream};

use tcplink_transport::pkcs12::{open_pkcs12, Pkcs12Problem};
use tcplink_transport::tls::{
    certificate_error, certificate_reason, handshake_error, handshake_io_error, read_setting_file,
    ClientIdentity, TlsInfo, TlsParams, TlsVersion,
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
        Err(HandshakeError::WouldBlock(_)) => Err(handshake_io_error(
            peer,
            &io::Error::from(io::ErrorKind::TimedOut),
        )),
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

/// native-tls folds I/O failures into its own error type; recover time-outs and resets from
/// its source chain. A refused certificate is named from the message (on Linux OpenSSL's verify
/// result; native-tls shows no certificate after a failed handshake, so no dates or names), and
/// the rest are TLS failures.
fn classify(peer: &str, server_name: &str, err: native_tls::Error) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = source {
        if let Some(io_err) = e.downcast_ref::<io::Error>() {
            return handshake_io_error(peer, io_err);
        }
        source = e.source();
    }
    match certificate_reason(&err.to_string()) {
        Some(problem) => certificate_error(peer, server_name, &problem, err),
        None => handshake_error(peer, err),
    }
}

fn connector(params: &TlsParams) -> Result<TlsConnector> {
    let mut b = TlsConnector::builder();
    b.min_protocol_version(Some(match params.min_version {
        TlsVersion::Tls12 => Protocol::Tlsv12,
        TlsVersion::Tls13 => Protocol::Tlsv13,
    }));
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
        b.identity(identity_of(identity)?);
    }
    let alpn: Vec<&str> = params.alpn.iter().map(String::as_str).collect();
    b.request_alpns(&alpn);
    b.build()
        .map_err(|e| Error::argument("Tls", format!("TLS set-up failed: {e}")))
}

/// The platform identity for `identity`: PEM files (a PKCS#8 key), or a PKCS#12 file the
/// platform opens itself (on Linux OpenSSL, whose legacy RC2 cipher needs the legacy provider the
/// vendored build lacks; on Windows SChannel's import, which reads what Windows exports).
fn identity_of(identity: &ClientIdentity) -> Result<Identity> {
    match identity {
        ClientIdentity::Pem { cert, key } => {
            let cert = read_setting_file(cert, "client_cert_path")?;
            let key_pem = read_setting_file(key, "client_key_path")?;
            Identity::from_pkcs8(&cert, &key_pem).map_err(|e| {
                Error::argument(
                    "client_key_path",
                    format!("{} (a PKCS#8 PEM key is needed): {e}", key.display()),
                )
            })
        }
        ClientIdentity::Pkcs12 { path, password } => open_pkcs12(path, |der| {
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
