//! Test harness for CLI tests: a temp directory as the working directory, the real
//! `gcsync` binary, and a snapshot-friendly rendering of its result.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../support/emulator.rs"]
pub mod emulator;

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

/// An emulator running on its own runtime in a background thread, for tests that run the
/// gcsync binary synchronously against it. Every helper is `support::emulator`'s, run on
/// that runtime.
pub struct BgEmulator {
    pub rt: tokio::runtime::Runtime,
    running: Option<gcsync::emulator::Running>,
    pub url: String,
}

impl BgEmulator {
    pub fn start(config: gcsync::emulator::Config) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let running = rt.block_on(emulator::start(config));
        let url = running.url.clone();
        Self { rt, running: Some(running), url }
    }

    /// The running emulator (there until the harness is dropped).
    fn emu(&self) -> &gcsync::emulator::Running {
        self.running.as_ref().expect("the emulator runs until the harness is dropped")
    }

    /// Starts with the "Profile API" integration seeded.
    pub fn with_profile_api() -> Self {
        Self::start(emulator::profile_api_config())
    }

    /// Points a command at this emulator.
    pub fn env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        cmd.env("GENESYS_CLOUD_API_URL", &self.url)
            .env("GENESYS_CLOUD_CLIENT_ID", &self.emu().client_id)
            .env("GENESYS_CLOUD_CLIENT_SECRET", &self.emu().client_secret)
            .env("GCSYNC_RATE_LIMIT", "0")
    }

    pub fn client(&self) -> gcsync::remote::Client {
        emulator::client(self.emu(), |_| {})
    }

    pub fn requests(&self) -> Vec<serde_json::Value> {
        self.rt.block_on(emulator::requests(self.emu()))
    }

    pub fn clear_requests(&self) {
        self.rt.block_on(emulator::clear_requests(self.emu()));
    }

    pub fn set_faults(&self, specs: &[&str]) {
        self.rt.block_on(emulator::set_faults(self.emu(), specs));
    }

    /// Blocks until `count` requests with one of `methods` under `path` have arrived.
    pub fn wait_for(&self, count: usize, methods: &str, path: &str) {
        self.rt.block_on(emulator::wait_for(self.emu(), count, methods, path));
    }

    /// (name, id, version) of every published action, sorted by name.
    pub fn actions(&self) -> Vec<(String, String, i64)> {
        let c = self.client();
        let mut v: Vec<_> = self
            .rt
            .block_on(c.list_actions())
            .unwrap()
            .into_iter()
            .map(|a| (a.name, a.id, a.version))
            .collect();
        v.sort();
        v
    }
}

impl Drop for BgEmulator {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.shutdown());
        }
    }
}

/// What differs from run to run in gcsync's output, as insta filters: action ids, loopback
/// ports, UUIDs, digests. Snapshots go through [`assert_snapshot!`](crate::assert_snapshot).
pub const FILTERS: [(&str, &str); 4] = [
    (r"custom_-_[0-9a-f-]{36}", "[ACTION_ID]"),
    (r"127\.0\.0\.1:\d+", "[HOST]"),
    (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[UUID]"),
    (r"sha256:[0-9a-f]{64}", "[DIGEST]"),
];

/// `insta::assert_snapshot!` with [`FILTERS`] applied.
#[macro_export]
macro_rules! assert_snapshot {
    ($($t:tt)*) => {
        insta::with_settings!({filters => $crate::common::FILTERS.to_vec()}, {
            insta::assert_snapshot!($($t)*)
        })
    };
}
