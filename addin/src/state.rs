//! The state of one `TcpClient` object: its connection, settings and the outcome of the last
//! call, and the operations the methods perform on it.

use std::sync::Arc;
use std::time::Duration;

use crate::log::{EventLog, LogSettings};
use crate::object::Common;
use tcplink::batch_json::{requests_from_json, results_json, AnswerForm};
use tcplink::tls::Pins;
use tcplink::{
    process_request, process_requests, BorrowedRead, ConnectOptions, Connection, Endpoint, Error,
    ErrorKind, EventSink, ProxySettings, ReadEnd, ReadLimits, ReadOutcome, Request, Result,
    TlsSettings,
};

/// The default of `ТаймаутПодключения` / `ConnectTimeout`, in milliseconds.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 10_000;

/// The default of `ЗадержкаПопыткиПодключения` / `ConnectAttemptDelay`, in milliseconds: the
/// library's [`tcplink::DEFAULT_ATTEMPT_DELAY`].
pub const DEFAULT_ATTEMPT_DELAY_MS: u32 = tcplink::DEFAULT_ATTEMPT_DELAY.as_millis() as u32;

/// One add-in object's state. Every method of the object works through this.
#[derive(Debug)]
pub struct ClientState {
    connection: Option<Connection>,
    /// The bound on connecting, in ms; 0 means no limit.
    pub connect_timeout_ms: u32,
    /// Happy Eyeballs: how long an attempt to one of a name's addresses runs before the next
    /// one starts beside it, in ms; 0 tries one address at a time.
    pub attempt_delay_ms: u32,
    /// Exception mode, the last error and the event log.
    pub common: Common,
    /// Why the last read (of this object's connection, or of `ОбработатьЗапрос`) ended.
    pub last_read_end: Option<ReadEnd>,
}

impl Default for ClientState {
    fn default() -> Self {
        ClientState {
            connection: None,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            attempt_delay_ms: DEFAULT_ATTEMPT_DELAY_MS,
            common: Common::default(),
            last_read_end: None,
        }
    }
}

impl ClientState {
    /// `ТаймаутПодключения` as a bound (zero: none).
    fn connect_timeout(&self) -> Option<Duration> {
        Some(Duration::from_millis(u64::from(self.connect_timeout_ms)))
    }

    fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            connect_timeout: self.connect_timeout(),
            attempt_delay: Some(Duration::from_millis(u64::from(self.attempt_delay_ms))),
            events: self
                .common
                .log
                .as_ref()
                .map(|log| Arc::clone(log) as Arc<dyn EventSink>),
            ..ConnectOptions::default()
        }
    }

    fn open_connection(&mut self) -> Result<&mut Connection> {
        open(&mut self.connection)
    }

    /// Whether a connection is open: from a successful [`connect`](Self::connect) until
    /// [`close`](Self::close), a failed reconnect, or the object's destruction. A peer that
    /// closed its side does not change it; reads then end on `eof`.
    pub fn is_connected(&self) -> bool {
        self.connection.as_ref().is_some_and(Connection::is_open)
    }

    /// What TLS negotiated, as JSON, or `""` for plain TCP or no connection.
    pub fn tls_info_json(&self) -> String {
        self.connection
            .as_ref()
            .and_then(Connection::tls_info)
            .map(|i| i.to_json())
            .unwrap_or_default()
    }

    /// Connects, replacing (closing) any open connection. The settings are checked first: bad
    /// settings leave the open connection alone. Logging settings (`log_json`, `""`: keep the
    /// log as it is) start a new event log for this object; `log_param` names them in errors.
    pub fn connect(
        &mut self,
        address: &str,
        tls_json: &str,
        proxy_json: &str,
        (log_json, log_param): (&str, &str),
    ) -> Result<()> {
        #[cfg(feature = "panic-trigger")]
        self.common.panic_trigger.on_connect(address);
        let endpoint = Endpoint::parse(address, tls_json, proxy_json)?;
        if let Some(settings) = LogSettings::from_json(log_json, log_param)? {
            self.common.log = Some(Arc::new(EventLog::open(&settings, log_param)?));
        }
        self.close();
        self.last_read_end = None;
        self.connection = Some(Connection::open(&endpoint, &self.connect_options())?);
        Ok(())
    }

    /// Closes the connection, if there is one; closing twice is fine.
    pub fn close(&mut self) {
        if let Some(mut conn) = self.connection.take() {
            let _ = conn.close();
        }
    }

    /// Sends `data` within `timeout`.
    pub fn send(&mut self, data: &[u8], timeout: Option<Duration>) -> Result<()> {
        self.open_connection()?.send(data, timeout)
    }

    /// `НачатьTls`: upgrades the open plain connection to TLS (STARTTLS) with the settings JSON
    /// `tls_json` (`""`: TLS with every default), within this object's connect timeout (see
    /// [`Connection::start_tls`]: unread plaintext refuses the upgrade and closes the
    /// connection). Settings that turn TLS off are an `argument` error.
    pub fn start_tls(&mut self, tls_json: &str) -> Result<()> {
        let settings = if tls_json.trim().is_empty() {
            // Every default: verification on, the default backend.
            TlsSettings::default()
        } else {
            TlsSettings::from_json(tls_json)?.ok_or_else(|| {
                Error::argument("Tls", "use_tls is false: the settings do not ask for TLS")
            })?
        };
        let timeout = self.connect_timeout();
        self.open_connection()?.start_tls(&settings, timeout)
    }

    /// `ЗавершитьОтправку`: closes the sending half within `timeout` (see
    /// [`Connection::finish_sending`]); reading goes on.
    pub fn finish_sending(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.open_connection()?.finish_sending(timeout)
    }

    /// Reads by the reading rules, lending the data in place (see
    /// [`Connection::read_borrowed`]), and remembers why the read ended.
    pub fn read_borrowed(&mut self, limits: &ReadLimits<'_>) -> Result<BorrowedRead<'_>> {
        // Borrows only the connection, so that the last read's end can be recorded beside it.
        let result = open(&mut self.connection).and_then(|conn| conn.read_borrowed(limits));
        self.last_read_end = Some(result.as_ref().map_or(ReadEnd::Error, BorrowedRead::end));
        result
    }

    /// `ОбработатьЗапрос`: a separate connect-send-read-close round trip, bounded by this
    /// object's connect timeout; the object's own connection is not touched.
    pub fn process_request(
        &mut self,
        address: &str,
        data: Vec<u8>,
        tls_json: &str,
        proxy_json: &str,
    ) -> Result<ReadOutcome> {
        let endpoint = Endpoint::parse(address, tls_json, proxy_json)?;
        let mut request = Request::new(endpoint, data);
        request.connect = self.connect_options();
        let result = process_request(&request);
        self.last_read_end = Some(result.as_ref().map_or(ReadEnd::Error, |o| o.end));
        result
    }

    /// `ОбработатьЗапросы`: the requests of the JSON batch `json` (see [`tcplink::batch_json`];
    /// a malformed one is an `argument` error for `param`), each a round trip like
    /// [`process_request`](Self::process_request) bounded by this object's connect timeout and
    /// reporting to its event log, run on up to `threads` threads. Returns the results as a JSON
    /// array in the order of the requests; the object's own connection and `last_read_end` are
    /// not touched.
    pub fn process_requests(
        &self,
        json: &str,
        param: &str,
        form: AnswerForm,
        threads: usize,
    ) -> Result<String> {
        let options = self.connect_options();
        let requests = requests_from_json(json, param, |target| {
            let endpoint = Endpoint {
                target,
                tls: None,
                proxy: None,
            };
            let mut request = Request::new(endpoint, Vec::new());
            request.connect = options.clone();
            request
        })?;
        let results = process_requests(&requests, threads);
        Ok(results_json(&requests, &results, form))
    }
}

