//! Lens: every query of OpenText's collection, read from the collection file at test time and
//! sent as written, plus the filter, sort, paging and scroll semantics.

mod common;

use std::collections::HashSet;

use common::{start, Env};
use reqwest::Method;
use serde_json::{json, Value};

fn collection_queries() -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../../shared/reference/trading-grid/lens.postman_collection.json");
    let text = std::fs::read_to_string(&path).expect("the Lens collection is readable");
    let collection: Value = serde_json::from_str(&text).expect("collection json");
    let mut out = Vec::new();
    let mut stack: Vec<Value> = collection["item"].as_array().expect("items").clone();
    while let Some(item) = stack.pop() {
        if let Some(children) = item["item"].as_array() {
            stack.extend(children.iter().cloned());
        } else if let Some(query) = item["request"]["body"]["graphql"]["query"].as_str() {
            out.push((
                item["name"].as_str().unwrap_or_default().to_string(),
                query.to_string(),
            ));
        }
    }
    out
}

fn transactions(answer: &Value) -> Vec<Value> {
    assert!(
        answer.get("errors").is_none(),
        "unexpected errors: {answer}"
    );
    answer["data"]["getTransactions"]["transactions"]
        .as_array()
        .expect("transactions")
        .clone()
}

fn is_exception(t: &Value) -> bool {
    t["status"] == "Failed"
        || t["deliverystatus"]
            .as_str()
            .is_some_and(|s| s.contains("Failed") || s == "PartiallyDelivered")
        || t["errorcode"].is_string()
        || t["externalerrormessage"].is_string()
}

