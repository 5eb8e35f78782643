//! Showing a plan: the human diff and the machine format.
//!
//! Owns: per action a header (`+`, `~`, `-/+`, `-`), a field-level diff — line diffs of
//! templates (`similar`), JSON-aware diffs of schemas and maps (canonical, sorted keys, so
//! key order never shows as a change), `before → after` for scalars — drift notes, the
//! Architect flows using an action the plan deletes or replaces (`plan::impact`), errors,
//! and the final line (`Plan: X to add, Y to change, Z to replace, W to destroy.` or
//! `No changes. The org matches the manifests.`); and the `--json` document
//! (`format_version` "1", documented in README).
//! Must not: decide anything (the plan is given) or write to the terminal itself.

use super::integrations::{CredentialOp, IntegrationChange};
use super::{Change, FORMAT_VERSION, FieldChange, Op, Plan};
use crate::model::digest;
use console::Style;
use serde_json::{Value, json};
use similar::{ChangeTag, TextDiff};
use std::fmt::Write as _;

/// Context shown in the header and the JSON document.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Org name (if known).
    pub org_name: String,
    /// API host.
    pub api_host: String,
    /// Org id.
    pub org_id: String,
    /// State file path.
    pub state_path: String,
    /// State lineage.
    pub lineage: String,
    /// State serial.
    pub serial: u64,
    /// Environment name (`--env`), if any.
    pub environment: Option<String>,
}

/// Colours (off for pipes, files and `NO_COLOR`).
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    /// Whether to emit ANSI colour.
    pub color: bool,
}

impl Paint {
    fn with(&self, style: &Style, text: &str) -> String {
        if self.color { style.apply_to(text).force_styling(true).to_string() } else { text.to_string() }
    }
    fn op(&self, op: Op, text: &str) -> String {
        let s = match op {
            Op::Create => Style::new().green().bold(),
            Op::Update => Style::new().yellow().bold(),
            Op::Replace => Style::new().magenta().bold(),
            Op::Delete => Style::new().red().bold(),
            Op::NoOp => Style::new().dim(),
        };
        self.with(&s, text)
    }
}

/// The human rendering.
#[must_use]
pub fn human(plan: &Plan, ctx: &Context, paint: Paint) -> String {
    let mut out = String::new();
    // Optional parts of a display line: absent, nothing is shown.
    let env = ctx.environment.as_ref().map(|e| format!("environment `{e}`, ")).unwrap_or_default();
    let org = if ctx.org_name.is_empty() {
        format!("`{}`", ctx.org_id)
    } else {
        format!("`{}` ({})", ctx.org_name, ctx.org_id)
    };
    let _ = writeln!(out, "Plan for {env}org {org} at {}, state `{}`", ctx.api_host, ctx.state_path);
    for i in plan.integrations.iter().filter(|i| i.op() != Op::NoOp || i.adopt()) {
        out.push('\n');
        render_integration(&mut out, i, paint);
    }
    let shown: Vec<&Change> =
        plan.changes.iter().filter(|c| c.op() != Op::NoOp || !c.drift.is_empty() || c.adopt()).collect();
    for c in &shown {
        out.push('\n');
        render_change(&mut out, c, paint);
    }
    for e in &plan.errors {
        out.push('\n');
        let _ = writeln!(out, "{}: {}", paint.with(&Style::new().red().bold(), "error"), e.message);
        if let Some(h) = &e.hint {
            let _ = writeln!(out, "  {}: {h}", paint.with(&Style::new().cyan().bold(), "hint"));
        }
    }
    out.push('\n');
    out.push_str(&summary_line(plan));
    out.push('\n');
    out
}

/// `Plan: …` or `No changes. …`.
#[must_use]
pub fn summary_line(plan: &Plan) -> String {
    if !plan.errors.is_empty() {
        let n = plan.errors.len();
        return format!(
            "Plan failed with {n} error{}; nothing can be applied.",
            if n == 1 { "" } else { "s" }
        );
    }
    if !plan.has_changes() {
        return "No changes. The org matches the manifests.".into();
    }
    let s = plan.summary();
    format!(
        "Plan: {} to add, {} to change, {} to replace, {} to destroy.",
        s.add, s.change, s.replace, s.destroy
    )
}

