//! `kind: Integration` documents: an integration and its credential, as code.
//!
//! Owns: the Integration manifest format — `name`, `type` (`custom-rest-actions` |
//! `purecloud-data-actions`), `enabled` (default true), `notes`, and `credential: {type,
//! fields: {<field>: {env: VAR_NAME}}, authAction}` — its rules (credential values are never
//! written in manifests: an inline value is an error; `basicAuth` needs `userName` and
//! `password`; `authAction` only for `userDefinedOAuth`), and compilation to
//! [`IntegrationSpec`].
//! Must not: read environment variables (plan resolves them) or call the API.

use super::RequestManifest;
use super::parse::parse_request_node;
use super::reader::{MapReader, Sink, Sp, StringMap, suggest};
use crate::model::integration::{
    AuthActionSpec, CREDENTIAL_TYPES, CredentialSpec, INTEGRATION_TYPES, IntegrationSpec,
};
use crate::model::{RequestConfig, ResponseConfig};
use crate::yaml::{Node, Pos, Value};
use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};

const KEYS: [&str; 6] = ["kind", "name", "type", "enabled", "notes", "credential"];
const CREDENTIAL_KEYS: [&str; 3] = ["type", "fields", "authAction"];
const AUTH_KEYS: [&str; 2] = ["request", "response"];
const RESPONSE_KEYS: [&str; 3] = ["translationMap", "translationMapDefaults", "successTemplate"];

/// A `kind: Integration` document.
#[derive(Debug, Clone)]
pub struct IntegrationManifest {
    /// The file it came from.
    pub file: PathBuf,
    /// Where the document starts.
    pub pos: Pos,
    /// Integration name (actions refer to it).
    pub name: Sp<String>,
    /// Integration type id.
    pub type_id: Sp<String>,
    /// Whether it is enabled (default true).
    pub enabled: bool,
    /// Notes.
    pub notes: String,
    /// The credential, if any.
    pub credential: Option<CredentialManifest>,
}

/// `credential:` of an integration.
#[derive(Debug, Clone)]
pub struct CredentialManifest {
    /// Where `credential:` is.
    pub pos: Pos,
    /// Credential type.
    pub type_name: Sp<String>,
    /// Field name → environment variable holding its value.
    pub fields: Vec<(Sp<String>, Sp<String>)>,
    /// The custom auth action's configuration (`userDefinedOAuth`).
    pub auth_action: Option<AuthActionManifest>,
}

/// `authAction:` of a `userDefinedOAuth` credential.
#[derive(Debug, Clone)]
pub struct AuthActionManifest {
    /// The request.
    pub request: RequestManifest,
    /// Translation map.
    pub translation_map: Option<StringMap>,
    /// Translation-map defaults.
    pub translation_map_defaults: Option<StringMap>,
    /// Success template.
    pub success_template: Option<Sp<String>>,
}

/// Parses one Integration document (problems reported, `None` when unusable).
pub fn parse(file: &Path, doc: &Node, sink: &mut Sink<'_>) -> Option<IntegrationManifest> {
    let mut r = MapReader::new(doc, "`Integration`", sink)?;
    r.get("kind");
    let name = r.required_string("name", sink);
    r.what =
        name.as_ref().map_or_else(|| "`Integration`".to_string(), |n| format!("`Integration` `{}`", n.value));
    let what = r.what.clone();
    let type_id = r.required_string("type", sink);
    if let Some(t) = &type_id
        && !INTEGRATION_TYPES.contains(&t.value.as_str())
    {
        let known = INTEGRATION_TYPES.join(", ");
        let hint = suggest(&t.value, &INTEGRATION_TYPES)
            .map_or_else(|| format!("use one of {known}"), |s| format!("did you mean `{s}`?"));
        sink.error_hint("integration-type", format!("{what} has unknown type `{}`", t.value), t.pos, hint);
    }
    let enabled = r.boolean("enabled", sink).is_none_or(|b| b.value);
    // No `notes:` is empty notes, as Genesys stores them.
    let notes = r.string("notes", sink).map(|s| s.value).unwrap_or_default();
    let credential = match r.get("credential") {
        Some((_, node)) if node.value != Value::Null => parse_credential(node, &what, sink),
        _ => None,
    };
    r.finish(&KEYS, sink);
    if let (Some(t), Some(c)) = (&type_id, &credential)
        && t.value == "purecloud-data-actions"
        && c.type_name.value != "pureCloudOAuthClient"
    {
        sink.warning(
            "credential-type",
            format!(
                "{what}: Genesys Cloud Data Actions integrations use a `pureCloudOAuthClient` credential"
            ),
            c.type_name.pos,
            None,
        );
    }
    Some(IntegrationManifest {
        file: file.to_path_buf(),
        pos: doc.pos,
        name: name?,
        type_id: type_id?,
        enabled,
        notes,
        credential,
    })
}

