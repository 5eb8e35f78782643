//! Command line: argument definitions (clap derive; doc comments are the `--help` text),
//! Terraform's single-dash spellings ([`argv`]), parsing with gcsync's exit-code rules, and
//! dispatch to one module per command.
//!
//! Owns: the CLI surface and the process-level flow (parse → Printer → run → exit code).
//! Must not: hold command logic (see `cli::commands::*`) or print except via the Printer.

pub mod argv;
pub mod commands;
pub mod org;
pub mod printer;

use crate::exit::{CliError, EXIT_CODES_HELP, ExitStatus};
use clap::{Parser, Subcommand};
use printer::{ColorChoice, Printer};
use std::path::PathBuf;

/// The top-level help's epilogue: the environment variables, then the exit codes.
fn after_help() -> String {
    format!("{}\n\n{EXIT_CODES_HELP}", org::env_help())
}

/// Manage Genesys Cloud data actions as code: validate, render, plan, apply, test.
#[derive(Debug, Parser)]
#[command(name = "gcsync", version, about, long_about = None, after_help = after_help(), propagate_version = true)]
pub struct Cli {
    /// More output on stderr (-v: debug, -vv: trace); secrets are never shown.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors and the command's result.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Colour: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Target the embedded local org (an in-process emulator with its data in
    /// state/local-org.json and its state in state/local.state.json) instead of the org
    /// named by the GENESYS_CLOUD_* variables.
    #[arg(long, global = true)]
    pub local: bool,

    /// Use environment NAME (`environments/NAME.yaml`): its org, its state file
    /// (default state/NAME.state.json) and its `vars:` for `{{ var.X }}` in manifests.
    #[arg(long = "env", global = true, value_name = "NAME")]
    pub env: Option<String>,

    /// Where environment files are.
    #[arg(
        long = "environments-dir",
        global = true,
        value_name = "DIR",
        env = "GCSYNC_ENVIRONMENTS",
        default_value = crate::environments::DEFAULT_DIR
    )]
    pub environments_dir: PathBuf,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Manifest directory/file arguments shared by several commands.
#[derive(Debug, Clone, clap::Args)]
pub struct ManifestArgs {
    /// Manifest directory or file (repeatable; default: `manifests/`).
    #[arg(short = 'm', long = "manifests", value_name = "DIR|FILE")]
    pub manifests: Vec<PathBuf>,
}

impl ManifestArgs {
    /// The paths to load, with the default applied.
    #[must_use]
    pub fn paths(&self) -> Vec<PathBuf> {
        if self.manifests.is_empty() { vec![PathBuf::from("manifests")] } else { self.manifests.clone() }
    }
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests offline and report every problem with file:line:column.
    #[command(after_help = "Exit codes: 0 valid (warnings allowed), 1 errors found.")]
    Validate(commands::validate::Args),

    /// Print the compiled canonical JSON of actions (what POST /api/v2/integrations/actions
    /// receives; the integration still as a name).
    Render(commands::render::Args),

    /// Turn Genesys action JSON (UI export or API shape) into manifest YAML.
    Convert(commands::convert::Args),

    /// Run a local Genesys Cloud (OAuth, integrations, actions, drafts) on loopback.
    Emulator(commands::emulator::Args),

    /// Evaluate Velocity/JSONPath requests in the oracle's JSON protocol (stdin → stdout).
    Eval(commands::eval::Args),

