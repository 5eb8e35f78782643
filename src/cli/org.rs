//! Which org a command talks to, and the connection to it.
//!
//! Owns: the global target choice — `--local` (the embedded local org: the emulator run
//! in-process, its data in `state/local-org.json`, its state in `state/local.state.json`),
//! an environment's target (`--env NAME`: its fixed region/API URL or the variables it
//! names, or `local: true`, a local org of its own), or the `GENESYS_CLOUD_*` variables —
//! client settings from `GCSYNC_*` variables (and the `--help` text listing them), wiring
//! the client's log to the Printer, and registering secrets with the Printer so they are
//! redacted everywhere.
//! Must not: plan, apply or read state.

use crate::cli::printer::Printer;
use crate::emulator;
use crate::environments::{self, Environment};
use crate::exit::CliError;
use crate::remote::config::{EnvNames, Target, from_env};
use crate::remote::{Client, ClientOptions, Secret};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the embedded local org keeps its data.
pub const LOCAL_ORG_DATA: &str = "state/local-org.json";
/// The state file used with `--local`.
pub const LOCAL_STATE: &str = "state/local.state.json";
/// The default state file.
pub const DEFAULT_STATE: &str = "state/gcsync.state.json";

/// How to reach the org.
#[derive(Debug, Clone)]
pub enum TargetChoice {
    /// The embedded local org.
    Local,
    /// A real (or emulated) org from environment variables with these names.
    Env(EnvNames),
    /// An environment's embedded local org (`local: true`): an org of its own.
    LocalData {
        /// The environment's name (the org is named after it).
        name: String,
        /// The org's data file.
        data: PathBuf,
    },
    /// An environment's org (`--env NAME`).
    Environment {
        /// The environment's name.
        name: String,
        /// Its file (for messages).
        file: PathBuf,
        /// Fixed values and variable names.
        remote: environments::Remote,
    },
}

impl TargetChoice {
    /// A login or network error's hint, naming the variables this target reads (an
    /// environment's own `clientIdVar`/`clientSecretVar`, its fixed region or API URL).
    #[must_use]
    pub fn name_connection_variables(&self, mut e: CliError) -> CliError {
        use crate::exit::Connection;
        let (Some(about), TargetChoice::Environment { name, file, remote }) = (e.connection, self) else {
            return e;
        };
        let whose = format!("environment `{name}` (`{}`)", file.display());
        e.hint = Some(match about {
            Connection::Login => format!(
                "check `{}` / `{}`, the variables {whose} reads its OAuth client from, and that the client uses the client-credentials grant in {}",
                remote.names.client_id,
                remote.names.client_secret,
                remote.describe()
            ),
            Connection::Network => format!(
                "check the org's address (from {}, per {whose}) and the network; requests that could not have changed anything were retried",
                remote.describe()
            ),
        });
        e
    }

    /// The target of an environment.
    #[must_use]
    pub fn of(env: &Environment) -> Self {
        match &env.target {
            environments::Target::Local { data } => {
                TargetChoice::LocalData { name: env.name.clone(), data: data.clone() }
            }
            environments::Target::Remote(remote) => TargetChoice::Environment {
                name: env.name.clone(),
                file: env.file.clone(),
                remote: remote.clone(),
            },
        }
    }

    /// Whether this is an embedded local org (`--local`, or an environment's `local: true`).
    #[must_use]
    pub fn is_local(&self) -> bool {
        matches!(self, TargetChoice::Local | TargetChoice::LocalData { .. })
    }
}

pub use crate::operation::session::Org;

/// The variables a command that talks to an org reads, for `gcsync --help` (defaults from
/// [`ClientOptions::default`], so the help cannot drift from the code).
#[must_use]
pub fn env_help() -> String {
    let d = ClientOptions::default();
    format!(
        "Environment (README \"Connecting to an org\"):\n\
         \x20 GENESYS_CLOUD_REGION         region domain or key, e.g. mypurecloud.com, mypurecloud.ie,\n\
         \x20                              usw2.pure.cloud, eu_west_1\n\
         \x20 GENESYS_CLOUD_CLIENT_ID      OAuth client with the client-credentials grant\n\
         \x20 GENESYS_CLOUD_CLIENT_SECRET  its secret (never printed)\n\
         \x20 GENESYS_CLOUD_API_URL        API base instead of the region (e.g. http://127.0.0.1:PORT)\n\
         \x20 GCSYNC_RATE_LIMIT            requests per minute, client side (default {}; 0 = off)\n\
         \x20 GCSYNC_PARALLELISM           requests in flight at once (default {}; 1-64)\n\
         \x20 GCSYNC_HTTP_TIMEOUT          per-request timeout in seconds (default {})\n\
         \x20 GCSYNC_MAX_ATTEMPTS          attempts per request, first included (default {}; 1-50)\n\
         \x20 GCSYNC_RETRY_AFTER_MAX       longest Retry-After waited, in seconds (default {});\n\
         \x20                              a longer ask fails the request",
        d.rate_limit_per_minute,
        d.parallelism,
        d.timeout.as_secs(),
        d.max_attempts,
        d.retry_after_max.as_secs()
    )
}

