//! The reconciler end to end: the real binary against the emulator on a free loopback port.

use crate::assert_snapshot;
use crate::common::{BgEmulator, TestDir, code, render};
use std::process::{Command, Output, Stdio};

fn action_yaml(name: &str, timeout: u32, extra_output: bool) -> String {
    let extra = if extra_output { "\n  plan:\n    type: string\n    from: $.plan" } else { "" };
    format!(
        "kind: DataAction\nname: {name}\nintegration: Profile API\ntimeoutSeconds: {timeout}\nrequest:\n  method: GET\n  url: https://api.example.com/users/$esc.url(${{input.userId}})\n  headers:\n    Accept: application/json\ninputs:\n  userId: {{type: string, required: true}}\noutputs:\n  fullName:\n    type: string\n    from: $.name{extra}\n"
    )
}

/// A project directory and an emulator (also used by `function_apply`).
pub(crate) struct Env {
    pub(crate) dir: TestDir,
    pub(crate) emu: BgEmulator,
}

impl Env {
    pub(crate) fn new() -> Self {
        Self { dir: TestDir::new(), emu: BgEmulator::with_profile_api() }
    }
    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.dir.gcsync();
        self.emu.env(&mut c);
        c.args(args);
        c.stdin(Stdio::null());
        c
    }
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
    pub(crate) fn snap(&self, args: &[&str]) -> String {
        render(&self.run(args), self.dir.path())
    }
    pub(crate) fn write(&self, rel: &str, body: &str) {
        self.dir.write(rel, body);
    }
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), 0, "{}", render(&out, self.dir.path()));
        String::from_utf8_lossy(&out.stdout).to_string()
    }
    pub(crate) fn state(&self) -> serde_json::Value {
        serde_json::from_str(&self.dir.read("state/gcsync.state.json")).unwrap()
    }
    /// The kill harness: `apply` with the org holding its `k`-th `methods` request to the
    /// actions route (before — `hang` — or after — `hang-after` — processing it), killed
    /// (SIGKILL) while it waits; the faults are cleared again.
    pub(crate) fn apply_killed_at(&self, kind: &str, k: usize, methods: &str) {
        self.emu.set_faults(&[&format!("{kind} nth={k} method={methods} path=/api/v2/integrations/actions")]);
        self.emu.clear_requests();
        let mut child = self
            .cmd(&["apply", "--auto-approve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.emu.wait_for(k, methods, "/api/v2/integrations/actions");
        child.kill().unwrap();
        child.wait().unwrap();
        self.emu.set_faults(&[]);
    }
}

#[test]
fn create_then_no_op_then_update_in_place() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    assert_snapshot!("plan_create_human", e.snap(&["plan"]));
    assert_snapshot!("plan_create_json", e.snap(&["plan", "--json"]));
    let out = e.ok(&["apply", "--auto-approve"]);
    assert!(out.contains("Apply complete: 1 added, 0 changed, 0 replaced, 0 destroyed."), "{out}");
    let id = e.emu.actions()[0].1.clone();
    assert_eq!(e.state()["actions"]["Lookup User"]["id"], id.as_str());
    // Idempotent: apply then plan = no changes.
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
    let out = e.ok(&["apply", "--auto-approve"]);
    assert!(out.contains("No changes. The org matches the manifests."), "{out}");
    // A config change is an update in place with the same id.
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 25, false));
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 2);
    assert_snapshot!("plan_update_human", e.snap(&["plan"]));
    e.ok(&["apply", "--auto-approve"]);
    let after = e.emu.actions();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].1, id, "same id after an in-place update");
    assert_eq!(after[0].2, 2, "version moved");
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
}

#[test]
fn replace_is_refused_then_allowed() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    let old_id = e.emu.actions()[0].1.clone();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, true));
    assert_snapshot!("plan_replace_refused", e.snap(&["plan"]));
    let out = e.run(&["apply", "--auto-approve"]);
    assert_eq!(code(&out), 1);
    assert_eq!(e.emu.actions()[0].1, old_id, "nothing changed");
    let out = e.ok(&["apply", "--auto-approve", "--allow-replace"]);
    assert!(out.contains("1 replaced"), "{out}");
    let now = e.emu.actions();
    assert_eq!(now.len(), 1);
    assert_ne!(now[0].1, old_id, "a replace gives a new id");
    // allowReplace in the manifest works too.
    e.write("manifests/a.yaml", &format!("{}allowReplace: true\n", action_yaml("Lookup User", 10, false)));
    e.ok(&["apply", "--auto-approve"]);
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
}

