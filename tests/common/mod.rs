//! Shared test fixtures: real peer processes (socat, openssl s_server, proxies), small fault
//! servers, and certificates generated at test time.
#![allow(dead_code)]

mod openssl_cli;
// Only the tests that make certificates with the openssl command line use these.
#[allow(unused_imports)]
pub use openssl_cli::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use rcgen::{
    CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair, SanType,
};
use tcplink::{ConnectOptions, Endpoint, HostPort, ProxySettings, ReadLimits, TlsSettings};

/// A peer process, killed when dropped.
pub struct Peer {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    name: String,
}

impl Peer {
    /// `127.0.0.1:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `program` with the arguments `args(port)` for a free port and waits until it listens.
///
/// A free port can be taken by someone else between the check and the program's bind (tests run
/// in parallel); then the program exits, and is started again on another port.
pub fn spawn_peer(program: &str, args: impl Fn(u16) -> Vec<String>) -> Peer {
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new(program)
            .args(args(port))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program} ({e}); ci/setup installs it"));
        let mut peer = Peer {
            child,
            port,
            name: program.to_string(),
        };
        if wait_until_listening(&mut peer) {
            return peer;
        }
    }
    panic!("{program} kept failing to listen on a free port");
}

/// Whether `peer` listens on its port: the kernel lists a listening socket on that port that is
/// one of the peer's own file descriptors. No probe connection is made (it could reach another
/// test's listener, connect to itself, or use up a one-connection server).
fn wait_until_listening(peer: &mut Peer) -> bool {
    let start = Instant::now();
    loop {
        if owns_listener(peer.child.id(), peer.port) {
            return true;
        }
        if peer.child.try_wait().ok().flatten().is_some() {
            return false;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} did not listen on {}",
            peer.name,
            peer.port
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Whether process `pid` or one of its descendants (servers that fork workers) holds a socket
/// listening on `port` (IPv4), from `/proc`.
fn owns_listener(pid: u32, port: u16) -> bool {
    let sockets: Vec<String> = family(pid)
        .iter()
        .filter_map(|pid| std::fs::read_dir(format!("/proc/{pid}/fd")).ok())
        .flatten()
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy();
            let inode = target.strip_prefix("socket:[")?.strip_suffix(']')?;
            Some(inode.to_string())
        })
        .collect();
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let listening_on = format!(":{port:04X}");
    // Columns: sl, local_address, rem_address, st (0A: LISTEN), ..., inode (the tenth).
    table.lines().skip(1).any(|line| {
        let columns: Vec<&str> = line.split_whitespace().collect();
        columns.len() > 9
            && columns[1].ends_with(&listening_on)
            && columns[3] == "0A"
            && sockets.iter().any(|inode| inode == columns[9])
    })
}

/// `pid` and its descendants, from `/proc/<pid>/task/<tid>/children`.
fn family(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut next = 0;
    while next < all.len() {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", all[next]));
        for task in tasks.into_iter().flatten().flatten() {
            let children =
                std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            all.extend(
                children
                    .split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
        next += 1;
    }
    all
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// An echo server: socat with `cat` behind it.
pub fn socat_echo() -> Peer {
    spawn_peer("socat", |port| {
        strings(&[
            &format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"),
            "EXEC:cat",
        ])
    })
}

/// `openssl s_server -rev` (answers each line reversed) with the given certificate and extras.
pub fn s_server(cert: &Path, key: &Path, extra: &[&str]) -> Peer {
    spawn_peer("openssl", |port| {
        let mut args = strings(&["s_server", "-quiet", "-rev", "-accept"]);
        args.push(format!("127.0.0.1:{port}"));
        args.extend(strings(&[
            "-cert",
            cert.to_str().unwrap(),
            "-key",
            key.to_str().unwrap(),
        ]));
        args.extend(strings(extra));
        args
    })
}

/// `openssl s_server -rev` with the test CA's server certificate that requires a client
/// certificate issued by the test CA (`pki().client`) and refuses any it cannot verify.
pub fn s_server_verifying_clients() -> Peer {
    let ca = pki().ca.to_string_lossy().into_owned();
    s_server(
        &pki().server.cert,
        &pki().server.key,
        &["-Verify", "1", "-verify_return_error", "-CAfile", &ca],
    )
}

/// An in-process server that runs `handler` on each accepted connection, on its own thread.
pub fn fault_server<F>(handler: F) -> u16
where
    F: Fn(TcpStream) + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handler = std::sync::Arc::new(handler);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handler = handler.clone();
            thread::spawn(move || handler(stream));
        }
    });
    port
}

