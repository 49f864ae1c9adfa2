//! The collab/v1 contract (`pd-collab-contract`), the same bodies `partnerdesk-server` runs,
//! against the sandbox: one implementation, one set of answers.

mod common;

use partnerdesk_sandbox::SandboxHandle;
use pd_collab_contract::{Target, Unknown};

async fn sandbox_target() -> (Target, SandboxHandle) {
    let env = common::start(10).await;
    let (partner, owner) = common::partner_and_owner(&env).await;
    let answer = env
        .lens(r#"{ getTransactions(query:{count:2}) { transactions { transactionid } } }"#)
        .await;
    let transactions = answer["data"]["getTransactions"]["transactions"]
        .as_array()
        .expect("transactions")
        .iter()
        .map(|t| t["transactionid"].as_str().expect("id").to_string())
        .collect();
    let target = Target {
        base_url: env.sandbox.base_url(),
        company: common::COMPANY.into(),
        client_id: common::KEY.into(),
        client_secret: common::SECRET.into(),
        partner,
        owner,
        transactions,
        unknown: Some(Unknown {
            partner: "GC000000000000".into(),
            owner: "no.such.user".into(),
            transaction: "not-a-transaction".into(),
        }),
        author: None,
    };
    (target, env.sandbox)
}

pd_collab_contract::contract_tests!(sandbox_target());
