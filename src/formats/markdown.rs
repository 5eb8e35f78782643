//! The Markdown plan (`plan --format markdown`, `show --markdown PLANFILE`) for pull request
//! comments and `$GITHUB_STEP_SUMMARY`.
//!
//! Owns: the layout — a heading with gcsync's summary line, where the plan was made, a
//! caution block when actions are replaced or deleted, a table of every change, then one
//! collapsible `<details>` section per change with its reasons and its field diff in a
//! ```` ```diff ```` fence — with replaced and deleted resources first; plan errors as a
//! list; and truncation: past [`Options::max_chars`] (default below GitHub's 65,536
//! character comment limit) the remaining rows and sections are left out with a note that
//! says how many and where the full plan is. Names and texts are escaped for tables,
//! HTML and fences (a fence is longer than any backtick run inside it).
//! Must not: know the plan's internal types (see `view`).

use super::view::{
    ChangeKind, DiffLine, Field, Origin, PlanView, Resource, diff_lines, is_multiline, value_text,
};
use std::fmt::Write as _;

/// The default size limit: GitHub refuses comments over 65,536 characters.
pub const DEFAULT_MAX_CHARS: usize = 60_000;

/// Rendering options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Stop adding rows and sections past this many bytes.
    pub max_chars: usize,
    /// Where the reader finds the full plan when it is truncated (a sentence).
    pub full_plan: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self { max_chars: DEFAULT_MAX_CHARS, full_plan: None }
    }
}

/// Room kept for the truncation note.
const NOTE_ROOM: usize = 600;

fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", html(s).replace('|', "&#124;"))
}

/// Text with `code spans` kept, outside them `<`, `>` and `|` neutralized.
fn prose(s: &str) -> String {
    s.replace('<', "&lt;").replace('>', "&gt;").replace('|', "&#124;").replace('\n', " ")
}

fn verb(r: &Resource) -> &'static str {
    match r.kind {
        ChangeKind::Create => "will be created",
        ChangeKind::Update => "will be updated in place",
        ChangeKind::Replace => "must be replaced (new id)",
        ChangeKind::Delete => "will be deleted",
        ChangeKind::Forget => "is gone from the org; its state entry will be removed",
        ChangeKind::NoOp if r.importing => "will be adopted (no change)",
        ChangeKind::NoOp => "matches the manifest; the state will record it",
    }
}

fn word(r: &Resource) -> &'static str {
    match r.kind {
        ChangeKind::Create => "create",
        ChangeKind::Update => "update",
        ChangeKind::Replace => "**replace**",
        ChangeKind::Delete => "**delete**",
        ChangeKind::Forget => "forget",
        ChangeKind::NoOp if r.importing => "adopt",
        ChangeKind::NoOp => "record",
    }
}

fn kind_label(r: &Resource) -> &'static str {
    match r.rtype {
        super::view::ResourceType::Integration => "integration",
        super::view::ResourceType::DataAction => "action",
    }
}

/// gcsync's summary line (replaces counted apart, as in the human plan).
#[must_use]
pub fn summary_line(view: &PlanView) -> String {
    if !view.errors.is_empty() {
        let n = view.errors.len();
        return format!(
            "Plan failed with {n} error{}; nothing can be applied.",
            if n == 1 { "" } else { "s" }
        );
    }
    if !view.changes_present {
        return "No changes. The org matches the manifests.".into();
    }
    let count = |k: ChangeKind| view.resources.iter().filter(|r| r.kind == k).count();
    format!(
        "Plan: {} to add, {} to change, {} to replace, {} to destroy.",
        count(ChangeKind::Create),
        count(ChangeKind::Update),
        count(ChangeKind::Replace),
        count(ChangeKind::Delete)
    )
}

