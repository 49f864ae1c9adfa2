//! The SQLite backend against the trait's obligations, on a real file: one write per key,
//! expected versions, feed order and companies.
#![allow(missing_docs)]

use chrono::Utc;
use pd_collab::sqlite::SqliteStore;
use pd_collab::{
    CollabStore, Idempotency, NewCaseRecord, NewCommentRecord, StoreError, WriteContext, Written,
};
use pd_domain::{CaseKind, CasePatch, CaseStatus, NewCase, Visibility};

fn ctx(company: &str, key: Option<&str>, fingerprint: &str) -> WriteContext {
    WriteContext {
        company: company.into(),
        op_id: key.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string),
        idempotency: key.map(|k| Idempotency {
            key: k.into(),
            fingerprint: fingerprint.into(),
            not_before: None,
        }),
        now: Utc::now(),
    }
}

fn new_case(id: &str) -> NewCaseRecord {
    NewCaseRecord {
        case: NewCase {
            id: id.into(),
            title: "Invoice rejected".into(),
            partner_id: "GC-P1".into(),
            partner_name: None,
            kind: CaseKind::Other,
            priority: None,
            owner: None,
            sla_due: None,
            linked_transactions: vec![],
            references: Default::default(),
            description: Some("opening words".into()),
        },
        partner_name: "Partner One".into(),
        description_author: "Ana".into(),
    }
}

#[tokio::test]
async fn writes_are_once_per_key_versioned_and_fed_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("collab.sqlite")).expect("open");
    store.migrate().await.expect("migrate twice is fine");
    store.ping().await.expect("ping");

    let first = store
        .create_case(ctx("A", Some("k1"), "f1"), new_case("c1"))
        .await
        .expect("create");
    assert!(matches!(first, Written::Applied { version: 1, .. }));
    let again = store
        .create_case(ctx("A", Some("k1"), "f1"), new_case("c1"))
        .await
        .expect("replay");
    let Written::Replayed(answer) = again else {
        panic!("same key, same request: replayed");
    };
    assert_eq!(answer.status, 201);
    assert_eq!(answer.etag, Some(1));
    let reused = store
        .create_case(ctx("A", Some("k1"), "other"), new_case("c2"))
        .await;
    assert_eq!(reused, Err(StoreError::KeyReused("k1".into())));

    let patch = CasePatch {
        status: Some(CaseStatus::WaitingOnPartner),
        ..CasePatch::default()
    };
    let stale = store
        .patch_case(ctx("A", None, ""), "c1", patch.clone(), Some(5))
        .await;
    assert_eq!(
        stale.map(|_| ()).map_err(|e| e.to_string()),
        Err("case c1 is at version 1, the request expected 5".into())
    );
    let patched = store
        .patch_case(ctx("A", None, ""), "c1", patch, Some(1))
        .await
        .expect("patch");
    assert!(matches!(patched, Written::Applied { version: 2, .. }));

    store
        .create_case(ctx("A", None, ""), new_case("c2"))
        .await
        .expect("second case");
    store
        .add_comment(
            ctx("A", None, ""),
            "c1",
            NewCommentRecord {
                id: "m1".into(),
                author: "Ana".into(),
                author_is_partner: false,
                body: "hello".into(),
                visibility: Visibility::Internal,
            },
        )
        .await
        .expect("comment");

    let page = store.list_changed("A", 0, 10).await.expect("feed");
    let ids: Vec<_> = page.cases.iter().map(|b| b.case.id.as_str()).collect();
    assert_eq!(ids, ["c2", "c1"], "the last change comes last");
    assert_eq!(page.cases[1].comments.len(), 2);
    let rest = store
        .list_changed("A", page.last_seq.expect("last"), 10)
        .await
        .expect("feed");
    assert!(rest.cases.is_empty());

    assert!(store
        .list_changed("B", 0, 10)
        .await
        .expect("feed")
        .cases
        .is_empty());
    assert_eq!(store.get_case("B", "c1").await.expect("get"), None);

    // Expiry: an answer older than the cut is not replayed, and the purge deletes it.
    let later = Utc::now() + chrono::Duration::seconds(5);
    assert!(store.find_answer("k1", None).await.expect("find").is_some());
    assert_eq!(
        store.find_answer("k1", Some(later)).await.expect("find"),
        None
    );
    assert_eq!(store.purge_answers(later).await.expect("purge"), 1);
    assert_eq!(store.find_answer("k1", None).await.expect("find"), None);
}
