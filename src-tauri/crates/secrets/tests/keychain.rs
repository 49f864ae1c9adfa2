//! Against a real Secret Service: run under `/work/shared/recipes/with-keyring.sh cargo test -p
//! pd-secrets`. Without a reachable keychain these tests fail and say so, unless
//! `PD_SKIP_KEYCHAIN_TESTS=1` asks to skip them.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::process::Command;

use pd_secrets::{SecretStore, SecretString};

const CHECK_BIN: &str = env!("CARGO_BIN_EXE_pd-keychain-check");

/// One keychain test at a time: in one CI run out of five, gnome-keyring answered "Message
/// recipient disconnected from message bus without replying" while these tests created items at
/// the same moment; taking turns keeps the tests about the store, not about the daemon's races.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A store in a namespace of its own, or `None` when skipping.
fn keychain() -> Option<SecretStore> {
    let namespace = format!("com.partnerdesk.test.{}", uuid::Uuid::new_v4().simple());
    let store = SecretStore::new(&namespace).expect("the platform store is available");
    match store.probe() {
        Ok(_) => Some(store),
        Err(err) if std::env::var("PD_SKIP_KEYCHAIN_TESTS").as_deref() == Ok("1") => {
            eprintln!(
                "SKIPPED keychain test (PD_SKIP_KEYCHAIN_TESTS=1): {}: {err}",
                err.code()
            );
            None
        }
        Err(err) => panic!(
            "no OS keychain reachable ({}: {err}).\nRun the keychain tests inside a keyring session:\n    /work/shared/recipes/with-keyring.sh cargo test -p pd-secrets\nor set PD_SKIP_KEYCHAIN_TESTS=1 to skip them.",
            err.code()
        ),
    }
}

fn account() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn exposed(secret: Option<SecretString>) -> Option<String> {
    secret.map(|s| s.expose_secret().to_owned())
}

#[test]
fn store_read_replace_and_delete() {
    let _serial = serial();
    let Some(store) = keychain() else { return };
    let acct = account();
    assert_eq!(
        exposed(store.get(&acct, "tradinggrid.consumer_secret").unwrap()),
        None
    );

    store
        .set(
            &acct,
            "tradinggrid.consumer_secret",
            &SecretString::from("first-secret"),
        )
        .unwrap();
    assert_eq!(
        exposed(store.get(&acct, "tradinggrid.consumer_secret").unwrap()).as_deref(),
        Some("first-secret")
    );

    store
        .set(
            &acct,
            "tradinggrid.consumer_secret",
            &SecretString::from("second-secret"),
        )
        .unwrap();
    assert_eq!(
        exposed(store.get(&acct, "tradinggrid.consumer_secret").unwrap()).as_deref(),
        Some("second-secret")
    );
    assert_eq!(
        store.names_for(&acct).unwrap(),
        vec!["tradinggrid.consumer_secret".to_owned()]
    );

    assert!(store.delete(&acct, "tradinggrid.consumer_secret").unwrap());
    assert_eq!(
        exposed(store.get(&acct, "tradinggrid.consumer_secret").unwrap()),
        None
    );
    assert!(!store.delete(&acct, "tradinggrid.consumer_secret").unwrap());
    assert!(store.names_for(&acct).unwrap().is_empty());
}

#[test]
fn unusual_values_come_back_byte_for_byte() {
    let _serial = serial();
    let Some(store) = keychain() else { return };
    let acct = account();
    let values = [
        "pässwörd with ünïcode ✓ and spaces",
        "line one\nline two\ttab \"quotes\" \\ backslash",
        "-----BEGIN PASSPHRASE-----",
    ];
    for (index, value) in values.iter().enumerate() {
        let name = format!("value{index}");
        store
            .set(&acct, &name, &SecretString::from(*value))
            .unwrap();
        assert_eq!(
            exposed(store.get(&acct, &name).unwrap()).as_deref(),
            Some(*value)
        );
    }
    let long = "x".repeat(pd_secrets::MAX_SECRET_BYTES);
    store
        .set(&acct, "long", &SecretString::from(long.as_str()))
        .unwrap();
    assert_eq!(exposed(store.get(&acct, "long").unwrap()), Some(long));
    assert_eq!(store.delete_all_for(&acct).unwrap(), values.len() + 1);
}

#[test]
fn a_secret_survives_into_a_new_process() {
    let _serial = serial();
    let Some(store) = keychain() else { return };
    let acct = account();
    let secret = "written-by-the-first-process";
    store
        .set(&acct, "sftp.password", &SecretString::from(secret))
        .unwrap();
    let expected = store.digest(&acct, "sftp.password").unwrap().unwrap();

    let output = Command::new(CHECK_BIN)
        .args(["digest", store.namespace(), &acct, "sftp.password"])
        .output()
        .expect("run pd-keychain-check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "second process failed: {stdout}");
    assert_eq!(stdout.trim(), format!("sha256:{expected}"));
    assert!(
        !stdout.contains(secret),
        "the check tool must never print a secret"
    );

    // And a secret deleted here is gone for the other process too.
    store.delete_all_for(&acct).unwrap();
    let output = Command::new(CHECK_BIN)
        .args(["digest", store.namespace(), &acct, "sftp.password"])
        .output()
        .expect("run pd-keychain-check");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "absent");
}

