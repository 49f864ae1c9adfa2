//! Document bytes in an S3 bucket through the S3 connector's client (`pd-connectors`): put as
//! one object per content hash under the configured prefix, read back with a short-lived
//! presigned GET.

use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use pd_collab::DocumentObjects;
use pd_connectors::{ConnectorOptions, S3Client};
use pd_domain::S3Settings;

use crate::config::DocumentsConfig;
use crate::error::ServerError;

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "partnerdesk/documents/";

/// An S3 bucket for documents.
#[derive(Debug)]
pub struct S3Objects {
    client: S3Client,
    http: reqwest::Client,
}

impl S3Objects {
    /// From `[documents]` and the secret.
    pub fn new(config: &DocumentsConfig, secret: &str) -> Result<Self, ServerError> {
        let settings = S3Settings {
            endpoint: config.endpoint.clone(),
            region: config.region.clone().unwrap_or_default(),
            bucket: config.bucket.clone().unwrap_or_default(),
            access_key_id: config.access_key_id.clone().unwrap_or_default(),
        };
        let options = ConnectorOptions {
            timeout: Duration::from_secs(60),
            ..ConnectorOptions::default()
        };
        let client = S3Client::new(&settings, Some(secret), &options)
            .map_err(|e| ServerError::Config(format!("documents: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| ServerError::Config(format!("documents: {e}")))?;
        Ok(S3Objects { client, http })
    }

    /// Whether the bucket answers (at start).
    pub async fn check(&self) -> Result<(), ServerError> {
        self.client.test().await.map(|_| ()).map_err(|e| {
            ServerError::Config(format!("documents: the S3 bucket is not usable: {e}"))
        })
    }
}

#[async_trait]
impl DocumentObjects for S3Objects {
    async fn put(&self, key: &str, bytes: Bytes, media_type: &str) -> Result<(), String> {
        self.client
            .put_object(key, bytes.to_vec(), Some(media_type))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, String> {
        let url = self
            .client
            .presigned_get_url(key, Duration::from_secs(300))
            .map_err(|e| e.to_string())?;
        let response = self.http.get(url).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!(
                "the bucket answered {} for {key}",
                response.status()
            ));
        }
        Ok(response.bytes().await.map_err(|e| e.to_string())?.to_vec())
    }
}
