//! `tests:` of a data action: the cases `gcsync test --all` runs, parsed from the
//! action's document with every problem located at file:line:column.
//!
//! ```yaml
//! tests:
//!   - name: found                          # required, unique within the action
//!     input: {userId: "1"}                 # scalars; merged over the inputs' `default:`s
//!     flatten: false                       # compare the flattened output (default false)
//!     response:                            # a stubbed upstream answer (no network) ...
//!       status: 200                        #   default 200
//!       headers: {Content-Type: application/json}
//!       body: {name: Ada}                  #   a YAML value sent as JSON, or
//!       # bodyText: "<html>"               #   raw text, or
//!       # bodyFile: fixtures/ada.json      #   a file relative to the manifest
//!       delayMs: 0                         #   > timeoutSeconds*1000 → the case times out
//!     # live: true                         # ... or the real endpoint
//!     expect:                              # exactly one of outputs / failure / timeout
//!       outputs: {fullName: Ada}           #   Success; listed outputs must be equal
//!       # failure: {status: 404, errorCode: ACTION.REMOTE_ENDPOINT, code: not.found, step: 8, message: "substring"}
//!       # timeout: true
//!       url: https://…/users/1             #   optional: the exact request URL
//! ```
//!
//! Owns: that format (keys, types, "exactly one of" rules, unique names, string inputs that
//! are written unquoted). Must not: run cases (`exec::cases` and `gcsync test` do) or read
//! `bodyFile`s (they are read when the case runs).

use super::reader::{MapReader, Sink};
use super::{ActionManifest, ContractForm};
use crate::exec::cases::{CaseSource, Expect, ExpectOutcome, StubBody, StubResponse, TestCase};
use crate::yaml::{Node, Value};
use serde_json::Map;

const CASE_KEYS: [&str; 6] = ["name", "input", "flatten", "response", "live", "expect"];
const RESPONSE_KEYS: [&str; 6] = ["status", "headers", "body", "bodyText", "bodyFile", "delayMs"];
const EXPECT_KEYS: [&str; 5] = ["outputs", "failure", "timeout", "url", "request"];
const REQUEST_KEYS: [&str; 3] = ["url", "headers", "body"];
const FAILURE_KEYS: [&str; 5] = ["status", "errorCode", "code", "step", "message"];

/// The cases of `a` (cases with problems are reported and left out).
pub fn parse_tests(a: &ActionManifest, sink: &mut Sink<'_>) -> Vec<TestCase> {
    let Some(node) = &a.tests else { return Vec::new() };
    let items = match &node.value {
        Value::Seq(items) => items,
        Value::Null => return Vec::new(),
        other => {
            sink.error_hint(
                "wrong-type",
                format!("`tests` must be a list of test cases, found {}", other.type_name()),
                node.pos,
                "write `tests:` followed by `- name: ...` entries",
            );
            return Vec::new();
        }
    };
    let mut out: Vec<TestCase> = Vec::new();
    let mut names: Vec<(String, crate::yaml::Pos)> = Vec::new();
    for item in items {
        let name = match &item.value {
            Value::Map(m) => m.iter().find(|(k, _)| k.name == "name").and_then(|(_, v)| match &v.value {
                Value::Str(s) => Some(s.clone()),
                _ => None,
            }),
            _ => None,
        };
        if let Some(name) = name {
            if let Some((_, first)) = names.iter().find(|(n, _)| *n == name) {
                sink.error_hint(
                    "duplicate-test",
                    format!("test case `{name}` is declared more than once in `{}`", a.name.value),
                    item.pos,
                    format!("first declared at line {}; give each case its own name", first.line),
                );
                continue;
            }
            names.push((name, item.pos));
        }
        if let Some(case) = parse_case(a, item, sink) {
            out.push(case);
        }
    }
    out
}

