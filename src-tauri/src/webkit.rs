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

/// Settings applied to a window's webview once it exists (they reach its web process at once).
/// `PARTNERDESK_WEBKIT_DEFAULTS=1` leaves WebKit's defaults, to measure the difference.
pub fn tune(window: &tauri::WebviewWindow) {
    if std::env::var_os("PARTNERDESK_WEBKIT_DEFAULTS").is_some_and(|v| v == "1") {
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
