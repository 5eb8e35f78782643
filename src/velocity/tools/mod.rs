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

/// A tool call's result as Java prints it (the tools' unit tests).
#[cfg(test)]
fn run_tool(t: Tool, name: &str, args: &[Value]) -> String {
    match invoke(t, name, args) {
        Ret(v) => v.to_java_string(),
        other => format!("{other:?}"),
    }
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

/// `java.net.URLEncoder.encode(s, "UTF-8")`: the `application/x-www-form-urlencoded`
/// serializer is the same rule (alphanumerics and `.-*_` kept, space as `+`, other bytes
/// `%XX` upper case).
fn url_encode(st: &str) -> String {
    form_urlencoded::byte_serialize(st.as_bytes()).collect()
}

#[cfg(test)]
mod url_encode_tests {
    // Java's URLEncoder: alphanumerics and `.-*_` kept, space `+`, `~` and UTF-8 bytes escaped.
    #[test]
    fn url_encode_is_javas() {
        assert_eq!(super::url_encode("a b/ü*~.-_"), "a+b%2F%C3%BC*%7E.-_");
    }
}
