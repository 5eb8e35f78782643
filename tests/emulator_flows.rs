//! The emulator's Architect flows and dependency tracking over real HTTP on loopback:
//! `GET /api/v2/flows`, `…/dependencytracking/consumingresources` (per version, `flowFilter`,
//! `resourceType`, paging, transitive through common modules, DATAACTION and SECUREACTION),
//! `GET|POST …/build`, `…/deletedresourceconsumers`, the admin routes, persistence with `--data`
//! and injected faults on the dependency-tracking paths.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "support/emulator.rs"]
mod common_emulator;

use common_emulator::{action_body, client, http, set_faults, start};
use gcsync::emulator::{Config, Running};
use serde_json::{Value, json};

const DT: &str = "/api/v2/architect/dependencytracking";

async fn token(emu: &Running) -> String {
    let r = http()
        .post(format!("{}/oauth/token", emu.url))
        .basic_auth(&emu.client_id, Some(&emu.client_secret))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string()
}

/// GET `path_and_query` with a token: (status, body).
async fn get(emu: &Running, token: &str, path_and_query: &str) -> (u16, Value) {
    let r = http().get(format!("{}{path_and_query}", emu.url)).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

/// Seeds a flow through the admin route and answers its id.
async fn seed(emu: &Running, body: Value) -> String {
    let r = http().post(format!("{}/__emulator/flows", emu.url)).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201, "{body}");
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn seed_err(emu: &Running, body: Value) -> (u16, String) {
    let r = http().post(format!("{}/__emulator/flows", emu.url)).json(&body).send().await.unwrap();
    (r.status().as_u16(), r.json::<Value>().await.unwrap()["message"].as_str().unwrap_or("").to_string())
}

/// (id, version, type) of each entity.
fn deps(v: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_string(),
                e["version"].as_str().unwrap().to_string(),
                e["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn flows_list_has_the_real_shape_paging_and_filters() {
    let emu = start(Config::default()).await;
    let t = token(&emu).await;
    let ivr = seed(
        &emu,
        json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "3.0", "checkedInVersion": "4.0", "consumes": []}),
    )
    .await;
    seed(&emu, json!({"name": "Chat", "type": "INBOUNDCHATFLOW", "checkedInVersion": "1.0"})).await;
    seed(&emu, json!({"name": "Lookup module", "type": "COMMONMODULE", "publishedVersion": 2})).await;

    let (s, all) = get(&emu, &t, "/api/v2/flows?pageSize=2").await;
    assert_eq!(s, 200);
    assert_eq!(
        (all["total"].as_u64(), all["pageCount"].as_u64(), all["pageSize"].as_u64()),
        (Some(3), Some(2), Some(2))
    );
    assert!(all["nextUri"].as_str().unwrap().contains("pageNumber=2"));
    let names: Vec<&str> =
        all["entities"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Chat", "Lookup module"], "sorted by name");
    let (_, p2) = get(&emu, &t, "/api/v2/flows?pageSize=2&pageNumber=2").await;
    let f = &p2["entities"][0];
    assert_eq!(f["id"], ivr.as_str());
    assert_eq!(f["type"], "INBOUNDCALL", "GET /api/v2/flows writes the flow type without FLOW");
    assert_eq!(f["active"], true);
    assert_eq!(f["publishedVersion"]["id"], "3.0");
    assert_eq!(f["publishedVersion"]["type"], "PUBLISH");
    assert_eq!(f["checkedInVersion"]["id"], "4.0");
    assert_eq!(f["checkedInVersion"]["type"], "CHECKIN");
    assert_eq!(f["selfUri"], format!("/api/v2/flows/{ivr}"));
    assert!(f["division"]["id"].is_string());

    let (_, modules) = get(&emu, &t, "/api/v2/flows?type=commonmodule").await;
    assert_eq!(modules["total"], 1);
    assert_eq!(modules["entities"][0]["publishedVersion"]["id"], "2.0", "a number version becomes N.0");
    assert_eq!(modules["entities"][0].get("checkedInVersion"), None);
    let (_, chat) = get(&emu, &t, "/api/v2/flows?type=INBOUNDCHAT&type=INBOUNDCALL&name=*a*").await;
    assert_eq!(chat["total"], 2);
    let (_, by_id) = get(&emu, &t, &format!("/api/v2/flows?id={ivr}")).await;
    assert_eq!(by_id["total"], 1);

    let (s, bad) = get(&emu, &t, "/api/v2/flows?pageSize=0").await;
    assert_eq!((s, bad["code"].as_str()), (400, Some("bad.request")));
    for path in ["/api/v2/flows", "/api/v2/architect/dependencytracking/build"] {
        let r = http().get(format!("{}{path}", emu.url)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn consuming_resources_per_version_filtered_paged_and_transitive() {
    let emu = start(Config::default()).await;
    let t = token(&emu).await;
    let act = "custom_-_11111111-1111-1111-1111-111111111111";
    let module = seed(
        &emu,
        json!({"name": "Lookup", "type": "COMMONMODULEFLOW", "publishedVersion": "2.0", "consumes": [{"id": act, "type": "DATAACTION"}]}),
    )
    .await;
    let ivr = seed(
        &emu,
        json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "3.0", "checkedInVersion": "4.0",
               "consumes": [{"id": act, "type": "DATAACTION"}]}),
    )
    .await;
    let via_module = seed(
        &emu,
        json!({"name": "Sales", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": module, "type": "COMMONMODULEFLOW"}]}),
    )
    .await;
    let draft_only = seed(
        &emu,
        json!({"name": "Draft chat", "type": "INBOUNDCHATFLOW", "checkedInVersion": "1.0", "consumes": [{"id": act, "type": "DATAACTION"}]}),
    )
    .await;
    let secure = seed(
        &emu,
        json!({"name": "Secure IVR", "type": "SECURECALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": act, "type": "SECUREACTION"}]}),
    )
    .await;
    seed(&emu, json!({"name": "Unrelated", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": "custom_-_other", "type": "DATAACTION"}]})).await;

    let q = |extra: &str| format!("{DT}/consumingresources?id={act}&objectType=DATAACTION&version=1{extra}");
    let (s, all) = get(&emu, &t, &q("")).await;
    assert_eq!(s, 200);
    let s = |id: &str, v: &str, ty: &str| (id.to_string(), v.to_string(), ty.to_string());
    let mut want = vec![
        s(&module, "2.0", "COMMONMODULEFLOW"),
        s(&ivr, "3.0", "INBOUNDCALLFLOW"),
        s(&ivr, "4.0", "INBOUNDCALLFLOW"),
        s(&via_module, "1.0", "INBOUNDCALLFLOW"),
        s(&draft_only, "1.0", "INBOUNDCHATFLOW"),
    ];
    want.sort();
    assert_eq!(deps(&all), want);
    let e = all["entities"].as_array().unwrap().iter().find(|e| e["id"] == ivr.as_str()).unwrap();
    assert_eq!(e["name"], "Main IVR");
    assert_eq!(
        (e["deleted"].as_bool(), e["updated"].as_bool(), e["stateUnknown"].as_bool()),
        (Some(false), Some(false), Some(false))
    );
    assert_eq!(e["selfUri"], format!("/api/v2/flows/{ivr}"));
    for k in ["pageSize", "pageNumber", "total", "pageCount", "firstUri", "selfUri", "lastUri"] {
        assert!(all.get(k).is_some(), "envelope has {k}");
    }

    let (_, published) = get(&emu, &t, &q("&flowFilter=published")).await;
    assert_eq!(published["total"], 3, "{published}");
    assert!(deps(&published).iter().all(|(id, _, _)| *id != draft_only));
    let (_, checked_in) = get(&emu, &t, &q("&flowFilter=checkedIn")).await;
    let mut want = vec![s(&ivr, "4.0", "INBOUNDCALLFLOW"), s(&draft_only, "1.0", "INBOUNDCHATFLOW")];
    want.sort();
    assert_eq!(deps(&checked_in), want);
    let (_, only_modules) = get(&emu, &t, &q("&resourceType=COMMONMODULEFLOW")).await;
    assert_eq!(deps(&only_modules), [s(&module, "2.0", "COMMONMODULEFLOW")]);

    // Paging: 5 entities by 2.
    let mut seen = Vec::new();
    for n in 1..=3 {
        let (_, p) = get(&emu, &t, &q(&format!("&pageSize=2&pageNumber={n}"))).await;
        assert_eq!((p["pageCount"].as_u64(), p["total"].as_u64()), (Some(3), Some(5)));
        assert_eq!(p.get("nextUri").is_some(), n < 3);
        seen.extend(deps(&p));
    }
    seen.sort();
    assert_eq!(seen, deps(&all));

    let (_, sec) =
        get(&emu, &t, &format!("{DT}/consumingresources?id={act}&objectType=SECUREACTION&version=1")).await;
    assert_eq!(deps(&sec), [s(&secure, "1.0", "SECURECALLFLOW")]);
    let (_, none) = get(&emu, &t, &format!("{DT}/consumingresources?id=nobody&objectType=DATAACTION")).await;
    assert_eq!(none["total"], 0);

    for (query, says) in [
        (format!("{DT}/consumingresources?objectType=DATAACTION"), "'id'"),
        (format!("{DT}/consumingresources?id={act}"), "'objectType'"),
        (format!("{DT}/consumingresources?id={act}&objectType=QUEUE"), "QUEUE"),
        (q("&flowFilter=all"), "flowFilter"),
        (q("&pageSize=501"), "pageSize"),
    ] {
        let (st, body) = get(&emu, &t, &query).await;
        assert_eq!(st, 400, "{query}");
        assert!(body["message"].as_str().unwrap().contains(says), "{query}: {body}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn build_status_settable_and_rebuilt() {
    let emu = start(Config::default()).await;
    let t = token(&emu).await;
    let (s, b) = get(&emu, &t, &format!("{DT}/build")).await;
    assert_eq!(s, 200);
    assert_eq!(b["status"], "OPERATIONAL");
    assert_eq!(b["failedObjects"], json!([]));
    assert!(b["dateStarted"].is_string() && b["dateCompleted"].is_string());

    let r = http()
        .put(format!("{}/__emulator/dependencytracking/build", emu.url))
        .json(&json!({"status": "BUILDINPROGRESS", "failedObjects": [{"id": "flow-9", "name": "Broken", "version": "1.0", "errorCode": "PARSE"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, b) = get(&emu, &t, &format!("{DT}/build")).await;
    assert_eq!(b["status"], "BUILDINPROGRESS");
    assert_eq!(
        b["failedObjects"][0],
        json!({"id": "flow-9", "name": "Broken", "version": "1.0", "errorCode": "PARSE"})
    );
    assert_eq!(b.get("dateCompleted"), None, "a running build has not completed");

    let r = http()
        .put(format!("{}/__emulator/dependencytracking/build", emu.url))
        .json(&json!({"status": "DONE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("OPERATIONALNEEDSREBUILD"));

    let r = http().post(format!("{}{DT}/build", emu.url)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let (_, b) = get(&emu, &t, &format!("{DT}/build")).await;
    assert_eq!(
        (b["status"].as_str(), b["failedObjects"].as_array().map(Vec::len)),
        (Some("OPERATIONAL"), Some(0))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn deleted_resource_consumers_lists_flows_still_using_deleted_actions() {
    let emu = start(common_emulator::profile_api_config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
    let kept = c.create_action(&action_body("Kept", &iid)).await.unwrap().id;
    let doomed = c.create_action(&action_body("Doomed", &iid)).await.unwrap().id;
    let t = token(&emu).await;
    let user = seed(
        &emu,
        json!({"name": "Uses doomed", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0",
               "consumes": [{"id": doomed, "type": "DATAACTION"}, {"id": kept, "type": "DATAACTION"}]}),
    )
    .await;
    seed(&emu, json!({"name": "Uses kept", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": kept, "type": "DATAACTION"}]})).await;

    let (s, before) = get(&emu, &t, &format!("{DT}/deletedresourceconsumers")).await;
    assert_eq!((s, before["total"].as_u64()), (200, Some(0)));
    c.delete_action(&doomed).await.unwrap();
    let (_, after) = get(&emu, &t, &format!("{DT}/deletedresourceconsumers?consumedResources=true")).await;
    assert_eq!(after["total"], 1, "{after}");
    let e = &after["entities"][0];
    assert_eq!(
        (e["id"].as_str(), e["type"].as_str(), e["version"].as_str()),
        (Some(user.as_str()), Some("INBOUNDCALLFLOW"), Some("1.0"))
    );
    assert_eq!(
        e["consumedResources"],
        json!([{"id": doomed, "type": "DATAACTION", "deleted": true, "updated": false, "stateUnknown": false}])
    );
    let (_, other_type) =
        get(&emu, &t, &format!("{DT}/deletedresourceconsumers?objectType=INBOUNDCHATFLOW")).await;
    assert_eq!(other_type["total"], 0);
    let (_, no_detail) = get(&emu, &t, &format!("{DT}/deletedresourceconsumers")).await;
    assert_eq!(no_detail["entities"][0].get("consumedResources"), None);
    emu.shutdown().await;
}

#[tokio::test]
async fn admin_routes_validate_and_delete() {
    let emu = start(Config::default()).await;
    let t = token(&emu).await;
    for (body, says) in [
        (json!({"name": "X", "type": "FAXFLOW", "publishedVersion": "1.0"}), "unknown flow type"),
        (json!({"name": "X", "type": "INBOUNDCALLFLOW"}), "publishedVersion, a checkedInVersion"),
        (
            json!({"name": "X", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": "q", "type": "QUEUE"}]}),
            "unknown type 'QUEUE'",
        ),
        (
            json!({"name": "X", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": "nope", "type": "COMMONMODULEFLOW"}]}),
            "no common module flow",
        ),
        (
            json!({"name": "X", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "colour": "red"}),
            "unknown field",
        ),
        (
            json!({"name": "X", "type": "INBOUNDCALLFLOW", "publishedVersion": true}),
            "publishedVersion must be",
        ),
    ] {
        let (status, message) = seed_err(&emu, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(message.contains(says), "{body}: {message}");
    }
    let id = seed(&emu, json!({"name": "Gone soon", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": "a", "type": "DATAACTION"}]})).await;
    let (status, _) =
        seed_err(&emu, json!({"name": "gone SOON", "type": "INBOUNDCALL", "publishedVersion": "1.0"})).await;
    assert_eq!(status, 409, "names are unique per flow type");
    let (_, c) = get(&emu, &t, &format!("{DT}/consumingresources?id=a&objectType=DATAACTION")).await;
    assert_eq!(c["total"], 1);
    let r = http().delete(format!("{}/__emulator/flows/{id}", emu.url)).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = http().delete(format!("{}/__emulator/flows/{id}", emu.url)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let (_, c) = get(&emu, &t, &format!("{DT}/consumingresources?id=a&objectType=DATAACTION")).await;
    assert_eq!(c["total"], 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn flows_and_build_persist_with_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("org.json");
    let emu = start(Config { data: Some(data.clone()), ..Config::default() }).await;
    let id = seed(&emu, json!({"name": "Kept", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": "a", "type": "DATAACTION"}]})).await;
    let r = http()
        .put(format!("{}/__emulator/dependencytracking/build", emu.url))
        .json(&json!({"status": "OPERATIONALNEEDSREBUILD"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    emu.shutdown().await;
    let saved: Value = serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    assert_eq!(saved["architect"]["flows"][&id]["name"], "Kept");
    let emu = start(Config { data: Some(data.clone()), ..Config::default() }).await;
    let t = token(&emu).await;
    let (_, c) = get(&emu, &t, &format!("{DT}/consumingresources?id=a&objectType=DATAACTION")).await;
    assert_eq!(deps(&c), [(id, "1.0".to_string(), "INBOUNDCALLFLOW".to_string())]);
    let (_, b) = get(&emu, &t, &format!("{DT}/build")).await;
    assert_eq!(b["status"], "OPERATIONALNEEDSREBUILD");
    emu.shutdown().await;
}

#[tokio::test]
async fn dependency_tracking_answers_injected_faults() {
    let emu = start(Config::default()).await;
    let t = token(&emu).await;
    set_faults(&emu, &[&format!("403 path={DT}")]).await;
    let (s, body) = get(&emu, &t, &format!("{DT}/consumingresources?id=a&objectType=DATAACTION")).await;
    assert_eq!((s, body["code"].as_str()), (403, Some("not.authorized")));
    let (s, _) = get(&emu, &t, "/api/v2/flows").await;
    assert_eq!(s, 200, "a fault on the dependency-tracking prefix leaves flows alone");
    set_faults(&emu, &[&format!("503 path={DT}/build retry-after=0")]).await;
    let (s, _) = get(&emu, &t, &format!("{DT}/build")).await;
    assert_eq!(s, 503);
    let (s, _) = get(&emu, &t, &format!("{DT}/consumingresources?id=a&objectType=DATAACTION")).await;
    assert_eq!(s, 200);
    emu.shutdown().await;
}

// --- the client (src/remote/flows.rs) against the emulator ---------------------------------

use gcsync::impact::{Consumer, Impact, Incomplete};

fn consumer(id: &str, name: &str, ty: &str, published: Option<&str>, checked_in: Option<&str>) -> Consumer {
    Consumer {
        id: id.into(),
        name: name.into(),
        flow_type: ty.into(),
        published_version: published.map(Into::into),
        checked_in_version: checked_in.map(Into::into),
    }
}

#[tokio::test]
async fn client_reads_consumers_into_an_impact_with_three_calls() {
    let emu = start(Config::default()).await;
    let c = client(&emu, |_| {});
    let act = "custom_-_aaaa";
    let module = seed(&emu, json!({"name": "Lookup", "type": "COMMONMODULEFLOW", "publishedVersion": "2.0", "consumes": [{"id": act, "type": "DATAACTION"}]})).await;
    let ivr = seed(&emu, json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "3.0", "checkedInVersion": "4.0", "consumes": [{"id": module, "type": "COMMONMODULEFLOW"}]})).await;
    let draft = seed(&emu, json!({"name": "Draft chat", "type": "INBOUNDCHATFLOW", "checkedInVersion": "1.0", "consumes": [{"id": act, "type": "DATAACTION"}]})).await;
    common_emulator::clear_requests(&emu).await;
    let impact = c.action_impact(act, false, Some(1)).await.unwrap();
    assert_eq!(
        impact,
        Impact {
            consumers: vec![
                consumer(&draft, "Draft chat", "INBOUNDCHATFLOW", None, Some("1.0")),
                consumer(&module, "Lookup", "COMMONMODULEFLOW", Some("2.0"), None),
                consumer(&ivr, "Main IVR", "INBOUNDCALLFLOW", Some("3.0"), Some("4.0")),
            ],
            incomplete: vec![],
        }
    );
    let log = common_emulator::requests(&emu).await;
    let paths: Vec<String> = log
        .iter()
        .filter(|e| e["path"].as_str().unwrap().starts_with("/api/"))
        .map(|e| format!("{} {}", e["path"].as_str().unwrap(), e["query"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(paths.len(), 3, "one build check and two consumer queries: {paths:#?}");
    assert!(paths[0].ends_with("/build "), "{paths:#?}");
    assert!(
        paths[1].contains("flowFilter=published")
            && paths[1].contains("version=1")
            && paths[1].contains("objectType=DATAACTION"),
        "{paths:#?}"
    );
    assert!(paths[2].contains("flowFilter=checkedIn"), "{paths:#?}");

    // A secure action is asked for as SECUREACTION: nobody consumes it that way here.
    let secure = c.action_impact(act, true, None).await.unwrap();
    assert_eq!(secure, Impact::default());
    emu.shutdown().await;
}

#[tokio::test]
async fn client_reads_every_page_of_consumers() {
    let emu = start(Config::default()).await;
    let c = client(&emu, |_| {});
    for i in 0..130 {
        seed(&emu, json!({"name": format!("Flow {i:03}"), "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": "custom_-_many", "type": "DATAACTION"}]})).await;
    }
    common_emulator::clear_requests(&emu).await;
    let impact = c.action_consumers("custom_-_many", false, None).await.unwrap();
    assert_eq!(impact.consumers.len(), 130);
    assert!(impact.is_complete());
    assert_eq!(impact.consumers[129].name, "Flow 129");
    let n = common_emulator::requests(&emu)
        .await
        .iter()
        .filter(|e| e["path"].as_str().unwrap().ends_with("/consumingresources"))
        .count();
    assert_eq!(n, 3, "2 published pages of 100 + 1 checked-in page");
    emu.shutdown().await;
}

#[tokio::test]
async fn client_reports_an_untrustworthy_build_as_incomplete() {
    let emu = start(Config::default()).await;
    let c = client(&emu, |_| {});
    let r = http()
        .put(format!("{}/__emulator/dependencytracking/build", emu.url))
        .json(&json!({"status": "OPERATIONALNEEDSREBUILD", "failedObjects": [{"id": "flow-9"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let impact = c.action_impact("custom_-_x", false, None).await.unwrap();
    assert_eq!(
        impact.incomplete,
        [
            Incomplete::NotOperational { status: "OPERATIONALNEEDSREBUILD".into() },
            Incomplete::FailedObjects { ids: vec!["flow-9".into()] }
        ]
    );
    assert_eq!(c.dependency_build().await.unwrap().status, "OPERATIONALNEEDSREBUILD");
    c.rebuild_dependencies().await.unwrap();
    assert!(c.dependency_health().await.unwrap().is_empty(), "a rebuild makes it trustworthy again");
    emu.shutdown().await;
}

#[tokio::test]
async fn client_turns_403_and_5xx_into_unknown_impact_never_no_consumers() {
    let emu = start(Config::default()).await;
    let c = client(&emu, |_| {});
    seed(&emu, json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "3.0", "consumes": [{"id": "custom_-_x", "type": "DATAACTION"}]})).await;
    let forbidden = Incomplete::Forbidden { permission: "architect:dependencyTracking:view".into() };

    set_faults(&emu, &[&format!("403 path={DT}")]).await;
    let impact = c.action_impact("custom_-_x", false, None).await.unwrap();
    assert_eq!(impact.consumers, []);
    assert_eq!(impact.incomplete, [forbidden.clone(), forbidden.clone()]);
    assert!(!impact.is_complete());

    set_faults(&emu, &[&format!("500 path={DT}/consumingresources")]).await;
    let impact = c.action_impact("custom_-_x", false, None).await.unwrap();
    assert_eq!(impact.incomplete, [Incomplete::ServerError { status: 500 }]);

    // The checked-in query fails after the published one answered: what was found is kept
    // (one attempt per request here, so the 503 is not retried away).
    let once = client(&emu, |o| o.max_attempts = 1);
    set_faults(&emu, &[&format!("503 path={DT}/consumingresources nth=2 retry-after=0")]).await;
    let impact = once.action_consumers("custom_-_x", false, None).await.unwrap();
    assert_eq!(impact.consumers.len(), 1, "{impact:?}");
    assert_eq!(impact.incomplete, [Incomplete::ServerError { status: 503 }]);

    // A dropped connection is not an answer at all: an error for the caller, not an impact.
    set_faults(&emu, &[&format!("drop path={DT}")]).await;
    let e = c.action_consumers("custom_-_x", false, None).await.unwrap_err();
    assert!(e.to_string().contains("consumingresources"), "{e}");
    emu.shutdown().await;
}

#[tokio::test]
async fn client_lists_deleted_resource_consumers() {
    let emu = start(common_emulator::profile_api_config()).await;
    let c = client(&emu, |_| {});
    let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
    let doomed = c.create_action(&action_body("Doomed", &iid)).await.unwrap().id;
    let flow = seed(&emu, json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "3.0", "consumes": [{"id": doomed, "type": "DATAACTION"}]})).await;
    assert!(c.deleted_resource_consumers().await.unwrap().is_empty());
    c.delete_action(&doomed).await.unwrap();
    let gone = c.deleted_resource_consumers().await.unwrap();
    assert_eq!(gone.len(), 1);
    assert_eq!(
        (gone[0].id.as_str(), gone[0].name.as_deref(), gone[0].kind.as_deref()),
        (flow.as_str(), Some("Main IVR"), Some("INBOUNDCALLFLOW"))
    );
    assert_eq!(
        gone[0].consumed_resources.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [doomed.as_str()]
    );
    emu.shutdown().await;
}
