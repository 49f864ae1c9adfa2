//! X12: the fixed-width ISA gives the separators (element at byte 3, sub-element at 104, segment
//! terminator at 105); then GS/ST/SE/GE/IEA are matched and counted, and the business references
//! of 850/810/856 and the acknowledgements of 997/999 are read. One pass, `memchr` per segment.

// One error per file at most, built on the error path only: its size costs nothing.
#![allow(clippy::result_large_err)]

use memchr::{memchr, memchr_iter};

use crate::envelope::{check_control, check_count, keep_open, read_all, Open};
use crate::error::{EdiError, Place};
use crate::model::*;
use crate::scan::{is_tag, sep_name, show, skip_blank, text, trim_line_end};

/// Separators of one interchange.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seps {
    pub element: u8,
    pub sub: u8,
    pub term: u8,
}

/// Byte positions of ISA's 16 element separators in a fixed-width ISA.
const ISA_SEP_POSITIONS: [usize; 16] = [
    3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103,
];

/// The separators of the ISA starting at `at`, and the offset of its terminator.
pub(crate) fn isa_separators(
    input: &[u8],
    at: usize,
    segment: usize,
) -> Result<(Seps, usize), EdiError> {
    let place = Place {
        tag: "ISA".to_owned(),
        segment,
        offset: at,
    };
    let isa = input.get(at..).unwrap_or_default();
    let Some(&element) = isa.get(3) else {
        return Err(EdiError::Malformed {
            at: place,
            detail: "the file ends right after 'ISA': the interchange header is 106 bytes long"
                .to_owned(),
        });
    };
    if element.is_ascii_alphanumeric() || matches!(element, b'\r' | b'\n' | b' ') {
        return Err(EdiError::Separators {
            at: place,
            detail: format!(
                "the element separator (byte 3 of ISA) is '{}', which cannot separate elements",
                sep_name(element)
            ),
        });
    }
    let fixed = isa.len() >= 106 && ISA_SEP_POSITIONS.iter().all(|&i| isa[i] == element);
    let (sub, term_at) = if fixed {
        (isa[104], 105)
    } else {
        // Some senders do not pad ISA; take the byte after the 16th separator as ISA16.
        let window = &isa[..isa.len().min(512)];
        match memchr_iter(element, window).nth(15) {
            Some(k) if k + 2 < isa.len() => (isa[k + 1], k + 2),
            Some(_) | None if isa.len() < 106 => {
                return Err(EdiError::Malformed {
                    at: place,
                    detail: format!(
                        "the interchange header is 106 bytes long but the file ends after {} bytes of it: the file is truncated",
                        isa.len()
                    ),
                })
            }
            _ => {
                let found = memchr_iter(element, window).count();
                return Err(EdiError::Separators {
                    at: place,
                    detail: format!(
                        "the element separator '{}' (byte 3) is not where ISA's 16 elements end (byte 103) and only {found} of them were found: the ISA is not fixed width or its separators are wrong",
                        sep_name(element)
                    ),
                });
            }
        }
    };
    let term = isa[term_at];
    if term.is_ascii_alphanumeric() || term == element || term == sub {
        return Err(EdiError::Separators {
            at: place,
            detail: format!(
                "the segment terminator (byte {} of ISA) is '{}', which cannot end segments (element separator '{}', sub-element separator '{}')",
                term_at,
                sep_name(term),
                sep_name(element),
                sep_name(sub)
            ),
        });
    }
    if sub == element {
        return Err(EdiError::Separators {
            at: place,
            detail: format!(
                "the sub-element separator (ISA16) is the element separator '{}'",
                sep_name(element)
            ),
        });
    }
    Ok((Seps { element, sub, term }, at + term_at))
}

/// Element `i` of a segment (0 is the tag).
fn el(seg: &[u8], sep: u8, i: usize) -> &[u8] {
    seg.split(|b| *b == sep).nth(i).unwrap_or_default()
}

fn same_control(a: &str, b: &str) -> bool {
    a == b || matches!((a.parse::<u64>(), b.parse::<u64>()), (Ok(x), Ok(y)) if x == y)
}

/// Everything open inside one interchange.
struct State {
    ic: Interchange,
    isa: Place,
    group: Option<(Group, Open)>,
    set: Option<(Transaction, Open)>,
    groups_closed: usize,
}

impl State {
    /// Keeps what was read of the open set and group in the interchange (for an error's report).
    fn flush(self) -> Interchange {
        keep_open(self.ic, self.group, self.set)
    }
}

