//! Path compiler, a port of Jayway 2.10.0's `PathCompiler`.
//!
//! Owns: turning path text into a [`CompiledPath`]: root handling, dot and
//! bracket notation, quoted names with escapes, multi-name brackets, array
//! indexes and slices, wildcards, deep scan, inline filters (delegated to
//! `filter::compile_filter`) and function calls with JSON / path arguments.
//! Errors are `InvalidPath`, as in Jayway (other internal failures are
//! wrapped). The token loop is iterative and nesting is depth-limited, so no
//! input can overflow the stack.
//! Must not: evaluate paths or refer to anything outside `crate::jsonpath`.

use super::ast::{CompiledPath, Param, SliceKind, Token};
use super::chars::{CharIndex, SPACE, is_java_digit, u, unit_str};
use super::error::Error;
use super::filter;

/// Maximum nesting of paths, filters, parentheses and function arguments
/// (one budget shared by all of them).
pub(crate) const MAX_COMPILE_DEPTH: usize = 128;

/// Jayway's static `PathCompiler.compile(String)`: trims, prefixes `$.` when
/// the path does not start with `$` or `@`, wraps every failure in
/// `InvalidPath`.
pub(crate) fn compile(path: &str, depth: usize) -> Result<CompiledPath, Error> {
    wrap(compile_inner(path, depth))
}

fn compile_inner(path: &str, depth: usize) -> Result<CompiledPath, Error> {
    if depth > MAX_COMPILE_DEPTH {
        return Err(Error::depth());
    }
    let mut ci = CharIndex::new(path);
    ci.trim();
    let c0 = ci.char_at(0)?;
    if c0 != u(b'$') && c0 != u(b'@') {
        ci = CharIndex::new(&format!("$.{path}"));
        ci.trim();
    }
    if ci.last_char_is(u(b'.'))? {
        return Err(Error::invalid_path("Path must not end with a '.' or '..'"));
    }
    PathCompiler { ci, depth }.compile()
}

/// Jayway's private `new PathCompiler(text, filters).compile()` used for
/// path arguments of functions: no trimming, no `$.` prefix.
pub(crate) fn compile_raw(text: &str, depth: usize) -> Result<CompiledPath, Error> {
    if depth > MAX_COMPILE_DEPTH {
        return Err(Error::depth());
    }
    PathCompiler { ci: CharIndex::new(text), depth }.compile()
}

/// Wrap non-`InvalidPath` failures the way `PathCompiler.compile` does.
fn wrap<T>(r: Result<T, Error>) -> Result<T, Error> {
    r.map_err(|e| match e {
        Error::InvalidPath { .. } | Error::DepthLimit { .. } => e,
        other => Error::invalid_path(format!("{}: {}", other.java_class(), other.message())),
    })
}

struct PathCompiler {
    ci: CharIndex,
    depth: usize,
}

fn is_ws(c: u16) -> bool {
    c == u(b' ') || c == u(b'\t') || c == u(b'\n') || c == u(b'\r')
}

fn fail<T>(msg: impl Into<String>) -> Result<T, Error> {
    Err(Error::invalid_path(msg))
}

impl PathCompiler {
    fn compile(mut self) -> Result<CompiledPath, Error> {
        // readContextToken
        while self.ci.in_bounds() && is_ws(self.ci.current()?) {
            self.ci.increment(1);
        }
        let c = self.ci.current()?;
        if c != u(b'$') && c != u(b'@') {
            return fail("Path must start with '$' or '@'");
        }
        let root = c as u8;
        let mut tokens = Vec::new();
        if !self.ci.current_is_tail() {
            self.ci.increment(1);
            let c = self.ci.current()?;
            if c != u(b'.') && c != u(b'[') {
                return Err(Error::invalid_path_at(
                    format!("Illegal character at position {} expected '.' or '['", self.ci.position()),
                    self.ci.position() as usize,
                ));
            }
            self.read_tokens(&mut tokens)?;
        }
        Ok(CompiledPath::new(root, tokens))
    }

