//! The emulator's HTTP routes: `/oauth/token`, `/api/v2/organizations/me`,
//! `/api/v2/integrations[...]` (integrations, their configuration, credentials) and
//! `/api/v2/integrations/actions[...]` (actions, drafts, templates, schemas, categories,
//! validation, publish, test, execute), plus the admin routes under `/__emulator/`.
//!
//! Owns: request parsing, Genesys's status codes and ErrorBody shapes, paging envelopes,
//! optimistic concurrency on `version`, and persistence after every mutation.
//! Must not: implement fault injection (the gate in `mod.rs` does) or use gcsync's client.

// Handlers return early with a ready HTTP response; its size does not matter once per request.
#![allow(clippy::result_large_err)]

use super::App;
use super::faults::FaultSpec;
use super::store::{
    ACTIONS_BASE, ActionBody, ActionRec, CredentialRec, INTEGRATION_TYPES, OrgData, View, action_json,
    integration_json, validate_body,
};
use crate::model::{ActionConfig, Contract};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Largest page size the list routes accept.
pub const MAX_PAGE_SIZE: usize = 500;

pub(super) fn router(app: App) -> Router {
    let actions = "/api/v2/integrations/actions";
    let api = Router::new()
        .route("/api/v2/organizations/me", get(org_me))
        .route("/api/v2/integrations", get(list_integrations).post(create_integration))
        .route("/api/v2/integrations/credentials", get(list_credentials).post(create_credential))
        .route("/api/v2/integrations/credentials/types", get(credential_types))
        .route(
            "/api/v2/integrations/credentials/{id}",
            get(get_credential).put(update_credential).delete(delete_credential),
        )
        .route(
            "/api/v2/integrations/{id}",
            get(get_integration).patch(patch_integration).delete(delete_integration),
        )
        .route(
            "/api/v2/integrations/{id}/config/current",
            get(get_integration_config).put(put_integration_config),
        )
        .route(actions, get(list_published).post(create_published))
        .route(&format!("{actions}/drafts"), get(list_drafts).post(create_draft))
        .route(&format!("{actions}/categories"), get(categories))
        .route(&format!("{actions}/{{id}}"), get(get_published).patch(patch_published).delete(delete_action))
        .route(
            &format!("{actions}/{{id}}/templates/{{file}}"),
            get(|State(a): State<App>, Path((id, f)): Path<(String, String)>| {
                action_file(a, id, f, false, template)
            }),
        )
        .route(
            &format!("{actions}/{{id}}/schemas/{{file}}"),
            get(|State(a): State<App>, Path((id, f)): Path<(String, String)>| {
                action_file(a, id, f, false, schema)
            }),
        )
        .route(&format!("{actions}/{{id}}/test"), post(test_published))
        .route(&format!("{actions}/{{id}}/execute"), post(execute_published))
        .route(
            &format!("{actions}/{{id}}/draft"),
            get(get_draft).post(draft_from_published).patch(patch_draft).delete(delete_draft),
        )
        .route(&format!("{actions}/{{id}}/draft/validation"), get(validate_draft))
        .route(&format!("{actions}/{{id}}/draft/publish"), post(publish_draft))
        .route(&format!("{actions}/{{id}}/draft/test"), post(test_draft))
        .route(
            &format!("{actions}/{{id}}/draft/templates/{{file}}"),
            get(|State(a): State<App>, Path((id, f)): Path<(String, String)>| {
                action_file(a, id, f, true, template)
            }),
        )
        .route(
            &format!("{actions}/{{id}}/draft/schemas/{{file}}"),
            get(|State(a): State<App>, Path((id, f)): Path<(String, String)>| {
                action_file(a, id, f, true, schema)
            }),
        )
        // Every Platform API route needs a valid bearer token: one layer, before any extractor.
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), require_token));
    Router::new()
        .route("/oauth/token", post(token))
        .merge(api)
        .route("/demo/users", get(super::demo::list_users))
        .route("/demo/users/{id}", get(super::demo::get_user))
        .route("/demo/secure/users/{id}", get(super::demo::get_secure_user))
        .route("/__emulator/requests", get(admin_requests).delete(admin_clear_requests))
        .route("/__emulator/faults", put(admin_faults))
        .route("/__emulator/revoke-tokens", post(admin_revoke))
        .route("/__emulator/wait", get(admin_wait))
        .route("/__emulator/health", get(|| async { "ok" }))
        .fallback(fallback)
        .with_state(app)
}

// --- errors --------------------------------------------------------------------------------

