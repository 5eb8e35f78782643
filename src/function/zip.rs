//! The deterministic zip of a function's source: the same files give the same bytes, so
//! the zip's sha256 is how a code change is seen (the platform never gives code back).
//!
//! Owns: walking a source directory (sorted by path, `/` separators), `.gitignore`-style
//! excludes (the `ignore` crate's gitignore matcher: the exact git semantics — `!` negation,
//! `dir/` patterns, `**`, anchoring — which a plain glob set does not give), the zip itself
//! (entries in path order, every timestamp 1980-01-01 00:00:00, permissions 0644, Deflate at
//! level 6, no directory entries, no extra fields), reading a ready-made `.zip` (its bytes as
//! they are, its entry names and sizes), extracting a zip for local runs, the size limits, and
//! the sha256.
//! Must not: read manifests, print, or talk to the network.

use super::{MAX_UNZIPPED_BYTES, MAX_ZIP_BYTES};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// What is always left out of a directory source (version-control metadata).
pub const ALWAYS_EXCLUDED: [&str; 1] = [".git/"];

/// A function's code, zipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceZip {
    /// The zip bytes, as uploaded.
    pub bytes: Vec<u8>,
    /// `sha256:<hex>` of `bytes`.
    pub sha256: String,
    /// The files in it (`/` separators), in zip order.
    pub files: Vec<String>,
    /// Total uncompressed size of the files.
    pub unzipped_bytes: u64,
}

/// Why a source cannot be zipped or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipError {
    /// The source does not exist or cannot be read.
    #[error("cannot read `{path}`: {reason}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file given as `.zip` is not a readable zip archive.
    #[error("`{path}` is not a zip archive: {reason}")]
    NotZip {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Neither a directory nor a `.zip` file.
    #[error("`{0}` is neither a directory nor a `.zip` file")]
    NotASource(PathBuf),
    /// An exclude pattern that is not valid gitignore syntax.
    #[error("exclude pattern `{pattern}` is invalid: {reason}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// A symbolic link to a directory (it could loop; copy the files instead).
    #[error("`{0}` is a symbolic link to a directory; gcsync does not follow those")]
    DirSymlink(PathBuf),
    /// The source has no files left after the excludes.
    #[error("`{0}` has no files to zip (after the excludes)")]
    Empty(PathBuf),
    /// Over a size limit.
    #[error("{what} is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Which size ("the zip of `x`", "the unzipped code of `x`").
        what: String,
        /// The size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The zip writer failed (an internal error: writing to memory cannot fail otherwise).
    #[error("zip writer failed: {0}")]
    Write(String),
}

/// The code at `source`: a directory is zipped (with `excludes`, gitignore syntax), a
/// `.zip` file is read as it is.
pub fn load(source: &Path, excludes: &[String]) -> Result<SourceZip, ZipError> {
    let meta = std::fs::metadata(source)
        .map_err(|e| ZipError::Io { path: source.to_path_buf(), reason: crate::fsutil::io_reason(&e) })?;
    if meta.is_dir() {
        zip_dir(source, excludes)
    } else if source.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
        read_zip(source)
    } else {
        Err(ZipError::NotASource(source.to_path_buf()))
    }
}

/// The files of a directory source after the excludes (sorted, `/` separators) and their
/// total size — what would be zipped, without reading or compressing anything.
pub fn scan(dir: &Path, excludes: &[String]) -> Result<(Vec<String>, u64), ZipError> {
    let mut builder = ignore::gitignore::GitignoreBuilder::new(dir);
    for p in ALWAYS_EXCLUDED.iter().map(|s| (*s).to_string()).chain(excludes.iter().cloned()) {
        builder
            .add_line(None, &p)
            .map_err(|e| ZipError::Pattern { pattern: p.clone(), reason: e.to_string() })?;
    }
    let matcher = builder
        .build()
        .map_err(|e| ZipError::Pattern { pattern: excludes.join(", "), reason: e.to_string() })?;
    let mut files = Vec::new();
    walk(dir, dir, &matcher, &mut files)?;
    files.sort();
    if files.is_empty() {
        return Err(ZipError::Empty(dir.to_path_buf()));
    }
    let mut total = 0u64;
    for rel in &files {
        let path = dir.join(rel);
        let m = std::fs::metadata(&path)
            .map_err(|e| ZipError::Io { path: path.clone(), reason: crate::fsutil::io_reason(&e) })?;
        total += m.len();
    }
    if total > MAX_UNZIPPED_BYTES {
        return Err(ZipError::TooLarge {
            what: format!("the unzipped code of `{}`", dir.display()),
            size: total,
            limit: MAX_UNZIPPED_BYTES,
        });
    }
    Ok((files, total))
}

