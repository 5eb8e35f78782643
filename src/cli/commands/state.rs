//! `gcsync state list|show|rm` and `gcsync force-unlock`: look at and repair the state.

use super::session::{StateArgs, now_rfc3339};
use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::exit::{CliError, CmdResult, ExitStatus};
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
    /// Forget an action (it stays in the org, unmanaged).
    Rm {
        /// Manifest name.
        name: String,
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
                .ok_or_else(|| CliError::new(format!("`{name}` is not in the state `{}`", path.display())))?;
            printer.outln(&serde_json::to_string_pretty(t).unwrap_or_default());
            Ok(ExitStatus::Success)
        }
        StateCommand::Rm { name } => {
            let _guard = lock::acquire(&path, "state rm", &now_rfc3339())?;
            let mut state = State::load(&path)?;
            state.check_environment(&path, globals.environment.as_deref())?;
            let t = state
                .actions
                .remove(name)
                .ok_or_else(|| CliError::new(format!("`{name}` is not in the state `{}`", path.display())))?;
            state.save(&path)?;
            printer.info(&format!(
                "removed `{name}` from the state; action `{}` stays in the org, no longer managed",
                t.id
            ));
            Ok(ExitStatus::Success)
        }
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
