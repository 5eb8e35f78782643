//! The operation layer: what a command does against an org, from start to end.
//!
//! Owns: the one order every org operation follows — lock → connect → load the state →
//! org and environment check ([`session`]) → refresh ([`refresh`]) → plan ([`plan`]) →
//! apply ([`apply`], persisting through the state store) — plus the drift audit
//! ([`drift`]), import's state records ([`import`]), the usage report's reads ([`usage`]),
//! export's reads ([`export`]) and `test --remote`'s ([`remote_test`]). Commands parse arguments, call one
//! operation and render its result.
//! Must not: parse arguments, print (warnings, secrets to redact and progress reach the
//! caller through hooks), decide exit codes, or hold plan rules (the pure core is `plan`;
//! the mutations and their order are `apply`).

pub mod apply;
pub mod drift;
pub mod export;
pub mod import;
pub mod plan;
pub mod refresh;
pub mod remote_test;
pub mod session;
pub mod usage;
