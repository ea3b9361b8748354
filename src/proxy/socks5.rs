//! SOCKS5 (RFC 1928) with no authentication or user/password (RFC 1929); host names are sent to
//! the proxy to resolve.

use std::io::{Read, Write};
use std::net::IpAddr;

use super::ProxyIo;
use tcplink_transport::{HostPort, Result};

const VERSION: u8 = 5;
const NO_AUTH: u8 = 0;
const USER_PASS: u8 = 2;
const NO_ACCEPTABLE: u8 = 0xFF;

pub(super) fn handshake<S: Read + Write>(
    io: &mut ProxyIo<'_, S>,
    target: &HostPort,
    credentials: Option<(&str, &str)>,
) -> Result<()> {
    let greeting: &[u8] = if credentials.is_some() {
        &[VERSION, 2, NO_AUTH, USER_PASS]
    } else {
        &[VERSION, 1, NO_AUTH]
    };
    io.send(greeting)?;
    let mut choice = [0u8; 2];
    io.recv_exact(&mut choice)?;
    if choice[0] != VERSION {
        return Err(io.refused(format!(
            "not a SOCKS5 proxy (answered version {})",
            choice[0]
        )));
    }
    match (choice[1], credentials) {
        (NO_AUTH, _) => {}
        (USER_PASS, Some((login, password))) => authenticate(io, login, password)?,
        (NO_ACCEPTABLE, None) => return Err(io.refused("requires authentication; no login given")),
        (NO_ACCEPTABLE, Some(_)) => {
            return Err(io.refused("accepts none of the offered authentication methods"))
        }
        (other, _) => {
            return Err(io.refused(format!(
                "chose an authentication method not offered ({other})"
            )))
        }
    }
    io.send(&connect_request(target)?)?;
    let mut head = [0u8; 4];
    io.recv_exact(&mut head)?;
    if head[0] != VERSION {
        return Err(io.refused(format!("bad reply version {}", head[0])));
    }
    if head[1] != 0 {
        return Err(io.refused(format!(
            "cannot connect to {target}: {}",
            reply_text(head[1])
        )));
    }
    // The bound address, which we do not need: skip it exactly.
    let addr_len = match head[3] {
        1 => 4,
        4 => 16,
        3 => usize::from(io.recv_byte()?),
        other => return Err(io.refused(format!("bad address type {other} in reply"))),
    };
    let mut rest = vec![0u8; addr_len + 2];
    io.recv_exact(&mut rest)
}

fn authenticate<S: Read + Write>(
    io: &mut ProxyIo<'_, S>,
    login: &str,
    password: &str,
) -> Result<()> {
    let (login, password) = (login.as_bytes(), password.as_bytes());
    if login.len() > 255 || password.len() > 255 {
        return Err(crate::Error::argument(
            "Proxy",
            "SOCKS5 login and password are limited to 255 bytes",
        ));
    }
    let mut msg = vec![1, login.len() as u8];
    msg.extend_from_slice(login);
    msg.push(password.len() as u8);
    msg.extend_from_slice(password);
    io.send(&msg)?;
    let mut status = [0u8; 2];
    io.recv_exact(&mut status)?;
    if status[1] != 0 {
        return Err(io.refused("authentication failed (login or password rejected)"));
    }
    Ok(())
}

fn connect_request(target: &HostPort) -> Result<Vec<u8>> {
    let mut msg = vec![VERSION, 1, 0];
    match target.ip() {
        Some(IpAddr::V4(ip)) => {
            msg.push(1);
            msg.extend_from_slice(&ip.octets());
        }
        Some(IpAddr::V6(ip)) => {
            msg.push(4);
            msg.extend_from_slice(&ip.octets());
        }
        None => {
            let name = target.host.as_bytes();
            if name.len() > 255 {
                return Err(crate::Error::argument(
                    "Address",
                    "host name longer than 255 bytes",
                ));
            }
            msg.push(3);
            msg.push(name.len() as u8);
            msg.extend_from_slice(name);
        }
    }
    msg.extend_from_slice(&target.port.to_be_bytes());
    Ok(msg)
}

fn reply_text(code: u8) -> &'static str {
    match code {
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unknown failure",
    }
}