/// The open connection in `connection`, or the error of a call that needs one.
fn open(connection: &mut Option<Connection>) -> Result<&mut Connection> {
    connection.as_mut().filter(|c| c.is_open()).ok_or_else(|| {
        Error::new(
            ErrorKind::Closed,
            "the connection is not open (call ОткрытьСоединение / Connect first)",
        )
    })
}

/// `ПолучитьНастройкиTls`: the seed's TLS settings JSON, with the keys in `pins` pinned
/// (`pinned_sha256`). `pins` is one pin, several separated by `;`, `,`, spaces or line breaks, or
/// a JSON array of them; `pins_param` names it in errors, which say which pin is malformed and
/// why.
pub fn tls_settings_json(
    accept_invalid_certs: bool,
    ca_cert_path: &str,
    (pins, pins_param): (&str, &str),
) -> Result<String> {
    let mut settings = TlsSettings::seed(accept_invalid_certs, ca_cert_path);
    settings.pinned_sha256 = pin_list(pins, pins_param)?;
    Pins::parse(&settings.pinned_sha256).map_err(renamed(pins_param))?;
    Ok(settings.to_json())
}

/// The pins in `text`: a JSON array of strings, or pins separated by `;`, `,` or white space.
fn pin_list(text: &str, param: &str) -> Result<Vec<String>> {
    let text = text.trim();
    if text.starts_with('[') {
        return serde_json::from_str(text)
            .map_err(|e| Error::argument(param, format!("invalid JSON array of pins: {e}")));
    }
    Ok(text
        .split(|c: char| c == ';' || c == ',' || c.is_whitespace())
        .filter(|pin| !pin.is_empty())
        .map(str::to_string)
        .collect())
}

/// An argument error of the library (`name: problem`) told as one about the parameter `label`.
pub fn renamed(label: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| {
        let message = e.message();
        let problem = message.split_once(": ").map_or(message, |(_, p)| p);
        Error::argument(label, problem)
    }
}

/// `ПолучитьНастройкиПрокси`: the seed's proxy settings JSON, with the host, port and kind
/// checked; a bad value is an `argument` error naming the method's parameter (`Порт (Port)`).
pub fn proxy_settings_json(
    server: &str,
    port: i64,
    kind: &str,
    login: &str,
    password: &str,
) -> Result<String> {
    if server.trim().is_empty() {
        return Err(tcplink::Error::argument("Адрес (Address)", "empty host"));
    }
    tcplink::HostPort::new(server, port, "").map_err(renamed("Порт (Port)"))?;
    tcplink::ProxyKind::parse(kind).map_err(renamed("Вид (Kind)"))?;
    Ok(ProxySettings::new(server, port, kind, login, password)?.to_json())
}
