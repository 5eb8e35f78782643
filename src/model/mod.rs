//! The canonical Genesys data action, as the Platform API takes and returns it.
//!
//! Owns: the wire types (`PostActionInput`, `Action`, `ActionConfig`, `RequestConfig`,
//! `ResponseConfig`, contracts), their defaults, and the normalized form + sha256 digest
//! that plan and state compare ([`digest`]). Field names are camelCase on the wire; JSON
//! key order is preserved (`serde_json` with `preserve_order`). Every struct keeps the
//! fields it does not model in `extra`, so reading an action and writing it back never
//! drops what the API sent.
//! Must not: know YAML, manifests, HTTP, or state files.

pub mod digest;
pub mod integration;
pub mod rules;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Unmodelled fields, kept in the order they arrived.
pub type Extra = Map<String, Value>;

/// The default request body template Genesys shows for a new action.
pub const DEFAULT_REQUEST_TEMPLATE: &str = "${input.rawRequest}";
/// The pass-through success template Genesys shows for a new action.
pub const DEFAULT_SUCCESS_TEMPLATE: &str = "${rawResult}";
/// The JSON Schema draft Genesys contracts use.
pub const DRAFT_04: &str = "http://json-schema.org/draft-04/schema#";
/// HTTP methods a web-services data action may use.
pub const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
/// Maximum length of `name` and `category`.
pub const MAX_NAME_LEN: usize = 256;
/// Allowed `timeoutSeconds` range.
pub const TIMEOUT_RANGE: std::ops::RangeInclusive<i64> = 1..=60;

/// `RequestConfig`: how the outbound HTTP request is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RequestConfig {
    /// Velocity template for the URL.
    #[serde(default)]
    pub request_url_template: String,
    /// HTTP method (`GET`, `POST`, ...).
    #[serde(default)]
    pub request_type: String,
    /// Velocity template for the body; `None` when the API only returned a URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_template: Option<String>,
    /// Read-only URI of the stored body template (API responses only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_template_uri: Option<String>,
    /// Header name → Velocity template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Map<String, Value>>,
    /// Fields gcsync does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ResponseConfig`: how the upstream response becomes the action's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResponseConfig {
    /// Output variable → JSONPath.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_map: Option<Map<String, Value>>,
    /// Output variable → JSON text used when the JSONPath finds no value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_map_defaults: Option<Map<String, Value>>,
    /// Velocity template producing the output JSON; `None` when only a URI came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_template: Option<String>,
    /// Read-only URI of the stored success template (API responses only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_template_uri: Option<String>,
    /// Fields gcsync does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ActionConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ActionConfig {
    /// 1–60 seconds; Genesys uses 60 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
    /// The request side.
    #[serde(default)]
    pub request: RequestConfig,
    /// The response side.
    #[serde(default)]
    pub response: ResponseConfig,
    /// Fields gcsync does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The input half of a contract (`ActionInput` / `ActionContractInput.input`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ContractInput {
    /// The draft-04 input schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<Value>,
    /// Fields gcsync does not model (`inputSchemaUri`, `inputSchemaFlattened`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// The output half of a contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ContractOutput {
    /// The draft-04 success schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_schema: Option<Value>,
    /// Fields gcsync does not model (`successSchemaUri`, `errorSchema`, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `ActionContractInput` (request) / the `contract` of an `Action` (response).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Contract {
    /// Input schema.
    #[serde(default)]
    pub input: ContractInput,
    /// Output schema.
    #[serde(default)]
    pub output: ContractOutput,
    /// Fields gcsync does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An action as gcsync desires it: the body of `POST /api/v2/integrations/actions`
/// (`PostActionInput`), with the integration given by *reference* (a name in manifests,
/// an id once resolved against an org).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionSpec {
    /// Action name (unique per org for gcsync).
    pub name: String,
    /// Category (Genesys groups actions by it).
    pub category: String,
    /// The integration: its name until resolved, then its id.
    pub integration: String,
    /// Whether the action is `secure` (PCI).
    pub secure: bool,
    /// Request/response configuration.
    pub config: ActionConfig,
    /// Input/output contract.
    pub contract: Contract,
}

impl ActionSpec {
    /// The `PostActionInput` JSON, with the integration under `key`
    /// (`integrationId` for the API, `integration` when it is still a name).
    #[must_use]
    pub fn to_post_json(&self, key: &str) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), Value::String(self.name.clone()));
        m.insert("category".into(), Value::String(self.category.clone()));
        m.insert(key.into(), Value::String(self.integration.clone()));
        m.insert("secure".into(), Value::Bool(self.secure));
        // Plain data with string keys: serializing cannot fail, so null never stands in.
        m.insert("config".into(), serde_json::to_value(&self.config).unwrap_or(Value::Null));
        m.insert("contract".into(), serde_json::to_value(&self.contract).unwrap_or(Value::Null));
        Value::Object(m)
    }
}

/// An action as the API returns it (`Action`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    /// Opaque id (`custom_-_<uuid>` in practice).
    #[serde(default)]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Category.
    #[serde(default)]
    pub category: String,
    /// Parent integration id.
    #[serde(default)]
    pub integration_id: String,
    /// Secure flag.
    #[serde(default)]
    pub secure: bool,
    /// Version (optimistic concurrency).
    #[serde(default)]
    pub version: i64,
    /// Config (present with `includeConfig=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ActionConfig>,
    /// Contract (present with `expand=contract`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<Contract>,
    /// Self URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_uri: Option<String>,
    /// Fields gcsync does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Action {
    /// The action as a spec (what gcsync would post to recreate it), if it carries config and
    /// contract. Templates that came back only as URIs stay `None`; callers fetch them first.
    #[must_use]
    pub fn to_spec(&self) -> ActionSpec {
        ActionSpec {
            name: self.name.clone(),
            category: self.category.clone(),
            integration: self.integration_id.clone(),
            secure: self.secure,
            // A listing's entry has no config (full reads always do): compared, its empty
            // config differs from every manifest's, so it shows as a change, never a match.
            config: self.config.clone().unwrap_or_default(),
            contract: self.contract.clone().unwrap_or_default(),
        }
    }
}

/// "a string", "an object", … — how messages name the kind of a JSON value.
#[must_use]
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let v = json!({
            "id": "custom_-_1", "name": "A", "category": "C", "integrationId": "i", "version": 3,
            "secure": false, "futureField": {"x": 1},
            "config": {"request": {"requestUrlTemplate": "u", "requestType": "GET", "requestTemplateUri": "/t", "odd": 1},
                       "response": {"successTemplateUri": "/s"}, "newThing": true},
            "contract": {"input": {"inputSchema": {"type": "object"}, "inputSchemaUri": "/x"}, "output": {"successSchema": {}}}
        });
        let a: Action = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(a.extra["futureField"], json!({"x": 1}));
        let back = serde_json::to_value(&a).unwrap();
        assert_eq!(back["config"]["newThing"], json!(true));
        assert_eq!(back["config"]["request"]["odd"], json!(1));
        assert_eq!(back["contract"]["input"]["inputSchemaUri"], json!("/x"));
    }
}
