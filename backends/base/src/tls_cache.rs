//! [`ConfigCache`], a small cache of built TLS configurations, client and server, shared by the
//! backends.
//!
//! Building a configuration reads and parses certificate files (OpenSSL's default trust bundle
//! alone takes ~20 ms); a cached one is reused by every connection with the same settings, and
//! lets rustls resume TLS sessions. The key ([`ConfigKey`]) includes each file's size and
//! modification time, so replacing a CA, client or server certificate file takes effect on the
//! next connection.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::error::Result;
use crate::server_tls::{ClientVerify, ServerTlsParams};
use crate::settings::Secret;
use crate::tls::{IdentityFiles, Pins, TlsParams, TlsVersion};

/// How many configurations a cache keeps; the oldest goes first.
const CAPACITY: usize = 16;

/// A file as it is now: a changed file makes a different key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    path: PathBuf,
    modified: Option<SystemTime>,
    len: Option<u64>,
}

impl FileStamp {
    fn of(path: &Path) -> FileStamp {
        let meta = std::fs::metadata(path).ok();
        FileStamp {
            path: path.to_path_buf(),
            modified: meta.as_ref().and_then(|m| m.modified().ok()),
            len: meta.map(|m| m.len()),
        }
    }
}

/// An identity's files as they are now, and a PKCS#12 file's password (another password
/// for the same file must be tried, not served from the cache).
#[derive(Debug, Clone, PartialEq, Eq)]
enum IdentityKey {
    Pem(FileStamp, FileStamp),
    Pkcs12(FileStamp, Secret),
}

impl IdentityKey {
    fn of(identity: &IdentityFiles) -> IdentityKey {
        match identity {
            IdentityFiles::Pem { cert, key } => {
                IdentityKey::Pem(FileStamp::of(cert), FileStamp::of(key))
            }
            IdentityFiles::Pkcs12 { path, password } => {
                IdentityKey::Pkcs12(FileStamp::of(path), password.clone())
            }
        }
    }
}

/// Everything in [`TlsParams`] that goes into a client configuration (not the server name).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClientKey {
    verify: bool,
    ca_file: Option<FileStamp>,
    client_identity: Option<IdentityKey>,
    alpn: Vec<String>,
    min_version: TlsVersion,
    pins: Pins,
}

/// Everything in [`ServerTlsParams`] that goes into a server configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ServerKey {
    identity: IdentityKey,
    client_ca: Option<(FileStamp, bool)>,
    alpn: Vec<String>,
    min_version: TlsVersion,
}

/// What a cached configuration was built from: the settings, and the files they name as they
/// are now. Made from [`TlsParams`] (a client configuration) or [`ServerTlsParams`] (a server's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigKey(Side);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Side {
    Client(ClientKey),
    Server(ServerKey),
}

impl From<&TlsParams> for ConfigKey {
    fn from(params: &TlsParams) -> ConfigKey {
        ConfigKey(Side::Client(ClientKey {
            verify: params.verify,
            ca_file: params.ca_file.as_deref().map(FileStamp::of),
            client_identity: params.client_identity.as_ref().map(IdentityKey::of),
            alpn: params.alpn.clone(),
            min_version: params.min_version,
            pins: params.pins.clone(),
        }))
    }
}

impl From<&ServerTlsParams> for ConfigKey {
    fn from(params: &ServerTlsParams) -> ConfigKey {
        ConfigKey(Side::Server(ServerKey {
            identity: IdentityKey::of(&params.identity),
            client_ca: params
                .client_verify
                .as_ref()
                .map(|ClientVerify { ca_file, required }| (FileStamp::of(ca_file), *required)),
            alpn: params.alpn.clone(),
            min_version: params.min_version,
        }))
    }
}

/// Built configurations of one backend, by settings.
pub struct ConfigCache<T> {
    entries: Mutex<Vec<(ConfigKey, T)>>,
}

impl<T: Clone> Default for ConfigCache<T> {
    fn default() -> Self {
        ConfigCache::new()
    }
}

impl<T: Clone> ConfigCache<T> {
    /// An empty cache (usable in a `static`).
    pub const fn new() -> Self {
        ConfigCache {
            entries: Mutex::new(Vec::new()),
        }
    }

