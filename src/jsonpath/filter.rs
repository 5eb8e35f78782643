//! Inline filters `[?(...)]`: compiler and evaluator.
//!
//! Owns: the port of Jayway 2.10.0's `FilterCompiler` (recursive descent over
//! `||`, `&&`, `!`, parentheses and relational expressions), regex literal
//! handling, and the runtime value nodes / evaluators (`==`, `<`, `=~`, `in`,
//! `nin`, `subsetof`, `anyof`, `noneof`, `size`, `empty`, `contains`, ...)
//! with Jayway's type coercions (numbers compare as `BigDecimal`, strings vs
//! numbers, JSON literals parsed with json-smart permissive rules).
//! Must not: refer to anything outside `crate::jsonpath`.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::Value;

use super::ast::{CompiledPath, Expr, Operand, PatternNode, RelOp};
use super::chars::{CharIndex, SPACE, u, unit_str};
use super::error::Error;
use super::eval::{self, Env};
use super::number::{Decimal, java_equals, java_number_to_string};
use super::parser;
use super::smart;

const MAX_FILTER_DEPTH: usize = 128;
const NUMBER_FORMAT: &str = "java.lang.NumberFormatException";
const PATTERN_SYNTAX: &str = "java.util.regex.PatternSyntaxException";

// ---------------------------------------------------------------------------
// Compiler
// ---------------------------------------------------------------------------

/// `FilterCompiler.compile(criteria)` where `criteria` is `[?( ... )]`.
pub(crate) fn compile_filter(criteria: Vec<u16>, depth: usize) -> Result<Expr, Error> {
    let text = String::from_utf16_lossy(&criteria);
    let mut ci = CharIndex::from_units(criteria);
    ci.trim();
    if !ci.current_is(u(b'['))? || !ci.last_char_is(u(b']'))? {
        return Err(Error::invalid_path(format!("Filter must start with '[' and end with ']'. {text}")));
    }
    ci.increment(1);
    ci.decrement_end(1);
    ci.trim();
    if !ci.current_is(u(b'?'))? {
        return Err(Error::invalid_path(format!("Filter must start with '[?' and end with ']'. {text}")));
    }
    ci.increment(1);
    ci.trim();
    if !ci.current_is(u(b'('))? || !ci.last_char_is(u(b')'))? {
        return Err(Error::invalid_path(format!("Filter must start with '[?(' and end with ')]'. {text}")));
    }
    let mut fc = FilterCompiler { f: ci, depth, level: 0 };
    match fc.compile_body() {
        Ok(e) => Ok(e),
        Err(e @ (Error::InvalidPath { .. } | Error::DepthLimit { .. })) => Err(e),
        Err(_) => {
            let ch = fc.f.current().map(unit_str).unwrap_or_else(|_| "?".to_string());
            Err(Error::invalid_path(format!(
                "Failed to parse filter: {}, error on position: {}, char: {}",
                fc.f.text(),
                fc.f.position(),
                ch
            )))
        }
    }
}

struct FilterCompiler {
    f: CharIndex,
    /// Nesting already used by enclosing paths / filters.
    depth: usize,
    /// Parenthesis / `!` nesting inside this filter.
    level: usize,
}

fn is_rel_char(c: u16) -> bool {
    c == u(b'<') || c == u(b'>') || c == u(b'=') || c == u(b'~') || c == u(b'!')
}

impl FilterCompiler {
    fn compile_body(&mut self) -> Result<Expr, Error> {
        let result = self.read_or()?;
        self.f.skip_blanks();
        if self.f.in_bounds() {
            let rest = self.f.sub_string(self.f.position(), self.f.length())?;
            return Err(Error::invalid_path(format!("Expected end of filter expression instead of: {rest}")));
        }
        Ok(result)
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.level += 1;
        if self.level > MAX_FILTER_DEPTH || self.depth + self.level > parser::MAX_COMPILE_DEPTH {
            return Err(Error::depth());
        }
        Ok(())
    }

    fn read_or(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let r = self.read_or_inner();
        self.level -= 1;
        r
    }

    fn read_or_inner(&mut self) -> Result<Expr, Error> {
        let mut ops = vec![self.read_and()?];
        loop {
            let save = self.f.position();
            if self.f.has_significant_sub_sequence("||")? {
                ops.push(self.read_and()?);
            } else {
                self.f.set_position(save);
                break;
            }
        }
        Ok(if ops.len() == 1 { ops.remove(0) } else { Expr::Or(ops) })
    }

