//! Documents an analyst attaches to cases, below the shell and without Tauri: [`inspect`] reads
//! a dropped file once (size, SHA-256, media type, safe name) and [`expand`] turns folders into
//! files; the transfer queue (next) uploads them to `collab/v1` or, above a threshold, to the S3
//! connector's bucket by resumable multipart, and queues the case's document record only once
//! the bytes are confirmed.

mod error;
mod inspect;
mod name;

pub use error::{human_size, Result, TransferError};
pub use inspect::{
    duplicate_on_case, expand, hex, inspect, media_type, stat, Expansion, FileIdentity, Inspected,
};
pub use name::{sanitize_name, MAX_NAME_CHARS};