/// Reads the X12 interchanges of `input`, the first `ISA` at `start`.
pub(crate) fn parse(input: &[u8], start: usize) -> Edi {
    read_all(Standard::X12, input, start, run)
}

fn run(input: &[u8], start: usize, out: &mut Vec<Interchange>) -> Result<(), EdiError> {
    let mut p = start;
    let mut seg_no = 0usize;
    loop {
        p = skip_blank(input, p);
        if p >= input.len() {
            return Ok(());
        }
        seg_no += 1;
        let rest = &input[p..];
        if !rest.starts_with(b"ISA") {
            return Err(EdiError::Unexpected {
                at: Place {
                    tag: show(&rest[..rest.len().min(3)]),
                    segment: seg_no,
                    offset: p,
                },
                detail: format!(
                    "after the last IEA only another interchange (ISA) can follow, but the file goes on with '{}'",
                    show(rest)
                ),
            });
        }
        let (seps, term_at) = isa_separators(input, p, seg_no)?;
        let isa_place = Place {
            tag: "ISA".to_owned(),
            segment: seg_no,
            offset: p,
        };
        let isa_seg = &input[p..term_at];
        let e: Vec<&[u8]> = isa_seg.split(|b| *b == seps.element).collect();
        if e.len() < 17 {
            return Err(EdiError::Malformed {
                at: isa_place,
                detail: format!("ISA has {} elements; it needs 16", e.len() - 1),
            });
        }
        let state = State {
            ic: Interchange {
                sender: Address {
                    qualifier: text(e[5]),
                    id: text(e[6]),
                },
                receiver: Address {
                    qualifier: text(e[7]),
                    id: text(e[8]),
                },
                date: format!("{} {}", text(e[9]), text(e[10])),
                version: text(e[12]),
                control_number: text(e[13]),
                first_segment: seg_no,
                ..Interchange::default()
            },
            isa: isa_place,
            group: None,
            set: None,
            groups_closed: 0,
        };
        p = term_at + 1;
        p = interchange(input, p, &mut seg_no, seps, state, out)?;
    }
}

/// Reads segments from `p` to this interchange's IEA; returns the position after it.
fn interchange(
    input: &[u8],
    mut p: usize,
    seg_no: &mut usize,
    seps: Seps,
    mut st: State,
    out: &mut Vec<Interchange>,
) -> Result<usize, EdiError> {
    let isa_end = p;
    loop {
        p = skip_blank(input, p);
        if p >= input.len() {
            let (opened, trailer) = if let Some((_, o)) = &st.set {
                (o.place.clone(), "SE")
            } else if let Some((_, o)) = &st.group {
                (o.place.clone(), "GE")
            } else {
                (st.isa.clone(), "IEA")
            };
            out.push(st.flush());
            return Err(EdiError::MissingTrailer {
                opened,
                trailer: trailer.to_owned(),
                hint: hint(input, isa_end, seps),
            });
        }
        let rest = &input[p..];
        let Some(len) = memchr(seps.term, rest) else {
            let tag_end = memchr(seps.element, rest).unwrap_or(rest.len()).min(3);
            let at = Place {
                tag: show(&rest[..tag_end]),
                segment: *seg_no + 1,
                offset: p,
            };
            out.push(st.flush());
            return Err(EdiError::Truncated {
                at,
                terminator: sep_name(seps.term),
                hint: hint(input, isa_end, seps),
            });
        };
        *seg_no += 1;
        let seg = trim_line_end(&rest[..len]);
        let offset = p;
        p += len + 1;
        let tag_end = memchr(seps.element, seg).unwrap_or(seg.len());
        let tag = &seg[..tag_end];
        let place = |tag: &[u8]| Place {
            tag: String::from_utf8_lossy(tag).into_owned(),
            segment: *seg_no,
            offset,
        };
        if !is_tag(tag) {
            let at = Place {
                tag: show(&seg[..seg.len().min(3)]),
                segment: *seg_no,
                offset,
            };
            out.push(st.flush());
            return Err(EdiError::Malformed {
                at,
                detail: format!(
                    "'{}' is not a segment: a segment starts with a 2–3 letter tag and the element separator '{}' (segments end with '{}')",
                    show(seg),
                    sep_name(seps.element),
                    sep_name(seps.term)
                ),
            });
        }
        if let Some((_, open)) = st.set.as_mut() {
            open.count += 1;
        }
        let result = match tag {
            b"IEA" => {
                let r = close_interchange(&mut st, seg, seps, place(tag));
                if r.is_ok() {
                    out.push(st.flush());
                    return Ok(p);
                }
                r
            }
            b"GS" => open_group(&mut st, seg, seps, place(tag)),
            b"GE" => close_group(&mut st, seg, seps, place(tag)),
            b"ST" => open_set(&mut st, seg, seps, place(tag)),
            b"SE" => close_set(&mut st, seg, seps, place(tag)),
            b"ISA" => Err(EdiError::Unexpected {
                at: place(tag),
                detail: format!(
                    "a new interchange starts while the one at segment {} (ISA13 '{}') has no IEA",
                    st.isa.segment, st.ic.control_number
                ),
            }),
            _ => match st.set.as_mut() {
                Some((tx, _)) => {
                    business(tx, tag, seg, seps.element);
                    Ok(())
                }
                None => Err(EdiError::Unexpected {
                    at: place(tag),
                    detail: "this segment is outside a transaction set: only ST ... SE may hold it"
                        .to_owned(),
                }),
            },
        };
        if let Err(e) = result {
            out.push(st.flush());
            return Err(e);
        }
    }
}