    fn read_and(&mut self) -> Result<Expr, Error> {
        let mut ops = vec![self.read_and_operand()?];
        loop {
            let save = self.f.position();
            if self.f.has_significant_sub_sequence("&&")? {
                ops.push(self.read_and_operand()?);
            } else {
                self.f.set_position(save);
                break;
            }
        }
        Ok(if ops.len() == 1 { ops.remove(0) } else { Expr::And(ops) })
    }

    fn read_and_operand(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let r = self.read_and_operand_inner();
        self.level -= 1;
        r
    }

    fn read_and_operand_inner(&mut self) -> Result<Expr, Error> {
        let save = self.f.skip_blanks().position();
        if self.f.skip_blanks().current_is(u(b'!'))? {
            self.f.read_significant_char(u(b'!'))?;
            let c = self.f.skip_blanks().current()?;
            if c == u(b'$') || c == u(b'@') {
                self.f.set_position(save);
            } else {
                let op = self.read_and_operand()?;
                return Ok(Expr::Not(Box::new(op)));
            }
        }
        if self.f.skip_blanks().current_is(u(b'('))? {
            self.f.read_significant_char(u(b'('))?;
            let op = self.read_or()?;
            self.f.read_significant_char(u(b')'))?;
            return Ok(op);
        }
        self.read_expression()
    }

    fn read_expression(&mut self) -> Result<Expr, Error> {
        let left = self.read_value_node()?;
        let save = self.f.position();
        let attempt = (|| -> Result<(RelOp, Operand), Error> {
            let op = self.read_relational_operator()?;
            let right = self.read_value_node()?;
            Ok((op, right))
        })();
        match attempt {
            Ok((op, right)) => return Ok(Expr::Rel { left, op, right }),
            Err(e) if e.is_invalid_path() => self.f.set_position(save),
            Err(e) => return Err(e),
        }
        let Operand::Path { path, should_exist, .. } = left else {
            return Err(Error::invalid_path("Expected path node"));
        };
        Ok(Expr::Rel {
            left: Operand::Path { path, exists_check: true, should_exist },
            op: RelOp::Exists,
            right: Operand::Bool(should_exist),
        })
    }

    fn read_relational_operator(&mut self) -> Result<RelOp, Error> {
        let begin = self.f.skip_blanks().position();
        if is_rel_char(self.f.current()?) {
            while self.f.in_bounds() && is_rel_char(self.f.current()?) {
                self.f.increment(1);
            }
        } else {
            while self.f.in_bounds() && self.f.current()? != SPACE {
                self.f.increment(1);
            }
        }
        let op = self.f.sub_string(begin, self.f.position())?;
        RelOp::from_str(&op)
            .ok_or_else(|| Error::invalid_path(format!("Filter operator {op} is not supported!")))
    }

    fn read_value_node(&mut self) -> Result<Operand, Error> {
        let c = self.f.skip_blanks().current()?;
        if c == u(b'$') || c == u(b'@') {
            return self.read_path();
        }
        if c == u(b'!') {
            self.f.increment(1);
            let c = self.f.skip_blanks().current()?;
            if c == u(b'$') || c == u(b'@') {
                return self.read_path();
            }
            return Err(Error::invalid_path("Unexpected character: !"));
        }
        self.read_literal()
    }

    fn read_literal(&mut self) -> Result<Operand, Error> {
        let c = self.f.skip_blanks().current()?;
        match c {
            c if c == u(b'"') || c == u(b'\'') => self.read_string(c),
            c if c == u(b't') || c == u(b'f') => self.read_boolean(),
            c if c == u(b'-') => self.read_number(),
            c if c == u(b'n') => self.read_null(),
            c if c == u(b'{') || c == u(b'[') => self.read_json(c),
            c if c == u(b'/') => self.read_pattern(),
            _ => self.read_number(),
        }
    }

    fn read_null(&mut self) -> Result<Operand, Error> {
        let p = self.f.position();
        if self.f.current()? == u(b'n')
            && self.f.in_bounds_at(p + 3)
            && self.f.sub_string(p, p + 4)? == "null"
        {
            self.f.increment(4);
            return Ok(Operand::Null);
        }
        Err(Error::invalid_path("Expected <null> value"))
    }

