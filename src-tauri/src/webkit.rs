//! WebKitGTK settings of the app's window, for memory (issue 16: the whole app under 250 MB
//! PSS). The window shows one local page: a browser's resource caches sized for many sites, the
//! back/forward page cache, WebGL and Web Audio only cost memory here, and WebKit's compositing
//! mode doubled the web process while scrolling slower under software drawing.

/// Environment WebKit's processes read when they start; set before the first window. A value
/// already in the environment wins, so a benchmark can compare settings
/// (`WEBKIT_DISABLE_COMPOSITING_MODE=0`).
///
/// WebKitGTK draws without its compositing mode: with 100,000 cases cached the web process
/// needed 139 MB PSS instead of 254 MB, and scrolling the case list was faster, not slower
/// (frame p95 299 ms against 871 ms on the loaded build machine under Xvfb, debug build;
/// `cargo bench --bench app_start`, README). This is what the hardware-acceleration policy
/// "never" does, set early enough to reach the first web process.
///
/// GTK itself does not open OpenGL for the window (`GDK_GL=disable`): nothing in the app draws
/// with GTK's GL, and its visual check loaded Mesa's GLX driver a second time into the app
/// process (2 MB PSS at rest with 100,000 cases; WebKit's own EGL display, and with it Mesa's
/// LLVM, stays: its web process refuses to start without one).
///
/// JavaScriptCore in the web process runs the page's code with its interpreter and baseline
/// JIT only, not its optimizing DFG tier (`JSC_useDFGJIT=false`; JavaScriptCore reads its
/// options from the environment): with 100,000 cases the web process held 124 MB PSS at rest
/// instead of 130 to 132 MB, and the frame times while flinging the list stayed within the
/// run-to-run spread (p95 34 to 45 ms against 39 to 46 ms; README, issue 16, fourth round).
pub fn before_start() {
    #[cfg(target_os = "linux")]
    app_process_without_egl();
    #[cfg(target_os = "linux")]
    for (name, value) in [
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("GDK_GL", "disable"),
        ("JSC_useDFGJIT", "false"),
    ] {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

/// The variable that tells libglvnd, the EGL dispatcher WebKit calls, which vendor libraries
/// to load (the only one here is Mesa's).
#[cfg(target_os = "linux")]
const EGL_VENDOR_FILES: &str = "__EGL_VENDOR_LIBRARY_FILENAMES";

/// Keeps Mesa (and its LLVM) out of the app process; the web process keeps its EGL display.
///
/// WebKitGTK 2.50 opens an EGL display in the app process when the page first loads, only to
/// learn whether the web process could hand it GPU buffers; with compositing off (above) it
/// draws through shared memory either way. That display loaded Mesa's driver and LLVM into the
/// app process: 22 to 24 MB PSS (LLVM's relocated data is private to each process). The web
/// process refuses to start without an EGL display of its own ("Could not create default EGL
/// display"), so EGL cannot simply be turned off for both. libglvnd reads its vendor list once
/// per process, at the first EGL call: asked here, before any window or thread, with that list
/// pointed at nothing, the app process keeps an empty list; the variable is then put back as
/// it was, so the web process WebKit starts later loads Mesa as before. WebKit then draws the
/// page through shared memory, as compositing-off did already. Built only against WebKitGTK
/// 2.50 or later (build.rs), the version this was measured with; an earlier one might not
/// accept an app process without EGL. `PARTNERDESK_WEBKIT_DEFAULTS=1` leaves it out.
#[cfg(target_os = "linux")]
fn app_process_without_egl() {
    #[cfg(webkit_app_process_without_egl)]
    {
        if webkit_defaults_asked() {
            return;
        }
        let before = std::env::var_os(EGL_VENDOR_FILES);
        std::env::set_var(
            EGL_VENDOR_FILES,
            "/nonexistent/partnerdesk-no-egl-vendor.json",
        );
        // Any EGL call loads the vendor list; the client extensions need no display.
        let _ = khronos_egl::API.query_string(None, khronos_egl::EXTENSIONS);
        match before {
            Some(value) => std::env::set_var(EGL_VENDOR_FILES, value),
            None => std::env::remove_var(EGL_VENDOR_FILES),
        }
    }
}

/// `PARTNERDESK_WEBKIT_DEFAULTS=1`: WebKit's own defaults, to measure what the settings here do.
fn webkit_defaults_asked() -> bool {
    std::env::var_os("PARTNERDESK_WEBKIT_DEFAULTS").is_some_and(|v| v == "1")
}

/// Settings applied to a window's webview once it exists (they reach its web process at once).
/// `PARTNERDESK_WEBKIT_DEFAULTS=1` leaves WebKit's defaults, to measure the difference.
pub fn tune(window: &tauri::WebviewWindow) {
    if webkit_defaults_asked() {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let done = window.with_webview(|platform| {
            use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
            let view = platform.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                settings.set_enable_page_cache(false);
                settings.set_enable_webgl(false);
                settings.set_enable_webaudio(false);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(error) = done {
            tracing::warn!(%error, "WebKit memory settings not applied");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}
