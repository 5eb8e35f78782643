//! An operation's session with an org: lock, connection, state, org check.
//!
//! Owns: the order of opening — lock first (so a second apply fails fast), then connect,
//! load the state, check that it belongs to the target org and environment — and closing
//! (stop the local org, release the lock); the connection type ([`Org`]).
//! Must not: plan, apply, print (a broken stale lock is reported through the caller's
//! hook) or parse arguments.

use crate::emulator;
use crate::exit::CliError;
use crate::operation::refresh;
use crate::remote::Client;
use crate::state::store::{FileStore, StateStore as _};
use crate::state::{OrgRef, State, lock};
use std::future::Future;

/// A live connection.
pub struct Org {
    /// The API client.
    pub client: Client,
    /// The in-process emulator, for `--local` (kept alive while the command runs).
    pub local: Option<emulator::Running>,
}

impl Org {
    /// Stops the in-process emulator, if any.
    pub async fn close(self) {
        if let Some(l) = self.local {
            l.shutdown().await;
        }
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
    /// Where the state lives.
    pub store: FileStore,
    /// The target org.
    pub org_ref: OrgRef,
    /// The org's name.
    pub org_name: String,
    /// The lock, when taken.
    pub lock: Option<lock::Guard>,
}

/// How to open a session.
pub struct Opening<'a> {
    /// Where the state lives.
    pub store: FileStore,
    /// Take the lock for this operation (`plan`, `apply`, `import`); `None` reads without it.
    pub operation: Option<&'a str>,
    /// The environment (`--env`) the state must belong to.
    pub environment: Option<&'a str>,
}

/// Takes the lock (when an operation is named), connects (`connect` is awaited only once
/// the lock is held), loads the state and checks that it belongs to the target org and
/// environment. `on_stale_lock` hears about a dead holder's lock that was broken.
pub async fn open(
    opening: Opening<'_>,
    connect: impl Future<Output = Result<Org, CliError>>,
    on_stale_lock: impl FnOnce(&lock::LockInfo),
) -> Result<Session, CliError> {
    let Opening { store, operation, environment } = opening;
    let lock = match operation {
        Some(op) => {
            let g = store.lock(op, &now_rfc3339())?;
            if let Some(stale) = &g.broke_stale {
                on_stale_lock(stale);
            }
            Some(g)
        }
        None => None,
    };
    let org = connect.await?;
    let mut state = match store.load() {
        Ok(s) => s,
        Err(e) => {
            org.close().await;
            return Err(e.into());
        }
    };
    let (org_ref, org_name) = match refresh::org_ref(&org.client).await {
        Ok(x) => x,
        Err(e) => {
            org.close().await;
            return Err(e.into());
        }
    };
    if let Err(e) = state
        .check_org(store.path(), &org_ref)
        .and_then(|()| state.check_environment(store.path(), environment))
    {
        org.close().await;
        return Err(e.into());
    }
    Ok(Session { org, state, store, org_ref, org_name, lock })
}

impl Session {
    /// The plan header's context: the org, the state's location and its lineage/serial.
    #[must_use]
    pub fn render_context(&self, environment: Option<String>) -> crate::plan::render::Context {
        crate::plan::render::Context {
            org_name: self.org_name.clone(),
            api_host: self.org_ref.api_host.clone(),
            org_id: self.org_ref.org_id.clone(),
            state_path: self.store.location(),
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
