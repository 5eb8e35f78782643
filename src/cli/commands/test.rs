//! `gcsync test`: run an action locally (real HTTP to its endpoint) or in the org
//! (`--remote`), or run every `tests:` case (`--all`), and show the step trace and the
//! outcome Architect would take (Success with outputs, Failure, Timeout).
//!
//! Owns: assembling the request body (input defaults, `--input-file`, `--input`), credentials
//! from environment variables, the `--allow-writes` guard, choosing the transport (stubs for
//! `tests:` cases, real HTTP, the local org's demo routing with `--local`), the human and
//! JSON renderings of a trace, the case report and JUnit XML.
//! Must not: implement pipeline steps (that is `crate::exec`).

use super::load_manifests;
use crate::cli::org;
use crate::cli::printer::Printer;
use crate::cli::{Globals, ManifestArgs};
use crate::exec::cases::{self, CaseRun, CaseSource, Live, TestCase};
use crate::exec::{
    CompiledAction, Credentials, ExecEnv, HttpTransport, Outcome, Report, RunOptions, TestExecutionResult,
};
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::function::node::{FunctionTransport, NodeError};
use crate::manifest::ActionManifest;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `test`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  gcsync --local test FetchUserProfile --input userId=1    # the local org's demo API, no internet
  gcsync test FetchUserProfile --input userId=1 --input apiEndpoint=https://api.example.com/users
  gcsync test --all --junit results.xml                    # every `tests:` case (stubbed: no network)
  gcsync test FetchUserProfile --remote --draft --input userId=1   # the org's /draft/test

Inputs: `--input name=value` is typed by the input schema (integer/number/boolean inputs parse
their text; `name=null` sends null, which is dropped like a flow's null). Missing inputs take
the schema's `default` (manifest `default:`); flows get no defaults.
Exit codes: 0 Success (all cases passed), 1 Failure/Timeout (a case failed) or an error.")]
pub struct Args {
    /// The action to run (with --all: only its cases).
    #[arg(value_name = "NAME")]
    name: Option<String>,
    /// An input value (repeatable).
    #[arg(long = "input", value_name = "NAME=VALUE", conflicts_with = "all")]
    inputs: Vec<String>,
    /// A JSON object of inputs (`--input` values win).
    #[arg(long, value_name = "FILE", conflicts_with = "all")]
    input_file: Option<PathBuf>,
    /// Flatten the output as Architect consumes it.
    #[arg(long)]
    flatten: bool,
    /// Print JSON (the TestExecutionResult; with --all, a report of every case).
    #[arg(long)]
    json: bool,
    /// Run the action in the org (POST /actions/{id}/test) instead of locally.
    #[arg(long, conflicts_with = "all")]
    remote: bool,
    /// With --remote: test the draft (POST /actions/{id}/draft/test).
    #[arg(long, requires = "remote")]
    draft: bool,
    /// Allow running a non-GET action against its live endpoint (it may change data).
    #[arg(long)]
    allow_writes: bool,
    /// Run the `tests:` cases of every action (or of NAME).
    #[arg(long)]
    all: bool,
    /// With --all: write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE", requires = "all")]
    junit: Option<PathBuf>,
    /// With --all: also run `live: true` cases against the real endpoints (implied by --local).
    #[arg(long, requires = "all")]
    live: bool,
    /// Credential type for local runs: basicAuth (fields userName, password) or userDefined.
    #[arg(long, value_name = "TYPE", value_parser = ["basicAuth", "userDefined"])]
    credential_type: Option<String>,
    /// A credential field read from an environment variable (repeatable); values are never shown.
    #[arg(long = "credential", value_name = "FIELD=ENV_VAR")]
    credentials: Vec<String>,
    #[command(flatten)]
    manifests: ManifestArgs,
}

/// Runs `test`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let rt = org::runtime()?;
    rt.block_on(async {
        if args.all {
            run_cases(args, printer, globals).await
        } else if args.remote {
            run_remote(args, printer, globals).await
        } else {
            run_local(args, printer, globals).await
        }
    })
}

