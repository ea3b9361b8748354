//! Through the add-in: the test host calls ReadBinaryData as the 1C platform would, against the
//! library reading the same payload; and the platform memory the call takes.
//!
//! Two figures: the first read on a new connection, where both sides write fresh memory (the
//! add-in twice: its read buffer and the platform block), and reads repeated on one open
//! connection, where the add-in's read buffer is already mapped. A call's time ends when the data
//! is in platform memory; the platform frees the block later, on its own time.
//!
//! The platform block is always fresh memory, so its one copy costs page faults on top of the
//! copy itself; on loopback that is as dear as receiving the data. A third figure checks that
//! this copy is all the add-in adds: its time over the library's, against copying the same bytes
//! into fresh memory, measured in the same run.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use addin_host::{AddinLibrary, AddinObject, Value};
use tcplink::{ConnectOptions, Connection, ReadEnd, ReadLimits};

use crate::bulk::pattern;
use crate::clients::{endpoint, library_read, Kind};
use crate::pki::Pki;
use crate::report::Row;
use crate::servers::payload_server;
use crate::stats::{best, mib_per_s, timed};

/// The target: the add-in at least this share of the library's throughput.
const TARGET: f64 = 0.80;

/// The release build of the add-in, which `ci/bench/run` builds before the benchmark into the
/// directory of this binary (wherever `CARGO_TARGET_DIR` puts it).
fn addin_path() -> PathBuf {
    std::env::current_exe()
        .expect("the benchmark knows its own path")
        .with_file_name(addin_host::LIBRARY_FILE)
}

/// Loads the release build of the add-in.
pub fn load() -> Result<AddinLibrary, addin_host::HostError> {
    AddinLibrary::load(&addin_path())
}

/// Whether the release build of the add-in is there to measure.
pub fn available() -> bool {
    addin_path().exists()
}

/// The best times the add-in rows rest on, for the notes under the table.
pub struct Figures {
    /// Bytes per read.
    pub bytes: usize,
    /// The library's first read on a new connection (connect included).
    pub library_first: Duration,
    /// The add-in's first read on a new connection (Connect included).
    pub addin_first: Duration,
    /// The add-in's read repeated on one connection.
    pub addin_repeated: Duration,
    /// One copy of the bytes into fresh memory.
    pub copy: Duration,
}

/// Reads `bytes` through ReadBinaryData and through the library, `reps` times each, interleaved.
/// Returns the rows, and their figures when the add-in was there to measure.
pub fn run(pki: &Pki, bytes: usize, reps: usize) -> (Vec<Row>, Option<Figures>) {
    let library = match load() {
        Ok(library) => library,
        Err(e) => {
            let row = Row::info(
                "ReadBinaryData through the add-in",
                format!("not measured: {e} (run ci/bench/run)"),
            );
            return (vec![row], None);
        }
    };
    let payload = Arc::new(pattern(bytes));
    let (mut rows, first) = first_reads(&library, &payload, pki, reps);
    let (row, addin_repeated) = repeated_reads(&library, &payload, pki, reps);
    rows.push(row);
    let figures = Figures {
        addin_repeated,
        ..first
    };
    (rows, Some(figures))
}

/// The first read on a new connection, to EOF; each side's time starts before its connect.
fn first_reads(
    library: &AddinLibrary,
    payload: &Arc<Vec<u8>>,
    pki: &Pki,
    reps: usize,
) -> (Vec<Row>, Figures) {
    let port = payload_server(payload.clone(), 1, None);
    let (mut through_addin, mut direct, mut copies) = (Vec::new(), Vec::new(), Vec::new());
    let mut platform_blocks = Vec::new();
    for _ in 0..reps {
        copies.push(timed(|| payload.to_vec()).0);
        let start = Instant::now();
        let object = connected(library, port);
        let before = object.memory();
        through_addin.push(read_through_addin(&object, 0, payload, start));
        let after = object.memory();
        platform_blocks.push((after.allocations - before.allocations, after.largest));
        object.call("Close", &[]).unwrap();
        let report = object.destroy();
        assert!(
            report.is_balanced(),
            "platform memory not balanced: {report:?}"
        );
        direct.push(timed(|| library_read(Kind::Plain, port, pki, b"")).0);
    }
    let one_block = platform_blocks
        .iter()
        .all(|&(blocks, largest)| blocks == 1 && largest == payload.len());
    let rows = vec![
        ratio_row(
            "first read on a new connection",
            payload.len(),
            &through_addin,
            &direct,
        ),
        overhead_row(payload.len(), &through_addin, &direct, &copies),
        Row::check(
            "ReadBinaryData: platform memory blocks per call",
            format!(
                "{:?}",
                platform_blocks.first().map(|b| b.0).unwrap_or_default()
            ),
            "1 block of N bytes (one copy into platform memory)",
            one_block,
        ),
    ];
    let figures = Figures {
        bytes: payload.len(),
        library_first: best(&direct),
        addin_first: best(&through_addin),
        addin_repeated: Duration::ZERO,
        copy: best(&copies),
    };
    (rows, figures)
}

