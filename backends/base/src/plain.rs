//! Plain TCP: the [`TimedSocket`] itself is the transport.

use std::io;
use std::net::Shutdown;

use crate::socket::TimedSocket;
use crate::tls::TlsInfo;
use crate::transport::Transport;

impl Transport for TimedSocket {
    fn socket(&self) -> &TimedSocket {
        self
    }

    fn socket_mut(&mut self) -> &mut TimedSocket {
        self
    }

    fn tls_info(&self) -> Option<TlsInfo> {
        None
    }

    fn has_buffered_input(&mut self) -> bool {
        false
    }

    fn shutdown(&mut self) -> io::Result<()> {
        TimedSocket::shutdown(self, Shutdown::Write)
    }

    fn into_plain_socket(self: Box<Self>) -> Result<TimedSocket, Box<dyn Transport>> {
        Ok(*self)
    }
}
