//! Function data actions in the emulator (integration type `function-data-actions`).
//!
//! Owns: `GET /actions/functions/runtimes` (the runtimes table of `crate::function`),
//! `GET|PUT /actions/{id}/draft/function`, `POST /actions/{id}/draft/function/upload` (a
//! presigned-style URL on this server, `PUT /__emulator/uploads/{token}`, which checks every
//! header it handed out and the expiry), the zip status (`Pending` until the upload is
//! processed, then `Available`, or `InvalidFormat` for bytes that are not a zip, recorded in
//! `uploadExceptionHistory`), `GET /actions/{id}/function` (the published settings), and —
//! through [`intercept`], a layer in front of the action routes — what the platform does
//! differently for function actions: `POST /actions` is refused, a created draft gets a
//! generated request URL, publishing needs the function set and its zip `Available` and
//! copies the settings, a draft made from the published action starts from its settings,
//! delete forgets them, and `/test`, `/draft/test` and `/execute` run the uploaded code
//! with the local `node` (`crate::function::node`).
//! Must not: use gcsync's client, plan, apply or state.

#![allow(clippy::result_large_err)]

use super::App;
use super::routes::{
    authorize, bad_request, error, error_details, not_found, ok_json, parse_json, run_snapshot, with_org,
};
use crate::function::{self, RuntimeStatus, node, zip};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

const ACTIONS: &str = "/api/v2/integrations/actions";

/// How long an uploaded zip stays `Pending` before it is processed (milliseconds).
pub const PROCESSING_MS: u64 = 300;

/// Largest request body the layer reads (the platform's function payload limit, and zips).
const BODY_LIMIT: usize = (function::MAX_ZIP_BYTES as usize) + 1024;

/// One side (draft or published) of a function action.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSide {
    /// The `Function` settings, once set.
    pub function: Option<Value>,
    /// The zip's `FunctionZipConfig` (without the lazily computed status change).
    pub zip: Option<ZipRec>,
    /// Failed uploads (`uploadExceptionHistory`).
    #[serde(default)]
    pub history: Vec<Value>,
    /// The uploaded code (base64), once a valid zip arrived.
    pub code: Option<String>,
}

/// The zip of a side.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZipRec {
    /// Zip id.
    pub id: String,
    /// The file name given with the upload request.
    pub name: String,
    /// Pending | Available | InvalidFormat.
    pub status: String,
    /// RFC 3339.
    pub date_created: String,
    /// When the bytes arrived (ms since the epoch); `Pending` turns `Available` after
    /// [`PROCESSING_MS`].
    pub uploaded_ms: Option<u64>,
    /// Why the upload failed.
    pub error_message: Option<String>,
}

/// A function action's record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionRec {
    /// The draft's settings and code.
    pub draft: FunctionSide,
    /// The published settings and code.
    pub published: FunctionSide,
}

/// An upload URL handed out.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadRec {
    /// The action.
    pub action_id: String,
    /// The zip id the upload fills.
    pub zip_id: String,
    /// Headers the PUT must carry, as handed out.
    pub headers: Map<String, Value>,
    /// Expiry (ms since the epoch).
    pub expires_ms: u64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn now_rfc3339() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// The routes (merged into the emulator's router).
pub(super) fn routes() -> Router<App> {
    Router::new()
        .route(&format!("{ACTIONS}/functions/runtimes"), get(runtimes))
        .route(&format!("{ACTIONS}/{{id}}/draft/function"), get(get_draft_function).put(put_draft_function))
        .route(&format!("{ACTIONS}/{{id}}/draft/function/upload"), post(request_upload))
        .route(&format!("{ACTIONS}/{{id}}/function"), get(get_published_function))
        // Zips up to the platform's size, not axum's 2 MB default.
        .route("/__emulator/uploads/{token}", put(receive_upload).layer(DefaultBodyLimit::max(BODY_LIMIT)))
}

async fn runtimes(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    ok_json(&Value::Array(function::RUNTIMES.iter().map(function::Runtime::to_json).collect()))
}

/// Whether the action exists and belongs to a function integration.
fn is_function_action(o: &super::store::OrgData, id: &str) -> bool {
    o.actions
        .get(id)
        .and_then(|r| o.integrations.get(&r.integration_id))
        .is_some_and(|i| i.type_id == function::INTEGRATION_TYPE)
}