/// The files of a source (directory or `.zip`) for validation: a directory is only scanned
/// (zipped too when its files exceed the zip limit, to check the compressed size), a `.zip`
/// is read.
pub fn source_files(source: &Path, excludes: &[String]) -> Result<Vec<String>, ZipError> {
    let meta = std::fs::metadata(source)
        .map_err(|e| ZipError::Io { path: source.to_path_buf(), reason: crate::fsutil::io_reason(&e) })?;
    if !meta.is_dir() {
        return load(source, excludes).map(|z| z.files);
    }
    let (files, total) = scan(source, excludes)?;
    if total > MAX_ZIP_BYTES {
        zip_dir(source, excludes)?;
    }
    Ok(files)
}

/// Zips a directory deterministically.
pub fn zip_dir(dir: &Path, excludes: &[String]) -> Result<SourceZip, ZipError> {
    let (files, _) = scan(dir, excludes)?;
    let mut contents = Vec::with_capacity(files.len());
    let mut unzipped = 0u64;
    for rel in &files {
        let path = dir.join(rel);
        let data = std::fs::read(&path)
            .map_err(|e| ZipError::Io { path: path.clone(), reason: crate::fsutil::io_reason(&e) })?;
        unzipped += data.len() as u64;
        contents.push(data);
    }
    if unzipped > MAX_UNZIPPED_BYTES {
        return Err(ZipError::TooLarge {
            what: format!("the unzipped code of `{}`", dir.display()),
            size: unzipped,
            limit: MAX_UNZIPPED_BYTES,
        });
    }
    let bytes = write_zip(files.iter().map(String::as_str).zip(contents.iter().map(Vec::as_slice)))?;
    if bytes.len() as u64 > MAX_ZIP_BYTES {
        return Err(ZipError::TooLarge {
            what: format!("the zip of `{}`", dir.display()),
            size: bytes.len() as u64,
            limit: MAX_ZIP_BYTES,
        });
    }
    Ok(SourceZip { sha256: sha256(&bytes), bytes, files, unzipped_bytes: unzipped })
}

/// Writes the entries (already in order) with fixed metadata.
pub fn write_zip<'a>(entries: impl Iterator<Item = (&'a str, &'a [u8])>) -> Result<Vec<u8>, ZipError> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, data) in entries {
        w.start_file(name, opts).map_err(|e| ZipError::Write(e.to_string()))?;
        w.write_all(data).map_err(|e| ZipError::Write(e.to_string()))?;
    }
    let cursor = w.finish().map_err(|e| ZipError::Write(e.to_string()))?;
    Ok(cursor.into_inner())
}

fn walk(
    root: &Path,
    dir: &Path,
    matcher: &ignore::gitignore::Gitignore,
    out: &mut Vec<String>,
) -> Result<(), ZipError> {
    let io = |p: &Path, e: &std::io::Error| ZipError::Io {
        path: p.to_path_buf(),
        reason: crate::fsutil::io_reason(e),
    };
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io(dir, &e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| io(&path, &e))?;
        let (is_dir, is_file) = if ft.is_symlink() {
            let m = std::fs::metadata(&path).map_err(|e| io(&path, &e))?;
            if m.is_dir() {
                return Err(ZipError::DirSymlink(path));
            }
            (false, m.is_file())
        } else {
            (ft.is_dir(), ft.is_file())
        };
        let Ok(rel) = path.strip_prefix(root) else {
            // read_dir of a directory under `root` only yields paths under `root`.
            continue;
        };
        if matcher.matched_path_or_any_parents(rel, is_dir).is_ignore() {
            continue;
        }
        if is_dir {
            walk(root, &path, matcher, out)?;
        } else if is_file {
            let rel: Vec<String> =
                rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push(rel.join("/"));
        }
    }
    Ok(())
}

