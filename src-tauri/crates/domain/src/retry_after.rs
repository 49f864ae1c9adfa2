//! The HTTP `Retry-After` header, read the same way by every client that honours it (Trading
//! Grid and `collab/v1`, the connectors' pushes): seconds or an HTTP date, clamped to an hour.

use std::time::Duration;

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
