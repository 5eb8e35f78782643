//! Refresh: who the org is, what it holds (the live actions, integrations and
//! credentials), integrations resolved by name — the plan's inputs read from the org.
//!
//! Owns: the refresh strategy — incremental by default (list calls at the largest page
//! size give ids and versions; full definitions only for actions whose version moved since
//! the last apply, whose manifest changed, or an interrupted create left behind; the
//! integration list read once and every addressed integration name checked for
//! uniqueness) or `--refresh full` (every owned action read in full) — and the org
//! check that refuses a state of another org.
//! Must not: decide changes (plan does), mutate the org (apply does), touch the state or print.

use crate::manifest::ManifestSet;
use crate::model::Action;
use crate::model::integration::IntegrationSpec;
use crate::plan::function::FunctionPlan;
use crate::plan::integrations::{DesiredIntegration, LiveIntegration, LiveIntegrations};
use crate::plan::{self, Desired, IntegrationRef, Live, LiveSummary};
use crate::remote::{Error as RemoteError, Read, client::resolve_integration};
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
    /// A function action's code cannot be zipped.
    #[error("the function code of `{name}`: {source}")]
    Function {
        /// The action.
        name: String,
        /// Why.
        #[source]
        source: crate::function::zip::ZipError,
    },
}

/// Who the target org is.
pub async fn org_ref<R: Read>(client: &R) -> Result<(OrgRef, String), Error> {
    let me = client.org().await?;
    Ok((OrgRef { api_host: client.api_host(), org_id: me.id }, me.name))
}

/// The rule that two integrations sharing a name gcsync addresses are an error, checked by
/// every plan and every drift: `names` (what the manifests name or declare), the integrations
/// the state owns and the integrations its actions live in. Names gcsync never addresses may
/// repeat in the org; that is not gcsync's business.
pub fn check_unique_names<'a>(
    all: &[crate::remote::client::Integration],
    names: impl IntoIterator<Item = &'a str>,
    state: &'a State,
) -> Result<(), crate::remote::Error> {
    let addressed: std::collections::BTreeSet<&str> = names
        .into_iter()
        .chain(state.integrations.keys().map(String::as_str))
        .chain(state.actions.values().map(|a| a.integration.as_str()))
        .collect();
    for name in addressed {
        resolve_integration(all, name)?;
    }
    Ok(())
}

/// A live action's summary.
#[must_use]
pub fn summary(a: &Action) -> LiveSummary {
    LiveSummary {
        id: a.id.clone(),
        name: a.name.clone(),
        integration_id: a.integration_id.clone(),
        version: a.version,
        secure: a.secure,
    }
}

/// Everything the plan needs, read from the org.
pub struct Refreshed {
    /// Desired actions with integrations resolved.
    pub desired: Vec<Desired>,
    /// Live data.
    pub live: Live,
    /// Declared integrations with credential values resolved.
    pub desired_integrations: Vec<DesiredIntegration>,
    /// Live integrations and credentials.
    pub live_integrations: LiveIntegrations,
}

