//! Inspecting dropped files on a real file system: size, SHA-256 and media type of what is
//! there; hostile names made safe; each bad input (vanished, unreadable, empty, not a file)
//! refused with its own words; folders turned into their files; a file already on the case
//! found by its content.

use std::path::PathBuf;

use pd_domain::ErrorCode;
use pd_transfer::{expand, inspect, TransferError};
use sha2::{Digest, Sha256};

fn sha(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

#[test]
fn a_file_is_read_once_for_its_size_hash_type_and_safe_name() {
    let dir = tempfile::tempdir().expect("dir");
    let content: Vec<u8> = b"%PDF-1.7\n"
        .iter()
        .copied()
        .chain((0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8))
        .collect();
    let path = dir.path().join("proof of delivery.pdf");
    std::fs::write(&path, &content).expect("write");
    let seen = inspect(&path).expect("inspect");
    assert_eq!(seen.name, "proof of delivery.pdf");
    assert_eq!(seen.identity.size, content.len() as u64);
    assert_eq!(seen.identity.sha256, sha(&content));
    assert_eq!(seen.media_type, "application/pdf");

    for (raw, shown) in [
        ("inv\u{202E}fdp.exe", "invfdp.exe"),
        ("bell\u{7}\u{1b}[31m.txt", "bell[31m.txt"),
        ("..\\..\\Windows\\evil.txt", "evil.txt"),
        ("CON.txt", "_CON.txt"),
        ("what?.csv", "what_.csv"),
    ] {
        let path = dir.path().join(raw);
        std::fs::write(&path, b"a,b\n1,2\n").expect("write hostile name");
        let seen = inspect(&path).expect("inspect");
        assert_eq!(seen.name, shown, "{raw:?}");
    }
}

#[test]
fn bad_inputs_are_refused_each_in_its_own_words() {
    let dir = tempfile::tempdir().expect("dir");
    let gone = dir.path().join("invoice 4711.pdf");
    let err = inspect(&gone).expect_err("vanished");
    assert_eq!(err.code(), ErrorCode::TransferFileVanished);
    assert!(
        err.to_string()
            .starts_with("invoice 4711.pdf is no longer where it was"),
        "{err}"
    );

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, b"").expect("write");
    let err = inspect(&empty).expect_err("empty");
    assert_eq!(err.code(), ErrorCode::TransferEmptyFile);
    assert_eq!(
        err.to_string(),
        "empty.csv is empty (0 bytes); there is nothing to attach."
    );

    let folder = dir.path().join("scans");
    std::fs::create_dir(&folder).expect("dir");
    assert_eq!(
        inspect(&folder).expect_err("a folder").code(),
        ErrorCode::TransferNotAFile
    );

    // Unreadable: a file without read permission (root reads anything, so there a kernel file
    // that refuses reads to everyone stands in).
    let unreadable = if running_as_root() {
        PathBuf::from("/sys/bus/pci/drivers_probe")
    } else {
        let path = dir.path().join("locked.pdf");
        std::fs::write(&path, b"%PDF-1.7").expect("write");
        set_mode(&path, 0o000);
        path
    };
    if unreadable.exists() {
        let err = inspect(&unreadable).expect_err("unreadable");
        assert_eq!(err.code(), ErrorCode::TransferFileUnreadable, "{err}");
        assert!(err.to_string().contains("could not be read"), "{err}");
        assert!(matches!(err, TransferError::Unreadable { .. }));
    }
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(not(unix))]
fn set_mode(_path: &std::path::Path, _mode: u32) {}

#[test]
fn a_folder_becomes_its_files_without_links_or_system_clutter() {
    let dir = tempfile::tempdir().expect("dir");
    let root = dir.path().join("Week 12");
    std::fs::create_dir_all(root.join("pallets")).expect("dirs");
    std::fs::write(root.join("b.pdf"), b"b").expect("write");
    std::fs::write(root.join("a.csv"), b"a").expect("write");
    std::fs::write(root.join("pallets/p1.jpg"), b"p").expect("write");
    std::fs::write(root.join(".DS_Store"), b"x").expect("write");
    std::fs::write(root.join("Thumbs.db"), b"x").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", root.join("link")).expect("symlink");
    let single = dir.path().join("single.txt");
    std::fs::write(&single, b"s").expect("write");
    let found = expand(&[single.clone(), root.clone(), dir.path().join("missing")]);
    assert_eq!(
        found.files,
        vec![
            single,
            root.join("a.csv"),
            root.join("b.pdf"),
            root.join("pallets/p1.jpg")
        ]
    );
    let skipped: Vec<String> = found
        .skipped
        .iter()
        .map(|(p, _)| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    #[cfg(unix)]
    assert_eq!(skipped, vec!["link".to_string(), "missing".to_string()]);
}

#[test]
fn a_file_already_on_the_case_is_found_by_its_content() {
    let dir = tempfile::tempdir().expect("dir");
    let store = pd_store::Store::open(dir.path().join("cache.db")).expect("store");
    let case_id = store
        .create_local_case(
            &pd_domain::NewCase {
                id: "case-1".into(),
                title: "Short shipment".into(),
                partner_id: "GC1".into(),
                partner_name: None,
                kind: pd_domain::CaseKind::Shipment,
                priority: None,
                owner: None,
                sla_due: None,
                linked_transactions: vec![],
                references: Default::default(),
                description: None,
            },
            "Ann",
            chrono::Utc::now(),
        )
        .expect("case");
    let path = dir.path().join("pod.pdf");
    std::fs::write(&path, b"%PDF-1.7 pod").expect("write");
    let seen = inspect(&path).expect("inspect");
    assert!(
        pd_transfer::duplicate_on_case(&store, &case_id, &seen.identity.sha256)
            .expect("check")
            .is_none()
    );
    store
        .attach_local_document(
            &case_id,
            &pd_domain::NewDocument {
                id: "d1".into(),
                name: seen.name.clone(),
                size: seen.identity.size,
                sha256: seen.identity.sha256.clone(),
                media_type: seen.media_type.clone(),
                uploaded_by: "Ann".into(),
                source: pd_domain::DocumentSource::Spooled { file: "d1".into() },
            },
            chrono::Utc::now(),
        )
        .expect("attach");
    let copy = dir.path().join("pod (copy).pdf");
    std::fs::copy(&path, &copy).expect("copy");
    let again = inspect(&copy).expect("inspect");
    let dup = pd_transfer::duplicate_on_case(&store, &case_id, &again.identity.sha256)
        .expect("check")
        .expect("flagged");
    assert_eq!(dup.document.name, "pod.pdf");
}
