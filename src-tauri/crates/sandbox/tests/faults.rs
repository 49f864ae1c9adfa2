//! Fault injection: each switch observed through real HTTP, and the admin endpoints that flip
//! them.

mod common;

use std::time::{Duration, Instant};

use common::{partner_and_owner, start, KEY, SECRET};
use partnerdesk_sandbox::Faults;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn admin_faults_round_trip_and_need_credentials() {
    let env = start(10).await;
    let anonymous = env
        .http
        .get(env.url("/__admin/faults"))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), 401);
    let with_bearer = env
        .http
        .get(env.url("/__admin/stats"))
        .bearer_auth(&env.token)
        .send()
        .await
        .expect("send");
    assert_eq!(with_bearer.status(), 401);
    let set = env
        .admin_put_faults(&json!({"latencyMs": 5, "errorRate": 0.25, "retryAfterSecs": 7}))
        .await;
    assert_eq!(set.status(), 200);
    let current: Value = env
        .http
        .get(env.url("/__admin/faults"))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(current["errorRate"], 0.25);
    assert_eq!(current["retryAfterSecs"], 7);
    assert_eq!(current["dropRate"], 0.0);
    assert_eq!(env.sandbox.faults().latency_ms, 5);
    for bad in [
        json!({"errorRate": 1.5}),
        json!({"dropRate": -0.1}),
        json!({"latencyMs": "slow"}),
        json!({"nonsense": 1}),
    ] {
        let response = env.admin_put_faults(&bad).await;
        assert_eq!(response.status(), 400, "{bad}");
    }
    assert_eq!(
        env.sandbox.faults().error_rate,
        0.25,
        "a refused update changes nothing"
    );
    let stats: Value = env
        .http
        .get(env.url("/__admin/stats"))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["cases"], 10);
    assert_eq!(stats["transactions"], 5000);
    assert!(stats["requests"].as_u64().is_some_and(|r| r >= 1));
}

#[tokio::test]
async fn error_and_rate_limit_faults_answer_without_applying() {
    let env = start(10).await;
    env.sandbox
        .set_faults(Faults {
            error_rate: 1.0,
            ..Faults::default()
        })
        .expect("faults");
    let mut statuses = std::collections::HashSet::new();
    for _ in 0..12 {
        let response = env.get(&env.cm("")).await;
        statuses.insert(response.status().as_u16());
        let body: Value = response.json().await.expect("error json");
        assert!(body["code"] == "unavailable" || body["code"] == "internal");
    }
    assert!(
        statuses.iter().all(|s| *s == 500 || *s == 503),
        "{statuses:?}"
    );

    env.sandbox
        .set_faults(Faults {
            rate_limit_rate: 1.0,
            retry_after_secs: 3,
            ..Faults::default()
        })
        .expect("faults");
    let (partner, _) = partner_and_owner_unfaulted(&env).await;
    let limited = env
        .send_json(
            Method::POST,
            &env.collab(""),
            &json!({"id": "rl-1", "title": "t", "partnerId": partner, "kind": "other"}),
            None,
        )
        .await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "3");
    env.sandbox.set_faults(Faults::default()).expect("faults");
    assert_eq!(
        env.get(&env.collab("/rl-1")).await.status(),
        404,
        "a 429 applies nothing"
    );
    // Admin routes are never faulted.
    env.sandbox
        .set_faults(Faults {
            error_rate: 1.0,
            ..Faults::default()
        })
        .expect("faults");
    let admin = env
        .http
        .get(env.url("/__admin/stats"))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .expect("send");
    assert_eq!(admin.status(), 200);
}

async fn partner_and_owner_unfaulted(env: &common::Env) -> (String, String) {
    let saved = env.sandbox.faults();
    env.sandbox.set_faults(Faults::default()).expect("faults");
    let pair = partner_and_owner(env).await;
    env.sandbox.set_faults(saved).expect("faults");
    pair
}

