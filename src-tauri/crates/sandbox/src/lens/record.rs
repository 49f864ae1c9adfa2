//! A Lens transaction as the sandbox holds it: every Lens field as text plus its content keys,
//! and the catalog of field names the collection's "ALL FIELDS" queries select.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Every transaction field Lens knows (the union of the collection's "ALL FIELDS" and "Search
/// Box complicated" selections, plus `errorcount` used by its search strings).
pub const FIELDS: [&str; 66] = [
    "arrivaltime",
    "arrivaltimefacetdaily",
    "category",
    "clientsource",
    "clientstatus",
    "correlationid",
    "deliveryackstatus",
    "deliveryacktimestamp",
    "deliverycompletedtimestamp",
    "deliveryfilename",
    "deliveryreceipt",
    "deliverystatus",
    "editype",
    "envelopetype",
    "errorcode",
    "errorcount",
    "errortype",
    "externalerrormessage",
    "fastatus",
    "fastatusdate",
    "firstbytetimestamp",
    "inagent",
    "inboundpipelineid",
    "informat",
    "insize",
    "invoicetotalamount",
    "itinerarycompletedtimestamp",
    "labels",
    "lastbytetimestamp",
    "outagent",
    "outboundpipelineid",
    "outformat",
    "outsize",
    "parenttransactionid",
    "platform",
    "pototalamount",
    "processingcell",
    "processingcomputezone",
    "processingregion",
    "processingsubstatus",
    "processingtime",
    "processorid",
    "purgedate",
    "readyforpickuptimestamp",
    "receiveackstatus",
    "receivefilename",
    "receiveraddress",
    "receiverip",
    "receivermailbox",
    "receivername",
    "senderaddress",
    "senderfilename",
    "senderip",
    "sendermailbox",
    "sendername",
    "senderreference",
    "sendertransactionid",
    "servicetype",
    "solutionid",
    "standardversion",
    "status",
    "statusdate",
    "transactionid",
    "transactionlevel",
    "type",
    "ackcode",
];

/// Whether `name` is a Lens transaction field.
pub fn is_field(name: &str) -> bool {
    FIELDS.contains(&name)
}

/// One transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// Field name to value; an absent field is null on the wire.
    pub fields: HashMap<String, String>,
    /// Content keys in the order the document carries them.
    pub content_keys: Vec<(String, String)>,
}

impl TxRecord {
    /// A field's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// Sets a field.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.fields.insert(name.to_string(), value.into());
    }

    /// The transaction id.
    pub fn id(&self) -> &str {
        self.get("transactionid").unwrap_or_default()
    }

    /// A content key's value (names compare case-insensitively, as Lens does).
    pub fn content_key(&self, name: &str) -> Option<&str> {
        self.content_keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
