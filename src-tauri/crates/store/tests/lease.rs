//! The outbox under more than one sender: claims are atomic and leased, a lapsed lease is taken
//! over, an entry being sent cannot be discarded, an old answer never moves the cache back, and
//! the cache's lock file lets one program in at a time.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use pd_domain::*;
use pd_store::*;

/// A cache with `n` cached cases, one queued comment on each.
fn queued_cache(path: &std::path::Path, n: u32) -> Store {
    let store = Store::open(path).expect("open");
    store
        .upsert_partners(&[partner("GC1", "Verona Vittles", "ZZ:VERONAVITTLES")])
        .expect("partners");
    let cases = (1..=n)
        .map(|i| bundle(case(i, "GC1", "Verona Vittles"), vec![], vec![]))
        .collect();
    store
        .apply_case_page(&page(cases, "c1"), "cases")
        .expect("cases");
    for i in 1..=n {
        store
            .add_local_comment(
                &format!("case-{i:05}"),
                "Ann",
                "Any news?",
                Visibility::Partner,
                t0(),
            )
            .expect("comment");
    }
    store
}

#[test]
fn two_handles_claiming_at_once_never_get_the_same_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    let store = queued_cache(&path, 200);
    let all: HashSet<String> = store
        .outbox_entries()
        .expect("entries")
        .into_iter()
        .map(|e| e.op_id)
        .collect();
    let claimers: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let handle = Store::open(&path).expect("another handle");
            std::thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    let batch = handle
                        .outbox_claim(name, 4, chrono::Utc::now(), Duration::from_secs(600))
                        .expect("claim");
                    if batch.is_empty() {
                        return got;
                    }
                    got.extend(batch.into_iter().map(|e| e.op_id));
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for claimer in claimers {
        for op in claimer.join().expect("claimer") {
            total += 1;
            assert!(seen.insert(op.clone()), "{op} claimed twice");
        }
    }
    assert_eq!(total, all.len());
    assert_eq!(seen, all);
    assert!(store
        .outbox_entries()
        .expect("entries")
        .iter()
        .all(|e| e.state == OutboxState::InFlight && e.attempts == 1));
}

#[test]
fn a_claim_whose_lease_ran_out_is_taken_over_and_a_live_one_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = queued_cache(&dir.path().join("cache.db"), 1);
    let now = chrono::Utc::now();
    let first = store
        .outbox_claim("sender-1", 4, now, Duration::from_secs(60))
        .expect("claim");
    assert_eq!(first.len(), 1);
    let op = first[0].op_id.clone();
    assert!(
        store
            .outbox_claim(
                "sender-2",
                4,
                now + chrono::Duration::seconds(59),
                Duration::from_secs(60)
            )
            .expect("claim")
            .is_empty(),
        "a live lease keeps the entry its sender's"
    );
    // The first sender renews: still its own a minute later.
    assert!(store
        .outbox_renew(&op, "sender-1", now + chrono::Duration::seconds(120))
        .expect("renew"));
    assert!(store
        .outbox_claim(
            "sender-2",
            4,
            now + chrono::Duration::seconds(90),
            Duration::from_secs(60)
        )
        .expect("claim")
        .is_empty());
    // It died: once the lease runs out another sender takes the entry over.
    let taken = store
        .outbox_claim(
            "sender-2",
            4,
            now + chrono::Duration::seconds(121),
            Duration::from_secs(60),
        )
        .expect("claim");
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].op_id, op);
    assert_eq!(taken[0].attempts, 2);
    assert!(
        !store
            .outbox_renew(&op, "sender-1", now + chrono::Duration::seconds(300))
            .expect("renew"),
        "the first sender's claim is gone"
    );
}

#[test]
fn an_entry_left_in_flight_without_a_lease_by_an_older_build_is_due_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    let store = queued_cache(&path, 2);
    let conn = rusqlite::Connection::open(&path).expect("raw");
    conn.execute(
        "UPDATE outbox SET state = 'in_flight', claimed_by = NULL, lease_until = NULL \
         WHERE case_id = 'case-00001'",
        [],
    )
    .expect("as an older build left it");
    drop(conn);
    let store = {
        drop(store);
        Store::open(&path).expect("reopens")
    };
    let entries = store.outbox_entries().expect("entries");
    assert_eq!(
        entries
            .iter()
            .find(|e| e.case_id == "case-00001")
            .map(|e| e.state),
        Some(OutboxState::InFlight),
        "opening resets nothing"
    );
    let claimed = store
        .outbox_claim("sender", 4, chrono::Utc::now(), DEFAULT_LEASE)
        .expect("claim");
    assert_eq!(claimed.len(), 2, "both cases' entries are due");
}

