//! VelocityTools 2.0 `EscapeTool` (`$esc` in the stock set): `url`, `java`,
//! `javascript`, `html`, `xml`, `sql`, `unicode`, ... with the 2.0 quirks the
//! oracle shows, and the HTML 4.0 entity tables.
//!
//! Owns: stock escape semantics. Must not touch: evaluation, other tools.

use super::super::methods::Invoke::{self, *};
use super::super::value::Value;
use super::*;

// ------------------------------------------------------------------ EscapeTool

pub(super) fn esc(name: &str, args: &[Value]) -> Invoke {
    match (name, args) {
        ("getDollar" | "getD", []) => s("$"),
        ("getHash" | "getH", []) => s("#"),
        ("getBackslash" | "getB", []) => s("\\"),
        ("getQuote" | "getQ", []) => s("\""),
        ("getSingleQuote" | "getS", []) => s("'"),
        ("getNewline" | "getN", []) => s("\n"),
        ("getExclamation" | "getE", []) => s("!"),
        ("getKey", []) => s("esc"),
        ("getClass", []) => class("org.apache.velocity.tools.generic.EscapeTool"),
        (
            "velocity" | "java" | "propertyKey" | "propertyValue" | "javascript" | "html" | "url" | "xml"
            | "sql" | "unicode",
            [v],
        ) => {
            if v.is_null() {
                return Ret(Value::Null);
            }
            let st = sv(v);
            match name {
                "velocity" => s(st.replace('$', "${esc.d}").replace('#', "${esc.h}")),
                "java" => s(escape_java_style(&st, false, false)),
                "javascript" => s(escape_java_style(&st, true, true)),
                "propertyKey" => s(dump_string(&st, true)),
                "propertyValue" => s(dump_string(&st, false)),
                "html" => s(escape_entities(&st, true)),
                "xml" => s(escape_entities(&st, false)),
                "sql" => s(st.replace('\'', "''")),
                "url" => s(url_encode(&st)),
                _ => unicode(&st),
            }
        }
        _ => NotFound,
    }
}

/// commons-lang 2.6 `StringEscapeUtils.escapeJavaStyleString`.
fn escape_java_style(st: &str, single_quote: bool, forward_slash: bool) -> String {
    let mut out = String::with_capacity(st.len() + 8);
    for u in st.encode_utf16() {
        let ch = u32::from(u);
        if ch > 0xfff {
            out.push_str(&format!("\\u{ch:X}"));
        } else if ch > 0xff {
            out.push_str(&format!("\\u0{ch:X}"));
        } else if ch > 0x7f {
            out.push_str(&format!("\\u00{ch:X}"));
        } else if ch < 32 {
            match ch {
                8 => out.push_str("\\b"),
                10 => out.push_str("\\n"),
                9 => out.push_str("\\t"),
                12 => out.push_str("\\f"),
                13 => out.push_str("\\r"),
                _ if ch > 0xf => out.push_str(&format!("\\u00{ch:X}")),
                _ => out.push_str(&format!("\\u000{ch:X}")),
            }
        } else {
            match ch as u8 {
                b'\'' if single_quote => out.push_str("\\'"),
                b'"' => out.push_str("\\\""),
                b'\\' => out.push_str("\\\\"),
                b'/' if forward_slash => out.push_str("\\/"),
                b => out.push(b as char),
            }
        }
    }
    out
}

/// EscapeTool.dumpString (properties escaping).
fn dump_string(st: &str, key: bool) -> String {
    let units: Vec<u16> = st.encode_utf16().collect();
    let mut out = String::new();
    let mut i = 0;
    if !key && units.first() == Some(&u16::from(b' ')) {
        out.push_str("\\ ");
        i = 1;
    }
    while i < units.len() {
        let ch = units[i];
        match ch {
            9 => out.push_str("\\t"),
            10 => out.push_str("\\n"),
            12 => out.push_str("\\f"),
            13 => out.push_str("\\r"),
            _ => {
                let is_special = ch < 128 && "\\#!=:".contains(ch as u8 as char);
                if is_special || (key && ch == u16::from(b' ')) {
                    out.push('\\');
                }
                if (0x20..=0x7e).contains(&ch) {
                    out.push(ch as u8 as char);
                } else {
                    out.push_str(&format!("\\u{ch:04x}"));
                }
            }
        }
        i += 1;
    }
    out
}

