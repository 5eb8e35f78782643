//! Test harness for CLI tests: a temp directory as the working directory, the real
//! `gcsync` binary, and a snapshot-friendly rendering of its result.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch working directory for one test.
pub struct TestDir {
    pub dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (parents created).
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, content).unwrap();
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel)).unwrap()
    }

    /// Copies the repository's `manifests/` into the test dir.
    pub fn with_repo_manifests(self) -> Self {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests");
        for e in std::fs::read_dir(src).unwrap() {
            let e = e.unwrap();
            std::fs::create_dir_all(self.path().join("manifests")).unwrap();
            std::fs::copy(e.path(), self.path().join("manifests").join(e.file_name())).unwrap();
        }
        self
    }

    /// `gcsync` with the test dir as working directory and a clean environment.
    pub fn gcsync(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gcsync"));
        c.current_dir(self.path());
        for (k, _) in std::env::vars() {
            if k.starts_with("GENESYS_CLOUD_") || k.starts_with("GCSYNC_") {
                c.env_remove(k);
            }
        }
        c.env("NO_COLOR", "1");
        c
    }
}

/// Runs a command and renders exit code, stdout and stderr for a snapshot, with the temp
/// dir path replaced by `[TEMP]`.
pub fn run(cmd: &mut Command, temp: &Path) -> String {
    let out: Output = cmd.output().expect("run gcsync");
    render(&out, temp)
}

pub fn render(out: &Output, temp: &Path) -> String {
    let code = out.status.code().map_or("signal".to_string(), |c| c.to_string());
    let t = temp.to_string_lossy().to_string();
    let fix = |b: &[u8]| String::from_utf8_lossy(b).replace(&t, "[TEMP]");
    format!("exit: {code}\n----- stdout -----\n{}----- stderr -----\n{}", fix(&out.stdout), fix(&out.stderr))
}

/// Exit code of a finished command.
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}
