//! A diagnostic for support and for tests that need a second process: checks the keychain the
//! way PartnerDesk does at start-up, and proves a secret is stored without ever printing it.
//!
//! ```text
//! pd-keychain-check probe NAMESPACE
//! pd-keychain-check digest NAMESPACE ACCOUNT_ID SECRET_NAME
//! ```
//! Prints `ok BACKEND`, `sha256:HEX` or `absent` and exits 0; on failure prints `CODE: MESSAGE`
//! to stdout and exits 2; on bad usage exits 64.

use std::process::ExitCode;

use pd_secrets::{SecretStore, SecretsError};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match args.as_slice() {
        ["probe", namespace] => SecretStore::new(namespace)
            .and_then(|store| store.probe())
            .map(|report| format!("ok {}", report.backend)),
        ["digest", namespace, account_id, secret_name] => SecretStore::new(namespace)
            .and_then(|store| store.digest(account_id, secret_name))
            .map(|digest| match digest {
                Some(hex) => format!("sha256:{hex}"),
                None => "absent".to_owned(),
            }),
        _ => {
            eprintln!(
                "usage: pd-keychain-check probe NAMESPACE\n       pd-keychain-check digest NAMESPACE ACCOUNT_ID SECRET_NAME"
            );
            return ExitCode::from(64);
        }
    };
    match outcome {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            report(&err);
            ExitCode::from(2)
        }
    }
}

fn report(err: &SecretsError) {
    println!("{}: {err}", err.code());
}
