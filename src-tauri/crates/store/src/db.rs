//! Opening the cache file safely: connection settings on every connection (the writer with
//! `synchronous = FULL`), embedded migrations, a file from a newer PartnerDesk left untouched,
//! damage detection, the corrupt-file rebuild, and the write path with `BEGIN IMMEDIATE` and a
//! short retry when another process holds the write lock.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{is_busy, is_corrupt, is_read_only, Result, StoreError};

/// Embedded migrations: (version, name, SQL). Append only; never edit a shipped one.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (
        2,
        "case_list_indexes",
        include_str!("../migrations/0002_case_list_indexes.sql"),
    ),
    (
        3,
        "case_list_repair",
        include_str!("../migrations/0003_case_list_repair.sql"),
    ),
    (
        4,
        "exception_interchanges",
        include_str!("../migrations/0004_exception_interchanges.sql"),
    ),
    (
        5,
        "typed_outbox",
        include_str!("../migrations/0005_typed_outbox.sql"),
    ),
    (
        6,
        "kept_cases",
        include_str!("../migrations/0006_kept_cases.sql"),
    ),
    (
        7,
        "outbox_lease",
        include_str!("../migrations/0007_outbox_lease.sql"),
    ),
    (
        8,
        "ingest_ledger",
        include_str!("../migrations/0008_ingest_ledger.sql"),
    ),
    (
        9,
        "connector_work",
        include_str!("../migrations/0009_connector_work.sql"),
    ),
    (
        10,
        "retention_exports",
        include_str!("../migrations/0010_retention_exports.sql"),
    ),
    (
        11,
        "edi_routing",
        include_str!("../migrations/0011_edi_routing.sql"),
    ),
    (
        12,
        "local_documents",
        include_str!("../migrations/0012_local_documents.sql"),
    ),
    (
        13,
        "sla_history",
        include_str!("../migrations/0013_sla_history.sql"),
    ),
    (
        14,
        "routing_rule_matches",
        include_str!("../migrations/0014_routing_rule_matches.sql"),
    ),
    (
        15,
        "uploads",
        include_str!("../migrations/0015_uploads.sql"),
    ),
    (
        16,
        "document_bytes",
        include_str!("../migrations/0016_document_bytes.sql"),
    ),
    (
        17,
        "deliveries",
        include_str!("../migrations/0017_deliveries.sql"),
    ),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 17;

/// Page cache of every connection, in KiB (readers then keep [`READER_CACHE_KIB`]).
const CACHE_KIB: i64 = 8000;
/// Page cache of each read connection, in KiB.
const READER_CACHE_KIB: i64 = 2000;
/// The writer's page cache during [`Db::write_large`], in KiB.
const LARGE_WRITE_CACHE_KIB: i64 = 64 * 1024;
/// The writer's page cache while a first sync loads ([`Db::write_bulk`] until
/// [`Db::end_bulk_load`]), in KiB: a 10,000-case transaction dirties more than 64 MB of table
/// and index pages, which were spilled to the log mid-transaction and read back. 256 MB left
/// almost no spill but raised a first sync's peak memory by 320 MB; 128 MB, by about 120 MB.
const BULK_LOAD_CACHE_KIB: i64 = 128 * 1024;
/// SQLite's default automatic checkpoint (WAL pages), restored after a bulk load.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 1000;

/// How many read connections each store keeps.
const READERS: usize = 3;
/// SQLite's own wait for a lock, per statement.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Our extra retry budget for a write transaction that still met SQLITE_BUSY.
const WRITE_RETRY_BUDGET: Duration = Duration::from_secs(10);

/// The connections behind one [`crate::Store`].
pub(crate) struct Db {
    pub(crate) path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
    /// The case list's in-memory filter columns, shared by the readers (see `facets.rs`).
    pub(crate) facets: crate::facets::FacetSlot,
}

