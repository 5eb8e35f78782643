//! The template- and path-aware rules of `gcsync validate` (`src/manifest/lint.rs`): on
//! fixtures, through `manifest::load` (so `check_set` runs them), and over the 200 public
//! actions in `../shared/corpus/actions`, whose per-rule counts are pinned in
//! `tests/fixtures/lint-corpus-counts.json` (and reported in README).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, clippy::print_stdout)]

use gcsync::diag::Diagnostics;
use gcsync::manifest::{self, ManifestSet, lint};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn corpus_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/actions");
    d.is_dir().then_some(d)
}

/// Converts one corpus action to a manifest and lints it; returns the rule codes found.
fn lint_corpus_action(path: &Path) -> BTreeSet<String> {
    let original: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let converted = gcsync::convert::convert_action(&original, &gcsync::convert::Options::default()).unwrap();
    if converted.integration {
        // The custom auth action becomes an integration manifest: no action rules apply.
        return BTreeSet::new();
    }
    let mut set = ManifestSet::default();
    let mut diags = Diagnostics::new();
    let file = PathBuf::from("corpus.yaml");
    manifest::parse::parse_file(&file, &converted.yaml, &mut set, &mut diags);
    let mut d = Diagnostics::new();
    lint::lint_action(&set.actions[0], Some(&converted.yaml), &mut d);
    d.sorted().iter().map(|x| x.code.to_string()).filter(|c| lint::CODES.contains(&c.as_str())).collect()
}

#[test]
fn corpus_findings_match_the_pinned_counts() {
    let Some(dir) = corpus_dir() else {
        assert!(std::env::var_os("CI").is_none(), "../shared/corpus/actions is missing, and CI is set");
        eprintln!("SKIPPED: ../shared/corpus/actions is not present beside the repository");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 200);
    let mut counts: BTreeMap<String, u64> = lint::CODES.iter().map(|c| ((*c).to_string(), 0)).collect();
    let mut clean = 0u64;
    let mut examples: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        let codes = lint_corpus_action(f);
        if codes.is_empty() {
            clean += 1;
        }
        for c in codes {
            *counts.entry(c.clone()).or_default() += 1;
            examples.entry(c).or_default().push(f.file_name().unwrap().to_string_lossy().to_string());
        }
    }
    let mut got = serde_json::Map::new();
    for (k, v) in &counts {
        got.insert(k.clone(), Value::from(*v));
    }
    got.insert("(no finding)".into(), Value::from(clean));
    let got = Value::Object(got);
    eprintln!("corpus lint counts (actions carrying each finding): {got:#}");
    for (k, v) in &examples {
        if std::env::var_os("LINT_LIST").is_some() {
            eprintln!("  {k}: {}", v.join(", "));
        } else {
            eprintln!("  {k}: e.g. {}", v.iter().take(3).cloned().collect::<Vec<_>>().join(", "));
        }
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint-corpus-counts.json");
    let want: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    assert_eq!(
        got, want,
        "lint counts over the corpus changed; update tests/fixtures/lint-corpus-counts.json and README"
    );
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

#[test]
fn every_rule_is_located_in_the_manifest() {
    let (_, diags) = manifest::load(&[fixture("manifests/lint")]);
    let got: Vec<(String, &str, u32, u32)> = diags
        .sorted()
        .iter()
        .map(|d| (format!("{:?}", d.severity).to_lowercase(), d.code, d.line, d.column))
        .collect();
    let want: Vec<(String, &str, u32, u32)> = [
        ("warning", "unescaped-input-url", 7, 38),
        ("error", "velocity-syntax", 10, 35),
        ("warning", "unescaped-input-json", 12, 15),
        ("error", "undeclared-input", 13, 33),
        ("warning", "unused-translation-key", 30, 5),
        ("error", "jsonpath-syntax", 31, 15),
        ("warning", "default-not-json", 33, 12),
        ("error", "unmapped-variable", 34, 79),
        ("error", "missing-field", 36, 5),
        ("warning", "default-not-json", 48, 35),
        ("warning", "invalid-json-output", 49, 20),
    ]
    .into_iter()
    .map(|(s, c, l, col)| (s.to_string(), c, l, col))
    .collect();
    assert_eq!(got, want);
    // The unmapped variable is reported at its own column: `${Extra}` in the quoted template.
    let line = std::fs::read_to_string(fixture("manifests/lint/showcase.yaml")).unwrap();
    let l34 = line.lines().nth(33).unwrap();
    assert_eq!(l34.chars().skip(78).take(8).collect::<String>(), "${Extra}");
}

#[test]
fn every_code_has_a_severity_and_the_repo_manifests_are_clean() {
    for c in lint::CODES {
        assert!(lint::severity_of(c).is_some(), "{c}");
    }
    let (_, diags) = manifest::load(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests")]);
    assert!(diags.is_empty(), "{:?}", diags.sorted());
}
