//! Genesys action JSON → manifest YAML, losslessly.
//!
//! Owns: reading both shapes Genesys produces — the UI export (`integrationType`,
//! `actionType`, no ids) and the API `Action` (ids, version, `*Uri` fields) — and writing
//! a manifest that compiles back to the same action (apart from org-specific fields: id,
//! integrationId, version, selfUri, `*Uri`, `*Flattened`). The shorthand form is used only
//! when it reproduces the action byte for byte; otherwise the raw form. Every conversion
//! is verified by parsing the YAML it wrote and comparing the compiled result with the
//! source; a mismatch is an error, never a silently different action.
//! Must not: do I/O (the `convert`/`import`/`export` commands read and write files).

use crate::diag::Diagnostics;
use crate::manifest::{self, ManifestSet};
use crate::model::{Action, ActionSpec, DEFAULT_REQUEST_TEMPLATE, digest};
use crate::yaml::Emitter;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// Fields that only make sense in the org the action came from (dropped on conversion).
pub const ORG_SPECIFIC: [&str; 6] =
    ["id", "integrationId", "version", "selfUri", "integrationType", "actionType"];

/// Options for a conversion.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The integration name to write (the source JSON has at most an id).
    pub integration: Option<String>,
    /// A comment line naming where the action came from.
    pub source_note: Option<String>,
    /// A function data action: its published settings and where its code must go.
    pub function: Option<FunctionExport>,
}

/// What a manifest of a function data action gets that the action JSON does not hold.
#[derive(Debug, Clone)]
pub struct FunctionExport {
    /// The published `Function` settings (`handler`, `runtime`, `timeoutSeconds`,
    /// `description`).
    pub settings: Value,
    /// The `source:` to write (relative to the manifest): a directory the user fills, since
    /// the platform never gives code back.
    pub source: String,
}

/// One converted action.
#[derive(Debug, Clone)]
pub struct Converted {
    /// Action name.
    pub name: String,
    /// The manifest YAML (one document).
    pub yaml: String,
    /// Whether the shorthand form was used.
    pub shorthand: bool,
    /// Things the user should know (e.g. a guessed integration name).
    pub notes: Vec<String>,
    /// Lint errors the action already carried, per rule: the manifest allows each with a
    /// `# gcsync:allow RULE -- present in the org when exported; ...` line, so that it
    /// validates (the callers print a per-rule summary).
    pub allowed: BTreeMap<String, usize>,
    /// The manifest is a `kind: Integration` (a custom auth action, written as the
    /// `authAction` of its integration's `userDefinedOAuth` credential); `name` is the
    /// integration's.
    pub integration: bool,
}

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not JSON.
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Parser message.
        message: String,
    },
    /// The JSON is not a data action.
    #[error("not a Genesys data action: {0}")]
    NotAnAction(String),
    /// A template came back only as a URI; writing it would lose the template.
    #[error("`{0}` is only present as a URI (`{0}Uri`); refusing to write an empty template")]
    TemplateOnlyUri(&'static str),
    /// The round-trip check failed (a bug in gcsync; nothing was written).
    #[error("conversion of `{name}` would not be lossless (field `{field}` differs); nothing written")]
    NotLossless {
        /// Action name.
        name: String,
        /// The first differing field.
        field: String,
    },
}

/// Splits a JSON text into action objects: one object, an array of them, or an entity
/// listing (`{"entities": [...]}`).
pub fn parse_actions(text: &str) -> Result<Vec<Value>, Error> {
    if text.trim().is_empty() {
        return Err(Error::NotAnAction("the file is empty".into()));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| Error::Json {
        line: e.line(),
        column: e.column(),
        // `split` yields at least one piece.
        message: e.to_string().split(" at line").next().unwrap_or_default().to_string(),
    })?;
    let actions = match value {
        Value::Array(items) => items,
        Value::Object(ref m)
            if m.get("entities").is_some_and(Value::is_array) && !m.contains_key("config") =>
        {
            // The guard just checked that `entities` is an array.
            m.get("entities").and_then(Value::as_array).cloned().unwrap_or_default()
        }
        Value::Object(_) => vec![value],
        other => {
            return Err(Error::NotAnAction(format!(
                "expected a JSON object, found {}",
                crate::model::json_kind(&other)
            )));
        }
    };
    if actions.is_empty() {
        return Err(Error::NotAnAction("the file holds no actions (an empty list)".into()));
    }
    Ok(actions)
}

