//! The usage report's reads: which Architect flows use each action, from Genesys's dependency
//! tracking, within an open session.
//!
//! Owns: resolving the names (owned actions from the state first, then the org's actions by
//! exact name; `all`: every owned action) and reading their consumers (one action listing,
//! one dependency build check, two consumer queries per action).
//! Must not: change the org or the state, print, or decide whether a delete may proceed
//! (`impact::decide`).

use super::session::Session;
use crate::exit::CliError;
use crate::impact::{Impact, Incomplete};

/// One action's report.
pub struct Usage {
    /// The name asked for (its state address when owned).
    pub name: String,
    /// The action id.
    pub id: String,
    /// A secure action (dependency tracking names it `SECUREACTION`).
    pub secure: bool,
    /// Whether the state owns it.
    pub owned: bool,
    /// The flows using it.
    pub impact: Impact,
}

/// The report.
pub struct Report {
    /// One entry per action, in the order asked.
    pub usages: Vec<Usage>,
    /// Why every consumer list may be incomplete (the dependency build's state).
    pub health: Vec<Incomplete>,
}

/// Reads the consumers of `names` (or, with `all`, of every owned action).
pub async fn usage(session: &Session, names: &[String], all: bool) -> Result<Report, CliError> {
    let client = &session.org.client;
    let live = client.list_actions().await?;
    let mut targets: Vec<(String, String, bool, bool)> = Vec::new();
    let names: Vec<String> =
        if all { session.state.actions.keys().cloned().collect() } else { names.to_vec() };
    for name in &names {
        if let Some(t) = session.state.actions.get(name) {
            let Some(a) = live.iter().find(|a| a.id == t.id) else {
                return Err(CliError::new(format!(
                    "`{name}` (id `{}`) is in the state but no longer in the org; `gcsync drift` reports what else was deleted",
                    t.id
                )));
            };
            targets.push((name.clone(), a.id.clone(), a.secure, true));
            continue;
        }
        let found: Vec<_> = live.iter().filter(|a| a.name == *name).collect();
        match found.as_slice() {
            [a] => targets.push((name.clone(), a.id.clone(), a.secure, false)),
            [] => {
                return Err(CliError::new(format!(
                    "no action named `{name}` in the state or in the org (names are exact and case-sensitive)"
                )));
            }
            many => {
                return Err(CliError::new(format!(
                    "{} actions in the org are named `{name}` (ids {}); gcsync cannot tell which one you mean",
                    many.len(),
                    many.iter().map(|a| format!("`{}`", a.id)).collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    let health = if targets.is_empty() { Vec::new() } else { client.dependency_health().await? };
    let mut usages = Vec::new();
    for (name, id, secure, owned) in targets {
        let impact = client.action_consumers(&id, secure, None).await?;
        usages.push(Usage { name, id, secure, owned, impact });
    }
    Ok(Report { usages, health })
}
