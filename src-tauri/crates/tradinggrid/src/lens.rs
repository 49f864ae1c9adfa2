//! Lens transaction visibility: a typed builder that renders `getTransactions` GraphQL text the
//! way OpenText's collection writes it (with every string escaped, so a hostile search term can
//! neither break nor extend the query), and the reading of its answers into pd-domain
//! transactions, including the exceptions-inbox and scrolling helpers.

use std::collections::HashSet;
use std::fmt::Write as _;

use pd_domain::{content_keys, ContentKey, Transaction};
use reqwest::Method;
use serde::Deserialize;

use crate::client::{parse_json, Call, CallBody, TradingGridClient};
use crate::error::{Error, Result};
use crate::lenient;

/// The Lens fields a pd-domain [`Transaction`] is made of; selected unless the query says otherwise.
pub const TRANSACTION_FIELDS: [&str; 14] = [
    "transactionid",
    "correlationid",
    "status",
    "deliverystatus",
    "editype",
    "transactionlevel",
    "sendername",
    "receivername",
    "senderaddress",
    "receiveraddress",
    "arrivaltime",
    "errorcode",
    "errortype",
    "externalerrormessage",
];

/// Page size of the exceptions-inbox paging.
const INBOX_PAGE: u32 = 500;
/// Hard stop for helpers that page through everything.
const MAX_PAGES: usize = 10_000;

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Oldest / smallest first.
    Asc,
    /// Newest / largest first.
    Desc,
}

/// One `fields.must` / `fields.should` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldQuery {
    /// Lens field name.
    pub field: String,
    /// Value with `*` / `?` wildcards.
    pub query: String,
}

/// One value of a `filters` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterValue {
    /// Exclude instead of include.
    pub not: bool,
    /// Exact value.
    pub value: String,
}

