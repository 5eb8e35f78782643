//! The Genesys client against the emulator over real HTTP on loopback: paging, auth,
//! retries, the no-blind-retry rule for creates, version conflicts, error bodies, the
//! client-side rate limit, and request counts read from the emulator's own log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "support/emulator.rs"]
mod common_emulator;

use common_emulator::{action_body, calls, clear_requests, client, http, requests, set_faults, start};
use gcsync::emulator::Config;
use gcsync::remote::{Error, Idempotency};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn config() -> Config {
    common_emulator::profile_api_config()
}

async fn integration_id(c: &gcsync::remote::Client) -> String {
    c.find_integration("Profile API").await.unwrap().expect("seeded integration").id
}

#[tokio::test]
async fn lists_more_than_one_page_with_the_largest_page_size() {
    let emu = start(config()).await;
    let c = client(&emu, |o| o.parallelism = 8);
    let iid = integration_id(&c).await;
    let creates = (0..1103).map(|i| {
        let body = action_body(&format!("Action {i:04}"), &iid);
        let c = &c;
        async move { c.create_action(&body).await.map(|_| ()) }
    });
    futures_util::future::try_join_all(creates).await.unwrap();
    clear_requests(&emu).await;
    let all = c.list_actions().await.unwrap();
    assert_eq!(all.len(), 1103);
    let mut names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
    names.dedup();
    assert_eq!(names.len(), 1103, "no duplicates across pages");
    let log = requests(&emu).await;
    let queries: Vec<&str> = log.iter().map(|e| e["query"].as_str().unwrap()).collect();
    assert_eq!(log.len(), 3, "{queries:?}");
    for q in &queries {
        assert!(q.contains("pageSize=500"), "{q}");
    }
    // A page size above the maximum is refused by the API, so the client's constant is the
    // limit. Asked with a valid token, so the answer is about the page size (a bad token would
    // be 401 whatever the rule): 500 is served, 501 is a 400 naming the bound.
    let token = http()
        .post(format!("{}/oauth/token", emu.url))
        .basic_auth(&emu.client_id, Some(&emu.client_secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let at = |size: usize| {
        http()
            .get(format!("{}/api/v2/integrations/actions?pageSize={size}", emu.url))
            .bearer_auth(&token)
            .send()
    };
    let max = gcsync::remote::client::MAX_PAGE_SIZE;
    let r = at(max).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["entities"].as_array().unwrap().len(), max);
    let r = at(max + 1).await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.json::<serde_json::Value>().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains(&format!("from 1 to {max}")), "{body}");
    emu.shutdown().await;
}

