//! Glue between the plan/apply/show commands and `crate::formats`: the `--format` choice
//! for plans, Terraform's `-json` spelling, and the event stream of `--json-stream`
//! (timestamps, the refresh, apply's progress hook, the 10-second progress ticks).
//!
//! Owns: which renderer a plan goes to, the wall-clock timestamps of events, and the
//! mapping of apply's step outcomes to Terraform's hook events and counts.
//! Must not: render a format itself (see `crate::formats`) or decide anything.

use crate::apply::integrations::IntegrationOutcome;
use crate::apply::{Outcome, Step};
use crate::cli::printer::Printer;
use crate::exit::CliError;
use crate::formats::events::{self, Hook, Operation, Severity};
use crate::formats::view::{self, ChangeKind, Counts, PlanView, ResourceType};
use crate::formats::{markdown, terraform_text};
use crate::plan::Plan;
use crate::plan::render::{self, Context, Paint};
use std::cell::RefCell;
use std::ffi::OsString;
use std::time::{Duration, Instant};

/// How a plan is shown on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PlanFormat {
    /// gcsync's plan (the default).
    #[default]
    Human,
    /// Terraform's plan text: the anchor lines tfcmt-style tools parse.
    Terraform,
    /// Markdown for pull request comments and `$GITHUB_STEP_SUMMARY`.
    Markdown,
}

/// Prints a plan in `format`. `full_plan`: where a truncated Markdown plan's reader finds
/// the whole plan.
pub fn print_plan(
    printer: &Printer,
    format: PlanFormat,
    plan: &Plan,
    ctx: &Context,
    full_plan: Option<String>,
) {
    match format {
        PlanFormat::Human => printer.out(&render::human(plan, ctx, Paint { color: printer.color_stdout() })),
        PlanFormat::Terraform => printer.out(&terraform_text::plan(&view::of_plan(plan))),
        PlanFormat::Markdown => {
            let opts = markdown::Options { full_plan, ..markdown::Options::default() };
            printer.out(&markdown::render(&view::of_plan(plan), &view::origin(ctx), &opts));
        }
    }
}

/// Rewrites Terraform's single-dash `-json` into gcsync's flag for the command it follows:
/// `show -json` → `--terraform-json` (the `terraform show -json` document), `plan -json` and
/// `apply -json` → `--json-stream` (Terraform's streaming UI). Other arguments are kept;
/// nothing after `--` is touched.
#[must_use]
pub fn terraform_style_args(args: Vec<OsString>) -> Vec<OsString> {
    // Global options that take a value: their value is never the command.
    const VALUED: [&str; 3] = ["--color", "--env", "--environments-dir"];
    let mut command: Option<&'static str> = None;
    let mut skip_value = false;
    let mut out = Vec::with_capacity(args.len());
    let mut rest = false;
    for (i, a) in args.into_iter().enumerate() {
        let s = a.to_string_lossy().to_string();
        if i == 0 || rest {
            out.push(a);
            continue;
        }
        if s == "--" {
            rest = true;
            out.push(a);
            continue;
        }
        if command.is_none() {
            if skip_value {
                skip_value = false;
            } else if VALUED.contains(&s.as_str()) {
                skip_value = true;
            } else if !s.starts_with('-') {
                command = match s.as_str() {
                    "show" => Some("--terraform-json"),
                    "plan" | "apply" => Some("--json-stream"),
                    _ => Some(""),
                };
            }
            out.push(a);
            continue;
        }
        match command {
            Some(flag) if !flag.is_empty() && s == "-json" => out.push(OsString::from(flag)),
            _ => out.push(a),
        }
    }
    out
}

/// The current time as Terraform's `@timestamp` (RFC 3339, microseconds).
fn now() -> String {
    humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()
}

/// How often `apply_progress` is emitted while a step runs: 10 s as Terraform, or
/// `GCSYNC_PROGRESS_SECONDS`.
fn progress_interval() -> Duration {
    let secs = std::env::var("GCSYNC_PROGRESS_SECONDS").ok().and_then(|v| v.parse::<u64>().ok());
    Duration::from_secs(secs.filter(|s| *s > 0).unwrap_or(10))
}

/// The step in flight.
struct Current {
    rtype: ResourceType,
    name: String,
    kind: ChangeKind,
    id: Option<String>,
    started: Instant,
    ticks: u64,
}

