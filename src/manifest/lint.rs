//! Template- and path-aware rules: what Genesys only reports when the action runs (or never
//! reports), found offline and placed on the manifest line and column.
//!
//! | code | severity | finding |
//! |---|---|---|
//! | `velocity-syntax` | error | a URL, header, body or success template does not parse |
//! | `jsonpath-syntax` | error | a translation-map JSONPath does not compile |
//! | `undeclared-input` | error | a request template reads `${input.x}` but the input contract has no `x` |
//! | `unmapped-variable` | error | the success template reads a variable no translation-map key provides ("Variables Not Mapping") |
//! | `unused-translation-key` | warning | a translation-map key the success template never reads |
//! | `default-not-json` | warning | a translation-map default that is not JSON text (`UNKNOWN` instead of `"\"UNKNOWN\""`) |
//! | `invalid-json-output` | warning | the success template renders invalid JSON when every value is `null` or its default |
//! | `unescaped-input-json` | warning | a string input inserted raw into a JSON body (fix: `$esc.jsonString`) |
//! | `unescaped-input-url` | warning | a string input inserted raw into the URL after the host (fix: `$esc.url`) |
//!
//! plus the `tests:` format rules of [`super::test_cases`]. Positions: a template's line/column is
//! mapped into the manifest when the YAML scalar is plain or a literal block and the text
//! can be verified against the source line; otherwise the diagnostic points at the scalar.
//!
//! Owns: these rules. Must not: do I/O, call the API, or run HTTP (render-based rules use
//! the engines directly with marker values).

use super::compile::compile;
use super::reader::{Sink, Sp};
use super::{ActionManifest, ContractForm};
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::jsonpath::JsonPath;
use crate::model::rules::RESERVED_INPUTS;
use crate::velocity::{Context, RenderOptions, Template, ToolSet, Value as VValue};
use crate::yaml::Pos;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Every rule code this module emits (README table; the corpus test counts them).
pub const CODES: [&str; 9] = [
    "velocity-syntax",
    "jsonpath-syntax",
    "undeclared-input",
    "unmapped-variable",
    "unused-translation-key",
    "default-not-json",
    "invalid-json-output",
    "unescaped-input-json",
    "unescaped-input-url",
];

/// Variables bound in every template context (Genesys tools and Velocity's loop helpers).
const BUILTIN_VARS: [&str; 8] = [
    "esc",
    "math",
    "encoding",
    "successTemplateUtils",
    "urlTool",
    "foreach",
    "velocityCount",
    "velocityHasNext",
];

/// Which template a site is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Url,
    Header(String),
    Body,
    Success,
}

struct Site<'a> {
    kind: Kind,
    /// How messages name it (`request.url`, `request.headers.Accept`, ...).
    label: String,
    text: String,
    /// The scalar it was written as (absent when defaulted or generated).
    scalar: Option<&'a Sp<String>>,
    /// Where to point when there is no scalar.
    fallback: Pos,
}

/// One translation-map entry with its manifest positions.
struct Entry {
    key: String,
    key_pos: Pos,
    path: Option<Sp<String>>,
    default: Option<(String, Option<Sp<String>>)>,
}

