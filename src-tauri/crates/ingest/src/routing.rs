//! Routing: which case a taken file goes to. An ordered list of rules, each asked in turn with
//! what is known of the file (name, size, hash, media type, its first bytes and its kept copy);
//! the first that answers decides, and its name and reason are written to the ledger. Version 1
//! matches references in the file name (case reference, PO, invoice, shipment number); when no
//! rule answers, a new case "Unmatched document from <folder>" is opened with the folder's
//! defaults. More rules (EDI recognition, editable rules) plug in with [`Router::insert`].

use std::path::Path;

use pd_domain::{CaseKind, CaseReferences, NewCase};
use pd_store::{IngestTx, ReferenceKind, RouteTarget, Routed, StoreError};

use crate::names::reference_tokens;

/// A folder's defaults for the cases its files open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderDefaults {
    /// The folder's id.
    pub folder_id: String,
    /// Its name as the analyst gave it.
    pub folder_name: String,
    /// Partner of a new case.
    pub partner_id: String,
    /// Kind of a new case.
    pub case_kind: CaseKind,
    /// Owner of a new case.
    pub owner: Option<String>,
}

/// What is known of a file when it is routed.
#[derive(Debug, Clone, Copy)]
pub struct FileFacts<'a> {
    /// The folder and its defaults.
    pub folder: &'a FolderDefaults,
    /// The file's name (last path component).
    pub file_name: &'a str,
    /// Its path inside the folder.
    pub path: &'a str,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256.
    pub sha256: &'a str,
    /// Media type recognised from content and name.
    pub media_type: &'a str,
    /// The first bytes (up to [`HEAD_BYTES`]).
    pub head: &'a [u8],
    /// The kept copy of all the bytes, for a rule that must read further.
    pub content: Option<&'a Path>,
}

/// How many leading bytes routing sees in [`FileFacts::head`].
pub const HEAD_BYTES: usize = 64 * 1024;

/// A rule's answer: where the file goes and why, in words for the analyst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Where.
    pub target: RouteTarget,
    /// Why ("the file name contains PO 4500012345, on case CASE-1042").
    pub reason: String,
}

/// One routing rule.
pub trait Rule: Send + Sync {
    /// Stable name shown in the ledger (`po_number`).
    fn name(&self) -> &str;
    /// `Some` when the rule decides; `None` passes to the next rule.
    fn decide(
        &self,
        facts: &FileFacts<'_>,
        cases: &IngestTx<'_>,
    ) -> Result<Option<Decision>, StoreError>;
}

/// The ordered rules, ending in the unmatched fallback (which always answers).
pub struct Router {
    rules: Vec<Box<dyn Rule>>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.rules.iter().map(|r| r.name().to_string()))
            .finish()
    }
}

impl Default for Router {
    fn default() -> Self {
        Router::v1()
    }
}

impl Router {
    /// Routing version 1: case reference, PO, invoice, shipment number in the file name.
    pub fn v1() -> Self {
        Router {
            rules: vec![
                Box::new(CaseReferenceInName),
                Box::new(BusinessReferenceInName(ReferenceKind::Po)),
                Box::new(BusinessReferenceInName(ReferenceKind::Invoice)),
                Box::new(BusinessReferenceInName(ReferenceKind::Shipment)),
            ],
        }
    }

    /// No rules but the fallback.
    pub fn empty() -> Self {
        Router { rules: Vec::new() }
    }

    /// Puts `rule` at `index` (0: asked first); an index past the end appends.
    pub fn insert(&mut self, index: usize, rule: Box<dyn Rule>) {
        let index = index.min(self.rules.len());
        self.rules.insert(index, rule);
    }

    /// Appends `rule` (asked before the fallback only).
    pub fn push(&mut self, rule: Box<dyn Rule>) {
        self.rules.push(rule);
    }

