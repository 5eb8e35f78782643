//! Test cases of an action (`tests:` in a manifest) and how a run is checked against them.
//!
//! Owns: the case types ([`TestCase`]: inputs, a stubbed upstream answer or `live`, and the
//! expectation), building the [`StubTransport`] for a stubbed case (reading `bodyFile`),
//! running one case ([`run_case`]: stubbed against its stub, live through the transport
//! the caller allows, or skipped/refused with the caller's reason) and [`check`], which
//! lists every way a run differs from its expectation.
//! Must not: parse YAML (`manifest::test_cases` does), choose or build transports for live
//! cases (which endpoint, whether writes are allowed) or print (`gcsync test` does).

use super::action::CompiledAction;
use super::credentials::Credentials;
use super::pipeline::{ExecEnv, Report, RunOptions};
use super::result::Outcome;
use super::transport::{HttpResponse, StubTransport, Transport};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;

/// One case.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    /// Case name (unique within its action).
    pub name: String,
    /// `file:line:column` of the case, for reports.
    pub location: String,
    /// Inputs, merged over the input schema's defaults.
    pub input: Map<String, Value>,
    /// Flatten the output before comparing.
    pub flatten: bool,
    /// Where the upstream answer comes from.
    pub source: CaseSource,
    /// What must happen.
    pub expect: Expect,
}

/// Where a case's upstream answer comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseSource {
    /// A canned answer (no network).
    Stub(StubResponse),
    /// The real endpoint (`live: true`).
    Live,
}

/// A canned upstream answer.
#[derive(Debug, Clone, PartialEq)]
pub struct StubResponse {
    /// HTTP status (default 200).
    pub status: u16,
    /// Headers (default `Content-Type: application/json` when the body is structured).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: StubBody,
    /// Simulated latency; beyond the action's timeout the case times out (no sleeping).
    pub delay_ms: u64,
}

/// A canned body.
#[derive(Debug, Clone, PartialEq)]
pub enum StubBody {
    /// `body:` — a YAML value sent as JSON.
    Json(Value),
    /// `bodyText:` — sent byte for byte (invalid JSON, HTML error pages, ...).
    Text(String),
    /// `bodyFile:` — a file, resolved against the manifest's directory.
    File {
        /// The manifest's directory: the file must stay inside it.
        base: PathBuf,
        /// The path the manifest gives, relative to `base`.
        rel: PathBuf,
    },
    /// No body.
    Empty,
}

/// What a case expects.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// The outcome.
    pub outcome: ExpectOutcome,
    /// The exact resolved request URL, if given.
    pub url: Option<String>,
    /// What the request sends (`expect.request`; stubbed cases only).
    pub request: Option<ExpectRequest>,
}

/// `expect.request`: what the action sends upstream. Only the listed parts are checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpectRequest {
    /// The exact URL.
    pub url: Option<String>,
    /// Header values by name (names case-insensitive; other headers are not checked).
    pub headers: Vec<(String, String)>,
    /// The body: a structured value compares as JSON when the sent body is JSON; a string
    /// compares as text.
    pub body: Option<Value>,
}

/// A transport that keeps the last request it passed on (what `expect.request` checks).
struct Recording<'a, T> {
    inner: &'a T,
    seen: std::sync::Mutex<Option<super::transport::HttpRequest>>,
}

impl<T: Transport> Transport for Recording<'_, T> {
    fn send(
        &self,
        req: &super::transport::HttpRequest,
    ) -> impl std::future::Future<Output = Result<HttpResponse, super::transport::TransportError>> + Send
    {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(req.clone());
        }
        self.inner.send(req)
    }
}

