//! Manifests: the desired state, as YAML files in git.
//!
//! Owns: finding manifest files (`-m DIR|FILE`, default `manifests/`), reading them safely
//! (size limit, UTF-8, YAML syntax), turning each document into a typed resource with
//! positions ([`parse`]), compiling actions into the canonical [`ActionSpec`]
//! ([`compile`]), every offline rule with file:line:column ([`check`], and the template-
//! and path-aware rules of [`lint`]), the `tests:` cases ([`tests`]), `{{ var.NAME }}`
//! substitution with an environment's variables ([`vars`]), rule levels (the project file
//! `gcsync.yaml` and `# gcsync:allow` directives, [`project`]), and the digest of all
//! manifest inputs (and the environment's values) that saved plans pin.
//! Must not: call the API, read state, or print.

pub mod check;
pub mod compile;
pub mod function;
pub mod integration;
pub mod lint;
pub mod parse;
pub mod project;
pub mod reader;
pub mod test_cases;
pub mod vars;

use crate::diag::{Diagnostic, Diagnostics, Severity, Sources};
use crate::model::ActionSpec;
use crate::yaml::{Node, Pos};
use reader::{Sp, StringMap};
use std::path::{Path, PathBuf};

/// Largest manifest file gcsync reads (manifests are small; this keeps a stray binary or
/// log file from exhausting memory).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The kinds of resource a manifest document may declare.
pub const KINDS: [&str; 2] = ["DataAction", "Integration"];

/// A `kind: DataAction` document.
#[derive(Debug, Clone)]
pub struct ActionManifest {
    /// The file it came from.
    pub file: PathBuf,
    /// Where the document starts.
    pub pos: Pos,
    /// Action name (unique across all manifests).
    pub name: Sp<String>,
    /// Category; defaults to the integration name (Genesys's convention).
    pub category: Option<Sp<String>>,
    /// Name of the integration the action belongs to (resolved to an id at plan time).
    pub integration: Sp<String>,
    /// Free text for humans; not sent to Genesys (the API has no such field).
    pub description: Option<String>,
    /// Whether the action is secure (PCI); default false.
    pub secure: Option<Sp<bool>>,
    /// Action timeout, 1–60 s.
    pub timeout_seconds: Option<Sp<i64>>,
    /// Allows plan/apply to replace this action when a change cannot be made in place.
    pub allow_replace: bool,
    /// Allows plan/apply to replace this action although published Architect flows use it
    /// (`allowBreakingFlows: true`; see `plan::impact`).
    pub allow_breaking_flows: bool,
    /// The action's previous manifest name: plan renames the owned action in place (same
    /// id) instead of deleting the old one and creating a new one.
    pub renamed_from: Option<Sp<String>>,
    /// The request.
    pub request: RequestManifest,
    /// The contract, in one of its two forms.
    pub contract: ContractForm,
    /// The `tests:` node, read by the runtime (`gcsync test`).
    pub tests: Option<Node>,
    /// `function:` — a function data action (Node.js code instead of a web request).
    pub function: Option<function::FunctionManifest>,
}

/// `request:` of a data action.
#[derive(Debug, Clone)]
pub struct RequestManifest {
    /// Where `request:` is.
    pub pos: Pos,
    /// HTTP method.
    pub method: Sp<String>,
    /// URL template.
    pub url: Sp<String>,
    /// Header name → template, in order.
    pub headers: Option<StringMap>,
    /// Body template (default `${input.rawRequest}`).
    pub body: Option<Sp<String>>,
}

/// The two ways to write a contract.
#[derive(Debug, Clone)]
pub enum ContractForm {
    /// `inputs:` / `outputs:`; gcsync writes the schemas, translation map and success template.
    Shorthand {
        /// Where `inputs:` is (or the document start).
        inputs_pos: Pos,
        /// Declared inputs, in order.
        inputs: Vec<InputDecl>,
        /// Names written under `inputs:` whose declaration was refused (a wrong `type:`, a
        /// bad default; already reported): the template rules count them as declared.
        rejected_inputs: Vec<String>,
        /// Where `outputs:` is (or the document start).
        outputs_pos: Pos,
        /// Declared outputs, in order.
        outputs: Vec<OutputDecl>,
        /// An explicit success template (`response.successTemplate`), else generated.
        success_template: Option<Sp<String>>,
    },
    /// `contract:` + `response:` as Genesys stores them.
    Raw {
        /// Where `contract:` is.
        pos: Pos,
        /// The input JSON Schema (as YAML).
        input: Option<Node>,
        /// The output JSON Schema (as YAML).
        output: Option<Node>,
        /// Translation map, if given.
        translation_map: Option<StringMap>,
        /// Translation-map defaults (JSON text per key), if given.
        translation_map_defaults: Option<StringMap>,
        /// Success template, if given (default `${rawResult}`).
        success_template: Option<Sp<String>>,
    },
}

