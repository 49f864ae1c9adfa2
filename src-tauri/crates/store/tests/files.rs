//! Damaged, truncated and read-only cache files, and two handles writing one file at once.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;
use pd_store::*;

fn filled(path: &std::path::Path) {
    let store = Store::open(path).expect("open");
    let mut bundles = Vec::new();
    for n in 0..300 {
        let c = case(n, "GC1", "Verona Vittles");
        let comments = vec![comment(
            &c.id,
            &format!("cm-{n}"),
            &"evidence text ".repeat(20),
            1,
        )];
        bundles.push(bundle(c, comments, vec![]));
    }
    store
        .apply_case_page(&page(bundles, "c1"), "cases")
        .expect("page");
}

#[test]
fn not_a_database_is_a_typed_error_and_rebuild_sets_it_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    std::fs::write(&path, b"this is a text file, not SQLite at all, and it is long enough to have a header ...........").expect("write");
    std::fs::write(dir.path().join("cache.db-wal"), b"junk").expect("wal");
    let err = Store::open(&path).expect_err("corrupt");
    assert_eq!(err.code(), "store.corrupt", "{err}");
    assert!(path.exists(), "open alone never moves the file");

    let (store, outcome) = Store::open_or_rebuild(&path).expect("rebuild");
    let OpenOutcome::Rebuilt { set_aside, .. } = outcome else {
        panic!("expected a rebuild")
    };
    assert!(set_aside
        .file_name()
        .expect("name")
        .to_string_lossy()
        .starts_with("cache.db.corrupt-"));
    assert!(std::fs::read(&set_aside)
        .expect("kept")
        .starts_with(b"this is a text file"));
    let mut wal = set_aside.as_os_str().to_os_string();
    wal.push("-wal");
    assert!(std::path::Path::new(&wal).exists(), "the -wal went along");
    assert_eq!(store.counts().expect("counts").cases, 0);
    store.set_cursor("cases", "x").expect("the new cache works");
}

#[test]
fn tiny_garbage_file_is_corrupt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    std::fs::write(&path, b"SQLite").expect("write");
    assert_eq!(
        Store::open(&path).expect_err("corrupt").code(),
        "store.corrupt"
    );
}

#[test]
fn truncated_database_is_corrupt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    filled(&path);
    let len = std::fs::metadata(&path).expect("meta").len();
    assert!(len > 100_000, "fixture big enough ({len})");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    file.set_len(len / 2).expect("truncate");
    drop(file);
    let err = Store::open(&path).expect_err("truncated");
    assert_eq!(err.code(), "store.corrupt", "{err}");
    let (store, outcome) = Store::open_or_rebuild(&path).expect("rebuild");
    assert!(matches!(outcome, OpenOutcome::Rebuilt { .. }));
    assert_eq!(store.counts().expect("counts").cases, 0);
}

#[test]
fn damaged_pages_are_reported_not_panicked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    filled(&path);
    // Overwrite the middle of the file with garbage, keeping the header intact.
    let mut bytes = std::fs::read(&path).expect("read");
    let mid = bytes.len() / 2;
    for b in &mut bytes[8192..mid] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).expect("write");
    match Store::open(&path) {
        Err(e) => assert_eq!(e.code(), "store.corrupt", "{e}"),
        Ok(store) => {
            // Damage below the schema is found when read; it must be a typed error.
            let err = store
                .list_cases(
                    &pd_domain::CaseQuery {
                        search: Some("evidence".into()),
                        ..Default::default()
                    },
                    t0(),
                )
                .and_then(|_| {
                    store.list_cases(
                        &pd_domain::CaseQuery {
                            sort: pd_domain::CaseSortField::Title,
                            ..Default::default()
                        },
                        t0(),
                    )
                })
                .and_then(|_| {
                    store
                        .counts()
                        .map(|_| ())
                        .and_then(|_| store.case_detail("case-00150", t0()).map(|_| ()))
                });
            let err = err.expect_err("damage must surface");
            assert_eq!(err.code(), "store.corrupt", "{err}");
        }
    }
}

#[test]
fn read_only_file_and_folder_are_reported_never_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    filled(&path);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let err = Store::open(&path).expect_err("read-only file");
    assert_eq!(err.code(), "store.read_only", "{err}");
    assert_eq!(
        Store::open_or_rebuild(&path)
            .expect_err("not rebuilt")
            .code(),
        "store.read_only"
    );
    assert!(path.exists());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod back");

    let ro_dir = dir.path().join("ro");
    std::fs::create_dir(&ro_dir).expect("mkdir");
    std::fs::set_permissions(&ro_dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let err = Store::open(ro_dir.join("cache.db")).expect_err("read-only folder");
    assert_eq!(err.code(), "store.read_only", "{err}");
    std::fs::set_permissions(&ro_dir, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
}

#[test]
fn two_handles_write_concurrently_without_lock_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    let a = Store::open(&path).expect("a");
    let b = Store::open(&path).expect("b");
    a.apply_case_page(
        &page(vec![bundle(case(1, "GC1", "V"), vec![], vec![])], "c"),
        "cases",
    )
    .expect("seed");
    let mut handles = Vec::new();
    for (w, store) in [a.clone(), b.clone(), a.clone(), b.clone()]
        .into_iter()
        .enumerate()
    {
        handles.push(std::thread::spawn(move || {
            for i in 0..50 {
                store
                    .add_local_comment(
                        "case-00001",
                        "Ann",
                        &format!("writer {w} comment {i}"),
                        pd_domain::Visibility::Internal,
                        t0(),
                    )
                    .expect("no database-is-locked");
                let n = (w * 1000 + i) as u32 + 10;
                store
                    .apply_case_page(
                        &page(
                            vec![bundle(case(n, "GC1", "V"), vec![], vec![])],
                            &format!("c{n}"),
                        ),
                        "cases",
                    )
                    .expect("page");
                store
                    .list_cases(&pd_domain::CaseQuery::default(), t0())
                    .expect("read while writing");
            }
        }));
    }
    for h in handles {
        h.join().expect("thread");
    }
    let counts = b.counts().expect("counts");
    assert_eq!(counts.comments, 200);
    assert_eq!(counts.cases, 201);
    assert_eq!(a.outbox_summary().expect("summary").pending, 200);
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_cache_and_its_journal_files_are_readable_by_the_owner_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.db");
    let journal = |suffix: &str| dir.path().join(format!("cache.db{suffix}"));
    let first = Store::open(&path).expect("open");
    first
        .apply_case_page(
            &page(vec![bundle(case(1, "GC1", "V"), vec![], vec![])], "c"),
            "cases",
        )
        .expect("write");
    for file in [path.clone(), journal("-wal"), journal("-shm")] {
        assert_eq!(mode(&file), 0o600, "a new {} is private", file.display());
    }

    // A cache an older build left readable by everyone is made private when it is opened,
    // journal files included, and keeps its data.
    for file in [path.clone(), journal("-wal"), journal("-shm")] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let second = Store::open(&path).expect("reopen");
    for file in [path.clone(), journal("-wal"), journal("-shm")] {
        assert_eq!(mode(&file), 0o600, "{} is tightened", file.display());
    }
    assert!(second.case("case-00001").expect("read").is_some());
    drop(first);
}
