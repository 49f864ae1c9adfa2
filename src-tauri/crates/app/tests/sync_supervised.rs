//! The sync loop runs under the supervisor, as the window starts it: a panic in it is written to
//! the log file, shows in the status bar's sync state (not only in Settings → Background jobs),
//! and the loop starts again and syncs once the fault is gone.
//!
//! Runs inside a keyring session: `bash .ci/with-keyring.sh cargo test -p pd-app --test sync_supervised`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use common::{eventually, files_under, keychain_namespace, start, Dirs};
use pd_app::{api, commands};
use pd_domain::{ErrorCode, JobState};

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_sync_loop_is_logged_shown_in_the_status_bar_and_the_loop_restarts() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let logs = dirs.data.join("logs");
    let _log = pd_app::logging::init(&logs).expect("log file");
    let state = start(&dirs).await;
    eventually("the first sync of the demo workspace", WAIT, || async {
        api::sync_status(&state)
            .await
            .unwrap()
            .last_synced_at
            .is_some()
    })
    .await;
    let synced_before = api::sync_status(&state).await.unwrap().last_synced_at;

    state.current().set_sync_panicking(true);
    eventually("the status bar shows the stopped sync", WAIT, || async {
        let status = api::sync_status(&state).await.unwrap();
        status.last_error.map(|e| e.code) == Some(ErrorCode::SyncTask)
    })
    .await;
    let status = api::sync_status(&state).await.unwrap();
    let error = status.last_error.expect("an error");
    assert!(
        error.message.contains("stopped unexpectedly") && error.message.contains("restarts"),
        "{}",
        error.message
    );
    assert!(
        !status.syncing,
        "a cycle that panicked is not shown as running"
    );

    // The loop keeps being restarted while the fault lasts, and the status keeps saying so.
    eventually("a second restart", WAIT, || async {
        let jobs = commands::background_jobs(&state).await.unwrap();
        jobs.iter()
            .any(|j| j.name.starts_with("Sync") && j.restarts >= 2)
    })
    .await;
    let jobs = commands::background_jobs(&state).await.unwrap();
    let job = jobs.iter().find(|j| j.name.starts_with("Sync")).unwrap();
    assert!(job
        .last_failure
        .as_deref()
        .is_some_and(|f| f.contains("panic")));
    assert_eq!(
        api::sync_status(&state)
            .await
            .unwrap()
            .last_error
            .map(|e| e.code),
        Some(ErrorCode::SyncTask)
    );

    eventually("the panic is in the log file", WAIT, || async {
        files_under(&logs).iter().any(|file| {
            std::fs::read_to_string(file)
                .unwrap_or_default()
                .contains("background job panicked; restarting")
        })
    })
    .await;

    // The fault goes: the restarted loop syncs and the status bar is back to normal.
    state.current().set_sync_panicking(false);
    eventually("a sync after the restart", WAIT, || async {
        let status = api::sync_status(&state).await.unwrap();
        status.last_error.is_none() && status.last_synced_at > synced_before
    })
    .await;
    let jobs = commands::background_jobs(&state).await.unwrap();
    let job = jobs.iter().find(|j| j.name.starts_with("Sync")).unwrap();
    assert_eq!(job.state, JobState::Running);
    state.shutdown().await;
}