/// Runs every rule on `a`; `source` is the manifest file's text (for exact columns).
pub fn lint_action(a: &ActionManifest, source: Option<&str>, diags: &mut Diagnostics) {
    {
        let mut sink = Sink { file: &a.file, diags };
        let _ = super::test_cases::parse_tests(a, &mut sink);
    }
    let spec = compile(a);
    let mut l = Lint { a, source, diags };

    let mut sites: Vec<Site<'_>> = vec![Site {
        kind: Kind::Url,
        label: "request.url".into(),
        text: a.request.url.value.clone(),
        scalar: Some(&a.request.url),
        fallback: a.request.url.pos,
    }];
    if let Some(h) = &a.request.headers {
        for (k, v) in &h.value {
            sites.push(Site {
                kind: Kind::Header(k.value.clone()),
                label: format!("request.headers.{}", k.value),
                text: v.value.clone(),
                scalar: Some(v),
                fallback: v.pos,
            });
        }
    }
    if let Some(b) = &a.request.body {
        sites.push(Site {
            kind: Kind::Body,
            label: "request.body".into(),
            text: b.value.clone(),
            scalar: Some(b),
            fallback: b.pos,
        });
    }
    let (success_scalar, success_fallback) = match &a.contract {
        ContractForm::Shorthand { success_template, outputs_pos, .. } => {
            (success_template.as_ref(), *outputs_pos)
        }
        ContractForm::Raw { success_template, pos, .. } => (success_template.as_ref(), *pos),
    };
    // No success template: the lint sees the empty text (Genesys's default applies at run time).
    let success_text = spec.config.response.success_template.clone().unwrap_or_default();
    sites.push(Site {
        kind: Kind::Success,
        label: "response.successTemplate".into(),
        text: success_text,
        scalar: success_scalar,
        fallback: success_scalar.map_or(success_fallback, |s| s.pos),
    });

    // Inputs declared by the contract.
    let properties: Option<Map<String, Value>> = spec
        .contract
        .input
        .input_schema
        .as_ref()
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .cloned();

    // Inputs written but refused by the format rules (reported there, not again here).
    let rejected: &[String] = match &a.contract {
        ContractForm::Shorthand { rejected_inputs, .. } => rejected_inputs,
        ContractForm::Raw { .. } => &[],
    };

    // Translation map.
    let entries = entries(a, &spec);
    for e in &entries {
        if let Some(p) = &e.path
            && let Err(err) = JsonPath::parse(&p.value)
        {
            let col = match &err {
                crate::jsonpath::Error::InvalidPath { position: Some(off), .. } => {
                    Some(u32::try_from(*off).unwrap_or(0) + 1)
                }
                _ => None,
            };
            let pos = col.map_or(p.pos, |c| l.map(Some(p), p.pos, 1, c));
            l.push(
                Diagnostic::error(
                    "jsonpath-syntax",
                    format!("the JSONPath `{}` of `{}` does not compile: {}", p.value, e.key, err.message()),
                    &a.file,
                    pos,
                )
                .with_hint("Genesys evaluates translation maps with Jayway JsonPath; e.g. `$.name`, `$.items[0].id`, `$.items[*].id`"),
            );
        }
        if let Some((d, sp)) = &e.default
            && serde_json::from_str::<Value>(d).is_err()
        {
            l.push(
                Diagnostic::warning(
                    "default-not-json",
                    format!("the default of `{}` is `{d}`, which is not JSON text", e.key),
                    &a.file,
                    sp.as_ref().map_or(e.key_pos, |s| s.pos),
                )
                .with_hint(format!(
                    "defaults are inserted into the success template as JSON text: write {} for a string (Genesys may insert `{d}` verbatim and produce invalid JSON)",
                    quoted_yaml(&Value::String(d.clone()).to_string())
                )),
            );
        }
    }
    let keys: BTreeSet<&str> = entries.iter().map(|e| e.key.as_str()).collect();

    for site in &sites {
        let template = match Template::parse(&site.text, template_name(&site.kind)) {
            Ok(t) => t,
            Err(e) => {
                let pos = if e.line > 0 {
                    l.map(site.scalar, site.fallback, e.line, e.column)
                } else {
                    site.fallback
                };
                l.push(
                    Diagnostic::error(
                        "velocity-syntax",
                        format!("Velocity syntax error in `{}`: {}", site.label, e.message),
                        &a.file,
                        pos,
                    )
                    .with_hint("every `#if`/`#foreach` needs its `#end`; write a literal `$` or `#` as `\\$` or `\\#`"),
                );
                continue;
            }
        };
        let refs = template.references();
        if site.kind == Kind::Success {
            l.success_rules(site, &template, &refs, &entries, &keys);
            continue;
        }
        if let Some(props) = &properties {
            let mut seen = BTreeSet::new();
            for r in refs.iter().filter(|r| r.root == "input" && !r.escaped) {
                let Some(name) = r.path.first() else { continue };
                if name.ends_with("()") || name == "[]" {
                    continue;
                }
                if props.contains_key(name)
                    || rejected.contains(name)
                    || RESERVED_INPUTS.contains(&name.as_str())
                    || !seen.insert(name.clone())
                {
                    continue;
                }
                let known: Vec<&str> = props.keys().map(String::as_str).collect();
                let hint = match super::reader::suggest(name, &known) {
                    Some(s) => format!("did you mean `{s}`? otherwise declare `{name}` in the inputs"),
                    None => format!("declare `{name}` in the inputs (a flow can only pass declared inputs)"),
                };
                let pos = l.map(site.scalar, site.fallback, r.line, r.column);
                l.push(
                    Diagnostic::error(
                        "undeclared-input",
                        format!(
                            "`{}` reads `${{input.{name}}}`, but the input contract has no `{name}`",
                            site.label
                        ),
                        &a.file,
                        pos,
                    )
                    .with_hint(hint),
                );
            }
        }
        match site.kind {
            Kind::Url => l.escaping_rule(site, &template, &refs, properties.as_ref(), Check::Url),
            Kind::Body if matches!(spec.config.request.request_type.as_str(), "POST" | "PUT" | "PATCH") => {
                let json_body = content_type(a).map_or_else(
                    || matches!(site.text.trim_start().chars().next(), Some('{' | '[')),
                    |ct| ct.to_ascii_lowercase().contains("json"),
                );
                if json_body {
                    l.escaping_rule(site, &template, &refs, properties.as_ref(), Check::Json);
                }
            }
            _ => {}
        }
    }
}