    fn read_json(&mut self, open: u16) -> Result<Operand, Error> {
        let begin = self.f.position();
        let close = if open == u(b'[') { u(b']') } else { u(b'}') };
        let closing = self.f.index_of_matching_close_char(begin, open, close, true, false)?;
        if closing == -1 {
            return Err(Error::invalid_path(format!("String not closed. Expected ' in {}", self.f.text())));
        }
        self.f.set_position(closing + 1);
        Ok(Operand::Json(self.f.sub_string(begin, self.f.position())?))
    }

    fn end_of_flags(&self, position: i64) -> Result<i64, Error> {
        let mut end = position;
        while self.f.in_bounds_at(end) && pattern_flag(self.f.char_at(end)?).is_some() {
            end += 1;
        }
        Ok(end)
    }

    fn read_pattern(&mut self) -> Result<Operand, Error> {
        let begin = self.f.position();
        let mut closing = self.f.next_index_of_unescaped(u(b'/'))?;
        if closing == -1 {
            return Err(Error::invalid_path(format!("Pattern not closed. Expected / in {}", self.f.text())));
        }
        if self.f.in_bounds_at(closing + 1) {
            let end_flags = self.end_of_flags(closing + 1)?;
            if end_flags > closing {
                closing += end_flags - (closing + 1);
            }
        }
        self.f.set_position(closing + 1);
        let literal = self.f.sub_string(begin, self.f.position())?;
        Ok(Operand::Pattern(Box::new(compile_pattern(&literal)?)))
    }

    fn read_string(&mut self, end_char: u16) -> Result<Operand, Error> {
        let begin = self.f.position();
        let closing = self.f.next_index_of_unescaped(end_char)?;
        if closing == -1 {
            return Err(Error::invalid_path(format!(
                "String literal does not have matching quotes. Expected {} in {}",
                unit_str(end_char),
                self.f.text()
            )));
        }
        self.f.set_position(closing + 1);
        let raw = self.f.sub(begin, self.f.position())?;
        Ok(Operand::Str(string_node_escaped(&raw)?))
    }

    fn read_number(&mut self) -> Result<Operand, Error> {
        let begin = self.f.position();
        while self.f.in_bounds() && self.f.is_number_character(self.f.position())? {
            self.f.increment(1);
        }
        let lit = self.f.sub_string(begin, self.f.position())?;
        Decimal::parse(&lit).map(Operand::Num).ok_or_else(|| {
            Error::java(
                NUMBER_FORMAT,
                format!("Character array is missing \"exponent\" mark 'e' or 'E'. {lit}"),
            )
        })
    }

    fn read_boolean(&mut self) -> Result<Operand, Error> {
        let begin = self.f.position();
        let end = if self.f.current()? == u(b't') { begin + 3 } else { begin + 4 };
        if !self.f.in_bounds_at(end) {
            return Err(Error::invalid_path("Expected boolean literal"));
        }
        let b = self.f.sub_string(begin, end + 1)?;
        let v = match b.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(Error::invalid_path("Expected boolean literal")),
        };
        self.f.increment(b.len() as i64);
        Ok(Operand::Bool(v))
    }

    fn read_path(&mut self) -> Result<Operand, Error> {
        let previous = self.f.previous_significant_char()?;
        let begin = self.f.position();
        self.f.increment(1);
        while self.f.in_bounds() {
            if self.f.current()? == u(b'[') {
                let closing =
                    self.f.index_of_matching_close_char(self.f.position(), u(b'['), u(b']'), true, false)?;
                if closing == -1 {
                    return Err(Error::invalid_path(format!(
                        "Square brackets does not match in filter {}",
                        self.f.text()
                    )));
                }
                self.f.set_position(closing + 1);
            }
            let c = self.f.current()?;
            let closing_function = c == u(b')') && self.closing_function_bracket(begin)?;
            let closing_logical = c == u(b')') && !closing_function;
            if !self.f.in_bounds() || is_rel_char(c) || c == SPACE || closing_logical {
                break;
            }
            self.f.increment(1);
        }
        let should_exist = previous != u(b'!');
        let text = self.f.sub_string(begin, self.f.position())?;
        let path = parser::compile(&text, self.depth + self.level + 1)?;
        Ok(Operand::Path { path: Box::new(path), exists_check: false, should_exist })
    }

    fn closing_function_bracket(&self, lower: i64) -> Result<bool, Error> {
        if self.f.current()? != u(b')') {
            return Ok(false);
        }
        let mut idx = self.f.index_of_previous_significant_char()?;
        if idx == -1 || self.f.char_at(idx)? != u(b'(') {
            return Ok(false);
        }
        idx -= 1;
        while self.f.in_bounds_at(idx) && idx > lower {
            if self.f.char_at(idx)? == u(b'.') {
                return Ok(true);
            }
            idx -= 1;
        }
        Ok(false)
    }
}

