//! The app's own files as it finds them at start, through the app state the window uses: a
//! damaged cache gives back the analyst's unsent work and a notice says what was saved; a cache
//! and a settings file from a newer PartnerDesk are left byte for byte as they were, and the
//! window is told (typed notices and the status bar), instead of a line on stderr.
//!
//! Runs inside a keyring session: `bash .ci/with-keyring.sh cargo test -p pd-app --test damaged_and_newer_files`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::path::{Path, PathBuf};

use common::{keychain_namespace, start, Dirs};
use pd_app::{api, commands};
use pd_domain::{
    CaseBundle, CaseKind, CasePage, ErrorCode, NewCase, NewCaseInput, Notice, Visibility,
};
use pd_store::Store;

fn new_case(id: &str) -> NewCase {
    NewCase {
        id: id.into(),
        title: "Crushed pallets from Verona".into(),
        partner_id: "GC00VERONA01".into(),
        partner_name: None,
        kind: CaseKind::Shipment,
        priority: None,
        owner: None,
        sla_due: None,
        linked_transactions: vec![],
        references: Default::default(),
        description: Some("Three pallets arrived crushed.".into()),
    }
}

/// Server-looking cases, to grow the file past the queue.
fn filler(n: usize) -> CasePage {
    let now = chrono::Utc::now();
    let cases = (0..n)
        .map(|i| CaseBundle {
            case: pd_domain::Case {
                id: format!("filler-{i:05}"),
                reference: format!("CASE-{i:06}"),
                title: format!("Filler case {i}"),
                partner_id: "GC1".into(),
                partner_name: "Verona Vittles".into(),
                kind: CaseKind::Shipment,
                status: pd_domain::CaseStatus::Open,
                priority: pd_domain::Priority::Normal,
                owner: None,
                sla_due: None,
                created_at: now,
                updated_at: now,
                linked_transactions: vec![],
                references: Default::default(),
                version: 1,
            },
            comments: vec![],
            documents: vec![],
        })
        .collect();
    CasePage {
        cases,
        next_cursor: "filler".into(),
        has_more: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_cache_gives_back_the_unsent_work_and_the_window_says_what() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    std::fs::create_dir_all(&dirs.data).unwrap();
    let cache = dirs.data.join(pd_app::CACHE_FILE);
    {
        let store = Store::open(&cache).unwrap();
        store
            .create_local_case(
                &new_case("6f1c0de0-0000-4000-8000-000000000001"),
                "Ana",
                chrono::Utc::now(),
            )
            .unwrap();
        store
            .add_local_comment(
                "6f1c0de0-0000-4000-8000-000000000001",
                "Ana",
                "Asked the carrier for photos.",
                Visibility::Internal,
                chrono::Utc::now(),
            )
            .unwrap();
    }
    let queued_len = std::fs::metadata(&cache).unwrap().len();
    {
        let store = Store::open(&cache).unwrap();
        store.apply_case_page(&filler(600), "filler").unwrap();
    }
    let full_len = std::fs::metadata(&cache).unwrap().len();
    assert!(full_len > queued_len * 2);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cache)
        .unwrap()
        .set_len((queued_len + full_len) / 2)
        .unwrap();

    let state = start(&dirs).await;
    let notices = commands::notices(&state).await.unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    let Notice::CacheRecovered(recovered) = &notices[0] else {
        panic!("{notices:?}")
    };
    assert_eq!(recovered.salvage.changes, 2);
    assert_eq!(recovered.salvage.local_cases, 1);
    assert_eq!(recovered.salvage.local_comments, 2);
    assert_eq!(recovered.salvage.unreadable_changes, 0);
    assert!(Path::new(&recovered.set_aside).exists());
    // The analyst's case is there again (and on its way to the server).
    let detail = api::get_case(&state, "6f1c0de0-0000-4000-8000-000000000001".into())
        .await
        .unwrap();
    assert_eq!(detail.case.title, "Crushed pallets from Verona");
    assert!(detail
        .comments
        .iter()
        .any(|c| c.comment.body == "Asked the carrier for photos."));
    // The notice stays until dismissed, once.
    let id = recovered.id.clone();
    assert_eq!(commands::notices(&state).await.unwrap().len(), 1);
    commands::dismiss_notice(&state, id.clone()).await.unwrap();
    assert!(commands::notices(&state).await.unwrap().is_empty());
    assert!(commands::dismiss_notice(&state, id).await.is_err());
    state.shutdown().await;
}

