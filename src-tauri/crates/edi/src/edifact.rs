//! EDIFACT: the optional UNA gives the separators and release character (defaults `:+.? '`);
//! UNB/UNG/UNH/UNT/UNE/UNZ are matched and counted, and BGM, RFF, DTM and CONTRL's UCI/UCM are
//! read. A terminator or separator preceded by the release character is data.

// One error per file at most, built on the error path only: its size costs nothing.
#![allow(clippy::result_large_err)]

use memchr::memchr;

use crate::envelope::{check_control, check_count, keep_open, read_all, Open};
use crate::error::{EdiError, Place};
use crate::model::*;
use crate::scan::{is_tag, sep_name, show, skip_blank, text, trim_line_end};

/// Separators of one interchange.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seps {
    pub component: u8,
    pub element: u8,
    pub release: Option<u8>,
    pub term: u8,
}

impl Default for Seps {
    fn default() -> Self {
        Seps {
            component: b':',
            element: b'+',
            release: Some(b'?'),
            term: b'\'',
        }
    }
}

/// Reads the UNA at `at` (9 bytes).
pub(crate) fn una(input: &[u8], at: usize, segment: usize) -> Result<Seps, EdiError> {
    let place = Place {
        tag: "UNA".to_owned(),
        segment,
        offset: at,
    };
    let Some(u) = input.get(at..at + 9) else {
        return Err(EdiError::Malformed {
            at: place,
            detail: "the service string advice UNA is 9 bytes long but the file ends before: the file is truncated".to_owned(),
        });
    };
    let seps = Seps {
        component: u[3],
        element: u[4],
        release: (u[6] != b' ').then_some(u[6]),
        term: u[8],
    };
    let all = [
        seps.component,
        seps.element,
        seps.term,
        seps.release.unwrap_or(0),
    ];
    let bad = all[..3]
        .iter()
        .any(|b| b.is_ascii_alphanumeric() || *b == b' ')
        || seps.release.is_some_and(|r| r.is_ascii_alphanumeric());
    let distinct = (0..4).all(|i| (i + 1..4).all(|j| all[i] != all[j] || all[i] == 0));
    if bad || !distinct {
        return Err(EdiError::Separators {
            at: place,
            detail: format!(
                "UNA declares component separator '{}', element separator '{}', release character '{}' and segment terminator '{}': they must be distinct and not letters, digits or spaces",
                sep_name(seps.component),
                sep_name(seps.element),
                seps.release.map(sep_name).unwrap_or_else(|| "none".to_owned()),
                sep_name(seps.term)
            ),
        });
    }
    Ok(seps)
}

/// The offset of the first unreleased terminator in `rest`.
pub(crate) fn find_term(rest: &[u8], seps: Seps) -> Option<usize> {
    let mut from = 0;
    loop {
        let i = from + memchr(seps.term, &rest[from..])?;
        let released = match seps.release {
            Some(r) => rest[..i].iter().rev().take_while(|b| **b == r).count() % 2 == 1,
            None => false,
        };
        if !released {
            return Some(i);
        }
        from = i + 1;
    }
}