fn parse_case(a: &ActionManifest, item: &Node, sink: &mut Sink<'_>) -> Option<TestCase> {
    let mut r = MapReader::new(item, "a test case", sink)?;
    let name = r.required_string("name", sink);
    let what =
        name.as_ref().map_or_else(|| "a test case".to_string(), |n| format!("test case `{}`", n.value));
    r.what = what.clone();
    let input = r.get("input").map(|(_, n)| n.clone());
    let flatten = r.boolean("flatten", sink).is_some_and(|b| b.value);
    let live = r.boolean("live", sink);
    let response = r.get("response").map(|(k, n)| (k.pos, n.clone()));
    let expect = r.get("expect").map(|(_, n)| n.clone());
    r.finish(&CASE_KEYS, sink);
    let mut ok = true;

    let input = match input {
        None => Map::new(),
        Some(n) => parse_input(a, &n, &what, sink, &mut ok),
    };
    let source = match (live.as_ref().map(|l| l.value), response) {
        (Some(true), Some((pos, _))) => {
            sink.error_hint(
                "test-case",
                format!("{what} has both `live: true` and `response:`"),
                pos,
                "a case either stubs the upstream answer (`response:`) or calls the real endpoint (`live: true`)",
            );
            None
        }
        (Some(true), None) => Some(CaseSource::Live),
        (_, Some((_, n))) => parse_response(a, &n, &what, sink).map(CaseSource::Stub),
        // A function action's code is its upstream: a case without `response:` runs it
        // with the local `node`.
        (_, None) if a.function.is_some() => Some(CaseSource::Live),
        (_, None) => {
            sink.error_hint(
                "test-case",
                format!("{what} needs `response:` (a stubbed answer) or `live: true`"),
                r_pos(item),
                "add `response: {status: 200, body: {...}}`",
            );
            None
        }
    };
    let expect = match expect {
        Some(n) => parse_expect(a, &n, &what, sink),
        None => {
            sink.error_hint(
                "missing-field",
                format!("missing required field `expect` in {what}"),
                r_pos(item),
                "add `expect: {outputs: {...}}`, `expect: {failure: {...}}` or `expect: {timeout: true}`",
            );
            None
        }
    };
    let location = format!("{}:{}:{}", a.file.display(), item.pos.line, item.pos.column);
    if !ok {
        return None;
    }
    Some(TestCase { name: name?.value, location, input, flatten, source: source?, expect: expect? })
}

fn r_pos(n: &Node) -> crate::yaml::Pos {
    n.pos
}

fn parse_input(
    a: &ActionManifest,
    n: &Node,
    what: &str,
    sink: &mut Sink<'_>,
    ok: &mut bool,
) -> Map<String, serde_json::Value> {
    let mut out = Map::new();
    let Value::Map(entries) = &n.value else {
        if n.value != Value::Null {
            sink.error(
                "wrong-type",
                format!("`input` of {what} must be a mapping of input names to values"),
                n.pos,
            );
            *ok = false;
        }
        return out;
    };
    for (k, v) in entries {
        if matches!(v.value, Value::Map(_) | Value::Seq(_)) {
            sink.error_hint(
                "wrong-type",
                format!("input `{}` of {what} must be a scalar, found {}", k.name, v.value.type_name()),
                v.pos,
                "inputs are flat key-value pairs (strings, numbers, booleans or null)",
            );
            *ok = false;
            continue;
        }
        if let ContractForm::Shorthand { inputs, .. } = &a.contract
            && let Some(decl) = inputs.iter().find(|i| i.name.value == k.name)
            && decl.ty.value == "string"
            && matches!(v.value, Value::Int(_) | Value::Float(_) | Value::Bool(_))
        {
            sink.error_hint(
                "test-input-type",
                format!(
                    "input `{}` of {what} is declared `string`, but the value is {}",
                    k.name,
                    v.value.type_name()
                ),
                v.pos,
                "quote the value to make it a string (the case sends exactly the JSON you write)",
            );
            *ok = false;
            continue;
        }
        out.insert(k.name.clone(), v.to_json());
    }
    out
}

