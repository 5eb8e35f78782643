//! `gcsync test --remote` and the local org's identity for real runs: the org reads and the
//! org's own test call.
//!
//! Owns: finding the org's action (or draft) by exact name and reading it in full, asking
//! the org to test it (`POST /actions/{id}[/draft]/test`) and reading the answer as a
//! `TestExecutionResult`, and the local org's id for the runtime's `ExecEnv`.
//! Must not: compile or run actions locally (`exec` does), decide whether a write may run,
//! print or register secrets (the command does).

use crate::exec::{ExecEnv, TestExecutionResult};
use crate::exit::CliError;
use crate::model::Action;
use crate::remote::Client;
use serde_json::Value;

/// The org's action (`draft`: its draft) named exactly `name`, read in full.
pub async fn find(client: &Client, name: &str, draft: bool) -> Result<Action, CliError> {
    let found = if draft { client.list_drafts().await } else { client.find_actions_by_name(name).await }
        .map_err(|e| CliError::from_error("cannot list the org's actions", &e))?;
    let matching: Vec<_> = found.into_iter().filter(|a| a.name == name).collect();
    let action = match matching.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(CliError::new(format!(
                "no {}action named `{name}` in the org",
                if draft { "draft " } else { "" }
            ))
            .hint("create it first (`gcsync apply`), or drop `--remote` to run the manifest locally"));
        }
        many => {
            return Err(CliError::new(format!(
                "{} actions are named `{name}` in the org: {}",
                many.len(),
                many.iter().map(|a| format!("`{}`", a.id)).collect::<Vec<_>>().join(", ")
            )));
        }
    };
    client
        .get_action(&action.id, draft)
        .await
        .map_err(|e| CliError::from_error(format!("cannot read action `{name}`"), &e))
}

/// Asks the org to test action `id` with `body`.
pub async fn test(
    client: &Client,
    name: &str,
    id: &str,
    draft: bool,
    body: &Value,
    flatten: bool,
) -> Result<TestExecutionResult, CliError> {
    let answer = client
        .test_action(id, draft, body, flatten)
        .await
        .map_err(|e| CliError::from_error(format!("the org could not test `{name}`"), &e))?;
    serde_json::from_value(answer)
        .map_err(|e| CliError::new(format!("the org's test result is not a TestExecutionResult: {e}")))
}

/// The runtime's environment for runs against the local org: its organization id.
pub async fn local_env(client: &Client) -> Result<ExecEnv, CliError> {
    let info = client.org().await.map_err(|e| CliError::from_error("cannot read the local org", &e))?;
    Ok(ExecEnv { org_id: info.id.clone(), home_org_id: info.id, ..ExecEnv::default() })
}
