//! The server's side of TLS: [`accept`] runs the handshake with a client over an accepted socket,
//! with a [`TlsAcceptor`] built from [`ServerTlsParams`] (and cached). What native-tls cannot do
//! as a server is refused, never ignored: asking a client for a certificate (it has no API for
//! it), and, on Linux, TLS 1.3 (its OpenSSL server profile, Mozilla's intermediate v4, turns
//! TLS 1.3 off, so a server there speaks TLS 1.2 and `min_version` 1.3 would refuse everyone).

use native_tls::{HandshakeError, TlsAcceptor};

use tcplink_transport::server_tls::{client_verify_unsupported, ServerTlsParams};
use tcplink_transport::tls::{handshake_error, IdentityFields, TlsVersion};
use tcplink_transport::tls_cache::ConfigCache;
use tcplink_transport::{Error, Result, TimedSocket, Transport};

use crate::{identity_of, io_failure, protocol, timed_out, NativeTlsTransport};

/// The built acceptors, by settings.
static ACCEPTORS: ConfigCache<TlsAcceptor> = ConfigCache::new();

/// Builds (or finds cached) the acceptor for `params`, reading the certificate and key files: a
/// server calls this before it accepts anything, so bad files are reported at once.
pub fn prepare_accept(params: &ServerTlsParams) -> Result<()> {
    acceptor(params).map(drop)
}

fn acceptor(params: &ServerTlsParams) -> Result<TlsAcceptor> {
    ACCEPTORS.get_or_build(params, || build(params))
}

/// Runs the server's handshake with the client `peer` over `socket` (bounded by its deadlines)
/// and returns the transport.
pub fn accept(
    socket: TimedSocket,
    params: &ServerTlsParams,
    peer: &str,
) -> Result<Box<dyn Transport>> {
    match acceptor(params)?.accept(socket) {
        Ok(stream) => Ok(Box::new(NativeTlsTransport { stream })),
        Err(HandshakeError::WouldBlock(_)) => Err(timed_out(peer)),
        Err(HandshakeError::Failure(e)) => {
            Err(io_failure(peer, &e).unwrap_or_else(|| handshake_error(peer, e)))
        }
    }
}

fn build(params: &ServerTlsParams) -> Result<TlsAcceptor> {
    if params.client_verify.is_some() {
        return Err(client_verify_unsupported("native-tls"));
    }
    if cfg!(not(any(windows, target_vendor = "apple"))) && params.min_version == TlsVersion::Tls13 {
        return Err(Error::argument(
            "min_version",
            "the native-tls backend serves TLS 1.2 only on this platform (native-tls's OpenSSL \
             server profile turns TLS 1.3 off): use the rustls or openssl backend for a TLS 1.3 \
             server",
        ));
    }
    let mut b = TlsAcceptor::builder(identity_of(&params.identity, &IdentityFields::SERVER)?);
    b.min_protocol_version(Some(protocol(params.min_version)));
    b.accept_alpn(&params.alpn);
    b.build()
        .map_err(|e| Error::argument("Tls", format!("TLS set-up failed: {e}")))
}
