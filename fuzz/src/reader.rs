//! The reader fuzz check: [`tcplink::ReadBuffer`]'s owned and borrowed reads over a source that
//! plays back fuzzer-chosen chunks, timeouts, interruptions, errors and EOFs.
//!
//! Input layout: byte 0 picks the max size (0-32, 0 = no limit), byte 1 the marker length (0-4),
//! byte 2 which reads use an alternative max size (bit i for read i mod 8) and byte 3 that size
//! (0-8, or up to 126 KiB, past the reader's 64 KiB chunk); then the marker bytes, then events.
//! An event byte's low 3 bits are its kind (0-2: a chunk of `(byte >> 3) + 1` bytes that follow;
//! 3: a bulk chunk of `((byte >> 3) % 5 + 1) * 16 KiB` repeating the next two bytes (only the
//! first two; later ones are ordinary chunks, so that cases stay fast); 4: a timeout;
//! 5: `Interrupted`; 6: a connection reset; 7: an EOF), and once the events run out the source is
//! at EOF. Data and marker bytes are mapped onto the four bytes `abc\n`, so markers match often.
//!
//! Checked: every read obeys the reading rules (see [`check_read`]), a failed read keeps every
//! byte, and the concatenation of all reads plus what is left pending equals exactly what the
//! source delivered, which is every chunk byte of the input.

use std::collections::VecDeque;
use std::io::{self, Read};

use tcplink::{Deadline, DeadlineRead, ReadBuffer, ReadEnd, ReadLimits, ReadOutcome};

/// One thing the source does when read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Chunk(Vec<u8>),
    Timeout,
    Interrupted,
    Reset,
    Eof,
}

/// A [`DeadlineRead`] that plays back events and records what it delivered.
#[derive(Debug, Default)]
struct Player {
    events: VecDeque<Event>,
    delivered: Vec<u8>,
    /// The event of the latest `read` call (`Eof` once the events have run out).
    last: Option<Event>,
}

impl Read for Player {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let event = self.events.pop_front().unwrap_or(Event::Eof);
        self.last = Some(event.clone());
        match event {
            Event::Chunk(mut bytes) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                self.delivered.extend_from_slice(&bytes[..n]);
                if n < bytes.len() {
                    self.events.push_front(Event::Chunk(bytes.split_off(n)));
                }
                Ok(n)
            }
            Event::Timeout => Err(io::ErrorKind::WouldBlock.into()),
            Event::Interrupted => Err(io::ErrorKind::Interrupted.into()),
            Event::Reset => Err(io::ErrorKind::ConnectionReset.into()),
            Event::Eof => Ok(0),
        }
    }
}

impl DeadlineRead for Player {
    fn set_read_deadline(&mut self, _deadline: Deadline) {}
}

/// How many bulk chunks one case may have: two cover crossing the reader's 64 KiB chunk size.
const MAX_BULK_CHUNKS: usize = 2;

fn symbol(b: u8) -> u8 {
    b"abc\n"[usize::from(b % 4)]
}

/// The parsed input: limits and the source's events.
struct Case {
    max_size: usize,
    alt_max_size: usize,
    alt_reads: u8,
    marker: Vec<u8>,
    events: VecDeque<Event>,
    sent: Vec<u8>,
}

