//! Why an OpenSSL handshake failed ([`Failure`]), the client's or the server's: a refused
//! certificate (OpenSSL's verify result, named as a plain-words
//! [`CertProblem`](tcplink_transport::tls::CertProblem)), a TLS failure, or the socket's.

use std::io;

use openssl::ssl::{HandshakeError, SslRef};
use openssl::x509::X509VerifyResult;

use tcplink_transport::tls::{handshake_io_error, CertFacts, CertProblem};
use tcplink_transport::{Error, TimedSocket};

/// Why a handshake failed.
pub enum Failure {
    /// The peer's certificate did not verify: the problem, where OpenSSL's code names one, and
    /// OpenSSL's words.
    Refused {
        /// The problem in plain words.
        problem: Option<CertProblem>,
        /// What OpenSSL said.
        detail: String,
    },
    /// The TLS protocol failed; what OpenSSL said.
    Tls(String),
    /// The socket failed, timed out or was closed: the error to report.
    Io(Error),
}

impl Failure {
    /// The failure of a handshake with `peer`.
    pub fn of(err: HandshakeError<TimedSocket>, peer: &str) -> Failure {
        match err {
            HandshakeError::SetupFailure(e) => Failure::Tls(e.to_string()),
            HandshakeError::WouldBlock(_) => Failure::Io(handshake_io_error(
                peer,
                &io::Error::from(io::ErrorKind::TimedOut),
            )),
            HandshakeError::Failure(mid) => {
                let verify = mid.ssl().verify_result();
                let err = mid.error();
                if verify != X509VerifyResult::OK {
                    Failure::Refused {
                        problem: verify_problem(verify, mid.ssl()),
                        detail: format!("certificate verify failed: {}", verify.error_string()),
                    }
                } else if let Some(io_err) = err.io_error() {
                    Failure::Io(handshake_io_error(peer, io_err))
                } else if err.ssl_error().is_none() {
                    Failure::Io(handshake_io_error(
                        peer,
                        &io::Error::from(io::ErrorKind::UnexpectedEof),
                    ))
                } else {
                    Failure::Tls(err.to_string())
                }
            }
        }
    }
}

// X509_V_ERR_* codes (openssl/x509_vfy.h) grouped by the problem users are told of.
const UNKNOWN_ISSUER: [i32; 2] = [
    18, // DEPTH_ZERO_SELF_SIGNED_CERT
    19, // SELF_SIGNED_CERT_IN_CHAIN
];
// The last certificate sent is not self-signed and its issuer is found nowhere.
const INCOMPLETE_CHAIN: [i32; 3] = [
    2,  // UNABLE_TO_GET_ISSUER_CERT
    20, // UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21, // UNABLE_TO_VERIFY_LEAF_SIGNATURE
];
const NOT_YET_VALID: i32 = 9; // CERT_NOT_YET_VALID
const EXPIRED: i32 = 10; // CERT_HAS_EXPIRED
const NAME_MISMATCH: [i32; 3] = [
    62, // HOSTNAME_MISMATCH
    63, // EMAIL_MISMATCH
    64, // IP_ADDRESS_MISMATCH
];

/// The problem OpenSSL's verification failure stands for, with details from the certificates the
/// peer sent (`ssl`'s peer chain, which OpenSSL keeps after a failed verification; a server's
/// holds the client's chain without its own certificate, which comes first).
fn verify_problem(result: X509VerifyResult, ssl: &SslRef) -> Option<CertProblem> {
    let code = result.as_raw();
    let problem = if UNKNOWN_ISSUER.contains(&code) {
        CertProblem::UnknownIssuer
    } else if INCOMPLETE_CHAIN.contains(&code) {
        CertProblem::IncompleteChain { issuer: None }
    } else if code == NOT_YET_VALID {
        CertProblem::NotYetValid { not_before: None }
    } else if code == EXPIRED {
        CertProblem::Expired { not_after: None }
    } else if NAME_MISMATCH.contains(&code) {
        CertProblem::NameMismatch { names: Vec::new() }
    } else {
        return None;
    };
    let leaf = ssl.peer_certificate().filter(|_| ssl.is_server());
    let chain = ssl
        .peer_cert_chain()
        .into_iter()
        .flatten()
        .map(|c| c.to_owned());
    let sent: Vec<CertFacts> = leaf
        .into_iter()
        .chain(chain)
        .filter_map(|cert| CertFacts::from_der(&cert.to_der().ok()?))
        .collect();
    Some(problem.with_details(sent.first(), sent.last()))
}
