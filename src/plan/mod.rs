//! The plan: what apply would change, computed from manifests, state and the live org.
//!
//! Owns: what apply does per action ([`Action`]: an explicit enum with its apply order,
//! [`Action::apply_rank`]), the change vocabulary shown to people ([`Op`]: create `+`,
//! update in place `~`, replace `-/+`, delete `-`, no-op), the plan format's spelling of a
//! change (`op`, `adopt`, `gone`, read back into an [`Action`]), the decision rules, and which live actions need a full read
//! ([`details_needed`]). The core ([`plan`]) is pure: no I/O, no clock, no randomness;
//! equal inputs give equal plans.
//! Rules: integrations are resolved by the caller (exact name); an action in the org with a
//! manifest's name that gcsync does not own is an error with an import hint, never a silent
//! takeover — except when the state's pending-create journal shows an interrupted earlier
//! run created it (then it is adopted); changes to `integration`, `secure` or the
//! contract need a replace (refused unless allowed); deletes only touch actions the state
//! owns; drift (live differs from the last applied form) is reported per field.
//! Must not: talk to the API, read files, or print (see `render`, `file`).

pub mod drift;
pub mod file;
pub mod function;
pub mod impact;
pub mod integrations;
pub mod render;

use crate::model::ActionSpec;
use crate::model::digest::{self, REPLACE_FIELDS};
use crate::state::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// How a desired action's integration resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrationRef {
    /// No integration of that name in the org, and no manifest declares it.
    Unresolved,
    /// Declared by a manifest and created by this plan: apply fills in its id.
    Pending(String),
    /// An existing integration's id.
    Id(String),
}

impl IntegrationRef {
    /// How the plan format writes it in a desired definition's `integrationId`: the id, or
    /// `pending:<name>` (empty when unresolved: such a plan has errors and is never saved).
    #[must_use]
    pub fn wire(&self) -> String {
        match self {
            IntegrationRef::Unresolved => String::new(),
            IntegrationRef::Pending(name) => format!("{PENDING_PREFIX}{name}"),
            IntegrationRef::Id(id) => id.clone(),
        }
    }

    /// Reads [`IntegrationRef::wire`] back.
    #[must_use]
    pub fn from_wire(text: &str) -> Self {
        match text.strip_prefix(PENDING_PREFIX) {
            _ if text.is_empty() => IntegrationRef::Unresolved,
            Some(name) => IntegrationRef::Pending(name.to_string()),
            None => IntegrationRef::Id(text.to_string()),
        }
    }

    /// The id, when the integration exists.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        match self {
            IntegrationRef::Id(id) => Some(id),
            _ => None,
        }
    }
}

/// The plan format's prefix for an integration this plan creates (see [`IntegrationRef::wire`]).
const PENDING_PREFIX: &str = "pending:";

/// Version of the JSON plan format (`plan --json`, `plan --out`). Bump on any change that
/// would break a parser.
pub const FORMAT_VERSION: &str = "1";

/// The address of a declared action: its identity in the state and the plan. An action's
/// identity is its integration plus its name; the address is the name alone, or
/// `NAME [INTEGRATION]` when the manifests declare the name in several integrations
/// (`declared_elsewhere`). An address the state already uses for this name and integration
/// wins, so the address of an owned action never changes under it.
#[must_use]
pub fn address(name: &str, integration: &str, state: &State, declared_elsewhere: bool) -> String {
    if state.actions.get(name).is_some_and(|t| t.integration == integration) {
        return name.to_string();
    }
    let qualified = format!("{name} [{integration}]");
    if declared_elsewhere || state.actions.contains_key(&qualified) { qualified } else { name.to_string() }
}

/// One desired action, integration resolved.
#[derive(Debug, Clone)]
pub struct Desired {
    /// Its address (see [`address`]): the manifest name, qualified by the integration when
    /// the name is declared in several. `spec.name` is the name sent to Genesys.
    pub name: String,
    /// The compiled spec; its `integration` is [`Desired::integration`]'s wire form.
    pub spec: ActionSpec,
    /// The integration name from the manifest.
    pub integration_name: String,
    /// What the integration name resolved to.
    pub integration: IntegrationRef,
    /// `allowReplace: true` in the manifest.
    pub allow_replace: bool,
    /// `renamedFrom:` in the manifest: the owned action's previous name.
    pub renamed_from: Option<String>,
    /// `allowBreakingFlows: true` in the manifest: replacing it may break the flows using it.
    pub allow_breaking_flows: bool,
    /// `function:` in the manifest: a function data action (its settings and code hash).
    pub function: Option<function::FunctionPlan>,
}

/// A live action as listed (no config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSummary {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Integration id.
    pub integration_id: String,
    /// Version.
    pub version: i64,
    /// A secure action (dependency tracking names it `SECUREACTION`).
    #[serde(default)]
    pub secure: bool,
}

