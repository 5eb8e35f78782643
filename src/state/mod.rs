//! The state file: what gcsync owns in an org and what it last applied there.
//!
//! Owns: the state format (schema `version` 1: `lineage`, `serial`, the org it belongs to,
//! per action `id`, integration id and name, `version`, the digest of the last applied
//! form and a short digest per field, and the pending-create journal that makes a crashed
//! apply converge without duplicates), reading it (with clear errors for a newer schema or
//! a broken file), writing it (sorted keys, temp file + fsync + rename, previous state kept
//! as `.backup`; `serial` only moves when content changes), and the org and environment
//! checks (a state belongs to one org and, once written under `--env`, one environment).
//! Must not: decide what changed remotely (plan does) or talk to the API.

pub mod backend;
pub mod lock;
pub mod store;

use crate::model::ActionSpec;
use crate::model::digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The state schema this gcsync writes.
pub const STATE_VERSION: u32 = 1;

/// The org a state belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRef {
    /// API host (`api.mypurecloud.ie`, `127.0.0.1:41234`).
    pub api_host: String,
    /// Organization id.
    pub org_id: String,
}

/// One action gcsync owns. (Serialized for `state show` with `fields` as a map; the state
/// file stores `fields` compactly, see [`State`].)
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackedAction {
    /// Genesys action id.
    pub id: String,
    /// Integration id it belongs to.
    pub integration_id: String,
    /// Integration name as the manifest gave it (cache for name → id resolution).
    pub integration: String,
    /// Version after the last apply (or refresh that found it unchanged).
    pub version: i64,
    /// Digest of the last applied normalized form.
    pub digest: String,
    /// Short digest per field of the last applied form (drift names the fields).
    pub fields: BTreeMap<String, String>,
    /// A function data action's last applied function settings and code hash (`None` for
    /// web-services actions, and in state files written before function actions were managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<TrackedFunction>,
}

/// What the state keeps of a function data action's function: the platform never gives the
/// code back, so the zip's sha256 is how a later plan sees a code change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackedFunction {
    /// `handler`.
    pub handler: String,
    /// `runtime`.
    pub runtime: String,
    /// `timeoutSeconds`.
    pub timeout_seconds: i64,
    /// `description`.
    pub description: String,
    /// `sha256:<hex>` of the uploaded zip; `None` when the code was never uploaded by gcsync
    /// (an imported action): the next apply uploads it once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_sha256: Option<String>,
}

impl TrackedAction {
    /// Builds an entry from the applied spec (integration already resolved to an id).
    #[must_use]
    pub fn from_spec(id: &str, version: i64, integration_name: &str, spec: &ActionSpec) -> Self {
        Self {
            id: id.to_string(),
            integration_id: spec.integration.clone(),
            integration: integration_name.to_string(),
            version,
            digest: digest::digest(spec),
            fields: field_digests(spec),
            function: None,
        }
    }
}

/// Hex digits kept per field digest (drift only needs to tell fields apart; the full
/// `digest` covers the whole action).
const FIELD_SIG_LEN: usize = 8;

/// Short digests of each managed field.
#[must_use]
pub fn field_digests(spec: &ActionSpec) -> BTreeMap<String, String> {
    digest::fields(spec)
        .into_iter()
        .map(|(k, v)| {
            let d = digest::digest_value(&v);
            (k.to_string(), d.trim_start_matches("sha256:").chars().take(FIELD_SIG_LEN).collect())
        })
        .collect()
}

/// The managed field paths, in the order the state file lists their digests.
fn field_order() -> Vec<&'static str> {
    digest::fields(&ActionSpec {
        name: String::new(),
        category: String::new(),
        integration: String::new(),
        secure: false,
        config: crate::model::ActionConfig::default(),
        contract: crate::model::Contract::default(),
    })
    .into_iter()
    .map(|(k, _)| k)
    .collect()
}

/// A tracked action as stored: `fields` is the concatenation of the field digests in the
/// file's `field_order` (`-` fill for a field without a digest).
#[derive(Debug, Serialize, Deserialize)]
struct WireAction {
    id: String,
    integration_id: String,
    integration: String,
    version: i64,
    digest: String,
    #[serde(default)]
    fields: String,
    /// Absent in state files of web-services actions and of older gcsync versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    function: Option<TrackedFunction>,
}

