//! Function data actions through plan and apply against the emulator (issue 17): create as a
//! draft, set the function, upload, wait for `Available`, publish; a no-change plan; code,
//! settings and definition changes; drift of the settings; delete; kill -9 at each step of
//! the lifecycle converging with no duplicate and no orphan draft; a refused upload; a saved
//! plan whose code changed; export and import. None of this runs the code, so `node` is not
//! needed.

use crate::assert_snapshot;
use crate::common::code;
use crate::reconcile::Env;

const INTEGRATION: &str = "kind: Integration\nname: Lead Functions\ntype: function-data-actions\n";

fn manifest(handler: &str, runtime: &str, extra: &str) -> String {
    format!(
        "kind: DataAction\nname: Score Lead\nintegration: Lead Functions\nfunction:\n  source: ../code\n  handler: {handler}\n  runtime: {runtime}\n  timeoutSeconds: 10\n  description: Scores a lead.\n{extra}inputs:\n  leadId: {{type: string, required: true}}\noutputs:\n  score: {{type: integer, from: $.score}}\n"
    )
}

fn project() -> Env {
    let e = Env::new();
    e.write("manifests/integration.yaml", INTEGRATION);
    e.write("manifests/score.yaml", &manifest("src/index.handler", "nodejs22.x", ""));
    e.write("code/src/index.js", "exports.handler = async () => ({score: 1});\n");
    e.write("code/src/main.js", "exports.run = async () => ({score: 2});\n");
    e
}

/// Names of the org's drafts.
fn drafts(e: &Env) -> Vec<String> {
    let c = e.emu.client();
    e.emu.rt.block_on(c.list_drafts()).unwrap().into_iter().map(|a| a.name).collect()
}

/// The published function settings and zip status of `id`.
fn published_function(e: &Env, id: &str) -> (serde_json::Value, Option<String>) {
    let c = e.emu.client();
    let cfg = e.emu.rt.block_on(c.get_function(id)).unwrap();
    (cfg.function.clone().unwrap(), cfg.zip_status().map(str::to_string))
}

fn uploads(e: &Env) -> usize {
    e.emu
        .requests()
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with("/draft/function/upload")))
        .count()
}

/// Exactly one published `Score Lead`, no draft left, and a plan with nothing to do.
fn converged(e: &Env, why: &str) -> String {
    let actions = e.emu.actions();
    assert_eq!(actions.iter().filter(|a| a.0 == "Score Lead").count(), 1, "{why}: {actions:?}");
    assert!(drafts(e).is_empty(), "{why}: drafts left: {:?}", drafts(e));
    let out = e.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(code(&out), 0, "{why}: {}", String::from_utf8_lossy(&out.stdout));
    actions.into_iter().find(|a| a.0 == "Score Lead").unwrap().1
}

