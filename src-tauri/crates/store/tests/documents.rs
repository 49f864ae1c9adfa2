//! Documents attached here, on real SQLite files: the case shows one at once as not yet on the
//! server, its record is queued once in the same transaction as the row (and as a caller's own
//! row), a second file with the same content is refused as a duplicate, a pull keeps a queued
//! document, the server's answer settles it, and discarding the entry takes the row away.

mod common;

use common::*;
use pd_domain::*;
use pd_store::*;

fn new_doc(id: &str, sha_byte: &str, source: DocumentSource) -> NewDocument {
    NewDocument {
        id: id.into(),
        name: format!("{id}.pdf"),
        size: 2048,
        sha256: sha_byte.repeat(32),
        media_type: "application/pdf".into(),
        uploaded_by: "Ann Keller".into(),
        source,
    }
}

fn later() -> Timestamp {
    t0() + chrono::Duration::minutes(10)
}

fn seeded(dir: &std::path::Path) -> Store {
    let store = Store::open(dir.join("cache.db")).expect("open");
    store
        .upsert_partners(&[partner("GC1", "Verona Vittles", "ZZ:VERONAVITTLES")])
        .expect("partners");
    store
        .apply_case_page(
            &page(
                vec![bundle(
                    case(1, "GC1", "Verona Vittles"),
                    vec![],
                    vec![document("case-00001", "d-server", "asn.edi")],
                )],
                "c1",
            ),
            "cases",
        )
        .expect("cases");
    store
}

