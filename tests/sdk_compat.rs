//! Proof of fidelity: the official Genesys Python SDK (`PureCloudPlatformClientV2`, pinned
//! in `tests/sdk/requirements.txt`) drives the `gcsync emulator` binary through
//! `tests/sdk/sdk_compat.py` (auth, drafts, patch, validation, publish, list, get with
//! expand=contract, templates, delete, 404 and 400 as ApiException; function data actions:
//! POST /actions refused, runtimes, draft function, upload + Available, publish, GET function;
//! `ArchitectApi`: flows, dependency tracking's consuming resources, build status and
//! deleted-resource consumers).
//!
//! Python comes from `GCSYNC_SDK_PYTHON` or `.venv/bin/python` (created by `.ci/run`).
//! Without it the test is skipped with a printed reason — unless `GCSYNC_REQUIRE_SDK=1`
//! (set by `.ci/run`), where a missing SDK is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Kills the emulator when dropped, even if an assertion panics.
struct Guard(std::process::Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GCSYNC_SDK_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    venv.exists().then_some(venv)
}

#[test]
fn official_python_sdk_works_against_the_emulator() {
    let required = std::env::var("GCSYNC_REQUIRE_SDK").is_ok_and(|v| v == "1");
    let Some(py) = python() else {
        assert!(!required, "GCSYNC_REQUIRE_SDK=1 but no Python venv with the SDK (.venv/bin/python)");
        eprintln!(
            "SKIPPED: no Python with PureCloudPlatformClientV2 (run .ci/run, or set GCSYNC_SDK_PYTHON)"
        );
        return;
    };
    let has_sdk = Command::new(&py)
        .args(["-c", "import PureCloudPlatformClientV2"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_sdk {
        assert!(
            !required,
            "GCSYNC_REQUIRE_SDK=1 but `{}` cannot import PureCloudPlatformClientV2",
            py.display()
        );
        eprintln!("SKIPPED: `{}` has no PureCloudPlatformClientV2", py.display());
        return;
    }
    let mut emu = Guard(
        Command::new(env!("CARGO_BIN_EXE_gcsync"))
            .args(["emulator", "--port", "0", "--client-id", "sdk-client", "--client-secret", "s3cr3t+/=:x"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(emu.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let announced: serde_json::Value = serde_json::from_str(&line).expect("one JSON line on start");
    let out = Command::new(&py)
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/sdk_compat.py"))
        .env("GCSYNC_EMULATOR_URL", announced["url"].as_str().unwrap())
        .env("GENESYS_CLOUD_CLIENT_ID", announced["client_id"].as_str().unwrap())
        .env("GENESYS_CLOUD_CLIENT_SECRET", announced["client_secret"].as_str().unwrap())
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap();
    drop(emu);
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "SDK compatibility script failed");
    assert!(stdout.contains("34 passed, 0 failed"), "{stdout}");
}
