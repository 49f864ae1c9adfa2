//! Work carried to and from the systems around Trading Grid (the xConnector integration layer,
//! a Wix site, a Drupal site): the writes queued in the outbox beside case changes
//! ([`ConnectorWrite`], one [`crate::OutboxOp::Connector`] variant so the case push and the
//! connector push share one queue), what a case shows of them (notices, articles, where it came
//! from) and what Settings shows per connector. Kept here so the store, the connector push and
//! the UI bindings share one definition.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{CaseKind, CaseStatus, Timestamp};

/// One write to an outside system. Each goes out once: the xConnector receives the event id
/// (the outbox op id) as its CloudEvents `id` and `Idempotency-Key`; Wix and Drupal have no
/// idempotency keys, so their items and nodes carry ids PartnerDesk chooses (a Wix item id, a
/// JSON:API client-generated UUID): a repeated insert is refused as existing and becomes an
/// update, which replaces the item with the same content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "write", rename_all = "snake_case")]
pub enum ConnectorWrite {
    /// A case change as a CloudEvent to the xConnector's outbound endpoint.
    XcEvent(OutboundEvent),
    /// A partner status notice in a Wix collection (inserted, replaced, or marked withdrawn).
    WixNotice(WixNoticeWrite),
    /// A knowledge article node in Drupal (created or updated).
    DrupalArticle(DrupalArticleWrite),
    /// The case's status written back to the Drupal request node it came from.
    DrupalRequestStatus(DrupalStatusWrite),
}

impl ConnectorWrite {
    /// The connector it goes to.
    pub fn connector_id(&self) -> &str {
        match self {
            ConnectorWrite::XcEvent(w) => &w.connector_id,
            ConnectorWrite::WixNotice(w) => &w.connector_id,
            ConnectorWrite::DrupalArticle(w) => &w.connector_id,
            ConnectorWrite::DrupalRequestStatus(w) => &w.connector_id,
        }
    }

    /// In words, for the outbox view.
    pub fn describe(&self) -> String {
        match self {
            ConnectorWrite::XcEvent(e) => match &e.change {
                CaseChange::StatusChanged { status } => {
                    format!("xConnector event: status {}", status_words(*status))
                }
                CaseChange::CommentAdded { .. } => "xConnector event: partner comment".into(),
                CaseChange::DocumentAdded { name, .. } => {
                    format!("xConnector event: document {name}")
                }
                CaseChange::Escalated { rule_name, .. } => {
                    format!("xConnector event: escalated by {rule_name}")
                }
            },
            ConnectorWrite::WixNotice(w) => match w.state {
                PublicationState::Withdrawn => "Wix notice: withdraw".into(),
                PublicationState::Updated => "Wix notice: update".into(),
                _ => "Wix notice: publish".into(),
            },
            ConnectorWrite::DrupalArticle(a) => format!("Drupal article: {}", a.article.title),
            ConnectorWrite::DrupalRequestStatus(s) => {
                format!("Drupal request: status {}", status_words(s.status))
            }
        }
    }
}

/// The status in words (`waiting on partner`).
pub fn status_words(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::New => "new",
        CaseStatus::Open => "open",
        CaseStatus::WaitingOnPartner => "waiting on partner",
        CaseStatus::WaitingOnUs => "waiting on us",
        CaseStatus::Resolved => "resolved",
        CaseStatus::Closed => "closed",
    }
}

/// A case change sent to the xConnector as a CloudEvent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboundEvent {
    /// The xConnector connector.
    pub connector_id: String,
    /// The case.
    pub case_id: String,
    /// The case's reference for people reading the event.
    pub case_reference: String,
    /// The correlation id of the transaction exception that opened the case, if one did.
    pub correlation_id: Option<String>,
    /// When the change was made (the event's `time`).
    pub time: Timestamp,
    /// What changed.
    pub change: CaseChange,
}

