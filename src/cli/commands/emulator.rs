//! `gcsync emulator`: a local Genesys Cloud on loopback, until killed.

use crate::cli::printer::Printer;
use crate::emulator::{self, faults::FaultSpec};
use crate::exit::{CliError, CmdResult, ExitStatus};
use std::path::PathBuf;

fn after_help() -> String {
    format!(
        "On start it prints one JSON line: {{\"url\":\"http://127.0.0.1:PORT\",\"client_id\":\"…\",\"client_secret\":\"…\"}}, then serves until killed.\n\n{}\n\nAdmin routes (no auth): GET/DELETE /__emulator/requests (request log), PUT /__emulator/faults (JSON list of specs), POST /__emulator/revoke-tokens.",
        emulator::faults::help_text()
    )
}

/// Arguments of `emulator`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = after_help()
)]
pub struct Args {
    /// Port on 127.0.0.1 (0 picks a free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Keep the org in this file across restarts (atomic writes); in memory otherwise.
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// OAuth client id to accept.
    #[arg(long, default_value = "local", value_name = "ID")]
    client_id: String,
    /// OAuth client secret to accept.
    #[arg(
        long,
        default_value = "local",
        value_name = "S",
        env = "GCSYNC_EMULATOR_CLIENT_SECRET",
        hide_env_values = true
    )]
    client_secret: String,
    /// Lifetime of issued tokens in seconds.
    #[arg(long, default_value_t = 86_399, value_name = "SECONDS")]
    token_ttl: u64,
    /// Inject a fault (repeatable); see the syntax below.
    #[arg(long = "fault", value_name = "SPEC")]
    faults: Vec<String>,
    /// Seed for `rate=` faults (same seed, same faults).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Enforce this many requests per minute per token, answering real 429s.
    #[arg(long, value_name = "N")]
    rate_limit: Option<u32>,
    /// Burst size of the enforced limit (default: 10 seconds' worth).
    #[arg(long, value_name = "N")]
    rate_burst: Option<u32>,
    /// Append every request (method, path, status) to this file as JSON lines.
    #[arg(long, value_name = "FILE")]
    request_log: Option<PathBuf>,
    /// Create an integration when the org is new: NAME or NAME=TYPE (custom-rest-actions by default).
    #[arg(long = "integration", value_name = "NAME[=TYPE]")]
    integrations: Vec<String>,
}

/// Runs `emulator`.
pub fn run(args: &Args, printer: &Printer) -> CmdResult {
    let mut specs = Vec::new();
    // `GCSYNC_EMULATOR_FAULTS` unset: no faults.
    let env_faults = std::env::var("GCSYNC_EMULATOR_FAULTS").unwrap_or_default();
    for s in args
        .faults
        .iter()
        .map(String::as_str)
        .chain(env_faults.split(';').map(str::trim).filter(|s| !s.is_empty()))
    {
        specs.push(FaultSpec::parse(s).map_err(|e| CliError::new(format!("invalid fault `{s}`: {e}")))?);
    }
    let seed_integrations = args
        .integrations
        .iter()
        .map(|i| match i.split_once('=') {
            Some((n, t)) => (n.to_string(), t.to_string()),
            None => (i.clone(), "custom-rest-actions".to_string()),
        })
        .collect();
    let config = emulator::Config {
        port: args.port,
        data: args.data.clone(),
        client_id: args.client_id.clone(),
        client_secret: args.client_secret.clone(),
        token_ttl: args.token_ttl,
        faults: specs,
        seed: args.seed,
        rate_limit: args.rate_limit,
        rate_burst: args.rate_burst,
        request_log: args.request_log.clone(),
        seed_integrations,
        ..emulator::Config::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async {
        let running = emulator::start(config).await.map_err(CliError::new)?;
        printer.outln(&running.announcement());
        wait_for_signal().await;
        running.shutdown().await;
        Ok(ExitStatus::Success)
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
