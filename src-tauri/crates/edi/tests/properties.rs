//! Property tests: random bytes and mutations of valid files (the public samples and files
//! written here) never panic, and every error names a place inside the file; valid interchanges
//! built from random references give those references back.

mod support;

use pd_edi::{recognize, segment_view, ReferenceKind};
use proptest::prelude::*;
use support::*;

fn valid_files() -> Vec<Vec<u8>> {
    let mut files: Vec<Vec<u8>> = [
        "staedi_invoice810_po850_dual.edi",
        "staedi_simple997.edi",
        "staedi_simple999.edi",
        "staedi_invoic_d97b_una.edi",
        "staedi_orders_with_group.edi",
        "edifactrs_d96a_orders_conforming.edi",
    ]
    .iter()
    .map(|n| sample(n))
    .collect();
    files.push(x12_850("ACME", "GLOBEX", "12", "PO-12").into_bytes());
    files.push(x12_856("SHP-1", "PO-1").into_bytes());
    files.push(edifact_pair().into_bytes());
    files.push(contrl_reject("REF0001", "M1").into_bytes());
    files
}

/// Reads `bytes` every way the crate offers and checks what a caller relies on.
fn check(bytes: &[u8]) {
    let found = recognize(bytes);
    if let Some(edi) = &found.edi {
        if let Some(err) = &edi.error {
            let text = err.to_string();
            assert!(!text.is_empty());
            assert!(err.place().offset <= bytes.len(), "{text}");
            assert!(err.place().segment >= 1, "{text}");
        }
        for tx in edi.transactions() {
            assert!(tx.segment_count >= 1);
        }
    }
    if let Some(view) = segment_view(bytes, 500) {
        assert!(view.lines.len() <= 500);
        let _ = view.to_text();
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        (any::<usize>(), 1usize..40).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(p, b)| Mutation::Insert(p, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..60).prop_map(|(p, n)| Mutation::Duplicate(p, n)),
        // Separator bytes are the interesting ones.
        (
            any::<usize>(),
            prop::sample::select(vec![b'*', b'~', b'+', b'\'', b':', b'?', b'\n', b'>'])
        )
            .prop_map(|(p, b)| Mutation::Flip(p, b)),
    ]
}

fn apply(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let len = bytes.len().max(1);
    match m {
        Mutation::Flip(p, b) => {
            if !bytes.is_empty() {
                bytes[p % len] = *b;
            }
        }
        Mutation::Delete(p, n) => {
            let start = p % len;
            let end = (start + n).min(bytes.len());
            bytes.drain(start.min(end)..end);
        }
        Mutation::Insert(p, b) => {
            let at = p % (bytes.len() + 1);
            bytes.splice(at..at, b.iter().copied());
        }
        Mutation::Truncate(p) => bytes.truncate(p % len),
        Mutation::Duplicate(p, n) => {
            let start = p % len;
            let end = (start + n).min(bytes.len());
            let copy = bytes[start.min(end)..end].to_vec();
            bytes.splice(end..end, copy);
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes);
    }

    #[test]
    fn random_bytes_after_an_edi_start_never_panic(
        start in prop::sample::select(vec!["ISA", "UNA", "UNB", "UNH", "\u{feff}ISA*", "UNA:+.? '"]),
        bytes in proptest::collection::vec(any::<u8>(), 0..1024),
    ) {
        let mut file = start.as_bytes().to_vec();
        file.extend_from_slice(&bytes);
        check(&file);
        prop_assert!(recognize(&file).edi.is_some());
    }

    #[test]
    fn mutations_of_valid_files_never_panic(
        which in 0usize..10,
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let files = valid_files();
        let mut bytes = files[which % files.len()].clone();
        for m in &mutations {
            bytes = apply(bytes, m);
        }
        check(&bytes);
    }

    #[test]
    fn references_of_generated_files_come_back(
        sender in "[A-Z0-9]{1,15}",
        po in "[A-Z0-9][A-Z0-9-]{0,20}",
        control in 1u32..999_999_999,
        crlf in any::<bool>(),
    ) {
        let mut file = x12_850(&sender, "GLOBEX", &control.to_string(), &po);
        if crlf {
            file = file.replace('\n', "\r\n");
        }
        let edi = recognize(file.as_bytes()).edi.expect("X12");
        prop_assert_eq!(edi.error.clone(), None);
        prop_assert_eq!(&edi.interchanges[0].sender.id, &sender);
        prop_assert_eq!(
            edi.transactions().next().and_then(|t| t.reference(ReferenceKind::PurchaseOrder)),
            Some(po.as_str())
        );
    }
}
