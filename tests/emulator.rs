//! The emulator as a product: the binary's start line, persistence across restarts, the
//! draft → validate → publish lifecycle, name uniqueness, auth on every route, paging
//! envelopes and ErrorBody shapes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "support/emulator.rs"]
mod common_emulator;

use common_emulator::{ChildGuard, action_body, client, http, start};
use gcsync::emulator::Config;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn config() -> Config {
    common_emulator::profile_api_config()
}

#[test]
fn binary_prints_one_json_line_then_serves() {
    let mut child = ChildGuard(
        Command::new(env!("CARGO_BIN_EXE_gcsync"))
            .args(["emulator", "--port", "0", "--client-id", "cid", "--client-secret", "csecret"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let v: Value = serde_json::from_str(&line).unwrap();
    let url = v["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{url}");
    assert_eq!((v["client_id"].as_str(), v["client_secret"].as_str()), (Some("cid"), Some("csecret")));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let health = rt.block_on(async {
        http().get(format!("{url}/__emulator/health")).send().await.ok()?.text().await.ok()
    });
    assert_eq!(health.as_deref(), Some("ok"));
}

#[tokio::test]
async fn data_file_persists_the_org_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("org.json");
    let emu = start(Config { data: Some(data.clone()), ..config() }).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
    let created = c.create_action(&action_body("Kept", &iid)).await.unwrap();
    let org1 = c.org().await.unwrap();
    emu.shutdown().await;
    let saved: Value = serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    assert!(saved["actions"].get(&created.id).is_some());
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
    let emu = start(Config { data: Some(data.clone()), ..config() }).await;
    let c = client(&emu, |_| {});
    assert_eq!(c.org().await.unwrap(), org1, "same org id after restart");
    let found = c.find_actions_by_name("Kept").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, created.id);
    assert_eq!(c.list_integrations().await.unwrap().len(), 1, "seed integrations are not duplicated");
    emu.shutdown().await;
}

#[tokio::test]
async fn draft_validate_publish_lifecycle() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
    let d = c.create_draft(&action_body("Drafted", &iid)).await.unwrap();
    assert_eq!(d.version, 1);
    assert!(c.find_actions_by_name("Drafted").await.unwrap().is_empty(), "drafts are not published");
    assert_eq!(c.list_drafts().await.unwrap().len(), 1);
    let mut contract = action_body("x", &iid)["contract"].clone();
    contract["output"]["successSchema"]["properties"]["extra"] = json!({"type": "string"});
    let d2 = c.patch_draft(&d.id, &json!({"contract": contract, "version": 1})).await.unwrap();
    assert_eq!(d2.version, 2);
    assert_eq!(c.validate_draft(&d.id).await.unwrap(), json!({"valid": true, "errors": []}));
    let stale = c.publish_draft(&d.id, 1).await.unwrap_err();
    assert!(matches!(stale, gcsync::remote::Error::VersionConflict(_)), "{stale}");
    let p = c.publish_draft(&d.id, 2).await.unwrap();
    assert_eq!(p.version, 1);
    let full = c.get_action_full(&d.id, false).await.unwrap();
    assert!(full.contract.unwrap().output.success_schema.unwrap()["properties"].get("extra").is_some());
    // A draft of a published action may not change the contract on publish.
    let d3 = c.draft_from_published(&d.id).await.unwrap();
    let mut changed = contract.clone();
    changed["input"]["inputSchema"]["properties"]["more"] = json!({"type": "string"});
    c.patch_draft(&d.id, &json!({"contract": changed, "version": d3.version})).await.unwrap();
    let e = c.publish_draft(&d.id, d3.version + 1).await.unwrap_err();
    assert!(e.to_string().contains("cannot be changed"), "{e}");
    assert!(c.delete_draft(&d.id).await.unwrap());
    assert!(!c.delete_draft(&d.id).await.unwrap());
    // Published PATCH cannot touch the contract.
    let e = c.patch_action(&d.id, &json!({"contract": contract, "version": 1})).await.unwrap_err();
    assert_eq!(e.api().unwrap().status, 400);
    emu.shutdown().await;
}

#[tokio::test]
async fn names_are_unique_per_integration_and_contracts_are_checked() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
    c.create_action(&action_body("Same", &iid)).await.unwrap();
    let e = c.create_action(&action_body("same", &iid)).await.unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let mut nested = action_body("Nested", &iid);
    nested["contract"]["input"]["inputSchema"]["properties"]["address"] =
        json!({"type": "object", "properties": {}});
    let e = c.create_action(&nested).await.unwrap_err();
    assert_eq!(e.api().unwrap().status, 400);
    assert!(e.to_string().contains("address"), "{e}");
    let e = c.create_action(&action_body("X", "no-such-integration")).await.unwrap_err();
    assert!(e.to_string().contains("Integration 'no-such-integration' not found"), "{e}");
    emu.shutdown().await;
}

