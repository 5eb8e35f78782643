//! The runtime pipeline: Genesys's ten steps (reference §2.1) plus output-schema validation
//! and flattening, each recording success, result and error.
//!
//! The pipeline is split around the HTTP call so it stays pure: [`prepare`] runs steps 1–7
//! and builds step 8's request, [`Pending::finish`] classifies the answer and runs steps
//! 8–12; [`run`] joins them over a [`Transport`]. Benchmarks call the two halves with a
//! stub in between, without an async runtime.
//!
//! Owns: input handling (nulls dropped, simple-JSON check, draft-04 validation), the
//! Velocity contexts (`input` + `rawRequest`/`orgId`/`integrationId`, `credentials`,
//! `authResponse`, the Genesys tools; success template: translation values as JSON text +
//! `rawResult`), the platform headers, response classification (§2.6) into ErrorBody
//! errors, the translation map with defaults (§2.7, §2.9), the strict success template, and
//! redaction of credential values and `secure` inputs from the whole trace.
//! Must not: do I/O itself (the transport does), print, or know manifests.

use super::action::{CompiledAction, Schema};
use super::credentials::Credentials;
use super::flatten::flatten;
use super::result::{ErrorBody, Operation, TIMEOUT_STATUS, TestExecutionResult, codes, step, step_name};
use super::transport::{HttpRequest, HttpResponse, Transport, TransportError};
use crate::velocity::{Context, RenderOptions, ToolSet, Value as VValue};
use serde_json::{Map, Value, json};

/// The text replacing redacted values.
pub const REDACTED: &str = crate::redact::REDACTED;

/// How much of an upstream body an error message quotes.
const QUOTE_LIMIT: usize = 2_000;

/// Who runs the action: the values Genesys puts into `input.orgId`/`input.integrationId` and
/// the `ININ-*` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecEnv {
    /// `ININ-Organization-Id` and `${input.orgId}`.
    pub org_id: String,
    /// `ININ-Home-Organization-Id`.
    pub home_org_id: String,
    /// `${input.integrationId}`.
    pub integration_id: String,
    /// `ININ-User-Id`, when a user context exists.
    pub user_id: Option<String>,
    /// A fixed `ININ-Correlation-Id` (also every error's `contextId`); a fresh uuid per
    /// run when `None`.
    pub correlation_id: Option<String>,
}

impl Default for ExecEnv {
    fn default() -> Self {
        let zero = "00000000-0000-0000-0000-000000000000".to_string();
        Self {
            org_id: zero.clone(),
            home_org_id: zero.clone(),
            integration_id: zero,
            user_id: None,
            correlation_id: None,
        }
    }
}

/// Per-run options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Flatten the output (step 12), as `flatten=true` does.
    pub flatten: bool,
}

/// What step 8 sent and got (for human traces; not part of Genesys's shape).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Exchange {
    /// Method.
    pub method: String,
    /// The URL (redacted).
    pub url: String,
    /// Whether a body was sent.
    pub sent_body: bool,
    /// The upstream status, when an answer arrived.
    pub status: Option<u16>,
    /// Bytes received.
    pub bytes: usize,
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The `TestExecutionResult`.
    pub result: TestExecutionResult,
    /// Step 8's request and answer, when it ran.
    pub exchange: Option<Exchange>,
    /// Values redacted from the trace (callers register them with the Printer).
    pub secrets: Vec<String>,
}

/// After steps 1–7: either finished (a step failed) or a request to send.
// Built once per run and matched at once; boxing either variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Prepared<'a> {
    /// A step before the call failed.
    Done(Report),
    /// Send `request`, then call [`Pending::finish`].
    Ready(Pending<'a>),
}

/// A run waiting for step 8's answer.
#[derive(Debug)]
pub struct Pending<'a> {
    /// The request to send.
    pub request: HttpRequest,
    run: Run<'a>,
}

#[derive(Debug)]
struct Run<'a> {
    action: &'a CompiledAction,
    opts: RunOptions,
    ops: Vec<Operation>,
    secrets: Vec<String>,
    correlation_id: String,
    exchange: Option<Exchange>,
    /// The answer's `logs` and `notes`, attached to step 8 whether it succeeds or fails.
    upstream_output: (Vec<String>, Vec<String>),
}

/// Runs the whole pipeline.
pub async fn run<T: Transport>(
    action: &CompiledAction,
    input: &Value,
    credentials: &Credentials,
    env: &ExecEnv,
    opts: RunOptions,
    transport: &T,
) -> Report {
    match prepare(action, input, credentials, env, opts) {
        Prepared::Done(r) => r,
        Prepared::Ready(p) => {
            let answer = transport.send(&p.request).await;
            p.finish(answer)
        }
    }
}

