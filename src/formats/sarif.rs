//! `validate --format sarif`: diagnostics as a SARIF 2.1.0 log for GitHub code scanning
//! (`github/codeql-action/upload-sarif`) and other SARIF viewers.
//!
//! Owns: the rule catalog (every rule code of README's *Offline rules* table, with its
//! default level and help text; a code missing from it still gets a rule), and the log:
//! `runs[0].tool.driver` (`name` gcsync, `version`, `rules[]`), `columnKind`
//! `unicodeCodePoints` (gcsync columns count characters), `results[]` with `ruleId`,
//! `ruleIndex`, `level`, `message.text` (the hint on a second line) and
//! `locations[].physicalLocation` {`artifactLocation` {`uri` (relative, `%SRCROOT%`), or a
//! `file://` URI for an absolute path}, `region` {`startLine`, `startColumn`,
//! `endColumn`}}. A diagnostic without a file has no location.
//! Must not: read files or print.

use crate::diag::{Diagnostic, Severity};
use serde_json::{Value, json};

/// (code, default level is error, what it checks).
pub const RULES: &[(&str, bool, &str)] = &[
    ("yaml-syntax", true, "The file is not valid YAML."),
    ("not-utf8", true, "The file is not UTF-8 text."),
    ("not-text", true, "The file is not text (it holds NUL bytes or other binary content)."),
    ("file-too-large", true, "The file is over 4 MB and is refused unread."),
    ("empty-file", true, "A manifest file is empty (0 bytes, only comments or only `---`)."),
    ("no-manifests", true, "No manifest files were found where manifests were expected."),
    ("unknown-kind", true, "`kind` names no resource type (`DataAction` or `Integration`)."),
    ("missing-kind", true, "A manifest document has no `kind`."),
    ("unknown-field", true, "A key that the manifest format does not have (often a typo)."),
    ("missing-field", true, "A required field is missing."),
    ("wrong-type", true, "A field has the wrong type (for example a list where a string is expected)."),
    ("misplaced-field", true, "A field that belongs elsewhere in the manifest."),
    (
        "contract-form",
        true,
        "The contract mixes the shorthand form (`inputs`/`outputs`) and the raw form (`contract` + `response`).",
    ),
    ("missing-contract", true, "The action declares no contract."),
    (
        "duplicate-name",
        true,
        "Two manifests declare the same action name in one integration, or the same integration name.",
    ),
    ("empty", true, "A name or category is empty."),
    ("too-long", true, "A name or category is longer than 256 characters."),
    ("timeout-range", true, "`timeoutSeconds` must be between 1 and 60."),
    ("method", true, "`request.method` must be GET, POST, PUT, PATCH or DELETE."),
    ("accept-json", true, "An `Accept` header must name JSON media types (Genesys rejects others)."),
    ("input-not-object", true, "The input contract must be an object at the top level."),
    ("input-type", true, "Input properties must be of type string, integer, number, boolean or null."),
    ("input-nested", true, "Input properties must be flat (no nested objects or arrays)."),
    ("input-name", true, "Input names must match `^[A-Za-z][A-Za-z0-9_-]*$`."),
    ("input-reserved", true, "`orgId`, `integrationId` and `rawRequest` are reserved input names."),
    ("input-untyped", false, "An input property has no type."),
    (
        "output-nested-array",
        true,
        "The output contract has an array of arrays, which Genesys cannot flatten.",
    ),
    ("output-name", true, "A shorthand output name that cannot be used as a template variable."),
    ("output-type", true, "An output has an unknown type."),
    ("empty-from", true, "An output's `from` JSONPath is empty."),
    ("schema-ref", true, "Contracts cannot use `$ref`."),
    ("schema-draft04", true, "A contract is not a valid JSON Schema draft-04 document."),
    ("too-deep", true, "Nesting deeper than 50 levels."),
    ("get-body", false, "A GET request sends no body; the body template is ignored."),
    ("integration-type", true, "An Integration manifest names an unknown integration type."),
    ("credential-type", true, "An Integration manifest names an unknown credential type."),
    (
        "credential-field",
        true,
        "A credential lacks a field its type needs (`basicAuth`: `userName` and `password`).",
    ),
    (
        "inline-secret",
        true,
        "A credential value is written in the manifest; only `{env: VAR}` is allowed (the value is never shown).",
    ),
    ("env-name", true, "An environment variable name is not valid."),
    ("input-default", true, "An input's `default:` is not a scalar of the input's type."),
    (
        "function-source",
        true,
        "A function action's `source` is missing, not a directory or `.zip`, or over the size limits.",
    ),
    (
        "function-handler",
        true,
        "A function's `handler` is not `path/module.export`, or its module file is not in the source.",
    ),
    ("function-runtime", true, "A function's `runtime` is unknown or `Unavailable`."),
    ("function-runtime-deprecated", false, "A function's `runtime` is `Deprecated` (with its end of life)."),
    ("function-timeout", true, "A function's `timeoutSeconds` is outside 1–15."),
    ("function-description", true, "A function's `description` is missing, empty or over 255 characters."),
    (
        "function-url",
        true,
        "A function action has a `request.url` (Genesys generates it) or a method other than POST.",
    ),
    (
        "function-integration",
        true,
        "A function action's integration is not `function-data-actions`, or a web action uses one.",
    ),
    ("velocity-syntax", true, "A URL, header, body or success template does not parse as Velocity 1.7."),
    ("jsonpath-syntax", true, "A translation-map JSONPath does not compile (Jayway JsonPath)."),
    (
        "undeclared-input",
        true,
        "A request template reads `${input.x}` but the input contract has no `x` (it would render literally).",
    ),
    (
        "unmapped-variable",
        true,
        "The success template reads a variable no translation-map key provides (Genesys's \"Variables Not Mapping\").",
    ),
    ("unused-translation-key", false, "A translation-map key the success template never reads."),
    (
        "default-not-json",
        false,
        "A translation-map default that is not JSON text (`UNKNOWN` instead of `\"UNKNOWN\"`).",
    ),
    (
        "invalid-json-output",
        false,
        "The success template renders invalid JSON when values are null or take their defaults.",
    ),
    (
        "unescaped-input-json",
        false,
        "A string input inserted raw inside a JSON string of a request body; use `\"$esc.jsonString(${input.x})\"`.",
    ),
    (
        "unescaped-input-url",
        false,
        "A string input inserted raw into the URL after the host; use `$esc.url(${input.x})`.",
    ),
    (
        "test-case",
        true,
        "A `tests:` case is malformed (it needs `response:` or `live: true` and exactly one expectation).",
    ),
    ("test-input-type", true, "A test input has the wrong type (string inputs must be quoted)."),
    ("duplicate-test", true, "Two test cases of one action have the same name."),
    ("undefined-var", true, "`{{ var.NAME }}` names a variable the environment does not define."),
    (
        "var-without-env",
        true,
        "A manifest uses `{{ var.NAME }}` but no environment was chosen (`--env NAME`).",
    ),
    ("var-syntax", true, "A malformed `{{ var.NAME }}` reference."),
    ("var-type", true, "A variable holding a mapping, list or null is used inside a text."),
    ("var-in-key", true, "A `{{ var.NAME }}` reference in a mapping key."),
    ("unused-var", false, "An environment variable (`vars:`) that no manifest uses."),
    ("shared-state", true, "Two environments use the same state file."),
];

