//! Export's reads: every custom action of the org (or of one integration) with its templates
//! inlined, its integration's name, and a function action's published settings.
//!
//! Owns: which actions export covers (built-in `static` and custom-auth actions are not
//! manifests), the names used in several integrations (one file each), the full reads (within
//! the client's bounds) and the function settings (the code never comes back).
//! Must not: convert, write files or print (progress reaches the caller through a hook).

use crate::exit::CliError;
use crate::model::Action;
use crate::remote::Client;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The actions to export, listed (one integration listing, the action pages).
pub struct Listing {
    /// The actions, in the org's order.
    pub actions: Vec<Action>,
    /// Integration id → name.
    pub integrations: BTreeMap<String, String>,
    /// Ids of the `function-data-actions` integrations.
    pub function_integrations: BTreeSet<String>,
    /// Names used in several integrations among `actions`.
    pub shared: BTreeSet<String>,
    /// Integration names that several integrations of the exported actions share (name →
    /// ids): their manifests name an integration every plan refuses as ambiguous.
    pub ambiguous_integrations: BTreeMap<String, Vec<String>>,
}

/// One action read for export.
pub struct Exported {
    /// Its full definition (templates inlined), or why it could not be read.
    pub full: Result<Action, crate::remote::Error>,
    /// A function action's published `Function` settings.
    pub function: Option<Value>,
}

/// Lists what export covers: every custom action, or those of the integration named
/// `integration` (exact name; an unknown name is an error).
pub async fn list(client: &Client, integration: Option<&str>) -> Result<Listing, CliError> {
    let all_integrations = client.list_integrations().await?;
    let function_integrations = super::import::function_integrations(&all_integrations);
    let wanted = match integration {
        Some(name) => Some(
            crate::remote::client::resolve_integration(&all_integrations, name)?
                .map(|i| i.id)
                .ok_or_else(|| CliError::new(format!("no integration named `{name}` in the org")))?,
        ),
        None => None,
    };
    let mut ids_of: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for i in &all_integrations {
        ids_of.entry(i.name.as_str()).or_default().push(i.id.clone());
    }
    let shared_integration_names: BTreeMap<String, Vec<String>> =
        ids_of.into_iter().filter(|(_, ids)| ids.len() > 1).map(|(n, ids)| (n.to_string(), ids)).collect();
    let integrations: BTreeMap<String, String> =
        all_integrations.into_iter().map(|i| (i.id, i.name)).collect();
    let actions: Vec<Action> = client
        .list_actions()
        .await?
        .into_iter()
        .filter(|a| !a.id.starts_with("static") && !a.id.starts_with("customAuth_-_"))
        .filter(|a| wanted.as_ref().is_none_or(|w| &a.integration_id == w))
        .collect();
    // Genesys allows one name in several integrations: such actions are all exported, each
    // to a file named after its name and integration (their identity in gcsync is
    // integration plus name; the plan addresses them as `NAME [INTEGRATION]`).
    let mut integrations_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for a in &actions {
        integrations_of.entry(a.name.as_str()).or_default().insert(a.integration_id.as_str());
    }
    let shared: BTreeSet<String> =
        integrations_of.iter().filter(|(_, ids)| ids.len() > 1).map(|(n, _)| (*n).to_string()).collect();
    drop(integrations_of);
    let ambiguous_integrations = shared_integration_names
        .into_iter()
        .filter(|(_, ids)| actions.iter().any(|a| ids.contains(&a.integration_id)))
        .collect();
    Ok(Listing { actions, integrations, function_integrations, shared, ambiguous_integrations })
}

/// Reads every listed action in full (concurrently within the client's bounds; `read` hears
/// each one done), then the function actions' settings. A failed full read is kept per
/// action; a failed settings read ends the export.
pub async fn read(
    client: &Client,
    listing: &Listing,
    read: &(dyn Fn() + Sync),
) -> Result<Vec<Exported>, CliError> {
    let fulls = futures_util::future::join_all(listing.actions.iter().map(|a| async {
        let full = client.get_action_full(&a.id, false).await;
        read();
        full
    }))
    .await;
    let mut out = Vec::with_capacity(fulls.len());
    for (a, full) in listing.actions.iter().zip(fulls) {
        let function = if listing.function_integrations.contains(&a.integration_id) {
            client.get_function(&a.id).await?.function
        } else {
            None
        };
        out.push(Exported { full, function });
    }
    Ok(out)
}
