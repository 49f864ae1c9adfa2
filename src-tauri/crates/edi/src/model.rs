//! What the envelopes of an EDI file say: interchanges, groups, transaction sets (X12) or
//! messages (EDIFACT), their references and acknowledgements. One shape for both standards so
//! routing reads a sender, a type and a PO number the same way.

use serde::Serialize;
use std::fmt;

use crate::EdiError;

/// The EDI standard of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standard {
    /// ANSI ASC X12 (ISA ... IEA).
    X12,
    /// UN/EDIFACT (UNA, UNB ... UNZ).
    Edifact,
}

impl Standard {
    /// The name an analyst reads.
    pub fn label(self) -> &'static str {
        match self {
            Standard::X12 => "X12",
            Standard::Edifact => "EDIFACT",
        }
    }
}

/// An EDI file: its interchanges as far as they could be read, and the first problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edi {
    /// X12 or EDIFACT.
    pub standard: Standard,
    /// Every interchange read (the one the error is in included, as far as it got).
    pub interchanges: Vec<Interchange>,
    /// The first syntax or validation problem; `None` when every trailer matched.
    pub error: Option<EdiError>,
}

impl Edi {
    /// Every transaction set / message of every interchange, in file order.
    pub fn transactions(&self) -> impl Iterator<Item = &Transaction> {
        self.interchanges.iter().flat_map(|i| i.transactions.iter())
    }

    /// True when the envelopes were read to the end and every count and control number matched.
    pub fn is_valid(&self) -> bool {
        self.error.is_none()
    }
}

/// A partner's EDI address: qualifier (`ZZ`, `01`, `14`, ...) and id, written `ZZ:ACME`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Address {
    /// ISA05/ISA07, or the second component of UNB's S002/S003 (may be empty in EDIFACT).
    pub qualifier: String,
    /// ISA06/ISA08 without padding, or UNB's first component.
    pub id: String,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.qualifier.is_empty() {
            f.write_str(&self.id)
        } else {
            write!(f, "{}:{}", self.qualifier, self.id)
        }
    }
}

/// One interchange (ISA ... IEA, or UNB ... UNZ).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Interchange {
    /// Who sent it.
    pub sender: Address,
    /// Who it is for.
    pub receiver: Address,
    /// ISA13 or UNB's control reference (0020).
    pub control_number: String,
    /// ISA12 (`00401`) or UNB's syntax identifier (`UNOA:3`).
    pub version: String,
    /// ISA09/ISA10 or UNB's S004, as written.
    pub date: String,
    /// Functional groups (X12 GS ... GE; EDIFACT UNG ... UNE when used).
    pub groups: Vec<Group>,
    /// Transaction sets / messages, in order.
    pub transactions: Vec<Transaction>,
    /// 1-based number of the ISA/UNB segment in the file.
    pub first_segment: usize,
}

/// A functional group (GS ... GE, or UNG ... UNE).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Group {
    /// GS01 (`PO`, `IN`, `SH`, `FA`) or UNG's message group id.
    pub functional_id: String,
    /// GS02 / UNG sender.
    pub sender: String,
    /// GS03 / UNG recipient.
    pub receiver: String,
    /// GS06 or UNG's group reference.
    pub control_number: String,
    /// GS08 (`004010`) or UNG's version.
    pub version: String,
}

/// What a document is for routing: the case kind follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 850, 875, ORDERS.
    Order,
    /// 860, 865, ORDCHG, ORDRSP: a change or response to an order.
    OrderChange,
    /// 810, 880, INVOIC.
    Invoice,
    /// 856, DESADV.
    Shipment,
    /// 997, 999, CONTRL, APERAK.
    Acknowledgement,
    /// Anything else.
    Other,
}

impl DocumentKind {
    /// The kind of an X12 transaction set id or an EDIFACT message type.
    pub fn of(set_type: &str) -> DocumentKind {
        match set_type {
            "850" | "875" | "ORDERS" => DocumentKind::Order,
            "860" | "865" | "855" | "ORDCHG" | "ORDRSP" => DocumentKind::OrderChange,
            "810" | "880" | "INVOIC" => DocumentKind::Invoice,
            "856" | "DESADV" => DocumentKind::Shipment,
            "997" | "999" | "CONTRL" | "APERAK" => DocumentKind::Acknowledgement,
            _ => DocumentKind::Other,
        }
    }

