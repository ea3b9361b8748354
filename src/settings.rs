//! The proxy settings users pass as JSON (the seed's format, extended), and the functions that
//! build them (`GetProxySettings`); the TLS settings beside them come from the transport layer.

use serde::{Deserialize, Serialize};
use tcplink_transport::settings::non_empty;
pub use tcplink_transport::settings::{settings_json, Secret};
use tcplink_transport::{Error, HostPort, Result};

/// The protocol spoken to a proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyKind {
    /// SOCKS5 (RFC 1928), host names resolved by the proxy; user/password auth (RFC 1929).
    #[serde(alias = "socks5h", alias = "SOCKS5")]
    Socks5,
    /// SOCKS4: host names are resolved locally to an IPv4 address.
    #[serde(alias = "SOCKS4")]
    Socks4,
    /// SOCKS4a: host names are resolved by the proxy.
    #[serde(alias = "SOCKS4A", alias = "socks4A")]
    Socks4a,
    /// HTTP CONNECT, with Basic authentication.
    #[serde(alias = "HTTP", alias = "https")]
    Http,
}

impl ProxyKind {
    /// The lower-case name (`socks5`, `socks4`, `socks4a`, `http`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyKind::Socks5 => "socks5",
            ProxyKind::Socks4 => "socks4",
            ProxyKind::Socks4a => "socks4a",
            ProxyKind::Http => "http",
        }
    }

    /// Parses a kind name, case-insensitively.
    pub fn parse(name: &str) -> Result<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "socks5" | "socks5h" => Ok(ProxyKind::Socks5),
            "socks4" => Ok(ProxyKind::Socks4),
            "socks4a" => Ok(ProxyKind::Socks4a),
            "http" | "https" => Ok(ProxyKind::Http),
            other => Err(Error::argument(
                "ProxyType",
                format!("unknown proxy type {other:?} (expected socks5, socks4, socks4a or http)"),
            )),
        }
    }
}

/// Proxy settings: the seed's fields `server`, `port`, `proxy_type`, `login`, `password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySettings {
    /// The proxy's host name or IP address.
    pub server: String,
    /// The proxy's port.
    pub port: i64,
    /// The protocol; `socks5` when absent.
    #[serde(default = "socks5")]
    pub proxy_type: ProxyKind,
    /// The user name, if the proxy needs one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "non_empty"
    )]
    pub login: Option<String>,
    /// The password, if the proxy needs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
}

fn socks5() -> ProxyKind {
    ProxyKind::Socks5
}

