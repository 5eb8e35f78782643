//! Flow impact in plan and apply (issue 15): deleting or replacing an action that Architect flows
//! use, against the emulator's flows and dependency tracking.

use crate::assert_snapshot;
use crate::common::{code, render};
use serde_json::{Value, json};

fn action_yaml(name: &str, extra_output: bool) -> String {
    let extra = if extra_output { "  email:\n    type: string\n    from: $.email\n" } else { "" };
    format!(
        "kind: DataAction\nname: {name}\nintegration: Profile API\ntimeoutSeconds: 10\nrequest:\n  method: GET\n  url: https://api.example.com/users/$esc.url(${{input.userId}})\n  headers:\n    Accept: application/json\ninputs:\n  userId: {{type: string, required: true}}\noutputs:\n  fullName:\n    type: string\n    from: $.name\n{extra}"
    )
}

/// The reconciler tests' project and emulator, with the flow and dependency-tracking
/// helpers below (also used by `usage`).
pub(crate) use crate::reconcile::Env;

impl Env {
    pub(crate) fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), 1, "{}", render(&out, self.dir.path()));
        render(&out, self.dir.path())
    }
    pub(crate) fn names(&self) -> Vec<String> {
        self.emu.actions().into_iter().map(|a| a.0).collect()
    }
    pub(crate) fn id_of(&self, name: &str) -> String {
        self.emu.actions().into_iter().find(|(n, _, _)| n == name).unwrap().1
    }
    pub(crate) fn seed_flow(&self, body: Value) -> String {
        let url = format!("{}/__emulator/flows", self.emu.url);
        self.emu.rt.block_on(async {
            let r = reqwest::Client::new().post(url).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 201);
            r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
        })
    }
    pub(crate) fn delete_flow(&self, id: &str) {
        let url = format!("{}/__emulator/flows/{id}", self.emu.url);
        self.emu.rt.block_on(async {
            let r = reqwest::Client::new().delete(url).send().await.unwrap();
            assert!(r.status().is_success(), "{}", r.status());
        });
    }
    pub(crate) fn set_build(&self, body: Value) {
        let url = format!("{}/__emulator/dependencytracking/build", self.emu.url);
        self.emu.rt.block_on(async {
            let r = reqwest::Client::new().put(url).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 200);
        });
    }
    /// API calls (method and path) since the last clear, without the token.
    pub(crate) fn dependency_calls(&self) -> usize {
        self.emu
            .requests()
            .iter()
            .filter(|r| r["path"].as_str().unwrap().starts_with("/api/v2/architect/dependencytracking"))
            .count()
    }
}

/// Two applied actions, each used by a published flow.
fn two_consumed() -> Env {
    let e = Env::new();
    e.dir.write("manifests/a.yaml", action_yaml("FetchUserProfile", false));
    e.dir.write("manifests/b.yaml", action_yaml("LookupOrder", false));
    e.ok(&["apply", "--auto-approve"]);
    let (profile, order) = (e.id_of("FetchUserProfile"), e.id_of("LookupOrder"));
    e.seed_flow(json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "3.0", "checkedInVersion": "4.0", "consumes": [{"id": profile, "type": "DATAACTION"}]}));
    e.seed_flow(json!({"name": "Orders chat", "type": "INBOUNDCHATFLOW", "publishedVersion": "1.0", "consumes": [{"id": order, "type": "DATAACTION"}]}));
    e
}