fn parse(data: &[u8]) -> Option<Case> {
    let (&[b0, b1, b2, b3], rest) = data.split_first_chunk::<4>()?;
    let max_size = usize::from(b0 % 33);
    let alt_max_size = if b3 & 0x80 == 0 {
        usize::from(b3 % 9)
    } else {
        usize::from(b3 & 0x3f) * 2048
    };
    let mut marker_len = usize::from(b1 % 5).min(rest.len());
    // A marker longer than a max size is refused before any read (ReadLimits::validate).
    for size in [max_size, alt_max_size] {
        if size != 0 {
            marker_len = marker_len.min(size);
        }
    }
    let (marker, mut rest) = rest.split_at(marker_len);
    let mut events = VecDeque::new();
    let mut sent = Vec::new();
    let mut bulk_chunks = 0;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        events.push_back(match op & 7 {
            3 if bulk_chunks < MAX_BULK_CHUNKS => {
                bulk_chunks += 1;
                let Some((pattern, tail)) = rest.split_first_chunk::<2>() else {
                    break;
                };
                rest = tail;
                let len = (usize::from(op >> 3) % 5 + 1) * 16 * 1024;
                let chunk: Vec<u8> = pattern
                    .iter()
                    .map(|&b| symbol(b))
                    .cycle()
                    .take(len)
                    .collect();
                sent.extend_from_slice(&chunk);
                Event::Chunk(chunk)
            }
            0..=3 => {
                let n = (usize::from(op >> 3) + 1).min(rest.len());
                if n == 0 {
                    break;
                }
                let (chunk, tail) = rest.split_at(n);
                rest = tail;
                let chunk: Vec<u8> = chunk.iter().map(|&b| symbol(b)).collect();
                sent.extend_from_slice(&chunk);
                Event::Chunk(chunk)
            }
            4 => Event::Timeout,
            5 => Event::Interrupted,
            6 => Event::Reset,
            _ => Event::Eof,
        });
    }
    Some(Case {
        max_size,
        alt_max_size,
        alt_reads: b2,
        marker: marker.iter().map(|&b| symbol(b)).collect(),
        events,
        sent,
    })
}

/// The first occurrence of `needle` (none for an empty one). The oracle searches whole slices
/// with memchr's `memmem`, which the reader also uses; what is checked is the reader's own logic
/// (chunk boundaries, split markers, limits, leftovers). A windowed slice comparison here cost
/// two thirds of each run under the fuzzer's instrumentation.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(haystack, needle)
}

/// Whether `available` alone lets a read end (marker within the limit, or the limit reached),
/// so that the read must not touch the source.
fn decided(available: &[u8], limits: &ReadLimits<'_>) -> bool {
    let limit = if limits.max_size == 0 {
        usize::MAX
    } else {
        limits.max_size
    };
    available.len() >= limit
        || find(&available[..available.len().min(limit)], limits.marker).is_some()
}

/// Checks one successful read against the reading rules. `available` is what was pending before
/// the read plus what the source delivered during it; `pending` is what is pending after it (its
/// length is checked here and its bytes at the end of the run, so that long runs stay linear).
fn check_read(
    out: &ReadOutcome,
    limits: &ReadLimits<'_>,
    available: &[u8],
    pending: &[u8],
    last: Option<&Event>,
) {
    let data = out.data.as_slice();
    let max = limits.max_size;
    let marker = limits.marker;
    assert!(
        available.starts_with(data),
        "the read returned bytes out of order"
    );
    assert_eq!(
        available.len() - data.len(),
        pending.len(),
        "bytes lost or duplicated"
    );
    assert!(max == 0 || data.len() <= max, "read past max size {max}");
    match out.end {
        ReadEnd::Marker => {
            assert!(!marker.is_empty(), "marker end without a marker");
            assert!(
                data.ends_with(marker),
                "marker end not ending with the marker"
            );
            assert_eq!(
                find(data, marker),
                Some(data.len() - marker.len()),
                "an earlier marker was passed over"
            );
        }
        ReadEnd::Size => {
            assert_eq!(
                data.len(),
                max,
                "a size end must return exactly the max size"
            );
            assert_eq!(find(data, marker), None, "a size end passed over a marker");
        }
        // The script's time-outs are idle ones: the fuzzed reads set no whole-read timeout.
        ReadEnd::Timeout => panic!("a whole-read timeout without one set"),
        ReadEnd::Idle | ReadEnd::Eof => {
            let cause = if out.end == ReadEnd::Idle {
                Event::Timeout
            } else {
                Event::Eof
            };
            assert_eq!(last, Some(&cause), "{:?} without its cause", out.end);
            assert!(pending.is_empty(), "{:?} left bytes pending", out.end);
            assert!(
                max == 0 || data.len() < max,
                "{:?} at the max size",
                out.end
            );
            assert_eq!(
                find(data, marker),
                None,
                "{:?} passed over a marker",
                out.end
            );
        }
        ReadEnd::Error => panic!("a successful read cannot end on an error"),
    }
}

