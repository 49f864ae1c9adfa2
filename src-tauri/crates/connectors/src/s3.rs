//! The S3 connection test: one signed `ListObjectsV2` request for a single key proves at once
//! that the endpoint answers, that the access key and secret are accepted, and that the bucket
//! exists and may be listed.

use pd_domain::ConnectionTestResult;
use pd_settings::S3Config;

use crate::error::{into_result, server_text, ConnectorError};
use crate::http::read_capped;
use crate::net::{http_client, http_failure, parse_url, resolve, Target};
use crate::sigv4::{self, SigningInput, EMPTY_PAYLOAD_SHA256};
use crate::TestOptions;

/// Tests an S3 (or S3-compatible) connector with the default [`TestOptions`].
pub async fn test_s3(config: &S3Config, secret_access_key: Option<&str>) -> ConnectionTestResult {
    test_s3_with(config, secret_access_key, &TestOptions::default()).await
}

/// Tests an S3 connector: `GET /{bucket}?list-type=2&max-keys=1`, path-style, signed with
/// AWS Signature Version 4, against the endpoint or `https://s3.{region}.amazonaws.com`.
pub async fn test_s3_with(
    config: &S3Config,
    secret_access_key: Option<&str>,
    options: &TestOptions,
) -> ConnectionTestResult {
    into_result(run(config, secret_access_key, options).await)
}

