//! Flow impact: which Architect flows consume an action, and whether deleting or replacing that action
//! may proceed (issue 15).
//!
//! Owns the pure model only: [`Consumer`] (one flow using an action), [`Impact`] (the consumers found and
//! why the answer may be incomplete), [`Allowance`] (the actions the user allows to break flows) and the
//! decision [`decide`]. No I/O: the consumers are read elsewhere (Architect dependency tracking,
//! `consumingresources` / `build`), and the plan calls [`decide`] for every action it deletes or replaces
//! (`plan::impact::annotate`); `remote::flows` builds the `Impact`s and `gcsync usage` shows them. Must not touch the client,
//! the emulator, the plan or the state.
//!
//! Rules: a consumer whose flow has a **published** version blocks unless allowed for that action; a
//! consumer with only a checked-in (unpublished) version warns; an impact that is not known to be
//! complete (dependency build not `OPERATIONAL`, failed objects, 403 missing
//! `architect:dependencyTracking:view`, a 5xx) blocks unless allowed — never a silent "no consumers".

use std::collections::BTreeSet;
use std::fmt;

/// One Architect flow that consumes an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    /// The flow id.
    pub id: String,
    /// The flow name.
    pub name: String,
    /// The flow type as Genesys writes it (`INBOUNDCALLFLOW`, `COMMONMODULEFLOW`, …).
    pub flow_type: String,
    /// The published version that consumes the action, if any.
    pub published_version: Option<String>,
    /// The checked-in (saved, not published) version that consumes the action, if any.
    pub checked_in_version: Option<String>,
}

impl Consumer {
    /// A published flow breaks at once when the action goes away.
    pub fn is_published(&self) -> bool {
        self.published_version.is_some()
    }
}

/// Why a consumer list may be missing flows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incomplete {
    /// The dependency build status is not `OPERATIONAL` (e.g. `BUILDINPROGRESS`, `NOTSTARTED`).
    NotOperational { status: String },
    /// The dependency build lists objects it could not analyse.
    FailedObjects { ids: Vec<String> },
    /// Dependency tracking answered 403 (the missing permission, as Genesys names it).
    Forbidden { permission: String },
    /// Dependency tracking answered a server error.
    ServerError { status: u16 },
    /// The consumers were not read at all (a caller's gap; treated as unknown, never as none).
    NotRead,
}

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Incomplete::NotOperational { status } => {
                write!(f, "the dependency tracking build is {status}, not OPERATIONAL")
            }
            Incomplete::FailedObjects { ids } => write!(
                f,
                "the dependency tracking build failed on {} object(s): {}",
                ids.len(),
                ids.join(", ")
            ),
            Incomplete::Forbidden { permission } => {
                write!(f, "dependency tracking answered 403 (missing permission {permission})")
            }
            Incomplete::ServerError { status } => {
                write!(f, "dependency tracking answered HTTP {status}")
            }
            Incomplete::NotRead => write!(f, "the flows using it were not read"),
        }
    }
}

/// What is known about the flows consuming one action.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Impact {
    /// The consumers found (possibly not all of them, see `incomplete`).
    pub consumers: Vec<Consumer>,
    /// Every reason the list may be incomplete; empty means complete.
    pub incomplete: Vec<Incomplete>,
}

impl Impact {
    /// True when dependency tracking answered fully and was operational.
    pub fn is_complete(&self) -> bool {
        self.incomplete.is_empty()
    }
}

/// The actions (by manifest name) the user allows to break flows (a flag or a manifest field).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowance {
    names: BTreeSet<String>,
}

impl Allowance {
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Allowance { names: names.into_iter().map(Into::into).collect() }
    }

    pub fn allows(&self, action: &str) -> bool {
        self.names.contains(action)
    }
}

/// A note that does not stop the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// Flows whose checked-in (unpublished) version consumes the action: they break at their next publish.
    CheckedInOnly(Vec<Consumer>),
    /// Published flows will break, and the user allowed it for this action.
    AllowedBreak(Vec<Consumer>),
    /// The impact is not fully known, and the user allowed the operation anyway.
    AllowedUnknown(Vec<Incomplete>),
}

/// Why an operation is held back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Published flows consume the action.
    Published(Vec<Consumer>),
    /// The impact is not fully known.
    Unknown(Vec<Incomplete>),
}

/// The decision for one delete or replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Proceed { warnings: Vec<Warning> },
    Refuse { blocks: Vec<Block>, warnings: Vec<Warning> },
}

impl Decision {
    pub fn proceeds(&self) -> bool {
        matches!(self, Decision::Proceed { .. })
    }
}

