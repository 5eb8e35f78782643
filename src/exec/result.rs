//! The shape of a run: Genesys's `TestExecutionResult` (one `operations[]` entry per step,
//! `success`, `finalResult`, `error`) with `ErrorBody`-shaped errors, the constant list of
//! step names, the error codes gcsync uses, and the outcome Architect would take.
//!
//! Owns: the serde types (also used to read a real org's `/test` answer, so every field is
//! optional on input and unknown fields are kept), [`STEP_NAMES`], the error constructors
//! for each failure class, and [`Outcome`].
//! Must not: run anything or print.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The step names, in order. 1–10 are copied from Genesys's own test trace (reference §2.1);
/// 11 and 12 are gcsync's names for the steps Genesys does not show (schema validation and
/// flattening, reference §9 Q1). A constant list so a verified name is a one-line change.
pub const STEP_NAMES: [&str; 12] = [
    "Validate request body contains simple json (key-value pairs)",
    "Validate draft definition",
    "Validate request body against simple input schema",
    "Perform authentication",
    "Resolve request URL template",
    "Resolve request header templates",
    "Resolve request body template",
    "Execute",
    "Resolve translation map",
    "Apply output transformation",
    "Validate output against success schema",
    "Flatten output",
];

/// Step numbers (1-based, as in `operations[].step`).
pub mod step {
    /// Validate request body contains simple json (key-value pairs).
    pub const SIMPLE_JSON: u32 = 1;
    /// Validate draft definition.
    pub const DEFINITION: u32 = 2;
    /// Validate request body against simple input schema.
    pub const INPUT_SCHEMA: u32 = 3;
    /// Perform authentication.
    pub const AUTH: u32 = 4;
    /// Resolve request URL template.
    pub const URL: u32 = 5;
    /// Resolve request header templates.
    pub const HEADERS: u32 = 6;
    /// Resolve request body template.
    pub const BODY: u32 = 7;
    /// Execute.
    pub const EXECUTE: u32 = 8;
    /// Resolve translation map.
    pub const TRANSLATION: u32 = 9;
    /// Apply output transformation.
    pub const TRANSFORM: u32 = 10;
    /// Validate output against success schema (gcsync's name).
    pub const OUTPUT_SCHEMA: u32 = 11;
    /// Flatten output (gcsync's name).
    pub const FLATTEN: u32 = 12;
}

/// The name of step `n` (1-based).
#[must_use]
pub fn step_name(n: u32) -> &'static str {
    usize::try_from(n)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| STEP_NAMES.get(i))
        .copied()
        .unwrap_or("")
}

/// `details[].errorCode` values.
pub mod codes {
    /// Template, translation-map, schema or definition problems (documented by Genesys).
    pub const PROCESSING: &str = "ACTION.PROCESSING";
    /// The web service answered badly or could not be reached (documented by Genesys).
    pub const REMOTE_ENDPOINT: &str = "ACTION.REMOTE_ENDPOINT";
    /// The web service did not answer within `timeoutSeconds` (gcsync's choice; §9 Q8).
    pub const TIMEOUT: &str = "ACTION.TIMEOUT";
    /// The action definition is incomplete or its schemas are invalid.
    pub const INVALID_SCHEMA: &str = "INVALID_SCHEMA";
}

/// HTTP status of a timeout failure (gcsync's choice: a gateway that gave up waiting).
pub const TIMEOUT_STATUS: u16 = 504;

/// One entry of `details[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// e.g. `ACTION.PROCESSING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Fields gcsync does not model (`fieldName`, `entityId`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Genesys's `ErrorBody`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// What went wrong.
    #[serde(default)]
    pub message: String,
    /// e.g. `bad.request`.
    #[serde(default)]
    pub code: String,
    /// HTTP status.
    #[serde(default)]
    pub status: u16,
    /// Always `{}` here.
    #[serde(default)]
    pub message_params: Map<String, Value>,
    /// A uuid identifying this error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
    /// `[{errorCode}]`.
    #[serde(default)]
    pub details: Vec<ErrorDetail>,
    /// Nested errors (always empty here).
    #[serde(default)]
    pub errors: Vec<ErrorBody>,
    /// Fields gcsync does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ErrorBody {
    /// An error with one `details[].errorCode` and a fresh `contextId`.
    #[must_use]
    pub fn new(status: u16, code: &str, error_code: &str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: code.to_string(),
            status,
            message_params: Map::new(),
            context_id: Some(uuid::Uuid::new_v4().to_string()),
            details: vec![ErrorDetail { error_code: Some(error_code.to_string()), extra: Map::new() }],
            errors: Vec::new(),
            extra: Map::new(),
        }
    }

    /// 400 `bad.request` with `ACTION.PROCESSING` (templates, translation map, schemas).
    #[must_use]
    pub fn processing(message: impl Into<String>) -> Self {
        Self::new(400, "bad.request", codes::PROCESSING, message)
    }

    /// The first `details[].errorCode`, if any.
    #[must_use]
    pub fn error_code(&self) -> Option<&str> {
        self.details.iter().find_map(|d| d.error_code.as_deref())
    }

    /// Whether this error is a timeout.
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        self.error_code() == Some(codes::TIMEOUT) || self.code == "timeout"
    }
}

