//! A progress bar on stderr (indicatif) for large transfers, shown only when stderr is a
//! terminal, so pipes and logs never see it.

use std::io::{self, IsTerminal, Read};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tcplink::{Deadline, DeadlineRead};

/// How many bytes a transfer must pass before its bar appears.
const THRESHOLD: u64 = 256 * 1024;

/// Counts the bytes of one transfer and draws a bar once it is large.
pub struct Progress {
    bar: ProgressBar,
    visible: bool,
    enabled: bool,
}

impl Progress {
    /// A counter labelled `label`, with a known `total` when there is one. `wanted` is false when
    /// this transfer should never show a bar.
    pub fn new(label: &'static str, total: Option<u64>, wanted: bool) -> Progress {
        let enabled =
            wanted && io::stderr().is_terminal() && total.map_or(true, |t| t >= THRESHOLD);
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
        let template = match total {
            Some(_) => "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            None => "{msg} {spinner} {bytes} {bytes_per_sec}",
        };
        bar.set_style(
            ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(label);
        Progress {
            bar,
            visible: false,
            enabled,
        }
    }

    /// Records `n` more bytes.
    pub fn advance(&mut self, n: usize) {
        self.bar.inc(n as u64);
        if self.enabled && !self.visible && self.bar.position() >= THRESHOLD {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
            self.visible = true;
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A byte source that reports what it reads to a [`Progress`].
pub struct Counting<'a, R: ?Sized> {
    /// The source.
    pub inner: &'a mut R,
    /// Where the bytes are counted.
    pub progress: &'a mut Progress,
}

impl<R: Read + ?Sized> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n);
        Ok(n)
    }
}

impl<R: DeadlineRead + ?Sized> DeadlineRead for Counting<'_, R> {
    fn set_read_deadline(&mut self, deadline: Deadline) {
        self.inner.set_read_deadline(deadline);
    }
}
