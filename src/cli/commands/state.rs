//! `gcsync state list|show|rm` and `gcsync force-unlock`: look at and repair the state.

use super::StateArgs;
use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::operation::session::now_rfc3339;
use crate::state::{State, lock};

/// Arguments of `state`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    command: StateCommand,
    #[command(flatten)]
    state: StateArgs,
}

/// `state` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum StateCommand {
    /// List the actions gcsync manages.
    List,
    /// Show one managed action as JSON.
    Show {
        /// Manifest name.
        name: String,
    },
    /// Forget actions (they stay in the org, unmanaged). Every name must be in the state,
    /// or nothing is removed.
    Rm {
        /// Manifest names.
        #[arg(required = true, num_args = 1..)]
        names: Vec<String>,
    },
}

/// Arguments of `force-unlock`.
#[derive(Debug, clap::Args)]
pub struct UnlockArgs {
    /// The lock id from the "state is locked" message.
    lock_id: String,
    #[command(flatten)]
    state: StateArgs,
}

/// Runs `state …`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let path = args.state.path(globals);
    match &args.command {
        StateCommand::List => {
            let mut state = State::load(&path)?;
            state.check_environment(&path, globals.environment.as_deref())?;
            for (name, t) in &state.actions {
                printer.outln(&format!("{name}\t{}\t{}\tv{}", t.id, t.integration, t.version));
            }
            if state.actions.is_empty() {
                printer.info(&format!("`{}` manages no actions", path.display()));
            }
            Ok(ExitStatus::Success)
        }
        StateCommand::Show { name } => {
            let mut state = State::load(&path)?;
            state.check_environment(&path, globals.environment.as_deref())?;
            let t = state
                .actions
                .get(name)
                .ok_or_else(|| not_in_state(name, &state, &path, &list_cmd(args, globals)))?;
            let entry = serde_json::to_value(t)
                .map_err(|e| CliError::new(format!("cannot show `{name}` from `{}`: {e}", path.display())))?;
            printer.json(&entry);
            Ok(ExitStatus::Success)
        }
        StateCommand::Rm { names } => {
            let _guard = lock::acquire(&path, "state rm", &now_rfc3339())?;
            let mut state = State::load(&path)?;
            state.check_environment(&path, globals.environment.as_deref())?;
            // All or nothing: an unknown name (a typo) removes none of the others.
            if let Some(unknown) = names.iter().find(|n| !state.actions.contains_key(n.as_str())) {
                return Err(not_in_state(unknown, &state, &path, &list_cmd(args, globals)));
            }
            let mut removed = Vec::new();
            for name in names {
                if let Some(t) = state.actions.remove(name) {
                    removed.push((name, t.id));
                }
            }
            state.save(&path)?;
            for (name, id) in removed {
                printer.info(&format!(
                    "removed `{name}` from the state; action `{id}` stays in the org, no longer managed"
                ));
            }
            Ok(ExitStatus::Success)
        }
    }
}

/// `gcsync state list` for the org and state this run used (a hint that runs as printed).
fn list_cmd(args: &Args, globals: &Globals) -> String {
    let mut cmd = format!("{} state list", globals.gcsync_prefix());
    if let Some(st) = &args.state.state {
        cmd.push_str(&format!(" --state {}", crate::cli::shell_word(&st.to_string_lossy())));
    }
    cmd
}

/// `NAME` is not in the state: says so, with the closest managed name when one is close.
fn not_in_state(name: &str, state: &State, path: &std::path::Path, list: &str) -> CliError {
    let known: Vec<&str> = state.actions.keys().map(String::as_str).collect();
    let e = CliError::new(format!("`{name}` is not in the state `{}`", path.display()));
    match crate::manifest::reader::suggest(name, &known) {
        Some(s) => e.hint(format!("did you mean `{s}`? `{list}` lists the managed actions")),
        None => e.hint(format!("`{list}` lists the managed actions")),
    }
}

/// Runs `force-unlock`.
pub fn unlock(args: &UnlockArgs, printer: &Printer, globals: &Globals) -> CmdResult {
    let holder = lock::force_unlock(&args.state.path(globals), &args.lock_id)?;
    printer.info(&format!(
        "unlocked (was held by `{}`, pid {} on {} since {})",
        holder.operation, holder.pid, holder.host, holder.created
    ));
    Ok(ExitStatus::Success)
}
