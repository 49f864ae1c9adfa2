//! Benchmark (not a test): cold start of the real app to a painted case list, and the resident
//! memory of the running app, with 100,000 cases in its cache.
//!
//! `cargo bench -p partnerdesk --bench app_start -- [--cases N] [--runs N] [--data DIR]`
//! under a display (`xvfb-run -a -s "-screen 0 1280x800x24" cargo bench ...`), with
//! `tauri-driver` on PATH or in `~/.cache/partnerdesk/tools/bin` (`.ci/install.sh` puts it there).
//! The cache is filled once from a sandbox with that many cases (kept in `--data` between runs);
//! the app is pointed at that sandbox so its start-up sync finds nothing new. "Painted" is the
//! moment WebKitWebDriver first finds a case row in the window, timed from the session request
//! that launches the app. Memory is the proportional set size (PSS, `/proc/PID/smaps_rollup`:
//! shared library pages divided among the processes using them, so the figures add up) of the
//! app process and of each WebKit helper process (web content, network), read two seconds after
//! the list is painted and again after scrolling; VmRSS is printed beside it. Scrolling is timed
//! in the window: the case list is scrolled 12,500 rows deep, one step per animation frame, and
//! the frame intervals give p50 / p95 / max. Then the list is read window by window (each step
//! waits until that window's rows are painted, 6,000 rows) and memory is read again.
//! Cold start is split by the window's own clock: the process start (`/proc/PID/stat`), the
//! page's navigation start, its `DOMContentLoaded` (the bundle parsed and run) and the
//! `pd:first-rows` mark the list sets when its first rows render; each run also prints the page's
//! other `pd:` marks (the bundle ran, the first ask and answer of each start-up command).
//! An app that has not opened its window 120 s after launch stops the bench, its threads' stacks
//! written to `<data>/hang-run-N.txt` (gdb).
//! `--app PATH` launches another build of the app (for example a copy of the one before a
//! change) with the same data, so before and after can be run back to back.
//! `WEBKIT_DISABLE_COMPOSITING_MODE` and other variables set when the bench starts reach the app
//! (through tauri-driver), to compare settings.

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

/// PSS in KiB of one process (`Pss:` of `/proc/PID/smaps_rollup`).
fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The process's name (`/proc/PID/comm`).
fn process_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| format!("pid {pid}"))
}

/// (name, PSS KiB, RSS KiB) of the app and each helper, app first.
fn memory_of(app: &Path) -> Vec<(String, u64, u64)> {
    let (pid, helpers) = app_processes(app);
    pid.into_iter()
        .chain(helpers)
        .map(|p| (process_name(p), pss_kib(p), rss_kib(p)))
        .collect()
}

/// Scrolls the case list one step per animation frame, 12,500 rows deep and back a little,
/// and answers the frame intervals in milliseconds.
const SCROLL_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
let el = document.querySelector('[data-testid="case-row"]');
while (el && !(el.scrollHeight > el.clientHeight + 10 && getComputedStyle(el).overflowY !== 'visible')) {
  el = el.parentElement;
}
if (!el) { done({ error: 'no scrolling container around the case rows' }); return; }
const frames = [];
let last = performance.now();
let step = 0;
const steps = 300;
function tick(now) {
  frames.push(now - last);
  last = now;
  step += 1;
  // 50 rows a frame down, the last sixth back up (pages already seen and new ones mixed).
  el.scrollTop += step < steps * 5 / 6 ? 2000 : -1500;
  if (step < steps) requestAnimationFrame(tick); else done({ frames: frames.slice(1), top: el.scrollTop });
}
requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
"#;

/// Reads the list window by window from the top: each step scrolls one window (100 rows) down
/// and waits until a real row of it is painted, so every window passed is loaded (unlike a
/// fling). Answers how many windows were read.
const READ_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
const windows = arguments[0];
let el = document.querySelector('[data-testid="case-row"]');
while (el && !(el.scrollHeight > el.clientHeight + 10 && getComputedStyle(el).overflowY !== 'visible')) {
  el = el.parentElement;
}
if (!el) { done({ error: 'no scrolling container around the case rows' }); return; }
el.scrollTop = 0;
let w = 0;
const started = performance.now();
function step() {
  if (w >= windows) { done({ windows: w, ms: performance.now() - started }); return; }
  w += 1;
  el.scrollTop = w * 100 * 40;
  const want = `[data-testid="case-row"][data-index="${w * 100 + 2}"]`;
  const wait = () => {
    if (document.querySelector(want)) requestAnimationFrame(step);
    else if (performance.now() - started > 150000) done({ error: `window ${w} never loaded`, windows: w });
    else setTimeout(wait, 10);
  };
  wait();
}
step();
"#;

