//! Streaming events (`plan --json-stream`, `apply --json-stream`, or Terraform's spelling
//! `-json`): one JSON object per line in the shape of Terraform's machine-readable UI
//! (`internal/command/views/json`, UI version 1.2).
//!
//! Owns: the envelope (`@level`, `@message`, `@module` `gcsync.ui`, `@timestamp`, `type`)
//! and the message types gcsync emits: `version`, `refresh_start`, `refresh_complete`,
//! `resource_drift`, `planned_change`, `change_summary`, `diagnostic`, `apply_start`,
//! `apply_progress`, `apply_complete`, `apply_errored`, with Terraform's `@message`
//! wordings (`<addr>: Plan to create`, `<addr>: Creating...`, `<addr>: Creation complete
//! after 1s [id=…]`, `Plan: 1 to add, 0 to change, 0 to destroy.`, ...).
//! Must not: read the clock (the caller passes the timestamp), print, or know the plan's
//! internal types (see `view`).

use super::view::{ChangeKind, Counts, Drift, Resource, ResourceType};
use serde_json::{Map, Value, json};

/// The UI message format version (Terraform's `ui` field).
pub const UI_VERSION: &str = "1.2";

/// `plan` or `apply` (`change_summary.operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// A plan.
    Plan,
    /// An apply.
    Apply,
}

fn envelope(level: &str, message: String, kind: &str, timestamp: &str, body: Value) -> Value {
    let mut m = Map::new();
    m.insert("@level".into(), json!(level));
    m.insert("@message".into(), json!(message));
    m.insert("@module".into(), json!("gcsync.ui"));
    m.insert("@timestamp".into(), json!(timestamp));
    if let Value::Object(b) = body {
        m.extend(b);
    }
    m.insert("type".into(), json!(kind));
    Value::Object(m)
}

/// Terraform's resource address object.
#[must_use]
pub fn resource_addr(rtype: ResourceType, name: &str) -> Value {
    let addr = format!("{}.{name}", rtype.name());
    json!({
        "addr": addr,
        "module": "",
        "resource": addr,
        "implied_provider": "gcsync",
        "resource_type": rtype.name(),
        "resource_name": name,
        "resource_key": null,
    })
}

/// `version`: the first line of every stream.
#[must_use]
pub fn version(timestamp: &str) -> Value {
    let v = env!("CARGO_PKG_VERSION");
    envelope("info", format!("gcsync {v}"), "version", timestamp, json!({"gcsync": v, "ui": UI_VERSION}))
}

fn id_part(id: Option<&str>) -> String {
    // An optional part of a display line: absent, nothing is shown.
    id.map(|i| format!(" [id={i}]")).unwrap_or_default()
}

fn id_fields(hook: &mut Map<String, Value>, id: Option<&str>) {
    if let Some(id) = id {
        hook.insert("id_key".into(), json!("id"));
        hook.insert("id_value".into(), json!(id));
    }
}

/// `refresh_start` for an object the state tracks.
#[must_use]
pub fn refresh_start(rtype: ResourceType, name: &str, id: &str, timestamp: &str) -> Value {
    let addr = format!("{}.{name}", rtype.name());
    let mut hook = Map::new();
    hook.insert("resource".into(), resource_addr(rtype, name));
    id_fields(&mut hook, Some(id));
    envelope(
        "info",
        format!("{addr}: Refreshing state...{}", id_part(Some(id))),
        "refresh_start",
        timestamp,
        json!({"hook": hook}),
    )
}

/// `refresh_complete`.
#[must_use]
pub fn refresh_complete(rtype: ResourceType, name: &str, id: &str, timestamp: &str) -> Value {
    let addr = format!("{}.{name}", rtype.name());
    let mut hook = Map::new();
    hook.insert("resource".into(), resource_addr(rtype, name));
    id_fields(&mut hook, Some(id));
    envelope(
        "info",
        format!("{addr}: Refresh complete{}", id_part(Some(id))),
        "refresh_complete",
        timestamp,
        json!({"hook": hook}),
    )
}

/// The streaming `action` of a planned resource: a rename without other change is a
/// `move`, an adoption without other change an `import` (Terraform's precedence).
fn planned_action(r: &Resource) -> &'static str {
    match r.kind {
        ChangeKind::NoOp if r.previous_name.is_some() => "move",
        ChangeKind::NoOp if r.importing => "import",
        k => k.ui_action(),
    }
}

