//! "Send to partner…" (issue 11, point 6) through the commands the window calls, against the
//! demo workspace's real sandbox and a real OpenSSH server started here: without an SFTP
//! connector that has a partner inbox there is nowhere to send (said in words); with one, a
//! case's document (downloaded from the case server, SHA-256 checked) lands in the inbox under
//! its name with the same bytes, the case shows "Sent to <connector> <inbox>/<name> at <time>"
//! once and the server has that record once after the push; the Transfers view shows it done.
//! A delivery queued while the server is down waits and retries, survives a restart of the app,
//! and goes out once when the server answers again; one waiting for the server is cancelled from
//! the Transfers view (pause refused) and sent nothing, then retried and sent once. Needs the keychain
//! (`bash .ci/with-keyring.sh`) and `/usr/sbin/sshd` (`pd-sshtest`; `PD_SSHD` overrides it).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use common::*;
use pd_app::commands as api;
use pd_app::state::AppState;
use pd_domain::{
    CaseQuery, ConnectorInput, ConnectorSettings, ConnectorView, ConnectorWork, ConnectorWorkInput,
    DeliveryState, DeliveryView, Document, ErrorCode, SendState, TransferAction, TransferState,
    WorkKind,
};
use pd_sshtest::SshServer;

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn sftp_work(connector_id: &str, inbox: Option<String>) -> ConnectorWorkInput {
    ConnectorWorkInput {
        work: ConnectorWork {
            connector_id: connector_id.to_owned(),
            name: String::new(),
            kind: WorkKind::Sftp,
            enabled: true,
            every_seconds: 300,
            notices_collection: None,
            requests_collection: None,
            article_bundle: None,
            request_bundle: None,
            feed_url: None,
            outbound_url: None,
            listen_port: None,
            rules: vec![],
            partner_inbox: inbox,
        },
        token: None,
    }
}

/// Every document of the synced demo workspace.
async fn documents(state: &AppState) -> Vec<Document> {
    let page = api::list_cases(
        state,
        CaseQuery {
            limit: 500,
            ..CaseQuery::default()
        },
    )
    .await
    .expect("cases");
    let mut documents = Vec::new();
    for row in page.rows {
        let detail = api::get_case(state, row.id).await.expect("case");
        documents.extend(detail.documents.into_iter().map(|d| d.document));
    }
    documents
}

async fn delivery(state: &AppState, case_id: &str, id: &str) -> DeliveryView {
    api::case_deliveries(state, case_id.to_owned())
        .await
        .expect("deliveries")
        .into_iter()
        .find(|d| d.id == id)
        .expect("the delivery is listed on its case")
}

/// The case's "Sent to" records: (body, sent to the server).
async fn records(state: &AppState, case_id: &str) -> Vec<(String, SendState)> {
    api::get_case(state, case_id.to_owned())
        .await
        .expect("case")
        .comments
        .into_iter()
        .filter(|c| c.comment.body.starts_with("Sent to "))
        .map(|c| (c.comment.body, c.send_state))
        .collect()
}

/// The demo workspace, synced, beside a real sshd; `None` (skipped) without a keychain or sshd.
async fn synced_beside_sshd() -> Option<(SshServer, Dirs, AppState)> {
    let namespace = keychain_namespace()?;
    let sshd = SshServer::start_or_skip("")?;
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;
    let status = api::sync_now(&state).await.expect("sync");
    assert!(status.last_error.is_none(), "{:?}", status.last_error);
    Some((sshd, dirs, state))
}

/// Waits up to `seconds` until the delivery `queued` is in `want`.
async fn until_delivery(
    state: &AppState,
    queued: &DeliveryView,
    want: DeliveryState,
    what: &str,
    seconds: u64,
) {
    let (case_id, id) = (&queued.case_id, &queued.id);
    eventually(what, Duration::from_secs(seconds), || async move {
        delivery(state, case_id, id).await.state == want
    })
    .await;
}

/// "Send to partner…": queues `doc` for the connector's partner inbox.
async fn send(
    state: &AppState,
    doc: &Document,
    connector_id: &str,
) -> pd_app::CommandResult<DeliveryView> {
    api::deliver_document(
        state,
        doc.case_id.clone(),
        doc.id.clone(),
        connector_id.to_owned(),
    )
    .await
}