    /// Show what apply would change in the org (create, update, replace, delete, drift).
    #[command(
        after_help = "Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error, 2 changes present (only with --detailed-exitcode)."
    )]
    Plan(commands::plan::Args),

    /// Make the org match the manifests (after confirmation), or apply a saved plan exactly.
    Apply(commands::apply::Args),

    /// Show a saved plan (offline): as text, Terraform's plan JSON (`-json`), Markdown or
    /// GitLab's merge-request report.
    Show(commands::show::Args),

    /// Compare the org with what gcsync last applied; exit 2 when something drifted.
    #[command(after_help = "Exit codes: 0 no drift, 1 error, 2 drift found.")]
    Drift(commands::drift::Args),

    /// Which Architect flows use each action (dependency tracking); `--all`: every owned action.
    Usage(commands::usage::Args),

    /// Adopt existing org actions: write their manifests and record them in the state.
    Import(commands::import::Args),

    /// Write every custom action of the org as manifests (nothing recorded in state).
    Export(commands::export::Args),

    /// Inspect or repair the state (list, show, rm).
    State(commands::state::Args),

    /// Remove a state lock left by a run that died.
    ForceUnlock(commands::state::UnlockArgs),
    /// Run an action as Genesys does (locally, or in the org with --remote) and show every
    /// step; `--all` runs the manifests' `tests:` cases.
    Test(commands::test::Args),
}

/// Runs gcsync with these arguments and returns the process exit code.
#[must_use]
pub fn main_with_args(args: Vec<std::ffi::OsString>) -> u8 {
    // Terraform's `-json` first (its meaning depends on the command), then the other aliases.
    let args = commands::formats::terraform_style_args(args);
    let args = match argv::terraform_aliases(args) {
        Ok(a) => a,
        Err(e) => {
            Printer::new(ColorChoice::Auto, 0, false).error(&e);
            return e.status.code();
        }
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand { 1 } else { 0 }
                }
                _ => 1,
            };
            let _ = e.print();
            return code;
        }
    };
    let printer = Printer::new(cli.color, cli.verbose, cli.quiet);
    let status = match Globals::from_cli(&cli, &printer)
        .and_then(|g| run(cli, &printer, &g).map_err(|e| g.target.name_connection_variables(e)))
    {
        Ok(s) => s,
        Err(e) => {
            printer.error(&e);
            e.status
        }
    };
    status.code()
}

/// Settings every command may need, resolved from the global flags.
#[derive(Debug, Clone)]
pub struct Globals {
    /// Which org to talk to.
    pub target: org::TargetChoice,
    /// The state file path for this target (`--state` / `GCSYNC_STATE` may override it).
    pub default_state: std::path::PathBuf,
    /// The environment (`--env`), if any.
    pub environment: Option<String>,
    /// The environment's file, read (`--env`).
    pub env: Option<crate::environments::Environment>,
    /// Where environment files are (`--environments-dir`, `GCSYNC_ENVIRONMENTS`).
    pub environments_dir: PathBuf,
}

/// One word for a POSIX shell: as is when it is plain, else single-quoted.
#[must_use]
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'_' | b'-' | b'.' | b'/' | b':' | b'=' | b'@' | b'+' | b',')
        });
    if plain { word.to_string() } else { format!("'{}'", word.replace('\'', "'\\''")) }
}

impl Globals {
    /// `gcsync` with the global options this run used to pick its org (`--local`, or
    /// `--env NAME` and a non-default `--environments-dir`), so a printed hint runs
    /// against the same org and state as the command that printed it.
    #[must_use]
    pub fn gcsync_prefix(&self) -> String {
        let mut out = String::from("gcsync");
        if let Some(name) = &self.environment {
            out.push_str(&format!(" --env {}", shell_word(name)));
            if self.environments_dir != std::path::Path::new(crate::environments::DEFAULT_DIR) {
                out.push_str(&format!(
                    " --environments-dir {}",
                    shell_word(&self.environments_dir.to_string_lossy())
                ));
            }
        } else if matches!(self.target, org::TargetChoice::Local) {
            out.push_str(" --local");
        }
        out
    }

