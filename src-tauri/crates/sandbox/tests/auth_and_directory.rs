//! OAuth2 and Community Management: tokens, 401s, every GET of OpenText's collection, and the
//! user and role writes.

mod common;

use common::{start, COMPANY, KEY, SECRET};
use partnerdesk_sandbox::SandboxConfig;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn tokens_are_issued_for_the_right_credentials_only() {
    let env = start(20).await;
    let ok = env
        .http
        .post(env.url("/v1/oauth2/tokens?grant_type=client_credentials"))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 36000);
    assert!(body["access_token"].as_str().is_some_and(|t| t.len() >= 32));

    let wrong = env
        .http
        .post(env.url("/v1/oauth2/tokens?grant_type=client_credentials"))
        .basic_auth(KEY, Some("not-the-secret"))
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(body["error"], "invalid_client");

    let none = env
        .http
        .post(env.url("/v1/oauth2/tokens?grant_type=client_credentials"))
        .send()
        .await
        .expect("send");
    assert_eq!(none.status(), 401);
}

#[tokio::test]
async fn api_routes_refuse_missing_and_unknown_bearer_tokens() {
    let env = start(20).await;
    let path = env.cm("");
    let missing = env.http.get(env.url(&path)).send().await.expect("send");
    assert_eq!(missing.status(), 401);
    let body: Value = missing.json().await.expect("json");
    assert_eq!(body["code"], "unauthorized");
    let unknown = env
        .http
        .get(env.url(&path))
        .bearer_auth("forged-token")
        .send()
        .await
        .expect("send");
    assert_eq!(unknown.status(), 401);
    let lens = env
        .http
        .post(env.url("/visibility_transaction_search"))
        .bearer_auth("forged")
        .json(&json!({"query": "{ getTransactions { count } }"}))
        .send()
        .await
        .expect("send");
    assert_eq!(lens.status(), 401);
    let collab = env
        .http
        .get(env.url(&env.collab("")))
        .send()
        .await
        .expect("send");
    assert_eq!(collab.status(), 401);
    assert_eq!(env.get(&path).await.status(), 200);
}

#[tokio::test]
async fn every_community_management_get_in_the_collection_answers() {
    let env = start(20).await;
    let company = env.get_json(&env.cm("")).await;
    assert_eq!(company["companyId"], COMPANY);
    assert!(company["tradingAddresses"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x == "ZZ:DEMORETAILER")));

    let directory = env.get_json(&env.cm("/partnerDirectory")).await;
    let partners = directory["partners"].as_array().expect("partners");
    assert_eq!(
        directory["totalCount"].as_u64(),
        Some(partners.len() as u64)
    );
    assert!(partners.len() >= 40);
    assert!(partners.iter().all(|p| p["tradingAddresses"]
        .as_array()
        .is_some_and(|a| !a.is_empty())));

    let verona = env
        .get_json(&env.cm("/partnerDirectory?partnerCompanyName=Verona Vittles"))
        .await;
    assert_eq!(verona["totalCount"], 1);
    assert_eq!(
        verona["partners"][0]["partnerCompanyName"],
        "Verona Vittles"
    );
    assert_eq!(
        verona["partners"][0]["tradingAddresses"][0],
        "ZZ:VERONAVITTLES"
    );
    let substring = env
        .get_json(&env.cm("/partnerDirectory?partnerCompanyName=sys"))
        .await;
    assert_eq!(substring["totalCount"], 2, "Sysco and Systemax match 'sys'");

    let users = env.get_json(&env.cm("/users")).await;
    assert_eq!(users["totalCount"], 12);
    let first = &users["users"][0];
    let login = first["loginId"].as_str().expect("loginId");
    let user_id = first["userId"].as_str().expect("userId");

    let by_login = env
        .get_json(&env.cm(&format!("/users?loginId={login}")))
        .await;
    assert_eq!(by_login["totalCount"], 1);
    assert_eq!(by_login["users"][0]["userId"], user_id);

    let detail = env.get_json(&env.cm(&format!("/users/{user_id}"))).await;
    assert_eq!(detail["loginId"], login);
    assert!(detail["contactInformation"]["email"].is_string());
    assert!(detail["preferredTimezone"].is_string());

    let roles = env
        .get_json(&env.cm(&format!("/users/{login}/roles")))
        .await;
    assert!(roles
        .as_array()
        .is_some_and(|r| r.iter().any(|x| x["roleName"] == "Lens All custom")));

    let entitlements = env.get_json(&env.cm("/entitlements")).await;
    assert!(entitlements["entitlements"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));
    let mine = env
        .get_json(&format!(
            "/TGCommunityServices/v1/users/{login}/entitlements"
        ))
        .await;
    assert_eq!(mine["entitlements"][0]["name"], "Lens");

    assert_eq!(
        env.get("/TGCommunityServices/v1/companies/GC999/partnerDirectory")
            .await
            .status(),
        404
    );
    assert_eq!(env.get(&env.cm("/users/nobody")).await.status(), 404);
}