/// A device that takes its time: reads one line per connection, waits `delay`, and answers
/// `<tag>:<line>`. Returns its port.
pub fn slow_line_server(delay: Duration, tag: String) -> u16 {
    fault_server(move |stream| {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        if reader.read_line(&mut line).is_ok() {
            thread::sleep(delay);
            let _ = reader
                .get_mut()
                .write_all(format!("{tag}:{line}").as_bytes());
        }
    })
}

/// Writes `data` one byte at a time with `gap` between bytes.
pub fn trickle(stream: &mut TcpStream, data: &[u8], gap: Duration) {
    stream.set_nodelay(true).unwrap();
    for b in data {
        if stream.write_all(&[*b]).is_err() {
            return;
        }
        thread::sleep(gap);
    }
}

/// A sink that keeps each event's line (times replaced by `N`) and its `Debug` form.
#[derive(Default)]
pub struct Recorder {
    lines: std::sync::Mutex<Vec<String>>,
    debug: std::sync::Mutex<Vec<String>>,
}

impl tcplink::EventSink for Recorder {
    fn event(&self, event: &tcplink::Event<'_>) {
        let line = event.to_string();
        let line = match line.rsplit_once(" in ") {
            Some((head, tail)) if tail.ends_with(" ms") => format!("{head} in N ms"),
            _ => line,
        };
        self.lines.lock().unwrap().push(line);
        self.debug.lock().unwrap().push(format!("{event:?}"));
    }
}

impl Recorder {
    /// Each event's line, in order.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Every line and `Debug` form, for checking what never appears.
    pub fn everything(&self) -> String {
        let mut all = self.lines();
        all.extend(self.debug.lock().unwrap().iter().cloned());
        all.join("\n")
    }
}

/// A socket bound to a loopback port without listening: connecting to it is refused for certain,
/// and nobody else can take the port while it lives.
pub fn refusing(ip: std::net::IpAddr) -> (socket2::Socket, SocketAddr) {
    let addr = SocketAddr::new(ip, 0);
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )
    .unwrap();
    socket.bind(&addr.into()).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    (socket, addr)
}

/// A loopback address that never answers a connect, as a black-holed route looks: a listener
/// whose accept queue (backlog 0) is full of connections nobody accepts, so the kernel drops
/// further SYNs. Made sure of: a plain connect to it must hang (time out), or this panics.
pub struct BlackHole {
    _listener: socket2::Socket,
    _queued: Vec<TcpStream>,
    /// Its address.
    pub addr: SocketAddr,
}

/// A [`BlackHole`] on `ip`.
pub fn black_hole(ip: std::net::IpAddr) -> BlackHole {
    let any = SocketAddr::new(ip, 0);
    let listener = socket2::Socket::new(
        socket2::Domain::for_address(any),
        socket2::Type::STREAM,
        None,
    )
    .unwrap();
    listener.bind(&any.into()).unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let probe = Duration::from_millis(300);
    let mut queued = Vec::new();
    while let Ok(stream) = TcpStream::connect_timeout(&addr, probe) {
        queued.push(stream);
        assert!(queued.len() < 64, "the accept queue of {addr} never fills");
    }
    let started = Instant::now();
    let hangs = TcpStream::connect_timeout(&addr, probe);
    assert!(
        matches!(&hangs, Err(e) if e.kind() == std::io::ErrorKind::TimedOut)
            && started.elapsed() >= probe,
        "a connect to the black hole {addr} does not hang: {hangs:?}"
    );
    BlackHole {
        _listener: listener,
        _queued: queued,
        addr,
    }
}

