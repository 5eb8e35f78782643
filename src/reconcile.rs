//! The workflow shared by `plan`, `apply`, `drift` and `import`: check the org, read the
//! live actions (refresh), resolve integrations, and build the plan's inputs.
//!
//! Owns: the refresh strategy — incremental by default (list calls at the largest page
//! size give ids and versions; full definitions only for actions whose version moved since
//! the last apply, whose manifest changed, or an interrupted create left behind;
//! integration names resolved from the state's cache when every name is known) or
//! `--refresh full` (every owned action read in full, integrations listed) — and the org
//! check that refuses a state of another org.
//! Must not: decide changes (plan does), mutate the org (apply does) or print.

use crate::manifest::ManifestSet;
use crate::model::Action;
use crate::plan::{self, Desired, Live, LiveSummary};
use crate::remote::{Client, Error as RemoteError, client::resolve_integration};
use crate::state::{OrgRef, State};
use std::collections::BTreeMap;

/// How much to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Refresh {
    /// Lists, plus full reads only where something may have changed.
    #[default]
    Incremental,
    /// Read every owned action in full and re-resolve integrations.
    Full,
}

/// Refresh failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An API call failed.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The state belongs to another org.
    #[error(transparent)]
    State(#[from] crate::state::Error),
}

/// Who the target org is.
pub async fn org_ref(client: &Client) -> Result<(OrgRef, String), Error> {
    let me = client.org().await?;
    Ok((OrgRef { api_host: client.target().api_host(), org_id: me.id }, me.name))
}

/// A live action's summary.
#[must_use]
pub fn summary(a: &Action) -> LiveSummary {
    LiveSummary {
        id: a.id.clone(),
        name: a.name.clone(),
        integration_id: a.integration_id.clone(),
        version: a.version,
    }
}

/// Everything the plan needs, read from the org.
pub struct Refreshed {
    /// Desired actions with integrations resolved.
    pub desired: Vec<Desired>,
    /// Live data.
    pub live: Live,
}

/// Reads the org for a plan over `manifests`.
pub async fn refresh(
    client: &Client,
    manifests: ManifestSet,
    state: &State,
    opts: &plan::Options,
) -> Result<Refreshed, Error> {
    let actions = client.list_actions().await?;
    let summaries: Vec<LiveSummary> = actions.iter().map(summary).collect();
    drop(actions);
    // Each manifest is dropped once compiled, which keeps a plan over thousands of actions small.
    let specs: Vec<(String, String, bool, crate::model::ActionSpec)> = manifests
        .actions
        .into_iter()
        .map(|m| {
            let spec = crate::manifest::compile::compile(&m);
            (m.name.value, m.integration.value, m.allow_replace, spec)
        })
        .collect();
    let names: std::collections::BTreeSet<&str> = specs.iter().map(|(_, i, _, _)| i.as_str()).collect();
    let cached: BTreeMap<&str, Option<String>> =
        names.iter().map(|n| (*n, state.cached_integration(n))).collect();
    let resolved: BTreeMap<String, String> = if !opts.full_refresh && cached.values().all(Option::is_some) {
        cached.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), v))).collect()
    } else {
        let all = client.list_integrations().await?;
        let mut out = BTreeMap::new();
        for n in names {
            if let Some(i) = resolve_integration(&all, n)? {
                out.insert(n.to_string(), i.id);
            }
        }
        out
    };
    let desired: Vec<Desired> = specs
        .into_iter()
        .map(|(name, integration_name, allow_replace, mut spec)| {
            spec.integration = resolved.get(&integration_name).cloned().unwrap_or_default();
            Desired { name, spec, integration_name, allow_replace }
        })
        .collect();
    let needed = plan::details_needed(&desired, state, &summaries, opts);
    let details = fetch_details(client, needed.iter().map(String::as_str)).await?;
    Ok(Refreshed { desired, live: Live { summaries, details } })
}

/// Full definitions (templates inlined) of these actions, read concurrently within the
/// client's bounds. An action that vanished meanwhile is simply absent.
pub async fn fetch_details<'a>(
    client: &Client,
    ids: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, crate::model::ActionSpec>, Error> {
    let futures = ids.map(|id| async move {
        match client.get_action_full(id, false).await {
            Ok(a) => Ok(Some((id.to_string(), a.to_spec()))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    });
    let results = futures_util::future::try_join_all(futures).await?;
    Ok(results.into_iter().flatten().collect())
}
