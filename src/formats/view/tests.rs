//! The mapping from plans to the neutral view, and the renderers' edge cases, on plans
//! built by hand (the CLI tests in tests/cli/formats.rs cover real plans end to end).

use super::*;
use crate::diag::Diagnostic;
use crate::formats::{events, github, gitlab, markdown, sarif, terraform_json, terraform_text};
use crate::plan::{Action, FieldChange, PlanError};
use crate::yaml::Pos;

fn change(name: &str, op: Op) -> Change {
    let action = match op {
        Op::Create => Action::Create,
        Op::Update => Action::Update,
        Op::Replace => Action::Replace,
        Op::Delete => Action::Delete,
        Op::NoOp => Action::NoOp,
    };
    Change {
        name: name.into(),
        action,
        reasons: Vec::new(),
        id: (op != Op::Create).then(|| format!("id-{name}")),
        version: Some(1),
        integration: "Api".into(),
        moved_from: None,
        fields: Vec::new(),
        drift: Vec::new(),
        desired: None,
        consumers: None,
        consumers_incomplete: Vec::new(),
        function: None,
    }
}

fn plan(changes: Vec<Change>) -> Plan {
    Plan { integrations: Vec::new(), changes, errors: Vec::new() }
}

#[test]
fn every_op_maps_to_terraforms_actions() {
    let cases = [
        (Op::Create, false, &["create"][..], "create"),
        (Op::Update, false, &["update"][..], "update"),
        (Op::Replace, false, &["delete", "create"][..], "replace"),
        (Op::Delete, false, &["delete"][..], "delete"),
        (Op::Delete, true, &["forget"][..], "remove"),
        (Op::NoOp, false, &["no-op"][..], "noop"),
    ];
    for (op, gone, actions, ui) in cases {
        let mut c = change("A", op);
        if gone {
            c.action = Action::Forget;
        }
        let k = change_kind(&c);
        assert_eq!(k.terraform_actions(), actions, "{op:?} gone={gone}");
        assert_eq!(k.ui_action(), ui);
    }
}

#[test]
fn counts_follow_terraform() {
    let mut gone = change("G", Op::Delete);
    gone.action = Action::Forget;
    let mut adopted = change("I", Op::NoOp);
    adopted.action = Action::Adopt;
    let v = of_plan(&plan(vec![
        change("C", Op::Create),
        change("U", Op::Update),
        change("R", Op::Replace),
        change("D", Op::Delete),
        gone,
        adopted,
        change("N", Op::NoOp),
    ]));
    assert_eq!(v.counts(), Counts { add: 2, change: 1, destroy: 2, import: 1, forget: 1 });
    assert_eq!(
        events::summary_sentence(v.counts(), events::Operation::Plan),
        "Plan: 1 to import, 2 to add, 1 to change, 2 to destroy."
    );
    assert_eq!(gitlab::report(&v), serde_json::json!({"create": 2, "update": 1, "delete": 2}));
}

#[test]
fn an_adoption_is_an_import() {
    let mut c = change("Adopted", Op::NoOp);
    c.action = Action::Adopt;
    let v = of_plan(&plan(vec![c]));
    let doc = terraform_json::document(&v, true);
    let rc = &doc["resource_changes"][0];
    assert_eq!(rc["change"]["actions"], serde_json::json!(["no-op"]));
    assert_eq!(rc["change"]["importing"], serde_json::json!({"id": "id-Adopted"}));
    let e = events::planned_change(&v.resources[0], "t");
    assert_eq!(e["change"]["action"], "import");
    assert!(terraform_text::plan(&v).contains("  # gcsync_data_action.Adopted will be imported\n"));
}

#[test]
fn a_rename_without_other_change_is_a_move() {
    let mut c = change("New", Op::NoOp);
    c.moved_from = Some("Old".into());
    let v = of_plan(&plan(vec![c]));
    let r = &v.resources[0];
    assert_eq!(r.previous_address().as_deref(), Some("gcsync_data_action.Old"));
    assert_eq!(events::planned_change(r, "t")["change"]["action"], "move");
    let doc = terraform_json::document(&v, false);
    assert_eq!(doc["resource_changes"][0]["previous_address"], "gcsync_data_action.Old");
    assert_eq!(doc["complete"], false);
}

#[test]
fn replace_paths_and_before_after_of_an_update() {
    let mut c = change("R", Op::Replace);
    c.fields = vec![
        FieldChange {
            path: "contract.output".into(),
            before: serde_json::json!({"a": 1}),
            after: serde_json::json!({"a": 2}),
        },
        FieldChange { path: "config.timeoutSeconds".into(), before: 5.into(), after: 6.into() },
    ];
    let v = of_plan(&plan(vec![c]));
    assert_eq!(v.resources[0].replace_paths, ["contract.output"]);
    let doc = terraform_json::document(&v, true);
    assert_eq!(
        doc["resource_changes"][0]["change"]["replace_paths"],
        serde_json::json!([["contract", "output"]])
    );
    let text = terraform_text::plan(&v);
    assert!(text.contains("# forces replacement"), "{text}");
    assert!(text.contains("      ~ config.timeoutSeconds = 5 -> 6\n"), "{text}");
}

