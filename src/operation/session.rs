//! An operation's session with an org: lock, connection, state, org check.
//!
//! Owns: the order of opening — lock first (so a second apply fails fast), then connect,
//! load the state, check that it belongs to the target org (proved by an owned action's id
//! in the org's action list when the operation reads that list, else by
//! `organizations/me`) and environment — and closing
//! (stop the local org, release the lock); the connection type ([`Org`]).
//! Must not: plan, apply, print (a broken stale lock is reported through the caller's
//! hook) or parse arguments.

use crate::emulator;
use crate::exit::CliError;
use crate::operation::refresh;
use crate::plan::LiveSummary;
use crate::remote::{Client, Read as _};
use crate::state::store::{AnyStore, StateStore as _};
use crate::state::{OrgRef, State, lock};
use std::future::Future;
use std::time::{Duration, Instant};

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
    pub store: AnyStore,
    /// The target org.
    pub org_ref: OrgRef,
    /// The org's name.
    pub org_name: String,
    /// The local file's lock, when taken (a remote store holds its own).
    pub lock: Option<lock::Guard>,
    /// The org's action list when opening already read it ([`Opening::lists_actions`]),
    /// until the operation takes it ([`Session::take_listed`]).
    listed: std::cell::Cell<Option<Vec<LiveSummary>>>,
}

/// How to open a session.
pub struct Opening<'a> {
    /// Where the state lives.
    pub store: AnyStore,
    /// Take the lock for this operation (`plan`, `apply`, `import`); `None` reads without it.
    pub operation: Option<&'a str>,
    /// The environment (`--env`) the state must belong to.
    pub environment: Option<&'a str>,
    /// How long to wait for a lock another run holds (`--lock-timeout`; zero fails fast).
    pub lock_timeout: Duration,
    /// The operation reads the org's action list (`plan`, `apply`, `drift`): opening reads
    /// it first, and when it holds an action the state owns, that proves the org (action
    /// ids are unique across Genesys Cloud) without `organizations/me`; the operation then
    /// uses this list instead of reading it again.
    pub lists_actions: bool,
}

/// Takes the lock (when an operation is named), connects (`connect` is awaited only once
/// the lock is held), loads the state and checks that it belongs to the target org and
/// environment. `notice` hears what the caller should show: a dead holder's lock that was
/// broken, a wait for a held lock. On any error the lock is released again.
pub async fn open(
    opening: Opening<'_>,
    connect: impl Future<Output = Result<Org, CliError>>,
    notice: &(dyn Fn(&str) + Send + Sync),
) -> Result<Session, CliError> {
    let Opening { mut store, operation, environment, lock_timeout, lists_actions } = opening;
    let lock = match operation {
        Some(op) => take_lock(&mut store, op, lock_timeout, notice).await?,
        None => None,
    };
    let opened = async {
        let org = connect.await?;
        match check(&mut store, &org, environment, lists_actions).await {
            Ok(checked) => Ok((org, checked)),
            Err(e) => {
                org.close().await;
                Err(e)
            }
        }
    }
    .await;
    match opened {
        Ok((org, Checked { state, org_ref, org_name, listed })) => {
            Ok(Session { org, state, store, org_ref, org_name, lock, listed: std::cell::Cell::new(listed) })
        }
        Err(e) => {
            if let Some(why) = release_lock(&mut store, lock).await {
                notice(&why);
            }
            Err(e)
        }
    }
}

/// What opening checked.
struct Checked {
    state: State,
    org_ref: OrgRef,
    org_name: String,
    listed: Option<Vec<LiveSummary>>,
}

