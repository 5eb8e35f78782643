//! `gcsync import NAME|ID...|--all`: adopt existing org actions and integrations. An action a
//! manifest already declares is recorded in the state only (the manifest is the user's);
//! otherwise its manifest is written from the org. Overwriting a manifest needs `--force`
//! and says which file it replaced.

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
    after_help = "Each argument is an action id (custom_-_…) or an exact action name. When a manifest (-m) already declares\nthat name, the action is only recorded in the state (no file is written; `gcsync plan` then shows what apply\nchanges to match the manifest). Otherwise its manifest is written to DIR (default manifests/) from the org.\n`--force` overwrites an existing manifest with the org's version and names the file it replaced.\n\n`--all` adopts every action and integration the manifests declare that exists unowned in the org (state\nonly, no file written).\n\n`--integration NAME` adopts an existing integration instead: it must be declared by a `kind: Integration`\nmanifest (in -m DIR); its id and credential are recorded, and the next apply brings notes, enabled state and\nthe credential's values (from the environment) in line with the manifest."
)]
pub struct Args {
    /// Action names or ids.
    #[arg(value_name = "NAME|ID", required_unless_present_any = ["integration", "all"])]
    actions: Vec<String>,
    /// Adopt everything the manifests declare that exists unowned in the org (state only).
    #[arg(long, conflicts_with_all = ["actions", "integration", "force"])]
    all: bool,
    /// Adopt the org's integration of this exact name (declared by an Integration manifest).
    #[arg(long, value_name = "NAME")]
    integration: Option<String>,
    #[command(flatten)]
    manifests: crate::cli::ManifestArgs,
    /// Directory for the manifests.
    #[arg(short, long, value_name = "DIR", default_value = "manifests")]
    out: PathBuf,
    /// Write the org's version over an existing manifest (the default keeps the manifest and
    /// records the state only).
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
        let mut session = super::open_session(globals, args.state.path(globals), Some("import"), Some(&args.lock), false, printer).await?;
        let result = async {
            let all_integrations = import_op::integrations(&session).await?;
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
            if args.all {
                return import_all(&mut session, &all_integrations, args, printer, globals).await;
            }
            // Which manifests declare which names (a project with lint errors still answers).
            let (set, _) = crate::manifest::load_with(&args.manifests.paths(), globals.vars());
            let declared: Vec<(&str, &str, &Path)> = set
                .actions
                .iter()
                .map(|m| (m.name.value.as_str(), m.integration.value.as_str(), m.file.as_path()))
                .collect();
            let elsewhere = |name: &str, integration: &str| {
                declared.iter().any(|(n, i, _)| *n == name && *i != integration)
            };
            let function_integrations = import_op::function_integrations(&all_integrations);
            let integrations: BTreeMap<String, String> =
                all_integrations.into_iter().map(|i| (i.id, i.name)).collect();
            for arg in &args.actions {
                let found =
                    import_op::find(&session, arg, &integrations, &function_integrations, &elsewhere).await?;
                let action = &found.action;
                let declared_here = declared
                    .iter()
                    .find(|(n, i, _)| *n == action.name && *i == found.integration)
                    .map(|(_, _, file)| *file);
                if let (Some(file), false) = (declared_here, args.force) {
                    import_op::record(&mut session, &found).await?;
                    printer.info(&format!(
                        "adopted `{}` ({}) into the state; `{}` declares it and was left as it is (`gcsync plan` shows what apply changes to match it)",
                        found.address,
                        action.id,
                        file.display()
                    ));
                    continue;
                }
                let json = serde_json::to_value(action).map_err(|e| CliError::new(e.to_string()))?;
                let converted = convert::convert_action(
                    &json,
                    &Options {
                        integration: Some(found.integration.clone()),
                        source_note: Some(format!("Imported by gcsync from action {}", action.id)),
                        function: found.function.as_ref().map(|settings| convert::FunctionExport {
                            settings: settings.clone(),
                            source: format!("../functions/{}", convert::slug(&action.name)),
                        }),
                    },
                )
                .map_err(|e| CliError::new(format!("`{}`: {e}", action.name)))?;
                if converted.integration {
                    return Err(CliError::new(format!(
                        "`{}` ({}) is the custom auth action of integration `{}`: gcsync manages it as the `authAction` of that integration's `userDefinedOAuth` credential, not as an action; declare the integration in a `kind: Integration` manifest and import the integration by its name",
                        action.name, action.id, found.integration
                    )));
                }
                let path = match declared_here {
                    Some(file) => file.to_path_buf(),
                    // The name is declared in another integration: a file of its own.
                    None if found.address != action.name => args.out.join(format!(
                        "{}-{}.yaml",
                        convert::slug(&action.name),
                        convert::slug(&found.integration)
                    )),
                    None => manifest_path(&args.out, &converted.name),
                };
                let existed = path.exists();
                if existed && !args.force {
                    return Err(CliError::new(format!("`{}` already exists", path.display()))
                        .hint("pass --force to overwrite it with the org's version, or -o DIR"));
                }
                super::write_manifest(&path, &converted.yaml)?;
                if let Some(line) = convert::allowed_summary([&converted.allowed]) {
                    printer.warn(&line);
                }
                import_op::record(&mut session, &found).await?;
                let verb = if existed { "replaced" } else { "wrote" };
                printer.info(&format!(
                    "imported `{}` ({}): {verb} {} with the org's version, and recorded it in the state",
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

/// `import --all`: adopts every declared action and integration that exists unowned in the
/// org, recording the state only. Problems (a name twice in one integration, an id already
/// owned) are listed and make the exit status 1; everything else is adopted.
async fn import_all(
    session: &mut crate::operation::session::Session,
    all_integrations: &[crate::remote::Integration],
    args: &Args,
    printer: &Printer,
    globals: &Globals,
) -> CmdResult {
    let set = super::load_manifests(&args.manifests.paths(), printer, globals)?;
    let mut adopted_integrations = 0;
    for m in &set.integrations {
        let name = m.name.value.as_str();
        if session.state.integrations.contains_key(name) {
            continue;
        }
        if crate::remote::client::resolve_integration(all_integrations, name)?.is_none() {
            continue;
        }
        let spec = crate::manifest::integration::compile(m);
        let id = import_op::adopt_integration(session, &spec, all_integrations).await?;
        printer.info(&format!("adopted integration `{name}` ({id})"));
        adopted_integrations += 1;
    }
    let declared: Vec<(String, String)> =
        set.actions.iter().map(|m| (m.name.value.clone(), m.integration.value.clone())).collect();
    let bar = printer.bar(declared.len(), "surveying the org");
    let survey = import_op::survey(session, &declared, all_integrations, &|| bar.inc()).await;
    bar.finish();
    let survey = survey?;
    import_op::record_all(session, &survey.adoptable).await?;
    for f in &survey.adoptable {
        printer.info(&format!("adopted `{}` ({})", f.address, f.action.id));
    }
    for (name, why) in &survey.problems {
        printer.warn(&format!("not adopted `{name}`: {why}"));
    }
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    printer.outln(&format!(
        "Adopted {} and {} into the state (no manifest written); {} already managed, {} not in the org (apply creates {}).",
        plural(survey.adoptable.len(), "action"),
        plural(adopted_integrations, "integration"),
        survey.managed.len(),
        survey.absent.len(),
        if survey.absent.len() == 1 { "it" } else { "them" },
    ));
    if !survey.adoptable.is_empty() || adopted_integrations > 0 {
        printer.outln(&format!(
            "`{} plan` shows what apply changes to match the manifests.",
            globals.gcsync_prefix()
        ));
    }
    Ok(if survey.problems.is_empty() { ExitStatus::Success } else { ExitStatus::Error })
}

/// The manifest file for an action name.
#[must_use]
pub fn manifest_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{}.yaml", convert::slug(name)))
}
