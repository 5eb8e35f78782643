//! Typed reading of YAML mappings that reports every problem instead of stopping at the
//! first one.
//!
//! Owns: "expected a string, found a list"-style type errors, missing required keys, and
//! unknown keys with "did you mean" suggestions — all located at file:line:column.
//! Must not: know what the fields mean (that is `manifest::parse`).

use crate::diag::{Diagnostic, Diagnostics};
use crate::yaml::{Key, Node, Pos, Value};
use std::path::Path;

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sp<T> {
    /// The value.
    pub value: T,
    /// Where it starts in the manifest file.
    pub pos: Pos,
}

impl<T> Sp<T> {
    /// Wraps a value.
    pub fn new(value: T, pos: Pos) -> Self {
        Self { value, pos }
    }
}

/// A mapping of names to strings with positions (headers, translation maps).
pub type StringMap = Sp<Vec<(Sp<String>, Sp<String>)>>;

/// Collects diagnostics for one file.
pub struct Sink<'a> {
    /// The manifest file.
    pub file: &'a Path,
    /// Where problems go.
    pub diags: &'a mut Diagnostics,
}

impl Sink<'_> {
    /// Records an error.
    pub fn error(&mut self, code: &'static str, message: impl Into<String>, pos: Pos) {
        self.diags.push(Diagnostic::error(code, message, self.file, pos));
    }

    /// Records an error with a hint.
    pub fn error_hint(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        pos: Pos,
        hint: impl Into<String>,
    ) {
        self.diags.push(Diagnostic::error(code, message, self.file, pos).with_hint(hint));
    }

    /// Records a warning with an optional hint.
    pub fn warning(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        pos: Pos,
        hint: Option<String>,
    ) {
        let mut d = Diagnostic::warning(code, message, self.file, pos);
        d.hint = hint;
        self.diags.push(d);
    }

    /// Records a prepared diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }
}

/// Reads the entries of one mapping, remembering which keys were consumed.
pub struct MapReader<'n> {
    entries: &'n [(Key, Node)],
    used: Vec<bool>,
    /// Where the mapping starts.
    pub pos: Pos,
    /// What the mapping is, for messages (e.g. "`request`").
    pub what: String,
}

impl<'n> MapReader<'n> {
    /// Starts reading `node`, or reports that it is not a mapping.
    pub fn new(node: &'n Node, what: &str, sink: &mut Sink<'_>) -> Option<Self> {
        match &node.value {
            Value::Map(entries) => Some(Self {
                entries,
                used: vec![false; entries.len()],
                pos: node.pos,
                what: what.to_string(),
            }),
            other => {
                sink.error(
                    "wrong-type",
                    format!("{what} must be a mapping, found {}", other.type_name()),
                    node.pos,
                );
                None
            }
        }
    }

    /// The node under `key` (marks the key as known).
    pub fn get(&mut self, key: &str) -> Option<(&'n Key, &'n Node)> {
        let idx = self.entries.iter().position(|(k, _)| k.name == key)?;
        if let Some(u) = self.used.get_mut(idx) {
            *u = true;
        }
        self.entries.get(idx).map(|(k, v)| (k, v))
    }

    /// Whether the mapping has `key` (does not mark it).
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.name == key)
    }

    /// An optional string. Numbers and booleans are errors (quote them), null counts as absent.
    pub fn string(&mut self, key: &str, sink: &mut Sink<'_>) -> Option<Sp<String>> {
        let (_, node) = self.get(key)?;
        expect_string(node, &format!("`{key}`"), sink)
    }

    /// A required string.
    pub fn required_string(&mut self, key: &str, sink: &mut Sink<'_>) -> Option<Sp<String>> {
        if !self.has(key) {
            sink.error("missing-field", format!("missing required field `{key}` in {}", self.what), self.pos);
            return None;
        }
        self.string(key, sink)
    }

    /// An optional boolean.
    pub fn boolean(&mut self, key: &str, sink: &mut Sink<'_>) -> Option<Sp<bool>> {
        let (_, node) = self.get(key)?;
        match &node.value {
            Value::Bool(b) => Some(Sp::new(*b, node.pos)),
            Value::Null => None,
            other => {
                sink.error(
                    "wrong-type",
                    format!("`{key}` must be true or false, found {}", other.type_name()),
                    node.pos,
                );
                None
            }
        }
    }

    /// An optional integer.
    pub fn integer(&mut self, key: &str, sink: &mut Sink<'_>) -> Option<Sp<i64>> {
        let (_, node) = self.get(key)?;
        match &node.value {
            Value::Int(i) => Some(Sp::new(*i, node.pos)),
            Value::Null => None,
            other => {
                sink.error(
                    "wrong-type",
                    format!("`{key}` must be an integer, found {}", other.type_name()),
                    node.pos,
                );
                None
            }
        }
    }

    /// An optional mapping of string → string (e.g. headers, translation maps).
    pub fn string_map(&mut self, key: &str, sink: &mut Sink<'_>) -> Option<StringMap> {
        let (_, node) = self.get(key)?;
        match &node.value {
            Value::Null => Some(Sp::new(Vec::new(), node.pos)),
            Value::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    if let Some(s) = expect_string(v, &format!("`{key}.{}`", k.name), sink) {
                        out.push((Sp::new(k.name.clone(), k.pos), s));
                    }
                }
                Some(Sp::new(out, node.pos))
            }
            other => {
                sink.error(
                    "wrong-type",
                    format!("`{key}` must be a mapping of names to strings, found {}", other.type_name()),
                    node.pos,
                );
                None
            }
        }
    }

    /// Reports every key not consumed, with a suggestion among `known`.
    pub fn finish(self, known: &[&str], sink: &mut Sink<'_>) {
        for ((k, _), used) in self.entries.iter().zip(&self.used) {
            if *used {
                continue;
            }
            let d = Diagnostic::error(
                "unknown-field",
                format!("unknown field `{}` in {}", k.name, self.what),
                sink.file,
                k.pos,
            )
            .with_width(k.name.chars().count());
            let d = match suggest(&k.name, known) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d.with_hint(format!(
                    "known fields: {}",
                    known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                )),
            };
            sink.push(d);
        }
    }
}

/// A string node, or an error. Null is treated as absent.
pub fn expect_string(node: &Node, what: &str, sink: &mut Sink<'_>) -> Option<Sp<String>> {
    match &node.value {
        Value::Str(s) => Some(Sp::new(s.clone(), node.pos)),
        Value::Null => None,
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
            sink.error_hint(
                "wrong-type",
                format!("{what} must be a string, found {}", node.value.type_name()),
                node.pos,
                "quote the value to make it a string",
            );
            None
        }
        other => {
            sink.error(
                "wrong-type",
                format!("{what} must be a string, found {}", other.type_name()),
                node.pos,
            );
            None
        }
    }
}

/// The closest known name, if it is close enough to be a likely typo.
#[must_use]
pub fn suggest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (k, strsim::jaro_winkler(&lower, &k.to_ascii_lowercase())))
        .filter(|(_, score)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| *k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let known = ["timeoutSeconds", "name", "category", "integration"];
        assert_eq!(suggest("timeout", &known), Some("timeoutSeconds"));
        assert_eq!(suggest("nmae", &known), Some("name"));
        assert_eq!(suggest("Integration", &known), Some("integration"));
        assert_eq!(suggest("zzz", &known), None);
    }
}
