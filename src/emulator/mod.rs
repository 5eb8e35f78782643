//! A local Genesys Cloud for data actions: real HTTP on loopback, the Platform API's JSON
//! shapes, OAuth client credentials, drafts and publishing, paging, versions, errors in
//! ErrorBody shape — plus fault injection, an enforced rate limit and a request log.
//!
//! Owns: the server ([`start`]), its configuration ([`Config`]) and the request gate
//! (log → faults → rate limit) in front of the routes. `/test`, `/execute` and `/draft/test`
//! run actions with gcsync's runtime (`crate::exec`), whose `*.gcsync.test` requests go to
//! this server's own demo API ([`demo`]).
//! Must not: use gcsync's client, plan, apply or state: it is the *other side* of the wire.
//! It shares only the model types, Genesys's contract rules and the runtime.

pub mod demo;
pub mod faults;
pub mod flows;
mod functions;
mod routes;
pub mod store;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use faults::{FaultKind, FaultSpec, Faults, Limiter, LogEntry};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::OrgData;

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// Port on 127.0.0.1 (0 = any free port).
    pub port: u16,
    /// Persist the org here (atomic writes); in memory when `None`.
    pub data: Option<PathBuf>,
    /// Accepted OAuth client id.
    pub client_id: String,
    /// Accepted OAuth client secret.
    pub client_secret: String,
    /// Lifetime of issued tokens in seconds (`expires_in`).
    pub token_ttl: u64,
    /// Fault rules.
    pub faults: Vec<FaultSpec>,
    /// Seed for `rate=` faults.
    pub seed: u64,
    /// Enforced requests per minute per token (real 429s), if any.
    pub rate_limit: Option<u32>,
    /// Burst size of the enforced limit (default: 10 seconds' worth).
    pub rate_burst: Option<u32>,
    /// Append every request to this file as JSON lines.
    pub request_log: Option<PathBuf>,
    /// Integrations to create when the org is new: (name, type id).
    pub seed_integrations: Vec<(String, String)>,
    /// Name of a new org.
    pub org_name: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: 0,
            data: None,
            client_id: "local".into(),
            client_secret: "local".into(),
            token_ttl: 86_399,
            faults: Vec::new(),
            seed: 0,
            rate_limit: None,
            rate_burst: None,
            request_log: None,
            seed_integrations: Vec::new(),
            org_name: "gcsync local org".into(),
        }
    }
}

/// Shared server state.
#[derive(Clone)]
pub(crate) struct App {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) org: Mutex<OrgData>,
    pub(crate) data: Option<PathBuf>,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) token_ttl: u64,
    pub(crate) tokens: Mutex<HashMap<String, Instant>>,
    pub(crate) faults: Faults,
    pub(crate) limiter: Option<Limiter>,
    pub(crate) log: Mutex<Vec<LogEntry>>,
    pub(crate) log_file: Option<Mutex<std::fs::File>>,
    pub(crate) seq: AtomicU64,
    /// Requests as they arrive (method, path), before any fault or processing.
    pub(crate) arrivals: Mutex<Vec<(String, String)>>,
    /// Signalled on every arrival (for `/__emulator/wait`).
    pub(crate) arrived: tokio::sync::Notify,
    /// Signalled when the faults are replaced: releases hung requests.
    pub(crate) release: tokio::sync::Notify,
    /// The runtime's transport for `/test` and `/execute` (`*.gcsync.test` → this server).
    pub(crate) transport: Result<crate::exec::HttpTransport, String>,
}

impl App {
    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

/// A running emulator.
pub struct Running {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The accepted client id.
    pub client_id: String,
    /// The accepted client secret.
    pub client_secret: String,
    task: tokio::task::JoinHandle<()>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Running {
    /// The one JSON line the `emulator` command prints on start.
    #[must_use]
    pub fn announcement(&self) -> String {
        serde_json::json!({"url": self.url, "client_id": self.client_id, "client_secret": self.client_secret})
            .to_string()
    }

    /// Waits until the server stops (it only stops when shut down or on error).
    pub async fn wait(mut self) {
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        let _ = task.await;
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let task = std::mem::replace(&mut self.task, tokio::spawn(async {}));
        let _ = task.await;
    }
}

/// Binds 127.0.0.1:`port` and serves in the background.
pub async fn start(config: Config) -> Result<Running, String> {
    let mut org = match &config.data {
        Some(path) => OrgData::load_or_new(path, &config.org_name)?,
        None => OrgData::new(&config.org_name),
    };
    let mut changed = false;
    for (name, type_id) in &config.seed_integrations {
        if !org.integrations.values().any(|i| &i.name == name) {
            let id = org.create_integration(name, type_id);
            if let Some(i) = org.integrations.get_mut(&id) {
                i.intended_state = "ENABLED".into();
            }
            changed = true;
        }
    }
    if let Some(path) = &config.data
        && (changed || !path.exists())
    {
        org.save(path)
            .map_err(|e| format!("cannot write `{}`: {}", path.display(), crate::fsutil::io_reason(&e)))?;
    }
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], config.port))).await.map_err(
            |e| format!("cannot listen on 127.0.0.1:{}: {}", config.port, crate::fsutil::io_reason(&e)),
        )?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let url = format!("http://{addr}");
    let log_file =
        match &config.request_log {
            Some(p) => {
                Some(Mutex::new(std::fs::OpenOptions::new().create(true).append(true).open(p).map_err(
                    |e| format!("cannot open `{}`: {}", p.display(), crate::fsutil::io_reason(&e)),
                )?))
            }
            None => None,
        };
    let app = App {
        inner: Arc::new(Inner {
            org: Mutex::new(org),
            data: config.data.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            token_ttl: config.token_ttl,
            tokens: Mutex::new(HashMap::new()),
            faults: Faults::new(config.faults.clone(), config.seed),
            limiter: config.rate_limit.map(|r| Limiter::new(r, config.rate_burst)),
            log: Mutex::new(Vec::new()),
            log_file,
            seq: AtomicU64::new(0),
            arrivals: Mutex::new(Vec::new()),
            arrived: tokio::sync::Notify::new(),
            release: tokio::sync::Notify::new(),
            transport: crate::exec::HttpTransport::new()
                .map(|t| t.with_local_org(url.clone()))
                .map_err(|e| e.to_string()),
        }),
    };
    let router = routes::router(app.clone()).layer(axum::middleware::from_fn_with_state(app, gate));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(Running {
        url,
        client_id: config.client_id,
        client_secret: config.client_secret,
        task,
        shutdown: Some(tx),
    })
}

