//! The push worker is killed (SIGKILL) at many points while entries are queued and in flight;
//! after each restart it carries on. Nothing is lost and nothing is applied twice.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::World;
use partnerdesk_sandbox::Faults;
use pd_domain::{CasePatch, CaseStatus, Visibility};
use pd_sync::{pull, PullOptions};
use rand::{Rng, SeedableRng};

fn worker(world: &World) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_partnerdesk-push"));
    cmd.args([
        "--db",
        &world.dir.path().join("cache.db").to_string_lossy(),
        "--url",
        &world.sandbox().base_url(),
        "--company-id",
        &world.config.company_id,
        "--consumer-key",
        &world.config.consumer_key,
        // A killed run's entries come back to the next run after a second.
        "--lease-secs",
        "1",
    ])
    .env("PARTNERDESK_CONSUMER_SECRET", &world.config.consumer_secret)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_worker_at_any_point_loses_nothing_and_duplicates_nothing() {
    let world = World::new(40).await;
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("first pull");
    let cases: Vec<String> = world.first_case_ids(20);
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    let now = chrono::Utc::now();
    for i in 0..300 {
        let case_id = &cases[i % cases.len()];
        if i % 4 == 3 {
            let status = CaseStatus::ALL[rng.gen_range(0..CaseStatus::ALL.len())];
            let patch = CasePatch {
                status: Some(status),
                ..CasePatch::default()
            };
            world
                .store
                .patch_local_case(case_id, &patch, now)
                .expect("patch");
        } else {
            world
                .store
                .add_local_comment(
                    case_id,
                    "Ann Keller",
                    &format!("note {i}"),
                    Visibility::Internal,
                    now,
                )
                .expect("comment");
        }
    }
    let mut expected: HashMap<String, Vec<String>> = HashMap::new();
    for e in world.store.outbox_entries().expect("entries") {
        expected.entry(e.case_id).or_default().push(e.op_id);
    }
    let total: usize = expected.values().map(Vec::len).sum();
    // Slow answers and dropped connections keep entries in flight long enough to be killed there.
    world.faults(Faults {
        latency_ms: 25,
        drop_rate: 0.05,
        ..Faults::default()
    });

    let mut kills = 0;
    let mut killed_in_flight = 0;
    let mut progress_at_kill = HashSet::new();
    while kills < 25 {
        let remaining = world.store.outbox_summary().expect("summary").pending;
        if remaining == 0 {
            break;
        }
        let mut child = worker(&world).spawn().expect("spawn worker");
        // Kill only once this run has delivered something: a fixed delay lands many kills
        // during the worker's start on a slow machine, where they test nothing.
        let started = std::time::Instant::now();
        while world.store.outbox_summary().expect("summary").pending >= remaining {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the worker delivered nothing in 60 s"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..80))).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        kills += 1;
        let in_flight = world
            .store
            .outbox_entries()
            .expect("entries")
            .iter()
            .filter(|e| e.state == pd_domain::OutboxState::InFlight)
            .count();
        if in_flight > 0 {
            killed_in_flight += 1;
        }
        progress_at_kill.insert(world.store.outbox_summary().expect("summary").pending);
    }
    eprintln!(
        "{kills} kills at {} distinct points, {killed_in_flight} with an entry in flight",
        progress_at_kill.len()
    );
    assert!(
        kills >= 20,
        "only {kills} kills before the outbox drained; slow the worker down"
    );
    assert!(
        progress_at_kill.len() >= 15,
        "kills landed at {} distinct points",
        progress_at_kill.len()
    );
    assert!(
        killed_in_flight >= 5,
        "only {killed_in_flight} kills caught an entry in flight"
    );

    // Let it finish undisturbed.
    world.faults(Faults::default());
    let status = worker(&world).status().expect("final worker run");
    assert!(status.success());
    assert_eq!(world.store.outbox_summary().expect("summary").pending, 0);

    let applied = world.sandbox().applied_ops(None).await.expect("ops");
    let mut count: HashMap<&str, usize> = HashMap::new();
    for op in &applied {
        *count.entry(op.op_id.as_str()).or_default() += 1;
    }
    let mut delivered = 0;
    for (case_id, ops) in &expected {
        for op in ops {
            assert_eq!(
                count.get(op.as_str()),
                Some(&1),
                "op {op} applied exactly once"
            );
            delivered += 1;
        }
        let order: Vec<&str> = applied
            .iter()
            .filter(|a| &a.case_id == case_id && ops.contains(&a.op_id))
            .map(|a| a.op_id.as_str())
            .collect();
        assert_eq!(
            order,
            ops.iter().map(String::as_str).collect::<Vec<_>>(),
            "order of {case_id}"
        );
    }
    assert_eq!(delivered, total);
    pull(
        &world.store,
        &world.client,
        &PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .expect("pull");
    world.assert_cache_equals_server().await;
}
