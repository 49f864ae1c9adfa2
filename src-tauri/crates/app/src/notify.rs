//! OS notifications without Tauri: any job (SLA, sync, transfers, drop folders, connectors)
//! asks for one through [`Notifier::notify`]; requests are batched (a sync bringing 500 changes
//! gives one summary), filtered by the analyst's per-kind switches, pause and quiet hours, and
//! handed to a [`NotificationSink`] the shell implements with `tauri-plugin-notification`.
//! A click comes back as the shown notification's id ([`Notifier::clicked`]), which answers
//! where the window should go; `AppState::notification_clicked` is the one path a click, and
//! the tests, take.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Timelike};
pub use pd_domain::{NotificationKind, NotificationSettings, OpenRoute, QuietHours};
use tokio::sync::mpsc;

/// How long requests are collected before one notification goes out.
pub const NOTIFY_WINDOW: Duration = Duration::from_secs(2);

/// How many shown notifications remember where a click goes (older ones open nothing).
const REMEMBERED_CLICKS: usize = 200;

/// The case a notification is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseLink {
    /// Case id (what the window opens).
    pub id: String,
    /// Human reference (what the text shows).
    pub reference: String,
}

/// A request for an OS notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Why (the switch that governs it).
    pub kind: NotificationKind,
    /// One line.
    pub title: String,
    /// A few words more.
    pub body: String,
    /// The case a click opens; none: the kind's list (Mine, outbox, exceptions).
    pub case: Option<CaseLink>,
}

/// What the OS is asked to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// Id the click reports back.
    pub id: i32,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Where a click goes.
    pub route: OpenRoute,
    /// How many requests it stands for (1 unless a summary).
    pub count: usize,
}

/// Where notifications are shown: the shell implements it with the OS notification service,
/// tests with a vector.
pub trait NotificationSink: Send + Sync + 'static {
    /// Shows one notification.
    fn show(&self, shown: &Shown);
}

impl<F> NotificationSink for F
where
    F: Fn(&Shown) + Send + Sync + 'static,
{
    fn show(&self, shown: &Shown) {
        self(shown);
    }
}

/// The local time now (a fake clock in tests).
pub type LocalClock = Arc<dyn Fn() -> DateTime<FixedOffset> + Send + Sync>;

/// The computer's clock in its local time zone.
pub fn system_clock() -> LocalClock {
    Arc::new(|| chrono::Local::now().fixed_offset())
}

struct Inner {
    sink: RwLock<Option<Arc<dyn NotificationSink>>>,
    settings: RwLock<NotificationSettings>,
    clock: LocalClock,
    next_id: AtomicI32,
    routes: Mutex<BTreeMap<i32, OpenRoute>>,
    /// Requests dropped by switches, pause or quiet hours (shown in the app, not the OS).
    held_back: Mutex<u64>,
}

/// Where jobs ask for notifications; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    sender: mpsc::UnboundedSender<Notification>,
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").finish_non_exhaustive()
    }
}