impl WireAction {
    fn from_tracked(t: &TrackedAction, order: &[&str]) -> Self {
        let mut fields = String::with_capacity(order.len() * FIELD_SIG_LEN);
        for path in order {
            match t.fields.get(*path) {
                Some(sig) if sig.len() == FIELD_SIG_LEN => fields.push_str(sig),
                _ => fields.push_str(&"-".repeat(FIELD_SIG_LEN)),
            }
        }
        Self {
            id: t.id.clone(),
            integration_id: t.integration_id.clone(),
            integration: t.integration.clone(),
            version: t.version,
            digest: t.digest.clone(),
            fields,
            function: t.function.clone(),
        }
    }

    fn into_tracked(self, order: &[String]) -> TrackedAction {
        let chars: Vec<char> = self.fields.chars().collect();
        let fields = order
            .iter()
            .zip(chars.chunks(FIELD_SIG_LEN))
            .filter(|(_, c)| c.len() == FIELD_SIG_LEN && !c.contains(&'-'))
            .map(|(k, c)| (k.clone(), c.iter().collect()))
            .collect();
        TrackedAction {
            id: self.id,
            integration_id: self.integration_id,
            integration: self.integration,
            version: self.version,
            digest: self.digest,
            fields,
            function: self.function,
        }
    }
}

/// The state file as stored.
#[derive(Debug, Deserialize)]
struct WireState {
    version: u32,
    #[serde(default)]
    gcsync_version: String,
    lineage: String,
    serial: u64,
    #[serde(default)]
    org: Option<OrgRef>,
    #[serde(default)]
    org_name: Option<String>,
    #[serde(default)]
    environment: Option<String>,
    #[serde(default)]
    field_order: Vec<String>,
    #[serde(default)]
    actions: BTreeMap<String, WireAction>,
    #[serde(default)]
    pending: Vec<PendingCreate>,
    #[serde(default)]
    integrations: BTreeMap<String, TrackedIntegration>,
    #[serde(default)]
    pending_integrations: Vec<String>,
    #[serde(default)]
    retired: Vec<RetiredAction>,
}

/// An integration gcsync owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedIntegration {
    /// Integration id.
    pub id: String,
    /// Integration type.
    pub type_id: String,
    /// Digest of the last applied non-secret definition.
    pub digest: String,
    /// The enabled state last applied (`None` in states written before it was recorded):
    /// `drift` compares it with the org's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Its credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<TrackedCredential>,
}

/// The credential of an owned integration: salted hashes of the field values, never the
/// values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedCredential {
    /// Credential id.
    pub id: String,
    /// Credential type.
    pub type_name: String,
    /// Random salt (hex) for the hashes.
    pub salt: String,
    /// Field → salted sha256 of its value (see `model::integration::salted_hash`).
    pub hashes: BTreeMap<String, String>,
}

/// A create that was sent but whose result was not yet recorded: if the run dies, the next
/// one adopts the action it finds with this exact name and integration instead of creating
/// a duplicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCreate {
    /// Action name.
    pub name: String,
    /// Integration id.
    pub integration_id: String,
    /// Integration name.
    pub integration: String,
    /// A function action's code hash, as the create uploads it: an adopted interrupted create
    /// that got as far as publishing has this code (absent for other actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip_sha256: Option<String>,
}

/// An action gcsync deleted (a delete, or the old id of a replace): `drift` still reports
/// Architect flows that consume it. The last [`RETIRED_KEPT`] are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredAction {
    /// Its address when it was deleted.
    pub name: String,
    /// Its id.
    pub id: String,
}

/// How many retired actions the state remembers.
pub const RETIRED_KEPT: usize = 500;

impl State {
    /// Records that gcsync deleted action `id` (addressed `name`).
    pub fn retire(&mut self, name: &str, id: &str) {
        self.retired.retain(|r| r.id != id);
        self.retired.push(RetiredAction { name: name.to_string(), id: id.to_string() });
        let excess = self.retired.len().saturating_sub(RETIRED_KEPT);
        self.retired.drain(..excess);
    }
}

