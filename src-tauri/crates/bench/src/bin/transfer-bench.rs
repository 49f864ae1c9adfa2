//! `cargo build --release -p pd-transfer --bin pd-upload-once && cargo run --release -p pd-bench
//! --bin transfer-bench -- [--megabytes N] [--part-mib N]`: the time to upload one file (default
//! 1 GiB) to `s3s-fs` on loopback with PartnerDesk's upload queue (`pd-transfer` `Uploader`),
//! with `aws s3 cp` (awscli from PyPI: `$PD_AWS`, `~/.cache/partnerdesk/tools/awscli/bin/aws`, or
//! PATH) and with `rclone copy` (Debian's rclone), the same file in the same run; then the time
//! `pd-upload-once` takes to finish after it was killed (SIGKILL) at 50 % of the parts, against
//! a full upload. A client that is not installed is reported as missing, not timed.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pd_bench::args::Flags;
use pd_connectors::{ConnectorOptions, S3Client};
use pd_domain::{CaseKind, CaseReferences, NewCase, S3Settings};
use pd_s3test::{S3Peer, ACCESS_KEY, REGION, SECRET_KEY};
use pd_store::Store;
use pd_transfer::UploadPlan;

const BUCKET: &str = "bench";

fn main() {
    if let Err(message) = run() {
        eprintln!("transfer-bench: {message}");
        std::process::exit(1);
    }
}

