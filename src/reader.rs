//! The generic reader: one implementation of the reading rules for every transport.
//!
//! A read ends at the first of: the marker has arrived, `max_size` bytes have arrived, the
//! whole-read timeout has passed since the read started, no byte arrived for the idle timeout,
//! the peer closed the stream, or an error. The marker is part of
//! the returned data. Bytes that arrived after the marker or past `max_size` stay in the
//! [`ReadBuffer`] and are returned first by the next read; so do the bytes of a read that failed.
//!
//! Marker search uses [`memchr::memmem`] over the newly arrived bytes only (plus the last
//! `marker.len() - 1` bytes before them, for markers split across chunks), so a read costs time
//! linear in the bytes it returns.
//!
//! A read either returns its data as an owned [`ReadOutcome`] ([`ReadBuffer::read_until`]),
//! lends it in place ([`ReadBuffer::read_borrowed`]), for a caller that copies it somewhere
//! anyway (the add-in into platform memory): that saves the owned copy and lets the buffer keep
//! its memory for the next read; or streams it into a [`Write`] sink as it arrives
//! ([`ReadBuffer::read_to`]), holding at most one chunk and a marker's length at a time, so the
//! memory does not grow with the answer. All three run the same loop, so they follow the same
//! rules.

use std::io::{self, Write};
use std::time::Duration;

use memchr::memmem;

use tcplink_transport::{Deadline, DeadlineRead, Error, Result};

/// Whether an I/O error means a socket timeout expired (from the transport layer, where the timed
/// socket needs it too).
pub use tcplink_transport::is_timeout;

/// How many bytes one system call asks for at least.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// Storage up to this size is always kept when a read empties the buffer; larger storage is kept
/// only while reads stay within a quarter of it (see [`ReadBuffer::consume`]).
const ALWAYS_KEPT: usize = 1 << 20;

/// Why a read ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadEnd {
    /// The marker arrived; it is the last part of the data.
    Marker,
    /// `max_size` bytes arrived.
    Size,
    /// The whole-read timeout passed; the data is what had arrived.
    Timeout,
    /// No byte arrived within the idle timeout; the data is what had arrived.
    Idle,
    /// The peer closed its sending side; the data is what had arrived.
    Eof,
    /// The read failed; the bytes it had received stay buffered for the next read.
    Error,
}

impl ReadEnd {
    /// The stable name of this reason: `marker`, `size`, `timeout`, `idle`, `eof` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadEnd::Marker => "marker",
            ReadEnd::Size => "size",
            ReadEnd::Timeout => "timeout",
            ReadEnd::Idle => "idle",
            ReadEnd::Eof => "eof",
            ReadEnd::Error => "error",
        }
    }
}

/// The limits of one read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadLimits<'a> {
    /// The most bytes to return; 0 means no limit.
    pub max_size: usize,
    /// The byte sequence that ends the read; empty means none.
    pub marker: &'a [u8],
    /// How long to wait for the next byte; `None` or zero means forever.
    pub idle_timeout: Option<Duration>,
    /// How long the whole read may take, counted from its start (OPI's `Таймаут`); `None` or
    /// zero means no limit. Bytes already received when it passes are returned.
    pub timeout: Option<Duration>,
}

impl ReadLimits<'_> {
    /// Checks that the limits can be met: a marker longer than `max_size` never could.
    pub fn validate(&self) -> Result<()> {
        if self.max_size != 0 && self.marker.len() > self.max_size {
            return Err(Error::argument(
                "Marker",
                format!(
                    "the marker is {} bytes, longer than the maximum size {}",
                    self.marker.len(),
                    self.max_size
                ),
            ));
        }
        Ok(())
    }
}

/// The data of one read and why it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOutcome {
    /// The bytes read, the marker included when the read ended on it.
    pub data: Vec<u8>,
    /// Why the read ended.
    pub end: ReadEnd,
}

/// How a streaming read ([`ReadBuffer::read_to`]) ended: how many bytes went to the sink and why
/// it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamOutcome {
    /// The bytes written to the sink, the marker included when the read ended on it.
    pub len: u64,
    /// Why the read ended.
    pub end: ReadEnd,
}

/// Why a streaming read failed: receiving or the sink.
#[derive(Debug)]
pub enum StreamError {
    /// Receiving failed; the bytes received and not yet written to the sink stay pending.
    Read(io::Error),
    /// The sink failed; the bytes of the failed write stay pending (the sink may have taken
    /// some of them).
    Write(io::Error),
}

