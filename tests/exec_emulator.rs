//! The emulator's `/test`, `/draft/test` and `/execute` through gcsync's client: they run
//! actions with the local runtime, and `*.gcsync.test` reaches the emulator's own demo API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "support/emulator.rs"]
mod common_emulator;

use common_emulator::{client, http, start};
use gcsync::emulator::Config;
use gcsync::exec::TestExecutionResult;
use gcsync::manifest;
use serde_json::{Value, json};
use std::path::Path;

fn config() -> Config {
    common_emulator::profile_api_config()
}

/// FetchUserProfile from the repository's manifests, as the API takes it.
fn fetch_user_profile(integration_id: &str) -> Value {
    let (set, diags) = manifest::load(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests")]);
    assert!(!diags.has_errors());
    let mut spec = manifest::compile::compile(set.action("FetchUserProfile").unwrap());
    spec.integration = integration_id.to_string();
    spec.to_post_json("integrationId")
}

const ENDPOINT: &str = "https://profiles.gcsync.test/users";

#[tokio::test]
async fn test_runs_the_pipeline_and_reaches_the_demo_api() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
    let action = c.create_action(&fetch_user_profile(&iid)).await.unwrap();

    let v = c
        .test_action(&action.id, false, &json!({"userId": "1", "apiEndpoint": ENDPOINT}), false)
        .await
        .unwrap();
    let r: TestExecutionResult = serde_json::from_value(v).unwrap();
    assert!(r.success, "{:?}", r.error);
    assert_eq!(r.operations.len(), 11);
    assert_eq!(
        r.final_result,
        Some(
            json!({"fullName": "Ada Quill", "email": "ada.quill@northwind-cables.example", "companyName": "Northwind Cables"})
        )
    );

    // A user without a company takes the default; an unknown user fails at step 8 with 404.
    let v = c
        .test_action(&action.id, false, &json!({"userId": "9", "apiEndpoint": ENDPOINT}), false)
        .await
        .unwrap();
    assert_eq!(v["finalResult"]["companyName"], json!(""));
    let v = c
        .test_action(&action.id, false, &json!({"userId": "77", "apiEndpoint": ENDPOINT}), false)
        .await
        .unwrap();
    let r: TestExecutionResult = serde_json::from_value(v).unwrap();
    assert!(!r.success);
    assert_eq!(r.failed_step().map(|o| o.step), Some(8));
    let e = r.error.unwrap();
    assert_eq!((e.status, e.error_code()), (404, Some("ACTION.REMOTE_ENDPOINT")));

    // The org applies no input defaults (flows do not get them): step 3 fails.
    let v = c.test_action(&action.id, false, &json!({"userId": "1"}), false).await.unwrap();
    assert_eq!(v["operations"][2]["success"], json!(false));
    assert!(v["error"]["message"].as_str().unwrap().contains("required key [apiEndpoint] not found"));
    emu.shutdown().await;
}

#[tokio::test]
async fn execute_answers_the_output_or_the_error_with_its_status() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
    let action = c.create_action(&fetch_user_profile(&iid)).await.unwrap();
    let out =
        c.execute_action(&action.id, &json!({"userId": "2", "apiEndpoint": ENDPOINT}), false).await.unwrap();
    assert_eq!(out["fullName"], json!("Bruno Castell"));
    let err = c
        .execute_action(&action.id, &json!({"userId": "0", "apiEndpoint": ENDPOINT}), false)
        .await
        .unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.status, 404);
    assert!(api.error_codes.iter().any(|d| d == "ACTION.REMOTE_ENDPOINT"), "{api:?}");
    // flatten=true on execute.
    let flat =
        c.execute_action(&action.id, &json!({"userId": "2", "apiEndpoint": ENDPOINT}), true).await.unwrap();
    assert_eq!(flat["companyName"], json!("Bluefin Logistics"));
    emu.shutdown().await;
}

#[tokio::test]
async fn draft_test_uses_the_draft_and_credentials_come_from_the_integration() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
    let mut body = fetch_user_profile(&iid);
    body["name"] = json!("DraftProfile");
    body["config"]["response"]["successTemplate"] = json!(
        "{\"fullName\": ${fullName}, \"email\": ${email}, \"companyName\": ${companyName}, \"draft\": true}"
    );
    body["config"]["request"]["headers"]["X-Api-Key"] = json!("${credentials.apiKey}");
    let draft = c.create_draft(&body).await.unwrap();
    let cred = c
        .create_credential(&json!({"name": "profile key", "type": {"name": "userDefined"}, "credentialFields": {"apiKey": "k-very-secret-1"}}))
        .await
        .unwrap();
    let cfg = c.get_integration_config(&iid).await.unwrap();
    c.put_integration_config(
        &iid,
        &json!({"name": "Profile API", "version": cfg["version"], "credentials": {"basicAuth": {"id": cred["id"]}}}),
    )
    .await
    .unwrap();
    let v = c
        .test_action(&draft.id, true, &json!({"userId": "3", "apiEndpoint": ENDPOINT}), false)
        .await
        .unwrap();
    let r: TestExecutionResult = serde_json::from_value(v.clone()).unwrap();
    assert!(r.success, "{:?}", r.error);
    assert_eq!(r.final_result.as_ref().unwrap()["draft"], json!(true));
    assert_eq!(r.operations[3].result["credentialType"], json!("userDefined"));
    assert_eq!(r.operations[5].result["X-Api-Key"], json!("[redacted]"));
    assert!(!v.to_string().contains("k-very-secret-1"));
    // The published /test of a draft-only action is a 404.
    let e = c.test_action(&draft.id, false, &json!({}), false).await.unwrap_err();
    assert!(e.is_not_found());
    emu.shutdown().await;
}

#[tokio::test]
async fn test_requires_a_token_and_json() {
    let emu = start(config()).await;
    let r = http()
        .post(format!("{}/api/v2/integrations/actions/x/test", emu.url))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
    let action = c.create_action(&fetch_user_profile(&iid)).await.unwrap();
    // A body that is not an object fails step 1 (200 with the trace, as /test does).
    let v = c.test_action(&action.id, false, &json!([1, 2]), false).await.unwrap();
    assert_eq!(v["operations"][0]["step"], json!(1));
    assert_eq!(v["operations"][0]["success"], json!(false));
    emu.shutdown().await;
}
