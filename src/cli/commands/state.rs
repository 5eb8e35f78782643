//! `gcsync state list|show|rm|pull|push` and `gcsync force-unlock`: look at, move and repair
//! the state, at any state location (a file or a URL).

use super::StateArgs;
use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::operation::session;
use crate::state::backend::Location;
use crate::state::store::{AnyStore, StateStore as _};
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
    /// Print the state as stored (for backups and migrations: `gcsync state pull > s.json`).
    Pull,
    /// Replace the state with a local state file (a migration from a file to a bucket). Refuses
    /// another lineage or a serial that is not newer, unless --force.
    Push {
        /// The state file to push.
        file: std::path::PathBuf,
        /// Replace whatever is there.
        #[arg(long)]
        force: bool,
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
    let location = Location::parse(&path.to_string_lossy()).map_err(crate::state::backend::Error::from)?;
    let mut store = AnyStore::open(&location)?;
    let shown = store.shown();
    let rt = crate::cli::org::runtime()?;
    rt.block_on(async {
        match &args.command {
            StateCommand::List => {
                let mut state = store.load().await?;
                state.check_environment(&shown, globals.environment.as_deref())?;
                for (name, t) in &state.actions {
                    printer.outln(&format!("{name}\t{}\t{}\tv{}", t.id, t.integration, t.version));
                }
                if state.actions.is_empty() {
                    printer.info(&format!("`{}` manages no actions", store.location()));
                }
                Ok(ExitStatus::Success)
            }
            StateCommand::Show { name } => {
                let mut state = store.load().await?;
                state.check_environment(&shown, globals.environment.as_deref())?;
                let t = state
                    .actions
                    .get(name)
                    .ok_or_else(|| not_in_state(name, &state, &shown, &list_cmd(args, globals)))?;
                let entry = serde_json::to_value(t).map_err(|e| {
                    CliError::new(format!("cannot show `{name}` from `{}`: {e}", store.location()))
                })?;
                printer.json(&entry);
                Ok(ExitStatus::Success)
            }
            StateCommand::Rm { names } => {
                let guard = lock_store(&mut store, "state rm", printer).await?;
                let result = remove(&mut store, names, args, globals, printer).await;
                unlock_store(&mut store, guard, printer).await;
                result
            }
            StateCommand::Pull => {
                printer.out(&pulled(&store).await?);
                Ok(ExitStatus::Success)
            }
            StateCommand::Push { file, force } => {
                let guard = lock_store(&mut store, "state push", printer).await?;
                let result = push(&mut store, file, *force, printer).await;
                unlock_store(&mut store, guard, printer).await;
                result
            }
        }
    })
}

/// Takes the lock of `store` for `operation` (the session's rule: fails fast when held,
/// breaks a dead holder's local lock with a warning).
async fn lock_store(
    store: &mut AnyStore,
    operation: &str,
    printer: &Printer,
) -> Result<Option<lock::Guard>, CliError> {
    session::take_lock(store, operation, std::time::Duration::ZERO, &|notice| printer.warn(notice)).await
}

async fn unlock_store(store: &mut AnyStore, guard: Option<lock::Guard>, printer: &Printer) {
    if let Some(why) = session::release_lock(store, guard).await {
        printer.warn(&why);
    }
}

async fn remove(
    store: &mut AnyStore,
    names: &[String],
    args: &Args,
    globals: &Globals,
    printer: &Printer,
) -> CmdResult {
    let shown = store.shown();
    let mut state = store.load().await?;
    state.check_environment(&shown, globals.environment.as_deref())?;
    // All or nothing: an unknown name (a typo) removes none of the others.
    if let Some(unknown) = names.iter().find(|n| !state.actions.contains_key(n.as_str())) {
        return Err(not_in_state(unknown, &state, &shown, &list_cmd(args, globals)));
    }
    let mut removed = Vec::new();
    for name in names {
        if let Some(t) = state.actions.remove(name) {
            removed.push((name, t.id));
        }
    }
    store.save(&mut state).await?;
    for (name, id) in removed {
        printer.info(&format!(
            "removed `{name}` from the state; action `{id}` stays in the org, no longer managed"
        ));
    }
    Ok(ExitStatus::Success)
}

/// The stored bytes of the state, as text.
async fn pulled(store: &AnyStore) -> Result<String, CliError> {
    let bytes = match store {
        AnyStore::File(f) => match std::fs::read(f.path()) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CliError::new(format!("there is no state at `{}`", f.location())));
            }
            Err(e) => {
                return Err(CliError::new(format!(
                    "cannot read `{}`: {}",
                    f.path().display(),
                    crate::fsutil::io_reason(&e)
                )));
            }
        },
        AnyStore::Backend(b) => match b.backend().read().await? {
            Some((bytes, _)) => bytes.to_vec(),
            None => return Err(CliError::new(format!("there is no state at `{}`", b.location()))),
        },
    };
    String::from_utf8(bytes)
        .map_err(|_| CliError::new(format!("the state at `{}` is not UTF-8 text", store.location())))
}

/// `state push FILE`: replaces the state with a local state file. Refuses another lineage,
/// or a serial that is not newer, unless `force`.
async fn push(store: &mut AnyStore, file: &std::path::Path, force: bool, printer: &Printer) -> CmdResult {
    let bytes = std::fs::read(file).map_err(|e| {
        CliError::new(format!("cannot read `{}`: {}", file.display(), crate::fsutil::io_reason(&e)))
    })?;
    let pushed = State::from_bytes(file, &bytes)?;
    let current = store.load().await?;
    let exists = store.exists().await?;
    if exists && !force {
        if current.lineage != pushed.lineage {
            return Err(CliError::new(format!(
                "`{}` has lineage `{}`, the state at `{}` has `{}`: they are different states",
                file.display(),
                pushed.lineage,
                store.location(),
                current.lineage
            ))
            .hint("push to an empty location, or pass `--force` to replace that state anyway"));
        }
        if pushed.serial <= current.serial {
            return Err(CliError::new(format!(
                "`{}` has serial {}, not newer than the serial {} at `{}`",
                file.display(),
                pushed.serial,
                current.serial,
                store.location()
            ))
            .hint(
                "pull the current state first (`gcsync state pull`), or pass `--force` to replace it anyway",
            ));
        }
    }
    match store {
        AnyStore::File(f) => crate::fsutil::write_private(f.path(), &bytes, true).map_err(|e| {
            CliError::new(format!("cannot write `{}`: {}", f.path().display(), crate::fsutil::io_reason(&e)))
        })?,
        AnyStore::Backend(b) => b.replace_with(bytes::Bytes::from(bytes)).await?,
    }
    printer.info(&format!(
        "pushed `{}` (lineage {}, serial {}) to `{}`",
        file.display(),
        pushed.lineage,
        pushed.serial,
        store.location()
    ));
    Ok(ExitStatus::Success)
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
    let path = args.state.path(globals);
    let location = Location::parse(&path.to_string_lossy()).map_err(crate::state::backend::Error::from)?;
    match AnyStore::open(&location)? {
        AnyStore::File(f) => {
            let holder = lock::force_unlock(f.path(), &args.lock_id)?;
            printer.info(&format!(
                "unlocked (was held by `{}`, pid {} on {} since {})",
                holder.operation, holder.pid, holder.host, holder.created
            ));
        }
        AnyStore::Backend(b) => {
            let rt = crate::cli::org::runtime()?;
            rt.block_on(b.backend().force_unlock(&args.lock_id))?;
            printer.info(&format!("unlocked `{}` (lock id {})", b.location(), args.lock_id));
        }
    }
    Ok(ExitStatus::Success)
}
