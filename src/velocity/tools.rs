//! Tool objects: VelocityTools 2.0 `EscapeTool` and `MathTool` (matching the
//! oracle, including their quirks), and the Genesys-only helpers (`$esc`
//! additions, `$encoding`, `$successTemplateUtils`, `$urlTool`) implemented from
//! Genesys' documentation. Every Genesys assumption is listed in
//! `COMPATIBILITY.md` and repeated next to its code.
//!
//! Owns: tool method semantics. Must not touch: evaluation or parsing.

use std::sync::Arc;

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::methods::Invoke::{self, *};
use super::value::{Object, ObjectKind, Tool, Value, java_double, to_json};

fn s(v: impl Into<String>) -> Invoke {
    Ret(Value::string(v.into()))
}

/// `String.valueOf(obj)` for a tool argument.
fn sv(v: &Value) -> String {
    v.to_java_string()
}

pub(crate) fn invoke(tool: Tool, name: &str, args: &[Value]) -> Invoke {
    match tool {
        Tool::Esc => esc(name, args),
        Tool::GenesysEsc => match genesys_esc(name, args) {
            NotFound => esc(name, args),
            r => r,
        },
        Tool::Math => math(name, args),
        Tool::Encoding => encoding(name, args),
        Tool::SuccessTemplateUtils => success_utils(name, args),
        Tool::UrlTool => url_tool(name, args),
    }
}

fn class(c: &'static str) -> Invoke {
    Ret(Value::Object(Object(ObjectKind::Class(c))))
}

// ------------------------------------------------------------------ EscapeTool

fn esc(name: &str, args: &[Value]) -> Invoke {
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

/// `java.net.URLEncoder.encode(s, "UTF-8")`.
pub(crate) fn url_encode(st: &str) -> String {
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

// ----------------------------------------------------------- Genesys $esc

/// RFC 3986 unreserved characters are kept; everything else is percent-encoded.
const URI_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

fn genesys_esc(name: &str, args: &[Value]) -> Invoke {
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

// ------------------------------------------------------------------ MathTool

/// `DecimalFormat` (en_US, "#,##0.###") `parse`: Long when integral, else Double.
fn parse_number(st: &str) -> Option<Value> {
    let b = st.as_bytes();
    let mut i = 0;
    let neg = b.first() == Some(&b'-');
    if neg {
        i = 1;
    }
    let mut digits = String::new();
    let mut seen_dot = false;
    let mut any_digit = false;
    let mut exp: i64 = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            digits.push(c as char);
            any_digit = true;
            i += 1;
        } else if c == b',' && !seen_dot {
            if b.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
            } else {
                break;
            }
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
            digits.push('.');
            i += 1;
        } else if c == b'E' && any_digit {
            let mut j = i + 1;
            let mut eneg = false;
            if matches!(b.get(j), Some(b'+') | Some(b'-')) {
                eneg = b[j] == b'-';
                j += 1;
            }
            let start = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > start {
                let e: i64 = st[start..j].parse().unwrap_or(i64::MAX / 4);
                exp = if eneg { -e } else { e };
            }
            break;
        } else {
            break;
        }
    }
    if !any_digit {
        return None;
    }
    let text = format!("{}{}e{}", if neg { "-" } else { "" }, digits.trim_end_matches('.'), exp);
    let v: f64 = text.parse().ok()?;
    if v.fract() == 0.0 && v.abs() < 9.2e18 && !(v == 0.0 && neg) {
        Some(Value::Long(v as i64))
    } else {
        Some(Value::Double(v))
    }
}

/// `ConversionUtils.toNumber(obj, "default", en_US)`.
fn to_number(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Int(_) | Value::Long(_) | Value::BigInt(_) | Value::Double(_) => Some(v.clone()),
        other => parse_number(&other.to_java_string()),
    }
}

