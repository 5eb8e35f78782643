//! Emulator routes: the credential routes (`/api/v2/integrations/credentials[...]`, credential types); values are stored, never answered.
//!
//! Owns: these handlers only; shared parsing, errors and auth live in `routes/mod.rs`.
//! Must not: implement fault injection or use gcsync's client.

#![allow(clippy::result_large_err)]

use super::*;

pub(super) fn credential_info(c: &CredentialRec) -> Value {
    json!({
        "id": c.id, "name": c.name,
        "type": {"name": c.type_name, "displayName": c.type_name},
        "createdDate": "2026-01-01T00:00:00.000Z",
        "selfUri": format!("/api/v2/integrations/credentials/{}", c.id),
    })
}

pub(super) const CREDENTIAL_TYPES: [&str; 4] =
    ["basicAuth", "userDefined", "userDefinedOAuth", "pureCloudOAuthClient"];

pub(super) fn parse_credential(v: &Value) -> Result<(String, String, Map<String, Value>), Response> {
    // No type name: the empty name is refused just below as an unknown type.
    let type_name = v.pointer("/type/name").and_then(Value::as_str).unwrap_or_default().to_string();
    if !CREDENTIAL_TYPES.contains(&type_name.as_str()) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid.value",
            &format!(
                "Unknown credential type '{type_name}'; expected one of {}",
                CREDENTIAL_TYPES.join(", ")
            ),
        ));
    }
    // No `credentialFields`: a credential without values (the route checks the type's required fields next).
    let fields = v.get("credentialFields").and_then(Value::as_object).cloned().unwrap_or_default();
    if fields.values().any(|f| !f.is_string()) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid.value",
            "credentialFields values must be strings",
        ));
    }
    let name = v.get("name").and_then(Value::as_str).unwrap_or("credential").to_string();
    Ok((name, type_name, fields))
}

pub(super) async fn list_credentials(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    let entities =
        match with_org(&app, |o| (o.credentials.values().map(credential_info).collect::<Vec<_>>(), false)) {
            Ok(e) => e,
            Err(r) => return r,
        };
    match page(entities, &q, "/api/v2/integrations/credentials", &raw) {
        Ok(v) => ok_json(&v),
        Err(r) => r,
    }
}

pub(super) async fn credential_types() -> Response {
    let entities: Vec<Value> =
        CREDENTIAL_TYPES.iter().map(|t| json!({"name": t, "displayName": t})).collect();
    ok_json(&json!({"entities": entities}))
}

pub(super) async fn create_credential(State(app): State<App>, body: Bytes) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (name, type_name, fields) = match parse_credential(&v) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match with_org(&app, |o| {
        let id = uuid::Uuid::new_v4().to_string();
        let c = CredentialRec { id: id.clone(), name, type_name, fields };
        let info = credential_info(&c);
        o.credentials.insert(id, c);
        (info, true)
    }) {
        Ok(v) => ok_json(&v),
        Err(r) => r,
    }
}

pub(super) async fn get_credential(State(app): State<App>, Path(id): Path<String>) -> Response {
    found_or_404(with_org(&app, |o| (o.credentials.get(&id).map(credential_info), false)), "Credential")
}

pub(super) async fn update_credential(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (name, type_name, fields) = match parse_credential(&v) {
        Ok(x) => x,
        Err(r) => return r,
    };
    found_or_404(
        with_org(&app, |o| match o.credentials.get_mut(&id) {
            Some(c) => {
                c.name = name;
                c.type_name = type_name;
                c.fields = fields;
                (Some(credential_info(c)), true)
            }
            None => (None, false),
        }),
        "Credential",
    )
}

pub(super) async fn delete_credential(State(app): State<App>, Path(id): Path<String>) -> Response {
    match with_org(&app, |o| {
        let removed = o.credentials.remove(&id).is_some();
        (removed, removed)
    }) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => not_found("Credential"),
        Err(r) => r,
    }
}
