//! The S3 client (documents above the collaboration limit, case packages, retention exports)
//! and its connection test. Requests are path-style and signed with our own SigV4
//! ([`crate::sigv4`]): put, head, multipart (create, upload part, list parts, complete,
//! abort) and presigned GET links. The test is one `ListObjectsV2` for a single key: it proves
//! at once that the endpoint answers, the access key and secret are accepted, and the bucket
//! exists and may be listed.

use std::time::Duration;

use pd_domain::{ConnectionTestResult, S3Settings};

use crate::error::{into_result, server_text, ConnectorError};
use crate::http::read_capped;
use crate::net::{http_client, http_failure, parse_url, resolve, Target};
use crate::sigv4::{self, SigningInput, EMPTY_PAYLOAD_SHA256};
use crate::ConnectorOptions;

/// The smallest part S3 accepts, except for the last one.
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// The longest a presigned link may live (SigV4: 7 days).
pub const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// Tests an S3 (or S3-compatible) connector with the default [`ConnectorOptions`].
pub async fn test_s3(config: &S3Settings, secret_access_key: Option<&str>) -> ConnectionTestResult {
    test_s3_with(config, secret_access_key, &ConnectorOptions::default()).await
}

/// Tests an S3 connector: `GET /{bucket}?list-type=2&max-keys=1`, path-style, signed with
/// AWS Signature Version 4, against the endpoint or `https://s3.{region}.amazonaws.com`.
pub async fn test_s3_with(
    config: &S3Settings,
    secret_access_key: Option<&str>,
    options: &ConnectorOptions,
) -> ConnectionTestResult {
    let outcome = match S3Client::new(config, secret_access_key, options) {
        Ok(client) => client.test().await,
        Err(error) => Err(error),
    };
    into_result(outcome)
}

/// The object metadata header holding the content's hex SHA-256.
pub const SHA256_META: &str = "x-amz-meta-sha256";

/// What HEAD says about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Size in bytes.
    pub size: u64,
    /// The entity tag, quotes removed.
    pub etag: String,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The SHA-256 PartnerDesk stored with the object (`x-amz-meta-sha256`), if any.
    pub sha256: Option<String>,
}

/// One part of a multipart upload the server holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedPart {
    /// 1 to 10,000.
    pub part_number: u32,
    /// The part's entity tag, quotes removed, when the server lists it (AWS does; some
    /// S3-compatible stores do not, so keep the ETag each `upload_part` returned).
    pub etag: Option<String>,
    /// Size in bytes.
    pub size: u64,
}

/// A client for one bucket. The secret access key stays inside; no message carries it.
#[derive(Clone)]
pub struct S3Client {
    http: reqwest::Client,
    base: url::Url,
    target: Target,
    host_header: String,
    bucket: String,
    region: String,
    access_key_id: String,
    secret: String,
    limit: Duration,
}

impl std::fmt::Debug for S3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Client")
            .field("endpoint", &self.base.as_str())
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// An object's headers from a HEAD, read as text.
pub(crate) struct ObjectHeaders(reqwest::header::HeaderMap);

impl ObjectHeaders {
    /// The header `name` as text, when present and readable.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    }

    /// The object's size (`Content-Length`), 0 when missing.
    pub(crate) fn size(&self) -> u64 {
        self.text("content-length")
            .and_then(|length| length.parse().ok())
            .unwrap_or_default()
    }

    /// The object's tag without its quotes, empty when missing.
    pub(crate) fn etag(&self) -> String {
        self.text("etag")
            .map(|etag| etag.trim_matches('"').to_owned())
            .unwrap_or_default()
    }
}

pub(crate) struct Request<'a> {
    pub(crate) method: reqwest::Method,
    pub(crate) key: Option<&'a str>,
    pub(crate) query: &'a [(&'a str, &'a str)],
    /// Shared, not copied: a part kept for a retry and the one on the wire are the same bytes.
    pub(crate) body: bytes::Bytes,
    pub(crate) content_type: Option<&'a str>,
    pub(crate) step: &'a str,
    /// More headers to send and sign (lowercase names): Object Lock, tags, `Content-MD5`.
    pub(crate) extra_headers: Vec<(&'static str, String)>,
}

