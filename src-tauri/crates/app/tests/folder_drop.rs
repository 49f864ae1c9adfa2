//! A folder dropped on the Folders view becomes a drop folder (issue 11): the drop registry
//! keeps the dropped path as one folder (not expanded into its files), `add_folder_from_drop`
//! adds and watches it with the form's settings, and a file then written into it is taken. A
//! dropped file, several items, an unknown drop and a refused form are answered in words, and a
//! refused form leaves the drop to be sent again. A restart of the watchers leaves it watched.
//!
//! Runs inside a keyring session: `bash .ci/with-keyring.sh cargo test -p pd-app --test folder_drop`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use common::{eventually, keychain_namespace, start, Dirs};
use pd_app::commands;
use pd_domain::{CaseKind, ErrorCode, FolderSettings, FolderSource, FolderStateView, LedgerQuery};

const WAIT: Duration = Duration::from_secs(30);

fn form(partner: &str) -> FolderSettings {
    FolderSettings {
        id: String::new(),
        name: String::new(),
        // The page sends no path for a dropped folder; whatever it sends is replaced.
        source: FolderSource::Local {
            path: "/somewhere/the/page/made/up".into(),
            subfolders: true,
            polling: false,
        },
        partner_id: partner.into(),
        case_kind: CaseKind::Other,
        owner: None,
        settle_seconds: 1,
        poll_seconds: 30,
        paused: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_folder_is_added_as_a_watched_folder_and_other_drops_are_refused_in_words() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;
    eventually("the demo's partners", WAIT, || async {
        state
            .current()
            .store
            .list_partners(None)
            .is_ok_and(|p| !p.is_empty())
    })
    .await;
    let partner = state.current().store.list_partners(None).unwrap()[0]
        .partner
        .partner_company_id
        .clone();
    let outside = tempfile::tempdir().unwrap();
    let folder = outside.path().join("carrier-pods");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("already-there.pdf"), b"%PDF-1.4 old").unwrap();
    let file = outside.path().join("loose.pdf");
    std::fs::write(&file, b"%PDF-1.4 loose").unwrap();

    // A file, or two items, are not a folder.
    let drop = state.drops.register(std::slice::from_ref(&file));
    let err = commands::add_folder_from_drop(&state, drop.id.clone(), form(&partner))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InputInvalid);
    assert_eq!(
        err.to_string(),
        "loose.pdf is a file, not a folder: drop the folder it is in to watch it, or drop the file on a case to attach it."
    );
    let two = state.drops.register(&[folder.clone(), file.clone()]);
    let err = commands::add_folder_from_drop(&state, two.id, form(&partner))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Drop one folder to watch it; this drop holds 2 items."
    );
    let err = commands::add_folder_from_drop(&state, "drop-0-nothing".into(), form(&partner))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DropUnknown);

    // The folder: a refused form keeps the drop; the corrected one adds it.
    let drop = state.drops.register(std::slice::from_ref(&folder));
    assert_eq!(drop.folders, 1);
    let err = commands::add_folder_from_drop(&state, drop.id.clone(), form(""))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InputInvalid);
    assert!(err.to_string().contains("Choose the partner"), "{err}");
    assert!(commands::list_folders(&state).await.unwrap().is_empty());
    let added = commands::add_folder_from_drop(&state, drop.id.clone(), form(&partner))
        .await
        .unwrap();
    assert_eq!(added.settings.name, "carrier-pods");
    assert_eq!(
        added.settings.source,
        FolderSource::Local {
            path: folder.display().to_string(),
            subfolders: true,
            polling: false,
        }
    );
    // The drop is used up.
    let again = commands::add_folder_from_drop(&state, drop.id, form(&partner))
        .await
        .unwrap_err();
    assert_eq!(again.code(), ErrorCode::DropUnknown);

    eventually("the dropped folder is watched", WAIT, || async {
        commands::list_folders(&state).await.unwrap()[0].state == FolderStateView::Watching
    })
    .await;
    std::fs::write(folder.join("pod-0001.pdf"), b"%PDF-1.4 pod").unwrap();
    eventually("both files taken", WAIT, || async {
        commands::folder_ledger(&state, LedgerQuery::default())
            .await
            .unwrap()
            .len()
            == 2
    })
    .await;
    let ledger = commands::folder_ledger(&state, LedgerQuery::default())
        .await
        .unwrap();
    assert!(ledger.iter().all(|r| r.folder_name == "carrier-pods"));
    assert!(ledger.iter().any(|r| r.path == "pod-0001.pdf"));
    assert!(ledger.iter().any(|r| r.path == "already-there.pdf"));

    // Restarting the watchers (saving the routing rules does) leaves the folder watched: the
    // stopped watcher, finishing after its successor started, does not mark it paused.
    let rules = commands::routing_rules(&state)
        .await
        .unwrap()
        .rules
        .into_iter()
        .map(|r| r.setting)
        .collect();
    commands::save_routing_rules(&state, rules).await.unwrap();
    eventually("watched again", WAIT, || async {
        commands::list_folders(&state).await.unwrap()[0].state == FolderStateView::Watching
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        commands::list_folders(&state).await.unwrap()[0].state,
        FolderStateView::Watching
    );
    state.shutdown().await;
}
