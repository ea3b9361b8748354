//! The command line: subcommands and options (clap derive). Values that need more than clap's
//! checks (JSON, URLs, escapes, files) are kept as text and checked where they are used, so their
//! errors carry the `argument` kind and exit code.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

/// A TCP/TLS client with SOCKS4/5 and HTTP CONNECT proxies, a request/response mode that reads
/// until a marker, an ncat-style stream mode, and a TCP/TLS server.
#[derive(Debug, Parser)]
#[command(
    name = "tcplink",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect, send data, read the answer until the marker (or the size limit, the timeout,
    /// EOF), print it to stdout and close: the seed's ProcessRequest. With several --address or
    /// a --requests file, the requests run at once (--threads at a time) and each result is
    /// printed as a JSON line, in order.
    Request(RequestArgs),
    /// Connect and pipe stdin to the server and the server to stdout, as ncat does. When stdin
    /// ends, the sending side is closed (TLS close_notify, then a TCP half-close) and the answer
    /// is read until the server closes.
    Connect(ConnectArgs),
    /// Connect over TLS WITHOUT verifying the certificate and print what to pin: the public
    /// key's fingerprint (sha256//<base64>), the certificate's SHA-256, subject, issuer and
    /// validity, and the TLS settings JSON that pins the key. Nothing is sent. This first
    /// connection proves nothing: compare the fingerprint with the one the device shows on its
    /// screen or label, or that its owner gives you over another channel, before you trust it.
    Pin(PinArgs),
    /// Listen for clients (plain TCP or TLS, with client certificates if asked) and print what
    /// they send to stdout while stdin goes to them, as `ncat -l` does; or echo (--echo). Each
    /// client is served on its own thread. Serves one client and exits when it leaves, or keeps
    /// serving with --keep-open.
    ///
    /// Stdin goes to every client connected (ncat --broker style), and when it ends their
    /// sending sides are closed. A client that ends its sending side (a half-close, as ncat and
    /// socat do when their stdin ends) is closed at once when printing, as `ncat -l` closes it:
    /// stdin no longer reaches it. With --echo it first gets the echo of all it sent.
    Serve(ServeArgs),
    /// Start an echo server in this process and talk to it over plain TCP and over TLS with
    /// every compiled TLS backend: a self-contained tour that needs no network.
    Demo,
}

/// `tcplink request`.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// The server: HOST:PORT, [IPv6]:PORT, a bare host (port 80), or tcp://, http:// (80) or
    /// https:// (443) URLs; the scheme picks the default port only, never TLS. Repeat it to
    /// send the same data to several servers at once.
    #[arg(
        short,
        long,
        value_name = "HOST:PORT",
        required_unless_present = "requests"
    )]
    pub address: Vec<String>,

    /// A file of requests (- for stdin): a JSON array of objects, or one object per line, with
    /// the add-in's ProcessRequests fields (address, data or data_base64, tls, proxy, marker or
    /// marker_base64, max_size, timeout, idle_timeout, connect_timeout in ms). A field a request
    /// does not give comes from the options here.
    #[arg(short, long, value_name = "FILE|-")]
    pub requests: Option<String>,

    /// With several requests: how many run at once (at most 256).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: u32,

    /// What to send: the text itself, @FILE for a file's bytes, or - for stdin. Nothing is sent
    /// when empty.
    #[arg(
        short,
        long,
        value_name = "TEXT|@FILE|-",
        default_value = "",
        hide_default_value = true
    )]
    pub data: String,

    /// true: print the answer as UTF-8 text, with bytes that are not UTF-8 replaced by U+FFFD
    /// (the seed's ОтветСтрокой); valid UTF-8 is printed byte for byte. false: print the bytes as
    /// they arrived.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set)]
    pub string: bool,

    /// Print the answer as hexadecimal digits and a newline instead.
    #[arg(long)]
    pub hex: bool,

    /// The end of the answer (included in it): text with \n \r \t \0 \\ \xHH escapes, or
    /// hex:0d0a. Empty: read until the size limit, the timeout or EOF.
    #[arg(short, long, value_name = "MARKER", default_value = r"\n")]
    pub marker: String,

    /// The most bytes to read; 0 means no limit.
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub max_size: usize,

    /// The time limit of the whole read, counted from its start (the add-in's Таймаут), also
    /// the time limit for each 64 KiB sent (500ms, 5s, 1m; a bare number is milliseconds; 0:
    /// none). A read that times out prints what arrived.
    #[arg(short, long, value_name = "DURATION", default_value = "5000", value_parser = parse_duration)]
    pub timeout: Duration,

    /// End the read when no byte arrived for this long (the add-in's ТаймаутОжидания; 0: never).
    /// A read that goes idle prints what arrived.
    #[arg(short = 'i', long, value_name = "DURATION", default_value = "0", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// Print the connection, the negotiated TLS parameters and why the read ended to stderr.
    #[arg(short, long)]
    pub verbose: bool,

    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

