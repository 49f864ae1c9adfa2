//! Writes the app's log to files under `<data dir>/logs`, so an analyst can send support a log
//! without a console. Secrets (consumer secret, tokens) are never logged: callers log ids and
//! codes, never credentials or request headers. The log names partners and cases, so the folder
//! and its files are readable by the analyst only (0700 / 0600 on Unix), and it is capped in
//! days and in bytes ([`LogLimits::DEFAULT`]): a component that logs in a loop cannot fill the
//! disk. The file writer is our own because tracing-appender's rolling file rotates by time
//! only (no size cap) and creates files with the default mode; its non-blocking writer is kept.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

use crate::error::AppError;

/// Log file names: `partnerdesk.<UTC date>.log`, then `partnerdesk.<UTC date>.<n>.log` when a
/// day's file reached its size cap.
const PREFIX: &str = "partnerdesk.";
const SUFFIX: &str = ".log";

/// How much log is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimits {
    /// A file is closed and the next one started before it would grow past this many bytes
    /// (a single larger event still goes into a file of its own).
    pub max_file_bytes: u64,
    /// Most files kept; the oldest go first.
    pub max_files: usize,
    /// Files from more than this many days back (UTC dates) are removed.
    pub kept_days: u32,
}

impl LogLimits {
    /// 8 MiB per file, at most 8 files (64 MiB in all), at most the last 7 days.
    pub const DEFAULT: LogLimits = LogLimits {
        max_file_bytes: 8 * 1024 * 1024,
        max_files: 8,
        kept_days: 7,
    };
}

/// Lines the file writer's queue holds before new ones are dropped (the writer thread empties it
/// as fast as the file takes them). tracing-appender's default, 128,000, allocates its whole
/// queue up front: 4 MB of the app process at rest (issue 16, whole-app memory), for a log that
/// writes a few lines a second; this is 256 KB.
pub const BUFFERED_LINES: usize = 8_192;

/// The log files' writer: each write is one line, queued (at most [`BUFFERED_LINES`]) and
/// written by its own thread. Keep the guard alive: dropping it writes what is queued.
pub fn file_writer(
    logs_dir: &Path,
) -> Result<(tracing_appender::non_blocking::NonBlocking, WorkerGuard), AppError> {
    let files = LogFiles::open(logs_dir, LogLimits::DEFAULT)
        .map_err(|error| AppError::internal(format!("log file: {error}")))?;
    let builder = tracing_appender::non_blocking::NonBlockingBuilder::default();
    Ok(builder.buffered_lines_limit(BUFFERED_LINES).finish(files))
}

/// Installs the global subscriber. Keep the returned guard alive: dropping it flushes the file.
/// `RUST_LOG` overrides the default level (`info`).
pub fn init(logs_dir: &Path) -> Result<WorkerGuard, AppError> {
    let (writer, guard) = file_writer(logs_dir)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let file_layer = fmt::layer().with_ansi(false).with_writer(writer);
    let console_layer = fmt::layer().with_writer(std::io::stderr);
    // A second init (tests) keeps the first subscriber; that is fine.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(console_layer)
        .try_init();
    Ok(guard)
}

/// The log folder as a writer: each `write` is one event (that is how the non-blocking worker
/// writes), appended to the current file; a new file starts at a new UTC day or at the size cap,
/// and then the oldest files beyond [`LogLimits`] are removed.
#[derive(Debug)]
pub struct LogFiles {
    dir: PathBuf,
    limits: LogLimits,
    current: Option<Current>,
}

#[derive(Debug)]
struct Current {
    day: NaiveDate,
    index: u32,
    file: File,
    len: u64,
}

/// A log file's place in the order: day, then the n-th file of that day.
type FileKey = (NaiveDate, u32);

impl LogFiles {
    /// Creates the folder (owner only), makes existing log files private, prunes what is over
    /// the limits and opens today's newest file for appending.
    pub fn open(dir: &Path, limits: LogLimits) -> io::Result<LogFiles> {
        crate::create_private_dir(dir)?;
        let mut files = LogFiles {
            dir: dir.to_path_buf(),
            limits: LogLimits {
                max_file_bytes: limits.max_file_bytes.max(1),
                max_files: limits.max_files.max(1),
                kept_days: limits.kept_days.max(1),
            },
            current: None,
        };
        for (_, path) in files.existing()? {
            restrict_file(&path)?;
        }
        files.roll(today())?;
        Ok(files)
    }

