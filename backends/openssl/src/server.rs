//! The server's side of TLS: [`accept`] runs the handshake with a client over an accepted socket,
//! with an [`SslAcceptor`] built from [`ServerTlsParams`] (Mozilla's intermediate profile, and
//! cached). Client certificates, when asked for, are verified against `client_ca_path`, whose
//! names are also sent to the client as the CAs it may choose from.

use openssl::ssl::{AlpnError, SslAcceptor, SslMethod, SslOptions, SslVerifyMode};
use openssl::x509::X509Name;

use tcplink_transport::server_tls::ServerTlsParams;
use tcplink_transport::tls::{
    alpn_wire, client_certificate_error, client_certificate_missing, handshake_error,
    IdentityFields,
};
use tcplink_transport::tls_cache::ConfigCache;
use tcplink_transport::{Error, Result, TimedSocket, Transport};

use crate::failure::Failure;
use crate::{openssl_version, setup_error, use_identity, OpensslTransport};

/// The built acceptors, by settings.
static ACCEPTORS: ConfigCache<SslAcceptor> = ConfigCache::new();

/// What OpenSSL says of a client that sent no certificate where one is required.
const NO_CLIENT_CERTIFICATE: &str = "peer did not return a certificate";

/// Builds (or finds cached) the acceptor for `params`, reading the certificate, key and CA
/// files: a server calls this before it accepts anything, so bad files are reported at once.
pub fn prepare_accept(params: &ServerTlsParams) -> Result<()> {
    acceptor(params).map(drop)
}

fn acceptor(params: &ServerTlsParams) -> Result<SslAcceptor> {
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
        Ok(stream) => Ok(Box::new(OpensslTransport { stream })),
        Err(e) => Err(match Failure::of(e, peer) {
            Failure::Refused {
                problem: Some(problem),
                detail,
            } => client_certificate_error(peer, &problem, detail),
            Failure::Refused { detail, .. } => handshake_error(peer, detail),
            Failure::Tls(detail) if detail.contains(NO_CLIENT_CERTIFICATE) => {
                client_certificate_missing(peer, detail)
            }
            Failure::Tls(detail) => handshake_error(peer, detail),
            Failure::Io(e) => e,
        }),
    }
}

fn build(params: &ServerTlsParams) -> Result<SslAcceptor> {
    let mut b =
        SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).map_err(setup_error)?;
    b.set_min_proto_version(Some(openssl_version(params.min_version)))
        .map_err(setup_error)?;
    // A client that closes TCP without close_notify has still ended the stream.
    b.set_options(SslOptions::IGNORE_UNEXPECTED_EOF);
    use_identity(&mut b, &params.identity, &IdentityFields::SERVER)?;
    if let Some(verify) = &params.client_verify {
        let path = &verify.ca_file;
        let bad = |e| Error::argument("client_ca_path", format!("{}: {e}", path.display()));
        b.set_ca_file(path).map_err(bad)?;
        b.set_client_ca_list(X509Name::load_client_ca_file(path).map_err(bad)?);
        let mut mode = SslVerifyMode::PEER;
        if verify.required {
            mode |= SslVerifyMode::FAIL_IF_NO_PEER_CERT;
        }
        b.set_verify(mode);
        // Resuming a session that verified a client needs a context to tie it to.
        b.set_session_id_context(b"tcplink server")
            .map_err(setup_error)?;
    }
    if !params.alpn.is_empty() {
        let ours = params.alpn.clone();
        b.set_alpn_protos(&alpn_wire(&params.alpn))
            .map_err(|e| Error::argument("alpn", e))?;
        b.set_alpn_select_callback(move |_, offered| {
            choose_alpn(&ours, offered).ok_or(AlpnError::NOACK)
        });
    }
    Ok(b.build())
}

/// The first of `ours` (most preferred first) that the client `offered` (ALPN's wire form), as
/// the client's bytes.
fn choose_alpn<'a>(ours: &[String], offered: &'a [u8]) -> Option<&'a [u8]> {
    let mut theirs = Vec::new();
    let mut rest = offered;
    while let Some((&len, tail)) = rest.split_first() {
        let (name, after) = tail.split_at_checked(len.into())?;
        theirs.push(name);
        rest = after;
    }
    ours.iter()
        .find_map(|p| theirs.iter().find(|t| **t == p.as_bytes()).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_prefers_its_own_order() {
        let ours = ["h2".to_string(), "http/1.1".to_string()];
        let offered = alpn_wire(&["http/1.1".into(), "h2".into()]);
        assert_eq!(choose_alpn(&ours, &offered), Some(&b"h2"[..]));
        assert_eq!(choose_alpn(&ours, &alpn_wire(&["x".into()])), None);
        assert_eq!(choose_alpn(&ours, &[5, b'h']), None);
    }
}