/// What the refresh read from the org.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// Every live action (published), from the list calls.
    pub summaries: Vec<LiveSummary>,
    /// Full specs (templates inlined) of the actions [`details_needed`] asked for, by id.
    pub details: BTreeMap<String, ActionSpec>,
    /// The org's integration names, when the refresh listed them (for "did you mean" when a
    /// manifest's integration does not resolve).
    pub integration_names: Vec<String>,
    /// The published `Function` settings of the function actions read in full, by id.
    pub functions: BTreeMap<String, Value>,
}

/// Plan options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only these manifest names (empty = all).
    pub targets: Vec<String>,
    /// `--allow-replace`.
    pub allow_replace: bool,
    /// `--refresh full`: every owned action was read in full.
    pub full_refresh: bool,
}

/// Kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// Delete and create (a new id).
    Replace,
    /// Create.
    Create,
    /// Update in place.
    Update,
    /// Delete.
    Delete,
    /// Nothing to do in the org.
    NoOp,
}

impl Op {
    /// The plan symbol.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Create => "+",
            Op::Update => "~",
            Op::Replace => "-/+",
            Op::Delete => "-",
            Op::NoOp => " ",
        }
    }
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field path (see `model::digest::fields`).
    pub path: String,
    /// Live value (null for creates).
    pub before: Value,
    /// Desired value (null for deletes).
    pub after: Value,
}

/// What apply does for one action — the org step and the state step — named explicitly.
/// [`Op`] is the vocabulary shown to people (`+`, `~`, `-/+`, `-`); this is what runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing: the org and the state agree with the manifest.
    NoOp,
    /// State only: the org already matches the manifest, the state's record is outdated (a
    /// live version that moved, a record of an older gcsync, a rename by `renamedFrom`).
    Record,
    /// Create the action.
    Create,
    /// Adopt the action an interrupted earlier apply created; it matches (state only).
    Adopt,
    /// Adopt it, then update it in place.
    AdoptUpdate,
    /// Adopt it, then replace it.
    AdoptReplace,
    /// Update in place.
    Update,
    /// Delete and create again (a new id).
    Replace,
    /// Delete from the org, then the state entry.
    Delete,
    /// Already gone from the org: only the state entry is removed.
    Forget,
}

impl Action {
    /// How it is shown.
    #[must_use]
    pub fn op(self) -> Op {
        match self {
            Action::NoOp | Action::Record | Action::Adopt => Op::NoOp,
            Action::Create => Op::Create,
            Action::Update | Action::AdoptUpdate => Op::Update,
            Action::Replace | Action::AdoptReplace => Op::Replace,
            Action::Delete | Action::Forget => Op::Delete,
        }
    }

    /// Whether it adopts an interrupted create.
    #[must_use]
    pub fn adopts(self) -> bool {
        matches!(self, Action::Adopt | Action::AdoptUpdate | Action::AdoptReplace)
    }

    /// The same change, adopting an interrupted create first.
    #[must_use]
    pub fn adopted(self) -> Self {
        match self {
            Action::NoOp | Action::Record | Action::Adopt => Action::Adopt,
            Action::Update | Action::AdoptUpdate => Action::AdoptUpdate,
            Action::Replace | Action::AdoptReplace => Action::AdoptReplace,
            other => other,
        }
    }

    /// Apply's order: replacements first (delete, then create under the same name), then
    /// creates, updates, deletes, and state-only records last; `None`: apply skips it.
    #[must_use]
    pub fn apply_rank(self) -> Option<u8> {
        match self {
            Action::NoOp => None,
            Action::Replace | Action::AdoptReplace => Some(0),
            Action::Create => Some(1),
            Action::Update | Action::AdoptUpdate => Some(2),
            Action::Delete | Action::Forget => Some(3),
            Action::Record | Action::Adopt => Some(4),
        }
    }

    /// From the plan format's fields (`action`, `adopt`, `gone`, and whether the change
    /// carries a desired definition, which a no-op does only when the state must record it).
    fn from_wire(op: Op, adopt: bool, gone: bool, desired: bool) -> Result<Self, String> {
        Ok(match (op, adopt, gone) {
            (Op::NoOp, true, false) => Action::Adopt,
            (Op::Update, true, false) => Action::AdoptUpdate,
            (Op::Replace, true, false) => Action::AdoptReplace,
            (Op::NoOp, false, false) if desired => Action::Record,
            (Op::NoOp, false, false) => Action::NoOp,
            (Op::Create, false, false) => Action::Create,
            (Op::Update, false, false) => Action::Update,
            (Op::Replace, false, false) => Action::Replace,
            (Op::Delete, false, false) => Action::Delete,
            (Op::Delete, false, true) => Action::Forget,
            (op, adopt, gone) => {
                return Err(format!("a change cannot be `{op:?}` with adopt={adopt} and gone={gone}"));
            }
        })
    }
}