/// How many TCP sockets of this machine are in SYN_SENT towards `addr` (`/proc/net/tcp` and
/// `tcp6`): a connect attempt to a black hole that was not closed. `None` without `/proc`.
pub fn syn_sent_to(addr: SocketAddr) -> Option<usize> {
    let port = format!(":{:04X}", addr.port());
    let mut count = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).ok()?;
        count += text
            .lines()
            .skip(1)
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .filter(|fields| fields.len() > 3 && fields[2].ends_with(&port) && fields[3] == "02")
            .count();
    }
    Some(count)
}

/// Reads until the peer closes, returning what arrived.
pub fn drain(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let _ = stream.read_to_end(&mut all);
    all
}

/// The plain-text part of a STARTTLS protocol: the server's greeting, the client's request to
/// start TLS, and the server's go-ahead.
#[derive(Debug, Clone, Copy)]
pub struct StartTlsScript {
    pub greeting: &'static str,
    pub request: &'static str,
    pub go_ahead: &'static str,
}

/// SMTP's upgrade without the EHLO (RFC 3207).
pub const SMTP_SHORT: StartTlsScript = StartTlsScript {
    greeting: "220 ready\r\n",
    request: "STARTTLS\r\n",
    go_ahead: "220 go ahead\r\n",
};

/// IMAP's upgrade (RFC 9051), as `tcplink --starttls imap` asks for it.
pub const IMAP: StartTlsScript = StartTlsScript {
    greeting: "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n",
    request: "a1 STARTTLS\r\n",
    go_ahead: "a1 OK begin TLS now\r\n",
};

/// POP3's upgrade (RFC 2595).
pub const POP3: StartTlsScript = StartTlsScript {
    greeting: "+OK POP3 ready\r\n",
    request: "STLS\r\n",
    go_ahead: "+OK begin TLS\r\n",
};

/// What a STARTTLS test server does after its go-ahead.
#[derive(Debug, Clone, Copy)]
pub enum GoAhead {
    /// Relays the socket to the TLS server on this port.
    Relay(u16),
    /// Says more plain text in the same write as the go-ahead (an injection).
    Injected,
    /// Says nothing more.
    Silent,
}

/// A server speaking `script` in plain text, then doing what `go_ahead` says.
pub fn starttls_server(script: StartTlsScript, go_ahead: GoAhead) -> u16 {
    fault_server(move |mut stream| {
        stream.write_all(script.greeting.as_bytes()).unwrap();
        let mut line = String::new();
        BufReader::new(stream.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, script.request);
        match go_ahead {
            GoAhead::Relay(tls_port) => {
                stream.write_all(script.go_ahead.as_bytes()).unwrap();
                relay(stream, TcpStream::connect(("127.0.0.1", tls_port)).unwrap());
            }
            GoAhead::Injected => {
                let injected = format!("{}250 INJECTED\r\n", script.go_ahead);
                stream.write_all(injected.as_bytes()).unwrap();
                drain(&mut stream);
            }
            GoAhead::Silent => {
                stream.write_all(script.go_ahead.as_bytes()).unwrap();
                drain(&mut stream);
            }
        }
    })
}

/// A server that reads until EOF and then answers how many bytes it got and closes.
pub fn count_until_eof_server() -> u16 {
    fault_server(|mut stream| {
        let got = drain(&mut stream);
        let _ = writeln!(stream, "got {} bytes", got.len());
    })
}

