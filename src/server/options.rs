//! [`ServerOptions`]: where a server listens, whom it lets in, how much it holds, and the
//! [`AcceptStep`] that turns each accepted socket into the connection's transport.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

use crate::events::EventSink;
use crate::tls::{self, ServerTlsParams};
use tcplink_transport::{Error, Result, ServerTlsSettings, TimedSocket, Transport};

/// How many connections a server holds by default (OPI's `РазмерПула`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 100;

/// How many received bytes a connection holds for its reader by default before it stops reading
/// its socket (TCP flow control then slows the client down).
pub const DEFAULT_BUFFER_LIMIT: usize = 1 << 20;

/// How long a send may take by default.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the accept step (a TLS handshake) may take by default.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What turns an accepted TCP socket into the connection's [`Transport`]: plain TCP returns the
/// socket itself ([`PlainAccept`]); a TLS server runs its handshake here.
///
/// It runs on the connection's own thread, so a slow or stalled handshake never holds up
/// accepting others. The socket's read and write deadlines are set to the handshake deadline
/// ([`ServerOptions::handshake_timeout`]) before the call and cleared after it. An error closes
/// the connection and is told to the event sink; the connection was never listed.
///
/// Closures `Fn(TimedSocket, SocketAddr) -> Result<Box<dyn Transport>> + Send + Sync` are steps.
pub trait AcceptStep: Send + Sync {
    /// Makes the transport of the connection from `peer` on `socket`.
    fn accept(&self, socket: TimedSocket, peer: SocketAddr) -> Result<Box<dyn Transport>>;
}

impl<F> AcceptStep for F
where
    F: Fn(TimedSocket, SocketAddr) -> Result<Box<dyn Transport>> + Send + Sync,
{
    fn accept(&self, socket: TimedSocket, peer: SocketAddr) -> Result<Box<dyn Transport>> {
        self(socket, peer)
    }
}

/// The accept step of a plain TCP server: the socket is the transport.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainAccept;

impl AcceptStep for PlainAccept {
    fn accept(&self, socket: TimedSocket, _peer: SocketAddr) -> Result<Box<dyn Transport>> {
        Ok(Box::new(socket))
    }
}

/// The accept step of a TLS server: the server's handshake ([`tls::accept`]) with the backend
/// the settings choose, its configuration built once when the step is made.
#[derive(Debug, Clone)]
pub struct TlsAccept {
    params: Arc<ServerTlsParams>,
}

impl TlsAccept {
    /// Checks `settings` and builds the backend's configuration, reading the certificate, key
    /// and CA files: a bad setting or file is an [`argument`](tcplink_transport::ErrorKind::Argument)
    /// error naming it before the server accepts anything.
    pub fn new(settings: &ServerTlsSettings) -> Result<TlsAccept> {
        let params = ServerTlsParams::new(settings)?;
        tls::prepare_accept(&params)?;
        Ok(TlsAccept {
            params: Arc::new(params),
        })
    }
}

impl AcceptStep for TlsAccept {
    fn accept(&self, socket: TimedSocket, peer: SocketAddr) -> Result<Box<dyn Transport>> {
        tls::accept(socket, &self.params, &peer.to_string())
    }
}

/// The client addresses a server lets in: exact IP addresses and CIDR ranges, IPv4 and IPv6.
/// Empty (the default) lets everyone in. An IPv4 client reaching an IPv6 listener as an
/// IPv4-mapped address (`::ffff:10.0.0.5`) is matched as the IPv4 address it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedClients(Vec<IpNet>);

impl AllowedClients {
    /// Everyone.
    pub fn any() -> Self {
        AllowedClients::default()
    }

