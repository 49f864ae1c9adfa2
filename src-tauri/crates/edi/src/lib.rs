//! What a dropped file is, read from its bytes alone (no I/O, no Tauri): X12 and EDIFACT
//! interchanges with their envelopes, control numbers and business references, their trailers
//! checked, and a readable segment view; otherwise PDF, images, CSV, XML by content. Routing
//! (`pd-ingest`) asks this crate which partner and case a file belongs to.
//!
//! Why our own scanner rather than a kept parser crate: `edifact-rs` (MIT, active, 0.x with a new
//! minor release every few weeks) is EDIFACT only and hands out `&str`, so an interchange in
//! ISO 8859-1 (`UNOC`, common in Europe) is refused before its envelope is read; `edifact-parser`
//! and `edifact-types` are EDIFACT only too, and the Rust X12 crates found were either
//! unmaintained or GPL (`edi`, which the issue excludes). Recognition needs neither schemas nor
//! typed messages: it needs the envelope, a few reference segments, the trailer counts and byte
//! positions for errors, over both standards, at hundreds of MB/s. That is a few hundred lines
//! over `memchr` (whose byte search is the whole hot loop), tested against public samples and
//! property tests, and kept here.
//!
//! ```
//! let x12 = b"ISA*00*          *00*          *ZZ*ACME           *ZZ*GLOBEX         *240101*1200*U*00401*000000001*0*P*>~\
//! GS*PO*ACME*GLOBEX*20240101*1200*1*X*004010~ST*850*0001~BEG*00*SA*PO-4711**20240101~SE*3*0001~GE*1*1~IEA*1*000000001~";
//! let found = pd_edi::recognize(x12);
//! let edi = found.edi.expect("X12");
//! assert!(edi.error.is_none());
//! let set = edi.transactions().next().expect("one set");
//! assert_eq!(set.set_type, "850");
//! assert_eq!(set.reference(pd_edi::ReferenceKind::PurchaseOrder), Some("PO-4711"));
//! assert_eq!(edi.interchanges[0].sender.to_string(), "ZZ:ACME");
//! ```

mod edifact;
mod envelope;
mod error;
mod model;
mod scan;
mod sniff;
mod view;
mod x12;

pub use error::{EdiError, Place};
pub use model::*;
pub use sniff::Content;
pub use view::{segment_view, ElementLine, SegmentLine, SegmentView};

/// What the bytes are: the content kind, and for X12 or EDIFACT what the envelopes say (with
/// the first problem found, if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognition {
    /// The kind of content.
    pub content: Content,
    /// The interchanges, for X12 and EDIFACT.
    pub edi: Option<Edi>,
}

/// Reads `bytes`: EDI when they start (after a UTF-8 byte order mark and blank space) with `ISA`,
/// `UNA`, `UNB` or `UNH`; otherwise the content kind from magic numbers and a look at the text.
/// Never panics; a broken interchange is an [`Edi`] whose `error` names the place.
pub fn recognize(bytes: &[u8]) -> Recognition {
    let start = scan::skip_blank(bytes, scan::bom_len(bytes));
    let rest = bytes.get(start..).unwrap_or_default();
    if rest.starts_with(b"ISA") {
        return Recognition {
            content: Content::X12,
            edi: Some(x12::parse(bytes, start)),
        };
    }
    if rest.starts_with(b"UNA") || rest.starts_with(b"UNB") || rest.starts_with(b"UNH") {
        return Recognition {
            content: Content::Edifact,
            edi: Some(edifact::parse(bytes, start)),
        };
    }
    Recognition {
        content: sniff::sniff(bytes),
        edi: None,
    }
}