/// The state.
#[derive(Debug, Clone)]
pub struct State {
    /// Schema version.
    pub version: u32,
    /// The gcsync version that last wrote it.
    pub gcsync_version: String,
    /// Identity of this state's history (a saved plan must come from the same lineage).
    pub lineage: String,
    /// Incremented on every content change.
    pub serial: u64,
    /// The org this state belongs to (set on the first apply).
    pub org: Option<OrgRef>,
    /// The org's name as last read from `organizations/me` (shown in plan headers when a
    /// run proves the org by the state's own action ids and does not read it again).
    pub org_name: Option<String>,
    /// The environment (`--env`) this state belongs to, when it was written under one: two
    /// environments on one org can never share a state file.
    pub environment: Option<String>,
    /// Owned actions by manifest name.
    pub actions: BTreeMap<String, TrackedAction>,
    /// Creates in flight (crash journal).
    pub pending: Vec<PendingCreate>,
    /// Owned integrations by manifest name.
    pub integrations: BTreeMap<String, TrackedIntegration>,
    /// Integration creates in flight (crash journal), by name.
    pub pending_integrations: Vec<String>,
    /// Actions gcsync deleted, newest last (see [`RetiredAction`]).
    pub retired: Vec<RetiredAction>,
    /// The content last read or written (not serialized): an unchanged state is not
    /// rewritten and its serial does not move.
    written: Option<String>,
    /// Whether this process already kept the previous file as `.backup`.
    backed_up: bool,
    /// Serialized line per action, reused while the entry is unchanged (apply rewrites the
    /// whole file after every mutation; re-serializing thousands of unchanged entries each
    /// time dominated large applies).
    lines: std::cell::RefCell<BTreeMap<String, (TrackedAction, String)>>,
}

/// Reading or writing state failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not a gcsync state.
    #[error("`{path}` is not a valid gcsync state file: {message}")]
    Invalid {
        /// Path.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A newer gcsync wrote it.
    #[error("`{path}` has state schema version {found}; this gcsync ({ours}) reads version {supported}")]
    TooNew {
        /// Path.
        path: PathBuf,
        /// Version found.
        found: u32,
        /// Version supported.
        supported: u32,
        /// This gcsync's version.
        ours: &'static str,
    },
    /// A remote state location refused or failed (named in the message).
    #[error(transparent)]
    Backend(Box<backend::Error>),
    /// The state could not be serialized (nothing was written; the previous file is intact).
    #[error("cannot write `{path}`: {message}; the previous state file is unchanged")]
    Serialize {
        /// Path.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// I/O.
    #[error("cannot {op} `{path}`: {reason}")]
    Io {
        /// What was attempted.
        op: &'static str,
        /// Path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The state belongs to another org.
    #[error(
        "the state `{path}` belongs to org `{state_org}` at `{state_host}`, but the target is org `{target_org}` at `{target_host}`"
    )]
    OtherOrg {
        /// Path.
        path: PathBuf,
        /// Org id in the state.
        state_org: String,
        /// Host in the state.
        state_host: String,
        /// Org id of the target.
        target_org: String,
        /// Host of the target.
        target_host: String,
    },
    /// The state belongs to another environment.
    #[error("the state `{path}` belongs to environment `{state_env}`, but this run targets {target}")]
    OtherEnvironment {
        /// Path.
        path: PathBuf,
        /// Environment recorded in the state.
        state_env: String,
        /// What this run targets.
        target: String,
    },
}

/// A state write about to happen (see [`State::next_write`]).
#[derive(Debug)]
pub struct NextWrite {
    /// The whole file.
    pub text: String,
    content: String,
    /// The serial it carries.
    pub serial: u64,
}

impl State {
    /// A new, empty state with a fresh lineage.
    #[must_use]
    pub fn new() -> Self {
        Self {
            version: STATE_VERSION,
            gcsync_version: env!("CARGO_PKG_VERSION").to_string(),
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            org: None,
            org_name: None,
            environment: None,
            actions: BTreeMap::new(),
            pending: Vec::new(),
            integrations: BTreeMap::new(),
            pending_integrations: Vec::new(),
            retired: Vec::new(),
            written: None,
            backed_up: false,
            lines: std::cell::RefCell::new(BTreeMap::new()),
        }
    }

