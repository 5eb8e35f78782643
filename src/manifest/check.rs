//! Offline rules over loaded manifests, located at file:line:column.
//!
//! Owns: running Genesys's documented rules ([`crate::model::rules`]) on each compiled
//! action and placing every finding on the manifest line that caused it, plus the rules
//! that span files (unique names) and the shorthand-only rules (output names usable as
//! template variables). `check_set`/`check_actions` also run `lint` (templates, JSONPaths,
//! `tests:`) on every action; `check_action` alone does not.
//! Must not: parse YAML or do I/O.

use super::compile::compile;
use super::reader::Sp;
use super::{ActionManifest, ContractForm, ManifestSet};
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::model::rules::{self, Level};
use crate::yaml::Pos;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Checks every action and the set as a whole (without source texts: template findings
/// point at the template's scalar rather than the exact column).
pub fn check_set(set: &ManifestSet, diags: &mut Diagnostics) {
    check_actions(&set.actions, None, diags);
    check_names(set, diags);
    super::function::check_integrations(set, diags);
}

/// The per-action rules (contract rules, shorthand rules, lint) for the actions of one file,
/// while its text (`source`, for exact template columns) is at hand.
pub fn check_actions(actions: &[ActionManifest], source: Option<&str>, diags: &mut Diagnostics) {
    for a in actions {
        check_action(a, diags);
        super::lint::lint_action(a, source, diags);
    }
}

/// The rules across files: unique action names, unique integration names, `renamedFrom`.
pub fn check_names(set: &ManifestSet, diags: &mut Diagnostics) {
    // An action's identity is its integration plus its name (Genesys allows one name in
    // several integrations); integration names are unique.
    unique_names(
        set.actions
            .iter()
            .map(|a| (format!("{}\u{0}{}", a.integration.value, a.name.value), &a.name, a.file.as_path())),
        "action",
        "; action names must be unique within an integration",
        diags,
    );
    let seen: BTreeSet<&str> = set.actions.iter().map(|a| a.name.value.as_str()).collect();
    unique_names(
        set.integrations.iter().map(|i| (i.name.value.clone(), &i.name, i.file.as_path())),
        "integration",
        "",
        diags,
    );
    // `renamedFrom`: an old name no manifest declares any more, claimed by one manifest.
    let mut claimed: BTreeMap<&str, &ActionManifest> = BTreeMap::new();
    for a in &set.actions {
        let Some(old) = &a.renamed_from else { continue };
        let problem = if old.value == a.name.value {
            Some("`renamedFrom` names the action itself".to_string())
        } else if seen.contains(old.value.as_str()) {
            Some(format!("`renamedFrom: {}` names an action a manifest still declares", old.value))
        } else if let Some(first) = claimed.get(old.value.as_str()) {
            Some(format!(
                "`renamedFrom: {}` is also claimed by `{}` ({}:{})",
                old.value,
                first.name.value,
                first.file.display(),
                first.name.pos.line
            ))
        } else {
            claimed.insert(&old.value, a);
            None
        };
        if let Some(message) = problem {
            diags.push(
                Diagnostic::error("renamed-from", message, &a.file, old.pos).with_hint(
                    "`renamedFrom` takes the previous name of this action, which no other manifest may use or claim",
                ),
            );
        }
    }
}

/// Reports every name declared a second time under the same key (`duplicate-name`,
/// pointing at the first).
fn unique_names<'a>(
    named: impl Iterator<Item = (String, &'a Sp<String>, &'a Path)>,
    kind: &str,
    hint_tail: &str,
    diags: &mut Diagnostics,
) {
    let mut first: BTreeMap<String, (&Sp<String>, &Path)> = BTreeMap::new();
    for (key, name, file) in named {
        if let Some((f_name, f_file)) = first.get(&key) {
            diags.push(
                Diagnostic::error(
                    "duplicate-name",
                    format!("{kind} name `{}` is declared more than once", name.value),
                    file,
                    name.pos,
                )
                .with_hint(format!(
                    "first declared at {}:{}:{}{hint_tail}",
                    f_file.display(),
                    f_name.pos.line,
                    f_name.pos.column
                )),
            );
        } else {
            first.insert(key, (name, file));
        }
    }
}

