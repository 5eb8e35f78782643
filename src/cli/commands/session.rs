//! A command's session with an org: state path, lock, connection, state, org check.
//!
//! Owns: the order of opening (lock first, so a second apply fails fast; then connect,
//! load state, check the org) and the shared flags (`--state`, `--refresh`).
//! Must not: plan or apply.

use crate::cli::Globals;
use crate::cli::org::{self, Org};
use crate::cli::printer::Printer;
use crate::exit::CliError;
use crate::reconcile;
use crate::state::{OrgRef, State, lock};
use std::path::PathBuf;

/// `--state FILE` (also `GCSYNC_STATE`, which `--env` ignores).
#[derive(Debug, Clone, clap::Args)]
pub struct StateArgs {
    /// State file (default: state/gcsync.state.json; state/local.state.json with --local;
    /// the environment's `state:` with --env). Also GCSYNC_STATE, except with --env: an
    /// environment keeps its own state file.
    #[arg(long = "state", value_name = "FILE")]
    pub state: Option<PathBuf>,
}

impl StateArgs {
    /// The state path for this run: `--state`, else (without `--env`) `GCSYNC_STATE`, else
    /// the target's default.
    #[must_use]
    pub fn path(&self, globals: &Globals) -> PathBuf {
        if let Some(p) = &self.state {
            return p.clone();
        }
        if globals.env.is_none()
            && let Some(p) = std::env::var_os("GCSYNC_STATE").filter(|v| !v.is_empty())
        {
            return PathBuf::from(p);
        }
        globals.default_state.clone()
    }
}

/// The current time as RFC 3339 (lock info only; plans never read the clock).
#[must_use]
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// An open session.
pub struct Session {
    /// The connection.
    pub org: Org,
    /// The loaded state.
    pub state: State,
    /// Its path.
    pub state_path: PathBuf,
    /// The target org.
    pub org_ref: OrgRef,
    /// The org's name.
    pub org_name: String,
    /// The lock, when taken.
    pub lock: Option<lock::Guard>,
}

/// Takes the lock (when `operation` is given), connects, loads the state and checks that it
/// belongs to the target org.
pub async fn open(
    globals: &Globals,
    state_path: PathBuf,
    operation: Option<&str>,
    printer: &Printer,
) -> Result<Session, CliError> {
    let lock = match operation {
        Some(op) => {
            let g = lock::acquire(&state_path, op, &now_rfc3339())?;
            if let Some(stale) = &g.broke_stale {
                printer.warn(&format!(
                    "removed a stale lock of `{}` (pid {} is no longer running, lock id {})",
                    stale.operation, stale.pid, stale.id
                ));
            }
            Some(g)
        }
        None => None,
    };
    let org = org::connect(&globals.target, printer).await?;
    let mut state = State::load(&state_path)?;
    let (org_ref, org_name) = match reconcile::org_ref(&org.client).await {
        Ok(x) => x,
        Err(e) => {
            org.close().await;
            return Err(e.into());
        }
    };
    if let Err(e) = state
        .check_org(&state_path, &org_ref)
        .and_then(|()| state.check_environment(&state_path, globals.environment.as_deref()))
    {
        org.close().await;
        return Err(e.into());
    }
    Ok(Session { org, state, state_path, org_ref, org_name, lock })
}

impl Session {
    /// The plan header's context: the org, the state file and its lineage/serial.
    #[must_use]
    pub fn render_context(&self, environment: Option<String>) -> crate::plan::render::Context {
        crate::plan::render::Context {
            org_name: self.org_name.clone(),
            api_host: self.org_ref.api_host.clone(),
            org_id: self.org_ref.org_id.clone(),
            state_path: self.state_path.display().to_string(),
            lineage: self.state.lineage.clone(),
            serial: self.state.serial,
            environment,
        }
    }

    /// Ends the session (stops the local org; releases the lock).
    pub async fn close(self) {
        self.org.close().await;
        drop(self.lock);
    }
}
