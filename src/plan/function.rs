//! Function data actions in the plan: what a manifest's `function:` block asks for
//! ([`FunctionPlan`]: the settings and the sha256 of the code's deterministic zip), how it
//! compares with the org and the state, and which fields the platform generates.
//!
//! Owns: the function's field paths in diffs (`function.handler`, `function.runtime`,
//! `function.timeoutSeconds`, `function.description`, and `function.code`, whose values are
//! the zip hashes: the platform never gives code back, so the state's hash is the "before"),
//! the function's drift (published settings against the state's record), and the live
//! spec's normalisation (the request URL the platform generates is never a difference).
//! Pure: no I/O.
//! Must not: read the code (the operation layer zips it), call the API, print.

use super::FieldChange;
use crate::model::ActionSpec;
use crate::state::TrackedFunction;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The path of the code's hash in diffs.
pub const CODE_FIELD: &str = "function.code";

/// The function a manifest declares, as the plan carries it (saved plans included: apply
/// zips `source` again and refuses to upload bytes whose hash is not `zip_sha256`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionPlan {
    /// `handler`.
    pub handler: String,
    /// `runtime`.
    pub runtime: String,
    /// `timeoutSeconds`.
    pub timeout_seconds: i64,
    /// `description`.
    pub description: String,
    /// `sha256:<hex>` of the deterministic zip of `source`.
    pub zip_sha256: String,
    /// The code: the manifest's `source:` resolved against its directory.
    pub source: String,
    /// `exclude:` patterns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl FunctionPlan {
    /// The `Function` body of `PUT /actions/{id}/draft/function` (the platform sets `zipId`).
    #[must_use]
    pub fn settings_json(&self) -> Value {
        json!({
            "description": self.description,
            "handler": self.handler,
            "runtime": self.runtime,
            "timeoutSeconds": self.timeout_seconds,
        })
    }

    /// What the state records once this function is applied.
    #[must_use]
    pub fn tracked(&self) -> TrackedFunction {
        TrackedFunction {
            handler: self.handler.clone(),
            runtime: self.runtime.clone(),
            timeout_seconds: self.timeout_seconds,
            description: self.description.clone(),
            zip_sha256: Some(self.zip_sha256.clone()),
        }
    }

    /// The settings as diff fields (`function.handler`, ...), the code's hash last.
    #[must_use]
    pub fn fields(&self) -> Vec<(&'static str, Value)> {
        let mut out = settings_fields(&self.settings_json());
        out.push((CODE_FIELD, Value::String(self.zip_sha256.clone())));
        out
    }
}

/// The settings fields of a `Function` JSON object (live or desired).
fn settings_fields(v: &Value) -> Vec<(&'static str, Value)> {
    // An absent setting is null, so it differs from any value the manifest sets.
    let get = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    vec![
        ("function.handler", get("handler")),
        ("function.runtime", get("runtime")),
        ("function.timeoutSeconds", get("timeoutSeconds")),
        ("function.description", get("description")),
    ]
}

/// A state record's settings as a `Function` JSON object.
fn tracked_json(t: &TrackedFunction) -> Value {
    json!({
        "description": t.description,
        "handler": t.handler,
        "runtime": t.runtime,
        "timeoutSeconds": t.timeout_seconds,
    })
}

/// What changes between the function in the org and the desired one: the settings against
/// the published ones when they were read (`live`), else the state's record; the code against
/// `known_code` (the hash of what gcsync last uploaded; `None`: unknown, so it is uploaded).
#[must_use]
pub fn diff(
    desired: &FunctionPlan,
    live: Option<&Value>,
    tracked: Option<&TrackedFunction>,
    known_code: Option<&str>,
) -> Vec<FieldChange> {
    let before = match (live, tracked) {
        (Some(v), _) => v.clone(),
        (None, Some(t)) => tracked_json(t),
        (None, None) => Value::Null,
    };
    let mut out: Vec<FieldChange> = settings_fields(&before)
        .into_iter()
        .zip(settings_fields(&desired.settings_json()))
        .filter(|((_, b), (_, a))| b != a)
        .map(|((path, b), (_, a))| FieldChange { path: path.to_string(), before: b, after: a })
        .collect();
    if known_code != Some(desired.zip_sha256.as_str()) {
        out.push(FieldChange {
            path: CODE_FIELD.to_string(),
            before: known_code.map_or(Value::Null, |s| Value::String(s.to_string())),
            after: Value::String(desired.zip_sha256.clone()),
        });
    }
    out
}

/// The settings changed in the org since the last apply (the published `Function` against
/// the state's record); the zip id and the request URL are the platform's and never drift.
#[must_use]
pub fn drift(tracked: &TrackedFunction, live: &Value) -> Vec<String> {
    settings_fields(&tracked_json(tracked))
        .into_iter()
        .zip(settings_fields(live))
        .filter(|((_, t), (_, l))| t != l)
        .map(|((path, _), _)| path.to_string())
        .collect()
}

/// A live function action's spec as gcsync compares it: the request URL is the one the
/// platform generated (with its own function id), never part of the manifest.
#[must_use]
pub fn normalized(spec: &ActionSpec) -> ActionSpec {
    let mut s = spec.clone();
    s.config.request.request_url_template = String::new();
    s
}

/// How a code hash is shown: `sha256 a1b2c3d4…`, or `unknown` (never uploaded by gcsync).
#[must_use]
pub fn short_hash(v: &Value) -> String {
    match v.as_str() {
        Some(s) => format!("sha256 {}…", s.trim_start_matches("sha256:").chars().take(8).collect::<String>()),
        None => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> FunctionPlan {
        FunctionPlan {
            handler: "src/index.handler".into(),
            runtime: "nodejs22.x".into(),
            timeout_seconds: 10,
            description: "Scores".into(),
            zip_sha256: "sha256:c3d4".into(),
            source: "functions/score".into(),
            exclude: Vec::new(),
        }
    }

    #[test]
    fn the_code_hash_and_changed_settings_are_the_diff() {
        let p = plan();
        let mut t = p.tracked();
        assert!(diff(&p, None, Some(&t), Some("sha256:c3d4")).is_empty());
        t.runtime = "nodejs20.x".into();
        let d = diff(&p, None, Some(&t), Some("sha256:a1b2"));
        let paths: Vec<&str> = d.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["function.runtime", CODE_FIELD]);
        assert_eq!(short_hash(&d[1].before), "sha256 a1b2…");
        // The live settings win over the state's record; an unknown hash is uploaded.
        let live = json!({"handler": "x.h", "runtime": "nodejs22.x", "timeoutSeconds": 10, "description": "Scores", "zipId": "z"});
        let d = diff(&p, Some(&live), Some(&t), None);
        let paths: Vec<&str> = d.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["function.handler", CODE_FIELD]);
        assert_eq!(short_hash(&d[1].before), "unknown");
    }

    #[test]
    fn drift_ignores_the_zip_id() {
        let t = plan().tracked();
        let live = json!({"handler": "src/index.handler", "runtime": "nodejs22.x", "timeoutSeconds": 10, "description": "Scores", "zipId": "other"});
        assert!(drift(&t, &live).is_empty());
        let live = json!({"handler": "src/index.handler", "runtime": "nodejs22.x", "timeoutSeconds": 3, "description": "Scores"});
        assert_eq!(drift(&t, &live), ["function.timeoutSeconds"]);
    }
}
