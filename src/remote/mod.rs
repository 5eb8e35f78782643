//! Everything gcsync does against an org goes through here.
//!
//! Owns: target configuration from the environment ([`config`]), the HTTP client with
//! auth, rate limit and sending ([`client`]), the endpoint calls (`endpoints`), pure request
//! building ([`request`]), the retry rule and limits ([`policy`]), typed API errors
//! ([`error`]), and [`Secret`], the wrapper that keeps tokens and client secrets out of
//! `Debug`/`Display` output.
//! Must not: decide what to change in the org (plan/apply do) or print.

pub mod client;
pub mod config;
mod endpoints;
pub mod error;
#[cfg(test)]
pub mod fake;
pub mod flows;
pub mod functions;
pub mod policy;
pub mod request;

pub use client::{Client, ClientOptions, Idempotency, Integration, OrgInfo};
pub use error::{ApiError, Error, Result};

use crate::model::Action;
use serde_json::Value;

/// The reads a refresh, an audit and an import make. Implemented by [`Client`] (real HTTP;
/// tests run it against the emulator) and, in unit tests, by `fake::Scripted`.
#[allow(async_fn_in_trait)] // used with generics on a current-thread runtime; `Send` not needed
pub trait Read {
    /// The API host (`api.mypurecloud.com`), which the state records with the org id.
    fn api_host(&self) -> String;
    /// `GET /organizations/me`.
    async fn org(&self) -> Result<OrgInfo>;
    /// Every published action (no config).
    async fn list_actions(&self) -> Result<Vec<Action>>;
    /// Published actions named exactly `name`.
    async fn find_actions_by_name(&self, name: &str) -> Result<Vec<Action>>;
    /// `GET /actions/{id}` with config (for the custom auth action's version).
    async fn get_action(&self, id: &str) -> Result<Action>;
    /// `GET /actions/{id}` with contract, config and both templates inlined.
    async fn get_action_full(&self, id: &str) -> Result<Action>;
    /// Every integration.
    async fn list_integrations(&self) -> Result<Vec<Integration>>;
    /// `GET /integrations/{id}/config/current`.
    async fn get_integration_config(&self, id: &str) -> Result<Value>;
    /// Every credential (no values).
    async fn list_credentials(&self) -> Result<Vec<Value>>;
    /// `GET /actions/{id}/function`: a function action's published `Function` settings
    /// (`None` when it has none).
    async fn get_function(&self, id: &str) -> Result<Option<Value>>;
    /// Drafts named exactly `name` (draft-only actions included).
    async fn find_drafts_by_name(&self, name: &str) -> Result<Vec<Action>>;
}

/// The seam between apply and the org: the mutations apply performs (the look-ups it needs
/// to resolve an unknown outcome are [`Read`]'s). Implemented by [`Client`] and, in unit
/// tests, by `fake::Scripted`.
#[allow(async_fn_in_trait)] // used with generics on a current-thread runtime; `Send` not needed
pub trait Remote: Read {
    /// `POST /actions`.
    async fn create_action(&self, body: &Value) -> Result<Action>;
    /// `PATCH /actions/{id}`.
    async fn patch_action(&self, id: &str, body: &Value) -> Result<Action>;
    /// `DELETE /actions/{id}`; `Ok(false)` when already gone.
    async fn delete_action(&self, id: &str) -> Result<bool>;
    /// `POST /integrations`.
    async fn create_integration(&self, name: &str, type_id: &str, notes: &str) -> Result<Integration>;
    /// `PATCH /integrations/{id}`.
    async fn patch_integration(&self, id: &str, body: &Value) -> Result<Integration>;
    /// `DELETE /integrations/{id}`; `Ok(false)` when already gone.
    async fn delete_integration(&self, id: &str) -> Result<bool>;
    /// `PUT /integrations/{id}/config/current`.
    async fn put_integration_config(&self, id: &str, body: &Value) -> Result<Value>;
    /// `POST /integrations/credentials` (body never logged).
    async fn create_credential(&self, body: &Value) -> Result<Value>;
    /// `PUT /integrations/credentials/{id}` (body never logged).
    async fn update_credential(&self, id: &str, body: &Value) -> Result<Value>;
    /// `DELETE /integrations/credentials/{id}`; `Ok(false)` when already gone.
    async fn delete_credential(&self, id: &str) -> Result<bool>;
    /// `POST /actions/drafts` (how a function action is created).
    async fn create_draft(&self, body: &Value) -> Result<Action>;
    /// `POST /actions/{id}/draft`: a draft from the published action.
    async fn draft_from_published(&self, id: &str) -> Result<Action>;
    /// `GET /actions/{id}/draft` with config.
    async fn get_draft(&self, id: &str) -> Result<Action>;
    /// `PATCH /actions/{id}/draft` (`version` in the body).
    async fn patch_draft(&self, id: &str, body: &Value) -> Result<Action>;
    /// `DELETE /actions/{id}/draft`; `Ok(false)` when there was none.
    async fn delete_draft(&self, id: &str) -> Result<bool>;
    /// `PUT /actions/{id}/draft/function`.
    async fn put_draft_function(&self, id: &str, function: &Value) -> Result<()>;
    /// The draft's code: request an upload URL, PUT the zip with the returned headers, wait
    /// (bounded) until the zip is `Available`, telling `progress` each status seen.
    async fn upload_function_code(
        &self,
        id: &str,
        file_name: &str,
        zip: Vec<u8>,
        progress: &dyn Fn(&str),
    ) -> Result<()>;
    /// `POST /actions/{id}/draft/publish` with the draft's version.
    async fn publish_draft(&self, id: &str, version: i64) -> Result<Action>;
}