impl Db {
    /// Opens (creating if missing) and migrates.
    pub(crate) fn open(path: &Path) -> Result<Arc<Db>> {
        check_not_newer(path)?;
        check_writable(path)?;
        check_header(path)?;
        let map = |e: rusqlite::Error| classify(path, e);
        let writer = open_connection(path).map_err(map)?;
        // The writer makes every commit durable before it returns (the outbox entry of an
        // analyst's change survives a power cut, not only a crash); readers never write.
        writer
            .execute_batch("PRAGMA synchronous = FULL")
            .map_err(map)?;
        migrate(&writer).map_err(|e| match e {
            StoreError::Sqlite(e) => classify(path, e),
            other => other,
        })?;
        writer
            .execute_batch(crate::facets::TRACKING_SQL)
            .map_err(map)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let reader = open_connection(path).map_err(map)?;
            tune_reader(&reader).map_err(map)?;
            readers.push(Mutex::new(reader));
        }
        Ok(Arc::new(Db {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers,
            next_reader: std::sync::atomic::AtomicUsize::new(0),
            facets: Default::default(),
        }))
    }

    /// Runs `f` on a read connection (never waits on the writer).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.reader();
        f(&conn).map_err(|e| self.map_err(e))
    }

    /// Runs `f` inside one read transaction so several statements see one snapshot.
    pub(crate) fn read_tx<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.reader();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(|e| self.map_err(e.into()))?;
        let out = f(&tx).map_err(|e| self.map_err(e))?;
        tx.finish().map_err(|e| self.map_err(e.into()))?;
        Ok(out)
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction; commits if it returns Ok, rolls back
    /// otherwise. Retries the whole transaction while another process holds the lock.
    pub(crate) fn write<T>(&self, f: impl FnMut(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        self.write_on(&mut conn, Tracking::On, f)
    }

    /// [`Db::write`] for one large transaction (many feed pages, the whole search index): the
    /// writer's page cache is [`LARGE_WRITE_CACHE_KIB`] while it runs, so index pages are read
    /// and written once rather than spilled and read again, and shrinks back afterwards.
    pub(crate) fn write_large<T>(&self, f: impl FnMut(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let resize = |conn: &Connection, kib: i64| {
            conn.execute_batch(&format!("PRAGMA cache_size = -{kib}"))
                .map_err(|e| self.map_err(e.into()))
        };
        resize(&conn, LARGE_WRITE_CACHE_KIB)?;
        let out = self.write_on(&mut conn, Tracking::Off, f);
        resize(&conn, CACHE_KIB)?;
        out
    }

    /// [`Db::write_large`] for a first sync's load (feed pages into a cache being filled, the
    /// dropped indexes created again, the full-text index built once). Until
    /// [`Db::end_bulk_load`] the writer keeps a page cache of [`BULK_LOAD_CACHE_KIB`] between
    /// transactions and makes no automatic WAL checkpoint, so index pages are neither spilled
    /// and read back nor copied into the file again after every transaction; inside each
    /// transaction the list's temporary tracking triggers are dropped (they record nothing in a
    /// large write, yet were evaluated for every case and comment row) and created again before
    /// it commits, so no other write ever runs without them.
    pub(crate) fn write_bulk<T>(&self, f: impl FnMut(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        conn.execute_batch(&format!(
            "PRAGMA cache_size = -{BULK_LOAD_CACHE_KIB}; PRAGMA wal_autocheckpoint = 0;"
        ))
        .map_err(|e| self.map_err(e.into()))?;
        self.write_on(&mut conn, Tracking::Bulk, f)
    }

    /// Ends what [`Db::write_bulk`] started: the writer's usual page cache and automatic
    /// checkpoints, and one checkpoint now for everything the load wrote to the log.
    pub(crate) fn end_bulk_load(&self) -> Result<()> {
        let conn = lock(&self.writer);
        conn.execute_batch(&format!(
            "PRAGMA cache_size = -{CACHE_KIB}; \
             PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES};"
        ))
        .map_err(|e| self.map_err(e.into()))?;
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .map_err(|e| self.map_err(e.into()))?;
        Ok(())
    }

    fn write_on<T>(
        &self,
        conn: &mut Connection,
        tracking: Tracking,
        mut f: impl FnMut(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let attempt = (|| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let before = list_version(&tx)?;
                match tracking {
                    Tracking::On => {}
                    Tracking::Off => {
                        tx.execute_batch("UPDATE temp.list_tracking SET active = 0")?
                    }
                    Tracking::Bulk => tx.execute_batch(crate::facets::DROP_TRACKING_SQL)?,
                }
                let out = f(&tx)?;
                if tracking == Tracking::Bulk {
                    tx.execute_batch(crate::facets::TRACKING_SQL)?;
                }
                let after = list_version(&tx)?;
                let touched = match tracking {
                    Tracking::On if after != before => touched_rids(&tx)?,
                    _ => None,
                };
                tx.execute_batch(
                    "DELETE FROM temp.list_touched; UPDATE temp.list_tracking SET active = 1",
                )?;
                tx.commit()?;
                self.facets.record(before, after, touched);
                Ok(out)
            })();
            match attempt {
                Err(StoreError::Sqlite(e)) if is_busy(&e) => {
                    if started.elapsed() > WRITE_RETRY_BUDGET {
                        return Err(StoreError::Busy);
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                other => return other.map_err(|e| self.map_err(e)),
            }
        }
    }

    /// See [`crate::Store::optimize`].
    pub(crate) fn optimize(&self) -> Result<()> {
        self.write(|tx| {
            tx.execute_batch(
                "INSERT INTO case_fts(case_fts) VALUES ('optimize'); \
                 PRAGMA analysis_limit = 1000; ANALYZE;",
            )?;
            Ok(())
        })?;
        let conn = lock(&self.writer);
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| self.map_err(e.into()))?;
        Ok(())
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        for slot in &self.readers {
            if let Ok(guard) = slot.try_lock() {
                return guard;
            }
        }
        let i = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % self.readers.len();
        lock(&self.readers[i])
    }

    fn map_err(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::Sqlite(e) if is_corrupt(&e) || is_read_only(&e) => classify(&self.path, e),
            other => other,
        }
    }
}

/// Whether a write records the case rows it touched for the case list's filter columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tracking {
    /// Recorded (the list updates those rows in place).
    On,
    /// Not recorded (the list reloads its filter columns after the commit).
    Off,
    /// Not recorded, and the tracking triggers are dropped for the transaction.
    Bulk,
}

