//! Drift: how the org moved away from what gcsync last applied. One definition, used by the
//! plan (per change) and by `gcsync drift` (the audit). Pure.
//!
//! Owns: which owned actions need a full read for an audit ([`reads_needed`]), which fields
//! of an owned action changed ([`action_fields`], against the state's field digests), and
//! the audit's findings for actions ([`actions`]) and owned integrations ([`integrations`]:
//! deleted, renamed, enabled state, credential binding, owned credential deleted), and the
//! broken references among owned actions ([`broken_references`]: flows that still consume
//! a deleted action the state owns by id, or an earlier id of an action it owns by name — a
//! replaced one).
//! Must not: read the org, the manifests or files, or print.

use super::LiveSummary;
use super::integrations::LiveIntegrations;
use crate::model::ActionSpec;
use crate::model::digest;
use crate::state::{State, TrackedAction, TrackedIntegration, field_digests};
use serde_json::Value;
use std::collections::BTreeMap;

/// A flow version that still consumes a deleted action gcsync owns or owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenReference {
    /// The action's name in the state.
    pub action: String,
    /// The deleted action's id.
    pub action_id: String,
    /// The flow's id.
    pub flow_id: String,
    /// The flow's name.
    pub flow_name: String,
    /// The flow's type.
    pub flow_type: String,
    /// The flow version that consumes it.
    pub flow_version: Option<String>,
}

/// A flow version that consumes deleted resources, as dependency tracking lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedConsumer {
    /// The flow's id.
    pub flow_id: String,
    /// The flow's name.
    pub flow_name: String,
    /// The flow's type.
    pub flow_type: String,
    /// The flow version.
    pub flow_version: Option<String>,
    /// The deleted resources it consumes: id and, when given, name.
    pub consumed: Vec<(String, Option<String>)>,
}

