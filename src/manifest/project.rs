//! Rule levels: which findings block, which only warn, which are off.
//!
//! Two classes of rules (README "Rule levels"):
//! - rules that mirror what Genesys itself rejects, and the manifest-format rules without
//!   which gcsync cannot read a manifest: always errors; no project file or allowance
//!   changes them (trying to is an error that says so);
//! - lint rules ([`LINT_RULES`]: likely bugs Genesys accepts on save): their level is set
//!   project-wide in the project file [`PROJECT_FILE`] (`rules: {CODE: error|warning|off}`),
//!   and a manifest may allow named ones with a reason, in a comment directive
//!   `# gcsync:allow CODE[, CODE...] -- REASON` that covers the YAML document it is in (or,
//!   above a document's first line, the document that follows).
//!
//! Also: [`allowance_lines`], the directives `convert`/`import`/`export` write for findings
//! an action already carried in the org.
//!
//! Owns: the project file's format, the directive grammar, applying both to diagnostics.
//! Must not: run rules itself, or read anything but the project file.

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::yaml::{self, Pos, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The project file, read from the directory gcsync runs in.
pub const PROJECT_FILE: &str = "gcsync.yaml";

/// Lint rules: findings Genesys accepts on save (and reports at run time, or never). Their
/// level is configurable and a manifest may allow them.
pub const LINT_RULES: [&str; 11] = [
    "velocity-syntax",
    "jsonpath-syntax",
    "undeclared-input",
    "unmapped-variable",
    "unused-translation-key",
    "default-not-json",
    "invalid-json-output",
    "unescaped-input-json",
    "unescaped-input-url",
    "get-body",
    "input-untyped",
];

/// Rules that mirror what Genesys rejects when an action is created or updated: always
/// errors.
pub const GENESYS_RULES: [&str; 27] = [
    "empty",
    "too-long",
    "timeout-range",
    "method",
    "accept-json",
    "input-not-object",
    "input-type",
    "input-nested",
    "input-name",
    "input-reserved",
    "output-nested-array",
    "output-name",
    "output-type",
    "empty-from",
    "schema-ref",
    "schema-draft04",
    "too-deep",
    "missing-contract",
    "integration-type",
    "credential-type",
    "credential-field",
    "function-runtime",
    "function-timeout",
    "function-description",
    "function-url",
    "function-integration",
    "function-handler",
];

/// Manifest-format and identity rules (gcsync cannot read or place the manifest otherwise):
/// always errors.
pub const FORMAT_RULES: [&str; 32] = [
    "yaml-syntax",
    "not-utf8",
    "not-text",
    "file-too-large",
    "empty-file",
    "no-manifests",
    "unknown-kind",
    "missing-kind",
    "unknown-field",
    "missing-field",
    "wrong-type",
    "misplaced-field",
    "contract-form",
    "duplicate-name",
    "renamed-from",
    "inline-secret",
    "env-name",
    "input-default",
    "test-case",
    "test-input-type",
    "duplicate-test",
    "undefined-var",
    "var-without-env",
    "var-syntax",
    "var-type",
    "var-in-key",
    "unused-var",
    "project-file",
    "allow-directive",
    "unused-allow",
    "function-source",
    "function-runtime-deprecated",
];

/// The reason `convert`, `import` and `export` write for a finding the action already had.
pub const GENERATED_REASON: &str = "present in the org when exported; fix it, then remove this line";

/// A level a project sets for a lint rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Blocks (exit 1).
    Error,
    /// Reported, does not block.
    Warning,
    /// Not reported.
    Off,
}

/// The project's settings (the parsed project file; empty when there is none).
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// Lint rule → level.
    pub levels: BTreeMap<String, Level>,
}

/// Reads [`PROJECT_FILE`] in `dir` if it exists; its problems go into `diags`.
#[must_use]
pub fn load(dir: &Path, diags: &mut Diagnostics) -> Project {
    let file = dir.join(PROJECT_FILE);
    if !file.is_file() {
        return Project::default();
    }
    let Some(text) = super::read_manifest_file(&file, diags) else {
        return Project::default();
    };
    parse(&file, &text, diags)
}

