//! Emulator routes: creating published actions and drafts, with Genesys's default templates.
//!
//! Owns: these handlers only; shared parsing, errors and auth live in `routes/mod.rs`.
//! Must not: implement fault injection or use gcsync's client.

#![allow(clippy::result_large_err)]

use super::*;

/// Reads a `PostActionInput` body into a definition plus integration id.
pub(super) fn parse_post(v: &Value) -> Result<(String, ActionBody), Response> {
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let missing = |k: &str| error(StatusCode::BAD_REQUEST, "invalid.value", &format!("{k} is required"));
    let name = field("name").ok_or_else(|| missing("name"))?;
    let category = field("category").ok_or_else(|| missing("category"))?;
    let integration_id = field("integrationId").ok_or_else(|| missing("integrationId"))?;
    let config: ActionConfig =
        serde_json::from_value(v.get("config").cloned().ok_or_else(|| missing("config"))?)
            .map_err(|e| bad_request(&format!("config is invalid: {e}")))?;
    let contract: Contract =
        serde_json::from_value(v.get("contract").cloned().ok_or_else(|| missing("contract"))?)
            .map_err(|e| bad_request(&format!("contract is invalid: {e}")))?;
    let secure = v.get("secure").and_then(Value::as_bool).unwrap_or(false);
    Ok((
        integration_id,
        ActionBody { name, category, secure, version: 1, config: with_default_templates(config), contract },
    ))
}

/// Fills the templates Genesys defaults when a create omits them.
pub(super) fn with_default_templates(mut c: ActionConfig) -> ActionConfig {
    if c.request.request_template.is_none() {
        c.request.request_template = Some(crate::model::DEFAULT_REQUEST_TEMPLATE.into());
    }
    if c.response.success_template.is_none() {
        c.response.success_template = Some(crate::model::DEFAULT_SUCCESS_TEMPLATE.into());
    }
    c.request.request_template_uri = None;
    c.response.success_template_uri = None;
    c
}

pub(super) fn create(app: &App, body: &Bytes, as_draft: bool) -> Response {
    let v = match parse_json(body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (integration_id, def) = match parse_post(&v) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Err(inv) = validate_body(&def) {
        return error_details(StatusCode::BAD_REQUEST, "bad.request", &inv.message, inv.error_code);
    }
    let result = with_org(app, |o| {
        if !o.integrations.contains_key(&integration_id) {
            return (
                Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid.value",
                    &format!("Integration '{integration_id}' not found"),
                )),
                false,
            );
        }
        if o.name_taken(&integration_id, &def.name, None) {
            return (
                Err(error(
                    StatusCode::BAD_REQUEST,
                    "bad.request",
                    &format!("An action named '{}' already exists in this integration", def.name),
                )),
                false,
            );
        }
        let id = format!("custom_-_{}", uuid::Uuid::new_v4());
        let rec = ActionRec {
            id: id.clone(),
            integration_id,
            published: if as_draft { None } else { Some(def.clone()) },
            draft: if as_draft { Some(def.clone()) } else { None },
            publish_count: i64::from(!as_draft),
        };
        let json = action_json(&rec, &def, View { contract: true, config: true, draft: as_draft });
        o.actions.insert(id, rec);
        (Ok(json), true)
    });
    match result {
        Ok(Ok(v)) => ok_json(&v),
        Ok(Err(r)) | Err(r) => r,
    }
}

pub(super) async fn create_published(State(app): State<App>, body: Bytes) -> Response {
    create(&app, &body, false)
}

pub(super) async fn create_draft(State(app): State<App>, body: Bytes) -> Response {
    create(&app, &body, true)
}
