//! `gcsync validate`: every offline problem in one run, located, with exit 1 on any error.
//! With `--env NAME` the manifests are checked as resolved for that environment; with
//! `--all-envs`, every environment file and the manifests resolved for each.

use crate::cli::printer::Printer;
use crate::cli::{Globals, ManifestArgs};
use crate::diag::{Diagnostics, Sources};
use crate::environments;
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::manifest::{self, ManifestSet};
use serde_json::{Value, json};

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    manifests: ManifestArgs,
    /// Machine-readable report on stdout (`format_version` "1").
    #[arg(long)]
    json: bool,
    /// Output: human (default), sarif (SARIF 2.1.0 for GitHub code scanning) or github
    /// (`::error file=…,line=…,col=…::` workflow commands that annotate pull requests).
    #[arg(long, value_enum, hide_possible_values = true, conflicts_with_all = ["json", "all_envs"])]
    format: Option<Format>,
    /// Validate against every environment file (and the files themselves); exit 1 if any
    /// environment has errors.
    #[arg(long)]
    all_envs: bool,
}

/// `validate --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The located diagnostics with carets.
    Human,
    /// A SARIF 2.1.0 log.
    Sarif,
    /// GitHub Actions workflow commands.
    Github,
}

/// Runs `validate`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    if args.all_envs {
        if globals.environment.is_some() {
            return Err(CliError::new("`--all-envs` checks every environment; drop `--env`"));
        }
        return run_all(args, printer, globals);
    }
    let (set, diags) = manifest::load_with(&args.manifests.paths(), globals.vars());
    let errors = diags.error_count();
    if args.format == Some(Format::Sarif) {
        let log = crate::formats::sarif::log(&diags.sorted());
        printer.outln(&serde_json::to_string_pretty(&log).unwrap_or_else(|_| log.to_string()));
    } else if args.format == Some(Format::Github) {
        printer.out(&crate::formats::github::commands(&diags.sorted()));
        // An optional part of a display line: absent, nothing is shown.
        let env = globals.environment.as_ref().map(|e| format!("environment `{e}`: ")).unwrap_or_default();
        printer.outln(&format!("{env}{}", summary(&set, &diags)));
    } else if args.json {
        let mut report = report_json(&set, &diags);
        if let (Some(env), Value::Object(m)) = (&globals.env, &mut report) {
            m.insert("environment".into(), json!(env.name));
        }
        // Plain data (string keys) always serializes; the default never stands in.
        printer.outln(&serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        printer.diagnostics(&diags, &set.sources, true);
        // An optional part of a display line: absent, nothing is shown.
        let env = globals.environment.as_ref().map(|e| format!("environment `{e}`: ")).unwrap_or_default();
        printer.outln(&format!("{env}{}", summary(&set, &diags)));
    }
    Ok(if errors > 0 { ExitStatus::Error } else { ExitStatus::Success })
}

/// The `--json` report of one load.
fn report_json(set: &ManifestSet, diags: &Diagnostics) -> Value {
    json!({
        "format_version": "1",
        "valid": diags.error_count() == 0,
        "files": set.files.len(),
        "actions": set.actions.len(),
        "integrations": set.integrations.len(),
        "errors": diags.error_count(),
        "warnings": diags.warning_count(),
        "allowed": set.allowed,
        "diagnostics": diags.sorted(),
    })
}

/// `N actions in N files: no problems found` / `N errors, N warnings (...)`.
fn summary(set: &ManifestSet, diags: &Diagnostics) -> String {
    let (errors, warnings) = (diags.error_count(), diags.warning_count());
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
    let line = if errors == 0 && warnings == 0 {
        format!("{what}: no problems found")
    } else {
        format!("{errors} error{}, {warnings} warning{} ({what})", plural(errors), plural(warnings))
    };
    if set.allowed.is_empty() {
        return line;
    }
    let allowed: Vec<String> = set.allowed.iter().map(|(c, n)| format!("{c} {n}")).collect();
    format!("{line}; allowed by `# gcsync:allow`: {}", allowed.join(", "))
}

/// `--all-envs`: each environment's file, then the manifests resolved for it.
fn run_all(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let dir = &globals.environments_dir;
    if !dir.is_dir() {
        return Err(CliError::new(format!("no environments directory `{}`", dir.display())).hint(
            "an environment is a file `environments/NAME.yaml` (README \"Environments\"); `--environments-dir DIR` names another directory",
        ));
    }
    let names = environments::list(dir)?;
    if names.is_empty() {
        return Err(CliError::new(format!("no environment files in `{}`", dir.display()))
            .hint("an environment is a file `NAME.yaml` there (README \"Environments\")"));
    }
    let mut reports = Vec::new();
    let mut failed = 0;
    // State file → the first environment using it: two environments must never share one.
    let mut state_files: std::collections::BTreeMap<std::path::PathBuf, String> =
        std::collections::BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        let (file, set, diags) = match environments::load(dir, name) {
            Ok(env) => {
                let (set, mut diags) = manifest::load_with(&args.manifests.paths(), Some(&env.vars));
                match state_files.get(&env.state) {
                    Some(first) => diags.push(
                        crate::diag::Diagnostic::error(
                            "shared-state",
                            format!(
                                "environment `{name}` uses the state file `{}` of environment `{first}`",
                                env.state.display()
                            ),
                            &env.file,
                            crate::yaml::Pos::default(),
                        )
                        .with_hint(
                            "give each environment its own `state:` (default `state/NAME.state.json`)",
                        ),
                    ),
                    None => {
                        state_files.insert(env.state.clone(), name.clone());
                    }
                }
                (env.file, set, diags)
            }
            Err(environments::Error::Invalid { file, diags, .. }) => (file, ManifestSet::default(), diags),
            Err(e) => return Err(e.into()),
        };
        if diags.has_errors() {
            failed += 1;
        }
        if args.json {
            reports.push(json!({
                "name": name,
                "file": file,
                "valid": !diags.has_errors(),
                "files": set.files.len(),
                "actions": set.actions.len(),
                "errors": diags.error_count(),
                "warnings": diags.warning_count(),
                "diagnostics": diags.sorted(),
            }));
        } else {
            if i > 0 {
                printer.outln("");
            }
            printer.outln(&format!("== environment `{name}` ({})", file.display()));
            printer.diagnostics(&diags, &Sources::default(), true);
            let what = if set.files.is_empty() && diags.has_errors() {
                format!(
                    "{} error{} in the environment file",
                    diags.error_count(),
                    plural(diags.error_count())
                )
            } else {
                summary(&set, &diags)
            };
            printer.outln(&format!("environment `{name}`: {what}"));
        }
    }
    if args.json {
        let report = json!({
            "format_version": "1",
            "valid": failed == 0,
            "environments": reports,
        });
        // Plain data (string keys) always serializes; the default never stands in.
        printer.outln(&serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        let n = names.len();
        printer.outln(&if failed == 0 {
            format!("\n{n} environment{}: all valid", plural(n))
        } else {
            format!("\n{n} environment{}: {failed} with errors", plural(n))
        });
    }
    Ok(if failed > 0 { ExitStatus::Error } else { ExitStatus::Success })
}

/// "s" unless one.
#[must_use]
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