/// The case list's change counter (see `facets.rs`).
fn list_version(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT n FROM case_list_version WHERE id = 1")?
        .query_row([], |r| r.get(0))?)
}

/// The case rids this transaction wrote, unless there were too many to be worth recording.
fn touched_rids(conn: &Connection) -> Result<Option<Vec<i64>>> {
    let n: i64 = conn
        .prepare_cached("SELECT count(DISTINCT rid) FROM temp.list_touched")?
        .query_row([], |r| r.get(0))?;
    if n > crate::facets::MAX_TRACKED_ROWS {
        return Ok(None);
    }
    let rids = conn
        .prepare_cached("SELECT DISTINCT rid FROM temp.list_touched")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(Some(rids))
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding a connection leaves the connection itself usable (SQLite rolls
    // back an unfinished transaction when the next one begins).
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Turns a SQLite error at open time into the typed error a user can act on.
fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    if is_corrupt(&e) {
        StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    } else if is_read_only(&e) {
        StoreError::ReadOnly {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    } else if is_busy(&e) {
        StoreError::Busy
    } else {
        StoreError::Sqlite(e)
    }
}

/// The settings every connection gets.
fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if conn.is_readonly(rusqlite::MAIN_DB)? {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
            Some("the database file was opened read-only".into()),
        ));
    }
    // journal_mode reads the header: a file that is not a database fails here.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
            Some(format!("could not switch to WAL (journal mode {mode})")),
        ));
    }
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; \
         PRAGMA cache_size = -{CACHE_KIB};"
    ))?;
    // Reads the schema: a malformed schema or first page fails here rather than later.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    Ok(conn)
}

/// Read connections run the case list. Their page caches stay small and reads are not memory
/// mapped: with 100,000 cases the file is ~400 MB, and mapped pages (counted once per connection)
/// or large per-connection caches would put the app far over its 250 MB memory budget, while the
/// OS page cache keeps hot pages a system call away anyway. The case list filters and counts from
/// its in-memory filter columns (`facets.rs`), not from cached pages. With 8 MB per reader the
/// start-up queries fill up to three caches: the app process measured 139 to 153 MB PSS at rest
/// with 100,000 cases, 136 to 139 MB with 2 MB (`app_start`, README issue 16; the run-to-run
/// spread is about as large as the difference).
fn tune_reader(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "PRAGMA cache_size = -{READER_CACHE_KIB}; PRAGMA mmap_size = 0;"
    ))
}