/// One step of the trace (`TestExecutionOperationResult`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// 1-based step number.
    #[serde(default)]
    pub step: u32,
    /// Step name (see [`STEP_NAMES`]).
    #[serde(default)]
    pub name: String,
    /// Whether the step succeeded.
    #[serde(default)]
    pub success: bool,
    /// What the step produced (the resolved URL, the translated values, ...).
    #[serde(default)]
    pub result: Value,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// gcsync addition (absent from Genesys's shape when empty): notes such as a
    /// translation-map default that is not JSON text and was inserted as a string.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Fields gcsync does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Genesys's `TestExecutionResult`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TestExecutionResult {
    /// One entry per step that ran, in order; the last one failed when `success` is false.
    #[serde(default)]
    pub operations: Vec<Operation>,
    /// Whether every step succeeded.
    #[serde(default)]
    pub success: bool,
    /// The action's output (flattened when asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_result: Option<Value>,
    /// The failed step's error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// Fields gcsync does not model.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What Architect's Call Data Action would do with the result.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<'a> {
    /// The Success path, with the output.
    Success(&'a Value),
    /// The Failure path.
    Failure(&'a ErrorBody),
    /// The Timeout path.
    Timeout(&'a ErrorBody),
}

impl TestExecutionResult {
    /// The outcome Architect would take.
    #[must_use]
    pub fn outcome(&self) -> Outcome<'_> {
        static NULL: Value = Value::Null;
        if self.success {
            return Outcome::Success(self.final_result.as_ref().unwrap_or(&NULL));
        }
        let failed = self.operations.iter().rev().find(|o| !o.success).and_then(|o| o.error.as_ref());
        match self.error.as_ref().or(failed) {
            Some(e) if e.is_timeout() => Outcome::Timeout(e),
            Some(e) => Outcome::Failure(e),
            None => Outcome::Success(self.final_result.as_ref().unwrap_or(&NULL)),
        }
    }

    /// The step that failed, if any.
    #[must_use]
    pub fn failed_step(&self) -> Option<&Operation> {
        if self.success { None } else { self.operations.iter().find(|o| !o.success) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn step_names_are_the_genesys_ones_in_order() {
        assert_eq!(step_name(1), "Validate request body contains simple json (key-value pairs)");
        assert_eq!(step_name(step::TRANSFORM), "Apply output transformation");
        assert_eq!(step_name(13), "");
        assert_eq!(step_name(0), "");
    }

    #[test]
    fn reads_a_genesys_answer_and_keeps_unknown_fields() {
        let v = json!({"operations": [{"step": 10, "name": "Apply output transformation", "success": false,
            "error": {"message": "m", "code": "bad.request", "status": 400, "details": [{"errorCode": "ACTION.PROCESSING"}], "future": 1}}],
            "success": false, "error": {"message": "m", "code": "bad.request", "status": 400}});
        let r: TestExecutionResult = serde_json::from_value(v).unwrap();
        assert_eq!(r.operations[0].error.as_ref().unwrap().extra["future"], json!(1));
        match r.outcome() {
            Outcome::Failure(e) => assert_eq!(e.status, 400),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.failed_step().map(|o| o.step), Some(10));
    }

    #[test]
    fn timeout_outcome() {
        let e = ErrorBody::new(TIMEOUT_STATUS, "timeout", codes::TIMEOUT, "slow");
        let r = TestExecutionResult { success: false, error: Some(e), ..Default::default() };
        assert!(matches!(r.outcome(), Outcome::Timeout(_)));
    }
}
