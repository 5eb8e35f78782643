//! `gcsync show -json PLANFILE`: the plan in the shape of `terraform show -json` (plan
//! format "1.2", `internal/command/jsonplan`), so filters written for Terraform — GitLab's
//! report recipe, conftest/OPA policies, plan summarizers — read gcsync plans unchanged.
//!
//! Owns: `format_version`, `resource_changes[]` (`address` `gcsync_data_action.<name>` /
//! `gcsync_integration.<name>`, `previous_address`, `mode`, `type`, `name`,
//! `provider_name`, `change` {`actions` as Terraform spells them, `before`, `after`,
//! `after_unknown`, `before_sensitive`, `after_sensitive`, `replace_paths`, `importing`},
//! `action_reason`), `resource_drift[]`, `relevant_attributes[]`, `applyable`, `complete`,
//! `errored`. Not produced: `planned_values`, `prior_state`, `configuration`, `variables`,
//! `output_changes` (gcsync has no HCL configuration or outputs).
//! Must not: know the plan's internal types (see `view`) or carry secrets (plans hold
//! none; credentials appear as `{"env": VAR}`).

use super::view::{ChangeKind, Drift, PlanView, Resource};
use serde_json::{Value, json};

/// Terraform's plan JSON format version this document follows.
pub const FORMAT_VERSION: &str = "1.2";

/// The document. `complete`: false for a plan made with `--target` (Terraform's meaning:
/// not every resource was planned).
#[must_use]
pub fn document(view: &PlanView, complete: bool) -> Value {
    let changes: Vec<Value> = view.resources.iter().map(resource_change).collect();
    let drift: Vec<Value> = view.resources.iter().filter_map(resource_drift).collect();
    let relevant: Vec<Value> = view
        .resources
        .iter()
        .filter_map(|r| match &r.drift {
            Some(Drift::Changed(paths)) => {
                Some(paths.iter().map(move |p| json!({"resource": r.address(), "attribute": path_steps(p)})))
            }
            _ => None,
        })
        .flatten()
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "gcsync_version": env!("CARGO_PKG_VERSION"),
        "resource_drift": drift,
        "resource_changes": changes,
        "relevant_attributes": relevant,
        "applyable": view.errors.is_empty() && view.changes_present,
        "complete": complete,
        "errored": !view.errors.is_empty(),
    })
}

fn path_steps(path: &str) -> Value {
    Value::Array(path.split('.').map(|s| Value::String(s.to_string())).collect())
}

fn identity(r: &Resource, change: Value) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("address".into(), json!(r.address()));
    if let Some(prev) = r.previous_address() {
        m.insert("previous_address".into(), json!(prev));
    }
    m.insert("mode".into(), json!("managed"));
    m.insert("type".into(), json!(r.rtype.name()));
    m.insert("name".into(), json!(r.name));
    m.insert("provider_name".into(), json!("gcsync"));
    m.insert("change".into(), change);
    m
}

fn sensitive(v: &Option<Value>) -> Value {
    if v.is_some() { json!({}) } else { json!(false) }
}

fn resource_change(r: &Resource) -> Value {
    let mut change = serde_json::Map::new();
    change.insert("actions".into(), json!(r.kind.terraform_actions()));
    // Terraform's plan JSON writes null for the side a create or delete does not have.
    change.insert("before".into(), r.before.clone().unwrap_or(Value::Null));
    // Terraform's plan JSON writes null for the side a create or delete does not have.
    change.insert("after".into(), r.after.clone().unwrap_or(Value::Null));
    // A new object's id is known only after apply.
    let unknown = if matches!(r.kind, ChangeKind::Create | ChangeKind::Replace) {
        json!({"id": true})
    } else if r.after.is_some() {
        json!({})
    } else {
        json!(false)
    };
    change.insert("after_unknown".into(), unknown);
    change.insert("before_sensitive".into(), sensitive(&r.before));
    change.insert("after_sensitive".into(), sensitive(&r.after));
    if !r.replace_paths.is_empty() {
        change.insert(
            "replace_paths".into(),
            Value::Array(r.replace_paths.iter().map(|p| path_steps(p)).collect()),
        );
    }
    if r.importing {
        change.insert("importing".into(), json!({"id": r.id}));
    }
    let mut m = identity(r, Value::Object(change));
    let reason = match r.kind {
        ChangeKind::Replace => Some("replace_because_cannot_update"),
        ChangeKind::Delete => Some("delete_because_no_resource_config"),
        _ => None,
    };
    if let Some(reason) = reason {
        m.insert("action_reason".into(), json!(reason));
    }
    Value::Object(m)
}

/// What changed outside gcsync. `before` is null: the state keeps digests of what was
/// applied, not the values; `after` is the object as the org shows it now.
fn resource_drift(r: &Resource) -> Option<Value> {
    let change = match r.drift.as_ref()? {
        Drift::Deleted => json!({
            "actions": ["delete"],
            "before": {"id": null, "name": r.name, "integration": r.integration},
            "after": null,
        }),
        Drift::Changed(_) => json!({
            "actions": ["update"],
            "before": null,
            "after": r.before,
        }),
    };
    Some(Value::Object(identity(r, change)))
}