/// `StringNode(text, escape = true)`: strip matching quotes, unescape.
fn string_node_escaped(raw: &[u16]) -> Result<String, Error> {
    if raw.len() > 1 {
        let (open, close) = (raw[0], raw[raw.len() - 1]);
        let inner = if (open == u(b'\'') && close == u(b'\'')) || (open == u(b'"') && close == u(b'"')) {
            &raw[1..raw.len() - 1]
        } else {
            raw
        };
        return parser::unescape(inner);
    }
    Ok(String::from_utf16_lossy(raw))
}

/// `PatternFlag.getCodeByFlag`: Java regex flag letters.
fn pattern_flag(c: u16) -> Option<char> {
    let ch = char::from_u32(u32::from(c))?;
    matches!(ch, 'd' | 'i' | 'x' | 'm' | 's' | 'u' | 'U').then_some(ch)
}

/// `PatternNode(CharSequence)`: `/body/flags` compiled to a Rust regex that
/// must match the whole input (Java `Matcher.matches()`).
fn compile_pattern(literal: &str) -> Result<PatternNode, Error> {
    let begin = literal.find('/').unwrap_or(0);
    let end = literal.rfind('/').unwrap_or(literal.len());
    let body = literal.get(begin + 1..end).unwrap_or("");
    let flags = literal.get(end + 1..).unwrap_or("");
    let has = |f: char| flags.contains(f);
    let mut anchored = String::from("\\A(?:");
    anchored.push_str(body);
    if has('x') {
        anchored.push('\n');
    }
    anchored.push_str(")\\z");
    let regex = regex::RegexBuilder::new(&anchored)
        .case_insensitive(has('i'))
        .multi_line(has('m'))
        .dot_matches_new_line(has('s'))
        .ignore_whitespace(has('x'))
        .size_limit(1 << 22)
        .build()
        .map_err(|e| Error::java(PATTERN_SYNTAX, e.to_string()))?;
    Ok(PatternNode { regex })
}

// ---------------------------------------------------------------------------
// Runtime
// ---------------------------------------------------------------------------

