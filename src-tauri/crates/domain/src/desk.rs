//! What the desktop does on its own to tap the analyst's shoulder (issue 14): the kinds of OS
//! notification and their switches and quiet hours, where a click or a `partnerdesk://` link
//! takes the window, and the analyst's desktop settings (who "me" is, close-to-tray, the SLA
//! policy and the escalation rules) saved together in the settings file.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::sla::SlaPolicy;
use crate::{CaseKind, CaseStatus, Priority};

/// Why an OS notification is raised; each kind has its own switch in Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// One of my cases is close to missing its SLA.
    SlaAtRisk,
    /// One of my cases missed its SLA.
    SlaBreached,
    /// A new failed transaction of one of my partners.
    NewException,
    /// The partner answered on one of my cases.
    PartnerReply,
    /// A queued change the server refused, or a transfer that failed.
    FailedAction,
    /// A batch of transfers, drop-folder files or connector runs ended.
    BatchFinished,
}

impl NotificationKind {
    /// Every kind, in the order Settings lists them.
    pub const ALL: [NotificationKind; 6] = [
        NotificationKind::SlaAtRisk,
        NotificationKind::SlaBreached,
        NotificationKind::NewException,
        NotificationKind::PartnerReply,
        NotificationKind::FailedAction,
        NotificationKind::BatchFinished,
    ];

    /// How a summary of several of this kind starts ("3 cases breached their SLA").
    pub fn summary(self, count: usize) -> String {
        match self {
            NotificationKind::SlaAtRisk => {
                format!("{count} of your cases are at risk of missing their SLA")
            }
            NotificationKind::SlaBreached => format!("{count} of your cases breached their SLA"),
            NotificationKind::NewException => format!("{count} new exceptions for your partners"),
            NotificationKind::PartnerReply => format!("{count} partner replies on your cases"),
            NotificationKind::FailedAction => format!("{count} actions failed"),
            NotificationKind::BatchFinished => format!("{count} batches finished"),
        }
    }

    /// Where a summary of several of this kind takes the window when clicked.
    pub fn list_route(self) -> OpenRoute {
        match self {
            NotificationKind::SlaAtRisk
            | NotificationKind::SlaBreached
            | NotificationKind::PartnerReply
            | NotificationKind::BatchFinished => OpenRoute::Mine,
            NotificationKind::NewException => OpenRoute::Exceptions,
            NotificationKind::FailedAction => OpenRoute::Outbox,
        }
    }
}

/// A daily span (in the computer's local time) in which no notification is shown; it may
/// run over midnight (22:00 to 07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QuietHours {
    /// Minutes after midnight when quiet starts (0..1440).
    pub start_minute: u16,
    /// Minutes after midnight when quiet ends (0..1440).
    pub end_minute: u16,
}

impl QuietHours {
    /// Whether `minute_of_day` (0..1440) falls inside the quiet span.
    pub fn contains(&self, minute_of_day: u16) -> bool {
        if self.start_minute <= self.end_minute {
            (self.start_minute..self.end_minute).contains(&minute_of_day)
        } else {
            minute_of_day >= self.start_minute || minute_of_day < self.end_minute
        }
    }
}

/// Which notifications the analyst wants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationSettings {
    /// Kinds switched off (every other kind is on).
    pub off: Vec<NotificationKind>,
    /// No notification in this span of each day.
    pub quiet_hours: Option<QuietHours>,
    /// Paused from the tray until resumed.
    pub paused: bool,
}

impl NotificationSettings {
    /// Whether this kind is switched on.
    pub fn is_on(&self, kind: NotificationKind) -> bool {
        !self.off.contains(&kind)
    }
}

/// Where the window goes when a notification is clicked, a link is opened or the tray asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum OpenRoute {
    /// One case.
    Case {
        /// Case id.
        id: String,
    },
    /// The "Mine" view.
    Mine,
    /// The outbox.
    Outbox,
    /// The exceptions inbox.
    Exceptions,
}

/// A target person or tier for a reassignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Assignee {
    /// A colleague by login id.
    Person {
        /// Login id.
        login_id: String,
    },
    /// A tier of the support organisation: the case goes to its first listed member.
    Tier {
        /// Tier name ("Tier 2").
        name: String,
        /// Members' login ids.
        members: Vec<String>,
    },
}

/// What makes an escalation rule fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTrigger {
    /// The case became at risk.
    AtRisk,
    /// The case breached its SLA.
    Breached,
}

/// One thing a rule does, once per breach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EscalationAction {
    /// Raises the priority one step, or to this priority.
    RaisePriority {
        /// The priority to set; one step up when none.
        to: Option<Priority>,
    },
    /// Gives the case to someone else.
    Reassign {
        /// To whom.
        to: Assignee,
    },
    /// Adds an internal note.
    InternalNote {
        /// The note's text.
        text: String,
    },
    /// Notifies the case's owner on this computer.
    Notify,
    /// Sends an xConnector event about the escalation
    /// (`com.opentext.partnerdesk.case.escalated.v1`) to every xConnector whose outbound events
    /// are on, queued through the outbox like any other connector write.
    EmitEvent,
}

/// An editable escalation rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EscalationRule {
    /// Stable id (recorded on the case when it fires).
    pub id: String,
    /// Shown name.
    pub name: String,
    /// Off rules are kept but not evaluated.
    pub enabled: bool,
    /// When it fires.
    pub trigger: EscalationTrigger,
    /// Only these kinds (empty: all).
    #[serde(default)]
    pub kinds: Vec<CaseKind>,
    /// Only these priorities (empty: all).
    #[serde(default)]
    pub priorities: Vec<Priority>,
    /// What it does, in order.
    pub actions: Vec<EscalationAction>,
}

/// The desktop settings, saved in the settings file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct DeskSettings {
    /// The analyst's login id among the colleagues ("my cases"); none until chosen.
    pub me: Option<String>,
    /// Notification switches, quiet hours, pause.
    pub notifications: NotificationSettings,
    /// Closing the window keeps the app (and its sync) running in the tray.
    pub close_to_tray: bool,
    /// SLA targets and business hours.
    pub sla: SlaPolicy,
    /// Escalation rules, evaluated in order.
    pub escalation_rules: Vec<EscalationRule>,
}

impl Default for DeskSettings {
    fn default() -> Self {
        Self {
            me: None,
            notifications: NotificationSettings::default(),
            close_to_tray: true,
            sla: SlaPolicy::default(),
            escalation_rules: Vec::new(),
        }
    }
}

/// The statuses during which the analyst's side is expected to act ("waiting on us").
pub const WAITING_ON_US: [CaseStatus; 3] =
    [CaseStatus::New, CaseStatus::Open, CaseStatus::WaitingOnUs];

/// The counts the "Mine" view's strip and the tray show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MyWorkCounts {
    /// My open cases past their SLA.
    pub breached: u32,
    /// My open cases at risk.
    pub at_risk: u32,
    /// My open cases where the ball is in our court.
    pub waiting_on_us: u32,
    /// Queued changes the server refused.
    pub failed_actions: u32,
    /// "Me" is not chosen yet: the case counts are zero for that reason.
    pub me_unknown: bool,
}
