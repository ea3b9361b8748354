//! Parsing of the `host:port` and `[v6]:port` strings users pass as addresses.

use std::fmt;
use std::net::IpAddr;

use crate::error::{Error, Result};

/// A host (name or IP literal) and a TCP port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// A DNS name, or an IPv4/IPv6 literal (without brackets).
    pub host: String,
    /// The TCP port, 1 to 65535.
    pub port: u16,
}

impl HostPort {
    /// Parses `host:port`, `1.2.3.4:port` or `[v6]:port`. `param` names the parameter in the
    /// [`argument`](crate::ErrorKind::Argument) error returned for a malformed value.
    pub fn parse(text: &str, param: &str) -> Result<Self> {
        let text = text.trim();
        let bad = |why: &str| Error::argument(param, format!("{why} in address {text:?}"));
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(|| bad("missing ']'"))?;
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| bad("missing ':port'"))?;
            if host.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad("not an IPv6 address inside brackets"));
            }
            (host, port)
        } else {
            let (host, port) = text
                .rsplit_once(':')
                .ok_or_else(|| bad("missing ':port'"))?;
            if host.contains(':') {
                return Err(bad("an IPv6 address must be written as [addr]:port"));
            }
            (host, port)
        };
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        Ok(HostPort {
            host: host.to_string(),
            port: parse_port(port, param)?,
        })
    }

    /// Builds a host/port pair from separate parts, checking the port range.
    pub fn new(host: &str, port: i64, param: &str) -> Result<Self> {
        if host.trim().is_empty() {
            return Err(Error::argument(param, "empty host"));
        }
        let port = u16::try_from(port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| {
                Error::argument(param, format!("port {port} is out of range 1-65535"))
            })?;
        Ok(HostPort {
            host: host
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
        })
    }

    /// The host as an IP address, if it is a literal.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
}

fn parse_port(text: &str, param: &str) -> Result<u16> {
    let value: u64 = text
        .parse()
        .map_err(|_| Error::argument(param, format!("port {text:?} is not a number")))?;
    u16::try_from(value)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| Error::argument(param, format!("port {value} is out of range 1-65535")))
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn parses_names_v4_and_v6() {
        let a = HostPort::parse("example.com:443", "Address").unwrap();
        assert_eq!((a.host.as_str(), a.port), ("example.com", 443));
        let b = HostPort::parse("127.0.0.1:7", "Address").unwrap();
        assert_eq!(b.ip(), Some("127.0.0.1".parse().unwrap()));
        let c = HostPort::parse("[::1]:8080", "Address").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 8080));
        assert_eq!(c.to_string(), "[::1]:8080");
    }

    #[test]
    fn rejects_bad_addresses_naming_the_parameter() {
        for bad in [
            "",
            "host",
            "host:",
            ":80",
            "host:70000",
            "host:0",
            "host:x",
            "::1:80",
            "[::1]80",
            "[zz]:1",
        ] {
            let err = HostPort::parse(bad, "Address").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Argument, "{bad}");
            assert!(err.message().starts_with("Address:"), "{}", err.message());
        }
        assert!(HostPort::parse("host:70000", "Address")
            .unwrap_err()
            .message()
            .contains("70000"));
    }

    #[test]
    fn new_checks_the_port() {
        assert!(HostPort::new("h", 65535, "Port").is_ok());
        assert_eq!(
            HostPort::new("h", 70000, "Port").unwrap_err().kind(),
            ErrorKind::Argument
        );
        assert_eq!(
            HostPort::new("h", -1, "Port").unwrap_err().kind(),
            ErrorKind::Argument
        );
        assert_eq!(
            HostPort::new("", 1, "Address").unwrap_err().kind(),
            ErrorKind::Argument
        );
    }
}
