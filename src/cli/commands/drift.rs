//! `gcsync drift`: has the org moved away from what gcsync last applied? For scheduled audits.
//!
//! Owns: the comparison of owned actions (per field, against the state's field digests) and
//! owned integrations (existence, name, enabled state, credential binding) with the org, and
//! the drift report. Must not: read manifests or change the org or the state.

use super::session::{self, StateArgs};
use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::model::digest;
use crate::reconcile::{self, Refresh};
use crate::state::field_digests;
use console::Style;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Arguments of `drift`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Compares the org with what the state says was last applied (not with the manifests):\nowned actions per field; owned integrations: deleted, renamed, enabled state, credential binding.\nExit codes: 0 no drift, 1 error, 2 drift found."
)]
pub struct Args {
    #[command(flatten)]
    state: StateArgs,
    /// Machine-readable report on stdout (`format_version` "1").
    #[arg(long)]
    json: bool,
    /// incremental: full reads only of actions whose version moved; full: read every owned action.
    #[arg(long, value_enum, default_value_t = Refresh::Incremental)]
    refresh: Refresh,
}

/// One drifted action.
struct Drifted {
    name: String,
    id: String,
    deleted: bool,
    fields: Vec<(String, Value)>,
}

/// Runs `drift`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let rt = crate::cli::org::runtime()?;
    rt.block_on(async {
        let state_path = args.state.path(globals);
        let existed = state_path.exists();
        let session = session::open(globals, state_path.clone(), None, printer).await?;
        // An audit against a missing or empty state would report "no drift" whatever the org
        // holds: a scheduled drift job whose state download failed must go red instead.
        if session.state.actions.is_empty() && session.state.integrations.is_empty() {
            session.close().await;
            let what = if existed { "records nothing gcsync manages" } else { "does not exist" };
            return Err(CliError::new(format!(
                "the state `{}` {what}: drift compares the org with the last apply, so there is nothing to compare",
                state_path.display()
            ))
            .hint("check the state location (`--state`, `GCSYNC_STATE`, or `state:` in the environment file) and that the state was fetched; a new project runs `gcsync apply` first"));
        }
        let result: Result<(Vec<Drifted>, Vec<Drifted>), CliError> = async {
            let live = session.org.client.list_actions().await?;
            let by_id: BTreeMap<&str, i64> = live.iter().map(|a| (a.id.as_str(), a.version)).collect();
            let to_read: Vec<&str> = session
                .state
                .actions
                .values()
                .filter(|t| by_id.get(t.id.as_str()).is_some_and(|v| args.refresh == Refresh::Full || *v != t.version))
                .map(|t| t.id.as_str())
                .collect();
            let details = reconcile::fetch_details(&session.org.client, to_read.into_iter()).await?;
            let mut drifted = Vec::new();
            for (name, t) in &session.state.actions {
                if !by_id.contains_key(t.id.as_str()) {
                    drifted.push(Drifted { name: name.clone(), id: t.id.clone(), deleted: true, fields: Vec::new() });
                    continue;
                }
                let Some(spec) = details.get(&t.id) else { continue };
                let now = field_digests(spec);
                let values: BTreeMap<&str, Value> = digest::fields(spec).into_iter().collect();
                let fields: Vec<(String, Value)> = t
                    .fields
                    .iter()
                    .filter(|(k, v)| now.get(k.as_str()) != Some(v))
                    .map(|(k, _)| (k.clone(), values.get(k.as_str()).cloned().unwrap_or(Value::Null)))
                    .collect();
                if !fields.is_empty() {
                    drifted.push(Drifted { name: name.clone(), id: t.id.clone(), deleted: false, fields });
                }
            }
            let integrations = integration_drift(&session).await?;
            Ok((drifted, integrations))
        }
        .await;
        let (org_ref, managed) = (session.org_ref.clone(), session.state.actions.len());
        let managed_integrations = session.state.integrations.len();
        session.close().await;
        let (drifted, drifted_integrations) = result?;
        let any = !drifted.is_empty() || !drifted_integrations.is_empty();
        if args.json {
            let report = json!({
                "format_version": "1",
                "org": {"api_host": org_ref.api_host, "org_id": org_ref.org_id},
                "environment": globals.environment,
                "managed": managed,
                "managed_integrations": managed_integrations,
                "drift_present": any,
                "actions": drifted.iter().map(drift_json).collect::<Vec<_>>(),
                "integrations": drifted_integrations.iter().map(drift_json).collect::<Vec<_>>(),
            });
            printer.outln(&serde_json::to_string_pretty(&report).unwrap_or_default());
        } else {
            let yellow = Style::new().yellow().bold();
            let labelled = drifted_integrations
                .iter()
                .map(|d| (format!("integration {}", d.name), d))
                .chain(drifted.iter().map(|d| (d.name.clone(), d)));
            for (label, d) in labelled {
                if d.deleted {
                    printer.outln(&format!("{} {label} (id `{}`) was deleted outside gcsync", printer.paint(&Style::new().red().bold(), "-"), d.id));
                } else {
                    printer.outln(&format!("{} {label} (id `{}`) changed outside gcsync:", printer.paint(&yellow, "~"), d.id));
                    for (path, live) in &d.fields {
                        let shown = match live {
                            Value::String(s) if !s.contains('\n') && s.len() < 120 => Value::String(s.clone()).to_string(),
                            Value::String(_) => "(multi-line text)".to_string(),
                            Value::Object(_) | Value::Array(_) => "(changed structure)".to_string(),
                            other => other.to_string(),
                        };
                        printer.outln(&format!("    {path} (now {shown})"));
                    }
                }
            }
            let what = managed_what(managed, managed_integrations);
            if any {
                let changed = drifted.len() + drifted_integrations.len();
                printer.outln(&format!("\nDrift: {changed} of the {what} gcsync manages changed outside gcsync. `gcsync plan` shows how apply restores them."));
            } else {
                let verb = if managed + managed_integrations == 1 { "matches" } else { "match" };
                printer.outln(&format!("No drift: the {what} gcsync manages {verb} the last apply."));
            }
        }
        Ok(if any { ExitStatus::Changes } else { ExitStatus::Success })
    })
}

