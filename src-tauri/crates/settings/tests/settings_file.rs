//! The settings file as a user meets it: saved and loaded again, damaged by hand or by a crash,
//! edited into nonsense, and never holding a secret.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::fs;
use std::path::{Path, PathBuf};

use pd_domain::{AccountInput, ConnectorInput, HostKind};
use pd_settings::{
    load, save, Account, CaseServerCredentials, CaseServerSettings, Connector, ConnectorSettings,
    DrupalAuth, DrupalSettings, Host, S3Settings, Settings, SettingsError, SftpAuth, SftpSettings,
    WixSettings, BETA_BASE_URL, PRODUCTION_BASE_URL,
};
use uuid::Uuid;

fn full_settings() -> Settings {
    let production = Uuid::new_v4();
    Settings {
        version: 1,
        active_account_id: Some(production),
        accounts: vec![
            Account {
                id: production,
                name: "ACME production".into(),
                host: Host::Production,
                company_id: "GC00804444LX".into(),
                case_server: CaseServerSettings::None,
            },
            Account {
                id: Uuid::new_v4(),
                name: "ACME beta".into(),
                host: Host::Beta,
                company_id: "GC00804444LX".into(),
                case_server: CaseServerSettings::None,
            },
            Account {
                id: Uuid::new_v4(),
                name: "Sandbox".into(),
                host: Host::Custom {
                    url: "http://127.0.0.1:8787/".into(),
                },
                company_id: "GCDEMO0001".into(),
                case_server: CaseServerSettings::TradingGridHost,
            },
        ],
        connectors: vec![
            Connector {
                id: Uuid::new_v4(),
                name: "Partner SFTP inbox".into(),
                settings: ConnectorSettings::Sftp(SftpSettings {
                    host: "sftp.partner.example".into(),
                    port: 2222,
                    user: "acme".into(),
                    auth: SftpAuth::PrivateKey {
                        path: "/home/ana/.ssh/id_ed25519".into(),
                    },
                    remote_dir: Some("/inbox".into()),
                    host_key: None,
                }),
            },
            Connector {
                id: Uuid::new_v4(),
                name: "Retention bucket".into(),
                settings: ConnectorSettings::S3(S3Settings {
                    endpoint: Some("http://127.0.0.1:3900".into()),
                    region: "garage".into(),
                    bucket: "test-bucket".into(),
                    access_key_id: "GK31c2f218a2e44f485b94239e".into(),
                }),
            },
            Connector {
                id: Uuid::new_v4(),
                name: "Partner portal".into(),
                settings: ConnectorSettings::Wix(WixSettings {
                    site_id: "1a2b3c4d-0000-4000-8000-00000000abcd".into(),
                }),
            },
            Connector {
                id: Uuid::new_v4(),
                name: "Knowledge base".into(),
                settings: ConnectorSettings::Drupal(DrupalSettings {
                    base_url: "https://kb.acme.example".into(),
                    auth: DrupalAuth::Oauth {
                        client_id: "partnerdesk".into(),
                    },
                }),
            },
        ],
        folders: vec![],
        desk: Default::default(),
        uploads: Default::default(),
    }
}

fn settings_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config").join("settings.json");
    (dir, path)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn kept_aside(err: &SettingsError) -> PathBuf {
    match err {
        SettingsError::Broken {
            kept_as: Some(kept),
            ..
        }
        | SettingsError::Unreadable {
            kept_as: Some(kept),
            ..
        } => kept.clone(),
        other => panic!("expected a file kept aside, got {other:?}"),
    }
}

