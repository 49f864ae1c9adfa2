//! The Wix client (partner notices, imported requests) and its connection test: the Data Items
//! API (`POST /wix-data/v2/items`, `PUT /wix-data/v2/items/{id}`, `POST
//! /wix-data/v2/items/query`) with the API key in `Authorization` and the site in
//! `wix-site-id`, as Wix documents for API-key calls. The test is one read-only call of the
//! Data Collections API (`GET /wix-data/v2/collections`).

use pd_domain::{ConnectionTestResult, WixSettings};
use serde_json::{json, Value};

use crate::error::{into_result, server_text, ConnectorError};
use crate::http::{exchange, json_message, when_again, Answer};
use crate::net::{http_client, parse_url, resolve, Target};
use crate::ConnectorOptions;

/// Wix's REST API host.
pub const WIX_API_BASE: &str = "https://www.wixapis.com";

/// Tests a Wix connector with the default [`ConnectorOptions`].
pub async fn test_wix(config: &WixSettings, api_key: Option<&str>) -> ConnectionTestResult {
    test_wix_with(config, api_key, &ConnectorOptions::default()).await
}

/// Tests a Wix connector against [`ConnectorOptions::wix_api_base`]: lists one data collection.
pub async fn test_wix_with(
    config: &WixSettings,
    api_key: Option<&str>,
    options: &ConnectorOptions,
) -> ConnectionTestResult {
    into_result(run(config, api_key, options).await)
}

async fn run(
    config: &WixSettings,
    api_key: Option<&str>,
    options: &ConnectorOptions,
) -> Result<String, ConnectorError> {
    WixClient::new(config, api_key, options)?.test().await
}

fn checked<'a>(
    config: &'a WixSettings,
    api_key: Option<&'a str>,
) -> Result<(&'a str, &'a str), ConnectorError> {
    let site = config.site_id.trim();
    if site.is_empty() {
        return Err(ConnectorError::InvalidInput(
            "Enter the Wix site ID (it follows /dashboard/ in the address of the site's dashboard)."
                .into(),
        ));
    }
    if !site.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(ConnectorError::InvalidInput(format!(
            "\"{}\" is not a Wix site ID: it looks like 1a2b3c4d-…, the part after /dashboard/ in the dashboard's address.",
            server_text(site)
        )));
    }
    let api_key = match api_key.map(str::trim) {
        Some(key) if !key.is_empty() => key,
        _ => {
            return Err(ConnectorError::InvalidInput(
                "No Wix API key is stored: enter it and test again.".into(),
            ))
        }
    };
    Ok((site, api_key))
}

/// One item of a Wix data collection.
#[derive(Debug, Clone, PartialEq)]
pub struct WixItem {
    /// The item id (`dataItem.id`).
    pub id: String,
    /// The item's fields (`dataItem.data`), system fields (`_id`, `_updatedDate`) included.
    pub data: Value,
}

/// One page of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct WixPage {
    /// The items.
    pub items: Vec<WixItem>,
    /// The total, when Wix counted it.
    pub total: Option<u64>,
}

/// A client for one Wix site's data collections.
#[derive(Clone)]
pub struct WixClient {
    http: reqwest::Client,
    root: String,
    target: Target,
    site: String,
    api_key: String,
    options: ConnectorOptions,
}

impl std::fmt::Debug for WixClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WixClient")
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

impl WixClient {
    /// Checks the settings and the API key (no network yet).
    pub fn new(
        config: &WixSettings,
        api_key: Option<&str>,
        options: &ConnectorOptions,
    ) -> Result<Self, ConnectorError> {
        let (site, api_key) = checked(config, api_key)?;
        let base = parse_url(&options.wix_api_base, "Wix API address")?;
        let target = Target::of(&base, "Wix API address")?;
        Ok(Self {
            http: http_client(options.timeout)?,
            root: base.as_str().trim_end_matches('/').to_owned(),
            target,
            site: site.to_owned(),
            api_key: api_key.to_owned(),
            options: options.clone(),
        })
    }