/// Checks one action.
pub fn check_action(a: &ActionManifest, diags: &mut Diagnostics) {
    if let Some(f) = &a.function {
        super::function::check(a, f, diags);
    }
    let spec = compile(a);
    for v in rules::check_spec(&spec) {
        let pos = locate(a, &v.path);
        let severity = match v.level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
        };
        let mut d = Diagnostic::new(severity, v.code, v.message, Some(&a.file), pos);
        d.hint = v.hint;
        diags.push(d);
    }
    if let ContractForm::Shorthand { outputs, success_template: None, .. } = &a.contract {
        for o in outputs {
            if !is_template_identifier(&o.name.value) {
                diags.push(
                    Diagnostic::error(
                        "output-name",
                        format!("output name `{}` cannot be used as a template variable", o.name.value),
                        &a.file,
                        o.name.pos,
                    )
                    .with_hint("use letters, digits and `_`, starting with a letter (or write `response.successTemplate` yourself)"),
                );
            }
        }
    }
    if a.request.method.value.eq_ignore_ascii_case("GET")
        && let Some(body) = &a.request.body
        && body.value != crate::model::DEFAULT_REQUEST_TEMPLATE
    {
        diags.push(
            Diagnostic::warning(
                "get-body",
                "a GET request sends no body; `body` is ignored",
                &a.file,
                body.pos,
            )
            .with_hint("remove `body`, or use POST/PUT/PATCH"),
        );
    }
}

/// Whether a name is a Velocity identifier valid in both 1.7 and 2.x (`${name}`).
#[must_use]
pub fn is_template_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Maps a path into the `PostActionInput` JSON to the manifest position that produced it.
fn locate(a: &ActionManifest, path: &[String]) -> Pos {
    let seg: Vec<&str> = path.iter().map(String::as_str).collect();
    match seg.as_slice() {
        ["name", ..] => a.name.pos,
        ["category", ..] => a.category.as_ref().map_or(a.integration.pos, |c| c.pos),
        ["integration" | "integrationId", ..] => a.integration.pos,
        ["secure", ..] => a.secure.as_ref().map_or(a.pos, |s| s.pos),
        ["config", "timeoutSeconds", ..] => a.timeout_seconds.as_ref().map_or(a.pos, |t| t.pos),
        ["config", "request", "requestType", ..] => a.request.method.pos,
        ["config", "request", "requestUrlTemplate", ..] => a.request.url.pos,
        ["config", "request", "requestTemplate", ..] => {
            a.request.body.as_ref().map_or(a.request.pos, |b| b.pos)
        }
        ["config", "request", "headers", name, ..] => a
            .request
            .headers
            .as_ref()
            .and_then(|h| h.value.iter().find(|(k, _)| k.value == *name).map(|(_, v)| v.pos))
            .unwrap_or(a.request.pos),
        ["contract", "input", "inputSchema", rest @ ..] => match &a.contract {
            ContractForm::Raw { input: Some(input), .. } => node_pos(input, rest),
            ContractForm::Raw { pos, .. } => *pos,
            ContractForm::Shorthand { inputs, inputs_pos, .. } => match rest {
                ["properties", name, tail @ ..] => {
                    inputs.iter().find(|i| i.name.value == *name).map_or(*inputs_pos, |i| {
                        if tail.first() == Some(&"type") { i.ty.pos } else { i.name.pos }
                    })
                }
                _ => *inputs_pos,
            },
        },
        ["contract", "output", "successSchema", rest @ ..] => match &a.contract {
            ContractForm::Raw { output: Some(output), .. } => node_pos(output, rest),
            ContractForm::Raw { pos, .. } => *pos,
            ContractForm::Shorthand { outputs, outputs_pos, .. } => match rest {
                ["properties", name, ..] => {
                    outputs.iter().find(|o| o.name.value == *name).map_or(*outputs_pos, |o| o.name.pos)
                }
                _ => *outputs_pos,
            },
        },
        _ => a.pos,
    }
}

fn node_pos(node: &crate::yaml::Node, rest: &[&str]) -> Pos {
    node.locate(rest).pos
}
