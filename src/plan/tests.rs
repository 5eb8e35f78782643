//! Table-driven tests of the pure planner: one real-world situation per case (and the
//! `spec`/`desired` fixtures apply's scripted tests share).

use super::*;
use crate::model::{ActionConfig, Contract, ContractInput, ContractOutput, RequestConfig, ResponseConfig};
use crate::state::{PendingCreate, TrackedAction};
use serde_json::json;

/// An action of integration `int-1` (also used by apply's scripted tests).
pub(crate) fn spec(name: &str, timeout: i64, output_prop: &str) -> ActionSpec {
    ActionSpec {
        name: name.into(),
        category: "Cat".into(),
        integration: "int-1".into(),
        secure: false,
        config: ActionConfig {
            timeout_seconds: Some(timeout),
            request: RequestConfig {
                request_url_template: "https://x/${input.id}".into(),
                request_type: "GET".into(),
                ..RequestConfig::default()
            },
            response: ResponseConfig {
                success_template: Some("${rawResult}".into()),
                ..ResponseConfig::default()
            },
            extra: serde_json::Map::new(),
        },
        contract: Contract {
            input: ContractInput {
                input_schema: Some(json!({"type": "object"})),
                extra: serde_json::Map::new(),
            },
            output: ContractOutput {
                success_schema: Some(
                    json!({"type": "object", "properties": {output_prop: {"type": "string"}}}),
                ),
                extra: serde_json::Map::new(),
            },
            extra: serde_json::Map::new(),
        },
    }
}

/// A function whose code hashes to `sha256:c0de` (also used by apply's scripted tests).
pub(crate) fn function_plan() -> function::FunctionPlan {
    function::FunctionPlan {
        handler: "src/index.handler".into(),
        runtime: "nodejs22.x".into(),
        timeout_seconds: 10,
        description: "d".into(),
        zip_sha256: "sha256:c0de".into(),
        source: "code".into(),
        exclude: Vec::new(),
    }
}

/// `s` as a manifest of integration `Int` (also used by apply's scripted tests).
pub(crate) fn desired(s: ActionSpec) -> Desired {
    let integration = IntegrationRef::from_wire(&s.integration);
    Desired {
        integration,
        name: s.name.clone(),
        spec: s,
        integration_name: "Int".into(),
        allow_replace: false,
        allow_breaking_flows: false,
        renamed_from: None,
        function: None,
    }
}

fn tracked(id: &str, version: i64, s: &ActionSpec) -> TrackedAction {
    TrackedAction::from_spec(id, version, "Int", s)
}

fn live(id: &str, name: &str, version: i64) -> LiveSummary {
    LiveSummary { id: id.into(), name: name.into(), integration_id: "int-1".into(), version, secure: false }
}

fn ops(p: &Plan) -> Vec<(String, Op)> {
    p.changes.iter().map(|c| (c.name.clone(), c.op())).collect()
}

// A new manifest and an empty org: create.
#[test]
fn new_manifest_is_created() {
    let p = plan(&[desired(spec("A", 10, "x"))], &State::new(), &Live::default(), &Options::default());
    assert_eq!(ops(&p), vec![("A".into(), Op::Create)]);
    assert!(p.errors.is_empty());
    assert_eq!(p.summary().add, 1);
    let shown = create_fields(&p.changes[0]);
    assert!(shown.iter().all(|f| f.path != "name"));
    assert!(shown.iter().any(|f| f.path == "integration" && f.after == json!("Int")));
}

// Applied and unchanged everywhere: nothing read in full, no-op.
#[test]
fn unchanged_is_a_no_op_without_reads() {
    let s = spec("A", 10, "x");
    let mut st = State::new();
    st.actions.insert("A".into(), tracked("id-a", 3, &s));
    let summaries = vec![live("id-a", "A", 3)];
    let d = [desired(s)];
    assert!(details_needed(&d, &st, &summaries, &Options::default()).is_empty());
    let p =
        plan(&d, &st, &Live { summaries, details: BTreeMap::new(), ..Live::default() }, &Options::default());
    assert_eq!(ops(&p), vec![("A".into(), Op::NoOp)]);
    assert!(!p.has_changes());
}

