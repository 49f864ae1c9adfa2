//! Escalation rules over a real cache file with a fake clock: a rule fires once per breach
//! (its priority change and internal note queued through the outbox, the firing recorded on
//! the case with the rule's name) through repeated looks, a restart (the file reopened) and a
//! fault in the middle of the firing transaction; a case resolved before its breach fires
//! nothing; SLA, reply and refused-change notifications come once each; a rule's xConnector
//! event is queued once per breach and delivered once; a sync bringing 500 partner replies
//! gives one summary notification.

use chrono::{DateTime, TimeZone, Utc};
use pd_app::watch::watch_once;
use pd_domain::{
    Assignee, BusinessCalendar, BusinessDay, Case, CaseBundle, CaseKind, CasePage, CasePatch,
    CaseReferences, CaseStatus, Comment, DeskSettings, EscalationAction, EscalationRule,
    EscalationTrigger, NotificationKind, OutboxOp, Priority, SlaPolicy, SlaTarget, Visibility,
    Weekday,
};
use pd_store::Store;

fn utc(h: u32, m: u32) -> DateTime<Utc> {
    // Monday 30 November 2026; New York is UTC-5.
    Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0)
        .single()
        .expect("valid instant")
}

const ME: &str = "jdoe";

fn desk(rules: Vec<EscalationRule>) -> DeskSettings {
    DeskSettings {
        me: Some(ME.to_owned()),
        sla: SlaPolicy {
            enabled: true,
            targets: vec![SlaTarget {
                kind: None,
                priority: Priority::Normal,
                first_response_minutes: 60,
                resolution_minutes: 240,
            }],
            calendar: BusinessCalendar {
                time_zone: "America/New_York".to_owned(),
                days: [
                    Weekday::Monday,
                    Weekday::Tuesday,
                    Weekday::Wednesday,
                    Weekday::Thursday,
                    Weekday::Friday,
                ]
                .into_iter()
                .map(|weekday| BusinessDay {
                    weekday,
                    start_minute: 9 * 60,
                    end_minute: 17 * 60,
                })
                .collect(),
                holidays: vec![],
            },
            at_risk_percent: 75,
        },
        escalation_rules: rules,
        ..DeskSettings::default()
    }
}

fn breach_rule() -> EscalationRule {
    EscalationRule {
        id: "rule-breach".to_owned(),
        name: "Breached: raise and note".to_owned(),
        enabled: true,
        trigger: EscalationTrigger::Breached,
        kinds: vec![],
        priorities: vec![],
        actions: vec![
            EscalationAction::RaisePriority { to: None },
            EscalationAction::InternalNote {
                text: "SLA breached: escalated to High.".to_owned(),
            },
            EscalationAction::Notify,
        ],
    }
}

fn at_risk_rule() -> EscalationRule {
    EscalationRule {
        id: "rule-risk".to_owned(),
        name: "At risk: note".to_owned(),
        enabled: true,
        trigger: EscalationTrigger::AtRisk,
        kinds: vec![CaseKind::Shipment],
        priorities: vec![],
        actions: vec![EscalationAction::InternalNote {
            text: "Three quarters of the SLA used.".to_owned(),
        }],
    }
}

/// A cache file with one case of mine opened Monday 09:00 New York time, answered at once.
fn cache(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(dir.path().join("cache.db")).expect("cache opens");
    let case = Case {
        id: "case-1".to_owned(),
        reference: "CASE-2026-000001".to_owned(),
        title: "Short shipment on PO 4500012345".to_owned(),
        partner_id: "acme".to_owned(),
        partner_name: "Acme Retail".to_owned(),
        kind: CaseKind::Shipment,
        status: CaseStatus::Open,
        priority: Priority::Normal,
        owner: Some(ME.to_owned()),
        sla_due: None,
        created_at: utc(14, 0),
        updated_at: utc(14, 0),
        linked_transactions: vec![],
        references: CaseReferences::default(),
        version: 1,
    };
    let answer = Comment {
        id: "c-1".to_owned(),
        case_id: case.id.clone(),
        author: "Jane Doe".to_owned(),
        author_is_partner: false,
        body: "Looking into it.".to_owned(),
        visibility: Visibility::Partner,
        created_at: utc(14, 5),
    };
    store
        .apply_case_page(
            &CasePage {
                cases: vec![CaseBundle {
                    case,
                    comments: vec![answer],
                    documents: vec![],
                }],
                next_cursor: "1".to_owned(),
                has_more: false,
            },
            "cases",
        )
        .expect("case cached");
    store
}