fn require_name(args: &Args) -> Result<&str, CliError> {
    args.name.as_deref().ok_or_else(|| {
        CliError::new("`gcsync test` needs an action NAME (or `--all` for the manifests' test cases)")
            .hint("e.g. `gcsync test FetchUserProfile --input userId=1`")
    })
}

fn find_action<'a>(
    set: &'a crate::manifest::ManifestSet,
    name: &str,
) -> Result<&'a ActionManifest, CliError> {
    set.action(name).ok_or_else(|| {
        let known: Vec<&str> = set.actions.iter().map(|a| a.name.value.as_str()).collect();
        let e = CliError::new(format!("no action named `{name}` in the manifests"));
        match crate::manifest::reader::suggest(name, &known) {
            Some(s) => e.hint(format!("did you mean `{s}`?")),
            None => e,
        }
    })
}

/// The largest `--input-file` read (inputs are a flat JSON object; Genesys caps a request
/// body far below this).
const INPUT_FILE_MAX: u64 = 1024 * 1024;

/// The explicit inputs: `--input-file`, then `--input` assignments.
fn given_inputs(args: &Args, action: &CompiledAction) -> Result<Map<String, Value>, CliError> {
    let mut given = Map::new();
    if let Some(f) = &args.input_file {
        let bytes = crate::fsutil::read_regular(f, INPUT_FILE_MAX)
            .map_err(|why| CliError::new(format!("cannot read `{}`: {why}", f.display())))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| CliError::new(format!("`{}` is not UTF-8 text", f.display())))?;
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => given.extend(m),
            Ok(_) => {
                return Err(CliError::new(format!("`{}` must hold a JSON object of inputs", f.display())));
            }
            Err(e) => {
                return Err(CliError::new(format!(
                    "`{}` is not JSON (line {}, column {}): {e}",
                    f.display(),
                    e.line(),
                    e.column()
                )));
            }
        }
    }
    for a in &args.inputs {
        let (k, v) = crate::exec::parse_input_assignment(action, a).map_err(|e| {
            CliError::new(e.to_string())
                .hint("write `--input name=value`; the input schema decides the JSON type")
        })?;
        given.insert(k, v);
    }
    Ok(given)
}

/// Credentials from `--credential FIELD=ENV_VAR`, else from the `kind: Integration`
/// manifest declaring the action's integration (`fields: {F: {env: VAR}}`); values are
/// registered as secrets.
fn credentials(
    args: &Args,
    printer: &Printer,
    set: &crate::manifest::ManifestSet,
    integration: &str,
) -> Result<Credentials, CliError> {
    if args.credentials.is_empty() {
        if let Some(t) = &args.credential_type {
            return Err(CliError::new(format!(
                "`--credential-type {t}` needs `--credential FIELD=ENV_VAR` values"
            )));
        }
        let declared = set
            .integrations
            .iter()
            .find(|i| i.name.value == integration)
            .and_then(|i| crate::manifest::integration::compile(i).credential);
        let Some(cred) = declared else { return Ok(Credentials::none()) };
        let mut fields = BTreeMap::new();
        for (field, var) in &cred.fields {
            let value = std::env::var(var).ok().filter(|v| !v.is_empty()).ok_or_else(|| {
                CliError::new(format!(
                    "environment variable `{var}` (credential field `{field}` of integration `{integration}`) is not set"
                ))
            })?;
            printer.add_secret(&value);
            fields.insert(field.clone(), value);
        }
        let c = Credentials::from_type(&cred.type_name, fields).map_err(|e| CliError::new(e.to_string()))?;
        for s in c.secrets() {
            printer.add_secret(&s);
        }
        return Ok(c);
    }
    let mut fields = BTreeMap::new();
    for c in &args.credentials {
        let Some((field, var)) = c.split_once('=') else {
            return Err(CliError::new(format!("`{c}` is not `FIELD=ENV_VAR`"))
                .hint("e.g. `--credential apiKey=PROFILE_API_KEY` (the value is read from the variable)"));
        };
        let value = std::env::var(var).map_err(|_| {
            CliError::new(format!("environment variable `{var}` (for credential field `{field}`) is not set"))
        })?;
        printer.add_secret(&value);
        fields.insert(field.to_string(), value);
    }
    let kind = args.credential_type.as_deref().unwrap_or("userDefined");
    if kind == "basicAuth" && !(fields.contains_key("userName") && fields.contains_key("password")) {
        return Err(CliError::new("a basicAuth credential needs the fields `userName` and `password`")
            .hint("pass `--credential userName=USER_VAR --credential password=PASS_VAR`"));
    }
    let c = Credentials::from_type(kind, fields).map_err(|e| CliError::new(e.to_string()))?;
    for s in c.secrets() {
        printer.add_secret(&s);
    }
    Ok(c)
}

