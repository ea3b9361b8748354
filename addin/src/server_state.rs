//! The state of one `TcpServer` object: its [`Server`] while it runs, and the operations the
//! methods perform on it, with OPI's result shapes as JSON.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::json;
use tcplink::{
    AllowedClients, Error, ErrorKind, EventSink, ReadLimits, Result, Server, ServerOptions,
    ServerRead, ServerTlsSettings,
};

use crate::log::{EventLog, LogSettings};
use crate::object::Common;
use crate::server_settings::ServerSettings;
use crate::state::renamed;

/// When a read of received data has neither a marker nor an idle timeout, it returns what has
/// arrived, as OPI's server does: it ends once no byte came for this long.
pub const ARRIVED_GAP: Duration = Duration::from_millis(1);

/// What `Запустить` / `Start` asks for; each field's label names its parameter in errors.
#[derive(Debug)]
pub struct StartSettings<'a> {
    /// `Порт`: 0 to 65535 (0: the system picks one).
    pub port: (i64, String),
    /// `РазмерПула`: the most connections at once, at least 1.
    pub pool: (usize, String),
    /// `АдресПрослушивания`: IP addresses separated by `,`, `;` or spaces; `""`: every interface.
    pub listen: (&'a str, String),
    /// `Tls`: server TLS settings JSON (see [`ServerTlsSettings`]); `""`: plain TCP.
    pub tls: &'a str,
    /// `РазрешенныеАдреса`: addresses and CIDR ranges let in; `""`: everyone.
    pub allowed: (&'a str, String),
    /// `ВытеснятьСтарые`: a full pool closes the oldest connection instead of the new one.
    pub evict_oldest: bool,
    /// `Логирование`: logging settings JSON; `""` keeps the log as it is.
    pub logging: (&'a str, String),
    /// `Настройки`: server settings JSON or a `.json` path (see [`ServerSettings`]); `""`: the
    /// library's defaults.
    pub settings: (&'a str, String),
}

/// How a read of received data ends: the reading rules' limits, with `max_size` and `marker` as
/// the method got them.
#[derive(Debug)]
pub struct ReadRules<'a> {
    /// `Таймаут`: how long to wait for data, then for the marker; `None`: no limit.
    pub timeout: Option<Duration>,
    /// `МаксимальныйРазмер`: the most bytes; 0: no limit.
    pub max_size: usize,
    /// `Маркер`: the bytes that end the read; empty: none.
    pub marker: &'a [u8],
    /// `ТаймаутОжидания`: the longest gap between bytes; `None`: see [`ARRIVED_GAP`].
    pub idle_timeout: Option<Duration>,
}

impl ReadRules<'_> {
    fn limits(&self) -> ReadLimits<'_> {
        let idle_timeout = match (self.idle_timeout, self.marker.is_empty()) {
            (None, true) => Some(ARRIVED_GAP),
            (idle, _) => idle,
        };
        ReadLimits {
            max_size: self.max_size,
            marker: self.marker,
            idle_timeout,
            timeout: self.timeout,
        }
    }
}

/// One `TcpServer` object's state.
#[derive(Debug, Default)]
pub struct ServerState {
    server: Option<Server>,
    /// Exception mode, the last error and the event log.
    pub common: Common,
}

impl ServerState {
    /// Starts listening as `settings` say, stopping the server that runs, if any. The settings
    /// are checked first: bad ones leave a running server alone.
    pub fn start(&mut self, settings: &StartSettings) -> Result<()> {
        let options = options(settings)?;
        if let Some(log) = LogSettings::from_json(settings.logging.0, &settings.logging.1)? {
            self.common.log = Some(Arc::new(EventLog::open(&log, &settings.logging.1)?));
        }
        let options = ServerOptions {
            events: self
                .common
                .log
                .as_ref()
                .map(|log| Arc::clone(log) as Arc<dyn EventSink>),
            ..options
        };
        self.stop();
        self.server = Some(Server::start(options)?);
        Ok(())
    }

