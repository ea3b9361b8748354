//! The checks behind the fuzz targets, in a library so that `cargo test` can replay the corpus on
//! stable Rust and CI can run them without the fuzzer.

pub mod reader;
pub mod settings;

#[cfg(test)]
mod replay {
    use std::path::Path;

    /// Runs `check` on every file in `fuzz/corpus/<target>`.
    fn replay(target: &str, check: fn(&[u8])) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target);
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            check(&std::fs::read(entry.unwrap().path()).unwrap());
            count += 1;
        }
        assert!(count > 0, "no corpus in {}", dir.display());
    }

    #[test]
    fn reader_corpus() {
        replay("reader", crate::reader::check);
    }

    #[test]
    fn settings_corpus() {
        replay("settings", crate::settings::check);
    }
}
