//! The connector chain: resolve, TCP connect (to the target or the proxy, racing its addresses
//! as RFC 8305 says, see [`crate::happy_eyeballs`]), proxy handshake, TLS handshake, all bounded
//! by one [`Deadline`] from [`ConnectOptions::connect_timeout`].

use std::fmt;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use socket2::{SockRef, TcpKeepalive};

use crate::events::{Emitter, Event, EventSink};
use crate::happy_eyeballs::race;
use crate::resolve::resolve;
use crate::settings::ProxySettings;
use crate::tls;
use tcplink_transport::TlsSettings;
use tcplink_transport::{Deadline, Error, HostPort, Result, TimedSocket, TlsParams, Transport};

/// The default of [`ConnectOptions::attempt_delay`]: RFC 8305's recommended Connection Attempt
/// Delay.
pub const DEFAULT_ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// How to establish connections.
#[derive(Clone)]
pub struct ConnectOptions {
    /// One bound on resolving, connecting, the proxy handshake and the TLS handshake together;
    /// `None` or zero means no limit. Default 10 s.
    pub connect_timeout: Option<Duration>,
    /// Happy Eyeballs (RFC 8305): when a name resolves to several addresses, they are tried
    /// interleaved by family (starting with the family of the first address the resolver
    /// returned), and the next attempt starts when the one before has not connected after this
    /// long, or at once when it fails; the first to connect wins and the others are closed.
    /// Through a proxy this applies to reaching the proxy. `None` or zero tries one address at a
    /// time, each until it fails; values under [`MIN_ATTEMPT_DELAY`](crate::happy_eyeballs::MIN_ATTEMPT_DELAY)
    /// (10 ms, RFC 8305's lower bound) are raised to it. Default
    /// [`DEFAULT_ATTEMPT_DELAY`] (250 ms).
    pub attempt_delay: Option<Duration>,
    /// TCP keepalive idle time, if keepalive probes should be sent. Default off.
    pub keepalive: Option<Duration>,
    /// Where to tell what the connect and then the [`Connection`](crate::Connection) do (see
    /// [`crate::events`]). Default none.
    pub events: Option<Arc<dyn EventSink>>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Some(Duration::from_secs(10)),
            attempt_delay: Some(DEFAULT_ATTEMPT_DELAY),
            keepalive: None,
            events: None,
        }
    }
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_delay", &self.attempt_delay)
            .field("keepalive", &self.keepalive)
            .field("events", &self.events.as_ref().map(|_| "EventSink"))
            .finish()
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

    /// Connects, returning a ready transport with no deadlines set. Each step is told to
    /// [`ConnectOptions::events`], and a failure as an [`Event::Error`].
    pub fn connect(&self, options: &ConnectOptions) -> Result<Box<dyn Transport>> {
        let events = Emitter::new(options.events.as_deref());
        events.on_error(self.connect_with(options, events))
    }

    fn connect_with(
        &self,
        options: &ConnectOptions,
        events: Emitter<'_>,
    ) -> Result<Box<dyn Transport>> {
        // Settings are checked before anything touches the network.
        let tls = self
            .tls
            .as_ref()
            .map(|s| TlsParams::new(s, &self.target))
            .transpose()?;
        let deadline = Deadline::after(options.connect_timeout);
        let mut socket = match &self.proxy {
            None => tcp_connect(
                &self.target,
                deadline,
                &self.target.to_string(),
                options,
                events,
            )?,
            Some(proxy) => self.tunnel(proxy, deadline, options, events)?,
        };
        socket.set_deadline(deadline);
        let mut transport: Box<dyn Transport> = match tls {
            None => Box::new(socket),
            Some(params) => tls_handshake(socket, &params, &self.target.to_string(), events)?,
        };
        transport.socket_mut().set_deadline(Deadline::NONE);
        Ok(transport)
    }

    /// Connects to `proxy` and has it open a tunnel to the target.
    fn tunnel(
        &self,
        proxy: &ProxySettings,
        deadline: Deadline,
        options: &ConnectOptions,
        events: Emitter<'_>,
    ) -> Result<TimedSocket> {
        let address = proxy.endpoint()?;
        let mut socket = tcp_connect(&address, deadline, &proxy.describe(), options, events)?;
        socket.set_deadline(deadline);
        events.emit(Event::ProxyHandshake {
            kind: proxy.proxy_type,
            proxy: &address,
            target: &self.target,
            login: proxy.login.as_deref(),
        });
        let started = Instant::now();
        crate::proxy::open_tunnel(&mut socket, proxy, &self.target, deadline)?;
        events.emit(Event::ProxyTunnel {
            kind: proxy.proxy_type,
            proxy: &address,
            target: &self.target,
            elapsed: started.elapsed(),
        });
        Ok(socket)
    }
}

