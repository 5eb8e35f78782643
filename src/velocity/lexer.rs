//! Token manager: a faithful emulation of the JavaCC-generated `ParserTokenManager`
//! of Apache Velocity 1.7 (lexical states, longest-match with definition-order
//! tie-break, MORE / SPECIAL_TOKEN / SKIP semantics, the state stack with its
//! paren counters, and every lexical action).
//!
//! Owns: tokens, token kinds, lexical states, line/column tracking.
//! Must not touch: parsing decisions (the parser drives `switch_to`/`state_stack_pop`
//! exactly where the Java parser does), evaluation, values.

// The token actions deliberately mirror the JavaCC grammar's action blocks one
// to one (`if` inside each `match` arm), which is easier to audit against it.
#![allow(clippy::collapsible_match)]

use super::error::{Error, ErrorKind};

/// Token kinds, numbered exactly as in Velocity 1.7's `ParserConstants`.
pub(crate) mod kind {
    pub const EOF: u8 = 0;
    pub const INDEX_LBRACKET: u8 = 1;
    pub const INDEX_RBRACKET: u8 = 2;
    pub const LBRACKET: u8 = 3;
    pub const RBRACKET: u8 = 4;
    pub const COMMA: u8 = 5;
    pub const DOUBLEDOT: u8 = 6;
    pub const COLON: u8 = 7;
    pub const LEFT_CURLEY: u8 = 8;
    pub const RIGHT_CURLEY: u8 = 9;
    pub const LPAREN: u8 = 10;
    pub const RPAREN: u8 = 11;
    pub const REFMOD2_RPAREN: u8 = 12;
    pub const ESCAPE_DIRECTIVE: u8 = 13;
    pub const SET_DIRECTIVE: u8 = 14;
    pub const DOLLAR: u8 = 15;
    pub const DOLLARBANG: u8 = 16;
    pub const TEXTBLOCK_START: u8 = 17;
    pub const FORMAL_COMMENT_START: u8 = 18;
    pub const MULTI_LINE_COMMENT_START: u8 = 19;
    pub const HASH: u8 = 20;
    pub const SINGLE_LINE_COMMENT_START: u8 = 21;
    pub const DOUBLE_ESCAPE: u8 = 22;
    pub const ESCAPE: u8 = 23;
    pub const TEXT: u8 = 24;
    pub const SINGLE_LINE_COMMENT: u8 = 25;
    pub const FORMAL_COMMENT: u8 = 26;
    pub const MULTI_LINE_COMMENT: u8 = 27;
    pub const TEXTBLOCK: u8 = 28;
    pub const COMMENT_SKIP: u8 = 29;
    pub const TEXTBLOCK_MORE: u8 = 30;
    pub const WHITESPACE: u8 = 31;
    pub const STRING_LITERAL: u8 = 32;
    pub const TRUE: u8 = 33;
    pub const FALSE: u8 = 34;
    pub const NEWLINE: u8 = 35;
    pub const MINUS: u8 = 36;
    pub const PLUS: u8 = 37;
    pub const MULTIPLY: u8 = 38;
    pub const DIVIDE: u8 = 39;
    pub const MODULUS: u8 = 40;
    pub const LOGICAL_AND: u8 = 41;
    pub const LOGICAL_OR: u8 = 42;
    pub const LOGICAL_LT: u8 = 43;
    pub const LOGICAL_LE: u8 = 44;
    pub const LOGICAL_GT: u8 = 45;
    pub const LOGICAL_GE: u8 = 46;
    pub const LOGICAL_EQUALS: u8 = 47;
    pub const LOGICAL_NOT_EQUALS: u8 = 48;
    pub const LOGICAL_NOT: u8 = 49;
    pub const EQUALS: u8 = 50;
    pub const END: u8 = 51;
    pub const IF_DIRECTIVE: u8 = 52;
    pub const ELSEIF_DIRECTIVE: u8 = 53;
    pub const ELSE_DIRECTIVE: u8 = 54;
    pub const INTEGER_LITERAL: u8 = 56;
    pub const FLOATING_POINT_LITERAL: u8 = 57;
    pub const WORD: u8 = 61;
    pub const BRACKETED_WORD: u8 = 62;
    pub const IDENTIFIER: u8 = 66;
    pub const DOT: u8 = 67;
    pub const LCURLY: u8 = 68;
    pub const RCURLY: u8 = 69;
    pub const REFERENCE_TERMINATOR: u8 = 70;
    pub const DIRECTIVE_TERMINATOR: u8 = 71;
    pub const EMPTY_INDEX: u8 = 72;
}