    fn from_cli(cli: &Cli, printer: &Printer) -> Result<Self, CliError> {
        let environments_dir = cli.environments_dir.clone();
        // The global target flags apply only where a command talks to an org (or, for
        // `--env`, reads an environment's variables): elsewhere they are refused by name.
        let org_free = match &cli.command {
            Command::Convert(_) => Some("convert"),
            Command::Emulator(_) => Some("emulator"),
            Command::Eval(_) => Some("eval"),
            Command::Show(_) => Some("show"),
            _ => None,
        };
        let no_local = org_free.or(match &cli.command {
            Command::Validate(_) => Some("validate"),
            Command::Render(_) => Some("render"),
            _ => None,
        });
        if let (true, Some(c)) = (cli.local, no_local) {
            return Err(CliError::new(format!("`gcsync {c}` does not talk to an org; drop `--local`")));
        }
        let default_dir = std::path::Path::new(crate::environments::DEFAULT_DIR);
        if let (true, Some(c)) = (environments_dir != default_dir, org_free) {
            return Err(CliError::new(format!(
                "`gcsync {c}` does not use environments; drop `--environments-dir`"
            )));
        }
        if let Some(name) = &cli.env {
            if cli.local {
                return Err(CliError::new("`--env` and `--local` cannot be used together").hint(
                    "an environment whose file says `target: {local: true}` uses an embedded local org of its own",
                ));
            }
            if let Some(c) = org_free {
                return Err(CliError::new(format!("`gcsync {c}` does not use an environment; drop `--env`")));
            }
            let env = load_environment(&environments_dir, name, printer)?;
            return Ok(Self {
                target: org::TargetChoice::of(&env),
                default_state: env.state.clone(),
                environment: Some(env.name.clone()),
                env: Some(env),
                environments_dir,
            });
        }
        Ok(if cli.local {
            Self {
                target: org::TargetChoice::Local,
                default_state: org::LOCAL_STATE.into(),
                environment: None,
                env: None,
                environments_dir,
            }
        } else {
            Self {
                target: org::TargetChoice::Env(crate::remote::config::EnvNames::default()),
                default_state: org::DEFAULT_STATE.into(),
                environment: None,
                env: None,
                environments_dir,
            }
        })
    }

    /// The variables for `{{ var.X }}` (the environment's), if an environment was chosen.
    #[must_use]
    pub fn vars(&self) -> Option<&crate::manifest::vars::Vars> {
        self.env.as_ref().map(|e| &e.vars)
    }
}

/// Reads environment `name`; the problems of an invalid file are printed (stderr) first.
pub fn load_environment(
    dir: &std::path::Path,
    name: &str,
    printer: &Printer,
) -> Result<crate::environments::Environment, CliError> {
    crate::environments::load(dir, name).map_err(|e| {
        if let crate::environments::Error::Invalid { diags, .. } = &e {
            printer.diagnostics(diags, &crate::diag::Sources::default(), false);
        }
        e.into()
    })
}

fn run(cli: Cli, printer: &Printer, globals: &Globals) -> Result<ExitStatus, CliError> {
    match cli.command {
        Command::Validate(a) => commands::validate::run(&a, printer, globals),
        Command::Render(a) => commands::render::run(&a, printer, globals),
        Command::Convert(a) => commands::convert::run(&a, printer),
        Command::Emulator(a) => commands::emulator::run(&a, printer),
        Command::Eval(a) => commands::eval::run(&a, printer),
        Command::Plan(a) => commands::plan::run(&a, printer, globals),
        Command::Apply(a) => commands::apply::run(&a, printer, globals),
        Command::Show(a) => commands::show::run(&a, printer),
        Command::Drift(a) => commands::drift::run(&a, printer, globals),
        Command::Usage(a) => commands::usage::run(&a, printer, globals),
        Command::Import(a) => commands::import::run(&a, printer, globals),
        Command::Export(a) => commands::export::run(&a, printer, globals),
        Command::State(a) => commands::state::run(&a, printer, globals),
        Command::ForceUnlock(a) => commands::state::unlock(&a, printer, globals),
        Command::Test(a) => commands::test::run(&a, printer, globals),
    }
}
