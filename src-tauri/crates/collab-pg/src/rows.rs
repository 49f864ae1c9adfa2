//! Reading `collab/v1` rows back from PostgreSQL as the `pd-domain` types, with the same shapes
//! and orders as the SQLite backend (threads and documents oldest first, links in link order),
//! and the change-feed page query.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use pd_collab::{FeedPage, StoreError};
use pd_domain::{
    Case, CaseBundle, CaseKind, CaseReferences, CaseStatus, Comment, Document, DocumentLocation,
    Priority, Timestamp, Visibility,
};
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::Fail;

/// Runs a query through the connection's statement cache (one round trip once prepared).
pub(crate) async fn query<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, Fail> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query(&statement, params).await?)
}

/// [`query`] for at most one row.
pub(crate) async fn query_opt<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, Fail> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query_opt(&statement, params).await?)
}

/// [`query`] for exactly one row.
pub(crate) async fn query_one<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Row, Fail> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query_one(&statement, params).await?)
}

/// [`query`] for a statement without rows; answers how many rows it changed.
pub(crate) async fn execute<C: GenericClient>(
    client: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, Fail> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.execute(&statement, params).await?)
}

fn corrupt(what: &str, value: &str) -> Fail {
    Fail::Store(StoreError::Backend(format!(
        "unknown {what} {value:?} in the database"
    )))
}

/// The case columns [`case_from_row`] reads, in order.
pub(crate) const CASE_COLUMNS: &str =
    "id, reference, title, partner_id, partner_name, kind, status, priority, owner,
     sla_due, created_at, updated_at, refs, version";

/// One case row (links are filled in separately).
pub(crate) fn case_from_row(r: &Row) -> Result<Case, Fail> {
    let kind: String = r.try_get(5)?;
    let status: String = r.try_get(6)?;
    let priority: String = r.try_get(7)?;
    let refs: String = r.try_get(12)?;
    Ok(Case {
        id: r.try_get(0)?,
        reference: r.try_get(1)?,
        title: r.try_get(2)?,
        partner_id: r.try_get(3)?,
        partner_name: r.try_get(4)?,
        kind: CaseKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        status: CaseStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        priority: Priority::parse(&priority).ok_or_else(|| corrupt("priority", &priority))?,
        owner: r.try_get(8)?,
        sla_due: r.try_get::<_, Option<Timestamp>>(9)?,
        created_at: r.try_get(10)?,
        updated_at: r.try_get(11)?,
        linked_transactions: Vec::new(),
        references: serde_json::from_str::<CaseReferences>(&refs)
            .map_err(|_| corrupt("references", &refs))?,
        version: r.try_get(13)?,
    })
}

const COMMENT_COLUMNS: &str =
    "id, case_id, author, author_is_partner, body, visibility, created_at";

fn comment_from_row(r: &Row) -> Result<Comment, Fail> {
    let visibility: String = r.try_get(5)?;
    Ok(Comment {
        id: r.try_get(0)?,
        case_id: r.try_get(1)?,
        author: r.try_get(2)?,
        author_is_partner: r.try_get(3)?,
        body: r.try_get(4)?,
        visibility: Visibility::parse(&visibility)
            .ok_or_else(|| corrupt("visibility", &visibility))?,
        created_at: r.try_get(6)?,
    })
}

const DOCUMENT_COLUMNS: &str =
    "d.id, d.case_id, d.name, d.size, d.sha256, d.media_type, d.uploaded_by, d.uploaded_at, \
     d.s3_bucket, d.s3_key";

fn document_from_row(r: &Row) -> Result<Document, Fail> {
    Ok(Document {
        id: r.try_get(0)?,
        case_id: r.try_get(1)?,
        name: r.try_get(2)?,
        size: u64::try_from(r.try_get::<_, i64>(3)?).unwrap_or(0),
        sha256: r.try_get(4)?,
        media_type: r.try_get(5)?,
        location: match (
            r.try_get::<_, Option<String>>(8)?,
            r.try_get::<_, Option<String>>(9)?,
        ) {
            (Some(bucket), Some(key)) => DocumentLocation::S3 { bucket, key },
            _ => DocumentLocation::Collab,
        },
        uploaded_by: r.try_get(6)?,
        uploaded_at: r.try_get(7)?,
    })
}

/// The case (with links) if it exists in the company; `lock` takes its row lock (`FOR UPDATE`)
/// so writes to one case run one after the other.
pub(crate) async fn load_case<C: GenericClient>(
    client: &C,
    company: &str,
    id: &str,
    lock: bool,
) -> Result<Option<Case>, Fail> {
    let sql = if lock {
        format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1 AND company_id = $2 FOR UPDATE")
    } else {
        format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1 AND company_id = $2")
    };
    let Some(row) = query_opt(client, &sql, &[&id, &company]).await? else {
        return Ok(None);
    };
    let mut case = case_from_row(&row)?;
    case.linked_transactions = query(
        client,
        "SELECT transaction_id FROM case_links WHERE case_id = $1 ORDER BY pos",
        &[&id],
    )
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    Ok(Some(case))
}

