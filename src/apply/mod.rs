//! Apply: carry out a plan against the org, persisting state after every mutation.
//!
//! Owns: the order of operations (replacements delete-then-create, then creates, updates,
//! deletes, then state-only records), the pending-create journal around every create (so a
//! crash between "created" and "recorded" is adopted next time, never duplicated), the
//! resolution of a create whose outcome is unknown (look up by exact name and integration;
//! adopt if found, else create again), and when the state is written: the journal before
//! the first create and the state after a failure at once, action steps batched (at most one
//! write per [`WRITE_INTERVAL`], and at the end), integration steps after each change. It
//! returns what it did even when it stops on an error (partial progress is kept in state).
//! Must not: re-plan, skip the caller's staleness checks, or print (progress goes to the
//! caller's hook).

pub mod integrations;

mod function;

use crate::model::ActionSpec;
use crate::plan::{Action, Change, Op, Plan};
use crate::remote::{Error as RemoteError, Remote};
use crate::state::store::StateStore;
use crate::state::{PendingCreate, State, TrackedAction};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// How many times a create whose outcome was unknown (and not found afterwards) is tried.
pub const CREATE_ATTEMPTS: usize = 5;

/// Between action mutations the state is written at most this often (and always before the
/// first create, after a failure and at the end): a state of thousands of entries is not
/// rewritten after every one of thousands of creates. Safe because every create of the run
/// is journaled first: a crash before the next write leaves actions the journal adopts, a
/// version the next plan records, or an entry whose action is gone, which it forgets.
pub const WRITE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Apply's batching of action-step writes over a store (see [`WRITE_INTERVAL`]).
struct Batched<'a, S> {
    inner: &'a mut S,
    last: std::time::Instant,
    dirty: bool,
}

impl<'a, S: StateStore> Batched<'a, S> {
    fn new(inner: &'a mut S) -> Self {
        Self { inner, last: std::time::Instant::now(), dirty: false }
    }

    /// Writes what was deferred.
    async fn flush(&mut self, state: &mut State) -> Result<(), crate::state::Error> {
        if self.dirty { self.save_now(state).await } else { Ok(()) }
    }
}

impl<S: StateStore> StateStore for Batched<'_, S> {
    fn location(&self) -> String {
        self.inner.location()
    }

    async fn save(&mut self, state: &mut State) -> Result<(), crate::state::Error> {
        if self.last.elapsed() >= WRITE_INTERVAL {
            self.save_now(state).await
        } else {
            self.dirty = true;
            Ok(())
        }
    }

    async fn save_now(&mut self, state: &mut State) -> Result<(), crate::state::Error> {
        self.inner.save_now(state).await?;
        self.last = std::time::Instant::now();
        self.dirty = false;
        Ok(())
    }
}

/// Apply failed part-way.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API refused or failed.
    #[error("`{name}`: {source}")]
    Remote {
        /// Manifest name.
        name: String,
        /// Cause.
        #[source]
        source: RemoteError,
    },
    /// The state could not be written (the org was changed; see the message).
    #[error("`{name}`: {source}")]
    State {
        /// Manifest name.
        name: String,
        /// Cause.
        #[source]
        source: Box<crate::state::Error>,
    },
    /// A planned change carries no desired definition (a corrupt plan file).
    #[error("`{0}`: the plan has no desired definition for this change")]
    Corrupt(String),
    /// Something the plan relied on changed before it was applied.
    #[error("`{name}`: {message}; nothing more was applied")]
    Stale {
        /// Name concerned.
        name: String,
        /// What changed.
        message: String,
    },
    /// A function's code is not the code the plan showed (the source changed since a saved
    /// plan was made); nothing was applied.
    #[error(
        "`{name}`: the function's code at `{source_path}` changed since the plan ({planned} → {now}); nothing was applied"
    )]
    CodeChanged {
        /// Manifest name.
        name: String,
        /// The source.
        source_path: String,
        /// The plan's hash, shown short.
        planned: String,
        /// The source's hash now, shown short.
        now: String,
    },
    /// The plan cannot be applied.
    #[error("the plan has errors and cannot be applied")]
    PlanHasErrors,
    /// A change failed, and writing the state afterwards failed too.
    #[error("{failure}; writing the state afterwards failed too: {source}")]
    StateAfterFailure {
        /// The change's failure.
        failure: Box<Error>,
        /// Why the state could not be written.
        #[source]
        source: Box<crate::state::Error>,
    },
}

