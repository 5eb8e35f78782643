//! Abstract syntax tree produced by the parser and walked by the evaluator.
//! The shape follows Velocity 1.7's JJTree nodes closely enough that every
//! runtime decision Velocity makes from the tree (literal text of a node, the
//! parent of a reference in strict mode, escape prefixes, ...) can be made here.
//!
//! Owns: node types only. Must not touch: lexing, parsing, evaluation.

use std::sync::Arc;

/// A sequence of statements (`ASTprocess` / `ASTBlock`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Block(pub Vec<Node>);

#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Static text: `ASTText`, `ASTEscape`, `ASTEscapedDirective`, `ASTComment`
    /// and `ASTTextblock` all render a string fixed at parse time.
    Text(String),
    Ref(Box<RefNode>),
    If(Box<IfNode>),
    Set(Box<SetNode>),
    Directive(Box<DirNode>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefType {
    Normal,
    Formal,
    Quiet,
    /// Not a real reference (e.g. an identifier left after a comment); renders its root.
    Runt,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone)]
pub(crate) enum RefPart {
    Ident { name: String, pos: Pos },
    Method { name: String, args: Vec<Expr>, pos: Pos },
    Index { arg: Box<Expr>, pos: Pos },
}

impl RefPart {
    pub(crate) fn pos(&self) -> Pos {
        match self {
            RefPart::Ident { pos, .. } | RefPart::Method { pos, .. } | RefPart::Index { pos, .. } => *pos,
        }
    }

    /// `getFirstToken().image` of the child node.
    pub(crate) fn first_image(&self) -> &str {
        match self {
            RefPart::Ident { name, .. } | RefPart::Method { name, .. } => name,
            RefPart::Index { .. } => "[",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RefNode {
    pub ref_type: RefType,
    /// Root variable name (`rootString`).
    pub root: String,
    pub escaped: bool,
    pub esc_prefix: String,
    pub more_prefix: String,
    /// What renders when the value is null (`nullString`).
    pub null_string: String,
    /// `literal()` of the node (source text, escapes/prefix stripped).
    pub literal: String,
    /// `false` for `$\!x`-style non-references.
    pub computable: bool,
    pub parts: Vec<RefPart>,
    pub pos: Pos,
    /// Strict mode does not apply (`#if($undefined)` and friends).
    pub strict_exempt: bool,
    /// Image of the first token after escape processing (used by `#set`).
    pub first_image: String,
    /// Whether this reference sits inside a double-quoted string literal.
    pub in_string: bool,
    /// Whether this reference is part of a directive (`#if`, `#set`, args, ...).
    pub in_directive: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct IfNode {
    pub cond: Expr,
    pub then: Block,
    pub elseifs: Vec<(Expr, Block)>,
    pub otherwise: Option<Block>,
}

#[derive(Debug, Clone)]
pub(crate) struct SetNode {
    pub left: RefNode,
    /// `leftReference`: first token image minus its first char.
    pub left_key: String,
    pub right: Expr,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirKind {
    Foreach,
    Include,
    Parse,
    Macro,
    Literal,
    Evaluate,
    Break,
    Define,
    Stop,
    /// `#@name(...) ... #end` block macro call.
    BlockMacro,
    /// Anything else: a (possibly undefined) macro call.
    MacroCall,
    /// `#name` with no parentheses that is not a known directive: renders `#name`.
    NotDirective,
}

#[derive(Debug, Clone)]
pub(crate) struct DirNode {
    pub kind: DirKind,
    pub name: String,
    pub args: Vec<Expr>,
    pub body: Option<Block>,
    /// Literal of the block's tokens (`#literal`); `None` when the block is empty.
    pub body_literal: Option<String>,
    /// Raw token images from the first to the last token (RuntimeMacro literal).
    pub literal: String,
    pub pos: Pos,
    /// Whether the argument list was present (`#name(...)`).
    pub has_parens: bool,
    /// The last token starts with `)` or `#end` (strict-mode macro check).
    pub strict_candidate: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone)]
pub(crate) struct StrLit {
    /// Unescaped contents (no interpolation).
    pub image: String,
    /// Parsed body when the literal is interpolated (`"...$x..."`).
    pub tree: Option<Block>,
    pub contains_line_comment: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum ExprKind {
    Ref(Box<RefNode>),
    Str(Box<StrLit>),
    Int(i32),
    Long(i64),
    BigInt(i128),
    Float(f64),
    True,
    False,
    Word(String),
    Range(Box<Expr>, Box<Expr>),
    Map(Vec<(Expr, Expr)>),
    List(Vec<Expr>),
    /// `ASTExpression` (a `#set`/`#if` expression or a parenthesised one).
    Group(Box<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    /// `literal()` of the node.
    pub literal: Lit,
    pub pos: Pos,
}

/// The `literal()` text of an expression node: a prefix of a shared string.
/// The nodes of one operator chain (`a + b + c`, left-associative) share the
/// chain's text, each node being a longer prefix, so a chain of n operators
/// costs O(n) memory instead of O(n²).
#[derive(Clone, Debug, Default)]
pub(crate) struct Lit {
    text: Arc<str>,
    len: usize,
}

impl Lit {
    pub(crate) fn new(s: String) -> Lit {
        let len = s.len();
        Lit { text: Arc::from(s), len }
    }

    /// The first `len` bytes of `text` (`len` must be a char boundary).
    pub(crate) fn prefix(text: &Arc<str>, len: usize) -> Lit {
        Lit { text: text.clone(), len: len.min(text.len()) }
    }

    pub(crate) fn as_str(&self) -> &str {
        self.text.get(..self.len).unwrap_or("")
    }
}

impl std::ops::Deref for Lit {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Lit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
