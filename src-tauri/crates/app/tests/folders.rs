//! Drop folders through the commands the window calls, on the demo workspace: a folder that is
//! not there is refused in words; a local folder is watched as a background job; a file named
//! with a case's PO lands on that case, another opens "Unmatched document from <folder>", both
//! in the ledger with the rule that decided; the folder shows its state, counts and last file;
//! pause and remove.
//!
//! Runs inside a keyring session: `bash .ci/with-keyring.sh cargo test -p pd-app --test folders`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use common::{case_with_a_po, eventually, keychain_namespace, start, Dirs};
use pd_app::{api, commands};
use pd_domain::{
    CaseKind, CaseQuery, ErrorCode, FolderSettings, FolderSource, FolderStateView, LedgerQuery,
};

const WAIT: Duration = Duration::from_secs(30);

fn folder(path: &std::path::Path, partner: &str) -> FolderSettings {
    FolderSettings {
        id: String::new(),
        name: "ERP exports".into(),
        source: FolderSource::Local {
            path: path.display().to_string(),
            subfolders: false,
            polling: false,
        },
        partner_id: partner.into(),
        case_kind: CaseKind::Invoice,
        owner: None,
        settle_seconds: 1,
        poll_seconds: 30,
        paused: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_folder_puts_files_on_their_cases_with_the_ledger_row() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;
    eventually("the demo's cases", WAIT, || async {
        api::list_cases(&state, CaseQuery::default())
            .await
            .is_ok_and(|page| page.total > 0)
    })
    .await;
    // A case with a PO number, and a partner for the folder's own cases.
    let (page, case_id, po) = case_with_a_po(&state).await;
    let partner = page.rows[0].partner_id.clone();

    let missing = commands::save_folder(&state, folder(&dirs.data.join("nope"), &partner))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::InputInvalid);
    assert!(missing.to_string().contains("is not a folder"), "{missing}");

    let drop_dir = tempfile::tempdir().unwrap();
    let saved = commands::save_folder(&state, folder(drop_dir.path(), &partner))
        .await
        .unwrap();
    let id = saved.settings.id.clone();
    assert!(!id.is_empty());
    eventually("the folder is watched", WAIT, || async {
        commands::list_folders(&state).await.unwrap()[0].state == FolderStateView::Watching
    })
    .await;
    assert!(state
        .supervisor
        .jobs()
        .iter()
        .any(|job| job.name == "Drop folder: ERP exports"));

    std::fs::write(drop_dir.path().join(format!("PO {po}.pdf")), b"%PDF-1.4 po").unwrap();
    std::fs::write(drop_dir.path().join("remittance.csv"), b"a,b\n1,2\n").unwrap();
    eventually("both files in the ledger", WAIT, || async {
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
    let po_row = ledger.iter().find(|r| r.path.starts_with("PO ")).unwrap();
    assert_eq!(po_row.rule.as_deref(), Some("po_number"));
    assert_eq!(
        po_row.rule_label.as_deref(),
        Some("PO number in the file name")
    );
    assert_eq!(po_row.case_id.as_deref(), Some(case_id.as_str()));
    let detail = api::get_case(&state, case_id.clone()).await.unwrap();
    assert!(detail
        .documents
        .iter()
        .any(|d| d.document.name == format!("PO {po}.pdf")));
    let other = ledger.iter().find(|r| r.path == "remittance.csv").unwrap();
    assert_eq!(other.rule.as_deref(), Some("unmatched"));
    assert_eq!(other.rule_label.as_deref(), Some("No rule matched"));
    let opened = api::get_case(&state, other.case_id.clone().unwrap())
        .await
        .unwrap();
    assert_eq!(opened.case.title, "Unmatched document from ERP exports");
    assert_eq!(opened.case.kind, CaseKind::Invoice);

    // Filters: by outcome and by folder.
    let duplicates = commands::folder_ledger(
        &state,
        LedgerQuery {
            outcome: Some("duplicate".into()),
            ..LedgerQuery::default()
        },
    )
    .await
    .unwrap();
    assert!(duplicates.is_empty());
    let bad_day = commands::folder_ledger(
        &state,
        LedgerQuery {
            since: Some("yesterday".into()),
            ..LedgerQuery::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(bad_day.code(), ErrorCode::InputInvalid);

    let view = &commands::list_folders(&state).await.unwrap()[0];
    assert_eq!(view.taken, 2);
    assert!(view.last_file.is_some());

    let paused = commands::set_folder_paused(&state, id.clone(), true)
        .await
        .unwrap();
    assert_eq!(paused.state, FolderStateView::Paused);
    assert!(!state
        .supervisor
        .jobs()
        .iter()
        .any(|job| job.name == "Drop folder: ERP exports"));
    commands::remove_folder(&state, id).await.unwrap();
    assert!(commands::list_folders(&state).await.unwrap().is_empty());
    state.shutdown().await;
}

/// An SFTP folder's `processed/` and `failed/` names are the analyst's settings: refused in
/// words when empty, `..`, the watched folder itself, a path from the server's root or the
/// same for both; saved cleaned (and kept in the settings file) when usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sftp_folders_processed_and_failed_names_are_checked_and_saved() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;
    let connector = commands::save_connector(
        &state,
        pd_domain::ConnectorInput {
            id: None,
            name: "Carrier inbox".into(),
            settings: pd_domain::ConnectorSettings::Sftp(pd_domain::SftpSettings {
                host: "127.0.0.1".into(),
                port: 1,
                user: "pd".into(),
                auth: pd_domain::SftpAuth::Password,
                remote_dir: Some("/out".into()),
                host_key: None,
            }),
            secret: Some("not used".into()),
        },
    )
    .await
    .expect("connector saved");
    let sftp = |processed: &str, failed: &str| {
        let mut input = folder(std::path::Path::new("/"), "GC00VERONA01");
        input.name = "Carrier PODs".into();
        input.source = FolderSource::Sftp {
            connector_id: connector.id.clone(),
            remote_dir: "/out/pods".into(),
            processed_dir: processed.into(),
            failed_dir: failed.into(),
        };
        input
    };
    for (processed, failed, words) in [
        ("", "failed", "Taken files: give the folder"),
        ("   ", "failed", "Taken files: give the folder"),
        (
            "processed",
            "",
            "Files that could not be taken: give the folder",
        ),
        ("..", "failed", "leads out of the remote folder"),
        ("done/../../etc", "failed", "leads out of the remote folder"),
        (".", "failed", "is the watched folder itself"),
        ("./", "failed", "is the watched folder itself"),
        ("processed", "/var/failed", "a path from the server's root"),
        ("done\nx", "failed", "characters a folder name cannot have"),
        ("archive", "./archive/", "give them different folders"),
    ] {
        let refused = commands::save_folder(&state, sftp(processed, failed))
            .await
            .expect_err(&format!("{processed:?} / {failed:?} refused"));
        assert_eq!(refused.code(), ErrorCode::InputInvalid, "{refused}");
        assert!(
            refused.to_string().contains(words),
            "{processed:?} / {failed:?}: {refused}"
        );
    }
    assert!(commands::list_folders(&state).await.unwrap().is_empty());

    let saved = commands::save_folder(&state, sftp(" ./done/2026/ ", "rejected"))
        .await
        .expect("usable names are saved");
    let FolderSource::Sftp {
        processed_dir,
        failed_dir,
        ..
    } = &saved.settings.source
    else {
        panic!("{saved:?}")
    };
    assert_eq!(
        (processed_dir.as_str(), failed_dir.as_str()),
        ("done/2026", "rejected")
    );
    let file = std::fs::read_to_string(dirs.config.join("settings.json")).unwrap();
    assert!(
        file.contains("\"processed_dir\": \"done/2026\"")
            && file.contains("\"failed_dir\": \"rejected\""),
        "{file}"
    );
    state.shutdown().await;
}
