//! Saved plans (`plan --out FILE`, `apply FILE`): the exact changes a human approved, and
//! everything they were computed from, so apply can refuse a plan that went stale.
//!
//! Owns: the plan-file format (JSON, `format_version` "1", `kind` "gcsync-plan"): the
//! operations, the sha256 over every manifest input, the state's lineage and serial, the
//! org, the environment, and the live versions the plan was computed from; and the pure
//! staleness check. Plan files hold no secrets (actions carry none; credential changes
//! carry only salted hashes and environment variable names).
//! Must not: read manifests, state or the org itself (callers pass what they read).

use super::{FORMAT_VERSION, Op, Plan};
use crate::plan::LiveSummary;
use crate::state::{OrgRef, State};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A saved plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// Format version.
    pub format_version: String,
    /// Always `gcsync-plan`.
    pub kind: String,
    /// gcsync version that wrote it.
    pub gcsync_version: String,
    /// Environment (`--env`), if any.
    #[serde(default)]
    pub environment: Option<String>,
    /// The org it was planned against.
    pub org: OrgRef,
    /// State file path it was planned with.
    pub state_path: String,
    /// State lineage.
    pub lineage: String,
    /// State serial.
    pub serial: u64,
    /// sha256 over every manifest input.
    pub manifest_digest: String,
    /// Live version of every action the plan changes (id → version); actions it leaves
    /// alone may move without making it stale.
    pub live_versions: BTreeMap<String, i64>,
    /// Names the plan creates: they must still be absent from the org.
    pub absent_names: Vec<String>,
    /// `--target` names.
    #[serde(default)]
    pub targets: Vec<String>,
    /// The manifest paths (`-m`) it was planned from; `apply PLAN` reads the same ones.
    /// Empty in plans written before gcsync recorded them.
    #[serde(default)]
    pub manifest_paths: Vec<String>,
    /// The plan.
    pub plan: Plan,
}

/// Why a saved plan cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Unreadable file.
    #[error("`{path}` is not a gcsync plan file: {message}")]
    Invalid {
        /// Path.
        path: String,
        /// Why.
        message: String,
    },
    /// Something moved since the plan was made.
    #[error("the saved plan is stale: {}", .0.join("; "))]
    Stale(Vec<String>),
}

impl SavedPlan {
    /// Builds a saved plan.
    #[must_use]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        plan: &Plan,
        state: &State,
        state_path: &str,
        org: &OrgRef,
        manifest_digest: &str,
        environment: Option<String>,
        targets: Vec<String>,
        live: &[LiveSummary],
    ) -> Self {
        let by_id: BTreeMap<&str, i64> = live.iter().map(|s| (s.id.as_str(), s.version)).collect();
        let mut live_versions = BTreeMap::new();
        let mut absent_names = Vec::new();
        for c in plan.changes.iter().filter(|c| c.action != crate::plan::Action::NoOp) {
            if let Some(id) = &c.id
                && let Some(v) = by_id.get(id.as_str())
            {
                live_versions.insert(id.clone(), *v);
            }
            if c.op() == Op::Create || c.op() == Op::Replace {
                absent_names.push(c.name.clone());
            }
        }
        Self {
            format_version: FORMAT_VERSION.into(),
            kind: "gcsync-plan".into(),
            gcsync_version: env!("CARGO_PKG_VERSION").into(),
            environment,
            org: org.clone(),
            state_path: state_path.into(),
            lineage: state.lineage.clone(),
            serial: state.serial,
            manifest_digest: manifest_digest.into(),
            live_versions,
            absent_names,
            targets,
            manifest_paths: Vec::new(),
            plan: plan.clone(),
        }
    }

    /// Writes the plan file atomically.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        crate::fsutil::write_private(path, &bytes, false)
    }

    /// Reads a plan file.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let invalid = |message: String| Error::Invalid { path: path.display().to_string(), message };
        let bytes = std::fs::read(path).map_err(|e| invalid(crate::fsutil::io_reason(&e)))?;
        let v: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| invalid(format!("not JSON (line {}, column {})", e.line(), e.column())))?;
        if v.get("kind").and_then(serde_json::Value::as_str) != Some("gcsync-plan") {
            return Err(invalid("no `\"kind\": \"gcsync-plan\"`".into()));
        }
        if v.get("format_version").and_then(serde_json::Value::as_str) != Some(FORMAT_VERSION) {
            return Err(invalid(format!("unsupported format_version (this gcsync reads {FORMAT_VERSION})")));
        }
        serde_json::from_value(v).map_err(|e| invalid(e.to_string()))
    }

    /// Refuses the plan if anything it was computed from moved. Pure.
    pub fn check_fresh(
        &self,
        state: &State,
        org: &OrgRef,
        manifest_digest: &str,
        environment: Option<&str>,
        live: &[LiveSummary],
    ) -> Result<(), Error> {
        let mut why = Vec::new();
        if self.environment.as_deref() != environment {
            why.push(format!(
                "it was made for environment `{}`, not `{}`",
                self.environment.as_deref().unwrap_or("(none)"),
                environment.unwrap_or("(none)")
            ));
        }
        if self.org.org_id != org.org_id {
            why.push(format!(
                "it was made for org `{}`, the target is org `{}`",
                self.org.org_id, org.org_id
            ));
        }
        // A plan made before any state existed (serial 0) fits a state that still has none.
        let both_new = self.serial == 0 && state.serial == 0;
        if self.lineage != state.lineage && !both_new {
            why.push("the state has a different lineage (another state file)".into());
        } else if self.serial != state.serial {
            why.push(format!(
                "the state moved from serial {} to {} since the plan was made",
                self.serial, state.serial
            ));
        }
        if self.manifest_digest != manifest_digest {
            why.push(if environment.is_some() {
                "the manifests or the environment's `vars:` changed since the plan was made".into()
            } else {
                "the manifests changed since the plan was made".into()
            });
        }
        let by_id: BTreeMap<&str, i64> = live.iter().map(|s| (s.id.as_str(), s.version)).collect();
        for (id, v) in &self.live_versions {
            let name = self
                .plan
                .changes
                .iter()
                .find(|c| c.id.as_deref() == Some(id.as_str()))
                .map_or_else(|| format!("`{id}`"), |c| format!("`{}` (id `{id}`)", c.name));
            match by_id.get(id.as_str()) {
                Some(now) if now == v => {}
                Some(now) => why.push(format!("action {name} moved from version {v} to {now} in the org")),
                None => why.push(format!("action {name} no longer exists in the org")),
            }
        }
        for name in &self.absent_names {
            // `name` is the address; the org knows the action's own name and integration.
            let change = self.plan.changes.iter().find(|c| &c.name == name);
            let planned_id = change.and_then(|c| c.id.as_deref());
            let spec = change.and_then(|c| c.desired.as_ref()).and_then(super::DesiredJson::spec);
            let (real, integration) = match &spec {
                Some(s) => (s.name.as_str(), Some(s.integration.as_str())),
                None => (name.as_str(), None),
            };
            // An integration this plan creates has no actions yet: any integration matches.
            let same = |s: &LiveSummary| {
                s.name == real
                    && integration.is_none_or(|i| match super::IntegrationRef::from_wire(i) {
                        super::IntegrationRef::Id(id) => id == s.integration_id,
                        _ => true,
                    })
            };
            if live.iter().any(|s| same(s) && Some(s.id.as_str()) != planned_id) {
                why.push(format!("an action named `{name}` appeared in the org"));
            }
        }
        if why.is_empty() { Ok(()) } else { Err(Error::Stale(why)) }
    }
}
