//! The import operation: adopt existing org actions and integrations into the state.
//!
//! Owns: finding an action by id or exact name, the refusals (already owned, a name the
//! state tracks, an integration this client cannot see), reading its full definition, the
//! survey of `import --all` (which declared actions exist unowned in the org, once in their
//! integration), and the state records of imported actions (one write per batch) and of an
//! adopted integration, through the session's store.
//! Must not: write manifests or print (the command does), or change the org.

use super::session::Session;
use crate::exit::CliError;
use crate::model::Action;
use crate::model::integration::IntegrationSpec;
use crate::remote::{Client, Integration};
use crate::state::store::StateStore as _;
use crate::state::{TrackedAction, TrackedCredential, TrackedIntegration};
use std::collections::BTreeMap;

/// An org action ready to import.
#[derive(Debug)]
pub struct Found {
    /// Its full definition (templates inlined).
    pub action: Action,
    /// Its integration's name.
    pub integration: String,
    /// Its address in the state (`plan::address`): its name, qualified by the integration
    /// when the manifests declare the name in several.
    pub address: String,
    /// A function data action's published `Function` settings (`None` for other actions).
    pub function: Option<serde_json::Value>,
}

/// The published function settings of `action` when its integration is a function
/// integration (one call), else `None`.
async fn function_of(
    client: &crate::remote::Client,
    action: &Action,
    function_integration: bool,
) -> Result<Option<serde_json::Value>, CliError> {
    if !function_integration {
        return Ok(None);
    }
    Ok(client.get_function(&action.id).await?.function)
}

/// The ids of the `function-data-actions` integrations among `all`.
#[must_use]
pub fn function_integrations(all: &[Integration]) -> std::collections::BTreeSet<String> {
    all.iter().filter(|i| i.type_id() == crate::function::INTEGRATION_TYPE).map(|i| i.id.clone()).collect()
}

/// Every integration of the org (names resolve manifests' and arguments' integrations).
pub async fn integrations(session: &Session) -> Result<Vec<Integration>, CliError> {
    Ok(session.org.client.list_integrations().await?)
}

/// Finds the action `arg` (an id or an exact name) and checks that it can be imported.
/// `integrations`: every integration of the org (id → name); `elsewhere`: whether the
/// manifests declare the action's name in another integration (its address is then
/// qualified).
pub async fn find(
    session: &Session,
    arg: &str,
    integrations: &BTreeMap<String, String>,
    function_integrations: &std::collections::BTreeSet<String>,
    elsewhere: &dyn Fn(&str, &str) -> bool,
) -> Result<Found, CliError> {
    let action = lookup(&session.org.client, arg).await?;
    if let Some((name, _)) = session.state.actions.iter().find(|(_, t)| t.id == action.id) {
        return Err(CliError::new(format!("`{arg}` is already managed by gcsync (as `{name}`)")));
    }
    let integration = integrations.get(&action.integration_id).cloned().ok_or_else(|| {
        CliError::new(format!(
            "integration `{}` of `{}` is not visible to this OAuth client",
            action.integration_id, action.name
        ))
    })?;
    let address = crate::plan::address(
        &action.name,
        &integration,
        &session.state,
        elsewhere(&action.name, &integration),
    );
    if session.state.actions.contains_key(&address) {
        return Err(CliError::new(format!("the state already tracks another action as `{address}`")));
    }
    let action = session.org.client.get_action_full(&action.id, false).await?;
    let function =
        function_of(&session.org.client, &action, function_integrations.contains(&action.integration_id))
            .await?;
    Ok(Found { action, integration, address, function })
}

/// Records a found action in the state (one write).
pub async fn record(session: &mut Session, found: &Found) -> Result<(), CliError> {
    record_all(session, std::slice::from_ref(found)).await
}

/// Records found actions in the state, in one write. The state records the org's current
/// definition, so the next plan shows what apply changes to match the manifests.
pub async fn record_all(session: &mut Session, found: &[Found]) -> Result<(), CliError> {
    for f in found {
        let mut spec = f.action.to_spec();
        if f.function.is_some() {
            // The platform generated the request URL: never part of the comparison.
            spec = crate::plan::function::normalized(&spec);
        }
        let mut t = TrackedAction::from_spec(&f.action.id, f.action.version, &f.integration, &spec);
        // The settings as published; the code is unknown (the platform never gives it back),
        // so the first apply uploads it once. Publishing requires every setting, so a
        // published function has them; one missing anyway is recorded empty, and the next
        // plan shows the manifest's value as a change rather than hiding it.
        t.function = f.function.as_ref().map(|v| crate::state::TrackedFunction {
            handler: v.get("handler").and_then(serde_json::Value::as_str).unwrap_or("").to_string(),
            runtime: v.get("runtime").and_then(serde_json::Value::as_str).unwrap_or("").to_string(),
            timeout_seconds: v.get("timeoutSeconds").and_then(serde_json::Value::as_i64).unwrap_or(0),
            description: v.get("description").and_then(serde_json::Value::as_str).unwrap_or("").to_string(),
            zip_sha256: None,
        });
        session.state.actions.insert(f.address.clone(), t);
    }
    session.store.save(&mut session.state).await?;
    Ok(())
}

