//! The real app binary in a real window, driven through tauri-driver and WebKitWebDriver the way
//! an analyst clicks: demo workspace, case list, search, a case, the exceptions inbox, opening a
//! case from an exception, and the offline state with the server stopped; offline-first writes
//! (a comment and a status change made with the server down are sent once, by themselves, when
//! it returns); and a real account added in Settings (test, switch, its tenant's cases, a wrong
//! secret refused with a clear message); and an account on a Trading-Grid-only host (no
//! `/collab/`): Settings says what it serves, the inbox works, a case opened from an exception is
//! kept "on this computer only" with no sync failure, then a case server added in Settings gets
//! that case, once; and the connectors (Wix and Drupal doubles on loopback, started here): a
//! failed-transaction event posted to the app's loopback listener opens a case, the analyst
//! previews and publishes a Wix notice, resolving withdraws it, the resolution is promoted to a
//! Drupal article, each double holding each write once; and files dropped on a case (the target
//! highlighted, the confirmation strip) upload with progress, a 200 MiB one through S3.
//!
//! Runs only with `PARTNERDESK_E2E=1` (it needs a display, `tauri-driver` and `WebKitWebDriver`)
//! inside a keyring session; `.ci/test` runs it under `xvfb-run` and `.ci/with-keyring.sh`.
//! Screenshots of each step go to `tests/artifacts/`.

// The app tests' shared set-up (throwaway keychain namespace), one copy for both packages.
#[path = "../src-tauri/crates/app/tests/common/mod.rs"]
mod common;

use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use partnerdesk_sandbox::{Sandbox, SandboxConfig, SandboxHandle};

const WAIT: Duration = Duration::from_secs(60);

fn by_test_id(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// Finds tauri-driver on PATH or in the cache `.ci/install.sh` installs it to.
fn tauri_driver_path() -> PathBuf {
    if let Some(path) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("tauri-driver"))
            .find(|candidate| candidate.is_file())
    }) {
        return path;
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".cache/partnerdesk/tools/bin/tauri-driver")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("local address").port()
}

/// tauri-driver, stopped with SIGTERM (SIGKILL would leave WebKitWebDriver running). It runs in
/// its own process group, so what it started (WebKitWebDriver, the app, the app's web
/// processes) is ended with it even when the app outlived its session (it keeps running in the
/// tray when its window is closed).
struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Journey {
    client: Client,
    artifacts: PathBuf,
    prefix: &'static str,
    step: u32,
}

impl Journey {
    async fn shot(&mut self, name: &str) {
        self.step += 1;
        let path = self
            .artifacts
            .join(format!("{}{:02}-{name}.png", self.prefix, self.step));
        self.after_next_paint().await;
        // WebKitWebDriver answers a screenshot after the page's next presentation update: on a
        // page where nothing moves that took 45-50 s (the Transfers view). A 1 px, almost
        // transparent spinning dot keeps updates coming while the screenshot is taken.
        let _ = self
            .client
            .execute(
                "const dot = document.createElement('div');
                 dot.id = 'e2e-paint-dot';
                 dot.className = 'spinner';
                 dot.style.cssText = 'position:fixed;left:0;bottom:0;width:2px;height:2px;border:0;background:#888;opacity:0.02;pointer-events:none';
                 document.body.appendChild(dot);",
                vec![],
            )
            .await;
        let png = self.client.screenshot().await;
        let _ = self
            .client
            .execute(
                "document.getElementById('e2e-paint-dot')?.remove();",
                vec![],
            )
            .await;
        match png {
            Ok(png) => {
                if let Err(error) = std::fs::write(&path, png) {
                    eprintln!("could not save {}: {error}", path.display());
                }
            }
            Err(error) => eprintln!("screenshot {name} failed: {error}"),
        }
        eprintln!("{}step {}: {name}", self.prefix, self.step);
    }

