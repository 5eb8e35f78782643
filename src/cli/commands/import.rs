//! `gcsync import NAME|ID...`: adopt existing org actions — write manifests and state entries.

use super::session::{self, StateArgs};
use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::convert::{self, Options};
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::fsutil::write_atomic;
use crate::model::Action;
use crate::state::TrackedAction;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Each argument is an action id (custom_-_…) or an exact action name. The manifest is written to DIR\n(default manifests/) and the action is recorded in the state, so gcsync manages it from now on."
)]
pub struct Args {
    /// Action names or ids.
    #[arg(value_name = "NAME|ID", required = true)]
    actions: Vec<String>,
    /// Directory for the manifests.
    #[arg(short, long, value_name = "DIR", default_value = "manifests")]
    out: PathBuf,
    /// Overwrite existing manifest files.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    state: StateArgs,
}

/// Runs `import`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let rt = crate::cli::org::runtime()?;
    rt.block_on(async {
        let mut session = session::open(globals, args.state.path(globals), Some("import"), printer).await?;
        let result = async {
            let integrations: BTreeMap<String, String> =
                session.org.client.list_integrations().await?.into_iter().map(|i| (i.id, i.name)).collect();
            for arg in &args.actions {
                let action = find(&session.org.client, arg).await?;
                if let Some((name, _)) = session.state.actions.iter().find(|(_, t)| t.id == action.id) {
                    return Err(CliError::new(format!("`{arg}` is already managed by gcsync (as `{name}`)")));
                }
                if session.state.actions.contains_key(&action.name) {
                    return Err(CliError::new(format!(
                        "the state already tracks another action named `{}`",
                        action.name
                    )));
                }
                let integration = integrations.get(&action.integration_id).cloned().ok_or_else(|| {
                    CliError::new(format!(
                        "integration `{}` of `{}` is not visible to this OAuth client",
                        action.integration_id, action.name
                    ))
                })?;
                let full = session.org.client.get_action_full(&action.id, false).await?;
                let json = serde_json::to_value(&full).map_err(|e| CliError::new(e.to_string()))?;
                let converted = convert::convert_action(
                    &json,
                    &Options {
                        integration: Some(integration.clone()),
                        source_note: Some(format!("Imported by gcsync from action {}", action.id)),
                    },
                )
                .map_err(|e| CliError::new(format!("`{}`: {e}", action.name)))?;
                let path = manifest_path(&args.out, &converted.name);
                if path.exists() && !args.force {
                    return Err(CliError::new(format!("`{}` already exists", path.display()))
                        .hint("pass --force to overwrite, or -o DIR"));
                }
                write_atomic(&path, converted.yaml.as_bytes(), false).map_err(|e| {
                    CliError::new(format!(
                        "cannot write `{}`: {}",
                        path.display(),
                        crate::manifest::io_reason(&e)
                    ))
                })?;
                let spec = full.to_spec();
                session.state.actions.insert(
                    action.name.clone(),
                    TrackedAction::from_spec(&action.id, full.version, &integration, &spec),
                );
                session.state.save(&session.state_path)?;
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
        session.close().await;
        result
    })
}

/// The manifest file for an action name.
#[must_use]
pub fn manifest_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{}.yaml", convert::slug(name)))
}

async fn find(client: &crate::remote::Client, arg: &str) -> Result<Action, CliError> {
    let looks_like_id =
        arg.starts_with("custom_-_") || (arg.len() == 36 && arg.chars().filter(|c| *c == '-').count() == 4);
    if looks_like_id {
        match client.get_action(arg, false).await {
            Ok(a) => return Ok(a),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let found = client.find_actions_by_name(arg).await?;
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::new(format!("no action with the id or exact name `{arg}` in the org"))),
        many => Err(CliError::new(format!(
            "{} actions are named `{arg}` (ids {}); import by id",
            many.len(),
            many.iter().map(|a| format!("`{}`", a.id)).collect::<Vec<_>>().join(", ")
        ))),
    }
}
