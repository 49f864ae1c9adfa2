//! Multipart uploads a bucket still holds that nothing will complete: left by a crash between
//! starting an upload and recording its id, by a cancel while the server could not be reached,
//! or by a record since finished. S3 keeps (and bills) their parts until they are aborted, so
//! the uploads job sweeps them once a run, before it uploads anything.

use std::time::Duration;

use chrono::{DateTime, Utc};
use pd_connectors::PendingUpload;
use pd_store::{UploadRecord, UploadState};

use crate::error::Result;
use crate::upload::{Uploader, UPLOADS_PREFIX};

/// How long an upload this cache does not know is left alone: it may be another computer's or
/// workspace's sharing the bucket, still running or paused. A week, the age S3's own lifecycle
/// rule for incomplete uploads is usually given.
pub const FOREIGN_UPLOAD_GRACE: Duration = Duration::from_secs(7 * 24 * 3600);

/// What a sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    /// The incomplete uploads aborted.
    pub aborted: Vec<PendingUpload>,
    /// The incomplete uploads left alone (this cache's running, paused or failed uploads, and
    /// recent ones it does not know).
    pub kept: Vec<PendingUpload>,
}

/// Whether an incomplete upload on the server is to be aborted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Something may still complete it.
    Keep,
    /// Nothing will: abort it.
    Abort,
}

/// The upload id segment of a key under [`UPLOADS_PREFIX`]: `<case>/<upload id>/<name>`.
fn upload_id_of(key: &str) -> Option<&str> {
    let mut segments = key.strip_prefix(UPLOADS_PREFIX)?.split('/');
    let (_case, id, _name) = (segments.next()?, segments.next()?, segments.next()?);
    (!id.is_empty()).then_some(id)
}

/// Decides one incomplete upload: kept while this cache's record of it is queued, paused or
/// failed (a retry resumes it) under that very upload id; aborted when the record is done,
/// cancelled, or holds another upload id (a crash before the id was recorded starts a new one);
/// one the cache does not know is aborted only once older than [`FOREIGN_UPLOAD_GRACE`].
pub fn verdict(
    pending: &PendingUpload,
    record: Option<&UploadRecord>,
    now: DateTime<Utc>,
) -> Verdict {
    match record {
        Some(record) if record.upload.object_key == pending.key => {
            let resumable = matches!(
                record.state,
                UploadState::Queued | UploadState::Paused | UploadState::Failed
            );
            if resumable && record.s3_upload_id.as_deref() == Some(pending.upload_id.as_str()) {
                Verdict::Keep
            } else {
                Verdict::Abort
            }
        }
        _ => {
            let old = pending.initiated.is_some_and(|at| {
                now.signed_duration_since(at)
                    .to_std()
                    .is_ok_and(|age| age > FOREIGN_UPLOAD_GRACE)
            });
            if old {
                Verdict::Abort
            } else {
                Verdict::Keep
            }
        }
    }
}

impl Uploader {
    /// Aborts the incomplete uploads under [`UPLOADS_PREFIX`] that nothing will complete (see
    /// [`verdict`]). Call it before this cache's queue runs: an upload started meanwhile and
    /// not yet recorded would look like a crash's leftover.
    pub async fn sweep_orphans(&self, now: DateTime<Utc>) -> Result<Swept> {
        let listed = self.s3.list_multipart_uploads(UPLOADS_PREFIX).await?;
        if listed.is_empty() {
            return Ok(Swept::default());
        }
        let ids: Vec<Option<String>> = listed
            .iter()
            .map(|pending| upload_id_of(&pending.key).map(str::to_owned))
            .collect();
        let records = self
            .blocking(move |store| {
                ids.iter()
                    .map(|id| match id {
                        Some(id) => Ok(store.upload(id)?),
                        None => Ok(None),
                    })
                    .collect::<Result<Vec<Option<UploadRecord>>>>()
            })
            .await?;
        let mut swept = Swept::default();
        for (pending, record) in listed.into_iter().zip(records) {
            match verdict(&pending, record.as_ref(), now) {
                Verdict::Keep => swept.kept.push(pending),
                Verdict::Abort => {
                    self.s3
                        .abort_multipart_upload(&pending.key, &pending.upload_id)
                        .await?;
                    tracing::info!(key = %pending.key, "an incomplete upload nothing will complete was aborted");
                    swept.aborted.push(pending);
                }
            }
        }
        Ok(swept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_id_is_read_from_the_queues_own_keys_only() {
        assert_eq!(
            upload_id_of("partnerdesk/uploads/case-1/5f0c/scan.pdf"),
            Some("5f0c")
        );
        assert_eq!(upload_id_of("partnerdesk/uploads/case-1//scan.pdf"), None);
        assert_eq!(upload_id_of("partnerdesk/uploads/case-1"), None);
        assert_eq!(upload_id_of("partnerdesk/cases/case-1/5f0c/x"), None);
    }

    #[test]
    fn an_unknown_upload_is_aborted_only_after_a_week() {
        let now = Utc::now();
        let pending = |age_hours: i64| PendingUpload {
            key: "partnerdesk/uploads/case-1/other-computer/scan.pdf".into(),
            upload_id: "u-1".into(),
            initiated: Some(now - chrono::Duration::hours(age_hours)),
        };
        assert_eq!(verdict(&pending(1), None, now), Verdict::Keep);
        assert_eq!(verdict(&pending(24 * 7 - 1), None, now), Verdict::Keep);
        assert_eq!(verdict(&pending(24 * 7 + 1), None, now), Verdict::Abort);
        let undated = PendingUpload {
            initiated: None,
            ..pending(24 * 30)
        };
        assert_eq!(
            verdict(&undated, None, now),
            Verdict::Keep,
            "no age, no abort"
        );
        let future = pending(-48);
        assert_eq!(
            verdict(&future, None, now),
            Verdict::Keep,
            "a clock ahead is not old"
        );
    }
}