/// Loads the state and checks it against the org and the environment. With `lists_actions`
/// the org's action list is read first: an action the state owns found in it proves the
/// org the state belongs to (ids are unique across Genesys Cloud, so another org cannot
/// list it), and `organizations/me` is read only when the list proves nothing (a new state,
/// no owned action found, no org name recorded yet) — then the org's id decides, as always.
async fn check(
    store: &mut AnyStore,
    org: &Org,
    environment: Option<&str>,
    lists_actions: bool,
) -> Result<Checked, CliError> {
    let mut state = store.load().await?;
    let shown = store.shown();
    let listed: Option<Vec<LiveSummary>> = if lists_actions {
        Some(org.client.list_actions().await?.iter().map(refresh::summary).collect())
    } else {
        None
    };
    let proven = match (&listed, &state.org, &state.org_name) {
        (Some(live), Some(recorded), Some(name)) if lists_an_owned_action(live, &state) => {
            Some((OrgRef { api_host: org.client.api_host(), org_id: recorded.org_id.clone() }, name.clone()))
        }
        _ => None,
    };
    let (org_ref, org_name) = match proven {
        Some(p) => p,
        None => {
            let (org_ref, org_name) = refresh::org_ref(&org.client).await?;
            state.check_org(&shown, &org_ref)?;
            state.org_name = Some(org_name.clone());
            (org_ref, org_name)
        }
    };
    state.check_environment(&shown, environment)?;
    Ok(Checked { state, org_ref, org_name, listed })
}

/// Whether the org's action list holds an action the state owns (one set of the listed ids,
/// so a list of thousands is checked in one pass).
fn lists_an_owned_action(live: &[LiveSummary], state: &State) -> bool {
    let ids: std::collections::HashSet<&str> = live.iter().map(|l| l.id.as_str()).collect();
    state.actions.values().any(|t| ids.contains(t.id.as_str()))
}

/// Releases what [`take_lock`] took (a local file's guard, or the remote store's lock).
/// Returns why a remote lock could not be released (it then stays until `force-unlock`).
pub async fn release_lock(store: &mut AnyStore, guard: Option<lock::Guard>) -> Option<String> {
    drop(guard);
    match store {
        AnyStore::Backend(b) => b.unlock().await.err().map(|e| format!("could not release the lock: {e}")),
        AnyStore::File(_) => None,
    }
}

/// Takes the store's lock for `operation`, waiting up to `timeout` while it is held; the
/// guard (local files) or the store (remote) holds it until [`release_lock`].
pub async fn take_lock(
    store: &mut AnyStore,
    operation: &str,
    timeout: Duration,
    notice: &(dyn Fn(&str) + Send + Sync),
) -> Result<Option<lock::Guard>, CliError> {
    match store {
        AnyStore::File(f) => {
            let start = Instant::now();
            let mut backoff = Duration::from_secs(1);
            loop {
                match f.lock(operation, &now_rfc3339()) {
                    Ok(g) => {
                        if let Some(stale) = &g.broke_stale {
                            notice(&format!(
                                "removed a stale lock of `{}` (pid {} is no longer running, lock id {})",
                                stale.operation, stale.pid, stale.id
                            ));
                        }
                        return Ok(Some(g));
                    }
                    Err(lock::Error::Held(holder)) if start.elapsed() < timeout => {
                        let wait = backoff.min(timeout.saturating_sub(start.elapsed()));
                        notice(&format!(
                            "the state is locked by `{}` (pid {} on {}); waiting {} s",
                            holder.operation,
                            holder.pid,
                            holder.host,
                            wait.as_secs().max(1)
                        ));
                        tokio::time::sleep(wait).await;
                        backoff = (backoff * 2).min(Duration::from_secs(16));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        AnyStore::Backend(b) => {
            let mut on_wait = |holder: &crate::state::backend::LockInfo, wait: Duration| {
                notice(&format!("the state is locked by {holder}; waiting {} s", wait.as_secs().max(1)));
            };
            b.lock(operation, timeout, &mut on_wait).await?;
            Ok(None)
        }
    }
}

impl Session {
    /// The org's action list read while opening, once (`None` when opening did not read it,
    /// or it was taken already: the caller reads it then).
    pub fn take_listed(&self) -> Option<Vec<LiveSummary>> {
        self.listed.take()
    }

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

    /// Ends the session: stops the local org and releases the lock. Returns why a remote
    /// lock could not be released (it then stays until `gcsync force-unlock`).
    pub async fn close(self) -> Option<String> {
        let Session { org, mut store, lock, .. } = self;
        org.close().await;
        drop(lock);
        match &mut store {
            AnyStore::Backend(b) => {
                b.unlock().await.err().map(|e| format!("could not release the lock: {e}"))
            }
            AnyStore::File(_) => None,
        }
    }
}
