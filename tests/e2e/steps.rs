//! Steps the journeys under `tests/e2e/` share, written once: the app's own commands called
//! from the page, the theme switched for a screenshot, a part of the page scrolled into view, a
//! seeded case found through the commands, the sandbox kept in the app's home, a SHA-256.

use super::*;

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

/// Sets the window's theme for a screenshot (`light` or `dark`), as the Settings switch does.
pub(super) async fn theme(journey: &Journey, theme: &str) {
    journey
        .client
        .execute(
            "document.documentElement.dataset.theme = arguments[0];",
            vec![serde_json::Value::String(theme.to_owned())],
        )
        .await
        .expect("set the theme");
}

/// Scrolls the element with `data-testid` = `test_id` into view (`block`: `nearest`, `center`,
/// `start`), for a screenshot.
pub(super) async fn scroll_into_view(
    journey: &Journey,
    test_id: &str,
    block: &str,
) -> Result<serde_json::Value, fantoccini::error::CmdError> {
    journey
        .client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({ block: arguments[1] });",
            vec![
                serde_json::Value::String(by_test_id(test_id)),
                serde_json::Value::String(block.to_owned()),
            ],
        )
        .await
}

/// The first case (in the list's order, up to 500) whose detail `pick` takes something from,
/// found through the app's own commands: its id and what was taken.
pub(super) async fn find_case<T>(
    journey: &Journey,
    pick: impl Fn(&serde_json::Value) -> Option<T>,
) -> Option<(String, T)> {
    let page = invoke(
        journey,
        "list_cases",
        serde_json::json!({ "query": { "limit": 500 } }),
    )
    .await;
    let rows = page["ok"]["rows"].as_array().cloned().unwrap_or_default();
    for row in rows {
        let id = row["id"].as_str().unwrap_or_default().to_owned();
        let detail = invoke(journey, "get_case", serde_json::json!({ "id": id })).await;
        if let Some(found) = pick(&detail["ok"]) {
            return Some((id, found));
        }
    }
    None
}

/// A seeded case with a document: the case's id and its first document's JSON.
pub(super) async fn case_with_a_document(journey: &Journey) -> (String, serde_json::Value) {
    find_case(journey, |detail| {
        detail["documents"]
            .as_array()
            .and_then(|d| d.first())
            .cloned()
    })
    .await
    .expect("a seeded case with a document")
}

/// The sandbox (seeded demo tenant) with its data in the app's home, as the journeys start it.
pub(super) async fn sandbox_in(home: &AppHome) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        data: Some(home.path().join("external-sandbox.sqlite")),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

/// An S3 connector saved as Settings saves it, before the app starts: in the home's
/// `settings.json`, its secret (the test peer's) in the keychain only; answers its id.
pub(super) fn preset_s3_connector(
    home: &AppHome,
    name: &str,
    s3: pd_domain::S3Settings,
) -> uuid::Uuid {
    let connector_id = uuid::Uuid::new_v4();
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    let settings = pd_settings::Settings {
        connectors: vec![pd_settings::Connector {
            id: connector_id,
            name: name.into(),
            settings: pd_domain::ConnectorSettings::S3(s3),
        }],
        ..pd_settings::Settings::default()
    };
    pd_settings::save(&config.join("settings.json"), &settings).expect("settings");
    pd_secrets::SecretStore::new(&home.namespace)
        .expect("keychain")
        .set(
            &connector_id.to_string(),
            pd_settings::CONNECTOR_SECRET,
            &pd_secrets::SecretString::from(pd_s3test::SECRET_KEY),
        )
        .expect("connector secret");
    connector_id
}

/// Lowercase hex SHA-256 of `bytes`.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