/// One planned change.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "WireChange")]
pub struct Change {
    /// Manifest name.
    pub name: String,
    /// What apply does.
    pub action: Action,
    /// Why (human sentences).
    pub reasons: Vec<String>,
    /// Existing action id (update, replace, delete, adopt).
    pub id: Option<String>,
    /// Live version the change was planned against.
    pub version: Option<i64>,
    /// Integration name.
    pub integration: String,
    /// `renamedFrom:`: the state entry of this previous name becomes this one.
    pub moved_from: Option<String>,
    /// Changed fields (desired vs live).
    pub fields: Vec<FieldChange>,
    /// Fields changed in the org since the last apply (outside gcsync).
    pub drift: Vec<String>,
    /// The desired action as `PostActionInput` JSON (integration as id), for create,
    /// update and replace; also kept for no-ops that refresh state.
    pub desired: Option<DesiredJson>,
    /// The Architect flows using the action, for a change that deletes or replaces it
    /// (`None` for every other change; see [`impact`]).
    pub consumers: Option<Vec<impact::FlowConsumer>>,
    /// Why that list may be incomplete (empty: complete).
    pub consumers_incomplete: Vec<String>,
    /// A function data action's function (settings, code hash and source), whenever
    /// `desired` is present for one.
    pub function: Option<function::FunctionPlan>,
}

impl Change {
    /// How it is shown.
    #[must_use]
    pub fn op(&self) -> Op {
        self.action.op()
    }

    /// Whether it adopts an interrupted create.
    #[must_use]
    pub fn adopt(&self) -> bool {
        self.action.adopts()
    }

    /// Whether the action is already gone from the org (only the state entry is removed).
    #[must_use]
    pub fn gone(&self) -> bool {
        self.action == Action::Forget
    }
}

/// A change as the plan format (`plan --json`, saved plans) spells it.
#[derive(Serialize)]
struct WireChangeRef<'a> {
    name: &'a str,
    op: Op,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    reasons: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    id: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: &'a Option<i64>,
    integration: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    adopt: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    gone: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    moved_from: &'a Option<String>,
    #[serde(skip_serializing_if = "<[FieldChange]>::is_empty")]
    fields: &'a [FieldChange],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    drift: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    desired: &'a Option<DesiredJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consumers: &'a Option<Vec<impact::FlowConsumer>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    consumers_incomplete: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    function: &'a Option<function::FunctionPlan>,
}

impl Serialize for Change {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireChangeRef {
            name: &self.name,
            op: self.op(),
            reasons: &self.reasons,
            id: &self.id,
            version: &self.version,
            integration: &self.integration,
            adopt: self.adopt(),
            gone: self.gone(),
            moved_from: &self.moved_from,
            fields: &self.fields,
            drift: &self.drift,
            desired: &self.desired,
            consumers: &self.consumers,
            consumers_incomplete: &self.consumers_incomplete,
            function: &self.function,
        }
        .serialize(serializer)
    }
}

/// [`WireChangeRef`], read back.
#[derive(Deserialize)]
struct WireChange {
    name: String,
    op: Op,
    #[serde(default)]
    reasons: Vec<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    version: Option<i64>,
    integration: String,
    #[serde(default)]
    adopt: bool,
    #[serde(default)]
    gone: bool,
    #[serde(default)]
    moved_from: Option<String>,
    #[serde(default)]
    fields: Vec<FieldChange>,
    #[serde(default)]
    drift: Vec<String>,
    #[serde(default)]
    desired: Option<DesiredJson>,
    #[serde(default)]
    consumers: Option<Vec<impact::FlowConsumer>>,
    #[serde(default)]
    consumers_incomplete: Vec<String>,
    #[serde(default)]
    function: Option<function::FunctionPlan>,
}

impl TryFrom<WireChange> for Change {
    type Error = String;

    fn try_from(w: WireChange) -> Result<Self, String> {
        let action = Action::from_wire(w.op, w.adopt, w.gone, w.desired.is_some())
            .map_err(|e| format!("change `{}`: {e}", w.name))?;
        Ok(Change {
            name: w.name,
            action,
            reasons: w.reasons,
            id: w.id,
            version: w.version,
            integration: w.integration,
            moved_from: w.moved_from,
            fields: w.fields,
            drift: w.drift,
            desired: w.desired,
            consumers: w.consumers,
            consumers_incomplete: w.consumers_incomplete,
            function: w.function,
        })
    }
}

/// A desired action's `PostActionInput`, kept as JSON text: a plan of thousands of creates
/// holds compact strings rather than JSON trees, and a saved plan embeds it verbatim.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DesiredJson(Box<serde_json::value::RawValue>);

