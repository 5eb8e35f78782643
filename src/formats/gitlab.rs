//! The GitLab merge-request widget's Terraform report (`artifacts: reports: terraform`):
//! `{"create": N, "update": N, "delete": N}`.
//!
//! Owns: the counts exactly as GitLab's documented `jq` filter computes them from
//! `terraform show -json` — every `change.actions` array flattened, then the words
//! `create`, `update` and `delete` counted — so a replace counts once as a create and
//! once as a delete, and no-ops and forgets count nothing.
//! Must not: count any other way than that filter does.

use super::view::PlanView;
use serde_json::{Value, json};

/// The report.
#[must_use]
pub fn report(view: &PlanView) -> Value {
    let actions: Vec<&str> =
        view.resources.iter().flat_map(|r| r.kind.terraform_actions().iter().copied()).collect();
    let count = |word: &str| actions.iter().filter(|a| **a == word).count();
    json!({"create": count("create"), "update": count("update"), "delete": count("delete")})
}
