//! One module per command. Each exposes `Args` (clap) and `run(&Args, &Printer)`.
//!
//! Owns: orchestration of a command — load inputs, call the engine modules, hand results to
//! the Printer, choose the exit status.
//! Must not: contain engine logic that another command or a test would want to reuse.

pub mod apply;
pub mod convert;
pub mod drift;
pub mod emulator;
pub mod eval;
pub mod export;
pub mod formats;
pub mod import;
pub mod plan;
pub mod render;
pub mod show;
pub mod state;
pub mod test;
pub mod usage;
pub mod validate;

use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::diag::Diagnostics;
use crate::exit::CliError;
use crate::manifest::{self, ManifestSet};
use crate::operation::session::{self, Opening, Session};
use crate::state::backend::Location;
use crate::state::store::AnyStore;
use std::path::PathBuf;

/// `--state FILE` (also `GCSYNC_STATE`, which `--env` ignores).
#[derive(Debug, Clone, clap::Args)]
pub struct StateArgs {
    /// State location: a file, or a URL — s3://BUCKET/KEY, gs://BUCKET/KEY,
    /// az://CONTAINER/KEY, https://… (Terraform's HTTP backend, e.g. GitLab-managed state).
    /// Default: state/gcsync.state.json; state/local.state.json with --local; the
    /// environment's `state:` with --env. Also GCSYNC_STATE, except with --env: an
    /// environment keeps its own state.
    #[arg(long = "state", value_name = "FILE", global = true)]
    pub state: Option<PathBuf>,
}

impl StateArgs {
    /// The state path for this run: `--state`, else (without `--env`) `GCSYNC_STATE`, else
    /// the target's default.
    #[must_use]
    pub fn path(&self, globals: &Globals) -> PathBuf {
        if let Some(p) = &self.state {
            return p.clone();
        }
        if globals.env.is_none()
            && let Some(p) = std::env::var_os("GCSYNC_STATE").filter(|v| !v.is_empty())
        {
            return PathBuf::from(p);
        }
        globals.default_state.clone()
    }
}

/// `--lock-timeout` (plan, apply, import).
#[derive(Debug, Clone, clap::Args)]
pub struct LockArgs {
    /// Wait up to this long for a lock another run holds (`30s`, `5m`; default: fail at once).
    #[arg(long = "lock-timeout", value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<std::time::Duration>,
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: `30s`, `5m`, `1h`)"))
}

/// Opens the operation layer's session for a command: the state at `state_path` (a path or
/// a URL; locked for `operation` when given, waiting up to `lock` for a held lock), the org
/// the global flags chose; notices (a broken stale lock, waiting) as warnings.
pub async fn open_session(
    globals: &Globals,
    state_path: PathBuf,
    operation: Option<&str>,
    lock: Option<&LockArgs>,
    lists_actions: bool,
    printer: &Printer,
) -> Result<Session, CliError> {
    let location =
        Location::parse(&state_path.to_string_lossy()).map_err(crate::state::backend::Error::from)?;
    let opening = Opening {
        store: AnyStore::open(&location)?,
        operation,
        environment: globals.environment.as_deref(),
        // No `--lock-timeout`: zero, a held lock fails at once (Terraform's default).
        lock_timeout: lock.and_then(|l| l.lock_timeout).unwrap_or_default(),
        lists_actions,
    };
    session::open(opening, crate::cli::org::connect(&globals.target, printer), &|notice| printer.warn(notice))
        .await
}

/// Makes the `gcsync import …` hints of a plan's errors run as printed: the same org
/// (`--local`/`--env`), manifests (`-m`) and state (`--state`) as this run. The pure planner
/// cannot know the flags; this is the one place that adds them.
pub fn runnable_hints(
    plan: &mut crate::plan::Plan,
    globals: &Globals,
    manifests: &crate::cli::ManifestArgs,
    state: &StateArgs,
) {
    let mut flags = String::new();
    for m in &manifests.manifests {
        flags.push_str(&format!(" -m {}", crate::cli::shell_word(&m.to_string_lossy())));
    }
    if let Some(st) = &state.state {
        flags.push_str(&format!(" --state {}", crate::cli::shell_word(&st.to_string_lossy())));
    }
    let prefix = globals.gcsync_prefix();
    for e in &mut plan.errors {
        if let Some(h) = &mut e.hint {
            *h = with_flags(h, &prefix, &flags);
        }
    }
}

