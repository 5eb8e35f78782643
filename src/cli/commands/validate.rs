//! `gcsync validate`: every offline problem in one run, located, with exit 1 on any error.

use crate::cli::ManifestArgs;
use crate::cli::printer::Printer;
use crate::exit::{CmdResult, ExitStatus};
use crate::manifest;
use serde_json::json;

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// Machine-readable report on stdout (`format_version` "1").
    #[arg(long)]
    json: bool,
}

/// Runs `validate`.
pub fn run(args: &Args, printer: &Printer) -> CmdResult {
    let (set, diags) = manifest::load(&args.manifests.paths());
    let (errors, warnings) = (diags.error_count(), diags.warning_count());
    if args.json {
        let report = json!({
            "format_version": "1",
            "valid": errors == 0,
            "files": set.files.len(),
            "actions": set.actions.len(),
            "integrations": set.integrations.len(),
            "errors": errors,
            "warnings": warnings,
            "diagnostics": diags.sorted(),
        });
        printer.outln(&serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        printer.diagnostics(&diags, &set.sources, true);
        let files = set.files.len();
        let actions = set.actions.len();
        let integrations = set.integrations.len();
        let what = if integrations == 0 {
            format!("{actions} action{} in {files} file{}", plural(actions), plural(files))
        } else {
            format!(
                "{actions} action{}, {integrations} integration{} in {files} file{}",
                plural(actions),
                plural(integrations),
                plural(files)
            )
        };
        let summary = if errors == 0 && warnings == 0 {
            format!("{what}: no problems found")
        } else {
            format!("{errors} error{}, {warnings} warning{} ({what})", plural(errors), plural(warnings))
        };
        printer.outln(&summary);
    }
    Ok(if errors > 0 { ExitStatus::Error } else { ExitStatus::Success })
}

/// "s" unless one.
#[must_use]
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
