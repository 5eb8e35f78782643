//! The desired integration and its credential (from `kind: Integration` manifests).
//!
//! Owns: [`IntegrationSpec`] / [`CredentialSpec`] (credential *field names and the
//! environment variables holding their values* — never the values), the integration and
//! credential type lists, where Genesys binds a credential in an integration's
//! configuration, the digest of the non-secret definition, and the salted hash that lets
//! state notice a rotated secret without ever storing it.
//! Must not: read the environment, files or the API.

use super::{RequestConfig, ResponseConfig, digest};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// Integration types gcsync manages.
pub const INTEGRATION_TYPES: [&str; 3] =
    ["custom-rest-actions", "purecloud-data-actions", "function-data-actions"];

/// Credential types of web-services integrations (reference §2.3, §4.4).
pub const CREDENTIAL_TYPES: [&str; 4] =
    ["basicAuth", "userDefined", "userDefinedOAuth", "pureCloudOAuthClient"];

/// The key under `config.credentials` where an integration type expects its credential:
/// `basicAuth` for `custom-rest-actions` whatever the credential's type, and
/// `pureCloudOAuthClient` for `purecloud-data-actions` (reference §2.3).
#[must_use]
pub fn credential_key(type_id: &str) -> &'static str {
    if type_id == "purecloud-data-actions" { "pureCloudOAuthClient" } else { "basicAuth" }
}

/// The custom authentication action's configuration (`userDefinedOAuth`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthActionSpec {
    /// Request config.
    pub request: RequestConfig,
    /// Response config.
    pub response: ResponseConfig,
}

/// A credential: type, and field → environment variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialSpec {
    /// `basicAuth`, `userDefined`, `userDefinedOAuth`, `pureCloudOAuthClient`.
    pub type_name: String,
    /// Field name → name of the environment variable holding its value.
    pub fields: BTreeMap<String, String>,
    /// The custom auth action's config (`userDefinedOAuth` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_action: Option<AuthActionSpec>,
}

/// An integration as gcsync desires it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationSpec {
    /// Name (actions refer to it).
    pub name: String,
    /// Type id.
    pub type_id: String,
    /// Enabled (`intendedState` ENABLED) or not.
    pub enabled: bool,
    /// Notes.
    pub notes: String,
    /// Credential, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<CredentialSpec>,
}

impl IntegrationSpec {
    /// The managed fields (no secret values), for diffs.
    #[must_use]
    pub fn fields(&self) -> Vec<(&'static str, serde_json::Value)> {
        let c = self.credential.as_ref();
        vec![
            ("type", json!(self.type_id)),
            ("enabled", json!(self.enabled)),
            ("notes", json!(self.notes)),
            ("credential.type", c.map_or(serde_json::Value::Null, |c| json!(c.type_name))),
            ("credential.fields", c.map_or(serde_json::Value::Null, |c| json!(c.fields))),
            (
                "credential.authAction",
                c.and_then(|c| c.auth_action.as_ref()).map_or(serde_json::Value::Null, |a| {
                    digest::canonical(&json!({"request": a.request, "response": a.response}))
                }),
            ),
        ]
    }

    /// `sha256:` over the non-secret definition.
    #[must_use]
    pub fn digest(&self) -> String {
        let v: serde_json::Map<String, serde_json::Value> =
            self.fields().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        digest::digest_value(&serde_json::Value::Object(v))
    }
}

/// The name gcsync gives the credential of an integration (deterministic, so an
/// interrupted apply finds the credential it created).
#[must_use]
pub fn credential_name(integration: &str) -> String {
    format!("{integration} (gcsync)")
}

/// PBKDF2 rounds of [`salted_hash`]: a guess at a credential value costs this many
/// HMAC-SHA256 evaluations (about 40 ms on a 2-vCPU EPYC), so a leaked state or plan file does not make
/// a weak password cheap to find. Stored with each hash, so it can grow later.
pub const HASH_ROUNDS: u32 = 100_000;

/// `pbkdf2-sha256:<rounds>:<hex>` of a credential field value, salted with a random
/// per-credential salt and the field name: the state and plan files keep this, never the
/// value, and a changed environment value shows up as a rotation.
#[must_use]
pub fn salted_hash(salt: &str, field: &str, value: &str) -> String {
    let mut salt_bytes = Vec::with_capacity(salt.len() + field.len() + 1);
    salt_bytes.extend_from_slice(salt.as_bytes());
    salt_bytes.push(0);
    salt_bytes.extend_from_slice(field.as_bytes());
    let mut key = [0u8; 32];
    // The non-generic entry point is compiled (optimized) inside the pbkdf2 crate, which
    // keeps debug builds and tests fast; `Params::new` only refuses fewer than 1000 rounds.
    match pbkdf2::Params::new(HASH_ROUNDS) {
        Ok(params) => pbkdf2::pbkdf2_hmac_with_params(
            value.as_bytes(),
            &salt_bytes,
            pbkdf2::Algorithm::Pbkdf2Sha256,
            params,
            &mut key,
        ),
        Err(_) => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(value.as_bytes(), &salt_bytes, HASH_ROUNDS, &mut key),
    }
    let mut out = format!("pbkdf2-sha256:{HASH_ROUNDS}:");
    for b in key {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Whether `stored` (from a state written by this or an earlier gcsync) is the hash of
/// `value`. `fresh` is [`salted_hash`] of the value with the same salt, already computed.
/// Earlier states stored a single salted sha256 (`sha256:`); those still compare, and the
/// next apply that touches the credential rewrites them in the current form.
#[must_use]
pub fn hash_matches(stored: &str, fresh: &str, salt: &str, field: &str, value: &str) -> bool {
    if stored == fresh {
        return true;
    }
    if stored.starts_with("sha256:") {
        let mut bytes = Vec::with_capacity(salt.len() + field.len() + value.len() + 2);
        bytes.extend_from_slice(salt.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(field.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(value.as_bytes());
        return digest::digest_bytes(&bytes) == stored;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_depend_on_salt_field_and_value() {
        let a = salted_hash("s1", "password", "hunter2");
        assert_ne!(a, salted_hash("s2", "password", "hunter2"));
        assert_ne!(a, salted_hash("s1", "userName", "hunter2"));
        assert_ne!(a, salted_hash("s1", "password", "hunter3"));
        assert!(a.starts_with("pbkdf2-sha256:100000:"), "{a}");
        assert!(!a.contains("hunter2"));
    }

    #[test]
    fn legacy_sha256_hashes_still_compare() {
        let fresh = salted_hash("s1", "password", "hunter2");
        let legacy =
            "sha256:".to_string() + &digest::digest_bytes(b"s1\0password\0hunter2")["sha256:".len()..];
        assert!(hash_matches(&legacy, &fresh, "s1", "password", "hunter2"));
        assert!(!hash_matches(&legacy, &fresh, "s1", "password", "hunter3"));
        assert!(hash_matches(&fresh, &fresh, "s1", "password", "hunter2"));
    }

    #[test]
    fn credential_keys() {
        assert_eq!(credential_key("custom-rest-actions"), "basicAuth");
        assert_eq!(credential_key("purecloud-data-actions"), "pureCloudOAuthClient");
    }
}
