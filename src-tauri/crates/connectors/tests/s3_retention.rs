//! Retention features of the S3 client against real servers started by each test: moto_server
//! (Object Lock, retention, legal hold, multipart, ListMultipartUploads, versions; it refuses
//! to delete a locked version) and s3s-fs (checks every signature, so the new headers — tags,
//! `Content-MD5` — are proven to be signed right).

use std::time::Duration;

use chrono::Utc;
use pd_connectors::{
    ConnectorError, ConnectorOptions, PutOptions, Retention, S3Client, MIN_PART_SIZE,
};
use pd_domain::{ErrorCode, LockMode, S3Settings};
use pd_s3test::{S3Peer, ACCESS_KEY, REGION, SECRET_KEY};

fn client(peer: &S3Peer, bucket: &str) -> S3Client {
    let settings = S3Settings {
        endpoint: Some(peer.endpoint()),
        region: REGION.into(),
        bucket: bucket.into(),
        access_key_id: ACCESS_KEY.into(),
    };
    S3Client::new(&settings, Some(SECRET_KEY), &ConnectorOptions::default()).expect("client")
}

fn locked_options(days: i64, hold: bool) -> PutOptions {
    PutOptions {
        content_type: Some("application/zip".into()),
        tags: vec![
            ("partner".into(), "ACME Retail".into()),
            ("kind".into(), "invoice".into()),
            ("case".into(), "CASE-2026-000123".into()),
            ("closed".into(), "2026-11-30".into()),
        ],
        retention: Some(Retention {
            mode: LockMode::Governance,
            until: Utc::now() + chrono::Duration::days(days),
        }),
        legal_hold: hold,
        if_absent: true,
    }
}

#[tokio::test]
async fn a_locked_archive_keeps_its_tags_retention_and_hold_and_cannot_be_deleted_or_overwritten() {
    let Some(peer) = S3Peer::moto() else { return };
    let s3 = client(&peer, "retention-locked");
    s3.create_bucket(true)
        .await
        .expect("bucket with object lock");
    let key = "cases/acme/CASE-2026-000123/v1/CASE-2026-000123-v1.zip";
    let stored = s3
        .put_object_with(key, b"PK archive bytes".to_vec(), &locked_options(30, true))
        .await
        .expect("locked put");
    let version = stored
        .version_id
        .clone()
        .expect("a versioned bucket names the version");

    let lock = s3
        .object_lock(key, None)
        .await
        .expect("head")
        .expect("exists");
    let retention = lock.retention.expect("retention read back");
    assert_eq!(retention.mode, LockMode::Governance);
    assert!(retention.until > Utc::now() + chrono::Duration::days(29));
    assert!(lock.legal_hold);
    assert!(s3.legal_hold(key, None).await.expect("get legal hold"));
    let tags = s3.object_tags(key).await.expect("tags");
    assert!(
        tags.contains(&("partner".into(), "ACME Retail".into())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("case".into(), "CASE-2026-000123".into())),
        "{tags:?}"
    );

    // The server refuses to delete the locked version; the app says why in words.
    let refused = s3
        .delete_object(key, Some(&version))
        .await
        .expect_err("a locked version cannot be deleted");
    assert_eq!(refused.code(), ErrorCode::RetentionLocked);
    let words = refused.to_string();
    assert!(words.contains("refused to delete"), "{words}");
    assert!(words.contains("governance retention until"), "{words}");
    assert!(words.contains("legal hold"), "{words}");

    // Writing the key again is refused: an archive is never overwritten.
    let overwrite = s3
        .put_object_with(key, b"other bytes".to_vec(), &locked_options(30, false))
        .await
        .expect_err("no overwrite");
    assert!(
        matches!(overwrite, ConnectorError::Locked(_)),
        "{overwrite:?}"
    );
    assert!(
        overwrite.to_string().contains("never overwritten"),
        "{overwrite}"
    );
    let still = s3.get_object(key, None, 1024).await.expect("read back");
    assert_eq!(still, b"PK archive bytes");

    // Releasing the hold leaves the retention: deleting is still refused, now for the date only.
    s3.put_legal_hold(key, Some(&version), false)
        .await
        .expect("release");
    assert!(!s3.legal_hold(key, None).await.expect("hold read"));
    let refused = s3
        .delete_object(key, Some(&version))
        .await
        .expect_err("still under retention");
    assert!(
        !refused.to_string().contains("legal hold is placed"),
        "{refused}"
    );
    assert!(refused.to_string().contains("retention until"), "{refused}");
    let versions = s3
        .list_object_versions("cases/acme/")
        .await
        .expect("versions");
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(versions[0].version_id, version);
}

