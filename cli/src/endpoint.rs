//! Turns the TLS, proxy and connection options into the core's [`Endpoint`] and
//! [`ConnectOptions`].

use std::path::Path;

use std::sync::Arc;

use tcplink::{
    ConnectOptions, Endpoint, Error, Event, EventSink, HostPort, ProxySettings, Result, TlsSettings,
};

use crate::args::EndpointArgs;
use crate::{opi_json, output, password, proxy_url};

impl EndpointArgs {
    /// The endpoint for `address` with these options. Settings files and JSON are read and
    /// checked here, before anything touches the network.
    pub fn endpoint(&self, address: &str) -> Result<Endpoint> {
        let target = HostPort::parse_address(address, "address")?;
        let (tls, proxy) = self.settings()?;
        Ok(Endpoint { target, tls, proxy })
    }

    /// The TLS and proxy settings of these options, read and checked once for many endpoints.
    pub fn settings(&self) -> Result<(Option<TlsSettings>, Option<ProxySettings>)> {
        Ok((self.tls_settings()?, self.proxy_settings()?))
    }

    /// How to connect; with `verbose`, every step of connecting (the name resolved, each
    /// address tried, the proxy and TLS handshakes) is reported on stderr as it happens.
    pub fn connect_options(&self, verbose: bool) -> ConnectOptions {
        let report = |event: &Event<'_>| output::note(&event.to_string());
        ConnectOptions {
            connect_timeout: Some(self.connect_timeout),
            attempt_delay: Some(self.attempt_delay),
            events: verbose.then(|| Arc::new(report) as Arc<dyn EventSink>),
            ..ConnectOptions::default()
        }
    }

    /// `--tls` merged with the TLS flags; `None` for plain TCP.
    fn tls_settings(&self) -> Result<Option<TlsSettings>> {
        let base = match &self.tls {
            Some(value) => TlsSettings::from_json(&json_or_file(value, "--tls")?)?,
            None => None,
        };
        let flagged = self.ssl
            || self.tls_insecure
            || self.ca.is_some()
            || !self.pins.is_empty()
            || self.cert.is_some()
            || self.pfx.is_some()
            || self.sni.is_some()
            || !self.alpn.is_empty()
            || self.tls_min.is_some()
            || self.backend.is_some();
        if !flagged {
            return Ok(base);
        }
        let mut settings = base.unwrap_or(TlsSettings {
            use_tls: true,
            ..TlsSettings::default()
        });
        let path = |p: &Path| p.to_string_lossy().into_owned();
        settings.accept_invalid_certs |= self.tls_insecure;
        override_with(&mut settings.ca_cert_path, self.ca.as_deref().map(path));
        override_with(
            &mut settings.client_cert_path,
            self.cert.as_deref().map(path),
        );
        override_with(&mut settings.client_key_path, self.key.as_deref().map(path));
        if let Some(pfx) = &self.pfx {
            settings.client_pfx_path = Some(path(pfx));
            settings.client_pfx_password = match &self.pfx_pass {
                Some(source) => Some(password::read(source, |var| std::env::var(var).ok())?),
                None => None,
            };
        }
        override_with(&mut settings.server_name, self.sni.clone());
        override_with(&mut settings.min_version, self.tls_min.clone());
        override_with(&mut settings.backend, self.backend.clone());
        if !self.alpn.is_empty() {
            settings.alpn = self.alpn.clone();
        }
        if !self.pins.is_empty() {
            settings.pinned_sha256 = self.pins.clone();
        }
        Ok(Some(settings))
    }

    /// `--proxy` as a URL, JSON text or a JSON file.
    fn proxy_settings(&self) -> Result<Option<ProxySettings>> {
        match &self.proxy {
            None => Ok(None),
            Some(value) if value.contains("://") => proxy_url::parse(value).map(Some),
            Some(value) => ProxySettings::from_json(&json_or_file(value, "--proxy")?),
        }
    }
}

/// Replaces `field` when the flag was given.
fn override_with(field: &mut Option<String>, flag: Option<String>) {
    if flag.is_some() {
        *field = flag;
    }
}