/// The broken references among owned actions: a consumed deleted resource is owned when the
/// state tracks its id (deleted outside gcsync) or its name under another id (replaced).
/// Sorted by action, flow.
#[must_use]
pub fn broken_references(state: &State, consumers: &[DeletedConsumer]) -> Vec<BrokenReference> {
    let mut out = Vec::new();
    for flow in consumers {
        for (id, name) in &flow.consumed {
            // Owned now, or deleted by gcsync itself (the state's retired ids).
            let owned = state
                .actions
                .iter()
                .find(|(n, t)| t.id == *id || name.as_deref() == Some(n.as_str()))
                .map(|(n, _)| n)
                .or_else(|| state.retired.iter().find(|r| r.id == *id).map(|r| &r.name));
            if let Some(action) = owned {
                out.push(BrokenReference {
                    action: action.clone(),
                    action_id: id.clone(),
                    flow_id: flow.flow_id.clone(),
                    flow_name: flow.flow_name.clone(),
                    flow_type: flow.flow_type.clone(),
                    flow_version: flow.flow_version.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.action, &a.flow_name, &a.flow_id).cmp(&(&b.action, &b.flow_name, &b.flow_id)));
    out.dedup();
    out
}

/// One drifted action or integration.
#[derive(Debug, Clone, PartialEq)]
pub struct Drifted {
    /// Its name in the state.
    pub name: String,
    /// Its id.
    pub id: String,
    /// Deleted outside gcsync.
    pub deleted: bool,
    /// Changed fields with their live values.
    pub fields: Vec<(String, Value)>,
}

/// The fields of an owned action whose live value differs from the last apply.
#[must_use]
pub fn action_fields(tracked: &TrackedAction, live: &ActionSpec) -> Vec<String> {
    let now = field_digests(live);
    tracked.fields.iter().filter(|(k, v)| now.get(k.as_str()) != Some(*v)).map(|(k, _)| k.clone()).collect()
}

/// The owned actions (ids) an audit reads in full: those whose live version moved since the
/// last apply, or every live one with `full`.
#[must_use]
pub fn reads_needed(state: &State, summaries: &[LiveSummary], full: bool) -> Vec<String> {
    let by_id: BTreeMap<&str, i64> = summaries.iter().map(|s| (s.id.as_str(), s.version)).collect();
    state
        .actions
        .values()
        .filter(|t| by_id.get(t.id.as_str()).is_some_and(|v| full || *v != t.version))
        .map(|t| t.id.clone())
        .collect()
}

/// Owned actions that were deleted or changed outside gcsync. `details` holds the full
/// definitions of [`reads_needed`]; an action not read has the version of the last apply.
/// `functions`: the published function settings of the owned function actions read (by
/// id); their request URL and zip id are the platform's and never drift.
#[must_use]
pub fn actions(
    state: &State,
    summaries: &[LiveSummary],
    details: &BTreeMap<String, ActionSpec>,
    functions: &BTreeMap<String, Value>,
) -> Vec<Drifted> {
    let live: std::collections::BTreeSet<&str> = summaries.iter().map(|s| s.id.as_str()).collect();
    let mut out = Vec::new();
    for (name, t) in &state.actions {
        if !live.contains(t.id.as_str()) {
            out.push(Drifted { name: name.clone(), id: t.id.clone(), deleted: true, fields: Vec::new() });
            continue;
        }
        let Some(spec) = details.get(&t.id) else { continue };
        let normalized;
        let spec = if t.function.is_some() {
            normalized = super::function::normalized(spec);
            &normalized
        } else {
            spec
        };
        let values: BTreeMap<&str, Value> = digest::fields(spec).into_iter().collect();
        let mut fields: Vec<(String, Value)> = action_fields(t, spec)
            .into_iter()
            .map(|k| {
                // A field the live definition no longer has is shown as null (absent).
                let v = values.get(k.as_str()).cloned().unwrap_or(Value::Null);
                (k, v)
            })
            .collect();
        if let (Some(tf), Some(live)) = (&t.function, functions.get(&t.id)) {
            for path in super::function::drift(tf, live) {
                let key = path.trim_start_matches("function.");
                // A setting the published function lacks is shown as null (absent).
                fields.push((path.clone(), live.get(key).cloned().unwrap_or(Value::Null)));
            }
        }
        if !fields.is_empty() {
            out.push(Drifted { name: name.clone(), id: t.id.clone(), deleted: false, fields });
        }
    }
    out
}

/// Owned integrations that moved since the last apply: deleted, renamed, enabled state
/// flipped, credential unbound or bound to another one, or the owned credential deleted
/// (`credentials_listed`: `live.credential_ids` holds every credential of the org).
#[must_use]
pub fn integrations(
    owned: &BTreeMap<String, TrackedIntegration>,
    live: &LiveIntegrations,
    credentials_listed: bool,
) -> Vec<Drifted> {
    let mut out = Vec::new();
    for (name, t) in owned {
        let Some(l) = live.integrations.iter().find(|l| l.id == t.id) else {
            out.push(Drifted { name: name.clone(), id: t.id.clone(), deleted: true, fields: Vec::new() });
            continue;
        };
        let mut fields = Vec::new();
        if l.name != *name {
            fields.push(("name".to_string(), Value::String(l.name.clone())));
        }
        if t.enabled.is_some_and(|e| e != l.enabled) {
            fields.push(("enabled".to_string(), Value::Bool(l.enabled)));
        }
        if let Some(tc) = &t.credential {
            if l.credential_id.as_deref() != Some(tc.id.as_str()) {
                fields.push((
                    "credential".to_string(),
                    l.credential_id.clone().map_or(Value::Null, Value::String),
                ));
            } else if credentials_listed && !live.credential_ids.contains(&tc.id) {
                fields.push(("credential".to_string(), Value::String(format!("{} (deleted)", tc.id))));
            }
        }
        if !fields.is_empty() {
            out.push(Drifted { name: name.clone(), id: t.id.clone(), deleted: false, fields });
        }
    }
    out
}
