//! The runtime pipeline against a real HTTP upstream: a tiny axum server on 127.0.0.1:0
//! started by each test. Covers every response class of reference §2.6 (non-2xx, non-JSON,
//! timeout, refused and dropped connections, TLS failure), the step names and order, the
//! headers the platform adds, inputs (null dropping, defaults), the translation map's
//! defaults versus null, the strict success-template error with line/column, and flattening.
//! No test sleeps to synchronise: the "slow" upstream never answers, so the timeout is
//! certain, and the action's timeout (1 s) is the only wait.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, clippy::print_stdout)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use gcsync::exec::result::{STEP_NAMES, codes};
use gcsync::exec::{CompiledAction, Credentials, ExecEnv, HttpTransport, Outcome, Report, RunOptions};
use gcsync::model::{ActionConfig, ActionSpec, Contract};
use serde_json::{Value, json};

/// The upstream: `/users/{id}` (1 → profile, 2 → no company, 3 → company null, else 404),
/// `/html` (200 text/html), `/empty` (204), `/hang` (never answers), `/fail` (500 text),
/// `POST /echo` (the request's headers and body as JSON).
async fn upstream() -> String {
    async fn user(Path(id): Path<String>) -> axum::response::Response {
        let body = match id.as_str() {
            "1" => {
                json!({"name": "Ada Quill", "email": "ada@x.example", "company": {"name": "Acme"}, "tags": ["a", "b"],
                          "roles": [{"id": "r1", "scope": {"org": "o1"}}, {"id": "r2"}]})
            }
            "2" => json!({"name": "Bruno", "email": "b@x.example"}),
            "3" => json!({"name": "Chiara", "email": "c@x.example", "company": {"name": null}}),
            _ => {
                return (
                    StatusCode::NOT_FOUND,
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"message":"no such user"}"#,
                )
                    .into_response();
            }
        };
        ([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
    }
    async fn echo(headers: HeaderMap, body: Bytes) -> axum::response::Response {
        let h: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), Value::String(v.to_str().unwrap_or("").to_string())))
            .collect();
        (
            [(header::CONTENT_TYPE, "application/json")],
            json!({"headers": h, "body": String::from_utf8_lossy(&body)}).to_string(),
        )
            .into_response()
    }
    let app = Router::new()
        .route("/users/{id}", get(user))
        .route("/html", get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<html>busy</html>") }))
        .route("/empty", get(|| async { StatusCode::NO_CONTENT }))
        .route("/fail", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "upstream exploded") }))
        .route("/hang", get(|| async { std::future::pending::<&str>().await }))
        .route("/echo", post(echo));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// A FetchUserProfile-like action; `edit` adjusts the Genesys JSON.
fn action(edit: impl FnOnce(&mut Value)) -> CompiledAction {
    let mut v = json!({
        "name": "Profile", "secure": false,
        "config": {
            "timeoutSeconds": 1,
            "request": {"requestUrlTemplate": "${input.base}/users/$esc.url(${input.userId})", "requestType": "GET",
                        "headers": {"Accept": "application/json"}, "requestTemplate": "${input.rawRequest}"},
            "response": {"translationMap": {"fullName": "$.name", "email": "$.email", "companyName": "$.company.name"},
                         "translationMapDefaults": {"companyName": "\"\""},
                         "successTemplate": "{\"fullName\": ${fullName}, \"email\": ${email}, \"companyName\": ${companyName}}"}
        },
        "contract": {
            "input": {"inputSchema": {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": ["userId", "base"],
                "properties": {"userId": {"type": "string"}, "base": {"type": "string"}, "note": {"type": "string"}}}},
            "output": {"successSchema": {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                "properties": {"fullName": {"type": "string"}, "email": {"type": "string"}, "companyName": {"type": "string"}}}}
        }
    });
    edit(&mut v);
    CompiledAction::new(&ActionSpec {
        name: v["name"].as_str().unwrap().into(),
        category: "Tests".into(),
        integration: "I".into(),
        secure: v["secure"].as_bool().unwrap(),
        config: serde_json::from_value::<ActionConfig>(v["config"].clone()).unwrap(),
        contract: serde_json::from_value::<Contract>(v["contract"].clone()).unwrap(),
    })
}

async fn run_with(a: &CompiledAction, input: Value, creds: &Credentials, flatten: bool) -> Report {
    let t = HttpTransport::new().unwrap();
    gcsync::exec::run(a, &input, creds, &ExecEnv::default(), RunOptions { flatten }, &t).await
}

async fn run(a: &CompiledAction, input: Value) -> Report {
    run_with(a, input, &Credentials::none(), false).await
}

