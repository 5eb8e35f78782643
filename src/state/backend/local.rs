//! The local-file backend: a thin adapter over a state file for the [`Backend`] seam.
//!
//! Owns: reading and writing the file's bytes (atomic rename through `fsutil`), the
//! compare-and-swap check (the file's content digest must still be the one read), and an
//! OS lock: `<state>.lock` held with `File::try_lock` for as long as the lock is taken,
//! so a process that dies releases it and a local lock can never be stale; the holder's
//! info sits in `<state>.lock.info` for messages.
//! Must not: parse the state's content (that is `state`) or touch `state::lock`'s files'
//! format (the old lock, kept by `state::lock` until the engine uses this backend).

use super::{Backend, Error, Location, LockInfo, Version, check_state};
use bytes::Bytes;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A state file.
#[derive(Debug)]
pub struct LocalBackend {
    location: Location,
    path: PathBuf,
    /// The OS-locked `<state>.lock` and the id of the lock this backend holds.
    held: Mutex<Option<(File, String)>>,
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

impl LocalBackend {
    /// The backend of the file at `path`.
    #[must_use]
    pub fn new(location: Location, path: PathBuf) -> Self {
        Self { location, path, held: Mutex::new(None) }
    }

    fn err(&self, op: &'static str, e: &std::io::Error) -> Error {
        Error::Other { op, location: self.location.to_string(), detail: crate::fsutil::io_reason(e) }
    }

    fn lock_path(&self) -> PathBuf {
        suffixed(&self.path, "lock")
    }

    fn info_path(&self) -> PathBuf {
        suffixed(&self.path, "lock.info")
    }

    fn read_info(&self) -> Option<LockInfo> {
        std::fs::read(self.info_path()).ok().and_then(|b| serde_json::from_slice(&b).ok())
    }

    fn open_lock_file(&self) -> Result<File, Error> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.err("lock", &e))?;
        }
        crate::fsutil::create_options(true)
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.lock_path())
            .map_err(|e| self.err("lock", &e))
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Option<(File, String)>> {
        // A poisoned mutex only means another thread panicked while holding it; the
        // `Option` inside is still whole.
        self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn current(&self) -> Result<Option<Vec<u8>>, Error> {
        match std::fs::read(&self.path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.err("read", &e)),
        }
    }
}

#[async_trait::async_trait]
impl Backend for LocalBackend {
    fn location(&self) -> &Location {
        &self.location
    }

    async fn read(&self) -> Result<Option<(Bytes, Version)>, Error> {
        let Some(bytes) = self.current()? else { return Ok(None) };
        check_state(&self.location, &bytes)?;
        let v = Version::of_bytes(&bytes);
        Ok(Some((Bytes::from(bytes), v)))
    }

    async fn write(&self, bytes: Bytes, expected: Option<&Version>) -> Result<Version, Error> {
        // The check and the rename are not one atomic step: the lock is what keeps two
        // gcsync runs apart on one machine; the check catches a run that did not lock
        // (or an edit by hand) between read and write.
        let found = self.current()?.map(|b| Version::of_bytes(&b));
        if found.as_ref() != expected {
            return Err(Error::Conflict {
                location: self.location.to_string(),
                detail: format!(
                    "expected {}, found {}",
                    expected.map_or_else(|| "no state".to_string(), ToString::to_string),
                    found.map_or_else(|| "no state".to_string(), |v| v.to_string())
                ),
                saved_as: None,
            });
        }
        crate::fsutil::write_private(&self.path, &bytes, false).map_err(|e| self.err("write", &e))?;
        Ok(Version::of_bytes(&bytes))
    }

