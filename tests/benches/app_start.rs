//! Benchmark (not a test): cold start of the real app to a painted case list, and the resident
//! memory of the running app, with 100,000 cases in its cache.
//!
//! `cargo bench -p partnerdesk --bench app_start -- [--cases N] [--runs N] [--data DIR]`
//! under a display (`xvfb-run -a -s "-screen 0 1280x800x24" cargo bench ...`), with
//! `tauri-driver` on PATH or in `~/.cache/partnerdesk/tools/bin` (`.ci/install.sh` puts it there).
//! The cache is filled once from a sandbox with that many cases (kept in `--data` between runs);
//! the app is pointed at that sandbox so its start-up sync finds nothing new. "Painted" is the
//! moment WebKitWebDriver first finds a case row in the window, timed from the session request
//! that launches the app. Memory is VmRSS of the app process and of its WebKit helper processes
//! (the web content and network processes), read from /proc once the list is painted and again
//! after scrolling through the list.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use partnerdesk_sandbox::{Sandbox, SandboxConfig};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn tauri_driver() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("tauri-driver"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/partnerdesk/tools/bin/tauri-driver")
        })
}

/// One `/proc/PID/status` figure in KiB (`VmRSS`, `RssAnon`, `RssFile`).
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// VmRSS in KiB of one process.
fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:")
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(1)?.parse().ok()
}

fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The app process (by executable path) and its descendants (WebKit's helper processes).
fn app_processes(app: &Path) -> (Option<u32>, Vec<u32>) {
    let pids = all_pids();
    let app_pid = pids
        .iter()
        .copied()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app));
    let Some(root) = app_pid else {
        return (None, Vec::new());
    };
    let helpers = pids
        .iter()
        .copied()
        .filter(|&pid| {
            let mut cursor = parent_of(pid);
            while let Some(p) = cursor {
                if p == root {
                    return true;
                }
                if p <= 1 {
                    return false;
                }
                cursor = parent_of(p);
            }
            false
        })
        .collect();
    (Some(root), helpers)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::main]
async fn main() {
    let cases: usize = arg("--cases")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runs: usize = arg("--runs").and_then(|v| v.parse().ok()).unwrap_or(5);
    let data = arg("--data")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("partnerdesk-app-bench-{cases}")));
    let app = PathBuf::from(env!("CARGO_BIN_EXE_partnerdesk"));
    std::fs::create_dir_all(&data).expect("bench folder");
    let app_data = data.join("app");

    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig {
        data: Some(data.join("sandbox.db")),
        cases,
        comments_per_case: 5,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    eprintln!("sandbox ready in {:.1} s", started.elapsed().as_secs_f64());

    let driver_path = tauri_driver();
    assert!(
        driver_path.is_file(),
        "tauri-driver not found: {}",
        driver_path.display()
    );
    let mut starts = Vec::new();
    let mut memory = Vec::new();
    // Run 0 fills the cache (first sync) and is not counted.
    for run in 0..=runs {
        let (port, native) = (free_port(), free_port());
        let _driver = Driver(
            Command::new(&driver_path)
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native.to_string(),
                ])
                .env("PARTNERDESK_DATA_DIR", &app_data)
                .env("PARTNERDESK_SERVER_URL", sandbox.base_url())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("tauri-driver"),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app.display().to_string() }),
        );
        let launched = Instant::now();
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("session");
        let wait = if run == 0 {
            Duration::from_secs(600)
        } else {
            Duration::from_secs(60)
        };
        client
            .wait()
            .at_most(wait)
            .every(Duration::from_millis(20))
            .for_element(Locator::Css("[data-testid=\"case-row\"]"))
            .await
            .expect("a painted case row");
        let painted = launched.elapsed();
        if run == 0 {
            // Let the first sync finish: the status bar shows the total once it has.
            let want = format!("{cases}");
            let deadline = Instant::now() + Duration::from_secs(900);
            loop {
                let text = client.find(Locator::Css("main")).await.ok();
                let body = match text {
                    Some(e) => e.text().await.unwrap_or_default(),
                    None => String::new(),
                };
                if body.replace(',', "").contains(&want) {
                    break;
                }
                assert!(Instant::now() < deadline, "first sync did not finish");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            eprintln!(
                "cache filled with {cases} cases in {:.1} s",
                launched.elapsed().as_secs_f64()
            );
        } else {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let (pid, helpers) = app_processes(&app);
            let app_kib = pid.map(rss_kib).unwrap_or(0);
            let helper_kib: u64 = helpers.iter().map(|&p| rss_kib(p)).sum();
            let (anon, file) = pid.map_or((0, 0), |p| {
                (status_kib(p, "RssAnon:"), status_kib(p, "RssFile:"))
            });
            eprintln!(
                "run {run}: painted after {:.0} ms; RSS app {} MB (anonymous {} MB, file {} MB) + WebKit helpers {} MB",
                painted.as_secs_f64() * 1000.0,
                app_kib / 1024,
                anon / 1024,
                file / 1024,
                helper_kib / 1024
            );
            starts.push(painted.as_secs_f64() * 1000.0);
            memory.push((app_kib / 1024, helper_kib / 1024));
        }
        let _ = client.close().await;
    }
    starts.sort_by(|a, b| a.total_cmp(b));
    let (app_mb, helper_mb): (Vec<u64>, Vec<u64>) = memory.iter().copied().unzip();
    let median = |v: &[u64]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v[v.len() / 2]
    };
    println!("| what | figure |");
    println!("|---|---|");
    println!("| cases cached | {cases} |");
    println!(
        "| cold start to painted case list, median of {runs} | {:.0} ms |",
        percentile(&starts, 50.0)
    );
    println!(
        "| cold start, slowest of {runs} | {:.0} ms |",
        starts.last().copied().unwrap_or(0.0)
    );
    println!(
        "| resident memory, app process (median) | {} MB |",
        median(&app_mb)
    );
    println!(
        "| resident memory, app + WebKit helper processes (median) | {} MB |",
        median(&app_mb) + median(&helper_mb)
    );
    let _ = sandbox.shutdown().await;
}
