//! Parsing of the addresses users pass: `host:port` and `[v6]:port`, and for a server's address
//! also the forms OPI accepts, a bare host (port 80) and URLs (`tcp://`, `http://`, `https://`).

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

    /// Parses a server's address as OPI accepts it: `host:port`, `[v6]:port`, a bare host or
    /// IP literal (port 80), or a URL `tcp://host[:port]`, `http://host[:port]` (port 80 unless
    /// given) or `https://host[:port]` (443 unless given), with any path after the host ignored.
    /// The scheme only chooses the default port: TLS is on only when the TLS settings say so.
    pub fn parse_address(text: &str, param: &str) -> Result<Self> {
        let text = text.trim();
        let (rest, default_port) = match text.split_once("://") {
            None => (text, 80),
            Some((scheme, rest)) => {
                let port = match scheme.to_ascii_lowercase().as_str() {
                    "tcp" | "http" => 80,
                    "https" => 443,
                    _ => {
                        return Err(Error::argument(
                            param,
                            format!(
                                "unknown scheme {scheme:?} in address {text:?} (tcp, http or https)"
                            ),
                        ))
                    }
                };
                (rest.split(['/', '?', '#']).next().unwrap_or_default(), port)
            }
        };
        let bracketed = rest.strip_prefix('[').map(|b| b.split_once(']'));
        let has_port = match bracketed {
            // A malformed bracket is for the strict parser to name.
            Some(None) => true,
            Some(Some((_, after))) => !after.is_empty(),
            None => rest.contains(':') && rest.parse::<std::net::Ipv6Addr>().is_err(),
        };
        if has_port {
            return HostPort::parse(rest, param);
        }
        let host = rest.trim_start_matches('[').trim_end_matches(']');
        if bracketed.is_some() && host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(Error::argument(
                param,
                format!("not an IPv6 address inside brackets in address {text:?}"),
            ));
        }
        if host.is_empty() {
            return Err(Error::argument(
                param,
                format!("empty host in address {text:?}"),
            ));
        }
        Ok(HostPort {
            host: host.to_string(),
            port: default_port,
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
    fn server_addresses_take_opis_forms_and_default_ports() {
        for (text, host, port) in [
            ("device.local:9100", "device.local", 9100),
            ("device.local", "device.local", 80),
            ("10.0.0.7", "10.0.0.7", 80),
            ("::1", "::1", 80),
            ("[::1]", "::1", 80),
            ("[::1]:7000", "::1", 7000),
            ("tcp://device.local:7000", "device.local", 7000),
            ("tcp://device.local", "device.local", 80),
            ("http://example.com", "example.com", 80),
            ("HTTP://example.com:8080/path?q", "example.com", 8080),
            ("https://example.com", "example.com", 443),
            ("https://example.com/", "example.com", 443),
            ("https://[::1]:8443/x", "::1", 8443),
        ] {
            let parsed = HostPort::parse_address(text, "Address").unwrap();
            assert_eq!((parsed.host.as_str(), parsed.port), (host, port), "{text}");
        }
        for bad in [
            "",
            "ftp://host",
            "https://",
            "host:",
            "host:x",
            "[::1]80",
            "tcp://:80",
            "[::1:80",
            "[zz]",
        ] {
            let err = HostPort::parse_address(bad, "Address").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Argument, "{bad}");
            assert!(err.message().starts_with("Address:"), "{}", err.message());
        }
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
