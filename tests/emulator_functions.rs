//! Function data actions against the emulator on a free loopback port, through gcsync's
//! client: `POST /actions` refused, a draft with a generated URL, the runtimes list, the
//! function settings (platform checks), the upload URL and its header check, the zip status
//! (Pending → Available, InvalidFormat for a non-zip with history), publish (refused before
//! the code is Available), the published settings, a draft from the published action, and
//! `/test` + `/execute` running the uploaded code with the local `node` (skipped without
//! node, failing when `CI` is set).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "support/emulator.rs"]
mod common_emulator;

use common_emulator::{client, start};
use gcsync::emulator::Config;
use gcsync::remote::Error;
use gcsync::remote::functions::FunctionError;
use serde_json::{Value, json};
use std::time::Duration;

fn config() -> Config {
    Config {
        seed_integrations: vec![("Lead Functions".into(), "function-data-actions".into())],
        ..Config::default()
    }
}

fn action_body(name: &str, iid: &str) -> Value {
    json!({
        "name": name, "category": "Functions", "integrationId": iid, "secure": false,
        "config": {
            "request": {"requestType": "POST", "requestTemplate": "${input.rawRequest}", "headers": {"X-Source": "test"}},
            "response": {"translationMap": {"score": "$.score"}, "translationMapDefaults": {}, "successTemplate": "{\"score\": ${score}}"}},
        "contract": {"input": {"inputSchema": {"type": "object", "properties": {"leadId": {"type": "string"}}}},
                     "output": {"successSchema": {"type": "object", "properties": {"score": {"type": "integer"}}}}}
    })
}

fn code_zip(source: &str) -> Vec<u8> {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("src")).unwrap();
    std::fs::write(d.path().join("src/index.js"), source).unwrap();
    gcsync::function::zip::zip_dir(d.path(), &[]).unwrap().bytes
}

fn node_available() -> bool {
    let ok = std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "CI is set but `node` is not installed");
        eprintln!("SKIPPED: `node` is not installed (the emulator runs function actions with it)");
    }
    ok
}

