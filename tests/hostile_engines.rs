//! Issue 12: the Velocity and JSONPath engines on hostile input. Every case must end — with a
//! result or a limit error — within a time bound, and never crash the process (a stack
//! overflow aborts this whole test binary, failing the run). The binary limits its own
//! address space first (`prlimit --as`, [`ADDRESS_SPACE`]: `ulimit -v` for this process), so
//! a case that allocates without bound fails as well.
//!
//! Two sources: the cases the adversarial campaign found (`tests/fixtures/hostile/`, see its
//! README), and generated constructions of the same kinds (proptest: nesting, self-sharing,
//! doubling, big strings, chained deep scans and filters), a bounded number per run. The
//! engines' budgets are made small here (fuel, JSONPath steps) so that a debug build reaches
//! them fast; the bounds themselves are the same code at their real sizes (the unit tests
//! in `src/velocity/tests.rs` and `src/jsonpath/eval.rs` use the defaults where they are fast).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use gcsync::jsonpath::{Error as PathError, JsonPath, Options};
use gcsync::velocity::{Context, RenderOptions, Template, ToolSet, Value};
use proptest::prelude::*;
use serde_json::{Value as Json, json};
use std::time::{Duration, Instant};

/// The most one case may take in a debug build.
const CASE_TIME: Duration = Duration::from_secs(20);

/// The address space this test process may use (bytes): far above what the bounded engines
/// need, far below what the unbounded ones took (4 GB to 24 GB).
const ADDRESS_SPACE: u64 = 3 << 30;

/// Limits this process's address space once (`prlimit` from util-linux; without it the
/// tests run unlimited, and fail under CI, which must check memory).
fn limit_memory() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let pid = std::process::id().to_string();
        let limited = std::process::Command::new("prlimit")
            .args(["--pid", &pid, &format!("--as={ADDRESS_SPACE}:{ADDRESS_SPACE}")])
            .status()
            .is_ok_and(|s| s.success());
        if !limited {
            assert!(std::env::var_os("CI").is_none(), "CI is set but `prlimit` could not limit memory");
            eprintln!("SKIPPED the memory bound: `prlimit` (util-linux) is not available");
        }
    });
}

fn ctx() -> Context {
    let mut c = Context::new();
    c.insert("input", Value::from(&json!({"s": "Hello", "l": [1, 2, 3], "m": {"k": "v"}})));
    c.bind_tools(ToolSet::Genesys);
    c
}

fn velocity(src: &str, why: &str) {
    limit_memory();
    let started = Instant::now();
    let opts = RenderOptions { fuel: 300_000, ..RenderOptions::default() };
    let outcome = Template::parse(src, "template").map(|t| t.render(&ctx(), &opts));
    let took = started.elapsed();
    assert!(took < CASE_TIME, "{why}: took {took:?}");
    // A result or an error: both are fine, as long as it ended. Errors past a bound name it.
    if let Ok(Err(e)) = &outcome {
        assert!(!e.message.is_empty(), "{why}: an empty error");
    }
}

fn chain(depth: usize) -> Json {
    let mut v = json!({"b": 1});
    for _ in 0..depth {
        v = json!({"a": v, "b": 1});
    }
    v
}

fn tree(depth: usize, width: usize) -> Json {
    if depth == 0 {
        return json!({"a": 1});
    }
    json!({"a": (0..width).map(|_| tree(depth - 1, width)).collect::<Vec<_>>()})
}

fn jsonpath(path: &str, doc: &Json, why: &str) {
    limit_memory();
    let started = Instant::now();
    let outcome = JsonPath::parse(path).and_then(|p| p.evaluate_within(doc, &Options::default(), 300_000));
    let took = started.elapsed();
    assert!(took < CASE_TIME, "{why}: took {took:?}");
    if let Err(e) = &outcome {
        // Past a bound, the error says which (never a Java class that hides a crash).
        assert!(!e.message().is_empty(), "{why}: {e:?}");
        if matches!(e, PathError::Limit { .. }) {
            assert_eq!(e.java_class(), "gcsync.jsonpath.LimitExceeded");
        }
    }
}

fn fixture(name: &str) -> Vec<Json> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile").join(name);
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_campaigns_velocity_cases_end_within_bounds() {
    let cases = fixture("velocity.jsonl");
    assert!(cases.len() >= 10, "the fixture lost its cases");
    for c in cases {
        let why = c["why"].as_str().unwrap();
        let mut src = c["template"].as_str().unwrap().to_string();
        if let Some([text, n]) = c["repeat"].as_array().map(Vec::as_slice) {
            src = src.replace("{{REPEAT}}", &text.as_str().unwrap().repeat(n.as_u64().unwrap() as usize));
        }
        velocity(&src, why);
    }
}

#[test]
fn the_campaigns_jsonpath_cases_end_within_bounds() {
    let cases = fixture("jsonpath.jsonl");
    assert!(cases.len() >= 4, "the fixture lost its cases");
    for c in cases {
        let why = c["why"].as_str().unwrap();
        let doc = match (&c["doc"]["chain"], &c["doc"]["tree"]) {
            (Json::Number(n), _) => chain(n.as_u64().unwrap() as usize),
            (_, Json::Array(dw)) => tree(dw[0].as_u64().unwrap() as usize, dw[1].as_u64().unwrap() as usize),
            _ => panic!("{why}: unknown doc"),
        };
        jsonpath(c["path"].as_str().unwrap(), &doc, why);
    }
}

/// One statement of a generated hostile template.
fn statement() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "#set($x=$a.add($a))",
        "#set($x=$a.addAll($a))",
        "#set($a=[$a])",
        "#set($a=[$a, $a])",
        "#set($a={'k': $a, 'j': $a})",
        "#set($x=$m.put('k', $a))",
        "#set($m.k = $a)",
        "#set($s=\"$s$s\")",
        "#set($x=$s.indexOf('y'))",
        "#set($x=$s.replace('x', 'yy'))",
        "#if($a == $a)#end",
        "#set($x=$a.hashCode())",
        "#set($x=$a.contains($a))",
        "#set($x=\"$a\")",
        "$a.size()",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Loops of hostile statements over a list, a map and a string end within the bounds.
    #[test]
    fn generated_velocity_constructions_end_within_bounds(
        body in prop::collection::vec(statement(), 1..4),
        n in prop::sample::select(vec![10u32, 100, 2_000, 200_000]),
    ) {
        let src = format!(
            "#set($a=[1])#set($m={{}})#set($s='xxxxxxxxxxxxxxxx')#foreach($i in [1..{n}]){}#end$a.size()",
            body.concat()
        );
        velocity(&src, &src);
    }

    /// Chains of deep scans, wildcards and deep-scanning filters over deep and wide documents.
    #[test]
    fn generated_jsonpath_scans_end_within_bounds(
        segments in prop::collection::vec(
            prop::sample::select(vec!["..a", "..*", "..[?(@..a)]", "[*]", ".a", "..b", "..[?(@.a)]"]),
            1..6,
        ),
        deep in prop::bool::ANY,
        size in 1usize..6,
    ) {
        let path = format!("${}", segments.concat());
        let doc = if deep { chain(size * 40) } else { tree(size, 5) };
        jsonpath(&path, &doc, &path);
    }
}
