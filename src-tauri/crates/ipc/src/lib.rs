//! The IPC contract, declared once. [`with_commands!`] hands the list of commands (doc, name,
//! arguments, answer) to a callback macro; from it come the Tauri wrappers and their
//! registration (the shell), the permission list ([`COMMAND_NAMES`], read by the shell's build
//! script), and, through `pd-app`'s contract test, the capability file, the typed TypeScript
//! client and the command table in ARCHITECTURE.md.
//!
//! Adding a command is one entry here plus its body, a `pub async fn` of the same name in
//! `pd_app::commands` taking `&AppState` and the arguments and returning
//! `CommandResult<answer>`. Argument and answer types are named as `pd_domain` exports them (the
//! callback site has them in scope). Arguments arrive from the window in camelCase (`caseId`).

/// Calls `$callback! { ... }` with every command as
/// `/// doc` `name(arg: Type, ...) -> Answer;`.
#[macro_export]
macro_rules! with_commands {
    ($callback:ident) => {
        $callback! {
            /// A page of the case list.
            list_cases(query: CaseQuery) -> CaseListPage;
            /// Counts per status for the tabs.
            case_status_counts(query: CaseQuery) -> Vec<StatusCount>;
            /// One case with its thread, documents and linked transactions.
            get_case(id: String) -> CaseDetail;
            /// A page of the exceptions inbox.
            list_exceptions(query: ExceptionQuery) -> ExceptionPage;
            /// Filter choices for the inbox.
            exception_facets() -> ExceptionFacets;
            /// Partners matching a search (all when empty).
            list_partners(search: Option<String>) -> Vec<PartnerRow>;
            /// One partner.
            get_partner(id: String) -> PartnerRow;
            /// Colleagues, to assign cases.
            list_users() -> Vec<User>;
            /// Where the sync stands.
            sync_status() -> SyncStatus;
            /// Syncs now; answers with the status after it.
            sync_now() -> SyncStatus;
            /// Opens a case for a failed transaction; answers with the case id (the existing one when the transaction is already linked).
            create_case_from_exception(transaction_id: String) -> String;
            /// Adds a comment (queued for the server).
            add_comment(case_id: String, body: String, visibility: Visibility) -> CommentView;
            /// Changes case fields (queued) and answers with the case.
            update_case(case_id: String, patch: CasePatch) -> CaseDetail;
            /// A case typed by the analyst (queued); answers with its id.
            create_case(input: NewCaseInput) -> String;
            /// Links a transaction to a case (queued).
            link_transaction(case_id: String, transaction_id: String) -> CaseDetail;
            /// Unlinks a transaction from a case (queued).
            unlink_transaction(case_id: String, transaction_id: String) -> CaseDetail;
            /// Every queued change, in queue order.
            outbox_list() -> Vec<OutboxEntryView>;
            /// Queues failed entries again (`null`: every failed entry).
            outbox_retry(op_id: Option<String>) -> ();
            /// Rewrites a refused entry and queues it again.
            outbox_edit(op_id: String, edit: OutboxEdit) -> ();
            /// Drops an entry and reverts its local effect.
            outbox_discard(op_id: String) -> ();
            /// Forgets a conflict the analyst has read.
            dismiss_conflict(conflict_id: String) -> ();
            /// How many cases are kept on this computer only (opened while the account had no case server).
            local_case_count() -> u32;
            /// Shares every case kept on this computer with the account's case server (each sent once); answers how many.
            share_local_cases() -> u32;
            /// Whether secrets can be stored.
            keychain_status() -> KeychainStatus;
            /// The Trading Grid accounts.
            list_accounts() -> Vec<AccountView>;
            /// Creates or edits an account (secrets to the keychain only).
            save_account(input: AccountInput) -> AccountView;
            /// Removes an account, its secrets and its cache.
            remove_account(id: String) -> ();
            /// Opens an account's workspace (`null`: the demo workspace).
            switch_account(id: Option<String>) -> SyncStatus;
            /// Tests an account form without saving it (stored secrets fill what the form omits).
            test_account(input: AccountInput) -> ConnectionTestResult;
            /// The connectors.
            list_connectors() -> Vec<ConnectorView>;
            /// Creates or edits a connector (secret to the keychain only).
            save_connector(input: ConnectorInput) -> ConnectorView;
            /// Removes a connector and its secret.
            remove_connector(id: String) -> ();
            /// Tests a saved connector.
            test_connector(id: String) -> ConnectionTestResult;
            /// Accepts the host key an SFTP server presents, after the analyst compared its fingerprint; refused when the server now presents another one.
            accept_host_key(connector_id: String, fingerprint: String) -> ConnectorView;
            /// The app's background jobs (sync, and next transfers, watchers, connectors) and how each is doing.
            background_jobs() -> Vec<JobView>;
            /// What the window shows until dismissed (a damaged cache and what was saved from it, files from a newer PartnerDesk left untouched).
            notices() -> Vec<Notice>;
            /// Dismisses one notice.
            dismiss_notice(id: String) -> ();
            /// What a case shows of the outside systems: its partner notice and knowledge article (state and preview text) and where it came from.
            case_outside(case_id: String) -> CaseOutside;
            /// Publishes (or updates) the case's partner notice on the Wix site with the analyst's text (queued, sent once).
            publish_notice(case_id: String, notice: NoticeText) -> PublicationView;
            /// Promotes (or updates) the case's resolution as a Drupal knowledge article (queued, sent once).
            promote_article(case_id: String, article: ArticleText) -> PublicationView;
            /// What each connector does in this workspace: imports, publications, how often, last run and errors.
            connector_work_list() -> Vec<ConnectorWorkView>;
            /// Creates or edits a connector's work (an xConnector's token to the keychain only).
            save_connector_work(input: ConnectorWorkInput) -> ConnectorWorkView;
            /// Events and items the importers kept aside (unknown types, malformed, missing fields), newest first.
            aside_items() -> Vec<AsideItem>;
            // Retention exports (issue 15).
            /// Retention exports matching a filter (a case's, a partner's, failed, held), newest first.
            list_exports(query: ExportQuery) -> Vec<ExportView>;
            /// Exports a closed case now (a new version when it was reopened and closed again); answers its exports.
            export_case(case_id: String) -> Vec<ExportView>;
            /// Downloads an export's manifest and checks every hash and its retention against the bucket.
            verify_export(export_id: String) -> VerifyReport;
            /// Places a legal hold on every export of a case or a partner; answers how many exports it covers.
            place_legal_hold(scope: HoldScope, reason: String) -> u32;
            /// Releases a legal hold (an explicit action with a reason, recorded on each case); answers how many exports it covered.
            release_legal_hold(scope: HoldScope, reason: String) -> u32;
            /// The retention policy (bucket connector, lock mode, periods, export on close, schedule).
            retention_policy() -> RetentionPolicy;
            /// Saves the retention policy.
            save_retention_policy(policy: RetentionPolicy) -> RetentionPolicy;
            /// Opens a case's document with the computer's default application (downloaded and checked first unless kept here).
            open_document(case_id: String, document_id: String) -> DocumentFile;
            /// Saves a copy of a case's document where the analyst chooses in a dialog (`null`: cancelled).
            save_document_as(case_id: String, document_id: String) -> Option<DocumentFile>;
            /// A download link to a document kept in S3, valid 7 days (the bucket stays private).
            document_link(case_id: String, document_id: String) -> String;
            /// The ids of a case's documents kept on this computer (available offline).
            offline_documents(case_id: String) -> Vec<String>;
            /// Lets the analyst pick files to attach (the keyboard way to drop them); `null`: cancelled.
            pick_files() -> Option<DropView>;
            /// Forgets dropped or picked files that were not attached.
            discard_drop(drop_id: String) -> ();
            // ---- attaching files and the upload queue (issue 10) ----
            /// Attaches a drop's files to a case or a new case (`confirmed`: the analyst confirmed a drop that needs it); small files go to the case server, large ones to the S3 queue; answers each file's outcome.
            attach_drop(drop_id: String, target: AttachTarget, confirmed: bool) -> AttachReport;
            /// How attached files are uploaded (size limit for the case server, S3 connector, parts, concurrency).
            upload_settings() -> UploadSettings;
            /// Checks and saves how attached files are uploaded.
            save_upload_settings(settings: UploadSettings) -> UploadSettings;
            /// Every upload and download of this session, newest first.
            transfers_list() -> TransfersUpdate;
            /// Pauses, resumes, cancels or retries a transfer.
            transfer_action(transfer_id: String, action: TransferAction) -> ();
            /// Exports the case's documents and partner-visible thread as one zip to an S3 connector's bucket (`null`: the only S3 connector) and posts its link on the case for the partner.
            share_case_package(case_id: String, connector_id: Option<String>) -> CasePackage;
            /// Where "Send to partner…" can send a document: the SFTP connectors with a partner inbox.
            delivery_targets() -> Vec<DeliveryTarget>;
            /// Sends a case's document to a partner's SFTP inbox (queued, written under a temporary name, renamed when complete, recorded on the case once); answers the delivery.
            deliver_document(case_id: String, document_id: String, connector_id: String) -> DeliveryView;
            /// A case's deliveries to partner inboxes (sending, sent, failed), newest first.
            case_deliveries(case_id: String) -> Vec<DeliveryView>;
            /// The drop folders with their state (watching, polling, offline, error with the reason), counts and last file.
            list_folders() -> Vec<FolderView>;
            /// Adds or edits a drop folder (an empty id adds one) and (re)starts the watchers.
            save_folder(input: FolderSettings) -> FolderView;
            /// Removes a drop folder (its ledger stays; nothing on disk is touched).
            remove_folder(id: String) -> ();
            /// Pauses or resumes a drop folder.
            set_folder_paused(id: String, paused: bool) -> FolderView;
            /// Scans every drop folder again now.
            rescan_folders() -> ();
            /// The ingest ledger, newest first: each file with its case, document and the rule that decided.
            folder_ledger(query: LedgerQuery) -> Vec<LedgerRowView>;
            // ---- drop folders: EDI routing rules and details (issue 12) ----
            /// The routing rules in the order they are asked (each on or off, with what it matches) between the fixed first step and the fallback.
            routing_rules() -> RoutingRulesView;
            /// Checks and saves the routing rules (order, on/off, added rules and what they match); the watchers use them at once.
            save_routing_rules(rules: Vec<RoutingRuleSetting>) -> RoutingRulesView;
            /// What EDI recognition found in a ledger row's file (standard, sets, sender, receiver, control numbers, references, error) and its readable segment view; `null` when the file is not EDI.
            ledger_edi(ledger_id: u32) -> Option<LedgerEdiView>;
            /// Adds the folder the analyst dropped on the Folders view as a local drop folder (the drop must be one folder; its path stays in Rust) with the form's other settings.
            add_folder_from_drop(drop_id: String, input: FolderSettings) -> FolderView;
            // ---- desktop: notifications, navigation, SLA (issue 14) ----
            /// The desktop settings: who "me" is, notification switches and quiet hours, close-to-tray, the SLA policy and the escalation rules.
            desk_settings() -> DeskSettings;
            /// Checks and saves the desktop settings; they take effect at once.
            save_desk_settings(desk: DeskSettings) -> DeskSettings;
            /// Pauses or resumes OS notifications.
            pause_notifications(paused: bool) -> DeskSettings;
            /// Where a notification click, a partnerdesk:// link or the tray asked the window to go (taken once; `null` when nothing waits).
            take_open_request() -> Option<OpenRoute>;
            /// Opens the case a `partnerdesk://case/<reference>` link names.
            open_link(link: String) -> OpenRoute;
            /// My open cases, the most urgent SLA first (empty until "me" is chosen).
            my_open_cases() -> Vec<CaseRow>;
            /// Counts for the Mine view's strip and the tray: my breached, at-risk and waiting-on-us cases, failed actions.
            my_work_counts() -> MyWorkCounts;
        }
    };
}

