//! Retention exports through the commands the window calls, on the demo workspace with a real
//! S3 server (moto_server, Object Lock) as the retention bucket: an analyst sets the policy,
//! closes a case, and its export appears under retention and passes Verify; a legal hold is
//! placed, its release without a reason is refused, and with one it is recorded on the case.

mod common;

use std::time::Duration;

use common::*;
use pd_app::{api, commands};
use pd_domain::{
    AuditField, CaseKind, CasePatch, CaseQuery, CaseStatus, ConnectorInput, ConnectorSettings,
    ErrorCode, ExportQuery, ExportState, HoldScope, LockMode, RetentionPeriod, RetentionPolicy,
    S3Settings,
};
use pd_s3test::{S3Peer, ACCESS_KEY, REGION, SECRET_KEY};

const WAIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_case_exports_it_under_retention_and_verify_passes() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let Some(peer) = S3Peer::moto() else { return };
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;
    api::sync_now(&state).await.expect("demo sync");

    // The retention bucket: an S3 connector (secret in the keychain), a bucket with Object Lock.
    let connector = commands::save_connector(
        &state,
        ConnectorInput {
            id: None,
            name: "Retention bucket".into(),
            settings: ConnectorSettings::S3(S3Settings {
                endpoint: Some(peer.endpoint()),
                region: REGION.into(),
                bucket: "partnerdesk-retention".into(),
                access_key_id: ACCESS_KEY.into(),
            }),
            secret: Some(SECRET_KEY.into()),
        },
    )
    .await
    .expect("connector");
    let settings = S3Settings {
        endpoint: Some(peer.endpoint()),
        region: REGION.into(),
        bucket: "partnerdesk-retention".into(),
        access_key_id: ACCESS_KEY.into(),
    };
    let bucket = pd_connectors::S3Client::new(
        &settings,
        Some(SECRET_KEY),
        &pd_connectors::ConnectorOptions::default(),
    )
    .expect("client");
    bucket.create_bucket(true).await.expect("bucket");

    // Without a bucket, "Export now" says how to set one up.
    let rows = api::list_cases(&state, CaseQuery::default())
        .await
        .expect("cases")
        .rows;
    let open = rows
        .iter()
        .find(|row| row.status != CaseStatus::Closed && row.kind == CaseKind::Shipment)
        .or_else(|| rows.iter().find(|row| row.status != CaseStatus::Closed))
        .expect("an open demo case")
        .clone();
    let refused = commands::export_case(&state, open.id.clone())
        .await
        .expect_err("no policy yet");
    assert_eq!(refused.code(), ErrorCode::RetentionNotConfigured);

    let bad = commands::save_retention_policy(
        &state,
        RetentionPolicy {
            connector_id: Some(connector.id.clone()),
            default_days: 0,
            ..RetentionPolicy::default()
        },
    )
    .await
    .expect_err("zero days");
    assert!(bad.to_info().message.contains("at least one day"));
    commands::save_retention_policy(
        &state,
        RetentionPolicy {
            connector_id: Some(connector.id.clone()),
            mode: LockMode::Governance,
            default_days: 30,
            periods: vec![RetentionPeriod {
                kind: open.kind,
                days: 400,
            }],
            export_on_close: true,
            export_closed_after_days: None,
        },
    )
    .await
    .expect("policy");

    // The analyst closes the case: the export job exports it.
    api::update_case(
        &state,
        open.id.clone(),
        CasePatch {
            status: Some(CaseStatus::Closed),
            ..CasePatch::default()
        },
    )
    .await
    .expect("close");
    let query = ExportQuery {
        case_id: Some(open.id.clone()),
        ..ExportQuery::default()
    };
    eventually("the export is in the bucket", WAIT, || async {
        commands::list_exports(&state, query.clone())
            .await
            .expect("exports")
            .iter()
            .any(|export| export.state == ExportState::Done)
    })
    .await;
    let exports = commands::list_exports(&state, query.clone())
        .await
        .expect("exports");
    assert_eq!(exports.len(), 1);
    let export = &exports[0];
    assert_eq!(export.version, 1);
    assert_eq!(export.mode, Some(LockMode::Governance));
    let until = export.retain_until.expect("retention date");
    assert!(
        until > chrono::Utc::now() + chrono::Duration::days(399),
        "the kind's period"
    );
    let report = commands::verify_export(&state, export.id.clone())
        .await
        .expect("verify");
    assert!(report.ok, "{report:?}");
    assert!(report.message.starts_with("Verified"), "{}", report.message);

    // The closing is in the audit trail with who did it.
    let store = state.current().store.clone();
    let trail = store.case_audit(&open.id).expect("audit");
    let closing = trail
        .iter()
        .find(|entry| entry.field == AuditField::Status && entry.to.as_deref() == Some("closed"))
        .expect("closing recorded");
    assert!(closing.actor.is_some(), "{closing:?}");
    assert_eq!(closing.source, "local");

    // A legal hold on the case's exports; released only with a reason, recorded on the case.
    let scope = HoldScope::Case {
        case_id: open.id.clone(),
    };
    let held = commands::place_legal_hold(&state, scope.clone(), "Dispute 2026-44".into())
        .await
        .expect("hold");
    assert_eq!(held, 1);
    let key = export.object_key.clone().expect("key");
    assert!(bucket.legal_hold(&key, None).await.expect("hold read"));
    let no_reason = commands::release_legal_hold(&state, scope.clone(), "  ".into())
        .await
        .expect_err("a reason is required");
    assert_eq!(no_reason.code(), ErrorCode::InputInvalid);
    assert!(bucket.legal_hold(&key, None).await.expect("still held"));
    commands::release_legal_hold(&state, scope, "Dispute settled".into())
        .await
        .expect("release");
    assert!(!bucket.legal_hold(&key, None).await.expect("released"));
    let detail = api::get_case(&state, open.id.clone()).await.expect("case");
    assert!(detail
        .comments
        .iter()
        .any(|c| c.comment.body.contains("Legal hold released")
            && c.comment.body.contains("Dispute settled")));
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_kept_in_s3_goes_into_the_cases_archive_with_its_bytes() {
    use sha2::{Digest, Sha256};

    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let Some(peer) = S3Peer::moto() else { return };
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;
    api::sync_now(&state).await.expect("demo sync");
    let s3 = |bucket: &str| S3Settings {
        endpoint: Some(peer.endpoint()),
        region: REGION.into(),
        bucket: bucket.into(),
        access_key_id: ACCESS_KEY.into(),
    };
    let client = |bucket: &str| {
        pd_connectors::S3Client::new(
            &s3(bucket),
            Some(SECRET_KEY),
            &pd_connectors::ConnectorOptions::default(),
        )
        .expect("client")
    };
    let mut retention_connector = None;
    for (name, bucket) in [
        ("Retention bucket", "pd-retention-s3docs"),
        ("Large files", "pd-large-files"),
    ] {
        let saved = commands::save_connector(
            &state,
            ConnectorInput {
                id: None,
                name: name.into(),
                settings: ConnectorSettings::S3(s3(bucket)),
                secret: Some(SECRET_KEY.into()),
            },
        )
        .await
        .expect("connector");
        retention_connector.get_or_insert(saved.id);
    }
    let archives = client("pd-retention-s3docs");
    archives
        .create_bucket(true)
        .await
        .expect("retention bucket");
    let large = client("pd-large-files");
    large.create_bucket(false).await.expect("documents bucket");

    // A large file as the upload queue leaves it: the object in the bucket, the document on the case.
    let rows = api::list_cases(&state, CaseQuery::default())
        .await
        .expect("cases")
        .rows;
    let case = rows
        .iter()
        .find(|row| row.status != CaseStatus::Closed)
        .expect("an open demo case")
        .clone();
    let bytes: Vec<u8> = (0..300_000_u32).map(|i| (i * 7 % 251) as u8).collect();
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let key = format!("cases/{}/scan-4711.tif", case.id);
    large
        .put_object(&key, bytes.clone(), Some("image/tiff"))
        .await
        .expect("object");
    state
        .current()
        .store
        .attach_local_document(
            &case.id,
            &pd_domain::NewDocument {
                id: uuid::Uuid::new_v4().to_string(),
                name: "scan-4711.tif".into(),
                size: bytes.len() as u64,
                sha256: sha256.clone(),
                media_type: "image/tiff".into(),
                uploaded_by: "Ann Keller".into(),
                source: pd_domain::DocumentSource::S3 {
                    bucket: "pd-large-files".into(),
                    key,
                },
            },
            chrono::Utc::now(),
        )
        .expect("attached");

    commands::save_retention_policy(
        &state,
        RetentionPolicy {
            connector_id: retention_connector.clone(),
            mode: LockMode::Governance,
            default_days: 30,
            periods: Vec::new(),
            export_on_close: false,
            export_closed_after_days: None,
        },
    )
    .await
    .expect("policy");
    api::update_case(
        &state,
        case.id.clone(),
        CasePatch {
            status: Some(CaseStatus::Closed),
            ..CasePatch::default()
        },
    )
    .await
    .expect("close");
    let exports = commands::export_case(&state, case.id.clone())
        .await
        .expect("exported");
    let export = exports
        .iter()
        .find(|e| e.state == ExportState::Done)
        .unwrap_or_else(|| panic!("an export finished: {exports:?}"));
    let report = commands::verify_export(&state, export.id.clone())
        .await
        .expect("verify");
    assert!(report.ok, "{report:?}");

    // The archive holds the document's very bytes.
    let zip = archives
        .get_object(
            export.object_key.as_deref().expect("key"),
            None,
            64 * 1024 * 1024,
        )
        .await
        .expect("archive");
    let (_, files) = pd_archive::read_archive(std::io::Cursor::new(zip)).expect("readable");
    let scan = files
        .iter()
        .find(|f| f.path.ends_with("scan-4711.tif"))
        .unwrap_or_else(|| panic!("the scan is in the archive: {files:?}"));
    assert_eq!(scan.sha256, sha256);
    assert_eq!(scan.size, bytes.len() as u64);
    state.shutdown().await;
}
