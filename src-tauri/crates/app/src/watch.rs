//! The desk watcher: a supervised background job of the open workspace that, for the analyst's
//! own cases ("me" in the desktop settings), computes the SLA marks (offline too), fires the
//! escalation rules once per breach (their changes queued through the outbox, each firing
//! recorded on the case with its rule) and asks for notifications: SLA at risk or breached, a
//! partner's reply, a new exception of one of my partners, a change the server refused.
//! Only the owner's app escalates a case, so a team's apps do not escalate it several times.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use chrono::Utc;
use pd_domain::{
    evaluate, Assignee, Case, CasePatch, DeskSettings, EscalationAction, EscalationRule,
    EscalationTrigger, NotificationKind, Priority, SlaClock, SlaState, SlaView, Timestamp,
};
use pd_store::{EscalationPlan, Store};

use crate::error::AppError;
use crate::events::{ChangeReporter, Topic};
use crate::notify::{CaseLink, Notification, Notifier};

/// How often the watcher looks (SLA marks move with the clock).
pub const WATCH_EVERY: Duration = Duration::from_secs(30);

/// Cursor keys of the watcher's watermarks in the cache.
const REPLIES_CURSOR: &str = "watch.replies";
const EXCEPTIONS_CURSOR: &str = "watch.exceptions";

/// The desktop settings as the background jobs read them (updated when saved).
pub type DeskCell = Arc<RwLock<DeskSettings>>;

/// Wakes the watchers before their next turn (the desktop settings were saved: "me" or the
/// policy may have changed).
pub type WatchNudge = Arc<tokio::sync::Notify>;

/// What one look found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WatchOutcome {
    /// Notifications to ask for.
    pub notifications: Vec<Notification>,
    /// Escalation rules that fired now (case id, rule id).
    pub fired: Vec<(String, String)>,
}

fn link(case: &Case) -> Option<CaseLink> {
    Some(CaseLink {
        id: case.id.clone(),
        reference: case.reference.clone(),
    })
}

fn rank(state: SlaState) -> u8 {
    match state {
        SlaState::None => 0,
        SlaState::OnTrack => 1,
        SlaState::AtRisk => 2,
        SlaState::Breached => 3,
    }
}

/// The clock that decides the case's mark (the worst state, then the earliest due).
fn deciding_clock(view: &SlaView) -> Option<&SlaClock> {
    [view.first_response.as_ref(), view.resolution.as_ref()]
        .into_iter()
        .flatten()
        .filter(|c| c.state == view.state)
        .min_by_key(|c| c.due_at)
}

/// How many times the case was reopened (a resolved or closed case made active again): each
/// open period of a case can breach once per clock.
fn open_period(facts: &pd_domain::SlaFacts) -> usize {
    facts
        .history
        .windows(2)
        .filter(|w| w[0].status.is_terminal() && !w[1].status.is_terminal())
        .count()
}

/// The breach a trigger names, if the case has reached it: its clock and open period (a
/// priority raised by a rule changes the due date, not the breach, so rules do not cascade).
fn breach_key(
    view: &SlaView,
    facts: &pd_domain::SlaFacts,
    trigger: EscalationTrigger,
) -> Option<String> {
    let reached = match trigger {
        EscalationTrigger::AtRisk => rank(view.state) >= rank(SlaState::AtRisk),
        EscalationTrigger::Breached => view.state == SlaState::Breached,
    };
    if !reached {
        return None;
    }
    // A due date from the server alone (policy off) has no clock of its own.
    let clock = deciding_clock(view).map_or("Server".to_owned(), |c| format!("{:?}", c.clock));
    Some(format!("{clock}#{}", open_period(facts)))
}

