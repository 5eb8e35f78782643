//! A small re-implementation of json-smart's *permissive* parser.
//!
//! Owns: [`parse_permissive`], used where Jayway parses text with json-smart
//! `MODE_PERMISSIVE` *inside a path*: JSON literals in filters (`in [...]`)
//! and JSON arguments of path functions (`append(...)`, `sum(...)`). It
//! accepts single-quoted and unquoted strings, leading zeros and trailing
//! garbage like json-smart does for the common cases; exotic inputs may be
//! typed differently (documented in `jsonpath` module docs).
//! Must not: refer to anything outside `crate::jsonpath`; it is not used to
//! parse documents (documents arrive as `serde_json::Value`).

use serde_json::{Map, Number, Value};

const MAX_DEPTH: usize = 256;

/// Parse error (json-smart's `ParseException`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SmartError(pub(crate) String);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// top level: only end of input stops an unquoted token
    Top,
    /// inside an array: `,` `]`
    Array,
    /// object key: `:`
    Key,
    /// object value: `,` `}`
    Value,
}

impl Stop {
    fn is_stop(self, c: char) -> bool {
        match self {
            Stop::Top => false,
            Stop::Array => c == ',' || c == ']',
            Stop::Key => c == ':',
            Stop::Value => c == ',' || c == '}',
        }
    }
}

struct P<'t> {
    chars: Vec<char>,
    pos: usize,
    _t: std::marker::PhantomData<&'t ()>,
}

/// Parse `text` the way `new JSONParser(MODE_PERMISSIVE).parse(text)` does.
pub(crate) fn parse_permissive(text: &str) -> Result<Value, SmartError> {
    let mut p = P { chars: text.chars().collect(), pos: 0, _t: std::marker::PhantomData };
    let v = p.value(Stop::Top, 0)?;
    // json-smart's permissive mode accepts trailing data.
    Ok(v)
}

impl P<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn err(&self, what: &str) -> SmartError {
        SmartError(format!("{what} at position {}", self.pos))
    }

    fn value(&mut self, stop: Stop, depth: usize) -> Result<Value, SmartError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.skip_ws();
        let Some(c) = self.peek() else {
            return Err(self.err("Unexpected End Of File"));
        };
        match c {
            ':' | '}' | ']' => Err(self.err("Unexpected character")),
            ',' => Err(self.err("Unexpected character")),
            '{' => self.object(depth),
            '[' => self.array(depth),
            '"' | '\'' => Ok(Value::String(self.quoted(c)?)),
            _ => {
                let raw = self.unquoted(stop);
                Ok(classify_unquoted(&raw))
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, SmartError> {
        self.pos += 1; // [
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(self.err("Unexpected End Of File")),
                Some(']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                Some(',') => {
                    // useless comma (accepted in permissive mode)
                    self.pos += 1;
                    continue;
                }
                Some(_) => {
                    let v = self.value(Stop::Array, depth + 1)?;
                    items.push(v);
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some(']') => {}
                        None => return Err(self.err("Unexpected End Of File")),
                        Some(_) => return Err(self.err("Unexpected character")),
                    }
                }
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, SmartError> {
        self.pos += 1; // {
        let mut map = Map::new();
        loop {
            self.skip_ws();
            let key = match self.peek() {
                None => return Err(self.err("Unexpected End Of File")),
                Some('}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                Some(',') => {
                    self.pos += 1;
                    continue;
                }
                Some(q @ ('"' | '\'')) => self.quoted(q)?,
                Some(_) => self.unquoted(Stop::Key),
            };
            self.skip_ws();
            if self.peek() != Some(':') {
                return Err(self.err("Unexpected character, expected ':'"));
            }
            self.pos += 1;
            let v = self.value(Stop::Value, depth + 1)?;
            map.insert(key, v);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {}
                None => return Err(self.err("Unexpected End Of File")),
                Some(_) => return Err(self.err("Unexpected character")),
            }
        }
    }

    fn quoted(&mut self, q: char) -> Result<String, SmartError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("Unexpected End Of File in string"));
            };
            self.pos += 1;
            if c == q {
                return Ok(out);
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.peek() else {
                return Err(self.err("Unexpected End Of File in string"));
            };
            self.pos += 1;
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex: String = self.chars.iter().skip(self.pos).take(4).collect();
                    let code =
                        u32::from_str_radix(&hex, 16).map_err(|_| self.err("Invalid unicode escape"))?;
                    self.pos += 4;
                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                }
                other => out.push(other),
            }
        }
    }

    /// An unquoted token up to a stop character, trimmed.
    fn unquoted(&mut self, stop: Stop) -> String {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if stop.is_stop(c) {
                break;
            }
            self.pos += 1;
        }
        let s: String = self.chars[start..self.pos].iter().collect();
        s.trim().to_string()
    }
}

fn classify_unquoted(raw: &str) -> Value {
    match raw {
        "null" => return Value::Null,
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_smart_number(raw) {
        return Value::Number(n);
    }
    Value::String(raw.to_string())
}

/// json-smart number typing: Integer/Long/BigInteger for integers (leading
/// zeros accepted), Double for decimals.
fn parse_smart_number(raw: &str) -> Option<Number> {
    let b = raw.as_bytes();
    if b.is_empty() {
        return None;
    }
    let body = raw.strip_prefix('-').unwrap_or(raw);
    if body.is_empty() || !body.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let is_int = body.bytes().all(|c| c.is_ascii_digit());
    if is_int {
        if let Ok(i) = raw.parse::<i64>() {
            return Some(Number::from(i));
        }
        if let Ok(u) = raw.parse::<u64>() {
            return Some(Number::from(u));
        }
        return raw.parse::<f64>().ok().and_then(Number::from_f64);
    }
    // decimal / exponent: strict shape digits[.digits][e[+-]digits]
    let mut seen_e = false;
    let mut prev = b'0';
    for &c in body.as_bytes() {
        let ok = c.is_ascii_digit()
            || (c == b'.' && !seen_e)
            || ((c == b'e' || c == b'E') && !seen_e)
            || ((c == b'+' || c == b'-') && (prev == b'e' || prev == b'E'));
        if !ok {
            return None;
        }
        if c == b'e' || c == b'E' {
            seen_e = true;
        }
        prev = c;
    }
    raw.parse::<f64>().ok().and_then(Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn permissive_table() {
        let cases: Vec<(&str, Value)> = vec![
            ("[1,2,3]", json!([1, 2, 3])),
            ("['a','b']", json!(["a", "b"])),
            ("[\"a\", 'b' ]", json!(["a", "b"])),
            ("[a, b c]", json!(["a", "b c"])),
            ("[true,false,null]", json!([true, false, null])),
            ("[1.5,-2,1e2]", json!([1.5, -2, 100.0])),
            ("{\"a\":1}", json!({"a": 1})),
            ("{a:'x'}", json!({"a": "x"})),
            ("4,5]", json!("4,5]")),
            ("10", json!(10)),
            ("\"x\"", json!("x")),
            ("[]", json!([])),
            ("[1,]", json!([1])),
            ("[[1],[2]]", json!([[1], [2]])),
        ];
        for (text, want) in cases {
            assert_eq!(parse_permissive(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn permissive_errors() {
        for text in ["[1,2", "{\"a\"", "'abc", "]", ""] {
            assert!(parse_permissive(text).is_err(), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000);
        assert!(parse_permissive(&text).is_err());
    }
}
