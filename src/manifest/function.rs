//! The `function:` block of a `kind: DataAction` (function data actions, integration type
//! `function-data-actions`).
//!
//! Owns: the block's format (`source`, `handler`, `runtime`, `timeoutSeconds`,
//! `description`, `exclude`), the request form of a function action (no `url`: the platform
//! generates it; `method` POST; `headers`/`body` build the event and its client context), and
//! the offline rules of the block, located at file:line:column: `function-source` (a
//! directory or a `.zip` that exists and zips; the size limits), `function-handler` (format,
//! and the module file exists in the source), `function-runtime` (known and not
//! `Unavailable`), `function-runtime-deprecated` (warning with the end of life),
//! `function-timeout` (1–15), `function-description` (required by the platform, ≤ 255),
//! `function-url` (`request.url` is generated) and `function-integration` (the declared
//! integration has type `function-data-actions`, and only function actions use one).
//! Must not: run code, call the API, read state.

use super::reader::{MapReader, Sink, Sp};
use super::{ActionManifest, RequestManifest};
use crate::diag::{Diagnostic, Diagnostics};
use crate::function::{self, Handler, RuntimeStatus};
use crate::yaml::{Node, Pos};
use std::path::{Path, PathBuf};

/// Keys of `function:`.
pub const FUNCTION_KEYS: [&str; 6] =
    ["source", "handler", "runtime", "timeoutSeconds", "description", "exclude"];

/// Keys of `request:` in a function action.
pub const FUNCTION_REQUEST_KEYS: [&str; 4] = ["method", "url", "headers", "body"];

/// The method of a function action's request (the event travels as the body).
pub const FUNCTION_METHOD: &str = "POST";

/// A `function:` block.
#[derive(Debug, Clone)]
pub struct FunctionManifest {
    /// Where `function:` is.
    pub pos: Pos,
    /// `source:` as written.
    pub source: Sp<String>,
    /// `source:` resolved against the manifest's directory.
    pub source_path: PathBuf,
    /// `handler:` (`src/index.handler`).
    pub handler: Sp<String>,
    /// `runtime:` (`nodejs22.x`).
    pub runtime: Sp<String>,
    /// `timeoutSeconds:` (1–15; the platform's default 15 when absent).
    pub timeout_seconds: Option<Sp<i64>>,
    /// `description:` (required by the platform, ≤ 255).
    pub description: Option<Sp<String>>,
    /// `exclude:` gitignore-style patterns for a directory source.
    pub exclude: Vec<Sp<String>>,
}

impl FunctionManifest {
    /// The timeout the function runs with.
    #[must_use]
    pub fn timeout(&self) -> i64 {
        self.timeout_seconds.as_ref().map_or(function::DEFAULT_TIMEOUT_SECONDS, |t| t.value)
    }

    /// The exclude patterns.
    #[must_use]
    pub fn excludes(&self) -> Vec<String> {
        self.exclude.iter().map(|e| e.value.clone()).collect()
    }

    /// The `Function` body of `PUT /actions/{id}/draft/function` (without `zipId`).
    #[must_use]
    pub fn to_function_json(&self) -> serde_json::Value {
        serde_json::json!({
            "description": self.description.as_ref().map_or("", |d| d.value.as_str()),
            "handler": self.handler.value,
            "runtime": self.runtime.value,
            "timeoutSeconds": self.timeout(),
        })
    }
}

/// Reads `function:`.
pub(crate) fn parse(file: &Path, node: &Node, what: &str, sink: &mut Sink<'_>) -> Option<FunctionManifest> {
    let mut r = MapReader::new(node, &format!("`function` of {what}"), sink)?;
    let source = r.required_string("source", sink);
    let handler = r.required_string("handler", sink);
    let runtime = r.required_string("runtime", sink);
    let timeout_seconds = r.integer("timeoutSeconds", sink);
    let description = r.string("description", sink);
    let mut exclude = Vec::new();
    if let Some((_, n)) = r.get("exclude") {
        match &n.value {
            crate::yaml::Value::Seq(items) => {
                for item in items {
                    if let Some(s) = super::reader::expect_string(item, "an `exclude` pattern", sink) {
                        exclude.push(s);
                    }
                }
            }
            crate::yaml::Value::Null => {}
            other => sink.error(
                "wrong-type",
                format!("`exclude` must be a list of gitignore-style patterns, found {}", other.type_name()),
                n.pos,
            ),
        }
    }
    r.finish(&FUNCTION_KEYS, sink);
    let source = source?;
    let base = file.parent().unwrap_or_else(|| Path::new("."));
    let source_path = base.join(&source.value);
    Some(FunctionManifest {
        pos: node.pos,
        source,
        source_path,
        handler: handler?,
        runtime: runtime?,
        timeout_seconds,
        description,
        exclude,
    })
}

