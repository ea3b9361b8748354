//! Echo servers on 127.0.0.1 run in-process, so a check needs no outside tools (and works the
//! same in a Windows build under Wine): plain TCP, and TLS through rustls with a self-signed
//! certificate made at start.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// Echoes everything read from `stream` until the peer closes it.
fn echo(mut stream: impl Read + Write) {
    let mut buf = [0u8; 64 * 1024];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 || stream.write_all(&buf[..n]).is_err() || stream.flush().is_err() {
            break;
        }
    }
}

/// Accepts connections on a fresh port, one thread each, handing them to `serve`.
fn spawn(serve: impl Fn(std::net::TcpStream) + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an echo server");
    let addr = listener.local_addr().expect("echo server address");
    let serve = Arc::new(serve);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let serve = Arc::clone(&serve);
            thread::spawn(move || serve(stream));
        }
    });
    addr
}

/// Starts a TCP echo server; returns its address.
pub fn spawn_echo_server() -> SocketAddr {
    spawn(echo)
}

/// Starts a TLS echo server with a self-signed certificate for `localhost` and 127.0.0.1
/// (clients must accept invalid certificates); returns its address.
pub fn spawn_tls_echo_server() -> SocketAddr {
    let certified = rcgen::generate_simple_self_signed(["localhost".into(), "127.0.0.1".into()])
        .expect("a self-signed certificate");
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("a server configuration");
    let config = Arc::new(config);
    spawn(move |tcp| {
        if let Ok(tls) = ServerConnection::new(Arc::clone(&config)) {
            echo(StreamOwned::new(tls, tcp));
        }
    })
}
