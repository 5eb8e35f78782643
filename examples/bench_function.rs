//! Benchmark (not a test): local runs of the example function action `Score Lead`
//! (`examples/functions/`) with the installed `node` — the whole pipeline plus one `node`
//! process per run (the runner loads the handler module, runs it, prints the outcome) — next
//! to a bare `node -e ""` start for reference.
//!
//! ```text
//! cargo run --release --example bench_function            # 50 runs (the figures README reports)
//! cargo run --release --example bench_function -- 200     # more runs
//! ```

use gcsync::exec::{CompiledAction, Credentials, ExecEnv, RunOptions};
use gcsync::function::node::FunctionTransport;
use serde_json::json;
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

fn say(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn stats(mut d: Vec<Duration>) -> String {
    d.sort();
    let ms = |x: Duration| x.as_secs_f64() * 1000.0;
    let total: Duration = d.iter().sum();
    let p = |q: f64| d[((d.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "median {:.1} ms, p95 {:.1} ms, min {:.1} ms ({:.1} runs/s)",
        ms(p(0.5)),
        ms(p(0.95)),
        ms(d[0]),
        d.len() as f64 / total.as_secs_f64()
    )
}

fn main() -> Result<(), String> {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(50).max(1);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/functions/manifests");
    let (set, diags) = gcsync::manifest::load(&[dir]);
    if diags.has_errors() {
        return Err(
            "examples/functions does not load (run `gcsync validate -m examples/functions/manifests`)".into(),
        );
    }
    let m = set.action("Score Lead").ok_or("Score Lead is not in examples/functions")?;
    let f = m.function.as_ref().ok_or("Score Lead has no function block")?;
    let mut spec = gcsync::manifest::compile::compile(m);
    spec.config.request.request_url_template = gcsync::function::node::local_url(&f.handler.value);
    spec.config.timeout_seconds = Some(f.timeout());
    let action = CompiledAction::new(&spec);
    let prep = Instant::now();
    let transport = FunctionTransport::new(
        &f.source_path,
        &f.excludes(),
        &f.handler.value,
        &f.runtime.value,
        "Score Lead",
    )
    .map_err(|e| e.to_string())?;
    let prep = prep.elapsed();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let input = json!({"leadId": "L-1", "employees": 5000, "country": "DE"});
    let env = ExecEnv::default();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let r = rt.block_on(gcsync::exec::run(
            &action,
            &input,
            &Credentials::none(),
            &env,
            RunOptions::default(),
            &transport,
        ));
        times.push(t.elapsed());
        if !r.result.success {
            return Err(format!("the run failed: {:?}", r.result.error));
        }
    }
    let mut bare = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::process::Command::new(&transport.node().path)
            .args(["-e", ""])
            .output()
            .map_err(|e| e.to_string())?;
        bare.push(t.elapsed());
    }
    say(&format!(
        "node {} · {runs} runs · code zipped and extracted once in {:.1} ms",
        transport.node().version,
        prep.as_secs_f64() * 1000.0
    ));
    say(&format!("Score Lead, whole pipeline + node: {}", stats(times)));
    say(&format!("bare `node -e \"\"` start:          {}", stats(bare)));
    Ok(())
}