#[test]
fn delete_only_what_gcsync_owns() {
    let e = Env::new();
    // An action made by someone else, in the same integration.
    let c = e.emu.client();
    let iid = e.emu.rt.block_on(c.find_integration("Profile API")).unwrap().unwrap().id;
    let mut body = serde_json::to_value(serde_json::json!({})).unwrap();
    if let Some(m) = body.as_object_mut() {
        m.clear();
    }
    let unowned = e.emu.rt.block_on(async {
        let set = {
            let mut s = gcsync::manifest::ManifestSet::default();
            let mut d = gcsync::diag::Diagnostics::new();
            gcsync::manifest::parse::parse_file(
                std::path::Path::new("x.yaml"),
                &action_yaml("Hand Made", 5, false),
                &mut s,
                &mut d,
            );
            s
        };
        let mut spec = gcsync::manifest::compile::compile(&set.actions[0]);
        spec.integration = iid.clone();
        c.create_action(&spec.to_post_json("integrationId")).await.unwrap()
    });
    e.write("manifests/a.yaml", &action_yaml("Keep", 10, false));
    e.write("manifests/b.yaml", &action_yaml("Drop Me", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    std::fs::remove_file(e.dir.path().join("manifests/b.yaml")).unwrap();
    assert_snapshot!("plan_delete_human", e.snap(&["plan"]));
    let out = e.ok(&["apply", "--auto-approve"]);
    assert!(out.contains("1 destroyed"), "{out}");
    let names: Vec<String> = e.emu.actions().into_iter().map(|a| a.0).collect();
    assert_eq!(names, vec!["Hand Made".to_string(), "Keep".to_string()]);
    let hand = e.emu.actions().into_iter().find(|a| a.0 == "Hand Made").unwrap();
    assert_eq!((hand.1, hand.2), (unowned.id, unowned.version), "unowned action untouched");
    let _ = body;
}

#[test]
fn name_clash_without_state_gives_an_import_hint() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Legacy Lookup", 10, false));
    // Someone created it by hand: apply from another state file, then forget that state.
    e.ok(&["apply", "--auto-approve", "--state", "other.json"]);
    let out = e.run(&["plan"]);
    assert_eq!(code(&out), 1);
    let text = render(&out, e.dir.path());
    assert!(
        text.contains("already exists in the org") && text.contains("gcsync import \"Legacy Lookup\""),
        "{text}"
    );
    // The hint names the same state and manifests as this run, so it runs as printed.
    let out = e.run(&["plan", "-m", "manifests", "--state", "gcsync.json"]);
    let text = render(&out, e.dir.path());
    assert!(text.contains("`gcsync import \"Legacy Lookup\" -m manifests --state gcsync.json`"), "{text}");
    // Import adopts it: the manifest declares it, so only a state entry is written (the
    // hint runs as printed; the user's manifest is left alone).
    e.write("manifests/a.yaml", &action_yaml("Legacy Lookup", 30, false));
    let out = e.run(&["import", "Legacy Lookup", "-o", "imported"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    assert!(!e.dir.path().join("imported").exists(), "no manifest written");
    assert!(e.dir.read("manifests/a.yaml").contains("timeoutSeconds: 30"), "the user's manifest is kept");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("was left as it is"),
        "{}",
        render(&out, e.dir.path())
    );
    // Now the manifest (timeout 30) is an update of the adopted action, not a clash.
    let out = e.ok(&["plan", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["changes"][0]["action"], "update");
    assert_eq!(e.emu.actions().len(), 1);
}

// `import --all`: everything the manifests declare that exists unowned is adopted in one
// command, state only; what is not in the org is left for apply; the next plan shows only
// what the manifests change. `--force` replaces a manifest with the org's version and says so.
#[test]
fn import_all_adopts_what_the_manifests_declare() {
    let e = Env::new();
    for (i, t) in [(0, 10), (1, 10), (2, 10)] {
        e.write(&format!("manifests/a{i}.yaml"), &action_yaml(&format!("Hand Made {i}"), t, false));
    }
    // Made by hand in the org (another state, then forgotten).
    e.ok(&["apply", "--auto-approve", "--state", "other.json"]);
    e.write("manifests/a1.yaml", &action_yaml("Hand Made 1", 25, false));
    e.write("manifests/a3.yaml", &action_yaml("Not Yet There", 10, false));
    // A new state facing an org that holds the manifests' actions says both likely causes.
    let out = e.run(&["plan"]);
    assert_eq!(code(&out), 1);
    let text = render(&out, e.dir.path());
    assert!(
        text.contains(
            "the state is new and empty, but the org already holds 3 actions the manifests declare"
        ),
        "{text}"
    );
    assert!(text.contains("`gcsync import --all`"), "{text}");
    let out = e.run(&["import", "--all"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Adopted 3 actions and 0 integrations into the state (no manifest written); 0 already managed, 1 not in the org"),
        "{stdout}"
    );
    assert!(e.dir.read("manifests/a1.yaml").contains("timeoutSeconds: 25"), "manifests untouched");
    let out = e.ok(&["plan", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let actions: Vec<(String, String)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), c["action"].as_str().unwrap().to_string()))
        .collect();
    // The two others are adopted as they are: no change shown for them.
    assert_eq!(
        actions,
        [
            ("Hand Made 1".to_string(), "update".to_string()),
            ("Not Yet There".to_string(), "create".to_string())
        ]
    );
    // Again: nothing left to adopt.
    let out = e.ok(&["import", "--all"]);
    assert!(out.contains("Adopted 0 actions") && out.contains("3 already managed"), "{out}");
    // `--force` on a declared name: the org's version replaces the manifest, named.
    e.ok(&["state", "rm", "Hand Made 1"]);
    let out = e.run(&["import", "Hand Made 1", "--force"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("replaced manifests/a1.yaml"),
        "{}",
        render(&out, e.dir.path())
    );
    assert!(e.dir.read("manifests/a1.yaml").contains("timeoutSeconds: 10"));
}

#[test]
fn two_integrations_with_the_manifests_name_are_an_error_naming_both() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    let c = e.emu.client();
    let first = e.emu.rt.block_on(c.find_integration("Profile API")).unwrap().unwrap().id;
    let second =
        e.emu.rt.block_on(c.create_integration("Profile API", "custom-rest-actions", "")).unwrap().id;
    let out = e.run(&["plan"]);
    assert_eq!(code(&out), 1);
    let text = render(&out, e.dir.path());
    let ids = [format!("`{first}`"), format!("`{second}`")];
    assert!(
        text.contains("2 integrations are named `Profile API` (ids ")
            && ids.iter().all(|i| text.contains(i.as_str()))
            && text.contains("rename one in the org"),
        "{text}"
    );
    assert!(!text.contains("HTTP 409") && !text.contains("answered HTTP"), "no fake server answer: {text}");
}

// The same after the action was created: the state caches the integration's id, but every
// plan and every drift reads the integration list and refuses the ambiguous name, also a
// plan with no change.
#[test]
fn a_duplicate_integration_name_is_an_error_in_every_plan_and_drift() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
    assert_eq!(code(&e.run(&["drift"])), 0);
    let c = e.emu.client();
    let second =
        e.emu.rt.block_on(c.create_integration("Profile API", "custom-rest-actions", "")).unwrap().id;
    for args in [&["plan", "--detailed-exitcode"][..], &["drift"], &["apply", "--auto-approve"]] {
        let out = e.run(args);
        assert_eq!(code(&out), 1, "{args:?}: {}", render(&out, e.dir.path()));
        let text = render(&out, e.dir.path());
        assert!(text.contains("2 integrations are named `Profile API`"), "{args:?}: {text}");
    }
    // Once the second one is gone, the plan is clean again.
    e.emu.rt.block_on(c.delete_integration(&second)).unwrap();
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
    assert_eq!(code(&e.run(&["drift"])), 0);
}

#[test]
fn drift_is_detected_and_corrected() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    assert_eq!(code(&e.run(&["drift"])), 0);
    // Someone edits the action in the admin UI.
    let c = e.emu.client();
    let (_, id, version) = e.emu.actions().remove(0);
    e.emu.rt.block_on(async {
        let full = c.get_action_full(&id, false).await.unwrap();
        let mut config = serde_json::to_value(full.config.unwrap()).unwrap();
        config["timeoutSeconds"] = 45.into();
        c.patch_action(&id, &serde_json::json!({"config": config, "version": version})).await.unwrap();
    });
    assert_snapshot!("drift_human", e.snap(&["drift"]));
    let out = e.run(&["drift", "--json"]);
    assert_eq!(code(&out), 2);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["actions"][0]["fields"][0]["path"], "config.timeoutSeconds");
    assert_eq!(v["actions"][0]["fields"][0]["live"], 45);
    assert_snapshot!("plan_drift_human", e.snap(&["plan"]));
    e.ok(&["apply", "--auto-approve"]);
    assert_eq!(code(&e.run(&["drift"])), 0);
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
}