fn template_name(k: &Kind) -> &str {
    match k {
        Kind::Url => "requestUrlTemplate",
        Kind::Header(n) => n,
        Kind::Body => "requestTemplate",
        Kind::Success => "successTemplate",
    }
}

fn content_type(a: &ActionManifest) -> Option<String> {
    a.request
        .headers
        .as_ref()?
        .value
        .iter()
        .find(|(k, _)| k.value.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.value.clone())
}

fn quoted_yaml(json_text: &str) -> String {
    format!("'{}'", json_text.replace('\'', "''"))
}

/// The translation-map entries with positions (shorthand outputs or the raw maps).
fn entries(a: &ActionManifest, spec: &crate::model::ActionSpec) -> Vec<Entry> {
    match &a.contract {
        ContractForm::Shorthand { outputs, .. } => outputs
            .iter()
            .map(|o| {
                let default = spec
                    .config
                    .response
                    .translation_map_defaults
                    .as_ref()
                    .and_then(|m| m.get(&o.name.value))
                    .and_then(Value::as_str)
                    .map(|d| (d.to_string(), None));
                Entry { key: o.name.value.clone(), key_pos: o.name.pos, path: Some(o.from.clone()), default }
            })
            .collect(),
        ContractForm::Raw { translation_map, translation_map_defaults, .. } => {
            let defaults: Vec<(Sp<String>, Sp<String>)> =
                // Absent means empty here, as in Genesys (no value is the empty value).
                translation_map_defaults.as_ref().map(|m| m.value.clone()).unwrap_or_default();
            translation_map
                .as_ref()
                .map(|m| {
                    m.value
                        .iter()
                        .map(|(k, v)| Entry {
                            key: k.value.clone(),
                            key_pos: k.pos,
                            path: Some(v.clone()),
                            default: defaults
                                .iter()
                                .find(|(dk, _)| dk.value == k.value)
                                .map(|(_, dv)| (dv.value.clone(), Some(dv.clone()))),
                        })
                        .collect()
                })
                // Absent means empty here, as in Genesys (no value is the empty value).
                .unwrap_or_default()
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    Url,
    Json,
}

struct Lint<'a, 'd> {
    a: &'a ActionManifest,
    source: Option<&'a str>,
    diags: &'d mut Diagnostics,
}

impl Lint<'_, '_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The manifest position of `line`/`column` inside a template written as `scalar`.
    fn map(&self, scalar: Option<&Sp<String>>, fallback: Pos, line: u32, column: u32) -> Pos {
        let Some(sp) = scalar else { return fallback };
        map_position(self.source, sp, line, column).unwrap_or(sp.pos)
    }

    fn success_rules(
        &mut self,
        site: &Site<'_>,
        template: &Template,
        refs: &[crate::velocity::Reference],
        entries: &[Entry],
        keys: &BTreeSet<&str>,
    ) {
        let file = self.a.file.clone();
        let locals = local_names(&site.text);
        let mut reported = BTreeSet::new();
        for r in refs {
            if r.escaped || keys.contains(r.root.as_str()) || r.root == "rawResult" {
                continue;
            }
            if BUILTIN_VARS.contains(&r.root.as_str()) || locals.contains(&r.root) {
                continue;
            }
            // `#if($x)` on an unset variable is allowed even with strict references.
            if r.in_directive && r.path.is_empty() {
                continue;
            }
            if !reported.insert(r.root.clone()) {
                continue;
            }
            let known: Vec<&str> = keys.iter().copied().collect();
            let hint = match super::reader::suggest(&r.root, &known) {
                Some(s) => format!("did you mean `${{{s}}}`? the translation map defines {}", list(&known)),
                None if known.is_empty() => {
                    "the translation map is empty: add a key for it, or use `${rawResult}`".to_string()
                }
                None => format!("the translation map defines {}; add `{}` to it", list(&known), r.root),
            };
            let pos = self.map(site.scalar, site.fallback, r.line, r.column);
            self.push(
                Diagnostic::error(
                    "unmapped-variable",
                    format!(
                        "the success template reads `${}`, which no translation-map key provides (Genesys fails step 10: \"Variable ${} has not been set\")",
                        r.root, r.root
                    ),
                    &file,
                    pos,
                )
                .with_hint(hint),
            );
        }
        let used: BTreeSet<&str> = refs.iter().map(|r| r.root.as_str()).collect();
        for e in entries {
            if !used.contains(e.key.as_str()) {
                self.push(
                    Diagnostic::warning(
                        "unused-translation-key",
                        format!("translation-map key `{}` is never used by the success template", e.key),
                        &file,
                        e.key_pos,
                    )
                    .with_hint(format!("use `${{{}}}` in the success template, or remove the key", e.key)),
                );
            }
        }
        // Render with every value null, then with the defaults, and parse the result.
        let scenarios: Vec<(String, Vec<(String, String)>)> = {
            let nulls: Vec<(String, String)> =
                entries.iter().map(|e| (e.key.clone(), "null".to_string())).collect();
            let mut s = vec![("when every translation value is null".to_string(), nulls)];
            let with_defaults: Vec<&Entry> = entries.iter().filter(|e| e.default.is_some()).collect();
            if !with_defaults.is_empty() {
                let vals = entries
                    .iter()
                    .map(|e| {
                        (
                            e.key.clone(),
                            e.default.as_ref().map_or_else(|| "null".to_string(), |(d, _)| d.clone()),
                        )
                    })
                    .collect();
                let names: Vec<&str> = with_defaults.iter().map(|e| e.key.as_str()).collect();
                let verb = if names.len() == 1 { "takes its default" } else { "take their defaults" };
                s.push((format!("when {} {verb}", list(&names)), vals));
            }
            s
        };
        for (when, vals) in scenarios {
            let mut ctx = Context::new();
            for (k, v) in vals {
                ctx.insert(k, VValue::string(v));
            }
            ctx.insert("rawResult", VValue::string("{}"));
            ctx.bind_tools(ToolSet::Genesys);
            let Ok(out) = template.render(&ctx, &RenderOptions::strict()) else { continue };
            if let Err(e) = crate::exec::parse_json(&out) {
                let shown: String = out.chars().take(120).collect();
                self.push(
                    Diagnostic::warning(
                        "invalid-json-output",
                        format!("the success template renders invalid JSON {when}: {e} in `{shown}`"),
                        &file,
                        site.fallback,
                    )
                    .with_hint("translation values are inserted as JSON text: leave `${x}` unquoted, write defaults as JSON (`'\"\"'`, `'0'`, `'null'`), and check `#if` branches"),
                );
                break;
            }
        }
    }

    /// Renders `site` with a marker per string input and reports inputs whose marker comes
    /// out unescaped.
    fn escaping_rule(
        &mut self,
        site: &Site<'_>,
        template: &Template,
        refs: &[crate::velocity::Reference],
        properties: Option<&Map<String, Value>>,
        check: Check,
    ) {
        let Some(props) = properties else { return };
        let mut input = Map::new();
        input.insert("rawRequest".into(), Value::String("{}".into()));
        input.insert("orgId".into(), Value::String("org".into()));
        input.insert("integrationId".into(), Value::String("integration".into()));
        let mut markers = Vec::new();
        for (i, (name, p)) in props.iter().enumerate() {
            let ty = p.get("type").and_then(Value::as_str).unwrap_or("string");
            let v = match ty {
                "integer" => Value::from(1),
                "number" => Value::from(1.5),
                "boolean" => Value::Bool(true),
                _ => {
                    let m = format!("gcsync{i}q\"b\\s /?#&x{i}");
                    markers.push((name.clone(), m.clone()));
                    Value::String(m)
                }
            };
            input.insert(name.clone(), v);
        }
        if markers.is_empty() {
            return;
        }
        let mut ctx = Context::new();
        ctx.insert("input", VValue::from(&Value::Object(input)));
        ctx.insert("credentials", VValue::from(&Value::Object(Map::new())));
        ctx.insert("authResponse", VValue::from(&Value::Object(Map::new())));
        ctx.bind_tools(ToolSet::Genesys);
        let Ok(out) = template.render(&ctx, &RenderOptions::default()) else { return };
        let file = self.a.file.clone();
        // The markers hold `"` and `\`: where one comes out raw it must not count as a quote
        // when deciding whether *another* marker sits inside a JSON string (issue 13.13).
        let mut neutral = out.clone();
        for (i, (_, marker)) in markers.iter().enumerate() {
            neutral = neutral.replace(marker.as_str(), &format!("gcsyncmarker{i}z"));
        }
        for (i, (name, marker)) in markers.into_iter().enumerate() {
            let Some(at) = out.find(&marker) else { continue };
            if check == Check::Json {
                let inside = neutral
                    .find(&format!("gcsyncmarker{i}z"))
                    .is_some_and(|n_at| inside_json_string(&neutral, n_at));
                if !inside {
                    continue; // spliced in as raw JSON on purpose (`[ ${input.items} ]`)
                }
            }
            if check == Check::Url {
                let after_scheme = out.find("://").map_or(0, |i| i + 3);
                let path_start =
                    out.get(after_scheme..).and_then(|s| s.find('/')).map_or(out.len(), |i| i + after_scheme);
                if at < path_start {
                    continue; // the base URL or host itself
                }
            }
            let pos = refs
                .iter()
                .find(|r| r.root == "input" && r.path.first() == Some(&name))
                .map_or(site.fallback, |r| self.map(site.scalar, site.fallback, r.line, r.column));
            let d = match check {
                Check::Url => Diagnostic::warning(
                    "unescaped-input-url",
                    format!("`${{input.{name}}}` is inserted into the URL unescaped; a value with `/`, `?`, `#`, `&` or a space changes the request"),
                    &file,
                    pos,
                )
                .with_hint(format!("write `$esc.url(${{input.{name}}})` (Genesys does not escape for you)")),
                Check::Json => Diagnostic::warning(
                    "unescaped-input-json",
                    format!("`${{input.{name}}}` is inserted into the JSON body unescaped; a value with `\"` or `\\` breaks the JSON"),
                    &file,
                    pos,
                )
                .with_hint(format!("write `\"$esc.jsonString(${{input.{name}}})\"` (Genesys does not escape for you)")),
            };
            self.push(d);
        }
    }
}

/// Whether byte offset `at` of `text` lies inside a JSON string literal.
fn inside_json_string(text: &str, at: usize) -> bool {
    let mut inside = false;
    let mut escaped = false;
    for c in text.get(..at).unwrap_or("").chars() {
        if inside && escaped {
            escaped = false;
        } else if inside && c == '\\' {
            escaped = true;
        } else if c == '"' {
            inside = !inside;
        }
    }
    inside
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        return "nothing".into();
    }
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// Names a template defines itself (`#set($x ...)`, `#foreach($x in ...)`, macro parameters).
fn local_names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let set_re = regex::Regex::new(r"#\{?(?:set|foreach)\}?\s*\(\s*\$!?\{?([A-Za-z][A-Za-z0-9_-]*)");
    let macro_re = regex::Regex::new(r"#\{?macro\}?\s*\(([^)]*)\)");
    let var_re = regex::Regex::new(r"\$!?\{?([A-Za-z][A-Za-z0-9_-]*)");
    if let Ok(re) = set_re {
        for c in re.captures_iter(text) {
            if let Some(m) = c.get(1) {
                out.insert(m.as_str().to_string());
            }
        }
    }
    if let (Ok(mre), Ok(vre)) = (macro_re, var_re) {
        for c in mre.captures_iter(text) {
            if let Some(args) = c.get(1) {
                for v in vre.captures_iter(args.as_str()) {
                    if let Some(m) = v.get(1) {
                        out.insert(m.as_str().to_string());
                    }
                }
            }
        }
    }
    out
}

