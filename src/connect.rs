//! The connector chain: resolve, TCP connect (to the target or the proxy), proxy handshake, TLS
//! handshake, all bounded by one [`Deadline`] from [`ConnectOptions::connect_timeout`].

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};

use crate::address::HostPort;
use crate::deadline::Deadline;
use crate::error::{Error, ErrorKind, Result};
use crate::resolve::resolve;
use crate::settings::{ProxySettings, TlsSettings};
use crate::socket::TimedSocket;
use crate::tls::{self, TlsParams};
use crate::transport::Transport;

/// How to establish connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// One bound on resolving, connecting, the proxy handshake and the TLS handshake together;
    /// `None` or zero means no limit. Default 10 s.
    pub connect_timeout: Option<Duration>,
    /// TCP keepalive idle time, if keepalive probes should be sent. Default off.
    pub keepalive: Option<Duration>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Some(Duration::from_secs(10)),
            keepalive: None,
        }
    }
}

/// Everything needed to reach one server: where, and with which TLS and proxy settings.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The server.
    pub target: HostPort,
    /// TLS settings; `None` for plain TCP.
    pub tls: Option<TlsSettings>,
    /// The proxy to go through, if any.
    pub proxy: Option<ProxySettings>,
}

impl Endpoint {
    /// Parses the user-facing strings: an address and TLS and proxy settings JSON (each may be
    /// empty).
    pub fn parse(address: &str, tls_json: &str, proxy_json: &str) -> Result<Endpoint> {
        Ok(Endpoint {
            target: HostPort::parse_address(address, "Address")?,
            tls: TlsSettings::from_json(tls_json)?,
            proxy: ProxySettings::from_json(proxy_json)?,
        })
    }

    /// Connects, returning a ready transport with no deadlines set.
    pub fn connect(&self, options: &ConnectOptions) -> Result<Box<dyn Transport>> {
        // Settings are checked before anything touches the network.
        let tls = self
            .tls
            .as_ref()
            .map(|s| TlsParams::new(s, &self.target))
            .transpose()?;
        let deadline = Deadline::after(options.connect_timeout);
        let mut socket = match &self.proxy {
            None => tcp_connect(&self.target, deadline, &self.target.to_string(), options)?,
            Some(proxy) => {
                let what = proxy.describe();
                let mut socket = tcp_connect(&proxy.endpoint()?, deadline, &what, options)?;
                socket.set_deadline(deadline);
                crate::proxy::open_tunnel(&mut socket, proxy, &self.target, deadline)?;
                socket
            }
        };
        socket.set_deadline(deadline);
        let mut transport: Box<dyn Transport> = match tls {
            None => Box::new(socket),
            Some(params) => tls::handshake(socket, &params, &self.target.to_string())?,
        };
        transport.socket_mut().set_deadline(Deadline::NONE);
        Ok(transport)
    }
}

/// Resolves `hop` and connects to each of its addresses in turn until one accepts.
fn tcp_connect(
    hop: &HostPort,
    deadline: Deadline,
    what: &str,
    options: &ConnectOptions,
) -> Result<TimedSocket> {
    let addrs = resolve(hop, deadline, what)?;
    let mut failures = Vec::new();
    let mut timed_out = false;
    for addr in addrs {
        match connect_one(addr, deadline) {
            Ok(stream) => return configure(stream, options, what).map(TimedSocket::new),
            Err(e) => {
                timed_out |= crate::reader::is_timeout(&e);
                failures.push(format!("{addr}: {e}"));
                if deadline.expired() {
                    break;
                }
            }
        }
    }
    let kind = if timed_out && deadline.expired() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Connect
    };
    Err(Error::new(
        kind,
        format!("cannot connect to {what} ({})", failures.join("; ")),
    ))
}

fn connect_one(addr: SocketAddr, deadline: Deadline) -> std::io::Result<TcpStream> {
    match deadline.time_left() {
        Ok(None) => TcpStream::connect(addr),
        Ok(Some(left)) => TcpStream::connect_timeout(&addr, left),
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

fn configure(stream: TcpStream, options: &ConnectOptions, what: &str) -> Result<TcpStream> {
    let setup = || -> std::io::Result<()> {
        stream.set_nodelay(true)?;
        if let Some(idle) = options.keepalive {
            SockRef::from(&stream).set_tcp_keepalive(&TcpKeepalive::new().with_time(idle))?;
        }
        Ok(())
    };
    setup().map_err(|e| Error::from_io(&e, &format!("configuring the socket to {what}")))?;
    Ok(stream)
}
