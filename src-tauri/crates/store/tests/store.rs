//! The cache on real SQLite files in temp dirs: migrations, round trips, pull idempotency,
//! local changes with their outbox, rebase, queries, hostile input and damaged files.

mod common;

use chrono::Duration;
use common::*;
use pd_domain::*;
use pd_store::*;

fn open_temp() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("cache.db")).expect("open");
    (dir, store)
}

fn seeded() -> (tempfile::TempDir, Store) {
    let (dir, store) = open_temp();
    store
        .upsert_partners(&[
            partner("GC1", "Verona Vittles", "ZZ:VERONAVITTLES"),
            partner("GC2", "Acme Anvils", "ZZ:ACMEANVILS"),
        ])
        .expect("partners");
    store
        .upsert_users(&[user("ann", "Ann", "Analyst"), user("bob", "Bob", "Buyer")])
        .expect("users");
    (dir, store)
}

#[test]
fn migrations_from_empty_and_reopen_keep_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    {
        let store = Store::open(&path).expect("open new");
        store
            .upsert_partners(&[partner("GC1", "Verona Vittles", "ZZ:VERONAVITTLES")])
            .expect("write");
    }
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.counts().expect("counts").partners, 1);
    let conn = rusqlite::Connection::open(&path).expect("raw");
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(mode, "wal");
}

#[test]
fn newer_schema_is_refused_not_downgraded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    drop(Store::open(&path).expect("open"));
    {
        let conn = rusqlite::Connection::open(&path).expect("raw");
        conn.execute_batch("PRAGMA user_version = 99")
            .expect("bump");
    }
    let err = Store::open(&path).expect_err("newer schema");
    assert_eq!(err.code(), "store.newer_schema");
    assert!(matches!(err, StoreError::NewerSchema { found: 99, .. }));
    // open_or_rebuild must not destroy it either.
    let err = Store::open_or_rebuild(&path).expect_err("still refused");
    assert_eq!(err.code(), "store.newer_schema");
    assert!(path.exists());
}

#[test]
fn repositories_round_trip() {
    let (_dir, store) = seeded();
    let partners = store.list_partners(None).expect("partners");
    assert_eq!(partners.len(), 2);
    assert_eq!(partners[0].partner.partner_company_name, "Acme Anvils");
    assert_eq!(
        partners[1].partner,
        partner("GC1", "Verona Vittles", "ZZ:VERONAVITTLES")
    );
    assert_eq!(
        store
            .partner("GC1")
            .expect("one")
            .partner
            .partner_company_id,
        "GC1"
    );
    assert_eq!(
        store.partner("nope").expect_err("missing").code(),
        "store.not_found"
    );
    let users = store.list_users().expect("users");
    assert_eq!(
        users,
        vec![user("ann", "Ann", "Analyst"), user("bob", "Bob", "Buyer")]
    );

    let mut c = case(1, "GC1", "Verona Vittles");
    c.owner = Some("ann".into());
    c.sla_due = Some(t0() + Duration::hours(3));
    c.linked_transactions = vec!["TX-2".into(), "TX-1".into()];
    c.references.po_numbers = vec!["PO-4711".into()];
    let comments = vec![
        comment(&c.id, "cm-1", "Where is the pallet?", 1),
        comment(&c.id, "cm-2", "On its way", 2),
    ];
    let docs = vec![document(&c.id, "doc-1", "pod.pdf")];
    store
        .upsert_transactions(&[transaction(
            "TX-1",
            true,
            "ZZ:DEMORETAILER",
            "ZZ:VERONAVITTLES",
            "PO-4711",
        )])
        .expect("tx");
    store
        .apply_case_page(
            &page(
                vec![bundle(c.clone(), comments.clone(), docs.clone())],
                "cur-1",
            ),
            "cases",
        )
        .expect("page");

    assert_eq!(store.case(&c.id).expect("read"), Some(c.clone()));
    let detail = store.case_detail(&c.id, t0()).expect("detail");
    assert_eq!(detail.case, c);
    assert_eq!(detail.owner_name.as_deref(), Some("Ann Analyst"));
    assert_eq!(detail.sla_state, SlaState::AtRisk);
    assert_eq!(
        detail
            .comments
            .iter()
            .map(|v| v.comment.clone())
            .collect::<Vec<_>>(),
        comments
    );
    assert!(detail
        .comments
        .iter()
        .all(|v| v.send_state == SendState::Sent));
    assert_eq!(
        detail
            .documents
            .iter()
            .map(|d| d.document.clone())
            .collect::<Vec<_>>(),
        docs
    );
    assert!(detail
        .documents
        .iter()
        .all(|d| d.send_state == SendState::Sent));
    assert_eq!(detail.linked_transactions.len(), 1, "only TX-1 is cached");
    assert_eq!(detail.linked_transactions[0].transaction_id, "TX-1");
    assert!(detail.activity.len() >= 4);
    assert!(
        detail.activity.windows(2).all(|w| w[0].at >= w[1].at),
        "newest first"
    );
    assert!(!detail.local_only);
    assert_eq!(
        store.cursor("cases").expect("cursor").as_deref(),
        Some("cur-1")
    );
    store.set_cursor("lens", "scroll-9").expect("set");
    assert_eq!(
        store.cursor("lens").expect("cursor").as_deref(),
        Some("scroll-9")
    );
    assert_eq!(store.cursor("nothing").expect("cursor"), None);
    let counts = store.counts().expect("counts");
    assert_eq!(
        (
            counts.cases,
            counts.comments,
            counts.partners,
            counts.transactions
        ),
        (1, 2, 2, 1)
    );
    assert_eq!(store.partner("GC1").expect("row").open_cases, 1);
    assert_eq!(store.partner("GC1").expect("row").exceptions, 1);
}

