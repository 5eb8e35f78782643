//! Emulator routes: listing published actions and drafts, categories (paging envelopes).
//!
//! Owns: these handlers only; shared parsing, errors and auth live in `routes/mod.rs`.
//! Must not: implement fault injection or use gcsync's client.

#![allow(clippy::result_large_err)]

use super::*;

pub(super) fn list_actions(
    app: &App,
    q: &ListQuery,
    raw: &HashMap<String, String>,
    drafts: bool,
) -> Response {
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

pub(super) async fn list_published(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    list_actions(&app, &q, &raw, false)
}

pub(super) async fn list_drafts(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
    Query(raw): Query<HashMap<String, String>>,
) -> Response {
    list_actions(&app, &q, &raw, true)
}

pub(super) async fn categories(
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
