//! The plan operation: refresh the org for the manifests, then plan (pure core).
//!
//! Owns: turning a request (manifests, targets, refresh depth, replace allowance) into a
//! [`Planned`] within an open session.
//! Must not: print, save plan files (the command does, with the printer's messages) or
//! decide exit codes.

use super::refresh::{self, Refresh};
use super::session::Session;
use crate::exit::CliError;
use crate::manifest::ManifestSet;
use crate::plan::{self, Plan, render};

/// What to plan.
pub struct Request {
    /// The loaded manifests.
    pub manifests: ManifestSet,
    /// `--target` names (empty: all).
    pub targets: Vec<String>,
    /// How much to read.
    pub refresh: Refresh,
    /// `--allow-replace`.
    pub allow_replace: bool,
    /// The environment (`--env`), for the plan header.
    pub environment: Option<String>,
}

/// Everything a plan run produced.
pub struct Planned {
    /// The plan.
    pub plan: Plan,
    /// Render context.
    pub ctx: render::Context,
    /// Live summaries read.
    pub live: Vec<plan::LiveSummary>,
}

/// Refreshes and plans within an open session. `env` reads credential values from the
/// environment; `secret` hears every such value (the caller redacts them from output).
pub async fn plan(
    session: &Session,
    request: Request,
    env: &dyn Fn(&str) -> Option<String>,
    secret: &dyn Fn(&str),
) -> Result<Planned, CliError> {
    let Request { manifests, targets, refresh, allow_replace, environment } = request;
    let opts = plan::Options { targets, allow_replace, full_refresh: refresh == Refresh::Full };
    let refreshed = refresh::refresh(&session.org.client, manifests, &session.state, &opts, env).await?;
    for d in &refreshed.desired_integrations {
        for v in d.values.values().flatten() {
            secret(v);
        }
    }
    let plan = plan::plan_all(
        &refreshed.desired,
        &refreshed.desired_integrations,
        &session.state,
        &refreshed.live,
        &refreshed.live_integrations,
        &opts,
    );
    let ctx = session.render_context(environment);
    Ok(Planned { plan, ctx, live: refreshed.live.summaries })
}