async fn run(
    config: &S3Config,
    secret_access_key: Option<&str>,
    options: &TestOptions,
) -> Result<String, ConnectorError> {
    let bucket = config.bucket.trim();
    let region = config.region.trim();
    let access_key_id = config.access_key_id.trim();
    if bucket.is_empty() {
        return Err(ConnectorError::InvalidInput(
            "Enter the bucket name.".into(),
        ));
    }
    if bucket.contains('/') || bucket.chars().any(char::is_whitespace) {
        return Err(ConnectorError::InvalidInput(format!(
            "\"{}\" is not a bucket name: enter the name alone, without slashes or spaces.",
            server_text(bucket)
        )));
    }
    if region.is_empty() {
        return Err(ConnectorError::InvalidInput(
            "Enter the region (for example eu-central-1).".into(),
        ));
    }
    if access_key_id.is_empty() {
        return Err(ConnectorError::InvalidInput(
            "Enter the access key id.".into(),
        ));
    }
    let secret = match secret_access_key {
        Some(secret) if !secret.is_empty() => secret,
        _ => {
            return Err(ConnectorError::InvalidInput(format!(
                "No secret access key is stored for access key {access_key_id}: enter it and test again."
            )))
        }
    };

    let endpoint = match config.endpoint.as_deref().map(str::trim) {
        Some(endpoint) if !endpoint.is_empty() => endpoint.to_owned(),
        _ => format!("https://s3.{region}.amazonaws.com"),
    };
    let base = parse_url(&endpoint, "S3 endpoint")?;
    let target = Target::of(&base, "S3 endpoint")?;
    resolve(&target.host, target.port, options.timeout).await?;

    let path = format!("{}/{bucket}", base.path().trim_end_matches('/'));
    let query = [("list-type", "2"), ("max-keys", "1")];
    let host_header = match base.port() {
        Some(port) => format!("{}:{port}", authority_host(&base)),
        None => authority_host(&base),
    };
    let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let headers = [
        ("host", host_header.as_str()),
        ("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256),
        ("x-amz-date", amz_date.as_str()),
    ];
    let signing = SigningInput {
        method: "GET",
        path: &path,
        query: &query,
        headers: &headers,
        payload_sha256: EMPTY_PAYLOAD_SHA256,
        region,
        service: "s3",
        amz_date: &amz_date,
        access_key_id,
        secret_access_key: secret,
    };
    let authorization = sigv4::authorization(&signing);
    let url = format!(
        "{}://{host_header}{}?{}",
        base.scheme(),
        sigv4::uri_encode(&path, true),
        sigv4::canonical_query(&query)
    );

    let client = http_client(options.timeout)?;
    let step = "listing the bucket";
    let response = client
        .get(&url)
        .header("x-amz-content-sha256", EMPTY_PAYLOAD_SHA256)
        .header("x-amz-date", &amz_date)
        .header("authorization", authorization)
        .send()
        .await
        .map_err(|error| http_failure(&error, &target, options.timeout, step))?;
    let status = response.status();
    let body = read_capped(response)
        .await
        .map_err(|error| http_failure(&error, &target, options.timeout, step))?;
    let where_ = format!("{}:{}", target.host, target.port);

    if status.is_success() {
        if body.contains("<ListBucketResult") {
            return Ok(format!(
                "Signed in to S3 at {where_} with access key {access_key_id}; bucket \"{bucket}\" is readable."
            ));
        }
        return Err(ConnectorError::Unexpected(format!(
            "{where_} answered, but not as S3 does (no bucket listing came back). Check the endpoint URL."
        )));
    }

    let code = xml_element(&body, "Code").unwrap_or_default();
    let message = xml_element(&body, "Message")
        .map(|message| format!(" The server said: \"{}\"", server_text(&message)))
        .unwrap_or_default();
    Err(match code.as_str() {
        "InvalidAccessKeyId" => ConnectorError::Unauthorized(format!(
            "S3 at {where_} does not know the access key id {access_key_id}. Check the access key id."
        )),
        "NotSignedUp" => ConnectorError::Unauthorized(format!(
            "S3 at {where_} does not accept access key {access_key_id}: its account is not signed up for S3 there. Check the access key id and the endpoint."
        )),
        "SignatureDoesNotMatch" => ConnectorError::Unauthorized(format!(
            "S3 at {where_} refused the secret access key of access key {access_key_id}. Enter the secret again."
        )),
        "NoSuchBucket" => ConnectorError::NotFound(format!(
            "The bucket \"{bucket}\" does not exist at {where_}. Check the bucket name and the endpoint."
        )),
        "AccessDenied" | "AllAccessDisabled" | "AccountProblem" => ConnectorError::Forbidden(format!(
            "Access key {access_key_id} was accepted but may not list the bucket \"{bucket}\" (it needs s3:ListBucket).{message}"
        )),
        "AuthorizationHeaderMalformed" | "PermanentRedirect" | "IllegalLocationConstraintException" => {
            ConnectorError::InvalidInput(format!(
                "The bucket \"{bucket}\" is not in region \"{region}\" or not at this endpoint. Check the region.{message}"
            ))
        }
        "RequestTimeTooSkewed" => ConnectorError::InvalidInput(format!(
            "S3 at {where_} refused the request because this computer's clock is wrong. Correct the date and time.{message}"
        )),
        _ => match status.as_u16() {
            401 => ConnectorError::Unauthorized(format!(
                "S3 at {where_} refused access key {access_key_id} (HTTP 401).{message}"
            )),
            403 => ConnectorError::Forbidden(format!(
                "S3 at {where_} refused access to the bucket \"{bucket}\" (HTTP 403{}).{message}",
                code_note(&code)
            )),
            404 => ConnectorError::NotFound(format!(
                "The bucket \"{bucket}\" was not found at {where_} (HTTP 404{}).{message}",
                code_note(&code)
            )),
            other => ConnectorError::Unexpected(format!(
                "S3 at {where_} answered HTTP {other}{}.{message}",
                code_note(&code)
            )),
        },
    })
}

fn code_note(code: &str) -> String {
    if code.is_empty() {
        String::new()
    } else {
        format!(", {}", server_text(code))
    }
}

/// The URL's host as it appears in the `Host` header (IPv6 in brackets).
fn authority_host(url: &url::Url) -> String {
    match url.host() {
        Some(url::Host::Ipv6(address)) => format!("[{address}]"),
        Some(host) => host.to_string(),
        None => String::new(),
    }
}

/// The text of the first `<name>` element, entities decoded; enough for S3's flat error
/// documents.
fn xml_element(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let length = body[start..].find(&close)?;
    let raw = &body[start..start + length];
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::xml_element;

    #[test]
    fn error_codes_are_read_from_s3_error_documents() {
        let body = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code>\
                    <Message>The specified bucket does not exist &amp; more</Message></Error>";
        assert_eq!(xml_element(body, "Code").as_deref(), Some("NoSuchBucket"));
        assert_eq!(
            xml_element(body, "Message").as_deref(),
            Some("The specified bucket does not exist & more")
        );
    }

    #[test]
    fn truncated_or_foreign_bodies_yield_no_code() {
        assert_eq!(xml_element("<Error><Code>NoSuch", "Code"), None);
        assert_eq!(xml_element("<html>502 Bad Gateway</html>", "Code"), None);
        assert_eq!(xml_element("", "Code"), None);
    }
}
