//! The neutral view of a plan that every CI format renders.
//!
//! Owns: the ONLY code in `formats` that knows gcsync's plan representation (`Plan`,
//! `Change`, `Action`, `Op`, `moved_from`, `desired`, `IntegrationChange` with its `adopt` and `gone`, the
//! state's tracked entries): [`change_kind`] and [`integration_kind`] map a planned change
//! to a [`ChangeKind`] (whose [`ChangeKind::terraform_actions`] are Terraform's
//! `change.actions`), and [`of_plan`] turns a whole plan into [`Resource`]s with
//! addresses, field changes, drift and before/after attribute objects. When the plan's
//! types change, this file is the one to re-point. Also the text helpers the renderers
//! share (value text, line diffs).
//! Must not: render a format, decide anything, or carry a secret value (plans hold none:
//! credentials appear as environment variable names only).

use crate::model::digest;
use crate::plan::integrations::IntegrationChange;
use crate::plan::{Change, Op, Plan};
use crate::state::State;
use serde_json::{Map, Value, json};
use similar::{ChangeTag, TextDiff};

/// Terraform resource type of a data action.
pub const ACTION_TYPE: &str = "gcsync_data_action";
/// Terraform resource type of an integration.
pub const INTEGRATION_TYPE: &str = "gcsync_integration";

/// What kind of object a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceType {
    /// An integration (with its credential).
    Integration,
    /// A data action.
    DataAction,
}

impl ResourceType {
    /// The Terraform-style type name (`gcsync_data_action`, `gcsync_integration`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Integration => INTEGRATION_TYPE,
            Self::DataAction => ACTION_TYPE,
        }
    }

    /// The type of an apply step (`apply::Step::kind`: `integration` or `action`).
    #[must_use]
    pub fn of_step(kind: &str) -> Self {
        if kind == "integration" { Self::Integration } else { Self::DataAction }
    }
}

/// What happens to one resource, in Terraform's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// Delete, then create (a new id).
    Replace,
    /// Delete from the org.
    Delete,
    /// Create.
    Create,
    /// Update in place.
    Update,
    /// Remove from the state only: the object is already gone from the org.
    Forget,
    /// Nothing changes in the org.
    NoOp,
}

impl ChangeKind {
    /// Terraform's `change.actions` array.
    #[must_use]
    pub fn terraform_actions(self) -> &'static [&'static str] {
        match self {
            Self::Create => &["create"],
            Self::Update => &["update"],
            Self::Replace => &["delete", "create"],
            Self::Delete => &["delete"],
            Self::Forget => &["forget"],
            Self::NoOp => &["no-op"],
        }
    }

    /// The streaming UI's single `action` word (`views/json/change.go`).
    #[must_use]
    pub fn ui_action(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Replace => "replace",
            Self::Delete => "delete",
            Self::Forget => "remove",
            Self::NoOp => "noop",
        }
    }

    /// gcsync's plan symbol.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Create => "+",
            Self::Update => "~",
            Self::Replace => "-/+",
            Self::Delete => "-",
            Self::Forget => ".",
            Self::NoOp => " ",
        }
    }
}

/// The ONE mapping of a planned action change to a [`ChangeKind`].
#[must_use]
pub fn change_kind(c: &Change) -> ChangeKind {
    op_kind(c.op(), c.gone())
}

/// The same mapping for an integration change.
#[must_use]
pub fn integration_kind(c: &IntegrationChange) -> ChangeKind {
    op_kind(c.op(), c.gone())
}

fn op_kind(op: Op, gone: bool) -> ChangeKind {
    match op {
        Op::Create => ChangeKind::Create,
        Op::Update => ChangeKind::Update,
        Op::Replace => ChangeKind::Replace,
        Op::Delete if gone => ChangeKind::Forget,
        Op::Delete => ChangeKind::Delete,
        Op::NoOp => ChangeKind::NoOp,
    }
}

/// What changed in the org outside gcsync since the last apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The object was deleted by hand.
    Deleted,
    /// These fields changed.
    Changed(Vec<String>),
}

/// One changed field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Path (`config.timeoutSeconds`, `contract.output`, `enabled`, ...).
    pub path: String,
    /// Value before (null for a create).
    pub before: Value,
    /// Value after (null for a delete).
    pub after: Value,
}

