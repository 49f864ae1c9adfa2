//! The Wix connection test: one authenticated, read-only call of the Wix Data Collections API
//! (`GET /wix-data/v2/collections`) with the API key in `Authorization` and the site in
//! `wix-site-id`, as Wix documents for API-key calls.

use pd_domain::ConnectionTestResult;
use pd_settings::WixConfig;

use crate::error::{into_result, server_text, ConnectorError};
use crate::http::{json_message, read_capped};
use crate::net::{http_client, http_failure, parse_url, resolve, Target};
use crate::TestOptions;

/// Wix's REST API host.
pub const WIX_API_BASE: &str = "https://www.wixapis.com";

/// Tests a Wix connector with the default [`TestOptions`].
pub async fn test_wix(config: &WixConfig, api_key: Option<&str>) -> ConnectionTestResult {
    test_wix_with(config, api_key, &TestOptions::default()).await
}

/// Tests a Wix connector against [`TestOptions::wix_api_base`]: lists one data collection.
pub async fn test_wix_with(
    config: &WixConfig,
    api_key: Option<&str>,
    options: &TestOptions,
) -> ConnectionTestResult {
    into_result(run(config, api_key, options).await)
}

async fn run(
    config: &WixConfig,
    api_key: Option<&str>,
    options: &TestOptions,
) -> Result<String, ConnectorError> {
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
    let base = parse_url(&options.wix_api_base, "Wix API address")?;
    let target = Target::of(&base, "Wix API address")?;
    resolve(&target.host, target.port, options.timeout).await?;
    let url = format!(
        "{}/wix-data/v2/collections?paging.limit=1",
        base.as_str().trim_end_matches('/')
    );
    let client = http_client(options.timeout)?;
    let step = "listing data collections";
    let response = client
        .get(&url)
        .header("authorization", api_key)
        .header("wix-site-id", site)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|error| http_failure(&error, &target, options.timeout, step))?;
    let status = response.status();
    let body = read_capped(response)
        .await
        .map_err(|error| http_failure(&error, &target, options.timeout, step))?;
    let said = json_message(&body)
        .map(|message| format!(" Wix said: \"{message}\""))
        .unwrap_or_default();
    match status.as_u16() {
        200..=299 => {
            let parsed: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
                ConnectorError::Unexpected(format!(
                    "{} answered, but not with Wix data (the answer is not JSON). Check the Wix API address.",
                    target.host
                ))
            })?;
            if parsed.get("collections").is_some_and(serde_json::Value::is_array) {
                Ok(format!(
                    "Signed in to Wix site {site} with the API key; its data collections are readable."
                ))
            } else {
                Err(ConnectorError::Unexpected(format!(
                    "{} answered, but without the site's data collections. Check the Wix API address.",
                    target.host
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
