//! A connection lost in the middle of a write: PostgreSQL rolls the transaction back, the backend
//! runs it again on a new connection when that is safe (the request has an idempotency key) and
//! answers "unavailable" (503: the client retries) when it is not. Never half a write, never two.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{comment, create_cases, ctx, Db, COMPANY};
use pd_collab::{CollabStore, StoreError, Written};
use pd_collab_pg::CommitGate;

/// A gate that, the first time a write reaches it (its sequence number taken, COMMIT not yet
/// sent), terminates every other session of the database: the writer's connection dies under it.
fn kill_connections_once(admin: Arc<tokio_postgres::Client>) -> (CommitGate, Arc<AtomicBool>) {
    let fired = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&fired);
    let gate: CommitGate = Arc::new(move |_seq| {
        let admin = Arc::clone(&admin);
        let first = !flag.swap(true, Ordering::SeqCst);
        Box::pin(async move {
            if first {
                let killed: i64 = admin
                    .query_one(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                         WHERE datname = current_database() AND pid <> pg_backend_pid()
                           AND backend_type = 'client backend'",
                        &[],
                    )
                    .await
                    .expect("terminate")
                    .get(0);
                assert!(killed >= 1, "the writer's session was terminated");
            }
        })
    });
    (gate, fired)
}

async fn count(admin: &tokio_postgres::Client, sql: &str, arg: &str) -> i64 {
    admin.query_one(sql, &[&arg]).await.expect("count").get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_before_commit_is_retried_and_the_write_applied_once() {
    let Some(db) = Db::start("killed_keyed") else {
        return;
    };
    let admin = Arc::new(db.client().await);
    create_cases(&db.store().await, &["case-1"]).await;
    let (gate, fired) = kill_connections_once(Arc::clone(&admin));
    let store = db.store().await.with_commit_gate(gate);

    let written = store
        .add_comment(ctx(Some("op-killed")), "case-1", comment("c-killed"))
        .await
        .expect("the write succeeds on a new connection");
    assert!(
        fired.load(Ordering::SeqCst),
        "the connection was killed mid-write"
    );
    assert!(matches!(written, Written::Applied { version: 2, .. }));

    assert_eq!(
        count(
            &admin,
            "SELECT count(*) FROM comments WHERE id = $1",
            "c-killed"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &admin,
            "SELECT count(*) FROM applied_ops WHERE op_id = $1",
            "op-killed"
        )
        .await,
        1,
        "applied exactly once"
    );
    let bundle = store
        .get_case(COMPANY, "case-1")
        .await
        .expect("get")
        .expect("case");
    assert_eq!(bundle.case.version, 2);
    // The client's own retry with the same key replays the answer.
    let again = store
        .add_comment(ctx(Some("op-killed")), "case-1", comment("c-killed"))
        .await
        .expect("replay");
    assert!(matches!(again, Written::Replayed(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_idempotency_key_a_write_cut_at_commit_is_unavailable_and_leaves_nothing() {
    let Some(db) = Db::start("killed_unkeyed") else {
        return;
    };
    let admin = Arc::new(db.client().await);
    create_cases(&db.store().await, &["case-1"]).await;
    let (gate, fired) = kill_connections_once(Arc::clone(&admin));
    let store = db.store().await.with_commit_gate(gate);

    let answer = store
        .add_comment(ctx(None), "case-1", comment("c-unkeyed"))
        .await;
    assert!(fired.load(Ordering::SeqCst));
    assert!(
        matches!(answer, Err(StoreError::Unavailable(_))),
        "a 503 the client retries, got {answer:?}"
    );
    assert_eq!(
        count(
            &admin,
            "SELECT count(*) FROM comments WHERE id = $1",
            "c-unkeyed"
        )
        .await,
        0,
        "nothing half-applied"
    );
    let bundle = store
        .get_case(COMPANY, "case-1")
        .await
        .expect("the store works again on a new connection")
        .expect("case");
    assert_eq!(bundle.case.version, 1, "the case is untouched");
}
