//! The vocabulary every other crate speaks. Kept free of I/O so that the store, the client, the
//! sandbox, the sync worker and the UI bindings all agree on one definition of a case.

pub mod case;
pub mod case_server;
pub mod collab;
pub mod contract;
pub mod delivery;
pub mod desk;
pub mod directory;
pub mod document;
pub mod documents;
pub mod error_code;
pub mod folders;
pub mod notice;
pub mod outbox_op;
pub mod outside;
pub mod retention;
pub mod retry_after;
pub mod routing;
pub mod settings_view;
pub mod sla;
pub mod transaction;
pub mod view;

pub use case::*;
pub use case_server::*;
pub use collab::*;
pub use contract::*;
pub use delivery::*;
pub use desk::*;
pub use directory::*;
pub use document::*;
pub use documents::*;
pub use error_code::*;
pub use folders::*;
pub use notice::*;
pub use outbox_op::*;
pub use outside::*;
pub use retention::*;
pub use routing::*;
pub use settings_view::*;
pub use sla::*;
pub use transaction::*;
pub use view::*;

/// Instants are UTC everywhere; the wire format is RFC 3339.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
