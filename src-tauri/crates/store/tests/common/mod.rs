//! Fixtures shared by the store tests: realistic partners, users, transactions and cases.
#![allow(dead_code, missing_docs)]

use chrono::{Duration, TimeZone, Utc};
use pd_domain::*;

pub fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("valid time")
}

pub fn partner(id: &str, name: &str, addr: &str) -> Partner {
    Partner {
        partner_company_id: id.into(),
        partner_company_name: name.into(),
        trading_addresses: vec![addr.into()],
        status: "Active".into(),
        country_code: Some("US".into()),
        contact_email: Some(format!("edi@{}.example", id.to_lowercase())),
    }
}

pub fn user(login: &str, first: &str, last: &str) -> User {
    User {
        user_id: format!("U-{login}"),
        login_id: login.into(),
        first_name: first.into(),
        last_name: last.into(),
        email: format!("{login}@acme.example"),
        roles: vec!["Lens All custom".into()],
    }
}

pub fn case(n: u32, partner_id: &str, partner_name: &str) -> Case {
    Case {
        id: format!("case-{n:05}"),
        reference: format!("CASE-2026-{n:06}"),
        title: format!("Case number {n}"),
        partner_id: partner_id.into(),
        partner_name: partner_name.into(),
        kind: CaseKind::Shipment,
        status: CaseStatus::Open,
        priority: Priority::Normal,
        owner: None,
        sla_due: None,
        created_at: t0(),
        updated_at: t0() + Duration::minutes(i64::from(n)),
        linked_transactions: vec![],
        references: CaseReferences::default(),
        version: 1,
    }
}

pub fn comment(case_id: &str, id: &str, body: &str, minutes: i64) -> Comment {
    Comment {
        id: id.into(),
        case_id: case_id.into(),
        author: "Rita at Verona".into(),
        author_is_partner: true,
        body: body.into(),
        visibility: Visibility::Partner,
        created_at: t0() + Duration::minutes(minutes),
    }
}

pub fn document(case_id: &str, id: &str, name: &str) -> Document {
    Document {
        id: id.into(),
        case_id: case_id.into(),
        name: name.into(),
        size: 12_345,
        sha256: "ab".repeat(32),
        media_type: "application/pdf".into(),
        location: DocumentLocation::S3 {
            bucket: "evidence".into(),
            key: format!("{case_id}/{name}"),
        },
        uploaded_by: "Ann Analyst".into(),
        uploaded_at: t0() + Duration::minutes(5),
    }
}

pub fn bundle(case: Case, comments: Vec<Comment>, documents: Vec<Document>) -> CaseBundle {
    CaseBundle {
        case,
        comments,
        documents,
    }
}

pub fn page(cases: Vec<CaseBundle>, cursor: &str) -> CasePage {
    CasePage {
        cases,
        next_cursor: cursor.into(),
        has_more: false,
    }
}

pub fn transaction(id: &str, failed: bool, sender: &str, receiver: &str, po: &str) -> Transaction {
    Transaction {
        transaction_id: id.into(),
        correlation_id: Some(format!("corr-{id}")),
        status: Some(if failed { "Failed" } else { "Delivered" }.into()),
        delivery_status: Some(
            if failed {
                "DeliveryFailed"
            } else {
                "Delivered"
            }
            .into(),
        ),
        edi_type: Some("850".into()),
        transaction_level: Some("Document".into()),
        sender_name: Some("Demo Retailer".into()),
        receiver_name: Some("Verona Vittles".into()),
        sender_address: Some(sender.into()),
        receiver_address: Some(receiver.into()),
        arrival_time: Some("2026-03-01T10:00:00Z".into()),
        error_code: if failed { Some("E-DELIV".into()) } else { None },
        error_type: None,
        external_error_message: if failed {
            Some("Recipient mailbox unavailable".into())
        } else {
            None
        },
        content_keys: vec![ContentKey {
            key: content_keys::PURCHASE_ORDER.into(),
            value: po.into(),
        }],
    }
}
