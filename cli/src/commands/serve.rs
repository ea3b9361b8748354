//! `tcplink serve`: a [`tcplink::Server`] as a foreground process, ncat `-l` style: what clients
//! send goes to stdout, stdin goes to the clients; or an echo server (`--echo`). Plain TCP, or
//! TLS with a given or generated certificate, optionally asking clients for theirs.
//!
//! Everything but the clients' data goes to stderr: first `listening on ADDR (...)`, then with a
//! generated certificate its public-key pin and fingerprint in `tcplink pin`'s form.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};

use tcplink::{
    AllowedClients, Error, Event, EventSink, Result, Server, ServerOptions, ServerTlsSettings,
};

use crate::args::ServeArgs;
use crate::output;
use crate::password;
use crate::server::cert::SelfSigned;
use crate::server::{forward_stdin, relay, Mode, Reporting};

/// Runs `tcplink serve` until the process is interrupted, or (without `--keep-open`) until the
/// first client has left.
pub fn run(args: &ServeArgs) -> Result<()> {
    let generated = args.tls.then(SelfSigned::generate).transpose()?;
    if let (Some(cert), Some(path)) = (&generated, &args.cert_out) {
        std::fs::write(path, &cert.pem).map_err(|e| {
            Error::argument(
                "--cert-out",
                format!("cannot write {}: {e}", path.display()),
            )
        })?;
    }
    let tls = match &generated {
        Some(cert) => Some(ServerTlsSettings {
            backend: args.tls_backend.clone(),
            ..with_client_ca(args, cert.settings())
        }),
        None => given_tls(args)?,
    };
    let server = Server::start(options(args, tls.as_ref())?)?;
    banner(args, &server, tls.is_some(), generated.as_ref());
    let mode = match (args.echo, args.hex) {
        (true, _) => Mode::Echo,
        (false, true) => Mode::Hex,
        (false, false) => Mode::Raw,
    };
    let server = Arc::new(server);
    let first_client = (mode != Mode::Echo).then(|| {
        let (tell, told) = mpsc::channel();
        let server = server.clone();
        std::thread::spawn(move || {
            if let Err(e) = forward_stdin(&server, told, std::io::stdin().lock()) {
                output::note(&e.to_string());
            }
        });
        tell
    });
    let stdout: &Mutex<dyn std::io::Write + Send> = &Mutex::new(std::io::stdout());
    let result = relay(&server, mode, !args.keep_open, stdout, first_client);
    server.stop();
    result
}

/// The server's options from the command line, TLS `tls` included.
fn options(args: &ServeArgs, tls: Option<&ServerTlsSettings>) -> Result<ServerOptions> {
    let listen = args
        .listen
        .iter()
        .map(|text| listen_address(text, args.port))
        .collect::<Result<Vec<_>>>()?;
    let mut options = ServerOptions::new(listen[0]);
    options.listen = listen;
    if let Some(tls) = tls {
        options = options.with_tls(tls)?;
    }
    options.max_connections = if args.keep_open {
        args.max_connections as usize
    } else {
        1
    };
    options.allowed_clients = AllowedClients::parse(&args.allow.join(",")).map_err(|e| {
        Error::argument(
            "--allow",
            e.message().trim_start_matches("allowed_clients: "),
        )
    })?;
    options.send_timeout = Some(args.send_timeout);
    // A client that half-closes is answered (its echo) before its connection is closed.
    options.keep_open_after_client_end = true;
    if args.verbose {
        options.accept = Arc::new(Reporting {
            inner: options.accept,
        });
        options.events = Some(Arc::new(report) as Arc<dyn EventSink>);
    }
    Ok(options)
}

/// The `--verbose` report of the server's events: who came, was refused or left, and errors
/// (not each read and send).
fn report(event: &Event<'_>) {
    if !matches!(
        event,
        Event::Listening { .. } | Event::ConnectionRead { .. } | Event::ConnectionSent { .. }
    ) {
        output::note(&event.to_string());
    }
}

