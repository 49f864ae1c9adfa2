//! Recognition of public X12 and EDIFACT samples (StAEDI's test files, Apache-2.0, see
//! `tests/samples/SOURCES.md`), of interchanges written here, and of broken ones: each gives the
//! right fields or an error naming the segment and its place, never a panic.

mod support;

use pd_edi::{recognize, Content, DocumentKind, Edi, EdiError, ReferenceKind, Standard};
use support::*;

fn edi(bytes: &[u8]) -> Edi {
    recognize(bytes).edi.expect("recognized as EDI")
}

fn valid(bytes: &[u8]) -> Edi {
    let edi = edi(bytes);
    assert_eq!(edi.error, None, "no error expected");
    edi
}

fn error(bytes: &[u8]) -> EdiError {
    edi(bytes).error.expect("an error expected")
}

// Source: https://github.com/xlate/staedi src/test/resources/x12/invoice810_po850_dual.edi
#[test]
fn staedi_dual_810_850_reads_both_groups_sets_and_references() {
    let edi = valid(&sample("staedi_invoice810_po850_dual.edi"));
    assert_eq!(edi.standard, Standard::X12);
    let ic = &edi.interchanges[0];
    assert_eq!(ic.sender.to_string(), "ZZ:SENDERISA");
    assert_eq!(ic.receiver.to_string(), "ZZ:RECEIVERISA");
    assert_eq!(ic.control_number, "000000020");
    assert_eq!(ic.version, "00401");
    assert_eq!(ic.groups.len(), 2);
    assert_eq!(ic.groups[1].control_number, "165");
    let sets: Vec<_> = edi.transactions().collect();
    assert_eq!(sets.len(), 3);
    assert_eq!(sets[0].set_type, "810");
    assert_eq!(sets[0].kind(), DocumentKind::Invoice);
    assert_eq!(sets[0].control_number, "000000001");
    assert_eq!(sets[0].reference(ReferenceKind::Invoice), Some("00001"));
    assert_eq!(
        sets[0].reference(ReferenceKind::PurchaseOrder),
        Some("A99999-01")
    );
    assert_eq!(sets[0].segment_count, 32);
    assert_eq!(sets[0].group_control.as_deref(), Some("1"));
    assert_eq!(
        sets[1].reference(ReferenceKind::PurchaseOrder),
        Some("A99999-04")
    );
    assert_eq!(sets[2].set_type, "850");
    assert_eq!(sets[2].kind(), DocumentKind::Order);
    assert_eq!(
        sets[2].reference(ReferenceKind::PurchaseOrder),
        Some("S115921858")
    );
    assert_eq!(sets[2].version, "003010");
    assert_eq!(sets[2].document_date.as_deref(), Some("040317"));
}

// Source: https://github.com/xlate/staedi src/test/resources/x12/simple997.edi
#[test]
fn staedi_997_names_the_rejected_set_and_group() {
    let edi = valid(&sample("staedi_simple997.edi"));
    let set = edi.transactions().next().expect("997");
    assert_eq!(set.kind(), DocumentKind::Acknowledgement);
    let ack = set.ack.as_ref().expect("acknowledgement");
    assert_eq!(ack.functional_id.as_deref(), Some("HC"));
    assert_eq!(ack.group_control.as_deref(), Some("000001"));
    assert_eq!(ack.accepted, Some(false));
    let rejected: Vec<_> = ack.rejected().collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].set_type.as_deref(), Some("837"));
    assert_eq!(rejected[0].control_number, "0021");
    assert_eq!(rejected[0].code, "R");
}

// Source: https://github.com/xlate/staedi src/test/resources/x12/simple999.edi
#[test]
fn staedi_999_tells_accepted_from_rejected_sets() {
    let edi = valid(&sample("staedi_simple999.edi"));
    let set = edi.transactions().next().expect("999");
    assert_eq!(set.set_type, "999");
    assert_eq!(set.version, "005010X231");
    let ack = set.ack.as_ref().expect("acknowledgement");
    assert_eq!(ack.sets.len(), 3);
    assert_eq!(ack.sets[0].accepted, Some(true));
    let rejected: Vec<_> = ack.rejected().map(|s| s.control_number.as_str()).collect();
    assert_eq!(rejected, ["0002", "0003"]);
    assert_eq!(ack.accepted, None, "AK9 P: partly accepted");
}

