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
    /// An analyst's rule: EDI files from one sender address (`ZZ:ACME`) open a new case for the
    /// partner the analyst chose, its kind from the document type.
    EdiPartnerAddress,
}

impl RoutingRuleKind {
    /// Every rule kind, the default order first.
    pub const ALL: [RoutingRuleKind; 10] = [
        RoutingRuleKind::EdiValidation,
        RoutingRuleKind::EdiAcknowledgement,
        RoutingRuleKind::EdiReference,
        RoutingRuleKind::EdiLinkedTransaction,
        RoutingRuleKind::CaseReferenceInName,
        RoutingRuleKind::PoInName,
        RoutingRuleKind::InvoiceInName,
        RoutingRuleKind::ShipmentInName,
        RoutingRuleKind::EdiNewCase,
        RoutingRuleKind::EdiPartnerAddress,
    ];

    /// Every built-in rule in the default order (each listed once; added rules come on top).
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
            RoutingRuleKind::EdiPartnerAddress => "edi_partner_address",
        }
    }

    /// The rule of a stored name.
    pub fn from_ledger_name(name: &str) -> Option<RoutingRuleKind> {
        Self::ALL.into_iter().find(|k| k.ledger_name() == name)
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
            RoutingRuleKind::EdiPartnerAddress => "Partner by EDI address",
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
            RoutingRuleKind::EdiPartnerAddress => {
                "EDI files from this sender address (qualifier and id, such as ZZ:ACME) open a \
                 new case for the partner you chose, an order, invoice or shipment case by the \
                 document type, with its references filled."
            }
        }
    }
}

/// Which business reference an "in the EDI document" rule looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RuleReference {
    /// BEG03, BIG04, PRF01, RFF+ON.
    PurchaseOrder,
    /// BIG02, BGM of an INVOIC, RFF+IV.
    Invoice,
    /// BSN02, BGM of a DESADV.
    Shipment,
}

impl RuleReference {
    /// Words for the analyst.
    pub fn label(self) -> &'static str {
        match self {
            RuleReference::PurchaseOrder => "PO number",
            RuleReference::Invoice => "invoice number",
            RuleReference::Shipment => "shipment number",
        }
    }
}

/// Which document type a "new case" rule opens cases for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RuleDocument {
    /// 850, 860, ORDERS, ORDCHG: an order case.
    Order,
    /// 810, INVOIC: an invoice case.
    Invoice,
    /// 856, DESADV: a shipment case.
    Shipment,
}

impl RuleDocument {
    /// Words for the analyst.
    pub fn label(self) -> &'static str {
        match self {
            RuleDocument::Order => "orders (850, 860, ORDERS, ORDCHG)",
            RuleDocument::Invoice => "invoices (810, INVOIC)",
            RuleDocument::Shipment => "ship notices (856, DESADV)",
        }
    }
}

/// One rule in the analyst's order, with what it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoutingRuleSetting {
    /// Which rule.
    pub kind: RoutingRuleKind,
    /// Off: skipped.
    pub enabled: bool,
    /// `EdiReference`: only this kind of reference (`null`: any).
    #[serde(default)]
    pub reference: Option<RuleReference>,
    /// `EdiNewCase`, `EdiPartnerAddress`: only this document type (`null`: any).
    #[serde(default)]
    pub document: Option<RuleDocument>,
    /// `EdiPartnerAddress`: the sender's EDI address, `qualifier:id` (`ZZ:ACME`).
    #[serde(default)]
    pub address: Option<String>,
    /// `EdiPartnerAddress`: the partner its files' cases are for.
    #[serde(default)]
    pub partner_id: Option<String>,
}

/// Longest EDI address id (X12 ISA06 is 15 characters, EDIFACT UNB 35).
const MAX_ADDRESS_ID: usize = 35;

impl RoutingRuleSetting {
    /// A built-in rule with nothing narrowed.
    pub fn plain(kind: RoutingRuleKind, enabled: bool) -> RoutingRuleSetting {
        RoutingRuleSetting {
            kind,
            enabled,
            reference: None,
            document: None,
            address: None,
            partner_id: None,
        }
    }

