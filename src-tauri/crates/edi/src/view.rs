//! The readable segment view: one segment per line with the names of the common segments and
//! their elements, so an analyst can read an 850 or an INVOIC without an EDI tool. It reads as
//! far as the separators allow, also in a file that fails validation.

use memchr::memchr;
use serde::Serialize;

use crate::model::Standard;
use crate::scan::{bom_len, is_tag, skip_blank, trim_line_end};
use crate::{edifact, x12};

/// The segments of a file, as lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentView {
    /// X12 or EDIFACT.
    pub standard: Standard,
    /// The segments read, up to the limit asked for.
    pub lines: Vec<SegmentLine>,
    /// True when the file has more segments than shown (limit reached or unreadable rest).
    pub more: bool,
}

/// One segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentLine {
    /// 1-based segment number.
    pub number: usize,
    /// The tag (`BEG`).
    pub tag: String,
    /// What the segment is (`Beginning of purchase order`), for the common ones.
    pub name: Option<&'static str>,
    /// The non-empty elements.
    pub elements: Vec<ElementLine>,
}

/// One element of a segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElementLine {
    /// Tag and position (`BEG03`).
    pub position: String,
    /// What the element is (`PO number`), for the common ones.
    pub name: Option<&'static str>,
    /// The value; components joined by `:` (X12 sub-elements by `>`) as written, release
    /// characters removed, long values cut with their length.
    pub value: String,
}

impl SegmentView {
    /// The view as text, one segment per line:
    /// `   12  BEG  Beginning of purchase order  purpose 00 · PO number 4711`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&format!("{:>6}  {:<3}", line.number, line.tag));
            if let Some(name) = line.name {
                out.push_str("  ");
                out.push_str(name);
            }
            let parts: Vec<String> = line
                .elements
                .iter()
                .map(|e| match e.name {
                    Some(n) => format!("{n}: {}", e.value),
                    None => format!("{}: {}", e.position, e.value),
                })
                .collect();
            if !parts.is_empty() {
                out.push_str("  |  ");
                out.push_str(&parts.join(" · "));
            }
            out.push('\n');
        }
        if self.more {
            out.push_str("   …  (more segments not shown)\n");
        }
        out
    }
}

/// Longest value shown in full.
const MAX_VALUE: usize = 200;

fn value(raw: &[u8], release: Option<u8>) -> String {
    let shown = &raw[..raw.len().min(MAX_VALUE)];
    let mut v = edifact::unescape(shown, release);
    if raw.len() > MAX_VALUE {
        v.push_str(&format!("… ({} bytes)", raw.len()));
    }
    v
}

/// The first `limit` segments of an X12 or EDIFACT file; `None` for other content.
pub fn segment_view(bytes: &[u8], limit: usize) -> Option<SegmentView> {
    let start = skip_blank(bytes, bom_len(bytes));
    let rest = bytes.get(start..)?;
    let standard = if rest.starts_with(b"ISA") {
        Standard::X12
    } else if rest.starts_with(b"UNA") || rest.starts_with(b"UNB") || rest.starts_with(b"UNH") {
        Standard::Edifact
    } else {
        return None;
    };
    let mut view = SegmentView {
        standard,
        lines: Vec::new(),
        more: false,
    };
    let mut seps = edifact::Seps::default();
    let mut p = start;
    let mut number = 0;
    loop {
        p = skip_blank(bytes, p);
        if p >= bytes.len() {
            return Some(view);
        }
        if view.lines.len() >= limit {
            view.more = true;
            return Some(view);
        }
        number += 1;
        let rest = &bytes[p..];
        if standard == Standard::X12 && rest.starts_with(b"ISA") {
            match x12::isa_separators(bytes, p, number) {
                Ok((s, _)) => {
                    seps = edifact::Seps {
                        component: s.sub,
                        element: s.element,
                        release: None,
                        term: s.term,
                    }
                }
                Err(_) => {
                    view.more = true;
                    return Some(view);
                }
            }
        }
        if standard == Standard::Edifact && rest.starts_with(b"UNA") {
            match edifact::una(bytes, p, number) {
                Ok(s) => seps = s,
                Err(_) => {
                    view.more = true;
                    return Some(view);
                }
            }
            view.lines.push(SegmentLine {
                number,
                tag: "UNA".to_owned(),
                name: Some("Service string advice (the separators)"),
                elements: Vec::new(),
            });
            p += 9;
            continue;
        }
        let (len, next) = match edifact::find_term(rest, seps) {
            Some(i) => (i, p + i + 1),
            None => (rest.len(), bytes.len()),
        };
        let seg = trim_line_end(&rest[..len]);
        let tag_end = memchr(seps.element, seg).unwrap_or(seg.len());
        let tag = &seg[..tag_end];
        if !is_tag(tag) {
            view.more = true;
            return Some(view);
        }
        let tag = String::from_utf8_lossy(tag).into_owned();
        let (name, names) = names(standard, &tag);
        let mut elements = Vec::new();
        for (i, raw) in edifact::split(seg, seps.element, seps.release)
            .into_iter()
            .enumerate()
            .skip(1)
        {
            if raw.iter().all(|b| *b == b' ') {
                continue;
            }
            let shown = if standard == Standard::Edifact && seps.component != b':' {
                // Components shown with ':' whatever the file used.
                let parts: Vec<String> = edifact::split(raw, seps.component, seps.release)
                    .into_iter()
                    .map(|c| value(c, seps.release))
                    .collect();
                parts.join(":")
            } else {
                value(raw, seps.release)
            };
            elements.push(ElementLine {
                position: format!("{tag}{i:02}"),
                name: names.get(i - 1).copied().filter(|n| !n.is_empty()),
                value: shown,
            });
        }
        view.lines.push(SegmentLine {
            number,
            tag,
            name,
            elements,
        });
        p = next;
    }
}

