//! Genesys's documented rules for a data action, as pure checks over the canonical model.
//!
//! Owns: name/category length, timeout range, HTTP method set, the `Accept` header rule,
//! input-contract rules (top-level object; flat properties of type string, integer,
//! number, boolean or null; property names `^[A-Za-z][A-Za-z0-9_-]*$`; reserved `orgId`,
//! `integrationId`, `rawRequest`), output-contract rules (no nested arrays), no `$ref`
//! anywhere, JSON nesting depth ≤ 50, and draft-04 validity of both schemas.
//! Each finding carries a JSON path into the `PostActionInput` shape so callers can place it
//! (the manifest loader maps it to file:line:column; the emulator answers 400 with it).
//! Must not: know YAML or files, or do I/O.

use super::{ActionSpec, MAX_NAME_LEN, METHODS, TIMEOUT_RANGE};
use serde_json::Value;

/// Reserved input property names (Genesys sets them itself).
pub const RESERVED_INPUTS: [&str; 3] = ["orgId", "integrationId", "rawRequest"];
/// JSON Schema types an input property may have.
pub const INPUT_TYPES: [&str; 5] = ["string", "integer", "number", "boolean", "null"];
/// Maximum JSON nesting depth Genesys accepts.
pub const MAX_DEPTH: usize = 50;

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Genesys would reject the action, or it cannot work.
    Error,
    /// Suspicious but accepted.
    Warning,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Error or warning.
    pub level: Level,
    /// Path into the `PostActionInput` JSON, e.g. `["contract","input","inputSchema","properties","x"]`.
    pub path: Vec<String>,
    /// Stable rule code.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

impl Violation {
    fn error(path: Vec<String>, code: &'static str, message: String) -> Self {
        Self { level: Level::Error, path, code, message, hint: None }
    }
    fn warning(path: Vec<String>, code: &'static str, message: String) -> Self {
        Self { level: Level::Warning, path, code, message, hint: None }
    }
    fn hint(mut self, hint: &str) -> Self {
        self.hint = Some(hint.to_string());
        self
    }
}

fn p(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_string()).collect()
}

/// Every rule over a whole action.
#[must_use]
pub fn check_spec(spec: &ActionSpec) -> Vec<Violation> {
    let mut out = Vec::new();
    check_text(&mut out, "name", &spec.name);
    check_text(&mut out, "category", &spec.category);
    if let Some(t) = spec.config.timeout_seconds
        && !TIMEOUT_RANGE.contains(&t)
    {
        out.push(Violation::error(
            p(&["config", "timeoutSeconds"]),
            "timeout-range",
            format!("`timeoutSeconds` must be between 1 and 60, found {t}"),
        ));
    }
    let method = &spec.config.request.request_type;
    if !METHODS.contains(&method.as_str()) {
        let v = Violation::error(
            p(&["config", "request", "requestType"]),
            "method",
            format!("`{method}` is not a supported method; use one of {}", METHODS.join(", ")),
        );
        out.push(if METHODS.contains(&method.to_ascii_uppercase().as_str()) {
            v.hint(&format!("write it in upper case: `{}`", method.to_ascii_uppercase()))
        } else {
            v
        });
    }
    if let Some(headers) = &spec.config.request.headers {
        for (name, value) in headers {
            if name.eq_ignore_ascii_case("accept")
                && let Some(v) = value.as_str()
                && !accept_is_json(v)
            {
                out.push(
                    Violation::error(
                        vec!["config".into(), "request".into(), "headers".into(), name.clone()],
                        "accept-json",
                        format!("the `Accept` header only supports JSON content types, found `{v}`"),
                    )
                    .hint("use `application/json` (Genesys rejects the action with 400 INVALID_SCHEMA otherwise)"),
                );
            }
        }
    }
    match &spec.contract.input.input_schema {
        Some(schema) => out.extend(check_input_schema(schema)),
        None => out.push(Violation::error(
            p(&["contract", "input"]),
            "missing-contract",
            "the action has no input schema".into(),
        )),
    }
    match &spec.contract.output.success_schema {
        Some(schema) => out.extend(check_output_schema(schema)),
        None => out.push(Violation::error(
            p(&["contract", "output"]),
            "missing-contract",
            "the action has no output (success) schema".into(),
        )),
    }
    out
}

fn check_text(out: &mut Vec<Violation>, field: &str, value: &str) {
    if value.trim().is_empty() {
        out.push(Violation::error(p(&[field]), "empty", format!("`{field}` must not be empty")));
    } else if value.chars().count() > MAX_NAME_LEN {
        out.push(Violation::error(
            p(&[field]),
            "too-long",
            format!(
                "`{field}` is {} characters long; Genesys allows at most {MAX_NAME_LEN}",
                value.chars().count()
            ),
        ));
    }
}