impl Read for Client {
    fn api_host(&self) -> String {
        self.target().api_host()
    }
    async fn org(&self) -> Result<OrgInfo> {
        Client::org(self).await
    }
    async fn list_actions(&self) -> Result<Vec<Action>> {
        Client::list_actions(self).await
    }
    async fn find_actions_by_name(&self, name: &str) -> Result<Vec<Action>> {
        Client::find_actions_by_name(self, name).await
    }
    async fn get_action(&self, id: &str) -> Result<Action> {
        Client::get_action(self, id, false).await
    }
    async fn get_action_full(&self, id: &str) -> Result<Action> {
        Client::get_action_full(self, id, false).await
    }
    async fn list_integrations(&self) -> Result<Vec<Integration>> {
        Client::list_integrations(self).await
    }
    async fn get_integration_config(&self, id: &str) -> Result<Value> {
        Client::get_integration_config(self, id).await
    }
    async fn list_credentials(&self) -> Result<Vec<Value>> {
        Client::list_credentials(self).await
    }
    async fn get_function(&self, id: &str) -> Result<Option<Value>> {
        Ok(Client::get_function(self, id).await?.function)
    }
    async fn find_drafts_by_name(&self, name: &str) -> Result<Vec<Action>> {
        Client::find_drafts_by_name(self, name).await
    }
}

impl Remote for Client {
    async fn create_action(&self, body: &Value) -> Result<Action> {
        Client::create_action(self, body).await
    }
    async fn patch_action(&self, id: &str, body: &Value) -> Result<Action> {
        Client::patch_action(self, id, body).await
    }
    async fn delete_action(&self, id: &str) -> Result<bool> {
        Client::delete_action(self, id).await
    }
    async fn create_integration(&self, name: &str, type_id: &str, notes: &str) -> Result<Integration> {
        Client::create_integration(self, name, type_id, notes).await
    }
    async fn patch_integration(&self, id: &str, body: &Value) -> Result<Integration> {
        Client::patch_integration(self, id, body).await
    }
    async fn delete_integration(&self, id: &str) -> Result<bool> {
        Client::delete_integration(self, id).await
    }
    async fn put_integration_config(&self, id: &str, body: &Value) -> Result<Value> {
        Client::put_integration_config(self, id, body).await
    }
    async fn create_credential(&self, body: &Value) -> Result<Value> {
        Client::create_credential(self, body).await
    }
    async fn update_credential(&self, id: &str, body: &Value) -> Result<Value> {
        Client::update_credential(self, id, body).await
    }
    async fn delete_credential(&self, id: &str) -> Result<bool> {
        Client::delete_credential(self, id).await
    }
    async fn create_draft(&self, body: &Value) -> Result<Action> {
        Client::create_draft(self, body).await
    }
    async fn draft_from_published(&self, id: &str) -> Result<Action> {
        Client::draft_from_published(self, id).await
    }
    async fn get_draft(&self, id: &str) -> Result<Action> {
        Client::get_action(self, id, true).await
    }
    async fn patch_draft(&self, id: &str, body: &Value) -> Result<Action> {
        Client::patch_draft(self, id, body).await
    }
    async fn delete_draft(&self, id: &str) -> Result<bool> {
        Client::delete_draft(self, id).await
    }
    async fn put_draft_function(&self, id: &str, function: &Value) -> Result<()> {
        Client::put_draft_function(self, id, function).await.map(|_| ())
    }
    async fn upload_function_code(
        &self,
        id: &str,
        file_name: &str,
        zip: Vec<u8>,
        progress: &dyn Fn(&str),
    ) -> Result<()> {
        Client::upload_function_code(self, id, file_name, zip, functions::ZIP_WAIT, progress).await?;
        Ok(())
    }
    async fn publish_draft(&self, id: &str, version: i64) -> Result<Action> {
        Client::publish_draft(self, id, version).await
    }
}

/// A secret string (token, client secret, credential value): its `Debug` and `Display`
/// show `[redacted]`; the value is reachable only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    #[must_use]
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The value, for the one place that must send it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2-very-secret".into());
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter2-very-secret");
    }
}
