//! Planning integrations and their credentials (`kind: Integration` manifests). Pure.
//!
//! Owns: the integration rules — create (credential, integration, configuration with the
//! credential bound under the key Genesys expects, enabled state), update in place (notes,
//! enabled state, credential definition), credential rotation (a changed environment value,
//! found by comparing salted hashes — values never enter the plan), delete (only what the
//! state owns, refused while the org still has actions in it that gcsync does not own), a
//! missing environment variable as a plan error naming it, an unowned integration with a
//! manifest's name as an error, adoption after an interrupted create — each change's
//! action named explicitly ([`IntegrationAction`]; the plan format keeps spelling it as
//! `op`, `adopt` and `gone`).
//! Must not: read the environment, generate randomness or talk to the API: the caller
//! passes resolved values and fresh salts.

use super::{FieldChange, Op, PlanError};
use crate::model::integration::{IntegrationSpec, hash_matches, salted_hash};
use crate::state::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A declared integration with its credential values resolved from the environment.
#[derive(Clone)]
pub struct DesiredIntegration {
    /// The manifest's definition.
    pub spec: IntegrationSpec,
    /// Field → value (`None`: the variable is not set). Values only feed hashes.
    pub values: BTreeMap<String, Option<String>>,
    /// A fresh salt for a credential created by this plan.
    pub new_salt: String,
}

impl std::fmt::Debug for DesiredIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesiredIntegration").field("spec", &self.spec).finish_non_exhaustive()
    }
}

/// An integration as the org shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveIntegration {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Type id.
    pub type_id: String,
    /// `intendedState == ENABLED`.
    pub enabled: bool,
    /// Notes.
    pub notes: String,
    /// The credential id bound in `config.current.credentials`, if any.
    pub credential_id: Option<String>,
}

/// What happens to a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialOp {
    /// Nothing.
    Keep,
    /// Create (and bind).
    Create,
    /// Update its fields (rotation or new definition).
    Update,
    /// Delete.
    Delete,
}

/// The credential part of an integration change. Holds hashes and variable names only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialPlan {
    /// What happens.
    pub op: CredentialOp,
    /// Existing credential id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Fields whose value changed in the environment (rotation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rotated: Vec<String>,
    /// Salt of the hashes below.
    #[serde(default)]
    pub salt: String,
    /// Field → salted hash of the value apply must send (apply re-checks the environment).
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
}

impl CredentialPlan {
    /// Nothing to do with the credential (no id, nothing rotated, no hashes).
    #[must_use]
    pub fn keep() -> Self {
        Self {
            op: CredentialOp::Keep,
            id: None,
            rotated: Vec::new(),
            salt: String::new(),
            hashes: BTreeMap::new(),
        }
    }
}

/// What apply does for one integration, named explicitly ([`Op`] is how it is shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationAction {
    /// Nothing: the org and the state agree with the manifest.
    NoOp,
    /// Adopt the integration an interrupted earlier apply created; it matches (state only).
    Adopt,
    /// Adopt it, then update it.
    AdoptUpdate,
    /// Create it (and its credential).
    Create,
    /// Update it in place (and its credential).
    Update,
    /// Delete it (and its credential).
    Delete,
    /// Already gone from the org: only the state entry is removed.
    Forget,
}

impl IntegrationAction {
    /// How it is shown.
    #[must_use]
    pub fn op(self) -> Op {
        match self {
            IntegrationAction::NoOp | IntegrationAction::Adopt => Op::NoOp,
            IntegrationAction::Create => Op::Create,
            IntegrationAction::Update | IntegrationAction::AdoptUpdate => Op::Update,
            IntegrationAction::Delete | IntegrationAction::Forget => Op::Delete,
        }
    }

    /// Whether it adopts an interrupted create.
    #[must_use]
    pub fn adopts(self) -> bool {
        matches!(self, IntegrationAction::Adopt | IntegrationAction::AdoptUpdate)
    }

    /// The same change with an update in place.
    #[must_use]
    fn updated(self) -> Self {
        match self {
            IntegrationAction::NoOp => IntegrationAction::Update,
            IntegrationAction::Adopt => IntegrationAction::AdoptUpdate,
            other => other,
        }
    }

