//! Where the window should go when something outside it asks (a notification click, a
//! `partnerdesk://case/<reference>` link, the tray): the request is kept until the window takes
//! it (`take_open_request`, so a link that started the app is not lost before the UI loads), and
//! a [`WindowFront`] the shell implements brings the window to the front and tells it to look.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use pd_domain::{ErrorCode, OpenRoute};

use crate::error::AppError;

/// The event the window listens to before calling `take_open_request`.
pub const OPEN_EVENT: &str = "pd://open";

/// The scheme of PartnerDesk's links.
pub const LINK_SCHEME: &str = "partnerdesk";

/// Brings the window forward and tells it a request is waiting (the shell: show, unminimize,
/// focus, emit [`OPEN_EVENT`]).
pub trait WindowFront: Send + Sync + 'static {
    /// Called after a request was recorded.
    fn bring_forward(&self);
}

impl<F> WindowFront for F
where
    F: Fn() + Send + Sync + 'static,
{
    fn bring_forward(&self) {
        self();
    }
}

/// The pending request and the window's front; cheap to clone.
#[derive(Clone, Default)]
pub struct Navigation {
    pending: Arc<Mutex<Option<OpenRoute>>>,
    front: Arc<RwLock<Option<Arc<dyn WindowFront>>>>,
}

impl std::fmt::Debug for Navigation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Navigation")
            .field("pending", &self.peek())
            .finish_non_exhaustive()
    }
}

impl Navigation {
    /// Uses `front` from now on.
    pub fn connect(&self, front: impl WindowFront) {
        *self.front.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(front));
    }

    /// Records `route` (replacing an older request) and brings the window forward.
    pub fn open(&self, route: OpenRoute) {
        *self.pending.lock().unwrap_or_else(PoisonError::into_inner) = Some(route);
        let front = self
            .front
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(front) = front {
            front.bring_forward();
        }
    }

    /// The waiting request, removed.
    pub fn take(&self) -> Option<OpenRoute> {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The waiting request, left in place.
    pub fn peek(&self) -> Option<OpenRoute> {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The case reference a `partnerdesk://case/<reference>` link names.
pub fn case_reference_of_link(link: &str) -> Result<String, AppError> {
    let refused = || {
        AppError::reported(
            ErrorCode::InputInvalid,
            format!(
                "PartnerDesk cannot open \"{link}\": links look like partnerdesk://case/CASE-2026-000123."
            ),
        )
    };
    let url = url::Url::parse(link.trim()).map_err(|_| refused())?;
    if url.scheme() != LINK_SCHEME {
        return Err(refused());
    }
    // `partnerdesk://case/REF`: host "case", path "/REF".
    if url.host_str() != Some("case") {
        return Err(refused());
    }
    let reference = url.path().trim_matches('/');
    let reference = percent_decode(reference);
    if reference.is_empty() || reference.contains('/') || reference.chars().count() > 100 {
        return Err(refused());
    }
    Ok(reference)
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_link_names_its_reference_and_other_links_are_refused_in_words() {
        assert_eq!(
            case_reference_of_link("partnerdesk://case/CASE-2026-000123").ok(),
            Some("CASE-2026-000123".to_owned())
        );
        assert_eq!(
            case_reference_of_link("partnerdesk://case/CASE-1/").ok(),
            Some("CASE-1".to_owned())
        );
        for bad in [
            "partnerdesk://partner/ACME",
            "https://case/CASE-1",
            "partnerdesk://case/",
            "not a link",
        ] {
            let error = case_reference_of_link(bad).expect_err(bad);
            assert!(error.to_string().contains("partnerdesk://case/"), "{error}");
        }
    }

    #[test]
    fn a_request_waits_until_the_window_takes_it_once() {
        let navigation = Navigation::default();
        let fronted = Arc::new(Mutex::new(0));
        let count = fronted.clone();
        navigation.connect(move || *count.lock().expect("test mutex") += 1);
        navigation.open(OpenRoute::Mine);
        navigation.open(OpenRoute::Case { id: "c1".into() });
        assert_eq!(*fronted.lock().expect("test mutex"), 2);
        assert_eq!(navigation.take(), Some(OpenRoute::Case { id: "c1".into() }));
        assert_eq!(navigation.take(), None);
    }
}
