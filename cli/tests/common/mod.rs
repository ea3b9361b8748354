//! Shared fixtures for the CLI tests: the built binary, real peer processes (socat, openssl
//! s_server, microsocks, ncat), small in-test servers for failure cases, and certificates
//! generated at test time.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use rcgen::{CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair};

/// How long one run of the binary may take before the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// The exit codes the CLI documents.
pub mod code {
    pub const OK: i32 = 0;
    pub const IO: i32 = 1;
    pub const ARGUMENT: i32 = 2;
    pub const RESOLVE: i32 = 3;
    pub const CONNECT: i32 = 4;
    pub const TLS: i32 = 5;
    pub const PROXY: i32 = 6;
    pub const TIMEOUT: i32 = 7;
    pub const CLOSED: i32 = 8;
}

/// What one run of `tcplink` did.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: String,
    /// How long it took.
    pub elapsed: Duration,
}

impl Run {
    /// Stdout as text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts the exit code, showing stderr when it differs.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(self.code, code, "exit code; stderr: {}\nstdout: {}", self.stderr, self.out());
        self
    }
}

/// The binary under test.
pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tcplink"))
}

/// Runs `tcplink args` with `stdin` as its input.
pub fn run_with(args: &[&str], stdin: Stdio, input: Option<Vec<u8>>) -> Run {
    let start = Instant::now();
    let mut child = binary()
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tcplink");
    if let Some(input) = input {
        let mut pipe = child.stdin.take().unwrap();
        thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let stdout = collect(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            panic!("tcplink {args:?} ran longer than {RUN_LIMIT:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code().expect("exited normally"),
        stdout: stdout.join().unwrap(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
        elapsed: start.elapsed(),
    }
}

fn collect(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut all = Vec::new();
        let _ = pipe.read_to_end(&mut all);
        all
    })
}

/// Runs `tcplink args` with no input.
pub fn run(args: &[&str]) -> Run {
    run_with(args, Stdio::null(), None)
}

/// Runs `tcplink args` with `input` piped to its stdin (then closed).
pub fn run_piped(args: &[&str], input: &[u8]) -> Run {
    run_with(args, Stdio::piped(), Some(input.to_vec()))
}

/// A process that is killed when dropped.
pub struct Peer {
    pub child: Child,
    /// The port it listens on.
    pub port: u16,
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
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `program args`, which must listen on `port`, and waits until the port accepts.
pub fn spawn_peer(program: &str, args: &[String], port: u16) -> Peer {
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program} ({e}); .ci/run installs it"));
    let mut peer = Peer { child, port };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = peer.child.try_wait() {
            panic!("{program} exited with {status} before listening on {port}");
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{program} did not listen on {port}");
        thread::sleep(Duration::from_millis(20));
    }
    peer
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// An echo server: socat with `cat` behind it.
pub fn socat_echo() -> Peer {
    let port = free_port();
    let listen = format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork");
    spawn_peer("socat", &strings(&[&listen, "EXEC:cat"]), port)
}

/// `openssl s_server -rev` (answers each line reversed) with `cert` and `extra` options.
pub fn s_server(cert: &CertFiles, extra: &[&str]) -> Peer {
    let port = free_port();
    let mut args = strings(&["s_server", "-quiet", "-rev", "-accept"]);
    args.push(format!("127.0.0.1:{port}"));
    args.extend([
        "-cert".into(),
        path(&cert.cert).into(),
        "-key".into(),
        path(&cert.key).into(),
    ]);
    args.extend(strings(extra));
    spawn_peer("openssl", &args, port)
}

/// microsocks, a SOCKS5 server, requiring `user`/`password`.
pub fn microsocks(user: &str, password: &str) -> Peer {
    let port = free_port();
    let args = strings(&["-i", "127.0.0.1", "-p", &port.to_string(), "-u", user, "-P", password]);
    spawn_peer("microsocks", &args, port)
}

/// ncat as an HTTP CONNECT proxy.
pub fn ncat_http_proxy() -> Peer {
    let port = free_port();
    let args = strings(&["-l", "127.0.0.1", &port.to_string(), "--proxy-type", "http", "-k"]);
    spawn_peer("ncat", &args, port)
}

/// `tcplink serve args`, with the lines it printed before serving (up to the first that
/// names the address, plus `extra_lines` more).
pub fn serve(args: &[&str], extra_lines: usize) -> (Peer, Vec<String>) {
    let mut child = binary()
        .arg("serve")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tcplink serve");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = vec![read_line(&mut stdout)];
    for _ in 0..extra_lines {
        lines.push(read_line(&mut stdout));
    }
    let addr = lines[0]
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {:?}", lines[0]));
    let port = addr.rsplit_once(':').unwrap().1.parse().unwrap();
    // Keep reading so the server never blocks on a full pipe.
    thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    (Peer { child, port }, lines)
}

fn read_line(reader: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("read a line from tcplink serve");
    line.trim_end().to_string()
}

/// An in-test server that runs `handler` on each accepted connection, on its own thread.
pub fn tiny_server<F>(handler: F) -> u16
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

/// A server that accepts and then neither reads nor writes, for 30 s.
pub fn silent_server() -> u16 {
    tiny_server(|stream| {
        thread::sleep(Duration::from_secs(30));
        drop(stream);
    })
}

/// A path as UTF-8 text.
pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A certificate and its key as files.
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The certificates the tests use, generated once per test binary.
pub struct Pki {
    pub dir: tempfile::TempDir,
    /// The CA that signs `server`, `localhost_only` and `client`.
    pub ca: PathBuf,
    /// `localhost` and `127.0.0.1`, signed by the CA.
    pub server: CertFiles,
    /// `localhost` only (no IP address), signed by the CA.
    pub localhost_only: CertFiles,
    /// Self-signed, for `localhost` and `127.0.0.1`.
    pub self_signed: CertFiles,
    /// A client certificate signed by the CA.
    pub client: CertFiles,
}

fn params(cn: &str, sans: &[&str]) -> CertificateParams {
    let mut p = CertificateParams::new(strings(sans)).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "tcplink cli tests");
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
        let mut ca_params = params("tcplink cli test CA", &[]);
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
        let localhost_only = signed("localhost-only", params("localhost", &["localhost"]));
        let client = signed("client", params("tcplink test client", &[]));
        let self_key = KeyPair::generate().unwrap();
        let self_cert = params("localhost", &["localhost", "127.0.0.1"]).self_signed(&self_key).unwrap();
        let self_signed = write_pair(dir.path(), "self-signed", self_cert.pem(), &self_key);
        Pki { ca: ca_path, server, localhost_only, self_signed, client, dir }
    })
}
