//! gcsync: manage Genesys Cloud data actions the way Terraform manages infrastructure.
//!
//! Module map (README "Architecture" keeps the same list):
//! - `cli`: argument parsing, the Printer, one module per command.
//! - `exit`: exit codes and the single error → exit-code mapping.
//! - `diag`: located diagnostics and caret rendering.
//! - `yaml`: the only user of the YAML crate (parse with positions, emit).
//! - `manifest`: manifest files → typed resources → canonical actions, offline rules.
//! - `model`: the canonical Genesys action, Genesys's contract rules, normalized digest.
//! - `convert`: Genesys action JSON → manifest YAML, verified lossless.
//! - `fsutil`: atomic file writes.
//! - `velocity`, `jsonpath`: leaf engines (Genesys's Velocity dialect, Jayway JSONPath).
//! - `javanum`: Java's `Double.toString`, the one number leaf both engines may use.
//! - `eval`: the oracle protocol over both engines.
//! - `exec`: the local runtime (the Genesys pipeline, transports, test cases).
//! - `remote`: the Genesys client; `emulator`: the local Genesys Cloud.
//! - `environments`: environment files (target org, state path, `vars:` per environment).
//! - `formats`: the formats CI tools read (Terraform plan JSON and events, Markdown, SARIF, ...).
//! - `impact`: the pure flow-impact model (which flows consume an action; may a delete/replace proceed).

pub mod apply;
pub mod cli;
pub mod convert;
pub mod diag;
pub mod emulator;
pub mod environments;
pub mod eval;
pub mod exec;
pub mod exit;
pub mod formats;
pub mod fsutil;
pub mod function;
pub mod impact;
pub mod javanum;
pub mod jsonpath;
pub mod manifest;
pub mod model;
pub mod operation;
pub mod plan;
pub mod redact;
pub mod remote;
pub mod state;
pub mod status_codes;
pub mod velocity;
pub mod yaml;
