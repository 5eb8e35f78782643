//! YAML in and out: the only module that touches the YAML crate.
//!
//! Owns: parsing YAML text into a position-annotated [`Node`] tree (every scalar, key and
//! collection knows its line and column; keys are their text as written, unique per mapping;
//! parser errors in our own words), converting nodes to JSON, and emitting YAML
//! text for manifests that `convert`/`import`/`export` write ([`emit`]).
//! Must not: know what a manifest or a data action is. Swapping the YAML crate (today
//! `serde-saphyr`, a maintained, panic-free, pure-Rust parser; `serde_yaml` is archived
//! upstream) touches this file only.

mod emit;

pub use emit::{Emitter, quote_if_needed};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A 1-based line/column position in a source file. `line == 0` means unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column number (in characters).
    pub column: u32,
}

impl Pos {
    /// A position, from 1-based line and column.
    #[must_use]
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

/// A YAML value with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value starts.
    pub pos: Pos,
}

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key text exactly as written (`no` stays `no`, `1.50` stays `1.50`).
    pub name: String,
    /// Where the key starts.
    pub pos: Pos,
}

/// The value of a YAML node (after the YAML 1.2 core schema resolved its scalar type).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// A float (or an integer too large for `i64`).
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<(Key, Node)>),
}

impl Value {
    /// A short name of the type, for "expected X, found Y" messages.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// Converts the node to JSON (mapping order kept). Non-finite floats become null.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => serde_json::Value::Object(
                entries.iter().map(|(k, v)| (k.name.clone(), v.to_json())).collect(),
            ),
        }
    }

    /// Looks up a child by a JSON-pointer-like path: a segment is a key in a mapping and an
    /// index in a sequence. Returns the deepest node found along the path (useful to place
    /// a diagnostic).
    #[must_use]
    pub fn locate<'a>(&'a self, path: &[&str]) -> &'a Node {
        let mut node = self;
        for seg in path {
            let next = match &node.value {
                Value::Map(entries) => entries.iter().find(|(key, _)| key.name == *seg).map(|(_, v)| v),
                Value::Seq(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node
    }
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    /// What is wrong, without position.
    pub message: String,
    /// Where (line 0 when the parser could not tell).
    pub pos: Pos,
}

/// Parses a YAML stream (one or more `---`-separated documents) into nodes.
/// Empty documents are skipped.
///
/// Mapping keys are the scalar text as written (quoted or not): `n`, `on`, `No`, `null`,
/// `~`, `1.50` and `010` stay exactly that, because manifests name Genesys properties with
/// them. Two keys of one mapping with the same text are an error naming the first one's line.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let options = serde_saphyr::options! {
        // Keys are read as strings; a plain `null`/`~`/empty key is its text, not an error.
        null_as_string: true,
        // YAML 1.2 core schema: only `true`/`false` (any case form) are booleans; YAML 1.1's
        // `yes`, `no`, `on`, `off`, `y`, `n` are text.
        strict_booleans: true,
        // Duplicates are detected here, on the key text, with our own message.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    };
    let docs: Vec<Option<RawSpanned>> =
        serde_saphyr::from_multiple_with_options(text, options).map_err(|e| {
            let pos =
                e.location().map_or(Pos::default(), |l| Pos::new(clamp_u32(l.line()), clamp_u32(l.column())));
            let message = message_of(&e);
            match explain(text, &message, pos) {
                Some((message, pos)) => SyntaxError { message, pos },
                None => SyntaxError { message, pos },
            }
        })?;
    let nodes: Vec<Node> = docs.into_iter().flatten().map(RawSpanned::into_node).collect();
    for node in &nodes {
        check_duplicate_keys(node)?;
    }
    Ok(nodes)
}

