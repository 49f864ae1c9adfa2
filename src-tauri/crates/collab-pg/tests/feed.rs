//! The change feed on PostgreSQL never skips a change, even when concurrent transactions
//! would commit out of sequence order.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{comment, create_cases, ctx, drain, Db, COMPANY};
use pd_collab::{CollabStore, Written};
use pd_collab_pg::CommitGate;
use tokio::sync::oneshot;

/// A gate that holds the next write that passes it after taking its sequence number: answers
/// the gate, a receiver told the held write's number, and a sender that lets it commit.
fn hold_next_write() -> (CommitGate, oneshot::Receiver<i64>, oneshot::Sender<()>) {
    let (reached_tx, reached_rx) = oneshot::channel::<i64>();
    let (release_tx, release_rx) = oneshot::channel::<()>();
    let armed = Arc::new(Mutex::new(Some((reached_tx, release_rx))));
    let gate: CommitGate = Arc::new(move |seq| {
        let taken = armed.lock().expect("gate lock").take();
        Box::pin(async move {
            if let Some((reached, release)) = taken {
                let _ = reached.send(seq);
                let _ = release.await;
            }
        })
    });
    (gate, reached_rx, release_tx)
}

/// Waits (bounded) until writer B has either finished or waits on a lock (the counter row A
/// holds).
async fn until_b_finished_or_waits<T>(
    admin: &tokio_postgres::Client,
    b: &tokio::task::JoinHandle<T>,
) {
    for _ in 0..200 {
        let waiting: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .expect("pg_stat_activity")
            .get(0);
        if waiting > 0 || b.is_finished() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("writer B neither finished nor waited for a lock within 10 s");
}

/// The interleaving that loses changes with a sequence taken early: writer A takes its number,
/// writer B (started later) tries to take a higher one and commit before A, a reader reads the
/// feed in between, then A commits.
///
/// The control at the start runs that interleaving on a `bigserial` (`nextval()`) column, the
/// classic design: A gets 1, B gets 2 and commits, the reader sees 2 and moves its cursor to 2,
/// A commits 1 — below the cursor, so the reader never sees it. The backend takes its number
/// from a counter row at the end of the transaction instead: B's attempt to take a number
/// waits for A's commit, so B's number is higher AND B commits after A, and the reader's cursor
/// can never pass an uncommitted change.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_committing_after_a_later_one_is_still_in_the_feed() {
    let Some(db) = Db::start("feed_interleaving") else {
        return;
    };

    // Control: nextval() skips.
    let a = db.client().await;
    let b = db.client().await;
    let reader = db.client().await;
    a.batch_execute("CREATE TABLE naive(seq bigserial PRIMARY KEY, what text NOT NULL)")
        .await
        .expect("naive table");
    a.batch_execute("BEGIN; INSERT INTO naive(what) VALUES ('A')")
        .await
        .expect("A writes");
    b.batch_execute("BEGIN; INSERT INTO naive(what) VALUES ('B'); COMMIT")
        .await
        .expect("B writes and commits first");
    let seen: Vec<(i64, String)> = reader
        .query(
            "SELECT seq, what FROM naive WHERE seq > 0 ORDER BY seq",
            &[],
        )
        .await
        .expect("read")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        seen,
        vec![(2, "B".to_string())],
        "the reader sees B's 2 only"
    );
    let cursor = 2i64;
    a.batch_execute("COMMIT").await.expect("A commits 1");
    let later: Vec<String> = reader
        .query("SELECT what FROM naive WHERE seq > $1", &[&cursor])
        .await
        .expect("read")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        later.is_empty(),
        "control: with nextval() A's change sits below the cursor and is skipped"
    );

    // The backend: the same interleaving skips nothing.
    let (gate, reached, release) = hold_next_write();
    let store = db.store().await.with_commit_gate(gate.clone());
    let plain = db.store().await;
    create_cases(&plain, &["case-a", "case-b"]).await;
    let (before, cursor) = drain(&plain, 0).await;
    assert_eq!(before.len(), 2);

    let writer_a = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .add_comment(ctx(Some("op-a")), "case-a", comment("c-a"))
                .await
        })
    };
    let seq_a = reached
        .await
        .expect("A took its number and waits before COMMIT");
    let writer_b = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .add_comment(ctx(Some("op-b")), "case-b", comment("c-b"))
                .await
        })
    };
    until_b_finished_or_waits(&reader, &writer_b).await;

    // A holds its number uncommitted and B tries to commit a later one: the reader reads now,
    // moving its cursor past whatever it sees, as the app's pull does.
    let (during, cursor_during) = drain(&plain, cursor).await;

    release.send(()).expect("release A");
    let a_written = writer_a.await.expect("task").expect("A commits");
    let b_written = writer_b.await.expect("task").expect("B commits");
    assert!(matches!(a_written, Written::Applied { .. }));
    assert!(matches!(b_written, Written::Applied { .. }));

    let (after, _) = drain(&plain, cursor_during).await;
    let seen: HashSet<&str> = during
        .iter()
        .chain(&after)
        .flat_map(|b| b.comments.iter().map(|c| c.id.as_str()))
        .collect();
    assert!(
        seen.contains("c-a"),
        "the feed skipped A's change (number {seq_a}, committed after the reader passed it)"
    );
    assert!(seen.contains("c-b"), "B's change reached the reader");
    // Here B's number could only be taken once A had committed: nothing was visible while A
    // was held, and both arrive in commit order.
    assert!(
        during.is_empty(),
        "nothing committed while A was held: {during:?}"
    );
    assert_eq!(cursor_during, cursor);
    let ids: Vec<&str> = after.iter().map(|b| b.case.id.as_str()).collect();
    assert_eq!(ids, ["case-a", "case-b"], "A's change first");
    assert_eq!(after[0].comments.last().map(|c| c.id.as_str()), Some("c-a"));
    assert_eq!(after[1].comments.last().map(|c| c.id.as_str()), Some("c-b"));
}

/// Many writers at once while a reader follows the feed with its cursor, as the app does:
/// every comment written reaches the reader.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_following_the_feed_during_concurrent_writes_sees_every_comment() {
    let Some(db) = Db::start("feed_concurrent") else {
        return;
    };
    let store = db.store().await;
    let cases: Vec<String> = (0..12).map(|i| format!("case-{i}")).collect();
    create_cases(
        &store,
        &cases.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;

    const WRITERS: usize = 8;
    const EACH: usize = 60;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        let cases = cases.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..EACH {
                let case = &cases[(w * 7 + i * 5) % cases.len()];
                let id = format!("c-{w}-{i}");
                store
                    .add_comment(ctx(Some(&format!("op-{id}"))), case, comment(&id))
                    .await
                    .expect("comment");
            }
        }));
    }

    let mut seen: HashSet<String> = HashSet::new();
    let mut cursor = 0;
    loop {
        let done = writers.iter().all(|w| w.is_finished());
        let (bundles, next) = drain(&store, cursor).await;
        assert!(next >= cursor, "the cursor never goes back");
        cursor = next;
        for bundle in bundles {
            seen.extend(bundle.comments.into_iter().map(|c| c.id));
        }
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    let expected: HashSet<String> = (0..WRITERS)
        .flat_map(|w| (0..EACH).map(move |i| format!("c-{w}-{i}")))
        .collect();
    let missing: Vec<&String> = expected.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "the reader missed {} comments: {missing:?}",
        missing.len()
    );

    // And the feed's final state is the database's.
    let (all, _) = drain(&store, 0).await;
    for bundle in all {
        let direct = store
            .get_case(COMPANY, &bundle.case.id)
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(direct, bundle);
    }
}
