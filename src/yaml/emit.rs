//! YAML emitter for manifests written by gcsync (`convert`, `import`, `export`).
//!
//! Owns: turning an ordered JSON tree into readable, deterministic YAML whose parse gives
//! back exactly the same tree (templates byte-exact: CRLF, tabs, trailing spaces, `$${`).
//! Multi-line strings become literal block scalars when that is lossless; anything a block
//! scalar cannot carry falls back to a double-quoted scalar with escapes. Every block
//! scalar is checked by parsing it back before it is used.
//! Must not: know manifest semantics.

use serde_json::Value;
use std::fmt::Write as _;

/// Builds a YAML document.
#[derive(Debug, Default)]
pub struct Emitter {
    out: String,
}

impl Emitter {
    /// A new, empty emitter.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes a `# comment` line (each line of `text` gets its own `#`).
    pub fn comment(&mut self, text: &str) {
        for line in text.lines() {
            if line.is_empty() {
                self.out.push_str("#\n");
            } else {
                let _ = writeln!(self.out, "# {line}");
            }
        }
    }

    /// Writes a document separator `---`.
    pub fn separator(&mut self) {
        self.out.push_str("---\n");
    }

    /// Writes a top-level mapping (the value must be an object; anything else is written
    /// as a single scalar document).
    pub fn document(&mut self, value: &Value) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    self.entry(0, k, v);
                }
            }
            other => {
                let s = inline_or_block(other, 0);
                self.out.push_str(s.trim_start());
                if !self.out.ends_with('\n') {
                    self.out.push('\n');
                }
            }
        }
    }

    /// The YAML text so far.
    #[must_use]
    pub fn finish(self) -> String {
        self.out
    }

    fn indent(&mut self, n: usize) {
        for _ in 0..n {
            self.out.push(' ');
        }
    }

    fn entry(&mut self, indent: usize, key: &str, value: &Value) {
        self.indent(indent);
        self.out.push_str(&quote_if_needed(key));
        self.out.push(':');
        self.value_after_key(indent, value);
    }

    fn value_after_key(&mut self, indent: usize, value: &Value) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                self.out.push('\n');
                for (k, v) in map {
                    self.entry(indent + 2, k, v);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                self.out.push('\n');
                for item in items {
                    self.seq_item(indent + 2, item);
                }
            }
            other => {
                self.out.push(' ');
                self.out.push_str(&inline_or_block(other, indent + 2));
                if !self.out.ends_with('\n') {
                    self.out.push('\n');
                }
            }
        }
    }

    fn seq_item(&mut self, indent: usize, value: &Value) {
        self.indent(indent);
        self.out.push('-');
        match value {
            Value::Object(map) if !map.is_empty() => {
                // First entry on the dash line, the rest aligned under it.
                let mut first = true;
                for (k, v) in map {
                    if first {
                        self.out.push(' ');
                        self.out.push_str(&quote_if_needed(k));
                        self.out.push(':');
                        self.value_after_key(indent + 2, v);
                        first = false;
                    } else {
                        self.entry(indent + 2, k, v);
                    }
                }
            }
            Value::Array(items) if !items.is_empty() => {
                self.out.push('\n');
                for item in items {
                    self.seq_item(indent + 2, item);
                }
            }
            other => {
                self.out.push(' ');
                self.out.push_str(&inline_or_block(other, indent + 2));
                if !self.out.ends_with('\n') {
                    self.out.push('\n');
                }
            }
        }
    }
}

/// A scalar (or empty collection) in inline form, or a block scalar for multi-line
/// strings. `indent` is the indentation of block-scalar content lines.
fn inline_or_block(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if s.contains('\n')
                && let Some(block) = literal_block(s, indent)
            {
                return block;
            }
            quote_if_needed(s)
        }
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

