//! Writing to stdout, and what goes to stderr (`--verbose` reports). The answer's formats are
//! in [`crate::render`].

use std::io::Write;

use tcplink::{Error, Result, TlsInfo, Transport};

/// Writes `bytes` to `out` and flushes; a failure (a closed pipe) is an `io` error.
pub fn emit(out: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Error::from_io(&e, "writing to stdout"))
}

/// Prints a `--verbose` line to stderr.
pub fn note(line: &str) {
    eprintln!("tcplink: {line}");
}

/// One line describing a negotiated TLS session.
pub fn describe_tls(info: &TlsInfo) -> String {
    let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    format!(
        "backend={} version={} cipher={} alpn={} subject={}",
        info.backend,
        field(&info.version),
        field(&info.cipher),
        field(&info.alpn),
        field(&info.peer_subject)
    )
}

/// The `--verbose` report of a new connection to `target`: addresses and TLS parameters.
pub fn report_connection(target: &str, transport: &dyn Transport) {
    let addr = |a: std::io::Result<std::net::SocketAddr>| {
        a.map_or_else(|_| "?".to_string(), |a| a.to_string())
    };
    note(&format!(
        "connected to {target} (remote {}, local {})",
        addr(transport.peer_addr()),
        addr(transport.local_addr())
    ));
    match transport.tls_info() {
        Some(info) => note(&format!("tls: {}", describe_tls(&info))),
        None => note("plain TCP, no TLS"),
    }
}