impl S3Client {
    /// Checks the settings and the secret (no network yet).
    pub fn new(
        config: &S3Settings,
        secret_access_key: Option<&str>,
        options: &ConnectorOptions,
    ) -> Result<Self, ConnectorError> {
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
        let host_header = match base.port() {
            Some(port) => format!("{}:{port}", authority_host(&base)),
            None => authority_host(&base),
        };
        Ok(Self {
            http: http_client(options.timeout)?,
            base,
            target,
            host_header,
            bucket: bucket.to_owned(),
            region: region.to_owned(),
            access_key_id: access_key_id.to_owned(),
            secret: secret.to_owned(),
            limit: options.timeout,
        })
    }

    /// The bucket this client writes to.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    pub(crate) fn limit(&self) -> Duration {
        self.limit
    }

    /// The connection test's sentence, or what failed.
    pub async fn test(&self) -> Result<String, ConnectorError> {
        resolve(&self.target.host, self.target.port, self.limit).await?;
        let query = [("list-type", "2"), ("max-keys", "1")];
        let (status, body) = self
            .send(Request {
                method: reqwest::Method::GET,
                key: None,
                query: &query,
                body: bytes::Bytes::new(),
                content_type: None,
                step: "listing the bucket",
                extra_headers: Vec::new(),
            })
            .await?;
        let where_ = self.where_();
        if status.is_success() {
            if body.contains("<ListBucketResult") {
                return Ok(format!(
                    "Signed in to S3 at {where_} with access key {}; bucket \"{}\" is readable.",
                    self.access_key_id, self.bucket
                ));
            }
            return Err(ConnectorError::Unexpected(format!(
                "{where_} answered, but not as S3 does (no bucket listing came back). Check the endpoint URL."
            )));
        }
        Err(self.refusal(status.as_u16(), &body, "list", "s3:ListBucket"))
    }

    /// Uploads `body` as `key` in one request; returns the object's entity tag.
    pub async fn put_object(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: Option<&str>,
    ) -> Result<String, ConnectorError> {
        check_key(key)?;
        let response = self
            .send_raw(Request {
                method: reqwest::Method::PUT,
                key: Some(key),
                query: &[],
                extra_headers: vec![("content-md5", content_md5(&body))],
                body: body.into(),
                content_type,
                step: "uploading an object",
            })
            .await?;
        self.etag_of(response, "write", "s3:PutObject").await
    }

    /// What the bucket holds under `key`; `None` when there is no such object.
    pub async fn head_object(&self, key: &str) -> Result<Option<ObjectInfo>, ConnectorError> {
        Ok(self.head(key, &[]).await?.map(|headers| ObjectInfo {
            size: headers.size(),
            etag: headers.etag(),
            content_type: headers.text("content-type"),
            sha256: headers.text(SHA256_META),
        }))
    }

    /// HEAD of `key` (with `query`, e.g. a version): its headers, `None` when there is no such
    /// object, a refusal in words when the server refuses.
    pub(crate) async fn head(
        &self,
        key: &str,
        query: &[(&str, &str)],
    ) -> Result<Option<ObjectHeaders>, ConnectorError> {
        check_key(key)?;
        let response = self
            .send_raw(Request {
                method: reqwest::Method::HEAD,
                key: Some(key),
                query,
                body: bytes::Bytes::new(),
                content_type: None,
                step: "reading an object's details",
                extra_headers: Vec::new(),
            })
            .await?;
        let status = response.status().as_u16();
        if status == 404 {
            return Ok(None);
        }
        if !(200..=299).contains(&status) {
            return Err(self.refusal(status, "", "read objects in", "s3:GetObject"));
        }
        Ok(Some(ObjectHeaders(response.headers().clone())))
    }

    /// Starts a multipart upload of `key`; returns its upload id (keep it to resume).
    pub async fn create_multipart_upload(
        &self,
        key: &str,
        content_type: Option<&str>,
    ) -> Result<String, ConnectorError> {
        self.create_multipart_upload_keeping_sha256(key, content_type, None)
            .await
    }

    /// [`Self::create_multipart_upload`], keeping the content's hex SHA-256 with the object
    /// (`x-amz-meta-sha256`, signed; [`ObjectInfo::sha256`] reads it back).
    pub async fn create_multipart_upload_keeping_sha256(
        &self,
        key: &str,
        content_type: Option<&str>,
        sha256: Option<&str>,
    ) -> Result<String, ConnectorError> {
        check_key(key)?;
        let extra_headers = sha256
            .map(|sha| vec![(SHA256_META, sha.to_owned())])
            .unwrap_or_default();
        let (status, body) = self
            .send(Request {
                method: reqwest::Method::POST,
                key: Some(key),
                query: &[("uploads", "")],
                body: bytes::Bytes::new(),
                content_type,
                step: "starting a multipart upload",
                extra_headers,
            })
            .await?;
        if !status.is_success() {
            return Err(self.refusal(status.as_u16(), &body, "write to", "s3:PutObject"));
        }
        xml_element(&body, "UploadId")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| self.not_s3("no upload id"))
    }

    /// Uploads part `part_number` (1 to 10,000; every part but the last at least
    /// [`MIN_PART_SIZE`]); returns its entity tag.
    pub async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: impl Into<bytes::Bytes>,
    ) -> Result<String, ConnectorError> {
        let body: bytes::Bytes = body.into();
        check_key(key)?;
        if !(1..=10_000).contains(&part_number) {
            return Err(ConnectorError::InvalidInput(format!(
                "Part number {part_number} is out of range (1 to 10,000)."
            )));
        }
        let number = part_number.to_string();
        let query = [("partNumber", number.as_str()), ("uploadId", upload_id)];
        let response = self
            .send_raw(Request {
                method: reqwest::Method::PUT,
                key: Some(key),
                query: &query,
                extra_headers: vec![("content-md5", content_md5(&body))],
                body,
                content_type: None,
                step: "uploading a part",
            })
            .await?;
        self.etag_of(response, "write", "s3:PutObject").await
    }

    /// The parts the server holds for an upload, in part order (every page read): what a
    /// resumed upload need not send again.
    pub async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Vec<UploadedPart>, ConnectorError> {
        check_key(key)?;
        let mut parts = Vec::new();
        let mut marker = String::new();
        loop {
            let mut query = vec![("uploadId", upload_id)];
            if !marker.is_empty() {
                query.push(("part-number-marker", marker.as_str()));
            }
            let (status, body) = self
                .send(Request {
                    method: reqwest::Method::GET,
                    key: Some(key),
                    query: &query,
                    body: bytes::Bytes::new(),
                    content_type: None,
                    step: "listing uploaded parts",
                    extra_headers: Vec::new(),
                })
                .await?;
            if !status.is_success() {
                return Err(self.upload_refusal(status.as_u16(), &body, upload_id));
            }
            for part in xml_blocks(&body, "Part") {
                let number = xml_element(part, "PartNumber").and_then(|n| n.parse().ok());
                let etag = xml_element(part, "ETag");
                let size = xml_element(part, "Size").and_then(|n| n.parse().ok());
                match (number, size) {
                    (Some(part_number), Some(size)) => parts.push(UploadedPart {
                        part_number,
                        etag: etag.map(|etag| etag.trim_matches('"').to_owned()),
                        size,
                    }),
                    _ => return Err(self.not_s3("a part without number or size")),
                }
            }
            let truncated = xml_element(&body, "IsTruncated").as_deref() == Some("true");
            let next = xml_element(&body, "NextPartNumberMarker").unwrap_or_default();
            if !truncated || next.is_empty() || next == marker {
                break;
            }
            marker = next;
        }
        parts.sort_by_key(|part| part.part_number);
        Ok(parts)
    }

    /// Completes an upload from its parts `(number, etag)`; returns the object's entity tag.
    pub async fn complete_multipart_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<String, ConnectorError> {
        check_key(key)?;
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (number, etag) in parts {
            xml.push_str(&format!(
                "<Part><PartNumber>{number}</PartNumber><ETag>\"{}\"</ETag></Part>",
                xml_escape(etag.trim_matches('"'))
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        // A server may join the parts before it answers (s3s-fs copies and hashes a 5 GiB
        // object): 1 s a part beyond the step's limit, so a slow completion is not cut (a cut
        // one can leave the upload half joined, its first parts gone).
        let joining = Duration::from_secs(u64::try_from(parts.len()).unwrap_or(u64::MAX));
        let (status, body) = self
            .send_timed(
                Request {
                    method: reqwest::Method::POST,
                    key: Some(key),
                    query: &[("uploadId", upload_id)],
                    body: xml.into_bytes().into(),
                    content_type: Some("application/xml"),
                    step: "completing a multipart upload",
                    extra_headers: Vec::new(),
                },
                joining,
            )
            .await?;
        // S3 may answer 200 with an <Error> body when completion fails late.
        if !status.is_success() || body.contains("<Error>") {
            let status = if status.is_success() {
                500
            } else {
                status.as_u16()
            };
            return Err(self.upload_refusal(status, &body, upload_id));
        }
        xml_element(&body, "ETag")
            .map(|etag| etag.trim_matches('"').to_owned())
            .ok_or_else(|| self.not_s3("no ETag for the completed object"))
    }

    /// Abandons an upload; the server drops its parts. An upload already gone is not an error.
    pub async fn abort_multipart_upload(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<(), ConnectorError> {
        check_key(key)?;
        let (status, body) = self
            .send(Request {
                method: reqwest::Method::DELETE,
                key: Some(key),
                query: &[("uploadId", upload_id)],
                body: bytes::Bytes::new(),
                content_type: None,
                step: "aborting a multipart upload",
                extra_headers: Vec::new(),
            })
            .await?;
        if status.is_success() || xml_element(&body, "Code").as_deref() == Some("NoSuchUpload") {
            return Ok(());
        }
        Err(self.upload_refusal(status.as_u16(), &body, upload_id))
    }

    /// A link anyone holding it can GET `key` with until `expires_in` has passed (at most
    /// [`MAX_PRESIGN`]); the bucket stays private.
    pub fn presigned_get_url(
        &self,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, ConnectorError> {
        check_key(key)?;
        if expires_in.is_zero() || expires_in > MAX_PRESIGN {
            return Err(ConnectorError::InvalidInput(
                "A download link must expire within 7 days.".into(),
            ));
        }
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let credential = format!(
            "{}/{}/{}/s3/aws4_request",
            self.access_key_id,
            amz_date.get(..8).unwrap_or_default(),
            self.region
        );
        let expires = expires_in.as_secs().to_string();
        let mut query = vec![
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", credential.as_str()),
            ("X-Amz-Date", amz_date.as_str()),
            ("X-Amz-Expires", expires.as_str()),
            ("X-Amz-SignedHeaders", "host"),
        ];
        let path = self.path(Some(key));
        let headers = [("host", self.host_header.as_str())];
        let signature = sigv4::signature(&SigningInput {
            method: "GET",
            path: &path,
            query: &query,
            headers: &headers,
            payload_sha256: "UNSIGNED-PAYLOAD",
            region: &self.region,
            service: "s3",
            amz_date: &amz_date,
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret,
        });
        query.push(("X-Amz-Signature", signature.as_str()));
        Ok(format!(
            "{}://{}{}?{}",
            self.base.scheme(),
            self.host_header,
            sigv4::uri_encode(&path, true),
            sigv4::canonical_query(&query)
        ))
    }

    pub(crate) fn path(&self, key: Option<&str>) -> String {
        let prefix = self.base.path().trim_end_matches('/');
        match key {
            Some(key) => format!("{prefix}/{}/{key}", self.bucket),
            None => format!("{prefix}/{}", self.bucket),
        }
    }

    pub(crate) fn where_(&self) -> String {
        format!("{}:{}", self.target.host, self.target.port)
    }

    pub(crate) async fn send(
        &self,
        request: Request<'_>,
    ) -> Result<(reqwest::StatusCode, String), ConnectorError> {
        self.send_timed(request, Duration::ZERO).await
    }

    /// [`Self::send`] allowing `more` time than one step's limit (a completion the server
    /// assembles from many parts before it answers).
    async fn send_timed(
        &self,
        request: Request<'_>,
        more: Duration,
    ) -> Result<(reqwest::StatusCode, String), ConnectorError> {
        let step = request.step;
        let response = self.send_raw_timed(request, more).await?;
        let status = response.status();
        let body = read_capped(response)
            .await
            .map_err(|error| http_failure(&error, &self.target, self.limit, step))?;
        Ok((status, body))
    }

    pub(crate) async fn send_raw(
        &self,
        request: Request<'_>,
    ) -> Result<reqwest::Response, ConnectorError> {
        self.send_raw_timed(request, Duration::ZERO).await
    }

    async fn send_raw_timed(
        &self,
        request: Request<'_>,
        more: Duration,
    ) -> Result<reqwest::Response, ConnectorError> {
        let path = self.path(request.key);
        let payload_sha256 = if request.body.is_empty() {
            EMPTY_PAYLOAD_SHA256.to_owned()
        } else {
            sigv4::sha256_hex(&request.body)
        };
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let mut headers = vec![
            ("host", self.host_header.as_str()),
            ("x-amz-content-sha256", payload_sha256.as_str()),
            ("x-amz-date", amz_date.as_str()),
        ];
        if let Some(content_type) = request.content_type {
            headers.push(("content-type", content_type));
        }
        for (name, value) in &request.extra_headers {
            headers.push((*name, value.as_str()));
        }
        let authorization = sigv4::authorization(&SigningInput {
            method: request.method.as_str(),
            path: &path,
            query: request.query,
            headers: &headers,
            payload_sha256: &payload_sha256,
            region: &self.region,
            service: "s3",
            amz_date: &amz_date,
            access_key_id: &self.access_key_id,
            secret_access_key: &self.secret,
        });
        let mut url = format!(
            "{}://{}{}",
            self.base.scheme(),
            self.host_header,
            sigv4::uri_encode(&path, true)
        );
        if !request.query.is_empty() {
            url.push('?');
            url.push_str(&sigv4::canonical_query(request.query));
        }
        let mut builder = self
            .http
            .request(request.method, &url)
            .header("x-amz-content-sha256", &payload_sha256)
            .header("x-amz-date", &amz_date)
            .header("authorization", authorization);
        if let Some(content_type) = request.content_type {
            builder = builder.header("content-type", content_type);
        }
        for (name, value) in &request.extra_headers {
            builder = builder.header(*name, value);
        }
        // A part of many MiB needs more than one step's limit on a slow line: allow 1 s a MiB.
        let extra = Duration::from_secs((request.body.len() / (1024 * 1024)) as u64) + more;
        builder
            .timeout(self.limit + extra)
            .body(request.body)
            .send()
            .await
            .map_err(|error| {
                let failure = http_failure(&error, &self.target, self.limit, request.step);
                match failure {
                    ConnectorError::Unexpected(detail) if error.is_request() || error.is_body() => {
                        ConnectorError::Interrupted(detail)
                    }
                    other => other,
                }
            })
    }

    pub(crate) async fn etag_of(
        &self,
        response: reqwest::Response,
        verb: &str,
        permission: &str,
    ) -> Result<String, ConnectorError> {
        let status = response.status().as_u16();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|value| value.to_str().ok())
            .map(|etag| etag.trim_matches('"').to_owned());
        let body = read_capped(response).await.map_err(|error| {
            http_failure(&error, &self.target, self.limit, "reading the answer")
        })?;
        if !(200..=299).contains(&status) {
            return Err(self.refusal(status, &body, &format!("{verb} to"), permission));
        }
        etag.filter(|etag| !etag.is_empty())
            .ok_or_else(|| self.not_s3("no ETag"))
    }

    pub(crate) fn not_s3(&self, what: &str) -> ConnectorError {
        ConnectorError::Unexpected(format!(
            "{} answered, but not as S3 does ({what}). Check the endpoint URL.",
            self.where_()
        ))
    }

    pub(crate) fn upload_refusal(
        &self,
        status: u16,
        body: &str,
        upload_id: &str,
    ) -> ConnectorError {
        match xml_element(body, "Code").as_deref() {
            Some("NoSuchUpload") => ConnectorError::NotFound(format!(
                "S3 at {} no longer has the upload {} (it was completed or aborted); start the upload again.",
                self.where_(),
                server_text(upload_id)
            )),
            Some("InvalidPart") | Some("InvalidPartOrder") | Some("EntityTooSmall") => {
                ConnectorError::InvalidInput(format!(
                    "S3 at {} refused the parts of the upload: {}.",
                    self.where_(),
                    xml_element(body, "Message")
                        .map(|message| server_text(&message))
                        .unwrap_or_else(|| "a part is missing, out of order or too small".into())
                ))
            }
            _ => self.refusal(status, body, "write to", "s3:PutObject"),
        }
    }

    /// An S3 error document in words; `verb` says what was attempted on the bucket.
    pub(crate) fn refusal(
        &self,
        status: u16,
        body: &str,
        verb: &str,
        permission: &str,
    ) -> ConnectorError {
        let where_ = self.where_();
        let bucket = &self.bucket;
        let region = &self.region;
        let access_key_id = &self.access_key_id;
        let code = xml_element(body, "Code").unwrap_or_default();
        let message = xml_element(body, "Message")
            .map(|message| format!(" The server said: \"{}\"", server_text(&message)))
            .unwrap_or_default();
        match code.as_str() {
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
                "Access key {access_key_id} was accepted but may not {verb} the bucket \"{bucket}\" (it needs {permission}).{message}"
            )),
            "AuthorizationHeaderMalformed" | "PermanentRedirect" | "IllegalLocationConstraintException" => {
                ConnectorError::InvalidInput(format!(
                    "The bucket \"{bucket}\" is not in region \"{region}\" or not at this endpoint. Check the region.{message}"
                ))
            }
            "RequestTimeTooSkewed" => ConnectorError::InvalidInput(format!(
                "S3 at {where_} refused the request because this computer's clock is wrong. Correct the date and time.{message}"
            )),
            "SlowDown" => ConnectorError::RateLimited {
                message: format!(
                    "S3 at {where_} asks to slow down; PartnerDesk will try again shortly.{message}"
                ),
                retry_after: None,
            },
            _ => match status {
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
                429 | 503 => ConnectorError::RateLimited {
                    message: format!(
                        "S3 at {where_} is busy (HTTP {status}); PartnerDesk will try again shortly.{message}"
                    ),
                    retry_after: None,
                },
                other => ConnectorError::Unexpected(format!(
                    "S3 at {where_} answered HTTP {other}{}.{message}",
                    code_note(&code)
                )),
            },
        }
    }
}

/// The `Content-MD5` header value of `body` (base64 of its MD5): the integrity check Object
/// Lock requires on every write, sent with every upload so the server refuses a damaged body.
pub(crate) fn content_md5(body: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(md5::compute(body).0)
}

/// One segment of an object key PartnerDesk makes from a name (a case, a reference, a file):
/// characters outside `A-Z a-z 0-9 . _ -` become `_`, and an empty or dot-led segment gets a
/// leading `_`, so no segment is `.`, `..` or hidden and every key passes [`check_key`].
pub fn key_segment(text: &str) -> String {
    let out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with('.') {
        format!("_{out}")
    } else {
        out
    }
}

/// An object key PartnerDesk may use: 1 to 1024 bytes, no control characters, no leading
/// slash, no `.` or `..` segment (some S3-compatible stores map keys onto folders).
pub fn check_key(key: &str) -> Result<(), ConnectorError> {
    let refused = |why: &str| {
        Err(ConnectorError::InvalidInput(format!(
            "\"{}\" cannot be used as an object key: {why}.",
            server_text(key)
        )))
    };
    if key.is_empty() || key.len() > 1024 {
        return refused("it must be 1 to 1024 bytes long");
    }
    if key.chars().any(char::is_control) {
        return refused("it contains control characters");
    }
    if key.starts_with('/') || key.contains("//") {
        return refused("it starts with a slash or has an empty segment");
    }
    if key
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return refused("it has a . or .. segment");
    }
    Ok(())
}

pub(crate) fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The inner text of every `<name>...</name>` element (not nested in one another).
pub(crate) fn xml_blocks<'a>(body: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut blocks = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        blocks.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    blocks
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
pub(crate) fn xml_element(body: &str, name: &str) -> Option<String> {
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
    use super::{check_key, key_segment, xml_element};

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

    #[test]
    fn hostile_names_become_key_segments_every_store_accepts() {
        for (name, segment) in [
            ("..", "_.."),
            (".", "_."),
            ("", "_"),
            (".hidden", "_.hidden"),
            ("../../etc/passwd", "_.._.._etc_passwd"),
            ("Rechnung März\n.pdf", "Rechnung_M_rz_.pdf"),
            ("PO 4500012345.pdf", "PO_4500012345.pdf"),
        ] {
            assert_eq!(key_segment(name), segment, "{name:?}");
            let key = format!("partnerdesk/uploads/{}/x", key_segment(name));
            assert!(check_key(&key).is_ok(), "{key}");
        }
    }
}
