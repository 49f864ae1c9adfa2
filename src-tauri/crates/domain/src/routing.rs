//! Drop-folder routing rules the analyst orders and switches on or off (the Folders view's rules
//! editor), and what EDI recognition found in a taken file (the ledger's EDI details). One
//! declaration each: the ledger's rule names, the words for the analyst and the default order.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A routing rule. The unmatched fallback (a new case with the folder's defaults) is always
/// last and not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RoutingRuleKind {
    /// An EDI file failing validation opens a case with the error in words.
    EdiValidation,
    /// A 997/999/CONTRL rejecting a set goes to the case of the document it rejects.
    EdiAcknowledgement,
    /// A PO, invoice or shipment number read from the EDI document finds the case carrying it.
    EdiReference,
    /// The interchange's control number or correlation id is a Lens transaction linked to a case.
    EdiLinkedTransaction,
    /// A case reference (`CASE-1042`) in the file name.
    CaseReferenceInName,
    /// A PO number of a known case in the file name.
    PoInName,
    /// An invoice number of a known case in the file name.
    InvoiceInName,
    /// A shipment number of a known case in the file name.
    ShipmentInName,
    /// An EDI document no rule placed opens a new case for the sender's partner (found by its
    /// EDI address), its kind from the document type, its references filled.
    EdiNewCase,
}

impl RoutingRuleKind {
    /// Every rule in the default order.
    pub const DEFAULT_ORDER: [RoutingRuleKind; 9] = [
        RoutingRuleKind::EdiValidation,
        RoutingRuleKind::EdiAcknowledgement,
        RoutingRuleKind::EdiReference,
        RoutingRuleKind::EdiLinkedTransaction,
        RoutingRuleKind::CaseReferenceInName,
        RoutingRuleKind::PoInName,
        RoutingRuleKind::InvoiceInName,
        RoutingRuleKind::ShipmentInName,
        RoutingRuleKind::EdiNewCase,
    ];

    /// The name written to the ingest ledger (`edi_reference`, `po_number`, ...).
    pub fn ledger_name(self) -> &'static str {
        match self {
            RoutingRuleKind::EdiValidation => "edi_validation",
            RoutingRuleKind::EdiAcknowledgement => "edi_acknowledgement",
            RoutingRuleKind::EdiReference => "edi_reference",
            RoutingRuleKind::EdiLinkedTransaction => "edi_linked_transaction",
            RoutingRuleKind::CaseReferenceInName => "case_reference",
            RoutingRuleKind::PoInName => "po_number",
            RoutingRuleKind::InvoiceInName => "invoice_number",
            RoutingRuleKind::ShipmentInName => "shipment_number",
            RoutingRuleKind::EdiNewCase => "edi_new_case",
        }
    }

    /// The rule of a stored name.
    pub fn from_ledger_name(name: &str) -> Option<RoutingRuleKind> {
        Self::DEFAULT_ORDER
            .into_iter()
            .find(|k| k.ledger_name() == name)
    }

    /// Short name for the analyst.
    pub fn label(self) -> &'static str {
        match self {
            RoutingRuleKind::EdiValidation => "Broken EDI file",
            RoutingRuleKind::EdiAcknowledgement => "Rejecting acknowledgement",
            RoutingRuleKind::EdiReference => "Reference in the EDI document",
            RoutingRuleKind::EdiLinkedTransaction => "Linked transaction",
            RoutingRuleKind::CaseReferenceInName => "Case reference in the file name",
            RoutingRuleKind::PoInName => "PO number in the file name",
            RoutingRuleKind::InvoiceInName => "Invoice number in the file name",
            RoutingRuleKind::ShipmentInName => "Shipment number in the file name",
            RoutingRuleKind::EdiNewCase => "New case from the EDI document",
        }
    }

    /// What the rule does, for the analyst.
    pub fn description(self) -> &'static str {
        match self {
            RoutingRuleKind::EdiValidation => {
                "An X12 or EDIFACT file whose envelopes or trailer counts are wrong opens a case \
                 with the error in words and the file attached."
            }
            RoutingRuleKind::EdiAcknowledgement => {
                "A 997, 999 or CONTRL that rejects a transaction set goes to the case of the \
                 document it rejects (by control numbers)."
            }
            RoutingRuleKind::EdiReference => {
                "The PO, invoice or shipment number inside the EDI document (BEG, BIG, BSN, PRF, \
                 BGM, RFF) finds the case that carries it."
            }
            RoutingRuleKind::EdiLinkedTransaction => {
                "The interchange control number matches a Lens transaction (sender reference or \
                 correlation id) linked to a case."
            }
            RoutingRuleKind::CaseReferenceInName => {
                "A case reference such as CASE-1042 in the file name."
            }
            RoutingRuleKind::PoInName => "A PO number of a known case in the file name.",
            RoutingRuleKind::InvoiceInName => "An invoice number of a known case in the file name.",
            RoutingRuleKind::ShipmentInName => {
                "A shipment number of a known case in the file name."
            }
            RoutingRuleKind::EdiNewCase => {
                "Any other EDI document opens a new case for the sender's partner (found by its \
                 EDI address such as ZZ:ACME), an order, invoice or shipment case by the document \
                 type, with its references filled. An unknown sender gets the folder's partner."
            }
        }
    }
}

