//! Notices the window shows until the analyst dismisses them: what happened to their files at
//! start (a damaged cache and what was saved from it, a cache or settings file from a newer
//! PartnerDesk left untouched). Typed here so the app and the UI agree on every kind.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What PartnerDesk got back from a damaged cache file before starting a new one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CacheSalvage {
    /// Unsent changes queued again in the new cache (refused ones included).
    pub changes: u32,
    /// Of those, changes the server had refused (they stay in the outbox as refused).
    pub refused_changes: u32,
    /// Cases created here and not yet on the server, shown again.
    pub local_cases: u32,
    /// Comments written here and not yet sent, shown again.
    pub local_comments: u32,
    /// Queue rows that could not be read (an upper bound: a damaged page may also have held
    /// changes already sent).
    pub unreadable_changes: u32,
    /// The queue could not be read at all (the file's structure is gone).
    pub queue_unreadable: bool,
}

/// The cache was damaged: it was set aside and a new one started with what could be saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CacheRecoveredNotice {
    /// Names the notice for `dismiss_notice`.
    pub id: String,
    /// Where the damaged file was kept.
    pub set_aside: String,
    /// What was wrong with it.
    pub reason: String,
    /// What was saved from it.
    pub salvage: CacheSalvage,
}

/// A file written by a newer PartnerDesk, left exactly as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewerFileNotice {
    /// Names the notice for `dismiss_notice`.
    pub id: String,
    /// The file.
    pub path: String,
    /// The version the file says it has.
    #[ts(type = "number")]
    pub found: i64,
    /// The newest version this PartnerDesk reads.
    #[ts(type = "number")]
    pub supported: i64,
}

/// One notice for the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Notice {
    /// The cache was damaged and rebuilt; says what was saved and what was not.
    CacheRecovered(CacheRecoveredNotice),
    /// The workspace's cache comes from a newer PartnerDesk: this one works on an empty,
    /// read-only stand-in and does not sync.
    CacheFromNewerVersion(NewerFileNotice),
    /// The settings file comes from a newer PartnerDesk: this one starts without accounts
    /// and cannot save settings.
    SettingsFromNewerVersion(NewerFileNotice),
}

impl Notice {
    /// The notice's id.
    pub fn id(&self) -> &str {
        match self {
            Notice::CacheRecovered(n) => &n.id,
            Notice::CacheFromNewerVersion(n) | Notice::SettingsFromNewerVersion(n) => &n.id,
        }
    }
}