fn parse_credential(node: &Node, what: &str, sink: &mut Sink<'_>) -> Option<CredentialManifest> {
    let cwhat = format!("`credential` of {what}");
    let mut r = MapReader::new(node, &cwhat, sink)?;
    let type_name = r.required_string("type", sink);
    if let Some(t) = &type_name
        && !CREDENTIAL_TYPES.contains(&t.value.as_str())
    {
        let hint = suggest(&t.value, &CREDENTIAL_TYPES).map_or_else(
            || format!("use one of {}", CREDENTIAL_TYPES.join(", ")),
            |s| format!("did you mean `{s}`?"),
        );
        sink.error_hint("credential-type", format!("{cwhat} has unknown type `{}`", t.value), t.pos, hint);
    }
    let mut fields = Vec::new();
    match r.get("fields") {
        None => sink.error("missing-field", format!("missing required field `fields` in {cwhat}"), r.pos),
        Some((_, f)) => match &f.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    if let Some(var) = env_ref(v, &k.name, sink) {
                        fields.push((Sp::new(k.name.clone(), k.pos), var));
                    }
                }
            }
            other => sink.error(
                "wrong-type",
                format!("`fields` of {cwhat} must be a mapping, found {}", other.type_name()),
                f.pos,
            ),
        },
    }
    let auth_action = match r.get("authAction") {
        Some((k, a)) => {
            if type_name.as_ref().is_some_and(|t| t.value != "userDefinedOAuth") {
                sink.error(
                    "misplaced-field",
                    format!("`authAction` only applies to a `userDefinedOAuth` credential ({cwhat})"),
                    k.pos,
                );
            }
            parse_auth_action(a, what, sink)
        }
        None => None,
    };
    r.finish(&CREDENTIAL_KEYS, sink);
    let type_name = type_name?;
    if type_name.value == "basicAuth" {
        for required in ["userName", "password"] {
            if !fields.iter().any(|(k, _)| k.value == required) {
                sink.error_hint(
                    "credential-field",
                    format!("a `basicAuth` credential needs the field `{required}` ({cwhat})"),
                    node.pos,
                    format!("add `{required}: {{env: SOME_VARIABLE}}` under `fields`"),
                );
            }
        }
    }
    Some(CredentialManifest { pos: node.pos, type_name, fields, auth_action })
}

/// `{env: VAR}` → the variable name; an inline value is refused.
fn env_ref(node: &Node, field: &str, sink: &mut Sink<'_>) -> Option<Sp<String>> {
    match &node.value {
        Value::Map(_) => {
            let mut r = MapReader::new(node, &format!("credential field `{field}`"), sink)?;
            let var = r.required_string("env", sink);
            r.finish(&["env"], sink);
            let var = var?;
            let valid = var.value.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && var.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                sink.error(
                    "env-name",
                    format!("`{}` is not an environment variable name", var.value),
                    var.pos,
                );
                return None;
            }
            Some(var)
        }
        Value::Null => {
            sink.error(
                "missing-field",
                format!("credential field `{field}` needs `{{env: VAR_NAME}}`"),
                node.pos,
            );
            None
        }
        _ => {
            // Never echo the value: it may be a real secret (the excerpt masks it too).
            sink.push(
                crate::diag::Diagnostic::error(
                    "inline-secret",
                    format!("credential field `{field}` has its value written in the manifest; credential values come only from the environment"),
                    sink.file,
                    node.pos,
                )
                .with_redacted_source()
                .with_hint(format!("write `{field}: {{env: VAR_NAME}}`, set the variable where gcsync runs, and remove the value from the file (and from git history)")),
            );
            None
        }
    }
}

fn parse_auth_action(node: &Node, what: &str, sink: &mut Sink<'_>) -> Option<AuthActionManifest> {
    let awhat = format!("`authAction` of {what}");
    let mut r = MapReader::new(node, &awhat, sink)?;
    let request = match r.get("request") {
        Some((_, n)) => parse_request_node(n, &awhat, sink),
        None => {
            sink.error("missing-field", format!("missing required field `request` in {awhat}"), r.pos);
            None
        }
    };
    let (mut tm, mut tmd, mut st) = (None, None, None);
    if let Some((_, resp)) = r.get("response") {
        let mut rr = MapReader::new(resp, &format!("`response` of {awhat}"), sink)?;
        tm = rr.string_map("translationMap", sink);
        tmd = rr.string_map("translationMapDefaults", sink);
        st = rr.string("successTemplate", sink);
        rr.finish(&RESPONSE_KEYS, sink);
    }
    r.finish(&AUTH_KEYS, sink);
    Some(AuthActionManifest {
        request: request?,
        translation_map: tm,
        translation_map_defaults: tmd,
        success_template: st,
    })
}

/// Compiles to the desired integration.
#[must_use]
pub fn compile(m: &IntegrationManifest) -> IntegrationSpec {
    let to_map = |v: &Option<StringMap>| -> Option<Map<String, Json>> {
        v.as_ref()
            .map(|m| m.value.iter().map(|(k, v)| (k.value.clone(), Json::String(v.value.clone()))).collect())
    };
    IntegrationSpec {
        name: m.name.value.clone(),
        type_id: m.type_id.value.clone(),
        enabled: m.enabled,
        notes: m.notes.clone(),
        credential: m.credential.as_ref().map(|c| CredentialSpec {
            type_name: c.type_name.value.clone(),
            fields: c.fields.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect(),
            auth_action: c
                .auth_action
                .as_ref()
                .map(|a| (&a.request, &a.translation_map, &a.translation_map_defaults, &a.success_template))
                .map(|(req, tm, tmd, st)| AuthActionSpec {
                    request: RequestConfig {
                        request_url_template: req.url.value.clone(),
                        request_type: req.method.value.clone(),
                        request_template: Some(req.body.as_ref().map_or_else(
                            || crate::model::DEFAULT_REQUEST_TEMPLATE.to_string(),
                            |b| b.value.clone(),
                        )),
                        request_template_uri: None,
                        headers: req.headers.as_ref().map(|h| {
                            h.value
                                .iter()
                                .map(|(k, v)| (k.value.clone(), Json::String(v.value.clone())))
                                .collect()
                        }),
                        extra: Map::new(),
                    },
                    response: ResponseConfig {
                        translation_map: to_map(tm),
                        translation_map_defaults: to_map(tmd),
                        success_template: Some(st.as_ref().map_or_else(
                            || crate::model::DEFAULT_SUCCESS_TEMPLATE.to_string(),
                            |s| s.value.clone(),
                        )),
                        success_template_uri: None,
                        extra: Map::new(),
                    },
                }),
        }),
    }
}