/// Runs the TLS handshake over `socket` (bounded by its deadlines), telling `events` that it
/// starts and what it negotiated: the last step of a TLS connect, and all of a STARTTLS upgrade.
pub(crate) fn tls_handshake(
    socket: TimedSocket,
    params: &TlsParams,
    peer: &str,
    events: Emitter<'_>,
) -> Result<Box<dyn Transport>> {
    events.emit(Event::TlsHandshake {
        backend: params.backend,
        server_name: &params.server_name,
        verify: params.verify,
    });
    let started = Instant::now();
    let transport = tls::handshake(socket, params, peer)?;
    if let Some(info) = events.is_on().then(|| transport.tls_info()).flatten() {
        events.emit(Event::TlsEstablished {
            info: &info,
            elapsed: started.elapsed(),
        });
    }
    Ok(transport)
}

/// Connects to the first of `addrs` that accepts, as [`Endpoint::connect`] connects to the
/// addresses of a name: racing them as [`ConnectOptions::attempt_delay`] says, within
/// [`ConnectOptions::connect_timeout`], with TCP_NODELAY and [`ConnectOptions::keepalive`] set on
/// the winner, every step told to [`ConnectOptions::events`]. For callers that resolve names
/// themselves. When every address fails, the error names each one and why.
pub fn connect_addresses(addrs: &[SocketAddr], options: &ConnectOptions) -> Result<TcpStream> {
    let events = Emitter::new(options.events.as_deref());
    let what = addrs
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let deadline = Deadline::after(options.connect_timeout);
    events.on_error(connect_any(addrs, deadline, &what, options, events))
}

/// Resolves `hop` and connects to the first of its addresses that accepts.
fn tcp_connect(
    hop: &HostPort,
    deadline: Deadline,
    what: &str,
    options: &ConnectOptions,
    events: Emitter<'_>,
) -> Result<TimedSocket> {
    let addrs = resolve(hop, deadline, what)?;
    if hop.ip().is_none() {
        events.emit(Event::Resolved {
            host: &hop.host,
            addrs: &addrs,
        });
    }
    connect_any(&addrs, deadline, what, options, events).map(TimedSocket::new)
}

/// Races `addrs` and configures the winner.
fn connect_any(
    addrs: &[SocketAddr],
    deadline: Deadline,
    what: &str,
    options: &ConnectOptions,
    events: Emitter<'_>,
) -> Result<TcpStream> {
    if addrs.is_empty() {
        return Err(Error::argument("addresses", "no address to connect to"));
    }
    let stagger = options.attempt_delay.filter(|d| !d.is_zero());
    let stream = race(addrs, deadline, stagger, what, events)?;
    configure(stream, options, what)
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

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::sync::Mutex;

    use super::*;

    /// The lines a sink was told, with times replaced by `N`.
    fn recorded(run: impl FnOnce(Emitter<'_>)) -> Vec<String> {
        let lines = Mutex::new(Vec::new());
        let sink = |e: &Event<'_>| {
            let line = e.to_string();
            let line = match line.rsplit_once(" in ") {
                Some((head, tail)) if tail.ends_with(" ms") => format!("{head} in N ms"),
                _ => line,
            };
            lines.lock().unwrap().push(line);
        };
        run(Emitter::new(Some(&sink)));
        lines.into_inner().unwrap()
    }

    #[test]
    fn addresses_are_tried_in_turn_and_each_outcome_is_told() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        // Bound without listening: connecting to it is refused for certain, and no one else
        // can take the port meanwhile.
        let refusing =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        refusing
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        let closed = refusing.local_addr().unwrap().as_socket().unwrap();
        let lines = recorded(|events| {
            let options = ConnectOptions::default();
            let deadline = Deadline::after(options.connect_timeout);
            connect_any(&[closed, open], deadline, "x", &options, events).unwrap();
        });
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[0], format!("connecting to {closed}"));
        assert!(
            lines[1].starts_with(&format!("cannot connect to {closed}: ")),
            "{lines:?}"
        );
        assert_eq!(
            lines[2..],
            [
                format!("connecting to {open}"),
                format!("connected to {open} in N ms")
            ]
        );
    }
}