fn guard_writes(method: &str, name: &str, allow: bool, where_: &str) -> Result<(), CliError> {
    if method.eq_ignore_ascii_case("GET") || allow {
        return Ok(());
    }
    Err(CliError::new(format!(
        "`{name}` is a {} action: running it calls {where_} and may change data",
        method.to_ascii_uppercase()
    ))
    .hint("pass `--allow-writes` to run it anyway, or add a stubbed case under `tests:` and run `gcsync test --all`"))
}

/// A transport for real runs; with `--local` it also starts the local org and routes
/// `*.gcsync.test` to its demo API. Returns the org connection to close afterwards.
async fn real_transport(
    globals: &Globals,
    printer: &Printer,
) -> Result<(HttpTransport, ExecEnv, Option<org::Org>), CliError> {
    let transport = HttpTransport::new().map_err(|e| CliError::new(e.to_string()))?;
    match &globals.target {
        local if local.is_local() => {
            let o = org::connect(local, printer).await?;
            // `is_local()` targets always connect with a local handle; the empty URL cannot be shown.
            let url = o.local.as_ref().map(|l| l.url.clone()).unwrap_or_default();
            let env = crate::operation::remote_test::local_env(&o.client).await?;
            printer.debug(1, "test", &format!("*.gcsync.test is served by the local org at {url}/demo"));
            Ok((transport.with_local_org(url), env, Some(o)))
        }
        _ => Ok((transport, ExecEnv::default(), None)),
    }
}

async fn run_local(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let name = require_name(args)?;
    let set = super::load_manifests_for(&args.manifests.paths(), printer, globals, name)?;
    let manifest = find_action(&set, name)?;
    if manifest.function.is_some() {
        return run_function(args, printer, globals, &set, manifest).await;
    }
    let action = CompiledAction::new(&crate::manifest::compile::compile(manifest));
    let body = crate::exec::with_defaults(&action, &given_inputs(args, &action)?);
    let creds = credentials(args, printer, &set, &manifest.integration.value)?;
    guard_writes(&action.method, name, args.allow_writes, "its live endpoint")?;
    let (transport, env, org) = real_transport(globals, printer).await?;
    let report =
        crate::exec::run(&action, &body, &creds, &env, RunOptions { flatten: args.flatten }, &transport)
            .await;
    if let Some(o) = org {
        o.close().await;
    }
    for s in &report.secrets {
        printer.add_secret(s);
    }
    let mode = if globals.target.is_local() { "locally (local org)" } else { "locally" };
    print_run(printer, args.json, name, mode, &report.result, report.exchange.as_ref());
    hints(printer, &report, globals);
    Ok(outcome_status(&report.result))
}

/// A function action, compiled for a local run (step 5 shows a stand-in for the URL Genesys
/// generates; the function's own timeout is enforced), and the transport running its code.
fn function_action(a: &ActionManifest) -> Result<Option<(CompiledAction, FunctionTransport)>, CliError> {
    let Some(f) = &a.function else { return Ok(None) };
    let mut spec = crate::manifest::compile::compile(a);
    spec.config.request.request_url_template = crate::function::node::local_url(&f.handler.value);
    spec.config.timeout_seconds = Some(f.timeout());
    let transport =
        FunctionTransport::new(&f.source_path, &f.excludes(), &f.handler.value, &f.runtime.value, &a.name.value)
            .map_err(|e| {
                let hint = match &e {
                    NodeError::Missing { .. } => {
                        "install Node.js (https://nodejs.org), or set GCSYNC_NODE to the node binary".to_string()
                    }
                    NodeError::TooOld { need, .. } => format!(
                        "install Node.js {need} or later (or set GCSYNC_NODE to one), or declare the runtime your node runs"
                    ),
                    _ => format!("check `function:` of `{}` with `gcsync validate`", a.name.value),
                };
                CliError::new(format!("cannot run the function of `{}` locally: {e}", a.name.value)).hint(hint)
            })?;
    Ok(Some((CompiledAction::new(&spec), transport)))
}

