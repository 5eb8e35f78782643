//! The Genesys additions to `$esc`: `jsonString`, `jsonEncode`, `jsonDecode`,
//! `uriEncode`, `urlFormEncode` (anything else falls back to `EscapeTool`).
//!
//! Owns: the Genesys escape methods. Must not touch: evaluation, other tools.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::super::methods::Invoke::{self, *};
use super::super::value::Value;
use super::*;

// ----------------------------------------------------------- Genesys $esc

/// RFC 3986 unreserved characters are kept; everything else is percent-encoded.
const URI_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub(super) fn genesys_esc(name: &str, args: &[Value]) -> Invoke {
    match (name, args) {
        // ASSUMPTION (COMPATIBILITY.md G1): jsonString == jsonEncode, escaping like
        // Jackson's JsonStringEncoder (no surrounding quotes, `/` not escaped).
        ("jsonString" | "jsonEncode", [v]) => {
            if v.is_null() {
                return Ret(Value::Null);
            }
            s(json_escape(&sv(v)))
        }
        // ASSUMPTION (G2): jsonDecode reverses JSON string escapes; invalid
        // escapes are kept verbatim.
        ("jsonDecode", [v]) => {
            if v.is_null() {
                return Ret(Value::Null);
            }
            s(json_unescape(&sv(v)))
        }
        // ASSUMPTION (G3): uriEncode = RFC 3986 percent-encoding of UTF-8 bytes,
        // unreserved set A-Z a-z 0-9 - . _ ~ kept, space -> %20.
        ("uriEncode", [v]) => {
            if v.is_null() {
                return Ret(Value::Null);
            }
            s(utf8_percent_encode(&sv(v), URI_ENCODE_SET).to_string())
        }
        // Genesys documents url() as an alias of urlFormEncode (URLEncoder).
        ("urlFormEncode", [v]) => {
            if v.is_null() {
                return Ret(Value::Null);
            }
            s(url_encode(&sv(v)))
        }
        _ => NotFound,
    }
}

pub(crate) fn json_escape(st: &str) -> String {
    let mut out = String::with_capacity(st.len() + 4);
    for c in st.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn json_unescape(st: &str) -> String {
    let chars: Vec<char> = st.chars().collect();
    let mut units: Vec<u16> = Vec::with_capacity(st.len());
    let mut i = 0;
    let push = |units: &mut Vec<u16>, c: char| {
        let mut b = [0u16; 2];
        units.extend_from_slice(c.encode_utf16(&mut b));
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let n = chars[i + 1];
            let simple = match n {
                '"' => Some('"'),
                '\\' => Some('\\'),
                '/' => Some('/'),
                'b' => Some('\u{08}'),
                'f' => Some('\u{0C}'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' => Some('\t'),
                _ => None,
            };
            if let Some(x) = simple {
                push(&mut units, x);
                i += 2;
                continue;
            }
            if n == 'u' && i + 6 <= chars.len() {
                let hex: String = chars[i + 2..i + 6].iter().collect();
                if let Ok(v) = u16::from_str_radix(&hex, 16) {
                    units.push(v);
                    i += 6;
                    continue;
                }
            }
        }
        push(&mut units, c);
        i += 1;
    }
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
mod tests {
    use super::super::{invoke, run_tool as run};
    use crate::velocity::methods::Invoke::*;
    use crate::velocity::value::{Tool, Value};

    #[test]
    fn genesys_esc_additions() {
        assert_eq!(run(Tool::GenesysEsc, "jsonString", &["a\"b\\c\n".into()]), "a\\\"b\\\\c\\n");
        assert_eq!(run(Tool::GenesysEsc, "jsonEncode", &["tab\t".into()]), "tab\\t");
        assert_eq!(run(Tool::GenesysEsc, "jsonDecode", &["a\\\"b\\u0041".into()]), "a\"bA");
        assert_eq!(run(Tool::GenesysEsc, "uriEncode", &["a b/é~".into()]), "a%20b%2F%C3%A9~");
        assert_eq!(run(Tool::GenesysEsc, "urlFormEncode", &["a b".into()]), "a+b");
        assert_eq!(run(Tool::GenesysEsc, "url", &["a b".into()]), "a+b");
        assert!(matches!(invoke(Tool::GenesysEsc, "jsonString", &[Value::Null]), Ret(Value::Null)));
    }
}