/// The usual indentation and colon mistakes, explained at the line that is wrong: the
/// parser reports where it noticed (often the following line) in its own words ("did not
/// find expected key"); this looks at the source lines around that spot and, when one of
/// the known patterns fits, says what is likely wrong and where. `None`: no pattern fits
/// (the parser's message, cleaned, is used).
fn explain(text: &str, message: &str, pos: Pos) -> Option<(String, Pos)> {
    let lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    if message.contains("tab") {
        // A tab in the indentation: point at the first one.
        for (i, l) in lines.iter().enumerate() {
            let lead: String = l.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
            if let Some(at) = lead.find('\t') {
                return Some((
                    "a tab in the indentation; YAML indents with spaces only".to_string(),
                    Pos::new(line_no(i), col_no(at)),
                ));
            }
        }
        return None;
    }
    let indentation = message.contains("mapping values are not allowed")
        || message.contains("did not find expected key")
        || message.contains("simple key expected")
        || message.contains("could not find expected ':'");
    if !indentation || pos.line == 0 {
        return None;
    }
    let at = usize::try_from(pos.line).ok()?.checked_sub(1)?;
    let line = *lines.get(at)?;
    if !significant(line) {
        return None;
    }
    let prev = (0..at).rev().find(|&i| lines.get(i).is_some_and(|l| significant(l)));
    // The line itself is text without `:` (a key missing its colon), e.g. `name A`.
    if let Some(found) = missing_colon(line, at) {
        return Some(found);
    }
    let p = prev?;
    let prev_line = *lines.get(p)?;
    // The line before has the same indentation but no `:`: that is the key missing its colon
    // (the parser only notices on the next line).
    if indent(prev_line) == indent(line)
        && let Some(found) = missing_colon(prev_line, p)
    {
        return Some(found);
    }
    let (ind, prev_ind) = (indent(line), indent(prev_line));
    let key = key_of(line);
    let shown = key.map_or_else(|| format!("`{}`", line.trim()), |k| format!("`{k}:`"));
    if ind > prev_ind
        && let Some(pk) = key_of(prev_line)
        && has_inline_value(prev_line)
    {
        return Some((
            format!(
                "{shown} is indented deeper than `{pk}:` on line {}, which already has a value: likely an indentation mistake; start it in column {} like `{pk}:`",
                line_no(p),
                prev_ind + 1
            ),
            Pos::new(line_no(at), col_no(ind)),
        ));
    }
    if line.trim_start().starts_with("- ") && ind <= prev_ind && key_of(prev_line).is_some() {
        return Some((
            format!(
                "a list item where the mapping of line {} expects a key: likely a `-` too many, or the list belongs under a key that has no value on its line",
                line_no(p)
            ),
            Pos::new(line_no(at), col_no(ind)),
        ));
    }
    if ind != prev_ind && message.contains("did not find expected key") {
        // The sibling keys above start in another column: find the mapping's column.
        let sibling = (0..at)
            .rev()
            .filter_map(|i| lines.get(i).map(|l| (i, *l)))
            .filter(|(_, l)| significant(l))
            .find(|(_, l)| indent(l) <= ind.max(prev_ind) && key_of(l).is_some() && indent(l) != ind);
        let (si, sl) = sibling?;
        let sk = key_of(sl)?;
        return Some((
            format!(
                "{shown} starts in column {}, but `{sk}:` above it (line {}) starts in column {}: likely an indentation mistake; keys of one mapping start in the same column",
                ind + 1,
                line_no(si),
                indent(sl) + 1
            ),
            Pos::new(line_no(at), col_no(ind)),
        ));
    }
    None
}

/// `Some` when `line` (0-based `at`) is plain text with no `key: value` colon: likely a
/// missing `:` after its first word.
fn missing_colon(line: &str, at: usize) -> Option<(String, Pos)> {
    let t = line.trim();
    if t.contains(':') || t.starts_with(['-', '#', '{', '[', '"', '\'', '|', '>', '&', '*', '!', '?']) {
        return None;
    }
    let word = t.split_whitespace().next()?;
    if word.len() == t.len() {
        return None; // one bare word: a continuation of a text, not a key
    }
    let col = indent(line) + word.chars().count();
    Some((
        format!("`{t}` is not a `key: value` pair: likely a missing `:` after `{word}`"),
        Pos::new(line_no(at), col_no(col)),
    ))
}

/// The key of a `key: value` / `key:` / `- key: value` line.
fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start().trim_start_matches("- ").trim_start();
    let (k, rest) = t.split_once(':')?;
    (!k.is_empty() && (rest.is_empty() || rest.starts_with(' ')) && !k.contains(['{', '[', '"', '#']))
        .then_some(k.trim_end())
}

/// Whether a `key: value` line has a value after the colon (not a block indicator).
fn has_inline_value(line: &str) -> bool {
    line.split_once(':').is_some_and(|(_, v)| {
        let v = v.trim();
        !v.is_empty()
            && !v.starts_with('#')
            && !v.starts_with('|')
            && !v.starts_with('>')
            && !v.starts_with('&')
    })
}

fn significant(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#') && t != "---"
}

fn indent(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ').count()
}