impl Run<'_> {
    fn ok(&mut self, n: u32, result: Value) {
        let op = Operation {
            step: n,
            name: step_name(n).to_string(),
            success: true,
            result,
            ..Operation::default()
        };
        self.push_op(op);
    }

    fn push_op(&mut self, mut op: Operation) {
        if op.step == step::EXECUTE {
            let (logs, notes) = std::mem::take(&mut self.upstream_output);
            if !logs.is_empty() {
                op.extra.insert("logs".into(), json!(logs));
            }
            op.warnings.extend(notes);
        }
        self.ops.push(op);
    }

    fn fail(mut self, n: u32, mut error: ErrorBody, result: Value) -> Report {
        // As on the platform, the error's contextId is the run's correlation id.
        error.context_id = Some(self.correlation_id.clone());
        self.push_op(Operation {
            step: n,
            name: step_name(n).to_string(),
            success: false,
            result,
            error: Some(error.clone()),
            ..Operation::default()
        });
        let result = TestExecutionResult {
            operations: std::mem::take(&mut self.ops),
            success: false,
            final_result: None,
            error: Some(error),
            extra: Map::new(),
        };
        self.finish_report(result)
    }

    fn finish_report(self, mut result: TestExecutionResult) -> Report {
        let mut secrets = crate::redact::Secrets::new();
        for s in &self.secrets {
            secrets.add(s);
        }
        if !secrets.is_empty() {
            for op in &mut result.operations {
                scrub(&mut op.result, &secrets);
                if let Some(e) = &mut op.error {
                    e.message = scrub_str(&e.message, &secrets);
                }
                for w in &mut op.warnings {
                    *w = scrub_str(w, &secrets);
                }
                if let Some(logs) = op.extra.get_mut("logs") {
                    scrub(logs, &secrets);
                }
            }
            if let Some(e) = &mut result.error {
                e.message = scrub_str(&e.message, &secrets);
            }
            if let Some(f) = &mut result.final_result {
                scrub(f, &secrets);
            }
        }
        let exchange = self.exchange.map(|mut x| {
            x.url = scrub_str(&x.url, &secrets);
            x
        });
        Report { result, exchange, secrets: self.secrets }
    }
}

/// Why a step before the call stopped the run: the step, the error and the step's result.
struct Stop {
    step: u32,
    error: Box<ErrorBody>,
    result: Value,
}

impl Stop {
    fn new(step: u32, error: ErrorBody, result: Value) -> Self {
        Self { step, error: Box::new(error), result }
    }
}

/// Steps 1–7, and step 8's request: each step is a function below; the first that stops
/// ends the run with its error.
#[must_use]
pub fn prepare<'a>(
    action: &'a CompiledAction,
    input: &Value,
    credentials: &Credentials,
    env: &ExecEnv,
    opts: RunOptions,
) -> Prepared<'a> {
    let correlation_id = env.correlation_id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut run = Run {
        action,
        opts,
        ops: Vec::with_capacity(12),
        secrets: credentials.secrets(),
        correlation_id,
        exchange: None,
        upstream_output: (Vec::new(), Vec::new()),
    };
    match steps(&mut run, input, credentials, env) {
        Ok(request) => Prepared::Ready(Pending { request, run }),
        Err(stop) => Prepared::Done(run.fail(stop.step, *stop.error, stop.result)),
    }
}

/// Steps 1–7 in order, recording each success in `run`; the request of step 8.
fn steps(
    run: &mut Run<'_>,
    input: &Value,
    credentials: &Credentials,
    env: &ExecEnv,
) -> Result<HttpRequest, Stop> {
    let action = run.action;
    let body = input_body(input)?;
    if action.secure {
        for v in body.values() {
            run.secrets.push(scalar_text(v));
        }
    }
    let shown = shown_inputs(&body, action.secure);
    simple_json(&body, &shown)?;
    run.ok(step::SIMPLE_JSON, shown.clone());
    definition(action)?;
    run.ok(step::DEFINITION, Value::Null);
    let body = input_schema(action, body, &shown)?;
    run.ok(step::INPUT_SCHEMA, Value::Null);
    let (basic, auth_result) = authentication(action, credentials);
    run.ok(step::AUTH, auth_result);
    let ctx = request_context(&body, credentials, env);
    let url = url(action, &ctx)?;
    run.ok(step::URL, Value::String(url.clone()));
    let (headers, shown_headers) = headers(action, &ctx, &mut run.secrets)?;
    run.ok(step::HEADERS, shown_headers);
    let body_text = body_text(action, &ctx)?;
    run.ok(step::BODY, Value::String(body_text.clone()));
    let sends_body = matches!(action.method.as_str(), "POST" | "PUT" | "PATCH");
    let headers = request_headers(headers, basic, sends_body, &run.correlation_id, env);
    run.exchange = Some(Exchange {
        method: action.method.clone(),
        url: url.clone(),
        sent_body: sends_body,
        status: None,
        bytes: 0,
    });
    Ok(HttpRequest {
        method: action.method.clone(),
        url,
        headers,
        body: sends_body.then_some(body_text),
        timeout: action.timeout,
    })
}

