//! The SQLite cache every screen reads: what was seen from Trading Grid plus every local change
//! with its outbox entry. Synchronous on purpose (callers wrap calls in `spawn_blocking`); a
//! [`Store`] is a cheap `Clone` shared across threads, with one writer connection and a few
//! readers so reads never wait on writes.

mod bulk;
mod cases;
mod codec;
mod db;
mod deliveries;
mod directory;
mod documents;
mod edi;
mod error;
mod facets;
mod first_page;
mod ingest;
mod local;
mod lock;
mod outbox;
mod outside;
mod outside_api;
mod owner_only;
mod query;
mod retention;
mod salvage;
mod sla;
mod sla_column;
mod uploads;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pd_domain::{
    Case, CaseDetail, CaseListPage, CasePage, CasePatch, CaseQuery, Comment, ExceptionFacets,
    ExceptionPage, ExceptionQuery, ExceptionRow, NewCase, Partner, PartnerRow, StatusCount,
    Timestamp, Transaction, User, Visibility,
};
use rusqlite::OptionalExtension;

pub use cases::SearchIndexing;
pub use db::SCHEMA_VERSION;
pub use deliveries::{DeliveryRecord, NewDelivery};
pub use documents::{
    attach_document_in, document_with_sha256, is_plain_spool_name, spool_dir_for,
    MAX_DOCUMENT_NAME_CHARS,
};
pub use edi::{EdiSetRecord, LinkedHit, PartnerHit};
pub use error::{Result, StoreError};
pub use ingest::{
    CaseHit, FailedFile, FolderCounts, IngestFile, IngestOutcome, IngestTx, IngestUpload,
    LedgerFilter, LedgerRow, ReferenceKind, RemoteFile, RemoteState, RouteTarget, Routed,
};
pub use lock::CacheLock;
pub use outbox::{
    Conflict, OutboxEntry, OutboxState, OutboxSummary, RetryTarget, ServerAnswer, DEFAULT_LEASE,
    MAX_COMMENT_CHARS,
};
pub use outside::{
    AsideInput, AssignRule, CaseHome, ExceptionEvent, ExceptionState, Inbound, IngestReport,
    PartnerEvent, Place, ASIDE_EXCERPT_BYTES,
};
pub use query::{search_filter, SearchFilter};
pub use retention::ExportRecord;
pub use sla::{EscalationPlan, FailedEntry, FiredEscalation, NewException, PartnerReply};
pub use uploads::{ConfirmedPart, Delivery, NewUpload, UploadRecord, UploadState};

/// Row counts, for tests and the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Cases (including local-only ones).
    pub cases: u64,
    /// Comments (including pending ones).
    pub comments: u64,
    /// Partners.
    pub partners: u64,
    /// Cached transactions.
    pub transactions: u64,
}

/// What [`Store::open_or_rebuild`] had to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenOutcome {
    /// The file opened as it was.
    Opened,
    /// The file was damaged; it was moved to `set_aside`, a new cache started, and the unsent
    /// work that could be read from the damaged file was queued again in it.
    Rebuilt {
        /// Where the damaged file went.
        set_aside: PathBuf,
        /// What was wrong with it.
        reason: String,
        /// What was saved from it and what was not.
        salvage: pd_domain::CacheSalvage,
    },
}

/// The SLA policy a cache computes its marks with, shareable between caches.
pub type SlaPolicyCell = Arc<std::sync::RwLock<pd_domain::SlaPolicy>>;

/// Handle to the cache. Clone freely; all clones share the same connections.
#[derive(Clone)]
pub struct Store {
    db: Arc<db::Db>,
    /// The SLA policy the case marks are computed with (the app sets it from its settings).
    sla: SlaPolicyCell,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.db.path)
            .finish()
    }
}