/// Every way `sent` differs from `expect` (secrets in shown values redacted).
fn check_request(
    expect: &ExpectRequest,
    sent: Option<&super::transport::HttpRequest>,
    secrets: &[String],
) -> Vec<String> {
    let mut rule = crate::redact::Secrets::new();
    for s in secrets {
        rule.add(s);
    }
    let shown = |s: &str| rule.redact(s);
    let Some(sent) = sent else {
        return vec!["`expect.request`: no request was sent (an earlier step stopped the run)".into()];
    };
    let mut out = Vec::new();
    if let Some(url) = &expect.url
        && *url != sent.url
    {
        out.push(format!("request url: expected `{url}`, got `{}`", shown(&sent.url)));
    }
    for (name, want) in &expect.headers {
        match sent.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            Some((_, got)) if got == want => {}
            Some((_, got)) => {
                out.push(format!("request header `{name}`: expected `{want}`, got `{}`", shown(got)));
            }
            None => out.push(format!("request header `{name}`: expected `{want}`, not sent")),
        }
    }
    if let Some(want) = &expect.body {
        let got = sent.body.as_deref().unwrap_or("");
        let same = match (want, serde_json::from_str::<Value>(got)) {
            (Value::String(text), _) => text == got,
            (structured, Ok(parsed)) => *structured == parsed,
            (_, Err(_)) => false,
        };
        if !same {
            out.push(format!(
                "request body: expected {}, got {}",
                shown(&want.to_string()),
                shown(&format!("`{got}`"))
            ));
        }
    }
    out
}

/// The expected outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectOutcome {
    /// Success; each listed output must equal the given value (unlisted outputs are not
    /// checked).
    Success {
        /// Expected output values.
        outputs: Map<String, Value>,
    },
    /// Failure; each given field must match.
    Failure {
        /// HTTP status of the error.
        status: Option<u16>,
        /// `details[].errorCode`.
        error_code: Option<String>,
        /// `code`.
        code: Option<String>,
        /// The failed step number.
        step: Option<u32>,
        /// A substring of the message.
        message: Option<String>,
    },
    /// Timeout.
    Timeout,
}

/// The stub transport of a stubbed case.
pub fn stub_transport(resp: &StubResponse) -> Result<StubTransport, String> {
    let (body, structured) = match &resp.body {
        StubBody::Json(v) => (v.to_string().into_bytes(), true),
        StubBody::Text(t) => (t.clone().into_bytes(), false),
        StubBody::File { base, rel } => (
            crate::fsutil::read_confined(base, rel, super::transport::MAX_RESPONSE_BYTES as u64)
                .map_err(|why| format!("cannot read body file `{}`: {why}", base.join(rel).display()))?,
            false,
        ),
        StubBody::Empty => (Vec::new(), false),
    };
    let mut headers = resp.headers.clone();
    if structured && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
        headers.push(("content-type".into(), "application/json".into()));
    }
    Ok(StubTransport {
        response: HttpResponse { status: resp.status, headers, body, ..HttpResponse::default() },
        delay: Duration::from_millis(resp.delay_ms),
    })
}

/// How a live case (`live: true`) of this run reaches an endpoint.
pub enum Live<'a, T> {
    /// Through `T` (a function action's local code, the real endpoint, the local org).
    Via(&'a T, &'a ExecEnv),
    /// Not in this run: skipped, with the reason.
    Skip(String),
    /// Refused (a write without `--allow-writes`), with the reason.
    Refused(String),
    /// The case is stubbed: no endpoint is reached.
    Unused,
}

/// One case's run: passed (`problems` and `skipped` empty), failed with every difference, or
/// skipped.
#[derive(Debug)]
pub struct CaseRun {
    /// The action's name.
    pub action: String,
    /// The case's name.
    pub case: String,
    /// `file:line:col` of the case.
    pub location: String,
    /// `None` = passed; `Some(problems)` = failed.
    pub problems: Option<Vec<String>>,
    /// Why it was skipped.
    pub skipped: Option<String>,
    /// The run's report, when it ran.
    pub report: Option<Report>,
}