/// The JSON text of an option that takes JSON or the path of a JSON file: a value that starts
/// with `{` is JSON, anything else is a path. Either may be written as OPI's documentation
/// writes it (see [`opi_json`]).
fn json_or_file(value: &str, param: &str) -> Result<String> {
    let text = if value.trim_start().starts_with('{') {
        value.to_string()
    } else {
        std::fs::read_to_string(value)
            .map_err(|e| Error::argument(param, format!("cannot read {value}: {e}")))?
    };
    Ok(opi_json::normalize(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;

    fn endpoint_args(extra: &[&str]) -> EndpointArgs {
        let argv = ["tcplink", "connect", "h:1"].iter().chain(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Connect(args) => args.endpoint,
            _ => unreachable!(),
        }
    }

    #[test]
    fn no_tls_options_mean_plain_tcp() {
        let e = endpoint_args(&[]).endpoint("h:1").unwrap();
        assert!(e.tls.is_none() && e.proxy.is_none());
    }

    #[test]
    fn flags_override_the_json() {
        let json = r#"{"use_tls":true,"ca_cert_path":"a.pem","server_name":"x","alpn":["h2"]}"#;
        let args = endpoint_args(&[
            "--tls",
            json,
            "--ca",
            "b.pem",
            "--alpn",
            "x,y",
            "--tls-min",
            "1.3",
        ]);
        let tls = args.endpoint("h:1").unwrap().tls.unwrap();
        assert_eq!(tls.ca_cert_path.as_deref(), Some("b.pem"));
        assert_eq!(tls.server_name.as_deref(), Some("x"));
        assert_eq!(tls.alpn, ["x", "y"]);
        assert_eq!(tls.min_version.as_deref(), Some("1.3"));
        let plain = endpoint_args(&["--tls", r#"{"use_tls":false}"#])
            .endpoint("h:1")
            .unwrap();
        assert!(plain.tls.is_none());
        let forced = endpoint_args(&["--tls", r#"{"use_tls":false}"#, "--tls-insecure"]);
        assert!(
            forced
                .endpoint("h:1")
                .unwrap()
                .tls
                .unwrap()
                .accept_invalid_certs
        );
    }

    #[test]
    fn the_attempt_delay_defaults_to_rfc_8305s_and_zero_means_one_at_a_time() {
        let default = endpoint_args(&[]).connect_options(false);
        assert_eq!(default.attempt_delay, Some(tcplink::DEFAULT_ATTEMPT_DELAY));
        let set = endpoint_args(&["--attempt-delay", "100ms"]).connect_options(false);
        assert_eq!(
            set.attempt_delay,
            Some(std::time::Duration::from_millis(100))
        );
        let off = endpoint_args(&["--attempt-delay", "0"]).connect_options(false);
        assert_eq!(off.attempt_delay, Some(std::time::Duration::ZERO));
    }

    #[test]
    fn pfx_flags_set_the_file_and_its_password() {
        let args = endpoint_args(&["--pfx", "c.pfx", "--pfx-pass", "pass:pw"]);
        let tls = args.endpoint("h:1").unwrap().tls.unwrap();
        assert_eq!(tls.client_pfx_path.as_deref(), Some("c.pfx"));
        assert_eq!(tls.client_pfx_password, Some(tcplink::Secret("pw".into())));
        let tls = endpoint_args(&["--pfx", "c.pfx"])
            .endpoint("h:1")
            .unwrap()
            .tls;
        assert_eq!(tls.unwrap().client_pfx_password, None);
        for argv in [
            ["--pfx", "c.pfx", "--cert", "c.pem", "--key", "c.key"].as_slice(),
            &["--pfx-pass", "pass:pw"],
        ] {
            let full = ["tcplink", "connect", "h:1"].iter().chain(argv);
            assert!(Cli::try_parse_from(full).is_err(), "{argv:?}");
        }
    }

    #[test]
    fn settings_come_from_files_json_and_urls() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tls.json");
        std::fs::write(&file, r#"{"accept_invalid_certs": true}"#).unwrap();
        let e = endpoint_args(&["--tls", file.to_str().unwrap(), "--proxy", "socks4a://p:1"])
            .endpoint("h:1")
            .unwrap();
        assert!(e.tls.unwrap().accept_invalid_certs);
        assert_eq!(e.proxy.unwrap().proxy_type, tcplink::ProxyKind::Socks4a);
        let e = endpoint_args(&[
            "--proxy",
            r#"{"server":"p","port":3128,"proxy_type":"http"}"#,
        ])
        .endpoint("h:1")
        .unwrap();
        assert_eq!(e.proxy.unwrap().port, 3128);
        let err = endpoint_args(&["--tls", "missing.json"])
            .endpoint("h:1")
            .unwrap_err();
        assert_eq!(err.kind(), tcplink::ErrorKind::Argument);
        assert!(err.message().starts_with("--tls:"), "{}", err.message());
    }
}
