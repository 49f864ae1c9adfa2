//! Errors a person can act on: which file, what is wrong with it, and where the old one was put.

use pd_domain::ErrorCode;
use std::path::PathBuf;

use crate::validate::FieldIssue;

/// Everything that can go wrong with settings.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The settings file is not valid JSON, not valid settings, too large or from a newer
    /// PartnerDesk.
    #[error("PartnerDesk could not use its settings file {path}: {reason}. {}", kept_note(.kept_as, .move_error))]
    Broken {
        /// The settings file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
        /// Where it was moved so nothing is lost (`settings.json.broken-<time>`).
        kept_as: Option<PathBuf>,
        /// Why it could not be moved, if it could not.
        move_error: Option<String>,
    },
    /// The settings file was written by a newer PartnerDesk: it is left as it is (not moved, not
    /// overwritten) and this build runs without it.
    #[error("PartnerDesk's settings file {path} was written by a newer version of PartnerDesk (settings format {found}; this version reads up to {supported}). It was left untouched; update PartnerDesk to use it. Until then, changes to accounts and connectors cannot be saved")]
    NewerVersion {
        /// The settings file.
        path: PathBuf,
        /// The format version in the file.
        found: u64,
        /// The newest format this build reads.
        supported: u32,
    },
    /// The settings file exists but cannot be read (permissions, I/O error).
    #[error("PartnerDesk could not read its settings file {path}: {reason}. {}", kept_note(.kept_as, .move_error))]
    Unreadable {
        /// The settings file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
        /// Where it was moved, if it could be.
        kept_as: Option<PathBuf>,
        /// Why it could not be moved, if it could not.
        move_error: Option<String>,
    },
    /// Settings (from a form or about to be saved) that are not valid; every issue names its
    /// field.
    #[error("{}", join_issues(.issues))]
    Invalid {
        /// One entry a field.
        issues: Vec<FieldIssue>,
    },
    /// An id that names no account or connector.
    #[error("no {what} has id {id}")]
    NotFound {
        /// `account` or `connector`.
        what: &'static str,
        /// The id given.
        id: String,
    },
    /// The settings could not be written; the previous file is unchanged.
    #[error("PartnerDesk could not save its settings to {path}: {reason}; the previous settings are unchanged")]
    WriteFailed {
        /// The settings file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
}

impl SettingsError {
    /// Stable dotted code for the UI and logs.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Broken { .. } => ErrorCode::SettingsBroken,
            Self::Unreadable { .. } => ErrorCode::SettingsUnreadable,
            Self::NewerVersion { .. } => ErrorCode::SettingsNewerVersion,
            Self::Invalid { .. } => ErrorCode::SettingsInvalid,
            Self::NotFound { .. } => ErrorCode::SettingsNotFound,
            Self::WriteFailed { .. } => ErrorCode::SettingsWriteFailed,
        }
    }

    /// The field problems of an `Invalid` error (empty for the others).
    pub fn issues(&self) -> &[FieldIssue] {
        match self {
            Self::Invalid { issues } => issues,
            _ => &[],
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Invalid {
            issues: vec![FieldIssue {
                field: field.into(),
                problem: problem.into(),
            }],
        }
    }
}

fn kept_note(kept_as: &Option<PathBuf>, move_error: &Option<String>) -> String {
    match (kept_as, move_error) {
        (Some(kept), _) => format!(
            "It was kept as {}; PartnerDesk continues with empty settings",
            kept.display()
        ),
        (None, Some(err)) => format!(
            "It could not be moved aside ({err}), so PartnerDesk will not overwrite it: fix or remove the file"
        ),
        (None, None) => "PartnerDesk will not overwrite it: fix or remove the file".to_owned(),
    }
}

fn join_issues(issues: &[FieldIssue]) -> String {
    issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
