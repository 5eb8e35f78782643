//! Local execution of a function's handler with the installed `node`, behind the runtime's
//! [`Transport`] seam: the pipeline's steps 1–7 build the request as for any action, and
//! step 8 — instead of an HTTP call — runs the handler with the resolved request body as
//! its event. The answer then goes through the translation map and success template
//! exactly as a web service's would.
//!
//! Owns: finding `node` (`GCSYNC_NODE`, else `node` on `PATH`) and checking its version
//! against the runtime, the scratch copy of the code (the zip's contents, so excluded files
//! are absent as on the platform), the embedded runner script (`wrapper.cjs`: CommonJS or
//! ESM, async or callback handlers, `console.*` captured), the event and `context`
//! (`clientContext` = the request headers, the `ININ-*` values among them), the timeout
//! (the child is killed), and the mapping of outcomes to answers: a returned value is a 200
//! with its JSON, a thrown error a 500 with Lambda's `{errorType, errorMessage, trace}` —
//! Genesys's rule: only a thrown error fails, a returned `{statusCode: 400}` is a success
//! (noted in step 8's warnings).
//! Must not: know manifests, print, or call the Genesys API.

use super::{Handler, zip};
use crate::exec::{HttpRequest, HttpResponse, Transport, TransportError};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The runner script, written next to the code for each transport.
pub const WRAPPER: &str = include_str!("wrapper.cjs");

/// The URL a function action shows at step 5 in local runs: Genesys generates the real one
/// (with a server-side function id), which no manifest holds.
pub const LOCAL_URL_PREFIX: &str = "https://function.gcsync.test/";

/// Largest function answer (bytes): the platform's 750,000-byte function payload limit.
pub const MAX_PAYLOAD_BYTES: usize = 750_000;

