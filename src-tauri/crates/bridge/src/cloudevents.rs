//! Reading CloudEvents 1.0 (JSON format, structured mode) as the xConnector contract
//! (`src-tauri/crates/bridge/contract/xconnector.asyncapi.yaml`) defines them, and writing the outbound ones. Reading never
//! fails an item silently: an event that cannot be used becomes an [`AsideInput`] saying why,
//! kept and listed; only a body that is not JSON at all, or too large, is refused whole.

use chrono::{DateTime, Utc};
use pd_domain::{CaseKind, OutboundEvent, Partner};
use pd_store::{AsideInput, ExceptionEvent, ExceptionState, Inbound, PartnerEvent};
use serde_json::{json, Map, Value};

/// The largest single event read; a larger one is kept aside unread (its start is kept).
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// The event types of transaction exceptions, and the case kind each opens.
pub const EXCEPTION_TYPES: [(&str, CaseKind); 4] = [
    (
        "com.opentext.tradinggrid.exception.shipment.v1",
        CaseKind::Shipment,
    ),
    (
        "com.opentext.tradinggrid.exception.invoice.v1",
        CaseKind::Invoice,
    ),
    (
        "com.opentext.tradinggrid.exception.order.v1",
        CaseKind::Order,
    ),
    (
        "com.opentext.tradinggrid.exception.validation.v1",
        CaseKind::Compliance,
    ),
];

/// The event type of partner master-data updates.
pub const PARTNER_TYPE: &str = "com.opentext.tradinggrid.partner.updated.v1";

/// The `source` PartnerDesk's outbound events carry.
pub const OUTBOUND_SOURCE: &str = "urn:opentext:partnerdesk";

/// How the reason for an event of an unknown type starts.
pub const UNKNOWN_TYPE: &str = "Unknown event type";

/// A body that is refused whole, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a body holding one event (`application/cloudevents+json`) or a batch (a JSON array,
/// `application/cloudevents-batch+json`). Each element is classified; only a body that is not
/// JSON is refused.
pub fn read_body(body: &[u8]) -> Result<Vec<Inbound>, Refused> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Refused(format!(
            "The body is not JSON ({e}); a CloudEvent in structured mode is one JSON object, a batch a JSON array of them."
        ))
    })?;
    Ok(match value {
        Value::Array(items) => items.into_iter().map(read_value).collect(),
        other => vec![read_value(other)],
    })
}

/// Classifies one element of a batch or feed page.
pub fn read_value(value: Value) -> Inbound {
    let size = value.to_string().len();
    let Value::Object(event) = value else {
        return aside(
            None,
            None,
            None,
            "This item is not a JSON object, so it is not a CloudEvent.".into(),
            &value,
        );
    };
    let text = |name: &str| event.get(name).and_then(Value::as_str).map(str::to_owned);
    let (id, source, kind) = (text("id"), text("source"), text("type"));
    let dedup = match (&source, &id) {
        (Some(s), Some(i)) => Some(format!("{s}|{i}")),
        _ => None,
    };
    let keep = |reason: String| {
        aside(
            kind.clone(),
            id.clone(),
            dedup.clone(),
            reason,
            &Value::Object(event.clone()),
        )
    };
    if size > MAX_EVENT_BYTES {
        return keep(format!(
            "The event is {size} bytes; events up to {} KB are read. It was kept aside unread.",
            MAX_EVENT_BYTES / 1024
        ));
    }
    match event.get("specversion").and_then(Value::as_str) {
        Some("1.0") => {}
        Some(other) => {
            return keep(format!(
                "CloudEvents spec version {other:?} is not read; PartnerDesk reads version 1.0."
            ))
        }
        None => return keep("The event has no specversion; it is not a CloudEvent.".into()),
    }
    let missing: Vec<&str> = [("id", &id), ("source", &source), ("type", &kind)]
        .into_iter()
        .filter(|(_, v)| v.as_deref().is_none_or(|v| v.trim().is_empty()))
        .map(|(n, _)| n)
        .collect();
    if !missing.is_empty() {
        return keep(format!(
            "The event lacks the required attribute{} {}.",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
        ));
    }
    let (id, source, kind) = (
        id.clone().unwrap_or_default(),
        source.unwrap_or_default(),
        kind.clone().unwrap_or_default(),
    );
    if let Some(ct) = event.get("datacontenttype").and_then(Value::as_str) {
        if !ct.starts_with("application/json") {
            return keep(format!(
                "The event's data is {ct}; PartnerDesk reads application/json data."
            ));
        }
    }
    let time = match event.get("time").and_then(Value::as_str) {
        Some(t) => match DateTime::parse_from_rfc3339(t) {
            Ok(t) => t.with_timezone(&Utc),
            Err(_) => {
                return keep(format!(
                    "The event time {t:?} is not an RFC 3339 timestamp."
                ))
            }
        },
        None => {
            return keep(
                "The event has no time; PartnerDesk orders events by it, so it is required.".into(),
            )
        }
    };
    let empty = Map::new();
    let data = event
        .get("data")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if let Some((_, case_kind)) = EXCEPTION_TYPES.iter().find(|(t, _)| *t == kind) {
        return match exception(data, *case_kind) {
            Ok(fields) => Inbound::Exception(ExceptionEvent {
                source,
                id,
                event_type: kind,
                time,
                correlation_id: fields.correlation_id,
                partner_id: fields.partner_id,
                partner_name: fields.partner_name,
                kind: *case_kind,
                state: fields.state,
                summary: fields.summary,
                detail: fields.detail,
            }),
            Err(reason) => keep(reason),
        };
    }
    if kind == PARTNER_TYPE {
        return match partner(data) {
            Ok((partner, extra)) => Inbound::Partner(PartnerEvent {
                source,
                id,
                event_type: kind,
                time,
                partner,
                extra,
            }),
            Err(reason) => keep(reason),
        };
    }
    keep(format!(
        "{UNKNOWN_TYPE} {kind:?}: kept aside, not processed. PartnerDesk reads the types in its xConnector contract."
    ))
}