#[tokio::test]
async fn dropped_connections_lose_the_answer_but_the_key_replays_it() {
    let env = start(10).await;
    let (partner, owner) = partner_and_owner(&env).await;
    env.sandbox
        .set_faults(Faults {
            drop_rate: 1.0,
            ..Faults::default()
        })
        .expect("faults");
    let body = json!({"id": "drop-1", "title": "Dropped", "partnerId": partner, "kind": "order", "owner": owner});
    let attempt = env
        .request(Method::POST, &env.collab(""))
        .header("Idempotency-Key", "drop-op")
        .json(&body)
        .send()
        .await;
    let failed = match attempt {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the client sees a broken response");
    env.sandbox.set_faults(Faults::default()).expect("faults");
    let retry = env
        .send_json(Method::POST, &env.collab(""), &body, Some("drop-op"))
        .await;
    assert_eq!(retry.status(), 201);
    let ops = env.sandbox.applied_ops(Some("drop-1")).await.expect("ops");
    assert_eq!(ops.len(), 1, "applied once although sent twice");
}

#[tokio::test]
async fn malformed_bodies_keep_status_200_but_do_not_parse() {
    let env = start(10).await;
    env.sandbox
        .set_faults(Faults {
            malformed_rate: 1.0,
            ..Faults::default()
        })
        .expect("faults");
    let response = env.get(&env.cm("/partnerDirectory")).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "garbled: {text:.80}"
    );
    assert!(
        text.starts_with('{'),
        "a truncated JSON body, not an empty one"
    );
}

#[tokio::test]
async fn token_ttl_fault_expires_tokens_early_and_latency_delays_answers() {
    let env = start(10).await;
    assert_eq!(env.get(&env.cm("")).await.status(), 200);
    env.sandbox
        .set_faults(Faults {
            token_ttl_secs: Some(0),
            ..Faults::default()
        })
        .expect("faults");
    let expired = env.get(&env.cm("")).await;
    assert_eq!(expired.status(), 401);
    let body: Value = expired.json().await.expect("json");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("expired")));
    env.sandbox
        .set_faults(Faults {
            token_ttl_secs: Some(3600),
            ..Faults::default()
        })
        .expect("faults");
    assert_eq!(
        env.get(&env.cm("")).await.status(),
        200,
        "a young token lives again under a longer TTL"
    );

    env.sandbox
        .set_faults(Faults {
            latency_ms: 300,
            ..Faults::default()
        })
        .expect("faults");
    let started = Instant::now();
    assert_eq!(env.get(&env.cm("")).await.status(), 200);
    // A lower bound only: the injected sleep happened.
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_stale_replay_applies_the_write_then_a_partner_reply_and_loses_the_answer() {
    let env = start(10).await;
    let (partner, owner) = partner_and_owner(&env).await;
    let body = json!({"id": "stale-1", "title": "Stale", "partnerId": partner, "kind": "order", "owner": owner});
    let created = env
        .send_json(Method::POST, &env.collab(""), &body, Some("stale-create"))
        .await;
    assert_eq!(created.status(), 201);
    env.sandbox
        .set_faults(Faults {
            stale_replay_rate: 1.0,
            ..Faults::default()
        })
        .expect("faults");
    let patch = json!({"status": "open"});
    let attempt = env
        .request(Method::PATCH, &env.collab("/stale-1"))
        .header("Idempotency-Key", "stale-op")
        .json(&patch)
        .send()
        .await;
    let failed = match attempt {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the client sees a broken response");
    env.sandbox.set_faults(Faults::default()).expect("faults");
    let replay = env
        .send_json(
            Method::PATCH,
            &env.collab("/stale-1"),
            &patch,
            Some("stale-op"),
        )
        .await;
    assert_eq!(replay.status(), 200);
    let replayed: Value = replay.json().await.expect("json");
    let server = env.get_json(&env.collab("/stale-1")).await;
    assert_eq!(replayed["version"], 2, "the answer of the write");
    assert_eq!(server["case"]["version"], 3, "a partner replied after it");
    let thread = server["comments"].as_array().expect("comments");
    assert!(thread.iter().any(|c| c["authorIsPartner"] == true));
    assert_eq!(env.sandbox.requests_by_key().get("stale-op"), Some(&2));
}