/// The default integration name for an exported action's integration type (the names
/// Genesys gives these integrations when an org installs them).
fn default_integration(integration_type: Option<&str>) -> &'static str {
    match integration_type {
        Some("purecloud-data-actions") => "Genesys Cloud Data Actions",
        Some("custom-rest-actions") | None => "Web Services Data Actions",
        Some(_) => "Data Actions",
    }
}

/// The source action as a spec, with the integration name chosen by `opts`.
pub fn source_spec(value: &Value, opts: &Options) -> Result<(ActionSpec, Vec<String>), Error> {
    let obj = value.as_object().ok_or_else(|| {
        Error::NotAnAction(format!("expected an object, found {}", crate::model::json_kind(value)))
    })?;
    if !obj.contains_key("config") || !obj.contains_key("name") {
        return Err(Error::NotAnAction("an action has `name` and `config`".into()));
    }
    check_types(value)?;
    let action: Action = serde_json::from_value(value.clone())
        .map_err(|e| Error::NotAnAction(format!("a field has the wrong type ({e})")))?;
    let mut notes = Vec::new();
    // An action JSON without `config` (a list entry): converted with an empty one, which the round-trip check then refuses unless it really is empty.
    let config = action.config.clone().unwrap_or_default();
    if config.request.request_template.is_none() && config.request.request_template_uri.is_some() {
        return Err(Error::TemplateOnlyUri("requestTemplate"));
    }
    if config.response.success_template.is_none() && config.response.success_template_uri.is_some() {
        return Err(Error::TemplateOnlyUri("successTemplate"));
    }
    let integration = match &opts.integration {
        Some(i) => i.clone(),
        None => {
            let t = obj.get("integrationType").and_then(Value::as_str);
            let guess = default_integration(t).to_string();
            notes.push(format!(
                "integration set to `{guess}` (the JSON names none); pass --integration to choose"
            ));
            guess
        }
    };
    for (k, _) in &action.extra {
        if !ORG_SPECIFIC.contains(&k.as_str()) {
            notes.push(format!("field `{k}` is not part of a manifest and was dropped"));
        }
    }
    // No contract: nothing of it can be dropped.
    notes.extend(dropped_notes(&config, &action.contract.clone().unwrap_or_default()));
    let mut spec = action.to_spec();
    spec.integration = integration.clone();
    if !obj.contains_key("category") {
        spec.category = integration;
    }
    Ok((spec, notes))
}

/// JSON types of the fields gcsync reads, checked before deserializing so that a wrong type
/// is reported with its path (`null` is accepted where the field is optional).
const FIELD_TYPES: [(&[&str], &str, bool); 21] = [
    (&["name"], "string", false),
    (&["category"], "string", false),
    (&["id"], "string", false),
    (&["integrationId"], "string", false),
    (&["secure"], "boolean", false),
    (&["version"], "integer", false),
    (&["selfUri"], "string", true),
    (&["config"], "object", true),
    (&["config", "timeoutSeconds"], "integer", true),
    (&["config", "request"], "object", false),
    (&["config", "request", "requestUrlTemplate"], "string", false),
    (&["config", "request", "requestType"], "string", false),
    (&["config", "request", "requestTemplate"], "string", true),
    (&["config", "request", "headers"], "object", true),
    (&["config", "response"], "object", false),
    (&["config", "response", "translationMap"], "object", true),
    (&["config", "response", "translationMapDefaults"], "object", true),
    (&["config", "response", "successTemplate"], "string", true),
    (&["contract"], "object", true),
    (&["contract", "input"], "object", false),
    (&["contract", "output"], "object", false),
];

fn check_types(value: &Value) -> Result<(), Error> {
    for (path, want, nullable) in FIELD_TYPES {
        let mut node = Some(value);
        for seg in path {
            node = node.and_then(|n| n.get(seg));
        }
        let Some(node) = node else { continue };
        let ok = match want {
            "string" => node.is_string(),
            "boolean" => node.is_boolean(),
            "integer" => node.is_i64(),
            _ => node.is_object(),
        } || (nullable && node.is_null());
        if !ok {
            return Err(Error::NotAnAction(format!(
                "`{}` must be {} {want}, found {}",
                path.join("."),
                if matches!(want, "integer" | "object") { "an" } else { "a" },
                crate::model::json_kind(node)
            )));
        }
    }
    Ok(())
}