/// The gate in front of every route: request log, faults, enforced rate limit.
async fn gate(State(app): State<App>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    // The admin routes are never faulted; the presigned-style upload URL (the object store
    // a function's zip goes to) is, like the API.
    if path.starts_with("/__emulator/") && !path.starts_with("/__emulator/uploads/") {
        return next.run(req).await;
    }
    let inner = app.inner();
    if let Ok(mut a) = inner.arrivals.lock() {
        a.push((method.clone(), path.clone()));
    }
    inner.arrived.notify_waiters();
    let decision = inner.faults.decide(&method, &path);
    if decision.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.delay_ms)).await;
    }
    let mut fault_name = None;
    let response = match decision.effect {
        Some((FaultKind::Status(code), retry_after)) => {
            fault_name = Some(code.to_string());
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let message = if code == 429 {
                format!("Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds")
            } else {
                format!(
                    "The server answered {code} {} (an injected fault)",
                    status.canonical_reason().unwrap_or("Error")
                )
            };
            let mut r = routes::error(status, faults::status_code_name(code), &message);
            if (code == 429 || code == 503)
                && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
            {
                r.headers_mut().insert("retry-after", v);
            }
            r
        }
        Some((FaultKind::Drop, _)) => {
            fault_name = Some("drop".into());
            dropped()
        }
        Some((FaultKind::DropAfter, _)) => {
            fault_name = Some("drop-after".into());
            let _ = next.run(req).await;
            dropped()
        }
        Some((FaultKind::Hang, _)) => {
            fault_name = Some("hang".into());
            hold(inner).await;
            dropped()
        }
        Some((FaultKind::HangAfter, _)) => {
            fault_name = Some("hang-after".into());
            let _ = next.run(req).await;
            hold(inner).await;
            dropped()
        }
        Some((FaultKind::Latency, _)) | None => {
            let limited = match (&inner.limiter, path.starts_with("/api/")) {
                (Some(l), true) => {
                    let key = req
                        .headers()
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("anonymous")
                        .to_string();
                    l.take(&key).err()
                }
                _ => None,
            };
            match limited {
                Some(wait) => {
                    fault_name = Some("rate-limit".into());
                    let mut r = routes::error(
                        StatusCode::TOO_MANY_REQUESTS,
                        "too.many.requests.retry.after",
                        &format!("Rate limit exceeded the maximum. Retry the request in [{wait}] seconds"),
                    );
                    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                        r.headers_mut().insert("retry-after", v);
                    }
                    r
                }
                None => next.run(req).await,
            }
        }
    };
    let dropped_conn = matches!(fault_name.as_deref(), Some("drop" | "drop-after" | "hang" | "hang-after"));
    let entry = LogEntry {
        seq: inner.seq.fetch_add(1, Ordering::Relaxed) + 1,
        method,
        path,
        query,
        status: if dropped_conn { 0 } else { response.status().as_u16() },
        fault: fault_name,
    };
    if let Some(f) = &inner.log_file
        && let Ok(mut f) = f.lock()
    {
        use std::io::Write as _;
        // Plain data (string keys) always serializes; the default never stands in.
        let _ = writeln!(f, "{}", serde_json::to_string(&entry).unwrap_or_default());
    }
    if let Ok(mut log) = inner.log.lock() {
        log.push(entry);
    }
    response
}

/// Holds a request until the faults are replaced (or ten minutes pass).
async fn hold(inner: &Inner) {
    tokio::select! {
        () = inner.release.notified() => {}
        () = tokio::time::sleep(Duration::from_secs(600)) => {}
    }
}

/// A response whose body fails at once: hyper closes the connection without a complete
/// answer, which the client sees as a dropped connection.
fn dropped() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other(
            "connection dropped by fault injection",
        ))
    });
    (StatusCode::OK, Body::from_stream(stream)).into_response()
}
