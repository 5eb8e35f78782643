//! The state lock: one plan/apply at a time per state file.
//!
//! Owns: `<state>.lock`, created exclusively with holder info (lock id, host, pid,
//! operation, time) while plan/apply runs and removed when the guard drops; a second run
//! fails fast naming the holder. A lock whose holder process is gone (same host, pid no
//! longer running) is broken automatically with a warning; otherwise `gcsync force-unlock
//! LOCK_ID` removes it. Breaking is atomic: the lock is renamed aside (one run wins the
//! rename), deleted only if it is still the lock judged stale, and put back otherwise, so a
//! run never deletes the fresh lock of a run that broke the same stale lock first. One
//! window remains: if a third run takes the free path while a fresh lock is set aside, the
//! put-back fails and two runs may both believe they hold the lock (three runs racing on
//! one dead holder's lock, in a few microseconds); CI's per-org `concurrency:` avoids it.
//! Must not: read or write the state itself.

use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Lock id (for `force-unlock`).
    pub id: String,
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// `plan`, `apply`, `import`, ...
    pub operation: String,
    /// When it was taken (RFC 3339, UTC).
    pub created: String,
}

/// Locking failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Someone else holds it.
    #[error("the state is locked by `{}` (pid {} on {}, since {}; lock id {})", .0.operation, .0.pid, .0.host, .0.created, .0.id)]
    Held(LockInfo),
    /// I/O.
    #[error("cannot lock `{path}`: {reason}")]
    Io {
        /// Lock path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `force-unlock` with an id that is not the holder's.
    #[error("the lock id is `{found}`, not `{given}`; nothing was unlocked")]
    WrongId {
        /// The holder's id.
        found: String,
        /// The id given.
        given: String,
    },
    /// `force-unlock` without a lock.
    #[error("`{0}` is not locked")]
    NotLocked(PathBuf),
}

/// Held lock; released on drop.
#[derive(Debug)]
pub struct Guard {
    path: PathBuf,
    /// The holder info written.
    pub info: LockInfo,
    /// A stale lock that was broken to take this one.
    pub broke_stale: Option<LockInfo>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(existing) = read(&self.path)
            && existing.id == self.info.id
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The lock file of a state file.
#[must_use]
pub fn lock_path(state: &Path) -> PathBuf {
    let mut s = state.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

fn read(path: &Path) -> Result<LockInfo, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Io { path: path.into(), reason: crate::fsutil::io_reason(&e) })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Io { path: path.into(), reason: format!("unreadable lock info: {e}") })
}

fn host_name() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// Whether `pid` is known not to be running (Linux: no `/proc/<pid>`). Unknown → false.
fn process_gone(pid: u32) -> bool {
    let proc = Path::new("/proc");
    proc.is_dir() && !proc.join(pid.to_string()).exists()
}

/// Takes the lock for `operation`.
pub fn acquire(state: &Path, operation: &str, now_rfc3339: &str) -> Result<Guard, Error> {
    let path = lock_path(state);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Io { path: path.clone(), reason: crate::fsutil::io_reason(&e) })?;
    }
    let info = LockInfo {
        id: uuid::Uuid::new_v4().to_string(),
        host: host_name(),
        pid: std::process::id(),
        operation: operation.to_string(),
        created: now_rfc3339.to_string(),
    };
    let mut broke_stale = None;
    // The lock appears complete or not at all: write the holder info to a private file,
    // then hard-link it to the lock path (fails if the lock exists). A crash can never leave
    // an empty lock behind.
    let tmp = path.with_extension(format!("lock.{}.{}", info.pid, fastrand::u32(..)));
    let body = serde_json::to_vec_pretty(&info).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        reason: format!("cannot encode the lock info: {e}"),
    })?;
    let written = crate::fsutil::create_options(true)
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(&body).and_then(|()| f.sync_all()));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io { path, reason: crate::fsutil::io_reason(&e) });
    }
    let result = take(&path, &tmp, info, &mut broke_stale);
    let _ = std::fs::remove_file(&tmp);
    result.map(|info| Guard { path, info, broke_stale })
}

fn take(
    path: &Path,
    tmp: &Path,
    info: LockInfo,
    broke_stale: &mut Option<LockInfo>,
) -> Result<LockInfo, Error> {
    for _ in 0..3 {
        match std::fs::hard_link(tmp, path) {
            Ok(()) => return Ok(info),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = match read(path) {
                    Ok(h) => h,
                    // Released between the link and the read: try again.
                    Err(Error::Io { .. }) if !path.exists() => continue,
                    Err(e) => return Err(e),
                };
                if holder.host == info.host && holder.pid != info.pid && process_gone(holder.pid) {
                    let aside = path.with_extension(format!("lock.stale.{}.{}", info.pid, fastrand::u32(..)));
                    break_stale(path, &holder, &aside)?;
                    *broke_stale = Some(holder);
                    continue;
                }
                return Err(Error::Held(holder));
            }
            Err(e) => return Err(Error::Io { path: path.into(), reason: crate::fsutil::io_reason(&e) }),
        }
    }
    Err(Error::Io { path: path.into(), reason: "the lock changed hands while it was being taken".into() })
}