fn notes(store: &Store) -> Vec<String> {
    store
        .outbox_entries()
        .expect("outbox")
        .into_iter()
        .filter_map(|e| match e.op {
            Ok(OutboxOp::AddComment(c)) if c.visibility == Visibility::Internal => Some(c.body),
            _ => None,
        })
        .collect()
}

fn patches(store: &Store) -> Vec<CasePatch> {
    store
        .outbox_entries()
        .expect("outbox")
        .into_iter()
        .filter_map(|e| match e.op {
            Ok(OutboxOp::PatchCase(p)) => Some(p),
            _ => None,
        })
        .collect()
}

#[test]
fn each_rule_fires_once_per_breach_through_repeated_looks_and_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = cache(&dir);
    let desk = desk(vec![breach_rule(), at_risk_rule()]);

    // 11:00 New York: two of four hours used.
    let quiet = watch_once(&store, &desk, "Jane Doe", utc(16, 0)).expect("look");
    assert!(quiet.fired.is_empty() && quiet.notifications.is_empty());
    assert!(store.outbox_entries().expect("outbox").is_empty());

    // 12:00: three hours, at risk: the at-risk rule notes it, the owner is told once.
    let at_risk = watch_once(&store, &desk, "Jane Doe", utc(17, 0)).expect("look");
    assert_eq!(at_risk.fired, vec![("case-1".into(), "rule-risk".into())]);
    assert_eq!(at_risk.notifications.len(), 1);
    assert_eq!(at_risk.notifications[0].kind, NotificationKind::SlaAtRisk);
    assert_eq!(notes(&store), vec!["Three quarters of the SLA used."]);
    let again = watch_once(&store, &desk, "Jane Doe", utc(17, 30)).expect("look");
    assert!(again.fired.is_empty() && again.notifications.is_empty());

    // 13:00: breached: priority one step up and a note, through the outbox, once.
    let breached = watch_once(&store, &desk, "Jane Doe", utc(18, 0)).expect("look");
    assert_eq!(
        breached.fired,
        vec![("case-1".into(), "rule-breach".into())]
    );
    let kinds: Vec<NotificationKind> = breached.notifications.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        vec![NotificationKind::SlaBreached, NotificationKind::SlaBreached]
    );
    assert_eq!(
        patches(&store)
            .iter()
            .filter_map(|p| p.priority)
            .collect::<Vec<_>>(),
        vec![Priority::High]
    );
    assert_eq!(notes(&store).len(), 2);

    // The case page names the rule that fired.
    let detail = store.case_detail("case-1", utc(18, 1)).expect("detail");
    assert!(detail
        .activity
        .iter()
        .any(|a| a.summary.contains("Breached: raise and note") && a.summary.contains("high")));
    assert_eq!(detail.case.priority, Priority::High);

    // Restart: the file is opened again; later looks fire nothing more.
    drop(store);
    let store = Store::open(dir.path().join("cache.db")).expect("reopens");
    for minute in [5, 30, 59] {
        let later = watch_once(&store, &desk, "Jane Doe", utc(18, minute)).expect("look");
        assert!(later.fired.is_empty(), "{later:?}");
        assert!(later.notifications.is_empty(), "{later:?}");
    }
    assert_eq!(notes(&store).len(), 2);
    assert_eq!(patches(&store).len(), 1);
}

