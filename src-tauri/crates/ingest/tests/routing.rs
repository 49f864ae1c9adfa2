//! Routing v1 over a real cache file: a case reference, PO, invoice or shipment number in the
//! file name attaches the file to that case; otherwise an "Unmatched document from <folder>" case
//! opens with the folder's defaults; the same bytes under another name are linked, not doubled;
//! a rule added in front (as EDI recognition does) decides first and is named in the ledger.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::io::Cursor;
use std::sync::Arc;

use pd_domain::{CaseKind, CaseReferences, NewCase};
use pd_ingest::routing::{Decision, FileFacts, FolderDefaults, Router, Rule};
use pd_ingest::take::{commit, media_type, spool_stream, Prepared};
use pd_store::{IngestFile, IngestOutcome, IngestTx, LedgerFilter, RouteTarget, Store, StoreError};

fn defaults() -> FolderDefaults {
    FolderDefaults {
        folder_id: "erp".into(),
        folder_name: "ERP exports".into(),
        partner_id: "acme".into(),
        case_kind: CaseKind::Invoice,
        owner: Some("dana".into()),
    }
}

fn prepared(dir: &std::path::Path, name: &str, bytes: &[u8]) -> Prepared {
    let (sha256, size, head, spool) =
        spool_stream(&dir.join("spool"), &mut Cursor::new(bytes.to_vec())).unwrap();
    Prepared {
        file: IngestFile {
            folder_id: "erp".into(),
            folder_name: "ERP exports".into(),
            path: name.into(),
            path_key: name.as_bytes().to_vec(),
            size,
            mtime_ns: 1,
            sha256,
            media_type: media_type(&head, name),
            document_name: name.into(),
            spool_path: Some(spool.display().to_string()),
            uploaded_by: "drop folder".into(),
            remote: false,
            upload: None,
        },
        head,
        spool,
        file_name: name.into(),
    }
}

fn case_with(store: &Store, refs: CaseReferences) -> (String, String) {
    let id = store
        .create_local_case(
            &NewCase {
                id: String::new(),
                title: "Existing".into(),
                partner_id: "acme".into(),
                partner_name: None,
                kind: CaseKind::Order,
                priority: None,
                owner: None,
                sla_due: None,
                linked_transactions: vec![],
                references: refs,
                description: None,
            },
            "dana",
            chrono::Utc::now(),
        )
        .unwrap();
    let reference = store.case(&id).unwrap().unwrap().reference;
    (id, reference)
}

fn taken_case(outcome: &IngestOutcome) -> (String, bool) {
    match outcome {
        IngestOutcome::Taken {
            case_id, new_case, ..
        } => (case_id.clone(), *new_case),
        other => panic!("not taken: {other:?}"),
    }
}