/// A Genesys ErrorBody response.
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    error_details(status, code, message, None)
}

fn error_details(status: StatusCode, code: &str, message: &str, error_code: Option<&str>) -> Response {
    let details: Vec<Value> = error_code.map(|c| json!({"errorCode": c})).into_iter().collect();
    let body = json!({
        "message": message,
        "code": code,
        "status": status.as_u16(),
        "messageParams": {},
        "contextId": uuid::Uuid::new_v4().to_string(),
        "details": details,
        "errors": [],
    });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// A looked-up resource as JSON, 404 in Genesys's shape when absent, or the lookup's error.
fn found_or_404(r: Result<Option<Value>, Response>, what: &str) -> Response {
    match r {
        Ok(Some(v)) => ok_json(&v),
        Ok(None) => not_found(what),
        Err(r) => r,
    }
}

fn not_found(what: &str) -> Response {
    error(StatusCode::NOT_FOUND, "not.found", &format!("{what} not found"))
}

fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "bad.request", message)
}

fn conflict(supplied: i64, current: i64) -> Response {
    error(
        StatusCode::CONFLICT,
        "conflict",
        &format!("Supplied version {supplied} does not match the current version {current}"),
    )
}

fn ok_json(v: &Value) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

async fn fallback() -> Response {
    not_found("Resource")
}

// --- auth ----------------------------------------------------------------------------------

async fn token(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let inner = app.inner();
    // Read as a form whatever the Content-Type (axum's `Form` would refuse a body sent
    // without `application/x-www-form-urlencoded`, which the emulator has always accepted).
    let grant_type =
        form_urlencoded::parse(&body).find(|(k, _)| k == "grant_type").map(|(_, v)| v.into_owned());
    let creds = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let oauth_error = |status: StatusCode, err: &str, desc: &str| {
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            json!({"error": err, "description": desc, "error_description": desc}).to_string(),
        )
            .into_response()
    };
    if grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let valid = creds
        .as_deref()
        .and_then(|c| c.split_once(':'))
        .is_some_and(|(id, secret)| id == inner.client_id && secret == inner.client_secret);
    if !valid {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client not found");
    }
    let token = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    if let Ok(mut t) = inner.tokens.lock() {
        t.insert(token.clone(), Instant::now() + Duration::from_secs(inner.token_ttl));
    }
    ok_json(&json!({"access_token": token, "token_type": "bearer", "expires_in": inner.token_ttl}))
}

/// Checks the bearer token.
fn authorize(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
    else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        ));
    };
    let valid = app
        .inner()
        .tokens
        .lock()
        .ok()
        .and_then(|t| t.get(token.trim()).copied())
        .is_some_and(|exp| exp > Instant::now());
    if valid {
        Ok(())
    } else {
        Err(error(StatusCode::UNAUTHORIZED, "bad.credentials", "Invalid login credentials."))
    }
}

/// The auth layer of every `/api/v2` route: a valid bearer token, else Genesys's 401.
async fn require_token(
    State(app): State<App>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if let Err(r) = authorize(&app, req.headers()) {
        return r;
    }
    next.run(req).await
}

// --- helpers -------------------------------------------------------------------------------

/// Runs `f` on the org; persists when it returns `true` as its second value.
fn with_org<T>(app: &App, f: impl FnOnce(&mut OrgData) -> (T, bool)) -> Result<T, Response> {
    let inner = app.inner();
    let Ok(mut org) = inner.org.lock() else {
        return Err(error(StatusCode::INTERNAL_SERVER_ERROR, "internal.server.error", "store lock poisoned"));
    };
    let (out, changed) = f(&mut org);
    if changed
        && let Some(path) = &inner.data
        && let Err(e) = org.save(path)
    {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal.server.error",
            &format!("cannot persist the emulator data: {e}"),
        ));
    }
    Ok(out)
}

fn parse_json(body: &Bytes) -> Result<Value, Response> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body)
        .map_err(|e| bad_request(&format!("Unable to parse the request body as JSON: {e}")))
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    page_size: Option<String>,
    page_number: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    name: Option<String>,
    category: Option<String>,
    ids: Option<String>,
    secure: Option<String>,
    include_auth_actions: Option<String>,
    include_config: Option<String>,
    expand: Option<String>,
}

impl ListQuery {
    fn include_config(&self) -> bool {
        self.include_config.as_deref() == Some("true")
    }
    fn expand_contract(&self) -> bool {
        self.expand.as_deref().is_some_and(|e| e.split(',').any(|x| x == "contract"))
    }
}

