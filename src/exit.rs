//! Exit codes, and the one place errors become them.
//!
//! Owns: [`ExitStatus`] (0 success, 1 error, 2 changes present / drift) and [`CliError`],
//! the error every command returns: a message, optional causes and hint, and its exit
//! status. Module errors (`remote::Error`, `state::Error`, ...) convert into it here, so a
//! new error type is mapped in exactly one place.
//! Must not: print (the printer renders a `CliError`).

use std::fmt;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success; for `plan --detailed-exitcode`: no changes; for `drift`: no drift.
    Success,
    /// 1: any error, including usage errors.
    Error,
    /// 2: success with changes present (`plan --detailed-exitcode`) or drift found (`drift`).
    Changes,
}

impl ExitStatus {
    /// The process exit code.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Error => 1,
            ExitStatus::Changes => 2,
        }
    }
}

/// The text `--help` shows about exit codes.
pub const EXIT_CODES_HELP: &str = "Exit codes:\n  0  success (no changes / no drift)\n  1  error (invalid input, API failure, usage error, stale plan, lock held, ...)\n  2  changes present (plan --detailed-exitcode) or drift found (drift)";

/// An error that ends a command.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong (one sentence, values in backticks).
    pub message: String,
    /// Underlying causes, outermost first.
    pub causes: Vec<String>,
    /// What to do about it.
    pub hint: Option<String>,
    /// The exit status (always `Error` today; kept explicit for the mapping's sake).
    pub status: ExitStatus,
    /// What the connection hint is about, when the error is the org's login or network: the
    /// CLI then names the variables the target actually reads.
    pub connection: Option<Connection>,
}

/// The part of a connection an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// The OAuth login was refused.
    Login,
    /// The org could not be reached.
    Network,
}

impl CliError {
    /// A new error with a message.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            causes: Vec::new(),
            hint: None,
            status: ExitStatus::Error,
            connection: None,
        }
    }

    /// Adds a hint.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a cause line.
    #[must_use]
    pub fn cause(mut self, cause: impl Into<String>) -> Self {
        self.causes.push(cause.into());
        self
    }

    /// Builds from any error, keeping its `source()` chain as causes.
    pub fn from_error(context: impl Into<String>, err: &(dyn std::error::Error + 'static)) -> Self {
        let mut e = Self::new(context);
        e.causes.push(err.to_string());
        let mut src = err.source();
        while let Some(s) = src {
            let text = s.to_string();
            // A wrapper that already shows its source (`name: {source}`) is not repeated.
            if !e.causes.last().is_some_and(|last| last.ends_with(&text)) {
                e.causes.push(text);
            }
            src = s.source();
        }
        e
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Result of a command.
pub type CmdResult = Result<ExitStatus, CliError>;

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::new(crate::fsutil::io_reason(&e))
    }
}

// --- the one mapping from module errors to CLI errors (message, causes, hint) ----------------

impl From<crate::remote::Error> for CliError {
    fn from(e: crate::remote::Error) -> Self {
        use crate::remote::Error as E;
        let hint = match &e {
            E::Config(_) => {
                Some("see README \"Connecting to an org\"; `--local` targets the embedded local org")
            }
            E::Auth(_) => Some(
                "check GENESYS_CLOUD_CLIENT_ID / GENESYS_CLOUD_CLIENT_SECRET and that the OAuth client uses the client-credentials grant in this region",
            ),
            E::Transport { .. } => Some(
                "check GENESYS_CLOUD_REGION / GENESYS_CLOUD_API_URL and the network; requests that could not have changed anything were retried",
            ),
            E::Ambiguous { .. } => {
                Some("run the command again: gcsync looks the action up by name before creating anything")
            }
            E::VersionConflict(_) => Some("the action changed in the org meanwhile; run `gcsync plan` again"),
            E::AmbiguousIntegration { .. } => Some(
                "integration names must be unique in the org for gcsync to know which one a manifest means",
            ),
            E::FunctionCode(_) => Some(
                "fix the cause (the function's source, `gcsync validate`) and run `gcsync apply` again: the published action is unchanged, and an unfinished draft is taken over by the next apply",
            ),
            E::RetryAfterTooLong { .. } => Some(
                "Genesys is throttling this OAuth client; run again later, or raise GCSYNC_RETRY_AFTER_MAX (seconds) to wait that long",
            ),
            E::Api(a) if a.status == 401 || a.status == 403 => Some(
                "the OAuth client lacks a permission (integrations:action:* / integrations:integration:*)",
            ),
            _ => None,
        };
        let mut c = CliError::new(e.to_string());
        if let Some(h) = hint {
            c = c.hint(h);
        }
        c.connection = match &e {
            E::Auth(_) => Some(Connection::Login),
            E::Transport { .. } => Some(Connection::Network),
            _ => None,
        };
        c
    }
}