impl DesiredJson {
    /// From a spec (integration as id).
    #[must_use]
    pub fn from_spec(spec: &ActionSpec) -> Self {
        let text = spec.to_post_json("integrationId").to_string();
        // A `Value`'s text is always valid JSON, so `from_string` cannot refuse it; `null`
        // stands in for that impossible case (and reads back as a corrupt change).
        Self(
            serde_json::value::RawValue::from_string(text)
                .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
        )
    }

    /// The JSON value.
    #[must_use]
    pub fn value(&self) -> Value {
        // A `RawValue` holds valid JSON by construction (serde_json checked it when it was
        // made or read), so parsing it again cannot fail.
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    /// The spec it describes.
    #[must_use]
    pub fn spec(&self) -> Option<ActionSpec> {
        spec_from_post_json(&self.value())
    }
}

impl PartialEq for DesiredJson {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

/// A problem that makes the plan not applyable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanError {
    /// Manifest name concerned.
    pub name: String,
    /// What is wrong.
    pub message: String,
    /// What to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Integration changes (no-ops included, sorted by name); applied before actions,
    /// deletes after them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integrations: Vec<integrations::IntegrationChange>,
    /// Changes (no-ops included, sorted by name).
    pub changes: Vec<Change>,
    /// Errors (a plan with errors is not applied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<PlanError>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Creates.
    pub add: usize,
    /// Updates.
    pub change: usize,
    /// Replaces.
    pub replace: usize,
    /// Deletes.
    pub destroy: usize,
}

impl Plan {
    /// Counts by kind.
    #[must_use]
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for op in self.changes.iter().map(Change::op).chain(self.integrations.iter().map(|i| i.op())) {
            match op {
                Op::Create => s.add += 1,
                Op::Update => s.change += 1,
                Op::Replace => s.replace += 1,
                Op::Delete => s.destroy += 1,
                Op::NoOp => {}
            }
        }
        s
    }

    /// Whether apply would change the org or the state's record of it.
    #[must_use]
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.op() != Op::NoOp)
            || self.integrations.iter().any(|i| i.op() != Op::NoOp || i.adopt())
    }

    /// Whether a plan without changes in the org still has state records to write (a live
    /// version that moved while the definition stayed equal, an adopted interrupted create).
    #[must_use]
    pub fn needs_state_write(&self) -> bool {
        self.changes.iter().any(|c| matches!(c.action, Action::Record | Action::Adopt))
    }

    /// Whether any drift was seen.
    #[must_use]
    pub fn has_drift(&self) -> bool {
        self.changes.iter().any(|c| !c.drift.is_empty())
    }
}

fn in_scope(name: &str, opts: &Options) -> bool {
    opts.targets.is_empty() || opts.targets.iter().any(|t| t == name)
}

/// The live actions (ids) whose full definition the plan needs: owned actions whose version
/// moved since the last apply (possible drift), owned actions whose manifest changed (for
/// the field diff), adoptable interrupted creates, and with `full_refresh` every owned one.
#[must_use]
pub fn details_needed(
    desired: &[Desired],
    state: &State,
    summaries: &[LiveSummary],
    opts: &Options,
) -> BTreeSet<String> {
    let by_id: BTreeMap<&str, &LiveSummary> = summaries.iter().map(|s| (s.id.as_str(), s)).collect();
    let desired_by_name: BTreeMap<&str, &Desired> = desired.iter().map(|d| (d.name.as_str(), d)).collect();
    let mut out = BTreeSet::new();
    for (name, t) in &state.actions {
        if !in_scope(name, opts) {
            continue;
        }
        let Some(live) = by_id.get(t.id.as_str()) else { continue };
        let manifest_changed =
            desired_by_name.get(name.as_str()).is_some_and(|d| digest::digest(&d.spec) != t.digest);
        if opts.full_refresh || live.version != t.version || manifest_changed {
            out.insert(t.id.clone());
        }
    }
    // A rename (`renamedFrom`): the owned action under its old name, read in full for the diff.
    for d in desired.iter().filter(|d| in_scope(&d.name, opts) && !state.actions.contains_key(&d.name)) {
        if let Some(t) = d.renamed_from.as_ref().and_then(|old| state.actions.get(old))
            && by_id.contains_key(t.id.as_str())
        {
            out.insert(t.id.clone());
        }
    }
    for p in &state.pending {
        // A tracked entry whose action still lives needs no adoption.
        let tracked_live = state.actions.get(&p.name).is_some_and(|t| by_id.contains_key(t.id.as_str()));
        if !in_scope(&p.name, opts) || tracked_live {
            continue;
        }
        // The journal holds addresses; the org knows the action's own name.
        let real =
            desired.iter().find(|d| d.name == p.name).map_or(p.name.as_str(), |d| d.spec.name.as_str());
        for s in summaries.iter().filter(|s| s.name == real && s.integration_id == p.integration_id) {
            out.insert(s.id.clone());
        }
    }
    out
}

/// Computes the plan of actions. Pure.
#[must_use]
pub fn plan(desired: &[Desired], state: &State, live: &Live, opts: &Options) -> Plan {
    plan_actions(desired, state, live, opts, &|_| false)
}

