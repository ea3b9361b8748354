//! The object's event log (OPI's `Логирование`): each line stamped with the local time to the
//! millisecond, kept in a bounded ring in memory and/or appended to a file, as the settings from
//! `ПолучитьНастройкиЛогирования` say. The library reports the events (connection attempts,
//! proxy and TLS handshakes, sends, reads, errors); it never puts a password or payload bytes in
//! them, so neither does this log.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;

use serde::Deserialize;
use tcplink::{Error, Event, EventSink, Result};

/// The most events a memory log keeps when the settings do not say.
pub const DEFAULT_MAX_ENTRIES: usize = 300;

/// Where events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogMode {
    /// Nowhere: logging off.
    None,
    /// A ring of the last `max_entries` events in memory, read with `ПолучитьЛог`.
    Memory,
    /// Appended to `file_path`.
    File,
    /// Both.
    Both,
}

/// The logging settings JSON: `{"mode": "memory|file|both|none", "max_entries": N,
/// "file_path": "..."}`, OPI's keys.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// Where events go.
    pub mode: LogMode,
    /// How many events the memory ring keeps.
    #[serde(default = "default_max_entries")]
    pub max_entries: usize,
    /// The file events are appended to.
    #[serde(default)]
    pub file_path: String,
}

fn default_max_entries() -> usize {
    DEFAULT_MAX_ENTRIES
}

impl LogSettings {
    /// Parses the settings; `""` means no change (`None`). Malformed JSON, an unknown mode or
    /// field, a memory log of 0 entries, or a file mode without a path are argument errors for
    /// `param`.
    pub fn from_json(text: &str, param: &str) -> Result<Option<LogSettings>> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let settings: LogSettings = serde_json::from_str(text)
            .map_err(|e| Error::argument(param, format!("invalid logging settings JSON: {e}")))?;
        let memory = matches!(settings.mode, LogMode::Memory | LogMode::Both);
        let file = matches!(settings.mode, LogMode::File | LogMode::Both);
        if memory && settings.max_entries == 0 {
            return Err(Error::argument(param, "max_entries must be at least 1"));
        }
        if file && settings.file_path.trim().is_empty() {
            return Err(Error::argument(
                param,
                "file_path is required for the modes file and both",
            ));
        }
        Ok(Some(settings))
    }
}

/// What `ПолучитьЛог` returns: the last events and how many the memory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogExtract {
    /// The events, oldest first.
    pub lines: Vec<String>,
    /// How many events the memory holds.
    pub total: usize,
}

/// An object's event log.
#[derive(Debug)]
pub struct EventLog {
    memory: Option<Mutex<VecDeque<String>>>,
    max_entries: usize,
    file: Option<Mutex<File>>,
}

impl EventLog {
    /// A log as `settings` describe it; the file is opened for appending now, so a path that
    /// cannot be written is an argument error for `param` at once.
    pub fn open(settings: &LogSettings, param: &str) -> Result<EventLog> {
        let memory = matches!(settings.mode, LogMode::Memory | LogMode::Both);
        let file = match settings.mode {
            LogMode::File | LogMode::Both => Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(settings.file_path.trim())
                    .map_err(|e| {
                        Error::argument(
                            param,
                            format!("cannot open the log file {}: {e}", settings.file_path),
                        )
                    })?,
            ),
            LogMode::None | LogMode::Memory => None,
        };
        Ok(EventLog {
            memory: memory.then(|| Mutex::new(VecDeque::new())),
            max_entries: settings.max_entries,
            file: file.map(Mutex::new),
        })
    }

    /// Records one event, stamped with the local time.
    pub fn record(&self, event: &str) {
        let line = format!(
            "[{}] {event}",
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.3f")
        );
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(|p| p.into_inner());
            // A log that cannot be written must not fail the call it describes.
            let _ = writeln!(file, "{line}");
        }
        if let Some(memory) = &self.memory {
            let mut ring = memory.lock().unwrap_or_else(|p| p.into_inner());
            if ring.len() == self.max_entries {
                ring.pop_front();
            }
            ring.push_back(line);
        }
    }

    /// The last `count` events (all with 0), or `None` when the log is not kept in memory.
    pub fn last(&self, count: usize) -> Option<LogExtract> {
        let ring = self
            .memory
            .as_ref()?
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let skip = if count == 0 {
            0
        } else {
            ring.len().saturating_sub(count)
        };
        Some(LogExtract {
            lines: ring.iter().skip(skip).cloned().collect(),
            total: ring.len(),
        })
    }
}

impl EventSink for EventLog {
    fn event(&self, event: &Event<'_>) {
        self.record(&event.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(json: &str) -> Result<Option<LogSettings>> {
        LogSettings::from_json(json, "Логирование (Logging)")
    }

    #[test]
    fn settings_take_opis_keys_and_refuse_what_cannot_work() {
        assert_eq!(settings("").unwrap(), None);
        let s = settings(r#"{"mode": "memory", "max_entries": 5}"#)
            .unwrap()
            .unwrap();
        assert_eq!((s.mode, s.max_entries), (LogMode::Memory, 5));
        let s = settings(r#"{"mode": "both", "file_path": "x.log"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.mode, s.max_entries),
            (LogMode::Both, DEFAULT_MAX_ENTRIES)
        );
        for bad in [
            "{",
            r#"{"mode": "disk"}"#,
            r#"{"mode": "memory", "max_entries": 0}"#,
            r#"{"mode": "file"}"#,
            r#"{"mode": "memory", "colour": 1}"#,
        ] {
            let err = settings(bad).unwrap_err();
            assert!(
                err.message().starts_with("Логирование (Logging):"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn the_memory_ring_keeps_the_last_events_and_the_file_all_of_them() {
        let dir = std::env::temp_dir().join(format!("tcplink-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.log");
        let json = format!(
            r#"{{"mode": "both", "max_entries": 3, "file_path": {:?}}}"#,
            path.to_str().unwrap()
        );
        let log = EventLog::open(&settings(&json).unwrap().unwrap(), "Логирование").unwrap();
        for n in 1..=5 {
            log.record(&format!("event {n}"));
        }
        let all = log.last(0).unwrap();
        assert_eq!(all.total, 3);
        assert_eq!(all.lines.len(), 3);
        assert!(all.lines[0].ends_with("] event 3"), "{:?}", all.lines);
        assert!(all.lines[0].starts_with("[20"), "{:?}", all.lines);
        let last = log.last(1).unwrap();
        assert_eq!((last.lines.len(), last.total), (1, 3));
        assert!(last.lines[0].ends_with("event 5"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 5);
        let file_only = EventLog::open(
            &settings(&json.replace("both", "file")).unwrap().unwrap(),
            "Логирование",
        )
        .unwrap();
        assert_eq!(file_only.last(0), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