/// `planned_change` (only for resources that change something).
#[must_use]
pub fn planned_change(r: &Resource, timestamp: &str) -> Value {
    let action = planned_action(r);
    let mut change = Map::new();
    change.insert("resource".into(), resource_addr(r.rtype, &r.name));
    if let Some(prev) = &r.previous_name {
        change.insert("previous_resource".into(), resource_addr(r.rtype, prev));
    }
    change.insert("action".into(), json!(action));
    match r.kind {
        ChangeKind::Replace => {
            change.insert("reason".into(), json!("cannot_update"));
        }
        ChangeKind::Delete => {
            change.insert("reason".into(), json!("delete_because_no_resource_config"));
        }
        _ => {}
    }
    if r.importing {
        change.insert("importing".into(), json!({"id": r.id}));
    }
    envelope(
        "info",
        format!("{}: Plan to {action}", r.address()),
        "planned_change",
        timestamp,
        json!({"change": change}),
    )
}

/// `resource_drift`, for a resource changed or deleted outside gcsync.
#[must_use]
pub fn resource_drift(r: &Resource, timestamp: &str) -> Option<Value> {
    let action = match r.drift.as_ref()? {
        Drift::Deleted => "delete",
        Drift::Changed(_) => "update",
    };
    Some(envelope(
        "info",
        format!("{}: Drift detected ({action})", r.address()),
        "resource_drift",
        timestamp,
        json!({"change": {"resource": resource_addr(r.rtype, &r.name), "action": action}}),
    ))
}

/// Terraform's summary sentence of a plan (`Plan: …`) or an apply (`Apply complete! …`).
#[must_use]
pub fn summary_sentence(n: Counts, op: Operation) -> String {
    let import = |verb: &str| if n.import > 0 { format!("{} {verb}, ", n.import) } else { String::new() };
    match op {
        Operation::Plan => format!(
            "Plan: {}{} to add, {} to change, {} to destroy.",
            import("to import"),
            n.add,
            n.change,
            n.destroy
        ),
        Operation::Apply => format!(
            "Apply complete! Resources: {}{} added, {} changed, {} destroyed.",
            import("imported"),
            n.add,
            n.change,
            n.destroy
        ),
    }
}

/// `change_summary` (`changes`: `add`, `change`, `import`, `remove`, `operation`).
#[must_use]
pub fn change_summary(n: Counts, op: Operation, timestamp: &str) -> Value {
    let operation = match op {
        Operation::Plan => "plan",
        Operation::Apply => "apply",
    };
    envelope(
        "info",
        summary_sentence(n, op),
        "change_summary",
        timestamp,
        json!({"changes": {
            "add": n.add,
            "change": n.change,
            "import": n.import,
            "remove": n.destroy,
            "operation": operation,
        }}),
    )
}

/// Severity of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// `error`.
    Error,
    /// `warning`.
    Warning,
}

/// `diagnostic`: `summary` is gcsync's message, `detail` its hint; `address` names the
/// resource when the problem is about one.
#[must_use]
pub fn diagnostic(
    severity: Severity,
    summary: &str,
    detail: Option<&str>,
    address: Option<&str>,
    timestamp: &str,
) -> Value {
    let (level, word, label) = match severity {
        Severity::Error => ("error", "error", "Error"),
        Severity::Warning => ("warn", "warning", "Warning"),
    };
    let mut d = Map::new();
    d.insert("severity".into(), json!(word));
    d.insert("summary".into(), json!(summary));
    // No detail: the field is empty, as Terraform's events write it.
    d.insert("detail".into(), json!(detail.unwrap_or_default()));
    if let Some(a) = address {
        d.insert("address".into(), json!(a));
    }
    envelope(level, format!("{label}: {summary}"), "diagnostic", timestamp, json!({"diagnostic": d}))
}

fn start_verb(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Create => "Creating",
        ChangeKind::Update => "Modifying",
        ChangeKind::Delete => "Destroying",
        ChangeKind::Replace => "Replacing",
        ChangeKind::Forget => "Removing",
        ChangeKind::NoOp => "Applying",
    }
}