async fn run_function(
    args: &Args,
    printer: &Printer,
    globals: &Globals,
    set: &crate::manifest::ManifestSet,
    manifest: &ActionManifest,
) -> CmdResult {
    let name = manifest.name.value.as_str();
    let Some((action, transport)) = function_action(manifest)? else {
        return Err(CliError::new(format!("`{name}` is not a function action")));
    };
    let body = crate::exec::with_defaults(&action, &given_inputs(args, &action)?);
    let creds = credentials(args, printer, set, &manifest.integration.value)?;
    printer.debug(
        1,
        "test",
        &format!(
            "node {} runs {} (code {})",
            transport.node().version,
            manifest.name.value,
            transport.sha256
        ),
    );
    let env = match &globals.target {
        local if local.is_local() => {
            let o = org::connect(local, printer).await?;
            let env = crate::operation::remote_test::local_env(&o.client).await;
            o.close().await;
            env?
        }
        _ => ExecEnv::default(),
    };
    let report =
        crate::exec::run(&action, &body, &creds, &env, RunOptions { flatten: args.flatten }, &transport)
            .await;
    for s in &report.secrets {
        printer.add_secret(s);
    }
    print_run(printer, args.json, name, "locally (node)", &report.result, report.exchange.as_ref());
    hints(printer, &report, globals);
    Ok(outcome_status(&report.result))
}

fn outcome_status(r: &TestExecutionResult) -> ExitStatus {
    if r.success { ExitStatus::Success } else { ExitStatus::Error }
}

/// Hints for the classic local-run surprises.
fn hints(printer: &Printer, report: &Report, globals: &Globals) {
    let Some(failed) = report.result.failed_step() else { return };
    let url = report.exchange.as_ref().map(|x| x.url.as_str()).unwrap_or("");
    let function = url.starts_with(crate::function::node::LOCAL_URL_PREFIX);
    let local_host = !function
        && reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .is_some_and(|h| h.ends_with(crate::exec::transport::LOCAL_DEMO_DOMAIN));
    if failed.step == crate::exec::result::step::EXECUTE && local_host && !globals.target.is_local() {
        printer.info(
            "\nhint: `*.gcsync.test` hosts are served by the local org only: run `gcsync --local test ...`",
        );
    }
    if failed.step == crate::exec::result::step::URL
        && failed.result.as_str().is_some_and(|u| u.starts_with('/'))
    {
        printer.info("\nhint: a relative URL (`/api/v2/...`) calls the org's own Platform API (Genesys Cloud Data Actions); run it in the org with `--remote`");
    }
}

async fn run_remote(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let name = require_name(args)?;
    let o = org::connect(&globals.target, printer).await?;
    let result = remote_test(args, printer, &o, name).await;
    o.close().await;
    let (result, shown_name) = result?;
    print_run(
        printer,
        args.json,
        &shown_name,
        if args.draft { "in the org (draft)" } else { "in the org" },
        &result,
        None,
    );
    Ok(outcome_status(&result))
}

async fn remote_test(
    args: &Args,
    printer: &Printer,
    o: &org::Org,
    name: &str,
) -> Result<(TestExecutionResult, String), CliError> {
    let full = crate::operation::remote_test::find(&o.client, name, args.draft).await?;
    let compiled = CompiledAction::new(&full.to_spec());
    if full.secure {
        printer.debug(1, "test", "secure action: inputs are redacted from the trace");
    }
    let body = crate::exec::with_defaults(&compiled, &given_inputs(args, &compiled)?);
    if compiled.secure
        && let Value::Object(m) = &body
    {
        for v in m.values() {
            printer.add_secret(&v.as_str().map_or_else(|| v.to_string(), str::to_string));
        }
    }
    guard_writes(&compiled.method, name, args.allow_writes, "its live endpoint from the org")?;
    let result =
        crate::operation::remote_test::test(&o.client, name, &full.id, args.draft, &body, args.flatten)
            .await?;
    Ok((result, name.to_string()))
}