/// The Markdown document.
#[must_use]
pub fn render(view: &PlanView, origin: &Origin, opts: &Options) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### gcsync plan\n\n**{}**\n", summary_line(view));
    let org = if origin.org_name.is_empty() {
        code(&origin.org_id)
    } else {
        format!("{} ({})", code(&origin.org_name), code(&origin.org_id))
    };
    // An optional part of a display line: absent, nothing is shown.
    let env = origin.environment.as_ref().map(|e| format!("environment {}, ", code(e))).unwrap_or_default();
    let _ =
        writeln!(out, "{env}org {org} at {}, state {}\n", code(&origin.api_host), code(&origin.state_path));
    if !view.errors.is_empty() {
        out.push_str("> [!CAUTION]\n> The plan has errors; nothing can be applied.\n\n");
        for e in &view.errors {
            let _ = writeln!(out, "- **{}**: {}", html(&e.name), prose(&e.message));
            if let Some(h) = &e.hint {
                let _ = writeln!(out, "  - hint: {}", prose(h));
            }
        }
        out.push('\n');
    }
    let shown = view.shown_by_severity();
    let replaced = shown.iter().filter(|r| r.kind == ChangeKind::Replace).count();
    let deleted = shown.iter().filter(|r| r.kind == ChangeKind::Delete).count();
    if replaced + deleted > 0 {
        let mut parts = Vec::new();
        if replaced > 0 {
            parts.push(format!(
                "**{replaced} replaced** (deleted and created again with a new id: Architect flows bound to {} must be re-pointed)",
                if replaced == 1 { "it" } else { "them" }
            ));
        }
        if deleted > 0 {
            parts.push(format!("**{deleted} deleted**"));
        }
        let _ = writeln!(out, "> [!WARNING]\n> {}.\n", parts.join(" and "));
    }
    if shown.is_empty() {
        return out;
    }
    let budget = opts.max_chars.saturating_sub(NOTE_ROOM);
    let mut table = String::from("| | change | resource | details |\n|:-:|---|---|---|\n");
    let mut rows = 0;
    for r in &shown {
        let detail = match (r.rtype, &r.integration) {
            (super::view::ResourceType::DataAction, Some(i)) => format!("integration {}", code(i)),
            _ => String::new(),
        };
        // An optional part of a display line: absent, nothing is shown.
        let renamed = r.previous_name.as_ref().map(|p| format!(" (was {})", code(p))).unwrap_or_default();
        let row = format!(
            "| <code>{}</code> | {} | {} {}{renamed} | {detail} |\n",
            html(r.kind.symbol().trim()),
            word(r),
            kind_label(r),
            code(&r.name)
        );
        if out.len() + table.len() + row.len() > budget {
            break;
        }
        table.push_str(&row);
        rows += 1;
    }
    out.push_str(&table);
    out.push('\n');
    let mut sections = 0;
    if rows == shown.len() {
        for r in &shown {
            let s = section(r);
            if out.len() + s.len() > budget {
                break;
            }
            out.push_str(&s);
            sections += 1;
        }
    }
    if sections < shown.len() {
        let missing_rows = shown.len() - rows;
        let what = if missing_rows > 0 {
            format!("{missing_rows} of {} changes are not listed and no change is detailed", shown.len())
        } else {
            format!("{} of {} changes are not detailed", shown.len() - sections, shown.len())
        };
        let _ = writeln!(
            out,
            "> [!NOTE]\n> Truncated: {what} (this text stays under {} characters).{}\n",
            opts.max_chars,
            // An optional part of a display line: absent, nothing is shown.
            opts.full_plan.as_ref().map(|f| format!(" {f}")).unwrap_or_default()
        );
    }
    out
}

fn section(r: &Resource) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<details><summary><code>{}</code> {} <b>{}</b> {}</summary>\n",
        html(r.kind.symbol().trim()),
        kind_label(r),
        html(&r.name),
        verb(r)
    );
    let mut facts = Vec::new();
    if let Some(id) = &r.id {
        facts.push(format!("id {}", code(id)));
    }
    if let Some(i) = &r.integration {
        facts.push(format!("integration {}", code(i)));
    }
    if let Some(p) = &r.previous_name {
        facts.push(format!("renamed from {}", code(p)));
    }
    if !facts.is_empty() {
        let _ = writeln!(s, "{}\n", facts.join(", "));
    }
    let mark = if matches!(r.kind, ChangeKind::Replace | ChangeKind::Delete) { ":warning: " } else { "" };
    for reason in &r.reasons {
        let _ = writeln!(s, "- {mark}{}", prose(reason));
    }
    for c in &r.rotated {
        let _ = writeln!(s, "- credential field `{c}` changes (value from the environment, never shown)");
    }
    if !r.reasons.is_empty() || !r.rotated.is_empty() {
        s.push('\n');
    }
    if !r.fields.is_empty() {
        let body = diff_body(&r.fields);
        let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
        let _ = write!(s, "{fence}diff\n{body}{fence}\n\n");
    }
    s.push_str("</details>\n\n");
    s
}

fn diff_body(fields: &[Field]) -> String {
    let mut body = String::new();
    for f in fields {
        let _ = writeln!(body, "@@ {} @@", f.path);
        if !is_multiline(f) {
            if !f.before.is_null() {
                let _ = writeln!(body, "- {}", value_text(&f.before));
            }
            if !f.after.is_null() {
                let _ = writeln!(body, "+ {}", value_text(&f.after));
            }
            continue;
        }
        for line in diff_lines(f) {
            let _ = match line {
                DiffLine::Removed(l) => writeln!(body, "- {l}"),
                DiffLine::Added(l) => writeln!(body, "+ {l}"),
                DiffLine::Same(l) => writeln!(body, "  {l}"),
            };
        }
    }
    body
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}
