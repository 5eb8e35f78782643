//! The drift operation: read what the audit needs and compare the org with the last apply.
//!
//! Owns: refusing an audit without anything to compare (a missing or empty state must turn
//! a scheduled job red, not report "no drift"), and the reads of an audit: the action list,
//! full definitions of owned actions whose version moved (every owned one with `full`),
//! the integration list (two integrations sharing a name the state records are an error, as
//! in every plan), owned integrations' bound credentials, and the flows
//! that still consume deleted actions when actions are owned (one call; a 403 or 5xx makes
//! the broken references unknown, said in the report, never "none").
//! Must not: compare (that is `plan::drift`), read manifests, change the org or the state,
//! or print.

use super::refresh;
use super::session::Session;
use crate::exit::CliError;
use crate::plan::drift::{self, BrokenReference, Drifted};
use crate::plan::integrations::LiveIntegrations;
use crate::state::OrgRef;
use crate::state::store::StateStore as _;
use serde_json::Value;

/// What an audit found.
pub struct Report {
    /// The audited org.
    pub org_ref: OrgRef,
    /// How many actions the state owns.
    pub managed: usize,
    /// How many integrations the state owns.
    pub managed_integrations: usize,
    /// Drifted actions.
    pub actions: Vec<Drifted>,
    /// Drifted integrations.
    pub integrations: Vec<Drifted>,
    /// Flows that still consume a deleted action gcsync owns or owned (replaced).
    pub broken: Vec<BrokenReference>,
    /// Why the broken references could not be read (a 403 or 5xx from dependency tracking).
    pub broken_unknown: Option<String>,
}

impl Report {
    /// Whether anything drifted.
    #[must_use]
    pub fn any(&self) -> bool {
        !self.actions.is_empty() || !self.integrations.is_empty() || !self.broken.is_empty()
    }
}

/// Audits the org against the session's state.
pub async fn drift(session: &Session, full: bool) -> Result<Report, CliError> {
    let state = &session.state;
    if state.actions.is_empty() && state.integrations.is_empty() {
        let what =
            if session.store.exists().await? { "records nothing gcsync manages" } else { "does not exist" };
        return Err(CliError::new(format!(
            "the state `{}` {what}: drift compares the org with the last apply, so there is nothing to compare",
            session.store.location()
        ))
        .hint("check the state location (`--state`, `GCSYNC_STATE`, or `state:` in the environment file) and that the state was fetched; a new project runs `gcsync apply` first"));
    }
    let client = &session.org.client;
    let summaries: Vec<_> = match session.take_listed() {
        Some(listed) => listed,
        None => client.list_actions().await?.iter().map(refresh::summary).collect(),
    };
    let to_read = drift::reads_needed(state, &summaries, full);
    let details = refresh::fetch_details(client, to_read.iter().map(String::as_str)).await?;
    // The published settings of the owned function actions read in full.
    let mut functions = std::collections::BTreeMap::new();
    for id in to_read.iter().filter(|id| state.actions.values().any(|t| &t.id == *id && t.function.is_some()))
    {
        match client.get_function(id).await {
            Ok(cfg) => {
                if let Some(f) = cfg.function {
                    functions.insert(id.clone(), f);
                }
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let actions = drift::actions(state, &summaries, &details, &functions);
    // Every drift lists the integrations: two integrations sharing a name the state records
    // (an owned integration's, or one its actions live in) are an error, as in every plan.
    let all = client.list_integrations().await?;
    refresh::check_unique_names(&all, std::iter::empty(), state)?;
    let integrations = if state.integrations.is_empty() {
        Vec::new()
    } else {
        let mut live = LiveIntegrations::default();
        let credentials_listed = state.integrations.values().any(|t| t.credential.is_some());
        if credentials_listed {
            live.credential_ids = client
                .list_credentials()
                .await?
                .iter()
                .filter_map(|c| c.get("id").and_then(Value::as_str).map(str::to_string))
                .collect();
        }
        for i in all {
            // Only owned integrations need their configuration (the credential binding).
            if state.integrations.values().any(|t| t.id == i.id) {
                live.integrations.push(refresh::live_integration(client, &i, true).await?);
            }
        }
        drift::integrations(&state.integrations, &live, credentials_listed)
    };
    let (broken, broken_unknown) = if state.actions.is_empty() {
        (Vec::new(), None)
    } else {
        match client.deleted_resource_consumers().await {
            Ok(consumers) => {
                let consumers: Vec<drift::DeletedConsumer> = consumers
                    .into_iter()
                    .map(|c| drift::DeletedConsumer {
                        flow_name: c.name.unwrap_or_else(|| c.id.clone()),
                        flow_id: c.id,
                        flow_type: c.kind.unwrap_or_else(|| "UNKNOWN".to_string()),
                        flow_version: c.version,
                        consumed: c.consumed_resources.into_iter().map(|r| (r.id, r.name)).collect(),
                    })
                    .collect();
                (drift::broken_references(state, &consumers), None)
            }
            Err(e) => match e.api().map(|a| a.status) {
                Some(403) => (
                    Vec::new(),
                    Some(format!(
                        "dependency tracking answered 403 (missing permission {})",
                        crate::remote::flows::VIEW_PERMISSION
                    )),
                ),
                Some(status) if status >= 500 => {
                    (Vec::new(), Some(format!("dependency tracking answered HTTP {status}")))
                }
                _ => return Err(e.into()),
            },
        }
    };
    Ok(Report {
        broken,
        broken_unknown,
        org_ref: session.org_ref.clone(),
        managed: state.actions.len(),
        managed_integrations: state.integrations.len(),
        actions,
        integrations,
    })
}