fn parse_response(a: &ActionManifest, n: &Node, what: &str, sink: &mut Sink<'_>) -> Option<StubResponse> {
    let mut r = MapReader::new(n, &format!("`response` of {what}"), sink)?;
    let status = r.integer("status", sink);
    let headers = r.string_map("headers", sink);
    let body = r.get("body").map(|(k, v)| (k.pos, v.to_json()));
    let body_text = r.string("bodyText", sink);
    let body_file = r.string("bodyFile", sink);
    let delay = r.integer("delayMs", sink);
    r.finish(&RESPONSE_KEYS, sink);
    let given =
        usize::from(body.is_some()) + usize::from(body_text.is_some()) + usize::from(body_file.is_some());
    if given > 1 {
        sink.error_hint(
            "test-case",
            format!("`response` of {what} gives more than one of `body`, `bodyText`, `bodyFile`"),
            n.pos,
            "keep one",
        );
        return None;
    }
    let status = match status {
        None => 200,
        Some(s) => match u16::try_from(s.value).ok().filter(|s| (100..=599).contains(s)) {
            Some(v) => v,
            None => {
                sink.error(
                    "test-case",
                    format!("`status` of {what} must be an HTTP status (100–599)"),
                    s.pos,
                );
                return None;
            }
        },
    };
    let delay_ms = match delay {
        None => 0,
        Some(d) => match u64::try_from(d.value) {
            Ok(v) => v,
            Err(_) => {
                sink.error("test-case", format!("`delayMs` of {what} must not be negative"), d.pos);
                return None;
            }
        },
    };
    let body = if let Some((_, v)) = body {
        StubBody::Json(v)
    } else if let Some(t) = body_text {
        StubBody::Text(t.value)
    } else if let Some(f) = body_file {
        let base = a.file.parent().unwrap_or_else(|| std::path::Path::new("."));
        StubBody::File { base: base.to_path_buf(), rel: std::path::PathBuf::from(f.value) }
    } else {
        StubBody::Empty
    };
    let headers =
        // No `headers:` in the case: no headers expected.
        headers.map(|h| h.value.into_iter().map(|(k, v)| (k.value, v.value)).collect()).unwrap_or_default();
    Some(StubResponse { status, headers, body, delay_ms })
}

