//! The settings file on disk. A half-written file must never replace a good one (write a temp
//! file, then rename), and a file PartnerDesk cannot use must never be silently overwritten (it
//! is moved aside as `settings.json.broken-<time>` and reported). A file written by a newer
//! PartnerDesk is not broken: it is left exactly where and as it is, and never written over.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::SettingsError;
use crate::model::{Settings, SETTINGS_VERSION};
use crate::validate::validate;

/// Largest settings file read; anything bigger is not a settings file PartnerDesk wrote.
pub const MAX_SETTINGS_BYTES: u64 = 4 * 1024 * 1024;

/// Reads and validates the settings at `path` (for example `<config dir>/settings.json`).
///
/// No file yet: empty settings (first start). A file that cannot be used: it is moved aside as
/// `settings.json.broken-<UTC time>` and the error says where; the caller shows the message and
/// continues with `Settings::default()`. A file from a newer PartnerDesk is
/// [`SettingsError::NewerVersion`] and stays untouched (and [`save`] refuses to replace it).
/// Temp files left by an interrupted save are ignored.
pub fn load(path: &Path) -> Result<Settings, SettingsError> {
    let bytes = match read_limited(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(Settings::default()),
        Err(ReadProblem::TooLarge) => {
            return Err(broken(
                path,
                format!("it is larger than {MAX_SETTINGS_BYTES} bytes"),
            ))
        }
        Err(ReadProblem::Io(err)) => {
            let (kept_as, move_error) = split(keep_aside(path));
            return Err(SettingsError::Unreadable {
                path: path.to_owned(),
                reason: err.to_string(),
                kept_as,
                move_error,
            });
        }
    };
    if let Some(found) = newer_version(&bytes) {
        return Err(SettingsError::NewerVersion {
            path: path.to_owned(),
            found,
            supported: SETTINGS_VERSION,
        });
    }
    parse(&bytes).map_err(|reason| broken(path, reason))
}

/// The format version of a settings file newer than this build reads, if it is one.
fn newer_version(bytes: &[u8]) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let version = value.as_object()?.get("version")?.as_u64()?;
    (version > u64::from(SETTINGS_VERSION)).then_some(version)
}

/// Validates `settings` and writes them to `path` atomically (temp file, fsync, rename), creating
/// the folder if needed. If the file there now cannot be read or used, it is first moved aside
/// as `load` would, so it is never overwritten.
pub fn save(path: &Path, settings: &Settings) -> Result<(), SettingsError> {
    let issues = validate(settings);
    if !issues.is_empty() {
        return Err(SettingsError::Invalid { issues });
    }
    match load(path) {
        Ok(_) => {}
        // Moved aside: the way is clear.
        Err(
            SettingsError::Broken {
                kept_as: Some(_), ..
            }
            | SettingsError::Unreadable {
                kept_as: Some(_), ..
            },
        ) => {}
        Err(err) => return Err(err),
    }
    let mut json = serde_json::to_vec_pretty(settings).map_err(|err| write_failed(path, err))?;
    json.push(b'\n');
    write_atomic(path, &json, || {}).map_err(|err| write_failed(path, err))
}

/// Parses and validates settings text; the error says what is wrong and where.
pub fn parse(bytes: &[u8]) -> Result<Settings, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())?;
    if text.trim().is_empty() {
        return Err("the file is empty".to_owned());
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|err| format!("not valid settings JSON: {err}"))?;
    let Some(object) = value.as_object() else {
        return Err("not valid settings JSON: the file must hold one JSON object".to_owned());
    };
    if let Some(version) = object.get("version").and_then(serde_json::Value::as_u64) {
        if version > u64::from(SETTINGS_VERSION) {
            return Err(format!(
                "it was written by a newer PartnerDesk (format version {version}; this one reads version {SETTINGS_VERSION})"
            ));
        }
    }
    let settings: Settings = serde_path_to_error::deserialize(value).map_err(|err| {
        let field = err.path().to_string();
        let problem = err.inner().to_string();
        if field == "." {
            format!("not valid settings: {problem}")
        } else if problem.starts_with('.') {
            // A nested path from a hand-written deserializer (see `ConnectorConfig`).
            format!("{field}{problem}")
        } else {
            format!("{field}: {problem}")
        }
    })?;
    let issues = validate(&settings);
    if !issues.is_empty() {
        let listed: Vec<String> = issues.iter().map(ToString::to_string).collect();
        return Err(listed.join("; "));
    }
    Ok(settings)
}

