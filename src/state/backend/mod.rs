//! State storage backends: where the state bytes live, how they are locked, and how a
//! write refuses to overwrite what it did not read.
//!
//! Owns: the [`Backend`] trait (read, compare-and-swap write, write beside, lock, unlock,
//! force-unlock), its implementations — a local file ([`local`]), object stores through
//! the `object_store` crate (S3, GCS, Azure; [`object`]) and Terraform's HTTP backend
//! protocol as GitLab speaks it ([`http`]) —, the location syntax ([`location`]), the lock
//! info every backend stores ([`LockInfo`], Terraform's key names), the typed [`Error`]
//! (every variant names the location, credentials never shown), and the helpers on top:
//! [`lock_waiting`] (`--lock-timeout`), [`save`] (a refused write keeps our state beside
//! the other writer's) and [`check_state`] (is this a gcsync state at all).
//! Must not: parse the state's content beyond its header (that is `state`), decide when to
//! write (that is apply), or print.

pub mod http;
pub mod local;
pub mod location;
pub mod object;

pub use location::{HttpLocation, Location, ParseError};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::{Duration, Instant};

/// What a backend returned for the state it read or wrote: the object's ETag/generation
/// (object stores) or a digest of the bytes (local file, HTTP). A write is conditional on
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// ETag (object stores) or `sha256:<hex>` of the content (local file, HTTP).
    pub e_tag: Option<String>,
    /// Object version or generation, where the store has one.
    pub version: Option<String>,
}

impl Version {
    /// The version of content identified by its digest (backends without ETags).
    #[must_use]
    pub fn of_bytes(bytes: &[u8]) -> Self {
        use sha2::Digest as _;
        let hex: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        Self { e_tag: Some(format!("sha256:{hex}")), version: None }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.e_tag, &self.version) {
            (Some(e), _) => f.write_str(e),
            (None, Some(v)) => write!(f, "version {v}"),
            (None, None) => f.write_str("(no version)"),
        }
    }
}

/// Who holds a lock. The keys are Terraform's (`ID`, `Operation`, `Who`, ...), so a lock
/// taken by gcsync reads well in GitLab and in Terraform's messages, and a Terraform
/// holder's lock info parses here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Lock id (for `force-unlock`).
    #[serde(rename = "ID")]
    pub id: String,
    /// `plan`, `apply`, ...
    #[serde(rename = "Operation", default)]
    pub operation: String,
    /// Free text.
    #[serde(rename = "Info", default)]
    pub info: String,
    /// `user@host`.
    #[serde(rename = "Who", default)]
    pub who: String,
    /// The holder's program and version (`gcsync 0.1.0`).
    #[serde(rename = "Version", default)]
    pub version: String,
    /// When it was taken (RFC 3339, UTC).
    #[serde(rename = "Created", default)]
    pub created: String,
    /// The state location locked.
    #[serde(rename = "Path", default)]
    pub path: String,
    /// Host name (gcsync's; absent in a Terraform holder's info).
    #[serde(rename = "Host", default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Process id (gcsync's; absent in a Terraform holder's info).
    #[serde(rename = "Pid", default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

impl LockInfo {
    /// Lock info for this process taking `location` for `operation`, created now.
    #[must_use]
    pub fn new(operation: &str, location: &Location) -> Self {
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "unknown-user".to_string());
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            info: String::new(),
            who: format!("{user}@{host}"),
            version: concat!("gcsync ", env!("CARGO_PKG_VERSION")).to_string(),
            created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            path: location.to_string(),
            host: Some(host),
            pid: Some(std::process::id()),
        }
    }
}

impl fmt::Display for LockInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.operation.is_empty() { "an operation" } else { self.operation.as_str() };
        write!(f, "`{op}`")?;
        let mut who = Vec::new();
        if !self.who.is_empty() {
            who.push(self.who.clone());
        }
        if let Some(pid) = self.pid {
            who.push(format!("pid {pid}"));
        }
        if !self.version.is_empty() {
            who.push(self.version.clone());
        }
        if !who.is_empty() {
            write!(f, " by {}", who.join(", "))?;
        }
        if !self.created.is_empty() {
            write!(f, " since {}", self.created)?;
        }
        write!(f, " (lock id {})", self.id)
    }
}