#[test]
fn a_fault_inside_the_firing_leaves_nothing_half_done_and_the_next_look_fires_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = cache(&dir);
    let desk = desk(vec![breach_rule()]);
    // A fault at the very end of the firing transaction (the record that the rule fired).
    let conn = rusqlite::Connection::open(dir.path().join("cache.db")).expect("raw connection");
    conn.execute_batch(
        "CREATE TRIGGER fault AFTER INSERT ON escalation_fired \
         WHEN new.rule_id = 'rule-breach' BEGIN SELECT RAISE(ABORT, 'disk went away'); END;",
    )
    .expect("fault installed");
    let failed = watch_once(&store, &desk, "Jane Doe", utc(18, 0));
    assert!(failed.is_err());
    assert!(
        patches(&store).is_empty(),
        "the priority change was rolled back"
    );
    assert!(notes(&store).is_empty(), "the note was rolled back");
    assert_eq!(
        store.case("case-1").expect("case").map(|c| c.priority),
        Some(Priority::Normal)
    );
    conn.execute_batch("DROP TRIGGER fault;")
        .expect("fault removed");
    let fired = watch_once(&store, &desk, "Jane Doe", utc(18, 1)).expect("look");
    assert_eq!(fired.fired.len(), 1);
    let again = watch_once(&store, &desk, "Jane Doe", utc(18, 2)).expect("look");
    assert!(again.fired.is_empty());
    assert_eq!(patches(&store).len(), 1);
    assert_eq!(notes(&store).len(), 1);
}

#[test]
fn a_case_resolved_before_its_breach_fires_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = cache(&dir);
    let desk = desk(vec![breach_rule()]);
    store
        .patch_local_case(
            "case-1",
            &CasePatch {
                status: Some(CaseStatus::Resolved),
                ..CasePatch::default()
            },
            utc(16, 30),
        )
        .expect("resolved");
    for hour in [18, 20, 23] {
        let look = watch_once(&store, &desk, "Jane Doe", utc(hour, 0)).expect("look");
        assert!(look.fired.is_empty(), "{look:?}");
        assert!(look.notifications.is_empty(), "{look:?}");
    }
    assert!(notes(&store).is_empty());
    assert_eq!(patches(&store).len(), 1, "only the analyst's own resolve");
}

#[test]
fn reassigning_to_a_tier_gives_the_case_to_its_first_member_and_stops_my_watch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = cache(&dir);
    let rule = EscalationRule {
        id: "rule-tier".to_owned(),
        name: "Breached: to Tier 2".to_owned(),
        enabled: true,
        trigger: EscalationTrigger::Breached,
        kinds: vec![],
        priorities: vec![Priority::Normal],
        actions: vec![EscalationAction::Reassign {
            to: Assignee::Tier {
                name: "Tier 2".to_owned(),
                members: vec!["msmith".to_owned(), "tlee".to_owned()],
            },
        }],
    };
    let desk = desk(vec![rule]);
    let look = watch_once(&store, &desk, "Jane Doe", utc(18, 0)).expect("look");
    assert_eq!(look.fired.len(), 1);
    assert_eq!(
        store.case("case-1").expect("case").and_then(|c| c.owner),
        Some("msmith".to_owned())
    );
    assert_eq!(
        patches(&store)
            .into_iter()
            .filter_map(|p| p.owner)
            .collect::<Vec<_>>(),
        vec![Some("msmith".to_owned())]
    );
}

#[test]
fn a_partner_reply_and_a_refused_change_are_each_notified_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = cache(&dir);
    let desk = desk(vec![]);
    // The first look sets the watermarks: nothing from before it.
    let first = watch_once(&store, &desk, "Jane Doe", utc(14, 10)).expect("look");
    assert!(first.notifications.is_empty());
    let mut case = store.case("case-1").expect("case").expect("cached");
    case.version = 2;
    case.updated_at = utc(14, 20);
    let reply = Comment {
        id: "c-2".to_owned(),
        case_id: case.id.clone(),
        author: "Rita at Acme".to_owned(),
        author_is_partner: true,
        body: "The rest ships today.".to_owned(),
        visibility: Visibility::Partner,
        created_at: utc(14, 20),
    };
    store
        .apply_case_page(
            &CasePage {
                cases: vec![CaseBundle {
                    case,
                    comments: vec![reply],
                    documents: vec![],
                }],
                next_cursor: "2".to_owned(),
                has_more: false,
            },
            "cases",
        )
        .expect("reply cached");
    let op = store
        .patch_local_case(
            "case-1",
            &CasePatch {
                title: Some("Short shipment, 12 cartons".to_owned()),
                ..CasePatch::default()
            },
            utc(14, 25),
        )
        .expect("patched")
        .expect("queued");
    store
        .outbox_mark_failed(&op, "The server refused the title.")
        .expect("failed");
    let look = watch_once(&store, &desk, "Jane Doe", utc(14, 30)).expect("look");
    let kinds: Vec<NotificationKind> = look.notifications.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        vec![
            NotificationKind::PartnerReply,
            NotificationKind::FailedAction
        ]
    );
    assert_eq!(
        look.notifications[0].title,
        "Acme Retail replied on CASE-2026-000001"
    );
    assert!(look.notifications[1].body.contains("refused the title"));
    let again = watch_once(&store, &desk, "Jane Doe", utc(14, 31)).expect("look");
    assert!(again.notifications.is_empty(), "{again:?}");
}