/// Applies the migrations this file has not seen, each in its own transaction.
fn migrate(conn: &Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, name, sql) in MIGRATIONS {
        if *version <= found {
            continue;
        }
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let applied = (|| -> Result<()> {
            // Another process may have migrated while we waited for the lock.
            let now: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now >= *version {
                return Ok(());
            }
            conn.execute_batch(sql)?;
            conn.execute_batch(&format!("PRAGMA user_version = {version}"))?;
            tracing::info!(version, name, "applied cache migration");
            Ok(())
        })();
        match applied {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    Ok(())
}

/// A read-only file or folder is reported before SQLite quietly opens it read-only (or, as the
/// superuser, writes into it anyway).
fn check_writable(path: &Path) -> Result<()> {
    let read_only = |detail: &str| StoreError::ReadOnly {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().readonly() => {
            return Err(read_only("the file is read-only"))
        }
        Ok(meta) if meta.is_dir() => {
            return Err(StoreError::Invalid(format!(
                "{} is a folder, not a file",
                path.display()
            )))
        }
        _ => {}
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match std::fs::metadata(folder) {
        Ok(meta) if meta.permissions().readonly() => Err(read_only("the folder is read-only")),
        Ok(_) => Ok(()),
        Err(e) => Err(StoreError::Io(e)),
    }
}

/// A cache from a newer PartnerDesk is refused before SQLite opens it for writing, so nothing
/// is written to it (no journal mode switch, no -wal or -shm beside it): the schema version is
/// read from the file header (`user_version`, offset 60). A newer version only in an
/// uncheckpointed WAL is caught by [`migrate`] instead.
fn check_not_newer(path: &Path) -> Result<()> {
    let Ok((len, header)) = read_header(path) else {
        return Ok(());
    };
    if len < 100 || &header[..16] != b"SQLite format 3\0" {
        return Ok(());
    }
    let found = i64::from(i32::from_be_bytes([
        header[60], header[61], header[62], header[63],
    ]));
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Header sanity check: a file that is too short for its own page count was truncated.
fn check_header(path: &Path) -> Result<()> {
    let corrupt = |detail: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let bytes = match read_header(path) {
        Ok(h) => h,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Io(e)),
    };
    let (len, header) = bytes;
    if len == 0 {
        return Ok(());
    }
    if len < 100 || &header[..16] != b"SQLite format 3\0" {
        return Err(corrupt("file is not a database".into()));
    }
    let raw_page = u16::from_be_bytes([header[16], header[17]]) as u64;
    let page_size = if raw_page == 1 { 65536 } else { raw_page };
    let pages = u32::from_be_bytes([header[28], header[29], header[30], header[31]]) as u64;
    let change_counter = &header[24..28];
    let valid_for = &header[92..96];
    let wal = wal_path(path);
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    if change_counter == valid_for && wal_len == 0 && pages > 0 && len < pages * page_size {
        return Err(corrupt(format!(
            "file is truncated: {len} bytes, its header says {pages} pages of {page_size}"
        )));
    }
    Ok(())
}

fn read_header(path: &Path) -> std::io::Result<(u64, [u8; 100])> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut header = [0u8; 100];
    let mut filled = 0;
    while filled < header.len() {
        let n = file.read(&mut header[filled..])?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok((len, header))
}

pub(crate) fn wal_path(path: &Path) -> PathBuf {
    sibling(path, "-wal")
}

pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Moves a damaged database (and its -wal/-shm) aside as `<name>.corrupt-<unix time>`.
/// Returns where the main file went.
pub(crate) fn set_aside(path: &Path) -> Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut suffix = format!(".corrupt-{stamp}");
    let mut n = 1;
    while sibling(path, &suffix).exists() {
        suffix = format!(".corrupt-{stamp}-{n}");
        n += 1;
    }
    let target = sibling(path, &suffix);
    std::fs::rename(path, &target)?;
    for extra in ["-wal", "-shm"] {
        let from = sibling(path, extra);
        if from.exists() {
            std::fs::rename(&from, sibling(&target, extra))?;
        }
    }
    Ok(target)
}
