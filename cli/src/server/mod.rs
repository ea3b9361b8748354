//! What `tcplink serve` and `tcplink demo` do with a [`tcplink::Server`]: the relay that serves
//! each client on a thread of its own (printing what it sends or echoing it), stdin passed on to
//! the clients, and the TLS handshake reported on stderr.

pub mod cert;
mod relay;
mod stdin;

pub use relay::{relay, Mode};
pub use stdin::forward_stdin;

use std::net::SocketAddr;
use std::sync::Arc;

use tcplink::{AcceptStep, Result, TimedSocket, Transport};

use crate::output;

/// An accept step that runs another (a TLS handshake) and then reports the client's TLS
/// parameters and certificate on stderr (`--verbose`).
pub struct Reporting {
    /// The step that makes the transport.
    pub inner: Arc<dyn AcceptStep>,
}

impl AcceptStep for Reporting {
    fn accept(&self, socket: TimedSocket, peer: SocketAddr) -> Result<Box<dyn Transport>> {
        let transport = self.inner.accept(socket, peer)?;
        if let Some(info) = transport.tls_info() {
            output::note(&format!("{peer}: tls: {}", output::describe_tls(&info)));
        }
        Ok(transport)
    }
}
