//! The formats CI tools read, end to end: the real binary against the emulator on a free
//! loopback port. A plan with every kind of change — create, update, replace, delete,
//! forget (already gone), rename, drift (deleted and edited by hand), no-op, an integration
//! create — is saved, then shown as Terraform's plan JSON (checked field by field, and
//! through GitLab's documented `jq` filter), as Terraform's text (through tfcmt's line
//! patterns), as Markdown (snapshot), and applied with `--json-stream` (every line parsed
//! into the documented event types, in order). `validate --format sarif` is checked
//! against the SARIF 2.1.0 JSON schema (tests/fixtures/sarif-schema-2.1.0.json) and
//! `--format github` against GitHub's workflow-command syntax.

use crate::assert_snapshot;
use crate::common::{BgEmulator, TestDir, code, render};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};

fn action_yaml(name: &str, timeout: u32, extra_output: bool, extra: &str) -> String {
    let out = if extra_output { "\n  plan:\n    type: string\n    from: $.plan" } else { "" };
    format!(
        "kind: DataAction\nname: {name}\nintegration: Profile API\ntimeoutSeconds: {timeout}\n{extra}request:\n  method: GET\n  url: https://api.example.com/users/$esc.url(${{input.userId}})\n  headers:\n    Accept: application/json\ninputs:\n  userId: {{type: string, required: true}}\noutputs:\n  fullName:\n    type: string\n    from: $.name{out}\n"
    )
}

struct Env {
    dir: TestDir,
    emu: BgEmulator,
}

impl Env {
    fn new() -> Self {
        Self { dir: TestDir::new(), emu: BgEmulator::with_profile_api() }
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.dir.gcsync();
        self.emu.env(&mut c);
        c.args(args);
        c.stdin(Stdio::null());
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), 0, "{}", render(&out, self.dir.path()));
        String::from_utf8_lossy(&out.stdout).to_string()
    }
    fn write(&self, rel: &str, body: &str) {
        self.dir.write(rel, body);
    }
    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.dir.path().join(rel)).unwrap();
    }
    fn id_of(&self, name: &str) -> String {
        self.emu.actions().into_iter().find(|a| a.0 == name).unwrap().1
    }
}

/// Ids of the actions before the changes.
struct Ids {
    upd: String,
    repl: String,
    del: String,
    old: String,
    patched: String,
    same: String,
}

/// Applies a first set of actions, then changes manifests and the org so the next plan
/// holds every kind of change.
fn every_kind_of_change() -> (Env, Ids) {
    let e = Env::new();
    e.write("manifests/upd.yaml", &action_yaml("Upd", 10, false, ""));
    e.write("manifests/repl.yaml", &action_yaml("Repl", 10, false, "allowReplace: true\n"));
    e.write("manifests/del.yaml", &action_yaml("Del", 10, false, ""));
    e.write("manifests/gone.yaml", &action_yaml("Gone", 10, false, ""));
    e.write("manifests/old.yaml", &action_yaml("OldName", 10, false, ""));
    e.write("manifests/drifted.yaml", &action_yaml("Drifted", 10, false, ""));
    e.write("manifests/patched.yaml", &action_yaml("Patched", 10, false, ""));
    e.write("manifests/same.yaml", &action_yaml("Same", 10, false, ""));
    e.ok(&["apply", "--auto-approve"]);
    let ids = Ids {
        upd: e.id_of("Upd"),
        repl: e.id_of("Repl"),
        del: e.id_of("Del"),
        old: e.id_of("OldName"),
        patched: e.id_of("Patched"),
        same: e.id_of("Same"),
    };
    // Manifest changes.
    e.write("manifests/upd.yaml", &action_yaml("Upd", 25, false, ""));
    e.write("manifests/repl.yaml", &action_yaml("Repl", 10, true, "allowReplace: true\n"));
    e.remove("manifests/del.yaml");
    e.remove("manifests/gone.yaml");
    e.remove("manifests/old.yaml");
    e.write("manifests/new.yaml", &action_yaml("NewName", 10, false, "renamedFrom: OldName\n"));
    e.write("manifests/fresh.yaml", &action_yaml("Fresh", 10, false, ""));
    e.write(
        "manifests/ops.yaml",
        "kind: Integration\nname: Ops API\ntype: custom-rest-actions\nnotes: Operations.\n",
    );
    // Changes made by hand in the org.
    let c = e.emu.client();
    let gone = e.id_of("Gone");
    let drifted = e.id_of("Drifted");
    let (_, patched, version) = e.emu.actions().into_iter().find(|a| a.0 == "Patched").unwrap();
    e.emu.rt.block_on(async {
        c.delete_action(&gone).await.unwrap();
        c.delete_action(&drifted).await.unwrap();
        let full = c.get_action_full(&patched, false).await.unwrap();
        let mut config = serde_json::to_value(full.config.unwrap()).unwrap();
        config["timeoutSeconds"] = 45.into();
        c.patch_action(&patched, &json!({"config": config, "version": version})).await.unwrap();
    });
    (e, ids)
}

