//! Injected faults, taken in order by the next requests a double receives.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status (with the vendor's error body) without acting.
    Status(u16),
    /// Act, then close the connection without an answer.
    Drop,
    /// Answer 429 with `Retry-After` of this many seconds, without acting (a rate limit in
    /// front of the site, as proxies and API gateways send it).
    SlowDown(u64),
}

/// Adds `Retry-After: secs` to an answer.
pub(crate) fn with_retry_after(
    mut response: axum::response::Response,
    secs: u64,
) -> axum::response::Response {
    if let Ok(value) = axum::http::HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert("retry-after", value);
    }
    response
}

/// The queue of faults of one double.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults(Arc<Mutex<VecDeque<Fault>>>);

impl Faults {
    pub(crate) fn push(&self, fault: Fault, times: usize) {
        let mut queue = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for _ in 0..times {
            queue.push_back(fault);
        }
    }

    pub(crate) fn next(&self) -> Option<Fault> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).pop_front()
    }
}

/// Ends the handler without an answer: hyper closes the connection. `resume_unwind` skips the
/// panic hook, so nothing is printed.
pub(crate) fn drop_connection() -> ! {
    std::panic::resume_unwind(Box::new("connection dropped by the double"))
}
