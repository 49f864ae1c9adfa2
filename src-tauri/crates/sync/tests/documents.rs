//! Documents attached here reach the case server exactly once, against the sandbox: a spooled
//! copy is uploaded with the app's document id (and its copy then deleted), an S3 object is
//! recorded with its bucket and key; answers lost mid-body are replayed, never doubled, and a
//! spooled copy that vanished fails the entry with words instead of sending nothing.

mod common;

use std::time::Duration;

use common::World;
use partnerdesk_sandbox::Faults;
use pd_domain::{DocumentLocation, DocumentSource, NewDocument, OutboxState, SendState};
use pd_sync::{pull, push, PullOptions, PushOptions};
use sha2::{Digest, Sha256};

fn quick_push() -> PushOptions {
    PushOptions {
        max_backoff: Duration::from_millis(100),
        ..PushOptions::default()
    }
}

async fn drain(world: &World) {
    for _ in 0..200 {
        let _ = push(&world.store, &world.client, &quick_push()).await;
        let summary = world.store.outbox_summary().expect("summary");
        if summary.pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the outbox did not drain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attached_documents_reach_the_server_once_with_their_id_and_location() {
    let world = World::new(3).await;
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("pull");
    let case_id = world.first_case_ids(1).remove(0);
    let spool = world.store.spool_dir();
    std::fs::create_dir_all(&spool).expect("spool");
    let content = b"%PDF-1.7 proof of delivery, 40 of 48 cartons".to_vec();
    std::fs::write(spool.join("pod.bin"), &content).expect("spool copy");
    let sha = format!("{:x}", Sha256::digest(&content));
    let spooled = NewDocument {
        id: "doc-pod-1".into(),
        name: "pod.pdf".into(),
        size: content.len() as u64,
        sha256: sha.clone(),
        media_type: "application/pdf".into(),
        uploaded_by: "Ann Keller".into(),
        source: DocumentSource::Spooled {
            file: "pod.bin".into(),
        },
    };
    let big_sha = format!("{:x}", Sha256::digest(b"a large scan"));
    let linked = NewDocument {
        id: "doc-big-1".into(),
        name: "pallets.zip".into(),
        size: 3_221_225_472,
        sha256: big_sha,
        media_type: "application/zip".into(),
        uploaded_by: "Ann Keller".into(),
        source: DocumentSource::S3 {
            bucket: "partner-docs".into(),
            key: format!("cases/{case_id}/doc-big-1/pallets.zip"),
        },
    };
    let now = chrono::Utc::now();
    let op_pod = world
        .store
        .attach_local_document(&case_id, &spooled, now)
        .expect("attach pod");
    let op_big = world
        .store
        .attach_local_document(&case_id, &linked, now)
        .expect("attach big");
    // Every answer is lost once: the resend must be a replay, not a second document.
    world.faults(Faults {
        drop_rate: 0.5,
        ..Faults::default()
    });
    drain(&world).await;
    world.faults(Faults::default());

    let bundle = world.client.case(&case_id).await.expect("case");
    let pod = bundle
        .documents
        .iter()
        .find(|d| d.id == "doc-pod-1")
        .expect("the pod on the server, under the app's id");
    assert_eq!(pod.sha256, sha);
    assert_eq!(pod.size, content.len() as u64);
    assert_eq!(pod.location, DocumentLocation::Collab);
    let big = bundle
        .documents
        .iter()
        .find(|d| d.id == "doc-big-1")
        .expect("the S3 document recorded");
    assert_eq!(
        big.location,
        DocumentLocation::S3 {
            bucket: "partner-docs".into(),
            key: format!("cases/{case_id}/doc-big-1/pallets.zip")
        }
    );
    assert_eq!(big.size, 3_221_225_472);
    let applied = world
        .sandbox()
        .applied_ops(Some(&case_id))
        .await
        .expect("ops");
    for op in [&op_pod, &op_big] {
        assert_eq!(
            applied.iter().filter(|a| &a.op_id == op).count(),
            1,
            "{op} applied once"
        );
    }
    let dest = world.dir.path().join("back.pdf");
    world
        .client
        .download_document(&case_id, "doc-pod-1", &dest)
        .await
        .expect("download");
    assert_eq!(std::fs::read(&dest).expect("read"), content);
    assert!(
        !spool.join("pod.bin").exists(),
        "the spooled copy goes once the server has the bytes"
    );
    let detail = world
        .store
        .case_detail(&case_id, chrono::Utc::now())
        .expect("detail");
    assert!(detail
        .documents
        .iter()
        .filter(|d| d.document.id.starts_with("doc-"))
        .all(|d| d.send_state == SendState::Sent));
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("final pull");
    world.assert_cache_equals_server().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spooled_copy_that_vanished_fails_its_entry_in_words() {
    let world = World::new(2).await;
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("pull");
    let case_id = world.first_case_ids(1).remove(0);
    let doc = NewDocument {
        id: "doc-gone".into(),
        name: "invoice.pdf".into(),
        size: 10,
        sha256: "ab".repeat(32),
        media_type: "application/pdf".into(),
        uploaded_by: "Ann Keller".into(),
        source: DocumentSource::Spooled {
            file: "never-written.bin".into(),
        },
    };
    world
        .store
        .attach_local_document(&case_id, &doc, chrono::Utc::now())
        .expect("attach");
    let _ = push(&world.store, &world.client, &quick_push()).await;
    let entries = world.store.outbox_entries().expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].state, OutboxState::Failed);
    let reason = entries[0].last_error.clone().unwrap_or_default();
    assert!(
        reason.contains("The copy of invoice.pdf kept for sending is gone"),
        "{reason}"
    );
    let bundle = world.client.case(&case_id).await.expect("case");
    assert!(bundle.documents.iter().all(|d| d.id != "doc-gone"));
}