/// Runs one case of `action` (named `action_name`) with `creds`: a stubbed case against its
/// stub (a fixed correlation id, so reports compare), a live case as `live` allows; then
/// checks the report against the case's expectation.
pub async fn run_case<T: Transport>(
    action: &CompiledAction,
    action_name: &str,
    case: &TestCase,
    creds: &Credentials,
    live: Live<'_, T>,
) -> CaseRun {
    let body = super::with_defaults(action, &case.input);
    let opts = RunOptions { flatten: case.flatten };
    let mut run = CaseRun {
        action: action_name.to_string(),
        case: case.name.clone(),
        location: case.location.clone(),
        problems: None,
        skipped: None,
        report: None,
    };
    let fixed = fixed_env();
    let mut request_problems = Vec::new();
    let report = match (&case.source, live) {
        (CaseSource::Stub(stub), _) => match stub_transport(stub) {
            Ok(t) => {
                let recording = Recording { inner: &t, seen: std::sync::Mutex::new(None) };
                let report = super::run(action, &body, creds, &fixed, opts, &recording).await;
                if let Some(expect) = &case.expect.request {
                    let sent = recording.seen.lock().ok().and_then(|s| s.clone());
                    request_problems = check_request(expect, sent.as_ref(), &report.secrets);
                }
                Some(report)
            }
            Err(e) => {
                run.problems = Some(vec![e]);
                None
            }
        },
        (CaseSource::Live, Live::Via(t, env)) => Some(super::run(action, &body, creds, env, opts, t).await),
        (CaseSource::Live, Live::Skip(reason)) => {
            run.skipped = Some(reason);
            None
        }
        (CaseSource::Live, Live::Refused(reason)) => {
            run.problems = Some(vec![reason]);
            None
        }
        (CaseSource::Live, Live::Unused) => {
            run.problems = Some(vec!["a live case was run as a stubbed one (no endpoint given)".into()]);
            None
        }
    };
    if let Some(r) = report {
        let mut problems = check(&case.expect, &r);
        problems.extend(request_problems);
        if !problems.is_empty() {
            run.problems = Some(problems);
        }
        run.report = Some(r);
    }
    run
}

/// The environment of a case run locally: a fixed correlation id, so reports compare.
#[must_use]
pub fn fixed_env() -> ExecEnv {
    ExecEnv { correlation_id: Some("00000000-0000-0000-0000-000000000000".into()), ..ExecEnv::default() }
}

/// Every difference between `report` and `expect` (empty = the case passes).
#[must_use]
pub fn check(expect: &Expect, report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let r = &report.result;
    let got = describe(report);
    match (&expect.outcome, r.outcome()) {
        (ExpectOutcome::Success { outputs }, Outcome::Success(output)) => {
            for (k, want) in outputs {
                match output.get(k) {
                    None => out.push(format!("output `{k}` is missing (outputs: {})", compact(output))),
                    Some(have) if !json_eq(have, want) => {
                        out.push(format!("output `{k}`: expected {}, got {}", compact(want), compact(have)));
                    }
                    Some(_) => {}
                }
            }
        }
        (ExpectOutcome::Success { .. }, _) => out.push(format!("expected Success, got {got}")),
        (ExpectOutcome::Failure { status, error_code, code, step, message }, Outcome::Failure(e)) => {
            if let Some(s) = status
                && *s != e.status
            {
                out.push(format!("failure status: expected {s}, got {}", e.status));
            }
            if let Some(c) = error_code
                && Some(c.as_str()) != e.error_code()
            {
                out.push(format!(
                    "failure errorCode: expected {c}, got {}",
                    e.error_code().unwrap_or("(none)")
                ));
            }
            if let Some(c) = code
                && *c != e.code
            {
                out.push(format!("failure code: expected {c}, got {}", e.code));
            }
            if let Some(s) = step {
                let failed = r.failed_step().map_or(0, |o| o.step);
                if *s != failed {
                    out.push(format!("failed step: expected {s}, got {failed}"));
                }
            }
            if let Some(m) = message
                && !e.message.contains(m.as_str())
            {
                out.push(format!(
                    "failure message does not contain {}: {}",
                    compact(&Value::String(m.clone())),
                    e.message
                ));
            }
        }
        (ExpectOutcome::Failure { .. }, _) => out.push(format!("expected Failure, got {got}")),
        (ExpectOutcome::Timeout, Outcome::Timeout(_)) => {}
        (ExpectOutcome::Timeout, _) => out.push(format!("expected Timeout, got {got}")),
    }
    if let Some(want) = &expect.url {
        match &report.exchange {
            Some(x) if &x.url == want => {}
            Some(x) => out.push(format!("request URL: expected {want}, got {}", x.url)),
            None => out.push(format!("request URL: expected {want}, but no request was sent")),
        }
    }
    out
}

