//! The seam between apply and where the state lives: apply persists through a
//! [`StateStore`], never through a path.
//!
//! Owns: the [`StateStore`] trait, the local-file store ([`FileStore`]: the state file, its
//! `.backup` and its `.lock` beside it) and an in-memory store ([`MemoryStore`]) that
//! records every write, for unit tests of apply.
//! Must not: decide when to write (apply does) or what a state contains (`state` does).

use super::{Error, State, lock};
use std::path::{Path, PathBuf};

/// Where apply writes the state after every mutation.
#[allow(async_fn_in_trait)] // used with generics on a current-thread runtime; `Send` not needed
pub trait StateStore {
    /// Where the state lives, as messages and the plan header show it.
    fn location(&self) -> String;
    /// Persists `state`; its serial moves only when the content changed since the last write.
    async fn save(&mut self, state: &mut State) -> Result<(), Error>;
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
