//! HTTP CONNECT (RFC 9110 §9.3.6) with optional Basic authentication.

use std::io::{Read, Write};

use base64::Engine;

use super::ProxyIo;
use tcplink_transport::{HostPort, Result};

/// The longest proxy answer header accepted.
const MAX_HEADER: usize = 16 * 1024;

pub(super) fn handshake<S: Read + Write>(
    io: &mut ProxyIo<'_, S>,
    target: &HostPort,
    credentials: Option<(&str, &str)>,
) -> Result<()> {
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some((login, password)) = credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    io.send(request.as_bytes())?;

    // Read the header one byte at a time so nothing after it is consumed.
    let mut header = Vec::with_capacity(256);
    while !header.ends_with(b"\r\n\r\n") && !header.ends_with(b"\n\n") {
        if header.len() >= MAX_HEADER {
            return Err(io.refused("answer header too long"));
        }
        header.push(io.recv_byte()?);
    }
    let text = String::from_utf8_lossy(&header);
    let status_line = text.lines().next().unwrap_or("").trim();
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !version.starts_with("HTTP/1.") {
        return Err(io.refused(format!("not an HTTP proxy (answered {status_line:?})")));
    }
    match code {
        c if c.starts_with('2') => Ok(()),
        "407" | "401" if credentials.is_none() => Err(io.refused(format!(
            "requires authentication ({status_line}); no login given"
        ))),
        "407" | "401" => Err(io.refused(format!("credentials rejected ({status_line})"))),
        _ => Err(io.refused(format!("refused to connect to {target}: {status_line}"))),
    }
}