/// Whether an `Accept` value names only JSON media types (templated values are not judged).
#[must_use]
pub fn accept_is_json(value: &str) -> bool {
    if value.contains('$') || value.contains('#') {
        return true;
    }
    value.split(',').all(|range| {
        let media = range.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let Some((_, subtype)) = media.split_once('/') else {
            return false;
        };
        subtype == "json" || subtype.ends_with("+json")
    })
}

/// Rules for the input schema (path prefix `contract.input.inputSchema`).
#[must_use]
pub fn check_input_schema(schema: &Value) -> Vec<Violation> {
    let base = p(&["contract", "input", "inputSchema"]);
    let mut out = common_schema_checks(schema, &base);
    let Some(obj) = schema.as_object() else {
        out.push(Violation::error(base, "input-not-object", "the input schema must be a JSON object".into()));
        return out;
    };
    match obj.get("type") {
        Some(Value::String(t)) if t == "object" => {}
        Some(other) => out.push(Violation::error(
            with(&base, "type"),
            "input-not-object",
            format!("the input contract's top level must be `type: object`, found {other}"),
        )),
        None => out.push(Violation::error(
            base.clone(),
            "input-not-object",
            "the input contract's top level must declare `type: object`".into(),
        )),
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let path = with(&with(&base, "properties"), name);
            if !valid_input_name(name) {
                out.push(
                    Violation::error(
                        path.clone(),
                        "input-name",
                        format!("input name `{name}` must start with a letter and use only letters, digits, `-` and `_`"),
                    ),
                );
            }
            if RESERVED_INPUTS.contains(&name.as_str()) {
                out.push(
                    Violation::error(
                        path.clone(),
                        "input-reserved",
                        format!(
                            "input name `{name}` is reserved by Genesys (orgId, integrationId, rawRequest)"
                        ),
                    )
                    .hint("rename the input; Genesys overwrites reserved values and the action breaks"),
                );
            }
            match prop.get("type") {
                None => out.push(Violation::warning(
                    path.clone(),
                    "input-untyped",
                    format!("input `{name}` has no `type`; Genesys inputs are string, integer, number, boolean or null"),
                )),
                Some(t) => {
                    let types: Vec<&str> = match t {
                        Value::String(s) => vec![s.as_str()],
                        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                        _ => Vec::new(),
                    };
                    let bad: Vec<&str> = types.iter().copied().filter(|t| !INPUT_TYPES.contains(t)).collect();
                    if types.is_empty() || !bad.is_empty() {
                        let nested = bad.iter().any(|t| *t == "object" || *t == "array");
                        let v = Violation::error(
                            with(&path, "type"),
                            if nested { "input-nested" } else { "input-type" },
                            format!(
                                "input `{name}` has type {}; input properties may only be string, integer, number, boolean or null (no nested objects or arrays)",
                                if bad.is_empty() { t.to_string() } else { bad.join(", ") }
                            ),
                        );
                        out.push(if nested {
                            v.hint("flatten the value into several inputs, or pass it as a JSON string and parse it in the request template")
                        } else {
                            v
                        });
                    }
                }
            }
        }
    }
    out
}

/// Rules for the success schema (path prefix `contract.output.successSchema`).
#[must_use]
pub fn check_output_schema(schema: &Value) -> Vec<Violation> {
    let base = p(&["contract", "output", "successSchema"]);
    let mut out = common_schema_checks(schema, &base);
    if !schema.is_object() {
        out.push(Violation::error(
            base,
            "output-not-object",
            "the output schema must be a JSON object".into(),
        ));
        return out;
    }
    nested_arrays(schema, &base, false, &mut out);
    out
}

fn nested_arrays(schema: &Value, path: &[String], inside_array: bool, out: &mut Vec<Violation>) {
    let Some(obj) = schema.as_object() else { return };
    let is_array = match obj.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "array"),
        _ => obj.contains_key("items"),
    };
    if is_array && inside_array {
        out.push(
            Violation::error(
                path.to_vec(),
                "output-nested-array",
                "the output contract does not support nested arrays (an array of arrays)".into(),
            )
            .hint("wrap the inner array in an object property"),
        );
        return;
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (name, child) in props {
            nested_arrays(child, &with(&with(path, "properties"), name), false, out);
        }
    }
    match obj.get("items") {
        Some(items @ Value::Object(_)) => nested_arrays(items, &with(path, "items"), is_array, out),
        Some(Value::Array(list)) => {
            for (i, item) in list.iter().enumerate() {
                nested_arrays(item, &with(&with(path, "items"), &i.to_string()), is_array, out);
            }
        }
        _ => {}
    }
}