/// The URI of a path: relative paths percent-encoded with `/` separators (resolved against
/// `%SRCROOT%`, the repository root code scanning uses), absolute ones as `file://` URIs.
#[must_use]
pub fn uri(path: &std::path::Path) -> (String, bool) {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const SEGMENT: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'[')
        .add(b'\\')
        .add(b']')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}');
    let text = path.to_string_lossy().replace('\\', "/");
    let absolute = path.is_absolute();
    let trimmed = text.trim_start_matches("./");
    let encoded: Vec<String> =
        trimmed.split('/').map(|seg| utf8_percent_encode(seg, SEGMENT).to_string()).collect();
    let joined = encoded.join("/");
    if absolute {
        // `/a/b` → `file:///a/b`; `C:/a` → `file:///C:/a`.
        let joined = joined.trim_start_matches('/');
        (format!("file:///{joined}"), true)
    } else {
        (joined, false)
    }
}

fn rule_name(code: &str) -> String {
    code.split('-')
        .map(|w| {
            let mut c = w.chars();
            // An empty rule name stays empty.
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn rule(code: &str, error: bool, text: &str) -> Value {
    let level = if error { "error" } else { "warning" };
    json!({
        "id": code,
        "name": rule_name(code),
        "shortDescription": {"text": text},
        "fullDescription": {"text": text},
        "help": {
            "text": format!("{text}\nRule `{code}` of `gcsync validate`; README section \"Offline rules (gcsync validate)\" lists every rule."),
            "markdown": format!("{text}\n\nRule `{code}` of `gcsync validate`; the README section *Offline rules (`gcsync validate`)* lists every rule."),
        },
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["gcsync", "genesys-cloud", "data-actions"]},
    })
}

/// The SARIF log of one validate run.
#[must_use]
pub fn log(diags: &[Diagnostic]) -> Value {
    let mut codes: Vec<(&str, bool, String)> =
        RULES.iter().map(|(c, e, t)| (*c, *e, (*t).to_string())).collect();
    for d in diags {
        if !codes.iter().any(|(c, _, _)| *c == d.code) {
            codes.push((d.code, d.severity == Severity::Error, format!("gcsync rule `{}`.", d.code)));
        }
    }
    let rules: Vec<Value> = codes.iter().map(|(c, e, t)| rule(c, *e, t)).collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            // Every diagnostic's code was added to `codes` above, so it is always found.
            let index = codes.iter().position(|(c, _, _)| *c == d.code).unwrap_or_default();
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let text = match &d.hint {
                Some(h) => format!("{}\nhint: {h}", d.message),
                None => d.message.clone(),
            };
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": index,
                "level": level,
                "message": {"text": text},
            });
            if let (Some(file), Value::Object(m)) = (&d.file, &mut result) {
                let (uri, absolute) = uri(file);
                let mut artifact = json!({"uri": uri});
                if !absolute && let Value::Object(a) = &mut artifact {
                    a.insert("uriBaseId".into(), json!("%SRCROOT%"));
                }
                let mut physical = json!({"artifactLocation": artifact});
                if d.line > 0
                    && let Value::Object(p) = &mut physical
                {
                    let mut region = json!({"startLine": d.line});
                    if d.column > 0
                        && let Value::Object(r) = &mut region
                    {
                        r.insert("startColumn".into(), json!(d.column));
                        if d.width > 1 {
                            r.insert("endColumn".into(), json!(d.column as usize + d.width));
                        }
                    }
                    p.insert("region".into(), region);
                }
                m.insert("locations".into(), json!([{"physicalLocation": physical}]));
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gcsync",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}