#[test]
fn delete_and_replace_of_consumed_actions_show_their_flows_and_are_refused() {
    let e = two_consumed();
    // A plan that deletes or replaces nothing reads no dependency tracking.
    e.emu.clear_requests();
    e.ok(&["plan"]);
    assert_eq!(e.dependency_calls(), 0);

    // Delete one (manifest removed), replace the other (contract changed).
    std::fs::remove_file(e.dir.path().join("manifests/a.yaml")).unwrap();
    e.dir.write("manifests/b.yaml", action_yaml("LookupOrder", true));
    e.emu.clear_requests();
    let out = e.fails(&["plan", "--allow-replace"]);
    assert_eq!(e.dependency_calls(), 1 + 2 * 2, "one build check, two queries per action");
    assert_snapshot!("flows_plan_refused_human", out);

    let out = e.run(&["plan", "--allow-replace", "--json"]);
    assert_eq!(code(&out), 1);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let consumers: Vec<(&str, &str, &str)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            c["consumers"].as_array().unwrap().iter().map(move |f| {
                (
                    c["name"].as_str().unwrap(),
                    f["name"].as_str().unwrap(),
                    f["published_version"].as_str().unwrap(),
                )
            })
        })
        .collect();
    assert_eq!(consumers, [("FetchUserProfile", "Main IVR", "3.0"), ("LookupOrder", "Orders chat", "1.0")]);
    assert_eq!(v["errors"].as_array().unwrap().len(), 2);

    // apply refuses too, and changes nothing.
    let out = e.fails(&["apply", "--auto-approve", "--allow-replace"]);
    assert!(out.contains("nothing was applied"), "{out}");
    assert_eq!(e.names(), ["FetchUserProfile", "LookupOrder"]);

    // Allowed for one action only: the other still blocks.
    let out =
        e.fails(&["apply", "--auto-approve", "--allow-replace", "--allow-breaking-flows", "LookupOrder"]);
    assert!(out.contains("deleting `FetchUserProfile` would break Architect flows"), "{out}");
    assert!(!out.contains("replacing `LookupOrder` would break"), "{out}");
    assert_eq!(e.names(), ["FetchUserProfile", "LookupOrder"]);

    // Allowed per action (flag for the delete, manifest field for the replace): it proceeds.
    e.dir
        .write("manifests/b.yaml", format!("{}allowBreakingFlows: true\n", action_yaml("LookupOrder", true)));
    let out =
        e.ok(&["apply", "--auto-approve", "--allow-replace", "--allow-breaking-flows", "FetchUserProfile"]);
    assert!(
        out.contains("published flows using it will break (allowed by `--allow-breaking-flows`)"),
        "{out}"
    );
    assert!(out.contains("allowed by `allowBreakingFlows: true` in its manifest"), "{out}");
    assert_eq!(e.names(), ["LookupOrder"]);
}

#[test]
fn a_checked_in_only_consumer_warns_but_does_not_block() {
    let e = Env::new();
    e.dir.write("manifests/a.yaml", action_yaml("FetchUserProfile", false));
    e.dir.write("manifests/keep.yaml", action_yaml("Keeper", false));
    e.ok(&["apply", "--auto-approve"]);
    let id = e.id_of("FetchUserProfile");
    e.seed_flow(json!({"name": "Draft IVR", "type": "INBOUNDCALLFLOW", "checkedInVersion": "1.0", "consumes": [{"id": id, "type": "DATAACTION"}]}));
    std::fs::remove_file(e.dir.path().join("manifests/a.yaml")).unwrap();
    assert_snapshot!("flows_plan_checked_in_only_human", e.snap(&["plan"]));
    // The Terraform-shaped and Markdown formats carry the flows among the change's reasons.
    for format in ["terraform", "markdown"] {
        let out = e.ok(&["plan", "--format", format]);
        assert!(
            out.contains(
                "used by Architect flows: Draft IVR (INBOUNDCALLFLOW, checked in 1.0, not published)"
            ),
            "{format}: {out}"
        );
    }
    e.ok(&["apply", "--auto-approve"]);
    assert_eq!(e.names(), ["Keeper"]);
}