#[test]
fn first_start_has_empty_settings_and_writes_nothing() {
    let (dir, path) = settings_path();
    assert_eq!(load(&path).unwrap(), Settings::default());
    assert!(!path.exists());
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn settings_round_trip_through_the_file() {
    let (_dir, path) = settings_path();
    let settings = full_settings();
    save(&path, &settings).unwrap();
    let loaded = load(&path).unwrap();
    assert_eq!(loaded, settings);
    assert_eq!(loaded.active_account().unwrap().name, "ACME production");
    assert_eq!(loaded.accounts[0].base_url(), PRODUCTION_BASE_URL);
    assert_eq!(
        loaded.accounts[0].base_url(),
        "https://apigrid.opentext.com"
    );
    assert_eq!(loaded.accounts[1].base_url(), BETA_BASE_URL);
    assert_eq!(
        loaded.accounts[1].base_url(),
        "https://apibetagrid.opentext.com"
    );
    assert_eq!(loaded.accounts[2].base_url(), "http://127.0.0.1:8787");
    assert_eq!(loaded.accounts[2].host_kind(), HostKind::Custom);
    // Readable by a person who opens it.
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"version\": 1"));
    assert!(text.contains("\"kind\": \"private_key\""));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "settings are private to the user");
    }
    // Saving again replaces, leaving no temp files.
    let mut changed = settings.clone();
    changed.accounts[0].name = "ACME prod (renamed)".into();
    save(&path, &changed).unwrap();
    assert_eq!(load(&path).unwrap(), changed);
    assert_eq!(files_in(path.parent().unwrap()), vec!["settings.json"]);
}

#[test]
fn a_broken_file_is_kept_aside_with_a_clear_error() {
    let (_dir, path) = settings_path();
    save(&path, &full_settings()).unwrap();
    let original = fs::read(&path).unwrap();
    let truncated = &original[..original.len() / 2];
    fs::write(&path, truncated).unwrap();

    let err = load(&path).unwrap_err();
    assert_eq!(err.code(), "settings.broken");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("EOF while parsing"), "{message}");
    let kept = kept_aside(&err);
    assert!(message.contains(&kept.display().to_string()), "{message}");
    assert!(kept
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("settings.json.broken-"));
    assert_eq!(fs::read(&kept).unwrap(), truncated, "kept byte for byte");
    assert!(!path.exists());

    // PartnerDesk goes on with empty settings; saving does not touch the kept file.
    assert_eq!(load(&path).unwrap(), Settings::default());
    save(&path, &Settings::default()).unwrap();
    assert_eq!(fs::read(&kept).unwrap(), truncated);

    // A second broken file in the same second gets its own name.
    fs::write(&path, b"{").unwrap();
    let second = kept_aside(&load(&path).unwrap_err());
    assert_ne!(second, kept);
    assert_eq!(fs::read(&second).unwrap(), b"{");
}

#[test]
fn saving_over_a_broken_file_moves_it_aside_first() {
    let (_dir, path) = settings_path();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, b"hand-edited nonsense").unwrap();
    save(&path, &full_settings()).unwrap();
    let names = files_in(path.parent().unwrap());
    assert_eq!(names.len(), 2, "{names:?}");
    let kept = names
        .iter()
        .find(|name| name.starts_with("settings.json.broken-"))
        .unwrap();
    assert_eq!(
        fs::read(path.parent().unwrap().join(kept)).unwrap(),
        b"hand-edited nonsense"
    );
    assert_eq!(load(&path).unwrap(), full_settings_like(&path));
}