fn aside(
    item_type: Option<String>,
    item_id: Option<String>,
    dedup: Option<String>,
    reason: String,
    body: &Value,
) -> Inbound {
    let mut text = body.to_string();
    if text.len() > pd_store::ASIDE_EXCERPT_BYTES * 2 {
        let mut cut = pd_store::ASIDE_EXCERPT_BYTES * 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    Inbound::Aside(AsideInput {
        item_type,
        dedup,
        item_id,
        reason,
        body: text,
    })
}

/// Keeps a body that could not be read at all (for the listener: nothing received is lost).
pub fn unreadable(body: &[u8], reason: &str) -> Inbound {
    let cut = body.len().min(pd_store::ASIDE_EXCERPT_BYTES);
    Inbound::Aside(AsideInput {
        item_type: None,
        dedup: None,
        item_id: None,
        reason: reason.to_owned(),
        body: String::from_utf8_lossy(&body[..cut]).into_owned(),
    })
}

struct ExceptionFields {
    correlation_id: String,
    partner_id: String,
    partner_name: Option<String>,
    state: ExceptionState,
    summary: String,
    detail: Option<String>,
}

fn required<'a>(data: &'a Map<String, Value>, name: &str, what: &str) -> Result<&'a str, String> {
    data.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("The {what} event's data lacks {name}."))
}

fn exception(data: &Map<String, Value>, _kind: CaseKind) -> Result<ExceptionFields, String> {
    let what = "transaction exception";
    let state = match required(data, "state", what)? {
        "failed" => ExceptionState::Failed,
        "retrying" => ExceptionState::Retrying,
        "recovered" => ExceptionState::Recovered,
        other => {
            return Err(format!(
                "The transaction exception's state {other:?} is not failed, retrying or recovered."
            ))
        }
    };
    let summary = required(data, "summary", what)?;
    if summary.chars().count() > 500 {
        return Err("The transaction exception's summary is longer than 500 characters.".into());
    }
    Ok(ExceptionFields {
        correlation_id: required(data, "correlationId", what)?.to_owned(),
        partner_id: required(data, "partnerId", what)?.to_owned(),
        partner_name: data
            .get("partnerName")
            .and_then(Value::as_str)
            .map(str::to_owned),
        state,
        summary: summary.to_owned(),
        detail: data
            .get("detail")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

fn partner(data: &Map<String, Value>) -> Result<(Partner, Value), String> {
    let what = "partner master data";
    let id = required(data, "partnerId", what)?;
    let name = required(data, "name", what)?;
    let ids: Vec<String> = data
        .get("ids")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let partner = Partner {
        partner_company_id: id.to_owned(),
        partner_company_name: name.to_owned(),
        trading_addresses: ids,
        status: data
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("Active")
            .to_owned(),
        country_code: data
            .get("country")
            .and_then(Value::as_str)
            .map(str::to_owned),
        contact_email: data
            .get("contactEmail")
            .and_then(Value::as_str)
            .map(str::to_owned),
    };
    let extra = json!({
        "shipTo": data.get("shipTo").cloned().unwrap_or(Value::Array(Vec::new())),
        "contacts": data.get("contacts").cloned().unwrap_or(Value::Array(Vec::new())),
    });
    Ok((partner, extra))
}

/// The CloudEvent PartnerDesk sends for a case change; its `id` is the outbox operation id, so
/// a resend after a lost answer carries the same id.
pub fn outbound(event: &OutboundEvent, op_id: &str) -> Value {
    let mut data = serde_json::to_value(&event.change).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut data {
        map.insert("caseId".into(), json!(event.case_id));
        map.insert("caseReference".into(), json!(event.case_reference));
        if let Some(c) = &event.correlation_id {
            map.insert("correlationId".into(), json!(c));
        }
    }
    json!({
        "specversion": "1.0",
        "id": op_id,
        "source": OUTBOUND_SOURCE,
        "type": event.change.event_type(),
        "subject": event.case_id,
        "time": event.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "datacontenttype": "application/json",
        "data": data,
    })
}
