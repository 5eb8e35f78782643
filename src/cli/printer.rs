//! The Printer: the only way gcsync writes to the terminal.
//!
//! Owns: stdout (the command's result: plans, reports, JSON — safe to pipe) versus stderr
//! (errors, warnings, progress, `-v` logs); colour (on a TTY unless `NO_COLOR` or
//! `--color never`; never in files or pipes); quiet/verbose levels; a broken pipe on
//! stdout is not an error. Every message passes through [`Printer::redact`] first, so a
//! registered secret cannot reach the terminal even at `-vv`.
//! Must not: decide what to print (commands do) or exit the process.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use crate::diag::{self, Diagnostics, Severity, Sources};
use crate::exit::CliError;
use console::Style;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// When to use colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Output settings and the secrets to keep out of output.
#[derive(Clone)]
pub struct Printer {
    color_out: bool,
    color_err: bool,
    /// 0 = normal, 1 = `-v`, 2 = `-vv`.
    pub verbosity: u8,
    quiet: bool,
    stdout_is_tty: bool,
    stderr_is_tty: bool,
    secrets: Arc<Mutex<crate::redact::Secrets>>,
    broken_pipe: Arc<AtomicBool>,
}

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer").field("verbosity", &self.verbosity).finish_non_exhaustive()
    }
}