/// One rule in the analyst's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoutingRuleSetting {
    /// Which rule.
    pub kind: RoutingRuleKind,
    /// Off: skipped.
    pub enabled: bool,
}

impl RoutingRuleSetting {
    /// Every rule on, in the default order.
    pub fn defaults() -> Vec<RoutingRuleSetting> {
        RoutingRuleKind::DEFAULT_ORDER
            .into_iter()
            .map(|kind| RoutingRuleSetting {
                kind,
                enabled: true,
            })
            .collect()
    }

    /// `rules` with every rule once: unknown duplicates dropped, missing rules appended (off).
    pub fn normalized(rules: &[RoutingRuleSetting]) -> Vec<RoutingRuleSetting> {
        let mut out: Vec<RoutingRuleSetting> = Vec::new();
        for r in rules {
            if !out.iter().any(|o| o.kind == r.kind) {
                out.push(*r);
            }
        }
        for kind in RoutingRuleKind::DEFAULT_ORDER {
            if !out.iter().any(|o| o.kind == kind) {
                out.push(RoutingRuleSetting {
                    kind,
                    enabled: false,
                });
            }
        }
        out
    }
}

/// A rule as the rules editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoutingRuleView {
    /// Which rule.
    pub kind: RoutingRuleKind,
    /// On or off.
    pub enabled: bool,
    /// Its name for the analyst.
    pub label: String,
    /// What it does.
    pub description: String,
    /// The name the ledger shows when it fired.
    pub ledger_name: String,
}

impl From<RoutingRuleSetting> for RoutingRuleView {
    fn from(s: RoutingRuleSetting) -> Self {
        RoutingRuleView {
            kind: s.kind,
            enabled: s.enabled,
            label: s.kind.label().to_owned(),
            description: s.kind.description().to_owned(),
            ledger_name: s.kind.ledger_name().to_owned(),
        }
    }
}

/// A business reference read from an EDI document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EdiReferenceView {
    /// "PO number", "invoice number", "shipment number", "document number".
    pub label: String,
    /// The number.
    pub value: String,
}

/// One transaction set / message of an EDI file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EdiSetSummary {
    /// `850`, `INVOIC`.
    pub set_type: String,
    /// "purchase order", "invoice", ...
    pub kind_label: String,
    /// ST02 / UNH message reference.
    pub control_number: String,
    /// GS06 / UNG reference.
    pub group_control: Option<String>,
    /// ISA13 / UNB reference.
    pub interchange_control: String,
    /// Sender address (`ZZ:ACME`).
    pub sender: String,
    /// Receiver address.
    pub receiver: String,
    /// Version (`004010`, `D.96A`).
    pub version: String,
    /// PO, invoice, shipment numbers.
    pub references: Vec<EdiReferenceView>,
    /// For 997/999/CONTRL: the control numbers it rejects, in words.
    pub rejects: Vec<String>,
}

/// What EDI recognition found in a taken file (the ledger's EDI details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EdiSummary {
    /// "X12" or "EDIFACT".
    pub standard: String,
    /// The transaction sets / messages.
    pub sets: Vec<EdiSetSummary>,
    /// The validation error in words, when the file is broken.
    pub error: Option<String>,
}

/// The EDI details of one ledger row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEdiView {
    /// What recognition found.
    pub summary: EdiSummary,
    /// The readable segment view, one segment per line.
    pub segment_view: String,
}
