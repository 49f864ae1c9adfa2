//! Strategies for property tests of readers of outside data, shared by the domain, settings and
//! Trading Grid tests (included with `#[path]`): any JSON value, and edits of a valid document
//! (a value replaced, a member removed) that a hand edit or another program may make.

#![allow(dead_code)] // each test file uses the part it needs

use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value: the leaves a hand edit or another program may leave (edge numbers, empty and
/// odd strings, wrong types), nested up to 3 levels.
pub fn any_json() -> impl Strategy<Value = Value> {
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
pub fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
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
pub enum Edit {
    Replace(prop::sample::Index, Value),
    Remove(prop::sample::Index),
}

pub fn any_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<prop::sample::Index>(), any_json()).prop_map(|(at, v)| Edit::Replace(at, v)),
        any::<prop::sample::Index>().prop_map(Edit::Remove),
    ]
}

pub fn apply(mut doc: Value, edits: &[Edit]) -> Value {
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