    /// From the plan format's `op`, `adopt` and `gone`.
    fn from_wire(op: Op, adopt: bool, gone: bool) -> Result<Self, String> {
        Ok(match (op, adopt, gone) {
            (Op::NoOp, false, false) => IntegrationAction::NoOp,
            (Op::NoOp, true, false) => IntegrationAction::Adopt,
            (Op::Update, true, false) => IntegrationAction::AdoptUpdate,
            (Op::Create, false, false) => IntegrationAction::Create,
            (Op::Update, false, false) => IntegrationAction::Update,
            (Op::Delete, false, false) => IntegrationAction::Delete,
            (Op::Delete, false, true) => IntegrationAction::Forget,
            (op, adopt, gone) => {
                return Err(format!(
                    "an integration change cannot be `{op:?}` with adopt={adopt} and gone={gone}"
                ));
            }
        })
    }
}

/// One planned integration change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "WireIntegrationChange", into = "WireIntegrationChange")]
pub struct IntegrationChange {
    /// Manifest name.
    pub name: String,
    /// What apply does.
    pub action: IntegrationAction,
    /// Existing id.
    pub id: Option<String>,
    /// Why.
    pub reasons: Vec<String>,
    /// Non-secret field changes (desired vs live).
    pub fields: Vec<FieldChange>,
    /// The credential.
    pub credential: CredentialPlan,
    /// The desired definition (create/update).
    pub desired: Option<IntegrationSpec>,
}

impl IntegrationChange {
    /// How it is shown.
    #[must_use]
    pub fn op(&self) -> Op {
        self.action.op()
    }

    /// Whether it adopts an integration an interrupted apply created.
    #[must_use]
    pub fn adopt(&self) -> bool {
        self.action.adopts()
    }

    /// Whether it is gone from the org already (only the state entry is removed).
    #[must_use]
    pub fn gone(&self) -> bool {
        self.action == IntegrationAction::Forget
    }
}

impl TryFrom<WireIntegrationChange> for IntegrationChange {
    type Error = String;

    fn try_from(w: WireIntegrationChange) -> Result<Self, String> {
        let action = IntegrationAction::from_wire(w.op, w.adopt, w.gone)
            .map_err(|e| format!("integration `{}`: {e}", w.name))?;
        Ok(IntegrationChange {
            name: w.name,
            action,
            id: w.id,
            reasons: w.reasons,
            fields: w.fields,
            credential: w.credential,
            desired: w.desired,
        })
    }
}

impl From<IntegrationChange> for WireIntegrationChange {
    fn from(c: IntegrationChange) -> Self {
        WireIntegrationChange {
            op: c.op(),
            adopt: c.adopt(),
            gone: c.gone(),
            name: c.name,
            id: c.id,
            reasons: c.reasons,
            fields: c.fields,
            credential: c.credential,
            desired: c.desired,
        }
    }
}

/// An integration change as the plan format (`plan --json`, saved plans) spells it.
#[derive(Clone, Serialize, Deserialize)]
struct WireIntegrationChange {
    /// Manifest name.
    name: String,
    /// Kind.
    op: Op,
    /// Existing id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<String>,
    /// Non-secret field changes (desired vs live).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    fields: Vec<FieldChange>,
    /// The credential.
    credential: CredentialPlan,
    /// Adopt an integration an interrupted apply created.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    adopt: bool,
    /// Gone from the org already (delete only removes the state entry).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    gone: bool,
    /// The desired definition (create/update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    desired: Option<IntegrationSpec>,
}

/// Live data the integration plan reads.
#[derive(Debug, Clone, Default)]
pub struct LiveIntegrations {
    /// Every integration.
    pub integrations: Vec<LiveIntegration>,
    /// Ids of existing credentials.
    pub credential_ids: BTreeSet<String>,
    /// Credential name → id (to adopt a credential an interrupted apply created).
    pub credential_names: BTreeMap<String, String>,
    /// (action name, integration id, action id) of every live action, to refuse unsafe
    /// deletes. Ownership is decided by id: names are unique only within an integration.
    pub actions: Vec<(String, String, String)>,
}

