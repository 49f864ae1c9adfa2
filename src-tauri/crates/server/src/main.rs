//! The `partnerdesk-server` command: `serve` and `migrate` over a config file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use partnerdesk_server::config::LogFormat;
use partnerdesk_server::{ServerError, Settings};

const HELP: &str = "\
partnerdesk-server: a team's PartnerDesk case server (collab/v1)

USAGE:
    partnerdesk-server serve   [--config FILE]   migrate the database, then serve
    partnerdesk-server migrate [--config FILE]   create or upgrade the database schema, then exit
    partnerdesk-server --help | --version

The config file (TOML, or JSON when it ends in .json) defaults to $PARTNERDESK_CONFIG, then
./partnerdesk-server.toml. Example:

    listen = \"0.0.0.0:8480\"
    database = \"sqlite:/var/lib/partnerdesk/cases.sqlite\"   # or postgres://user:pw@host/db
    companies = [\"GC00804444LX\"]
    token_secret = \"at least 32 random characters, same in every process\"
    idempotency_expiry_hours = 168
    log_format = \"json\"        # or \"text\"

    [documents]
    storage = \"database\"       # or \"s3\" with endpoint, region, bucket, prefix, access_key_id

    [[clients]]                # one per analyst or integration
    id = \"anna\"
    secret = \"at least 16 characters\"
    name = \"Anna Keller\"       # the author of Anna's comments

Environment: PARTNERDESK_TOKEN_SECRET, PARTNERDESK_S3_SECRET_ACCESS_KEY override the file;
RUST_LOG sets the log level (default info). Logs go to stderr; the listening address is
printed on stdout.
";

enum Command {
    Serve(PathBuf),
    Migrate(PathBuf),
    Help,
    Version,
}

fn parse(args: &[String]) -> Result<Command, String> {
    let mut command = None;
    let mut config = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--help" | "-h" | "help" => return Ok(Command::Help),
            "--version" | "-V" => return Ok(Command::Version),
            "--config" | "-c" => {
                let value = args.get(i + 1).ok_or("--config needs a file path")?;
                config = Some(PathBuf::from(value));
                i += 1;
            }
            "serve" | "migrate" if command.is_none() => command = Some(args[i].clone()),
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
        i += 1;
    }
    let config = config
        .or_else(|| std::env::var_os("PARTNERDESK_CONFIG").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("partnerdesk-server.toml"));
    match command.as_deref() {
        Some("serve") => Ok(Command::Serve(config)),
        Some("migrate") => Ok(Command::Migrate(config)),
        _ => Err("say what to do: serve or migrate (see --help)".into()),
    }
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn fail(error: &ServerError) -> ExitCode {
    eprintln!("partnerdesk-server: {error}");
    match error {
        ServerError::Config(_) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}

/// SIGTERM or Ctrl-C. The handlers are installed when this is called (before the server says
/// it is listening), so a stop sent right after start is never the default "kill".
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("partnerdesk-server: {message}");
            return ExitCode::from(2);
        }
    };
    let path = match command {
        Command::Help => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("partnerdesk-server {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::Serve(ref path) | Command::Migrate(ref path) => path.clone(),
    };
    let settings = match Settings::load(&path) {
        Ok(settings) => settings,
        Err(e) => return fail(&e),
    };
    init_logs(settings.file.log_format);
    match command {
        Command::Migrate(_) => match partnerdesk_server::migrate(&settings).await {
            Ok(database) => {
                tracing::info!(%database, "database schema is up to date");
                println!("partnerdesk-server: {database} is up to date");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        _ => {
            let stop = shutdown_signal();
            let server = match partnerdesk_server::start(settings).await {
                Ok(server) => server,
                Err(e) => return fail(&e),
            };
            println!("partnerdesk-server listening on {}", server.base_url());
            let _ = std::io::stdout().flush();
            match server.run_until(stop).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
    }
}