/// Builds the paging envelope, or a 400 for a bad page size/number.
fn page(
    entities: Vec<Value>,
    q: &ListQuery,
    base: &str,
    raw_query: &HashMap<String, String>,
) -> Result<Value, Response> {
    let size = match q.page_size.as_deref() {
        None => 25,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(bad_request(&format!(
                    "Value for pageSize must be a whole number from 1 to {MAX_PAGE_SIZE}, found '{s}'"
                )));
            }
        },
    };
    let number = match q.page_number.as_deref() {
        None => 1,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(bad_request(&format!("Value for pageNumber must be 1 or more, found '{s}'"))),
        },
    };
    let total = entities.len();
    let page_count = total.div_ceil(size);
    let start = (number - 1).saturating_mul(size);
    let items: Vec<Value> = entities.into_iter().skip(start).take(size).collect();
    let mut params: Vec<(String, String)> = raw_query
        .iter()
        .filter(|(k, _)| k.as_str() != "pageNumber" && k.as_str() != "pageSize")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    params.sort();
    let uri = |n: usize| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &params {
            s.append_pair(k, v);
        }
        s.append_pair("pageSize", &size.to_string());
        s.append_pair("pageNumber", &n.to_string());
        format!("{base}?{}", s.finish())
    };
    let mut m = Map::new();
    m.insert("entities".into(), Value::Array(items));
    m.insert("pageSize".into(), json!(size));
    m.insert("pageNumber".into(), json!(number));
    m.insert("total".into(), json!(total));
    m.insert("pageCount".into(), json!(page_count));
    m.insert("firstUri".into(), json!(uri(1)));
    m.insert("selfUri".into(), json!(uri(number)));
    m.insert("lastUri".into(), json!(uri(page_count.max(1))));
    if number < page_count {
        m.insert("nextUri".into(), json!(uri(number + 1)));
    }
    if number > 1 {
        m.insert("previousUri".into(), json!(uri(number - 1)));
    }
    Ok(Value::Object(m))
}

// --- organization --------------------------------------------------------------------------

async fn org_me(State(app): State<App>) -> Response {
    match with_org(&app, |o| {
        (json!({"id": o.org_id, "name": o.org_name, "selfUri": "/api/v2/organizations/me"}), false)
    }) {
        Ok(v) => ok_json(&v),
        Err(r) => r,
    }
}

// --- integrations --------------------------------------------------------------------------