/// A literal block scalar (`|`, `|-`, `|+`, with an indentation indicator when the first
/// line starts with a space), or `None` when a block scalar cannot carry the text exactly.
fn literal_block(s: &str, indent: usize) -> Option<String> {
    if s.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}') || s.contains('\r') {
        return None;
    }
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    if body.is_empty() {
        return None;
    }
    // Lines made only of spaces are ambiguous in block scalars; tabs at line start too.
    if body.lines().any(|l| (!l.is_empty() && l.trim_matches(' ').is_empty()) || l.starts_with('\t')) {
        return None;
    }
    let first_line = body.lines().next().unwrap_or("");
    let indicator = if first_line.starts_with(' ') { "2" } else { "" };
    let mut out = format!("|{indicator}{chomp}\n");
    let pad = " ".repeat(indent.max(2));
    for line in s.split('\n').take(body.split('\n').count()) {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&pad);
            out.push_str(line);
            out.push('\n');
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    // Verify by parsing it back in the same shape as it will be written.
    let probe = format!("k: {out}");
    let probe = if indent > 2 {
        // Re-indent so the probe has content at exactly 2 spaces relative to `k`.
        probe.replace(&format!("\n{pad}"), "\n  ")
    } else {
        probe
    };
    match super::parse_documents(&probe) {
        Ok(docs) if docs.len() == 1 && docs[0].to_json() == serde_json::json!({ "k": s }) => Some(out),
        _ => None,
    }
}

/// The string as a YAML scalar: plain when unambiguous, else single- or double-quoted.
#[must_use]
pub fn quote_if_needed(s: &str) -> String {
    if is_plain_safe(s) {
        return s.to_string();
    }
    let needs_double = s
        .chars()
        .any(|c| c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}' || c == '\u{85}');
    if !needs_double {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}') => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s != s.trim() {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if s.chars().any(|c| c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}')) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    // Anything that would resolve to another type (or is a YAML 1.1 boolean) stays quoted.
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null"
            | "~"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".nan"
            | ".inf"
            | "-.inf"
            | "+.inf"
    ) {
        return false;
    }
    if looks_numeric(s) {
        return false;
    }
    true
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim_start_matches(['+', '-']);
    if t.is_empty() {
        return false;
    }
    if t.starts_with("0x") || t.starts_with("0o") || t.starts_with("0b") {
        return true;
    }
    let first = t.chars().next().unwrap_or('x');
    (first.is_ascii_digit() || first == '.')
        && t.chars().all(|c| c.is_ascii_hexdigit() || "._eE+-:".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(v: &Value) {
        let mut e = Emitter::new();
        e.document(v);
        let text = e.finish();
        let docs = super::super::parse_documents(&text).unwrap_or_else(|err| panic!("{err}\n{text}"));
        assert_eq!(docs.len(), 1, "{text}");
        assert_eq!(&docs[0].to_json(), v, "\n{text}");
    }

    #[test]
    fn scalars_that_look_like_other_types_are_quoted() {
        for s in [
            "true", "no", "10", "1.5", "0x1F", "null", "~", "", " x", "x ", "a: b", "- x", "#c", "'", "\"",
            "1e3", ".5",
        ] {
            roundtrip(&json!({ "k": s }));
        }
    }

    #[test]
    fn templates_round_trip_exactly() {
        for s in [
            "{\"a\": ${a}}",
            "line1\nline2\n",
            "line1\nline2",
            "line1\n\n\n",
            "  indented\nnext",
            "crlf\r\nline",
            "tab\tin\n\tstart",
            "trailing  \nspaces ",
            "$${x} #if($a)#end",
            "\n\nleading newlines",
            "only spaces line\n   \nafter",
            "unicode é ✓ \u{2028} sep",
            "#set($x = 1)\n${x}\n",
        ] {
            roundtrip(&json!({ "template": s, "nested": { "t": s, "list": [s, 1, null] } }));
        }
    }

    #[test]
    fn block_scalar_used_for_plain_multiline() {
        let mut e = Emitter::new();
        e.document(&json!({ "body": "{\n  \"a\": 1\n}\n" }));
        assert_eq!(e.finish(), "body: |\n  {\n    \"a\": 1\n  }\n");
    }

    #[test]
    fn nested_structures() {
        roundtrip(&json!({
            "a": {"b": [ {"c": 1, "d": [1, 2]}, [], {} ], "e": {}},
            "$schema": "http://json-schema.org/draft-04/schema#",
            "f": [[1, [2]], {"g": "h"}]
        }));
    }
}