/// Refreshes a lazily processed zip status.
fn settle(side: &mut FunctionSide) {
    if let Some(z) = &mut side.zip
        && z.status == "Pending"
        && z.uploaded_ms.is_some_and(|t| now_ms() >= t + PROCESSING_MS)
    {
        z.status = "Available".into();
    }
}

fn config_json(id: &str, side: &FunctionSide, draft: bool) -> Value {
    let zip = side.zip.as_ref().map(|z| {
        let mut m = Map::new();
        m.insert("id".into(), json!(z.id));
        m.insert("name".into(), json!(z.name));
        m.insert("status".into(), json!(z.status));
        m.insert("dateCreated".into(), json!(z.date_created));
        if let Some(e) = &z.error_message {
            m.insert("errorMessage".into(), json!(e));
        }
        Value::Object(m)
    });
    let mut f = side.function.clone().unwrap_or_else(|| json!({}));
    if let (Value::Object(fm), Some(z)) = (&mut f, &side.zip)
        && z.status == "Available"
    {
        fm.insert("zipId".into(), json!(z.id));
    }
    let path = if draft { "draft/function" } else { "function" };
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert("function".into(), f);
    if let Some(z) = zip {
        out.insert("zip".into(), z);
    }
    out.insert("uploadExceptionHistory".into(), Value::Array(side.history.clone()));
    out.insert("selfUri".into(), json!(format!("{ACTIONS}/{id}/{path}")));
    Value::Object(out)
}

/// Reads a side of a function action (settling its zip status), 404 when absent.
fn read_side(app: &App, id: &str, draft: bool) -> Response {
    let r = with_org(app, |o| {
        if !o.actions.contains_key(id) {
            return (Err(not_found("Action")), false);
        }
        if !is_function_action(o, id) {
            return (Err(bad_request("The action is not a function data action")), false);
        }
        let rec = o.functions.entry(id.to_string()).or_default();
        let side = if draft { &mut rec.draft } else { &mut rec.published };
        settle(side);
        if side.function.is_none() && side.zip.is_none() {
            return (Err(not_found(if draft { "Draft function" } else { "Function" })), false);
        }
        (Ok(config_json(id, side, draft)), false)
    });
    match r {
        Ok(Ok(v)) => ok_json(&v),
        Ok(Err(r)) | Err(r) => r,
    }
}

async fn get_draft_function(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    read_side(&app, &id, true)
}

async fn get_published_function(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    read_side(&app, &id, false)
}

/// Checks a `Function` body as the platform does.
fn check_function(v: &Value) -> Result<Value, String> {
    let Value::Object(m) = v else { return Err("The body must be a Function object".into()) };
    let s = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let description = s("description").filter(|d| !d.trim().is_empty()).ok_or("description is required")?;
    if description.chars().count() > function::MAX_DESCRIPTION_LEN {
        return Err("description must be at most 255 characters".into());
    }
    let handler = s("handler").filter(|h| !h.is_empty()).ok_or("handler is required")?;
    function::Handler::parse(&handler).map_err(|e| format!("handler is invalid: {e}"))?;
    let runtime = s("runtime").filter(|r| !r.is_empty()).ok_or("runtime is required")?;
    match function::runtime(&runtime) {
        None => return Err(format!("runtime '{runtime}' is not a valid runtime")),
        Some(r) if r.status == RuntimeStatus::Unavailable => {
            return Err(format!("runtime '{runtime}' is unavailable"));
        }
        Some(_) => {}
    }
    let timeout = match m.get("timeoutSeconds") {
        None | Some(Value::Null) => function::DEFAULT_TIMEOUT_SECONDS,
        Some(t) => t
            .as_i64()
            .filter(|t| function::TIMEOUT_RANGE.contains(t))
            .ok_or("timeoutSeconds must be between 1 and 15")?,
    };
    Ok(json!({"description": description, "handler": handler, "runtime": runtime, "timeoutSeconds": timeout}))
}

