//! Property tests for gcsync's own parsers: the manifest loader and the YAML emitter.
//! Arbitrary input never panics; emitted YAML always parses back to the same tree.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, clippy::print_stdout)]

use gcsync::diag::Diagnostics;
use gcsync::manifest::{self, ManifestSet};
use gcsync::yaml::{Emitter, parse_documents};
use proptest::prelude::*;
use serde_json::Value;
use std::path::Path;

fn json_tree() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // Strings with the characters that break naive YAML writers.
        proptest::string::string_regex("[a-z0-9 :#'\"\\\\${}\\[\\]\r\n\t\u{e9}\u{2028}-]{0,24}")
            .unwrap()
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec(("[a-zA-Z$][a-zA-Z0-9_ -]{0,8}", inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn emitted_yaml_parses_back_identically(tree in proptest::collection::vec(("[a-z][a-zA-Z]{0,6}", json_tree()), 1..5)) {
        let doc = Value::Object(tree.into_iter().collect());
        let mut e = Emitter::new();
        e.document(&doc);
        let text = e.finish();
        let docs = parse_documents(&text).map_err(|err| TestCaseError::fail(format!("{err} at {:?}\n{text}", err.pos)))?;
        prop_assert_eq!(docs.len(), 1, "{}", text);
        prop_assert_eq!(docs[0].to_json(), doc, "{}", text);
    }

    #[test]
    fn manifest_loader_never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
        let mut set = ManifestSet::default();
        let mut diags = Diagnostics::new();
        manifest::parse::parse_file(Path::new("fuzz.yaml"), &text, &mut set, &mut diags);
        for a in &set.actions {
            manifest::check::check_action(a, &mut diags);
        }
    }

    #[test]
    fn manifest_loader_never_panics_on_near_manifests(
        name in "[ -~]{0,20}", method in "[A-Za-z]{0,7}", timeout in any::<i64>(),
        ty in prop_oneof![Just("string"), Just("object"), Just("array"), Just("x")],
        from in "[ -~]{0,10}",
    ) {
        let text = format!(
            "kind: DataAction\nname: {name:?}\nintegration: I\ntimeoutSeconds: {timeout}\nrequest:\n  method: {method:?}\n  url: u\ninputs:\n  a: {{type: {ty}}}\noutputs:\n  b: {{type: {ty}, from: {from:?}, items: {{type: {ty}}}}}\n"
        );
        let mut set = ManifestSet::default();
        let mut diags = Diagnostics::new();
        manifest::parse::parse_file(Path::new("near.yaml"), &text, &mut set, &mut diags);
        for a in &set.actions {
            manifest::check::check_action(a, &mut diags);
            let _ = manifest::compile::compile(a);
        }
    }
}
