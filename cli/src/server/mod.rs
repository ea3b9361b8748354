//! The built-in echo server behind `tcplink serve --echo` and `tcplink demo`: one thread per
//! connection, plain TCP or TLS (rustls), every byte sent back until the client closes its side.

pub mod cert;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use rustls::{ServerConfig, ServerConnection, StreamOwned};
use tcplink::{Error, Result};

/// A listening echo server.
pub struct EchoServer {
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    log: bool,
}

impl EchoServer {
    /// Listens on `addr`; with `tls`, connections are TLS with that configuration. With `log`,
    /// each connection is reported on stderr.
    pub fn bind(addr: SocketAddr, tls: Option<Arc<ServerConfig>>, log: bool) -> Result<EchoServer> {
        let listener = TcpListener::bind(addr)
            .map_err(|e| Error::from_io(&e, &format!("listening on {addr}")))?;
        Ok(EchoServer { listener, tls, log })
    }

    /// The address it listens on (with the port picked when 0 was asked for).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| Error::from_io(&e, "reading the listening address"))
    }

    /// Accepts connections forever, each on its own thread.
    pub fn run(self) -> Result<()> {
        loop {
            let (stream, client) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::from_io(&e, "accepting a connection")),
            };
            let tls = self.tls.clone();
            let log = self.log;
            thread::spawn(move || {
                let result = serve_one(stream, tls);
                if log {
                    match result {
                        Ok(n) => eprintln!("tcplink serve: {client}: echoed {n} bytes"),
                        Err(e) => eprintln!("tcplink serve: {client}: {e}"),
                    }
                }
            });
        }
    }

    /// Runs the server on a background thread for the life of the process.
    pub fn spawn(self) {
        thread::spawn(move || self.run());
    }
}

/// Echoes one connection; returns how many bytes went back.
fn serve_one(stream: TcpStream, tls: Option<Arc<ServerConfig>>) -> io::Result<u64> {
    stream.set_nodelay(true)?;
    match tls {
        None => {
            let mut stream = stream;
            let n = echo(&mut stream)?;
            stream.shutdown(Shutdown::Write)?;
            Ok(n)
        }
        Some(config) => {
            let conn = ServerConnection::new(config).map_err(io::Error::other)?;
            let mut tls = StreamOwned::new(conn, stream);
            let n = echo(&mut tls)?;
            tls.conn.send_close_notify();
            tls.flush()?;
            tls.sock.shutdown(Shutdown::Write)?;
            Ok(n)
        }
    }
}

/// Sends back everything read from `stream` until it ends; returns the byte count.
fn echo(stream: &mut (impl Read + Write)) -> io::Result<u64> {
    let mut buf = vec![0; 64 * 1024];
    let mut total = 0;
    loop {
        let n = match stream.read(&mut buf) {
            // A TLS client that closes TCP without close_notify has still ended its stream.
            Ok(0) => return Ok(total),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(total),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
            Ok(n) => n,
        };
        stream.write_all(&buf[..n])?;
        stream.flush()?;
        total += n as u64;
    }
}
