//! The certificate verifier used when verification is on: rustls's webpki verifier, plus the one
//! case where webpki is stricter than OpenSSL and the platforms. A certificate the user named as
//! trusted (it is itself in `ca_cert_path`) that webpki refuses only for being a CA (`CA:TRUE`,
//! what `openssl req -x509` makes) or an X.509 v1 certificate used as the server's own is
//! accepted once its validity period and the server name are checked here, and its handshake
//! signatures are checked with its public key where webpki cannot read a v1 certificate's. Every
//! refusal carries
//! a [`CertProblem`] in a [`Refusal`], so the user reads the same words as with other backends.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::{
    CertificateError, DigitallySignedStruct, OtherError, PeerMisbehaved, RootCertStore,
    SignatureScheme,
};

use tcplink_transport::tls::{CertFacts, CertProblem};
use tcplink_transport::{Error, Result};

/// Why rustls refused a certificate: the plain-words problem and the detail for experts
/// (webpki's own error, or the pins).
#[derive(Debug)]
pub struct Refusal {
    /// What is wrong, for the user.
    pub problem: CertProblem,
    /// What rustls said, or the pins the key was checked against, for experts.
    pub detail: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for Refusal {}

impl Refusal {
    /// The refusal inside a handshake error, if the verifier made it.
    pub fn of(err: &rustls::Error) -> Option<&Refusal> {
        match err {
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(e))) => {
                e.downcast_ref::<Refusal>()
            }
            _ => None,
        }
    }
}

/// The certificates the user named in a CA file (`ca_cert_path`, or a server's `client_ca_path`):
/// each is also accepted as the peer's own certificate where webpki refuses it only for its form
/// (a CA or v1 certificate), as OpenSSL and the platforms accept it, and its handshake signatures
/// are then checked with its public key.
#[derive(Debug)]
pub struct Named {
    certs: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl Named {
    /// `certs`, whose signatures are checked by `algorithms`.
    pub fn new(
        certs: Vec<CertificateDer<'static>>,
        algorithms: WebPkiSupportedAlgorithms,
    ) -> Named {
        Named { certs, algorithms }
    }

    /// The public key of `cert` if it is one the user named.
    fn key(&self, cert: &CertificateDer<'_>) -> Option<Vec<u8>> {
        self.certs
            .iter()
            .any(|c| c.as_ref() == cert.as_ref())
            .then(|| CertFacts::from_der(cert))
            .flatten()
            .map(|facts| facts.public_key)
    }

    /// What `end_entity` says, when it is one the user named and webpki's `err` refused it only
    /// for its form: the caller then checks what still applies (its dates, the server's name).
    pub fn refused_only_for_form(
        &self,
        end_entity: &CertificateDer<'_>,
        err: &rustls::Error,
    ) -> Option<CertFacts> {
        let named = self.certs.iter().any(|c| c.as_ref() == end_entity.as_ref());
        (named && refused_for_form(err).is_some())
            .then(|| CertFacts::from_der(end_entity))
            .flatten()
    }

    /// A TLS 1.2 handshake signature webpki refused with `err`, checked again with the key of a
    /// named certificate.
    pub fn tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        err: rustls::Error,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        match self.key(cert) {
            Some(key) => tls12_signature_by_key(message, &key, dss, &self.algorithms),
            None => Err(err),
        }
    }

    /// A TLS 1.3 handshake signature webpki refused with `err`, checked again with the key of a
    /// named certificate.
    pub fn tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        err: rustls::Error,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        match self.key(cert) {
            Some(key) => tls13_signature_by_key(message, &key, dss, &self.algorithms),
            None => Err(err),
        }
    }
}

/// Whether the certificate `leaf` is valid at `now`; the problem if not.
pub fn valid_at(leaf: &CertFacts, now: UnixTime) -> std::result::Result<(), CertProblem> {
    leaf.validity_at(i64::try_from(now.as_secs()).unwrap_or(i64::MAX))
}

/// webpki's verifier over `roots`, accepting the certificates in `named` (those of
/// `ca_cert_path`) as end entities too.
#[derive(Debug)]
pub struct Verifier {
    webpki: Arc<WebPkiServerVerifier>,
    named: Named,
}

impl Verifier {
    /// A verifier trusting `roots`, where `named` are the user's own certificates.
    pub fn new(
        roots: RootCertStore,
        named: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Verifier> {
        let named = Named::new(named, provider.signature_verification_algorithms);
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| Error::argument("ca_cert_path", e))?;
        Ok(Verifier { webpki, named })
    }

