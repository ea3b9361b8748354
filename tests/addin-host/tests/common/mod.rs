//! Shared fixtures: the loaded add-in, real servers (socat, openssl s_server, small in-test
//! servers for faults), certificates made at test time, and the memory check every test ends
//! with.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use addin_host::{library_path, AddinLibrary, AddinObject, Value};

/// The add-in library, loaded once per test binary.
pub fn library() -> &'static AddinLibrary {
    static LIBRARY: OnceLock<AddinLibrary> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let path = library_path();
        AddinLibrary::load(&path).unwrap_or_else(|e| {
            panic!(
                "{e}\nbuild the add-in first (cargo build -p tcplink-addin) or set TCPLINK_ADDIN"
            )
        })
    })
}

/// A fresh `TcpClient` object.
pub fn client() -> AddinObject {
    library().create("TcpClient").expect("create TcpClient")
}

/// Destroys `obj` and asserts that every allocation it handed to the host was freed once.
pub fn finish(obj: AddinObject) {
    let report = obj.destroy();
    assert!(report.is_balanced(), "memory not balanced: {report:?}");
}

/// Calls a method as a function and returns the value, asserting the call itself succeeded.
pub fn call(obj: &AddinObject, name: &str, args: &[Value]) -> Value {
    let returned = obj
        .call(name, args)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        returned.ok,
        "{name} returned false (an exception): {:?}",
        obj.take_errors()
    );
    returned.value
}

/// The last error as JSON (`Value::Null` when there is none).
pub fn last_error(obj: &AddinObject) -> serde_json::Value {
    match call(obj, "GetLastError", &[]) {
        Value::Str(s) if s.is_empty() => serde_json::Value::Null,
        Value::Str(s) => {
            serde_json::from_str(&s).unwrap_or_else(|e| panic!("bad error JSON {s:?}: {e}"))
        }
        other => panic!("GetLastError returned {other:?}"),
    }
}

/// The kind of the last error, asserting there is one with a message.
pub fn error_kind(obj: &AddinObject) -> String {
    let error = last_error(obj);
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "no message in {error}"
    );
    error["kind"]
        .as_str()
        .unwrap_or_else(|| panic!("no kind in {error}"))
        .to_string()
}

/// The last error's message.
pub fn error_message(obj: &AddinObject) -> String {
    last_error(obj)["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A string value.
pub fn s(text: &str) -> Value {
    Value::str(text)
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, child: &mut Child) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited early: {status}");
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    panic!("the server did not listen on {port}");
}

/// A server process, killed when dropped.
pub struct Server {
    child: Child,
    /// Its address.
    pub addr: SocketAddr,
}

impl Server {
    fn spawn(program: &str, args: &[String], port: u16) -> Server {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {program} (install it): {e}"));
        wait_for_port(port, &mut child);
        Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    /// `host:port`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `socat` echoing every connection back (`EXEC:cat`).
pub fn socat_echo() -> Server {
    let port = free_port();
    let listen = format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork");
    Server::spawn("socat", &[listen, "EXEC:cat".into()], port)
}

/// A certificate and key made at test time, written to a temporary directory.
pub struct Certs {
    dir: tempfile::TempDir,
    /// The server's certificate (PEM).
    pub cert: PathBuf,
    /// The server's key (PEM).
    pub key: PathBuf,
    /// The CA that signed it (PEM); for a self-signed certificate, the certificate itself.
    pub ca: PathBuf,
}

fn write_certs(cert: &str, key: &str, ca: &str) -> Certs {
    let dir = tempfile::tempdir().unwrap();
    let paths = ["cert.pem", "key.pem", "ca.pem"].map(|n| dir.path().join(n));
    for (path, pem) in paths.iter().zip([cert, key, ca]) {
        std::fs::write(path, pem).unwrap();
    }
    let [cert, key, ca] = paths;
    Certs { dir, cert, key, ca }
}

/// A self-signed certificate for `localhost` and 127.0.0.1.
pub fn self_signed() -> Certs {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(names).unwrap();
    write_certs(&cert.pem(), &signing_key.serialize_pem(), &cert.pem())
}

/// A certificate for `localhost` and 127.0.0.1 signed by a test CA.
pub fn ca_signed() -> Certs {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "tcplink test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &issuer).unwrap();
    write_certs(&cert.pem(), &key.serialize_pem(), &ca_cert.pem())
}

/// `openssl s_server -rev`: every line comes back reversed, over TLS with `certs`.
pub fn openssl_rev(certs: &Certs) -> Server {
    let port = free_port();
    let args = [
        "s_server".to_string(),
        "-rev".into(),
        "-quiet".into(),
        "-accept".into(),
        format!("127.0.0.1:{port}"),
        "-cert".into(),
        certs.cert.display().to_string(),
        "-key".into(),
        certs.key.display().to_string(),
    ];
    let _ = &certs.dir;
    Server::spawn("openssl", &args, port)
}

/// A one-shot in-test server: accepts connections and runs `serve` on each, in a thread.
pub fn serve(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let serve = std::sync::Arc::new(serve);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let serve = serve.clone();
            thread::spawn(move || serve(stream));
        }
    });
    addr
}

/// A server that writes `data` to each connection and closes it.
pub fn send_and_close(data: Vec<u8>) -> SocketAddr {
    serve(move |mut stream| {
        let _ = stream.write_all(&data);
    })
}

/// Reads from `stream` until the peer closes it; returns what arrived.
pub fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let _ = stream.read_to_end(&mut all);
    all
}
