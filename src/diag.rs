//! Diagnostics: located problems in user files, and how they are shown.
//!
//! Owns: [`Diagnostic`] (severity, rule code, message, file:line:column, hint), the
//! collection type that gathers *all* problems of a run, and the caret rendering
//! (`--> file:line:col`, the source line, a `^` under the spot) used for manifests and
//! templates. What reaches the terminal is made safe: unprintable characters in source
//! lines become U+FFFD (in messages, `\u{1b}`-style escapes) and a long line shows a window
//! of [`EXCERPT_CHARS`] characters around the caret. Rendering takes source text from [`Sources`]:
//! texts the loaders put there, any other file read on demand (only to show its line).
//! Must not: decide exit codes or print (the printer does that).

use crate::yaml::Pos;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks the command (exit 1).
    Error,
    /// Reported, does not block.
    Warning,
}

/// One problem, located in a file when possible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable rule identifier, e.g. `unknown-field`, `input-nested-object`.
    pub code: &'static str,
    /// What is wrong (one sentence, values in backticks, no final period).
    pub message: String,
    /// The file, if the problem is in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// 1-based line (0 = unknown).
    pub line: u32,
    /// 1-based column (0 = unknown).
    pub column: u32,
    /// Width of the underline (0 or 1 = a single caret).
    #[serde(skip)]
    pub width: usize,
    /// The source from `column` to the end of the line is a secret: excerpts of that line
    /// (under this or any other diagnostic of the run) show `********` instead.
    #[serde(skip)]
    pub redact_source: bool,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at a position in a file.
    #[must_use]
    pub fn error(code: &'static str, message: impl Into<String>, file: &Path, pos: Pos) -> Self {
        Self::new(Severity::Error, code, message, Some(file), pos)
    }

    /// A warning at a position in a file.
    #[must_use]
    pub fn warning(code: &'static str, message: impl Into<String>, file: &Path, pos: Pos) -> Self {
        Self::new(Severity::Warning, code, message, Some(file), pos)
    }

    /// A problem not tied to a file position.
    #[must_use]
    pub fn new(
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
        file: Option<&Path>,
        pos: Pos,
    ) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            file: file.map(Path::to_path_buf),
            line: pos.line,
            column: pos.column,
            width: 1,
            redact_source: false,
            hint: None,
        }
    }

    /// Adds a hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Marks the source from the diagnostic's column to the end of its line as secret.
    #[must_use]
    pub fn with_redacted_source(mut self) -> Self {
        self.redact_source = true;
        self
    }

    /// Sets the underline width.
    #[must_use]
    pub fn with_width(mut self, width: usize) -> Self {
        self.width = width;
        self
    }

    /// `file:line:col` (or what is known of it).
    #[must_use]
    pub fn location(&self) -> Option<String> {
        let file = self.file.as_ref()?;
        Some(if self.line == 0 {
            file.display().to_string()
        } else {
            format!("{}:{}:{}", file.display(), self.line, self.column)
        })
    }
}

/// All problems of a run, in the order found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Empty.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Adds many.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Whether any is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// Number of errors.
    #[must_use]
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// Number of warnings.
    #[must_use]
    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    /// Sorted by file, line, column (stable for equal positions), duplicates removed.
    #[must_use]
    pub fn sorted(&self) -> Vec<Diagnostic> {
        let mut v = self.items.clone();
        v.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        v.dedup();
        v
    }

    /// The raw list.
    #[must_use]
    pub fn as_slice(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Source texts by path, for rendering the offending line. Texts given with
/// [`Sources::insert`] are used as they are; any other file is read on demand (only files
/// with diagnostics ever are), so loading thousands of manifests keeps no copies.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    texts: BTreeMap<PathBuf, String>,
    read: std::cell::RefCell<BTreeMap<PathBuf, Option<std::rc::Rc<str>>>>,
}

/// Files larger than this are not read to show a source line.
const MAX_SOURCE_BYTES: u64 = 4 * 1024 * 1024;

impl Sources {
    /// Remembers a file's text.
    pub fn insert(&mut self, path: &Path, text: String) {
        self.texts.insert(path.to_path_buf(), text);
    }

