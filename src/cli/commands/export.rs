//! `gcsync export`: every custom action of the org into manifests (no state entries); a
//! name used in several integrations gives one file per integration.

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
            let client = &org.client;
            let all_integrations = client.list_integrations().await?;
            let function_integrations: BTreeSet<String> = all_integrations
                .iter()
                .filter(|i| i.type_id() == crate::function::INTEGRATION_TYPE)
                .map(|i| i.id.clone())
                .collect();
            let integrations: BTreeMap<String, String> =
                all_integrations.into_iter().map(|i| (i.id, i.name)).collect();
            let wanted_integration =
                match &args.integration {
                    Some(name) => Some(
                        integrations.iter().find(|(_, n)| *n == name).map(|(id, _)| id.clone()).ok_or_else(
                            || CliError::new(format!("no integration named `{name}` in the org")),
                        )?,
                    ),
                    None => None,
                };
            let actions: Vec<_> = client
                .list_actions()
                .await?
                .into_iter()
                .filter(|a| !a.id.starts_with("static") && !a.id.starts_with("customAuth_-_"))
                .filter(|a| wanted_integration.as_ref().is_none_or(|w| &a.integration_id == w))
                .collect();
            // Genesys allows one name in several integrations: such actions are all exported,
            // each to a file named after its name and integration (their identity in gcsync is
            // integration plus name; the plan addresses them as `NAME [INTEGRATION]`).
            let mut integrations_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for a in &actions {
                integrations_of.entry(a.name.as_str()).or_default().insert(a.integration_id.as_str());
            }
            let shared: BTreeSet<String> = integrations_of
                .iter()
                .filter(|(_, ids)| ids.len() > 1)
                .map(|(n, _)| (*n).to_string())
                .collect();
            drop(integrations_of);
            let mut failed = 0usize;
            let bar = printer.bar(actions.len(), "reading actions");
            let fulls = futures_util::future::join_all(actions.iter().map(|a| async {
                let full = client.get_action_full(&a.id, false).await;
                bar.inc();
                full
            }))
            .await;
            bar.finish();
            // Function actions: their published settings (the code never comes back).
            let mut functions = BTreeMap::new();
            for a in actions.iter().filter(|a| function_integrations.contains(&a.integration_id)) {
                if let Some(settings) = client.get_function(&a.id).await?.function {
                    functions.insert(a.id.clone(), settings);
                }
            }
            let mut written = 0usize;
            let mut function_dirs = Vec::new();
            let mut allowed = Vec::new();
            let mut used = BTreeSet::new();
            for (a, full) in actions.iter().zip(fulls) {
                let outcome = full.map_err(CliError::from).and_then(|full| {
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
