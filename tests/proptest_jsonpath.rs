//! Property tests: no input panics the engine or overflows the stack.
//!
//! Owns: proptest strategies for arbitrary path strings and documents, and
//! the deep-nesting tests (documents of depth 10,000, very long paths,
//! deeply nested filters). Must not: depend on the oracle fixtures.

// Test code under tests/: unwrap/expect are allowed here (see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gcsync::jsonpath::{Error, JsonPath, Options};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Drop a (possibly very deep) value without recursion.
fn dismantle(v: Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a),
            Value::Object(m) => stack.extend(m.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

fn all_options() -> Vec<Options> {
    let names = [
        "ALWAYS_RETURN_LIST",
        "SUPPRESS_EXCEPTIONS",
        "DEFAULT_PATH_LEAF_TO_NULL",
        "REQUIRE_PROPERTIES",
        "AS_PATH_LIST",
    ];
    let mut out = vec![Options::default()];
    for n in names {
        out.push(Options::from_names([n]).unwrap());
    }
    out
}

fn sample_docs() -> Vec<Value> {
    vec![
        json!({"a": {"b": [1, 2.5, "x", null, true, {"c": [[]]}]}, "n": null, "s": "str", "e": [], "o": {}}),
        json!([{"id": 1, "tags": ["a"]}, {"id": "2", "x": {"y": -3}}, [], 7]),
        json!({"ключ": {"emoji😀": [1, {"'": "\""}]}, "": {"": ""}}),
        json!(42),
        json!("just text"),
    ]
}

fn path_strategy() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "$", "@", ".", "..", "[", "]", "*", "?", "(", ")", "'", "\"", ",", ":", "-", "0", "1", "-1", "a",
        "b", "id", "@.a", "$.a", "==", "!=", "<", ">=", "=~", "/a/i", "&&", "||", "!", " ", "in", "nin",
        "size", "empty", "true", "null", "length()", "sum()", "keys()", "first()", "[?(", ")]", "['a']",
        "[0]", "[*]", "[1:]", "\\", "{", "}", "ключ", "😀", "\t", "\u{0}",
    ]);
    prop_oneof![
        prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat()),
        any::<String>(),
        "\\$[.\\[\\]\\*?@()'\",:a-c0-9=<>!~/ -]{0,40}",
    ]
}

fn doc_strategy() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-c'\" .\\[\\]]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-c]{0,2}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

const PATHS: &[&str] = &[
    "$",
    "$.*",
    "$..*",
    "$..a",
    "$.a.b",
    "$[0]",
    "$[-1]",
    "$[1:]",
    "$[:-1]",
    "$[*].id",
    "$..[?(@.id)]",
    "$[?(@.id > 1)]",
    "$..[0]",
    "$['a','b']",
    "$.length()",
    "$..a.length()",
    "$.sum()",
    "$..id.max()",
    "$.keys()",
    "$[?(@ == 'x')]",
    "$..[?(@.a =~ /x.*/i)]",
    "$[?(@.tags anyof ['a'])]",
    "$.a.first()",
    "$[0,1,-1]",
    "$..*.length()",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_paths_never_panic(path in path_strategy()) {
        match JsonPath::parse(&path) {
            Ok(p) => {
                for d in sample_docs() {
                    for o in all_options() {
                        let _ = p.evaluate_with(&d, &o);
                    }
                }
            }
            Err(e) => {
                prop_assert!(!e.java_class().is_empty());
            }
        }
    }

    #[test]
    fn arbitrary_documents_never_panic(doc in doc_strategy()) {
        for p in PATHS {
            let compiled = JsonPath::parse(p).unwrap();
            for o in all_options() {
                let _ = compiled.evaluate_with(&doc, &o);
            }
        }
    }

    #[test]
    fn evaluation_is_deterministic(doc in doc_strategy(), idx in 0..PATHS.len()) {
        let p = JsonPath::parse(PATHS[idx]).unwrap();
        prop_assert_eq!(p.evaluate(&doc), p.evaluate(&doc));
    }
}

