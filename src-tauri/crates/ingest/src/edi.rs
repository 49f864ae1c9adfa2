//! EDI routing: the rules that read a taken file as X12 or EDIFACT (`pd-edi`) and place it by
//! what its envelopes say — a broken file opens a validation case, a rejecting 997/999/CONTRL goes
//! to the case of the document it rejects, a PO/invoice/shipment number or a linked Lens
//! transaction finds the case, otherwise a new case for the sender's partner (by its EDI
//! address) whose kind follows the document type. [`router`] builds the analyst's ordered list
//! (settings from the rules editor) around the file-name rules of routing v1.

use std::path::Path;
use std::sync::{Arc, Mutex};

use pd_domain::{
    CaseKind, CaseReferences, EdiReferenceView, EdiSetSummary, EdiSummary, NewCase,
    RoutingRuleKind, RoutingRuleSetting, RuleDocument, RuleReference,
};
use pd_edi::{DocumentKind, Edi, ReferenceKind as EdiRef};
use pd_store::{EdiSetRecord, IngestTx, ReferenceKind, RouteTarget, StoreError};

use crate::routing::{
    BusinessReferenceInName, CaseReferenceInName, Decision, FileFacts, Router, Rule,
};

/// Files larger than this are not read whole for recognition (their EDI rules pass).
pub const MAX_EDI_BYTES: u64 = 256 * 1024 * 1024;

/// Segments kept in the ledger's readable view.
pub const VIEW_SEGMENTS: usize = 2000;

/// The routing rules in the analyst's order: EDI recognition first (it records what it found
/// and never decides), then each enabled rule; the unmatched fallback stays last.
pub fn router(rules: &[RoutingRuleSetting]) -> Router {
    let shared = Arc::new(Shared::default());
    let mut router = Router::empty();
    router.push(Box::new(EdiRule {
        setting: None,
        shared: shared.clone(),
    }));
    for setting in RoutingRuleSetting::normalized(rules) {
        if !setting.enabled {
            continue;
        }
        let rule: Box<dyn Rule> = match setting.kind {
            RoutingRuleKind::CaseReferenceInName => Box::new(CaseReferenceInName),
            RoutingRuleKind::PoInName => Box::new(BusinessReferenceInName(ReferenceKind::Po)),
            RoutingRuleKind::InvoiceInName => {
                Box::new(BusinessReferenceInName(ReferenceKind::Invoice))
            }
            RoutingRuleKind::ShipmentInName => {
                Box::new(BusinessReferenceInName(ReferenceKind::Shipment))
            }
            _ => Box::new(EdiRule {
                setting: Some(setting),
                shared: shared.clone(),
            }),
        };
        router.push(rule);
    }
    router
}

/// What recognition found in one file (by SHA-256), shared by the EDI rules of one router.
#[derive(Default)]
struct Shared {
    last: Mutex<Option<(String, Arc<Option<Edi>>)>>,
}

impl Shared {
    fn edi(&self, facts: &FileFacts<'_>) -> Arc<Option<Edi>> {
        if let Ok(last) = self.last.lock() {
            if let Some((sha, edi)) = last.as_ref() {
                if sha == facts.sha256 {
                    return edi.clone();
                }
            }
        }
        let edi = Arc::new(read(facts).and_then(|bytes| pd_edi::recognize(&bytes).edi));
        if let Ok(mut last) = self.last.lock() {
            *last = Some((facts.sha256.to_owned(), edi.clone()));
        }
        edi
    }
}

/// The whole file: the head when it is all of it, else the kept copy.
fn read(facts: &FileFacts<'_>) -> Option<Vec<u8>> {
    if facts.size <= facts.head.len() as u64 {
        return Some(facts.head.to_vec());
    }
    let start = facts
        .head
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(facts.head);
    let start = &start[start.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    let looks_edi = [b"ISA".as_slice(), b"UNA", b"UNB", b"UNH"]
        .iter()
        .any(|m| start.starts_with(m));
    if !looks_edi || facts.size > MAX_EDI_BYTES {
        return None;
    }
    let path: &Path = facts.content?;
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "EDI recognition could not read the kept copy");
            None
        }
    }
}

/// One EDI rule (or, with no kind, the recognition step that records what the file is).
struct EdiRule {
    setting: Option<RoutingRuleSetting>,
    shared: Arc<Shared>,
}

