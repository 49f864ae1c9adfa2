//! Builds the demo tenant deterministically from a seed: partners, colleagues, Lens transactions
//! (some failed) and cases with threads and documents, all in one SQLite transaction so that
//! 100,000 cases and 500,000 comments take seconds.

mod content;
pub mod text;
mod transactions;

use chrono::Duration;
use pd_domain::{CaseKind, CaseReferences, CaseStatus, Priority, Timestamp};
use rusqlite::{params, Connection};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::ts;
use crate::error::Result;
use crate::lens::record::TxRecord;
use crate::rng::SeedRng;

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedParams {
    /// PRNG seed: same seed, same tenant.
    pub seed: u64,
    /// How many cases.
    pub cases: usize,
    /// Average comments per case.
    pub comments_per_case: usize,
    /// Our own company id.
    pub company_id: String,
    /// The instant relative times are computed from.
    pub now: Timestamp,
    /// How many Lens transactions.
    pub transactions: usize,
}

/// A partner while seeding.
#[derive(Debug, Clone)]
pub(crate) struct SeedPartner {
    pub id: String,
    pub name: String,
    pub addresses: Vec<String>,
    pub contact: String,
    pub edifact: bool,
}

/// A colleague while seeding.
#[derive(Debug, Clone)]
struct SeedUser {
    login_id: String,
    display: String,
}

/// Our own trading addresses (the collection's examples use `ZZ:DEMORETAILER`).
pub const OUR_ADDRESSES: [&str; 2] = ["ZZ:DEMORETAILER", "01:147678796"];
/// Our own company name.
pub const OUR_NAME: &str = "Demo Retailer Inc.";

/// Seeds an empty database. Writes `meta.seeded` last, inside the same transaction.
pub fn seed(conn: &mut Connection, params: &SeedParams) -> Result<()> {
    let mut rng = SeedRng::new(params.seed);
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT OR REPLACE INTO company(id, data) VALUES (?1, ?2)",
        params![
            params.company_id,
            company_json(&params.company_id).to_string()
        ],
    )?;
    let partners = seed_partners(&tx, &mut rng)?;
    let users = seed_users(&tx, &mut rng)?;
    let txs = transactions::generate(&mut rng, &partners, params.now, params.transactions);
    {
        let mut insert = tx.prepare("INSERT INTO transactions(id, data) VALUES (?1, ?2)")?;
        for (record, _) in &txs {
            let data = serde_json::to_string(record).map_err(crate::db::corrupt)?;
            insert.execute(params![record.id(), data])?;
        }
    }
    seed_cases(&tx, &mut rng, params, &partners, &users, &txs)?;
    tx.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('seeded', ?1)",
        [
            json!({"seed": params.seed, "companyId": params.company_id, "at": ts(params.now)})
                .to_string(),
        ],
    )?;
    tx.commit()?;
    Ok(())
}

/// Our company as Community Management describes it.
pub fn company_json(company_id: &str) -> serde_json::Value {
    json!({
        "companyId": company_id,
        "companyName": OUR_NAME,
        "status": "Active",
        "address": {
            "addressLine1": "100 Commerce Way",
            "addressLine2": "Suite 400",
            "city": "Columbus",
            "state": "OH",
            "postalCode": "43215",
            "countryCode": "US"
        },
        "tradingAddresses": OUR_ADDRESSES,
    })
}

