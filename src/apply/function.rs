//! Apply for function data actions: the platform's lifecycle instead of `POST /actions` and
//! `PATCH /actions/{id}`.
//!
//! Owns: a create (a draft — or the draft an interrupted earlier apply of this name left,
//! which the journal proves is gcsync's — then its function settings, the code upload with
//! a bounded wait for `Available`, and publishing with the draft's version), an update (a
//! draft made from the published action after discarding a stale draft of it, the changed
//! definition with the platform's request URL kept, the settings, the code when it changed,
//! publish), a replace (delete, then create), and the state record with the function's
//! settings and code hash. A draft of this name that gcsync did not journal is never taken
//! over.
//! Must not: zip code (the operation layer hands the bytes over), print (notes go to the
//! caller's hook), re-plan.

use super::{
    CREATE_ATTEMPTS, Error, Outcome, Run, StateStore, desired_spec, move_entry, remote_err, save, save_now,
};
use crate::model::ActionSpec;
use crate::plan::function::FunctionPlan;
use crate::plan::{Action, Change};
use crate::remote::{Error as RemoteError, Remote};
use crate::state::{PendingCreate, State, TrackedAction};
use serde_json::{Value, json};

/// Applies one change of a function action.
pub(super) async fn apply_one<R: Remote, S: StateStore>(
    c: &Change,
    state: &mut State,
    store: &mut S,
    remote: &R,
    run: &Run<'_>,
    note: &dyn Fn(&str),
) -> Result<Outcome, Error> {
    let f = c.function.as_ref().ok_or_else(|| Error::Corrupt(c.name.clone()))?;
    match c.action {
        // Impossible: the caller never hands a no-op over (see `super::apply_one`).
        Action::NoOp => Err(Error::Corrupt(c.name.clone())),
        Action::Record | Action::Adopt => {
            let (spec, _) = desired_spec(c, state)?;
            let id = c.id.clone().ok_or_else(|| Error::Corrupt(c.name.clone()))?;
            record(state, c, f, &spec, &id, c.version.unwrap_or(0));
            save(state, store, &c.name).await?;
            Ok(if c.adopt() { Outcome::Adopted(id) } else { Outcome::Recorded })
        }
        Action::Create => create(c, f, state, store, remote, run, note)
            .await
            .map(|(id, adopted)| if adopted { Outcome::Adopted(id) } else { Outcome::Created(id) }),
        Action::Replace | Action::AdoptReplace => {
            super::delete_for_replace(c, state, store, remote).await?;
            let (id, _) = create(c, f, state, store, remote, run, note).await?;
            Ok(Outcome::Replaced(id))
        }
        Action::Update | Action::AdoptUpdate => {
            let (spec, desired) = desired_spec(c, state)?;
            let id = c.id.clone().ok_or_else(|| Error::Corrupt(c.name.clone()))?;
            if c.action == Action::AdoptUpdate {
                // Owned from here on (with the code unknown until this update uploads it).
                let mut t = TrackedAction::from_spec(&id, c.version.unwrap_or(0), &c.integration, &spec);
                t.function = Some(crate::state::TrackedFunction { zip_sha256: None, ..f.tracked() });
                state.pending.retain(|p| p.name != c.name);
                state.actions.insert(c.name.clone(), t);
                save(state, store, &c.name).await?;
            }
            // A draft of this owned action left by an interrupted apply (or by hand) would
            // make the platform refuse a new one: discard it, and start from the published.
            remote.delete_draft(&id).await.map_err(remote_err(&c.name))?;
            remote.draft_from_published(&id).await.map_err(remote_err(&c.name))?;
            let definition_changed = c.fields.iter().any(|f| !f.path.starts_with("function."));
            if definition_changed {
                patch_definition(c, remote, &id, &desired).await?;
            }
            let code = super::uploads(c).then(|| code_of(c, run)).transpose()?;
            let version = finish(c, f, remote, &id, code, note).await?;
            record(state, c, f, &spec, &id, version);
            save(state, store, &c.name).await?;
            Ok(Outcome::Updated(version))
        }
        Action::Delete | Action::Forget => super::delete(c, state, store, remote).await,
    }
}

/// The zip to upload for `c` (the operation layer provides one for every change that
/// uploads; a missing one is a caller's bug, refused rather than guessed at).
fn code_of<'a>(c: &Change, run: &'a Run<'_>) -> Result<&'a [u8], Error> {
    run.code.get(&c.name).map(Vec::as_slice).ok_or_else(|| Error::Stale {
        name: c.name.clone(),
        message: "the function's code was not prepared for this apply".into(),
    })
}