/// Issue 12.10: a name from outside (here a state file edited by someone else) cannot drive
/// the terminal: control characters reach stdout escaped.
#[test]
fn names_with_terminal_escapes_are_printed_escaped() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    let path = e.dir.path().join("state/gcsync.state.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\"Lookup User\"", "\"Lookup\\u001b]0;pwned\\u0007\\u001b[2JUser\""))
        .unwrap();
    let out = e.run(&["state", "list"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "raw escapes reached stdout: {stdout:?}"
    );
    assert!(stdout.contains("Lookup\\u{1b}]0;pwned\\u{7}\\u{1b}[2JUser"), "{stdout:?}");
}

/// Issue 13.9 / 14: a saved plan remembers its manifest paths and state; `apply PLAN` uses
/// them, and refuses other ones naming both.
#[test]
fn a_saved_plan_remembers_its_manifests_and_state() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.write("more/b.yaml", &action_yaml("Lookup Order", 10, false));
    e.ok(&["plan", "-m", "manifests", "-m", "more", "--state", "s.json", "--out", "p.json"]);
    let out = e.run(&["apply", "-m", "manifests", "p.json"]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains("the plan was made from `-m manifests -m more`, this apply names `-m manifests`"),
        "{err}"
    );
    let out = e.run(&["apply", "--state", "other.json", "p.json"]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the plan was made with the state `s.json`"));
    e.ok(&["apply", "p.json"]);
    assert_eq!(e.emu.actions().len(), 2);
    let state: serde_json::Value = serde_json::from_str(&e.dir.read("s.json")).unwrap();
    assert_eq!(state["actions"].as_object().unwrap().len(), 2, "the plan's state was written");
}

/// Issue 13.12: plan summarizes lint warnings in one line per run; `-q` prints none.
#[test]
fn plan_summarizes_lint_warnings_and_quiet_hides_them() {
    let e = Env::new();
    // Unescaped input in the URL: an `unescaped-input-url` warning, twice.
    let unescaped =
        action_yaml("Lookup User", 10, false).replace("$esc.url(${input.userId})", "${input.userId}");
    e.write("manifests/a.yaml", &unescaped);
    e.write("manifests/b.yaml", &unescaped.replace("Lookup User", "Lookup Order"));
    let out = e.run(&["plan"]);
    assert_eq!(code(&out), 0);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains(
            "warning: 2 lint warnings in the manifests (unescaped-input-url 2): `gcsync validate` lists them"
        ),
        "{err}"
    );
    assert!(!err.contains("warning[unescaped-input-url]"), "no full report: {err}");
    let out = e.run(&["-q", "plan"]);
    assert_eq!(code(&out), 0);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // validate keeps the full report.
    let out = e.run(&["validate"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("warning[unescaped-input-url]"));
}

/// Issue 13.3: `state rm` takes several names, all or nothing, with "did you mean".
#[test]
fn state_rm_takes_several_names_all_or_nothing() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.write("manifests/b.yaml", &action_yaml("Lookup Order", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    let out = e.run(&["state", "rm", "Lookup User", "Lookup Ordr"]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains("`Lookup Ordr` is not in the state") && err.contains("did you mean `Lookup Order`?"),
        "{err}"
    );
    assert!(err.contains("`gcsync state list` lists"), "{err}");
    assert_eq!(e.state()["actions"].as_object().unwrap().len(), 2, "nothing removed");
    e.ok(&["state", "rm", "Lookup User", "Lookup Order"]);
    assert!(e.state()["actions"].as_object().unwrap().is_empty());
    assert_eq!(e.emu.actions().len(), 2, "both stay in the org");
}

/// Issue 13.7: a scheduled audit whose state download failed must go red, not report "no drift".
#[test]
fn drift_without_a_state_is_an_error_naming_the_path() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    let out = e.run(&["drift"]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("state/gcsync.state.json` does not exist"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("No drift"), "{err}");
    // A state that exists but records nothing (an empty download) is refused the same way.
    e.ok(&["apply", "--auto-approve"]);
    e.ok(&["state", "rm", "Lookup User"]);
    let out = e.run(&["drift"]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("records nothing gcsync manages"));
}

#[test]
fn saved_plans_apply_exactly_and_refuse_when_stale() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["plan", "--out", "p1.json"]);
    let saved = e.dir.read("p1.json");
    assert!(saved.contains("\"kind\": \"gcsync-plan\""));
    e.ok(&["apply", "p1.json"]);
    assert_eq!(e.emu.actions().len(), 1);
    // The same plan again: the state moved.
    let out = e.run(&["apply", "p1.json"]);
    assert_eq!(code(&out), 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the saved plan is stale"),
        "{}",
        render(&out, e.dir.path())
    );
    // Manifests changed after planning.
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 20, false));
    e.ok(&["plan", "--out", "p2.json"]);
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 21, false));
    let out = e.run(&["apply", "p2.json"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the manifests changed"),
        "{}",
        render(&out, e.dir.path())
    );
    // The live action moved after planning.
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 20, false));
    e.ok(&["plan", "--out", "p3.json"]);
    let c = e.emu.client();
    let (_, id, version) = e.emu.actions().remove(0);
    e.emu
        .rt
        .block_on(c.patch_action(&id, &serde_json::json!({"category": "Moved", "version": version})))
        .unwrap();
    let out = e.run(&["apply", "p3.json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "action `Lookup User` (id `{id}`) moved from version {version} to {}",
            version + 1
        )),
        "{err}"
    );
    assert_eq!(code(&out), 1);
}