/// Client settings from the environment (documented in README "Connecting to an org" and
/// `gcsync --help`): `GCSYNC_RATE_LIMIT` (requests/min, 0 = off), `GCSYNC_PARALLELISM`,
/// `GCSYNC_HTTP_TIMEOUT` (seconds), `GCSYNC_MAX_ATTEMPTS`, `GCSYNC_RETRY_AFTER_MAX` (seconds).
pub fn client_options(printer: &Printer) -> Result<ClientOptions, CliError> {
    let mut o = ClientOptions::default();
    let num = |var: &str| -> Result<Option<u64>, CliError> {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => v
                .trim()
                .parse::<u64>()
                .map(Some)
                .map_err(|_| CliError::new(format!("`{var}` must be a whole number, found `{v}`"))),
            _ => Ok(None),
        }
    };
    if let Some(v) = num("GCSYNC_RATE_LIMIT")? {
        o.rate_limit_per_minute = u32::try_from(v).unwrap_or(u32::MAX);
    }
    if let Some(v) = num("GCSYNC_PARALLELISM")? {
        o.parallelism = usize::try_from(v.clamp(1, 64)).unwrap_or(4);
    }
    if let Some(v) = num("GCSYNC_HTTP_TIMEOUT")? {
        o.timeout = Duration::from_secs(v.max(1));
    }
    if let Some(v) = num("GCSYNC_MAX_ATTEMPTS")? {
        o.max_attempts = u32::try_from(v.clamp(1, 50)).unwrap_or(8);
    }
    if let Some(v) = num("GCSYNC_RETRY_AFTER_MAX")? {
        o.retry_after_max = Duration::from_secs(v);
    }
    let p = printer.clone();
    // Level 0: what a user waits on (a rate limit, a retry), shown unless `-q`.
    o.log = Some(Arc::new(
        move |level, msg: &str| {
            if level == 0 { p.info(msg) } else { p.debug(level, "http", msg) }
        },
    ));
    Ok(o)
}

/// Connects to the chosen org.
pub async fn connect(choice: &TargetChoice, printer: &Printer) -> Result<Org, CliError> {
    let options = client_options(printer)?;
    match choice {
        TargetChoice::Local | TargetChoice::LocalData { .. } => {
            let defaults = emulator::Config::default();
            let (data, org_name) = match choice {
                TargetChoice::LocalData { name, data } => {
                    (data.clone(), format!("{} ({name})", defaults.org_name))
                }
                _ => (PathBuf::from(LOCAL_ORG_DATA), defaults.org_name.clone()),
            };
            let running = emulator::start(emulator::Config {
                data: Some(data.clone()),
                org_name,
                ..emulator::Config::default()
            })
            .await
            .map_err(|e| CliError::new(format!("cannot start the local org: {e}")))?;
            printer.debug(1, "local", &format!("local org at {} (data in {})", running.url, data.display()));
            let target = Target {
                api_base: running.url.clone(),
                login_base: running.url.clone(),
                client_id: running.client_id.clone(),
                client_secret: Secret::new(running.client_secret.clone()),
            };
            let client = Client::new(target, ClientOptions { rate_limit_per_minute: 0, ..options })
                .map_err(|e| CliError::new(e.to_string()))?;
            Ok(Org { client, local: Some(running) })
        }
        TargetChoice::Env(names) => {
            let target = from_env(names, |k| std::env::var(k).ok()).map_err(|e| {
                CliError::new(e.to_string())
                    .hint("see README \"Connecting to an org\"; use `--local` for the embedded local org")
            })?;
            printer.add_secret(target.client_secret.expose());
            printer.debug(1, "remote", &format!("target {} (login {})", target.api_base, target.login_base));
            let client = Client::new(target, options).map_err(|e| CliError::new(e.to_string()))?;
            Ok(Org { client, local: None })
        }
        TargetChoice::Environment { name, file, remote } => {
            let target = remote.resolve(|k| std::env::var(k).ok()).map_err(|e| {
                CliError::new(e.to_string()).hint(format!(
                    "environment `{name}` (`{}`) takes the org from {} and the credentials from `{}` / `{}`; see README \"Environments\"",
                    file.display(),
                    remote.describe(),
                    remote.names.client_id,
                    remote.names.client_secret
                ))
            })?;
            printer.add_secret(target.client_secret.expose());
            printer.debug(
                1,
                "remote",
                &format!("environment {name}: target {} (login {})", target.api_base, target.login_base),
            );
            let client = Client::new(target, options).map_err(|e| CliError::new(e.to_string()))?;
            Ok(Org { client, local: None })
        }
    }
}

/// A current-thread runtime for a command (the emulator of `--local` runs in it too).
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the async runtime: {e}")))
}