/// A likely cause of a missing trailer: the body ends segments with line breaks while ISA
/// declares another terminator.
fn hint(input: &[u8], isa_end: usize, seps: Seps) -> String {
    let window = &input[isa_end..input.len().min(isa_end + 400)];
    let body = &window[skip_blank(window, 0)..];
    let next_term = memchr(seps.term, body).unwrap_or(body.len());
    if seps.term != b'\n' {
        if let Some(nl) = memchr(b'\n', &body[..next_term]) {
            let after = &body[nl + 1..];
            let tag_end = memchr(seps.element, after).unwrap_or(0);
            if is_tag(trim_line_end(&after[..tag_end])) {
                return format!(
                    "; the segments seem to end with line breaks, but the ISA declares '{}' (byte 105) as the segment terminator",
                    sep_name(seps.term)
                );
            }
        }
    }
    String::new()
}

fn open_group(st: &mut State, seg: &[u8], seps: Seps, at: Place) -> Result<(), EdiError> {
    if let Some((tx, o)) = &st.set {
        return Err(EdiError::Unexpected {
            at,
            detail: format!(
                "a group starts while transaction set {} (ST02 '{}', segment {}) has no SE",
                tx.set_type, tx.control_number, o.place.segment
            ),
        });
    }
    if let Some((g, o)) = &st.group {
        return Err(EdiError::Unexpected {
            at,
            detail: format!(
                "a group starts while group GS06 '{}' (segment {}) has no GE",
                g.control_number, o.place.segment
            ),
        });
    }
    let e = |i| text(el(seg, seps.element, i));
    st.group = Some((
        Group {
            functional_id: e(1),
            sender: e(2),
            receiver: e(3),
            control_number: e(6),
            version: e(8),
        },
        Open {
            place: at,
            count: 0,
        },
    ));
    Ok(())
}

fn open_set(st: &mut State, seg: &[u8], seps: Seps, at: Place) -> Result<(), EdiError> {
    if let Some((tx, o)) = &st.set {
        return Err(EdiError::Unexpected {
            at,
            detail: format!(
                "a transaction set starts while set {} (ST02 '{}', segment {}) has no SE",
                tx.set_type, tx.control_number, o.place.segment
            ),
        });
    }
    let Some((g, _)) = &st.group else {
        return Err(EdiError::Unexpected {
            at,
            detail: "a transaction set outside a functional group: no GS before this ST".to_owned(),
        });
    };
    let e = |i| text(el(seg, seps.element, i));
    let st03 = e(3);
    let tx = Transaction {
        set_type: e(1),
        control_number: e(2),
        version: if st03.is_empty() {
            g.version.clone()
        } else {
            st03
        },
        group_control: Some(g.control_number.clone()),
        first_segment: at.segment,
        segment_count: 1,
        ..Transaction::default()
    };
    st.set = Some((
        tx,
        Open {
            place: at,
            count: 1,
        },
    ));
    Ok(())
}

fn close_set(st: &mut State, seg: &[u8], seps: Seps, at: Place) -> Result<(), EdiError> {
    let Some((mut tx, open)) = st.set.take() else {
        return Err(EdiError::Unexpected {
            at,
            detail: "SE without an ST before it".to_owned(),
        });
    };
    tx.segment_count = open.count;
    let count = check_count(
        &at,
        "SE01",
        text(el(seg, seps.element, 1)),
        open.count,
        "segments from ST to SE",
    );
    let control = check_control(
        &at,
        "SE02",
        text(el(seg, seps.element, 2)),
        "ST02",
        &open.place,
        &tx.control_number,
        same_control,
    );
    if let Some((_, g)) = st.group.as_mut() {
        g.count += 1;
    }
    st.ic.transactions.push(tx);
    count.and(control)
}

