//! `gcsync apply [PLANFILE]`: plan and apply after confirmation, or apply a saved plan exactly.

use super::StateArgs;
use crate::apply::integrations::IntegrationOutcome;
use crate::apply::{Outcome, Step};
use crate::cli::printer::Printer;
use crate::cli::{Globals, ManifestArgs};
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::operation::apply::{self as apply_op, Source};
use crate::operation::plan::Request;
use crate::operation::refresh::Refresh;
use crate::plan::file::SavedPlan;
use crate::plan::render;
use crate::plan::{Op, Plan};
use serde_json::json;
use std::io::BufRead as _;
use std::path::PathBuf;

/// Arguments of `apply`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Without PLANFILE, apply plans first, shows the plan and asks for `yes` on a terminal; without a terminal it refuses unless --auto-approve.\nWith PLANFILE it applies exactly that saved plan, and refuses if the manifests, the state, the org or the planned actions moved since.\nExit codes: 0 applied (or nothing to do), 1 error."
)]
pub struct Args {
    /// A plan saved with `gcsync plan --out PLANFILE`.
    #[arg(value_name = "PLANFILE")]
    planfile: Option<PathBuf>,
    #[command(flatten)]
    manifests: ManifestArgs,
    #[command(flatten)]
    state: StateArgs,
    #[command(flatten)]
    lock: super::LockArgs,
    /// Apply without asking.
    #[arg(long)]
    auto_approve: bool,
    /// Machine-readable result on stdout.
    #[arg(long)]
    json: bool,
    /// How the plan and the result are shown: human (gcsync's) or terraform (Terraform's
    /// text and `Apply complete! Resources: …`, for tfcmt-style tools).
    #[arg(long, value_enum, hide_possible_values = true, conflicts_with = "json")]
    format: Option<super::formats::PlanFormat>,
    /// Stream Terraform-style JSON events on stdout, one per line (also spelled `-json`);
    /// without PLANFILE it needs --auto-approve.
    #[arg(long, conflicts_with_all = ["json", "format"])]
    json_stream: bool,
    /// Only these actions (repeatable; not with PLANFILE).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Allow replacing actions whose contract, secure flag or integration changed.
    #[arg(long)]
    allow_replace: bool,
    /// Allow deleting or replacing NAME although published Architect flows use it, or although
    /// the flows using it cannot be read (repeatable; not with PLANFILE).
    #[arg(long = "allow-breaking-flows", value_name = "NAME")]
    allow_breaking_flows: Vec<String>,
    /// How much to read before planning (not with PLANFILE).
    #[arg(long, value_enum, default_value_t = Refresh::Incremental)]
    refresh: Refresh,
}

/// Runs `apply`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let stream = args.json_stream.then(|| super::formats::Stream::start(printer));
    let result = run_with(args, printer, globals, stream.as_ref());
    if let (Some(stream), Err(e)) = (&stream, &result) {
        stream.failed(e);
    }
    result
}

