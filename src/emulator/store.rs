//! The emulated org's data: integrations, credentials, actions (published and draft),
//! and how they are persisted with `--data FILE`.
//!
//! Owns: the records, id generation, version counters, name uniqueness, Genesys-shaped
//! JSON views of records (templates as URIs, contract only when expanded), and atomic
//! persistence (the whole org as one JSON file, written after every mutation).
//! Must not: know HTTP (routes do) or faults.

use crate::model::{ActionConfig, Contract, rules};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Base path of every action.
pub const ACTIONS_BASE: &str = "/api/v2/integrations/actions";

/// One version of an action's definition (published or draft).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionBody {
    /// Name.
    pub name: String,
    /// Category.
    pub category: String,
    /// Secure flag.
    pub secure: bool,
    /// Version counter.
    pub version: i64,
    /// Config with inline templates (the API shows URIs instead).
    pub config: ActionConfig,
    /// Contract.
    pub contract: Contract,
}

/// An action: a published definition, a draft, or both.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRec {
    /// Id (`custom_-_<uuid>`).
    pub id: String,
    /// Parent integration.
    pub integration_id: String,
    /// The published definition.
    pub published: Option<ActionBody>,
    /// The draft.
    pub draft: Option<ActionBody>,
    /// Number of times the action was published (its published version base).
    #[serde(default)]
    pub publish_count: i64,
}

/// A credential (values stored as given; this is the emulated org's vault).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialRec {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `basicAuth`, `userDefined`, `userDefinedOAuth`, `pureCloudOAuthClient`.
    pub type_name: String,
    /// Field values.
    pub fields: Map<String, Value>,
}

/// An integration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationRec {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `custom-rest-actions` or `purecloud-data-actions`.
    pub type_id: String,
    /// Notes.
    pub notes: String,
    /// ENABLED / DISABLED.
    pub intended_state: String,
    /// Current configuration (`/config/current`).
    pub config: Value,
}

/// The whole org.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgData {
    /// Organization id (`GET /api/v2/organizations/me`).
    pub org_id: String,
    /// Organization name.
    pub org_name: String,
    /// Integrations by id.
    pub integrations: BTreeMap<String, IntegrationRec>,
    /// Credentials by id.
    #[serde(default)]
    pub credentials: BTreeMap<String, CredentialRec>,
    /// Actions by id.
    pub actions: BTreeMap<String, ActionRec>,
    /// Function settings and code of function actions, by action id (`functions.rs`).
    #[serde(default)]
    pub functions: BTreeMap<String, super::functions::FunctionRec>,
    /// Upload URLs handed out, by token (`functions.rs`).
    #[serde(default)]
    pub function_uploads: BTreeMap<String, super::functions::UploadRec>,
    /// Architect flows and the dependency build (`super::flows`).
    #[serde(default)]
    pub architect: super::flows::Architect,
}

/// Integration types the emulator knows, with their display names.
pub const INTEGRATION_TYPES: [(&str, &str); 3] = [
    ("custom-rest-actions", "Web Services Data Actions"),
    ("purecloud-data-actions", "Genesys Cloud Data Actions"),
    ("function-data-actions", "Function Data Actions"),
];

impl OrgData {
    /// A new, empty org.
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self {
            org_id: uuid::Uuid::new_v4().to_string(),
            org_name: name.to_string(),
            integrations: BTreeMap::new(),
            credentials: BTreeMap::new(),
            actions: BTreeMap::new(),
            functions: BTreeMap::new(),
            function_uploads: BTreeMap::new(),
            architect: super::flows::Architect::default(),
        }
    }

    /// Loads the org from `path`, or a new one if the file does not exist.
    pub fn load_or_new(path: &PathBuf, name: &str) -> Result<Self, String> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| format!("`{}` is not an emulator data file: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::new(name)),
            Err(e) => Err(format!("cannot read `{}`: {}", path.display(), crate::fsutil::io_reason(&e))),
        }
    }

    /// Writes the org to `path` atomically.
    pub fn save(&self, path: &std::path::Path) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        crate::fsutil::write_atomic(path, &bytes, false)
    }

    /// Creates an integration and returns its id.
    pub fn create_integration(&mut self, name: &str, type_id: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let config = json!({
            "id": id, "name": name, "version": 1, "properties": {}, "advanced": {}, "notes": "",
            "credentials": {}, "selfUri": format!("/api/v2/integrations/{id}/config/current")
        });
        self.integrations.insert(
            id.clone(),
            IntegrationRec {
                id: id.clone(),
                name: name.to_string(),
                type_id: type_id.to_string(),
                notes: String::new(),
                intended_state: "DISABLED".into(),
                config,
            },
        );
        id
    }

    /// Whether another action of the same integration already uses `name` (published or
    /// draft), ignoring case.
    #[must_use]
    pub fn name_taken(&self, integration_id: &str, name: &str, except_id: Option<&str>) -> bool {
        self.actions.values().any(|a| {
            Some(a.id.as_str()) != except_id
                && a.integration_id == integration_id
                && [&a.published, &a.draft].into_iter().flatten().any(|b| b.name.eq_ignore_ascii_case(name))
        })
    }
}

