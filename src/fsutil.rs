//! File-system helpers: atomic writes and the one wording of I/O errors.
//!
//! Owns: [`write_atomic`] — write to a temporary file in the same directory, fsync it,
//! rename it over the target, fsync the directory — so a crash leaves either the old file
//! or the new one, never half of either; [`io_reason`], how every message words an I/O
//! error; and reading a file a manifest or a flag names ([`read_regular`],
//! [`read_confined`]): a regular file, under a size cap, and for a manifest's file inside
//! the manifest's directory.
//! Must not: know file formats.

use std::io::Write as _;
use std::path::Path;

/// A short, stable reason for an I/O error (no OS error numbers).
#[must_use]
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            s.split(" (os error").next().unwrap_or(&s).to_string()
        }
    }
}

/// Writes `bytes` to `path` atomically (optionally keeping the previous file as
/// `<path>.backup`). Creates the parent directory if needed.
pub fn write_atomic(path: &Path, bytes: &[u8], backup: bool) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, backup, false)
}

/// [`write_atomic`] for files only their owner may read: state, its backup, saved plans,
/// lock info (they name the org, its ids and credential hashes). Created with mode 0600 on
/// Unix, the backup too; elsewhere the platform's default.
///
/// # Errors
/// As [`write_atomic`].
pub fn write_private(path: &Path, bytes: &[u8], backup: bool) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, backup, true)
}

/// Options that create a new file, 0600 on Unix when `private`.
#[must_use]
pub fn create_options(private: bool) -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private; // no owner-only mode to ask for outside Unix
    o
}

fn write_atomic_mode(path: &Path, bytes: &[u8], backup: bool, private: bool) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let file_name = path.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{file_name}.tmp-{}-{}", std::process::id(), fastrand::u64(..)));
    let result = (|| {
        let mut f = create_options(private).write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        if backup && path.exists() {
            let mut b = path.as_os_str().to_owned();
            b.push(".backup");
            std::fs::copy(path, &b)?;
            // `copy` keeps the source's mode: a state written 0644 by an older gcsync
            // must not leave a world-readable backup.
            #[cfg(unix)]
            if private {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o600))?;
            }
        }
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn private_files_and_their_backup_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&p, b"new", true).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(&dir.path().join("state.json.backup")), 0o600);
        write_atomic(&dir.path().join("m.yaml"), b"x", false).unwrap();
        assert_ne!(mode(&dir.path().join("m.yaml")), 0o600, "manifests keep the default mode");
    }

    #[test]
    fn writes_and_keeps_backup() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/state.json");
        write_atomic(&p, b"one", true).unwrap();
        write_atomic(&p, b"two", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read(dir.path().join("sub/state.json.backup")).unwrap(), b"one");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }
}

/// Reads `path` if it is a regular file (not a FIFO, device or directory; symlinks are
/// followed) of at most `max` bytes. The error says which rule failed.
pub fn read_regular(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > max {
        return Err(format!("{} bytes, more than the {max} bytes allowed", meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| io_reason(&e))?;
    let mut bytes = Vec::new();
    // The size may change between the check and the read: never read past the cap.
    file.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| io_reason(&e))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max {
        return Err(format!("more than the {max} bytes allowed"));
    }
    Ok(bytes)
}

/// Reads `rel`, a path a manifest gives relative to its own directory `base`: it must be
/// relative, stay inside `base` once `..` and symlinks are resolved, and be a regular file
/// of at most `max` bytes ([`read_regular`]).
pub fn read_confined(base: &Path, rel: &Path, max: u64) -> Result<Vec<u8>, String> {
    if rel.is_absolute() || rel.has_root() {
        return Err("must be a path relative to the manifest's directory".into());
    }
    let base_real = std::fs::canonicalize(if base.as_os_str().is_empty() { Path::new(".") } else { base })
        .map_err(|e| io_reason(&e))?;
    let real = std::fs::canonicalize(base.join(rel)).map_err(|e| io_reason(&e))?;
    if !real.starts_with(&base_real) {
        return Err("leaves the manifest's directory (through `..` or a symlink)".into());
    }
    read_regular(&real, max)
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn confined_reads_refuse_escapes_and_odd_files() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m");
        std::fs::create_dir_all(m.join("f")).unwrap();
        std::fs::write(m.join("f/ok.json"), "{}").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        assert_eq!(read_confined(&m, Path::new("f/ok.json"), 10).unwrap(), b"{}");
        let e = read_confined(&m, Path::new("../secret.txt"), 10).unwrap_err();
        assert!(e.contains("leaves the manifest's directory"), "{e}");
        let e = read_confined(&m, &dir.path().join("secret.txt"), 10).unwrap_err();
        assert!(e.contains("relative"), "{e}");
        let e = read_confined(&m, Path::new("f"), 10).unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        let e = read_confined(&m, Path::new("f/ok.json"), 1).unwrap_err();
        assert!(e.contains("more than the 1 bytes allowed"), "{e}");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.txt"), m.join("link.txt")).unwrap();
            let e = read_confined(&m, Path::new("link.txt"), 10).unwrap_err();
            assert!(e.contains("leaves the manifest's directory"), "{e}");
            let fifo = m.join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
            if made {
                let e = read_confined(&m, Path::new("fifo"), 10).unwrap_err();
                assert!(e.contains("not a regular file"), "{e}");
            }
        }
    }
}
