//! `gcsync show PLANFILE`: a saved plan, offline, in every format: gcsync's text (default),
//! `--format terraform`, `--json` (gcsync's plan JSON, as `plan --json`), `-json` /
//! `--terraform-json` (the `terraform show -json` document), `--markdown`, and
//! `--gitlab-report` (the merge-request widget's `{"create","update","delete"}`).
//!
//! Owns: reading the plan file and choosing the renderer. Needs no org, state or manifests.
//! Must not: check the plan's freshness (`apply PLANFILE` does) or render itself.

use super::formats::{PlanFormat, print_plan};
use crate::cli::printer::Printer;
use crate::exit::{CmdResult, ExitStatus};
use crate::formats::{gitlab, terraform_json, view};
use crate::plan::file::SavedPlan;
use crate::plan::render;
use std::path::PathBuf;

/// Arguments of `show`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Terraform's spelling `gcsync show -json PLANFILE` is the same as `--terraform-json`.\nExit codes: 0 shown, 1 unreadable plan file."
)]
#[command(group = clap::ArgGroup::new("output").multiple(false))]
pub struct Args {
    /// A plan saved with `gcsync plan --out PLANFILE`.
    #[arg(value_name = "PLANFILE")]
    planfile: PathBuf,
    /// Text: human (gcsync's), terraform (Terraform's, for tfcmt-style tools) or markdown.
    #[arg(long, value_enum, hide_possible_values = true, group = "output")]
    format: Option<PlanFormat>,
    /// gcsync's plan JSON (the document `plan --json` prints).
    #[arg(long, group = "output")]
    json: bool,
    /// The plan as `terraform show -json` shapes it (also spelled `-json`).
    #[arg(long = "terraform-json", group = "output")]
    terraform_json: bool,
    /// Markdown for pull request comments and $GITHUB_STEP_SUMMARY (= `--format markdown`).
    #[arg(long, group = "output")]
    markdown: bool,
    /// GitLab's merge-request Terraform report: {"create": N, "update": N, "delete": N}.
    #[arg(long, group = "output")]
    gitlab_report: bool,
}

/// Runs `show`.
pub fn run(args: &Args, printer: &Printer) -> CmdResult {
    let saved = SavedPlan::read(&args.planfile)?;
    let ctx = render::Context {
        org_name: String::new(),
        api_host: saved.org.api_host.clone(),
        org_id: saved.org.org_id.clone(),
        state_path: saved.state_path.clone(),
        lineage: saved.lineage.clone(),
        serial: saved.serial,
        environment: saved.environment.clone(),
    };
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    if args.json {
        printer.outln(&pretty(&render::json(&saved.plan, &ctx)));
    } else if args.terraform_json {
        let doc = terraform_json::document(&view::of_plan(&saved.plan), saved.targets.is_empty());
        printer.outln(&pretty(&doc));
    } else if args.gitlab_report {
        printer.outln(&gitlab::report(&view::of_plan(&saved.plan)).to_string());
    } else {
        // No `--format`: the default (human) format.
        let format = if args.markdown { PlanFormat::Markdown } else { args.format.unwrap_or_default() };
        let full = format!("The full plan: `gcsync show {}`.", args.planfile.display());
        let full = (format == PlanFormat::Markdown).then_some(full);
        print_plan(printer, format, &saved.plan, &ctx, full);
    }
    Ok(ExitStatus::Success)
}
