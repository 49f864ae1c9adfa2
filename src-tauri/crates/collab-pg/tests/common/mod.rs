//! Shared by the PostgreSQL backend's tests: a real PostgreSQL with a fresh, migrated database,
//! and the write inputs the tests send.

#![allow(dead_code)]

use pd_collab::{CollabStore, Idempotency, NewCaseRecord, NewCommentRecord, WriteContext, Written};
use pd_collab_pg::PgStore;
use pd_domain::{CaseKind, NewCase, Visibility};
use pd_pgtest::PgServer;

/// The company every test writes to.
pub const COMPANY: &str = "GXS-TEST";

/// A running PostgreSQL with one fresh database; `None` when skipped (not installed).
pub struct Db {
    /// The server (stopped when this is dropped).
    pub server: PgServer,
    /// The database's URL.
    pub url: String,
}

impl Db {
    /// Starts PostgreSQL and creates a database named after the test.
    pub fn start(label: &str) -> Option<Db> {
        let server = PgServer::start_or_skip()?;
        let url = server
            .create_database(label)
            .expect("create the test database");
        Some(Db { server, url })
    }

    /// A migrated store on it.
    pub async fn store(&self) -> PgStore {
        let store = PgStore::connect(&self.url, 8).expect("store");
        store.migrate().await.expect("migrate");
        store
    }

    /// A plain client (for the test's own SQL), its connection driven on a task.
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }
}

/// A write context, with an idempotency key when `key` is given.
pub fn ctx(key: Option<&str>) -> WriteContext {
    WriteContext {
        company: COMPANY.into(),
        op_id: key.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string),
        idempotency: key.map(|key| Idempotency {
            key: key.into(),
            fingerprint: format!("fingerprint of {key}"),
            not_before: None,
        }),
        now: chrono::Utc::now(),
    }
}

/// A case to create.
pub fn new_case(id: &str) -> NewCaseRecord {
    NewCaseRecord {
        case: NewCase {
            id: id.into(),
            title: format!("Short shipment {id}"),
            partner_id: "P-1".into(),
            partner_name: None,
            kind: CaseKind::Shipment,
            priority: None,
            owner: None,
            sla_due: None,
            linked_transactions: Vec::new(),
            references: Default::default(),
            description: None,
        },
        partner_name: "Acme Retail".into(),
        description_author: "Anna Keller".into(),
    }
}

/// A comment to add.
pub fn comment(id: &str) -> NewCommentRecord {
    NewCommentRecord {
        id: id.into(),
        author: "Anna Keller".into(),
        author_is_partner: false,
        body: format!("comment {id}"),
        visibility: Visibility::Internal,
    }
}

/// Creates cases `ids`.
pub async fn create_cases(store: &PgStore, ids: &[&str]) {
    for id in ids {
        let written = store
            .create_case(ctx(None), new_case(id))
            .await
            .expect("create case");
        assert!(matches!(written, Written::Applied { .. }));
    }
}

/// Reads the feed from `cursor` to its end, as the app's pull does; answers every bundle and
/// the new cursor.
pub async fn drain(store: &PgStore, mut cursor: i64) -> (Vec<pd_domain::CaseBundle>, i64) {
    let mut all = Vec::new();
    loop {
        let page = store
            .list_changed(COMPANY, cursor, 7)
            .await
            .expect("feed page");
        all.extend(page.cases);
        cursor = page.last_seq.unwrap_or(cursor);
        if !page.has_more {
            return (all, cursor);
        }
    }
}
