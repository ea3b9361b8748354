//! The server's side of TLS: [`accept`] runs the handshake with a client over an accepted socket,
//! with a [`ServerConfig`] built from [`ServerTlsParams`] (and cached). Client certificates, when
//! asked for, are verified by webpki against `client_ca_path`, whose own certificates are also
//! accepted as a client's; a refusal carries the plain-words
//! [`CertProblem`](tcplink_transport::tls::CertProblem) (see [`ClientVerifier`]).

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig};
use rustls::{ServerConnection, SignatureScheme};

use tcplink_transport::server_tls::ServerTlsParams;
use tcplink_transport::tls::{
    client_certificate_error, client_certificate_missing, handshake_error, handshake_io_error,
    IdentityFields,
};
use tcplink_transport::tls_cache::ConfigCache;
use tcplink_transport::{Error, Result, TimedSocket, Transport};

use crate::identity::Identity;
use crate::transport::{rustls_error, RustlsTransport};
use crate::verify::{explained, refuse, valid_at, Named, Refusal};
use crate::{pem_certificates, provider, versions};

/// The built configurations, by settings.
static CONFIGS: ConfigCache<Arc<ServerConfig>> = ConfigCache::new();

/// Builds (or finds cached) the configuration for `params`, reading the certificate, key and CA
/// files: a server calls this before it accepts anything, so bad files are reported at once.
pub fn prepare_accept(params: &ServerTlsParams) -> Result<()> {
    config(params).map(drop)
}

fn config(params: &ServerTlsParams) -> Result<Arc<ServerConfig>> {
    CONFIGS.get_or_build(params, || server_config(params).map(Arc::new))
}

/// Runs the server's handshake with the client `peer` over `socket` (bounded by its deadlines)
/// and returns the transport.
pub fn accept(
    socket: TimedSocket,
    params: &ServerTlsParams,
    peer: &str,
) -> Result<Box<dyn Transport>> {
    let conn = ServerConnection::new(config(params)?).map_err(|e| handshake_error(peer, e))?;
    match RustlsTransport::handshake(conn, socket) {
        Ok(transport) => Ok(Box::new(transport)),
        Err(e) => Err(match rustls_error(&e) {
            Some(rustls::Error::NoCertificatesPresented) => {
                client_certificate_missing(peer, "rustls: NoCertificatesPresented")
            }
            Some(tls) => match Refusal::of(tls) {
                Some(r) => client_certificate_error(peer, &r.problem, &r.detail),
                None => handshake_error(peer, tls),
            },
            None => handshake_io_error(peer, &e),
        }),
    }
}

fn server_config(params: &ServerTlsParams) -> Result<ServerConfig> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(params.min_version))
        .map_err(|e| Error::argument("min_version", e))?;
    let builder = match &params.client_verify {
        None => builder.with_no_client_auth(),
        Some(verify) => {
            let mut roots = RootCertStore::empty();
            let certs = pem_certificates(&verify.ca_file, "client_ca_path")?;
            let (added, _) = roots.add_parsable_certificates(certs.iter().cloned());
            if added == 0 {
                return Err(Error::argument(
                    "client_ca_path",
                    format!("{} holds no usable certificate", verify.ca_file.display()),
                ));
            }
            let webpki = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
            let webpki = if verify.required {
                webpki
            } else {
                webpki.allow_unauthenticated()
            };
            let inner = webpki
                .build()
                .map_err(|e| Error::argument("client_ca_path", e))?;
            let named = Named::new(certs, provider().signature_verification_algorithms);
            builder.with_client_cert_verifier(Arc::new(ClientVerifier { inner, named }))
        }
    };
    let Identity {
        certs,
        key,
        setting,
    } = Identity::load(&params.identity, &IdentityFields::SERVER)?;
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| Error::argument(setting, e))?;
    config.alpn_protocols = params.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok(config)
}

/// webpki's client verifier, whose refusals carry the plain-words problem in a [`Refusal`], and
/// which accepts a certificate of `client_ca_path` as the client's own (a self-signed device
/// certificate as `openssl req -x509` makes it, CA:TRUE, or a v1 one) while it is valid, as
/// OpenSSL does.
#[derive(Debug)]
struct ClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    named: Named,
}

impl ClientCertVerifier for ClientVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> std::result::Result<ClientCertVerified, rustls::Error> {
        let err = match self
            .inner
            .verify_client_cert(end_entity, intermediates, now)
        {
            Ok(verified) => return Ok(verified),
            Err(err) => err,
        };
        if let Some(leaf) = self.named.refused_only_for_form(end_entity, &err) {
            return match valid_at(&leaf, now) {
                Ok(()) => Ok(ClientCertVerified::assertion()),
                Err(problem) => Err(refuse(problem, err)),
            };
        }
        Err(explained(err, end_entity, intermediates))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner
            .verify_tls12_signature(message, cert, dss)
            .or_else(|err| self.named.tls12_signature(message, cert, dss, err))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner
            .verify_tls13_signature(message, cert, dss)
            .or_else(|err| self.named.tls13_signature(message, cert, dss, err))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