#[test]
fn create_update_drift_and_delete_a_function_action() {
    let e = project();
    let plan = e.ok(&["plan"]);
    assert!(plan.contains("function.handler: \"src/index.handler\""), "{plan}");
    assert!(plan.contains("function code: sha256 "), "{plan}");
    assert!(!plan.contains("requestUrlTemplate"), "the platform's URL is not part of the manifest: {plan}");
    let out = e.run(&["apply", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("Score Lead: uploading the code"), "{log}");
    assert!(log.contains("Score Lead: code Available"), "{log}");
    let id = converged(&e, "after the create");
    let (settings, zip) = published_function(&e, &id);
    assert_eq!(settings["handler"], "src/index.handler");
    assert_eq!(settings["timeoutSeconds"], 10);
    assert_eq!(zip.as_deref(), Some("Available"));
    let state = e.state();
    let f = &state["actions"]["Score Lead"]["function"];
    assert_eq!(f["runtime"], "nodejs22.x");
    let first_hash = f["zipSha256"].as_str().unwrap().to_string();
    assert!(first_hash.starts_with("sha256:"), "{f}");
    // A full refresh reads the published settings and the generated URL: still nothing to do.
    assert_eq!(code(&e.run(&["plan", "--refresh", "full", "--detailed-exitcode"])), 0);
    assert!(e.ok(&["drift"]).contains("No drift"));

    // A code change: the hash is how plan sees it; apply uploads through a draft of the
    // published action and publishes it under the same id.
    e.write("code/src/index.js", "exports.handler = async () => ({score: 3});\n");
    assert_eq!(code(&e.run(&["plan", "--detailed-exitcode"])), 2);
    assert_snapshot!("function_code_changed", e.snap(&["plan"]));
    e.emu.clear_requests();
    assert!(e.ok(&["apply", "--auto-approve"]).contains("0 added, 1 changed"));
    assert_eq!(uploads(&e), 1);
    assert_eq!(converged(&e, "after the code change"), id, "same id");
    assert_ne!(
        e.state()["actions"]["Score Lead"]["function"]["zipSha256"].as_str(),
        Some(first_hash.as_str())
    );

    // Handler and runtime: settings only, no upload.
    e.write("manifests/score.yaml", &manifest("src/main.run", "nodejs20.x", ""));
    let plan = e.ok(&["plan"]);
    assert!(plan.contains("function.handler: \"src/index.handler\" → \"src/main.run\""), "{plan}");
    assert!(plan.contains("function.runtime: \"nodejs22.x\" → \"nodejs20.x\""), "{plan}");
    assert!(!plan.contains("function code"), "{plan}");
    e.emu.clear_requests();
    e.ok(&["apply", "--auto-approve"]);
    assert_eq!(uploads(&e), 0, "the code did not change");
    assert_eq!(converged(&e, "after the settings change"), id);
    assert_eq!(published_function(&e, &id).0["handler"], "src/main.run");

    // The definition (a header reaching the handler's client context) through the draft; the
    // platform's request URL is kept.
    e.write(
        "manifests/score.yaml",
        &manifest("src/main.run", "nodejs20.x", "request:\n  headers: {X-Team: leads}\n"),
    );
    let plan = e.ok(&["plan"]);
    assert!(plan.contains("config.request.headers"), "{plan}");
    e.ok(&["apply", "--auto-approve"]);
    assert_eq!(converged(&e, "after the definition change"), id);
    let c = e.emu.client();
    let full = e.emu.rt.block_on(c.get_action_full(&id, false)).unwrap();
    let url = full.config.unwrap().request.request_url_template;
    assert!(url.starts_with("https://function.gcsync.test/"), "{url}");

    // Drift: the timeout changed by hand in the org.
    let draft = e.emu.rt.block_on(c.draft_from_published(&id)).unwrap();
    let mut settings = published_function(&e, &id).0;
    settings["timeoutSeconds"] = serde_json::json!(3);
    e.emu.rt.block_on(c.put_draft_function(&id, &settings)).unwrap();
    e.emu.rt.block_on(c.publish_draft(&id, draft.version)).unwrap();
    let out = e.run(&["drift"]);
    assert_ne!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("function.timeoutSeconds"), "{text}");
    assert!(!text.contains("requestUrlTemplate") && !text.contains("zipId"), "{text}");
    let plan = e.ok(&["plan"]);
    assert!(plan.contains("function.timeoutSeconds: 3 → 10"), "{plan}");
    e.ok(&["apply", "--auto-approve"]);
    assert_eq!(converged(&e, "after restoring the drift"), id);

    // Delete.
    std::fs::remove_file(e.dir.path().join("manifests/score.yaml")).unwrap();
    let plan = e.ok(&["plan"]);
    assert!(plan.contains("- Score Lead will be deleted"), "{plan}");
    e.ok(&["apply", "--auto-approve"]);
    assert!(e.emu.actions().iter().all(|a| a.0 != "Score Lead"));
    assert!(drafts(&e).is_empty());
    assert!(e.state()["actions"].get("Score Lead").is_none());
}

