//! The seam between apply and where the state lives: apply persists through a
//! [`StateStore`], never through a path.
//!
//! Owns: the [`StateStore`] trait, the local-file store ([`FileStore`]: the state file, its
//! `.backup` and its `.lock` beside it), the remote store ([`BackendStore`]: a
//! `state::backend` location read once, every write conditional on the version read or last
//! written, the backend's lock), [`AnyStore`] (the store of a `--state` location), and an
//! in-memory store ([`MemoryStore`]) that records every write, for unit tests of apply.
//! Must not: decide when to write (apply does) or what a state contains (`state` does).

use super::backend::{self, Backend, Location, LockInfo, Version};
use super::{Error, State, lock};
use bytes::Bytes;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where apply writes the state after every mutation.
#[allow(async_fn_in_trait)] // used with generics on a current-thread runtime; `Send` not needed
pub trait StateStore {
    /// Where the state lives, as messages and the plan header show it.
    fn location(&self) -> String;
    /// Persists `state`; its serial moves only when the content changed since the last write.
    /// A store may defer it (apply's batching); see [`StateStore::save_now`].
    async fn save(&mut self, state: &mut State) -> Result<(), Error>;

    /// Persists `state` now, never deferred: the pending-create journal before a create, and
    /// the state after a failure.
    async fn save_now(&mut self, state: &mut State) -> Result<(), Error> {
        self.save(state).await
    }
}

/// A state file on the local disk.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// The store at `path`.
    #[must_use]
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file exists (a missing file loads as a new, empty state).
    #[must_use]
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Reads the state; a missing file is a new state.
    pub fn load(&self) -> Result<State, Error> {
        State::load(&self.path)
    }

    /// Takes the lock beside the file for `operation`.
    pub fn lock(&self, operation: &str, now: &str) -> Result<lock::Guard, lock::Error> {
        lock::acquire(&self.path, operation, now)
    }
}

impl StateStore for FileStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    async fn save(&mut self, state: &mut State) -> Result<(), Error> {
        state.save(&self.path)
    }
}

/// Keeps every written state in memory, in order: the store of apply's unit tests (a test
/// asserts what was persisted at each step, e.g. the pending-create journal before a create).
#[derive(Debug, Default)]
pub struct MemoryStore {
    /// Every state written, oldest first.
    pub writes: Vec<State>,
    /// When set, every write fails with this reason (a full disk, a refused upload).
    pub fail_with: Option<String>,
}

impl StateStore for MemoryStore {
    fn location(&self) -> String {
        "(memory)".to_string()
    }

    async fn save(&mut self, state: &mut State) -> Result<(), Error> {
        if let Some(reason) = &self.fail_with {
            return Err(Error::Io { op: "write", path: PathBuf::from("(memory)"), reason: reason.clone() });
        }
        if self.writes.last().is_some_and(|last| last.same_content(state)) {
            return Ok(());
        }
        state.serial = state.serial.checked_add(1).ok_or_else(|| Error::Serialize {
            path: PathBuf::from("(memory)"),
            message: format!("the serial {} cannot be increased", state.serial),
        })?;
        self.writes.push(state.clone());
        Ok(())
    }
}

/// A state at a remote location (an object store or Terraform's HTTP backend protocol):
/// every write is conditional on the version this run read or last wrote.
#[derive(Debug)]
pub struct BackendStore {
    backend: Box<dyn Backend>,
    version: Option<Version>,
    lock_id: Option<String>,
}

impl BackendStore {
    /// The store of `location` (credentials and endpoints from the environment).
    pub fn open(location: &Location) -> Result<Self, backend::Error> {
        Ok(Self::with(backend::open(location)?))
    }

    /// The store over an opened backend.
    #[must_use]
    pub fn with(backend: Box<dyn Backend>) -> Self {
        Self { backend, version: None, lock_id: None }
    }

    /// The backend.
    #[must_use]
    pub fn backend(&self) -> &dyn Backend {
        &*self.backend
    }

