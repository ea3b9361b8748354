//! The TLS backends compiled in, one crate each under `backends/` in the repository, each
//! depending only on the transport layer (`tcplink-transport`) and pulled in by its Cargo
//! feature. Plain TCP needs none: the [`TimedSocket`](crate::TimedSocket) itself is a
//! [`Transport`](crate::Transport).

#[cfg(feature = "native-tls")]
pub use tcplink_native_tls as native_tls;
#[cfg(feature = "openssl")]
pub use tcplink_openssl as openssl;
#[cfg(feature = "rustls")]
pub use tcplink_rustls as rustls;