// --- rendering ------------------------------------------------------------------------------

const DETAIL_LIMIT: usize = 160;

fn clip(s: &str) -> String {
    clip_to(s, DETAIL_LIMIT)
}

/// One line of at most `limit` characters.
fn clip_to(s: &str, limit: usize) -> String {
    let one_line: String = s.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
    if one_line.chars().count() <= limit {
        one_line
    } else {
        format!("{}…", one_line.chars().take(limit).collect::<String>())
    }
}

fn print_run(
    printer: &Printer,
    as_json: bool,
    name: &str,
    mode: &str,
    result: &TestExecutionResult,
    exchange: Option<&crate::exec::Exchange>,
) {
    if as_json {
        // Plain data (string keys) always serializes; the default never stands in.
        printer.outln(&serde_json::to_string_pretty(result).unwrap_or_default());
        return;
    }
    printer.out(&render_trace(printer, name, mode, result, exchange));
}

/// The human trace: one line per step (with what it produced), then the outcome.
fn render_trace(
    printer: &Printer,
    name: &str,
    mode: &str,
    result: &TestExecutionResult,
    exchange: Option<&crate::exec::Exchange>,
) -> String {
    use console::Style;
    let mut s = format!("Running `{name}` {mode}\n\n");
    for op in &result.operations {
        let mark = if op.success {
            printer.paint(&Style::new().green(), "ok  ")
        } else {
            printer.paint(&Style::new().red().bold(), "FAIL")
        };
        let _ = writeln!(s, "  {:>2}  {mark}  {}", op.step, op.name);
        for line in step_details(op, exchange) {
            let _ = writeln!(s, "            {}", clip(&line));
        }
        for w in &op.warnings {
            let _ =
                writeln!(s, "            {}: {}", printer.paint(&Style::new().yellow(), "warning"), clip(w));
        }
        if let Some(e) = &op.error {
            let _ = writeln!(
                s,
                "            status {}, {}{}",
                e.status,
                e.code,
                // An optional part of a display line: absent, nothing is shown.
                e.error_code().map(|c| format!(", {c}")).unwrap_or_default()
            );
            let _ = writeln!(s, "            {}", e.message);
        }
    }
    s.push('\n');
    match result.outcome() {
        Outcome::Success(out) => {
            let _ = writeln!(s, "{}", printer.paint(&Style::new().green().bold(), "Success"));
            match out {
                Value::Object(m) if !m.is_empty() => {
                    let w = m.keys().map(|k| k.chars().count()).max().unwrap_or(0);
                    for (k, v) in m {
                        let _ = writeln!(s, "  {k:<w$}  {}", clip(&v.to_string()));
                    }
                }
                other => {
                    let _ = writeln!(s, "  {}", clip(&other.to_string()));
                }
            }
        }
        Outcome::Failure(e) => {
            let label = printer.paint(&Style::new().red().bold(), "Failure");
            let _ = writeln!(
                s,
                "{label}: status {}, {}{}",
                e.status,
                e.code,
                // An optional part of a display line: absent, nothing is shown.
                e.error_code().map(|c| format!(", {c}")).unwrap_or_default()
            );
            let _ = writeln!(s, "  {}", e.message);
        }
        Outcome::Timeout(e) => {
            let label = printer.paint(&Style::new().yellow().bold(), "Timeout");
            let _ = writeln!(s, "{label}: status {}, {}", e.status, e.error_code().unwrap_or(&e.code));
            let _ = writeln!(s, "  {}", e.message);
        }
    }
    s
}

