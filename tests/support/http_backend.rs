//! A Terraform HTTP-backend server with GitLab-managed state's semantics, for tests, on a
//! free loopback port (in-process axum).
//!
//! Routes (one state per name): `GET /state/NAME` (200 with the state; 204 when none),
//! `POST /state/NAME[?ID=lock]` (the body must be JSON with a top-level `serial`, else 422;
//! while locked, the `ID` must be the holder's, else 409 with the holder's info; each write
//! is kept as a version), and `/state/NAME/lock` with `POST` (200 when taken or already
//! held with the same `ID`; 409 with the holder's info otherwise) and `DELETE` (an `ID` in
//! the body must be the holder's, else 409; no `ID`: force-unlock); other methods (such as
//! Terraform's default `LOCK`/`UNLOCK`) are 405, as on GitLab.
//! With credentials set, every request needs them as Basic auth (else 401). This is the
//! protocol as gitlabhq `lib/api/terraform/state.rb` implements it; `terraform` itself is
//! pointed at it in tests/backends.rs to show it is faithful.

#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// One state's data.
#[derive(Debug, Default, Clone)]
pub struct StateEntry {
    /// The current state body.
    pub body: Option<Bytes>,
    /// Every write, by serial.
    pub versions: BTreeMap<u64, Bytes>,
    /// The lock info body of the holder, when locked.
    pub lock: Option<Value>,
    /// The `?ID=` of each accepted write.
    pub write_ids: Vec<Option<String>>,
}

/// What the server holds.
#[derive(Debug, Default)]
pub struct Inner {
    /// States by name.
    pub states: HashMap<String, StateEntry>,
    /// Required Basic credentials.
    pub credentials: Option<(String, String)>,
    /// Every request: method and path.
    pub log: Vec<String>,
}

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its data.
    pub inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// The state URL of `name`.
    pub fn url(&self, name: &str) -> String {
        format!("{}/state/{name}", self.base)
    }

    /// A copy of `name`'s entry.
    pub fn entry(&self, name: &str) -> StateEntry {
        self.inner.lock().unwrap().states.get(name).cloned().unwrap_or_default()
    }
}

/// Starts a server on a free loopback port; `credentials`: the Basic auth it requires.
pub async fn start(credentials: Option<(&str, &str)>) -> Server {
    let inner = Arc::new(Mutex::new(Inner {
        credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
        ..Inner::default()
    }));
    let app = axum::Router::new()
        .route("/state/{name}", any(state))
        .route("/state/{name}/lock", any(lock))
        .with_state(inner.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server { base, inner, task }
}

fn authorized(inner: &Inner, headers: &HeaderMap) -> bool {
    let Some((u, p)) = &inner.credentials else { return true };
    use base64::Engine as _;
    let want = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")));
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(want.as_str())
}

fn json(status: StatusCode, v: &Value) -> Response {
    (status, [("content-type", "application/json")], v.to_string()).into_response()
}

async fn state(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = inner.lock().unwrap();
    inner.log.push(format!("{method} /state/{name}"));
    if !authorized(&inner, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let entry = inner.states.entry(name).or_default();
    match method {
        Method::GET => match &entry.body {
            Some(b) => (StatusCode::OK, b.clone()).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
        Method::POST => {
            let id = q.get("ID").cloned();
            if let Some(l) = &entry.lock
                && id.as_deref() != l.get("ID").and_then(Value::as_str)
            {
                return json(StatusCode::CONFLICT, l);
            }
            let serial = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("serial").and_then(Value::as_u64));
            let Some(serial) = serial else {
                return json(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &serde_json::json!({"message": "serial is required"}),
                );
            };
            entry.versions.insert(serial, body.clone());
            entry.body = Some(body);
            entry.write_ids.push(id);
            StatusCode::OK.into_response()
        }
        Method::DELETE => {
            entry.body = None;
            StatusCode::OK.into_response()
        }
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

async fn lock(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = inner.lock().unwrap();
    inner.log.push(format!("{method} /state/{name}/lock"));
    if !authorized(&inner, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let entry = inner.states.entry(name).or_default();
    let info: Option<Value> = serde_json::from_slice(&body).ok();
    let given = info.as_ref().and_then(|i| i.get("ID")).and_then(Value::as_str).map(str::to_string);
    let held = entry.lock.as_ref().and_then(|l| l.get("ID")).and_then(Value::as_str).map(str::to_string);
    match method.as_str() {
        "POST" => {
            let Some(info) = info.filter(|_| given.is_some()) else {
                return json(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &serde_json::json!({"message": "ID is required"}),
                );
            };
            match (&held, &given) {
                (Some(h), Some(g)) if h != g => json(StatusCode::CONFLICT, entry.lock.as_ref().unwrap()),
                _ => {
                    entry.lock = Some(info);
                    StatusCode::OK.into_response()
                }
            }
        }
        "DELETE" => match (&held, &given) {
            (Some(h), Some(g)) if h != g => json(StatusCode::CONFLICT, entry.lock.as_ref().unwrap()),
            _ => {
                entry.lock = None;
                StatusCode::OK.into_response()
            }
        },
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}