/// A certificate and its key as files.
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The certificates the tests use, generated once per test binary.
pub struct Pki {
    _dir: tempfile::TempDir,
    /// The CA that signs `server`, `expired`, `wrong_name` and `client`.
    pub ca: PathBuf,
    /// `localhost` and `127.0.0.1`, signed by the CA.
    pub server: CertFiles,
    /// Self-signed, for `localhost` and `127.0.0.1`.
    pub self_signed: CertFiles,
    /// Signed by the CA for `other.example` only.
    pub wrong_name: CertFiles,
    /// Signed by the CA, valid only in 2020.
    pub expired: CertFiles,
    /// A client certificate signed by the CA.
    pub client: CertFiles,
    /// `localhost` only (no IP address), signed by the CA.
    pub localhost_only: CertFiles,
}

fn params(cn: &str, sans: &[&str]) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.subject_alt_names = sans
        .iter()
        .map(|s| match s.parse() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*s).try_into().unwrap()),
        })
        .collect();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "tcplink tests");
    p.distinguished_name = dn;
    p
}

fn write_pair(dir: &Path, name: &str, cert_pem: String, key: &KeyPair) -> CertFiles {
    let files = CertFiles {
        cert: dir.join(format!("{name}.pem")),
        key: dir.join(format!("{name}.key")),
    };
    std::fs::write(&files.cert, cert_pem).unwrap();
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    files
}

/// The shared certificates.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut ca_params = params("tcplink test CA", &[]);
        ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca.pem()).unwrap();
        let signed = |name: &str, p: CertificateParams| {
            let key = KeyPair::generate().unwrap();
            let cert = p.signed_by(&key, &ca).unwrap();
            write_pair(dir.path(), name, cert.pem(), &key)
        };
        let server = signed("server", params("localhost", &["localhost", "127.0.0.1"]));
        let wrong_name = signed("wrong-name", params("other.example", &["other.example"]));
        let mut old = params("localhost", &["localhost", "127.0.0.1"]);
        old.not_before = rcgen::date_time_ymd(2020, 1, 1);
        old.not_after = rcgen::date_time_ymd(2020, 12, 31);
        let expired = signed("expired", old);
        let client = signed("client", params("tcplink test client", &[]));
        let localhost_only = signed("localhost-only", params("localhost", &["localhost"]));
        let self_key = KeyPair::generate().unwrap();
        let self_cert = params("localhost", &["localhost", "127.0.0.1"])
            .self_signed(&self_key)
            .unwrap();
        let self_signed = write_pair(dir.path(), "self-signed", self_cert.pem(), &self_key);
        Pki {
            _dir: dir,
            ca: ca_path,
            server,
            self_signed,
            wrong_name,
            expired,
            client,
            localhost_only,
        }
    })
}

/// TLS settings for `backend` with verification on and nothing else set.
pub fn tls(backend: tcplink::Backend) -> TlsSettings {
    TlsSettings {
        use_tls: true,
        backend: Some(backend.name().to_string()),
        ..Default::default()
    }
}

/// TLS settings for `backend` trusting the test CA.
pub fn tls_with_ca(backend: tcplink::Backend) -> TlsSettings {
    TlsSettings {
        ca_cert_path: Some(pki().ca.to_string_lossy().into_owned()),
        ..tls(backend)
    }
}

/// An endpoint for `address` with optional TLS and proxy settings.
pub fn endpoint(address: &str, tls: Option<TlsSettings>, proxy: Option<ProxySettings>) -> Endpoint {
    Endpoint {
        target: HostPort::parse(address, "Address").unwrap(),
        tls,
        proxy,
    }
}

/// Read limits: `max_size` (0: none), `marker` (empty: none), an idle timeout in milliseconds.
pub fn limits(max_size: usize, marker: &[u8], timeout_ms: u64) -> ReadLimits<'_> {
    ReadLimits {
        max_size,
        marker,
        idle_timeout: Some(Duration::from_millis(timeout_ms)),
        timeout: None,
    }
}

/// Connection options with a short connect timeout.
pub fn quick() -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Some(Duration::from_secs(5)),
        ..ConnectOptions::default()
    }
}

