//! Property tests of the outbox payload decoder, the reader of what the cache file holds (a
//! file another build, a crash or a hand edit may have changed): any text gives an operation or
//! an [`UnreadableOp`] whose reason the analyst can read, never a panic; an operation that
//! decodes encodes back to itself. 256 cases per property (milliseconds each).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use pd_domain::OutboxOp;
use proptest::prelude::*;
use serde_json::{json, Value};

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

/// Every JSON pointer inside `value` (`""` is the whole value).
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(
                    child,
                    format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// One edit of a JSON document: a value replaced, or a member removed.
#[derive(Debug, Clone)]
enum Edit {
    Replace(prop::sample::Index, Value),
    Remove(prop::sample::Index),
}

fn any_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<prop::sample::Index>(), any_json()).prop_map(|(at, v)| Edit::Replace(at, v)),
        any::<prop::sample::Index>().prop_map(Edit::Remove),
    ]
}

fn apply(mut doc: Value, edits: &[Edit]) -> Value {
    for edit in edits {
        let mut all = Vec::new();
        pointers(&doc, String::new(), &mut all);
        match edit {
            Edit::Replace(at, value) => {
                if let Some(slot) = doc.pointer_mut(at.get(all.as_slice()).as_str()) {
                    *slot = value.clone();
                }
            }
            Edit::Remove(at) => {
                let pointer = at.get(all.as_slice()).clone();
                if let Some((parent, key)) = pointer.rsplit_once('/') {
                    match doc.pointer_mut(parent) {
                        Some(Value::Object(map)) => {
                            map.remove(&key.replace("~1", "/").replace("~0", "~"));
                        }
                        Some(Value::Array(items)) => {
                            if let Ok(i) = key.parse::<usize>() {
                                if i < items.len() {
                                    items.remove(i);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    doc
}

/// One stored operation of each kind, as the store writes them.
fn samples() -> Vec<Value> {
    vec![
        json!({"op": "create_case", "id": "case-1", "title": "Invoice 4711 rejected",
               "partnerId": "P-1", "kind": "invoice", "priority": "high", "owner": "Ann",
               "slaDue": "2026-12-01T10:00:00Z", "linkedTransactions": ["TX-1"],
               "references": {"poNumbers": ["PO-1"], "invoiceNumbers": [], "shipmentNumbers": []},
               "description": "The partner says the totals differ"}),
        json!({"op": "add_comment", "id": "c-1", "author": "Ann", "body": "Please resend",
               "visibility": "partner"}),
        json!({"op": "patch_case", "status": "resolved", "owner": null,
               "slaDue": "2026-12-02T00:00:00Z"}),
        json!({"op": "link_transaction", "transactionId": "TX-1"}),
        json!({"op": "unlink_transaction", "transactionId": "TX-2"}),
    ]
}

fn check(text: &str) {
    match OutboxOp::decode(text) {
        Ok(op) => {
            let again =
                OutboxOp::decode(&op.encode()).expect("an operation's own encoding decodes");
            assert_eq!(again, op, "{text}");
        }
        Err(unreadable) => {
            let reason = unreadable.reason();
            assert!(!unreadable.detail.trim().is_empty(), "{text}");
            assert!(reason.contains("it was not sent"), "{reason}");
        }
    }
}

#[test]
fn the_samples_are_operations() {
    for sample in samples() {
        OutboxOp::decode(&sample.to_string()).unwrap_or_else(|e| panic!("{sample}: {e}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_is_an_operation_or_a_reason(text in ".{0,200}") {
        check(&text);
    }

    #[test]
    fn any_json_is_an_operation_or_a_reason(value in any_json()) {
        check(&value.to_string());
    }

    #[test]
    fn an_edited_stored_operation_is_an_operation_or_a_reason(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec(any_edit(), 1..4),
    ) {
        let edited = apply(which.get(&samples()).clone(), &edits);
        check(&edited.to_string());
    }

    #[test]
    fn a_cut_stored_operation_is_a_reason(which in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let text = which.get(&samples()).to_string();
        let end = cut.index(text.len());
        let head = &text[..end];
        // Cut inside the object: never a whole operation.
        prop_assert!(OutboxOp::decode(head).is_err(), "{head}");
        check(head);
    }
}