/// Reads the `request:` of a function action (optional; no `url`).
pub(crate) fn parse_request(
    node: Option<&Node>,
    doc_pos: Pos,
    what: &str,
    sink: &mut Sink<'_>,
) -> Option<RequestManifest> {
    let Some(node) = node else {
        return Some(RequestManifest {
            pos: doc_pos,
            method: Sp::new(FUNCTION_METHOD.to_string(), doc_pos),
            url: Sp::new(String::new(), doc_pos),
            headers: None,
            body: None,
        });
    };
    let mut r = MapReader::new(node, &format!("`request` of {what}"), sink)?;
    let method = r.string("method", sink);
    if let Some((k, _)) = r.get("url") {
        sink.error_hint(
            "function-url",
            "a function action has no `request.url`: Genesys generates the URL that invokes the function",
            k.pos,
            "remove `url:` (headers and body still build the event the handler gets)",
        );
    }
    let headers = r.string_map("headers", sink);
    let body = r.string("body", sink);
    r.finish(&FUNCTION_REQUEST_KEYS, sink);
    if let Some(m) = &method
        && m.value != FUNCTION_METHOD
    {
        sink.error_hint(
            "function-url",
            format!("a function action is invoked with POST (the event is the body), not `{}`", m.value),
            m.pos,
            "remove `method:`",
        );
    }
    Some(RequestManifest {
        pos: node.pos,
        method: method.unwrap_or_else(|| Sp::new(FUNCTION_METHOD.to_string(), node.pos)),
        url: Sp::new(String::new(), node.pos),
        headers,
        body,
    })
}