// A saved plan goes stale only for what it touches: an owned action it leaves alone may be
// edited by hand meanwhile (drift reports that, the next plan restores it).
#[test]
fn a_saved_plan_ignores_actions_it_does_not_change() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    e.write("manifests/b.yaml", &action_yaml("Second One", 10, false));
    e.ok(&["plan", "--out", "p.json"]);
    let c = e.emu.client();
    let (_, id, version) = e.emu.actions().into_iter().find(|a| a.0 == "Lookup User").unwrap();
    e.emu
        .rt
        .block_on(c.patch_action(&id, &serde_json::json!({"category": "By hand", "version": version})))
        .unwrap();
    let out = e.run(&["apply", "p.json"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    assert_eq!(e.emu.actions().len(), 2);
}

#[test]
fn state_of_another_org_is_refused() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    let other = BgEmulator::with_profile_api();
    // The other org even holds an action of the same name (its id differs: ids are unique
    // across orgs, so only `organizations/me` can say whose org this is, and it says no).
    let c = other.client();
    let iid = other.rt.block_on(c.find_integration("Profile API")).unwrap().unwrap().id;
    let mut spec = gcsync::plan::spec_from_post_json(
        &serde_json::from_str::<serde_json::Value>(&e.ok(&["render", "Lookup User"]))
            .map(|mut v| {
                v["integrationId"] = v["integration"].clone();
                v
            })
            .unwrap(),
    )
    .unwrap();
    spec.integration = iid;
    other.rt.block_on(c.create_action(&spec.to_post_json("integrationId"))).unwrap();
    for args in [&["plan"][..], &["drift"], &["apply", "--auto-approve"]] {
        let mut cmd = e.dir.gcsync();
        other.env(&mut cmd);
        let out = cmd.args(args).output().unwrap();
        assert_eq!(code(&out), 1, "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("belongs to org") && err.contains("--state"), "{args:?}: {err}");
    }
    assert_eq!(other.actions().len(), 1, "nothing changed in the other org");
}

#[test]
fn a_second_run_fails_fast_on_the_lock() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    let info = serde_json::json!({"id": "lock-123", "host": gethostname(), "pid": std::process::id(), "operation": "apply", "created": "2026-11-25T10:00:00Z"});
    e.write("state/gcsync.state.json.lock", &info.to_string());
    let shown = e
        .snap(&["apply", "--auto-approve"])
        .replace(&std::process::id().to_string(), "[PID]")
        .replace(&gethostname(), "[HOSTNAME]");
    assert_snapshot!(shown, @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    error: the state is locked by `apply` (pid [PID] on [HOSTNAME], since 2026-11-25T10:00:00Z; lock id lock-123)

    hint: wait for that run to finish; if it is gone for good, `gcsync force-unlock lock-123`
    ");
    assert!(e.emu.actions().is_empty(), "nothing applied");
    assert_eq!(code(&e.run(&["force-unlock", "wrong"])), 1);
    assert_eq!(code(&e.run(&["force-unlock", "lock-123"])), 0);
    e.ok(&["apply", "--auto-approve"]);
}

fn gethostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_string()).unwrap_or_default()
}

#[test]
fn apply_refuses_without_a_terminal_or_auto_approve() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    let out = e.run(&["apply"]);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to apply without confirmation"));
    assert!(e.emu.actions().is_empty());
}

#[test]
fn targets_limit_the_plan() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("A One", 10, false));
    e.write("manifests/b.yaml", &action_yaml("B Two", 10, false));
    let out = e.ok(&["apply", "--auto-approve", "--target", "B Two"]);
    assert!(out.contains("1 added"), "{out}");
    let names: Vec<String> = e.emu.actions().into_iter().map(|a| a.0).collect();
    assert_eq!(names, vec!["B Two".to_string()]);
    assert_eq!(code(&e.run(&["plan", "--target", "Nope"])), 1);
}