/// Reads the org for a plan over `manifests`.
pub async fn refresh<R: Read>(
    client: &R,
    listed: Option<Vec<LiveSummary>>,
    manifests: ManifestSet,
    state: &State,
    opts: &plan::Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Refreshed, Error> {
    let integration_specs: Vec<IntegrationSpec> =
        manifests.integrations.iter().map(crate::manifest::integration::compile).collect();
    // The action list the session read while opening (it proved the org), or read now.
    let summaries: Vec<LiveSummary> = match listed {
        Some(listed) => listed,
        None => client.list_actions().await?.iter().map(summary).collect(),
    };
    // Each manifest is dropped once compiled, which keeps a plan over thousands of actions small.
    // (name, integration, (allowReplace, allowBreakingFlows), renamedFrom, spec, function)
    type Compiled =
        (String, String, (bool, bool), Option<String>, crate::model::ActionSpec, Option<FunctionPlan>);
    let specs: Vec<Compiled> = manifests
        .actions
        .into_iter()
        .map(|m| {
            let spec = crate::manifest::compile::compile(&m);
            let function = m.function.as_ref().map(|f| function_plan(&m.name.value, f)).transpose()?;
            Ok((
                m.name.value,
                m.integration.value,
                (m.allow_replace, m.allow_breaking_flows),
                m.renamed_from.map(|r| r.value),
                spec,
                function,
            ))
        })
        .collect::<Result<_, Error>>()?;
    let names: std::collections::BTreeSet<&str> = specs.iter().map(|(_, i, ..)| i.as_str()).collect();
    let manages_integrations = !integration_specs.is_empty() || !state.integrations.is_empty();
    // Every plan lists the integrations (one call, whatever N): an integration name gcsync
    // addresses — one a manifest names or declares, or one the state records — that two
    // integrations in the org share is an error in every plan, not only in the plan that
    // would put an action there (a no-change plan would otherwise keep using the id the state
    // cached and hide the ambiguity until the next create).
    let all = client.list_integrations().await?;
    check_unique_names(&all, names.iter().copied(), state)?;
    let mut resolved: BTreeMap<String, IntegrationRef> = BTreeMap::new();
    for n in names {
        if let Some(i) = resolve_integration(&all, n)? {
            resolved.insert(n.to_string(), IntegrationRef::Id(i.id));
        }
    }
    // Integrations the manifests declare: the owned one's id, or pending when this plan
    // creates it (apply fills in the id).
    for i in &integration_specs {
        match state.integrations.get(&i.name) {
            Some(t) if all.iter().any(|l| l.id == t.id) => {
                resolved.insert(i.name.clone(), IntegrationRef::Id(t.id.clone()));
            }
            _ if resolved.contains_key(&i.name) => {}
            _ => {
                resolved.insert(i.name.clone(), IntegrationRef::Pending(i.name.clone()));
            }
        }
    }
    // A name declared in several integrations is addressed with its integration.
    let mut integrations_of: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for (name, integration, ..) in &specs {
        integrations_of.entry(name.as_str()).or_default().insert(integration.as_str());
    }
    let addresses: Vec<String> = specs
        .iter()
        .map(|(name, integration, ..)| {
            let elsewhere = integrations_of.get(name.as_str()).is_some_and(|set| set.len() > 1);
            plan::address(name, integration, state, elsewhere)
        })
        .collect();
    drop(integrations_of);
    let desired: Vec<Desired> = specs
        .into_iter()
        .zip(addresses)
        .map(
            |(
                (
                    _,
                    integration_name,
                    (allow_replace, allow_breaking_flows),
                    renamed_from,
                    mut spec,
                    function,
                ),
                name,
            )| {
                let integration =
                    resolved.get(&integration_name).cloned().unwrap_or(IntegrationRef::Unresolved);
                spec.integration = integration.wire();
                Desired {
                    name,
                    spec,
                    integration_name,
                    integration,
                    allow_replace,
                    renamed_from,
                    allow_breaking_flows,
                    function,
                }
            },
        )
        .collect();
    let needed = plan::details_needed(&desired, state, &summaries, opts);
    let details = fetch_details(client, needed.iter().map(String::as_str)).await?;
    let functions = fetch_functions(client, &desired, state, &summaries, &needed).await?;
    let mut live_integrations = LiveIntegrations::default();
    if manages_integrations {
        let wants_credentials = integration_specs.iter().any(|i| i.credential.is_some())
            || state.integrations.values().any(|t| t.credential.is_some());
        if wants_credentials {
            for c in client.list_credentials().await? {
                let (Some(id), Some(name)) =
                    (c.get("id").and_then(|v| v.as_str()), c.get("name").and_then(|v| v.as_str()))
                else {
                    continue;
                };
                live_integrations.credential_ids.insert(id.to_string());
                live_integrations.credential_names.insert(name.to_string(), id.to_string());
            }
        }
        let relevant: std::collections::BTreeSet<&str> = integration_specs
            .iter()
            .map(|i| i.name.as_str())
            .chain(state.integrations.keys().map(String::as_str))
            .collect();
        for i in &all {
            live_integrations
                .integrations
                .push(live_integration(client, i, relevant.contains(i.name.as_str())).await?);
        }
        live_integrations.actions =
            summaries.iter().map(|s| (s.name.clone(), s.integration_id.clone(), s.id.clone())).collect();
    }
    let desired_integrations = integration_specs
        .into_iter()
        .map(|spec| {
            let values = spec
                .credential
                .iter()
                .flat_map(|c| c.fields.iter())
                .map(|(field, var)| (field.clone(), env(var).filter(|v| !v.is_empty())))
                .collect();
            DesiredIntegration { spec, values, new_salt: uuid::Uuid::new_v4().simple().to_string() }
        })
        .collect();
    let integration_names = if desired.iter().any(|d| d.integration == IntegrationRef::Unresolved) {
        all.iter().map(|i| i.name.clone()).collect()
    } else {
        Vec::new()
    };
    Ok(Refreshed {
        desired,
        live: Live { summaries, details, integration_names, functions },
        desired_integrations,
        live_integrations,
    })
}

/// An integration as the planner sees it. The bound credential comes from the listing's
/// `config.current` when the API returned it; otherwise, when `read_config`, from the
/// configuration route (one call).
pub async fn live_integration<R: Read>(
    client: &R,
    i: &crate::remote::client::Integration,
    read_config: bool,
) -> Result<LiveIntegration, Error> {
    let mut config = i.config.as_ref().and_then(|c| c.get("current")).cloned();
    if config.is_none() && read_config {
        config = Some(client.get_integration_config(&i.id).await?);
    }
    let key = crate::model::integration::credential_key(i.type_id());
    Ok(LiveIntegration {
        id: i.id.clone(),
        name: i.name.clone(),
        type_id: i.type_id().to_string(),
        enabled: i.intended_state.as_deref() == Some("ENABLED"),
        // Genesys omits empty notes.
        notes: i.notes.clone().unwrap_or_default(),
        credential_id: config
            .as_ref()
            .and_then(|c| c.pointer(&format!("/credentials/{key}/id")))
            .and_then(|v| v.as_str())
            .map(str::to_string),
    })
}

/// What the plan carries of a manifest's `function:` block: its settings, and the sha256
/// of its code's deterministic zip.
pub fn function_plan(
    name: &str,
    f: &crate::manifest::function::FunctionManifest,
) -> Result<FunctionPlan, Error> {
    let excludes = f.excludes();
    let zip = crate::function::zip::load(&f.source_path, &excludes)
        .map_err(|source| Error::Function { name: name.to_string(), source })?;
    Ok(FunctionPlan {
        handler: f.handler.value.clone(),
        runtime: f.runtime.value.clone(),
        timeout_seconds: f.timeout(),
        // Required (`function-description`, an error): a manifest without one never gets here.
        description: f.description.as_ref().map_or_else(String::new, |d| d.value.clone()),
        zip_sha256: zip.sha256,
        source: f.source_path.to_string_lossy().into_owned(),
        exclude: excludes,
    })
}

/// The published `Function` settings of the function actions among `needed` (those in an
/// integration a function manifest or a tracked function action uses), one call each.
async fn fetch_functions<R: Read>(
    client: &R,
    desired: &[Desired],
    state: &State,
    summaries: &[LiveSummary],
    needed: &std::collections::BTreeSet<String>,
) -> Result<BTreeMap<String, serde_json::Value>, Error> {
    let integrations: std::collections::BTreeSet<&str> = desired
        .iter()
        .filter(|d| d.function.is_some())
        .filter_map(|d| d.integration.id())
        .chain(state.actions.values().filter(|t| t.function.is_some()).map(|t| t.integration_id.as_str()))
        .collect();
    if integrations.is_empty() {
        return Ok(BTreeMap::new());
    }
    let mut out = BTreeMap::new();
    for s in summaries
        .iter()
        .filter(|s| needed.contains(&s.id) && integrations.contains(s.integration_id.as_str()))
    {
        match client.get_function(&s.id).await {
            Ok(Some(v)) => {
                out.insert(s.id.clone(), v);
            }
            Ok(None) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Full definitions (templates inlined) of these actions, read concurrently within the
/// client's bounds. An action that vanished meanwhile is simply absent.
pub async fn fetch_details<'a, R: Read>(
    client: &R,
    ids: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, crate::model::ActionSpec>, Error> {
    let futures = ids.map(|id| async move {
        match client.get_action_full(id).await {
            Ok(a) => Ok(Some((id.to_string(), a.to_spec()))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    });
    let results = futures_util::future::try_join_all(futures).await?;
    Ok(results.into_iter().flatten().collect())
}