// Source: https://github.com/xlate/staedi src/test/resources/EDIFACT/invoic_d97b_una.edi
// (its UNT says 23 segments; the message has 24: a real-world wrong count).
#[test]
fn staedi_invoic_with_una_and_release_character_and_its_wrong_count() {
    let edi = edi(&sample("staedi_invoic_d97b_una.edi"));
    assert_eq!(edi.standard, Standard::Edifact);
    let err = edi.error.clone().expect("UNT count");
    assert_eq!(
        err.to_string(),
        "UNT (segment 26, byte 506): UNT 0074 says 23 segments from UNH to UNT, but 24 were found"
    );
    let ic = &edi.interchanges[0];
    assert_eq!(ic.sender.to_string(), "1:005435656");
    // "006?415160": the release character keeps '4' literal; the value has no '?'.
    assert_eq!(ic.receiver.id, "006415160");
    assert_eq!(ic.control_number, "00000000000778");
    assert_eq!(ic.version, "UNOA:3");
    let msg = edi.transactions().next().expect("INVOIC");
    assert_eq!(msg.set_type, "INVOIC");
    assert_eq!(msg.kind(), DocumentKind::Invoice);
    assert_eq!(msg.version, "D.97B");
    assert_eq!(msg.control_number, "00000000000117");
    assert_eq!(msg.reference(ReferenceKind::Invoice), Some("342459"));
    assert_eq!(msg.reference(ReferenceKind::PurchaseOrder), Some("521052"));
    assert_eq!(msg.segment_count, 24);
    // With the count corrected the file is valid.
    let fixed = String::from_utf8(sample("staedi_invoic_d97b_una.edi"))
        .expect("ASCII")
        .replace("UNT*23*", "UNT*24*");
    assert!(valid(fixed.as_bytes()).is_valid());
}

// Source: https://github.com/xlate/staedi src/test/resources/EDIFACT/orders-with-group.edi
// (its UNT says 21 segments; the message has 18).
#[test]
fn staedi_orders_inside_a_group_and_its_wrong_count() {
    let edi = edi(&sample("staedi_orders_with_group.edi"));
    let err = edi.error.clone().expect("UNT count");
    assert!(err.to_string().starts_with("UNT (segment 20"), "{err}");
    assert!(
        err.to_string()
            .contains("says 21 segments from UNH to UNT, but 18"),
        "{err}"
    );
    let ic = &edi.interchanges[0];
    assert_eq!(ic.sender.to_string(), "14:5400110000009");
    assert_eq!(ic.receiver.to_string(), "14:5013546107732");
    let msg = edi.transactions().next().expect("ORDERS");
    assert_eq!(msg.set_type, "ORDERS");
    assert_eq!(msg.version, "D.96B");
    assert_eq!(msg.group_control.as_deref(), Some("1"));
    assert_eq!(
        msg.reference(ReferenceKind::PurchaseOrder),
        Some("C1441747")
    );
    assert_eq!(msg.document_date.as_deref(), Some("200105022200"));
    let fixed = String::from_utf8(sample("staedi_orders_with_group.edi"))
        .expect("ASCII")
        .replace("UNT+21+1", "UNT+18+1");
    let edi = valid(fixed.as_bytes());
    assert_eq!(edi.interchanges[0].groups[0].functional_id, "ORDERS");
}

// Source: https://github.com/hupe1980/edifact-rs crates/edifact-rs/tests/fixtures/
// d96a_orders_conforming.edi and d96a_invoic_conforming.edi (UNA, no UNB envelope).
#[test]
fn edifact_rs_messages_without_an_interchange_envelope() {
    let edi = valid(&sample("edifactrs_d96a_orders_conforming.edi"));
    let msg = edi.transactions().next().expect("ORDERS");
    assert_eq!(
        msg.reference(ReferenceKind::PurchaseOrder),
        Some("ORD-2001")
    );
    assert_eq!(msg.document_date.as_deref(), Some("20260517"));
    assert_eq!(
        edi.interchanges[0].sender.to_string(),
        "",
        "no UNB: sender unknown"
    );
    let edi = valid(&sample("edifactrs_d96a_invoic_conforming.edi"));
    let msg = edi.transactions().next().expect("INVOIC");
    assert_eq!(msg.kind(), DocumentKind::Invoice);
    assert_eq!(msg.reference(ReferenceKind::Invoice), Some("INV-9901"));
}