fn fail(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn run() -> Result<(), String> {
    let flags = Flags::parse(std::env::args().skip(1), &["megabytes", "part-mib"])
        .map_err(|e| e.to_string())?;
    let megabytes = flags
        .count("megabytes", 1024)
        .map_err(|e| e.to_string())?
        .max(6) as u64;
    let part_mib = flags
        .count("part-mib", 16)
        .map_err(|e| e.to_string())?
        .max(5) as u64;
    println!("transfer-bench on {}", pd_bench::machine_line());
    let peer = S3Peer::s3s_fs(&[BUCKET]).ok_or("s3s-fs is not installed")?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("bench.bin");
    let size = megabytes * 1024 * 1024;
    write_file(&file, size).map_err(|e| format!("writing the file: {e}"))?;
    println!(
        "file: {megabytes} MiB; parts of {part_mib} MiB; s3s-fs at {}",
        peer.endpoint()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();

    // PartnerDesk: inspect (read once: SHA-256, type) then the upload queue.
    let cache = dir.path().join("cache.sqlite");
    let (inspect_time, ours) = runtime.block_on(async {
        let store = Store::open(&cache).map_err(|e| e.to_string())?;
        let case = store
            .create_local_case(&bench_case(), "Bench", chrono::Utc::now())
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let inspected = pd_transfer::inspect(&file).map_err(|e| e.to_string())?;
        let inspect_time = started.elapsed();
        let id = pd_transfer::queue_upload(
            &store,
            &case,
            &inspected,
            &UploadPlan {
                bucket: BUCKET.into(),
                connector_id: None,
                part_size: part_mib * 1024 * 1024,
                uploaded_by: "Bench".into(),
            },
        )
        .map_err(|e| e.to_string())?;
        let uploader = pd_transfer::Uploader::new(store.clone(), client(&peer.endpoint())?);
        let (_stop, mut rx) = tokio::sync::watch::channel(None);
        let progress: pd_transfer::Progress = Arc::new(|_| {});
        let started = Instant::now();
        uploader
            .run(&id, &mut rx, &progress)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((inspect_time, started.elapsed()))
    })?;
    rows.push(("PartnerDesk upload queue (pd-transfer)", Some(ours)));
    println!(
        "PartnerDesk: inspect {:.1} s, upload {:.1} s",
        inspect_time.as_secs_f64(),
        ours.as_secs_f64()
    );

    let aws = aws_binary().map(|aws| {
        let mut command = Command::new(aws);
        command
            .args(["--endpoint-url", &peer.endpoint(), "s3", "cp"])
            .arg(&file)
            .arg(format!("s3://{BUCKET}/aws/bench.bin"))
            .args(["--only-show-errors"])
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_CA_BUNDLE");
        timed(command)
    });
    rows.push(("aws s3 cp (awscli)", aws.transpose()?));

    let rclone = which("rclone").map(|rclone| {
        let mut command = Command::new(rclone);
        command
            .arg("copy")
            .arg(&file)
            .arg(format!("bench:{BUCKET}/rclone/"))
            .env("RCLONE_CONFIG_BENCH_TYPE", "s3")
            .env("RCLONE_CONFIG_BENCH_PROVIDER", "Other")
            .env("RCLONE_CONFIG_BENCH_ACCESS_KEY_ID", ACCESS_KEY)
            .env("RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("RCLONE_CONFIG_BENCH_ENDPOINT", peer.endpoint())
            .env("RCLONE_CONFIG_BENCH_REGION", REGION)
            .env("RCLONE_CONFIG", "/dev/null")
            // rclone 1.60 cannot use a custom CA bundle with its transport (the endpoint is
            // plain http on loopback anyway).
            .env_remove("AWS_CA_BUNDLE");
        timed(command)
    });
    rows.push(("rclone copy", rclone.transpose()?));

    println!("\n| client | time | MiB/s | vs PartnerDesk |\n|---|---|---|---|");
    for (name, time) in &rows {
        match time {
            Some(time) => println!(
                "| {name} | {:.1} s | {:.0} | {:.2}x |",
                time.as_secs_f64(),
                megabytes as f64 / time.as_secs_f64(),
                time.as_secs_f64() / ours.as_secs_f64()
            ),
            None => println!("| {name} | not installed | – | – |"),
        }
    }

    // Resume after a kill at 50 %: pd-upload-once killed when part n/2 is recorded.
    let once = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .with_file_name("pd-upload-once");
    if !once.is_file() {
        println!(
            "\nresume: {} not built (cargo build --release -p pd-transfer --bin pd-upload-once)",
            once.display()
        );
        return Ok(());
    }
    let cache2 = dir.path().join("resume.sqlite");
    let parts = size.div_ceil(part_mib * 1024 * 1024);
    runtime.block_on(async {
        let store = Store::open(&cache2).map_err(|e| e.to_string())?;
        let case = store
            .create_local_case(&bench_case(), "Bench", chrono::Utc::now())
            .map_err(|e| e.to_string())?;
        let inspected = pd_transfer::inspect(&file).map_err(|e| e.to_string())?;
        pd_transfer::queue_upload(
            &store,
            &case,
            &inspected,
            &UploadPlan {
                bucket: BUCKET.into(),
                connector_id: None,
                part_size: part_mib * 1024 * 1024,
                uploaded_by: "Bench".into(),
            },
        )
        .map_err(|e| e.to_string())?;
        Ok::<_, String>(())
    })?;
    let point = format!("part_recorded:{}", parts / 2);
    let started = Instant::now();
    let mut child = once_command(&once, &cache2, &peer.endpoint())
        .env("PD_UPLOAD_PAUSE_AT", &point)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(fail("pd-upload-once"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let first_half = started.elapsed();
    if line.trim() != format!("PAUSED {point}") {
        return Err(format!("pd-upload-once said {line:?}"));
    }
    child.kill().map_err(|e| e.to_string())?;
    let _ = child.wait();
    let started = Instant::now();
    let status = once_command(&once, &cache2, &peer.endpoint())
        .stdout(Stdio::null())
        .status()
        .map_err(fail("pd-upload-once"))?;
    let resumed = started.elapsed();
    if !status.success() {
        return Err(format!("the resumed run failed: {status}"));
    }
    println!(
        "\nresume after SIGKILL at {point} of {parts}: the first run took {:.1} s to get there; the restarted run finished in {:.1} s (a full upload took {:.1} s; aws s3 cp and rclone start again from zero)",
        first_half.as_secs_f64(),
        resumed.as_secs_f64(),
        ours.as_secs_f64()
    );
    let _ = std::io::stdout().flush();
    Ok(())
}

fn bench_case() -> NewCase {
    NewCase {
        id: String::new(),
        title: "Upload benchmark".into(),
        partner_id: "GCBENCH".into(),
        partner_name: None,
        kind: CaseKind::Other,
        priority: None,
        owner: None,
        sla_due: None,
        linked_transactions: Vec::new(),
        references: CaseReferences::default(),
        description: None,
    }
}

fn once_command(once: &Path, cache: &Path, endpoint: &str) -> Command {
    let mut command = Command::new(once);
    command
        .arg(cache)
        .arg(endpoint)
        .arg(BUCKET)
        .env("PD_S3_ACCESS_KEY", ACCESS_KEY)
        .env("PD_S3_SECRET_KEY", SECRET_KEY)
        .env_remove("PD_UPLOAD_PAUSE_AT");
    command
}

fn client(endpoint: &str) -> Result<S3Client, String> {
    S3Client::new(
        &S3Settings {
            endpoint: Some(endpoint.to_owned()),
            region: REGION.into(),
            bucket: BUCKET.into(),
            access_key_id: ACCESS_KEY.into(),
        },
        Some(SECRET_KEY),
        &ConnectorOptions {
            timeout: Duration::from_secs(300),
            ..ConnectorOptions::default()
        },
    )
    .map_err(|e| e.to_string())
}

fn timed(mut command: Command) -> Result<Duration, String> {
    let started = Instant::now();
    let status = command
        .stdin(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("{command:?} failed: {status}"));
    }
    Ok(started.elapsed())
}

/// Bytes that do not compress, written in 8 MiB blocks.
fn write_file(path: &Path, size: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut block = vec![0u8; 8 * 1024 * 1024];
    let mut left = size;
    while left > 0 {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bytes = state.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    out.flush()
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn aws_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PD_AWS") {
        return Some(PathBuf::from(path));
    }
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    let venv = home.join(".cache/partnerdesk/tools/awscli/bin/aws");
    if venv.is_file() {
        return Some(venv);
    }
    which("aws")
}