    /// What a failed wait leaves for whoever reads the log: a screenshot of the window as it
    /// was (`<prefix>FAILED-<what>.png`) and the page's visible text (an error banner, a form
    /// refusing a field), so a failure on CI can be read without running it again.
    async fn failure(&self, what: &str) -> String {
        let name: String = what
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let path = self
            .artifacts
            .join(format!("{}FAILED-{name}.png", self.prefix));
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(&path, png);
        }
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : ''",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let text: String = text.chars().take(1500).collect();
        format!("screenshot {}; the page read:\n{text}", path.display())
    }

    /// Waits until the window has painted what the page's DOM holds now: the callback of a
    /// second animation frame runs after the frame of the first has been painted. (A screenshot
    /// taken right after the DOM changed once showed the previous screen.) A window that paints
    /// no frames (hidden) still gets its screenshot after a second.
    async fn after_next_paint(&self) {
        let painted = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const timer = setTimeout(() => done(false), 1000);
                 requestAnimationFrame(() => requestAnimationFrame(() => {
                   clearTimeout(timer);
                   done(true);
                 }));",
                vec![],
            )
            .await;
        match painted {
            Ok(serde_json::Value::Bool(true)) => {}
            Ok(_) => eprintln!("the window painted no frame within a second"),
            Err(error) => eprintln!("waiting for the next paint failed: {error}"),
        }
    }

    /// Clicks the element with `test_id` once it appears.
    async fn click(&self, test_id: &str) {
        self.wait_for(test_id)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("click {test_id}: {error}"));
    }

    /// Types into the field with `test_id`.
    async fn type_into(&self, test_id: &str, text: &str) {
        self.wait_for(test_id)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|error| panic!("type into {test_id}: {error}"));
    }

    /// Waits until an element with `test_id` has attribute `name` equal to `value`.
    async fn wait_for_attr(&self, test_id: &str, name: &str, value: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            for element in self.all(test_id).await {
                if element.attr(name).await.ok().flatten().as_deref() == Some(value) {
                    return element;
                }
            }
            if Instant::now() >= deadline {
                let context = self.failure(test_id).await;
                panic!("no {test_id} ever had {name}={value:?}; {context}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The route part of the page's URL (`#/cases/<id>`).
    async fn hash(&self) -> String {
        self.client
            .execute("return window.location.hash;", vec![])
            .await
            .ok()
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Goes to a route the way a link does.
    async fn go(&self, hash: &str) {
        self.client
            .execute(
                "window.location.hash = arguments[0];",
                vec![serde_json::Value::String(hash.to_owned())],
            )
            .await
            .expect("navigate");
    }

    async fn wait_for(&self, test_id: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(&by_test_id(test_id)))
            .await
        {
            Ok(element) => element,
            Err(error) => {
                let context = self.failure(test_id).await;
                panic!("{test_id} never appeared: {error}; {context}")
            }
        }
    }

    async fn all(&self, test_id: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(&by_test_id(test_id)))
            .await
            .unwrap_or_default()
    }

    /// Polls until `test_id` elements satisfy `accept` (by count), returning them.
    async fn wait_for_count(
        &self,
        test_id: &str,
        what: &str,
        accept: impl Fn(usize) -> bool,
    ) -> Vec<Element> {
        let deadline = Instant::now() + WAIT;
        loop {
            let found = self.all(test_id).await;
            if accept(found.len()) {
                return found;
            }
            if Instant::now() >= deadline {
                let context = self.failure(test_id).await;
                panic!("{what}: saw {} {test_id}; {context}", found.len());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Double-clicks (how a row opens; a single click only selects it).
    async fn double_click(&self, element: &Element) {
        let target = serde_json::to_value(element).expect("element reference");
        self.client
            .execute(
                "arguments[0].dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));",
                vec![target],
            )
            .await
            .expect("double-click");
    }

    /// The title (`case-row-title`) of each case row.
    async fn titles(&self, rows: &[Element]) -> Vec<String> {
        let mut titles = Vec::with_capacity(rows.len());
        for row in rows {
            let title = match row.find(Locator::Css(&by_test_id("case-row-title"))).await {
                Ok(cell) => match cell.attr("title").await {
                    Ok(Some(title)) => title,
                    _ => cell.text().await.unwrap_or_default(),
                },
                Err(_) => String::new(),
            };
            titles.push(title);
        }
        titles
    }
}

/// The word of 5+ letters that occurs in the fewest rows: a search for it should narrow the list.
fn rare_word(rows: &[String]) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for row in rows {
        for word in row.split(|c: char| !c.is_alphabetic()) {
            if word.chars().count() < 5 {
                continue;
            }
            let needle = word.to_lowercase();
            let frequency = rows
                .iter()
                .filter(|other| other.to_lowercase().contains(&needle))
                .count();
            if best.as_ref().is_none_or(|(count, _)| frequency < *count) {
                best = Some((frequency, word.to_owned()));
            }
        }
    }
    best.map(|(_, word)| word)
}

/// Whether the end-to-end tests should run; says why not when they should not.
fn e2e_enabled() -> bool {
    if std::env::var("PARTNERDESK_E2E").as_deref() != Ok("1") {
        eprintln!(
            "skipped: the end-to-end test needs a display, tauri-driver and WebKitWebDriver; \
             run it with PARTNERDESK_E2E=1 (bash .ci/test does)"
        );
        return false;
    }
    true
}

/// Runs a journey on its own runtime. The runtime is shut down with a bound, even after a
/// panic, so a task still blocked in a system call cannot keep the test thread alive.
fn run_journey<F: std::future::Future<Output = ()>>(journey: F) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(journey);
    }));
    runtime.shutdown_timeout(Duration::from_secs(10));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

// The desktop (issue 14): palette, Mine, notifications, tray, theme, single instance.
#[path = "support/desk_journey.rs"]
mod desk_journey;

#[test]
fn the_palette_works_a_case_notifications_and_the_tray_reach_the_analyst_and_a_second_launch_focuses_the_first(
) {
    if e2e_enabled() {
        run_journey(desk_journey::desk_journey());
    }
}

// Documents on a case (issue 10): drop, upload, open.
#[path = "e2e/documents.rs"]
mod documents;

// Drop folders and EDI routing (issues 11 and 12): a folder added in the window, files on disk.
#[path = "e2e/folders.rs"]
mod folders;

// Issue 11, point 6: a case's document sent to a partner's SFTP inbox from its row.
#[path = "e2e/deliver.rs"]
mod deliver;

// Steps the journeys under tests/e2e/ share (commands from the page, theme, scrolling, finding a
// seeded case, the sandbox in the app's home).
#[path = "e2e/steps.rs"]
mod steps;

// Issue 10, the window side: a drop onto a case, its progress, S3 for a large file, "Open".
#[test]
fn files_dropped_on_a_case_upload_with_progress_and_a_large_one_goes_through_s3() {
    if e2e_enabled() {
        run_journey(documents::drop_journey());
    }
}

