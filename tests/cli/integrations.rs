//! Integrations and credentials as manifests: the whole chain from an empty org, rotation,
//! refused deletes, adoption, and the security test (no secret byte anywhere gcsync writes).

use crate::common::{BgEmulator, TestDir, code, render};
use std::process::{Command, Output, Stdio};

const USER: &str = "ada-user-7Q2";
const PASSWORD: &str = "pw-Zebra-Quartz-9931";
const ROTATED: &str = "pw-Rotated-Heron-4410";

fn integration_yaml(notes: &str) -> String {
    format!(
        "kind: Integration\nname: Secured API\ntype: custom-rest-actions\nnotes: {notes}\ncredential:\n  type: basicAuth\n  fields:\n    userName: {{env: SEC_API_USER}}\n    password: {{env: SEC_API_PASSWORD}}\n"
    )
}

fn action_yaml(name: &str) -> String {
    format!(
        "kind: DataAction\nname: {name}\nintegration: Secured API\nrequest:\n  method: GET\n  url: https://profiles.gcsync.test/secure/users/$esc.url(${{input.userId}})\ninputs:\n  userId: {{type: string, required: true}}\noutputs:\n  fullName: {{type: string, from: $.name}}\n"
    )
}

struct Env {
    dir: TestDir,
    emu: BgEmulator,
}

impl Env {
    fn new() -> Self {
        Self { dir: TestDir::new(), emu: BgEmulator::start(gcsync::emulator::Config::default()) }
    }
    fn cmd(&self, password: Option<&str>, args: &[&str]) -> Command {
        let mut c = self.dir.gcsync();
        self.emu.env(&mut c);
        if let Some(p) = password {
            c.env("SEC_API_USER", USER).env("SEC_API_PASSWORD", p);
        }
        c.args(args).stdin(Stdio::null());
        c
    }
    fn run(&self, password: Option<&str>, args: &[&str]) -> Output {
        self.cmd(password, args).output().unwrap()
    }
    fn ok(&self, password: Option<&str>, args: &[&str]) -> String {
        let out = self.run(password, args);
        assert_eq!(code(&out), 0, "{}", render(&out, self.dir.path()));
        String::from_utf8_lossy(&out.stdout).to_string()
    }
    fn integration(&self) -> Option<gcsync::remote::Integration> {
        let c = self.emu.client();
        self.emu.rt.block_on(c.find_integration("Secured API")).unwrap()
    }
}

