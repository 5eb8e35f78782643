//! Emulator routes: patching, drafts from published actions, validation, publish, delete (optimistic concurrency on `version`).
//!
//! Owns: these handlers only; shared parsing, errors and auth live in `routes/mod.rs`.
//! Must not: implement fault injection or use gcsync's client.

#![allow(clippy::result_large_err)]

use super::*;

/// Applies an update body (`UpdateActionInput` / `UpdateDraftInput`) to a definition.
pub(super) fn apply_update(def: &mut ActionBody, v: &Value, allow_contract: bool) -> Result<(), Response> {
    if !allow_contract {
        for k in ["contract", "secure"] {
            if v.get(k).is_some() {
                return Err(bad_request(&format!(
                    "'{k}' cannot be changed on a published action; create a new action (or edit a draft before publishing)"
                )));
            }
        }
    }
    if let Some(n) = v.get("name").and_then(Value::as_str) {
        def.name = n.to_string();
    }
    if let Some(c) = v.get("category").and_then(Value::as_str) {
        def.category = c.to_string();
    }
    if let Some(c) = v.get("config") {
        let cfg: ActionConfig =
            serde_json::from_value(c.clone()).map_err(|e| bad_request(&format!("config is invalid: {e}")))?;
        def.config = with_default_templates(cfg);
    }
    if allow_contract {
        if let Some(c) = v.get("contract") {
            def.contract = serde_json::from_value(c.clone())
                .map_err(|e| bad_request(&format!("contract is invalid: {e}")))?;
        }
        if let Some(s) = v.get("secure").and_then(Value::as_bool) {
            def.secure = s;
        }
    }
    Ok(())
}

pub(super) fn update(app: &App, id: &str, body: &Bytes, draft: bool) -> Response {
    let v = match parse_json(body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(version) = v.get("version").and_then(Value::as_i64) else {
        return error(StatusCode::BAD_REQUEST, "invalid.value", "version is required");
    };
    let result = with_org(app, |o| {
        let Some(rec) = o.actions.get(id).cloned() else { return (Err(not_found("Action")), false) };
        let current = if draft { rec.draft.clone() } else { rec.published.clone() };
        let Some(mut def) = current else {
            return (Err(not_found(if draft { "Draft" } else { "Action" })), false);
        };
        if def.version != version {
            return (Err(conflict(version, def.version)), false);
        }
        if let Err(r) = apply_update(&mut def, &v, draft) {
            return (Err(r), false);
        }
        if let Err(inv) = validate_body(&def) {
            return (
                Err(error_details(StatusCode::BAD_REQUEST, "bad.request", &inv.message, inv.error_code)),
                false,
            );
        }
        if o.name_taken(&rec.integration_id, &def.name, Some(id)) {
            return (
                Err(bad_request(&format!(
                    "An action named '{}' already exists in this integration",
                    def.name
                ))),
                false,
            );
        }
        def.version += 1;
        let Some(stored) = o.actions.get_mut(id) else { return (Err(not_found("Action")), false) };
        if draft {
            stored.draft = Some(def.clone());
        } else {
            stored.published = Some(def.clone());
        }
        let json = action_json(stored, &def, View { contract: true, config: true, draft });
        (Ok(json), true)
    });
    match result {
        Ok(Ok(v)) => ok_json(&v),
        Ok(Err(r)) | Err(r) => r,
    }
}

pub(super) async fn patch_published(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    update(&app, &id, &body, false)
}

pub(super) async fn patch_draft(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    update(&app, &id, &body, true)
}

pub(super) async fn delete_action(State(app): State<App>, Path(id): Path<String>) -> Response {
    match with_org(&app, |o| {
        let removed = o.actions.remove(&id).is_some();
        (removed, removed)
    }) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => not_found("Action"),
        Err(r) => r,
    }
}

pub(super) async fn draft_from_published(State(app): State<App>, Path(id): Path<String>) -> Response {
    let result = with_org(&app, |o| {
        let Some(rec) = o.actions.get_mut(&id) else { return (Err(not_found("Action")), false) };
        if rec.draft.is_some() {
            return (Err(bad_request("A draft already exists for this action")), false);
        }
        let Some(mut def) = rec.published.clone() else { return (Err(not_found("Action")), false) };
        def.version = 1;
        rec.draft = Some(def.clone());
        (Ok(action_json(rec, &def, View { contract: true, config: true, draft: true })), true)
    });
    match result {
        Ok(Ok(v)) => ok_json(&v),
        Ok(Err(r)) | Err(r) => r,
    }
}

pub(super) async fn delete_draft(State(app): State<App>, Path(id): Path<String>) -> Response {
    let result = with_org(&app, |o| {
        let Some(rec) = o.actions.get_mut(&id) else { return (Err(not_found("Action")), false) };
        if rec.draft.take().is_none() {
            return (Err(not_found("Draft")), false);
        }
        if rec.published.is_none() {
            o.actions.remove(&id);
        }
        (Ok(()), true)
    });
    match result {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(r)) | Err(r) => r,
    }
}

pub(super) async fn validate_draft(State(app): State<App>, Path(id): Path<String>) -> Response {
    read(&app, &id, true, |_, b| match validate_body(b) {
        Ok(()) => ok_json(&json!({"valid": true, "errors": []})),
        Err(inv) => {
            let details: Vec<Value> = inv.error_code.map(|c| json!({"errorCode": c})).into_iter().collect();
            ok_json(&json!({"valid": false, "errors": [{
                "message": inv.message, "code": "bad.request", "status": 400, "messageParams": {},
                "contextId": uuid::Uuid::new_v4().to_string(), "details": details, "errors": []
            }]}))
        }
    })
}

pub(super) async fn publish_draft(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(version) = v.get("version").and_then(Value::as_i64) else {
        return error(StatusCode::BAD_REQUEST, "invalid.value", "version is required");
    };
    let result = with_org(&app, |o| {
        let Some(rec) = o.actions.get_mut(&id) else { return (Err(not_found("Action")), false) };
        let Some(draft) = rec.draft.clone() else { return (Err(not_found("Draft")), false) };
        if draft.version != version {
            return (Err(conflict(version, draft.version)), false);
        }
        if let Err(inv) = validate_body(&draft) {
            return (
                Err(error_details(StatusCode::BAD_REQUEST, "bad.request", &inv.message, inv.error_code)),
                false,
            );
        }
        if let Some(p) = &rec.published
            && (p.secure != draft.secure
                // Plain data (string keys) always serializes; the default never stands in.
                || crate::model::digest::canonical(&serde_json::to_value(&p.contract).unwrap_or_default())
                    != crate::model::digest::canonical(
                        &serde_json::to_value(&draft.contract).unwrap_or_default(),
                    ))
        {
            return (
                Err(bad_request(
                    "The contract and secure flag of a published action cannot be changed; create a new action",
                )),
                false,
            );
        }
        let mut published = draft;
        published.version = rec.published.as_ref().map_or(1, |p| p.version + 1);
        rec.publish_count += 1;
        rec.published = Some(published.clone());
        rec.draft = None;
        (Ok(action_json(rec, &published, View { contract: true, config: true, draft: false })), true)
    });
    match result {
        Ok(Ok(v)) => ok_json(&v),
        Ok(Err(r)) | Err(r) => r,
    }
}