fn one_step_up(priority: Priority) -> Priority {
    match priority {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

/// What `rule` does to `case`, in one plan (the patch, the note, words for the activity).
fn plan(
    rule: &EscalationRule,
    case: &Case,
    breach: String,
    analyst: &str,
) -> (EscalationPlan, bool) {
    let mut patch = CasePatch::default();
    let mut note = None;
    let mut words = Vec::new();
    let mut notify = false;
    let mut event = false;
    for action in &rule.actions {
        match action {
            EscalationAction::RaisePriority { to } => {
                let target = to.unwrap_or_else(|| one_step_up(case.priority));
                if target > case.priority {
                    patch.priority = Some(target);
                    words.push(format!("priority raised to {}", target.as_str()));
                } else {
                    words.push(format!("priority already {}", case.priority.as_str()));
                }
            }
            EscalationAction::Reassign { to } => {
                let (login, label) = match to {
                    Assignee::Person { login_id } => (Some(login_id.clone()), login_id.clone()),
                    Assignee::Tier { name, members } => (
                        members
                            .iter()
                            .find(|m| Some(m.as_str()) != case.owner.as_deref())
                            .or(members.first())
                            .cloned(),
                        name.clone(),
                    ),
                };
                if let Some(login) = login.filter(|l| Some(l.as_str()) != case.owner.as_deref()) {
                    words.push(format!("reassigned to {login} ({label})"));
                    patch.owner = Some(Some(login));
                }
            }
            EscalationAction::InternalNote { text } => {
                note = Some((analyst.to_owned(), text.clone()));
                words.push("internal note added".to_owned());
            }
            EscalationAction::Notify => {
                notify = true;
                words.push("owner notified".to_owned());
            }
            EscalationAction::EmitEvent => {
                event = true;
                words.push("xConnector event sent".to_owned());
            }
        }
    }
    let patch = (patch != CasePatch::default()).then_some(patch);
    (
        EscalationPlan {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            breach,
            patch,
            note,
            summary: words.join(", "),
            event,
        },
        notify,
    )
}

fn applies(rule: &EscalationRule, case: &Case) -> bool {
    rule.enabled
        && (rule.kinds.is_empty() || rule.kinds.contains(&case.kind))
        && (rule.priorities.is_empty() || rule.priorities.contains(&case.priority))
}

fn sla_notification(case: &Case, view: &SlaView) -> Option<Notification> {
    let clock = deciding_clock(view)?;
    let what = match clock.clock {
        pd_domain::SlaClockKind::FirstResponse => "first response",
        pd_domain::SlaClockKind::Resolution => "resolution",
    };
    let (kind, title) = match view.state {
        SlaState::Breached => (
            NotificationKind::SlaBreached,
            format!("{} breached its {what} SLA", case.reference),
        ),
        SlaState::AtRisk => (
            NotificationKind::SlaAtRisk,
            format!("{} is at risk of missing its {what} SLA", case.reference),
        ),
        _ => return None,
    };
    Some(Notification {
        kind,
        title,
        body: format!("{} · {}", case.title, case.partner_name),
        case: link(case),
    })
}

/// One look over the workspace's cache at `now` (tests pass a fake clock). Writes go through
/// the store's transactions: a rule's changes and the record that it fired commit together,
/// so a fault or a restart at any point leaves it fired once or not at all.
pub fn watch_once(
    store: &Store,
    desk: &DeskSettings,
    analyst: &str,
    now: Timestamp,
) -> Result<WatchOutcome, AppError> {
    let mut out = WatchOutcome::default();
    let Some(me) = desk.me.as_deref() else {
        return Ok(out);
    };
    for (case, facts) in store.open_cases_of(me)? {
        let view = evaluate(&facts, &desk.sla, now);
        // The mark itself: one notification per case, clock and breach.
        if let Some(notification) = sla_notification(&case, &view) {
            let trigger = if view.state == SlaState::Breached {
                EscalationTrigger::Breached
            } else {
                EscalationTrigger::AtRisk
            };
            if let Some(breach) = breach_key(&view, &facts, trigger) {
                let watch = EscalationPlan {
                    rule_id: format!("builtin:notify:{trigger:?}"),
                    rule_name: "SLA notification".to_owned(),
                    breach,
                    patch: None,
                    note: None,
                    summary: "notified".to_owned(),
                    event: false,
                };
                if store.escalate(&case.id, &watch, now)? {
                    out.notifications.push(notification);
                }
            }
        }
        let mut current = case.clone();
        for rule in desk.escalation_rules.iter().filter(|r| applies(r, &case)) {
            let Some(breach) = breach_key(&view, &facts, rule.trigger) else {
                continue;
            };
            let (plan, notify) = plan(rule, &current, breach, analyst);
            if store.escalate(&case.id, &plan, now)? {
                tracing::info!(case = %case.reference, rule = %rule.name, actions = %plan.summary, "escalation rule fired");
                out.fired.push((case.id.clone(), rule.id.clone()));
                if let Some(patch) = &plan.patch {
                    if let Some(priority) = patch.priority {
                        current.priority = priority;
                    }
                    if let Some(owner) = &patch.owner {
                        current.owner.clone_from(owner);
                    }
                }
                if notify {
                    out.notifications.push(Notification {
                        kind: if rule.trigger == EscalationTrigger::Breached {
                            NotificationKind::SlaBreached
                        } else {
                            NotificationKind::SlaAtRisk
                        },
                        title: format!("{} escalated: {}", case.reference, rule.name),
                        body: plan.summary.clone(),
                        case: link(&case),
                    });
                }
            }
        }
    }
    let (comments_now, transactions_now) = store.watermarks()?;
    match store
        .cursor(REPLIES_CURSOR)?
        .and_then(|c| c.parse::<i64>().ok())
    {
        // The first look starts from here: earlier replies were there before the watcher.
        None => store.set_cursor(REPLIES_CURSOR, &comments_now.to_string())?,
        Some(after) => {
            let (replies, last) = store.partner_replies_since(me, after)?;
            for reply in replies {
                out.notifications.push(Notification {
                    kind: NotificationKind::PartnerReply,
                    title: format!("{} replied on {}", reply.partner_name, reply.reference),
                    body: format!("{}: {}", reply.author, first_words(&reply.body)),
                    case: Some(CaseLink {
                        id: reply.case_id,
                        reference: reply.reference,
                    }),
                });
            }
            store.set_cursor(REPLIES_CURSOR, &last.to_string())?;
        }
    }
    match store
        .cursor(EXCEPTIONS_CURSOR)?
        .and_then(|c| c.parse::<i64>().ok())
    {
        None => store.set_cursor(EXCEPTIONS_CURSOR, &transactions_now.to_string())?,
        Some(after) => {
            let (exceptions, last) = store.exceptions_since(me, after)?;
            for exception in exceptions {
                out.notifications.push(Notification {
                    kind: NotificationKind::NewException,
                    title: format!(
                        "New {} exception for {}",
                        exception.edi_type.as_deref().unwrap_or("EDI"),
                        exception.partner_name
                    ),
                    body: exception
                        .error
                        .as_deref()
                        .map(first_words)
                        .unwrap_or_else(|| exception.transaction_id.clone()),
                    case: None,
                });
            }
            store.set_cursor(EXCEPTIONS_CURSOR, &last.to_string())?;
        }
    }
    for failed in store.unnotified_failures()? {
        store.mark_failure_notified(&failed, now)?;
        let on = failed
            .reference
            .clone()
            .unwrap_or_else(|| "a case".to_owned());
        out.notifications.push(Notification {
            kind: NotificationKind::FailedAction,
            title: format!("A change to {on} was refused"),
            body: failed
                .reason
                .as_deref()
                .map(first_words)
                .unwrap_or_else(|| "See the outbox.".to_owned()),
            case: failed.reference.map(|reference| CaseLink {
                id: failed.case_id.clone(),
                reference,
            }),
        });
    }
    Ok(out)
}

fn first_words(text: &str) -> String {
    const MAX: usize = 140;
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= MAX {
        line.to_owned()
    } else {
        let cut: String = line.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// Starts the watcher of a workspace under the supervisor.
pub fn spawn(
    supervisor: &crate::supervisor::Supervisor,
    store: Store,
    desk: DeskCell,
    analyst: String,
    notifier: Notifier,
    changes: ChangeReporter,
    nudge: WatchNudge,
) -> crate::supervisor::JobId {
    supervisor.spawn("SLA and escalations", move || {
        let (store, desk, analyst, notifier, changes, nudge) = (
            store.clone(),
            desk.clone(),
            analyst.clone(),
            notifier.clone(),
            changes.clone(),
            nudge.clone(),
        );
        async move {
            loop {
                let settings = desk.read().unwrap_or_else(PoisonError::into_inner).clone();
                let (store2, analyst2) = (store.clone(), analyst.clone());
                let looked = tokio::task::spawn_blocking(move || {
                    watch_once(&store2, &settings, &analyst2, Utc::now())
                })
                .await;
                match looked {
                    Ok(Ok(outcome)) => {
                        if !outcome.fired.is_empty() {
                            changes.report(&[Topic::Cases, Topic::Outbox]);
                        }
                        for notification in outcome.notifications {
                            notifier.notify(notification);
                        }
                    }
                    Ok(Err(error)) => {
                        tracing::warn!(code = %error.code(), %error, "SLA watcher could not look");
                    }
                    // A panic inside the look: let the supervisor restart the job.
                    Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
                    Err(_) => return,
                }
                tokio::select! {
                    () = tokio::time::sleep(WATCH_EVERY) => {}
                    () = nudge.notified() => {}
                }
            }
        }
    })
}
