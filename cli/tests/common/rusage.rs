//! The exit code and peak memory of a child process, from wait4(2): `Child::wait` does not report
//! resource usage, and the child's own `/proc` figures are gone once it has exited. Shared by the
//! CLI tests and `ci/bench`.

use std::process::Child;

/// How a child process ended.
#[derive(Debug, Clone, Copy)]
pub struct Ended {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// The most memory it had resident at once, in bytes. The kernel counts in the memory of the
    /// process that started it, at the moment it did (the address space left at exec), so this
    /// is an upper bound: exact when the starter is small (`ci/bench`'s `peak-rss`).
    pub peak_rss: u64,
    /// How many times it gave up the CPU to wait (voluntary context switches): a process that
    /// wakes up on a timer while idle shows it here.
    pub waits: u64,
}

/// Waits for `child` to exit (taking it, so nothing waits for it twice) and returns how it ended.
pub fn wait(child: Child) -> Ended {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    let mut status = 0;
    // SAFETY: rusage is plain data, for which all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for writes; `pid` is our own unwaited child.
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if waited == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        assert_eq!(err.kind(), std::io::ErrorKind::Interrupted, "wait4: {err}");
    }
    Ended {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        // Linux reports ru_maxrss in KiB.
        peak_rss: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        waits: u64::try_from(usage.ru_nvcsw).unwrap_or(0),
    }
}
