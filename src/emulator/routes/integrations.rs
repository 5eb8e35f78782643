//! Emulator routes: the integration routes: list, create, read, patch, delete, `config/current`.
//!
//! Owns: these handlers only; shared parsing, errors and auth live in `routes/mod.rs`.
//! Must not: implement fault injection or use gcsync's client.

#![allow(clippy::result_large_err)]

use super::*;

pub(super) async fn list_integrations(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    let entities = match with_org(&app, |o| {
        let mut v: Vec<&crate::emulator::store::IntegrationRec> = o.integrations.values().collect();
        v.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
        (v.into_iter().map(integration_json).collect::<Vec<_>>(), false)
    }) {
        Ok(e) => e,
        Err(r) => return r,
    };
    match page(entities, &q, "/api/v2/integrations", &raw) {
        Ok(v) => ok_json(&v),
        Err(r) => r,
    }
}

pub(super) async fn create_integration(State(app): State<App>, body: Bytes) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(type_id) = v.pointer("/integrationType/id").and_then(Value::as_str).map(str::to_string) else {
        return error(StatusCode::BAD_REQUEST, "invalid.value", "integrationType.id is required");
    };
    let Some((_, type_name)) = INTEGRATION_TYPES.iter().find(|(t, _)| *t == type_id) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid.value",
            &format!("Unknown integration type '{type_id}'"),
        );
    };
    let name = v.get("name").and_then(Value::as_str).unwrap_or(type_name).to_string();
    found_or_404(
        with_org(&app, |o| {
            let id = o.create_integration(&name, &type_id);
            if let Some(notes) = v.get("notes").and_then(Value::as_str)
                && let Some(i) = o.integrations.get_mut(&id)
            {
                i.notes = notes.to_string();
            }
            (o.integrations.get(&id).map(integration_json), true)
        }),
        "Integration",
    )
}

pub(super) async fn get_integration(State(app): State<App>, Path(id): Path<String>) -> Response {
    found_or_404(with_org(&app, |o| (o.integrations.get(&id).map(integration_json), false)), "Integration")
}

pub(super) async fn patch_integration(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let state = v.get("intendedState").and_then(Value::as_str).map(str::to_ascii_uppercase);
    if let Some(s) = &state
        && !["ENABLED", "DISABLED", "DELETED", "RESTORED"].contains(&s.as_str())
    {
        return error(StatusCode::BAD_REQUEST, "invalid.value", &format!("Unknown intendedState '{s}'"));
    }
    found_or_404(
        with_org(&app, |o| {
            let Some(i) = o.integrations.get_mut(&id) else { return (None, false) };
            if let Some(s) = &state {
                i.intended_state = if s == "RESTORED" { "DISABLED".into() } else { s.clone() };
            }
            if let Some(n) = v.get("name").and_then(Value::as_str) {
                i.name = n.to_string();
            }
            if let Some(n) = v.get("notes").and_then(Value::as_str) {
                i.notes = n.to_string();
            }
            (Some(integration_json(i)), true)
        }),
        "Integration",
    )
}

pub(super) async fn delete_integration(State(app): State<App>, Path(id): Path<String>) -> Response {
    found_or_404(
        with_org(&app, |o| {
            let removed = o.integrations.remove(&id).map(|i| integration_json(&i));
            if removed.is_some() {
                o.actions.retain(|_, a| a.integration_id != id);
            }
            let changed = removed.is_some();
            (removed, changed)
        }),
        "Integration",
    )
}

pub(super) async fn get_integration_config(State(app): State<App>, Path(id): Path<String>) -> Response {
    found_or_404(
        with_org(&app, |o| (o.integrations.get(&id).map(|i| i.config.clone()), false)),
        "Integration",
    )
}

pub(super) async fn put_integration_config(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(version) = v.get("version").and_then(Value::as_i64) else {
        return error(StatusCode::BAD_REQUEST, "invalid.value", "version is required");
    };
    let result = with_org(&app, |o| {
        let cred_ids: Vec<String> = v
            .get("credentials")
            .and_then(Value::as_object)
            .map(|m| {
                m.values().filter_map(|c| c.get("id").and_then(Value::as_str).map(str::to_string)).collect()
            })
            // No `credentials` in the configuration: nothing bound.
            .unwrap_or_default();
        if let Some(missing) = cred_ids.iter().find(|c| !o.credentials.contains_key(*c)) {
            return (
                Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid.value",
                    &format!("Credential '{missing}' not found"),
                )),
                false,
            );
        }
        let Some(i) = o.integrations.get_mut(&id) else { return (Err(not_found("Integration")), false) };
        let current = i.config.get("version").and_then(Value::as_i64).unwrap_or(1);
        if version != current {
            return (Err(conflict(version, current)), false);
        }
        let mut cfg = v.clone();
        if let Some(m) = cfg.as_object_mut() {
            m.insert("id".into(), json!(id));
            m.insert("version".into(), json!(current + 1));
            m.insert("selfUri".into(), json!(format!("/api/v2/integrations/{id}/config/current")));
            for key in ["name", "notes"] {
                if !m.contains_key(key) {
                    m.insert(key.into(), json!(""));
                }
            }
            for key in ["properties", "advanced", "credentials"] {
                if !m.contains_key(key) {
                    m.insert(key.into(), json!({}));
                }
            }
        }
        // The configuration's name is the integration's name (how the admin UI renames one).
        if let Some(name) = cfg.get("name").and_then(Value::as_str).filter(|n| !n.trim().is_empty()) {
            i.name = name.to_string();
        }
        i.config = cfg.clone();
        // Binding a User Defined (OAuth) credential makes Genesys create the integration's
        // custom authentication action (id `customAuth_-_<integrationId>`, published, fixed
        // contract; only its request/response configuration is editable).
        let oauth =
            cred_ids.iter().any(|c| o.credentials.get(c).is_some_and(|c| c.type_name == "userDefinedOAuth"));
        let auth_id = format!("customAuth_-_{id}");
        if oauth && !o.actions.contains_key(&auth_id) {
            let body = ActionBody {
                name: format!("Custom Auth ({id})"),
                category: "Custom Auth".into(),
                secure: false,
                version: 1,
                config: ActionConfig {
                    timeout_seconds: None,
                    request: crate::model::RequestConfig {
                        request_url_template: "${credentials.loginUrl}".into(),
                        request_type: "POST".into(),
                        request_template: Some(crate::model::DEFAULT_REQUEST_TEMPLATE.into()),
                        ..crate::model::RequestConfig::default()
                    },
                    response: crate::model::ResponseConfig {
                        success_template: Some(crate::model::DEFAULT_SUCCESS_TEMPLATE.into()),
                        ..crate::model::ResponseConfig::default()
                    },
                    extra: Map::new(),
                },
                contract: serde_json::from_value(json!({
                    "input": {"inputSchema": {"type": "object", "properties": {}}},
                    "output": {"successSchema": {"type": "object", "properties": {}, "additionalProperties": true}}
                }))
                // Plain data (string keys) always serializes; the default never stands in.
                .unwrap_or_default(),
            };
            o.actions.insert(
                auth_id.clone(),
                ActionRec {
                    id: auth_id,
                    integration_id: id.clone(),
                    published: Some(body),
                    draft: None,
                    publish_count: 1,
                },
            );
        }
        (Ok(cfg), true)
    });
    match result {
        Ok(Ok(v)) => ok_json(&v),
        Ok(Err(r)) | Err(r) => r,
    }
}