fn unicode(st: &str) -> Invoke {
    let body = st.strip_prefix("\\u").unwrap_or(st);
    let parsed = match body.strip_prefix('+') {
        Some(rest) => i64::from_str_radix(rest, 16).ok(),
        None => i64::from_str_radix(body, 16).ok(),
    };
    let Some(cp) = parsed.filter(|v| i32::try_from(*v).is_ok()) else {
        return Throw(
            "java.lang.NumberFormatException",
            format!("For input string: \"{body}\" under radix 16"),
        );
    };
    match u32::try_from(cp).ok().filter(|c| *c <= 0x10FFFF) {
        Some(c) => match char::from_u32(c) {
            Some(ch) => s(ch.to_string()),
            // lone surrogate: Java would produce an unpaired char
            None => s(String::from_utf16_lossy(&[c as u16])),
        },
        None => {
            Throw("java.lang.IllegalArgumentException", format!("Not a valid Unicode code point: 0x{cp:X}"))
        }
    }
}

const HTML_BASIC: [(u32, &str); 4] = [(34, "quot"), (38, "amp"), (60, "lt"), (62, "gt")];

const ISO8859_1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf", "laquo",
    "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro", "para", "middot",
    "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc",
    "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute",
    "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash",
    "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute", "acirc", "atilde",
    "auml", "aring", "aelig", "ccedil", "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc",
    "iuml", "eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave",
    "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
];

const HTML40_EXT: &[(u32, &str)] = &[
    (402, "fnof"),
    (913, "Alpha"),
    (914, "Beta"),
    (915, "Gamma"),
    (916, "Delta"),
    (917, "Epsilon"),
    (918, "Zeta"),
    (919, "Eta"),
    (920, "Theta"),
    (921, "Iota"),
    (922, "Kappa"),
    (923, "Lambda"),
    (924, "Mu"),
    (925, "Nu"),
    (926, "Xi"),
    (927, "Omicron"),
    (928, "Pi"),
    (929, "Rho"),
    (931, "Sigma"),
    (932, "Tau"),
    (933, "Upsilon"),
    (934, "Phi"),
    (935, "Chi"),
    (936, "Psi"),
    (937, "Omega"),
    (945, "alpha"),
    (946, "beta"),
    (947, "gamma"),
    (948, "delta"),
    (949, "epsilon"),
    (950, "zeta"),
    (951, "eta"),
    (952, "theta"),
    (953, "iota"),
    (954, "kappa"),
    (955, "lambda"),
    (956, "mu"),
    (957, "nu"),
    (958, "xi"),
    (959, "omicron"),
    (960, "pi"),
    (961, "rho"),
    (962, "sigmaf"),
    (963, "sigma"),
    (964, "tau"),
    (965, "upsilon"),
    (966, "phi"),
    (967, "chi"),
    (968, "psi"),
    (969, "omega"),
    (977, "thetasym"),
    (978, "upsih"),
    (982, "piv"),
    (8226, "bull"),
    (8230, "hellip"),
    (8242, "prime"),
    (8243, "Prime"),
    (8254, "oline"),
    (8260, "frasl"),
    (8472, "weierp"),
    (8465, "image"),
    (8476, "real"),
    (8482, "trade"),
    (8501, "alefsym"),
    (8592, "larr"),
    (8593, "uarr"),
    (8594, "rarr"),
    (8595, "darr"),
    (8596, "harr"),
    (8629, "crarr"),
    (8656, "lArr"),
    (8657, "uArr"),
    (8658, "rArr"),
    (8659, "dArr"),
    (8660, "hArr"),
    (8704, "forall"),
    (8706, "part"),
    (8707, "exist"),
    (8709, "empty"),
    (8711, "nabla"),
    (8712, "isin"),
    (8713, "notin"),
    (8715, "ni"),
    (8719, "prod"),
    (8721, "sum"),
    (8722, "minus"),
    (8727, "lowast"),
    (8730, "radic"),
    (8733, "prop"),
    (8734, "infin"),
    (8736, "ang"),
    (8743, "and"),
    (8744, "or"),
    (8745, "cap"),
    (8746, "cup"),
    (8747, "int"),
    (8756, "there4"),
    (8764, "sim"),
    (8773, "cong"),
    (8776, "asymp"),
    (8800, "ne"),
    (8801, "equiv"),
    (8804, "le"),
    (8805, "ge"),
    (8834, "sub"),
    (8835, "sup"),
    (8836, "nsub"),
    (8838, "sube"),
    (8839, "supe"),
    (8853, "oplus"),
    (8855, "otimes"),
    (8869, "perp"),
    (8901, "sdot"),
    (8968, "lceil"),
    (8969, "rceil"),
    (8970, "lfloor"),
    (8971, "rfloor"),
    (9001, "lang"),
    (9002, "rang"),
    (9674, "loz"),
    (9824, "spades"),
    (9827, "clubs"),
    (9829, "hearts"),
    (9830, "diams"),
    (338, "OElig"),
    (339, "oelig"),
    (352, "Scaron"),
    (353, "scaron"),
    (376, "Yuml"),
    (710, "circ"),
    (732, "tilde"),
    (8194, "ensp"),
    (8195, "emsp"),
    (8201, "thinsp"),
    (8204, "zwnj"),
    (8205, "zwj"),
    (8206, "lrm"),
    (8207, "rlm"),
    (8211, "ndash"),
    (8212, "mdash"),
    (8216, "lsquo"),
    (8217, "rsquo"),
    (8218, "sbquo"),
    (8220, "ldquo"),
    (8221, "rdquo"),
    (8222, "bdquo"),
    (8224, "dagger"),
    (8225, "Dagger"),
    (8240, "permil"),
    (8249, "lsaquo"),
    (8250, "rsaquo"),
    (8364, "euro"),
];

