//! Receiving connections: `tcplink serve -k --echo` (the library's `Server` behind the CLI's
//! relay) against `socat TCP-LISTEN:…,fork EXEC:cat`, both whole processes on loopback, measured
//! interleaved: connections accepted per second (each client connects, has one byte echoed and
//! closes, several clients at once) and the echo throughput of one connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::bulk::pattern;
use crate::cli::sibling;
use crate::report::Row;
use crate::stats::{best, mib_per_s, timed};

/// How many clients connect at once in the accept measurement.
const CLIENTS: usize = 4;

/// The figures one run gives, and the ratio the quick run gates.
pub struct Serving {
    /// The report's rows.
    pub rows: Vec<Row>,
    /// Connections accepted per second by tcplink serve / by socat.
    pub accept_ratio: f64,
    /// Echo throughput of tcplink serve / socat's.
    pub echo_ratio: f64,
}

/// An echo server process, killed when dropped.
struct Echo {
    child: Child,
    port: u16,
}

impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tcplink serve -k --echo` on a free port (read from its banner).
fn tcplink_serve() -> Echo {
    let mut child = Command::new(sibling("tcplink"))
        .args(["serve", "-k", "--echo", "-m", "1000"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tcplink serve");
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.split_whitespace().nth(2).expect("listening on ADDR");
    let port = addr.rsplit_once(':').unwrap().1.parse().unwrap();
    Echo { child, port }
}

/// `socat TCP-LISTEN:PORT,fork EXEC:cat` on a free port, once it accepts (socat's `PIPE` stalls
/// once its pipe is full while the client is still sending).
fn socat_fork() -> Echo {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,backlog=1024");
    let child = Command::new("socat")
        .args([listen.as_str(), "EXEC:cat"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start socat (ci/setup installs it)");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "socat did not listen"
        );
        thread::sleep(Duration::from_millis(10));
    }
    Echo { child, port }
}

/// `total` connections to `port` by [`CLIENTS`] threads, each one byte echoed; how long.
fn accepts(port: u16, total: usize) -> Duration {
    timed(|| {
        let threads: Vec<_> = (0..CLIENTS)
            .map(|_| {
                thread::spawn(move || {
                    for _ in 0..total / CLIENTS {
                        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                        stream.write_all(b"x").unwrap();
                        let mut byte = [0u8; 1];
                        stream.read_exact(&mut byte).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
    })
    .0
}

/// `data` through the echo server on `port` on one connection, sent and read at once; how long.
fn echo(port: u16, data: &std::sync::Arc<Vec<u8>>) -> Duration {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sent = data.clone();
    timed(|| {
        let sending = thread::spawn(move || writer.write_all(&sent).unwrap());
        let mut back = vec![0u8; data.len()];
        stream.read_exact(&mut back).unwrap();
        sending.join().unwrap();
        assert!(back == **data, "the echo differs");
    })
    .0
}

/// Runs `reps` interleaved rounds: `connections` accepted, `bytes` echoed.
pub fn run(connections: usize, bytes: usize, reps: usize) -> Serving {
    let data = std::sync::Arc::new(pattern(bytes));
    let (ours, theirs) = (tcplink_serve(), socat_fork());
    let (mut accept_ours, mut accept_theirs) = (Vec::new(), Vec::new());
    let (mut echo_ours, mut echo_theirs) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        accept_ours.push(accepts(ours.port, connections));
        accept_theirs.push(accepts(theirs.port, connections));
        echo_ours.push(echo(ours.port, &data));
        echo_theirs.push(echo(theirs.port, &data));
    }
    let per_s = |d: Duration| connections as f64 / d.as_secs_f64();
    let (a_ours, a_theirs) = (per_s(best(&accept_ours)), per_s(best(&accept_theirs)));
    let (e_ours, e_theirs) = (
        mib_per_s(bytes, best(&echo_ours)),
        mib_per_s(bytes, best(&echo_theirs)),
    );
    let (accept_ratio, echo_ratio) = (a_ours / a_theirs, e_ours / e_theirs);
    let rows = vec![
        Row::info(
            format!(
                "server: connections accepted per second ({CLIENTS} clients, each connects, has 1 byte echoed, closes): tcplink serve / socat LISTEN,fork"
            ),
            format!("{accept_ratio:.2} ({a_ours:.0} vs {a_theirs:.0} per s)"),
        ),
        Row::info(
            format!(
                "server: echo of {} MiB on one connection: tcplink serve / socat LISTEN,fork",
                bytes >> 20
            ),
            format!("{echo_ratio:.2} ({e_ours:.0} vs {e_theirs:.0} MiB/s)"),
        ),
    ];
    Serving {
        rows,
        accept_ratio,
        echo_ratio,
    }
}
