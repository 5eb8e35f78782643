//! Everything gcsync does against an org goes through here.
//!
//! Owns: target configuration from the environment ([`config`]), the HTTP client with
//! auth, rate limit, retries and endpoint calls ([`client`]), typed API errors
//! ([`error`]), and [`Secret`], the wrapper that keeps tokens and client secrets out of
//! `Debug`/`Display` output.
//! Must not: decide what to change in the org (plan/apply do) or print.

pub mod client;
pub mod config;
pub mod error;

pub use client::{Client, ClientOptions, Idempotency, Integration, OrgInfo};
pub use error::{ApiError, Error, Result};

use crate::model::Action;
use serde_json::Value;

/// The seam between apply and the org: the mutations apply performs and the look-ups it
/// needs to resolve an unknown outcome. Implemented by [`Client`] (real HTTP; tests run it
/// against the emulator).
#[allow(async_fn_in_trait)] // used with generics on a current-thread runtime; `Send` not needed
pub trait Remote {
    /// `POST /actions`.
    async fn create_action(&self, body: &Value) -> Result<Action>;
    /// `PATCH /actions/{id}`.
    async fn patch_action(&self, id: &str, body: &Value) -> Result<Action>;
    /// `DELETE /actions/{id}`; `Ok(false)` when already gone.
    async fn delete_action(&self, id: &str) -> Result<bool>;
    /// Published actions named exactly `name`.
    async fn find_actions_by_name(&self, name: &str) -> Result<Vec<Action>>;
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
    async fn find_actions_by_name(&self, name: &str) -> Result<Vec<Action>> {
        Client::find_actions_by_name(self, name).await
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