impl Error {
    /// Whether the state file could not be written (it may lag the org).
    #[must_use]
    pub fn state_not_written(&self) -> bool {
        matches!(self, Self::State { .. } | Self::StateAfterFailure { .. })
    }
}

/// After a failed change: writes the state (what succeeded before the failure, and the
/// journal of the failing create); when that write fails too, both are reported.
async fn save_after_failure<S: StateStore>(state: &mut State, store: &mut S, failure: Error) -> Error {
    match store.save_now(state).await {
        Ok(()) => failure,
        Err(source) => Error::StateAfterFailure { failure: Box::new(failure), source: Box::new(source) },
    }
}

/// What happened to one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Created with this id.
    Created(String),
    /// Adopted an action an interrupted run had created.
    Adopted(String),
    /// Updated to this version.
    Updated(i64),
    /// Replaced: the new id.
    Replaced(String),
    /// Deleted (or found gone).
    Deleted,
    /// Recorded in state only.
    Recorded,
    /// An integration step.
    Integration(integrations::IntegrationOutcome),
}

/// One step of an apply, for progress reporting.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// `integration` or `action`.
    pub kind: &'static str,
    /// Manifest name.
    pub name: &'a str,
    /// Kind of change.
    pub op: Op,
    /// A note on a step in flight (a function's code upload and its status), reported with
    /// no outcome between the step's start and its end.
    pub detail: Option<&'a str>,
}

/// The zipped code of the function actions a plan uploads, by change name: the operation
/// layer zips each source and checks it against the plan's hash ([`uploads`] says which).
pub type Code = BTreeMap<String, Vec<u8>>;

/// Whether applying `c` uploads a function's code: a function action created (or replaced),
/// or updated with a code change.
#[must_use]
pub fn uploads(c: &Change) -> bool {
    c.function.is_some()
        && match c.action {
            Action::Create | Action::Replace | Action::AdoptReplace => true,
            Action::Update | Action::AdoptUpdate => {
                c.fields.iter().any(|f| f.path == crate::plan::function::CODE_FIELD)
            }
            _ => false,
        }
}

/// What every action step of one run shares.
struct Run<'a> {
    /// Names the state's pending-create journal held before this run journaled its own
    /// creates: a draft of such a name was left by an interrupted earlier apply.
    earlier: BTreeSet<String>,
    /// The function code to upload.
    code: &'a Code,
}

/// Progress hook: (index from 1, total, step, outcome or `None` when starting).
pub type Progress<'a> = dyn FnMut(usize, usize, Step<'_>, Option<&Outcome>) + 'a;