    /// Reads a list of addresses and ranges separated by commas, semicolons or white space:
    /// `"127.0.0.1, 10.0.0.0/8; ::1 fd00::/8"`. Anything else is an
    /// [`argument`](tcplink_transport::ErrorKind::Argument) error naming `allowed_clients` and
    /// the entry.
    pub fn parse(text: &str) -> Result<Self> {
        text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        Error::argument(
                            "allowed_clients",
                            format!("{entry:?} is neither an IP address nor a CIDR range"),
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()
            .map(AllowedClients)
    }

    /// Exactly these networks.
    pub fn from_nets(nets: Vec<IpNet>) -> Self {
        AllowedClients(nets)
    }

    /// The networks; empty means everyone.
    pub fn nets(&self) -> &[IpNet] {
        &self.0
    }

    /// Whether a client at `ip` may connect.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.is_empty() || self.0.iter().any(|net| net.contains(&ip))
    }
}

/// How a [`Server`](crate::Server) listens and what it allows.
#[derive(Clone)]
pub struct ServerOptions {
    /// The addresses to listen on (at least one): `127.0.0.1:7000`, `[::1]:7000`, `0.0.0.0:7000`
    /// (every IPv4 interface), `[::]:7000` (every IPv6 interface; IPv6 only, so that it can be
    /// listed beside `0.0.0.0` with the same port). Port 0 lets the system pick one; addresses
    /// after the first with port 0 get the port the first one got.
    pub listen: Vec<SocketAddr>,
    /// The most connections open at once (at least 1; [`DEFAULT_MAX_CONNECTIONS`]). Connections
    /// still in their accept step count.
    pub max_connections: usize,
    /// When the limit is reached: `false` (the default) closes the new connection at once and
    /// tells the event sink ([`Event::Refused`](crate::Event::Refused)); `true` closes the oldest
    /// connection instead ([`Event::Evicted`](crate::Event::Evicted)) and keeps the new one.
    pub evict_oldest: bool,
    /// The clients let in; others are closed at once and told to the event sink.
    pub allowed_clients: AllowedClients,
    /// How long a send may take when the call gives no time limit of its own
    /// ([`DEFAULT_SEND_TIMEOUT`]; `None` or zero: no limit).
    pub send_timeout: Option<Duration>,
    /// How long the accept step may take ([`DEFAULT_HANDSHAKE_TIMEOUT`]; `None` or zero: no
    /// limit).
    pub handshake_timeout: Option<Duration>,
    /// How many received and unread bytes one connection holds at most ([`DEFAULT_BUFFER_LIMIT`],
    /// at least 1). When they are reached the connection stops reading its socket until the
    /// caller reads, so a client that sends faster is slowed down by TCP flow control.
    pub buffer_limit: usize,
    /// What the read that reports a client's end (its half-close: [`ServerRead::active`] =
    /// `false`) does: `false` (the default, OPI's rule) closes the connection, and its ID is
    /// gone; `true` keeps it open for sending, so a client that half-closes and waits can still
    /// be answered, until [`Server::finish_sending`] (which then closes it, both halves being
    /// done) or [`Server::close`]. Such a connection counts towards
    /// [`max_connections`](ServerOptions::max_connections) until then: close it when done.
    ///
    /// [`ServerRead::active`]: crate::ServerRead::active
    /// [`Server::finish_sending`]: crate::Server::finish_sending
    /// [`Server::close`]: crate::Server::close
    pub keep_open_after_client_end: bool,
    /// Turns each accepted socket into the connection's transport ([`PlainAccept`] by default).
    pub accept: Arc<dyn AcceptStep>,
    /// Told the server's events ([`crate::events`]): listening, each connection accepted,
    /// refused, evicted, read from, sent to or closed, errors, the stop.
    pub events: Option<Arc<dyn EventSink>>,
}

impl ServerOptions {
    /// Options to listen on `addr` with every default.
    pub fn new(addr: SocketAddr) -> Self {
        ServerOptions::on(vec![addr])
    }