#[test]
fn an_unknown_impact_is_refused_unless_allowed() {
    let e = Env::new();
    e.dir.write("manifests/a.yaml", action_yaml("FetchUserProfile", false));
    e.dir.write("manifests/keep.yaml", action_yaml("Keeper", false));
    e.ok(&["apply", "--auto-approve"]);
    std::fs::remove_file(e.dir.path().join("manifests/a.yaml")).unwrap();

    // The dependency build is not operational: incomplete, refused.
    e.set_build(json!({"status": "BUILDINPROGRESS", "failedObjects": [{"id": "flow-9"}]}));
    assert_snapshot!("flows_plan_incomplete_build_human", e.snap(&["plan"]));
    let out = e.run(&["plan", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["changes"][0]["consumers"], json!([]));
    assert_eq!(v["changes"][0]["consumers_incomplete"].as_array().unwrap().len(), 2);

    // 403 (missing architect:dependencyTracking:view): unknown, refused — never "no consumers".
    e.set_build(json!({"status": "OPERATIONAL"}));
    e.emu.set_faults(&["403 path=/api/v2/architect/dependencytracking/consumingresources"]);
    let out = e.fails(&["apply", "--auto-approve"]);
    assert!(out.contains("missing permission architect:dependencyTracking:view"), "{out}");
    assert!(!out.contains("used by no Architect flow"), "{out}");
    assert_eq!(e.names(), ["FetchUserProfile", "Keeper"]);
    // A 5xx likewise.
    e.emu.set_faults(&["503 path=/api/v2/architect/dependencytracking/build"]);
    let out = e.fails(&["plan"]);
    assert!(out.contains("dependency tracking answered HTTP 503"), "{out}");

    // Allowed for that action: it proceeds, saying the impact is unknown.
    e.emu.set_faults(&["403 path=/api/v2/architect/dependencytracking/consumingresources"]);
    let out = e.ok(&["apply", "--auto-approve", "--allow-breaking-flows", "FetchUserProfile"]);
    assert!(out.contains("the flows using it are unknown"), "{out}");
    assert_eq!(e.names(), ["Keeper"]);
}

#[test]
fn a_saved_plan_is_stale_when_a_published_flow_starts_using_a_deleted_action() {
    let e = Env::new();
    e.dir.write("manifests/a.yaml", action_yaml("FetchUserProfile", false));
    e.dir.write("manifests/keep.yaml", action_yaml("Keeper", false));
    e.ok(&["apply", "--auto-approve"]);
    std::fs::remove_file(e.dir.path().join("manifests/a.yaml")).unwrap();
    e.ok(&["plan", "--out", "p.json"]);
    let saved: Value = serde_json::from_str(&e.dir.read("p.json")).unwrap();
    assert_eq!(saved["plan"]["changes"][0]["consumers"], json!([]), "the saved plan records consumers");
    let id = e.id_of("FetchUserProfile");
    e.seed_flow(json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": id, "type": "DATAACTION"}]}));
    let out = e.fails(&["apply", "p.json"]);
    assert!(
        out.contains("the saved plan is stale: published flows started using `FetchUserProfile` since the plan was made: Main IVR (INBOUNDCALLFLOW, published 1.0)"),
        "{out}"
    );
    assert_eq!(e.names(), ["FetchUserProfile", "Keeper"]);
    let out = e.fails(&["apply", "p.json", "--allow-breaking-flows", "FetchUserProfile"]);
    assert!(out.contains("`--allow-breaking-flows` belongs to the plan"), "{out}");
}

#[test]
fn contract_migration_recipe_runs_end_to_end() {
    let e = Env::new();
    e.dir.write("manifests/profile.yaml", action_yaml("FetchUserProfile", false));
    e.ok(&["apply", "--auto-approve"]);
    let v1 = e.id_of("FetchUserProfile");
    let flow = e.seed_flow(json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": v1, "type": "DATAACTION"}]}));

    // 1. The new contract under a new name, applied beside the old one.
    e.dir.write("manifests/profile-v2.yaml", action_yaml("FetchUserProfile v2", true));
    e.ok(&["apply", "--auto-approve"]);
    let v2 = e.id_of("FetchUserProfile v2");
    // 2. Remove the old manifest too early: its delete is held back while the flow uses it.
    std::fs::remove_file(e.dir.path().join("manifests/profile.yaml")).unwrap();
    let out = e.fails(&["apply", "--auto-approve"]);
    assert!(
        out.contains(
            "deleting `FetchUserProfile` would break Architect flows: published flows use it: Main IVR"
        ),
        "{out}"
    );
    assert_eq!(e.names(), ["FetchUserProfile", "FetchUserProfile v2"]);
    // 3. Republish the flow onto v2 (version 2.0 uses v2 only).
    e.delete_flow(&flow);
    e.seed_flow(json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "2.0", "consumes": [{"id": v2, "type": "DATAACTION"}]}));
    // 4. Now the delete goes through.
    let out = e.ok(&["apply", "--auto-approve"]);
    assert!(out.contains("used by no Architect flow"), "{out}");
    assert_eq!(e.names(), ["FetchUserProfile v2"]);
    e.ok(&["plan", "--detailed-exitcode"]);
}

#[test]
fn drift_reports_flows_that_still_use_a_deleted_owned_action() {
    let e = Env::new();
    e.dir.write("manifests/a.yaml", action_yaml("FetchUserProfile", false));
    e.dir.write("manifests/keep.yaml", action_yaml("Keeper", false));
    e.ok(&["apply", "--auto-approve"]);
    let id = e.id_of("FetchUserProfile");
    e.seed_flow(json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "3.0", "consumes": [{"id": id, "type": "DATAACTION"}]}));
    // A flow using an action gcsync does not own is not gcsync's broken reference.
    e.seed_flow(json!({"name": "Other IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": "someone-elses-action", "type": "DATAACTION"}]}));
    assert_eq!(code(&e.run(&["drift"])), 0);
    // Someone deletes the action by hand: drift reports it and the flow that still uses it.
    let client = e.emu.client();
    e.emu.rt.block_on(async { client.delete_action(&id).await.unwrap() });
    assert_snapshot!("flows_drift_broken_reference_human", e.snap(&["drift"]));
    let out = e.run(&["drift", "--json"]);
    assert_eq!(code(&out), 2);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["broken_references"],
        json!([{"action": "FetchUserProfile", "action_id": id, "flow_id": v["broken_references"][0]["flow_id"], "flow_name": "Main IVR", "flow_type": "INBOUNDCALLFLOW", "flow_version": "3.0"}])
    );
    // Dependency tracking refusing (403): said, never "no broken references".
    e.emu.set_faults(&["403 path=/api/v2/architect/dependencytracking/deletedresourceconsumers"]);
    let out = e.run(&["drift", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["broken_references_unknown"],
        "dependency tracking answered 403 (missing permission architect:dependencyTracking:view)"
    );
}