/// Environment variables a handler still sees (everything else is cleared, as on Lambda):
/// what outbound HTTPS needs on a developer's machine (extra CA certificates, proxies).
pub const PASSED_ENV: [&str; 7] =
    ["NODE_EXTRA_CA_CERTS", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"];

/// The environment variable naming the `node` binary to use.
pub const NODE_ENV_VAR: &str = "GCSYNC_NODE";

/// Why a function cannot be run locally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// `node` cannot be started.
    #[error("cannot run `{node}`: {reason}")]
    Missing {
        /// The binary tried.
        node: String,
        /// Why.
        reason: String,
    },
    /// `node --version` printed something unexpected.
    #[error("cannot read the version of `{node}` (it printed `{output}`)")]
    Version {
        /// The binary.
        node: String,
        /// What it printed.
        output: String,
    },
    /// The installed Node.js is older than the runtime.
    #[error("`{node}` is Node.js {found}, older than the runtime `{runtime}` (Node.js {need})")]
    TooOld {
        /// The binary.
        node: String,
        /// Its version.
        found: String,
        /// The runtime.
        runtime: String,
        /// The major version it needs.
        need: u32,
    },
    /// The runtime is not in the runtimes table.
    #[error("unknown function runtime `{0}`")]
    UnknownRuntime(String),
    /// The handler does not parse or its file is not in the source.
    #[error("{0}")]
    Handler(String),
    /// The source cannot be zipped or read.
    #[error("function source: {0}")]
    Source(#[from] zip::ZipError),
    /// The scratch directory cannot be written.
    #[error("cannot prepare the function's code in `{path}`: {reason}")]
    Scratch {
        /// Where.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The `node` binary found and its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// The binary (as given or found on `PATH`).
    pub path: PathBuf,
    /// `v20.20.2`.
    pub version: String,
    /// 20.
    pub major: u32,
}

/// Finds `node` (`GCSYNC_NODE`, else `node` on `PATH`) and reads its version.
pub fn find_node() -> Result<NodeInfo, NodeError> {
    let path = std::env::var_os(NODE_ENV_VAR).map_or_else(|| PathBuf::from("node"), PathBuf::from);
    let shown = path.display().to_string();
    let out =
        std::process::Command::new(&path).arg("--version").stdin(Stdio::null()).output().map_err(|e| {
            NodeError::Missing {
                node: shown.clone(),
                reason: if e.kind() == std::io::ErrorKind::NotFound {
                    "not found (install Node.js, or set GCSYNC_NODE to its path)".to_string()
                } else {
                    e.to_string()
                },
            }
        })?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let major = version
        .strip_prefix('v')
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok())
        .ok_or_else(|| NodeError::Version { node: shown, output: version.clone() })?;
    Ok(NodeInfo { path, version, major })
}

/// A temporary directory removed when dropped.
#[derive(Debug)]
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        // Best effort: a leftover directory in the system temp dir is harmless.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a function's handler for each request (see the module doc).
#[derive(Debug)]
pub struct FunctionTransport {
    node: NodeInfo,
    scratch: Scratch,
    module_file: PathBuf,
    export: String,
    function_name: String,
    /// The code's sha256 (the zip's).
    pub sha256: String,
}

impl FunctionTransport {
    /// Prepares a run of `handler` from `source` (a directory or `.zip`) under `runtime`,
    /// with the `node` found by [`find_node`].
    pub fn new(
        source: &Path,
        excludes: &[String],
        handler: &str,
        runtime: &str,
        function_name: &str,
    ) -> Result<Self, NodeError> {
        let rt = super::runtime(runtime).ok_or_else(|| NodeError::UnknownRuntime(runtime.to_string()))?;
        let node = find_node()?;
        if node.major < rt.node_major {
            return Err(NodeError::TooOld {
                node: node.path.display().to_string(),
                found: node.version,
                runtime: rt.name.to_string(),
                need: rt.node_major,
            });
        }
        Self::with_node(node, source, excludes, handler, function_name)
    }

    /// [`FunctionTransport::new`] with a given `node` (no runtime check).
    pub fn with_node(
        node: NodeInfo,
        source: &Path,
        excludes: &[String],
        handler: &str,
        function_name: &str,
    ) -> Result<Self, NodeError> {
        let code = zip::load(source, excludes)?;
        Self::from_code(node, code, &source.display().to_string(), handler, function_name)
    }

    /// Runs `handler` from zipped code (`label` names the code in messages).
    pub fn from_code(
        node: NodeInfo,
        code: zip::SourceZip,
        label: &str,
        handler: &str,
        function_name: &str,
    ) -> Result<Self, NodeError> {
        let h = Handler::parse(handler).map_err(NodeError::Handler)?;
        let Some(file) = h.find_in(code.files.iter().map(String::as_str)) else {
            return Err(NodeError::Handler(format!(
                "the handler's module `{}` is not in `{label}` (looked for {})",
                h.module,
                h.candidate_files().join(", ")
            )));
        };
        let dir = std::env::temp_dir().join(format!("gcsync-fn-{}", uuid::Uuid::new_v4()));
        let scratch = Scratch(dir.clone());
        let fail = |reason: String| NodeError::Scratch { path: dir.clone(), reason };
        std::fs::create_dir_all(dir.join("code")).map_err(|e| fail(e.to_string()))?;
        zip::extract(&code.bytes, &dir.join("code")).map_err(fail)?;
        std::fs::write(dir.join("runner.cjs"), WRAPPER).map_err(|e| fail(e.to_string()))?;
        Ok(Self {
            node,
            module_file: dir.join("code").join(file),
            scratch,
            export: h.export,
            function_name: function_name.to_string(),
            sha256: code.sha256,
        })
    }

    /// The `node` used.
    #[must_use]
    pub fn node(&self) -> &NodeInfo {
        &self.node
    }

    async fn invoke(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let body = req.body.as_deref().unwrap_or("");
        let event = crate::exec::parse_json(body).map_err(|e| {
            TransportError::Other(format!(
                "the request template did not render a JSON event for the function ({e})"
            ))
        })?;
        let client_context: Map<String, Value> =
            req.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let request_id = req
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("ININ-Correlation-Id"))
            .map_or_else(String::new, |(_, v)| v.clone());
        let timeout_ms = u64::try_from(req.timeout.as_millis()).unwrap_or(u64::MAX);
        let input = json!({
            "event": event,
            "clientContext": client_context,
            "functionName": self.function_name,
            "requestId": request_id,
            "timeoutMs": timeout_ms,
        })
        .to_string();
        let marker = format!("@@gcsync-result-{}@@", uuid::Uuid::new_v4().simple());
        let code_dir = self.scratch.0.join("code");
        let mut cmd = tokio::process::Command::new(&self.node.path);
        cmd.arg(self.scratch.0.join("runner.cjs"))
            .arg(&self.module_file)
            .arg(&self.export)
            .arg(&marker)
            .current_dir(&code_dir)
            .env_clear()
            // No PATH: `node` is then not found, which the run reports.
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(PASSED_ENV.iter().filter_map(|k| std::env::var_os(k).map(|v| (*k, v))))
            .env("TZ", "UTC")
            .env("LAMBDA_TASK_ROOT", &code_dir)
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.function_name)
            .env("AWS_LAMBDA_FUNCTION_TIMEOUT", req.timeout.as_secs().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| {
            TransportError::Connect(format!("cannot start `{}`: {e}", self.node.path.display()))
        })?;
        if let Some(mut stdin) = child.stdin.take() {
            // A handler that exits before reading its input closes the pipe; the outcome
            // then comes from its output, so a write error is not the failure to report.
            let _ = stdin.write_all(input.as_bytes()).await;
            drop(stdin);
        }
        let mut out_pipe = child.stdout.take();
        let mut err_pipe = child.stderr.take();
        let finished = {
            let work = async {
                let (o, e, status) =
                    tokio::join!(read_all(out_pipe.as_mut()), read_all(err_pipe.as_mut()), child.wait());
                (o, e, status)
            };
            tokio::time::timeout(req.timeout, work).await
        };
        let Ok((stdout_bytes, stderr_bytes, status)) = finished else {
            // Over the timeout: kill the child and reap it before answering.
            let _ = child.kill().await;
            return Err(TransportError::Timeout(req.timeout));
        };
        let status = status.map_err(|e| TransportError::Other(format!("waiting for node failed: {e}")))?;
        let out = std::process::Output { status, stdout: stdout_bytes, stderr: stderr_bytes };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let (before, outcome) = match stdout.rfind(&marker) {
            Some(i) => (&stdout[..i], serde_json::from_str::<Value>(stdout[i + marker.len()..].trim()).ok()),
            None => (&stdout[..], None),
        };
        let mut logs: Vec<String> = Vec::new();
        let mut notes = Vec::new();
        let outcome = match outcome {
            Some(Value::Object(mut o)) => {
                if let Some(Value::Array(l)) = o.remove("logs") {
                    logs.extend(
                        l.into_iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)),
                    );
                }
                o
            }
            _ => {
                let status =
                    out.status.code().map_or_else(|| "a signal".to_string(), |c| format!("exit status {c}"));
                let mut o = Map::new();
                o.insert("ok".into(), json!(false));
                o.insert("errorType".into(), json!("Runtime.ExitError"));
                o.insert(
                    "errorMessage".into(),
                    json!(format!("the function's process ended with {status} before returning")),
                );
                o
            }
        };
        logs.extend(before.lines().filter(|l| !l.trim().is_empty()).map(|l| format!("STDOUT {l}")));
        logs.extend(stderr.lines().filter(|l| !l.trim().is_empty()).map(|l| format!("STDERR {l}")));
        let headers = vec![("content-type".to_string(), "application/json".to_string())];
        if outcome.get("ok") == Some(&Value::Bool(true)) {
            // A handler that returns nothing answers null, as Lambda does.
            let result = outcome.get("result").cloned().unwrap_or(Value::Null);
            if let Some(code) = result.get("statusCode").and_then(Value::as_i64)
                && code >= 400
            {
                notes.push(format!(
                    "the handler returned `statusCode: {code}`, and the action still succeeds: only a thrown error (or `callback(error)`) fails a function action"
                ));
            }
            let body = result.to_string().into_bytes();
            if body.len() > MAX_PAYLOAD_BYTES {
                return Err(TransportError::TooLarge(MAX_PAYLOAD_BYTES));
            }
            Ok(HttpResponse { status: 200, headers, body, logs, notes })
        } else {
            let mut err = Map::new();
            for k in ["errorType", "errorMessage"] {
                if let Some(v) = outcome.get(k) {
                    err.insert(k.into(), v.clone());
                }
            }
            // The stack, relative to the code (no scratch paths, no runner frames).
            let code_prefix = format!("{}/", code_dir.display());
            let trace: Vec<Value> = outcome
                .get("trace")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .filter(|l| !l.contains("runner.cjs") && !l.contains("new Promise (<anonymous>)"))
                        .map(|l| Value::String(l.replace(&code_prefix, "")))
                        .collect()
                })
                // An error without a stack has an empty trace.
                .unwrap_or_default();
            err.insert("trace".into(), Value::Array(trace));
            Ok(HttpResponse {
                status: 500,
                headers,
                body: Value::Object(err).to_string().into_bytes(),
                logs,
                notes,
            })
        }
    }
}

impl Transport for FunctionTransport {
    async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.invoke(req).await
    }
}

/// Everything a pipe yields until it closes (a read error keeps what was read: the outcome
/// line decides).
async fn read_all<R: tokio::io::AsyncRead + Unpin>(pipe: Option<&mut R>) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(p) = pipe {
        let _ = p.read_to_end(&mut buf).await;
    }
    buf
}

/// The step-5 URL a function action shows in local runs.
#[must_use]
pub fn local_url(handler: &str) -> String {
    format!("{LOCAL_URL_PREFIX}{handler}")
}
