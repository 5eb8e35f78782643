//! The local org's demo user-profile API: what `FetchUserProfile` calls when its
//! `apiEndpoint` is the default `https://profiles.gcsync.test/users` (the runtime routes
//! `*.gcsync.test` to the local org's `/demo/` tree).
//!
//! Owns: `GET /demo/users/{id}` (ids 1–20: `id`, `name`, `email`, `title`, `company: {name,
//! department}`; users 4, 9, 14 and 19 have no company; any other id → 404 JSON error) and
//! `GET /demo/users` (all of them). The data is generated here (fictional names, `.example`
//! mail domains, RFC 2606) and never changes.
//! `GET /demo/secure/users/{id}` serves the same profiles behind Basic authentication (for
//! the credential example).
//! Must not: require a Genesys token (the demo API stands for a web service, not Genesys).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const FIRST: [&str; 20] = [
    "Ada", "Bruno", "Chiara", "Dmitri", "Esme", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kira", "Luca",
    "Mei", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sami", "Tess",
];
const LAST: [&str; 20] = [
    "Quill",
    "Castell",
    "Venn",
    "Sola",
    "Okafor",
    "Lund",
    "Holm",
    "Tanabe",
    "Marlow",
    "Brand",
    "Dalton",
    "Ferro",
    "Lindqvist",
    "Osei",
    "Pike",
    "Rao",
    "Vale",
    "Ibarra",
    "Korhonen",
    "Wilder",
];
const COMPANIES: [(&str, &str); 4] = [
    ("Northwind Cables", "northwind-cables"),
    ("Bluefin Logistics", "bluefin-logistics"),
    ("Copperleaf Health", "copperleaf-health"),
    ("Driftwood Studios", "driftwood-studios"),
];
const TITLES: [&str; 5] = ["Engineer", "Analyst", "Team Lead", "Designer", "Account Manager"];
const DEPARTMENTS: [&str; 3] = ["Operations", "Sales", "Research"];

/// Number of demo users (ids `1..=USERS`).
pub const USERS: usize = 20;

/// The profile of user `id`, if it exists.
#[must_use]
pub fn user(id: &str) -> Option<Value> {
    let n: usize = id.parse().ok().filter(|n| (1..=USERS).contains(n))?;
    if id.starts_with('0') || id.starts_with('+') {
        return None;
    }
    let i = n - 1;
    let (first, last) = (FIRST.get(i)?, LAST.get(i)?);
    let mut v = json!({
        "id": id,
        "name": format!("{first} {last}"),
        "title": TITLES.get(i % TITLES.len()).copied().unwrap_or("Engineer"),
    });
    let has_company = n % 5 != 4;
    let domain = if has_company {
        let (company, slug) = COMPANIES.get(i % COMPANIES.len()).copied().unwrap_or(("", "profiles"));
        if let Some(m) = v.as_object_mut() {
            m.insert(
                "company".into(),
                json!({"name": company, "department": DEPARTMENTS.get(i % DEPARTMENTS.len()).copied().unwrap_or("")}),
            );
        }
        slug
    } else {
        "freelance"
    };
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "email".into(),
            json!(format!("{}.{}@{domain}.example", first.to_ascii_lowercase(), last.to_ascii_lowercase())),
        );
    }
    Some(v)
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

/// `GET /demo/users/{id}`.
pub(super) async fn get_user(Path(id): Path<String>) -> Response {
    match user(&id) {
        Some(u) => json_response(StatusCode::OK, &u),
        None => json_response(
            StatusCode::NOT_FOUND,
            &json!({"message": format!("No user with id '{id}'"), "code": "not.found", "status": 404}),
        ),
    }
}

/// `GET /demo/secure/users/{id}`: the same profiles behind Basic authentication (any
/// non-empty user name is accepted; the point is that the integration's credential is
/// applied). Without it: 401, as a protected web service answers.
pub(super) async fn get_secure_user(headers: axum::http::HeaderMap, Path(id): Path<String>) -> Response {
    use base64::Engine as _;
    let user = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(u, _)| u.to_string()))
        .filter(|u| !u.is_empty());
    if user.is_none() {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"message": "Basic authentication required", "code": "unauthorized", "status": 401}),
        );
    }
    get_user(Path(id)).await
}

/// `GET /demo/users`.
pub(super) async fn list_users() -> Response {
    let all: Vec<Value> = (1..=USERS).filter_map(|n| user(&n.to_string())).collect();
    json_response(StatusCode::OK, &json!({"entities": all, "total": USERS}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_stable_and_some_have_no_company() {
        let u1 = user("1").unwrap();
        assert_eq!(u1["name"], "Ada Quill");
        assert_eq!(u1["company"]["name"], "Northwind Cables");
        assert_eq!(u1["email"], "ada.quill@northwind-cables.example");
        let u4 = user("4").unwrap();
        assert!(u4.get("company").is_none());
        assert_eq!(u4["email"], "dmitri.sola@freelance.example");
        for bad in ["0", "21", "01", "x", "", "-1", "+1"] {
            assert!(user(bad).is_none(), "{bad}");
        }
        assert_eq!(
            (1..=USERS).filter(|n| user(&n.to_string()).is_some_and(|u| u.get("company").is_none())).count(),
            4
        );
    }
}
