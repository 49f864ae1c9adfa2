//! The desktop journey of issue 14 in the real window: Ctrl+K opens the command palette, a word
//! of a case's title finds the case and Enter opens it, the palette changes its status; "Mine"
//! after choosing who the analyst is; the OS notification the SLA watcher raises, as a D-Bus
//! notification daemon receives it, and a click on it (the daemon's `ActionInvoked`) taking the
//! window to where it points; the tray menu as a StatusNotifier host reads it, with a quick
//! action run from it; light and dark; and a second launch of the app handing over to the first
//! window instead of opening another. `tests/support/desktop_bus.py` plays the desktop's side.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::Locator;
use partnerdesk_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

use super::{launch, AppHome, Journey, WAIT};

/// The test's notification daemon and tray host (a python child in its own process group, its
/// output in a file rather than the test's pipes). Drop ends it on every path, panics included:
/// "quit" and stdin closed, a bounded wait, then SIGKILL to its whole group (ImageMagick
/// children too) and a reap. The script also dies with the test thread (`PR_SET_PDEATHSIG`).
struct DesktopBus {
    child: Child,
    stdin: Option<ChildStdin>,
    log: std::path::PathBuf,
}

impl DesktopBus {
    fn start(log: std::path::PathBuf) -> DesktopBus {
        let _ = std::fs::remove_file(&log);
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/desktop_bus.py");
        let stderr = std::fs::File::create(log.with_extension("stderr"))
            .expect("the desktop bus's error log");
        let mut child = Command::new("/usr/bin/python3")
            .arg(&script)
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .expect("the desktop bus starts (python3-dbus, python3-gi: .ci/install.sh --test)");
        let stdin = child.stdin.take();
        let bus = DesktopBus { child, stdin, log };
        bus.wait_event("ready", |_| true);
        bus
    }

    fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Waits (bounded) for an event of `kind` that `accept` takes.
    fn wait_event(&self, kind: &str, accept: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(found) = self
                .events()
                .into_iter()
                .find(|e| e["event"] == kind && accept(e))
            {
                return found;
            }
            for failure in self
                .events()
                .into_iter()
                .filter(|e| e["event"] == "command_failed" || e["event"] == "draw_failed")
            {
                eprintln!("desktop bus: {failure}");
            }
            assert!(
                Instant::now() < deadline,
                "the desktop bus never saw {kind}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn send(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().expect("desktop bus stdin");
        writeln!(stdin, "{command}").expect("command to the desktop bus");
        stdin.flush().expect("flush");
    }
}

impl Drop for DesktopBus {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "quit");
            // Its stdin closing ends its loop too.
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // The whole group, whether or not the script ended: a `convert` it started goes too.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Journey {
    /// Presses Ctrl+K in the window (real key events through WebDriver's actions).
    async fn press_ctrl_k(&self) {
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down {
                value: Key::Control.into(),
            })
            .then(KeyAction::Down { value: 'k' })
            .then(KeyAction::Up { value: 'k' })
            .then(KeyAction::Up {
                value: Key::Control.into(),
            });
        self.client
            .perform_actions(keys)
            .await
            .expect("Ctrl+K pressed");
    }

    /// Presses one key (Enter, an arrow) in the element that has the focus.
    async fn press(&self, key: Key) {
        let value: char = key.into();
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
        self.client
            .perform_actions(keys)
            .await
            .expect("key pressed");
    }

    /// Calls a command of the app as the window does (for what a test needs to know, not to act).
    async fn invoke(&self, command: &str, args: Value) -> Value {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
                   .then((v) => done({ ok: v }), (e) => done({ err: e }));",
                vec![Value::String(command.to_owned()), args],
            )
            .await
            .expect("invoke")
    }

    async fn text_of(&self, test_id: &str) -> String {
        self.wait_for(test_id)
            .await
            .text()
            .await
            .unwrap_or_default()
    }

    async fn set_theme(&self, theme: &str) {
        self.client
            .execute(
                "localStorage.setItem('partnerdesk.theme', arguments[0]);
                 document.documentElement.dataset.theme = arguments[0];",
                vec![Value::String(theme.to_owned())],
            )
            .await
            .expect("theme");
    }
}

