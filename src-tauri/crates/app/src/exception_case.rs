//! Turns a failed transaction from the exceptions inbox into a new case: the title, kind,
//! references and opening comment an analyst would otherwise type by hand.

use pd_domain::ErrorCode;
use pd_domain::{CaseKind, CaseReferences, ExceptionRow, NewCase, Priority};

use crate::error::AppError;

/// Longest title made from an error message.
const MAX_TITLE_CHARS: usize = 120;

/// What the document type means for the case.
pub fn kind_for_edi_type(edi_type: Option<&str>) -> CaseKind {
    match edi_type
        .map(str::trim)
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("850" | "855" | "860" | "865" | "ORDERS" | "ORDRSP" | "ORDCHG") => CaseKind::Order,
        Some("810" | "INVOIC") => CaseKind::Invoice,
        Some("856" | "DESADV" | "RECADV" | "861") => CaseKind::Shipment,
        _ => CaseKind::Other,
    }
}

/// The new case for `row`, with id `case_id`. Fails when the partner is unknown (a case belongs
/// to one partner).
pub fn new_case_from_exception(row: &ExceptionRow, case_id: String) -> Result<NewCase, AppError> {
    let transaction = &row.transaction;
    let partner_id = row.partner_id.clone().ok_or_else(|| {
        AppError::reported(
            ErrorCode::ExceptionNoPartner,
            format!(
                "Transaction {} has no known partner, so a case cannot be opened for it.",
                transaction.transaction_id
            ),
        )
    })?;
    let document = transaction.edi_type.as_deref().unwrap_or("Transaction");
    let number = row
        .po_number
        .as_deref()
        .map(|po| format!(" PO {po}"))
        .or_else(|| {
            row.invoice_number
                .as_deref()
                .map(|inv| format!(" invoice {inv}"))
        })
        .or_else(|| {
            row.shipment_number
                .as_deref()
                .map(|s| format!(" shipment {s}"))
        })
        .unwrap_or_default();
    let problem = transaction
        .external_error_message
        .as_deref()
        .or(transaction.error_code.as_deref())
        .or(transaction.delivery_status.as_deref())
        .unwrap_or("failed");
    let mut title = format!("{document}{number}: {problem}");
    if title.chars().count() > MAX_TITLE_CHARS {
        title = title.chars().take(MAX_TITLE_CHARS - 1).collect::<String>() + "…";
    }
    let mut description = format!(
        "Opened from the exceptions inbox for transaction {}.",
        transaction.transaction_id
    );
    for (label, value) in [
        ("Error code", transaction.error_code.as_deref()),
        ("Error", transaction.external_error_message.as_deref()),
        ("Delivery status", transaction.delivery_status.as_deref()),
        ("Arrived", transaction.arrival_time.as_deref()),
    ] {
        if let Some(value) = value {
            description.push_str(&format!("\n{label}: {value}"));
        }
    }
    Ok(NewCase {
        id: case_id,
        title,
        partner_id,
        partner_name: None,
        kind: kind_for_edi_type(transaction.edi_type.as_deref()),
        priority: Some(Priority::High),
        owner: None,
        sla_due: None,
        linked_transactions: vec![transaction.transaction_id.clone()],
        references: CaseReferences {
            po_numbers: row.po_number.iter().cloned().collect(),
            invoice_numbers: row.invoice_number.iter().cloned().collect(),
            shipment_numbers: row.shipment_number.iter().cloned().collect(),
        },
        description: Some(description),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pd_domain::Transaction;

    fn failed_po() -> ExceptionRow {
        ExceptionRow {
            transaction: Transaction {
                transaction_id: "TX-1".into(),
                correlation_id: None,
                status: Some("Failed".into()),
                delivery_status: Some("DeliveryFailed".into()),
                edi_type: Some("850".into()),
                transaction_level: Some("Document".into()),
                sender_name: Some("Acme".into()),
                receiver_name: Some("Demo Retailer".into()),
                sender_address: None,
                receiver_address: None,
                arrival_time: Some("2026-11-20T10:00:00Z".into()),
                error_code: Some("E107".into()),
                error_type: None,
                external_error_message: Some("Invalid ship-to location".into()),
                content_keys: vec![],
            },
            partner_id: Some("GC-ACME".into()),
            partner_name: Some("Acme".into()),
            po_number: Some("4500012345".into()),
            invoice_number: None,
            shipment_number: None,
            case_ids: vec![],
        }
    }

    #[test]
    fn a_failed_purchase_order_becomes_an_order_case_linked_to_it() {
        let case = new_case_from_exception(&failed_po(), "case-1".into()).expect("a case");
        assert_eq!(case.title, "850 PO 4500012345: Invalid ship-to location");
        assert_eq!(case.kind, CaseKind::Order);
        assert_eq!(case.partner_id, "GC-ACME");
        assert_eq!(case.linked_transactions, vec!["TX-1".to_owned()]);
        assert_eq!(case.references.po_numbers, vec!["4500012345".to_owned()]);
        let description = case.description.expect("a description");
        assert!(description.contains("E107"), "{description}");
    }

    #[test]
    fn a_huge_error_message_makes_a_bounded_title() {
        let mut row = failed_po();
        row.transaction.external_error_message = Some("é".repeat(100_000));
        let case = new_case_from_exception(&row, "case-1".into()).expect("a case");
        assert_eq!(case.title.chars().count(), MAX_TITLE_CHARS);
    }

    #[test]
    fn an_exception_without_a_known_partner_is_refused_clearly() {
        let mut row = failed_po();
        row.partner_id = None;
        let error = new_case_from_exception(&row, "case-1".into()).expect_err("refused");
        assert_eq!(error.code(), "exception.no_partner");
    }

    #[test]
    fn document_types_map_to_case_kinds() {
        assert_eq!(kind_for_edi_type(Some("INVOIC")), CaseKind::Invoice);
        assert_eq!(kind_for_edi_type(Some("856")), CaseKind::Shipment);
        assert_eq!(kind_for_edi_type(Some("997")), CaseKind::Other);
        assert_eq!(kind_for_edi_type(None), CaseKind::Other);
    }
}