/// One resource of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Integration or data action.
    pub rtype: ResourceType,
    /// The manifest name.
    pub name: String,
    /// What happens.
    pub kind: ChangeKind,
    /// The existing object's id.
    pub id: Option<String>,
    /// The previous name of a renamed resource (`renamedFrom`).
    pub previous_name: Option<String>,
    /// An object an interrupted earlier apply created is adopted (Terraform's `importing`).
    pub importing: bool,
    /// The integration of a data action (by name).
    pub integration: Option<String>,
    /// Why (gcsync's sentences: replacement warnings, drift, hints, the flows using it).
    pub reasons: Vec<String>,
    /// The field diff (for a create, every field with a null `before`).
    pub fields: Vec<Field>,
    /// Fields that force the replacement.
    pub replace_paths: Vec<String>,
    /// Drift seen by the refresh.
    pub drift: Option<Drift>,
    /// The object before (null for a create), as far as the plan knows it.
    pub before: Option<Value>,
    /// The object after (null for a delete or forget).
    pub after: Option<Value>,
    /// Credential fields whose value changed in the environment (values never shown).
    pub rotated: Vec<String>,
    /// gcsync's human plan lists it (a change, an adoption or drift).
    pub shown: bool,
}

impl Resource {
    /// `gcsync_data_action.<name>` / `gcsync_integration.<name>`.
    #[must_use]
    pub fn address(&self) -> String {
        format!("{}.{}", self.rtype.name(), self.name)
    }

    /// The previous address of a renamed resource.
    #[must_use]
    pub fn previous_address(&self) -> Option<String> {
        self.previous_name.as_ref().map(|p| format!("{}.{p}", self.rtype.name()))
    }
}

/// A problem that makes the plan not applyable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Name concerned.
    pub name: String,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

/// Counts as Terraform counts them: a replace is one add and one destroy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Creates and replaces.
    pub add: usize,
    /// Updates in place.
    pub change: usize,
    /// Deletes and replaces.
    pub destroy: usize,
    /// Adoptions (`importing`).
    pub import: usize,
    /// State entries removed for objects already gone.
    pub forget: usize,
}

/// A whole plan, neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanView {
    /// Every resource (no-ops included): integrations first, then actions, each by name.
    pub resources: Vec<Resource>,
    /// Plan errors.
    pub errors: Vec<Problem>,
    /// Whether apply would change the org or the state's record of it (gcsync's notion,
    /// the one `--detailed-exitcode` uses).
    pub changes_present: bool,
}

impl PlanView {
    /// Terraform's counts.
    #[must_use]
    pub fn counts(&self) -> Counts {
        let mut n = Counts::default();
        for r in &self.resources {
            match r.kind {
                ChangeKind::Create => n.add += 1,
                ChangeKind::Update => n.change += 1,
                ChangeKind::Replace => {
                    n.add += 1;
                    n.destroy += 1;
                }
                ChangeKind::Delete => n.destroy += 1,
                ChangeKind::Forget => n.forget += 1,
                ChangeKind::NoOp => {}
            }
            if r.importing {
                n.import += 1;
            }
        }
        n
    }

    /// The resource of an apply step.
    #[must_use]
    pub fn find(&self, rtype: ResourceType, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.rtype == rtype && r.name == name)
    }

    /// The resources gcsync's human plan lists, replaced and deleted first (the changes a
    /// reviewer must not miss), then creates, updates and the rest; by type and name within.
    #[must_use]
    pub fn shown_by_severity(&self) -> Vec<&Resource> {
        let mut v: Vec<&Resource> = self.resources.iter().filter(|r| r.shown).collect();
        v.sort_by(|a, b| (a.kind, a.rtype, &a.name).cmp(&(b.kind, b.rtype, &b.name)));
        v
    }
}

/// The neutral view of a plan.
#[must_use]
pub fn of_plan(plan: &Plan) -> PlanView {
    let mut resources: Vec<Resource> = plan.integrations.iter().map(integration).collect();
    resources.extend(plan.changes.iter().map(action));
    let errors = plan
        .errors
        .iter()
        .map(|e| Problem { name: e.name.clone(), message: e.message.clone(), hint: e.hint.clone() })
        .collect();
    PlanView { resources, errors, changes_present: plan.has_changes() }
}

/// Where a plan was made (for headers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// Org name (may be empty).
    pub org_name: String,
    /// Org id.
    pub org_id: String,
    /// API host.
    pub api_host: String,
    /// Environment (`--env`).
    pub environment: Option<String>,
    /// State file path.
    pub state_path: String,
}

/// The origin of a plan, from the human renderer's context.
#[must_use]
pub fn origin(ctx: &crate::plan::render::Context) -> Origin {
    Origin {
        org_name: ctx.org_name.clone(),
        org_id: ctx.org_id.clone(),
        api_host: ctx.api_host.clone(),
        environment: ctx.environment.clone(),
        state_path: ctx.state_path.clone(),
    }
}

