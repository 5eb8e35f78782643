//! Tool objects: VelocityTools 2.0 `EscapeTool` and `MathTool` (matching the
//! oracle, including their quirks), and the Genesys-only helpers (`$esc`
//! additions, `$encoding`, `$successTemplateUtils`, `$urlTool`) implemented from
//! Genesys' documentation, one file per tool. Every Genesys assumption is
//! listed in `COMPATIBILITY.md` and repeated next to its code.
//!
//! Owns: dispatch of a tool call to its file and the helpers they share.
//! Must not touch: evaluation or parsing.

mod encoding;
mod esc;
mod genesys_esc;
mod math;
mod success_utils;
mod url_tool;

use super::methods::Invoke::{self, *};
use super::value::{Object, ObjectKind, Tool, Value};

fn s(v: impl Into<String>) -> Invoke {
    Ret(Value::string(v.into()))
}

/// `String.valueOf(obj)` for a tool argument.
fn sv(v: &Value) -> String {
    v.to_java_string()
}

pub(crate) fn invoke(tool: Tool, name: &str, args: &[Value]) -> Invoke {
    match tool {
        Tool::Esc => esc::esc(name, args),
        Tool::GenesysEsc => match genesys_esc::genesys_esc(name, args) {
            NotFound => esc::esc(name, args),
            r => r,
        },
        Tool::Math => math::math(name, args),
        Tool::Encoding => encoding::encoding(name, args),
        Tool::SuccessTemplateUtils => success_utils::success_utils(name, args),
        Tool::UrlTool => url_tool::url_tool(name, args),
    }
}

fn class(c: &'static str) -> Invoke {
    Ret(Value::Object(Object(ObjectKind::Class(c))))
}

/// `java.net.URLEncoder.encode(s, "UTF-8")`.
fn url_encode(st: &str) -> String {
    let mut out = String::with_capacity(st.len() * 3 / 2);
    for b in st.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
