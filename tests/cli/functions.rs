//! Function actions run locally with the real `node` (issue 17): the example's `tests:`
//! cases, CommonJS/ESM/callback handlers, console output in the trace, the statusCode trap,
//! the timeout killing the child, and clear errors for a missing or too old `node`.
//! Without `node` these tests are skipped with a printed reason — and fail when `CI` is set.

use super::common::{TestDir, code, render, run};
use insta::assert_snapshot;
use std::path::Path;
use std::process::Command;

/// Whether `node` runs; panics under CI when it does not (CI must run these tests).
fn node_available() -> bool {
    let ok = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but `node` is not installed: function tests cannot run"
        );
        eprintln!("SKIPPED: `node` is not installed (function actions run with the local node)");
    }
    ok
}

const MANIFEST: &str = "kind: DataAction
name: Fn
integration: Fns
function:
  source: code
  handler: HANDLER
  runtime: nodejs20.x
  timeoutSeconds: 1
  description: A test function.
inputs: {name: {type: string, required: true}}
outputs:
  greeting: {type: string, from: $.greeting}
";

fn project(handler: &str, files: &[(&str, &str)]) -> TestDir {
    let t = TestDir::new();
    t.write("manifests/fn.yaml", MANIFEST.replace("HANDLER", handler));
    for (p, c) in files {
        t.write(&format!("manifests/code/{p}"), c);
    }
    t
}

fn json_run(t: &TestDir, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = t.gcsync().args(["test", "Fn", "--json", "--input", "name=Ada"]).args(extra).output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (code(&out), v)
}

#[test]
fn the_example_cases_pass() {
    if !node_available() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_gcsync"))
        .current_dir(root)
        .env("NO_COLOR", "1")
        .args(["test", "--all", "-m", "examples/functions/manifests"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(code(&out), 0, "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("4 passed, 0 failed"), "{stdout}");
}

#[test]
fn commonjs_esm_and_callback_handlers_run_with_console_captured() {
    if !node_available() {
        return;
    }
    let handlers = [
        (
            "index.handler",
            "index.js",
            "exports.handler = async (e, ctx) => { console.log('hi %s', e.name); return {greeting: `Hello ${e.name}`}; };",
        ),
        (
            "index.handler",
            "index.mjs",
            "export const handler = async (e) => { console.info('esm'); return {greeting: `Hello ${e.name}`}; };",
        ),
        (
            "lib/cb.main",
            "lib/cb.js",
            "exports.main = (e, ctx, cb) => { console.warn('cb'); setTimeout(() => cb(null, {greeting: `Hello ${e.name}`}), 5); };",
        ),
    ];
    for (handler, file, code_text) in handlers {
        let t = project(handler, &[(file, code_text)]);
        let (rc, v) = json_run(&t, &[]);
        assert_eq!(rc, 0, "{file}: {v:#}");
        assert_eq!(v["finalResult"]["greeting"], "Hello Ada", "{file}");
        let exec = v["operations"].as_array().unwrap().iter().find(|o| o["step"] == 8).unwrap();
        assert_eq!(exec["logs"].as_array().map(Vec::len), Some(1), "{file}: {exec:#}");
    }
    // The request headers (ININ-* among them) are the clientContext; the event is the body.
    let t = project(
        "index.handler",
        &[(
            "index.js",
            "exports.handler = async (e, ctx) => ({greeting: `${e.name} ${typeof ctx.clientContext['ININ-Correlation-Id']} ${ctx.getRemainingTimeInMillis() > 0}`});",
        )],
    );
    let (_, v) = json_run(&t, &[]);
    assert_eq!(v["finalResult"]["greeting"], "Ada string true");
}

#[test]
fn returned_status_code_is_success_thrown_error_is_failure() {
    if !node_available() {
        return;
    }
    let t = project(
        "index.handler",
        &[(
            "index.js",
            "exports.handler = async (e) => { if (e.name === 'x') throw new TypeError('bad name'); return {statusCode: 400, greeting: 'no'}; };",
        )],
    );
    let (rc, v) = json_run(&t, &[]);
    assert_eq!(rc, 0, "{v:#}");
    assert_eq!(v["success"], true);
    let exec = v["operations"].as_array().unwrap().iter().find(|o| o["step"] == 8).unwrap();
    assert!(exec["warnings"][0].as_str().unwrap().contains("statusCode: 400"), "{exec:#}");
    let out = t.gcsync().args(["test", "Fn", "--json", "--input", "name=x"]).output().unwrap();
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["status"], 500);
    assert!(v["error"]["message"].as_str().unwrap().contains("bad name"), "{v:#}");
    assert!(v["error"]["message"].as_str().unwrap().contains("TypeError"), "{v:#}");
}

#[test]
fn a_handler_over_its_timeout_is_killed_and_times_out() {
    if !node_available() {
        return;
    }
    let t = project(
        "index.handler",
        &[(
            "index.js",
            "exports.handler = async (e) => { require('fs').writeFileSync(e.name, String(process.pid)); while (true) {} };",
        )],
    );
    let pid_file = t.path().join("pid");
    let started = std::time::Instant::now();
    let out = t
        .gcsync()
        .args(["test", "Fn", "--json", "--input"])
        .arg(format!("name={}", pid_file.display()))
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(8), "{:?}", started.elapsed());
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["status"], 504, "{v:#}");
    assert_eq!(v["error"]["details"][0]["errorCode"], "ACTION.TIMEOUT");
    // The handler ran, and its process is gone (killed, not left spinning).
    let pid = std::fs::read_to_string(&pid_file).expect("the handler started");
    std::thread::sleep(std::time::Duration::from_millis(300));
    #[cfg(target_os = "linux")]
    assert!(!Path::new(&format!("/proc/{}", pid.trim())).exists(), "node {pid} still runs");
}