    /// Every rule on, in the default order.
    pub fn defaults() -> Vec<RoutingRuleSetting> {
        RoutingRuleKind::DEFAULT_ORDER
            .into_iter()
            .map(|kind| RoutingRuleSetting::plain(kind, true))
            .collect()
    }

    /// True for a rule the analyst added (narrowed or an address rule), which can be removed;
    /// the plain built-in rules stay listed and are switched off instead.
    pub fn is_added(&self) -> bool {
        self.kind == RoutingRuleKind::EdiPartnerAddress
            || self.reference.is_some()
            || self.document.is_some()
    }

    /// `rules` with exact duplicates dropped and every plain built-in rule present (missing ones
    /// appended, off).
    pub fn normalized(rules: &[RoutingRuleSetting]) -> Vec<RoutingRuleSetting> {
        let mut out: Vec<RoutingRuleSetting> = Vec::new();
        for r in rules {
            let same = |o: &RoutingRuleSetting| {
                o.kind == r.kind
                    && o.reference == r.reference
                    && o.document == r.document
                    && o.address == r.address
                    && o.partner_id == r.partner_id
            };
            if !out.iter().any(same) {
                out.push(r.clone());
            }
        }
        for kind in RoutingRuleKind::DEFAULT_ORDER {
            if !out.iter().any(|o| o.kind == kind && !o.is_added()) {
                out.push(RoutingRuleSetting::plain(kind, false));
            }
        }
        out
    }

    /// The address in its stored form (`ZZ:ACME`, upper case, trimmed), or what is wrong with
    /// it in words.
    pub fn normalized_address(address: &str) -> Result<String, String> {
        let a = address.trim();
        let Some((qualifier, id)) = a.split_once(':') else {
            return Err(format!(
                "\"{a}\" is not an EDI address: write the qualifier and the id with a colon, such as ZZ:ACME or 01:123456789."
            ));
        };
        let (qualifier, id) = (qualifier.trim(), id.trim());
        if qualifier.is_empty()
            || qualifier.len() > 4
            || !qualifier.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(format!(
                "The qualifier \"{qualifier}\" of {a} is not an EDI qualifier: 1 to 4 letters or digits, such as ZZ, 01 or 14."
            ));
        }
        if id.is_empty() || id.chars().count() > MAX_ADDRESS_ID {
            return Err(format!(
                "The id of {a} must be 1 to {MAX_ADDRESS_ID} characters."
            ));
        }
        if id
            .chars()
            .any(|c| c.is_control() || matches!(c, '*' | '~' | '+' | '\'' | ':'))
        {
            return Err(format!(
                "The id of {a} contains a control character or an EDI separator (* ~ + ' :)."
            ));
        }
        Ok(format!(
            "{}:{}",
            qualifier.to_ascii_uppercase(),
            id.to_ascii_uppercase()
        ))
    }

    /// Checks what the rule matches; the rule in its stored form, or what is wrong in words.
    pub fn checked(&self) -> Result<RoutingRuleSetting, String> {
        let mut out = self.clone();
        let label = self.kind.label();
        if self.reference.is_some() && self.kind != RoutingRuleKind::EdiReference {
            return Err(format!(
                "\"{label}\" cannot be narrowed to a kind of reference; only \"{}\" can.",
                RoutingRuleKind::EdiReference.label()
            ));
        }
        if self.document.is_some()
            && !matches!(
                self.kind,
                RoutingRuleKind::EdiNewCase | RoutingRuleKind::EdiPartnerAddress
            )
        {
            return Err(format!(
                "\"{label}\" cannot be narrowed to a document type; only the new-case rules can."
            ));
        }
        if self.kind == RoutingRuleKind::EdiPartnerAddress {
            let address = self.address.as_deref().unwrap_or("").trim();
            if address.is_empty() {
                return Err(
                    "A \"Partner by EDI address\" rule needs the sender's EDI address, such as ZZ:ACME."
                        .to_owned(),
                );
            }
            out.address = Some(Self::normalized_address(address)?);
            let partner = self.partner_id.as_deref().unwrap_or("").trim();
            if partner.is_empty() {
                return Err(format!(
                    "Choose the partner whose cases the files from {} open.",
                    out.address.as_deref().unwrap_or(address)
                ));
            }
            out.partner_id = Some(partner.to_owned());
        } else if self.address.is_some() || self.partner_id.is_some() {
            return Err(format!(
                "\"{label}\" does not take an EDI address or a partner; add a \"Partner by EDI address\" rule for that."
            ));
        }
        Ok(out)
    }

    /// What the rule matches, in words (for the rules editor).
    pub fn match_words(&self) -> String {
        match self.kind {
            RoutingRuleKind::EdiReference => match self.reference {
                Some(r) => format!("the {} inside the EDI document", r.label()),
                None => "any PO, invoice or shipment number inside the EDI document".to_owned(),
            },
            RoutingRuleKind::EdiNewCase => match self.document {
                Some(d) => format!("EDI {} no earlier rule placed", d.label()),
                None => "any EDI document no earlier rule placed".to_owned(),
            },
            RoutingRuleKind::EdiPartnerAddress => format!(
                "EDI {} from sender {}, for partner {}",
                self.document.map_or("documents", RuleDocument::label),
                self.address.as_deref().unwrap_or("?"),
                self.partner_id.as_deref().unwrap_or("?")
            ),
            kind => kind.description().to_owned(),
        }
    }
}

