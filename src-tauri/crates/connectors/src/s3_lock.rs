//! What retention exports need of the S3 client beyond put and multipart: object tags, Object
//! Lock retention and legal hold (set at upload, read back from HEAD, hold put and read), the
//! `Content-MD5` Object Lock requires, conditional writes so an archive is never overwritten,
//! reading an object back (Verify), deleting (refused in words while locked), and the listings
//! a restart uses to find what an interrupted export left (multipart uploads, object versions).

use chrono::{DateTime, SecondsFormat, Utc};
use pd_domain::LockMode;

use crate::error::{server_text, ConnectorError};
use crate::net::http_failure;
use crate::s3::{check_key, content_md5, xml_blocks, xml_element, Request, S3Client};
use crate::sigv4;

/// Object Lock retention of one object version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Governance or compliance.
    pub mode: LockMode,
    /// Until when it may not be deleted or replaced.
    pub until: DateTime<Utc>,
}

/// How an object is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// Object tags (at most 10; keys up to 128 and values up to 256 characters).
    pub tags: Vec<(String, String)>,
    /// Object Lock retention.
    pub retention: Option<Retention>,
    /// Object Lock legal hold on.
    pub legal_hold: bool,
    /// Refuse when the key already exists (`If-None-Match: *`): never overwrite.
    pub if_absent: bool,
}

/// What a write left in the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Entity tag, quotes removed.
    pub etag: String,
    /// The version the write created (versioned buckets, which Object Lock requires).
    pub version_id: Option<String>,
}

/// An object's size, tag, version and lock, as HEAD tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockState {
    /// Size in bytes.
    pub size: u64,
    /// Entity tag, quotes removed.
    pub etag: String,
    /// Version id.
    pub version_id: Option<String>,
    /// Retention mode and date, if any.
    pub retention: Option<Retention>,
    /// Legal hold on.
    pub legal_hold: bool,
}

impl LockState {
    /// Whether the object may not be deleted or replaced at `now`.
    pub fn locked_at(&self, now: DateTime<Utc>) -> bool {
        self.legal_hold || self.retention.is_some_and(|r| r.until > now)
    }
}

/// A multipart upload the server still holds (started, neither completed nor aborted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    /// Object key.
    pub key: String,
    /// Upload id.
    pub upload_id: String,
    /// When it was started, as the server says (`Initiated`); `None` if it did not say.
    pub initiated: Option<DateTime<Utc>>,
}

/// One version of an object (or a delete marker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersion {
    /// Object key.
    pub key: String,
    /// Version id.
    pub version_id: String,
    /// The newest version of the key.
    pub is_latest: bool,
    /// A delete marker, not data.
    pub is_delete_marker: bool,
    /// Size in bytes (0 for a delete marker).
    pub size: u64,
    /// Entity tag, quotes removed.
    pub etag: String,
}

