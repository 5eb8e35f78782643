//! Function data actions (integration type `function-data-actions`): Node.js code behind an
//! action.
//!
//! Owns: the runtimes table ([`RUNTIMES`], mirrored by the emulator's
//! `GET /actions/functions/runtimes`), the handler format (`path/module.export`) and where
//! its file lives in a source ([`Handler`]), the platform's limits on function settings and
//! zips, the deterministic zip of a source directory ([`zip`]) and local execution of a
//! handler with the installed `node` behind the runtime's `Transport` seam ([`node`]).
//! Must not: read manifests (callers pass paths and values), print, call the Genesys API,
//! plan or apply.

pub mod node;
pub mod zip;

/// The integration type of function data actions.
pub const INTEGRATION_TYPE: &str = "function-data-actions";

/// `timeoutSeconds` of a function: 1–15, default 15 (`Function` in the Python SDK).
pub const TIMEOUT_RANGE: std::ops::RangeInclusive<i64> = 1..=15;

/// The platform's default function timeout.
pub const DEFAULT_TIMEOUT_SECONDS: i64 = 15;

/// `description` of a function: required, at most 255 characters (`Function` in the SDK).
pub const MAX_DESCRIPTION_LEN: usize = 255;

/// Largest zip gcsync uploads (bytes). Genesys documents no limit of its own; functions run
/// on AWS Lambda, whose direct-upload limit for a deployment package is 50 MB.
pub const MAX_ZIP_BYTES: u64 = 50 * 1024 * 1024;

/// Largest total uncompressed size of a zip's files (bytes): AWS Lambda's 250 MB limit for
/// an unzipped deployment package.
pub const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;

/// Extensions Node resolves a handler module to, in the order tried.
pub const MODULE_EXTENSIONS: [&str; 3] = ["js", "mjs", "cjs"];

/// A runtime's status (`FunctionRuntime.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeStatus {
    /// Usable.
    Available,
    /// Usable until its end of life; a warning.
    Deprecated,
    /// Refused by the platform.
    Unavailable,
}

impl RuntimeStatus {
    /// The API's spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "Available",
            Self::Deprecated => "Deprecated",
            Self::Unavailable => "Unavailable",
        }
    }
}

/// One entry of the runtimes list (`FunctionRuntime`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Runtime {
    /// `nodejs22.x`.
    pub name: &'static str,
    /// Human description.
    pub description: &'static str,
    /// Available, Deprecated or Unavailable.
    pub status: RuntimeStatus,
    /// `dateEndOfLife` (a date, `YYYY-MM-DD`), when announced.
    pub date_end_of_life: Option<&'static str>,
    /// The Node.js major version the runtime runs (local execution needs at least this).
    pub node_major: u32,
}

impl Runtime {
    /// The `FunctionRuntime` JSON the API (and the emulator) serves.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("name".into(), self.name.into());
        m.insert("description".into(), self.description.into());
        m.insert("status".into(), self.status.as_str().into());
        if let Some(d) = self.date_end_of_life {
            m.insert("dateEndOfLife".into(), d.into());
        }
        serde_json::Value::Object(m)
    }
}

/// The runtimes table (as of 2026-12-05). `nodejs22.x` and `nodejs20.x` are the two entries
/// Genesys's `GET /api/v2/integrations/actions/functions/runtimes` returned in the Genesys
/// developer blog on Function Data Actions (January 2025, both `Available`). `nodejs18.x`
/// (Deprecated) and `nodejs16.x` (Unavailable) are gcsync's inference from AWS Lambda's
/// deprecation dates for those runtimes (2025-09-01 and 2024-06-12): they were not in that
/// list. The org's own endpoint is the source of truth; this table is what `validate` can
/// know offline.
pub const RUNTIMES: [Runtime; 4] = [
    Runtime {
        name: "nodejs22.x",
        description: "Node.js 22",
        status: RuntimeStatus::Available,
        date_end_of_life: None,
        node_major: 22,
    },
    Runtime {
        name: "nodejs20.x",
        description: "Node.js 20",
        status: RuntimeStatus::Available,
        date_end_of_life: None,
        node_major: 20,
    },
    Runtime {
        name: "nodejs18.x",
        description: "Node.js 18",
        status: RuntimeStatus::Deprecated,
        date_end_of_life: Some("2025-09-01"),
        node_major: 18,
    },
    Runtime {
        name: "nodejs16.x",
        description: "Node.js 16",
        status: RuntimeStatus::Unavailable,
        date_end_of_life: Some("2024-06-12"),
        node_major: 16,
    },
];

