//! The PostgreSQL backend gives the same answers as the SQLite one: one script of writes and
//! reads (idempotent replays, reused keys, expected versions, no-op changes, links, documents
//! in the row and in object storage, companies, feed pages, expiry) run against both, every
//! answer compared.

mod common;

use chrono::{Duration, Utc};
use common::Db;
use pd_collab::sqlite::SqliteStore;
use pd_collab::{
    CollabStore, DocumentBytes, Idempotency, NewCaseRecord, NewCommentRecord, NewDocumentRecord,
    StoreError, WriteContext, Written,
};
use pd_domain::{CaseKind, CasePatch, CaseStatus, NewCase, Priority, Timestamp, Visibility};
use serde::Serialize;
use serde_json::{json, Value};

/// Every answer as JSON; the server-made UUIDs (opening comments) masked.
fn record<T: Serialize>(log: &mut Vec<Value>, what: &str, result: Result<Written<T>, StoreError>) {
    let value = match result {
        Ok(Written::Applied { value, version }) => {
            json!({"applied": serde_json::to_value(value).expect("json"), "version": version})
        }
        Ok(Written::Replayed(answer)) => json!({
            "replayed": serde_json::from_slice::<Value>(&answer.body).expect("stored json"),
            "status": answer.status,
            "etag": answer.etag,
        }),
        Err(e) => json!({"error": format!("{e:?}")}),
    };
    log.push(json!({what: mask(value)}));
}

fn mask(value: Value) -> Value {
    match value {
        Value::String(s) if uuid::Uuid::parse_str(&s).is_ok() => Value::String("<uuid>".into()),
        Value::Array(items) => Value::Array(items.into_iter().map(mask).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, mask(v))).collect()),
        other => other,
    }
}

fn ctx(company: &str, key: Option<&str>, fingerprint: &str, now: Timestamp) -> WriteContext {
    WriteContext {
        company: company.into(),
        op_id: key.map_or_else(|| format!("op-{}", now.timestamp_micros()), str::to_string),
        idempotency: key.map(|k| Idempotency {
            key: k.into(),
            fingerprint: fingerprint.into(),
            not_before: Some(now - Duration::hours(24)),
        }),
        now,
    }
}

fn new_case(id: &str, description: Option<&str>) -> NewCaseRecord {
    NewCaseRecord {
        case: NewCase {
            id: id.into(),
            title: "  Invoice rejected  ".into(),
            partner_id: "GC-P1".into(),
            partner_name: None,
            kind: CaseKind::Invoice,
            priority: Some(Priority::High),
            owner: Some("anna".into()),
            sla_due: Some(
                chrono::DateTime::<Utc>::from_timestamp_millis(1_800_000_000_123).expect("t"),
            ),
            linked_transactions: vec!["T1".into(), "T2".into(), "T1".into()],
            references: pd_domain::CaseReferences {
                po_numbers: vec!["4500012345".into()],
                ..Default::default()
            },
            description: description.map(str::to_string),
        },
        partner_name: "Partner One".into(),
        description_author: "Ana".into(),
    }
}

fn comment(id: &str) -> NewCommentRecord {
    NewCommentRecord {
        id: id.into(),
        author: "Ana".into(),
        author_is_partner: false,
        body: format!("body of {id}"),
        visibility: Visibility::Partner,
    }
}

fn document(id: &str, bytes: DocumentBytes) -> NewDocumentRecord {
    NewDocumentRecord {
        id: id.into(),
        name: format!("{id}.pdf"),
        size: 3,
        sha256: "abc".into(),
        media_type: "application/pdf".into(),
        uploaded_by: "Ana".into(),
        bytes,
    }
}

