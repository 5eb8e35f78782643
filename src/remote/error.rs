//! Errors of the Genesys client, typed so callers can act on them.
//!
//! Owns: parsing Genesys's ErrorBody (message, code, status, contextId, details[].errorCode,
//! errors[]; also the older errorCode/userMessage shape), classifying version conflicts
//! (409, or 400 "does not match the current version"), and messages that show
//! status + code + message + contextId. No error ever carries a token or secret.
//! Must not: format for a terminal (no colour) or decide exit codes.

use serde_json::Value;
use std::fmt;

/// A non-2xx answer from the Platform API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP method of the request.
    pub method: String,
    /// Path of the request (no query).
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// Genesys `code` (e.g. `bad.request`, `not.found`).
    pub code: String,
    /// Genesys `message`.
    pub message: String,
    /// `contextId` to quote to Genesys support.
    pub context_id: Option<String>,
    /// `details[].errorCode` values (e.g. `INVALID_SCHEMA`, `ACTION.PROCESSING`).
    pub error_codes: Vec<String>,
    /// Messages of nested `errors[]`.
    pub nested: Vec<String>,
}

impl ApiError {
    /// Parses a response body (ErrorBody, the older shape, or anything else).
    #[must_use]
    pub fn from_body(method: &str, path: &str, status: u16, body: &[u8]) -> Self {
        // Not JSON (a proxy's HTML page, an empty body): no fields; the message falls back
        // to the text itself below.
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let code = s("code")
            .or_else(|| s("errorCode"))
            .or_else(|| s("error"))
            .unwrap_or_else(|| default_code(status));
        let message = s("message")
            .or_else(|| s("userMessage"))
            .or_else(|| s("error_description"))
            .or_else(|| s("description"))
            .unwrap_or_else(|| {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                if text.is_empty() { "no message".to_string() } else { text.chars().take(300).collect() }
            });
        let message = cut(&message);
        let code = cut(&code);
        let context_id = s("contextId").or_else(|| s("correlationId")).map(|c| cut(&c));
        let error_codes = v
            .get("details")
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .filter_map(|x| x.get("errorCode").and_then(Value::as_str).map(cut))
                    .take(MAX_LISTED)
                    .collect()
            })
            // No `details`: no error codes to list.
            .unwrap_or_default();
        let nested = v
            .get("errors")
            .and_then(Value::as_array)
            .map(|d| {
                d.iter()
                    .filter_map(|x| x.get("message").and_then(Value::as_str).map(cut))
                    .take(MAX_LISTED)
                    .collect()
            })
            // No `errors`: no nested messages.
            .unwrap_or_default();
        Self {
            method: method.into(),
            path: path.into(),
            status,
            code,
            message,
            context_id,
            error_codes,
            nested,
        }
    }

    /// Whether this is an optimistic-concurrency conflict.
    #[must_use]
    pub fn is_version_conflict(&self) -> bool {
        self.status == 409
            || (self.status == 400
                && self.message.to_ascii_lowercase().contains("does not match the current version"))
    }
}

/// The code of an error body without one: the one table, [`crate::status_codes`].
/// Longest text kept from a server's error body (message, code, each nested message);
/// longer text is cut with a note saying how long it was (a hostile or broken server can
/// send megabytes).
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Most `details[]`/`errors[]` entries kept.
const MAX_LISTED: usize = 20;

/// `text`, cut after [`MAX_MESSAGE_CHARS`] characters with a note.
fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => text.to_string(),
        Some((end, _)) => format!("{}… [cut: the server's text is {} bytes]", &text[..end], text.len()),
    }
}

fn default_code(status: u16) -> String {
    crate::status_codes::genesys_code(status).to_string()
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} answered HTTP {} {}: {}",
            self.method, self.path, self.status, self.code, self.message
        )?;
        if !self.error_codes.is_empty() {
            write!(f, " [{}]", self.error_codes.join(", "))?;
        }
        for n in &self.nested {
            write!(f, "; {n}")?;
        }
        if let Some(c) = &self.context_id {
            write!(f, " (contextId: {c})")?;
        }
        Ok(())
    }
}

