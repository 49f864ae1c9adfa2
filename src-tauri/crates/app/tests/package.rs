//! The case package (issue 10) against a real S3 peer (`s3s-fs`, which checks every SigV4
//! signature) and the demo workspace's sandbox: the zip lands in the connector's bucket, its
//! presigned link downloads the same bytes (SHA-256 as reported), the zip holds the case's
//! documents and only its partner-visible comments, and the link is posted on the case as a
//! partner-visible comment queued for the server. A connector with a wrong secret is refused in
//! words and nothing is posted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use pd_app::commands as api;
use pd_domain::{CaseQuery, ConnectorInput, ConnectorSettings, ErrorCode, S3Settings, Visibility};

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn s3_connector(peer: &pd_s3test::S3Peer, secret: &str) -> ConnectorInput {
    ConnectorInput {
        id: None,
        name: "Evidence bucket".into(),
        settings: ConnectorSettings::S3(S3Settings {
            endpoint: Some(peer.endpoint()),
            region: pd_s3test::REGION.into(),
            bucket: "evidence".into(),
            access_key_id: pd_s3test::ACCESS_KEY.into(),
        }),
        secret: Some(secret.into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_package_goes_to_s3_and_its_link_is_posted_for_the_partner() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let Some(peer) = pd_s3test::S3Peer::s3s_fs(&["evidence"]) else {
        assert!(pd_s3test::skip_or_fail("s3s-fs is not installed"));
        return;
    };
    let dirs = common::Dirs::new(namespace);
    let state = common::start(&dirs).await;
    api::sync_now(&state).await.expect("sync");
    let page = api::list_cases(
        &state,
        CaseQuery {
            limit: 500,
            ..CaseQuery::default()
        },
    )
    .await
    .unwrap();
    let mut chosen = None;
    for row in page.rows {
        let detail = api::get_case(&state, row.id).await.unwrap();
        let internal = detail
            .comments
            .iter()
            .any(|c| c.comment.visibility == Visibility::Internal);
        if !detail.documents.is_empty() && internal {
            chosen = Some(detail);
            break;
        }
    }
    let detail = chosen.expect("a seeded case with documents and an internal note");
    let case_id = detail.case.id.clone();

    // A wrong secret: refused in words, nothing posted.
    let wrong = api::save_connector(&state, s3_connector(&peer, "not-the-secret"))
        .await
        .unwrap();
    let refused = api::share_case_package(&state, case_id.clone(), Some(wrong.id.clone()))
        .await
        .expect_err("the bucket refuses a wrong signature");
    assert_eq!(refused.code(), ErrorCode::AuthUnauthorized, "{refused}");
    assert!(
        refused.to_string().contains("secret access key"),
        "{refused}"
    );
    let left = std::fs::read_dir(dirs.data.join("packages"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "no zip is left behind");
    let after = api::get_case(&state, case_id.clone()).await.unwrap();
    assert_eq!(
        after.comments.len(),
        detail.comments.len(),
        "nothing posted"
    );
    api::remove_connector(&state, wrong.id).await.unwrap();

    let connector = api::save_connector(&state, s3_connector(&peer, pd_s3test::SECRET_KEY))
        .await
        .unwrap();
    let package = api::share_case_package(&state, case_id.clone(), None)
        .await
        .expect("the package is shared");
    assert_eq!(package.bucket, "evidence");
    assert!(package.key.ends_with(".zip"), "{}", package.key);
    assert!(
        package.link.contains("X-Amz-Signature="),
        "a presigned link"
    );
    let _ = connector;

    // The link downloads the same bytes.
    let bytes = reqwest::get(&package.link)
        .await
        .unwrap()
        .error_for_status()
        .expect("the link works")
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len() as u64, package.size);
    assert_eq!(sha256_hex(&bytes), package.sha256);
    let (manifest, files) = pd_archive::read_archive(std::io::Cursor::new(bytes.to_vec())).unwrap();
    for document in detail.documents.iter().map(|d| &d.document) {
        assert!(
            files
                .iter()
                .any(|f| f.sha256 == document.sha256.to_lowercase()),
            "{} is in the package",
            document.name
        );
    }
    let thread = files
        .iter()
        .find(|f| f.path.ends_with(".json") && f.path.contains("thread"))
        .map(|f| f.path.clone());
    let _ = (manifest, thread);
    let zip = {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut all = String::new();
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).unwrap();
            if entry.name().ends_with(".json") || entry.name().ends_with(".html") {
                use std::io::Read;
                entry.read_to_string(&mut all).unwrap();
            }
        }
        all
    };
    for comment in &detail.comments {
        let first_words: String = comment.comment.body.chars().take(40).collect();
        if comment.comment.visibility == Visibility::Internal {
            assert!(
                !zip.contains(&first_words),
                "an internal note is not in the partner's package: {first_words}"
            );
        }
    }

    // Posted on the case for the partner, queued for the server.
    let after = api::get_case(&state, case_id.clone()).await.unwrap();
    let posted = after
        .comments
        .iter()
        .find(|c| c.comment.id == package.comment_id)
        .expect("the link is posted on the case");
    assert_eq!(posted.comment.visibility, Visibility::Partner);
    assert!(posted.comment.body.contains(&package.link));
    let outbox = api::outbox_list(&state).await.unwrap();
    assert!(outbox.iter().any(|e| e.case_id == case_id));
    state.shutdown().await;
}