#[test]
fn incremental_no_change_plan_reads_the_org_the_action_list_and_the_integration_list() {
    let e = Env::new();
    for i in 0..5 {
        e.write(&format!("manifests/a{i}.yaml"), &action_yaml(&format!("Action {i}"), 10, false));
    }
    e.ok(&["apply", "--auto-approve"]);
    e.emu.clear_requests();
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
    let calls: Vec<String> = e
        .emu
        .requests()
        .iter()
        .filter(|r| r["path"] != "/oauth/token")
        .map(|r| format!("{} {}", r["method"].as_str().unwrap(), r["path"].as_str().unwrap()))
        .collect();
    // The action list (one page here, two at N = 1000; the state's own action ids in it
    // prove the org, so `organizations/me` is not read) and the integration list (two
    // integrations sharing a name gcsync addresses are an error in every plan).
    assert_eq!(calls, vec!["GET /api/v2/integrations/actions", "GET /api/v2/integrations"]);
    assert_eq!(e.state()["org_name"], "gcsync local org", "the org's name is recorded for the header");
    // A state written before the name was recorded reads who the org is, once more.
    let mut state = e.state();
    state.as_object_mut().unwrap().remove("org_name");
    e.write("state/gcsync.state.json", &serde_json::to_string_pretty(&state).unwrap());
    e.emu.clear_requests();
    let out = e.ok(&["plan"]);
    assert!(out.contains("Plan for org `gcsync local org`"), "{out}");
    assert!(e.emu.requests().iter().any(|r| r["path"] == "/api/v2/organizations/me"));
    // A full refresh reads everything.
    e.emu.clear_requests();
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode", "--refresh", "full"])), 0);
    let n = e.emu.requests().len();
    assert!(n > 15, "{n} calls");
}

#[test]
fn apply_converges_under_injected_faults() {
    let e = Env::new();
    for i in 0..8 {
        e.write(&format!("manifests/a{i}.yaml"), &action_yaml(&format!("Action {i}"), 10, false));
    }
    e.emu.set_faults(&["429 rate=0.2 retry-after=0", "503 rate=0.2", "drop rate=0.1", "drop-after rate=0.1"]);
    let mut cmd = e.cmd(&["apply", "--auto-approve"]);
    let out = cmd.env("GCSYNC_MAX_ATTEMPTS", "12").output().unwrap();
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    e.emu.set_faults(&[]);
    let actions = e.emu.actions();
    assert_eq!(actions.len(), 8, "no duplicates: {actions:?}");
    let faults = e.emu.requests().iter().filter(|r| r.get("fault").is_some()).count();
    assert!(faults > 5, "faults were injected ({faults})");
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
}

#[test]
fn an_apply_killed_after_each_mutation_converges_without_duplicates() {
    // Setup: A, B, C exist; the change set then updates B, deletes C, creates D and E:
    // four mutations. Kill gcsync while the k-th mutation is held by the org, before
    // ("hang") or after ("hang-after") the org processed it, then run apply again.
    for kind in ["hang", "hang-after"] {
        for k in 1..=4 {
            let e = Env::new();
            for n in ["A", "B", "C"] {
                e.write(&format!("manifests/{n}.yaml"), &action_yaml(&format!("Action {n}"), 10, false));
            }
            e.ok(&["apply", "--auto-approve"]);
            e.write("manifests/B.yaml", &action_yaml("Action B", 33, false));
            std::fs::remove_file(e.dir.path().join("manifests/C.yaml")).unwrap();
            for n in ["D", "E"] {
                e.write(&format!("manifests/{n}.yaml"), &action_yaml(&format!("Action {n}"), 10, false));
            }
            e.apply_killed_at(kind, k, "POST,PATCH,DELETE");
            // State must still be readable (`state()` parses it or fails the test).
            e.state();
            let out = e.run(&["apply", "--auto-approve"]);
            assert_eq!(code(&out), 0, "{kind} k={k}: {}", render(&out, e.dir.path()));
            let names: Vec<String> = e.emu.actions().into_iter().map(|a| a.0).collect();
            assert_eq!(names, vec!["Action A", "Action B", "Action D", "Action E"], "{kind} k={k}");
            let state = e.state();
            let tracked: Vec<&String> = state["actions"].as_object().unwrap().keys().collect();
            assert_eq!(tracked, vec!["Action A", "Action B", "Action D", "Action E"], "{kind} k={k}");
            assert!(state.get("pending").is_none(), "{kind} k={k}: journal cleared");
            assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0, "{kind} k={k}");
        }
    }
}