/// The rules of a function action's `function:` block (reads the source from disk).
pub fn check(a: &ActionManifest, f: &FunctionManifest, diags: &mut Diagnostics) {
    let file = a.file.as_path();
    let err = |code, msg: String, pos, hint: &str| Diagnostic::error(code, msg, file, pos).with_hint(hint);
    // Runtime.
    match function::runtime(&f.runtime.value) {
        None => {
            let known: Vec<&str> = function::RUNTIMES
                .iter()
                .filter(|r| r.status != RuntimeStatus::Unavailable)
                .map(|r| r.name)
                .collect();
            let hint = match super::reader::suggest(&f.runtime.value, &known) {
                Some(s) => format!("did you mean `{s}`? runtimes: {}", known.join(", ")),
                None => format!("runtimes: {}", known.join(", ")),
            };
            diags.push(err(
                "function-runtime",
                format!("unknown function runtime `{}`", f.runtime.value),
                f.runtime.pos,
                &hint,
            ));
        }
        Some(r) if r.status == RuntimeStatus::Unavailable => {
            let eol = r.date_end_of_life.map_or_else(String::new, |d| format!(" (end of life {d})"));
            diags.push(err(
                "function-runtime",
                format!("the runtime `{}` is Unavailable{eol}: Genesys refuses it", r.name),
                f.runtime.pos,
                "use `nodejs22.x`",
            ));
        }
        Some(r) if r.status == RuntimeStatus::Deprecated => {
            let eol = r.date_end_of_life.map_or_else(|| "not announced".to_string(), str::to_string);
            diags.push(
                Diagnostic::warning(
                    "function-runtime-deprecated",
                    format!("the runtime `{}` is Deprecated (end of life {eol})", r.name),
                    file,
                    f.runtime.pos,
                )
                .with_hint("move to `nodejs22.x` before its end of life"),
            );
        }
        Some(_) => {}
    }
    // Timeout.
    if let Some(t) = &f.timeout_seconds
        && !function::TIMEOUT_RANGE.contains(&t.value)
    {
        diags.push(err(
            "function-timeout",
            format!("a function's `timeoutSeconds` must be between 1 and 15, found {}", t.value),
            t.pos,
            "Genesys runs functions for at most 15 seconds (default 15)",
        ));
    }
    // Description.
    match &f.description {
        None => diags.push(err(
            "function-description",
            "missing `function.description` (Genesys requires one)".to_string(),
            f.pos,
            "add `description:` under `function:` (at most 255 characters)",
        )),
        Some(d) if d.value.trim().is_empty() => diags.push(err(
            "function-description",
            "`function.description` is empty (Genesys requires one)".to_string(),
            d.pos,
            "describe what the function does (at most 255 characters)",
        )),
        Some(d) if d.value.chars().count() > function::MAX_DESCRIPTION_LEN => diags.push(err(
            "function-description",
            format!(
                "`function.description` has {} characters, over the limit of 255",
                d.value.chars().count()
            ),
            d.pos,
            "shorten it to 255 characters",
        )),
        Some(_) => {}
    }
    // Handler format, then the source and the handler's file in it.
    let handler = match Handler::parse(&f.handler.value) {
        Ok(h) => Some(h),
        Err(why) => {
            diags.push(err(
                "function-handler",
                format!("invalid handler: {why}"),
                f.handler.pos,
                "write `path/module.export`, for example `src/index.handler`",
            ));
            None
        }
    };
    match function::zip::source_files(&f.source_path, &f.excludes()) {
        Err(e) => {
            let hint = match &e {
                function::zip::ZipError::Io { .. } => format!(
                    "`source:` is relative to the manifest's directory; create `{}` with the function's code (Genesys cannot give uploaded code back)",
                    f.source_path.display()
                ),
                function::zip::ZipError::TooLarge { .. } => {
                    "leave out what the function does not need (`exclude:`), or bundle it".to_string()
                }
                _ => "point `source:` at a directory or a `.zip` file".to_string(),
            };
            diags.push(err("function-source", format!("function source: {e}"), f.source.pos, &hint));
        }
        Ok(files) => {
            if let Some(h) = handler
                && h.find_in(files.iter().map(String::as_str)).is_none()
            {
                diags.push(err(
                    "function-handler",
                    format!(
                        "the handler's module `{}` is not in the source `{}` (looked for {})",
                        h.module,
                        f.source.value,
                        h.candidate_files().join(", ")
                    ),
                    f.handler.pos,
                    "fix `handler:` or add the file (check `exclude:` too)",
                ));
            }
        }
    }
}

