//! Exports against moto_server (Object Lock, retention, legal hold, multipart): a closed case
//! lands in the bucket locked and verifiable; reopened and closed again it gets a new version
//! beside the old one, which stays untouched; and the export program SIGKILLed at each of the 5
//! pause points finishes once after a restart, with no unfinished multipart upload left.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use pd_archive::{Exporter, FolderSource, PausePoint};
use pd_connectors::{ConnectorOptions, S3Client};
use pd_domain::{
    AuditField, Case, CaseBundle, CaseKind, CasePage, CaseReferences, CaseStatus, Comment,
    Document, DocumentLocation, ExportQuery, ExportState, HoldScope, LockMode, Priority,
    RetentionPolicy, S3Settings, Visibility,
};
use pd_s3test::{S3Peer, ACCESS_KEY, REGION, SECRET_KEY};
use pd_store::Store;
use sha2::{Digest, Sha256};

const PART: u64 = 5 * 1024 * 1024;

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Bytes that do not compress (so the archive needs several parts).
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn s3(peer: &S3Peer, bucket: &str) -> S3Client {
    let settings = S3Settings {
        endpoint: Some(peer.endpoint()),
        region: REGION.into(),
        bucket: bucket.into(),
        access_key_id: ACCESS_KEY.into(),
    };
    S3Client::new(&settings, Some(SECRET_KEY), &ConnectorOptions::default()).expect("client")
}

fn bundle(status: CaseStatus, version: i64, hour: u32, document: &Document) -> CasePage {
    let at = |h: u32| {
        Utc.with_ymd_and_hms(2026, 11, 2, h, 0, 0)
            .single()
            .expect("time")
    };
    CasePage {
        cases: vec![CaseBundle {
            case: Case {
                id: "case-7".into(),
                reference: "CASE-2026-000007".into(),
                title: "Rejected invoice 990".into(),
                partner_id: "acme".into(),
                partner_name: "ACME Retail".into(),
                kind: CaseKind::Invoice,
                status,
                priority: Priority::Normal,
                owner: Some("dana".into()),
                sla_due: None,
                created_at: at(8),
                updated_at: at(hour),
                linked_transactions: Vec::new(),
                references: CaseReferences::default(),
                version,
            },
            comments: vec![Comment {
                id: "c1".into(),
                case_id: "case-7".into(),
                author: "Dana Analyst".into(),
                author_is_partner: false,
                body: "Credit note received.".into(),
                visibility: Visibility::Partner,
                created_at: at(9),
            }],
            documents: vec![document.clone()],
        }],
        next_cursor: version.to_string(),
        has_more: false,
    }
}

/// A cache holding case-7, opened and then closed (a closure in the audit trail), and its
/// document's bytes in `docs/`.
fn seeded(dir: &Path, doc_len: usize) -> (Store, Document) {
    let bytes = noise(doc_len);
    std::fs::create_dir_all(dir.join("docs")).expect("docs");
    std::fs::write(dir.join("docs/doc-1"), &bytes).expect("doc");
    let document = Document {
        id: "doc-1".into(),
        case_id: "case-7".into(),
        name: "credit-note.pdf".into(),
        size: bytes.len() as u64,
        sha256: hex(&bytes),
        media_type: "application/pdf".into(),
        location: DocumentLocation::Collab,
        uploaded_by: "Dana Analyst".into(),
        uploaded_at: Utc
            .with_ymd_and_hms(2026, 11, 2, 9, 30, 0)
            .single()
            .expect("t"),
    };
    let store = Store::open(dir.join("cache.db")).expect("cache");
    store
        .apply_case_page(&bundle(CaseStatus::Open, 1, 9, &document), "collab")
        .expect("open case");
    store
        .apply_case_page(&bundle(CaseStatus::Closed, 2, 10, &document), "collab")
        .expect("closed case");
    (store, document)
}

fn policy() -> RetentionPolicy {
    RetentionPolicy {
        mode: LockMode::Governance,
        default_days: 30,
        ..RetentionPolicy::default()
    }
}

