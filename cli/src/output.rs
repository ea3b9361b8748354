//! What goes to stdout (the answer) and to stderr (`--verbose` reports, errors).

use std::io::Write;

use tcplink::{Error, Result, TlsInfo, Transport};

/// How an answer is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The bytes as they arrived.
    Raw,
    /// UTF-8 text: bytes that are not UTF-8 become U+FFFD.
    Text,
    /// Lower-case hex digits and a newline.
    Hex,
}

/// Renders `data` in `format`.
pub fn render(data: &[u8], format: Format) -> Vec<u8> {
    match format {
        Format::Raw => data.to_vec(),
        Format::Text => String::from_utf8_lossy(data).into_owned().into_bytes(),
        Format::Hex => {
            let mut text: String = data.iter().map(|b| format!("{b:02x}")).collect();
            text.push('\n');
            text.into_bytes()
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_render() {
        let data = [b'o', b'k', 0xff, b'\n'];
        assert_eq!(render(&data, Format::Raw), data);
        assert_eq!(render(&data, Format::Text), "ok\u{fffd}\n".as_bytes());
        assert_eq!(render(&data, Format::Hex), b"6f6bff0a\n");
        assert_eq!(render(b"", Format::Hex), b"\n");
    }
}
