//! Shared fixtures: the loaded add-in, real servers (socat, openssl s_server, small in-test
//! servers for faults), certificates made at test time, and the memory check every test ends
//! with.

#![allow(dead_code)]

#[path = "../../../common/mod.rs"]
mod fixtures;
// Each test binary uses a different part of the fixtures.
#[allow(unused_imports)]
pub use fixtures::{
    drain as read_to_end, fault_server, free_port, microsocks, pki, s_server, socat_echo, Peer,
};

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::OnceLock;

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

/// A certificate and key for a TLS server, with the CA that makes it trusted.
pub struct Certs {
    /// The server's certificate (PEM).
    pub cert: PathBuf,
    /// The server's key (PEM).
    pub key: PathBuf,
    /// The CA that signed it (PEM); for a self-signed certificate, the certificate itself.
    pub ca: PathBuf,
}

/// A self-signed certificate for `localhost` and 127.0.0.1.
pub fn self_signed() -> Certs {
    let files = &pki().self_signed;
    Certs {
        cert: files.cert.clone(),
        key: files.key.clone(),
        ca: files.cert.clone(),
    }
}

/// A certificate for `localhost` and 127.0.0.1 signed by the test CA.
pub fn ca_signed() -> Certs {
    let pki = pki();
    Certs {
        cert: pki.server.cert.clone(),
        key: pki.server.key.clone(),
        ca: pki.ca.clone(),
    }
}

/// `openssl s_server -rev`: every line comes back reversed, over TLS with `certs`.
pub fn openssl_rev(certs: &Certs) -> Peer {
    s_server(&certs.cert, &certs.key, &[])
}

/// A one-shot in-test server: accepts connections and runs `serve` on each, in a thread.
pub fn serve(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], fault_server(serve)))
}

/// A server that writes `data` to each connection and closes it.
pub fn send_and_close(data: Vec<u8>) -> SocketAddr {
    serve(move |mut stream| {
        let _ = stream.write_all(&data);
    })
}
