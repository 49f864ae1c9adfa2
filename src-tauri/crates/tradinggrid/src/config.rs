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

/// The longest `Retry-After` believed: a server asking for more (up to 2^64 - 1 seconds) is
/// taken as asking for an hour, so no server number can overflow a deadline.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Reads a `Retry-After` value: delay seconds or an HTTP date (IMF-fixdate, RFC 850, asctime).
/// A date in the past means "now"; anything beyond [`MAX_RETRY_AFTER`] means that long.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    parse_retry_after_unclamped(value, now).map(|wait| wait.min(MAX_RETRY_AFTER))
}

fn parse_retry_after_unclamped(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds: a very long wait all the same.
        return Some(MAX_RETRY_AFTER);
    }
    let at = chrono::DateTime::parse_from_rfc2822(value)
        .map(|d| d.with_timezone(&chrono::Utc))
        .ok()
        .or_else(|| {
            ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
                .iter()
                .find_map(|format| {
                    chrono::NaiveDateTime::parse_from_str(value, format)
                        .ok()
                        .map(|n| n.and_utc())
                })
        })?;
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

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

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .expect("now")
            .with_timezone(&chrono::Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:28:03 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:28:02 2015", now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("18446744073709551615", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
