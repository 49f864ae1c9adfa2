//! Documents an analyst attaches to cases, below the shell and without Tauri: [`inspect`] reads
//! a dropped file once (size, SHA-256, media type, safe name) and [`expand`] turns folders into
//! files; [`Uploader`] uploads a file above the collab size limit to the S3 connector's bucket
//! by resumable multipart, and queues the case's document record only once the bytes are
//! confirmed (and [`Uploader::sweep_orphans`] aborts the incomplete uploads nothing will
//! complete); [`Deliverer`] sends a case's document to a partner's SFTP inbox under a
//! temporary name, renames it when complete and records it on the case once.

mod deliver;
mod error;
mod inspect;
mod name;
mod sweep;
mod upload;

pub use deliver::{
    join as remote_join, numbered, sent_words, DeliverHook, DeliverPoint, Delivered, Deliverer,
};
pub use error::{human_size, Result, TransferError};
pub use inspect::{
    duplicate_on_case, expand, hex, inspect, media_type, stat, Expansion, FileIdentity, Inspected,
};
pub use name::{sanitize_name, MAX_NAME_CHARS};
pub use sweep::{verdict, Swept, Verdict, FOREIGN_UPLOAD_GRACE};
pub use upload::{
    object_key, queue_upload, Finished, PauseHook, PausePoint, Progress, Stop, UploadPlan,
    Uploader, DEFAULT_PARALLEL_PARTS, UPLOADS_PREFIX,
};