fn by_address(list: &Value) -> BTreeMap<String, Value> {
    list.as_array().unwrap().iter().map(|r| (r["address"].as_str().unwrap().to_string(), r.clone())).collect()
}

/// GitLab's documented filter (doc/user/infrastructure/iac/mr_integration.md).
const GITLAB_JQ: &str = r#"([.resource_changes[]?.change.actions?]|flatten)|{"create":(map(select(.=="create"))|length),"update":(map(select(.=="update"))|length),"delete":(map(select(.=="delete"))|length)}"#;

/// The real jq on the document, or None (the test then says why) when jq is missing
/// outside CI; in CI a missing jq fails.
fn jq(filter: &str, input: &str) -> Option<Value> {
    let child = Command::new("jq")
        .args(["-c", filter])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "jq is required in CI (.ci/run installs it): {e}");
            eprintln!("SKIPPED the jq half of this test: jq is not installed ({e})");
            return None;
        }
    };
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "jq failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn terraform_plan_json_of_every_kind_of_change() {
    let (e, ids) = every_kind_of_change();
    e.ok(&["plan", "--out", "plan.json"]);
    // Terraform's spelling and gcsync's long flag give the same document.
    let text = e.ok(&["show", "-json", "plan.json"]);
    assert_eq!(text, e.ok(&["show", "--terraform-json", "plan.json"]));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["format_version"], "1.2");
    assert_eq!(doc["applyable"], true);
    assert_eq!(doc["complete"], true);
    assert_eq!(doc["errored"], false);
    let rc = by_address(&doc["resource_changes"]);
    let names: Vec<&str> = rc.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "gcsync_data_action.Del",
            "gcsync_data_action.Drifted",
            "gcsync_data_action.Fresh",
            "gcsync_data_action.Gone",
            "gcsync_data_action.NewName",
            "gcsync_data_action.Patched",
            "gcsync_data_action.Repl",
            "gcsync_data_action.Same",
            "gcsync_data_action.Upd",
            "gcsync_integration.Ops API",
        ],
        "every owned or declared object, and nothing else (the unowned Profile API integration is absent)"
    );
    for (addr, r) in &rc {
        assert_eq!(r["mode"], "managed", "{addr}");
        let (ty, name) = addr.split_once('.').unwrap();
        assert_eq!((r["type"].as_str().unwrap(), r["name"].as_str().unwrap()), (ty, name), "{addr}");
    }
    let actions = |a: &str| rc[a]["change"]["actions"].clone();

    // Create.
    let fresh = &rc["gcsync_data_action.Fresh"];
    assert_eq!(actions("gcsync_data_action.Fresh"), json!(["create"]));
    assert_eq!(fresh["change"]["before"], Value::Null);
    assert_eq!(fresh["change"]["after"]["name"], "Fresh");
    assert_eq!(fresh["change"]["after"]["integration"], "Profile API");
    assert_eq!(fresh["change"]["after"]["config"]["timeoutSeconds"], 10);
    assert_eq!(fresh["change"]["after"]["config"]["request"]["requestType"], "GET");
    assert_eq!(fresh["change"]["after"]["contract"]["input"]["properties"]["userId"]["type"], "string");
    assert_eq!(fresh["change"]["after_unknown"], json!({"id": true}));
    assert!(fresh.get("action_reason").is_none());

    // Update in place.
    let upd = &rc["gcsync_data_action.Upd"];
    assert_eq!(actions("gcsync_data_action.Upd"), json!(["update"]));
    assert_eq!(upd["change"]["before"]["config"]["timeoutSeconds"], 10);
    assert_eq!(upd["change"]["after"]["config"]["timeoutSeconds"], 25);
    assert_eq!(upd["change"]["before"]["id"], ids.upd.as_str());
    assert_eq!(upd["change"]["after"]["id"], ids.upd.as_str());
    assert_eq!(upd["change"]["before"]["contract"], upd["change"]["after"]["contract"]);

    // Replace: delete then create, because the contract cannot change in place.
    let repl = &rc["gcsync_data_action.Repl"];
    assert_eq!(actions("gcsync_data_action.Repl"), json!(["delete", "create"]));
    assert_eq!(repl["action_reason"], "replace_because_cannot_update");
    assert_eq!(repl["change"]["replace_paths"], json!([["contract", "output"]]));
    assert_eq!(repl["change"]["before"]["id"], ids.repl.as_str());
    assert!(repl["change"]["before"]["contract"]["output"]["properties"].get("plan").is_none());
    assert_eq!(repl["change"]["after"]["contract"]["output"]["properties"]["plan"]["type"], "string");
    assert_eq!(repl["change"]["after_unknown"], json!({"id": true}));

    // Delete.
    let del = &rc["gcsync_data_action.Del"];
    assert_eq!(actions("gcsync_data_action.Del"), json!(["delete"]));
    assert_eq!(del["action_reason"], "delete_because_no_resource_config");
    assert_eq!(del["change"]["before"]["id"], ids.del.as_str());
    assert_eq!(del["change"]["after"], Value::Null);

    // Forget: deleted by hand and out of the manifests: only the state entry goes.
    let gone = &rc["gcsync_data_action.Gone"];
    assert_eq!(actions("gcsync_data_action.Gone"), json!(["forget"]));
    assert_eq!(gone["change"]["after"], Value::Null);
    assert!(gone.get("action_reason").is_none());

    // Rename (`renamedFrom`): same id, previous address.
    let new = &rc["gcsync_data_action.NewName"];
    assert_eq!(actions("gcsync_data_action.NewName"), json!(["update"]));
    assert_eq!(new["previous_address"], "gcsync_data_action.OldName");
    assert_eq!(new["change"]["before"]["name"], "OldName");
    assert_eq!(new["change"]["after"]["name"], "NewName");
    assert_eq!(new["change"]["before"]["id"], ids.old.as_str());

    // Drift: deleted by hand → created again; edited by hand → updated back.
    assert_eq!(actions("gcsync_data_action.Drifted"), json!(["create"]));
    let patched = &rc["gcsync_data_action.Patched"];
    assert_eq!(actions("gcsync_data_action.Patched"), json!(["update"]));
    assert_eq!(patched["change"]["before"]["config"]["timeoutSeconds"], 45);
    assert_eq!(patched["change"]["after"]["config"]["timeoutSeconds"], 10);
    assert_eq!(patched["change"]["after"]["id"], ids.patched.as_str());
    let drift = by_address(&doc["resource_drift"]);
    assert_eq!(
        drift.keys().collect::<Vec<_>>(),
        ["gcsync_data_action.Drifted", "gcsync_data_action.Patched"]
    );
    assert_eq!(drift["gcsync_data_action.Drifted"]["change"]["actions"], json!(["delete"]));
    assert_eq!(drift["gcsync_data_action.Drifted"]["change"]["after"], Value::Null);
    assert_eq!(drift["gcsync_data_action.Patched"]["change"]["actions"], json!(["update"]));
    assert_eq!(drift["gcsync_data_action.Patched"]["change"]["after"]["config"]["timeoutSeconds"], 45);
    assert_eq!(
        doc["relevant_attributes"],
        json!([{"resource": "gcsync_data_action.Patched", "attribute": ["config", "timeoutSeconds"]}])
    );

    // No-op.
    let same = &rc["gcsync_data_action.Same"];
    assert_eq!(actions("gcsync_data_action.Same"), json!(["no-op"]));
    assert_eq!(same["change"]["before"], same["change"]["after"]);
    assert_eq!(same["change"]["before"]["id"], ids.same.as_str());

    // An integration create.
    let ops = &rc["gcsync_integration.Ops API"];
    assert_eq!(actions("gcsync_integration.Ops API"), json!(["create"]));
    assert_eq!(ops["change"]["after"]["type"], "custom-rest-actions");
    assert_eq!(ops["change"]["after"]["notes"], "Operations.");

    // GitLab's report: gcsync's and the documented jq filter agree on Terraform's counting
    // (a replace is a create and a delete; forget and no-op count nothing).
    let report: Value = serde_json::from_str(&e.ok(&["show", "--gitlab-report", "plan.json"])).unwrap();
    assert_eq!(report, json!({"create": 4, "update": 3, "delete": 2}));
    if let Some(from_jq) = jq(GITLAB_JQ, &text) {
        assert_eq!(from_jq, report);
    }

    // gcsync's own JSON is still there, unchanged in shape.
    let own: Value = serde_json::from_str(&e.ok(&["show", "--json", "plan.json"])).unwrap();
    assert_eq!(own["format_version"], "1");
    assert_eq!(own["summary"], json!({"add": 3, "change": 3, "replace": 1, "destroy": 2}));
}