fn run_with(
    args: &Args,
    printer: &Printer,
    globals: &Globals,
    stream: Option<&super::formats::Stream<'_>>,
) -> CmdResult {
    if args.format == Some(super::formats::PlanFormat::Markdown) {
        return Err(CliError::new("`--format markdown` is for `gcsync plan` and `gcsync show`")
            .hint("use `--format human` or `--format terraform` with apply"));
    }
    if stream.is_some() && args.planfile.is_none() && !args.auto_approve {
        return Err(CliError::new("`--json-stream` cannot ask for confirmation")
            .hint("pass `--auto-approve`, or apply a saved plan: `gcsync apply PLANFILE --json-stream`"));
    }
    let plan_flags: Vec<&str> = [
        (!args.targets.is_empty(), "`--target`"),
        (args.allow_replace, "`--allow-replace`"),
        (!args.allow_breaking_flows.is_empty(), "`--allow-breaking-flows`"),
    ]
    .into_iter()
    .filter_map(|(on, flag)| on.then_some(flag))
    .collect();
    if args.planfile.is_some() && !plan_flags.is_empty() {
        let flags = match plan_flags.as_slice() {
            [one] => format!("{one} belongs"),
            many => format!("{} belong", many.join(" and ")),
        };
        return Err(CliError::new(format!("{flags} to the plan; a saved plan is applied exactly as saved"))
            .hint("pass it to `gcsync plan --out FILE` instead"));
    }
    let saved = args.planfile.as_ref().map(|p| SavedPlan::read(p)).transpose()?;
    if let (Some(saved), Some(path)) = (&saved, &args.planfile) {
        check_environment(saved, path, globals.environment.as_deref())?;
    }
    let (manifest_paths, state_path) = inputs_of(saved.as_ref(), args, globals)?;
    let manifests = super::load_manifests(&manifest_paths, printer, globals)?;
    let input_digest = manifests.input_digest.clone();
    let rt = crate::cli::org::runtime()?;
    rt.block_on(async {
        let mut session =
            super::open_session(globals, state_path, Some("apply"), Some(&args.lock), true, printer).await?;
        let result = async {
            let source = match &saved {
                Some(plan) => Source::Saved { plan, input_digest: &input_digest },
                None => Source::Fresh(Box::new(Request {
                    manifests,
                    targets: args.targets.clone(),
                    refresh: args.refresh,
                    allow_replace: args.allow_replace,
                    allow_breaking_flows: args.allow_breaking_flows.clone(),
                    gcsync: globals.gcsync_prefix(),
                    environment: globals.environment.clone(),
                })),
            };
            let fresh = saved.is_none();
            if let (Some(s), true) = (stream, fresh) {
                s.refresh_start(&session.state, &args.targets);
            }
            let env = |var: &str| std::env::var(var).ok();
            let (mut plan, ctx) =
                apply_op::prepare(&mut session, source, globals.environment.clone(), &env, &|v| {
                    printer.add_secret(v)
                })
                .await?;
            if let (Some(s), true) = (stream, fresh) {
                s.refresh_complete(&session.state, &args.targets);
            }
            super::runnable_hints(&mut plan, globals, &args.manifests, &args.state);
            match stream {
                Some(s) => s.plan(&plan),
                None if args.json => {}
                None => {
                    // No `--format`: the default (human) format.
                    super::formats::print_plan(printer, args.format.unwrap_or_default(), &plan, &ctx, None)
                }
            }
            if !plan.errors.is_empty() {
                return Err(CliError::new("the plan has errors; nothing was applied"));
            }
            if !plan.has_changes() {
                // Nothing to change in the org; the state may catch up with live versions.
                if apply_op::record_only(&mut session, &plan).await? {
                    printer.info("the state was brought up to date with the org's current versions");
                }
                if let Some(s) = stream {
                    s.applied(&[]);
                } else if args.json {
                    printer.json(&result_json(&plan, &[], &ctx));
                }
                return Ok(ExitStatus::Success);
            }
            if saved.is_none() && !args.auto_approve {
                confirm(printer)?;
            }
            let mut progress = |i: usize, n: usize, step: Step<'_>, outcome: Option<&Outcome>| match stream {
                Some(s) => s.step(step, outcome),
                None => report_progress(printer, i, n, step, outcome),
            };
            let env = |var: &str| {
                let v = std::env::var(var).ok();
                if let Some(v) = &v {
                    printer.add_secret(v);
                }
                v
            };
            let applying = apply_op::apply(&mut session, &plan, &env, &mut progress);
            let outcome = match stream {
                Some(s) => s.with_progress(applying).await,
                None => applying.await,
            };
            printer.progress_done();
            match outcome {
                Ok(done) => {
                    if let Some(s) = stream {
                        s.applied(&done);
                    } else if args.json {
                        printer.json(&result_json(&plan, &done, &ctx));
                    } else if args.format == Some(super::formats::PlanFormat::Terraform) {
                        let view = crate::formats::view::of_plan(&plan);
                        let n = super::formats::apply_counts(Some(&view), &done);
                        printer.outln(&format!("\n{}", crate::formats::terraform_text::apply_complete(n)));
                    } else {
                        printer.outln(&format!("\n{}", completion_line(&done)));
                    }
                    Ok(ExitStatus::Success)
                }
                Err((done, e)) => {
                    if !done.is_empty() {
                        printer.info(&format!("{} (before the error)", completion_line(&done)));
                    }
                    Err(e.into())
                }
            }
        }
        .await;
        super::close_session(session, printer).await;
        result
    })
}