use kind::*;

/// Lexical states, numbered as in Velocity 1.7.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LexState {
    Reference = 0,
    RefModifier = 1,
    RefIndex = 2,
    Directive = 3,
    RefMod2 = 4,
    Default = 5,
    /// Declared by the 1.7 grammar but never entered.
    #[allow(dead_code)]
    RefMod = 6,
    InTextblock = 7,
    InMultiLineComment = 8,
    InFormalComment = 9,
    InSingleLineComment = 10,
    PreDirective = 11,
}

const MORES: [u8; 7] = [
    DOLLAR,
    DOLLARBANG,
    TEXTBLOCK_START,
    FORMAL_COMMENT_START,
    MULTI_LINE_COMMENT_START,
    HASH,
    SINGLE_LINE_COMMENT_START,
];

fn kinds_for(state: LexState) -> &'static [u8] {
    // Each list is in ascending kind order (the JavaCC tie-break order).
    match state {
        LexState::Reference => &[
            INDEX_LBRACKET,
            SET_DIRECTIVE,
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            SINGLE_LINE_COMMENT_START,
            TRUE,
            FALSE,
            IDENTIFIER,
            DOT,
            LCURLY,
            RCURLY,
            REFERENCE_TERMINATOR,
            EMPTY_INDEX,
        ],
        LexState::RefModifier => &[
            INDEX_LBRACKET,
            LPAREN,
            SET_DIRECTIVE,
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            TRUE,
            FALSE,
            IDENTIFIER,
            DOT,
            LCURLY,
            RCURLY,
            REFERENCE_TERMINATOR,
        ],
        LexState::RefIndex => &[
            INDEX_RBRACKET,
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            WHITESPACE,
            STRING_LITERAL,
            TRUE,
            FALSE,
            INTEGER_LITERAL,
            FLOATING_POINT_LITERAL,
        ],
        LexState::Directive => &[
            LBRACKET,
            RBRACKET,
            COMMA,
            DOUBLEDOT,
            COLON,
            LEFT_CURLEY,
            RIGHT_CURLEY,
            LPAREN,
            RPAREN,
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            SINGLE_LINE_COMMENT_START,
            WHITESPACE,
            STRING_LITERAL,
            TRUE,
            FALSE,
            NEWLINE,
            MINUS,
            PLUS,
            MULTIPLY,
            DIVIDE,
            MODULUS,
            LOGICAL_AND,
            LOGICAL_OR,
            LOGICAL_LT,
            LOGICAL_LE,
            LOGICAL_GT,
            LOGICAL_GE,
            LOGICAL_EQUALS,
            LOGICAL_NOT_EQUALS,
            LOGICAL_NOT,
            EQUALS,
            INTEGER_LITERAL,
            FLOATING_POINT_LITERAL,
            WORD,
            BRACKETED_WORD,
        ],
        LexState::RefMod2 => &[
            LBRACKET,
            RBRACKET,
            COMMA,
            DOUBLEDOT,
            COLON,
            LEFT_CURLEY,
            RIGHT_CURLEY,
            REFMOD2_RPAREN,
            SET_DIRECTIVE,
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            WHITESPACE,
            STRING_LITERAL,
            TRUE,
            FALSE,
            INTEGER_LITERAL,
            FLOATING_POINT_LITERAL,
            IDENTIFIER,
            DOT,
        ],
        LexState::Default => &[
            ESCAPE_DIRECTIVE,
            SET_DIRECTIVE,
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            SINGLE_LINE_COMMENT_START,
            DOUBLE_ESCAPE,
            ESCAPE,
            TEXT,
            EMPTY_INDEX,
        ],
        LexState::RefMod => &[
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            REFERENCE_TERMINATOR,
        ],
        LexState::InTextblock => &[
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            TEXTBLOCK,
            TEXTBLOCK_MORE,
        ],
        LexState::InMultiLineComment => &[
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            MULTI_LINE_COMMENT,
            COMMENT_SKIP,
        ],
        LexState::InFormalComment => &[
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            FORMAL_COMMENT,
            COMMENT_SKIP,
        ],
        LexState::InSingleLineComment => &[
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            SINGLE_LINE_COMMENT,
            COMMENT_SKIP,
        ],
        LexState::PreDirective => &[
            DOLLAR,
            DOLLARBANG,
            TEXTBLOCK_START,
            FORMAL_COMMENT_START,
            MULTI_LINE_COMMENT_START,
            HASH,
            SINGLE_LINE_COMMENT_START,
            END,
            IF_DIRECTIVE,
            ELSEIF_DIRECTIVE,
            ELSE_DIRECTIVE,
            INTEGER_LITERAL,
            FLOATING_POINT_LITERAL,
            WORD,
            BRACKETED_WORD,
            DIRECTIVE_TERMINATOR,
        ],
    }
}

