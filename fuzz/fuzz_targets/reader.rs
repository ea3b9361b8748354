//! The reader under fuzzer-chosen chunking, timeouts, errors, marker and max size.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tcplink_fuzz::reader::check(data));
