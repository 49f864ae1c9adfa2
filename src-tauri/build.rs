//! Runs tauri-build: validates tauri.conf.json, resolves the capabilities in
//! src-tauri/capabilities and generates one permission per command declared in `pd-ipc`, so the
//! window may call exactly the IPC contract and nothing else.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=ui/dist");
    webkit_version_cfg();
    if !Path::new("ui/dist/index.html").exists() {
        println!(
            "cargo:warning=ui/dist/index.html is missing: run `npm --prefix ui ci && npm --prefix ui run build` (or `bash .ci/start`) first"
        );
    }
    let names: Vec<&'static str> = pd_ipc::COMMAND_NAMES
        .iter()
        .chain(pd_ipc::CHANNEL_COMMAND_NAMES)
        .copied()
        .collect();
    let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(names));
    if let Err(error) = tauri_build::try_build(attributes) {
        eprintln!("tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}

/// `webkit_app_process_without_egl` when building against WebKitGTK 2.50 or later, the version
/// whose app process was measured drawing without an EGL display (src-tauri/src/webkit.rs).
fn webkit_version_cfg() {
    println!("cargo::rustc-check-cfg=cfg(webkit_app_process_without_egl)");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let at_least = linux
        && std::process::Command::new("pkg-config")
            .args(["--atleast-version=2.50", "webkit2gtk-4.1"])
            .status()
            .is_ok_and(|status| status.success());
    if at_least {
        println!("cargo:rustc-cfg=webkit_app_process_without_egl");
    }
}
