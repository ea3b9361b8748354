//! TLS settings resolved for one connection, backend selection, and what a handshake reports:
//! the transport layer's TLS types (`tcplink_transport::tls`), and [`handshake`], which dispatches
//! to the backend crates compiled in.

pub use tcplink_transport::tls::{
    certificate_error, certificate_reason, fingerprint_hex, handshake_error, handshake_io_error,
    pin_text, read_setting_file, utc_text, Backend, CertProblem, ClientIdentity, Pins, TlsInfo,
    TlsParams, TlsVersion, PIN_PREFIX,
};
#[cfg(any(feature = "rustls", feature = "openssl", feature = "native-tls"))]
pub use tcplink_transport::tls::{sha256_fingerprint, CertFacts};
use tcplink_transport::{Error, Result, TimedSocket, Transport};

/// Runs the TLS handshake over `socket` (bounded by its deadlines) with the chosen backend.
/// `peer` names the server in messages.
pub fn handshake(
    socket: TimedSocket,
    params: &TlsParams,
    peer: &str,
) -> Result<Box<dyn Transport>> {
    #[allow(unreachable_patterns)]
    match params.backend {
        #[cfg(feature = "rustls")]
        Backend::Rustls => tcplink_rustls::connect(socket, params, peer),
        #[cfg(feature = "openssl")]
        Backend::Openssl => tcplink_openssl::connect(socket, params, peer),
        #[cfg(feature = "native-tls")]
        Backend::NativeTls => tcplink_native_tls::connect(socket, params, peer),
        other => {
            drop((socket, peer));
            Err(Error::argument(
                "backend",
                format!("TLS backend {other} is not compiled into this build"),
            ))
        }
    }
}
