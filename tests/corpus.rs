//! The 200 real, public data actions in `../shared/corpus/actions`: every one converts to a
//! manifest and renders back to the same action. The converted manifests, written into one
//! directory, then go through exactly what `gcsync validate -m DIR` runs (`manifest::load`:
//! format, contract rules, template/JSONPath lint, unique names); every action with an error
//! is listed in `tests/fixtures/corpus-validation.json` with its rule codes and the real
//! problem (`codes`), as is every action whose lint errors the converted manifest allows
//! with a `# gcsync:allow` line (`allowed`); the test fails if either set differs.
//! Skipped (with a printed reason) when `../shared` is not beside the repository; a
//! failure instead when `CI` is set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, clippy::print_stdout)]

use gcsync::diag::{Diagnostics, Severity};
use gcsync::manifest::{self, ManifestSet};
use gcsync::model::digest;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/actions");
    d.is_dir().then_some(d)
}

#[test]
fn corpus_converts_round_trips_and_validates() {
    let Some(dir) = corpus_dir() else {
        assert!(std::env::var_os("CI").is_none(), "../shared/corpus/actions is missing, and CI is set");
        eprintln!("SKIPPED: ../shared/corpus/actions is not present beside the repository");
        return;
    };
    let expected: BTreeMap<String, Value> = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus-validation.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 200, "the corpus has 200 actions");
    let out = tempfile::tempdir().unwrap();
    let mut shorthand = 0;
    let mut custom_auth = 0;
    let mut allowed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        let original: Value = serde_json::from_str(&text).unwrap();
        let converted = gcsync::convert::convert_action(&original, &gcsync::convert::Options::default())
            .unwrap_or_else(|e| panic!("{name}: convert failed: {e}"));
        shorthand += usize::from(converted.shorthand);
        if !converted.allowed.is_empty() {
            allowed.insert(name.clone(), converted.allowed.keys().cloned().collect());
            assert!(converted.yaml.contains("# gcsync:allow "), "{name}: no allowance line");
        }
        // Round trip: parse the YAML, compile, compare with the source field by field.
        let mut set = ManifestSet::default();
        let mut diags = Diagnostics::new();
        let path = PathBuf::from(format!("{name}.yaml"));
        manifest::parse::parse_file(&path, &converted.yaml, &mut set, &mut diags);
        assert!(!diags.has_errors(), "{name}: converted manifest does not parse: {:?}", diags.sorted());
        let stem = name.trim_end_matches(".json");
        if converted.integration {
            // A custom auth action: the `authAction` of its integration's credential must be
            // the source's request and response.
            custom_auth += 1;
            let integration = manifest::integration::compile(&set.integrations[0]);
            let credential = integration.credential.unwrap();
            assert_eq!(credential.type_name, "userDefinedOAuth", "{name}");
            let auth = credential.auth_action.unwrap();
            for (key, back) in [
                ("request", serde_json::to_value(&auth.request).unwrap()),
                ("response", serde_json::to_value(&auth.response).unwrap()),
            ] {
                assert_eq!(
                    digest::canonical(&strip_empty(&back)),
                    digest::canonical(&strip_empty(&original["config"][key])),
                    "{name}: authAction.{key} differs"
                );
            }
            std::fs::write(out.path().join(format!("{stem}.yaml")), &converted.yaml).unwrap();
            continue;
        }
        let spec = manifest::compile::compile(&set.actions[0]);
        let (source, _) =
            gcsync::convert::source_spec(&original, &gcsync::convert::Options::default()).unwrap();
        assert_eq!(
            digest::normalized(&spec),
            digest::normalized(&source),
            "{name}: render differs from source"
        );
        let rendered = spec.to_post_json("integration");
        for key in ["config", "contract"] {
            let (a, b) = (&rendered[key], &original[key]);
            // Same content; templates byte-exact (checked by the normalized form above).
            assert_eq!(
                digest::canonical(&strip_empty(a)),
                digest::canonical(&strip_empty(b)),
                "{name}: `{key}` differs"
            );
        }
        std::fs::write(out.path().join(format!("{stem}.yaml")), &converted.yaml).unwrap();
    }
    assert_eq!(custom_auth, 1, "the custom-auth example becomes an integration manifest");
    // What `gcsync validate -m DIR` does, over the whole converted corpus.
    let (set, diags) = manifest::load(&[out.path().to_path_buf()]);
    assert_eq!(set.files.len(), 200);
    let mut failing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in diags.sorted().iter().filter(|d| d.severity == Severity::Error) {
        let file = d.file.as_ref().and_then(|f| f.file_stem()).map(|s| s.to_string_lossy().to_string());
        let key = format!("{}.json", file.unwrap_or_default());
        failing.entry(key).or_default().push(d.code.to_string());
    }
    // Lint errors the action carried are allowed in its manifest (with a generated reason).
    let want_allowed: BTreeMap<String, Vec<String>> = expected
        .iter()
        .filter_map(|(k, v)| {
            let codes = v.get("allowed")?.as_array()?;
            Some((k.clone(), codes.iter().map(|c| c.as_str().unwrap().to_string()).collect()))
        })
        .collect();
    assert_eq!(
        allowed, want_allowed,
        "allowed lint errors changed; update tests/fixtures/corpus-validation.json"
    );
    let want: BTreeMap<String, Vec<String>> = expected
        .iter()
        .filter(|(_, v)| v.get("codes").is_some())
        .map(|(k, v)| {
            (
                k.clone(),
                v["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect(),
            )
        })
        .collect();
    for (k, v) in &expected {
        assert!(
            v["reason"].as_str().is_some_and(|r| r.len() > 20),
            "{k}: every expected failure needs a reason"
        );
    }
    let unexpected: Vec<_> = failing.iter().filter(|(k, v)| want.get(*k) != Some(*v)).collect();
    let missing: Vec<_> = want.iter().filter(|(k, v)| failing.get(*k) != Some(*v)).collect();
    assert!(
        unexpected.is_empty() && missing.is_empty(),
        "corpus validation failures changed; update tests/fixtures/corpus-validation.json with a reason per action\n\
         failing but not listed (or with other codes): {unexpected:?}\nlisted but not failing so: {missing:?}"
    );
    eprintln!(
        "corpus: {} actions converted and round-tripped ({shorthand} in shorthand form); {} fail validation as expected",
        files.len(),
        failing.len()
    );
}

/// Drops empty/absent-equivalent parts so that `{}` headers and a missing `headers` compare
/// equal, as Genesys treats them.
fn strip_empty(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| {
                    let empty_map = v.as_object().is_some_and(serde_json::Map::is_empty)
                        && matches!(
                            k.as_str(),
                            "headers" | "translationMap" | "translationMapDefaults" | "input" | "output"
                        );
                    let default_body =
                        k.as_str() == "requestTemplate" && v.as_str() == Some("${input.rawRequest}");
                    !empty_map && !default_body
                })
                .map(|(k, v)| (k.clone(), strip_empty(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}
