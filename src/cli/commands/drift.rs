//! `gcsync drift`: has the org moved away from what gcsync last applied? For scheduled audits.
//!
//! Owns: the drift report (human and `--json`) and its exit status; the audit itself is
//! `operation::drift` (reads) over `plan::drift` (the comparison).
//! Must not: read manifests, compare, or change the org or the state.

use super::StateArgs;
use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::exit::{CmdResult, ExitStatus};
use crate::operation::drift as drift_op;
use crate::operation::refresh::Refresh;
use crate::plan::drift::Drifted;
use console::Style;
use serde_json::{Value, json};

/// Arguments of `drift`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Compares the org with what the state says was last applied (not with the manifests):\nowned actions per field; owned integrations: deleted, renamed, enabled state, credential binding;\nbroken references: Architect flows that still use a deleted action gcsync owns or replaced.\nExit codes: 0 no drift, 1 error, 2 drift found."
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

/// Runs `drift`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let rt = crate::cli::org::runtime()?;
    rt.block_on(async {
        let session = super::open_session(globals, args.state.path(globals), None, None, true, printer).await?;
        let result = drift_op::drift(&session, args.refresh == Refresh::Full).await;
        super::close_session(session, printer).await;
        let report = result?;
        let any = report.any();
        let (broken, broken_unknown) = (report.broken, report.broken_unknown);
        let (org_ref, managed, managed_integrations) =
            (report.org_ref, report.managed, report.managed_integrations);
        let (drifted, drifted_integrations) = (report.actions, report.integrations);
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
                "broken_references": broken.iter().map(|b| json!({
                    "action": b.action, "action_id": b.action_id, "flow_id": b.flow_id,
                    "flow_name": b.flow_name, "flow_type": b.flow_type, "flow_version": b.flow_version,
                })).collect::<Vec<_>>(),
                "broken_references_unknown": broken_unknown,
            });
            printer.json(&report);
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
            for b in &broken {
                // An optional part of a display line: absent, nothing is shown.
                let version = b.flow_version.as_ref().map(|v| format!(" version {v}")).unwrap_or_default();
                printer.outln(&format!(
                    "{} flow {} ({}{version}) still uses deleted action {} (id `{}`): republish it onto the current action",
                    printer.paint(&Style::new().red().bold(), "!"),
                    b.flow_name,
                    b.flow_type,
                    b.action,
                    b.action_id
                ));
            }
            if let Some(why) = &broken_unknown {
                printer.warn(&format!("broken flow references are unknown: {why}"));
            }
            let what = managed_what(managed, managed_integrations);
            if any && drifted.is_empty() && drifted_integrations.is_empty() {
                let n = broken.len();
                let verb = if managed + managed_integrations == 1 { "matches" } else { "match" };
                printer.outln(&format!(
                    "\nDrift: {n} broken flow reference{} to actions gcsync manages or replaced; otherwise the {what} gcsync manages {verb} the last apply.",
                    if n == 1 { "" } else { "s" }
                ));
            } else if any {
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
