//! Flow impact on a plan (issue 15): which Architect flows use the actions a plan deletes or
//! replaces, and whether the plan may do it.
//!
//! Owns: which changes need their consumers read ([`needs_impact`], [`targets`]), annotating a
//! plan with what was read ([`annotate`]: each such change carries its consumers and the reasons
//! the answer may be incomplete; a published consumer or an unknown impact is a plan error unless
//! allowed for that action; a checked-in-only consumer is a reason line), and the saved-plan
//! check ([`stale`]: published consumers that appeared since the plan was made).
//! Pure: no I/O. The reads are `operation::plan` (through `remote::flows`), the decision per
//! action is `crate::impact::decide`.
//! Must not: talk to the API, read files, or print.

use super::{Action, Change, Plan, PlanError};
use crate::impact::{Allowance, Block, Consumer, Decision, Impact, Warning, decide};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One flow using an action, as the plan format writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowConsumer {
    /// Flow id.
    pub id: String,
    /// Flow name.
    pub name: String,
    /// Flow type (`INBOUNDCALLFLOW`, `COMMONMODULEFLOW`, …).
    #[serde(rename = "type")]
    pub flow_type: String,
    /// The published version using the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_version: Option<String>,
    /// The checked-in (unpublished) version using the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_version: Option<String>,
}

impl From<&Consumer> for FlowConsumer {
    fn from(c: &Consumer) -> Self {
        FlowConsumer {
            id: c.id.clone(),
            name: c.name.clone(),
            flow_type: c.flow_type.clone(),
            published_version: c.published_version.clone(),
            checked_in_version: c.checked_in_version.clone(),
        }
    }
}

impl FlowConsumer {
    /// `Main IVR (INBOUNDCALLFLOW, published 3.0, checked in 4.0)`.
    #[must_use]
    pub fn describe(&self) -> String {
        let versions = match (&self.published_version, &self.checked_in_version) {
            (Some(p), Some(c)) if p != c => format!("published {p}, checked in {c}"),
            (Some(p), _) => format!("published {p}"),
            (None, Some(c)) => format!("checked in {c}, not published"),
            (None, None) => "no version".to_string(),
        };
        format!("{} ({}, {versions})", self.name, self.flow_type)
    }
}

/// Whether apply removes the action from the org for this change (so flows bound to it break).
/// A `Forget` does not: the action is already gone.
#[must_use]
pub fn needs_impact(action: Action) -> bool {
    matches!(action, Action::Delete | Action::Replace | Action::AdoptReplace)
}

/// The changes whose consumers must be read: (manifest name, action id).
#[must_use]
pub fn targets(plan: &Plan) -> Vec<(&str, &str)> {
    plan.changes
        .iter()
        .filter(|c| needs_impact(c.action))
        .filter_map(|c| c.id.as_deref().map(|id| (c.name.as_str(), id)))
        .collect()
}

fn list(consumers: &[Consumer]) -> String {
    consumers.iter().map(|c| FlowConsumer::from(c).describe()).collect::<Vec<_>>().join(", ")
}

