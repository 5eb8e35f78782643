//! Error type of the JSONPath engine.
//!
//! Owns: [`Error`], the mapping of each variant to the Java exception class
//! Jayway JsonPath 2.10.0 would throw, and small constructors used across the
//! module. Must not: refer to anything outside `crate::jsonpath`.

use std::fmt;

/// An error raised while compiling or evaluating a path.
///
/// Every variant corresponds to the exception class that Jayway JsonPath
/// 2.10.0 (with `Configuration.defaultConfiguration()`) throws in the same
/// situation; [`Error::java_class`] returns that class name. Messages follow
/// Jayway's wording where practical but are not guaranteed to be identical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `com.jayway.jsonpath.InvalidPathException`: the path (or a filter inside
    /// it) is syntactically invalid, or a filter was applied to a primitive in
    /// a definite path.
    InvalidPath {
        /// Human readable description.
        message: String,
        /// Character position (UTF-16 units, as Java counts) when known.
        position: Option<usize>,
    },
    /// `com.jayway.jsonpath.PathNotFoundException`: a definite path did not
    /// resolve (missing property, index out of bounds, wrong type).
    PathNotFound {
        /// Human readable description.
        message: String,
    },
    /// `com.jayway.jsonpath.JsonPathException`: generic evaluation failure
    /// (e.g. an aggregation function on an empty array).
    JsonPath {
        /// Human readable description.
        message: String,
    },
    /// `com.jayway.jsonpath.InvalidJsonException`: the document text could not
    /// be parsed (only produced by helpers that parse text).
    InvalidJson {
        /// Human readable description.
        message: String,
    },
    /// A Java runtime exception that Jayway lets escape unchanged, e.g.
    /// `java.lang.IndexOutOfBoundsException` from `first()` on an empty array,
    /// `java.lang.ClassCastException` from `empty` on an object, or
    /// `java.lang.IllegalArgumentException` for an empty path.
    Java {
        /// Fully qualified Java class name of the exception.
        class: &'static str,
        /// Human readable description.
        message: String,
    },
    /// Not a Jayway error: the engine refused to go deeper than its nesting
    /// limit (documents or paths nested too deeply). Jayway itself would
    /// eventually fail with `java.lang.StackOverflowError`.
    DepthLimit {
        /// Human readable description.
        message: String,
    },
    /// Not a Jayway error: the evaluation passed one of the engine's work or
    /// result bounds (`eval::MAX_STEPS`, `MAX_RESULTS`, `MAX_RESULT_NODES`).
    /// Jayway itself would run for minutes or fail with `OutOfMemoryError`.
    Limit {
        /// Human readable description.
        message: String,
    },
}

impl Error {
    /// Fully qualified name of the Java exception class this error maps to.
    pub fn java_class(&self) -> &'static str {
        match self {
            Error::InvalidPath { .. } => "com.jayway.jsonpath.InvalidPathException",
            Error::PathNotFound { .. } => "com.jayway.jsonpath.PathNotFoundException",
            Error::JsonPath { .. } => "com.jayway.jsonpath.JsonPathException",
            Error::InvalidJson { .. } => "com.jayway.jsonpath.InvalidJsonException",
            Error::Java { class, .. } => class,
            Error::DepthLimit { .. } => "java.lang.StackOverflowError",
            Error::Limit { .. } => "gcsync.jsonpath.LimitExceeded",
        }
    }

    /// The message text.
    pub fn message(&self) -> &str {
        match self {
            Error::InvalidPath { message, .. }
            | Error::PathNotFound { message }
            | Error::JsonPath { message }
            | Error::InvalidJson { message }
            | Error::Java { message, .. }
            | Error::DepthLimit { message }
            | Error::Limit { message } => message,
        }
    }

    pub(crate) fn invalid_path(message: impl Into<String>) -> Error {
        Error::InvalidPath { message: message.into(), position: None }
    }

    pub(crate) fn invalid_path_at(message: impl Into<String>, position: usize) -> Error {
        Error::InvalidPath { message: message.into(), position: Some(position) }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Error {
        Error::PathNotFound { message: message.into() }
    }

    pub(crate) fn json_path(message: impl Into<String>) -> Error {
        Error::JsonPath { message: message.into() }
    }

    pub(crate) fn java(class: &'static str, message: impl Into<String>) -> Error {
        Error::Java { class, message: message.into() }
    }

    pub(crate) fn limit(message: String) -> Error {
        Error::Limit { message }
    }

    pub(crate) fn depth() -> Error {
        Error::DepthLimit { message: "maximum nesting depth exceeded".to_string() }
    }

    pub(crate) fn is_invalid_path(&self) -> bool {
        matches!(self, Error::InvalidPath { .. })
    }

    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, Error::PathNotFound { .. })
    }

    pub(crate) fn is_index_out_of_bounds(&self) -> bool {
        matches!(self, Error::Java { class, .. } if *class == INDEX_OOB)
    }
}

/// `java.lang.IndexOutOfBoundsException`.
pub(crate) const INDEX_OOB: &str = "java.lang.IndexOutOfBoundsException";

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.java_class(), self.message())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names() {
        let cases = [
            (Error::invalid_path("x"), "com.jayway.jsonpath.InvalidPathException"),
            (Error::not_found("x"), "com.jayway.jsonpath.PathNotFoundException"),
            (Error::json_path("x"), "com.jayway.jsonpath.JsonPathException"),
            (Error::java(INDEX_OOB, "x"), INDEX_OOB),
            (Error::depth(), "java.lang.StackOverflowError"),
        ];
        for (err, class) in cases {
            assert_eq!(err.java_class(), class);
            assert!(err.to_string().starts_with(class));
        }
    }
}
