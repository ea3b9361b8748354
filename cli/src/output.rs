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

/// A reported value, or `-` where there is none.
pub fn shown(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "-".into())
}

/// One line describing a negotiated TLS session.
pub fn describe_tls(info: &TlsInfo) -> String {
    let field = shown;
    format!(
        "backend={} version={} cipher={} alpn={} subject={}",
        info.backend,
        field(&info.version),
        field(&info.cipher),
        field(&info.alpn),
        field(&info.peer_subject)
    )
}

/// One line on the server's certificate: what to compare with the device's and to pin.
pub fn describe_certificate(info: &TlsInfo) -> String {
    let field = shown;
    format!(
        "certificate: issuer={} valid={} to {} sha256={} key={}",
        field(&info.peer_issuer),
        field(&info.peer_not_before),
        field(&info.peer_not_after),
        field(&info.peer_sha256),
        field(&info.peer_key_sha256)
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
        Some(info) => {
            note(&format!("tls: {}", describe_tls(&info)));
            note(&describe_certificate(&info));
        }
        None => note("plain TCP, no TLS"),
    }
}