/// What changed on a case (the outbound event's `data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum CaseChange {
    /// The status changed.
    StatusChanged {
        /// The new status.
        status: CaseStatus,
    },
    /// A comment the partner can see was added.
    CommentAdded {
        /// Comment id.
        #[serde(rename = "commentId")]
        comment_id: String,
        /// Its text.
        body: String,
    },
    /// A document was added.
    DocumentAdded {
        /// Document id.
        #[serde(rename = "documentId")]
        document_id: String,
        /// Its name.
        name: String,
    },
    /// An escalation rule fired on the case (once per breach).
    Escalated {
        /// The rule's id.
        #[serde(rename = "ruleId")]
        rule_id: String,
        /// The rule's name.
        #[serde(rename = "ruleName")]
        rule_name: String,
        /// Which breach: the SLA clock and the case's open period ("Resolution#0").
        breach: String,
        /// What the rule did, in words.
        actions: String,
    },
}

impl CaseChange {
    /// The CloudEvents `type` of this change (the contract in `src-tauri/crates/bridge/contract/xconnector.asyncapi.yaml`).
    pub fn event_type(&self) -> &'static str {
        match self {
            CaseChange::StatusChanged { .. } => "com.opentext.partnerdesk.case.status_changed.v1",
            CaseChange::CommentAdded { .. } => "com.opentext.partnerdesk.case.comment_added.v1",
            CaseChange::DocumentAdded { .. } => "com.opentext.partnerdesk.case.document_added.v1",
            CaseChange::Escalated { .. } => "com.opentext.partnerdesk.case.escalated.v1",
        }
    }
}

/// A partner status notice as the analyst edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoticeText {
    /// The headline, e.g. "Delayed invoices for Verona Vittles".
    pub title: String,
    /// What is affected.
    pub affected: String,
    /// What happens next / what the partner should do.
    pub next_steps: String,
    /// When it should be resolved, in words.
    pub expected_resolution: String,
}

/// A knowledge article as the analyst edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArticleText {
    /// Title.
    pub title: String,
    /// Body (plain text; sent as Drupal's `body.value` with format `plain_text`).
    pub body: String,
    /// Tags (the partner and the kind).
    pub tags: Vec<String>,
}

/// A notice write: the whole item each time (Wix replaces items whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WixNoticeWrite {
    /// The Wix connector.
    pub connector_id: String,
    /// The collection holding notices.
    pub collection: String,
    /// The item id PartnerDesk chose (`pd-notice-<case id>`).
    pub item_id: String,
    /// The case reference.
    pub case_reference: String,
    /// The partner's company id.
    pub partner_id: String,
    /// The case status when written.
    pub case_status: CaseStatus,
    /// The text.
    pub notice: NoticeText,
    /// Published (first write), updated or withdrawn.
    pub state: PublicationState,
}

/// An article write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DrupalArticleWrite {
    /// The Drupal connector.
    pub connector_id: String,
    /// The node bundle (`article`).
    pub bundle: String,
    /// The node's UUID PartnerDesk chose (client-generated id).
    pub node_id: String,
    /// The text.
    pub article: ArticleText,
}

/// A status written back to a Drupal request node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DrupalStatusWrite {
    /// The Drupal connector.
    pub connector_id: String,
    /// The request bundle.
    pub bundle: String,
    /// The request node's UUID.
    pub node_id: String,
    /// The case reference.
    pub case_reference: String,
    /// The status.
    pub status: CaseStatus,
}

/// What can be published from a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PublicationKind {
    /// A partner status notice on the Wix site.
    WixNotice,
    /// A knowledge article on the Drupal site.
    DrupalArticle,
}

impl PublicationKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            PublicationKind::WixNotice => "wix_notice",
            PublicationKind::DrupalArticle => "drupal_article",
        }
    }

    /// From the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "wix_notice" => Some(PublicationKind::WixNotice),
            "drupal_article" => Some(PublicationKind::DrupalArticle),
            _ => None,
        }
    }
}

