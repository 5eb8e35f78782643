//! Compiled representation of a path and of filter expressions.
//!
//! Owns: [`CompiledPath`] (Jayway's `CompiledPath` + token chain, flattened
//! into a vector), [`Token`], filter [`Expr`]/[`Operand`] trees, function
//! [`Param`]s and the definiteness bookkeeping Jayway derives from the chain.
//! Must not: evaluate anything or refer to anything outside `crate::jsonpath`.

use super::number::Decimal;

/// One path token after the root (`$` / `@`).
#[derive(Debug, Clone)]
pub(crate) enum Token {
    /// `.name`, `['a']`, `['a','b']`.
    Property { props: Vec<String>, delim: u8 },
    /// `[0]`, `[1,2]`, `[-1]`.
    Index(Vec<i32>),
    /// `[1:2]`, `[1:]`, `[:2]`.
    Slice { from: Option<i32>, to: Option<i32>, kind: SliceKind },
    /// `*` / `[*]`.
    Wildcard,
    /// `..`
    Scan,
    /// `[?(...)]`
    Predicate(Box<Expr>),
    /// `.name(...)`
    Function {
        name: String,
        params: Option<Vec<Param>>,
        /// Whether the source had arguments (only affects the fragment text).
        had_args: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SliceKind {
    From,
    Between,
    To,
}

/// A function argument.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    /// A path argument; `with_wildcard` is the same path with `[*]` appended
    /// (Jayway's `length()` evaluates that variant).
    Path { path: Box<CompiledPath>, with_wildcard: Option<Box<CompiledPath>> },
    /// A JSON argument, parsed lazily with json-smart permissive rules.
    Json(String),
}

/// A compiled path.
#[derive(Debug, Clone)]
pub(crate) struct CompiledPath {
    pub(crate) root: u8,
    pub(crate) tokens: Vec<Token>,
    /// Jayway `isRootPath()`: the root token is `$`.
    pub(crate) is_root_path: bool,
    pub(crate) definite: bool,
    pub(crate) function_path: bool,
    pub(crate) token_definite: Vec<bool>,
    pub(crate) upstream_definite: Vec<bool>,
    /// Index shown by the token before the tail when it is a single-index
    /// token (`[3]`); used by Jayway's deep-scan `upstreamArrayIndex` check.
    pub(crate) tail_prev_index: Option<i64>,
    pub(crate) has_scan: bool,
}

impl CompiledPath {
    /// Build from a root and a token chain, computing Jayway's definiteness
    /// and applying `invertScannerFunctionRelationship`.
    pub(crate) fn new(root: u8, tokens: Vec<Token>) -> CompiledPath {
        let is_root_path = root == b'$';
        // invertScannerFunctionRelationship: `$..x.fn()` -> `$.fn($..x)`.
        let tail_is_function = matches!(tokens.last(), Some(Token::Function { .. }));
        let first_function = if tail_is_function && matches!(tokens.first(), Some(Token::Scan)) {
            tokens.iter().position(|t| matches!(t, Token::Function { .. })).filter(|f| *f > 0)
        } else {
            None
        };
        if let Some(fpos) = first_function {
            return CompiledPath::inverted(root, tokens, fpos);
        }
        let mut p = CompiledPath::plain(root, tokens);
        p.is_root_path = is_root_path;
        p
    }

    fn inverted(root: u8, mut tokens: Vec<Token>, fpos: usize) -> CompiledPath {
        let rest: Vec<Token> = tokens.split_off(fpos);
        let inner = CompiledPath::plain(root, tokens);
        let with_wildcard = inner.with_wildcard().map(Box::new);
        let mut rest_iter = rest.into_iter();
        let (name, had_args) = match rest_iter.next() {
            Some(Token::Function { name, had_args, .. }) => (name, had_args),
            _ => (String::new(), false),
        };
        let func = Token::Function {
            name,
            params: Some(vec![Param::Path { path: Box::new(inner), with_wildcard }]),
            had_args,
        };
        let mut new_tokens = vec![func];
        new_tokens.extend(rest_iter);
        let mut p = CompiledPath::plain(b'$', new_tokens);
        // The function token's upstream still contains the scan.
        for u in p.upstream_definite.iter_mut() {
            *u = false;
        }
        p.function_path = true;
        p.is_root_path = true;
        p
    }

