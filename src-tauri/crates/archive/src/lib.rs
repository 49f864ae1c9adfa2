//! Case archives for audit and legal (issue 15): the collaboration platform is not the archive,
//! so a closed case is written once, per version, as a zip an auditor can open without
//! PartnerDesk — the thread as JSON and as a readable HTML page, every document's bytes, the
//! audit trail of status, owner, priority and SLA changes, the linked transactions with their
//! Lens fields, and a manifest with the SHA-256 of every file.
//!
//! The archive is deterministic: the same case gives the same bytes on every export (fixed
//! entry order, fixed 1980-01-01 timestamps and permissions, one compression level, JSON from
//! structs in declaration order), so a re-export of an unchanged case proves itself unchanged
//! by its hash.

mod build;
mod error;
mod export;
mod html;

pub use build::{
    build_archive, read_archive, ArchiveDocument, ArchiveInput, Built, Manifest, ManifestArchive,
    ManifestFile, MANIFEST_FORMAT, MANIFEST_NAME,
};
pub use error::ArchiveError;
pub use export::{object_keys, DocumentSource, Exporter, FolderSource, PausePoint};
