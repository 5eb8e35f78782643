//! The plan operation: refresh the org for the manifests, then plan (pure core).
//!
//! Owns: turning a request (manifests, targets, refresh depth, replace and flow-breaking
//! allowances) into a [`Planned`] within an open session, and reading the flow impact of the
//! actions a plan deletes or replaces ([`read_impacts`]: nothing for a plan without such a
//! change; else one dependency build check and two consumer queries per such action), which
//! the pure `plan::impact::annotate` turns into consumers, reasons and errors.
//! Must not: print, save plan files (the command does, with the printer's messages) or
//! decide exit codes.

use super::refresh::{self, Refresh};
use super::session::Session;
use crate::exit::CliError;
use crate::impact::{Allowance, Impact};
use crate::manifest::ManifestSet;
use crate::plan::{self, Plan, render};
use crate::remote::Client;
use std::collections::{BTreeMap, BTreeSet};

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
    /// `--allow-breaking-flows NAME` (repeatable).
    pub allow_breaking_flows: Vec<String>,
    /// How hints spell the command (`gcsync`, `gcsync --local`, `gcsync --env NAME`).
    pub gcsync: String,
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
    let Request { manifests, targets, refresh, allow_replace, allow_breaking_flows, gcsync, environment } =
        request;
    let opts = plan::Options { targets, allow_replace, full_refresh: refresh == Refresh::Full };
    let refreshed =
        refresh::refresh(&session.org.client, session.take_listed(), manifests, &session.state, &opts, env)
            .await?;
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
    let impacts = read_impacts(&session.org.client, &plan, &refreshed.live.summaries).await?;
    let manifest_allows: BTreeSet<String> =
        refreshed.desired.iter().filter(|d| d.allow_breaking_flows).map(|d| d.name.clone()).collect();
    let allowance = Allowance::new(allow_breaking_flows.into_iter().chain(manifest_allows.iter().cloned()));
    let plan = plan::impact::annotate(plan, &impacts, &allowance, &manifest_allows, &gcsync);
    let ctx = session.render_context(environment);
    Ok(Planned { plan, ctx, live: refreshed.live.summaries })
}

/// The flow impact of every action `plan` deletes or replaces, by manifest name: no call for a
/// plan without such a change; else one dependency build check (its reasons apply to every
/// answer) and two consumer queries (published, checked in) per action. A 403 or 5xx makes an
/// impact incomplete (never empty-and-complete); other failures are errors. `live`: the org's
/// actions (whether one is secure picks `SECUREACTION`).
pub async fn read_impacts(
    client: &Client,
    plan: &Plan,
    live: &[plan::LiveSummary],
) -> Result<BTreeMap<String, Impact>, CliError> {
    let targets = plan::impact::targets(plan);
    let mut out = BTreeMap::new();
    if targets.is_empty() {
        return Ok(out);
    }
    let health = client.dependency_health().await?;
    for (name, id) in targets {
        let secure = live.iter().any(|s| s.id == id && s.secure);
        let mut impact = client.action_consumers(id, secure, None).await?;
        let mut incomplete = health.clone();
        incomplete.append(&mut impact.incomplete);
        impact.incomplete = incomplete;
        out.insert(name.to_string(), impact);
    }
    Ok(out)
}