/// A name as a shell word (as typed after `--allow-breaking-flows`).
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-.,/:@+=".contains(c));
    if plain { s.to_string() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// Annotates the plan with the consumers read for each change that deletes or replaces an action
/// (`impacts` by manifest name; a missing entry is an unknown impact, never "no consumers") and
/// applies the rules of [`crate::impact::decide`]: a refused change becomes a plan error naming
/// the flows and both ways out; warnings become reason lines. `manifest_allows`: the manifest
/// names whose manifest sets `allowBreakingFlows: true` (`allowance` holds them and the flag's).
/// `gcsync`: how the hint spells the command (`gcsync`, `gcsync --local`, `gcsync --env prod`),
/// so it runs as printed.
#[must_use]
pub fn annotate(
    mut plan: Plan,
    impacts: &BTreeMap<String, Impact>,
    allowance: &Allowance,
    manifest_allows: &BTreeSet<String>,
    gcsync: &str,
) -> Plan {
    let not_read = Impact { consumers: Vec::new(), incomplete: vec![crate::impact::Incomplete::NotRead] };
    let mut errors = Vec::new();
    for c in plan.changes.iter_mut().filter(|c| needs_impact(c.action)) {
        let impact = impacts.get(&c.name).unwrap_or(&not_read);
        c.consumers = Some(impact.consumers.iter().map(FlowConsumer::from).collect());
        c.consumers_incomplete = impact.incomplete.iter().map(ToString::to_string).collect();
        let allowed_by = if manifest_allows.contains(&c.name) {
            "`allowBreakingFlows: true` in its manifest"
        } else {
            "`--allow-breaking-flows`"
        };
        let (blocks, warnings) = match decide(&c.name, impact, allowance) {
            Decision::Proceed { warnings } => (Vec::new(), warnings),
            Decision::Refuse { blocks, warnings } => (blocks, warnings),
        };
        for w in warnings {
            c.reasons.push(match w {
                Warning::CheckedInOnly(flows) => format!(
                    "flows whose checked-in (unpublished) version uses it break at their next publish: {}",
                    list(&flows)
                ),
                Warning::AllowedBreak(flows) => {
                    format!("published flows using it will break (allowed by {allowed_by}): {}", list(&flows))
                }
                Warning::AllowedUnknown(why) => format!(
                    "the flows using it are unknown ({}); proceeding as allowed by {allowed_by}",
                    why.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                ),
            });
        }
        if blocks.is_empty() {
            continue;
        }
        let verb = if c.action == Action::Delete { "deleting" } else { "replacing" };
        let what: Vec<String> = blocks
            .iter()
            .map(|b| match b {
                Block::Published(flows) => format!("published flows use it: {}", list(flows)),
                Block::Unknown(why) => format!(
                    "the flows using it are unknown ({})",
                    why.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                ),
            })
            .collect();
        let name = shell_word(&c.name);
        let allow = if c.action == Action::Delete {
            format!("pass `--allow-breaking-flows {name}`")
        } else {
            format!("pass `--allow-breaking-flows {name}` or set `allowBreakingFlows: true` in its manifest")
        };
        let first = if blocks.iter().all(|b| matches!(b, Block::Unknown(_))) {
            format!(
                "let dependency tracking answer first (it needs `architect:dependencyTracking:view` and an OPERATIONAL build; `{gcsync} usage {name}` shows its answer), or accept breaking whatever uses it: {allow}"
            )
        } else {
            format!(
                "republish those flows onto another action first (`{gcsync} usage {name}` lists them), or accept breaking them: {allow}"
            )
        };
        errors.push(PlanError {
            name: c.name.clone(),
            message: format!("{verb} `{}` would break Architect flows: {}", c.name, what.join("; ")),
            hint: Some(first),
        });
    }
    plan.errors.extend(errors);
    plan
}

/// For a saved plan about to be applied: the published consumers that appeared since it was made
/// (by flow id), and impacts that became unknown, as staleness reasons (empty: still fresh).
#[must_use]
pub fn stale(plan: &Plan, fresh: &BTreeMap<String, Impact>) -> Vec<String> {
    let mut out = Vec::new();
    for c in plan.changes.iter().filter(|c| needs_impact(c.action)) {
        let Some(now) = fresh.get(&c.name) else { continue };
        let saved = c.consumers.as_deref().unwrap_or(&[]);
        let known: BTreeSet<&str> =
            saved.iter().filter(|f| f.published_version.is_some()).map(|f| f.id.as_str()).collect();
        let new: Vec<Consumer> = now
            .consumers
            .iter()
            .filter(|f| f.is_published() && !known.contains(f.id.as_str()))
            .cloned()
            .collect();
        if !new.is_empty() {
            out.push(format!(
                "published flows started using `{}` since the plan was made: {}",
                c.name,
                list(&new)
            ));
        }
        if !now.is_complete() && c.consumers_incomplete.is_empty() {
            out.push(format!(
                "the flows using `{}` can no longer be checked ({})",
                c.name,
                now.incomplete.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            ));
        }
    }
    out
}

/// The human lines under a change that deletes or replaces an action: its consumers, or that
/// none use it, or that the answer is incomplete.
#[must_use]
pub fn lines(c: &Change) -> Vec<String> {
    let Some(consumers) = &c.consumers else { return Vec::new() };
    let mut out = Vec::new();
    if consumers.is_empty() && c.consumers_incomplete.is_empty() {
        out.push("used by no Architect flow (dependency tracking)".to_string());
    }
    if !consumers.is_empty() {
        let n = consumers.len();
        out.push(format!("used by {n} Architect flow{}:", if n == 1 { "" } else { "s" }));
        out.extend(consumers.iter().map(|f| format!("  {}", f.describe())));
    }
    for why in &c.consumers_incomplete {
        out.push(format!("flow list incomplete: {why}"));
    }
    out
}

/// The same as [`lines`] in one sentence (for formats with a list of reasons per change).
#[must_use]
pub fn sentence(c: &Change) -> Option<String> {
    let consumers = c.consumers.as_ref()?;
    let mut s = if consumers.is_empty() {
        "used by no Architect flow (dependency tracking)".to_string()
    } else {
        format!(
            "used by Architect flows: {}",
            consumers.iter().map(FlowConsumer::describe).collect::<Vec<_>>().join(", ")
        )
    };
    if !c.consumers_incomplete.is_empty() {
        s = format!("{s}; the list may be incomplete: {}", c.consumers_incomplete.join("; "));
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impact::Incomplete;

    fn change(name: &str, action: Action) -> Change {
        Change {
            name: name.into(),
            action,
            reasons: vec![],
            id: Some(format!("id-{name}")),
            version: Some(1),
            integration: "Profile API".into(),
            moved_from: None,
            fields: vec![],
            drift: vec![],
            desired: None,
            consumers: None,
            consumers_incomplete: vec![],
            function: None,
        }
    }

    fn flow(id: &str, published: Option<&str>, checked_in: Option<&str>) -> Consumer {
        Consumer {
            id: id.into(),
            name: format!("Flow {id}"),
            flow_type: "INBOUNDCALLFLOW".into(),
            published_version: published.map(str::to_string),
            checked_in_version: checked_in.map(str::to_string),
        }
    }

    fn plan(changes: Vec<Change>) -> Plan {
        Plan { integrations: vec![], changes, errors: vec![] }
    }

    fn impacts(pairs: &[(&str, Impact)]) -> BTreeMap<String, Impact> {
        pairs.iter().map(|(n, i)| ((*n).to_string(), i.clone())).collect()
    }

    #[test]
    fn only_deletes_and_replaces_are_targets() {
        let p = plan(vec![
            change("a", Action::Delete),
            change("b", Action::Replace),
            change("c", Action::AdoptReplace),
            change("d", Action::Forget),
            change("e", Action::Update),
            change("f", Action::NoOp),
        ]);
        assert_eq!(targets(&p), [("a", "id-a"), ("b", "id-b"), ("c", "id-c")]);
    }

    #[test]
    fn published_consumer_is_an_error_naming_flows_and_both_ways_out() {
        let p = plan(vec![change("Fetch profile", Action::Delete), change("Other", Action::Update)]);
        let i = Impact { consumers: vec![flow("f1", Some("3.0"), Some("4.0"))], incomplete: vec![] };
        let got = annotate(
            p,
            &impacts(&[("Fetch profile", i)]),
            &Allowance::default(),
            &BTreeSet::new(),
            "gcsync --env prod",
        );
        assert_eq!(got.errors.len(), 1);
        assert_eq!(
            got.errors[0].message,
            "deleting `Fetch profile` would break Architect flows: published flows use it: Flow f1 (INBOUNDCALLFLOW, published 3.0, checked in 4.0)"
        );
        assert_eq!(
            got.errors[0].hint.as_deref(),
            Some(
                "republish those flows onto another action first (`gcsync --env prod usage 'Fetch profile'` lists them), or accept breaking them: pass `--allow-breaking-flows 'Fetch profile'`"
            )
        );
        assert_eq!(got.changes[0].consumers.as_ref().map(Vec::len), Some(1));
        assert_eq!(got.changes[1].consumers, None, "an update reads no consumers");
    }

    #[test]
    fn allowed_per_action_proceeds_with_a_reason() {
        let p = plan(vec![change("A", Action::Replace), change("B", Action::Replace)]);
        let i = Impact { consumers: vec![flow("f1", Some("1.0"), None)], incomplete: vec![] };
        let got = annotate(
            p,
            &impacts(&[("A", i.clone()), ("B", i)]),
            &Allowance::new(["A"]),
            &BTreeSet::from(["A".to_string()]),
            "gcsync",
        );
        assert_eq!(got.errors.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["B"]);
        assert!(got.errors[0].hint.as_deref().unwrap().contains("allowBreakingFlows: true"));
        assert_eq!(
            got.changes[0].reasons,
            [
                "published flows using it will break (allowed by `allowBreakingFlows: true` in its manifest): Flow f1 (INBOUNDCALLFLOW, published 1.0)"
            ]
        );
    }

    #[test]
    fn checked_in_only_warns() {
        let p = plan(vec![change("A", Action::Delete)]);
        let i = Impact { consumers: vec![flow("f2", None, Some("1.0"))], incomplete: vec![] };
        let got = annotate(p, &impacts(&[("A", i)]), &Allowance::default(), &BTreeSet::new(), "gcsync");
        assert!(got.errors.is_empty());
        assert_eq!(
            got.changes[0].reasons,
            [
                "flows whose checked-in (unpublished) version uses it break at their next publish: Flow f2 (INBOUNDCALLFLOW, checked in 1.0, not published)"
            ]
        );
    }

    #[test]
    fn unknown_or_missing_impact_is_refused_never_silent() {
        let p = plan(vec![change("A", Action::Delete), change("B", Action::Delete)]);
        let i = Impact { consumers: vec![], incomplete: vec![Incomplete::ServerError { status: 503 }] };
        let got = annotate(p, &impacts(&[("A", i)]), &Allowance::default(), &BTreeSet::new(), "gcsync");
        assert_eq!(got.errors.len(), 2);
        assert!(got.errors[0].message.contains("unknown (dependency tracking answered HTTP 503)"));
        assert!(got.errors[1].message.contains("were not read"), "{}", got.errors[1].message);
        assert_eq!(got.changes[0].consumers_incomplete, ["dependency tracking answered HTTP 503"]);
        assert_eq!(lines(&got.changes[0]), ["flow list incomplete: dependency tracking answered HTTP 503"]);
    }

    #[test]
    fn no_consumers_proceeds_and_says_so() {
        let p = plan(vec![change("A", Action::Delete)]);
        let got = annotate(
            p,
            &impacts(&[("A", Impact::default())]),
            &Allowance::default(),
            &BTreeSet::new(),
            "gcsync",
        );
        assert!(got.errors.is_empty() && got.changes[0].reasons.is_empty());
        assert_eq!(lines(&got.changes[0]), ["used by no Architect flow (dependency tracking)"]);
        assert_eq!(
            sentence(&got.changes[0]).as_deref(),
            Some("used by no Architect flow (dependency tracking)")
        );
        assert_eq!(sentence(&change("B", Action::Update)), None);
    }

    #[test]
    fn stale_when_new_published_consumers_appear() {
        let p = plan(vec![change("A", Action::Delete)]);
        let saved = Impact { consumers: vec![flow("f1", None, Some("1.0"))], incomplete: vec![] };
        let p =
            annotate(p, &impacts(&[("A", saved.clone())]), &Allowance::default(), &BTreeSet::new(), "gcsync");
        assert!(stale(&p, &impacts(&[("A", saved)])).is_empty());
        let now = Impact {
            consumers: vec![flow("f1", Some("1.0"), None), flow("f3", None, Some("2.0"))],
            incomplete: vec![],
        };
        assert_eq!(
            stale(&p, &impacts(&[("A", now)])),
            [
                "published flows started using `A` since the plan was made: Flow f1 (INBOUNDCALLFLOW, published 1.0)"
            ]
        );
        let unknown = Impact {
            consumers: vec![],
            incomplete: vec![Incomplete::NotOperational { status: "NOTSTARTED".into() }],
        };
        assert_eq!(stale(&p, &impacts(&[("A", unknown)])).len(), 1);
    }
}
