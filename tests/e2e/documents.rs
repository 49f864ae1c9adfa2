//! Documents on a case in the real window (issue 10): "Open" hands the downloaded, checked file to
//! the OS opener — here a fake `xdg-open` first on PATH that records what it was given — and the
//! document then shows as available offline, with its download in the Transfers view; and files
//! dropped on a case (through the shell's end-to-end drop hook, the native event's path) upload
//! with progress, the large one through S3, and end on the case and on the server.

use std::path::Path;

use super::steps::*;
use super::*;

/// A fake `xdg-open` in `dir` that appends each path it is given to `record`.
fn fake_opener(dir: &Path, record: &Path) {
    let script = dir.join("xdg-open");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            record.display()
        ),
    )
    .expect("write the fake opener");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("make it executable");
    }
}

/// The file the fake OS opener was handed (the first line it recorded in `record`), once it was
/// called.
async fn opened_by_os(record: &Path) -> PathBuf {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(text) = std::fs::read_to_string(record) {
            if let Some(line) = text.lines().next() {
                return PathBuf::from(line);
            }
        }
        assert!(Instant::now() < deadline, "the OS opener was never called");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A fake OS opener in the app's home: the file it records what it was handed in, and a PATH
/// that finds it first.
fn opener_in(home: &AppHome) -> (PathBuf, std::ffi::OsString) {
    let tools = home.path().join("bin");
    std::fs::create_dir_all(&tools).expect("tools folder");
    let record = home.path().join("opened.txt");
    fake_opener(&tools, &record);
    (record, path_with(&tools))
}

/// PATH with `dir` first.
fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_owned()];
    if let Some(current) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&current));
    }
    std::env::join_paths(paths).expect("PATH")
}

#[test]
fn open_on_a_small_document_hands_the_checked_file_to_the_os_opener() {
    if e2e_enabled() {
        run_journey(open_journey());
    }
}

