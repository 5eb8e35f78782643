//! Apply's reliability rules on a scripted org: each test states the exact calls the org
//! sees and what the state store persisted at each step (milliseconds, no server).

use super::*;
use crate::plan::tests::desired;
use crate::plan::{Desired, Live, LiveSummary, Options};
use crate::remote::ApiError;
use crate::remote::fake::{Call, Reply, Scripted};
use crate::state::store::MemoryStore;
use serde_json::json;

/// The planner tests' action (its output contract is irrelevant here).
fn spec(name: &str, timeout: i64) -> ActionSpec {
    crate::plan::tests::spec(name, timeout, "x")
}

fn action(id: &str, version: i64, s: &ActionSpec) -> crate::model::Action {
    let mut v = s.to_post_json("integrationId");
    v["id"] = json!(id);
    v["version"] = json!(version);
    serde_json::from_value(v).unwrap()
}

fn ambiguous() -> Reply {
    Reply::Err(RemoteError::Ambiguous {
        method: "POST".into(),
        path: "/api/v2/integrations/actions".into(),
        message: "connection reset".into(),
    })
}

fn conflict(id: &str) -> Reply {
    let body = br#"{"code": "conflict", "message": "version mismatch", "status": 409}"#;
    let path = format!("/api/v2/integrations/actions/{id}");
    Reply::Err(RemoteError::VersionConflict(Box::new(ApiError::from_body("PATCH", &path, 409, body))))
}

/// Applies `plan` on the scripted org, returning what apply returned (its own result type).
#[allow(clippy::result_large_err, clippy::type_complexity)]
fn run(
    plan: &Plan,
    state: &mut State,
    store: &mut MemoryStore,
    org: &Scripted,
) -> Result<Vec<(String, Outcome)>, (Vec<(String, Outcome)>, Error)> {
    run_with_code(plan, state, store, org, &Code::new())
}

fn plan_creates(specs: &[ActionSpec]) -> (Plan, State) {
    let state = State::new();
    let d: Vec<Desired> = specs.iter().cloned().map(desired).collect();
    let p = crate::plan::plan(&d, &state, &Live::default(), &Options::default());
    assert!(p.changes.iter().all(|c| c.action == Action::Create), "{p:?}");
    (p, state)
}

// A create whose answer was lost (the org may have made it): look it up by exact name in
// its integration and adopt what is there — never create a duplicate.
#[test]
fn an_ambiguous_create_that_landed_is_adopted_not_duplicated() {
    let a = spec("A", 10);
    let (p, mut state) = plan_creates(std::slice::from_ref(&a));
    let org = Scripted::new(vec![
        (Call::CreateAction("A".into()), ambiguous()),
        (Call::FindActionsByName("A".into()), Reply::Actions(vec![action("id-A", 1, &a)])),
    ]);
    let mut store = MemoryStore::default();
    let done = run(&p, &mut state, &mut store, &org).unwrap();
    assert_eq!(done, vec![("A".to_string(), Outcome::Adopted("id-A".into()))]);
    // The journal was written before the create, and nothing was owned yet.
    let first = &store.writes[0];
    assert_eq!(first.pending.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["A"]);
    assert!(first.actions.is_empty());
    let last = store.writes.last().unwrap();
    assert_eq!(last.actions["A"].id, "id-A");
    assert!(last.pending.is_empty(), "the journal entry goes once the action is recorded");
}

// The lookup finds nothing: the create did not land, so it is tried again.
#[test]
fn an_ambiguous_create_that_did_not_land_is_tried_again() {
    let a = spec("A", 10);
    let (p, mut state) = plan_creates(std::slice::from_ref(&a));
    let org = Scripted::new(vec![
        (Call::CreateAction("A".into()), ambiguous()),
        (Call::FindActionsByName("A".into()), Reply::Actions(Vec::new())),
        (Call::CreateAction("A".into()), Reply::Action(Box::new(action("id-A", 1, &a)))),
    ]);
    let mut store = MemoryStore::default();
    let done = run(&p, &mut state, &mut store, &org).unwrap();
    assert_eq!(done, vec![("A".to_string(), Outcome::Created("id-A".into()))]);
    assert_eq!(state.actions["A"].id, "id-A");
}