/// Read-only fields Genesys computes and returns (`*Uri`, `*Flattened`, `errorSchema`).
fn read_only(key: &str) -> bool {
    key.ends_with("Uri") || key.ends_with("Flattened") || key == "errorSchema"
}

/// One note per kind of unmodelled field inside `config` and `contract`, naming each by path.
fn dropped_notes(config: &crate::model::ActionConfig, contract: &crate::model::Contract) -> Vec<String> {
    let parts: [(&str, &crate::model::Extra); 6] = [
        ("config", &config.extra),
        ("config.request", &config.request.extra),
        ("config.response", &config.response.extra),
        ("contract", &contract.extra),
        ("contract.input", &contract.input.extra),
        ("contract.output", &contract.output.extra),
    ];
    let (mut unknown, mut computed) = (Vec::new(), Vec::new());
    for (prefix, extra) in parts {
        for key in extra.keys() {
            let path = format!("`{prefix}.{key}`");
            if read_only(key) { computed.push(path) } else { unknown.push(path) }
        }
    }
    let mut notes = Vec::new();
    if !unknown.is_empty() {
        notes.push(format!(
            "dropped {}: Genesys's action config and contract have no such field{} (the API ignores {}), so a manifest cannot carry {}",
            unknown.join(", "),
            if unknown.len() == 1 { "" } else { "s" },
            if unknown.len() == 1 { "it" } else { "them" },
            if unknown.len() == 1 { "it" } else { "them" },
        ));
    }
    if !computed.is_empty() {
        notes.push(format!(
            "dropped {}: read-only, Genesys computes {} from the action",
            computed.join(", "),
            if computed.len() == 1 { "it" } else { "them" },
        ));
    }
    notes
}

/// Converts one action JSON object into a manifest document.
pub fn convert_action(value: &Value, opts: &Options) -> Result<Converted, Error> {
    let (mut spec, mut notes) = source_spec(value, opts)?;
    if opts.function.is_none() && is_custom_auth(value, &spec) {
        return custom_auth(&spec, notes, opts);
    }
    if opts.function.is_some() {
        // The platform generates a function action's request URL.
        spec.config.request.request_url_template = String::new();
    }
    let mut candidates = Vec::new();
    if let Some(doc) = shorthand_document(&spec) {
        candidates.push((true, doc));
    }
    candidates.push((false, raw_document(&spec)));
    if let Some(f) = &opts.function {
        for (_, doc) in &mut candidates {
            *doc = with_function(doc, f);
        }
    }
    let mut last_err = None;
    for (shorthand, doc) in candidates {
        let emit = |allow: &[String]| {
            let mut e = Emitter::new();
            if let Some(note) = &opts.source_note {
                e.comment(note);
            }
            if let Some(f) = &opts.function {
                e.comment(&format!(
                    "Genesys never gives a function's code back: put this action's code in `{}` (the handler's module included) before `gcsync plan`; `gcsync validate` reports the source missing until then. The first apply uploads it once.",
                    f.source
                ));
            }
            for line in allow {
                e.comment(line);
            }
            e.document(&doc);
            e.finish()
        };
        let yaml = emit(&[]);
        match verify(&yaml, &spec, shorthand) {
            Ok(()) => {
                let allowed = lint_errors(&yaml);
                let yaml = if allowed.is_empty() {
                    yaml
                } else {
                    let with_allowances = emit(&manifest::project::allowance_lines(&allowed));
                    verify(&with_allowances, &spec, shorthand)?;
                    with_allowances
                };
                return Ok(Converted {
                    name: spec.name.clone(),
                    yaml,
                    shorthand,
                    notes: std::mem::take(&mut notes),
                    allowed,
                    integration: false,
                });
            }
            Err(err) => last_err = Some(err),
        }
    }
    Err(last_err.unwrap_or(Error::NotLossless { name: spec.name.clone(), field: "?".into() }))
}

/// Whether the JSON is a custom auth action (the one Genesys creates for a `userDefinedOAuth`
/// credential, id `customAuth_-_<integrationId>`, contract fixed by the platform): its id
/// says so, or it has no contract at all while its templates read `credentials.*` (an
/// ordinary action cannot be created without a contract).
fn is_custom_auth(value: &Value, spec: &ActionSpec) -> bool {
    if value.get("id").and_then(Value::as_str).is_some_and(|id| id.starts_with("customAuth_-_")) {
        return true;
    }
    let no_contract =
        spec.contract.input.input_schema.is_none() && spec.contract.output.success_schema.is_none();
    no_contract && !credential_fields(spec).is_empty()
}