    /// Stops the server, closing every connection and joining its threads; stopping a stopped
    /// server is fine.
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }

    /// Whether the server runs.
    pub fn is_running(&self) -> bool {
        self.server.as_ref().is_some_and(Server::is_running)
    }

    /// The port listened on (the one the system picked for 0), or 0 when stopped.
    pub fn port(&self) -> u16 {
        self.server.as_ref().map_or(0, |s| s.local_addr().port())
    }

    /// The running server, or the error of a call that needs one.
    pub fn server(&self) -> Result<&Server> {
        self.server
            .as_ref()
            .filter(|s| s.is_running())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Closed,
                    "the server is not running (call Запустить / Start first)",
                )
            })
    }

    /// Runs `call` on the running server with connection ID `id`; the library's error for an
    /// unknown ID is told as one about the parameter `label`.
    pub fn with_id<T>(
        &self,
        (id, label): (&str, &str),
        call: impl FnOnce(&Server, &str) -> Result<T>,
    ) -> Result<T> {
        call(self.server()?, id).map_err(|e| match e.message().strip_prefix("connection_id: ") {
            Some(problem) if e.kind() == ErrorKind::Argument => Error::argument(label, problem),
            _ => e,
        })
    }

    /// `ПолучитьДанныеОчередногоСоединения`: waits up to `rules.timeout` for a connection with
    /// data (or whose client left), then reads it by `rules`.
    pub fn next_connection_data(&self, rules: &ReadRules) -> Result<String> {
        let server = self.server()?;
        match server.next_with_data(rules.timeout)? {
            Some(id) => read_json(server, &id, rules),
            None => Ok(timed_out()),
        }
    }

    /// `ПолучитьДанныеСоединения`: waits up to `rules.timeout` for data from connection `id`
    /// (an unknown ID fails at once, naming `label`), then reads it by `rules`.
    pub fn connection_data(&self, id: (&str, &str), rules: &ReadRules) -> Result<String> {
        self.with_id(id, |server, id| {
            if server.wait_for_data(id, rules.timeout)? {
                read_json(server, id, rules)
            } else {
                Ok(timed_out())
            }
        })
    }

    /// `ПолучитьСписокСоединений`: `{"result": true, "connections": [{"connectionId",
    /// "address", "canRead", "canWrite", "unread"}]}`, oldest first.
    pub fn connections_json(&self) -> Result<String> {
        let connections: Vec<_> = self
            .server()?
            .connections()
            .into_iter()
            .map(|c| {
                json!({
                    "connectionId": c.id,
                    "address": c.peer.to_string(),
                    "canRead": c.can_read,
                    "canWrite": c.can_write,
                    "unread": c.unread,
                })
            })
            .collect();
        Ok(json!({"result": true, "connections": connections}).to_string())
    }
}

/// The library's options for `settings`, every value checked.
fn options(settings: &StartSettings) -> Result<ServerOptions> {
    let (port, port_label) = &settings.port;
    let port = u16::try_from(*port)
        .map_err(|_| Error::argument(port_label, format!("{port} is out of range 0-65535")))?;
    let (pool, pool_label) = &settings.pool;
    if *pool == 0 {
        return Err(Error::argument(pool_label, "must be at least 1"));
    }
    let (listen, listen_label) = &settings.listen;
    let mut options = ServerOptions::all_interfaces(port);
    if let Some(addresses) = listen_addresses(listen, port, listen_label)? {
        options.listen = addresses;
    }
    options.max_connections = *pool;
    options.evict_oldest = settings.evict_oldest;
    let (allowed, allowed_label) = &settings.allowed;
    options.allowed_clients = AllowedClients::parse(allowed).map_err(renamed(allowed_label))?;
    let (server_settings, settings_label) = &settings.settings;
    let options = ServerSettings::from_json(server_settings, settings_label)?.apply(options);
    match ServerTlsSettings::from_json(settings.tls)? {
        Some(tls) => options.with_tls(&tls),
        None => Ok(options),
    }
}

/// The addresses of `АдресПрослушивания` with `port`; `None` for `""` (every interface).
fn listen_addresses(text: &str, port: u16, label: &str) -> Result<Option<Vec<SocketAddr>>> {
    let addresses = text
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .map(|ip| SocketAddr::new(ip, port))
                .map_err(|_| {
                    Error::argument(
                        label,
                        format!("{entry:?} is not an IP address (the port is Порт / Port)"),
                    )
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((!addresses.is_empty()).then_some(addresses))
}

/// Reads connection `id` by `rules` and answers in OPI's shape: `{"result": true,
/// "connectionId", "message" (base64), "active", "address", "end"}`.
fn read_json(server: &Server, id: &str, rules: &ReadRules) -> Result<String> {
    let ServerRead {
        data,
        end,
        active,
        peer,
    } = server.read(id, &rules.limits())?;
    Ok(json!({
        "result": true,
        "connectionId": id,
        "message": base64::engine::general_purpose::STANDARD.encode(data),
        "active": active,
        "address": peer.to_string(),
        "end": end.as_str(),
    })
    .to_string())
}

/// OPI's answer when no data came in time.
fn timed_out() -> String {
    json!({"result": false, "error": "timeout"}).to_string()
}
