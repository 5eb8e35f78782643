//! `{{ var.NAME }}` substitution: one set of manifests, values per environment.
//!
//! Owns: the reference syntax and its rules, applied to the position-annotated YAML tree of
//! every manifest document *before* typed reading, so every later diagnostic keeps its
//! file:line:column.
//!
//! - A reference is `{{`, optional spaces, `var.`, a name (`[A-Za-z_][A-Za-z0-9_-]*`),
//!   optional spaces, `}}`. Any other `{{` is plain text (Velocity never uses it).
//! - It works in every string value of a document (mapping keys are never substituted).
//! - A scalar that is exactly one reference takes the variable's YAML value and type
//!   (`"{{ var.timeout }}"` → the integer `10`; a mapping or list works too); otherwise the
//!   variable's text is interpolated (strings, numbers and booleans only).
//! - `\{{ var.x }}` is the literal text `{{ var.x }}` (the backslash is removed only in front
//!   of a reference; every other backslash stays as written).
//! - Values are inserted as written: a value containing `{{ var.y }}` is not substituted again.
//! - An undefined variable is an error naming the variable, the manifest place and the
//!   environment; a reference without an environment is an error asking for one. A document
//!   with any of these problems is reported and skipped.
//!
//! Must not: read files, know environment files (callers pass [`Vars`]) or the manifest
//! format.

use super::reader::{Sink, Sp, suggest};
use crate::diag::Diagnostic;
use crate::yaml::{Key, Node, Pos, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The variables of one environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    /// The environment's name (for messages).
    pub environment: String,
    /// The environment file (for messages).
    pub file: PathBuf,
    /// Name → value, in file order; positions are in the environment file.
    pub values: Vec<(Key, Node)>,
}

impl Vars {
    /// The value of a variable.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Node> {
        self.values.iter().find(|(k, _)| k.name == name).map(|(_, v)| v)
    }

    /// Bytes that identify the environment and every value (for the manifest input digest):
    /// a changed value makes a saved plan stale.
    #[must_use]
    pub fn digest_input(&self) -> Vec<u8> {
        let mut sorted: Vec<&(Key, Node)> = self.values.iter().collect();
        sorted.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        let mut out = Vec::new();
        out.extend_from_slice(b"\0environment\0");
        out.extend_from_slice(self.environment.as_bytes());
        for (k, v) in sorted {
            out.push(0);
            out.extend_from_slice(k.name.as_bytes());
            out.push(0);
            out.extend_from_slice(v.to_json().to_string().as_bytes());
        }
        out.push(0);
        out
    }
}

/// Whether `name` is a valid variable name.
#[must_use]
pub fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// One piece of a scalar.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Text kept as it is.
    Text(String),
    /// A reference; `at` is its byte offset in the scalar, `len` its length in characters.
    Ref { name: String, at: usize, len: usize },
}

/// A malformed reference at this byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Malformed {
    at: usize,
    text: String,
}

/// Whether `s` (just after `{{`) starts a reference: optional spaces/tabs, then `var.`.
fn starts_reference(s: &str) -> bool {
    s.trim_start_matches([' ', '\t']).starts_with("var.")
}

/// Splits a scalar into text and references.
fn split(s: &str) -> Result<Vec<Piece>, Malformed> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while let Some(found) = s.get(i..).and_then(|r| r.find("{{")) {
        let j = i + found;
        let after = s.get(j + 2..).unwrap_or("");
        if !starts_reference(after) {
            // Not ours: keep one character and look again (`{{{ var.x }}}` has one at 1).
            text.push_str(s.get(i..=j).unwrap_or(""));
            i = j + 1;
            continue;
        }
        if j > 0 && s.as_bytes().get(j - 1) == Some(&b'\\') {
            // Escaped: the literal `{{`, without the backslash.
            text.push_str(s.get(i..j - 1).unwrap_or(""));
            text.push_str("{{");
            i = j + 2;
            continue;
        }
        text.push_str(s.get(i..j).unwrap_or(""));
        let inner = after.trim_start_matches([' ', '\t']);
        let name_start = inner.get(4..).unwrap_or("");
        let name_len = name_start
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(name_start.len(), |(n, _)| n);
        let name = name_start.get(..name_len).unwrap_or("");
        let tail = name_start.get(name_len..).unwrap_or("");
        let close = tail.trim_start_matches([' ', '\t']);
        if !is_var_name(name) || !close.starts_with("}}") {
            let end = s.get(j..).and_then(|r| r.find("}}")).map_or(s.len(), |e| j + e + 2);
            let shown: String = s.get(j..end).unwrap_or("").chars().take(60).collect();
            return Err(Malformed { at: j, text: shown });
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut text)));
        }
        let end = s.len() - (close.len() - 2);
        let len = s.get(j..end).map_or(0, |r| r.chars().count());
        pieces.push(Piece::Ref { name: name.to_string(), at: j, len });
        i = end;
    }
    text.push_str(s.get(i..).unwrap_or(""));
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// Substitutes `{{ var.NAME }}` in every document. Documents with a problem are reported
/// and left out; names of the variables used are added to `used`.
pub fn resolve_documents(
    docs: Vec<Node>,
    vars: Option<&Vars>,
    source: Option<&str>,
    sink: &mut Sink<'_>,
    used: &mut BTreeSet<String>,
) -> Vec<Node> {
    let mut out = Vec::with_capacity(docs.len());
    for mut doc in docs {
        let mut r = Resolver { vars, source, sink, used, ok: true };
        r.node(&mut doc);
        if r.ok {
            out.push(doc);
        }
    }
    out
}