/// One comment by id.
pub(crate) async fn load_comment<C: GenericClient>(
    client: &C,
    id: &str,
) -> Result<Option<Comment>, Fail> {
    query_opt(
        client,
        &format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(comment_from_row)
    .transpose()
}

/// One document's metadata, if it belongs to the case of the company.
pub(crate) async fn load_document<C: GenericClient>(
    client: &C,
    company: &str,
    case_id: &str,
    id: &str,
) -> Result<Option<Document>, Fail> {
    query_opt(
        client,
        &format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d JOIN cases c ON c.id = d.case_id
             WHERE d.id = $1 AND d.case_id = $2 AND c.company_id = $3"
        ),
        &[&id, &case_id, &company],
    )
    .await?
    .as_ref()
    .map(document_from_row)
    .transpose()
}

/// The threads, documents and links of several cases, by case id.
async fn children<C: GenericClient>(
    client: &C,
    ids: &[String],
) -> Result<
    (
        HashMap<String, Vec<String>>,
        HashMap<String, Vec<Comment>>,
        HashMap<String, Vec<Document>>,
    ),
    Fail,
> {
    let mut links: HashMap<String, Vec<String>> = HashMap::new();
    for row in query(
        client,
        "SELECT case_id, transaction_id FROM case_links WHERE case_id = ANY($1)
         ORDER BY case_id, pos",
        &[&ids],
    )
    .await?
    {
        links
            .entry(row.try_get(0)?)
            .or_default()
            .push(row.try_get(1)?);
    }
    let mut comments: HashMap<String, Vec<Comment>> = HashMap::new();
    for row in query(
        client,
        &format!("SELECT {COMMENT_COLUMNS} FROM comments WHERE case_id = ANY($1) ORDER BY n"),
        &[&ids],
    )
    .await?
    {
        let comment = comment_from_row(&row)?;
        comments
            .entry(comment.case_id.clone())
            .or_default()
            .push(comment);
    }
    let mut documents: HashMap<String, Vec<Document>> = HashMap::new();
    for row in query(
        client,
        &format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.case_id = ANY($1) ORDER BY d.n"
        ),
        &[&ids],
    )
    .await?
    {
        let doc = document_from_row(&row)?;
        documents.entry(doc.case_id.clone()).or_default().push(doc);
    }
    Ok((links, comments, documents))
}

/// A case with its whole thread and documents.
pub(crate) async fn load_bundle<C: GenericClient>(
    client: &C,
    company: &str,
    id: &str,
) -> Result<Option<CaseBundle>, Fail> {
    let Some(case) = load_case(client, company, id, false).await? else {
        return Ok(None);
    };
    let (_, mut comments, mut documents) = children(client, std::slice::from_ref(&case.id)).await?;
    Ok(Some(CaseBundle {
        comments: comments.remove(&case.id).unwrap_or_default(),
        documents: documents.remove(&case.id).unwrap_or_default(),
        case,
    }))
}

/// One page of the change feed: the company's cases whose sequence is above `since`, in
/// sequence order, at most `limit`. Run it in one REPEATABLE READ transaction so the cases and
/// their threads are one snapshot. Four queries per page, however many cases it holds.
pub(crate) async fn load_page<C: GenericClient>(
    client: &C,
    company: &str,
    since: i64,
    limit: u32,
) -> Result<FeedPage, Fail> {
    let limit = i64::from(limit);
    let rows = query(
        client,
        &format!(
            "SELECT {CASE_COLUMNS}, seq FROM cases WHERE company_id = $1 AND seq > $2
             ORDER BY seq LIMIT $3"
        ),
        &[&company, &since, &(limit + 1)],
    )
    .await?;
    let has_more = rows.len() as i64 > limit;
    let mut cases = Vec::new();
    let mut last = None;
    for row in rows.iter().take(usize::try_from(limit).unwrap_or(0)) {
        cases.push(case_from_row(row)?);
        last = Some(row.try_get::<_, i64>(14)?);
    }
    if cases.is_empty() {
        return Ok(FeedPage {
            cases: Vec::new(),
            last_seq: None,
            has_more: false,
        });
    }
    let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
    let (mut links, mut comments, mut documents) = children(client, &ids).await?;
    let cases = cases
        .into_iter()
        .map(|mut case| {
            case.linked_transactions = links.remove(&case.id).unwrap_or_default();
            CaseBundle {
                comments: comments.remove(&case.id).unwrap_or_default(),
                documents: documents.remove(&case.id).unwrap_or_default(),
                case,
            }
        })
        .collect();
    Ok(FeedPage {
        cases,
        last_seq: last,
        has_more,
    })
}