/// One shorthand input.
#[derive(Debug, Clone)]
pub struct InputDecl {
    /// Input name.
    pub name: Sp<String>,
    /// string | integer | number | boolean.
    pub ty: Sp<String>,
    /// Description (goes into the schema).
    pub description: Option<String>,
    /// Whether the input is required.
    pub required: bool,
    /// `default:` (a scalar of the input's type), written into the schema as draft-04
    /// `default`. Genesys ignores it; `gcsync test` fills missing inputs with it.
    pub default: Option<Node>,
}

/// A type in shorthand outputs (recursive for arrays and objects).
#[derive(Debug, Clone)]
pub struct TypeDecl {
    /// string | integer | number | boolean | array | object.
    pub ty: Sp<String>,
    /// Description (goes into the schema).
    pub description: Option<String>,
    /// Element type of an array.
    pub items: Option<Box<TypeDecl>>,
    /// Properties of an object, in order.
    pub properties: Vec<(Sp<String>, TypeDecl)>,
}

/// One shorthand output.
#[derive(Debug, Clone)]
pub struct OutputDecl {
    /// Output name (a translation-map key and a success-template variable).
    pub name: Sp<String>,
    /// Its type.
    pub ty: TypeDecl,
    /// JSONPath into the upstream response.
    pub from: Sp<String>,
    /// Value used when the path finds nothing (emitted as JSON text).
    pub default: Option<Node>,
}

/// Everything loaded from the manifest paths.
#[derive(Debug, Default)]
pub struct ManifestSet {
    /// Data actions, in file order.
    pub actions: Vec<ActionManifest>,
    /// Integrations, in file order.
    pub integrations: Vec<integration::IntegrationManifest>,
    /// Source texts for diagnostics.
    pub sources: Sources,
    /// Every file read, sorted.
    pub files: Vec<PathBuf>,
    /// sha256 over every manifest input (path + bytes; with an environment also its name
    /// and every variable's value), pinned by saved plans.
    pub input_digest: String,
    /// Names of the environment's variables the manifests used.
    pub vars_used: std::collections::BTreeSet<String>,
    /// Findings a `# gcsync:allow` directive allowed, per rule.
    pub allowed: std::collections::BTreeMap<String, usize>,
}

impl ManifestSet {
    /// The action manifest with this name.
    #[must_use]
    pub fn action(&self, name: &str) -> Option<&ActionManifest> {
        self.actions.iter().find(|a| a.name.value == name)
    }

    /// Compiled specs of all actions, by name.
    #[must_use]
    pub fn specs(&self) -> Vec<(&ActionManifest, ActionSpec)> {
        self.actions.iter().map(|a| (a, compile::compile(a))).collect()
    }
}

/// Loads every manifest under `paths` (directories are searched recursively for `*.yaml`
/// and `*.yml`; files are read as given). All problems are returned, none is fatal to the
/// others: a broken file does not hide problems in the next one.
#[must_use]
pub fn load(paths: &[PathBuf]) -> (ManifestSet, Diagnostics) {
    load_with(paths, None)
}

