//! Drop folders (issue 11): the types the settings file, the app and the UI share to describe a
//! watched folder, how it is doing, and its ingest ledger.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::CaseKind;

/// Where a drop folder's files come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FolderSource {
    /// A folder on this computer or a mounted network share.
    Local {
        /// The folder's path.
        path: String,
        /// Files in subfolders are taken too.
        #[serde(default)]
        subfolders: bool,
        /// Scan on an interval instead of waiting for file-system events (network shares where
        /// events do not arrive).
        #[serde(default)]
        polling: bool,
    },
    /// A folder on an SFTP connector's server, polled.
    Sftp {
        /// The SFTP connector's id.
        connector_id: String,
        /// The remote folder (empty: the connector's folder).
        #[serde(default)]
        remote_dir: String,
        /// Where taken files are moved on the server, relative to the remote folder.
        #[serde(default = "processed")]
        processed_dir: String,
        /// Where files that could not be taken are moved (beside `<name>.reason.txt`), relative
        /// to the remote folder.
        #[serde(default = "failed")]
        failed_dir: String,
    },
}

fn processed() -> String {
    "processed".to_string()
}

fn failed() -> String {
    "failed".to_string()
}

/// Checks a folder name for an SFTP folder's `processed/` or `failed/` setting: a folder inside
/// the remote folder (nested with `/` allowed), never empty, never `..` (outside it), never the
/// watched folder itself (`.`), no control characters. `what` names the setting in the words
/// ("Taken files", "Files that could not be taken"). Answers the cleaned name (trimmed, without
/// `./` and trailing `/`).
pub fn check_move_folder(what: &str, name: &str) -> Result<String, String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(format!(
            "{what}: give the folder they are moved to, inside the remote folder (e.g. processed)."
        ));
    }
    if trimmed.chars().any(|c| c.is_control() || c == '\\') {
        return Err(format!(
            "{what}: \"{}\" has characters a folder name cannot have (backslash, line break).",
            trimmed.escape_debug()
        ));
    }
    if trimmed.starts_with('/') {
        return Err(format!(
            "{what}: \"{trimmed}\" is a path from the server's root; give a folder inside the remote folder instead (e.g. processed)."
        ));
    }
    let parts: Vec<&str> = trimmed
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(format!(
            "{what}: \"{trimmed}\" leads out of the remote folder (..); give a folder inside it."
        ));
    }
    if parts.is_empty() {
        return Err(format!(
            "{what}: \"{trimmed}\" is the watched folder itself; files moved there would be taken again. Give a folder inside it (e.g. processed)."
        ));
    }
    Ok(parts.join("/"))
}

/// One drop folder as the settings file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FolderSettings {
    /// Stable id (empty in a new folder's form: one is chosen).
    #[serde(default)]
    pub id: String,
    /// Name shown in the Folders view and in "Unmatched document from <name>".
    pub name: String,
    /// Where its files come from.
    pub source: FolderSource,
    /// Partner of the cases its unmatched files open.
    pub partner_id: String,
    /// Kind of those cases.
    pub case_kind: CaseKind,
    /// Owner of those cases.
    #[serde(default)]
    pub owner: Option<String>,
    /// Seconds size and modification time must stay unchanged before a file is taken.
    #[serde(default = "default_settle")]
    pub settle_seconds: u32,
    /// Seconds between scans when polling (SFTP, network shares).
    #[serde(default = "default_poll")]
    pub poll_seconds: u32,
    /// Paused by the analyst: not watched.
    #[serde(default)]
    pub paused: bool,
}

fn default_settle() -> u32 {
    2
}

fn default_poll() -> u32 {
    30
}

/// How a folder is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FolderStateView {
    /// Starting (first scan).
    Starting,
    /// File-system events arrive.
    Watching,
    /// Scanned on an interval.
    Polling,
    /// Cannot be reached now; retried by itself.
    Offline,
    /// Something failed; retried by itself.
    Error,
    /// Paused by the analyst.
    Paused,
}

/// One folder in the Folders view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FolderView {
    /// Its settings.
    pub settings: FolderSettings,
    /// Its state.
    pub state: FolderStateView,
    /// Why (offline, error), in words.
    pub reason: Option<String>,
    /// Files taken as documents (this workspace).
    #[ts(type = "number")]
    pub taken: u64,
    /// Same bytes seen again under another name.
    #[ts(type = "number")]
    pub duplicates: u64,
    /// Files that could not be taken.
    #[ts(type = "number")]
    pub failed: u64,
    /// Files waiting to settle.
    #[ts(type = "number")]
    pub waiting: u64,
    /// The last file's path.
    pub last_file: Option<String>,
    /// When it was taken (RFC 3339).
    pub last_at: Option<String>,
}

/// Filters of the ingest ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct LedgerQuery {
    /// Only this folder.
    pub folder_id: Option<String>,
    /// Only this outcome (`taken`, `duplicate`, `failed`).
    pub outcome: Option<String>,
    /// Taken on or after this day (`YYYY-MM-DD`).
    pub since: Option<String>,
    /// Taken on or before this day (`YYYY-MM-DD`).
    pub until: Option<String>,
}

/// One ledger row in the Folders view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LedgerRowView {
    /// Row id.
    #[ts(type = "number")]
    pub id: i64,
    /// Folder id.
    pub folder_id: String,
    /// Folder name.
    pub folder_name: String,
    /// The file's path inside the folder.
    pub path: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// Media type.
    pub media_type: String,
    /// When it was taken (RFC 3339).
    pub seen_at: String,
    /// `taken`, `duplicate` or `failed`.
    pub outcome: String,
    /// Words about the outcome.
    pub detail: Option<String>,
    /// The case it went to.
    pub case_id: Option<String>,
    /// That case's reference.
    pub case_reference: Option<String>,
    /// The document it became.
    pub document_id: Option<String>,
    /// The rule that decided.
    pub rule: Option<String>,
    /// That rule in the analyst's words ("Reference in the EDI document", "No rule matched").
    pub rule_label: Option<String>,
    /// Why the rule fired.
    pub rule_reason: Option<String>,
}