/// Creates the action as a draft (or takes over the draft an interrupted earlier apply of
/// this name left), then finishes it. Returns the id and whether a draft was taken over.
async fn create<R: Remote, S: StateStore>(
    c: &Change,
    f: &FunctionPlan,
    state: &mut State,
    store: &mut S,
    remote: &R,
    run: &Run<'_>,
    note: &dyn Fn(&str),
) -> Result<(String, bool), Error> {
    let (spec, desired) = desired_spec(c, state)?;
    let code = code_of(c, run)?;
    // Normally journaled up front by `apply`; never create without a journal entry.
    if !state.pending.iter().any(|p| p.name == c.name && p.integration_id == spec.integration) {
        state.pending.retain(|p| p.name != c.name);
        state.pending.push(PendingCreate {
            name: c.name.clone(),
            integration_id: spec.integration.clone(),
            integration: c.integration.clone(),
            zip_sha256: Some(f.zip_sha256.clone()),
        });
        save_now(state, store, &c.name).await?;
    }
    let (id, adopted) = match drafts_named(remote, c, &spec).await?.as_slice() {
        [] => (create_draft(c, remote, &spec, &desired).await?, false),
        [one] if run.earlier.contains(&c.name) => {
            note("taking over the draft an interrupted earlier apply created");
            patch_definition(c, remote, one, &desired).await?;
            (one.clone(), true)
        }
        found => {
            return Err(Error::Stale {
                name: c.name.clone(),
                message: format!(
                    "integration `{}` already holds an unpublished draft named `{}` ({}) that gcsync did not create; publish or delete it in Genesys, or rename the manifest",
                    c.integration,
                    spec.name,
                    found.iter().map(|i| format!("id `{i}`")).collect::<Vec<_>>().join(", ")
                ),
            });
        }
    };
    let version = finish(c, f, remote, &id, Some(code), note).await?;
    record(state, c, f, &spec, &id, version);
    save(state, store, &c.name).await?;
    Ok((id, adopted))
}

/// Ids of the drafts named like `spec` in its integration.
async fn drafts_named<R: Remote>(remote: &R, c: &Change, spec: &ActionSpec) -> Result<Vec<String>, Error> {
    Ok(remote
        .find_drafts_by_name(&spec.name)
        .await
        .map_err(remote_err(&c.name))?
        .into_iter()
        .filter(|a| a.integration_id == spec.integration)
        .map(|a| a.id)
        .collect())
}

/// `POST /actions/drafts`; an answer lost on the way is resolved by looking the draft up.
async fn create_draft<R: Remote>(
    c: &Change,
    remote: &R,
    spec: &ActionSpec,
    desired: &Value,
) -> Result<String, Error> {
    let mut last = None;
    for _ in 0..CREATE_ATTEMPTS {
        match remote.create_draft(desired).await {
            Ok(a) => return Ok(a.id),
            Err(e @ RemoteError::Ambiguous { .. }) => {
                if let [one] = drafts_named(remote, c, spec).await?.as_slice() {
                    return Ok(one.clone());
                }
                last = Some(e);
            }
            Err(e) => return Err(Error::Remote { name: c.name.clone(), source: e }),
        }
    }
    Err(Error::Remote {
        name: c.name.clone(),
        source: last.unwrap_or(RemoteError::Transport {
            method: "POST".into(),
            path: "/api/v2/integrations/actions/drafts".into(),
            message: "create failed".into(),
        }),
    })
}

/// Sets the draft's definition to the desired one, keeping the request URL the platform
/// generated for it.
async fn patch_definition<R: Remote>(c: &Change, remote: &R, id: &str, desired: &Value) -> Result<(), Error> {
    let draft = remote.get_draft(id).await.map_err(remote_err(&c.name))?;
    // `desired_spec` read this JSON's config already: a plan without one never gets here.
    let mut config = desired.get("config").cloned().ok_or_else(|| Error::Corrupt(c.name.clone()))?;
    if let Some(url) = draft.config.as_ref().map(|cfg| cfg.request.request_url_template.clone())
        && let Some(request) = config.get_mut("request").and_then(Value::as_object_mut)
    {
        request.insert("requestUrlTemplate".into(), Value::String(url));
    }
    let body = json!({
        "name": desired.get("name"),
        "category": desired.get("category"),
        "config": config,
        "version": draft.version,
    });
    remote.patch_draft(id, &body).await.map_err(remote_err(&c.name))?;
    Ok(())
}

/// The draft's function settings, its code (when given), then publish with the draft's
/// current version. Returns the published version.
async fn finish<R: Remote>(
    c: &Change,
    f: &FunctionPlan,
    remote: &R,
    id: &str,
    code: Option<&[u8]>,
    note: &dyn Fn(&str),
) -> Result<i64, Error> {
    remote.put_draft_function(id, &f.settings_json()).await.map_err(remote_err(&c.name))?;
    if let Some(zip) = code {
        note(&format!("uploading the code ({} KiB)", zip.len().div_ceil(1024)));
        let status = |s: &str| note(&format!("code {s}"));
        remote
            .upload_function_code(id, &format!("{id}.zip"), zip.to_vec(), &status)
            .await
            .map_err(remote_err(&c.name))?;
    }
    let draft = remote.get_draft(id).await.map_err(remote_err(&c.name))?;
    match remote.publish_draft(id, draft.version).await {
        Ok(a) => Ok(a.version),
        // The publish may have happened: the published action says.
        Err(RemoteError::Ambiguous { .. }) => {
            Ok(remote.get_action(id).await.map_err(remote_err(&c.name))?.version)
        }
        Err(e) => Err(Error::Remote { name: c.name.clone(), source: e }),
    }
}

/// The state's entry of an applied function action (its journal entry done).
fn record(state: &mut State, c: &Change, f: &FunctionPlan, spec: &ActionSpec, id: &str, version: i64) {
    state.pending.retain(|p| p.name != c.name);
    move_entry(state, c);
    let mut t = TrackedAction::from_spec(id, version, &c.integration, spec);
    t.function = Some(f.tracked());
    state.actions.insert(c.name.clone(), t);
}