impl Rule for EdiRule {
    fn name(&self) -> &str {
        self.setting
            .as_ref()
            .map_or("edi_recognition", |s| s.kind.ledger_name())
    }

    fn decide(
        &self,
        facts: &FileFacts<'_>,
        cases: &IngestTx<'_>,
    ) -> Result<Option<Decision>, StoreError> {
        let edi = self.shared.edi(facts);
        let Some(edi) = edi.as_ref() else {
            return Ok(None);
        };
        let Some(setting) = &self.setting else {
            record(facts, edi, cases)?;
            return Ok(None);
        };
        match setting.kind {
            RoutingRuleKind::EdiValidation => validation(facts, edi, cases),
            RoutingRuleKind::EdiAcknowledgement => acknowledgement(edi, cases),
            RoutingRuleKind::EdiReference => by_reference(edi, cases, setting.reference),
            RoutingRuleKind::EdiLinkedTransaction => by_linked_transaction(edi, cases),
            RoutingRuleKind::EdiNewCase => {
                if !document_matches(edi, setting.document) {
                    return Ok(None);
                }
                new_case(facts, edi, cases, None).map(Some)
            }
            RoutingRuleKind::EdiPartnerAddress => by_partner_address(facts, edi, cases, setting),
            _ => Ok(None),
        }
    }
}

fn ref_label(kind: EdiRef) -> &'static str {
    kind.label()
}

