//! How to reach a Trading Grid tenant and how hard to try: the settings the shell builds from
//! the account screen and the keychain, with the secret kept out of every log line.

use std::fmt;
use std::time::Duration;

use rand::Rng;
use url::Url;

/// Connection settings for one Trading Grid company.
#[derive(Clone)]
pub struct ClientConfig {
    /// `https://apigrid.opentext.com` in production, the sandbox's `http://127.0.0.1:PORT` in
    /// demos and tests. A path prefix (a gateway) is kept.
    pub base_url: Url,
    /// The company's Trading Grid id (BUID), e.g. `GC00804444LX`.
    pub company_id: String,
    /// OAuth2 consumer key.
    pub consumer_key: String,
    /// OAuth2 consumer secret; never logged ([`fmt::Debug`] redacts it).
    pub consumer_secret: String,
    /// Upper bound for one JSON request, connect to last byte. Document transfers use it as an
    /// idle timeout between reads instead.
    pub request_timeout: Duration,
    /// Retries on transient failures.
    pub retry: RetryPolicy,
    /// Largest JSON answer accepted; anything bigger is refused as malformed.
    pub max_response_bytes: usize,
}

impl ClientConfig {
    /// Settings with the default timeout (30 s), retry policy and response cap (64 MiB).
    pub fn new(
        base_url: Url,
        company_id: impl Into<String>,
        consumer_key: impl Into<String>,
        consumer_secret: impl Into<String>,
    ) -> Self {
        Self {
            base_url,
            company_id: company_id.into(),
            consumer_key: consumer_key.into(),
            consumer_secret: consumer_secret.into(),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url.as_str())
            .field("company_id", &self.company_id)
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &"<redacted>")
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// Exponential backoff with full jitter, bounded by attempts and by total time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff ceiling before the first retry; doubles each retry.
    pub initial_backoff: Duration,
    /// Largest backoff ceiling.
    pub max_backoff: Duration,
    /// No retry starts once this much time has passed since the first attempt (a `Retry-After`
    /// that would end beyond it is not waited for).
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry (connection tests, where the user wants the answer now).
    pub fn no_retries() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (0-based): uniform in `[0, min(max, initial * 2^retry)]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX))
            .min(self.max_backoff);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
    }
}

pub use pd_domain::retry_after::{parse_retry_after, MAX_RETRY_AFTER};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let url = Url::parse("https://apigrid.opentext.com").expect("url");
        let config = ClientConfig::new(url, "GC1", "key-1", "s3cr3t-value");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("key-1"));
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(700),
            max_elapsed: Duration::from_secs(10),
        };
        for retry in 0..40 {
            let wait = policy.backoff(retry);
            let ceiling = Duration::from_millis((100u64 << retry.min(10)).min(700));
            assert!(wait <= ceiling, "retry {retry}: {wait:?} > {ceiling:?}");
        }
    }
}
