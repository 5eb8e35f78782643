//! The integration's credential, as the runtime uses it at step 4 ("Perform
//! authentication").
//!
//! Owns: [`Credentials`] (a Genesys credential type name + its fields), what each type does
//! to a request (`basicAuth` adds `Authorization: Basic …` unless the action sets its own
//! `Authorization`; `userDefined` fields become `${credentials.<field>}`), and the list of
//! values that must never be shown. `Debug` never prints a value.
//! Must not: read the environment or files (callers resolve values: the CLI from the
//! variables a `kind: Integration` manifest's `credential: {type, fields: {name: {env:
//! VAR}}}` names, or from variables it is told about — the same `from_type` call).

use base64::Engine as _;
use std::collections::BTreeMap;
use std::fmt;

/// The credential types of a web-services integration (reference §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// No credential.
    None,
    /// `basicAuth`: fields `userName` and `password`; sends the Basic header.
    Basic,
    /// `userDefined`: arbitrary fields, read by templates as `${credentials.<field>}`.
    UserDefined,
}

/// An integration credential with its values.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    kind: CredentialKind,
    fields: BTreeMap<String, String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("kind", &self.kind)
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Self::none()
    }
}

/// A credential type name gcsync does not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credential type `{0}` is not supported by the local runtime (supported: basicAuth, userDefined)")]
pub struct UnsupportedCredential(pub String);

impl Credentials {
    /// No credential.
    #[must_use]
    pub fn none() -> Self {
        Self { kind: CredentialKind::None, fields: BTreeMap::new() }
    }

    /// `basicAuth`.
    #[must_use]
    pub fn basic(user: impl Into<String>, password: impl Into<String>) -> Self {
        let mut fields = BTreeMap::new();
        fields.insert("userName".to_string(), user.into());
        fields.insert("password".to_string(), password.into());
        Self { kind: CredentialKind::Basic, fields }
    }

    /// `userDefined`.
    #[must_use]
    pub fn user_defined(fields: BTreeMap<String, String>) -> Self {
        Self { kind: CredentialKind::UserDefined, fields }
    }

    /// From a Genesys credential type name (`basicAuth`, `userDefined`) and its fields, as
    /// stored in an org or declared in a manifest.
    pub fn from_type(
        type_name: &str,
        fields: BTreeMap<String, String>,
    ) -> Result<Self, UnsupportedCredential> {
        match type_name {
            "basicAuth" => Ok(Self { kind: CredentialKind::Basic, fields }),
            "userDefined" => Ok(Self { kind: CredentialKind::UserDefined, fields }),
            "" | "none" => Ok(Self::none()),
            other => Err(UnsupportedCredential(other.to_string())),
        }
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> CredentialKind {
        self.kind
    }

    /// The Genesys type name (`none` when there is no credential).
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            CredentialKind::None => "none",
            CredentialKind::Basic => "basicAuth",
            CredentialKind::UserDefined => "userDefined",
        }
    }

    /// Field names (never values).
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }

    /// The fields visible to templates as `${credentials.<field>}`.
    #[must_use]
    pub fn template_fields(&self) -> &BTreeMap<String, String> {
        &self.fields
    }

    /// The `Authorization` header value this credential sends by itself, if any.
    #[must_use]
    pub fn authorization(&self) -> Option<String> {
        match self.kind {
            CredentialKind::Basic => {
                let user = self.fields.get("userName").map_or("", String::as_str);
                let pass = self.fields.get("password").map_or("", String::as_str);
                let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
                Some(format!("Basic {token}"))
            }
            _ => None,
        }
    }

    /// Every value the trace must not show (field values and the derived Basic token),
    /// redacted by the one rule of `crate::redact` — a short value only where it stands
    /// whole, so a one-letter user name does not corrupt every string.
    #[must_use]
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self.fields.values().filter(|v| !v.is_empty()).cloned().collect();
        if let Some(a) = self.authorization() {
            out.push(a.trim_start_matches("Basic ").to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_and_secrets() {
        let c = Credentials::basic("ada", "s3cret");
        assert_eq!(c.authorization().as_deref(), Some("Basic YWRhOnMzY3JldA=="));
        let s = c.secrets();
        assert!(s.contains(&"s3cret".to_string()) && s.contains(&"YWRhOnMzY3JldA==".to_string()));
        assert!(!format!("{c:?}").contains("s3cret"));
        // Short values are registered too: the redaction rule replaces them where they stand whole.
        assert!(s.contains(&"ada".to_string()));
        let one = Credentials::basic("u", "pw-long-enough").secrets();
        assert!(one.contains(&"u".to_string()) && one.contains(&"pw-long-enough".to_string()));
    }

    #[test]
    fn from_type_names() {
        let mut f = BTreeMap::new();
        f.insert("apiKey".to_string(), "k-123".to_string());
        let c = Credentials::from_type("userDefined", f).unwrap();
        assert_eq!(c.type_name(), "userDefined");
        assert_eq!(c.authorization(), None);
        assert!(Credentials::from_type("userDefinedOAuth", BTreeMap::new()).is_err());
    }
}