/// Integration types against the actions that use them (when the integration is declared).
pub fn check_integrations(set: &super::ManifestSet, diags: &mut Diagnostics) {
    for a in &set.actions {
        let Some(i) = set.integrations.iter().find(|i| i.name.value == a.integration.value) else { continue };
        let is_fn_integration = i.type_id.value == function::INTEGRATION_TYPE;
        match (&a.function, is_fn_integration) {
            (Some(_), false) => diags.push(
                Diagnostic::error(
                    "function-integration",
                    format!(
                        "`{}` has a `function:` block, but its integration `{}` has type `{}`",
                        a.name.value,
                        a.integration.value,
                        i.type_id.value
                    ),
                    &a.file,
                    a.integration.pos,
                )
                .with_hint(format!("function actions belong to an integration of type `{}`", function::INTEGRATION_TYPE)),
            ),
            (None, true) => diags.push(
                Diagnostic::error(
                    "function-integration",
                    format!(
                        "`{}` belongs to the `{}` integration `{}` but has no `function:` block",
                        a.name.value,
                        function::INTEGRATION_TYPE,
                        a.integration.value
                    ),
                    &a.file,
                    a.integration.pos,
                )
                .with_hint("add `function:` (source, handler, runtime, description), or use a web services integration"),
            ),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::Severity;

    /// (code, severity, line, column, message) of each diagnostic.
    type Found = Vec<(String, Severity, u32, u32, String)>;

    fn load(manifest: &str, files: &[(&str, &str)]) -> (super::super::ManifestSet, Found) {
        let d = tempfile::tempdir().unwrap();
        for (p, c) in files {
            let path = d.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, c).unwrap();
        }
        let m = d.path().join("m.yaml");
        std::fs::write(&m, manifest).unwrap();
        let (set, diags) = super::super::load(&[m]);
        let found = diags
            .sorted()
            .into_iter()
            .map(|d| (d.code.to_string(), d.severity, d.line, d.column, d.message.clone()))
            .collect();
        (set, found)
    }

    const GOOD: &str = "kind: DataAction
name: Score Lead
integration: Lead Functions
function:
  source: fn
  handler: src/index.handler
  runtime: nodejs22.x
  timeoutSeconds: 10
  description: Scores a lead.
inputs: {leadId: {type: string, required: true}}
outputs: {score: {type: integer, from: $.score}}
";

    #[test]
    fn a_valid_function_action_compiles_without_a_url() {
        let (set, diags) = load(GOOD, &[("fn/src/index.js", "exports.handler = async () => ({score: 1});")]);
        assert!(diags.is_empty(), "{diags:?}");
        let a = &set.actions[0];
        let f = a.function.as_ref().unwrap();
        assert_eq!(f.timeout(), 10);
        assert_eq!(f.to_function_json()["handler"], "src/index.handler");
        let spec = super::super::compile::compile(a);
        assert_eq!(spec.config.request.request_type, "POST");
        assert_eq!(spec.config.request.request_url_template, "");
    }

    #[test]
    fn every_rule_is_located() {
        let y = "kind: DataAction
name: Bad
integration: Lead Functions
function:
  source: fn
  handler: src/main.handler
  runtime: nodejs16.x
  timeoutSeconds: 20
request:
  url: https://x
inputs: {}
outputs: {}
";
        let (_, diags) = load(y, &[("fn/src/index.js", "")]);
        let codes: Vec<(&str, u32, u32)> =
            diags.iter().map(|(c, _, l, col, _)| (c.as_str(), *l, *col)).collect();
        assert!(codes.contains(&("function-url", 10, 3)), "{diags:?}");
        assert!(codes.contains(&("function-runtime", 7, 12)), "{diags:?}");
        assert!(codes.contains(&("function-timeout", 8, 19)), "{diags:?}");
        assert!(codes.contains(&("function-handler", 6, 12)), "{diags:?}");
        assert!(codes.contains(&("function-description", 5, 3)), "{diags:?}");
    }

    #[test]
    fn deprecated_runtime_warns_with_its_end_of_life_and_missing_source_errors() {
        let y = GOOD.replace("nodejs22.x", "nodejs18.x").replace("source: fn", "source: missing");
        let (_, diags) = load(&y, &[]);
        let dep = diags.iter().find(|d| d.0 == "function-runtime-deprecated").unwrap();
        assert_eq!(dep.1, Severity::Warning);
        assert!(dep.4.contains("2025-09-01"), "{}", dep.4);
        let src = diags.iter().find(|d| d.0 == "function-source").unwrap();
        assert_eq!((src.2, src.3), (5, 11));
        assert!(src.4.contains("missing"), "{}", src.4);
        let y = GOOD.replace("nodejs22.x", "python3.9");
        let (_, diags) = load(&y, &[("fn/src/index.js", "")]);
        assert!(diags.iter().any(|d| d.0 == "function-runtime" && d.4.contains("unknown")), "{diags:?}");
    }

    #[test]
    fn integration_type_must_match() {
        let integ = "---\nkind: Integration\nname: Lead Functions\ntype: custom-rest-actions\n";
        let (_, diags) = load(&format!("{GOOD}{integ}"), &[("fn/src/index.js", "")]);
        assert!(diags.iter().any(|d| d.0 == "function-integration"), "{diags:?}");
        let integ = "---\nkind: Integration\nname: Lead Functions\ntype: function-data-actions\n";
        let (_, diags) = load(&format!("{GOOD}{integ}"), &[("fn/src/index.js", "")]);
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn a_zip_source_is_checked_for_the_handler() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("src")).unwrap();
        std::fs::write(d.path().join("src/other.js"), "").unwrap();
        let z = crate::function::zip::zip_dir(d.path(), &[]).unwrap();
        let y = GOOD.replace("source: fn", "source: code.zip");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("code.zip"), &z.bytes).unwrap();
        let m = dir.path().join("m.yaml");
        std::fs::write(&m, y).unwrap();
        let (_, diags) = super::super::load(&[m]);
        assert!(
            diags.sorted().iter().any(|d| d.code == "function-handler" && d.message.contains("src/index.js")),
            "{diags:?}"
        );
    }
}