#[tokio::test]
async fn a_large_archive_goes_up_in_parts_under_retention_and_unfinished_uploads_are_listed() {
    let Some(peer) = S3Peer::moto() else { return };
    let s3 = client(&peer, "retention-multipart");
    s3.create_bucket(true).await.expect("bucket");
    let key = "cases/acme/CASE-1/v1/CASE-1-v1.zip";
    let options = locked_options(10, false);
    let upload = s3
        .create_multipart_upload_with(key, &options)
        .await
        .expect("create");
    let first: Vec<u8> = (0..MIN_PART_SIZE).map(|i| (i % 251) as u8).collect();
    let second = b"the tail".to_vec();
    let etag1 = s3
        .upload_part(key, &upload, 1, first.clone())
        .await
        .expect("part 1");
    let pending = s3
        .list_multipart_uploads("cases/acme/")
        .await
        .expect("list");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].upload_id, upload);
    let etag2 = s3
        .upload_part(key, &upload, 2, second.clone())
        .await
        .expect("part 2");
    s3.complete_multipart_upload(key, &upload, &[(1, etag1), (2, etag2)])
        .await
        .expect("complete");
    assert!(s3
        .list_multipart_uploads("cases/")
        .await
        .expect("list")
        .is_empty());
    let lock = s3
        .object_lock(key, None)
        .await
        .expect("head")
        .expect("exists");
    assert_eq!(lock.size, (first.len() + second.len()) as u64);
    // moto does not carry the lock headers of the upload's creation to the object (AWS does):
    // retention is then set on the completed object, as the exporter does.
    let wanted = options.retention.expect("retention");
    if lock.retention.is_none() {
        s3.put_retention(key, lock.version_id.as_deref(), wanted)
            .await
            .expect("put retention");
    }
    let lock = s3
        .object_lock(key, None)
        .await
        .expect("head")
        .expect("exists");
    assert_eq!(lock.retention.map(|r| r.mode), Some(LockMode::Governance));
    assert!(lock.locked_at(Utc::now()));

    // An upload started and left (a crash) is found and aborted.
    let orphan = s3
        .create_multipart_upload_with("cases/acme/CASE-2/v1/CASE-2-v1.zip", &options)
        .await
        .expect("create");
    let pending = s3.list_multipart_uploads("cases/").await.expect("list");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].upload_id, orphan);
    s3.abort_multipart_upload(&pending[0].key, &orphan)
        .await
        .expect("abort");
    assert!(s3
        .list_multipart_uploads("cases/")
        .await
        .expect("list")
        .is_empty());
}

#[tokio::test]
async fn a_bucket_without_object_lock_is_refused_for_retention_in_words() {
    let Some(peer) = S3Peer::moto() else { return };
    let s3 = client(&peer, "plain-bucket");
    s3.create_bucket(false).await.expect("bucket");
    let error = s3
        .put_object_with("cases/x.zip", b"PK".to_vec(), &locked_options(1, false))
        .await
        .expect_err("no object lock");
    assert_eq!(error.code(), ErrorCode::RetentionLockUnsupported, "{error}");
    assert!(
        error.to_string().contains("does not have Object Lock"),
        "{error}"
    );
    assert!(s3
        .object_lock("cases/x.zip", None)
        .await
        .expect("head")
        .is_none());
}

#[tokio::test]
async fn tagged_md5_checked_writes_are_signed_right_for_s3s_fs() {
    let Some(peer) = S3Peer::s3s_fs(&["archives"]) else {
        return;
    };
    let s3 = client(&peer, "archives");
    let options = PutOptions {
        content_type: Some("application/json".into()),
        tags: vec![("case".into(), "CASE-2026-000123".into())],
        ..PutOptions::default()
    };
    let stored = s3
        .put_object_with("m/manifest.json", b"{\"files\":[]}".to_vec(), &options)
        .await
        .expect("signed put with tags and Content-MD5");
    assert!(!stored.etag.is_empty());
    let back = s3
        .get_object("m/manifest.json", None, 1024)
        .await
        .expect("signed get");
    assert_eq!(back, b"{\"files\":[]}");
    let upload = s3
        .create_multipart_upload_with("m/big.zip", &options)
        .await
        .expect("signed create");
    let part = vec![7_u8; 1024];
    let etag = s3
        .upload_part("m/big.zip", &upload, 1, part.clone())
        .await
        .expect("signed part with Content-MD5");
    s3.complete_multipart_upload("m/big.zip", &upload, &[(1, etag)])
        .await
        .expect("complete");
    assert_eq!(
        s3.get_object("m/big.zip", None, 4096).await.expect("get"),
        part
    );
    let missing = s3
        .get_object("m/none.zip", None, 10)
        .await
        .expect_err("missing");
    assert_eq!(missing.code(), ErrorCode::ApiNotFound, "{missing}");
    // A wrong secret is caught by the signature check.
    let settings = S3Settings {
        endpoint: Some(peer.endpoint()),
        region: REGION.into(),
        bucket: "archives".into(),
        access_key_id: ACCESS_KEY.into(),
    };
    let wrong = S3Client::new(
        &settings,
        Some("not-the-secret"),
        &ConnectorOptions {
            timeout: Duration::from_secs(10),
            ..ConnectorOptions::default()
        },
    )
    .expect("client");
    let refused = wrong
        .put_object_with("m/other.json", b"{}".to_vec(), &options)
        .await
        .expect_err("bad signature");
    assert_eq!(refused.code(), ErrorCode::AuthUnauthorized, "{refused}");
}
