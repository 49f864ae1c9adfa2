//! `pd-collab`: PartnerDesk's `collab/v1` contract (`collab-v1.openapi.yaml`) implemented once.
//! The sandbox (demo and test peer) and `partnerdesk-server` (a team's case server) both serve
//! these handlers; what keeps the rows is a [`CollabStore`]: [`sqlite::SqliteStore`] here,
//! PostgreSQL in its own crate. The obligations a backend must meet (one transaction per write,
//! idempotency, a change feed whose commit order equals its sequence order) are written on the
//! trait's module, [`store`].

pub mod api_error;
pub mod error;
pub mod http;
pub mod sqlite;
pub mod store;

pub use api_error::ApiError;
pub use error::StoreError;
pub use http::{router, Authenticate, Caller, Collab, Directory, DocumentObjects};
pub use store::{
    CollabStore, DocumentBytes, FeedPage, Idempotency, NewCaseRecord, NewCommentRecord,
    NewDocumentRecord, OpKind, StoredAnswer, WriteContext, Written,
};