/// The owner of the most open cases in the cache (who the analyst plays).
async fn busiest_owner(journey: &Journey) -> String {
    let page = journey
        .invoke(
            "list_cases",
            json!({ "query": {
                "search": null, "statuses": ["new", "open", "waiting_on_partner", "waiting_on_us"],
                "partnerIds": [], "kinds": [], "owners": [], "slaBreached": false,
                "sort": "updated", "descending": true, "offset": 0, "limit": 1000 } }),
        )
        .await;
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for row in page["ok"]["rows"].as_array().cloned().unwrap_or_default() {
        if let Some(owner) = row["owner"].as_str() {
            *counts.entry(owner.to_owned()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(owner, _)| owner)
        .expect("open cases with owners")
}

/// The most the journey may take (it takes under a minute alone on an idle machine): past it, it
/// fails, and every process it started is ended as its guards drop, instead of hanging the run.
const JOURNEY_LIMIT: Duration = Duration::from_secs(600);

pub(super) async fn desk_journey() {
    if tokio::time::timeout(JOURNEY_LIMIT, steps()).await.is_err() {
        panic!("the desk journey did not finish within {JOURNEY_LIMIT:?}");
    }
}

/// Runs `command` to its end, at most `limit`; killed and reaped past it.
fn run_bounded(mut command: Command, limit: Duration) -> std::process::ExitStatus {
    let mut child = command.spawn().expect("starts");
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn steps() {
    let home = AppHome::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let artifacts = root.join("tests/artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts");
    // The notification daemon's log lives in this journey's own home: two runs side by side
    // must never read each other's notification ids.
    let mut bus = DesktopBus::start(home.path().join("desk-bus.log"));
    let sandbox = Sandbox::start(SandboxConfig {
        data: Some(home.path().join("desk-sandbox.sqlite")),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let server_url = sandbox.base_url();
    let (_driver, mut journey) = launch(&home, &server_url, "desk-").await;

    // 1. Ctrl+K opens the palette; a word of a case's title finds it; Enter opens it.
    let rows = journey
        .wait_for_count("case-row", "seeded cases after the first sync", |n| n >= 5)
        .await;
    let titles = journey.titles(&rows).await;
    let word = super::rare_word(&titles).expect("a word of a title");
    journey.press_ctrl_k().await;
    let input = journey.wait_for("palette-input").await;
    input.send_keys(&word).await.expect("type in the palette");
    // The palette searches as the analyst types (debounced): keys are pressed only once its
    // list has settled on the typed word (the same entries twice in a row), so Enter chooses
    // what the test chose.
    let deadline = Instant::now() + WAIT;
    let mut previous: Vec<(String, String)> = Vec::new();
    let (position, entry) = loop {
        let mut listed = Vec::new();
        for item in journey.all("palette-item").await {
            let id = item
                .attr("data-entry")
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            let text = item.text().await.unwrap_or_default();
            listed.push((id, text));
        }
        let found = listed.iter().position(|(id, text)| {
            id.starts_with("case-") && text.to_lowercase().contains(&word.to_lowercase())
        });
        if let Some(i) = found.filter(|_| listed == previous) {
            break (i, listed[i].0.clone());
        }
        assert!(
            Instant::now() < deadline,
            "the palette never settled on {word:?}: {listed:?}"
        );
        previous = listed;
        tokio::time::sleep(Duration::from_millis(400)).await;
    };
    journey.shot("palette-finds-a-case").await;
    for _ in 0..position {
        journey.press(Key::Down).await;
    }
    journey.press(Key::Enter).await;
    let case_id = entry.trim_start_matches("case-").to_owned();
    let deadline = Instant::now() + WAIT;
    while journey.hash().await != format!("#/cases/{case_id}") {
        assert!(Instant::now() < deadline, "the case did not open");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let title = journey.text_of("case-title").await;
    let reference = journey.text_of("case-reference").await;
    assert!(
        title.to_lowercase().contains(&word.to_lowercase()),
        "opened {title:?} for {word:?}"
    );
    journey.shot("palette-opened-the-case").await;

    // 2. The palette changes the status of the case in view.
    journey.press_ctrl_k().await;
    let input = journey.wait_for("palette-input").await;
    input
        .send_keys("waiting on partner")
        .await
        .expect("type an action");
    journey
        .wait_for_attr("palette-item", "data-entry", "status-waiting_on_partner")
        .await;
    journey.shot("palette-case-actions").await;
    journey.press(Key::Enter).await;
    let deadline = Instant::now() + WAIT;
    loop {
        let pill = journey.text_of("status-pill").await;
        if pill == "Waiting on partner" && journey.all("palette").await.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "status still {pill:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    journey.shot("status-changed-from-the-palette").await;

    // 3. Mine: who the analyst is, then their open cases, the most urgent first.
    let me = busiest_owner(&journey).await;
    journey.go("#/mine").await;
    journey.wait_for("me-select").await;
    journey
        .client
        .find(Locator::Css(&format!(
            "[data-testid=\"me-select\"] option[value=\"{me}\"]"
        )))
        .await
        .expect("my name in the list")
        .click()
        .await
        .expect("choose me");
    journey.click("me-save").await;
    journey
        .wait_for_count("mine-row", "my open cases", |n| n >= 1)
        .await;
    journey.shot("mine-light").await;

    // 4. The SLA watcher's notification, as the daemon received it; a click opens where it points.
    let shown = bus.wait_event("notify", |e| {
        e["app_name"] == "PartnerDesk" || e["summary"].is_string()
    });
    eprintln!("notification received: {shown}");
    let png = shown["png"].as_str().expect("drawn").to_owned();
    std::fs::copy(&png, artifacts.join("desk-notification.png")).expect("notification screenshot");
    let summary = shown["summary"].as_str().unwrap_or_default().to_owned();
    journey.go("#/cases").await;
    journey.wait_for("case-search").await;
    bus.send(&format!("click-notification {}", shown["id"]));
    let deadline = Instant::now() + WAIT;
    let opened = loop {
        let hash = journey.hash().await;
        if hash.starts_with("#/mine")
            || hash.starts_with("#/cases/")
            || hash.starts_with("#/outbox")
        {
            break hash;
        }
        assert!(
            Instant::now() < deadline,
            "the click on {summary:?} opened nothing"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!("clicking {summary:?} opened {opened}");
    journey.shot("notification-click-opened").await;

    // 5. The tray menu as the host reads it; "Pause notifications" from it.
    bus.wait_event("tray_item", |_| true);
    let menu_png = artifacts.join("desk-tray-menu.png");
    bus.send(&format!("draw-menu {}", menu_png.display()));
    let menu = bus.wait_event("tray_menu", |_| true);
    let items: Vec<String> = menu["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    eprintln!("tray menu: {items:?}");
    for wanted in [
        "Open PartnerDesk",
        "Sync now",
        "Pause notifications",
        "Quit PartnerDesk",
    ] {
        assert!(
            items.iter().any(|i| i == wanted),
            "{wanted} missing from {items:?}"
        );
    }
    assert!(
        items.iter().any(|i| i.starts_with("My breached cases: ")),
        "{items:?}"
    );
    assert!(
        items.iter().any(|i| i.starts_with("Failed actions: ")),
        "{items:?}"
    );
    bus.send("click-menu Pause notifications");
    let deadline = Instant::now() + WAIT;
    loop {
        let desk = journey.invoke("desk_settings", json!({})).await;
        if desk["ok"]["notifications"]["paused"] == true {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the tray did not pause notifications: {desk}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // 6. Dark.
    journey.set_theme("dark").await;
    journey.go("#/mine").await;
    journey
        .wait_for_count("mine-row", "my open cases", |n| n >= 1)
        .await;
    journey.shot("mine-dark").await;
    journey.press_ctrl_k().await;
    let input = journey.wait_for("palette-input").await;
    input.send_keys(&word).await.expect("type in the palette");
    journey
        .wait_for_count("palette-item", "palette entries", |n| n >= 2)
        .await;
    journey.shot("palette-dark").await;
    journey.press(Key::Escape).await;
    journey.set_theme("light").await;
    journey.go("#/mine").await;

    // 7. A second launch with a partnerdesk:// link hands over to this window (which opens the
    //    linked case) and exits; still one window.
    let before = journey
        .client
        .execute(
            "return document.documentElement.dataset.secondLaunches || '0';",
            vec![],
        )
        .await
        .expect("counter");
    let started = Instant::now();
    let mut second = Command::new(env!("CARGO_BIN_EXE_partnerdesk"));
    second
        .env("PARTNERDESK_DATA_DIR", home.path().join("app"))
        .env("PARTNERDESK_CONFIG_DIR", home.path().join("config"))
        .env("PARTNERDESK_KEYCHAIN_NAMESPACE", &home.namespace)
        .env("PARTNERDESK_SERVER_URL", &server_url)
        .arg(format!("partnerdesk://case/{reference}"))
        .stdin(Stdio::null());
    let status = run_bounded(second, WAIT);
    eprintln!(
        "second launch exited with {status} after {:?}",
        started.elapsed()
    );
    assert!(status.success(), "the second launch failed: {status}");
    let deadline = Instant::now() + WAIT;
    loop {
        let after = journey
            .client
            .execute(
                "return document.documentElement.dataset.secondLaunches || '0';",
                vec![],
            )
            .await
            .expect("counter");
        if after != before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first window was not brought forward"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let deadline = Instant::now() + WAIT;
    while journey.hash().await != format!("#/cases/{case_id}") {
        assert!(
            Instant::now() < deadline,
            "the link to {reference} did not open it"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let windows = journey.client.windows().await.expect("window handles");
    assert_eq!(windows.len(), 1, "a second window opened");
    let focused = journey
        .client
        .execute("return document.hasFocus();", vec![])
        .await
        .expect("focus");
    eprintln!("first window focused after the second launch: {focused}");
    journey.shot("second-launch-opened-the-link-here").await;

    // 8. "Quit PartnerDesk" from the tray ends the app although closing the window only hides
    //    it (close-to-tray): its connection to the session bus goes away.
    bus.send("click-menu Quit PartnerDesk");
    bus.wait_event("tray_item_gone", |_| true);
    eprintln!("the app quit from its tray");
    // The session's browser is gone; ending the session only tidies the driver (bounded).
    let _ = tokio::time::timeout(Duration::from_secs(20), journey.client.close()).await;
    let _ = tokio::time::timeout(Duration::from_secs(20), sandbox.shutdown()).await;
}