impl From<StreamError> for io::Error {
    fn from(err: StreamError) -> io::Error {
        match err {
            StreamError::Read(e) | StreamError::Write(e) => e,
        }
    }
}

/// The bytes received and not yet returned, kept between reads.
///
/// Each system call reads into a small scratch buffer that stays hot in the CPU cache, and the
/// bytes are then appended to the pending data: measured faster on loopback than reading straight
/// into a large, fresh buffer, and it never zero-fills memory that may stay unused. Storage that
/// earlier reads already wrote is received into directly: its pages are mapped, so that skips
/// the scratch copy.
#[derive(Debug, Default)]
pub struct ReadBuffer {
    /// `storage[start..end]` is the pending data; `storage[end..]` holds bytes of earlier reads
    /// (written memory the next system call may receive into).
    storage: Vec<u8>,
    start: usize,
    end: usize,
    /// Where a system call reads to when the storage must grow; allocated on first use.
    scratch: Vec<u8>,
}

impl ReadBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        ReadBuffer::default()
    }

    /// The bytes received and not yet returned.
    pub fn pending(&self) -> &[u8] {
        &self.storage[self.start..self.end]
    }

    /// Drops all pending bytes and frees the memory.
    pub fn clear(&mut self) {
        *self = ReadBuffer::default();
    }

    /// Reads from `source` by the reading rules and returns the data with why the read ended; a
    /// timeout or EOF is not an error. On an error the bytes received so far stay pending and the
    /// error is returned.
    pub fn read_until<S: DeadlineRead + ?Sized>(
        &mut self,
        source: &mut S,
        limits: &ReadLimits<'_>,
    ) -> io::Result<ReadOutcome> {
        self.read_borrowed(source, limits)
            .map(BorrowedRead::into_outcome)
    }

    /// Reads like [`read_until`](ReadBuffer::read_until) but leaves the data in the buffer: look
    /// at it through the returned [`BorrowedRead`], then [`consume`](BorrowedRead::consume) it.
    pub fn read_borrowed<S: DeadlineRead + ?Sized>(
        &mut self,
        source: &mut S,
        limits: &ReadLimits<'_>,
    ) -> io::Result<BorrowedRead<'_>> {
        let (_, len, end) = self.run(source, limits, None)?;
        Ok(BorrowedRead {
            buffer: self,
            len,
            end,
        })
    }

    /// Reads by the same rules as [`read_until`](ReadBuffer::read_until) but writes the data to
    /// `sink` as it arrives instead of collecting it: each chunk goes on once it is known to
    /// belong to this read (all but the last `marker.len() - 1` bytes, which the marker search
    /// still needs), so the buffer holds at most about one chunk and a marker. Bytes after the
    /// marker or past `max_size` stay pending for the next read, as with every read.
    pub fn read_to<S: DeadlineRead + ?Sized, W: Write + ?Sized>(
        &mut self,
        source: &mut S,
        limits: &ReadLimits<'_>,
        mut sink: &mut W,
    ) -> Result<StreamOutcome, StreamError> {
        let (handed, len, end) = self.run(source, limits, Some(&mut sink))?;
        sink.write_all(&self.pending()[..len])
            .map_err(StreamError::Write)?;
        self.consume(len);
        Ok(StreamOutcome {
            len: handed + len as u64,
            end,
        })
    }

    /// The one reading loop. Without a sink, every byte of the read stays pending and the result
    /// is `(0, len, end)`: the read is the first `len` pending bytes. With a sink, the bytes known
    /// to belong to the read are written to it and consumed before each wait for more; the result
    /// counts them, and the read's remaining `len` bytes are the first pending ones.
    fn run<S: DeadlineRead + ?Sized>(
        &mut self,
        source: &mut S,
        limits: &ReadLimits<'_>,
        mut sink: Option<&mut dyn Write>,
    ) -> Result<(u64, usize, ReadEnd), StreamError> {
        let limit = if limits.max_size == 0 {
            u64::MAX
        } else {
            limits.max_size as u64
        };
        let finder = (!limits.marker.is_empty()).then(|| memmem::Finder::new(limits.marker));
        let overlap = limits.marker.len().saturating_sub(1);
        let whole_read = Deadline::after(limits.timeout);
        // Bytes of this read already written to the sink.
        let mut handed: u64 = 0;
        // Pending bytes (within the size limit) already searched without finding a marker.
        let mut searched = 0;
        let (len, end) = loop {
            let room = usize::try_from(limit - handed).unwrap_or(usize::MAX);
            let window = self.pending().len().min(room);
            if let Some(finder) = &finder {
                if window > searched {
                    let from = searched.saturating_sub(overlap);
                    if let Some(at) = finder.find(&self.pending()[from..window]) {
                        break (from + at + limits.marker.len(), ReadEnd::Marker);
                    }
                    searched = window;
                }
            }
            if window == room {
                break (room, ReadEnd::Size);
            }
            if let Some(sink) = sink.as_mut() {
                // Everything pending is in the window and has been searched; only its last
                // `overlap` bytes may still start the marker.
                let settled = window.saturating_sub(overlap);
                if settled > 0 {
                    sink.write_all(&self.pending()[..settled])
                        .map_err(StreamError::Write)?;
                    self.consume(settled);
                    handed += settled as u64;
                    searched = searched.saturating_sub(settled);
                }
            }
            if whole_read.expired() {
                break (self.pending().len(), ReadEnd::Timeout);
            }
            source.set_read_deadline(Deadline::after(limits.idle_timeout).min(whole_read));
            match self.fill_from(source) {
                Ok(0) => break (self.pending().len(), ReadEnd::Eof),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) && whole_read.expired() => {
                    break (self.pending().len(), ReadEnd::Timeout)
                }
                Err(e) if is_timeout(&e) => break (self.pending().len(), ReadEnd::Idle),
                Err(e) => return Err(StreamError::Read(e)),
            }
        };
        Ok((handed, len, end))
    }

    /// One read from `source`, appended to the pending bytes.
    fn fill_from<S: DeadlineRead + ?Sized>(&mut self, source: &mut S) -> io::Result<usize> {
        if self.start > 0 && self.start >= self.end - self.start {
            // More consumed than pending: move the pending bytes to the front (amortised linear).
            self.storage.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = if self.storage.len() - self.end >= CHUNK_SIZE {
            source.read(&mut self.storage[self.end..])?
        } else {
            if self.scratch.is_empty() {
                self.scratch = vec![0; CHUNK_SIZE];
            }
            let n = source.read(&mut self.scratch)?;
            self.storage.truncate(self.end);
            self.storage.extend_from_slice(&self.scratch[..n]);
            n
        };
        self.end += n;
        Ok(n)
    }

    /// Removes the first `n` pending bytes and returns them.
    fn take(&mut self, n: usize) -> Vec<u8> {
        if self.start == 0 && n == self.end && n > CHUNK_SIZE {
            // The whole storage is the answer: hand it over instead of copying it.
            self.storage.truncate(n);
            self.end = 0;
            return std::mem::take(&mut self.storage);
        }
        let data = self.storage[self.start..self.start + n].to_vec();
        self.consume(n);
        data
    }

    /// Removes the first `n` pending bytes. When that empties the buffer, its storage is kept
    /// for the next read if it is at most [`ALWAYS_KEPT`] or four times this read; otherwise it
    /// is freed, so one large read does not pin its memory for the connection's lifetime.
    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.storage.capacity() > ALWAYS_KEPT.max(n.saturating_mul(4)) {
                self.storage = Vec::new();
            }
        }
    }
}

