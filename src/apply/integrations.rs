//! Applying integration changes: credential, integration, configuration, enabled state,
//! custom auth action — in that order, with the same care as actions.
//!
//! Owns: the create sequence (journal the name, create or adopt the credential, create or
//! adopt the integration, bind the credential in `config/current` under the key Genesys
//! expects with the current version, set the enabled state, patch the custom auth action),
//! updates (rotation re-sends the credential's fields), deletes (integration, then its
//! credential; 404 means gone), and the check that credential values read at apply time
//! still hash to what the plan saw (so a saved plan cannot apply other secrets).
//! Values are read through the caller's lookup and go only into API request bodies that
//! the client never logs.
//! Must not: print or decide what to change.

use super::{Error, save};
use crate::model::integration::{IntegrationSpec, credential_key, credential_name, salted_hash};
use crate::plan::integrations::{CredentialOp, IntegrationChange};
use crate::remote::{Error as RemoteError, Remote};
use crate::state::store::StateStore;
use crate::state::{State, TrackedCredential, TrackedIntegration};
use serde_json::{Map, Value, json};

/// What happened to one integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntegrationOutcome {
    /// Created with this id.
    Created(String),
    /// Updated.
    Updated,
    /// Deleted (or found gone).
    Deleted,
    /// Recorded in state only (adoption).
    Recorded,
}

fn remote_err(name: &str) -> impl Fn(RemoteError) -> Error + '_ {
    move |source| Error::Remote { name: name.to_string(), source }
}

