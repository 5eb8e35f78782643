//! `validate --format github`: diagnostics as GitHub Actions workflow commands, which the
//! runner turns into annotations on the pull request's lines:
//! `::error file=F,line=L,col=C,endColumn=E,title=T::message` and `::warning …`.
//!
//! Owns: the command lines and their escaping as GitHub's toolkit does it (`%`, CR and LF
//! in the message as `%25`, `%0D`, `%0A`; additionally `:` and `,` in property values as
//! `%3A`, `%2C`), the title `gcsync <rule code>`, the hint on a second message line.
//! Must not: print or read files.

use crate::diag::{Diagnostic, Severity};

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command line (no newline).
#[must_use]
pub fn command(d: &Diagnostic) -> String {
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = Vec::new();
    if let Some(file) = &d.file {
        props.push(format!("file={}", escape_property(&file.to_string_lossy())));
        if d.line > 0 {
            props.push(format!("line={}", d.line));
            if d.column > 0 {
                props.push(format!("col={}", d.column));
                if d.width > 1 {
                    props.push(format!("endColumn={}", d.column as usize + d.width));
                }
            }
        }
    }
    props.push(format!("title={}", escape_property(&format!("gcsync {}", d.code))));
    let message = match &d.hint {
        Some(h) => format!("{}\nhint: {h}", d.message),
        None => d.message.clone(),
    };
    format!("::{kind} {}::{}", props.join(","), escape_data(&message))
}

/// Every diagnostic as a command line, in order.
#[must_use]
pub fn commands(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&command(d));
        out.push('\n');
    }
    out
}