/// A one-line description of a run's outcome.
#[must_use]
pub fn describe(report: &Report) -> String {
    let r = &report.result;
    // An optional part of a display line: absent, nothing is shown.
    let step = r.failed_step().map(|o| format!(" at step {} ({})", o.step, o.name)).unwrap_or_default();
    match r.outcome() {
        Outcome::Success(v) => format!("Success with outputs {}", compact(v)),
        Outcome::Failure(e) => format!(
            "Failure{step}: status {}, {}: {}",
            e.status,
            e.error_code().unwrap_or(&e.code),
            e.message
        ),
        Outcome::Timeout(e) => format!("Timeout{step}: {}", e.message),
    }
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 300 { format!("{}…", s.chars().take(300).collect::<String>()) } else { s }
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::result::{ErrorBody, TestExecutionResult};
    use serde_json::json;

    fn success(out: Value) -> Report {
        Report {
            result: TestExecutionResult { success: true, final_result: Some(out), ..Default::default() },
            exchange: None,
            secrets: vec![],
        }
    }

    #[test]
    fn outputs_are_checked_by_value() {
        let mut outputs = Map::new();
        outputs.insert("a".into(), json!(1));
        outputs.insert("b".into(), json!("x"));
        let e = Expect { outcome: ExpectOutcome::Success { outputs }, url: None, request: None };
        assert!(check(&e, &success(json!({"a": 1.0, "b": "x", "c": 3}))).is_empty());
        let diffs = check(&e, &success(json!({"a": 2, "c": 3})));
        assert_eq!(diffs.len(), 2, "{diffs:?}");
        assert!(diffs[0].contains("expected 1, got 2"));
        assert!(diffs[1].contains("`b` is missing"));
    }

    #[test]
    fn failure_fields() {
        let err =
            ErrorBody::new(404, "not.found", "ACTION.REMOTE_ENDPOINT", "Response from web service: nope");
        let r = Report {
            result: TestExecutionResult { success: false, error: Some(err), ..Default::default() },
            exchange: None,
            secrets: vec![],
        };
        let want = |status, code: &str| Expect {
            outcome: ExpectOutcome::Failure {
                status: Some(status),
                error_code: Some(code.into()),
                code: None,
                step: None,
                message: Some("nope".into()),
            },
            url: None,
            request: None,
        };
        assert!(check(&want(404, "ACTION.REMOTE_ENDPOINT"), &r).is_empty());
        assert_eq!(check(&want(500, "ACTION.PROCESSING"), &r).len(), 2);
        let timeout = Expect { outcome: ExpectOutcome::Timeout, url: None, request: None };
        assert!(check(&timeout, &r)[0].starts_with("expected Timeout, got Failure"));
    }

    #[test]
    fn stub_bodies() {
        let s = stub_transport(&StubResponse {
            status: 200,
            headers: vec![],
            body: StubBody::Json(json!({"a": 1})),
            delay_ms: 0,
        })
        .unwrap();
        assert_eq!(s.response.body, br#"{"a":1}"#);
        assert_eq!(s.response.header("Content-Type"), Some("application/json"));
        let missing = stub_transport(&StubResponse {
            status: 200,
            headers: vec![],
            body: StubBody::File { base: "/nonexistent".into(), rel: "x.json".into() },
            delay_ms: 0,
        });
        assert!(missing.unwrap_err().contains("no such file"));
    }
}