    /// Loads `path`; a missing file is a new state.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::new()),
            Err(e) => {
                return Err(Error::Io {
                    op: "read",
                    path: path.into(),
                    reason: crate::fsutil::io_reason(&e),
                });
            }
        };
        Self::from_bytes(path, &bytes)
    }

    /// Parses a state read from `path` (a file, or a remote location shown as a path).
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Self, Error> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| Error::Invalid {
            path: path.into(),
            message: format!("not JSON (line {}, column {}): {e}", e.line(), e.column()),
        })?;
        let found = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        let found = u32::try_from(found).unwrap_or(u32::MAX);
        if found > STATE_VERSION {
            return Err(Error::TooNew {
                path: path.into(),
                found,
                supported: STATE_VERSION,
                ours: env!("CARGO_PKG_VERSION"),
            });
        }
        if found == 0 {
            return Err(Error::Invalid { path: path.into(), message: "no schema `version`".into() });
        }
        let wire: WireState = serde_json::from_value(value)
            .map_err(|e| Error::Invalid { path: path.into(), message: e.to_string() })?;
        let order = wire.field_order;
        let mut state = State {
            version: wire.version,
            gcsync_version: wire.gcsync_version,
            lineage: wire.lineage,
            serial: wire.serial,
            org: wire.org,
            org_name: wire.org_name,
            environment: wire.environment,
            actions: wire.actions.into_iter().map(|(k, w)| (k, w.into_tracked(&order))).collect(),
            pending: wire.pending,
            integrations: wire.integrations,
            pending_integrations: wire.pending_integrations,
            retired: wire.retired,
            written: None,
            backed_up: false,
            lines: std::cell::RefCell::new(BTreeMap::new()),
        };
        // Not cached: a read-only command (plan, drift) would only double its memory.
        state.written = Some(
            state
                .content_text(false)
                .map_err(|e| Error::Invalid { path: path.into(), message: e.to_string() })?,
        );
        Ok(state)
    }

    /// The content part of the file (everything but schema version, writer and serial):
    /// one action per line, keys sorted, so diffs stay readable and writes stay cheap.
    /// `cache`: keep each serialized line for the next call (apply writes after every mutation).
    fn content_text(&self, cache_lines: bool) -> Result<String, serde_json::Error> {
        let mut out = String::new();
        let order = field_order();
        out.push_str(&format!("  \"lineage\": {},\n", compact(&self.lineage)?));
        if let Some(org) = &self.org {
            out.push_str(&format!("  \"org\": {},\n", compact(org)?));
        }
        if let Some(name) = &self.org_name {
            out.push_str(&format!("  \"org_name\": {},\n", compact(name)?));
        }
        if let Some(env) = &self.environment {
            out.push_str(&format!("  \"environment\": {},\n", compact(env)?));
        }
        out.push_str(&format!("  \"field_order\": {},\n", compact(&order)?));
        if !self.integrations.is_empty() {
            out.push_str("  \"integrations\": {");
            for (i, (name, t)) in self.integrations.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&format!("    {}: {}", compact(name)?, compact(t)?));
            }
            out.push_str("\n  },\n");
        }
        if !self.pending_integrations.is_empty() {
            out.push_str(&format!("  \"pending_integrations\": {},\n", compact(&self.pending_integrations)?));
        }
        if !self.retired.is_empty() {
            out.push_str(&format!("  \"retired\": {},\n", compact(&self.retired)?));
        }
        out.push_str("  \"actions\": {");
        let mut first = true;
        let mut cache = self.lines.borrow_mut();
        cache.retain(|name, _| self.actions.contains_key(name));
        for (name, t) in &self.actions {
            out.push_str(if first { "\n" } else { ",\n" });
            first = false;
            match cache.get(name) {
                // `fields` derive from the same spec as `digest`, so these decide equality.
                Some((cached, line))
                    if cached.digest == t.digest
                        && cached.id == t.id
                        && cached.version == t.version
                        && cached.integration_id == t.integration_id
                        && cached.integration == t.integration =>
                {
                    out.push_str(line);
                }
                _ => {
                    let line =
                        format!("    {}: {}", compact(name)?, compact(&WireAction::from_tracked(t, &order))?);
                    out.push_str(&line);
                    if cache_lines {
                        cache.insert(name.clone(), (t.clone(), line));
                    }
                }
            }
        }
        out.push_str(if self.actions.is_empty() { "}" } else { "\n  }" });
        if !self.pending.is_empty() {
            out.push_str(",\n  \"pending\": [");
            for (i, p) in self.pending.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&format!("    {}", compact(p)?));
            }
            out.push_str("\n  ]");
        }
        out.push('\n');
        Ok(out)
    }

    /// Writes the state atomically, keeping the previous file as `<path>.backup`. The
    /// serial moves only when the content differs from what is on disk.
    pub fn save(&mut self, path: &Path) -> Result<(), Error> {
        let Some(next) = self.next_write(path)? else { return Ok(()) };
        crate::fsutil::write_private(path, next.text.as_bytes(), !self.backed_up).map_err(|e| Error::Io {
            op: "write",
            path: path.into(),
            reason: crate::fsutil::io_reason(&e),
        })?;
        self.backed_up = true;
        self.commit(next);
        Ok(())
    }

    /// The text of the next write, with the serial moved on; `None` when the content equals
    /// the last write (nothing to write). `path` names the state in errors. The state itself
    /// changes only once the write succeeded ([`State::commit`]).
    pub fn next_write(&self, path: &Path) -> Result<Option<NextWrite>, Error> {
        let content = self
            .content_text(true)
            .map_err(|e| Error::Serialize { path: path.into(), message: e.to_string() })?;
        if self.written.as_deref() == Some(content.as_str()) {
            return Ok(None);
        }
        // A serial at u64::MAX cannot grow: refuse rather than wrap (a wrapped serial would
        // read as older than every copy of this state).
        let Some(serial) = self.serial.checked_add(1) else {
            return Err(Error::Serialize {
                path: path.into(),
                message: format!("the serial {} cannot be increased", self.serial),
            });
        };
        let text = format!(
            "{{\n  \"version\": {},\n  \"gcsync_version\": {},\n  \"serial\": {serial},\n{content}}}\n",
            self.version,
            serde_json::Value::String(env!("CARGO_PKG_VERSION").to_string()),
        );
        Ok(Some(NextWrite { text, content, serial }))
    }

    /// Records that `next` was written.
    pub fn commit(&mut self, next: NextWrite) {
        self.serial = next.serial;
        self.gcsync_version = env!("CARGO_PKG_VERSION").to_string();
        self.written = Some(next.content);
    }

    /// Equal apart from serial and writer version.
    #[must_use]
    pub fn same_content(&self, other: &State) -> bool {
        self.lineage == other.lineage
            && self.org == other.org
            && self.org_name == other.org_name
            && self.environment == other.environment
            && self.actions == other.actions
            && self.pending == other.pending
            && self.integrations == other.integrations
            && self.pending_integrations == other.pending_integrations
            && self.retired == other.retired
    }

    /// Refuses a target org that is not the one this state belongs to; records the org
    /// when the state has none yet.
    pub fn check_org(&mut self, path: &Path, target: &OrgRef) -> Result<(), Error> {
        match &self.org {
            Some(o) if o.org_id != target.org_id => Err(Error::OtherOrg {
                path: path.into(),
                state_org: o.org_id.clone(),
                state_host: o.api_host.clone(),
                target_org: target.org_id.clone(),
                target_host: target.api_host.clone(),
            }),
            Some(_) => Ok(()),
            None => {
                self.org = Some(target.clone());
                Ok(())
            }
        }
    }

    /// Refuses a state written under another environment (or under one, used without
    /// `--env`, or the reverse once it belongs to one); records the environment otherwise.
    pub fn check_environment(&mut self, path: &Path, environment: Option<&str>) -> Result<(), Error> {
        match (self.environment.as_deref(), environment) {
            (Some(s), t) if Some(s) != t => Err(Error::OtherEnvironment {
                path: path.into(),
                state_env: s.to_string(),
                target: t.map_or("no environment".to_string(), |t| format!("environment `{t}`")),
            }),
            (None, Some(t)) => {
                self.environment = Some(t.to_string());
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && self.serial == other.serial && self.same_content(other)
    }
}

impl Eq for State {}

/// Compact JSON of a value (state lines). An error (a map with non-string keys, a failing
/// `Serialize`) stops the write: the state is never written with a placeholder.
fn compact<T: Serialize + ?Sized>(v: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(v)
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(id: &str) -> TrackedAction {
        TrackedAction {
            id: id.into(),
            integration_id: "i".into(),
            integration: "I".into(),
            version: 1,
            digest: "sha256:x".into(),
            fields: BTreeMap::new(),
            function: None,
        }
    }

    #[test]
    fn a_serial_at_its_maximum_is_refused_and_the_file_left_intact() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let mut s = State::load(&p).unwrap();
        s.actions.insert("A".into(), tracked("1"));
        s.save(&p).unwrap();
        let before = std::fs::read(&p).unwrap();
        s.serial = u64::MAX;
        s.actions.insert("B".into(), tracked("2"));
        let e = s.save(&p).unwrap_err();
        assert!(matches!(e, Error::Serialize { .. }), "{e}");
        assert!(e.to_string().contains("cannot be increased"), "{e}");
        assert_eq!(s.serial, u64::MAX, "not wrapped");
        assert_eq!(std::fs::read(&p).unwrap(), before, "the previous state is intact");
    }

    #[test]
    fn round_trip_and_serial_only_moves_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let mut s = State::load(&p).unwrap();
        assert_eq!(s.serial, 0);
        s.actions.insert("A".into(), tracked("1"));
        s.save(&p).unwrap();
        assert_eq!(s.serial, 1);
        let mut again = State::load(&p).unwrap();
        assert_eq!(again, s);
        again.save(&p).unwrap();
        assert_eq!(again.serial, 1, "no content change, no new serial");
        again.actions.insert("B".into(), tracked("2"));
        again.save(&p).unwrap();
        assert_eq!(again.serial, 2);
        let backup = State::load(&p.with_extension("json.backup")).unwrap();
        assert_eq!(backup.actions.len(), 1);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.find("\"A\"").unwrap() < text.find("\"B\"").unwrap(), "sorted keys");
    }

    #[test]
    fn function_record_round_trips_and_is_absent_for_other_actions() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let mut s = State::load(&p).unwrap();
        s.actions.insert("Web".into(), tracked("1"));
        let mut f = tracked("2");
        f.function = Some(TrackedFunction {
            handler: "src/index.handler".into(),
            runtime: "nodejs22.x".into(),
            timeout_seconds: 5,
            description: "Scores a lead.".into(),
            zip_sha256: Some("sha256:abc".into()),
        });
        s.actions.insert("Fn".into(), f.clone());
        let mut imported = tracked("3");
        imported.function = Some(TrackedFunction { zip_sha256: None, ..f.function.clone().unwrap() });
        s.actions.insert("Imported".into(), imported);
        s.save(&p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text.matches("\"function\"").count(), 2, "only function actions carry it: {text}");
        assert_eq!(text.matches("zipSha256").count(), 1, "an imported action has no hash: {text}");
        let back = State::load(&p).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.actions["Fn"].function, f.function);
        assert!(back.actions["Web"].function.is_none());
        assert!(back.actions["Imported"].function.as_ref().unwrap().zip_sha256.is_none());
    }

    #[test]
    fn field_digests_survive_the_compact_file_format() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let spec = crate::model::ActionSpec {
            name: "A".into(),
            category: "C".into(),
            integration: "i".into(),
            secure: false,
            config: crate::model::ActionConfig::default(),
            contract: crate::model::Contract::default(),
        };
        let mut s = State::new();
        let t = TrackedAction::from_spec("id", 3, "I", &spec);
        assert_eq!(t.fields.len(), 14);
        s.actions.insert("A".into(), t.clone());
        s.save(&p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains("\"field_order\": [\"name\",\"category\""), "{text}");
        assert_eq!(text.lines().filter(|l| l.contains("\"id\":\"id\"")).count(), 1, "one line per action");
        assert_eq!(State::load(&p).unwrap().actions["A"], t);
    }

    #[test]
    fn refuses_newer_and_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        std::fs::write(&p, r#"{"version": 9, "lineage": "x"}"#).unwrap();
        assert!(matches!(State::load(&p), Err(Error::TooNew { found: 9, .. })));
        std::fs::write(&p, "{ nope").unwrap();
        let e = State::load(&p).unwrap_err().to_string();
        assert!(e.contains("not JSON (line 1"), "{e}");
        std::fs::write(&p, "{}").unwrap();
        assert!(State::load(&p).unwrap_err().to_string().contains("no schema `version`"));
    }

    #[test]
    fn org_check() {
        let mut s = State::new();
        let a = OrgRef { api_host: "h".into(), org_id: "A".into() };
        let b = OrgRef { api_host: "h".into(), org_id: "B".into() };
        s.check_org(Path::new("s"), &a).unwrap();
        assert_eq!(s.org.as_ref(), Some(&a));
        assert!(s.check_org(Path::new("s"), &a).is_ok());
        let e = s.check_org(Path::new("s"), &b).unwrap_err().to_string();
        assert!(e.contains("belongs to org `A`") && e.contains("target is org `B`"), "{e}");
    }
}
