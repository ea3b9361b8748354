//! The settings parsers and the add-in's encodings on arbitrary text: never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tcplink_fuzz::settings::check(data));
