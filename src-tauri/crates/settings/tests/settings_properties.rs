//! Property tests of the settings file reader: whatever the file holds (bytes from a crash, a
//! hand edit, another program), reading it gives settings or an error saying what is wrong and
//! where, never a panic, and a file that cannot be used is kept aside byte for byte (one from a
//! newer version left in place). Case counts:
//! 256 for the in-memory parser, 48 for the file round trips (each writes a file).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use pd_settings::{
    load, parse, save, Account, CaseServerSettings, Connector, ConnectorSettings, Host, Settings,
    SettingsError, SftpAuth, SftpSettings,
};
use proptest::prelude::*;
use serde_json::Value;
use uuid::Uuid;

#[path = "../../domain/tests/support/json_edits.rs"]
mod json_edits;
use json_edits::{any_edit, any_json, apply};

fn sample() -> Settings {
    let account = Uuid::new_v4();
    Settings {
        version: 1,
        active_account_id: Some(account),
        accounts: vec![Account {
            id: account,
            name: "ACME production".into(),
            host: Host::Custom {
                url: "http://127.0.0.1:8787/".into(),
            },
            company_id: "GC00804444LX".into(),
            case_server: CaseServerSettings::TradingGridHost,
        }],
        connectors: vec![Connector {
            id: Uuid::new_v4(),
            name: "Partner SFTP inbox".into(),
            settings: ConnectorSettings::Sftp(SftpSettings {
                host: "sftp.partner.example".into(),
                port: 2222,
                user: "acme".into(),
                auth: SftpAuth::Password,
                remote_dir: Some("/inbox".into()),
                host_key: None,
            }),
        }],
        folders: vec![],
        desk: Default::default(),
        uploads: Default::default(),
    }
}

fn sample_json() -> Value {
    serde_json::to_value(sample()).expect("settings serialize")
}

/// Parsing never panics; an error is a sentence, and settings that parse save and read back.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    match parse(bytes) {
        Ok(settings) => {
            let again = serde_json::to_vec(&settings).expect("serialize");
            prop_assert_eq!(
                parse(&again).expect("what parsed serializes to what parses"),
                settings
            );
        }
        Err(reason) => prop_assert!(reason.trim().len() > 3, "{:?}", reason),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_are_settings_or_a_reason(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check(&bytes)?;
    }

    #[test]
    fn any_json_is_settings_or_a_reason(value in any_json()) {
        check(value.to_string().as_bytes())?;
    }

    #[test]
    fn an_edited_settings_file_is_settings_or_a_reason(
        edits in prop::collection::vec(any_edit(), 1..4),
    ) {
        let edited = apply(sample_json(), &edits);
        check(edited.to_string().as_bytes())?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_file_that_cannot_be_used_is_kept_aside_unchanged(
        edits in prop::collection::vec(any_edit(), 1..4),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("settings.json");
        save(&path, &sample()).expect("a valid file");
        let mut bytes = serde_json::to_vec_pretty(&apply(sample_json(), &edits)).expect("json");
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        std::fs::write(&path, &bytes).expect("write");
        match load(&path) {
            Ok(settings) => prop_assert_eq!(parse(&bytes).ok(), Some(settings)),
            Err(SettingsError::Broken { kept_as: Some(kept), reason, .. }) => {
                prop_assert!(!reason.is_empty());
                prop_assert_eq!(std::fs::read(&kept).expect("kept file"), bytes);
                prop_assert!(!path.exists(), "nothing is left to overwrite it");
            }
            // A file from a newer PartnerDesk is left where it is, byte for byte.
            Err(SettingsError::NewerVersion { found, .. }) => {
                prop_assert!(found > 1);
                prop_assert_eq!(std::fs::read(&path).expect("left in place"), bytes);
            }
            Err(other) => prop_assert!(false, "unexpected {other:?}"),
        }
    }
}