/// The credential fields the request templates read (`${credentials.NAME}`,
/// `$credentials.NAME`, `$!{credentials.NAME}`), in order of first use.
fn credential_fields(spec: &ActionSpec) -> Vec<String> {
    let req = &spec.config.request;
    let mut texts: Vec<&str> = vec![req.request_url_template.as_str()];
    texts.extend(req.request_template.as_deref());
    if let Some(h) = &req.headers {
        texts.extend(h.values().filter_map(Value::as_str));
    }
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        for (i, _) in text.match_indices("credentials.") {
            let before = text[..i].chars().next_back();
            if !matches!(before, Some('$' | '{')) {
                continue;
            }
            let name: String = text[i + "credentials.".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// `CLIENT_ID` for `clientId` (the environment variable a converted credential field names).
fn env_word(text: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower {
                out.push('_');
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_uppercase());
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    out.trim_end_matches('_').to_string()
}

/// A custom auth action as gcsync manages it: the `authAction` of its integration's
/// `userDefinedOAuth` credential (`kind: Integration`), each credential field the templates
/// read taken from an environment variable. Checked by parsing it back, as actions are.
fn custom_auth(spec: &ActionSpec, mut notes: Vec<String>, opts: &Options) -> Result<Converted, Error> {
    let name = spec.integration.clone();
    let fields = credential_fields(spec);
    let prefix = env_word(&name);
    let vars: Vec<(String, String)> = fields
        .iter()
        .map(|f| {
            (f.clone(), if prefix.is_empty() { env_word(f) } else { format!("{prefix}_{}", env_word(f)) })
        })
        .collect();
    let header = header(spec);
    // `header` always writes `request`; an empty one would fail the check below anyway.
    let request = header.get("request").cloned().unwrap_or_else(|| json!({}));
    let mut response = response_map(&spec.config.response);
    // The default success template is what compiling leaves in when it is absent.
    if response.get("successTemplate") == Some(&json!(crate::model::DEFAULT_SUCCESS_TEMPLATE)) {
        response.remove("successTemplate");
    }
    let mut auth = Map::new();
    auth.insert("request".into(), request);
    if !response.is_empty() {
        auth.insert("response".into(), Value::Object(response));
    }
    let field_map: Map<String, Value> = vars.iter().map(|(f, v)| (f.clone(), json!({"env": v}))).collect();
    let mut credential = Map::new();
    credential.insert("type".into(), json!("userDefinedOAuth"));
    credential.insert("fields".into(), Value::Object(field_map));
    credential.insert("authAction".into(), Value::Object(auth));
    let mut doc = Map::new();
    doc.insert("kind".into(), json!("Integration"));
    doc.insert("name".into(), json!(name));
    doc.insert("type".into(), json!("custom-rest-actions"));
    doc.insert("credential".into(), Value::Object(credential));
    let mut e = Emitter::new();
    if let Some(note) = &opts.source_note {
        e.comment(note);
    }
    e.comment(&format!(
        "The custom auth action `{}` (User Defined OAuth): Genesys creates it with its integration, so gcsync manages it as the `authAction` of the integration's credential. Set {} where gcsync runs.",
        spec.name,
        if vars.is_empty() {
            "the credential's fields".to_string()
        } else {
            vars.iter().map(|(_, v)| format!("`{v}`")).collect::<Vec<_>>().join(", ")
        }
    ));
    e.document(&Value::Object(doc));
    let yaml = e.finish();
    // Parse it back: the authAction must compile to exactly the source's request and response.
    let mut set = ManifestSet::default();
    let mut diags = Diagnostics::new();
    manifest::parse::parse_file(Path::new("<converted>"), &yaml, &mut set, &mut diags);
    let lossy = |field: &str| Error::NotLossless { name: spec.name.clone(), field: field.to_string() };
    let back =
        set.integrations.first().map(manifest::integration::compile).ok_or_else(|| lossy("document"))?;
    let auth = back.credential.and_then(|c| c.auth_action).ok_or_else(|| lossy("authAction"))?;
    let mut want_request = spec.config.request.clone();
    want_request.request_template = Some(
        want_request
            .request_template
            .clone()
            .unwrap_or_else(|| crate::model::DEFAULT_REQUEST_TEMPLATE.to_string()),
    );
    let mut want_response = spec.config.response.clone();
    want_response.success_template = Some(
        want_response
            .success_template
            .clone()
            .unwrap_or_else(|| crate::model::DEFAULT_SUCCESS_TEMPLATE.to_string()),
    );
    if !same_json(&want_request, &auth.request) {
        return Err(lossy("authAction.request"));
    }
    if !same_json(&want_response, &auth.response) {
        return Err(lossy("authAction.response"));
    }
    if diags.has_errors() {
        return Err(lossy("document"));
    }
    if spec.config.timeout_seconds.is_some() {
        notes.push("`timeoutSeconds` was dropped: Genesys does not allow it on a custom auth action".into());
    }
    if spec.category != spec.integration {
        notes.push(format!(
            "category `{}` was dropped: the custom auth action has none of its own",
            spec.category
        ));
    }
    notes.push(format!(
        "a custom auth action: written as the `authAction` of integration `{name}` (`kind: Integration`, credential `userDefinedOAuth`)"
    ));
    Ok(Converted { name, yaml, shorthand: false, notes, allowed: BTreeMap::new(), integration: true })
}

/// Whether two configs are equal in their JSON form (a config that cannot be serialized
/// equals nothing).
fn same_json<A: serde::Serialize, B: serde::Serialize>(a: &A, b: &B) -> bool {
    matches!((serde_json::to_value(a), serde_json::to_value(b)), (Ok(x), Ok(y)) if x == y)
}

/// A document with a `function:` block after `integration:` and a request without `url`
/// (and without `method` when it is the function's POST).
fn with_function(doc: &Value, f: &FunctionExport) -> Value {
    let Some(map) = doc.as_object() else { return doc.clone() };
    let mut block = Map::new();
    block.insert("source".into(), json!(f.source));
    for key in ["handler", "runtime", "timeoutSeconds", "description"] {
        if let Some(v) = f.settings.get(key).filter(|v| !v.is_null()) {
            block.insert(key.into(), v.clone());
        }
    }
    let mut out = Map::new();
    for (k, v) in map {
        match k.as_str() {
            "request" if v.is_object() => {
                let mut r = v.as_object().cloned().into_iter().flatten().collect::<Map<String, Value>>();
                r.remove("url");
                if r.get("method").and_then(Value::as_str) == Some(crate::manifest::function::FUNCTION_METHOD)
                {
                    r.remove("method");
                }
                if !r.is_empty() {
                    out.insert(k.clone(), Value::Object(r));
                }
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
        if k == "integration" {
            out.insert("function".into(), Value::Object(block.clone()));
        }
    }
    Value::Object(out)
}

/// One line summing up, per rule, the findings the written manifests allow (`None` when
/// none): `convert`, `import` and `export` print it.
#[must_use]
pub fn allowed_summary<'a>(allowed: impl IntoIterator<Item = &'a BTreeMap<String, usize>>) -> Option<String> {
    let mut manifests = 0usize;
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for a in allowed {
        if a.is_empty() {
            continue;
        }
        manifests += 1;
        for code in a.keys() {
            *per_rule.entry(code.as_str()).or_default() += 1;
        }
    }
    if manifests == 0 {
        return None;
    }
    let rules: Vec<String> = per_rule.iter().map(|(c, n)| format!("{c} {n}")).collect();
    Some(format!(
        "{manifests} {} lint errors the action{} already had in the org ({}): each carries a `# gcsync:allow RULE -- {}` line",
        if manifests == 1 { "manifest allows" } else { "manifests allow" },
        if manifests == 1 { "" } else { "s" },
        rules.join(", "),
        manifest::project::GENERATED_REASON
    ))
}

/// The lint errors (rules a manifest may allow; [`manifest::project::LINT_RULES`]) of a
/// written manifest, per rule: what the action carried in the org.
fn lint_errors(yaml: &str) -> BTreeMap<String, usize> {
    let mut set = ManifestSet::default();
    let mut diags = Diagnostics::new();
    manifest::parse::parse_file(Path::new("<converted>"), yaml, &mut set, &mut diags);
    manifest::check::check_actions(&set.actions, Some(yaml), &mut diags);
    let mut out = BTreeMap::new();
    for d in diags.as_slice() {
        if d.severity == crate::diag::Severity::Error && manifest::project::LINT_RULES.contains(&d.code) {
            *out.entry(d.code.to_string()).or_default() += 1;
        }
    }
    out
}

/// Parses the written YAML back and compares it with the source, field by field, and the
/// schemas key order included.
fn verify(yaml: &str, spec: &ActionSpec, exact_shorthand: bool) -> Result<(), Error> {
    let mut set = ManifestSet::default();
    let mut diags = Diagnostics::new();
    manifest::parse::parse_file(Path::new("<converted>"), yaml, &mut set, &mut diags);
    let lossy = |field: &str| Error::NotLossless { name: spec.name.clone(), field: field.to_string() };
    let Some(m) = set.actions.first() else {
        return Err(lossy("document"));
    };
    let back = manifest::compile::compile(m);
    for ((path, a), (_, b)) in digest::fields(spec).into_iter().zip(digest::fields(&back)) {
        if a != b {
            return Err(lossy(path));
        }
    }
    let schema_text = |s: &ActionSpec| {
        (
            s.contract.input.input_schema.as_ref().map(Value::to_string),
            s.contract.output.success_schema.as_ref().map(Value::to_string),
        )
    };
    if schema_text(spec) != schema_text(&back) {
        return Err(lossy("contract (key order)"));
    }
    if exact_shorthand {
        let (want, got) = (spec.to_post_json("integration"), back.to_post_json("integration"));
        // Ordered text comparison: `Value` equality ignores object key order.
        if serde_json::to_string(&want).ok() != serde_json::to_string(&got).ok() {
            return Err(lossy("shorthand"));
        }
    }
    Ok(())
}

fn header(spec: &ActionSpec) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("kind".into(), json!("DataAction"));
    doc.insert("name".into(), json!(spec.name));
    if spec.category != spec.integration {
        doc.insert("category".into(), json!(spec.category));
    }
    doc.insert("integration".into(), json!(spec.integration));
    if spec.secure {
        doc.insert("secure".into(), json!(true));
    }
    if let Some(t) = spec.config.timeout_seconds {
        doc.insert("timeoutSeconds".into(), json!(t));
    }
    let req = &spec.config.request;
    let mut r = Map::new();
    r.insert("method".into(), json!(req.request_type));
    r.insert("url".into(), json!(req.request_url_template));
    if let Some(h) = &req.headers {
        r.insert("headers".into(), Value::Object(h.clone()));
    }
    if let Some(b) = &req.request_template
        && b != DEFAULT_REQUEST_TEMPLATE
    {
        r.insert("body".into(), json!(b));
    }
    doc.insert("request".into(), Value::Object(r));
    doc
}

fn raw_document(spec: &ActionSpec) -> Value {
    let mut doc = header(spec);
    let mut contract = Map::new();
    if let Some(s) = &spec.contract.input.input_schema {
        contract.insert("input".into(), s.clone());
    }
    if let Some(s) = &spec.contract.output.success_schema {
        contract.insert("output".into(), s.clone());
    }
    doc.insert("contract".into(), Value::Object(contract));
    doc.insert("response".into(), Value::Object(response_map(&spec.config.response)));
    Value::Object(doc)
}

/// A manifest's `response:` (of an action, or of a custom auth action): what the config has.
fn response_map(resp: &crate::model::ResponseConfig) -> Map<String, Value> {
    let mut r = Map::new();
    if let Some(tm) = &resp.translation_map {
        r.insert("translationMap".into(), Value::Object(tm.clone()));
    }
    if let Some(d) = &resp.translation_map_defaults {
        r.insert("translationMapDefaults".into(), Value::Object(d.clone()));
    }
    if let Some(t) = &resp.success_template {
        r.insert("successTemplate".into(), json!(t));
    }
    r
}

/// The shorthand document, if the action has the exact shape shorthand compiles to.
fn shorthand_document(spec: &ActionSpec) -> Option<Value> {
    let input = spec.contract.input.input_schema.as_ref()?.as_object()?;
    let output = spec.contract.output.success_schema.as_ref()?.as_object()?;
    let required: Vec<&str> = input
        .get("required")
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |r| r.iter().filter_map(Value::as_str).collect());
    let mut inputs = Map::new();
    for (name, p) in input.get("properties")?.as_object()? {
        let mut d = Map::new();
        d.insert("type".into(), p.get("type")?.clone());
        if let Some(desc) = p.get("description") {
            d.insert("description".into(), desc.clone());
        }
        if required.contains(&name.as_str()) {
            d.insert("required".into(), json!(true));
        }
        inputs.insert(name.clone(), Value::Object(d));
    }
    let tm = spec.config.response.translation_map.as_ref()?;
    // Absent means empty here, as in Genesys (no value is the empty value).
    let defaults = spec.config.response.translation_map_defaults.clone().unwrap_or_default();
    let mut outputs = Map::new();
    for (name, p) in output.get("properties")?.as_object()? {
        let mut d = Map::new();
        d.insert("type".into(), p.get("type")?.clone());
        for k in ["description", "items", "properties"] {
            if let Some(v) = p.get(k) {
                d.insert(k.into(), strip_schema_noise(v));
            }
        }
        d.insert("from".into(), tm.get(name)?.clone());
        if let Some(text) = defaults.get(name).and_then(Value::as_str) {
            d.insert("default".into(), serde_json::from_str(text).ok()?);
        }
        outputs.insert(name.clone(), Value::Object(d));
    }
    let mut doc = header(spec);
    doc.insert("inputs".into(), Value::Object(inputs));
    doc.insert("outputs".into(), Value::Object(outputs));
    Some(Value::Object(doc))
}

fn strip_schema_noise(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "additionalProperties")
                .map(|(k, v)| {
                    (k.clone(), if k == "properties" { map_values(v) } else { strip_schema_noise(v) })
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn map_values(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), strip_schema_noise(v))).collect())
        }
        other => other.clone(),
    }
}

