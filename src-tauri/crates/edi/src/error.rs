//! The one error of this crate: what is wrong with an EDI file and where (segment tag, its
//! 1-based number in the file and its byte offset), in words an analyst can act on.

use serde::Serialize;
use std::fmt;

/// Where in the file: the segment's tag, its 1-based number and the byte offset of its start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    /// The segment tag as read (`SE`, `UNT`), or what stood where one was expected.
    pub tag: String,
    /// 1-based number of the segment in the file.
    pub segment: usize,
    /// Byte offset of the segment's first byte in the file.
    pub offset: usize,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (segment {}, byte {})",
            self.tag, self.segment, self.offset
        )
    }
}

/// What is wrong with an EDI file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EdiError {
    /// The file ends inside a segment (no terminator after its last bytes).
    #[error("the file ends in the middle of segment {at}: no segment terminator '{terminator}' after it, so the file looks truncated{hint}")]
    Truncated {
        /// The unfinished segment.
        at: Place,
        /// The terminator that was expected.
        terminator: String,
        /// A likely cause, when one is seen (starting with "; ").
        hint: String,
    },
    /// The separators declared by ISA or UNA cannot be used.
    #[error("{at}: {detail}")]
    Separators {
        /// The ISA or UNA segment.
        at: Place,
        /// What is wrong with them.
        detail: String,
    },
    /// The file ends before a trailer that closes an open envelope.
    #[error("the file ends without the {trailer} that closes {opened}{hint}")]
    MissingTrailer {
        /// The opening segment (ST, GS, ISA, UNH, UNG, UNB).
        opened: Place,
        /// The trailer that is missing (SE, GE, IEA, UNT, UNE, UNZ).
        trailer: String,
        /// A likely cause, when one is seen (starting with "; ").
        hint: String,
    },
    /// A trailer's count does not match what it closes.
    #[error("{at}: {element} says {stated} {what}, but {actual} were found")]
    CountMismatch {
        /// The trailer.
        at: Place,
        /// The element holding the count (SE01, GE01, IEA01, UNT 0074, ...).
        element: String,
        /// The count as written.
        stated: String,
        /// What is counted.
        what: String,
        /// The count found.
        actual: usize,
    },
    /// A trailer's control number differs from its header's.
    #[error("{at}: {element} is '{stated}' but {header_element} at segment {header_segment} is '{expected}'")]
    ControlMismatch {
        /// The trailer.
        at: Place,
        /// The trailer's element (SE02, GE02, IEA02, UNT 0062, ...).
        element: String,
        /// The trailer's control number.
        stated: String,
        /// The header's element (ST02, GS06, ISA13, UNH 0062, ...).
        header_element: String,
        /// The header's segment number.
        header_segment: usize,
        /// The header's control number.
        expected: String,
    },
    /// A segment where it cannot be (ST outside a group, data after the last trailer, ...).
    #[error("{at}: {detail}")]
    Unexpected {
        /// The segment.
        at: Place,
        /// Why it cannot be there.
        detail: String,
    },
    /// A segment that cannot be read (no tag, a header without its elements).
    #[error("{at}: {detail}")]
    Malformed {
        /// The segment.
        at: Place,
        /// What is wrong.
        detail: String,
    },
}

impl EdiError {
    /// Where the problem is.
    pub fn place(&self) -> &Place {
        match self {
            EdiError::Truncated { at, .. }
            | EdiError::Separators { at, .. }
            | EdiError::CountMismatch { at, .. }
            | EdiError::ControlMismatch { at, .. }
            | EdiError::Unexpected { at, .. }
            | EdiError::Malformed { at, .. } => at,
            EdiError::MissingTrailer { opened, .. } => opened,
        }
    }
}