fn dbl(v: &Value) -> f64 {
    match v {
        Value::Int(i) => f64::from(*i),
        Value::Long(l) => *l as f64,
        Value::BigInt(b) => *b as f64,
        Value::Double(d) => *d,
        _ => f64::NAN,
    }
}

fn int_value(v: &Value) -> i32 {
    match v {
        Value::Int(i) => *i,
        Value::Long(l) => *l as i32,
        Value::BigInt(b) => *b as i32,
        Value::Double(d) => *d as i32,
        _ => 0,
    }
}

/// `MathTool.matchType(double out, Number... in)`.
fn match_type(out: f64, ins: &[Option<&Value>]) -> Value {
    let mut integral = out.round_ties_even() == out;
    if integral {
        for n in ins {
            match n {
                None => break,
                Some(n) => {
                    if n.to_java_string().contains('.') {
                        integral = false;
                        break;
                    }
                }
            }
        }
    }
    if !integral {
        Value::Double(out)
    } else if out > f64::from(i32::MAX) || out < f64::from(i32::MIN) {
        Value::Long(out as i64)
    } else {
        Value::Int(out as i32)
    }
}

fn nums(args: &[Value]) -> Option<Vec<Value>> {
    args.iter().map(to_number).collect()
}

fn java_round(x: f64) -> i64 {
    // Math.round(double): floor(x + 0.5) with the 0.49999999999999994 fix
    if x.is_nan() {
        return 0;
    }
    let r = (x + 0.5).floor();
    if (r - x) > 0.5 { (r - 1.0) as i64 } else { r as i64 }
}