fn last_step(r: &Report) -> (u32, bool) {
    let op = r.result.operations.last().unwrap();
    (op.step, op.success)
}

fn error_of(r: &Report) -> (u16, String, String) {
    let e = r.result.error.as_ref().expect("an error");
    (e.status, e.code.clone(), e.error_code().unwrap_or("").to_string())
}

#[tokio::test]
async fn success_has_the_genesys_steps_in_order() {
    let base = upstream().await;
    let r = run(&action(|_| {}), json!({"userId": "1", "base": base})).await;
    assert!(r.result.success, "{:?}", r.result.error);
    let names: Vec<&str> = r.result.operations.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, STEP_NAMES[..11].to_vec());
    let steps: Vec<u32> = r.result.operations.iter().map(|o| o.step).collect();
    assert_eq!(steps, (1..=11).collect::<Vec<_>>());
    assert_eq!(
        r.result.final_result,
        Some(json!({"fullName": "Ada Quill", "email": "ada@x.example", "companyName": "Acme"}))
    );
    assert_eq!(r.exchange.as_ref().unwrap().status, Some(200));
    // The wire shape is Genesys's TestExecutionResult.
    let v = serde_json::to_value(&r.result).unwrap();
    assert_eq!(v["operations"][4]["name"], json!("Resolve request URL template"));
    assert_eq!(v["operations"][4]["result"], json!(format!("{base}/users/1")));
    assert!(v["finalResult"].is_object() && v.get("error").is_none());
}

#[tokio::test]
async fn non_2xx_is_remote_endpoint_with_the_upstream_status_and_body() {
    let base = upstream().await;
    let r = run(&action(|_| {}), json!({"userId": "404", "base": base})).await;
    assert_eq!(last_step(&r), (8, false));
    assert_eq!(error_of(&r), (404, "not.found".into(), codes::REMOTE_ENDPOINT.into()));
    let msg = &r.result.error.as_ref().unwrap().message;
    assert!(msg.contains(r#"Response from web service: {"message":"no such user"} (HTTP 404)"#), "{msg}");
    let a = action(|v| v["config"]["request"]["requestUrlTemplate"] = json!("${input.base}/fail"));
    let r = run(&a, json!({"userId": "1", "base": base})).await;
    assert_eq!(error_of(&r), (500, "internal.server.error".into(), codes::REMOTE_ENDPOINT.into()));
    assert!(r.result.error.unwrap().message.contains("upstream exploded"));
}

#[tokio::test]
async fn non_json_is_400_remote_endpoint() {
    let base = upstream().await;
    let a = action(|v| v["config"]["request"]["requestUrlTemplate"] = json!("${input.base}/html"));
    let r = run(&a, json!({"userId": "1", "base": base})).await;
    assert_eq!(last_step(&r), (8, false));
    assert_eq!(error_of(&r), (400, "bad.request".into(), codes::REMOTE_ENDPOINT.into()));
    assert!(r.result.error.unwrap().message.starts_with(
        "REST call for action execute failed. Message: Request to backend service failed. To see error details, use test mode."
    ));
}

#[tokio::test]
async fn empty_2xx_body_is_an_empty_object() {
    let base = upstream().await;
    let a = action(|v| {
        v["config"]["request"]["requestUrlTemplate"] = json!("${input.base}/empty");
        v["config"]["response"] = json!({"successTemplate": "${rawResult}"});
    });
    let r = run(&a, json!({"userId": "1", "base": base})).await;
    assert!(r.result.success, "{:?}", r.result.error);
    assert_eq!(r.result.final_result, Some(json!({})));
}

#[tokio::test]
async fn a_silent_upstream_times_out() {
    let base = upstream().await;
    let a = action(|v| v["config"]["request"]["requestUrlTemplate"] = json!("${input.base}/hang"));
    let r = run(&a, json!({"userId": "1", "base": base})).await;
    assert_eq!(last_step(&r), (8, false));
    assert!(matches!(r.result.outcome(), Outcome::Timeout(_)));
    assert_eq!(error_of(&r), (504, "timeout".into(), codes::TIMEOUT.into()));
    assert!(r.result.error.unwrap().message.contains("timed out after 1 seconds"));
}

#[tokio::test]
async fn refused_and_dropped_connections_are_500_remote_endpoint() {
    // Refused: a port that was bound and released.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let r = run(&action(|_| {}), json!({"userId": "1", "base": format!("http://127.0.0.1:{port}")})).await;
    assert_eq!(error_of(&r), (500, "internal.server.error".into(), codes::REMOTE_ENDPOINT.into()));
    assert!(r.result.error.unwrap().message.contains(&format!("Connection refused by 127.0.0.1:{port}")));
    // Dropped: the server accepts and closes without answering.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { return };
            drop(s);
        }
    });
    let r = run(&action(|_| {}), json!({"userId": "1", "base": format!("http://{addr}")})).await;
    assert_eq!(error_of(&r), (500, "internal.server.error".into(), codes::REMOTE_ENDPOINT.into()));
    assert_eq!(last_step(&r), (8, false));
}