/// [`load`] for an environment: `{{ var.NAME }}` takes its values, the digest covers them,
/// and variables no manifest uses are warnings (at the environment file).
#[must_use]
pub fn load_with(paths: &[PathBuf], vars: Option<&vars::Vars>) -> (ManifestSet, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut set = ManifestSet::default();
    let mut files = Vec::new();
    for path in paths {
        collect_files(path, &mut files, &mut diags);
    }
    files.sort();
    files.dedup();
    if files.is_empty() && !diags.has_errors() {
        diags.push(
            Diagnostic::new(
                Severity::Error,
                "no-manifests",
                format!(
                    "no manifests found in {}",
                    paths.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ")
                ),
                None,
                Pos::default(),
            )
            .with_hint("manifests are `*.yaml` or `*.yml` files; pass a directory or file with `-m`"),
        );
    }
    let mut hasher_input = Vec::new();
    for file in &files {
        let Some(text) = read_manifest_file(file, &mut diags) else {
            continue;
        };
        hasher_input.extend_from_slice(file.to_string_lossy().as_bytes());
        hasher_input.push(0);
        hasher_input.extend_from_slice(text.as_bytes());
        hasher_input.push(0);
        let before = set.actions.len();
        let mut file_diags = Diagnostics::new();
        parse::parse_file_with(file, &text, vars, &mut set, &mut file_diags);
        // In range by construction (the indices come from the same text).
        check::check_actions(set.actions.get(before..).unwrap_or_default(), Some(&text), &mut file_diags);
        diags.extend(project::apply_allowances(file, &text, file_diags, &mut set.allowed));
    }
    check::check_names(&set, &mut diags);
    function::check_integrations(&set, &mut diags);
    let project = project::load(Path::new(""), &mut diags);
    let mut diags = project::apply_levels(&project, diags);
    if let Some(v) = vars {
        hasher_input.extend_from_slice(&v.digest_input());
        if !diags.has_errors() {
            for (k, _) in v.values.iter().filter(|(k, _)| !set.vars_used.contains(&k.name)) {
                diags.push(
                    Diagnostic::warning(
                        "unused-var",
                        format!(
                            "variable `{}` of environment `{}` is not used by any manifest",
                            k.name, v.environment
                        ),
                        &v.file,
                        k.pos,
                    )
                    .with_width(k.name.chars().count())
                    .with_hint("remove it, or use it as `{{ var.NAME }}` in a manifest"),
                );
            }
        }
    }
    set.input_digest = crate::model::digest::digest_bytes(&hasher_input);
    set.files = files;
    (set, diags)
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>, diags: &mut Diagnostics) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            diags.push(Diagnostic::new(
                Severity::Error,
                "io",
                format!("cannot read `{}`: {}", path.display(), crate::fsutil::io_reason(&e)),
                None,
                Pos::default(),
            ));
            return;
        }
    };
    if meta.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::new(
                Severity::Error,
                "io",
                format!("cannot list `{}`: {}", path.display(), crate::fsutil::io_reason(&e)),
                None,
                Pos::default(),
            ));
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    children.sort();
    for child in children {
        let hidden = child.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if child.is_dir() {
            collect_files(&child, out, diags);
        } else if is_project_file(&child) {
            // `-m .`: the project file beside the manifests is not one of them.
        } else if child.extension().and_then(|e| e.to_str()).is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(child);
        }
    }
}

/// Whether `path` is the project file ([`project::PROJECT_FILE`] in the directory gcsync
/// runs in).
fn is_project_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == project::PROJECT_FILE)
        && match (std::fs::canonicalize(path), std::fs::canonicalize(project::PROJECT_FILE)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}

/// Reads a manifest file as UTF-8 text, refusing huge and non-text files with a located
/// message.
pub(crate) fn read_manifest_file(file: &Path, diags: &mut Diagnostics) -> Option<String> {
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        diags.push(
            Diagnostic::new(
                Severity::Error,
                "file-too-large",
                format!(
                    "`{}` is {:.1} MB; manifest files are limited to {} MB",
                    file.display(),
                    size as f64 / 1_048_576.0,
                    MAX_FILE_BYTES / 1_048_576
                ),
                Some(file),
                Pos::default(),
            )
            .with_hint("is this really a manifest? split large manifests into several files"),
        );
        return None;
    }
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::new(
                Severity::Error,
                "io",
                format!("cannot read `{}`: {}", file.display(), crate::fsutil::io_reason(&e)),
                Some(file),
                Pos::default(),
            ));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => {
            if let Some(idx) = text.find('\0') {
                diags.push(Diagnostic::error(
                    "not-text",
                    "the file contains NUL bytes; it looks like a binary file, not YAML",
                    file,
                    pos_of_offset(&text, idx),
                ));
                return None;
            }
            Some(text)
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            // `valid` is where the UTF-8 error starts, within `bytes`.
            let prefix = String::from_utf8_lossy(bytes.get(..valid).unwrap_or_default());
            diags.push(
                Diagnostic::error(
                    "not-utf8",
                    "the file is not valid UTF-8 text",
                    file,
                    pos_of_offset(&prefix, prefix.len()),
                )
                .with_hint("save the manifest as UTF-8"),
            );
            None
        }
    }
}

/// 1-based line/column of a byte offset.
#[must_use]
pub fn pos_of_offset(text: &str, offset: usize) -> Pos {
    let head = text.get(..offset).unwrap_or(text);
    let line = head.matches('\n').count() + 1;
    let col = head.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Pos::new(u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(col).unwrap_or(u32::MAX))
}