fn escalation_events(store: &Store) -> Vec<(String, pd_domain::OutboundEvent)> {
    store
        .outbox_entries()
        .expect("outbox")
        .into_iter()
        .filter_map(|e| match e.op {
            Ok(OutboxOp::Connector(pd_domain::ConnectorWrite::XcEvent(event)))
                if matches!(event.change, pd_domain::CaseChange::Escalated { .. }) =>
            {
                Some((e.op_id, event))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_emits_one_xconnector_event_per_breach_through_a_fault_a_restart_and_lost_answers(
) {
    use pd_bridge::push::{push_connectors, ConnectorClient, Outside};
    use pd_doubles::xconnector::XcDouble;

    const XC: &str = "xc-ops";
    const TOKEN: &str = "xc-token";
    let dir = tempfile::tempdir().expect("temp dir");
    let store = cache(&dir);
    store
        .set_outbound_route(XC, true)
        .expect("outbound events on");
    let rule = EscalationRule {
        id: "rule-event".to_owned(),
        name: "Breached: tell operations".to_owned(),
        enabled: true,
        trigger: EscalationTrigger::Breached,
        kinds: vec![],
        priorities: vec![],
        actions: vec![
            EscalationAction::EmitEvent,
            EscalationAction::InternalNote {
                text: "Operations told.".to_owned(),
            },
        ],
    };
    let desk = desk(vec![rule]);

    // A fault at the end of the firing transaction: no event is queued, nothing recorded.
    let conn = rusqlite::Connection::open(dir.path().join("cache.db")).expect("raw connection");
    conn.execute_batch(
        "CREATE TRIGGER fault AFTER INSERT ON escalation_fired \
         WHEN new.rule_id = 'rule-event' BEGIN SELECT RAISE(ABORT, 'disk went away'); END;",
    )
    .expect("fault installed");
    assert!(watch_once(&store, &desk, "Jane Doe", utc(18, 0)).is_err());
    assert!(escalation_events(&store).is_empty(), "rolled back");
    let rule_fired = |store: &Store| {
        store
            .fired_escalations("case-1")
            .expect("fired")
            .into_iter()
            .filter(|f| f.rule_id == "rule-event")
            .collect::<Vec<_>>()
    };
    assert!(rule_fired(&store).is_empty());
    conn.execute_batch("DROP TRIGGER fault;")
        .expect("fault removed");
    drop(conn);

    // Restart, then the next look fires it: one event on the xConnector's lane.
    drop(store);
    let store = Store::open(dir.path().join("cache.db")).expect("reopens");
    let look = watch_once(&store, &desk, "Jane Doe", utc(18, 1)).expect("look");
    assert_eq!(look.fired, vec![("case-1".into(), "rule-event".into())]);
    let events = escalation_events(&store);
    assert_eq!(events.len(), 1, "{events:?}");
    let (op_id, event) = events[0].clone();
    assert_eq!(event.connector_id, XC);
    assert_eq!(event.case_reference, "CASE-2026-000001");
    match &event.change {
        pd_domain::CaseChange::Escalated {
            rule_id,
            rule_name,
            actions,
            ..
        } => {
            assert_eq!(rule_id, "rule-event");
            assert_eq!(rule_name, "Breached: tell operations");
            assert!(actions.contains("xConnector event"), "{actions}");
        }
        other => panic!("{other:?}"),
    }
    // Recorded on the case with the rule that fired.
    let fired = rule_fired(&store);
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].rule_name, "Breached: tell operations");
    let detail = store.case_detail("case-1", utc(18, 2)).expect("detail");
    assert!(
        detail
            .activity
            .iter()
            .any(|a| a.summary.contains("Breached: tell operations")
                && a.summary.contains("xConnector event")),
        "{:?}",
        detail.activity
    );

    // More looks, another restart: still the one event.
    for minute in [10, 40] {
        let later = watch_once(&store, &desk, "Jane Doe", utc(18, minute)).expect("look");
        assert!(later.fired.is_empty(), "{later:?}");
    }
    drop(store);
    let store = Store::open(dir.path().join("cache.db")).expect("reopens again");
    let later = watch_once(&store, &desk, "Jane Doe", utc(19, 0)).expect("look");
    assert!(later.fired.is_empty(), "{later:?}");
    assert_eq!(escalation_events(&store).len(), 1);
    assert_eq!(rule_fired(&store).len(), 1);

    // Delivered by the connector push to a real receiver on loopback whose first answers are
    // lost: resent under the same id, one event arrives.
    let xc = XcDouble::start(TOKEN, vec![], 10).await;
    xc.inject(pd_doubles::Fault::Drop, 2);
    let outside = Outside {
        clients: [(
            XC.to_owned(),
            ConnectorClient::Xc {
                client: pd_connectors::XcClient::new(Some(TOKEN), &Default::default())
                    .expect("client"),
                endpoint: format!("{}/events", xc.base),
            },
        )]
        .into(),
    };
    for _ in 0..200 {
        push_connectors(&store, &outside, std::time::Duration::from_millis(20))
            .await
            .expect("push");
        if escalation_events(&store).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(escalation_events(&store).is_empty(), "delivered");
    let received = xc.received();
    assert!(received.len() >= 2, "the lost answers made it resend");
    for copy in &received {
        assert_eq!(copy["id"], op_id.as_str(), "one event, under its op id");
        assert_eq!(copy["type"], "com.opentext.partnerdesk.case.escalated.v1");
        assert_eq!(copy["data"]["ruleName"], "Breached: tell operations");
        assert_eq!(copy["data"]["caseReference"], "CASE-2026-000001");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_bringing_500_partner_replies_on_my_cases_gives_one_summary_notification() {
    use pd_app::notify::{system_clock, Notifier, Shown};
    use std::sync::{Arc, Mutex};

    let dir = tempfile::tempdir().expect("temp dir");
    let store = cache(&dir);
    let desk = desk(vec![]);
    // The first look sets the watermarks.
    let first = watch_once(&store, &desk, "Jane Doe", utc(14, 10)).expect("look");
    assert!(first.notifications.is_empty());
    // One pull page: my case with 500 new partner comments.
    let mut case = store.case("case-1").expect("case").expect("cached");
    case.version = 2;
    case.updated_at = utc(14, 20);
    let replies: Vec<Comment> = (0..500)
        .map(|i| Comment {
            id: format!("reply-{i}"),
            case_id: case.id.clone(),
            author: "Rita at Acme".to_owned(),
            author_is_partner: true,
            body: format!("Carton {i} found."),
            visibility: Visibility::Partner,
            created_at: utc(14, 20),
        })
        .collect();
    store
        .apply_case_page(
            &CasePage {
                cases: vec![CaseBundle {
                    case,
                    comments: replies,
                    documents: vec![],
                }],
                next_cursor: "2".to_owned(),
                has_more: false,
            },
            "cases",
        )
        .expect("the sync's page cached");
    let look = watch_once(&store, &desk, "Jane Doe", utc(14, 30)).expect("look");
    assert_eq!(look.notifications.len(), 500);

    let notifier = Notifier::start(
        std::time::Duration::from_millis(200),
        system_clock(),
        pd_domain::NotificationSettings::default(),
    );
    let shown: Arc<Mutex<Vec<Shown>>> = Arc::default();
    let sink = shown.clone();
    notifier.connect(move |s: &Shown| sink.lock().expect("test mutex").push(s.clone()));
    for notification in look.notifications {
        notifier.notify(notification);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let all = shown.lock().expect("test mutex").clone();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].count, 500);
    assert_eq!(all[0].title, "500 partner replies on your cases");
    // All on one case: the click opens it.
    assert_eq!(
        notifier.clicked(all[0].id),
        Some(pd_domain::OpenRoute::Case {
            id: "case-1".to_owned()
        })
    );
    // The next look brings none of them again.
    let again = watch_once(&store, &desk, "Jane Doe", utc(14, 31)).expect("look");
    assert!(again.notifications.is_empty());
}