impl Printer {
    /// A printer for the real terminal.
    #[must_use]
    pub fn new(color: ColorChoice, verbosity: u8, quiet: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let out_tty = console::Term::stdout().is_term();
        let err_tty = console::Term::stderr().is_term();
        let (color_out, color_err) = match color {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto => (out_tty && !no_color, err_tty && !no_color),
        };
        Self {
            color_out,
            color_err,
            verbosity,
            quiet,
            stdout_is_tty: out_tty,
            stderr_is_tty: err_tty,
            secrets: Arc::new(Mutex::new(crate::redact::Secrets::new())),
            broken_pipe: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Registers a secret value: every encoding of it is replaced by `[redacted]` in
    /// everything printed, by the one rule of `crate::redact` (a value shorter than 8
    /// bytes where it stands whole, so ordinary words are not mangled).
    pub fn add_secret(&self, secret: &str) {
        if let Ok(mut s) = self.secrets.lock() {
            s.add(secret);
        }
    }

    /// A copy of `text` with every registered secret replaced.
    #[must_use]
    pub fn redact(&self, text: &str) -> String {
        match self.secrets.lock() {
            Ok(secrets) => secrets.redact(text),
            // A thread panicked while registering a secret: print nothing rather than risk it.
            Err(_) => crate::redact::REDACTED.to_string(),
        }
    }

    /// Whether stdout is a terminal.
    #[must_use]
    pub fn stdout_is_tty(&self) -> bool {
        self.stdout_is_tty
    }

    /// Whether stderr is a terminal (progress display).
    #[must_use]
    pub fn stderr_is_tty(&self) -> bool {
        self.stderr_is_tty
    }

    /// Whether colour is on for stdout.
    #[must_use]
    pub fn color_stdout(&self) -> bool {
        self.color_out
    }

    /// Whether stdout was closed early by the reader.
    #[must_use]
    pub fn broken_pipe(&self) -> bool {
        self.broken_pipe.load(Ordering::Relaxed)
    }

    /// Writes the command's result to stdout (a newline is not added).
    pub fn out(&self, text: &str) {
        if self.broken_pipe() {
            return;
        }
        let text = self.redact(text);
        // Names, messages and bodies from the org or files reach the terminal escaped.
        let text = crate::diag::terminal_safe(&text, self.color_out);
        let mut lock = std::io::stdout().lock();
        if let Err(e) = lock.write_all(text.as_bytes()).and_then(|()| lock.flush())
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            self.broken_pipe.store(true, Ordering::Relaxed);
        }
    }

    /// Writes a line to stdout.
    pub fn outln(&self, text: &str) {
        self.out(&format!("{text}\n"));
    }

    /// Writes a JSON document to stdout, pretty-printed (`--json` output).
    pub fn json(&self, value: &serde_json::Value) {
        // Serializing a `Value` cannot fail (its map keys are strings and it holds no
        // custom `Serialize`); the compact form stands in for that impossible case.
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
        self.outln(&text);
    }

    fn err_raw(&self, text: &str) {
        let text = self.redact(text);
        let text = crate::diag::terminal_safe(&text, self.color_err);
        self.err_unfiltered(&text);
    }

    /// Writes to stderr as is: only for gcsync's own control sequences around text that
    /// went through [`crate::diag::terminal_safe`] (the progress line).
    fn err_unfiltered(&self, text: &str) {
        let mut lock = std::io::stderr().lock();
        let _ = lock.write_all(text.as_bytes());
        let _ = lock.flush();
    }

    /// A status line on stderr (hidden by `-q`).
    pub fn info(&self, text: &str) {
        if !self.quiet {
            self.err_raw(&format!("{text}\n"));
        }
    }

    /// A warning on stderr (hidden by `-q`: quiet means only errors and the result).
    pub fn warn(&self, text: &str) {
        if self.quiet {
            return;
        }
        let label = self.paint_err(&Style::new().yellow().bold(), "warning");
        self.err_raw(&format!("{label}: {text}\n"));
    }

    /// A `-v` (level 1) or `-vv` (level 2) log line on stderr.
    pub fn debug(&self, level: u8, component: &str, text: &str) {
        if self.verbosity >= level {
            let tag = self.paint_err(&Style::new().dim(), &format!("[{component}]"));
            self.err_raw(&format!("{tag} {text}\n"));
        }
    }

    /// Renders a command error (message, causes, hint) on stderr.
    pub fn error(&self, e: &CliError) {
        let label = self.paint_err(&Style::new().red().bold(), "error");
        let mut s = format!("{label}: {}\n", e.message);
        for c in &e.causes {
            s.push_str(&format!("  caused by: {c}\n"));
        }
        if let Some(h) = &e.hint {
            let hint = self.paint_err(&Style::new().cyan().bold(), "hint");
            s.push_str(&format!("\n{hint}: {h}\n"));
        }
        self.err_raw(&s);
    }

    /// Renders diagnostics (sorted) to stdout or stderr.
    pub fn diagnostics(&self, diags: &Diagnostics, sources: &Sources, to_stdout: bool) {
        let color = if to_stdout { self.color_out } else { self.color_err };
        let style = TermStyle { color };
        let text = diag::render_all(&diags.sorted(), sources, &style);
        if to_stdout {
            self.out(&text);
        } else {
            self.err_raw(&text);
        }
    }

    /// Paints text for stdout when colour is on.
    #[must_use]
    pub fn paint(&self, style: &Style, text: &str) -> String {
        if self.color_out { style.apply_to(text).force_styling(true).to_string() } else { text.to_string() }
    }

    fn paint_err(&self, style: &Style, text: &str) -> String {
        if self.color_err { style.apply_to(text).force_styling(true).to_string() } else { text.to_string() }
    }

    /// A progress line on stderr: rewritten in place on a TTY, one line each otherwise.
    pub fn progress(&self, text: &str) {
        if self.quiet {
            return;
        }
        if self.stderr_is_tty {
            let text = crate::diag::terminal_safe(&self.redact(text), self.color_err).into_owned();
            self.err_unfiltered(&format!("\r\x1b[2K{text}"));
        } else {
            self.err_raw(&format!("{text}\n"));
        }
    }

    /// Ends an in-place progress line.
    pub fn progress_done(&self) {
        if self.stderr_is_tty && !self.quiet {
            self.err_unfiltered("\r\x1b[2K");
        }
    }

    /// Progress over `total` items of a long step (`export`, `import --all`): on a terminal a
    /// bar with count, rate and time left (indicatif); otherwise a line every tenth of the
    /// way (at least every 10 items); nothing with `-q` or for fewer than 2 items.
    #[must_use]
    pub fn bar(&self, total: usize, what: &str) -> Bar {
        let total_u64 = u64::try_from(total).unwrap_or(u64::MAX);
        let shown = !self.quiet && total >= 2;
        let bar = (shown && self.stderr_is_tty).then(|| {
            let bar = indicatif::ProgressBar::new(total_u64);
            // The template is a constant: it parses, and the default style stands in if not.
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(crate::diag::terminal_safe(what, false).into_owned());
            bar
        });
        Bar {
            bar,
            lines: shown && !self.stderr_is_tty,
            printer: self.clone(),
            what: what.to_string(),
            total,
            every: (total / 10).max(10),
            done: std::sync::atomic::AtomicUsize::new(0),
            started: std::time::Instant::now(),
        }
    }
}

/// A progress bar from [`Printer::bar`].
pub struct Bar {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    printer: Printer,
    what: String,
    total: usize,
    every: usize,
    done: std::sync::atomic::AtomicUsize,
    started: std::time::Instant,
}

impl Bar {
    /// One more item done.
    pub fn inc(&self) {
        let n = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        } else if self.lines && (n.is_multiple_of(self.every) || n == self.total) {
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            #[allow(clippy::cast_precision_loss)] // a rate shown to one decimal
            let rate = n as f64 / secs;
            self.printer.info(&format!("{}: {n}/{} ({rate:.1}/s)", self.what, self.total));
        }
    }