    /// The configuration for `params` (a client's [`TlsParams`] or a server's
    /// [`ServerTlsParams`]), built by `build` on a miss. Failures are not cached.
    pub fn get_or_build(
        &self,
        params: impl Into<ConfigKey>,
        build: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let key = params.into();
        if let Some((_, config)) = self.lock().iter().find(|(k, _)| *k == key) {
            return Ok(config.clone());
        }
        let config = build()?;
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.remove(0);
        }
        entries.push((key, config.clone()));
        Ok(config)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(ConfigKey, T)>> {
        // A panic while holding the lock cannot leave the list half-updated.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::Backend;

    fn params(ca: Option<&Path>) -> TlsParams {
        TlsParams {
            backend: Backend::Rustls,
            server_name: "example.com".into(),
            verify: true,
            ca_file: ca.map(Path::to_path_buf),
            client_identity: None,
            alpn: vec![],
            min_version: TlsVersion::Tls12,
            pins: Pins::default(),
        }
    }

    #[test]
    fn same_settings_reuse_and_changed_files_rebuild() {
        let cache = ConfigCache::<u32>::new();
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "one").unwrap();
        let mut builds = 0;
        let mut get = |p: &TlsParams| {
            cache
                .get_or_build(p, || {
                    builds += 1;
                    Ok(builds)
                })
                .unwrap()
        };
        assert_eq!(get(&params(Some(&ca))), 1);
        assert_eq!(get(&params(Some(&ca))), 1);
        assert_eq!(get(&params(None)), 2);
        // Same length, new modification time: only the time tells the file changed.
        let modified = std::fs::metadata(&ca).unwrap().modified().unwrap();
        std::fs::write(&ca, "two").unwrap();
        let file = std::fs::File::options().write(true).open(&ca).unwrap();
        file.set_modified(modified + std::time::Duration::from_secs(10))
            .unwrap();
        assert_eq!(std::fs::metadata(&ca).unwrap().len(), 3);
        assert_eq!(get(&params(Some(&ca))), 3);
        assert_eq!(get(&params(Some(&ca))), 3);
        // Pins are part of a configuration (rustls checks them in its verifier).
        let mut pinned = params(Some(&ca));
        pinned.pins = Pins::parse(&["00".repeat(32)]).unwrap();
        assert_eq!(get(&pinned), 4);
        assert_eq!(get(&pinned), 4);
    }

    #[test]
    fn failures_are_not_cached_and_capacity_is_bounded() {
        let cache = ConfigCache::<usize>::new();
        let err = cache.get_or_build(&params(None), || Err(crate::Error::argument("x", "bad")));
        assert!(err.is_err());
        assert_eq!(cache.get_or_build(&params(None), || Ok(7)).unwrap(), 7);
        for i in 0..CAPACITY * 2 {
            let mut p = params(None);
            p.alpn = vec![i.to_string()];
            cache.get_or_build(&p, || Ok(i)).unwrap();
        }
        assert_eq!(cache.lock().len(), CAPACITY);
    }

    #[test]
    fn another_pkcs12_password_is_another_configuration() {
        let cache = ConfigCache::<&str>::new();
        let with = |password: &str| TlsParams {
            client_identity: Some(IdentityFiles::Pkcs12 {
                path: "/nonexistent/c.pfx".into(),
                password: Secret(password.into()),
            }),
            ..params(None)
        };
        assert_eq!(
            cache.get_or_build(&with("right"), || Ok("right")),
            Ok("right")
        );
        assert_eq!(
            cache.get_or_build(&with("wrong"), || Ok("wrong")),
            Ok("wrong")
        );
        assert_eq!(
            cache.get_or_build(&with("right"), || Ok("again")),
            Ok("right")
        );
    }

    #[test]
    fn a_renewed_server_certificate_is_another_configuration() {
        let cache = ConfigCache::<u32>::new();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("s.pem"), dir.path().join("s.key"));
        std::fs::write(&cert, "one").unwrap();
        std::fs::write(&key, "key").unwrap();
        let server = ServerTlsParams {
            backend: Backend::Rustls,
            identity: IdentityFiles::Pem {
                cert: cert.clone(),
                key,
            },
            client_verify: None,
            alpn: vec![],
            min_version: TlsVersion::Tls12,
        };
        assert_eq!(cache.get_or_build(&server, || Ok(1)), Ok(1));
        assert_eq!(cache.get_or_build(&server, || Ok(2)), Ok(1));
        std::fs::write(&cert, "renewed").unwrap();
        assert_eq!(cache.get_or_build(&server, || Ok(3)), Ok(3));
        let verifying = ServerTlsParams {
            client_verify: Some(ClientVerify {
                ca_file: cert,
                required: true,
            }),
            ..server
        };
        assert_eq!(cache.get_or_build(&verifying, || Ok(4)), Ok(4));
    }
}
