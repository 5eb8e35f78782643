//! Emulator routes: `GET /api/v2/organizations/me`.
//!
//! Owns: these handlers only; shared parsing, errors and auth live in `routes/mod.rs`.
//! Must not: implement fault injection or use gcsync's client.

#![allow(clippy::result_large_err)]

use super::*;

pub(super) async fn org_me(State(app): State<App>) -> Response {
    match with_org(&app, |o| {
        (json!({"id": o.org_id, "name": o.org_name, "selfUri": "/api/v2/organizations/me"}), false)
    }) {
        Ok(v) => ok_json(&v),
        Err(r) => r,
    }
}
