//! Drop folders and EDI routing in the real window (issues 11 and 12): the analyst adds a local
//! folder through the Folders view's form; an X12 850 whose PO number is a sandbox case's, written
//! into that folder on disk, lands on that case (the document on the case, the ledger row with
//! the rule and why, the EDI panel with standard, sender, receiver, control numbers, references
//! and the segment view); an 810 from a sender no partner has opens a new invoice case with its
//! references filled; a second folder dropped on the Folders view (through the shell's drop hook,
//! the same path as a native drop) is added and watched. Screenshots of the Folders view, the ledger, the EDI panel and the rules
//! editor, light and dark.

use std::path::Path;

use super::steps::*;
use super::*;

#[test]
fn an_edi_file_dropped_into_a_folder_added_in_the_window_lands_on_its_case_with_its_ledger_row() {
    if e2e_enabled() {
        run_journey(folders_journey());
    }
}

fn isa(sender: &str, control: u32) -> String {
    format!("ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*DEMORETAILER   *260105*0930*U*00401*{control:09}*0*P*>~\n")
}

/// Writes under a temporary name, then renames (as an ERP export does).
fn drop_file(folder: &Path, name: &str, bytes: &str) {
    let part = folder.join(format!("{name}.part"));
    std::fs::write(&part, bytes).expect("write the file");
    std::fs::rename(&part, folder.join(name)).expect("rename it");
}