#[test]
fn exceptions_resolve_partner_and_linked_cases() {
    let (_dir, store) = seeded();
    store
        .upsert_transactions(&[
            transaction("TX-1", true, "ZZ:DEMORETAILER", "ZZ:VERONAVITTLES", "PO-1"),
            transaction("TX-2", false, "ZZ:DEMORETAILER", "ZZ:VERONAVITTLES", "PO-2"),
            transaction("TX-3", true, "ZZ:ACMEANVILS", "ZZ:DEMORETAILER", "PO-3"),
            transaction("TX-4", true, "ZZ:UNKNOWN", "ZZ:DEMORETAILER", "PO-4"),
        ])
        .expect("tx");
    let mut c = case(1, "GC1", "Verona Vittles");
    c.linked_transactions = vec!["TX-1".into()];
    store
        .apply_case_page(&page(vec![bundle(c, vec![], vec![])], "c1"), "cases")
        .expect("page");

    let all = store
        .list_exceptions(&ExceptionQuery::default())
        .expect("inbox");
    assert_eq!(all.total, 3, "the delivered TX-2 is not an exception");
    let tx1 = all
        .rows
        .iter()
        .find(|r| r.transaction.transaction_id == "TX-1")
        .expect("tx1");
    assert_eq!(tx1.partner_id.as_deref(), Some("GC1"));
    assert_eq!(tx1.partner_name.as_deref(), Some("Verona Vittles"));
    assert_eq!(tx1.po_number.as_deref(), Some("PO-1"));
    assert_eq!(tx1.case_ids, vec!["case-00001".to_string()]);
    let tx4 = all
        .rows
        .iter()
        .find(|r| r.transaction.transaction_id == "TX-4")
        .expect("tx4");
    assert_eq!(tx4.partner_id, None);

    let acme = store
        .list_exceptions(&ExceptionQuery {
            partner_id: Some("GC2".into()),
            ..Default::default()
        })
        .expect("q");
    assert_eq!(
        acme.rows
            .iter()
            .map(|r| r.transaction.transaction_id.as_str())
            .collect::<Vec<_>>(),
        vec!["TX-3"]
    );
    let by_name = store
        .list_exceptions(&ExceptionQuery {
            search: Some("acme".into()),
            ..Default::default()
        })
        .expect("q");
    assert_eq!(by_name.total, 1);
    let by_po = store
        .list_exceptions(&ExceptionQuery {
            search: Some("PO-4".into()),
            ..Default::default()
        })
        .expect("q");
    assert_eq!(by_po.total, 1);
    let hostile = store
        .list_exceptions(&ExceptionQuery {
            search: Some("%_\\' OR 1=1 --".into()),
            ..Default::default()
        })
        .expect("q");
    assert_eq!(hostile.total, 0);
    let facets = store.exception_facets().expect("facets");
    assert_eq!(facets.edi_types, vec!["850".to_string()]);
    assert_eq!(facets.error_codes, vec!["E-DELIV".to_string()]);
}

