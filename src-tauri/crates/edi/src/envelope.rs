//! What both standards' scanners share: an open envelope (where its header stood and what was
//! counted inside it), keeping what was read of an unfinished interchange for an error's report,
//! and the trailer checks that compare a stated count or control reference with the header's.

// One error per file at most, built on the error path only: its size costs nothing.
#![allow(clippy::result_large_err)]

use crate::error::{EdiError, Place};
use crate::model::{Edi, Group, Interchange, Standard, Transaction};

/// An envelope opened and not yet closed: its header's place and what was counted inside it
/// (segments of a message / transaction set, messages / sets of a group).
pub(crate) struct Open {
    pub(crate) place: Place,
    pub(crate) count: usize,
}

/// One standard's scanner: the interchanges of the input from a byte offset, into a list.
pub(crate) type Scanner = fn(&[u8], usize, &mut Vec<Interchange>) -> Result<(), EdiError>;

/// Reads every interchange of `input` from `start` with one standard's `run`; an error ends the
/// reading and is kept beside what was read before it.
pub(crate) fn read_all(standard: Standard, input: &[u8], start: usize, run: Scanner) -> Edi {
    let mut edi = Edi {
        standard,
        interchanges: Vec::new(),
        error: None,
    };
    if let Err(e) = run(input, start, &mut edi.interchanges) {
        edi.error = Some(e);
    }
    edi
}

/// Keeps what was read of the open transaction and group in the interchange (for an error's
/// report) and hands the interchange back.
pub(crate) fn keep_open(
    mut ic: Interchange,
    group: Option<(Group, Open)>,
    transaction: Option<(Transaction, Open)>,
) -> Interchange {
    if let Some((mut tx, open)) = transaction {
        tx.segment_count = open.count;
        ic.transactions.push(tx);
    }
    if let Some((group, _)) = group {
        ic.groups.push(group);
    }
    ic
}

/// A trailer's `element` states `stated` where `actual` `what` were counted.
pub(crate) fn check_count(
    at: &Place,
    element: &str,
    stated: String,
    actual: usize,
    what: &str,
) -> Result<(), EdiError> {
    if stated.parse::<usize>().ok() == Some(actual) {
        return Ok(());
    }
    Err(EdiError::CountMismatch {
        at: at.clone(),
        element: element.to_owned(),
        stated,
        what: what.to_owned(),
        actual,
    })
}

/// A trailer's `element` repeats its header's control reference (`header_element` of the
/// segment at `header`), as `same` compares them in this standard.
pub(crate) fn check_control(
    at: &Place,
    element: &str,
    stated: String,
    header_element: &str,
    header: &Place,
    expected: &str,
    same: fn(&str, &str) -> bool,
) -> Result<(), EdiError> {
    if same(&stated, expected) {
        return Ok(());
    }
    Err(EdiError::ControlMismatch {
        at: at.clone(),
        element: element.to_owned(),
        stated,
        header_element: header_element.to_owned(),
        header_segment: header.segment,
        expected: expected.to_owned(),
    })
}
