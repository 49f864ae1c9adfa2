//! The must-show fault run: two `partnerdesk-server` processes on one PostgreSQL, ten analysts
//! (each its own cache file, synced with the app's push and case pull) queueing 1,000 mixed
//! actions each and sending them through both processes in turn, while the processes are killed
//! (SIGKILL) and restarted and a proxy in front of each cuts connections at random. At the end
//! every action is applied exactly once and every cache equals the server.
//!
//! Sizes: `PD_FAULT_RUN_CLIENTS` (default 10) and `PD_FAULT_RUN_ACTIONS` (default 1000 each).

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pd_bench::cluster::{server_config, tail, Analyst, FaultProxy, ServerClient, ServerProcess};
use pd_collab::CollabStore;
use pd_pgtest::PgServer;
use rand::{Rng, SeedableRng};

const COMPANY: &str = "GC00804444LX";
const CASES_EACH: usize = 10;
const PROCESSES: usize = 2;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_partnerdesk-server"))
}

async fn start_process(config: &Path, log: &Path) -> ServerProcess {
    let (config, log) = (config.to_path_buf(), log.to_path_buf());
    tokio::task::spawn_blocking(move || ServerProcess::start(&binary(), &config, &log))
        .await
        .expect("start task")
        .unwrap_or_else(|e| panic!("partnerdesk-server: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn analysts_pushing_through_two_killed_and_cut_processes_apply_every_action_once() {
    let Some(pg) = PgServer::start_or_skip() else {
        return;
    };
    let started = Instant::now();
    let clients_n = env_count("PD_FAULT_RUN_CLIENTS", 10);
    let actions = env_count("PD_FAULT_RUN_ACTIONS", 1000);
    let url = pg.create_database("fault_run").expect("database");
    let dir = tempfile::tempdir().expect("tempdir");
    let clients: Vec<ServerClient> = (0..clients_n).map(ServerClient::numbered).collect();
    let config = dir.path().join("server.toml");
    std::fs::write(&config, server_config(&url, COMPANY, &clients)).expect("config");
    let logs: Vec<PathBuf> = (0..PROCESSES)
        .map(|i| dir.path().join(format!("server-{i}.log")))
        .collect();

    // Two processes, each behind its proxy; the proxies' addresses never change.
    let mut proxies = Vec::new();
    let mut processes = Vec::new();
    for log in &logs {
        let process = start_process(&config, log).await;
        let proxy = FaultProxy::start().await.expect("proxy");
        proxy.set_backend(Some(process.addr()));
        proxy.set_cuts(48 * 1024);
        proxies.push(proxy);
        processes.push(Some(process));
    }
    let proxies = Arc::new(proxies);
    let processes = Arc::new(Mutex::new(processes));
    let urls: Vec<String> = proxies.iter().map(FaultProxy::url).collect();

    // Faults: every 1 to 3 s one process (in turn) is killed and started again.
    let stop = Arc::new(AtomicBool::new(false));
    let kills = Arc::new(AtomicU64::new(0));
    let faults = {
        let (stop, kills, proxies, processes) = (
            Arc::clone(&stop),
            Arc::clone(&kills),
            Arc::clone(&proxies),
            Arc::clone(&processes),
        );
        let (config, logs) = (config.clone(), logs.clone());
        tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(17);
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(rng.gen_range(1000..3000))).await;
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let i = usize::try_from(kills.load(Ordering::SeqCst)).unwrap_or(0) % PROCESSES;
                proxies[i].set_backend(None);
                let dead = processes.lock().expect("processes")[i].take();
                if let Some(mut process) = dead {
                    process.kill();
                }
                kills.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(rng.gen_range(100..600))).await;
                let process = start_process(&config, &logs[i]).await;
                proxies[i].set_backend(Some(process.addr()));
                processes.lock().expect("processes")[i] = Some(process);
            }
        })
    };

    // The analysts: each sends through both processes in turn (starting at a different one).
    let deadline = Instant::now() + Duration::from_secs(480);
    let mut tasks = Vec::new();
    for (k, client) in clients.iter().enumerate() {
        let mut order = urls.clone();
        order.rotate_left(k % PROCESSES);
        let mut analyst = Analyst::new(
            &dir.path().join(format!("cache-{k}.db")),
            &order,
            COMPANY,
            client,
            k as u64,
        )
        .expect("analyst");
        tasks.push(tokio::spawn(async move {
            let mut rounds = 0;
            loop {
                rounds += 1;
                if analyst.queued < actions {
                    let n = (actions - analyst.queued).min(100);
                    analyst.queue(n, CASES_EACH).expect("queue actions");
                }
                let _ = analyst.push().await;
                let _ = analyst.pull().await;
                let summary = analyst.store.outbox_summary().expect("summary");
                assert_eq!(summary.failed, 0, "the server refused an action");
                if analyst.queued == actions && summary.pending == 0 {
                    return (analyst, rounds);
                }
                assert!(
                    Instant::now() < deadline,
                    "{} actions still queued after 8 minutes",
                    summary.pending
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    let mut analysts = Vec::new();
    let mut rounds = 0;
    for task in tasks {
        let (analyst, r) = task.await.expect("analyst task");
        rounds += r;
        analysts.push(analyst);
    }
    let sending_time = started.elapsed();

    // Faults off; both processes up; a last push (nothing left) and pull for everyone.
    stop.store(true, Ordering::SeqCst);
    faults.await.expect("fault task");
    let cuts: u64 = proxies.iter().map(FaultProxy::cuts).sum();
    for proxy in proxies.iter() {
        proxy.set_cuts(0);
    }
    for analyst in &mut analysts {
        let pushed = analyst.push().await.expect("final push");
        assert_eq!(pushed.sent, 0, "nothing was left to send");
        analyst.pull().await.expect("final pull");
        analyst
            .pull()
            .await
            .expect("final pull through the other process");
    }

    // Every action applied exactly once.
    let (db, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let total: usize = analysts.iter().map(|a| a.queued).sum();
    assert_eq!(total, clients_n * actions);
    let row = db
        .query_one(
            "SELECT count(*), count(DISTINCT op_id) FROM applied_ops",
            &[],
        )
        .await
        .expect("applied ops");
    let (applied, distinct): (i64, i64) = (row.get(0), row.get(1));
    let doubled: Vec<String> = db
        .query(
            "SELECT op_id FROM applied_ops GROUP BY op_id HAVING count(*) > 1 LIMIT 10",
            &[],
        )
        .await
        .expect("doubles")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(doubled.is_empty(), "applied twice: {doubled:?}");
    assert_eq!(
        applied as usize, total,
        "every queued action applied, none twice"
    );
    assert_eq!(distinct as usize, total);
    let comment_ids: Vec<String> = analysts
        .iter()
        .flat_map(|a| a.comment_ids.iter().cloned())
        .collect();
    let found: i64 = db
        .query_one(
            "SELECT count(*) FROM comments WHERE id = ANY($1)",
            &[&comment_ids],
        )
        .await
        .expect("comments")
        .get(0);
    let all_comments: i64 = db
        .query_one("SELECT count(*) FROM comments", &[])
        .await
        .expect("comments")
        .get(0);
    assert_eq!(
        found as usize,
        comment_ids.len(),
        "every comment is on the server"
    );
    assert_eq!(all_comments as usize, comment_ids.len(), "and no other");

    // Every cache equals the server.
    let server = pd_collab_pg::PgStore::connect(&url, 2).expect("store");
    let mut bundles = Vec::new();
    let mut cursor = 0;
    loop {
        let page = server
            .list_changed(COMPANY, cursor, 500)
            .await
            .expect("feed");
        bundles.extend(page.cases);
        cursor = page.last_seq.unwrap_or(cursor);
        if !page.has_more {
            break;
        }
    }
    let server_ids: BTreeSet<&str> = bundles.iter().map(|b| b.case.id.as_str()).collect();
    let created: BTreeSet<&str> = analysts
        .iter()
        .flat_map(|a| a.own_cases.iter().map(String::as_str))
        .collect();
    assert_eq!(
        server_ids, created,
        "the server holds exactly the cases created"
    );
    let now = chrono::Utc::now();
    for (k, analyst) in analysts.iter().enumerate() {
        for bundle in &bundles {
            let cached = analyst.store.case(&bundle.case.id).expect("cache");
            assert_eq!(
                cached.as_ref(),
                Some(&bundle.case),
                "analyst {k}, case {}",
                bundle.case.id
            );
            let detail = analyst
                .store
                .case_detail(&bundle.case.id, now)
                .expect("detail");
            let thread: Vec<&pd_domain::Comment> =
                detail.comments.iter().map(|c| &c.comment).collect();
            let expected: Vec<&pd_domain::Comment> = bundle.comments.iter().collect();
            assert_eq!(
                thread, expected,
                "analyst {k}, thread of {}",
                bundle.case.id
            );
        }
        let pending: HashSet<String> = analyst
            .store
            .outbox_entries()
            .expect("outbox")
            .into_iter()
            .map(|e| e.op_id)
            .collect();
        assert!(pending.is_empty(), "analyst {k} still has {pending:?}");
    }

    let kills = kills.load(Ordering::SeqCst);
    eprintln!(
        "fault run: {clients_n} analysts x {actions} actions = {total} applied once through \
         {PROCESSES} processes in {:.1} s ({rounds} push/pull rounds), {kills} processes killed \
         and restarted, {cuts} connections cut; {} cases, {} comments",
        sending_time.as_secs_f64(),
        bundles.len(),
        comment_ids.len()
    );
    assert!(kills >= 2, "processes were killed during the run");
    assert!(cuts >= 1, "connections were cut during the run");
    for log in &logs {
        let text = tail(log, 400);
        assert!(
            !text.contains("panicked"),
            "a server process panicked:\n{text}"
        );
    }
}