fn noun(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Create => "Creation",
        ChangeKind::Update => "Modifications",
        ChangeKind::Delete => "Destruction",
        ChangeKind::Replace => "Replacement",
        ChangeKind::Forget => "Removal",
        ChangeKind::NoOp => "Apply",
    }
}

/// An elapsed time as Go prints a duration rounded to seconds (`0s`, `12s`, `1m4s`,
/// `1h0m3s`), as Terraform's messages do.
#[must_use]
pub fn go_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// One apply step, for the hook events.
#[derive(Debug, Clone)]
pub struct Hook<'a> {
    /// Type.
    pub rtype: ResourceType,
    /// Name.
    pub name: &'a str,
    /// What the step does.
    pub kind: ChangeKind,
    /// The object's id, when known.
    pub id: Option<&'a str>,
}

impl Hook<'_> {
    fn body(&self, action: Option<&str>) -> Map<String, Value> {
        let mut hook = Map::new();
        hook.insert("resource".into(), resource_addr(self.rtype, self.name));
        hook.insert("action".into(), json!(action.unwrap_or(self.kind.ui_action())));
        hook
    }
    fn addr(&self) -> String {
        format!("{}.{}", self.rtype.name(), self.name)
    }
}

/// `apply_start`.
#[must_use]
pub fn apply_start(h: &Hook<'_>, timestamp: &str) -> Value {
    let mut hook = h.body(None);
    id_fields(&mut hook, h.id);
    envelope(
        "info",
        format!("{}: {}...{}", h.addr(), start_verb(h.kind), id_part(h.id)),
        "apply_start",
        timestamp,
        json!({"hook": hook}),
    )
}

/// `apply_progress` (every 10 s while a step runs).
#[must_use]
pub fn apply_progress(h: &Hook<'_>, elapsed_seconds: u64, timestamp: &str) -> Value {
    let mut hook = h.body(None);
    hook.insert("elapsed_seconds".into(), json!(elapsed_seconds));
    envelope(
        "info",
        format!(
            "{}: Still {}... [{} elapsed]",
            h.addr(),
            start_verb(h.kind).to_lowercase(),
            go_duration(elapsed_seconds)
        ),
        "apply_progress",
        timestamp,
        json!({"hook": hook}),
    )
}

/// `apply_complete`; `id` is the object's id after the step (a new one for a create).
#[must_use]
pub fn apply_complete(h: &Hook<'_>, elapsed_seconds: u64, timestamp: &str) -> Value {
    let mut hook = h.body(None);
    id_fields(&mut hook, h.id);
    hook.insert("elapsed_seconds".into(), json!(elapsed_seconds));
    envelope(
        "info",
        format!(
            "{}: {} complete after {}{}",
            h.addr(),
            noun(h.kind),
            go_duration(elapsed_seconds),
            id_part(h.id)
        ),
        "apply_complete",
        timestamp,
        json!({"hook": hook}),
    )
}

/// `apply_errored` (a `diagnostic` follows with the error).
#[must_use]
pub fn apply_errored(h: &Hook<'_>, elapsed_seconds: u64, timestamp: &str) -> Value {
    let mut hook = h.body(None);
    hook.insert("elapsed_seconds".into(), json!(elapsed_seconds));
    envelope(
        "error",
        format!("{}: {} errored after {}", h.addr(), noun(h.kind), go_duration(elapsed_seconds)),
        "apply_errored",
        timestamp,
        json!({"hook": hook}),
    )
}

/// Every event of a finished plan, in Terraform's order: drift, planned changes, the
/// plan's errors as diagnostics, then the summary (only for a plan without errors).
#[must_use]
pub fn plan_events(view: &super::view::PlanView, timestamp: &str) -> Vec<Value> {
    let mut out: Vec<Value> = view.resources.iter().filter_map(|r| resource_drift(r, timestamp)).collect();
    out.extend(
        view.resources
            .iter()
            .filter(|r| r.kind != ChangeKind::NoOp || r.importing || r.previous_name.is_some())
            .map(|r| planned_change(r, timestamp)),
    );
    for e in &view.errors {
        let addr = view.resources.iter().find(|r| r.name == e.name).map(Resource::address);
        out.push(diagnostic(Severity::Error, &e.message, e.hint.as_deref(), addr.as_deref(), timestamp));
    }
    if view.errors.is_empty() {
        out.push(change_summary(view.counts(), Operation::Plan, timestamp));
    }
    out
}
