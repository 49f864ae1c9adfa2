//! "Send to partner…" in the real window (issue 11, point 6): an SFTP connector to a real
//! OpenSSH server started here (its host key accepted through the app's own commands, as the
//! Settings screen calls them), its partner inbox set in Settings → Connector work, then a
//! case's document sent from its row: the chooser lists the inbox, the row ends "Sent to …",
//! and the file is in the inbox with the document's SHA-256. Screenshots light and dark.

use super::documents::invoke;
use super::*;

/// A second sshd on a free loopback port, key auth, everything in a temp dir; stopped on drop
/// with the session processes it started.
struct Sshd {
    dir: tempfile::TempDir,
    child: Child,
    port: u16,
    user: String,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let mut pids = descendants(self.child.id());
        pids.reverse();
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in pids {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The processes below `root` (sshd's session processes), read from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        if let Some(ppid) = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
        {
            parent_of.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parent_of
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found.remove(0);
    found
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "pd-e2e", "-f"])
        .arg(path)
        .status()
        .expect("run ssh-keygen");
    assert!(status.success());
}

impl Sshd {
    fn start() -> Sshd {
        let binary = std::env::var("PD_SSHD").unwrap_or_else(|_| "/usr/sbin/sshd".into());
        assert!(
            Path::new(&binary).is_file(),
            "{binary} is missing (.ci/install.sh --test installs openssh-server)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        keygen(&root.join("host_ed25519"));
        keygen(&root.join("client_ed25519"));
        std::fs::copy(
            root.join("client_ed25519.pub"),
            root.join("authorized_keys"),
        )
        .expect("authorized keys");
        std::fs::create_dir_all(root.join("inbound")).expect("inbox");
        std::fs::create_dir_all("/run/sshd").ok();
        let port = free_port();
        std::fs::write(
            root.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {root}/host_ed25519\nPidFile {root}/sshd.pid\n\
                 AuthorizedKeysFile {root}/authorized_keys\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\nSubsystem sftp internal-sftp\n",
                root = root.display()
            ),
        )
        .expect("sshd config");
        let child = Command::new(&binary)
            .args(["-D", "-e", "-f"])
            .arg(root.join("sshd_config"))
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sshd");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "sshd listens");
            std::thread::sleep(Duration::from_millis(20));
        }
        let user = String::from_utf8_lossy(
            &Command::new("id")
                .arg("-un")
                .output()
                .expect("id -un")
                .stdout,
        )
        .trim()
        .to_owned();
        Sshd {
            dir,
            child,
            port,
            user,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn fingerprint(&self) -> String {
        let output = Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(self.path("host_ed25519.pub"))
            .output()
            .expect("ssh-keygen -l");
        String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .nth(1)
            .expect("fingerprint")
            .to_owned()
    }
}

/// Sets the window's theme as the Settings switch does.
async fn theme(journey: &Journey, theme: &str) {
    journey
        .client
        .execute(
            "document.documentElement.dataset.theme = arguments[0];",
            vec![serde_json::Value::String(theme.to_owned())],
        )
        .await
        .expect("set the theme");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_document_is_sent_to_a_partner_sftp_inbox_from_its_row() {
    if e2e_enabled() {
        run_journey(deliver_journey());
    }
}

async fn deliver_journey() {
    let sshd = Sshd::start();
    let home = AppHome::new();
    let sandbox = Sandbox::start(SandboxConfig {
        data: Some(home.path().join("external-sandbox.sqlite")),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let (_driver, mut journey) = launch(&home, &sandbox.base_url(), "deliver-").await;
    journey
        .wait_for_count("case-row", "seeded cases after the first sync", |n| n >= 5)
        .await;

    // The SFTP connector and its accepted host key, through the commands Settings calls.
    let input = pd_domain::ConnectorInput {
        id: None,
        name: "Acme SFTP".into(),
        settings: pd_domain::ConnectorSettings::Sftp(pd_domain::SftpSettings {
            host: "127.0.0.1".into(),
            port: sshd.port,
            user: sshd.user.clone(),
            auth: pd_domain::SftpAuth::PrivateKey {
                path: sshd.path("client_ed25519").display().to_string(),
            },
            remote_dir: None,
            host_key: None,
        }),
        secret: None,
    };
    let saved = invoke(
        &journey,
        "save_connector",
        serde_json::json!({ "input": serde_json::to_value(&input).expect("input") }),
    )
    .await;
    let connector_id = saved["ok"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("connector saved: {saved}"))
        .to_owned();
    let accepted = invoke(
        &journey,
        "accept_host_key",
        serde_json::json!({ "connectorId": connector_id, "fingerprint": sshd.fingerprint() }),
    )
    .await;
    assert!(
        accepted.get("ok").is_some(),
        "host key accepted: {accepted}"
    );

    // A case's document, found through the app's own commands; its row has nowhere to send yet.
    let page = invoke(
        &journey,
        "list_cases",
        serde_json::json!({ "query": { "limit": 500 } }),
    )
    .await;
    let rows = page["ok"]["rows"].as_array().cloned().unwrap_or_default();
    let mut found = None;
    for row in rows {
        let id = row["id"].as_str().unwrap_or_default().to_owned();
        let detail = invoke(&journey, "get_case", serde_json::json!({ "id": id })).await;
        if let Some(document) = detail["ok"]["documents"].as_array().and_then(|d| d.first()) {
            found = Some((id, document.clone()));
            break;
        }
    }
    let (case_id, document) = found.expect("a seeded case with a document");
    let name = document["name"].as_str().unwrap_or_default().to_owned();
    let sha256 = document["sha256"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    journey.go(&format!("#/cases/{case_id}")).await;
    journey.wait_for("document").await;
    journey.click("document-send").await;
    journey.wait_for("send-empty").await;
    journey.shot("no-partner-inbox").await;

    // Settings → Connector work: the SFTP connector's partner inbox.
    let inbox = sshd.path("inbound").display().to_string();
    journey.click("nav-settings").await;
    journey.click("work-setup-sftp").await;
    journey.type_into("work-inbox", &inbox).await;
    journey.shot("partner-inbox-setting").await;
    journey.click("work-save").await;
    journey
        .wait_for_count("work-row", "the SFTP connector's work", |n| n == 1)
        .await;

    // Back on the case: choose the inbox, send, and watch the row until it is sent.
    journey.go(&format!("#/cases/{case_id}")).await;
    journey.wait_for("document").await;
    journey.click("document-send").await;
    journey.wait_for("send-target").await;
    journey.shot("send-chooser").await;
    // A long inbox path never widens the page (the row's width bounds the chooser).
    let widened = journey
        .client
        .execute(
            "const s = document.querySelector('.screen-scroll'); return s ? s.scrollWidth - s.clientWidth : 0;",
            vec![],
        )
        .await
        .expect("measure the page");
    assert!(
        widened.as_i64().unwrap_or(0) <= 1,
        "the chooser widened the page by {widened} px"
    );
    journey.click("send-confirm").await;
    let status = journey
        .wait_for_attr("document-delivery", "data-state", "sent")
        .await;
    let text = status.text().await.unwrap_or_default();
    assert!(
        text.contains(&format!("Sent to Acme SFTP {inbox}/{name} at")),
        "{text}"
    );
    journey.shot("sent-light").await;
    theme(&journey, "dark").await;
    journey.after_next_paint().await;
    journey.shot("sent-dark").await;
    theme(&journey, "light").await;

    let delivered = std::fs::read(sshd.path("inbound").join(&name)).expect("in the inbox");
    assert_eq!(sha256_hex(&delivered), sha256, "the document's bytes");
    let listing: Vec<String> = std::fs::read_dir(sshd.path("inbound"))
        .expect("inbox")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listing, vec![name.clone()], "one file, no temporary left");

    // The Transfers view lists the delivery as done.
    journey.go("#/transfers").await;
    journey
        .wait_for_attr("transfer", "data-state", "done")
        .await;
    journey.shot("transfers").await;
}