#[tokio::test]
async fn exact_name_lookup_ignores_partial_matches() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = integration_id(&c).await;
    for n in ["Lookup", "Lookup Order", "My Lookup"] {
        c.create_action(&action_body(n, &iid)).await.unwrap();
    }
    let found = c.find_actions_by_name("Lookup").await.unwrap();
    assert_eq!(found.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), vec!["Lookup"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn token_is_cached_and_renewed_once_after_401() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    for _ in 0..3 {
        c.org().await.unwrap();
    }
    assert_eq!(c.token_request_count(), 1, "token cached");
    http().post(format!("{}/__emulator/revoke-tokens", emu.url)).send().await.unwrap();
    clear_requests(&emu).await;
    c.org().await.unwrap();
    assert_eq!(c.token_request_count(), 2, "one re-auth");
    let log = calls(&requests(&emu).await);
    assert_eq!(
        log,
        vec![
            ("GET".into(), "/api/v2/organizations/me".into(), 401),
            ("POST".into(), "/oauth/token".into(), 200),
            ("GET".into(), "/api/v2/organizations/me".into(), 200)
        ]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_are_a_login_error() {
    let emu = start(config()).await;
    let mut c = client(&emu, |_| {});
    let target = gcsync::remote::config::Target {
        client_secret: gcsync::remote::Secret::new("wrong-secret-value".into()),
        ..c.target().clone()
    };
    c = gcsync::remote::Client::new(target, gcsync::remote::ClientOptions::default()).unwrap();
    let e = c.org().await.unwrap_err();
    assert!(matches!(e, Error::Auth(ref a) if a.status == 401 && a.code == "invalid_client"), "{e}");
    assert!(!e.to_string().contains("wrong-secret-value"));
    emu.shutdown().await;
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    c.org().await.unwrap();
    set_faults(&emu, &["429 nth=1 retry-after=1 path=/api/v2/integrations"]).await;
    clear_requests(&emu).await;
    let t = Instant::now();
    c.list_integrations().await.unwrap();
    assert!(t.elapsed() >= Duration::from_secs(1), "waited {:?}", t.elapsed());
    let statuses: Vec<u64> = calls(&requests(&emu).await).into_iter().map(|c| c.2).collect();
    assert_eq!(statuses, vec![429, 200]);
    emu.shutdown().await;
}

#[tokio::test]
async fn retries_503_and_dropped_connections_for_safe_requests() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    c.org().await.unwrap();
    set_faults(
        &emu,
        &[
            "503 nth=1 path=/api/v2/organizations",
            "drop nth=2 path=/api/v2/organizations",
            "502 nth=3 path=/api/v2/organizations",
        ],
    )
    .await;
    clear_requests(&emu).await;
    c.org().await.unwrap();
    let statuses: Vec<u64> = calls(&requests(&emu).await).into_iter().map(|c| c.2).collect();
    assert_eq!(statuses, vec![503, 0, 502, 200]);
    emu.shutdown().await;
}

#[tokio::test]
async fn per_request_timeout_then_retry() {
    let emu = start(config()).await;
    let c = client(&emu, |o| o.timeout = Duration::from_millis(300));
    c.org().await.unwrap();
    set_faults(&emu, &["latency ms=1500 nth=1 path=/api/v2/organizations"]).await;
    c.org().await.unwrap();
    assert_eq!(c.request_count(), 3, "one timed out, one retried");
    emu.shutdown().await;
}

#[tokio::test]
async fn creates_are_never_retried_blindly() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = integration_id(&c).await;
    // 503 on the create: the client cannot know whether it happened, so it does not repeat it.
    set_faults(&emu, &["503 nth=1 method=POST path=/api/v2/integrations/actions"]).await;
    clear_requests(&emu).await;
    let e = c.create_action(&action_body("A", &iid)).await.unwrap_err();
    assert!(matches!(e, Error::Ambiguous { .. }), "{e}");
    assert_eq!(calls(&requests(&emu).await).iter().filter(|c| c.0 == "POST").count(), 1);
    // Processed, then the connection dropped: the action exists; a blind retry would duplicate it.
    set_faults(&emu, &["drop-after nth=1 method=POST path=/api/v2/integrations/actions"]).await;
    let e = c.create_action(&action_body("B", &iid)).await.unwrap_err();
    assert!(matches!(e, Error::Ambiguous { .. }), "{e}");
    assert_eq!(c.find_actions_by_name("B").await.unwrap().len(), 1);
    // A 429 means "not processed": that create is repeated, and exactly one action results.
    set_faults(&emu, &["429 nth=1 retry-after=0 method=POST path=/api/v2/integrations/actions"]).await;
    c.create_action(&action_body("C", &iid)).await.unwrap();
    assert_eq!(c.find_actions_by_name("C").await.unwrap().len(), 1);
    // Connection never made (nothing listening): safe to say it did not happen.
    emu.shutdown().await;
}

