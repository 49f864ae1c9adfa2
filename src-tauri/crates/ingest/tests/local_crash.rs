//! A burst of 10,000 files into a watched folder while `pd-ingest-run` (the ingest without the
//! app, on a cache file) is SIGKILLed at 10 points and started again: every file is in the
//! ledger exactly once, each a document on a case, none lost; files added while it was not
//! running are taken at its next start.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod support;

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

fn start(db: &Path, folder: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pd-ingest-run"))
        .arg("--db")
        .arg(db)
        .arg("--folder")
        .arg(folder)
        .args(["--settle-ms", "150", "--partner", "acme"])
        .args(extra)
        .spawn()
        .expect("pd-ingest-run starts")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_burst_of_10000_files_with_10_kills_is_taken_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("drop");
    std::fs::create_dir(&folder).unwrap();
    let db = dir.path().join("cache.db");
    let mut expected = std::collections::HashMap::new();
    let per_burst = 1000;
    for k in 0..10 {
        let mut child = start(&db, &folder, &[]);
        let before = support::ledger_count(&db);
        for i in 0..per_burst {
            let name = format!("burst-{k:02}-{i:04}.txt");
            let body = format!("file {k} {i} of the burst\n").repeat(1 + i % 7);
            std::fs::write(folder.join(&name), &body).unwrap();
            expected.insert(name, hex(&Sha256::digest(body.as_bytes())));
        }
        // Killed somewhere inside this burst's intake: after a varying part of it was taken.
        let target = before + 100 + (k * 83) % 700;
        let started = Instant::now();
        while support::ledger_count(&db) < target && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(5));
        }
        eprintln!(
            "burst {k}: killed at {} after {:?}",
            support::ledger_count(&db),
            started.elapsed()
        );
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        let taken = support::ledger_count(&db);
        assert!(
            taken < before + per_burst as i64,
            "the kill landed after the whole burst ({taken}); it must hit mid-burst"
        );
    }
    // Files added while nothing ran.
    for i in 0..50 {
        let name = format!("while-closed-{i}.csv");
        let body = format!("po,{i}\n");
        std::fs::write(folder.join(&name), &body).unwrap();
        expected.insert(name, hex(&Sha256::digest(body.as_bytes())));
    }
    let mut last = start(&db, &folder, &["--exit-when-idle-ms", "1500"]);
    let status = last.wait().unwrap();
    assert!(status.success());

    let rows = support::assert_each_once_on_a_case(&db);
    assert_eq!(rows.len(), expected.len(), "every file taken, none lost");
    for (name, sha) in &expected {
        let row = rows.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(&row.sha256, sha, "{name}");
        // The kept copy is complete.
        let kept = dir.path().join("cache.db.spool").join(sha);
        assert_eq!(std::fs::metadata(&kept).unwrap().len() as i64, row.size);
    }
    // Each unmatched file opened its own case with a queued creation.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let creations: i64 = conn
        .query_row(
            "SELECT count(*) FROM outbox WHERE json_extract(op_json, '$.op') = 'create_case'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(creations as usize, expected.len());
}