/// Applies `plan`: integration creates and updates, then actions, then integration deletes.
/// State is saved through `store` after every remote mutation. `env` reads credential
/// values (checked against the plan's hashes).
#[allow(clippy::too_many_arguments)] // the inputs of one apply, each distinct
pub async fn apply<R: Remote, S: StateStore>(
    plan: &Plan,
    state: &mut State,
    store: &mut S,
    remote: &R,
    env: &dyn Fn(&str) -> Option<String>,
    code: &Code,
    progress: &mut Progress<'_>,
) -> Result<Vec<(String, Outcome)>, (Vec<(String, Outcome)>, Error)> {
    let mut done = Vec::new();
    if !plan.errors.is_empty() {
        return Err((done, Error::PlanHasErrors));
    }
    use crate::plan::integrations::IntegrationAction as IA;
    // Integrations are created, updated and adopted before the actions that use them, and
    // deleted after the actions that used them.
    let integrations_first: Vec<&crate::plan::integrations::IntegrationChange> = plan
        .integrations
        .iter()
        .filter(|i| matches!(i.action, IA::Create | IA::Update | IA::Adopt | IA::AdoptUpdate))
        .collect();
    let integrations_last: Vec<&crate::plan::integrations::IntegrationChange> =
        plan.integrations.iter().filter(|i| matches!(i.action, IA::Delete | IA::Forget)).collect();
    let mut ranked: Vec<(u8, &Change)> =
        plan.changes.iter().filter_map(|c| c.action.apply_rank().map(|r| (r, c))).collect();
    ranked.sort_by(|(ra, a), (rb, b)| ra.cmp(rb).then_with(|| a.name.cmp(&b.name)));
    let ordered: Vec<&Change> = ranked.into_iter().map(|(_, c)| c).collect();
    // Every credential value is read and checked against the plan (once) before the first
    // mutation, so a saved plan with one changed secret applies nothing rather than half.
    let mut bodies = std::collections::BTreeMap::new();
    for ic in integrations_first.iter().filter(|ic| ic.action != IA::Adopt) {
        let Some(spec) = &ic.desired else { return Err((done, Error::Corrupt(ic.name.clone()))) };
        match integrations::credential_body(ic, spec, env) {
            Ok(body) => bodies.insert(ic.name.as_str(), body),
            Err(e) => return Err((done, e)),
        };
    }
    let total = integrations_first.len() + ordered.len() + integrations_last.len();
    let mut i = 0;
    for ic in integrations_first {
        i += 1;
        let step = Step { kind: "integration", name: &ic.name, op: ic.op(), detail: None };
        progress(i, total, step, None);
        let r = if ic.action == IA::Adopt {
            integrations::record(ic, state, store).await
        } else {
            let body = bodies.remove(ic.name.as_str()).flatten();
            integrations::apply_one(ic, state, store, remote, body).await
        };
        match r {
            Ok(o) => {
                let o = Outcome::Integration(o);
                progress(i, total, step, Some(&o));
                done.push((ic.name.clone(), o));
            }
            Err(e) => return Err((done, save_after_failure(state, store, e).await)),
        }
    }
    let run = Run { earlier: state.pending.iter().map(|p| p.name.clone()).collect(), code };
    // Journal every action create of the run before its first mutation (one state write): a
    // crash at any later point leaves enough behind to adopt what the org created.
    let mut journaled = Vec::new();
    for c in
        ordered.iter().filter(|c| matches!(c.action, Action::Create | Action::Replace | Action::AdoptReplace))
    {
        let (spec, _) = match desired_spec(c, state) {
            Ok(x) => x,
            Err(e) => return Err((done, e)),
        };
        state.pending.retain(|p| p.name != c.name);
        state.pending.push(PendingCreate {
            name: c.name.clone(),
            integration_id: spec.integration,
            integration: c.integration.clone(),
            zip_sha256: c.function.as_ref().map(|f| f.zip_sha256.clone()),
        });
        journaled.push(c.name.clone());
    }
    if !journaled.is_empty()
        && let Err(e) = save_now(state, store, "(journal)").await
    {
        return Err((done, e));
    }
    let mut batched = Batched::new(store);
    for c in ordered {
        i += 1;
        let step = Step { kind: "action", name: &c.name, op: c.op(), detail: None };
        progress(i, total, step, None);
        let notes = std::cell::RefCell::new(&mut *progress);
        let note = |text: &str| {
            if let Ok(mut p) = notes.try_borrow_mut() {
                p(i, total, Step { detail: Some(text), ..step }, None);
            }
        };
        match apply_one(c, state, &mut batched, remote, &run, &note).await {
            Ok(outcome) => {
                progress(i, total, step, Some(&outcome));
                done.push((c.name.clone(), outcome));
            }
            Err(e) => {
                // Creates never attempted are not in flight; only the failing one may be.
                state.pending.retain(|p| p.name == c.name);
                return Err((done, save_after_failure(state, &mut batched, e).await));
            }
        }
    }
    if let Err(source) = batched.flush(state).await {
        return Err((
            done,
            Error::State { name: "(after the last action)".into(), source: Box::new(source) },
        ));
    }
    for ic in integrations_last {
        i += 1;
        let step = Step { kind: "integration", name: &ic.name, op: ic.op(), detail: None };
        progress(i, total, step, None);
        match integrations::delete(ic, state, store, remote).await {
            Ok(o) => {
                let o = Outcome::Integration(o);
                progress(i, total, step, Some(&o));
                done.push((ic.name.clone(), o));
            }
            Err(e) => return Err((done, e)),
        }
    }
    Ok(done)
}

