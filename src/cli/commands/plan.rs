//! `gcsync plan`: what apply would change, human or JSON, optionally saved for `apply FILE`.

use super::StateArgs;
use crate::cli::printer::Printer;
use crate::cli::{Globals, ManifestArgs};
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::operation::plan::{self as plan_op, Request};
use crate::operation::refresh::Refresh;
use crate::plan::file::SavedPlan;
use crate::plan::render;
use crate::state::store::StateStore as _;
use std::path::PathBuf;

/// Arguments of `plan`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error, 2 changes present (only with --detailed-exitcode)."
)]
pub struct Args {
    #[command(flatten)]
    manifests: ManifestArgs,
    #[command(flatten)]
    state: StateArgs,
    #[command(flatten)]
    lock: super::LockArgs,
    /// Save the plan to FILE for `gcsync apply FILE` (JSON; no secrets).
    #[arg(short = 'o', long = "out", value_name = "PLANFILE")]
    out: Option<PathBuf>,
    /// Exit 2 when there are changes (0 when none, 1 on error).
    #[arg(long)]
    detailed_exitcode: bool,
    /// Machine-readable plan on stdout (`format_version` "1").
    #[arg(long)]
    json: bool,
    /// How the plan is shown: human (gcsync's), terraform (Terraform's text, for tfcmt-style
    /// tools), markdown (for pull request comments and $GITHUB_STEP_SUMMARY).
    #[arg(long, value_enum, hide_possible_values = true, conflicts_with = "json")]
    format: Option<super::formats::PlanFormat>,
    /// Stream Terraform-style JSON events on stdout, one per line (also spelled `-json`).
    #[arg(long, conflicts_with_all = ["json", "format"])]
    json_stream: bool,
    /// Only plan these actions (repeatable).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// incremental: list calls plus full reads only where something changed; full: read everything.
    #[arg(long, value_enum, default_value_t = Refresh::Incremental)]
    refresh: Refresh,
    /// Allow replacing actions whose contract, secure flag or integration changed.
    #[arg(long)]
    allow_replace: bool,
    /// Allow deleting or replacing NAME although published Architect flows use it, or although
    /// the flows using it cannot be read (repeatable).
    #[arg(long = "allow-breaking-flows", value_name = "NAME")]
    allow_breaking_flows: Vec<String>,
}

/// Runs `plan`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let stream = args.json_stream.then(|| super::formats::Stream::start(printer));
    let result = run_with(args, printer, globals, stream.as_ref());
    if let (Some(stream), Err(e)) = (&stream, &result) {
        stream.error(e);
    }
    result
}

fn run_with(
    args: &Args,
    printer: &Printer,
    globals: &Globals,
    stream: Option<&super::formats::Stream<'_>>,
) -> CmdResult {
    let manifests = super::load_manifests(&args.manifests.paths(), printer, globals)?;
    let input_digest = manifests.input_digest.clone();
    let rt = crate::cli::org::runtime()?;
    rt.block_on(async {
        let session = super::open_session(
            globals,
            args.state.path(globals),
            Some("plan"),
            Some(&args.lock),
            true,
            printer,
        )
        .await?;
        if let Some(s) = stream {
            s.refresh_start(&session.state, &args.targets);
        }
        let request = Request {
            manifests,
            targets: args.targets.clone(),
            refresh: args.refresh,
            allow_replace: args.allow_replace,
            allow_breaking_flows: args.allow_breaking_flows.clone(),
            gcsync: globals.gcsync_prefix(),
            environment: globals.environment.clone(),
        };
        let env = |var: &str| std::env::var(var).ok();
        let result = plan_op::plan(&session, request, &env, &|v| printer.add_secret(v)).await.map(|mut p| {
            super::runnable_hints(&mut p.plan, globals, &args.manifests, &args.state);
            p
        });
        if let (Some(s), Ok(_)) = (stream, &result) {
            s.refresh_complete(&session.state, &args.targets);
        }
        let result = result.and_then(|planned| {
            if let Some(out) = &args.out {
                if !planned.plan.errors.is_empty() {
                    printer.warn("the plan has errors; it was not saved");
                } else {
                    let mut saved = SavedPlan::new(
                        &planned.plan,
                        &session.state,
                        &session.store.location(),
                        &session.org_ref,
                        &input_digest,
                        globals.environment.clone(),
                        args.targets.clone(),
                        &planned.live,
                    );
                    saved.manifest_paths =
                        args.manifests.paths().iter().map(|p| p.to_string_lossy().into_owned()).collect();
                    saved.write(out).map_err(|e| {
                        CliError::new(format!(
                            "cannot write `{}`: {}",
                            out.display(),
                            crate::fsutil::io_reason(&e)
                        ))
                    })?;
                }
            }
            Ok(planned)
        });
        super::close_session(session, printer).await;
        let planned = result?;
        if let Some(s) = stream {
            s.plan(&planned.plan);
        } else if args.json {
            printer.json(&render::json(&planned.plan, &planned.ctx));
        } else {
            let full = args.out.as_ref().map(|f| format!("The full plan: `gcsync show {}`.", f.display()));
            super::formats::print_plan(
                printer,
                // No `--format`: the default (human) format.
                args.format.unwrap_or_default(),
                &planned.plan,
                &planned.ctx,
                full,
            );
            let markdown = args.format == Some(super::formats::PlanFormat::Markdown);
            if let (Some(out), true, false) = (&args.out, planned.plan.errors.is_empty(), markdown) {
                // The hint repeats what picked the org, the manifests and the state, so it
                // runs as printed (`apply PLAN` re-reads both and refuses if they moved).
                let mut cmd = format!("{} apply", globals.gcsync_prefix());
                for m in &args.manifests.manifests {
                    cmd.push_str(&format!(" -m {}", crate::cli::shell_word(&m.to_string_lossy())));
                }
                if let Some(st) = &args.state.state {
                    cmd.push_str(&format!(" --state {}", crate::cli::shell_word(&st.to_string_lossy())));
                }
                cmd.push_str(&format!(" {}", crate::cli::shell_word(&out.to_string_lossy())));
                printer.outln(&format!(
                    "\nSaved the plan to `{}`. Apply exactly this plan with `{cmd}`.",
                    out.display()
                ));
            }
        }
        if !planned.plan.errors.is_empty() {
            return Ok(ExitStatus::Error);
        }
        Ok(if args.detailed_exitcode && planned.plan.has_changes() {
            ExitStatus::Changes
        } else {
            ExitStatus::Success
        })
    })
}