    /// `readNextToken` and the `currentIsTail() || readNextToken()` tail
    /// recursion of every token reader, as a loop.
    fn read_tokens(&mut self, tokens: &mut Vec<Token>) -> Result<(), Error> {
        loop {
            let start = self.ci.position();
            let c = self.ci.current()?;
            let check_tail = if c == u(b'[') {
                if !self.read_bracket_property(tokens)?
                    && !self.read_array(tokens)?
                    && !self.read_wildcard(tokens)?
                    && !self.read_filter(tokens)?
                {
                    self.reject_placeholder()?;
                    return Err(Error::invalid_path_at(
                        format!(
                            "Could not parse token starting at position {}. Expected ?, ', 0-9, * ",
                            self.ci.position()
                        ),
                        self.ci.position() as usize,
                    ));
                }
                true
            } else if c == u(b'.') {
                self.read_dot(tokens)?;
                false
            } else if c == u(b'*') {
                if !self.read_wildcard(tokens)? {
                    return self.could_not_parse();
                }
                true
            } else {
                if !self.read_property_or_function(tokens)? {
                    return self.could_not_parse();
                }
                true
            };
            if check_tail && self.ci.current_is_tail() {
                return Ok(());
            }
            if self.ci.position() <= start && check_tail {
                // Jayway would recurse forever here (StackOverflowError).
                return Err(Error::depth());
            }
        }
    }

    fn could_not_parse<T>(&self) -> Result<T, Error> {
        Err(Error::invalid_path_at(
            format!("Could not parse token starting at position {}", self.ci.position()),
            self.ci.position().max(0) as usize,
        ))
    }

    fn read_dot(&mut self, tokens: &mut Vec<Token>) -> Result<(), Error> {
        if self.ci.current_is(u(b'.'))? && self.ci.next_char_is(u(b'.'))? {
            tokens.push(Token::Scan);
            self.ci.increment(2);
        } else if !self.ci.has_more_characters() {
            return fail("Path must not end with a '.");
        } else {
            self.ci.increment(1);
        }
        if self.ci.current_is(u(b'.'))? {
            return Err(Error::invalid_path_at(
                format!("Character '.' on position {} is not valid.", self.ci.position()),
                self.ci.position() as usize,
            ));
        }
        Ok(())
    }

    fn read_property_or_function(&mut self, tokens: &mut Vec<Token>) -> Result<bool, Error> {
        let ci = &mut self.ci;
        let c = ci.current()?;
        if c == u(b'[') || c == u(b'*') || c == u(b'.') || c == SPACE {
            return Ok(false);
        }
        let start = ci.position();
        let mut read = start;
        let mut end: i64 = 0;
        let mut is_function = false;
        while ci.in_bounds_at(read) {
            let c = ci.char_at(read)?;
            if c == SPACE {
                return Err(Error::invalid_path_at(
                    format!(
                        "Use bracket notion ['my prop'] if your property contains blank characters. position: {}",
                        ci.position()
                    ),
                    ci.position() as usize,
                ));
            } else if c == u(b'.') || c == u(b'[') {
                end = read;
                break;
            } else if c == u(b'(') {
                is_function = true;
                end = read;
                break;
            }
            read += 1;
        }
        if end == 0 {
            end = ci.length();
        }
        let mut params = None;
        let mut had_args = false;
        if is_function {
            let mut parens = 1;
            let mut i = read + 1;
            while i < ci.length() {
                let c = ci.char_at(i)?;
                if c == u(b')') {
                    parens -= 1;
                } else if c == u(b'(') {
                    parens += 1;
                }
                if parens == 0 {
                    break;
                }
                i += 1;
            }
            if parens != 0 {
                let name = ci.sub_string(start, end)?;
                return fail(format!("Arguments to function: '{name}' are not closed properly."));
            }
            if ci.in_bounds_at(read + 1) {
                let c = ci.char_at(read + 1)?;
                if c != u(b')') {
                    ci.set_position(end + 1);
                    let name = ci.sub_string(start, end)?;
                    let p = self.parse_function_parameters(&name)?;
                    had_args = !p.is_empty();
                    params = Some(p);
                } else {
                    self.ci.set_position(read + 1);
                }
            } else {
                ci.set_position(read);
            }
        } else {
            ci.set_position(end);
        }
        let name = self.ci.sub_string(start, end)?;
        if is_function {
            tokens.push(Token::Function { name, params, had_args });
        } else {
            tokens.push(Token::Property { props: vec![name], delim: b'\'' });
        }
        Ok(true)
    }

