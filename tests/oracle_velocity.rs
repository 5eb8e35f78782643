//! Replays the recorded Apache Velocity oracle fixture
//! (`tests/fixtures/oracle/velocity.jsonl`, made by `tests/oracle/record.py`)
//! through `eval_velocity` and compares `ok`, `output` and `error_type` with
//! Velocity 1.7 (the reference dialect). Fails below 99% agreement or on any
//! disagreement not listed in `tests/fixtures/oracle/velocity-differences.json`.
//! No Java needed.

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
