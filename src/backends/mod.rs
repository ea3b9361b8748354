//! The [`Transport`](crate::Transport) implementations: plain TCP always, and one module per TLS
//! backend compiled in by its Cargo feature.

mod plain;

#[cfg(feature = "native-tls")]
pub mod native_tls;
#[cfg(feature = "openssl")]
pub mod openssl;
#[cfg(feature = "rustls")]
pub mod rustls;