#[test]
fn an_analyst_works_cases_and_exceptions_and_sees_the_offline_state() {
    if e2e_enabled() {
        run_journey(journey());
    }
}

#[test]
fn changes_made_offline_are_sent_once_when_the_server_returns() {
    if e2e_enabled() {
        run_journey(outbox_journey());
    }
}

#[test]
fn an_analyst_adds_a_trading_grid_account_and_works_in_it() {
    if e2e_enabled() {
        run_journey(account_journey());
    }
}

#[test]
fn an_account_on_a_trading_grid_only_host_keeps_cases_here_then_shares_them() {
    if e2e_enabled() {
        run_journey(tenant_journey());
    }
}

#[test]
fn an_event_opens_a_case_the_analyst_publishes_a_notice_and_resolving_withdraws_it_and_promotes_an_article(
) {
    if e2e_enabled() {
        run_journey(connectors_journey());
    }
}

#[test]
fn a_closed_case_is_exported_under_retention_and_its_verify_passes() {
    if e2e_enabled() {
        run_journey(retention_journey());
    }
}

/// The app's folders and keychain namespace for one journey.
struct AppHome {
    root: tempfile::TempDir,
    namespace: String,
}

impl AppHome {
    fn new() -> AppHome {
        let namespace = common::keychain_namespace()
            .expect("the end-to-end tests need a keychain: run them under .ci/with-keyring.sh");
        AppHome {
            root: tempfile::tempdir().expect("temp data dir"),
            namespace,
        }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }
}

/// The memory the app saves by keeping EGL out of its own process (src-tauri/src/webkit.rs):
/// while the window shows the case list, the app process has neither Mesa's EGL library nor
/// its LLVM mapped, and its web process, which draws the page, has both.
#[cfg(webkit_app_process_without_egl)]
fn the_app_process_draws_without_mesa(home: &AppHome) {
    let app = std::fs::canonicalize(env!("CARGO_BIN_EXE_partnerdesk")).expect("the app binary");
    let marker = format!("PARTNERDESK_DATA_DIR={}", home.path().join("app").display());
    let pids: Vec<u32> = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    let app_pid = pids
        .iter()
        .copied()
        .find(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app)
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == marker.as_bytes()))
        })
        .expect("the app's process");
    let maps = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let mesa = |maps: &str| maps.contains("libEGL_mesa") || maps.contains("libLLVM");
    let web_pid = pids
        .iter()
        .copied()
        .find(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let parent = stat
                .rsplit_once(") ")
                .and_then(|(_, rest)| rest.split(' ').nth(1));
            parent == Some(app_pid.to_string().as_str())
                && std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|comm| comm.starts_with("WebKitWebProces"))
        })
        .expect("the app's web process");
    assert!(
        !mesa(&maps(app_pid)),
        "the app process {app_pid} loaded Mesa's EGL or LLVM"
    );
    assert!(
        mesa(&maps(web_pid)),
        "the web process {web_pid} has no EGL display: is this WebKitGTK 2.50 with Mesa?"
    );
}

/// Starts tauri-driver (which starts the app) pointed at `server_url`, and connects to it.
async fn launch(home: &AppHome, server_url: &str, prefix: &'static str) -> (Driver, Journey) {
    launch_with(home, server_url, prefix, &[]).await
}

/// [`launch`] with more environment for the app (e.g. a Wix API base on loopback).
async fn launch_with(
    home: &AppHome,
    server_url: &str,
    prefix: &'static str,
    extra_env: &[(&str, &str)],
) -> (Driver, Journey) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let artifacts = root.join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    let app = PathBuf::from(env!("CARGO_BIN_EXE_partnerdesk"));
    let driver_path = tauri_driver_path();
    assert!(
        driver_path.is_file(),
        "tauri-driver not found (bash .ci/install.sh installs it): {}",
        driver_path.display()
    );
    let port = free_port();
    let native_port = free_port();
    let driver = Driver {
        child: Command::new(&driver_path)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("PARTNERDESK_DATA_DIR", home.path().join("app"))
            .env("PARTNERDESK_CONFIG_DIR", home.path().join("config"))
            .env("PARTNERDESK_KEYCHAIN_NAMESPACE", &home.namespace)
            .env("PARTNERDESK_SERVER_URL", server_url)
            .envs(extra_env.iter().copied())
            .stdin(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("tauri-driver starts"),
    };
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".into(), "wry".into());
    capabilities.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": app.display().to_string() }),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let client = loop {
        match ClientBuilder::native()
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => break client,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "could not reach tauri-driver: {error}"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    (
        driver,
        Journey {
            client,
            artifacts,
            prefix,
            step: 0,
        },
    )
}