/// The credential body with values from the environment, checked against the plan's hashes.
pub(crate) fn credential_body(
    c: &IntegrationChange,
    spec: &IntegrationSpec,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Value>, Error> {
    let Some(cred) = &spec.credential else { return Ok(None) };
    let mut fields = Map::new();
    for (field, var) in &cred.fields {
        let value = env(var).filter(|v| !v.is_empty()).ok_or_else(|| Error::Stale {
            name: c.name.clone(),
            message: format!("environment variable `{var}` (credential field `{field}`) is not set"),
        })?;
        if let Some(expected) = c.credential.hashes.get(field)
            && salted_hash(&c.credential.salt, field, &value) != *expected
        {
            return Err(Error::Stale {
                name: c.name.clone(),
                message: format!("the value of `{var}` changed since the plan was made"),
            });
        }
        fields.insert(field.clone(), Value::String(value));
    }
    Ok(Some(json!({
        "name": credential_name(&spec.name),
        "type": {"name": cred.type_name},
        "credentialFields": fields,
    })))
}

/// Applies one integration change (creates and updates; deletes via [`delete`]). `body`:
/// the credential body [`credential_body`] built and checked before the run's first
/// mutation (`None` when the integration declares no credential).
pub async fn apply_one<R: Remote, S: StateStore>(
    c: &IntegrationChange,
    state: &mut State,
    store: &mut S,
    remote: &R,
    body: Option<Value>,
) -> Result<IntegrationOutcome, Error> {
    let spec = c.desired.clone().ok_or_else(|| Error::Corrupt(c.name.clone()))?;
    if c.action == crate::plan::integrations::IntegrationAction::Create
        && !state.pending_integrations.contains(&c.name)
    {
        state.pending_integrations.push(c.name.clone());
        save(state, store, &c.name).await?;
    }
    // 1. The credential.
    let mut credential_id = c.credential.id.clone();
    match (c.credential.op, &body) {
        (CredentialOp::Create, Some(b)) => {
            credential_id = Some(create_credential(&c.name, &spec.name, b, remote).await?);
        }
        (CredentialOp::Update, Some(b)) => {
            let id = credential_id.clone().ok_or_else(|| Error::Corrupt(c.name.clone()))?;
            remote.update_credential(&id, b).await.map_err(remote_err(&c.name))?;
        }
        _ => {}
    }
    if credential_id.is_none()
        && let Some(t) = state.integrations.get(&c.name).and_then(|t| t.credential.as_ref())
        && c.credential.op == CredentialOp::Keep
    {
        credential_id = Some(t.id.clone());
    }
    // 2. The integration.
    let (id, created) = match &c.id {
        Some(id) => (id.clone(), false),
        None => (create_integration(&c.name, &spec, remote).await?, true),
    };
    // 3. Its configuration (credential bound under the type's key), with the current version.
    let mut credentials = Map::new();
    if let (Some(cid), Some(_)) = (&credential_id, &spec.credential) {
        credentials.insert(credential_key(&spec.type_id).to_string(), json!({"id": cid}));
    }
    for attempt in 0..2 {
        let current = remote.get_integration_config(&id).await.map_err(remote_err(&c.name))?;
        // Without a version the first one is assumed; a wrong guess is a version conflict
        // the loop reads again, never a silent overwrite.
        let version = current.get("version").and_then(Value::as_i64).unwrap_or(1);
        // Rebuilding a configuration from nothing would drop its properties: refused.
        let Some(mut config) = current.as_object().cloned() else {
            return Err(Error::Remote {
                name: c.name.clone(),
                source: RemoteError::Decode {
                    method: "GET".into(),
                    path: format!("/api/v2/integrations/{id}/config/current"),
                    message: "the configuration is not a JSON object".into(),
                },
            });
        };
        config.insert("name".into(), json!(spec.name));
        config.insert("notes".into(), json!(spec.notes));
        config.insert("version".into(), json!(version));
        // Without a declared credential, a binding made outside gcsync stays (the plan says
        // "left as is"); only the credential gcsync owned and now deletes is unbound.
        let bound = if spec.credential.is_some() {
            credentials.clone()
        } else {
            // No `credentials` in the configuration: nothing is bound.
            let mut kept = current.get("credentials").and_then(Value::as_object).cloned().unwrap_or_default();
            if c.credential.op == CredentialOp::Delete
                && let Some(owned) = &c.credential.id
            {
                kept.retain(|_, v| v.get("id").and_then(Value::as_str) != Some(owned.as_str()));
            }
            kept
        };
        config.insert("credentials".into(), Value::Object(bound));
        config.entry("properties").or_insert_with(|| json!({}));
        config.entry("advanced").or_insert_with(|| json!({}));
        match remote.put_integration_config(&id, &Value::Object(config)).await {
            Ok(_) => break,
            Err(RemoteError::VersionConflict(_)) if attempt == 0 => {}
            Err(e) => return Err(Error::Remote { name: c.name.clone(), source: e }),
        }
    }
    // 4. Enabled state and notes.
    let state_body =
        json!({"intendedState": if spec.enabled { "ENABLED" } else { "DISABLED" }, "notes": spec.notes});
    remote.patch_integration(&id, &state_body).await.map_err(remote_err(&c.name))?;
    // 5. The custom auth action (userDefinedOAuth).
    if let Some(auth) = spec.credential.as_ref().and_then(|c| c.auth_action.as_ref()) {
        let auth_id = format!("customAuth_-_{id}");
        let current = remote.get_action(&auth_id).await.map_err(remote_err(&c.name))?;
        let body = json!({"config": {"request": auth.request, "response": auth.response}, "version": current.version});
        remote.patch_action(&auth_id, &body).await.map_err(remote_err(&c.name))?;
    }
    // 6. State.
    let previous = state.integrations.get(&c.name).and_then(|t| t.credential.clone());
    let credential = match (&spec.credential, credential_id) {
        (Some(cred), Some(cid)) => Some(match c.credential.op {
            CredentialOp::Create | CredentialOp::Update => TrackedCredential {
                id: cid,
                type_name: cred.type_name.clone(),
                salt: c.credential.salt.clone(),
                hashes: c.credential.hashes.clone(),
            },
            CredentialOp::Keep | CredentialOp::Delete => previous.unwrap_or(TrackedCredential {
                id: cid,
                type_name: cred.type_name.clone(),
                salt: String::new(),
                hashes: std::collections::BTreeMap::new(),
            }),
        }),
        _ => None,
    };
    state.integrations.insert(
        c.name.clone(),
        TrackedIntegration {
            id: id.clone(),
            type_id: spec.type_id.clone(),
            digest: spec.digest(),
            enabled: Some(spec.enabled),
            credential,
        },
    );
    state.pending_integrations.retain(|n| n != &c.name);
    save(state, store, &c.name).await?;
    // A credential the manifest no longer declares goes once unbound.
    if c.credential.op == CredentialOp::Delete
        && let Some(old) = &c.credential.id
    {
        remote.delete_credential(old).await.map_err(remote_err(&c.name))?;
    }
    Ok(if created { IntegrationOutcome::Created(id) } else { IntegrationOutcome::Updated })
}

async fn create_credential<R: Remote>(
    name: &str,
    integration: &str,
    body: &Value,
    remote: &R,
) -> Result<String, Error> {
    let wanted = credential_name(integration);
    for _ in 0..super::CREATE_ATTEMPTS {
        match remote.create_credential(body).await {
            Ok(v) => {
                return v
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| Error::Corrupt(name.to_string()));
            }
            Err(RemoteError::Ambiguous { .. }) => {
                let all = remote.list_credentials().await.map_err(remote_err(name))?;
                if let Some(id) = all
                    .iter()
                    .find(|c| c.get("name").and_then(Value::as_str) == Some(wanted.as_str()))
                    .and_then(|c| c.get("id").and_then(Value::as_str))
                {
                    return Ok(id.to_string());
                }
            }
            Err(e) => return Err(Error::Remote { name: name.to_string(), source: e }),
        }
    }
    Err(Error::Remote {
        name: name.to_string(),
        source: RemoteError::Transport {
            method: "POST".into(),
            path: "/api/v2/integrations/credentials".into(),
            message: "create failed".into(),
        },
    })
}

