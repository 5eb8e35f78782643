//! `gcsync export`: every custom action of the org into manifests (no state entries); a
//! name used in several integrations gives one file per integration.
//!
//! Owns: the arguments, converting what `operation::export` read into manifests, writing
//! them and the summary. Must not: read the org itself (the operation does).

use super::import::manifest_path;
use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::convert::{self, Options};
use crate::exit::{CliError, CmdResult, ExitStatus};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Arguments of `export`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Pages through every action (no cap), reads each with its templates (never writing an empty\ntemplate when the API only gave a URI), skips built-in `static` and custom-auth actions, and writes\none manifest per action. Nothing is recorded in the state: use `gcsync import` to manage actions."
)]
pub struct Args {
    /// Only actions of this integration (exact name).
    #[arg(long, value_name = "NAME")]
    integration: Option<String>,
    /// Directory for the manifests.
    #[arg(short, long, value_name = "DIR", default_value = "manifests")]
    out: PathBuf,
    /// Overwrite existing manifest files.
    #[arg(long)]
    force: bool,
}

/// Runs `export`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let rt = crate::cli::org::runtime()?;
    rt.block_on(async {
        let org = crate::cli::org::connect(&globals.target, printer).await?;
        let result = async {
            let listing = crate::operation::export::list(&org.client, args.integration.as_deref()).await?;
            let bar = printer.bar(listing.actions.len(), "reading actions");
            let read = crate::operation::export::read(&org.client, &listing, &|| bar.inc()).await;
            bar.finish();
            let exported = read?;
            let crate::operation::export::Listing { actions, integrations, shared, .. } = &listing;
            let functions: BTreeMap<String, serde_json::Value> = actions
                .iter()
                .zip(&exported)
                .filter_map(|(a, e)| e.function.clone().map(|f| (a.id.clone(), f)))
                .collect();
            let mut failed = 0usize;
            let mut written = 0usize;
            let mut function_dirs = Vec::new();
            let mut allowed = Vec::new();
            let mut used = BTreeSet::new();
            for (a, e) in actions.iter().zip(exported) {
                let outcome = e.full.map_err(CliError::from).and_then(|full| {
                    let json = serde_json::to_value(&full).map_err(|e| CliError::new(e.to_string()))?;
                    let integration = integrations.get(&a.integration_id).cloned();
                    convert::convert_action(
                        &json,
                        &Options {
                            integration,
                            source_note: Some(format!("Exported by gcsync from action {}", a.id)),
                            function: functions.get(&a.id).map(|settings| convert::FunctionExport {
                                settings: settings.clone(),
                                source: format!("../functions/{}", convert::slug(&a.name)),
                            }),
                        },
                    )
                    .map_err(|e| CliError::new(e.to_string()))
                });
                match outcome {
                    Ok(c) => {
                        let mut path = if shared.contains(&a.name) {
                            let integration = integrations.get(&a.integration_id).map_or("", String::as_str);
                            args.out.join(format!(
                                "{}-{}.yaml",
                                convert::slug(&c.name),
                                convert::slug(integration)
                            ))
                        } else {
                            manifest_path(&args.out, &c.name)
                        };
                        let mut n = 2;
                        while used.contains(&path) {
                            path = args.out.join(format!("{}-{n}.yaml", convert::slug(&c.name)));
                            n += 1;
                        }
                        used.insert(path.clone());
                        if path.exists() && !args.force {
                            printer.error(
                                &CliError::new(format!(
                                    "`{}` already exists; `{}` not exported",
                                    path.display(),
                                    a.name
                                ))
                                .hint("pass --force or -o DIR"),
                            );
                            failed += 1;
                            continue;
                        }
                        super::write_manifest(&path, &c.yaml)?;
                        written += 1;
                        if functions.contains_key(&a.id) {
                            function_dirs.push(format!("{} (for `{}`)", args.out.join("..").join("functions").join(convert::slug(&a.name)).display(), a.name));
                        }
                        allowed.push(c.allowed);
                    }
                    Err(e) => {
                        printer.error(&CliError::new(format!(
                            "`{}` ({}) not exported: {}",
                            a.name, a.id, e.message
                        )));
                        failed += 1;
                    }
                }
            }
            if let Some(line) = convert::allowed_summary(&allowed) {
                printer.warn(&line);
            }
            for (name, ids) in &listing.ambiguous_integrations {
                printer.warn(&format!(
                    "{} integrations are named `{name}` (ids {}): every plan refuses the manifests that name it until one is renamed in the org, or the one the actions must not use is deleted",
                    ids.len(),
                    ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
                ));
            }
            if !function_dirs.is_empty() {
                printer.warn(&format!(
                    "{} function action{} exported without code (Genesys never gives it back): put the code in {}; `gcsync validate` reports each source missing until then",
                    function_dirs.len(),
                    if function_dirs.len() == 1 { "" } else { "s" },
                    function_dirs.join(", ")
                ));
            }
            printer.info(&format!(
                "exported {written} action{} to {}",
                if written == 1 { "" } else { "s" },
                args.out.display()
            ));
            if failed > 0 {
                return Err(CliError::new(format!(
                    "{failed} action{} could not be exported",
                    if failed == 1 { "" } else { "s" }
                )));
            }
            Ok(ExitStatus::Success)
        }
        .await;
        org.close().await;
        result
    })
}