/// `tcplink connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The server: HOST:PORT, [IPv6]:PORT, a bare host (port 80), or tcp://, http:// (80) or
    /// https:// (443) URLs; the scheme picks the default port only, never TLS.
    #[arg(value_name = "HOST:PORT")]
    pub address: String,

    /// Give up when nothing was sent or received for this long (0: never).
    #[arg(short = 'i', long, value_name = "DURATION", default_value = "0", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// Print the connection and the negotiated TLS parameters to stderr.
    #[arg(short, long)]
    pub verbose: bool,

    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

/// `tcplink pin`.
#[derive(Debug, Args)]
pub struct PinArgs {
    /// The server: HOST:PORT, [IPv6]:PORT, or a URL (https:// for port 443).
    #[arg(value_name = "HOST:PORT")]
    pub address: String,

    /// Print each step of connecting to stderr.
    #[arg(short, long)]
    pub verbose: bool,

    /// TLS is always on and the certificate never verified here; --ca and --pin are ignored.
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

/// How to reach the server: TLS, proxy and connect time limit. Shared by `request`,
/// `connect` and `pin`.
#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// TLS settings: JSON text or the path of a .json file with the seed's fields use_tls,
    /// accept_invalid_certs, ca_cert_path and the optional client_cert_path, client_key_path,
    /// client_pfx_path, client_pfx_password, server_name, alpn, min_version, backend,
    /// pinned_sha256. The TLS flags below override its fields.
    #[arg(long, value_name = "JSON|FILE", help_heading = "TLS")]
    pub tls: Option<String>,

    /// Use TLS with default settings (verification on). Every TLS flag below implies it.
    #[arg(long, help_heading = "TLS")]
    pub ssl: bool,

    /// Accept any certificate and host name (testing only).
    #[arg(long, help_heading = "TLS")]
    pub tls_insecure: bool,

    /// A PEM file of CA certificates to trust besides the system's.
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub ca: Option<PathBuf>,

