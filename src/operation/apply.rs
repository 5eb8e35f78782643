//! The apply operation: get the plan to apply (a saved plan checked for freshness, or a
//! fresh plan) and carry it out, persisting the state through the session's store.
//!
//! Owns: the freshness check of a saved plan against the org, the state, the manifests and
//! the flows using the actions it deletes or replaces (before anything is changed), a first apply keeping a saved plan's lineage, and the
//! state-only apply of a plan that changes nothing in the org.
//! Must not: ask for confirmation, print (progress goes to the caller's hook) or decide exit
//! codes.

use super::plan::{self as plan_op, Request};
use super::refresh;
use super::session::Session;
use crate::apply::{self, Outcome, Progress};
use crate::exit::CliError;
use crate::plan::file::SavedPlan;
use crate::plan::{Plan, render};

/// Where the plan to apply comes from.
pub enum Source<'a> {
    /// A plan saved by `plan --out`, made from manifests whose digest is given.
    Saved {
        /// The plan.
        plan: &'a SavedPlan,
        /// The digest of the manifests as they are now.
        input_digest: &'a str,
    },
    /// Plan now.
    Fresh(Box<Request>),
}

/// The plan to apply and its render context. A saved plan is refused when the state, the
/// org, the manifests or an action it touches moved since it was made.
pub async fn prepare(
    session: &mut Session,
    source: Source<'_>,
    environment: Option<String>,
    env: &dyn Fn(&str) -> Option<String>,
    secret: &dyn Fn(&str),
) -> Result<(Plan, render::Context), CliError> {
    match source {
        Source::Saved { plan, input_digest } => {
            let live: Vec<_> = match session.take_listed() {
                Some(listed) => listed,
                None => session.org.client.list_actions().await?.iter().map(refresh::summary).collect(),
            };
            plan.check_fresh(&session.state, &session.org_ref, input_digest, environment.as_deref(), &live)?;
            // Flows may have started using an action the plan deletes or replaces.
            let impacts = plan_op::read_impacts(&session.org.client, &plan.plan, &live).await?;
            let why = crate::plan::impact::stale(&plan.plan, &impacts);
            if !why.is_empty() {
                return Err(crate::plan::file::Error::Stale(why).into());
            }
            if session.state.serial == 0 {
                // First apply of a plan made without a state: keep the plan's lineage.
                session.state.lineage = plan.lineage.clone();
            }
            Ok((plan.plan.clone(), session.render_context(environment)))
        }
        Source::Fresh(request) => {
            let planned = plan_op::plan(session, *request, env, secret).await?;
            Ok((planned.plan, planned.ctx))
        }
    }
}

/// Applies `plan` in the session (see [`crate::apply::apply`]), with the code of the
/// function actions it uploads ([`function_code`]).
pub async fn apply(
    session: &mut Session,
    plan: &Plan,
    env: &dyn Fn(&str) -> Option<String>,
    progress: &mut Progress<'_>,
) -> Result<Vec<(String, Outcome)>, (Vec<(String, Outcome)>, apply::Error)> {
    let code = function_code(plan).map_err(|e| (Vec::new(), e))?;
    let Session { org, state, store, .. } = session;
    apply::apply(plan, state, store, &org.client, env, &code, progress).await
}

/// Zips the source of every function action `plan` uploads, before anything is changed,
/// and refuses code that is not the code the plan showed (its hash differs: the source
/// changed since a saved plan was made).
pub fn function_code(plan: &Plan) -> Result<apply::Code, apply::Error> {
    let mut out = apply::Code::new();
    for c in plan.changes.iter().filter(|c| apply::uploads(c)) {
        let Some(f) = &c.function else { return Err(apply::Error::Corrupt(c.name.clone())) };
        let zip = crate::function::zip::load(std::path::Path::new(&f.source), &f.exclude).map_err(|e| {
            apply::Error::Stale {
                name: c.name.clone(),
                message: format!("cannot read the function's code: {e}"),
            }
        })?;
        if zip.sha256 != f.zip_sha256 {
            return Err(apply::Error::CodeChanged {
                name: c.name.clone(),
                source_path: f.source.clone(),
                planned: crate::plan::function::short_hash(&serde_json::json!(f.zip_sha256)),
                now: crate::plan::function::short_hash(&serde_json::json!(zip.sha256)),
            });
        }
        out.insert(c.name.clone(), zip.bytes);
    }
    Ok(out)
}

/// For a plan without changes in the org: brings the state's records up to date (a live
/// version that moved while the definition stayed equal, an adopted interrupted create).
/// Returns whether anything was recorded.
pub async fn record_only(session: &mut Session, plan: &Plan) -> Result<bool, CliError> {
    if !plan.needs_state_write() {
        return Ok(false);
    }
    let mut quiet = |_: usize, _: usize, _: apply::Step<'_>, _: Option<&Outcome>| {};
    let no_env = |_: &str| None;
    apply(session, plan, &no_env, &mut quiet).await.map_err(|(_, e)| CliError::from(e))?;
    Ok(true)
}