/// Breaks the stale lock `seen` (read from `path` a moment ago) without ever deleting a
/// fresh lock another run took meanwhile. The lock is moved to `aside` (a rename is atomic:
/// of several runs breaking the same lock, exactly one moves it), then the moved file is
/// read: if it is still `seen`, it is deleted; if it is a fresh lock, it is linked back
/// (while the lock path is free) and the answer is [`Error::Held`] naming that holder.
/// `Ok(())` means "now try to take the lock", also when the lock was already gone.
fn break_stale(path: &Path, seen: &LockInfo, aside: &Path) -> Result<(), Error> {
    let io = |p: &Path, e: &std::io::Error| Error::Io { path: p.into(), reason: crate::fsutil::io_reason(e) };
    match std::fs::rename(path, aside) {
        Ok(()) => {}
        // Someone else moved or released it: taking it decides who wins.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(path, &e)),
    }
    let moved = read(aside);
    if matches!(&moved, Ok(m) if m.id == seen.id) {
        return std::fs::remove_file(aside).map_err(|e| io(aside, &e));
    }
    // Not the lock that was judged stale (or unreadable): put it back untouched.
    match std::fs::hard_link(aside, path) {
        Ok(()) => {
            let _ = std::fs::remove_file(aside);
        }
        // The path was taken again meanwhile; the moved lock cannot go back.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = std::fs::remove_file(aside);
        }
        Err(e) => {
            return Err(Error::Io {
                path: path.into(),
                reason: format!(
                    "a lock moved aside to `{}` could not be put back ({}); rename it to `{}`",
                    aside.display(),
                    crate::fsutil::io_reason(&e),
                    path.display()
                ),
            });
        }
    }
    Err(moved.map_or_else(|e| e, Error::Held))
}

/// `force-unlock LOCK_ID`.
pub fn force_unlock(state: &Path, id: &str) -> Result<LockInfo, Error> {
    let path = lock_path(state);
    if !path.exists() {
        return Err(Error::NotLocked(state.into()));
    }
    let holder = read(&path)?;
    if holder.id != id {
        return Err(Error::WrongId { found: holder.id, given: id.to_string() });
    }
    std::fs::remove_file(&path).map_err(|e| Error::Io { path, reason: crate::fsutil::io_reason(&e) })?;
    Ok(holder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_fails_fast_and_drop_releases() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let g = acquire(&state, "apply", "2026-01-01T00:00:00Z").unwrap();
        let e = acquire(&state, "plan", "t").unwrap_err();
        assert!(e.to_string().contains("locked by `apply`"), "{e}");
        drop(g);
        assert!(!lock_path(&state).exists());
        acquire(&state, "plan", "t").unwrap();
    }

    // Stale-lock detection reads `/proc/<pid>` (Linux); elsewhere a dead holder is not
    // recognised and the lock needs `force-unlock`.
    #[cfg(target_os = "linux")]
    #[test]
    fn stale_lock_of_a_dead_process_is_broken() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        dead_lock(&state);
        let g = acquire(&state, "apply", "t").unwrap();
        assert_eq!(g.broke_stale.as_ref().map(|l| l.id.as_str()), Some("old"));
    }

    fn dead_lock(state: &Path) -> LockInfo {
        let dead = LockInfo {
            id: "old".into(),
            host: host_name(),
            pid: u32::MAX - 7,
            operation: "apply".into(),
            created: "t".into(),
        };
        std::fs::write(lock_path(state), serde_json::to_vec(&dead).unwrap()).unwrap();
        dead
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Two runs both judge the same lock stale; the first breaks it and takes the lock
    /// before the second gets to break it. The second must not delete the first's lock.
    // Stale-lock detection reads `/proc/<pid>` (Linux); elsewhere a dead holder is not
    // recognised and the lock needs `force-unlock`.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_stale_lock_broken_by_a_racing_run_keeps_the_winners_lock() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let path = lock_path(&state);
        dead_lock(&state);
        // Run B reads the lock and judges it stale...
        let seen_by_b = read(&path).unwrap();
        // ...run A breaks it and takes a fresh lock before B acts on what it saw...
        let a = acquire(&state, "apply", "t").unwrap();
        assert_eq!(a.broke_stale.as_ref().map(|l| l.id.as_str()), Some("old"));
        // ...then B tries to break the lock it saw: it fails, naming A, and A's lock is back.
        let e = break_stale(&path, &seen_by_b, &path.with_extension("lock.stale.b")).unwrap_err();
        assert!(matches!(&e, Error::Held(h) if h.id == a.info.id), "{e}");
        assert!(e.to_string().contains("locked by `apply`"), "{e}");
        assert_eq!(read(&path).unwrap().id, a.info.id);
        assert_eq!(files_in(dir.path()), vec!["s.json.lock".to_string()], "nothing left aside");
        // A still owns it: its guard releases it.
        drop(a);
        assert!(!path.exists());
    }

    // Stale-lock detection reads `/proc/<pid>` (Linux); elsewhere a dead holder is not
    // recognised and the lock needs `force-unlock`.
    #[cfg(target_os = "linux")]
    #[test]
    fn breaking_removes_exactly_the_stale_lock_and_tolerates_a_gone_one() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let path = lock_path(&state);
        let dead = dead_lock(&state);
        let aside = path.with_extension("lock.stale.x");
        break_stale(&path, &dead, &aside).unwrap();
        assert!(files_in(dir.path()).is_empty());
        // Already broken (and released) by someone else: proceed to take it.
        break_stale(&path, &dead, &aside).unwrap();
        let g = acquire(&state, "plan", "t").unwrap();
        assert!(g.broke_stale.is_none());
    }

    #[test]
    fn force_unlock_needs_the_right_id() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.json");
        let g = acquire(&state, "apply", "t").unwrap();
        let id = g.info.id.clone();
        std::mem::forget(g);
        assert!(matches!(force_unlock(&state, "nope"), Err(Error::WrongId { .. })));
        assert_eq!(force_unlock(&state, &id).unwrap().id, id);
        assert!(matches!(force_unlock(&state, &id), Err(Error::NotLocked(_))));
    }
}
