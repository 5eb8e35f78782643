//! Oracle-protocol adapter for the JSONPath engine.
//!
//! Owns: [`eval_jsonpath`], which takes one request in the format of the
//! Java oracle (`/tmp/oracle/oracle`, `kind: "jsonpath"`) and returns the
//! result object the oracle would print, so recorded fixtures can be replayed
//! without Java. Must not: contain JSONPath semantics (those live in
//! `crate::jsonpath`).
//!
//! Known difference: `document_text` is parsed with `serde_json` (strict
//! JSON), whereas Jayway uses json-smart's permissive parser (single quotes,
//! unquoted strings, trailing commas, NaN ... are accepted there).

use serde_json::{Map, Value};

use crate::jsonpath::{JsonPath, Options};

/// Evaluate one oracle request and return the oracle-shaped result.
pub fn eval_jsonpath(req: &Value) -> Value {
    let mut out = Map::new();
    if let Some(id) = req.get("id") {
        out.insert("id".to_string(), id.clone());
    }
    match run(req) {
        Ok((result, result_type)) => {
            out.insert("ok".to_string(), Value::Bool(true));
            out.insert("result".to_string(), result);
            out.insert("result_type".to_string(), Value::String(result_type.to_string()));
            out.insert(
                "engine".to_string(),
                Value::String("gcsync-jsonpath (jayway-jsonpath 2.10.0 semantics)".to_string()),
            );
        }
        Err((error_type, error)) => {
            out.insert("ok".to_string(), Value::Bool(false));
            out.insert("error".to_string(), Value::String(error));
            out.insert("error_type".to_string(), Value::String(error_type));
        }
    }
    Value::Object(out)
}

type Failure = (String, String);

fn bad_request(msg: &str) -> Failure {
    ("OracleBadRequest".to_string(), msg.to_string())
}

fn run(req: &Value) -> Result<(Value, &'static str), Failure> {
    match req.get("kind").and_then(Value::as_str) {
        Some("jsonpath") | None => {}
        Some(other) => return Err(bad_request(&format!("unsupported kind: {other}"))),
    }
    let Some(path) = req.get("path").and_then(Value::as_str) else {
        return Err(bad_request("missing \"path\""));
    };
    let doc: Value = match req.get("document_text") {
        Some(Value::String(text)) => {
            if text.is_empty() {
                return Err((
                    "java.lang.IllegalArgumentException".to_string(),
                    "json string can not be null or empty".to_string(),
                ));
            }
            serde_json::from_str(text)
                .map_err(|e| ("com.jayway.jsonpath.InvalidJsonException".to_string(), e.to_string()))?
        }
        Some(_) => return Err(bad_request("\"document_text\" must be a string")),
        None => match req.get("document") {
            Some(d) => d.clone(),
            None => {
                return Err(bad_request("missing \"document\" (any JSON) or \"document_text\" (string)"));
            }
        },
    };
    let names: Vec<&str> = match req.get("options") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        Some(_) => return Err(bad_request("\"options\" must be a list of option names")),
    };
    let opts = Options::from_names(names).map_err(|m| {
        ("java.lang.IllegalArgumentException".to_string(), format!("{m} for this Jayway version"))
    })?;
    let compiled = JsonPath::parse(path).map_err(fail)?;
    let r = compiled.evaluate_typed(&doc, &opts).map_err(fail)?;
    Ok((r.value, r.java_class))
}

fn fail(e: crate::jsonpath::Error) -> Failure {
    (e.java_class().to_string(), e.message().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn protocol_table() {
        let cases = [
            (
                json!({"id": "a", "kind": "jsonpath", "path": "$.items.length()", "document": {"items": [1, 2, 3]}}),
                json!({"id": "a", "ok": true, "result": 3, "result_type": "java.lang.Integer"}),
            ),
            (
                json!({"kind": "jsonpath", "path": "$.missing", "document": {}}),
                json!({"ok": false, "error_type": "com.jayway.jsonpath.PathNotFoundException"}),
            ),
            (
                json!({"kind": "jsonpath", "path": "$.a", "document_text": "{\"a\": 1.0}"}),
                json!({"ok": true, "result": 1.0, "result_type": "java.lang.Double"}),
            ),
            (
                json!({"kind": "jsonpath", "path": "$.a", "document_text": "{bad"}),
                json!({"ok": false, "error_type": "com.jayway.jsonpath.InvalidJsonException"}),
            ),
        ];
        for (req, want) in cases {
            let got = eval_jsonpath(&req);
            for (k, v) in want.as_object().unwrap() {
                assert_eq!(got.get(k), Some(v), "{req} -> {got}");
            }
        }
        let first_key = eval_jsonpath(&json!({"id": 7, "path": "$", "document": {}}));
        assert_eq!(first_key.as_object().unwrap().keys().next().unwrap(), "id");
    }
}
