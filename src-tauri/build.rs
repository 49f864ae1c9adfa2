//! Runs tauri-build: validates tauri.conf.json, resolves the capabilities in
//! src-tauri/capabilities and generates one permission per app command, so the window may call
//! exactly the IPC contract and nothing else.

use std::path::Path;

/// The IPC contract (ARCHITECTURE.md); each gets an `allow-<name>` permission.
const COMMANDS: &[&str] = &[
    "list_cases",
    "case_status_counts",
    "get_case",
    "list_exceptions",
    "exception_facets",
    "list_partners",
    "get_partner",
    "list_users",
    "sync_status",
    "sync_now",
    "create_case_from_exception",
    "add_comment",
    "update_case",
    "create_case",
    "link_transaction",
    "unlink_transaction",
    "outbox_list",
    "outbox_retry",
    "outbox_edit",
    "outbox_discard",
    "dismiss_conflict",
    "keychain_status",
    "list_accounts",
    "save_account",
    "remove_account",
    "switch_account",
    "test_account",
    "list_connectors",
    "save_connector",
    "remove_connector",
    "test_connector",
];

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=ui/dist");
    if !Path::new("ui/dist/index.html").exists() {
        println!(
            "cargo:warning=ui/dist/index.html is missing: run `npm --prefix ui ci && npm --prefix ui run build` (or `bash .ci/start`) first"
        );
    }
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        eprintln!("tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