/// Refuses a saved plan made for another environment before anything is locked or read:
/// its state and org are another environment's.
fn check_environment(
    saved: &SavedPlan,
    path: &std::path::Path,
    environment: Option<&str>,
) -> Result<(), CliError> {
    if saved.environment.as_deref() == environment {
        return Ok(());
    }
    let made = saved
        .environment
        .as_deref()
        .map_or("without an environment".to_string(), |e| format!("for environment `{e}`"));
    let here = environment.map_or("without an environment".to_string(), |e| format!("to environment `{e}`"));
    let fix = match (saved.environment.as_deref(), environment) {
        (Some(e), _) => format!("apply it with `gcsync --env {e} apply {}`", path.display()),
        (None, Some(_)) => format!("apply it without `--env`: `gcsync apply {}`", path.display()),
        (None, None) => String::new(),
    };
    let new_plan = environment
        .map_or("`gcsync plan --out FILE`".to_string(), |e| format!("`gcsync --env {e} plan --out FILE`"));
    Err(CliError::new(format!(
        "the saved plan `{}` was made {made}; refusing to apply it {here}",
        path.display()
    ))
    .hint(format!("{fix}, or make a plan for this environment with {new_plan}")))
}

/// Asks for `yes` on a terminal; refuses without one.
fn confirm(printer: &Printer) -> Result<(), CliError> {
    if !console::Term::stdout().is_term() || !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(CliError::new("refusing to apply without confirmation: no terminal to ask on")
            .hint("review the plan, then pass `--auto-approve` (or apply a saved plan: `gcsync plan --out FILE`, `gcsync apply FILE`)"));
    }
    printer.out("\nDo you want to apply these changes? Only `yes` is accepted: ");
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::new(format!("cannot read the answer: {e}")))?;
    if answer.trim() == "yes" { Ok(()) } else { Err(CliError::new("apply cancelled; nothing was changed")) }
}

fn report_progress(printer: &Printer, i: usize, n: usize, step: Step<'_>, outcome: Option<&Outcome>) {
    let verb = match step.op {
        Op::Create => "creating",
        Op::Update => "updating",
        Op::Replace => "replacing",
        Op::Delete => "deleting",
        Op::NoOp => "recording",
    };
    let label =
        if step.kind == "integration" { format!("integration {}", step.name) } else { step.name.to_string() };
    match outcome {
        // A note on the step in flight (a function's code upload): on a terminal it replaces
        // the progress line; otherwise one line each, so a log shows what apply waits for.
        None if let Some(detail) = step.detail => {
            if printer.stderr_is_tty() {
                printer.progress(&format!("[{i}/{n}] {verb} {label}: {detail}…"));
            } else {
                printer.info(&format!("[{i}/{n}] {label}: {detail}"));
            }
        }
        None => {
            if printer.stderr_is_tty() {
                printer.progress(&format!("[{i}/{n}] {verb} {label}…"));
            }
        }
        Some(o) => {
            let what = match o {
                Outcome::Created(id) => format!("created `{id}`"),
                Outcome::Adopted(id) => format!("adopted `{id}` (created by an interrupted earlier apply)"),
                Outcome::Updated(v) => format!("updated (version {v})"),
                Outcome::Replaced(id) => format!("replaced (new id `{id}`)"),
                Outcome::Deleted => "deleted".to_string(),
                Outcome::Recorded => "recorded in state".to_string(),
                Outcome::Integration(IntegrationOutcome::Created(id)) => format!("created `{id}`"),
                Outcome::Integration(IntegrationOutcome::Updated) => "updated".to_string(),
                Outcome::Integration(IntegrationOutcome::Deleted) => "deleted".to_string(),
                Outcome::Integration(IntegrationOutcome::Recorded) => {
                    "adopted (created by an interrupted earlier apply)".to_string()
                }
            };
            printer.progress_done();
            printer.info(&format!("[{i}/{n}] {} {label}: {what}", step.op.symbol()));
        }
    }
}