fn math(name: &str, args: &[Value]) -> Invoke {
    let none = Ret(Value::Null);
    match name {
        "add" | "sub" | "mul" | "div" | "max" | "min" => {
            let Some(ns) = nums(args) else { return none };
            let mut value = match name {
                "mul" => 1.0,
                "max" => f64::from_bits(1), // Double.MIN_VALUE (the 2.0 quirk)
                "min" => f64::MAX,
                _ => 0.0,
            };
            for (i, n) in ns.iter().enumerate() {
                let d = dbl(n);
                match name {
                    "add" => value += d,
                    "sub" => {
                        if i == 0 {
                            value = d
                        } else {
                            value -= d
                        }
                    }
                    "mul" => value *= d,
                    "div" => {
                        if i == 0 {
                            value = d;
                        } else {
                            if d == 0.0 {
                                return none;
                            }
                            value /= d;
                        }
                    }
                    "max" => value = java_max(value, d),
                    _ => value = java_min(value, d),
                }
            }
            // the 2.0 implementation never fills the inputs array
            Ret(match_type(value, &[None]))
        }
        "pow" => match nums(args).as_deref() {
            Some([a, b]) => Ret(match_type(dbl(a).powf(dbl(b)), &[Some(a), Some(b)])),
            _ => none_or_nf(args.len() == 2),
        },
        "idiv" | "mod" => match nums(args).as_deref() {
            Some([a, b]) => {
                let (x, y) = (int_value(a), int_value(b));
                if y == 0 {
                    return none;
                }
                Ret(Value::Int(if name == "idiv" { x.wrapping_div(y) } else { x.wrapping_rem(y) }))
            }
            _ => none_or_nf(args.len() == 2),
        },
        "abs" => match nums(args).as_deref() {
            Some([a]) => Ret(match_type(dbl(a).abs(), &[Some(a)])),
            _ => none_or_nf(args.len() == 1),
        },
        "ceil" | "floor" | "round" => match nums(args).as_deref() {
            Some([a]) => {
                let d = dbl(a);
                let r = match name {
                    "ceil" => d.ceil(),
                    "floor" => d.floor(),
                    _ => d.round_ties_even(),
                };
                Ret(Value::Int(r as i32))
            }
            _ => none_or_nf(args.len() == 1),
        },
        "roundTo" => match nums(args).as_deref() {
            Some([p, v]) => {
                let places = int_value(p);
                let mut delta: i32 = 10;
                let mut j = 1;
                while j < places {
                    delta = delta.wrapping_mul(10);
                    j += 1;
                }
                let x = dbl(v) * f64::from(delta);
                Ret(Value::Double(java_round(x) as f64 / f64::from(delta)))
            }
            _ => none_or_nf(args.len() == 2),
        },
        "toInteger" => match args {
            [a] => match to_number(a) {
                Some(n) => Ret(Value::Int(int_value(&n))),
                None => none,
            },
            _ => NotFound,
        },
        "toDouble" => match args {
            [a] => match to_number(a) {
                Some(n) => Ret(Value::Double(dbl(&n))),
                None => none,
            },
            _ => NotFound,
        },
        "toNumber" => match args {
            [a] => to_number(a).map(Ret).unwrap_or(none),
            _ => NotFound,
        },
        // ASSUMPTION (G9): random values are deterministic (0.0 / lower bound).
        "getRandom" if args.is_empty() => Ret(Value::Double(0.0)),
        "random" => match nums(args).as_deref() {
            Some([a, b]) => {
                let both_int = !format!("{}{}", a.to_java_string(), b.to_java_string()).contains('.');
                if both_int {
                    Ret(match_type(dbl(a).floor(), &[Some(a), Some(b)]))
                } else {
                    Ret(Value::Double(dbl(a)))
                }
            }
            _ => none_or_nf(args.len() == 2),
        },
        "getTotal" | "getAverage" => {
            let items: Vec<Value> = match args {
                [one] if one.as_seq().is_some() => one.as_seq().map(|l| l.to_vec()).unwrap_or_default(),
                [one] if one.is_null() => return none,
                many => many.to_vec(),
            };
            let mut total = 0.0;
            let mut first: Option<Value> = None;
            for it in &items {
                let Some(n) = to_number(it) else { return none };
                if first.is_none() {
                    first = Some(n.clone());
                }
                total += dbl(&n);
            }
            let t = match_type(total, &[first.as_ref()]);
            if name == "getTotal" {
                Ret(t)
            } else {
                let avg = dbl(&t) / items.len() as f64;
                Ret(match_type(avg, &[Some(&t)]))
            }
        }
        "getFormat" if args.is_empty() => s("default"),
        "getLocale" if args.is_empty() => s("en_US"),
        "getClass" if args.is_empty() => class("org.apache.velocity.tools.generic.MathTool"),
        _ => NotFound,
    }
}

fn none_or_nf(arity_ok: bool) -> Invoke {
    if arity_ok { Ret(Value::Null) } else { NotFound }
}

fn java_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

fn java_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

// ------------------------------------------------------- Genesys helpers

fn encoding(name: &str, args: &[Value]) -> Invoke {
    match (name, args) {
        // ASSUMPTION (G4): base64 of the UTF-8 bytes, standard alphabet, padded.
        ("base64", [v]) => {
            if v.is_null() {
                return Ret(Value::Null);
            }
            s(base64::engine::general_purpose::STANDARD.encode(sv(v).as_bytes()))
        }
        _ => NotFound,
    }
}