async fn put_draft_function(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let f = match check_function(&v) {
        Ok(f) => f,
        Err(m) => return error(StatusCode::BAD_REQUEST, "invalid.value", &m),
    };
    let r = with_org(&app, |o| {
        let Some(rec) = o.actions.get(&id) else { return (Err(not_found("Action")), false) };
        if rec.draft.is_none() {
            return (Err(not_found("Draft")), false);
        }
        if !is_function_action(o, &id) {
            return (Err(bad_request("The action is not a function data action")), false);
        }
        let side = &mut o.functions.entry(id.clone()).or_default().draft;
        side.function = Some(f);
        settle(side);
        (Ok(config_json(&id, side, true)), true)
    });
    match r {
        Ok(Ok(v)) => ok_json(&v),
        Ok(Err(r)) | Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UploadRequest {
    file_name: Option<String>,
    signed_url_timeout_seconds: Option<i64>,
}

async fn request_upload(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let req: UploadRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return bad_request(&format!("Unable to parse the request body as FunctionUploadRequest: {e}"));
        }
    };
    let Some(file_name) = req.file_name.filter(|f| !f.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "invalid.value", "fileName is required");
    };
    let ttl = req.signed_url_timeout_seconds.unwrap_or(900);
    if !(1..=604_800).contains(&ttl) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid.value",
            "signedUrlTimeoutSeconds must be between 1 and 604800",
        );
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_string();
    let token = uuid::Uuid::new_v4().simple().to_string();
    let zip_id = uuid::Uuid::new_v4().to_string();
    let mut handed = Map::new();
    handed.insert("Content-Type".into(), json!("application/zip"));
    handed.insert("x-amz-server-side-encryption".into(), json!("AES256"));
    handed.insert("x-amz-meta-gcsync-upload".into(), json!(token));
    let ttl_u = u64::try_from(ttl).unwrap_or(900);
    let r = with_org(&app, |o| {
        let Some(rec) = o.actions.get(&id) else { return (Err(not_found("Action")), false) };
        if rec.draft.is_none() {
            return (Err(not_found("Draft")), false);
        }
        if !is_function_action(o, &id) {
            return (Err(bad_request("The action is not a function data action")), false);
        }
        let side = &mut o.functions.entry(id.clone()).or_default().draft;
        side.zip = Some(ZipRec {
            id: zip_id.clone(),
            name: file_name.clone(),
            status: "Pending".into(),
            date_created: now_rfc3339(),
            uploaded_ms: None,
            error_message: None,
        });
        o.function_uploads.insert(
            token.clone(),
            UploadRec {
                action_id: id.clone(),
                zip_id,
                headers: handed.clone(),
                expires_ms: now_ms() + ttl_u * 1000,
            },
        );
        (Ok(()), true)
    });
    match r {
        Ok(Ok(())) => ok_json(&json!({
            "url": format!("http://{host}/__emulator/uploads/{token}"),
            "headers": handed,
            "signedUrlTimeoutSeconds": ttl,
        })),
        Ok(Err(r)) | Err(r) => r,
    }
}

/// An object-store style refusal.
fn denied(code: &str, message: &str) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/xml")], xml).into_response()
}

async fn receive_upload(
    State(app): State<App>,
    headers: HeaderMap,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let r = with_org(&app, |o| {
        let Some(up) = o.function_uploads.get(&token).cloned() else {
            return (Err(denied("NoSuchUpload", "The upload URL is unknown or was used already")), false);
        };
        if now_ms() > up.expires_ms {
            return (Err(denied("AccessDenied", "Request has expired")), false);
        }
        for (k, v) in &up.headers {
            let sent = headers.get(k.as_str()).and_then(|h| h.to_str().ok());
            if sent != v.as_str() {
                return (
                    Err(denied(
                        "SignatureDoesNotMatch",
                        &format!(
                            "The request signature we calculated does not match the signature you provided: header `{k}` must be sent as handed out"
                        ),
                    )),
                    false,
                );
            }
        }
        o.function_uploads.remove(&token);
        let side = &mut o.functions.entry(up.action_id.clone()).or_default().draft;
        let Some(z) = side.zip.as_mut().filter(|z| z.id == up.zip_id) else {
            // A newer upload request replaced this one: the bytes are discarded.
            return (Ok(()), true);
        };
        match zip::list(&body) {
            Ok(_) => {
                z.status = "Pending".into();
                z.uploaded_ms = Some(now_ms());
                z.error_message = None;
                side.code = Some(base64::engine::general_purpose::STANDARD.encode(&body));
            }
            Err(e) => {
                z.status = "InvalidFormat".into();
                z.error_message = Some(format!("The uploaded file is not a valid zip archive: {e}"));
                let failed = json!({"id": z.id, "name": z.name, "status": z.status, "dateCreated": z.date_created, "errorMessage": z.error_message});
                side.history.insert(0, failed);
                side.history.truncate(10);
            }
        }
        (Ok(()), true)
    });
    match r {
        Ok(Ok(())) => StatusCode::OK.into_response(),
        Ok(Err(r)) | Err(r) => r,
    }
}

