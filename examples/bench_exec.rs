//! Benchmark (not a test): local executions of FetchUserProfile per second, single-threaded,
//! against a stubbed upstream — the whole pipeline (input validation, URL/header/body
//! templates, the stub call, three JSONPaths, the strict success template, output-schema
//! validation, the TestExecutionResult).
//!
//! ```text
//! cargo run --release --example bench_exec                  # the figures README reports
//! cargo run --release --example bench_exec -- --oracle-batch /tmp/batch.json 2000
//!     # writes the same template/JSONPath work as oracle-protocol requests (4 Velocity +
//!     # 3 JSONPath per execution) for `/tmp/oracle/oracle < /tmp/batch.json` and
//!     # `gcsync eval < /tmp/batch.json` (see README "Benchmark")
//! ```

use gcsync::exec::{CompiledAction, Credentials, ExecEnv, Prepared, RunOptions, StubTransport};
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// A line on stdout (the example's report).
fn say(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn action() -> Result<CompiledAction, String> {
    let (set, diags) = gcsync::manifest::load(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests")]);
    if diags.has_errors() {
        return Err("the manifests do not load (run `gcsync validate`)".into());
    }
    let m = set.action("FetchUserProfile").ok_or("FetchUserProfile is not in manifests/")?;
    Ok(CompiledAction::new(&gcsync::manifest::compile::compile(m)))
}

fn profile() -> Value {
    json!({"id": "1", "name": "Ada Quill", "title": "Engineer",
           "company": {"name": "Northwind Cables", "department": "Operations"},
           "email": "ada.quill@northwind-cables.example"})
}

fn input() -> Value {
    json!({"userId": "1", "apiEndpoint": "https://profiles.gcsync.test/users"})
}

/// Runs `n` executions; returns how many succeeded.
fn run_n(a: &CompiledAction, stub: &StubTransport, input: &Value, opts: RunOptions, n: u64) -> u64 {
    let env = ExecEnv::default();
    let creds = Credentials::none();
    let mut ok = 0;
    for _ in 0..n {
        let report = match gcsync::exec::prepare(a, input, &creds, &env, opts) {
            Prepared::Done(r) => r,
            Prepared::Ready(p) => {
                let answer = stub.respond(&p.request);
                p.finish(answer)
            }
        };
        ok += u64::from(report.result.success);
    }
    ok
}

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`), so the
/// figure is fair on a busy machine; `None` elsewhere.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn measure(
    label: &str,
    a: &CompiledAction,
    stub: &StubTransport,
    input: &Value,
    opts: RunOptions,
    expect_ok: bool,
) -> Result<(), String> {
    run_n(a, stub, input, opts, 2_000); // warm-up
    let mut total = 0u64;
    let cpu0 = cpu_ns();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        let ok = run_n(a, stub, input, opts, 1_000);
        if (ok == 1_000) != expect_ok {
            return Err(format!("{label}: unexpected outcome ({ok} of 1000 succeeded)"));
        }
        total += 1_000;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu0, cpu_ns()) {
        (Some(a), Some(b)) if b > a => {
            format!(", {:.0}/s per CPU-second", total as f64 / ((b - a) as f64 / 1e9))
        }
        _ => String::new(),
    };
    say(&format!(
        "{label:<34} {:>7.0} executions/s wall ({:.1} µs each{cpu}; {total} runs)",
        total as f64 / wall,
        wall * 1e6 / total as f64
    ));
    Ok(())
}

/// The oracle-protocol requests equivalent to `n` executions' template and JSONPath work.
fn oracle_batch(a: &CompiledAction, n: usize) -> Value {
    let mut input_ctx = input();
    let raw = input_ctx.to_string();
    if let Some(m) = input_ctx.as_object_mut() {
        m.insert("rawRequest".into(), json!(raw));
        m.insert("orgId".into(), json!("00000000-0000-0000-0000-000000000000"));
        m.insert("integrationId".into(), json!("00000000-0000-0000-0000-000000000000"));
    }
    let doc = profile();
    let mut out = Vec::with_capacity(n * 7);
    let velocity = |template: &str, ctx: Value, strict: bool, tag: &str| {
        json!({"kind": "velocity", "template": template, "context": ctx, "tools": true,
               "properties": {"runtime.references.strict": if strict { "true" } else { "false" }}, "log_tag": tag})
    };
    let values = json!({"fullName": "\"Ada Quill\"", "email": "\"ada.quill@northwind-cables.example\"",
                        "companyName": "\"Northwind Cables\"", "rawResult": doc.to_string()});
    for _ in 0..n {
        out.push(velocity(&a.url.0, json!({"input": input_ctx}), false, "requestUrlTemplate"));
        for (name, text, _) in &a.headers {
            out.push(velocity(text, json!({"input": input_ctx}), false, name));
        }
        out.push(velocity(&a.body.0, json!({"input": input_ctx}), false, "requestTemplate"));
        for t in &a.translations {
            out.push(json!({"kind": "jsonpath", "path": t.path_text, "document": doc}));
        }
        out.push(velocity(&a.success.0, values.clone(), true, "successTemplate"));
    }
    Value::Array(out)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let a = action()?;
    if let Some(i) = args.iter().position(|x| x == "--oracle-batch") {
        let path = args.get(i + 1).ok_or("usage: --oracle-batch FILE [N]")?;
        let n: usize = args.get(i + 2).and_then(|s| s.parse().ok()).unwrap_or(2_000);
        let batch = oracle_batch(&a, n);
        std::fs::write(path, batch.to_string()).map_err(|e| format!("cannot write {path}: {e}"))?;
        say(&format!(
            "wrote {} requests ({n} executions' worth) to {path}",
            batch.as_array().map_or(0, Vec::len)
        ));
        return Ok(());
    }
    say(&format!(
        "FetchUserProfile, stubbed upstream, single thread ({} build)",
        if cfg!(debug_assertions) { "debug" } else { "release" }
    ));
    let found = StubTransport::json(200, &profile());
    let missing = StubTransport::json(404, &json!({"message": "No user with id '404'"}));
    let no_company =
        StubTransport::json(200, &json!({"id": "4", "name": "Dmitri Sola", "email": "d@x.example"}));
    measure("found (Success, 11 steps)", &a, &found, &input(), RunOptions::default(), true)?;
    measure("found, flattened (12 steps)", &a, &found, &input(), RunOptions { flatten: true }, true)?;
    measure("no company (default used)", &a, &no_company, &input(), RunOptions::default(), true)?;
    measure("not found (Failure at step 8)", &a, &missing, &input(), RunOptions::default(), false)?;
    measure("found again (Success, 11 steps)", &a, &found, &input(), RunOptions::default(), true)
}
