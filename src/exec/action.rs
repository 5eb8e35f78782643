//! An action prepared for running: every template parsed, every JSONPath compiled, both
//! JSON Schemas compiled — once, so a run only evaluates.
//!
//! Owns: [`CompiledAction::new`] (never fails: a template that does not parse or a schema
//! that does not compile is kept as an error and fails the step that needs it, as Genesys
//! fails at run time), the relaxed success schema (a JSON `null` is accepted for every typed
//! non-root property: Architect maps it to NOT_SET), and the draft-definition check of step 2.
//! Must not: run anything (see `pipeline`).

use crate::jsonpath::JsonPath;
use crate::model::{ActionSpec, DEFAULT_REQUEST_TEMPLATE, DEFAULT_SUCCESS_TEMPLATE, METHODS};
use crate::velocity::{Error as VelocityError, Template};
use serde_json::{Map, Value};
use std::time::Duration;

/// Genesys's timeout when `timeoutSeconds` is unset.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 60;

/// One translation-map entry.
#[derive(Debug, Clone)]
pub struct Translation {
    /// The key (a success-template variable).
    pub key: String,
    /// The JSONPath text.
    pub path_text: String,
    /// The compiled path, or why it does not compile.
    pub path: Result<JsonPath, crate::jsonpath::Error>,
    /// `translationMapDefaults[key]`, as written (JSON text, normally).
    pub default: Option<String>,
}

/// A compiled JSON Schema (draft-04), or why it does not compile.
pub struct Schema {
    /// The schema as written.
    pub json: Value,
    /// The validator.
    pub validator: Result<jsonschema::Validator, String>,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").field("json", &self.json).field("compiles", &self.validator.is_ok()).finish()
    }
}

impl Schema {
    fn compile(json: Value, validate_as: &Value) -> Self {
        let validator = jsonschema::draft4::new(validate_as).map_err(|e| e.to_string());
        Self { json, validator }
    }
}

/// An action ready to run.
#[derive(Debug)]
pub struct CompiledAction {
    /// Action name.
    pub name: String,
    /// `secure: true`: inputs are redacted from traces.
    pub secure: bool,
    /// Upper-case method.
    pub method: String,
    /// `timeoutSeconds` (60 when unset).
    pub timeout: Duration,
    /// `requestUrlTemplate` (text, parsed).
    pub url: (String, Result<Template, VelocityError>),
    /// Header name → (text, parsed), in order.
    pub headers: Vec<(String, String, Result<Template, VelocityError>)>,
    /// `requestTemplate` (text, parsed).
    pub body: (String, Result<Template, VelocityError>),
    /// The translation map, in order.
    pub translations: Vec<Translation>,
    /// `successTemplate` (text, parsed with the name `successTemplate`).
    pub success: (String, Result<Template, VelocityError>),
    /// The input schema.
    pub input_schema: Option<Schema>,
    /// The success schema (validated with `null` allowed for typed properties).
    pub output_schema: Option<Schema>,
}

