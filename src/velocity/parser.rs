//! Parser: a port of Velocity 1.7's JavaCC `Parser` (productions, the exact
//! syntactic-lookahead routines `jj_2_*`/`jj_3*`, and the points where the parser
//! drives the token manager), producing the AST of `ast.rs`. Also performs the
//! parse-time parts of node initialisation that Velocity does in `init()`
//! (reference root/escape analysis, literals, string-literal sub-parsing).
//!
//! Owns: grammar, lookahead, AST construction. Must not touch: evaluation, values.

use std::collections::HashSet;
use std::sync::Arc;

use super::ast::*;
use super::error::{Error, ErrorKind};
use super::lexer::{LexState, Lexer, Token, kind::*};

/// Maximum nesting depth of productions (stack-overflow guard).
const MAX_DEPTH: usize = 100;

/// Directives registered by default in Velocity 1.7 (`directive.properties`).
pub(crate) fn registered_directive(name: &str) -> Option<DirKind> {
    Some(match name {
        "foreach" => DirKind::Foreach,
        "include" => DirKind::Include,
        "parse" => DirKind::Parse,
        "macro" => DirKind::Macro,
        "literal" => DirKind::Literal,
        "evaluate" => DirKind::Evaluate,
        "break" => DirKind::Break,
        "define" => DirKind::Define,
        "stop" => DirKind::Stop,
        _ => return None,
    })
}

fn is_block_directive(k: DirKind) -> bool {
    matches!(k, DirKind::Foreach | DirKind::Macro | DirKind::Literal | DirKind::Define | DirKind::BlockMacro)
}

const STATEMENT_START: [u8; 22] = [
    LPAREN,
    RPAREN,
    ESCAPE_DIRECTIVE,
    SET_DIRECTIVE,
    SINGLE_LINE_COMMENT_START,
    DOUBLE_ESCAPE,
    ESCAPE,
    TEXT,
    FORMAL_COMMENT,
    MULTI_LINE_COMMENT,
    TEXTBLOCK,
    STRING_LITERAL,
    IF_DIRECTIVE,
    INTEGER_LITERAL,
    FLOATING_POINT_LITERAL,
    WORD,
    BRACKETED_WORD,
    IDENTIFIER,
    DOT,
    LCURLY,
    RCURLY,
    EMPTY_INDEX,
];

const PARAM_START: [u8; 10] = [
    LBRACKET,
    LEFT_CURLEY,
    WHITESPACE,
    STRING_LITERAL,
    TRUE,
    FALSE,
    INTEGER_LITERAL,
    FLOATING_POINT_LITERAL,
    IDENTIFIER,
    LCURLY,
];

/// Why a lookahead scan stopped early.
enum Stop {
    /// `LookaheadSuccess`: the token budget was used up while matching.
    Success,
    Err(Error),
}

type Scan = Result<bool, Stop>; // Ok(true) = the expansion does NOT match (JavaCC convention)

struct Scanner {
    pos: usize,
    last: usize,
    la: i64,
    depth: usize,
}

pub(crate) struct Parser<'a> {
    lx: Lexer<'a>,
    toks: Vec<Token>,
    cur: usize,
    name: String,
    macro_names: HashSet<String>,
    depth: usize,
    in_if: usize,
    in_string: bool,
    in_directive: usize,
    sc: Scanner,
    /// First error of 1.7's `init()` pass (after a successful parse), e.g. an
    /// integer literal `new BigInteger(image)` rejects: reported only if the
    /// whole template parses, so a later parse error wins, as in 1.7.
    init_error: Option<Error>,
}

/// Parse a whole template.
pub(crate) fn parse_template(src: &str, name: &str) -> Result<Block, Error> {
    parse_inner(src, name, false, false)
}

fn parse_inner(src: &str, name: &str, in_string: bool, in_directive: bool) -> Result<Block, Error> {
    let mut p = Parser {
        lx: Lexer::new(src, name),
        toks: Vec::new(),
        cur: 0,
        name: name.to_string(),
        macro_names: HashSet::new(),
        depth: 0,
        in_if: 0,
        in_string,
        in_directive: usize::from(in_directive),
        sc: Scanner { pos: 0, last: 0, la: 0, depth: 0 },
        init_error: None,
    };
    let block = p.process()?;
    match p.init_error {
        Some(e) => Err(e),
        None => Ok(block),
    }
}

/// The `NumberFormatException` message of Java's `new BigInteger(s)` (radix 10),
/// or `None` when `s` is a valid integer. The 1.7 lexer can hand over images
/// such as `##1` (a `##` swallowed into an `INTEGER_LITERAL`).
fn java_big_integer_error(s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len();
    if len == 0 {
        return Some("Zero length BigInteger".into());
    }
    let minus = chars.iter().rposition(|&c| c == '-');
    let plus = chars.iter().rposition(|&c| c == '+');
    let mut cursor = 0;
    match (minus, plus) {
        (Some(0), None) | (None, Some(0)) => cursor = 1,
        (None, None) => {}
        _ => return Some("Illegal embedded sign character".into()),
    }
    if cursor == len {
        return Some("Zero length BigInteger".into());
    }
    while cursor < len && chars[cursor] == '0' {
        cursor += 1;
    }
    if cursor == len {
        return None;
    }
    let digits = len - cursor;
    let mut group_len = match digits % 9 {
        0 => 9,
        n => n,
    };
    while cursor < len {
        let group: String = chars[cursor..cursor + group_len].iter().collect();
        // `Integer.parseInt(group)` (signs were rejected above)
        if group.parse::<i32>().is_err() {
            return Some(format!("For input string: \"{group}\""));
        }
        cursor += group_len;
        group_len = 9;
    }
    None
}

/// `NodeUtils.getSpecialText`.
fn special_text(specials: &[String]) -> String {
    let mut sb = String::new();
    for st in specials {
        let chars: Vec<char> = st.chars().collect();
        let is = chars.len();
        let mut i = 0;
        while i < is {
            let c = chars[i];
            if c == '#' || c == '$' {
                sb.push(c);
            }
            if c == '\\' {
                let mut ok = true;
                let mut term = false;
                let mut j = i;
                while ok && j < is {
                    let cc = chars[j];
                    if cc != '\\' {
                        if cc == '$' {
                            term = true;
                        }
                        ok = false;
                    }
                    j += 1;
                }
                if term {
                    sb.extend(&chars[i..j]);
                    i = j;
                }
            }
            i += 1;
        }
    }
    sb
}

/// `NodeUtils.tokenLiteral`.
pub(crate) fn token_literal(t: &Token) -> String {
    if t.kind == MULTI_LINE_COMMENT {
        return String::new();
    }
    match t.specials.last() {
        None => t.image.clone(),
        Some(last) if last.starts_with("##") => t.image.clone(),
        Some(_) => {
            let mut special = special_text(&t.specials);
            if special.is_empty() {
                t.image.clone()
            } else {
                special.push_str(&t.image);
                special
            }
        }
    }
}

/// Java `String.substring(begin)` on chars, clamped.
fn chars_from(s: &str, begin: usize) -> String {
    s.chars().skip(begin).collect()
}

impl<'a> Parser<'a> {
    // ------------------------------------------------------------------ tokens

    fn fetch(&mut self, i: usize) -> Result<(), Error> {
        while self.toks.len() <= i {
            let t = self.lx.next_token()?;
            self.toks.push(t);
        }
        Ok(())
    }