    /// Log files in the folder, oldest first.
    fn existing(&self) -> io::Result<Vec<(FileKey, PathBuf)>> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let Some(key) = entry.file_name().to_str().and_then(parse_name) else {
                continue;
            };
            if entry.file_type()?.is_file() {
                found.push((key, entry.path()));
            }
        }
        found.sort();
        Ok(found)
    }

    /// Opens the newest file of `day` that still has room (or the next one), then prunes.
    fn roll(&mut self, day: NaiveDate) -> io::Result<()> {
        let mut index = match &self.current {
            Some(current) if current.day == day => current.index + 1,
            _ => self
                .existing()?
                .iter()
                .filter(|((d, _), _)| *d == day)
                .map(|((_, n), _)| *n)
                .max()
                .unwrap_or(0),
        };
        loop {
            let path = self.dir.join(file_name(day, index));
            let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if len >= self.limits.max_file_bytes {
                index += 1;
                continue;
            }
            self.current = Some(Current {
                day,
                index,
                file: open_private(&path)?,
                len,
            });
            break;
        }
        self.prune(day)
    }

    /// Removes files older than the kept days, then the oldest while there are too many; never
    /// the current one.
    fn prune(&self, today: NaiveDate) -> io::Result<()> {
        let oldest_kept = today
            .checked_sub_days(chrono::Days::new(u64::from(self.limits.kept_days - 1)))
            .unwrap_or(NaiveDate::MIN);
        let current = self.current.as_ref().map(|c| (c.day, c.index));
        let mut files = self.existing()?;
        files.retain(|(key, path)| {
            if key.0 < oldest_kept && Some(*key) != current {
                remove(path);
                false
            } else {
                true
            }
        });
        let excess = files.len().saturating_sub(self.limits.max_files);
        for (_, path) in files
            .iter()
            .filter(|(key, _)| Some(*key) != current)
            .take(excess)
        {
            remove(path);
        }
        Ok(())
    }
}

impl Write for LogFiles {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let day = today();
        let needs_roll = match &self.current {
            None => true,
            Some(current) => {
                current.day != day
                    || (current.len > 0
                        && current.len + buf.len() as u64 > self.limits.max_file_bytes)
            }
        };
        if needs_roll {
            self.roll(day)?;
        }
        let Some(current) = self.current.as_mut() else {
            return Err(io::Error::other("no log file is open"));
        };
        current.file.write_all(buf)?;
        current.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.current.as_mut() {
            Some(current) => current.file.flush(),
            None => Ok(()),
        }
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn file_name(day: NaiveDate, index: u32) -> String {
    let day = day.format("%Y-%m-%d");
    if index == 0 {
        format!("{PREFIX}{day}{SUFFIX}")
    } else {
        format!("{PREFIX}{day}.{index}{SUFFIX}")
    }
}

/// `partnerdesk.2026-11-30.log` → (2026-11-30, 0); `partnerdesk.2026-11-30.3.log` → (…, 3).
fn parse_name(name: &str) -> Option<FileKey> {
    let middle = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let (day, index) = match middle.split_once('.') {
        Some((day, index)) => (day, index.parse().ok()?),
        None => (middle, 0),
    };
    Some((NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?, index))
}

fn remove(path: &Path) {
    if let Err(error) = std::fs::remove_file(path) {
        // Logging from inside the log writer would recurse; stderr is the only place left.
        eprintln!(
            "PartnerDesk: cannot remove old log {}: {error}",
            path.display()
        );
    }
}

/// Opens `path` for appending, created readable by the owner only.
fn open_private(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    restrict_file(path)?;
    Ok(file)
}

/// Removes group and other permissions from a file an older build created.
fn restrict_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & !0o077))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip_and_others_are_ignored() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        assert_eq!(file_name(day, 0), "partnerdesk.2026-11-30.log");
        assert_eq!(file_name(day, 2), "partnerdesk.2026-11-30.2.log");
        assert_eq!(parse_name(&file_name(day, 0)), Some((day, 0)));
        assert_eq!(parse_name(&file_name(day, 12)), Some((day, 12)));
        for other in [
            "partnerdesk.log",
            "partnerdesk.2026-13-01.log",
            "partnerdesk.2026-11-30.x.log",
            "notes.txt",
            "partnerdesk.2026-11-30.log.gz",
        ] {
            assert_eq!(parse_name(other), None, "{other}");
        }
    }
}
