//! Why a PKCS#12 file (the client's `client_pfx_path`, a server's `pfx_path`) could not be used,
//! in the same plain words for every backend: [`Pkcs12Problem`] and [`pkcs12_error`]. Each backend opens the file
//! with its own library and names the problem; OpenSSL and the platform libraries report theirs
//! as text, which [`Pkcs12Problem::from_library_text`] reads. No message ever holds the password.

use std::path::Path;

use crate::error::{Error, Result};
use crate::identity::IdentityFields;
use crate::tls::read_setting_file;

/// Why a PKCS#12 file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pkcs12Problem {
    /// The password does not open the file: its integrity check fails with it, or what it
    /// decrypts is not a key or certificate (a damaged file looks the same).
    WrongPassword,
    /// The file is encrypted with a legacy cipher (RC2) that `backend` cannot decrypt in this
    /// build.
    LegacyCipher {
        /// The backend's name.
        backend: &'static str,
    },
    /// The file is not PKCS#12, or is damaged; what the parser said.
    NotPkcs12(String),
    /// The file holds no private key together with its certificate.
    NoIdentity,
    /// The backend refused the key or certificate inside (a key type it does not support, a key
    /// that does not match the certificate); what it said.
    Unusable(String),
}

/// What OpenSSL (`openssl`, and `native-tls` on Linux), SChannel (`native-tls` on Windows) and
/// Security.framework (`native-tls` on macOS) say about a wrong password.
const WRONG_PASSWORD_TEXTS: [&str; 5] = [
    "mac verify failure",
    "mac verification failed",
    "password is not correct",
    "wrong password",
    "pkcs12_pbe_crypt",
];

/// What OpenSSL says when the cipher is not available: RC2 needs its legacy provider.
const UNSUPPORTED_TEXTS: [&str; 2] = ["unsupported", "unknown cipher"];

impl Pkcs12Problem {
    /// The problem an OpenSSL or platform library failure to open the file stands for, from its
    /// text; `backend` is the backend's name.
    pub fn from_library_text(text: &str, backend: &'static str) -> Pkcs12Problem {
        let lower = text.to_ascii_lowercase();
        if WRONG_PASSWORD_TEXTS.iter().any(|t| lower.contains(t)) {
            Pkcs12Problem::WrongPassword
        } else if UNSUPPORTED_TEXTS.iter().any(|t| lower.contains(t)) {
            Pkcs12Problem::LegacyCipher { backend }
        } else if text.ends_with("(os error 0)") {
            // Windows' PFXImportCertStore can fail without setting an error code, which then
            // reads "The operation completed successfully" or "Success".
            Pkcs12Problem::NotPkcs12("the system gave no reason".to_string())
        } else {
            Pkcs12Problem::NotPkcs12(text.to_string())
        }
    }
}

/// The [`argument`](crate::ErrorKind::Argument) error for `problem` with the PKCS#12 file at
/// `path`, read from the settings `fields` names: a wrong password names the password setting
/// (`client_pfx_password`, `pfx_password`), every other problem the file's; both name the file,
/// neither the password.
pub fn pkcs12_error(path: &Path, fields: &IdentityFields, problem: Pkcs12Problem) -> Error {
    let file = path.display();
    let setting = fields.pfx;
    match problem {
        Pkcs12Problem::WrongPassword => Error::argument(
            fields.password,
            format!(
                "the password is wrong for {file} ({setting}): the file cannot be decrypted with \
                 it (or the file is damaged)"
            ),
        ),
        Pkcs12Problem::LegacyCipher { backend } => Error::argument(
            setting,
            format!(
                "{file} is encrypted with a legacy cipher (RC2, as `openssl pkcs12 -legacy` and \
                 older Windows exports make it), which the {backend} backend of this build cannot \
                 decrypt: export the file again with AES-256 (Windows: \"AES256-SHA256\"; \
                 OpenSSL 3: `openssl pkcs12 -export` without -legacy) or use the rustls backend"
            ),
        ),
        Pkcs12Problem::NotPkcs12(detail) => Error::argument(
            setting,
            format!("{file} is not a PKCS#12 (.pfx/.p12) file, or it is damaged: {detail}"),
        ),
        Pkcs12Problem::NoIdentity => Error::argument(
            setting,
            format!("{file} holds no private key together with its certificate"),
        ),
        Pkcs12Problem::Unusable(detail) => Error::argument(
            setting,
            format!("the certificate or key in {file} cannot be used: {detail}"),
        ),
    }
}

/// Opens the PKCS#12 file at `path`, named by the settings `fields` names, with `open`, a
/// backend's reader, which names what went wrong as a [`Pkcs12Problem`]; an unreadable file is
/// an error naming the file's setting.
pub fn open_pkcs12<T>(
    path: &Path,
    fields: &IdentityFields,
    open: impl FnOnce(&[u8]) -> std::result::Result<T, Pkcs12Problem>,
) -> Result<T> {
    let der = read_setting_file(path, fields.pfx)?;
    open(&der).map_err(|problem| pkcs12_error(path, fields, problem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn library_texts_name_the_problem() {
        let wrong = "error:11800071:PKCS12 routines:PKCS12_parse:mac verify failure";
        assert_eq!(
            Pkcs12Problem::from_library_text(wrong, "openssl"),
            Pkcs12Problem::WrongPassword
        );
        let schannel = "The specified network password is not correct. (os error 86)";
        assert_eq!(
            Pkcs12Problem::from_library_text(schannel, "native-tls"),
            Pkcs12Problem::WrongPassword
        );
        let legacy = "error:0308010C:digital envelope routines:inner_evp_generic_fetch:unsupported";
        assert_eq!(
            Pkcs12Problem::from_library_text(legacy, "openssl"),
            Pkcs12Problem::LegacyCipher { backend: "openssl" }
        );
        assert!(matches!(
            Pkcs12Problem::from_library_text("asn1 encoding routines", "openssl"),
            Pkcs12Problem::NotPkcs12(_)
        ));
        let silent = "Success. (os error 0)";
        assert_eq!(
            Pkcs12Problem::from_library_text(silent, "native-tls"),
            Pkcs12Problem::NotPkcs12("the system gave no reason".to_string())
        );
    }

    #[test]
    fn errors_name_the_setting_and_the_file() {
        let path = Path::new("/certs/client.pfx");
        let client = &IdentityFields::CLIENT;
        let err = pkcs12_error(path, client, Pkcs12Problem::WrongPassword);
        assert_eq!(err.kind(), ErrorKind::Argument);
        assert!(err.message().starts_with("client_pfx_password: "), "{err}");
        assert!(err.message().contains("/certs/client.pfx"), "{err}");
        let err = open_pkcs12(Path::new("/nonexistent/c.pfx"), client, |_| Ok(())).unwrap_err();
        assert!(err.message().starts_with("client_pfx_path: "), "{err}");
        let server = &IdentityFields::SERVER;
        let err = pkcs12_error(path, server, Pkcs12Problem::WrongPassword);
        assert!(err.message().starts_with("pfx_password: "), "{err}");
        assert!(err.message().contains("(pfx_path)"), "{err}");
    }
}
