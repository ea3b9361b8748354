//! Fixtures for the CLI tests: the core's shared fixtures (real peers such as socat, openssl
//! s_server, microsocks, Dante and tinyproxy, fault servers, certificates generated at test
//! time), and running the built `tcplink` binary.
#![allow(dead_code)]

#[path = "../../../tests/common/mod.rs"]
mod fixtures;
pub mod rusage;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

pub use fixtures::*;

/// How long one run of the binary may take before the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// The exit codes the CLI documents.
pub mod code {
    pub const OK: i32 = 0;
    pub const IO: i32 = 1;
    pub const ARGUMENT: i32 = 2;
    pub const RESOLVE: i32 = 3;
    pub const CONNECT: i32 = 4;
    pub const TLS: i32 = 5;
    pub const PROXY: i32 = 6;
    pub const TIMEOUT: i32 = 7;
    pub const CLOSED: i32 = 8;
}

/// What one run of `tcplink` did.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: String,
    /// How long it took.
    pub elapsed: Duration,
}

impl Run {
    /// Stdout as text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts that stderr contains each of `needles`.
    pub fn stderr_has(&self, needles: &[&str]) {
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks {needle:?}: {}",
                self.stderr
            );
        }
    }

    /// Asserts the exit code, showing stderr when it differs.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code,
            code,
            "exit code; stderr: {}\nstdout: {}",
            self.stderr,
            self.out()
        );
        self
    }
}

/// The binary under test.
pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tcplink"))
}

/// Runs `tcplink args` with `stdin` as its input.
pub fn run_with(args: &[&str], stdin: Stdio, input: Option<Vec<u8>>) -> Run {
    let start = Instant::now();
    let mut child = binary()
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tcplink");
    if let Some(input) = input {
        let mut pipe = child.stdin.take().unwrap();
        thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let stdout = collect(child.stdout.take().unwrap());
    let stderr = collect(child.stderr.take().unwrap());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            panic!("tcplink {args:?} ran longer than {RUN_LIMIT:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code().expect("exited normally"),
        stdout: stdout.join().unwrap(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap()).into_owned(),
        elapsed: start.elapsed(),
    }
}

fn collect(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut all = Vec::new();
        let _ = pipe.read_to_end(&mut all);
        all
    })
}

/// Runs `tcplink args` with no input, hands its stdout to `on_output` piece by piece as it comes
/// (for answers too large to keep), and returns how the process ended with its stderr.
pub fn run_streaming(args: &[&str], mut on_output: impl FnMut(&[u8])) -> (rusage::Ended, String) {
    let mut child = binary()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tcplink");
    let stderr = collect(child.stderr.take().unwrap());
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = vec![0; 1 << 20];
    loop {
        match stdout.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => on_output(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => panic!("reading the output of tcplink: {e}"),
        }
    }
    let ended = rusage::wait(child);
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
    (ended, stderr)
}

/// A `tcplink` process driven step by step through its stdin and stdout.
pub struct Interactive {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: ChildStdout,
}

impl Interactive {
    /// Starts `tcplink args` with piped stdin and stdout (stderr is discarded).
    pub fn start(args: &[&str]) -> Interactive {
        let mut child = binary()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tcplink");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        Interactive {
            child,
            stdin,
            stdout,
        }
    }

    /// Writes `bytes` to its stdin, leaving it open.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stdin.as_mut().unwrap().write_all(bytes).unwrap();
    }

    /// Reads exactly `n` bytes of its stdout.
    pub fn receive(&mut self, n: usize) -> Vec<u8> {
        let mut bytes = vec![0; n];
        self.stdout.read_exact(&mut bytes).unwrap();
        bytes
    }

    /// Closes its stdin and waits for it to exit.
    pub fn close_and_wait(mut self) -> rusage::Ended {
        drop(self.stdin.take());
        rusage::wait(self.child)
    }
}

/// Runs `tcplink args` with no input.
pub fn run(args: &[&str]) -> Run {
    run_with(args, Stdio::null(), None)
}

/// Runs `tcplink request -a addr -d data extra...`.
pub fn request(addr: &str, data: &str, extra: &[&str]) -> Run {
    let mut args = vec!["request", "-a", addr, "-d", data];
    args.extend_from_slice(extra);
    run(&args)
}

/// Runs `tcplink args` with `input` piped to its stdin (then closed).
pub fn run_piped(args: &[&str], input: &[u8]) -> Run {
    run_with(args, Stdio::piped(), Some(input.to_vec()))
}

/// A `tcplink serve` process, killed when dropped.
pub struct Served {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    /// What it printed to stderr before serving: the address line, then `extra_lines` more.
    pub banner: Vec<String>,
    /// Its stdin, while open.
    pub stdin: Option<std::process::ChildStdin>,
    stdout: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    stderr: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Served {
    /// `127.0.0.1:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Everything it wrote to stdout so far.
    pub fn output(&self) -> Vec<u8> {
        self.stdout.lock().unwrap().clone()
    }

    /// Everything it wrote to stderr after the banner so far.
    pub fn errors(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits until its stderr after the banner contains `needle` (at most 10 s) and returns
    /// it; fails the test when it never does.
    pub fn errors_with(&self, needle: &str) -> String {
        let start = Instant::now();
        while !self.errors().contains(needle) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "stderr lacks {needle:?}: {}",
                self.errors()
            );
            thread::sleep(Duration::from_millis(10));
        }
        self.errors()
    }

    /// Waits until its stdout holds `n` bytes (at most 10 s) and returns them all.
    pub fn output_of_len(&self, n: usize) -> Vec<u8> {
        let start = Instant::now();
        while self.output().len() < n && start.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(10));
        }
        self.output()
    }

    /// Waits for it to exit by itself (at most 10 s); its exit code.
    pub fn exit_code(&mut self) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tcplink serve args` with stdin closed and reads the first `1 + extra_lines` lines it
/// prints to stderr.
pub fn serve(args: &[&str], extra_lines: usize) -> Served {
    serve_with(args, extra_lines, Stdio::null())
}

/// Starts `tcplink serve args` with `stdin` and reads the first `1 + extra_lines` lines it
/// prints to stderr; stdout and the rest of stderr are collected.
pub fn serve_with(args: &[&str], extra_lines: usize, stdin: Stdio) -> Served {
    let mut child = binary()
        .arg("serve")
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tcplink serve");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let banner: Vec<String> = (0..=extra_lines).map(|_| read_line(&mut stderr)).collect();
    let addr = banner[0]
        .strip_prefix("listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {:?}", banner[0]));
    let port = addr.rsplit_once(':').unwrap().1.parse().unwrap();
    // Keep reading so the server never blocks on a full pipe.
    let stdout = collecting(child.stdout.take().unwrap());
    let stderr = collecting(stderr);
    Served {
        stdin: child.stdin.take(),
        child,
        port,
        banner,
        stdout,
        stderr,
    }
}

/// Collects what `pipe` gives on a thread, into a buffer readable while it grows.
fn collecting(mut pipe: impl Read + Send + 'static) -> std::sync::Arc<std::sync::Mutex<Vec<u8>>> {
    let all = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = all.clone();
    thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    all
}

fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .expect("read a line from tcplink serve");
    line.trim_end().to_string()
}

/// A server that accepts and then neither reads nor writes, for 30 s.
pub fn silent_server() -> u16 {
    fault_server(|stream| {
        thread::sleep(Duration::from_secs(30));
        drop(stream);
    })
}

/// A path as UTF-8 text.
pub fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A folder for the files one test writes, removed when dropped.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
