//! Normalized form of an action and its sha256 digest.
//!
//! Owns: the one definition of "the same action" used by plan, apply, drift and state.
//! Two specs that Genesys would treat as identical normalize to identical JSON:
//! JSON Schemas compare structurally (object key order, whitespace, `1` vs `1.0` and the
//! order of a `required` list — a set in JSON Schema — do not matter); maps (headers, translation maps) compare as sets of entries; absent values
//! equal Genesys's defaults (`requestTemplate` = `${input.rawRequest}`, `successTemplate` =
//! `${rawResult}`, no headers = `{}`). Templates compare byte for byte.
//! Unmodelled `extra` fields are not part of the digest: an API that starts returning a
//! new field must not look like drift.
//! Must not: do I/O or read the clock.

use super::{ActionSpec, DEFAULT_REQUEST_TEMPLATE, DEFAULT_SUCCESS_TEMPLATE};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use std::fmt::Write as _;

/// The managed fields of an action, one entry per field that plan reports on.
/// Paths are stable identifiers used in plan output and the JSON plan format.
#[must_use]
pub fn fields(spec: &ActionSpec) -> Vec<(&'static str, Value)> {
    let req = &spec.config.request;
    let resp = &spec.config.response;
    vec![
        ("name", json!(spec.name)),
        ("category", json!(spec.category)),
        ("integration", json!(spec.integration)),
        ("secure", json!(spec.secure)),
        ("config.timeoutSeconds", spec.config.timeout_seconds.map_or(Value::Null, |t| json!(t))),
        ("config.request.requestType", json!(req.request_type.to_ascii_uppercase())),
        ("config.request.requestUrlTemplate", json!(req.request_url_template)),
        ("config.request.headers", sorted_map(req.headers.as_ref())),
        (
            "config.request.requestTemplate",
            json!(req.request_template.as_deref().unwrap_or(DEFAULT_REQUEST_TEMPLATE)),
        ),
        ("config.response.translationMap", sorted_map(resp.translation_map.as_ref())),
        ("config.response.translationMapDefaults", sorted_map(resp.translation_map_defaults.as_ref())),
        (
            "config.response.successTemplate",
            json!(resp.success_template.as_deref().unwrap_or(DEFAULT_SUCCESS_TEMPLATE)),
        ),
        (
            "contract.input",
            canonical_schema(spec.contract.input.input_schema.as_ref().unwrap_or(&Value::Null)),
        ),
        (
            "contract.output",
            canonical_schema(spec.contract.output.success_schema.as_ref().unwrap_or(&Value::Null)),
        ),
    ]
}

/// Fields Genesys cannot change on a published action: a change means a new action.
pub const REPLACE_FIELDS: [&str; 4] = ["integration", "secure", "contract.input", "contract.output"];

/// Whether a field path is template text (diffed line by line in plan output).
#[must_use]
pub fn is_template_field(path: &str) -> bool {
    matches!(
        path,
        "config.request.requestUrlTemplate"
            | "config.request.requestTemplate"
            | "config.response.successTemplate"
    )
}

