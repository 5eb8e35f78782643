//! Emulator routes: reading an action or draft, its templates and schemas.
//!
//! Owns: these handlers only; shared parsing, errors and auth live in `routes/mod.rs`.
//! Must not: implement fault injection or use gcsync's client.

#![allow(clippy::result_large_err)]

use super::*;

pub(super) fn view_of(q: &ListQuery, draft: bool) -> View {
    View { contract: q.expand_contract(), config: q.include_config(), draft }
}

pub(super) fn read(
    app: &App,
    id: &str,
    draft: bool,
    f: impl FnOnce(&ActionRec, &ActionBody) -> Response,
) -> Response {
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

pub(super) async fn get_published(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    read(&app, &id, false, |rec, b| ok_json(&action_json(rec, b, view_of(&q, false))))
}

pub(super) async fn get_draft(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Response {
    read(&app, &id, true, |rec, b| ok_json(&action_json(rec, b, view_of(&q, true))))
}

pub(super) fn template(b: &ActionBody, file: &str) -> Response {
    let text = match file {
        "requesttemplate.vm" => b.config.request.request_template.clone(),
        "successtemplate.vm" => b.config.response.success_template.clone(),
        _ => return not_found("Template"),
    };
    // No template: Genesys answers the empty text.
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")], text.unwrap_or_default())
        .into_response()
}

pub(super) fn schema(b: &ActionBody, file: &str) -> Response {
    let s = match file {
        "inputschema.json" => b.contract.input.input_schema.clone(),
        "successschema.json" => b.contract.output.success_schema.clone(),
        _ => return not_found("Schema"),
    };
    // No schema: Genesys answers null.
    ok_json(&s.unwrap_or(Value::Null))
}

/// A template or schema file of the published action or its draft.
pub(super) async fn action_file(
    app: App,
    id: String,
    file: String,
    draft: bool,
    render: fn(&ActionBody, &str) -> Response,
) -> Response {
    read(&app, &id, draft, |_, b| render(b, &file))
}