#[test]
fn the_partner_directory_counts_each_partners_open_cases_and_exceptions_as_its_own_page_does() {
    let (_dir, store) = seeded();
    store
        .upsert_partners(&[partner("GC3", "Quiet Quarry", "ZZ:QUIETQUARRY")])
        .expect("a partner with nothing open");
    store
        .upsert_transactions(&[
            transaction("TX-1", true, "ZZ:DEMORETAILER", "ZZ:VERONAVITTLES", "PO-1"),
            transaction("TX-2", false, "ZZ:DEMORETAILER", "ZZ:VERONAVITTLES", "PO-2"),
            transaction("TX-3", true, "ZZ:VERONAVITTLES", "ZZ:DEMORETAILER", "PO-3"),
            // Between two partners: an exception of each.
            transaction("TX-4", true, "ZZ:ACMEANVILS", "ZZ:VERONAVITTLES", "PO-4"),
            transaction("TX-5", true, "ZZ:UNKNOWN", "ZZ:DEMORETAILER", "PO-5"),
        ])
        .expect("tx");
    let mut cases = Vec::new();
    for n in 1..=7 {
        let (id, name) = if n <= 5 {
            ("GC1", "Verona Vittles")
        } else {
            ("GC2", "Acme Anvils")
        };
        let mut c = case(n, id, name);
        c.status = match n {
            2 => CaseStatus::Resolved,
            3 => CaseStatus::Closed,
            4 => CaseStatus::WaitingOnPartner,
            _ => CaseStatus::Open,
        };
        cases.push(bundle(c, vec![], vec![]));
    }
    store
        .apply_case_page(&page(cases, "c1"), "cases")
        .expect("page");

    let listed = store.list_partners(None).expect("directory");
    let counts: Vec<(&str, u32, u32)> = listed
        .iter()
        .map(|row| {
            (
                row.partner.partner_company_id.as_str(),
                row.open_cases,
                row.exceptions,
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![("GC2", 2, 1), ("GC3", 0, 0), ("GC1", 3, 3)],
        "by name: Acme, Quiet, Verona"
    );
    for row in &listed {
        let own = store
            .partner(&row.partner.partner_company_id)
            .expect("page");
        assert_eq!(
            (own.open_cases, own.exceptions),
            (row.open_cases, row.exceptions),
            "{}",
            row.partner.partner_company_name
        );
    }
    let searched = store.list_partners(Some("verona")).expect("search");
    assert_eq!(searched.len(), 1);
    assert_eq!((searched[0].open_cases, searched[0].exceptions), (3, 3));
}

#[test]
fn same_page_twice_changes_nothing_and_stale_pages_are_ignored() {
    let (_dir, store) = seeded();
    let c = case(1, "GC1", "Verona Vittles");
    let p = page(
        vec![bundle(
            c.clone(),
            vec![comment(&c.id, "cm-1", "hello", 1)],
            vec![document(&c.id, "d1", "a.pdf")],
        )],
        "cur-1",
    );
    store.apply_case_page(&p, "cases").expect("first");
    let before = store.case_detail(&c.id, t0()).expect("detail");
    let counts = store.counts().expect("counts");
    store.apply_case_page(&p, "cases").expect("again");
    assert_eq!(store.case_detail(&c.id, t0()).expect("detail"), before);
    assert_eq!(store.counts().expect("counts"), counts);

    let mut newer = c.clone();
    newer.version = 2;
    newer.status = CaseStatus::Resolved;
    store
        .apply_case_page(&page(vec![bundle(newer, vec![], vec![])], "cur-2"), "cases")
        .expect("newer");
    assert_eq!(
        store.case(&c.id).expect("read").expect("case").status,
        CaseStatus::Resolved
    );
    assert_eq!(
        store.counts().expect("counts").comments,
        0,
        "server dropped the comment"
    );
    // Replaying the old page must not move the case back in time.
    store.apply_case_page(&p, "cases").expect("replay");
    assert_eq!(
        store.case(&c.id).expect("read").expect("case").status,
        CaseStatus::Resolved
    );
}

#[test]
fn a_failing_page_leaves_old_cursor_and_no_partial_data() {
    let (_dir, store) = seeded();
    store
        .apply_case_page(
            &page(vec![bundle(case(1, "GC1", "V"), vec![], vec![])], "cur-1"),
            "cases",
        )
        .expect("ok");
    let good = case(2, "GC1", "V");
    let mut bad = case(3, "GC1", "V");
    bad.id = String::new();
    let err = store
        .apply_case_page(
            &page(
                vec![
                    bundle(good.clone(), vec![], vec![]),
                    bundle(bad, vec![], vec![]),
                ],
                "cur-2",
            ),
            "cases",
        )
        .expect_err("bad page");
    assert_eq!(err.code(), "store.invalid");
    assert_eq!(
        store.cursor("cases").expect("cursor").as_deref(),
        Some("cur-1")
    );
    assert_eq!(
        store.case(&good.id).expect("read"),
        None,
        "nothing of the failed page stays"
    );
    // A comment that claims another case is refused too.
    let c4 = case(4, "GC1", "V");
    let err = store
        .apply_case_page(
            &page(
                vec![bundle(
                    c4.clone(),
                    vec![comment("other", "x", "y", 1)],
                    vec![],
                )],
                "cur-3",
            ),
            "cases",
        )
        .expect_err("bad comment");
    assert_eq!(err.code(), "store.invalid");
    assert_eq!(store.case(&c4.id).expect("read"), None);
    assert_eq!(
        store.cursor("cases").expect("cursor").as_deref(),
        Some("cur-1")
    );
}

#[test]
fn local_changes_are_visible_at_once_and_queued_atomically() {
    let (_dir, store) = seeded();
    let c = case(1, "GC1", "Verona Vittles");
    store
        .apply_case_page(
            &page(vec![bundle(c.clone(), vec![], vec![])], "c1"),
            "cases",
        )
        .expect("page");
    let now = t0() + Duration::hours(2);
    let op = store
        .patch_local_case(
            &c.id,
            &CasePatch {
                status: Some(CaseStatus::WaitingOnPartner),
                owner: Some(Some("bob".into())),
                ..Default::default()
            },
            now,
        )
        .expect("patch")
        .expect("queued");
    let comment = store
        .add_local_comment(
            &c.id,
            "Ann Analyst",
            "Please resend the ASN",
            Visibility::Partner,
            now,
        )
        .expect("comment");
    store
        .link_local_transaction(&c.id, "TX-9", now)
        .expect("link")
        .expect("queued");
    assert_eq!(
        store
            .link_local_transaction(&c.id, "TX-9", now)
            .expect("again"),
        None
    );

    let list = store.list_cases(&CaseQuery::default(), now).expect("list");
    let row = &list.rows[0];
    assert_eq!(row.status, CaseStatus::WaitingOnPartner);
    assert_eq!(row.owner_name.as_deref(), Some("Bob Buyer"));
    assert_eq!(row.pending_changes, 3);
    assert_eq!(row.updated_at, now);
    let detail = store.case_detail(&c.id, now).expect("detail");
    assert_eq!(
        detail
            .comments
            .last()
            .map(|v| (v.comment.id.clone(), v.send_state)),
        Some((comment.id.clone(), SendState::Pending))
    );
    assert_eq!(detail.case.linked_transactions, vec!["TX-9".to_string()]);
    assert!(detail
        .activity
        .iter()
        .any(|a| a.summary.contains("Waiting on partner")
            && a.summary.contains("waiting to be sent")));

    let entries = store.outbox_entries().expect("entries");
    assert_eq!(
        entries
            .iter()
            .map(|e| e.op.as_ref().map(OutboxOp::name).expect("readable"))
            .collect::<Vec<_>>(),
        vec!["patch_case", "add_comment", "link_transaction"]
    );
    assert_eq!(entries[0].op_id, op);
    assert_eq!(
        entries[0].base,
        Some(serde_json::json!({"status": "open", "owner": null}))
    );
    assert!(matches!(&entries[1].op, Ok(OutboxOp::AddComment(c)) if c.id == comment.id));
    let summary = store.outbox_summary().expect("summary");
    assert_eq!(
        (summary.pending, summary.failed, summary.oldest),
        (3, 0, Some(now))
    );
    // A search finds the pending comment at once.
    let found = store
        .list_cases(
            &CaseQuery {
                search: Some("resend".into()),
                ..Default::default()
            },
            now,
        )
        .expect("search");
    assert_eq!(found.total, 1);

    // A failing local change leaves no trace: the case does not exist.
    let err = store
        .add_local_comment("no-such-case", "Ann", "hi", Visibility::Internal, now)
        .expect_err("missing");
    assert_eq!(err.code(), "store.not_found");
    assert_eq!(store.outbox_entries().expect("entries").len(), 3);
    assert_eq!(
        store
            .add_local_comment(&c.id, "Ann", "   ", Visibility::Internal, now)
            .expect_err("empty")
            .code(),
        "store.invalid"
    );
    let huge = "x".repeat(MAX_COMMENT_CHARS + 1);
    assert_eq!(
        store
            .add_local_comment(&c.id, "Ann", &huge, Visibility::Internal, now)
            .expect_err("huge")
            .code(),
        "store.invalid"
    );
    assert_eq!(store.outbox_entries().expect("entries").len(), 3);
}

#[test]
fn pull_does_not_overwrite_pending_changes_and_rebases() {
    let (_dir, store) = seeded();
    let c = case(1, "GC1", "Verona Vittles");
    store
        .apply_case_page(
            &page(vec![bundle(c.clone(), vec![], vec![])], "c1"),
            "cases",
        )
        .expect("page");
    let now = t0() + Duration::hours(1);
    store
        .patch_local_case(
            &c.id,
            &CasePatch {
                status: Some(CaseStatus::Resolved),
                ..Default::default()
            },
            now,
        )
        .expect("patch");
    let local = store
        .add_local_comment(&c.id, "Ann", "Fixed on our side", Visibility::Partner, now)
        .expect("comment");

    // The server meanwhile changed the priority and the title, and a partner commented.
    let mut server = c.clone();
    server.version = 2;
    server.priority = Priority::Urgent;
    server.title = "Pallet missing at DC 7".into();
    let partner_comment = comment(&c.id, "cm-p", "Any news?", 30);
    store
        .apply_case_page(
            &page(
                vec![bundle(
                    server.clone(),
                    vec![partner_comment.clone()],
                    vec![],
                )],
                "c2",
            ),
            "cases",
        )
        .expect("pull");

    let seen = store.case(&c.id).expect("read").expect("case");
    assert_eq!(seen.status, CaseStatus::Resolved, "local change kept");
    assert_eq!(seen.priority, Priority::Urgent, "server change taken");
    assert_eq!(seen.title, "Pallet missing at DC 7");
    let detail = store.case_detail(&c.id, now).expect("detail");
    let ids: Vec<_> = detail
        .comments
        .iter()
        .map(|v| v.comment.id.as_str())
        .collect();
    assert_eq!(
        ids,
        vec!["cm-p", local.id.as_str()],
        "pending comment survives the pull"
    );

    // The server echoes the local comment (same client-chosen id): no duplicate.
    let mut echoed = local.clone();
    echoed.created_at = now + Duration::seconds(1);
    let mut server3 = server.clone();
    server3.version = 3;
    store
        .apply_case_page(
            &page(
                vec![bundle(
                    server3.clone(),
                    vec![partner_comment.clone(), echoed.clone()],
                    vec![],
                )],
                "c3",
            ),
            "cases",
        )
        .expect("echo");
    let detail = store.case_detail(&c.id, now).expect("detail");
    assert_eq!(detail.comments.len(), 2);
    assert_eq!(
        detail
            .comments
            .iter()
            .filter(|v| v.comment.id == local.id)
            .count(),
        1
    );
    assert_eq!(
        detail.comments[1].send_state,
        SendState::Sent,
        "the server has it"
    );

    // Discarding the patch reverts to the server's status.
    let patch_op = store
        .outbox_entries()
        .expect("entries")
        .into_iter()
        .find(|e| matches!(e.op, Ok(OutboxOp::PatchCase(_))))
        .expect("patch op");
    store.outbox_discard(&patch_op.op_id).expect("discard");
    let seen = store.case(&c.id).expect("read").expect("case");
    assert_eq!(seen.status, CaseStatus::Open);
    assert_eq!(seen.priority, Priority::Urgent);
    assert_eq!(seen.version, 3);
}

#[test]
fn outbox_worker_flow() {
    let (_dir, store) = seeded();
    let a = case(1, "GC1", "Verona Vittles");
    let b = case(2, "GC2", "Acme Anvils");
    store
        .apply_case_page(
            &page(
                vec![
                    bundle(a.clone(), vec![], vec![]),
                    bundle(b.clone(), vec![], vec![]),
                ],
                "c1",
            ),
            "cases",
        )
        .expect("page");
    let now = t0() + Duration::hours(1);
    let a1 = store
        .patch_local_case(
            &a.id,
            &CasePatch {
                priority: Some(Priority::High),
                ..Default::default()
            },
            now,
        )
        .expect("p")
        .expect("op");
    let a2 = store
        .add_local_comment(
            &a.id,
            "Ann",
            "second",
            Visibility::Internal,
            now + Duration::seconds(1),
        )
        .expect("c");
    let b1 = store
        .patch_local_case(
            &b.id,
            &CasePatch {
                title: Some("Renamed".into()),
                ..Default::default()
            },
            now,
        )
        .expect("p")
        .expect("op");

    let next = store.outbox_next(10, now).expect("next");
    assert_eq!(
        next.iter().map(|e| e.op_id.as_str()).collect::<Vec<_>>(),
        vec![a1.as_str(), b1.as_str()],
        "oldest per case"
    );
    store.outbox_mark_in_flight(&a1).expect("flight");
    let next = store.outbox_next(10, now).expect("next");
    assert_eq!(
        next.iter().map(|e| e.op_id.as_str()).collect::<Vec<_>>(),
        vec![b1.as_str()],
        "case a waits for its first entry"
    );

    // Accepted: the server's answer is stored, the entry gone.
    let mut server_a = a.clone();
    server_a.priority = Priority::High;
    server_a.version = 2;
    store
        .outbox_mark_sent(&a1, &ServerAnswer::Case(server_a.clone()), now)
        .expect("sent");
    let next = store.outbox_next(10, now).expect("next");
    assert_eq!(next.len(), 2);
    assert!(store.case_conflicts(&a.id).expect("conflicts").is_empty());

    // Comment accepted with the server's stored comment.
    let comment_op = next
        .iter()
        .find(|e| e.case_id == a.id)
        .expect("a2 op")
        .op_id
        .clone();
    let mut stored = a2.clone();
    stored.created_at = now + Duration::seconds(2);
    store
        .outbox_mark_sent(&comment_op, &ServerAnswer::Comment(stored.clone()), now)
        .expect("sent");
    let detail = store.case_detail(&a.id, now).expect("detail");
    assert_eq!(
        detail
            .comments
            .iter()
            .map(|v| (v.comment.clone(), v.send_state))
            .collect::<Vec<_>>(),
        vec![(stored, SendState::Sent)]
    );
    assert_eq!(detail.case.priority, Priority::High);
    assert_eq!(
        store
            .list_cases(&CaseQuery::default(), now)
            .expect("list")
            .rows
            .iter()
            .map(|r| r.pending_changes)
            .sum::<u32>(),
        1
    );

    // Refused, then retried, then refused again and discarded.
    store
        .outbox_mark_failed(&b1, "validation: title too long")
        .expect("failed");
    assert_eq!(store.outbox_summary().expect("s").failed, 1);
    assert!(
        store.outbox_next(10, now).expect("next").is_empty(),
        "failed entry blocks its case"
    );
    let row = store
        .list_cases(
            &CaseQuery {
                partner_ids: vec!["GC2".into()],
                ..Default::default()
            },
            now,
        )
        .expect("list")
        .rows
        .remove(0);
    assert_eq!(
        (row.failed_changes, row.pending_changes, row.title.as_str()),
        (1, 0, "Renamed")
    );
    assert_eq!(store.outbox_retry(&RetryTarget::All).expect("retry"), 1);
    assert_eq!(store.outbox_next(10, now).expect("next").len(), 1);
    store
        .outbox_reschedule(&b1, "503", now + Duration::minutes(5))
        .expect("later");
    assert!(
        store.outbox_next(10, now).expect("next").is_empty(),
        "not before next_attempt_at"
    );
    assert_eq!(
        store
            .outbox_next(10, now + Duration::minutes(6))
            .expect("next")
            .len(),
        1
    );
    store.outbox_discard(&b1).expect("discard");
    assert_eq!(
        store.case(&b.id).expect("read").expect("case").title,
        b.title,
        "reverted"
    );
    let s = store.outbox_summary().expect("s");
    assert_eq!((s.pending, s.failed, s.oldest), (0, 0, None));
    assert_eq!(
        store
            .outbox_mark_sent(&b1, &ServerAnswer::Nothing, now)
            .expect_err("gone")
            .code(),
        "store.not_found"
    );
}

#[test]
fn lost_changes_are_kept_as_conflicts() {
    let (_dir, store) = seeded();
    let c = case(1, "GC1", "Verona Vittles");
    store
        .apply_case_page(
            &page(vec![bundle(c.clone(), vec![], vec![])], "c1"),
            "cases",
        )
        .expect("page");
    let now = t0() + Duration::hours(1);
    let op = store
        .patch_local_case(
            &c.id,
            &CasePatch {
                status: Some(CaseStatus::Closed),
                ..Default::default()
            },
            now,
        )
        .expect("p")
        .expect("op");
    let mut server = c.clone();
    server.status = CaseStatus::WaitingOnUs;
    server.version = 5;
    store
        .outbox_mark_conflict(&op, &server, now)
        .expect("conflict");
    assert_eq!(
        store.case(&c.id).expect("read").expect("case").status,
        CaseStatus::WaitingOnUs
    );
    let conflicts = store.case_conflicts(&c.id).expect("conflicts");
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        (
            conflicts[0].field.as_str(),
            conflicts[0].local_value.as_str(),
            conflicts[0].server_value.as_str()
        ),
        ("status", "\"closed\"", "\"waiting_on_us\"")
    );
    assert!(store
        .case_detail(&c.id, now)
        .expect("detail")
        .activity
        .iter()
        .any(|a| a.summary.contains("lost to a newer server value")));
    assert!(store.outbox_entries().expect("entries").is_empty());
}

#[test]
fn local_case_creation_and_discard() {
    let (_dir, store) = seeded();
    let now = t0();
    let new = NewCase {
        id: String::new(),
        title: "ASN missing for PO-77".into(),
        partner_id: "GC1".into(),
        partner_name: None,
        kind: CaseKind::Shipment,
        priority: None,
        owner: Some("ann".into()),
        sla_due: None,
        linked_transactions: vec!["TX-1".into()],
        references: CaseReferences {
            po_numbers: vec!["PO-77".into()],
            ..Default::default()
        },
        description: Some("No 856 received".into()),
    };
    let id = store
        .create_local_case(&new, "Ann Analyst", now)
        .expect("create");
    let detail = store.case_detail(&id, now).expect("detail");
    assert!(detail.local_only);
    assert_eq!(detail.case.partner_name, "Verona Vittles");
    assert_eq!(detail.comments.len(), 1);
    assert_eq!(detail.comments[0].send_state, SendState::Pending);
    let row = store
        .list_cases(
            &CaseQuery {
                search: Some("PO-77".into()),
                ..Default::default()
            },
            now,
        )
        .expect("list")
        .rows
        .remove(0);
    assert!(row.local_only);
    assert_eq!(row.pending_changes, 1);
    store
        .add_local_comment(
            &id,
            "Ann",
            "follow-up",
            Visibility::Internal,
            now + Duration::minutes(1),
        )
        .expect("comment");

    // Accepted by the server: the server's bundle replaces the local one, no duplicate description.
    let create_op = store.outbox_next(5, now).expect("next").remove(0);
    assert!(matches!(&create_op.op, Ok(OutboxOp::CreateCase(new)) if new.id == id));
    let mut server = detail.case.clone();
    server.reference = "CASE-2026-000900".into();
    server.version = 1;
    let server_desc = comment(&id, "srv-desc", "No 856 received", 0);
    store
        .outbox_mark_sent(
            &create_op.op_id,
            &ServerAnswer::Bundle(bundle(server, vec![server_desc], vec![])),
            now,
        )
        .expect("sent");
    let detail = store.case_detail(&id, now).expect("detail");
    assert!(!detail.local_only);
    assert_eq!(detail.case.reference, "CASE-2026-000900");
    assert_eq!(
        detail
            .comments
            .iter()
            .map(|c| c.comment.body.as_str())
            .collect::<Vec<_>>(),
        vec!["No 856 received", "follow-up"]
    );

    // A second local case discarded before sending disappears with its queue.
    let id2 = store
        .create_local_case(
            &NewCase {
                id: "c-2".into(),
                description: None,
                ..new.clone()
            },
            "Ann",
            now,
        )
        .expect("create");
    store
        .add_local_comment(&id2, "Ann", "draft", Visibility::Internal, now)
        .expect("comment");
    let op = store
        .outbox_entries()
        .expect("e")
        .into_iter()
        .find(|e| e.case_id == id2 && matches!(e.op, Ok(OutboxOp::CreateCase(_))))
        .expect("op");
    store.outbox_discard(&op.op_id).expect("discard");
    assert_eq!(store.case(&id2).expect("read"), None);
    assert!(store
        .outbox_entries()
        .expect("e")
        .iter()
        .all(|e| e.case_id != id2));
    assert_eq!(
        store
            .list_cases(
                &CaseQuery {
                    search: Some("draft".into()),
                    ..Default::default()
                },
                now
            )
            .expect("q")
            .total,
        0
    );
    assert_eq!(
        store
            .create_local_case(
                &NewCase {
                    title: " ".into(),
                    ..new
                },
                "Ann",
                now
            )
            .expect_err("no title")
            .code(),
        "store.invalid"
    );
}

#[test]
fn a_failed_envelope_is_listed_only_when_no_failed_document_of_its_interchange_is() {
    let (_dir, store) = seeded();
    let with_level = |id: &str, level: &str, correlation: &str, po: &str| {
        let mut t = transaction(id, true, "ZZ:DEMORETAILER", "ZZ:VERONAVITTLES", po);
        t.transaction_level = Some(level.into());
        t.correlation_id = Some(correlation.into());
        t
    };
    store
        .upsert_transactions(&[
            with_level("ENV-1", "Envelope", "corr-1", ""),
            with_level("DOC-1", "Document", "corr-1", "PO-1"),
            with_level("ENV-2", "Envelope", "corr-2", ""),
        ])
        .expect("tx");
    let inbox = store
        .list_exceptions(&ExceptionQuery::default())
        .expect("inbox");
    let mut ids: Vec<&str> = inbox
        .rows
        .iter()
        .map(|r| r.transaction.transaction_id.as_str())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        vec!["DOC-1", "ENV-2"],
        "the envelope of DOC-1 is not listed twice"
    );
    assert_eq!(inbox.total, 2);
    let partner = store.partner("GC1").expect("partner");
    assert_eq!(
        partner.exceptions, 2,
        "the partner's count agrees with the inbox"
    );
}