/// An SFTP connector "Acme SFTP" to `sshd`, its host key accepted as the analyst does after
/// comparing the fingerprint.
async fn acme_connector(state: &AppState, sshd: &SshServer) -> ConnectorView {
    let connector = api::save_connector(
        state,
        ConnectorInput {
            id: None,
            name: "Acme SFTP".into(),
            settings: ConnectorSettings::Sftp(sshd.settings(None)),
            secret: None,
        },
    )
    .await
    .expect("saved");
    api::accept_host_key(state, connector.id.clone(), sshd.fingerprint().to_owned())
        .await
        .expect("accepted");
    connector
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_sent_to_a_partner_inbox_lands_complete_and_is_recorded_on_the_case_once() {
    let Some((mut sshd, dirs, state)) = synced_beside_sshd().await else {
        return;
    };
    let docs = documents(&state).await;
    assert!(docs.len() >= 2, "the demo seeds documents");
    let (first, second) = (docs[0].clone(), docs[1].clone());

    // Nowhere to send yet: said in words.
    assert!(api::delivery_targets(&state).await.unwrap().is_empty());
    let refused = send(&state, &first, "nope")
        .await
        .expect_err("no partner inbox");
    assert_eq!(refused.code(), ErrorCode::DeliveryNoInbox);
    assert!(refused.to_string().contains("partner inbox"), "{refused}");

    // An SFTP connector with its host key accepted and a partner inbox.
    let connector = acme_connector(&state, &sshd).await;
    let empty = api::save_connector_work(&state, sftp_work(&connector.id, Some("  ".into())))
        .await
        .expect_err("an empty inbox is refused");
    assert!(empty.to_string().contains("partner inbox"), "{empty}");
    let inbox = sshd.inbox().to_string_lossy().into_owned();
    let work = api::save_connector_work(&state, sftp_work(&connector.id, Some(inbox.clone())))
        .await
        .expect("work saved");
    assert!(work.imports.contains(&inbox), "{}", work.imports);
    let targets = api::delivery_targets(&state).await.unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].inbox, inbox);
    assert_eq!(targets[0].name, "Acme SFTP");

    // Send: it lands under its name with the document's bytes, recorded once.
    let queued = send(&state, &first, &connector.id).await.expect("queued");
    assert_eq!(queued.state, DeliveryState::Queued);
    until_delivery(
        &state,
        &queued,
        DeliveryState::Sent,
        "the delivery is sent",
        30,
    )
    .await;
    let sent = delivery(&state, &first.case_id, &queued.id).await;
    assert_eq!(sent.remote_name.as_deref(), Some(first.name.as_str()));
    assert_eq!(
        sshd.listing(),
        vec![first.name.clone()],
        "no .part file left"
    );
    let bytes = std::fs::read(sshd.inbox().join(&first.name)).unwrap();
    assert_eq!(sha256_hex(&bytes), first.sha256.to_ascii_lowercase());
    let shown = api::transfers_list(&state).await.unwrap();
    let transfer = shown
        .transfers
        .iter()
        .find(|t| t.id == pd_app::deliveries::transfer_id(&queued.id))
        .expect("in the Transfers view");
    assert_eq!(transfer.state, TransferState::Done);

    // On the case once, and on the server once after the push and a pull.
    let expected = format!("Sent to Acme SFTP {inbox}/{} at ", first.name);
    eventually(
        "the record reaches the server",
        Duration::from_secs(30),
        || {
            let (state, case_id) = (&state, first.case_id.clone());
            async move {
                let _ = api::sync_now(state).await;
                records(state, &case_id)
                    .await
                    .iter()
                    .all(|(_, send)| *send == SendState::Sent)
            }
        },
    )
    .await;
    let _ = api::sync_now(&state).await.expect("pull");
    let on_case = records(&state, &first.case_id).await;
    assert_eq!(on_case.len(), 1, "recorded once: {on_case:?}");
    assert!(on_case[0].0.starts_with(&expected), "{}", on_case[0].0);

    // Sending it again while the first is in the inbox: the partner's file is never replaced.
    let again = send(&state, &first, &connector.id)
        .await
        .expect("queued again");
    until_delivery(
        &state,
        &again,
        DeliveryState::Sent,
        "the second delivery is sent",
        30,
    )
    .await;
    let numbered = pd_transfer::numbered(&first.name, 2);
    assert_eq!(
        delivery(&state, &first.case_id, &again.id)
            .await
            .remote_name
            .as_deref(),
        Some(numbered.as_str())
    );
    let mut expected_listing = vec![first.name.clone(), numbered.clone()];
    expected_listing.sort();
    assert_eq!(sshd.listing(), expected_listing);

    // The server is down: the delivery waits and says why; it survives a restart of the app
    // and goes out once when the server answers again.
    sshd.stop();
    let waiting = send(&state, &second, &connector.id)
        .await
        .expect("queued while the server is down");
    eventually(
        "the delivery says why it waits",
        Duration::from_secs(30),
        || {
            let (state, case_id, id) = (&state, second.case_id.clone(), waiting.id.clone());
            async move {
                let view = delivery(state, &case_id, &id).await;
                view.state == DeliveryState::Queued
                    && view
                        .error
                        .is_some_and(|e| e.message.contains("Trying again"))
            }
        },
    )
    .await;
    state.shutdown().await;
    sshd.run().expect("sshd starts again");
    let state = start(&dirs).await;
    until_delivery(
        &state,
        &waiting,
        DeliveryState::Sent,
        "the delivery goes out after the restart",
        60,
    )
    .await;
    let done = delivery(&state, &second.case_id, &waiting.id).await;
    let name = done.remote_name.clone().expect("named");
    let bytes = std::fs::read(sshd.inbox().join(&name)).unwrap();
    assert_eq!(sha256_hex(&bytes), second.sha256.to_ascii_lowercase());
    let listing = sshd.listing();
    assert!(listing.iter().all(|n| !n.ends_with(".part")), "{listing:?}");
    assert_eq!(listing.len(), 3, "one copy each: {listing:?}");
    let path = format!("{inbox}/{name} at ");
    let once = records(&state, &second.case_id)
        .await
        .iter()
        .filter(|(body, _)| body.contains(&path))
        .count();
    assert_eq!(once, 1, "recorded once");
    state.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_delivery_is_cancelled_and_retried_from_the_transfers_view() {
    let Some((mut sshd, _dirs, state)) = synced_beside_sshd().await else {
        return;
    };
    let doc = documents(&state)
        .await
        .into_iter()
        .next()
        .expect("a document");
    let connector = acme_connector(&state, &sshd).await;
    let inbox = sshd.inbox().to_string_lossy().into_owned();
    api::save_connector_work(&state, sftp_work(&connector.id, Some(inbox)))
        .await
        .expect("work saved");

    // The server is down: the delivery waits; the analyst cancels it, nothing is sent.
    sshd.stop();
    let queued = send(&state, &doc, &connector.id).await.expect("queued");
    let transfer = pd_app::deliveries::transfer_id(&queued.id);
    eventually(
        "the delivery waits for the server",
        Duration::from_secs(30),
        || {
            let (state, case_id, id) = (&state, doc.case_id.clone(), queued.id.clone());
            async move { delivery(state, &case_id, &id).await.error.is_some() }
        },
    )
    .await;
    api::transfer_action(&state, transfer.clone(), TransferAction::Pause)
        .await
        .expect_err("a delivery cannot pause");
    api::transfer_action(&state, transfer.clone(), TransferAction::Cancel)
        .await
        .expect("cancelled");
    until_delivery(
        &state,
        &queued,
        DeliveryState::Cancelled,
        "the delivery is cancelled",
        30,
    )
    .await;
    sshd.run().expect("sshd starts again");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        sshd.listing().is_empty(),
        "a cancelled delivery is not sent"
    );

    // Retry: it goes out once.
    api::transfer_action(&state, transfer.clone(), TransferAction::Retry)
        .await
        .expect("retried");
    until_delivery(
        &state,
        &queued,
        DeliveryState::Sent,
        "the retried delivery is sent",
        60,
    )
    .await;
    assert_eq!(sshd.listing(), vec![doc.name.clone()]);
    state.shutdown().await;
}
