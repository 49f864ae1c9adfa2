//! Typed outbox operations on real SQLite files: a cache written by the previous schema (a
//! `kind` column beside the payload) keeps its queue, and a queued change that cannot be read is
//! failed with a reason the analyst sees (never ignored, never offered to the push) while the
//! other cases keep going.

mod common;

use common::*;
use pd_domain::*;
use pd_store::*;

/// The outbox table exactly as schema 1 to 4 created it.
fn old_outbox_ddl() -> &'static str {
    let init = include_str!("../migrations/0001_init.sql");
    let start = init.find("CREATE TABLE outbox").expect("outbox table");
    let end_marker = "CREATE INDEX outbox_state ON outbox(state);";
    let end = init.find(end_marker).expect("outbox index") + end_marker.len();
    &init[start..end]
}

/// A schema-4 cache with three cached cases and queued rows as the previous build wrote them.
fn old_cache(path: &std::path::Path) {
    {
        let store = Store::open(path).expect("open");
        store
            .upsert_partners(&[partner("GC1", "Verona Vittles", "ZZ:VERONAVITTLES")])
            .expect("partners");
        let cases = (1..=3)
            .map(|n| bundle(case(n, "GC1", "Verona Vittles"), vec![], vec![]))
            .collect();
        store
            .apply_case_page(&page(cases, "c1"), "cases")
            .expect("cases");
    }
    let conn = rusqlite::Connection::open(path).expect("raw");
    conn.execute_batch(&format!(
        "DROP TABLE outbox; {} PRAGMA user_version = 4;",
        old_outbox_ddl()
    ))
    .expect("schema 4 outbox");
    let base = serde_json::to_string(&case(1, "GC1", "Verona Vittles")).expect("base");
    conn.execute(
        "INSERT INTO case_base (case_id, case_json) VALUES ('case-00001', ?1)",
        [base],
    )
    .expect("base");
    let rows: [(&str, &str, &str, Option<&str>); 6] = [
        (
            "case-00001",
            "patch_case",
            r#"{"status":"waiting_on_partner","owner":null}"#,
            Some(r#"{"status":"open","owner":null}"#),
        ),
        (
            "case-00001",
            "add_comment",
            r#"{"id":"cm-old","author":"Ann","body":"Please resend the ASN","visibility":"partner"}"#,
            None,
        ),
        (
            "case-00001",
            "link_transaction",
            r#"{"transactionId":"TX-9"}"#,
            None,
        ),
        // An operation this build does not know.
        ("case-00002", "close_case", r#"{"reason":"done"}"#, None),
        // Not JSON at all, queued behind it.
        ("case-00002", "patch_case", "garbage{", None),
        // A known operation whose body does not fit it.
        (
            "case-00003",
            "add_comment",
            r#"{"id":"cm-bad","author":"Ann"}"#,
            None,
        ),
    ];
    for (i, (case_id, kind, payload, base)) in rows.iter().enumerate() {
        conn.execute(
            "INSERT INTO outbox (op_id, case_id, kind, payload_json, base_json, created_at, state) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')",
            rusqlite::params![
                format!("op-{i}"),
                case_id,
                kind,
                payload,
                base,
                format!("2026-03-02T10:0{i}:00.000000000Z")
            ],
        )
        .expect("old row");
    }
}

#[test]
fn a_cache_from_the_previous_schema_keeps_its_queue_and_fails_what_it_cannot_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    old_cache(&path);

    let store = Store::open(&path).expect("open migrates");
    {
        let conn = rusqlite::Connection::open(&path).expect("raw");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, SCHEMA_VERSION);
        let kind_columns: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_table_info('outbox') WHERE name = 'kind'",
                [],
                |r| r.get(0),
            )
            .expect("columns");
        assert_eq!(kind_columns, 0, "the operation is one typed value now");
    }

    // The previous build's rows decode into the typed operations.
    let entries = store.outbox_entries().expect("entries");
    assert_eq!(entries.len(), 6, "nothing dropped");
    assert_eq!(
        entries[0].op,
        Ok(OutboxOp::PatchCase(CasePatch {
            status: Some(CaseStatus::WaitingOnPartner),
            owner: Some(None),
            ..Default::default()
        }))
    );
    assert_eq!(
        entries[1].op,
        Ok(OutboxOp::AddComment(NewComment {
            id: "cm-old".into(),
            author: "Ann".into(),
            body: "Please resend the ASN".into(),
            visibility: Visibility::Partner,
        }))
    );
    assert_eq!(
        entries[2].op,
        Ok(OutboxOp::LinkTransaction(TransactionLink {
            transaction_id: "TX-9".into()
        }))
    );
    assert!(entries[3..].iter().all(|e| e.op.is_err()));

    // The analyst sees the readable ones waiting and the others refused, each with a reason.
    let views = store.outbox_views().expect("views");
    let summaries: Vec<(&str, OutboxState)> = views
        .iter()
        .map(|v| (v.summary.as_str(), v.state))
        .collect();
    assert_eq!(
        summaries[..3],
        [
            (
                "Status changed to Waiting on partner; Unassigned",
                OutboxState::Pending
            ),
            (
                "Comment: \u{201c}Please resend the ASN\u{201d}",
                OutboxState::Pending
            ),
            ("Linked transaction TX-9", OutboxState::Pending),
        ]
    );
    assert!(views[..3].iter().all(|v| v.op.is_some()));
    for v in &views[3..] {
        assert_eq!(v.state, OutboxState::Failed, "{v:?}");
        assert_eq!(v.op, None);
        let reason = v.last_error.as_deref().unwrap_or_default();
        assert!(reason.contains("could not be read"), "{reason}");
        assert!(reason.contains("not sent"), "{reason}");
    }
    assert!(views[3]
        .last_error
        .as_deref()
        .unwrap_or_default()
        .contains("close_case"));
    let summary = store.outbox_summary().expect("summary");
    assert_eq!((summary.pending, summary.failed), (3, 3));

    // The push is offered only the readable case's oldest entry; the others are held.
    let next = store.outbox_next(10, chrono::Utc::now()).expect("next");
    assert_eq!(
        next.iter().map(|e| e.op_id.as_str()).collect::<Vec<_>>(),
        vec!["op-0"]
    );

    // A pull still goes through every case: the pending changes are re-applied on the new
    // server version, and a case held by an unreadable entry takes the server's fields.
    let mut one = case(1, "GC1", "Verona Vittles");
    one.version = 2;
    one.title = "Renamed on the server".into();
    let mut two = case(2, "GC1", "Verona Vittles");
    two.version = 2;
    two.title = "Also renamed".into();
    store
        .apply_case_page(
            &page(
                vec![bundle(one, vec![], vec![]), bundle(two, vec![], vec![])],
                "c2",
            ),
            "cases",
        )
        .expect("pull");
    let seen = store.case("case-00001").expect("read").expect("case");
    assert_eq!(
        (seen.title.as_str(), seen.status, seen.linked_transactions),
        (
            "Renamed on the server",
            CaseStatus::WaitingOnPartner,
            vec!["TX-9".to_string()]
        )
    );
    let seen = store.case("case-00002").expect("read").expect("case");
    assert_eq!(seen.title, "Also renamed");

    // An unreadable entry cannot be edited, only discarded; then its case's queue is free.
    let err = store
        .outbox_edit(
            "op-5",
            &OutboxEdit {
                body: Some("fixed".into()),
                patch: None,
            },
        )
        .expect_err("unreadable");
    assert!(err.to_string().contains("could not be read"), "{err}");
    for op in ["op-3", "op-4", "op-5"] {
        store.outbox_discard(op).expect("discard");
    }
    let summary = store.outbox_summary().expect("summary");
    assert_eq!((summary.pending, summary.failed), (3, 0));

    // Opening again changes nothing.
    drop(store);
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.outbox_entries().expect("entries").len(), 3);
}