#[test]
fn missing_or_old_node_is_a_clear_error() {
    let t = project("index.handler", &[("index.js", "exports.handler = async () => ({});")]);
    let out = run(
        t.gcsync().env("GCSYNC_NODE", "/nonexistent/node").args(["test", "Fn", "--input", "name=a"]),
        t.path(),
    );
    assert!(out.starts_with("exit: 1"), "{out}");
    assert!(out.contains("cannot run `/nonexistent/node`: not found"), "{out}");
    assert!(out.contains("hint: install Node.js"), "{out}");
    // A node that reports v18 is older than nodejs20.x.
    let fake = t.write("old-node.sh", "#!/bin/sh\necho v18.19.0\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out =
            run(t.gcsync().env("GCSYNC_NODE", &fake).args(["test", "Fn", "--input", "name=a"]), t.path());
        assert!(out.starts_with("exit: 1"), "{out}");
        assert!(
            out.contains("is Node.js v18.19.0, older than the runtime `nodejs20.x` (Node.js 20)"),
            "{out}"
        );
    }
}

/// The human trace of the example's runs: the statusCode trap (Success, with the warning
/// and the console line at step 8) and a thrown error (Failure at step 8), with the
/// correlation ids replaced.
#[test]
fn human_traces_of_the_example() {
    if !node_available() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let uuid = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    for (name, lead) in
        [("function_trace_status_code_trap", "reject"), ("function_trace_thrown_error", "boom")]
    {
        let out = Command::new(env!("CARGO_BIN_EXE_gcsync"))
            .current_dir(root)
            .env("NO_COLOR", "1")
            .env_remove("GCSYNC_NODE")
            .args(["test", "Score Lead", "-m", "examples/functions/manifests", "--input"])
            .arg(format!("leadId={lead}"))
            .output()
            .unwrap();
        let shown = uuid.replace_all(&render(&out, root), "[UUID]").into_owned();
        assert_snapshot!(name, shown);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_gcsync"))
        .current_dir(root)
        .env("NO_COLOR", "1")
        .args(["test", "--all", "-m", "examples/functions/manifests"])
        .output()
        .unwrap();
    assert_snapshot!("function_cases_of_the_example", render(&out, root));
}