#[tokio::test]
async fn function_action_lifecycle() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Lead Functions").await.unwrap().unwrap().id;

    // POST /actions is refused for a function integration, as Genesys does.
    let Err(Error::Api(api)) = c.create_action(&action_body("Score", &iid)).await else { panic!("accepted") };
    assert_eq!(api.status, 400);
    assert!(api.message.contains("does not support creating published actions"), "{}", api.message);

    // A draft gets a generated request URL.
    let draft = c.create_draft(&action_body("Score", &iid)).await.unwrap();
    let full = c.get_action_full(&draft.id, true).await;
    let url =
        full.ok().and_then(|a| a.config).map(|cfg| cfg.request.request_url_template).unwrap_or_default();
    assert!(url.starts_with("https://function.gcsync.test/"), "{url}");

    // Runtimes.
    let rts = c.function_runtimes().await.unwrap();
    assert_eq!(rts[0].name, "nodejs22.x");
    assert!(rts.iter().any(|r| r.status.as_deref() == Some("Deprecated") && r.date_end_of_life.is_some()));

    // No function yet: 404; invalid settings: 400 naming the field.
    assert!(matches!(c.get_draft_function(&draft.id).await, Err(Error::Api(a)) if a.status == 404));
    let bad = json!({"description": "d", "handler": "src/index.handler", "runtime": "nodejs22.x", "timeoutSeconds": 20});
    let Err(Error::Api(a)) = c.put_draft_function(&draft.id, &bad).await else { panic!("accepted") };
    assert!(a.message.contains("timeoutSeconds"), "{}", a.message);
    let bad = json!({"description": "d", "handler": "src/index.handler", "runtime": "nodejs16.x"});
    assert!(
        matches!(c.put_draft_function(&draft.id, &bad).await, Err(Error::Api(a)) if a.message.contains("unavailable"))
    );
    let f = json!({"description": "Scores", "handler": "src/index.handler", "runtime": "nodejs20.x", "timeoutSeconds": 5});
    let cfg = c.put_draft_function(&draft.id, &f).await.unwrap();
    assert_eq!(cfg.function.as_ref().unwrap()["timeoutSeconds"], 5);

    // Publishing without code is refused.
    let Err(Error::Api(a)) = c.publish_draft(&draft.id, draft.version).await else { panic!("published") };
    assert!(a.message.contains("no uploaded code"), "{}", a.message);

    // The upload URL checks the headers it handed out.
    let up = c.request_function_upload(&draft.id, "score.zip", 60).await.unwrap();
    assert!(up.url.starts_with(&emu.url), "{up:?}");
    let mut wrong = up.clone();
    wrong.headers.remove("x-amz-meta-gcsync-upload");
    let Err(FunctionError::Upload { status, message, .. }) =
        c.upload_function_zip(&wrong, code_zip("1")).await
    else {
        panic!("accepted without its headers")
    };
    assert_eq!(status, 403);
    assert!(message.contains("SignatureDoesNotMatch"), "{message}");

    // Not a zip: InvalidFormat, in the history, a clear error from the wait.
    c.upload_function_zip(&up, b"not a zip".to_vec()).await.unwrap();
    let Err(FunctionError::ZipFailed { status, message, .. }) =
        c.wait_function_zip(&draft.id, Duration::from_secs(5), Duration::from_millis(50), |_| {}).await
    else {
        panic!("a non-zip became Available")
    };
    assert_eq!(status, "InvalidFormat");
    assert!(message.contains("not a valid zip"), "{message}");
    assert_eq!(c.get_draft_function(&draft.id).await.unwrap().upload_exception_history.len(), 1);
    // The URL was used: it cannot be used again.
    assert!(matches!(
        c.upload_function_zip(&up, code_zip("1")).await,
        Err(FunctionError::Upload { status: 403, .. })
    ));

    // A real zip: Pending, then Available (progress reports both), with the zipId set.
    let seen = std::sync::Mutex::new(Vec::new());
    let code = "exports.handler = async (e, ctx) => { console.log('lead', e.leadId); return {score: e.leadId.length * 10, source: ctx.clientContext['X-Source']}; };";
    let cfg = c
        .upload_function_code(&draft.id, "score.zip", code_zip(code), Duration::from_secs(5), |s| {
            seen.lock().unwrap().push(s.to_string());
        })
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), ["Pending", "Available"]);
    let zip_id = cfg.zip.as_ref().and_then(|z| z.id.clone()).unwrap();
    assert_eq!(cfg.function.as_ref().unwrap()["zipId"], zip_id.as_str());

    // The draft runs with node.
    if node_available() {
        let r = c.test_action(&draft.id, true, &json!({"leadId": "abc"}), false).await.unwrap();
        assert_eq!(r["success"], true, "{r:#}");
        assert_eq!(r["finalResult"], json!({"score": 30}));
        let exec = r["operations"].as_array().unwrap().iter().find(|o| o["step"] == 8).unwrap();
        assert_eq!(exec["logs"], json!(["LOG lead abc"]), "{exec:#}");
    }

    // Publish: the settings become the published function.
    let d = c.get_action(&draft.id, true).await.unwrap();
    c.publish_draft(&draft.id, d.version).await.unwrap();
    let published = c.get_function(&draft.id).await.unwrap();
    assert_eq!(published.function.as_ref().unwrap()["handler"], "src/index.handler");
    assert_eq!(published.zip_status(), Some("Available"));
    if node_available() {
        let out = c.execute_action(&draft.id, &json!({"leadId": "abcd"}), false).await.unwrap();
        assert_eq!(out, json!({"score": 40}));
        // A thrown error is a 500 at execute.
    }

    // A draft from the published action starts from its settings and code.
    c.draft_from_published(&draft.id).await.unwrap();
    let again = c.get_draft_function(&draft.id).await.unwrap();
    assert_eq!(again.zip_status(), Some("Available"));
    assert_eq!(again.function.as_ref().unwrap()["runtime"], "nodejs20.x");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_thrown_error_fails_execute_with_500() {
    if !node_available() {
        return;
    }
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Lead Functions").await.unwrap().unwrap().id;
    let draft = c.create_draft(&action_body("Thrower", &iid)).await.unwrap();
    let f = json!({"description": "Throws", "handler": "src/index.handler", "runtime": "nodejs20.x", "timeoutSeconds": 3});
    c.put_draft_function(&draft.id, &f).await.unwrap();
    let code = "exports.handler = async () => { throw new Error('no lead'); };";
    c.upload_function_code(&draft.id, "t.zip", code_zip(code), Duration::from_secs(5), |_| {}).await.unwrap();
    let d = c.get_action(&draft.id, true).await.unwrap();
    c.publish_draft(&draft.id, d.version).await.unwrap();
    let Err(Error::Api(a)) = c.execute_action(&draft.id, &json!({"leadId": "x"}), false).await else {
        panic!("a thrown error succeeded")
    };
    assert_eq!(a.status, 500);
    assert!(a.message.contains("no lead"), "{}", a.message);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_large_zip_uploads() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Lead Functions").await.unwrap().unwrap().id;
    let draft = c.create_draft(&action_body("Big", &iid)).await.unwrap();
    // 3 MB of incompressible bytes: over axum's default body limit, under the platform's.
    let mut seed = 0x2545_f491_u64;
    let noise: Vec<u8> = (0..3 * 1024 * 1024)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect();
    let bytes = gcsync::function::zip::write_zip(
        [("src/index.js", &b"exports.handler = async () => ({});"[..]), ("data.bin", &noise[..])].into_iter(),
    )
    .unwrap();
    assert!(bytes.len() > 3_000_000);
    let cfg =
        c.upload_function_code(&draft.id, "big.zip", bytes, Duration::from_secs(5), |_| {}).await.unwrap();
    assert_eq!(cfg.zip_status(), Some("Available"));
    emu.shutdown().await;
}