fn success_utils(name: &str, args: &[Value]) -> Invoke {
    match (name, args) {
        // ASSUMPTION (G5): firstFromArray(jsonText[, default]) parses the text as
        // JSON; for a non-empty array it returns the first element re-serialised
        // as compact JSON text; for an empty array it returns `default` (or the
        // empty string when no default is given); a JSON value that is not an
        // array is returned re-serialised unchanged; text that is not JSON is an
        // error (MethodInvocationException).
        ("firstFromArray", [text]) | ("firstFromArray", [text, _]) => {
            if text.is_null() {
                return Ret(Value::Null);
            }
            let t = json_text_of(text);
            let parsed: serde_json::Value = match serde_json::from_str(&t) {
                Ok(v) => v,
                Err(e) => {
                    return Throw(
                        "java.lang.IllegalArgumentException",
                        format!("firstFromArray: not JSON: {e}"),
                    );
                }
            };
            match parsed {
                serde_json::Value::Array(a) => match a.first() {
                    Some(first) => s(first.to_string()),
                    None => match args.get(1) {
                        Some(d) if !d.is_null() => s(sv(d)),
                        _ => s(""),
                    },
                },
                other => s(other.to_string()),
            }
        }
        // ASSUMPTION (G6): moveKeysIntoArrayOfObjects(jsonObjectText[, keyName])
        // turns {"k1": {...}, "k2": {...}} into [{keyName: "k1", ...}, ...]
        // (keyName defaults to "key"; non-object values become
        // {keyName: k, "value": v}). Returns compact JSON text.
        ("moveKeysIntoArrayOfObjects", [text]) | ("moveKeysIntoArrayOfObjects", [text, _]) => {
            if text.is_null() {
                return Ret(Value::Null);
            }
            let key_name = match args.get(1) {
                Some(k) if !k.is_null() => sv(k),
                _ => "key".to_string(),
            };
            let t = json_text_of(text);
            let parsed: serde_json::Value = match serde_json::from_str(&t) {
                Ok(v) => v,
                Err(e) => {
                    return Throw(
                        "java.lang.IllegalArgumentException",
                        format!("moveKeysIntoArrayOfObjects: not JSON: {e}"),
                    );
                }
            };
            let serde_json::Value::Object(o) = parsed else {
                return Throw(
                    "java.lang.IllegalArgumentException",
                    "moveKeysIntoArrayOfObjects: expected a JSON object".to_string(),
                );
            };
            let mut arr = Vec::with_capacity(o.len());
            for (k, v) in o {
                let mut item = serde_json::Map::new();
                item.insert(key_name.clone(), serde_json::Value::String(k));
                match v {
                    serde_json::Value::Object(inner) => {
                        for (ik, iv) in inner {
                            item.insert(ik, iv);
                        }
                    }
                    other => {
                        item.insert("value".to_string(), other);
                    }
                }
                arr.push(serde_json::Value::Object(item));
            }
            s(serde_json::Value::Array(arr).to_string())
        }
        _ => NotFound,
    }
}

/// Text of a JSON argument: strings are taken verbatim; other values (lists,
/// maps built in the template) are serialised to JSON first.
fn json_text_of(v: &Value) -> String {
    match v {
        Value::String(st) => st.to_string(),
        Value::Double(d) => java_double(*d),
        other => to_json(other, 0).to_string(),
    }
}

fn url_tool(name: &str, args: &[Value]) -> Invoke {
    match (name, args) {
        // ASSUMPTION (G7): optionalQueryParam(name, value[, first]) returns "" when
        // value is null or empty, otherwise "&name=value" (URLEncoder-encoded name
        // and value); when `first` is true the separator is "?" instead of "&".
        ("optionalQueryParam", [n, v]) | ("optionalQueryParam", [n, v, _]) => {
            let empty = match v {
                Value::Null => true,
                Value::String(st) => st.is_empty(),
                _ => false,
            };
            if empty {
                return s("");
            }
            let first = matches!(args.get(2), Some(Value::Bool(true)))
                || matches!(args.get(2), Some(Value::String(x)) if x.eq_ignore_ascii_case("true"));
            let sep = if first { '?' } else { '&' };
            s(format!("{sep}{}={}", url_encode(&sv(n)), url_encode(&sv(v))))
        }
        _ => NotFound,
    }
}

