//! The formats reviewers and CI tools already read: Terraform's plan JSON
//! (`show -json`), Terraform's streaming UI events (`plan`/`apply --json-stream`), the
//! anchor lines tfcmt-style tools match (`--format terraform`), a Markdown plan for pull
//! request comments and `$GITHUB_STEP_SUMMARY`, the GitLab merge-request report, and
//! `validate`'s SARIF 2.1.0 and GitHub workflow-command output.
//!
//! Owns: [`view`] — the ONE mapping from gcsync's plan representation to a neutral list
//! of resources (address, Terraform action, fields, drift) — and one renderer per format,
//! each a pure function from that view (or from diagnostics) to text or JSON.
//! Must not: decide anything about a plan, read files, talk to the org, read the clock
//! (timestamps come from the caller) or print.

pub mod events;
pub mod github;
pub mod gitlab;
pub mod markdown;
pub mod sarif;
pub mod terraform_json;
pub mod terraform_text;
pub mod view;
