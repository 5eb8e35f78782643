//! Emulator routes: the admin routes under `/__emulator/` (request log, faults, token revocation, wait, health).
//!
//! Owns: these handlers only; shared parsing, errors and auth live in `routes/mod.rs`.
//! Must not: implement fault injection or use gcsync's client.

#![allow(clippy::result_large_err)]

use super::*;

pub(super) async fn admin_requests(State(app): State<App>) -> Response {
    // A poisoned log lock (a panicked request) answers an empty log rather than failing the admin route.
    let log = app.inner().log.lock().map(|l| l.clone()).unwrap_or_default();
    // Plain data (string keys) always serializes; the default never stands in.
    ok_json(&serde_json::to_value(log).unwrap_or_default())
}

pub(super) async fn admin_clear_requests(State(app): State<App>) -> Response {
    if let Ok(mut l) = app.inner().log.lock() {
        l.clear();
    }
    if let Ok(mut a) = app.inner().arrivals.lock() {
        a.clear();
    }
    StatusCode::NO_CONTENT.into_response()
}

pub(super) async fn admin_faults(State(app): State<App>, body: Bytes) -> Response {
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
pub(super) struct WaitQuery {
    count: usize,
    method: Option<String>,
    path: Option<String>,
    timeout_ms: Option<u64>,
}

/// Waits until `count` requests matching `method` (comma-separated) and `path` (prefix) have
/// arrived (counted on arrival, before faults), so tests synchronise on events, not time.
pub(super) async fn admin_wait(State(app): State<App>, Query(q): Query<WaitQuery>) -> Response {
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

pub(super) async fn admin_revoke(State(app): State<App>) -> Response {
    if let Ok(mut t) = app.inner().tokens.lock() {
        t.clear();
    }
    StatusCode::NO_CONTENT.into_response()
}