/// Reads a ready-made zip: its bytes unchanged, its file entries and sizes.
pub fn read_zip(path: &Path) -> Result<SourceZip, ZipError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| ZipError::Io { path: path.to_path_buf(), reason: crate::fsutil::io_reason(&e) })?;
    if meta.len() > MAX_ZIP_BYTES {
        return Err(ZipError::TooLarge {
            what: format!("`{}`", path.display()),
            size: meta.len(),
            limit: MAX_ZIP_BYTES,
        });
    }
    let bytes = std::fs::read(path)
        .map_err(|e| ZipError::Io { path: path.to_path_buf(), reason: crate::fsutil::io_reason(&e) })?;
    let (files, unzipped) =
        list(&bytes).map_err(|reason| ZipError::NotZip { path: path.to_path_buf(), reason })?;
    if unzipped > MAX_UNZIPPED_BYTES {
        return Err(ZipError::TooLarge {
            what: format!("the unzipped code of `{}`", path.display()),
            size: unzipped,
            limit: MAX_UNZIPPED_BYTES,
        });
    }
    Ok(SourceZip { sha256: sha256(&bytes), bytes, files, unzipped_bytes: unzipped })
}

/// The file entries of zip bytes and their total uncompressed size, or why they are not a zip.
pub fn list(bytes: &[u8]) -> Result<(Vec<String>, u64), String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut files = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let f = archive.by_index_raw(i).map_err(|e| e.to_string())?;
        let name = f.name().map_err(|e| e.to_string())?;
        if !name.ends_with('/') {
            files.push(name.into_owned());
            total += f.size();
        }
    }
    Ok((files, total))
}

/// Extracts zip bytes under `dest` (entries escaping `dest` are refused).
pub fn extract(bytes: &[u8], dest: &Path) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).map_err(|e| e.to_string())?;
        let Some(rel) = f.enclosed_name() else {
            let name = f.name().map_or_else(|e| e.to_string(), std::borrow::Cow::into_owned);
            return Err(format!("the entry `{name}` points outside the archive"));
        };
        let out = dest.join(rel);
        if f.is_dir() {
            std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
            continue;
        }
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut data = Vec::new();
        f.read_to_end(&mut data).map_err(|e| e.to_string())?;
        std::fs::write(&out, data).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `sha256:<hex>` of bytes.