#[tokio::test]
async fn version_conflicts_are_typed() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = integration_id(&c).await;
    let a = c.create_action(&action_body("A", &iid)).await.unwrap();
    let ok = c.patch_action(&a.id, &serde_json::json!({"name": "A2", "version": a.version})).await.unwrap();
    assert_eq!(ok.version, a.version + 1);
    let e =
        c.patch_action(&a.id, &serde_json::json!({"name": "A3", "version": a.version})).await.unwrap_err();
    match e {
        Error::VersionConflict(api) => {
            assert_eq!(api.status, 409);
            assert!(api.message.contains("does not match the current version"));
        }
        other => panic!("{other}"),
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn error_bodies_are_parsed() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = integration_id(&c).await;
    let e = c.get_action("custom_-_missing", false).await.unwrap_err();
    let api = e.api().unwrap();
    assert_eq!((api.status, api.code.as_str()), (404, "not.found"));
    assert!(api.context_id.as_deref().is_some_and(|c| c.len() > 10));
    assert!(e.is_not_found());
    let mut body = action_body("Bad", &iid);
    body["config"]["request"]["headers"]["Accept"] = "text/plain".into();
    let e = c.create_action(&body).await.unwrap_err();
    let api = e.api().unwrap();
    assert_eq!(api.status, 400);
    assert_eq!(api.error_codes, vec!["INVALID_SCHEMA"]);
    assert!(e.to_string().contains("The 'Accept' header only supports json content types"), "{e}");
    assert!(e.to_string().contains("contextId"), "{e}");
    assert!(!c.delete_action("custom_-_missing").await.unwrap(), "404 on delete = already gone");
    emu.shutdown().await;
}

#[tokio::test]
async fn full_get_inlines_templates_in_three_calls() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    let iid = integration_id(&c).await;
    let a = c.create_action(&action_body("A", &iid)).await.unwrap();
    clear_requests(&emu).await;
    let full = c.get_action_full(&a.id, false).await.unwrap();
    let cfg = full.config.unwrap();
    assert_eq!(cfg.request.request_template.as_deref(), Some("${input.rawRequest}"));
    assert_eq!(cfg.response.success_template.as_deref(), Some("{\"name\": ${name}}"));
    assert!(cfg.request.request_template_uri.is_none());
    assert_eq!(requests(&emu).await.len(), 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn client_rate_limit_keeps_under_the_enforced_limit() {
    // The emulator allows 6000/min (100/s) with bursts of 20 per token.
    let emu = start(Config { rate_limit: Some(6000), rate_burst: Some(20), ..config() }).await;
    let limited = client(&emu, |o| {
        o.rate_limit_per_minute = 6000;
        o.rate_burst = 5;
        o.parallelism = 8;
    });
    limited.org().await.unwrap();
    let calls_ok = (0..150).map(|_| limited.org());
    futures_util::future::try_join_all(calls_ok).await.unwrap();
    let statuses: Vec<u64> = calls(&requests(&emu).await).into_iter().map(|c| c.2).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 0, "client limiter kept under the limit");
    // Control: without the client limiter the same burst does hit the enforced limit.
    let unlimited = client(&emu, |o| {
        o.parallelism = 8;
        o.max_attempts = 1;
    });
    let results = futures_util::future::join_all((0..150).map(|_| unlimited.org())).await;
    assert!(results.iter().any(|r| matches!(r, Err(Error::Api(a)) if a.status == 429)));
    emu.shutdown().await;
}

#[tokio::test]
async fn logs_never_show_secrets() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    // A distinctive secret, so that its absence from the logs means something (the default
    // `local` would also match ordinary words).
    let secret = "cs-9f3a-DISTINCT-secret";
    let emu = start(Config { client_secret: secret.into(), ..config() }).await;
    assert_eq!(emu.client_secret, secret);
    let c = client(&emu, move |o| {
        o.log = Some(Arc::new(move |_, m: &str| sink.lock().unwrap().push(m.to_string())));
    });
    let iid = integration_id(&c).await;
    c.create_action(&action_body("A", &iid)).await.unwrap();
    c.create_credential(&serde_json::json!({"name": "c", "type": {"name": "basicAuth"}, "credentialFields": {"userName": "u", "password": "pw-SECRET-42"}})).await.unwrap();
    let text = lines.lock().unwrap().join("\n");
    assert!(text.contains("POST /api/v2/integrations/actions"), "{text}");
    assert!(text.contains("POST /oauth/token"), "the token request is logged: {text}");
    assert!(!text.contains(secret), "{text}");
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{secret}", emu.client_id));
    assert!(!text.contains(&basic), "{text}");
    assert!(!text.contains("pw-SECRET-42"), "{text}");
    assert!(!text.to_lowercase().contains("bearer"), "{text}");
    emu.shutdown().await;
}

