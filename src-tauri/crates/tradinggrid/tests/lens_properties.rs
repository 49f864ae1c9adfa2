//! Property tests of the Lens query builder, which puts text from outside (an analyst's search,
//! partner names, values read from the cache) into GraphQL: whatever the values, the text is
//! GraphQL a Lens server reads as written, a field name that is not a plain name is refused
//! with an error naming it, and nothing panics. The same for reading Lens answers. Case counts:
//! 256 for quoting and answers, 128 for whole queries (each is answered by the sandbox's Lens).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use graphql_parser::query::{Definition, OperationDefinition, Selection, Value as GqlValue};
use partnerdesk_sandbox::lens::record::{TxRecord, FIELDS};
use partnerdesk_sandbox::lens::{LensIndex, LensRequest};
use pd_tradinggrid::lens::quote;
use pd_tradinggrid::{parse_lens_answer, Error, FilterValue, LensQuery, SortOrder};
use proptest::prelude::*;
use serde_json::json;

#[path = "../../domain/tests/support/json_edits.rs"]
mod json_edits;
use json_edits::{any_edit, apply};

/// Text as outside data brings it: anything, and the characters that break naive quoting.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,16}",
        prop::collection::vec(
            prop::sample::select(vec![
                "\"", "\\", "\\u0041", "\n", "\r", "\t", "\u{0}", "\u{7f}", "\u{2028}", "\u{202e}",
                "#", "}", "{", ")", "$x", "\"\"\"", "AND", "status:F", "*", "?", " ", "é", "😀",
            ]),
            0..8,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// Field names: real Lens fields, other plain names, and anything at all.
fn any_field() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FIELDS.to_vec()).prop_map(str::to_owned),
        1 => "[A-Za-z_][A-Za-z0-9_]{0,8}",
        1 => ".{0,8}",
    ]
}

fn is_plain_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[derive(Debug, Clone)]
struct Parts {
    count: Option<u32>,
    offset: Option<u64>,
    search: Option<String>,
    must: Vec<(String, String)>,
    should: Vec<(String, String)>,
    filters: Vec<(String, Vec<(bool, String)>)>,
    range: Option<(String, Option<String>, Option<String>)>,
    sort: Option<(String, bool)>,
    key_filter: Option<(String, String)>,
    content_keys: Vec<String>,
    select: Vec<String>,
}

fn any_parts() -> impl Strategy<Value = Parts> {
    let pair = || (any_field(), any_text());
    (
        (
            prop::option::of(0u32..20_000),
            prop::option::of(0u64..100),
            prop::option::of(any_text()),
            prop::collection::vec(pair(), 0..3),
            prop::collection::vec(pair(), 0..3),
        ),
        (
            prop::collection::vec(
                (
                    any_field(),
                    prop::collection::vec((any::<bool>(), any_text()), 0..3),
                ),
                0..2,
            ),
            prop::option::of((
                any_field(),
                prop::option::of(any_text()),
                prop::option::of(any_text()),
            )),
            prop::option::of((any_field(), any::<bool>())),
            prop::option::of((any_text(), any_text())),
            prop::collection::vec(any_text(), 0..3),
            prop::collection::vec(any_field(), 0..4),
        ),
    )
        .prop_map(
            |(
                (count, offset, search, must, should),
                (filters, range, sort, key_filter, content_keys, select),
            )| Parts {
                count,
                offset,
                search,
                must,
                should,
                filters,
                range,
                sort,
                key_filter,
                content_keys,
                select,
            },
        )
}

fn build(parts: &Parts) -> (LensQuery, Vec<String>) {
    let mut query = LensQuery::new();
    let mut fields = Vec::new();
    if let Some(count) = parts.count {
        query = query.count(count);
    }
    if let Some(offset) = parts.offset {
        query = query.offset(offset);
    }
    if let Some(search) = &parts.search {
        query = query.search(search.clone());
    }
    for (field, text) in &parts.must {
        query = query.must(field.clone(), text.clone());
        fields.push(field.clone());
    }
    for (field, text) in &parts.should {
        query = query.should(field.clone(), text.clone());
        fields.push(field.clone());
    }
    for (field, values) in &parts.filters {
        let values = values.iter().map(|(not, v)| {
            if *not {
                FilterValue::not(v.clone())
            } else {
                FilterValue::is(v.clone())
            }
        });
        query = query.filter(field.clone(), values.collect::<Vec<_>>());
        fields.push(field.clone());
    }
    if let Some((field, from, to)) = &parts.range {
        query = query.range(field.clone(), from.as_deref(), to.as_deref());
        fields.push(field.clone());
    }
    if let Some((field, asc)) = &parts.sort {
        query = query.sort_by(
            field.clone(),
            if *asc {
                SortOrder::Asc
            } else {
                SortOrder::Desc
            },
        );
        fields.push(field.clone());
    }
    if let Some((key, value)) = &parts.key_filter {
        query = query.content_key_filter(key.clone(), value.clone());
    }
    query = query.content_keys(parts.content_keys.clone());
    query = query.select(parts.select.clone());
    fields.extend(parts.select.iter().cloned());
    (query, fields)
}