fn line_no(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

fn col_no(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

/// The first key that repeats an earlier key of the same mapping (anywhere in the tree).
fn check_duplicate_keys(node: &Node) -> Result<(), SyntaxError> {
    match &node.value {
        Value::Map(entries) => {
            let mut seen: std::collections::HashMap<&str, Pos> = std::collections::HashMap::new();
            for (k, v) in entries {
                if let Some(first) = seen.get(k.name.as_str()) {
                    let at = if first.line == 0 {
                        String::new()
                    } else {
                        format!(" (first at line {})", first.line)
                    };
                    return Err(SyntaxError {
                        message: format!("duplicate key `{}`{at}", k.name),
                        pos: k.pos,
                    });
                }
                seen.insert(&k.name, k.pos);
                check_duplicate_keys(v)?;
            }
            Ok(())
        }
        Value::Seq(items) => items.iter().try_for_each(check_duplicate_keys),
        _ => Ok(()),
    }
}

/// A message for a parser error in our words when the library's would leak its API
/// (budgets, options); otherwise its message without position or snippet.
fn message_of(e: &serde_saphyr::Error) -> String {
    match e.without_snippet() {
        serde_saphyr::Error::AliasError { error, .. } => message_of(error),
        // Only keys are read as strings (values go through type inference).
        serde_saphyr::Error::Unexpected { expected: "string scalar", .. } => {
            "a mapping key must be a scalar (text), not a list or a mapping".to_string()
        }
        serde_saphyr::Error::Budget { breach, .. } => budget_message(breach),
        serde_saphyr::Error::NonFiniteFloat { value, .. } => {
            format!(
                "`{value}` is not a finite number (JSON has no NaN or infinity); quote it to make it text"
            )
        }
        serde_saphyr::Error::InvalidScalar { ty, .. } => {
            let ty = ty.trim_start_matches(['i', 'u', 'f']);
            let what = if ty.chars().all(|c| c.is_ascii_digit()) { "number" } else { "value" };
            format!(
                "the value does not match its tag (not a valid {what}); remove the `!!` tag or fix the value"
            )
        }
        serde_saphyr::Error::TaggedScalarCannotDeserializeIntoString { .. } => {
            "a mapping key must be plain text; remove its `!!` tag".to_string()
        }
        serde_saphyr::Error::DuplicateMappingKey { key, .. } => match key {
            Some(k) => format!("duplicate key `{k}`"),
            None => "duplicate key".to_string(),
        },
        other => clean_message(&other.to_string()),
    }
}

fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    let limits = serde_saphyr::Budget::default();
    match breach {
        B::Depth { .. } => format!("nesting deeper than {} levels", limits.max_depth),
        B::Nodes { .. } => {
            format!("document too large: more than {} nodes (alias expansion?)", limits.max_nodes)
        }
        B::Events { .. } => {
            format!("document too large: more than {} parser events (alias expansion?)", limits.max_events)
        }
        B::Aliases { .. } => format!("more than {} aliases", limits.max_aliases),
        B::Anchors { .. } => format!("more than {} anchors", limits.max_anchors),
        B::Documents { .. } => format!("more than {} documents in one file", limits.max_documents),
        B::ScalarBytes { .. } => "document too large: too much scalar text (alias expansion?)".to_string(),
        B::AliasAnchorRatio { .. } => "too many aliases for the anchors defined (an alias bomb?)".to_string(),
        B::MergeKeys { .. } => format!("more than {} merge keys (`<<`)", limits.max_merge_keys),
        _ => "document too large or too deeply nested to read safely".to_string(),
    }
}

fn clamp_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Removes the library's "error: line L column C: " prefix and any snippet lines.
fn clean_message(raw: &str) -> String {
    let first = raw.lines().next().unwrap_or(raw).trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // "line 2 column 2: illegal placement" -> "illegal placement"
    if let Some(rest) = first.strip_prefix("line ")
        && let Some(idx) = rest.find(": ")
        && rest[..idx].contains("column")
    {
        return rest[idx + 2..].to_string();
    }
    // "illegal placement at line 2, column 2" -> "illegal placement"
    if let Some(idx) = first.rfind(" at line ")
        && first[idx..].contains(", column ")
    {
        return first[..idx].to_string();
    }
    first.to_string()
}

// --- deserialization plumbing -------------------------------------------------------------

struct RawSpanned(serde_saphyr::Spanned<Raw>);

enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<RawSpanned>),
    Map(Vec<(serde_saphyr::Spanned<RawKey>, RawSpanned)>),
}