fn full_settings_like(path: &Path) -> Settings {
    // Ids are random; compare with what was written.
    pd_settings::parse(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn hostile_files_are_refused_and_kept() {
    let valid = serde_json::to_string(&full_settings()).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "the file is empty"),
        ("not utf-8", vec![0xff, 0xfe, b'{', 0x80], "not UTF-8"),
        (
            "not json",
            b"version = 1".to_vec(),
            "not valid settings JSON",
        ),
        ("a list", b"[1, 2, 3]".to_vec(), "not valid settings JSON"),
        (
            "wrong type",
            valid
                .replace("\"port\":2222", "\"port\":\"22\"")
                .into_bytes(),
            "connectors[0].settings.port: invalid type",
        ),
        (
            "port out of range",
            valid
                .replace("\"port\":2222", "\"port\":70000")
                .into_bytes(),
            "connectors[0].settings.port",
        ),
        (
            "a secret smuggled in",
            valid
                .replace(
                    "\"user\":\"acme\"",
                    "\"user\":\"acme\",\"password\":\"hunter2\"",
                )
                .into_bytes(),
            "unknown field `password`",
        ),
        (
            "unknown connector kind",
            valid
                .replace("\"kind\":\"wix\"", "\"kind\":\"ftp\"")
                .into_bytes(),
            "connectors[2]",
        ),
        (
            "trailing garbage",
            format!("{valid} {{}}").into_bytes(),
            "trailing characters",
        ),
        (
            "deep nesting",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
            "recursion limit",
        ),
        (
            "huge",
            format!(
                "{{\"version\":1,\"x\":\"{}\"}}",
                "a".repeat(5 * 1024 * 1024)
            )
            .into_bytes(),
            "larger than",
        ),
    ];
    for (what, bytes, expected) in cases {
        let (_dir, path) = settings_path();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &bytes).unwrap();
        let err = load(&path).unwrap_err();
        assert_eq!(err.code(), "settings.broken", "{what}: {err}");
        assert!(err.to_string().contains(expected), "{what}: {err}");
        assert!(!err.to_string().contains("hunter2"), "{what}: {err}");
        assert_eq!(fs::read(kept_aside(&err)).unwrap(), bytes, "{what}");
    }
}

#[test]
fn validation_names_the_field() {
    let mut settings = full_settings();
    settings.accounts[1].host = Host::Custom {
        url: "not a url".into(),
    };
    settings.accounts[2].company_id = "GC 0080/4444".into();
    settings.accounts[0].name = "   ".into();
    if let ConnectorSettings::Sftp(sftp) = &mut settings.connectors[0].settings {
        sftp.port = 0;
        sftp.host = "sftp://sftp.partner.example".into();
        sftp.auth = SftpAuth::PrivateKey {
            path: "id_ed25519".into(),
        };
    }
    if let ConnectorSettings::S3(s3) = &mut settings.connectors[1].settings {
        s3.bucket = "Test_Bucket".into();
        s3.endpoint = Some("http://s3.internal.example:9000".into());
    }
    if let ConnectorSettings::Wix(wix) = &mut settings.connectors[2].settings {
        wix.site_id = "my-site".into();
    }
    if let ConnectorSettings::Drupal(drupal) = &mut settings.connectors[3].settings {
        drupal.base_url = "https://admin:hunter2@kb.acme.example".into();
    }
    settings.active_account_id = Some(Uuid::nil());
    let issues: Vec<String> = pd_settings::validate(&settings)
        .iter()
        .map(ToString::to_string)
        .collect();
    let expected = [
        "accounts[0].name: is empty",
        "accounts[1].host.url: not a URL",
        "accounts[2].company_id: not a company id (BUID): letters and digits, like GC00804444LX",
        "active_account_id: no account has id 00000000-0000-0000-0000-000000000000",
        "connectors[0].settings.host: a host name or address, not a URL",
        "connectors[0].settings.port: must be between 1 and 65535",
        "connectors[0].settings.auth.path: must be an absolute path to the private key file",
        "connectors[1].settings.endpoint: must use https (http is allowed only for 127.0.0.1)",
        "connectors[1].settings.bucket: not a bucket name: 3 to 63 lowercase letters, digits, '.' or '-'",
        "connectors[2].settings.site_id: not a Wix site id (a GUID like 1a2b3c4d-0000-4000-8000-00000000abcd)",
        "connectors[3].settings.base_url: must not contain a user name or password (those go in the keychain)",
    ];
    assert_eq!(issues, expected);

    // Duplicate ids.
    let mut duplicated = full_settings();
    duplicated.accounts[1].id = duplicated.accounts[0].id;
    duplicated.connectors[1].id = duplicated.connectors[0].id;
    let issues: Vec<String> = pd_settings::validate(&duplicated)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        issues,
        [
            "accounts[1].id: another account has the same id",
            "connectors[1].id: another connector has the same id"
        ]
    );
}