#[test]
fn a_damaged_row_written_while_the_cache_is_open_is_never_offered_as_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    let store = Store::open(&path).expect("open");
    store
        .apply_case_page(
            &page(
                vec![
                    bundle(case(1, "GC1", "Verona Vittles"), vec![], vec![]),
                    bundle(case(2, "GC1", "Verona Vittles"), vec![], vec![]),
                ],
                "c1",
            ),
            "cases",
        )
        .expect("cases");
    let now = chrono::Utc::now();
    store
        .add_local_comment(
            "case-00002",
            "Ann",
            "still flowing",
            Visibility::Partner,
            now,
        )
        .expect("comment");
    let conn = rusqlite::Connection::open(&path).expect("raw");
    conn.execute(
        "INSERT INTO outbox (op_id, case_id, op_json, created_at, state) \
         VALUES ('bogus', 'case-00001', '{\"op\":\"delete_everything\"}', ?1, 'pending')",
        [now.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)],
    )
    .expect("bogus row");

    // Shown failed with the reason at once, though the row itself still says pending.
    let views = store.outbox_views().expect("views");
    let bogus = views.iter().find(|v| v.op_id == "bogus").expect("listed");
    assert_eq!(
        (bogus.state, bogus.op.as_ref()),
        (OutboxState::Failed, None)
    );
    assert!(bogus
        .last_error
        .as_deref()
        .unwrap_or_default()
        .contains("delete_everything"));
    // The case page lists it too.
    let detail = store.case_detail("case-00001", now).expect("detail");
    assert!(detail
        .activity
        .iter()
        .any(|a| a.summary.contains("could not be read")));
    // What the push is offered carries the decode error, so it fails the entry, not sends it.
    let next = store.outbox_next(10, now).expect("next");
    assert_eq!(next.len(), 2);
    assert!(next.iter().any(|e| e.op_id == "bogus" && e.op.is_err()));
    assert!(next
        .iter()
        .any(|e| e.case_id == "case-00002" && matches!(e.op, Ok(OutboxOp::AddComment(_)))));
}
