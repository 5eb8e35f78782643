//! `gcsync convert`: Genesys action JSON files → manifest YAML (stdout or `-o DIR`).

use crate::cli::printer::Printer;
use crate::convert::{self, Options};
use crate::exit::{CliError, CmdResult, ExitStatus};
use std::path::PathBuf;

/// Arguments of `convert`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each FILE holds one action, a JSON array of actions, or an entity listing ({\"entities\": [...]}).\nWithout -o the manifests are printed to stdout as one YAML stream."
)]
pub struct Args {
    /// Action JSON files (UI export or API shape).
    #[arg(value_name = "FILE.json", required = true)]
    files: Vec<PathBuf>,
    /// Write one manifest per action into this directory (`<slug-of-name>.yaml`).
    #[arg(short, long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Integration name to write into the manifests (default: guessed from `integrationType`).
    #[arg(long, value_name = "NAME")]
    integration: Option<String>,
    /// Overwrite existing manifest files in the output directory.
    #[arg(long)]
    force: bool,
}

/// Runs `convert`.
pub fn run(args: &Args, printer: &Printer) -> CmdResult {
    let mut converted: Vec<(&PathBuf, convert::Converted)> = Vec::new();
    let mut tally = Tally::default();
    for file in &args.files {
        let text = match std::fs::read(file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    printer.error(&CliError::new(format!("`{}` is not UTF-8 text", file.display())));
                    tally.bad_files += 1;
                    continue;
                }
            },
            Err(e) => {
                printer.error(&CliError::new(format!(
                    "cannot read `{}`: {}",
                    file.display(),
                    crate::fsutil::io_reason(&e)
                )));
                tally.bad_files += 1;
                continue;
            }
        };
        let actions = match convert::parse_actions(&text) {
            Ok(a) => a,
            Err(e) => {
                printer.error(&CliError::new(format!("{}: {e}", file.display())));
                tally.bad_files += 1;
                continue;
            }
        };
        for (i, action) in actions.iter().enumerate() {
            tally.total += 1;
            let opts = Options {
                function: None,
                integration: args.integration.clone(),
                source_note: Some(format!(
                    "Converted by gcsync from {}",
                    file.file_name()
                        .map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned())
                )),
            };
            let at = if actions.len() > 1 { format!(" (action #{})", i + 1) } else { String::new() };
            match convert::convert_action(action, &opts) {
                Ok(c) => {
                    for n in &c.notes {
                        printer.warn(&format!("{} (`{}`): {n}", file.display(), c.name));
                    }
                    // Action names are unique across manifests: a second action with a name
                    // already converted would make the output fail validation.
                    if let Some((first, _)) =
                        converted.iter().find(|(_, d)| d.name == c.name && d.integration == c.integration)
                    {
                        let what = if c.integration { "integration" } else { "action" };
                        printer.error(
                            &CliError::new(format!(
                                "{}{at}: {what} `{}` has the same name as an {what} converted from `{}`; not converted",
                                file.display(),
                                c.name,
                                first.display()
                            ))
                            .hint("action names must be unique; rename one of them in its JSON (or convert them separately) and run again"),
                        );
                        tally.duplicate += 1;
                        continue;
                    }
                    converted.push((file, c));
                }
                Err(e) => {
                    printer.error(&CliError::new(format!("{}{at}: {e}", file.display())));
                    tally.failed += 1;
                }
            }
        }
    }
    match &args.out {
        None => {
            let docs: Vec<&str> = converted.iter().map(|(_, c)| c.yaml.as_str()).collect();
            printer.out(&docs.join("---\n"));
            tally.written = converted.len();
        }
        Some(dir) => {
            let mut used = std::collections::BTreeSet::new();
            for (_, c) in &converted {
                let base = convert::slug(&c.name);
                let mut name = format!("{base}.yaml");
                let mut n = 2;
                while used.contains(&name) {
                    name = format!("{base}-{n}.yaml");
                    n += 1;
                }
                used.insert(name.clone());
                let path = dir.join(&name);
                if path.exists() && !args.force {
                    printer.error(
                        &CliError::new(format!(
                            "`{}` already exists; `{}` not written",
                            path.display(),
                            c.name
                        ))
                        .hint("pass --force to overwrite it, or write into another directory with -o"),
                    );
                    tally.exists += 1;
                    continue;
                }
                super::write_manifest(&path, &c.yaml)?;
                tally.written += 1;
                printer.info(&format!(
                    "wrote {} ({})",
                    path.display(),
                    if c.integration {
                        "integration with its custom auth action"
                    } else if c.shorthand {
                        "shorthand form"
                    } else {
                        "raw form"
                    }
                ));
            }
        }
    }
    if let Some(line) = convert::allowed_summary(converted.iter().map(|(_, c)| &c.allowed)) {
        printer.warn(&line);
    }
    match tally.summary(args.out.is_some()) {
        Some(problem) => Err(CliError::new(problem)),
        None => Ok(ExitStatus::Success),
    }
}

/// What happened to the actions of one run.
#[derive(Debug, Default)]
struct Tally {
    /// Actions found in the files.
    total: usize,
    /// Files that could not be read as action JSON.
    bad_files: usize,
    /// Actions that could not be converted.
    failed: usize,
    /// Actions skipped because an earlier one has the same name.
    duplicate: usize,
    /// Manifests not written because the file exists (no `--force`).
    exists: usize,
    /// Manifests written (or printed).
    written: usize,
}

impl Tally {
    /// `None` when everything was written; otherwise a true account of what was not.
    fn summary(&self, to_dir: bool) -> Option<String> {
        let mut parts = Vec::new();
        if self.bad_files > 0 {
            parts.push(format!(
                "{} file{} could not be read as actions",
                self.bad_files,
                if self.bad_files == 1 { "" } else { "s" }
            ));
        }
        if self.failed > 0 {
            parts.push(format!("{} could not be converted", self.failed));
        }
        if self.duplicate > 0 {
            parts.push(format!("{} skipped (duplicate name)", self.duplicate));
        }
        if self.exists > 0 {
            parts.push(format!("{} skipped (file exists)", self.exists));
        }
        if parts.is_empty() {
            return None;
        }
        let verb = if to_dir { "written" } else { "converted" };
        Some(format!(
            "{} of {} action{} {verb}: {}",
            self.written,
            self.total,
            if self.total == 1 { "" } else { "s" },
            parts.join(", ")
        ))
    }
}