// The manifest changed a config field: update in place, with a field diff.
#[test]
fn config_change_is_an_update() {
    let old = spec("A", 10, "x");
    let new = spec("A", 20, "x");
    let mut st = State::new();
    st.actions.insert("A".into(), tracked("id-a", 3, &old));
    let summaries = vec![live("id-a", "A", 3)];
    let d = [desired(new)];
    let needed = details_needed(&d, &st, &summaries, &Options::default());
    assert_eq!(needed.into_iter().collect::<Vec<_>>(), vec!["id-a".to_string()]);
    let details = BTreeMap::from([("id-a".to_string(), old)]);
    let p = plan(&d, &st, &Live { summaries, details, ..Live::default() }, &Options::default());
    assert_eq!(ops(&p), vec![("A".into(), Op::Update)]);
    assert_eq!(
        p.changes[0].fields,
        vec![FieldChange { path: "config.timeoutSeconds".into(), before: json!(10), after: json!(20) }]
    );
    assert_eq!(p.changes[0].version, Some(3));
}

// A contract change needs a new action: refused unless allowed.
#[test]
fn contract_change_is_a_replace_refused_unless_allowed() {
    let old = spec("A", 10, "x");
    let new = spec("A", 10, "y");
    let mut st = State::new();
    st.actions.insert("A".into(), tracked("id-a", 1, &old));
    let l = Live {
        summaries: vec![live("id-a", "A", 1)],
        details: BTreeMap::from([("id-a".to_string(), old)]),
        ..Live::default()
    };
    let p = plan(&[desired(new.clone())], &st, &l, &Options::default());
    assert_eq!(ops(&p), vec![("A".into(), Op::Replace)]);
    assert_eq!(p.errors.len(), 1);
    assert!(p.errors[0].message.contains("contract.output"));
    let allowed =
        plan(&[desired(new.clone())], &st, &l, &Options { allow_replace: true, ..Options::default() });
    assert!(allowed.errors.is_empty());
    let mut d = desired(new);
    d.allow_replace = true;
    assert!(plan(&[d], &st, &l, &Options::default()).errors.is_empty());
}

// Removed from the manifests: delete; already gone from the org: only the state entry goes.
#[test]
fn removed_manifest_is_deleted_or_forgotten() {
    let s = spec("A", 10, "x");
    let mut st = State::new();
    st.actions.insert("A".into(), tracked("id-a", 1, &s));
    st.actions.insert("B".into(), tracked("id-b", 1, &s));
    let p = plan(
        &[],
        &st,
        &Live { summaries: vec![live("id-a", "A", 1)], details: BTreeMap::new(), ..Live::default() },
        &Options::default(),
    );
    assert_eq!(ops(&p), vec![("A".into(), Op::Delete), ("B".into(), Op::Delete)]);
    assert!(!p.changes[0].gone());
    assert!(p.changes[1].gone());
}

// Someone made an action with the manifest's name: never taken over silently.
#[test]
fn unowned_action_with_the_same_name_is_an_error_with_import_hint() {
    let p = plan(
        &[desired(spec("A", 10, "x"))],
        &State::new(),
        &Live { summaries: vec![live("id-x", "A", 7)], details: BTreeMap::new(), ..Live::default() },
        &Options::default(),
    );
    assert!(p.changes.is_empty());
    assert!(p.errors[0].hint.as_deref().unwrap_or("").contains("gcsync import"));
}

// A crashed apply left a pending create, and the org has it: adopt, do not duplicate.
#[test]
fn pending_create_found_in_the_org_is_adopted() {
    let s = spec("A", 10, "x");
    let mut st = State::new();
    st.pending.push(PendingCreate {
        name: "A".into(),
        integration_id: "int-1".into(),
        integration: "Int".into(),
        zip_sha256: None,
    });
    let summaries = vec![live("id-new", "A", 1)];
    let d = [desired(s.clone())];
    assert!(details_needed(&d, &st, &summaries, &Options::default()).contains("id-new"));
    let p = plan(
        &d,
        &st,
        &Live { summaries, details: BTreeMap::from([("id-new".to_string(), s)]), ..Live::default() },
        &Options::default(),
    );
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(ops(&p), vec![("A".into(), Op::NoOp)]);
    assert!(p.changes[0].adopt());
}