impl FilterValue {
    /// Include transactions whose field equals `value`.
    pub fn is(value: impl Into<String>) -> Self {
        Self {
            not: false,
            value: value.into(),
        }
    }
    /// Exclude transactions whose field equals `value`.
    pub fn not(value: impl Into<String>) -> Self {
        Self {
            not: true,
            value: value.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Filter {
    field: String,
    values: Vec<FilterValue>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Range {
    field: String,
    from: Option<String>,
    to: Option<String>,
}

/// A `getTransactions` query. Build it, then [`LensQuery::render`] it or pass it to
/// [`TradingGridClient::lens`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LensQuery {
    count: Option<u32>,
    offset: Option<u64>,
    scroll: bool,
    scroll_id: Option<String>,
    search: Option<String>,
    must: Vec<FieldQuery>,
    should: Vec<FieldQuery>,
    filters: Vec<Filter>,
    ranges: Vec<Range>,
    sort_by: Option<(String, SortOrder)>,
    content_key_filters: Option<Vec<(String, String)>>,
    content_key_names: Vec<String>,
    selected: Vec<String>,
}

impl Default for LensQuery {
    fn default() -> Self {
        Self::new()
    }
}

impl LensQuery {
    /// A query for everything, selecting [`TRANSACTION_FIELDS`] and no content keys.
    pub fn new() -> Self {
        Self {
            count: None,
            offset: None,
            scroll: false,
            scroll_id: None,
            search: None,
            must: Vec::new(),
            should: Vec::new(),
            filters: Vec::new(),
            ranges: Vec::new(),
            sort_by: None,
            content_key_filters: None,
            content_key_names: Vec::new(),
            selected: TRANSACTION_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    /// Page size (Lens default 10).
    pub fn count(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }

    /// Skip this many results.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Scroll mode: 1,000 per call plus a `scrollid`.
    pub fn scroll(mut self, on: bool) -> Self {
        self.scroll = on;
        self
    }

    /// Continue a scroll.
    pub fn scroll_id(mut self, id: impl Into<String>) -> Self {
        self.scroll_id = Some(id.into());
        self
    }

    /// The Lucene-style search string (`SYS* AND 850`, `meta.errorcode:*`, ...).
    pub fn search(mut self, query: impl Into<String>) -> Self {
        self.search = Some(query.into());
        self
    }

    /// `fields.must`: every such condition holds.
    pub fn must(mut self, field: impl Into<String>, query: impl Into<String>) -> Self {
        self.must.push(FieldQuery {
            field: field.into(),
            query: query.into(),
        });
        self
    }

    /// `fields.should`: at least one such condition holds.
    pub fn should(mut self, field: impl Into<String>, query: impl Into<String>) -> Self {
        self.should.push(FieldQuery {
            field: field.into(),
            query: query.into(),
        });
        self
    }

    /// `filters`: exact values to include or (with `not`) exclude.
    pub fn filter(
        mut self,
        field: impl Into<String>,
        values: impl IntoIterator<Item = FilterValue>,
    ) -> Self {
        self.filters.push(Filter {
            field: field.into(),
            values: values.into_iter().collect(),
        });
        self
    }

    /// `ranges`: `from <= field <= to` (either end open).
    pub fn range(mut self, field: impl Into<String>, from: Option<&str>, to: Option<&str>) -> Self {
        self.ranges.push(Range {
            field: field.into(),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        });
        self
    }

    /// `sortby`.
    pub fn sort_by(mut self, field: impl Into<String>, order: SortOrder) -> Self {
        self.sort_by = Some((field.into(), order));
        self
    }

    /// `contentKeyFilters`: a content key (e.g. "purchase order number") matching a value with
    /// wildcards.
    pub fn content_key_filter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.content_key_filters
            .get_or_insert_with(Vec::new)
            .push((key.into(), value.into()));
        self
    }

    /// Return these content keys with each transaction (adds the empty `contentKeyFilters`
    /// Lens needs to return any).
    pub fn content_keys<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.content_key_names = names.into_iter().map(Into::into).collect();
        self.content_key_filters.get_or_insert_with(Vec::new);
        self
    }

    /// Select exactly these fields instead of [`TRANSACTION_FIELDS`].
    pub fn select<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.selected = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Whether scroll mode is on.
    pub fn is_scroll(&self) -> bool {
        self.scroll
    }

    /// The GraphQL text. Fails if a field name is not a plain GraphQL name, or if nothing is
    /// selected (`transactions { }` is not GraphQL).
    pub fn render(&self) -> Result<String> {
        if self.selected.is_empty() && self.content_key_names.is_empty() {
            return Err(Error::InvalidInput {
                message: "a Lens query must select at least one transaction field".to_owned(),
            });
        }
        let mut input = String::new();
        let mut line = |text: String| {
            input.push_str("      ");
            input.push_str(&text);
            input.push('\n');
        };
        if let Some(count) = self.count {
            line(format!("count: {count}"));
        }
        if let Some(offset) = self.offset {
            line(format!("offset: {offset}"));
        }
        if self.scroll {
            line("scroll: true".into());
        }
        if let Some(id) = &self.scroll_id {
            line(format!("scrollid: {}", quote(id)));
        }
        if let Some((field, order)) = &self.sort_by {
            let order = match order {
                SortOrder::Asc => "ASC",
                SortOrder::Desc => "DESC",
            };
            line(format!(
                "sortby: {{ field: {} type: {order} }}",
                name(field)?
            ));
        }
        if let Some(filters) = &self.content_key_filters {
            let items: Vec<String> = filters
                .iter()
                .map(|(key, value)| format!("{{ key: {} value: {} }}", quote(key), quote(value)))
                .collect();
            line(format!("contentKeyFilters: [{}]", items.join(" ")));
        }
        if let Some(search) = &self.search {
            line(format!("query: {}", quote(search)));
        }
        if !self.must.is_empty() || !self.should.is_empty() {
            let mut fields = String::from("fields: {");
            for (label, list) in [("must", &self.must), ("should", &self.should)] {
                if list.is_empty() {
                    continue;
                }
                let items = list
                    .iter()
                    .map(|c| {
                        Ok(format!(
                            "{{ field: {} query: {} }}",
                            name(&c.field)?,
                            quote(&c.query)
                        ))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let _ = write!(fields, " {label}: [{}]", items.join(" "));
            }
            fields.push_str(" }");
            line(fields);
        }
        if !self.filters.is_empty() {
            let items = self
                .filters
                .iter()
                .map(|f| {
                    let values: Vec<String> = f
                        .values
                        .iter()
                        .map(|v| format!("{{ not: {} value: {} }}", v.not, quote(&v.value)))
                        .collect();
                    Ok(format!(
                        "{{ field: {} values: [{}] }}",
                        name(&f.field)?,
                        values.join(" ")
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            line(format!("filters: [{}]", items.join(" ")));
        }
        if !self.ranges.is_empty() {
            let items = self
                .ranges
                .iter()
                .map(|r| {
                    let mut item = format!("{{ field: {}", name(&r.field)?);
                    if let Some(from) = &r.from {
                        let _ = write!(item, " from: {}", quote(from));
                    }
                    if let Some(to) = &r.to {
                        let _ = write!(item, " to: {}", quote(to));
                    }
                    item.push_str(" }");
                    Ok(item)
                })
                .collect::<Result<Vec<_>>>()?;
            // The collection sends one range as an object; several go as a list.
            if items.len() == 1 {
                line(format!("ranges: {}", items[0]));
            } else {
                line(format!("ranges: [{}]", items.join(" ")));
            }
        }

        let mut selection = String::new();
        for field in &self.selected {
            let _ = writeln!(selection, "      {}", name(field)?);
        }
        if !self.content_key_names.is_empty() {
            let names: Vec<String> = self.content_key_names.iter().map(|n| quote(n)).collect();
            let _ = writeln!(
                selection,
                "      contentkeys(names: [{}]) {{ key value }}",
                names.join(" ")
            );
        }
        let scrollid = if self.scroll { "    scrollid\n" } else { "" };
        let arguments = if input.is_empty() {
            String::new()
        } else {
            format!("(query: {{\n{input}    }})")
        };
        Ok(format!(
            "query partnerDeskTransactions {{\n  getTransactions{arguments} {{\n    count\n    total\n    offset\n{scrollid}    transactions {{\n{selection}    }}\n  }}\n}}\n"
        ))
    }

    /// The exceptions inbox: failed or undelivered transactions, or any with an error code or
    /// message (the collection's "Search Box complicated" conditions as `fields.should`), with
    /// the PO, invoice and shipment content keys.
    pub fn failed() -> Self {
        Self::new()
            .should("status", "Failed")
            .should("status", "F")
            .should("deliverystatus", "DeliveryFailed")
            .should("deliverystatus", "PartiallyFailed")
            .should("deliverystatus", "PartiallyDelivered")
            .should("errorcode", "*")
            .should("externalerrormessage", "*")
            .sort_by("arrivaltime", SortOrder::Asc)
            .content_keys(content_keys::INBOX)
    }
}

/// A GraphQL string literal: quotes, backslashes and control characters escaped (other control
/// characters, backspace and form feed among them, as `\u` escapes).
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Not `\b`/`\f`: graphql-parser (the sandbox's) reads `\b` as U+0010; a `\u` escape
            // means the same to every parser.
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`), or an error: names are never escaped, so they
/// must be plain.
fn name(text: &str) -> Result<&str> {
    let mut chars = text.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
    if valid {
        Ok(text)
    } else {
        Err(Error::InvalidInput {
            message: format!("{text:?} is not a Lens field name"),
        })
    }
}

/// One answer of `getTransactions`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LensPage {
    /// Transactions in this page.
    pub count: Option<u64>,
    /// Transactions matching in all.
    pub total: Option<u64>,
    /// Offset of this page.
    pub offset: Option<u64>,
    /// Scroll continuation, in scroll mode.
    pub scroll_id: Option<String>,
    /// The transactions.
    pub transactions: Vec<Transaction>,
}

#[derive(Deserialize)]
struct GraphQlAnswer {
    #[serde(default)]
    data: Option<GraphQlData>,
    #[serde(default)]
    errors: Option<Vec<GraphQlError>>,
}

#[derive(Deserialize)]
struct GraphQlError {
    #[serde(default, deserialize_with = "lenient::string")]
    message: String,
}

#[derive(Deserialize)]
struct GraphQlData {
    #[serde(rename = "getTransactions", default)]
    get_transactions: Option<WirePage>,
}

#[derive(Deserialize)]
struct WirePage {
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    count: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    total: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    offset: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    scrollid: Option<String>,
    #[serde(default, deserialize_with = "lenient::vec")]
    transactions: Vec<WireTransaction>,
}

#[derive(Deserialize)]
struct WireContentKey {
    #[serde(default, deserialize_with = "lenient::string")]
    key: String,
    #[serde(default, deserialize_with = "lenient::string")]
    value: String,
}

#[derive(Deserialize)]
struct WireTransaction {
    #[serde(default, deserialize_with = "lenient::string")]
    transactionid: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    correlationid: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    deliverystatus: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    editype: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    transactionlevel: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    sendername: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    receivername: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    senderaddress: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    receiveraddress: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    arrivaltime: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    errorcode: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    errortype: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    externalerrormessage: Option<String>,
    #[serde(default, deserialize_with = "lenient::vec")]
    contentkeys: Vec<WireContentKey>,
}

impl From<WireTransaction> for Transaction {
    fn from(wire: WireTransaction) -> Self {
        Transaction {
            transaction_id: wire.transactionid,
            correlation_id: wire.correlationid,
            status: wire.status,
            delivery_status: wire.deliverystatus,
            edi_type: wire.editype,
            transaction_level: wire.transactionlevel,
            sender_name: wire.sendername,
            receiver_name: wire.receivername,
            sender_address: wire.senderaddress,
            receiver_address: wire.receiveraddress,
            arrival_time: wire.arrivaltime,
            error_code: wire.errorcode,
            error_type: wire.errortype,
            external_error_message: wire.externalerrormessage,
            content_keys: wire
                .contentkeys
                .into_iter()
                .map(|k| ContentKey {
                    key: k.key,
                    value: k.value,
                })
                .collect(),
        }
    }
}

/// Reads a Lens answer: `data.getTransactions`, or the GraphQL `errors` as [`Error::GraphQl`].
pub fn parse_lens_answer(body: &[u8]) -> Result<LensPage> {
    const WHAT: &str = "Lens transactions";
    let answer: GraphQlAnswer = parse_json(body, WHAT)?;
    if let Some(errors) = answer.errors.filter(|e| !e.is_empty()) {
        return Err(Error::GraphQl {
            messages: errors.into_iter().map(|e| e.message).collect(),
        });
    }
    let page = answer
        .data
        .and_then(|d| d.get_transactions)
        .ok_or_else(|| Error::malformed(WHAT, "no data.getTransactions in the answer"))?;
    Ok(LensPage {
        count: page.count,
        total: page.total,
        offset: page.offset,
        scroll_id: page.scrollid.filter(|s| !s.is_empty()),
        transactions: page
            .transactions
            .into_iter()
            .map(Transaction::from)
            .collect(),
    })
}

impl TradingGridClient {
    /// Sends GraphQL text to Lens as Postman's graphql mode does (`{"query","variables":{}}`).
    pub async fn lens_text(&self, graphql: &str) -> Result<LensPage> {
        let body = serde_json::to_vec(&serde_json::json!({ "query": graphql, "variables": {} }))
            .map_err(|e| Error::InvalidInput {
                message: e.to_string(),
            })?;
        let call = Call {
            method: Method::POST,
            url: self.url(&["visibility_transaction_search"])?,
            body: CallBody::Json(body),
            idempotency_key: None,
            if_match: None,
            total_timeout: Some(self.inner.config.request_timeout),
        };
        self.call_with(call, "Lens transactions", parse_lens_answer)
            .await
    }

    /// Runs a typed query.
    pub async fn lens(&self, query: &LensQuery) -> Result<LensPage> {
        self.lens_text(&query.render()?).await
    }

    /// Pages through every result of `query` with count/offset (its own count, or 500).
    pub async fn lens_all(&self, query: &LensQuery) -> Result<Vec<Transaction>> {
        let page_size = query.count.unwrap_or(INBOX_PAGE).max(1);
        let mut offset = query.offset.unwrap_or(0);
        let mut seen = HashSet::new();
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self
                .lens(&query.clone().count(page_size).offset(offset))
                .await?;
            let received = page.transactions.len() as u64;
            for transaction in page.transactions {
                if seen.insert(transaction.transaction_id.clone()) {
                    all.push(transaction);
                }
            }
            offset += received;
            if received == 0 || page.total.is_some_and(|total| offset >= total) {
                break;
            }
        }
        Ok(all)
    }

    /// The exceptions inbox, all pages ([`LensQuery::failed`]).
    pub async fn failed_transactions(&self) -> Result<Vec<Transaction>> {
        self.lens_all(&LensQuery::failed()).await
    }

    /// Scrolls through every result of `query` (scroll mode forced on), following `scrollid`
    /// until an empty batch.
    pub async fn scroll_all(&self, query: &LensQuery) -> Result<Vec<Transaction>> {
        let first_query = query.clone().scroll(true);
        let mut page = self.lens(&first_query).await?;
        let mut seen = HashSet::new();
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            if page.transactions.is_empty() {
                break;
            }
            let total = page.total;
            for transaction in std::mem::take(&mut page.transactions) {
                if seen.insert(transaction.transaction_id.clone()) {
                    all.push(transaction);
                }
            }
            if total.is_some_and(|t| all.len() as u64 >= t) {
                break;
            }
            let next = match page.scroll_id.take() {
                Some(id) => first_query.clone().scroll_id(id),
                None => first_query.clone(),
            };
            page = self.lens(&next).await?;
        }
        Ok(all)
    }

    /// Every transaction that arrived in `[from, to]` (RFC 3339), oldest first, with the inbox
    /// content keys, by scrolling.
    pub async fn transactions_between(&self, from: &str, to: &str) -> Result<Vec<Transaction>> {
        let query = LensQuery::new()
            .range("arrivaltime", Some(from), Some(to))
            .sort_by("arrivaltime", SortOrder::Asc)
            .content_keys(content_keys::INBOX);
        self.scroll_all(&query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_everything_that_could_break_out() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("line1\nline2\r\t"), r#""line1\nline2\r\t""#);
        assert_eq!(quote("\u{0}\u{1f}"), r#""\u0000\u001f""#);
        assert_eq!(quote("Größe €"), "\"Größe €\"");
    }

    /// Splits GraphQL text into the decoded string literals and the text outside them.
    fn literals(text: &str) -> (Vec<String>, String) {
        let mut found = Vec::new();
        let mut outside = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '"' {
                outside.push(c);
                continue;
            }
            let mut value = String::new();
            loop {
                match chars.next().expect("unterminated literal") {
                    '"' => break,
                    '\n' => panic!("raw newline inside a literal"),
                    '\\' => match chars.next().expect("dangling escape") {
                        'n' => value.push('\n'),
                        'r' => value.push('\r'),
                        't' => value.push('\t'),
                        'b' => value.push('\u{8}'),
                        'f' => value.push('\u{c}'),
                        'u' => {
                            let hex: String = chars.by_ref().take(4).collect();
                            let code = u32::from_str_radix(&hex, 16).expect("hex");
                            value.push(char::from_u32(code).expect("char"));
                        }
                        other => value.push(other),
                    },
                    other => value.push(other),
                }
            }
            found.push(value);
        }
        (found, outside)
    }

    #[test]
    fn hostile_strings_stay_inside_their_literal() {
        let hostiles = [
            "\") { transactions { senderip } } #\n\\\"",
            "\\",
            "\"\"\"block\"\"\"",
            "a\r\nb\u{0}c\u{7f}\u{2028}",
            "} } mutation { deleteEverything }",
        ];
        for hostile in hostiles {
            let text = LensQuery::new()
                .search(hostile)
                .must("sendername", hostile)
                .filter("editype", [FilterValue::not(hostile)])
                .content_key_filter(hostile, hostile)
                .content_keys([hostile])
                .render()
                .expect("render");
            let (values, outside) = literals(&text);
            assert_eq!(values.len(), 6, "{text}");
            assert!(values.iter().all(|v| v == hostile), "{values:?}");
            assert!(
                !outside.contains("senderip") && !outside.contains("mutation"),
                "{outside}"
            );
            assert_eq!(
                outside.matches('{').count(),
                outside.matches('}').count(),
                "{outside}"
            );
        }
    }

    #[test]
    fn field_names_must_be_plain() {
        for bad in ["", "1abc", "status) { x", "meta.errorcode", "a b", "stätus"] {
            let error = LensQuery::new().must(bad, "x").render().expect_err(bad);
            assert_eq!(error.code(), "input.invalid");
            assert!(LensQuery::new().select([bad]).render().is_err());
        }
    }

    #[test]
    fn renders_like_the_collection() {
        let text = LensQuery::new()
            .count(25)
            .offset(0)
            .content_key_filter(content_keys::PURCHASE_ORDER, "CV*")
            .content_keys(content_keys::INBOX)
            .filter("editype", [FilterValue::not("997")])
            .range(
                "arrivaltime",
                Some("2025-01-01T00:00:00Z"),
                Some("2025-02-01T00:00:00Z"),
            )
            .sort_by("arrivaltime", SortOrder::Asc)
            .render()
            .expect("render");
        assert!(text.contains("count: 25"));
        assert!(
            text.contains(r#"contentKeyFilters: [{ key: "purchase order number" value: "CV*" }]"#)
        );
        assert!(
            text.contains(r#"filters: [{ field: editype values: [{ not: true value: "997" }] }]"#)
        );
        assert!(text.contains(r#"ranges: { field: arrivaltime from: "2025-01-01T00:00:00Z" to: "2025-02-01T00:00:00Z" }"#));
        assert!(text.contains("sortby: { field: arrivaltime type: ASC }"));
        assert!(text.contains(r#"contentkeys(names: ["purchase order number" "invoice number" "shipment identification"]) { key value }"#));
        assert!(!text.contains("scrollid"));
        let scroll = LensQuery::new()
            .scroll(true)
            .scroll_id("abc")
            .render()
            .expect("render");
        assert!(scroll.contains("scroll: true") && scroll.contains(r#"scrollid: "abc""#));
        let bare = LensQuery::new().render().expect("render");
        assert!(bare.contains("getTransactions {"), "{bare}");
    }

    #[test]
    fn answers_parse_leniently_and_errors_surface() {
        let body =
            br#"{"data":{"getTransactions":{"count":"2","total":2,"offset":0,"transactions":[
            {"transactionid":"T1","status":"Failed","insize":1234,"labels":["a"],"errorcode":500,
             "contentkeys":[{"key":"purchase order number","value":"CV-1"}]},
            {"transactionid":"T2","status":null}]}}}"#;
        let page = parse_lens_answer(body).expect("parse");
        assert_eq!(page.count, Some(2));
        assert_eq!(page.transactions[0].error_code.as_deref(), Some("500"));
        assert_eq!(
            page.transactions[0].content_key("purchase order number"),
            Some("CV-1")
        );
        assert_eq!(page.transactions[1].status, None);

        let errors = parse_lens_answer(br#"{"errors":[{"message":"Cannot query field \"x\""}]}"#);
        assert_eq!(
            errors,
            Err(Error::GraphQl {
                messages: vec!["Cannot query field \"x\"".into()]
            })
        );
        for bad in [
            &b"{\"data\":{\"getTransactions\":{\"transactions\":[{\"transactionid\":"[..],
            b"<html>oops</html>",
            b"{\"data\":{}}",
            b"{\"data\":{\"getTransactions\":{\"transactions\":{}}}}",
        ] {
            let error = parse_lens_answer(bad).expect_err("malformed");
            assert_eq!(error.code(), "api.malformed", "{error}");
        }
    }
}