/// Reads of `payload.len()` bytes (МаксимальныйРазмер) repeated on one open connection, after
/// one untimed read; the library reads the same way on its own connection. Returns the row and
/// the add-in's best time.
fn repeated_reads(
    library: &AddinLibrary,
    payload: &Arc<Vec<u8>>,
    pki: &Pki,
    reps: usize,
) -> (Row, Duration) {
    let bytes = payload.len();
    let port = payload_server(payload.clone(), reps + 1, None);
    let object = connected(library, port);
    let mut conn = Connection::open(
        &endpoint(Kind::Plain, port, pki),
        &ConnectOptions::default(),
    )
    .expect("the library connects");
    let limits = ReadLimits {
        max_size: bytes,
        marker: b"",
        idle_timeout: Some(Duration::from_secs(30)),
        timeout: None,
    };
    let mut library_read = || {
        let (t, out) = timed(|| conn.read(&limits).expect("the library reads"));
        assert!(
            out.end == ReadEnd::Size && out.data == **payload,
            "the library read other bytes"
        );
        t
    };
    read_through_addin(&object, bytes, payload, Instant::now());
    library_read();
    let (mut through_addin, mut direct) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        through_addin.push(read_through_addin(&object, bytes, payload, Instant::now()));
        direct.push(library_read());
    }
    object.call("Close", &[]).unwrap();
    let report = object.destroy();
    assert!(
        report.is_balanced(),
        "platform memory not balanced: {report:?}"
    );
    let row = ratio_row(
        "reads repeated on one connection",
        bytes,
        &through_addin,
        &direct,
    );
    (row, best(&through_addin))
}

/// A new `TcpClient` connected to `port`.
pub fn connected(library: &AddinLibrary, port: u16) -> AddinObject {
    let object = library
        .create("TcpClient")
        .expect("the add-in creates TcpClient");
    let address = Value::Str(format!("127.0.0.1:{port}"));
    let connected = object.call("Connect", &[address]).unwrap().value;
    assert_eq!(connected, Value::Bool(true), "Connect failed");
    object
}

/// One ReadBinaryData call (`max_size` 0: to EOF). Returns how long since `start` the add-in
/// took to hand the data over; the data is then checked where the add-in put it, as the platform
/// would use it.
fn read_through_addin(
    object: &AddinObject,
    max_size: usize,
    expected: &[u8],
    start: Instant,
) -> Duration {
    let (ok, checked) = object
        .call_inspecting_blob("ReadBinaryData", &read_args(max_size), |data| {
            (start.elapsed(), data == expected)
        })
        .expect("the host calls ReadBinaryData");
    let (took, same) = checked.expect("ReadBinaryData returned binary data");
    assert!(ok && same, "ReadBinaryData returned other bytes");
    took
}

/// ReadBinaryData's arguments: МаксимальныйРазмер `max_size` (0: to EOF), no marker, 30 s.
pub fn read_args(max_size: usize) -> [Value; 3] {
    [
        Value::I4(i32::try_from(max_size).expect("a benchmark size fits an i32")),
        Value::Str(String::new()),
        Value::I4(30_000),
    ]
}

/// The row comparing what the add-in adds to the library's time with one copy into fresh memory.
fn overhead_row(
    bytes: usize,
    through_addin: &[Duration],
    direct: &[Duration],
    copies: &[Duration],
) -> Row {
    let added = best(through_addin).saturating_sub(best(direct));
    let copy = best(copies);
    let ratio = added.as_secs_f64() / copy.as_secs_f64();
    Row::check(
        format!(
            "ReadBinaryData {} MiB: add-in time over the library's / one copy into fresh memory",
            bytes >> 20
        ),
        format!(
            "{ratio:.2} ({:.1} vs {:.1} ms)",
            added.as_secs_f64() * 1e3,
            copy.as_secs_f64() * 1e3
        ),
        "<= 1.25 (nothing beyond the one copy)",
        ratio <= 1.25,
    )
}

/// The row comparing the best add-in time with the best library time.
fn ratio_row(case: &str, bytes: usize, through_addin: &[Duration], direct: &[Duration]) -> Row {
    let (addin, lib) = (best(through_addin), best(direct));
    let ratio = lib.as_secs_f64() / addin.as_secs_f64();
    Row::check(
        format!(
            "ReadBinaryData {} MiB through the add-in / library read, {case}",
            bytes >> 20
        ),
        format!(
            "{ratio:.2} ({:.0} vs {:.0} MiB/s)",
            mib_per_s(bytes, addin),
            mib_per_s(bytes, lib)
        ),
        format!(">= {TARGET:.2}"),
        ratio >= TARGET,
    )
}