/// microsocks, a SOCKS5 proxy; with `auth` it requires that user and password.
pub fn microsocks(auth: Option<(&str, &str)>) -> Peer {
    spawn_peer("microsocks", |port| {
        let mut args = strings(&["-i", "127.0.0.1", "-p", &port.to_string()]);
        if let Some((user, pass)) = auth {
            args.extend(strings(&["-u", user, "-P", pass]));
        }
        args
    })
}

/// Dante's `danted`, a SOCKS4/SOCKS5 proxy without authentication.
pub fn danted(dir: &Path) -> Peer {
    spawn_peer("danted", |port| {
        let conf = dir.join(format!("danted-{port}.conf"));
        std::fs::write(
            &conf,
            format!(
                "logoutput: stderr\ninternal: 127.0.0.1 port = {port}\nexternal: 127.0.0.1\n\
                 clientmethod: none\nsocksmethod: none\nuser.privileged: root\nuser.unprivileged: nobody\n\
                 client pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 }}\n\
                 socks pass {{ from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }}\n"
            ),
        )
        .unwrap();
        strings(&["-f", conf.to_str().unwrap(), "-N", "1"])
    })
}

/// tinyproxy, an HTTP proxy that allows CONNECT to any port; with `auth`, Basic auth is required.
pub fn tinyproxy(dir: &Path, auth: Option<(&str, &str)>) -> Peer {
    spawn_peer("tinyproxy", |port| {
        let conf = dir.join(format!("tinyproxy-{port}.conf"));
        let mut text = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 20\nAllow 127.0.0.1\nUser nobody\nGroup nogroup\n"
        );
        if let Some((user, pass)) = auth {
            text.push_str(&format!("BasicAuth {user} {pass}\n"));
        }
        std::fs::write(&conf, text).unwrap();
        strings(&["-d", "-c", conf.to_str().unwrap()])
    })
}

/// What a [`socks4a_proxy`] was asked for: the user id and the host name (or IP) of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socks4Request {
    pub user_id: String,
    pub host: String,
    pub port: u16,
}

/// A small SOCKS4/4a proxy (Debian packages none that speaks 4a): it reports each request on the
/// returned channel, connects to the target and relays bytes both ways.
pub fn socks4a_proxy() -> (u16, std::sync::mpsc::Receiver<Socks4Request>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let port = fault_server(move |mut client| {
        let mut head = [0u8; 8];
        if client.read_exact(&mut head).is_err() || head[0] != 4 || head[1] != 1 {
            return;
        }
        let port = u16::from_be_bytes([head[2], head[3]]);
        let user_id = read_cstr(&mut client);
        let host = if head[4..7] == [0, 0, 0] && head[7] != 0 {
            read_cstr(&mut client)
        } else {
            std::net::Ipv4Addr::new(head[4], head[5], head[6], head[7]).to_string()
        };
        let _ = tx.lock().unwrap().send(Socks4Request {
            user_id,
            host: host.clone(),
            port,
        });
        match TcpStream::connect((host.as_str(), port)) {
            Ok(target) => {
                client.write_all(&[0, 0x5A, 0, 0, 0, 0, 0, 0]).unwrap();
                relay(client, target);
            }
            Err(_) => {
                let _ = client.write_all(&[0, 0x5B, 0, 0, 0, 0, 0, 0]);
            }
        }
    });
    (port, rx)
}

/// What a SOCKS5 client asked the proxy of [`socks5_proxy`] for.
#[derive(Debug, PartialEq, Eq)]
pub struct Socks5Request {
    /// The target as sent: a name (address type 3) or an IP address in text.
    pub host: String,
    /// Whether the target was sent as a name (remote DNS).
    pub by_name: bool,
    /// The target port.
    pub port: u16,
}