// Every create of the run is journaled in one write before the first mutation. A create
// whose outcome stays unknown keeps its journal entry (the next plan adopts it if it
// landed); what succeeded before is recorded.
#[test]
fn creates_are_journaled_before_the_first_and_an_unknown_outcome_keeps_its_entry() {
    let (b, c) = (spec("B", 10), spec("C", 10));
    let (p, mut state) = plan_creates(&[b.clone(), c]);
    let mut script = vec![(Call::CreateAction("B".into()), Reply::Action(Box::new(action("id-B", 1, &b))))];
    for _ in 0..CREATE_ATTEMPTS {
        script.push((Call::CreateAction("C".into()), ambiguous()));
        script.push((Call::FindActionsByName("C".into()), Reply::Actions(Vec::new())));
    }
    let org = Scripted::new(script);
    let mut store = MemoryStore::default();
    let (done, e) = run(&p, &mut state, &mut store, &org).unwrap_err();
    assert_eq!(done, vec![("B".to_string(), Outcome::Created("id-B".into()))]);
    assert!(
        matches!(&e, Error::Remote { name, source: RemoteError::Ambiguous { .. } } if name == "C"),
        "{e}"
    );
    let journal = &store.writes[0];
    assert_eq!(journal.pending.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["B", "C"]);
    assert!(journal.actions.is_empty());
    let last = store.writes.last().unwrap();
    assert_eq!(last.actions["B"].id, "id-B");
    assert_eq!(last.pending.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["C"]);
}

/// A plan updating owned action A (version 1, timeout 10 → 20).
fn plan_update() -> (Plan, State, ActionSpec) {
    let (old, new) = (spec("A", 10), spec("A", 20));
    let mut state = State::new();
    state.actions.insert("A".into(), TrackedAction::from_spec("id-A", 1, "Int", &old));
    let live = Live {
        summaries: vec![LiveSummary {
            id: "id-A".into(),
            name: "A".into(),
            integration_id: "int-1".into(),
            version: 1,
            secure: false,
        }],
        details: [("id-A".to_string(), old)].into(),
        ..Live::default()
    };
    let p = crate::plan::plan(&[desired(new.clone())], &state, &live, &Options::default());
    assert_eq!(p.changes[0].action, Action::Update, "{p:?}");
    (p, state, new)
}

// A PATCH answered 409 after its own retry: if the org now holds exactly the desired action,
// our PATCH landed and only its answer was lost — record the new version.
#[test]
fn a_version_conflict_on_an_equal_action_is_our_own_lost_answer() {
    let (p, mut state, new) = plan_update();
    let org = Scripted::new(vec![
        (Call::PatchAction("id-A".into(), 1), conflict("id-A")),
        (Call::GetActionFull("id-A".into()), Reply::Action(Box::new(action("id-A", 3, &new)))),
    ]);
    let mut store = MemoryStore::default();
    let done = run(&p, &mut state, &mut store, &org).unwrap();
    assert_eq!(done, vec![("A".to_string(), Outcome::Updated(3))]);
    assert_eq!(store.writes.last().unwrap().actions["A"].version, 3);
}

// Someone else changed it: a conflict for a new plan; the state keeps what it knew.
#[test]
fn a_version_conflict_on_someone_elses_change_is_refused() {
    let (p, mut state, _) = plan_update();
    let theirs = spec("A", 45);
    let org = Scripted::new(vec![
        (Call::PatchAction("id-A".into(), 1), conflict("id-A")),
        (Call::GetActionFull("id-A".into()), Reply::Action(Box::new(action("id-A", 2, &theirs)))),
    ]);
    let mut store = MemoryStore::default();
    let (done, e) = run(&p, &mut state, &mut store, &org).unwrap_err();
    assert!(done.is_empty());
    assert!(matches!(&e, Error::Remote { source: RemoteError::VersionConflict(_), .. }), "{e}");
    assert_eq!(state.actions["A"].version, 1);
}

// A failed state write stops the run loudly, naming the change.
#[test]
fn a_failed_state_write_stops_the_run() {
    let a = spec("A", 10);
    let (p, mut state) = plan_creates(std::slice::from_ref(&a));
    let org = Scripted::new(Vec::new());
    let mut store = MemoryStore { fail_with: Some("disk full".into()), ..MemoryStore::default() };
    let (done, e) = run(&p, &mut state, &mut store, &org).unwrap_err();
    assert!(done.is_empty());
    assert!(e.state_not_written() && e.to_string().contains("disk full"), "{e}");
    assert!(org.calls.borrow().is_empty(), "nothing is created without its journal entry");
}

// Writes scale with time, not with the number of steps: 200 creates within a second are
// one journal write before the first create and one write at the end, which holds them all.
#[test]
fn action_writes_are_batched() {
    let specs: Vec<ActionSpec> = (0..200).map(|i| spec(&format!("A{i:03}"), 10)).collect();
    let (p, mut state) = plan_creates(&specs);
    let script = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (Call::CreateAction(s.name.clone()), Reply::Action(Box::new(action(&format!("id-{i}"), 1, s))))
        })
        .collect();
    let org = Scripted::new(script);
    let mut store = MemoryStore::default();
    let done = run(&p, &mut state, &mut store, &org).unwrap();
    assert_eq!(done.len(), 200);
    assert!(store.writes.len() <= 3, "{} writes", store.writes.len());
    assert_eq!(store.writes[0].pending.len(), 200, "every create journaled first");
    let last = store.writes.last().unwrap();
    assert_eq!(last.actions.len(), 200);
    assert!(last.pending.is_empty());
}

