//! [`RustlsTransport`], a rustls session over a [`TimedSocket`] as a [`Transport`]: the client's
//! (`ClientConnection`, made by `connect`) or a server's (`ServerConnection`, made by `accept`).

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::ops::{Deref, DerefMut};

use rustls::{ClientConnection, ConnectionCommon, ServerConnection, SideData, StreamOwned};

use tcplink_transport::{TimedSocket, TlsInfo, Transport};

/// A TLS connection through rustls; `C` is the session, a `ClientConnection` (the default) or a
/// `ServerConnection`.
pub struct RustlsTransport<C = ClientConnection> {
    stream: StreamOwned<C, TimedSocket>,
}

/// A connection a TLS server accepted, through rustls.
pub type RustlsServerTransport = RustlsTransport<ServerConnection>;

impl<C, S> RustlsTransport<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    S: SideData,
{
    /// Runs the handshake of `session` over `socket`, bounded by the socket's deadlines; the
    /// error is rustls's (inside the `io::Error`, see [`rustls_error`]) or the socket's.
    pub(crate) fn handshake(session: C, socket: TimedSocket) -> io::Result<RustlsTransport<C>> {
        let mut stream = StreamOwned::new(session, socket);
        while stream.conn.is_handshaking() {
            stream.conn.complete_io(&mut stream.sock)?;
        }
        Ok(RustlsTransport { stream })
    }
}

/// The rustls error inside an I/O error from the handshake, if any.
pub fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
}

impl<C, S> Read for RustlsTransport<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    S: SideData,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.stream.read(buf) {
            // A peer that closes TCP without close_notify has still ended the stream.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
            other => other,
        }
    }
}

impl<C, S> Write for RustlsTransport<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>>,
    S: SideData,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

impl<C, S> Transport for RustlsTransport<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>> + Send + 'static,
    S: SideData,
{
    fn socket(&self) -> &TimedSocket {
        &self.stream.sock
    }

    fn socket_mut(&mut self) -> &mut TimedSocket {
        &mut self.stream.sock
    }

    fn tls_info(&self) -> Option<TlsInfo> {
        let conn = &*self.stream.conn;
        let leaf = conn.peer_certificates().and_then(|c| c.first());
        Some(TlsInfo {
            version: conn.protocol_version().map(|v| match v {
                rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
                other => format!("{other:?}"),
            }),
            cipher: conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite())),
            alpn: conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            resumed: conn
                .handshake_kind()
                .map(|k| k == rustls::HandshakeKind::Resumed),
            ..TlsInfo::with_peer("rustls", leaf.map(|c| c.as_ref()))
        })
    }

    fn has_buffered_input(&mut self) -> bool {
        // Records already read from the socket are decrypted here; an error is reported by the
        // next read, which therefore does not wait either.
        self.stream
            .conn
            .process_new_packets()
            .map_or(true, |state| {
                state.plaintext_bytes_to_read() > 0 || state.peer_has_closed()
            })
    }

    fn shutdown(&mut self) -> io::Result<()> {
        self.stream.conn.send_close_notify();
        let flushed = self.stream.flush();
        self.stream.sock.shutdown(Shutdown::Write).and(flushed)
    }

    fn into_plain_socket(self: Box<Self>) -> Result<TimedSocket, Box<dyn Transport>> {
        // Already TLS: there is no plain socket to upgrade.
        Err(self)
    }
}
