//! Lens transaction search: parses the GraphQL text the collection sends, evaluates
//! `getTransactions(query:{...})` over the seeded transactions and answers with only the
//! selected fields, GraphQL-style (`{"data":...}` or `{"errors":[...]}`).

pub mod lucene;
pub mod record;

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use graphql_parser::query::{Definition, OperationDefinition, Selection, SelectionSet, Value};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use record::{is_field, TxRecord};

/// Transactions per scroll batch.
pub const SCROLL_BATCH: usize = 1000;
const MAX_COUNT: i64 = 10_000;

/// The searchable transactions plus open scroll cursors.
#[derive(Debug, Default)]
pub struct LensIndex {
    records: Vec<TxRecord>,
    by_id: HashMap<String, usize>,
    scrolls: Mutex<HashMap<String, Scroll>>,
    scroll_keys: Mutex<HashMap<String, String>>,
}

#[derive(Debug)]
struct Scroll {
    matches: Vec<usize>,
    position: usize,
    touched: Instant,
    key: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SearchInput {
    count: Option<i64>,
    offset: Option<i64>,
    sortby: Option<SortBy>,
    query: Option<String>,
    fields: Option<FieldsInput>,
    filters: Option<Vec<FilterInput>>,
    ranges: Option<OneOrMany<RangeInput>>,
    content_key_filters: Option<Vec<KeyFilter>>,
    scroll: Option<bool>,
    scrollid: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SortBy {
    field: String,
    #[serde(rename = "type")]
    direction: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldsInput {
    #[serde(default)]
    must: Vec<FieldQuery>,
    #[serde(default)]
    should: Vec<FieldQuery>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldQuery {
    field: String,
    query: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilterInput {
    field: String,
    values: Vec<FilterValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilterValue {
    #[serde(default)]
    not: bool,
    value: Json,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeInput {
    field: String,
    from: Option<Json>,
    to: Option<Json>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFilter {
    key: String,
    value: String,
}

fn text_of(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Compares two field values: as instants if both are RFC 3339, as numbers if both are
/// numeric, as text otherwise.
fn compare_values(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        return x.cmp(&y);
    }
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

fn check_field(name: &str) -> Result<(), String> {
    if is_field(name) {
        Ok(())
    } else {
        Err(format!("unknown transaction field '{name}'"))
    }
}

struct Compiled {
    query: Option<lucene::Query>,
    input: SearchInput,
    /// The ranges with their bounds read once: (field, from, to).
    ranges: Vec<(String, Option<Bound>, Option<Bound>)>,
}

/// A range bound read once per query, so each record costs one parse of its own value, with the
/// same order as [`compare_values`] (instants, else numbers, else text without case).
struct Bound {
    instant: Option<chrono::DateTime<chrono::FixedOffset>>,
    number: Option<f64>,
    lower: String,
}

impl Bound {
    fn new(value: &Json) -> Bound {
        let text = text_of(value);
        Bound {
            instant: chrono::DateTime::parse_from_rfc3339(&text).ok(),
            number: text.parse::<f64>().ok(),
            lower: text.to_lowercase(),
        }
    }

    /// `compare_values(value, bound)`.
    fn compare(&self, value: &str) -> Ordering {
        if let Some(y) = &self.instant {
            if let Ok(x) = chrono::DateTime::parse_from_rfc3339(value) {
                return x.cmp(y);
            }
        }
        if let Some(y) = self.number {
            if let Ok(x) = value.parse::<f64>() {
                return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
            }
        }
        value.to_lowercase().cmp(&self.lower)
    }
}

impl Compiled {
    fn new(input: SearchInput) -> Result<Self, String> {
        let query = input.query.as_deref().map(lucene::parse).transpose()?;
        let ranges = match &input.ranges {
            None => Vec::new(),
            Some(OneOrMany::One(r)) => vec![r],
            Some(OneOrMany::Many(rs)) => rs.iter().collect(),
        }
        .into_iter()
        .map(|r| {
            (
                r.field.clone(),
                r.from.as_ref().map(Bound::new),
                r.to.as_ref().map(Bound::new),
            )
        })
        .collect();
        if let Some(fields) = &input.fields {
            for f in fields.must.iter().chain(&fields.should) {
                check_field(&f.field)?;
            }
        }
        for f in input.filters.iter().flatten() {
            check_field(&f.field)?;
        }
        if let Some(ranges) = &input.ranges {
            let list: Vec<&RangeInput> = match ranges {
                OneOrMany::One(r) => vec![r],
                OneOrMany::Many(rs) => rs.iter().collect(),
            };
            for r in list {
                check_field(&r.field)?;
            }
        }
        if let Some(sort) = &input.sortby {
            check_field(&sort.field)?;
            match sort
                .direction
                .as_deref()
                .map(str::to_ascii_uppercase)
                .as_deref()
            {
                None | Some("ASC") | Some("DESC") => {}
                Some(other) => return Err(format!("sortby type must be ASC or DESC, not {other}")),
            }
        }
        Ok(Compiled {
            query,
            input,
            ranges,
        })
    }

    fn matches(&self, r: &TxRecord) -> bool {
        // Every condition must hold, so their order changes no answer: the ranges (a string
        // comparison each) go first, since an app's incremental fetch ("arrived after the newest
        // I have") rules out nearly every record there, before the wildcard fields are matched.
        for (field, from, to) in &self.ranges {
            let Some(value) = r.get(field) else {
                return false;
            };
            if from
                .as_ref()
                .is_some_and(|b| b.compare(value) == Ordering::Less)
            {
                return false;
            }
            if to
                .as_ref()
                .is_some_and(|b| b.compare(value) == Ordering::Greater)
            {
                return false;
            }
        }
        if let Some(q) = &self.query {
            if !q.matches(r) {
                return false;
            }
        }
        if let Some(fields) = &self.input.fields {
            if !fields
                .must
                .iter()
                .all(|f| lucene::field_matches(r, &f.field, &f.query))
            {
                return false;
            }
            if !fields.should.is_empty()
                && !fields
                    .should
                    .iter()
                    .any(|f| lucene::field_matches(r, &f.field, &f.query))
            {
                return false;
            }
        }
        for filter in self.input.filters.iter().flatten() {
            let value = r.get(&filter.field);
            let equals = |v: &Json| value.is_some_and(|x| x.eq_ignore_ascii_case(&text_of(v)));
            let wanted: Vec<&FilterValue> = filter.values.iter().filter(|v| !v.not).collect();
            if !wanted.is_empty() && !wanted.iter().any(|v| equals(&v.value)) {
                return false;
            }
            if filter
                .values
                .iter()
                .filter(|v| v.not)
                .any(|v| equals(&v.value))
            {
                return false;
            }
        }
        for kf in self.input.content_key_filters.iter().flatten() {
            if !r
                .content_key(&kf.key)
                .is_some_and(|v| lucene::value_matches(&kf.value, v))
            {
                return false;
            }
        }
        true
    }
}

/// Converts a GraphQL input value to JSON, resolving `$variables`.
fn to_json(value: &Value<'_, String>, variables: &Map<String, Json>) -> Json {
    match value {
        Value::Variable(name) => variables.get(name).cloned().unwrap_or(Json::Null),
        Value::Int(n) => n.as_i64().map(Json::from).unwrap_or(Json::Null),
        Value::Float(f) => json!(f),
        Value::String(s) => Json::String(s.clone()),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Null => Json::Null,
        Value::Enum(e) => Json::String(e.clone()),
        Value::List(items) => Json::Array(items.iter().map(|v| to_json(v, variables)).collect()),
        Value::Object(fields) => Json::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v, variables)))
                .collect(),
        ),
    }
}

fn fields_of<'s, 'a>(
    set: &'s SelectionSet<'a, String>,
) -> Result<Vec<&'s graphql_parser::query::Field<'a, String>>, String> {
    set.items
        .iter()
        .map(|s| match s {
            Selection::Field(f) => Ok(f),
            _ => Err("fragments are not supported by this server".to_string()),
        })
        .collect()
}

/// Refuses GraphQL text nested deeper than any real query, before the (recursive) parser sees
/// it: hostile input must get an error, not overflow the server's stack.
fn check_nesting(text: &str) -> Result<(), String> {
    const MAX_DEPTH: usize = 32;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_comment {
            in_comment = c != '\n';
        } else if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else {
            match c {
                '#' => in_comment = true,
                '"' => in_string = true,
                '{' | '[' | '(' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(format!("query nests deeper than {MAX_DEPTH} levels"));
                    }
                }
                '}' | ']' | ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    Ok(())
}

/// The body of a Lens request: the GraphQL text and its variables.
#[derive(Debug)]
pub struct LensRequest {
    /// GraphQL text.
    pub query: String,
    /// Variables (`{}` when absent).
    pub variables: Map<String, Json>,
}

impl LensIndex {
    /// Builds the index over the tenant's transactions.
    pub fn new(records: Vec<TxRecord>) -> Self {
        let by_id = records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id().to_string(), i))
            .collect();
        LensIndex {
            records,
            by_id,
            ..Default::default()
        }
    }

    /// Whether a transaction id exists.
    pub fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// How many transactions there are.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Answers one request. `caller` tells scroll cursors of different tokens apart.
    pub fn answer(&self, request: &LensRequest, caller: &str) -> Json {
        match self.evaluate(request, caller) {
            Ok(data) => json!({ "data": data }),
            Err(message) => json!({ "errors": [{ "message": message }] }),
        }
    }

    fn evaluate(&self, request: &LensRequest, caller: &str) -> Result<Json, String> {
        if request.query.len() > 1_000_000 {
            return Err("query text longer than 1,000,000 characters".into());
        }
        check_nesting(&request.query)?;
        let document = graphql_parser::parse_query::<String>(&request.query)
            .map_err(|e| format!("cannot parse the GraphQL query: {e}"))?;
        let selection = document
            .definitions
            .iter()
            .find_map(|d| match d {
                Definition::Operation(OperationDefinition::Query(q)) => Some(&q.selection_set),
                Definition::Operation(OperationDefinition::SelectionSet(s)) => Some(s),
                _ => None,
            })
            .ok_or("the document holds no query operation")?;
        let mut data = Map::new();
        for field in fields_of(selection)? {
            if field.name != "getTransactions" {
                return Err(format!("unknown query field '{}'", field.name));
            }
            let mut input = Json::Object(Map::new());
            for (name, value) in &field.arguments {
                if name != "query" {
                    return Err(format!("unknown argument '{name}' on getTransactions"));
                }
                input = to_json(value, &request.variables);
            }
            if input.is_null() {
                input = Json::Object(Map::new());
            }
            let input: SearchInput = serde_json::from_value(input)
                .map_err(|e| format!("invalid getTransactions query input: {e}"))?;
            let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
            let answer = self.search(input, &field.selection_set, request, caller)?;
            data.insert(key, answer);
        }
        Ok(Json::Object(data))
    }

    fn search(
        &self,
        input: SearchInput,
        selection: &SelectionSet<'_, String>,
        request: &LensRequest,
        caller: &str,
    ) -> Result<Json, String> {
        let compiled = Compiled::new(input)?;
        let want_keys = compiled.input.content_key_filters.is_some();
        let count = compiled.input.count.unwrap_or(10);
        let offset = compiled.input.offset.unwrap_or(0);
        if !(0..=MAX_COUNT).contains(&count) || offset < 0 {
            return Err(format!(
                "count must be 0..{MAX_COUNT} and offset not negative"
            ));
        }
        let scrolling = compiled.input.scroll.unwrap_or(false) || compiled.input.scrollid.is_some();
        let (page, total, offset, scrollid) = if scrolling {
            let batch = compiled
                .input
                .count
                .map(|c| c as usize)
                .unwrap_or(SCROLL_BATCH);
            self.scroll(&compiled, batch, request, caller)?
        } else {
            let matches = self.matching(&compiled);
            let total = matches.len();
            let page: Vec<usize> = matches
                .into_iter()
                .skip(offset as usize)
                .take(count as usize)
                .collect();
            (page, total, offset as usize, None)
        };
        let mut out = Map::new();
        for field in fields_of(selection)? {
            let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
            let value = match field.name.as_str() {
                "count" => json!(page.len()),
                "total" => json!(total),
                "offset" => json!(offset),
                "scrollid" => scrollid.clone().map(Json::String).unwrap_or(Json::Null),
                "transactions" => {
                    let fields = fields_of(&field.selection_set)?;
                    let mut list = Vec::with_capacity(page.len());
                    for &index in &page {
                        list.push(self.render(
                            &self.records[index],
                            &fields,
                            want_keys,
                            &request.variables,
                        )?);
                    }
                    if page.is_empty() {
                        for f in &fields {
                            self.render(&TxRecord::default(), &[*f], false, &request.variables)?;
                        }
                    }
                    Json::Array(list)
                }
                other => return Err(format!("unknown field '{other}' on getTransactions")),
            };
            out.insert(key, value);
        }
        Ok(Json::Object(out))
    }

    fn render(
        &self,
        record: &TxRecord,
        fields: &[&graphql_parser::query::Field<'_, String>],
        want_keys: bool,
        variables: &Map<String, Json>,
    ) -> Result<Json, String> {
        let mut out = Map::new();
        for field in fields {
            let key = field.alias.clone().unwrap_or_else(|| field.name.clone());
            if field.name == "contentkeys" {
                let mut names: Option<Vec<String>> = None;
                for (arg, value) in &field.arguments {
                    if arg != "names" {
                        return Err(format!("unknown argument '{arg}' on contentkeys"));
                    }
                    match to_json(value, variables) {
                        Json::Array(items) => names = Some(items.iter().map(text_of).collect()),
                        Json::String(s) => names = Some(vec![s]),
                        _ => return Err("contentkeys(names:) takes a list of strings".into()),
                    }
                }
                let sub = fields_of(&field.selection_set)?;
                for s in &sub {
                    if s.name != "key" && s.name != "value" {
                        return Err(format!("unknown field '{}' on contentkeys", s.name));
                    }
                }
                let pairs: Vec<(String, String)> = if !want_keys {
                    Vec::new()
                } else if let Some(names) = names {
                    names
                        .iter()
                        .filter_map(|n| record.content_key(n).map(|v| (n.clone(), v.to_string())))
                        .collect()
                } else {
                    record.content_keys.clone()
                };
                let list = pairs
                    .into_iter()
                    .map(|(k, v)| {
                        let mut o = Map::new();
                        for s in &sub {
                            let name = s.alias.clone().unwrap_or_else(|| s.name.clone());
                            o.insert(
                                name,
                                Json::String(if s.name == "key" {
                                    k.clone()
                                } else {
                                    v.clone()
                                }),
                            );
                        }
                        Json::Object(o)
                    })
                    .collect();
                out.insert(key, Json::Array(list));
            } else if is_field(&field.name) {
                out.insert(
                    key,
                    record
                        .get(&field.name)
                        .map(|v| Json::String(v.to_string()))
                        .unwrap_or(Json::Null),
                );
            } else {
                return Err(format!("unknown transaction field '{}'", field.name));
            }
        }
        Ok(Json::Object(out))
    }

    fn matching(&self, compiled: &Compiled) -> Vec<usize> {
        let mut matches: Vec<usize> = (0..self.records.len())
            .filter(|&i| compiled.matches(&self.records[i]))
            .collect();
        let (field, descending) = match &compiled.input.sortby {
            Some(sort) => (
                sort.field.as_str(),
                sort.direction
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case("DESC")),
            ),
            None => ("arrivaltime", true),
        };
        matches.sort_by(|&a, &b| {
            let (ra, rb) = (&self.records[a], &self.records[b]);
            let order = match (ra.get(field), rb.get(field)) {
                (Some(x), Some(y)) => compare_values(x, y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            let order = if descending { order.reverse() } else { order };
            order.then_with(|| ra.id().cmp(rb.id()))
        });
        matches
    }

    fn scroll(
        &self,
        compiled: &Compiled,
        batch: usize,
        request: &LensRequest,
        caller: &str,
    ) -> Result<(Vec<usize>, usize, usize, Option<String>), String> {
        let mut scrolls = self.scrolls.lock().map_err(|_| "scroll state poisoned")?;
        let mut keys = self
            .scroll_keys
            .lock()
            .map_err(|_| "scroll state poisoned")?;
        scrolls.retain(|_, s| s.touched.elapsed() < Duration::from_secs(600));
        keys.retain(|_, id| scrolls.contains_key(id));
        let id = match &compiled.input.scrollid {
            Some(id) => {
                if !scrolls.contains_key(id) {
                    return Err(format!("unknown or expired scrollid '{id}'"));
                }
                id.clone()
            }
            None => {
                let key = format!("{caller}\u{0}{}\u{0}{:?}", request.query, request.variables);
                match keys.get(&key) {
                    Some(id) => id.clone(),
                    None => {
                        let id = uuid::Uuid::new_v4().to_string();
                        let matches = self.matching(compiled);
                        scrolls.insert(
                            id.clone(),
                            Scroll {
                                matches,
                                position: 0,
                                touched: Instant::now(),
                                key: key.clone(),
                            },
                        );
                        keys.insert(key, id.clone());
                        id
                    }
                }
            }
        };
        let scroll = scrolls.get_mut(&id).ok_or("scroll state vanished")?;
        let start = scroll.position;
        let page: Vec<usize> = scroll
            .matches
            .iter()
            .skip(start)
            .take(batch)
            .copied()
            .collect();
        scroll.position += page.len();
        scroll.touched = Instant::now();
        let total = scroll.matches.len();
        if page.is_empty() {
            let key = scroll.key.clone();
            scrolls.remove(&id);
            keys.remove(&key);
        }
        Ok((page, total, start, Some(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bound read once orders every value as comparing the two texts does: instants, numbers,
    /// text without case, and mixtures of them.
    #[test]
    fn a_bound_read_once_compares_as_the_texts_do() {
        let values = [
            "2026-02-10T00:00:00Z",
            "2026-02-10T01:00:00+02:00",
            "2026-02-09T23:59:59.999Z",
            "12",
            "12.5",
            "-3",
            "1e3",
            "abc",
            "ABD",
            "",
            "2026-02-10",
            "NaN",
        ];
        for bound in values {
            let read = Bound::new(&Json::String(bound.to_string()));
            for value in values {
                assert_eq!(
                    read.compare(value),
                    compare_values(value, bound),
                    "{value} against {bound}"
                );
            }
        }
        let number = Bound::new(&json!(12));
        assert_eq!(number.compare("12.0"), compare_values("12.0", "12"));
    }
}