async fn list_integrations(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    let entities = match with_org(&app, |o| {
        let mut v: Vec<&super::store::IntegrationRec> = o.integrations.values().collect();
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

async fn create_integration(State(app): State<App>, body: Bytes) -> Response {
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

async fn get_integration(State(app): State<App>, Path(id): Path<String>) -> Response {
    found_or_404(with_org(&app, |o| (o.integrations.get(&id).map(integration_json), false)), "Integration")
}

async fn patch_integration(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
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

async fn delete_integration(State(app): State<App>, Path(id): Path<String>) -> Response {
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

async fn get_integration_config(State(app): State<App>, Path(id): Path<String>) -> Response {
    found_or_404(
        with_org(&app, |o| (o.integrations.get(&id).map(|i| i.config.clone()), false)),
        "Integration",
    )
}

async fn put_integration_config(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
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

// --- credentials ---------------------------------------------------------------------------

fn credential_info(c: &CredentialRec) -> Value {
    json!({
        "id": c.id, "name": c.name,
        "type": {"name": c.type_name, "displayName": c.type_name},
        "createdDate": "2026-01-01T00:00:00.000Z",
        "selfUri": format!("/api/v2/integrations/credentials/{}", c.id),
    })
}

const CREDENTIAL_TYPES: [&str; 4] = ["basicAuth", "userDefined", "userDefinedOAuth", "pureCloudOAuthClient"];

fn parse_credential(v: &Value) -> Result<(String, String, Map<String, Value>), Response> {
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

async fn list_credentials(
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

async fn credential_types() -> Response {
    let entities: Vec<Value> =
        CREDENTIAL_TYPES.iter().map(|t| json!({"name": t, "displayName": t})).collect();
    ok_json(&json!({"entities": entities}))
}

async fn create_credential(State(app): State<App>, body: Bytes) -> Response {
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

async fn get_credential(State(app): State<App>, Path(id): Path<String>) -> Response {
    found_or_404(with_org(&app, |o| (o.credentials.get(&id).map(credential_info), false)), "Credential")
}

async fn update_credential(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
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

async fn delete_credential(State(app): State<App>, Path(id): Path<String>) -> Response {
    match with_org(&app, |o| {
        let removed = o.credentials.remove(&id).is_some();
        (removed, removed)
    }) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => not_found("Credential"),
        Err(r) => r,
    }
}

// --- actions: listing ----------------------------------------------------------------------

fn list_actions(app: &App, q: &ListQuery, raw: &HashMap<String, String>, drafts: bool) -> Response {
    let view = View { contract: q.expand_contract(), config: q.include_config(), draft: drafts };
    let name = q.name.as_deref().map(str::to_lowercase);
    let ids: Option<Vec<&str>> = q.ids.as_deref().map(|s| s.split(',').map(str::trim).collect());
    let secure = q.secure.as_deref().map(|s| s == "true");
    let include_auth = q.include_auth_actions.as_deref() == Some("true");
    let descending = q.sort_order.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("desc"));
    let sort_by = q.sort_by.clone().unwrap_or_else(|| "name".into());
    let entities = with_org(app, |o| {
        let mut v: Vec<(&ActionRec, &ActionBody)> = o
            .actions
            .values()
            .filter_map(|a| if drafts { a.draft.as_ref() } else { a.published.as_ref() }.map(|b| (a, b)))
            .filter(|(a, b)| {
                name.as_ref().is_none_or(|n| b.name.to_lowercase().contains(n.as_str()))
                    && q.category.as_ref().is_none_or(|c| &b.category == c)
                    && ids.as_ref().is_none_or(|ids| ids.contains(&a.id.as_str()))
                    && secure.is_none_or(|s| b.secure == s)
                    && (include_auth || !a.id.starts_with("customAuth_-_"))
            })
            .collect();
        v.sort_by(|(a1, b1), (a2, b2)| {
            let key = |a: &ActionRec, b: &ActionBody| match sort_by.as_str() {
                "category" => b.category.to_lowercase(),
                "id" => a.id.clone(),
                _ => b.name.to_lowercase(),
            };
            key(a1, b1).cmp(&key(a2, b2)).then(a1.id.cmp(&a2.id))
        });
        if descending {
            v.reverse();
        }
        (v.into_iter().map(|(a, b)| action_json(a, b, view)).collect::<Vec<_>>(), false)
    });
    let entities = match entities {
        Ok(e) => e,
        Err(r) => return r,
    };
    let base = if drafts { format!("{ACTIONS_BASE}/drafts") } else { ACTIONS_BASE.to_string() };
    match page(entities, q, &base, raw) {
        Ok(v) => ok_json(&v),
        Err(r) => r,
    }
}

async fn list_published(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    list_actions(&app, &q, &raw, false)
}

async fn list_drafts(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    list_actions(&app, &q, &raw, true)
}

async fn categories(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    let entities = match with_org(&app, |o| {
        let mut names: Vec<String> =
            o.actions.values().filter_map(|a| a.published.as_ref().map(|b| b.category.clone())).collect();
        names.sort_by_key(|n| n.to_lowercase());
        names.dedup();
        (names.into_iter().map(|n| json!({"name": n})).collect::<Vec<_>>(), false)
    }) {
        Ok(e) => e,
        Err(r) => return r,
    };
    match page(entities, &q, &format!("{ACTIONS_BASE}/categories"), &raw) {
        Ok(v) => ok_json(&v),
        Err(r) => r,
    }
}

// --- actions: create -----------------------------------------------------------------------

/// Reads a `PostActionInput` body into a definition plus integration id.
fn parse_post(v: &Value) -> Result<(String, ActionBody), Response> {
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
fn with_default_templates(mut c: ActionConfig) -> ActionConfig {
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

fn create(app: &App, body: &Bytes, as_draft: bool) -> Response {
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

async fn create_published(State(app): State<App>, body: Bytes) -> Response {
    create(&app, &body, false)
}

async fn create_draft(State(app): State<App>, body: Bytes) -> Response {
    create(&app, &body, true)
}

// --- actions: read -------------------------------------------------------------------------

fn view_of(q: &ListQuery, draft: bool) -> View {
    View { contract: q.expand_contract(), config: q.include_config(), draft }
}

fn read(app: &App, id: &str, draft: bool, f: impl FnOnce(&ActionRec, &ActionBody) -> Response) -> Response {
    let inner = app.inner();
    let Ok(org) = inner.org.lock() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "internal.server.error", "store lock poisoned");
    };
    let Some(rec) = org.actions.get(id) else { return not_found("Action") };
    let body = if draft { rec.draft.as_ref() } else { rec.published.as_ref() };
    match body {
        Some(b) => f(rec, b),
        None if draft => not_found("Draft"),
        None => not_found("Action"),
    }
}

async fn get_published(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    read(&app, &id, false, |rec, b| ok_json(&action_json(rec, b, view_of(&q, false))))
}

async fn get_draft(State(app): State<App>, Path(id): Path<String>, Query(q): Query<ListQuery>) -> Response {
    read(&app, &id, true, |rec, b| ok_json(&action_json(rec, b, view_of(&q, true))))
}

fn template(b: &ActionBody, file: &str) -> Response {
    let text = match file {
        "requesttemplate.vm" => b.config.request.request_template.clone(),
        "successtemplate.vm" => b.config.response.success_template.clone(),
        _ => return not_found("Template"),
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")], text.unwrap_or_default())
        .into_response()
}

fn schema(b: &ActionBody, file: &str) -> Response {
    let s = match file {
        "inputschema.json" => b.contract.input.input_schema.clone(),
        "successschema.json" => b.contract.output.success_schema.clone(),
        _ => return not_found("Schema"),
    };
    ok_json(&s.unwrap_or(Value::Null))
}

/// A template or schema file of the published action or its draft.
async fn action_file(
    app: App,
    id: String,
    file: String,
    draft: bool,
    render: fn(&ActionBody, &str) -> Response,
) -> Response {
    read(&app, &id, draft, |_, b| render(b, &file))
}

// --- actions: update -----------------------------------------------------------------------

/// Applies an update body (`UpdateActionInput` / `UpdateDraftInput`) to a definition.
fn apply_update(def: &mut ActionBody, v: &Value, allow_contract: bool) -> Result<(), Response> {
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

fn update(app: &App, id: &str, body: &Bytes, draft: bool) -> Response {
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

async fn patch_published(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    update(&app, &id, &body, false)
}

async fn patch_draft(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
    update(&app, &id, &body, true)
}

async fn delete_action(State(app): State<App>, Path(id): Path<String>) -> Response {
    match with_org(&app, |o| {
        let removed = o.actions.remove(&id).is_some();
        (removed, removed)
    }) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => not_found("Action"),
        Err(r) => r,
    }
}

async fn draft_from_published(State(app): State<App>, Path(id): Path<String>) -> Response {
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

async fn delete_draft(State(app): State<App>, Path(id): Path<String>) -> Response {
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

async fn validate_draft(State(app): State<App>, Path(id): Path<String>) -> Response {
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

async fn publish_draft(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Response {
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

// --- actions: run (gcsync's runtime) -------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
struct RunQuery {
    flatten: Option<String>,
}

/// What a run needs from the org, copied out under the lock.
struct RunSnapshot {
    spec: crate::model::ActionSpec,
    credentials: crate::exec::Credentials,
    env: crate::exec::ExecEnv,
}

fn run_snapshot(app: &App, id: &str, draft: bool) -> Result<RunSnapshot, Response> {
    let found = with_org(app, |o| {
        let Some(rec) = o.actions.get(id) else { return (Err(not_found("Action")), false) };
        let body = if draft { rec.draft.as_ref() } else { rec.published.as_ref() };
        let Some(b) = body else { return (Err(not_found(if draft { "Draft" } else { "Action" })), false) };
        // The integration's credential (`config.credentials.basicAuth = {id}`, whatever its type).
        let cred = o
            .integrations
            .get(&rec.integration_id)
            .and_then(|i| i.config.get("credentials"))
            .and_then(Value::as_object)
            .and_then(|m| m.values().find_map(|c| c.get("id").and_then(Value::as_str)))
            .and_then(|cid| o.credentials.get(cid));
        let credentials = match cred {
            None => Ok(crate::exec::Credentials::none()),
            Some(c) => {
                let fields = c
                    .fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                    .collect();
                crate::exec::Credentials::from_type(&c.type_name, fields).map_err(|e| {
                    error_details(
                        StatusCode::BAD_REQUEST,
                        "bad.request",
                        &e.to_string(),
                        Some("ACTION.AUTHENTICATION"),
                    )
                })
            }
        };
        let snapshot = credentials.map(|credentials| RunSnapshot {
            spec: crate::model::ActionSpec {
                name: b.name.clone(),
                category: b.category.clone(),
                integration: rec.integration_id.clone(),
                secure: b.secure,
                config: b.config.clone(),
                contract: b.contract.clone(),
            },
            credentials,
            env: crate::exec::ExecEnv {
                org_id: o.org_id.clone(),
                home_org_id: o.org_id.clone(),
                integration_id: rec.integration_id.clone(),
                user_id: None,
                correlation_id: None,
            },
        });
        (snapshot, false)
    });
    match found {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(r)) | Err(r) => Err(r),
    }
}

/// Runs the action; `/execute` answers the output (or the ErrorBody with its status),
/// `/test` the whole `TestExecutionResult` with 200.
async fn run_action(app: App, id: String, q: RunQuery, body: Bytes, draft: bool, execute: bool) -> Response {
    let input = match parse_json(&body) {
        Ok(Value::Null) => Value::Object(Map::new()),
        Ok(v) => v,
        Err(r) => return r,
    };
    let snap = match run_snapshot(&app, &id, draft) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let transport = match &app.inner().transport {
        Ok(t) => t.clone(),
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal.server.error", e),
    };
    let action = crate::exec::CompiledAction::new(&snap.spec);
    let opts = crate::exec::RunOptions { flatten: q.flatten.as_deref() == Some("true") };
    let report = crate::exec::run(&action, &input, &snap.credentials, &snap.env, opts, &transport).await;
    if !execute {
        return ok_json(&serde_json::to_value(&report.result).unwrap_or(Value::Null));
    }
    match (report.result.success, report.result.final_result, report.result.error) {
        (true, Some(out), _) => ok_json(&out),
        (_, _, Some(e)) => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::to_string(&e).unwrap_or_default(),
            )
                .into_response()
        }
        _ => error(StatusCode::INTERNAL_SERVER_ERROR, "internal.server.error", "the run produced no result"),
    }
}

async fn test_published(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<RunQuery>,
    body: Bytes,
) -> Response {
    run_action(app, id, q, body, false, false).await
}

async fn test_draft(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<RunQuery>,
    body: Bytes,
) -> Response {
    run_action(app, id, q, body, true, false).await
}

async fn execute_published(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<RunQuery>,
    body: Bytes,
) -> Response {
    run_action(app, id, q, body, false, true).await
}

// --- admin ---------------------------------------------------------------------------------

async fn admin_requests(State(app): State<App>) -> Response {
    let log = app.inner().log.lock().map(|l| l.clone()).unwrap_or_default();
    ok_json(&serde_json::to_value(log).unwrap_or_default())
}

async fn admin_clear_requests(State(app): State<App>) -> Response {
    if let Ok(mut l) = app.inner().log.lock() {
        l.clear();
    }
    if let Ok(mut a) = app.inner().arrivals.lock() {
        a.clear();
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn admin_faults(State(app): State<App>, body: Bytes) -> Response {
    let specs: Vec<String> = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return bad_request(&format!("expected a JSON array of fault specs: {e}")),
    };
    let mut parsed = Vec::new();
    for s in &specs {
        match FaultSpec::parse(s) {
            Ok(f) => parsed.push(f),
            Err(e) => return bad_request(&e),
        }
    }
    app.inner().faults.replace(parsed);
    app.inner().release.notify_waiters();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct WaitQuery {
    count: usize,
    method: Option<String>,
    path: Option<String>,
    timeout_ms: Option<u64>,
}

/// Waits until `count` requests matching `method` (comma-separated) and `path` (prefix) have
/// arrived (counted on arrival, before faults), so tests synchronise on events, not time.
async fn admin_wait(State(app): State<App>, Query(q): Query<WaitQuery>) -> Response {
    let inner = app.inner();
    let methods: Option<Vec<String>> =
        q.method.as_ref().map(|m| m.split(',').map(str::to_ascii_uppercase).collect());
    let matching = || {
        inner.arrivals.lock().map_or(0, |a| {
            a.iter()
                .filter(|(m, p)| {
                    methods.as_ref().is_none_or(|ms| ms.contains(m))
                        && q.path.as_ref().is_none_or(|pre| p.starts_with(pre.as_str()))
                })
                .count()
        })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_millis(q.timeout_ms.unwrap_or(60_000));
    loop {
        let notified = inner.arrived.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let n = matching();
        if n >= q.count {
            return ok_json(&json!({"arrived": n}));
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return error(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                &format!("only {n} of {} requests arrived", q.count),
            );
        }
    }
}

async fn admin_revoke(State(app): State<App>) -> Response {
    if let Ok(mut t) = app.inner().tokens.lock() {
        t.clear();
    }
    StatusCode::NO_CONTENT.into_response()
}