// --- the layer in front of the action routes -------------------------------------------------

async fn buffered(req: Request) -> Result<(Request, Bytes), Response> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|e| bad_request(&format!("cannot read the request body: {e}")))?;
    Ok((Request::from_parts(parts, Body::from(bytes.clone())), bytes))
}

fn integration_is_function(app: &App, integration_id: &str) -> bool {
    app.inner().org.lock().is_ok_and(|o| {
        o.integrations.get(integration_id).is_some_and(|i| i.type_id == function::INTEGRATION_TYPE)
    })
}

fn action_is_function(app: &App, id: &str) -> bool {
    app.inner().org.lock().is_ok_and(|o| is_function_action(&o, id))
}

/// What the platform does differently for function actions (see the module doc); every
/// other request passes through untouched.
pub(super) async fn intercept(State(app): State<App>, req: Request, next: Next) -> Response {
    let Some(rest) = req.uri().path().strip_prefix(ACTIONS).map(str::to_string) else {
        return next.run(req).await;
    };
    let method = req.method().clone();
    let segs: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    match (method, segs.as_slice()) {
        (Method::POST, [""]) => {
            let (req, bytes) = match buffered(req).await {
                Ok(x) => x,
                Err(r) => return r,
            };
            let integration = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("integrationId").and_then(Value::as_str).map(str::to_string));
            if integration.is_some_and(|i| integration_is_function(&app, &i))
                && authorize(&app, req.headers()).is_ok()
            {
                return error(
                    StatusCode::BAD_REQUEST,
                    "bad.request",
                    "Function Data Actions does not support creating published actions; create a draft with POST /api/v2/integrations/actions/drafts",
                );
            }
            next.run(req).await
        }
        (Method::POST, ["drafts"]) => {
            let (req, bytes) = match buffered(req).await {
                Ok(x) => x,
                Err(r) => return r,
            };
            let Ok(Value::Object(mut v)) = serde_json::from_slice::<Value>(&bytes) else {
                return next.run(req).await;
            };
            let integration = v.get("integrationId").and_then(Value::as_str).map(str::to_string);
            if !integration.is_some_and(|i| integration_is_function(&app, &i)) {
                return next.run(req).await;
            }
            // The platform generates the request URL (with a server-side function id).
            let config = v.entry("config").or_insert_with(|| json!({}));
            if let Value::Object(c) = config {
                let request = c.entry("request").or_insert_with(|| json!({}));
                if let Value::Object(r) = request {
                    r.insert(
                        "requestUrlTemplate".into(),
                        json!(format!("{}{}", node::LOCAL_URL_PREFIX, uuid::Uuid::new_v4())),
                    );
                    r.entry("requestType").or_insert_with(|| json!("POST"));
                }
            }
            let (parts, _) = req.into_parts();
            next.run(Request::from_parts(parts, Body::from(Value::Object(v).to_string()))).await
        }
        (Method::POST, [id, "test"]) if action_is_function(&app, id) => {
            run(&app, req, id, false, false).await
        }
        (Method::POST, [id, "execute"]) if action_is_function(&app, id) => {
            run(&app, req, id, false, true).await
        }
        (Method::POST, [id, "draft", "test"]) if action_is_function(&app, id) => {
            run(&app, req, id, true, false).await
        }
        (Method::POST, [id, "draft", "publish"]) if action_is_function(&app, id) => {
            if let Err(r) = authorize(&app, req.headers()) {
                return r;
            }
            let id = (*id).to_string();
            let ready = with_org(&app, |o| {
                let side = &mut o.functions.entry(id.clone()).or_default().draft;
                settle(side);
                let problem = match (&side.function, side.zip.as_ref().map(|z| z.status.as_str())) {
                    (None, _) => {
                        Some("the draft has no function settings (PUT .../draft/function)".to_string())
                    }
                    (_, None) => {
                        Some("the draft has no uploaded code (POST .../draft/function/upload)".to_string())
                    }
                    (_, Some("Available")) => None,
                    (_, Some(s)) => Some(format!("the draft's function zip is {s}, not Available")),
                };
                (problem, false)
            });
            match ready {
                Ok(Some(p)) => {
                    return error_details(
                        StatusCode::BAD_REQUEST,
                        "bad.request",
                        &format!("Cannot publish: {p}"),
                        None,
                    );
                }
                Err(r) => return r,
                Ok(None) => {}
            }
            let resp = next.run(req).await;
            // The store could not be saved: answer that, not the success.
            if resp.status().is_success()
                && let Err(r) = with_org(&app, |o| {
                    let rec = o.functions.entry(id.clone()).or_default();
                    rec.published = rec.draft.clone();
                    rec.draft = FunctionSide::default();
                    ((), true)
                })
            {
                return r;
            }
            resp
        }
        (Method::POST, [id, "draft"]) if action_is_function(&app, id) => {
            let id = (*id).to_string();
            let resp = next.run(req).await;
            if resp.status().is_success()
                && let Err(r) = with_org(&app, |o| {
                    let rec = o.functions.entry(id.clone()).or_default();
                    rec.draft = rec.published.clone();
                    ((), true)
                })
            {
                return r;
            }
            resp
        }
        (Method::DELETE, [id]) if action_is_function(&app, id) => {
            let id = (*id).to_string();
            let resp = next.run(req).await;
            if resp.status().is_success()
                && let Err(r) = with_org(&app, |o| (o.functions.remove(&id), true))
            {
                return r;
            }
            resp
        }
        _ => next.run(req).await,
    }
}

