//! Java regular expressions (`String.matches/replaceAll/replaceFirst/split`)
//! on top of the `regex` crate: translates the Java syntax that has a different
//! meaning in Rust (ASCII `\d \w \s`, `.` excluding all Java line terminators,
//! `\Q...\E`, `\h`, POSIX `\p{Alpha}` classes), implements Java's replacement
//! string syntax (`$1`, `${name}`, `\$`) and Java's `split` rules.
//!
//! Differences from Java (reported as a thrown `PatternSyntaxException`-like
//! error instead): backreferences, lookaround, possessive quantifiers and
//! atomic groups are not supported by the `regex` crate.
//!
//! Owns: regex translation and caching. Must not touch: anything else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

type Err = (&'static str, String);

const PSE: &str = "java.util.regex.PatternSyntaxException";

fn cache() -> &'static Mutex<HashMap<String, Arc<regex::Regex>>> {
    static C: OnceLock<Mutex<HashMap<String, Arc<regex::Regex>>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The class body (without brackets) of Java's ASCII shorthand `\\c`.
fn ascii_class(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "0-9",
        'w' => "a-zA-Z_0-9",
        's' => " \\t\\n\\x0B\\f\\r",
        'h' => " \\t\\xA0\\x{1680}\\x{180e}\\x{2000}-\\x{200a}\\x{202f}\\x{205f}\\x{3000}",
        'v' => "\\n\\x0B\\f\\r\\x{85}\\x{2028}\\x{2029}",
        _ => return None,
    })
}