/// Calls `$callback! { ... }` with every streaming command as `/// doc` `name(arg: Message);`:
/// the window passes a Tauri channel as `arg` and the app sends `Message`s on it (progress,
/// issue 10). The shell wraps each as `name(state, arg: Channel<Message>)` calling
/// `pd_app::commands::name(&state, sink)` with the channel as a `pd_app::stream::StreamSink`.
#[macro_export]
macro_rules! with_channel_commands {
    ($callback:ident) => {
        $callback! {
            /// Streams the Transfers view's list (every upload and download with its progress) to the window's channel.
            watch_transfers(on_update: TransfersUpdate);
        }
    };
}

/// Collects the streaming commands' names (the callback for [`CHANNEL_COMMAND_NAMES`]).
macro_rules! channel_command_names {
    ($( $(#[doc = $doc:literal])* $name:ident ( $arg:ident : $ty:ty ) ; )*) => {
        /// Every streaming command's name: the shell's build script makes one `allow-<name>`
        /// permission of each, like [`COMMAND_NAMES`].
        pub const CHANNEL_COMMAND_NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

with_channel_commands!(channel_command_names);

/// Collects the command names (the callback for [`COMMAND_NAMES`]).
macro_rules! command_names {
    ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $answer:ty ; )*) => {
        /// Every command's name, in declaration order: the shell's build script makes one
        /// `allow-<name>` permission of each.
        pub const COMMAND_NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

with_commands!(command_names);

#[cfg(test)]
mod tests {
    use super::COMMAND_NAMES;

    #[test]
    fn every_command_is_declared_once() {
        let mut names = COMMAND_NAMES.to_vec();
        names.extend_from_slice(super::CHANNEL_COMMAND_NAMES);
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            COMMAND_NAMES.len() + super::CHANNEL_COMMAND_NAMES.len(),
            "a command is declared twice"
        );
        assert!(COMMAND_NAMES.contains(&"list_cases"));
    }
}