/// "3 actions", "1 action and 1 integration", ...
fn managed_what(actions: usize, integrations: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if integrations == 0 {
        plural(actions, "action")
    } else {
        format!("{} and {}", plural(actions, "action"), plural(integrations, "integration"))
    }
}

fn drift_json(d: &Drifted) -> Value {
    json!({
        "name": d.name, "id": d.id, "deleted": d.deleted,
        "fields": d.fields.iter().map(|(k, v)| json!({"path": k, "live": v})).collect::<Vec<_>>(),
    })
}

/// Owned integrations that moved since the last apply: deleted, enabled state flipped,
/// credential unbound or bound to another one, or the owned credential deleted. Reads the
/// integration list once (and the credential list when a credential is owned).
async fn integration_drift(session: &session::Session) -> Result<Vec<Drifted>, CliError> {
    let owned = &session.state.integrations;
    if owned.is_empty() {
        return Ok(Vec::new());
    }
    let client = &session.org.client;
    let all = client.list_integrations().await?;
    let credentials: Option<std::collections::BTreeSet<String>> =
        if owned.values().any(|t| t.credential.is_some()) {
            Some(
                client
                    .list_credentials()
                    .await?
                    .iter()
                    .filter_map(|c| c.get("id").and_then(Value::as_str).map(str::to_string))
                    .collect(),
            )
        } else {
            None
        };
    let mut out = Vec::new();
    for (name, t) in owned {
        let Some(i) = all.iter().find(|i| i.id == t.id) else {
            out.push(Drifted { name: name.clone(), id: t.id.clone(), deleted: true, fields: Vec::new() });
            continue;
        };
        let live = reconcile::live_integration(client, i, true).await?;
        let mut fields = Vec::new();
        if live.name != *name {
            fields.push(("name".to_string(), Value::String(live.name.clone())));
        }
        if t.enabled.is_some_and(|e| e != live.enabled) {
            fields.push(("enabled".to_string(), Value::Bool(live.enabled)));
        }
        if let Some(tc) = &t.credential {
            if live.credential_id.as_deref() != Some(tc.id.as_str()) {
                fields.push((
                    "credential".to_string(),
                    live.credential_id.clone().map_or(Value::Null, Value::String),
                ));
            } else if credentials.as_ref().is_some_and(|ids| !ids.contains(&tc.id)) {
                fields.push(("credential".to_string(), Value::String(format!("{} (deleted)", tc.id))));
            }
        }
        if !fields.is_empty() {
            out.push(Drifted { name: name.clone(), id: t.id.clone(), deleted: false, fields });
        }
    }
    Ok(out)
}