    fn parse_function_parameters(&mut self, func_name: &str) -> Result<Vec<Param>, Error> {
        #[derive(PartialEq, Clone, Copy)]
        enum Kind {
            Json,
            Path,
        }
        let mut kind: Option<Kind> = None;
        let (mut group_paren, mut group_bracket, mut group_brace, mut group_quote) = (1i64, 0i64, 0i64, 0i64);
        let mut end_of_stream = false;
        let mut prior: u16 = 0;
        let mut params = Vec::new();
        let mut param: Vec<u16> = Vec::new();
        while self.ci.in_bounds() && !end_of_stream {
            let c = self.ci.current()?;
            self.ci.increment(1);
            if kind.is_none() {
                if is_ws(c) {
                    continue;
                }
                if c == u(b'{') || is_java_digit(c) || c == u(b'"') || c == u(b'-') {
                    kind = Some(Kind::Json);
                } else if c == u(b'$') || c == u(b'@') {
                    kind = Some(Kind::Path);
                }
            }
            if c == u(b'"') {
                if prior != u(b'\\') && group_quote > 0 {
                    group_quote -= 1;
                } else {
                    group_quote += 1;
                }
            } else if c == u(b'(') {
                group_paren += 1;
            } else if c == u(b'{') {
                group_brace += 1;
            } else if c == u(b'[') {
                group_bracket += 1;
            } else if c == u(b'}') {
                if group_brace == 0 {
                    return fail(format!(
                        "Unexpected close brace '}}' at character position: {}",
                        self.ci.position()
                    ));
                }
                group_brace -= 1;
            } else if c == u(b']') {
                if group_bracket == 0 {
                    return fail(format!(
                        "Unexpected close bracket ']' at character position: {}",
                        self.ci.position()
                    ));
                }
                group_bracket -= 1;
            } else if c == u(b')') || c == u(b',') {
                if c == u(b')') {
                    group_paren -= 1;
                    if group_paren < 0 || prior == u(b'(') {
                        param.push(c);
                    }
                }
                if group_quote == 0
                    && group_brace == 0
                    && group_bracket == 0
                    && ((group_paren == 0 && c == u(b')')) || group_paren == 1)
                {
                    end_of_stream = group_paren == 0;
                    if let Some(k) = kind {
                        let text = String::from_utf16_lossy(&param);
                        match k {
                            Kind::Json => params.push(Param::Json(text)),
                            Kind::Path => {
                                let path = compile_raw(&text, self.depth + 1)?;
                                let with_wildcard = path.with_wildcard().map(Box::new);
                                params.push(Param::Path { path: Box::new(path), with_wildcard });
                            }
                        }
                        param.clear();
                        kind = None;
                    }
                }
            }
            if kind.is_some() && !(c == u(b',') && group_brace == 0 && group_bracket == 0 && group_paren == 1)
            {
                param.push(c);
            }
            prior = c;
        }
        if group_brace != 0 || group_paren != 0 || group_bracket != 0 {
            return fail(format!("Arguments to function: '{func_name}' are not closed properly."));
        }
        Ok(params)
    }

    /// `readPlaceholderToken`: `[?]` needs predicates passed with the path,
    /// which this API never supplies, so a recognised placeholder fails.
    fn reject_placeholder(&mut self) -> Result<(), Error> {
        let ci = &self.ci;
        if !ci.current_is(u(b'['))? {
            return Ok(());
        }
        let q = ci.index_of_next_significant_char(u(b'?'))?;
        if q == -1 {
            return Ok(());
        }
        let next = ci.next_significant_char_from(q)?;
        if next != u(b']') && next != u(b',') {
            return Ok(());
        }
        let begin = ci.position() + 1;
        let end = ci.next_index_of(begin, u(b']'))?;
        if end == -1 {
            return Ok(());
        }
        let expression = ci.sub_string(begin, end)?;
        Err(Error::invalid_path(format!(
            "Not enough predicates supplied for filter [{expression}] at position {}",
            ci.position()
        )))
    }

