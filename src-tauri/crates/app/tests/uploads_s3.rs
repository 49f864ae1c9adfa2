//! Large files through the S3 upload queue (issue 10) in the app: the demo workspace with its
//! real sandbox over loopback, an S3 connector to `s3s-fs` started here, the real keychain. A
//! file above the size limit dropped on a case uploads by multipart to the connector's bucket,
//! shows in the Transfers view to "done", and its document is recorded on the case and on the
//! server once, with a presigned link that downloads the same bytes; pause, resume and cancel
//! through `transfer_action`; an upload queued before the app starts is resumed by it; an
//! incomplete upload nothing will complete is aborted on the server (against moto, which lists
//! incomplete uploads).
//!
//! `PD_REQUIRE_TEST_PEERS=1 PD_S3S_FS=$HOME/.cache/partnerdesk/tools/bin/s3s-fs` makes a
//! missing `s3s-fs` a failure instead of a skip.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::path::PathBuf;
use std::time::Duration;

use pd_app::commands as api;
use pd_app::state::AppState;
use pd_domain::{
    AttachOutcome, AttachTarget, CaseQuery, ConnectorInput, ConnectorSettings, DocumentLocation,
    DragPhase, S3Settings, SendState, TransferAction, TransferState, UploadRoute, UploadSettings,
};