#[test]
fn invalid_settings_are_not_saved_and_the_file_is_unchanged() {
    let (_dir, path) = settings_path();
    let good = full_settings();
    save(&path, &good).unwrap();
    let before = fs::read(&path).unwrap();
    let mut bad = good.clone();
    bad.accounts[1].host = Host::Custom {
        url: "ftp://apigrid.opentext.com".into(),
    };
    let err = save(&path, &bad).unwrap_err();
    assert_eq!(err.code(), "settings.invalid");
    assert_eq!(err.to_string(), "accounts[1].host.url: not an http(s) URL");
    assert_eq!(err.issues().len(), 1);
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn a_leftover_temp_file_is_ignored() {
    let (_dir, path) = settings_path();
    let settings = full_settings();
    save(&path, &settings).unwrap();
    let dir = path.parent().unwrap();
    fs::write(
        dir.join(".settings.json.tmp-4242-deadbeef"),
        b"{\"version\": 1, \"accou",
    )
    .unwrap();
    assert_eq!(load(&path).unwrap(), settings);
    let mut changed = settings.clone();
    changed.active_account_id = None;
    save(&path, &changed).unwrap();
    assert_eq!(load(&path).unwrap(), changed);
}

const SENTINELS: [&str; 6] = [
    "CONSUMER-KEY-sentinel-7f3a",
    "CONSUMER-SECRET-sentinel-91bc",
    "SFTP-PASSWORD-sentinel-22d0",
    "S3-SECRET-sentinel-5e11",
    "WIX-API-KEY-sentinel-a0a0",
    "DRUPAL-SECRET-sentinel-c3c3",
];

fn account_input(id: Option<String>) -> AccountInput {
    AccountInput {
        id,
        name: "ACME production".into(),
        host_kind: HostKind::Production,
        custom_url: None,
        company_id: "GC00804444LX".into(),
        consumer_key: Some(SENTINELS[0].into()),
        consumer_secret: Some(SENTINELS[1].into()),
        case_server: None,
    }
}

fn connector_inputs() -> Vec<ConnectorInput> {
    vec![
        ConnectorInput {
            id: None,
            name: "Partner SFTP".into(),
            settings: ConnectorSettings::Sftp(SftpSettings {
                host: "127.0.0.1".into(),
                port: 2222,
                user: "acme".into(),
                auth: SftpAuth::Password,
                remote_dir: Some("/inbox".into()),
                host_key: None,
            }),
            secret: Some(SENTINELS[2].into()),
        },
        ConnectorInput {
            id: None,
            name: "Bucket".into(),
            settings: ConnectorSettings::S3(S3Settings {
                endpoint: None,
                region: "eu-central-1".into(),
                bucket: "acme-cases".into(),
                access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            }),
            secret: Some(SENTINELS[3].into()),
        },
        ConnectorInput {
            id: None,
            name: "Portal".into(),
            settings: ConnectorSettings::Wix(WixSettings {
                site_id: "1a2b3c4d-0000-4000-8000-00000000abcd".into(),
            }),
            secret: Some(SENTINELS[4].into()),
        },
        ConnectorInput {
            id: None,
            name: "KB".into(),
            settings: ConnectorSettings::Drupal(DrupalSettings {
                base_url: "https://kb.acme.example".into(),
                auth: DrupalAuth::Basic { user: "ana".into() },
            }),
            secret: Some(SENTINELS[5].into()),
        },
    ]
}

/// Walks every key of the saved JSON: none may even be named like a secret.
fn secret_like_keys(value: &serde_json::Value, at: &str, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let lower = key.to_ascii_lowercase();
                if [
                    "password",
                    "secret",
                    "passphrase",
                    "api_key",
                    "apikey",
                    "token",
                ]
                .iter()
                .any(|word| lower.contains(word))
                {
                    found.push(format!("{at}.{key}"));
                }
                secret_like_keys(child, &format!("{at}.{key}"), found);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                secret_like_keys(child, &format!("{at}[{index}]"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn no_secret_ever_reaches_the_settings_file() {
    let (_dir, path) = settings_path();
    let mut settings = Settings::default();
    let account_id = settings.upsert_account(&account_input(None)).unwrap();
    settings.set_active_account(Some(account_id)).unwrap();
    let mut connector_ids = Vec::new();
    for input in connector_inputs() {
        connector_ids.push(settings.upsert_connector(&input).unwrap());
    }
    // Editing keeps the id and still drops the secrets.
    settings
        .upsert_account(&account_input(Some(account_id.to_string())))
        .unwrap();
    // A secret typed into a URL is refused, not saved.
    let mut sneaky = account_input(None);
    sneaky.host_kind = HostKind::Custom;
    sneaky.custom_url = Some(format!("https://ana:{}@gateway.acme.example", SENTINELS[1]));
    let err = settings.upsert_account(&sneaky).unwrap_err();
    assert_eq!(
        err.to_string(),
        "account.custom_url: must not contain a user name or password (those go in the keychain)"
    );
    save(&path, &settings).unwrap();

    let raw = fs::read_to_string(&path).unwrap();
    for sentinel in SENTINELS {
        assert!(
            !raw.contains(sentinel),
            "{sentinel} was written to the settings file"
        );
        assert!(!format!("{settings:?}").contains(sentinel));
    }
    let mut found = Vec::new();
    secret_like_keys(&serde_json::from_str(&raw).unwrap(), "$", &mut found);
    assert!(found.is_empty(), "secret-like keys in the file: {found:?}");

    // What the shell needs to put the secrets where they belong.
    let loaded = load(&path).unwrap();
    assert_eq!(loaded.accounts.len(), 1);
    assert_eq!(loaded.connectors.len(), 4);
    let refs = loaded.secret_refs();
    assert_eq!(refs.len(), 2 + 4);
    assert_eq!(refs[0].owner(), account_id.to_string());
    assert_eq!(refs[0].name, "tradinggrid.consumer_key");
    assert_eq!(refs[1].name, "tradinggrid.consumer_secret");
    assert_eq!(refs[2].owner_id, connector_ids[0]);
    assert_eq!(refs[2].name, "connector.secret");
    assert_eq!(loaded.connectors[0].settings.secret_purpose(), "password");
    assert_eq!(
        loaded.connectors[1].settings.secret_purpose(),
        "secret access key"
    );
    assert_eq!(loaded.connectors[2].settings.secret_purpose(), "API key");
    assert_eq!(loaded.connectors[3].settings.secret_purpose(), "password");
}

#[test]
fn form_input_is_checked_like_the_file() {
    let mut settings = Settings::default();
    let mut input = account_input(None);
    input.host_kind = HostKind::Custom;
    let err = settings.upsert_account(&input).unwrap_err();
    assert_eq!(
        err.to_string(),
        "account.custom_url: required when the host is custom"
    );
    input.custom_url = Some("http://10.0.0.5:8080".into());
    assert_eq!(
        settings.upsert_account(&input).unwrap_err().to_string(),
        "account.custom_url: must use https (http is allowed only for 127.0.0.1)"
    );
    input.custom_url = Some("http://127.0.0.1:8787".into());
    let id = settings.upsert_account(&input).unwrap();
    assert_eq!(
        settings.account(id).unwrap().base_url(),
        "http://127.0.0.1:8787"
    );

    let missing = account_input(Some(Uuid::new_v4().to_string()));
    assert_eq!(
        settings.upsert_account(&missing).unwrap_err().code(),
        "settings.not_found"
    );
    let garbage = account_input(Some("not-an-id".into()));
    assert_eq!(
        settings.upsert_account(&garbage).unwrap_err().to_string(),
        "account.id: not an id"
    );

    // An auth the form does not offer cannot be built any more (a typed enum); arriving as JSON
    // over IPC it is refused at decoding, naming the field and the choices.
    let mut json = serde_json::to_value(connector_inputs().remove(0)).unwrap();
    json["settings"]["auth"] = serde_json::json!({ "kind": "kerberos" });
    let err = serde_path_to_error::deserialize::<_, ConnectorInput>(json)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("settings")
            && err.contains(
                ".auth.kind: unknown variant `kerberos`, expected `password` or `private_key`"
            ),
        "{err}"
    );
    let mut sftp = connector_inputs().remove(0);
    sftp.settings = ConnectorSettings::Sftp(SftpSettings {
        host: "".into(),
        port: 22,
        user: "acme".into(),
        auth: SftpAuth::PrivateKey { path: "".into() },
        remote_dir: None,
        host_key: None,
    });
    assert_eq!(
        settings.upsert_connector(&sftp).unwrap_err().to_string(),
        "connector.settings.host: is empty; connector.settings.auth.path: is empty"
    );

    // Remove the open account: back to the demo workspace.
    settings.set_active_account(Some(id)).unwrap();
    assert!(settings.remove_account(id).is_some());
    assert_eq!(settings.active_account_id, None);
    assert!(settings.set_active_account(Some(id)).is_err());
}

#[test]
fn connector_settings_convert_to_and_from_the_ipc_shape() {
    // One type: what the form sends is what the file holds, field for field.
    for input in connector_inputs() {
        let mut settings = Settings::default();
        let id = settings.upsert_connector(&input).unwrap();
        let config = settings.connector(id).unwrap().settings.clone();
        assert_eq!(config, input.settings);
        assert_eq!(
            serde_json::to_value(config.kind()).unwrap(),
            serde_json::to_value(&input.settings).unwrap()["kind"]
        );
        let ipc = serde_json::to_value(&input.settings).unwrap();
        let file = serde_json::to_value(&settings).unwrap()["connectors"][0]["settings"].clone();
        assert_eq!(ipc, file);
    }
}

#[test]
fn form_text_is_trimmed_before_it_is_stored() {
    let mut settings = Settings::default();
    let mut input = connector_inputs().remove(0);
    input.settings = ConnectorSettings::Sftp(SftpSettings {
        host: "  sftp.partner.example ".into(),
        port: 22,
        user: " acme ".into(),
        auth: SftpAuth::PrivateKey {
            path: " /home/ana/.ssh/id_ed25519 ".into(),
        },
        remote_dir: Some("   ".into()),
        host_key: None,
    });
    let id = settings.upsert_connector(&input).unwrap();
    assert_eq!(
        settings.connector(id).unwrap().settings,
        ConnectorSettings::Sftp(SftpSettings {
            host: "sftp.partner.example".into(),
            port: 22,
            user: "acme".into(),
            auth: SftpAuth::PrivateKey {
                path: "/home/ana/.ssh/id_ed25519".into(),
            },
            remote_dir: None,
            host_key: None,
        })
    );
}

/// A settings file written by the build before connector settings became one type per kind
/// (byte for byte what it wrote) still loads, and saving it again keeps the same shape.
#[test]
fn a_settings_file_from_the_previous_build_still_loads() {
    let old = r#"{
  "version": 1,
  "active_account_id": null,
  "accounts": [],
  "connectors": [
    {
      "id": "0b5a3c1e-8a51-4d0c-9b59-1f4b6a0e2c11",
      "name": "Partner SFTP inbox",
      "settings": {
        "kind": "sftp",
        "host": "sftp.partner.example",
        "port": 2222,
        "user": "acme",
        "auth": {
          "kind": "private_key",
          "path": "/home/ana/.ssh/id_ed25519"
        },
        "remote_dir": "/inbox"
      }
    },
    {
      "id": "3c2d1e0f-1111-4222-8333-444455556666",
      "name": "Retention bucket",
      "settings": {
        "kind": "s3",
        "endpoint": null,
        "region": "eu-central-1",
        "bucket": "acme-cases",
        "access_key_id": "AKIAIOSFODNN7EXAMPLE"
      }
    },
    {
      "id": "5e6f7a8b-2222-4333-8444-555566667777",
      "name": "Partner portal",
      "settings": {
        "kind": "wix",
        "site_id": "1a2b3c4d-0000-4000-8000-00000000abcd"
      }
    },
    {
      "id": "9a8b7c6d-3333-4444-8555-666677778888",
      "name": "Knowledge base",
      "settings": {
        "kind": "drupal",
        "base_url": "https://kb.acme.example",
        "auth": {
          "kind": "basic",
          "user": "kb-bot"
        }
      }
    }
  ]
}"#;
    let (_dir, path) = settings_path();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, old).unwrap();
    let loaded = load(&path).unwrap();
    assert_eq!(loaded.connectors.len(), 4);
    assert_eq!(
        loaded.connectors[0].settings,
        ConnectorSettings::Sftp(SftpSettings {
            host: "sftp.partner.example".into(),
            port: 2222,
            user: "acme".into(),
            auth: SftpAuth::PrivateKey {
                path: "/home/ana/.ssh/id_ed25519".into()
            },
            remote_dir: Some("/inbox".into()),
            host_key: None,
        })
    );
    assert_eq!(
        loaded.connectors[3].settings,
        ConnectorSettings::Drupal(DrupalSettings {
            base_url: "https://kb.acme.example".into(),
            auth: DrupalAuth::Basic {
                user: "kb-bot".into()
            },
        })
    );
    save(&path, &loaded).unwrap();
    let rewritten: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let original: serde_json::Value = serde_json::from_str(old).unwrap();
    assert_eq!(rewritten, original, "the file keeps its shape");
}

#[test]
fn errors_inside_a_connector_name_the_inner_field() {
    let valid = serde_json::to_string(&full_settings()).unwrap();
    let cases = [
        (
            valid.replace("\"port\":2222,", ""),
            "connectors[0].settings: missing field `port`",
        ),
        (
            valid.replace("\"port\":2222", "\"port\":\"22\""),
            "connectors[0].settings.port: invalid type: string \"22\", expected u16",
        ),
        (
            valid.replace("\"kind\":\"private_key\"", "\"kind\":\"agent\""),
            "connectors[0].settings.auth.kind: unknown variant `agent`, expected `password` or `private_key`",
        ),
        (
            valid.replace("\"kind\":\"wix\"", "\"kind\":\"ftp\""),
            "connectors[2].settings.kind: unknown connector kind \"ftp\"",
        ),
        (
            valid.replace("\"kind\":\"wix\",", ""),
            "connectors[2].settings.kind: missing",
        ),
    ];
    for (text, expected) in cases {
        let reason = pd_settings::parse(text.as_bytes()).unwrap_err();
        assert!(reason.starts_with(expected), "{reason}");
    }
}

/// An account saved before case servers existed has no `case_server`: it loads with its Trading
/// Grid host as its case server (that host served its cases: it was the sandbox), and saving
/// writes the field out. A new account from the form has none unless the form sets one; editing
/// without touching it keeps it; a case server URL is checked like a host URL and named in
/// the form's words.
#[test]
fn accounts_from_before_case_servers_keep_their_host_as_case_server() {
    let old = r#"{
  "version": 1,
  "active_account_id": "7d1c6a58-4b7e-4c39-9d0e-1a2b3c4d5e6f",
  "accounts": [
    {
      "id": "7d1c6a58-4b7e-4c39-9d0e-1a2b3c4d5e6f",
      "name": "Sandbox",
      "host": { "kind": "custom", "url": "http://127.0.0.1:8787" },
      "company_id": "GCDEMO0001"
    }
  ],
  "connectors": []
}"#;
    let (_dir, path) = settings_path();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, old).unwrap();
    let mut loaded = load(&path).unwrap();
    let account = &loaded.accounts[0];
    assert_eq!(account.case_server, CaseServerSettings::TradingGridHost);
    assert_eq!(
        account.case_server_url().as_deref(),
        Some("http://127.0.0.1:8787")
    );
    save(&path, &loaded).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"case_server\""), "{text}");
    assert_eq!(load(&path).unwrap(), loaded, "the same after a round trip");

    let mut input = account_input(None);
    let new_id = loaded.upsert_account(&input).unwrap();
    assert_eq!(
        loaded.account(new_id).unwrap().case_server,
        CaseServerSettings::None,
        "a new account has no case server"
    );
    assert_eq!(loaded.account(new_id).unwrap().case_server_url(), None);

    input.id = Some(new_id.to_string());
    input.case_server = Some(pd_domain::CaseServerInput {
        settings: CaseServerSettings::Url {
            url: "  https://cases.acme.example/  ".into(),
            credentials: CaseServerCredentials::Own,
        },
        client_id: Some("analyst-ana".into()),
        client_secret: Some("CASE-SECRET-sentinel".into()),
    });
    loaded.upsert_account(&input).unwrap();
    let account = loaded.account(new_id).unwrap().clone();
    assert_eq!(
        account.case_server_url().as_deref(),
        Some("https://cases.acme.example")
    );
    assert!(loaded
        .secret_refs()
        .contains(&account.case_server_client_secret_ref()));
    input.case_server = None;
    loaded.upsert_account(&input).unwrap();
    assert_eq!(
        loaded.account(new_id).unwrap().case_server,
        account.case_server,
        "an edit without the case server keeps it"
    );
    save(&path, &loaded).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(!text.contains("CASE-SECRET-sentinel") && !text.contains("analyst-ana"));

    input.case_server = Some(pd_domain::CaseServerInput {
        settings: CaseServerSettings::Url {
            url: "http://cases.acme.example".into(),
            credentials: CaseServerCredentials::SameAsTradingGrid,
        },
        client_id: None,
        client_secret: None,
    });
    let refused = loaded.upsert_account(&input).unwrap_err().to_string();
    assert!(
        refused.contains("account.case_server_url") && refused.contains("https"),
        "{refused}"
    );
}