/// The event stream of one command (`--json-stream`).
pub struct Stream<'p> {
    printer: &'p Printer,
    view: RefCell<Option<PlanView>>,
    current: RefCell<Option<Current>>,
    interval: Duration,
}

impl<'p> Stream<'p> {
    /// Starts a stream: emits `version`.
    #[must_use]
    pub fn start(printer: &'p Printer) -> Self {
        let s = Self {
            printer,
            view: RefCell::new(None),
            current: RefCell::new(None),
            interval: progress_interval(),
        };
        s.emit(&events::version(&now()));
        s
    }

    fn emit(&self, v: &serde_json::Value) {
        self.printer.outln(&v.to_string());
    }

    /// `refresh_start` for every object the state tracks (the refresh reads them in one
    /// pass of list calls, so all starts precede it).
    pub fn refresh_start(&self, state: &crate::state::State, targets: &[String]) {
        let ts = now();
        for (t, name, id) in view::refresh_targets(state, targets) {
            self.emit(&events::refresh_start(t, &name, &id, &ts));
        }
    }

    /// `refresh_complete` for the same objects, after the refresh.
    pub fn refresh_complete(&self, state: &crate::state::State, targets: &[String]) {
        let ts = now();
        for (t, name, id) in view::refresh_targets(state, targets) {
            self.emit(&events::refresh_complete(t, &name, &id, &ts));
        }
    }

    /// The plan's events: drift, planned changes, errors as diagnostics, the summary.
    pub fn plan(&self, plan: &Plan) {
        let v = view::of_plan(plan);
        let ts = now();
        for e in events::plan_events(&v, &ts) {
            self.emit(&e);
        }
        *self.view.borrow_mut() = Some(v);
    }

    /// An error as a `diagnostic` (the error also goes to stderr as usual).
    pub fn error(&self, e: &CliError) {
        let mut detail = e.causes.join("; ");
        if let Some(h) = &e.hint {
            if !detail.is_empty() {
                detail.push('\n');
            }
            detail.push_str(h);
        }
        let detail = (!detail.is_empty()).then_some(detail);
        self.emit(&events::diagnostic(Severity::Error, &e.message, detail.as_deref(), None, &now()));
    }

    /// A warning as a `diagnostic`.
    pub fn warning(&self, message: &str) {
        self.emit(&events::diagnostic(Severity::Warning, message, None, None, &now()));
    }

    /// Apply's progress hook: `apply_start` when a step begins, `apply_complete` when it
    /// ends.
    pub fn step(&self, step: Step<'_>, outcome: Option<&Outcome>) {
        // A note on the step in flight: its `apply_progress` ticks cover it.
        if step.detail.is_some() {
            return;
        }
        let rtype = ResourceType::of_step(step.kind);
        let (kind, planned_id) = {
            let v = self.view.borrow();
            // Steps come from the plan the stream showed; a step it does not list (a plan
            // applied without `plan()` first) is shown as an update of unknown id.
            v.as_ref()
                .and_then(|v| v.find(rtype, step.name))
                .map_or((ChangeKind::Update, None), |r| (r.kind, r.id.clone()))
        };
        match outcome {
            None => {
                let hook = Hook { rtype, name: step.name, kind, id: planned_id.as_deref() };
                self.emit(&events::apply_start(&hook, &now()));
                *self.current.borrow_mut() = Some(Current {
                    rtype,
                    name: step.name.to_string(),
                    kind,
                    id: planned_id,
                    started: Instant::now(),
                    ticks: 0,
                });
            }
            Some(o) => {
                let started = self.current.borrow_mut().take().map(|c| c.started);
                let elapsed = started.map_or(0, |s| s.elapsed().as_secs());
                let id = outcome_id(o).or(planned_id);
                let hook = Hook { rtype, name: step.name, kind, id: id.as_deref() };
                self.emit(&events::apply_complete(&hook, elapsed, &now()));
            }
        }
    }

    /// `apply_progress` when the step in flight has run another interval.
    fn tick(&self) {
        let mut cur = self.current.borrow_mut();
        let Some(c) = cur.as_mut() else { return };
        let elapsed = c.started.elapsed();
        let due = (elapsed.as_secs_f64() / self.interval.as_secs_f64()) as u64;
        if due > c.ticks {
            c.ticks = due;
            let hook = Hook { rtype: c.rtype, name: &c.name, kind: c.kind, id: c.id.as_deref() };
            self.emit(&events::apply_progress(&hook, elapsed.as_secs(), &now()));
        }
    }