/// A backend operation failed. Every variant names the location (as [`Location`]'s
/// `Display` shows it: no credentials); all end the command with exit 1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The location does not parse.
    #[error(transparent)]
    Location(#[from] ParseError),
    /// The backend cannot be set up (a missing or contradictory variable).
    #[error("cannot use the state at `{location}`: {reason}")]
    Config {
        /// Location.
        location: String,
        /// Why.
        reason: String,
    },
    /// Someone else holds the lock.
    #[error("the state `{location}` is locked by {}", holder.as_ref().map_or_else(|| "another run (the server did not say who)".to_string(), ToString::to_string))]
    Held {
        /// Location.
        location: String,
        /// The holder, when known.
        holder: Option<Box<LockInfo>>,
    },
    /// `force-unlock` of a lock held by a live process (local files: an OS lock dies with
    /// its process, so it can never be stale).
    #[error(
        "the state `{location}` is locked by a running process: {holder}; a lock held by a live process cannot be broken: stop that process"
    )]
    LiveLock {
        /// Location.
        location: String,
        /// The holder.
        holder: Box<LockInfo>,
    },
    /// The state changed since it was read: nothing was overwritten.
    #[error("the state `{location}` was changed by another writer since this run read it ({detail}); it was not overwritten{}", saved_as.as_ref().map_or_else(String::new, |s| format!("; this run's state is saved as `{s}`")))]
    Conflict {
        /// Location.
        location: String,
        /// What was expected and found.
        detail: String,
        /// Where this run's state was kept instead.
        saved_as: Option<String>,
    },
    /// Unlock without a lock.
    #[error("the state `{location}` is not locked")]
    NotLocked {
        /// Location.
        location: String,
    },
    /// Unlock with an id that is not the holder's.
    #[error("the lock on `{location}` has id `{found}`, not `{given}`; nothing was unlocked")]
    WrongLockId {
        /// Location.
        location: String,
        /// The holder's id.
        found: String,
        /// The id given.
        given: String,
    },
    /// The lock object exists but is not lock info.
    #[error(
        "the lock `{lock}` of the state `{location}` is not a gcsync/Terraform lock ({reason}); delete it with the store's own tools once no run is active"
    )]
    BadLock {
        /// Location.
        location: String,
        /// The lock object.
        lock: String,
        /// Why.
        reason: String,
    },
    /// What is stored there is not a gcsync state.
    #[error("`{location}` is not a gcsync state: {reason}")]
    NotGcsyncState {
        /// Location.
        location: String,
        /// Why.
        reason: String,
    },
    /// The bucket or container does not exist.
    #[error("the {what} of `{location}` does not exist: {detail}")]
    NoContainer {
        /// Location.
        location: String,
        /// `bucket` or `container`.
        what: &'static str,
        /// The store's answer.
        detail: String,
    },
    /// The credentials were refused or are missing.
    #[error("access to the state `{location}` was refused (check the credentials): {detail}")]
    Denied {
        /// Location.
        location: String,
        /// The store's answer.
        detail: String,
    },
    /// The store cannot be reached.
    #[error("cannot reach the state `{location}`: {detail}")]
    Unreachable {
        /// Location.
        location: String,
        /// Why.
        detail: String,
    },
    /// Any other failure of an operation.
    #[error("cannot {op} the state `{location}`: {detail}")]
    Other {
        /// `read`, `write`, `lock`, ...
        op: &'static str,
        /// Location.
        location: String,
        /// Why.
        detail: String,
    },
}

impl Error {
    /// The hint that goes with this error (commands printed here run as printed, given the
    /// same `--state`).
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Held { holder: Some(h), location } if !h.id.is_empty() => Some(format!(
                "wait for that run to finish (or retry with `--lock-timeout`); if it is gone for good, `gcsync force-unlock --state {} {}`",
                shell_word(location),
                shell_word(&h.id)
            )),
            Error::Conflict { .. } => Some(
                "nothing was lost: run `gcsync plan` again on the new state; the saved copy shows what this run had recorded".into(),
            ),
            Error::Denied { .. } | Error::Config { .. } => {
                Some("README \"Remote state\" lists each backend's variables".into())
            }
            _ => None,
        }
    }
}