/// Runtime value node (Jayway `ValueNode` after path evaluation).
#[derive(Debug, Clone)]
enum VNode<'v> {
    Null,
    Undefined,
    Bool(bool),
    Str(Cow<'v, str>),
    Num(Decimal),
    /// Parsed JSON (array / object) from the document or a parsed literal.
    Parsed(Cow<'v, Value>),
    /// Unparsed JSON literal text.
    Literal(Cow<'v, str>),
    Pattern(&'v PatternNode),
    /// A `PathNode` created from a string element of a list; equal to nothing.
    OpaquePath,
}

fn class_id(n: &VNode<'_>) -> u8 {
    match n {
        VNode::Null => 0,
        VNode::Undefined => 1,
        VNode::Bool(_) => 2,
        VNode::Str(_) => 3,
        VNode::Num(_) => 4,
        VNode::Parsed(_) | VNode::Literal(_) => 5,
        VNode::Pattern(_) => 6,
        VNode::OpaquePath => 8,
    }
}

fn expected(what: &str) -> Error {
    Error::invalid_path(format!("Expected {what} node"))
}

/// Evaluate a filter expression against `item`.
pub(crate) fn apply<'a>(expr: &'a Expr, item: &'a Value, env: &Env<'a>) -> Result<bool, Error> {
    match expr {
        Expr::Or(ops) => {
            for e in ops {
                if apply(e, item, env)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Expr::And(ops) => {
            for e in ops {
                if !apply(e, item, env)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Expr::Not(e) => Ok(!apply(e, item, env)?),
        Expr::Rel { left, op, right } => {
            let l = resolve(left, item, env)?;
            let r = resolve(right, item, env)?;
            evaluate(*op, l, r)
        }
    }
}

/// Turn a compile-time operand into a runtime node (evaluating paths).
fn resolve<'a>(op: &'a Operand, item: &'a Value, env: &Env<'a>) -> Result<VNode<'a>, Error> {
    Ok(match op {
        Operand::Null => VNode::Null,
        Operand::Bool(b) => VNode::Bool(*b),
        Operand::Str(s) => VNode::Str(Cow::Borrowed(s.as_str())),
        Operand::Num(d) => VNode::Num(d.clone()),
        Operand::Json(t) => VNode::Literal(Cow::Borrowed(t.as_str())),
        Operand::Pattern(p) => VNode::Pattern(p),
        Operand::Path { path, exists_check, .. } => {
            if *exists_check {
                return exists(path, item, env);
            }
            let doc = if path.is_root_path { env.root } else { item };
            match eval::read_value(path, doc, env, env.opts) {
                Ok(v) => value_to_node(v)?,
                Err(e) if e.is_not_found() => VNode::Undefined,
                Err(e) => return Err(e),
            }
        }
    })
}

fn exists<'a>(path: &'a CompiledPath, item: &'a Value, env: &Env<'a>) -> Result<VNode<'a>, Error> {
    let opts = eval::Options { require_properties: true, ..eval::Options::default() };
    match eval::read_value(path, item, env, opts) {
        Ok(_) => Ok(VNode::Bool(true)),
        Err(e) if e.is_not_found() => Ok(VNode::Bool(false)),
        Err(e) => Err(e),
    }
}

/// `PathNode.evaluate` result conversion.
fn value_to_node(v: Cow<'_, Value>) -> Result<VNode<'_>, Error> {
    Ok(match v {
        Cow::Borrowed(b) => match b {
            Value::Null => VNode::Null,
            Value::Bool(x) => VNode::Bool(*x),
            Value::Number(n) => number_node(n)?,
            Value::String(s) => VNode::Str(Cow::Borrowed(s.as_str())),
            Value::Array(_) | Value::Object(_) => VNode::Parsed(Cow::Borrowed(b)),
        },
        Cow::Owned(o) => match o {
            Value::Null => VNode::Null,
            Value::Bool(x) => VNode::Bool(x),
            Value::Number(n) => number_node(&n)?,
            Value::String(s) => VNode::Str(Cow::Owned(s)),
            other => VNode::Parsed(Cow::Owned(other)),
        },
    })
}

fn number_node<'v>(n: &serde_json::Number) -> Result<VNode<'v>, Error> {
    Decimal::from_number(n)
        .map(VNode::Num)
        .ok_or_else(|| Error::java(NUMBER_FORMAT, java_number_to_string(n)))
}

/// `ValueNode.toValueNode` for elements of a JSON array.
fn to_value_node<'v>(o: &'v Value) -> Result<VNode<'v>, Error> {
    Ok(match o {
        Value::Null => VNode::Null,
        Value::String(s) => {
            if is_path_string(s) {
                VNode::OpaquePath
            } else if is_json_string(s) {
                VNode::Literal(Cow::Borrowed(s.as_str()))
            } else {
                let units: Vec<u16> = s.encode_utf16().collect();
                VNode::Str(Cow::Owned(string_node_escaped(&units)?))
            }
        }
        Value::Number(n) => number_node(n)?,
        Value::Bool(b) => VNode::Bool(*b),
        Value::Array(_) | Value::Object(_) => {
            return Err(Error::json_path("Could not determine value type"));
        }
    })
}

fn is_path_string(s: &str) -> bool {
    let t = parser::java_trim(s);
    if !(t.starts_with('@') || t.starts_with('$')) {
        return false;
    }
    parser::compile(&t, 0).is_ok()
}

fn is_json_string(s: &str) -> bool {
    let t = parser::java_trim(s);
    if t.encode_utf16().count() <= 1 {
        return false;
    }
    let ok_shape = (t.starts_with('[') && t.ends_with(']')) || (t.starts_with('{') && t.ends_with('}'));
    ok_shape && smart::parse_permissive(&t).is_ok()
}

/// `JsonNode.parse`: literal text is parsed permissively; failures are
/// `IllegalArgumentException` like in Jayway.
fn parsed<'n>(n: &'n VNode<'_>) -> Result<Cow<'n, Value>, Error> {
    match n {
        VNode::Parsed(v) => Ok(Cow::Borrowed(v.as_ref())),
        VNode::Literal(t) => smart::parse_permissive(t).map(Cow::Owned).map_err(|e| {
            Error::java(
                "java.lang.IllegalArgumentException",
                format!("net.minidev.json.parser.ParseException: {}", e.0),
            )
        }),
        _ => Err(expected("json")),
    }
}

fn is_json(n: &VNode<'_>) -> bool {
    matches!(n, VNode::Parsed(_) | VNode::Literal(_))
}

/// `JsonNode.asValueListNode(ctx)`: `None` for UNDEFINED (not an array).
fn json_value_list<'n>(n: &'n VNode<'_>) -> Result<Option<Vec<VNode<'n>>>, Error> {
    let v = parsed(n)?;
    match v {
        Cow::Borrowed(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                out.push(to_value_node(it)?);
            }
            Ok(Some(out))
        }
        Cow::Owned(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                out.push(owned_value_node(it)?);
            }
            Ok(Some(out))
        }
        _ => Ok(None),
    }
}

