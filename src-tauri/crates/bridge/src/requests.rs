//! Importing partner requests as cases: a Wix form collection (queried by `_updatedDate` from
//! the cursor, oldest first) and a Drupal content type (JSON:API pages of 50 following
//! `links.next`, from the `changed` cursor). Each page's new requests and the cursor after it
//! are stored in one transaction; a request already imported (same item or node id) is skipped;
//! an item missing a field is kept aside with what is missing; a `links.next` that comes back to
//! a page already read stops the run with that said, keeping what was read.

use std::collections::HashSet;

use pd_connectors::{DrupalClient, WixClient};
use pd_domain::{CaseKind, ImportedRequest, OriginSource};
use pd_store::{AsideInput, AssignRule, CaseHome, IngestReport, Store};
use serde_json::{json, Value};

use crate::BridgeError;

/// The Wix importer's job name (cursor: the last `_updatedDate` imported).
pub const WIX_JOB: &str = "wix_requests";
/// The Drupal importer's job name (cursor: the last `changed` imported).
pub const DRUPAL_JOB: &str = "drupal_requests";

/// Items per Wix query page.
pub const WIX_PAGE: u32 = 50;
/// Nodes per JSON:API page (Drupal's maximum).
pub const DRUPAL_PAGE: u32 = 50;

fn add(total: &mut IngestReport, page: &IngestReport) {
    total.opened += page.opened;
    total.duplicates += page.duplicates;
    total.aside += page.aside;
}

fn kind_of(text: Option<&str>) -> Option<CaseKind> {
    match text?.trim().to_ascii_lowercase().as_str() {
        "shipment" => Some(CaseKind::Shipment),
        "invoice" => Some(CaseKind::Invoice),
        "order" => Some(CaseKind::Order),
        "compliance" | "validation" => Some(CaseKind::Compliance),
        "onboarding" => Some(CaseKind::Onboarding),
        "other" => Some(CaseKind::Other),
        _ => None,
    }
}

/// A Wix date field: `{"$date": "…"}` or a plain string.
fn wix_date(value: Option<&Value>) -> Option<String> {
    let value = value?;
    value
        .get("$date")
        .and_then(Value::as_str)
        .or_else(|| value.as_str())
        .map(str::to_owned)
}

fn text<'a>(data: &'a Value, name: &str) -> Option<&'a str> {
    data.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// One Wix form item as a request, or why it is kept aside.
pub fn wix_request(id: &str, data: &Value) -> Result<ImportedRequest, AsideInput> {
    let missing: Vec<&str> = ["title", "partnerId"]
        .into_iter()
        .filter(|f| text(data, f).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(AsideInput {
            item_type: Some("Wix form request".into()),
            dedup: Some(format!("wix|{id}")),
            item_id: Some(id.to_owned()),
            reason: format!(
                "The Wix item {id} lacks {}: no case was opened. Complete the submission in the Wix collection and it is imported again.",
                missing.join(" and ")
            ),
            body: data.to_string(),
        });
    }
    Ok(ImportedRequest {
        source: OriginSource::WixRequest,
        external_id: id.to_owned(),
        link: None,
        title: text(data, "title").unwrap_or_default().to_owned(),
        partner_id: text(data, "partnerId").unwrap_or_default().to_owned(),
        kind: kind_of(text(data, "kind")),
        description: text(data, "details").map(str::to_owned),
    })
}