    /// "Test connection": one read-only call of the Data Collections API
    /// (`GET /wix-data/v2/collections`), naming what failed.
    pub async fn test(&self) -> Result<String, ConnectorError> {
        resolve(&self.target.host, self.target.port, self.options.timeout).await?;
        let site = &self.site;
        let url = format!("{}/wix-data/v2/collections?paging.limit=1", self.root);
        let step = "listing data collections";
        let Answer { status, body, .. } = exchange(
            self.http
                .get(&url)
                .header("authorization", &self.api_key)
                .header("wix-site-id", &self.site)
                .header("accept", "application/json"),
            &self.target,
            self.options.timeout,
            step,
        )
        .await?;
        let said = said(&body);
        match status {
            200..=299 => {
                let parsed: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
                    ConnectorError::Unexpected(format!(
                        "{} answered, but not with Wix data (the answer is not JSON). Check the Wix API address.",
                        self.target.host
                    ))
                })?;
                if parsed.get("collections").is_some_and(serde_json::Value::is_array) {
                    Ok(format!(
                        "Signed in to Wix site {site} with the API key; its data collections are readable."
                    ))
                } else {
                    Err(ConnectorError::Unexpected(format!(
                        "{} answered, but without the site's data collections. Check the Wix API address.",
                        self.target.host
                    )))
                }
            }
            401 => Err(ConnectorError::Unauthorized(format!(
                "Wix refused the API key (HTTP 401). Enter the key again, or create a new one in the Wix API Keys Manager.{said}"
            ))),
            403 => Err(ConnectorError::Forbidden(format!(
                "Wix accepted the API key but it may not read the data collections of site {site} (HTTP 403). \
                 Give the key the \"Manage Data Collections\" permission, and check that it belongs to the site owner's account.{said}"
            ))),
            404 => Err(ConnectorError::NotFound(format!(
                "Wix does not know the site {site} (HTTP 404). Copy the site ID from the address of the site's dashboard (after /dashboard/).{said}"
            ))),
            400 => Err(ConnectorError::InvalidInput(format!(
                "Wix refused the request for site {site} as invalid (HTTP 400).{said}"
            ))),
            other => Err(ConnectorError::Unexpected(format!(
                "Wix answered HTTP {other} for site {site}; try again later.{said}"
            ))),
        }
    }

    /// Inserts an item into `collection`; returns it as Wix stored it (with its new id).
    pub async fn insert_item(
        &self,
        collection: &str,
        data: Value,
    ) -> Result<WixItem, ConnectorError> {
        check_collection(collection)?;
        let body = json!({ "dataCollectionId": collection, "dataItem": { "data": data } });
        let answer = self
            .call(
                reqwest::Method::POST,
                "/wix-data/v2/items",
                &body,
                collection,
            )
            .await?;
        item_of(answer.get("dataItem"), &self.target.host)
    }

    /// Inserts an item with the id PartnerDesk chose: a repeat (the first answer was lost) is
    /// refused by Wix as existing (HTTP 409, `ALREADY_EXISTS`), which is how a retry knows the
    /// item is there and replaces it instead.
    pub async fn insert_item_with_id(
        &self,
        collection: &str,
        id: &str,
        data: Value,
    ) -> Result<WixItem, ConnectorError> {
        check_collection(collection)?;
        check_collection(id)?;
        let body =
            json!({ "dataCollectionId": collection, "dataItem": { "id": id, "data": data } });
        let answer = self
            .call(
                reqwest::Method::POST,
                "/wix-data/v2/items",
                &body,
                collection,
            )
            .await?;
        item_of(answer.get("dataItem"), &self.target.host)
    }

    /// Replaces item `id` of `collection` with `data` (Wix replaces the whole item).
    pub async fn update_item(
        &self,
        collection: &str,
        id: &str,
        data: Value,
    ) -> Result<WixItem, ConnectorError> {
        check_collection(collection)?;
        check_collection(id)?;
        let body = json!({
            "dataCollectionId": collection,
            "dataItem": { "id": id, "dataCollectionId": collection, "data": data }
        });
        let answer = self
            .call(
                reqwest::Method::PUT,
                &format!("/wix-data/v2/items/{id}"),
                &body,
                collection,
            )
            .await?;
        item_of(answer.get("dataItem"), &self.target.host)
    }

    /// Queries `collection`: `filter` and `sort` in Wix's query language (e.g.
    /// `{"_updatedDate": {"$gt": ...}}`, `[{"fieldName": "_updatedDate", "order": "ASC"}]`),
    /// `limit` items from `offset`.
    pub async fn query_items(
        &self,
        collection: &str,
        filter: Option<Value>,
        sort: Option<Value>,
        limit: u32,
        offset: u32,
    ) -> Result<WixPage, ConnectorError> {
        check_collection(collection)?;
        let mut query = json!({ "paging": { "limit": limit.clamp(1, 1000), "offset": offset } });
        if let Some(filter) = filter {
            query["filter"] = filter;
        }
        if let Some(sort) = sort {
            query["sort"] = sort;
        }
        let body = json!({ "dataCollectionId": collection, "query": query });
        let answer = self
            .call(
                reqwest::Method::POST,
                "/wix-data/v2/items/query",
                &body,
                collection,
            )
            .await?;
        let Some(items) = answer.get("dataItems").and_then(Value::as_array) else {
            return Err(ConnectorError::Unexpected(format!(
                "{} answered the query without dataItems. Check the Wix API address.",
                self.target.host
            )));
        };
        Ok(WixPage {
            items: items
                .iter()
                .map(|item| item_of(Some(item), &self.target.host))
                .collect::<Result<_, _>>()?,
            total: answer
                .pointer("/pagingMetadata/total")
                .and_then(Value::as_u64),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
        collection: &str,
    ) -> Result<Value, ConnectorError> {
        let step = "calling the Wix Data Items API";
        let Answer {
            status,
            body: text,
            retry_after,
        } = exchange(
            self.http
                .request(method, format!("{}{path}", self.root))
                .header("authorization", &self.api_key)
                .header("wix-site-id", &self.site)
                .header("accept", "application/json")
                .json(body),
            &self.target,
            self.options.timeout,
            step,
        )
        .await?;
        let said = said(&text);
        let site = &self.site;
        let collection = server_text(collection);
        match status {
            200..=299 => serde_json::from_str(&text).map_err(|_| {
                ConnectorError::Unexpected(format!(
                    "{} answered, but not with Wix data (the answer is not JSON).",
                    self.target.host
                ))
            }),
            401 => Err(ConnectorError::Unauthorized(format!(
                "Wix refused the API key (HTTP 401). Enter the key again, or create a new one in the Wix API Keys Manager.{said}"
            ))),
            403 => Err(ConnectorError::Forbidden(format!(
                "The API key may not change items of collection {collection} on site {site} (HTTP 403). Give the key the \"Manage Data Items\" permission.{said}"
            ))),
            404 => Err(ConnectorError::NotFound(format!(
                "Wix found no collection or item {collection} on site {site} (HTTP 404).{said}"
            ))),
            409 => Err(ConnectorError::Conflict(format!(
                "Wix already holds that item in collection {collection} (HTTP 409).{said}"
            ))),
            429 => Err(ConnectorError::RateLimited {
                message: format!(
                    "Wix asks to slow down (HTTP 429); PartnerDesk will try again {}.{said}",
                    when_again(retry_after)
                ),
                retry_after,
            }),
            400 => Err(ConnectorError::InvalidInput(format!(
                "Wix refused the item for collection {collection} as invalid (HTTP 400).{said}"
            ))),
            other => Err(ConnectorError::Unexpected(format!(
                "Wix answered HTTP {other} for collection {collection}; try again later.{said}"
            ))),
        }
    }
}

fn check_collection(id: &str) -> Result<(), ConnectorError> {
    if id.is_empty()
        || id.len() > 256
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '@'))
        || id.contains("..")
    {
        return Err(ConnectorError::InvalidInput(format!(
            "\"{}\" is not a Wix collection or item id.",
            server_text(id)
        )));
    }
    Ok(())
}

fn item_of(item: Option<&Value>, host: &str) -> Result<WixItem, ConnectorError> {
    let item = item.ok_or_else(|| {
        ConnectorError::Unexpected(format!("{host} answered without the data item."))
    })?;
    let id = item
        .get("id")
        .and_then(Value::as_str)
        .or_else(|| item.pointer("/data/_id").and_then(Value::as_str))
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ConnectorError::Unexpected(format!("{host} answered with a data item without an id."))
        })?;
    Ok(WixItem {
        id: id.to_owned(),
        data: item.get("data").cloned().unwrap_or(Value::Null),
    })
}

/// Wix's own words from an error body, as a sentence to append.
fn said(body: &str) -> String {
    json_message(body)
        .map(|message| format!(" Wix said: \"{message}\""))
        .unwrap_or_default()
}
