//! Emulator routes: `/test` and `/execute` through gcsync's runtime (`crate::exec`).
//!
//! Owns: these handlers only; shared parsing, errors and auth live in `routes/mod.rs`.
//! Must not: implement fault injection or use gcsync's client.

#![allow(clippy::result_large_err)]

use super::*;

#[derive(Debug, Deserialize, Default)]
pub(super) struct RunQuery {
    flatten: Option<String>,
}

/// What a run needs from the org, copied out under the lock.
pub(in crate::emulator) struct RunSnapshot {
    pub(in crate::emulator) spec: crate::model::ActionSpec,
    pub(in crate::emulator) credentials: crate::exec::Credentials,
    pub(in crate::emulator) env: crate::exec::ExecEnv,
}

pub(in crate::emulator) fn run_snapshot(app: &App, id: &str, draft: bool) -> Result<RunSnapshot, Response> {
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
pub(super) async fn run_action(
    app: App,
    id: String,
    q: RunQuery,
    body: Bytes,
    draft: bool,
    execute: bool,
) -> Response {
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

pub(super) async fn test_published(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<RunQuery>,
    body: Bytes,
) -> Response {
    run_action(app, id, q, body, false, false).await
}

pub(super) async fn test_draft(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<RunQuery>,
    body: Bytes,
) -> Response {
    run_action(app, id, q, body, true, false).await
}

pub(super) async fn execute_published(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<RunQuery>,
    body: Bytes,
) -> Response {
    run_action(app, id, q, body, false, true).await
}