    /// One line (1-based) of a file.
    #[must_use]
    pub fn line(&self, path: &Path, line: u32) -> Option<String> {
        let idx = usize::try_from(line).ok()?.checked_sub(1)?;
        let pick =
            |text: &str| text.split('\n').nth(idx).map(|l| l.strip_suffix('\r').unwrap_or(l).to_string());
        if let Some(t) = self.texts.get(path) {
            return pick(t);
        }
        let mut cache = self.read.borrow_mut();
        let text = cache.entry(path.to_path_buf()).or_insert_with(|| {
            let small = std::fs::metadata(path).is_ok_and(|m| m.len() <= MAX_SOURCE_BYTES);
            if !small {
                return None;
            }
            std::fs::read(path).ok().and_then(|b| String::from_utf8(b).ok()).map(std::rc::Rc::from)
        });
        text.as_deref().and_then(pick)
    }
}

/// Styles used by [`render`]; plain text when colour is off.
pub trait Style {
    /// Paints the severity label.
    fn severity(&self, severity: Severity, text: &str) -> String;
    /// Paints gutter and arrows.
    fn gutter(&self, text: &str) -> String;
    /// Paints the hint label.
    fn hint(&self, text: &str) -> String;
}

/// No colour.
pub struct Plain;

impl Style for Plain {
    fn severity(&self, _: Severity, text: &str) -> String {
        text.to_string()
    }
    fn gutter(&self, text: &str) -> String {
        text.to_string()
    }
    fn hint(&self, text: &str) -> String {
        text.to_string()
    }
}

/// Renders one diagnostic with its source line and a caret:
///
/// ```text
/// error[unknown-field]: unknown field `timeout` in `DataAction`
///   --> manifests/a.yaml:7:3
///    |
///  7 |   timeout: 10
///    |   ^^^^^^^
///    = hint: did you mean `timeoutSeconds`?
/// ```
#[must_use]
pub fn render(d: &Diagnostic, sources: &Sources, style: &dyn Style) -> String {
    let own = d.redact_source.then(|| Redaction::of(d));
    render_masked(d, sources, style, own.as_slice())
}

/// Renders several diagnostics (each followed by a blank line); a line one of them marks as
/// secret ([`Diagnostic::with_redacted_source`]) is masked under every one of them.
#[must_use]
pub fn render_all(diags: &[Diagnostic], sources: &Sources, style: &dyn Style) -> String {
    let masks: Vec<Redaction> = diags.iter().filter(|d| d.redact_source).map(Redaction::of).collect();
    let mut out = String::new();
    for d in diags {
        out.push_str(&render_masked(d, sources, style, &masks));
        out.push('\n');
    }
    out
}

/// A secret's place: file, line, first column.
struct Redaction {
    file: Option<PathBuf>,
    line: u32,
    column: u32,
}

impl Redaction {
    fn of(d: &Diagnostic) -> Self {
        Self { file: d.file.clone(), line: d.line, column: d.column }
    }
}

fn render_masked(d: &Diagnostic, sources: &Sources, style: &dyn Style, masks: &[Redaction]) -> String {
    let label = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {}",
        style.severity(d.severity, &format!("{label}[{}]", d.code)),
        escape_controls(&d.message)
    );
    let hint = d.hint.as_deref().map(escape_controls);
    if let Some(loc) = d.location() {
        let source_line = d.file.as_deref().and_then(|f| sources.line(f, d.line));
        let num = d.line.to_string();
        let pad = " ".repeat(num.len());
        let _ = writeln!(out, "{pad}{} {}", style.gutter("-->"), escape_controls(&loc));
        if let Some(text) = source_line {
            let col = usize::try_from(d.column.max(1)).unwrap_or(1) - 1;
            let mask = masks
                .iter()
                .filter(|m| m.file == d.file && m.line == d.line)
                .map(|m| usize::try_from(m.column.max(1)).unwrap_or(1) - 1)
                .min();
            let text = match mask {
                Some(at) => format!("{}{SECRET_MASK}", text.chars().take(at).collect::<String>()),
                None => text,
            };
            let ex = excerpt(&text, col, d.width.max(1));
            let _ = writeln!(out, "{pad} {}", style.gutter("|"));
            let _ = writeln!(out, "{} {} {}", style.gutter(&num), style.gutter("|"), ex.text);
            let _ = writeln!(
                out,
                "{pad} {} {}{}",
                style.gutter("|"),
                ex.lead,
                style.severity(d.severity, &"^".repeat(ex.width))
            );
        }
        if let Some(h) = &hint {
            let _ = writeln!(out, "{pad} {} {}: {h}", style.gutter("="), style.hint("hint"));
        }
    } else if let Some(h) = &hint {
        let _ = writeln!(out, "  {}: {h}", style.hint("hint"));
    }
    out
}

