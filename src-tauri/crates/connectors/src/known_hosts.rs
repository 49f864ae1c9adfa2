//! The app's own `known_hosts` file: every SFTP host key an analyst accepted, in OpenSSH's
//! format (`[host]:port keytype base64`), so `ssh-keygen -F '[host]:port' -f known_hosts` and
//! `ssh -o UserKnownHostsFile=...` read it. The pin that decides a connection is the one in the
//! connector's settings; this file mirrors it for the OpenSSH tools.

use std::io::Write;
use std::path::Path;

use pd_domain::SftpHostKey;

/// How OpenSSH names a server in `known_hosts`: `host` on port 22, `[host]:port` otherwise.
pub fn host_pattern(host: &str, port: u16) -> String {
    let host = host.trim().to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// The `known_hosts` line of an accepted key.
pub fn line(host: &str, port: u16, key: &SftpHostKey) -> String {
    format!(
        "{} {} {}",
        host_pattern(host, port),
        key.algorithm,
        key.public_key
    )
}

/// Adds the accepted `key` for `host:port` to the file at `path` (created with permissions for
/// the user only), replacing a line for the same server and key type, keeping every other
/// line. Written to a temporary file and renamed, so a crash leaves the old file or the new.
pub fn remember(path: &Path, host: &str, port: u16, key: &SftpHostKey) -> std::io::Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error),
    };
    let pattern = host_pattern(host, port);
    let mut text: String = existing
        .lines()
        .filter(|line| {
            let mut fields = line.split_whitespace();
            let same_server = fields.next() == Some(pattern.as_str());
            let same_type = fields.next() == Some(key.algorithm.as_str());
            !(same_server && same_type)
        })
        .map(|line| format!("{line}\n"))
        .collect();
    text.push_str(&line(host, port, key));
    text.push('\n');
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(blob: &str) -> SftpHostKey {
        SftpHostKey {
            algorithm: "ssh-ed25519".into(),
            public_key: blob.into(),
            fingerprint: "SHA256:x".into(),
        }
    }

    #[test]
    fn a_server_is_named_as_openssh_names_it() {
        assert_eq!(host_pattern("SFTP.Partner.com", 22), "sftp.partner.com");
        assert_eq!(host_pattern("127.0.0.1", 2222), "[127.0.0.1]:2222");
    }

    #[test]
    fn accepting_again_replaces_the_line_of_that_server_and_keeps_the_others() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("known_hosts");
        remember(&path, "a.example", 22, &key("AAAAold")).expect("first");
        remember(&path, "b.example", 2222, &key("AAAAother")).expect("second");
        remember(&path, "a.example", 22, &key("AAAAnew")).expect("replaced");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            "[b.example]:2222 ssh-ed25519 AAAAother\na.example ssh-ed25519 AAAAnew\n"
        );
    }
}