/// The desired spec and its `PostActionInput` JSON, with an integration this run created
/// (pending in the plan) replaced by its id.
fn desired_spec(c: &Change, state: &State) -> Result<(ActionSpec, Value), Error> {
    let mut v = c
        .desired
        .as_ref()
        .map(crate::plan::DesiredJson::value)
        .ok_or_else(|| Error::Corrupt(c.name.clone()))?;
    let mut spec = crate::plan::spec_from_post_json(&v).ok_or_else(|| Error::Corrupt(c.name.clone()))?;
    if let crate::plan::IntegrationRef::Pending(name) =
        crate::plan::IntegrationRef::from_wire(&spec.integration)
    {
        let id = state.integrations.get(&name).map(|t| t.id.clone()).ok_or_else(|| Error::Stale {
            name: c.name.clone(),
            message: format!("integration `{name}` was not created"),
        })?;
        spec.integration = id.clone();
        v["integrationId"] = Value::String(id);
    }
    Ok((spec, v))
}

pub(crate) async fn save<S: StateStore>(state: &mut State, store: &mut S, name: &str) -> Result<(), Error> {
    store
        .save(state)
        .await
        .map_err(|source| Error::State { name: name.to_string(), source: Box::new(source) })
}

/// [`save`], never deferred.
pub(crate) async fn save_now<S: StateStore>(
    state: &mut State,
    store: &mut S,
    name: &str,
) -> Result<(), Error> {
    store
        .save_now(state)
        .await
        .map_err(|source| Error::State { name: name.to_string(), source: Box::new(source) })
}

fn remote_err(name: &str) -> impl Fn(RemoteError) -> Error + '_ {
    move |source| Error::Remote { name: name.to_string(), source }
}

