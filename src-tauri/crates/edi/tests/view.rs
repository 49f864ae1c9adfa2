//! The readable segment view: one segment per line, named elements for the common segments,
//! shown also for a file that fails validation.

mod support;

use pd_edi::segment_view;
use support::*;

#[test]
fn an_850_reads_without_an_edi_tool() {
    let file = x12_850("ACME", "GLOBEX", "42", "PO-4711");
    let view = segment_view(file.as_bytes(), 100).expect("X12");
    assert_eq!(view.lines.len(), 10);
    assert!(!view.more);
    let text = view.to_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[3],
        "     4  BEG  Beginning of purchase order  |  purpose: 00 · order type: SA · PO number: PO-4711 · PO date: 20240105"
    );
    assert!(lines[0].contains("sender id: ACME"), "{}", lines[0]);
    assert!(
        lines[0].contains("control number: 000000042"),
        "{}",
        lines[0]
    );
    assert!(
        lines[5].starts_with("     6  PO1  Order line  |  line: 1 · quantity: 10"),
        "{}",
        lines[5]
    );
    let beg = &view.lines[3];
    assert_eq!(beg.elements[2].position, "BEG03");
    assert_eq!(beg.elements[2].name, Some("PO number"));
}

// Source: https://github.com/xlate/staedi src/test/resources/EDIFACT/invoic_d97b_una.edi
#[test]
fn an_invoic_with_other_separators_is_shown_with_colons_and_without_release_characters() {
    let view = segment_view(&sample("staedi_invoic_d97b_una.edi"), 100).expect("EDIFACT");
    let text = view.to_text();
    assert!(text.contains("UNA  Service string advice"), "{text}");
    let unb = text.lines().nth(1).expect("UNB");
    assert!(
        unb.contains("recipient (id:qualifier): 006415160:1"),
        "{unb}"
    );
    let bgm = text.lines().nth(3).expect("BGM");
    assert!(bgm.contains("BGM  Beginning of message"), "{bgm}");
    assert!(bgm.contains("document number: 342459"), "{bgm}");
    // The view reads on although the file's UNT count is wrong.
    assert!(text.contains("UNZ  Interchange trailer"), "{text}");
}

#[test]
fn the_view_stops_at_the_limit_and_at_unreadable_bytes() {
    let file = x12_850("ACME", "GLOBEX", "42", "PO-4711");
    let view = segment_view(file.as_bytes(), 3).expect("X12");
    assert_eq!(view.lines.len(), 3);
    assert!(view.more);
    assert!(view.to_text().ends_with("(more segments not shown)\n"));
    let broken = format!(
        "{}\u{1}\u{2}garbage~",
        &file[..file.find("PO1").expect("PO1")]
    );
    let view = segment_view(broken.as_bytes(), 100).expect("X12");
    assert_eq!(view.lines.last().map(|l| l.tag.as_str()), Some("N1"));
    assert!(view.more);
    assert!(segment_view(b"%PDF-1.4", 10).is_none());
}