/// A file-name slug for an action name: lower case, `[a-z0-9-]`, at most 80 chars.
#[must_use]
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let out: String = out.chars().take(80).collect();
    if out.is_empty() { "action".to_string() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_words_are_screaming_snake_case() {
        assert_eq!(env_word("clientSecret"), "CLIENT_SECRET");
        assert_eq!(env_word("Auth API"), "AUTH_API");
        assert_eq!(env_word("login_url2"), "LOGIN_URL2");
        assert_eq!(env_word("--"), "");
    }

    #[test]
    fn a_custom_auth_action_becomes_its_integration() {
        let auth = json!({
            "name": "Auth", "id": "customAuth_-_abc", "config": {
                "request": {"requestUrlTemplate": "https://login/$!{credentials.tenant}/token", "requestType": "POST",
                            "headers": {"X-Key": "$credentials.apiKey"}, "requestTemplate": "${credentials.apiKey}&${credentials.tenant}"},
                "response": {"translationMap": {}, "successTemplate": "${rawResult}"}},
            "contract": {"input": {}, "output": {}}
        });
        let opts = Options { integration: Some("Auth API".into()), ..Options::default() };
        let c = convert_action(&auth, &opts).unwrap();
        assert!(c.integration && c.name == "Auth API", "{c:?}");
        assert!(
            c.yaml.contains("tenant:\n      env: AUTH_API_TENANT\n    apiKey:\n      env: AUTH_API_API_KEY"),
            "{}",
            c.yaml
        );
        // `${rawResult}` is the default success template: left out, compiled back the same.
        assert!(!c.yaml.contains("successTemplate"), "{}", c.yaml);
        // The id alone says so, even without credentials in the templates.
        let mut by_id = auth.clone();
        by_id["config"]["request"] = json!({"requestUrlTemplate": "https://login", "requestType": "GET"});
        assert!(convert_action(&by_id, &opts).unwrap().integration);
        // An ordinary action reading a credential, with its contract, stays an action.
        let mut ordinary = auth;
        ordinary.as_object_mut().unwrap().remove("id");
        ordinary["contract"] = json!({"input": {"inputSchema": {"type": "object", "properties": {}}},
                                      "output": {"successSchema": {"type": "object", "properties": {}}}});
        assert!(!convert_action(&ordinary, &opts).unwrap().integration);
    }

    fn export_json() -> Value {
        json!({
            "name": "Get Thing", "integrationType": "custom-rest-actions", "actionType": "custom",
            "config": {
                "request": {"requestUrlTemplate": "https://x/${input.id}", "requestType": "GET", "headers": {"Accept": "application/json"}, "requestTemplate": "${input.rawRequest}"},
                "response": {"translationMap": {"a": "$.a"}, "translationMapDefaults": {"a": "\"\""}, "successTemplate": "{\"a\": ${a}}\r\n"}
            },
            "contract": {
                "input": {"inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}, "additionalProperties": true}},
                "output": {"successSchema": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": true}}
            },
            "secure": false
        })
    }

    #[test]
    fn converts_ui_export_in_raw_form() {
        let c = convert_action(&export_json(), &Options::default()).unwrap();
        assert!(!c.shorthand);
        assert!(c.yaml.contains("integration: Web Services Data Actions"), "{}", c.yaml);
        assert!(c.notes.iter().any(|n| n.contains("integration set to")));
    }

    #[test]
    fn refuses_uri_only_templates() {
        let mut v = export_json();
        v["config"]["request"].as_object_mut().unwrap().remove("requestTemplate");
        v["config"]["request"]["requestTemplateUri"] =
            json!("/api/v2/integrations/actions/x/templates/requesttemplate.vm");
        assert!(matches!(
            convert_action(&v, &Options::default()),
            Err(Error::TemplateOnlyUri("requestTemplate"))
        ));
    }

    #[test]
    fn shorthand_when_exact() {
        let spec_yaml = "kind: DataAction\nname: S\nintegration: I\nrequest:\n  method: GET\n  url: https://x\ninputs:\n  id: {type: string, required: true}\noutputs:\n  a: {type: string, from: $.a, default: \"\"}\n";
        let mut set = ManifestSet::default();
        let mut d = Diagnostics::new();
        manifest::parse::parse_file(Path::new("s.yaml"), spec_yaml, &mut set, &mut d);
        let spec = manifest::compile::compile(&set.actions[0]);
        let mut v = spec.to_post_json("integrationId");
        v["id"] = json!("custom_-_1");
        let c =
            convert_action(&v, &Options { integration: Some("I".into()), source_note: None, function: None })
                .unwrap();
        assert!(c.shorthand, "{}", c.yaml);
    }

    #[test]
    fn names_every_dropped_field_by_path() {
        let mut v = export_json();
        v["config"]["newConfigField"] = json!(1);
        v["config"]["request"]["newReqField"] = json!("x");
        v["config"]["response"]["newRespField"] = json!(true);
        v["contract"]["input"]["x"] = json!({});
        v["contract"]["output"]["errorSchema"] = json!({});
        v["futureTopLevel"] = json!(2);
        let c = convert_action(&v, &Options::default()).unwrap();
        let notes = c.notes.join("\n");
        assert!(notes.contains(
            "dropped `config.newConfigField`, `config.request.newReqField`, `config.response.newRespField`, `contract.input.x`: Genesys's action config and contract have no such fields (the API ignores them)"
        ), "{notes}");
        assert!(notes.contains("dropped `contract.output.errorSchema`: read-only"), "{notes}");
        assert!(
            notes.contains("field `futureTopLevel` is not part of a manifest and was dropped"),
            "{notes}"
        );
        assert!(!notes.contains("unmodelled"), "{notes}");
        // The shorthand candidate is verified too; a clean action gets no note about dropping.
        let c = convert_action(
            &export_json(),
            &Options { integration: Some("I".into()), source_note: None, function: None },
        )
        .unwrap();
        assert!(c.notes.is_empty(), "{:?}", c.notes);
    }

    #[test]
    fn wrong_types_are_named_by_path() {
        let mut v = export_json();
        v["secure"] = json!("yes");
        let e = convert_action(&v, &Options::default()).unwrap_err().to_string();
        assert_eq!(e, "not a Genesys data action: `secure` must be a boolean, found a string");
        let mut v = export_json();
        v["config"]["request"]["headers"] = json!(["a"]);
        let e = convert_action(&v, &Options::default()).unwrap_err().to_string();
        assert_eq!(
            e,
            "not a Genesys data action: `config.request.headers` must be an object, found an array"
        );
    }

    #[test]
    fn parses_lists_and_listings() {
        assert_eq!(parse_actions("[{}, {}]").unwrap().len(), 2);
        assert_eq!(parse_actions("{\"entities\": [{}], \"pageSize\": 25}").unwrap().len(), 1);
        assert!(matches!(parse_actions("{\"a\": }"), Err(Error::Json { line: 1, .. })));
        assert!(parse_actions("42").is_err());
        assert_eq!(
            parse_actions(" \n").unwrap_err().to_string(),
            "not a Genesys data action: the file is empty"
        );
        assert!(parse_actions("[]").unwrap_err().to_string().contains("no actions"));
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Get User Profile (v2)"), "get-user-profile-v2");
        assert_eq!(slug("!!!"), "action");
    }
}