/// A settings file from a newer PartnerDesk is not "broken": it stays where it is, byte for
/// byte, and a save does not replace it (the newer version's accounts would be lost).
#[test]
fn a_settings_file_from_a_newer_version_is_left_byte_identical_and_never_overwritten() {
    let (_dir, path) = settings_path();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let valid = serde_json::to_string_pretty(&full_settings()).unwrap();
    let newer = valid
        .replacen("\"version\": 1", "\"version\": 7", 1)
        .replacen('{', "{\n  \"futureField\": {\"kept\": true},", 1);
    assert_ne!(newer, valid);
    fs::write(&path, &newer).unwrap();
    let listing = |dir: &Path| {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let folder = path.parent().unwrap().to_path_buf();
    let before = listing(&folder);

    let err = load(&path).unwrap_err();
    assert_eq!(err.code(), "settings.newer_version", "{err}");
    match &err {
        SettingsError::NewerVersion {
            found, supported, ..
        } => assert_eq!((*found, *supported), (7, pd_settings::SETTINGS_VERSION)),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("newer version of PartnerDesk"),
        "{err}"
    );
    assert!(err.to_string().contains("left untouched"), "{err}");

    let refused = save(&path, &Settings::default()).unwrap_err();
    assert_eq!(refused.code(), "settings.newer_version", "{refused}");

    assert_eq!(fs::read_to_string(&path).unwrap(), newer, "byte-identical");
    assert_eq!(
        listing(&folder),
        before,
        "nothing renamed, moved aside or added"
    );
}