fn close_group(st: &mut State, seg: &[u8], seps: Seps, at: Place) -> Result<(), EdiError> {
    if let Some((tx, o)) = &st.set {
        return Err(EdiError::Unexpected {
            at,
            detail: format!(
                "the group ends while transaction set {} (ST02 '{}', segment {}) has no SE",
                tx.set_type, tx.control_number, o.place.segment
            ),
        });
    }
    let Some((group, open)) = st.group.take() else {
        return Err(EdiError::Unexpected {
            at,
            detail: "GE without a GS before it".to_owned(),
        });
    };
    let count = check_count(
        &at,
        "GE01",
        text(el(seg, seps.element, 1)),
        open.count,
        "transaction sets in the group",
    );
    let control = check_control(
        &at,
        "GE02",
        text(el(seg, seps.element, 2)),
        "GS06",
        &open.place,
        &group.control_number,
        same_control,
    );
    st.ic.groups.push(group);
    st.groups_closed += 1;
    count.and(control)
}

fn close_interchange(st: &mut State, seg: &[u8], seps: Seps, at: Place) -> Result<(), EdiError> {
    if let Some((tx, o)) = &st.set {
        return Err(EdiError::Unexpected {
            at,
            detail: format!(
                "the interchange ends while transaction set {} (ST02 '{}', segment {}) has no SE",
                tx.set_type, tx.control_number, o.place.segment
            ),
        });
    }
    if let Some((g, o)) = &st.group {
        return Err(EdiError::Unexpected {
            at,
            detail: format!(
                "the interchange ends while group GS06 '{}' (segment {}) has no GE",
                g.control_number, o.place.segment
            ),
        });
    }
    check_count(
        &at,
        "IEA01",
        text(el(seg, seps.element, 1)),
        st.groups_closed,
        "functional groups",
    )?;
    let control = st.ic.control_number.clone();
    check_control(
        &at,
        "IEA02",
        text(el(seg, seps.element, 2)),
        "ISA13",
        &st.isa,
        &control,
        same_control,
    )
}

fn accepted(code: &str) -> Option<bool> {
    match code {
        "A" | "E" => Some(true),
        "R" | "M" | "W" | "X" => Some(false),
        _ => None,
    }
}

/// Business references and acknowledgements inside a set.
fn business(tx: &mut Transaction, tag: &[u8], seg: &[u8], sep: u8) {
    let e = |i| text(el(seg, sep, i));
    match tag {
        b"BEG" => {
            tx.add_reference(ReferenceKind::PurchaseOrder, e(3));
            set_date(tx, e(5));
        }
        b"BIG" => {
            set_date(tx, e(1));
            tx.add_reference(ReferenceKind::Invoice, e(2));
            tx.add_reference(ReferenceKind::PurchaseOrder, e(4));
        }
        b"BSN" => {
            tx.add_reference(ReferenceKind::Shipment, e(2));
            set_date(tx, e(3));
        }
        b"PRF" => tx.add_reference(ReferenceKind::PurchaseOrder, e(1)),
        b"REF" => match e(1).as_str() {
            "PO" => tx.add_reference(ReferenceKind::PurchaseOrder, e(2)),
            "IV" => tx.add_reference(ReferenceKind::Invoice, e(2)),
            _ => {}
        },
        b"AK1" => {
            let ack = tx.ack.get_or_insert_with(Acknowledgement::default);
            ack.functional_id = Some(e(1));
            ack.group_control = Some(e(2));
        }
        b"AK2" => {
            let ack = tx.ack.get_or_insert_with(Acknowledgement::default);
            ack.sets.push(AckedSet {
                set_type: Some(e(1)),
                control_number: e(2),
                accepted: None,
                code: String::new(),
            });
        }
        b"AK5" | b"IK5" => {
            let code = e(1);
            if let Some(set) = tx.ack.as_mut().and_then(|a| a.sets.last_mut()) {
                set.accepted = accepted(&code);
                set.code = code;
            }
        }
        b"AK9" => {
            let code = e(1);
            let ack = tx.ack.get_or_insert_with(Acknowledgement::default);
            ack.accepted = accepted(&code);
        }
        _ => {}
    }
}

fn set_date(tx: &mut Transaction, date: String) {
    if tx.document_date.is_none() && !date.is_empty() {
        tx.document_date = Some(date);
    }
}