#[tokio::test]
async fn every_api_route_needs_a_bearer_token_and_errors_have_genesys_shape() {
    let emu = start(config()).await;
    let http = http();
    for path in [
        "/api/v2/integrations",
        "/api/v2/integrations/actions",
        "/api/v2/integrations/actions/drafts",
        "/api/v2/integrations/actions/x/templates/requesttemplate.vm",
        "/api/v2/organizations/me",
    ] {
        let r = http.get(format!("{}{path}", emu.url)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "authentication.required", "{path}");
        assert_eq!(body["status"], 401);
        assert!(body["contextId"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(body["details"].is_array() && body["errors"].is_array() && body["messageParams"].is_object());
    }
    let r = http
        .post(format!("{}/oauth/token", emu.url))
        .basic_auth("local", Some("nope"))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    emu.shutdown().await;
}

#[tokio::test]
async fn paging_envelope_and_test_routes() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
    for i in 0..3 {
        c.create_action(&action_body(&format!("P{i}"), &iid)).await.unwrap();
    }
    let token = {
        let r = http()
            .post(format!("{}/oauth/token", emu.url))
            .basic_auth("local", Some("local"))
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
    };
    let get = |q: &str| {
        let url = format!("{}/api/v2/integrations/actions?{q}", emu.url);
        let token = token.clone();
        async move { http().get(url).bearer_auth(token).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let p2 = get("pageSize=2&pageNumber=2&name=p").await;
    assert_eq!(
        (p2["total"].as_u64(), p2["pageCount"].as_u64(), p2["pageNumber"].as_u64()),
        (Some(3), Some(2), Some(2))
    );
    assert_eq!(p2["entities"].as_array().unwrap().len(), 1);
    assert!(p2.get("nextUri").is_none());
    assert!(p2["previousUri"].as_str().unwrap().contains("pageNumber=1"));
    for k in ["selfUri", "firstUri", "lastUri"] {
        assert!(p2[k].as_str().unwrap().starts_with("/api/v2/integrations/actions?"), "{k}");
    }
    let bad = get("pageSize=501").await;
    assert_eq!(bad["status"], 400);
    let id = p2["entities"][0]["id"].as_str().unwrap().to_string();
    // /test runs the action with gcsync's runtime (more in tests/exec_emulator.rs); a body
    // that is not an object stops at step 1, before any network call.
    let v = c.test_action(&id, false, &json!([1]), false).await.unwrap();
    assert_eq!((v["success"].as_bool(), v["operations"][0]["step"].as_u64()), (Some(false), Some(1)));
    emu.shutdown().await;
}

#[tokio::test]
async fn injected_statuses_answer_with_genesys_codes_and_zero_counters_are_refused() {
    let emu = start(config()).await;
    let c = client(&emu, |o| o.max_attempts = 1);
    c.org().await.unwrap();
    for (status, code) in [
        (400, "bad.request"),
        (403, "not.authorized"),
        (404, "not.found"),
        (408, "request.timeout"),
        (409, "conflict"),
        (500, "internal.server.error"),
        (502, "bad.gateway"),
        (503, "service.unavailable"),
        (504, "gateway.timeout"),
    ] {
        common_emulator::set_faults(&emu, &[&format!("{status} nth=1 path=/api/v2/organizations/me")]).await;
        let e = c.org().await.unwrap_err();
        let api = e.api().unwrap_or_else(|| panic!("{status}: {e}"));
        assert_eq!((api.status, api.code.as_str()), (status, code), "{e}");
        assert!(api.message.contains("injected fault") && api.context_id.is_some(), "{e}");
    }
    for spec in ["500 nth=0", "503 every=0", "429 count=0"] {
        let r = http().put(format!("{}/__emulator/faults", emu.url)).json(&[spec]).send().await.unwrap();
        assert_eq!(r.status(), 400, "{spec}");
        let body: Value = r.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("must be at least 1, found 0"), "{spec}: {body}");
    }
    emu.shutdown().await;
}

#[test]
fn emulator_help_lists_every_fault_kind_and_refuses_zero_counters() {
    let out = Command::new(env!("CARGO_BIN_EXE_gcsync")).args(["emulator", "--help"]).output().unwrap();
    assert!(out.status.success());
    // clap wraps help to the terminal width: compare with whitespace collapsed.
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let help = words(&String::from_utf8_lossy(&out.stdout));
    assert!(help.contains(&words(gcsync::emulator::faults::FAULT_SYNTAX)), "{help}");
    for (name, _, what) in gcsync::emulator::faults::NAMED_KINDS {
        assert!(help.contains(&words(&format!("{name} {what}"))), "{name} missing:\n{help}");
    }
    for kind in ["hang hold", "hang-after process", "drop-after process", "400-599 answer"] {
        assert!(help.contains(kind), "{kind}:\n{help}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_gcsync"))
        .args(["emulator", "--port", "0", "--fault", "500 every=0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid fault `500 every=0`: `every` must be at least 1, found 0"), "{err}");
}