async fn journey() {
    let home = AppHome::new();
    let sandbox = Sandbox::start(SandboxConfig {
        data: Some(home.path().join("external-sandbox.sqlite")),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let server_url = sandbox.base_url();
    eprintln!("sandbox at {server_url}");
    let (_driver, mut journey) = launch(&home, &server_url, "").await;

    // 1. The app opens on the demo workspace.
    let badge = journey.wait_for("demo-badge").await;
    assert!(
        badge.is_displayed().await.unwrap_or(false),
        "demo badge hidden"
    );
    journey.shot("demo-workspace").await;

    // 2. The first sync fills the case list with the seeded cases.
    let rows = journey
        .wait_for_count("case-row", "seeded cases after the first sync", |n| n >= 5)
        .await;
    let titles = journey.titles(&rows).await;
    journey.shot("case-list").await;
    #[cfg(webkit_app_process_without_egl)]
    the_app_process_draws_without_mesa(&home);

    // 3. Search narrows the list.
    let word = rare_word(&titles).expect("a searchable word in the case titles");
    let search = journey.wait_for("case-search").await;
    search.send_keys(&word).await.expect("type a search");
    let before = rows.len();
    let narrowed = journey
        .wait_for_count(
            "case-row",
            &format!("search for {word:?} narrowing {before} rows"),
            |n| n >= 1 && n < before,
        )
        .await;
    eprintln!("search {word:?}: {before} rows -> {}", narrowed.len());
    journey.shot("search").await;

    // 4. A case opens with its thread.
    narrowed[0].click().await.expect("select the case");
    journey.double_click(&narrowed[0]).await;
    let title = journey.wait_for("case-title").await;
    assert!(
        !title.text().await.unwrap_or_default().trim().is_empty(),
        "empty case title"
    );
    journey
        .wait_for_count("comment", "comments in the case thread", |n| n >= 1)
        .await;
    eprintln!(
        "linked transactions shown: {}",
        journey.all("linked-transaction").await.len()
    );
    journey.shot("case-detail").await;

    // 5. The exceptions inbox lists failed transactions.
    journey
        .wait_for("nav-exceptions")
        .await
        .click()
        .await
        .expect("go to exceptions");
    journey
        .wait_for_count("exception-row", "failed transactions in the inbox", |n| {
            n >= 1
        })
        .await;
    journey.shot("exceptions").await;

    // 6. "Open case" on an exception opens a case linked to that transaction.
    journey
        .wait_for("open-case-from-exception")
        .await
        .click()
        .await
        .expect("open a case from the exception");
    journey
        .wait_for_count("exception-row", "leaving the inbox for the new case", |n| {
            n == 0
        })
        .await;
    let title = journey
        .wait_for("case-title")
        .await
        .text()
        .await
        .unwrap_or_default();
    eprintln!("case opened from the exception: {title}");
    journey
        .wait_for_count(
            "linked-transaction",
            "the transaction linked to the new case",
            |n| n >= 1,
        )
        .await;
    journey.shot("case-from-exception").await;

    // 7. With the server stopped, "sync now" says offline and the cached cases stay.
    sandbox.shutdown().await.expect("sandbox stops");
    journey
        .wait_for("nav-cases")
        .await
        .click()
        .await
        .expect("go to cases");
    journey
        .wait_for("sync-now")
        .await
        .click()
        .await
        .expect("sync now");
    let banner = journey.wait_for("offline-banner").await;
    assert!(
        banner.is_displayed().await.unwrap_or(false),
        "offline banner hidden"
    );
    journey
        .wait_for_count("case-row", "cached cases while offline", |n| n >= 1)
        .await;
    journey.shot("offline").await;

    let _ = journey.client.close().await;
}

/// Starts the sandbox over `data` at `listen` (port 0: any), retrying while the old socket of a
/// stopped server at that port is released.
async fn sandbox_at(listen: SocketAddr, data: PathBuf) -> SandboxHandle {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match Sandbox::start(SandboxConfig {
            listen,
            data: Some(data.clone()),
            ..SandboxConfig::default()
        })
        .await
        {
            Ok(handle) => return handle,
            Err(error) => {
                assert!(Instant::now() < deadline, "sandbox did not start: {error}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

async fn outbox_journey() {
    let home = AppHome::new();
    let data = home.path().join("outbox-sandbox.sqlite");
    let sandbox = sandbox_at(SocketAddr::from(([127, 0, 0, 1], 0)), data.clone()).await;
    let listen = sandbox.addr();
    let (_driver, mut journey) = launch(&home, &sandbox.base_url(), "outbox-").await;

    // A case, opened while online.
    let rows = journey
        .wait_for_count("case-row", "seeded cases after the first sync", |n| n >= 5)
        .await;
    rows[0].click().await.expect("select the case");
    journey.double_click(&rows[0]).await;
    journey.wait_for("case-title").await;
    let case_route = journey.hash().await;
    let case_id = case_route
        .rsplit('/')
        .next()
        .expect("case id in the route")
        .to_owned();
    assert!(!case_id.is_empty(), "route {case_route}");

    // The server goes away; the analyst keeps working.
    sandbox.shutdown().await.expect("sandbox stops");
    journey.click("sync-now").await;
    journey.wait_for("offline-banner").await;
    let comment_text = format!("Resent the ASN, please confirm ({})", std::process::id());
    journey.type_into("comment-input", &comment_text).await;
    journey.click("comment-submit").await;
    journey
        .wait_for_attr("comment", "data-send-state", "pending")
        .await;
    let status = journey.wait_for("case-status-select").await;
    let current = status
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let target = if current == "resolved" {
        "waiting_on_partner"
    } else {
        "resolved"
    };
    status
        .select_by_value(target)
        .await
        .expect("change the status");
    journey.wait_for("field-pending-status").await;
    journey.shot("offline-changes-pending").await;

    journey.click("nav-outbox").await;
    let entries = journey
        .wait_for_count("outbox-entry", "the two waiting changes", |n| n == 2)
        .await;
    journey.shot("outbox-pending").await;
    for entry in &entries {
        // "in_flight": the worker is trying the (stopped) server right now; still waiting.
        let state = entry.attr("data-state").await.ok().flatten();
        assert!(
            matches!(state.as_deref(), Some("pending" | "in_flight")),
            "a waiting change shows as {state:?}"
        );
    }

    // The server returns at the same address: no click, the changes go out by themselves.
    let sandbox = sandbox_at(listen, data).await;
    eprintln!("sandbox back at {}", sandbox.base_url());
    journey
        .wait_for_count("outbox-entry", "the outbox emptying by itself", |n| n == 0)
        .await;
    journey.shot("outbox-sent").await;
    journey.go(&case_route).await;
    journey.wait_for("case-title").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let mut sent = false;
        for comment in journey.all("comment").await {
            let text = comment.text().await.unwrap_or_default();
            let state = comment.attr("data-send-state").await.ok().flatten();
            if text.contains(&comment_text) && state.as_deref() == Some("sent") {
                sent = true;
            }
        }
        if sent && journey.all("field-pending-status").await.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the comment never showed as sent"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    journey.shot("case-changes-sent").await;

    let applied = sandbox
        .applied_ops(Some(&case_id))
        .await
        .expect("applied ops");
    let kinds: Vec<&str> = applied.iter().map(|op| op.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|kind| **kind == "add_comment").count(),
        1,
        "the comment arrived once: {kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|kind| **kind == "patch_case").count(),
        1,
        "the status change arrived once: {kinds:?}"
    );
    let _ = journey.client.close().await;
    sandbox.shutdown().await.expect("sandbox stops");
}

const SECOND_COMPANY: &str = "GC00SECOND99";
const SECOND_KEY: &str = "second-tenant-key";
const SECOND_SECRET: &str = "second-tenant-SECRET-55d1";
const SECOND_CASES: usize = 17;

async fn account_journey() {
    let home = AppHome::new();
    let demo = sandbox_at(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        home.path().join("demo-sandbox.sqlite"),
    )
    .await;
    let second = Sandbox::start(SandboxConfig {
        data: Some(home.path().join("second-tenant.sqlite")),
        company_id: SECOND_COMPANY.into(),
        consumer_key: SECOND_KEY.into(),
        consumer_secret: SECOND_SECRET.into(),
        seed: 4242,
        cases: SECOND_CASES,
        comments_per_case: 2,
        ..SandboxConfig::default()
    })
    .await
    .expect("second sandbox starts");
    let (_driver, mut journey) = launch(&home, &demo.base_url(), "account-").await;
    journey.wait_for("demo-badge").await;
    journey
        .wait_for_count("case-row", "the demo's cases", |n| n >= 5)
        .await;

    // Add the account in Settings and test it.
    journey.click("nav-settings").await;
    journey.click("account-add").await;
    journey.type_into("account-name", "Second tenant").await;
    journey
        .wait_for("account-host-kind")
        .await
        .select_by_value("custom")
        .await
        .expect("custom host");
    journey
        .type_into("account-custom-url", &second.base_url())
        .await;
    journey
        .type_into("account-company-id", SECOND_COMPANY)
        .await;
    journey.type_into("account-consumer-key", SECOND_KEY).await;
    journey
        .type_into("account-consumer-secret", SECOND_SECRET)
        .await;
    // That sandbox serves cases too.
    journey
        .wait_for("account-case-server-kind")
        .await
        .select_by_value("trading_grid_host")
        .await
        .expect("cases on the same host");
    journey.click("account-test").await;
    let result = journey
        .wait_for_attr("account-test-result", "data-ok", "true")
        .await;
    let words = result.text().await.unwrap_or_default();
    assert!(words.contains(SECOND_COMPANY), "test result: {words}");
    journey.shot("account-test-ok").await;
    journey.click("account-save").await;
    journey
        .wait_for_count("account-row", "the saved account", |n| n == 1)
        .await;
    journey.shot("account-saved").await;

    // The first real account replaces the demo workspace by itself: after the sync the list
    // shows that tenant's cases.
    journey.wait_for("account-active").await;
    journey.click("nav-cases").await;
    journey
        .wait_for_count("case-row", "the second tenant's cases", |n| {
            n == SECOND_CASES
        })
        .await;
    let name = journey
        .wait_for("workspace-name")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(name.contains("Second tenant"), "workspace name: {name}");
    assert!(
        journey.all("demo-badge").await.is_empty(),
        "no demo badge in a real account"
    );
    journey.shot("second-tenant-cases").await;

    // A wrong secret is refused in words.
    journey.click("nav-settings").await;
    journey.click("account-edit").await;
    journey.click("account-consumer-secret-replace").await;
    journey
        .type_into("account-consumer-secret", "not-the-secret")
        .await;
    journey.click("account-test").await;
    let result = journey
        .wait_for_attr("account-test-result", "data-ok", "false")
        .await;
    let words = result.text().await.unwrap_or_default();
    assert!(
        words.contains("The consumer key or secret was refused"),
        "test result: {words}"
    );
    journey.shot("account-test-refused").await;

    let _ = journey.client.close().await;
    second.shutdown().await.expect("second sandbox stops");
    demo.shutdown().await.expect("demo sandbox stops");
}

/// Asserts the status bar does not report a failed sync, now and after `seconds` more (two
/// retry rounds of the sync loop fit in 12 s).
async fn no_sync_failure(journey: &Journey, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let state = journey
            .wait_for("sync-state")
            .await
            .text()
            .await
            .unwrap_or_default();
        assert!(
            !state.contains("Sync failed"),
            "the status bar reports a failure: {state}"
        );
        if Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

const PROBE_WORDS: &str =
    "Partners, users, transactions: yes. Cases: not served here — cases stay on this computer.";

async fn tenant_journey() {
    let home = AppHome::new();
    let demo = sandbox_at(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        home.path().join("demo-sandbox.sqlite"),
    )
    .await;
    let host = Sandbox::start(SandboxConfig {
        data: Some(home.path().join("trading-grid-only.sqlite")),
        serve_cases: false,
        ..SandboxConfig::default()
    })
    .await
    .expect("Trading-Grid-only sandbox starts");
    let defaults = SandboxConfig::default();
    let (_driver, mut journey) = launch(&home, &demo.base_url(), "tenant-").await;
    journey.wait_for("demo-badge").await;

    // An account on the Trading-Grid-only host, no case server (the form's default).
    journey.click("nav-settings").await;
    journey.click("account-add").await;
    journey
        .type_into("account-name", "ACME on Trading Grid")
        .await;
    journey
        .wait_for("account-host-kind")
        .await
        .select_by_value("custom")
        .await
        .expect("custom host");
    journey
        .type_into("account-custom-url", &host.base_url())
        .await;
    journey
        .type_into("account-company-id", &defaults.company_id)
        .await;
    journey
        .type_into("account-consumer-key", &defaults.consumer_key)
        .await;
    journey
        .type_into("account-consumer-secret", &defaults.consumer_secret)
        .await;
    let kind = journey
        .wait_for("account-case-server-kind")
        .await
        .prop("value")
        .await
        .ok()
        .flatten();
    assert_eq!(kind.as_deref(), Some("none"), "no case server by default");
    journey.click("account-save").await;
    journey.wait_for("account-active").await;
    let probe = journey
        .wait_for_attr("account-probe", "data-cases", "not_served")
        .await;
    let words = probe.text().await.unwrap_or_default();
    assert_eq!(words, PROBE_WORDS);
    let where_cases = journey
        .wait_for("account-case-server")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(
        where_cases.contains("on this computer only"),
        "cases: {where_cases}"
    );
    journey.shot("trading-grid-only-account").await;

    // The inbox works; a case opened from an exception stays on this computer.
    journey.click("nav-exceptions").await;
    journey
        .wait_for_count("exception-row", "failed transactions in the inbox", |n| {
            n >= 1
        })
        .await;
    journey.shot("inbox").await;
    journey.click("open-case-from-exception").await;
    journey.wait_for("this-computer-only-banner").await;
    let hash = journey.hash().await;
    let case_id = hash.rsplit('/').next().unwrap_or_default().to_owned();
    assert!(
        hash.starts_with("#/cases/") && !case_id.is_empty(),
        "{hash}"
    );
    journey
        .wait_for_count("linked-transaction", "the linked transaction", |n| n >= 1)
        .await;
    journey.shot("case-on-this-computer").await;
    journey.click("nav-cases").await;
    let rows = journey
        .wait_for_count("case-row", "the case made here", |n| n == 1)
        .await;
    rows[0]
        .find(Locator::Css(&by_test_id("case-row-this-computer-only")))
        .await
        .expect("the case list marks it on this computer only");
    no_sync_failure(&journey, 12).await;
    journey.shot("case-list-no-failure").await;
    assert_eq!(
        host.stats().await.expect("stats").applied_ops,
        0,
        "nothing was sent to the Trading Grid host"
    );

    // A case server is added: the local case is shared, once, and loses its mark.
    let case_server = Sandbox::start(SandboxConfig {
        data: Some(home.path().join("case-server.sqlite")),
        cases: 0,
        ..SandboxConfig::default()
    })
    .await
    .expect("case server starts");
    journey.click("nav-settings").await;
    journey.click("account-edit").await;
    journey
        .wait_for("account-case-server-kind")
        .await
        .select_by_value("url")
        .await
        .expect("a case server of our own");
    journey
        .type_into("account-case-server-url", &case_server.base_url())
        .await;
    journey.shot("case-server-form").await;
    journey.click("account-save").await;
    let share = journey.wait_for("share-local-cases").await;
    let label = share.text().await.unwrap_or_default();
    assert_eq!(label, "Share 1 local case with the case server");
    journey
        .wait_for_attr("account-probe", "data-cases", "yes")
        .await;
    journey.shot("share-offered").await;
    share.click().await.expect("share");
    journey.wait_for("confirm-dialog").await;
    journey.shot("share-confirm").await;
    journey.click("confirm-ok").await;
    journey.wait_for("share-local-cases-done").await;
    journey.click("nav-cases").await;
    let deadline = Instant::now() + WAIT;
    loop {
        let rows = journey.all("case-row").await;
        let marked = journey.all("case-row-this-computer-only").await.len();
        let pending = journey.all("mark-pending").await.len();
        if rows.len() == 1 && marked == 0 && pending == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the shared case still shows as local: {} rows, {marked} marked, {pending} pending",
            rows.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    no_sync_failure(&journey, 6).await;
    journey.shot("case-shared").await;
    let applied = case_server
        .applied_ops(Some(&case_id))
        .await
        .expect("applied ops");
    let kinds: Vec<&str> = applied.iter().map(|op| op.kind.as_str()).collect();
    assert_eq!(kinds, ["create_case"], "the case arrived once: {kinds:?}");
    assert_eq!(case_server.stats().await.expect("stats").cases, 1);

    let _ = journey.client.close().await;
    case_server.shutdown().await.expect("case server stops");
    host.shutdown().await.expect("host stops");
    demo.shutdown().await.expect("demo sandbox stops");
}

// ---- connectors: xConnector event in, Wix notice, Drupal article ---------------------------

const WIX_SITE: &str = "0b7e2a8c-13f4-4e4b-9d8e-2f6c1a0b9e22";
const WIX_KEY: &str = "IST.e2e-wix-key";
const XC_TOKEN: &str = "e2e-listener-token";

impl Journey {
    /// Replaces the text of the field with `test_id`.
    async fn replace_text(&self, test_id: &str, text: &str) {
        let field = self.wait_for(test_id).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {test_id}: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {test_id}: {e}"));
    }

    async fn choose(&self, test_id: &str, value: &str) {
        self.wait_for(test_id)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choose {value} in {test_id}: {e}"));
    }
}

/// Polls `check` (a double's state) until it holds.
async fn until(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn connectors_journey() {
    let home = AppHome::new();
    let sandbox = Sandbox::start(SandboxConfig {
        data: Some(home.path().join("external-sandbox.sqlite")),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let partner_id: String =
        rusqlite::Connection::open(home.path().join("external-sandbox.sqlite"))
            .expect("sandbox file")
            .query_row("SELECT id FROM partners ORDER BY id LIMIT 1", [], |r| {
                r.get(0)
            })
            .expect("a partner");
    let wix = pd_doubles::wix::WixDouble::start(WIX_KEY, WIX_SITE, &["PartnerNotices"]).await;
    let drupal = pd_doubles::drupal::DrupalDouble::start("ops", "drupal-pw").await;
    let (_driver, mut journey) = launch_with(
        &home,
        &sandbox.base_url(),
        "connectors-",
        &[("PARTNERDESK_WIX_API_BASE", wix.base.as_str())],
    )
    .await;
    journey.wait_for("demo-badge").await;

    // Settings: the Wix and Drupal connectors, then what each does, and an xConnector listener.
    journey.click("nav-settings").await;
    journey.click("connector-add").await;
    journey.choose("connector-kind", "wix").await;
    journey.type_into("connector-name", "Partner site").await;
    journey.type_into("connector-site-id", WIX_SITE).await;
    journey.type_into("connector-secret", WIX_KEY).await;
    journey.click("connector-save").await;
    journey
        .wait_for_count("connector-row", "the Wix connector", |n| n == 1)
        .await;
    journey.click("connector-add").await;
    journey.choose("connector-kind", "drupal").await;
    journey.type_into("connector-name", "Knowledge base").await;
    journey.type_into("connector-base-url", &drupal.base).await;
    journey.choose("connector-drupal-auth", "basic").await;
    journey.type_into("connector-client-or-user", "ops").await;
    journey.type_into("connector-secret", "drupal-pw").await;
    journey.click("connector-save").await;
    journey
        .wait_for_count("connector-row", "the Drupal connector", |n| n == 2)
        .await;

    journey.click("work-setup-wix").await;
    journey.type_into("work-notices", "PartnerNotices").await;
    journey.click("work-save").await;
    journey
        .wait_for_count("work-row", "the Wix work", |n| n == 1)
        .await;
    journey.click("work-setup-drupal").await;
    journey.type_into("work-article", "article").await;
    journey.click("work-save").await;
    journey
        .wait_for_count("work-row", "the Drupal work", |n| n == 2)
        .await;
    let port = free_port();
    journey.click("add-xconnector").await;
    journey.replace_text("work-name", "Integration agent").await;
    journey.type_into("work-port", &port.to_string()).await;
    journey.type_into("work-token", XC_TOKEN).await;
    journey.click("work-save").await;
    journey
        .wait_for_count("work-row", "the xConnector", |n| n == 3)
        .await;
    journey.shot("connector-work").await;

    // A failed-transaction event arrives on the loopback listener.
    let title = format!("Invoice {} rejected: unknown tax code", std::process::id());
    let event = serde_json::json!({
        "specversion": "1.0",
        "id": format!("evt-e2e-{}", std::process::id()),
        "source": "urn:tradinggrid:xconnector:agent",
        "type": "com.opentext.tradinggrid.exception.invoice.v1",
        "time": "2026-11-30T09:00:00Z",
        "datacontenttype": "application/json",
        "data": {
            "correlationId": "INV-E2E-77",
            "partnerId": partner_id,
            "state": "failed",
            "summary": title,
            "detail": "The 810 was rejected by the partner's ERP."
        }
    });
    let http = reqwest::Client::new();
    let deadline = Instant::now() + WAIT;
    loop {
        let sent = http
            .post(format!("http://127.0.0.1:{port}/events"))
            .bearer_auth(XC_TOKEN)
            .header("content-type", "application/cloudevents+json")
            .body(event.to_string())
            .send()
            .await;
        if let Ok(answer) = sent {
            assert_eq!(answer.status().as_u16(), 202, "the listener took the event");
            break;
        }
        assert!(Instant::now() < deadline, "the listener never answered");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // The case it opened, from the case list.
    journey.click("nav-cases").await;
    journey
        .type_into("case-search", &std::process::id().to_string())
        .await;
    let rows = journey
        .wait_for_count("case-row", "the opened case", |n| n == 1)
        .await;
    journey.double_click(&rows[0]).await;
    let shown = journey.wait_for("case-title").await;
    assert_eq!(shown.text().await.unwrap_or_default(), title);
    journey.wait_for("case-origin").await;

    // The analyst previews, edits and publishes the notice.
    journey.click("notice-open").await;
    journey
        .replace_text(
            "notice-next-steps",
            "Please hold invoices with tax code 0 until we confirm the fix.",
        )
        .await;
    journey.shot("notice-preview").await;
    journey.click("notice-send").await;
    journey
        .wait_for_attr("publication-state", "data-state", "published")
        .await;
    until("the notice on the Wix site", || {
        wix.items("PartnerNotices").len() == 1
    })
    .await;
    journey.shot("notice-published").await;

    // Resolving the case withdraws the notice.
    journey.choose("case-status-select", "resolved").await;
    until("the notice withdrawn", || {
        wix.items("PartnerNotices")
            .values()
            .all(|item| item["state"] == "withdrawn")
    })
    .await;
    journey
        .wait_for_attr("publication-state", "data-state", "withdrawn")
        .await;

    // The resolution is promoted to an article.
    journey.click("article-open").await;
    journey.shot("article-preview").await;
    journey.click("article-send").await;
    until("the article on the Drupal site", || {
        drupal.nodes("article").len() == 1
    })
    .await;
    // The notice is withdrawn by now: the published pill is the article's.
    journey
        .wait_for_attr("publication-state", "data-state", "published")
        .await;
    journey.shot("notice-withdrawn-article-published").await;

    // Each double holds each write once.
    let wix_writes: Vec<&str> = wix.writes().iter().map(|w| w.op).collect();
    assert_eq!(wix_writes, ["insert", "update"]);
    let drupal_writes: Vec<&str> = drupal.writes().iter().map(|w| w.op).collect();
    assert_eq!(drupal_writes, ["create"]);
    let _ = journey.client.close().await;
}

/// Retention (issue 15): with an S3 connector whose bucket has Object Lock (moto_server), the
/// analyst picks it in Settings → Retention, closes a case, and its export appears on the case
/// with its retention date; "Verify" downloads the manifest and every hash matches.
async fn retention_journey() {
    let home = AppHome::new();
    let Some(moto) = pd_s3test::S3Peer::moto() else {
        return;
    };
    let sandbox = sandbox_at(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        home.path().join("retention-sandbox.sqlite"),
    )
    .await;
    let s3 = pd_domain::S3Settings {
        endpoint: Some(moto.endpoint()),
        region: pd_s3test::REGION.into(),
        bucket: "partnerdesk-retention".into(),
        access_key_id: pd_s3test::ACCESS_KEY.into(),
    };
    pd_connectors::S3Client::new(
        &s3,
        Some(pd_s3test::SECRET_KEY),
        &pd_connectors::ConnectorOptions::default(),
    )
    .expect("s3 client")
    .create_bucket(true)
    .await
    .expect("bucket with object lock");
    // The connector as Settings saves it (its secret in the keychain only).
    let connector_id = steps::preset_s3_connector(&home, "Retention bucket", s3);
    let (_driver, mut journey) = launch(&home, &sandbox.base_url(), "retention-").await;
    journey
        .wait_for_count("case-row", "seeded cases after the first sync", |n| n >= 5)
        .await;

    // Settings → Retention: the bucket is the S3 connector.
    journey.click("nav-settings").await;
    journey
        .wait_for("retention-connector")
        .await
        .select_by_value(&connector_id.to_string())
        .await
        .expect("choose the retention bucket");
    journey.click("retention-save").await;
    journey.wait_for("retention-saved").await;
    journey.shot("settings").await;

    // A case with documents is closed (their bytes go into the archive).
    journey.click("nav-cases").await;
    for index in 0..8 {
        let rows = journey
            .wait_for_count("case-row", "the cases", |n| n >= 8)
            .await;
        rows[index].click().await.expect("select the case");
        journey.double_click(&rows[index]).await;
        journey.wait_for("case-title").await;
        journey.after_next_paint().await;
        if !journey.all("document").await.is_empty() || index == 7 {
            break;
        }
        journey.go("#/cases").await;
    }
    let status = journey.wait_for("case-status-select").await;
    if status.prop("value").await.ok().flatten().as_deref() == Some("closed") {
        status.select_by_value("open").await.expect("reopen first");
        journey.wait_for("case-exports").await;
    }
    journey
        .wait_for("case-status-select")
        .await
        .select_by_value("closed")
        .await
        .expect("close the case");

    // Its export appears, in the bucket under retention, and Verify passes.
    journey
        .wait_for_attr("export-row", "data-state", "done")
        .await;
    let kept = journey
        .wait_for("export-retention")
        .await
        .text()
        .await
        .unwrap_or_default();
    assert!(kept.contains("Kept until"), "retention shown: {kept}");
    journey.click("export-verify").await;
    let result = journey
        .wait_for_attr("export-verify-result", "data-ok", "true")
        .await;
    let words = result.text().await.unwrap_or_default();
    assert!(words.starts_with("Verified"), "verify result: {words}");
    let _ = journey
        .client
        .execute(
            "document.querySelector('[data-testid=\"case-exports\"]').scrollIntoView();",
            vec![],
        )
        .await;
    journey.shot("case-export-verified").await;

    // The Retention view lists it.
    journey.click("nav-retention").await;
    journey
        .wait_for_count("export-row", "the export in the Retention view", |n| n >= 1)
        .await;
    journey.shot("retention-view").await;

    let _ = journey.client.close().await;
    sandbox.shutdown().await.expect("sandbox stops");
}
