//! What an account's hosts serve, asked when its workspace opens: partners and users (Community
//! Management) and transactions (Lens) on the Trading Grid host, cases (`collab/v1`) on the case
//! server, or on the Trading Grid host when there is none (so Settings can say whether it could).
//! The answer is the typed [`ServiceProbe`]; its sentence for Settings is made here, once.

use pd_domain::{CaseServerSettings, ErrorCode, Served, ServiceProbe};
use pd_tradinggrid::{LensQuery, TradingGridClient};

/// How one request's outcome reads as [`Served`].
fn served<T>(result: &Result<T, pd_tradinggrid::Error>) -> Served {
    match result {
        Ok(_) => Served::Yes,
        Err(error) => match error.code() {
            ErrorCode::ApiNotFound => Served::NotServed,
            ErrorCode::AuthUnauthorized | ErrorCode::AuthForbidden => Served::Refused,
            ErrorCode::NetOffline
            | ErrorCode::NetDns
            | ErrorCode::NetTls
            | ErrorCode::NetTimeout
            | ErrorCode::NetInterrupted => Served::Unreachable,
            _ => Served::Failed,
        },
    }
}

/// Asks each host once (the clients should not retry: this is a check, not a sync).
/// `case_client` is the case server's client (`None`: no case server, the Trading Grid host is
/// asked instead); `case_url` its base URL for the words.
pub async fn probe(
    trading_grid: &TradingGridClient,
    case_client: Option<&TradingGridClient>,
    case_server: &CaseServerSettings,
    case_url: Option<&str>,
) -> ServiceProbe {
    let partners = served(&trading_grid.partners(None).await);
    let (users, transactions) = if partners == Served::Refused || partners == Served::Unreachable {
        // Signing in failed for the whole host: the other surfaces would say the same.
        (partners, partners)
    } else {
        let users = served(&trading_grid.users().await);
        let transactions = served(&trading_grid.lens(&LensQuery::failed().count(1)).await);
        (users, transactions)
    };
    let cases = served(
        &case_client
            .unwrap_or(trading_grid)
            .cases_since(None, 1)
            .await,
    );
    let cases_stay_here = !case_server.serves_cases();
    let summary = describe(partners, users, transactions, cases, case_server, case_url);
    ServiceProbe {
        partners,
        users,
        transactions,
        cases,
        cases_stay_here,
        summary,
        checked_at: chrono::Utc::now(),
    }
}

fn state_words(served: Served) -> &'static str {
    match served {
        Served::Yes => "yes",
        Served::NotServed => "not served here",
        Served::Refused => "the credentials were refused",
        Served::Unreachable => "no answer",
        Served::Failed => "the server failed to answer",
        Served::NotChecked => "not checked",
    }
}

/// The probe in words: the Trading Grid surfaces grouped by answer ("Partners, users,
/// transactions: yes."), then where cases go.
pub fn describe(
    partners: Served,
    users: Served,
    transactions: Served,
    cases: Served,
    case_server: &CaseServerSettings,
    case_url: Option<&str>,
) -> String {
    let mut groups: Vec<(Served, Vec<&str>)> = Vec::new();
    for (name, state) in [
        ("partners", partners),
        ("users", users),
        ("transactions", transactions),
    ] {
        match groups.iter_mut().find(|(seen, _)| *seen == state) {
            Some((_, names)) => names.push(name),
            None => groups.push((state, vec![name])),
        }
    }
    let mut sentences: Vec<String> = groups
        .into_iter()
        .map(|(state, names)| {
            let mut list = names.join(", ");
            if let Some(first) = list.get(..1) {
                list = format!("{}{}", first.to_uppercase(), &list[1..]);
            }
            format!("{list}: {}.", state_words(state))
        })
        .collect();
    let at = case_url.unwrap_or("the case server");
    let cases_sentence = match (case_server, cases) {
        (CaseServerSettings::None, Served::Yes) => {
            "Cases: this host serves them too, but no case server is set — cases stay on this computer.".to_owned()
        }
        (CaseServerSettings::None, _) => {
            "Cases: not served here — cases stay on this computer.".to_owned()
        }
        (CaseServerSettings::TradingGridHost, Served::Yes) => "Cases: yes.".to_owned(),
        (CaseServerSettings::TradingGridHost, Served::NotServed) => {
            "Cases: not served here — choose \"No case server\" to keep cases on this computer, or enter your team's case server.".to_owned()
        }
        (_, Served::Yes) => format!("Cases: yes, on the case server {at}."),
        (_, Served::NotServed) => {
            format!("Cases: not served at {at} — check the case server's URL.")
        }
        (_, Served::Refused) => {
            format!("Cases: {at} refused the credentials — check the case server's client id and secret.")
        }
        (_, state) => format!("Cases: {} ({at}).", state_words(state)),
    };
    sentences.push(cases_sentence);
    sentences.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trading_grid_only_host_reads_as_the_issue_asks() {
        assert_eq!(
            describe(
                Served::Yes,
                Served::Yes,
                Served::Yes,
                Served::NotServed,
                &CaseServerSettings::None,
                None
            ),
            "Partners, users, transactions: yes. Cases: not served here — cases stay on this computer."
        );
    }

    #[test]
    fn mixed_answers_are_grouped_and_the_case_server_is_named() {
        let words = describe(
            Served::Yes,
            Served::Refused,
            Served::Yes,
            Served::Yes,
            &CaseServerSettings::Url {
                url: "https://cases.acme.example".into(),
                credentials: pd_domain::CaseServerCredentials::Own,
            },
            Some("https://cases.acme.example"),
        );
        assert_eq!(
            words,
            "Partners, transactions: yes. Users: the credentials were refused. Cases: yes, on the case server https://cases.acme.example."
        );
    }
}
