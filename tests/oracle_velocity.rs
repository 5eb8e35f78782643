//! Replays the recorded Apache Velocity oracle fixture
//! (`tests/fixtures/oracle/velocity.jsonl`, made by `tests/oracle/record_velocity.py`)
//! through `eval_velocity` and compares `ok`, `output` and `error_type` with
//! Velocity 1.7 (the reference dialect). Fails below 99% agreement or on any
//! disagreement not listed in `tests/fixtures/oracle/velocity-differences.json`.
//! `velocity_1_7_vs_2_categories` checks that every case where 1.7 and 2.4.1
//! disagree is classified in `velocity-1.7-vs-2.x.json` and answered like the
//! side its category follows. No Java needed.

use std::collections::{BTreeMap, HashMap};

use gcsync::eval::velocity::eval_velocity;
use serde_json::Value;

#[derive(serde::Deserialize)]
struct Difference {
    id: String,
    reason: String,
}

#[test]
fn oracle_velocity_fixture() {
    let root = env!("CARGO_MANIFEST_DIR");
    let fixture = std::fs::read_to_string(format!("{root}/tests/fixtures/oracle/velocity.jsonl"))
        .expect("fixture present");
    let diffs: Vec<Difference> = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/tests/fixtures/oracle/velocity-differences.json"))
            .expect("differences file present"),
    )
    .expect("differences file is valid JSON");
    let known: HashMap<&str, &str> = diffs.iter().map(|d| (d.id.as_str(), d.reason.as_str())).collect();

    let mut total = 0usize;
    let mut agreed = 0usize;
    let mut per_cat: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut listed_but_agreeing = Vec::new();
    for line in fixture.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).expect("fixture line is JSON");
        let id = case["id"].as_str().expect("id").to_string();
        let expected = &case["expected_1_7"];
        let got = eval_velocity(&case["request"]);
        let same = expected["ok"] == got["ok"]
            && (expected["ok"] != Value::Bool(true) || expected["output"] == got["output"])
            && (expected["ok"] == Value::Bool(true) || expected["error_type"] == got["error_type"]);
        total += 1;
        let cat = id.split('/').next().unwrap_or("").to_string();
        let e = per_cat.entry(cat).or_insert((0, 0));
        e.1 += 1;
        if same {
            agreed += 1;
            e.0 += 1;
            if known.contains_key(id.as_str()) {
                listed_but_agreeing.push(id);
            }
        } else if !known.contains_key(id.as_str()) {
            unexpected.push(format!(
                "{id}\n  template: {:?}\n  expected: {}\n  got:      {}",
                case["request"]["template"], expected, got
            ));
        }
    }
    let pct = 100.0 * agreed as f64 / total.max(1) as f64;
    println!("velocity oracle agreement: {agreed}/{total} ({pct:.2}%)");
    for (cat, (a, t)) in &per_cat {
        println!("  {cat:<12} {a}/{t}");
    }
    for d in &diffs {
        println!("  known difference {}: {}", d.id, d.reason);
    }
    assert!(total >= 1500, "fixture too small: {total}");
    assert!(unexpected.is_empty(), "{} unlisted disagreements:\n{}", unexpected.len(), unexpected.join("\n"));
    assert!(
        listed_but_agreeing.is_empty(),
        "listed as differences but agreeing (remove from the list): {listed_but_agreeing:?}"
    );
    assert!(pct >= 99.0, "agreement {pct:.2}% < 99%");
}

#[derive(serde::Deserialize)]
struct Category {
    id: String,
    title: String,
    velocity_1_7: String,
    velocity_2: String,
    gcsync_follows: String,
    reason: String,
    compare_message: bool,
    count: usize,
    cases: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Categories {
    categories: Vec<Category>,
}

/// Every recorded case where Velocity 1.7 and 2.4.1 answer differently must be
/// classified in `velocity-1.7-vs-2.x.json`, and gcsync must answer like the
/// side its category follows (cases in `velocity-differences.json` excepted).
#[test]
fn velocity_1_7_vs_2_categories() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = format!("{root}/tests/fixtures/oracle");
    let fixture = std::fs::read_to_string(format!("{dir}/velocity.jsonl")).expect("fixture present");
    let cats: Categories = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/velocity-1.7-vs-2.x.json")).expect("categories file present"),
    )
    .expect("categories file is valid JSON");
    let diffs: Vec<Difference> = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/velocity-differences.json"))
            .expect("differences file present"),
    )
    .expect("differences file is valid JSON");
    let known: HashMap<&str, &str> = diffs.iter().map(|d| (d.id.as_str(), d.reason.as_str())).collect();

    let mut problems = Vec::new();
    let mut category_of: HashMap<&str, &Category> = HashMap::new();
    for c in &cats.categories {
        for text in [&c.title, &c.velocity_1_7, &c.velocity_2, &c.reason] {
            if text.trim().is_empty() {
                problems.push(format!("category {}: empty description field", c.id));
            }
        }
        if c.gcsync_follows != "1.7" && c.gcsync_follows != "2" {
            problems.push(format!("category {}: gcsync_follows must be \"1.7\" or \"2\"", c.id));
        }
        if c.count != c.cases.len() {
            problems.push(format!("category {}: count {} but {} cases", c.id, c.count, c.cases.len()));
        }
        for id in &c.cases {
            if let Some(other) = category_of.insert(id.as_str(), c) {
                problems.push(format!("case {id} is in categories {} and {}", other.id, c.id));
            }
        }
    }

    let mut seen = std::collections::HashSet::new();
    let mut disagreeing = 0usize;
    for line in fixture.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).expect("fixture line is JSON");
        let id = case["id"].as_str().expect("id");
        let (v17, v2) = (&case["expected_1_7"], &case["expected_2"]);
        let category = category_of.get(id).copied();
        if category.is_some() {
            seen.insert(id.to_string());
        }
        if v17 == v2 {
            if let Some(c) = category {
                problems.push(format!("{id}: listed in category {} but 1.7 and 2.x agree", c.id));
            }
            continue;
        }
        disagreeing += 1;
        let Some(c) = category else {
            problems.push(format!(
                "{id}: 1.7 and 2.x disagree but no category lists it\n  template: {:?}\n  1.7: {v17}\n  2.x: {v2}",
                case["request"]["template"]
            ));
            continue;
        };
        let want = if c.gcsync_follows == "2" { v2 } else { v17 };
        let got = eval_velocity(&case["request"]);
        let same = want["ok"] == got["ok"]
            && (want["ok"] != Value::Bool(true) || want["output"] == got["output"])
            && (want["ok"] == Value::Bool(true)
                || (want["error_type"] == got["error_type"]
                    && (!c.compare_message || want["error"] == got["error"])));
        if !same && !known.contains_key(id) {
            problems.push(format!(
                "{id} (category {}): gcsync should answer like Velocity {}\n  template: {:?}\n  expected: {want}\n  got:      {got}",
                c.id, c.gcsync_follows, case["request"]["template"]
            ));
        }
    }
    for id in category_of.keys() {
        if !seen.contains(*id) {
            problems.push(format!("{id}: listed in a category but not in velocity.jsonl"));
        }
    }
    println!("velocity 1.7 vs 2.x: {disagreeing} disagreeing cases in {} categories", cats.categories.len());
    for c in &cats.categories {
        println!("  {:<28} {:>4}  gcsync follows {}", c.id, c.cases.len(), c.gcsync_follows);
    }
    assert!(disagreeing > 0, "no disagreeing cases found: fixture fields renamed?");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
