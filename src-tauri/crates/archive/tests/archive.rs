//! The case archive as an auditor receives it: everything of the case inside, a manifest whose
//! hashes match every file, and the same bytes every time the same case is archived.

use std::io::Cursor;
use std::path::Path;

use chrono::{TimeZone, Utc};
use pd_archive::{build_archive, read_archive, ArchiveDocument, ArchiveError, ArchiveInput};
use pd_domain::{
    AuditEntry, AuditField, Case, CaseKind, CaseReferences, CaseStatus, Comment, ContentKey,
    Document, DocumentLocation, Priority, Transaction, Visibility,
};
use sha2::{Digest, Sha256};

fn at(hour: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, hour, 0, 0)
        .single()
        .expect("time")
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn input(dir: &Path) -> ArchiveInput {
    let pdf = b"%PDF-1.7 proof of delivery".to_vec();
    let edi = b"ISA*00*...~GS*IN*...~".to_vec();
    std::fs::write(dir.join("d1"), &pdf).expect("spool");
    std::fs::write(dir.join("d2"), &edi).expect("spool");
    let document = |id: &str, name: &str, bytes: &[u8], hour| Document {
        id: id.into(),
        case_id: "case-1".into(),
        name: name.into(),
        size: bytes.len() as u64,
        sha256: hex(bytes),
        media_type: "application/octet-stream".into(),
        location: DocumentLocation::Collab,
        uploaded_by: "Dana Analyst".into(),
        uploaded_at: at(hour),
    };
    ArchiveInput {
        case: Case {
            id: "case-1".into(),
            reference: "CASE-2026-000123".into(),
            title: "Short shipment <PO 4711> & damaged pallets".into(),
            partner_id: "acme".into(),
            partner_name: "ACME Retail".into(),
            kind: CaseKind::Shipment,
            status: CaseStatus::Closed,
            priority: Priority::High,
            owner: Some("dana".into()),
            sla_due: Some(at(20)),
            created_at: at(8),
            updated_at: at(12),
            linked_transactions: vec!["tx-9".into()],
            references: CaseReferences {
                po_numbers: vec!["4711".into()],
                ..CaseReferences::default()
            },
            version: 7,
        },
        comments: vec![
            Comment {
                id: "c2".into(),
                case_id: "case-1".into(),
                author: "Pat at ACME".into(),
                author_is_partner: true,
                body: "Credit note follows.".into(),
                visibility: Visibility::Partner,
                created_at: at(11),
            },
            Comment {
                id: "c1".into(),
                case_id: "case-1".into(),
                author: "Dana Analyst".into(),
                author_is_partner: false,
                body: "<script>alert(1)</script> internal".into(),
                visibility: Visibility::Internal,
                created_at: at(9),
            },
        ],
        documents: vec![
            ArchiveDocument {
                document: document("d2", "850 ISA.edi", &edi, 10),
                path: dir.join("d2"),
            },
            ArchiveDocument {
                document: document("d1", "POD.pdf", &pdf, 9),
                path: dir.join("d1"),
            },
        ],
        audit: vec![
            AuditEntry {
                at: at(12),
                actor: Some("Dana Analyst".into()),
                field: AuditField::Status,
                from: Some("resolved".into()),
                to: Some("closed".into()),
                source: "local".into(),
            },
            AuditEntry {
                at: at(10),
                actor: None,
                field: AuditField::Owner,
                from: None,
                to: Some("dana".into()),
                source: "server".into(),
            },
        ],
        transactions: vec![Transaction {
            transaction_id: "tx-9".into(),
            correlation_id: None,
            status: Some("FAILED".into()),
            delivery_status: None,
            edi_type: Some("856".into()),
            transaction_level: None,
            sender_name: Some("ACME Retail".into()),
            receiver_name: Some("Us".into()),
            sender_address: None,
            receiver_address: None,
            arrival_time: Some("2026-11-02T10:00:00Z".into()),
            error_code: Some("E42".into()),
            error_type: None,
            external_error_message: Some("Quantity mismatch".into()),
            content_keys: vec![ContentKey {
                key: "purchase order number".into(),
                value: "4711".into(),
            }],
        }],
        export_version: 1,
        closed_at: Some(at(12)),
    }
}

