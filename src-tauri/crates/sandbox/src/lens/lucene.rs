//! The Lucene-style search string of Lens's `query:` input: terms with `*`/`?` wildcards,
//! AND/OR/NOT/`-`/`+`, parentheses, quoted phrases, `field:value` and `meta.field:*`.
//! Adjacent terms without an operator are ANDed (what a search box user means).

use super::record::{is_field, TxRecord};

/// A parsed search string.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Matches a field (or, with no field, any field or content key).
    Term {
        /// Field name without the `meta.` prefix.
        field: Option<String>,
        /// The pattern, with `*` and `?` wildcards.
        pattern: String,
    },
    /// Every part matches.
    And(Vec<Query>),
    /// Any part matches.
    Or(Vec<Query>),
    /// The inner query does not match.
    Not(Box<Query>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Word(String, bool),
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            tokens.push(Token::Open);
            i += 1;
        } else if c == ')' {
            tokens.push(Token::Close);
            i += 1;
        } else if (c == '-' || c == '!') && i + 1 < chars.len() && !chars[i + 1].is_whitespace() {
            tokens.push(Token::Not);
            i += 1;
        } else if c == '+' {
            i += 1;
        } else {
            let mut word = String::new();
            let mut quoted = false;
            while i < chars.len() {
                let c = chars[i];
                if c == '"' {
                    quoted = true;
                    i += 1;
                    let start = i;
                    while i < chars.len() && chars[i] != '"' {
                        i += 1;
                    }
                    if i >= chars.len() {
                        return Err(format!(
                            "unterminated quote in search string after {word:?}"
                        ));
                    }
                    word.extend(&chars[start..i]);
                    i += 1;
                } else if c == '\\' && i + 1 < chars.len() {
                    word.push(chars[i + 1]);
                    i += 2;
                } else if c.is_whitespace() || c == '(' || c == ')' {
                    break;
                } else {
                    word.push(c);
                    i += 1;
                }
            }
            match word.as_str() {
                "AND" | "&&" if !quoted => tokens.push(Token::And),
                "OR" | "||" if !quoted => tokens.push(Token::Or),
                "NOT" if !quoted => tokens.push(Token::Not),
                _ => tokens.push(Token::Word(word, quoted)),
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn or(&mut self, field: Option<&str>) -> Result<Query, String> {
        let mut parts = vec![self.and(field)?];
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            parts.push(self.and(field)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::Or(parts)
        })
    }

    fn and(&mut self, field: Option<&str>) -> Result<Query, String> {
        let mut parts = vec![self.unary(field)?];
        loop {
            match self.peek() {
                Some(Token::And) => {
                    self.pos += 1;
                    parts.push(self.unary(field)?);
                }
                Some(Token::Word(..)) | Some(Token::Not) | Some(Token::Open) => {
                    parts.push(self.unary(field)?)
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::And(parts)
        })
    }

    fn unary(&mut self, field: Option<&str>) -> Result<Query, String> {
        // Iterative, so "NOT NOT NOT ..." cannot exhaust the stack.
        let mut negations = 0usize;
        while self.peek() == Some(&Token::Not) {
            self.pos += 1;
            negations += 1;
        }
        let inner = self.primary(field)?;
        Ok(if negations % 2 == 1 {
            Query::Not(Box::new(inner))
        } else {
            inner
        })
    }

    fn group(&mut self, field: Option<&str>) -> Result<Query, String> {
        self.depth += 1;
        if self.depth > 64 {
            return Err("search string nests parentheses too deeply".into());
        }
        let inner = self.or(field)?;
        self.depth -= 1;
        match self.peek() {
            Some(Token::Close) => {
                self.pos += 1;
                Ok(inner)
            }
            _ => Err("missing ')' in search string".into()),
        }
    }

    fn primary(&mut self, field: Option<&str>) -> Result<Query, String> {
        match self.tokens.get(self.pos).cloned() {
            Some(Token::Open) => {
                self.pos += 1;
                self.group(field)
            }
            Some(Token::Word(word, quoted)) => {
                self.pos += 1;
                if !quoted {
                    if let Some((name, rest)) = split_field(&word) {
                        if rest.is_empty() && self.peek() == Some(&Token::Open) {
                            self.pos += 1;
                            return self.group(Some(&name));
                        }
                        if rest.is_empty() {
                            return Err(format!("missing value after '{name}:' in search string"));
                        }
                        return Ok(Query::Term {
                            field: Some(name),
                            pattern: rest.to_string(),
                        });
                    }
                }
                Ok(Query::Term {
                    field: field.map(str::to_string),
                    pattern: word,
                })
            }
            Some(Token::Close) => Err("unexpected ')' in search string".into()),
            Some(Token::And) | Some(Token::Or) => {
                Err("operator without a left-hand term in search string".into())
            }
            Some(Token::Not) | None => Err("search string ends where a term was expected".into()),
        }
    }
}

/// `status:F` -> ("status", "F"); `meta.errorcode:*` -> ("errorcode", "*"). A colon after
/// something that is not a field name (`ZZ:DEMORETAILER`) is part of the term.
fn split_field(word: &str) -> Option<(String, &str)> {
    let (name, rest) = word.split_once(':')?;
    let bare = name
        .strip_prefix("meta.")
        .unwrap_or(name)
        .to_ascii_lowercase();
    (is_field(&bare) || name.starts_with("meta.")).then_some((bare, rest))
}

/// Parses a search string; an empty one matches everything.
pub fn parse(input: &str) -> Result<Query, String> {
    if input.len() > 10_000 {
        return Err("search string longer than 10,000 characters".into());
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Ok(Query::And(Vec::new()));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let query = parser.or(None)?;
    if parser.pos != parser.tokens.len() {
        return Err("unexpected ')' in search string".into());
    }
    Ok(query)
}

/// Case-insensitive glob match with `*` (any run) and `?` (one character).
pub fn wildcard(pattern: &str, value: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let v: Vec<char> = value.to_lowercase().chars().collect();
    let (mut pi, mut vi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Whether a value matches a pattern as a whole or in one of its words. `*` alone means
/// "has a value".
pub fn value_matches(pattern: &str, value: &str) -> bool {
    if pattern == "*" {
        return !value.is_empty();
    }
    wildcard(pattern, value)
        || value
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .map(|w| w.trim_matches(|c: char| matches!(c, ':' | '.' | '(' | ')' | '"')))
            .filter(|w| !w.is_empty())
            .any(|w| wildcard(pattern, w))
}

/// A field compared against a pattern. Lens also accepts the one-letter status codes
/// (`status:F` for Failed, `status:D` for Delivered).
pub fn field_matches(record: &TxRecord, field: &str, pattern: &str) -> bool {
    let Some(value) = record.get(field) else {
        return record
            .content_key(field)
            .is_some_and(|v| value_matches(pattern, v));
    };
    if field == "status" && pattern.len() == 1 && pattern != "*" {
        return value
            .chars()
            .next()
            .is_some_and(|c| c.eq_ignore_ascii_case(&pattern.chars().next().unwrap_or(' ')));
    }
    value_matches(pattern, value)
}

impl Query {
    /// Whether the transaction matches.
    pub fn matches(&self, record: &TxRecord) -> bool {
        match self {
            Query::Term {
                field: Some(field),
                pattern,
            } => field_matches(record, field, pattern),
            Query::Term {
                field: None,
                pattern,
            } => {
                record.fields.values().any(|v| value_matches(pattern, v))
                    || record
                        .content_keys
                        .iter()
                        .any(|(_, v)| value_matches(pattern, v))
            }
            Query::And(parts) => parts.iter().all(|q| q.matches(record)),
            Query::Or(parts) => parts.iter().any(|q| q.matches(record)),
            Query::Not(inner) => !inner.matches(record),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(pairs: &[(&str, &str)]) -> TxRecord {
        let mut r = TxRecord::default();
        for (k, v) in pairs {
            r.set(k, *v);
        }
        r
    }

    #[test]
    fn collection_search_strings_parse_and_match() {
        let failed = record(&[
            ("status", "Failed"),
            ("errorcode", "E-1201"),
            ("errorcount", "1"),
        ]);
        let fine = record(&[
            ("status", "Delivered"),
            ("deliverystatus", "Delivered"),
            ("errorcount", "0"),
        ]);
        let q = parse("(status:F OR (deliverystatus:DeliveryFailed OR deliverystatus:PartiallyFailed OR deliverystatus:PartiallyDelivered) OR meta.externalerrormessage:* OR meta.errorcode:* OR (meta.errorcount:* AND -meta.errorcount:0))").expect("parse");
        assert!(q.matches(&failed));
        assert!(!q.matches(&fine));
        let doc = record(&[
            ("sendername", "Sysco Foodservice"),
            ("editype", "850"),
            ("transactionlevel", "Document"),
        ]);
        assert!(parse("SYS* AND 850 AND DOCUMENT")
            .expect("parse")
            .matches(&doc));
        assert!(!parse("SYS* AND 810").expect("parse").matches(&doc));
        let addr = record(&[("senderaddress", "ZZ:DEMORETAILER")]);
        assert!(parse("ZZ?DEMORETAILER").expect("parse").matches(&addr));
        assert!(parse("ZZ:DEMORETAILER").expect("parse").matches(&addr));
        assert!(parse("NOT 850").expect("parse").matches(&addr));
    }

    #[test]
    fn broken_search_strings_are_errors() {
        for bad in [
            "(status:F",
            "status:F)",
            "AND 850",
            "\"open",
            "status:",
            "NOT",
        ] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
        let deep = format!("{}x", "NOT ".repeat(2000));
        assert!(
            parse(&deep).is_ok(),
            "long NOT chains parse without recursion"
        );
        let nested = format!("{}x{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&nested).is_err(), "nesting is bounded");
        assert!(wildcard("a*c?e", "ABCDE"));
        assert!(!wildcard("a*c?e", "ABCD"));
    }
}
