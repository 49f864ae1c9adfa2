//! What the shell's integration tests share: temp dirs for data and config, a throwaway keychain
//! namespace, the app state started exactly as the window starts it, and an IPC recorder that
//! serializes every answer the way Tauri does (serde_json of the value or of the `{code, message}`).

#![allow(dead_code)] // each test binary uses part of it

use std::path::{Path, PathBuf};
use std::time::Duration;

use pd_app::error::AppError;
use pd_app::events::{self, ChangeReporter};
use pd_app::state::{AppState, StartOptions};
use pd_secrets::SecretStore;
use serde::Serialize;

/// A throwaway keychain namespace, or `None` (the test is skipped) with `PD_SKIP_KEYCHAIN_TESTS=1`.
/// Without a keychain and without that variable the test fails and says how to run it.
pub fn keychain_namespace() -> Option<String> {
    let namespace = format!("com.partnerdesk.test.{}", uuid::Uuid::new_v4().simple());
    let store = SecretStore::new(&namespace).expect("the platform store is available");
    match store.probe() {
        Ok(_) => Some(namespace),
        Err(err) if std::env::var("PD_SKIP_KEYCHAIN_TESTS").as_deref() == Ok("1") => {
            eprintln!("SKIPPED (PD_SKIP_KEYCHAIN_TESTS=1): {}: {err}", err.code());
            None
        }
        Err(err) => panic!(
            "no OS keychain reachable ({}: {err}).\nRun inside a keyring session:\n    bash .ci/with-keyring.sh cargo test -p pd-app\nor set PD_SKIP_KEYCHAIN_TESTS=1 to skip.",
            err.code()
        ),
    }
}

/// The app's folders for one test.
pub struct Dirs {
    _root: tempfile::TempDir,
    pub data: PathBuf,
    pub config: PathBuf,
    pub namespace: String,
}

impl Dirs {
    pub fn new(namespace: String) -> Dirs {
        let root = tempfile::tempdir().expect("temp dir");
        let data = root.path().join("data");
        let config = root.path().join("config");
        Dirs {
            data,
            config,
            namespace,
            _root: root,
        }
    }

    pub fn options(&self) -> StartOptions {
        StartOptions {
            data_dir: self.data.clone(),
            config_dir: self.config.clone(),
            keychain_namespace: self.namespace.clone(),
        }
    }

    pub fn secrets(&self) -> SecretStore {
        SecretStore::new(&self.namespace).expect("keychain store")
    }
}

/// A change reporter whose events go nowhere (no window in these tests).
pub fn quiet_changes() -> ChangeReporter {
    events::start_batcher(events::BATCH_WINDOW, |_: pd_domain::ChangedPayload| {})
}

pub async fn start(dirs: &Dirs) -> AppState {
    AppState::start(dirs.options(), quiet_changes())
        .await
        .expect("app state starts")
}

/// Every IPC answer a test saw, serialized as Tauri sends it to the window.
#[derive(Default)]
pub struct Ipc {
    pub responses: Vec<(String, String)>,
}

impl Ipc {
    /// Records the answer of `command` and hands back the value (panicking on an error answer).
    pub fn ok<T: Serialize>(&mut self, command: &str, answer: Result<T, AppError>) -> T {
        let json = match &answer {
            Ok(value) => serde_json::to_string(value).expect("answer serializes"),
            Err(error) => serde_json::to_string(error).expect("error serializes"),
        };
        self.responses.push((command.to_owned(), json.clone()));
        match answer {
            Ok(value) => value,
            Err(error) => panic!("{command} failed: {json} ({error:?})"),
        }
    }

    /// Records an answer that may be an error.
    pub fn any<T: Serialize>(&mut self, command: &str, answer: &Result<T, AppError>) {
        let json = match answer {
            Ok(value) => serde_json::to_string(value).expect("answer serializes"),
            Err(error) => serde_json::to_string(error).expect("error serializes"),
        };
        self.responses.push((command.to_owned(), json));
    }
}

/// Polls `check` until it holds, up to `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    while !check().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Writes each generated file whose content differs from `content`; answers the paths it
/// rewrote, so the generating test can fail naming them (commit them).
pub fn rewrite_stale(files: &[(PathBuf, String)]) -> Vec<String> {
    let mut stale = Vec::new();
    for (path, content) in files {
        if std::fs::read_to_string(path).unwrap_or_default() != *content {
            std::fs::write(path, content).expect("write generated file");
            stale.push(path.display().to_string());
        }
    }
    stale
}

/// A demo case (of the list's first 200) with a PO number of four characters or more, found
/// through the commands and the cache: the page, the case's id and its PO number.
pub async fn case_with_a_po(state: &AppState) -> (pd_domain::CaseListPage, String, String) {
    let store = state.current().store.clone();
    let page = pd_app::api::list_cases(
        state,
        pd_domain::CaseQuery {
            limit: 200,
            ..pd_domain::CaseQuery::default()
        },
    )
    .await
    .expect("cases");
    let (case_id, po) = page
        .rows
        .iter()
        .find_map(|row| {
            let case = store.case(&row.id).expect("a cached case")?;
            case.references
                .po_numbers
                .first()
                .filter(|po| po.len() >= 4)
                .map(|po| (case.id.clone(), po.clone()))
        })
        .expect("a demo case with a PO number");
    (page, case_id, po)
}