/// Where a notice or article stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PublicationState {
    /// Not published yet (the preview).
    Draft,
    /// Published once.
    Published,
    /// Published and changed since.
    Updated,
    /// Taken down (the case was resolved).
    Withdrawn,
}

impl PublicationState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            PublicationState::Draft => "draft",
            PublicationState::Published => "published",
            PublicationState::Updated => "updated",
            PublicationState::Withdrawn => "withdrawn",
        }
    }

    /// From the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(PublicationState::Draft),
            "published" => Some(PublicationState::Published),
            "updated" => Some(PublicationState::Updated),
            "withdrawn" => Some(PublicationState::Withdrawn),
            _ => None,
        }
    }
}

/// A case's notice or article as the case screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PublicationView {
    /// Notice or article.
    pub kind: PublicationKind,
    /// The connector it goes to.
    pub connector_id: String,
    /// Its state.
    pub state: PublicationState,
    /// The notice text (for a notice).
    pub notice: Option<NoticeText>,
    /// The article text (for an article).
    pub article: Option<ArticleText>,
    /// The remote id (Wix item id, Drupal node UUID).
    pub remote_id: String,
    /// Writes still queued for it.
    pub queued: u32,
    /// Why its last write failed, if it did.
    pub last_error: Option<String>,
    /// Last change.
    pub updated_at: Timestamp,
}

/// Where an imported case came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseOrigin {
    /// The connector.
    pub connector_id: String,
    /// Which source.
    pub source: OriginSource,
    /// The id there (correlation id, Wix item id, Drupal node UUID).
    pub external_id: String,
    /// A link to it, when it has an address.
    pub link: Option<String>,
    /// In words: "Wix form request 3f2…".
    pub label: String,
}

/// The sources cases are imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OriginSource {
    /// A transaction exception event from the xConnector.
    XconnectorEvent,
    /// A Wix form submission.
    WixRequest,
    /// A Drupal issue request node.
    DrupalRequest,
}

impl OriginSource {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginSource::XconnectorEvent => "xconnector_event",
            OriginSource::WixRequest => "wix_request",
            OriginSource::DrupalRequest => "drupal_request",
        }
    }

    /// From the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "xconnector_event" => Some(OriginSource::XconnectorEvent),
            "wix_request" => Some(OriginSource::WixRequest),
            "drupal_request" => Some(OriginSource::DrupalRequest),
            _ => None,
        }
    }
}

/// An inbound event or item kept aside (unknown type, malformed, missing fields): listed, never
/// dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AsideItem {
    /// Row id.
    pub id: i64,
    /// The connector it came through.
    pub connector_id: String,
    /// When it arrived.
    pub received_at: Timestamp,
    /// Its event type or item kind, when readable.
    pub item_type: Option<String>,
    /// Its id, when readable.
    pub item_id: Option<String>,
    /// Why it was kept aside, in words.
    pub reason: String,
    /// The start of its body, for a look.
    pub excerpt: String,
}

/// How an import run of one connector went, for Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportRun {
    /// The connector.
    pub connector_id: String,
    /// What it imports, in words.
    pub imports: String,
    /// Its cursor (an instant, an offset, a feed position).
    pub cursor: Option<String>,
    /// When it last ran.
    pub last_run_at: Option<Timestamp>,
    /// When it last ran without an error.
    pub last_ok_at: Option<Timestamp>,
    /// The last run's error, in words.
    pub last_error: Option<String>,
    /// Items turned into cases or updates so far.
    pub imported: u64,
}

/// A case to open from an imported request, before the routing rules fill owner and kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportedRequest {
    /// The source.
    pub source: OriginSource,
    /// The id there.
    pub external_id: String,
    /// A link to it.
    pub link: Option<String>,
    /// Summary.
    pub title: String,
    /// The partner's company id.
    pub partner_id: String,
    /// The kind asked for (the rules may set it).
    pub kind: Option<CaseKind>,
    /// Details, the case's first comment.
    pub description: Option<String>,
}

