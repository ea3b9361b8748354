//! Proxy URLs: `socks5://user:pass@host:port`, `socks4://`, `socks4a://`, `http://`.

use tcplink::{Error, HostPort, ProxySettings, Result};

const PARAM: &str = "--proxy";

/// Parses `scheme://[user[:password]@]host:port[/]`. The user and password may be
/// percent-encoded (`%40` for `@`). `socks5h` is accepted as `socks5` (names are always resolved
/// by a SOCKS5 proxy).
pub fn parse(url: &str) -> Result<ProxySettings> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| Error::argument(PARAM, format!("{url:?} is not a URL")))?;
    let scheme = scheme.to_ascii_lowercase();
    if !matches!(
        scheme.as_str(),
        "socks5" | "socks5h" | "socks4" | "socks4a" | "http"
    ) {
        return Err(Error::argument(
            PARAM,
            format!("unsupported proxy scheme {scheme:?} (use socks5, socks4, socks4a or http)"),
        ));
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains('/') {
        return Err(Error::argument(PARAM, "a proxy URL has no path"));
    }
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let (login, password) = match userinfo {
        None => (String::new(), String::new()),
        Some(info) => {
            let (user, pass) = info.split_once(':').unwrap_or((info, ""));
            (percent_decode(user)?, percent_decode(pass)?)
        }
    };
    let target = HostPort::parse(hostport, PARAM)?;
    ProxySettings::new(&target.host, target.port.into(), &scheme, &login, &password)
}

/// Decodes `%XX` sequences.
fn percent_decode(text: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let byte = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| {
                    Error::argument(
                        PARAM,
                        "a '%' in the user or password must be followed by two hex digits",
                    )
                })?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| Error::argument(PARAM, "the user or password is not UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcplink::ProxyKind;

    #[test]
    fn urls_of_every_kind_parse() {
        let p = parse("socks5://user:p%40ss@127.0.0.1:1080").unwrap();
        assert_eq!(
            (p.proxy_type, p.server.as_str(), p.port),
            (ProxyKind::Socks5, "127.0.0.1", 1080)
        );
        assert_eq!(p.credentials(), Some(("user", "p@ss")));
        assert_eq!(
            parse("socks4://h:1/").unwrap().proxy_type,
            ProxyKind::Socks4
        );
        assert_eq!(
            parse("SOCKS4A://h:1").unwrap().proxy_type,
            ProxyKind::Socks4a
        );
        assert_eq!(
            parse("socks5h://h:1").unwrap().proxy_type,
            ProxyKind::Socks5
        );
        let http = parse("http://[::1]:3128").unwrap();
        assert_eq!(
            (http.proxy_type, http.server.as_str()),
            (ProxyKind::Http, "::1")
        );
        assert_eq!(http.credentials(), None);
        assert_eq!(
            parse("http://only@h:8080").unwrap().credentials(),
            Some(("only", ""))
        );
    }

    #[test]
    fn bad_urls_are_argument_errors() {
        for bad in [
            "ftp://h:1",
            "https://h:1",
            "socks5://h",
            "socks5://h:99999",
            "http://h:1/path",
            "socks5://u:%zz@h:1",
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.kind(), tcplink::ErrorKind::Argument, "{bad}");
        }
    }
}
