//! Diagnostics: located problems in user files, and how they are shown.
//!
//! Owns: [`Diagnostic`] (severity, rule code, message, file:line:column, hint), the
//! collection type that gathers *all* problems of a run, and the caret rendering
//! (`--> file:line:col`, the source line, a `^` under the spot) used for manifests and
//! templates. Rendering reads source text from [`Sources`]; it never reads files itself.
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
            hint: None,
        }
    }

    /// Adds a hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
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
    let label = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}: {}", style.severity(d.severity, &format!("{label}[{}]", d.code)), d.message);
    if let Some(loc) = d.location() {
        let source_line = d.file.as_deref().and_then(|f| sources.line(f, d.line));
        let num = d.line.to_string();
        let pad = " ".repeat(num.len());
        let _ = writeln!(out, "{pad}{} {loc}", style.gutter("-->"));
        if let Some(text) = source_line {
            let shown = printable(&text);
            let _ = writeln!(out, "{pad} {}", style.gutter("|"));
            let _ = writeln!(out, "{} {} {shown}", style.gutter(&num), style.gutter("|"));
            let col = usize::try_from(d.column.max(1)).unwrap_or(1) - 1;
            let lead: String = shown.chars().take(col).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            let width = d.width.max(1);
            let _ = writeln!(
                out,
                "{pad} {} {lead}{}",
                style.gutter("|"),
                style.severity(d.severity, &"^".repeat(width))
            );
        }
        if let Some(h) = &d.hint {
            let _ = writeln!(out, "{pad} {} {}: {h}", style.gutter("="), style.hint("hint"));
        }
    } else if let Some(h) = &d.hint {
        let _ = writeln!(out, "  {}: {h}", style.hint("hint"));
    }
    out
}

/// Long or binary lines are shortened and control characters made visible.
fn printable(line: &str) -> String {
    let mut s: String =
        line.chars().take(200).map(|c| if c.is_control() && c != '\t' { '\u{fffd}' } else { c }).collect();
    if line.chars().count() > 200 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

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