fn completion_line(done: &[(String, Outcome)]) -> String {
    let count = |f: fn(&Outcome) -> bool| done.iter().filter(|(_, o)| f(o)).count();
    format!(
        "Apply complete: {} added, {} changed, {} replaced, {} destroyed.",
        count(|o| matches!(
            o,
            Outcome::Created(_) | Outcome::Adopted(_) | Outcome::Integration(IntegrationOutcome::Created(_))
        )),
        count(|o| matches!(o, Outcome::Updated(_) | Outcome::Integration(IntegrationOutcome::Updated))),
        count(|o| matches!(o, Outcome::Replaced(_))),
        count(|o| matches!(o, Outcome::Deleted | Outcome::Integration(IntegrationOutcome::Deleted))),
    )
}

fn result_json(plan: &Plan, done: &[(String, Outcome)], ctx: &render::Context) -> serde_json::Value {
    // Every field labelled: `id` for what a step created, adopted or replaced, `version` for
    // an update.
    let applied: Vec<serde_json::Value> = done
        .iter()
        .map(|(name, o)| match o {
            Outcome::Created(id) => json!({"name": name, "outcome": "created", "id": id}),
            Outcome::Adopted(id) => json!({"name": name, "outcome": "adopted", "id": id}),
            Outcome::Updated(v) => json!({"name": name, "outcome": "updated", "version": v}),
            Outcome::Replaced(id) => json!({"name": name, "outcome": "replaced", "id": id}),
            Outcome::Deleted => json!({"name": name, "outcome": "deleted"}),
            Outcome::Recorded => json!({"name": name, "outcome": "recorded"}),
            Outcome::Integration(IntegrationOutcome::Created(id)) => {
                json!({"name": name, "outcome": "integration-created", "id": id})
            }
            Outcome::Integration(IntegrationOutcome::Updated) => {
                json!({"name": name, "outcome": "integration-updated"})
            }
            Outcome::Integration(IntegrationOutcome::Deleted) => {
                json!({"name": name, "outcome": "integration-deleted"})
            }
            Outcome::Integration(IntegrationOutcome::Recorded) => {
                json!({"name": name, "outcome": "integration-recorded"})
            }
        })
        .collect();
    json!({"format_version": crate::plan::FORMAT_VERSION, "plan": render::json(plan, ctx), "applied": applied})
}

/// The manifests and state an apply reads: a saved plan's own (recorded when it was made),
/// unless the command names them — then they must be the plan's, or the apply is refused
/// naming both (a plan is applied against exactly the inputs it was made from).
fn inputs_of(
    saved: Option<&SavedPlan>,
    args: &Args,
    globals: &Globals,
) -> Result<(Vec<std::path::PathBuf>, std::path::PathBuf), CliError> {
    let Some(saved) = saved else { return Ok((args.manifests.paths(), args.state.path(globals))) };
    let manifests = if saved.manifest_paths.is_empty() {
        // A plan from before gcsync recorded its inputs: the digest check decides.
        args.manifests.paths()
    } else if args.manifests.manifests.is_empty() {
        saved.manifest_paths.iter().map(std::path::PathBuf::from).collect()
    } else {
        let given: Vec<String> =
            args.manifests.paths().iter().map(|p| p.to_string_lossy().into_owned()).collect();
        if given != saved.manifest_paths {
            let show = |v: &[String]| {
                v.iter().map(|p| format!("-m {}", crate::cli::shell_word(p))).collect::<Vec<_>>().join(" ")
            };
            return Err(CliError::new(format!(
                "the plan was made from `{}`, this apply names `{}`",
                show(&saved.manifest_paths),
                show(&given)
            ))
            .hint("drop `-m`: `apply PLANFILE` reads the manifests the plan was made from"));
        }
        args.manifests.paths()
    };
    let state = match &args.state.state {
        Some(given) if given.to_string_lossy() != saved.state_path => {
            return Err(CliError::new(format!(
                "the plan was made with the state `{}`, this apply names `{}`",
                saved.state_path,
                given.display()
            ))
            .hint("drop `--state`: `apply PLANFILE` uses the state the plan was made with"));
        }
        Some(given) => given.clone(),
        None => std::path::PathBuf::from(&saved.state_path),
    };
    Ok((manifests, state))
}