async fn open_journey() {
    let home = AppHome::new();
    let sandbox = sandbox_in(&home).await;
    let (record, path) = opener_in(&home);
    let (_driver, mut journey) = launch_with(
        &home,
        &sandbox.base_url(),
        "documents-open-",
        &[("PATH", path.to_str().expect("a UTF-8 PATH"))],
    )
    .await;
    journey
        .wait_for_count("case-row", "seeded cases after the first sync", |n| n >= 5)
        .await;

    // A case with a small document, found through the app's own commands.
    let (case_id, document) = case_with_a_document(&journey).await;
    let (name, sha256) = (
        document["name"].as_str().unwrap_or_default().to_owned(),
        document["sha256"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase(),
    );
    journey.go(&format!("#/cases/{case_id}")).await;
    journey.wait_for("document").await;
    journey.shot("case-documents").await;

    journey.click("document-open").await;
    journey.wait_for("document-offline").await;
    let opened = opened_by_os(&record).await;
    eprintln!("the opener got {}", opened.display());
    assert!(
        opened.starts_with(home.path().join("app")),
        "a file of the app's document cache: {}",
        opened.display()
    );
    assert_eq!(
        opened.file_name().map(|n| n.to_string_lossy().into_owned()),
        Some(name.clone()),
        "the file carries the document's name"
    );
    let bytes = std::fs::read(&opened).expect("the opened file exists");
    assert_eq!(
        sha256_hex(&bytes),
        sha256,
        "the opener got the document's bytes"
    );
    journey.shot("document-opened-offline-badge").await;

    journey.go("#/transfers").await;
    let row = journey
        .wait_for_attr("transfer", "data-state", "done")
        .await;
    assert!(row.text().await.unwrap_or_default().contains(&name));
    journey.shot("transfers-download-done").await;

    let _ = journey.client.close().await;
    sandbox.shutdown().await.expect("sandbox stops");
}

/// Writes one synthesized drag event for the app's end-to-end hook (`PARTNERDESK_E2E_DROP_DIR`,
/// read by the shell's `drag.rs` and fed through the same function as the native event), and
/// waits until the app has taken it.
async fn drag_event(dir: &Path, serial: &mut u32, event: serde_json::Value) {
    *serial += 1;
    let temp = dir.join(format!("event-{serial}.tmp"));
    let path = dir.join(format!("event-{serial}.json"));
    std::fs::write(&temp, event.to_string()).expect("write the drag event");
    std::fs::rename(&temp, &path).expect("publish the drag event");
    let deadline = Instant::now() + WAIT;
    while path.exists() {
        assert!(
            Instant::now() < deadline,
            "the app never read {}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The centre of the element `selector` matches, in CSS pixels of the window, scrolled into view.
async fn centre_of(journey: &Journey, selector: &str) -> (f64, f64) {
    journey
        .client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|error| panic!("{selector} never appeared: {error}"));
    let point = journey
        .client
        .execute(
            "const el = document.querySelector(arguments[0]);
             el.scrollIntoView({ block: 'nearest' });
             const r = el.getBoundingClientRect();
             return [r.left + r.width / 2, r.top + Math.min(r.height / 2, 60)];",
            vec![serde_json::Value::String(selector.to_owned())],
        )
        .await
        .expect("where the element is");
    let at = |i: usize| point[i].as_f64().expect("a coordinate");
    (at(0), at(1))
}

/// A file of `mib` MiB whose every MiB differs (no two runs alike); answers its SHA-256.
fn large_file(path: &Path, mib: usize) -> String {
    use sha2::Digest;
    use std::io::Write;
    let mut block = vec![0_u8; 1024 * 1024];
    let mut x = u64::from(std::process::id()) | 1;
    for chunk in block.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create the file"));
    let mut hash = sha2::Sha256::new();
    for i in 0..mib {
        block[..8].copy_from_slice(&(i as u64).to_le_bytes());
        file.write_all(&block).expect("write the file");
        hash.update(&block);
    }
    file.flush().expect("flush the file");
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A document as the sandbox stores it: name, size, SHA-256, its bytes when kept in the database,
/// and its S3 bucket and key when kept there.
type ServerDocument = (
    String,
    i64,
    String,
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
);

/// The Transfers row of the file `name`, with its state.
async fn transfer_row(journey: &Journey, name: &str) -> Option<(Element, String)> {
    for row in journey.all("transfer").await {
        if row.text().await.unwrap_or_default().contains(name) {
            let state = row
                .attr("data-state")
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            return Some((row, state));
        }
    }
    None
}

/// Issue 10 in the real window: a file dragged over an open case highlights its documents, the
/// drop waits in the confirmation strip, "Attach" uploads it to the case server, and it ends as a
/// document on the case and on the sandbox server; "Open" on it hands that very file to the OS
/// opener; the same bytes dropped again under another name and an empty file are not uploaded,
/// and the case says why in words. Then a 200 MiB file dragged onto the case's row in the case list goes by multipart
/// upload to S3 (`s3s-fs`, started here, through an S3 connector): its progress in Transfers,
/// paused there (the case shows "Upload paused at n%") and resumed; it ends as a document on the
/// case kept in the bucket, and its link downloads the same bytes (SHA-256).
pub(super) async fn drop_journey() {
    const BUCKET: &str = "partnerdesk-uploads";
    let home = AppHome::new();
    let Some(s3) = pd_s3test::S3Peer::s3s_fs(&[BUCKET]) else {
        return;
    };
    // The S3 connector as Settings saves it (its secret in the keychain only): files above the
    // upload size limit go to its bucket.
    preset_s3_connector(
        &home,
        "Evidence bucket",
        pd_domain::S3Settings {
            endpoint: Some(s3.endpoint()),
            region: pd_s3test::REGION.into(),
            bucket: BUCKET.into(),
            access_key_id: pd_s3test::ACCESS_KEY.into(),
        },
    );
    let sandbox_data = home.path().join("drop-sandbox.sqlite");
    let sandbox = Sandbox::start(SandboxConfig {
        data: Some(sandbox_data.clone()),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");

    // The analyst's file: a small proof of delivery.
    let files = home.path().join("Desktop");
    std::fs::create_dir_all(&files).expect("files folder");
    let small_name = format!("POD_SH{}.pdf", std::process::id());
    let small = files.join(&small_name);
    let small_bytes = format!(
        "%PDF-1.4\n% proof of delivery {} {:?}\n%%EOF\n",
        std::process::id(),
        Instant::now()
    )
    .into_bytes();
    std::fs::write(&small, &small_bytes).expect("small file");
    let big_name = "pallet-scan-200MiB.tif";
    let big = files.join(big_name);
    let big_sha256 = large_file(&big, 200);

    let drops = home.path().join("drops");
    std::fs::create_dir_all(&drops).expect("drop folder");
    let (record, path) = opener_in(&home);
    let (_driver, mut journey) = launch_with(
        &home,
        &sandbox.base_url(),
        "documents-drop-",
        &[
            ("PATH", path.to_str().expect("a UTF-8 PATH")),
            (
                "PARTNERDESK_E2E_DROP_DIR",
                drops.to_str().expect("a UTF-8 folder"),
            ),
        ],
    )
    .await;
    let rows = journey
        .wait_for_count("case-row", "seeded cases after the first sync", |n| n >= 5)
        .await;
    rows[1].click().await.expect("select the case");
    journey.double_click(&rows[1]).await;
    journey.wait_for("case-title").await;
    let case_id = journey
        .hash()
        .await
        .rsplit('/')
        .next()
        .expect("case id in the route")
        .to_owned();
    let documents_before = journey.all("document").await.len();

    // Dragging over the case's documents highlights them; the drop waits for "Attach".
    let (x, y) = centre_of(&journey, &by_test_id("documents-panel")).await;
    let paths = serde_json::json!([small.display().to_string()]);
    let mut serial = 0;
    drag_event(
        &drops,
        &mut serial,
        serde_json::json!({ "phase": "enter", "paths": paths, "x": x, "y": y }),
    )
    .await;
    journey
        .wait_for_attr("documents-panel", "data-drop-over", "true")
        .await;
    let tag = journey
        .wait_for("drop-tag")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(tag.contains("1 item →"), "the pointer's tag: {tag}");
    journey.shot("drag-highlight").await;
    drag_event(
        &drops,
        &mut serial,
        serde_json::json!({ "phase": "drop", "paths": paths, "x": x, "y": y }),
    )
    .await;
    let strip = journey.wait_for("drop-strip").await;
    let expected = format!("Attach 1 file ({} B) to", small_bytes.len());
    let deadline = Instant::now() + WAIT;
    let words = loop {
        let words = strip.text().await.unwrap_or_default();
        if words.contains(&expected) || Instant::now() > deadline {
            break words;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(words.contains(&expected), "the strip: {words}");
    assert!(
        words.contains(&small_name),
        "the strip lists the file: {words}"
    );
    assert!(
        journey.all("drop-tag").await.is_empty(),
        "the highlight ends with the drop"
    );
    journey.shot("confirmation-strip").await;
    theme(&journey, "dark").await;
    journey.shot("confirmation-strip-dark").await;
    theme(&journey, "light").await;
    journey.click("drop-attach").await;
    let started = Instant::now();
    let message = journey
        .wait_for("drop-message")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        message.contains("1 file attached"),
        "after Attach: {message}"
    );

    // The document on the case, sent once the server has it.
    let deadline = Instant::now() + WAIT;
    loop {
        let mut sent = false;
        for row in journey.all("document").await {
            let text = row.text().await.unwrap_or_default();
            let state = row.attr("data-send-state").await.ok().flatten();
            if text.contains(&small_name) && state.as_deref() == Some("sent") {
                sent = true;
            }
        }
        if sent {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the document never showed as sent on the case"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(journey.all("document").await.len(), documents_before + 1);
    let _ = scroll_into_view(&journey, "documents-panel", "nearest").await;
    eprintln!("sent after {:?}", started.elapsed());
    journey.shot("case-with-new-document").await;
    theme(&journey, "dark").await;
    journey.shot("case-with-new-document-dark").await;
    theme(&journey, "light").await;

    // Its upload in Transfers, done.
    journey.go("#/transfers").await;
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some((_, state)) = transfer_row(&journey, &small_name).await {
            if state == "done" {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the upload never showed as done");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("done in Transfers after {:?}", started.elapsed());

    // On the server: the document once, with the file's bytes.
    let stored = {
        let (data, case_id, name) = (sandbox_data.clone(), case_id.clone(), small_name.clone());
        tokio::task::spawn_blocking(move || server_documents(&data, &case_id, &name))
            .await
            .expect("read the server's documents")
    };
    assert_eq!(stored.len(), 1, "one record on the server");
    assert_eq!(stored[0].2.to_lowercase(), sha256_hex(&small_bytes));
    assert_eq!(
        stored[0].3.as_deref(),
        Some(&small_bytes[..]),
        "the file's bytes are on the case server"
    );

    // "Open" on it hands that file to the OS opener.
    journey.go(&format!("#/cases/{case_id}")).await;
    journey.wait_for("case-title").await;
    let mut opened_row = None;
    for row in journey
        .wait_for_count("document", "the documents", |n| n > documents_before)
        .await
    {
        if row.text().await.unwrap_or_default().contains(&small_name) {
            opened_row = Some(row);
        }
    }
    let row = opened_row.expect("the dropped document's row");
    row.find(Locator::Css(&by_test_id("document-open")))
        .await
        .expect("its Open")
        .click()
        .await
        .expect("click Open");
    let opened = opened_by_os(&record).await;
    eprintln!("opened after {:?}", started.elapsed());
    assert!(
        opened.starts_with(home.path().join("app")),
        "a file of the app's document cache: {}",
        opened.display()
    );
    assert_eq!(
        opened.file_name().map(|n| n.to_string_lossy().into_owned()),
        Some(small_name.clone())
    );
    assert_eq!(
        std::fs::read(&opened).expect("the opened file"),
        small_bytes,
        "the opener got the dropped file's bytes"
    );

    // The same file again (under another name) and an empty one: neither is uploaded, and the
    // case says why in words.
    let again_name = format!("copy of {small_name}");
    std::fs::write(files.join(&again_name), &small_bytes).expect("the copy");
    std::fs::write(files.join("empty.txt"), b"").expect("the empty file");
    let (x, y) = centre_of(&journey, &by_test_id("documents-panel")).await;
    drag_event(
        &drops,
        &mut serial,
        serde_json::json!({
            "paths": [files.join(&again_name).display().to_string(), files.join("empty.txt").display().to_string()],
            "x": x,
            "y": y,
        }),
    )
    .await;
    journey.click("drop-attach").await;
    let notes = journey
        .wait_for_count(
            "attach-note",
            "what the case says about the two files",
            |n| n == 2,
        )
        .await;
    let mut said = Vec::new();
    for note in &notes {
        said.push((
            note.attr("data-outcome")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
            note.text().await.unwrap_or_default(),
        ));
    }
    assert_eq!(said[0].0, "duplicate", "{said:?}");
    assert!(
        said[0].1.contains("is already on this case as") && said[0].1.contains(&small_name),
        "{said:?}"
    );
    assert_eq!(said[1].0, "refused", "{said:?}");
    assert!(
        said[1].1.starts_with("empty.txt was not attached: "),
        "{said:?}"
    );
    let _ = scroll_into_view(&journey, "attach-report", "center").await;
    journey.shot("attach-report-duplicate-and-refused").await;
    assert_eq!(
        server_documents(&sandbox_data, &case_id, &again_name).len(),
        0,
        "the copy was not uploaded"
    );

    // A 200 MiB scan dragged onto the case's row in the case list goes to S3.
    journey.go("#/cases").await;
    let row = format!("[data-testid=\"case-row\"][data-case-id=\"{case_id}\"]");
    let paths = serde_json::json!([big.display().to_string()]);
    // The list may still reorder (the case was just updated): the pointer follows the row, as
    // the analyst's would, until the row under it is the case's.
    let mut phase = "enter";
    let deadline = Instant::now() + WAIT;
    let (x, y) = loop {
        let (x, y) = centre_of(&journey, &row).await;
        drag_event(
            &drops,
            &mut serial,
            serde_json::json!({ "phase": phase, "paths": paths, "x": x, "y": y }),
        )
        .await;
        phase = "over";
        let highlighted = journey
            .client
            .wait()
            .at_most(Duration::from_secs(2))
            .for_element(Locator::Css(&format!("{row}[data-drop-over]")))
            .await
            .is_ok();
        if highlighted {
            // Held still for a moment: the row has not moved from under the pointer.
            tokio::time::sleep(Duration::from_millis(500)).await;
            if centre_of(&journey, &row).await == (x, y) {
                break (x, y);
            }
        }
        assert!(
            Instant::now() < deadline,
            "the case's row was never highlighted under the pointer"
        );
    };
    journey.shot("drag-over-case-row").await;
    drag_event(
        &drops,
        &mut serial,
        serde_json::json!({ "phase": "drop", "paths": paths, "x": x, "y": y }),
    )
    .await;
    let strip = journey.wait_for("drop-strip").await;
    let deadline = Instant::now() + WAIT;
    let words = loop {
        let words = strip.text().await.unwrap_or_default();
        if words.contains("Attach 1 file (200 MB) to") || Instant::now() > deadline {
            break words;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        words.contains("Attach 1 file (200 MB) to"),
        "the strip: {words}"
    );
    let reference = invoke(&journey, "get_case", serde_json::json!({ "id": case_id })).await["ok"]
        ["case"]["reference"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !reference.is_empty() && words.contains(&reference),
        "the strip names the case {reference}: {words}"
    );
    assert!(
        words.contains(big_name),
        "the strip lists the file: {words}"
    );
    journey.click("drop-attach").await;
    let started = Instant::now();
    journey.wait_for("drop-message").await;

    // Its progress in Transfers; paused there while it goes, then resumed.
    journey.go("#/transfers").await;
    let deadline = Instant::now() + WAIT;
    let paused = loop {
        match transfer_row(&journey, big_name).await {
            Some((row, state)) if state == "running" => {
                let percent = row
                    .find(Locator::Css(&by_test_id("transfer-percent")))
                    .await
                    .expect("its percent")
                    .text()
                    .await
                    .unwrap_or_default();
                if percent != "0%" {
                    let pause = row
                        .find(Locator::Css(&by_test_id("transfer-pause")))
                        .await
                        .expect("Pause on a running upload");
                    break pause.click().await.is_ok();
                }
            }
            Some((_, state)) if state == "done" => break false,
            Some((row, state)) if state == "failed" => panic!(
                "the large upload failed: {}",
                row.text().await.unwrap_or_default()
            ),
            _ => {}
        }
        assert!(Instant::now() < deadline, "the large upload never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if paused {
        journey
            .wait_for_attr("transfer", "data-state", "paused")
            .await;
        journey.shot("transfers-mid-upload").await;
        theme(&journey, "dark").await;
        journey.shot("transfers-mid-upload-dark").await;
        theme(&journey, "light").await;
        // The case shows the document's upload where it stands.
        journey.go(&format!("#/cases/{case_id}")).await;
        let upload = journey
            .wait_for_attr("document-upload", "data-state", "paused")
            .await;
        let words = upload.text().await.unwrap_or_default();
        assert!(words.contains("Upload paused at"), "the document: {words}");
        let _ = scroll_into_view(&journey, "incoming-upload", "center").await;
        journey.shot("case-document-upload-paused").await;
        journey.go("#/transfers").await;
        let (row, _) = transfer_row(&journey, big_name).await.expect("its row");
        row.find(Locator::Css(&by_test_id("transfer-resume")))
            .await
            .expect("Resume on a paused upload")
            .click()
            .await
            .expect("resume the upload");
    } else {
        eprintln!("the large upload finished before it could be paused");
        journey.shot("transfers-mid-upload").await;
    }

    // It ends on the case, sent, and in the bucket; its link downloads the same bytes.
    journey.go(&format!("#/cases/{case_id}")).await;
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let mut sent = false;
        for row in journey.all("document").await {
            let text = row.text().await.unwrap_or_default();
            let state = row.attr("data-send-state").await.ok().flatten();
            if text.contains(big_name) && state.as_deref() == Some("sent") {
                sent = true;
            }
        }
        if sent {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the large document never showed as sent on the case"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("large file sent after {:?}", started.elapsed());
    let _ = scroll_into_view(&journey, "documents-panel", "nearest").await;
    journey.shot("case-with-large-document").await;
    theme(&journey, "dark").await;
    journey.shot("case-with-large-document-dark").await;
    theme(&journey, "light").await;
    let stored = {
        let (data, case_id) = (sandbox_data.clone(), case_id.clone());
        tokio::task::spawn_blocking(move || server_documents(&data, &case_id, big_name))
            .await
            .expect("read the server's documents")
    };
    assert_eq!(stored.len(), 1, "one record on the server");
    assert_eq!(stored[0].1, 200 * 1024 * 1024);
    assert_eq!(stored[0].2.to_lowercase(), big_sha256);
    assert_eq!(
        stored[0].4.as_deref(),
        Some(BUCKET),
        "the large file is an object in the bucket"
    );
    let detail = invoke(&journey, "get_case", serde_json::json!({ "id": case_id })).await;
    let big_id = detail["ok"]["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["name"] == big_name)
        .and_then(|d| d["id"].as_str())
        .expect("the large document on the case")
        .to_owned();
    let link = invoke(
        &journey,
        "document_link",
        serde_json::json!({ "caseId": case_id, "documentId": big_id }),
    )
    .await;
    let link = link["ok"]
        .as_str()
        .unwrap_or_else(|| panic!("a link: {link}"))
        .to_owned();
    let body = reqwest::get(&link)
        .await
        .expect("download through the link")
        .error_for_status()
        .expect("the link works")
        .bytes()
        .await
        .expect("the bytes");
    assert_eq!(body.len(), 200 * 1024 * 1024);
    assert_eq!(
        sha256_hex(&body),
        big_sha256,
        "the link downloads the same bytes"
    );

    let _ = journey.client.close().await;
    sandbox.shutdown().await.expect("sandbox stops");
    drop(s3);
}

/// The documents named `name` on a case as the sandbox stores them.
fn server_documents(data: &Path, case_id: &str, name: &str) -> Vec<ServerDocument> {
    let server = rusqlite::Connection::open(data).expect("the sandbox's file");
    let mut query = server
        .prepare(
            "SELECT name, size, sha256, CASE WHEN length(content) > 0 THEN content END, s3_bucket, s3_key
             FROM documents WHERE case_id = ?1 AND name = ?2",
        )
        .expect("query");
    let rows = query
        .query_map(rusqlite::params![case_id, name], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .expect("documents")
        .collect::<Result<_, _>>()
        .expect("rows");
    rows
}