fn index() -> LensIndex {
    let mut records = Vec::new();
    for (id, status) in [("TX-1", "Failed"), ("TX-2", "Delivered")] {
        let mut record = TxRecord::default();
        record.set("transactionid", id);
        record.set("status", status);
        record.set("arrivaltime", "2026-11-30T10:00:00Z");
        records.push(record);
    }
    LensIndex::new(records)
}

/// The string argument `a` of the first field of a parsed `{ f(a: ...) }`.
fn read_back(graphql: &str) -> String {
    let document =
        graphql_parser::parse_query::<String>(graphql).unwrap_or_else(|e| panic!("{graphql}: {e}"));
    let Some(Definition::Operation(OperationDefinition::SelectionSet(set))) =
        document.definitions.first()
    else {
        panic!("no selection set in {graphql}");
    };
    let Some(Selection::Field(field)) = set.items.first() else {
        panic!("no field in {graphql}");
    };
    match &field.arguments[0].1 {
        GqlValue::String(text) => text.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn quoted_text_reads_back_as_written(text in any_text()) {
        let graphql = format!("{{ f(a: {}) }}", quote(&text));
        prop_assert_eq!(read_back(&graphql), text);
    }

    #[test]
    fn any_answer_body_is_a_page_or_a_clear_error(body in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Err(error) = parse_lens_answer(&body) {
            prop_assert!(error.to_string().len() > 10, "{}", error);
        }
    }

    #[test]
    fn an_edited_answer_is_a_page_or_a_clear_error(edits in prop::collection::vec(any_edit(), 1..4)) {
        let answer = json!({"data": {"getTransactions": {
            "count": 1, "total": 1, "offset": 0, "scrollid": "s-1",
            "transactions": [{"transactionid": "TX-1", "status": "Failed", "errorcode": "E1",
                              "arrivaltime": "2026-11-30T10:00:00Z",
                              "contentkeys": [{"key": "PO", "value": "4711"}]}]}}});
        let edited = apply(answer, &edits);
        match parse_lens_answer(edited.to_string().as_bytes()) {
            // Lens answers are read leniently: odd values become absent ones.
            Ok(_) => {}
            Err(error) => prop_assert!(error.to_string().len() > 10, "{}", error),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_query_is_graphql_lens_reads_or_an_error_naming_the_field(parts in any_parts()) {
        let (query, fields) = build(&parts);
        let bad = fields.iter().find(|f| !is_plain_name(f));
        let nothing_selected = parts.select.is_empty() && parts.content_keys.is_empty();
        match (query.render(), bad) {
            (Err(Error::InvalidInput { message }), Some(_)) => {
                prop_assert!(
                    fields.iter().any(|f| !is_plain_name(f) && message.contains(&format!("{f:?}")))
                        || (nothing_selected && message.contains("select at least one")),
                    "{message}"
                );
            }
            (Err(Error::InvalidInput { message }), None) if nothing_selected => {
                prop_assert!(message.contains("select at least one"), "{message}");
            }
            (Ok(text), None) => {
                let answer = index().answer(
                    &LensRequest { query: text.clone(), variables: serde_json::Map::new() },
                    "caller",
                );
                if let Some(message) = answer["errors"][0]["message"].as_str() {
                    // Lens may refuse what was asked (an unknown field, a bad search string),
                    // never the way it was written.
                    prop_assert!(!message.contains("cannot parse the GraphQL"), "{message}\n{text}");
                } else {
                    prop_assert!(answer["data"]["getTransactions"].is_object(), "{answer}");
                }
            }
            (other, bad) => prop_assert!(false, "{other:?} with bad field {bad:?}"),
        }
    }
}