    /// Options to listen on `port` on every interface, IPv4 (`0.0.0.0`) and IPv6 (`[::]`, left
    /// out when the system has no IPv6), with every default. Anyone who can reach the machine
    /// can connect: consider a single address, [`ServerOptions::allowed_clients`] or TLS with
    /// client certificates.
    pub fn all_interfaces(port: u16) -> Self {
        let mut listen = vec![SocketAddr::from((Ipv4Addr::UNSPECIFIED, port))];
        if ipv6_available() {
            listen.push(SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)));
        }
        ServerOptions::on(listen)
    }

    /// These options serving TLS with `settings` ([`TlsAccept`]); `"use_tls": false` keeps
    /// plain TCP. Errors as [`TlsAccept::new`].
    pub fn with_tls(mut self, settings: &ServerTlsSettings) -> Result<Self> {
        if settings.use_tls {
            self.accept = Arc::new(TlsAccept::new(settings)?);
        }
        Ok(self)
    }

    fn on(listen: Vec<SocketAddr>) -> Self {
        ServerOptions {
            listen,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            evict_oldest: false,
            allowed_clients: AllowedClients::any(),
            send_timeout: Some(DEFAULT_SEND_TIMEOUT),
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            buffer_limit: DEFAULT_BUFFER_LIMIT,
            keep_open_after_client_end: false,
            accept: Arc::new(PlainAccept),
            events: None,
        }
    }

    /// Checks the values that have limits: an [`argument`](tcplink_transport::ErrorKind::Argument)
    /// error names the field.
    pub fn validate(&self) -> Result<()> {
        if self.listen.is_empty() {
            return Err(Error::argument("listen", "no address to listen on"));
        }
        if self.max_connections == 0 {
            return Err(Error::argument("max_connections", "must be at least 1"));
        }
        if self.buffer_limit == 0 {
            return Err(Error::argument("buffer_limit", "must be at least 1 byte"));
        }
        Ok(())
    }
}

impl fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOptions")
            .field("listen", &self.listen)
            .field("max_connections", &self.max_connections)
            .field("evict_oldest", &self.evict_oldest)
            .field("allowed_clients", &self.allowed_clients)
            .field("send_timeout", &self.send_timeout)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("buffer_limit", &self.buffer_limit)
            .field(
                "keep_open_after_client_end",
                &self.keep_open_after_client_end,
            )
            .field("events", &self.events.is_some())
            .finish_non_exhaustive()
    }
}

/// Whether this system can open IPv6 sockets at all.
fn ipv6_available() -> bool {
    socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::STREAM, None).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_ranges_are_parsed_and_matched() {
        let allowed = AllowedClients::parse("127.0.0.1, 10.0.0.0/8; ::1\tfd00::/8").unwrap();
        assert_eq!(allowed.nets().len(), 4);
        for ip in [
            "127.0.0.1",
            "10.200.3.4",
            "::1",
            "fd12::5",
            "::ffff:10.1.1.1",
        ] {
            assert!(allowed.allows(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.2",
            "11.0.0.1",
            "::2",
            "fe80::1",
            "::ffff:127.0.0.2",
        ] {
            assert!(!allowed.allows(ip.parse().unwrap()), "{ip}");
        }
        assert!(AllowedClients::parse(" ")
            .unwrap()
            .allows("8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn a_bad_entry_is_an_argument_error_naming_it() {
        let err = AllowedClients::parse("127.0.0.1, 10.0.0.0/33").unwrap_err();
        assert_eq!(err.kind(), tcplink_transport::ErrorKind::Argument);
        assert!(err.message().starts_with("allowed_clients: "), "{err}");
        assert!(err.message().contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn limits_are_checked() {
        let mut options = ServerOptions::new("127.0.0.1:0".parse().unwrap());
        assert!(options.validate().is_ok());
        options.max_connections = 0;
        assert!(options
            .validate()
            .unwrap_err()
            .message()
            .starts_with("max_connections"));
        options.max_connections = 1;
        options.buffer_limit = 0;
        assert!(options
            .validate()
            .unwrap_err()
            .message()
            .starts_with("buffer_limit"));
        options.listen.clear();
        assert!(options
            .validate()
            .unwrap_err()
            .message()
            .starts_with("listen"));
    }
}
