//! TLS settings resolved for one connection, backend selection, and what a handshake reports:
//! the transport layer's TLS types (`tcplink_transport::tls`), and [`handshake`], which dispatches
//! to the backend crates compiled in. A TLS server's side: its settings ([`ServerTlsSettings`],
//! [`ServerTlsParams`]), [`prepare_accept`], which checks its files before anything is
//! accepted, and [`accept`], its handshake with a client.

pub use tcplink_transport::server_tls::{
    client_verify_unsupported, ClientVerify, ServerTlsParams, ServerTlsSettings,
};
pub use tcplink_transport::tls::{
    alpn_wire, certificate_error, certificate_reason, check_alpn, client_certificate_error,
    client_certificate_missing, fingerprint_hex, handshake_error, handshake_io_error, pin_text,
    read_setting_file, utc_text, Backend, CertProblem, IdentityFields, IdentityFiles, Pins,
    TlsInfo, TlsParams, TlsVersion, PIN_PREFIX,
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
            Err(not_compiled(other))
        }
    }
}

/// Runs the server's TLS handshake with the client `peer` over the accepted `socket` (bounded by
/// its deadlines) with the chosen backend. The transport's [`TlsInfo`] describes the client's
/// certificate in its `peer_*` fields when the client presented one.
pub fn accept(
    socket: TimedSocket,
    params: &ServerTlsParams,
    peer: &str,
) -> Result<Box<dyn Transport>> {
    #[allow(unreachable_patterns)]
    match params.backend {
        #[cfg(feature = "rustls")]
        Backend::Rustls => tcplink_rustls::accept(socket, params, peer),
        #[cfg(feature = "openssl")]
        Backend::Openssl => tcplink_openssl::accept(socket, params, peer),
        #[cfg(feature = "native-tls")]
        Backend::NativeTls => tcplink_native_tls::accept(socket, params, peer),
        other => {
            drop((socket, peer));
            Err(not_compiled(other))
        }
    }
}

/// Builds the server configuration for `params` with the chosen backend (kept for the
/// connections that follow), reading the certificate, key and CA files: a server calls this
/// when it starts, so a bad file is an [`argument`](crate::ErrorKind::Argument) error naming
/// the setting before any connection is accepted.
pub fn prepare_accept(params: &ServerTlsParams) -> Result<()> {
    #[allow(unreachable_patterns)]
    match params.backend {
        #[cfg(feature = "rustls")]
        Backend::Rustls => tcplink_rustls::prepare_accept(params),
        #[cfg(feature = "openssl")]
        Backend::Openssl => tcplink_openssl::prepare_accept(params),
        #[cfg(feature = "native-tls")]
        Backend::NativeTls => tcplink_native_tls::prepare_accept(params),
        other => Err(not_compiled(other)),
    }
}

/// The error for a backend this build does not contain.
fn not_compiled(backend: Backend) -> Error {
    Error::argument(
        "backend",
        format!("TLS backend {backend} is not compiled into this build"),
    )
}