impl From<crate::state::Error> for CliError {
    fn from(e: crate::state::Error) -> Self {
        use crate::state::Error as E;
        let hint: Option<String> = match &e {
            E::Backend(b) => b.hint(),
            E::OtherOrg { .. } => Some(
                "use the state file of the target org (`--state`, or `state:` in the environment file), or point the target (the GENESYS_CLOUD_* variables, or `target:` in the environment file) at the org this state belongs to".into(),
            ),
            E::OtherEnvironment { .. } => Some(
                "run with the environment the state belongs to (`--env NAME`), or give each environment its own state file (`state:` in environments/NAME.yaml)".into(),
            ),
            E::TooNew { .. } => Some("upgrade gcsync".into()),
            E::Invalid { .. } => Some("restore the previous state from `<state>.backup`".into()),
            E::Io { .. } | E::Serialize { .. } => None,
        };
        let mut c = CliError::new(e.to_string());
        if let Some(h) = hint {
            c = c.hint(h);
        }
        c
    }
}

impl From<crate::state::lock::Error> for CliError {
    fn from(e: crate::state::lock::Error) -> Self {
        let hint = match &e {
            crate::state::lock::Error::Held(info) => Some(format!(
                "wait for that run to finish; if it is gone for good, `gcsync force-unlock {}`",
                info.id
            )),
            _ => None,
        };
        let mut c = CliError::new(e.to_string());
        if let Some(h) = hint {
            c = c.hint(h);
        }
        c
    }
}

impl From<crate::state::backend::Error> for CliError {
    fn from(e: crate::state::backend::Error) -> Self {
        let hint = e.hint();
        let c = CliError::new(e.to_string());
        match hint {
            Some(h) => c.hint(h),
            None => c,
        }
    }
}

impl From<crate::plan::file::Error> for CliError {
    fn from(e: crate::plan::file::Error) -> Self {
        let stale = matches!(e, crate::plan::file::Error::Stale(_));
        let c = CliError::new(e.to_string());
        if stale {
            c.hint("make a new plan with `gcsync plan --out FILE` (with the same `--env` as the apply) and have it approved again")
        } else {
            c
        }
    }
}

impl From<crate::operation::refresh::Error> for CliError {
    fn from(e: crate::operation::refresh::Error) -> Self {
        match e {
            crate::operation::refresh::Error::Remote(r) => r.into(),
            crate::operation::refresh::Error::State(s) => s.into(),
            e @ crate::operation::refresh::Error::Function { .. } => CliError::from_error("cannot plan", &e)
                .hint("check the `function:` block with `gcsync validate`"),
        }
    }
}

impl From<crate::apply::Error> for CliError {
    fn from(e: crate::apply::Error) -> Self {
        let c = CliError::from_error("apply stopped", &e);
        if matches!(e, crate::apply::Error::Remote { source: crate::remote::Error::FunctionCode(_), .. }) {
            return c.hint("fix the cause (the function's source, `gcsync validate`) and run `gcsync apply` again: the published action is unchanged, and an unfinished draft is taken over by the next apply");
        }
        if matches!(e, crate::apply::Error::CodeChanged { .. }) {
            return c.hint("the plan no longer describes this code: make a new plan (`gcsync plan --out FILE`), review it, and apply that");
        }
        if e.state_not_written() {
            // The state may lag the org: say so, and what makes the next run safe.
            return c.hint(
                "the state could not be written, so it may not record the last change; fix the cause (space, permissions) and run `gcsync apply` again: creates journaled before they started are adopted by exact name, never made twice",
            );
        }
        c.hint("the state records everything applied so far; fix the cause and run `gcsync apply` again")
    }
}

impl From<crate::environments::Error> for CliError {
    fn from(e: crate::environments::Error) -> Self {
        use crate::environments::Error as E;
        let hint = match &e {
            E::NoDirectory { .. } => Some(
                "an environment is a file `environments/NAME.yaml` (README \"Environments\"); `--environments-dir DIR` or `GCSYNC_ENVIRONMENTS` names another directory"
                    .to_string(),
            ),
            E::Unknown { name, known, .. } if known.is_empty() => {
                Some(format!("the directory has no environment files; create `{name}.yaml` there"))
            }
            E::Unknown { name, known, .. } => {
                let list = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
                let names: Vec<&str> = known.iter().map(String::as_str).collect();
                Some(match crate::manifest::reader::suggest(name, &names) {
                    Some(s) => format!("did you mean `{s}`? environments: {list}"),
                    None => format!("environments: {list}"),
                })
            }
            E::Invalid { .. } => Some("`gcsync validate --all-envs` checks every environment file".to_string()),
            E::BadName { .. } | E::Io { .. } => None,
        };
        let mut c = CliError::new(e.to_string());
        if let Some(h) = hint {
            c = c.hint(h);
        }
        c
    }
}