enum ReadProblem {
    TooLarge,
    Io(io::Error),
}

fn read_limited(path: &Path) -> Result<Option<Vec<u8>>, ReadProblem> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(ReadProblem::Io(err)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_SETTINGS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadProblem::Io)?;
    if bytes.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(ReadProblem::TooLarge);
    }
    Ok(Some(bytes))
}

fn broken(path: &Path, reason: String) -> SettingsError {
    let (kept_as, move_error) = split(keep_aside(path));
    SettingsError::Broken {
        path: path.to_owned(),
        reason,
        kept_as,
        move_error,
    }
}

fn split(moved: io::Result<PathBuf>) -> (Option<PathBuf>, Option<String>) {
    match moved {
        Ok(kept) => (Some(kept), None),
        Err(err) => (None, Some(err.to_string())),
    }
}

/// Renames `path` to `<name>.broken-<UTC time>[-n]` beside it, never over an existing file.
fn keep_aside(path: &Path) -> io::Result<PathBuf> {
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "settings.json".to_owned());
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let base = format!("{file_name}.broken-{stamp}");
    for attempt in 0..1000 {
        let name = if attempt == 0 {
            base.clone()
        } else {
            format!("{base}-{attempt}")
        };
        let target = path.with_file_name(name);
        if target.symlink_metadata().is_ok() {
            continue;
        }
        fs::rename(path, &target)?;
        return Ok(target);
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "too many broken settings files kept aside already",
    ))
}

fn write_failed(path: &Path, err: impl std::fmt::Display) -> SettingsError {
    SettingsError::WriteFailed {
        path: path.to_owned(),
        reason: err.to_string(),
    }
}

/// Writes `bytes` to a hidden temp file beside `path`, flushes it to disk and renames it over
/// `path`; `before_rename` lets tests crash at the worst moment.
fn write_atomic(path: &Path, bytes: &[u8], before_rename: impl FnOnce()) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let temp = dir.join(format!(
        ".{file_name}.tmp-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        before_rename();
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
        return result;
    }
    // Make the rename itself durable; not possible (nor needed) on every platform.
    #[cfg(unix)]
    if let Ok(dir) = File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::model::{Account, Host};

    fn settings_with(name: &str) -> Settings {
        Settings {
            accounts: vec![Account {
                id: uuid::Uuid::new_v4(),
                name: name.to_owned(),
                host: Host::Production,
                company_id: "GC00804444LX".to_owned(),
                case_server: pd_domain::CaseServerSettings::None,
            }],
            ..Settings::default()
        }
    }

    const CRASH_CHILD_ENV: &str = "PD_SETTINGS_CRASH_CHILD_PATH";

    /// A real crash: a child process writes the temp file and aborts before the rename.
    #[test]
    fn a_crash_mid_write_keeps_the_previous_settings() {
        if let Ok(path) = std::env::var(CRASH_CHILD_ENV) {
            let json =
                serde_json::to_vec_pretty(&settings_with("written by the crashed save")).unwrap();
            let _ = write_atomic(Path::new(&path), &json, || std::process::abort());
            panic!("the child should have aborted before the rename");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let before = settings_with("ACME production");
        save(&path, &before).unwrap();

        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "file::tests::a_crash_mid_write_keeps_the_previous_settings",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CRASH_CHILD_ENV, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "the child must have crashed");

        let leftovers: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains(".tmp-"))
            .collect();
        assert_eq!(leftovers.len(), 1, "the crash leaves its temp file behind");
        let leftover = fs::read_to_string(dir.path().join(&leftovers[0])).unwrap();
        assert!(leftover.contains("written by the crashed save"));

        assert_eq!(load(&path).unwrap(), before, "the old settings are intact");
        let after = settings_with("ACME beta");
        save(&path, &after).unwrap();
        assert_eq!(load(&path).unwrap(), after, "saving works again");
    }
}