#[test]
fn an_attached_document_shows_at_once_and_its_record_is_queued_once() {
    let dir = tempfile::tempdir().expect("dir");
    let store = seeded(dir.path());
    let spooled = new_doc(
        "d-local",
        "a1",
        DocumentSource::Spooled {
            file: "d-local.bin".into(),
        },
    );
    let op_id = store
        .attach_local_document("case-00001", &spooled, later())
        .expect("attach");
    let detail = store.case_detail("case-00001", later()).expect("detail");
    let shown: Vec<(&str, SendState)> = detail
        .documents
        .iter()
        .map(|d| (d.document.id.as_str(), d.send_state))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("d-server", SendState::Sent),
            ("d-local", SendState::Pending)
        ]
    );
    assert_eq!(
        detail.documents[1].document.location,
        DocumentLocation::Collab
    );
    assert!(detail
        .activity
        .iter()
        .any(|a| a.summary == "Attached d-local.pdf"));
    let entries = store.outbox_entries().expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].op_id, op_id);
    assert_eq!(entries[0].op, Ok(OutboxOp::AttachDocument(spooled.clone())));

    // The same content again is flagged, not queued twice.
    let again = store.attach_local_document(
        "case-00001",
        &new_doc("d-other", "a1", spooled.source.clone()),
        later(),
    );
    match again {
        Err(e @ StoreError::DuplicateDocument { .. }) => {
            assert_eq!(e.code(), ErrorCode::DocumentDuplicate);
            assert!(
                e.to_string()
                    .contains("d-local.pdf is already on this case"),
                "{e}"
            );
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    assert_eq!(store.outbox_entries().expect("entries").len(), 1);
    assert!(store
        .document_with_sha256("case-00001", &"a1".repeat(32))
        .expect("lookup")
        .is_some());

    // A pull that does not know the document yet keeps it.
    store
        .apply_case_page(
            &page(
                vec![bundle(
                    case(1, "GC1", "Verona Vittles"),
                    vec![],
                    vec![document("case-00001", "d-server", "asn.edi")],
                )],
                "c2",
            ),
            "cases",
        )
        .expect("pull");
    assert_eq!(
        store
            .case_detail("case-00001", later())
            .expect("detail")
            .documents
            .len(),
        2
    );

    // The server's answer settles it: sent, with the server's metadata.
    let mut server_doc = document("case-00001", "d-local", "d-local.pdf");
    server_doc.sha256 = "a1".repeat(32);
    server_doc.uploaded_at = later();
    store
        .outbox_mark_sent(&op_id, &ServerAnswer::Document(server_doc.clone()), later())
        .expect("sent");
    let detail = store.case_detail("case-00001", later()).expect("detail");
    assert_eq!(detail.documents[1].send_state, SendState::Sent);
    assert_eq!(detail.documents[1].document, server_doc);
    assert!(store.outbox_entries().expect("entries").is_empty());
}

#[test]
fn a_callers_row_joins_the_same_transaction_and_a_refusal_writes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let store = seeded(dir.path());
    store
        .write_with(|tx| {
            tx.execute_batch("CREATE TABLE IF NOT EXISTS my_ledger(file TEXT)")?;
            Ok(())
        })
        .expect("ledger");
    let s3 = new_doc(
        "d-big",
        "cd",
        DocumentSource::S3 {
            bucket: "partner-docs".into(),
            key: "cases/case-00001/d-big/pallets.zip".into(),
        },
    );
    // The caller's row fails after the attach: neither the document nor its entry stays.
    let failed = store.write_with(|tx| {
        attach_document_in(tx, "case-00001", &s3, later())?;
        tx.execute("INSERT INTO no_such_table VALUES (1)", [])?;
        Ok(())
    });
    assert!(failed.is_err());
    assert!(store.outbox_entries().expect("entries").is_empty());
    assert_eq!(
        store
            .case_detail("case-00001", later())
            .expect("detail")
            .documents
            .len(),
        1
    );
    store
        .write_with(|tx| {
            attach_document_in(tx, "case-00001", &s3, later())?;
            tx.execute("INSERT INTO my_ledger VALUES ('pallets.zip')", [])?;
            Ok(())
        })
        .expect("attach with ledger");
    let detail = store.case_detail("case-00001", later()).expect("detail");
    assert_eq!(
        detail.documents[1].document.location,
        DocumentLocation::S3 {
            bucket: "partner-docs".into(),
            key: "cases/case-00001/d-big/pallets.zip".into()
        }
    );
    // Refusals: unknown case, a spool name with a path, a bad hash.
    let unknown =
        store.attach_local_document("no-case", &new_doc("x1", "ef", s3.source.clone()), later());
    assert!(
        matches!(unknown, Err(StoreError::NotFound { .. })),
        "{unknown:?}"
    );
    let sneaky = store.attach_local_document(
        "case-00001",
        &new_doc(
            "x2",
            "ef",
            DocumentSource::Spooled {
                file: "../../etc/passwd".into(),
            },
        ),
        later(),
    );
    assert!(matches!(sneaky, Err(StoreError::Invalid(_))), "{sneaky:?}");
    let mut bad_hash = new_doc("x3", "ef", s3.source.clone());
    bad_hash.sha256 = "XYZ".into();
    assert!(store
        .attach_local_document("case-00001", &bad_hash, later())
        .is_err());
    assert_eq!(store.outbox_entries().expect("entries").len(), 1);

    // Discarding the entry takes the document away again.
    let op_id = store.outbox_entries().expect("entries")[0].op_id.clone();
    store.outbox_discard(&op_id).expect("discard");
    assert_eq!(
        store
            .case_detail("case-00001", later())
            .expect("detail")
            .documents
            .len(),
        1
    );
}

#[test]
fn spool_files_no_queued_document_names_are_swept() {
    let dir = tempfile::tempdir().expect("dir");
    let store = seeded(dir.path());
    let spool = store.spool_dir();
    assert_eq!(spool, dir.path().join("cache.db.spool"));
    std::fs::create_dir_all(&spool).expect("spool");
    std::fs::write(spool.join("kept.bin"), b"queued").expect("write");
    std::fs::write(spool.join("orphan.bin"), b"sent long ago").expect("write");
    std::fs::write(spool.join("writing.part"), b"being copied").expect("write");
    store
        .attach_local_document(
            "case-00001",
            &new_doc(
                "d-kept",
                "12",
                DocumentSource::Spooled {
                    file: "kept.bin".into(),
                },
            ),
            later(),
        )
        .expect("attach");
    assert_eq!(store.sweep_spool().expect("sweep"), 1);
    assert!(spool.join("kept.bin").exists());
    assert!(spool.join("writing.part").exists());
    assert!(!spool.join("orphan.bin").exists());
}