struct Resolver<'a, 'b, 's> {
    vars: Option<&'a Vars>,
    source: Option<&'a str>,
    sink: &'a mut Sink<'s>,
    used: &'b mut BTreeSet<String>,
    ok: bool,
}

impl Resolver<'_, '_, '_> {
    fn node(&mut self, node: &mut Node) {
        match &mut node.value {
            Value::Str(s) => {
                if s.contains("{{")
                    && let Some(v) = self.scalar(s, node.pos)
                {
                    node.value = v;
                }
            }
            Value::Seq(items) => {
                for item in items {
                    self.node(item);
                }
            }
            Value::Map(entries) => {
                for (k, v) in entries {
                    if k.name.contains("{{") && split(&k.name).is_ok_and(|p| p.iter().any(is_ref)) {
                        self.ok = false;
                        self.sink.error_hint(
                            "var-in-key",
                            format!("`{}`: variables cannot be used in mapping keys", k.name),
                            k.pos,
                            "use a variable in the value instead",
                        );
                    }
                    self.node(v);
                }
            }
            _ => {}
        }
    }

    /// The new value of a string scalar, or `None` to keep it.
    fn scalar(&mut self, s: &str, pos: Pos) -> Option<Value> {
        let pieces = match split(s) {
            Ok(p) => p,
            Err(m) => {
                self.ok = false;
                let at = self.place(s, pos, m.at, m.text.chars().count());
                self.report(
                    "var-syntax",
                    format!("malformed variable reference `{}`", m.text),
                    "write `{{ var.NAME }}` (NAME: letters, digits, `_`, `-`); `\\{{ var.x }}` is the literal text",
                    at,
                );
                return None;
            }
        };
        if !pieces.iter().any(is_ref) {
            // Only escapes (or nothing): the text without the escaping backslashes.
            let text: String = pieces
                .into_iter()
                .map(|p| match p {
                    Piece::Text(t) => t,
                    Piece::Ref { .. } => String::new(),
                })
                .collect();
            return (text != s).then_some(Value::Str(text));
        }
        let Some(vars) = self.vars else {
            self.ok = false;
            if let Some(Piece::Ref { name, at, len }) = pieces.iter().find(|p| is_ref(p)) {
                let at = self.place(s, pos, *at, *len);
                self.report(
                    "var-without-env",
                    format!("`{{{{ var.{name} }}}}` needs an environment, and none was chosen"),
                    "choose one with `--env NAME` (a file `environments/NAME.yaml`); `gcsync validate --all-envs` checks every environment",
                    at,
                );
            }
            return None;
        };
        if let [Piece::Ref { name, at, len }] = pieces.as_slice() {
            let value = self.lookup(vars, name, self.place(s, pos, *at, *len))?;
            return Some(repositioned(value, pos).value);
        }
        let mut text = String::new();
        let mut failed = false;
        for p in &pieces {
            match p {
                Piece::Text(t) => text.push_str(t),
                Piece::Ref { name, at, len } => {
                    match self.lookup(vars, name, self.place(s, pos, *at, *len)) {
                        Some(v) => match &v.value {
                            Value::Str(x) => text.push_str(x),
                            Value::Int(i) => text.push_str(&i.to_string()),
                            Value::Float(f) => text.push_str(&f.to_string()),
                            Value::Bool(b) => text.push_str(&b.to_string()),
                            other => {
                                failed = true;
                                self.ok = false;
                                let at = self.place(s, pos, *at, *len);
                                self.report(
                                "var-type",
                                format!(
                                    "variable `{name}` of environment `{}` is {}, which cannot be part of a text",
                                    vars.environment,
                                    other.type_name()
                                ),
                                "only strings, numbers and booleans are interpolated; a value that is exactly `\"{{ var.NAME }}\"` takes any YAML value",
                                at,
                            );
                            }
                        },
                        None => failed = true,
                    }
                }
            }
        }
        if failed { None } else { Some(Value::Str(text)) }
    }

    fn lookup<'v>(&mut self, vars: &'v Vars, name: &str, at: (Pos, usize)) -> Option<&'v Node> {
        if let Some(v) = vars.get(name) {
            self.used.insert(name.to_string());
            return Some(v);
        }
        self.ok = false;
        let known: Vec<&str> = vars.values.iter().map(|(k, _)| k.name.as_str()).collect();
        let file = vars.file.display();
        let hint = match suggest(name, &known) {
            Some(x) => format!("did you mean `{x}`? or define `{name}` under `vars:` in `{file}`"),
            None if known.is_empty() => format!("define it under `vars:` in `{file}` (it has no variables)"),
            None => format!(
                "define it under `vars:` in `{file}` (defined there: {})",
                known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
            ),
        };
        self.report(
            "undefined-var",
            format!("undefined variable `{name}` in environment `{}`", vars.environment),
            hint,
            at,
        );
        None
    }

    /// Records an error at a place from [`Self::place`].
    fn report(&mut self, code: &'static str, message: String, hint: impl Into<String>, at: (Pos, usize)) {
        let d = Diagnostic::error(code, message, self.sink.file, at.0).with_width(at.1).with_hint(hint);
        self.sink.push(d);
    }

    /// The manifest position of byte `at` of the scalar `s` written at `pos`, with the width
    /// to underline (`len` characters): exact when the source confirms it (plain and literal
    /// block scalars, quoted ones without escapes before it), else the scalar's start.
    fn place(&self, s: &str, pos: Pos, at: usize, len: usize) -> (Pos, usize) {
        let head = s.get(..at).unwrap_or("");
        let line = head.matches('\n').count() + 1;
        let col = head.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let (Ok(line), Ok(col)) = (u32::try_from(line), u32::try_from(col)) else { return (pos, 1) };
        let sp = Sp::new(s.to_string(), pos);
        super::lint::map_position(self.source, &sp, line, col).map_or((pos, 1), |p| (p, len.max(1)))
    }
}

