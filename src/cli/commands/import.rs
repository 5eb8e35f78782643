//! `gcsync import NAME|ID...`: adopt existing org actions — write manifests and state entries.

use super::StateArgs;
use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::convert::{self, Options};
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::operation::import as import_op;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each argument is an action id (custom_-_…) or an exact action name. The manifest is written to DIR\n(default manifests/) and the action is recorded in the state, so gcsync manages it from now on.\n\n`--integration NAME` adopts an existing integration instead: it must be declared by a `kind: Integration`\nmanifest (in -m DIR); its id and credential are recorded, and the next apply brings notes, enabled state and\nthe credential's values (from the environment) in line with the manifest."
)]
pub struct Args {
    /// Action names or ids.
    #[arg(value_name = "NAME|ID", required_unless_present = "integration")]
    actions: Vec<String>,
    /// Adopt the org's integration of this exact name (declared by an Integration manifest).
    #[arg(long, value_name = "NAME")]
    integration: Option<String>,
    #[command(flatten)]
    manifests: crate::cli::ManifestArgs,
    /// Directory for the manifests.
    #[arg(short, long, value_name = "DIR", default_value = "manifests")]
    out: PathBuf,
    /// Overwrite existing manifest files.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    state: StateArgs,
    #[command(flatten)]
    lock: super::LockArgs,
}

/// Runs `import`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let rt = crate::cli::org::runtime()?;
    rt.block_on(async {
        let mut session = super::open_session(globals, args.state.path(globals), Some("import"), Some(&args.lock), printer).await?;
        let result = async {
            let all_integrations = session.org.client.list_integrations().await?;
            if let Some(name) = &args.integration {
                if session.state.integrations.contains_key(name.as_str()) {
                    return Err(CliError::new(format!("integration `{name}` is already managed by gcsync")));
                }
                let set = super::load_manifests(&args.manifests.paths(), printer, globals)?;
                let declared = set.integrations.iter().find(|i| &i.name.value == name).ok_or_else(|| {
                    CliError::new(format!("no `kind: Integration` manifest declares `{name}`"))
                        .hint("write the Integration manifest first (name, type, credential with `{env: VAR}` fields), then import")
                })?;
                let spec = crate::manifest::integration::compile(declared);
                let id = import_op::adopt_integration(&mut session, &spec, &all_integrations).await?;
                printer.info(&format!(
                    "adopted integration `{name}` ({id}); `gcsync plan` shows what apply brings in line"
                ));
            }
            let integrations: BTreeMap<String, String> =
                all_integrations.into_iter().map(|i| (i.id, i.name)).collect();
            for arg in &args.actions {
                let found = import_op::find(&session, arg, &integrations).await?;
                let action = &found.action;
                let json = serde_json::to_value(action).map_err(|e| CliError::new(e.to_string()))?;
                let converted = convert::convert_action(
                    &json,
                    &Options {
                        integration: Some(found.integration.clone()),
                        source_note: Some(format!("Imported by gcsync from action {}", action.id)),
                    },
                )
                .map_err(|e| CliError::new(format!("`{}`: {e}", action.name)))?;
                let path = manifest_path(&args.out, &converted.name);
                if path.exists() && !args.force {
                    return Err(CliError::new(format!("`{}` already exists", path.display()))
                        .hint("pass --force to overwrite, or -o DIR"));
                }
                super::write_manifest(&path, &converted.yaml)?;
                if let Some(line) = convert::allowed_summary([&converted.allowed]) {
                    printer.warn(&line);
                }
                import_op::record(&mut session, &found).await?;
                printer.info(&format!(
                    "imported `{}` ({}) into {} and the state",
                    action.name,
                    action.id,
                    path.display()
                ));
            }
            Ok(ExitStatus::Success)
        }
        .await;
        super::close_session(session, printer).await;
        result
    })
}

/// The manifest file for an action name.
#[must_use]
pub fn manifest_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{}.yaml", convert::slug(name)))
}