/// `s` quoted for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Where a state's bytes live. All methods name the location in their errors.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    /// The location (its `Display` is what messages show).
    fn location(&self) -> &Location;

    /// The state and its version; `None` when there is no state yet. Refuses what is not a
    /// gcsync state ([`check_state`]).
    async fn read(&self) -> Result<Option<(Bytes, Version)>, Error>;

    /// Writes the state if the stored one is still `expected` (`None`: only if there is
    /// none), returning the new version; [`Error::Conflict`] otherwise, nothing written.
    /// While this backend holds the lock, the write carries it (HTTP: `?ID=`).
    async fn write(&self, bytes: Bytes, expected: Option<&Version>) -> Result<Version, Error>;

    /// Writes `bytes` beside the state as `<state>.<suffix>` (unconditionally), returning
    /// where it went (as shown to the user). HTTP: a local file in the working directory.
    async fn write_aside(&self, suffix: &str, bytes: Bytes) -> Result<String, Error>;

    /// Takes the lock with `info`; [`Error::Held`] naming the holder when it is taken.
    async fn lock(&self, info: &LockInfo) -> Result<(), Error>;

    /// Releases the lock this backend took with id `id`.
    async fn unlock(&self, id: &str) -> Result<(), Error>;

    /// Removes the lock with id `id`, whoever took it (`gcsync force-unlock`).
    async fn force_unlock(&self, id: &str) -> Result<(), Error>;
}

/// Opens the backend of `location`, credentials and endpoints from the process
/// environment.
pub fn open(location: &Location) -> Result<Box<dyn Backend>, Error> {
    let vars: Vec<(String, String)> = std::env::vars().collect();
    open_with_env(location, &vars)
}

/// Opens the backend of `location` with `vars` as the environment (tests give their own).
pub fn open_with_env(location: &Location, vars: &[(String, String)]) -> Result<Box<dyn Backend>, Error> {
    Ok(match location {
        Location::Local(p) => Box::new(local::LocalBackend::new(location.clone(), p.clone())),
        Location::Http(h) => Box::new(http::HttpBackend::new(location.clone(), (**h).clone(), vars)?),
        _ => Box::new(object::ObjectBackend::from_env(location.clone(), vars)?),
    })
}

/// Takes the lock, retrying while it is held for up to `timeout` (Terraform's backoff:
/// 1 s doubling to 16 s). `on_wait` is told the holder before each wait. A holder that
/// cannot be identified is not waited for.
pub async fn lock_waiting(
    backend: &dyn Backend,
    info: &LockInfo,
    timeout: Duration,
    on_wait: &mut (dyn FnMut(&LockInfo, Duration) + Send),
) -> Result<(), Error> {
    let start = Instant::now();
    let mut backoff = Duration::from_secs(1);
    loop {
        match backend.lock(info).await {
            Err(Error::Held { location, holder: Some(h) }) => {
                let left = timeout.saturating_sub(start.elapsed());
                if left.is_zero() || h.id.is_empty() {
                    return Err(Error::Held { location, holder: Some(h) });
                }
                let wait = backoff.min(left);
                on_wait(&h, wait);
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(Duration::from_secs(16));
            }
            other => return other,
        }
    }
}

/// Writes the state if the stored one is still `expected`; when another writer got there
/// first, keeps the other writer's state, saves ours beside it as
/// `<state>.conflict-<serial>` and returns [`Error::Conflict`] naming where.
pub async fn save(
    backend: &dyn Backend,
    bytes: Bytes,
    expected: Option<&Version>,
    serial: u64,
) -> Result<Version, Error> {
    match backend.write(bytes.clone(), expected).await {
        Err(Error::Conflict { location, detail, .. }) => {
            let saved_as = backend.write_aside(&format!("conflict-{serial}"), bytes).await?;
            Err(Error::Conflict { location, detail, saved_as: Some(saved_as) })
        }
        other => other,
    }
}

/// The header of a gcsync state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateHeader {
    /// Lineage.
    pub lineage: String,
    /// Serial.
    pub serial: u64,
}