/// A case opened in an account without a case server stays on this computer: its creation and
/// later comment are kept with their outbox entries but never handed to the push, the status
/// bar counts nothing pending, the outbox lists nothing, the list and detail say "this computer
/// only". Sharing hands exactly those entries to the push, in order, once.
#[test]
fn a_kept_case_is_never_sent_until_shared() {
    let (_dir, store) = seeded();
    let now = t0();
    let new = NewCase {
        id: String::new(),
        title: "Invoice rejected for PO-88".into(),
        partner_id: "GC1".into(),
        partner_name: None,
        kind: CaseKind::Invoice,
        priority: None,
        owner: None,
        sla_due: None,
        linked_transactions: vec![],
        references: CaseReferences {
            po_numbers: vec!["PO-88".into()],
            ..Default::default()
        },
        description: Some("Price mismatch".into()),
    };
    let id = store.create_kept_case(&new, "Ann", now).expect("create");
    store
        .add_local_comment(&id, "Ann", "called them", Visibility::Internal, now)
        .expect("comment");
    store
        .patch_local_case(
            &id,
            &CasePatch {
                status: Some(CaseStatus::WaitingOnPartner),
                ..Default::default()
            },
            now,
        )
        .expect("patch");
    let later = now + Duration::days(30);
    assert!(
        store.outbox_next(10, later).expect("next").is_empty(),
        "nothing is handed to the push"
    );
    let summary = store.outbox_summary().expect("summary");
    assert_eq!((summary.pending, summary.failed), (0, 0), "nothing pending");
    assert!(store.outbox_views().expect("views").is_empty());
    assert_eq!(store.kept_case_count().expect("count"), 1);
    let detail = store.case_detail(&id, now).expect("detail");
    assert!(detail.this_computer_only && detail.local_only);
    assert_eq!(detail.case.status, CaseStatus::WaitingOnPartner);
    assert_eq!(detail.comments.len(), 2, "description and comment kept");
    let row = store
        .list_cases(&CaseQuery::default(), now)
        .expect("list")
        .rows
        .into_iter()
        .find(|row| row.id == id)
        .expect("row");
    assert!(row.this_computer_only);
    assert_eq!(row.pending_changes, 0);

    // Reopening the file keeps it kept.
    let path = store.path().to_owned();
    drop(store);
    let store = Store::open(&path).expect("reopen");
    assert!(store.outbox_next(10, later).expect("next").is_empty());

    assert_eq!(store.share_kept_cases().expect("share"), 1);
    assert_eq!(store.share_kept_cases().expect("share again"), 0);
    assert_eq!(store.kept_case_count().expect("count"), 0);
    assert_eq!(store.outbox_summary().expect("summary").pending, 3);
    let first = store.outbox_next(10, now).expect("next");
    assert_eq!(first.len(), 1, "one entry per case, in order");
    assert!(matches!(&first[0].op, Ok(OutboxOp::CreateCase(new)) if new.id == id));
    let detail = store.case_detail(&id, now).expect("detail");
    assert!(!detail.this_computer_only && detail.local_only);
}
