//! The routing rules editor and the ledger's EDI details through the commands the window calls,
//! on the demo workspace's real cache file: the default list between its fixed first step and
//! fallback; bad rules refused in words naming the rule, with nothing saved; an added "Partner by
//! EDI address" rule, a reordered and a switched-off rule saved and read back; a watched folder
//! then routes by the saved rules (an 810 from the rule's sender opens an invoice case for the
//! rule's partner, an 850 carrying a case's PO lands on that case) and `ledger_edi` shows what
//! recognition found with the readable segment view.
//!
//! Runs inside a keyring session: `bash .ci/with-keyring.sh cargo test -p pd-app --test routing_rules`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use common::{case_with_a_po, eventually, keychain_namespace, start, Dirs};
use pd_app::{api, commands};
use pd_domain::{
    CaseKind, CaseQuery, ErrorCode, FolderSettings, FolderSource, LedgerQuery, RoutingRuleKind,
    RoutingRuleSetting, RuleDocument, RuleReference,
};

const WAIT: Duration = Duration::from_secs(30);

fn isa(sender: &str, control: u32) -> String {
    format!("ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*DEMORETAILER   *260105*0930*U*00401*{control:09}*0*P*>~\n")
}

fn x12_850(sender: &str, control: u32, po: &str) -> String {
    format!(
        "{}GS*PO*{sender}*DEMORETAILER*20260105*0930*{control}*X*004010~\nST*850*0001~\nBEG*00*SA*{po}**20260105~\nPO1*1*10*EA*9.5**VP*WIDGET~\nSE*4*0001~\nGE*1*{control}~\nIEA*1*{control:09}~\n",
        isa(sender, control)
    )
}

fn x12_810(sender: &str, control: u32, invoice: &str, po: &str) -> String {
    format!(
        "{}GS*IN*{sender}*DEMORETAILER*20260106*1000*{control}*X*004010~\nST*810*0001~\nBIG*20260106*{invoice}**{po}~\nTDS*9500~\nSE*4*0001~\nGE*1*{control}~\nIEA*1*{control:09}~\n",
        isa(sender, control)
    )
}

fn drop_file(folder: &std::path::Path, name: &str, bytes: &str) {
    let part = folder.join(format!("{name}.part"));
    std::fs::write(&part, bytes).unwrap();
    std::fs::rename(&part, folder.join(name)).unwrap();
}