#[tokio::test]
async fn connection_refused_is_a_clear_transport_error() {
    let emu = start(config()).await;
    let c = client(&emu, |o| o.max_attempts = 2);
    emu.shutdown().await;
    let e = c.org().await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert!(e.to_string().contains("could not connect"), "{e}");
    let _ = Idempotency::Safe;
}

/// A `Retry-After` beyond the cap fails the request at once with what Genesys asked, instead of
/// waiting an hour silently. Asserted on the error and the request log, not on elapsed time.
#[tokio::test]
async fn retry_after_beyond_the_cap_fails_fast_naming_the_ask() {
    let emu = start(config()).await;
    let c = client(&emu, |_| {});
    c.org().await.unwrap();
    set_faults(&emu, &["429 nth=1 retry-after=3600 path=/api/v2/integrations"]).await;
    clear_requests(&emu).await;
    // The timeout only turns a regression (an hour-long wait) into a failure instead of a hang.
    let e = tokio::time::timeout(Duration::from_secs(600), c.list_integrations())
        .await
        .expect("the request must not wait for the server's Retry-After")
        .unwrap_err();
    match &e {
        Error::RetryAfterTooLong { api, asked_secs, cap_secs } => {
            assert_eq!((api.status, *asked_secs, *cap_secs), (429, 3600, 60), "{e}");
            assert!(api.context_id.is_some(), "{e}");
        }
        other => panic!("expected RetryAfterTooLong, got {other:?}"),
    }
    let msg = e.to_string();
    let context_id = e.api().and_then(|a| a.context_id.clone()).unwrap();
    for part in [
        "GET /api/v2/integrations answered HTTP 429 too.many.requests",
        &format!("contextId: {context_id}"),
        "retry after 3600 s",
        "the 60 s gcsync waits at most (GCSYNC_RETRY_AFTER_MAX)",
    ] {
        assert!(msg.contains(part), "{part:?} missing in: {msg}");
    }
    let statuses: Vec<u64> = calls(&requests(&emu).await).into_iter().map(|c| c.2).collect();
    assert_eq!(statuses, vec![429], "no retry");
    // A cap raised above the ask is honoured (the wait itself is covered by the 1 s test above):
    // here only the decision is checked, with an ask of 0 s under a cap of 0 s.
    let c = client(&emu, |o| o.retry_after_max = Duration::ZERO);
    set_faults(&emu, &["429 nth=1 retry-after=0 path=/api/v2/integrations"]).await;
    c.list_integrations().await.unwrap();
    set_faults(&emu, &["429 nth=1 retry-after=1 path=/api/v2/integrations"]).await;
    let e = c.list_integrations().await.unwrap_err();
    assert!(matches!(e, Error::RetryAfterTooLong { asked_secs: 1, cap_secs: 0, .. }), "{e}");
    emu.shutdown().await;
}

/// A scripted hostile server on loopback: each request is answered by `answer(method, path,
/// n)` where `n` counts requests to that path from 1. It records every `(method, path)`.
mod hostile {
    use axum::body::Body;
    use axum::http::{Request, Response};
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    pub type Answer = Arc<dyn Fn(&str, &str, usize) -> Response<Body> + Send + Sync>;