// An action gcsync deleted itself (allowed to break its flow) is remembered in the state's
// `retired` list: drift still reports the flow that uses it.
#[test]
fn drift_reports_flows_that_still_use_an_action_gcsync_deleted() {
    let e = Env::new();
    e.dir.write("manifests/a.yaml", action_yaml("FetchUserProfile", false));
    e.dir.write("manifests/keep.yaml", action_yaml("Keeper", false));
    e.ok(&["apply", "--auto-approve"]);
    let id = e.id_of("FetchUserProfile");
    e.seed_flow(json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "3.0", "consumes": [{"id": id, "type": "DATAACTION"}]}));
    std::fs::remove_file(e.dir.path().join("manifests/a.yaml")).unwrap();
    e.ok(&["apply", "--auto-approve", "--allow-breaking-flows", "FetchUserProfile"]);
    let state: Value = serde_json::from_str(&e.dir.read("state/gcsync.state.json")).unwrap();
    assert_eq!(state["retired"], json!([{"name": "FetchUserProfile", "id": id}]));
    let out = e.run(&["drift", "--json"]);
    assert_eq!(code(&out), 2);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["broken_references"][0]["action"], "FetchUserProfile", "{v}");
    assert_eq!(v["broken_references"][0]["flow_name"], "Main IVR", "{v}");
}

#[test]
fn a_secure_action_is_looked_up_as_a_secure_action() {
    let e = Env::new();
    e.dir.write("manifests/a.yaml", format!("{}secure: true\n", action_yaml("FetchCard", false)));
    e.dir.write("manifests/keep.yaml", action_yaml("Keeper", false));
    e.ok(&["apply", "--auto-approve"]);
    let id = e.id_of("FetchCard");
    e.seed_flow(json!({"name": "Payments IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "1.0", "consumes": [{"id": id, "type": "SECUREACTION"}]}));
    std::fs::remove_file(e.dir.path().join("manifests/a.yaml")).unwrap();
    e.emu.clear_requests();
    let out = e.fails(&["plan"]);
    assert!(out.contains("published flows use it: Payments IVR (INBOUNDCALLFLOW, published 1.0)"), "{out}");
    let secure_queries = e
        .emu
        .requests()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().ends_with("/consumingresources"))
        .filter(|r| r.to_string().contains("SECUREACTION"))
        .count();
    assert_eq!(secure_queries, 2, "{:?}", e.emu.requests());
}