/// Maps a 1-based `line`/`column` inside the template written as `sp` to a manifest
/// position, when the source text confirms the mapping (plain and literal-block scalars; a
/// quoted scalar's first line when it has no escapes before the column).
#[must_use]
pub fn map_position(source: Option<&str>, sp: &Sp<String>, line: u32, column: u32) -> Option<Pos> {
    let source = source?;
    let tline = sp.value.split('\n').nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let src_line_no = sp.pos.line.checked_add(line)?.checked_sub(1)?;
    let src_line = source.split('\n').nth(usize::try_from(src_line_no).ok()?.checked_sub(1)?)?;
    let start_col = usize::try_from(sp.pos.column).ok()?.checked_sub(1)?;
    let rest: String = src_line.chars().skip(start_col).collect();
    let quoted = line == 1 && (rest.starts_with('"') || rest.starts_with('\''));
    let (rest, offset) = if quoted { (rest.chars().skip(1).collect::<String>(), 1) } else { (rest, 0) };
    let col = usize::try_from(column).ok()?;
    // The template text up to the column must be on the source line verbatim.
    let prefix: String = tline.chars().take(col).collect();
    if !rest.starts_with(prefix.trim_end_matches('\r')) {
        return None;
    }
    Some(Pos::new(src_line_no, sp.pos.column + u32::try_from(offset + col).ok()? - 1))
}

