//! `gcsync drift`: has the org moved away from what gcsync last applied? For scheduled audits.

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
    after_help = "Compares the org with what the state says was last applied (not with the manifests).\nExit codes: 0 no drift, 1 error, 2 drift found."
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
        let session = session::open(globals, args.state.path(globals), None, printer).await?;
        let result: Result<Vec<Drifted>, CliError> = async {
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
            Ok(drifted)
        }
        .await;
        let (org_ref, managed) = (session.org_ref.clone(), session.state.actions.len());
        session.close().await;
        let drifted = result?;
        if args.json {
            let report = json!({
                "format_version": "1",
                "org": {"api_host": org_ref.api_host, "org_id": org_ref.org_id},
                "environment": globals.environment,
                "managed": managed,
                "drift_present": !drifted.is_empty(),
                "actions": drifted.iter().map(|d| json!({
                    "name": d.name, "id": d.id, "deleted": d.deleted,
                    "fields": d.fields.iter().map(|(k, v)| json!({"path": k, "live": v})).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            });
            printer.outln(&serde_json::to_string_pretty(&report).unwrap_or_default());
        } else {
            let yellow = Style::new().yellow().bold();
            for d in &drifted {
                if d.deleted {
                    printer.outln(&format!("{} {} (id `{}`) was deleted outside gcsync", printer.paint(&Style::new().red().bold(), "-"), d.name, d.id));
                } else {
                    printer.outln(&format!("{} {} (id `{}`) changed outside gcsync:", printer.paint(&yellow, "~"), d.name, d.id));
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
            if drifted.is_empty() {
                printer.outln(&format!("No drift: the {managed} action{} gcsync manages match the last apply.", if managed == 1 { "" } else { "s" }));
            } else {
                printer.outln(&format!("\nDrift: {} of {managed} managed action{} changed outside gcsync. `gcsync plan` shows how apply restores them.", drifted.len(), if managed == 1 { "" } else { "s" }));
            }
        }
        Ok(if drifted.is_empty() { ExitStatus::Success } else { ExitStatus::Changes })
    })
}