/// The Genesys JSON of an integration.
#[must_use]
pub fn integration_json(i: &IntegrationRec) -> Value {
    let type_name =
        INTEGRATION_TYPES.iter().find(|(t, _)| *t == i.type_id).map_or("Integration", |(_, n)| *n);
    let (code, effective) =
        if i.intended_state == "ENABLED" { ("ACTIVE", "Active") } else { ("INACTIVE", "Inactive") };
    json!({
        "id": i.id,
        "name": i.name,
        "integrationType": {"id": i.type_id, "name": type_name, "selfUri": format!("/api/v2/integrations/types/{}", i.type_id)},
        "notes": i.notes,
        "intendedState": i.intended_state,
        "config": {"current": i.config},
        "reportedState": {"code": code, "effective": effective, "lastUpdated": "2026-01-01T00:00:00.000Z"},
        "attributes": {},
        "selfUri": format!("/api/v2/integrations/{}", i.id),
    })
}

/// What an action view includes.
#[derive(Debug, Clone, Copy, Default)]
pub struct View {
    /// `expand=contract`.
    pub contract: bool,
    /// `includeConfig=true`.
    pub config: bool,
    /// The draft (URIs carry `/draft`).
    pub draft: bool,
}

/// The Genesys JSON of one action definition: templates as URIs, contract/config only when
/// asked for.
#[must_use]
pub fn action_json(rec: &ActionRec, body: &ActionBody, view: View) -> Value {
    let base = if view.draft {
        format!("{ACTIONS_BASE}/{}/draft", rec.id)
    } else {
        format!("{ACTIONS_BASE}/{}", rec.id)
    };
    let mut m = Map::new();
    m.insert("id".into(), json!(rec.id));
    m.insert("name".into(), json!(body.name));
    m.insert("category".into(), json!(body.category));
    m.insert("integrationId".into(), json!(rec.integration_id));
    m.insert("secure".into(), json!(body.secure));
    if view.config {
        let mut cfg = body.config.clone();
        cfg.request.request_template = None;
        cfg.request.request_template_uri = Some(format!("{base}/templates/requesttemplate.vm"));
        cfg.response.success_template = None;
        cfg.response.success_template_uri = Some(format!("{base}/templates/successtemplate.vm"));
        if cfg.response.translation_map.is_none() {
            cfg.response.translation_map = Some(Map::new());
        }
        if cfg.response.translation_map_defaults.is_none() {
            cfg.response.translation_map_defaults = Some(Map::new());
        }
        // Plain data (string keys) always serializes; the default never stands in.
        m.insert("config".into(), serde_json::to_value(&cfg).unwrap_or(Value::Null));
    }
    if view.contract {
        let mut c = body.contract.clone();
        c.input.extra.insert("inputSchemaUri".into(), json!(format!("{base}/schemas/inputschema.json")));
        c.output.extra.insert("successSchemaUri".into(), json!(format!("{base}/schemas/successschema.json")));
        // Plain data (string keys) always serializes; the default never stands in.
        m.insert("contract".into(), serde_json::to_value(&c).unwrap_or(Value::Null));
    }
    m.insert("version".into(), json!(body.version));
    m.insert("selfUri".into(), json!(base));
    Value::Object(m)
}

/// A problem with a posted action, as Genesys reports it (400).
#[derive(Debug, Clone)]
pub struct Invalid {
    /// Message.
    pub message: String,
    /// `details[].errorCode`, if any.
    pub error_code: Option<&'static str>,
}

/// Validates a posted definition the way the platform does on create/patch.
pub fn validate_body(body: &ActionBody) -> Result<(), Invalid> {
    let spec = crate::model::ActionSpec {
        name: body.name.clone(),
        category: body.category.clone(),
        integration: String::new(),
        secure: body.secure,
        config: body.config.clone(),
        contract: body.contract.clone(),
    };
    let errors: Vec<rules::Violation> =
        rules::check_spec(&spec).into_iter().filter(|v| v.level == rules::Level::Error).collect();
    if errors.iter().any(|v| v.code == "accept-json") {
        return Err(Invalid {
            message: "The 'Accept' header only supports json content types when specified".into(),
            error_code: Some("INVALID_SCHEMA"),
        });
    }
    if let Some(v) = errors.first() {
        let field = v.path.join(".");
        return Err(Invalid {
            message: format!("{} (at `{field}`)", v.message.replace('`', "'")),
            error_code: Some(if v.path.first().is_some_and(|p| p == "contract") {
                "INVALID_SCHEMA"
            } else {
                "INVALID_VALUE"
            }),
        });
    }
    Ok(())
}