/// [`plan`]; `other_known`: names `--target` may also name (declared integrations).
fn plan_actions(
    desired: &[Desired],
    state: &State,
    live: &Live,
    opts: &Options,
    other_known: &dyn Fn(&str) -> bool,
) -> Plan {
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    let by_id: BTreeMap<&str, &LiveSummary> = live.summaries.iter().map(|s| (s.id.as_str(), s)).collect();
    let desired_names: BTreeSet<&str> = desired.iter().map(|d| d.name.as_str()).collect();
    // `renamedFrom`: old state name → the desired action that takes its entry over (only
    // when the new name is not owned yet and the old one is no manifest's name any more).
    let moved: BTreeMap<&str, &Desired> = desired
        .iter()
        .filter(|d| in_scope(&d.name, opts) && !state.actions.contains_key(&d.name))
        .filter_map(|d| {
            let old = d.renamed_from.as_deref()?;
            (state.actions.contains_key(old) && !desired_names.contains(old)).then_some((old, d))
        })
        .collect();
    // Old names claimed by any manifest's `renamedFrom` (in scope or not) are never deleted:
    // with `--target` on the old name alone the rename simply waits for its own plan.
    let claimed: BTreeSet<&str> = desired
        .iter()
        .filter(|d| !state.actions.contains_key(&d.name))
        .filter_map(|d| d.renamed_from.as_deref())
        .filter(|old| state.actions.contains_key(*old) && !desired_names.contains(old))
        .collect();

    for t in &opts.targets {
        if !desired_names.contains(t.as_str()) && !state.actions.contains_key(t) && !other_known(t) {
            let known: Vec<&str> =
                desired_names.iter().copied().chain(state.actions.keys().map(String::as_str)).collect();
            errors.push(PlanError {
                name: t.clone(),
                message: format!("`--target {t}` names no action in the manifests or the state"),
                hint: crate::manifest::reader::suggest(t, &known).map(|s| format!("did you mean `{s}`?")),
            });
        }
    }

    let mut unowned_clashes = 0usize;
    for d in desired.iter().filter(|d| in_scope(&d.name, opts)) {
        if d.integration == IntegrationRef::Unresolved {
            let names: Vec<&str> = live.integration_names.iter().map(String::as_str).collect();
            let hint = match crate::manifest::reader::suggest(&d.integration_name, &names) {
                Some(near) => format!(
                    "did you mean `{near}`? Integration names match exactly (case included); or create the integration in the org, or declare it as a manifest"
                ),
                None => "create the integration in the org (or declare it as a manifest), or fix the name (exact match)".into(),
            };
            errors.push(PlanError {
                name: d.name.clone(),
                message: format!(
                    "integration `{}` of action `{}` does not exist in the org",
                    d.integration_name, d.name
                ),
                hint: Some(hint),
            });
            continue;
        }
        let desired_json = DesiredJson::from_spec(&d.spec);
        let renamed =
            d.renamed_from.as_deref().filter(|old| moved.get(old).is_some_and(|m| m.name == d.name));
        let tracked = state.actions.get(&d.name).or_else(|| renamed.and_then(|old| state.actions.get(old)));
        match tracked {
            None => {
                // Same name in the same integration (an action of that name in another
                // integration is another action).
                let in_integration = |id: &str| d.integration.id() == Some(id);
                let named: Vec<&LiveSummary> = live
                    .summaries
                    .iter()
                    .filter(|s| s.name == d.spec.name && in_integration(&s.integration_id))
                    .collect();
                // The journal is keyed by address, like the state.
                let pending =
                    state.pending.iter().any(|p| p.name == d.name && in_integration(&p.integration_id));
                let adoptable = named.iter().find(|s| in_integration(&s.integration_id));
                match (named.is_empty(), pending, adoptable) {
                    (true, _, _) => changes.push(Change {
                        name: d.name.clone(),
                        action: Action::Create,
                        reasons: Vec::new(),
                        id: None,
                        version: None,
                        integration: d.integration_name.clone(),
                        moved_from: None,
                        fields: Vec::new(),
                        drift: Vec::new(),
                        desired: Some(desired_json),
                        consumers: None,
                        consumers_incomplete: Vec::new(),
                        function: d.function.clone(),
                    }),
                    (false, true, Some(s)) if named.len() == 1 => {
                        let mut c = compare(d, s, live, None, pending_code(d, state), opts, &mut errors);
                        c.action = c.action.adopted();
                        c.reasons.insert(0, "an interrupted earlier apply created it; gcsync adopts it instead of creating a duplicate".into());
                        changes.push(c);
                    }
                    _ => errors.push({
                        unowned_clashes += 1;
                        PlanError {
                        name: d.name.clone(),
                        message: format!(
                            "an action named `{}` already exists in the org (in integration `{}`: {}) but gcsync does not manage it",
                            d.spec.name,
                            d.integration_name,
                            named.iter().map(|s| format!("id `{}`", s.id)).collect::<Vec<_>>().join(", ")
                        ),
                        // By name when the name is unique in the manifests, else by id.
                        hint: Some(match named.as_slice() {
                            [one] if d.name != d.spec.name => {
                                format!("adopt it with `gcsync import \"{}\"`, or rename the manifest", one.id)
                            }
                            _ => format!("adopt it with `gcsync import \"{}\"`, or rename the manifest", d.name),
                        }),
                    }
                    }),
                }
            }
            Some(t) => match by_id.get(t.id.as_str()) {
                // Gone from the org, but an interrupted create (journaled) made it again.
                None if let Some(s) = interrupted_create(d, state, live) => {
                    let mut c = compare(d, s, live, None, pending_code(d, state), opts, &mut errors);
                    c.action = c.action.adopted();
                    c.moved_from = renamed.map(str::to_string);
                    c.reasons.insert(0, "an interrupted earlier apply created it; gcsync adopts it instead of creating a duplicate".into());
                    changes.push(c);
                }
                None => changes.push(Change {
                    moved_from: renamed.map(str::to_string),
                    name: d.name.clone(),
                    action: Action::Create,
                    reasons: vec![format!(
                        "action `{}` was deleted outside gcsync since the last apply",
                        t.id
                    )],
                    id: None,
                    version: None,
                    integration: d.integration_name.clone(),
                    fields: Vec::new(),
                    drift: vec!["deleted".into()],
                    desired: Some(desired_json),
                    consumers: None,
                    consumers_incomplete: Vec::new(),
                    function: d.function.clone(),
                }),
                Some(s) => {
                    let mut c = compare(d, s, live, Some(t), None, opts, &mut errors);
                    if let Some(old) = renamed {
                        c.moved_from = Some(old.to_string());
                        c.reasons
                            .insert(0, format!("renamed from `{old}` (`renamedFrom`): same action, same id"));
                        // The state entry moves to the new name even if the org already shows it.
                        if c.desired.is_none() {
                            c.desired = Some(DesiredJson::from_spec(&d.spec));
                            c.function.clone_from(&d.function);
                            c.action = Action::Record;
                        }
                    }
                    changes.push(c);
                }
            },
        }
    }

    for (name, t) in &state.actions {
        if desired_names.contains(name.as_str()) || claimed.contains(name.as_str()) || !in_scope(name, opts) {
            continue;
        }
        let live_now = by_id.get(t.id.as_str());
        changes.push(Change {
            name: name.clone(),
            action: if live_now.is_some() { Action::Delete } else { Action::Forget },
            reasons: vec![if live_now.is_some() {
                "no manifest declares it any more".into()
            } else {
                "no manifest declares it, and it was already deleted in the org; only the state entry is removed".into()
            }],
            id: Some(t.id.clone()),
            version: live_now.map(|s| s.version),
            integration: t.integration.clone(),
            moved_from: None,
            fields: Vec::new(),
            drift: Vec::new(),
            desired: None,
            consumers: None,
            consumers_incomplete: Vec::new(),
            function: None,
        });
    }
    // A new, empty state facing an org that already holds the manifests' actions: either the
    // state was not found (a CI job whose state download failed) or the org is being adopted.
    if unowned_clashes > 0 && state.serial == 0 && state.actions.is_empty() && state.integrations.is_empty() {
        errors.push(PlanError {
            name: "(state)".into(),
            message: format!(
                "the state is new and empty, but the org already holds {unowned_clashes} action{} the manifests declare",
                if unowned_clashes == 1 { "" } else { "s" }
            ),
            hint: Some("if gcsync already manages this org, the state was not found: check its location (`--state`, `GCSYNC_STATE`, or `state:` in the environment file); to adopt the org's actions, run `gcsync import --all`".into()),
        });
    }
    hint_renames(&mut changes);
    changes.sort_by(|a, b| a.name.cmp(&b.name));
    Plan { integrations: Vec::new(), changes, errors }
}