#[test]
fn delete_all_for_removes_one_account_and_spares_the_other() {
    let _serial = serial();
    let Some(store) = keychain() else { return };
    let leaving = account();
    let staying = account();
    let names = [
        "tradinggrid.consumer_key",
        "tradinggrid.consumer_secret",
        "s3.secret_access_key",
    ];
    for name in names {
        store
            .set(
                &leaving,
                name,
                &SecretString::from(format!("leaving-{name}")),
            )
            .unwrap();
        store
            .set(
                &staying,
                name,
                &SecretString::from(format!("staying-{name}")),
            )
            .unwrap();
    }

    assert_eq!(store.delete_all_for(&leaving).unwrap(), names.len());

    for name in names {
        assert_eq!(exposed(store.get(&leaving, name).unwrap()), None, "{name}");
        assert_eq!(
            exposed(store.get(&staying, name).unwrap()),
            Some(format!("staying-{name}")),
            "{name}"
        );
    }
    assert!(store.names_for(&leaving).unwrap().is_empty());
    assert_eq!(store.names_for(&staying).unwrap().len(), names.len());
    // Nothing left to delete the second time.
    assert_eq!(store.delete_all_for(&leaving).unwrap(), 0);
    store.delete_all_for(&staying).unwrap();
}

#[test]
fn namespaces_keep_build_kinds_apart() {
    let _serial = serial();
    let Some(release) = keychain() else { return };
    let Some(dev) = keychain() else { return };
    let acct = account();
    release
        .set(&acct, "wix.api_key", &SecretString::from("release-key"))
        .unwrap();
    assert_eq!(exposed(dev.get(&acct, "wix.api_key").unwrap()), None);
    assert_eq!(dev.delete_all_for(&acct).unwrap(), 0);
    assert_eq!(
        exposed(release.get(&acct, "wix.api_key").unwrap()).as_deref(),
        Some("release-key")
    );
    release.delete_all_for(&acct).unwrap();
}

#[test]
fn a_damaged_index_is_reported_and_loses_nothing() {
    let _serial = serial();
    let Some(store) = keychain() else { return };
    let acct = account();
    store
        .set(&acct, "drupal.secret", &SecretString::from("keep-me"))
        .unwrap();
    // Another tool overwrote the index with garbage.
    let index = keyring::Entry::new_with_credential(
        keyring::secret_service::default_credential_builder()
            .build(None, store.namespace(), &format!("{acct}/_index"))
            .unwrap(),
    );
    index.set_password("{not json").unwrap();

    let err = store
        .delete_all_for(&acct)
        .expect_err("a damaged index is an error");
    assert_eq!(err.code(), "keychain.corrupt");
    assert!(err.to_string().contains("index"), "{err}");
    assert_eq!(
        exposed(store.get(&acct, "drupal.secret").unwrap()).as_deref(),
        Some("keep-me"),
        "the secret must survive a damaged index"
    );
    index.delete_credential().unwrap();
    store.delete(&acct, "drupal.secret").unwrap();
}

/// What the Secret Service itself (libsecret's CLI, apt `libsecret-tools`) holds under a
/// namespace: one `attribute.username = ...` line an item.
fn items_in(namespace: &str) -> Vec<String> {
    let output = Command::new("secret-tool")
        .args(["search", "--all", "service", namespace])
        .output()
        .expect("secret-tool (apt libsecret-tools) lists Secret Service items");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text.lines()
        .filter_map(|line| line.strip_prefix("attribute.username = "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn probe_succeeds_and_leaves_nothing_behind() {
    let _serial = serial();
    let Some(store) = keychain() else { return };
    let acct = account();
    store
        .set(&acct, "wix.api_key", &SecretString::from("k"))
        .unwrap();
    let mut seen = items_in(store.namespace());
    seen.sort();
    assert_eq!(
        seen,
        vec![format!("{acct}/_index"), format!("{acct}/wix.api_key")]
    );
    store.delete_all_for(&acct).unwrap();

    let report = store.probe().unwrap();
    let status = store.keychain_status();
    assert!(status.available && status.code.is_none(), "{status:?}");
    assert_eq!(report.backend, "Secret Service (D-Bus)");
    let output = Command::new(CHECK_BIN)
        .args(["probe", store.namespace()])
        .output()
        .expect("run pd-keychain-check");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "ok Secret Service (D-Bus)"
    );
    assert_eq!(
        items_in(store.namespace()),
        Vec::<String>::new(),
        "probe left items behind"
    );
}

/// Needs no keyring: the point is that there is none.
#[test]
fn probe_reports_unavailable_when_dbus_points_nowhere() {
    let output = Command::new(CHECK_BIN)
        .args(["probe", "com.partnerdesk.test"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/partnerdesk-no-bus",
        )
        .output()
        .expect("run pd-keychain-check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.starts_with("keychain.unavailable: "), "{stdout}");
    assert!(
        stdout.contains(
            "Start your desktop's keyring (GNOME Keyring / KWallet) and restart PartnerDesk"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("read-only on its cache"), "{stdout}");
}