    /// The step in flight failed: `apply_errored`, then the error as a `diagnostic`.
    pub fn failed(&self, e: &CliError) {
        if let Some(c) = self.current.borrow_mut().take() {
            let hook = Hook { rtype: c.rtype, name: &c.name, kind: c.kind, id: c.id.as_deref() };
            self.emit(&events::apply_errored(&hook, c.started.elapsed().as_secs(), &now()));
        }
        self.error(e);
    }

    /// The apply's `change_summary`.
    pub fn applied(&self, done: &[(String, Outcome)]) {
        let n = apply_counts(self.view.borrow().as_ref(), done);
        self.emit(&events::change_summary(n, Operation::Apply, &now()));
    }

    /// Runs `fut` (an apply), emitting `apply_progress` for the step in flight every
    /// interval.
    pub async fn with_progress<F: std::future::Future>(&self, fut: F) -> F::Output {
        let mut fut = std::pin::pin!(fut);
        let mut ticker = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                out = &mut fut => return out,
                _ = ticker.tick() => self.tick(),
            }
        }
    }
}

/// The id an outcome reports (a new object's id).
fn outcome_id(o: &Outcome) -> Option<String> {
    match o {
        Outcome::Created(id)
        | Outcome::Adopted(id)
        | Outcome::Replaced(id)
        | Outcome::Integration(IntegrationOutcome::Created(id)) => Some(id.clone()),
        _ => None,
    }
}

/// What an apply did, counted as Terraform counts (`Apply complete! Resources: …`): a
/// replace is one add and one destroy, an adoption an import, removing the state entry of
/// an object already gone nothing.
#[must_use]
pub fn apply_counts(view: Option<&PlanView>, done: &[(String, Outcome)]) -> Counts {
    let mut n = Counts::default();
    for (name, o) in done {
        match o {
            Outcome::Created(_) | Outcome::Integration(IntegrationOutcome::Created(_)) => n.add += 1,
            Outcome::Adopted(_) | Outcome::Integration(IntegrationOutcome::Recorded) => n.import += 1,
            Outcome::Updated(_) | Outcome::Integration(IntegrationOutcome::Updated) => n.change += 1,
            Outcome::Replaced(_) => {
                n.add += 1;
                n.destroy += 1;
            }
            Outcome::Deleted => {
                let gone = view
                    .and_then(|v| v.find(ResourceType::DataAction, name))
                    .is_some_and(|r| r.kind == ChangeKind::Forget);
                if gone { n.forget += 1 } else { n.destroy += 1 }
            }
            Outcome::Integration(IntegrationOutcome::Deleted) => {
                let gone = view
                    .and_then(|v| v.find(ResourceType::Integration, name))
                    .is_some_and(|r| r.kind == ChangeKind::Forget);
                if gone { n.forget += 1 } else { n.destroy += 1 }
            }
            Outcome::Recorded => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        terraform_style_args(v.iter().map(OsString::from).collect())
            .into_iter()
            .map(|a| a.to_string_lossy().to_string())
            .collect()
    }

    #[test]
    fn single_dash_json_follows_the_command() {
        assert_eq!(
            args(&["gcsync", "show", "-json", "p.json"]),
            ["gcsync", "show", "--terraform-json", "p.json"]
        );
        assert_eq!(
            args(&["gcsync", "--local", "plan", "-json"]),
            ["gcsync", "--local", "plan", "--json-stream"]
        );
        assert_eq!(args(&["gcsync", "apply", "-json", "f"]), ["gcsync", "apply", "--json-stream", "f"]);
        // An environment named `plan` is a value, not the command.
        assert_eq!(
            args(&["gcsync", "--env", "plan", "show", "-json", "f"]),
            ["gcsync", "--env", "plan", "show", "--terraform-json", "f"]
        );
        // Other commands and `--` are untouched (clap then reports `-json` as it always did).
        assert_eq!(args(&["gcsync", "validate", "-json"]), ["gcsync", "validate", "-json"]);
        assert_eq!(args(&["gcsync", "plan", "--", "-json"]), ["gcsync", "plan", "--", "-json"]);
        assert_eq!(args(&["gcsync", "plan", "--json"]), ["gcsync", "plan", "--json"]);
    }

    #[test]
    fn go_durations() {
        assert_eq!(events::go_duration(0), "0s");
        assert_eq!(events::go_duration(64), "1m4s");
        assert_eq!(events::go_duration(3603), "1h0m3s");
    }
}