    fn plain(root: u8, tokens: Vec<Token>) -> CompiledPath {
        let n = tokens.len();
        let mut token_definite = Vec::with_capacity(n);
        for (i, t) in tokens.iter().enumerate() {
            let leaf = i + 1 == n;
            token_definite.push(match t {
                Token::Property { props, .. } => props.len() == 1 || leaf,
                Token::Index(ix) => ix.len() == 1,
                Token::Slice { .. } | Token::Wildcard | Token::Scan | Token::Predicate(_) => false,
                Token::Function { .. } => true,
            });
        }
        let mut upstream_definite = Vec::with_capacity(n);
        let mut acc = true;
        for d in &token_definite {
            upstream_definite.push(acc);
            acc = acc && *d;
        }
        let definite = token_definite.iter().all(|d| *d);
        let function_path = matches!(tokens.last(), Some(Token::Function { .. }));
        let tail_prev_index = if n >= 2 {
            match &tokens[n - 2] {
                Token::Index(ix) if ix.len() == 1 => Some(i64::from(ix[0])),
                _ => None,
            }
        } else {
            None
        };
        let has_scan = tokens.iter().any(|t| matches!(t, Token::Scan));
        CompiledPath {
            root,
            tokens,
            is_root_path: root == b'$',
            definite,
            function_path,
            token_definite,
            upstream_definite,
            tail_prev_index,
            has_scan,
        }
    }

    /// The same path with a wildcard appended (Jayway's `length()` hack);
    /// `None` when the path has no tokens or is a function path.
    pub(crate) fn with_wildcard(&self) -> Option<CompiledPath> {
        if self.tokens.is_empty() || self.function_path {
            return None;
        }
        let mut tokens = self.tokens.clone();
        tokens.push(Token::Wildcard);
        let mut p = CompiledPath::plain(self.root, tokens);
        p.is_root_path = self.is_root_path;
        // Jayway caches definiteness before appending the wildcard, so the
        // extended path keeps the original answer.
        p.definite = self.definite;
        for (k, u) in self.upstream_definite.iter().enumerate() {
            if let Some(slot) = p.upstream_definite.get_mut(k) {
                *slot = *u;
            }
        }
        if let Some(slot) = p.upstream_definite.last_mut() {
            *slot = true;
        }
        // `setNext` does not move the root's `tail`, so Jayway's deep-scan
        // index check still looks at the token before the original tail.
        p.tail_prev_index = self.tail_prev_index;
        Some(p)
    }

    pub(crate) fn is_leaf(&self, i: usize) -> bool {
        i + 1 >= self.tokens.len()
    }

    /// Jayway's `path.toString()`.
    pub(crate) fn render(&self) -> String {
        let mut s = String::new();
        s.push(self.root as char);
        for t in &self.tokens {
            s.push_str(&fragment(t));
        }
        s
    }

    /// Jayway's `toString()` of token `i` (its fragment and everything after).
    pub(crate) fn render_from(&self, i: usize) -> String {
        self.tokens.iter().skip(i).map(fragment).collect()
    }
}

/// Jayway's `getPathFragment()` of a token.
pub(crate) fn fragment(t: &Token) -> String {
    match t {
        Token::Property { props, delim } => {
            let d = *delim as char;
            let parts: Vec<String> = props
                .iter()
                .map(|p| format!("{d}{}{d}", p.replace('\\', "\\\\").replace('\'', "\\'")))
                .collect();
            format!("[{}]", parts.join(","))
        }
        Token::Index(ix) => {
            let parts: Vec<String> = ix.iter().map(|i| i.to_string()).collect();
            format!("[{}]", parts.join(","))
        }
        Token::Slice { from, to, .. } => format!(
            "[{}:{}]",
            // An open slice bound is written as nothing (`[:2]`).
            from.map(|v| v.to_string()).unwrap_or_default(),
            to.map(|v| v.to_string()).unwrap_or_default()
        ),
        Token::Wildcard => "[*]".to_string(),
        Token::Scan => "..".to_string(),
        Token::Predicate(_) => "[?]".to_string(),
        Token::Function { name, had_args, .. } => {
            format!(".{name}{}", if *had_args { "(...)" } else { "()" })
        }
    }
}

/// Filter expression (Jayway `ExpressionNode`).
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Rel { left: Operand, op: RelOp, right: Operand },
}