fn is_ref(p: &Piece) -> bool {
    matches!(p, Piece::Ref { .. })
}

/// A copy of `node` with every position (nested values and keys too) set to `pos`, so
/// diagnostics about a substituted value point at the manifest, not the environment file.
fn repositioned(node: &Node, pos: Pos) -> Node {
    let value = match &node.value {
        Value::Seq(items) => Value::Seq(items.iter().map(|i| repositioned(i, pos)).collect()),
        Value::Map(entries) => Value::Map(
            entries.iter().map(|(k, v)| (Key { name: k.name.clone(), pos }, repositioned(v, pos))).collect(),
        ),
        other => other.clone(),
    };
    Node { value, pos }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostics;
    use std::path::Path;

    fn vars(yaml: &str) -> Vars {
        let doc = crate::yaml::parse_documents(yaml).unwrap().remove(0);
        let Value::Map(values) = doc.value else { panic!("not a map") };
        Vars { environment: "dev".into(), file: PathBuf::from("environments/dev.yaml"), values }
    }

    /// (code, line, column, "message | hint") of each diagnostic.
    type Found = Vec<(String, u32, u32, String)>;

    /// Resolves one manifest text; returns the documents (as JSON) and the diagnostics.
    fn resolve(text: &str, v: Option<&Vars>) -> (Vec<serde_json::Value>, Found) {
        let docs = crate::yaml::parse_documents(text).unwrap();
        let mut diags = Diagnostics::new();
        let mut used = BTreeSet::new();
        let mut sink = Sink { file: Path::new("m.yaml"), diags: &mut diags };
        let out = resolve_documents(docs, v, Some(text), &mut sink, &mut used);
        let d = diags
            .sorted()
            .into_iter()
            .map(|d| {
                (
                    d.code.to_string(),
                    d.line,
                    d.column,
                    // A diagnostic without a hint adds nothing after the bar.
                    format!("{} | {}", d.message, d.hint.unwrap_or_default()),
                )
            })
            .collect();
        (out.iter().map(Node::to_json).collect(), d)
    }

    const VARS: &str = "api: https://dev.example.com\ntimeout: 10\nratio: 1.5\nflag: true\nnothing:\nheaders: {Accept: application/json}\n";

    #[test]
    fn interpolates_text_and_keeps_other_braces() {
        let v = vars(VARS);
        let (docs, d) = resolve(
            "url: '{{ var.api }}/users/{{var.timeout}}?x={{ var.flag }}&r={{var.ratio}}'\nbody: '{{{ var.timeout }}}'\nother: '{{ name }} {{ variable }} {{'\n",
            Some(&v),
        );
        assert_eq!(d, vec![]);
        assert_eq!(docs[0]["url"], "https://dev.example.com/users/10?x=true&r=1.5");
        assert_eq!(docs[0]["body"], "{10}");
        assert_eq!(docs[0]["other"], "{{ name }} {{ variable }} {{");
    }

    #[test]
    fn whole_value_takes_the_variable_type() {
        let v = vars(VARS);
        let (docs, d) = resolve(
            "timeoutSeconds: '{{ var.timeout }}'\nflag: \"{{var.flag}}\"\nheaders: '{{ var.headers }}'\nunset: '{{ var.nothing }}'\nspaced: ' {{ var.timeout }}'\n",
            Some(&v),
        );
        assert_eq!(d, vec![]);
        assert_eq!(docs[0]["timeoutSeconds"], 10);
        assert_eq!(docs[0]["flag"], true);
        assert_eq!(docs[0]["headers"], serde_json::json!({"Accept": "application/json"}));
        assert_eq!(docs[0]["unset"], serde_json::Value::Null);
        assert_eq!(docs[0]["spaced"], " 10");
    }

    #[test]
    fn substituted_values_keep_manifest_positions() {
        let v = vars(VARS);
        let text = "a: 1\nheaders: '{{ var.headers }}'\n";
        let mut docs = crate::yaml::parse_documents(text).unwrap();
        let mut diags = Diagnostics::new();
        let mut used = BTreeSet::new();
        let mut sink = Sink { file: Path::new("m.yaml"), diags: &mut diags };
        docs = resolve_documents(docs, Some(&v), Some(text), &mut sink, &mut used);
        let headers = docs[0].locate(&["headers"]);
        assert_eq!(headers.pos, Pos::new(2, 10));
        let Value::Map(entries) = &headers.value else { panic!("map") };
        assert_eq!(entries[0].0.pos, Pos::new(2, 10));
        assert_eq!(entries[0].1.pos, Pos::new(2, 10));
        assert_eq!(used.into_iter().collect::<Vec<_>>(), vec!["headers".to_string()]);
    }

    #[test]
    fn escapes() {
        let v = vars(VARS);
        let (docs, d) = resolve(
            "a: '\\{{ var.api }}'\nb: 'x \\{{var.api}} {{ var.timeout }}'\nc: 'C:\\path\\{{ other'\n",
            Some(&v),
        );
        assert_eq!(d, vec![]);
        assert_eq!(docs[0]["a"], "{{ var.api }}");
        assert_eq!(docs[0]["b"], "x {{var.api}} 10");
        assert_eq!(docs[0]["c"], "C:\\path\\{{ other", "backslashes elsewhere stay");
        // Escapes work without an environment too.
        let (docs, d) = resolve("a: '\\{{ var.api }}'\n", None);
        assert_eq!(d, vec![]);
        assert_eq!(docs[0]["a"], "{{ var.api }}");
    }

    #[test]
    fn undefined_variable_is_located_and_skips_the_document() {
        let v = vars(VARS);
        let (docs, d) =
            resolve("kind: DataAction\nurl: https://x/{{ var.apii }}/y\n---\nkind: Other\n", Some(&v));
        assert_eq!(docs.len(), 1, "the broken document is left out");
        assert_eq!(docs[0]["kind"], "Other");
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].0.as_str(), d[0].1, d[0].2), ("undefined-var", 2, 16));
        assert!(d[0].3.contains("undefined variable `apii` in environment `dev`"), "{}", d[0].3);
        assert!(
            d[0].3.contains("did you mean `api`?") && d[0].3.contains("environments/dev.yaml"),
            "{}",
            d[0].3
        );
        // In a quoted scalar with an escape before it: the scalar's start.
        let (_, d) = resolve("url: \"\\t{{ var.nope }}\"\n", Some(&v));
        assert_eq!((d[0].1, d[0].2), (1, 6));
        // In a literal block: exact too.
        let (_, d) = resolve("body: |\n  line\n  {{ var.nope }}\n", Some(&v));
        assert_eq!((d[0].0.as_str(), d[0].1, d[0].2), ("undefined-var", 3, 3));
    }

    #[test]
    fn no_environment_malformed_types_and_keys() {
        let (docs, d) = resolve("url: https://{{ var.api }}\n", None);
        assert!(docs.is_empty());
        assert_eq!((d[0].0.as_str(), d[0].1, d[0].2), ("var-without-env", 1, 14));
        assert!(d[0].3.contains("--env NAME"), "{}", d[0].3);
        let v = vars(VARS);
        for bad in ["'{{ var. }}'", "'{{ var.api'", "'{{ var.a b }}'", "'{{ var.1x }}'"] {
            let (_, d) = resolve(&format!("u: {bad}\n"), Some(&v));
            assert_eq!(d.len(), 1, "{bad}");
            assert_eq!(d[0].0, "var-syntax", "{bad}");
        }
        let (_, d) = resolve("u: 'x{{ var.headers }}'\n", Some(&v));
        assert_eq!(d[0].0, "var-type");
        let (_, d) = resolve("u: 'x{{ var.nothing }}'\n", Some(&v));
        assert_eq!(d[0].0, "var-type");
        let (_, d) = resolve("'{{ var.api }}': 1\n", Some(&v));
        assert_eq!(d[0].0, "var-in-key");
    }

    #[test]
    fn split_handles_unicode_and_edges() {
        assert_eq!(
            split("é{{ var.a }}ü"),
            Ok(vec![
                Piece::Text("é".into()),
                Piece::Ref { name: "a".into(), at: 2, len: 11 },
                Piece::Text("ü".into()),
            ])
        );
        assert_eq!(split("{{"), Ok(vec![Piece::Text("{{".into())]));
        assert_eq!(split("{{ var.a }}{{ var.b }}").map(|p| p.len()), Ok(2));
        assert!(split("{{ var.é }}").is_err());
        assert_eq!(split("\\{{ var.a }}"), Ok(vec![Piece::Text("{{ var.a }}".into())]));
    }

    proptest::proptest! {
        /// Arbitrary scalars never panic; text without `{{` is never touched; a resolved
        /// scalar with only defined text variables has no reference left.
        #[test]
        fn arbitrary_scalars(s in "[ -~é\\n{}]{0,40}") {
            let pieces = split(&s);
            if !s.contains("{{") {
                proptest::prop_assert_eq!(pieces.clone(), Ok(if s.is_empty() { vec![] } else { vec![Piece::Text(s.clone())] }));
            }
            let v = vars("a: x\nb: 2\n");
            let mut diags = Diagnostics::new();
            let mut used = BTreeSet::new();
            let mut sink = Sink { file: Path::new("m.yaml"), diags: &mut diags };
            let doc = Node { value: Value::Str(s.clone()), pos: Pos::new(1, 1) };
            let out = resolve_documents(vec![doc], Some(&v), None, &mut sink, &mut used);
            if let (Ok(p), [node]) = (&pieces, out.as_slice()) {
                let no_unknown = p.iter().all(|x| !matches!(x, Piece::Ref { name, .. } if name != "a" && name != "b"));
                proptest::prop_assert!(no_unknown);
                if let Value::Str(r) = &node.value {
                    proptest::prop_assert!(split(r).map_or(true, |q| !q.iter().any(is_ref)) || s.contains("\\{{"));
                }
            }
        }
    }

    #[test]
    fn digest_input_depends_on_environment_and_values() {
        let a = vars("x: 1\ny: two\n");
        let mut b = a.clone();
        assert_eq!(a.digest_input(), b.digest_input());
        b.environment = "prod".into();
        assert_ne!(a.digest_input(), b.digest_input());
        let c = vars("y: two\nx: 1\n");
        assert_eq!(a.digest_input(), c.digest_input(), "order does not matter");
        let d = vars("x: 2\ny: two\n");
        assert_ne!(a.digest_input(), d.digest_input());
    }
}
