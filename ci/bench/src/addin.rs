//! Through the add-in: the test host calls ReadBinaryData as the 1C platform would, against the
//! library reading the same payload; and the platform memory the call takes.

use std::path::PathBuf;
use std::sync::Arc;

use addin_host::{AddinLibrary, Value};

use crate::bulk::pattern;
use crate::clients::{library_read, Kind};
use crate::pki::Pki;
use crate::report::Row;
use crate::servers::payload_server;
use crate::stats::{best, mib_per_s, timed};

/// The release build of the add-in, which `ci/bench/run` builds before the benchmark.
fn addin_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/release")
        .join(addin_host::LIBRARY_FILE)
}

/// Reads `bytes` through ReadBinaryData and through the library, `reps` times each, interleaved.
pub fn run(pki: &Pki, bytes: usize, reps: usize) -> Vec<Row> {
    let path = addin_path();
    let library = match AddinLibrary::load(&path) {
        Ok(library) => library,
        Err(e) => {
            return vec![Row::info(
                "ReadBinaryData through the add-in",
                format!("not measured: {e} (run ci/bench/run)"),
            )]
        }
    };
    let payload = Arc::new(pattern(bytes));
    let port = payload_server(payload.clone(), None);
    let address = Value::Str(format!("127.0.0.1:{port}"));
    let (mut through_addin, mut direct) = (Vec::new(), Vec::new());
    let mut platform_blocks = Vec::new();
    for _ in 0..reps {
        let object = library
            .create("TcpClient")
            .expect("the add-in creates TcpClient");
        assert!(
            object
                .call("Connect", std::slice::from_ref(&address))
                .unwrap()
                .value
                == Value::Bool(true)
        );
        let before = object.memory();
        // The data is checked where the add-in put it, as the platform would use it.
        let (t, (ok, same)) = timed(|| {
            object
                .call_inspecting_blob(
                    "ReadBinaryData",
                    &[Value::I4(0), Value::Str(String::new()), Value::I4(30_000)],
                    |data| data == payload.as_slice(),
                )
                .unwrap()
        });
        let after = object.memory();
        assert!(
            ok && same == Some(true),
            "ReadBinaryData returned other bytes"
        );
        platform_blocks.push((after.allocations - before.allocations, after.largest));
        through_addin.push(t);
        object.call("Close", &[]).unwrap();
        let report = object.destroy();
        assert!(
            report.is_balanced(),
            "platform memory not balanced: {report:?}"
        );
        direct.push(timed(|| library_read(Kind::Plain, port, pki, b"")).0);
    }
    let (addin, lib) = (best(&through_addin), best(&direct));
    let ratio = lib.as_secs_f64() / addin.as_secs_f64();
    let one_block = platform_blocks
        .iter()
        .all(|&(blocks, largest)| blocks == 1 && largest == bytes);
    vec![
        Row::check(
            format!(
                "ReadBinaryData {} MiB through the add-in / library read",
                bytes >> 20
            ),
            format!(
                "{ratio:.2} ({:.0} vs {:.0} MiB/s)",
                mib_per_s(bytes, addin),
                mib_per_s(bytes, lib)
            ),
            ">= 0.80",
            ratio >= 0.80,
        ),
        Row::check(
            "ReadBinaryData: platform memory blocks per call",
            format!(
                "{:?}",
                platform_blocks.first().map(|b| b.0).unwrap_or_default()
            ),
            "1 block of N bytes (one copy into platform memory)",
            one_block,
        ),
    ]
}
