//! The oracle protocol: gcsync's Velocity and JSONPath engines behind the same JSON
//! request/result format as `../shared/oracle` (real Apache Velocity and Jayway JsonPath),
//! so both can be diffed directly (`gcsync eval`).
//!
//! Owns: dispatching a request by `kind` and shaping results and errors like the oracle.
//! Must not: be used by the runtime pipeline (it calls the engines directly).

pub mod jsonpath;
pub mod velocity;

use serde_json::{Value, json};

/// Evaluates one oracle-protocol request.
#[must_use]
pub fn eval_request(req: &Value) -> Value {
    match req.get("kind").and_then(Value::as_str) {
        Some("velocity") => velocity::eval_velocity(req),
        Some("jsonpath") => jsonpath::eval_jsonpath(req),
        Some("info") => {
            let mut v = json!({
                "ok": true,
                "engines": {"velocity": ["gcsync (Velocity 1.7 dialect, Genesys tools)"], "jsonpath": ["gcsync (Jayway 2.10.0 semantics)"]},
                "version": env!("CARGO_PKG_VERSION"),
            });
            if let (Some(id), Some(m)) = (req.get("id"), v.as_object_mut()) {
                let mut out = serde_json::Map::new();
                out.insert("id".into(), id.clone());
                out.extend(std::mem::take(m));
                v = Value::Object(out);
            }
            v
        }
        other => {
            let mut out = serde_json::Map::new();
            if let Some(id) = req.get("id") {
                out.insert("id".into(), id.clone());
            }
            out.insert("ok".into(), json!(false));
            out.insert("error_type".into(), json!("OracleBadRequest"));
            out.insert(
                "error".into(),
                json!(match other {
                    Some(k) => format!("unknown kind `{k}`; expected velocity, jsonpath or info"),
                    None => "a request needs a string `kind` (velocity, jsonpath or info)".to_string(),
                }),
            );
            Value::Object(out)
        }
    }
}