/// A rule as the rules editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoutingRuleView {
    /// The rule as saved.
    pub setting: RoutingRuleSetting,
    /// Its name for the analyst.
    pub label: String,
    /// What it does.
    pub description: String,
    /// What this rule matches, in words.
    pub matches: String,
    /// The name the ledger shows when it fired.
    pub ledger_name: String,
    /// An added rule the analyst can remove (built-in rules are switched off instead).
    pub removable: bool,
}

impl From<RoutingRuleSetting> for RoutingRuleView {
    fn from(s: RoutingRuleSetting) -> Self {
        RoutingRuleView {
            label: s.kind.label().to_owned(),
            description: s.kind.description().to_owned(),
            matches: s.match_words(),
            ledger_name: s.kind.ledger_name().to_owned(),
            removable: s.is_added(),
            setting: s,
        }
    }
}

/// A step of routing that always runs where it is (shown, not editable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoutingFixedStep {
    /// Its name.
    pub label: String,
    /// What it does.
    pub description: String,
    /// The name the ledger shows (`null`: it never decides).
    pub ledger_name: Option<String>,
}

/// The rules editor's list: the fixed first step, the analyst's rules in order, the fallback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RoutingRulesView {
    /// Before every rule.
    pub first: RoutingFixedStep,
    /// The rules, in the order they are asked.
    pub rules: Vec<RoutingRuleView>,
    /// After every rule.
    pub fallback: RoutingFixedStep,
}

impl RoutingRulesView {
    /// The view of saved rules.
    pub fn of(rules: Vec<RoutingRuleSetting>) -> RoutingRulesView {
        RoutingRulesView {
            first: RoutingFixedStep {
                label: "Recognise the file".to_owned(),
                description: "Every file is read first: X12 and EDIFACT envelopes (sender, \
                              receiver, control numbers, references) are recorded for the ledger; \
                              this step never places a file."
                    .to_owned(),
                ledger_name: None,
            },
            rules: rules.into_iter().map(RoutingRuleView::from).collect(),
            fallback: RoutingFixedStep {
                label: "Unmatched document".to_owned(),
                description: "A file no rule placed opens a case \"Unmatched document from \
                              <folder>\" with the folder's partner, case kind and owner."
                    .to_owned(),
                ledger_name: Some("unmatched".to_owned()),
            },
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

/// The ledger name of the fallback that opens an "Unmatched document from <folder>" case.
pub const UNMATCHED_RULE: &str = "unmatched";

/// The words an analyst reads for a rule name stored in the ingest ledger: a known rule's
/// label, the fallback's "No rule matched", and any other name (a rule from a newer version,
/// a test's own rule) as it is stored.
pub fn ledger_rule_label(name: &str) -> String {
    if name == UNMATCHED_RULE {
        return "No rule matched".to_owned();
    }
    RoutingRuleKind::from_ledger_name(name)
        .map(|kind| kind.label().to_owned())
        .unwrap_or_else(|| name.to_owned())
}
