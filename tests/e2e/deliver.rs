//! "Send to partner…" in the real window (issue 11, point 6): an SFTP connector to a real
//! OpenSSH server started here (`pd-sshtest`; its host key accepted through the app's own commands, as the
//! Settings screen calls them), its partner inbox set in Settings → Connector work, then a
//! case's document sent from its row: the chooser lists the inbox, the row ends "Sent to …",
//! and the file is in the inbox with the document's SHA-256. Screenshots light and dark.

use super::steps::*;
use super::*;

#[test]
fn a_document_is_sent_to_a_partner_sftp_inbox_from_its_row() {
    if e2e_enabled() {
        run_journey(deliver_journey());
    }
}

async fn deliver_journey() {
    let sshd = pd_sshtest::SshServer::start("")
        .expect("sshd starts (.ci/install.sh --test installs openssh-server)");
    let home = AppHome::new();
    let sandbox = sandbox_in(&home).await;
    let (_driver, mut journey) = launch(&home, &sandbox.base_url(), "deliver-").await;
    journey
        .wait_for_count("case-row", "seeded cases after the first sync", |n| n >= 5)
        .await;

    // The SFTP connector and its accepted host key, through the commands Settings calls.
    let input = pd_domain::ConnectorInput {
        id: None,
        name: "Acme SFTP".into(),
        settings: pd_domain::ConnectorSettings::Sftp(sshd.settings(None)),
        secret: None,
    };
    let saved = invoke(
        &journey,
        "save_connector",
        serde_json::json!({ "input": serde_json::to_value(&input).expect("input") }),
    )
    .await;
    let connector_id = saved["ok"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("connector saved: {saved}"))
        .to_owned();
    let accepted = invoke(
        &journey,
        "accept_host_key",
        serde_json::json!({ "connectorId": connector_id, "fingerprint": sshd.fingerprint() }),
    )
    .await;
    assert!(
        accepted.get("ok").is_some(),
        "host key accepted: {accepted}"
    );

    // A case's document, found through the app's own commands; its row has nowhere to send yet.
    let (case_id, document) = case_with_a_document(&journey).await;
    let name = document["name"].as_str().unwrap_or_default().to_owned();
    let sha256 = document["sha256"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    journey.go(&format!("#/cases/{case_id}")).await;
    journey.wait_for("document").await;
    journey.click("document-send").await;
    journey.wait_for("send-empty").await;
    journey.shot("no-partner-inbox").await;

    // Settings → Connector work: the SFTP connector's partner inbox.
    let inbox = sshd.inbox().display().to_string();
    journey.click("nav-settings").await;
    journey.click("work-setup-sftp").await;
    journey.type_into("work-inbox", &inbox).await;
    journey.shot("partner-inbox-setting").await;
    journey.click("work-save").await;
    journey
        .wait_for_count("work-row", "the SFTP connector's work", |n| n == 1)
        .await;

    // Back on the case: choose the inbox, send, and watch the row until it is sent.
    journey.go(&format!("#/cases/{case_id}")).await;
    journey.wait_for("document").await;
    journey.click("document-send").await;
    journey.wait_for("send-target").await;
    journey.shot("send-chooser").await;
    // A long inbox path never widens the page (the row's width bounds the chooser).
    let widened = journey
        .client
        .execute(
            "const s = document.querySelector('.screen-scroll'); return s ? s.scrollWidth - s.clientWidth : 0;",
            vec![],
        )
        .await
        .expect("measure the page");
    assert!(
        widened.as_i64().unwrap_or(0) <= 1,
        "the chooser widened the page by {widened} px"
    );
    journey.click("send-confirm").await;
    let status = journey
        .wait_for_attr("document-delivery", "data-state", "sent")
        .await;
    let text = status.text().await.unwrap_or_default();
    assert!(
        text.contains(&format!("Sent to Acme SFTP {inbox}/{name} at")),
        "{text}"
    );
    journey.shot("sent-light").await;
    theme(&journey, "dark").await;
    journey.after_next_paint().await;
    journey.shot("sent-dark").await;
    theme(&journey, "light").await;

    let delivered = std::fs::read(sshd.inbox().join(&name)).expect("in the inbox");
    assert_eq!(sha256_hex(&delivered), sha256, "the document's bytes");
    assert_eq!(
        sshd.listing(),
        vec![name.clone()],
        "one file, no temporary left"
    );

    // The Transfers view lists the delivery as done.
    journey.go("#/transfers").await;
    journey
        .wait_for_attr("transfer", "data-state", "done")
        .await;
    journey.shot("transfers").await;
}
