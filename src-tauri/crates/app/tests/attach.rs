//! Attaching dropped files to a case (issue 10, `attach_drop`) in the demo workspace, against
//! its real sandbox over loopback and real SQLite files: a drop ends as exactly one document on
//! the case and on the server (the sandbox's own database is read) after the push, the
//! Transfers view follows it to "done"; the same content again is flagged, not sent; each bad
//! input (vanished, unreadable, empty, a folder of many files unconfirmed, a large file without
//! an S3 connector) gives its words and leaves no document, no outbox entry and no spool copy;
//! hostile names are sanitized, not refused; a new-case target creates the case with the files.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pd_app::commands as api;
use pd_app::state::AppState;
use pd_domain::{
    AttachOutcome, AttachReport, AttachTarget, CaseQuery, DragPhase, DropView, ErrorCode,
    SendState, TransferState, TransfersUpdate, UploadRoute, UploadSettings,
};

struct Collected(Arc<Mutex<Vec<TransfersUpdate>>>);

impl pd_app::stream::StreamSink<TransfersUpdate> for Collected {
    fn send(&self, message: TransfersUpdate) -> bool {
        self.0.lock().unwrap().push(message);
        true
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The demo workspace, synced.
async fn demo(dirs: &common::Dirs) -> AppState {
    let state = common::start(dirs).await;
    let status = api::sync_now(&state).await.expect("sync");
    assert!(status.last_error.is_none(), "{:?}", status.last_error);
    state
}

async fn first_case(state: &AppState) -> String {
    api::list_cases(
        state,
        CaseQuery {
            limit: 5,
            ..CaseQuery::default()
        },
    )
    .await
    .expect("cases")
    .rows
    .first()
    .expect("the demo has cases")
    .id
    .clone()
}

/// Drops `paths` on the window through the same function the native event calls.
fn drop_files(state: &AppState, paths: &[PathBuf]) -> DropView {
    pd_app::drops::drag_event(state, DragPhase::Drop, paths, 10.0, 10.0)
        .dropped
        .expect("a drop is registered")
}

/// (rows, each row's content SHA-256) of documents with `sha256` on `case_id` in the demo
/// server's own database.
fn server_documents(dirs: &common::Dirs, case_id: &str, sha256: &str) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(
        dirs.data.join(pd_app::workspace::DEMO_DATA_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("the demo server's database");
    let mut stmt = db
        .prepare("SELECT content FROM documents WHERE case_id = ?1 AND sha256 = ?2")
        .unwrap();
    let rows = stmt
        .query_map([case_id, sha256], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|content| sha256_hex(&content.unwrap()))
        .collect();
    rows
}

fn spool_files(state: &AppState) -> Vec<String> {
    std::fs::read_dir(state.current().store.spool_dir())
        .map(|read| {
            read.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn outcome_of<'a>(report: &'a AttachReport, name: &str) -> &'a AttachOutcome {
    &report
        .files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} in {report:?}"))
        .result
}

fn refusal(outcome: &AttachOutcome) -> (ErrorCode, String) {
    match outcome {
        AttachOutcome::Refused { error } => (error.code, error.message.clone()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_file_ends_as_one_document_on_the_case_and_on_the_server_and_again_is_flagged() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let dirs = common::Dirs::new(namespace);
    let state = demo(&dirs).await;
    let updates = Arc::new(Mutex::new(Vec::new()));
    api::watch_transfers(&state, Box::new(Collected(updates.clone())))
        .await
        .unwrap();
    let case_id = first_case(&state).await;
    let files = tempfile::tempdir().unwrap();
    let invoice = files.path().join("invoice 4711.pdf");
    let content = [b"%PDF-1.7\n".as_slice(), &[7u8; 300_000]].concat();
    std::fs::write(&invoice, &content).unwrap();
    let sha = sha256_hex(&content);
    // The same bytes under another name in the same drop: flagged, not sent twice.
    let copy = files.path().join("invoice copy.pdf");
    std::fs::write(&copy, &content).unwrap();

    let dropped = drop_files(&state, &[invoice.clone(), copy.clone()]);
    assert_eq!(dropped.files.len(), 2);
    let report = api::attach_drop(
        &state,
        dropped.id.clone(),
        AttachTarget::Case {
            case_id: case_id.clone(),
        },
        false,
    )
    .await
    .expect("attached");
    assert_eq!(report.case_id, case_id);
    let AttachOutcome::Queued {
        transfer_id,
        document_id,
        route,
    } = outcome_of(&report, "invoice 4711.pdf").clone()
    else {
        panic!("queued: {report:?}");
    };
    assert_eq!(route, UploadRoute::Collab);
    match outcome_of(&report, "invoice copy.pdf") {
        AttachOutcome::Duplicate {
            existing_document_id,
            existing_name,
        } => {
            assert_eq!(existing_document_id, &document_id);
            assert_eq!(existing_name, "invoice 4711.pdf");
        }
        other => panic!("the copy is a duplicate: {other:?}"),
    }
    // The case shows it at once, not yet on the server.
    let detail = api::get_case(&state, case_id.clone()).await.unwrap();
    let shown = detail
        .documents
        .iter()
        .find(|d| d.document.id == document_id)
        .expect("on the case at once");
    assert_eq!(shown.document.sha256, sha);
    assert_eq!(shown.document.media_type, "application/pdf");
    // The drop is used up.
    let again = api::attach_drop(
        &state,
        dropped.id.clone(),
        AttachTarget::Case {
            case_id: case_id.clone(),
        },
        false,
    )
    .await
    .expect_err("a drop is attached once");
    assert_eq!(again.code(), ErrorCode::DropUnknown);

    // The push sends it (the nudge, or a sync now); the Transfers view follows it to done.
    api::sync_now(&state).await.expect("sync");
    common::eventually("the transfer is done", Duration::from_secs(30), || async {
        api::transfers_list(&state)
            .await
            .unwrap()
            .transfers
            .iter()
            .any(|t| t.id == transfer_id && t.state == TransferState::Done)
    })
    .await;
    let seen = updates.lock().unwrap().clone();
    assert!(
        seen.iter().any(|u| u
            .transfers
            .iter()
            .any(|t| t.id == transfer_id && t.state == TransferState::Queued)),
        "the window saw it queued"
    );
    let detail = api::get_case(&state, case_id.clone()).await.unwrap();
    let on_case: Vec<_> = detail
        .documents
        .iter()
        .filter(|d| d.document.sha256 == sha)
        .collect();
    assert_eq!(on_case.len(), 1, "one document on the case");
    assert_eq!(on_case[0].send_state, SendState::Sent);
    assert_eq!(
        server_documents(&dirs, &case_id, &sha),
        vec![sha.clone()],
        "exactly one record on the server, with the file's bytes"
    );
    assert!(api::outbox_list(&state).await.unwrap().is_empty());

    // Dropped again later: flagged, nothing sent.
    let later = drop_files(&state, std::slice::from_ref(&invoice));
    let report = api::attach_drop(
        &state,
        later.id,
        AttachTarget::Case {
            case_id: case_id.clone(),
        },
        false,
    )
    .await
    .unwrap();
    assert!(matches!(
        outcome_of(&report, "invoice 4711.pdf"),
        AttachOutcome::Duplicate { .. }
    ));
    api::sync_now(&state).await.unwrap();
    assert_eq!(server_documents(&dirs, &case_id, &sha).len(), 1);
    assert!(api::outbox_list(&state).await.unwrap().is_empty());
    state.shutdown().await;
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gives_its_words_and_leaves_nothing_half_done_while_odd_names_are_sanitized() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let dirs = common::Dirs::new(namespace);
    let state = demo(&dirs).await;
    let case_id = first_case(&state).await;
    let documents_before = api::get_case(&state, case_id.clone())
        .await
        .unwrap()
        .documents
        .len();
    let files = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = files.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let vanished = write("vanished.pdf", b"%PDF-1.4 soon gone");
    let empty = write("empty.csv", b"");
    let locked = write("locked.pdf", b"%PDF-1.4 locked");
    let large = write("large.bin", &[1u8; 4096]);
    // Names that must not reach storage as they are.
    let bidi = write("invoice\u{202E}fdp.exe", b"MZ not a pdf");
    let reserved = write("CON.txt", b"reserved on Windows");
    let control = write("tab\there\nline.csv", b"a,b\n1,2\n");
    let backslash = write("c:\\temp\\proof.txt", b"proof of delivery");

    // Large files go to S3: with a small limit and no S3 connector, refused in words.
    api::save_upload_settings(
        &state,
        UploadSettings {
            threshold_bytes: 1024,
            ..UploadSettings::default()
        },
    )
    .await
    .expect("settings saved");
    assert_eq!(
        api::upload_settings(&state).await.unwrap().threshold_bytes,
        1024
    );
    let bad = api::save_upload_settings(
        &state,
        UploadSettings {
            concurrency: 0,
            ..UploadSettings::default()
        },
    )
    .await
    .expect_err("0 at once is refused");
    assert_eq!(bad.code(), ErrorCode::InputInvalid);

    let dropped = drop_files(
        &state,
        &[
            vanished.clone(),
            empty,
            locked.clone(),
            large,
            bidi,
            reserved,
            control,
            backslash,
        ],
    );
    std::fs::remove_file(&vanished).unwrap();
    if running_as_root() {
        // Root reads anything: a kernel file that refuses reads to everyone stands in for a
        // file without read permission; it is named in the drop's skipped list, in words.
        let refusing = PathBuf::from("/sys/bus/pci/drivers_probe");
        if refusing.exists() {
            let skipped = drop_files(&state, &[refusing]).skipped;
            assert_eq!(skipped.len(), 1, "{skipped:?}");
            assert!(
                skipped[0].starts_with("drivers_probe cannot be read"),
                "{skipped:?}"
            );
        }
    } else {
        chmod(&locked, 0o000);
    }
    let report = api::attach_drop(
        &state,
        dropped.id,
        AttachTarget::Case {
            case_id: case_id.clone(),
        },
        false,
    )
    .await
    .expect("a drop with bad files still answers per file");

    let (code, words) = refusal(outcome_of(&report, "vanished.pdf"));
    assert_eq!(code, ErrorCode::TransferFileVanished);
    assert!(
        words.contains("vanished.pdf is no longer where it was"),
        "{words}"
    );
    let (code, words) = refusal(outcome_of(&report, "empty.csv"));
    assert_eq!(code, ErrorCode::TransferEmptyFile);
    assert_eq!(
        words,
        "empty.csv is empty (0 bytes); there is nothing to attach."
    );
    if !running_as_root() {
        let (code, words) = refusal(outcome_of(&report, "locked.pdf"));
        assert_eq!(code, ErrorCode::TransferFileUnreadable);
        assert!(words.contains("could not be read"), "{words}");
    }
    let (code, words) = refusal(outcome_of(&report, "large.bin"));
    assert_eq!(code, ErrorCode::TransferNoBucket);
    assert!(words.contains("no S3 connector is set up"), "{words}");

    // Odd names: queued under a safe name.
    let queued: Vec<String> = report
        .files
        .iter()
        .filter(|f| matches!(f.result, AttachOutcome::Queued { .. }))
        .map(|f| f.name.clone())
        .collect();
    for name in ["invoicefdp.exe", "CON_.txt", "tabhereline.csv", "proof.txt"] {
        let safe = pd_transfer::sanitize_name(match name {
            "invoicefdp.exe" => "invoice\u{202E}fdp.exe",
            "CON_.txt" => "CON.txt",
            "tabhereline.csv" => "tab\there\nline.csv",
            _ => "c:\\temp\\proof.txt",
        });
        assert!(queued.contains(&safe), "{safe:?} queued in {queued:?}");
    }
    for name in &queued {
        assert!(
            !name.chars().any(|c| c.is_control()
                || matches!(c, '/' | '\\' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')),
            "{name:?} is safe"
        );
        assert_ne!(name.to_ascii_uppercase(), "CON.TXT");
    }
    assert!(
        !queued.iter().any(|n| n.starts_with("c:")),
        "no path part is kept: {queued:?}"
    );

    // Nothing half-done: a document and an outbox entry per queued file, a spool copy each,
    // nothing for the refused ones.
    let detail = api::get_case(&state, case_id.clone()).await.unwrap();
    assert_eq!(detail.documents.len(), documents_before + queued.len());
    let outbox = api::outbox_list(&state).await.unwrap();
    assert_eq!(outbox.len(), queued.len(), "{outbox:?}");
    let spooled = spool_files(&state);
    assert_eq!(spooled.len(), queued.len(), "{spooled:?}");
    assert!(!spooled.iter().any(|f| f.ends_with(".incoming")));
    for refused in ["vanished.pdf", "empty.csv", "large.bin"] {
        assert!(!detail.documents.iter().any(|d| d.document.name == refused));
    }
    if !running_as_root() {
        chmod(&locked, 0o644);
    }

    // A drop whose every file is refused still answers; an unknown drop is refused in words.
    let unknown = api::attach_drop(
        &state,
        "drop-0-nothing".into(),
        AttachTarget::Case {
            case_id: case_id.clone(),
        },
        false,
    )
    .await
    .expect_err("unknown drop");
    assert_eq!(unknown.code(), ErrorCode::DropUnknown);
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_case_target_creates_the_case_with_the_files_and_a_big_folder_waits_for_confirmation()
{
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let dirs = common::Dirs::new(namespace);
    let state = demo(&dirs).await;
    let partner = api::list_partners(&state, None)
        .await
        .unwrap()
        .first()
        .expect("the demo has partners")
        .partner
        .clone();
    let files = tempfile::tempdir().unwrap();
    let folder = files.path().join("scans");
    std::fs::create_dir(&folder).unwrap();
    let count = pd_app::drops::CONFIRM_ABOVE + 1;
    for i in 0..count {
        std::fs::write(folder.join(format!("scan-{i:02}.txt")), format!("scan {i}")).unwrap();
    }
    let dropped = drop_files(&state, std::slice::from_ref(&folder));
    assert!(dropped.needs_confirmation);
    let target = AttachTarget::NewCase {
        title: "Damaged pallets, scans from the dock".into(),
        partner_id: Some(partner.partner_company_id.clone()),
    };
    let unconfirmed = api::attach_drop(&state, dropped.id.clone(), target.clone(), false)
        .await
        .expect_err("needs the analyst's confirmation");
    assert_eq!(unconfirmed.code(), ErrorCode::DropNeedsConfirmation);
    assert!(
        unconfirmed.to_string().contains(&format!("{count} files")),
        "{unconfirmed}"
    );
    let no_partner = api::attach_drop(
        &state,
        dropped.id.clone(),
        AttachTarget::NewCase {
            title: "No partner".into(),
            partner_id: None,
        },
        true,
    )
    .await
    .expect_err("a case needs a partner");
    assert_eq!(no_partner.code(), ErrorCode::InputInvalid);
    assert!(no_partner.to_string().contains("partner"), "{no_partner}");
    let cases_before = api::list_cases(&state, CaseQuery::default())
        .await
        .unwrap()
        .total;

    // Still waiting: confirmed, it makes the case with every file on it.
    let report = api::attach_drop(&state, dropped.id, target, true)
        .await
        .expect("attached to a new case");
    assert_eq!(report.files.len(), count);
    assert!(report
        .files
        .iter()
        .all(|f| matches!(f.result, AttachOutcome::Queued { .. })));
    let detail = api::get_case(&state, report.case_id.clone())
        .await
        .expect("the new case");
    assert_eq!(detail.case.title, "Damaged pallets, scans from the dock");
    assert_eq!(detail.case.partner_id, partner.partner_company_id);
    assert_eq!(detail.documents.len(), count);
    assert_eq!(
        api::list_cases(&state, CaseQuery::default())
            .await
            .unwrap()
            .total,
        cases_before + 1
    );

    // After the push: the case and its files are on the server, each once.
    common::eventually("the outbox empties", Duration::from_secs(30), || async {
        let _ = api::sync_now(&state).await;
        api::outbox_list(&state)
            .await
            .map(|l| l.is_empty())
            .unwrap_or(false)
    })
    .await;
    let detail = api::get_case(&state, report.case_id.clone()).await.unwrap();
    assert_eq!(detail.documents.len(), count);
    assert!(detail
        .documents
        .iter()
        .all(|d| d.send_state == SendState::Sent));
    for document in &detail.documents {
        assert_eq!(
            server_documents(&dirs, &report.case_id, &document.document.sha256).len(),
            1,
            "{} once on the server",
            document.document.name
        );
    }
    state.shutdown().await;
}
