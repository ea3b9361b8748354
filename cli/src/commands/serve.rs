//! `tcplink serve --echo [--tls]`: the echo server as a foreground process.

use std::net::SocketAddr;

use tcplink::{Error, Result};

use crate::args::ServeArgs;
use crate::server::cert::SelfSigned;
use crate::server::EchoServer;

/// Runs `tcplink serve` until the process is interrupted. The first line on stdout names the
/// address (`listening on 127.0.0.1:PORT ...`); with `--tls` the second gives the certificate's
/// SHA-256 fingerprint.
pub fn run(args: &ServeArgs) -> Result<()> {
    let cert = args.tls.then(SelfSigned::generate).transpose()?;
    if let (Some(cert), Some(path)) = (&cert, &args.cert_out) {
        std::fs::write(path, &cert.pem).map_err(|e| {
            Error::argument(
                "--cert-out",
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
    }
    let tls = cert.as_ref().map(SelfSigned::server_config).transpose()?;
    let server = EchoServer::bind(SocketAddr::new(args.bind, args.port), tls, true)?;
    let addr = server.local_addr()?;
    match &cert {
        None => println!("listening on {addr} (plain TCP, echo)"),
        Some(cert) => {
            println!("listening on {addr} (TLS, echo)");
            println!("certificate SHA-256 fingerprint {}", cert.fingerprint());
            match &args.cert_out {
                Some(path) => println!(
                    "try: tcplink request --address {addr} --data hi --ca {}",
                    path.display()
                ),
                None => println!("try: tcplink request --address {addr} --data hi --tls-insecure"),
            }
        }
    }
    server.run()
}