/// A plan creating the function action `name` (its code's hash `sha256:c0de`).
fn function_create(name: &str) -> (Plan, State, Code) {
    let mut s = spec(name, 10);
    s.config.request.request_url_template = String::new();
    let mut d = desired(s.clone());
    d.function = Some(crate::plan::tests::function_plan());
    let state = State::new();
    let p = crate::plan::plan(&[d], &state, &Live::default(), &Options::default());
    assert_eq!(p.changes[0].action, Action::Create, "{p:?}");
    (p, state, Code::from([(name.to_string(), b"PK".to_vec())]))
}

/// [`run`], with the function code apply uploads.
#[allow(clippy::result_large_err, clippy::type_complexity)]
fn run_with_code(
    plan: &Plan,
    state: &mut State,
    store: &mut MemoryStore,
    org: &Scripted,
    code: &Code,
) -> Result<Vec<(String, Outcome)>, (Vec<(String, Outcome)>, Error)> {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let no_env = |_: &str| None;
    let mut quiet = |_: usize, _: usize, _: Step<'_>, _: Option<&Outcome>| {};
    rt.block_on(apply(plan, state, store, org, &no_env, code, &mut quiet))
}

fn draft(id: &str, version: i64) -> Reply {
    let mut a = action(id, version, &spec("F", 10));
    a.name = "F".into();
    Reply::Action(Box::new(a))
}

fn other(call: &'static str, arg: &str) -> Call {
    Call::Other(call, arg.to_string())
}

// A function action is created as a draft, given its settings and code, and published with
// the draft's version; the state records the code's hash.
#[test]
fn a_function_action_is_created_through_its_draft() {
    let (p, mut state, code) = function_create("F");
    let org = Scripted::new(vec![
        (other("find_drafts_by_name", "F"), Reply::Actions(Vec::new())),
        (other("create_draft", "F"), draft("id-F", 1)),
        (other("put_draft_function", "id-F"), Reply::Value(json!({}))),
        (other("upload_function_code", "id-F"), Reply::Value(json!({}))),
        (other("get_draft", "id-F"), draft("id-F", 1)),
        (other("publish_draft", "id-F"), draft("id-F", 1)),
    ]);
    let mut store = MemoryStore::default();
    let done = run_with_code(&p, &mut state, &mut store, &org, &code).unwrap();
    assert_eq!(done, vec![("F".to_string(), Outcome::Created("id-F".into()))]);
    assert_eq!(
        store.writes[0].pending[0].zip_sha256.as_deref(),
        Some("sha256:c0de"),
        "journaled with its code"
    );
    let f = state.actions["F"].function.as_ref().unwrap();
    assert_eq!(f.zip_sha256.as_deref(), Some("sha256:c0de"));
    assert!(state.pending.is_empty());
}

// An interrupted earlier apply left a draft (its journal entry says so): it is taken over,
// never duplicated. Without that journal entry, a draft of the name is someone else's.
#[test]
fn a_journaled_draft_is_taken_over_and_an_unjournaled_one_refused() {
    let (p, mut state, code) = function_create("F");
    state.pending.push(PendingCreate {
        name: "F".into(),
        integration_id: "int-1".into(),
        integration: "Int".into(),
        zip_sha256: Some("sha256:c0de".into()),
    });
    let org = Scripted::new(vec![
        (other("find_drafts_by_name", "F"), Reply::Actions(vec![action("id-F", 3, &spec("F", 10))])),
        (other("get_draft", "id-F"), draft("id-F", 3)),
        (other("patch_draft", "id-F"), draft("id-F", 4)),
        (other("put_draft_function", "id-F"), Reply::Value(json!({}))),
        (other("upload_function_code", "id-F"), Reply::Value(json!({}))),
        (other("get_draft", "id-F"), draft("id-F", 4)),
        (other("publish_draft", "id-F"), draft("id-F", 1)),
    ]);
    let mut store = MemoryStore::default();
    let done = run_with_code(&p, &mut state, &mut store, &org, &code).unwrap();
    assert_eq!(done, vec![("F".to_string(), Outcome::Adopted("id-F".into()))]);

    let (p, mut state, code) = function_create("F");
    let org = Scripted::new(vec![(
        other("find_drafts_by_name", "F"),
        Reply::Actions(vec![action("id-X", 1, &spec("F", 10))]),
    )]);
    let mut store = MemoryStore::default();
    let (done, e) = run_with_code(&p, &mut state, &mut store, &org, &code).unwrap_err();
    assert!(done.is_empty());
    assert!(e.to_string().contains("did not create"), "{e}");
    assert!(state.actions.is_empty());
}