#[test]
fn terraform_text_and_markdown_of_every_kind_of_change() {
    let (e, _) = every_kind_of_change();
    e.ok(&["plan", "--out", "plan.json"]);
    let text = e.ok(&["show", "--format", "terraform", "plan.json"]);
    // tfcmt's patterns (pkg/terraform/parser.go) find every change.
    let pat = |p: &str| regex::Regex::new(p).unwrap();
    let (create, update, delete, replace) = (
        pat(r"^ *# (.*) will be created$"),
        pat(r"^ *# (.*) will be updated in-place$"),
        pat(r"^ *# (.*) will be destroyed$"),
        pat(r"^ *# (.*?)(?: is tainted, so)? must be replaced$"),
    );
    let found = |re: &regex::Regex| -> Vec<String> {
        text.lines().filter_map(|l| re.captures(l).map(|c| c[1].to_string())).collect()
    };
    assert_eq!(
        found(&create),
        ["gcsync_integration.Ops API", "gcsync_data_action.Drifted", "gcsync_data_action.Fresh"],
        "{text}"
    );
    assert_eq!(
        found(&update),
        ["gcsync_data_action.NewName", "gcsync_data_action.Patched", "gcsync_data_action.Upd"]
    );
    assert_eq!(found(&delete), ["gcsync_data_action.Del"]);
    assert_eq!(found(&replace), ["gcsync_data_action.Repl"]);
    assert!(text.lines().any(|l| l == "  # (moved from gcsync_data_action.OldName)"), "{text}");
    assert!(text.lines().any(|l| l == "Terraform will perform the following actions:"));
    assert!(text.lines().any(|l| l == "Note: Objects have changed outside of Terraform"));
    let plan_line: Vec<&str> = text.lines().filter(|l| pat(r"^(Plan: \d|No changes.)").is_match(l)).collect();
    assert_eq!(plan_line, ["Plan: 4 to add, 3 to change, 2 to destroy."]);
    assert_snapshot!("show_terraform_text", text);

    let md = e.ok(&["show", "--markdown", "plan.json"]);
    assert_eq!(md, e.ok(&["show", "--format", "markdown", "plan.json"]));
    // Replaced, then deleted resources come first, in the table and in the sections.
    let order: Vec<&str> = md.lines().filter(|l| l.starts_with("<details>")).collect();
    assert!(order[0].contains("<b>Repl</b> must be replaced"), "{md}");
    assert!(order[1].contains("<b>Del</b> will be deleted"), "{md}");
    assert_snapshot!("show_markdown", md);
    // The same plan, straight from `plan --format markdown`.
    let from_plan = e.ok(&["plan", "--format", "markdown"]);
    let from_table = |t: &str| t[t.find("| |").unwrap()..].to_string();
    assert_eq!(from_table(&from_plan), from_table(&md));
    assert!(from_plan.contains("org <code>gcsync local org</code>"), "{from_plan}");
}

