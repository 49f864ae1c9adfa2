//! Property tests of the outbox payload decoder, the reader of what the cache file holds (a
//! file another build, a crash or a hand edit may have changed): any text gives an operation or
//! an [`UnreadableOp`] whose reason the analyst can read, never a panic; an operation that
//! decodes encodes back to itself. 256 cases per property (milliseconds each).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use pd_domain::OutboxOp;
use proptest::prelude::*;
use serde_json::{json, Value};

#[path = "support/json_edits.rs"]
mod json_edits;
use json_edits::{any_edit, any_json, apply};

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