    async fn write_aside(&self, suffix: &str, bytes: Bytes) -> Result<String, Error> {
        let path = suffixed(&self.path, suffix);
        crate::fsutil::write_private(&path, &bytes, false).map_err(|e| self.err("write", &e))?;
        Ok(path.display().to_string())
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), Error> {
        let file = self.open_lock_file()?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::Held {
                    location: self.location.to_string(),
                    holder: self.read_info().map(Box::new),
                });
            }
            Err(TryLockError::Error(e)) => return Err(self.err("lock", &e)),
        }
        let text = serde_json::to_vec_pretty(info).map_err(|e| Error::Other {
            op: "lock",
            location: self.location.to_string(),
            detail: e.to_string(),
        })?;
        crate::fsutil::write_private(&self.info_path(), &text, false).map_err(|e| self.err("lock", &e))?;
        *self.held() = Some((file, info.id.clone()));
        Ok(())
    }

    async fn unlock(&self, id: &str) -> Result<(), Error> {
        let mut held = self.held();
        match held.as_ref() {
            Some((_, mine)) if mine == id => {
                // The info goes first: once the OS lock is released another run may write
                // its own.
                let _ = std::fs::remove_file(self.info_path());
                *held = None; // closing the file releases the OS lock
                Ok(())
            }
            Some((_, mine)) => Err(Error::WrongLockId {
                location: self.location.to_string(),
                found: mine.clone(),
                given: id.to_string(),
            }),
            None => Err(Error::NotLocked { location: self.location.to_string() }),
        }
    }

    async fn force_unlock(&self, id: &str) -> Result<(), Error> {
        if self.held().as_ref().is_some_and(|(_, mine)| mine == id) {
            return self.unlock(id).await;
        }
        if !self.lock_path().exists() {
            return Err(Error::NotLocked { location: self.location.to_string() });
        }
        let file = self.open_lock_file()?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(match self.read_info() {
                    Some(holder) => {
                        Error::LiveLock { location: self.location.to_string(), holder: Box::new(holder) }
                    }
                    None => Error::Held { location: self.location.to_string(), holder: None },
                });
            }
            Err(TryLockError::Error(e)) => return Err(self.err("unlock", &e)),
        }
        // Nobody holds the OS lock: what is left is at most the info of a run that died.
        match self.read_info() {
            None => Err(Error::NotLocked { location: self.location.to_string() }),
            Some(info) if info.id != id => Err(Error::WrongLockId {
                location: self.location.to_string(),
                found: info.id,
                given: id.to_string(),
            }),
            Some(_) => {
                std::fs::remove_file(self.info_path()).map_err(|e| self.err("unlock", &e))?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::state;
    use super::*;

    fn backend(dir: &Path) -> LocalBackend {
        let p = dir.join("s/state.json");
        LocalBackend::new(Location::Local(p.clone()), p)
    }

    #[tokio::test]
    async fn compare_and_swap() {
        let dir = tempfile::tempdir().unwrap();
        let b = backend(dir.path());
        assert!(b.read().await.unwrap().is_none());
        let v1 = b.write(state("L", 1), None).await.unwrap();
        let e = b.write(state("L", 1), None).await.unwrap_err().to_string();
        assert!(
            e.contains("changed by another writer") && e.contains("expected no state, found sha256:"),
            "{e}"
        );
        let (bytes, read_v) = b.read().await.unwrap().unwrap();
        assert_eq!((bytes, &read_v), (state("L", 1), &v1));
        let v2 = b.write(state("L", 2), Some(&v1)).await.unwrap();
        // Someone else wrote between our read and our write: refused, theirs kept, ours aside.
        std::fs::write(dir.path().join("s/state.json"), state("L", 3)).unwrap();
        let e = super::super::save(&b, state("L", 3), Some(&v2), 3).await.unwrap_err();
        assert!(
            matches!(&e, Error::Conflict { saved_as: Some(s), .. } if s.ends_with("state.json.conflict-3")),
            "{e}"
        );
        assert_eq!(std::fs::read(dir.path().join("s/state.json.conflict-3")).unwrap(), state("L", 3));
    }

    #[tokio::test]
    async fn refuses_what_is_not_a_gcsync_state() {
        let dir = tempfile::tempdir().unwrap();
        let b = backend(dir.path());
        std::fs::create_dir_all(dir.path().join("s")).unwrap();
        std::fs::write(dir.path().join("s/state.json"), "{\"version\":4,\"terraform_version\":\"1.9.0\"}")
            .unwrap();
        let e = b.read().await.unwrap_err().to_string();
        assert!(e.contains("s/state.json` is not a gcsync state: it is a Terraform state"), "{e}");
    }

    #[tokio::test]
    async fn os_lock_is_exclusive_released_on_unlock_and_never_stale() {
        let dir = tempfile::tempdir().unwrap();
        let a = backend(dir.path());
        let b = backend(dir.path());
        let ia = LockInfo::new("apply", a.location());
        a.lock(&ia).await.unwrap();
        let e = b.lock(&LockInfo::new("plan", b.location())).await.unwrap_err();
        assert!(matches!(&e, Error::Held { holder: Some(h), .. } if h.id == ia.id), "{e}");
        let e = b.force_unlock(&ia.id).await.unwrap_err().to_string();
        assert!(e.contains("locked by a running process") && e.contains(&ia.id), "{e}");
        assert!(matches!(a.unlock("other").await, Err(Error::WrongLockId { .. })));
        a.unlock(&ia.id).await.unwrap();
        b.lock(&LockInfo::new("plan", b.location())).await.unwrap();

        // A holder that goes away without unlocking (its file closed, as when a process
        // dies) leaves no lock, only its info, which force-unlock clears.
        let c = backend(dir.path());
        drop(b);
        let ic = LockInfo::new("apply", c.location());
        c.lock(&ic).await.unwrap();
        drop(c);
        let d = backend(dir.path());
        assert!(matches!(d.force_unlock("nope").await, Err(Error::WrongLockId { .. })));
        d.force_unlock(&ic.id).await.unwrap();
        assert!(matches!(d.force_unlock(&ic.id).await, Err(Error::NotLocked { .. })));
        d.lock(&LockInfo::new("apply", d.location())).await.unwrap();
    }
}
