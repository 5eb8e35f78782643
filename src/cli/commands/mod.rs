//! One module per command. Each exposes `Args` (clap) and `run(&Args, &Printer)`.
//!
//! Owns: orchestration of a command — load inputs, call the engine modules, hand results to
//! the Printer, choose the exit status.
//! Must not: contain engine logic that another command or a test would want to reuse.

pub mod apply;
pub mod convert;
pub mod drift;
pub mod emulator;
pub mod eval;
pub mod export;
pub mod import;
pub mod plan;
pub mod render;
pub mod session;
pub mod state;
pub mod test;
pub mod validate;

use crate::cli::Globals;
use crate::cli::printer::Printer;
use crate::diag::Diagnostics;
use crate::exit::CliError;
use crate::manifest::{self, ManifestSet};
use std::path::PathBuf;

/// Loads manifests (with the environment's `vars:` when `--env` was given); on errors prints
/// the diagnostics (stderr) and returns an error. Warnings are printed and loading succeeds.
pub fn load_manifests(
    paths: &[PathBuf],
    printer: &Printer,
    globals: &Globals,
) -> Result<ManifestSet, CliError> {
    let (mut set, diags) = manifest::load_with(paths, globals.vars());
    report_load(&set, &diags, printer)?;
    // Source texts only serve diagnostics, which are printed by now.
    set.sources = crate::diag::Sources::default();
    Ok(set)
}

fn report_load(set: &ManifestSet, diags: &Diagnostics, printer: &Printer) -> Result<(), CliError> {
    if !diags.is_empty() {
        printer.diagnostics(diags, &set.sources, false);
    }
    if diags.has_errors() {
        return Err(CliError::new(format!(
            "the manifests have {} error{}",
            diags.error_count(),
            if diags.error_count() == 1 { "" } else { "s" }
        ))
        .hint("run `gcsync validate` for the full report"));
    }
    Ok(())
}