/// SIGKILL at each step of a function action's create and update; the next apply converges:
/// one action, no draft left behind, an empty plan.
#[test]
fn a_killed_apply_converges_at_every_step_of_the_lifecycle() {
    // (fault kind, nth request, methods): the requests to the actions routes of a create are
    // POST drafts, PUT draft/function, POST draft/function/upload, POST draft/publish.
    let create_points = [
        ("hang", 1, "POST", "before the draft is created"),
        ("hang-after", 1, "POST", "after the draft is created"),
        ("hang-after", 1, "PUT", "after the function settings are set"),
        ("hang-after", 2, "POST", "after the upload URL is handed out"),
        ("hang", 3, "POST", "before publishing"),
        ("hang-after", 3, "POST", "after publishing, before the state records it"),
    ];
    for (kind, k, methods, when) in create_points {
        let e = project();
        // The integration first, so that only the action's steps are in flight.
        e.ok(&["apply", "--auto-approve", "--target", "Lead Functions"]);
        e.apply_killed_at(kind, k, methods);
        let out = e.run(&["apply", "--auto-approve"]);
        assert_eq!(code(&out), 0, "create killed {when}: {}", String::from_utf8_lossy(&out.stderr));
        converged(&e, &format!("create killed {when}"));
        let f = &e.state()["actions"]["Score Lead"]["function"];
        assert!(
            f["zipSha256"].as_str().is_some_and(|s| s.starts_with("sha256:")),
            "create killed {when}: {f}"
        );
    }
    // An update: POST draft (from published), PUT draft/function, POST upload, POST publish.
    let update_points = [
        ("hang-after", 1, "POST", "after the draft is made from the published action"),
        ("hang-after", 2, "POST", "after the upload URL is handed out"),
        ("hang-after", 3, "POST", "after publishing, before the state records it"),
    ];
    for (kind, k, methods, when) in update_points {
        let e = project();
        e.ok(&["apply", "--auto-approve"]);
        let id = converged(&e, "before the update");
        e.write("code/src/index.js", &format!("exports.handler = async () => ({{score: {}}});\n", k + 10));
        e.apply_killed_at(kind, k, methods);
        let out = e.run(&["apply", "--auto-approve"]);
        assert_eq!(code(&out), 0, "update killed {when}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(converged(&e, &format!("update killed {when}")), id, "update killed {when}: same id");
    }
}

#[test]
fn a_refused_upload_is_a_clear_error_and_the_next_apply_takes_the_draft_over() {
    let e = project();
    e.ok(&["apply", "--auto-approve", "--target", "Lead Functions"]);
    e.emu.set_faults(&["403 path=/__emulator/uploads"]);
    let out = e.run(&["apply", "--auto-approve"]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the zip upload to http://127.0.0.1:"), "{err}");
    assert!(err.contains("was refused: HTTP 403"), "{err}");
    assert!(!err.contains("token=") && !err.contains("?"), "the presigned query is never shown: {err}");
    assert!(err.contains("an unfinished draft is taken over by the next apply"), "{err}");
    assert_eq!(drafts(&e), ["Score Lead"], "the draft waits for the next apply");
    e.emu.set_faults(&[]);
    let out = e.ok(&["apply", "--auto-approve"]);
    assert!(out.contains("1 added"), "{out}");
    converged(&e, "after the refused upload");
}

#[test]
fn a_saved_plan_refuses_code_changed_after_it_was_made() {
    let e = project();
    e.ok(&["plan", "--out", "plan.json"]);
    let saved = e.dir.read("plan.json");
    assert!(saved.contains("\"zipSha256\""), "{saved}");
    e.write("code/src/index.js", "exports.handler = async () => ({score: 99});\n");
    let out = e.run(&["apply", "plan.json"]);
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("changed since the plan"), "{err}");
    assert!(err.contains("gcsync plan --out FILE"), "{err}");
    assert!(e.emu.actions().iter().all(|a| a.0 != "Score Lead"), "nothing was applied");
}

#[test]
fn export_and_import_of_a_function_action() {
    let e = project();
    e.ok(&["apply", "--auto-approve"]);
    let id = converged(&e, "created");
    // A new project of the same org: export writes the settings and a source directory the
    // user must fill.
    std::fs::remove_dir_all(e.dir.path().join("manifests")).unwrap();
    std::fs::remove_dir_all(e.dir.path().join("state")).unwrap();
    let x = &e;
    let out = x.run(&["export", "-o", "manifests"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exported without code"));
    let yaml = x.dir.read("manifests/score-lead.yaml");
    assert!(
        yaml.contains("function:\n  source: ../functions/score-lead\n  handler: src/index.handler"),
        "{yaml}"
    );
    assert!(yaml.contains("never gives a function's code back"), "{yaml}");
    assert!(!yaml.contains("url:"), "{yaml}");
    let out = x.run(&["validate"]);
    assert_ne!(code(&out), 0);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("function-source"), "{text}");
    // Import: state only (the manifest exists), without a code hash; the first apply uploads
    // the code once.
    x.write("manifests/integration.yaml", INTEGRATION);
    x.write("functions/score-lead/src/index.js", "exports.handler = async () => ({score: 5});\n");
    x.ok(&["import", "--all"]);
    let f = &x.state()["actions"]["Score Lead"]["function"];
    assert_eq!(f["handler"], "src/index.handler", "{f}");
    assert!(f.get("zipSha256").is_none(), "{f}");
    let plan = x.ok(&["plan"]);
    assert!(plan.contains("function code uploaded (unknown → sha256 "), "{plan}");
    x.emu.clear_requests();
    x.ok(&["apply", "--auto-approve"]);
    assert_eq!(uploads(x), 1);
    assert_eq!(converged(x, "after the first apply of an imported action"), id);
}