fn common_schema_checks(schema: &Value, base: &[String]) -> Vec<Violation> {
    let mut out = Vec::new();
    find_refs(schema, base, &mut out);
    if depth(schema, 0) > MAX_DEPTH {
        out.push(Violation::error(
            base.to_vec(),
            "too-deep",
            format!("the schema nests deeper than {MAX_DEPTH} levels, which Genesys rejects"),
        ));
        return out;
    }
    if schema.is_object() {
        for err in jsonschema::draft4::meta::validator().iter_errors(schema) {
            let mut path = base.to_vec();
            path.extend(err.instance_path().into_iter().map(|seg| match seg {
                jsonschema::paths::LocationSegment::Property(p) => p.to_string(),
                jsonschema::paths::LocationSegment::Index(i) => i.to_string(),
            }));
            out.push(Violation::error(
                path,
                "schema-draft04",
                format!("not a valid draft-04 JSON Schema: {err}"),
            ));
        }
    }
    out
}

fn find_refs(v: &Value, path: &[String], out: &mut Vec<Violation>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let child_path = with(path, k);
                if k == "$ref" {
                    out.push(
                        Violation::error(child_path, "schema-ref", "contracts may not use `$ref`".into())
                            .hint("inline the referenced schema"),
                    );
                } else {
                    find_refs(child, &child_path, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                find_refs(child, &with(path, &i.to_string()), out);
            }
        }
        _ => {}
    }
}

fn depth(v: &Value, current: usize) -> usize {
    if current > MAX_DEPTH {
        return current;
    }
    match v {
        Value::Object(m) => m.values().map(|c| depth(c, current + 1)).max().unwrap_or(current + 1),
        Value::Array(a) => a.iter().map(|c| depth(c, current + 1)).max().unwrap_or(current + 1),
        _ => current,
    }
}

/// Whether a name follows Genesys's input-name rule.
#[must_use]
pub fn valid_input_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn with(path: &[String], seg: &str) -> Vec<String> {
    let mut v = path.to_vec();
    v.push(seg.to_string());
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(v: &[Violation]) -> Vec<&'static str> {
        v.iter().map(|x| x.code).collect()
    }

    #[test]
    fn input_rules() {
        let ok = json!({"type": "object", "properties": {"a": {"type": "string"}, "b-c_1": {"type": ["integer", "null"]}}});
        assert!(check_input_schema(&ok).is_empty(), "{:?}", check_input_schema(&ok));
        let bad = json!({"type": "object", "properties": {
            "1x": {"type": "string"}, "orgId": {"type": "string"},
            "nested": {"type": "object", "properties": {}}, "arr": {"type": "array"}, "r": {"$ref": "#/x"}
        }});
        let c = codes(&check_input_schema(&bad));
        for want in ["input-name", "input-reserved", "input-nested", "schema-ref"] {
            assert!(c.contains(&want), "{want} missing in {c:?}");
        }
        assert_eq!(codes(&check_input_schema(&json!({"type": "array"}))), vec!["input-not-object"]);
    }

    #[test]
    fn output_rules() {
        let ok = json!({"type": "object", "properties": {"list": {"type": "array", "items": {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}}}});
        assert!(check_output_schema(&ok).is_empty());
        let nested = json!({"type": "object", "properties": {"m": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}}});
        assert_eq!(codes(&check_output_schema(&nested)), vec!["output-nested-array"]);
        let root_array = json!({"type": "array", "items": {"type": "object"}});
        assert!(check_output_schema(&root_array).is_empty());
    }

    #[test]
    fn draft04_meta_validation() {
        let bad = json!({"type": "object", "properties": {"a": {"type": "strng"}}});
        let v = check_output_schema(&bad);
        assert_eq!(codes(&v), vec!["schema-draft04"]);
        assert_eq!(v[0].path.last().map(String::as_str), Some("type"));
    }

    #[test]
    fn accept_header() {
        assert!(accept_is_json("application/json"));
        assert!(accept_is_json("application/vnd.api+json; charset=utf-8"));
        assert!(accept_is_json("${input.accept}"));
        assert!(!accept_is_json("text/plain"));
        assert!(!accept_is_json("application/json, text/html"));
        assert!(!accept_is_json("*/*"));
    }
}