    /// The name an analyst reads.
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Order => "purchase order",
            DocumentKind::OrderChange => "order change",
            DocumentKind::Invoice => "invoice",
            DocumentKind::Shipment => "ship notice",
            DocumentKind::Acknowledgement => "acknowledgement",
            DocumentKind::Other => "document",
        }
    }
}

/// What a business reference is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// A purchase order number (BEG03, BIG04, PRF01, REF*PO, RFF+ON, BGM of ORDERS).
    PurchaseOrder,
    /// An invoice number (BIG02, REF*IV, RFF+IV, BGM of INVOIC).
    Invoice,
    /// A shipment / despatch advice number (BSN02, RFF+AAK, BGM of DESADV).
    Shipment,
    /// Another document number (BGM of other messages).
    Document,
}

impl ReferenceKind {
    /// The name an analyst reads.
    pub fn label(self) -> &'static str {
        match self {
            ReferenceKind::PurchaseOrder => "PO number",
            ReferenceKind::Invoice => "invoice number",
            ReferenceKind::Shipment => "shipment number",
            ReferenceKind::Document => "document number",
        }
    }
}

/// A business reference found in a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Reference {
    /// What the number is.
    pub kind: ReferenceKind,
    /// The number as written.
    pub value: String,
}

/// One X12 transaction set (ST ... SE) or EDIFACT message (UNH ... UNT).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Transaction {
    /// ST01 (`850`) or UNH's message type (`ORDERS`).
    pub set_type: String,
    /// ST02 or UNH's message reference (0062).
    pub control_number: String,
    /// GS08 / ST03 (`004010`) or UNH's version and release (`D.96A`).
    pub version: String,
    /// The enclosing group's control number (GS06 / UNG), if any.
    pub group_control: Option<String>,
    /// PO, invoice, shipment numbers, in the order found, without duplicates.
    pub references: Vec<Reference>,
    /// The document date (BEG05, BIG01, BSN03, DTM 137), as written.
    pub document_date: Option<String>,
    /// For 997/999/CONTRL: what it acknowledges.
    pub ack: Option<Acknowledgement>,
    /// 1-based number of the ST/UNH segment in the file.
    pub first_segment: usize,
    /// Segments from ST/UNH to SE/UNT inclusive, as counted.
    pub segment_count: usize,
}

impl Transaction {
    /// What the document is.
    pub fn kind(&self) -> DocumentKind {
        DocumentKind::of(&self.set_type)
    }

    /// The first reference of `kind`.
    pub fn reference(&self, kind: ReferenceKind) -> Option<&str> {
        self.references
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| r.value.as_str())
    }

    pub(crate) fn add_reference(&mut self, kind: ReferenceKind, value: String) {
        if value.is_empty()
            || self
                .references
                .iter()
                .any(|r| r.kind == kind && r.value == value)
        {
            return;
        }
        self.references.push(Reference { kind, value });
    }
}

/// What a 997/999 or CONTRL acknowledges.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Acknowledgement {
    /// AK101: the functional id of the acknowledged group (`PO`, `IN`).
    pub functional_id: Option<String>,
    /// AK102: the acknowledged group's control number (GS06).
    pub group_control: Option<String>,
    /// CONTRL UCI: the acknowledged interchange's control reference.
    pub interchange_control: Option<String>,
    /// One entry per AK2/UCM.
    pub sets: Vec<AckedSet>,
    /// AK901 / UCI action: accepted (`A`, `E`, `7`, `8`) or rejected (`R`, `P`, `4`).
    pub accepted: Option<bool>,
}

/// One acknowledged transaction set or message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AckedSet {
    /// AK201 (`850`) or UCM's message type.
    pub set_type: Option<String>,
    /// AK202 (the ST02 acknowledged) or UCM's message reference.
    pub control_number: String,
    /// AK501/IK501 or UCM's action: `Some(false)` when the set was rejected.
    pub accepted: Option<bool>,
    /// The code as written (`A`, `R`, `4`, ...).
    pub code: String,
}

impl Acknowledgement {
    /// The acknowledged sets that were rejected (or, when the whole group or interchange was
    /// rejected and no set says otherwise, every set it names).
    pub fn rejected(&self) -> impl Iterator<Item = &AckedSet> {
        let whole = self.accepted == Some(false);
        self.sets
            .iter()
            .filter(move |s| s.accepted == Some(false) || (whole && s.accepted.is_none()))
    }
}