/// What a secret in a source line is shown as.
const SECRET_MASK: &str = "********";

/// How many characters of a source line an excerpt shows at most.
const EXCERPT_CHARS: usize = 160;

/// A source line made safe to print, and where the caret goes under it.
struct Excerpt {
    /// The shown text: a window of at most [`EXCERPT_CHARS`] characters around the caret
    /// (`…` marks cut ends), unprintable characters replaced by `\u{fffd}`.
    text: String,
    /// Whitespace up to the caret (tabs kept, so the caret lines up under tabs).
    lead: String,
    /// Underline width, cut at the end of the window.
    width: usize,
}

/// Whether a character must not reach a terminal raw: C0/C1 controls except tab, line and
/// paragraph separators, and bidirectional overrides (which reorder what is shown).
fn unprintable(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn excerpt(line: &str, col: usize, width: usize) -> Excerpt {
    let chars: Vec<char> = line.chars().map(|c| if unprintable(c) { '\u{fffd}' } else { c }).collect();
    let len = chars.len();
    let (start, end) = if len <= EXCERPT_CHARS {
        (0, len)
    } else {
        // The caret sits about a third into the window.
        let start = col.saturating_sub(EXCERPT_CHARS / 3).min(len - EXCERPT_CHARS);
        (start, start + EXCERPT_CHARS)
    };
    let mut text = String::new();
    let mut lead = String::new();
    if start > 0 {
        text.push('…');
        lead.push(' ');
    }
    // In range by construction (the indices come from the same text).
    text.extend(chars.get(start..end).unwrap_or_default());
    if end < len {
        text.push('…');
    }
    let caret = col.clamp(start, end);
    lead.extend(
        // In range by construction (the indices come from the same text).
        chars.get(start..caret).unwrap_or_default().iter().map(|&c| if c == '\t' { '\t' } else { ' ' }),
    );
    let room = end.saturating_sub(caret).max(1);
    Excerpt { text, lead, width: width.min(room) }
}

/// Text made safe for a terminal: every character [`unprintable`] would refuse (ESC, BEL,
/// other C0/C1 controls, bidirectional overrides) shown as a `\u{1b}`-style escape, except
/// line feeds and tabs — so a name or message from the org or a file cannot move the cursor,
/// clear the screen or retitle the window. `keep_sgr`: gcsync's own colour sequences
/// (`ESC [ digits ; … m`, select graphic rendition only) pass through when colour is on.
#[must_use]
pub fn terminal_safe(text: &str, keep_sgr: bool) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && unprintable(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if keep_sgr && c == '\x1b' {
            let tail = &rest[1..];
            if let Some(body) = tail.strip_prefix('[') {
                let len = body.bytes().take_while(|b| b.is_ascii_digit() || *b == b';').count();
                if body.as_bytes().get(len) == Some(&b'm') {
                    let seq = 2 + len + 1;
                    out.push_str(&rest[..seq]);
                    rest = &rest[seq..];
                    continue;
                }
            }
        }
        if c != '\n' && unprintable(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// Unprintable characters in message text (key names can hold any character) shown as
/// `\u{1b}`-style escapes.
fn escape_controls(text: &str) -> String {
    if !text.chars().any(unprintable) {
        return text.to_string();
    }
    text.chars()
        .map(|c| if unprintable(c) { c.escape_unicode().to_string() } else { c.to_string() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_safe_escapes_what_moves_the_terminal_and_keeps_colour() {
        let hostile = "x\u{1b}]0;pwned\u{7}y\u{1b}[2Jz\r\u{202e}";
        let safe = terminal_safe(hostile, true);
        assert!(!safe.chars().any(|c| c.is_control() || c == '\u{202e}'), "{safe:?}");
        assert_eq!(safe, "x\\u{1b}]0;pwned\\u{7}y\\u{1b}[2Jz\\u{d}\\u{202e}");
        let coloured = "\u{1b}[1;33mwarning\u{1b}[0m: a\tb\n";
        assert_eq!(terminal_safe(coloured, true), coloured, "our own SGR, tabs and newlines pass");
        assert!(terminal_safe(coloured, false).starts_with("\\u{1b}[1;33m"), "no colour: escaped");
    }

    #[test]
    fn renders_caret_under_column() {
        let mut sources = Sources::default();
        let p = Path::new("m.yaml");
        sources.insert(p, "kind: DataAction\n  timeout: 10\n".into());
        let d = Diagnostic::error("unknown-field", "unknown field `timeout`", p, Pos::new(2, 3))
            .with_width(7)
            .with_hint("did you mean `timeoutSeconds`?");
        let text = render(&d, &sources, &Plain);
        assert_eq!(
            text,
            "error[unknown-field]: unknown field `timeout`\n --> m.yaml:2:3\n  |\n2 |   timeout: 10\n  |   ^^^^^^^\n  = hint: did you mean `timeoutSeconds`?\n"
        );
    }

    #[test]
    fn excerpts_never_print_control_characters() {
        let mut sources = Sources::default();
        let p = Path::new("m.yaml");
        sources.insert(p, "name: a\u{0}b\u{1b}[31m\u{7}\u{85}\u{202e}c\tq: 1\n".into());
        let d =
            Diagnostic::error("x", "key `q\u{1b}[2J` is odd", p, Pos::new(1, 20)).with_hint("see `\u{7}`");
        let text = render(&d, &sources, &Plain);
        assert!(!text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{text:?}");
        assert!(!text.contains('\u{202e}'), "{text:?}");
        assert!(text.contains("key `q\\u{1b}[2J` is odd"), "{text}");
        assert!(text.contains("see `\\u{7}`"), "{text}");
        assert!(text.contains("1 | name: a\u{fffd}b\u{fffd}[31m\u{fffd}\u{fffd}\u{fffd}c\tq: 1\n"), "{text}");
        // The caret stays under `q` (the tab is kept in the lead).
        assert!(text.contains(&format!("  | {}\t^\n", " ".repeat(18))), "{text:?}");
    }

    #[test]
    fn long_lines_show_a_window_around_the_caret() {
        let mut sources = Sources::default();
        let p = Path::new("m.yaml");
        let line = format!("url: \"{}\", bogus: 1{}", "a".repeat(400), "z".repeat(300));
        sources.insert(p, line.clone());
        let col = line.find("bogus").unwrap() + 1;
        let d = Diagnostic::error("x", "unknown", p, Pos::new(1, u32::try_from(col).unwrap())).with_width(5);
        let text = render(&d, &sources, &Plain);
        let lines: Vec<&str> = text.lines().collect();
        let shown = lines[3].strip_prefix("1 | ").unwrap();
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert_eq!(shown.chars().count(), EXCERPT_CHARS + 2);
        let caret = lines[4].strip_prefix("  | ").unwrap();
        let at = caret.find('^').unwrap();
        assert_eq!(caret.len() - at, 5, "{caret}");
        let under: String = shown.chars().skip(at).take(5).collect();
        assert_eq!(under, "bogus");
        // Near the end of a long line the window is the line's tail.
        let d = Diagnostic::error("x", "end", p, Pos::new(1, u32::try_from(line.len()).unwrap()));
        let text = render(&d, &sources, &Plain);
        let shown = text.lines().nth(3).unwrap().strip_prefix("1 | ").unwrap().to_string();
        assert!(shown.starts_with('…') && !shown.ends_with('…'), "{shown}");
        let caret = text.lines().nth(4).unwrap().strip_prefix("  | ").unwrap();
        assert_eq!(caret.find('^'), Some(shown.chars().count() - 1));
    }

    #[test]
    fn redacted_sources_are_masked_under_every_diagnostic() {
        let mut sources = Sources::default();
        let p = Path::new("i.yaml");
        sources.insert(p, "fields:\n    password: hunter2 # x\n".into());
        let secret = Diagnostic::error("inline-secret", "inline", p, Pos::new(2, 15)).with_redacted_source();
        let other = Diagnostic::warning("other", "same line", p, Pos::new(2, 5));
        let text = render(&secret, &sources, &Plain);
        assert!(text.contains("2 |     password: ********\n"), "{text}");
        let all = render_all(&[other.clone(), secret], &sources, &Plain);
        assert!(!all.contains("hunter2"), "{all}");
        assert!(render(&other, &sources, &Plain).contains("hunter2"));
    }

    #[test]
    fn sorted_orders_by_position() {
        let p = Path::new("a");
        let mut ds = Diagnostics::new();
        ds.push(Diagnostic::error("x", "b", p, Pos::new(3, 1)));
        ds.push(Diagnostic::warning("y", "a", p, Pos::new(1, 1)));
        let s = ds.sorted();
        assert_eq!(s[0].message, "a");
        assert_eq!(ds.error_count(), 1);
        assert_eq!(ds.warning_count(), 1);
    }
}
