//! Shared fixtures: the loaded add-in, real servers (socat, openssl s_server, small in-test
//! servers for faults), certificates made at test time, and the memory check every test ends
//! with.

#![allow(dead_code)]

#[path = "../../../common/mod.rs"]
mod fixtures;
// Each test binary uses a different part of the fixtures.
#[allow(unused_imports)]
pub use fixtures::{
    count_until_eof_server, drain as read_to_end, fault_server, free_port, microsocks,
    openssl_fingerprint, openssl_pins, pkcs12_export, pki, s_server, s_server_verifying_clients,
    slow_line_server, socat_echo, starttls_server, GoAhead, Peer, SMTP_SHORT,
};

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::OnceLock;

#[allow(unused_imports)]
pub use addin_host::checks::{call, finish, last_error, s};
use addin_host::{library_path, AddinLibrary, AddinObject, HostProfile};

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

/// A fresh `TcpClient` object, created as the host `$TCPLINK_HOST_PROFILE` names (1C when
/// unset) creates it.
pub fn client() -> AddinObject {
    library()
        .create_as("TcpClient", HostProfile::from_env())
        .expect("create TcpClient")
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