/// Plans integrations. `owned_actions_kept`: names of owned actions that stay (their
/// integration must not be deleted). Live actions in an integration to delete count as owned
/// only when their id is in the state.
#[must_use]
pub fn plan(
    desired: &[DesiredIntegration],
    state: &State,
    live: &LiveIntegrations,
    owned_actions_kept: &BTreeMap<String, String>,
    errors: &mut Vec<PlanError>,
) -> Vec<IntegrationChange> {
    let mut out = Vec::new();
    let declared: BTreeSet<&str> = desired.iter().map(|d| d.spec.name.as_str()).collect();
    for d in desired {
        let name = &d.spec.name;
        let missing: Vec<String> = d
            .spec
            .credential
            .iter()
            .flat_map(|c| c.fields.iter())
            .filter(|(field, _)| d.values.get(*field).is_none_or(Option::is_none))
            .map(|(_, var)| var.clone())
            .collect();
        if !missing.is_empty() {
            errors.push(PlanError {
                name: name.clone(),
                message: format!(
                    "the credential of integration `{name}` reads {}, which {} not set",
                    missing.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "),
                    if missing.len() == 1 { "is" } else { "are" }
                ),
                hint: Some("set the variables in the environment gcsync runs in (their values are never written anywhere)".into()),
            });
            continue;
        }
        let tracked = state.integrations.get(name);
        let live_by_id = tracked.and_then(|t| live.integrations.iter().find(|l| l.id == t.id));
        let named: Vec<&LiveIntegration> = live.integrations.iter().filter(|l| &l.name == name).collect();
        let (live_now, adopt) = match (tracked, live_by_id) {
            (Some(_), Some(l)) => (Some(l), false),
            (Some(t), None) => {
                // Deleted outside gcsync: create again, reusing its credential if that survived.
                let kept =
                    t.credential.as_ref().map(|c| c.id.clone()).filter(|id| live.credential_ids.contains(id));
                out.push(create(d, "deleted outside gcsync since the last apply; it is created again", kept));
                continue;
            }
            (None, _) => match named.as_slice() {
                [] => {
                    // An interrupted create may have made the credential already: reuse it
                    // (found by its deterministic name) instead of leaving an orphan.
                    let interrupted = state
                        .pending_integrations
                        .contains(name)
                        .then(|| live.credential_names.get(&crate::model::integration::credential_name(name)))
                        .flatten()
                        .cloned();
                    out.push(create(d, "", interrupted));
                    continue;
                }
                [one] if state.pending_integrations.contains(name) => (Some(*one), true),
                _ => {
                    errors.push(PlanError {
                        name: name.clone(),
                        message: format!(
                            "an integration named `{name}` already exists in the org ({}) but gcsync does not manage it",
                            named.iter().map(|l| format!("id `{}`", l.id)).collect::<Vec<_>>().join(", ")
                        ),
                        hint: Some(format!(
                            "adopt it with `gcsync import --integration \"{name}\"`, or delete the Integration manifest and let actions refer to the existing integration by name"
                        )),
                    });
                    continue;
                }
            },
        };
        let Some(l) = live_now else { continue };
        if l.type_id != d.spec.type_id {
            errors.push(PlanError {
                name: name.clone(),
                message: format!(
                    "integration `{name}` is of type `{}` in the org; its type cannot change to `{}`",
                    l.type_id, d.spec.type_id
                ),
                hint: Some("declare a new integration with another name and move the actions to it".into()),
            });
            continue;
        }
        let mut change = IntegrationChange {
            name: name.clone(),
            action: if adopt { IntegrationAction::Adopt } else { IntegrationAction::NoOp },
            id: Some(l.id.clone()),
            reasons: Vec::new(),
            fields: Vec::new(),
            credential: CredentialPlan::keep(),
            desired: Some(d.spec.clone()),
        };
        if adopt {
            change.reasons.push("an interrupted earlier apply created it; gcsync adopts it".into());
        }
        for (path, before, after) in [
            ("name", Value::String(l.name.clone()), Value::String(d.spec.name.clone())),
            ("enabled", Value::Bool(l.enabled), Value::Bool(d.spec.enabled)),
            ("notes", Value::String(l.notes.clone()), Value::String(d.spec.notes.clone())),
        ] {
            if before != after {
                change.fields.push(FieldChange { path: path.into(), before, after });
            }
        }
        let definition_changed = tracked.is_some_and(|t| t.digest != d.spec.digest());
        // The credential.
        let tracked_cred = tracked.and_then(|t| t.credential.as_ref());
        match (&d.spec.credential, tracked_cred) {
            (None, None) => {
                if l.credential_id.is_some() && tracked.is_some() {
                    change.reasons.push(
                        "a credential was bound outside gcsync; the manifest declares none (left as is)"
                            .into(),
                    );
                }
            }
            (None, Some(tc)) => {
                change.credential = CredentialPlan {
                    op: CredentialOp::Delete,
                    id: Some(tc.id.clone()),
                    rotated: Vec::new(),
                    salt: String::new(),
                    hashes: BTreeMap::new(),
                };
            }
            (Some(c), tc) => {
                // The owned credential still exists (bound or not: an unbound one is bound again).
                let exists = tc.is_some_and(|tc| live.credential_ids.contains(&tc.id));
                let adopt_cred = if tc.is_none() {
                    live.credential_names.get(&crate::model::integration::credential_name(name))
                } else {
                    None
                };
                match (tc, exists, adopt_cred) {
                    (Some(tc), true, _) if tc.type_name == c.type_name => {
                        if l.credential_id.as_deref() != Some(tc.id.as_str()) {
                            change.fields.push(FieldChange {
                                path: "credential".into(),
                                before: l.credential_id.clone().map_or(Value::Null, Value::String),
                                after: Value::String(tc.id.clone()),
                            });
                            change
                                .reasons
                                .push("its credential was unbound outside gcsync; it is bound again".into());
                        }
                        // An adopted credential has no salt yet: its values are unknown.
                        let salt = if tc.salt.is_empty() { d.new_salt.clone() } else { tc.salt.clone() };
                        let hashes = hashes(&salt, &d.values);
                        let mut rotated: Vec<String> = hashes
                            .iter()
                            .filter(|(k, h)| {
                                // Every variable is set: a missing one ended this integration's
                                // plan with an error above (`missing`), so this is never empty.
                                let value = d.values.get(*k).and_then(Option::as_deref).unwrap_or_default();
                                !tc.hashes
                                    .get(*k)
                                    .is_some_and(|stored| hash_matches(stored, h, &salt, k, value))
                            })
                            .map(|(k, _)| k.clone())
                            .collect();
                        rotated.extend(tc.hashes.keys().filter(|k| !hashes.contains_key(*k)).cloned());
                        rotated.sort();
                        rotated.dedup();
                        if !rotated.is_empty() || definition_changed {
                            change.credential = CredentialPlan {
                                op: CredentialOp::Update,
                                id: Some(tc.id.clone()),
                                rotated,
                                salt,
                                hashes,
                            };
                        }
                    }
                    (_, _, Some(id)) => {
                        // Created by an interrupted apply: update it to the environment's values.
                        change.credential = CredentialPlan {
                            op: CredentialOp::Update,
                            id: Some(id.clone()),
                            rotated: c.fields.keys().cloned().collect(),
                            salt: d.new_salt.clone(),
                            hashes: hashes(&d.new_salt, &d.values),
                        };
                    }
                    _ => {
                        change.credential = CredentialPlan {
                            op: CredentialOp::Create,
                            id: None,
                            rotated: Vec::new(),
                            salt: d.new_salt.clone(),
                            hashes: hashes(&d.new_salt, &d.values),
                        };
                        if tc.is_some() {
                            change.reasons.push(
                                "its credential is gone or of another type in the org; a new one is created"
                                    .into(),
                            );
                        }
                    }
                }
            }
        }
        if !change.fields.is_empty() || change.credential.op != CredentialOp::Keep || definition_changed {
            change.action = change.action.updated();
        }
        if !change.credential.rotated.is_empty() && change.credential.op == CredentialOp::Update {
            change.reasons.push(format!(
                "credential {} changed in the environment (rotation)",
                change.credential.rotated.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        out.push(change);
    }
    for (name, t) in &state.integrations {
        if declared.contains(name.as_str()) {
            continue;
        }
        let live_now = live.integrations.iter().find(|l| l.id == t.id);
        if let Some(l) = live_now {
            let owned_ids: BTreeSet<&str> = state.actions.values().map(|t| t.id.as_str()).collect();
            let unowned: Vec<&str> = live
                .actions
                .iter()
                .filter(|(_, iid, id)| iid == &l.id && !owned_ids.contains(id.as_str()))
                .map(|(action, _, _)| action.as_str())
                .collect();
            if !unowned.is_empty() {
                errors.push(PlanError {
                    name: name.clone(),
                    message: format!(
                        "integration `{name}` cannot be deleted: it still has actions gcsync does not manage: {}",
                        unowned.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                    ),
                    hint: Some("move or delete those actions first, or keep the Integration manifest".into()),
                });
                continue;
            }
            let kept: Vec<&str> =
                owned_actions_kept.iter().filter(|(_, i)| *i == name).map(|(a, _)| a.as_str()).collect();
            if !kept.is_empty() {
                errors.push(PlanError {
                    name: name.clone(),
                    message: format!(
                        "integration `{name}` cannot be deleted: actions in the manifests still use it: {}",
                        kept.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                    ),
                    hint: None,
                });
                continue;
            }
        }
        out.push(IntegrationChange {
            name: name.clone(),
            action: if live_now.is_some() { IntegrationAction::Delete } else { IntegrationAction::Forget },
            id: Some(t.id.clone()),
            reasons: vec![if live_now.is_some() {
                "no manifest declares it any more".into()
            } else {
                "no manifest declares it, and it is already gone from the org".into()
            }],
            fields: Vec::new(),
            credential: CredentialPlan {
                op: if t.credential.is_some() { CredentialOp::Delete } else { CredentialOp::Keep },
                id: t.credential.as_ref().map(|c| c.id.clone()),
                rotated: Vec::new(),
                salt: String::new(),
                hashes: BTreeMap::new(),
            },
            desired: None,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// A create. `existing_credential`: a credential of this integration that already exists
/// (left by an interrupted apply, or surviving an integration deleted by hand); it is
/// updated to the environment's values and bound instead of creating another.
fn create(d: &DesiredIntegration, reason: &str, existing_credential: Option<String>) -> IntegrationChange {
    let has_cred = d.spec.credential.is_some();
    let reuse = existing_credential.filter(|_| has_cred);
    IntegrationChange {
        name: d.spec.name.clone(),
        action: IntegrationAction::Create,
        id: None,
        reasons: if reason.is_empty() { Vec::new() } else { vec![reason.to_string()] },
        fields: d
            .spec
            .fields()
            .into_iter()
            .filter(|(path, v)| !v.is_null() && !path.starts_with("credential."))
            .map(|(path, after)| FieldChange { path: path.to_string(), before: Value::Null, after })
            .collect(),
        credential: CredentialPlan {
            op: match (&reuse, has_cred) {
                (Some(_), _) => CredentialOp::Update,
                (None, true) => CredentialOp::Create,
                (None, false) => CredentialOp::Keep,
            },
            rotated: if reuse.is_some() {
                d.spec.credential.iter().flat_map(|c| c.fields.keys().cloned()).collect()
            } else {
                Vec::new()
            },
            id: reuse,
            salt: if has_cred { d.new_salt.clone() } else { String::new() },
            hashes: if has_cred { hashes(&d.new_salt, &d.values) } else { BTreeMap::new() },
        },
        desired: Some(d.spec.clone()),
    }
}

fn hashes(salt: &str, values: &BTreeMap<String, Option<String>>) -> BTreeMap<String, String> {
    values.iter().filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), salted_hash(salt, k, v)))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::integration::CredentialSpec;
    use crate::state::{TrackedCredential, TrackedIntegration};

    /// Every action keeps the plan format's spelling (`op`, `adopt`, `gone`) and reads back;
    /// a combination no action has is refused.
    #[test]
    fn integration_actions_round_trip_through_the_plan_format() {
        use IntegrationAction as IA;
        for action in [IA::NoOp, IA::Adopt, IA::AdoptUpdate, IA::Create, IA::Update, IA::Delete, IA::Forget] {
            let c = IntegrationChange {
                name: "Api".into(),
                action,
                id: None,
                reasons: Vec::new(),
                fields: Vec::new(),
                credential: CredentialPlan::keep(),
                desired: None,
            };
            let text = serde_json::to_string(&c).unwrap();
            let back: IntegrationChange = serde_json::from_str(&text).unwrap();
            assert_eq!(back.action, action, "{text}");
        }
        let bad = r#"{"name":"Api","op":"create","gone":true,"credential":{"op":"keep"}}"#;
        assert!(
            serde_json::from_str::<IntegrationChange>(bad).unwrap_err().to_string().contains("cannot be")
        );
    }

    fn desired(password: Option<&str>) -> DesiredIntegration {
        let fields: BTreeMap<String, String> =
            [("userName".to_string(), "U".to_string()), ("password".to_string(), "P".to_string())].into();
        DesiredIntegration {
            spec: IntegrationSpec {
                name: "Api".into(),
                type_id: "custom-rest-actions".into(),
                enabled: true,
                notes: String::new(),
                credential: Some(CredentialSpec { type_name: "basicAuth".into(), fields, auth_action: None }),
            },
            values: [
                ("userName".to_string(), Some("ada".to_string())),
                ("password".to_string(), password.map(str::to_string)),
            ]
            .into(),
            new_salt: "salt".into(),
        }
    }

    fn live() -> LiveIntegrations {
        LiveIntegrations {
            integrations: vec![LiveIntegration {
                id: "i1".into(),
                name: "Api".into(),
                type_id: "custom-rest-actions".into(),
                enabled: true,
                notes: String::new(),
                credential_id: Some("c1".into()),
            }],
            credential_ids: ["c1".to_string()].into(),
            credential_names: BTreeMap::new(),
            actions: vec![("Hand Made".into(), "i1".into(), "a9".into())],
        }
    }

    fn owned(pw: &str, d: &DesiredIntegration) -> State {
        let mut s = State::new();
        s.integrations.insert(
            "Api".into(),
            TrackedIntegration {
                id: "i1".into(),
                type_id: "custom-rest-actions".into(),
                digest: d.spec.digest(),
                enabled: Some(true),
                credential: Some(TrackedCredential {
                    id: "c1".into(),
                    type_name: "basicAuth".into(),
                    salt: "s0".into(),
                    hashes: [
                        ("userName".to_string(), salted_hash("s0", "userName", "ada")),
                        ("password".to_string(), salted_hash("s0", "password", pw)),
                    ]
                    .into(),
                }),
            },
        );
        s
    }

    #[test]
    fn create_from_an_empty_org() {
        let mut errors = Vec::new();
        let out = plan(
            &[desired(Some("pw"))],
            &State::new(),
            &LiveIntegrations::default(),
            &BTreeMap::new(),
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(out[0].op(), Op::Create);
        assert_eq!(out[0].credential.op, CredentialOp::Create);
        assert!(!serde_json::to_string(&out).unwrap().contains("\"pw\""), "no value in the plan");
    }

    #[test]
    fn missing_variable_is_an_error_naming_it() {
        let mut errors = Vec::new();
        let out = plan(
            &[desired(None)],
            &State::new(),
            &LiveIntegrations::default(),
            &BTreeMap::new(),
            &mut errors,
        );
        assert!(out.is_empty());
        assert!(errors[0].message.contains("`P`"), "{}", errors[0].message);
    }

    #[test]
    fn rotation_is_a_credential_update() {
        let d = desired(Some("new"));
        let mut errors = Vec::new();
        let out = plan(std::slice::from_ref(&d), &owned("old", &d), &live(), &BTreeMap::new(), &mut errors);
        assert_eq!(out[0].op(), Op::Update);
        assert_eq!(out[0].credential.op, CredentialOp::Update);
        assert_eq!(out[0].credential.rotated, vec!["password".to_string()]);
        let same = plan(std::slice::from_ref(&d), &owned("new", &d), &live(), &BTreeMap::new(), &mut errors);
        assert_eq!(same[0].op(), Op::NoOp);
    }

    #[test]
    fn unowned_integration_with_the_same_name_is_an_error() {
        let mut errors = Vec::new();
        let out = plan(&[desired(Some("x"))], &State::new(), &live(), &BTreeMap::new(), &mut errors);
        assert!(out.is_empty());
        assert!(errors[0].hint.as_deref().unwrap_or("").contains("import --integration"));
    }

    #[test]
    fn delete_is_refused_while_unowned_actions_remain() {
        let d = desired(Some("x"));
        let mut errors = Vec::new();
        let out = plan(&[], &owned("x", &d), &live(), &BTreeMap::new(), &mut errors);
        assert!(out.is_empty());
        assert!(errors[0].message.contains("`Hand Made`"), "{}", errors[0].message);
        let mut l = live();
        l.actions.clear();
        let mut errors = Vec::new();
        let out = plan(&[], &owned("x", &d), &l, &BTreeMap::new(), &mut errors);
        assert_eq!(out[0].op(), Op::Delete);
        assert_eq!(out[0].credential.op, CredentialOp::Delete);
    }

    #[test]
    fn an_unowned_action_sharing_an_owned_actions_name_still_blocks_the_delete() {
        // Names are unique per integration only: `Dup` in i1 is not the owned `Dup` (a1 in i2).
        let d = desired(Some("x"));
        let mut state = owned("x", &d);
        state.actions.insert(
            "Dup".into(),
            crate::state::TrackedAction {
                id: "a1".into(),
                integration_id: "i2".into(),
                integration: "Other".into(),
                version: 1,
                digest: String::new(),
                fields: BTreeMap::new(),
                function: None,
            },
        );
        let mut l = live();
        l.actions = vec![("Dup".into(), "i1".into(), "a2".into()), ("Dup".into(), "i2".into(), "a1".into())];
        let mut errors = Vec::new();
        let out = plan(&[], &state, &l, &BTreeMap::new(), &mut errors);
        assert!(out.is_empty());
        assert!(errors[0].message.contains("`Dup`"), "{}", errors[0].message);
    }
}