/// The kinds of connector that do work (the xConnector has no connection test of its own: its
/// settings are its work settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// The xConnector integration layer.
    Xconnector,
    /// A Wix site (a Wix connector of Settings).
    Wix,
    /// A Drupal site (a Drupal connector of Settings).
    Drupal,
    /// A partner's SFTP server (an SFTP connector of Settings): documents are delivered to its
    /// partner inbox; it imports nothing.
    Sftp,
}

/// What a connector does in this workspace: what it imports, where publications go, how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorWork {
    /// The connector (a Wix or Drupal connector's id; an xConnector's own id, empty to create).
    pub connector_id: String,
    /// Display name (an xConnector's; the others show their connector's).
    pub name: String,
    /// Its kind.
    pub kind: WorkKind,
    /// Whether its imports and sends run.
    pub enabled: bool,
    /// Seconds between import runs.
    pub every_seconds: u32,
    /// Wix: the collection partner notices go to.
    #[serde(default)]
    pub notices_collection: Option<String>,
    /// Wix: the form collection partner requests are imported from.
    #[serde(default)]
    pub requests_collection: Option<String>,
    /// Drupal: the content type of knowledge articles (`article`).
    #[serde(default)]
    pub article_bundle: Option<String>,
    /// Drupal: the content type of issue requests.
    #[serde(default)]
    pub request_bundle: Option<String>,
    /// xConnector: the event feed URL.
    #[serde(default)]
    pub feed_url: Option<String>,
    /// xConnector: where case changes are sent.
    #[serde(default)]
    pub outbound_url: Option<String>,
    /// xConnector: the loopback listener's port (none: no listener).
    #[serde(default)]
    pub listen_port: Option<u16>,
    /// Wix and Drupal requests: who gets an imported case, first matching rule wins.
    #[serde(default)]
    pub rules: Vec<AssignmentRule>,
    /// SFTP: the partner's inbox folder documents are delivered to (e.g. `/inbound`).
    #[serde(default)]
    pub partner_inbox: Option<String>,
}

/// Who gets an imported request: the first rule whose kind and partner match (an empty one
/// matches all) sets the owner and, for a request that named no kind, the kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentRule {
    /// The kind it matches (any when empty).
    pub kind: Option<CaseKind>,
    /// The partner's company id it matches (any when empty).
    pub partner_id: Option<String>,
    /// The owner's login id.
    pub owner: Option<String>,
    /// The kind given to a request that named none.
    pub set_kind: Option<CaseKind>,
}

/// Saves a connector's work; `token` (xConnector only) goes to the keychain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorWorkInput {
    /// The work settings.
    pub work: ConnectorWork,
    /// The xConnector's token, if entered (absent keeps the stored one).
    pub token: Option<String>,
}

/// A connector's work as Settings lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorWorkView {
    /// The settings.
    pub work: ConnectorWork,
    /// What it imports, in words.
    pub imports: String,
    /// Its import runs (last run, errors, counts).
    pub runs: Vec<ImportRun>,
    /// Writes queued to it.
    pub queued: u32,
    /// Writes it refused (in the outbox, failed).
    pub failed: u32,
    /// xConnector: a token is stored.
    pub token_set: bool,
}

/// What a case shows of the outside systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CaseOutside {
    /// Its notice and article.
    pub publications: Vec<PublicationView>,
    /// Where it came from.
    pub origins: Vec<CaseOrigin>,
    /// The notice text to preview.
    pub notice_draft: NoticeText,
    /// The article text to preview.
    pub article_draft: ArticleText,
    /// Where a notice would go (a Wix connector with a notices collection), if anywhere.
    pub notice_target: Option<String>,
    /// Where an article would go (a Drupal connector with an article bundle), if anywhere.
    pub article_target: Option<String>,
}