/// Plans integrations and actions together. Pure.
#[must_use]
pub fn plan_all(
    desired: &[Desired],
    desired_integrations: &[integrations::DesiredIntegration],
    state: &State,
    live: &Live,
    live_integrations: &integrations::LiveIntegrations,
    opts: &Options,
) -> Plan {
    // `--target` of a declared integration's name is a known name.
    let mut p = plan_actions(desired, state, live, opts, &|name| {
        desired_integrations.iter().any(|d| d.spec.name == name)
    });
    let kept: BTreeMap<String, String> =
        desired.iter().map(|d| (d.name.clone(), d.integration_name.clone())).collect();
    let in_scope_integrations: Vec<integrations::DesiredIntegration> = desired_integrations
        .iter()
        .filter(|d| opts.targets.is_empty() || opts.targets.iter().any(|t| t == &d.spec.name))
        .cloned()
        .collect();
    // Only a targeted plan narrows the owned integrations (cloning thousands of actions
    // for nothing would double a large plan's memory).
    let scoped_state: std::borrow::Cow<'_, State> = if opts.targets.is_empty() {
        std::borrow::Cow::Borrowed(state)
    } else {
        let mut s = state.clone();
        s.integrations.retain(|name, _| {
            opts.targets.iter().any(|t| t == name)
                || in_scope_integrations.iter().any(|d| &d.spec.name == name)
        });
        std::borrow::Cow::Owned(s)
    };
    let mut errors = Vec::new();
    p.integrations =
        integrations::plan(&in_scope_integrations, &scoped_state, live_integrations, &kept, &mut errors);
    p.errors.extend(errors);
    p
}