fn seed_partners(tx: &Connection, rng: &mut SeedRng) -> Result<Vec<SeedPartner>> {
    let mut out = Vec::new();
    let mut insert = tx.prepare(
        "INSERT INTO partners(id, name, status, country, email, addresses, contact)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (index, (name, country, domain)) in text::PARTNERS.iter().enumerate() {
        let id = format!("GC{}", rng.digits(12));
        let short: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .take(15)
            .collect();
        let mut addresses = vec![format!("ZZ:{short}")];
        if rng.chance(0.5) {
            addresses.push(format!("01:{}", rng.digits(9)));
        }
        let status = match index % 10 {
            7 => "Pending",
            9 if index > 20 => "Inactive",
            _ => "Active",
        };
        let contact = format!(
            "{} {}",
            rng.pick(&text::FIRST_NAMES),
            rng.pick(&text::LAST_NAMES)
        );
        let email = format!("edi@{domain}");
        insert.execute(params![
            id,
            name,
            status,
            country,
            email,
            serde_json::to_string(&addresses).map_err(crate::db::corrupt)?,
            contact
        ])?;
        out.push(SeedPartner {
            id,
            name: (*name).to_string(),
            addresses,
            contact,
            edifact: !matches!(*country, "US" | "CA" | "MX"),
        });
    }
    Ok(out)
}

