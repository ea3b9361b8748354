//! `tcplink demo`: echo servers ([`tcplink::Server`]) in this process on free loopback ports,
//! and one request to them over plain TCP and over TLS with every compiled backend, through the
//! same code as `tcplink request`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tcplink::{
    Backend, ConnectOptions, Endpoint, Error, HostPort, ReadLimits, Result, Server, ServerOptions,
    TlsSettings,
};

use crate::commands::request::exchange;
use crate::input::Payload;
use crate::output::describe_tls;
use crate::server::cert::SelfSigned;
use crate::server::{relay, Mode};

/// Runs the demo; fails with the first failed request's error.
pub fn run() -> Result<()> {
    let cert = SelfSigned::generate()?;
    let ca_path = cert.cert_path().to_string_lossy().into_owned();
    let plain = start(None)?;
    // Serving TLS needs a compiled backend; without one the demo is plain TCP only.
    let secure = match Backend::default_compiled() {
        Some(_) => start(Some(&cert))?,
        None => plain,
    };
    if secure == plain {
        println!("echo server: {plain} (plain TCP)");
    } else {
        println!("echo servers: {plain} (plain TCP), {secure} (TLS)");
    }
    println!(
        "certificate: self-signed for localhost, 127.0.0.1, ::1; SHA-256 {}",
        cert.fingerprint
    );
    println!();

    let mut cases = vec![("plain TCP".to_string(), endpoint(plain, None))];
    for backend in Backend::compiled() {
        let settings = TlsSettings {
            use_tls: true,
            ca_cert_path: Some(ca_path.clone()),
            backend: Some(backend.name().to_string()),
            ..TlsSettings::default()
        };
        cases.push((
            format!("TLS via {backend}"),
            endpoint(secure, Some(settings)),
        ));
    }
    let mut first_error = None;
    for (label, endpoint) in &cases {
        match round_trip(endpoint, label) {
            Ok(()) => {}
            Err(e) => {
                println!("{label:<20} FAILED: {e}");
                first_error.get_or_insert(e);
            }
        }
    }
    println!();
    match Backend::default_compiled() {
        None => println!(
            "this build has no TLS backend; rebuild with --features rustls, openssl or native-tls"
        ),
        Some(backend) => {
            let unverified = TlsSettings {
                use_tls: true,
                ..TlsSettings::default()
            };
            match round_trip(
                &endpoint(secure, Some(unverified)),
                &format!("{backend} without --ca"),
            ) {
                Err(e) => println!(
                    "without the certificate as CA the server is rejected, as it should be:\n  {e}"
                ),
                Ok(()) => {
                    let e = Error::new(
                        tcplink::ErrorKind::Tls,
                        "an unknown self-signed certificate was accepted",
                    );
                    println!("{e}");
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Starts an echo server on a free loopback port for the life of the process; TLS with the
/// first compiled backend when `cert` is given.
fn start(cert: Option<&SelfSigned>) -> Result<SocketAddr> {
    let mut options = ServerOptions::new(SocketAddr::from(([127, 0, 0, 1], 0)));
    options.keep_open_after_client_end = true;
    if let Some(cert) = cert {
        options = options.with_tls(&cert.settings())?;
    }
    let server = Arc::new(Server::start(options)?);
    let addr = server.local_addr();
    std::thread::spawn(move || {
        let nowhere: &Mutex<dyn std::io::Write + Send> = &Mutex::new(std::io::sink());
        relay(&server, Mode::Echo, false, nowhere, None)
    });
    Ok(addr)
}

fn endpoint(addr: SocketAddr, tls: Option<TlsSettings>) -> Endpoint {
    Endpoint {
        target: HostPort {
            host: addr.ip().to_string(),
            port: addr.port(),
        },
        tls,
        proxy: None,
    }
}

/// Sends one line and prints the answer with the TLS parameters.
fn round_trip(endpoint: &Endpoint, label: &str) -> Result<()> {
    let payload = Payload {
        bytes: format!("hello over {label}\n").into_bytes(),
        from_stream: false,
    };
    let limits = ReadLimits {
        max_size: 0,
        marker: b"\n",
        idle_timeout: Some(Duration::from_secs(5)),
        timeout: None,
    };
    let mut answer = Vec::new();
    let reply = exchange(
        endpoint,
        &ConnectOptions::default(),
        None,
        &payload,
        &limits,
        false,
        &mut answer,
    )?;
    println!(
        "{label:<20} sent {:?}, answer {:?} (read ended on {})",
        String::from_utf8_lossy(&payload.bytes),
        String::from_utf8_lossy(&answer),
        reply.answer.end.as_str()
    );
    if let Some(info) = reply.tls {
        println!("{:<20} {}", "", describe_tls(&info));
    }
    Ok(())
}
