//! Property tests of the sandbox's readers of what a client sends to Lens: the Lucene-style
//! search string and the GraphQL text with its variables. Whatever arrives, the answer is data
//! or an error message (GraphQL `errors`), never a panic or a stack overflow. Case counts: 256
//! for search strings and wildcards, 128 for GraphQL documents (each is evaluated over an index).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use partnerdesk_sandbox::lens::lucene::{parse, wildcard};
use partnerdesk_sandbox::lens::record::TxRecord;
use partnerdesk_sandbox::lens::{LensIndex, LensRequest};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Any JSON value: the leaves a hand edit or another program may leave (edge numbers, empty and
/// odd strings, wrong types), nested up to 3 levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "",
            "0",
            "-1",
            "null",
            "\u{202e}",
            "2026-13-40T99:00:00Z"
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_]{0,10}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn records() -> Vec<TxRecord> {
    let mut out = Vec::new();
    for (id, status, sender) in [
        ("TX-1", "Failed", "Verona Vittles"),
        ("TX-2", "Delivered", "ACME"),
    ] {
        let mut record = TxRecord::default();
        record.set("transactionid", id);
        record.set("status", status);
        record.set("sendername", sender);
        record.set("arrivaltime", "2026-11-30T10:00:00Z");
        out.push(record);
    }
    out
}

/// Search strings as a search box produces them, hostile ones included.
fn any_search() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        prop::collection::vec(
            prop::sample::select(vec![
                "(",
                ")",
                "((((",
                "))",
                " AND ",
                " OR ",
                " NOT ",
                "-",
                "!",
                "+",
                "\"",
                "*",
                "?",
                ":",
                "status:",
                "meta.",
                "meta.errorcode:*",
                "sendername:Ver*",
                "ZZ:DEMO",
                " ",
                "850",
                "SYS*",
                "\\",
                "é",
                "\u{202e}",
            ]),
            0..16,
        )
        .prop_map(|parts| parts.concat()),
        (1usize..200).prop_map(|depth| format!("{}a{}", "(".repeat(depth), ")".repeat(depth))),
    ]
}

/// The reference meaning of `*` and `?`, written the slow, obvious way.
fn glob(pattern: &[char], value: &[char]) -> bool {
    match (pattern.first(), value.first()) {
        (None, None) => true,
        (Some('*'), _) => {
            glob(&pattern[1..], value) || (!value.is_empty() && glob(pattern, &value[1..]))
        }
        (Some('?'), Some(_)) => glob(&pattern[1..], &value[1..]),
        (Some(p), Some(v)) => p == v && glob(&pattern[1..], &value[1..]),
        _ => false,
    }
}

const QUERY: &str = r#"query partnerDeskTransactions {
  getTransactions(query: {
      count: 5
      sortby: { field: arrivaltime type: ASC }
      query: "SYS* OR status:F"
      fields: { should: [{ field: status query: "Failed" }] }
      filters: [{ field: status values: [{ not: false value: "Failed" }] }]
      ranges: { field: arrivaltime from: "2026-01-01" }
      contentKeyFilters: []
    }) {
    count
    total
    offset
    transactions {
      transactionid
      status
      contentkeys(names: ["PO"]) { key value }
    }
  }
}
"#;

const WITH_VARIABLES: &str =
    "query q($c: Int, $s: String) { getTransactions(query: {count: $c query: $s}) { count total transactions { transactionid } } }";

/// An edit of a GraphQL text: characters inserted, removed or replaced.
fn edited(text: &str, edits: &[(prop::sample::Index, u8, String)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for (at, how, insert) in edits {
        let i = at.index(chars.len() + 1);
        match how % 3 {
            0 => {
                chars.splice(i..i, insert.chars());
            }
            1 if i < chars.len() => {
                chars.remove(i);
            }
            _ if i < chars.len() => {
                chars.splice(i..=i, insert.chars());
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn assert_answered(answer: &Value) -> Result<(), TestCaseError> {
    match (answer.get("data"), answer.get("errors")) {
        (Some(data), None) => prop_assert!(data.is_object(), "{answer}"),
        (None, Some(errors)) => {
            let message = errors[0]["message"].as_str().unwrap_or_default();
            prop_assert!(message.len() > 5, "{answer}");
        }
        _ => prop_assert!(false, "neither data nor errors: {answer}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_search_string_is_a_query_or_a_message(search in any_search()) {
        match parse(&search) {
            Ok(query) => {
                for record in records() {
                    let _ = query.matches(&record);
                }
            }
            Err(message) => prop_assert!(message.len() > 5, "{message:?}"),
        }
    }

    #[test]
    fn wildcards_mean_what_they_say(pattern in "[ab*?]{0,12}", value in "[abc]{0,16}") {
        let p: Vec<char> = pattern.chars().collect();
        let v: Vec<char> = value.chars().collect();
        prop_assert_eq!(wildcard(&pattern, &value), glob(&p, &v), "{} vs {}", pattern, value);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_graphql_text_is_answered_with_data_or_errors(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), prop_oneof![
            ".{0,3}",
            prop::sample::select(vec!["{", "}", "(", ")", "[", "]", "\"", "$", "#", "...", "@x", ":", "\\"])
                .prop_map(str::to_owned),
        ]), 0..6),
        soup in ".{0,80}",
        raw in any::<bool>(),
    ) {
        let index = LensIndex::new(records());
        let query = if raw { soup } else { edited(QUERY, &edits) };
        let answer = index.answer(&LensRequest { query, variables: Map::new() }, "caller");
        assert_answered(&answer)?;
    }

    #[test]
    fn any_variables_are_answered_with_data_or_errors(count in any_json(), search in any_json()) {
        let index = LensIndex::new(records());
        let mut variables = Map::new();
        variables.insert("c".into(), count);
        variables.insert("s".into(), search);
        let answer = index.answer(
            &LensRequest { query: WITH_VARIABLES.into(), variables },
            "caller",
        );
        assert_answered(&answer)?;
    }
}

#[test]
fn the_unedited_texts_are_answered_with_data() {
    let index = LensIndex::new(records());
    for query in [QUERY, WITH_VARIABLES] {
        let answer = index.answer(
            &LensRequest {
                query: query.into(),
                variables: Map::new(),
            },
            "caller",
        );
        assert!(answer.get("data").is_some(), "{answer}");
    }
}