fn is_more(k: u8) -> bool {
    MORES[..6].contains(&k) || k == TEXTBLOCK_MORE
}

/// One token. `image` is the (possibly action-modified) token image, including
/// any MORE prefix; `specials` are the images of SPECIAL_TOKENs that preceded it.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub kind: u8,
    pub image: String,
    pub line: u32,
    pub col: u32,
    pub specials: Vec<String>,
}

/// JavaCC-compatible line/column tracking (tabs advance to the next multiple of 8,
/// `\r\n` is one line break, columns count UTF-16 code units).
#[derive(Clone, Debug)]
struct PosTracker {
    offset: usize,
    line: u32,
    col: u32,
    prev_cr: bool,
    prev_lf: bool,
    // line/col of the char ending at `offset` (i.e. the last char consumed)
    last_line: u32,
    last_col: u32,
}

impl PosTracker {
    fn new() -> Self {
        PosTracker { offset: 0, line: 1, col: 0, prev_cr: false, prev_lf: false, last_line: 1, last_col: 0 }
    }

    /// Advance over the char starting at `self.offset`.
    fn step(&mut self, src: &[u8]) {
        let Some(&b) = src.get(self.offset) else {
            return;
        };
        let len = utf8_len(b);
        self.col = self.col.saturating_add(1);
        if self.prev_lf {
            self.prev_lf = false;
            self.col = 1;
            self.line = self.line.saturating_add(1);
        } else if self.prev_cr {
            self.prev_cr = false;
            if b == b'\n' {
                self.prev_lf = true;
            } else {
                self.col = 1;
                self.line = self.line.saturating_add(1);
            }
        }
        match b {
            b'\r' => self.prev_cr = true,
            b'\n' => self.prev_lf = true,
            b'\t' => {
                self.col -= 1;
                self.col += 8 - (self.col & 7);
            }
            _ => {}
        }
        self.last_line = self.line;
        self.last_col = self.col;
        if len == 4 {
            // astral char: two UTF-16 units
            self.col = self.col.saturating_add(1);
        }
        self.offset = (self.offset + len).min(src.len());
    }

    /// line/col of the char starting at byte `offset` (must be on a char boundary).
    fn pos_of(&mut self, src: &[u8], offset: usize) -> (u32, u32) {
        if offset < self.offset {
            *self = PosTracker::new();
        }
        while self.offset < offset {
            self.step(src);
        }
        // peek the position the next char would get
        let mut t = self.clone();
        if t.offset < src.len() {
            t.step(src);
            (t.last_line, t.last_col)
        } else {
            (self.last_line, self.last_col)
        }
    }

    /// line/col of the last char strictly before `offset`.
    fn pos_before(&mut self, src: &[u8], offset: usize) -> (u32, u32) {
        if offset == 0 {
            return (1, 1);
        }
        // find start of previous char
        let mut start = offset - 1;
        while start > 0 && src.get(start).is_some_and(|b| (b & 0xC0) == 0x80) {
            start -= 1;
        }
        self.pos_of(src, start)
    }
}

fn utf8_len(b: u8) -> usize {
    if b < 0x80 {
        1
    } else if b >= 0xF0 {
        4
    } else if b >= 0xE0 {
        3
    } else if b >= 0xC0 {
        2
    } else {
        1
    }
}

#[derive(Clone, Copy)]
struct Frame {
    lparen: i32,
    rparen: i32,
    state: LexState,
}

/// Maximum depth of the lexer state stack (guards pathological input).
const MAX_STACK: usize = 100_000;

pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    pub(crate) state: LexState,
    stack: Vec<Frame>,
    lparen: i32,
    rparen: i32,
    in_comment: bool,
    pub(crate) in_set: bool,
    pub(crate) in_directive: bool,
    tracker: PosTracker,
    template_name: String,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str, template_name: &str) -> Self {
        Lexer {
            src: src.as_bytes(),
            pos: 0,
            state: LexState::Default,
            stack: Vec::new(),
            lparen: 0,
            rparen: 0,
            in_comment: false,
            in_set: false,
            in_directive: false,
            tracker: PosTracker::new(),
            template_name: template_name.to_string(),
        }
    }

    pub(crate) fn switch_to(&mut self, s: LexState) {
        self.state = s;
    }

    pub(crate) fn state_stack_pop(&mut self) -> bool {
        match self.stack.pop() {
            Some(f) => {
                self.lparen = f.lparen;
                self.rparen = f.rparen;
                self.state = f.state;
                true
            }
            None => {
                self.lparen = 0;
                self.state = LexState::Default;
                false
            }
        }
    }

    fn state_stack_push(&mut self) {
        if self.stack.len() >= MAX_STACK {
            return;
        }
        self.stack.push(Frame { lparen: self.lparen, rparen: self.rparen, state: self.state });
        self.lparen = 0;
    }

    fn rparen_handler(&mut self) {
        let mut closed = self.in_comment;
        while !closed {
            if self.lparen > 0 {
                if self.lparen == self.rparen.wrapping_add(1) {
                    self.state_stack_pop();
                } else {
                    self.rparen = self.rparen.wrapping_add(1);
                }
                closed = true;
            } else if !self.state_stack_pop() {
                break;
            }
        }
    }

    /// The `isLeftParenthesis()` semantic lookahead of the Java parser: skip
    /// spaces/tabs/newlines in the raw char stream and test for `(`.
    pub(crate) fn is_left_parenthesis(&self) -> bool {
        let mut i = self.pos;
        while let Some(&c) = self.src.get(i) {
            if c == b'(' {
                return true;
            }
            if c != b' ' && c != b'\n' && c != b'\r' && c != b'\t' {
                return false;
            }
            i += 1;
        }
        false
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.src.get(i).copied()
    }

    fn starts(&self, at: usize, lit: &[u8]) -> bool {
        self.src.get(at..at + lit.len()) == Some(lit)
    }

    fn count_while(&self, at: usize, f: impl Fn(u8) -> bool) -> usize {
        let mut i = at;
        while let Some(&c) = self.src.get(i) {
            if !f(c) {
                break;
            }
            i += 1;
        }
        i - at
    }

    fn char_len(&self, at: usize) -> Option<usize> {
        self.byte(at).map(|b| utf8_len(b).min(self.src.len() - at))
    }

    fn newline_len(&self, at: usize) -> usize {
        match self.byte(at) {
            Some(b'\r') => {
                if self.byte(at + 1) == Some(b'\n') {
                    2
                } else {
                    1
                }
            }
            Some(b'\n') => 1,
            _ => 0,
        }
    }

    /// `( (" "|"\t")* ("\n"|"\r"|"\r\n") )?` — returns the optional length.
    fn opt_ws_newline(&self, at: usize) -> usize {
        let ws = self.count_while(at, |c| c == b' ' || c == b'\t');
        let nl = self.newline_len(at + ws);
        if nl > 0 { ws + nl } else { 0 }
    }

    fn word_len(&self, at: usize) -> usize {
        match self.byte(at) {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' || c == b'@' => {
                1 + self.count_while(at + 1, |c| c.is_ascii_alphanumeric() || c == b'_' || c == b'@')
            }
            _ => 0,
        }
    }

    fn bracketed_word_len(&self, at: usize) -> usize {
        if self.byte(at) != Some(b'{') {
            return 0;
        }
        match self.byte(at + 1) {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let n = 2 + self.count_while(at + 2, |c| c.is_ascii_alphanumeric() || c == b'_' || c == b'@');
                if self.byte(at + n) == Some(b'}') { n + 1 } else { 0 }
            }
            _ => 0,
        }
    }

    fn identifier_len(&self, at: usize) -> usize {
        match self.byte(at) {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                1 + self.count_while(at + 1, |c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            }
            _ => 0,
        }
    }

    fn digits(&self, at: usize) -> usize {
        self.count_while(at, |c| c.is_ascii_digit())
    }

    fn exponent_len(&self, at: usize) -> usize {
        match self.byte(at) {
            Some(b'e') | Some(b'E') => {
                let mut i = at + 1;
                if matches!(self.byte(i), Some(b'+') | Some(b'-')) {
                    i += 1;
                }
                let d = self.digits(i);
                if d > 0 { i + d - at } else { 0 }
            }
            _ => 0,
        }
    }

    fn integer_len(&self, at: usize) -> usize {
        let sign = usize::from(self.byte(at) == Some(b'-'));
        let d = self.digits(at + sign);
        if d == 0 {
            return 0;
        }
        let n = sign + d;
        if self.starts(at + n, b"..") { n + 2 } else { n }
    }

    fn float_len(&self, at: usize) -> usize {
        let sign = usize::from(self.byte(at) == Some(b'-'));
        let p = at + sign;
        let d = self.digits(p);
        let mut best = 0;
        if d > 0 {
            // DIGIT+ "." DIGIT* EXPONENT?
            if self.byte(p + d) == Some(b'.') {
                let d2 = self.digits(p + d + 1);
                let e = self.exponent_len(p + d + 1 + d2);
                best = best.max(sign + d + 1 + d2 + e);
            }
            // DIGIT+ EXPONENT
            let e = self.exponent_len(p + d);
            if e > 0 {
                best = best.max(sign + d + e);
            }
        } else if self.byte(p) == Some(b'.') {
            let d2 = self.digits(p + 1);
            if d2 > 0 {
                let e = self.exponent_len(p + 1 + d2);
                best = best.max(sign + 1 + d2 + e);
            }
        }
        best
    }

    fn string_literal_len(&self, at: usize) -> usize {
        let q = match self.byte(at) {
            Some(c @ (b'"' | b'\'')) => c,
            _ => return 0,
        };
        let mut i = at + 1;
        // ( ~[q] | q q )* q  -- longest match
        let mut best = 0;
        loop {
            match self.byte(i) {
                None => return best,
                Some(c) if c == q => {
                    // closing quote candidate
                    best = i + 1 - at;
                    if self.byte(i + 1) == Some(q) {
                        i += 2; // doubled quote, continue
                    } else {
                        return best;
                    }
                }
                Some(_) => i += 1,
            }
        }
    }

    /// Length of the match of token `k` at byte offset `at` (0 = no match).
    fn match_len(&self, k: u8, at: usize) -> usize {
        let b = self.byte(at);
        let lit = |s: &[u8]| if self.starts(at, s) { s.len() } else { 0 };
        match k {
            INDEX_LBRACKET | LBRACKET => lit(b"["),
            INDEX_RBRACKET | RBRACKET => lit(b"]"),
            COMMA => lit(b","),
            DOUBLEDOT => lit(b".."),
            COLON => lit(b":"),
            LEFT_CURLEY | LCURLY => lit(b"{"),
            RIGHT_CURLEY | RCURLY => lit(b"}"),
            LPAREN => lit(b"("),
            RPAREN => {
                if b == Some(b')') {
                    1 + self.opt_ws_newline(at + 1)
                } else {
                    0
                }
            }
            REFMOD2_RPAREN => lit(b")"),
            ESCAPE_DIRECTIVE => {
                let n = self.count_while(at, |c| c == b'\\');
                if n % 2 == 1 && self.byte(at + n) == Some(b'#') {
                    let w = self.word_len(at + n + 1).max(self.bracketed_word_len(at + n + 1));
                    if w > 0 { n + 1 + w } else { 0 }
                } else {
                    0
                }
            }
            SET_DIRECTIVE => {
                let ws = self.count_while(at, |c| c == b' ' || c == b'\t');
                let p = at + ws;
                let d = if self.starts(p, b"#set") {
                    4
                } else if self.starts(p, b"#{set}") {
                    6
                } else {
                    return 0;
                };
                let sp = self.count_while(p + d, |c| c == b' ');
                if self.byte(p + d + sp) == Some(b'(') { ws + d + sp + 1 } else { 0 }
            }
            DOLLAR => {
                let n = self.count_while(at, |c| c == b'\\');
                if self.byte(at + n) == Some(b'$') { n + 1 } else { 0 }
            }
            DOLLARBANG => {
                let n = self.count_while(at, |c| c == b'\\');
                if self.byte(at + n) == Some(b'$') {
                    let m = self.count_while(at + n + 1, |c| c == b'\\');
                    if self.byte(at + n + 1 + m) == Some(b'!') { n + 1 + m + 1 } else { 0 }
                } else {
                    0
                }
            }
            TEXTBLOCK_START => lit(b"#[["),
            FORMAL_COMMENT_START => {
                if self.starts(at, b"#**") {
                    match self.byte(at + 3) {
                        Some(c) if c != b'#' => 3 + self.char_len(at + 3).unwrap_or(1),
                        _ => 0,
                    }
                } else {
                    0
                }
            }
            MULTI_LINE_COMMENT_START => lit(b"#*"),
            HASH => lit(b"#"),
            SINGLE_LINE_COMMENT_START => lit(b"##"),
            DOUBLE_ESCAPE => lit(b"\\\\"),
            ESCAPE => lit(b"\\"),
            TEXT => self.count_while(at, |c| c != b'$' && c != b'#' && c != b'\\'),
            SINGLE_LINE_COMMENT | NEWLINE => self.newline_len(at),
            FORMAL_COMMENT | MULTI_LINE_COMMENT => lit(b"*#"),
            TEXTBLOCK => lit(b"]]#"),
            COMMENT_SKIP | TEXTBLOCK_MORE | REFERENCE_TERMINATOR | DIRECTIVE_TERMINATOR => {
                self.char_len(at).unwrap_or(0)
            }
            WHITESPACE => self.count_while(at, |c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')),
            STRING_LITERAL => self.string_literal_len(at),
            TRUE => lit(b"true"),
            FALSE => lit(b"false"),
            MINUS => lit(b"-"),
            PLUS => lit(b"+"),
            MULTIPLY => lit(b"*"),
            DIVIDE => lit(b"/"),
            MODULUS => lit(b"%"),
            LOGICAL_AND => lit(b"&&").max(lit(b"and")),
            LOGICAL_OR => lit(b"||").max(lit(b"or")),
            LOGICAL_LT => lit(b"<").max(lit(b"lt")),
            LOGICAL_LE => lit(b"<=").max(lit(b"le")),
            LOGICAL_GT => lit(b">").max(lit(b"gt")),
            LOGICAL_GE => lit(b">=").max(lit(b"ge")),
            LOGICAL_EQUALS => lit(b"==").max(lit(b"eq")),
            LOGICAL_NOT_EQUALS => lit(b"!=").max(lit(b"ne")),
            LOGICAL_NOT => lit(b"!").max(lit(b"not")),
            EQUALS => lit(b"="),
            END => {
                let n = lit(b"end").max(lit(b"{end}"));
                if n > 0 { n + self.opt_ws_newline(at + n) } else { 0 }
            }
            IF_DIRECTIVE => lit(b"if").max(lit(b"{if}")),
            ELSEIF_DIRECTIVE => lit(b"elseif").max(lit(b"{elseif}")),
            ELSE_DIRECTIVE => {
                let n = lit(b"else").max(lit(b"{else}"));
                if n > 0 { n + self.opt_ws_newline(at + n) } else { 0 }
            }
            INTEGER_LITERAL => self.integer_len(at),
            FLOATING_POINT_LITERAL => self.float_len(at),
            WORD => self.word_len(at),
            BRACKETED_WORD => self.bracketed_word_len(at),
            IDENTIFIER => self.identifier_len(at),
            DOT => {
                if b == Some(b'.') && self.byte(at + 1).is_some_and(|c| c.is_ascii_alphabetic()) {
                    2
                } else {
                    0
                }
            }
            EMPTY_INDEX => lit(b"$[").max(lit(b"$![")).max(lit(b"$\\![")).max(lit(b"$.")),
            _ => 0,
        }
    }

    fn longest(&self, at: usize) -> Option<(u8, usize)> {
        let mut best: Option<(u8, usize)> = None;
        for &k in kinds_for(self.state) {
            let n = self.match_len(k, at);
            if n > 0 && best.is_none_or(|(_, bn)| n > bn) {
                best = Some((k, n));
            }
        }
        best
    }

    fn position(&mut self, offset: usize) -> (u32, u32) {
        self.tracker.pos_of(self.src, offset)
    }

    fn lex_error(&mut self, at: usize, eof: bool) -> Error {
        let (line, col) = if eof || at >= self.src.len() {
            let (l, c) = self.tracker.pos_before(self.src, self.src.len());
            // JavaCC reports one column past the last char at EOF
            if self.src.last() == Some(&b'\n') || self.src.last() == Some(&b'\r') {
                (l.saturating_add(1), 0)
            } else {
                (l, c.saturating_add(1))
            }
        } else {
            self.position(at)
        };
        let what = if eof || at >= self.src.len() {
            "<EOF>".to_string()
        } else {
            let s = std::str::from_utf8(&self.src[at..]).unwrap_or("");
            format!("\"{}\"", s.chars().next().unwrap_or(' '))
        };
        Error::new(
            ErrorKind::Parse,
            format!("Lexical error, Encountered: {what}"),
            Some(&self.template_name),
            line,
            col,
        )
    }

    fn image(&self, from: usize, to: usize) -> String {
        String::from_utf8_lossy(&self.src[from..to.min(self.src.len())]).into_owned()
    }

    /// `getNextToken()`.
    pub(crate) fn next_token(&mut self) -> Result<Token, Error> {
        let mut specials: Vec<String> = Vec::new();
        'eof: loop {
            let token_begin = self.pos;
            if token_begin >= self.src.len() {
                // EOF token: image is the last char, position is the last char's
                let (line, col) = self.tracker.pos_before(self.src, self.src.len());
                let img = std::str::from_utf8(self.src)
                    .ok()
                    .and_then(|s| s.chars().last())
                    .map(|c| c.to_string())
                    // An empty rest has no last character: the EOF token's image is empty.
                    .unwrap_or_default();
                return Ok(Token { kind: EOF, image: img, line, col, specials });
            }
            loop {
                let at = self.pos;
                if at >= self.src.len() {
                    // EOF in the middle of a MORE sequence
                    return Err(self.lex_error(at, true));
                }
                let Some((k, n)) = self.longest(at) else {
                    let unterminated_string = matches!(self.byte(at), Some(b'"') | Some(b'\''))
                        && matches!(self.state, LexState::Directive | LexState::RefMod2 | LexState::RefIndex);
                    return Err(self.lex_error(at, unterminated_string));
                };
                self.pos = at + n;
                if is_more(k) {
                    self.more_action(k);
                    continue;
                }
                if k == COMMENT_SKIP {
                    continue 'eof;
                }
                if k == REFERENCE_TERMINATOR || k == DIRECTIVE_TERMINATOR {
                    specials.push(self.image(token_begin, self.pos));
                    // backup(1)
                    self.pos = at;
                    if k == DIRECTIVE_TERMINATOR {
                        self.in_directive = false;
                    }
                    self.state_stack_pop();
                    continue 'eof;
                }
                let (line, col) = self.position(token_begin);
                let mut tok =
                    Token { kind: k, image: self.image(token_begin, self.pos), line, col, specials };
                self.token_action(&mut tok);
                return Ok(tok);
            }
        }
    }

    fn more_action(&mut self, k: u8) {
        if self.in_comment {
            return;
        }
        match k {
            DOLLAR | DOLLARBANG => {
                if self.state == LexState::Reference {
                    self.state_stack_pop();
                }
                self.state_stack_push();
                self.switch_to(LexState::Reference);
            }
            TEXTBLOCK_START => {
                self.in_comment = true;
                self.state_stack_push();
                self.switch_to(LexState::InTextblock);
            }
            FORMAL_COMMENT_START => {
                // backup(1)
                let mut p = self.pos.saturating_sub(1);
                while p > 0 && self.byte(p).is_some_and(|b| (b & 0xC0) == 0x80) {
                    p -= 1;
                }
                self.pos = p;
                self.in_comment = true;
                self.state_stack_push();
                self.switch_to(LexState::InFormalComment);
            }
            MULTI_LINE_COMMENT_START => {
                self.in_comment = true;
                self.state_stack_push();
                self.switch_to(LexState::InMultiLineComment);
            }
            HASH => {
                if self.state == LexState::Reference || self.state == LexState::RefModifier {
                    self.state_stack_pop();
                }
                self.in_directive = true;
                self.state_stack_push();
                self.switch_to(LexState::PreDirective);
            }
            _ => {}
        }
    }

    fn token_action(&mut self, tok: &mut Token) {
        match tok.kind {
            INDEX_LBRACKET => {
                self.state_stack_push();
                self.switch_to(LexState::RefIndex);
            }
            INDEX_RBRACKET => {
                self.state_stack_pop();
            }
            LPAREN => {
                if !self.in_comment {
                    self.lparen = self.lparen.wrapping_add(1);
                }
                if self.state == LexState::RefModifier {
                    self.switch_to(LexState::RefMod2);
                }
            }
            RPAREN => self.rparen_handler(),
            REFMOD2_RPAREN => self.switch_to(LexState::Reference),
            SET_DIRECTIVE => {
                if !self.in_comment {
                    self.in_directive = true;
                    self.state_stack_push();
                    self.in_set = true;
                    self.switch_to(LexState::Directive);
                    self.lparen = self.lparen.wrapping_add(1);
                    if self.state == LexState::RefModifier {
                        self.switch_to(LexState::RefMod2);
                    }
                }
            }
            SINGLE_LINE_COMMENT_START => {
                if !self.in_comment {
                    if self.state == LexState::Reference {
                        self.state_stack_pop();
                    }
                    self.in_comment = true;
                    self.state_stack_push();
                    self.switch_to(LexState::InSingleLineComment);
                }
            }
            SINGLE_LINE_COMMENT | FORMAL_COMMENT | MULTI_LINE_COMMENT | TEXTBLOCK => {
                self.in_comment = false;
                self.state_stack_pop();
            }
            STRING_LITERAL => {
                if self.state == LexState::Directive && !self.in_set && self.lparen == 0 {
                    self.state_stack_pop();
                }
            }
            NEWLINE => {
                self.state_stack_pop();
                self.in_set = false;
                self.in_directive = false;
            }
            END | ELSE_DIRECTIVE => {
                self.in_directive = false;
                self.state_stack_pop();
            }
            IF_DIRECTIVE | ELSEIF_DIRECTIVE => self.switch_to(LexState::Directive),
            INTEGER_LITERAL => {
                if tok.image.ends_with("..") {
                    self.pos -= 2;
                    let l = tok.image.len() - 2;
                    tok.image.truncate(l);
                }
                if self.lparen == 0
                    && !self.in_set
                    && self.state != LexState::RefMod2
                    && self.state != LexState::RefIndex
                {
                    self.state_stack_pop();
                }
            }
            FLOATING_POINT_LITERAL => {
                if self.lparen == 0 && !self.in_set && self.state != LexState::RefMod2 {
                    self.state_stack_pop();
                }
            }
            DOT => {
                self.pos -= 1;
                tok.image = ".".to_string();
                self.switch_to(LexState::RefModifier);
            }
            RCURLY => {
                self.state_stack_pop();
            }
            _ => {}
        }
    }
}