/// The summary the ledger shows.
pub fn summary(edi: &Edi) -> EdiSummary {
    let mut sets = Vec::new();
    for ic in &edi.interchanges {
        for tx in &ic.transactions {
            let rejects = tx
                .ack
                .as_ref()
                .map(|a| {
                    a.rejected()
                        .map(|s| {
                            format!(
                                "{} {} rejected{}",
                                s.set_type.as_deref().unwrap_or("set"),
                                s.control_number,
                                if s.code.is_empty() {
                                    String::new()
                                } else {
                                    format!(" (code {})", s.code)
                                }
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            sets.push(EdiSetSummary {
                set_type: tx.set_type.clone(),
                kind_label: tx.kind().label().to_owned(),
                control_number: tx.control_number.clone(),
                group_control: tx.group_control.clone(),
                interchange_control: ic.control_number.clone(),
                sender: ic.sender.to_string(),
                receiver: ic.receiver.to_string(),
                version: tx.version.clone(),
                references: tx
                    .references
                    .iter()
                    .map(|r| EdiReferenceView {
                        label: ref_label(r.kind).to_owned(),
                        value: r.value.clone(),
                    })
                    .collect(),
                rejects,
            });
        }
    }
    EdiSummary {
        standard: edi.standard.label().to_owned(),
        sets,
        error: edi.error.as_ref().map(|e| e.to_string()),
    }
}

fn record(facts: &FileFacts<'_>, edi: &Edi, cases: &IngestTx<'_>) -> Result<(), StoreError> {
    let view = std::fs::read(facts.content.unwrap_or(Path::new("")))
        .ok()
        .filter(|b| b.len() as u64 == facts.size)
        .unwrap_or_else(|| facts.head.to_vec());
    let text = pd_edi::segment_view(&view, VIEW_SEGMENTS)
        .map(|v| v.to_text())
        .unwrap_or_default();
    let sets: Vec<EdiSetRecord> = edi
        .interchanges
        .iter()
        .flat_map(|ic| {
            ic.transactions.iter().map(move |tx| EdiSetRecord {
                set_type: tx.set_type.clone(),
                set_control: tx.control_number.clone(),
                group_control: tx.group_control.clone(),
                interchange_control: ic.control_number.clone(),
                sender: ic.sender.to_string(),
                receiver: ic.receiver.to_string(),
            })
        })
        .collect();
    cases.record_edi(facts.sha256, &summary(edi), &text, &sets)
}

fn existing(case_id: String, reason: String) -> Option<Decision> {
    Some(Decision {
        target: RouteTarget::Existing { case_id },
        reason,
    })
}

fn validation(
    facts: &FileFacts<'_>,
    edi: &Edi,
    cases: &IngestTx<'_>,
) -> Result<Option<Decision>, StoreError> {
    let Some(error) = &edi.error else {
        return Ok(None);
    };
    let (partner, partner_words) = partner_of(facts, edi, cases)?;
    let first = edi.transactions().next();
    let kind = first.map_or(facts.folder.case_kind, |t| case_kind(t.kind(), facts));
    let new = NewCase {
        id: uuid::Uuid::new_v4().to_string(),
        title: format!(
            "{} file {} failed validation",
            edi.standard.label(),
            crate::names::display_name(facts.file_name)
        ),
        partner_id: partner.0,
        partner_name: partner.1,
        kind,
        priority: None,
        owner: facts.folder.owner.clone(),
        sla_due: None,
        linked_transactions: Vec::new(),
        references: references(edi),
        description: Some(format!(
            "The {} file {} from the drop folder {} cannot be processed: {error}.\n\n{}",
            edi.standard.label(),
            crate::names::display_name(facts.file_name),
            facts.folder.folder_name,
            describe(edi)
        )),
    };
    Ok(Some(Decision {
        target: RouteTarget::New(Box::new(new)),
        reason: format!("the file fails EDI validation ({error}); opened a case {partner_words}"),
    }))
}

fn acknowledgement(edi: &Edi, cases: &IngestTx<'_>) -> Result<Option<Decision>, StoreError> {
    for ic in &edi.interchanges {
        for tx in &ic.transactions {
            let Some(ack) = &tx.ack else { continue };
            for set in ack.rejected() {
                let group = ack.group_control.as_deref();
                let interchange = ack.interchange_control.as_deref();
                if let Some(hit) = cases.case_by_edi_set(&set.control_number, group, interchange)? {
                    return Ok(existing(
                        hit.case_id,
                        format!(
                            "the {} {} rejects {} {} ({}), on case {}",
                            tx.set_type,
                            tx.control_number,
                            set.set_type.as_deref().unwrap_or("set"),
                            set.control_number,
                            hit.via,
                            hit.reference
                        ),
                    ));
                }
            }
            if ack.accepted == Some(false) {
                if let Some(ic_ref) = &ack.interchange_control {
                    if let Some(hit) = cases.case_by_lens_control(ic_ref, None)? {
                        return Ok(existing(
                            hit.case_id,
                            format!(
                                "the {} rejects interchange {ic_ref} ({}), on case {}",
                                tx.set_type, hit.via, hit.reference
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(None)
}

fn store_kind(kind: EdiRef) -> Option<ReferenceKind> {
    match kind {
        EdiRef::PurchaseOrder => Some(ReferenceKind::Po),
        EdiRef::Invoice => Some(ReferenceKind::Invoice),
        EdiRef::Shipment => Some(ReferenceKind::Shipment),
        EdiRef::Document => None,
    }
}

fn by_reference(
    edi: &Edi,
    cases: &IngestTx<'_>,
    only: Option<RuleReference>,
) -> Result<Option<Decision>, StoreError> {
    for tx in edi.transactions() {
        for r in &tx.references {
            let Some(kind) = store_kind(r.kind) else {
                continue;
            };
            let wanted = match only {
                None => true,
                Some(RuleReference::PurchaseOrder) => kind == ReferenceKind::Po,
                Some(RuleReference::Invoice) => kind == ReferenceKind::Invoice,
                Some(RuleReference::Shipment) => kind == ReferenceKind::Shipment,
            };
            if !wanted {
                continue;
            }
            if let Some(hit) = cases.case_by_business_reference(kind, &r.value)? {
                let others = if hit.matches > 1 {
                    format!(
                        " ({} cases carry it; the most recently updated one)",
                        hit.matches
                    )
                } else {
                    String::new()
                };
                return Ok(existing(
                    hit.case_id,
                    format!(
                        "the {} {} carries {} {}, on case {}{others}",
                        tx.set_type,
                        tx.control_number,
                        r.kind.label(),
                        r.value,
                        hit.reference
                    ),
                ));
            }
        }
    }
    Ok(None)
}

fn by_linked_transaction(edi: &Edi, cases: &IngestTx<'_>) -> Result<Option<Decision>, StoreError> {
    for ic in &edi.interchanges {
        let sender = ic.sender.to_string();
        let sender = (!sender.is_empty()).then_some(sender);
        if !ic.control_number.is_empty() {
            if let Some(hit) = cases.case_by_lens_control(&ic.control_number, sender.as_deref())? {
                return Ok(existing(
                    hit.case_id,
                    format!(
                        "interchange control number {} is {}, linked to case {}",
                        ic.control_number, hit.via, hit.reference
                    ),
                ));
            }
        }
        for tx in &ic.transactions {
            for r in &tx.references {
                if let Some(hit) = cases.case_by_lens_reference(&r.value, sender.as_deref())? {
                    return Ok(existing(
                        hit.case_id,
                        format!(
                            "the {} {} from {} matches {}, linked to case {}",
                            tx.set_type,
                            tx.control_number,
                            sender.as_deref().unwrap_or("an unnamed sender"),
                            hit.via,
                            hit.reference
                        ),
                    ));
                }
            }
        }
    }
    Ok(None)
}

fn case_kind(kind: DocumentKind, facts: &FileFacts<'_>) -> CaseKind {
    match kind {
        DocumentKind::Order | DocumentKind::OrderChange => CaseKind::Order,
        DocumentKind::Invoice => CaseKind::Invoice,
        DocumentKind::Shipment => CaseKind::Shipment,
        DocumentKind::Acknowledgement | DocumentKind::Other => facts.folder.case_kind,
    }
}

fn references(edi: &Edi) -> CaseReferences {
    let mut refs = CaseReferences::default();
    for tx in edi.transactions() {
        for r in &tx.references {
            let list = match r.kind {
                EdiRef::PurchaseOrder => &mut refs.po_numbers,
                EdiRef::Invoice => &mut refs.invoice_numbers,
                EdiRef::Shipment => &mut refs.shipment_numbers,
                EdiRef::Document => continue,
            };
            if !list.contains(&r.value) {
                list.push(r.value.clone());
            }
        }
    }
    refs
}

/// The partner (id, name) of the file's sender, or the folder's partner; and words for the reason.
fn partner_of(
    facts: &FileFacts<'_>,
    edi: &Edi,
    cases: &IngestTx<'_>,
) -> Result<PartnerChoice, StoreError> {
    let Some(ic) = edi.interchanges.first() else {
        return Ok((
            (facts.folder.partner_id.clone(), None),
            format!("for the folder's partner {}", facts.folder.partner_id),
        ));
    };
    let sender = ic.sender.to_string();
    if !sender.is_empty() {
        if let Some(p) = cases.partner_by_address(&sender)? {
            let words = format!("for {} (EDI address {sender})", p.name);
            return Ok(((p.partner_id, Some(p.name)), words));
        }
    }
    Ok((
        (facts.folder.partner_id.clone(), None),
        if sender.is_empty() {
            format!(
                "for the folder's partner {} (the file names no sender)",
                facts.folder.partner_id
            )
        } else {
            format!(
                "for the folder's partner {}: the sender {sender} is not in the partner directory",
                facts.folder.partner_id
            )
        },
    ))
}

/// The envelopes in words, for a case description.
fn describe(edi: &Edi) -> String {
    let mut lines = Vec::new();
    for ic in &edi.interchanges {
        lines.push(format!(
            "{} interchange {} from {} to {}",
            edi.standard.label(),
            ic.control_number,
            ic.sender,
            ic.receiver
        ));
        for tx in &ic.transactions {
            let refs: Vec<String> = tx
                .references
                .iter()
                .map(|r| format!("{} {}", r.kind.label(), r.value))
                .collect();
            lines.push(format!(
                "- {} ({}) control number {}{}{}",
                tx.set_type,
                tx.kind().label(),
                tx.control_number,
                tx.group_control
                    .as_deref()
                    .map(|g| format!(", group {g}"))
                    .unwrap_or_default(),
                if refs.is_empty() {
                    String::new()
                } else {
                    format!(": {}", refs.join(", "))
                }
            ));
        }
    }
    lines.join("\n")
}

/// The document a new case is about: the first that is not an acknowledgement.
fn main_document(edi: &Edi) -> Option<&pd_edi::Transaction> {
    edi.transactions()
        .find(|t| t.kind() != DocumentKind::Acknowledgement)
        .or_else(|| edi.transactions().next())
}

/// Whether the file's main document is of the type a rule is narrowed to.
fn document_matches(edi: &Edi, only: Option<RuleDocument>) -> bool {
    let Some(only) = only else { return true };
    let Some(kind) = main_document(edi).map(|t| t.kind()) else {
        return false;
    };
    matches!(
        (only, kind),
        (
            RuleDocument::Order,
            DocumentKind::Order | DocumentKind::OrderChange
        ) | (RuleDocument::Invoice, DocumentKind::Invoice)
            | (RuleDocument::Shipment, DocumentKind::Shipment)
    )
}

/// The analyst's "Partner by EDI address" rule: files from its sender open a case for its partner.
fn by_partner_address(
    facts: &FileFacts<'_>,
    edi: &Edi,
    cases: &IngestTx<'_>,
    setting: &RoutingRuleSetting,
) -> Result<Option<Decision>, StoreError> {
    let (Some(address), Some(partner_id)) = (&setting.address, &setting.partner_id) else {
        return Ok(None);
    };
    if !document_matches(edi, setting.document) {
        return Ok(None);
    }
    let from = edi
        .interchanges
        .iter()
        .any(|ic| ic.sender.to_string().eq_ignore_ascii_case(address));
    if !from {
        return Ok(None);
    }
    let name = cases.partner_name(partner_id)?;
    let words = format!(
        "for {} (your rule: sender {address} is this partner)",
        name.as_deref().unwrap_or(partner_id)
    );
    new_case(facts, edi, cases, Some(((partner_id.clone(), name), words))).map(Some)
}

/// The partner (id, name) of a new case and words for the reason.
type PartnerChoice = ((String, Option<String>), String);

fn new_case(
    facts: &FileFacts<'_>,
    edi: &Edi,
    cases: &IngestTx<'_>,
    partner: Option<PartnerChoice>,
) -> Result<Decision, StoreError> {
    let main = main_document(edi);
    let kind = main.map_or(facts.folder.case_kind, |t| case_kind(t.kind(), facts));
    let ((partner_id, partner_name), partner_words) = match partner {
        Some(p) => p,
        None => partner_of(facts, edi, cases)?,
    };
    let known = partner_name.is_some();
    let doc = main.map_or_else(
        || format!("{} document", edi.standard.label()),
        |t| {
            let label = t.kind().label();
            let mut word = label[..1].to_uppercase();
            word.push_str(&label[1..]);
            let number = [EdiRef::PurchaseOrder, EdiRef::Invoice, EdiRef::Shipment]
                .into_iter()
                .filter(|k| match t.kind() {
                    DocumentKind::Invoice => *k == EdiRef::Invoice,
                    DocumentKind::Shipment => *k == EdiRef::Shipment,
                    _ => *k == EdiRef::PurchaseOrder,
                })
                .find_map(|k| t.reference(k))
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            format!("{word}{number} ({})", t.set_type)
        },
    );
    let sender = edi
        .interchanges
        .first()
        .map(|ic| ic.sender.to_string())
        .unwrap_or_default();
    let title = match (&partner_name, sender.is_empty()) {
        (Some(name), _) => format!("{doc} from {name}"),
        (None, false) => format!("Unmatched {doc} from unknown sender {sender}"),
        (None, true) => format!("Unmatched {doc} from {}", facts.folder.folder_name),
    };
    let new = NewCase {
        id: uuid::Uuid::new_v4().to_string(),
        title,
        partner_id,
        partner_name,
        kind,
        priority: None,
        owner: facts.folder.owner.clone(),
        sla_due: None,
        linked_transactions: Vec::new(),
        references: references(edi),
        description: Some(format!(
            "{} arrived in the drop folder {}.\n\n{}",
            crate::names::display_name(facts.file_name),
            facts.folder.folder_name,
            describe(edi)
        )),
    };
    let kind_words = match main.map(|t| t.kind()) {
        Some(DocumentKind::Acknowledgement | DocumentKind::Other) | None => {
            "the folder's case kind".to_owned()
        }
        Some(k) => {
            let label = k.label();
            let article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {label} case")
        }
    };
    Ok(Decision {
        target: RouteTarget::New(Box::new(new)),
        reason: format!(
            "no case carries its references; opened {kind_words} {partner_words}{}",
            if known { "" } else { " (unmatched)" }
        ),
    })
}
