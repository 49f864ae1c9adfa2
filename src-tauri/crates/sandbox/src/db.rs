//! The sandbox's SQLite file: its own directory tables (company, partners, users, Lens
//! transactions) beside the `collab/v1` tables that `pd_collab::sqlite` owns and migrates, so the
//! sandbox and `partnerdesk-server` keep cases the same way.

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Result, SandboxError};

pub use pd_collab::sqlite::{parse_ts, ts};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS company(id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS partners(
    id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, country TEXT,
    email TEXT, addresses TEXT NOT NULL, contact TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users(
    user_id TEXT PRIMARY KEY, login_id TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS user_roles(
    user_id TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY(user_id, role));
CREATE TABLE IF NOT EXISTS transactions(id TEXT PRIMARY KEY, data TEXT NOT NULL);
"#;

/// Opens (creating if needed) the data file with the house pragmas, the directory tables and
/// the collab tables at this build's version.
pub fn open(path: &std::path::Path) -> Result<Connection> {
    let mut conn = pd_collab::sqlite::open_connection(path)?;
    conn.execute_batch(SCHEMA)?;
    pd_collab::sqlite::migrate_connection(&mut conn)?;
    Ok(conn)
}

/// A meta value.
pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// Counts for `/__admin/stats`.
pub fn count(conn: &Connection, table: &str) -> rusqlite::Result<i64> {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
}

/// Turns a corrupt-row conversion error into the crate error.
pub fn corrupt(err: impl std::fmt::Display) -> SandboxError {
    SandboxError::Corrupt(err.to_string())
}
