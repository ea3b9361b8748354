//! Proxy handshakes: SOCKS5, SOCKS4/4a and HTTP CONNECT over an already connected socket.
//!
//! Each handshake reads exactly the bytes of the proxy's answer and nothing more, so bytes the
//! target sends right after the tunnel opens are left for the transport above.

mod http;
mod socks4;
mod socks5;

use std::io::{self, Read, Write};

use crate::settings::{ProxyKind, ProxySettings};
use tcplink_transport::{Deadline, Error, ErrorKind, HostPort, Result};

/// Asks the proxy at the other end of `stream` to open a tunnel to `target`.
pub fn open_tunnel<S: Read + Write>(
    stream: &mut S,
    settings: &ProxySettings,
    target: &HostPort,
    deadline: Deadline,
) -> Result<()> {
    let mut io = ProxyIo {
        stream,
        what: settings.describe(),
    };
    match settings.proxy_type {
        ProxyKind::Socks5 => socks5::handshake(&mut io, target, settings.credentials()),
        ProxyKind::Socks4 => {
            socks4::handshake(&mut io, target, settings.login.as_deref(), false, deadline)
        }
        ProxyKind::Socks4a => {
            socks4::handshake(&mut io, target, settings.login.as_deref(), true, deadline)
        }
        ProxyKind::Http => http::handshake(&mut io, target, settings.credentials()),
    }
}

/// The stream to a proxy, turning I/O failures into errors that name the proxy.
struct ProxyIo<'a, S> {
    stream: &'a mut S,
    what: String,
}

impl<S: Read + Write> ProxyIo<'_, S> {
    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream
            .write_all(bytes)
            .and_then(|_| self.stream.flush())
            .map_err(|e| self.io_error(&e))
    }

    fn recv_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.stream.read_exact(buf).map_err(|e| self.io_error(&e))
    }

    fn recv_byte(&mut self) -> Result<u8> {
        let mut b = [0u8];
        self.recv_exact(&mut b)?;
        Ok(b[0])
    }

    fn io_error(&self, err: &io::Error) -> Error {
        match err.kind() {
            io::ErrorKind::UnexpectedEof => {
                self.refused("closed the connection during the handshake")
            }
            _ => {
                let e = Error::from_io(err, &format!("talking to {}", self.what));
                if e.kind() == ErrorKind::Timeout {
                    e
                } else {
                    Error::new(ErrorKind::Proxy, e.message())
                }
            }
        }
    }

    /// A [`ErrorKind::Proxy`] error: the proxy said no, or said something unexpected.
    fn refused(&self, why: impl std::fmt::Display) -> Error {
        Error::new(ErrorKind::Proxy, format!("{}: {why}", self.what))
    }
}
