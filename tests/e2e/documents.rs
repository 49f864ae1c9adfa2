//! Documents on a case in the real window (issue 10): "Open" hands the downloaded, checked file to
//! the OS opener — here a fake `xdg-open` first on PATH that records what it was given — and the
//! document then shows as available offline, with its download in the Transfers view.

use std::path::Path;

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

/// PATH with `dir` first.
fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_owned()];
    if let Some(current) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&current));
    }
    std::env::join_paths(paths).expect("PATH")
}

/// Calls one of the app's own commands from the page (as the UI does) and answers its JSON.
pub(super) async fn invoke(
    journey: &Journey,
    command: &str,
    args: serde_json::Value,
) -> serde_json::Value {
    journey
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
               .then((v) => done({ ok: v }), (e) => done({ err: e }));",
            vec![serde_json::Value::String(command.to_owned()), args],
        )
        .await
        .unwrap_or_else(|error| panic!("{command}: {error}"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn open_on_a_small_document_hands_the_checked_file_to_the_os_opener() {
    if e2e_enabled() {
        run_journey(open_journey());
    }
}

async fn open_journey() {
    let home = AppHome::new();
    let sandbox = Sandbox::start(SandboxConfig {
        data: Some(home.path().join("external-sandbox.sqlite")),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let tools = home.path().join("bin");
    std::fs::create_dir_all(&tools).expect("tools folder");
    let record = home.path().join("opened.txt");
    fake_opener(&tools, &record);
    let path = path_with(&tools);
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
    let page = invoke(
        &journey,
        "list_cases",
        serde_json::json!({ "query": { "limit": 500 } }),
    )
    .await;
    let rows = page["ok"]["rows"].as_array().cloned().unwrap_or_default();
    let mut found = None;
    for row in rows {
        let id = row["id"].as_str().unwrap_or_default().to_owned();
        let detail = invoke(&journey, "get_case", serde_json::json!({ "id": id })).await;
        if let Some(document) = detail["ok"]["documents"].as_array().and_then(|d| d.first()) {
            found = Some((id, document.clone()));
            break;
        }
    }
    let (case_id, document) = found.expect("a seeded case with a document");
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
    let deadline = Instant::now() + WAIT;
    let opened = loop {
        if let Ok(text) = std::fs::read_to_string(&record) {
            if let Some(line) = text.lines().next() {
                break PathBuf::from(line);
            }
        }
        assert!(Instant::now() < deadline, "the OS opener was never called");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
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
