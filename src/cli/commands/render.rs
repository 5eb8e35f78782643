//! `gcsync render`: the compiled canonical JSON of actions, deterministic bytes (with
//! `--env NAME`, after `{{ var.X }}` substitution with that environment's values).

use super::load_manifests;
use crate::cli::printer::Printer;
use crate::cli::{Globals, ManifestArgs};
use crate::exit::{CliError, CmdResult, ExitStatus};
use serde_json::Value;

/// Arguments of `render`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "One NAME prints one JSON object; several (or none: all actions) print a JSON array sorted by name."
)]
pub struct Args {
    /// Action names to render (default: all).
    #[arg(value_name = "NAME")]
    names: Vec<String>,
    #[command(flatten)]
    manifests: ManifestArgs,
}

/// Runs `render` (with `--env NAME`: the actions resolved for that environment).
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let set = load_manifests(&args.manifests.paths(), printer, globals)?;
    let mut specs = set.specs();
    specs.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    let mut selected = Vec::new();
    if args.names.is_empty() {
        selected = specs.iter().map(|(_, s)| s.to_post_json("integration")).collect();
    } else {
        for name in &args.names {
            match specs.iter().find(|(_, s)| &s.name == name) {
                Some((_, s)) => selected.push(s.to_post_json("integration")),
                None => {
                    let known: Vec<&str> = specs.iter().map(|(_, s)| s.name.as_str()).collect();
                    let mut e = CliError::new(format!("no action named `{name}` in the manifests"));
                    if let Some(s) = crate::manifest::reader::suggest(name, &known) {
                        e = e.hint(format!("did you mean `{s}`?"));
                    }
                    return Err(e);
                }
            }
        }
    }
    let value = if args.names.len() == 1 {
        // Exactly one name was asked for and resolved above; null cannot be shown.
        selected.into_iter().next().unwrap_or(Value::Null)
    } else {
        Value::Array(selected)
    };
    printer.json(&value);
    Ok(ExitStatus::Success)
}