#[tokio::test]
async fn users_and_roles_can_be_created_changed_and_deleted() {
    let env = start(20).await;
    let created = env
        .send_json(
            Method::POST,
            &env.cm("/users"),
            &json!({"loginId": "hmunster", "firstName": "Herman", "lastName": "Munster",
                    "loginPassword": "o0ZCWAJ9", "contactInformation": {"email": "somebody@somewhere.com"}}),
            None,
        )
        .await;
    assert_eq!(created.status(), 201);
    let user: Value = created.json().await.expect("json");
    assert!(
        user.get("loginPassword").is_none(),
        "passwords are never echoed"
    );
    let user_id = user["userId"].as_str().expect("userId").to_string();

    let updated = env
        .send_json(
            Method::PUT,
            &env.cm(&format!("/users/{user_id}")),
            &json!({"address": {"city": "Latham"}}),
            None,
        )
        .await;
    assert_eq!(updated.status(), 200);
    assert_eq!(
        env.get_json(&env.cm(&format!("/users/{user_id}"))).await["address"]["city"],
        "Latham"
    );

    let roles = env
        .send_json(
            Method::PUT,
            &env.cm("/users/hmunster/roles?action=Add"),
            &json!([{"roleName": "TGMS Reports"}]),
            None,
        )
        .await;
    assert_eq!(roles.status(), 200);
    let roles: Value = roles.json().await.expect("json");
    assert_eq!(roles, json!([{"roleName": "TGMS Reports"}]));
    let bad_action = env
        .send_json(
            Method::PUT,
            &env.cm("/users/hmunster/roles?action=Juggle"),
            &json!([]),
            None,
        )
        .await;
    assert_eq!(bad_action.status(), 400);

    let duplicate = env
        .send_json(
            Method::POST,
            &env.cm("/users"),
            &json!({"loginId": "hmunster", "firstName": "A", "lastName": "B"}),
            None,
        )
        .await;
    assert_eq!(duplicate.status(), 409);
    let missing = env
        .send_json(
            Method::POST,
            &env.cm("/users"),
            &json!({"firstName": "A"}),
            None,
        )
        .await;
    assert_eq!(missing.status(), 400);

    let deleted = env
        .request(Method::DELETE, &env.cm(&format!("/users/{user_id}")))
        .send()
        .await
        .expect("send");
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        env.get(&env.cm(&format!("/users/{user_id}")))
            .await
            .status(),
        404
    );
}

/// A Trading-Grid-only tenant (`serve_cases: false`): tokens, Community Management and Lens
/// answer as usual, and every `/collab/` path is a 404, reads and writes alike.
#[tokio::test]
async fn a_trading_grid_only_sandbox_serves_everything_but_cases() {
    let env = common::start_with(SandboxConfig {
        serve_cases: false,
        ..common::config(20)
    })
    .await;
    let company = env.get_json(&env.cm("")).await;
    assert_eq!(company["companyId"], COMPANY, "{company}");
    let partners = env.get(&env.cm("/partnerDirectory")).await;
    assert_eq!(partners.status(), 200);
    let lens = env
        .request(Method::POST, "/visibility_transaction_search")
        .json(&json!({
            "query": r#"{ getTransactions(query:{count:1 query:"status:F"}) { transactions { correlationid } } }"#
        }))
        .send()
        .await
        .expect("lens");
    assert_eq!(lens.status(), 200, "Lens is served");

    let feed = env.get(&env.collab("?limit=10")).await;
    assert_eq!(feed.status(), 404, "no case feed");
    let create = env
        .send_json(
            Method::POST,
            &env.collab(""),
            &json!({ "title": "t" }),
            Some("op-1"),
        )
        .await;
    assert_eq!(create.status(), 404, "no case writes");
    assert_eq!(env.sandbox.stats().await.expect("stats").applied_ops, 0);
}
