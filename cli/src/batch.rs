//! The batch mode of `tcplink request`: the same data to several `--address`es and/or the
//! requests of a `--requests` file (the add-in's `ProcessRequests` JSON), run at once on up to
//! `--threads` threads, each result printed as one JSON line in the order of the requests.

use std::io::Read;
use std::time::Duration;

use tcplink::batch_json::{requests_from_json, result_json, AnswerForm};
use tcplink::{process_requests, Endpoint, Error, ErrorKind, HostPort, Request, Result};

use crate::args::RequestArgs;
use crate::escapes;
use crate::input;
use crate::output;

/// Whether `args` ask for a batch rather than one streamed request.
pub fn wanted(args: &RequestArgs) -> bool {
    args.address.len() != 1 || args.requests.is_some()
}

/// Runs the batch: prints each result as a JSON line, in order. Fails after printing them all
/// when any request failed, with the first failure's kind (and so its exit code).
pub fn run(args: &RequestArgs) -> Result<()> {
    if args.hex {
        return Err(Error::argument(
            "--hex",
            "prints one answer; with several requests use --string false for base64 answers",
        ));
    }
    if args.data == "-" && args.requests.as_deref() == Some("-") {
        return Err(Error::argument(
            "--requests",
            "stdin cannot hold both --data and the requests",
        ));
    }
    let requests = requests(args)?;
    let form = if args.string {
        AnswerForm::Text
    } else {
        AnswerForm::Base64
    };
    let results = process_requests(&requests, args.threads as usize);
    let mut stdout = std::io::stdout().lock();
    let mut first_failure = None;
    for (index, (request, result)) in requests.iter().zip(&results).enumerate() {
        let line = result_json(&request.endpoint, result, form).to_string() + "\n";
        output::emit(&mut stdout, line.as_bytes())?;
        if let (Err(e), None) = (result, &first_failure) {
            first_failure = Some((index, e));
        }
    }
    match first_failure {
        None => Ok(()),
        Some((index, e)) => {
            let failed = results.iter().filter(|r| r.is_err()).count();
            Err(Error::new(
                e.kind(),
                format!(
                    "{failed} of {} requests failed; the first, request [{index}]: {}",
                    results.len(),
                    e.message()
                ),
            ))
        }
    }
}

/// The requests: one per `--address` with the options' data and settings, then those of the
/// `--requests` file, whose absent fields come from the options.
fn requests(args: &RequestArgs) -> Result<Vec<Request>> {
    let (tls, proxy) = args.endpoint.settings()?;
    let payload = input::load(&args.data)?;
    let marker = escapes::parse_marker(&args.marker)?;
    let connect = args.endpoint.connect_options(args.verbose);
    let defaults = |target: HostPort| Request {
        endpoint: Endpoint {
            target,
            tls: tls.clone(),
            proxy: proxy.clone(),
        },
        data: payload.bytes.clone(),
        marker: marker.clone(),
        max_size: args.max_size,
        timeout: limit(args.timeout),
        idle_timeout: limit(args.idle_timeout),
        connect: connect.clone(),
    };
    let mut requests = args
        .address
        .iter()
        .map(|address| HostPort::parse_address(address, "--address").map(defaults))
        .collect::<Result<Vec<_>>>()?;
    if let Some(source) = &args.requests {
        requests.extend(requests_from_json(&read(source)?, "--requests", defaults)?);
    }
    if requests.is_empty() {
        return Err(Error::new(
            ErrorKind::Argument,
            "--requests: the file holds no requests",
        ));
    }
    Ok(requests)
}

/// A duration option as a limit: 0 means none.
fn limit(duration: Duration) -> Option<Duration> {
    (!duration.is_zero()).then_some(duration)
}

/// The text of the requests file, or of stdin for `-`.
fn read(source: &str) -> Result<String> {
    if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::from_io(&e, "reading --requests from stdin"))?;
        return Ok(text);
    }
    std::fs::read_to_string(source)
        .map_err(|e| Error::argument("--requests", format!("cannot read {source}: {e}")))
}