    /// Removes the bar.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

struct TermStyle {
    color: bool,
}

impl diag::Style for TermStyle {
    fn severity(&self, severity: Severity, text: &str) -> String {
        if !self.color {
            return text.to_string();
        }
        let style = match severity {
            Severity::Error => Style::new().red().bold(),
            Severity::Warning => Style::new().yellow().bold(),
        };
        style.apply_to(text).force_styling(true).to_string()
    }
    fn gutter(&self, text: &str) -> String {
        if self.color {
            Style::new().blue().bold().apply_to(text).force_styling(true).to_string()
        } else {
            text.to_string()
        }
    }
    fn hint(&self, text: &str) -> String {
        if self.color {
            Style::new().cyan().bold().apply_to(text).force_styling(true).to_string()
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_registered_secrets() {
        let p = Printer::new(ColorChoice::Never, 2, false);
        p.add_secret("s3cr3t-value");
        p.add_secret("local");
        assert_eq!(p.redact("token=s3cr3t-value; local"), "token=[redacted]; local");
        // The emulator's public default secret never mangles a path a hint prints.
        assert_eq!(
            p.redact("gcsync local org, state `state/local.state.json`"),
            "gcsync local org, state `state/local.state.json`"
        );
    }

    /// Issue 12 class 7: a server's error echoing the credential request body gcsync sent
    /// shows none of its values — JSON-escaped ones (with `"` or `\`) and short ones included.
    #[test]
    fn an_echoed_credential_body_is_redacted_by_structure() {
        let p = Printer::new(ColorChoice::Never, 2, false);
        for v in ["ab\"c", "x1", "pw\\with-backslash", "a-long-enough-secret"] {
            p.add_secret(v);
        }
        let body = serde_json::json!({"name": "Profile", "type": "basicAuth",
            "credentialFields": {"userName": "x1", "password": "ab\"c", "other": "pw\\with-backslash", "key": "a-long-enough-secret"}});
        let message = format!("HTTP 400 bad.request: invalid credential {body} (contextId c-1)");
        let shown = p.redact(&message);
        for leaked in ["x1\"", "ab\\\"c", "pw\\\\with", "a-long-enough"] {
            assert!(!shown.contains(leaked), "{leaked} in {shown}");
        }
        assert_eq!(shown.matches("[redacted]").count(), 4, "{shown}");
        assert!(shown.contains("\"userName\":\"[redacted]\""), "{shown}");
    }
}