impl Notifier {
    /// Starts the batching task on the current Tokio runtime. Nothing is shown until a sink
    /// is [connected](Self::connect).
    pub fn start(window: Duration, clock: LocalClock, settings: NotificationSettings) -> Self {
        let inner = Arc::new(Inner {
            sink: RwLock::new(None),
            settings: RwLock::new(settings),
            clock,
            next_id: AtomicI32::new(1),
            routes: Mutex::new(BTreeMap::new()),
            held_back: Mutex::new(0),
        });
        let (sender, mut receiver) = mpsc::unbounded_channel::<Notification>();
        let task_inner = inner.clone();
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                let mut batch = vec![first];
                let deadline = tokio::time::Instant::now() + window;
                while let Ok(Some(next)) = tokio::time::timeout_at(deadline, receiver.recv()).await
                {
                    batch.push(next);
                }
                task_inner.deliver(batch);
            }
        });
        Notifier { sender, inner }
    }

    /// Shows notifications through `sink` from now on.
    pub fn connect(&self, sink: impl NotificationSink) {
        *self
            .inner
            .sink
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(sink));
    }

    /// Asks for a notification; it goes out with the next batch, if the settings allow it.
    pub fn notify(&self, notification: Notification) {
        // A closed channel means the app is shutting down: nobody is left to tell.
        let _ = self.sender.send(notification);
    }

    /// Uses these switches, pause and quiet hours from the next batch on.
    pub fn set_settings(&self, settings: NotificationSettings) {
        *self
            .inner
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner) = settings;
    }

    /// The switches in force.
    pub fn settings(&self) -> NotificationSettings {
        self.inner
            .settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Where a click on the shown notification `id` goes (none for an unknown or old id).
    pub fn clicked(&self, id: i32) -> Option<OpenRoute> {
        self.inner
            .routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// How many requests the switches, pause or quiet hours held back this session.
    pub fn held_back(&self) -> u64 {
        *self
            .inner
            .held_back
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn deliver(&self, batch: Vec<Notification>) {
        let settings = self
            .settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let now = (self.clock)();
        let minute = u16::try_from(now.hour() * 60 + now.minute()).unwrap_or(0);
        let quiet = settings.paused || settings.quiet_hours.is_some_and(|q| q.contains(minute));
        let before = batch.len();
        let wanted: Vec<Notification> = if quiet {
            Vec::new()
        } else {
            batch
                .into_iter()
                .filter(|n| settings.is_on(n.kind))
                .collect()
        };
        let dropped = u64::try_from(before - wanted.len()).unwrap_or(u64::MAX);
        if dropped > 0 {
            *self
                .held_back
                .lock()
                .unwrap_or_else(PoisonError::into_inner) += dropped;
            tracing::debug!(dropped, quiet, "notifications held back by the settings");
        }
        let Some(shown) = self.summarize(wanted) else {
            return;
        };
        {
            let mut routes = self.routes.lock().unwrap_or_else(PoisonError::into_inner);
            routes.insert(shown.id, shown.route.clone());
            while routes.len() > REMEMBERED_CLICKS {
                routes.pop_first();
            }
        }
        let sink = self
            .sink
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match sink {
            Some(sink) => sink.show(&shown),
            None => tracing::debug!(title = %shown.title, "no notification sink connected"),
        }
    }

    /// One notification for the whole batch: itself when alone, else a summary.
    fn summarize(&self, mut batch: Vec<Notification>) -> Option<Shown> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let count = batch.len();
        if count <= 1 {
            let only = batch.pop()?;
            let route = match &only.case {
                Some(case) => OpenRoute::Case {
                    id: case.id.clone(),
                },
                None => only.kind.list_route(),
            };
            return Some(Shown {
                id,
                title: only.title,
                body: only.body,
                route,
                count: 1,
            });
        }
        let mut per_kind: BTreeMap<NotificationKind, usize> = BTreeMap::new();
        for n in &batch {
            *per_kind.entry(n.kind).or_default() += 1;
        }
        let cases: BTreeSet<&str> = batch
            .iter()
            .filter_map(|n| n.case.as_ref().map(|c| c.id.as_str()))
            .collect();
        let one_case = (cases.len() == 1 && batch.iter().all(|n| n.case.is_some()))
            .then(|| cases.iter().next().map(|id| (*id).to_owned()))
            .flatten();
        let (title, route) = match (per_kind.len(), per_kind.iter().next()) {
            (1, Some((kind, n))) => (kind.summary(*n), kind.list_route()),
            _ => (format!("{count} updates need you"), OpenRoute::Mine),
        };
        let route = match one_case {
            Some(id) => OpenRoute::Case { id },
            None => route,
        };
        let mut lines: Vec<String> = if per_kind.len() > 1 {
            per_kind.iter().map(|(kind, n)| kind.summary(*n)).collect()
        } else {
            batch
                .iter()
                .take(3)
                .map(|n| match &n.case {
                    // A title that names its case already ("CASE-1 breached its SLA") is enough.
                    Some(case)
                        if !case.reference.is_empty() && !n.title.contains(&case.reference) =>
                    {
                        format!("{}: {}", case.reference, n.title)
                    }
                    _ => n.title.clone(),
                })
                .collect()
        };
        if per_kind.len() == 1 && count > 3 {
            lines.push(format!("and {} more", count - 3));
        }
        Some(Shown {
            id,
            title,
            body: lines.join("\n"),
            route,
            count,
        })
    }
}

/// Tells the analyst about each upload or download that fails (a "failed action"); a click
/// opens the case it belongs to.
pub fn notify_failed_transfers(state: &crate::AppState) {
    let notifier = state.notifier.clone();
    // Weak: the transfers list outlives the app state in the jobs that share it, and a strong
    // slot here kept a closed workspace (and its cache lock) open through them.
    let current = std::sync::Arc::downgrade(&state.current_slot());
    state.transfers.on_failure(move |view| {
        let Some(current) = current.upgrade() else {
            return;
        };
        let store = current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .store
            .clone();
        let reference = store
            .case(&view.case_id)
            .ok()
            .flatten()
            .map(|case| case.reference)
            .unwrap_or_default();
        let what = match view.direction {
            pd_domain::TransferDirection::Upload => "Upload",
            pd_domain::TransferDirection::Download => "Download",
        };
        let on = if reference.is_empty() {
            String::new()
        } else {
            format!(" ({reference})")
        };
        notifier.notify(Notification {
            kind: NotificationKind::FailedAction,
            title: format!("{what} of {} failed{on}", view.name),
            body: view.error.as_ref().map_or_else(
                || "See Transfers to retry it.".to_owned(),
                |e| format!("{} See Transfers to retry it.", e.message),
            ),
            case: Some(CaseLink {
                id: view.case_id.clone(),
                reference,
            }),
        });
    });
}

/// Tells the analyst when a long batch of uploads and downloads ends (one notification for the
/// batch; its failures were each told already): what finished, and on which case.
pub fn notify_long_transfer_batches(state: &crate::AppState) {
    notify_transfer_batches_longer_than(state, crate::transfers::LONG_BATCH);
}

/// [`notify_long_transfer_batches`] for batches that ran at least `long` (tests pass zero).
pub fn notify_transfer_batches_longer_than(state: &crate::AppState, long: std::time::Duration) {
    let notifier = state.notifier.clone();
    let current = std::sync::Arc::downgrade(&state.current_slot());
    state.transfers.on_batch_end(long, move |ended| {
        let reference_of = |case_id: &str| {
            current.upgrade().and_then(|slot| {
                let store = slot
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .store
                    .clone();
                store
                    .case(case_id)
                    .ok()
                    .flatten()
                    .map(|case| case.reference)
            })
        };
        if let Some(notification) = batch_notification(ended, reference_of) {
            notifier.notify(notification);
        }
    });
}

/// The notification of a batch that ended (`None` when nothing in it finished).
pub fn batch_notification(
    ended: &[pd_domain::TransferView],
    reference_of: impl Fn(&str) -> Option<String>,
) -> Option<Notification> {
    use pd_domain::{TransferDirection, TransferState};
    let done: Vec<&pd_domain::TransferView> = ended
        .iter()
        .filter(|v| v.state == TransferState::Done)
        .collect();
    if done.is_empty() {
        return None;
    }
    let count = |direction: TransferDirection, one: &str, many: &str| {
        let n = done.iter().filter(|v| v.direction == direction).count();
        match n {
            0 => None,
            1 => Some(format!("1 {one}")),
            n => Some(format!("{n} {many}")),
        }
    };
    let parts: Vec<String> = [
        count(TransferDirection::Upload, "upload", "uploads"),
        count(TransferDirection::Download, "download", "downloads"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let names: Vec<&str> = done.iter().map(|v| v.name.as_str()).collect();
    let mut body = match names.as_slice() {
        [one] => (*one).to_owned(),
        [a, b] => format!("{a} and {b}"),
        [a, b, c] => format!("{a}, {b} and {c}"),
        [a, b, c, rest @ ..] => format!("{a}, {b}, {c} and {} more", rest.len()),
        [] => String::new(),
    };
    let unfinished = ended.len() - done.len();
    if unfinished > 0 {
        body.push_str(&format!("; {unfinished} did not finish (see Transfers)"));
    }
    let first_case = &done[0].case_id;
    let one_case = ended.iter().all(|v| &v.case_id == first_case);
    let case = one_case.then(|| CaseLink {
        id: first_case.clone(),
        reference: reference_of(first_case).unwrap_or_default(),
    });
    let on = case
        .as_ref()
        .filter(|c| !c.reference.is_empty())
        .map(|c| format!(" on {}", c.reference))
        .unwrap_or_default();
    Some(Notification {
        kind: NotificationKind::BatchFinished,
        title: format!("{} finished{on}", parts.join(" and ")),
        body,
        case,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> LocalClock {
        Arc::new(move || {
            FixedOffset::east_opt(3600)
                .and_then(|tz| tz.with_ymd_and_hms(2026, 11, 30, hour, minute, 0).single())
                .expect("valid time")
        })
    }

    fn breach(case: &str) -> Notification {
        Notification {
            kind: NotificationKind::SlaBreached,
            title: format!("{case} breached its SLA"),
            body: "Resolution due 10:00".to_owned(),
            case: Some(CaseLink {
                id: format!("id-{case}"),
                reference: case.to_owned(),
            }),
        }
    }

    async fn shown_after(notifier: &Notifier, shown: &Arc<Mutex<Vec<Shown>>>) -> Vec<Shown> {
        // Requests are queued before the batch task runs; one window later they went out.
        let _ = notifier;
        tokio::time::sleep(Duration::from_millis(200)).await;
        shown.lock().expect("test mutex").clone()
    }

    fn collecting(notifier: &Notifier) -> Arc<Mutex<Vec<Shown>>> {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let sink = shown.clone();
        notifier.connect(move |s: &Shown| sink.lock().expect("test mutex").push(s.clone()));
        shown
    }

    #[tokio::test]
    async fn five_hundred_breaches_in_one_sync_make_one_summary_that_opens_mine() {
        let notifier = Notifier::start(
            Duration::from_millis(50),
            at(12, 0),
            NotificationSettings::default(),
        );
        let shown = collecting(&notifier);
        for i in 0..500 {
            notifier.notify(breach(&format!("CASE-{i:03}")));
        }
        let all = shown_after(&notifier, &shown).await;
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0].title, "500 of your cases breached their SLA");
        assert_eq!(all[0].count, 500);
        assert!(all[0].body.ends_with("and 497 more"), "{}", all[0].body);
        // Each line names its case once (the titles already do).
        assert!(
            all[0]
                .body
                .starts_with("CASE-000 breached its SLA\nCASE-001 breached its SLA\n"),
            "{}",
            all[0].body
        );
        assert_eq!(notifier.clicked(all[0].id), Some(OpenRoute::Mine));
    }

    #[tokio::test]
    async fn one_notification_opens_its_case_when_clicked() {
        let notifier = Notifier::start(
            Duration::from_millis(50),
            at(12, 0),
            NotificationSettings::default(),
        );
        let shown = collecting(&notifier);
        notifier.notify(breach("CASE-7"));
        let all = shown_after(&notifier, &shown).await;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].title, "CASE-7 breached its SLA");
        assert_eq!(
            notifier.clicked(all[0].id),
            Some(OpenRoute::Case {
                id: "id-CASE-7".to_owned()
            })
        );
        assert_eq!(notifier.clicked(all[0].id + 1), None);
    }

    #[tokio::test]
    async fn quiet_hours_over_midnight_hold_everything_back_and_daytime_does_not() {
        let settings = NotificationSettings {
            quiet_hours: Some(QuietHours {
                start_minute: 22 * 60,
                end_minute: 7 * 60,
            }),
            ..NotificationSettings::default()
        };
        let night = Notifier::start(Duration::from_millis(50), at(23, 30), settings.clone());
        let night_shown = collecting(&night);
        night.notify(breach("CASE-1"));
        assert!(shown_after(&night, &night_shown).await.is_empty());
        assert_eq!(night.held_back(), 1);

        let early = Notifier::start(Duration::from_millis(50), at(6, 59), settings.clone());
        let early_shown = collecting(&early);
        early.notify(breach("CASE-2"));
        assert!(shown_after(&early, &early_shown).await.is_empty());

        let morning = Notifier::start(Duration::from_millis(50), at(7, 0), settings);
        let morning_shown = collecting(&morning);
        morning.notify(breach("CASE-3"));
        assert_eq!(shown_after(&morning, &morning_shown).await.len(), 1);
    }

    #[tokio::test]
    async fn a_switched_off_kind_is_left_out_of_the_batch_and_pause_holds_all() {
        let notifier = Notifier::start(
            Duration::from_millis(50),
            at(12, 0),
            NotificationSettings {
                off: vec![NotificationKind::SlaBreached],
                ..NotificationSettings::default()
            },
        );
        let shown = collecting(&notifier);
        notifier.notify(breach("CASE-1"));
        notifier.notify(Notification {
            kind: NotificationKind::PartnerReply,
            title: "Acme replied on CASE-9".to_owned(),
            body: "We shipped the rest today.".to_owned(),
            case: Some(CaseLink {
                id: "id-9".to_owned(),
                reference: "CASE-9".to_owned(),
            }),
        });
        let all = shown_after(&notifier, &shown).await;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].title, "Acme replied on CASE-9");

        notifier.set_settings(NotificationSettings {
            paused: true,
            ..NotificationSettings::default()
        });
        notifier.notify(breach("CASE-2"));
        assert_eq!(shown_after(&notifier, &shown).await.len(), 1);
    }

    fn ended(id: &str, case_id: &str, state: pd_domain::TransferState) -> pd_domain::TransferView {
        pd_domain::TransferView {
            id: id.to_owned(),
            direction: pd_domain::TransferDirection::Upload,
            name: format!("{id}.pdf"),
            case_id: case_id.to_owned(),
            state,
            done_bytes: 0,
            total_bytes: 1,
            bytes_per_second: 0.0,
            seconds_left: None,
            error: None,
            queued_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_batch_over_several_cases_names_what_finished_and_what_did_not() {
        use pd_domain::TransferState::{Cancelled, Done};
        let batch = [
            ended("a", "c1", Done),
            ended("b", "c2", Done),
            ended("c", "c2", Done),
            ended("d", "c2", Done),
            ended("e", "c2", Cancelled),
        ];
        let shown =
            batch_notification(&batch, |_| Some("CASE-1".to_owned())).expect("a notification");
        assert_eq!(shown.kind, NotificationKind::BatchFinished);
        assert_eq!(shown.title, "4 uploads finished");
        assert_eq!(
            shown.body,
            "a.pdf, b.pdf, c.pdf and 1 more; 1 did not finish (see Transfers)"
        );
        assert_eq!(shown.case, None, "several cases: the click opens the list");
        assert_eq!(
            batch_notification(&[ended("x", "c1", Cancelled)], |_| None),
            None,
            "nothing finished: nothing to announce"
        );
    }
}