fn address_rule(address: &str, partner: &str) -> RoutingRuleSetting {
    RoutingRuleSetting {
        address: Some(address.into()),
        partner_id: Some(partner.into()),
        document: Some(RuleDocument::Invoice),
        ..RoutingRuleSetting::plain(RoutingRuleKind::EdiPartnerAddress, true)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_edited_checked_saved_and_route_the_next_file_with_its_edi_details() {
    let Some(namespace) = keychain_namespace() else {
        return;
    };
    let dirs = Dirs::new(namespace);
    let state = start(&dirs).await;
    eventually("the demo's cases", WAIT, || async {
        api::list_cases(&state, CaseQuery::default())
            .await
            .is_ok_and(|page| page.total > 0)
    })
    .await;
    let store = state.current().store.clone();

    // The default list: every built-in rule on, between the fixed first step and the fallback.
    let view = commands::routing_rules(&state).await.unwrap();
    let kinds: Vec<RoutingRuleKind> = view.rules.iter().map(|r| r.setting.kind).collect();
    assert_eq!(kinds, RoutingRuleKind::DEFAULT_ORDER);
    assert!(view.rules.iter().all(|r| r.setting.enabled && !r.removable));
    assert_eq!(view.first.label, "Recognise the file");
    assert_eq!(view.fallback.ledger_name.as_deref(), Some("unmatched"));

    let partners = store.list_partners(None).unwrap();
    let partner = partners[0].partner.clone();

    // Bad rules are refused in words naming the rule; nothing is saved.
    let mut rules = RoutingRuleSetting::defaults();
    rules.insert(0, address_rule("ACME", &partner.partner_company_id));
    let err = commands::save_routing_rules(&state, rules)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InputInvalid);
    assert!(
        err.to_string()
            .starts_with("Rule 1: \"ACME\" is not an EDI address"),
        "{err}"
    );
    let mut rules = RoutingRuleSetting::defaults();
    rules.push(address_rule("ZZ:NEWBUYER", "no-such-partner"));
    let err = commands::save_routing_rules(&state, rules)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Rule 10: the partner no-such-partner is not in the partner directory; choose one from the list."
    );
    let mut rules = RoutingRuleSetting::defaults();
    rules[4].reference = Some(RuleReference::Invoice);
    let err = commands::save_routing_rules(&state, rules)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Rule 5: \"Case reference in the file name\" cannot be narrowed"),
        "{err}"
    );
    let mut rules = RoutingRuleSetting::defaults();
    rules.push(address_rule("ZZ:BAD*ID", &partner.partner_company_id));
    let err = commands::save_routing_rules(&state, rules)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("EDI separator"), "{err}");
    assert_eq!(
        commands::routing_rules(&state).await.unwrap(),
        view,
        "a refused save changes nothing"
    );

    // Added, narrowed, reordered and switched off; read back as saved.
    let mut rules = RoutingRuleSetting::defaults();
    let linked = rules
        .iter()
        .position(|r| r.kind == RoutingRuleKind::EdiLinkedTransaction)
        .unwrap();
    rules[linked].enabled = false;
    let po_in_name = rules
        .iter()
        .position(|r| r.kind == RoutingRuleKind::PoInName)
        .unwrap();
    let moved = rules.remove(po_in_name);
    rules.insert(0, moved);
    let new_case = rules
        .iter()
        .position(|r| r.kind == RoutingRuleKind::EdiNewCase)
        .unwrap();
    rules.insert(
        new_case,
        address_rule(" zz:newbuyer ", &partner.partner_company_id),
    );
    rules.insert(
        1,
        RoutingRuleSetting {
            reference: Some(RuleReference::PurchaseOrder),
            ..RoutingRuleSetting::plain(RoutingRuleKind::EdiReference, true)
        },
    );
    let saved = commands::save_routing_rules(&state, rules).await.unwrap();
    let kinds: Vec<RoutingRuleKind> = saved.rules.iter().map(|r| r.setting.kind).collect();
    assert_eq!(kinds[0], RoutingRuleKind::PoInName);
    assert_eq!(kinds[1], RoutingRuleKind::EdiReference);
    assert_eq!(
        saved.rules[1].matches,
        "the PO number inside the EDI document"
    );
    assert!(saved.rules[1].removable);
    let rule = saved
        .rules
        .iter()
        .find(|r| r.setting.kind == RoutingRuleKind::EdiPartnerAddress)
        .unwrap();
    assert_eq!(rule.setting.address.as_deref(), Some("ZZ:NEWBUYER"));
    assert_eq!(
        rule.matches,
        format!(
            "EDI invoices (810, INVOIC) from sender ZZ:NEWBUYER, for partner {}",
            partner.partner_company_id
        )
    );
    assert!(
        !saved
            .rules
            .iter()
            .find(|r| r.setting.kind == RoutingRuleKind::EdiLinkedTransaction)
            .unwrap()
            .setting
            .enabled
    );
    assert_eq!(commands::routing_rules(&state).await.unwrap(), saved);

    // A watched folder routes by the saved rules.
    let (_, po_case, po) = case_with_a_po(&state).await;
    let drop_dir = tempfile::tempdir().unwrap();
    commands::save_folder(
        &state,
        FolderSettings {
            id: String::new(),
            name: "EDI inbound".into(),
            source: FolderSource::Local {
                path: drop_dir.path().display().to_string(),
                subfolders: false,
                polling: false,
            },
            partner_id: partner.partner_company_id.clone(),
            case_kind: CaseKind::Other,
            owner: None,
            settle_seconds: 1,
            poll_seconds: 30,
            paused: false,
        },
    )
    .await
    .unwrap();
    drop_file(drop_dir.path(), "order.x12", &x12_850("SOMEBUYER", 31, &po));
    drop_file(
        drop_dir.path(),
        "invoice.x12",
        &x12_810("NEWBUYER", 32, "INV-77-0032", "PO-ON-NO-CASE-32"),
    );
    drop_file(drop_dir.path(), "notes.csv", "a,b\n1,2\n");
    eventually("three files in the ledger", WAIT, || async {
        commands::folder_ledger(&state, LedgerQuery::default())
            .await
            .unwrap()
            .len()
            == 3
    })
    .await;
    let ledger = commands::folder_ledger(&state, LedgerQuery::default())
        .await
        .unwrap();
    let order = ledger.iter().find(|r| r.path == "order.x12").unwrap();
    assert_eq!(order.case_id.as_deref(), Some(po_case.as_str()));
    assert_eq!(order.rule.as_deref(), Some("edi_reference"));
    let invoice = ledger.iter().find(|r| r.path == "invoice.x12").unwrap();
    assert_eq!(invoice.rule.as_deref(), Some("edi_partner_address"));
    let reason = invoice.rule_reason.clone().unwrap();
    assert!(
        reason.contains("your rule: sender ZZ:NEWBUYER is this partner"),
        "{reason}"
    );
    let opened = api::get_case(&state, invoice.case_id.clone().unwrap())
        .await
        .unwrap();
    assert_eq!(opened.case.kind, CaseKind::Invoice);
    assert_eq!(opened.case.partner_id, partner.partner_company_id);
    assert_eq!(opened.case.references.invoice_numbers, ["INV-77-0032"]);
    assert_eq!(opened.case.references.po_numbers, ["PO-ON-NO-CASE-32"]);

    // The ledger's EDI details.
    let edi = commands::ledger_edi(&state, u32::try_from(invoice.id).unwrap())
        .await
        .unwrap()
        .expect("EDI details");
    assert_eq!(edi.summary.standard, "X12");
    assert_eq!(edi.summary.error, None);
    let set = &edi.summary.sets[0];
    assert_eq!(set.set_type, "810");
    assert_eq!(set.sender, "ZZ:NEWBUYER");
    assert_eq!(set.receiver, "ZZ:DEMORETAILER");
    assert_eq!(set.interchange_control, "000000032");
    assert_eq!(set.group_control.as_deref(), Some("32"));
    assert_eq!(set.control_number, "0001");
    let refs: Vec<(&str, &str)> = set
        .references
        .iter()
        .map(|r| (r.label.as_str(), r.value.as_str()))
        .collect();
    assert!(
        refs.contains(&("invoice number", "INV-77-0032")),
        "{refs:?}"
    );
    assert!(
        refs.contains(&("PO number", "PO-ON-NO-CASE-32")),
        "{refs:?}"
    );
    assert!(
        edi.segment_view.contains("BIG  Beginning of invoice"),
        "{}",
        edi.segment_view
    );
    assert_eq!(
        edi.segment_view.lines().count(),
        8,
        "one line per segment:\n{}",
        edi.segment_view
    );
    let csv = ledger.iter().find(|r| r.path == "notes.csv").unwrap();
    assert_eq!(
        commands::ledger_edi(&state, u32::try_from(csv.id).unwrap())
            .await
            .unwrap(),
        None
    );
    state.shutdown().await;
}
