//! Name resolution bounded by a [`Deadline`].
//!
//! The system resolver blocks with no time limit of its own, so a lookup runs on a helper thread
//! and the caller waits for it only until the deadline; a lookup that outlives it finishes (or
//! not) on its own without holding the caller.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;

use tcplink_transport::{Deadline, Error, ErrorKind, HostPort, Result};

/// Resolves `target` to socket addresses (IPv6 and IPv4, in the system's preferred order).
/// `what` describes the target in messages, e.g. `"proxy 10.0.0.1:1080"`.
pub fn resolve(target: &HostPort, deadline: Deadline, what: &str) -> Result<Vec<SocketAddr>> {
    if let Some(ip) = target.ip() {
        return Ok(vec![SocketAddr::new(ip, target.port)]);
    }
    let lookup = (target.host.clone(), target.port);
    let result = match deadline.remaining(&format!("resolving {what}"))? {
        None => lookup.to_socket_addrs().map(Iterator::collect),
        Some(left) => {
            let (tx, rx) = mpsc::channel();
            thread::Builder::new()
                .name("tcplink-resolve".into())
                .spawn(move || {
                    let _ = tx.send(lookup.to_socket_addrs().map(Iterator::collect::<Vec<_>>));
                })
                .map_err(|e| Error::from_io(&e, "starting the resolver thread"))?;
            rx.recv_timeout(left).map_err(|_| {
                Error::new(ErrorKind::Timeout, format!("resolving {what}: timed out"))
            })?
        }
    };
    match result {
        Ok(addrs) if !addrs.is_empty() => Ok(addrs),
        Ok(_) => Err(Error::new(
            ErrorKind::Resolve,
            format!("cannot resolve {what}: no addresses"),
        )),
        Err(e) => Err(Error::new(
            ErrorKind::Resolve,
            format!("cannot resolve {what}: {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_need_no_lookup() {
        let t = HostPort::parse("[::1]:80", "a").unwrap();
        assert_eq!(
            resolve(&t, Deadline::NONE, "x").unwrap(),
            vec!["[::1]:80".parse().unwrap()]
        );
    }

    #[test]
    fn localhost_resolves() {
        let t = HostPort::parse("localhost:80", "a").unwrap();
        let addrs = resolve(&t, Deadline::after_ms(5000), "x").unwrap();
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 80));
    }

    #[test]
    fn unknown_names_are_resolve_errors() {
        let t = HostPort::parse("no-such-host.invalid:80", "a").unwrap();
        let err = resolve(&t, Deadline::after_ms(10_000), "no-such-host.invalid:80").unwrap_err();
        assert!(matches!(
            err.kind(),
            ErrorKind::Resolve | ErrorKind::Timeout
        ));
        assert!(err.message().contains("no-such-host.invalid"));
    }
}
