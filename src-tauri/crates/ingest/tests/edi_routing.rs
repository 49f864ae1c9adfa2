//! EDI routing over the sandbox's partners and cases (pulled into a real cache file): each rule
//! fires where it should and says why in the ledger; a file from an unknown sender opens an
//! unmatched case of the document's kind with its references; a broken envelope opens a
//! validation case with the error in words and the file attached; a 997/CONTRL rejecting a set
//! goes to the case of the document it rejects; the analyst's order of the rules decides.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::io::Cursor;
use std::time::Duration;

use partnerdesk_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use pd_domain::{Case, CaseKind, CaseQuery, RoutingRuleKind, RoutingRuleSetting, Transaction};
use pd_ingest::edi::router;
use pd_ingest::routing::{FolderDefaults, Router};
use pd_ingest::take::{commit, media_type, spool_stream, Prepared};
use pd_store::{IngestFile, IngestOutcome, LedgerFilter, Store};
use pd_tradinggrid::{ClientConfig, RetryPolicy, TradingGridClient};

struct World {
    _sandbox: SandboxHandle,
    dir: tempfile::TempDir,
    store: Store,
    folder: FolderDefaults,
    n: std::cell::Cell<i64>,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        data: Some(dir.path().join("sandbox.sqlite")),
        cases: 80,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config.clone()).await.unwrap();
    let mut cc = ClientConfig::new(
        url::Url::parse(&sandbox.base_url()).unwrap(),
        config.company_id.clone(),
        config.consumer_key.clone(),
        config.consumer_secret.clone(),
    );
    cc.retry = RetryPolicy::no_retries();
    cc.request_timeout = Duration::from_secs(30);
    let client = TradingGridClient::new(cc).unwrap();
    let store = Store::open(dir.path().join("cache.db")).unwrap();
    pd_sync::pull(
        &store,
        &client,
        &pd_sync::PullOptions::default(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let partner = store.list_partners(None).unwrap()[0].partner.clone();
    World {
        _sandbox: sandbox,
        folder: FolderDefaults {
            folder_id: "inbound".into(),
            folder_name: "EDI inbound".into(),
            partner_id: partner.partner_company_id,
            case_kind: CaseKind::Other,
            owner: None,
        },
        dir,
        store,
        n: std::cell::Cell::new(0),
    }
}

impl World {
    fn cases(&self) -> Vec<Case> {
        let page = self
            .store
            .list_cases(
                &CaseQuery {
                    limit: 500,
                    ..CaseQuery::default()
                },
                chrono::Utc::now(),
            )
            .unwrap();
        page.rows
            .iter()
            .map(|r| self.store.case(&r.id).unwrap().unwrap())
            .collect()
    }

    /// A partner's id and its first `ZZ:` address.
    fn partner_with_address(&self) -> (String, String, String) {
        self.store
            .list_partners(None)
            .unwrap()
            .into_iter()
            .find_map(|row| {
                let p = row.partner;
                let addr = p
                    .trading_addresses
                    .iter()
                    .find(|a| a.starts_with("ZZ:"))?
                    .clone();
                Some((p.partner_company_id, p.partner_company_name, addr))
            })
            .expect("a partner with a ZZ: address")
    }

    fn take(&self, router: &Router, name: &str, bytes: &[u8]) -> (IngestOutcome, Case) {
        self.n.set(self.n.get() + 1);
        let (sha256, size, head, spool) = spool_stream(
            &self.dir.path().join("spool"),
            &mut Cursor::new(bytes.to_vec()),
        )
        .unwrap();
        let prepared = Prepared {
            file: IngestFile {
                folder_id: self.folder.folder_id.clone(),
                folder_name: self.folder.folder_name.clone(),
                path: name.into(),
                path_key: name.as_bytes().to_vec(),
                size,
                mtime_ns: self.n.get(),
                sha256,
                media_type: media_type(&head, name),
                document_name: name.into(),
                spool_path: Some(spool.display().to_string()),
                uploaded_by: "drop folder".into(),
                remote: false,
                upload: None,
            },
            head,
            spool,
            file_name: name.into(),
        };
        let outcome = commit(&self.store, router, &self.folder, &[prepared])
            .unwrap()
            .remove(0);
        let case_id = match &outcome {
            IngestOutcome::Taken { case_id, .. } => case_id.clone(),
            other => panic!("not taken: {other:?}"),
        };
        (outcome, self.store.case(&case_id).unwrap().unwrap())
    }

    fn last_rule(&self) -> (String, String, i64) {
        let row = self
            .store
            .ingest_ledger(&LedgerFilter::default())
            .unwrap()
            .remove(0);
        (row.rule.unwrap(), row.rule_reason.unwrap(), row.id)
    }
}

fn isa(sender: &str, control: u32) -> String {
    let (q, id) = sender.split_once(':').unwrap();
    format!(
        "ISA*00*          *00*          *{q}*{id:<15}*ZZ*DEMORETAILER   *260105*0930*U*00401*{control:09}*0*P*>~\n"
    )
}

fn x12_850(sender: &str, control: u32, po: &str) -> String {
    format!(
        "{}GS*PO*SENDER*DEMORETAILER*20260105*0930*{control}*X*004010~\nST*850*0001~\nBEG*00*SA*{po}**20260105~\nPO1*1*10*EA*9.5**VP*WIDGET~\nCTT*1~\nSE*5*0001~\nGE*1*{control}~\nIEA*1*{control:09}~\n",
        isa(sender, control)
    )
}

fn x12_810(sender: &str, control: u32, invoice: &str, po: &str) -> String {
    format!(
        "{}GS*IN*SENDER*DEMORETAILER*20260106*1000*{control}*X*004010~\nST*810*0001~\nBIG*20260106*{invoice}**{po}~\nIT1*1*10*EA*9.5**VP*WIDGET~\nTDS*9500~\nSE*5*0001~\nGE*1*{control}~\nIEA*1*{control:09}~\n",
        isa(sender, control)
    )
}

fn x12_856(sender: &str, control: u32, shipment: &str, po: &str) -> String {
    format!(
        "{}GS*SH*SENDER*DEMORETAILER*20260106*1000*{control}*X*004010~\nST*856*0001~\nBSN*00*{shipment}*20260106*1000~\nHL*1**S~\nPRF*{po}~\nSE*5*0001~\nGE*1*{control}~\nIEA*1*{control:09}~\n",
        isa(sender, control)
    )
}

fn x12_997_rejecting(sender: &str, control: u32, group: u32, set: &str) -> String {
    format!(
        "{}GS*FA*SENDER*DEMORETAILER*20260107*0800*{control}*X*004010~\nST*997*0001~\nAK1*PO*{group}~\nAK2*850*{set}~\nAK5*R*5~\nAK9*R*1*1*0~\nSE*6*0001~\nGE*1*{control}~\nIEA*1*{control:09}~\n",
        isa(sender, control)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edi_po_number_of_a_sandbox_case_lands_on_that_case() {
    let w = world().await;
    let case = w
        .cases()
        .into_iter()
        .find(|c| !c.references.po_numbers.is_empty())
        .expect("a sandbox case with a PO");
    let po = case.references.po_numbers[0].clone();
    let (_, _, addr) = w.partner_with_address();
    let r = router(&RoutingRuleSetting::defaults());
    let (outcome, landed) = w.take(&r, "inbound-0001.edi", x12_850(&addr, 101, &po).as_bytes());
    assert!(matches!(
        outcome,
        IngestOutcome::Taken {
            new_case: false,
            ..
        }
    ));
    assert_eq!(landed.id, case.id);
    let (rule, reason, ledger_id) = w.last_rule();
    assert_eq!(rule, "edi_reference");
    assert_eq!(
        reason,
        format!(
            "the 850 0001 carries PO number {po}, on case {}",
            case.reference
        )
    );
    // The ledger's EDI details: standard, type, sender, receiver, control numbers, references,
    // and the readable segment view.
    let edi = w
        .store
        .ingest_ledger_edi(ledger_id)
        .unwrap()
        .expect("EDI details");
    assert_eq!(edi.summary.standard, "X12");
    let set = &edi.summary.sets[0];
    assert_eq!(set.set_type, "850");
    assert_eq!(set.sender, addr);
    assert_eq!(set.receiver, "ZZ:DEMORETAILER");
    assert_eq!(set.interchange_control, "000000101");
    assert_eq!(set.group_control.as_deref(), Some("101"));
    assert_eq!(set.control_number, "0001");
    assert_eq!(set.references[0].label, "PO number");
    assert_eq!(set.references[0].value, po);
    assert!(
        edi.segment_view.contains(&format!(
            "BEG  Beginning of purchase order  |  purpose: 00 · order type: SA · PO number: {po}"
        )),
        "{}",
        edi.segment_view
    );
    assert_eq!(edi.summary.error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_810_from_an_unknown_sender_opens_an_unmatched_invoice_case_with_its_references() {
    let w = world().await;
    let r = router(&RoutingRuleSetting::defaults());
    let (outcome, case) = w.take(
        &r,
        "inv.x12",
        x12_810("ZZ:NOBODYKNOWS", 202, "INV-77001", "PO-NEW-1").as_bytes(),
    );
    assert!(matches!(
        outcome,
        IngestOutcome::Taken { new_case: true, .. }
    ));
    assert_eq!(case.kind, CaseKind::Invoice);
    assert_eq!(
        case.title,
        "Unmatched Invoice INV-77001 (810) from unknown sender ZZ:NOBODYKNOWS"
    );
    assert_eq!(case.partner_id, w.folder.partner_id);
    assert_eq!(case.references.invoice_numbers, ["INV-77001"]);
    assert_eq!(case.references.po_numbers, ["PO-NEW-1"]);
    let (rule, reason, _) = w.last_rule();
    assert_eq!(rule, "edi_new_case");
    assert!(
        reason.contains("the sender ZZ:NOBODYKNOWS is not in the partner directory"),
        "{reason}"
    );
    assert!(reason.ends_with("(unmatched)"), "{reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_856_from_a_directory_partner_opens_a_shipment_case_for_that_partner() {
    let w = world().await;
    let (partner_id, partner_name, addr) = w.partner_with_address();
    let r = router(&RoutingRuleSetting::defaults());
    let (_, case) = w.take(
        &r,
        "asn.edi",
        x12_856(&addr, 303, "SHIP-555", "PO-NEW-2").as_bytes(),
    );
    assert_eq!(case.kind, CaseKind::Shipment);
    assert_eq!(case.partner_id, partner_id);
    assert_eq!(
        case.title,
        format!("Ship notice SHIP-555 (856) from {partner_name}")
    );
    assert_eq!(case.references.shipment_numbers, ["SHIP-555"]);
    let (rule, reason, _) = w.last_rule();
    assert_eq!(rule, "edi_new_case");
    assert!(
        reason.contains(&format!("for {partner_name} (EDI address {addr})")),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_envelope_opens_a_validation_case_with_the_error_and_the_file() {
    let w = world().await;
    let (_, _, addr) = w.partner_with_address();
    let broken = x12_850(&addr, 404, "PO-BROKEN").replace("SE*5*0001", "SE*9*0001");
    let r = router(&RoutingRuleSetting::defaults());
    let (outcome, case) = w.take(&r, "broken.edi", broken.as_bytes());
    assert!(matches!(
        outcome,
        IngestOutcome::Taken { new_case: true, .. }
    ));
    assert_eq!(case.title, "X12 file broken.edi failed validation");
    assert_eq!(case.kind, CaseKind::Order);
    let detail = w.store.case_detail(&case.id, chrono::Utc::now()).unwrap();
    // The description is the case's first comment.
    let description = detail.comments[0].comment.body.clone();
    assert!(description.contains("SE (segment 7, byte"), "{description}");
    assert!(
        description.contains("SE01 says 9 segments from ST to SE, but 5 were found"),
        "{description}"
    );
    assert_eq!(detail.documents.len(), 1, "the file is attached");
    assert_eq!(detail.documents[0].document.name, "broken.edi");
    let (rule, _, ledger_id) = w.last_rule();
    assert_eq!(rule, "edi_validation");
    let edi = w.store.ingest_ledger_edi(ledger_id).unwrap().unwrap();
    assert!(edi.summary.error.unwrap().contains("SE01 says 9"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_997_or_contrl_rejecting_a_document_goes_to_that_documents_case() {
    let w = world().await;
    let (_, _, addr) = w.partner_with_address();
    let r = router(&RoutingRuleSetting::defaults());
    let (_, po_case) = w.take(&r, "po.edi", x12_850(&addr, 505, "PO-ACKED").as_bytes());
    let (outcome, ack_case) = w.take(
        &r,
        "997.edi",
        x12_997_rejecting(&addr, 506, 505, "0001").as_bytes(),
    );
    assert!(matches!(
        outcome,
        IngestOutcome::Taken {
            new_case: false,
            ..
        }
    ));
    assert_eq!(ack_case.id, po_case.id);
    let (rule, reason, _) = w.last_rule();
    assert_eq!(rule, "edi_acknowledgement");
    assert!(
        reason.starts_with(
            "the 997 0001 rejects 850 0001 (the 850 with control number 0001 taken from po.edi)"
        ),
        "{reason}"
    );
    // EDIFACT: an INVOIC, then a CONTRL rejecting it.
    let invoic = "UNB+UNOC:3+4012345000009:14+DEMORETAILER:ZZ+260105:0930+IC900'UNH+M9+INVOIC:D:96A:UN'BGM+380+INV-ED-9+9'UNT+3+M9'UNZ+1+IC900'";
    let (_, inv_case) = w.take(&r, "invoic.edi", invoic.as_bytes());
    assert_eq!(inv_case.kind, CaseKind::Invoice);
    let contrl = "UNB+UNOC:3+DEMORETAILER:ZZ+4012345000009:14+260105:1000+ACK1'UNH+C1+CONTRL:D:3:UN'UCI+IC900+4012345000009:14+DEMORETAILER:ZZ+4'UCM+M9+INVOIC:D:96A:UN+4'UNT+4+C1'UNZ+1+ACK1'";
    let (_, contrl_case) = w.take(&r, "contrl.edi", contrl.as_bytes());
    assert_eq!(contrl_case.id, inv_case.id);
    assert_eq!(w.last_rule().0, "edi_acknowledgement");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_of_a_linked_lens_transaction_goes_to_its_case() {
    let w = world().await;
    let now = chrono::Utc::now();
    let (case, tx): (Case, Transaction) = w
        .cases()
        .into_iter()
        .find_map(|c| {
            let detail = w.store.case_detail(&c.id, now).ok()?;
            let tx = detail.linked_transactions.into_iter().find(|t| {
                t.sender_address.is_some() && t.content_key("invoice number").is_some()
            })?;
            Some((c, tx))
        })
        .expect("a sandbox case linked to a cached invoice transaction");
    let sender = tx.sender_address.clone().unwrap();
    let invoice = tx.content_key("invoice number").unwrap().to_owned();
    // The case carries the invoice number too; with the reference rule off, the link decides.
    let rules: Vec<RoutingRuleSetting> = RoutingRuleSetting::defaults()
        .into_iter()
        .map(|mut r| {
            r.enabled = r.kind != RoutingRuleKind::EdiReference;
            r
        })
        .collect();
    let r = router(&rules);
    let (_, landed) = w.take(
        &r,
        "resend.edi",
        x12_810(&sender, 811, &invoice, "PO-NOT-ON-ANY-CASE").as_bytes(),
    );
    assert_eq!(landed.id, case.id);
    let (rule, reason, _) = w.last_rule();
    assert_eq!(rule, "edi_linked_transaction");
    assert_eq!(
        reason,
        format!(
            "the 810 0001 from {sender} matches Lens transaction {} (invoice number {invoice}), linked to case {}",
            tx.transaction_id, case.reference
        )
    );
    // The interchange control number, when Lens reports it as the sender reference.
    let mut with_control = tx.clone();
    with_control.content_keys.push(pd_domain::ContentKey {
        key: "sender reference".into(),
        value: "000000812".into(),
    });
    w.store.upsert_transactions(&[with_control]).unwrap();
    let (_, landed) = w.take(
        &r,
        "resend-2.edi",
        x12_850(&sender, 812, "PO-NOT-ON-ANY-CASE-2").as_bytes(),
    );
    assert_eq!(landed.id, case.id);
    let (rule, reason, _) = w.last_rule();
    assert_eq!(rule, "edi_linked_transaction");
    assert_eq!(
        reason,
        format!(
            "interchange control number 000000812 is Lens transaction {}, linked to case {}",
            tx.transaction_id, case.reference
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_analysts_order_decides_and_rules_switched_off_are_skipped() {
    let w = world().await;
    let mut with_po = w
        .cases()
        .into_iter()
        .filter(|c| !c.references.po_numbers.is_empty());
    let a = with_po.next().expect("case A");
    let b = with_po
        .find(|c| c.references.po_numbers[0] != a.references.po_numbers[0])
        .expect("case B");
    let (_, _, addr) = w.partner_with_address();
    let po_a = a.references.po_numbers[0].clone();
    let po_b = b.references.po_numbers[0].clone();
    let name = format!("PO {po_b}.edi");
    // Saved in the store as the rules editor does: PO in the file name first.
    let mut rules = RoutingRuleSetting::defaults();
    let at = rules
        .iter()
        .position(|r| r.kind == RoutingRuleKind::PoInName)
        .unwrap();
    let po_rule = rules.remove(at);
    rules.insert(0, po_rule);
    w.store.save_routing_rules(&rules).unwrap();
    let saved = w.store.routing_rules().unwrap();
    assert_eq!(saved[0].kind, RoutingRuleKind::PoInName);
    let (_, landed) = w.take(
        &router(&saved),
        &name,
        x12_850(&addr, 701, &po_a).as_bytes(),
    );
    assert_eq!(landed.id, b.id, "the file name's PO decides first");
    assert_eq!(w.last_rule().0, "po_number");
    // Default order: the PO inside the document decides.
    let (_, landed) = w.take(
        &router(&RoutingRuleSetting::defaults()),
        &format!("again {name}"),
        x12_850(&addr, 702, &po_a).as_bytes(),
    );
    assert_eq!(landed.id, a.id);
    assert_eq!(w.last_rule().0, "edi_reference");
    // References switched off: a new order case instead.
    let off: Vec<RoutingRuleSetting> = RoutingRuleSetting::defaults()
        .into_iter()
        .map(|mut r| {
            if matches!(
                r.kind,
                RoutingRuleKind::EdiReference | RoutingRuleKind::PoInName
            ) {
                r.enabled = false;
            }
            r
        })
        .collect();
    let (outcome, case) = w.take(&router(&off), &name, x12_850(&addr, 703, &po_a).as_bytes());
    assert!(matches!(
        outcome,
        IngestOutcome::Taken { new_case: true, .. }
    ));
    assert_eq!(case.kind, CaseKind::Order);
    assert_eq!(case.references.po_numbers, [po_a]);
    assert_eq!(w.last_rule().0, "edi_new_case");
    // A file that is not EDI still goes by its name, or to the unmatched fallback.
    let (_, pdf_case) = w.take(&router(&saved), "scan.pdf", b"%PDF-1.4 scan");
    assert_eq!(pdf_case.title, "Unmatched document from EDI inbound");
    assert_eq!(w.last_rule().0, "unmatched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn narrowed_rules_fire_only_on_what_they_match_and_an_address_rule_picks_the_partner() {
    use pd_domain::{RuleDocument, RuleReference};
    let w = world().await;
    let case = w
        .cases()
        .into_iter()
        .find(|c| !c.references.po_numbers.is_empty())
        .expect("a sandbox case with a PO");
    let po = case.references.po_numbers[0].clone();
    let partners = w.store.list_partners(None).unwrap();
    let chosen = partners.last().unwrap().partner.clone();
    let only = |kinds: &[RoutingRuleSetting]| -> Vec<RoutingRuleSetting> {
        // Every built-in rule off except the ones given, which come first.
        let mut rules = kinds.to_vec();
        rules.extend(RoutingRuleKind::DEFAULT_ORDER.map(|k| RoutingRuleSetting::plain(k, false)));
        rules
    };
    // The reference rule narrowed to invoice numbers passes over an 850's PO.
    let invoices_only = RoutingRuleSetting {
        reference: Some(RuleReference::Invoice),
        ..RoutingRuleSetting::plain(RoutingRuleKind::EdiReference, true)
    };
    let r = router(&only(std::slice::from_ref(&invoices_only)));
    let (_, landed) = w.take(&r, "po-a.edi", x12_850("ZZ:SOMEONE", 901, &po).as_bytes());
    assert_ne!(landed.id, case.id);
    assert_eq!(w.last_rule().0, "unmatched");
    // Narrowed to PO numbers, the same file lands on the case.
    let pos_only = RoutingRuleSetting {
        reference: Some(RuleReference::PurchaseOrder),
        ..invoices_only
    };
    let r = router(&only(&[pos_only]));
    let (_, landed) = w.take(&r, "po-b.edi", x12_850("ZZ:SOMEONE", 902, &po).as_bytes());
    assert_eq!(landed.id, case.id);
    assert_eq!(w.last_rule().0, "edi_reference");
    // The new-case rule narrowed to invoices opens a case for an 810, not for an 850.
    let new_invoices = RoutingRuleSetting {
        document: Some(RuleDocument::Invoice),
        ..RoutingRuleSetting::plain(RoutingRuleKind::EdiNewCase, true)
    };
    let r = router(&only(&[new_invoices]));
    w.take(
        &r,
        "po-c.edi",
        x12_850("ZZ:SOMEONE", 903, "PO-NONE-903").as_bytes(),
    );
    assert_eq!(w.last_rule().0, "unmatched");
    let (_, opened) = w.take(
        &r,
        "inv-c.edi",
        x12_810("ZZ:SOMEONE", 904, "INV-904", "PO-NONE-904").as_bytes(),
    );
    assert_eq!(w.last_rule().0, "edi_new_case");
    assert_eq!(opened.kind, CaseKind::Invoice);
    // The analyst's address rule: files from ZZ:NEWBUYER open cases for the chosen partner,
    // other senders pass.
    let address = RoutingRuleSetting {
        address: Some("ZZ:NEWBUYER".into()),
        partner_id: Some(chosen.partner_company_id.clone()),
        ..RoutingRuleSetting::plain(RoutingRuleKind::EdiPartnerAddress, true)
    };
    let r = router(&only(&[address]));
    let (_, opened) = w.take(
        &r,
        "asn.edi",
        x12_856("zz:newbuyer", 905, "SH-905", "PO-NONE-905").as_bytes(),
    );
    let (rule, reason, _) = w.last_rule();
    assert_eq!(rule, "edi_partner_address");
    assert_eq!(opened.partner_id, chosen.partner_company_id);
    assert_eq!(opened.kind, CaseKind::Shipment);
    assert_eq!(opened.references.shipment_numbers, ["SH-905"]);
    assert_eq!(
        reason,
        format!(
            "no case carries its references; opened a ship notice case for {} (your rule: sender ZZ:NEWBUYER is this partner)",
            chosen.partner_company_name
        )
    );
    w.take(
        &r,
        "other.edi",
        x12_856("ZZ:OTHER", 906, "SH-906", "PO-906").as_bytes(),
    );
    assert_eq!(w.last_rule().0, "unmatched");
}