/// Build `depth` nested containers iteratively: `{"a": [{"a": [ ... ]}]}`.
fn deep_doc(depth: usize) -> Value {
    let mut v = json!({"x": 1});
    for i in 0..depth {
        v = if i % 2 == 0 {
            Value::Array(vec![v])
        } else {
            let mut m = Map::new();
            m.insert("a".to_string(), v);
            Value::Object(m)
        };
    }
    v
}

fn run_on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(f).unwrap().join().unwrap();
}

#[test]
fn deep_documents_do_not_overflow_the_stack() {
    run_on_small_stack(|| {
        let doc = deep_doc(10_000);
        let paths = [
            "$",
            "$..x",
            "$..*",
            "$..[0]",
            "$..a",
            "$..[?(@.x)]",
            "$.a[0].a[0].a",
            "$[0]",
            "$.length()",
            "$..x.sum()",
            "$[*]",
            "$.*.*.*",
            "$..[?(@ == @)]",
            "@",
        ];
        let mut outcomes = Vec::new();
        for p in paths {
            let compiled = JsonPath::parse(p).unwrap();
            match compiled.evaluate(&doc) {
                Ok(v) => {
                    dismantle(v);
                    outcomes.push((p, "ok".to_string()));
                }
                Err(e) => outcomes.push((p, e.java_class().to_string())),
            }
        }
        // Assert only after the deep document is gone: unwinding would drop
        // it recursively.
        dismantle(doc);
        let expect = [
            ("$", "ok"),
            ("$..x", "java.lang.StackOverflowError"),
            ("$.a[0].a[0].a", "ok"),
            ("$[0]", "com.jayway.jsonpath.PathNotFoundException"),
            ("$.length()", "ok"),
        ];
        for (p, want) in expect {
            let got = outcomes.iter().find(|(q, _)| *q == p).map(|(_, o)| o.as_str());
            assert_eq!(got, Some(want), "{p}");
        }
        // Equality of two deep subtrees inside a filter.
        // (built by hand: `json!` would serialise the operands recursively)
        let mut item = Map::new();
        item.insert("l".to_string(), deep_doc(5_000));
        item.insert("r".to_string(), deep_doc(5_000));
        let pair = Value::Array(vec![Value::Object(item)]);
        let eq = JsonPath::parse("$[?(@.l == @.r)]").unwrap();
        let r = eq.evaluate(&pair);
        dismantle(pair);
        let fine = matches!(r, Ok(_) | Err(Error::DepthLimit { .. }));
        if let Ok(v) = r {
            dismantle(v);
        }
        assert!(fine);
    });
}

#[test]
fn scan_depth_limit_is_a_clear_error() {
    run_on_small_stack(|| {
        let doc = deep_doc(10_000);
        let r = JsonPath::parse("$..x").unwrap().evaluate(&doc);
        dismantle(doc);
        let err = r.unwrap_err();
        assert!(matches!(err, Error::DepthLimit { .. }));
        assert!(err.to_string().contains("depth"));
    });
}

#[test]
fn long_and_nested_paths_do_not_overflow_the_stack() {
    run_on_small_stack(|| {
        let doc = json!({"a": {"a": 1}});
        let long = format!("${}", ".a".repeat(100_000));
        let r = JsonPath::parse(&long).and_then(|p| p.evaluate(&doc));
        assert!(r.is_err());
        let nested_filters = format!("$.a{}{}", "[?(@.b".repeat(5_000), ")]".repeat(5_000));
        assert!(JsonPath::parse(&nested_filters).is_err());
        let parens = format!("$[?({}@.a{})]", "(".repeat(50_000), ")".repeat(50_000));
        assert!(JsonPath::parse(&parens).is_err());
        let nots = format!("$[?({}(@.a))]", "!".repeat(50_000));
        assert!(JsonPath::parse(&nots).is_err());
        let funcs = format!("$.sum({}1{})", "$.sum(".repeat(2_000), ")".repeat(2_000));
        let _ = JsonPath::parse(&funcs).and_then(|p| p.evaluate(&doc));
        let json_lit = format!("$[?(@.a in {}{})]", "[".repeat(50_000), "]".repeat(50_000));
        let _ = JsonPath::parse(&json_lit).and_then(|p| p.evaluate(&json!([{"a": 1}])));
    });
}