fn render_integration(out: &mut String, c: &IntegrationChange, paint: Paint) {
    let what = match c.op() {
        Op::Create => "will be created",
        Op::Update => "will be updated in place",
        Op::Delete if c.gone() => "is gone from the org; its state entry will be removed",
        Op::Delete if c.credential.id.is_some() => "will be deleted (with its credential)",
        Op::Delete => "will be deleted",
        Op::NoOp if c.adopt() => "will be adopted (no change)",
        _ => "matches the manifest",
    };
    // Optional parts of the header line: absent, nothing is shown.
    let ty = c.desired.as_ref().map(|d| format!(" ({})", d.type_id)).unwrap_or_default();
    let id = c.id.as_ref().map(|i| format!(", id `{i}`")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{} integration {} {what}{ty}{}",
        paint.op(c.op(), c.op().symbol()),
        paint.with(&Style::new().bold(), &c.name),
        if id.is_empty() { String::new() } else { format!(" ({})", id.trim_start_matches(", ")) }
    );
    for r in &c.reasons {
        let _ = writeln!(out, "    {} {r}", paint.with(&Style::new().yellow(), "!"));
    }
    for f in &c.fields {
        if c.op() == Op::Create {
            let _ =
                writeln!(out, "    {}: {}", f.path, paint.with(&Style::new().green(), &value_text(&f.after)));
        } else {
            let _ = writeln!(
                out,
                "    {}: {} → {}",
                f.path,
                paint.with(&Style::new().red(), &value_text(&f.before)),
                paint.with(&Style::new().green(), &value_text(&f.after))
            );
        }
    }
    let cred = c.desired.as_ref().and_then(|d| d.credential.as_ref());
    let fields = |cr: &crate::model::integration::CredentialSpec| {
        cr.fields.iter().map(|(f, v)| format!("{f} ← ${v}")).collect::<Vec<_>>().join(", ")
    };
    match (c.credential.op, cred) {
        (CredentialOp::Create, Some(cr)) => {
            let _ = writeln!(
                out,
                "    credential: {} will be created ({}; values from the environment, never shown)",
                cr.type_name,
                fields(cr)
            );
        }
        (CredentialOp::Update, Some(cr)) => {
            let _ = writeln!(out, "    credential: {} will be updated ({})", cr.type_name, fields(cr));
        }
        (CredentialOp::Delete, _) => {
            let _ = writeln!(out, "    credential: will be deleted");
        }
        _ => {}
    }
}

fn render_change(out: &mut String, c: &Change, paint: Paint) {
    let what = match c.op() {
        Op::Create => "will be created".to_string(),
        Op::Update => "will be updated in place".to_string(),
        Op::Replace => "must be replaced by a new action".to_string(),
        Op::Delete if c.gone() => "is gone from the org; its state entry will be removed".to_string(),
        Op::Delete => "will be deleted".to_string(),
        Op::NoOp if c.adopt() => "will be adopted (no change to the action)".to_string(),
        Op::NoOp => "matches the manifest; the state will record it".to_string(),
    };
    // No id yet (a create): nothing is shown.
    let id = c.id.as_ref().map(|i| format!(", id `{i}`")).unwrap_or_default();
    let _ = writeln!(
        out,
        "{} {} {what} (integration `{}`{id})",
        paint.op(c.op(), c.op().symbol()),
        paint.with(&Style::new().bold(), &c.name),
        c.integration
    );
    for r in &c.reasons {
        let _ = writeln!(out, "    {} {r}", paint.with(&Style::new().yellow(), "!"));
    }
    for line in super::impact::lines(c) {
        let _ = writeln!(out, "    {line}");
    }
    let created;
    let fields = if c.op() == Op::Create {
        created = super::create_fields(c);
        &created
    } else {
        &c.fields
    };
    for f in fields {
        render_field(out, f, c.op(), paint);
    }
}