// Deleted in the admin UI: created again, reported as drift.
#[test]
fn deleted_outside_gcsync_is_recreated() {
    let s = spec("A", 10, "x");
    let mut st = State::new();
    st.actions.insert("A".into(), tracked("id-a", 1, &s));
    let p = plan(&[desired(s)], &st, &Live::default(), &Options::default());
    assert_eq!(ops(&p), vec![("A".into(), Op::Create)]);
    assert_eq!(p.changes[0].drift, vec!["deleted".to_string()]);
}

// Edited in the admin UI (version moved): drift named per field and corrected.
#[test]
fn drift_is_named_per_field() {
    let s = spec("A", 10, "x");
    let mut st = State::new();
    st.actions.insert("A".into(), tracked("id-a", 1, &s));
    let edited = spec("A", 45, "x");
    let summaries = vec![live("id-a", "A", 2)];
    let d = [desired(s)];
    assert!(details_needed(&d, &st, &summaries, &Options::default()).contains("id-a"));
    let p = plan(
        &d,
        &st,
        &Live { summaries, details: BTreeMap::from([("id-a".to_string(), edited)]), ..Live::default() },
        &Options::default(),
    );
    assert_eq!(ops(&p), vec![("A".into(), Op::Update)]);
    assert_eq!(p.changes[0].drift, vec!["config.timeoutSeconds".to_string()]);
    assert!(p.has_drift());
}

