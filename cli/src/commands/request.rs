//! `tcplink request`: the seed's ProcessRequest (connect, send, read until the marker, close),
//! with the answer written to stdout as it arrives, a progress bar for large transfers and a
//! `--verbose` report; several requests go to [`crate::batch`].

use std::io::Write;
use std::time::Duration;

use tcplink::{
    ConnectOptions, Deadline, Endpoint, Error, ReadBuffer, ReadLimits, Result, StreamError,
    StreamOutcome, TlsInfo, Transport,
};

use crate::args::RequestArgs;
use crate::batch;
use crate::escapes;
use crate::input::{self, Payload};
use crate::output;
use crate::progress::{Counting, Progress};
use crate::render::{Format, Renderer};
use crate::starttls::{self, Protocol};

/// How much is written under one `--timeout`.
const SEND_CHUNK: usize = 64 * 1024;

/// How long closing may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Runs `tcplink request`.
pub fn run(args: &RequestArgs) -> Result<()> {
    if batch::wanted(args) {
        return batch::run(args);
    }
    let endpoint = args.endpoint.endpoint(&args.address[0])?;
    let marker = escapes::parse_marker(&args.marker)?;
    let limits = ReadLimits {
        max_size: args.max_size,
        marker: &marker,
        idle_timeout: Some(args.idle_timeout),
        timeout: Some(args.timeout),
    };
    let payload = input::load(&args.data)?;
    let options = args.endpoint.connect_options(args.verbose);
    let format = match (args.hex, args.string) {
        (true, _) => Format::Hex,
        (false, true) => Format::Text,
        (false, false) => Format::Raw,
    };
    let mut stdout = Renderer::new(std::io::stdout().lock(), format);
    let exchange = exchange(
        &endpoint,
        &options,
        args.endpoint.starttls,
        &payload,
        &limits,
        args.verbose,
        &mut stdout,
    )?;
    stdout.finish().map_err(|e| Error::from_io(&e, WRITING))?;
    if args.verbose {
        output::note(&format!(
            "read ended on {} after {} bytes",
            exchange.answer.end.as_str(),
            exchange.answer.len
        ));
    }
    Ok(())
}

/// What a failure to pass the answer on is called.
const WRITING: &str = "writing the answer";

/// What one round trip brought back.
#[derive(Debug)]
pub struct Exchange {
    /// How long the answer was and why reading it ended.
    pub answer: StreamOutcome,
    /// The negotiated TLS parameters, for TLS connections.
    pub tls: Option<TlsInfo>,
}

/// Connects to `endpoint` (plain, then upgraded, with `starttls`), sends `payload` (each 64 KiB within the whole-read timeout of
/// `limits`), reads one answer by the reading rules into `answer` as it arrives, and closes.
/// With `verbose`, reports the connection on stderr.
pub fn exchange(
    endpoint: &Endpoint,
    options: &ConnectOptions,
    starttls: Option<Protocol>,
    payload: &Payload,
    limits: &ReadLimits<'_>,
    verbose: bool,
    answer: &mut dyn Write,
) -> Result<Exchange> {
    limits.validate()?;
    let peer = endpoint.target.to_string();
    let mut transport = starttls::connect(endpoint, options, starttls)?;
    if verbose {
        output::report_connection(&peer, transport.as_ref());
    }
    send(transport.as_mut(), payload, limits.timeout, &peer)?;
    let mut progress = Progress::new("receiving", None, true);
    let mut source = Counting {
        inner: transport.as_mut(),
        progress: &mut progress,
    };
    let answer = ReadBuffer::new()
        .read_to(&mut source, limits, answer)
        .map_err(|e| match e {
            StreamError::Read(e) => Error::from_io(&e, &format!("reading from {peer}")),
            StreamError::Write(e) => Error::from_io(&e, WRITING),
        });
    progress.finish();
    let answer = answer?;
    let tls = transport.tls_info();
    transport.set_write_deadline(Deadline::after(Some(CLOSE_TIMEOUT)));
    // The answer is complete; a peer that is already gone does not make the request fail.
    let _ = transport.shutdown();
    Ok(Exchange { answer, tls })
}

/// Sends `payload` in chunks, each within `timeout`, with a progress bar for large files.
fn send(
    transport: &mut dyn Transport,
    payload: &Payload,
    timeout: Option<Duration>,
    peer: &str,
) -> Result<()> {
    let failed = |e: std::io::Error| Error::from_io(&e, &format!("sending to {peer}"));
    let total = Some(payload.bytes.len() as u64);
    let mut progress = Progress::new("sending", total, payload.from_stream);
    let result = payload.bytes.chunks(SEND_CHUNK).try_for_each(|chunk| {
        transport.set_write_deadline(Deadline::after(timeout));
        transport
            .write_all(chunk)
            .and_then(|_| transport.flush())
            .map_err(failed)?;
        progress.advance(chunk.len());
        Ok(())
    });
    progress.finish();
    result
}