    /// The verdict on a certificate the user named, which webpki refused only for its form:
    /// accepted when valid now and for `server_name`.
    fn named_verdict(
        leaf: &CertFacts,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> std::result::Result<(), CertProblem> {
        valid_at(leaf, now)?;
        if leaf.is_for(&server_name.to_str()) {
            Ok(())
        } else {
            Err(CertProblem::NameMismatch {
                names: leaf.names(),
            })
        }
    }
}

/// Whether webpki refused the end entity for being a CA or a v1 certificate.
fn refused_for_form(err: &rustls::Error) -> Option<CertProblem> {
    let rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(e))) = err else {
        return None;
    };
    match e.downcast_ref::<webpki::Error>()? {
        webpki::Error::CaUsedAsEndEntity => Some(CertProblem::CaAsEndEntity),
        webpki::Error::UnsupportedCertVersion => Some(CertProblem::V1EndEntity),
        _ => None,
    }
}

/// The plain-words problem of a webpki refusal (of a server's certificate or a client's), with
/// details from the certificates sent.
pub fn problem_of(
    err: &rustls::Error,
    leaf: Option<&CertFacts>,
    top: Option<&CertFacts>,
) -> Option<CertProblem> {
    // A certificate that issued itself is not trusted, whatever else webpki found first.
    let self_issued = |facts: Option<&CertFacts>| facts.is_some_and(CertFacts::self_issued);
    let problem = match err {
        rustls::Error::InvalidCertificate(e) => match e {
            CertificateError::UnknownIssuer if self_issued(top) => CertProblem::UnknownIssuer,
            CertificateError::UnknownIssuer => CertProblem::IncompleteChain { issuer: None },
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                CertProblem::Expired { not_after: None }
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                CertProblem::NotYetValid { not_before: None }
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                CertProblem::NameMismatch { names: Vec::new() }
            }
            _ if self_issued(leaf) && refused_for_form(err).is_some() => CertProblem::UnknownIssuer,
            _ => refused_for_form(err)?,
        },
        _ => return None,
    };
    Some(problem.with_details(leaf, top))
}

/// A TLS 1.3 handshake signature checked with the public key `spki` (DER SubjectPublicKeyInfo).
pub fn tls13_signature_by_key(
    message: &[u8],
    spki: &[u8],
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
    rustls::crypto::verify_tls13_signature_with_raw_key(
        message,
        &SubjectPublicKeyInfoDer::from(spki),
        dss,
        algorithms,
    )
}

/// A TLS 1.2 handshake signature checked with the public key `spki` by the provider's algorithms
/// for its scheme, as rustls checks it with a certificate's (which needs a v3 certificate).
pub fn tls12_signature_by_key(
    message: &[u8],
    spki: &[u8],
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
    let spki = SubjectPublicKeyInfoDer::from(spki);
    let key =
        webpki::RawPublicKeyEntity::try_from(&spki).map_err(|_| CertificateError::BadEncoding)?;
    let candidates = algorithms
        .mapping
        .iter()
        .find(|(scheme, _)| *scheme == dss.scheme)
        .map(|(_, algs)| *algs)
        .ok_or(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme)?;
    candidates
        .iter()
        .find(|alg| {
            key.verify_signature(**alg, message, dss.signature())
                .is_ok()
        })
        .map(|_| HandshakeSignatureValid::assertion())
        .ok_or_else(|| CertificateError::BadSignature.into())
}

/// `err`, webpki's refusal of `end_entity` (sent with `intermediates`), in plain words where it
/// is a problem [`problem_of`] knows; as it is otherwise.
pub fn explained(
    err: rustls::Error,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
) -> rustls::Error {
    let leaf = CertFacts::from_der(end_entity);
    let top = intermediates.last().and_then(|c| CertFacts::from_der(c));
    match problem_of(&err, leaf.as_ref(), top.as_ref().or(leaf.as_ref())) {
        Some(problem) => refuse(problem, err),
        None => err,
    }
}

/// The error that refuses a certificate for `problem`, with `detail` for experts.
pub fn refuse(problem: CertProblem, detail: impl fmt::Display) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(Refusal {
        problem,
        detail: detail.to_string(),
    }))))
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let err = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(err) => err,
        };
        if let Some(leaf) = self.named.refused_only_for_form(end_entity, &err) {
            return match Verifier::named_verdict(&leaf, server_name, now) {
                Ok(()) => Ok(ServerCertVerified::assertion()),
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
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki
            .verify_tls12_signature(message, cert, dss)
            .or_else(|err| self.named.tls12_signature(message, cert, dss, err))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki
            .verify_tls13_signature(message, cert, dss)
            .or_else(|err| self.named.tls13_signature(message, cert, dss, err))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}