fn snapshot(paths: &[&Path]) -> Vec<(PathBuf, Vec<u8>)> {
    paths
        .iter()
        .map(|p| (p.to_path_buf(), std::fs::read(p).unwrap()))
        .collect()
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_from_a_newer_version_are_left_byte_identical_and_the_window_says_so() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    std::fs::create_dir_all(&dirs.data).unwrap();
    std::fs::create_dir_all(&dirs.config).unwrap();
    let cache = dirs.data.join(pd_app::CACHE_FILE);
    {
        let store = Store::open(&cache).unwrap();
        store.apply_case_page(&filler(20), "filler").unwrap();
    }
    drop(bump_schema(&cache));
    let settings = dirs.config.join(pd_app::state::SETTINGS_FILE);
    std::fs::write(
        &settings,
        "{\n  \"version\": 9,\n  \"accounts\": [],\n  \"connectors\": [],\n  \"workspaces\": {\"from\": \"the future\"}\n}\n",
    )
    .unwrap();
    let before = snapshot(&[&cache, &settings]);
    let config_names = names_in(&dirs.config);

    let state = start(&dirs).await;
    let notices = commands::notices(&state).await.unwrap();
    let kinds: Vec<&str> = notices
        .iter()
        .map(|n| match n {
            Notice::SettingsFromNewerVersion(_) => "settings",
            Notice::CacheFromNewerVersion(_) => "cache",
            Notice::CacheRecovered(_) => "recovered",
        })
        .collect();
    assert_eq!(kinds, ["settings", "cache"], "{notices:?}");
    match &notices[1] {
        Notice::CacheFromNewerVersion(n) => {
            assert_eq!((n.found, n.supported), (42, pd_store::SCHEMA_VERSION));
            assert_eq!(Path::new(&n.path), cache);
        }
        other => panic!("{other:?}"),
    }
    match &notices[0] {
        Notice::SettingsFromNewerVersion(n) => assert_eq!(n.found, 9),
        other => panic!("{other:?}"),
    }
    // The status bar says why nothing syncs; a change is refused with the same words.
    let status = api::sync_status(&state).await.unwrap();
    let shown = status.last_error.expect("the status bar explains");
    assert_eq!(shown.code, ErrorCode::StoreNewerSchema);
    assert!(
        shown.message.contains("newer version of PartnerDesk"),
        "{}",
        shown.message
    );
    let refused = api::create_case(
        &state,
        NewCaseInput {
            title: "Anything".into(),
            partner_id: "GC1".into(),
            kind: CaseKind::Shipment,
            priority: pd_domain::Priority::Normal,
            owner: None,
            description: None,
        },
    )
    .await
    .expect_err("no changes into a stand-in");
    assert_eq!(refused.code(), ErrorCode::StoreNewerSchema);
    state.shutdown().await;
    drop(state);

    assert_eq!(snapshot(&[&cache, &settings]), before, "byte-identical");
    assert_eq!(
        names_in(&dirs.config),
        config_names,
        "no settings file moved aside"
    );
    let data_names = names_in(&dirs.data);
    assert!(
        !data_names
            .iter()
            .any(|n| n.starts_with("cache.db.corrupt") || n == "cache.db-wal"),
        "{data_names:?}"
    );
}

/// Marks the cache as written by schema 42, as a newer PartnerDesk would (header offset 60,
/// `user_version`), without SQLite.
fn bump_schema(cache: &Path) -> std::fs::File {
    use std::io::{Seek, SeekFrom, Write};
    let mut file = std::fs::OpenOptions::new().write(true).open(cache).unwrap();
    file.seek(SeekFrom::Start(60)).unwrap();
    file.write_all(&42i32.to_be_bytes()).unwrap();
    file.sync_all().unwrap();
    file
}