impl ProxySettings {
    /// Parses proxy settings JSON, given as text or as the path of a `.json` file holding it; an
    /// empty string means no proxy.
    pub fn from_json(text: &str) -> Result<Option<ProxySettings>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let text = settings_json(text, "Proxy", "proxy")?;
        let settings: ProxySettings = serde_json::from_str(&text)
            .map_err(|e| Error::argument("Proxy", format!("invalid proxy settings JSON: {e}")))?;
        settings.endpoint()?;
        Ok(Some(settings))
    }

    /// The seed's `GetProxySettings`, checking the host and port.
    pub fn new(server: &str, port: i64, kind: &str, login: &str, password: &str) -> Result<Self> {
        let settings = ProxySettings {
            server: server.trim().to_string(),
            port,
            proxy_type: ProxyKind::parse(kind)?,
            login: Some(login.to_string()).filter(|s| !s.is_empty()),
            password: Some(Secret(password.to_string())).filter(|s| !s.0.is_empty()),
        };
        settings.endpoint()?;
        Ok(settings)
    }

    /// The proxy's address, checked.
    pub fn endpoint(&self) -> Result<HostPort> {
        HostPort::new(&self.server, self.port, "Proxy")
    }

    /// The credentials, if a login is set (the password may be empty).
    pub fn credentials(&self) -> Option<(&str, &str)> {
        let login = self.login.as_deref()?;
        Some((login, self.password.as_ref().map_or("", |p| p.0.as_str())))
    }

    /// These settings as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("settings serialise")
    }

    /// A description for messages: `socks5 proxy 127.0.0.1:1080` (never the password).
    pub fn describe(&self) -> String {
        match self.endpoint() {
            Ok(ep) => format!("{} proxy {ep}", self.proxy_type.as_str()),
            Err(_) => format!(
                "{} proxy {}:{}",
                self.proxy_type.as_str(),
                self.server,
                self.port
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcplink_transport::{ErrorKind, TlsSettings};

    #[test]
    fn settings_that_are_not_objects_are_refused() {
        for text in ["[]", "[true]", "null", "42", "\"x\""] {
            let err = TlsSettings::from_json(text).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Argument, "{text}");
            assert!(err.message().starts_with("Tls: "), "{err}");
            let err = ProxySettings::from_json(text).unwrap_err();
            assert!(err.message().starts_with("Proxy: "), "{err}");
        }
    }

    #[test]
    fn empty_or_disabled_tls_means_plain() {
        assert_eq!(TlsSettings::from_json("").unwrap(), None);
        assert_eq!(
            TlsSettings::from_json(r#"{"use_tls": false}"#).unwrap(),
            None
        );
    }

    #[test]
    fn seed_json_round_trips() {
        let json = TlsSettings::seed(true, "/tmp/ca.pem").to_json();
        let parsed = TlsSettings::from_json(&json).unwrap().unwrap();
        assert!(parsed.use_tls && parsed.accept_invalid_certs);
        assert_eq!(parsed.ca_cert_path.as_deref(), Some("/tmp/ca.pem"));
        let v: serde_json::Value =
            serde_json::from_str(&TlsSettings::seed(false, "").to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"use_tls": true, "accept_invalid_certs": false})
        );
    }

    #[test]
    fn new_fields_parse_and_empty_strings_are_absent() {
        let s = TlsSettings::from_json(
            r#"{"use_tls":true,"ca_cert_path":"","alpn":["h2","http/1.1"],"min_version":"1.3","backend":"rustls","server_name":"x"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.ca_cert_path, None);
        assert_eq!(s.alpn, vec!["h2", "http/1.1"]);
        assert_eq!(s.min_version.as_deref(), Some("1.3"));
        assert_eq!(s.server_name.as_deref(), Some("x"));
    }

    #[test]
    fn settings_may_be_the_path_of_a_json_file() {
        let dir = std::env::temp_dir().join(format!("tcplink-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let tls = dir.join("tls.json");
        std::fs::write(&tls, r#"{"use_tls": true, "accept_invalid_certs": true}"#).unwrap();
        let proxy = dir.join("Proxy.JSON");
        std::fs::write(&proxy, r#"{"server": "127.0.0.1", "port": 1080}"#).unwrap();
        let parsed = TlsSettings::from_json(tls.to_str().unwrap())
            .unwrap()
            .unwrap();
        assert!(parsed.accept_invalid_certs);
        let parsed = ProxySettings::from_json(&format!(" {} ", proxy.display()));
        assert_eq!(parsed.unwrap().unwrap().port, 1080);
        let missing = dir.join("missing.json");
        let err = TlsSettings::from_json(missing.to_str().unwrap()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument);
        assert!(
            err.message().starts_with("Tls: cannot read"),
            "{}",
            err.message()
        );
        assert!(err.message().contains("missing.json"), "{}", err.message());
        let err = ProxySettings::from_json("proxy.txt").unwrap_err();
        assert!(
            err.message().contains("a path to a .json file"),
            "{}",
            err.message()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_fields_and_bad_json_are_argument_errors() {
        let err = TlsSettings::from_json(r#"{"use_tls":true,"verify_peer":false}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument);
        assert!(err.message().contains("verify_peer"), "{}", err.message());
        assert!(err.message().starts_with("Tls:"));
        assert_eq!(
            TlsSettings::from_json("{").unwrap_err().kind(),
            ErrorKind::Argument
        );
        let err = ProxySettings::from_json(r#"{"server":"h","port":1,"passwd":"x"}"#).unwrap_err();
        assert!(err.message().contains("passwd"));
    }

    #[test]
    fn proxy_settings_parse_and_check() {
        let p = ProxySettings::from_json(r#"{"server":"127.0.0.1","port":1080,"proxy_type":"socks4a","login":null,"password":null}"#)
            .unwrap()
            .unwrap();
        assert_eq!(p.proxy_type, ProxyKind::Socks4a);
        assert_eq!(p.credentials(), None);
        let err = ProxySettings::from_json(r#"{"server":"h","port":70000}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Argument);
        assert!(err.message().contains("70000"));
        assert_eq!(
            ProxySettings::from_json(r#"{"server":"h","port":1}"#)
                .unwrap()
                .unwrap()
                .proxy_type,
            ProxyKind::Socks5
        );
        assert_eq!(
            ProxySettings::new("h", 1, "ftp", "", "")
                .unwrap_err()
                .kind(),
            ErrorKind::Argument
        );
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        let p = ProxySettings::new("h", 1080, "socks5", "user", "hunter2").unwrap();
        assert_eq!(p.credentials(), Some(("user", "hunter2")));
        assert!(!format!("{p:?}").contains("hunter2"));
        assert!(!p.describe().contains("hunter2"));
        let round = ProxySettings::from_json(&p.to_json()).unwrap().unwrap();
        assert_eq!(round, p);
    }
}