    fn read_filter(&mut self, tokens: &mut Vec<Token>) -> Result<bool, Error> {
        let ci = &self.ci;
        if !ci.current_is(u(b'['))? && !ci.next_significant_char_is(u(b'?'))? {
            return Ok(false);
        }
        let open_statement = ci.position();
        let q = ci.index_of_next_significant_char(u(b'?'))?;
        if q == -1 {
            return Ok(false);
        }
        let open_bracket = ci.index_of_next_significant_char_from(q, u(b'('))?;
        if open_bracket == -1 {
            return Ok(false);
        }
        let close_bracket = ci.index_of_closing_bracket(open_bracket, true, true)?;
        if close_bracket == -1 {
            return Ok(false);
        }
        if !ci.next_significant_char_is_from(close_bracket, u(b']'))? {
            return Ok(false);
        }
        let close_statement = ci.index_of_next_significant_char_from(close_bracket, u(b']'))?;
        let criteria = ci.sub(open_statement, close_statement + 1)?;
        let expr = filter::compile_filter(criteria, self.depth + 1)?;
        tokens.push(Token::Predicate(Box::new(expr)));
        self.ci.set_position(close_statement + 1);
        Ok(true)
    }

    fn read_wildcard(&mut self, tokens: &mut Vec<Token>) -> Result<bool, Error> {
        let ci = &mut self.ci;
        let in_bracket = ci.current_is(u(b'['))?;
        if in_bracket && !ci.next_significant_char_is(u(b'*'))? {
            return Ok(false);
        }
        if !ci.current_is(u(b'*'))? && ci.out_of_bounds(ci.position() + 1) {
            return Ok(false);
        }
        if in_bracket {
            let w = ci.index_of_next_significant_char(u(b'*'))?;
            if !ci.next_significant_char_is_from(w, u(b']'))? {
                return Err(Error::invalid_path_at(
                    format!("Expected wildcard token to end with ']' on position {}", w + 1),
                    (w + 1).max(0) as usize,
                ));
            }
            let close = ci.index_of_next_significant_char_from(w, u(b']'))?;
            ci.set_position(close + 1);
        } else {
            ci.increment(1);
        }
        tokens.push(Token::Wildcard);
        Ok(true)
    }

    fn read_array(&mut self, tokens: &mut Vec<Token>) -> Result<bool, Error> {
        let ci = &mut self.ci;
        if !ci.current_is(u(b'['))? {
            return Ok(false);
        }
        let next = ci.next_significant_char()?;
        if !is_java_digit(next) && next != u(b'-') && next != u(b':') {
            return Ok(false);
        }
        let begin = ci.position() + 1;
        let end = ci.next_index_of(begin, u(b']'))?;
        if end == -1 {
            return Ok(false);
        }
        let expression = java_trim(&ci.sub_string(begin, end)?);
        if expression == "*" {
            return Ok(false);
        }
        for c in expression.encode_utf16() {
            if !is_java_digit(c) && c != u(b',') && c != u(b'-') && c != u(b':') && c != SPACE {
                return Ok(false);
            }
        }
        if expression.contains(':') {
            tokens.push(parse_slice(&expression)?);
        } else {
            tokens.push(parse_index(&expression)?);
        }
        ci.set_position(end + 1);
        Ok(true)
    }