async fn create_integration<R: Remote>(
    name: &str,
    spec: &IntegrationSpec,
    remote: &R,
) -> Result<String, Error> {
    for _ in 0..super::CREATE_ATTEMPTS {
        match remote.create_integration(&spec.name, &spec.type_id, &spec.notes).await {
            Ok(i) => return Ok(i.id),
            Err(RemoteError::Ambiguous { .. }) => {
                let all = remote.list_integrations().await.map_err(remote_err(name))?;
                if let Some(i) = all.into_iter().find(|i| i.name == spec.name && i.type_id() == spec.type_id)
                {
                    return Ok(i.id);
                }
            }
            Err(e) => return Err(Error::Remote { name: name.to_string(), source: e }),
        }
    }
    Err(Error::Remote {
        name: name.to_string(),
        source: RemoteError::Transport {
            method: "POST".into(),
            path: "/api/v2/integrations".into(),
            message: "create failed".into(),
        },
    })
}

/// Deletes an integration, then its credential; gone is fine.
pub async fn delete<R: Remote, S: StateStore>(
    c: &IntegrationChange,
    state: &mut State,
    store: &mut S,
    remote: &R,
) -> Result<IntegrationOutcome, Error> {
    if !c.gone()
        && let Some(id) = &c.id
    {
        remote.delete_integration(id).await.map_err(remote_err(&c.name))?;
    }
    if let Some(cid) = &c.credential.id {
        remote.delete_credential(cid).await.map_err(remote_err(&c.name))?;
    }
    state.integrations.remove(&c.name);
    save(state, store, &c.name).await?;
    Ok(IntegrationOutcome::Deleted)
}

/// Records an adopted integration without changing it.
pub async fn record<S: StateStore>(
    c: &IntegrationChange,
    state: &mut State,
    store: &mut S,
) -> Result<IntegrationOutcome, Error> {
    let spec = c.desired.clone().ok_or_else(|| Error::Corrupt(c.name.clone()))?;
    let id = c.id.clone().ok_or_else(|| Error::Corrupt(c.name.clone()))?;
    let previous = state.integrations.get(&c.name).and_then(|t| t.credential.clone());
    state.integrations.insert(
        c.name.clone(),
        TrackedIntegration {
            id,
            type_id: spec.type_id.clone(),
            digest: spec.digest(),
            enabled: Some(spec.enabled),
            credential: previous,
        },
    );
    state.pending_integrations.retain(|n| n != &c.name);
    save(state, store, &c.name).await?;
    Ok(IntegrationOutcome::Recorded)
}