#[test]
fn one_apply_creates_credential_integration_and_action_from_an_empty_org() {
    let e = Env::new();
    e.dir.write("m/api.yaml", integration_yaml("v1"));
    e.dir.write("m/action.yaml", action_yaml("Fetch Secured"));
    assert!(e.integration().is_none(), "empty org");
    let out = e.ok(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    assert!(out.contains("+ integration Secured API will be created"), "{out}");
    assert!(
        out.contains(
            "credential: basicAuth will be created (password ← $SEC_API_PASSWORD, userName ← $SEC_API_USER"
        ),
        "{out}"
    );
    assert!(out.contains("Apply complete: 2 added"), "{out}");
    let i = e.integration().expect("integration created");
    assert_eq!(i.intended_state.as_deref(), Some("ENABLED"));
    let c = e.emu.client();
    let config = e.emu.rt.block_on(c.get_integration_config(&i.id)).unwrap();
    let cred_id = config["credentials"]["basicAuth"]["id"]
        .as_str()
        .expect("credential bound under basicAuth")
        .to_string();
    let creds = e.emu.rt.block_on(c.list_credentials()).unwrap();
    assert!(creds.iter().any(|c| c["id"] == cred_id.as_str() && c["type"]["name"] == "basicAuth"));
    let actions = e.emu.actions();
    assert_eq!(actions.len(), 1);
    let action = e.emu.rt.block_on(c.get_action(&actions[0].1, false)).unwrap();
    assert_eq!(action.integration_id, i.id, "the action belongs to the new integration");
    assert_eq!(code(&e.run(Some(PASSWORD), &["plan", "-m", "m", "--detailed-exitcode"])), 0);
    // The org's /test applies the credential (the demo API answers 401 without it).
    let out = e.run(Some(PASSWORD), &["test", "Fetch Secured", "-m", "m", "--remote", "--input", "userId=1"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    let state: serde_json::Value = serde_json::from_str(&e.dir.read("state/gcsync.state.json")).unwrap();
    let hashes = &state["integrations"]["Secured API"]["credential"]["hashes"];
    assert!(hashes["password"].as_str().unwrap().starts_with("pbkdf2-sha256:100000:"));
}

#[test]
fn a_changed_variable_is_a_credential_rotation_and_a_missing_one_an_error() {
    let e = Env::new();
    e.dir.write("m/api.yaml", integration_yaml("v1"));
    e.ok(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    let out = e.run(Some(ROTATED), &["plan", "-m", "m", "--detailed-exitcode"]);
    assert_eq!(code(&out), 2);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("credential `password` changed in the environment (rotation)"), "{text}");
    assert!(text.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."), "{text}");
    e.ok(Some(ROTATED), &["apply", "-m", "m", "--auto-approve"]);
    assert_eq!(code(&e.run(Some(ROTATED), &["plan", "-m", "m", "--detailed-exitcode"])), 0);
    // A changed definition (notes) is an in-place update too.
    e.dir.write("m/api.yaml", integration_yaml("v2"));
    assert_eq!(code(&e.run(Some(ROTATED), &["plan", "-m", "m", "--detailed-exitcode"])), 2);
    e.ok(Some(ROTATED), &["apply", "-m", "m", "--auto-approve"]);
    assert_eq!(e.integration().unwrap().notes.as_deref(), Some("v2"));
    // No variables at all: a plan error naming them.
    let out = e.run(None, &["plan", "-m", "m"]);
    assert_eq!(code(&out), 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("`SEC_API_PASSWORD`, `SEC_API_USER`, which are not set"), "{text}");
    // A saved plan refuses other secret values than the ones it was planned with.
    e.ok(Some(PASSWORD), &["plan", "-m", "m", "--out", "p.json"]);
    let out = e.run(Some("pw-Something-Else-000"), &["apply", "p.json", "-m", "m"]);
    assert_eq!(code(&out), 1);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the value of `SEC_API_PASSWORD` changed since the plan was made")
    );
}

// A second integration with an owned one's name is an error in drift too.
#[test]
fn drift_refuses_two_integrations_with_an_owned_name() {
    let e = Env::new();
    e.dir.write("m/api.yaml", integration_yaml("v1"));
    e.ok(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    let c = e.emu.client();
    e.emu.rt.block_on(c.create_integration("Secured API", "custom-rest-actions", "")).unwrap();
    let out = e.run(None, &["drift"]);
    assert_eq!(code(&out), 1, "{}", render(&out, e.dir.path()));
    assert!(render(&out, e.dir.path()).contains("2 integrations are named `Secured API`"));
}

#[test]
fn drift_reports_integrations_changed_by_hand_and_apply_restores_them() {
    let e = Env::new();
    e.dir.write("m/api.yaml", integration_yaml("v1"));
    e.ok(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    assert_eq!(code(&e.run(None, &["drift"])), 0);
    // Someone disables the integration, renames it and unbinds its credential in the UI.
    let i = e.integration().unwrap();
    let c = e.emu.client();
    e.emu.rt.block_on(c.patch_integration(&i.id, &serde_json::json!({"intendedState": "DISABLED"}))).unwrap();
    let mut config = e.emu.rt.block_on(c.get_integration_config(&i.id)).unwrap();
    config["name"] = "Secured API (old)".into();
    config["credentials"] = serde_json::json!({});
    e.emu.rt.block_on(c.put_integration_config(&i.id, &config)).unwrap();
    let out = e.run(None, &["drift"]);
    assert_eq!(code(&out), 2, "{}", render(&out, e.dir.path()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("~ integration Secured API (id `{}`) changed outside gcsync:", i.id)),
        "{text}"
    );
    for line in
        ["    name (now \"Secured API (old)\")", "    enabled (now false)", "    credential (now null)"]
    {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(
        text.contains("Drift: 1 of the 0 actions and 1 integration gcsync manages changed outside gcsync."),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(&e.run(None, &["drift", "--json"]).stdout).unwrap();
    assert_eq!(json["drift_present"], true);
    assert_eq!(json["integrations"][0]["fields"].as_array().map(Vec::len), Some(3), "{json}");
    // The plan restores all of it; afterwards there is no drift.
    let out = e.run(Some(PASSWORD), &["plan", "-m", "m", "--detailed-exitcode"]);
    assert_eq!(code(&out), 2, "{}", render(&out, e.dir.path()));
    e.ok(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    let i = e.integration().expect("renamed back");
    assert_eq!(i.intended_state.as_deref(), Some("ENABLED"));
    assert_eq!(code(&e.run(None, &["drift"])), 0);
    // Deleted by hand: drift says so; apply creates it again and reuses the surviving
    // credential instead of leaving it orphaned.
    e.emu.rt.block_on(c.delete_integration(&i.id)).unwrap();
    let out = e.run(None, &["drift"]);
    assert_eq!(code(&out), 2);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("- integration Secured API"),
        "{}",
        render(&out, e.dir.path())
    );
    e.ok(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    let creds = e.emu.rt.block_on(c.list_credentials()).unwrap();
    assert_eq!(creds.len(), 1, "the old credential was reused: {creds:?}");
    let i = e.integration().expect("created again");
    let config = e.emu.rt.block_on(c.get_integration_config(&i.id)).unwrap();
    assert_eq!(config["credentials"]["basicAuth"]["id"], creds[0]["id"]);
    assert_eq!(code(&e.run(None, &["drift"])), 0);
}

#[test]
fn a_credential_bound_by_hand_to_an_integration_without_one_is_left_as_is() {
    let e = Env::new();
    e.dir.write("m/api.yaml", "kind: Integration\nname: Open API\ntype: custom-rest-actions\nnotes: v1\n");
    e.ok(None, &["apply", "-m", "m", "--auto-approve"]);
    let c = e.emu.client();
    let i = e.emu.rt.block_on(c.find_integration("Open API")).unwrap().unwrap();
    let cred = e
        .emu
        .rt
        .block_on(c.create_credential(&serde_json::json!({
            "name": "hand made", "type": {"name": "basicAuth"},
            "credentialFields": {"userName": "u", "password": "p"}
        })))
        .unwrap();
    let mut config = e.emu.rt.block_on(c.get_integration_config(&i.id)).unwrap();
    config["credentials"] = serde_json::json!({"basicAuth": {"id": cred["id"]}});
    e.emu.rt.block_on(c.put_integration_config(&i.id, &config)).unwrap();
    e.dir.write("m/api.yaml", "kind: Integration\nname: Open API\ntype: custom-rest-actions\nnotes: v2\n");
    let out = e.ok(None, &["apply", "-m", "m", "--auto-approve"]);
    assert!(
        out.contains("a credential was bound outside gcsync; the manifest declares none (left as is)"),
        "{out}"
    );
    let config = e.emu.rt.block_on(c.get_integration_config(&i.id)).unwrap();
    assert_eq!(config["notes"], "v2");
    assert_eq!(config["credentials"]["basicAuth"]["id"], cred["id"], "the binding stays");
}

#[test]
fn a_saved_plan_with_one_changed_secret_applies_nothing() {
    let e = Env::new();
    let two = |name: &str, var: &str| {
        format!(
            "kind: Integration\nname: {name}\ntype: custom-rest-actions\ncredential:\n  type: userDefined\n  fields:\n    apiKey: {{env: {var}}}\n"
        )
    };
    e.dir.write("m/a.yaml", two("Two A", "KEY_A"));
    e.dir.write("m/b.yaml", two("Two B", "KEY_B"));
    let with =
        |a: &str, b: &str, args: &[&str]| e.cmd(None, args).env("KEY_A", a).env("KEY_B", b).output().unwrap();
    assert_eq!(code(&with("key-a-1-Xy", "key-b-1-Xy", &["apply", "-m", "m", "--auto-approve"])), 0);
    let before = e.dir.read("state/gcsync.state.json");
    let requests = e.emu.requests().len();
    assert_eq!(code(&with("key-a-2-Xy", "key-b-2-Xy", &["plan", "-m", "m", "--out", "p.json"])), 0);
    let out = with("key-a-2-Xy", "key-b-CHANGED", &["apply", "p.json", "-m", "m"]);
    assert_eq!(code(&out), 1, "{}", render(&out, e.dir.path()));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the value of `KEY_B` changed since the plan was made")
    );
    assert_eq!(e.dir.read("state/gcsync.state.json"), before, "nothing applied, state untouched");
    let mutations = e.emu.requests()[requests..]
        .iter()
        .filter(|r| !matches!(r["method"].as_str(), Some("GET")) && r["path"] != "/oauth/token")
        .count();
    assert_eq!(mutations, 0, "no request changed the org");
}

#[test]
fn an_interrupted_integration_create_reuses_its_credential() {
    let e = Env::new();
    e.dir.write("m/api.yaml", integration_yaml("v1"));
    // The credential is created, then creating the integration fails for good (a 403: a 5xx
    // would now be resolved by the unknown-outcome lookup and retried, issue 12 class 9).
    e.emu.set_faults(&["403 nth=2 method=POST path=/api/v2/integrations"]);
    let out = e.run(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    assert_eq!(code(&out), 1, "{}", render(&out, e.dir.path()));
    e.emu.set_faults(&[]);
    let c = e.emu.client();
    assert_eq!(e.emu.rt.block_on(c.list_credentials()).unwrap().len(), 1, "the credential was made");
    assert!(e.integration().is_none(), "the integration was not");
    let out = e.ok(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    assert!(out.contains("Apply complete: 1 added"), "{out}");
    let creds = e.emu.rt.block_on(c.list_credentials()).unwrap();
    assert_eq!(creds.len(), 1, "no second credential: {creds:?}");
    let i = e.integration().unwrap();
    let config = e.emu.rt.block_on(c.get_integration_config(&i.id)).unwrap();
    assert_eq!(config["credentials"]["basicAuth"]["id"], creds[0]["id"]);
    assert_eq!(code(&e.run(Some(PASSWORD), &["plan", "-m", "m", "--detailed-exitcode"])), 0);
}

#[test]
fn deleting_an_integration_is_refused_while_it_has_actions_gcsync_does_not_own() {
    let e = Env::new();
    e.dir.write("m/api.yaml", integration_yaml("v1"));
    e.dir.write("m/mine.yaml", action_yaml("Mine"));
    e.ok(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    // Someone adds an action to the integration by hand.
    let iid = e.integration().unwrap().id;
    let c = e.emu.client();
    let mut body = serde_json::json!({
        "name": "Hand Made", "category": "x", "integrationId": iid,
        "config": {"request": {"requestUrlTemplate": "https://x", "requestType": "GET"}, "response": {}},
        "contract": {"input": {"inputSchema": {"type": "object"}}, "output": {"successSchema": {"type": "object"}}}
    });
    e.emu.rt.block_on(c.create_action(&body)).unwrap();
    std::fs::remove_file(e.dir.path().join("m/api.yaml")).unwrap();
    std::fs::remove_file(e.dir.path().join("m/mine.yaml")).unwrap();
    e.dir.write("m/other.yaml", "kind: Integration\nname: Other\ntype: custom-rest-actions\n");
    let out = e.run(Some(PASSWORD), &["plan", "-m", "m"]);
    assert_eq!(code(&out), 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("integration `Secured API` cannot be deleted: it still has actions gcsync does not manage: `Hand Made`"), "{text}");
    // Without the stranger, actions and then the integration (and its credential) go.
    let hand = e.emu.actions().into_iter().find(|a| a.0 == "Hand Made").unwrap();
    e.emu.rt.block_on(c.delete_action(&hand.1)).unwrap();
    let out = e.ok(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    assert!(out.contains("- integration Secured API will be deleted (with its credential)"), "{out}");
    assert!(e.integration().is_none());
    assert!(e.emu.actions().is_empty());
    assert!(e.emu.rt.block_on(c.list_credentials()).unwrap().is_empty());
    body["name"] = "unused".into();
}

#[test]
fn an_unowned_integration_with_the_same_name_is_refused_then_adopted_by_import() {
    let e = Env::new();
    let c = e.emu.client();
    e.emu.rt.block_on(c.create_integration("Secured API", "custom-rest-actions", "")).unwrap();
    e.dir.write("m/api.yaml", integration_yaml("adopted"));
    let out = e.run(Some(PASSWORD), &["plan", "-m", "m"]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("import --integration"));
    e.ok(Some(PASSWORD), &["import", "--integration", "Secured API", "-m", "m"]);
    let out = e.ok(Some(PASSWORD), &["apply", "-m", "m", "--auto-approve"]);
    assert!(out.contains("~ integration Secured API will be updated in place"), "{out}");
    assert_eq!(e.integration().unwrap().notes.as_deref(), Some("adopted"));
    assert_eq!(code(&e.run(Some(PASSWORD), &["plan", "-m", "m", "--detailed-exitcode"])), 0);
}

// An adopted integration shows every field apply changes, and nothing when nothing differs
// (it used to show `~ … updated in place` with no field lines).
#[test]
fn an_adopted_integration_shows_its_fields_or_no_change() {
    let e = Env::new();
    let c = e.emu.client();
    e.emu.rt.block_on(c.create_integration("Plain API", "custom-rest-actions", "same")).unwrap();
    // Created by hand: Genesys creates integrations disabled.
    e.dir.write(
        "m/api.yaml",
        "kind: Integration\nname: Plain API\ntype: custom-rest-actions\nenabled: false\nnotes: same\n",
    );
    e.ok(None, &["import", "--integration", "Plain API", "-m", "m"]);
    assert_eq!(code(&e.run(None, &["plan", "-m", "m", "--detailed-exitcode"])), 0, "nothing to change");
    e.dir.write(
        "m/api.yaml",
        "kind: Integration\nname: Plain API\ntype: custom-rest-actions\nenabled: false\nnotes: changed\n",
    );
    let out = e.run(None, &["plan", "-m", "m", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let i = &v["integrations"][0];
    assert_eq!(i["action"], "update", "{v}");
    assert_eq!(
        i["fields"],
        serde_json::json!([{"path": "notes", "before": "same", "after": "changed"}]),
        "{v}"
    );
}

#[test]
fn the_loader_rejects_inline_secret_values_without_echoing_them() {
    let t = TestDir::new();
    // Block style, flow style, and a value on the line after its key.
    t.write(
        "m/api.yaml",
        "kind: Integration\nname: Leaky\ntype: custom-rest-actions\ncredential:\n  type: basicAuth\n  fields:\n    userName: InlineUserVALUE99\n    password: hunter2-Inline-Secret\n",
    );
    t.write(
        "m/flow.yaml",
        "kind: Integration\nname: Leaky2\ntype: custom-rest-actions\ncredential: {type: basicAuth, fields: {userName: {env: U}, password: FlowSecretVALUE77}}\n",
    );
    t.write(
        "m/next.yaml",
        "kind: Integration\nname: Leaky3\ntype: custom-rest-actions\ncredential:\n  type: basicAuth\n  fields:\n    userName: {env: U}\n    password:\n      NextLineSecret55\n",
    );
    let out = t.gcsync().args(["validate", "-m", "m"]).output().unwrap();
    assert_eq!(code(&out), 1);
    let all = render(&out, t.path());
    assert!(all.contains("error[inline-secret]"), "{all}");
    assert!(all.contains("api.yaml:8:15"), "{all}");
    assert!(all.contains("7 |     userName: ********"), "{all}");
    let json = t.gcsync().args(["validate", "-m", "m", "--json"]).output().unwrap();
    assert_eq!(code(&json), 1);
    let json = render(&json, t.path());
    assert!(json.contains("inline-secret"), "{json}");
    // Nowhere: not in messages, hints or the source excerpts, human or JSON.
    for secret in ["InlineUserVALUE99", "hunter2", "FlowSecretVALUE77", "NextLineSecret55"] {
        assert!(!all.contains(secret), "`{secret}` echoed:\n{all}");
        assert!(!json.contains(secret), "`{secret}` echoed:\n{json}");
    }
}

#[test]
fn the_local_org_runs_the_whole_example_chain() {
    let t = TestDir::new().with_repo_manifests();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/manifests");
    std::fs::create_dir_all(t.path().join("examples")).unwrap();
    for e in std::fs::read_dir(examples).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), t.path().join("examples").join(e.file_name())).unwrap();
    }
    let run = |args: &[&str]| {
        t.gcsync()
            .env("PROFILE_API_USER", "ada")
            .env("PROFILE_API_PASSWORD", "pw-Local-Chain-77")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--local", "apply", "-m", "manifests", "-m", "examples", "--auto-approve"]);
    let text = render(&out, t.path());
    assert_eq!(code(&out), 0, "{text}");
    assert!(text.contains("Apply complete: 4 added"), "{text}");
    let out = run(&[
        "--local",
        "test",
        "FetchSecuredUserProfile",
        "-m",
        "manifests",
        "-m",
        "examples",
        "--remote",
        "--input",
        "userId=2",
    ]);
    let text = render(&out, t.path());
    assert_eq!(code(&out), 0, "{text}");
    assert!(text.contains("Bruno Castell"), "{text}");
    // The local runtime reads the declared credential's variables too (Basic auth applied).
    let out = run(&[
        "--local",
        "test",
        "FetchSecuredUserProfile",
        "-m",
        "manifests",
        "-m",
        "examples",
        "--input",
        "userId=2",
    ]);
    let text = render(&out, t.path());
    assert_eq!(code(&out), 0, "{text}");
    assert!(
        text.contains("Authorization: Basic [redacted]") && !text.contains("pw-Local-Chain-77"),
        "{text}"
    );
    let out = t
        .gcsync()
        .args(["--local", "test", "FetchSecuredUserProfile", "-m", "manifests", "-m", "examples"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`PROFILE_API_USER`")
            || String::from_utf8_lossy(&out.stderr).contains("`PROFILE_API_PASSWORD`")
    );
}

/// Runs a full lifecycle (create, no-op, rotate, saved plan, delete) with `-vv` and searches
/// every byte gcsync wrote — stdout, stderr, state, backup, plan files, the lock file while a
/// run holds it — for the secret values (and their Basic-auth encoding).
#[test]
fn no_secret_byte_anywhere_gcsync_writes() {
    use base64::Engine as _;
    let e = Env::new();
    e.dir.write("m/api.yaml", integration_yaml("v1"));
    e.dir.write("m/action.yaml", action_yaml("Fetch Secured"));
    let mut written: Vec<(String, Vec<u8>)> = Vec::new();
    fn record(written: &mut Vec<(String, Vec<u8>)>, label: &str, out: &Output) {
        written.push((format!("{label} stdout"), out.stdout.clone()));
        written.push((format!("{label} stderr"), out.stderr.clone()));
    }
    for (pw, args) in [
        (PASSWORD, vec!["-vv", "validate", "-m", "m"]),
        (PASSWORD, vec!["-vv", "plan", "-m", "m", "--out", "p1.json"]),
        (PASSWORD, vec!["-vv", "apply", "p1.json", "-m", "m"]),
        (PASSWORD, vec!["-vv", "plan", "-m", "m", "--json"]),
        (PASSWORD, vec!["-vv", "drift"]),
        (PASSWORD, vec!["-vv", "test", "Fetch Secured", "-m", "m", "--remote", "--input", "userId=3"]),
        (ROTATED, vec!["-vv", "plan", "-m", "m", "--out", "p2.json"]),
        (ROTATED, vec!["-vv", "apply", "p2.json", "-m", "m", "--json"]),
        (ROTATED, vec!["-vv", "state", "show", "Fetch Secured"]),
    ] {
        let out = e.run(Some(pw), &args);
        assert!(code(&out) == 0, "{args:?}: {}", render(&out, e.dir.path()));
        record(&mut written, &args.join(" "), &out);
    }
    // The lock file while an apply holds it: hold the credential update in the org.
    e.dir.write("m/api.yaml", integration_yaml("v3"));
    e.emu.set_faults(&["hang method=PUT path=/api/v2/integrations/credentials"]);
    e.emu.clear_requests();
    let mut child = e
        .cmd(Some(PASSWORD), &["-vv", "apply", "-m", "m", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    e.emu.wait_for(1, "PUT", "/api/v2/integrations/credentials");
    written.push((
        "lock file".into(),
        std::fs::read(e.dir.path().join("state/gcsync.state.json.lock")).unwrap(),
    ));
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    record(&mut written, "killed apply", &out);
    e.emu.set_faults(&[]);
    // Delete everything.
    std::fs::remove_dir_all(e.dir.path().join("m")).unwrap();
    e.dir.write("m/none.yaml", "kind: Integration\nname: Placeholder\ntype: custom-rest-actions\n");
    let out = e.run(Some(PASSWORD), &["-vv", "apply", "-m", "m", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    record(&mut written, "delete apply", &out);
    for f in ["state/gcsync.state.json", "state/gcsync.state.json.backup", "p1.json", "p2.json"] {
        written.push((f.into(), std::fs::read(e.dir.path().join(f)).unwrap()));
    }
    let needles: Vec<String> = [PASSWORD, ROTATED, USER]
        .iter()
        .map(|s| (*s).to_string())
        .chain(
            [PASSWORD, ROTATED]
                .iter()
                .map(|p| base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{p}"))),
        )
        .collect();
    let mut hits = Vec::new();
    for (label, bytes) in &written {
        let text = String::from_utf8_lossy(bytes);
        for n in &needles {
            if text.contains(n.as_str()) {
                hits.push(format!("{label} contains {n}"));
            }
        }
    }
    assert!(hits.is_empty(), "secrets leaked: {hits:#?}");
    assert!(written.iter().map(|(_, b)| b.len()).sum::<usize>() > 10_000, "the test looked at real output");
}