    fn peek(&mut self) -> Result<u8, Error> {
        let c = self.cur;
        self.fetch(c)?;
        Ok(self.toks[c].kind)
    }

    fn error_at(&mut self, i: usize) -> Error {
        if self.fetch(i).is_err() {
            return Error::new(ErrorKind::Parse, "Parse error", Some(&self.name), 0, 0);
        }
        let t = &self.toks[i];
        let img = if t.kind == EOF { "<EOF>".to_string() } else { t.image.clone() };
        Error::new(ErrorKind::Parse, format!("Encountered \"{img}\""), Some(&self.name), t.line, t.col)
    }

    fn consume(&mut self, k: u8) -> Result<usize, Error> {
        if self.peek()? == k {
            self.cur += 1;
            Ok(self.cur - 1)
        } else {
            Err(self.error_at(self.cur))
        }
    }

    fn opt(&mut self, k: u8) -> Result<bool, Error> {
        if self.peek()? == k {
            self.cur += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn pos_of(&self, i: usize) -> Pos {
        // Past the last token: position 0:0, only used to locate an error at the end.
        self.toks.get(i).map(|t| Pos { line: t.line, col: t.col }).unwrap_or_default()
    }

    fn literal_range(&self, first: usize, last: usize) -> String {
        let mut s = String::new();
        for t in self.toks.get(first..=last).unwrap_or(&[]) {
            s.push_str(&token_literal(t));
        }
        s
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let c = self.cur;
            let mut e = self.error_at(c);
            e.message = format!("Template nesting too deep (limit {MAX_DEPTH}); {}", e.message);
            return Err(e);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // --------------------------------------------------------------- lookahead

    fn scan_begin(&mut self, la: i64) {
        self.sc = Scanner { pos: self.cur, last: self.cur, la, depth: 0 };
    }

    fn st(&mut self, k: u8) -> Scan {
        if self.sc.pos == self.sc.last {
            self.sc.la -= 1;
            let p = self.sc.pos;
            self.fetch(p).map_err(Stop::Err)?;
            self.sc.last = p + 1;
        }
        let p = self.sc.pos;
        let kind = self.toks.get(p).map(|t| t.kind).unwrap_or(EOF);
        self.sc.pos += 1;
        if kind != k {
            return Ok(true);
        }
        if self.sc.la == 0 && self.sc.pos == self.sc.last {
            return Err(Stop::Success);
        }
        Ok(false)
    }

    fn jj2(&mut self, la: i64, f: fn(&mut Self) -> Scan) -> Result<bool, Error> {
        self.scan_begin(la);
        match f(self) {
            Ok(failed) => Ok(!failed),
            Err(Stop::Success) => Ok(true),
            Err(Stop::Err(e)) => Err(e),
        }
    }

    fn sdeep(&mut self) -> Scan {
        self.sc.depth += 1;
        if self.sc.depth > MAX_DEPTH * 2 {
            return Ok(true);
        }
        Ok(false)
    }

    /// `opt(31)`: optional WHITESPACE.
    fn s_opt_ws(&mut self) -> Result<(), Stop> {
        let x = self.sc.pos;
        if self.st(WHITESPACE)? {
            self.sc.pos = x;
        }
        Ok(())
    }

    fn s_alt(&mut self, fs: &[fn(&mut Self) -> Scan]) -> Scan {
        let x = self.sc.pos;
        for f in fs {
            if !f(self)? {
                return Ok(false);
            }
            self.sc.pos = x;
        }
        Ok(true)
    }

    fn s_loop(&mut self, f: fn(&mut Self) -> Scan) -> Result<(), Stop> {
        loop {
            let x = self.sc.pos;
            if f(self)? {
                self.sc.pos = x;
                return Ok(());
            }
        }
    }

    // jj_3_1 / R24: Reference
    fn s_reference(&mut self) -> Scan {
        if self.sdeep()? {
            return Ok(true);
        }
        let r = self.s_alt(&[Self::s_ref_ident, Self::s_ref_curly]);
        self.sc.depth -= 1;
        r
    }
    // R38
    fn s_ref_ident(&mut self) -> Scan {
        if self.st(IDENTIFIER)? {
            return Ok(true);
        }
        self.s_loop(Self::s_index)?;
        self.s_loop(Self::s_dot_part)?;
        Ok(false)
    }
    // R39
    fn s_ref_curly(&mut self) -> Scan {
        if self.st(LCURLY)? || self.st(IDENTIFIER)? {
            return Ok(true);
        }
        self.s_loop(Self::s_index)?;
        self.s_loop(Self::s_dot_part)?;
        self.st(RCURLY)
    }
    // jj_3_7 / jj_3_9
    fn s_dot_part(&mut self) -> Scan {
        if self.st(DOT)? {
            return Ok(true);
        }
        if self.s_alt(&[Self::s_method, Self::s_identifier])? {
            return Ok(true);
        }
        self.s_loop(Self::s_index)?;
        Ok(false)
    }
    fn s_identifier(&mut self) -> Scan {
        self.st(IDENTIFIER)
    }
    // R33: Method
    fn s_method(&mut self) -> Scan {
        if self.st(IDENTIFIER)? || self.st(LPAREN)? {
            return Ok(true);
        }
        let x = self.sc.pos;
        if self.s_param_list()? {
            self.sc.pos = x;
        }
        self.st(REFMOD2_RPAREN)
    }
    // R61
    fn s_param_list(&mut self) -> Scan {
        if self.s_parameter()? {
            return Ok(true);
        }
        self.s_loop(Self::s_comma_param)?;
        Ok(false)
    }
    // R97 / R101
    fn s_comma_param(&mut self) -> Scan {
        Ok(self.st(COMMA)? || self.s_parameter()?)
    }
    // R29: Parameter
    fn s_parameter(&mut self) -> Scan {
        if self.sdeep()? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        if self.s_alt(&[
            Self::s_string,
            Self::s_int,
            Self::s_int_range,
            Self::s_map,
            Self::s_object_array,
            Self::s_true,
            Self::s_false,
            Self::s_reference,
            Self::s_float,
        ])? {
            self.sc.depth -= 1;
            return Ok(true);
        }
        self.s_opt_ws()?;
        self.sc.depth -= 1;
        Ok(false)
    }
    fn s_string(&mut self) -> Scan {
        self.st(STRING_LITERAL)
    }
    fn s_int(&mut self) -> Scan {
        self.st(INTEGER_LITERAL)
    }
    fn s_float(&mut self) -> Scan {
        self.st(FLOATING_POINT_LITERAL)
    }
    fn s_true(&mut self) -> Scan {
        self.st(TRUE)
    }
    fn s_false(&mut self) -> Scan {
        self.st(FALSE)
    }
    fn s_word(&mut self) -> Scan {
        self.st(WORD)
    }
    fn s_ref_or_int(&mut self) -> Scan {
        self.s_alt(&[Self::s_reference, Self::s_int])
    }
    // R66: IntegerRange
    fn s_int_range(&mut self) -> Scan {
        if self.st(LBRACKET)? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        if self.s_ref_or_int()? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        if self.st(DOUBLEDOT)? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        if self.s_ref_or_int()? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        self.st(RBRACKET)
    }
    // jj_3_3 / jj_3_6 / jj_3_12: range prefix
    fn s_range_prefix(&mut self) -> Scan {
        if self.st(LBRACKET)? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        if self.s_ref_or_int()? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        self.st(DOUBLEDOT)
    }
    // R68: Map
    fn s_map(&mut self) -> Scan {
        if self.st(LEFT_CURLEY)? {
            return Ok(true);
        }
        let x = self.sc.pos;
        if self.s_map_entries()? {
            self.sc.pos = x;
            self.s_opt_ws()?; // R77 never fails
        }
        let x = self.sc.pos;
        if self.st(RIGHT_CURLEY)? {
            self.sc.pos = x;
            if self.st(RCURLY)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
    // jj_3_5
    fn s_map_entries(&mut self) -> Scan {
        if self.s_parameter()? || self.st(COLON)? || self.s_parameter()? {
            return Ok(true);
        }
        self.s_loop(Self::s_map_more)?;
        Ok(false)
    }
    // R100
    fn s_map_more(&mut self) -> Scan {
        Ok(self.st(COMMA)? || self.s_parameter()? || self.st(COLON)? || self.s_parameter()?)
    }
    // R69: ObjectArray
    fn s_object_array(&mut self) -> Scan {
        if self.st(LBRACKET)? {
            return Ok(true);
        }
        let x = self.sc.pos;
        if self.s_param_list()? {
            self.sc.pos = x;
        }
        self.st(RBRACKET)
    }
    // R73: Index
    fn s_index(&mut self) -> Scan {
        if self.st(INDEX_LBRACKET)? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        if self.s_alt(&[Self::s_string, Self::s_int, Self::s_true, Self::s_false, Self::s_reference])? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        self.st(INDEX_RBRACKET)
    }
    // jj_3_4: directive argument
    fn s_directive_arg_loop(&mut self) -> Scan {
        self.s_opt_ws()?;
        let x = self.sc.pos;
        if self.s_comma_ws()? {
            self.sc.pos = x;
        }
        self.s_alt(&[
            Self::s_reference,
            Self::s_word,
            Self::s_string,
            Self::s_int,
            Self::s_int_range,
            Self::s_float,
            Self::s_map,
            Self::s_object_array,
            Self::s_true,
            Self::s_false,
        ])
    }
    fn s_comma_ws(&mut self) -> Scan {
        if self.st(COMMA)? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        Ok(false)
    }
    // jj_3_11: [WS] NOT UnaryExpression
    fn s_not_unary(&mut self) -> Scan {
        if self.sdeep()? {
            return Ok(true);
        }
        self.s_opt_ws()?;
        let r = Ok(self.st(LOGICAL_NOT)? || self.s_unary()?);
        self.sc.depth -= 1;
        r
    }
    // R35
    fn s_unary(&mut self) -> Scan {
        self.s_alt(&[Self::s_not_unary, Self::s_primary])
    }
    // R72
    fn s_primary(&mut self) -> Scan {
        self.s_opt_ws()?;
        self.s_alt(&[
            Self::s_string,
            Self::s_reference,
            Self::s_int,
            Self::s_int_range,
            Self::s_float,
            Self::s_map,
            Self::s_object_array,
            Self::s_true,
            Self::s_false,
            Self::s_lparen,
        ])
    }
    fn s_lparen(&mut self) -> Scan {
        self.st(LPAREN)
    }
    fn s_double_escape(&mut self) -> Scan {
        self.st(DOUBLE_ESCAPE)
    }

    // ------------------------------------------------------------- productions

    fn process(&mut self) -> Result<Block, Error> {
        let mut nodes = Vec::new();
        while STATEMENT_START.contains(&self.peek()?) {
            self.statement(&mut nodes)?;
        }
        self.consume(EOF)?;
        Ok(Block(nodes))
    }

    fn block_statements(&mut self) -> Result<Block, Error> {
        let mut nodes = Vec::new();
        while STATEMENT_START.contains(&self.peek()?) {
            self.statement(&mut nodes)?;
        }
        Ok(Block(nodes))
    }

    fn push_text(nodes: &mut Vec<Node>, s: String) {
        if s.is_empty() {
            return;
        }
        if let Some(Node::Text(prev)) = nodes.last_mut() {
            prev.push_str(&s);
        } else {
            nodes.push(Node::Text(s));
        }
    }

    fn statement(&mut self, nodes: &mut Vec<Node>) -> Result<(), Error> {
        self.enter()?;
        let r = self.statement_inner(nodes);
        self.leave();
        r
    }

    fn statement_inner(&mut self, nodes: &mut Vec<Node>) -> Result<(), Error> {
        let k = self.peek()?;
        if k == IF_DIRECTIVE {
            let n = self.if_statement()?;
            nodes.push(n);
            return Ok(());
        }
        if self.jj2(2, Self::s_reference)? {
            let r = self.reference()?;
            nodes.push(Node::Ref(Box::new(r)));
            return Ok(());
        }
        match self.peek()? {
            SINGLE_LINE_COMMENT_START | FORMAL_COMMENT | MULTI_LINE_COMMENT => {
                let first = self.cur;
                if self.peek()? == SINGLE_LINE_COMMENT_START {
                    self.cur += 1;
                    self.opt(SINGLE_LINE_COMMENT)?;
                } else {
                    self.cur += 1;
                }
                let img = &self.toks[first].image;
                let loc1 = img.find("##");
                let loc2 = img.find("#*");
                let text = match (loc1, loc2) {
                    (None, None) => String::new(),
                    (Some(l), _) => img[..l].to_string(),
                    (None, Some(l)) => img[..l].to_string(),
                };
                Self::push_text(nodes, text);
            }
            TEXTBLOCK => {
                let i = self.consume(TEXTBLOCK)?;
                let img: Vec<char> = self.toks[i].image.chars().collect();
                let text: String =
                    if img.len() >= 6 { img[3..img.len() - 3].iter().collect() } else { String::new() };
                Self::push_text(nodes, text);
            }
            SET_DIRECTIVE => {
                let n = self.set_directive()?;
                nodes.push(n);
            }
            ESCAPE_DIRECTIVE => {
                let i = self.consume(ESCAPE_DIRECTIVE)?;
                let img = self.toks[i].image.clone();
                let text = self.escaped_directive(&img);
                self.toks[i].image = text.clone();
                Self::push_text(nodes, text);
            }
            DOUBLE_ESCAPE => {
                let text = self.escape()?;
                Self::push_text(nodes, text);
            }
            WORD | BRACKETED_WORD => {
                let n = self.directive()?;
                nodes.push(n);
            }
            LPAREN
            | RPAREN
            | ESCAPE
            | TEXT
            | STRING_LITERAL
            | INTEGER_LITERAL
            | FLOATING_POINT_LITERAL
            | DOT
            | LCURLY
            | RCURLY
            | EMPTY_INDEX => {
                let i = self.cur;
                self.cur += 1;
                let text = token_literal(&self.toks[i]);
                Self::push_text(nodes, text);
            }
            _ => return Err(self.error_at(self.cur)),
        }
        Ok(())
    }

    fn is_directive_name(&self, tag: &str) -> bool {
        registered_directive(tag).is_some() || self.macro_names.contains(tag)
    }

    fn escaped_directive(&self, img: &str) -> String {
        let chars: Vec<char> = img.chars().collect();
        let i_last = chars.iter().rposition(|&c| c == '\\').unwrap_or(0);
        let str_directive: String = chars[i_last + 1..].iter().collect();
        let mut dir_tag = chars_from(&str_directive, 1);
        if dir_tag.starts_with('{') {
            let v: Vec<char> = dir_tag.chars().collect();
            dir_tag = v[1..v.len().saturating_sub(1).max(1)].iter().collect();
        }
        let recognized = self.is_directive_name(&dir_tag)
            || matches!(dir_tag.as_str(), "if" | "end" | "set" | "else" | "elseif");
        if recognized {
            let prefix: String = chars[..i_last / 2].iter().collect();
            prefix + &str_directive
        } else {
            img.to_string()
        }
    }

    fn escape(&mut self) -> Result<String, Error> {
        let mut count = 0usize;
        let mut last;
        loop {
            last = self.consume(DOUBLE_ESCAPE)?;
            count += 1;
            if !self.jj2(2, Self::s_double_escape)? {
                break;
            }
        }
        self.fetch(last + 1)?;
        let next = &self.toks[last + 1];
        let mut control = matches!(next.kind, END | IF_DIRECTIVE | ELSEIF_DIRECTIVE | ELSE_DIRECTIVE);
        let n_tag = chars_from(&next.image, 1);
        if self.is_directive_name(&n_tag) {
            control = true;
        }
        let unit = if control { "\\" } else { "\\\\" };
        Ok(unit.repeat(count))
    }

    // ---------------------------------------------------------------- #if

    fn if_statement(&mut self) -> Result<Node, Error> {
        self.consume(IF_DIRECTIVE)?;
        self.in_if += 1;
        let r = self.if_rest();
        self.in_if -= 1;
        r
    }

    fn if_rest(&mut self) -> Result<Node, Error> {
        self.opt(WHITESPACE)?;
        self.consume(LPAREN)?;
        let cond = self.expression()?;
        self.consume(RPAREN)?;
        let then = self.block_statements()?;
        let mut elseifs = Vec::new();
        while self.peek()? == ELSEIF_DIRECTIVE {
            self.cur += 1;
            self.opt(WHITESPACE)?;
            self.consume(LPAREN)?;
            let c = self.expression()?;
            self.consume(RPAREN)?;
            let b = self.block_statements()?;
            elseifs.push((c, b));
        }
        let mut otherwise = None;
        if self.peek()? == ELSE_DIRECTIVE {
            self.cur += 1;
            otherwise = Some(self.block_statements()?);
        }
        self.consume(END)?;
        Ok(Node::If(Box::new(IfNode { cond, then, elseifs, otherwise })))
    }

    // ---------------------------------------------------------------- #set

    fn set_directive(&mut self) -> Result<Node, Error> {
        let first = self.consume(SET_DIRECTIVE)?;
        self.in_directive += 1;
        let r = self.set_rest(first);
        self.in_directive -= 1;
        r
    }

    fn set_rest(&mut self, first: usize) -> Result<Node, Error> {
        self.opt(WHITESPACE)?;
        let left = self.reference()?;
        self.opt(WHITESPACE)?;
        self.consume(EQUALS)?;
        let right = self.expression()?;
        self.consume(RPAREN)?;
        self.lx.in_set = false;
        self.opt(NEWLINE)?;
        let left_key = chars_from(&left.first_image, 1);
        Ok(Node::Set(Box::new(SetNode { left, left_key, right, pos: self.pos_of(first) })))
    }

    // ----------------------------------------------------------- directives

    fn directive(&mut self) -> Result<Node, Error> {
        let first = self.cur;
        let k = self.peek()?;
        self.cur += 1;
        let img = self.toks[first].image.clone();
        let name: String = if k == BRACKETED_WORD {
            let c: Vec<char> = img.chars().collect();
            c[2.min(c.len())..c.len().saturating_sub(1).max(2.min(c.len()))].iter().collect()
        } else {
            chars_from(&img, 1)
        };
        let registered = registered_directive(&name);
        let do_it_now = name == "macro";
        let (dir_kind, is_block) = match registered {
            Some(d) => (d, is_block_directive(d)),
            None if name.starts_with('@') => (DirKind::BlockMacro, true),
            None => (DirKind::MacroCall, false),
        };
        self.lx.switch_to(LexState::Directive);
        let pos = self.pos_of(first);
        if !self.lx.is_left_parenthesis() {
            if do_it_now {
                return Err(Error::new(
                    ErrorKind::Parse,
                    "A macro declaration requires at least a name argument",
                    Some(&self.name),
                    pos.line,
                    pos.col,
                ));
            }
            self.lx.state_stack_pop();
            self.lx.in_directive = false;
            let kind = if registered.is_some() || dir_kind == DirKind::BlockMacro {
                dir_kind
            } else {
                DirKind::MacroCall
            };
            return Ok(Node::Directive(Box::new(DirNode {
                kind: if kind == DirKind::BlockMacro { DirKind::NotDirective } else { kind },
                name,
                args: Vec::new(),
                body: None,
                body_literal: None,
                literal: img,
                pos,
                has_parens: false,
                strict_candidate: false,
            })));
        }
        self.in_directive += 1;
        let r = self.directive_rest(first, name, dir_kind, is_block, registered.is_some(), do_it_now, pos);
        self.in_directive -= 1;
        r
    }

    #[allow(clippy::too_many_arguments)]
    fn directive_rest(
        &mut self,
        first: usize,
        name: String,
        dir_kind: DirKind,
        is_block: bool,
        registered: bool,
        do_it_now: bool,
        pos: Pos,
    ) -> Result<Node, Error> {
        self.opt(WHITESPACE)?;
        self.consume(LPAREN)?;
        let mut args = Vec::new();
        let mut arg_pos = 0usize;
        while self.jj2(2, Self::s_directive_arg_loop)? {
            self.opt(WHITESPACE)?;
            if self.opt(COMMA)? {
                self.opt(WHITESPACE)?;
            }
            let (arg, is_word) = self.directive_arg()?;
            if is_word {
                if (!do_it_now || arg_pos != 0) && registered && (name != "foreach" || arg_pos != 1) {
                    {
                        return Err(Error::new(
                            ErrorKind::Parse,
                            format!("Invalid arg #{arg_pos} in directive #{name}"),
                            Some(&self.name),
                            pos.line,
                            pos.col,
                        ));
                    }
                }
            } else if do_it_now && arg_pos == 0 {
                return Err(Error::new(
                    ErrorKind::Parse,
                    "Invalid first arg in #macro() directive - must be a word token (no ' or \" surrounding)",
                    Some(&self.name),
                    pos.line,
                    pos.col,
                ));
            }
            args.push(arg);
            arg_pos += 1;
        }
        self.opt(WHITESPACE)?;
        let last = self.consume(RPAREN)?;
        if !is_block {
            let literal = self.raw_literal(first, last);
            let strict_candidate = self.toks[last].image.starts_with(')');
            return Ok(Node::Directive(Box::new(DirNode {
                kind: dir_kind,
                name,
                args,
                body: None,
                body_literal: None,
                literal,
                pos,
                has_parens: true,
                strict_candidate,
            })));
        }
        let body = self.block_statements()?;
        let end = self.consume(END)?;
        if do_it_now {
            // Macro.checkArgs: name + block at least, first arg a word
            let first_is_word = matches!(args.first().map(|a| &a.kind), Some(ExprKind::Word(_)));
            if args.is_empty() || !first_is_word {
                return Err(Error::new(
                    ErrorKind::Parse,
                    "First argument to #macro() must be macro name",
                    Some(&self.name),
                    pos.line,
                    pos.col,
                ));
            }
            if let Some(ExprKind::Word(w)) = args.first().map(|a| &a.kind) {
                self.macro_names.insert(w.clone());
            }
        }
        let literal = self.raw_literal(first, end);
        let body_literal = (end > last + 1).then(|| self.literal_range(last + 1, end - 1));
        Ok(Node::Directive(Box::new(DirNode {
            kind: dir_kind,
            name,
            args,
            body: Some(body),
            body_literal,
            literal,
            pos,
            has_parens: true,
            strict_candidate: true,
        })))
    }

    fn raw_literal(&self, first: usize, last: usize) -> String {
        let mut s = String::new();
        for t in self.toks.get(first..=last).unwrap_or(&[]) {
            s.push_str(&t.image);
        }
        s
    }

    /// Returns the argument and whether it was a WORD.
    fn directive_arg(&mut self) -> Result<(Expr, bool), Error> {
        match self.peek()? {
            IDENTIFIER | LCURLY => {
                let first = self.cur;
                let r = self.reference()?;
                Ok((self.mk_ref_expr(r, first), false))
            }
            WORD => {
                let i = self.cur;
                self.cur += 1;
                let w = self.toks[i].image.clone();
                Ok((self.mk(ExprKind::Word(w.clone()), i, i), true))
            }
            STRING_LITERAL => Ok((self.string_literal()?, false)),
            INTEGER_LITERAL => Ok((self.integer_literal()?, false)),
            _ => {
                if self.jj2(i64::MAX, Self::s_range_prefix)? {
                    return Ok((self.integer_range()?, false));
                }
                let e = match self.peek()? {
                    FLOATING_POINT_LITERAL => self.float_literal()?,
                    LEFT_CURLEY => self.map_literal()?,
                    LBRACKET => self.object_array()?,
                    TRUE => self.bool_literal(true)?,
                    FALSE => self.bool_literal(false)?,
                    _ => return Err(self.error_at(self.cur)),
                };
                Ok((e, false))
            }
        }
    }

    fn mk(&self, kind: ExprKind, first: usize, last: usize) -> Expr {
        Expr { kind, literal: Lit::new(self.literal_range(first, last)), pos: self.pos_of(first) }
    }

    fn mk_ref_expr(&self, r: RefNode, first: usize) -> Expr {
        let literal = r.literal.clone();
        Expr { kind: ExprKind::Ref(Box::new(r)), literal: Lit::new(literal), pos: self.pos_of(first) }
    }

    // ------------------------------------------------------------- literals

    fn string_literal(&mut self) -> Result<Expr, Error> {
        let i = self.consume(STRING_LITERAL)?;
        let img = self.toks[i].image.clone();
        let pos = self.pos_of(i);
        let lit = self.build_string_literal(&img, pos)?;
        Ok(Expr { kind: ExprKind::Str(Box::new(lit)), literal: Lit::new(token_literal(&self.toks[i])), pos })
    }

    fn build_string_literal(&mut self, img: &str, pos: Pos) -> Result<StrLit, Error> {
        let interpolate = img.starts_with('"') && (img.contains('$') || img.contains('#'));
        let chars: Vec<char> = img.chars().collect();
        let inner: String =
            if chars.len() >= 2 { chars[1..chars.len() - 1].iter().collect() } else { String::new() };
        let q = chars.first().copied().unwrap_or('"');
        let mut image = inner;
        if q == '"' {
            image = unescape_unicode(&image).ok_or_else(|| {
                Error::new(
                    ErrorKind::JavaRuntime("java.lang.NumberFormatException"),
                    "Invalid unicode escape in string literal",
                    Some(&self.name),
                    pos.line,
                    pos.col,
                )
            })?;
        }
        image = replace_quotes(&image, q);
        let contains_line_comment = image.contains("##");
        let mut tree = None;
        if interpolate {
            let src = if contains_line_comment { image.clone() } else { format!("{image} ") };
            let sub = parse_inner(&src, &self.name, true, self.in_directive > 0).map_err(|e| {
                Error::new(
                    ErrorKind::Parse,
                    format!("Failed to parse String literal: {}", e.message),
                    Some(&self.name),
                    pos.line,
                    pos.col,
                )
            })?;
            let mut sub = sub;
            adjust_positions(&mut sub, pos);
            tree = Some(sub);
        }
        Ok(StrLit { image, tree, contains_line_comment })
    }

    fn integer_literal(&mut self) -> Result<Expr, Error> {
        let i = self.consume(INTEGER_LITERAL)?;
        let img = self.toks[i].image.clone();
        let kind = if let Ok(v) = img.parse::<i32>() {
            ExprKind::Int(v)
        } else if let Ok(v) = img.parse::<i64>() {
            ExprKind::Long(v)
        } else if let Ok(v) = img.parse::<i128>() {
            ExprKind::BigInt(v)
        } else {
            // `ASTIntegerLiteral.init`: Integer, then Long, then BigInteger.
            let p = self.pos_of(i);
            let err = match java_big_integer_error(&img) {
                Some(msg) => {
                    Error::new(ErrorKind::JavaRuntime("java.lang.NumberFormatException"), msg, None, 0, 0)
                }
                None => Error::new(
                    ErrorKind::Unsupported,
                    format!("Integer literal {img} is beyond the supported BigInteger range"),
                    Some(&self.name),
                    p.line,
                    p.col,
                ),
            };
            self.init_error.get_or_insert(err);
            ExprKind::Int(0)
        };
        Ok(self.mk(kind, i, i))
    }

    fn float_literal(&mut self) -> Result<Expr, Error> {
        let i = self.consume(FLOATING_POINT_LITERAL)?;
        let img = self.toks[i].image.clone();
        let v = img.parse::<f64>().unwrap_or(f64::NAN);
        Ok(self.mk(ExprKind::Float(v), i, i))
    }

    fn bool_literal(&mut self, v: bool) -> Result<Expr, Error> {
        let i = self.consume(if v { TRUE } else { FALSE })?;
        Ok(self.mk(if v { ExprKind::True } else { ExprKind::False }, i, i))
    }

    fn map_literal(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let first = self.consume(LEFT_CURLEY)?;
        let mut entries = Vec::new();
        if self.jj2(2, Self::s_map_entries)? {
            let k = self.parameter()?;
            self.consume(COLON)?;
            let v = self.parameter()?;
            entries.push((k, v));
            while self.peek()? == COMMA {
                self.cur += 1;
                let k = self.parameter()?;
                self.consume(COLON)?;
                let v = self.parameter()?;
                entries.push((k, v));
            }
        } else {
            self.opt(WHITESPACE)?;
        }
        let last = match self.peek()? {
            RIGHT_CURLEY => self.consume(RIGHT_CURLEY)?,
            RCURLY => self.consume(RCURLY)?,
            _ => return Err(self.error_at(self.cur)),
        };
        self.leave();
        Ok(self.mk(ExprKind::Map(entries), first, last))
    }

    fn object_array(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let first = self.consume(LBRACKET)?;
        let mut items = Vec::new();
        if PARAM_START.contains(&self.peek()?) {
            items.push(self.parameter()?);
            while self.peek()? == COMMA {
                self.cur += 1;
                items.push(self.parameter()?);
            }
        }
        let last = self.consume(RBRACKET)?;
        self.leave();
        Ok(self.mk(ExprKind::List(items), first, last))
    }

    fn integer_range(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let first = self.consume(LBRACKET)?;
        self.opt(WHITESPACE)?;
        let l = self.range_end()?;
        self.opt(WHITESPACE)?;
        self.consume(DOUBLEDOT)?;
        self.opt(WHITESPACE)?;
        let r = self.range_end()?;
        self.opt(WHITESPACE)?;
        let last = self.consume(RBRACKET)?;
        self.leave();
        Ok(self.mk(ExprKind::Range(Box::new(l), Box::new(r)), first, last))
    }

    fn range_end(&mut self) -> Result<Expr, Error> {
        match self.peek()? {
            IDENTIFIER | LCURLY => {
                let first = self.cur;
                let r = self.reference()?;
                Ok(self.mk_ref_expr(r, first))
            }
            INTEGER_LITERAL => self.integer_literal(),
            _ => Err(self.error_at(self.cur)),
        }
    }

    fn index_parameter(&mut self) -> Result<Expr, Error> {
        self.opt(WHITESPACE)?;
        let e = match self.peek()? {
            STRING_LITERAL => self.string_literal()?,
            INTEGER_LITERAL => self.integer_literal()?,
            TRUE => self.bool_literal(true)?,
            FALSE => self.bool_literal(false)?,
            IDENTIFIER | LCURLY => {
                let first = self.cur;
                let r = self.reference()?;
                self.mk_ref_expr(r, first)
            }
            _ => return Err(self.error_at(self.cur)),
        };
        self.opt(WHITESPACE)?;
        Ok(e)
    }

    fn parameter(&mut self) -> Result<Expr, Error> {
        self.opt(WHITESPACE)?;
        let e = match self.peek()? {
            STRING_LITERAL => self.string_literal()?,
            INTEGER_LITERAL => self.integer_literal()?,
            _ => {
                if self.jj2(i64::MAX, Self::s_range_prefix)? {
                    self.integer_range()?
                } else {
                    match self.peek()? {
                        LEFT_CURLEY => self.map_literal()?,
                        LBRACKET => self.object_array()?,
                        TRUE => self.bool_literal(true)?,
                        FALSE => self.bool_literal(false)?,
                        IDENTIFIER | LCURLY => {
                            let first = self.cur;
                            let r = self.reference()?;
                            self.mk_ref_expr(r, first)
                        }
                        FLOATING_POINT_LITERAL => self.float_literal()?,
                        _ => return Err(self.error_at(self.cur)),
                    }
                }
            }
        };
        self.opt(WHITESPACE)?;
        Ok(e)
    }

    // ------------------------------------------------------------ reference

    fn reference(&mut self) -> Result<RefNode, Error> {
        self.enter()?;
        let r = self.reference_inner();
        self.leave();
        r
    }

    fn reference_inner(&mut self) -> Result<RefNode, Error> {
        let first = self.cur;
        let curly = match self.peek()? {
            IDENTIFIER => {
                self.cur += 1;
                false
            }
            LCURLY => {
                self.cur += 1;
                self.consume(IDENTIFIER)?;
                true
            }
            _ => return Err(self.error_at(self.cur)),
        };
        let mut parts = Vec::new();
        loop {
            while self.peek()? == INDEX_LBRACKET {
                parts.push(self.index()?);
            }
            if !self.jj2(2, Self::s_dot_ident)? {
                break;
            }
            self.consume(DOT)?;
            if self.jj2(3, Self::s_method)? {
                parts.push(self.method()?);
            } else {
                let i = self.consume(IDENTIFIER)?;
                parts.push(RefPart::Ident { name: self.toks[i].image.clone(), pos: self.pos_of(i) });
            }
        }
        let last = if curly { self.consume(RCURLY)? } else { self.cur - 1 };
        Ok(self.finish_reference(first, last, parts))
    }

    /// `LOOKAHEAD(2) <DOT> (Method() | Identifier())`: DOT then the first token of
    /// Method/Identifier (both start with IDENTIFIER).
    fn s_dot_ident(&mut self) -> Scan {
        self.s_dot_part()
    }

    fn index(&mut self) -> Result<RefPart, Error> {
        let i = self.consume(INDEX_LBRACKET)?;
        let arg = self.index_parameter()?;
        self.consume(INDEX_RBRACKET)?;
        Ok(RefPart::Index { arg: Box::new(arg), pos: self.pos_of(i) })
    }

    fn method(&mut self) -> Result<RefPart, Error> {
        let i = self.consume(IDENTIFIER)?;
        let name = self.toks[i].image.clone();
        self.consume(LPAREN)?;
        let mut args = Vec::new();
        if PARAM_START.contains(&self.peek()?) {
            args.push(self.parameter()?);
            while self.peek()? == COMMA {
                self.cur += 1;
                args.push(self.parameter()?);
            }
        }
        self.consume(REFMOD2_RPAREN)?;
        Ok(RefPart::Method { name, args, pos: self.pos_of(i) })
    }

    /// `ASTReference.init()` / `getRoot()`: escape and prefix analysis on the
    /// first token, then literal and null string.
    fn finish_reference(&mut self, first: usize, last: usize, parts: Vec<RefPart>) -> RefNode {
        let pos = self.pos_of(first);
        let mut img = self.toks[first].image.clone();
        let mut escaped = false;
        let mut esc_prefix = String::new();
        let mut more_prefix = String::new();
        let mut computable = true;
        let null_string;
        let root;
        let ref_type;
        // No next token: an empty image in the message.
        let next_image = self.toks.get(first + 1).map(|t| t.image.clone()).unwrap_or_default();
        if img.contains("\\!") {
            // "$\!foo": not a reference at all
            let chars: Vec<char> = img.chars().collect();
            let len = chars.len();
            let mut i = chars.iter().position(|&c| c == '$').unwrap_or(0);
            while i < len && chars[i] != '\\' {
                i += 1;
            }
            let start = i;
            let mut count = 0;
            while i < len {
                let c = chars[i];
                i += 1;
                if c != '\\' {
                    break;
                }
                count += 1;
            }
            let mut ns: String = chars[..start].iter().collect();
            ns.extend(&chars[start..(start + count).saturating_sub(1).max(start)]);
            ns.extend(&chars[(start + count).min(len)..]);
            computable = false;
            null_string = ns.clone();
            root = ns;
            ref_type = RefType::Normal;
        } else {
            if img.starts_with('\\') {
                let n = img.chars().take_while(|&c| c == '\\').count();
                if n % 2 != 0 {
                    escaped = true;
                }
                esc_prefix = "\\".repeat(n / 2);
                img = chars_from(&img, n);
            }
            if let Some(loc1) = img.rfind('$')
                && loc1 > 0
            {
                more_prefix.push_str(&img[..loc1]);
                img = img[loc1..].to_string();
            }
            self.toks[first].image = img.clone();
            let lit = self.literal_range(first, last);
            if img.starts_with("$!") {
                ref_type = RefType::Quiet;
                null_string = if escaped { lit } else { String::new() };
                root = if img.starts_with("$!{") { next_image.clone() } else { chars_from(&img, 2) };
            } else if img == "${" {
                ref_type = RefType::Formal;
                null_string = lit;
                root = next_image.clone();
            } else if img.starts_with('$') {
                ref_type = RefType::Normal;
                null_string = lit;
                root = chars_from(&img, 1);
            } else {
                ref_type = RefType::Runt;
                null_string = lit;
                root = img.clone();
            }
        }
        let literal = self.literal_range(first, last);
        let first_image = self.toks[first].image.clone();
        RefNode {
            ref_type,
            root,
            escaped,
            esc_prefix,
            more_prefix,
            null_string,
            literal,
            computable,
            parts,
            pos,
            strict_exempt: false,
            first_image,
            in_string: self.in_string,
            in_directive: self.in_directive > 0,
        }
    }

    // ----------------------------------------------------------- expressions

    fn expression(&mut self) -> Result<Expr, Error> {
        self.in_directive += 1;
        let first = self.cur;
        let r = self.or_expr();
        self.in_directive -= 1;
        let inner = r?;
        let last = self.cur.saturating_sub(1);
        Ok(self.group(inner, first, last))
    }

    fn group(&self, mut inner: Expr, first: usize, last: usize) -> Expr {
        self.mark_exempt(&mut inner);
        Expr {
            kind: ExprKind::Group(Box::new(inner)),
            literal: Lit::new(self.literal_range(first, last)),
            pos: self.pos_of(first),
        }
    }

    /// A reference directly under Not/Expression/Or/And inside an `#if` is
    /// exempt from strict mode (Velocity's `ASTReference.init`).
    fn mark_exempt(&self, e: &mut Expr) {
        if self.in_if > 0
            && let ExprKind::Ref(r) = &mut e.kind
            && r.parts.is_empty()
        {
            r.strict_exempt = true;
        }
    }

    /// One node of a left-associative chain started at token `first`; its
    /// literal is filled in by [`Parser::finish_chain`] once the chain ends.
    fn bin(&self, op: BinOp, mut l: Expr, mut r: Expr, first: usize, ends: &mut Vec<usize>) -> Expr {
        if matches!(op, BinOp::Or | BinOp::And) {
            self.mark_exempt(&mut l);
            self.mark_exempt(&mut r);
        }
        ends.push(self.cur.saturating_sub(1));
        Expr {
            kind: ExprKind::Bin(op, Box::new(l), Box::new(r)),
            literal: Lit::default(),
            pos: self.pos_of(first),
        }
    }

    /// Count one more operator of a chain as one nesting level (the evaluator
    /// recurses once per operator): a located error past [`MAX_DEPTH`].
    fn chain_link(&mut self, links: &mut usize) -> Result<(), Error> {
        self.enter()?;
        *links += 1;
        Ok(())
    }

    /// Gives the nodes of a chain (`ends[i]` = last token of the i-th node
    /// from the bottom, `top` the last built) their literals, all prefixes of
    /// one shared string: linear in the chain's length.
    fn finish_chain(&mut self, top: &mut Expr, first: usize, ends: &[usize], links: usize) {
        self.depth = self.depth.saturating_sub(links);
        let Some(&last) = ends.last() else {
            return;
        };
        let mut text = String::new();
        let mut offsets = Vec::with_capacity(ends.len());
        let mut k = 0;
        for (idx, t) in self.toks.get(first..=last).unwrap_or(&[]).iter().enumerate() {
            text.push_str(&token_literal(t));
            while ends.get(k) == Some(&(first + idx)) {
                offsets.push(text.len());
                k += 1;
            }
        }
        let shared: Arc<str> = Arc::from(text);
        let mut cur = top;
        for off in offsets.iter().rev() {
            cur.literal = Lit::prefix(&shared, *off);
            match &mut cur.kind {
                ExprKind::Bin(_, l, _) => cur = l,
                _ => break,
            }
        }
    }

    fn or_expr(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let first = self.cur;
        let (mut ends, mut links) = (Vec::new(), 0);
        let mut l = self.and_expr()?;
        while self.peek()? == LOGICAL_OR {
            self.chain_link(&mut links)?;
            self.cur += 1;
            let r = self.and_expr()?;
            l = self.bin(BinOp::Or, l, r, first, &mut ends);
        }
        self.finish_chain(&mut l, first, &ends, links);
        self.leave();
        Ok(l)
    }

    fn and_expr(&mut self) -> Result<Expr, Error> {
        let first = self.cur;
        let (mut ends, mut links) = (Vec::new(), 0);
        let mut l = self.eq_expr()?;
        while self.peek()? == LOGICAL_AND {
            self.chain_link(&mut links)?;
            self.cur += 1;
            let r = self.eq_expr()?;
            l = self.bin(BinOp::And, l, r, first, &mut ends);
        }
        self.finish_chain(&mut l, first, &ends, links);
        Ok(l)
    }

    fn eq_expr(&mut self) -> Result<Expr, Error> {
        let first = self.cur;
        let (mut ends, mut links) = (Vec::new(), 0);
        let mut l = self.rel_expr()?;
        loop {
            let op = match self.peek()? {
                LOGICAL_EQUALS => BinOp::Eq,
                LOGICAL_NOT_EQUALS => BinOp::Ne,
                _ => break,
            };
            self.chain_link(&mut links)?;
            self.cur += 1;
            let r = self.rel_expr()?;
            l = self.bin(op, l, r, first, &mut ends);
        }
        self.finish_chain(&mut l, first, &ends, links);
        Ok(l)
    }

    fn rel_expr(&mut self) -> Result<Expr, Error> {
        let first = self.cur;
        let (mut ends, mut links) = (Vec::new(), 0);
        let mut l = self.add_expr()?;
        loop {
            let op = match self.peek()? {
                LOGICAL_LT => BinOp::Lt,
                LOGICAL_GT => BinOp::Gt,
                LOGICAL_LE => BinOp::Le,
                LOGICAL_GE => BinOp::Ge,
                _ => break,
            };
            self.chain_link(&mut links)?;
            self.cur += 1;
            let r = self.add_expr()?;
            l = self.bin(op, l, r, first, &mut ends);
        }
        self.finish_chain(&mut l, first, &ends, links);
        Ok(l)
    }

    fn add_expr(&mut self) -> Result<Expr, Error> {
        let first = self.cur;
        let (mut ends, mut links) = (Vec::new(), 0);
        let mut l = self.mul_expr()?;
        loop {
            let op = match self.peek()? {
                PLUS => BinOp::Add,
                MINUS => BinOp::Sub,
                _ => break,
            };
            self.chain_link(&mut links)?;
            self.cur += 1;
            let r = self.mul_expr()?;
            l = self.bin(op, l, r, first, &mut ends);
        }
        self.finish_chain(&mut l, first, &ends, links);
        Ok(l)
    }

    fn mul_expr(&mut self) -> Result<Expr, Error> {
        let first = self.cur;
        let (mut ends, mut links) = (Vec::new(), 0);
        let mut l = self.unary_expr()?;
        loop {
            let op = match self.peek()? {
                MULTIPLY => BinOp::Mul,
                DIVIDE => BinOp::Div,
                MODULUS => BinOp::Mod,
                _ => break,
            };
            self.chain_link(&mut links)?;
            self.cur += 1;
            let r = self.unary_expr()?;
            l = self.bin(op, l, r, first, &mut ends);
        }
        self.finish_chain(&mut l, first, &ends, links);
        Ok(l)
    }

    fn unary_expr(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let r = self.unary_inner();
        self.leave();
        r
    }

    fn unary_inner(&mut self) -> Result<Expr, Error> {
        if self.jj2(2, Self::s_not_unary)? {
            let first = self.cur;
            self.opt(WHITESPACE)?;
            self.consume(LOGICAL_NOT)?;
            let mut inner = self.unary_expr()?;
            self.mark_exempt(&mut inner);
            let last = self.cur.saturating_sub(1);
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(inner)),
                literal: Lit::new(self.literal_range(first, last)),
                pos: self.pos_of(first),
            });
        }
        match self.peek()? {
            LBRACKET
            | LEFT_CURLEY
            | WHITESPACE
            | TRUE
            | FALSE
            | LPAREN
            | STRING_LITERAL
            | INTEGER_LITERAL
            | FLOATING_POINT_LITERAL
            | IDENTIFIER
            | LCURLY => self.primary_expr(),
            _ => Err(self.error_at(self.cur)),
        }
    }

    fn primary_expr(&mut self) -> Result<Expr, Error> {
        self.opt(WHITESPACE)?;
        let e = match self.peek()? {
            STRING_LITERAL => self.string_literal()?,
            IDENTIFIER | LCURLY => {
                let first = self.cur;
                let r = self.reference()?;
                self.mk_ref_expr(r, first)
            }
            INTEGER_LITERAL => self.integer_literal()?,
            _ => {
                if self.jj2(i64::MAX, Self::s_range_prefix)? {
                    self.integer_range()?
                } else {
                    match self.peek()? {
                        FLOATING_POINT_LITERAL => self.float_literal()?,
                        LEFT_CURLEY => self.map_literal()?,
                        LBRACKET => self.object_array()?,
                        TRUE => self.bool_literal(true)?,
                        FALSE => self.bool_literal(false)?,
                        LPAREN => {
                            self.consume(LPAREN)?;
                            let first = self.cur;
                            let inner = self.or_expr()?;
                            let last = self.cur.saturating_sub(1);
                            let g = self.group(inner, first, last);
                            self.consume(RPAREN)?;
                            g
                        }
                        _ => return Err(self.error_at(self.cur)),
                    }
                }
            }
        };
        self.opt(WHITESPACE)?;
        Ok(e)
    }
}

/// `ASTStringLiteral.unescape`: only `\uXXXX` escapes are processed.
fn unescape_unicode(s: &str) -> Option<String> {
    if !s.contains("\\u") {
        return Some(s.to_string());
    }
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out: Vec<u16> = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        if units[i] == u16::from(b'\\') && units.get(i + 1) == Some(&u16::from(b'u')) {
            let hex = units.get(i + 2..i + 6)?;
            let hs = String::from_utf16(hex).ok()?;
            let v = u16::from_str_radix(&hs, 16).ok()?;
            out.push(v);
            i += 6;
        } else {
            out.push(units[i]);
            i += 1;
        }
    }
    Some(String::from_utf16_lossy(&out))
}

/// `ASTStringLiteral.replaceQuotes`: doubled quote chars collapse to one.
fn replace_quotes(s: &str, q: char) -> String {
    if !s.contains(q) {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        out.push(c);
        if c == q && chars.get(i + 1) == Some(&q) {
            i += 1;
        }
        i += 1;
    }
    out
}

/// `adjTokenLineNums`: positions inside an interpolated string are relative to
/// the literal.
fn adjust_positions(b: &mut Block, base: Pos) {
    fn adj(p: &mut Pos, base: Pos) {
        if p.line == 1 {
            p.col = p.col.saturating_add(base.col);
        }
        p.line = p.line.saturating_add(base.line.saturating_sub(1));
    }
    fn adj_expr(e: &mut Expr, base: Pos) {
        adj(&mut e.pos, base);
        match &mut e.kind {
            ExprKind::Ref(r) => adj_ref(r, base),
            ExprKind::Range(a, b) | ExprKind::Bin(_, a, b) => {
                adj_expr(a, base);
                adj_expr(b, base);
            }
            ExprKind::Map(es) => {
                for (k, v) in es {
                    adj_expr(k, base);
                    adj_expr(v, base);
                }
            }
            ExprKind::List(es) => es.iter_mut().for_each(|x| adj_expr(x, base)),
            ExprKind::Group(x) | ExprKind::Not(x) => adj_expr(x, base),
            _ => {}
        }
    }
    fn adj_ref(r: &mut RefNode, base: Pos) {
        adj(&mut r.pos, base);
        for p in &mut r.parts {
            match p {
                RefPart::Ident { pos, .. } => adj(pos, base),
                RefPart::Method { pos, args, .. } => {
                    adj(pos, base);
                    args.iter_mut().for_each(|a| adj_expr(a, base));
                }
                RefPart::Index { pos, arg } => {
                    adj(pos, base);
                    adj_expr(arg, base);
                }
            }
        }
    }
    fn adj_block(b: &mut Block, base: Pos) {
        for n in &mut b.0 {
            match n {
                Node::Text(_) => {}
                Node::Ref(r) => adj_ref(r, base),
                Node::If(i) => {
                    adj_expr(&mut i.cond, base);
                    adj_block(&mut i.then, base);
                    for (c, bb) in &mut i.elseifs {
                        adj_expr(c, base);
                        adj_block(bb, base);
                    }
                    if let Some(o) = &mut i.otherwise {
                        adj_block(o, base);
                    }
                }
                Node::Set(s) => {
                    adj(&mut s.pos, base);
                    adj_ref(&mut s.left, base);
                    adj_expr(&mut s.right, base);
                }
                Node::Directive(d) => {
                    adj(&mut d.pos, base);
                    d.args.iter_mut().for_each(|a| adj_expr(a, base));
                    if let Some(bb) = &mut d.body {
                        adj_block(bb, base);
                    }
                }
            }
        }
    }
    adj_block(b, base);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(b: &Block) -> Vec<String> {
        b.0.iter()
            .map(|n| match n {
                Node::Text(t) => format!("T:{t}"),
                Node::Ref(r) => format!("R:{}", r.literal),
                Node::If(_) => "IF".into(),
                Node::Set(_) => "SET".into(),
                Node::Directive(d) => format!("D:{}", d.name),
            })
            .collect()
    }

    #[test]
    fn parses_text_and_references() {
        let b = parse_template("a ${x.y} $!z", "t").unwrap();
        assert_eq!(texts(&b), vec!["T:a ", "R:${x.y}", "T: ", "R:$!z"]);
    }

    #[test]
    fn eof_parse_error_position() {
        let e = parse_template("#if(", "template").unwrap_err();
        assert_eq!((e.line, e.column), (1, 4));
        assert_eq!(e.kind, ErrorKind::Parse);
    }

    #[test]
    fn java_big_integer_messages() {
        assert_eq!(java_big_integer_error("123"), None);
        assert_eq!(java_big_integer_error("-0007"), None);
        assert_eq!(java_big_integer_error("1234567890123456789012345678901234567890123"), None);
        assert_eq!(java_big_integer_error("##1").as_deref(), Some("For input string: \"##1\""));
        assert_eq!(java_big_integer_error("1#23456789012").as_deref(), Some("For input string: \"1#23\""));
        assert_eq!(java_big_integer_error("1-2").as_deref(), Some("Illegal embedded sign character"));
        assert_eq!(java_big_integer_error("-").as_deref(), Some("Zero length BigInteger"));
    }

    #[test]
    fn dollar_dot_is_text() {
        let b = parse_template("$.b", "t").unwrap();
        assert_eq!(texts(&b), vec!["T:$.b"]);
    }

    #[test]
    fn escape_of_directive() {
        let b = parse_template("\\#if", "t").unwrap();
        assert_eq!(texts(&b), vec!["T:#if"]);
    }
}