/// The live action an interrupted create of `d` made: journaled in the state's pending
/// creates, exactly one live action with its name in its integration.
fn interrupted_create<'a>(d: &Desired, state: &State, live: &'a Live) -> Option<&'a LiveSummary> {
    let id = d.integration.id()?;
    if !state.pending.iter().any(|p| p.name == d.name && p.integration_id == id) {
        return None;
    }
    let mut found = live.summaries.iter().filter(|s| s.name == d.spec.name && s.integration_id == id);
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// One create and one delete of an owned, live action in the same integration look like a
/// rename by hand-editing the manifest: say how to keep the id (Architect flows bind to it).
fn hint_renames(changes: &mut [Change]) {
    let mut by_integration: BTreeMap<&str, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for (i, c) in changes.iter().enumerate() {
        let entry = by_integration.entry(c.integration.as_str()).or_default();
        match c.action {
            Action::Create if c.moved_from.is_none() && c.drift.is_empty() => entry.0.push(i),
            Action::Delete => entry.1.push(i),
            _ => {}
        }
    }
    let pairs: Vec<(usize, String)> = by_integration
        .into_values()
        .filter_map(|(creates, deletes)| match (creates.as_slice(), deletes.as_slice()) {
            ([c], [d]) => Some((*c, changes[*d].name.clone())),
            _ => None,
        })
        .collect();
    for (i, old) in pairs {
        changes[i].reasons.push(format!(
            "if this is `{old}` renamed, add `renamedFrom: {old}` to its manifest: the action is then renamed in place and keeps its id (flows bound to it keep working)"
        ));
    }
}

/// The code hash an interrupted create of `d` journaled (what it uploaded, if it got that far).
fn pending_code<'a>(d: &Desired, state: &'a State) -> Option<&'a str> {
    state.pending.iter().find(|p| p.name == d.name).and_then(|p| p.zip_sha256.as_deref())
}

