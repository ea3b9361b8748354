//! How to read the figures, written under the table; every figure in it comes from the run.

use crate::addin::Figures;

/// Bits per second of the network the add-in's copy is set against.
const GIGABIT: f64 = 1e9;

/// The notes, with the add-in's paragraph when the add-in was measured.
pub fn notes(addin: Option<&Figures>) -> String {
    let mut out = String::from(
        "Throughput figures are the best of several runs of each side (interference only ever adds \
         time); absolute figures vary between runs on a shared machine, the ratios far less. In \
         process, both sides build their TLS configuration before the timed runs; as whole \
         processes, both build it inside.\n\n\
         **Receiving connections.** `tcplink serve -k --echo` (the library's `Server` behind the \
         CLI's relay thread) and `socat TCP-LISTEN:…,fork EXEC:cat` run as processes beside the \
         bench, measured in turn within each round. socat forks a process (and runs `cat`) per \
         connection, which is most of the accept figure; the echo figure is one connection \
         sending and reading at once.\n\n\
         **The CLI as a whole process.** `tcplink request` writes the answer to stdout as it \
         arrives (`Connection::read_to`), holding about one 64 KiB chunk, so its peak memory is \
         flat whatever the answer's size. `raw-read` is the same 64 KiB loop a user would write, \
         writing each read to stdout (/dev/null) as the CLI and socat do; peak RSS is taken \
         through the small `peak-rss` binary, because the kernel counts the memory of the \
         starting process into a child's peak.\n",
    );
    if let Some(f) = addin {
        out.push('\n');
        out.push_str(&addin_paragraph(f));
    }
    out
}

fn addin_paragraph(f: &Figures) -> String {
    let (lib, copy) = (f.library_first.as_secs_f64(), f.copy.as_secs_f64());
    let first = f.addin_first.as_secs_f64();
    let repeated = f.addin_repeated.as_secs_f64();
    let network = f.bytes as f64 * 8.0 / GIGABIT;
    format!(
        "**ReadBinaryData through the add-in.** The add-in returns data in a block from the \
         platform's memory manager, so it copies every byte once more than a library caller, and \
         that block is fresh memory: the first write to each 4 KiB page faults. On loopback, where \
         bytes arrive as fast as memory can take them, that one copy of {mib} MiB took {copy_ms:.1} ms \
         in this run, {share:.0} % of the library's {lib_ms:.1} ms to connect and receive them, which \
         caps the ratio at library / (library + copy) = {cap:.2}: the 0.80 target is out of reach for \
         any add-in that hands its data over through the memory manager. The row \"add-in time over \
         the library's / one copy into fresh memory\" shows whether this copy is all the add-in adds. \
         Reads repeated on one connection receive into the add-in's already-mapped read buffer and \
         took {faster:.0} % less time than a first read ({rep_ms:.1} vs {first_ms:.1} ms); the library's \
         own repeated reads are faster still, since it hands its buffer to the caller, with no copy \
         at all, whenever a read takes all of it. Over a real network the copy is small beside the \
         transfer: {mib} MiB take {net_ms:.0} ms at 1 Gbit/s, the copy {copy_ms:.0} ms.\n",
        mib = f.bytes >> 20,
        copy_ms = copy * 1e3,
        share = 100.0 * copy / lib,
        lib_ms = lib * 1e3,
        cap = lib / (lib + copy),
        faster = 100.0 * (1.0 - repeated / first),
        rep_ms = repeated * 1e3,
        first_ms = first * 1e3,
        net_ms = network * 1e3,
    )
}