#[test]
fn the_same_case_archived_twice_gives_identical_bytes_and_hashes() {
    let dir = tempfile::tempdir().expect("dir");
    let input = input(dir.path());
    let mut first = Cursor::new(Vec::new());
    let built_first = build_archive(&input, &mut first).expect("first");
    // Another run, another order of the same rows: still the same bytes.
    let mut shuffled = input.clone();
    shuffled.comments.reverse();
    shuffled.documents.reverse();
    shuffled.audit.reverse();
    let mut second = Cursor::new(Vec::new());
    let built_second = build_archive(&shuffled, &mut second).expect("second");
    assert_eq!(first.get_ref(), second.get_ref(), "byte-identical archives");
    assert_eq!(hex(first.get_ref()), hex(second.get_ref()));
    assert_eq!(built_first.manifest, built_second.manifest);

    // A new version of the case (reopened, closed again) is a different archive.
    let mut later = input.clone();
    later.export_version = 2;
    later.case.version = 9;
    let mut third = Cursor::new(Vec::new());
    build_archive(&later, &mut third).expect("third");
    assert_ne!(first.get_ref(), third.get_ref());
}

#[test]
fn the_archive_holds_the_thread_documents_audit_trail_and_transactions_with_matching_hashes() {
    let dir = tempfile::tempdir().expect("dir");
    let input = input(dir.path());
    let mut out = Cursor::new(Vec::new());
    let built = build_archive(&input, &mut out).expect("build");
    let (manifest, found) = read_archive(Cursor::new(out.into_inner())).expect("read");
    assert_eq!(manifest, built.manifest);
    assert_eq!(manifest.case_reference, "CASE-2026-000123");
    assert_eq!(
        manifest.files, found,
        "every file matches its manifest hash"
    );
    let paths: Vec<&str> = found.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "case.json",
            "thread.html",
            "audit.json",
            "transactions.json",
            "documents/001-POD.pdf",
            "documents/002-850_ISA.edi",
        ]
    );
    let pdf = found
        .iter()
        .find(|f| f.path.ends_with("POD.pdf"))
        .expect("pdf");
    assert_eq!(pdf.sha256, hex(b"%PDF-1.7 proof of delivery"));
}

#[test]
fn the_readable_page_escapes_the_case_text_and_lists_each_change() {
    let dir = tempfile::tempdir().expect("dir");
    let input = input(dir.path());
    let mut out = Cursor::new(Vec::new());
    build_archive(&input, &mut out).expect("build");
    let mut zip = zip::ZipArchive::new(Cursor::new(out.into_inner())).expect("zip");
    let mut page = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("thread.html").expect("page"), &mut page)
        .expect("read");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>"));
    assert!(page.contains("Short shipment &lt;PO 4711&gt; &amp; damaged pallets"));
    assert!(page.contains("<td>status</td><td>resolved</td><td>closed</td>"));
    assert!(page.contains("Quantity mismatch"));
    assert!(page.contains("purchase order number"));
    let mut audit = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("audit.json").expect("audit"), &mut audit)
        .expect("read");
    let entries: Vec<AuditEntry> = serde_json::from_str(&audit).expect("audit json");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].field, AuditField::Owner, "oldest first");
    assert_eq!(entries[1].actor.as_deref(), Some("Dana Analyst"));
}

#[test]
fn a_document_whose_bytes_changed_is_refused_in_words() {
    let dir = tempfile::tempdir().expect("dir");
    let input = input(dir.path());
    std::fs::write(dir.path().join("d1"), b"something else").expect("tamper");
    let error = build_archive(&input, Cursor::new(Vec::new())).expect_err("mismatch");
    assert!(
        matches!(error, ArchiveError::DocumentMismatch { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("POD.pdf"), "{error}");
}
