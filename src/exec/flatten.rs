//! Flattening of an action's output "as Architect consumes it" (`flatten=true`).
//!
//! Genesys documents only that a flattened schema lists `arrayProperties`; the algorithm is
//! not public (reference §2.10, §9 Q2). gcsync's algorithm, chosen to give every value one
//! flat, typed name a flow variable can bind to:
//!
//! 1. Nested object keys are joined with `.`: `{"company": {"name": "Acme"}}` →
//!    `{"company.name": "Acme"}`. An empty object contributes no key.
//! 2. An array of primitives stays an array under its joined key (`"tags": ["a", "b"]`).
//! 3. An array of objects becomes one parallel array per leaf key, named `list.key`:
//!    `{"items": [{"id": 1, "p": {"x": 2}}, {"id": 3}]}` → `{"items.id": [1, 3],
//!    "items.p.x": [2, null]}` — a missing leaf is `null`, so index *i* of every array
//!    belongs to element *i*. Leaf keys appear in first-seen order.
//! 4. An empty array of objects yields an empty array per leaf key the success schema
//!    declares for its items (or the bare key with `[]` when the schema does not say).
//! 5. `null` stays `null`; a root array is flattened like a property with an empty name.
//!
//! Owns: [`flatten`]. Must not: validate (step 11 ran before) or know HTTP.

use serde_json::{Map, Value};

/// Flattens `output`; `schema` (the success schema) only names the leaves of empty arrays.
#[must_use]
pub fn flatten(output: &Value, schema: Option<&Value>) -> Value {
    let mut out = Map::new();
    match output {
        Value::Object(m) => {
            for (k, v) in m {
                put(&mut out, k, v, child_schema(schema, k));
            }
        }
        other => put(&mut out, "", other, schema),
    }
    Value::Object(out)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }
}

fn child_schema<'a>(schema: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    schema.and_then(|s| s.get("properties")).and_then(|p| p.get(key))
}

fn put(out: &mut Map<String, Value>, key: &str, v: &Value, schema: Option<&Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                put(out, &join(key, k), x, child_schema(schema, k));
            }
        }
        Value::Array(items)
            if items.iter().any(Value::is_object) && items.iter().all(|i| i.is_object() || i.is_null()) =>
        {
            let item_schema = schema.and_then(|s| s.get("items"));
            let flat: Vec<Map<String, Value>> = items
                .iter()
                .map(|i| match flatten(i, item_schema) {
                    Value::Object(m) => m,
                    _ => Map::new(),
                })
                .collect();
            let mut leaves: Vec<String> = Vec::new();
            for m in &flat {
                for k in m.keys() {
                    if !leaves.contains(k) {
                        leaves.push(k.clone());
                    }
                }
            }
            for leaf in leaves {
                let column: Vec<Value> =
                    // A row without that leaf contributes null, as Genesys flattening does.
                    flat.iter().map(|m| m.get(&leaf).cloned().unwrap_or(Value::Null)).collect();
                out.insert(join(key, &leaf), Value::Array(column));
            }
        }
        Value::Array(items) if items.is_empty() => {
            // No `items` schema: no leaves to flatten.
            let leaves = schema.and_then(|s| s.get("items")).map(schema_leaves).unwrap_or_default();
            if leaves.is_empty() {
                out.insert(key.to_string(), Value::Array(Vec::new()));
            } else {
                for leaf in leaves {
                    out.insert(join(key, &leaf), Value::Array(Vec::new()));
                }
            }
        }
        other => {
            out.insert(key.to_string(), other.clone());
        }
    }
}

/// The flattened leaf names of an object schema (empty for non-object schemas).
fn schema_leaves(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, s) in props {
            let nested = schema_leaves(s);
            if nested.is_empty() {
                out.push(k.clone());
            } else {
                out.extend(nested.into_iter().map(|n| join(k, &n)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_join_with_dots() {
        let v = json!({"fullName": "Ada", "company": {"name": "Acme", "address": {"city": "Oslo"}}, "x": null, "e": {}});
        assert_eq!(
            flatten(&v, None),
            json!({"fullName": "Ada", "company.name": "Acme", "company.address.city": "Oslo", "x": null})
        );
    }

    #[test]
    fn arrays_of_objects_become_parallel_arrays() {
        let v = json!({"tags": ["a", "b"], "items": [{"id": 1, "p": {"x": 2}}, {"id": 3, "q": true}]});
        assert_eq!(
            flatten(&v, None),
            json!({"tags": ["a", "b"], "items.id": [1, 3], "items.p.x": [2, null], "items.q": [null, true]})
        );
    }

    #[test]
    fn empty_arrays_use_the_schema() {
        let schema = json!({"type": "object", "properties": {"items": {"type": "array",
            "items": {"type": "object", "properties": {"id": {"type": "string"}, "c": {"type": "object", "properties": {"n": {"type": "string"}}}}}}}});
        assert_eq!(flatten(&json!({"items": []}), Some(&schema)), json!({"items.id": [], "items.c.n": []}));
        assert_eq!(flatten(&json!({"items": []}), None), json!({"items": []}));
    }

    #[test]
    fn root_array() {
        assert_eq!(flatten(&json!([{"a": 1}, {"a": 2}]), None), json!({"a": [1, 2]}));
        assert_eq!(flatten(&json!("x"), None), json!({"": "x"}));
    }
}
