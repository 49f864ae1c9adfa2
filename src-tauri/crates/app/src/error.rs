//! One error type for every command, so the UI always receives the same `{code, message}` shape.

use pd_domain::{ErrorCode, ErrorInfo};
use serde::{Serialize, Serializer};

/// What a command or the start-up can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A failure whose code and message are meant for the analyst (from a crate's `code()`).
    #[error("{message}")]
    Reported {
        /// Stable code, e.g. `net.offline`.
        code: ErrorCode,
        /// What happened, in words for an analyst.
        message: String,
    },
    /// Something the analyst cannot act on; the detail goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A reported error with its stable code.
    pub fn reported(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Reported {
            code,
            message: message.into(),
        }
    }

    /// An internal error: logged with its detail, shown as "Something went wrong".
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        AppError::Internal(detail.to_string())
    }

    /// The stable code the UI matches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Reported { code, .. } => *code,
            AppError::Internal(_) => ErrorCode::AppInternal,
        }
    }

    /// The wire shape. Internal errors are logged here, once, as they cross to the UI.
    pub fn to_info(&self) -> ErrorInfo {
        match self {
            AppError::Reported { code, message } => ErrorInfo {
                code: *code,
                message: message.clone(),
            },
            AppError::Internal(detail) => {
                tracing::error!(%detail, "command failed with an internal error");
                ErrorInfo {
                    code: ErrorCode::AppInternal,
                    message: "Something went wrong. The details are in the log file.".to_owned(),
                }
            }
        }
    }
}

impl Serialize for AppError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_info().serialize(serializer)
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(error: tokio::task::JoinError) -> Self {
        AppError::internal(format!("background task failed: {error}"))
    }
}

impl From<std::io::Error> for AppError {
    fn from(error: std::io::Error) -> Self {
        AppError::internal(format!("i/o: {error}"))
    }
}

impl From<pd_store::StoreError> for AppError {
    fn from(error: pd_store::StoreError) -> Self {
        use pd_store::StoreError;
        match error {
            StoreError::Io(_) | StoreError::Sqlite(_) | StoreError::Data(_) => {
                AppError::internal(format!("[{}] {error}", error.code()))
            }
            other => AppError::reported(other.code(), capitalised(&other.to_string())),
        }
    }
}

impl From<pd_tradinggrid::Error> for AppError {
    fn from(error: pd_tradinggrid::Error) -> Self {
        AppError::reported(error.code(), capitalised(&error.to_string()))
    }
}

impl From<pd_secrets::SecretsError> for AppError {
    fn from(error: pd_secrets::SecretsError) -> Self {
        AppError::reported(error.code(), capitalised(&error.to_string()))
    }
}

impl From<pd_settings::SettingsError> for AppError {
    fn from(error: pd_settings::SettingsError) -> Self {
        AppError::reported(error.code(), capitalised(&error.to_string()))
    }
}

/// Crate messages start lower case (they read well inside logs); the UI shows sentences.
pub(crate) fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_errors_cross_as_their_code_and_message() {
        let error = AppError::reported(ErrorCode::NetOffline, "The server cannot be reached.");
        let json = serde_json::to_value(&error).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({"code": "net.offline", "message": "The server cannot be reached."})
        );
    }

    #[test]
    fn store_errors_keep_their_stable_code() {
        let error = AppError::from(pd_store::StoreError::NotFound {
            what: "case",
            id: "c-1".into(),
        });
        assert_eq!(error.to_info().code, "store.not_found");
        assert_eq!(error.to_info().message, "Case c-1 is not in the cache");
        let undecodable = AppError::from(pd_store::StoreError::Data("bad json in column".into()));
        assert_eq!(undecodable.to_info().code, "app.internal");
        assert!(!undecodable.to_info().message.contains("bad json"));
    }

    #[test]
    fn internal_errors_hide_their_detail_from_the_ui() {
        let error = AppError::internal("SQLITE_CORRUPT at page 12 of /home/a/secret/path");
        let json = serde_json::to_string(&error).expect("serializes");
        assert!(json.contains("app.internal"));
        assert!(json.contains("Something went wrong"));
        assert!(!json.contains("SQLITE_CORRUPT"), "detail leaked: {json}");
    }
}