/// Everything the client can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The target configuration is missing or wrong.
    #[error(transparent)]
    Config(#[from] super::config::ConfigError),
    /// The OAuth token endpoint refused the client.
    #[error("login failed: {0}")]
    Auth(Box<ApiError>),
    /// A non-2xx answer.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The server answered 429 (or 502–504) with a `Retry-After` longer than the client's
    /// cap (`ClientOptions::retry_after_max`, `GCSYNC_RETRY_AFTER_MAX`): failing beats
    /// waiting silently for that long.
    #[error(
        "{api}; it asked to retry after {asked_secs} s, longer than the {cap_secs} s gcsync waits at most (GCSYNC_RETRY_AFTER_MAX)"
    )]
    RetryAfterTooLong {
        /// The answer that asked for the wait.
        api: Box<ApiError>,
        /// Seconds the server asked for (rounded up).
        asked_secs: u64,
        /// The cap, in seconds.
        cap_secs: u64,
    },
    /// The resource changed since it was read (optimistic concurrency).
    #[error("version conflict: {0}")]
    VersionConflict(Box<ApiError>),
    /// The network failed and the request is known not to have been processed, or it is safe
    /// and retries ran out.
    #[error("{method} {path} failed: {message}")]
    Transport {
        /// Method.
        method: String,
        /// Path.
        path: String,
        /// What happened.
        message: String,
    },
    /// A request that may have changed the org (e.g. a create) failed in a way that leaves
    /// its outcome unknown; it was not retried. The caller must look before trying again.
    #[error(
        "{method} {path}: the outcome is unknown ({message}); it was not retried to avoid doing the work twice"
    )]
    Ambiguous {
        /// Method.
        method: String,
        /// Path.
        path: String,
        /// What happened.
        message: String,
    },
    /// Several integrations in the org have the name a manifest refers to (the server
    /// answered fine; gcsync cannot choose).
    #[error(
        "{} integrations are named `{name}` (ids {}): rename one in the org, or delete the one these actions must not use",
        .ids.len(),
        .ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
    )]
    AmbiguousIntegration {
        /// The name.
        name: String,
        /// Ids of every integration with that name.
        ids: Vec<String>,
    },
    /// A function action's code did not get in: the upload URL refused the zip, the platform
    /// marked it invalid, or it was not `Available` in time (see `functions::FunctionError`).
    #[error("{0}")]
    FunctionCode(String),
    /// The answer could not be understood.
    #[error("{method} {path}: unexpected response: {message}")]
    Decode {
        /// Method.
        method: String,
        /// Path.
        path: String,
        /// What was wrong.
        message: String,
    },
}

impl Error {
    /// The API error, if this is one (including conflicts and login failures).
    #[must_use]
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) | Error::VersionConflict(e) | Error::Auth(e) => Some(e),
            Error::RetryAfterTooLong { api, .. } => Some(api),
            _ => None,
        }
    }

    /// Whether the API said 404.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Api(e) if e.status == 404)
    }
}

/// Result alias.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_error_body() {
        let body = br#"{"message":"Transform failed","code":"bad.request","status":400,"messageParams":{},"contextId":"c-1","details":[{"errorCode":"ACTION.PROCESSING"}],"errors":[{"message":"inner"}]}"#;
        let e = ApiError::from_body("POST", "/api/v2/x", 400, body);
        assert_eq!(e.code, "bad.request");
        assert_eq!(e.error_codes, vec!["ACTION.PROCESSING"]);
        assert_eq!(
            e.to_string(),
            "POST /api/v2/x answered HTTP 400 bad.request: Transform failed [ACTION.PROCESSING]; inner (contextId: c-1)"
        );
    }

    #[test]
    fn parses_old_shape_and_garbage() {
        let e = ApiError::from_body(
            "GET",
            "/p",
            400,
            br#"{"errorCode":"x.y","userMessage":"old","correlationId":"k"}"#,
        );
        assert_eq!((e.code.as_str(), e.message.as_str(), e.context_id.as_deref()), ("x.y", "old", Some("k")));
        let e = ApiError::from_body("GET", "/p", 502, b"<html>Bad gateway</html>");
        assert_eq!(e.code, "bad.gateway", "the status's code from the one table");
        assert!(e.message.contains("Bad gateway"));
    }

    /// Issue 12 class 12: a 50 MB message is cut with a note.
    #[test]
    fn huge_messages_are_cut_with_a_note() {
        let big = "x".repeat(50 * 1024 * 1024);
        let body = serde_json::json!({"message": big, "code": "bad.request", "errors": [{"message": "y".repeat(5000)}]});
        let e = ApiError::from_body("GET", "/p", 400, body.to_string().as_bytes());
        assert!(e.message.chars().count() < MAX_MESSAGE_CHARS + 100, "{}", e.message.len());
        assert!(
            e.message.ends_with("… [cut: the server's text is 52428800 bytes]"),
            "{}",
            &e.message[1990..]
        );
        assert!(e.nested[0].ends_with("[cut: the server's text is 5000 bytes]"));
        assert!(e.to_string().len() < 5000);
        let short = ApiError::from_body("GET", "/p", 400, br#"{"message":"short"}"#);
        assert_eq!(short.message, "short");
    }

    #[test]
    fn version_conflicts() {
        assert!(ApiError::from_body("PATCH", "/p", 409, b"{}").is_version_conflict());
        assert!(
            ApiError::from_body(
                "PATCH",
                "/p",
                400,
                br#"{"message":"Supplied version 2 does not match the current version 3"}"#
            )
            .is_version_conflict()
        );
        assert!(!ApiError::from_body("PATCH", "/p", 400, br#"{"message":"bad"}"#).is_version_conflict());
    }
}