impl Store {
    /// Opens the cache at `path` (creating it readable by its owner only, and making an older
    /// file others could read private), applying migrations. A damaged file is
    /// [`StoreError::Corrupt`], a read-only one [`StoreError::ReadOnly`], one from a newer app
    /// [`StoreError::NewerSchema`].
    /// Queued changes whose stored operation cannot be read (an older build's or a damaged
    /// row) are marked failed here, with the reason, so they are shown and never sent.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        owner_only::restrict(path.as_ref());
        let store = Store {
            db: db::Db::open(path.as_ref())?,
            // Until the app hands over its policy, the server's due dates mark the cases.
            sla: Arc::new(std::sync::RwLock::new(pd_domain::SlaPolicy {
                enabled: false,
                ..pd_domain::SlaPolicy::default()
            })),
        };
        if store.db.read(outbox::has_unreadable)? {
            let failed = store.db.write(|tx| outbox::fail_unreadable(tx))?;
            tracing::warn!(
                failed,
                "queued changes that could not be read were marked failed"
            );
        }
        Ok(store)
    }

    /// Like [`Store::open`], but a damaged file is set aside as `<name>.corrupt-<unix time>`
    /// (with its -wal/-shm) and a new cache started, for the next sync to refill; the unsent
    /// changes (and the cases and comments made here) that can still be read from the damaged
    /// file are queued again in it first (see [`OpenOutcome::Rebuilt`]). Read-only files,
    /// newer schemas and other errors are returned, never "rebuilt".
    pub fn open_or_rebuild(path: impl AsRef<Path>) -> Result<(Store, OpenOutcome)> {
        let path = path.as_ref();
        match Store::open(path) {
            Ok(store) => Ok((store, OpenOutcome::Opened)),
            Err(StoreError::Corrupt { detail, .. }) => {
                let set_aside = db::set_aside(path)?;
                tracing::warn!(path = %path.display(), moved_to = %set_aside.display(), %detail, "damaged cache set aside");
                let store = Store::open(path)?;
                let salvage = store.db.write(|tx| salvage::salvage_into(tx, &set_aside))?;
                tracing::warn!(
                    saved = %salvage::describe(&salvage),
                    "unsent work saved from the damaged cache"
                );
                Ok((
                    store,
                    OpenOutcome::Rebuilt {
                        set_aside,
                        reason: detail,
                        salvage,
                    },
                ))
            }
            Err(other) => Err(other),
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.db.path
    }

    // ---- pull side -------------------------------------------------------------------------

    /// Stores partners (one transaction).
    pub fn upsert_partners(&self, partners: &[Partner]) -> Result<()> {
        self.db.write(|tx| directory::upsert_partners(tx, partners))
    }

    /// Stores colleagues (one transaction).
    pub fn upsert_users(&self, users: &[User]) -> Result<()> {
        self.db.write(|tx| directory::upsert_users(tx, users))
    }

    /// Stores a batch of Lens transactions (one transaction).
    pub fn upsert_transactions(&self, transactions: &[Transaction]) -> Result<()> {
        self.db
            .write(|tx| directory::upsert_transactions(tx, transactions))
    }

    /// Stores one change-feed page and its cursor in one transaction: after a crash either both
    /// are there or neither. Applying the same page twice changes nothing; cases with pending
    /// local changes keep them (rebased on the new server version).
    pub fn apply_case_page(&self, page: &CasePage, cursor_key: &str) -> Result<()> {
        self.db.write(|tx| {
            for bundle in &page.cases {
                cases::apply_bundle(tx, bundle)?;
            }
            set_cursor_in(tx, cursor_key, &page.next_cursor)
        })
    }

    /// Stores several change-feed pages in one transaction (a large pull: index pages are
    /// written once per transaction, not once per page), the last page's cursor with them.
    /// With [`SearchIndexing::Deferred`] (the first sync) the cases get no full-text documents
    /// until [`Store::build_deferred_search_index`]; the cache remembers that they wait, so an
    /// interrupted first sync is finished by the next one.
    pub fn apply_case_pages(
        &self,
        pages: &[CasePage],
        cursor_key: &str,
        search: SearchIndexing,
    ) -> Result<()> {
        let apply =
            |tx: &rusqlite::Transaction<'_>| bulk::apply_pages(tx, pages, cursor_key, search);
        match search {
            // A first sync's load: see `Db::write_bulk` (ended by the build below).
            SearchIndexing::Deferred => self.db.write_bulk(apply),
            SearchIndexing::Now => self.db.write_large(apply),
        }
    }

    /// Whether the cache holds no case at all (a first sync is about to start).
    pub fn has_no_cases(&self) -> Result<bool> {
        self.db.read(|c| {
            Ok(c.prepare_cached("SELECT NOT EXISTS (SELECT 1 FROM cases)")?
                .query_row([], |r| r.get(0))?)
        })
    }

    /// Whether a first sync stored with [`SearchIndexing::Deferred`] is unfinished: cases
    /// still wait for their full-text documents, or the secondary indexes it dropped while it
    /// loaded are not back yet.
    pub fn search_index_deferred(&self) -> Result<bool> {
        self.db.read(bulk::is_deferred)
    }

    /// Finishes a first sync (or what an interrupted one stored): creates the secondary indexes
    /// it dropped, then builds the whole full-text index at once; answers how many cases it
    /// indexed (0: nothing waited). Takes a few seconds on 100,000 cases.
    pub fn build_deferred_search_index(&self) -> Result<u64> {
        // What the load wrote goes into the file first: creating the indexes and the search
        // index then reads the file rather than a log of several hundred megabytes.
        let built = self
            .db
            .end_bulk_load()
            .and_then(|()| {
                self.db
                    .write_bulk(|tx| bulk::restore_indexes(tx).map(|_| ()))
            })
            .and_then(|()| self.db.write_bulk(|tx| bulk::build_search_index(tx)));
        // The load's page cache and deferred checkpoints end here whatever happened.
        let ended = self.db.end_bulk_load();
        let built = built?;
        ended?;
        Ok(built)
    }

    /// A sync cursor.
    pub fn cursor(&self, key: &str) -> Result<Option<String>> {
        self.db.read(|c| {
            Ok(
                c.prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
                    .query_row([key], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    /// Sets a sync cursor.
    pub fn set_cursor(&self, key: &str, value: &str) -> Result<()> {
        self.db.write(|tx| set_cursor_in(tx, key, value))
    }

    // ---- drop folders (pd-ingest) -----------------------------------------------------------

    /// Whether this exact file (folder, path, size, modification time) is in the ingest ledger.
    pub fn ingest_seen(
        &self,
        folder_id: &str,
        path_key: &[u8],
        size: u64,
        mtime_ns: i64,
    ) -> Result<Option<i64>> {
        self.db
            .read(|conn| ingest::ledger_row(conn, folder_id, path_key, size, mtime_ns))
    }

    /// Takes files in ONE transaction: for each, its ledger row, the case routing opens (with
    /// its outbox entry) and its document row; a file already in the ledger is
    /// [`IngestOutcome::AlreadyTaken`], the same bytes under another name a linked
    /// [`IngestOutcome::Duplicate`]. `route` runs inside the transaction, once per new file.
    pub fn ingest_take(
        &self,
        files: &[IngestFile],
        route: &mut dyn FnMut(&IngestTx<'_>, &IngestFile) -> Result<Routed>,
        now: Timestamp,
    ) -> Result<Vec<IngestOutcome>> {
        self.db.write(|tx| {
            files
                .iter()
                .map(|file| ingest::take(tx, file, route, now))
                .collect()
        })
    }

    /// The EDI details (what recognition found, the readable segment view) of ledger row
    /// `ledger_id`; `None` when its file was not EDI.
    pub fn ingest_ledger_edi(&self, ledger_id: i64) -> Result<Option<pd_domain::LedgerEdiView>> {
        self.db.read(|conn| edi::ledger_edi(conn, ledger_id))
    }

    /// The drop-folder routing rules in the analyst's order (the default order when never saved).
    pub fn routing_rules(&self) -> Result<Vec<pd_domain::RoutingRuleSetting>> {
        self.db.read(edi::routing_rules)
    }

    /// Saves the routing rules' order and switches (every rule kept once; missing ones off).
    pub fn save_routing_rules(&self, rules: &[pd_domain::RoutingRuleSetting]) -> Result<()> {
        self.db.write(|tx| edi::save_routing_rules(tx, rules))
    }

    /// The ingest ledger, newest first.
    pub fn ingest_ledger(&self, filter: &LedgerFilter) -> Result<Vec<LedgerRow>> {
        self.db.read(|conn| ingest::ledger(conn, filter))
    }

    /// A folder's counts and last file.
    pub fn ingest_folder_counts(&self, folder_id: &str) -> Result<FolderCounts> {
        self.db.read(|conn| ingest::folder_counts(conn, folder_id))
    }

    /// An SFTP folder's listing records.
    pub fn ingest_remote_files(&self, folder_id: &str) -> Result<Vec<RemoteFile>> {
        self.db.read(|conn| ingest::remote_files(conn, folder_id))
    }

    /// Records a file that could not be taken (outcome `failed`, the reason in words), so it is
    /// listed in the ledger and not tried again; answers the row id (the existing one if this
    /// exact file was recorded already).
    pub fn ingest_record_failed(&self, file: &FailedFile, now: Timestamp) -> Result<i64> {
        self.db.write(|tx| ingest::record_failed(tx, file, now))
    }

    /// Records how far an SFTP file got.
    pub fn ingest_set_remote(
        &self,
        folder_id: &str,
        file: &RemoteFile,
        now: Timestamp,
    ) -> Result<()> {
        self.db
            .write(|tx| ingest::set_remote(tx, folder_id, file, now))
    }

    /// Forgets an SFTP file's record (it is gone from the server and was handled).
    pub fn ingest_forget_remote(&self, folder_id: &str, path: &str) -> Result<()> {
        self.db
            .write(|tx| ingest::forget_remote(tx, folder_id, path))
    }

    // ---- local changes ---------------------------------------------------------------------

    /// Creates a case here (offline-first) and queues its creation. Returns the case id (the
    /// input's id, or a new UUID when it is empty). A description becomes the first comment.
    pub fn create_local_case(&self, new: &NewCase, author: &str, now: Timestamp) -> Result<String> {
        self.db
            .write(|tx| local::create_local_case(tx, new, author, now))
    }

    /// Creates a case here, kept on this computer only (the account has no case server): its
    /// creation and every later change on it are stored with their outbox entries as usual,
    /// but never handed to the push until [`Store::share_kept_cases`].
    pub fn create_kept_case(&self, new: &NewCase, author: &str, now: Timestamp) -> Result<String> {
        self.db
            .write(|tx| local::create_kept_case(tx, new, author, now))
    }

    /// Shares every case kept on this computer: from now on the push sends their entries, each
    /// once under its operation id. Returns how many cases were shared.
    pub fn share_kept_cases(&self) -> Result<u32> {
        self.db.write(|tx| local::share_kept(tx))
    }

    /// How many cases are kept on this computer only.
    pub fn kept_case_count(&self) -> Result<u32> {
        self.db.read(local::kept_count)
    }

    /// Adds a comment here and queues it; the comment id is a client-chosen UUID so the server's
    /// echo replaces it rather than duplicating it.
    pub fn add_local_comment(
        &self,
        case_id: &str,
        author: &str,
        body: &str,
        visibility: Visibility,
        now: Timestamp,
    ) -> Result<Comment> {
        self.db
            .write(|tx| local::add_local_comment(tx, case_id, author, body, visibility, now))
    }

    /// Runs `f` in one IMMEDIATE write transaction of the cache (committed when `f` answers
    /// `Ok`), so a caller can join its own rows to a local change, e.g. a drop-folder ledger row
    /// with [`attach_document_in`].
    pub fn write_with<T>(
        &self,
        mut f: impl FnMut(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        self.db.write(|tx| f(tx))
    }

    /// Reads with one snapshot of the cache.
    pub fn read_with<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> Result<T>) -> Result<T> {
        self.db.read(f)
    }

    /// Attaches a document here and queues its record (see [`attach_document_in`]); answers the
    /// outbox operation id.
    pub fn attach_local_document(
        &self,
        case_id: &str,
        doc: &pd_domain::NewDocument,
        now: Timestamp,
    ) -> Result<String> {
        self.db
            .write(|tx| documents::attach_document_in(tx, case_id, doc, now))
    }

    // ---- deliveries to partner SFTP inboxes (issue 11, point 6; `deliveries.rs`) --------------

    /// Queues a delivery (refused while the same document is on its way to the same connector).
    pub fn queue_delivery(&self, new: &NewDelivery, now: Timestamp) -> Result<()> {
        self.db.write(|tx| deliveries::queue(tx, new, now))
    }

    /// One delivery.
    pub fn delivery(&self, id: &str) -> Result<Option<DeliveryRecord>> {
        self.db.read(|conn| deliveries::get(conn, id))
    }

    /// Deliveries in any of `states`, oldest first.
    pub fn deliveries_in(
        &self,
        states: &[pd_domain::DeliveryState],
    ) -> Result<Vec<DeliveryRecord>> {
        self.db.read(|conn| deliveries::list(conn, states))
    }

    /// A case's deliveries, newest first.
    pub fn case_deliveries(&self, case_id: &str) -> Result<Vec<DeliveryRecord>> {
        self.db.read(|conn| deliveries::of_case(conn, case_id))
    }

    /// Fixes a delivery's final name in the inbox before anything is written under it.
    pub fn set_delivery_name(&self, id: &str, name: &str, now: Timestamp) -> Result<()> {
        self.db.write(|tx| deliveries::set_name(tx, id, name, now))
    }

    /// Sets an unfinished delivery's state and error (code, words); answers whether it did.
    pub fn set_delivery_state(
        &self,
        id: &str,
        state: pd_domain::DeliveryState,
        error: Option<(&str, &str)>,
        now: Timestamp,
    ) -> Result<bool> {
        self.db
            .write(|tx| deliveries::set_state(tx, id, state, error, now))
    }

    /// Marks a delivery sent and records it on its case (an internal comment queued for the
    /// server under the delivery's id) in one transaction; `false` when it was sent already.
    pub fn finish_delivery(
        &self,
        id: &str,
        author: &str,
        body: &str,
        now: Timestamp,
    ) -> Result<bool> {
        self.db
            .write(|tx| deliveries::finish(tx, id, author, body, now))
    }

    /// Queues a file for the S3 upload queue (refused as a duplicate when the same content is
    /// on the case or queued for it).
    pub fn queue_upload(&self, upload: &NewUpload, now: Timestamp) -> Result<()> {
        self.db.write(|tx| uploads::queue(tx, upload, now))
    }

    /// One queued upload with its confirmed parts.
    pub fn upload(&self, id: &str) -> Result<Option<UploadRecord>> {
        self.db.read(|conn| uploads::get(conn, id))
    }

    /// Uploads in any of `states`, oldest first.
    pub fn uploads_in(&self, states: &[UploadState]) -> Result<Vec<UploadRecord>> {
        self.db.read(|conn| uploads::list(conn, states))
    }

    /// Records an upload's S3 upload id (a new one forgets the old one's parts).
    pub fn set_s3_upload(
        &self,
        id: &str,
        s3_upload_id: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        self.db
            .write(|tx| uploads::set_s3_upload(tx, id, s3_upload_id, now))
    }

    /// Records a part the server confirmed.
    pub fn confirm_upload_part(
        &self,
        id: &str,
        part: &ConfirmedPart,
        now: Timestamp,
    ) -> Result<()> {
        self.db.write(|tx| uploads::confirm_part(tx, id, part, now))
    }

    /// Sets an upload's state and error (never changes a finished one); answers whether it did.
    pub fn set_upload_state(
        &self,
        id: &str,
        state: UploadState,
        error: Option<(&str, &str)>,
        now: Timestamp,
    ) -> Result<bool> {
        self.db
            .write(|tx| uploads::set_state(tx, id, state, error, now))
    }

    /// The upload's object is complete: marks it done and queues its document record, once, in
    /// one transaction; `false` when it was done already.
    pub fn finish_upload(&self, id: &str, now: Timestamp) -> Result<bool> {
        self.db.write(|tx| uploads::finish(tx, id, now))
    }

    /// Where an attached document's record stands (queued, failed, on the server, gone).
    pub fn document_delivery(&self, document_id: &str) -> Result<Delivery> {
        self.db.read(|conn| uploads::delivery(conn, document_id))
    }

    /// The case's document with this content, if any (the duplicate check before an upload).
    pub fn document_with_sha256(
        &self,
        case_id: &str,
        sha256: &str,
    ) -> Result<Option<pd_domain::DocumentView>> {
        self.db
            .read(|conn| documents::document_with_sha256(conn, case_id, sha256))
    }

    /// The spool folder beside this cache file (copies of files waiting to be sent).
    pub fn spool_dir(&self) -> PathBuf {
        documents::spool_dir_for(&self.db.path)
    }

    /// Deletes the spooled copy `file` once no queued document names it any more (the same
    /// bytes may be queued on several cases); answers whether it went.
    pub fn release_spooled(&self, file: &str) -> Result<bool> {
        if !documents::is_plain_spool_name(file) {
            return Ok(false);
        }
        let in_use = self.db.read(documents::spooled_files_in_use)?;
        if in_use.iter().any(|f| f == file) {
            return Ok(false);
        }
        match std::fs::remove_file(self.spool_dir().join(file)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes spool files no queued document names any more (sent or discarded); answers how
    /// many went. A missing folder is nothing to sweep.
    pub fn sweep_spool(&self) -> Result<u32> {
        let dir = self.spool_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        let in_use: std::collections::HashSet<String> = self
            .db
            .read(documents::spooled_files_in_use)?
            .into_iter()
            .collect();
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // Files still being written (`.part`, `.incoming`) belong to a live spooling.
            if in_use.contains(&name) || name.ends_with(".part") || name.ends_with(".incoming") {
                continue;
            }
            if std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Changes case fields here and queues the PATCH. Returns the operation id, or `None` when
    /// the patch changes nothing (then nothing is queued).
    pub fn patch_local_case(
        &self,
        case_id: &str,
        patch: &CasePatch,
        now: Timestamp,
    ) -> Result<Option<String>> {
        self.db
            .write(|tx| local::patch_local_case(tx, case_id, patch, now))
    }

    /// Links a transaction here and queues it (`None`: already linked).
    pub fn link_local_transaction(
        &self,
        case_id: &str,
        transaction_id: &str,
        now: Timestamp,
    ) -> Result<Option<String>> {
        self.db
            .write(|tx| local::link_local(tx, case_id, transaction_id, true, now))
    }

    /// Unlinks a transaction here and queues it (`None`: was not linked).
    pub fn unlink_local_transaction(
        &self,
        case_id: &str,
        transaction_id: &str,
        now: Timestamp,
    ) -> Result<Option<String>> {
        self.db
            .write(|tx| local::link_local(tx, case_id, transaction_id, false, now))
    }

    // ---- outbox (for the push worker) ------------------------------------------------------

    /// Up to `limit` entries ready to send: the oldest entry of each case, if it is pending and
    /// due at `now`. Cases are independent; within a case, order is kept.
    pub fn outbox_next(&self, limit: u32, now: Timestamp) -> Result<Vec<OutboxEntry>> {
        self.db.read(|c| outbox::next(c, limit, now))
    }

    /// Claims up to `limit` entries for the sender `claimer` (atomically: no other sender, in
    /// this process or another on the same file, gets them): the oldest entry of each case when
    /// it is pending and due at `now`, or in flight under a lease that ran out. Each is in flight
    /// until `now + lease` and counts an attempt.
    pub fn outbox_claim(
        &self,
        claimer: &str,
        limit: u32,
        now: Timestamp,
        lease: std::time::Duration,
    ) -> Result<Vec<OutboxEntry>> {
        self.db
            .write(|tx| outbox::claim(tx, claimer, limit, now, lease))
    }

    /// Extends the lease of an entry `claimer` is still sending until `until`; false when its
    /// claim is gone (settled, or taken over after the lease ran out).
    pub fn outbox_renew(&self, op_id: &str, claimer: &str, until: Timestamp) -> Result<bool> {
        self.db.write(|tx| outbox::renew(tx, op_id, claimer, until))
    }

    /// The server accepted the entry but its answer could not be stored (`reason`): the entry
    /// goes back to pending, due at `next_attempt_at` (the resend is answered from the server's
    /// idempotency store), or, the `max`-th time, is failed with the reason. Returns its state.
    pub fn outbox_answer_unapplied(
        &self,
        op_id: &str,
        reason: &str,
        next_attempt_at: Timestamp,
        max: u32,
    ) -> Result<OutboxState> {
        self.db
            .write(|tx| outbox::answer_unapplied(tx, op_id, reason, next_attempt_at, max))
    }

    /// The worker is sending this entry (counts an attempt; held for [`DEFAULT_LEASE`]).
    pub fn outbox_mark_in_flight(&self, op_id: &str) -> Result<()> {
        self.db
            .write(|tx| outbox::set_state(tx, op_id, OutboxState::InFlight, None, None))
    }

    /// The server accepted the entry: removes it and stores the server's answer together.
    pub fn outbox_mark_sent(
        &self,
        op_id: &str,
        answer: &ServerAnswer,
        now: Timestamp,
    ) -> Result<()> {
        self.db.write(|tx| local::mark_sent(tx, op_id, answer, now))
    }

    /// The server refused the entry for good: it stays, marked failed, until retried or
    /// discarded. Its effect stays visible.
    pub fn outbox_mark_failed(&self, op_id: &str, reason: &str) -> Result<()> {
        self.db
            .write(|tx| outbox::set_state(tx, op_id, OutboxState::Failed, Some(reason), None))
    }

    /// A transient failure: back to pending, not before `next_attempt_at`.
    pub fn outbox_reschedule(
        &self,
        op_id: &str,
        reason: &str,
        next_attempt_at: Timestamp,
    ) -> Result<()> {
        self.db.write(|tx| {
            outbox::set_state(
                tx,
                op_id,
                OutboxState::Pending,
                Some(reason),
                Some(next_attempt_at),
            )
        })
    }

    /// The server kept a newer value: the entry is removed, what was lost is recorded in the
    /// case's conflicts, and the case is rebased on `server`.
    pub fn outbox_mark_conflict(&self, op_id: &str, server: &Case, now: Timestamp) -> Result<()> {
        self.db
            .write(|tx| local::mark_conflict(tx, op_id, server, now))
    }

    /// Puts failed entries back in the queue; returns how many.
    pub fn outbox_retry(&self, target: &RetryTarget) -> Result<u32> {
        self.db.write(|tx| outbox::retry(tx, target))
    }

    /// Rewrites a refused entry (comment text or patch fields) and queues it again.
    pub fn outbox_edit(&self, op_id: &str, edit: &pd_domain::OutboxEdit) -> Result<()> {
        self.db.write(|tx| local::edit(tx, op_id, edit))
    }

    /// Drops an entry and reverts its local effect (rebasing on the server's version). Discarding
    /// a case creation removes the case and everything queued on it. Refused with
    /// [`StoreError::InFlight`] while a sender holds the entry (its lease runs).
    pub fn outbox_discard(&self, op_id: &str) -> Result<()> {
        let now = chrono::Utc::now();
        self.db.write(|tx| local::discard(tx, op_id, now))
    }

    /// Pending (incl. in flight) and failed counts, and the oldest entry's time.
    pub fn outbox_summary(&self) -> Result<OutboxSummary> {
        self.db.read(outbox::summary)
    }

    /// Every entry, in queue order.
    pub fn outbox_entries(&self) -> Result<Vec<OutboxEntry>> {
        self.db.read(|c| outbox::entries(c, None))
    }

    /// The outbox as the UI's outbox view lists it (case reference and a summary in words).
    pub fn outbox_views(&self) -> Result<Vec<pd_domain::OutboxEntryView>> {
        self.db.read_tx(|tx| query::outbox_views(tx))
    }

    /// Local changes of one case that lost to newer server values.
    pub fn case_conflicts(&self, case_id: &str) -> Result<Vec<Conflict>> {
        self.db.read(|c| outbox::conflicts(c, case_id))
    }

    /// Forgets a conflict the analyst has read; returns its case id.
    pub fn dismiss_conflict(&self, conflict_id: i64) -> Result<String> {
        self.db.write(|tx| {
            let case_id: Option<String> = tx
                .query_row(
                    "DELETE FROM conflicts WHERE id = ?1 RETURNING case_id",
                    [conflict_id],
                    |row| row.get(0),
                )
                .optional()?;
            case_id.ok_or_else(|| StoreError::NotFound {
                what: "conflict",
                id: conflict_id.to_string(),
            })
        })
    }

    // ---- reads for the UI ------------------------------------------------------------------

    /// Reads the SLA policy from `cell` from now on (the app shares one cell with every
    /// workspace's cache, so a saved policy applies at once).
    pub fn use_sla_policy(mut self, cell: SlaPolicyCell) -> Store {
        self.sla = cell;
        self
    }

    /// Computes SLA marks with `policy` from now on (clones of this store share it).
    pub fn set_sla_policy(&self, policy: pd_domain::SlaPolicy) {
        *self
            .sla
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = policy;
    }

    /// The SLA policy in force.
    pub fn sla_policy(&self) -> pd_domain::SlaPolicy {
        self.sla
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The SLA of one case at `now` under the policy in force.
    pub fn case_sla(&self, id: &str, now: Timestamp) -> Result<pd_domain::SlaView> {
        let policy = self.sla_policy();
        self.db.read_tx(|tx| {
            let (case, _) =
                cases::read_case(tx, id)?.ok_or_else(|| StoreError::not_found("case", id))?;
            Ok(pd_domain::evaluate(&sla::facts(tx, &case)?, &policy, now))
        })
    }

    /// Applies an escalation to a case (its patch and note queued through the outbox, and the
    /// record that it fired) in one transaction, unless the rule already fired for this breach.
    /// Answers whether it fired now.
    pub fn escalate(&self, case_id: &str, plan: &EscalationPlan, now: Timestamp) -> Result<bool> {
        self.db.write(|tx| sla::escalate(tx, case_id, plan, now))
    }

    /// The open cases of `owner` with what their SLA is computed from.
    pub fn open_cases_of(&self, owner: &str) -> Result<Vec<(Case, pd_domain::SlaFacts)>> {
        self.db.read_tx(|tx| sla::open_cases_of(tx, owner))
    }

    /// The highest comment and transaction row numbers (a watcher starts from here).
    pub fn watermarks(&self) -> Result<(i64, i64)> {
        self.db.read(sla::watermarks)
    }

    /// Partner comments on `owner`'s cases after comment row `after`, and the new watermark.
    pub fn partner_replies_since(
        &self,
        owner: &str,
        after: i64,
    ) -> Result<(Vec<PartnerReply>, i64)> {
        self.db
            .read_tx(|tx| sla::partner_replies_since(tx, owner, after))
    }

    /// New exceptions of partners with an open case of `owner`, after transaction row `after`.
    pub fn exceptions_since(&self, owner: &str, after: i64) -> Result<(Vec<NewException>, i64)> {
        self.db
            .read_tx(|tx| sla::exceptions_since(tx, owner, after))
    }

    /// Failed outbox entries nobody was told about yet.
    pub fn unnotified_failures(&self) -> Result<Vec<FailedEntry>> {
        self.db.read(sla::unnotified_failures)
    }

    /// Records that the analyst was told about a failed entry (once per entry).
    pub fn mark_failure_notified(&self, entry: &FailedEntry, now: Timestamp) -> Result<()> {
        let plan = EscalationPlan {
            rule_id: "builtin:failed".to_owned(),
            rule_name: "Failed action notification".to_owned(),
            breach: entry.op_id.clone(),
            patch: None,
            note: None,
            summary: "notified".to_owned(),
            event: false,
        };
        self.db
            .write(|tx| sla::escalate(tx, &entry.case_id, &plan, now))
            .map(|_| ())
    }

    /// The escalations that fired on a case, oldest first.
    pub fn fired_escalations(&self, case_id: &str) -> Result<Vec<FiredEscalation>> {
        self.db.read(|c| sla::fired(c, case_id))
    }

    /// One window of the case list and the total it was cut from (one snapshot).
    pub fn list_cases(&self, query: &CaseQuery, now: Timestamp) -> Result<CaseListPage> {
        let policy = self.sla_policy();
        let page = self.db.read_tx(|tx| {
            // The app's first list, before the columns are read: from the sort index.
            match first_page::before_columns(tx, &self.db.facets, query, now, &policy)? {
                Some(page) => Ok(page),
                None => query::list_cases(tx, &self.db.facets, query, now, &policy),
            }
        })?;
        if policy.enabled && self.db.facets.claim_sla_preparation(&policy) {
            self.prepare_sla_marks(policy);
        }
        Ok(page)
    }

    /// After the first list under a policy: reads the list's columns and every case's SLA
    /// bounds on a thread of their own, so that neither the next lists' row marks nor the first
    /// "SLA breached" list or SLA sort wait for them (about half a second at 100,000 cases).
    fn prepare_sla_marks(&self, policy: pd_domain::SlaPolicy) {
        let db = Arc::clone(&self.db);
        let spawned = std::thread::Builder::new()
            .name("pd-sla-marks".into())
            .spawn(move || {
                let outcome = db
                    .read_tx(|tx| facets::current(tx, &db.facets)?.prepare_sla_column(tx, &policy));
                if let Err(error) = outcome {
                    tracing::warn!(%error, "the SLA marks of the case list were not read ahead");
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "no thread to read the SLA marks ahead");
        }
    }

    /// Whether the case list keeps every case's SLA bounds under the policy in force (read
    /// ahead after the first list, or by a list that needed them all).
    pub fn list_sla_bounds_whole(&self) -> Result<bool> {
        let policy = self.sla_policy();
        self.db
            .read_tx(|tx| Ok(facets::current(tx, &self.db.facets)?.sla_column_is_whole(&policy)))
    }

    /// How many times this store read the case list's filter columns whole (rather than
    /// bringing them up to date in place); readers asking at once share one reading.
    pub fn list_column_loads(&self) -> u64 {
        self.db.facets.loads()
    }

    /// Counts per status for the query without its status filter.
    pub fn status_counts(&self, query: &CaseQuery, now: Timestamp) -> Result<Vec<StatusCount>> {
        let policy = self.sla_policy();
        self.db
            .read_tx(|tx| query::status_counts(tx, &self.db.facets, query, now, &policy))
    }

    /// Everything the case page shows.
    pub fn case_detail(&self, id: &str, now: Timestamp) -> Result<CaseDetail> {
        let policy = self.sla_policy();
        self.db
            .read_tx(|tx| query::case_detail(tx, id, now, &policy))
    }

    /// The cached case (with pending local changes applied).
    pub fn case(&self, id: &str) -> Result<Option<Case>> {
        self.db
            .read(|c| Ok(cases::read_case(c, id)?.map(|(case, _)| case)))
    }

    /// The id of the case with this reference (or this id), if cached (a link or the palette
    /// names cases by reference).
    pub fn case_id_by_reference(&self, reference: &str) -> Result<Option<String>> {
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM cases WHERE reference = ?1 OR id = ?1 \
                 ORDER BY reference = ?1 DESC LIMIT 1",
            )?;
            let mut rows = stmt.query([reference])?;
            Ok(match rows.next()? {
                Some(row) => Some(row.get(0)?),
                None => None,
            })
        })
    }

    /// The exceptions inbox.
    pub fn list_exceptions(&self, query: &ExceptionQuery) -> Result<ExceptionPage> {
        self.db.read_tx(|tx| directory::list_exceptions(tx, query))
    }

    /// One inbox row by transaction id (`None` when that transaction is not in the inbox).
    pub fn exception(&self, transaction_id: &str) -> Result<Option<ExceptionRow>> {
        self.db.read(|c| directory::exception(c, transaction_id))
    }

    /// Inbox filter choices.
    pub fn exception_facets(&self) -> Result<ExceptionFacets> {
        self.db.read(directory::exception_facets)
    }

    /// Partners matching `search` (name, id or trading address; all when empty).
    pub fn list_partners(&self, search: Option<&str>) -> Result<Vec<PartnerRow>> {
        self.db.read(|c| directory::list_partners(c, search))
    }

    /// One partner.
    pub fn partner(&self, id: &str) -> Result<PartnerRow> {
        self.db.read(|c| directory::partner(c, id))
    }

    /// Colleagues, by name.
    pub fn list_users(&self) -> Result<Vec<User>> {
        self.db.read(directory::list_users)
    }

    /// Refreshes what the query planner knows after a large change: merges the full-text
    /// index's segments into one b-tree and gathers table statistics (`ANALYZE`, sampled), then
    /// checkpoints the WAL. Takes a second or two on 100,000 cases; pd-sync should call it after
    /// a pull that stored many cases (e.g. the first sync), not after every small pull.
    pub fn optimize(&self) -> Result<()> {
        self.db.optimize()
    }

    /// Row counts.
    pub fn counts(&self) -> Result<Counts> {
        self.db.read(|c| {
            let n = |table: &str| -> Result<u64> {
                let v: i64 =
                    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                Ok(u64::try_from(v).unwrap_or(0))
            };
            Ok(Counts {
                cases: n("cases")?,
                comments: n("comments")?,
                partners: n("partners")?,
                transactions: n("transactions")?,
            })
        })
    }
}

pub(crate) fn set_cursor_in(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2) \
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

/// Retention exports (issue 15): the audit trail, exports and legal holds (`retention.rs`).
impl Store {
    /// Changes case fields here as `actor` (the analyst) and queues the PATCH, recording each
    /// status, owner, priority and SLA change in the audit trail with who and when.
    pub fn patch_local_case_as(
        &self,
        case_id: &str,
        patch: &CasePatch,
        actor: &str,
        now: Timestamp,
    ) -> Result<Option<String>> {
        self.db.write(|tx| {
            let since = retention::last_audit_id(tx)?;
            let op = local::patch_local_case(tx, case_id, patch, now)?;
            retention::claim_local(tx, case_id, since, actor)?;
            Ok(op)
        })
    }

    /// A case's audit trail, oldest first.
    pub fn case_audit(&self, case_id: &str) -> Result<Vec<pd_domain::AuditEntry>> {
        self.db.read(|conn| retention::case_audit(conn, case_id))
    }

    /// Queues an export for each closed case whose latest closure has none (see
    /// `retention::queue_closures`); answers the export ids queued.
    pub fn queue_closed_exports(
        &self,
        closed_before: Option<Timestamp>,
        only_case: Option<&str>,
        now: Timestamp,
    ) -> Result<Vec<String>> {
        self.db
            .write(|tx| retention::queue_closures(tx, closed_before, only_case, now))
    }

    /// One export.
    pub fn export(&self, id: &str) -> Result<Option<ExportRecord>> {
        self.db.read(|conn| retention::export(conn, id))
    }

    /// Writes an export's progress.
    pub fn save_export(&self, record: &ExportRecord) -> Result<()> {
        self.db.write(|tx| retention::save_export(tx, record))
    }

    /// Exports matching the query, newest first.
    pub fn list_exports(&self, query: &pd_domain::ExportQuery) -> Result<Vec<ExportRecord>> {
        self.db.read(|conn| retention::list_exports(conn, query))
    }

    /// Exports still to finish (queued, or interrupted mid-way), oldest first.
    pub fn unfinished_exports(&self) -> Result<Vec<ExportRecord>> {
        self.db.read(retention::unfinished_exports)
    }

    /// Places a legal hold, recorded on each case it covers; answers those cases.
    pub fn place_legal_hold(
        &self,
        scope: &pd_domain::HoldScope,
        by: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<Vec<String>> {
        self.db
            .write(|tx| retention::place_hold(tx, scope, by, reason, now))
    }

    /// Releases the active holds of a scope, recorded on each case it covers.
    pub fn release_legal_hold(
        &self,
        scope: &pd_domain::HoldScope,
        by: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<Vec<String>> {
        self.db
            .write(|tx| retention::release_hold(tx, scope, by, reason, now))
    }

    /// Whether an active legal hold covers the case.
    pub fn legal_hold_active(&self, case_id: &str, partner_id: &str) -> Result<bool> {
        self.db
            .read(|conn| retention::held(conn, case_id, partner_id))
    }
}