/// What `import --all` found for the actions the manifests declare.
#[derive(Debug, Default)]
pub struct Survey {
    /// Declared, in the org once in the declared integration, owned by nobody: adopt.
    pub adoptable: Vec<Found>,
    /// Declared and already in the state.
    pub managed: Vec<String>,
    /// Declared but not in the org (apply creates them).
    pub absent: Vec<String>,
    /// Declared names gcsync cannot adopt, with the reason.
    pub problems: Vec<(String, String)>,
}

/// Surveys the org for every declared action (`declared`: (name, integration name) pairs):
/// which exist unowned and can be adopted. `integrations`: the org's integrations.
/// `progress` hears each declared name surveyed (adoptable ones cost a full read).
pub async fn survey(
    session: &Session,
    declared: &[(String, String)],
    integrations: &[Integration],
    progress: &dyn Fn(),
) -> Result<Survey, CliError> {
    let client = &session.org.client;
    let live = client.list_actions().await?;
    let mut out = Survey::default();
    for (name, integration) in declared {
        progress();
        let elsewhere = declared.iter().any(|(n, i)| n == name && i != integration);
        let address = crate::plan::address(name, integration, &session.state, elsewhere);
        if session.state.actions.contains_key(&address) {
            out.managed.push(address);
            continue;
        }
        let Some(i) = crate::remote::client::resolve_integration(integrations, integration)? else {
            out.absent.push(address);
            continue;
        };
        let same: Vec<&Action> =
            live.iter().filter(|a| &a.name == name && a.integration_id == i.id).collect();
        match same.as_slice() {
            [] => out.absent.push(address),
            [one] => {
                if let Some((owner, _)) = session.state.actions.iter().find(|(_, t)| t.id == one.id) {
                    out.problems
                        .push((name.clone(), format!("its id `{}` is already managed as `{owner}`", one.id)));
                    continue;
                }
                let action = client.get_action_full(&one.id, false).await?;
                let function =
                    function_of(client, &action, i.type_id() == crate::function::INTEGRATION_TYPE).await?;
                out.adoptable.push(Found { action, integration: integration.clone(), address, function });
            }
            many => out.problems.push((
                address,
                format!(
                    "{} actions have this name in integration `{integration}` (ids {}); import one by id",
                    many.len(),
                    many.iter().map(|a| format!("`{}`", a.id)).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
    Ok(out)
}

/// Records the org's integration named like `spec` as the one the manifest declares (its id
/// and bound credential; one write). Returns its id.
pub async fn adopt_integration(
    session: &mut Session,
    spec: &IntegrationSpec,
    all: &[Integration],
) -> Result<String, CliError> {
    let name = spec.name.as_str();
    if session.state.integrations.contains_key(name) {
        return Err(CliError::new(format!("integration `{name}` is already managed by gcsync")));
    }
    let live = crate::remote::client::resolve_integration(all, name)?
        .ok_or_else(|| CliError::new(format!("no integration named `{name}` in the org")))?;
    if live.type_id() != spec.type_id {
        return Err(CliError::new(format!(
            "integration `{name}` is of type `{}` in the org, the manifest says `{}`",
            live.type_id(),
            spec.type_id
        )));
    }
    let config = session.org.client.get_integration_config(&live.id).await?;
    let key = crate::model::integration::credential_key(&spec.type_id);
    let credential = config
        .pointer(&format!("/credentials/{key}/id"))
        .and_then(|v| v.as_str())
        .zip(spec.credential.as_ref())
        .map(|(id, c)| TrackedCredential {
            id: id.to_string(),
            type_name: c.type_name.clone(),
            // Unknown values: the next plan re-sends them from the environment.
            salt: String::new(),
            hashes: BTreeMap::new(),
        });
    session.state.integrations.insert(
        name.to_string(),
        TrackedIntegration {
            id: live.id.clone(),
            type_id: spec.type_id.clone(),
            // The declared definition: what a plan can compare with the org (name, enabled
            // state, notes) it compares field by field, and a declared credential's values are
            // unknown (no hashes), so they are re-sent; recording an empty digest instead
            // made every later plan show an update without a single field line.
            digest: spec.digest(),
            enabled: Some(live.intended_state.as_deref() == Some("ENABLED")),
            credential,
        },
    );
    session.store.save(&mut session.state).await?;
    Ok(live.id)
}

/// The action with this id (`custom_-_…` or a UUID), else the one action with this exact name.
async fn lookup(client: &Client, arg: &str) -> Result<Action, CliError> {
    let looks_like_id =
        arg.starts_with("custom_-_") || (arg.len() == 36 && arg.chars().filter(|c| *c == '-').count() == 4);
    if looks_like_id {
        match client.get_action(arg, false).await {
            Ok(a) => return Ok(a),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let found = client.find_actions_by_name(arg).await?;
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::new(format!("no action with the id or exact name `{arg}` in the org"))),
        many => Err(CliError::new(format!(
            "{} actions are named `{arg}` (ids {}); import by id",
            many.len(),
            many.iter().map(|a| format!("`{}`", a.id)).collect::<Vec<_>>().join(", ")
        ))),
    }
}