    fn read_bracket_property(&mut self, tokens: &mut Vec<Token>) -> Result<bool, Error> {
        let ci = &mut self.ci;
        if !ci.current_is(u(b'['))? {
            return Ok(false);
        }
        let delim = ci.next_significant_char()?;
        if delim != u(b'\'') && delim != u(b'"') {
            return Ok(false);
        }
        let mut props = Vec::new();
        let mut start = ci.position() + 1;
        let mut read = start;
        let mut end: i64 = 0;
        let (mut in_prop, mut in_escape, mut last_comma) = (false, false, false);
        while ci.in_bounds_at(read) {
            let c = ci.char_at(read)?;
            if in_escape {
                in_escape = false;
            } else if c == u(b'\\') {
                in_escape = true;
            } else if c == u(b']') && !in_prop {
                if last_comma {
                    return fail(format!("Found empty property at index {read}"));
                }
                break;
            } else if c == delim {
                if in_prop {
                    let nsig = ci.next_significant_char_from(read)?;
                    if nsig != u(b']') && nsig != u(b',') {
                        return fail(format!(
                            "Property must be separated by comma or Property must be terminated close square bracket at index {read}"
                        ));
                    }
                    end = read;
                    let raw = ci.sub(start, end)?;
                    props.push(unescape(&raw)?);
                    in_prop = false;
                } else {
                    start = read + 1;
                    in_prop = true;
                    last_comma = false;
                }
            } else if c == u(b',') && !in_prop {
                if last_comma {
                    return fail(format!("Found empty property at index {read}"));
                }
                last_comma = true;
            }
            read += 1;
        }
        if in_prop {
            return fail(format!("Property has not been closed - missing closing {}", unit_str(delim)));
        }
        let end_bracket = ci.index_of_next_significant_char_from(end, u(b']'))?;
        if end_bracket == -1 {
            return fail("Property has not been closed - missing closing ]");
        }
        ci.set_position(end_bracket + 1);
        if props.is_empty() {
            return fail("Empty properties");
        }
        tokens.push(Token::Property { props, delim: delim as u8 });
        Ok(true)
    }
}

/// Java `String.trim()`: strips code points `<= ' '` at both ends.
pub(crate) fn java_trim(s: &str) -> String {
    s.trim_matches(|c: char| c <= ' ').to_string()
}

/// `ArrayIndexOperation.parse`.
fn parse_index(op: &str) -> Result<Token, Error> {
    for c in op.chars() {
        if !c.is_ascii_digit() && c != ',' && c != ' ' && c != '-' {
            return fail(format!("Failed to parse ArrayIndexOperation: {op}"));
        }
    }
    // Pattern "\\s*,\\s*" split with limit -1 (keeps trailing empties).
    let mut indexes = Vec::new();
    for tok in op.split(',') {
        let t = tok.trim_matches(|c: char| c.is_whitespace());
        match parse_java_int(t) {
            Some(v) => indexes.push(v),
            None => {
                return fail(format!("Failed to parse token in ArrayIndexOperation: {tok}"));
            }
        }
    }
    Ok(Token::Index(indexes))
}

/// `ArraySliceOperation.parse`.
fn parse_slice(op: &str) -> Result<Token, Error> {
    for c in op.chars() {
        if !c.is_ascii_digit() && c != '-' && c != ':' {
            return fail(format!("Failed to parse SliceOperation: {op}"));
        }
    }
    // Java String.split(":") drops trailing empty strings.
    let mut parts: Vec<&str> = op.split(':').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    let read = |idx: usize| -> Result<Option<i32>, Error> {
        match parts.get(idx) {
            None => Ok(None),
            Some(&"") => Ok(None),
            Some(p) => parse_java_int(p).map(Some).ok_or_else(|| {
                Error::invalid_path(format!("java.lang.NumberFormatException: For input string: \"{p}\""))
            }),
        }
    };
    let from = read(0)?;
    let to = read(1)?;
    let kind = match (from, to) {
        (Some(_), None) => SliceKind::From,
        (Some(_), Some(_)) => SliceKind::Between,
        (None, Some(_)) => SliceKind::To,
        (None, None) => return fail(format!("Failed to parse SliceOperation: {op}")),
    };
    Ok(Token::Slice { from, to, kind })
}

/// Java `Integer.parseInt` (ASCII digits, optional sign).
fn parse_java_int(s: &str) -> Option<i32> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i32>().ok()
}