/// Used by unit tests and the compatibility doc.
#[allow(dead_code)]
pub(crate) fn list(items: Vec<Value>) -> Value {
    Value::List(Arc::new(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: Tool, name: &str, args: &[Value]) -> String {
        match invoke(t, name, args) {
            Ret(v) => v.to_java_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn escape_tool_stock() {
        assert_eq!(run(Tool::Esc, "url", &["a b&c".into()]), "a+b%26c");
        assert_eq!(run(Tool::Esc, "javascript", &["a\"b'/".into()]), "a\\\"b\\'\\/");
        assert_eq!(run(Tool::Esc, "html", &["<é>".into()]), "&lt;&eacute;&gt;");
        assert_eq!(run(Tool::Esc, "xml", &["'é".into()]), "&apos;&#233;");
        assert_eq!(run(Tool::Esc, "java", &["é\n".into()]), "\\u00E9\\n");
        assert!(matches!(invoke(Tool::Esc, "jsonString", &["x".into()]), NotFound));
    }

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

    #[test]
    fn math_tool_matches_2_0_quirks() {
        assert_eq!(run(Tool::Math, "mul", &[Value::Double(10.5), Value::Int(2)]), "21");
        assert_eq!(run(Tool::Math, "div", &[Value::Int(7), Value::Int(2)]), "3.5");
        assert_eq!(run(Tool::Math, "pow", &[Value::Double(2.0), Value::Int(2)]), "4.0");
        assert_eq!(run(Tool::Math, "toInteger", &["3.7".into()]), "3");
        assert_eq!(run(Tool::Math, "add", &["1,000".into(), Value::Int(1)]), "1001");
        assert!(matches!(invoke(Tool::Math, "div", &[Value::Int(1), Value::Int(0)]), Ret(Value::Null)));
        assert_eq!(run(Tool::Math, "roundTo", &[Value::Int(2), Value::Double(1.23456)]), "1.23");
    }

    #[test]
    fn encoding_base64() {
        assert_eq!(run(Tool::Encoding, "base64", &["user:pass".into()]), "dXNlcjpwYXNz");
        assert_eq!(run(Tool::Encoding, "base64", &["é".into()]), "w6k=");
    }

    #[test]
    fn first_from_array() {
        let u = Tool::SuccessTemplateUtils;
        assert_eq!(run(u, "firstFromArray", &["[\"a\",\"b\"]".into()]), "\"a\"");
        assert_eq!(run(u, "firstFromArray", &["[{\"x\":1}]".into()]), "{\"x\":1}");
        assert_eq!(run(u, "firstFromArray", &["[]".into(), "\"\"".into()]), "\"\"");
        assert_eq!(run(u, "firstFromArray", &["[]".into()]), "");
        assert_eq!(run(u, "firstFromArray", &["[3]".into(), "0".into()]), "3");
        assert_eq!(run(u, "firstFromArray", &["7".into()]), "7");
        assert!(matches!(invoke(u, "firstFromArray", &["not json".into()]), Throw(..)));
    }

    #[test]
    fn move_keys_into_array() {
        let u = Tool::SuccessTemplateUtils;
        assert_eq!(
            run(u, "moveKeysIntoArrayOfObjects", &["{\"a\":{\"n\":1},\"b\":2}".into()]),
            "[{\"key\":\"a\",\"n\":1},{\"key\":\"b\",\"value\":2}]"
        );
        assert_eq!(
            run(u, "moveKeysIntoArrayOfObjects", &["{\"a\":{}}".into(), "id".into()]),
            "[{\"id\":\"a\"}]"
        );
    }

    #[test]
    fn optional_query_param() {
        let u = Tool::UrlTool;
        assert_eq!(run(u, "optionalQueryParam", &["q".into(), "a b".into()]), "&q=a+b");
        assert_eq!(run(u, "optionalQueryParam", &["q".into(), Value::Null]), "");
        assert_eq!(run(u, "optionalQueryParam", &["q".into(), "".into()]), "");
        assert_eq!(run(u, "optionalQueryParam", &["q".into(), "x".into(), Value::Bool(true)]), "?q=x");
        assert_eq!(run(u, "optionalQueryParam", &["n".into(), Value::Int(5)]), "&n=5");
    }
}