#[test]
fn an_856_gives_shipment_and_po() {
    let edi = valid(x12_856("SHP-9001", "PO-4711").as_bytes());
    let set = edi.transactions().next().expect("856");
    assert_eq!(set.kind(), DocumentKind::Shipment);
    assert_eq!(set.reference(ReferenceKind::Shipment), Some("SHP-9001"));
    assert_eq!(set.reference(ReferenceKind::PurchaseOrder), Some("PO-4711"));
}

#[test]
fn edifact_orders_and_desadv_in_one_interchange() {
    let edi = valid(edifact_pair().as_bytes());
    let msgs: Vec<_> = edi.transactions().collect();
    assert_eq!(msgs.len(), 2);
    assert_eq!(
        msgs[0].reference(ReferenceKind::PurchaseOrder),
        Some("PO-ED-1")
    );
    assert_eq!(msgs[1].kind(), DocumentKind::Shipment);
    assert_eq!(msgs[1].reference(ReferenceKind::Shipment), Some("DN-77"));
    assert_eq!(
        msgs[1].reference(ReferenceKind::PurchaseOrder),
        Some("PO-ED-1")
    );
}

#[test]
fn contrl_rejecting_a_message_names_it() {
    let edi = valid(contrl_reject("INV0009", "M7").as_bytes());
    let ack = edi
        .transactions()
        .next()
        .and_then(|t| t.ack.clone())
        .expect("ack");
    assert_eq!(ack.interchange_control.as_deref(), Some("INV0009"));
    assert_eq!(ack.accepted, Some(false));
    let rejected: Vec<_> = ack.rejected().collect();
    assert_eq!(rejected[0].control_number, "M7");
    assert_eq!(rejected[0].set_type.as_deref(), Some("INVOIC"));
}

#[test]
fn several_interchanges_with_different_separators_in_one_file() {
    let first = x12_850("ACME", "GLOBEX", "1", "PO-1");
    let second = x12_850("ACME", "GLOBEX", "2", "PO-2")
        .replace('*', "|")
        .replace('~', "\n")
        .replace("|>\n", "|^\n");
    let edi = valid(format!("{first}{second}").as_bytes());
    assert_eq!(edi.interchanges.len(), 2);
    let pos: Vec<_> = edi
        .transactions()
        .filter_map(|t| t.reference(ReferenceKind::PurchaseOrder))
        .collect();
    assert_eq!(pos, ["PO-1", "PO-2"]);
}

#[test]
fn bom_crlf_lf_and_one_line_give_the_same_fields() {
    let lf = x12_850("ACME", "GLOBEX", "5", "PO-5");
    let crlf = lf.replace('\n', "\r\n");
    let one_line = lf.replace('\n', "");
    let bom = format!("\u{feff}{crlf}");
    let expect = valid(lf.as_bytes());
    for variant in [&crlf, &one_line, &bom] {
        let got = valid(variant.as_bytes());
        assert_eq!(got.interchanges[0].sender, expect.interchanges[0].sender);
        assert_eq!(
            got.transactions().next().map(|t| t.references.clone()),
            expect.transactions().next().map(|t| t.references.clone())
        );
    }
    // Newline as the segment terminator, with CRLF line ends.
    let nl_term = lf
        .replace("~\n", "\n")
        .replace(">~", ">\n")
        .replace('\n', "\r\n");
    let got = valid(nl_term.as_bytes());
    assert_eq!(
        got.transactions()
            .next()
            .and_then(|t| t.reference(ReferenceKind::PurchaseOrder)),
        Some("PO-5")
    );
    let edifact_crlf = edifact_pair().replace('\'', "'\r\n");
    assert_eq!(valid(edifact_crlf.as_bytes()).transactions().count(), 2);
}

