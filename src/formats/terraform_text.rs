//! `--format terraform`: the plan as Terraform prints it, for tools that parse Terraform's
//! text (tfcmt, Atlantis-style PR comments).
//!
//! Owns: the anchor lines those tools match — `# <address> will be created`, `will be
//! updated in-place`, `will be destroyed`, `must be replaced`, `will be imported`, `has
//! moved to`, `# (moved from …)`, `# (imported from "…")`; the section sentences tfcmt
//! looks for verbatim (`Terraform will perform the following actions:`, `Note: Objects
//! have changed outside of Terraform`, `Unless you have made equivalent changes to your
//! configuration…`); `Error:` lines; and the last line `Plan: X to add, Y to change, Z to
//! destroy.` counted as Terraform counts (a replace is one add and one destroy; `N to
//! import, ` when adopting) or `No changes. The org matches the manifests.`. Between the
//! anchors, each resource's field diff in Terraform's block layout. No colour.
//! Must not: know the plan's internal types (see `view`).

use super::events::{Operation, summary_sentence};
use super::view::{
    ChangeKind, DiffLine, Drift, Field, PlanView, Resource, diff_lines, is_multiline, value_text,
};
use std::fmt::Write as _;

/// The plan text.
#[must_use]
pub fn plan(view: &PlanView) -> String {
    let mut out = String::new();
    let drifted: Vec<&Resource> = view.resources.iter().filter(|r| r.drift.is_some()).collect();
    if !drifted.is_empty() {
        out.push_str("\nNote: Objects have changed outside of Terraform\n\n");
        out.push_str(
            "gcsync detected the following changes made outside of gcsync since the last \"gcsync apply\":\n",
        );
        for r in drifted {
            out.push('\n');
            let addr = r.address();
            match &r.drift {
                Some(Drift::Deleted) => {
                    let _ = writeln!(out, "  # {addr} has been deleted");
                    let _ = writeln!(out, "  - resource \"{}\" \"{}\" {{}}", r.rtype.name(), r.name);
                }
                Some(Drift::Changed(paths)) => {
                    let _ = writeln!(out, "  # {addr} has changed");
                    let _ = writeln!(out, "  ~ resource \"{}\" \"{}\" {{", r.rtype.name(), r.name);
                    for p in paths {
                        let _ = writeln!(out, "      ~ {p} (changed outside gcsync)");
                    }
                    out.push_str("    }\n");
                }
                None => {}
            }
        }
        out.push_str(
            "\nUnless you have made equivalent changes to your configuration (the manifests), the following plan may include actions to undo or respond to these changes.\n",
        );
        out.push_str(&"─".repeat(77));
        out.push('\n');
    }
    if !view.errors.is_empty() {
        for e in &view.errors {
            let _ = writeln!(out, "\nError: {}", e.message);
            if let Some(h) = &e.hint {
                let _ = writeln!(out, "\n  hint: {h}");
            }
        }
        return out;
    }
    if !view.changes_present && !view.resources.iter().any(|r| r.importing) {
        out.push_str("\nNo changes. The org matches the manifests.\n");
        return out;
    }
    out.push_str("\nTerraform will perform the following actions:\n");
    for r in view.resources.iter().filter(|r| r.shown) {
        out.push('\n');
        resource(&mut out, r);
    }
    let _ = writeln!(out, "\n{}", summary_sentence(view.counts(), Operation::Plan));
    out
}

fn anchor(r: &Resource) -> String {
    let addr = r.address();
    match r.kind {
        ChangeKind::Create => format!("# {addr} will be created"),
        ChangeKind::Update => format!("# {addr} will be updated in-place"),
        ChangeKind::Replace => format!("# {addr} must be replaced"),
        ChangeKind::Delete => format!("# {addr} will be destroyed"),
        ChangeKind::Forget => {
            format!("# {addr} will no longer be managed by gcsync (it is already gone from the org)")
        }
        ChangeKind::NoOp => match (&r.previous_address(), r.importing) {
            (Some(prev), _) => format!("# {prev} has moved to {addr}"),
            (None, true) => format!("# {addr} will be imported"),
            (None, false) => format!("# {addr} will be recorded in the state (no change in the org)"),
        },
    }
}

fn resource(out: &mut String, r: &Resource) {
    let _ = writeln!(out, "  {}", anchor(r));
    if r.kind != ChangeKind::NoOp {
        if let Some(prev) = r.previous_address() {
            let _ = writeln!(out, "  # (moved from {prev})");
        }
        if r.importing {
            // An import always has the live id; without one the line shows empty quotes rather than guessing.
            let _ = writeln!(out, "  # (imported from \"{}\")", r.id.as_deref().unwrap_or_default());
        }
    }
    let sym = r.kind.symbol();
    let _ = writeln!(out, "{sym:>3} resource \"{}\" \"{}\" {{", r.rtype.name(), r.name);
    if let Some(id) = &r.id {
        let _ = writeln!(out, "        id = {}", serde_json::Value::String(id.clone()));
    } else if r.kind == ChangeKind::Create {
        out.push_str("      + id = (known after apply)\n");
    }
    for reason in &r.reasons {
        let _ = writeln!(out, "        # {reason}");
    }
    for f in &r.fields {
        field(out, r, f);
    }
    for c in &r.rotated {
        let _ = writeln!(out, "      ~ credential.{c} = (sensitive value)");
    }
    out.push_str("    }\n");
}

fn field(out: &mut String, r: &Resource, f: &Field) {
    // Unset before and after (an optional field a create leaves out): Terraform shows nothing.
    if f.before.is_null() && f.after.is_null() {
        return;
    }
    let forces = if r.replace_paths.iter().any(|p| p == &f.path) { " # forces replacement" } else { "" };
    let sym = match (f.before.is_null(), f.after.is_null()) {
        (true, false) => "+",
        (false, true) => "-",
        _ => "~",
    };
    if !is_multiline(f) {
        let text = match sym {
            "+" => value_text(&f.after),
            "-" => format!("{} -> null", value_text(&f.before)),
            _ => format!("{} -> {}", value_text(&f.before), value_text(&f.after)),
        };
        let _ = writeln!(out, "      {sym} {} = {text}{forces}", f.path);
        return;
    }
    let _ = writeln!(out, "      {sym} {} = <<-EOT{forces}", f.path);
    for line in diff_lines(f) {
        let _ = match line {
            DiffLine::Removed(l) => writeln!(out, "          - {l}"),
            DiffLine::Added(l) => writeln!(out, "          + {l}"),
            DiffLine::Same(l) => writeln!(out, "            {l}"),
        };
    }
    out.push_str("        EOT\n");
}

/// The closing line of an apply in Terraform's words (`Apply complete! Resources: …`).
#[must_use]
pub fn apply_complete(n: super::view::Counts) -> String {
    summary_sentence(n, Operation::Apply)
}
