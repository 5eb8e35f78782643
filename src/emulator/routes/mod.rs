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

mod actions_create;
mod actions_list;
mod actions_read;
mod actions_run;
mod actions_update;
mod admin;
mod credentials;
mod integrations;
mod org;
use actions_create::*;
use actions_list::*;
use actions_read::*;
pub(in crate::emulator) use actions_run::run_snapshot;
use actions_run::*;
use actions_update::*;
use admin::*;
use credentials::*;
use integrations::*;
use org::*;

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
        .merge(super::functions::routes())
        .layer(axum::middleware::from_fn_with_state(app.clone(), super::functions::intercept))
        .merge(super::flows::router())
        .fallback(fallback)
        .with_state(app)
}

// --- errors --------------------------------------------------------------------------------

/// A Genesys ErrorBody response.
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    error_details(status, code, message, None)
}

pub(in crate::emulator) fn error_details(
    status: StatusCode,
    code: &str,
    message: &str,
    error_code: Option<&str>,
) -> Response {
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

pub(in crate::emulator) fn not_found(what: &str) -> Response {
    error(StatusCode::NOT_FOUND, "not.found", &format!("{what} not found"))
}

pub(in crate::emulator) fn bad_request(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "bad.request", message)
}

pub(in crate::emulator) fn conflict(supplied: i64, current: i64) -> Response {
    error(
        StatusCode::CONFLICT,
        "conflict",
        &format!("Supplied version {supplied} does not match the current version {current}"),
    )
}

pub(in crate::emulator) fn ok_json(v: &Value) -> Response {
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
pub(in crate::emulator) fn authorize(app: &App, headers: &HeaderMap) -> Result<(), Response> {
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
pub(in crate::emulator) fn with_org<T>(
    app: &App,
    f: impl FnOnce(&mut OrgData) -> (T, bool),
) -> Result<T, Response> {
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

pub(in crate::emulator) fn parse_json(body: &Bytes) -> Result<Value, Response> {
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
