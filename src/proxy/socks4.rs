//! SOCKS4 (IPv4 resolved locally) and SOCKS4a (host names resolved by the proxy).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr};

use super::ProxyIo;
use tcplink_transport::{Deadline, Error, ErrorKind, HostPort, Result};

pub(super) fn handshake<S: Read + Write>(
    io: &mut ProxyIo<'_, S>,
    target: &HostPort,
    user_id: Option<&str>,
    remote_dns: bool,
    deadline: Deadline,
) -> Result<()> {
    let mut msg = vec![4, 1];
    msg.extend_from_slice(&target.port.to_be_bytes());
    let name_for_proxy = match target.ip() {
        Some(IpAddr::V4(ip)) => {
            msg.extend_from_slice(&ip.octets());
            None
        }
        Some(IpAddr::V6(_)) => {
            return Err(Error::argument(
                "Address",
                format!("SOCKS4 cannot reach the IPv6 address {target}"),
            ));
        }
        None if remote_dns => {
            // 0.0.0.x with x != 0 tells a SOCKS4a proxy that a host name follows.
            msg.extend_from_slice(&[0, 0, 0, 1]);
            Some(target.host.as_bytes())
        }
        None => {
            msg.extend_from_slice(&resolve_v4(target, deadline)?.octets());
            None
        }
    };
    msg.extend_from_slice(user_id.unwrap_or("").as_bytes());
    msg.push(0);
    if let Some(name) = name_for_proxy {
        msg.extend_from_slice(name);
        msg.push(0);
    }
    io.send(&msg)?;
    let mut reply = [0u8; 8];
    io.recv_exact(&mut reply)?;
    match reply[1] {
        0x5A => Ok(()),
        0x5B => Err(io.refused(format!("request to reach {target} rejected or failed"))),
        0x5C | 0x5D => Err(io.refused("rejected the request: identd check failed")),
        other => Err(io.refused(format!("not a SOCKS4 reply (code {other})"))),
    }
}

fn resolve_v4(target: &HostPort, deadline: Deadline) -> Result<Ipv4Addr> {
    crate::resolve::resolve(target, deadline, &target.to_string())?
        .into_iter()
        .find_map(|a| match a.ip() {
            IpAddr::V4(ip) => Some(ip),
            IpAddr::V6(_) => None,
        })
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Resolve,
                format!("{target} has no IPv4 address for SOCKS4"),
            )
        })
}