    pub struct Server {
        pub url: String,
        pub log: Arc<Mutex<Vec<(String, String)>>>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Server {
        pub fn count(&self, path: &str) -> usize {
            self.log.lock().unwrap().iter().filter(|(_, p)| p == path).count()
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    pub async fn start(answer: Answer) -> Server {
        let log = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
        let seen = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
        let l = log.clone();
        let app = axum::Router::new().fallback(move |req: Request<Body>| {
            let (answer, log, seen) = (answer.clone(), l.clone(), seen.clone());
            async move {
                let (m, p) = (req.method().to_string(), req.uri().path().to_string());
                log.lock().unwrap().push((m.clone(), p.clone()));
                let n = {
                    let mut s = seen.lock().unwrap();
                    let c = s.entry(p.clone()).or_default();
                    *c += 1;
                    *c
                };
                answer(&m, &p, n)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Server { url, log, task }
    }

    pub fn json(status: u16, body: &serde_json::Value) -> Response<Body> {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    pub fn token() -> Response<Body> {
        json(200, &serde_json::json!({"access_token": "t0k", "expires_in": 3600}))
    }

    pub fn client(s: &Server) -> gcsync::remote::Client {
        let target = gcsync::remote::config::Target {
            api_base: s.url.clone(),
            login_base: s.url.clone(),
            client_id: "id".into(),
            client_secret: gcsync::remote::Secret::new("secret".into()),
        };
        let o = gcsync::remote::ClientOptions {
            backoff_base: std::time::Duration::from_millis(1),
            backoff_max: std::time::Duration::from_millis(5),
            rate_limit_per_minute: 0,
            ..gcsync::remote::ClientOptions::default()
        };
        gcsync::remote::Client::new(target, o).unwrap()
    }
}

const ORG: &str = "/api/v2/organizations/me";

/// Issue 12 class 6: a `Retry-After` too large for a `Duration` (which panicked with exit 101)
/// is an ask beyond the cap, failed at once.
#[tokio::test]
async fn absurd_retry_after_values_fail_cleanly_instead_of_panicking() {
    for ask in ["1e20", "18446744073709551616", "1e30"] {
        let s = hostile::start(std::sync::Arc::new(move |_: &str, p: &str, _| {
            if p == "/oauth/token" {
                return hostile::token();
            }
            let mut r =
                hostile::json(429, &serde_json::json!({"code": "too.many.requests", "message": "slow"}));
            r.headers_mut().insert("retry-after", ask.parse().unwrap());
            r
        }))
        .await;
        let e = hostile::client(&s).org().await.unwrap_err();
        assert!(
            matches!(e, Error::RetryAfterTooLong { asked_secs: u64::MAX, cap_secs: 60, .. }),
            "{ask}: {e}"
        );
        assert_eq!(s.count(ORG), 1, "{ask}: not retried");
    }
}

/// Issue 12 class 9: 500 is retried for reads and for the token request like other 5xx, and a
/// create's 500 is an unknown outcome (resolved by apply's lookup), never repeated.
#[tokio::test]
async fn five_hundred_is_retried_for_reads_and_the_token_and_ambiguous_for_creates() {
    let s = hostile::start(std::sync::Arc::new(|m: &str, p: &str, n| match (m, p) {
        ("POST", "/oauth/token") if n == 1 => {
            hostile::json(500, &serde_json::json!({"code": "internal.server.error"}))
        }
        ("POST", "/oauth/token") => hostile::token(),
        ("GET", ORG) if n <= 2 => hostile::json(500, &serde_json::json!({"code": "internal.server.error"})),
        ("GET", ORG) => hostile::json(200, &serde_json::json!({"id": "o", "name": "Org"})),
        _ => hostile::json(500, &serde_json::json!({"code": "internal.server.error", "message": "boom"})),
    }))
    .await;
    let c = hostile::client(&s);
    assert_eq!(c.org().await.unwrap().id, "o");
    assert_eq!((s.count("/oauth/token"), s.count(ORG)), (2, 3));
    let e = c.create_action(&serde_json::json!({"name": "A"})).await.unwrap_err();
    assert!(matches!(e, Error::Ambiguous { .. }), "{e}");
    assert_eq!(s.count("/api/v2/integrations/actions"), 1, "a create is never repeated after a 500");
}

/// Issue 12 class 5: an endless body is cut at the endpoint's cap and not retried.
#[tokio::test]
async fn an_endless_body_is_cut_at_its_cap_and_not_retried() {
    let s = hostile::start(std::sync::Arc::new(|_: &str, p: &str, _| {
        if p == "/oauth/token" {
            return hostile::token();
        }
        let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
        let endless = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
        axum::http::Response::builder().status(200).body(axum::body::Body::from_stream(endless)).unwrap()
    }))
    .await;
    let e = hostile::client(&s).org().await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert!(e.to_string().contains("larger than the 16 MiB gcsync reads"), "{e}");
    assert_eq!(s.count(ORG), 1);
}

/// Issue 12 class 5: a listing's page count is not trusted beyond `total`, an empty page ends
/// it, and an absurd claim is refused after one request.
#[tokio::test]
async fn listing_claims_are_bounded() {
    let item = serde_json::json!({"id": "i1", "name": "I"});
    let path = "/api/v2/integrations";
    for (claim, expect_requests, expect) in [
        (serde_json::json!({"pageCount": 1_000_000_000u64, "total": 1}), 1, Ok(1)),
        (serde_json::json!({"pageCount": 1_000_000_000u64}), 1, Err("claims 1000000000 pages")),
        (serde_json::json!({"pageCount": 5}), 2, Ok(1)),
    ] {
        let (claim2, item2) = (claim.clone(), item.clone());
        let s = hostile::start(std::sync::Arc::new(move |_: &str, p: &str, n| {
            if p == "/oauth/token" {
                return hostile::token();
            }
            let mut page = claim2.clone();
            page["entities"] =
                if n == 1 { serde_json::json!([item2.clone()]) } else { serde_json::json!([]) };
            hostile::json(200, &page)
        }))
        .await;
        let c = hostile::client(&s);
        let got = tokio::time::timeout(Duration::from_secs(30), c.list_integrations()).await.unwrap();
        match (got, expect) {
            (Ok(v), Ok(n)) => assert_eq!(v.len(), n, "{claim}"),
            (Err(e), Err(text)) => assert!(e.to_string().contains(text), "{claim}: {e}"),
            (got, _) => panic!("{claim}: {got:?}"),
        }
        // With parallelism 4, at most the pages in flight when the empty one arrived.
        assert!(
            s.count(path) <= expect_requests + 3 && s.count(path) >= expect_requests,
            "{claim}: {}",
            s.count(path)
        );
    }
}

/// Issue 12 class 12: failures that cannot heal are not retried: a token with CR/LF (a request
/// that cannot be built) and a redirect loop.
#[tokio::test]
async fn non_transient_failures_are_not_retried() {
    let s = hostile::start(std::sync::Arc::new(|_: &str, p: &str, _| {
        if p == "/oauth/token" {
            return hostile::json(
                200,
                &serde_json::json!({"access_token": "a\r\nX-Injected: 1", "expires_in": 3600}),
            );
        }
        hostile::json(200, &serde_json::json!({"id": "o"}))
    }))
    .await;
    let e = hostile::client(&s).org().await.unwrap_err();
    assert!(e.to_string().contains("not allowed in an HTTP header"), "{e}");
    assert!(!e.to_string().contains("X-Injected"), "{e}");
    assert_eq!((s.count("/oauth/token"), s.count(ORG)), (1, 0));

    let s = hostile::start(std::sync::Arc::new(|_: &str, p: &str, _| {
        if p == "/oauth/token" {
            return hostile::token();
        }
        axum::http::Response::builder()
            .status(302)
            .header("location", ORG)
            .body(axum::body::Body::empty())
            .unwrap()
    }))
    .await;
    let c = hostile::client(&s);
    let e = c.org().await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert_eq!(c.request_count(), 1, "one attempt (reqwest follows up to 10 redirects within it)");
    assert!(s.count(ORG) <= 11, "{}", s.count(ORG));
}