/// What a step shows under its name.
fn step_details(op: &crate::exec::Operation, exchange: Option<&crate::exec::Exchange>) -> Vec<String> {
    use crate::exec::result::step;
    let r = &op.result;
    match op.step {
        step::SIMPLE_JSON if op.success => vec![format!("input {}", r)],
        step::AUTH => {
            let t = r.get("credentialType").and_then(Value::as_str).unwrap_or("none");
            let mut out = vec![match t {
                "none" => "no credentials".to_string(),
                other => format!("credential type {other}"),
            }];
            if let Some(f) = r.get("fields").and_then(Value::as_array) {
                let names: Vec<&str> = f.iter().filter_map(Value::as_str).collect();
                out.push(format!("fields: {}", names.join(", ")));
            }
            if let Some(a) = r.get("authorization").and_then(Value::as_str) {
                out.push(format!("Authorization: {a}"));
            }
            if let Some(n) = r.get("note").and_then(Value::as_str) {
                out.push(n.to_string());
            }
            out
        }
        step::URL | step::BODY => match r {
            Value::String(text) if op.step == step::BODY => {
                let sent = exchange.map(|x| x.sent_body);
                let note = match (sent, exchange.map(|x| x.method.as_str())) {
                    (Some(false), Some(m)) => format!("  (not sent: {m})"),
                    _ => String::new(),
                };
                vec![format!("{text}{note}")]
            }
            Value::String(text) => vec![text.clone()],
            Value::Null => vec![],
            other => vec![other.to_string()],
        },
        step::HEADERS => match r {
            Value::Object(m) => m.iter().map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or(""))).collect(),
            _ => vec![],
        },
        step::EXECUTE => {
            let mut out = Vec::new();
            let function = exchange.and_then(|x| x.url.strip_prefix(crate::function::node::LOCAL_URL_PREFIX));
            if let (Some(x), Some(handler)) = (exchange, function) {
                match x.status {
                    Some(200) => out.push(format!("node {handler} → returned ({} bytes)", x.bytes)),
                    Some(_) => out.push(format!("node {handler} → threw")),
                    None => out.push(format!("node {handler} → no result")),
                }
            } else if let Some(x) = exchange {
                match x.status {
                    Some(st) => out.push(format!("{} {} → {st} ({} bytes)", x.method, x.url, x.bytes)),
                    None => out.push(format!("{} {} → no answer", x.method, x.url)),
                }
            }
            match r {
                Value::Null => {}
                Value::String(t) if t.trim().is_empty() => {}
                Value::String(t) => out.push(t.clone()),
                other => out.push(other.to_string()),
            }
            if let Some(Value::Array(logs)) = op.extra.get("logs") {
                out.extend(logs.iter().map(|l| format!("console: {}", l.as_str().unwrap_or(""))));
            }
            out
        }
        step::TRANSLATION => match r {
            Value::Object(m) => m.iter().map(|(k, v)| format!("{k} = {v}")).collect(),
            _ => vec![],
        },
        step::TRANSFORM | step::FLATTEN if !r.is_null() => vec![r.to_string()],
        _ => vec![],
    }
}

// --- test cases -----------------------------------------------------------------------------