/// The page's own clock at the first painted rows: navigation start (epoch ms),
/// `DOMContentLoaded` and the list's `pd:first-rows` mark (ms after navigation start).
const TIMING_SCRIPT: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
const mark = performance.getEntriesByName('pd:first-rows')[0];
return {
  origin: performance.timeOrigin,
  dom: nav ? nav.domContentLoadedEventEnd : null,
  rows: mark ? mark.startTime : null,
  marks: performance.getEntriesByType('mark')
    .filter((m) => m.name.startsWith('pd:'))
    .map((m) => [m.name, m.startTime]),
};
"#;

/// When the process started, in milliseconds since the epoch: its start in clock ticks after
/// boot (`/proc/PID/stat` field 22, USER_HZ = 100) against the time since boot now
/// (`/proc/uptime`), both in 10 ms steps (the boot time in `/proc/stat` is whole seconds).
fn process_start_epoch_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ticks: f64 = stat
        .rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(epoch_ms() - (uptime - ticks / 100.0) * 1000.0)
}

fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

fn median_f(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
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

/// Writes every thread's stack of process `pid` to `path` (gdb's `thread apply all bt`), and
/// says where, or why not.
fn write_stacks(pid: u32, path: &Path) -> String {
    match Command::new("gdb")
        .args([
            "-p",
            &pid.to_string(),
            "-batch",
            "-ex",
            "thread apply all bt 30",
        ])
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) => match std::fs::write(path, &out.stdout) {
            Ok(()) => path.display().to_string(),
            Err(e) => format!("not written to {}: {e}", path.display()),
        },
        Err(e) => format!("not taken (gdb: {e})"),
    }
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
    let app = arg("--app")
        .map(PathBuf::from)
        .and_then(|p| p.canonicalize().ok())
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_partnerdesk")));
    eprintln!("app: {}", app.display());
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
    let mut per_process: Vec<Vec<(String, u64, u64)>> = Vec::new();
    let mut after_scroll: Vec<Vec<(String, u64, u64)>> = Vec::new();
    let mut frames: Vec<f64> = Vec::new();
    let mut after_reading: Vec<Vec<(String, u64, u64)>> = Vec::new();
    let mut read_windows = 0u64;
    // Cold start split per run: (to navigation start, to DOMContentLoaded, to first rows), ms
    // after the process started; and launch to process start.
    let mut phases: Vec<(f64, f64, f64)> = Vec::new();
    let mut to_process: Vec<f64> = Vec::new();
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
        let launched_epoch = epoch_ms();
        // WebKitWebDriver answers the session request once the app's window is up; an app that
        // hangs while it starts would hold the bench forever, so it is given two minutes, then
        // its threads' stacks are written down (with gdb, where there is one) and the bench stops.
        let mut builder = ClientBuilder::native();
        builder.capabilities(caps);
        let address = format!("http://127.0.0.1:{port}");
        let session = builder.connect(&address);
        let client = match tokio::time::timeout(Duration::from_secs(120), session).await {
            Ok(client) => client.expect("session"),
            Err(_) => {
                let stacks = app_processes(&app)
                    .0
                    .map(|pid| write_stacks(pid, &data.join(format!("hang-run-{run}.txt"))));
                panic!(
                    "run {run}: the app did not open its window within 120 s; stacks: {stacks:?}"
                );
            }
        };
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
            if let (Some(pid), Ok(timing)) = (
                app_processes(&app).0,
                client.execute(TIMING_SCRIPT, vec![]).await,
            ) {
                let get = |k: &str| timing.get(k).and_then(|v| v.as_f64());
                if let (Some(started), Some(origin), Some(dom)) =
                    (process_start_epoch_ms(pid), get("origin"), get("dom"))
                {
                    let nav = origin - started;
                    // The list's mark is missing in builds from before it was added.
                    let rows = get("rows").map_or(f64::NAN, |r| nav + r);
                    eprintln!(
                        "run {run}: navigation started at {:.3} s after the epoch (to compare with the app's log)",
                        origin / 1000.0
                    );
                    eprintln!(
                        "run {run}: process started {:.0} ms after launch; navigation {:.0} ms, DOMContentLoaded {:.0} ms, first rows {:.0} ms after the process started",
                        started - launched_epoch,
                        nav,
                        nav + dom,
                        rows
                    );
                    // The page's own marks (the bundle ran, each start-up command's first ask
                    // and answer, the first rows), on the same clock.
                    let marks: Vec<String> = timing
                        .get("marks")
                        .and_then(|m| m.as_array())
                        .map(|marks| {
                            marks
                                .iter()
                                .filter_map(|m| {
                                    let name = m.get(0)?.as_str()?;
                                    let at = m.get(1)?.as_f64()?;
                                    Some(format!("{name} {:.0}", nav + at))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    if !marks.is_empty() {
                        eprintln!(
                            "run {run}: page marks, ms after the process started: {}",
                            marks.join(", ")
                        );
                    }
                    to_process.push(started - launched_epoch);
                    phases.push((nav, nav + dom, rows));
                }
            }
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
            let pss = memory_of(&app);
            for (name, pss, rss) in &pss {
                eprintln!(
                    "run {run}: {name}: PSS {} MB (RSS {} MB)",
                    pss / 1024,
                    rss / 1024
                );
            }
            per_process.push(pss);
            if run == 1 {
                client
                    .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                        Some(Duration::from_secs(180)),
                        None,
                        None,
                    ))
                    .await
                    .expect("script timeout");
                let answer = client
                    .execute_async(SCROLL_SCRIPT, vec![])
                    .await
                    .expect("scroll script");
                let got: Vec<f64> = answer
                    .get("frames")
                    .and_then(|f| f.as_array())
                    .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                    .unwrap_or_default();
                assert!(!got.is_empty(), "scrolling answered {answer}");
                frames = got;
                tokio::time::sleep(Duration::from_secs(1)).await;
                after_scroll.push(memory_of(&app));
                let windows = 60;
                let answer = client
                    .execute_async(READ_SCRIPT, vec![serde_json::json!(windows)])
                    .await
                    .expect("reading script");
                assert!(
                    answer.get("error").is_none(),
                    "reading the list answered {answer}"
                );
                read_windows = answer.get("windows").and_then(|v| v.as_u64()).unwrap_or(0);
                tokio::time::sleep(Duration::from_secs(1)).await;
                after_reading.push(memory_of(&app));
            }
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
    if !phases.is_empty() {
        let nav: Vec<f64> = phases.iter().map(|p| p.0).collect();
        let dom: Vec<f64> = phases.iter().map(|p| p.1).collect();
        let rows: Vec<f64> = phases.iter().map(|p| p.2).collect();
        println!(
            "| cold start split (median): launch to process start; then, after the process started, navigation start / DOMContentLoaded / first rows rendered | {:.0} ms; {:.0} / {:.0} / {:.0} ms |",
            median_f(&to_process),
            median_f(&nav),
            median_f(&dom),
            median_f(&rows)
        );
    }
    println!(
        "| resident memory, app process (median) | {} MB |",
        median(&app_mb)
    );
    println!(
        "| resident memory, app + WebKit helper processes (median) | {} MB |",
        median(&app_mb) + median(&helper_mb)
    );
    // PSS per process name, median over the runs.
    let mut names: Vec<String> = per_process
        .iter()
        .flat_map(|r| r.iter().map(|(n, _, _)| n.clone()))
        .collect();
    names.sort();
    names.dedup();
    let mut total_pss = 0;
    for name in &names {
        let values: Vec<u64> = per_process
            .iter()
            .map(|r| {
                r.iter()
                    .filter(|(n, _, _)| n == name)
                    .map(|(_, p, _)| p)
                    .sum::<u64>()
            })
            .collect();
        let mb = median(&values) / 1024;
        total_pss += mb;
        println!("| PSS of {name} (median) | {mb} MB |");
    }
    println!("| PSS of the whole app, processes summed | {total_pss} MB |");
    if let Some(scrolled) = after_scroll.first() {
        let sum: u64 = scrolled.iter().map(|(_, p, _)| p).sum();
        let each: Vec<String> = scrolled
            .iter()
            .map(|(n, p, _)| format!("{n} {} MB", p / 1024))
            .collect();
        println!(
            "| PSS after scrolling 12,500 rows | {} MB ({}) |",
            sum / 1024,
            each.join(", ")
        );
    }
    if let Some(read) = after_reading.first() {
        let sum: u64 = read.iter().map(|(_, p, _)| p).sum();
        let each: Vec<String> = read
            .iter()
            .map(|(n, p, _)| format!("{n} {} MB", p / 1024))
            .collect();
        println!(
            "| PSS after then reading {} rows window by window | {} MB ({}) |",
            read_windows * 100,
            sum / 1024,
            each.join(", ")
        );
    }
    if !frames.is_empty() {
        let mut sorted = frames.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        println!(
            "| frame time while scrolling 100,000 rows, {} frames: p50 / p95 / max | {:.1} / {:.1} / {:.1} ms |",
            sorted.len(),
            percentile(&sorted, 50.0),
            percentile(&sorted, 95.0),
            sorted.last().copied().unwrap_or(0.0)
        );
    }
    let _ = sandbox.shutdown().await;
}
