//! Error type of the Velocity engine: kind (mirroring the Java exception class
//! Velocity 1.7 would throw), message, 1-based line/column and template name.
//!
//! Owns: `Error`, `ErrorKind`, the Velocity-style `... at name[line L, column C]`
//! formatting. Must not touch: parsing or evaluation logic.

use std::fmt;

/// What went wrong; each variant names the Java exception Velocity 1.7 throws
/// for the same situation (see [`ErrorKind::java_class`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Template syntax error (`ParseErrorException`), including lexical errors
    /// and errors found while initialising the tree (bad string literals).
    Parse,
    /// Strict-mode undefined variable / missing method, or a Java method that
    /// threw (`MethodInvocationException`).
    MethodInvocation,
    /// Other runtime errors Velocity reports as `VelocityException`
    /// (strict-mode null render, index out of bounds, ...).
    Velocity,
    /// `#include` / `#parse`: there are no resources (`ResourceNotFoundException`).
    ResourceNotFound,
    /// A raw Java runtime exception escaping Velocity (e.g. the
    /// `NullPointerException` 1.7 throws for `#foreach` without arguments).
    JavaRuntime(&'static str),
    /// The fuel budget of [`super::RenderOptions::fuel`] ran out.
    FuelExhausted,
    /// The output grew beyond [`super::RenderOptions::max_output_bytes`].
    OutputLimit,
    /// A value nested deeper than the engine allows, or one evaluation allocating more
    /// than its memory budget.
    MemoryLimit,
    /// A construct this engine deliberately does not implement.
    Unsupported,
}

impl ErrorKind {
    /// The fully qualified Java class name of the matching Velocity exception
    /// (used by the oracle protocol's `error_type`).
    pub fn java_class(&self) -> &'static str {
        match self {
            ErrorKind::Parse => "org.apache.velocity.exception.ParseErrorException",
            ErrorKind::MethodInvocation => "org.apache.velocity.exception.MethodInvocationException",
            ErrorKind::Velocity => "org.apache.velocity.exception.VelocityException",
            ErrorKind::ResourceNotFound => "org.apache.velocity.exception.ResourceNotFoundException",
            ErrorKind::JavaRuntime(c) => c,
            ErrorKind::FuelExhausted => "gcsync.velocity.FuelExhausted",
            ErrorKind::OutputLimit => "gcsync.velocity.OutputLimitExceeded",
            ErrorKind::MemoryLimit => "gcsync.velocity.MemoryLimitExceeded",
            ErrorKind::Unsupported => "gcsync.velocity.Unsupported",
        }
    }
}

/// An engine error. `Display` renders the Velocity 1.7 wording, e.g.
/// `Variable $Presences has not been set at successTemplate[line 1, column 20]`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Error {
    pub kind: ErrorKind,
    /// Message without the location suffix.
    pub message: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// Template name (log tag) set by the caller of [`super::Template::parse`].
    pub template_name: String,
}

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        message: impl Into<String>,
        template_name: Option<&str>,
        line: u32,
        column: u32,
    ) -> Self {
        Error {
            kind,
            message: message.into(),
            line,
            column,
            template_name: template_name.unwrap_or("").to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 || self.column > 0 {
            write!(
                f,
                "{} at {}[line {}, column {}]",
                self.message, self.template_name, self.line, self.column
            )
        } else {
            f.write_str(&self.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_velocity_wording() {
        let e = Error::new(
            ErrorKind::MethodInvocation,
            "Variable $Presences has not been set",
            Some("successTemplate"),
            1,
            20,
        );
        assert_eq!(
            e.to_string(),
            "Variable $Presences has not been set at successTemplate[line 1, column 20]"
        );
        assert_eq!(e.kind.java_class(), "org.apache.velocity.exception.MethodInvocationException");
    }
}
