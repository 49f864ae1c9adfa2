//! A damaged cache keeps the analyst's unsent work: real cache files with queued changes are
//! truncated or have pages overwritten, and the rebuild queues again what can be read (cases and
//! comments made here included), says what could not be, and leaves the damaged file aside.
//! A cache from a newer PartnerDesk is left byte for byte as it was.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::path::Path;

use common::*;
use pd_domain::{CaseKind, CasePage, CasePatch, CaseStatus, NewCase, OutboxState, Visibility};
use pd_store::*;

fn server_cases(range: std::ops::Range<u32>, text: &str) -> CasePage {
    let bundles = range
        .map(|n| {
            let c = case(n, "GC1", "Verona Vittles");
            let comments = vec![comment(&c.id, &format!("cm-{n}"), text, 1)];
            bundle(c, comments, vec![])
        })
        .collect();
    page(bundles, "c1")
}

fn new_case(id: &str, description: Option<&str>) -> NewCase {
    NewCase {
        id: id.into(),
        title: format!("Short shipment {id}"),
        partner_id: "GC1".into(),
        partner_name: None,
        kind: CaseKind::Shipment,
        priority: None,
        owner: None,
        sla_due: None,
        linked_transactions: vec![],
        references: Default::default(),
        description: description.map(str::to_owned),
    }
}

fn op_ids(store: &Store) -> Vec<(String, OutboxState)> {
    store
        .outbox_entries()
        .unwrap()
        .into_iter()
        .map(|e| (e.op_id, e.state))
        .collect()
}

fn truncate(path: &Path, len: u64) {
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_len(len).unwrap();
}

#[test]
fn a_truncated_cache_keeps_every_unsent_change_case_and_comment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let store = Store::open(&path).unwrap();
    store
        .apply_case_page(&server_cases(0..10, "first evidence"), "cases")
        .unwrap();
    // The analyst's work: two cases of their own (one with an opening comment), comments and
    // a status change on server cases; one change refused, one caught mid-send.
    store
        .create_local_case(
            &new_case("local-a", Some("Pallets arrived crushed")),
            "Ana",
            t0(),
        )
        .unwrap();
    store
        .create_local_case(&new_case("local-b", None), "Ana", t0())
        .unwrap();
    for n in 1..=5u32 {
        store
            .add_local_comment(
                "case-00001",
                "Ana",
                &format!("Chasing the carrier, note {n}"),
                Visibility::Internal,
                t0(),
            )
            .unwrap();
    }
    store
        .patch_local_case(
            "case-00002",
            &CasePatch {
                status: Some(CaseStatus::Resolved),
                ..Default::default()
            },
            t0(),
        )
        .unwrap();
    let before = op_ids(&store);
    assert_eq!(before.len(), 8);
    store
        .outbox_mark_failed(&before[7].0, "The server refused this change: closed")
        .unwrap();
    store.outbox_mark_in_flight(&before[2].0).unwrap();
    drop(store);
    let queued_len = std::fs::metadata(&path).unwrap().len();

    // A later, large pull grows the file past the queue; then the file loses its tail.
    let store = Store::open(&path).unwrap();
    store
        .apply_case_page(
            &server_cases(10..400, &"later evidence ".repeat(40)),
            "cases",
        )
        .unwrap();
    drop(store);
    let full_len = std::fs::metadata(&path).unwrap().len();
    assert!(full_len > queued_len * 2, "{full_len} vs {queued_len}");
    truncate(&path, (queued_len + full_len) / 2);
    assert_eq!(Store::open(&path).unwrap_err().code(), "store.corrupt");

    let (store, outcome) = Store::open_or_rebuild(&path).unwrap();
    let OpenOutcome::Rebuilt {
        set_aside, salvage, ..
    } = outcome
    else {
        panic!("expected a rebuild")
    };
    assert!(set_aside.exists());
    assert_eq!(
        salvage,
        pd_domain::CacheSalvage {
            changes: 8,
            refused_changes: 1,
            local_cases: 2,
            local_comments: 6,
            unreadable_changes: 0,
            queue_unreadable: false,
        }
    );
    // Same entries, same order; the one caught mid-send waits again, the refused one stays refused.
    let after = op_ids(&store);
    let ids = |v: &[(String, OutboxState)]| v.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&after), ids(&before));
    assert_eq!(after[2].1, OutboxState::Pending);
    assert_eq!(after[7].1, OutboxState::Failed);
    assert_eq!(
        store.outbox_entries().unwrap()[7].last_error.as_deref(),
        Some("The server refused this change: closed")
    );
    let summary = store.outbox_summary().unwrap();
    assert_eq!((summary.pending, summary.failed), (7, 1));

    // The analyst sees their work again before any sync.
    let local = store.case_detail("local-a", t0()).unwrap();
    assert_eq!(local.case.title, "Short shipment local-a");
    assert!(local
        .comments
        .iter()
        .any(|c| c.comment.body == "Pallets arrived crushed" && c.comment.author == "Ana"));
    assert!(store.case("local-b").unwrap().is_some());
    let chased = store.case_detail("case-00001", t0()).unwrap();
    let notes = chased
        .comments
        .iter()
        .filter(|c| c.comment.body.starts_with("Chasing the carrier"))
        .count();
    assert_eq!(notes, 5);
    assert_eq!(
        store.case("case-00002").unwrap().unwrap().status,
        CaseStatus::Resolved
    );
    // A pull then brings the server's cases under the rebased changes.
    store
        .apply_case_page(&server_cases(0..10, "first evidence"), "cases")
        .unwrap();
    assert_eq!(
        store.case("case-00002").unwrap().unwrap().status,
        CaseStatus::Resolved
    );
    assert_eq!(store.outbox_summary().unwrap().pending, 7);
}