/// `toValueNode` for an element of an owned (parsed literal) array.
fn owned_value_node<'v>(o: Value) -> Result<VNode<'v>, Error> {
    Ok(match o {
        Value::Null => VNode::Null,
        Value::String(s) => {
            if is_path_string(&s) {
                VNode::OpaquePath
            } else if is_json_string(&s) {
                VNode::Literal(Cow::Owned(s))
            } else {
                let units: Vec<u16> = s.encode_utf16().collect();
                VNode::Str(Cow::Owned(string_node_escaped(&units)?))
            }
        }
        Value::Number(n) => number_node(&n)?,
        Value::Bool(b) => VNode::Bool(b),
        Value::Array(_) | Value::Object(_) => {
            return Err(Error::json_path("Could not determine value type"));
        }
    })
}

/// `asStringNode().getString()` for string and number nodes.
fn string_of(n: &VNode<'_>) -> Option<String> {
    match n {
        VNode::Str(s) => Some(s.to_string()),
        VNode::Num(d) => Some(d.to_java_string()),
        _ => None,
    }
}

/// `asNumberNode()` for number and string nodes (`None` = NaN).
fn number_of(n: &VNode<'_>) -> Option<Option<Decimal>> {
    match n {
        VNode::Num(d) => Some(Some(d.clone())),
        VNode::Str(s) => Some(Decimal::parse(s)),
        _ => None,
    }
}

/// Java `a.equals(b)` between value nodes.
fn node_equals(a: &VNode<'_>, b: &VNode<'_>) -> bool {
    match a {
        VNode::Null => matches!(b, VNode::Null),
        VNode::Undefined | VNode::OpaquePath => false,
        VNode::Bool(x) => matches!(b, VNode::Bool(y) if x == y),
        VNode::Str(s) => match b {
            VNode::Str(_) | VNode::Num(_) => string_of(b).is_some_and(|t| t == *s),
            _ => false,
        },
        VNode::Num(d) => match number_of(b) {
            Some(Some(that)) => d.cmp_value(&that) == Ordering::Equal,
            _ => false,
        },
        VNode::Parsed(x) => match b {
            VNode::Parsed(y) => java_equals(x, y).unwrap_or(false),
            _ => false,
        },
        VNode::Literal(x) => matches!(b, VNode::Literal(y) if x == y),
        VNode::Pattern(p) => matches!(b, VNode::Pattern(q) if std::ptr::eq(*p, *q)),
    }
}