/// The data of a read, still in the [`ReadBuffer`]. [`consume`](BorrowedRead::consume) removes
/// it; dropped without that, the data stays pending and the next read returns it again.
#[derive(Debug)]
pub struct BorrowedRead<'a> {
    buffer: &'a mut ReadBuffer,
    len: usize,
    end: ReadEnd,
}

impl BorrowedRead<'_> {
    /// The bytes read, the marker included when the read ended on it.
    pub fn data(&self) -> &[u8] {
        &self.buffer.pending()[..self.len]
    }

    /// Why the read ended.
    pub fn end(&self) -> ReadEnd {
        self.end
    }

    /// Removes the data from the buffer.
    pub fn consume(self) {
        self.buffer.consume(self.len);
    }

    /// Removes the data from the buffer and returns it as an owned outcome.
    pub fn into_outcome(self) -> ReadOutcome {
        ReadOutcome {
            data: self.buffer.take(self.len),
            end: self.end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::io::Read;

    /// A source that plays back a script of chunks, time-outs and errors, and records how many
    /// bytes each call offered room for.
    struct Script(VecDeque<io::Result<Vec<u8>>>, Vec<usize>);

    impl Script {
        fn chunks(chunks: &[&[u8]]) -> Self {
            Script(chunks.iter().map(|c| Ok(c.to_vec())).collect(), Vec::new())
        }
    }

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1.push(buf.len());
            match self.0.pop_front() {
                None => Ok(0),
                Some(Err(e)) => Err(e),
                Some(Ok(mut chunk)) => {
                    let n = chunk.len().min(buf.len());
                    buf[..n].copy_from_slice(&chunk[..n]);
                    if n < chunk.len() {
                        self.0.push_front(Ok(chunk.split_off(n)));
                    }
                    Ok(n)
                }
            }
        }
    }

    impl DeadlineRead for Script {
        fn set_read_deadline(&mut self, _: Deadline) {}
    }

    fn limits(max_size: usize, marker: &[u8]) -> ReadLimits<'_> {
        ReadLimits {
            max_size,
            marker,
            ..ReadLimits::default()
        }
    }

    /// A peer that trickles one byte every `every` and never sends a marker.
    struct Trickle {
        every: std::time::Duration,
        deadline: Deadline,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let next = std::time::Instant::now() + self.every;
            if self.deadline.instant().is_some_and(|at| at < next) {
                std::thread::sleep(self.deadline.time_left().ok().flatten().unwrap_or_default());
                return Err(io::ErrorKind::WouldBlock.into());
            }
            std::thread::sleep(self.every);
            buf[0] = b'.';
            Ok(1)
        }
    }

    impl DeadlineRead for Trickle {
        fn set_read_deadline(&mut self, deadline: Deadline) {
            self.deadline = deadline;
        }
    }

    #[test]
    fn the_whole_read_timeout_ends_a_trickle_that_the_idle_rule_never_would() {
        let mut src = Trickle {
            every: Duration::from_millis(10),
            deadline: Deadline::NONE,
        };
        let limits = ReadLimits {
            marker: b"\n",
            idle_timeout: Some(Duration::from_millis(500)),
            timeout: Some(Duration::from_millis(100)),
            ..ReadLimits::default()
        };
        let started = std::time::Instant::now();
        let out = ReadBuffer::new().read_until(&mut src, &limits).unwrap();
        let took = started.elapsed();
        assert_eq!(out.end, ReadEnd::Timeout);
        assert!(!out.data.is_empty() && out.data.iter().all(|&b| b == b'.'));
        assert!(took >= Duration::from_millis(100), "{took:?}");
        assert!(took < Duration::from_millis(400), "{took:?}");
    }

    #[test]
    fn the_idle_rule_ends_a_read_as_idle_and_the_whole_read_as_timeout() {
        let mut src = Trickle {
            every: Duration::from_millis(200),
            deadline: Deadline::NONE,
        };
        let idle = ReadLimits {
            idle_timeout: Some(Duration::from_millis(30)),
            timeout: Some(Duration::from_secs(5)),
            ..ReadLimits::default()
        };
        let out = ReadBuffer::new().read_until(&mut src, &idle).unwrap();
        assert_eq!((out.data.len(), out.end), (0, ReadEnd::Idle));
        let whole = ReadLimits {
            idle_timeout: Some(Duration::from_secs(5)),
            timeout: Some(Duration::from_millis(30)),
            ..ReadLimits::default()
        };
        let out = ReadBuffer::new().read_until(&mut src, &whole).unwrap();
        assert_eq!((out.data.len(), out.end), (0, ReadEnd::Timeout));
    }

    #[test]
    fn marker_split_across_chunks_keeps_the_rest() {
        let mut src = Script::chunks(&[b"hel", b"lo\r", b"\nwor", b"ld"]);
        let mut buf = ReadBuffer::new();
        let first = buf.read_until(&mut src, &limits(0, b"\r\n")).unwrap();
        assert_eq!(
            first,
            ReadOutcome {
                data: b"hello\r\n".to_vec(),
                end: ReadEnd::Marker
            }
        );
        assert_eq!(buf.pending(), b"wor");
        let second = buf.read_until(&mut src, &limits(0, b"\r\n")).unwrap();
        assert_eq!(
            second,
            ReadOutcome {
                data: b"world".to_vec(),
                end: ReadEnd::Eof
            }
        );
    }

    #[test]
    fn one_byte_chunks_find_a_long_marker() {
        let text = b"abcabcabd-tail";
        let chunks: Vec<&[u8]> = text.chunks(1).collect();
        let mut src = Script::chunks(&chunks);
        let mut buf = ReadBuffer::new();
        let out = buf.read_until(&mut src, &limits(0, b"abcabd")).unwrap();
        assert_eq!(out.data, b"abcabcabd");
        assert_eq!(out.end, ReadEnd::Marker);
    }

    #[test]
    fn max_size_is_exact_and_the_excess_is_kept() {
        let mut src = Script::chunks(&[b"0123456789"]);
        let mut buf = ReadBuffer::new();
        let out = buf.read_until(&mut src, &limits(4, b"")).unwrap();
        assert_eq!(
            out,
            ReadOutcome {
                data: b"0123".to_vec(),
                end: ReadEnd::Size
            }
        );
        let out = buf.read_until(&mut src, &limits(4, b"")).unwrap();
        assert_eq!(out.data, b"4567");
        let out = buf.read_until(&mut src, &limits(4, b"")).unwrap();
        assert_eq!(
            out,
            ReadOutcome {
                data: b"89".to_vec(),
                end: ReadEnd::Eof
            }
        );
    }

    #[test]
    fn marker_beyond_max_size_ends_on_size() {
        let mut src = Script::chunks(&[b"abcdef\n"]);
        let mut buf = ReadBuffer::new();
        let out = buf.read_until(&mut src, &limits(6, b"\n")).unwrap();
        assert_eq!(
            out,
            ReadOutcome {
                data: b"abcdef".to_vec(),
                end: ReadEnd::Size
            }
        );
        let out = buf.read_until(&mut src, &limits(6, b"\n")).unwrap();
        assert_eq!(
            out,
            ReadOutcome {
                data: b"\n".to_vec(),
                end: ReadEnd::Marker
            }
        );
    }

    #[test]
    fn marker_ending_exactly_at_max_size_is_a_marker_end() {
        let mut src = Script::chunks(&[b"abc\nrest"]);
        let mut buf = ReadBuffer::new();
        let out = buf.read_until(&mut src, &limits(4, b"\n")).unwrap();
        assert_eq!(
            out,
            ReadOutcome {
                data: b"abc\n".to_vec(),
                end: ReadEnd::Marker
            }
        );
    }

    #[test]
    fn timeout_returns_partial_data_and_error_keeps_it() {
        let mut src = Script(
            VecDeque::from(vec![
                Ok(b"part".to_vec()),
                Err(io::Error::from(io::ErrorKind::WouldBlock)),
                Ok(b"more".to_vec()),
                Err(io::Error::from(io::ErrorKind::ConnectionReset)),
            ]),
            Vec::new(),
        );
        let mut buf = ReadBuffer::new();
        let out = buf.read_until(&mut src, &limits(0, b"\n")).unwrap();
        assert_eq!(
            out,
            ReadOutcome {
                data: b"part".to_vec(),
                end: ReadEnd::Idle
            }
        );
        let err = buf.read_until(&mut src, &limits(0, b"\n")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(buf.pending(), b"more");
        let out = buf.read_until(&mut src, &limits(0, b"\n")).unwrap();
        assert_eq!(
            out,
            ReadOutcome {
                data: b"more".to_vec(),
                end: ReadEnd::Eof
            }
        );
    }

    #[test]
    fn pending_data_satisfies_a_read_without_touching_the_source() {
        let mut src = Script::chunks(&[b"a\nb\nc\n"]);
        let mut buf = ReadBuffer::new();
        for expected in [&b"a\n"[..], b"b\n", b"c\n"] {
            let out = buf.read_until(&mut src, &limits(0, b"\n")).unwrap();
            assert_eq!(out.data, expected);
        }
        assert!(src.0.is_empty());
    }

    #[test]
    fn large_reads_hand_over_the_storage() {
        let big = vec![7u8; 3 * CHUNK_SIZE + 5];
        let mut src = Script::chunks(&[&big]);
        let mut buf = ReadBuffer::new();
        let out = buf.read_until(&mut src, &limits(0, b"")).unwrap();
        assert_eq!(out.data, big);
        assert_eq!(out.end, ReadEnd::Eof);
    }

    #[test]
    fn marker_longer_than_max_size_is_an_argument_error() {
        let err = limits(2, b"abc").validate().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Argument);
        assert!(limits(0, b"abc").validate().is_ok());
        assert!(limits(3, b"abc").validate().is_ok());
    }

    #[test]
    fn a_borrowed_read_stays_pending_until_consumed() {
        let mut src = Script::chunks(&[b"one\ntwo\n"]);
        let mut buf = ReadBuffer::new();
        let read = buf.read_borrowed(&mut src, &limits(0, b"\n")).unwrap();
        assert_eq!((read.data(), read.end()), (&b"one\n"[..], ReadEnd::Marker));
        // Not consumed: the borrow ends here.
        let read = buf.read_borrowed(&mut src, &limits(0, b"\n")).unwrap();
        assert_eq!(
            read.data(),
            b"one\n",
            "an unconsumed read is returned again"
        );
        read.consume();
        let out = buf.read_until(&mut src, &limits(0, b"\n")).unwrap();
        assert_eq!(out.data, b"two\n");
    }

    #[test]
    fn written_storage_is_received_into_directly() {
        let stream: Vec<u8> = (0..5 * CHUNK_SIZE).map(|i| (i % 251) as u8).collect();
        let chunks: Vec<&[u8]> = stream.chunks(CHUNK_SIZE).collect();
        let mut src = Script::chunks(&chunks);
        let mut buf = ReadBuffer::new();
        let first = buf
            .read_borrowed(&mut src, &limits(2 * CHUNK_SIZE, b""))
            .unwrap();
        assert_eq!(first.data(), &stream[..2 * CHUNK_SIZE]);
        first.consume();
        assert_eq!(
            src.1,
            [CHUNK_SIZE, CHUNK_SIZE],
            "growing reads go through scratch"
        );
        let second = buf
            .read_borrowed(&mut src, &limits(2 * CHUNK_SIZE, b""))
            .unwrap();
        assert_eq!(second.data(), &stream[2 * CHUNK_SIZE..4 * CHUNK_SIZE]);
        second.consume();
        assert_eq!(
            src.1[2],
            2 * CHUNK_SIZE,
            "the written storage is offered whole"
        );
        let rest = buf.read_until(&mut src, &limits(0, b"")).unwrap();
        assert_eq!(
            (rest.data.as_slice(), rest.end),
            (&stream[4 * CHUNK_SIZE..], ReadEnd::Eof)
        );
    }

    #[test]
    fn large_storage_is_freed_once_reads_get_small() {
        let big = vec![1u8; 4 * ALWAYS_KEPT];
        let mut src = Script::chunks(&[&big, b"small\n"]);
        let mut buf = ReadBuffer::new();
        let read = buf
            .read_borrowed(&mut src, &limits(big.len(), b""))
            .unwrap();
        read.consume();
        assert!(
            buf.storage.capacity() >= big.len(),
            "kept while reads are large"
        );
        let read = buf.read_borrowed(&mut src, &limits(0, b"\n")).unwrap();
        assert_eq!(read.data(), b"small\n");
        read.consume();
        assert_eq!(buf.storage.capacity(), 0, "freed after a small read");
    }

    /// A sink that records each write it gets.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if !buf.is_empty() {
                self.0.push(buf.to_vec());
            }
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Writes {
        fn all(&self) -> Vec<u8> {
            self.0.concat()
        }
    }

    /// Cuts `stream` into chunks of pseudo-random sizes from 1 to `most` bytes.
    fn random_chunks(stream: &[u8], most: usize, seed: &mut u64) -> Vec<Vec<u8>> {
        let mut chunks = Vec::new();
        let mut rest = stream;
        while !rest.is_empty() {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let n = 1 + (*seed >> 33) as usize % most;
            let (chunk, tail) = rest.split_at(n.min(rest.len()));
            chunks.push(chunk.to_vec());
            rest = tail;
        }
        chunks
    }

    #[test]
    fn streamed_reads_match_buffered_reads_for_any_chunking() {
        let mut stream = Vec::new();
        for i in 0..40 {
            stream.extend((0..(i * 37) % 300).map(|j| b'a' + (j % 7) as u8));
            stream.extend_from_slice(if i % 3 == 0 { b"<EN<END>" } else { b"\n" });
        }
        let mut seed = 1;
        for marker in [&b""[..], b"\n", b"<END>"] {
            for max_size in [0, 5, 64, 1000] {
                for most in [1, 3, 17, 200] {
                    let chunks = random_chunks(&stream, most, &mut seed);
                    let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
                    let (mut buffered_src, mut streamed_src) =
                        (Script::chunks(&chunks), Script::chunks(&chunks));
                    let (mut buffered, mut streamed) = (ReadBuffer::new(), ReadBuffer::new());
                    let limits = limits(max_size.max(marker.len()), marker);
                    loop {
                        let expected = buffered.read_until(&mut buffered_src, &limits).unwrap();
                        let mut sink = Writes::default();
                        let got = streamed
                            .read_to(&mut streamed_src, &limits, &mut sink)
                            .unwrap();
                        let case = format!("marker {marker:?} max {max_size} chunks <= {most}");
                        assert_eq!(sink.all(), expected.data, "{case}");
                        assert_eq!(got.len, expected.data.len() as u64, "{case}");
                        assert_eq!(got.end, expected.end, "{case}");
                        assert_eq!(streamed.pending(), buffered.pending(), "{case}");
                        if expected.end == ReadEnd::Eof {
                            break;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn a_streamed_read_hands_each_chunk_on_before_waiting_for_the_next() {
        let mut src = Script(
            VecDeque::from(vec![
                Ok(b"abc".to_vec()),
                Ok(b"def".to_vec()),
                Err(io::Error::from(io::ErrorKind::WouldBlock)),
            ]),
            Vec::new(),
        );
        let mut buf = ReadBuffer::new();
        let mut sink = Writes::default();
        let out = buf.read_to(&mut src, &limits(0, b"\n"), &mut sink).unwrap();
        assert_eq!(sink.0, [b"abc".to_vec(), b"def".to_vec()]);
        assert_eq!((out.len, out.end), (6, ReadEnd::Idle));
    }

    #[test]
    fn a_streamed_read_finds_a_marker_split_at_every_boundary_and_keeps_the_rest() {
        let stream = b"xxxxx<END>yy";
        for cut in 1..stream.len() {
            let mut src = Script::chunks(&[&stream[..cut], &stream[cut..]]);
            let mut buf = ReadBuffer::new();
            let mut sink = Writes::default();
            let out = buf
                .read_to(&mut src, &limits(0, b"<END>"), &mut sink)
                .unwrap();
            assert_eq!(sink.all(), b"xxxxx<END>", "cut at {cut}");
            assert_eq!((out.len, out.end), (10, ReadEnd::Marker), "cut at {cut}");
            let rest = if cut < 10 {
                &stream[10..]
            } else {
                &stream[10..cut]
            };
            assert_eq!(
                buf.pending(),
                rest,
                "what came after the marker, cut at {cut}"
            );
        }
    }

    #[test]
    fn a_streamed_read_holds_about_one_chunk_whatever_the_answer_size() {
        let stream: Vec<u8> = (0..64 * CHUNK_SIZE).map(|i| (i % 253) as u8).collect();
        let chunks: Vec<&[u8]> = stream.chunks(CHUNK_SIZE / 2 + 3).collect();
        let mut src = Script::chunks(&chunks);
        let mut buf = ReadBuffer::new();
        let mut sink = Writes::default();
        let out = buf
            .read_to(&mut src, &limits(0, b"<END>"), &mut sink)
            .unwrap();
        assert_eq!((out.len, out.end), (stream.len() as u64, ReadEnd::Eof));
        assert!(sink.all() == stream, "every byte once, in order");
        assert!(
            buf.storage.capacity() <= 2 * CHUNK_SIZE,
            "the buffer grew to {} bytes",
            buf.storage.capacity()
        );
    }

    #[test]
    fn a_failing_sink_is_a_write_error_and_the_bytes_stay_pending() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut src = Script::chunks(&[b"abc", b"def\n"]);
        let mut buf = ReadBuffer::new();
        let err = buf
            .read_to(&mut src, &limits(0, b"\n"), &mut Broken)
            .unwrap_err();
        assert!(matches!(&err, StreamError::Write(e) if e.kind() == io::ErrorKind::BrokenPipe));
        assert_eq!(buf.pending(), b"abc");
    }
}