/// The queue's own pages are damaged: the entries on them are lost and counted, every other
/// entry comes back intact.
#[test]
fn overwritten_queue_pages_lose_only_the_entries_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let store = Store::open(&path).unwrap();
    store
        .apply_case_page(&server_cases(0..20, "evidence"), "cases")
        .unwrap();
    let total = 120u32;
    for n in 0..total {
        store
            .add_local_comment(
                &format!("case-{:05}", n % 20),
                "Ana",
                &format!("salvage-marker-{n:04} {}", "detail ".repeat(30)),
                Visibility::Partner,
                t0(),
            )
            .unwrap();
    }
    let before = op_ids(&store);
    drop(store);

    // Overwrite every page holding queue rows of comment 60 (its outbox page: the one whose
    // cells carry the operation tag) with garbage.
    let mut bytes = std::fs::read(&path).unwrap();
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    let marker = b"salvage-marker-0060";
    let mut lost = std::collections::BTreeSet::new();
    let mut damaged_pages = 0;
    for start in (page_size..bytes.len()).step_by(page_size) {
        let page = &bytes[start..start + page_size];
        let is_queue_page = page.windows(4).any(|w| w == b"\"op\"");
        if is_queue_page && page.windows(marker.len()).any(|w| w == marker) {
            for n in 0..total {
                let m = format!("salvage-marker-{n:04}");
                if page.windows(m.len()).any(|w| w == m.as_bytes()) {
                    lost.insert(n as usize);
                }
            }
            bytes[start..start + page_size].fill(0xA5);
            damaged_pages += 1;
        }
    }
    assert_eq!(damaged_pages, 1, "comment 60's queue row is on one page");
    assert!(
        !lost.is_empty() && lost.len() < total as usize / 2,
        "{lost:?}"
    );
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(Store::open(&path).unwrap_err().code(), "store.corrupt");

    let (store, outcome) = Store::open_or_rebuild(&path).unwrap();
    let OpenOutcome::Rebuilt { salvage, .. } = outcome else {
        panic!("expected a rebuild")
    };
    let expected: Vec<String> = before
        .iter()
        .enumerate()
        .filter(|(n, _)| !lost.contains(n))
        .map(|(_, (id, _))| id.clone())
        .collect();
    let after: Vec<String> = op_ids(&store).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        after, expected,
        "every readable entry, in order, and only those"
    );
    assert_eq!(salvage.changes as usize, expected.len());
    assert!(
        salvage.unreadable_changes as usize >= lost.len(),
        "{} unreadable, {} lost",
        salvage.unreadable_changes,
        lost.len()
    );
    assert!(!salvage.queue_unreadable);
    assert_eq!(salvage.local_comments as usize, expected.len());
    for entry in store.outbox_entries().unwrap() {
        assert!(entry.op.is_ok(), "{entry:?}");
    }
}

#[test]
fn a_file_that_is_no_database_at_all_says_the_queue_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    std::fs::write(&path, vec![0x5Au8; 64 * 1024]).unwrap();
    let (store, outcome) = Store::open_or_rebuild(&path).unwrap();
    let OpenOutcome::Rebuilt { salvage, .. } = outcome else {
        panic!("expected a rebuild")
    };
    assert!(salvage.queue_unreadable);
    assert_eq!(salvage.changes, 0);
    assert_eq!(store.outbox_summary().unwrap().pending, 0);
}

fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_cache_from_a_newer_version_is_left_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.db");
    let store = Store::open(&path).unwrap();
    store
        .apply_case_page(&server_cases(0..30, "evidence"), "cases")
        .unwrap();
    drop(store);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
    }
    let before = listing(dir.path());
    assert_eq!(
        before.len(),
        1,
        "one checkpointed file: {:?}",
        before.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    let err = Store::open_or_rebuild(&path).unwrap_err();
    assert_eq!(err.code(), "store.newer_schema");
    assert_eq!(
        listing(dir.path()),
        before,
        "nothing renamed, moved, added or written"
    );
}