async fn apply_one<R: Remote, S: StateStore>(
    c: &Change,
    state: &mut State,
    store: &mut S,
    remote: &R,
    run: &Run<'_>,
    note: &dyn Fn(&str),
) -> Result<Outcome, Error> {
    if c.function.is_some() && c.action != Action::NoOp {
        return function::apply_one(c, state, store, remote, run, note).await;
    }
    match c.action {
        // Impossible: `apply` never ranks a no-op (`Action::apply_rank`); a caller that
        // bypassed the ordering is refused rather than guessed at.
        Action::NoOp => Err(Error::Corrupt(c.name.clone())),
        Action::Record | Action::Adopt => {
            let (spec, _) = desired_spec(c, state)?;
            let id = c.id.clone().ok_or_else(|| Error::Corrupt(c.name.clone()))?;
            state.pending.retain(|p| p.name != c.name);
            move_entry(state, c);
            state.actions.insert(
                c.name.clone(),
                TrackedAction::from_spec(&id, c.version.unwrap_or(0), &c.integration, &spec),
            );
            save(state, store, &c.name).await?;
            Ok(if c.adopt() { Outcome::Adopted(id) } else { Outcome::Recorded })
        }
        Action::Create => create(c, state, store, remote)
            .await
            .map(|(id, adopted)| if adopted { Outcome::Adopted(id) } else { Outcome::Created(id) }),
        Action::Replace | Action::AdoptReplace => {
            delete_for_replace(c, state, store, remote).await?;
            let (id, _) = create(c, state, store, remote).await?;
            Ok(Outcome::Replaced(id))
        }
        Action::Update | Action::AdoptUpdate => {
            let (spec, desired) = desired_spec(c, state)?;
            let id = c.id.clone().ok_or_else(|| Error::Corrupt(c.name.clone()))?;
            if c.action == Action::AdoptUpdate {
                state.pending.retain(|p| p.name != c.name);
                state.actions.insert(
                    c.name.clone(),
                    TrackedAction::from_spec(&id, c.version.unwrap_or(0), &c.integration, &spec),
                );
                save(state, store, &c.name).await?;
            }
            let body = json!({
                "name": desired.get("name"),
                "category": desired.get("category"),
                "config": desired.get("config"),
                "version": c.version,
            });
            let version = match remote.patch_action(&id, &body).await {
                Ok(a) => a.version,
                Err(RemoteError::VersionConflict(e)) => {
                    // The version moved. If the org now holds exactly the desired action, our
                    // own PATCH landed and only its answer was lost (the client retried it):
                    // record it. Anyone else's change is a conflict for a new plan.
                    let live = remote.get_action_full(&id).await.map_err(remote_err(&c.name))?;
                    if crate::model::digest::digest(&live.to_spec()) != crate::model::digest::digest(&spec) {
                        return Err(Error::Remote {
                            name: c.name.clone(),
                            source: RemoteError::VersionConflict(e),
                        });
                    }
                    live.version
                }
                Err(e) => return Err(Error::Remote { name: c.name.clone(), source: e }),
            };
            move_entry(state, c);
            state
                .actions
                .insert(c.name.clone(), TrackedAction::from_spec(&id, version, &c.integration, &spec));
            save(state, store, &c.name).await?;
            Ok(Outcome::Updated(version))
        }
        Action::Delete | Action::Forget => delete(c, state, store, remote).await,
    }
}

/// The first half of a replace, the same for every kind of action: the old action is deleted
/// and retired, and its state entry (a renamed one's too) goes in one write.
async fn delete_for_replace<R: Remote, S: StateStore>(
    c: &Change,
    state: &mut State,
    store: &mut S,
    remote: &R,
) -> Result<(), Error> {
    if let Some(id) = &c.id {
        remote.delete_action(id).await.map_err(remote_err(&c.name))?;
        state.retire(&c.name, id);
    }
    state.actions.remove(&c.name);
    // A renamed action being replaced: its old entry points at the id just deleted.
    move_entry(state, c);
    save(state, store, &c.name).await
}

/// A delete (or, already gone, only the state entry): the same for every kind of action.
async fn delete<R: Remote, S: StateStore>(
    c: &Change,
    state: &mut State,
    store: &mut S,
    remote: &R,
) -> Result<Outcome, Error> {
    if c.action == Action::Delete
        && let Some(id) = &c.id
    {
        remote.delete_action(id).await.map_err(remote_err(&c.name))?;
    }
    // Deleted now or found gone: flows may still use it (`drift` reports them).
    if let Some(id) = &c.id {
        state.retire(&c.name, id);
    }
    state.actions.remove(&c.name);
    save(state, store, &c.name).await?;
    Ok(Outcome::Deleted)
}