/// The normalized JSON of an action (an object keyed by field path).
#[must_use]
pub fn normalized(spec: &ActionSpec) -> Value {
    Value::Object(fields(spec).into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// `sha256:<hex>` over the canonical bytes of [`normalized`].
#[must_use]
pub fn digest(spec: &ActionSpec) -> String {
    digest_value(&normalized(spec))
}

/// `sha256:<hex>` over the canonical (sorted-key, compact) serialization of a JSON value.
#[must_use]
pub fn digest_value(value: &Value) -> String {
    digest_bytes(canonical_string(value).as_bytes())
}

/// `sha256:<hex>` of raw bytes.
#[must_use]
pub fn digest_bytes(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Compact JSON with object keys sorted at every level.
#[must_use]
pub fn canonical_string(value: &Value) -> String {
    canonical(value).to_string()
}

/// A structurally canonical copy: keys sorted recursively, integral floats as integers.
#[must_use]
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                if let Some(v) = map.get(k) {
                    out.insert(k.clone(), canonical(v));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Number(n) => {
            if let Some(f) = n.as_f64()
                && !n.is_i64()
                && !n.is_u64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                #[allow(clippy::cast_possible_truncation)]
                return json!(f as i64);
            }
            value.clone()
        }
        other => other.clone(),
    }
}

/// [`canonical`] for a JSON Schema: additionally every `required` list of names is sorted
/// and deduplicated (JSON Schema treats it as a set), so reordering a manifest's inputs
/// never looks like a contract change — which would force a replace.
#[must_use]
pub fn canonical_schema(value: &Value) -> Value {
    let mut v = canonical(value);
    sort_required(&mut v);
    v
}

/// Sorts `required` in this schema and its subschemas — only where JSON Schema (draft-04)
/// puts subschemas, so data such as `enum`, `default` or `const` values keep their order.
fn sort_required(value: &mut Value) {
    let Value::Object(map) = value else { return };
    if let Some(Value::Array(items)) = map.get_mut("required")
        && items.iter().all(Value::is_string)
    {
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        items.dedup();
    }
    for key in ["properties", "patternProperties", "definitions"] {
        if let Some(Value::Object(subs)) = map.get_mut(key) {
            subs.values_mut().for_each(sort_required);
        }
    }
    for key in ["items", "additionalItems", "additionalProperties", "not", "allOf", "anyOf", "oneOf"] {
        match map.get_mut(key) {
            Some(Value::Array(subs)) => subs.iter_mut().for_each(sort_required),
            Some(sub @ Value::Object(_)) => sort_required(sub),
            _ => {}
        }
    }
}

fn sorted_map(map: Option<&Map<String, Value>>) -> Value {
    map.map_or_else(|| Value::Object(Map::new()), |m| canonical(&Value::Object(m.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ActionConfig, Contract, ContractInput, ContractOutput, RequestConfig, ResponseConfig,
    };

    fn spec(schema: Value, template: &str) -> ActionSpec {
        ActionSpec {
            name: "A".into(),
            category: "C".into(),
            integration: "I".into(),
            secure: false,
            config: ActionConfig {
                timeout_seconds: Some(10),
                request: RequestConfig {
                    request_url_template: "https://x/${input.id}".into(),
                    request_type: "GET".into(),
                    ..RequestConfig::default()
                },
                response: ResponseConfig {
                    success_template: Some(template.into()),
                    ..ResponseConfig::default()
                },
                extra: Map::new(),
            },
            contract: Contract {
                input: ContractInput { input_schema: Some(schema), extra: Map::new() },
                output: ContractOutput { success_schema: Some(json!({"type": "object"})), extra: Map::new() },
                extra: Map::new(),
            },
        }
    }

    #[test]
    fn json_equivalent_schemas_give_equal_digests() {
        let a = spec(
            serde_json::from_str(r#"{"type":"object","properties":{"a":{"type":"string","minLength":1}}}"#)
                .unwrap(),
            "${rawResult}",
        );
        let b = spec(serde_json::from_str("{ \"properties\" : { \"a\": {\"minLength\": 1.0, \"type\": \"string\"} },\n \"type\": \"object\" }").unwrap(), "${rawResult}");
        assert_eq!(digest(&a), digest(&b));
    }

    #[test]
    fn any_template_change_changes_the_digest() {
        let a = spec(json!({"type": "object"}), "${rawResult}");
        for t in ["${rawResult} ", "${rawResult}\r\n", "$${rawResult}", "${rawresult}"] {
            assert_ne!(digest(&a), digest(&spec(json!({"type": "object"}), t)), "{t:?}");
        }
    }

    #[test]
    fn defaults_equal_absent_values() {
        let mut a = spec(json!({"type": "object"}), "${rawResult}");
        let mut b = a.clone();
        b.config.response.success_template = None;
        b.config.request.request_template = Some(DEFAULT_REQUEST_TEMPLATE.into());
        b.config.request.headers = Some(Map::new());
        assert_eq!(digest(&a), digest(&b));
        a.config.extra.insert("unmodelled".into(), json!(1));
        assert_eq!(digest(&a), digest(&b));
    }

    #[test]
    fn digest_format() {
        let d = digest_bytes(b"");
        assert_eq!(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn the_order_of_required_names_is_not_a_contract_change() {
        let a = json!({"type": "object", "required": ["userId", "apiEndpoint"], "properties": {
            "required": {"type": "string"}, "nested": {"type": "object", "required": ["b", "a"]}}});
        let b = json!({"type": "object", "required": ["apiEndpoint", "userId"], "properties": {
            "required": {"type": "string"}, "nested": {"type": "object", "required": ["a", "b"]}}});
        assert_eq!(canonical_schema(&a), canonical_schema(&b));
        let c = json!({"type": "object", "required": ["userId"]});
        assert_ne!(canonical_schema(&a), canonical_schema(&c), "a different set still differs");
        // Data is not a schema: a `required` list inside a default keeps its order.
        let d1 = json!({"type": "object", "default": {"required": ["b", "a"]}});
        let d2 = json!({"type": "object", "default": {"required": ["a", "b"]}});
        assert_ne!(canonical_schema(&d1), canonical_schema(&d2));
    }
}