/// May deleting or replacing `action` (its manifest name) proceed, given what is known of its consumers?
pub fn decide(action: &str, impact: &Impact, allowance: &Allowance) -> Decision {
    let allowed = allowance.allows(action);
    let (published, checked_in_only): (Vec<Consumer>, Vec<Consumer>) =
        impact.consumers.iter().cloned().partition(Consumer::is_published);
    let mut warnings = Vec::new();
    let mut blocks = Vec::new();
    if !checked_in_only.is_empty() {
        warnings.push(Warning::CheckedInOnly(checked_in_only));
    }
    if !published.is_empty() {
        if allowed {
            warnings.push(Warning::AllowedBreak(published));
        } else {
            blocks.push(Block::Published(published));
        }
    }
    if !impact.is_complete() {
        if allowed {
            warnings.push(Warning::AllowedUnknown(impact.incomplete.clone()));
        } else {
            blocks.push(Block::Unknown(impact.incomplete.clone()));
        }
    }
    if blocks.is_empty() { Decision::Proceed { warnings } } else { Decision::Refuse { blocks, warnings } }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(name: &str, published: Option<&str>, checked_in: Option<&str>) -> Consumer {
        Consumer {
            id: format!("id-{name}"),
            name: name.to_string(),
            flow_type: "INBOUNDCALLFLOW".to_string(),
            published_version: published.map(str::to_string),
            checked_in_version: checked_in.map(str::to_string),
        }
    }

    #[test]
    fn no_consumers_and_complete_proceeds_silently() {
        let d = decide("A", &Impact::default(), &Allowance::default());
        assert_eq!(d, Decision::Proceed { warnings: vec![] });
    }

    #[test]
    fn published_consumer_blocks_unless_allowed() {
        let f = flow("Main IVR", Some("3.0"), Some("4.0"));
        let impact = Impact { consumers: vec![f.clone()], incomplete: vec![] };
        assert_eq!(
            decide("A", &impact, &Allowance::default()),
            Decision::Refuse { blocks: vec![Block::Published(vec![f.clone()])], warnings: vec![] }
        );
        // Allowing another action does not help.
        assert!(!decide("A", &impact, &Allowance::new(["B"])).proceeds());
        assert_eq!(
            decide("A", &impact, &Allowance::new(["A"])),
            Decision::Proceed { warnings: vec![Warning::AllowedBreak(vec![f])] }
        );
    }

    #[test]
    fn checked_in_only_consumer_warns_but_proceeds() {
        let f = flow("Draft flow", None, Some("1.0"));
        let impact = Impact { consumers: vec![f.clone()], incomplete: vec![] };
        assert_eq!(
            decide("A", &impact, &Allowance::default()),
            Decision::Proceed { warnings: vec![Warning::CheckedInOnly(vec![f])] }
        );
    }

    #[test]
    fn unknown_impact_blocks_unless_allowed_never_silent() {
        for why in [
            Incomplete::NotOperational { status: "BUILDINPROGRESS".into() },
            Incomplete::FailedObjects { ids: vec!["flow-9".into()] },
            Incomplete::Forbidden { permission: "architect:dependencyTracking:view".into() },
            Incomplete::ServerError { status: 503 },
        ] {
            let impact = Impact { consumers: vec![], incomplete: vec![why.clone()] };
            assert_eq!(
                decide("A", &impact, &Allowance::default()),
                Decision::Refuse { blocks: vec![Block::Unknown(vec![why.clone()])], warnings: vec![] }
            );
            assert_eq!(
                decide("A", &impact, &Allowance::new(["A"])),
                Decision::Proceed { warnings: vec![Warning::AllowedUnknown(vec![why])] }
            );
        }
    }

    #[test]
    fn mixed_consumers_and_incomplete_report_everything() {
        let p = flow("Published", Some("2.0"), None);
        let c = flow("Saved", None, Some("1.0"));
        let why = Incomplete::ServerError { status: 500 };
        let impact = Impact { consumers: vec![p.clone(), c.clone()], incomplete: vec![why.clone()] };
        assert_eq!(
            decide("A", &impact, &Allowance::default()),
            Decision::Refuse {
                blocks: vec![Block::Published(vec![p]), Block::Unknown(vec![why])],
                warnings: vec![Warning::CheckedInOnly(vec![c])],
            }
        );
    }

    #[test]
    fn incomplete_reasons_read_as_sentences() {
        assert_eq!(
            Incomplete::Forbidden { permission: "architect:dependencyTracking:view".into() }.to_string(),
            "dependency tracking answered 403 (missing permission architect:dependencyTracking:view)"
        );
        assert_eq!(
            Incomplete::FailedObjects { ids: vec!["a".into(), "b".into()] }.to_string(),
            "the dependency tracking build failed on 2 object(s): a, b"
        );
        assert_eq!(
            Incomplete::NotOperational { status: "NOTSTARTED".into() }.to_string(),
            "the dependency tracking build is NOTSTARTED, not OPERATIONAL"
        );
        assert_eq!(
            Incomplete::ServerError { status: 502 }.to_string(),
            "dependency tracking answered HTTP 502"
        );
    }
}