/// Parses a project file's text.
#[must_use]
pub fn parse(file: &Path, text: &str, diags: &mut Diagnostics) -> Project {
    let mut project = Project::default();
    let err = |diags: &mut Diagnostics, msg: String, pos: Pos, hint: &str| {
        diags.push(Diagnostic::error("project-file", msg, file, pos).with_hint(hint));
    };
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            err(diags, format!("invalid YAML: {}", e.message), e.pos, "fix the YAML syntax");
            return project;
        }
    };
    let shape_hint = "the project file is a mapping: `rules: {RULE: error|warning|off}`";
    for doc in docs {
        let Value::Map(entries) = &doc.value else {
            err(
                diags,
                format!("`{PROJECT_FILE}` must be a mapping, found {}", doc.value.type_name()),
                doc.pos,
                shape_hint,
            );
            continue;
        };
        for (key, node) in entries {
            if key.name != "rules" {
                err(diags, format!("unknown field `{}` in `{PROJECT_FILE}`", key.name), key.pos, shape_hint);
                continue;
            }
            let Value::Map(rules) = &node.value else {
                if node.value != Value::Null {
                    err(
                        diags,
                        format!("`rules` must be a mapping, found {}", node.value.type_name()),
                        node.pos,
                        shape_hint,
                    );
                }
                continue;
            };
            for (rule, level) in rules {
                let Some(code) =
                    configurable(&rule.name, file, rule.pos, "its level cannot be changed", diags)
                else {
                    continue;
                };
                let parsed = match &level.value {
                    Value::Str(s) if s == "error" => Some(Level::Error),
                    Value::Str(s) if s == "warning" => Some(Level::Warning),
                    Value::Str(s) if s == "off" => Some(Level::Off),
                    _ => None,
                };
                match parsed {
                    Some(l) => {
                        project.levels.insert(code.to_string(), l);
                    }
                    None => err(
                        diags,
                        format!("the level of `{code}` must be `error`, `warning` or `off`"),
                        level.pos,
                        "e.g. `unescaped-input-url: warning`",
                    ),
                }
            }
        }
    }
    project
}

/// The lint rule `name` names; otherwise an error saying why it cannot be configured.
fn configurable(
    name: &str,
    file: &Path,
    pos: Pos,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<&'static str> {
    if let Some(c) = LINT_RULES.iter().find(|c| **c == name) {
        return Some(c);
    }
    let (message, hint) = if GENESYS_RULES.contains(&name) {
        (
            format!("`{name}` mirrors what Genesys itself rejects, so {what}: it is always an error"),
            "Genesys would refuse the action: fix the manifest".to_string(),
        )
    } else if FORMAT_RULES.contains(&name) {
        (
            format!("`{name}` is a manifest-format rule, so {what}: it is always an error"),
            "gcsync cannot read or place the manifest otherwise: fix the manifest".to_string(),
        )
    } else {
        let hint = match super::reader::suggest(name, &LINT_RULES) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("the lint rules are {}", LINT_RULES.map(|c| format!("`{c}`")).join(", ")),
        };
        (format!("there is no lint rule `{name}`"), hint)
    };
    let code =
        if file.file_name().is_some_and(|f| f == PROJECT_FILE) { "project-file" } else { "allow-directive" };
    diags.push(Diagnostic::error(code, message, file, pos).with_hint(hint));
    None
}

/// Applies the project's levels to every lint finding (other rules are left as they are).
pub fn apply_levels(project: &Project, diags: Diagnostics) -> Diagnostics {
    if project.levels.is_empty() {
        return diags;
    }
    let mut out = Diagnostics::new();
    for d in diags.as_slice() {
        match project.levels.get(d.code) {
            Some(Level::Off) => {}
            Some(Level::Warning) => out.push(Diagnostic { severity: Severity::Warning, ..d.clone() }),
            Some(Level::Error) => out.push(Diagnostic { severity: Severity::Error, ..d.clone() }),
            None => out.push(d.clone()),
        }
    }
    out
}