fn render_field(out: &mut String, f: &FieldChange, op: Op, paint: Paint) {
    let red = Style::new().red();
    let green = Style::new().green();
    // The code of a function action is known by its zip's hash (Genesys never gives it back).
    if f.path == super::function::CODE_FIELD {
        let (before, after) = (super::function::short_hash(&f.before), super::function::short_hash(&f.after));
        let _ = if op == Op::Create {
            writeln!(out, "    function code: {}", paint.with(&green, &after))
        } else if f.before.is_null() {
            writeln!(
                out,
                "    function code uploaded ({} → {}: gcsync never uploaded it, the platform cannot give it back)",
                paint.with(&red, &before),
                paint.with(&green, &after)
            )
        } else {
            writeln!(
                out,
                "    function code changed ({} → {})",
                paint.with(&red, &before),
                paint.with(&green, &after)
            )
        };
        return;
    }
    if op == Op::Create {
        let text = value_text(&f.after);
        if text.contains('\n') {
            let _ = writeln!(out, "    {}:", f.path);
            for line in text.lines() {
                let _ = writeln!(out, "      {}", paint.with(&green, line));
            }
        } else {
            let _ = writeln!(out, "    {}: {}", f.path, paint.with(&green, &text));
        }
        return;
    }
    let (before, after) = (value_text(&f.before), value_text(&f.after));
    let multiline = digest::is_template_field(&f.path) && (before.contains('\n') || after.contains('\n'))
        || f.before.is_object()
        || f.after.is_object()
        || f.before.is_array()
        || f.after.is_array();
    if !multiline {
        let _ =
            writeln!(out, "    {}: {} → {}", f.path, paint.with(&red, &before), paint.with(&green, &after));
        return;
    }
    let _ = writeln!(out, "    {}:", f.path);
    let diff = TextDiff::from_lines(&before, &after);
    for group in diff.grouped_ops(3) {
        for op in group {
            for change in diff.iter_changes(&op) {
                let line = change.value().trim_end_matches('\n');
                let line = visible_ws(line);
                match change.tag() {
                    ChangeTag::Delete => {
                        let _ = writeln!(out, "      {}", paint.with(&red, &format!("- {line}")));
                    }
                    ChangeTag::Insert => {
                        let _ = writeln!(out, "      {}", paint.with(&green, &format!("+ {line}")));
                    }
                    ChangeTag::Equal => {
                        let _ = writeln!(out, "        {line}");
                    }
                }
            }
        }
    }
}

/// Makes carriage returns and trailing spaces visible in diff lines.
fn visible_ws(line: &str) -> String {
    let mut s = line.replace('\r', "␍");
    let trimmed = s.trim_end_matches(' ').len();
    if trimmed < s.len() {
        let spaces = s.len() - trimmed;
        s.truncate(trimmed);
        s.push_str(&"·".repeat(spaces));
    }
    s
}

/// Text for a field value: templates as themselves, JSON as sorted pretty JSON.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => {
            if s.contains('\n') {
                s.clone()
            } else {
                Value::String(s.clone()).to_string()
            }
        }
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(_) | Value::Array(_) => {
            // A `Value` (string keys only) always serializes; the empty text cannot happen.
            serde_json::to_string_pretty(&digest::canonical(v)).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

/// The `--json` document.
#[must_use]
pub fn json(plan: &Plan, ctx: &Context) -> Value {
    let changes: Vec<Value> = plan
        .changes
        .iter()
        .filter(|c| c.op() != Op::NoOp || !c.drift.is_empty() || c.adopt())
        .map(|c| {
            json!({
                "name": c.name,
                "action": c.op(),
                "id": c.id,
                "version": c.version,
                "integration": c.integration,
                "adopt": c.adopt(),
                "gone": c.gone(),
                "reasons": c.reasons,
                "fields": if c.op() == Op::Create { super::create_fields(c) } else { c.fields.clone() },
                "drift": c.drift,
                "consumers": c.consumers,
                "consumers_incomplete": c.consumers_incomplete,
            })
        })
        .collect();
    let integrations: Vec<Value> = plan
        .integrations
        .iter()
        .filter(|i| i.op() != Op::NoOp || i.adopt())
        .map(|i| {
            json!({
                "name": i.name,
                "action": i.op(),
                "id": i.id,
                "type": i.desired.as_ref().map(|d| d.type_id.clone()),
                "adopt": i.adopt(),
                "gone": i.gone(),
                "reasons": i.reasons,
                "fields": i.fields,
                "credential": {
                    "action": i.credential.op,
                    "id": i.credential.id,
                    "type": i.desired.as_ref().and_then(|d| d.credential.as_ref()).map(|c| c.type_name.clone()),
                    "fields_from_env": i.desired.as_ref().and_then(|d| d.credential.as_ref()).map(|c| c.fields.clone()),
                    "rotated": i.credential.rotated,
                },
            })
        })
        .collect();
    let s = plan.summary();
    json!({
        "format_version": FORMAT_VERSION,
        "integrations": integrations,
        "environment": ctx.environment,
        "org": {"api_host": ctx.api_host, "org_id": ctx.org_id, "name": ctx.org_name},
        "state": {"path": ctx.state_path, "lineage": ctx.lineage, "serial": ctx.serial},
        "changes": changes,
        "errors": plan.errors,
        "summary": {"add": s.add, "change": s.change, "replace": s.replace, "destroy": s.destroy},
        "changes_present": plan.has_changes(),
        "drift_present": plan.has_drift(),
    })
}