/// (type, name, id) of every object the state tracks, for the refresh events; with
/// `targets`, only those names.
#[must_use]
pub fn refresh_targets(state: &State, targets: &[String]) -> Vec<(ResourceType, String, String)> {
    let wanted = |n: &str| targets.is_empty() || targets.iter().any(|t| t == n);
    let mut out: Vec<(ResourceType, String, String)> = state
        .integrations
        .iter()
        .filter(|(n, _)| wanted(n))
        .map(|(n, t)| (ResourceType::Integration, n.clone(), t.id.clone()))
        .collect();
    out.extend(
        state
            .actions
            .iter()
            .filter(|(n, _)| wanted(n))
            .map(|(n, t)| (ResourceType::DataAction, n.clone(), t.id.clone())),
    );
    out
}

fn action(c: &Change) -> Resource {
    let kind = change_kind(c);
    let shown = c.op() != Op::NoOp || !c.drift.is_empty() || c.adopt();
    // The desired definition as flat field paths (the integration by name; a function
    // action's settings and code hash).
    let desired = crate::plan::desired_fields(c);
    let identity = |id: &Option<String>| json!({"id": id, "name": c.name, "integration": c.integration});
    let fields: Vec<Field> = match (kind, &desired) {
        (ChangeKind::Create, Some(d)) => d
            .iter()
            .filter(|(p, _)| p != "name")
            .map(|(p, v)| Field { path: p.clone(), before: Value::Null, after: v.clone() })
            .collect(),
        _ => c
            .fields
            .iter()
            .map(|f| Field { path: f.path.clone(), before: f.before.clone(), after: f.after.clone() })
            .collect(),
    };
    let (before, after) = match (kind, &desired) {
        (ChangeKind::Create, Some(d)) => (None, Some(nest(d, None))),
        (ChangeKind::Create, None) => (None, Some(identity(&None))),
        (ChangeKind::Delete | ChangeKind::Forget, _) => (Some(identity(&c.id)), None),
        (_, Some(d)) => {
            let mut old = d.clone();
            for f in &c.fields {
                if let Some(slot) = old.iter_mut().find(|(p, _)| *p == f.path) {
                    slot.1 = f.before.clone();
                }
            }
            // The name before a rename.
            if let Some(prev) = &c.moved_from
                && !c.fields.iter().any(|f| f.path == "name")
                && let Some(slot) = old.iter_mut().find(|(p, _)| p == "name")
            {
                slot.1 = Value::String(prev.clone());
            }
            (Some(nest(&old, c.id.as_ref())), Some(nest(d, c.id.as_ref())))
        }
        (_, None) => (Some(identity(&c.id)), Some(identity(&c.id))),
    };
    let replace_paths = if kind == ChangeKind::Replace {
        c.fields
            .iter()
            .map(|f| f.path.clone())
            .filter(|p| digest::REPLACE_FIELDS.contains(&p.as_str()))
            .collect()
    } else {
        Vec::new()
    };
    let drift = if c.drift.iter().any(|d| d == "deleted") {
        Some(Drift::Deleted)
    } else if c.drift.is_empty() {
        None
    } else {
        Some(Drift::Changed(c.drift.clone()))
    };
    Resource {
        rtype: ResourceType::DataAction,
        name: c.name.clone(),
        kind,
        id: c.id.clone(),
        previous_name: c.moved_from.clone(),
        importing: c.adopt(),
        integration: Some(c.integration.clone()),
        // The Architect flows using a deleted or replaced action, as one sentence.
        reasons: c.reasons.iter().cloned().chain(crate::plan::impact::sentence(c)).collect(),
        fields,
        replace_paths,
        drift,
        before,
        after,
        rotated: Vec::new(),
        shown,
    }
}

