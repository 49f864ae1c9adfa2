//! A Trading Grid transaction as Lens reports it, kept in the cache so the exceptions inbox and
//! the links from cases work offline.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One `contentkeys { key value }` pair, e.g. `purchase order number = CV-1001`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ContentKey {
    /// The content key name as Lens spells it ("purchase order number").
    pub key: String,
    /// Its value in this transaction.
    pub value: String,
}

/// Content key names PartnerDesk asks Lens for and matches cases on.
pub mod content_keys {
    /// X12 BEG03 / EDIFACT BGM: the buyer's order number.
    pub const PURCHASE_ORDER: &str = "purchase order number";
    /// X12 BIG02 / EDIFACT INVOIC BGM.
    pub const INVOICE: &str = "invoice number";
    /// X12 BSN02 / EDIFACT DESADV BGM.
    pub const SHIPMENT: &str = "shipment identification";
    /// The names requested with every exceptions-inbox query.
    pub const INBOX: [&str; 3] = [PURCHASE_ORDER, INVOICE, SHIPMENT];
}

/// A transaction with the Lens fields PartnerDesk caches. Field names follow Lens's own
/// (all lower case) on the wire; the UI sees camelCase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// Lens `transactionid`.
    pub transaction_id: String,
    /// Lens `correlationid`: groups the envelope, document and acknowledgement levels.
    pub correlation_id: Option<String>,
    /// Lens `status`, e.g. "Delivered", "Failed", "InProcess".
    pub status: Option<String>,
    /// Lens `deliverystatus`, e.g. "Delivered", "DeliveryFailed", "PartiallyFailed".
    pub delivery_status: Option<String>,
    /// Lens `editype`, e.g. "850", "810", "856", "ORDERS", "INVOIC", "DESADV", "997".
    pub edi_type: Option<String>,
    /// Lens `transactionlevel`: "Envelope", "Group" or "Document".
    pub transaction_level: Option<String>,
    /// Lens `sendername`.
    pub sender_name: Option<String>,
    /// Lens `receivername`.
    pub receiver_name: Option<String>,
    /// Lens `senderaddress`, e.g. `ZZ:DEMORETAILER`.
    pub sender_address: Option<String>,
    /// Lens `receiveraddress`.
    pub receiver_address: Option<String>,
    /// Lens `arrivaltime`, RFC 3339.
    pub arrival_time: Option<String>,
    /// Lens `errorcode`.
    pub error_code: Option<String>,
    /// Lens `errortype`.
    pub error_type: Option<String>,
    /// Lens `externalerrormessage`.
    pub external_error_message: Option<String>,
    /// Lens `contentkeys(names: [...])`.
    #[serde(default)]
    pub content_keys: Vec<ContentKey>,
}

impl Transaction {
    /// The value of one content key, if the transaction carries it.
    pub fn content_key(&self, name: &str) -> Option<&str> {
        self.content_keys
            .iter()
            .find(|k| k.key.eq_ignore_ascii_case(name))
            .map(|k| k.value.as_str())
    }

    /// Whether Lens reports this transaction as failed or not delivered: what puts it in the
    /// exceptions inbox.
    pub fn is_exception(&self) -> bool {
        let failed_status = self
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("failed") || s.eq_ignore_ascii_case("f"));
        let failed_delivery = self.delivery_status.as_deref().is_some_and(|s| {
            matches!(
                s,
                "DeliveryFailed" | "PartiallyFailed" | "PartiallyDelivered"
            )
        });
        failed_status
            || failed_delivery
            || self.error_code.as_deref().is_some_and(|c| !c.is_empty())
    }
}
