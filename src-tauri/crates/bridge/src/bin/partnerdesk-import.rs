//! `partnerdesk-import`: pulls an xConnector event feed into a cache file and exits, the same
//! code the app's importer job runs. Used to show that an import killed at any moment and
//! started again applies every event exactly once.
//!
//! `partnerdesk-import --cache FILE --connector ID --feed URL` (token in `PD_XC_TOKEN`).

use std::process::ExitCode;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(cache), Some(connector), Some(feed)) = (
        arg(&args, "--cache"),
        arg(&args, "--connector"),
        arg(&args, "--feed"),
    ) else {
        eprintln!("usage: partnerdesk-import --cache FILE --connector ID --feed URL (token in PD_XC_TOKEN)");
        return ExitCode::from(2);
    };
    let token = std::env::var("PD_XC_TOKEN").ok();
    let store = match pd_store::Store::open(&cache) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("cannot open {cache}: {e}");
            return ExitCode::from(1);
        }
    };
    let client = match pd_connectors::XcClient::new(token.as_deref(), &Default::default()) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    match pd_bridge::feed::pull_feed(
        &store,
        &client,
        &connector,
        &feed,
        pd_store::CaseHome::Kept,
        u32::MAX,
    )
    .await
    {
        Ok(report) => {
            println!(
                "pages {} opened {} updated {} late {} duplicates {} aside {}",
                report.pages,
                report.ingest.opened,
                report.ingest.updated,
                report.ingest.late,
                report.ingest.duplicates,
                report.ingest.aside
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