fn integration(c: &IntegrationChange) -> Resource {
    let kind = integration_kind(c);
    let shown = c.op() != Op::NoOp || c.adopt();
    // The binding of the credential is the field `credential` (credential ids).
    let rename = |p: &str| if p == "credential" { "credential.id".to_string() } else { p.to_string() };
    let desired: Option<Vec<(String, Value)>> = c.desired.as_ref().map(|spec| {
        let mut v: Vec<(String, Value)> = vec![("name".into(), json!(spec.name))];
        for (p, val) in spec.fields() {
            let val = match (p, &val) {
                // Field → environment variable, written as in the manifest: `{env: VAR}`.
                ("credential.fields", Value::Object(m)) => Value::Object(
                    m.iter().map(|(k, var)| (k.clone(), json!({"env": var}))).collect::<Map<_, _>>(),
                ),
                _ => val,
            };
            if !val.is_null() {
                v.push((p.to_string(), val));
            }
        }
        v
    });
    let fields: Vec<Field> = match (kind, &desired) {
        (ChangeKind::Create, Some(d)) => d
            .iter()
            .filter(|(p, _)| p != "name")
            .map(|(p, v)| Field { path: p.clone(), before: Value::Null, after: v.clone() })
            .collect(),
        _ => c
            .fields
            .iter()
            .map(|f| Field { path: rename(&f.path), before: f.before.clone(), after: f.after.clone() })
            .collect(),
    };
    let identity = json!({"id": c.id, "name": c.name});
    let (before, after) = match (kind, &desired) {
        (ChangeKind::Create, Some(d)) => (None, Some(nest(d, None))),
        (ChangeKind::Create, None) => (None, Some(identity)),
        (ChangeKind::Delete | ChangeKind::Forget, _) => (Some(identity), None),
        (_, Some(d)) => {
            let mut old = d.clone();
            let mut new = d.clone();
            for f in &c.fields {
                let path = rename(&f.path);
                match old.iter_mut().find(|(p, _)| *p == path) {
                    Some(slot) => slot.1 = f.before.clone(),
                    None => {
                        old.push((path.clone(), f.before.clone()));
                        new.push((path, f.after.clone()));
                    }
                }
            }
            (Some(nest(&old, c.id.as_ref())), Some(nest(&new, c.id.as_ref())))
        }
        (_, None) => (Some(identity.clone()), Some(identity)),
    };
    Resource {
        rtype: ResourceType::Integration,
        name: c.name.clone(),
        kind,
        id: c.id.clone(),
        previous_name: None,
        importing: c.adopt(),
        integration: None,
        reasons: c.reasons.clone(),
        fields,
        replace_paths: Vec::new(),
        drift: None,
        before,
        after,
        rotated: c.credential.rotated.clone(),
        shown,
    }
}

/// Flat dotted paths → a nested object, with `id` first.
fn nest(flat: &[(String, Value)], id: Option<&String>) -> Value {
    let mut root = Map::new();
    root.insert("id".into(), id.map_or(Value::Null, |i| Value::String(i.clone())));
    for (path, value) in flat {
        let mut node = &mut root;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                node.insert(part.to_string(), value.clone());
                break;
            }
            let entry = node.entry(part.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(next) = entry else { break };
            node = next;
        }
    }
    Value::Object(root)
}

/// Text of a field value: templates as themselves, JSON as sorted pretty JSON, other
/// strings quoted.
#[must_use]
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) if s.contains('\n') => s.clone(),
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(_) | Value::Array(_) => {
            serde_json::to_string_pretty(&digest::canonical(v)).unwrap_or_else(|_| v.to_string())
        }
        other => other.to_string(),
    }
}

/// Whether a field shows as a line diff rather than `before -> after`.
#[must_use]
pub fn is_multiline(f: &Field) -> bool {
    let text = |v: &Value| matches!(v, Value::String(s) if s.contains('\n'));
    text(&f.before)
        || text(&f.after)
        || f.before.is_object()
        || f.after.is_object()
        || f.before.is_array()
        || f.after.is_array()
}

/// One line of a field diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// Only before.
    Removed(String),
    /// Only after.
    Added(String),
    /// Both (context).
    Same(String),
}

/// The line diff of a multi-line field (3 lines of context; carriage returns and trailing
/// spaces made visible).
#[must_use]
pub fn diff_lines(f: &Field) -> Vec<DiffLine> {
    let (before, after) = (
        if f.before.is_null() { String::new() } else { value_text(&f.before) },
        if f.after.is_null() { String::new() } else { value_text(&f.after) },
    );
    let diff = TextDiff::from_lines(&before, &after);
    let mut out = Vec::new();
    for group in diff.grouped_ops(3) {
        for op in group {
            for change in diff.iter_changes(&op) {
                let line = visible_ws(change.value().trim_end_matches('\n'));
                out.push(match change.tag() {
                    ChangeTag::Delete => DiffLine::Removed(line),
                    ChangeTag::Insert => DiffLine::Added(line),
                    ChangeTag::Equal => DiffLine::Same(line),
                });
            }
        }
    }
    out
}

/// Makes carriage returns and trailing spaces visible in diff lines.
fn visible_ws(line: &str) -> String {
    let mut s = line.replace('\r', "␍");
    let trimmed = s.trim_end_matches(' ').len();
    if trimmed < s.len() {
        let spaces = s.len() - trimmed;
        s.truncate(trimmed);
        s.push_str(&"·".repeat(spaces));
    }
    s
}

#[cfg(test)]
mod tests;