fn list_contains(list: &[VNode<'_>], node: &VNode<'_>) -> bool {
    list.iter().any(|e| node_equals(node, e))
}

/// `EqualsEvaluator`.
fn equals_eval(l: &VNode<'_>, r: &VNode<'_>) -> Result<bool, Error> {
    if is_json(l) && is_json(r) {
        // JsonNode.equals(JsonNode, ctx): this.json.equals(other.parse())
        let rv = parsed(r)?;
        return match l {
            VNode::Parsed(lv) => java_equals(lv, &rv),
            _ => Ok(false),
        };
    }
    Ok(node_equals(l, r))
}

fn java_string_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn compare(l: &VNode<'_>, r: &VNode<'_>) -> Option<Ordering> {
    match (l, r) {
        (VNode::Num(a), VNode::Num(b)) => Some(a.cmp_value(b)),
        (VNode::Str(a), VNode::Str(b)) => Some(java_string_cmp(a, b)),
        _ => None,
    }
}

fn regex_input(n: &VNode<'_>) -> String {
    match n {
        VNode::Str(s) => s.to_string(),
        VNode::Num(d) => d.to_java_string(),
        VNode::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Left/right operand as a value list (`asValueListNode` for JSON nodes);
/// `Ok(None)` means "evaluates to false" (UNDEFINED or not a list).
fn as_list<'n>(n: &'n VNode<'_>) -> Result<Option<Vec<VNode<'n>>>, Error> {
    if is_json(n) {
        return json_value_list(n);
    }
    Err(expected("value list"))
}

fn as_bool(n: &VNode<'_>) -> Result<bool, Error> {
    match n {
        VNode::Bool(b) => Ok(*b),
        _ => Err(expected("boolean")),
    }
}

fn json_is_empty(n: &VNode<'_>) -> Result<bool, Error> {
    let v = parsed(n)?;
    Ok(match v.as_ref() {
        Value::Array(a) => a.is_empty(),
        Value::Object(_) => {
            return Err(Error::java(
                "java.lang.ClassCastException",
                "class java.util.LinkedHashMap cannot be cast to class java.util.Collection (java.util.LinkedHashMap and java.util.Collection are in module java.base of loader 'bootstrap')",
            ));
        }
        Value::String(s) => s.is_empty(),
        _ => true,
    })
}

/// Run one relational operator. `InvalidPath` errors propagate to
/// `PredicatePathToken.accept`, which turns the whole predicate into false.
fn evaluate(op: RelOp, l: VNode<'_>, r: VNode<'_>) -> Result<bool, Error> {
    evaluate_inner(op, &l, &r)
}

fn evaluate_inner(op: RelOp, l: &VNode<'_>, r: &VNode<'_>) -> Result<bool, Error> {
    match op {
        RelOp::Exists => {
            if !matches!(l, VNode::Bool(_)) && !matches!(r, VNode::Bool(_)) {
                return Err(Error::json_path("Failed to evaluate exists expression"));
            }
            Ok(as_bool(l)? == as_bool(r)?)
        }
        RelOp::Eq => equals_eval(l, r),
        RelOp::Ne => Ok(!equals_eval(l, r)?),
        RelOp::TsEq => Ok(class_id(l) == class_id(r) && equals_eval(l, r)?),
        RelOp::TsNe => Ok(!(class_id(l) == class_id(r) && equals_eval(l, r)?)),
        RelOp::Lt => Ok(compare(l, r) == Some(Ordering::Less)),
        RelOp::Lte => Ok(matches!(compare(l, r), Some(Ordering::Less | Ordering::Equal))),
        RelOp::Gt => Ok(compare(l, r) == Some(Ordering::Greater)),
        RelOp::Gte => Ok(matches!(compare(l, r), Some(Ordering::Greater | Ordering::Equal))),
        RelOp::Regex => {
            let (lp, rp) = (matches!(l, VNode::Pattern(_)), matches!(r, VNode::Pattern(_)));
            if lp == rp {
                return Ok(false);
            }
            let (pat, other) = match (l, r) {
                (VNode::Pattern(p), o) => (*p, o),
                (o, VNode::Pattern(p)) => (*p, o),
                _ => return Ok(false),
            };
            let other_is_array = match other {
                VNode::Parsed(_) | VNode::Literal(_) => parsed(other)?.is_array(),
                _ => false,
            };
            if !other_is_array {
                return Ok(pat.regex.is_match(&regex_input(other)));
            }
            match json_value_list(other)? {
                Some(items) => Ok(items.iter().any(|n| pat.regex.is_match(&regex_input(n)))),
                None => Ok(false),
            }
        }
        RelOp::In => match as_list(r)? {
            Some(list) => Ok(list_contains(&list, l)),
            None => Ok(false),
        },
        RelOp::Nin => match as_list(r)? {
            Some(list) => Ok(!list_contains(&list, l)),
            None => Ok(true),
        },
        RelOp::Contains => {
            if let (VNode::Str(a), VNode::Str(b)) = (l, r) {
                return Ok(a.contains(b.as_ref()));
            }
            if is_json(l) {
                return match json_value_list(l)? {
                    Some(list) => Ok(list_contains(&list, r)),
                    None => Ok(false),
                };
            }
            Ok(false)
        }
        // `right.asValueListNode()` throws for every node the parser makes.
        RelOp::All => Err(expected("value list")),
        RelOp::Size => {
            let VNode::Num(d) = r else {
                return Ok(false);
            };
            let expected_size = d.int_value();
            match l {
                VNode::Str(s) => Ok(s.encode_utf16().count() as i64 == expected_size),
                VNode::Parsed(_) | VNode::Literal(_) => {
                    let v = parsed(l)?;
                    let len = match v.as_ref() {
                        Value::Array(a) => a.len() as i64,
                        _ => -1,
                    };
                    Ok(len == expected_size)
                }
                _ => Ok(false),
            }
        }
        RelOp::Empty => match l {
            VNode::Str(s) => Ok(s.is_empty() == as_bool(r)?),
            VNode::Parsed(_) | VNode::Literal(_) => {
                let e = json_is_empty(l)?;
                Ok(e == as_bool(r)?)
            }
            _ => Ok(false),
        },
        RelOp::SubsetOf | RelOp::AnyOf | RelOp::NoneOf => {
            let Some(left) = as_list(l)? else {
                return Ok(false);
            };
            let Some(right) = as_list(r)? else {
                return Ok(false);
            };
            Ok(match op {
                RelOp::SubsetOf => left.iter().all(|x| list_contains(&right, x)),
                RelOp::AnyOf => left.iter().any(|x| right.iter().any(|y| node_equals(x, y))),
                _ => !left.iter().any(|x| right.iter().any(|y| node_equals(x, y))),
            })
        }
        RelOp::Type => Err(expected("class")),
        RelOp::Matches => Err(expected("predicate")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(f: &str) -> Result<Expr, Error> {
        compile_filter(f.encode_utf16().collect(), 0)
    }

    #[test]
    fn compiles_valid_filters() {
        let ok = [
            "[?(@.a)]",
            "[?(!@.a)]",
            "[?(@.a == 1)]",
            "[?(@.a=='x')]",
            "[?(@.a != \"x\")]",
            "[?(@.a > 1 && @.b < 2 || @.c)]",
            "[?((@.a > 1) && !(@.b))]",
            "[?(@.a in ['x', 'y'])]",
            "[?(@.a nin [1,2])]",
            "[?(@.a =~ /ab.*/i)]",
            "[?(@.a size 2)]",
            "[?(@.a empty true)]",
            "[?(@.a subsetof ['x'])]",
            "[?(@.a anyof ['x'])]",
            "[?(@.a noneof ['x'])]",
            "[?(@.a == null)]",
            "[?(@.a == true)]",
            "[?(@.a == $.b)]",
            "[?(@.a.length() > 2)]",
            "[?(@['a b'] == 1)]",
            "[?(@.a == -1.5e3)]",
        ];
        for f in ok {
            assert!(compile(f).is_ok(), "{f}: {:?}", compile(f).err());
        }
    }

    #[test]
    fn rejects_invalid_filters() {
        let bad = [
            "[?(@.a ==)]",
            "[?(@.a == 'x)]",
            "[?(@.a =~ /x)]",
            "[?(1)]",
            "[?(@.a <> 1)]",
            "[?(@.a == 1 &&)]",
            "[?(@.a == tru)]",
            "[?(@.a == nul)]",
            "[?(@.a == x)]",
            "[?(@.a =~ /(/)]",
        ];
        for f in bad {
            assert!(compile(f).is_err(), "{f} should fail");
        }
    }

    #[test]
    fn node_equality_table() {
        let d = |s: &str| VNode::Num(Decimal::parse(s).unwrap());
        let s = |x: &'static str| VNode::Str(Cow::Borrowed(x));
        let cases: Vec<(VNode<'_>, VNode<'_>, bool)> = vec![
            (d("1"), d("1.0"), true),
            (d("5"), s("5"), true),
            (s("5"), d("5"), true),
            (s("5.0"), d("5"), false),
            (d("5"), s("5.0"), true),
            (VNode::Null, VNode::Null, true),
            (VNode::Undefined, VNode::Undefined, false),
            (VNode::Bool(true), s("true"), false),
        ];
        for (a, b, want) in cases {
            assert_eq!(node_equals(&a, &b), want, "{a:?} == {b:?}");
        }
    }
}