/// The request body as key-value pairs, nulls dropped first (flows may send them; Genesys
/// removes them since March 2024).
fn input_body(input: &Value) -> Result<Map<String, Value>, Stop> {
    match input {
        Value::Object(m) => {
            Ok(m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        other => Err(Stop::new(
            step::SIMPLE_JSON,
            ErrorBody::processing(format!(
                "The request body must be a JSON object of key-value pairs, found {}",
                crate::model::json_kind(other)
            )),
            Value::Null,
        )),
    }
}

/// Step 1: simple JSON (no objects or arrays as values).
fn simple_json(body: &Map<String, Value>, shown: &Value) -> Result<(), Stop> {
    match body.iter().find(|(_, v)| v.is_object() || v.is_array()) {
        Some((k, v)) => Err(Stop::new(
            step::SIMPLE_JSON,
            ErrorBody::processing(format!(
                "The request body must contain simple JSON (key-value pairs); '{k}' is {}",
                crate::model::json_kind(v)
            )),
            shown.clone(),
        )),
        None => Ok(()),
    }
}

/// Step 2: the definition is complete.
fn definition(action: &CompiledAction) -> Result<(), Stop> {
    match action.definition_problem_coded() {
        Some((code, problem)) => Err(Stop::new(
            step::DEFINITION,
            ErrorBody::new(400, "bad.request", code, format!("The action definition is invalid: {problem}")),
            Value::Null,
        )),
        None => Ok(()),
    }
}

/// Step 3: the input schema.
fn input_schema(
    action: &CompiledAction,
    body: Map<String, Value>,
    shown: &Value,
) -> Result<Map<String, Value>, Stop> {
    let body_value = Value::Object(body);
    if let Some(Schema { json: schema, validator: Ok(v) }) = &action.input_schema
        && !v.is_valid(&body_value)
    {
        let errors: Vec<String> = v.iter_errors(&body_value).map(|e| everit_message(&e, schema)).collect();
        let e = ErrorBody::processing(format!(
            "The request body does not match the input schema: {}",
            errors.join("; ")
        ));
        return Err(Stop::new(step::INPUT_SCHEMA, e, shown.clone()));
    }
    match body_value {
        Value::Object(body) => Ok(body),
        // Impossible: `body_value` was built as an object at the top of this function and
        // only read since; an empty body stands in rather than a panic.
        _ => Ok(Map::new()),
    }
}

/// Step 4: authentication — the Basic header to add (unless the action sets its own
/// `Authorization`) and the step's shown result.
fn authentication(action: &CompiledAction, credentials: &Credentials) -> (Option<String>, Value) {
    let action_sets_auth = action.headers.iter().any(|(k, _, _)| k.eq_ignore_ascii_case("authorization"));
    let mut auth_result = Map::new();
    auth_result.insert("credentialType".into(), json!(credentials.type_name()));
    let basic = credentials.authorization().filter(|_| !action_sets_auth);
    match (&basic, credentials.authorization().is_some() && action_sets_auth) {
        (Some(_), _) => {
            auth_result.insert("authorization".into(), json!(format!("Basic {REDACTED}")));
        }
        (None, true) => {
            auth_result.insert(
                "note".into(),
                json!("the action sets its own Authorization header; the Basic header is not added"),
            );
        }
        _ => {}
    }
    let fields: Vec<&str> = credentials.field_names().collect();
    if !fields.is_empty() {
        auth_result.insert("fields".into(), json!(fields));
    }
    (basic, Value::Object(auth_result))
}

/// The templates' context: `$input` (with `rawRequest`, `orgId`, `integrationId`),
/// `$credentials`, `$authResponse` and the Genesys tools.
fn request_context(body: &Map<String, Value>, credentials: &Credentials, env: &ExecEnv) -> Context {
    let raw_request = Value::Object(body.clone()).to_string();
    let mut input_map = Map::new();
    input_map.insert("rawRequest".into(), Value::String(raw_request));
    input_map.insert("orgId".into(), Value::String(env.org_id.clone()));
    input_map.insert("integrationId".into(), Value::String(env.integration_id.clone()));
    for (k, v) in body {
        input_map.insert(k.clone(), v.clone());
    }
    let mut ctx = Context::new();
    ctx.insert("input", VValue::from(&Value::Object(input_map)));
    let creds: Map<String, Value> =
        credentials.template_fields().iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    ctx.insert("credentials", VValue::from(&Value::Object(creds)));
    ctx.insert("authResponse", VValue::from(&Value::Object(Map::new())));
    ctx.bind_tools(ToolSet::Genesys);
    ctx
}

/// Step 5: the URL, rendered and checked.
fn url(action: &CompiledAction, ctx: &Context) -> Result<String, Stop> {
    let transform = |e: &dyn std::fmt::Display| {
        Stop::new(step::URL, request_transform_error("requestUrlTemplate", &e.to_string()), Value::Null)
    };
    let url = match &action.url.1 {
        Ok(t) => t.render(ctx, &RenderOptions::default()).map_err(|e| transform(&e))?,
        Err(e) => return Err(transform(e)),
    };
    if let Err(why) = check_url(&url) {
        let e = ErrorBody::processing(format!(
            "The resolved request URL '{url}' is not a valid http(s) URL: {why}"
        ));
        return Err(Stop::new(step::URL, e, Value::String(url)));
    }
    Ok(url)
}

/// Step 6: the headers, rendered and checked; sensitive values (authorization, credentials,
/// auth responses) join `secrets` and show redacted.
fn headers(
    action: &CompiledAction,
    ctx: &Context,
    secrets: &mut Vec<String>,
) -> Result<(Vec<(String, String)>, Value), Stop> {
    let mut headers: Vec<(String, String)> = Vec::with_capacity(action.headers.len() + 6);
    let mut shown_headers = Map::new();
    for (name, text, t) in &action.headers {
        let rendered = match t {
            Ok(t) => t.render(ctx, &RenderOptions::default()),
            Err(e) => Err(e.clone()),
        };
        let value = match rendered {
            Ok(v) => v,
            Err(e) => {
                let err = request_transform_error(name, &e.to_string());
                return Err(Stop::new(step::HEADERS, err, Value::Object(shown_headers)));
            }
        };
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            let e = ErrorBody::processing(format!("'{name}' is not a valid HTTP header name"));
            return Err(Stop::new(step::HEADERS, e, Value::Object(shown_headers)));
        }
        if reqwest::header::HeaderValue::from_str(&value).is_err() {
            let e = ErrorBody::processing(format!(
                "Header '{name}' resolved to a value that is not a valid HTTP header value (control characters or line breaks)"
            ));
            return Err(Stop::new(step::HEADERS, e, Value::Object(shown_headers)));
        }
        let sensitive = name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("proxy-authorization")
            || text.contains("credentials")
            || text.contains("authResponse");
        if sensitive && !value.is_empty() {
            secrets.push(value.clone());
        }
        shown_headers.insert(
            name.clone(),
            Value::String(if sensitive { REDACTED.to_string() } else { value.clone() }),
        );
        headers.push((name.clone(), value));
    }
    Ok((headers, Value::Object(shown_headers)))
}

/// Step 7: the body.
fn body_text(action: &CompiledAction, ctx: &Context) -> Result<String, Stop> {
    let rendered = match &action.body.1 {
        Ok(t) => t.render(ctx, &RenderOptions::default()),
        Err(e) => Err(e.clone()),
    };
    rendered.map_err(|e| {
        Stop::new(step::BODY, request_transform_error("requestTemplate", &e.to_string()), Value::Null)
    })
}

/// Step 8's headers: the action's, plus what the platform adds (Basic auth, content type,
/// user agent, the ININ correlation and organization ids).
fn request_headers(
    mut headers: Vec<(String, String)>,
    basic: Option<String>,
    sends_body: bool,
    correlation_id: &str,
    env: &ExecEnv,
) -> Vec<(String, String)> {
    let has = |hs: &[(String, String)], n: &str| hs.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    // `Transfer-Encoding: buffered` is Genesys's switch for non-chunked bodies; gcsync always
    // sends a Content-Length, so the header is not forwarded (it is not valid HTTP).
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case("transfer-encoding"));
    if let Some(b) = basic {
        headers.push(("Authorization".into(), b));
    }
    if sends_body && !has(&headers, "content-type") {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    if !has(&headers, "useragent") && !has(&headers, "user-agent") {
        headers.push(("UserAgent".into(), "PureCloudIntegrations/1.0".into()));
    }
    headers.push(("ININ-Correlation-Id".into(), correlation_id.to_string()));
    headers.push(("ININ-Organization-Id".into(), env.org_id.clone()));
    headers.push(("ININ-Home-Organization-Id".into(), env.home_org_id.clone()));
    if let Some(u) = &env.user_id {
        headers.push(("ININ-User-Id".into(), u.clone()));
    }
    headers
}

impl Pending<'_> {
    /// Steps 8 (classification) to 12, given the transport's answer.
    #[must_use]
    pub fn finish(self, answer: Result<HttpResponse, TransportError>) -> Report {
        let Pending { mut run, .. } = self;
        let corr = run.correlation_id.clone();
        let resp = match answer {
            Ok(r) => r,
            Err(e) => {
                let err = match &e {
                    TransportError::Timeout(d) => ErrorBody::new(
                        TIMEOUT_STATUS,
                        "timeout",
                        codes::TIMEOUT,
                        format!(
                            "REST call for action execute failed. Message: The request to the web service timed out after {} seconds (timeoutSeconds) [{corr}]",
                            d.as_secs_f64()
                        ),
                    ),
                    TransportError::TooLarge(_) => ErrorBody::new(
                        400,
                        "bad.request",
                        codes::REMOTE_ENDPOINT,
                        format!(
                            "REST call for action execute failed. Message: Request to backend service failed. {e} [{corr}]"
                        ),
                    ),
                    _ => ErrorBody::new(
                        500,
                        "internal.server.error",
                        codes::REMOTE_ENDPOINT,
                        format!(
                            "REST call for action execute failed. Message: Request to backend service failed. {e} [{corr}]"
                        ),
                    ),
                };
                return run.fail(step::EXECUTE, err, Value::Null);
            }
        };
        if let Some(x) = &mut run.exchange {
            x.status = Some(resp.status);
            x.bytes = resp.body.len();
        }
        run.upstream_output = (resp.logs.clone(), resp.notes.clone());
        let raw = String::from_utf8_lossy(&resp.body).into_owned();
        if !(200..300).contains(&resp.status) {
            let shown = serde_json::from_str::<Value>(&raw).unwrap_or_else(|_| Value::String(quote(&raw)));
            // 4xx/5xx pass through (our choice, §9 Q8); an informational or redirect status
            // that reached us (redirects are followed) is a bad gateway answer.
            let status = if resp.status >= 400 { resp.status } else { 502 };
            let err = ErrorBody::new(
                status,
                status_code_name(status),
                codes::REMOTE_ENDPOINT,
                format!(
                    "REST call for action execute failed. Message: Request to backend service failed. Response from web service: {} (HTTP {}) [{corr}]",
                    quote(raw.trim()),
                    resp.status
                ),
            );
            return run.fail(step::EXECUTE, err, shown);
        }
        // An empty 2xx body (204 No Content) is taken as `{}` (Genesys's behaviour is
        // undocumented; this keeps `${rawResult}` templates valid for DELETE actions).
        let (doc, raw) = if raw.trim().is_empty() {
            (Value::Object(Map::new()), "{}".to_string())
        } else {
            match parse_json(&raw) {
                Ok(d) => (d, raw),
                Err(e) => {
                    let err = ErrorBody::new(
                        400,
                        "bad.request",
                        codes::REMOTE_ENDPOINT,
                        format!(
                            "REST call for action execute failed. Message: Request to backend service failed. To see error details, use test mode. The response body is not JSON ({e}): {} [{corr}]",
                            quote(raw.trim())
                        ),
                    );
                    return run.fail(step::EXECUTE, err, Value::String(quote(&raw)));
                }
            }
        };
        run.ok(step::EXECUTE, doc.clone());

        // Step 9: translation map.
        let mut values: Vec<(&str, String)> = Vec::with_capacity(run.action.translations.len());
        let mut shown = Map::new();
        let mut warnings = Vec::new();
        for t in &run.action.translations {
            let path = match &t.path {
                Ok(p) => p,
                Err(e) => {
                    let err = ErrorBody::processing(format!(
                        "Failed to resolve translation map: '{}' is not a valid JSONPath for key '{}': {}",
                        t.path_text,
                        t.key,
                        e.message()
                    ));
                    return run.fail(step::TRANSLATION, err, Value::Object(shown));
                }
            };
            match path.evaluate(&doc) {
                Ok(v) => {
                    values.push((&t.key, v.to_string()));
                    shown.insert(t.key.clone(), v);
                }
                Err(e) => match &t.default {
                    Some(d) => match serde_json::from_str::<Value>(d) {
                        Ok(v) => {
                            values.push((&t.key, d.clone()));
                            shown.insert(t.key.clone(), v);
                        }
                        Err(_) => {
                            warnings.push(format!(
                                "the default of '{}' is not JSON text; it was inserted as the string {}",
                                t.key,
                                Value::String(d.clone())
                            ));
                            values.push((&t.key, Value::String(d.clone()).to_string()));
                            shown.insert(t.key.clone(), Value::String(d.clone()));
                        }
                    },
                    None => {
                        let err = ErrorBody::processing(format!(
                            "Failed to resolve translation map: no value for key '{}' at path '{}' and no default in translationMapDefaults ({})",
                            t.key,
                            t.path_text,
                            e.message()
                        ));
                        return run.fail(step::TRANSLATION, err, Value::Object(shown));
                    }
                },
            }
        }
        run.ok(step::TRANSLATION, Value::Object(shown));
        if let Some(op) = run.ops.last_mut() {
            op.warnings = warnings;
        }

        // Step 10: success template (strict references).
        let mut ctx = Context::new();
        for (k, v) in values {
            ctx.insert(k, VValue::string(v));
        }
        ctx.insert("rawResult", VValue::string(raw));
        ctx.bind_tools(ToolSet::Genesys);
        let rendered = match &run.action.success.1 {
            Ok(t) => t.render(&ctx, &RenderOptions::strict()),
            Err(e) => Err(e.clone()),
        };
        let rendered = match rendered {
            Ok(r) => r,
            Err(e) => return run.fail(step::TRANSFORM, success_transform_error(&e.to_string()), Value::Null),
        };
        let output = match parse_json(&rendered) {
            Ok(v) => v,
            Err(e) => {
                let err = success_transform_error(&format!(
                    "the rendered template is not valid JSON ({e}): {}",
                    quote(&rendered)
                ));
                return run.fail(step::TRANSFORM, err, Value::String(quote(&rendered)));
            }
        };
        run.ok(step::TRANSFORM, output.clone());

        // Step 11: success schema.
        if let Some(Schema { json: schema, validator: Ok(v) }) = &run.action.output_schema
            && !v.is_valid(&output)
        {
            let errors: Vec<String> = v.iter_errors(&output).map(|e| everit_message(&e, schema)).collect();
            let err = ErrorBody::processing(format!(
                "The output does not match the success schema: {}",
                errors.join("; ")
            ));
            return run.fail(step::OUTPUT_SCHEMA, err, output);
        }
        run.ok(step::OUTPUT_SCHEMA, Value::Null);

        // Step 12: flatten.
        let final_result = if run.opts.flatten {
            let flat = flatten(&output, run.action.output_schema.as_ref().map(|s| &s.json));
            run.ok(step::FLATTEN, flat.clone());
            flat
        } else {
            output
        };
        let ops = std::mem::take(&mut run.ops);
        let result = TestExecutionResult {
            operations: ops,
            success: true,
            final_result: Some(final_result),
            error: None,
            extra: Map::new(),
        };
        run.finish_report(result)
    }
}