// JSON-equivalent schemas (key order) are not a change.
#[test]
fn key_order_in_schemas_is_not_a_change() {
    let s = spec("A", 10, "x");
    let mut reordered = s.clone();
    reordered.contract.output.success_schema =
        Some(serde_json::from_str(r#"{"properties": {"x": {"type": "string"}}, "type": "object"}"#).unwrap());
    let mut st = State::new();
    st.actions.insert("A".into(), tracked("id-a", 1, &s));
    let l = Live { summaries: vec![live("id-a", "A", 1)], details: BTreeMap::new(), ..Live::default() };
    let p = plan(&[desired(reordered)], &st, &l, &Options::default());
    assert_eq!(ops(&p), vec![("A".into(), Op::NoOp)]);
}

// --target limits both creates and deletes; unknown targets are errors.
#[test]
fn targets_scope_the_plan() {
    let s = spec("A", 10, "x");
    let mut st = State::new();
    st.actions.insert("Old".into(), tracked("id-o", 1, &s));
    let opts = Options { targets: vec!["B".into()], ..Options::default() };
    let p = plan(&[desired(spec("A", 1, "x")), desired(spec("B", 1, "x"))], &st, &Live::default(), &opts);
    assert_eq!(ops(&p), vec![("B".into(), Op::Create)]);
    let bad =
        plan(&[], &st, &Live::default(), &Options { targets: vec!["Nope".into()], ..Options::default() });
    assert_eq!(bad.errors.len(), 1);
}

// An integration that does not exist is an error, not a create.
#[test]
fn unresolved_integration_is_an_error() {
    let mut s = spec("A", 10, "x");
    s.integration = String::new();
    let p = plan(&[desired(s)], &State::new(), &Live::default(), &Options::default());
    assert!(p.changes.is_empty());
    assert!(p.errors[0].message.contains("does not exist in the org"));
}

// Same inputs, same plan (purity).
#[test]
fn deterministic() {
    let d = [desired(spec("B", 1, "x")), desired(spec("A", 2, "y"))];
    let a = plan(&d, &State::new(), &Live::default(), &Options::default());
    let b = plan(&d, &State::new(), &Live::default(), &Options::default());
    assert_eq!(a, b);
    assert_eq!(ops(&a), vec![("A".into(), Op::Create), ("B".into(), Op::Create)]);
}

// The plan format spells an action as `op` + `adopt` + `gone` (+ a desired definition for
// state-only records); every action reads back as itself, and nonsense is refused.
#[test]
fn every_action_survives_the_plan_format() {
    let all = [
        Action::NoOp,
        Action::Record,
        Action::Create,
        Action::Adopt,
        Action::AdoptUpdate,
        Action::AdoptReplace,
        Action::Update,
        Action::Replace,
        Action::Delete,
        Action::Forget,
    ];
    let desired = DesiredJson::from_spec(&spec("A", 10, "x"));
    for action in all {
        let c = Change {
            name: "A".into(),
            action,
            reasons: Vec::new(),
            id: Some("id".into()),
            version: Some(1),
            integration: "Api".into(),
            moved_from: None,
            fields: Vec::new(),
            drift: Vec::new(),
            desired: (action != Action::NoOp).then(|| desired.clone()),
            consumers: None,
            consumers_incomplete: Vec::new(),
            function: None,
        };
        let text = serde_json::to_string(&c).unwrap();
        let back: Change = serde_json::from_str(&text).unwrap();
        assert_eq!(back.action, action, "{text}");
    }
    let bad = r#"{"name": "A", "op": "create", "integration": "Api", "gone": true}"#;
    let e = serde_json::from_str::<Change>(bad).unwrap_err().to_string();
    assert!(e.contains("change `A`") && e.contains("gone=true"), "{e}");
}

// Apply's order is explicit: replacements, creates, updates, deletes, then state records.
#[test]
fn apply_order_is_explicit() {
    let mut order = [
        Action::Record,
        Action::Forget,
        Action::Update,
        Action::Create,
        Action::AdoptReplace,
        Action::Adopt,
        Action::Delete,
        Action::AdoptUpdate,
        Action::Replace,
    ];
    order.sort_by_key(|a| a.apply_rank());
    let ranks: Vec<Option<u8>> = order.iter().map(|a| a.apply_rank()).collect();
    assert_eq!(ranks, [Some(0), Some(0), Some(1), Some(2), Some(2), Some(3), Some(3), Some(4), Some(4)]);
    assert_eq!(Action::NoOp.apply_rank(), None);
}

// `--target` of a declared integration is a known name; of nothing, an error.
#[test]
fn a_target_naming_nothing_is_an_error() {
    let opts = Options { targets: vec!["Nope".into()], ..Options::default() };
    let p = plan(&[], &State::new(), &Live::default(), &opts);
    assert_eq!(p.errors.len(), 1);
    assert!(p.errors[0].message.contains("`--target Nope` names no action"), "{:?}", p.errors);
}

// A typo gets a "did you mean": in `--target`, and in an integration name that differs only
// in case from one in the org.
#[test]
fn near_misses_get_did_you_mean() {
    let opts = Options { targets: vec!["Lookup Usr".into()], ..Options::default() };
    let p = plan(&[desired(spec("Lookup User", 10, "x"))], &State::new(), &Live::default(), &opts);
    assert_eq!(p.errors[0].hint.as_deref(), Some("did you mean `Lookup User`?"), "{:?}", p.errors);
    let mut s = spec("A", 10, "x");
    s.integration = String::new();
    let mut d = desired(s);
    d.integration_name = "profile api".into();
    let live = Live { integration_names: vec!["Profile API".into(), "Other".into()], ..Live::default() };
    let p = plan(&[d], &State::new(), &live, &Options::default());
    let hint = p.errors[0].hint.as_deref().unwrap();
    assert!(hint.starts_with("did you mean `Profile API`? Integration names match exactly"), "{hint}");
}

#[test]
fn broken_references_are_flows_using_a_deleted_owned_or_replaced_action() {
    use crate::plan::drift::{DeletedConsumer, broken_references};
    let mut st = State::new();
    st.actions.insert("A".into(), tracked("id-A", 1, &spec("A", 10, "x")));
    st.actions.insert("B".into(), tracked("id-B2", 1, &spec("B", 10, "x")));
    let flow = |id: &str, consumed: &[(&str, &str)]| DeletedConsumer {
        flow_id: id.into(),
        flow_name: format!("Flow {id}"),
        flow_type: "INBOUNDCALLFLOW".into(),
        flow_version: Some("2.0".into()),
        consumed: consumed.iter().map(|(i, n)| ((*i).to_string(), Some((*n).to_string()))).collect(),
    };
    // A deleted outside gcsync; B's old id (replaced); someone else's action.
    let got = broken_references(
        &st,
        &[flow("f1", &[("id-A", "A"), ("id-X", "Not ours")]), flow("f2", &[("id-B1", "B")])],
    );
    let v: Vec<(&str, &str, &str)> =
        got.iter().map(|b| (b.action.as_str(), b.action_id.as_str(), b.flow_name.as_str())).collect();
    assert_eq!(v, [("A", "id-A", "Flow f1"), ("B", "id-B1", "Flow f2")]);
    assert!(broken_references(&st, &[flow("f3", &[("id-X", "Not ours")])]).is_empty());
}

// A function action: the request URL the platform generated is never a difference; an
// imported one (no code hash in the state) uploads its code once; a code change alone is an
// update without any full read.
#[test]
fn function_actions_compare_settings_and_code_not_the_generated_url() {
    let mut s = spec("F", 10, "x");
    s.config.request.request_url_template = String::new();
    let f = function_plan();
    let d = [Desired { function: Some(f.clone()), ..desired(s.clone()) }];
    let mut live_spec = s.clone();
    live_spec.config.request.request_url_template = "https://function.example/abc".into();
    let mut t = tracked("id-f", 2, &s);
    t.function = Some(f.tracked());
    let mut st = State::new();
    st.actions.insert("F".into(), t);
    let full = |version| Live {
        summaries: vec![live("id-f", "F", version)],
        details: BTreeMap::from([("id-f".to_string(), live_spec.clone())]),
        functions: BTreeMap::from([("id-f".to_string(), f.settings_json())]),
        ..Live::default()
    };
    let p = plan(&d, &st, &full(2), &Options { full_refresh: true, ..Options::default() });
    assert_eq!(ops(&p), vec![("F".into(), Op::NoOp)], "{p:?}");
    assert!(p.changes[0].drift.is_empty());

    // Imported: the code's hash is unknown.
    st.actions.get_mut("F").unwrap().function.as_mut().unwrap().zip_sha256 = None;
    let p = plan(&d, &st, &full(2), &Options::default());
    assert_eq!(ops(&p), vec![("F".into(), Op::Update)]);
    let code = &p.changes[0].fields;
    assert_eq!(code.len(), 1);
    assert_eq!((code[0].path.as_str(), &code[0].before), (function::CODE_FIELD, &Value::Null));
    assert_eq!(p.changes[0].function.as_ref(), Some(&f), "apply gets the function");

    // A code change with nothing else: no full read needed, still an update.
    st.actions.get_mut("F").unwrap().function.as_mut().unwrap().zip_sha256 = Some("sha256:old".into());
    let l = Live { summaries: vec![live("id-f", "F", 2)], ..Live::default() };
    assert!(details_needed(&d, &st, &l.summaries, &Options::default()).is_empty());
    let p = plan(&d, &st, &l, &Options::default());
    assert_eq!(ops(&p), vec![("F".into(), Op::Update)]);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
}

// Every format shows a function action's settings and code hash, never the platform's URL.
#[test]
fn desired_fields_of_a_function_action_carry_its_function() {
    let mut s = spec("F", 10, "x");
    s.config.request.request_url_template = String::new();
    let d = [Desired { function: Some(function_plan()), ..desired(s) }];
    let p = plan(&d, &State::new(), &Live::default(), &Options::default());
    let fields = desired_fields(&p.changes[0]).unwrap();
    let paths: Vec<&str> = fields.iter().map(|(p, _)| p.as_str()).collect();
    assert!(!paths.contains(&"config.request.requestUrlTemplate"), "{paths:?}");
    assert_eq!(
        &paths[paths.len() - 5..],
        [
            "function.handler",
            "function.runtime",
            "function.timeoutSeconds",
            "function.description",
            function::CODE_FIELD
        ]
    );
    let view = crate::formats::view::of_plan(&p);
    let text = serde_json::to_string(&view.resources[0].after).unwrap();
    assert!(text.contains("sha256:c0de"), "{text}");
}