/// One `--listen` value: `IP`, `IP:PORT` or `[IPv6]:PORT`; an address without a port (or with
/// port 0) takes `port`.
fn listen_address(text: &str, port: u16) -> Result<SocketAddr> {
    let text = text.trim();
    let mut addr = match text.parse::<SocketAddr>() {
        Ok(addr) => addr,
        Err(_) => {
            let ip = text.trim_start_matches('[').trim_end_matches(']');
            let ip: IpAddr = ip.parse().map_err(|_| {
                Error::argument(
                    "--listen",
                    format!("{text:?} is not an IP address, IP:PORT or [IPv6]:PORT"),
                )
            })?;
            SocketAddr::new(ip, 0)
        }
    };
    if addr.port() == 0 {
        addr.set_port(port);
    }
    Ok(addr)
}

/// TLS from `--tls-cert`/`--tls-key` or `--pfx`; `None` for plain TCP.
fn given_tls(args: &ServeArgs) -> Result<Option<ServerTlsSettings>> {
    if args.tls_cert.is_none() && args.pfx.is_none() {
        if args.client_ca.is_some() || args.tls_backend.is_some() {
            return Err(Error::argument(
                "--tls",
                "--client-ca and --tls-backend need TLS: give --tls, --tls-cert and --tls-key, or --pfx",
            ));
        }
        return Ok(None);
    }
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let pfx_password = match &args.pfx_pass {
        Some(source) => Some(password::read(source, |var| std::env::var(var).ok())?),
        None => None,
    };
    let settings = ServerTlsSettings {
        use_tls: true,
        cert_path: args.tls_cert.as_deref().map(path),
        key_path: args.tls_key.as_deref().map(path),
        pfx_path: args.pfx.as_deref().map(path),
        pfx_password,
        backend: args.tls_backend.clone(),
        ..ServerTlsSettings::default()
    };
    Ok(Some(with_client_ca(args, settings)))
}

/// `settings` with `--client-ca` and `--client-cert`.
fn with_client_ca(args: &ServeArgs, settings: ServerTlsSettings) -> ServerTlsSettings {
    ServerTlsSettings {
        client_ca_path: args
            .client_ca
            .as_deref()
            .map(|p| p.to_string_lossy().into_owned()),
        client_cert: args.client_ca.is_some().then(|| args.client_cert.clone()),
        ..settings
    }
}

/// Prints where the server listens and, for a generated certificate, what a client pins, to
/// stderr.
fn banner(args: &ServeArgs, server: &Server, tls: bool, generated: Option<&SelfSigned>) {
    let addrs: Vec<String> = server.local_addrs().iter().map(|a| a.to_string()).collect();
    let what = match (tls, args.echo) {
        (false, true) => "plain TCP, echo",
        (false, false) => "plain TCP",
        (true, true) => "TLS, echo",
        (true, false) => "TLS",
    };
    let mut lines = vec![format!("listening on {} ({what})", addrs.join(" and "))];
    if let Some(cert) = generated {
        lines.push(format!("{:<12} {}", "public key", cert.pin));
        lines.push(format!("{:<12} sha256 {}", "certificate", cert.fingerprint));
        let trust = match &args.cert_out {
            Some(path) => format!("--ca {}", path.display()),
            None => format!("--tls-insecure --pin {}", cert.pin),
        };
        lines.push(format!("try: tcplink connect {} {trust}", addrs[0]));
    }
    for line in lines {
        eprintln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_take_the_port_when_they_have_none() {
        let at = |text| listen_address(text, 7000).unwrap().to_string();
        assert_eq!(at("127.0.0.1"), "127.0.0.1:7000");
        assert_eq!(at("0.0.0.0:8000"), "0.0.0.0:8000");
        assert_eq!(at("::1"), "[::1]:7000");
        assert_eq!(at("[::1]"), "[::1]:7000");
        assert_eq!(at("[::]:0"), "[::]:7000");
        let err = listen_address("localhost", 1).unwrap_err();
        assert!(err.message().starts_with("--listen: "), "{err}");
    }
}