#[must_use]
pub fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(71);
    s.push_str("sha256:");
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, c) in files {
            let path = d.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, c).unwrap();
        }
        d
    }

    #[test]
    fn same_source_same_bytes_whatever_the_creation_order_and_times() {
        let a = tree(&[
            ("src/index.js", "exports.handler = async () => ({});"),
            ("package.json", "{}"),
            ("b/c.js", "1"),
        ]);
        let b = tree(&[
            ("b/c.js", "1"),
            ("package.json", "{}"),
            ("src/index.js", "exports.handler = async () => ({});"),
        ]);
        // Different mtimes too.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(b.path().join("package.json"))
            .unwrap()
            .set_modified(later)
            .unwrap();
        let za = zip_dir(a.path(), &[]).unwrap();
        let zb = zip_dir(b.path(), &[]).unwrap();
        assert_eq!(za.bytes, zb.bytes);
        assert_eq!(za.sha256, zb.sha256);
        assert_eq!(za.files, ["b/c.js", "package.json", "src/index.js"]);
        assert!(za.sha256.starts_with("sha256:") && za.sha256.len() == 71);
        // A one-byte change changes the hash.
        std::fs::write(b.path().join("b/c.js"), "2").unwrap();
        assert_ne!(zip_dir(b.path(), &[]).unwrap().sha256, za.sha256);
    }

    #[test]
    fn fixed_metadata_in_every_entry() {
        let a = tree(&[("x.js", "1"), ("y/z.js", "2")]);
        let z = zip_dir(a.path(), &[]).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&z.bytes)).unwrap();
        for i in 0..archive.len() {
            let f = archive.by_index(i).unwrap();
            assert_eq!(f.unix_mode().map(|m| m & 0o777), Some(0o644), "{:?}", f.name());
            assert_eq!(f.last_modified(), Some(zip::DateTime::default()));
        }
    }

    #[test]
    fn gitignore_style_excludes() {
        let a = tree(&[
            ("src/index.js", "1"),
            ("src/index.test.js", "t"),
            ("test/a.js", "t"),
            ("node_modules/dep/index.js", "d"),
            ("node_modules/dep/README.md", "r"),
            ("keep.md", "k"),
            ("notes.md", "n"),
            (".git/HEAD", "ref"),
        ]);
        let ex = ["*.test.js", "test/", "*.md", "!keep.md"].map(String::from);
        let z = zip_dir(a.path(), &ex).unwrap();
        assert_eq!(z.files, ["keep.md", "node_modules/dep/index.js", "src/index.js"]);
        assert!(matches!(zip_dir(a.path(), &["**".into()]), Err(ZipError::Empty(_))));
    }

    #[test]
    fn zips_read_back_and_non_zips_are_refused() {
        let a = tree(&[("src/index.js", "exports.handler = 1")]);
        let z = zip_dir(a.path(), &[]).unwrap();
        let f = a.path().join("code.zip");
        std::fs::write(&f, &z.bytes).unwrap();
        let back = load(&f, &[]).unwrap();
        assert_eq!(back.sha256, z.sha256);
        assert_eq!(back.files, ["src/index.js"]);
        let out = tempfile::tempdir().unwrap();
        extract(&back.bytes, out.path()).unwrap();
        assert_eq!(std::fs::read_to_string(out.path().join("src/index.js")).unwrap(), "exports.handler = 1");
        let bad = a.path().join("bad.zip");
        std::fs::write(&bad, "not a zip").unwrap();
        assert!(matches!(load(&bad, &[]), Err(ZipError::NotZip { .. })));
        assert!(matches!(load(&a.path().join("src/index.js"), &[]), Err(ZipError::NotASource(_))));
        assert!(matches!(load(&a.path().join("missing"), &[]), Err(ZipError::Io { .. })));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// Any set of files, written in any order, zips to the same bytes; changing one
        /// file's content changes the hash.
        #[test]
        fn any_source_zips_deterministically(
            files in proptest::collection::btree_map("[a-z]{1,6}(/[a-z]{1,6}){0,2}\\.js", proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64), 1..8),
        ) {
            // A path that is also a directory of another path cannot exist on disk.
            let names: Vec<&String> = files.keys().collect();
            proptest::prop_assume!(!names.iter().any(|a| names.iter().any(|b| b.starts_with(&format!("{a}/")))));
            let write = |order: &mut dyn Iterator<Item = (&String, &Vec<u8>)>| {
                let d = tempfile::tempdir().unwrap();
                for (p, c) in order {
                    let path = d.path().join(p);
                    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                    std::fs::write(path, c).unwrap();
                }
                d
            };
            let a = write(&mut files.iter());
            let b = write(&mut files.iter().rev());
            let za = zip_dir(a.path(), &[]).unwrap();
            let zb = zip_dir(b.path(), &[]).unwrap();
            proptest::prop_assert_eq!(&za.bytes, &zb.bytes);
            proptest::prop_assert_eq!(za.files.len(), files.len());
            let (first, content) = files.iter().next().unwrap();
            let mut changed = content.clone();
            changed.push(1);
            std::fs::write(b.path().join(first), changed).unwrap();
            proptest::prop_assert_ne!(zip_dir(b.path(), &[]).unwrap().sha256, za.sha256);
        }
    }
}