/// The envelope every event line has.
#[derive(Debug, Deserialize)]
struct Line {
    #[serde(rename = "@level")]
    level: String,
    #[serde(rename = "@message")]
    message: String,
    #[serde(rename = "@module")]
    module: String,
    #[serde(rename = "@timestamp")]
    timestamp: String,
    #[serde(flatten)]
    event: Event,
}

#[derive(Debug, Deserialize)]
struct ResourceAddr {
    addr: String,
    module: String,
    resource: String,
    implied_provider: String,
    resource_type: String,
    resource_name: String,
    resource_key: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct RefreshHook {
    resource: ResourceAddr,
    id_key: String,
    id_value: String,
}

#[derive(Debug, Deserialize)]
struct PlannedChange {
    resource: ResourceAddr,
    action: String,
    #[serde(default)]
    previous_resource: Option<ResourceAddr>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Changes {
    add: usize,
    change: usize,
    import: usize,
    remove: usize,
    operation: String,
}

#[derive(Debug, Deserialize)]
struct Diag {
    severity: String,
    summary: String,
    detail: String,
}

#[derive(Debug, Deserialize)]
struct StartHook {
    resource: ResourceAddr,
    action: String,
    #[serde(default)]
    id_value: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TimedHook {
    resource: ResourceAddr,
    action: String,
    #[serde(default)]
    id_value: Option<String>,
    elapsed_seconds: f64,
}

/// The documented event types (README "Streaming events").
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    Version { gcsync: String, ui: String },
    RefreshStart { hook: RefreshHook },
    RefreshComplete { hook: RefreshHook },
    ResourceDrift { change: PlannedChange },
    PlannedChange { change: PlannedChange },
    ChangeSummary { changes: Changes },
    Diagnostic { diagnostic: Diag },
    ApplyStart { hook: StartHook },
    ApplyProgress { hook: TimedHook },
    ApplyComplete { hook: TimedHook },
    ApplyErrored { hook: TimedHook },
}

/// Every resource address has Terraform's fields, consistent with each other.
fn check_addr(a: &ResourceAddr) {
    let (ty, name) = a.addr.split_once('.').unwrap();
    assert_eq!((a.resource_type.as_str(), a.resource_name.as_str()), (ty, name));
    assert_eq!((a.module.as_str(), a.resource.as_str()), ("", a.addr.as_str()));
    assert_eq!(a.implied_provider, "gcsync");
    assert!(a.resource_key.as_ref().is_none_or(Value::is_null));
}

fn check_event(e: &Event) {
    match e {
        Event::RefreshStart { hook } | Event::RefreshComplete { hook } => {
            check_addr(&hook.resource);
            assert_eq!(hook.id_key, "id");
            assert!(!hook.id_value.is_empty());
        }
        Event::ResourceDrift { change } | Event::PlannedChange { change } => {
            check_addr(&change.resource);
            if let Some(p) = &change.previous_resource {
                check_addr(p);
            }
        }
        Event::ApplyStart { hook } => {
            check_addr(&hook.resource);
            // An existing object's id is known when its step starts.
            if ["update", "delete", "replace"].contains(&hook.action.as_str()) {
                assert!(hook.id_value.is_some(), "{hook:?}");
            }
        }
        Event::ApplyProgress { hook } | Event::ApplyComplete { hook } | Event::ApplyErrored { hook } => {
            check_addr(&hook.resource);
            assert!(hook.elapsed_seconds >= 0.0);
        }
        Event::Version { .. } | Event::ChangeSummary { .. } | Event::Diagnostic { .. } => {}
    }
}

fn parse_stream(stdout: &[u8]) -> Vec<Line> {
    let text = String::from_utf8(stdout.to_vec()).unwrap();
    text.lines()
        .map(|l| {
            let line: Line =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a documented event: {e}\n{l}"));
            assert_eq!(line.module, "gcsync.ui");
            assert!(humantime::parse_rfc3339(&line.timestamp).is_ok(), "{}", line.timestamp);
            assert!(["info", "warn", "error"].contains(&line.level.as_str()));
            check_event(&line.event);
            line
        })
        .collect()
}

fn kind(e: &Event) -> &'static str {
    match e {
        Event::Version { .. } => "version",
        Event::RefreshStart { .. } => "refresh_start",
        Event::RefreshComplete { .. } => "refresh_complete",
        Event::ResourceDrift { .. } => "resource_drift",
        Event::PlannedChange { .. } => "planned_change",
        Event::ChangeSummary { .. } => "change_summary",
        Event::Diagnostic { .. } => "diagnostic",
        Event::ApplyStart { .. } => "apply_start",
        Event::ApplyProgress { .. } => "apply_progress",
        Event::ApplyComplete { .. } => "apply_complete",
        Event::ApplyErrored { .. } => "apply_errored",
    }
}

/// The sequence of event types with runs collapsed (`a a b` → `a b`).
fn shape(lines: &[Line]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = lines.iter().map(|l| kind(&l.event)).collect();
    v.dedup();
    v
}

#[test]
fn event_stream_of_an_apply() {
    let (e, _) = every_kind_of_change();
    let out = e.run(&["apply", "--json-stream", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    let lines = parse_stream(&out.stdout);
    let s = shape(&lines);
    // Version, the refresh, what changed outside, the plan, its summary, then the apply
    // step by step and its summary.
    assert_eq!(
        s[..7],
        [
            "version",
            "refresh_start",
            "refresh_complete",
            "resource_drift",
            "planned_change",
            "change_summary",
            "apply_start"
        ]
    );
    assert_eq!(s.last(), Some(&"change_summary"));
    let middle = &s[6..s.len() - 1];
    assert!(middle.chunks(2).all(|p| p == ["apply_start", "apply_complete"]), "{s:?}");
    // Every owned object is refreshed (8 actions in the state).
    let refreshed = lines.iter().filter(|l| matches!(l.event, Event::RefreshStart { .. })).count();
    assert_eq!(refreshed, 8);
    if let Event::Version { gcsync, ui } = &lines[0].event {
        assert_eq!((gcsync.as_str(), ui.as_str()), (env!("CARGO_PKG_VERSION"), "1.2"));
    }
    let planned: BTreeMap<String, (String, Option<String>, Option<String>)> = lines
        .iter()
        .filter_map(|l| match &l.event {
            Event::PlannedChange { change } => Some((
                change.resource.addr.clone(),
                (
                    change.action.clone(),
                    change.previous_resource.as_ref().map(|p| p.addr.clone()),
                    change.reason.clone(),
                ),
            )),
            _ => None,
        })
        .collect();
    let a = |s: &str| s.to_string();
    assert_eq!(planned["gcsync_data_action.Repl"], (a("replace"), None, Some(a("cannot_update"))));
    assert_eq!(planned["gcsync_data_action.Del"].0, "delete");
    assert_eq!(planned["gcsync_data_action.Gone"].0, "remove");
    assert_eq!(
        planned["gcsync_data_action.NewName"],
        (a("update"), Some(a("gcsync_data_action.OldName")), None)
    );
    assert_eq!(planned["gcsync_integration.Ops API"].0, "create");
    assert!(!planned.contains_key("gcsync_data_action.Same"), "no-ops are not announced");
    // Each step: start, then complete for the same resource and action, with the id.
    let mut open: Option<(String, String)> = None;
    for l in &lines {
        match &l.event {
            Event::ApplyStart { hook } => {
                assert!(open.is_none());
                assert_eq!(hook.resource.resource_type, hook.resource.addr.split('.').next().unwrap());
                assert!(l.message.starts_with(&format!("{}: ", hook.resource.addr)), "{}", l.message);
                open = Some((hook.resource.addr.clone(), hook.action.clone()));
            }
            Event::ApplyComplete { hook } => {
                assert_eq!(open.take(), Some((hook.resource.addr.clone(), hook.action.clone())));
                assert!(hook.elapsed_seconds >= 0.0);
                if hook.action != "remove" {
                    assert!(hook.id_value.as_deref().is_some_and(|i| !i.is_empty()), "{}", l.message);
                }
                assert!(l.message.contains(" complete after "), "{}", l.message);
            }
            _ => {}
        }
    }
    let summaries: Vec<&Changes> = lines
        .iter()
        .filter_map(|l| match &l.event {
            Event::ChangeSummary { changes } => Some(changes),
            _ => None,
        })
        .collect();
    assert_eq!(summaries.len(), 2);
    for (s, op) in summaries.iter().zip(["plan", "apply"]) {
        assert_eq!((s.add, s.change, s.import, s.remove, s.operation.as_str()), (4, 3, 0, 2, op));
    }
    assert_eq!(lines.last().unwrap().message, "Apply complete! Resources: 4 added, 3 changed, 2 destroyed.");
    // Nothing left to do.
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
}

#[test]
fn event_stream_of_a_failing_slow_apply() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Slow", 10, false, ""));
    e.write("manifests/b.yaml", &action_yaml("Doomed", 10, false, ""));
    e.ok(&["apply", "--auto-approve"]);
    std::fs::remove_file(e.dir.path().join("manifests/b.yaml")).unwrap();
    e.write("manifests/a.yaml", &action_yaml("Slow", 20, false, ""));
    e.ok(&["plan", "--out", "plan.json"]);
    // The update takes 2.5 s; the delete fails.
    e.emu.set_faults(&[
        "latency ms=2500 method=PATCH path=/api/v2/integrations/actions",
        "400 method=DELETE path=/api/v2/integrations/actions",
    ]);
    // Terraform's spelling `-json`, with a progress interval of 1 s.
    let out = e.cmd(&["apply", "-json", "plan.json"]).env("GCSYNC_PROGRESS_SECONDS", "1").output().unwrap();
    e.emu.set_faults(&[]);
    assert_eq!(code(&out), 1, "{}", render(&out, e.dir.path()));
    let lines = parse_stream(&out.stdout);
    let s = shape(&lines);
    assert_eq!(
        s,
        [
            "version",
            "planned_change",
            "change_summary",
            "apply_start",
            "apply_progress",
            "apply_complete",
            "apply_start",
            "apply_errored",
            "diagnostic"
        ],
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let progress: Vec<&Line> =
        lines.iter().filter(|l| matches!(l.event, Event::ApplyProgress { .. })).collect();
    assert!(
        progress[0].message.starts_with("gcsync_data_action.Slow: Still modifying... ["),
        "{}",
        progress[0].message
    );
    let Event::ApplyErrored { hook } = &lines[lines.len() - 2].event else { unreachable!() };
    assert_eq!((hook.resource.addr.as_str(), hook.action.as_str()), ("gcsync_data_action.Doomed", "delete"));
    let Event::Diagnostic { diagnostic } = &lines[lines.len() - 1].event else { unreachable!() };
    assert_eq!(diagnostic.severity, "error");
    assert!(diagnostic.detail.contains("`Doomed`: DELETE"), "{diagnostic:?}");
    assert!(lines[lines.len() - 1].message.starts_with("Error: "));
    let _ = &hook.id_value;
}

#[test]
fn plan_stream_reports_errors_as_diagnostics() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup", 10, false, "").replace("Profile API", "No Such API"));
    let out = e.run(&["plan", "--json-stream"]);
    assert_eq!(code(&out), 1);
    let lines = parse_stream(&out.stdout);
    assert_eq!(shape(&lines), ["version", "diagnostic"]);
    let Event::Diagnostic { diagnostic } = &lines[1].event else { unreachable!() };
    assert!(diagnostic.summary.contains("No Such API"), "{diagnostic:?}");
    // Invalid manifests: the error is a diagnostic too.
    e.write("manifests/a.yaml", "kind: DataAction\n");
    let out = e.run(&["plan", "-json"]);
    assert_eq!(code(&out), 1);
    assert_eq!(shape(&parse_stream(&out.stdout)), ["version", "diagnostic"]);
    // An apply stream cannot ask for confirmation.
    let out = e.run(&["apply", "--json-stream"]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--auto-approve"));
}

fn bad_manifests(dir: &TestDir) {
    // A directory name with a space and a comma (URI and property escaping).
    dir.write(
        "manifests/team a, b/x.yaml",
        "kind: DataAction\nname: X\nintegration: Profile API\ntimeoutSecond: 10\nrequest:\n  method: GET\n  url: https://x.example/${input.userId}\ninputs:\n  userId: {type: string}\noutputs:\n  a: {type: string, from: $.a}\n",
    );
    dir.write("manifests/y.yaml", "kind: DataAction\nname: Y\n");
    dir.write("manifests/z.yaml", "kind: Nope\n");
}

#[test]
fn validate_sarif_validates_against_the_sarif_2_1_0_schema() {
    let dir = TestDir::new();
    bad_manifests(&dir);
    let out = dir.gcsync().args(["validate", "--format", "sarif"]).output().unwrap();
    assert_eq!(code(&out), 1, "errors still exit 1");
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: Value = serde_json::from_str(include_str!("../fixtures/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> =
        validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    // The schema check can fail: a level SARIF does not have is refused.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!validator.is_valid(&broken));

    // Same diagnostics as `--json`, located the same way.
    let json_out = dir.gcsync().args(["validate", "--json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    let diags = report["diagnostics"].as_array().unwrap();
    let run = &log["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), diags.len());
    assert!(results.len() >= 4, "{results:#?}");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for (r, d) in results.iter().zip(diags) {
        assert_eq!(r["ruleId"], d["code"]);
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize]["id"], d["code"]);
        assert_eq!(r["level"], d["severity"]);
        assert!(r["message"]["text"].as_str().unwrap().starts_with(d["message"].as_str().unwrap()));
        let loc = &r["locations"][0]["physicalLocation"];
        let file = d["file"].as_str().unwrap();
        assert_eq!(loc["artifactLocation"]["uri"], file.replace(' ', "%20"));
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        if d["line"].as_u64().unwrap() > 0 {
            assert_eq!(loc["region"]["startLine"], d["line"]);
            assert_eq!(loc["region"]["startColumn"], d["column"]);
        }
    }
    for rule in rules {
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
        assert!(["error", "warning"].contains(&rule["defaultConfiguration"]["level"].as_str().unwrap()));
    }
    assert_eq!(run["columnKind"], "unicodeCodePoints");
}

/// GitHub's workflow command syntax: `::error file=F,line=L,col=C,...::message`.
#[test]
fn validate_github_prints_workflow_commands() {
    let dir = TestDir::new();
    bad_manifests(&dir);
    let out = dir.gcsync().args(["validate", "--format", "github"]).output().unwrap();
    assert_eq!(code(&out), 1);
    let text = String::from_utf8(out.stdout).unwrap();
    let json_out = dir.gcsync().args(["validate", "--json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    let diags = report["diagnostics"].as_array().unwrap();
    let re = regex::Regex::new(r"^::(error|warning) ([^:]*)::(.*)$").unwrap();
    let unescape = |s: &str| {
        s.replace("%2C", ",")
            .replace("%3A", ":")
            .replace("%0A", "\n")
            .replace("%0D", "\r")
            .replace("%25", "%")
    };
    let commands: Vec<&str> = text.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), diags.len(), "{text}");
    for (line, d) in commands.iter().zip(diags) {
        let c = re.captures(line).unwrap_or_else(|| panic!("not a workflow command: {line}"));
        assert_eq!(&c[1], d["severity"].as_str().unwrap());
        let props: BTreeMap<&str, String> =
            c[2].split(',').map(|p| p.split_once('=').unwrap()).map(|(k, v)| (k, unescape(v))).collect();
        assert_eq!(props["file"], d["file"].as_str().unwrap());
        assert_eq!(props["title"], format!("gcsync {}", d["code"].as_str().unwrap()));
        if d["line"].as_u64().unwrap() > 0 {
            assert_eq!(props["line"], d["line"].to_string());
            assert_eq!(props["col"], d["column"].to_string());
        }
        let mut message = d["message"].as_str().unwrap().to_string();
        if let Some(h) = d["hint"].as_str() {
            message = format!("{message}\nhint: {h}");
        }
        assert_eq!(unescape(&c[3]), message);
        assert!(!c[3].contains('\n'));
    }
    assert!(text.lines().last().unwrap().contains("error"), "the summary line closes the output");
}
