//! The archive's readable page: the case, its thread, documents, audit trail and transactions
//! as one self-contained HTML file (no scripts, no outside resources) an auditor opens in any
//! browser. Every text from the case is escaped.

use std::fmt::Write as _;

use pd_domain::{AuditEntry, Case, Comment, Document, Timestamp, Transaction, Visibility};

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn when(at: Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn opt(value: Option<&str>) -> String {
    value.map_or_else(|| "—".to_owned(), esc)
}

/// The page. `documents` pairs each record with its path inside the zip.
pub(crate) fn render(
    case: &Case,
    comments: &[Comment],
    documents: &[(&Document, &str)],
    audit: &[AuditEntry],
    transactions: &[Transaction],
    export_version: u32,
) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{reference} — {title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}}\
         table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}}\
         .internal{{background:#fff8e1}}.meta{{color:#555;font-size:.9em}}pre{{white-space:pre-wrap;margin:.3rem 0}}</style>\
         </head><body>\n<h1>{reference}: {title}</h1>\n",
        reference = esc(&case.reference),
        title = esc(&case.title)
    );
    let _ = write!(
        page,
        "<p class=\"meta\">Archive version {export_version} of case revision {version}.</p>\n\
         <table><tr><th>Partner</th><td>{partner} ({partner_id})</td></tr>\
         <tr><th>Kind</th><td>{kind}</td></tr><tr><th>Status</th><td>{status}</td></tr>\
         <tr><th>Priority</th><td>{priority}</td></tr><tr><th>Owner</th><td>{owner}</td></tr>\
         <tr><th>SLA due</th><td>{sla}</td></tr><tr><th>Opened</th><td>{created}</td></tr>\
         <tr><th>Last change</th><td>{updated}</td></tr>\
         <tr><th>References</th><td>{refs}</td></tr></table>\n",
        version = case.version,
        partner = esc(&case.partner_name),
        partner_id = esc(&case.partner_id),
        kind = case.kind.as_str(),
        status = case.status.as_str(),
        priority = case.priority.as_str(),
        owner = opt(case.owner.as_deref()),
        sla = case.sla_due.map_or_else(|| "—".to_owned(), when),
        created = when(case.created_at),
        updated = when(case.updated_at),
        refs = esc(&case.references.all().collect::<Vec<_>>().join(", ")),
    );
    page.push_str("<h2>Thread</h2>\n");
    if comments.is_empty() {
        page.push_str("<p>No comments.</p>\n");
    }
    for comment in comments {
        let internal = comment.visibility == Visibility::Internal;
        let _ = writeln!(
            page,
            "<div class=\"{class}\"><p class=\"meta\">{author}{side} — {at}{note}</p><pre>{body}</pre></div>",
            class = if internal { "internal" } else { "comment" },
            author = esc(&comment.author),
            side = if comment.author_is_partner { " (partner)" } else { "" },
            at = when(comment.created_at),
            note = if internal { " — internal note" } else { "" },
            body = esc(&comment.body),
        );
    }
    page.push_str("<h2>Documents</h2>\n");
    if documents.is_empty() {
        page.push_str("<p>No documents.</p>\n");
    } else {
        page.push_str(
            "<table><tr><th>Name</th><th>File in this archive</th><th>Size</th><th>SHA-256</th><th>Attached by</th></tr>\n",
        );
        for (document, path) in documents {
            let _ = writeln!(
                page,
                "<tr><td>{name}</td><td><a href=\"{path}\">{path}</a></td><td>{size} bytes</td><td><code>{sha}</code></td><td>{by}, {at}</td></tr>",
                name = esc(&document.name),
                path = esc(path),
                size = document.size,
                sha = esc(&document.sha256),
                by = esc(&document.uploaded_by),
                at = when(document.uploaded_at),
            );
        }
        page.push_str("</table>\n");
    }
    page.push_str("<h2>Audit trail</h2>\n");
    if audit.is_empty() {
        page.push_str("<p>No changes recorded.</p>\n");
    } else {
        page.push_str(
            "<table><tr><th>When</th><th>Who</th><th>What</th><th>From</th><th>To</th></tr>\n",
        );
        for entry in audit {
            let _ = writeln!(
                page,
                "<tr><td>{at}</td><td>{who}</td><td>{field}</td><td>{from}</td><td>{to}</td></tr>",
                at = when(entry.at),
                who = entry
                    .actor
                    .as_deref()
                    .map_or_else(|| format!("(server, {})", esc(&entry.source)), esc),
                field = entry.field.as_str(),
                from = opt(entry.from.as_deref()),
                to = opt(entry.to.as_deref()),
            );
        }
        page.push_str("</table>\n");
    }
    page.push_str("<h2>Linked transactions</h2>\n");
    if transactions.is_empty() {
        page.push_str("<p>No linked transactions in the cache.</p>\n");
    }
    for tx in transactions {
        let _ = write!(
            page,
            "<h3>{id}</h3><table><tr><th>Type</th><td>{edi}</td></tr><tr><th>Status</th><td>{status}</td></tr>\
             <tr><th>Sender</th><td>{sender}</td></tr><tr><th>Receiver</th><td>{receiver}</td></tr>\
             <tr><th>Arrived</th><td>{arrival}</td></tr><tr><th>Error</th><td>{error}</td></tr>",
            id = esc(&tx.transaction_id),
            edi = opt(tx.edi_type.as_deref()),
            status = opt(tx.status.as_deref()),
            sender = opt(tx.sender_name.as_deref()),
            receiver = opt(tx.receiver_name.as_deref()),
            arrival = opt(tx.arrival_time.as_deref()),
            error = opt(tx.external_error_message.as_deref()),
        );
        for key in &tx.content_keys {
            let _ = write!(
                page,
                "<tr><th>{}</th><td>{}</td></tr>",
                esc(&key.key),
                esc(&key.value)
            );
        }
        page.push_str("</table>\n");
    }
    page.push_str("</body></html>\n");
    page
}
