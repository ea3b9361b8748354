//! Exit codes: one per error kind, documented in `--help` and the README from this one table.

use tcplink::{Error, ErrorKind};

/// Every failure's exit code, with the words `--help` shows for it. Success is 0.
pub const TABLE: [(ErrorKind, u8, &str); 8] = [
    (
        ErrorKind::Io,
        1,
        "input/output failure (a file, stdin, stdout, the socket)",
    ),
    (
        ErrorKind::Argument,
        2,
        "bad option or setting (also clap's usage errors)",
    ),
    (ErrorKind::Resolve, 3, "the host name could not be resolved"),
    (
        ErrorKind::Connect,
        4,
        "the TCP connection was refused or unreachable",
    ),
    (
        ErrorKind::Tls,
        5,
        "TLS handshake failed (certificate rejected, version, ALPN)",
    ),
    (
        ErrorKind::Proxy,
        6,
        "the proxy refused the request or is not that kind of proxy",
    ),
    (
        ErrorKind::Timeout,
        7,
        "connect, handshake, send or idle time limit passed",
    ),
    (
        ErrorKind::Closed,
        8,
        "the peer reset or closed the connection while we were sending",
    ),
];

/// The exit code for `error`.
pub fn code(error: &Error) -> u8 {
    TABLE
        .iter()
        .find(|(kind, _, _)| *kind == error.kind())
        .map_or(1, |(_, code, _)| *code)
}

/// The table as help text.
pub fn help() -> String {
    let mut text = String::from(
        "Exit codes:\n  0  success (a read that ends on a timeout or EOF is a success)\n",
    );
    for (kind, code, meaning) in TABLE {
        text.push_str(&format!("  {code}  {kind}: {meaning}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_cover_every_kind() {
        let mut codes: Vec<u8> = TABLE.iter().map(|(_, c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TABLE.len());
        assert!(!codes.contains(&0));
        assert_eq!(code(&Error::new(ErrorKind::Tls, "x")), 5);
    }
}