#[tokio::test]
async fn a_reopened_and_reclosed_case_gets_a_new_version_beside_the_untouched_old_one() {
    let Some(peer) = S3Peer::moto() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let (store, document) = seeded(dir.path(), 4096);
    let client = s3(&peer, "retention-versions");
    client.create_bucket(true).await.expect("bucket");
    let exporter = Exporter::new(
        store.clone(),
        client.clone(),
        Arc::new(FolderSource(dir.path().join("docs"))),
        dir.path().join("spool"),
        policy(),
    );
    let audit = store.case_audit("case-7").expect("audit");
    assert!(audit
        .iter()
        .any(|a| a.field == AuditField::Status && a.to.as_deref() == Some("closed")));

    let queued = store
        .queue_closed_exports(None, None, Utc::now())
        .expect("queue");
    assert_eq!(queued.len(), 1);
    let first = exporter.run(&queued[0]).await.expect("export v1");
    assert_eq!(first.state, ExportState::Done);
    assert_eq!(first.export_version, 1);
    let report = exporter.verify(&first.id).await.expect("verify");
    assert!(report.ok, "{report:?}");
    assert_eq!(report.files_checked, 5);
    let v1_key = first.object_key.clone().expect("key");
    let v1_lock = client
        .object_lock(&v1_key, None)
        .await
        .expect("head")
        .expect("v1");
    let retention = v1_lock.retention.expect("under retention");
    assert_eq!(retention.mode, LockMode::Governance);
    let tags = client.object_tags(&v1_key).await.expect("tags");
    for (name, value) in [
        ("partner", "ACME Retail"),
        ("kind", "invoice"),
        ("case", "CASE-2026-000007"),
        ("closed", "2026-11-02"),
    ] {
        assert!(
            tags.contains(&(name.into(), value.into())),
            "{name}: {tags:?}"
        );
    }
    // Nothing new to export while the case stays closed.
    assert!(store
        .queue_closed_exports(None, None, Utc::now())
        .expect("queue")
        .is_empty());

    // Reopened, commented, closed again: version 2 at its own key.
    store
        .apply_case_page(&bundle(CaseStatus::Open, 3, 11, &document), "collab")
        .expect("reopen");
    store
        .apply_case_page(&bundle(CaseStatus::Closed, 4, 12, &document), "collab")
        .expect("close again");
    let queued = store
        .queue_closed_exports(None, None, Utc::now())
        .expect("queue");
    assert_eq!(queued.len(), 1);
    let second = exporter.run(&queued[0]).await.expect("export v2");
    assert_eq!(second.export_version, 2);
    assert_ne!(second.object_key, first.object_key);
    assert_ne!(
        second.sha256, first.sha256,
        "the trail of the reopen is in v2"
    );
    assert!(exporter.verify(&second.id).await.expect("verify v2").ok);

    // The old version: one object version, same bytes and tag as before.
    let versions = client
        .list_object_versions("partnerdesk/cases/acme/CASE-2026-000007/v1/")
        .await
        .expect("versions");
    assert_eq!(
        versions.len(),
        2,
        "zip + manifest, never overwritten: {versions:?}"
    );
    let v1_after = client
        .object_lock(&v1_key, None)
        .await
        .expect("head")
        .expect("v1");
    assert_eq!(v1_after.etag, v1_lock.etag);
    assert_eq!(v1_after.version_id, v1_lock.version_id);
    assert!(
        exporter
            .verify(&first.id)
            .await
            .expect("verify v1 again")
            .ok
    );
    let all = store.list_exports(&ExportQuery::default()).expect("list");
    assert_eq!(all.len(), 2);

    // A legal hold on the case: placed on both exports, released only by an explicit action.
    let scope = HoldScope::Case {
        case_id: "case-7".into(),
    };
    store
        .place_legal_hold(&scope, "Dana Analyst", "Audit 2026-17", Utc::now())
        .expect("hold");
    for mut record in store.list_exports(&ExportQuery::default()).expect("list") {
        exporter.set_hold(&mut record, true).await.expect("hold on");
    }
    assert!(client.legal_hold(&v1_key, None).await.expect("hold"));
    let refused = client
        .delete_object(&v1_key, v1_lock.version_id.as_deref())
        .await
        .expect_err("held and retained");
    assert!(refused.to_string().contains("legal hold"), "{refused}");
    store
        .release_legal_hold(&scope, "Dana Analyst", "Audit closed", Utc::now())
        .expect("release");
    let trail = store.case_audit("case-7").expect("audit");
    let holds: Vec<_> = trail
        .iter()
        .filter(|a| a.field == AuditField::LegalHold)
        .collect();
    assert_eq!(holds.len(), 2, "placed and released, recorded on the case");
    assert_eq!(holds[1].actor.as_deref(), Some("Dana Analyst"));
    assert!(holds[1]
        .to
        .as_deref()
        .is_some_and(|t| t.contains("Audit closed")));
}