impl CompiledAction {
    /// Step 2's problem with its `details[].errorCode`.
    fn definition_problem_coded(&self) -> Option<(&'static str, String)> {
        self.definition_problem().map(|p| {
            let code = if p.contains("schema") { codes::INVALID_SCHEMA } else { codes::PROCESSING };
            (code, p)
        })
    }
}

/// Parses JSON the way Genesys's Java stack (Jackson defaults) does: the first complete
/// value counts and trailing content is ignored (`{"a": 1}}` is `{"a": 1}`; several
/// published Genesys examples rely on it). Empty or whitespace-only text is an error.
pub fn parse_json(text: &str) -> Result<Value, serde_json::Error> {
    use serde::Deserialize as _;
    let mut de = serde_json::Deserializer::from_str(text);
    Value::deserialize(&mut de)
}

fn request_transform_error(template: &str, message: &str) -> ErrorBody {
    ErrorBody::processing(format!(
        "Transform failed to process request using '{template}' template due to error:'{message}'"
    ))
}

/// Step 10's error, worded as Genesys's (reference §2.8).
fn success_transform_error(message: &str) -> ErrorBody {
    ErrorBody::processing(format!(
        "Transform failed to process result using 'successTemplate' template due to error:'{message}'"
    ))
}

fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("the scheme is '{}'", parsed.scheme()));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    Ok(())
}