#[test]
fn export_writes_every_action_and_never_an_empty_template() {
    let e = Env::new();
    for i in 0..3 {
        e.write(&format!("manifests/a{i}.yaml"), &action_yaml(&format!("Exported {i}"), 10 + i, false));
    }
    e.ok(&["apply", "--auto-approve"]);
    let out = e.run(&["export", "-o", "exported"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    // The exported manifests render to exactly what the originals render to.
    let original = e.ok(&["render"]);
    let exported = e.ok(&["render", "-m", "exported"]);
    assert_eq!(original, exported);
    // A template the API cannot deliver is an error for that action, not an empty file.
    e.emu.set_faults(&["500 path=/api/v2/integrations/actions/ nth=2"]);
    let out = e.cmd(&["export", "-o", "again"]).env("GCSYNC_MAX_ATTEMPTS", "1").output().unwrap();
    e.emu.set_faults(&[]);
    assert_eq!(code(&out), 1, "{}", render(&out, e.dir.path()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not exported"), "{}", render(&out, e.dir.path()));
    let written = std::fs::read_dir(e.dir.path().join("again")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 2, "the other actions are exported");
    // Import by id adopts an action gcsync does not manage yet.
    let c = e.emu.client();
    let iid = e.emu.rt.block_on(c.find_integration("Profile API")).unwrap().unwrap().id;
    let mut spec = gcsync::plan::spec_from_post_json(
        &serde_json::from_str::<serde_json::Value>(&e.ok(&["render", "Exported 0"]))
            .map(|mut v| {
                v["integrationId"] = v["integration"].clone();
                v
            })
            .unwrap(),
    )
    .unwrap();
    spec.name = "By Id".into();
    spec.integration = iid;
    let created = e.emu.rt.block_on(c.create_action(&spec.to_post_json("integrationId"))).unwrap();
    let out = e.run(&["import", &created.id, "-o", "imported"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    assert!(e.dir.read("imported/by-id.yaml").contains("name: By Id"));
    let state: serde_json::Value = serde_json::from_str(&e.dir.read("state/gcsync.state.json")).unwrap();
    assert_eq!(state["actions"]["By Id"]["id"], created.id.as_str());
    // One name in two integrations: both are exported, one file per integration, and what
    // export wrote validates (identity is integration plus name).
    let other = e.emu.rt.block_on(c.create_integration("Other API", "custom-rest-actions", "")).unwrap();
    spec.integration = other.id;
    e.emu.rt.block_on(c.create_action(&spec.to_post_json("integrationId"))).unwrap();
    let out = e.run(&["export", "-o", "clash"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    assert!(e.dir.read("clash/by-id-profile-api.yaml").contains("integration: Profile API"));
    assert!(e.dir.read("clash/by-id-other-api.yaml").contains("integration: Other API"));
    assert!(!e.dir.path().join("clash/by-id.yaml").exists());
    assert_eq!(code(&e.run(&["validate", "-m", "clash"])), 0);
    // Two *integrations* with one name: export says so (its manifests name an integration
    // every plan refuses), and `--integration` with that name is refused, naming both ids.
    let twin = e.emu.rt.block_on(c.create_integration("Other API", "custom-rest-actions", "")).unwrap();
    let out = e.run(&["export", "-o", "twins"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    let text = render(&out, e.dir.path());
    assert!(
        text.contains("warning: 2 integrations are named `Other API`")
            && text.contains(&format!("`{}`", twin.id))
            && text.contains("every plan refuses"),
        "{text}"
    );
    assert!(!text.contains("named `Profile API`"), "only names the export uses: {text}");
    let out = e.run(&["export", "--integration", "Other API", "-o", "twins-only"]);
    assert_eq!(code(&out), 1, "{}", render(&out, e.dir.path()));
    assert!(render(&out, e.dir.path()).contains("2 integrations are named `Other API`"));
    assert!(!e.dir.path().join("twins-only").exists(), "nothing written");
}

#[test]
fn an_update_whose_answer_is_lost_is_recorded_not_reported_as_a_conflict() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 15, false));
    // The PATCH is applied but its answer is lost; the client retries it and meets 409.
    e.emu.set_faults(&["drop-after method=PATCH nth=1"]);
    let out = e.ok(&["apply", "--auto-approve"]);
    e.emu.set_faults(&[]);
    assert!(out.contains("Apply complete: 0 added, 1 changed"), "{out}");
    let (_, _, version) = e.emu.actions().remove(0);
    assert_eq!(e.state()["actions"]["Lookup User"]["version"], version, "state holds the live version");
    assert_eq!(code(&e.run(&["drift"])), 0, "no false drift");
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
}

#[test]
fn a_plan_without_changes_still_brings_a_lagging_state_up_to_date() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    // The live version moves while the definition stays what the manifests say.
    let c = e.emu.client();
    let (_, id, version) = e.emu.actions().remove(0);
    e.emu.rt.block_on(async {
        let full = c.get_action_full(&id, false).await.unwrap();
        let config = serde_json::to_value(full.config.unwrap()).unwrap();
        c.patch_action(&id, &serde_json::json!({"config": config, "version": version})).await.unwrap();
    });
    let out = e.run(&["apply", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    assert!(String::from_utf8_lossy(&out.stdout).contains("No changes."));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the state was brought up to date"));
    assert_eq!(e.state()["actions"]["Lookup User"]["version"], version + 1);
    let before = e.emu.requests().len();
    e.ok(&["apply", "--auto-approve"]);
    let mutations = e.emu.requests()[before..]
        .iter()
        .filter(|r| r["method"] != "GET" && r["path"] != "/oauth/token")
        .count();
    assert_eq!(mutations, 0, "the org was never touched");
}

#[test]
fn reordering_inputs_is_no_contract_change() {
    let e = Env::new();
    let two = |first: &str, second: &str| {
        format!(
            "kind: DataAction\nname: Two Inputs\nintegration: Profile API\nrequest:\n  method: GET\n  url: https://api.example.com/$esc.url(${{input.a}})/$esc.url(${{input.b}})\ninputs:\n  {first}: {{type: string, required: true}}\n  {second}: {{type: string, required: true}}\noutputs:\n  name: {{type: string, from: $.name}}\n"
        )
    };
    e.write("manifests/a.yaml", &two("a", "b"));
    e.ok(&["apply", "--auto-approve"]);
    e.write("manifests/a.yaml", &two("b", "a"));
    let out = e.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
}

#[test]
fn renamed_from_renames_in_place_and_keeps_the_id() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    let id = e.emu.actions()[0].1.clone();
    // A plain rename in the manifest is a delete and a create; the plan says how to keep the id.
    e.write("manifests/a.yaml", &action_yaml("Find User", 10, false));
    let out = e.run(&["plan"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("add `renamedFrom: Lookup User` to its manifest"), "{text}");
    assert!(text.contains("Plan: 1 to add, 0 to change, 0 to replace, 1 to destroy."), "{text}");
    // With `renamedFrom` it is an update in place.
    let renamed = action_yaml("Find User", 10, false).replacen(
        "name: Find User\n",
        "name: Find User\nrenamedFrom: Lookup User\n",
        1,
    );
    e.write("manifests/a.yaml", &renamed);
    let out = e.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code(&out), 2, "{}", render(&out, e.dir.path()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("renamed from `Lookup User` (`renamedFrom`): same action, same id"), "{text}");
    assert!(text.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."), "{text}");
    e.ok(&["apply", "--auto-approve"]);
    let after = e.emu.actions();
    assert_eq!(after.len(), 1);
    assert_eq!((after[0].0.as_str(), after[0].1.as_str()), ("Find User", id.as_str()), "renamed, same id");
    let state = e.state();
    assert!(state["actions"].get("Lookup User").is_none(), "{state}");
    assert_eq!(state["actions"]["Find User"]["id"], id.as_str());
    // Afterwards `renamedFrom` is inert: no changes.
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
    // It may not name the action itself.
    e.write("manifests/a.yaml", &renamed.replace("renamedFrom: Lookup User", "renamedFrom: Find User"));
    let out = e.run(&["validate"]);
    assert_eq!(code(&out), 1);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("`renamedFrom` names the action itself"),
        "{}",
        render(&out, e.dir.path())
    );
}

#[test]
fn a_renamed_action_replaced_and_killed_at_each_mutation_converges() {
    // Rename with `renamedFrom` plus a contract change (a replace): DELETE then POST. Kill
    // while the org holds each, before or after processing it, then apply again.
    for kind in ["hang", "hang-after"] {
        for k in 1..=2 {
            let e = Env::new();
            e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
            e.ok(&["apply", "--auto-approve"]);
            let renamed = action_yaml("Find User", 10, true).replacen(
                "name: Find User\n",
                "name: Find User\nrenamedFrom: Lookup User\nallowReplace: true\n",
                1,
            );
            e.write("manifests/a.yaml", &renamed);
            e.apply_killed_at(kind, k, "POST,DELETE");
            let out = e.run(&["apply", "--auto-approve"]);
            assert_eq!(code(&out), 0, "{kind} k={k}: {}", render(&out, e.dir.path()));
            let names: Vec<String> = e.emu.actions().into_iter().map(|a| a.0).collect();
            assert_eq!(names, vec!["Find User"], "{kind} k={k}");
            let state = e.state();
            let tracked: Vec<&String> = state["actions"].as_object().unwrap().keys().collect();
            assert_eq!(tracked, vec!["Find User"], "{kind} k={k}");
            assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0, "{kind} k={k}");
        }
    }
}

#[test]
fn targeting_only_the_old_name_of_a_rename_never_deletes_it() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    let renamed = action_yaml("Find User", 10, false).replacen(
        "name: Find User\n",
        "name: Find User\nrenamedFrom: Lookup User\n",
        1,
    );
    e.write("manifests/a.yaml", &renamed);
    let out = e.run(&["plan", "--target", "Lookup User", "--detailed-exitcode"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("will be deleted"));
}

#[test]
fn a_state_digest_from_an_older_gcsync_is_recorded_not_reported_forever() {
    let e = Env::new();
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    e.ok(&["apply", "--auto-approve"]);
    let path = e.dir.path().join("state/gcsync.state.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let digest = e.state()["actions"]["Lookup User"]["digest"].as_str().unwrap().to_string();
    std::fs::write(
        &path,
        text.replace(&digest, "sha256:0000000000000000000000000000000000000000000000000000000000000000"),
    )
    .unwrap();
    let out = e.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    let out = e.run(&["apply", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the state was brought up to date"));
    assert_eq!(e.state()["actions"]["Lookup User"]["digest"], digest.as_str());
    let out = e.run(&["apply", "--auto-approve"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("brought up to date"), "recorded once");
}

// Long steps say how far they are (a line every tenth without a terminal) and when gcsync
// waits for the org's rate limit; `-q` silences both.
#[test]
fn long_steps_show_progress_and_rate_limit_waits() {
    let e = Env::new();
    for i in 0..12 {
        e.write(&format!("manifests/a{i:02}.yaml"), &action_yaml(&format!("Action {i:02}"), 10, false));
    }
    e.ok(&["apply", "--auto-approve"]);
    e.emu.set_faults(&["429 nth=2 retry-after=1"]);
    let out = e.run(&["export", "-o", "exported"]);
    e.emu.set_faults(&[]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("reading actions: 10/12 ("), "{err}");
    assert!(err.contains("reading actions: 12/12 ("), "{err}");
    assert!(err.contains("the org is rate limiting this client (429); waiting 1.0 s as it asked"), "{err}");
    let out = e.run(&["-q", "export", "-o", "again"]);
    assert_eq!(code(&out), 0);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("reading actions"), "-q is quiet");
}

fn action_in(name: &str, integration: &str) -> String {
    action_yaml(name, 10, false).replace("integration: Profile API", &format!("integration: {integration}"))
}

// Genesys allows one action name in several integrations: an action's identity in gcsync is
// its integration plus its name. Manifests, plan, state, export and import all carry it; the
// duplicate-name rule checks names per integration.
#[test]
fn one_name_in_two_integrations() {
    let e = Env::new();
    let c = e.emu.client();
    e.emu.rt.block_on(c.create_integration("Billing API", "custom-rest-actions", "")).unwrap();
    e.write("manifests/a.yaml", &action_in("Get Status", "Profile API"));
    e.write("manifests/b.yaml", &action_in("Get Status", "Billing API"));
    e.ok(&["validate"]);
    let out = e.ok(&["apply", "--auto-approve"]);
    assert!(out.contains("Get Status [Billing API]") && out.contains("Get Status [Profile API]"), "{out}");
    let names: Vec<String> = e.emu.actions().into_iter().map(|a| a.0).collect();
    assert_eq!(names, ["Get Status", "Get Status"]);
    let state: serde_json::Value = serde_json::from_str(&e.dir.read("state/gcsync.state.json")).unwrap();
    let keys: Vec<&String> = state["actions"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["Get Status [Billing API]", "Get Status [Profile API]"]);
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 0);
    // A change to one touches only that one.
    e.write(
        "manifests/b.yaml",
        &action_in("Get Status", "Billing API").replace("timeoutSeconds: 10", "timeoutSeconds: 15"),
    );
    let out = e.ok(&["plan", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["changes"][0]["name"], "Get Status [Billing API]");
    e.write("manifests/b.yaml", &action_in("Get Status", "Billing API"));
    // Twice in one integration is still an error.
    e.write("manifests/c.yaml", &action_in("Get Status", "Billing API"));
    assert_eq!(code(&e.run(&["validate"])), 1);
    std::fs::remove_file(e.dir.path().join("manifests/c.yaml")).unwrap();
    // Export writes both, one file per integration; a fresh state adopts both with --all.
    let out = e.run(&["export", "-o", "exported"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    assert!(e.dir.read("exported/get-status-billing-api.yaml").contains("integration: Billing API"));
    assert!(e.dir.read("exported/get-status-profile-api.yaml").contains("integration: Profile API"));
    let out = e.run(&["import", "--all", "--state", "fresh.json"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Adopted 2 actions"),
        "{}",
        render(&out, e.dir.path())
    );
    assert_eq!(code(&e.run(&["plan", "--state", "fresh.json", "--detailed-exitcode"])), 0);
}

/// The corpus of real public actions beside the repository; `None` (a printed skip) when it
/// is missing, a failure under CI.
fn corpus() -> Option<std::path::PathBuf> {
    let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/actions");
    if d.is_dir() {
        return Some(d);
    }
    assert!(std::env::var_os("CI").is_none(), "../shared/corpus/actions is missing, and CI is set");
    eprintln!("SKIPPED: ../shared/corpus/actions is not present beside the repository");
    None
}

// Day two, end to end: an org holding 60+ real hand-made actions (some with lint errors,
// two sharing a name in different integrations) is adopted with export, validate, import
// --all and a no-change plan; then a hand edit shows as drift, and a saved plan for another
// action still applies.
#[test]
fn adopting_an_org_of_corpus_actions() {
    let Some(dir) = corpus() else { return };
    let e = Env::new();
    let c = e.emu.client();
    let rt = &e.emu.rt;
    let data = rt.block_on(c.create_integration("Genesys Data", "purecloud-data-actions", "")).unwrap().id;
    let rest = rt.block_on(c.find_integration("Profile API")).unwrap().unwrap().id;
    let second =
        rt.block_on(c.create_integration("Genesys Data EU", "purecloud-data-actions", "")).unwrap().id;
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|f| f.unwrap().path()).collect();
    files.sort();
    let mut seen = std::collections::BTreeSet::new();
    let (mut created, mut shared) = (0, 0);
    for f in files {
        let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let name = v["name"].as_str().unwrap().to_string();
        let integration = match v["integrationType"].as_str() {
            Some("purecloud-data-actions") if seen.contains(&name) => {
                shared += 1;
                &second
            }
            Some("purecloud-data-actions") => &data,
            Some("custom-rest-actions") => &rest,
            _ => continue,
        };
        if seen.contains(&name) && integration != &second {
            continue;
        }
        v["integrationId"] = serde_json::json!(integration);
        v["category"] = serde_json::json!("Corpus");
        if rt.block_on(c.create_action(&v)).is_ok() {
            created += 1;
            seen.insert(name);
        }
        if created >= 70 {
            break;
        }
    }
    assert!(created >= 60, "{created} corpus actions loaded");
    assert!(shared >= 1, "a name in two integrations");

    let out = e.run(&["export", "-o", "manifests"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    let allowed = std::fs::read_dir(e.dir.path().join("manifests"))
        .unwrap()
        .filter(|f| std::fs::read_to_string(f.as_ref().unwrap().path()).unwrap().contains("# gcsync:allow "))
        .count();
    assert!(allowed >= 1, "some live actions carry lint errors, allowed with a reason");
    eprintln!("{created} actions loaded, {shared} sharing a name, {allowed} manifests with allowances");
    let out = e.run(&["validate"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    let out = e.run(&["import", "--all"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains(&format!("Adopted {created} actions")), "{summary}");
    let out = e.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));

    // A hand edit in the org: drift reports it (exit 2).
    let state = e.state();
    let owned: Vec<(String, String)> = state["actions"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, t)| (k.clone(), t["id"].as_str().unwrap().to_string()))
        .collect();
    let (edited, id) = owned[0].clone();
    let edit = |category: &str| {
        let a = rt.block_on(c.get_action(&id, false)).unwrap();
        rt.block_on(c.patch_action(&id, &serde_json::json!({"category": category, "version": a.version})))
            .unwrap();
    };
    edit("Edited by hand");
    let out = e.run(&["drift"]);
    assert_eq!(code(&out), 2, "{}", render(&out, e.dir.path()));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&edited), "{}", render(&out, e.dir.path()));
    // A saved plan for another action still applies after a further hand edit of the first.
    let (other, _) = owned[1].clone();
    let file = std::fs::read_dir(e.dir.path().join("manifests"))
        .unwrap()
        .map(|f| f.unwrap().path())
        .find(|p| std::fs::read_to_string(p).unwrap().contains(&format!("name: {other}\n")))
        .expect("the other action's manifest");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("category: Corpus", "category: Corpus v2")).unwrap();
    e.ok(&["plan", "--target", &other, "--out", "p.json"]);
    edit("Edited again");
    let out = e.run(&["apply", "p.json"]);
    assert_eq!(code(&out), 0, "{}", render(&out, e.dir.path()));
}

// Global flags only where they mean something; `apply --json` labels every field.
#[test]
fn global_flags_are_scoped_and_apply_json_is_labelled() {
    let e = Env::new();
    for (args, msg) in [
        (&["--local", "convert", "x.json"][..], "`gcsync convert` does not talk to an org; drop `--local`"),
        (&["--local", "validate"][..], "`gcsync validate` does not talk to an org; drop `--local`"),
        (
            &["--environments-dir", "envs", "show", "p.json"][..],
            "`gcsync show` does not use environments; drop `--environments-dir`",
        ),
        (&["--env", "dev", "eval"][..], "`gcsync eval` does not use an environment; drop `--env`"),
    ] {
        let out = e.run(args);
        assert_eq!(code(&out), 1, "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(msg),
            "{args:?}: {}",
            render(&out, e.dir.path())
        );
    }
    e.write("manifests/a.yaml", &action_yaml("Lookup User", 10, false));
    let out = e.ok(&["apply", "--auto-approve", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let applied = &v["applied"][0];
    assert_eq!(applied["outcome"], "created");
    assert!(applied["id"].is_string() && applied.get("detail").is_none(), "{applied}");
}