/// The segment's name and its elements' names (by position, from 1).
fn names(standard: Standard, tag: &str) -> (Option<&'static str>, &'static [&'static str]) {
    let (name, elements): (&'static str, &'static [&'static str]) = match (standard, tag) {
        (Standard::X12, "ISA") => (
            "Interchange header",
            &[
                "authorization qualifier",
                "authorization",
                "security qualifier",
                "security",
                "sender qualifier",
                "sender id",
                "receiver qualifier",
                "receiver id",
                "date",
                "time",
                "repetition separator",
                "version",
                "control number",
                "acknowledgment requested",
                "usage (P production, T test)",
                "sub-element separator",
            ],
        ),
        (Standard::X12, "GS") => (
            "Functional group header",
            &[
                "functional id",
                "sender",
                "receiver",
                "date",
                "time",
                "group control number",
                "agency",
                "version",
            ],
        ),
        (Standard::X12, "ST") => (
            "Transaction set header",
            &["transaction set", "control number", "implementation guide"],
        ),
        (Standard::X12, "SE") => (
            "Transaction set trailer",
            &["segment count", "control number"],
        ),
        (Standard::X12, "GE") => (
            "Functional group trailer",
            &["transaction set count", "group control number"],
        ),
        (Standard::X12, "IEA") => ("Interchange trailer", &["group count", "control number"]),
        (Standard::X12, "BEG") => (
            "Beginning of purchase order",
            &[
                "purpose",
                "order type",
                "PO number",
                "release number",
                "PO date",
            ],
        ),
        (Standard::X12, "BIG") => (
            "Beginning of invoice",
            &[
                "invoice date",
                "invoice number",
                "PO date",
                "PO number",
                "release number",
                "change order",
                "transaction type",
            ],
        ),
        (Standard::X12, "BSN") => (
            "Beginning of ship notice",
            &[
                "purpose",
                "shipment id",
                "date",
                "time",
                "hierarchical structure",
            ],
        ),
        (Standard::X12, "PRF") => (
            "Purchase order reference",
            &["PO number", "release number", "change order", "PO date"],
        ),
        (Standard::X12, "REF") => ("Reference", &["qualifier", "reference", "description"]),
        (Standard::X12, "DTM") => ("Date/time", &["qualifier", "date", "time"]),
        (Standard::X12, "N1") => ("Party", &["role", "name", "id qualifier", "id"]),
        (Standard::X12, "N3") => ("Address", &["address", "address (2)"]),
        (Standard::X12, "N4") => (
            "City, state, postal code",
            &["city", "state", "postal code", "country"],
        ),
        (Standard::X12, "PER") => (
            "Contact",
            &["role", "name", "qualifier", "number", "qualifier", "number"],
        ),
        (Standard::X12, "PO1") => (
            "Order line",
            &[
                "line",
                "quantity",
                "unit",
                "unit price",
                "price basis",
                "id qualifier",
                "product id",
                "id qualifier",
                "product id",
            ],
        ),
        (Standard::X12, "IT1") => (
            "Invoice line",
            &[
                "line",
                "quantity",
                "unit",
                "unit price",
                "price basis",
                "id qualifier",
                "product id",
                "id qualifier",
                "product id",
            ],
        ),
        (Standard::X12, "PID") => (
            "Product description",
            &["type", "characteristic", "agency", "code", "description"],
        ),
        (Standard::X12, "CTT") => ("Totals", &["line items", "hash total"]),
        (Standard::X12, "TDS") => ("Total amount", &["amount"]),
        (Standard::X12, "HL") => (
            "Hierarchical level",
            &["id", "parent id", "level code", "has children"],
        ),
        (Standard::X12, "LIN") => (
            "Item identification",
            &[
                "line",
                "id qualifier",
                "product id",
                "id qualifier",
                "product id",
            ],
        ),
        (Standard::X12, "SN1") => ("Item shipped", &["line", "quantity shipped", "unit"]),
        (Standard::X12, "TD5") => (
            "Carrier",
            &[
                "routing sequence",
                "id qualifier",
                "carrier id",
                "transport method",
                "routing",
            ],
        ),
        (Standard::X12, "AK1") => (
            "Acknowledged group",
            &["functional id", "group control number", "version"],
        ),
        (Standard::X12, "AK2") => (
            "Acknowledged transaction set",
            &["transaction set", "control number", "implementation guide"],
        ),
        (Standard::X12, "AK3") => (
            "Segment error",
            &["segment", "position", "loop", "error code"],
        ),
        (Standard::X12, "AK4") => (
            "Element error",
            &["position", "element reference", "error code", "bad value"],
        ),
        (Standard::X12, "AK5" | "IK5") => (
            "Transaction set response",
            &["A accepted, E with errors, R rejected", "error code"],
        ),
        (Standard::X12, "AK9") => (
            "Group response",
            &[
                "A accepted, E with errors, P partly, R rejected",
                "sets included",
                "sets received",
                "sets accepted",
            ],
        ),
        (Standard::Edifact, "UNB") => (
            "Interchange header",
            &[
                "syntax",
                "sender (id:qualifier)",
                "recipient (id:qualifier)",
                "date:time",
                "control reference",
                "recipient password",
                "application reference",
                "priority",
                "acknowledgement requested",
                "agreement id",
                "test indicator",
            ],
        ),
        (Standard::Edifact, "UNG") => (
            "Group header",
            &[
                "message group",
                "sender",
                "recipient",
                "date:time",
                "group reference",
                "agency",
                "version",
            ],
        ),
        (Standard::Edifact, "UNH") => (
            "Message header",
            &["message reference", "type:version:release:agency"],
        ),
        (Standard::Edifact, "UNT") => ("Message trailer", &["segment count", "message reference"]),
        (Standard::Edifact, "UNE") => ("Group trailer", &["message count", "group reference"]),
        (Standard::Edifact, "UNZ") => (
            "Interchange trailer",
            &["message or group count", "control reference"],
        ),
        (Standard::Edifact, "BGM") => (
            "Beginning of message",
            &[
                "document code (220 order, 380 invoice, 351 despatch advice)",
                "document number",
                "function (9 original)",
            ],
        ),
        (Standard::Edifact, "DTM") => ("Date/time", &["qualifier:date:format"]),
        (Standard::Edifact, "RFF") => {
            ("Reference", &["qualifier:reference (ON order, IV invoice)"])
        }
        (Standard::Edifact, "NAD") => (
            "Name and address",
            &[
                "role (BY buyer, SU supplier)",
                "party id",
                "",
                "name",
                "street",
                "city",
            ],
        ),
        (Standard::Edifact, "LIN") => ("Line item", &["line", "action", "item number:type"]),
        (Standard::Edifact, "QTY") => ("Quantity", &["qualifier:quantity:unit"]),
        (Standard::Edifact, "PRI") => ("Price", &["qualifier:price"]),
        (Standard::Edifact, "MOA") => ("Amount", &["qualifier:amount"]),
        (Standard::Edifact, "CUX") => ("Currency", &["currency"]),
        (Standard::Edifact, "IMD") => (
            "Item description",
            &["type", "characteristic", "description"],
        ),
        (Standard::Edifact, "FTX") => ("Free text", &["subject", "function", "reference", "text"]),
        (Standard::Edifact, "UNS") => ("Section control", &["section (S summary)"]),
        (Standard::Edifact, "UCI") => (
            "Interchange response",
            &[
                "interchange reference",
                "sender",
                "recipient",
                "action (4 rejected, 7 accepted)",
                "syntax error",
            ],
        ),
        (Standard::Edifact, "UCM") => (
            "Message response",
            &[
                "message reference",
                "type:version:release:agency",
                "action (4 rejected, 7 accepted)",
                "syntax error",
            ],
        ),
        _ => return (None, &[]),
    };
    (Some(name), elements)
}