fn lock_headers(options: &PutOptions) -> Result<Vec<(&'static str, String)>, ConnectorError> {
    let mut headers = Vec::new();
    if !options.tags.is_empty() {
        if options.tags.len() > 10 {
            return Err(ConnectorError::InvalidInput(
                "S3 keeps at most 10 tags on an object.".into(),
            ));
        }
        let tagging = options
            .tags
            .iter()
            .map(|(key, value)| {
                format!(
                    "{}={}",
                    sigv4::uri_encode(key, false),
                    sigv4::uri_encode(value, false)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        headers.push(("x-amz-tagging", tagging));
    }
    if let Some(retention) = options.retention {
        headers.push(("x-amz-object-lock-mode", retention.mode.as_s3().to_owned()));
        headers.push((
            "x-amz-object-lock-retain-until-date",
            retention.until.to_rfc3339_opts(SecondsFormat::Millis, true),
        ));
    }
    if options.legal_hold {
        headers.push(("x-amz-object-lock-legal-hold", "ON".to_owned()));
    }
    if options.if_absent {
        headers.push(("if-none-match", "*".to_owned()));
    }
    Ok(headers)
}

fn version_query(version_id: Option<&str>) -> Vec<(&str, &str)> {
    version_id.map(|v| ("versionId", v)).into_iter().collect()
}

impl S3Client {
    /// Creates the client's bucket, with Object Lock (and so versioning) when asked. A bucket
    /// this access key already owns is not an error.
    pub async fn create_bucket(&self, object_lock: bool) -> Result<(), ConnectorError> {
        let mut extra_headers = Vec::new();
        if object_lock {
            extra_headers.push(("x-amz-bucket-object-lock-enabled", "true".to_owned()));
        }
        let (status, body) = self
            .send(Request {
                method: reqwest::Method::PUT,
                key: None,
                query: &[],
                body: bytes::Bytes::new(),
                content_type: None,
                step: "creating the bucket",
                extra_headers,
            })
            .await?;
        if status.is_success()
            || xml_element(&body, "Code").as_deref() == Some("BucketAlreadyOwnedByYou")
        {
            return Ok(());
        }
        Err(self.refusal(status.as_u16(), &body, "create", "s3:CreateBucket"))
    }

    /// Uploads `body` as `key` with tags, retention and legal hold, and `Content-MD5`.
    /// With [`PutOptions::if_absent`] an existing key is refused as [`ConnectorError::Locked`].
    pub async fn put_object_with(
        &self,
        key: &str,
        body: Vec<u8>,
        options: &PutOptions,
    ) -> Result<Stored, ConnectorError> {
        check_key(key)?;
        let mut extra_headers = lock_headers(options)?;
        extra_headers.push(("content-md5", content_md5(&body)));
        let response = self
            .send_raw(Request {
                method: reqwest::Method::PUT,
                key: Some(key),
                query: &[],
                body: body.into(),
                content_type: options.content_type.as_deref(),
                step: "uploading an object",
                extra_headers,
            })
            .await?;
        let version_id = response
            .headers()
            .get("x-amz-version-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let status = response.status().as_u16();
        if status == 412 {
            return Err(self.already_there(key));
        }
        let etag = self.etag_of(response, "write", "s3:PutObject").await;
        let etag = etag.map_err(|error| self.lock_refusal(error))?;
        Ok(Stored { etag, version_id })
    }

    /// Starts a multipart upload whose object gets these tags, retention and legal hold.
    pub async fn create_multipart_upload_with(
        &self,
        key: &str,
        options: &PutOptions,
    ) -> Result<String, ConnectorError> {
        check_key(key)?;
        let mut extra_headers = lock_headers(options)?;
        extra_headers.retain(|(name, _)| *name != "if-none-match");
        let (status, body) = self
            .send(Request {
                method: reqwest::Method::POST,
                key: Some(key),
                query: &[("uploads", "")],
                body: bytes::Bytes::new(),
                content_type: options.content_type.as_deref(),
                step: "starting a multipart upload",
                extra_headers,
            })
            .await?;
        if !status.is_success() {
            return Err(self.lock_refusal(self.refusal(
                status.as_u16(),
                &body,
                "write to",
                "s3:PutObject",
            )));
        }
        xml_element(&body, "UploadId")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| self.not_s3("no upload id"))
    }

    /// HEAD of `key` (a version, or the latest): size, tag, version, retention and legal hold;
    /// `None` when there is no such object.
    pub async fn object_lock(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<LockState>, ConnectorError> {
        let Some(headers) = self.head(key, &version_query(version_id)).await? else {
            return Ok(None);
        };
        let header = |name: &str| headers.text(name);
        let mode = header("x-amz-object-lock-mode").and_then(|m| LockMode::parse_s3(&m));
        let until = header("x-amz-object-lock-retain-until-date")
            .and_then(|date| DateTime::parse_from_rfc3339(date.trim()).ok())
            .map(|date| date.with_timezone(&Utc));
        Ok(Some(LockState {
            size: headers.size(),
            etag: headers.etag(),
            version_id: header("x-amz-version-id"),
            retention: match (mode, until) {
                (Some(mode), Some(until)) => Some(Retention { mode, until }),
                _ => None,
            },
            legal_hold: header("x-amz-object-lock-legal-hold")
                .is_some_and(|hold| hold.eq_ignore_ascii_case("ON")),
        }))
    }

    /// The bytes of `key` (a version, or the latest), refused above `max_bytes`.
    pub async fn get_object(
        &self,
        key: &str,
        version_id: Option<&str>,
        max_bytes: u64,
    ) -> Result<Vec<u8>, ConnectorError> {
        check_key(key)?;
        let query = version_query(version_id);
        let response = self
            .send_raw(Request {
                method: reqwest::Method::GET,
                key: Some(key),
                query: &query,
                body: bytes::Bytes::new(),
                content_type: None,
                step: "downloading an object",
                extra_headers: Vec::new(),
            })
            .await?;
        let status = response.status().as_u16();
        if !(200..=299).contains(&status) {
            let body = crate::http::read_capped(response).await.unwrap_or_default();
            if xml_element(&body, "Code").as_deref() == Some("NoSuchKey") || status == 404 {
                return Err(ConnectorError::NotFound(format!(
                    "The bucket \"{}\" at {} has no object \"{}\".",
                    self.bucket(),
                    self.where_(),
                    server_text(key)
                )));
            }
            return Err(self.refusal(status, &body, "read objects in", "s3:GetObject"));
        }
        if response.content_length().is_some_and(|len| len > max_bytes) {
            return Err(ConnectorError::Local(format!(
                "\"{}\" is larger than {max_bytes} bytes; it is not read into memory.",
                server_text(key)
            )));
        }
        let bytes = response.bytes().await.map_err(|error| {
            http_failure(&error, self.target(), self.limit(), "downloading an object")
        })?;
        Ok(bytes.to_vec())
    }

    /// Places (`on`) or releases a legal hold on `key` (a version, or the latest).
    pub async fn put_legal_hold(
        &self,
        key: &str,
        version_id: Option<&str>,
        on: bool,
    ) -> Result<(), ConnectorError> {
        check_key(key)?;
        let status_word = if on { "ON" } else { "OFF" };
        let xml = format!(
            "<LegalHold xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>{status_word}</Status></LegalHold>"
        )
        .into_bytes();
        let mut query = vec![("legal-hold", "")];
        query.extend(version_query(version_id));
        let (status, body) = self
            .send(Request {
                method: reqwest::Method::PUT,
                key: Some(key),
                query: &query,
                extra_headers: vec![("content-md5", content_md5(&xml))],
                body: xml.into(),
                content_type: Some("application/xml"),
                step: "setting a legal hold",
            })
            .await?;
        if status.is_success() {
            return Ok(());
        }
        Err(self.lock_refusal(self.refusal(
            status.as_u16(),
            &body,
            "set legal holds in",
            "s3:PutObjectLegalHold",
        )))
    }

    /// Sets Object Lock retention on `key` (a version, or the latest): for an object written
    /// by a multipart upload on a store that does not carry the lock headers of its creation
    /// through to the object, and to extend a period.
    pub async fn put_retention(
        &self,
        key: &str,
        version_id: Option<&str>,
        retention: Retention,
    ) -> Result<(), ConnectorError> {
        check_key(key)?;
        let xml = format!(
            "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>{}</Mode><RetainUntilDate>{}</RetainUntilDate></Retention>",
            retention.mode.as_s3(),
            retention.until.to_rfc3339_opts(SecondsFormat::Millis, true)
        )
        .into_bytes();
        let mut query = vec![("retention", "")];
        query.extend(version_query(version_id));
        let (status, body) = self
            .send(Request {
                method: reqwest::Method::PUT,
                key: Some(key),
                query: &query,
                extra_headers: vec![("content-md5", content_md5(&xml))],
                body: xml.into(),
                content_type: Some("application/xml"),
                step: "setting retention",
            })
            .await?;
        if status.is_success() {
            return Ok(());
        }
        Err(self.lock_refusal(self.refusal(
            status.as_u16(),
            &body,
            "set retention in",
            "s3:PutObjectRetention",
        )))
    }

    /// Whether a legal hold is on `key` (a version, or the latest).
    pub async fn legal_hold(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<bool, ConnectorError> {
        check_key(key)?;
        let mut query = vec![("legal-hold", "")];
        query.extend(version_query(version_id));
        let (status, body) = self
            .send(Request {
                method: reqwest::Method::GET,
                key: Some(key),
                query: &query,
                body: bytes::Bytes::new(),
                content_type: None,
                step: "reading a legal hold",
                extra_headers: Vec::new(),
            })
            .await?;
        if status.is_success() {
            return Ok(xml_element(&body, "Status").is_some_and(|s| s.eq_ignore_ascii_case("ON")));
        }
        let code = xml_element(&body, "Code").unwrap_or_default();
        if code == "NoSuchObjectLockConfiguration" {
            return Ok(false);
        }
        Err(self.lock_refusal(self.refusal(
            status.as_u16(),
            &body,
            "read legal holds in",
            "s3:GetObjectLegalHold",
        )))
    }

    /// The tags of `key`, in the server's order.
    pub async fn object_tags(&self, key: &str) -> Result<Vec<(String, String)>, ConnectorError> {
        check_key(key)?;
        let (status, body) = self
            .send(Request {
                method: reqwest::Method::GET,
                key: Some(key),
                query: &[("tagging", "")],
                body: bytes::Bytes::new(),
                content_type: None,
                step: "reading an object's tags",
                extra_headers: Vec::new(),
            })
            .await?;
        if !status.is_success() {
            return Err(self.refusal(
                status.as_u16(),
                &body,
                "read tags in",
                "s3:GetObjectTagging",
            ));
        }
        Ok(xml_blocks(&body, "Tag")
            .into_iter()
            .filter_map(|tag| Some((xml_element(tag, "Key")?, xml_element(tag, "Value")?)))
            .collect())
    }

    /// Deletes `key` (a version, or the latest). A locked version is refused by the server;
    /// the error says so in words ([`ConnectorError::Locked`]) with the date it is kept until.
    pub async fn delete_object(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<(), ConnectorError> {
        check_key(key)?;
        let query = version_query(version_id);
        let (status, body) = self
            .send(Request {
                method: reqwest::Method::DELETE,
                key: Some(key),
                query: &query,
                body: bytes::Bytes::new(),
                content_type: None,
                step: "deleting an object",
                extra_headers: Vec::new(),
            })
            .await?;
        if status.is_success() {
            return Ok(());
        }
        let refusal = self.refusal(status.as_u16(), &body, "delete from", "s3:DeleteObject");
        if matches!(refusal, ConnectorError::Forbidden(_)) {
            if let Ok(Some(lock)) = self.object_lock(key, version_id).await {
                if lock.locked_at(Utc::now()) {
                    return Err(self.locked(key, &lock));
                }
            }
        }
        Err(refusal)
    }

    /// Multipart uploads the server still holds under `prefix` (every page read).
    pub async fn list_multipart_uploads(
        &self,
        prefix: &str,
    ) -> Result<Vec<PendingUpload>, ConnectorError> {
        let mut uploads = Vec::new();
        let (mut key_marker, mut id_marker) = (String::new(), String::new());
        loop {
            let mut query = vec![("uploads", ""), ("prefix", prefix)];
            if !key_marker.is_empty() {
                query.push(("key-marker", key_marker.as_str()));
                query.push(("upload-id-marker", id_marker.as_str()));
            }
            let (status, body) = self
                .send(Request {
                    method: reqwest::Method::GET,
                    key: None,
                    query: &query,
                    body: bytes::Bytes::new(),
                    content_type: None,
                    step: "listing unfinished uploads",
                    extra_headers: Vec::new(),
                })
                .await?;
            if !status.is_success() {
                return Err(self.refusal(
                    status.as_u16(),
                    &body,
                    "list",
                    "s3:ListBucketMultipartUploads",
                ));
            }
            for upload in xml_blocks(&body, "Upload") {
                if let (Some(key), Some(upload_id)) =
                    (xml_element(upload, "Key"), xml_element(upload, "UploadId"))
                {
                    let initiated = xml_element(upload, "Initiated")
                        .and_then(|at| DateTime::parse_from_rfc3339(at.trim()).ok())
                        .map(|at| at.with_timezone(&Utc));
                    uploads.push(PendingUpload {
                        key,
                        upload_id,
                        initiated,
                    });
                }
            }
            let truncated = xml_element(&body, "IsTruncated").as_deref() == Some("true");
            let next_key = xml_element(&body, "NextKeyMarker").unwrap_or_default();
            let next_id = xml_element(&body, "NextUploadIdMarker").unwrap_or_default();
            if !truncated || (next_key == key_marker && next_id == id_marker) {
                break;
            }
            key_marker = next_key;
            id_marker = next_id;
        }
        Ok(uploads)
    }

    /// Every version and delete marker under `prefix` (every page read).
    pub async fn list_object_versions(
        &self,
        prefix: &str,
    ) -> Result<Vec<ObjectVersion>, ConnectorError> {
        let mut versions = Vec::new();
        let (mut key_marker, mut id_marker) = (String::new(), String::new());
        loop {
            let mut query = vec![("versions", ""), ("prefix", prefix)];
            if !key_marker.is_empty() {
                query.push(("key-marker", key_marker.as_str()));
                query.push(("version-id-marker", id_marker.as_str()));
            }
            let (status, body) = self
                .send(Request {
                    method: reqwest::Method::GET,
                    key: None,
                    query: &query,
                    body: bytes::Bytes::new(),
                    content_type: None,
                    step: "listing object versions",
                    extra_headers: Vec::new(),
                })
                .await?;
            if !status.is_success() {
                return Err(self.refusal(status.as_u16(), &body, "list", "s3:ListBucketVersions"));
            }
            for (block, marker) in xml_blocks(&body, "Version")
                .into_iter()
                .map(|b| (b, false))
                .chain(
                    xml_blocks(&body, "DeleteMarker")
                        .into_iter()
                        .map(|b| (b, true)),
                )
            {
                let (Some(key), Some(version_id)) =
                    (xml_element(block, "Key"), xml_element(block, "VersionId"))
                else {
                    continue;
                };
                versions.push(ObjectVersion {
                    key,
                    version_id,
                    is_latest: xml_element(block, "IsLatest").as_deref() == Some("true"),
                    is_delete_marker: marker,
                    size: xml_element(block, "Size")
                        .and_then(|s| s.parse().ok())
                        .unwrap_or_default(),
                    etag: xml_element(block, "ETag")
                        .map(|e| e.trim_matches('"').to_owned())
                        .unwrap_or_default(),
                });
            }
            let truncated = xml_element(&body, "IsTruncated").as_deref() == Some("true");
            let next_key = xml_element(&body, "NextKeyMarker").unwrap_or_default();
            let next_id = xml_element(&body, "NextVersionIdMarker").unwrap_or_default();
            if !truncated || (next_key == key_marker && next_id == id_marker) {
                break;
            }
            key_marker = next_key;
            id_marker = next_id;
        }
        versions.sort_by(|a, b| a.key.cmp(&b.key).then(a.version_id.cmp(&b.version_id)));
        Ok(versions)
    }

    fn already_there(&self, key: &str) -> ConnectorError {
        ConnectorError::Locked(format!(
            "The bucket \"{}\" at {} already holds \"{}\": an archive is never overwritten. \
             A new export of the case is written as a new version beside it.",
            self.bucket(),
            self.where_(),
            server_text(key)
        ))
    }

    fn locked(&self, key: &str, lock: &LockState) -> ConnectorError {
        let mut why = Vec::new();
        if let Some(retention) = lock.retention {
            why.push(format!(
                "it is under {} retention until {}",
                match retention.mode {
                    LockMode::Governance => "governance",
                    LockMode::Compliance => "compliance",
                },
                retention.until.format("%Y-%m-%d %H:%M UTC")
            ));
        }
        if lock.legal_hold {
            why.push("a legal hold is placed on it".to_owned());
        }
        ConnectorError::Locked(format!(
            "S3 at {} refused to delete \"{}\" in bucket \"{}\": {}. It cannot be deleted or \
             overwritten until the hold is released and the retention date has passed.",
            self.where_(),
            server_text(key),
            self.bucket(),
            why.join(" and ")
        ))
    }

    /// A refusal that means the bucket has no Object Lock, said so.
    fn lock_refusal(&self, error: ConnectorError) -> ConnectorError {
        let text = error.to_string();
        let lower = text.to_ascii_lowercase();
        if lower.contains("objectlockconfiguration") || lower.contains("object lock configuration")
        {
            return ConnectorError::LockUnsupported(format!(
                "The bucket \"{}\" at {} does not have Object Lock turned on, so an archive \
                 could be deleted. Use a bucket created with Object Lock for retention.",
                self.bucket(),
                self.where_()
            ));
        }
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_headers_carry_tags_mode_date_and_hold() {
        let until = DateTime::parse_from_rfc3339("2033-01-02T03:04:05Z")
            .expect("date")
            .with_timezone(&Utc);
        let headers = lock_headers(&PutOptions {
            tags: vec![
                ("partner".into(), "ACME & Co".into()),
                ("kind".into(), "invoice".into()),
            ],
            retention: Some(Retention {
                mode: LockMode::Compliance,
                until,
            }),
            legal_hold: true,
            if_absent: true,
            ..PutOptions::default()
        })
        .expect("headers");
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            get("x-amz-tagging"),
            Some("partner=ACME%20%26%20Co&kind=invoice")
        );
        assert_eq!(get("x-amz-object-lock-mode"), Some("COMPLIANCE"));
        assert_eq!(
            get("x-amz-object-lock-retain-until-date"),
            Some("2033-01-02T03:04:05.000Z")
        );
        assert_eq!(get("x-amz-object-lock-legal-hold"), Some("ON"));
        assert_eq!(get("if-none-match"), Some("*"));
    }
}