    /// A public key the server may have (repeat, or join with ;), as `tcplink pin` prints it:
    /// sha256//<base64>, or 64 hex digits with or without colons. A server whose key matches
    /// none is refused; with --tls-insecure the pin is the only check (curl's --pinnedpubkey).
    #[arg(
        long = "pin",
        alias = "pinnedpubkey",
        value_name = "PIN",
        help_heading = "TLS"
    )]
    pub pins: Vec<String>,

    /// A PEM client certificate (chain) for mutual TLS; needs --key.
    #[arg(long, value_name = "FILE", help_heading = "TLS", requires = "key")]
    pub cert: Option<PathBuf>,

    /// The PEM private key of --cert.
    #[arg(long, value_name = "FILE", help_heading = "TLS", requires = "cert")]
    pub key: Option<PathBuf>,

    /// A PKCS#12 file (.pfx/.p12, as Windows exports it) with the client certificate, its chain
    /// and its key, for mutual TLS; instead of --cert and --key.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "TLS",
        conflicts_with = "cert"
    )]
    pub pfx: Option<PathBuf>,

    /// Where the password of --pfx comes from: env:VARIABLE, file:PATH (its first line) or
    /// pass:PASSWORD (seen by other users in the process list). None: the empty password.
    #[arg(long, value_name = "SOURCE", help_heading = "TLS", requires = "pfx")]
    pub pfx_pass: Option<String>,

    /// The server name to send (SNI) and to check the certificate against, instead of the host.
    #[arg(long, value_name = "NAME", help_heading = "TLS")]
    pub sni: Option<String>,

    /// ALPN protocols to offer, most preferred first (repeat or separate with commas).
    #[arg(
        long,
        value_name = "PROTO",
        help_heading = "TLS",
        value_delimiter = ','
    )]
    pub alpn: Vec<String>,

    /// The lowest TLS version to accept: 1.2 or 1.3.
    #[arg(long, value_name = "VERSION", help_heading = "TLS", value_parser = ["1.2", "1.3"])]
    pub tls_min: Option<String>,

    /// The TLS backend: rustls, openssl or native-tls (those compiled into this build).
    #[arg(long, value_name = "NAME", help_heading = "TLS")]
    pub backend: Option<String>,

    /// The proxy: a URL (socks5://user:pass@host:port, socks4://, socks4a://, http://), JSON
    /// text with the seed's fields server, port, proxy_type, login, password, or a .json file.
    #[arg(long, value_name = "URL|JSON|FILE", help_heading = "Connection")]
    pub proxy: Option<String>,

    /// Start plain and upgrade to TLS the way the protocol says (SMTP: EHLO, STARTTLS; IMAP:
    /// a1 STARTTLS; POP3: STLS; FTP: AUTH TLS), with the TLS options given (verification on by
    /// default). Anything the server sends after its go-ahead refuses the upgrade.
    #[arg(long, value_name = "PROTOCOL", help_heading = "TLS")]
    pub starttls: Option<crate::starttls::Protocol>,

    /// One bound on resolving, connecting, the proxy and the TLS handshakes (0: none).
    #[arg(long, value_name = "DURATION", default_value = "10000", value_parser = parse_duration, help_heading = "Connection")]
    pub connect_timeout: Duration,

    /// Happy Eyeballs (RFC 8305): when a name has several addresses (IPv6 and IPv4 interleaved),
    /// start the next attempt after this long without an answer, or at once when one fails; the
    /// first to connect wins. Through a proxy it applies to the proxy's addresses. 0: one
    /// address at a time, each until it fails.
    #[arg(long, value_name = "DURATION", default_value = "250ms", value_parser = parse_duration, help_heading = "Connection")]
    pub attempt_delay: Duration,
}