/// Debug helper used in tests: lex the whole input in the lexer's own state
/// machine (no parser-driven switches) and return `(kind, image)` pairs.
#[cfg(test)]
pub(crate) fn lex_all(src: &str) -> Result<Vec<(u8, String)>, Error> {
    let mut lx = Lexer::new(src, "t");
    let mut out = Vec::new();
    loop {
        let t = lx.next_token()?;
        let k = t.kind;
        out.push((k, t.image));
        if k == EOF {
            return Ok(out);
        }
        if out.len() > 100_000 {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_reference_tokens() {
        let toks = lex_all("a $b.c(1) d").unwrap();
        let kinds: Vec<u8> = toks.iter().map(|t| t.0).collect();
        assert_eq!(
            kinds,
            vec![TEXT, IDENTIFIER, DOT, IDENTIFIER, LPAREN, INTEGER_LITERAL, REFMOD2_RPAREN, TEXT, EOF]
        );
        assert_eq!(toks[1].1, "$b");
    }

    #[test]
    fn empty_index_and_set_gobbling() {
        let toks = lex_all("x$.y").unwrap();
        assert_eq!(toks[1], (EMPTY_INDEX, "$.".to_string()));
        let toks = lex_all("  #set(").unwrap();
        assert_eq!(toks[0], (SET_DIRECTIVE, "  #set(".to_string()));
    }

    #[test]
    fn trailing_dollar_is_lexical_error() {
        let e = lex_all("x$").unwrap_err();
        assert_eq!((e.line, e.column), (1, 3));
    }

    #[test]
    fn tab_columns_follow_javacc() {
        let mut t = PosTracker::new();
        let src = b"\tx";
        assert_eq!(t.pos_of(src, 0), (1, 8));
        assert_eq!(t.pos_of(src, 1), (1, 9));
    }
}