/// Compile-time value node of a filter.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Path {
        path: Box<CompiledPath>,
        exists_check: bool,
        should_exist: bool,
    },
    Null,
    Bool(bool),
    Str(String),
    Num(Decimal),
    /// Unparsed JSON literal text (`[...]` / `{...}`).
    Json(String),
    Pattern(Box<PatternNode>),
}

/// A compiled regular expression literal `/.../flags`.
#[derive(Debug, Clone)]
pub(crate) struct PatternNode {
    /// Anchored translation of the Java pattern (`Matcher.matches()`).
    pub(crate) regex: regex::Regex,
}

/// Jayway `RelationalOperator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RelOp {
    Gte,
    Lte,
    Eq,
    TsEq,
    Ne,
    TsNe,
    Lt,
    Gt,
    Regex,
    Nin,
    In,
    Contains,
    All,
    Size,
    Exists,
    Type,
    Matches,
    Empty,
    SubsetOf,
    AnyOf,
    NoneOf,
}

impl RelOp {
    /// `RelationalOperator.fromString` (case-insensitive, `Locale.ROOT`).
    pub(crate) fn from_str(s: &str) -> Option<RelOp> {
        let up = s.to_uppercase();
        Some(match up.as_str() {
            ">=" => RelOp::Gte,
            "<=" => RelOp::Lte,
            "==" => RelOp::Eq,
            "===" => RelOp::TsEq,
            "!=" => RelOp::Ne,
            "!==" => RelOp::TsNe,
            "<" => RelOp::Lt,
            ">" => RelOp::Gt,
            "=~" => RelOp::Regex,
            "NIN" => RelOp::Nin,
            "IN" => RelOp::In,
            "CONTAINS" => RelOp::Contains,
            "ALL" => RelOp::All,
            "SIZE" => RelOp::Size,
            "EXISTS" => RelOp::Exists,
            "TYPE" => RelOp::Type,
            "MATCHES" => RelOp::Matches,
            "EMPTY" => RelOp::Empty,
            "SUBSETOF" => RelOp::SubsetOf,
            "ANYOF" => RelOp::AnyOf,
            "NONEOF" => RelOp::NoneOf,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prop(p: &str) -> Token {
        Token::Property { props: vec![p.to_string()], delim: b'\'' }
    }

    #[test]
    fn definiteness_table() {
        let cases: Vec<(Vec<Token>, bool)> = vec![
            (vec![prop("a"), prop("b")], true),
            (vec![prop("a"), Token::Index(vec![0])], true),
            (vec![prop("a"), Token::Index(vec![0, 1])], false),
            (vec![Token::Wildcard], false),
            (vec![Token::Scan, prop("a")], false),
            (vec![Token::Property { props: vec!["a".into(), "b".into()], delim: b'\'' }], true),
            (vec![Token::Property { props: vec!["a".into(), "b".into()], delim: b'\'' }, prop("c")], false),
        ];
        for (tokens, want) in cases {
            let p = CompiledPath::new(b'$', tokens);
            assert_eq!(p.definite, want, "{}", p.render());
        }
    }

    #[test]
    fn scan_function_is_inverted() {
        let p = CompiledPath::new(
            b'$',
            vec![
                Token::Scan,
                prop("x"),
                Token::Function { name: "sum".into(), params: None, had_args: false },
            ],
        );
        assert!(p.function_path);
        assert!(p.definite);
        assert_eq!(p.tokens.len(), 1);
        assert_eq!(p.render(), "$.sum()");
    }

    #[test]
    fn relop_parsing_is_case_insensitive() {
        assert_eq!(RelOp::from_str("in"), Some(RelOp::In));
        assert_eq!(RelOp::from_str("AnyOf"), Some(RelOp::AnyOf));
        assert_eq!(RelOp::from_str("=<"), None);
    }
}
