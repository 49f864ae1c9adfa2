//! The `partnerdesk-sandbox` command: starts the sandbox on a loopback address and prints
//! `listening on http://127.0.0.1:PORT` as its first line so scripts and tests can find it.

use std::io::Write;
use std::path::PathBuf;

use partnerdesk_sandbox::{Faults, Sandbox, SandboxConfig};

const USAGE: &str =
    "usage: partnerdesk-sandbox --listen 127.0.0.1:0 --consumer-key KEY --consumer-secret SECRET \
--company-id ID [--data FILE] [--seed N] [--cases N] [--comments-per-case N] [--latency-ms N] \
[--error-rate R] [--rate-limit-rate R] [--retry-after-secs N] [--drop-rate R] [--malformed-rate R] \
[--token-ttl-secs N] [--stale-replay-rate R] [--no-cases]\n  --no-cases: a Trading-Grid-only tenant (OAuth2, Community Management, Lens; 404 under /collab/)";

fn parse_args(args: &[String]) -> Result<SandboxConfig, String> {
    let mut config = SandboxConfig::default();
    let mut faults = Faults::default();
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_string());
        }
        if flag == "--no-cases" {
            config.serve_cases = false;
            i += 1;
            continue;
        }
        let value = args
            .get(i + 1)
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |what: &str| format!("{flag}: {value:?} is not {what}");
        match flag {
            "--listen" => {
                config.listen = value
                    .parse()
                    .map_err(|_| bad("an address like 127.0.0.1:0"))?
            }
            "--consumer-key" => config.consumer_key = value.clone(),
            "--consumer-secret" => config.consumer_secret = value.clone(),
            "--company-id" => config.company_id = value.clone(),
            "--data" => config.data = Some(PathBuf::from(value)),
            "--seed" => config.seed = value.parse().map_err(|_| bad("a number"))?,
            "--cases" => config.cases = value.parse().map_err(|_| bad("a number"))?,
            "--comments-per-case" => {
                config.comments_per_case = value.parse().map_err(|_| bad("a number"))?
            }
            "--latency-ms" => faults.latency_ms = value.parse().map_err(|_| bad("a number"))?,
            "--error-rate" => faults.error_rate = value.parse().map_err(|_| bad("a rate"))?,
            "--rate-limit-rate" => {
                faults.rate_limit_rate = value.parse().map_err(|_| bad("a rate"))?
            }
            "--retry-after-secs" => {
                faults.retry_after_secs = value.parse().map_err(|_| bad("a number"))?
            }
            "--drop-rate" => faults.drop_rate = value.parse().map_err(|_| bad("a rate"))?,
            "--malformed-rate" => {
                faults.malformed_rate = value.parse().map_err(|_| bad("a rate"))?
            }
            "--stale-replay-rate" => {
                faults.stale_replay_rate = value.parse().map_err(|_| bad("a rate"))?
            }
            "--token-ttl-secs" => {
                faults.token_ttl_secs = Some(value.parse().map_err(|_| bad("a number"))?)
            }
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
        i += 2;
    }
    faults.validate()?;
    config.faults = faults;
    Ok(config)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let handle = match Sandbox::start(config).await {
        Ok(handle) => handle,
        Err(err) => {
            eprintln!("error [{}]: {err}", err.code());
            std::process::exit(1);
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on {}", handle.base_url());
    let _ = stdout.flush();
    wait_for_stop_signal().await;
    if let Err(err) = handle.shutdown().await {
        eprintln!("error [{}]: {err}", err.code());
        std::process::exit(1);
    }
}

/// Ctrl-C, or SIGTERM on Unix (how test harnesses and service managers stop it).
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