const BUCKET: &str = "evidence";
const MIB: usize = 1024 * 1024;

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn bytes(size: usize, seed: u8) -> Vec<u8> {
    let mut state = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

async fn with_s3(state: &AppState, peer: &pd_s3test::S3Peer) {
    api::save_connector(
        state,
        ConnectorInput {
            id: None,
            name: "Evidence bucket".into(),
            settings: ConnectorSettings::S3(S3Settings {
                endpoint: Some(peer.endpoint()),
                region: pd_s3test::REGION.into(),
                bucket: BUCKET.into(),
                access_key_id: pd_s3test::ACCESS_KEY.into(),
            }),
            secret: Some(pd_s3test::SECRET_KEY.into()),
        },
    )
    .await
    .expect("connector saved");
    api::save_upload_settings(
        state,
        UploadSettings {
            threshold_bytes: MIB as u64,
            part_size: 5 * MIB as u64,
            ..UploadSettings::default()
        },
    )
    .await
    .expect("upload settings");
}

async fn first_case(state: &AppState) -> String {
    api::sync_now(state).await.expect("sync");
    api::list_cases(
        state,
        CaseQuery {
            limit: 5,
            ..CaseQuery::default()
        },
    )
    .await
    .unwrap()
    .rows[0]
        .id
        .clone()
}

async fn attach(state: &AppState, case_id: &str, path: PathBuf) -> String {
    let dropped = pd_app::drops::drag_event(state, DragPhase::Drop, &[path], 0.0, 0.0)
        .dropped
        .unwrap();
    let report = api::attach_drop(
        state,
        dropped.id,
        AttachTarget::Case {
            case_id: case_id.to_owned(),
        },
        false,
    )
    .await
    .unwrap();
    match &report.files[0].result {
        AttachOutcome::Queued {
            transfer_id, route, ..
        } => {
            assert_eq!(*route, UploadRoute::S3);
            transfer_id.clone()
        }
        other => panic!("queued for S3: {other:?}"),
    }
}

async fn transfer_state(state: &AppState, id: &str) -> Option<TransferState> {
    api::transfers_list(state)
        .await
        .unwrap()
        .transfers
        .iter()
        .find(|t| t.id == id)
        .map(|t| t.state)
}

async fn until_state(state: &AppState, id: &str, wanted: TransferState) {
    common::eventually(
        &format!("transfer {id} is {wanted:?}"),
        Duration::from_secs(45),
        || async { transfer_state(state, id).await == Some(wanted) },
    )
    .await;
}

/// The document is on the case, on the server (sent), in S3, and its link downloads `content`.
async fn assert_recorded(state: &AppState, case_id: &str, id: &str, content: &[u8]) {
    common::eventually(
        "the record reaches the server",
        Duration::from_secs(30),
        || async {
            let _ = api::sync_now(state).await;
            api::get_case(state, case_id.to_owned())
                .await
                .unwrap()
                .documents
                .iter()
                .any(|d| d.document.id == id && d.send_state == SendState::Sent)
        },
    )
    .await;
    let detail = api::get_case(state, case_id.to_owned()).await.unwrap();
    let same: Vec<_> = detail
        .documents
        .iter()
        .filter(|d| d.document.sha256 == sha256_hex(content))
        .collect();
    assert_eq!(same.len(), 1, "one document with this content");
    assert!(
        matches!(&same[0].document.location, DocumentLocation::S3 { bucket, .. } if bucket == BUCKET),
        "{:?}",
        same[0].document.location
    );
    let link = api::document_link(state, case_id.to_owned(), id.to_owned())
        .await
        .expect("a presigned link");
    let body = reqwest::get(&link)
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        sha256_hex(&body),
        sha256_hex(content),
        "the link gives the same bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_dropped_file_goes_through_s3_and_is_recorded_once_with_a_working_link() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let Some(peer) = pd_s3test::S3Peer::s3s_fs(&[BUCKET]) else {
        return;
    };
    let dirs = common::Dirs::new(namespace);
    let state = common::start(&dirs).await;
    with_s3(&state, &peer).await;
    let case_id = first_case(&state).await;
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("warehouse camera.mp4");
    let content = bytes(12 * MIB + 17, 3);
    std::fs::write(&path, &content).unwrap();

    let id = attach(&state, &case_id, path.clone()).await;
    until_state(&state, &id, TransferState::Done).await;
    assert_recorded(&state, &case_id, &id, &content).await;

    // The same file again is flagged, not uploaded.
    let dropped = pd_app::drops::drag_event(&state, DragPhase::Drop, &[path], 0.0, 0.0)
        .dropped
        .unwrap();
    let again = api::attach_drop(
        &state,
        dropped.id,
        AttachTarget::Case {
            case_id: case_id.clone(),
        },
        false,
    )
    .await
    .unwrap();
    assert!(matches!(
        again.files[0].result,
        AttachOutcome::Duplicate { .. }
    ));
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_cancel_from_the_transfers_view_and_a_queued_upload_resumes_at_start() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let Some(peer) = pd_s3test::S3Peer::s3s_fs(&[BUCKET]) else {
        return;
    };
    let dirs = common::Dirs::new(namespace);
    let state = common::start(&dirs).await;
    with_s3(&state, &peer).await;
    let case_id = first_case(&state).await;
    let files = tempfile::tempdir().unwrap();

    // Paused at once, resumed: it finishes.
    let paused_path = files.path().join("pallet scans.zip");
    let paused = bytes(26 * MIB, 5);
    std::fs::write(&paused_path, &paused).unwrap();
    let id = attach(&state, &case_id, paused_path).await;
    api::transfer_action(&state, id.clone(), TransferAction::Pause)
        .await
        .expect("paused");
    until_state(&state, &id, TransferState::Paused).await;
    let refused = api::transfer_action(&state, id.clone(), TransferAction::Pause).await;
    assert!(refused.is_ok(), "pausing a paused upload changes nothing");
    api::transfer_action(&state, id.clone(), TransferAction::Resume)
        .await
        .expect("resumed");
    until_state(&state, &id, TransferState::Done).await;
    assert_recorded(&state, &case_id, &id, &paused).await;

    // Cancelled: nothing of it stays, no document.
    let cancelled_path = files.path().join("dock video.mov");
    let cancelled = bytes(26 * MIB, 9);
    std::fs::write(&cancelled_path, &cancelled).unwrap();
    let cancel_id = attach(&state, &case_id, cancelled_path).await;
    api::transfer_action(&state, cancel_id.clone(), TransferAction::Cancel)
        .await
        .expect("cancelled");
    until_state(&state, &cancel_id, TransferState::Cancelled).await;
    let resumed = api::transfer_action(&state, cancel_id.clone(), TransferAction::Resume)
        .await
        .expect_err("a cancelled upload stays cancelled");
    assert!(resumed.to_string().contains("was cancelled"), "{resumed}");
    let detail = api::get_case(&state, case_id.clone()).await.unwrap();
    assert!(!detail
        .documents
        .iter()
        .any(|d| d.document.sha256 == sha256_hex(&cancelled)));
    state.shutdown().await;

    // Queued while the app is closed (as a crash leaves it): the next start uploads it.
    let waiting_path = files.path().join("returned goods.pdf");
    let waiting = bytes(7 * MIB, 11);
    std::fs::write(&waiting_path, &waiting).unwrap();
    let waiting_id = {
        let store = pd_store::Store::open(dirs.data.join(pd_app::CACHE_FILE)).unwrap();
        pd_transfer::queue_upload(
            &store,
            &case_id,
            &pd_transfer::inspect(&waiting_path).unwrap(),
            &pd_transfer::UploadPlan {
                bucket: BUCKET.into(),
                connector_id: None,
                part_size: 5 * MIB as u64,
                uploaded_by: "Demo Analyst".into(),
            },
        )
        .unwrap()
    };
    let state = common::start(&dirs).await;
    until_state(&state, &waiting_id, TransferState::Done).await;
    assert_recorded(&state, &case_id, &waiting_id, &waiting).await;
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_upload_nothing_will_complete_is_aborted_while_a_new_file_uploads() {
    let Some(namespace) = common::keychain_namespace() else {
        return;
    };
    let Some(peer) = pd_s3test::S3Peer::moto() else {
        return;
    };
    let s3 = pd_connectors::S3Client::new(
        &S3Settings {
            endpoint: Some(peer.endpoint()),
            region: pd_s3test::REGION.into(),
            bucket: BUCKET.into(),
            access_key_id: pd_s3test::ACCESS_KEY.into(),
        },
        Some(pd_s3test::SECRET_KEY),
        &pd_connectors::ConnectorOptions::default(),
    )
    .unwrap();
    s3.create_bucket(false).await.expect("bucket");
    // Left in the bucket long ago by an upload no cache remembers (moto dates every upload
    // 2010-11-10, so to the app it is years old).
    let stale = "partnerdesk/uploads/case-gone/0b5e7a51-stale/old scan.pdf";
    s3.create_multipart_upload(stale, None)
        .await
        .expect("stale upload");
    let prefix = pd_transfer::UPLOADS_PREFIX;
    assert_eq!(s3.list_multipart_uploads(prefix).await.unwrap().len(), 1);

    let dirs = common::Dirs::new(namespace);
    let state = common::start(&dirs).await;
    with_s3(&state, &peer).await;
    let case_id = first_case(&state).await;
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("dock door 4.mp4");
    std::fs::write(&path, bytes(11 * MIB, 5)).unwrap();
    let id = attach(&state, &case_id, path).await;
    until_state(&state, &id, TransferState::Done).await;
    let left = s3.list_multipart_uploads(prefix).await.unwrap();
    assert!(
        left.is_empty(),
        "the stale upload was aborted and the new one completed: {left:?}"
    );
    state.shutdown().await;
}
