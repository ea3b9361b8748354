//! The verifier used when keys are pinned (`pinned_sha256`): the server's public key must be one
//! of the pins, checked before anything else, and then the verifier it wraps decides, handshake
//! signatures included: webpki's (see `verify.rs`) when verification is on, so both must hold;
//! the one that accepts any certificate with `accept_invalid_certs`, so the pin is the check.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use tcplink_transport::tls::Pins;

use crate::verify::refuse;

/// A verifier that refuses keys that are not pinned and asks `inner` about the rest.
#[derive(Debug)]
pub struct PinnedVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    pins: Pins,
}

impl PinnedVerifier {
    /// `inner` with the server's key limited to `pins`.
    pub fn new(inner: Arc<dyn ServerCertVerifier>, pins: Pins) -> PinnedVerifier {
        PinnedVerifier { inner, pins }
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.pins
            .check(end_entity)
            .map_err(|problem| refuse(problem, &self.pins))?;
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