/// Imports new requests from a Wix collection; answers what it did.
pub async fn import_wix(
    store: &Store,
    wix: &WixClient,
    connector_id: &str,
    collection: &str,
    home: CaseHome,
    rules: &[AssignRule],
) -> Result<IngestReport, BridgeError> {
    let mut total = IngestReport::default();
    let cursor = store.connector_cursor(connector_id, WIX_JOB)?;
    let mut offset = 0;
    loop {
        let filter = cursor
            .as_ref()
            .map(|c| json!({ "_updatedDate": { "$gte": { "$date": c } } }));
        let sort = json!([{ "fieldName": "_updatedDate", "order": "ASC" }]);
        let page = wix
            .query_items(collection, filter, Some(sort), WIX_PAGE, offset)
            .await?;
        if page.items.is_empty() {
            break;
        }
        let mut newest = cursor.clone().unwrap_or_default();
        let requests: Vec<_> = page
            .items
            .iter()
            .map(|item| {
                if let Some(date) = wix_date(item.data.get("_updatedDate")) {
                    if date > newest {
                        newest = date;
                    }
                }
                wix_request(&item.id, &item.data)
            })
            .collect();
        let report = store.import_requests(
            connector_id,
            home,
            &requests,
            rules,
            (WIX_JOB, &newest),
            chrono::Utc::now(),
        )?;
        add(&mut total, &report);
        if page.items.len() < WIX_PAGE as usize {
            break;
        }
        offset += WIX_PAGE;
    }
    Ok(total)
}

/// One Drupal request node as a request, or why it is kept aside.
pub fn drupal_request(
    root: &str,
    bundle: &str,
    id: &str,
    attributes: &Value,
) -> Result<ImportedRequest, AsideInput> {
    let missing: Vec<&str> = ["title", "field_pd_partner"]
        .into_iter()
        .filter(|f| text(attributes, f).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(AsideInput {
            item_type: Some(format!("Drupal {bundle}")),
            dedup: Some(format!("drupal|{id}")),
            item_id: Some(id.to_owned()),
            reason: format!(
                "The Drupal {bundle} node {id} lacks {}: no case was opened.",
                missing.join(" and ")
            ),
            body: attributes.to_string(),
        });
    }
    Ok(ImportedRequest {
        source: OriginSource::DrupalRequest,
        external_id: id.to_owned(),
        link: Some(format!(
            "{}/jsonapi/node/{bundle}/{id}",
            root.trim_end_matches('/')
        )),
        title: text(attributes, "title").unwrap_or_default().to_owned(),
        partner_id: text(attributes, "field_pd_partner")
            .unwrap_or_default()
            .to_owned(),
        kind: kind_of(text(attributes, "field_pd_kind")),
        description: attributes
            .pointer("/body/value")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// Imports new request nodes of `bundle`, following `links.next`.
pub async fn import_drupal(
    store: &Store,
    drupal: &DrupalClient,
    root: &str,
    connector_id: &str,
    bundle: &str,
    home: CaseHome,
    rules: &[AssignRule],
) -> Result<IngestReport, BridgeError> {
    let mut total = IngestReport::default();
    let cursor = store.connector_cursor(connector_id, DRUPAL_JOB)?;
    let mut page = drupal
        .list_changed_since(bundle, DRUPAL_PAGE, cursor.as_deref())
        .await?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut pages = 1u32;
    loop {
        let mut newest = cursor.clone().unwrap_or_default();
        let requests: Vec<_> = page
            .nodes
            .iter()
            .map(|node| {
                if let Some(changed) = node.attributes.get("changed").and_then(Value::as_str) {
                    if changed > newest.as_str() {
                        newest = changed.to_owned();
                    }
                }
                drupal_request(root, bundle, &node.id, &node.attributes)
            })
            .collect();
        let report = store.import_requests(
            connector_id,
            home,
            &requests,
            rules,
            (DRUPAL_JOB, &newest),
            chrono::Utc::now(),
        )?;
        add(&mut total, &report);
        let Some(next) = page.next.clone() else {
            break;
        };
        if !seen.insert(next.clone()) {
            return Err(BridgeError::Loop(format!(
                "Drupal's next-page link leads back to a page already read ({next}); the import stopped after {pages} pages. What was read is kept ({} new cases); ask the site's administrator to check its JSON:API paging.",
                total.opened
            )));
        }
        page = drupal.list_nodes(bundle, DRUPAL_PAGE, Some(&next)).await?;
        pages += 1;
    }
    Ok(total)
}