fn posix_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => "\\x00-\\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => "!-/:-@\\[-`{-~",
        "Graph" => "!-~",
        "Print" => " -~",
        "Blank" => " \\t",
        "Cntrl" => "\\x00-\\x1F\\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => " \\t\\n\\x0B\\f\\r",
        _ => return None,
    })
}

/// Translate a Java pattern into `regex` syntax.
fn translate(p: &str) -> Result<String, Err> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    let mut in_class = 0usize;
    let unsupported = |what: &str| (PSE, format!("{what} is not supported in this engine: {p}"));
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err((PSE, format!("Unexpected internal error near index {}", i + 1)));
                };
                i += 2;
                if let Some(body) = ascii_class(n.to_ascii_lowercase()) {
                    let neg = n.is_ascii_uppercase();
                    if in_class > 0 {
                        if neg {
                            // negated class inside a class: use a nested class
                            out.push_str(&format!("[^{body}]"));
                        } else {
                            out.push_str(body);
                        }
                    } else if neg {
                        out.push_str(&format!("[^{body}]"));
                    } else {
                        out.push_str(&format!("[{body}]"));
                    }
                    continue;
                }
                match n {
                    'Q' => {
                        let mut lit = String::new();
                        while i < chars.len() {
                            if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                                i += 2;
                                break;
                            }
                            lit.push(chars[i]);
                            i += 1;
                        }
                        out.push_str(&regex::escape(&lit));
                    }
                    'p' | 'P' if chars.get(i) == Some(&'{') => {
                        let end = chars[i..].iter().position(|&c| c == '}').map(|e| e + i);
                        let Some(end) = end else {
                            return Err((PSE, "Unclosed character family".into()));
                        };
                        let name: String = chars[i + 1..end].iter().collect();
                        i = end + 1;
                        let name = name.strip_prefix("Is").unwrap_or(&name).to_string();
                        if let Some(body) = posix_class(&name) {
                            let neg = n == 'P';
                            if in_class > 0 && !neg {
                                out.push_str(body);
                            } else {
                                out.push_str(&format!("[{}{body}]", if neg { "^" } else { "" }));
                            }
                        } else {
                            out.push_str(&format!("\\{n}{{{name}}}"));
                        }
                    }
                    'b' if in_class == 0 => out.push_str("\\b"),
                    'B' if in_class == 0 => out.push_str("\\B"),
                    'A' => out.push_str("\\A"),
                    'z' => out.push_str("\\z"),
                    'Z' => out.push_str("(?:\\n?\\z)"),
                    'R' => out.push_str("(?:\\r\\n|[\\n\\x0B\\f\\r\\x{85}\\x{2028}\\x{2029}])"),
                    'G' => return Err(unsupported("\\G")),
                    'k' => return Err(unsupported("Named back reference")),
                    '0' => {
                        // octal escape \0n, \0nn, \0mnn
                        let mut v = 0u32;
                        let mut k = 0;
                        while k < 3 {
                            match chars.get(i).and_then(|c| c.to_digit(8)) {
                                Some(d) if v * 8 + d <= 0o377 => {
                                    v = v * 8 + d;
                                    i += 1;
                                    k += 1;
                                }
                                _ => break,
                            }
                        }
                        if k == 0 {
                            return Err((PSE, "Illegal octal escape sequence".into()));
                        }
                        out.push_str(&format!("\\x{{{v:x}}}"));
                    }
                    '1'..='9' if in_class == 0 => return Err(unsupported("Back reference")),
                    'x' | 'u' | 't' | 'n' | 'r' | 'f' | 'e' | 'a' => {
                        out.push('\\');
                        out.push(n);
                        if n == 'u' {
                            // \uXXXX -> \x{XXXX}
                            out.pop();
                            out.pop();
                            let hex: String =
                                // Fewer than 4 characters left: the empty text fails the hex check just below.
                                chars.get(i..i + 4).map(|h| h.iter().collect()).unwrap_or_default();
                            if hex.len() != 4 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                                return Err((PSE, "Illegal Unicode escape sequence".into()));
                            }
                            i += 4;
                            out.push_str(&format!("\\x{{{hex}}}"));
                        }
                    }
                    'c' => {
                        let Some(&x) = chars.get(i) else {
                            return Err((PSE, "Illegal control escape sequence".into()));
                        };
                        i += 1;
                        out.push_str(&format!("\\x{{{:x}}}", (x as u32) ^ 64));
                    }
                    other if other.is_ascii_alphanumeric() => {
                        return Err((PSE, format!("Illegal/unsupported escape sequence \\{other}")));
                    }
                    other => {
                        out.push_str(&regex::escape(&other.to_string()));
                    }
                }
                continue;
            }
            '[' => {
                in_class += 1;
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // a leading ']' is literal in Java
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(']');
            }
            '.' if in_class == 0 => out.push_str("[^\\n\\r\\x{85}\\x{2028}\\x{2029}]"),
            '(' if in_class == 0 => {
                if chars.get(i + 1) == Some(&'?') {
                    match chars.get(i + 2) {
                        Some('=') | Some('!') => return Err(unsupported("Lookahead")),
                        Some('>') => return Err(unsupported("Atomic group")),
                        Some('<') if matches!(chars.get(i + 3), Some('=') | Some('!')) => {
                            return Err(unsupported("Lookbehind"));
                        }
                        Some('<') => {
                            // named group (?<name>...) -> (?P<name>...)
                            out.push_str("(?P<");
                            i += 3;
                            continue;
                        }
                        _ => out.push('('),
                    }
                } else {
                    out.push('(');
                }
            }
            '+' if in_class == 0 && i > 0 && matches!(chars[i - 1], '*' | '+' | '?' | '}') => {
                if !(i >= 2 && chars[i - 2] == '\\') {
                    return Err(unsupported("Possessive quantifier"));
                }
                out.push('+');
            }
            '&' if in_class > 0 && chars.get(i + 1) == Some(&'&') => {
                out.push_str("&&");
                i += 1;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if in_class > 0 {
        return Err((PSE, format!("Unclosed character class near index {}", chars.len().saturating_sub(1))));
    }
    Ok(out)
}

fn compile(p: &str) -> Result<Arc<regex::Regex>, Err> {
    if let Ok(c) = cache().lock()
        && let Some(r) = c.get(p)
    {
        return Ok(r.clone());
    }
    let t = translate(p)?;
    let re = regex::RegexBuilder::new(&t).size_limit(1 << 22).build().map_err(|e| (PSE, format!("{e}")))?;
    let re = Arc::new(re);
    if let Ok(mut c) = cache().lock() {
        if c.len() > 256 {
            c.clear();
        }
        c.insert(p.to_string(), re.clone());
    }
    Ok(re)
}

/// `String.matches(regex)`: the whole input must match.
pub(crate) fn matches(s: &str, p: &str) -> Result<bool, Err> {
    let re = compile(&format!("^(?:{p})$"))?;
    Ok(re.is_match(s))
}

/// Java `Matcher.appendReplacement` expansion.
fn expand(
    rep: &str,
    caps: &regex::Captures<'_>,
    ngroups: usize,
    names: &[Option<&str>],
) -> Result<String, Err> {
    let chars: Vec<char> = rep.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += 1;
                match chars.get(i) {
                    Some(&c) => out.push(c),
                    None => {
                        return Err((
                            "java.lang.IllegalArgumentException",
                            "character to be escaped is missing".into(),
                        ));
                    }
                }
                i += 1;
            }
            '$' => {
                i += 1;
                match chars.get(i) {
                    None => {
                        return Err((
                            "java.lang.IllegalArgumentException",
                            "Illegal group reference: group index is missing".into(),
                        ));
                    }
                    Some('{') => {
                        let end = chars[i..].iter().position(|&c| c == '}').map(|e| e + i);
                        let Some(end) = end else {
                            return Err((
                                "java.lang.IllegalArgumentException",
                                "named capturing group is missing trailing '}'".into(),
                            ));
                        };
                        let name: String = chars[i + 1..end].iter().collect();
                        if !names.contains(&Some(name.as_str())) {
                            return Err((
                                "java.lang.IllegalArgumentException",
                                format!("No group with name {{{name}}}"),
                            ));
                        }
                        if let Some(m) = caps.name(&name) {
                            out.push_str(m.as_str());
                        }
                        i = end + 1;
                    }
                    Some(c) if c.is_ascii_digit() => {
                        let mut g = c.to_digit(10).unwrap_or(0) as usize;
                        if g > ngroups {
                            return Err(("java.lang.IndexOutOfBoundsException", format!("No group {g}")));
                        }
                        i += 1;
                        while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                            let ng = g * 10 + d as usize;
                            if ng > ngroups {
                                break;
                            }
                            g = ng;
                            i += 1;
                        }
                        if let Some(m) = caps.get(g) {
                            out.push_str(m.as_str());
                        }
                    }
                    Some(_) => {
                        return Err(("java.lang.IllegalArgumentException", "Illegal group reference".into()));
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// `replaceAll` / `replaceFirst`.
pub(crate) fn replace(s: &str, p: &str, rep: &str, all: bool) -> Result<String, Err> {
    let re = compile(p)?;
    let ngroups = re.captures_len().saturating_sub(1);
    let names: Vec<Option<&str>> = re.capture_names().collect();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut any = false;
    for caps in re.captures_iter(s) {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&s[last..m.start()]);
        out.push_str(&expand(rep, &caps, ngroups, &names)?);
        last = m.end();
        any = true;
        if !all {
            break;
        }
    }
    if !any {
        // Java still validates the replacement only when a match occurs
        return Ok(s.to_string());
    }
    out.push_str(&s[last..]);
    Ok(out)
}

/// `String.split(regex, limit)` with Java's rules.
pub(crate) fn split(s: &str, p: &str, limit: i32) -> Result<Vec<String>, Err> {
    let re = compile(p)?;
    let mut list: Vec<String> = Vec::new();
    let mut index = 0usize;
    let limited = limit > 0;
    for m in re.find_iter(s) {
        if !limited || (list.len() as i64) < i64::from(limit) - 1 {
            if index == 0 && m.start() == 0 && m.start() == m.end() {
                continue;
            }
            list.push(s[index..m.start()].to_string());
            index = m.end();
        } else {
            break;
        }
    }
    if index == 0 && list.is_empty() {
        return Ok(vec![s.to_string()]);
    }
    list.push(s[index..].to_string());
    if limit == 0 {
        while list.last().is_some_and(|x| x.is_empty()) {
            list.pop();
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_split_rules() {
        assert_eq!(split("a,b,,", ",", 0).unwrap(), vec!["a", "b"]);
        assert_eq!(split("a,b,,", ",", -1).unwrap(), vec!["a", "b", "", ""]);
        assert_eq!(split("a,b,c", ",", 2).unwrap(), vec!["a", "b,c"]);
        assert_eq!(split("", ",", 0).unwrap(), vec![""]);
        assert_eq!(split("abc", "", 0).unwrap(), vec!["a", "b", "c"]);
    }

    #[test]
    fn java_replacement_syntax() {
        assert_eq!(replace("a1b22", "(\\d+)", "<$1>", true).unwrap(), "a<1>b<22>");
        assert_eq!(replace("abc", "b", "\\$", true).unwrap(), "a$c");
        assert!(replace("abc", "b", "$", true).is_err());
        assert!(matches("Hello", "H.*").unwrap());
        assert!(!matches("Hello", "ell").unwrap());
    }

    #[test]
    fn unsupported_constructs_error() {
        assert!(matches("aa", "(a)\\1").is_err());
        assert!(matches("aa", "a(?=a)").is_err());
    }
}