#[tokio::test]
async fn tls_failures_are_500_remote_endpoint() {
    // https:// to a plain-HTTP port: the TLS handshake cannot succeed.
    let base = upstream().await.replace("http://", "https://");
    let r = run(&action(|_| {}), json!({"userId": "1", "base": base})).await;
    assert_eq!(error_of(&r), (500, "internal.server.error".into(), codes::REMOTE_ENDPOINT.into()));
    let msg = r.result.error.unwrap().message;
    assert!(msg.contains("TLS error"), "{msg}");
}

#[tokio::test]
async fn platform_headers_credentials_and_bodies() {
    let base = upstream().await;
    let a = action(|v| {
        v["config"]["request"]["requestUrlTemplate"] = json!("${input.base}/echo");
        v["config"]["request"]["requestType"] = json!("POST");
        v["config"]["request"]["requestTemplate"] =
            json!("{\"note\": \"$esc.jsonString(${input.note})\", \"org\": \"${input.orgId}\"}");
        v["config"]["response"] = json!({"translationMap": {"h": "$.headers", "body": "$.body"}, "successTemplate": "{\"h\": ${h}, \"body\": ${body}}"});
        v["contract"]["output"]["successSchema"] = json!({"type": "object"});
    });
    let env = ExecEnv {
        org_id: "org-1".into(),
        home_org_id: "home-1".into(),
        user_id: Some("user-1".into()),
        correlation_id: Some("corr-1".into()),
        ..ExecEnv::default()
    };
    let t = HttpTransport::new().unwrap();
    let r = gcsync::exec::run(
        &a,
        &json!({"userId": "1", "base": base, "note": "say \"hi\""}),
        &Credentials::basic("ada", "pw-123456"),
        &env,
        RunOptions::default(),
        &t,
    )
    .await;
    assert!(r.result.success, "{:?}", r.result.error);
    let out = r.result.final_result.unwrap();
    let h = &out["h"];
    assert_eq!(h["inin-correlation-id"], json!("corr-1"));
    assert_eq!(h["inin-organization-id"], json!("org-1"));
    assert_eq!(h["inin-home-organization-id"], json!("home-1"));
    assert_eq!(h["inin-user-id"], json!("user-1"));
    assert_eq!(h["useragent"], json!("PureCloudIntegrations/1.0"));
    assert_eq!(h["content-type"], json!("application/json"));
    // The Basic header reached the upstream, but the trace shows it redacted.
    assert_eq!(h["authorization"], json!("Basic [redacted]"));
    assert_eq!(out["body"], json!(r#"{"note": "say \"hi\"", "org": "org-1"}"#));
    // GET sends no body.
    let g = action(|v| {
        v["config"]["request"]["requestUrlTemplate"] = json!("${input.base}/users/1");
        v["config"]["request"]["requestTemplate"] = json!("should not be sent");
    });
    let r = run(&g, json!({"userId": "1", "base": base})).await;
    assert!(!r.exchange.unwrap().sent_body);
}

#[tokio::test]
async fn null_inputs_are_dropped_and_defaults_are_for_gcsync_test_only() {
    let base = upstream().await;
    let a = action(|v| {
        v["contract"]["input"]["inputSchema"]["properties"]["base"]["default"] =
            json!("https://never.example")
    });
    // A null input is dropped before step 1; the required-key check then fails at step 3.
    let r = run(&a, json!({"userId": null, "base": base})).await;
    assert_eq!(last_step(&r), (3, false));
    assert!(r.result.error.unwrap().message.contains("required key [userId] not found"));
    // The pipeline itself never applies defaults (flows do not get them) ...
    let r = run(&a, json!({"userId": "1"})).await;
    assert_eq!(last_step(&r), (3, false));
    // ... `gcsync test` does, before the pipeline runs.
    let mut given = serde_json::Map::new();
    given.insert("userId".into(), json!("1"));
    assert_eq!(
        gcsync::exec::with_defaults(&a, &given),
        json!({"userId": "1", "base": "https://never.example"})
    );
}

#[tokio::test]
async fn translation_defaults_versus_null() {
    let base = upstream().await;
    let a = action(|_| {});
    // No company: the default "" is used.
    let r = run(&a, json!({"userId": "2", "base": base})).await;
    assert_eq!(r.result.final_result.unwrap()["companyName"], json!(""));
    // company.name is null: null is kept (Architect: NOT_SET), and the schema accepts it.
    let r = run(&a, json!({"userId": "3", "base": base})).await;
    assert!(r.result.success, "{:?}", r.result.error);
    assert_eq!(r.result.final_result.unwrap()["companyName"], Value::Null);
}

#[tokio::test]
async fn strict_success_template_error_has_line_and_column() {
    let base = upstream().await;
    let a = action(|v| {
        v["config"]["response"]["successTemplate"] =
            json!("{\n  \"fullName\": ${fullName},\n  \"x\": ${fulName}\n}")
    });
    let r = run(&a, json!({"userId": "1", "base": base})).await;
    assert_eq!(last_step(&r), (10, false));
    assert_eq!(error_of(&r), (400, "bad.request".into(), codes::PROCESSING.into()));
    assert_eq!(
        r.result.error.unwrap().message,
        "Transform failed to process result using 'successTemplate' template due to error:'Variable $fulName has not been set at successTemplate[line 3, column 8]'"
    );
}

#[tokio::test]
async fn flatten_joins_keys_and_makes_parallel_arrays() {
    let base = upstream().await;
    let a = action(|v| {
        v["config"]["response"] = json!({"translationMap": {"fullName": "$.name", "company": "$.company", "tags": "$.tags", "roles": "$.roles"},
            "successTemplate": "{\"fullName\": ${fullName}, \"company\": ${company}, \"tags\": ${tags}, \"roles\": ${roles}}"});
        v["contract"]["output"]["successSchema"] = json!({"type": "object", "properties": {"fullName": {"type": "string"},
            "company": {"type": "object", "properties": {"name": {"type": "string"}}}, "tags": {"type": "array", "items": {"type": "string"}},
            "roles": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "scope": {"type": "object", "properties": {"org": {"type": "string"}}}}}}}});
    });
    let r = run_with(&a, json!({"userId": "1", "base": base}), &Credentials::none(), true).await;
    assert!(r.result.success, "{:?}", r.result.error);
    assert_eq!(r.result.operations.last().unwrap().name, "Flatten output");
    assert_eq!(
        r.result.final_result,
        Some(
            json!({"fullName": "Ada Quill", "company.name": "Acme", "tags": ["a", "b"], "roles.id": ["r1", "r2"], "roles.scope.org": ["o1", null]})
        )
    );
}