#[test]
fn plan_errors_and_no_changes_in_terraform_text() {
    let mut p = plan(vec![change("A", Op::Create)]);
    p.errors.push(PlanError { name: "A".into(), message: "bad `A`".into(), hint: Some("fix it".into()) });
    let v = of_plan(&p);
    let text = terraform_text::plan(&v);
    assert!(text.contains("\nError: bad `A`\n"), "{text}");
    assert!(!text.contains("Plan:"), "{text}");
    let doc = terraform_json::document(&v, true);
    assert_eq!((doc["errored"].clone(), doc["applyable"].clone()), (true.into(), false.into()));
    let ev = events::plan_events(&v, "t");
    assert_eq!(ev.last().unwrap()["type"], "diagnostic");
    assert_eq!(ev.last().unwrap()["diagnostic"]["address"], "gcsync_data_action.A");
    let quiet = of_plan(&plan(vec![change("N", Op::NoOp)]));
    assert!(terraform_text::plan(&quiet).ends_with("\nNo changes. The org matches the manifests.\n"));
}

#[test]
fn markdown_truncates_with_a_note_and_escapes() {
    let changes: Vec<Change> =
        (0..200).map(|i| change(&format!("Action {i:03} <x|y>"), Op::Delete)).collect();
    let v = of_plan(&plan(changes));
    let opts =
        markdown::Options { max_chars: 4000, full_plan: Some("The full plan: `gcsync show p.json`.".into()) };
    let md = markdown::render(&v, &Origin::default(), &opts);
    assert!(md.len() <= 4000, "{}", md.len());
    assert!(md.contains("> Truncated: "), "{md}");
    assert!(md.contains("of 200 changes are not listed"), "{md}");
    assert!(md.contains("The full plan: `gcsync show p.json`."));
    assert!(md.contains("<code>Action 000 &lt;x&#124;y&gt;</code>"), "{md}");
    assert!(!md.contains("<x|y>"));
    // Everything fits: no note.
    let small = of_plan(&plan(vec![change("A", Op::Update)]));
    let md = markdown::render(&small, &Origin::default(), &markdown::Options::default());
    assert!(!md.contains("Truncated"), "{md}");
}

#[test]
fn markdown_fences_outgrow_backticks_in_the_content() {
    let mut c = change("T", Op::Update);
    c.fields = vec![FieldChange {
        path: "config.response.successTemplate".into(),
        before: "a\n```\nb".into(),
        after: "a\n````\nc".into(),
    }];
    let md = markdown::render(&of_plan(&plan(vec![c])), &Origin::default(), &markdown::Options::default());
    assert!(md.contains("\n`````diff\n"), "{md}");
    assert!(md.contains("\n`````\n"), "{md}");
}

#[test]
fn github_commands_escape_data_and_properties() {
    let d = Diagnostic::error(
        "unknown-field",
        "100% wrong:\nreally, yes",
        std::path::Path::new("a:b,c.yaml"),
        Pos::new(3, 7),
    )
    .with_hint("fix")
    .with_width(4);
    assert_eq!(
        github::command(&d),
        "::error file=a%3Ab%2Cc.yaml,line=3,col=7,endColumn=11,title=gcsync unknown-field::100%25 wrong:%0Areally, yes%0Ahint: fix"
    );
    let w = crate::diag::Diagnostic::new(
        crate::diag::Severity::Warning,
        "no-manifests",
        "none",
        None,
        Pos::default(),
    );
    assert_eq!(github::command(&w), "::warning title=gcsync no-manifests::none");
}

#[test]
fn sarif_uris() {
    assert_eq!(
        sarif::uri(std::path::Path::new("./team a/x#1.yaml")),
        ("team%20a/x%231.yaml".to_string(), false)
    );
    assert_eq!(sarif::uri(std::path::Path::new("/srv/m/x.yaml")), ("file:///srv/m/x.yaml".to_string(), true));
}

#[test]
fn sarif_rules_cover_the_readme_table() {
    let readme = include_str!("../../../README.md");
    let start = readme.find("| rule code | what |").unwrap();
    let table = &readme[start..];
    let table = &table[..table.find("\n\n").unwrap()];
    let re = regex::Regex::new(r"`([a-z0-9]+(?:-[a-z0-9]+)+|empty|method)`").unwrap();
    for line in table.lines().skip(2) {
        let first_cell = line.split('|').nth(1).unwrap();
        for c in re.captures_iter(first_cell) {
            assert!(
                sarif::RULES.iter().any(|(code, _, _)| *code == &c[1]),
                "rule `{}` is missing from sarif::RULES",
                &c[1]
            );
        }
    }
    // An unknown code still gets a rule, and its result points at it.
    let d = Diagnostic::error("brand-new", "m", std::path::Path::new("x.yaml"), Pos::new(1, 1));
    let log = sarif::log(&[d]);
    let run = &log["runs"][0];
    let i = run["results"][0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][i]["id"], "brand-new");
}