/// The Genesys `code` for an upstream status (the one table, [`crate::status_codes`]).
fn status_code_name(status: u16) -> &'static str {
    crate::status_codes::genesys_code(status)
}

/// everit-style JSON Schema messages (`#: required key [x] not found`,
/// `#/x: expected type: String, found: Integer`), the wording Genesys's Java stack uses.
fn everit_message(e: &jsonschema::ValidationError<'_>, schema: &Value) -> String {
    let path = e.instance_path().to_string();
    let at = format!("#{path}");
    match e.kind() {
        jsonschema::error::ValidationErrorKind::Required { property } => {
            let name = property.as_str().map_or_else(|| property.to_string(), str::to_string);
            format!("{at}: required key [{name}] not found")
        }
        jsonschema::error::ValidationErrorKind::Type { .. } => {
            let pointer_schema = path.split('/').filter(|s| !s.is_empty()).try_fold(schema, |s, seg| {
                s.get("properties").and_then(|p| p.get(seg)).or_else(|| s.get("items"))
            });
            let expected = pointer_schema
                .and_then(|s| s.get("type"))
                .map(|t| match t {
                    Value::String(s) => java_type_name(s).to_string(),
                    other => other.to_string(),
                })
                .unwrap_or_else(|| "?".into());
            let found = match e.instance().as_ref() {
                Value::Null => "Null",
                Value::Bool(_) => "Boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
                Value::Number(_) => "Number",
                Value::String(_) => "String",
                Value::Array(_) => "JSONArray",
                Value::Object(_) => "JSONObject",
            };
            format!("{at}: expected type: {expected}, found: {found}")
        }
        _ => format!("{at}: {e}"),
    }
}