/// Chooses the first partner in the folder form, once the partner list has filled.
async fn choose_first_partner(journey: &Journey) {
    let partner = journey.wait_for("folder-partner").await;
    let deadline = Instant::now() + WAIT;
    while partner
        .find_all(Locator::Css("option"))
        .await
        .map_or(0, |o| o.len())
        < 2
    {
        assert!(Instant::now() < deadline, "the partner list never filled");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    partner
        .select_by_index(1)
        .await
        .expect("choose the folder's partner");
}

/// The ledger row whose file is `name`, once it is listed.
async fn ledger_row(journey: &Journey, name: &str) -> Element {
    let deadline = Instant::now() + WAIT;
    loop {
        for row in journey.all("ledger-row").await {
            let file = row
                .find(Locator::Css(&by_test_id("ledger-file")))
                .await
                .ok();
            if let Some(file) = file {
                if file.text().await.unwrap_or_default() == name {
                    return row;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "{name} never appeared in the ledger"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn text_of(row: &Element, test_id: &str) -> String {
    row.find(Locator::Css(&by_test_id(test_id)))
        .await
        .unwrap_or_else(|error| panic!("{test_id}: {error}"))
        .text()
        .await
        .unwrap_or_default()
}

async fn folders_journey() {
    let home = AppHome::new();
    let sandbox = sandbox_in(&home).await;
    let inbound = home.path().join("edi-inbound");
    std::fs::create_dir_all(&inbound).expect("the drop folder");
    let drops = home.path().join("drops");
    std::fs::create_dir_all(&drops).expect("the drop hook's folder");
    let (_driver, mut journey) = launch_with(
        &home,
        &sandbox.base_url(),
        "folders-",
        &[(
            "PARTNERDESK_E2E_DROP_DIR",
            drops.to_str().expect("a UTF-8 path"),
        )],
    )
    .await;
    journey
        .wait_for_count("case-row", "seeded cases after the first sync", |n| n >= 5)
        .await;

    // A sandbox case carrying a PO number, found through the app's own commands.
    let (case_id, (case_reference, po)) = find_case(&journey, |detail| {
        let case = &detail["case"];
        case["references"]["poNumbers"]
            .as_array()
            .and_then(|p| p.first())
            .and_then(|p| p.as_str())
            .filter(|p| p.len() >= 4)
            .map(|po| {
                (
                    case["reference"].as_str().unwrap_or_default().to_owned(),
                    po.to_owned(),
                )
            })
    })
    .await
    .expect("a sandbox case with a PO number");

    // Add the folder through the form.
    journey.go("#/folders").await;
    journey.wait_for("folders-add").await;
    journey.click("folders-add").await;
    // An SFTP folder's form names where taken and failed files go (settings of the folder).
    let source = journey.wait_for("folder-source").await;
    source
        .select_by_value("sftp")
        .await
        .expect("choose an SFTP folder");
    journey.wait_for("folder-failed-dir").await;
    journey.shot("folder-form-sftp").await;
    source
        .select_by_value("local")
        .await
        .expect("back to a local folder");
    journey.type_into("folder-name", "EDI inbound").await;
    journey
        .type_into("folder-path", &inbound.display().to_string())
        .await;
    choose_first_partner(&journey).await;
    journey.shot("folder-form").await;
    journey.click("folder-save").await;
    journey
        .wait_for_attr("folder-row", "data-state", "watching")
        .await;
    journey.shot("folder-watching").await;

    // An 850 carrying the case's PO, written on disk.
    drop_file(
        &inbound,
        "ORDERS_0001.x12",
        &format!(
            "{}GS*PO*ACME*DEMORETAILER*20260105*0930*1*X*004010~\nST*850*0001~\nBEG*00*SA*{po}**20260105~\nPO1*1*10*EA*9.5**VP*WIDGET~\nSE*4*0001~\nGE*1*1~\nIEA*1*000000001~\n",
            isa("ACME", 1)
        ),
    );
    let row = ledger_row(&journey, "ORDERS_0001.x12").await;
    assert_eq!(text_of(&row, "ledger-case").await, case_reference);
    let rule = text_of(&row, "ledger-rule").await;
    assert!(rule.starts_with("Reference in the EDI document"), "{rule}");
    assert!(
        rule.contains(&format!("carries PO number {po}, on case {case_reference}")),
        "{rule}"
    );

    // An 810 from a sender no partner has.
    drop_file(
        &inbound,
        "INVOIC_0002.x12",
        &format!(
            "{}GS*IN*NOBODY*DEMORETAILER*20260106*1000*2*X*004010~\nST*810*0001~\nBIG*20260106*INV-E2E-77**PO-E2E-NO-CASE~\nTDS*9500~\nSE*4*0001~\nGE*1*2~\nIEA*1*000000002~\n",
            isa("NOBODY", 2)
        ),
    );
    let invoice_row = ledger_row(&journey, "INVOIC_0002.x12").await;
    let rule = text_of(&invoice_row, "ledger-rule").await;
    assert!(rule.starts_with("New case from the EDI document"), "{rule}");
    assert!(rule.contains("opened an invoice case"), "{rule}");
    journey.shot("ledger").await;

    // The EDI panel of the 850.
    row.find(Locator::Css(&by_test_id("ledger-file")))
        .await
        .expect("the file button")
        .click()
        .await
        .expect("open the EDI panel");
    let panel = journey.wait_for("edi-panel").await;
    journey.wait_for("edi-standard").await;
    assert_eq!(text_of(&panel, "edi-standard").await, "X12");
    assert_eq!(text_of(&panel, "edi-sender").await, "ZZ:ACME");
    assert_eq!(text_of(&panel, "edi-receiver").await, "ZZ:DEMORETAILER");
    assert!(text_of(&panel, "edi-controls")
        .await
        .contains("interchange 000000001"));
    assert!(text_of(&panel, "edi-references")
        .await
        .contains(&format!("PO number {po}")));
    let segments = text_of(&panel, "edi-segments").await;
    assert_eq!(
        segments.lines().count(),
        8,
        "one line per segment:\n{segments}"
    );
    assert!(
        segments.contains("BEG  Beginning of purchase order"),
        "{segments}"
    );
    scroll_into_view(&journey, "edi-panel", "start")
        .await
        .expect("scroll to the panel");
    journey.shot("edi-panel").await;
    theme(&journey, "dark").await;
    journey.shot("edi-panel-dark").await;
    journey.go("#/folders").await;
    journey.shot("folders-dark").await;
    theme(&journey, "light").await;

    // The rules editor.
    journey.click("folders-tab-rules").await;
    journey
        .wait_for_count("rule-row", "the routing rules", |n| n >= 9)
        .await;
    journey.shot("rules-editor").await;
    theme(&journey, "dark").await;
    journey.shot("rules-editor-dark").await;
    theme(&journey, "light").await;

    // A folder dropped on the Folders view is added as a folder (not expanded into its files).
    let pods = home.path().join("carrier-pods");
    std::fs::create_dir_all(&pods).expect("the dropped folder");
    std::fs::write(pods.join("pod-0001.pdf"), b"%PDF-1.4 pod one").expect("a file in it");
    let request = serde_json::json!({ "paths": [pods.display().to_string()], "x": 640, "y": 400 });
    std::fs::write(drops.join("drop-1.tmp"), request.to_string()).expect("drop request");
    std::fs::rename(drops.join("drop-1.tmp"), drops.join("drop-1.json")).expect("drop request");
    let dropped = journey.wait_for("folder-dropped").await;
    assert!(
        dropped
            .text()
            .await
            .unwrap_or_default()
            .contains("carrier-pods, 1 files in it now"),
        "the form names the dropped folder"
    );
    assert_eq!(
        journey
            .wait_for("folder-name")
            .await
            .prop("value")
            .await
            .ok()
            .flatten()
            .as_deref(),
        Some("carrier-pods")
    );
    choose_first_partner(&journey).await;
    journey.shot("folder-dropped-form").await;
    journey.click("folder-save").await;
    journey
        .wait_for_count("folder-row", "two folders", |n| n == 2)
        .await;
    ledger_row(&journey, "pod-0001.pdf").await;
    // Both folders watched (adding one restarts the other's watcher).
    let deadline = Instant::now() + WAIT;
    loop {
        let mut states = Vec::new();
        for row in journey.all("folder-row").await {
            states.push(
                row.attr("data-state")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            );
        }
        if states.len() == 2 && states.iter().all(|s| s == "watching") {
            break;
        }
        assert!(Instant::now() < deadline, "folder states: {states:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    journey.shot("folder-dropped-watching").await;

    // The 850 is a document on its case.
    journey.go(&format!("#/cases/{case_id}")).await;
    journey.wait_for("case-title").await;
    journey
        .wait_for_count("document", "the 850 on the case", |_| true)
        .await;
    let deadline = Instant::now() + WAIT;
    loop {
        let mut names = Vec::new();
        for d in journey.all("document").await {
            names.push(d.text().await.unwrap_or_default());
        }
        if names.iter().any(|n| n.contains("ORDERS_0001.x12")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "ORDERS_0001.x12 is not among the case's documents: {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    journey.shot("po-case-document").await;

    // The 810 opened a new invoice case with its references filled.
    let ledger = invoke(
        &journey,
        "folder_ledger",
        serde_json::json!({ "query": { "folderId": null, "outcome": null, "since": null, "until": null } }),
    )
    .await;
    let invoice_case = ledger["ok"]
        .as_array()
        .and_then(|rows| {
            rows.iter()
                .find(|r| r["path"] == "INVOIC_0002.x12")
                .and_then(|r| r["caseId"].as_str().map(str::to_owned))
        })
        .expect("the 810's case");
    journey.go(&format!("#/cases/{invoice_case}")).await;
    let title = journey.wait_for("case-title").await;
    assert_eq!(
        title.text().await.unwrap_or_default(),
        "Unmatched Invoice INV-E2E-77 (810) from unknown sender ZZ:NOBODY"
    );
    let detail = invoke(
        &journey,
        "get_case",
        serde_json::json!({ "id": invoice_case }),
    )
    .await;
    assert_eq!(detail["ok"]["case"]["kind"], "invoice");
    assert_eq!(
        detail["ok"]["case"]["references"]["invoiceNumbers"],
        serde_json::json!(["INV-E2E-77"])
    );
    assert_eq!(
        detail["ok"]["case"]["references"]["poNumbers"],
        serde_json::json!(["PO-E2E-NO-CASE"])
    );
    let page_text = journey
        .client
        .find(Locator::Css("main"))
        .await
        .expect("the page")
        .text()
        .await
        .unwrap_or_default();
    assert!(page_text.contains("INV-E2E-77"), "{page_text}");
    journey.shot("invoice-case").await;

    let _ = journey.client.close().await;
    sandbox.shutdown().await.expect("sandbox stops");
}