    /// The rules' names in order (the fallback `unmatched` last).
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.rules.iter().map(|r| r.name().to_string()).collect();
        names.push(UNMATCHED.to_string());
        names
    }

    /// Asks each rule in order; the first answer decides, else the unmatched fallback.
    pub fn route(&self, facts: &FileFacts<'_>, cases: &IngestTx<'_>) -> Result<Routed, StoreError> {
        for rule in &self.rules {
            if let Some(decision) = rule.decide(facts, cases)? {
                return Ok(Routed {
                    target: decision.target,
                    rule: rule.name().to_string(),
                    reason: decision.reason,
                });
            }
        }
        Ok(unmatched(facts))
    }
}

/// The fallback's rule name.
pub const UNMATCHED: &str = pd_domain::UNMATCHED_RULE;

/// The title of a case opened for a file no rule placed.
pub fn unmatched_title(folder_name: &str) -> String {
    format!("Unmatched document from {folder_name}")
}

fn unmatched(facts: &FileFacts<'_>) -> Routed {
    let folder = facts.folder;
    let new = NewCase {
        id: uuid::Uuid::new_v4().to_string(),
        title: unmatched_title(&folder.folder_name),
        partner_id: folder.partner_id.clone(),
        partner_name: None,
        kind: folder.case_kind,
        priority: None,
        owner: folder.owner.clone(),
        sla_due: None,
        linked_transactions: Vec::new(),
        references: CaseReferences::default(),
        description: Some(format!(
            "{} arrived in the drop folder {}; no rule placed it on a case.",
            crate::names::display_name(facts.file_name),
            folder.folder_name
        )),
    };
    Routed {
        target: RouteTarget::New(Box::new(new)),
        rule: UNMATCHED.to_string(),
        reason: format!(
            "no case reference, PO, invoice or shipment number of a known case in the file name; \
             opened a new case for {} with the folder's defaults",
            folder.partner_id
        ),
    }
}

/// A case reference (`CASE-1042`) in the file name.
#[derive(Debug)]
pub struct CaseReferenceInName;

impl Rule for CaseReferenceInName {
    fn name(&self) -> &str {
        "case_reference"
    }

    fn decide(
        &self,
        facts: &FileFacts<'_>,
        cases: &IngestTx<'_>,
    ) -> Result<Option<Decision>, StoreError> {
        for token in reference_tokens(facts.file_name) {
            if let Some(hit) = cases.case_by_reference(&token)? {
                return Ok(Some(Decision {
                    target: RouteTarget::Existing {
                        case_id: hit.case_id,
                    },
                    reason: format!(
                        "the file name contains the case reference {}",
                        hit.reference
                    ),
                }));
            }
        }
        Ok(None)
    }
}

/// A PO, invoice or shipment number of a known case in the file name.
#[derive(Debug)]
pub struct BusinessReferenceInName(pub ReferenceKind);

impl Rule for BusinessReferenceInName {
    fn name(&self) -> &str {
        match self.0 {
            ReferenceKind::Po => "po_number",
            ReferenceKind::Invoice => "invoice_number",
            ReferenceKind::Shipment => "shipment_number",
        }
    }

    fn decide(
        &self,
        facts: &FileFacts<'_>,
        cases: &IngestTx<'_>,
    ) -> Result<Option<Decision>, StoreError> {
        let what = match self.0 {
            ReferenceKind::Po => "PO",
            ReferenceKind::Invoice => "invoice",
            ReferenceKind::Shipment => "shipment number",
        };
        for token in reference_tokens(facts.file_name) {
            if let Some(hit) = cases.case_by_business_reference(self.0, &token)? {
                let others = if hit.matches > 1 {
                    format!(
                        " ({} cases carry it; the most recently updated one)",
                        hit.matches
                    )
                } else {
                    String::new()
                };
                return Ok(Some(Decision {
                    target: RouteTarget::Existing {
                        case_id: hit.case_id,
                    },
                    reason: format!(
                        "the file name contains {what} {token}, on case {}{others}",
                        hit.reference
                    ),
                }));
            }
        }
        Ok(None)
    }
}