/// Checks that `bytes` are a gcsync state (a JSON object with `version`, `lineage`,
/// `serial` and `actions`; not a Terraform state), naming `location` when not. The full
/// parse (schema version, entries) stays with `state`.
pub fn check_state(location: &Location, bytes: &[u8]) -> Result<StateHeader, Error> {
    let bad = |reason: String| Error::NotGcsyncState { location: location.to_string(), reason };
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| bad(format!("not JSON (line {}, column {}): {e}", e.line(), e.column())))?;
    let Some(obj) = value.as_object() else {
        return Err(bad("not a JSON object".into()));
    };
    if let Some(tf) = obj.get("terraform_version") {
        return Err(bad(format!(
            "it is a Terraform state (terraform_version {tf}); give gcsync its own state location"
        )));
    }
    if !obj.get("version").is_some_and(serde_json::Value::is_u64) {
        return Err(bad("no schema `version`".into()));
    }
    let lineage =
        obj.get("lineage").and_then(serde_json::Value::as_str).ok_or_else(|| bad("no `lineage`".into()))?;
    let serial =
        obj.get("serial").and_then(serde_json::Value::as_u64).ok_or_else(|| bad("no `serial`".into()))?;
    if !obj.get("actions").is_some_and(serde_json::Value::is_object) {
        return Err(bad("no `actions`".into()));
    }
    Ok(StateHeader { lineage: lineage.to_string(), serial })
}

/// One line of at most 300 characters of a server's answer (bodies can be long XML).
pub(crate) fn snippet(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 300 { format!("{}…", one.chars().take(300).collect::<String>()) } else { one }
}

#[cfg(test)]
pub(crate) mod testutil {
    /// A minimal gcsync state with `serial`.
    pub fn state(lineage: &str, serial: u64) -> bytes::Bytes {
        bytes::Bytes::from(format!(
            "{{\n  \"version\": 1,\n  \"gcsync_version\": \"0.1.0\",\n  \"serial\": {serial},\n  \"lineage\": \"{lineage}\",\n  \"actions\": {{}}\n}}\n"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_check_names_the_location_and_the_reason() {
        let loc = Location::parse_with("s3://b/k.json", &|_| None).unwrap();
        assert_eq!(
            check_state(&loc, &testutil::state("L", 3)).unwrap(),
            StateHeader { lineage: "L".into(), serial: 3 }
        );
        let cases: [(&str, &str); 5] = [
            ("{", "not JSON (line 1, column 1)"),
            ("[]", "not a JSON object"),
            (
                r#"{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"x","resources":[]}"#,
                "it is a Terraform state",
            ),
            (r#"{"version":1,"serial":1,"actions":{}}"#, "no `lineage`"),
            (r#"{"version":1,"serial":1,"lineage":"x"}"#, "no `actions`"),
        ];
        for (text, want) in cases {
            let e = check_state(&loc, text.as_bytes()).unwrap_err().to_string();
            assert!(e.starts_with("`s3://b/k.json` is not a gcsync state: ") && e.contains(want), "{e}");
        }
    }

    #[test]
    fn lock_info_reads_terraforms_and_shows_the_holder() {
        let tf = r#"{"ID":"0b7e","Operation":"OperationTypeApply","Info":"","Who":"ci@runner","Version":"1.11.4","Created":"2026-01-01T00:00:00Z","Path":""}"#;
        let info: LockInfo = serde_json::from_str(tf).unwrap();
        assert_eq!(
            info.to_string(),
            "`OperationTypeApply` by ci@runner, 1.11.4 since 2026-01-01T00:00:00Z (lock id 0b7e)"
        );
        let ours = LockInfo::new("apply", &Location::Local("s.json".into()));
        let text = serde_json::to_string(&ours).unwrap();
        assert!(
            text.contains("\"ID\":") && text.contains("\"Pid\":") && text.contains("\"Version\":\"gcsync "),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<LockInfo>(&text).unwrap(), ours);
    }

    #[test]
    fn held_hint_runs_as_printed() {
        let mut h = LockInfo::new("apply", &Location::Local("s".into()));
        h.id = "abc-1".into();
        let e = Error::Held { location: "s3://b/my state.json".into(), holder: Some(Box::new(h)) };
        assert_eq!(
            e.hint().unwrap(),
            "wait for that run to finish (or retry with `--lock-timeout`); if it is gone for good, `gcsync force-unlock --state 's3://b/my state.json' abc-1`"
        );
    }

    #[test]
    fn snippets_are_one_short_line() {
        assert_eq!(snippet("a\n  b"), "a b");
        assert_eq!(snippet(&"x".repeat(400)).chars().count(), 301);
    }
}