/// The severities by code (for callers that only count).
#[must_use]
pub fn severity_of(code: &str) -> Option<Severity> {
    match code {
        "velocity-syntax" | "jsonpath-syntax" | "undeclared-input" | "unmapped-variable" => {
            Some(Severity::Error)
        }
        c if CODES.contains(&c) => Some(Severity::Warning),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ManifestSet;
    use std::path::PathBuf;

    fn lint(yaml: &str) -> Vec<(String, u32, u32)> {
        let mut set = ManifestSet::default();
        let mut diags = Diagnostics::new();
        let file = PathBuf::from("a.yaml");
        crate::manifest::parse::parse_file(&file, yaml, &mut set, &mut diags);
        assert!(!diags.has_errors(), "{:?}", diags.sorted());
        let mut d = Diagnostics::new();
        lint_action(&set.actions[0], Some(yaml), &mut d);
        d.sorted().iter().map(|x| (x.code.to_string(), x.line, x.column)).collect()
    }

    #[test]
    fn fetch_user_profile_is_clean() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/manifests/fetch-user-profile.yaml"
        ))
        .unwrap();
        assert_eq!(lint(&text), vec![]);
    }

    #[test]
    fn template_positions_map_into_the_manifest() {
        let y = "kind: DataAction\nname: A\nintegration: I\nrequest:\n  method: POST\n  url: https://x/${input.id}/#if(\n  body: |\n    {\"a\": \"${input.nme}\",\n     \"b\": \"${input.id}\"}\ninputs: {id: {type: string}, name: {type: string}}\noutputs: {nm: {type: string, from: '$.a b'}}\n";
        let got = lint(y);
        assert!(got.contains(&("velocity-syntax".into(), 6, 33)), "{got:?}");
        assert!(got.contains(&("undeclared-input".into(), 8, 12)), "{got:?}");
        assert!(got.contains(&("unescaped-input-json".into(), 9, 12)), "{got:?}");
        assert!(got.contains(&("jsonpath-syntax".into(), 11, 39)), "{got:?}");
    }

    #[test]
    fn success_template_rules() {
        let y = "kind: DataAction\nname: A\nintegration: I\nrequest: {method: GET, url: 'https://x'}\ncontract:\n  input: {type: object, properties: {}}\n  output: {type: object}\nresponse:\n  translationMap: {Presence: $.p, spare: $.s, code: $.c}\n  translationMapDefaults: {code: UNKNOWN}\n  successTemplate: '{\"PresenceArray\" : $Presences, \"code\": ${code}}'\n";
        let got = lint(y);
        let codes: Vec<&str> = got.iter().map(|(c, _, _)| c.as_str()).collect();
        assert_eq!(
            codes,
            ["unused-translation-key", "unused-translation-key", "default-not-json", "unmapped-variable"],
            "{got:?}"
        );
        // `$Presences` is column 21 of the template; the quoted scalar starts at column 20.
        assert_eq!(got[3], ("unmapped-variable".into(), 11, 40));
    }

    #[test]
    fn invalid_json_with_defaults() {
        let y = "kind: DataAction\nname: A\nintegration: I\nrequest: {method: GET, url: 'https://x'}\ncontract:\n  input: {type: object, properties: {}}\n  output: {type: object}\nresponse:\n  translationMap: {code: $.c}\n  translationMapDefaults: {code: UNKNOWN}\n  successTemplate: '{\"code\": ${code}}'\n";
        let got = lint(y);
        assert!(got.iter().any(|(c, _, _)| c == "invalid-json-output"), "{got:?}");
    }

    #[test]
    fn escaping_rules_skip_base_urls_and_escaped_values() {
        let y = "kind: DataAction\nname: A\nintegration: I\nrequest:\n  method: POST\n  url: ${input.base}/u/${input.id}?q=$esc.url(${input.q})\n  headers: {Content-Type: application/json}\n  body: '{\"id\": \"$esc.jsonString(${input.id})\", \"n\": ${input.count}}'\ninputs: {base: {type: string}, id: {type: string}, q: {type: string}, count: {type: integer}}\noutputs: {}\n";
        let got = lint(y);
        assert_eq!(got, vec![("unescaped-input-url".into(), 6, 24)], "{got:?}");
    }

    #[test]
    fn every_unescaped_json_input_is_reported() {
        // Issue 13.13: the marker of `a` holds a `"`, which used to flip the string parity
        // for `b`, so only every other input was reported.
        let y = "kind: DataAction\nname: A\nintegration: I\nrequest:\n  method: POST\n  url: https://x\n  headers: {Content-Type: application/json}\n  body: '{\"a\": \"${input.a}\", \"b\": \"${input.b}\", \"c\": \"${input.c}\"}'\ninputs: {a: {type: string}, b: {type: string}, c: {type: string}}\noutputs: {}\n";
        let got = lint(y);
        let json: Vec<u32> =
            got.iter().filter(|(c, _, _)| c == "unescaped-input-json").map(|(_, _, col)| *col).collect();
        assert_eq!(json.len(), 3, "{got:?}");
    }

    #[test]
    fn a_wrongly_typed_input_is_still_declared() {
        // Issue 13.14: `{type: str}` is an `input-type` error, not also an `undeclared-input`.
        let y = "kind: DataAction\nname: A\nintegration: I\nrequest: {method: GET, url: 'https://x/$esc.url(${input.id})'}\ninputs: {id: {type: str}}\noutputs: {}\n";
        let mut set = ManifestSet::default();
        let mut diags = Diagnostics::new();
        crate::manifest::parse::parse_file(&PathBuf::from("a.yaml"), y, &mut set, &mut diags);
        let parse_codes: Vec<String> = diags.sorted().iter().map(|d| d.code.to_string()).collect();
        assert_eq!(parse_codes, ["input-type"]);
        let mut d = Diagnostics::new();
        lint_action(&set.actions[0], Some(y), &mut d);
        let codes: Vec<String> = d.sorted().iter().map(|x| x.code.to_string()).collect();
        assert!(!codes.contains(&"undeclared-input".to_string()), "{codes:?}");
    }

    #[test]
    fn locals_and_guards_are_not_unmapped() {
        let y = "kind: DataAction\nname: A\nintegration: I\nrequest: {method: GET, url: 'https://x'}\ncontract:\n  input: {type: object, properties: {}}\n  output: {type: object}\nresponse:\n  translationMap: {items: '$.items'}\n  successTemplate: '#set($n = 0)#foreach($i in [1])#end#if($maybe)x#end{\"n\": $n, \"items\": ${items}}'\n";
        assert_eq!(lint(y), vec![]);
    }
}
