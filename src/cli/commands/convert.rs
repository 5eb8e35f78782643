//! `gcsync convert`: Genesys action JSON files → manifest YAML (stdout or `-o DIR`).

use crate::cli::printer::Printer;
use crate::convert::{self, Options};
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::fsutil::write_atomic;
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
    let mut converted = Vec::new();
    let mut failures = 0usize;
    for file in &args.files {
        let text = match std::fs::read(file) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    printer.error(&CliError::new(format!("`{}` is not UTF-8 text", file.display())));
                    failures += 1;
                    continue;
                }
            },
            Err(e) => {
                printer.error(&CliError::new(format!(
                    "cannot read `{}`: {}",
                    file.display(),
                    crate::manifest::io_reason(&e)
                )));
                failures += 1;
                continue;
            }
        };
        let actions = match convert::parse_actions(&text) {
            Ok(a) => a,
            Err(e) => {
                printer.error(&CliError::new(format!("{}: {e}", file.display())));
                failures += 1;
                continue;
            }
        };
        for (i, action) in actions.iter().enumerate() {
            let opts = Options {
                integration: args.integration.clone(),
                source_note: Some(format!(
                    "Converted by gcsync from {}",
                    file.file_name()
                        .map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned())
                )),
            };
            match convert::convert_action(action, &opts) {
                Ok(c) => {
                    for n in &c.notes {
                        printer.warn(&format!("{} (`{}`): {n}", file.display(), c.name));
                    }
                    converted.push(c);
                }
                Err(e) => {
                    let at = if actions.len() > 1 { format!(" (action #{})", i + 1) } else { String::new() };
                    printer.error(&CliError::new(format!("{}{at}: {e}", file.display())));
                    failures += 1;
                }
            }
        }
    }
    match &args.out {
        None => {
            let docs: Vec<&str> = converted.iter().map(|c| c.yaml.as_str()).collect();
            printer.out(&docs.join("---\n"));
        }
        Some(dir) => {
            let mut used = std::collections::BTreeSet::new();
            for c in &converted {
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
                        &CliError::new(format!("`{}` already exists", path.display()))
                            .hint("pass --force to overwrite"),
                    );
                    failures += 1;
                    continue;
                }
                write_atomic(&path, c.yaml.as_bytes(), false).map_err(|e| {
                    CliError::new(format!(
                        "cannot write `{}`: {}",
                        path.display(),
                        crate::manifest::io_reason(&e)
                    ))
                })?;
                printer.info(&format!(
                    "wrote {} ({} form)",
                    path.display(),
                    if c.shorthand { "shorthand" } else { "raw" }
                ));
            }
        }
    }
    if failures > 0 {
        return Err(CliError::new(format!(
            "{failures} action{} could not be converted ({} converted)",
            if failures == 1 { "" } else { "s" },
            converted.len()
        )));
    }
    Ok(ExitStatus::Success)
}