    /// Reads the state (a new one when there is none) and remembers its version for the
    /// next conditional write.
    pub async fn load(&mut self) -> Result<State, Error> {
        match self.backend.read().await.map_err(|e| Error::Backend(Box::new(e)))? {
            None => {
                self.version = None;
                Ok(State::new())
            }
            Some((bytes, version)) => {
                let state = State::from_bytes(&self.shown(), &bytes)?;
                self.version = Some(version);
                Ok(state)
            }
        }
    }

    /// Takes the lock for `operation`, waiting up to `timeout` while another run holds it
    /// (`on_wait` hears who and for how long).
    pub async fn lock(
        &mut self,
        operation: &str,
        timeout: Duration,
        on_wait: &mut (dyn FnMut(&LockInfo, Duration) + Send),
    ) -> Result<(), backend::Error> {
        let info = LockInfo::new(operation, self.backend.location());
        backend::lock_waiting(&*self.backend, &info, timeout, on_wait).await?;
        self.lock_id = Some(info.id);
        Ok(())
    }

    /// Replaces the state with `bytes` as they are (`state push`), conditional on the
    /// version [`BackendStore::load`] read: another writer in between is a conflict.
    pub async fn replace_with(&mut self, bytes: Bytes) -> Result<(), backend::Error> {
        let version = self.backend.write(bytes, self.version.as_ref()).await?;
        self.version = Some(version);
        Ok(())
    }

    /// Releases the lock this store took, if any.
    pub async fn unlock(&mut self) -> Result<(), backend::Error> {
        match self.lock_id.take() {
            Some(id) => self.backend.unlock(&id).await,
            None => Ok(()),
        }
    }

    /// The location as state errors show it.
    fn shown(&self) -> PathBuf {
        PathBuf::from(self.backend.location().to_string())
    }
}

impl StateStore for BackendStore {
    fn location(&self) -> String {
        self.backend.location().to_string()
    }

    async fn save(&mut self, state: &mut State) -> Result<(), Error> {
        let Some(next) = state.next_write(&self.shown())? else { return Ok(()) };
        let bytes = Bytes::from(next.text.clone());
        let version = backend::save(&*self.backend, bytes, self.version.as_ref(), next.serial)
            .await
            .map_err(|e| Error::Backend(Box::new(e)))?;
        self.version = Some(version);
        state.commit(next);
        Ok(())
    }
}

/// The store of a state location: a local file (with its lock beside it) or a remote one.
#[derive(Debug)]
pub enum AnyStore {
    /// A local file.
    File(FileStore),
    /// An object store or an HTTP backend.
    Backend(Box<BackendStore>),
}

impl AnyStore {
    /// The store of `location`: a path is a local file; a URL opens its backend.
    pub fn open(location: &Location) -> Result<Self, backend::Error> {
        Ok(match location {
            Location::Local(path) => AnyStore::File(FileStore::new(path.clone())),
            other => AnyStore::Backend(Box::new(BackendStore::open(other)?)),
        })
    }

    /// The location as a path-like value for state errors and messages.
    #[must_use]
    pub fn shown(&self) -> PathBuf {
        match self {
            AnyStore::File(f) => f.path().to_path_buf(),
            AnyStore::Backend(b) => b.shown(),
        }
    }

    /// Reads the state (a new one when there is none).
    pub async fn load(&mut self) -> Result<State, Error> {
        match self {
            AnyStore::File(f) => f.load(),
            AnyStore::Backend(b) => b.load().await,
        }
    }

    /// Whether a state exists there (read-only commands tell "missing" from "empty").
    pub async fn exists(&self) -> Result<bool, Error> {
        match self {
            AnyStore::File(f) => Ok(f.exists()),
            AnyStore::Backend(b) => {
                b.backend.read().await.map(|r| r.is_some()).map_err(|e| Error::Backend(Box::new(e)))
            }
        }
    }
}

impl StateStore for AnyStore {
    fn location(&self) -> String {
        match self {
            AnyStore::File(f) => f.location(),
            AnyStore::Backend(b) => b.location(),
        }
    }

    async fn save(&mut self, state: &mut State) -> Result<(), Error> {
        match self {
            AnyStore::File(f) => f.save(state).await,
            AnyStore::Backend(b) => b.save(state).await,
        }
    }
}