/// One `# gcsync:allow` directive.
#[derive(Debug, Clone)]
struct Allow {
    code: &'static str,
    pos: Pos,
    /// The first and last line (1-based, inclusive) it covers.
    lines: (u32, u32),
    used: bool,
}

/// Removes the findings of `file` (whose text is `text`) that a `# gcsync:allow` directive
/// of their document allows, counting them per rule into `allowed`; reports malformed and
/// unused directives.
pub fn apply_allowances(
    file: &Path,
    text: &str,
    diags: Diagnostics,
    allowed: &mut BTreeMap<String, usize>,
) -> Diagnostics {
    let mut out = Diagnostics::new();
    let mut allows = directives(file, text, &mut out);
    if allows.is_empty() {
        out.extend(diags);
        return out;
    }
    for d in diags.as_slice() {
        let hit = allows.iter_mut().find(|a| {
            a.code == d.code && d.file.as_deref() == Some(file) && d.line >= a.lines.0 && d.line <= a.lines.1
        });
        match hit {
            Some(a) => {
                a.used = true;
                *allowed.entry(d.code.to_string()).or_default() += 1;
            }
            None => out.push(d.clone()),
        }
    }
    for a in allows.iter().filter(|a| !a.used) {
        out.push(
            Diagnostic::warning(
                "unused-allow",
                format!("`# gcsync:allow {}` allows nothing: the document has no such finding", a.code),
                file,
                a.pos,
            )
            .with_hint("the finding was fixed: remove this line"),
        );
    }
    out
}

/// The directives of a file, each with the lines of the document it covers.
fn directives(file: &Path, text: &str, diags: &mut Diagnostics) -> Vec<Allow> {
    let lines: Vec<&str> = text.split('\n').collect();
    // Documents: split at `---` lines; a region with no content (only comments) belongs to
    // the next document.
    let mut bounds: Vec<(u32, u32)> = Vec::new();
    let mut start = 1u32;
    for (i, l) in lines.iter().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let t = l.trim_end();
        if t == "---" || t.starts_with("--- ") || t == "..." {
            bounds.push((start, n.saturating_sub(1)));
            start = n + 1;
        }
    }
    bounds.push((start, u32::try_from(lines.len()).unwrap_or(u32::MAX)));
    let has_content = |(a, b): (u32, u32)| {
        (a..=b).any(|n| {
            lines.get(n as usize - 1).is_some_and(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with('#')
            })
        })
    };
    let mut allows = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let Some(rest) = t.strip_prefix('#').map(str::trim_start).and_then(|r| r.strip_prefix("gcsync:"))
        else {
            continue;
        };
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let col = u32::try_from(l.len() - t.len() + 1).unwrap_or(1);
        let pos = Pos::new(n, col);
        let grammar = "write `# gcsync:allow RULE[, RULE...] -- REASON`";
        let Some(body) =
            rest.strip_prefix("allow").filter(|b| b.is_empty() || b.starts_with(char::is_whitespace))
        else {
            diags.push(
                Diagnostic::error(
                    "allow-directive",
                    format!("unknown directive `# gcsync:{}`", rest.trim_end()),
                    file,
                    pos,
                )
                .with_hint(grammar),
            );
            continue;
        };
        let (codes, reason) = match body.split_once("--") {
            Some((c, r)) => (c.trim(), r.trim()),
            None => (body.trim(), ""),
        };
        if codes.is_empty() || reason.is_empty() {
            let what = if codes.is_empty() { "names no rule" } else { "gives no reason" };
            diags.push(
                Diagnostic::error("allow-directive", format!("`# gcsync:allow` {what}"), file, pos)
                    .with_hint(format!(
                        "{grammar}: the reason tells the next reader why the finding is accepted"
                    )),
            );
            continue;
        }
        let index = bounds.iter().position(|(a, b)| n >= *a && n <= *b).unwrap_or(0);
        let mut covered = bounds.get(index).copied().unwrap_or((1, u32::MAX));
        if !has_content(covered)
            && let Some(next) = bounds.get(index + 1)
        {
            covered = *next;
        }
        for name in codes.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if let Some(code) = configurable(name, file, pos, "it cannot be allowed", diags) {
                allows.push(Allow { code, pos, lines: covered, used: false });
            }
        }
    }
    allows
}