/// Compares a desired action with an existing live one. `pending_code`: for an interrupted
/// create, the code hash its journal entry recorded.
fn compare(
    d: &Desired,
    s: &LiveSummary,
    live: &Live,
    tracked: Option<&crate::state::TrackedAction>,
    pending_code: Option<&str>,
    opts: &Options,
    errors: &mut Vec<PlanError>,
) -> Change {
    let desired_digest = digest::digest(&d.spec);
    let normalized;
    let detail = match (&d.function, live.details.get(&s.id)) {
        // The platform generates a function action's request URL: never a difference.
        (Some(_), Some(spec)) => {
            normalized = function::normalized(spec);
            Some(&normalized)
        }
        (_, detail) => detail,
    };
    let tracked_function = tracked.and_then(|t| t.function.as_ref());
    let live_function = live.functions.get(&s.id);
    let function_fields = d.function.as_ref().map_or_else(Vec::new, |f| {
        let known = tracked_function.and_then(|t| t.zip_sha256.as_deref()).or(pending_code);
        function::diff(f, live_function, tracked_function, known)
    });
    let mut change = Change {
        name: d.name.clone(),
        action: Action::NoOp,
        reasons: Vec::new(),
        id: Some(s.id.clone()),
        version: Some(s.version),
        integration: d.integration_name.clone(),
        moved_from: None,
        fields: Vec::new(),
        drift: Vec::new(),
        desired: None,
        consumers: None,
        consumers_incomplete: Vec::new(),
        function: None,
    };
    // The desired definition travels in the plan only when apply needs it (a change, an
    // adoption, or a version the state must record); a no-change plan of thousands of
    // actions stays small.
    // A digest that differs from the state's while the org matches the manifest (a state
    // written by an older gcsync, or an apply whose answer was lost) is recorded too, or
    // the plan would keep reporting it.
    let record_needed =
        tracked.is_none_or(|t| t.version != s.version || t.id != s.id || t.digest != desired_digest);
    if record_needed {
        change.desired = Some(DesiredJson::from_spec(&d.spec));
        change.function.clone_from(&d.function);
        change.action = Action::Record;
    }
    if let (Some(t), Some(l)) = (tracked_function, live_function) {
        change.drift.extend(function::drift(t, l));
    }
    let Some(live_spec) = detail else {
        // Not read in full: unchanged since the last apply (same version) and the manifest
        // did not change either — or a bug in the caller, reported rather than guessed.
        match tracked {
            Some(t) if t.version == s.version && t.digest == desired_digest => {}
            _ => errors.push(PlanError {
                name: d.name.clone(),
                message: format!("the live definition of `{}` was not read; cannot compare", d.name),
                hint: Some("run with `--refresh full`".into()),
            }),
        }
        if !function_fields.is_empty() {
            change.fields = function_fields;
            change.desired = Some(DesiredJson::from_spec(&d.spec));
            change.function.clone_from(&d.function);
            change.action = Action::Update;
        }
        return change;
    };
    if let Some(t) = tracked {
        let mut spec_drift = drift::action_fields(t, live_spec);
        spec_drift.append(&mut change.drift);
        change.drift = spec_drift;
    }
    if digest::digest(live_spec) == desired_digest && function_fields.is_empty() {
        if !change.drift.is_empty() {
            change
                .reasons
                .push("changed outside gcsync, but it now matches the manifest; apply records it".into());
        }
        return change;
    }
    let before: BTreeMap<&str, Value> = digest::fields(live_spec).into_iter().collect();
    for (path, after) in digest::fields(&d.spec) {
        // A field the live action does not have is null (absent) before the change.
        let b = before.get(path).cloned().unwrap_or(Value::Null);
        if b != after {
            change.fields.push(FieldChange { path: path.to_string(), before: b, after });
        }
    }
    change.fields.extend(function_fields);
    change.desired = Some(DesiredJson::from_spec(&d.spec));
    change.function.clone_from(&d.function);
    let immutable: Vec<&str> =
        change.fields.iter().map(|f| f.path.as_str()).filter(|p| REPLACE_FIELDS.contains(p)).collect();
    if immutable.is_empty() {
        change.action = Action::Update;
    } else {
        change.action = Action::Replace;
        change.reasons.push(format!(
            "{} cannot change on a published action: the action is deleted and created again with a new id; Architect flows bound to it must be re-pointed",
            immutable.join(", ")
        ));
        if !opts.allow_replace && !d.allow_replace {
            errors.push(PlanError {
                name: d.name.clone(),
                message: format!("`{}` must be replaced ({} changed) and replacing is not allowed", d.name, immutable.join(", ")),
                hint: Some("pass `--allow-replace`, or set `allowReplace: true` in the manifest, after re-pointing the flows that use it".into()),
            });
        }
    }
    if !change.drift.is_empty() {
        change.reasons.push(format!(
            "drift: {} changed outside gcsync since the last apply; apply restores the manifest",
            change.drift.join(", ")
        ));
    }
    change
}

/// The desired definition as flat field paths: the integration by name, and for a function
/// action its settings and code hash instead of the request URL the platform generates.
/// `None` when the change carries no desired definition.
#[must_use]
pub fn desired_fields(c: &Change) -> Option<Vec<(String, Value)>> {
    let spec = c.desired.as_ref().and_then(DesiredJson::spec)?;
    // Not a function action: no function fields.
    let function = c.function.iter().flat_map(function::FunctionPlan::fields);
    Some(
        digest::fields(&spec)
            .into_iter()
            .filter(|(path, _)| c.function.is_none() || *path != "config.request.requestUrlTemplate")
            .chain(function)
            .map(|(path, v)| {
                let v = if path == "integration" { Value::String(c.integration.clone()) } else { v };
                (path.to_string(), v)
            })
            .collect(),
    )
}

/// The fields shown for a create, derived from its desired definition when rendered (not
/// stored twice in the plan): everything but the name.
#[must_use]
pub fn create_fields(c: &Change) -> Vec<FieldChange> {
    desired_fields(c)
        .into_iter()
        .flatten()
        .filter(|(path, _)| path != "name")
        .map(|(path, after)| FieldChange { path, before: Value::Null, after })
        .collect()
}

/// The spec inside a `PostActionInput` JSON (integration = `integrationId`); `None` when a
/// field gcsync always writes is missing (a corrupt plan file).
#[must_use]
pub fn spec_from_post_json(v: &Value) -> Option<ActionSpec> {
    // A missing key reads as null, which the required fields below refuse (`None`: corrupt).
    let get = |k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    Some(ActionSpec {
        name: get("name").as_str()?.to_string(),
        category: get("category").as_str()?.to_string(),
        integration: get("integrationId").as_str()?.to_string(),
        secure: get("secure").as_bool().unwrap_or(false),
        config: serde_json::from_value(get("config")).ok()?,
        contract: serde_json::from_value(get("contract")).ok()?,
    })
}

#[cfg(test)]
pub(crate) mod tests;
