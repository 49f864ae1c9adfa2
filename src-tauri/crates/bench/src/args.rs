//! Hand-rolled flag parsing (`--name value`), enough for two benchmark programs without pulling
//! in an argument-parsing crate.

use std::path::PathBuf;

use crate::error::{BenchError, Result};

/// Flags as `(name, value)` pairs, in order.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pairs: Vec<(String, String)>,
}

impl Flags {
    /// Parses `--name value` and `--name=value`; `known` lists the accepted names (without `--`).
    pub fn parse(args: impl IntoIterator<Item = String>, known: &[&str]) -> Result<Flags> {
        let mut pairs = Vec::new();
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                return Err(BenchError::Args(format!("unexpected argument {arg:?}")));
            };
            let (name, value) = match flag.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    let value = it
                        .next()
                        .ok_or_else(|| BenchError::Args(format!("--{flag} needs a value")))?;
                    (flag.to_string(), value)
                }
            };
            if !known.contains(&name.as_str()) {
                return Err(BenchError::Args(format!(
                    "unknown flag --{name} (known: --{})",
                    known.join(", --")
                )));
            }
            pairs.push((name, value));
        }
        Ok(Flags { pairs })
    }

    fn last(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A whole number flag (underscores allowed: `100_000`), or `default`.
    pub fn count(&self, name: &str, default: usize) -> Result<usize> {
        match self.last(name) {
            None => Ok(default),
            Some(v) => v
                .replace('_', "")
                .parse()
                .map_err(|_| BenchError::Args(format!("--{name} wants a whole number, got {v:?}"))),
        }
    }

    /// An `on` / `off` flag, or `default`.
    pub fn switch(&self, name: &str, default: bool) -> Result<bool> {
        match self.last(name) {
            None => Ok(default),
            Some("on") => Ok(true),
            Some("off") => Ok(false),
            Some(v) => Err(BenchError::Args(format!(
                "--{name} wants on or off, got {v:?}"
            ))),
        }
    }

    /// A path flag.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.last(name).map(PathBuf::from)
    }
}