#[test]
fn references_in_file_names_pick_the_case_and_the_rest_open_unmatched_cases() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("cache.db")).unwrap();
    let (po_case, _) = case_with(
        &store,
        CaseReferences {
            po_numbers: vec!["4500012345".into()],
            ..Default::default()
        },
    );
    let (inv_case, _) = case_with(
        &store,
        CaseReferences {
            invoice_numbers: vec!["INV-778".into()],
            shipment_numbers: vec!["SHP991".into()],
            ..Default::default()
        },
    );
    let (ref_case, reference) = case_with(&store, CaseReferences::default());
    let router = Router::v1();
    let files = [
        prepared(dir.path(), "PO-4500012345 confirmation.pdf", b"%PDF-1.4 a"),
        prepared(dir.path(), "invoice inv-778.csv", b"b"),
        prepared(dir.path(), "asn_SHP991.txt", b"c"),
        prepared(dir.path(), &format!("scan {reference}.png"), b"d"),
        prepared(dir.path(), "PO-999999 unknown.pdf", b"e"),
    ];
    let outcomes = commit(&store, &router, &defaults(), &files).unwrap();
    assert_eq!(taken_case(&outcomes[0]), (po_case.clone(), false));
    assert_eq!(taken_case(&outcomes[1]), (inv_case.clone(), false));
    assert_eq!(taken_case(&outcomes[2]), (inv_case.clone(), false));
    assert_eq!(taken_case(&outcomes[3]), (ref_case.clone(), false));
    let (unmatched, new_case) = taken_case(&outcomes[4]);
    assert!(new_case);
    let case = store.case(&unmatched).unwrap().unwrap();
    assert_eq!(case.title, "Unmatched document from ERP exports");
    assert_eq!(case.partner_id, "acme");
    assert_eq!(case.kind, CaseKind::Invoice);
    assert_eq!(case.owner.as_deref(), Some("dana"));

    // Each document is on its case, and the ledger says which rule fired and why.
    let detail = store.case_detail(&po_case, chrono::Utc::now()).unwrap();
    assert_eq!(detail.documents.len(), 1);
    assert_eq!(
        detail.documents[0].document.name,
        "PO-4500012345 confirmation.pdf"
    );
    assert_eq!(detail.documents[0].document.media_type, "application/pdf");
    // The document is on its way to the server: pending on the case, its record queued once in
    // the outbox with the kept copy it sends.
    assert_eq!(
        detail.documents[0].send_state,
        pd_domain::SendState::Pending
    );
    let queued: Vec<_> = store
        .outbox_entries()
        .unwrap()
        .into_iter()
        .filter_map(|entry| match entry.op {
            Ok(pd_domain::OutboxOp::AttachDocument(doc)) if entry.case_id == po_case => Some(doc),
            _ => None,
        })
        .collect();
    assert_eq!(
        queued.len(),
        1,
        "one queued document record for the PO case"
    );
    assert_eq!(queued[0].id, detail.documents[0].document.id);
    assert!(matches!(
        queued[0].source,
        pd_domain::DocumentSource::Spooled { .. }
    ));
    let ledger = store.ingest_ledger(&LedgerFilter::default()).unwrap();
    let rules: Vec<(&str, &str)> = ledger
        .iter()
        .rev()
        .map(|r| (r.path.as_str(), r.rule.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        rules,
        vec![
            ("PO-4500012345 confirmation.pdf", "po_number"),
            ("invoice inv-778.csv", "invoice_number"),
            ("asn_SHP991.txt", "shipment_number"),
            (files[3].file.path.as_str(), "case_reference"),
            ("PO-999999 unknown.pdf", "unmatched"),
        ]
    );
    let po_row = ledger
        .iter()
        .find(|r| r.rule.as_deref() == Some("po_number"))
        .unwrap();
    assert!(
        po_row
            .rule_reason
            .as_deref()
            .unwrap()
            .contains("PO 4500012345"),
        "{:?}",
        po_row.rule_reason
    );

    // Taken again (a restart's rescan): nothing new.
    let again = commit(&store, &router, &defaults(), &files[..1]).unwrap();
    assert!(matches!(again[0], IngestOutcome::AlreadyTaken { .. }));
    // The same bytes under another name: linked to the first, no second document.
    let copy = prepared(dir.path(), "copy of confirmation.pdf", b"%PDF-1.4 a");
    let dup = commit(&store, &router, &defaults(), &[copy]).unwrap();
    match &dup[0] {
        IngestOutcome::Duplicate { case_id, .. } => {
            assert_eq!(case_id.as_deref(), Some(po_case.as_str()))
        }
        other => panic!("{other:?}"),
    }
    let detail = store.case_detail(&po_case, chrono::Utc::now()).unwrap();
    assert_eq!(detail.documents.len(), 1);
}

/// A rule plugged in front of version 1, as the EDI recognition does.
struct EdiLike;

impl Rule for EdiLike {
    fn name(&self) -> &str {
        "edi_test"
    }

    fn decide(
        &self,
        facts: &FileFacts<'_>,
        _cases: &IngestTx<'_>,
    ) -> Result<Option<Decision>, StoreError> {
        if !facts.head.starts_with(b"ISA") {
            return Ok(None);
        }
        let mut new = NewCase {
            id: uuid::Uuid::new_v4().to_string(),
            title: "Order from EDI".into(),
            partner_id: "globex".into(),
            partner_name: None,
            kind: CaseKind::Order,
            priority: None,
            owner: None,
            sla_due: None,
            linked_transactions: vec![],
            references: CaseReferences::default(),
            description: None,
        };
        new.references.po_numbers.push("7788".into());
        Ok(Some(Decision {
            target: RouteTarget::New(Box::new(new)),
            reason: "an X12 interchange".into(),
        }))
    }
}

#[test]
fn a_rule_inserted_first_decides_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("cache.db")).unwrap();
    let mut router = Router::v1();
    router.insert(0, Box::new(EdiLike));
    assert_eq!(router.names().first().map(String::as_str), Some("edi_test"));
    assert_eq!(router.names().last().map(String::as_str), Some("unmatched"));
    let router = Arc::new(router);
    let files = [prepared(dir.path(), "in.x12", b"ISA*00*...")];
    let outcomes = commit(&store, &router, &defaults(), &files).unwrap();
    let (case_id, new_case) = taken_case(&outcomes[0]);
    assert!(new_case);
    let case = store.case(&case_id).unwrap().unwrap();
    assert_eq!(case.kind, CaseKind::Order);
    let row = &store.ingest_ledger(&LedgerFilter::default()).unwrap()[0];
    assert_eq!(row.rule.as_deref(), Some("edi_test"));
    assert_eq!(row.rule_reason.as_deref(), Some("an X12 interchange"));
    assert_eq!(row.media_type, "application/edi-x12");
    // A later file naming PO 7788 finds the EDI case through the reference index.
    let next = [prepared(dir.path(), "PO7788 scan.pdf", b"%PDF-1.7")];
    let outcomes = commit(&store, &router, &defaults(), &next).unwrap();
    assert_eq!(taken_case(&outcomes[0]), (case_id, false));
}
