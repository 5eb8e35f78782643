//! `gcsync usage [NAME...] [--all]`: which Architect flows use each action (issue 15), from
//! Genesys's dependency tracking; with `--all`, every owned action, the unused ones listed as such
//! (a cleanup report).
//!
//! Owns: the arguments and rendering the report (human and `--json`); the reads are
//! `operation::usage`.
//! Must not: change the org or the state, or decide whether a delete may proceed (`impact::decide`).
//!
//! Calls: the session's org check, one action listing, one dependency build check, and two
//! consumer queries per action.

use super::StateArgs;
use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::exit::{CmdResult, ExitStatus};
use crate::impact::{Consumer, Incomplete};
use crate::operation::usage::{self as usage_op, Usage};
use console::Style;
use serde_json::{Value, json};

/// Arguments of `usage`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Reads Genesys's Architect dependency tracking (needs architect:dependencyTracking:view).\nA consumer list that may be missing flows (dependency build not OPERATIONAL, failed objects, 403, 5xx) is marked incomplete.\nExit codes: 0 report printed (also when incomplete), 1 error."
)]
pub struct Args {
    /// Actions by name (owned actions from the state first, else the org's action of that exact name).
    #[arg(value_name = "NAME", required_unless_present = "all", conflicts_with = "all")]
    names: Vec<String>,
    /// Every action the state owns.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    state: StateArgs,
    /// Machine-readable report on stdout (`format_version` "1").
    #[arg(long)]
    json: bool,
}

/// Runs `usage`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let rt = crate::cli::org::runtime()?;
    rt.block_on(async {
        let session =
            super::open_session(globals, args.state.path(globals), None, None, false, printer).await?;
        let names = if args.all { Vec::new() } else { args.names.clone() };
        let result = usage_op::usage(&session, &names, args.all).await;
        super::close_session(session, printer).await;
        let usage_op::Report { usages, health } = result?;
        if args.json {
            printer.json(&report_json(&usages, &health));
        } else {
            render_human(&usages, &health, printer, args.all);
        }
        Ok(ExitStatus::Success)
    })
}

fn consumer_json(c: &Consumer) -> Value {
    json!({
        "id": c.id, "name": c.name, "type": c.flow_type,
        "published_version": c.published_version, "checked_in_version": c.checked_in_version,
    })
}

fn report_json(usages: &[Usage], health: &[Incomplete]) -> Value {
    let complete = health.is_empty() && usages.iter().all(|u| u.impact.is_complete());
    json!({
        "format_version": "1",
        "complete": complete,
        "incomplete": health.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "actions": usages.iter().map(|u| json!({
            "name": u.name,
            "id": u.id,
            "secure": u.secure,
            "owned": u.owned,
            "unused": u.impact.consumers.is_empty() && u.impact.is_complete() && health.is_empty(),
            "complete": u.impact.is_complete() && health.is_empty(),
            "incomplete": u.impact.incomplete.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "consumers": u.impact.consumers.iter().map(consumer_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn versions(c: &Consumer) -> String {
    match (&c.published_version, &c.checked_in_version) {
        (Some(p), Some(ci)) if p != ci => format!("published {p}, checked in {ci}"),
        (Some(p), _) => format!("published {p}"),
        (None, Some(ci)) => format!("checked in {ci} (not published)"),
        (None, None) => "no version".to_string(),
    }
}

fn render_human(usages: &[Usage], health: &[Incomplete], printer: &Printer, all: bool) {
    let bold = Style::new().bold();
    let yellow = Style::new().yellow().bold();
    let plural = |n: usize| if n == 1 { "flow" } else { "flows" };
    let mut unused = Vec::new();
    for u in usages {
        let complete = u.impact.is_complete() && health.is_empty();
        if u.impact.consumers.is_empty() && complete {
            unused.push(u);
            continue;
        }
        let n = u.impact.consumers.len();
        let what = match (complete, n) {
            (true, _) => format!("used by {n} {}", plural(n)),
            (false, 0) => "unknown which flows use it (the answer is incomplete)".to_string(),
            (false, _) => format!("used by at least {n} {} (the answer is incomplete)", plural(n)),
        };
        printer.outln(&format!("{} (id `{}`): {what}", printer.paint(&bold, &u.name), u.id));
        let width = u.impact.consumers.iter().map(|c| c.name.chars().count()).max().unwrap_or(0);
        let type_width = u.impact.consumers.iter().map(|c| c.flow_type.len()).max().unwrap_or(0);
        for c in &u.impact.consumers {
            printer.outln(&format!("    {:<width$}  {:<type_width$}  {}", c.name, c.flow_type, versions(c)));
        }
        for why in &u.impact.incomplete {
            printer.outln(&format!("    {} {why}", printer.paint(&yellow, "!")));
        }
    }
    if !unused.is_empty() {
        let label = if all {
            "Unused (no flow uses them; candidates for cleanup)"
        } else {
            "Unused (no flow uses them)"
        };
        printer.outln(&format!("{label}:"));
        for u in unused {
            printer.outln(&format!("    {} (id `{}`)", u.name, u.id));
        }
    }
    if usages.is_empty() {
        printer.outln("The state owns no actions.");
    }
    if !health.is_empty() {
        for why in health {
            printer.outln(&format!("{} {why}", printer.paint(&yellow, "!")));
        }
        printer.outln("The lists above may be missing flows: run this command again once dependency tracking is OPERATIONAL.");
    }
}