/// `/test`, `/draft/test`, `/execute` of a function action: the uploaded code runs with the
/// local `node`.
async fn run(app: &App, req: Request, id: &str, draft: bool, execute: bool) -> Response {
    if let Err(r) = authorize(app, req.headers()) {
        return r;
    }
    let flatten = req.uri().query().is_some_and(|q| q.split('&').any(|p| p == "flatten=true"));
    let (_, bytes) = match buffered(req).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let input = match parse_json(&bytes) {
        Ok(Value::Null) => Value::Object(Map::new()),
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut snap = match run_snapshot(app, id, draft) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let side = with_org(app, |o| {
        let rec = o.functions.entry(id.to_string()).or_default();
        let side = if draft { &mut rec.draft } else { &mut rec.published };
        settle(side);
        (side.clone(), false)
    });
    let side = match side {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (Some(f), Some(code)) = (
        &side.function,
        side.code.as_ref().filter(|_| side.zip.as_ref().is_some_and(|z| z.status == "Available")),
    ) else {
        return bad_request("The function has no settings or no Available zip to run");
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(code) else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal.server.error",
            "stored function code is not base64",
        );
    };
    let (files, unzipped) = match zip::list(&bytes) {
        Ok(x) => x,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal.server.error", &e),
    };
    let code = zip::SourceZip { sha256: zip::sha256(&bytes), bytes, files, unzipped_bytes: unzipped };
    // Publishing requires the handler, so a published function has one; an empty one fails the run with node's error.
    let handler = f.get("handler").and_then(Value::as_str).unwrap_or_default().to_string();
    snap.spec.config.timeout_seconds = f.get("timeoutSeconds").and_then(Value::as_i64);
    let node_info = match node::find_node() {
        Ok(n) => n,
        Err(e) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "service.unavailable",
                &format!("the emulator runs function actions with the local node: {e}"),
            );
        }
    };
    let transport = match node::FunctionTransport::from_code(
        node_info,
        code,
        "the uploaded zip",
        &handler,
        &snap.spec.name,
    ) {
        Ok(t) => t,
        Err(e) => return bad_request(&e.to_string()),
    };
    let action = crate::exec::CompiledAction::new(&snap.spec);
    let opts = crate::exec::RunOptions { flatten };
    let report = crate::exec::run(&action, &input, &snap.credentials, &snap.env, opts, &transport).await;
    if !execute {
        // Plain data (string keys) always serializes; the default never stands in.
        return ok_json(&serde_json::to_value(&report.result).unwrap_or(Value::Null));
    }
    match (report.result.success, report.result.final_result, report.result.error) {
        (true, Some(out), _) => ok_json(&out),
        (_, _, Some(e)) => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                // Plain data (string keys) always serializes; the default never stands in.
                serde_json::to_string(&e).unwrap_or_default(),
            )
                .into_response()
        }
        _ => error(StatusCode::INTERNAL_SERVER_ERROR, "internal.server.error", "the run produced no result"),
    }
}
