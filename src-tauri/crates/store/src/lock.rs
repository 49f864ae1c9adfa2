//! The cache's lock file: one PartnerDesk program at a time works on a workspace's cache (the
//! app while the workspace is open, or a `partnerdesk-push` run). An advisory OS file lock
//! (`flock` / `LockFileEx` through std's `File::try_lock`) on `<cache>.lock`, released by the OS
//! when the holder exits or dies, so a crash never leaves a stale lock behind. The file's text
//! says who holds it, for the message the other program shows.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Result, StoreError};

/// A held lock on a cache; released when dropped.
#[derive(Debug)]
pub struct CacheLock {
    file: File,
    path: PathBuf,
}

impl CacheLock {
    /// The lock file of the cache at `cache`: `<cache>.lock` beside it.
    pub fn path_for(cache: &Path) -> PathBuf {
        let mut name = cache.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock of the cache at `cache` now, or fails with [`StoreError::Locked`] naming
    /// the holder. `holder` describes this program ("PartnerDesk", "partnerdesk-push").
    pub fn try_acquire(cache: &Path, holder: &str) -> Result<CacheLock> {
        let path = Self::path_for(cache);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = text.trim();
                return Err(StoreError::Locked {
                    holder: if holder.is_empty() {
                        "another PartnerDesk program".to_string()
                    } else {
                        holder.to_string()
                    },
                    path,
                });
            }
            Err(TryLockError::Error(e)) => return Err(StoreError::Io(e)),
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        write!(file, "{holder}, process {}", std::process::id())?;
        file.flush()?;
        Ok(CacheLock { file, path })
    }

    /// Takes the lock, waiting up to `patience` for a holder to finish (a `partnerdesk-push` run
    /// drains the outbox and exits); then fails with [`StoreError::Locked`].
    pub fn acquire(cache: &Path, holder: &str, patience: Duration) -> Result<CacheLock> {
        let started = Instant::now();
        loop {
            match Self::try_acquire(cache, holder) {
                Err(StoreError::Locked { .. }) if started.elapsed() < patience => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}
