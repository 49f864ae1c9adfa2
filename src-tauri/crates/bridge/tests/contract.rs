//! The example events of the xConnector contract (`contract/examples/`) read as the contract
//! says, and PartnerDesk's own outbound event has the documented shape.

use pd_bridge::cloudevents::{outbound, read_value};
use pd_domain::{CaseChange, CaseStatus, OutboundEvent};
use pd_store::{ExceptionState, Inbound};
use serde_json::Value;

fn example(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contract/examples")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("example")).expect("json")
}

#[test]
fn the_contract_examples_read_as_documented() {
    match read_value(example("exception-shipment-failed.json")) {
        Inbound::Exception(e) => {
            assert_eq!(e.correlation_id, "ASN-VERONA-000451");
            assert_eq!(e.state, ExceptionState::Failed);
            assert_eq!(e.kind, pd_domain::CaseKind::Shipment);
        }
        other => panic!("{other:?}"),
    }
    match read_value(example("exception-shipment-recovered.json")) {
        Inbound::Exception(e) => assert_eq!(e.state.case_status(), CaseStatus::Resolved),
        other => panic!("{other:?}"),
    }
    match read_value(example("partner-updated.json")) {
        Inbound::Partner(p) => {
            assert_eq!(p.partner.partner_company_name, "Verona Vittles S.p.A.");
            assert_eq!(p.partner.trading_addresses.len(), 2);
            assert_eq!(p.extra["shipTo"][0]["id"], "DC-07");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_outbound_event_has_the_shape_of_the_contract_example() {
    let documented = example("case-status-changed.json");
    let event = OutboundEvent {
        connector_id: "xc".into(),
        case_id: "8b6f2f0e-2c1d-4a5b-9c8d-7e6f5a4b3c2d".into(),
        case_reference: "CASE-1042".into(),
        correlation_id: Some("ASN-VERONA-000451".into()),
        time: chrono::DateTime::parse_from_rfc3339("2026-11-30T10:02:11Z")
            .expect("time")
            .with_timezone(&chrono::Utc),
        change: CaseChange::StatusChanged {
            status: CaseStatus::WaitingOnPartner,
        },
    };
    let sent = outbound(&event, "2d4f0c1e-7a8b-4c9d-9e0f-1a2b3c4d5e6f");
    assert_eq!(sent, documented, "field by field");
}