async fn run_cases(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let set = match &args.name {
        Some(n) => super::load_manifests_for(&args.manifests.paths(), printer, globals, n)?,
        None => load_manifests(&args.manifests.paths(), printer, globals)?,
    };
    let actions: Vec<&ActionManifest> = match &args.name {
        Some(n) => vec![find_action(&set, n)?],
        None => set.actions.iter().collect(),
    };
    // `--credential` flags apply to every action; otherwise each action's declared
    // integration credential is used when its variables are set (stubbed cases run without
    // it when they are not).
    let flag_creds =
        if args.credentials.is_empty() { None } else { Some(credentials(args, printer, &set, "")?) };
    let run_live = args.live || globals.target.is_local();
    let mut live_transport: Option<(HttpTransport, ExecEnv, Option<org::Org>)> = None;
    let mut runs: Vec<CaseRun> = Vec::new();
    for a in actions {
        let creds = match &flag_creds {
            Some(c) => c.clone(),
            None => {
                credentials(args, printer, &set, &a.integration.value).unwrap_or_else(|_| Credentials::none())
            }
        };
        let mut diags = crate::diag::Diagnostics::new();
        let mut sink = crate::manifest::reader::Sink { file: &a.file, diags: &mut diags };
        let cases: Vec<TestCase> = crate::manifest::test_cases::parse_tests(a, &mut sink);
        if cases.is_empty() {
            continue;
        }
        // A function action's cases without `response:` run its code with the local node.
        let prepared = if a.function.is_some() && cases.iter().any(|c| matches!(c.source, CaseSource::Live)) {
            function_action(a)?
        } else {
            None
        };
        let (action, function) = match prepared {
            Some((compiled, t)) => (compiled, Some(t)),
            None => (CompiledAction::new(&crate::manifest::compile::compile(a)), None),
        };
        for case in cases {
            let run = match (&case.source, &function) {
                (CaseSource::Live, Some(t)) => {
                    let env = cases::fixed_env();
                    cases::run_case(&action, &a.name.value, &case, &creds, Live::Via(t, &env)).await
                }
                (CaseSource::Stub(_), _) => {
                    cases::run_case(&action, &a.name.value, &case, &creds, Live::<HttpTransport>::Unused)
                        .await
                }
                (CaseSource::Live, None) if !run_live => {
                    let why = "live case: run with `--live` (real endpoints) or `--local` (the local org's demo API)";
                    cases::run_case(
                        &action,
                        &a.name.value,
                        &case,
                        &creds,
                        Live::<HttpTransport>::Skip(why.into()),
                    )
                    .await
                }
                (CaseSource::Live, None) => {
                    match guard_writes(&action.method, &a.name.value, args.allow_writes, "its live endpoint")
                    {
                        Err(e) => {
                            cases::run_case(
                                &action,
                                &a.name.value,
                                &case,
                                &creds,
                                Live::<HttpTransport>::Refused(e.message),
                            )
                            .await
                        }
                        Ok(()) => {
                            if live_transport.is_none() {
                                live_transport = Some(real_transport(globals, printer).await?);
                            }
                            let live = match &live_transport {
                                Some((t, env, _)) => Live::Via(t, env),
                                // Impossible: set just above.
                                None => Live::Refused("no live transport".into()),
                            };
                            cases::run_case(&action, &a.name.value, &case, &creds, live).await
                        }
                    }
                }
            };
            if let Some(r) = &run.report {
                for s in &r.secrets {
                    printer.add_secret(s);
                }
            }
            runs.push(run);
        }
    }
    if let Some((_, _, Some(o))) = live_transport {
        o.close().await;
    }
    if runs.is_empty() {
        return Err(CliError::new("no test cases found in the manifests")
            .hint("add `tests:` to an action (see README \"Test cases\")"));
    }
    let failed = runs.iter().filter(|r| r.problems.is_some()).count();
    let skipped = runs.iter().filter(|r| r.skipped.is_some()).count();
    let passed = runs.len() - failed - skipped;
    if let Some(path) = &args.junit {
        crate::fsutil::write_atomic(path, junit(&runs)?.as_bytes(), false).map_err(|e| {
            CliError::new(format!("cannot write `{}`: {}", path.display(), crate::fsutil::io_reason(&e)))
        })?;
    }
    if args.json {
        let cases: Vec<Value> = runs
            .iter()
            .map(|r| {
                json!({
                    "action": r.action,
                    "name": r.case,
                    "location": r.location,
                    "status": if r.skipped.is_some() { "skipped" } else if r.problems.is_some() { "failed" } else { "passed" },
                    // A passed or skipped case has no problems.
                    "problems": r.problems.clone().unwrap_or_default(),
                    "skip_reason": r.skipped,
                    "outcome": r.report.as_ref().map(cases::describe),
                    // Plain data (string keys) always serializes; the default never stands in.
                    "result": r.report.as_ref().map(|x| serde_json::to_value(&x.result).unwrap_or(Value::Null)),
                })
            })
            .collect();
        let v = json!({"format_version": "1", "passed": passed, "failed": failed, "skipped": skipped, "cases": cases});
        // Plain data (string keys) always serializes; the default never stands in.
        printer.outln(&serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        printer.out(&render_cases(printer, &runs, passed, failed, skipped));
    }
    Ok(if failed > 0 { ExitStatus::Error } else { ExitStatus::Success })
}

fn render_cases(printer: &Printer, runs: &[CaseRun], passed: usize, failed: usize, skipped: usize) -> String {
    use console::Style;
    let mut s = String::new();
    let mut current = "";
    for r in runs {
        if r.action != current {
            if !current.is_empty() {
                s.push('\n');
            }
            let file = r.location.split(':').next().unwrap_or("");
            let _ = writeln!(s, "{} ({file})", r.action);
            current = &r.action;
        }
        match (&r.problems, &r.skipped) {
            (_, Some(reason)) => {
                let _ =
                    writeln!(s, "  {}  {}: {reason}", printer.paint(&Style::new().yellow(), "skip"), r.case);
            }
            (None, None) => {
                let outcome = r.report.as_ref().map(|x| match x.result.outcome() {
                    Outcome::Success(_) => "Success".to_string(),
                    Outcome::Failure(e) => format!("Failure, status {}", e.status),
                    Outcome::Timeout(_) => "Timeout".to_string(),
                });
                let _ = writeln!(
                    s,
                    "  {}  {}{}",
                    printer.paint(&Style::new().green(), "ok  "),
                    r.case,
                    // An optional part of a display line: absent, nothing is shown.
                    outcome.map(|o| format!(" ({o})")).unwrap_or_default()
                );
            }
            (Some(problems), None) => {
                let _ = writeln!(
                    s,
                    "  {}  {}  ({})",
                    printer.paint(&Style::new().red().bold(), "FAIL"),
                    r.case,
                    r.location
                );
                for p in problems {
                    let _ = writeln!(s, "          {}", clip_to(p, 600));
                }
            }
        }
    }
    let summary = format!(
        "{passed} passed, {failed} failed{}",
        if skipped > 0 { format!(", {skipped} skipped") } else { String::new() }
    );
    let style = if failed > 0 { Style::new().red().bold() } else { Style::new().green().bold() };
    let _ = writeln!(s, "\n{}", printer.paint(&style, &summary));
    s
}

/// JUnit XML: one `<testsuite>` per action, one `<testcase>` per case (deterministic: no
/// timestamps or durations).
fn junit(runs: &[CaseRun]) -> Result<String, CliError> {
    use quick_junit::{NonSuccessKind, Report, TestCase as JCase, TestCaseStatus, TestSuite, XmlString};
    let mut report = Report::new("gcsync test");
    let mut suites: Vec<TestSuite> = Vec::new();
    for r in runs {
        let status = match (&r.problems, &r.skipped) {
            (_, Some(reason)) => {
                let mut st = TestCaseStatus::skipped();
                st.set_message(reason.as_str());
                st
            }
            (Some(p), None) => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_message(p.first().map_or("", String::as_str));
                let mut body = p.join("\n");
                if let Some(rep) = &r.report {
                    body.push_str("\n\n");
                    body.push_str(&cases::describe(rep));
                }
                st.set_description(body);
                st
            }
            (None, None) => TestCaseStatus::success(),
        };
        let mut case = JCase::new(r.case.as_str(), status);
        case.set_classname(r.action.as_str());
        let file = r.location.split(':').next().unwrap_or("");
        case.extra.insert(XmlString::new("file"), XmlString::new(file));
        match suites.iter_mut().find(|s| s.name.as_str() == r.action) {
            Some(suite) => {
                suite.add_test_case(case);
            }
            None => {
                let mut suite = TestSuite::new(r.action.as_str());
                suite.add_test_case(case);
                suites.push(suite);
            }
        }
    }
    report.add_test_suites(suites);
    report.to_string().map_err(|e| CliError::new(format!("cannot write the JUnit report: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_one_line() {
        assert_eq!(clip("a\nb"), "a b");
        assert!(clip(&"x".repeat(500)).ends_with('…'));
    }
}