fn parse_expect(a: &ActionManifest, n: &Node, what: &str, sink: &mut Sink<'_>) -> Option<Expect> {
    let mut r = MapReader::new(n, &format!("`expect` of {what}"), sink)?;
    let outputs = r.get("outputs").map(|(_, v)| v.clone());
    let failure = r.get("failure").map(|(_, v)| v.clone());
    let timeout = r.boolean("timeout", sink);
    let url = r.string("url", sink).map(|u| u.value);
    let request = r.get("request").map(|(_, v)| v.clone());
    r.finish(&EXPECT_KEYS, sink);
    let request = match &request {
        Some(node) => {
            let mut rr = MapReader::new(node, &format!("`expect.request` of {what}"), sink)?;
            let url = rr.string("url", sink).map(|u| u.value);
            let headers = rr.get("headers").map(|(_, v)| v.clone());
            let body = rr.get("body").map(|(_, v)| v.to_json());
            rr.finish(&REQUEST_KEYS, sink);
            let headers = match headers.map(|h| h.to_json()) {
                None | Some(serde_json::Value::Null) => Vec::new(),
                Some(serde_json::Value::Object(m)) => m
                    .into_iter()
                    .map(|(k, v)| match v {
                        serde_json::Value::String(s) => (k, s),
                        other => (k, other.to_string()),
                    })
                    .collect(),
                Some(_) => {
                    sink.error(
                        "wrong-type",
                        format!(
                            "`expect.request.headers` of {what} must be a mapping of header names to values"
                        ),
                        node.pos,
                    );
                    return None;
                }
            };
            Some(crate::exec::cases::ExpectRequest { url, headers, body })
        }
        None => None,
    };
    let count = usize::from(outputs.is_some())
        + usize::from(failure.is_some())
        + usize::from(timeout.as_ref().is_some_and(|t| t.value));
    if count != 1 {
        sink.error_hint(
            "test-case",
            format!("`expect` of {what} needs exactly one of `outputs`, `failure`, `timeout: true`"),
            n.pos,
            "`outputs: {...}` for Success, `failure: {status, errorCode}` for Failure, `timeout: true` for Timeout",
        );
        return None;
    }
    let outcome = if let Some(o) = outputs {
        // An expected output the action does not declare can never be produced.
        if let (ContractForm::Shorthand { outputs: declared, .. }, Value::Map(entries)) =
            (&a.contract, &o.value)
        {
            for (k, v) in entries {
                if !declared.iter().any(|d| d.name.value == k.name) {
                    let names: Vec<&str> = declared.iter().map(|d| d.name.value.as_str()).collect();
                    sink.error_hint(
                        "test-case",
                        format!(
                            "`expect.outputs` of {what} names `{}`, which is not a declared output",
                            k.name
                        ),
                        v.pos,
                        format!(
                            "declared outputs: {}",
                            if names.is_empty() { "none".to_string() } else { names.join(", ") }
                        ),
                    );
                }
            }
        }
        match o.to_json() {
            serde_json::Value::Object(m) => ExpectOutcome::Success { outputs: m },
            serde_json::Value::Null => ExpectOutcome::Success { outputs: Map::new() },
            _ => {
                sink.error(
                    "wrong-type",
                    format!("`outputs` of {what} must be a mapping of output names to values"),
                    o.pos,
                );
                return None;
            }
        }
    } else if let Some(f) = failure {
        let mut fr = MapReader::new(&f, &format!("`failure` of {what}"), sink)?;
        let status = fr.integer("status", sink).and_then(|s| u16::try_from(s.value).ok());
        let error_code = fr.string("errorCode", sink).map(|s| s.value);
        let code = fr.string("code", sink).map(|s| s.value);
        let step = fr.integer("step", sink).and_then(|s| u32::try_from(s.value).ok());
        let message = fr.string("message", sink).map(|s| s.value);
        fr.finish(&FAILURE_KEYS, sink);
        ExpectOutcome::Failure { status, error_code, code, step, message }
    } else {
        ExpectOutcome::Timeout
    };
    Some(Expect { outcome, url, request })
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::diag::Diagnostics;
    use crate::manifest::ManifestSet;
    use std::path::PathBuf;

    fn load(yaml: &str) -> (Vec<TestCase>, Diagnostics) {
        let mut set = ManifestSet::default();
        let mut diags = Diagnostics::new();
        let file = PathBuf::from("m/a.yaml");
        crate::manifest::parse::parse_file(&file, yaml, &mut set, &mut diags);
        assert!(!diags.has_errors(), "{:?}", diags.sorted());
        let mut d = Diagnostics::new();
        let mut sink = Sink { file: &file, diags: &mut d };
        let cases = parse_tests(&set.actions[0], &mut sink);
        (cases, d)
    }

    const HEAD: &str = "kind: DataAction\nname: A\nintegration: I\nrequest: {method: GET, url: 'https://x/${input.id}'}\ninputs: {id: {type: string}}\noutputs: {n: {type: string, from: $.n}}\n";

    #[test]
    fn parses_every_form() {
        let (cases, d) = load(&format!(
            "{HEAD}tests:\n  - name: ok\n    input: {{id: \"1\"}}\n    response: {{body: {{n: x}}}}\n    expect: {{outputs: {{n: x}}, url: 'https://x/1'}}\n  - name: nf\n    response: {{status: 404, bodyText: nope, headers: {{X: val}}}}\n    expect: {{failure: {{status: 404, errorCode: ACTION.REMOTE_ENDPOINT}}}}\n  - name: slow\n    response: {{delayMs: 20000, bodyFile: f/x.json}}\n    expect: {{timeout: true}}\n  - name: live\n    live: true\n    expect: {{outputs: {{}}}}\n"
        ));
        assert!(d.is_empty(), "{:?}", d.sorted());
        assert_eq!(cases.len(), 4);
        assert_eq!(cases[0].location, "m/a.yaml:8:5");
        assert_eq!(cases[0].expect.url.as_deref(), Some("https://x/1"));
        match &cases[1].source {
            CaseSource::Stub(s) => {
                assert_eq!((s.status, &s.body), (404, &StubBody::Text("nope".into())));
                assert_eq!(s.headers, vec![("X".to_string(), "val".to_string())]);
            }
            CaseSource::Live => panic!(),
        }
        match &cases[2].source {
            CaseSource::Stub(s) => {
                assert_eq!(s.delay_ms, 20000);
                assert_eq!(
                    s.body,
                    StubBody::File { base: PathBuf::from("m"), rel: PathBuf::from("f/x.json") }
                );
            }
            CaseSource::Live => panic!(),
        }
        assert_eq!(cases[3].source, CaseSource::Live);
    }

    #[test]
    fn reports_problems_with_positions() {
        let (cases, d) = load(&format!(
            "{HEAD}tests:\n  - name: a\n    input: {{id: 1}}\n    response: {{}}\n    expect: {{outputs: {{}}}}\n  - name: b\n    expect: {{outputs: {{}}, timeout: true}}\n    response: {{body: 1, bodyText: x}}\n  - name: b\n    live: true\n    expect: {{timeout: true}}\n  - name: c\n    live: true\n    expect: {{timeout: true}}\n    extra: 1\n"
        ));
        let codes: Vec<(&str, u32)> = d.sorted().iter().map(|x| (x.code, x.line)).collect();
        assert_eq!(
            codes,
            vec![
                ("test-input-type", 9),
                ("test-case", 13),
                ("test-case", 14),
                ("duplicate-test", 15),
                ("unknown-field", 21)
            ]
        );
        assert_eq!(cases.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["c"]);
    }
}