/// `tcplink serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen: IP, IP:PORT or [IPv6]:PORT (repeat for several; 0.0.0.0 and [::] are
    /// every interface). An address without a port takes --port.
    #[arg(
        short,
        long,
        visible_alias = "bind",
        value_name = "ADDR",
        default_value = "127.0.0.1"
    )]
    pub listen: Vec<String>,

    /// The port to listen on; 0 picks a free one (printed at start).
    #[arg(short, long, value_name = "N", default_value_t = 0)]
    pub port: u16,

    /// Send every byte back to the client it came from instead of printing it (stdin is not
    /// read). A client that ends its sending side (as ncat and socat do when their stdin ends)
    /// gets the echo of everything it sent, then the end of the server's.
    #[arg(long)]
    pub echo: bool,

    /// Print what arrives as hexadecimal digits, one line per chunk received.
    #[arg(long, conflicts_with = "echo")]
    pub hex: bool,

    /// Keep serving after the first client leaves, and let several in at once (ncat's -k).
    /// Without it the first client is served alone and the server exits when it leaves.
    #[arg(short, long)]
    pub keep_open: bool,

    /// With --keep-open: the most clients connected at once; others are refused at once.
    #[arg(short = 'm', long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Let in only clients from these addresses or CIDR ranges (repeat, or separate with
    /// commas); others are closed at once.
    #[arg(short, long, value_name = "CIDR", value_delimiter = ',')]
    pub allow: Vec<String>,

    /// How long sending to one client may take before it is given up and the client dropped
    /// (0: no limit).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub send_timeout: Duration,

    /// Print who connected, was refused or left (and errors) to stderr.
    #[arg(short, long)]
    pub verbose: bool,

    /// Speak TLS with a self-signed certificate for localhost, 127.0.0.1 and ::1, generated at
    /// start; its public-key pin and SHA-256 fingerprint are printed.
    #[arg(long, help_heading = "TLS", conflicts_with_all = ["tls_cert", "pfx"])]
    pub tls: bool,

    /// Write the generated certificate (PEM) here, for a client's --ca.
    #[arg(long, value_name = "FILE", help_heading = "TLS", requires = "tls")]
    pub cert_out: Option<PathBuf>,

    /// Speak TLS with this PEM certificate chain (the server's own first); needs --tls-key.
    #[arg(long, value_name = "FILE", help_heading = "TLS", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", help_heading = "TLS", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Speak TLS with the certificate, chain and key of this PKCS#12 file (.pfx/.p12).
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "TLS",
        conflicts_with = "tls_cert"
    )]
    pub pfx: Option<PathBuf>,

    /// Where the password of --pfx comes from: env:VARIABLE, file:PATH (its first line) or
    /// pass:PASSWORD (seen by other users in the process list). None: the empty password.
    #[arg(long, value_name = "SOURCE", help_heading = "TLS", requires = "pfx")]
    pub pfx_pass: Option<String>,

    /// Ask clients for a certificate issued by a CA in this PEM file (mutual TLS); one that does
    /// not verify is refused.
    #[arg(long, value_name = "FILE", help_heading = "TLS")]
    pub client_ca: Option<PathBuf>,

    /// With --client-ca: whether a client must present a certificate.
    #[arg(long, value_name = "WHEN", help_heading = "TLS", requires = "client_ca",
          value_parser = ["required", "optional"], default_value = "required")]
    pub client_cert: String,

    /// The TLS backend: rustls, openssl or native-tls (those compiled into this build;
    /// native-tls cannot verify client certificates).
    #[arg(long, value_name = "NAME", help_heading = "TLS")]
    pub tls_backend: Option<String>,
}

/// Parses `500ms`, `5s`, `2m` or a bare number of milliseconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (examples: 500ms, 5s, 1m, 1500)"))?;
    match unit {
        "" | "ms" => Ok(Duration::from_millis(value)),
        "s" => Ok(Duration::from_secs(value)),
        "m" => Ok(Duration::from_secs(value.saturating_mul(60))),
        other => Err(format!(
            "unknown unit {other:?} in {text:?} (use ms, s or m)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("1500").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn seed_options_parse() {
        let cli = Cli::try_parse_from([
            "tcplink",
            "request",
            "--address",
            "h:1",
            "--data",
            "x",
            "--string",
            "false",
        ])
        .unwrap();
        let Command::Request(args) = cli.command else {
            panic!("not a request")
        };
        assert!(!args.string);
        assert_eq!(args.marker, r"\n");
        let cli = Cli::try_parse_from([
            "tcplink",
            "connect",
            "h:1",
            "--alpn",
            "h2,http/1.1",
            "--alpn",
            "x",
        ])
        .unwrap();
        let Command::Connect(args) = cli.command else {
            panic!("not connect")
        };
        assert_eq!(args.endpoint.alpn, ["h2", "http/1.1", "x"]);
    }
}