struct RawKey(String);

fn pos_of(loc: &serde_saphyr::Location) -> Pos {
    Pos::new(clamp_u32(loc.line()), clamp_u32(loc.column()))
}

impl RawSpanned {
    fn into_node(self) -> Node {
        let pos = pos_of(&self.0.referenced);
        let value = match self.0.value {
            Raw::Null => Value::Null,
            Raw::Bool(b) => Value::Bool(b),
            Raw::Int(i) => Value::Int(i),
            Raw::Float(f) => Value::Float(f),
            Raw::Str(s) => Value::Str(s),
            Raw::Seq(items) => Value::Seq(items.into_iter().map(RawSpanned::into_node).collect()),
            Raw::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (Key { name: k.value.0, pos: pos_of(&k.referenced) }, v.into_node()))
                    .collect(),
            ),
        };
        Node { value, pos }
    }
}

impl<'de> Deserialize<'de> for RawSpanned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_saphyr::Spanned::<Raw>::deserialize(d).map(RawSpanned)
    }
}

impl<'de> Deserialize<'de> for RawKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = RawKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<RawKey, E> {
                Ok(RawKey(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<RawKey, E> {
                Ok(RawKey(v))
            }
        }
        // `deserialize_string` hands over the scalar's text without resolving its type, so
        // `no`, `on`, `~` and `1.50` stay the key the author wrote (`deserialize_any` would
        // give `false`, `true`, unit and `1.5`).
        d.deserialize_string(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Raw, D2::Error> {
                Raw::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
                Ok(i64::try_from(v).map_or_else(|_| Raw::Float(v as f64), Raw::Int))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
                Ok(i64::try_from(v).map_or_else(|_| Raw::Float(v as f64), Raw::Int))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
                Ok(i64::try_from(v).map_or_else(|_| Raw::Float(v as f64), Raw::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
                Ok(Raw::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Raw, E> {
                Ok(Raw::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element::<RawSpanned>()? {
                    items.push(item);
                }
                Ok(Raw::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = a.next_entry::<serde_saphyr::Spanned<RawKey>, RawSpanned>()? {
                    entries.push(entry);
                }
                Ok(Raw::Map(entries))
            }
        }
        d.deserialize_any(RawVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positions_and_types() {
        let docs =
            parse_documents("kind: DataAction\nn: 10\ns: '10'\nf: 1.5\nz: ~\n---\na: [1, 2]\n").unwrap();
        assert_eq!(docs.len(), 2);
        let Value::Map(m) = &docs[0].value else { panic!("map") };
        assert_eq!(m[0].0.name, "kind");
        assert_eq!(m[0].1.pos, Pos::new(1, 7));
        assert_eq!(m[1].1.value, Value::Int(10));
        assert_eq!(m[2].1.value, Value::Str("10".into()));
        assert_eq!(m[3].1.value, Value::Float(1.5));
        assert_eq!(m[4].1.value, Value::Null);
        assert_eq!(docs[1].to_json(), serde_json::json!({"a": [1, 2]}));
    }

    fn explained(text: &str) -> (String, u32, u32) {
        let e = parse_documents(text).unwrap_err();
        (e.message, e.pos.line, e.pos.column)
    }

    #[test]
    fn indentation_mistakes_point_at_the_wrong_line() {
        // Issue 13.15: the parser reports the following line, in its words.
        let (m, l, c) = explained("kind: DataAction\nrequest:\n  method GET\n  url: x\n");
        assert_eq!((l, c), (3, 9), "{m}");
        assert_eq!(m, "`method GET` is not a `key: value` pair: likely a missing `:` after `method`");
        let (m, l, c) = explained("kind: DataAction\nname A\nrequest:\n  method: GET\n");
        assert_eq!((l, c), (2, 5), "{m}");
        let (m, l, c) = explained("request:\n  method: GET\n   url: x\n  body: y\n");
        assert_eq!((l, c), (3, 4), "{m}");
        assert!(m.contains("`url:` is indented deeper than `method:` on line 2"), "{m}");
        let (m, l, c) = explained("request:\n  method: GET\n url: x\noutputs: {}\n");
        assert_eq!((l, c), (3, 2), "{m}");
        assert!(
            m.contains("`url:` starts in column 2, but `method:` above it (line 2) starts in column 3"),
            "{m}"
        );
        let (m, l, _) = explained("inputs:\n  id:\n    type: string\n   required: true\noutputs: {}\n");
        assert_eq!(l, 4, "{m}");
        assert!(m.contains("likely an indentation mistake"), "{m}");
        let (m, l, c) = explained("a:\n  b: 1\n\tc: 2\n");
        assert_eq!((l, c), (3, 1), "{m}");
        assert!(m.contains("tab"), "{m}");
        let (m, l, _) = explained("request:\n  headers:\n    Accept: x\n  - y\n");
        assert_eq!(l, 4, "{m}");
        assert!(m.contains("list item"), "{m}");
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse_documents("a: [1, 2\nb: c\n").unwrap_err();
        assert_eq!(err.pos.line, 2);
        assert!(!err.message.contains("line 2"), "{}", err.message);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_documents("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.pos, Pos::new(2, 1));
        assert_eq!(err.message, "duplicate key `a` (first at line 1)");
        let err = parse_documents("x:\n  - {b: 1, c: 2}\n  - {'n': 1, n: 2}\n").unwrap_err();
        assert_eq!(err.message, "duplicate key `n` (first at line 3)");
    }

    fn keys(text: &str) -> Vec<String> {
        let docs = parse_documents(text).unwrap();
        let Value::Map(m) = &docs[0].value else { panic!("map") };
        m.iter().map(|(k, _)| k.name.clone()).collect()
    }

    #[test]
    fn keys_are_the_text_as_written() {
        let written =
            ["n", "y", "no", "on", "off", "yes", "No", "null", "~", "true", "1.50", "010", "0xB", "-0"];
        let text: String = written.iter().map(|k| format!("{k}: v\n")).collect();
        assert_eq!(keys(&text), written);
        // Quoted keys too, and keys that only differ before type resolution are distinct.
        assert_eq!(
            keys("'no': 1\nfalse: 2\n\"1.5\": 3\n1.50: 4\n11: 5\n0xB: 6\n"),
            ["no", "false", "1.5", "1.50", "11", "0xB"]
        );
        // Values keep their YAML 1.2 types: `off`, `y` are text, `True` and `~` are not.
        let docs = parse_documents("on: off\nnull: ~\ny: y\nt: True\n").unwrap();
        assert_eq!(docs[0].to_json(), serde_json::json!({"on": "off", "null": null, "y": "y", "t": true}));
        for (text, want) in [
            (
                "a: .nan\n",
                "`.nan` is not a finite number (JSON has no NaN or infinity); quote it to make it text",
            ),
            (
                "a: !!int x\n",
                "the value does not match its tag (not a valid number); remove the `!!` tag or fix the value",
            ),
            ("!!int 5: x\n", "a mapping key must be plain text; remove its `!!` tag"),
        ] {
            assert_eq!(parse_documents(text).unwrap_err().message, want, "{text}");
        }
        let err = parse_documents("a: 1\n[x]: 2\n").unwrap_err();
        assert_eq!(err.message, "a mapping key must be a scalar (text), not a list or a mapping");
        assert_eq!(err.pos, Pos::new(2, 1));
    }

    #[test]
    fn budget_breaches_are_plain_words() {
        // 64 levels of unoptimized serde recursion need more than a test thread's 2 MB
        // stack; the CLI parses on the main thread (8 MB).
        std::thread::Builder::new()
            .stack_size(8 * 1024 * 1024)
            .spawn(budget_breaches)
            .unwrap()
            .join()
            .unwrap();
    }

    fn budget_breaches() {
        let deep = format!("{}1{}", "[".repeat(70), "]".repeat(70));
        let err = parse_documents(&deep).unwrap_err();
        assert_eq!(err.message, "nesting deeper than 64 levels");
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (i, prev) in ["b", "c", "d", "e", "f", "g"].iter().zip(["a", "b", "c", "d", "e", "f"]) {
            bomb.push_str(&format!("{i}: &{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let err = parse_documents(&bomb).unwrap_err();
        assert!(err.message.starts_with("document too large"), "{}", err.message);
        assert!(!err.message.contains('{') && !err.message.contains("budget"), "{}", err.message);
    }

    #[test]
    fn empty_stream_has_no_documents() {
        assert!(parse_documents("").unwrap().is_empty());
        assert!(parse_documents("# only a comment\n").unwrap().is_empty());
    }

    #[test]
    fn keeps_escapes_exact() {
        let docs = parse_documents("t: \"a\\r\\nb $${x}\"\n").unwrap();
        assert_eq!(docs[0].to_json(), serde_json::json!({"t": "a\r\nb $${x}"}));
    }
}