#[test]
fn discard_is_refused_while_an_entry_is_being_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = queued_cache(&dir.path().join("cache.db"), 1);
    let claimed = store
        .outbox_claim("sender", 4, chrono::Utc::now(), Duration::from_secs(60))
        .expect("claim")
        .remove(0);
    let refused = store.outbox_discard(&claimed.op_id).expect_err("in flight");
    assert_eq!(refused.code(), ErrorCode::StoreInFlight);
    assert!(refused.to_string().contains("being sent"), "{refused}");
    assert_eq!(
        store.outbox_entries().expect("entries").len(),
        1,
        "nothing dropped"
    );
    let detail = store.case_detail("case-00001", t0()).expect("case");
    assert_eq!(detail.comments.len(), 1, "the comment is still shown");
    // Once the send has settled (here: a transient failure), it can be discarded.
    store
        .outbox_reschedule(&claimed.op_id, "503", chrono::Utc::now())
        .expect("reschedule");
    store.outbox_discard(&claimed.op_id).expect("discard");
    assert!(store.outbox_entries().expect("entries").is_empty());
}

#[test]
fn an_old_answer_replayed_after_a_pull_moves_nothing_back_and_keeps_the_partners_reply() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path().join("cache.db")).expect("open");
    store
        .upsert_partners(&[partner("GC1", "Verona Vittles", "ZZ:VERONAVITTLES")])
        .expect("partners");
    let v1 = case(1, "GC1", "Verona Vittles");
    let first = comment(&v1.id, "cm-1", "Cartons are on the way", 1);
    store
        .apply_case_page(
            &page(vec![bundle(v1.clone(), vec![first.clone()], vec![])], "c1"),
            "cases",
        )
        .expect("v1");
    let patch = CasePatch {
        status: Some(CaseStatus::WaitingOnPartner),
        ..CasePatch::default()
    };
    store.patch_local_case(&v1.id, &patch, t0()).expect("patch");
    // The server applied it (version 2), then the partner replied (version 3); a pull stored
    // version 3 while the answer to the patch was lost.
    let mut v2 = v1.clone();
    v2.status = CaseStatus::WaitingOnPartner;
    v2.version = 2;
    let mut v3 = v2.clone();
    v3.status = CaseStatus::WaitingOnUs;
    v3.version = 3;
    let reply = comment(&v1.id, "cm-partner", "We shipped 8 more cartons", 5);
    store
        .apply_case_page(
            &page(
                vec![bundle(
                    v3.clone(),
                    vec![first.clone(), reply.clone()],
                    vec![],
                )],
                "c2",
            ),
            "cases",
        )
        .expect("v3");
    // The resend is answered with the stored (old) answer.
    let op = store.outbox_entries().expect("entries").remove(0).op_id;
    store
        .outbox_mark_sent(&op, &ServerAnswer::Case(v2.clone()), chrono::Utc::now())
        .expect("sent");
    let detail = store.case_detail(&v1.id, chrono::Utc::now()).expect("case");
    assert_eq!(detail.case.version, 3, "not back to version 2");
    assert_eq!(
        detail.case.status,
        CaseStatus::WaitingOnUs,
        "the newer status stays"
    );
    let ids: HashSet<String> = detail
        .comments
        .iter()
        .map(|c| c.comment.id.clone())
        .collect();
    assert!(ids.contains("cm-partner"), "the partner's reply stays");
    assert!(store.case_conflicts(&v1.id).expect("conflicts").is_empty());

    // The same with a whole case answered (a creation's bundle without the partner's reply).
    store
        .add_local_comment(&v1.id, "Ann", "Thanks", Visibility::Partner, t0())
        .expect("comment");
    let op = store.outbox_entries().expect("entries").remove(0).op_id;
    store
        .outbox_mark_sent(
            &op,
            &ServerAnswer::Bundle(bundle(v2.clone(), vec![first.clone()], vec![])),
            chrono::Utc::now(),
        )
        .expect("sent");
    let detail = store.case_detail(&v1.id, chrono::Utc::now()).expect("case");
    assert_eq!(detail.case.version, 3);
    let ids: HashSet<String> = detail
        .comments
        .iter()
        .map(|c| c.comment.id.clone())
        .collect();
    assert!(
        ids.contains("cm-partner"),
        "a stale bundle deletes no comment"
    );
}

#[test]
fn the_cache_lock_lets_one_program_in_names_the_holder_and_is_freed_on_drop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache.db");
    let app = CacheLock::try_acquire(&cache, "PartnerDesk").expect("first");
    assert_eq!(app.path(), dir.path().join("cache.db.lock"));
    let refused = CacheLock::try_acquire(&cache, "partnerdesk-push").expect_err("held");
    assert_eq!(refused.code(), ErrorCode::StoreLocked);
    assert!(
        refused
            .to_string()
            .contains(&format!("PartnerDesk, process {}", std::process::id())),
        "{refused}"
    );
    let waited = CacheLock::acquire(&cache, "partnerdesk-push", Duration::from_millis(300));
    assert!(waited.is_err(), "still held after waiting");
    drop(app);
    let push =
        CacheLock::acquire(&cache, "partnerdesk-push", Duration::from_secs(5)).expect("free");
    drop(push);
}