/// Every `` `gcsync import …` `` in `hint` with this run's prefix and flags (at the end).
fn with_flags(hint: &str, prefix: &str, flags: &str) -> String {
    const START: &str = "`gcsync import ";
    let mut out = String::new();
    let mut rest = hint;
    while let Some(i) = rest.find(START) {
        let after = &rest[i + START.len()..];
        let Some(end) = after.find('`') else { break };
        out.push_str(&rest[..i]);
        out.push_str(&format!("`{prefix} import {}{flags}`", &after[..end]));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Closes a session, warning when a remote lock could not be released.
pub async fn close_session(session: Session, printer: &Printer) {
    if let Some(warning) = session.close().await {
        printer.warn(&warning);
    }
}

/// Loads manifests (with the environment's `vars:` when `--env` was given); on errors prints
/// the diagnostics (stderr) and returns an error. Warnings are printed and loading succeeds.
pub fn load_manifests(
    paths: &[PathBuf],
    printer: &Printer,
    globals: &Globals,
) -> Result<ManifestSet, CliError> {
    let (mut set, diags) = manifest::load_with(paths, globals.vars());
    report_load_as(&set, &diags, printer, true)?;
    // Source texts only serve diagnostics, which are printed by now.
    set.sources = crate::diag::Sources::default();
    Ok(set)
}

/// [`load_manifests`] for a command about one action (`gcsync test NAME`): errors are all
/// shown, warnings only those of the file declaring that action; the rest are counted.
pub fn load_manifests_for(
    paths: &[PathBuf],
    printer: &Printer,
    globals: &Globals,
    name: &str,
) -> Result<ManifestSet, CliError> {
    let (mut set, diags) = manifest::load_with(paths, globals.vars());
    let own_file = set.actions.iter().find(|a| a.name.value == name).map(|a| a.file.clone());
    let mut shown = Diagnostics::new();
    let mut hidden = 0usize;
    for d in diags.as_slice() {
        let other = own_file.is_some() && d.file != own_file;
        if other && d.severity == crate::diag::Severity::Warning {
            hidden += 1;
        } else {
            shown.push(d.clone());
        }
    }
    report_load(&set, &shown, printer)?;
    if hidden > 0 {
        printer.info(&format!(
            "{hidden} warning{} in other manifests not shown (`gcsync validate` lists them)",
            if hidden == 1 { "" } else { "s" }
        ));
    }
    set.sources = crate::diag::Sources::default();
    Ok(set)
}

/// Writes a generated manifest atomically (convert, import, export), with the error naming
/// the file.
pub fn write_manifest(path: &std::path::Path, yaml: &str) -> Result<(), CliError> {
    crate::fsutil::write_atomic(path, yaml.as_bytes(), false).map_err(|e| {
        CliError::new(format!("cannot write `{}`: {}", path.display(), crate::fsutil::io_reason(&e)))
    })
}

fn report_load(set: &ManifestSet, diags: &Diagnostics, printer: &Printer) -> Result<(), CliError> {
    report_load_as(set, diags, printer, false)
}

/// Prints what loading found. `summarize`: errors in full, warnings as one line per run
/// counting them per rule (plan, apply, import, render, `test --all`: a project with many
/// lint warnings does not bury the plan under them; `gcsync validate` keeps the full report).
/// `-q` prints no warnings at all.
fn report_load_as(
    set: &ManifestSet,
    diags: &Diagnostics,
    printer: &Printer,
    summarize: bool,
) -> Result<(), CliError> {
    if summarize {
        let mut errors = Diagnostics::new();
        let mut per_rule: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for d in diags.as_slice() {
            if d.severity == crate::diag::Severity::Warning {
                *per_rule.entry(d.code).or_default() += 1;
            } else {
                errors.push(d.clone());
            }
        }
        if !errors.is_empty() {
            printer.diagnostics(&errors, &set.sources, false);
        }
        let total: usize = per_rule.values().sum();
        if total > 0 {
            let rules = per_rule.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", ");
            printer.warn(&format!(
                "{total} lint warning{} in the manifests ({rules}): `gcsync validate` lists them",
                if total == 1 { "" } else { "s" }
            ));
        }
    } else if !diags.is_empty() {
        printer.diagnostics(diags, &set.sources, false);
    }
    if diags.has_errors() {
        return Err(CliError::new(format!(
            "the manifests have {} error{}",
            diags.error_count(),
            if diags.error_count() == 1 { "" } else { "s" }
        ))
        .hint("run `gcsync validate` for the full report"));
    }
    Ok(())
}