/// Splits at unreleased `sep` (values keep their release characters).
pub(crate) fn split(seg: &[u8], sep: u8, release: Option<u8>) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < seg.len() {
        let b = seg[i];
        if Some(b) == release {
            i += 2;
            continue;
        }
        if b == sep {
            out.push(&seg[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    out.push(&seg[start.min(seg.len())..]);
    out
}

/// A value with its release characters removed.
pub(crate) fn unescape(raw: &[u8], release: Option<u8>) -> String {
    match release {
        Some(r) if raw.contains(&r) => {
            let mut out = Vec::with_capacity(raw.len());
            let mut it = raw.iter();
            while let Some(&b) = it.next() {
                if b == r {
                    if let Some(&n) = it.next() {
                        out.push(n);
                    }
                } else {
                    out.push(b);
                }
            }
            text(&out)
        }
        _ => text(raw),
    }
}

/// A segment's elements, each split into unescaped components.
struct Elements(Vec<Vec<String>>);

impl Elements {
    fn read(seg: &[u8], seps: Seps) -> Elements {
        Elements(
            split(seg, seps.element, seps.release)
                .into_iter()
                .map(|e| {
                    split(e, seps.component, seps.release)
                        .into_iter()
                        .map(|c| unescape(c, seps.release))
                        .collect()
                })
                .collect(),
        )
    }

    /// Component `c` of element `e` (element 0 is the tag).
    fn get(&self, e: usize, c: usize) -> String {
        self.0
            .get(e)
            .and_then(|el| el.get(c))
            .cloned()
            .unwrap_or_default()
    }

    /// Element `e` as written, components joined by ':'.
    fn whole(&self, e: usize) -> String {
        self.0.get(e).map(|el| el.join(":")).unwrap_or_default()
    }
}

struct State {
    ic: Interchange,
    unb: Place,
    group: Option<(Group, Open)>,
    message: Option<(Transaction, Open)>,
    messages: usize,
    groups: usize,
    /// Messages without an interchange envelope (UNH at the start, no UNB/UNZ).
    bare: bool,
}

impl State {
    /// Keeps what was read of the open message and group in the interchange (for an error's report).
    fn flush(self) -> Interchange {
        keep_open(self.ic, self.group, self.message)
    }
}

/// Reads the EDIFACT interchanges of `input`, the first at `start`.
pub(crate) fn parse(input: &[u8], start: usize) -> Edi {
    read_all(Standard::Edifact, input, start, run)
}

fn run(input: &[u8], start: usize, out: &mut Vec<Interchange>) -> Result<(), EdiError> {
    let mut p = start;
    let mut seg_no = 0usize;
    let mut seps = Seps::default();
    let mut after_una: Option<Place> = None;
    loop {
        p = skip_blank(input, p);
        if p >= input.len() {
            if let Some(una) = after_una {
                return Err(EdiError::MissingTrailer {
                    opened: una,
                    trailer: "UNB and UNZ".to_owned(),
                    hint: "; UNA is followed by no interchange".to_owned(),
                });
            }
            return Ok(());
        }
        let rest = &input[p..];
        seg_no += 1;
        if rest.starts_with(b"UNA") {
            seps = una(input, p, seg_no)?;
            after_una = Some(Place {
                tag: "UNA".to_owned(),
                segment: seg_no,
                offset: p,
            });
            p += 9;
            continue;
        }
        after_una = None;
        let Some(len) = find_term(rest, seps) else {
            return Err(EdiError::Truncated {
                at: Place {
                    tag: show(&rest[..rest.len().min(3)]),
                    segment: seg_no,
                    offset: p,
                },
                terminator: sep_name(seps.term),
                hint: String::new(),
            });
        };
        let seg = trim_line_end(&rest[..len]);
        let tag = &seg[..memchr(seps.element, seg).unwrap_or(seg.len())];
        let place = Place {
            tag: show(tag),
            segment: seg_no,
            offset: p,
        };
        if tag == b"UNH" {
            // Messages without an interchange envelope: the sender is not known.
            let state = State {
                ic: Interchange {
                    first_segment: seg_no,
                    ..Interchange::default()
                },
                unb: place,
                group: None,
                message: None,
                messages: 0,
                groups: 0,
                bare: true,
            };
            seg_no -= 1;
            p = interchange(input, p, &mut seg_no, seps, state, out)?;
            continue;
        }
        if tag != b"UNB" {
            return Err(EdiError::Unexpected {
                at: place,
                detail: if out.is_empty() {
                    format!("an interchange starts with UNB (after an optional UNA), but the file starts with '{}'", show(seg))
                } else {
                    format!(
                        "after the last UNZ only another interchange (UNA or UNB) can follow, but the file goes on with '{}'",
                        show(seg)
                    )
                },
            });
        }
        p += len + 1;
        let e = Elements::read(seg, seps);
        let state = State {
            ic: Interchange {
                version: e.whole(1),
                sender: Address {
                    id: e.get(2, 0),
                    qualifier: e.get(2, 1),
                },
                receiver: Address {
                    id: e.get(3, 0),
                    qualifier: e.get(3, 1),
                },
                date: e.whole(4),
                control_number: e.get(5, 0),
                first_segment: seg_no,
                ..Interchange::default()
            },
            unb: place,
            group: None,
            message: None,
            messages: 0,
            groups: 0,
            bare: false,
        };
        p = interchange(input, p, &mut seg_no, seps, state, out)?;
    }
}

fn interchange(
    input: &[u8],
    mut p: usize,
    seg_no: &mut usize,
    seps: Seps,
    mut st: State,
    out: &mut Vec<Interchange>,
) -> Result<usize, EdiError> {
    loop {
        p = skip_blank(input, p);
        if st.bare
            && st.message.is_none()
            && (p >= input.len()
                || input[p..].starts_with(b"UNB")
                || input[p..].starts_with(b"UNA"))
        {
            out.push(st.flush());
            return Ok(p);
        }
        if p >= input.len() {
            let (opened, trailer) = if let Some((_, o)) = &st.message {
                (o.place.clone(), "UNT")
            } else if let Some((_, o)) = &st.group {
                (o.place.clone(), "UNE")
            } else {
                (st.unb.clone(), "UNZ")
            };
            out.push(st.flush());
            return Err(EdiError::MissingTrailer {
                opened,
                trailer: trailer.to_owned(),
                hint: String::new(),
            });
        }
        let rest = &input[p..];
        let Some(len) = find_term(rest, seps) else {
            let at = Place {
                tag: show(&rest[..rest.len().min(3)]),
                segment: *seg_no + 1,
                offset: p,
            };
            out.push(st.flush());
            return Err(EdiError::Truncated {
                at,
                terminator: sep_name(seps.term),
                hint: String::new(),
            });
        };
        *seg_no += 1;
        let seg = trim_line_end(&rest[..len]);
        let offset = p;
        p += len + 1;
        let tag = &seg[..memchr(seps.element, seg).unwrap_or(seg.len())];
        let place = Place {
            tag: show(&tag[..tag.len().min(3)]),
            segment: *seg_no,
            offset,
        };
        if !is_tag(tag) {
            out.push(st.flush());
            return Err(EdiError::Malformed {
                at: place,
                detail: format!(
                    "'{}' is not a segment: a segment starts with a 3-letter tag and the element separator '{}' (segments end with '{}')",
                    show(seg),
                    sep_name(seps.element),
                    sep_name(seps.term)
                ),
            });
        }
        if let Some((_, open)) = st.message.as_mut() {
            open.count += 1;
        }
        let result = match tag {
            b"UNZ" if st.bare => Err(EdiError::Unexpected {
                at: place,
                detail: "UNZ closes an interchange, but no UNB opened one".to_owned(),
            }),
            b"UNZ" => {
                let r = close_interchange(&mut st, seg, seps, place);
                if r.is_ok() {
                    out.push(st.flush());
                    return Ok(p);
                }
                r
            }
            b"UNG" => open_group(&mut st, seg, seps, place),
            b"UNE" => close_group(&mut st, seg, seps, place),
            b"UNH" => open_message(&mut st, seg, seps, place),
            b"UNT" => close_message(&mut st, seg, seps, place),
            b"UNB" | b"UNA" => Err(EdiError::Unexpected {
                at: place,
                detail: match &st.message {
                    Some((tx, o)) if st.bare => format!(
                        "a new interchange starts while message {} (reference '{}', segment {}) has no UNT",
                        tx.set_type, tx.control_number, o.place.segment
                    ),
                    _ => format!(
                        "a new interchange starts while the one at segment {} (reference '{}') has no UNZ",
                        st.unb.segment, st.ic.control_number
                    ),
                },
            }),
            _ => match st.message.as_mut() {
                Some((tx, _)) => {
                    business(tx, tag, seg, seps);
                    Ok(())
                }
                None => Err(EdiError::Unexpected {
                    at: place,
                    detail: "this segment is outside a message: only UNH ... UNT may hold it"
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

fn open_group(st: &mut State, seg: &[u8], seps: Seps, at: Place) -> Result<(), EdiError> {
    if st.message.is_some() || st.group.is_some() {
        return Err(EdiError::Unexpected {
            at,
            detail: "a group starts while a message or group is still open (UNT or UNE missing)"
                .to_owned(),
        });
    }
    let e = Elements::read(seg, seps);
    st.group = Some((
        Group {
            functional_id: e.get(1, 0),
            sender: e.get(2, 0),
            receiver: e.get(3, 0),
            control_number: e.get(5, 0),
            version: e.whole(7),
        },
        Open {
            place: at,
            count: 0,
        },
    ));
    Ok(())
}

fn open_message(st: &mut State, seg: &[u8], seps: Seps, at: Place) -> Result<(), EdiError> {
    if let Some((tx, o)) = &st.message {
        return Err(EdiError::Unexpected {
            at,
            detail: format!(
                "a message starts while message {} (reference '{}', segment {}) has no UNT",
                tx.set_type, tx.control_number, o.place.segment
            ),
        });
    }
    let e = Elements::read(seg, seps);
    let (version, release) = (e.get(2, 1), e.get(2, 2));
    let tx = Transaction {
        set_type: e.get(2, 0),
        control_number: e.get(1, 0),
        version: match (version.is_empty(), release.is_empty()) {
            (false, false) => format!("{version}.{release}"),
            _ => format!("{version}{release}"),
        },
        group_control: st.group.as_ref().map(|(g, _)| g.control_number.clone()),
        first_segment: at.segment,
        segment_count: 1,
        ..Transaction::default()
    };
    st.message = Some((
        tx,
        Open {
            place: at,
            count: 1,
        },
    ));
    Ok(())
}

fn close_message(st: &mut State, seg: &[u8], seps: Seps, at: Place) -> Result<(), EdiError> {
    let Some((mut tx, open)) = st.message.take() else {
        return Err(EdiError::Unexpected {
            at,
            detail: "UNT without a UNH before it".to_owned(),
        });
    };
    tx.segment_count = open.count;
    let e = Elements::read(seg, seps);
    let count = check_count(
        &at,
        "UNT 0074",
        e.get(1, 0),
        open.count,
        "segments from UNH to UNT",
    );
    let control = check_control(
        &at,
        "UNT 0062",
        e.get(2, 0),
        "UNH 0062",
        &open.place,
        &tx.control_number,
        |stated, header| stated == header,
    );
    match st.group.as_mut() {
        Some((_, g)) => g.count += 1,
        None => st.messages += 1,
    }
    st.ic.transactions.push(tx);
    count.and(control)
}

fn close_group(st: &mut State, seg: &[u8], seps: Seps, at: Place) -> Result<(), EdiError> {
    if st.message.is_some() {
        return Err(EdiError::Unexpected {
            at,
            detail: "the group ends while a message has no UNT".to_owned(),
        });
    }
    let Some((group, open)) = st.group.take() else {
        return Err(EdiError::Unexpected {
            at,
            detail: "UNE without a UNG before it".to_owned(),
        });
    };
    let e = Elements::read(seg, seps);
    let count = check_count(
        &at,
        "UNE 0060",
        e.get(1, 0),
        open.count,
        "messages in the group",
    );
    let control = check_control(
        &at,
        "UNE 0048",
        e.get(2, 0),
        "UNG 0048",
        &open.place,
        &group.control_number,
        |stated, header| stated == header,
    );
    st.ic.groups.push(group);
    st.groups += 1;
    count.and(control)
}

fn close_interchange(st: &mut State, seg: &[u8], seps: Seps, at: Place) -> Result<(), EdiError> {
    if st.message.is_some() || st.group.is_some() {
        return Err(EdiError::Unexpected {
            at,
            detail:
                "the interchange ends while a message or group is still open (UNT or UNE missing)"
                    .to_owned(),
        });
    }
    let e = Elements::read(seg, seps);
    let (actual, what) = if st.groups > 0 {
        (st.groups, "groups")
    } else {
        (st.messages, "messages")
    };
    check_count(&at, "UNZ 0036", e.get(1, 0), actual, what)?;
    let control = st.ic.control_number.clone();
    check_control(
        &at,
        "UNZ 0020",
        e.get(2, 0),
        "UNB 0020",
        &st.unb,
        &control,
        |stated, header| stated == header,
    )
}

fn business(tx: &mut Transaction, tag: &[u8], seg: &[u8], seps: Seps) {
    match tag {
        b"BGM" => {
            let e = Elements::read(seg, seps);
            let kind = match tx.set_type.as_str() {
                "ORDERS" | "ORDCHG" => ReferenceKind::PurchaseOrder,
                "INVOIC" => ReferenceKind::Invoice,
                "DESADV" => ReferenceKind::Shipment,
                _ => ReferenceKind::Document,
            };
            tx.add_reference(kind, e.get(2, 0));
        }
        b"RFF" => {
            let e = Elements::read(seg, seps);
            let kind = match e.get(1, 0).as_str() {
                "ON" => ReferenceKind::PurchaseOrder,
                "IV" => ReferenceKind::Invoice,
                "AAK" => ReferenceKind::Shipment,
                _ => return,
            };
            tx.add_reference(kind, e.get(1, 1));
        }
        b"DTM" if tx.document_date.is_none() => {
            let e = Elements::read(seg, seps);
            if e.get(1, 0) == "137" {
                let date = e.get(1, 1);
                if !date.is_empty() {
                    tx.document_date = Some(date);
                }
            }
        }
        b"UCI" => {
            let e = Elements::read(seg, seps);
            let ack = tx.ack.get_or_insert_with(Acknowledgement::default);
            ack.interchange_control = Some(e.get(1, 0));
            ack.accepted = action(&e.get(4, 0));
        }
        b"UCM" => {
            let e = Elements::read(seg, seps);
            let code = e.get(3, 0);
            let ack = tx.ack.get_or_insert_with(Acknowledgement::default);
            ack.sets.push(AckedSet {
                set_type: Some(e.get(2, 0)).filter(|t| !t.is_empty()),
                control_number: e.get(1, 0),
                accepted: action(&code),
                code,
            });
        }
        _ => {}
    }
}

/// CONTRL action codes (0083): 4 rejected, 7 acknowledged; 8 only received.
fn action(code: &str) -> Option<bool> {
    match code {
        "7" => Some(true),
        "4" => Some(false),
        _ => None,
    }
}