/// Jayway's `Utils.unescape` over UTF-16 units.
pub(crate) fn unescape(units: &[u16]) -> Result<String, Error> {
    let mut out: Vec<u16> = Vec::with_capacity(units.len());
    let mut uni: Vec<u16> = Vec::new();
    let (mut had_slash, mut in_unicode) = (false, false);
    for &ch in units {
        if in_unicode {
            uni.push(ch);
            if uni.len() == 4 {
                let hex = String::from_utf16_lossy(&uni);
                let v = i64::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| !hex.starts_with(['+', '-']))
                    .ok_or_else(|| Error::json_path(format!("Unable to parse unicode value: {hex}")))?;
                out.push(v as u16);
                uni.clear();
                in_unicode = false;
                had_slash = false;
            }
            continue;
        }
        if had_slash {
            had_slash = false;
            match ch {
                c if c == u(b'b') => out.push(0x08),
                c if c == u(b'f') => out.push(0x0c),
                c if c == u(b'n') => out.push(u(b'\n')),
                c if c == u(b'r') => out.push(u(b'\r')),
                c if c == u(b't') => out.push(u(b'\t')),
                c if c == u(b'u') => in_unicode = true,
                c => out.push(c),
            }
            continue;
        }
        if ch == u(b'\\') {
            had_slash = true;
        } else {
            out.push(ch);
        }
    }
    if had_slash {
        out.push(u(b'\\'));
    }
    Ok(String::from_utf16_lossy(&out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonpath::ast::fragment;

    fn render(p: &str) -> Result<String, String> {
        compile(p, 0).map(|c| c.render()).map_err(|e| e.message().to_string())
    }

    #[test]
    fn renders_like_jayway() {
        let cases = [
            ("$", "$"),
            ("$.a", "$['a']"),
            ("a.b", "$['a']['b']"),
            ("$['a b']", "$['a b']"),
            ("$[\"a\"]", "$[\"a\"]"),
            ("$['a','b']", "$['a','b']"),
            ("$.a[0]", "$['a'][0]"),
            ("$.a[-1]", "$['a'][-1]"),
            ("$.a[0,2]", "$['a'][0,2]"),
            ("$.a[1:3]", "$['a'][1:3]"),
            ("$.a[:3]", "$['a'][:3]"),
            ("$.a[1:]", "$['a'][1:]"),
            ("$.a[*]", "$['a'][*]"),
            ("$.a.*", "$['a'][*]"),
            ("$..a", "$..['a']"),
            ("$.a[?(@.b)]", "$['a'][?]"),
            ("$.a.length()", "$['a'].length()"),
            ("@.a", "@['a']"),
            ("$['it\\'s']", "$['it\\'s']"),
        ];
        for (input, want) in cases {
            assert_eq!(render(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn rejects_like_jayway() {
        let cases = [
            "$.",
            "$..",
            "$[",
            "$.a b",
            "$['a'",
            "$['a',]",
            "$[1:2:x]",
            "$.a[ 1 : 2 ]",
            "$.a[:]",
            "$.a[?]",
            "$.sum(",
            "$a",
            "$.a..",
            "$...a",
            "$.a[*",
        ];
        for input in cases {
            assert!(render(input).is_err(), "{input} should fail");
        }
    }

    #[test]
    fn unescape_table() {
        let cases = [
            ("a\\'b", "a'b"),
            ("a\\\\b", "a\\b"),
            ("\\u0041", "A"),
            ("tab\\t", "tab\t"),
            ("end\\", "end\\"),
            ("\\x", "x"),
        ];
        for (input, want) in cases {
            let units: Vec<u16> = input.encode_utf16().collect();
            assert_eq!(unescape(&units).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn function_params() {
        let p = compile("$.sum(1, $.a, \"x\")", 0).unwrap();
        match &p.tokens[0] {
            Token::Function { name, params, .. } => {
                assert_eq!(name, "sum");
                assert_eq!(params.as_ref().map(Vec::len), Some(3));
            }
            other => panic!("{}", fragment(other)),
        }
    }

    #[test]
    fn deeply_nested_filters_do_not_overflow() {
        let mut p = String::from("$.a");
        for _ in 0..200 {
            p.push_str("[?(@.b");
        }
        for _ in 0..200 {
            p.push_str(")]");
        }
        assert!(compile(&p, 0).is_err());
    }
}