/// The script; answers the log of every answer.
async fn script(store: &dyn CollabStore, t0: Timestamp) -> Vec<Value> {
    let mut log = Vec::new();
    let at = |n: i64| t0 + Duration::milliseconds(n * 1000 + 123);
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrate again");
    store.ping().await.expect("ping");

    let created = store
        .create_case(
            ctx("A", Some("k1"), "f1", at(1)),
            new_case("c1", Some("opening words")),
        )
        .await;
    record(&mut log, "create", created);
    let replay = store
        .create_case(
            ctx("A", Some("k1"), "f1", at(2)),
            new_case("c1", Some("opening words")),
        )
        .await;
    record(&mut log, "replay", replay);
    let reused = store
        .create_case(ctx("A", Some("k1"), "f2", at(3)), new_case("c9", None))
        .await;
    record(&mut log, "key reused", reused);
    let duplicate = store
        .create_case(ctx("B", None, "", at(4)), new_case("c1", None))
        .await;
    record(&mut log, "duplicate id in another company", duplicate);
    let second = store
        .create_case(ctx("A", None, "", at(5)), new_case("c2", None))
        .await;
    record(&mut log, "second case", second);

    let patch = CasePatch {
        status: Some(CaseStatus::WaitingOnPartner),
        owner: Some(None),
        title: Some(" New title ".into()),
        ..CasePatch::default()
    };
    let stale = store
        .patch_case(
            ctx("A", Some("k2"), "p", at(6)),
            "c1",
            patch.clone(),
            Some(7),
        )
        .await;
    record(&mut log, "stale patch", stale);
    let patched = store
        .patch_case(
            ctx("A", Some("k2"), "p", at(7)),
            "c1",
            patch.clone(),
            Some(1),
        )
        .await;
    record(&mut log, "patch", patched);
    let replayed_despite_version = store
        .patch_case(
            ctx("A", Some("k2"), "p", at(8)),
            "c1",
            patch.clone(),
            Some(1),
        )
        .await;
    record(&mut log, "patch replay", replayed_despite_version);
    let no_op = store
        .patch_case(ctx("A", None, "", at(9)), "c1", patch, None)
        .await;
    record(&mut log, "patch changing nothing", no_op);
    let other_company = store
        .patch_case(ctx("B", None, "", at(10)), "c1", CasePatch::default(), None)
        .await;
    record(&mut log, "patch in another company", other_company);

    let commented = store
        .add_comment(ctx("A", Some("k3"), "c", at(11)), "c2", comment("m1"))
        .await;
    record(&mut log, "comment", commented);
    let twice = store
        .add_comment(ctx("A", None, "", at(12)), "c1", comment("m1"))
        .await;
    record(&mut log, "comment id taken", twice);
    let missing = store
        .add_comment(ctx("A", None, "", at(13)), "nope", comment("m2"))
        .await;
    record(&mut log, "comment on unknown case", missing);

    for (n, (link, tx)) in [(true, "T3"), (true, "T3"), (false, "T1"), (false, "T9")]
        .into_iter()
        .enumerate()
    {
        let answer = if link {
            store
                .link_transaction(ctx("A", None, "", at(14 + n as i64)), "c1", tx)
                .await
        } else {
            store
                .unlink_transaction(ctx("A", None, "", at(14 + n as i64)), "c1", tx)
                .await
        };
        record(&mut log, &format!("link {link} {tx}"), answer);
    }
    let inline = store
        .put_document(
            ctx("A", Some("k4"), "d", at(20)),
            "c2",
            document("d1", DocumentBytes::Inline(b"%PD".to_vec())),
        )
        .await;
    record(&mut log, "document inline", inline);
    let object = store
        .put_document(
            ctx("A", None, "", at(21)),
            "c2",
            document(
                "d2",
                DocumentBytes::Object {
                    key: "cases/c2/d2".into(),
                },
            ),
        )
        .await;
    record(&mut log, "document in object storage", object);

    for (company, since, limit) in [("A", 0, 1), ("A", 0, 10), ("A", 3, 2), ("B", 0, 10)] {
        let page = store
            .list_changed(company, since, limit)
            .await
            .expect("feed");
        log.push(mask(json!({
            "feed": [company, since, limit],
            "cases": serde_json::to_value(&page.cases).expect("json"),
            "last": page.last_seq,
            "more": page.has_more,
        })));
    }
    for (company, id) in [("A", "c1"), ("A", "c2"), ("B", "c1"), ("A", "nope")] {
        let bundle = store.get_case(company, id).await.expect("get");
        log.push(mask(json!({"get": [company, id], "bundle": bundle})));
    }
    for id in ["d1", "d2", "d3"] {
        let doc = store.get_document("A", "c2", id).await.expect("doc");
        let content = store
            .document_content("A", "c2", id)
            .await
            .expect("content");
        let content = content.map(|(media, bytes)| match bytes {
            DocumentBytes::Inline(b) => json!([media, b]),
            DocumentBytes::Object { key } => json!([media, key]),
            DocumentBytes::Linked { bucket, key } => json!([media, bucket, key]),
        });
        log.push(json!({"document": id, "meta": doc, "content": content}));
    }
    let in_b = store.get_document("B", "c2", "d1").await.expect("doc");
    log.push(json!({"document in another company": in_b}));

    for (key, cut) in [("k1", None), ("k3", Some(at(30))), ("nope", None)] {
        let found = store.find_answer(key, cut).await.expect("find");
        let found = found.map(|(fingerprint, answer)| {
            json!([
                fingerprint,
                answer.status,
                answer.etag,
                mask(serde_json::from_slice::<Value>(&answer.body).expect("json"))
            ])
        });
        log.push(json!({"find": key, "found": found}));
    }
    // Expiry: an answer older than not_before is ignored and overwritten by the new write.
    let mut expired = ctx("A", Some("k3"), "another request", at(40));
    if let Some(idem) = expired.idempotency.as_mut() {
        idem.not_before = Some(at(35));
    }
    let after_expiry = store.add_comment(expired, "c1", comment("m5")).await;
    record(&mut log, "key reused after expiry", after_expiry);
    let purged = store.purge_answers(at(21)).await.expect("purge");
    log.push(json!({"purged": purged}));
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_writes_and_reads_answer_the_same_on_postgresql_and_sqlite() {
    let Some(db) = Db::start("same_as_sqlite") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = SqliteStore::open(&dir.path().join("collab.sqlite")).expect("sqlite");
    let pg = pd_collab_pg::PgStore::connect(&db.url, 4).expect("pg");
    let t0 = Utc::now();
    let on_sqlite = script(&sqlite, t0).await;
    let on_pg = script(&pg, t0).await;
    assert_eq!(on_sqlite.len(), on_pg.len());
    for (s, p) in on_sqlite.iter().zip(&on_pg) {
        assert_eq!(s, p, "SQLite answered\n{s:#}\nPostgreSQL answered\n{p:#}");
    }
    // The script is not vacuous: it applied, replayed and refused.
    let text = serde_json::to_string(&on_pg).expect("json");
    for word in [
        "applied",
        "replayed",
        "KeyReused",
        "VersionMismatch",
        "NotFound",
        "Conflict",
    ] {
        assert!(text.contains(word), "the script exercised {word}");
    }
}