#[tokio::test]
async fn the_local_org_serves_gcsync_test_hosts() {
    let emu = gcsync::emulator::start(gcsync::emulator::Config::default()).await.unwrap();
    let t = HttpTransport::new().unwrap().with_local_org(emu.url.clone());
    let a = action(|_| {});
    let input = json!({"userId": "4", "base": "https://profiles.gcsync.test"});
    let r =
        gcsync::exec::run(&a, &input, &Credentials::none(), &ExecEnv::default(), RunOptions::default(), &t)
            .await;
    assert!(r.result.success, "{:?}", r.result.error);
    assert_eq!(r.result.final_result.unwrap()["fullName"], json!("Dmitri Sola"));
    let r = gcsync::exec::run(
        &a,
        &json!({"userId": "99", "base": "https://profiles.gcsync.test"}),
        &Credentials::none(),
        &ExecEnv::default(),
        RunOptions::default(),
        &t,
    )
    .await;
    assert_eq!(error_of(&r).0, 404);
    emu.shutdown().await;
}

/// Issue 12 class 5: the runtime's transport stops reading an endless upstream body at
/// `MAX_RESPONSE_BYTES` (it used to be read whole, 4 GB in seconds).
#[tokio::test]
async fn an_endless_upstream_body_is_cut_at_the_cap() {
    use gcsync::exec::{HttpRequest, Transport, TransportError};
    let app = Router::new().route(
        "/endless",
        get(|| async {
            let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
            let endless = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            axum::body::Body::from_stream(endless)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/endless", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let t = HttpTransport::new().unwrap();
    let req = HttpRequest {
        method: "GET".into(),
        url,
        headers: vec![],
        body: None,
        timeout: std::time::Duration::from_secs(30),
    };
    let e = t.send(&req).await.unwrap_err();
    assert_eq!(e, TransportError::TooLarge(gcsync::exec::transport::MAX_RESPONSE_BYTES));
    server.abort();
}