impl CompiledAction {
    /// Compiles `spec`. Never fails; problems surface in the step that needs the part.
    #[must_use]
    pub fn new(spec: &ActionSpec) -> Self {
        let req = &spec.config.request;
        let resp = &spec.config.response;
        let parse = |text: &str, name: &str| (text.to_string(), Template::parse(text, name));
        let headers = req
            .headers
            .iter()
            .flatten()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let t = Template::parse(&text, k);
                (k.clone(), text, t)
            })
            .collect();
        // Absent means empty here, as in Genesys (no value is the empty value).
        let defaults = resp.translation_map_defaults.clone().unwrap_or_default();
        let translations = resp
            .translation_map
            .iter()
            .flatten()
            .map(|(k, v)| {
                let path_text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let default = defaults.get(k).map(|d| match d {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                Translation { key: k.clone(), path: JsonPath::parse(&path_text), path_text, default }
            })
            .collect();
        let timeout_s = spec
            .config
            .timeout_seconds
            .and_then(|t| u64::try_from(t).ok())
            .filter(|t| *t > 0)
            .unwrap_or(DEFAULT_TIMEOUT_SECONDS);
        Self {
            name: spec.name.clone(),
            secure: spec.secure,
            method: req.request_type.to_ascii_uppercase(),
            timeout: Duration::from_secs(timeout_s),
            url: parse(&req.request_url_template, "requestUrlTemplate"),
            headers,
            body: parse(
                req.request_template.as_deref().unwrap_or(DEFAULT_REQUEST_TEMPLATE),
                "requestTemplate",
            ),
            translations,
            success: parse(
                resp.success_template.as_deref().unwrap_or(DEFAULT_SUCCESS_TEMPLATE),
                "successTemplate",
            ),
            input_schema: spec.contract.input.input_schema.clone().map(|s| {
                let v = s.clone();
                Schema::compile(s, &v)
            }),
            output_schema: spec.contract.output.success_schema.clone().map(|s| {
                let relaxed = allow_null(&s, true);
                Schema::compile(s, &relaxed)
            }),
        }
    }

    /// Step 2: what makes the definition incomplete, if anything.
    #[must_use]
    pub fn definition_problem(&self) -> Option<String> {
        if !METHODS.contains(&self.method.as_str()) {
            return Some(format!("requestType '{}' is not one of {}", self.method, METHODS.join(", ")));
        }
        if self.url.0.trim().is_empty() {
            return Some("requestUrlTemplate is empty".into());
        }
        match &self.input_schema {
            None => return Some("the action has no input schema (contract.input.inputSchema)".into()),
            Some(Schema { validator: Err(e), .. }) => {
                return Some(format!("the input schema is not valid draft-04: {e}"));
            }
            Some(_) => {}
        }
        match &self.output_schema {
            None => Some("the action has no success schema (contract.output.successSchema)".into()),
            Some(Schema { validator: Err(e), .. }) => {
                Some(format!("the success schema is not valid draft-04: {e}"))
            }
            Some(_) => None,
        }
    }

    /// The `default` of each input-schema property (the draft-04 keyword; Genesys ignores it,
    /// `gcsync test` fills missing inputs with it — flows get no defaults).
    #[must_use]
    pub fn input_defaults(&self) -> Map<String, Value> {
        input_defaults(self.input_schema.as_ref().map(|s| &s.json))
    }

    /// The declared type of input `name` (`string`, `integer`, ...), if any.
    #[must_use]
    pub fn input_type(&self, name: &str) -> Option<&str> {
        self.input_schema.as_ref()?.json.get("properties")?.get(name)?.get("type")?.as_str()
    }
}

/// The `default` of each property of an input schema.
#[must_use]
pub fn input_defaults(schema: Option<&Value>) -> Map<String, Value> {
    schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|props| {
            props.iter().filter_map(|(k, p)| p.get("default").map(|d| (k.clone(), d.clone()))).collect()
        })
        // No properties: no defaults.
        .unwrap_or_default()
}

/// A copy of `schema` whose typed sub-schemas also accept `null` (not the root).
fn allow_null(schema: &Value, root: bool) -> Value {
    let Value::Object(m) = schema else { return schema.clone() };
    let mut out = Map::new();
    for (k, v) in m {
        let nv = match k.as_str() {
            "properties" | "patternProperties" => match v {
                Value::Object(props) => {
                    Value::Object(props.iter().map(|(pk, pv)| (pk.clone(), allow_null(pv, false))).collect())
                }
                other => other.clone(),
            },
            "items" => match v {
                Value::Array(list) => Value::Array(list.iter().map(|x| allow_null(x, false)).collect()),
                other => allow_null(other, false),
            },
            "additionalProperties" if v.is_object() => allow_null(v, false),
            "type" if !root => match v {
                Value::String(t) if t != "null" => {
                    Value::Array(vec![Value::String(t.clone()), Value::from("null")])
                }
                Value::Array(ts) if !ts.iter().any(|t| t == "null") => {
                    let mut ts = ts.clone();
                    ts.push(Value::from("null"));
                    Value::Array(ts)
                }
                other => other.clone(),
            },
            _ => v.clone(),
        };
        out.insert(k.clone(), nv);
    }
    if !root
        && let Some(Value::Array(e)) = out.get_mut("enum")
        && !e.contains(&Value::Null)
    {
        e.push(Value::Null);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_is_allowed_below_the_root_only() {
        let s = json!({"type": "object", "properties": {"a": {"type": "string"}, "l": {"type": "array", "items": {"type": "integer"}}}});
        let r = allow_null(&s, true);
        assert_eq!(r["type"], json!("object"));
        assert_eq!(r["properties"]["a"]["type"], json!(["string", "null"]));
        assert_eq!(r["properties"]["l"]["items"]["type"], json!(["integer", "null"]));
        let v = jsonschema::draft4::new(&r).unwrap();
        assert!(v.is_valid(&json!({"a": null, "l": [1, null]})));
        assert!(!v.is_valid(&json!(null)));
        assert!(!v.is_valid(&json!({"a": 1})));
    }
}