fn java_type_name(t: &str) -> &str {
    match t {
        "string" => "String",
        "integer" => "Integer",
        "number" => "Number",
        "boolean" => "Boolean",
        "object" => "JSONObject",
        "array" => "JSONArray",
        "null" => "Null",
        other => other,
    }
}

/// At most [`QUOTE_LIMIT`] characters of `s`, marked when cut.
fn quote(s: &str) -> String {
    if s.chars().count() <= QUOTE_LIMIT {
        return s.to_string();
    }
    let cut: String = s.chars().take(QUOTE_LIMIT).collect();
    format!("{cut}… (truncated)")
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The inputs as step 1/3 show them (values redacted for secure actions).
fn shown_inputs(body: &Map<String, Value>, secure: bool) -> Value {
    if !secure {
        return Value::Object(body.clone());
    }
    Value::Object(body.keys().map(|k| (k.clone(), Value::String(REDACTED.into()))).collect())
}

/// Redacts `v` by the one rule (`crate::redact`) over the run's secret values.
fn scrub(v: &mut Value, secrets: &crate::redact::Secrets) {
    secrets.redact_value(v);
}

/// [`scrub`] for a string.
fn scrub_str(s: &str, secrets: &crate::redact::Secrets) -> String {
    secrets.redact(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::StubTransport;
    use crate::model::{ActionConfig, ActionSpec, Contract};
    use std::time::Duration;

    fn spec(overrides: impl FnOnce(&mut Value)) -> ActionSpec {
        let mut v = json!({
            "config": {
                "timeoutSeconds": 10,
                "request": {"requestUrlTemplate": "${input.base}/users/$esc.url(${input.userId})", "requestType": "GET",
                            "headers": {"Accept": "application/json"}, "requestTemplate": "${input.rawRequest}"},
                "response": {"translationMap": {"fullName": "$.name", "companyName": "$.company.name"},
                             "translationMapDefaults": {"companyName": "\"\""},
                             "successTemplate": "{\"fullName\": ${fullName}, \"companyName\": ${companyName}}"}
            },
            "contract": {
                "input": {"inputSchema": {"type": "object", "required": ["userId"], "properties": {
                    "userId": {"type": "string"}, "base": {"type": "string", "default": "https://api.example.com"}}}},
                "output": {"successSchema": {"type": "object", "properties": {
                    "fullName": {"type": "string"}, "companyName": {"type": "string"}}}}
            }
        });
        overrides(&mut v);
        ActionSpec {
            name: "T".into(),
            category: "C".into(),
            integration: "I".into(),
            secure: v.get("secure").and_then(Value::as_bool).unwrap_or(false),
            config: serde_json::from_value::<ActionConfig>(v["config"].clone()).unwrap(),
            contract: serde_json::from_value::<Contract>(v["contract"].clone()).unwrap(),
        }
    }

    fn go(action: &CompiledAction, input: Value, stub: &StubTransport, creds: &Credentials) -> Report {
        let env = ExecEnv { correlation_id: Some("corr-1".into()), ..ExecEnv::default() };
        match prepare(action, &input, creds, &env, RunOptions::default()) {
            Prepared::Done(r) => r,
            Prepared::Ready(p) => {
                let answer = stub.respond(&p.request);
                p.finish(answer)
            }
        }
    }

    fn steps(r: &Report) -> Vec<(u32, bool)> {
        r.result.operations.iter().map(|o| (o.step, o.success)).collect()
    }

    #[test]
    fn success_runs_eleven_steps_in_order() {
        let a = CompiledAction::new(&spec(|_| {}));
        let stub = StubTransport::json(200, &json!({"name": "Ada", "company": {"name": "Acme"}}));
        let r =
            go(&a, json!({"userId": "a b", "base": "https://api.example.com"}), &stub, &Credentials::none());
        assert!(r.result.success, "{:?}", r.result.error);
        assert_eq!(steps(&r), (1..=11).map(|n| (n, true)).collect::<Vec<_>>());
        for op in &r.result.operations {
            assert_eq!(op.name, step_name(op.step));
        }
        assert_eq!(r.result.final_result, Some(json!({"fullName": "Ada", "companyName": "Acme"})));
        assert_eq!(r.exchange.as_ref().unwrap().url, "https://api.example.com/users/a+b");
    }

    #[test]
    fn platform_headers_and_basic_auth() {
        let a = CompiledAction::new(&spec(|_| {}));
        let env = ExecEnv { correlation_id: Some("corr-1".into()), ..ExecEnv::default() };
        let Prepared::Ready(p) = prepare(
            &a,
            &json!({"userId": "1", "base": "https://h"}),
            &Credentials::basic("u", "p4ss"),
            &env,
            RunOptions::default(),
        ) else {
            panic!("should be ready")
        };
        let names: Vec<&str> = p.request.headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "Accept",
                "Authorization",
                "UserAgent",
                "ININ-Correlation-Id",
                "ININ-Organization-Id",
                "ININ-Home-Organization-Id"
            ]
        );
        assert_eq!(p.request.headers[1].1, "Basic dTpwNHNz");
        assert_eq!(p.request.body, None, "GET sends no body");
        let r = p.finish(Ok(HttpResponse {
            status: 200,
            headers: vec![],
            body: br#"{"name":"x"}"#.to_vec(),
            ..HttpResponse::default()
        }));
        let auth = &r.result.operations[3].result;
        assert_eq!(auth["authorization"], json!("Basic [redacted]"));
        assert!(!serde_json::to_string(&r.result).unwrap().contains("dTpwNHNz"));
    }

    #[test]
    fn nulls_are_dropped_before_validation() {
        let a = CompiledAction::new(&spec(|_| {}));
        let stub = StubTransport::json(200, &json!({"name": "Ada"}));
        let r =
            go(&a, json!({"userId": "1", "base": "https://h", "extra": null}), &stub, &Credentials::none());
        assert!(r.result.success);
        assert_eq!(r.result.operations[0].result, json!({"userId": "1", "base": "https://h"}));
        // A required input sent as null is missing after dropping.
        let r = go(&a, json!({"userId": null, "base": "https://h"}), &stub, &Credentials::none());
        assert_eq!(steps(&r).last(), Some(&(3, false)));
        assert!(r.result.error.unwrap().message.contains("#: required key [userId] not found"));
    }

    #[test]
    fn simple_json_rejects_nesting_and_non_objects() {
        let a = CompiledAction::new(&spec(|_| {}));
        let stub = StubTransport::json(200, &json!({}));
        let r = go(&a, json!({"userId": {"a": 1}}), &stub, &Credentials::none());
        assert_eq!(steps(&r), vec![(1, false)]);
        let r = go(&a, json!([1]), &stub, &Credentials::none());
        assert_eq!(steps(&r), vec![(1, false)]);
        assert_eq!(r.result.error.unwrap().status, 400);
    }

    #[test]
    fn input_type_errors_are_everit_style() {
        let a = CompiledAction::new(&spec(|_| {}));
        let r = go(&a, json!({"userId": 5}), &StubTransport::json(200, &json!({})), &Credentials::none());
        assert!(r.result.error.unwrap().message.ends_with("#/userId: expected type: String, found: Integer"));
    }

    #[test]
    fn default_versus_null() {
        let a = CompiledAction::new(&spec(|_| {}));
        // Missing company: the default `""` is used.
        let r = go(
            &a,
            json!({"userId": "1", "base": "https://h"}),
            &StubTransport::json(200, &json!({"name": "A"})),
            &Credentials::none(),
        );
        assert_eq!(r.result.final_result, Some(json!({"fullName": "A", "companyName": ""})));
        // Company name null: null is kept, not replaced by the default.
        let r = go(
            &a,
            json!({"userId": "1", "base": "https://h"}),
            &StubTransport::json(200, &json!({"name": "A", "company": {"name": null}})),
            &Credentials::none(),
        );
        assert_eq!(r.result.final_result, Some(json!({"fullName": "A", "companyName": null})));
        // No default and no value: step 9 fails naming key and path.
        let r = go(
            &a,
            json!({"userId": "1", "base": "https://h"}),
            &StubTransport::json(200, &json!({})),
            &Credentials::none(),
        );
        assert_eq!(steps(&r).last(), Some(&(9, false)));
        let e = r.result.error.unwrap();
        assert!(e.message.contains("'fullName' at path '$.name'"), "{}", e.message);
        assert_eq!(e.error_code(), Some("ACTION.PROCESSING"));
    }

    #[test]
    fn non_json_default_is_a_string_with_a_warning() {
        let a = CompiledAction::new(&spec(|v| {
            v["config"]["response"]["translationMapDefaults"]["companyName"] = json!("UNKNOWN");
        }));
        let r = go(
            &a,
            json!({"userId": "1", "base": "https://h"}),
            &StubTransport::json(200, &json!({"name": "A"})),
            &Credentials::none(),
        );
        assert_eq!(r.result.final_result, Some(json!({"fullName": "A", "companyName": "UNKNOWN"})));
        assert_eq!(r.result.operations[8].warnings.len(), 1);
    }

    #[test]
    fn strict_success_template_error() {
        let a = CompiledAction::new(&spec(|v| {
            v["config"]["response"]["successTemplate"] = json!("{\"PresenceArray\" : $Presences}");
        }));
        let r = go(
            &a,
            json!({"userId": "1", "base": "https://h"}),
            &StubTransport::json(200, &json!({"name": "A"})),
            &Credentials::none(),
        );
        let e = r.result.error.clone().unwrap();
        assert_eq!(
            e.message,
            "Transform failed to process result using 'successTemplate' template due to error:'Variable $Presences has not been set at successTemplate[line 1, column 20]'"
        );
        assert_eq!(
            (e.status, e.code.as_str(), e.error_code()),
            (400, "bad.request", Some("ACTION.PROCESSING"))
        );
        assert_eq!(steps(&r).last(), Some(&(10, false)));
    }

    #[test]
    fn response_classes() {
        let a = CompiledAction::new(&spec(|_| {}));
        let input = json!({"userId": "1", "base": "https://h"});
        let r = go(
            &a,
            input.clone(),
            &StubTransport::json(404, &json!({"message": "no such user"})),
            &Credentials::none(),
        );
        let e = r.result.error.unwrap();
        assert_eq!((e.status, e.error_code()), (404, Some("ACTION.REMOTE_ENDPOINT")));
        assert!(e.message.contains(r#"{"message":"no such user"} (HTTP 404) [corr-1]"#), "{}", e.message);
        let mut html = StubTransport::json(200, &json!({}));
        html.response.body = b"<html>oops</html>".to_vec();
        let e = go(&a, input.clone(), &html, &Credentials::none()).result.error.unwrap();
        assert_eq!(
            (e.status, e.code.as_str(), e.error_code()),
            (400, "bad.request", Some("ACTION.REMOTE_ENDPOINT"))
        );
        assert!(e.message.starts_with("REST call for action execute failed. Message: Request to backend service failed. To see error details, use test mode."));
        let mut slow = StubTransport::json(200, &json!({}));
        slow.delay = Duration::from_secs(11);
        let r = go(&a, input.clone(), &slow, &Credentials::none());
        assert!(matches!(r.result.outcome(), crate::exec::Outcome::Timeout(_)));
        assert_eq!(r.result.error.unwrap().status, 504);
        let mut empty = StubTransport::json(204, &json!({}));
        empty.response.body.clear();
        let r = go(&a, input, &empty, &Credentials::none());
        assert_eq!(
            steps(&r).last(),
            Some(&(9, false)),
            "an empty body is {{}}: the translation map then finds nothing"
        );
    }

    #[test]
    fn output_schema_and_flatten() {
        let a = CompiledAction::new(&spec(|v| {
            v["config"]["response"]["successTemplate"] =
                json!("{\"fullName\": 5, \"companyName\": ${companyName}}");
        }));
        let r = go(
            &a,
            json!({"userId": "1", "base": "https://h"}),
            &StubTransport::json(200, &json!({"name": "A"})),
            &Credentials::none(),
        );
        assert_eq!(steps(&r).last(), Some(&(11, false)));
        assert!(
            r.result.error.unwrap().message.contains("#/fullName: expected type: String, found: Integer")
        );
        let a = CompiledAction::new(&spec(|v| {
            v["config"]["response"]["successTemplate"] =
                json!("{\"fullName\": ${fullName}, \"company\": {\"name\": ${companyName}}}");
        }));
        let env = ExecEnv::default();
        let Prepared::Ready(p) = prepare(
            &a,
            &json!({"userId": "1", "base": "https://h"}),
            &Credentials::none(),
            &env,
            RunOptions { flatten: true },
        ) else {
            panic!()
        };
        let ans = StubTransport::json(200, &json!({"name": "A"})).respond(&p.request);
        let r = p.finish(ans);
        assert_eq!(r.result.operations.last().map(|o| o.step), Some(12));
        assert_eq!(r.result.final_result, Some(json!({"fullName": "A", "company.name": ""})));
    }

    #[test]
    fn secure_inputs_and_credentials_are_redacted_everywhere() {
        let a = CompiledAction::new(&spec(|v| {
            v["secure"] = json!(true);
            v["config"]["request"]["headers"]["X-Key"] = json!("${credentials.apiKey}");
        }));
        let mut fields = std::collections::BTreeMap::new();
        fields.insert("apiKey".to_string(), "key-XYZ-123".to_string());
        let creds = Credentials::user_defined(fields);
        let stub = StubTransport::json(404, &json!({"message": "card 4111 1111 and key-XYZ-123"}));
        let r = go(&a, json!({"userId": "4111 1111", "base": "https://h"}), &stub, &creds);
        let text = serde_json::to_string(&r.result).unwrap();
        for secret in ["4111 1111", "4111+1111", "key-XYZ-123"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(!r.exchange.unwrap().url.contains("4111"));
        assert_eq!(r.result.operations[0].result["userId"], json!("[redacted]"));
        assert_eq!(r.result.operations[5].result["X-Key"], json!("[redacted]"));
    }

    #[test]
    fn request_template_problems_fail_their_step() {
        let a = CompiledAction::new(&spec(|v| {
            v["config"]["request"]["requestUrlTemplate"] = json!("#if(");
        }));
        let r = go(&a, json!({"userId": "1"}), &StubTransport::json(200, &json!({})), &Credentials::none());
        assert_eq!(steps(&r).last(), Some(&(5, false)));
        let a = CompiledAction::new(&spec(|v| {
            v["config"]["request"]["requestUrlTemplate"] = json!("${input.nope}/x");
        }));
        let r = go(&a, json!({"userId": "1"}), &StubTransport::json(200, &json!({})), &Credentials::none());
        let e = r.result.error.unwrap();
        assert!(e.message.contains("'${input.nope}/x' is not a valid http(s) URL"), "{}", e.message);
    }

    #[test]
    fn trailing_content_after_json_is_ignored_like_jackson() {
        assert_eq!(parse_json("{\"a\": 1}}").unwrap(), json!({"a": 1}));
        assert_eq!(parse_json(" [1] x").unwrap(), json!([1]));
        assert!(parse_json("").is_err());
        assert!(parse_json("{rawResult}").is_err());
        let a = CompiledAction::new(&spec(|v| {
            v["config"]["response"]["successTemplate"] =
                json!("{\"fullName\": ${fullName}, \"companyName\": ${companyName}}}");
        }));
        let r = go(
            &a,
            json!({"userId": "1", "base": "https://h"}),
            &StubTransport::json(200, &json!({"name": "A"})),
            &Credentials::none(),
        );
        assert_eq!(r.result.final_result, Some(json!({"fullName": "A", "companyName": ""})));
    }

    #[test]
    fn post_sends_the_body_with_a_json_content_type() {
        let a = CompiledAction::new(&spec(|v| {
            v["config"]["request"]["requestType"] = json!("POST");
            v["config"]["request"]["requestTemplate"] =
                json!("{\"id\": \"$esc.jsonString(${input.userId})\", \"org\": \"${input.orgId}\"}");
        }));
        let env = ExecEnv { org_id: "org-9".into(), ..ExecEnv::default() };
        let Prepared::Ready(p) = prepare(
            &a,
            &json!({"userId": "a\"b", "base": "https://h"}),
            &Credentials::none(),
            &env,
            RunOptions::default(),
        ) else {
            panic!()
        };
        assert_eq!(p.request.body.as_deref(), Some(r#"{"id": "a\"b", "org": "org-9"}"#));
        assert!(p.request.headers.iter().any(|(k, v)| k == "Content-Type" && v == "application/json"));
    }
}