fn seed_users(tx: &Connection, rng: &mut SeedRng) -> Result<Vec<SeedUser>> {
    let mut out = Vec::new();
    let mut insert =
        tx.prepare("INSERT INTO users(user_id, login_id, data) VALUES (?1, ?2, ?3)")?;
    let mut role = tx.prepare("INSERT OR IGNORE INTO user_roles(user_id, role) VALUES (?1, ?2)")?;
    for i in 0..12 {
        let first = text::FIRST_NAMES[(i * 7) % text::FIRST_NAMES.len()];
        let last = text::LAST_NAMES[(i * 5 + 3) % text::LAST_NAMES.len()];
        let login_id = format!("{}{}", first[..1].to_lowercase(), last.to_lowercase());
        let user_id = format!("GCP{}", rng.alnum(10));
        let email = format!(
            "{}.{}@demoretailer.com",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let data = json!({
            "userId": user_id,
            "loginId": login_id,
            "firstName": first,
            "lastName": last,
            "email": email,
            "status": "Active",
            "type": "Web",
            "address": {
                "addressLine1": "100 Commerce Way", "addressLine2": "", "city": "Columbus",
                "state": "OH", "postalCode": "43215", "countryCode": "US"
            },
            "contactInformation": {
                "email": email, "phoneNumber": format!("614555{}", rng.digits(4)),
                "mobile": "", "faxNumber": ""
            },
            "preferredLanguage": "en",
            "preferredTimezone": "America/New_York",
            "preferredDateFormat": "MM/dd/yy",
        });
        insert.execute(params![user_id, login_id, data.to_string()])?;
        role.execute(params![user_id, "Lens All custom"])?;
        for _ in 0..rng.range(1, 3) {
            role.execute(params![user_id, rng.pick(&text::ROLES)])?;
        }
        out.push(SeedUser {
            login_id,
            display: format!("{first} {last}"),
        });
    }
    Ok(out)
}

fn fill(template: &str, refs: &Refs, partner: &str, rng: &mut SeedRng) -> String {
    let m = rng.range(12, 60);
    let n = rng.range(1, m.saturating_sub(1).max(1));
    // One pass over the template: this runs once per seeded comment.
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('}') else { break };
        match &after[1..close] {
            "po" => out.push_str(&refs.po),
            "inv" => out.push_str(&refs.invoice),
            "ship" => out.push_str(&refs.shipment),
            "partner" => out.push_str(partner),
            "m" => out.push_str(&m.to_string()),
            "n" => out.push_str(&n.to_string()),
            other => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The business references a seeded case talks about.
pub(crate) struct Refs {
    pub po: String,
    pub invoice: String,
    pub shipment: String,
}

impl Refs {
    pub(crate) fn random(rng: &mut SeedRng) -> Self {
        Refs {
            po: transactions::po_number(rng),
            invoice: format!("INV{}", rng.digits(7)),
            shipment: format!("SH{}", rng.digits(8)),
        }
    }
}

fn weighted<T: Copy>(rng: &mut SeedRng, items: &[(T, u64)]) -> T {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.below(total);
    for (item, weight) in items {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    items[0].0
}

fn seed_cases(
    tx: &Connection,
    rng: &mut SeedRng,
    params: &SeedParams,
    partners: &[SeedPartner],
    users: &[SeedUser],
    txs: &[(TxRecord, usize)],
) -> Result<()> {
    let failed: Vec<&(TxRecord, usize)> = txs
        .iter()
        .filter(|(t, _)| {
            t.get("status") == Some("Failed") && t.get("transactionlevel") == Some("Document")
        })
        .collect();
    let mut insert_case = tx.prepare(
        "INSERT INTO cases(id, seq, reference, title, partner_id, partner_name, kind, status,
            priority, owner, sla_due, created_at, updated_at, refs, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?;
    let mut insert_link =
        tx.prepare("INSERT INTO case_links(case_id, transaction_id, pos) VALUES (?1, ?2, 0)")?;
    let mut insert_comment = tx.prepare(
        "INSERT INTO comments(id, case_id, author, author_is_partner, body, visibility, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut insert_doc = tx.prepare(
        "INSERT INTO documents(id, case_id, name, size, sha256, media_type, uploaded_by, uploaded_at, content)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let kinds = [
        (CaseKind::Shipment, 30),
        (CaseKind::Invoice, 25),
        (CaseKind::Order, 20),
        (CaseKind::Compliance, 10),
        (CaseKind::Onboarding, 7),
        (CaseKind::Other, 8),
    ];
    let statuses = [
        (CaseStatus::New, 10),
        (CaseStatus::Open, 25),
        (CaseStatus::WaitingOnPartner, 20),
        (CaseStatus::WaitingOnUs, 15),
        (CaseStatus::Resolved, 15),
        (CaseStatus::Closed, 15),
    ];
    let priorities = [
        (Priority::Low, 15),
        (Priority::Normal, 50),
        (Priority::High, 25),
        (Priority::Urgent, 10),
    ];
    let max_comments = (params.comments_per_case * 2) as u64;
    for i in 0..params.cases {
        let id = rng.uuid();
        let linked = if !failed.is_empty() && rng.chance(0.35) {
            Some(*rng.pick(&failed))
        } else {
            None
        };
        let (partner, kind, refs) = match linked {
            Some((record, partner_index)) => {
                let kind = match record.get("editype").unwrap_or_default() {
                    "850" | "855" | "ORDERS" => CaseKind::Order,
                    "810" | "INVOIC" => CaseKind::Invoice,
                    "856" | "DESADV" => CaseKind::Shipment,
                    _ => CaseKind::Compliance,
                };
                let mut refs = Refs::random(rng);
                if let Some(po) = record.content_key("purchase order number") {
                    refs.po = po.to_string();
                }
                if let Some(inv) = record.content_key("invoice number") {
                    refs.invoice = inv.to_string();
                }
                if let Some(ship) = record.content_key("shipment identification") {
                    refs.shipment = ship.to_string();
                }
                (&partners[*partner_index], kind, refs)
            }
            None => (rng.pick(partners), weighted(rng, &kinds), Refs::random(rng)),
        };
        let title_templates = text::TITLES
            .iter()
            .find(|(k, _)| *k == kind.as_str())
            .map(|(_, t)| *t)
            .unwrap_or(&["Follow-up with {partner}"]);
        let template: &&str = rng.pick(title_templates);
        let title = fill(template, &refs, &partner.name, rng);
        let mut references = CaseReferences::default();
        match kind {
            CaseKind::Shipment | CaseKind::Compliance => {
                references.po_numbers.push(refs.po.clone());
                references.shipment_numbers.push(refs.shipment.clone());
            }
            CaseKind::Invoice => {
                references.po_numbers.push(refs.po.clone());
                references.invoice_numbers.push(refs.invoice.clone());
            }
            CaseKind::Order => references.po_numbers.push(refs.po.clone()),
            CaseKind::Onboarding | CaseKind::Other => {}
        }
        let status = weighted(rng, &statuses);
        let priority = weighted(rng, &priorities);
        let owner = if status == CaseStatus::New && rng.chance(0.5) || rng.chance(0.1) {
            None
        } else {
            Some(rng.pick(users))
        };
        let created = params.now - Duration::minutes(rng.range(60, 60 * 24 * 60) as i64);
        let sla_hours = match priority {
            Priority::Urgent => 24,
            Priority::High => 72,
            Priority::Normal => 120,
            Priority::Low => 240,
        };
        let sla_due = rng
            .chance(0.85)
            .then(|| created + Duration::hours(sla_hours));
        let mut at = created;
        let span_minutes = (params.now - created).num_minutes().max(2) as u64;
        let comment_count = rng.below(max_comments + 1);
        for c in 0..comment_count {
            at +=
                Duration::minutes(rng.range(1, (span_minutes / (comment_count + 1)).max(1)) as i64);
            let roll = rng.below(10);
            let (author, is_partner, visibility, template) = if roll < 4 {
                (
                    format!("{} ({})", partner.contact, partner.name),
                    true,
                    "partner",
                    *rng.pick(&text::PARTNER_COMMENTS),
                )
            } else if roll < 8 || c == 0 {
                let who = owner.unwrap_or_else(|| rng.pick(users));
                (
                    who.display.clone(),
                    false,
                    "partner",
                    *rng.pick(&text::OUR_COMMENTS),
                )
            } else {
                let who = owner.unwrap_or_else(|| rng.pick(users));
                (
                    who.display.clone(),
                    false,
                    "internal",
                    *rng.pick(&text::INTERNAL_NOTES),
                )
            };
            let body = fill(template, &refs, &partner.name, rng);
            insert_comment.execute(params![
                rng.uuid(),
                id,
                author,
                is_partner,
                body,
                visibility,
                ts(at)
            ])?;
        }
        let doc_count = match rng.below(20) {
            0..=5 => 1,
            6..=7 => 2,
            _ => 0,
        };
        for _ in 0..doc_count {
            at += Duration::minutes(rng.range(1, 30) as i64);
            let (name, media_type, bytes) = content::generate(rng, kind, &refs, &partner.name);
            let sha = format!("{:x}", Sha256::digest(&bytes));
            let uploader = owner
                .map(|u| u.display.clone())
                .unwrap_or_else(|| partner.contact.clone());
            insert_doc.execute(params![
                rng.uuid(),
                id,
                name,
                bytes.len() as i64,
                sha,
                media_type,
                uploader,
                ts(at),
                bytes
            ])?;
        }
        let updated = at.min(params.now);
        let reference = format!("CASE-{}-{:06}", created.format("%Y"), i + 1);
        insert_case.execute(params![
            id,
            (i + 1) as i64,
            reference,
            title,
            partner.id,
            partner.name,
            kind.as_str(),
            status.as_str(),
            priority.as_str(),
            owner.map(|u| u.login_id.clone()),
            sla_due.map(ts),
            ts(created),
            ts(updated),
            serde_json::to_string(&references).map_err(crate::db::corrupt)?,
            1 + comment_count as i64 + doc_count as i64,
        ])?;
        if let Some((record, _)) = linked {
            insert_link.execute(params![id, record.id()])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_every_placeholder() {
        let refs = Refs {
            po: "4500012345".into(),
            invoice: "INV1".into(),
            shipment: "SH1".into(),
        };
        let mut rng = SeedRng::new(1);
        let text = fill(
            "Received {n} of {m} cartons on PO {po} ({ship}, {inv}) from {partner} {x}",
            &refs,
            "Acme",
            &mut rng,
        );
        assert!(text.starts_with("Received "));
        assert!(
            text.contains("on PO 4500012345 (SH1, INV1) from Acme {x}"),
            "{text}"
        );
        assert!(!text.contains("{n}") && !text.contains("{m}"));
    }
}