/// The runtime of this name.
#[must_use]
pub fn runtime(name: &str) -> Option<&'static Runtime> {
    RUNTIMES.iter().find(|r| r.name == name)
}

/// A parsed handler: `src/index.handler` → module `src/index`, export `handler`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    /// The module path inside the source, without extension (`src/index`).
    pub module: String,
    /// The exported function's name (`handler`).
    pub export: String,
}

impl Handler {
    /// Parses `path/module.export`. The module path is relative (no leading `/`, no `..`,
    /// no empty segment, `/` as separator); the export is a JavaScript identifier.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some((module, export)) = text.rsplit_once('.') else {
            return Err(format!(
                "`{text}` is not `path/module.export` (for example `src/index.handler`: the file `src/index.js` exporting `handler`)"
            ));
        };
        if module.is_empty() {
            return Err(format!("`{text}` names no module before `.{export}`"));
        }
        if module.starts_with('/') || module.contains('\\') {
            return Err(format!(
                "the module path `{module}` must be relative to the source, with `/` separators"
            ));
        }
        if module.split('/').any(|s| s.is_empty() || s == ".." || s == ".") {
            return Err(format!("the module path `{module}` has an empty, `.` or `..` segment"));
        }
        let mut chars = export.chars();
        let ident = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        if !ident {
            return Err(format!("the export `{export}` is not a JavaScript identifier"));
        }
        Ok(Self { module: module.to_string(), export: export.to_string() })
    }

    /// The file names the module may have in the source (`src/index.js`, `.mjs`, `.cjs`).
    #[must_use]
    pub fn candidate_files(&self) -> Vec<String> {
        MODULE_EXTENSIONS.iter().map(|e| format!("{}.{e}", self.module)).collect()
    }

    /// The first candidate present among `files` (paths with `/` separators).
    #[must_use]
    pub fn find_in<'a>(&self, files: impl IntoIterator<Item = &'a str> + Clone) -> Option<String> {
        self.candidate_files().into_iter().find(|c| files.clone().into_iter().any(|f| f == c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handlers_parse_and_refuse_what_lambda_cannot_load() {
        let h = Handler::parse("src/index.handler").unwrap();
        assert_eq!((h.module.as_str(), h.export.as_str()), ("src/index", "handler"));
        assert_eq!(h.candidate_files(), ["src/index.js", "src/index.mjs", "src/index.cjs"]);
        assert_eq!(h.find_in(["a.js", "src/index.mjs"]), Some("src/index.mjs".into()));
        assert_eq!(Handler::parse("index.main").unwrap().module, "index");
        for bad in
            ["index", ".handler", "/abs/index.handler", "../up.handler", "a//b.h", "src/index.1x", "src\\i.h"]
        {
            assert!(Handler::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn runtimes_table_has_every_status() {
        assert_eq!(runtime("nodejs22.x").map(|r| r.status), Some(RuntimeStatus::Available));
        assert!(
            RUNTIMES.iter().any(|r| r.status == RuntimeStatus::Deprecated && r.date_end_of_life.is_some())
        );
        assert!(RUNTIMES.iter().any(|r| r.status == RuntimeStatus::Unavailable));
        assert_eq!(
            runtime("nodejs18.x").map(|r| r.to_json()["dateEndOfLife"].clone()),
            Some("2025-09-01".into())
        );
        assert!(runtime("python3.9").is_none());
    }
}