async fn failed_correlation_ids(env: &Env, n: usize) -> Vec<String> {
    let answer = env
        .lens(&format!(
            r#"{{ getTransactions(query:{{count:{n} query:"status:F"}}) {{ transactions {{ correlationid }} }} }}"#
        ))
        .await;
    transactions(&answer)
        .iter()
        .map(|t| t["correlationid"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn every_collection_query_is_answered_with_data() {
    let env = start(10).await;
    let queries = collection_queries();
    assert!(queries.len() >= 17, "found {} queries", queries.len());
    let correlations = failed_correlation_ids(&env, 3).await;
    let corrquery: String = correlations
        .iter()
        .map(|c| format!(r#"{{field: correlationid query: "{c}"}}"#))
        .collect::<Vec<_>>()
        .join("\n");
    for (name, raw) in queries {
        let query = raw.replace("{{corrquery}}", &corrquery);
        let answer = env.lens(&query).await;
        let list = transactions(&answer);
        let result = &answer["data"]["getTransactions"];
        if let Some(count) = result.get("count") {
            assert_eq!(
                count.as_u64(),
                Some(list.len() as u64),
                "{name}: count is the page size"
            );
        }
        match name.as_str() {
            "Basic Transaction Search" => {
                assert_eq!(list.len(), 10);
                assert_eq!(result["total"], 5000);
                assert!(
                    list[0].get("transactionlevel").is_some()
                        && list[0].get("arrivaltime").is_none()
                );
            }
            "Search Box" => {
                assert!(!list.is_empty(), "{name}");
                // "850" matches any field or key: 850s, and 997s acknowledging an 850.
                assert!(list.iter().any(|t| t["editype"] == "850"));
                for t in &list {
                    assert!(t["editype"] == "850" || t["editype"] == "997", "{t}");
                    assert_eq!(t["transactionlevel"], "Document");
                    let names = format!("{} {}", t["sendername"], t["receivername"]).to_lowercase();
                    assert!(names.contains("sys"), "{names}");
                    assert!(t["contentkeys"].is_array());
                }
            }
            "Search Box complicated" | "by TP v2 with Errors" | "all Errors" | "some Errors" => {
                assert!(!list.is_empty(), "{name}");
                assert!(list.iter().all(is_exception), "{name}: only exceptions");
                if name == "Search Box complicated" {
                    let total = result["total"].as_u64().expect("total");
                    assert!(
                        (200..=450).contains(&total),
                        "about 6% of 5000 are exceptions, got {total}"
                    );
                    for field in [
                        "processingregion",
                        "purgedate",
                        "arrivaltimefacetdaily",
                        "labels",
                    ] {
                        assert!(list[0].get(field).is_some(), "{field} selected");
                    }
                }
            }
            "by PO number" => {
                assert!(!list.is_empty());
                for t in &list {
                    let po = t["contentkeys"]
                        .as_array()
                        .and_then(|k| k.iter().find(|k| k["key"] == "purchase order number"))
                        .and_then(|k| k["value"].as_str())
                        .expect("PO key");
                    assert!(po.starts_with("CV"), "{po}");
                }
            }
            "by TP" => {
                assert_eq!(list.len(), 20);
                assert_eq!(
                    result["total"], 5000,
                    "every transaction involves ZZ:DEMORETAILER"
                );
                let times: Vec<&str> = list
                    .iter()
                    .map(|t| t["arrivaltime"].as_str().expect("time"))
                    .collect();
                assert!(
                    times.windows(2).all(|w| w[0] <= w[1]),
                    "ascending by arrivaltime"
                );
            }
            "ALL FIELDS" | "ALL FIELDS Copy" => {
                assert_eq!(list.len(), 10);
                let t = &list[0];
                for field in [
                    "arrivaltime",
                    "processingcell",
                    "standardversion",
                    "senderreference",
                    "type",
                ] {
                    assert!(t[field].is_string(), "{name}: {field} has a value");
                }
                if name == "ALL FIELDS Copy" {
                    assert!(list.iter().all(|t| t["editype"] == "810"));
                }
            }
            "by correlationid from all Errors" => {
                assert!(!list.is_empty());
                let wanted: HashSet<&str> = correlations.iter().map(String::as_str).collect();
                assert!(list
                    .iter()
                    .all(|t| wanted.contains(t["correlationid"].as_str().unwrap_or(""))));
            }
            "List inbound transactions from a specific partner" => {
                assert_eq!(list.len(), 2);
                assert!(list.iter().all(|t| t["senderaddress"] == "ZZ:DEMORETAILER"));
            }
            "by TP excl 997" => {
                assert_eq!(list.len(), 10);
                assert!(list.iter().all(|t| t["editype"] != "997"));
            }
            "by internal number" => {
                assert!(!list.is_empty(), "the seed carries internal number 938512");
            }
            "Scrolling" | "by Date Range" | "by correlationid" => {
                // Their date ranges and correlation id are from OpenText's own tenant.
                assert!(list.is_empty(), "{name}");
            }
            other => assert!(!list.is_empty() || result["total"] == 0, "{other}"),
        }
    }
}

#[tokio::test]
async fn filters_must_should_ranges_and_content_keys_narrow_the_results() {
    let env = start(10).await;
    let only_997 = transactions(&env.lens(r#"{ getTransactions(query:{count:500 filters:[{field: editype values:[{not:false value:"997"}]}]}) { total transactions { editype } } }"#).await);
    assert!(!only_997.is_empty() && only_997.iter().all(|t| t["editype"] == "997"));
    let no_997 = env.lens(r#"{ getTransactions(query:{count:1000 filters:[{field: editype values:[{not:true value:"997"}]}]}) { total transactions { editype } } }"#).await;
    let no_997_list = transactions(&no_997);
    assert!(no_997_list.iter().all(|t| t["editype"] != "997"));
    let all_997 = env.lens(r#"{ getTransactions(query:{filters:[{field: editype values:[{value:"997"}]}]}) { total } }"#).await;
    assert_eq!(
        no_997["data"]["getTransactions"]["total"]
            .as_u64()
            .expect("t")
            + all_997["data"]["getTransactions"]["total"]
                .as_u64()
                .expect("t"),
        5000
    );

    let must_should = transactions(&env.lens(r#"{ getTransactions(query:{count:1000 fields:{must:[{field: transactionlevel query:"Document"}] should:[{field: editype query:"810"} {field: editype query:"856"}]}}) { transactions { editype transactionlevel } } }"#).await);
    assert!(!must_should.is_empty());
    assert!(must_should
        .iter()
        .all(|t| t["transactionlevel"] == "Document"
            && (t["editype"] == "810" || t["editype"] == "856")));

    let ranged = env.lens(r#"{ getTransactions(query:{count:10000 ranges:{field: arrivaltime from:"2026-02-10T00:00:00Z" to:"2026-02-15T00:00:00Z"}}) { total transactions { arrivaltime } } }"#).await;
    let ranged_list = transactions(&ranged);
    assert!(!ranged_list.is_empty() && ranged_list.len() < 5000);
    assert!(ranged_list.iter().all(|t| {
        let at = t["arrivaltime"].as_str().unwrap_or("");
        ("2026-02-10".."2026-02-15T00:00:00.001Z").contains(&at)
    }));
    let list_of_ranges = env.lens(r#"{ getTransactions(query:{ranges:[{field: arrivaltime from:"2026-02-10T00:00:00Z" to:"2026-02-15T00:00:00Z"}]}) { total } }"#).await;
    assert_eq!(
        list_of_ranges["data"]["getTransactions"]["total"],
        ranged["data"]["getTransactions"]["total"]
    );

    let without = transactions(&env.lens(r#"{ getTransactions(query:{count:5 fields:{must:[{field: editype query:"850"} {field: transactionlevel query:"Document"}]}}) { transactions { contentkeys(names:["purchase order number"]) { key value } } } }"#).await);
    assert!(
        without.iter().all(|t| t["contentkeys"] == json!([])),
        "contentkeys only with contentKeyFilters"
    );
    let with = transactions(&env.lens(r#"{ getTransactions(query:{count:5 fields:{must:[{field: editype query:"850"} {field: transactionlevel query:"Document"}]} contentKeyFilters:[]}) { transactions { contentkeys(names:["purchase order number" "no such key"]) { key value } } } }"#).await);
    assert!(with.iter().all(|t| t["contentkeys"]
        .as_array()
        .is_some_and(|k| k.len() == 1 && k[0]["key"] == "purchase order number")));

    let po = with[0]["contentkeys"][0]["value"]
        .as_str()
        .expect("po")
        .to_string();
    let by_po = transactions(&env.lens(&format!(r#"{{ getTransactions(query:{{count:100 contentKeyFilters:[{{key:"purchase order number" value:"{po}"}}]}}) {{ transactions {{ contentkeys(names:["purchase order number"]) {{ value }} }} }} }}"#)).await);
    assert!(
        !by_po.is_empty()
            && by_po
                .iter()
                .all(|t| t["contentkeys"][0]["value"] == po.as_str())
    );
    let negated = transactions(&env.lens(r#"{ getTransactions(query:{count:1000 query:"-status:Delivered AND NOT status:InProcess"}) { transactions { status } } }"#).await);
    assert!(!negated.is_empty() && negated.iter().all(|t| t["status"] == "Failed"));
}

#[tokio::test]
async fn sorting_paging_and_scrolling_cover_every_match_once() {
    let env = start(10).await;
    let page = |offset: usize, order: &str| {
        format!(
            r#"{{ getTransactions(query:{{count:50 offset:{offset} sortby:{{field: arrivaltime type: {order}}}}}) {{ total offset transactions {{ transactionid arrivaltime }} }} }}"#
        )
    };
    let first = env.lens(&page(0, "DESC")).await;
    let second = env.lens(&page(50, "DESC")).await;
    let a = transactions(&first);
    let b = transactions(&second);
    assert_eq!(second["data"]["getTransactions"]["offset"], 50);
    let ids: HashSet<&str> = a
        .iter()
        .chain(&b)
        .map(|t| t["transactionid"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 100, "pages do not overlap");
    let times: Vec<&str> = a
        .iter()
        .chain(&b)
        .map(|t| t["arrivaltime"].as_str().expect("t"))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "descending across pages"
    );
    let ascending = transactions(&env.lens(&page(0, "ASC")).await);
    assert!(ascending[0]["arrivaltime"].as_str() < a[0]["arrivaltime"].as_str());

    let scroll = r#"{ getTransactions(query:{scroll: true sortby:{field: arrivaltime type: ASC} fields:{must:[{field: transactionlevel query:"Document"}]}}) { count total scrollid transactions { transactionid } } }"#;
    let mut seen = HashSet::new();
    let mut total = None;
    let mut batches = 0;
    loop {
        let answer = env.lens(scroll).await;
        let list = transactions(&answer);
        let result = &answer["data"]["getTransactions"];
        assert!(result["scrollid"].is_string());
        total.get_or_insert(result["total"].as_u64().expect("total"));
        if list.is_empty() {
            break;
        }
        assert!(list.len() <= 1000);
        for t in list {
            assert!(
                seen.insert(t["transactionid"].as_str().expect("id").to_string()),
                "no repeats"
            );
        }
        batches += 1;
        assert!(batches < 10, "the scroll ends");
    }
    assert_eq!(Some(seen.len() as u64), total);
    assert_eq!(
        batches, 3,
        "2,500 document-level transactions in batches of 1,000"
    );

    // Explicit scrollid continues the same cursor.
    let start = env.lens(r#"{ getTransactions(query:{scroll: true count: 2000}) { scrollid transactions { transactionid } } }"#).await;
    let scrollid = start["data"]["getTransactions"]["scrollid"]
        .as_str()
        .expect("scrollid")
        .to_string();
    let next = env.lens(&format!(r#"{{ getTransactions(query:{{scrollid: "{scrollid}" count: 2000}}) {{ offset transactions {{ transactionid }} }} }}"#)).await;
    assert_eq!(next["data"]["getTransactions"]["offset"], 2000);
    assert_eq!(transactions(&next).len(), 2000);
    let bogus = env
        .lens(r#"{ getTransactions(query:{scrollid: "nope"}) { count } }"#)
        .await;
    assert!(bogus["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("scrollid")));
}

#[tokio::test]
async fn bad_queries_get_clear_errors() {
    let env = start(10).await;
    for (query, needle) in [
        (
            "{ getTransactions { transactions { nosuchfield } } }",
            "nosuchfield",
        ),
        ("{ getTransactions(query:{count: 5 { transactions", "parse"),
        ("{ getTransactions(query:{bogus: 1}) { count } }", "bogus"),
        (
            r#"{ getTransactions(query:{query: "(status:F"}) { count } }"#,
            "')'",
        ),
        ("{ somethingElse { count } }", "somethingElse"),
        ("{ getTransactions(query:{count: -1}) { count } }", "count"),
        ("{{corrquery}}", "parse"),
    ] {
        let answer = env.lens(query).await;
        let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{query}: {answer}");
        assert!(answer.get("data").is_none());
    }
    let hostile = format!(
        "{{ getTransactions(query:{{query: \"{}x{}\"}}) {{ count }} }}",
        "(".repeat(2000),
        ")".repeat(2000)
    );
    let answer = env.lens(&hostile).await;
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nest")),
        "{answer:.200}"
    );
    let deep = format!("{}{}", "{ a ".repeat(100_000), "}".repeat(100_000));
    let answer = env.lens(&deep).await;
    assert!(answer["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("nests deeper")));
    let nots = format!(
        "{{ getTransactions(query:{{query: \"{}850\"}}) {{ total }} }}",
        "NOT ".repeat(2001)
    );
    let answer = env.lens(&nots).await;
    assert!(
        answer["data"]["getTransactions"]["total"]
            .as_u64()
            .is_some_and(|t| t > 4000),
        "2001 NOTs negate once"
    );
    assert_eq!(
        env.get(&env.cm("")).await.status(),
        200,
        "the server survived"
    );
    let malformed = env
        .request(Method::POST, "/visibility_transaction_search")
        .header("content-type", "application/json")
        .body("{\"query\": \"{ getTr")
        .send()
        .await
        .expect("send");
    assert_eq!(malformed.status(), 400);
    let body: Value = malformed.json().await.expect("json");
    assert_eq!(body["code"], "validation");
    assert!(body["message"]
        .as_str()
        .is_some_and(|m| m.contains("malformed JSON")));
    let not_graphql_shape = env
        .send_json(
            Method::POST,
            "/visibility_transaction_search",
            &json!({"q": 1}),
            None,
        )
        .await;
    assert_eq!(not_graphql_shape.status(), 400);

    let raw = env
        .request(Method::POST, "/visibility_transaction_search")
        .header("content-type", "application/graphql")
        .body("{ getTransactions(query:{count: 3}) { count } }")
        .send()
        .await
        .expect("send");
    let raw: Value = raw.json().await.expect("json");
    assert_eq!(raw["data"]["getTransactions"]["count"], 3);
    let with_variables = env
        .send_json(
            Method::POST,
            "/visibility_transaction_search",
            &json!({"query": "query q($n: Int) { getTransactions(query:{count: $n}) { count } }", "variables": {"n": 4}}),
            None,
        )
        .await;
    let with_variables: Value = with_variables.json().await.expect("json");
    assert_eq!(with_variables["data"]["getTransactions"]["count"], 4);
}
