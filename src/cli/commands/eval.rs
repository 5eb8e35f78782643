//! `gcsync eval`: the oracle's JSON protocol on stdin/stdout, answered by gcsync's engines.

use crate::cli::printer::Printer;
use crate::eval::eval_request;
use crate::exit::{CliError, CmdResult, ExitStatus};
use serde_json::Value;
use std::io::{BufRead, Read};

/// Arguments of `eval`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Reads one request object, a JSON array of requests, or (with --jsonl) one request per line,\nin the format of ../shared/oracle (kind velocity | jsonpath | info), and writes results in the\noracle's format: {\"ok\":true,\"output\":…} / {\"ok\":true,\"result\":…} / {\"ok\":false,\"error_type\":…,\"error\":…}.\nOutput is ASCII-only JSON, so it can be diffed with the oracle's byte for byte."
)]
pub struct Args {
    /// One request per input line, one result per output line (answers as lines arrive).
    #[arg(long)]
    jsonl: bool,
}

/// Runs `eval`.
pub fn run(args: &Args, printer: &Printer) -> CmdResult {
    if args.jsonl {
        for (n, line) in std::io::stdin().lock().lines().enumerate() {
            let line = line.map_err(|e| CliError::new(format!("cannot read stdin: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let result = match serde_json::from_str::<Value>(&line) {
                Ok(req) => eval_request(&req),
                Err(e) => {
                    serde_json::json!({"ok": false, "error_type": "OracleBadRequest", "error": format!("line {}: not JSON: {e}", n + 1)})
                }
            };
            printer.outln(&ascii_json(&result));
            if printer.broken_pipe() {
                break;
            }
        }
        return Ok(ExitStatus::Success);
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| CliError::new(format!("cannot read stdin: {e}")))?;
    let input: Value = serde_json::from_str(&text).map_err(|e| {
        CliError::new(format!("stdin is not JSON (line {}, column {}): {e}", e.line(), e.column()))
            .hint("pass one request object, a JSON array of requests, or use --jsonl")
    })?;
    let output = match &input {
        Value::Array(items) => Value::Array(items.iter().map(eval_request).collect()),
        other => eval_request(other),
    };
    printer.outln(&ascii_json(&output));
    Ok(ExitStatus::Success)
}

/// Compact JSON with every non-ASCII character escaped as `\uXXXX` (as the oracle writes).
#[must_use]
pub fn ascii_json(v: &Value) -> String {
    let s = v.to_string();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_non_ascii() {
        assert_eq!(ascii_json(&serde_json::json!({"a": "é😀"})), r#"{"a":"\u00e9\ud83d\ude00"}"#);
    }
}