fn run_program(dir: &Path, peer: &S3Peer, bucket: &str, pause: Option<PausePoint>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pd-export-once"));
    command
        .arg(dir.join("cache.db"))
        .arg(dir.join("spool"))
        .arg(dir.join("docs"))
        .arg(peer.endpoint())
        .arg(bucket)
        .arg(PART.to_string())
        .env("PD_S3_ACCESS_KEY", ACCESS_KEY)
        .env("PD_S3_SECRET_KEY", SECRET_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(point) = pause {
        command.env("PD_EXPORT_PAUSE_AT", point.as_str());
    }
    let mut child = command.spawn().expect("start pd-export-once");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(90))
        .expect("the program reports within 90 s");
    if pause.is_some() {
        assert!(line.starts_with("PAUSED"), "{line}");
        child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
        let _ = child.wait();
    } else {
        let status = child.wait().expect("wait");
        assert!(status.success(), "{line}");
    }
    line
}

#[tokio::test]
async fn an_export_killed_at_each_of_5_points_finishes_once_after_a_restart_with_no_orphaned_upload(
) {
    let Some(peer) = S3Peer::moto() else { return };
    for point in PausePoint::ALL {
        let dir = tempfile::tempdir().expect("dir");
        // 11 MiB that do not compress: an archive of 3 parts of 5 MiB.
        let (store, _) = seeded(dir.path(), 11 * 1024 * 1024);
        drop(store);
        let bucket = format!("kill-{}", point.as_str().replace('_', "-"));
        let client = s3(&peer, &bucket);
        client.create_bucket(true).await.expect("bucket");

        let paused = run_program(dir.path(), &peer, &bucket, Some(point));
        assert_eq!(paused, format!("PAUSED {}", point.as_str()));
        let finished = run_program(dir.path(), &peer, &bucket, None);
        assert_eq!(
            finished,
            "DONE 1",
            "{}: one export finished",
            point.as_str()
        );
        // A third run has nothing to do.
        assert_eq!(run_program(dir.path(), &peer, &bucket, None), "DONE 0");

        let store = Store::open(dir.path().join("cache.db")).expect("cache");
        let exports = store.list_exports(&ExportQuery::default()).expect("list");
        assert_eq!(exports.len(), 1, "{}", point.as_str());
        assert_eq!(exports[0].state, ExportState::Done, "{}", point.as_str());
        let versions = client.list_object_versions("").await.expect("versions");
        assert_eq!(
            versions.len(),
            2,
            "{}: the archive and its manifest, each written once: {versions:?}",
            point.as_str()
        );
        assert!(
            client
                .list_multipart_uploads("")
                .await
                .expect("uploads")
                .is_empty(),
            "{}: no orphaned multipart upload",
            point.as_str()
        );
        let exporter = Exporter::new(
            store,
            client.clone(),
            Arc::new(FolderSource(dir.path().join("docs"))),
            dir.path().join("spool"),
            policy(),
        );
        let report = exporter.verify(&exports[0].id).await.expect("verify");
        assert!(report.ok, "{}: {report:?}", point.as_str());
        assert!(
            !dir.path()
                .join("spool")
                .join(format!("{}.zip", exports[0].id))
                .exists(),
            "the spooled zip is removed"
        );
    }
}

#[test]
fn the_schedule_queues_cases_closed_more_than_n_days_ago_and_export_on_close_only_new_closures() {
    let dir = tempfile::tempdir().expect("dir");
    let bytes = noise(64);
    let document = Document {
        id: "doc-1".into(),
        case_id: "case-7".into(),
        name: "pod.pdf".into(),
        size: bytes.len() as u64,
        sha256: hex(&bytes),
        media_type: "application/pdf".into(),
        location: DocumentLocation::Collab,
        uploaded_by: "Dana Analyst".into(),
        uploaded_at: Utc
            .with_ymd_and_hms(2026, 11, 2, 9, 30, 0)
            .single()
            .expect("t"),
    };
    // Closed before this cache saw it: no closure in the audit trail.
    let store = Store::open(dir.path().join("cache.db")).expect("cache");
    store
        .apply_case_page(&bundle(CaseStatus::Closed, 2, 10, &document), "collab")
        .expect("closed case");
    let closed_at = Utc
        .with_ymd_and_hms(2026, 11, 2, 10, 0, 0)
        .single()
        .expect("t");
    let now = closed_at + chrono::Duration::days(40);
    assert!(
        store
            .queue_closed_exports(None, None, now)
            .expect("on close")
            .is_empty(),
        "export on close takes only closures it saw"
    );
    assert!(
        store
            .queue_closed_exports(Some(closed_at - chrono::Duration::days(1)), None, now)
            .expect("schedule")
            .is_empty(),
        "closed less than N days before the cutoff: not yet"
    );
    let queued = store
        .queue_closed_exports(Some(now - chrono::Duration::days(30)), None, now)
        .expect("schedule");
    assert_eq!(queued.len(), 1, "closed more than 30 days ago");
    assert!(store
        .queue_closed_exports(Some(now), None, now)
        .expect("again")
        .is_empty());
}