/// commons-lang 2.6 `Entities.HTML40.escape` (html) / `Entities.XML.escape` (xml).
fn escape_entities(st: &str, html: bool) -> String {
    let mut out = String::with_capacity(st.len() + 8);
    for u in st.encode_utf16() {
        let c = u32::from(u);
        let name: Option<&str> = if let Some((_, n)) = HTML_BASIC.iter().find(|(v, _)| *v == c) {
            Some(n)
        } else if !html && c == 39 {
            Some("apos")
        } else if html && (160..=255).contains(&c) {
            ISO8859_1.get((c - 160) as usize).copied()
        } else if html {
            HTML40_EXT.iter().find(|(v, _)| *v == c).map(|(_, n)| *n)
        } else {
            None
        };
        match name {
            Some(n) => {
                out.push('&');
                out.push_str(n);
                out.push(';');
            }
            None if c > 0x7f => out.push_str(&format!("&#{c};")),
            None => out.push(u as u8 as char),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{invoke, run_tool as run};
    use crate::velocity::methods::Invoke::*;
    use crate::velocity::value::Tool;

    #[test]
    fn escape_tool_stock() {
        assert_eq!(run(Tool::Esc, "url", &["a b&c".into()]), "a+b%26c");
        assert_eq!(run(Tool::Esc, "javascript", &["a\"b'/".into()]), "a\\\"b\\'\\/");
        assert_eq!(run(Tool::Esc, "html", &["<é>".into()]), "&lt;&eacute;&gt;");
        assert_eq!(run(Tool::Esc, "xml", &["'é".into()]), "&apos;&#233;");
        assert_eq!(run(Tool::Esc, "java", &["é\n".into()]), "\\u00E9\\n");
        assert!(matches!(invoke(Tool::Esc, "jsonString", &["x".into()]), NotFound));
    }
}