/// A small SOCKS5 proxy (no authentication) that reports each CONNECT request and relays it.
pub fn socks5_proxy() -> (u16, std::sync::mpsc::Receiver<Socks5Request>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let port = fault_server(move |mut client| {
        let mut greeting = [0u8; 2];
        if client.read_exact(&mut greeting).is_err() || greeting[0] != 5 {
            return;
        }
        let mut methods = vec![0u8; greeting[1].into()];
        if client.read_exact(&mut methods).is_err() || client.write_all(&[5, 0]).is_err() {
            return;
        }
        let mut head = [0u8; 4];
        if client.read_exact(&mut head).is_err() || head[..3] != [5, 1, 0] {
            return;
        }
        let host = match head[3] {
            1 => read_ip::<4>(&mut client),
            4 => read_ip::<16>(&mut client),
            3 => {
                let mut len = [0u8];
                let _ = client.read_exact(&mut len);
                let mut name = vec![0u8; len[0].into()];
                let _ = client.read_exact(&mut name);
                String::from_utf8_lossy(&name).into_owned()
            }
            _ => return,
        };
        let mut port = [0u8; 2];
        if client.read_exact(&mut port).is_err() {
            return;
        }
        let port = u16::from_be_bytes(port);
        let _ = tx.lock().unwrap().send(Socks5Request {
            host: host.clone(),
            by_name: head[3] == 3,
            port,
        });
        match TcpStream::connect((host.as_str(), port)) {
            Ok(target) => {
                client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
                relay(client, target);
            }
            Err(_) => {
                let _ = client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]);
            }
        }
    });
    (port, rx)
}

/// An IPv4 (`N` = 4) or IPv6 (`N` = 16) address read from `s`, in text.
fn read_ip<const N: usize>(s: &mut TcpStream) -> String {
    let mut bytes = [0u8; N];
    let _ = s.read_exact(&mut bytes);
    match N {
        4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(&bytes[..]).unwrap()).to_string(),
        _ => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(&bytes[..]).unwrap()).to_string(),
    }
}

fn read_cstr(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut b = [0u8];
    while s.read_exact(&mut b).is_ok() && b[0] != 0 {
        out.push(b[0]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Copies bytes both ways between two streams until both directions end.
fn relay(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let up = thread::spawn(move || {
        let _ = std::io::copy(&mut a2, &mut b2);
        let _ = b2.shutdown(std::net::Shutdown::Write);
    });
    let (mut a, mut b) = (a, b);
    let _ = std::io::copy(&mut b, &mut a);
    let _ = a.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}

/// Why this machine cannot have an IPv6 loopback, if it says so explicitly: the environment
/// variable `TCPLINK_NO_IPV6` is set, the kernel has no IPv6, or IPv6 is disabled on `lo`.
/// `None` means `::1` must work, and a test that cannot use it fails.
pub fn ipv6_loopback_absent_because() -> Option<String> {
    if let Some(why) = std::env::var_os("TCPLINK_NO_IPV6") {
        return Some(format!("TCPLINK_NO_IPV6={}", why.to_string_lossy()));
    }
    if !Path::new("/proc/net/if_inet6").exists() {
        return Some("the kernel has no IPv6 (/proc/net/if_inet6 is missing)".into());
    }
    let disabled = std::fs::read_to_string("/proc/sys/net/ipv6/conf/lo/disable_ipv6")
        .is_ok_and(|v| v.trim() == "1");
    disabled.then(|| "IPv6 is disabled on lo (net.ipv6.conf.lo.disable_ipv6 = 1)".into())
}

/// Binds `[::1]:0`, failing the test unless [`ipv6_loopback_absent_because`] gives a reason,
/// which is printed; `None` then, and the caller skips.
pub fn ipv6_loopback_listener() -> Option<TcpListener> {
    if let Some(why) = ipv6_loopback_absent_because() {
        eprintln!("skipped: no IPv6 loopback here: {why}");
        return None;
    }
    Some(
        TcpListener::bind("[::1]:0")
            .expect("IPv6 loopback ::1 is missing on a machine that has IPv6"),
    )
}
