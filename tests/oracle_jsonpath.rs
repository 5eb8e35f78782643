//! Conformance test against recorded Jayway JsonPath 2.10.0 oracle results.
//!
//! Owns: replaying `tests/fixtures/oracle/jsonpath.jsonl` through
//! `eval_jsonpath` and comparing `ok`, `result` (numerically equal with the
//! same integer/double kind, arrays and objects in order) and `error_type`.
//! Fails when agreement is below 99% or when a disagreement is not listed in
//! `tests/fixtures/oracle/jsonpath-differences.json`. Needs no Java.
//! Must not: call the oracle or modify fixtures.

// Test code under tests/: unwrap/expect are allowed here (see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use gcsync::eval::jsonpath::eval_jsonpath;
use serde_json::Value;

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oracle")
}

/// Same JSON value, with numbers equal *and* of the same kind (integer vs
/// floating point), objects compared in key order.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let xi = x.is_i64() || x.is_u64();
            let yi = y.is_i64() || y.is_u64();
            if xi != yi {
                return false;
            }
            if xi { x.as_i128() == y.as_i128() } else { x.as_f64() == y.as_f64() }
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|((k1, v1), (k2, v2))| k1 == k2 && same(v1, v2))
        }
        _ => a == b,
    }
}

fn agrees(expected: &Value, got: &Value) -> bool {
    let ok_e = expected.get("ok").and_then(Value::as_bool).unwrap_or(false);
    let ok_g = got.get("ok").and_then(Value::as_bool).unwrap_or(false);
    if ok_e != ok_g {
        return false;
    }
    if ok_e {
        match (expected.get("result"), got.get("result")) {
            (Some(a), Some(b)) => same(a, b),
            (None, None) => true,
            _ => false,
        }
    } else {
        expected.get("error_type") == got.get("error_type")
    }
}

#[test]
fn oracle_conformance() {
    let dir = fixture_dir();
    // JSONPATH_FIXTURE lets a developer replay an ad-hoc recording.
    let fixture = std::env::var("JSONPATH_FIXTURE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.join("jsonpath.jsonl"));
    let text = fs::read_to_string(fixture).expect("fixture present");
    let listed: Vec<Value> = serde_json::from_str(
        &fs::read_to_string(dir.join("jsonpath-differences.json")).expect("differences file"),
    )
    .expect("differences file is JSON");
    let allowed: BTreeSet<String> =
        listed.iter().filter_map(|d| d.get("id").and_then(Value::as_str).map(str::to_string)).collect();

    let mut total = 0usize;
    let mut agreed = 0usize;
    let mut by_cat: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut listed_but_agreeing = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).expect("fixture line is JSON");
        let id = case["id"].as_str().unwrap_or("?").to_string();
        let got = eval_jsonpath(&case["request"]);
        let ok = agrees(&case["expected"], &got);
        total += 1;
        let cat = id.split('/').next().unwrap_or("?").to_string();
        let e = by_cat.entry(cat).or_default();
        e.0 += 1;
        if ok {
            agreed += 1;
            e.1 += 1;
            if allowed.contains(&id) {
                listed_but_agreeing.push(id);
            }
        } else if !allowed.contains(&id) {
            unexpected.push(format!(
                "{id}: path {} options {}\n    expected {}\n    got      {}",
                case["request"]["path"],
                case["request"].get("options").unwrap_or(&Value::Null),
                case["expected"],
                got
            ));
        }
    }
    let pct = 100.0 * agreed as f64 / total.max(1) as f64;
    println!("jsonpath oracle agreement: {agreed}/{total} ({pct:.2}%)");
    for (cat, (n, a)) in &by_cat {
        println!("  {cat:<12} {a}/{n}");
    }
    if !listed_but_agreeing.is_empty() {
        println!("listed differences that now agree: {listed_but_agreeing:?}");
    }
    if let Ok(p) = std::env::var("JSONPATH_MISMATCH_OUT") {
        let _ = fs::write(p, unexpected.join("\n"));
    }
    for u in unexpected.iter().take(40) {
        println!("{u}");
    }
    assert!(pct >= 99.0, "agreement {pct:.2}% is below 99%");
    assert!(
        unexpected.is_empty(),
        "{} disagreements are not listed in jsonpath-differences.json",
        unexpected.len()
    );
}
