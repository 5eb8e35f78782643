//! End-to-end CLI tests: the real binary in a temp directory (one test binary, compiled once).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, clippy::print_stdout)]

mod common;
mod convert;
mod environments;
mod flows;
mod formats;
mod foundation;
mod function_apply;
mod functions;
mod integrations;
mod quickstart;
mod reconcile;
mod runtime;
mod usage;