/// The directive lines for the lint findings `codes` (counted per rule), as `convert`,
/// `import` and `export` put them above a generated manifest; without the leading `# `.
#[must_use]
pub fn allowance_lines(codes: &BTreeMap<String, usize>) -> Vec<String> {
    codes.keys().map(|c| format!("gcsync:allow {c} -- {GENERATED_REASON}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn codes(d: &Diagnostics) -> Vec<String> {
        d.sorted().iter().map(|x| format!("{}:{}:{:?}", x.code, x.line, x.severity)).collect()
    }

    #[test]
    fn project_file_sets_levels_and_refuses_genesys_rules() {
        let mut diags = Diagnostics::new();
        let p = parse(
            &PathBuf::from("gcsync.yaml"),
            "rules:\n  unescaped-input-url: off\n  undeclared-input: warning\n  timeout-range: off\n  unescaped-input-jsn: off\n  get-body: loud\n",
            &mut diags,
        );
        assert_eq!(p.levels.get("unescaped-input-url"), Some(&Level::Off));
        assert_eq!(p.levels.get("undeclared-input"), Some(&Level::Warning));
        let msgs: Vec<String> = diags.sorted().iter().map(|d| format!("{}: {}", d.line, d.message)).collect();
        assert_eq!(
            msgs,
            [
                "4: `timeout-range` mirrors what Genesys itself rejects, so its level cannot be changed: it is always an error",
                "5: there is no lint rule `unescaped-input-jsn`",
                "6: the level of `get-body` must be `error`, `warning` or `off`",
            ]
        );
        let mut d = Diagnostics::new();
        let f = PathBuf::from("a.yaml");
        d.push(Diagnostic::error("undeclared-input", "x", &f, Pos::new(3, 1)));
        d.push(Diagnostic::warning("unescaped-input-url", "x", &f, Pos::new(4, 1)));
        d.push(Diagnostic::error("timeout-range", "x", &f, Pos::new(5, 1)));
        assert_eq!(codes(&apply_levels(&p, d)), ["undeclared-input:3:Warning", "timeout-range:5:Error"]);
    }

    #[test]
    fn allowances_cover_their_document_and_need_a_reason() {
        let text = "# gcsync:allow undeclared-input -- the flow passes it\n---\nkind: DataAction\nname: A\n---\n# gcsync:allow jsonpath-syntax\n# gcsync:allow method -- no\n# gcsync:allow unescaped-input-url, unmapped-variable -- legacy\nkind: DataAction\nname: B\n";
        let f = PathBuf::from("a.yaml");
        let mut d = Diagnostics::new();
        d.push(Diagnostic::error("undeclared-input", "x", &f, Pos::new(4, 1))); // A: allowed
        d.push(Diagnostic::error("undeclared-input", "x", &f, Pos::new(10, 1))); // B: not allowed
        d.push(Diagnostic::warning("unescaped-input-url", "x", &f, Pos::new(9, 1))); // B: allowed
        let mut allowed = BTreeMap::new();
        let out = apply_allowances(&f, text, d, &mut allowed);
        assert_eq!(
            codes(&out),
            [
                "allow-directive:6:Error",
                "allow-directive:7:Error",
                "unused-allow:8:Warning",
                "undeclared-input:10:Error"
            ]
        );
        assert_eq!(
            allowed.into_iter().collect::<Vec<_>>(),
            [("undeclared-input".into(), 1), ("unescaped-input-url".into(), 1)]
        );
    }

    #[test]
    fn every_rule_has_one_class() {
        for c in LINT_RULES {
            assert!(!GENESYS_RULES.contains(&c) && !FORMAT_RULES.contains(&c), "{c}");
        }
        for c in GENESYS_RULES {
            assert!(!FORMAT_RULES.contains(&c), "{c}");
        }
        for c in super::super::lint::CODES {
            assert!(LINT_RULES.contains(&c), "{c}");
        }
    }
}