/// One read by one of the three ways to read: 0 owned ([`ReadBuffer::read_until`]), 1 borrowed
/// and consumed, 2 borrowed, left unconsumed, then borrowed again and consumed. The second read
/// must start with the first one's data; after a marker or size end it must be the same read,
/// without touching the source.
fn read_one(
    buffer: &mut ReadBuffer,
    source: &mut Player,
    limits: &ReadLimits<'_>,
    way: usize,
) -> io::Result<ReadOutcome> {
    if way == 0 {
        return buffer.read_until(source, limits);
    }
    let read = buffer.read_borrowed(source, limits)?;
    let first = ReadOutcome {
        data: read.data().to_vec(),
        end: read.end(),
    };
    if way == 1 {
        read.consume();
        return Ok(first);
    }
    let delivered = source.delivered.len();
    let again = buffer.read_borrowed(source, limits)?;
    assert!(
        again.data().starts_with(&first.data),
        "an unconsumed read lost bytes"
    );
    if matches!(first.end, ReadEnd::Marker | ReadEnd::Size) {
        assert_eq!(
            (again.data(), again.end(), source.delivered.len()),
            (first.data.as_slice(), first.end, delivered),
            "a decided read came back different or read the source again"
        );
    }
    let out = ReadOutcome {
        data: again.data().to_vec(),
        end: again.end(),
    };
    again.consume();
    Ok(out)
}

/// Runs one fuzz case; panics when a rule is broken.
pub fn check(data: &[u8]) {
    let Some(case) = parse(data) else { return };
    let mut source = Player {
        events: case.events,
        ..Player::default()
    };
    let mut buffer = ReadBuffer::new();
    let mut received = Vec::new();
    // Each read consumes a pending byte or an event.
    let budget = case.sent.len() + source.events.len() + 2;
    for read in 0.. {
        assert!(read < budget, "the reads stopped making progress");
        let max_size = if case.alt_reads >> (read % 8) & 1 == 1 {
            case.alt_max_size
        } else {
            case.max_size
        };
        let limits = ReadLimits {
            max_size,
            marker: &case.marker,
            idle_timeout: None,
            timeout: None,
        };
        limits
            .validate()
            .expect("the case keeps the marker within the max size");
        // What was delivered and not yet returned is what is pending before the read.
        let delivered_before = source.delivered.len();
        let was_decided = decided(&source.delivered[received.len()..], &limits);
        let result = read_one(&mut buffer, &mut source, &limits, read % 3);
        let available = &source.delivered[received.len()..];
        if was_decided {
            assert_eq!(
                source.delivered.len(),
                delivered_before,
                "the read waited for bytes it did not need"
            );
        }
        match result {
            Ok(out) => {
                check_read(
                    &out,
                    &limits,
                    available,
                    buffer.pending(),
                    source.last.as_ref(),
                );
                let done =
                    out.end == ReadEnd::Eof && out.data.is_empty() && source.events.is_empty();
                received.extend_from_slice(&out.data);
                if done {
                    break;
                }
            }
            Err(e) => {
                assert_eq!(source.last, Some(Event::Reset), "unexpected error {e}");
                let pending = buffer.pending();
                assert_eq!(pending.len(), available.len(), "a failed read lost bytes");
            }
        }
    }
    received.extend_from_slice(buffer.pending());
    assert!(
        buffer.pending().is_empty(),
        "bytes left after the final EOF"
    );
    assert_eq!(
        source.delivered, case.sent,
        "the source did not deliver everything"
    );
    assert_eq!(
        received, case.sent,
        "reads plus pending differ from what was sent"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded xorshift PRNG: the checks run on stable without the fuzzer too.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u8 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 32) as u8
        }
    }

    #[test]
    fn random_cases() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..10_000 {
            let len = usize::from(rng.next() % 128);
            let case: Vec<u8> = (0..len).map(|_| rng.next()).collect();
            check(&case);
        }
    }
}
