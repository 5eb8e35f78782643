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
