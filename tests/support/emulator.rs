//! The one emulator test harness: helpers for tests that run the emulator in-process on a
//! free loopback port (async tests call them directly; the CLI tests' `BgEmulator` runs
//! them on its own runtime).

#![allow(dead_code)]

use gcsync::emulator::{self, Config, Running};
use gcsync::remote::config::Target;
use gcsync::remote::{Client, ClientOptions, Secret};
use serde_json::Value;
use std::time::Duration;

/// An org with the "Profile API" integration already there.
pub fn profile_api_config() -> Config {
    Config {
        seed_integrations: vec![("Profile API".into(), "custom-rest-actions".into())],
        ..Config::default()
    }
}

/// Starts an emulator with `config` (port forced to 0).
pub async fn start(mut config: Config) -> Running {
    config.port = 0;
    emulator::start(config).await.expect("emulator starts")
}

/// A client for a running emulator with fast, test-friendly retry settings.
pub fn client(emu: &Running, tweak: impl FnOnce(&mut ClientOptions)) -> Client {
    let mut o = ClientOptions {
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(50),
        rate_limit_per_minute: 0,
        ..ClientOptions::default()
    };
    tweak(&mut o);
    let target = Target {
        api_base: emu.url.clone(),
        login_base: emu.url.clone(),
        client_id: emu.client_id.clone(),
        client_secret: Secret::new(emu.client_secret.clone()),
    };
    Client::new(target, o).expect("client")
}

/// A plain HTTP client for admin routes and raw requests (rustls needs its crypto
/// provider installed before the first client is built).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Kills a child process when dropped, also when a test panics (an orphaned emulator
/// would keep the test harness's pipes open).
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The emulator's request log.
pub async fn requests(emu: &Running) -> Vec<Value> {
    let r = http().get(format!("{}/__emulator/requests", emu.url)).send().await.unwrap();
    r.json::<Vec<Value>>().await.unwrap()
}

/// Clears the request log.
pub async fn clear_requests(emu: &Running) {
    http().delete(format!("{}/__emulator/requests", emu.url)).send().await.unwrap();
}

/// Replaces the fault rules.
pub async fn set_faults(emu: &Running, specs: &[&str]) {
    let r = http().put(format!("{}/__emulator/faults", emu.url)).json(&specs).send().await.unwrap();
    assert!(r.status().is_success(), "faults rejected: {}", r.text().await.unwrap());
}

/// Blocks until `count` requests with one of `methods` under `path` have arrived.
pub async fn wait_for(emu: &Running, count: usize, methods: &str, path: &str) {
    let r = http()
        .get(format!("{}/__emulator/wait", emu.url))
        .query(&[("count", count.to_string()), ("method", methods.to_string()), ("path", path.to_string())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "wait failed: {}", r.text().await.unwrap());
}

/// A minimal valid action body for `integration_id`.
pub fn action_body(name: &str, integration_id: &str) -> Value {
    serde_json::json!({
        "name": name, "category": "Tests", "integrationId": integration_id, "secure": false,
        "config": {"timeoutSeconds": 10,
            "request": {"requestUrlTemplate": "https://example.com/users/$esc.url(${input.id})", "requestType": "GET",
                        "headers": {"Accept": "application/json"}, "requestTemplate": "${input.rawRequest}"},
            "response": {"translationMap": {"name": "$.name"}, "translationMapDefaults": {}, "successTemplate": "{\"name\": ${name}}"}},
        "contract": {"input": {"inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}}},
                     "output": {"successSchema": {"type": "object", "properties": {"name": {"type": "string"}}}}}
    })
}

/// (method, path, status) of each logged request.
pub fn calls(log: &[Value]) -> Vec<(String, String, u64)> {
    log.iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect()
}
