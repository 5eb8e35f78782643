//! `gcsync import NAME|ID...`: adopt existing org actions — write manifests and state entries.

use super::session::{self, StateArgs};
use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::convert::{self, Options};
use crate::exit::{CliError, CmdResult, ExitStatus};
use crate::model::Action;
use crate::state::TrackedAction;
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
}

/// Runs `import`.
pub fn run(args: &Args, printer: &Printer, globals: &Globals) -> CmdResult {
    let rt = crate::cli::org::runtime()?;
    rt.block_on(async {
        let mut session = session::open(globals, args.state.path(globals), Some("import"), printer).await?;
        let result = async {
            let all_integrations = session.org.client.list_integrations().await?;
            if let Some(name) = &args.integration {
                adopt_integration(&mut session, name, &all_integrations, &args.manifests, printer, globals)
                    .await?;
            }
            let integrations: BTreeMap<String, String> =
                all_integrations.into_iter().map(|i| (i.id, i.name)).collect();
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
                super::write_manifest(&path, &converted.yaml)?;
                if let Some(line) = convert::allowed_summary([&converted.allowed]) {
                    printer.warn(&line);
                }
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

/// Records an existing integration as the one an Integration manifest declares.
async fn adopt_integration(
    session: &mut super::session::Session,
    name: &str,
    all: &[crate::remote::Integration],
    manifests: &crate::cli::ManifestArgs,
    printer: &Printer,
    globals: &Globals,
) -> Result<(), CliError> {
    if session.state.integrations.contains_key(name) {
        return Err(CliError::new(format!("integration `{name}` is already managed by gcsync")));
    }
    let set = super::load_manifests(&manifests.paths(), printer, globals)?;
    let declared = set.integrations.iter().find(|i| i.name.value == name).ok_or_else(|| {
        CliError::new(format!("no `kind: Integration` manifest declares `{name}`"))
            .hint("write the Integration manifest first (name, type, credential with `{env: VAR}` fields), then import")
    })?;
    let spec = crate::manifest::integration::compile(declared);
    let live = crate::remote::client::resolve_integration(all, name)?
        .ok_or_else(|| CliError::new(format!("no integration named `{name}` in the org")))?;
    if live.type_id() != spec.type_id {
        return Err(CliError::new(format!(
            "integration `{name}` is of type `{}` in the org, the manifest says `{}`",
            live.type_id(),
            spec.type_id
        )));
    }
    let config = session.org.client.get_integration_config(&live.id).await?;
    let key = crate::model::integration::credential_key(&spec.type_id);
    let credential = config
        .pointer(&format!("/credentials/{key}/id"))
        .and_then(|v| v.as_str())
        .zip(spec.credential.as_ref())
        .map(|(id, c)| crate::state::TrackedCredential {
            id: id.to_string(),
            type_name: c.type_name.clone(),
            // Unknown values: the next plan re-sends them from the environment.
            salt: String::new(),
            hashes: BTreeMap::new(),
        });
    session.state.integrations.insert(
        name.to_string(),
        crate::state::TrackedIntegration {
            id: live.id.clone(),
            type_id: spec.type_id.clone(),
            digest: String::new(),
            enabled: Some(live.intended_state.as_deref() == Some("ENABLED")),
            credential,
        },
    );
    session.state.save(&session.state_path)?;
    printer.info(&format!(
        "adopted integration `{name}` ({}); `gcsync plan` shows what apply brings in line",
        live.id
    ));
    Ok(())
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
