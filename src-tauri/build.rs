//! Runs tauri-build: validates tauri.conf.json, resolves the capabilities in
//! src-tauri/capabilities and generates one permission per command declared in `pd-ipc`, so the
//! window may call exactly the IPC contract and nothing else.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=ui/dist");
    webkit_version_cfg();
    release_link_layout();
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

/// The symbols `src-tauri/link/record-startup-symbols.sh` recorded running while the app starts
/// and shows its first list; the linker places their code side by side.
const STARTUP_SYMBOLS: &str = "src-tauri/link/startup-symbols.txt";

/// Release builds of the app for x86_64 Linux link with that order file (rust-lld, the
/// toolchain's linker there, reads it; symbols no longer in the binary are skipped quietly).
/// The kernel maps a binary's code 64 KB around each first touch, so start-up code strewn over
/// the whole `.text` kept most of it resident (ARCHITECTURE.md, "The app binary's layout").
/// Where the C library reads packed relative relocations (glibc 2.36 and later), they are
/// packed too: ld.so reads the table once at start and its pages stay mapped (1.3 MB unpacked).
/// `PARTNERDESK_SYMBOL_ORDER=0` links without either (for a linker other than lld).
fn release_link_layout() {
    println!("cargo:rerun-if-changed={STARTUP_SYMBOLS}");
    println!("cargo:rerun-if-env-changed=PARTNERDESK_SYMBOL_ORDER");
    let release = std::env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let target = std::env::var("TARGET").is_ok_and(|t| t == "x86_64-unknown-linux-gnu");
    let wanted = std::env::var("PARTNERDESK_SYMBOL_ORDER").as_deref() != Ok("0");
    if !(release && target && wanted) {
        return;
    }
    let file =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join(STARTUP_SYMBOLS);
    if file.is_file() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            file.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
    if glibc_at_least(2, 36) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the build machine's C library (`getconf GNU_LIBC_VERSION`: "glibc 2.36") is at
/// least `major.minor`; the binary links against it, so it needs at least that version anyway.
fn glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(out) = std::process::Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
    else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .split('.')
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor)
}