/// Creates with the pending journal; resolves unknown outcomes by looking. Returns the id
/// and whether it was adopted.
async fn create<R: Remote, S: StateStore>(
    c: &Change,
    state: &mut State,
    store: &mut S,
    remote: &R,
) -> Result<(String, bool), Error> {
    let (spec, desired) = desired_spec(c, state)?;
    // Normally journaled up front by `apply`; never create without a journal entry.
    if !state.pending.iter().any(|p| p.name == c.name && p.integration_id == spec.integration) {
        state.pending.retain(|p| p.name != c.name);
        state.pending.push(PendingCreate {
            name: c.name.clone(),
            integration_id: spec.integration.clone(),
            integration: c.integration.clone(),
            zip_sha256: None,
        });
        save_now(state, store, &c.name).await?;
    }
    let mut last = None;
    for _ in 0..CREATE_ATTEMPTS {
        match remote.create_action(&desired).await {
            Ok(a) => {
                record(state, c, &spec, &a.id, a.version);
                save(state, store, &c.name).await?;
                return Ok((a.id, false));
            }
            Err(e @ RemoteError::Ambiguous { .. }) => {
                // The create may or may not have happened: look before trying again.
                // By the action's own name (the change's name is its address).
                let found = remote.find_actions_by_name(&spec.name).await.map_err(remote_err(&c.name))?;
                if let Some(a) = found.into_iter().find(|a| a.integration_id == spec.integration) {
                    record(state, c, &spec, &a.id, a.version);
                    save(state, store, &c.name).await?;
                    return Ok((a.id, true));
                }
                last = Some(e);
            }
            Err(e) => {
                state.pending.retain(|p| p.name != c.name);
                save(state, store, &c.name).await?;
                return Err(Error::Remote { name: c.name.clone(), source: e });
            }
        }
    }
    Err(Error::Remote {
        name: c.name.clone(),
        source: last.unwrap_or(RemoteError::Transport {
            method: "POST".into(),
            path: "/api/v2/integrations/actions".into(),
            message: "create failed".into(),
        }),
    })
}

/// A rename (`renamedFrom`): the old name's entry goes in the same state write that records
/// the new one, so no crash can leave two entries owning one action.
fn move_entry(state: &mut State, c: &Change) {
    if let Some(old) = &c.moved_from {
        state.actions.remove(old);
    }
}

fn record(state: &mut State, c: &Change, spec: &ActionSpec, id: &str, version: i64) {
    state.pending.retain(|p| p.name != c.name);
    move_entry(state, c);
    state.actions.insert(c.name.clone(), TrackedAction::from_spec(id, version, &c.integration, spec));
}

#[cfg(test)]
mod scripted_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn failure() -> Error {
        Error::Stale { name: "A".into(), message: "it moved".into() }
    }

    #[test]
    fn a_failed_change_keeps_its_error_when_the_state_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let mut state = State::load(&p).unwrap();
        state.pending.push(PendingCreate {
            name: "A".into(),
            integration_id: "i".into(),
            integration: "I".into(),
            zip_sha256: None,
        });
        let e = futures_util::FutureExt::now_or_never(save_after_failure(
            &mut state,
            &mut crate::state::store::FileStore::new(p.clone()),
            failure(),
        ))
        .unwrap();
        assert!(matches!(e, Error::Stale { .. }), "{e}");
        assert!(!e.state_not_written());
        assert!(std::fs::read_to_string(&p).unwrap().contains("\"pending\""), "the journal was written");
    }

    #[test]
    fn a_failed_state_write_after_a_failed_change_reports_both() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let mut state = State::load(&p).unwrap();
        state.pending.push(PendingCreate {
            name: "A".into(),
            integration_id: "i".into(),
            integration: "I".into(),
            zip_sha256: None,
        });
        // The state's "directory" is a regular file: the write cannot succeed (root ignores
        // permissions, and a missing directory would be created).
        std::fs::write(dir.path().join("file"), "x").unwrap();
        let gone = dir.path().join("file").join("s.json");
        let e = futures_util::FutureExt::now_or_never(save_after_failure(
            &mut state,
            &mut crate::state::store::FileStore::new(gone),
            failure(),
        ))
        .unwrap();
        assert!(e.state_not_written(), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("it moved") && text.contains("writing the state afterwards failed too"),
            "{text}"
        );
        let cli = crate::exit::CliError::from(e);
        assert!(cli.hint.as_deref().is_some_and(|h| h.contains("could not be written")), "{cli:?}");
    }
}
