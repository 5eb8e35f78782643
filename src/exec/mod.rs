//! The local runtime: runs a data action exactly as Genesys does — request templates,
//! the HTTP call, the translation map and the success template — and reports every step in
//! Genesys's `TestExecutionResult` shape. `gcsync test` and the emulator's `/test`,
//! `/execute` and `/draft/test` use it.
//!
//! Owns: [`CompiledAction`] (an `ActionSpec` compiled once), the pipeline ([`run`],
//! [`prepare`]/[`Pending::finish`]), the [`Transport`] seam (real HTTP, stubs), credentials,
//! flattening, test cases (`tests:` in manifests) and their expectations ([`cases`]), and
//! the helpers that turn CLI inputs into a request body.
//! Must not: print, read manifests or state, or call the Genesys API. Depends only on
//! `model`, `velocity` and `jsonpath` in the crate.

pub mod action;
pub mod cases;
pub mod credentials;
pub mod flatten;
pub mod pipeline;
pub mod result;
pub mod transport;

pub use action::{CompiledAction, DEFAULT_TIMEOUT_SECONDS, input_defaults};
pub use credentials::{CredentialKind, Credentials};
pub use pipeline::{
    Exchange, ExecEnv, Pending, Prepared, REDACTED, Report, RunOptions, parse_json, prepare, run,
};
pub use result::{ErrorBody, Operation, Outcome, STEP_NAMES, TestExecutionResult};
pub use transport::{HttpRequest, HttpResponse, HttpTransport, StubTransport, Transport, TransportError};

use serde_json::{Map, Value};

/// A `--input name=value` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// No `=`.
    #[error("`{0}` is not `name=value`")]
    NotAssignment(String),
    /// A typed input whose text does not parse as its type.
    #[error("input `{name}` is declared `{ty}`, but `{value}` is not a valid {ty}")]
    WrongType {
        /// Input name.
        name: String,
        /// Declared type.
        ty: String,
        /// The text given.
        value: String,
    },
}

/// Turns `name=value` into a JSON value typed by the input schema: `integer`, `number` and
/// `boolean` inputs parse their text (`count=5` → `5`), everything else stays a string;
/// `name=null` (any type) sends JSON null, which the pipeline then drops like a flow's null.
pub fn parse_input_assignment(action: &CompiledAction, text: &str) -> Result<(String, Value), InputError> {
    let Some((name, value)) = text.split_once('=') else {
        return Err(InputError::NotAssignment(text.to_string()));
    };
    let name = name.trim().to_string();
    if value == "null" {
        return Ok((name, Value::Null));
    }
    let ty = action.input_type(&name).unwrap_or("string");
    let wrong = || InputError::WrongType { name: name.clone(), ty: ty.to_string(), value: value.to_string() };
    let v = match ty {
        "integer" => value.trim().parse::<i64>().map(Value::from).map_err(|_| wrong())?,
        "number" => {
            let n = value.trim().parse::<f64>().map_err(|_| wrong())?;
            serde_json::Number::from_f64(n).map(Value::Number).ok_or_else(wrong)?
        }
        "boolean" => match value.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(wrong()),
        },
        _ => Value::String(value.to_string()),
    };
    Ok((name, v))
}

/// The request body `gcsync test` sends: `given`, then the input schema's `default` of
/// every input not given (an explicit `null` keeps a default out). Flows and the API get no
/// defaults.
#[must_use]
pub fn with_defaults(action: &CompiledAction, given: &Map<String, Value>) -> Value {
    let mut body = given.clone();
    for (k, v) in action.input_defaults() {
        if !body.contains_key(&k) {
            body.insert(k, v);
        }
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActionConfig, ActionSpec, Contract, ContractInput, RequestConfig};
    use serde_json::json;

    fn action() -> CompiledAction {
        CompiledAction::new(&ActionSpec {
            name: "A".into(),
            category: "C".into(),
            integration: "I".into(),
            secure: false,
            config: ActionConfig {
                request: RequestConfig {
                    request_url_template: "https://x".into(),
                    request_type: "GET".into(),
                    ..RequestConfig::default()
                },
                ..ActionConfig::default()
            },
            contract: Contract {
                input: ContractInput {
                    input_schema: Some(json!({"type": "object", "properties": {
                        "n": {"type": "integer"}, "f": {"type": "number"}, "b": {"type": "boolean"},
                        "s": {"type": "string", "default": "dflt"}}})),
                    ..ContractInput::default()
                },
                ..Contract::default()
            },
        })
    }

    #[test]
    fn assignments_follow_the_schema_types() {
        let a = action();
        assert_eq!(parse_input_assignment(&a, "n=5").unwrap(), ("n".into(), json!(5)));
        assert_eq!(parse_input_assignment(&a, "f=1.5").unwrap(), ("f".into(), json!(1.5)));
        assert_eq!(parse_input_assignment(&a, "b=true").unwrap(), ("b".into(), json!(true)));
        assert_eq!(parse_input_assignment(&a, "s=a=b").unwrap(), ("s".into(), json!("a=b")));
        assert_eq!(parse_input_assignment(&a, "other=7").unwrap(), ("other".into(), json!("7")));
        assert_eq!(parse_input_assignment(&a, "n=null").unwrap(), ("n".into(), Value::Null));
        assert!(matches!(parse_input_assignment(&a, "n=x"), Err(InputError::WrongType { .. })));
        assert!(matches!(parse_input_assignment(&a, "n"), Err(InputError::NotAssignment(_))));
    }

    #[test]
    fn defaults_fill_missing_inputs_only() {
        let a = action();
        let mut given = Map::new();
        assert_eq!(with_defaults(&a, &given), json!({"s": "dflt"}));
        given.insert("s".into(), json!("mine"));
        assert_eq!(with_defaults(&a, &given), json!({"s": "mine"}));
        given.insert("s".into(), Value::Null);
        assert_eq!(with_defaults(&a, &given), json!({"s": null}));
    }
}