#[test]
fn a_10_mb_segment_is_read() {
    let big = "X".repeat(10 * 1024 * 1024);
    let file = x12_850("ACME", "GLOBEX", "9", "PO-9").replace("WIDGET-1", &big);
    let edi = valid(file.as_bytes());
    assert_eq!(
        edi.transactions()
            .next()
            .and_then(|t| t.reference(ReferenceKind::PurchaseOrder)),
        Some("PO-9")
    );
    let view = pd_edi::segment_view(file.as_bytes(), 100).expect("view");
    let po1 = view.lines.iter().find(|l| l.tag == "PO1").expect("PO1");
    let long = po1.elements.last().expect("product id");
    assert!(long.value.ends_with("(10485760 bytes)"), "{}", long.value);
}

#[test]
fn truncated_file_names_the_unfinished_segment() {
    let file = x12_850("ACME", "GLOBEX", "3", "PO-3");
    let cut = &file.as_bytes()[..file.find("PO1").expect("PO1") + 8];
    let err = error(cut);
    assert!(matches!(err, EdiError::Truncated { .. }), "{err}");
    assert_eq!(err.place().tag, "PO1");
    assert_eq!(err.place().segment, 6);
    assert!(err.to_string().contains("truncated"), "{err}");
    // The fields read before the cut are kept.
    let edi = edi(cut);
    assert_eq!(
        edi.transactions()
            .next()
            .and_then(|t| t.reference(ReferenceKind::PurchaseOrder)),
        Some("PO-3")
    );
    // A cut inside the ISA itself.
    let err = error(&file.as_bytes()[..60]);
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn missing_trailers_are_named() {
    let file = x12_850("ACME", "GLOBEX", "3", "PO-3");
    let no_iea = file.replace("IEA*1*000000003~\n", "");
    let err = error(no_iea.as_bytes());
    assert_eq!(
        err.to_string(),
        "the file ends without the IEA that closes ISA (segment 1, byte 0)"
    );
    let no_se = file.replace("SE*6*0001~\n", "");
    let err = error(no_se.as_bytes());
    assert_eq!(err.place().tag, "GE", "{err}");
    assert!(err.to_string().contains("has no SE"), "{err}");
    let no_unz = edifact_pair().replace("UNZ+2+REF0001'", "");
    let err = error(no_unz.as_bytes());
    assert!(
        matches!(&err, EdiError::MissingTrailer { trailer, .. } if trailer == "UNZ"),
        "{err}"
    );
    assert!(err.to_string().contains("UNB (segment 1, byte 0)"), "{err}");
}

#[test]
fn wrong_counts_and_control_numbers_name_the_trailer() {
    let file = x12_850("ACME", "GLOBEX", "3", "PO-3");
    let err = error(file.replace("SE*6*0001", "SE*7*0001").as_bytes());
    assert_eq!(
        err.to_string(),
        "SE (segment 8, byte 253): SE01 says 7 segments from ST to SE, but 6 were found"
    );
    let err = error(file.replace("SE*6*0001", "SE*6*0002").as_bytes());
    assert!(
        matches!(&err, EdiError::ControlMismatch { element, .. } if element == "SE02"),
        "{err}"
    );
    assert!(
        err.to_string().contains("ST02 at segment 3 is '0001'"),
        "{err}"
    );
    let err = error(file.replace("GE*1*17", "GE*2*17").as_bytes());
    assert!(err.to_string().starts_with("GE (segment 9"), "{err}");
    let err = error(
        file.replace("IEA*1*000000003", "IEA*1*000000004")
            .as_bytes(),
    );
    assert!(
        err.to_string().contains("IEA02 is '000000004' but ISA13"),
        "{err}"
    );
    let err = error(edifact_pair().replace("UNT+4+M2", "UNT+5+M2").as_bytes());
    assert!(err.to_string().starts_with("UNT (segment 9"), "{err}");
    assert!(
        err.to_string()
            .contains("says 5 segments from UNH to UNT, but 4"),
        "{err}"
    );
    let err = error(edifact_pair().replace("UNZ+2", "UNZ+3").as_bytes());
    assert!(
        err.to_string().contains("UNZ 0036 says 3 messages, but 2"),
        "{err}"
    );
    let err = error(
        edifact_pair()
            .replace("UNZ+2+REF0001", "UNZ+2+REF0002")
            .as_bytes(),
    );
    assert!(
        err.to_string()
            .contains("UNZ 0020 is 'REF0002' but UNB 0020"),
        "{err}"
    );
}

#[test]
fn wrong_separators_are_named() {
    // The body uses '|' while the ISA declares '*': the GS is not a readable segment.
    let file = x12_850("ACME", "GLOBEX", "3", "PO-3");
    let (isa, body) = file.split_at(106);
    let err = error(format!("{isa}{}", body.replace('*', "|")).as_bytes());
    assert_eq!(err.place().segment, 2, "{err}");
    assert!(err.to_string().contains("is not a segment"), "{err}");
    // The body ends segments with line breaks while the ISA declares '~'.
    let err = error(format!("{isa}{}", body.replace('~', "")).as_bytes());
    assert!(
        err.to_string().contains("seem to end with line breaks"),
        "{err}"
    );
    // A letter as the element separator.
    let err = error(file.replacen('*', "A", 1).as_bytes());
    assert!(matches!(err, EdiError::Separators { .. }), "{err}");
    // A letter as the segment terminator (byte 105).
    let mut bytes = file.clone().into_bytes();
    bytes[105] = b'Q';
    let err = error(&bytes);
    assert!(
        err.to_string().contains("segment terminator (byte 105"),
        "{err}"
    );
    // UNA with two equal separators.
    let err = error(b"UNA++.? 'UNB+UNOA:3+A+B+1+2'");
    assert!(matches!(err, EdiError::Separators { .. }), "{err}");
}

#[test]
fn binary_noise_is_not_edi_and_noise_after_a_trailer_is_an_error() {
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(recognize(&noise).content, Content::Binary);
    let mut file = x12_850("ACME", "GLOBEX", "3", "PO-3").into_bytes();
    file.extend_from_slice(&noise);
    let edi = edi(&file);
    let err = edi.error.clone().expect("noise after IEA");
    assert!(
        err.to_string()
            .contains("only another interchange (ISA) can follow"),
        "{err}"
    );
    assert_eq!(edi.interchanges.len(), 1, "the good interchange is kept");
    // Noise in place of the rest of the file, from inside the GS on.
    let mut noisy_tail = x12_850("ACME", "GLOBEX", "3", "PO-3").into_bytes();
    noisy_tail.truncate(150);
    noisy_tail.extend_from_slice(&noise);
    assert!(edi_error_names_a_place(&noisy_tail));
    let mut noisy_edifact = edifact_pair().into_bytes();
    noisy_edifact.truncate(120);
    noisy_edifact.extend_from_slice(&noise);
    assert!(edi_error_names_a_place(&noisy_edifact));
}

fn edi_error_names_a_place(bytes: &[u8]) -> bool {
    match recognize(bytes).edi.and_then(|e| e.error) {
        Some(err) => err.place().segment > 0 && !err.to_string().is_empty(),
        None => false,
    }
}

#[test]
fn other_content_by_its_bytes() {
    assert_eq!(recognize(b"%PDF-1.7\n%...").content, Content::Pdf);
    assert_eq!(recognize(b"\x89PNG\r\n\x1a\n....").content, Content::Png);
    assert_eq!(
        recognize(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]).content,
        Content::Jpeg
    );
    assert_eq!(recognize(b"GIF89a....").content, Content::Gif);
    assert_eq!(recognize(b"II*\0\x08\0\0\0").content, Content::Tiff);
    assert_eq!(
        recognize(b"\xEF\xBB\xBF<?xml version=\"1.0\"?><Order/>").content,
        Content::Xml
    );
    assert_eq!(
        recognize(b"  <Invoice><No>1</No></Invoice>").content,
        Content::Xml
    );
    assert_eq!(
        recognize(b"po,sku,qty\n4711,\"WIDGET, BLUE\",10\n4712,GADGET,5\n").content,
        Content::Csv
    );
    assert_eq!(recognize(b"po;qty\r\n1;2\r\n").content, Content::Csv);
    assert_eq!(
        recognize(b"Hello, partner.\nSee attached.").content,
        Content::Text
    );
    assert_eq!(recognize(b"").content, Content::Empty);
    assert!(recognize(b"%PDF-1.7").edi.is_none());
}
