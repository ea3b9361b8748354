//! `--starttls`: the few lines of SMTP, IMAP, POP3 or FTP that come before a STARTTLS upgrade.
//! The connection opens as plain TCP, the client asks the server to start TLS the way its
//! protocol says, and once the server agrees the same socket is upgraded by
//! [`Connection::start_tls`] with the TLS options given (verification on by default). A server
//! that says anything after its go-ahead is refused there (the STARTTLS injection flaw).
//! Resolving, connecting, the dialogue and the handshake share the one `--connect-timeout`.

use clap::ValueEnum;
use tcplink::{
    ConnectOptions, Connection, Deadline, Endpoint, Error, ErrorKind, ReadEnd, ReadLimits, Result,
    TlsSettings, Transport,
};

/// The longest reply line accepted (RFC 5321 allows 512 bytes; servers go beyond it).
const MAX_LINE: usize = 8192;

/// The protocols `--starttls` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// SMTP (RFC 3207): 220 greeting, EHLO, STARTTLS, 220.
    Smtp,
    /// IMAP (RFC 9051): `* OK` greeting, `a1 STARTTLS`, `a1 OK`.
    Imap,
    /// POP3 (RFC 2595): `+OK` greeting, STLS, `+OK`.
    Pop3,
    /// FTP (RFC 4217): 220 greeting, AUTH TLS, 234.
    Ftp,
}

/// Connects to `endpoint`: as it says, or with `starttls`, plain TCP upgraded after the
/// protocol's dialogue with the endpoint's TLS settings (defaults when it has none).
pub fn connect(
    endpoint: &Endpoint,
    options: &ConnectOptions,
    starttls: Option<Protocol>,
) -> Result<Box<dyn Transport>> {
    let Some(protocol) = starttls else {
        return endpoint.connect(options);
    };
    let deadline = Deadline::after(options.connect_timeout);
    let plain = Endpoint {
        tls: None,
        ..endpoint.clone()
    };
    let settings = endpoint.tls.clone().unwrap_or(TlsSettings {
        use_tls: true,
        ..TlsSettings::default()
    });
    let mut conn = Connection::open(&plain, options)?;
    let mut dialogue = Dialogue {
        conn: &mut conn,
        deadline,
        protocol,
    };
    dialogue.run()?;
    conn.start_tls(&settings, time_left(deadline, protocol)?)?;
    conn.into_transport()
        .ok_or_else(|| Error::new(ErrorKind::Closed, "the connection is closed"))
}

/// The time left until `deadline`, or the time-out error of the dialogue.
fn time_left(deadline: Deadline, protocol: Protocol) -> Result<Option<std::time::Duration>> {
    deadline.time_left().map_err(|_| {
        Error::new(
            ErrorKind::Timeout,
            format!("STARTTLS ({}): the connect timeout passed", protocol.name()),
        )
    })
}

impl Protocol {
    /// The name used on the command line.
    fn name(self) -> &'static str {
        match self {
            Protocol::Smtp => "smtp",
            Protocol::Imap => "imap",
            Protocol::Pop3 => "pop3",
            Protocol::Ftp => "ftp",
        }
    }
}

/// One STARTTLS dialogue on a plain connection.
struct Dialogue<'a> {
    conn: &'a mut Connection,
    deadline: Deadline,
    protocol: Protocol,
}

impl Dialogue<'_> {
    /// Speaks the protocol up to the server's go-ahead.
    fn run(&mut self) -> Result<()> {
        match self.protocol {
            Protocol::Smtp => {
                self.expect_code("220", "the greeting")?;
                let local = self.conn.local_addr().map(|a| a.ip());
                let helo = match local {
                    Some(std::net::IpAddr::V6(ip)) => format!("EHLO [IPv6:{ip}]\r\n"),
                    Some(ip) => format!("EHLO [{ip}]\r\n"),
                    None => "EHLO localhost\r\n".to_string(),
                };
                self.send(&helo)?;
                self.expect_code("250", "EHLO")?;
                self.send("STARTTLS\r\n")?;
                self.expect_code("220", "STARTTLS")
            }
            Protocol::Ftp => {
                self.expect_code("220", "the greeting")?;
                self.send("AUTH TLS\r\n")?;
                self.expect_code("234", "AUTH TLS")
            }
            Protocol::Pop3 => {
                self.expect_prefix("+OK", "the greeting")?;
                self.send("STLS\r\n")?;
                self.expect_prefix("+OK", "STLS")
            }
            Protocol::Imap => {
                self.expect_prefix("* OK", "the greeting")?;
                self.send("a1 STARTTLS\r\n")?;
                // Untagged lines (`* ...`) may come before the tagged answer.
                loop {
                    let line = self.line()?;
                    if line.starts_with("a1 ") {
                        return self.check(line.starts_with("a1 OK"), "a1 STARTTLS", &line);
                    }
                }
            }
        }
    }

    fn send(&mut self, text: &str) -> Result<()> {
        let left = time_left(self.deadline, self.protocol)?;
        self.conn.send(text.as_bytes(), left)
    }

    /// One line of the server's, without its line end.
    fn line(&mut self) -> Result<String> {
        let limits = ReadLimits {
            max_size: MAX_LINE,
            marker: b"\n",
            timeout: time_left(self.deadline, self.protocol)?,
            idle_timeout: None,
        };
        let read = self.conn.read(&limits)?;
        let text = String::from_utf8_lossy(&read.data).trim_end().to_string();
        match read.end {
            ReadEnd::Marker => Ok(text),
            ReadEnd::Timeout | ReadEnd::Idle => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "STARTTLS ({}) with {}: no complete reply line in time (got {text:?})",
                    self.protocol.name(),
                    self.conn.peer()
                ),
            )),
            _ => Err(self.refusal(
                "a reply",
                &format!("{text:?} and then {}", read.end.as_str()),
            )),
        }
    }

    /// Reads a reply of numbered lines (SMTP, FTP): `NNN-` lines continue it, the line that
    /// starts `NNN ` ends it; fails unless the code is `code`.
    fn expect_code(&mut self, code: &str, after: &str) -> Result<()> {
        let first = self.line()?;
        let mut last = first.clone();
        if first.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{} ", &first[..3]);
            while !(last.starts_with(&end) || last == end.trim_end()) {
                last = self.line()?;
            }
        }
        self.check(
            first.starts_with(code) && last.starts_with(code),
            after,
            &last,
        )
    }

    /// Reads one line and fails unless it starts with `prefix`.
    fn expect_prefix(&mut self, prefix: &str, after: &str) -> Result<()> {
        let line = self.line()?;
        self.check(line.starts_with(prefix), after, &line)
    }

    fn check(&self, ok: bool, after: &str, line: &str) -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(self.refusal(&format!("the answer to {after}"), &format!("{line:?}")))
        }
    }

    fn refusal(&self, what: &str, got: &str) -> Error {
        Error::new(
            ErrorKind::Tls,
            format!(
                "STARTTLS ({}) with {} failed: {what} was {got}",
                self.protocol.name(),
                self.conn.peer()
            ),
        )
    }
}
