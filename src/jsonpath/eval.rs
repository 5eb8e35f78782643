//! Path evaluation: the port of Jayway 2.10.0's path tokens and
//! `EvaluationContextImpl`.
//!
//! Owns: [`Options`], the evaluation context (results, current path for
//! messages / `AS_PATH_LIST`, the per-evaluation deep-scan
//! `upstreamArrayIndex` state), every token's `evaluate` (property, index,
//! slice, wildcard, deep scan, filter, function) and `getValue` semantics.
//! Recursion over documents and paths is counted and limited
//! ([`MAX_DEPTH`]), so hostile input returns [`Error::DepthLimit`] instead of
//! overflowing the stack.
//! Must not: refer to anything outside `crate::jsonpath`.

use std::borrow::Cow;
use std::cell::Cell;

use serde_json::{Map, Value};

use super::ast::{CompiledPath, Param, SliceKind, Token, fragment};
use super::error::Error;
use super::filter;
use super::functions::{self, Func, ParamValue};
use super::number::{clone_value, java_number_class, java_number_to_string};
use super::smart;

/// Maximum recursion depth (tokens, deep-scan levels and nested filter
/// evaluations combined).
pub const MAX_DEPTH: usize = 512;

/// Most evaluation steps (a token applied to a node, a deep-scan visit) one
/// path may take over one document, nested filter paths included: chained deep
/// scans (`$..a..a..a..a`, `$..[?(@..a)]`) multiply, and Jayway would run for
/// minutes or out of memory.
pub const MAX_STEPS: u64 = 20_000_000;

/// Most results one evaluation may collect (Jayway keeps duplicates that
/// chained deep scans find, so they are not removed).
pub const MAX_RESULTS: usize = 1_000_000;

/// Most JSON nodes the results may hold in all when they are returned (each
/// result is a copy of its subtree).
pub const MAX_RESULT_NODES: u64 = 8_000_000;

/// The bounds of one evaluation, shared by its nested filter and function
/// evaluations: the recursion depth, the steps taken and the results held.
#[derive(Debug)]
pub(crate) struct Budget {
    depth: Cell<usize>,
    steps: Cell<u64>,
    max_steps: u64,
}

impl Budget {
    /// A budget of `max_steps` steps (normally [`MAX_STEPS`]).
    pub(crate) fn new(max_steps: u64) -> Self {
        Self { depth: Cell::new(0), steps: Cell::new(0), max_steps }
    }

    /// The current recursion depth.
    pub(crate) fn get(&self) -> usize {
        self.depth.get()
    }

    /// Sets the recursion depth.
    pub(crate) fn set(&self, d: usize) {
        self.depth.set(d);
    }

    /// Steps left before the bound.
    fn steps_left(&self) -> u64 {
        self.max_steps.saturating_sub(self.steps.get())
    }

    /// The error past the step bound.
    fn steps_exceeded(&self) -> Error {
        Error::limit(format!(
            "the path took more than {} evaluation steps over this document (chained deep scans multiply)",
            self.max_steps
        ))
    }

    /// Charges `n` steps (copying results counts one step per JSON value copied).
    fn charge(&self, n: u64) -> Result<(), Error> {
        let total = self.steps.get().saturating_add(n);
        self.steps.set(total);
        if total > self.max_steps { Err(self.steps_exceeded()) } else { Ok(()) }
    }

    /// Counts one step, refusing past [`MAX_STEPS`] or with more than [`MAX_RESULTS`] results.
    fn step(&self, results: usize) -> Result<(), Error> {
        self.charge(1)?;
        if results > MAX_RESULTS {
            return Err(Error::limit(format!("the path found more than {MAX_RESULTS} results")));
        }
        Ok(())
    }
}

static NULL: Value = Value::Null;

/// Jayway `Option`s (all off = `Configuration.defaultConfiguration()`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// `Option.ALWAYS_RETURN_LIST`
    pub always_return_list: bool,
    /// `Option.SUPPRESS_EXCEPTIONS`
    pub suppress_exceptions: bool,
    /// `Option.DEFAULT_PATH_LEAF_TO_NULL`
    pub default_path_leaf_to_null: bool,
    /// `Option.REQUIRE_PROPERTIES`
    pub require_properties: bool,
    /// `Option.AS_PATH_LIST`
    pub as_path_list: bool,
}

impl Options {
    /// Parse Jayway option names (`"ALWAYS_RETURN_LIST"`, ...).
    pub fn from_names<'n>(names: impl IntoIterator<Item = &'n str>) -> Result<Options, String> {
        let mut o = Options::default();
        for n in names {
            match n {
                "ALWAYS_RETURN_LIST" => o.always_return_list = true,
                "SUPPRESS_EXCEPTIONS" => o.suppress_exceptions = true,
                "DEFAULT_PATH_LEAF_TO_NULL" => o.default_path_leaf_to_null = true,
                "REQUIRE_PROPERTIES" => o.require_properties = true,
                "AS_PATH_LIST" => o.as_path_list = true,
                other => return Err(format!("unknown JsonPath option '{other}'")),
            }
        }
        Ok(o)
    }
}

/// What filters and function arguments need from the enclosing evaluation.
#[derive(Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) root: &'a Value,
    pub(crate) opts: Options,
    pub(crate) depth: &'a Budget,
}

/// A segment of the current path (rendered only for messages / path lists).
#[derive(Clone, Copy, Debug)]
enum Seg<'a> {
    Prop(&'a str),
    Props(&'a [String]),
    Index(i64),
}

/// Evaluation context of one path over one document.
pub(crate) struct Ctx<'a> {
    root: &'a Value,
    opts: Options,
    depth: &'a Budget,
    path: &'a CompiledPath,
    pub(crate) results: Vec<Cow<'a, Value>>,
    pub(crate) result_paths: Vec<String>,
    want_paths: bool,
    cur: Vec<Seg<'a>>,
    upstream: Vec<i64>,
}

/// `CompiledPath.evaluate(document, rootDocument, configuration)`.
pub(crate) fn run<'a>(
    path: &'a CompiledPath,
    doc: &'a Value,
    root: &'a Value,
    opts: Options,
    depth: &'a Budget,
    want_paths: bool,
) -> Result<Ctx<'a>, Error> {
    if root.is_null() {
        return Err(Error::java("java.lang.IllegalArgumentException", "root can not be null"));
    }
    let mut ctx = Ctx {
        root,
        opts,
        depth,
        path,
        results: Vec::new(),
        result_paths: Vec::new(),
        want_paths,
        cur: Vec::new(),
        upstream: if path.has_scan { vec![-1; path.tokens.len()] } else { Vec::new() },
    };
    if path.tokens.is_empty() {
        ctx.add(Cow::Borrowed(doc), None);
    } else {
        ctx.eval_token(0, doc)?;
    }
    Ok(ctx)
}

/// `evaluate(doc, env.root, opts).getValue()`.
pub(crate) fn read_value<'a>(
    path: &'a CompiledPath,
    doc: &'a Value,
    env: &Env<'a>,
    opts: Options,
) -> Result<Cow<'a, Value>, Error> {
    let ctx = run(path, doc, env.root, opts, env.depth, false)?;
    ctx.value()
}

impl<'a> Ctx<'a> {
    /// `EvaluationContextImpl.getValue()`.
    pub(crate) fn value(self) -> Result<Cow<'a, Value>, Error> {
        if self.path.definite {
            match self.results.into_iter().next() {
                Some(v) => Ok(v),
                None => Err(Error::not_found(format!("No results for path: {}", self.path.render()))),
            }
        } else {
            // Every result is copied out: their nodes together are bounded, and each one
            // copied is a step (a filter's `@..a` copies its results every time it runs).
            let mut left = MAX_RESULT_NODES;
            for r in &self.results {
                let steps_left = self.depth.steps_left();
                match count_nodes_within(r, left.min(steps_left)) {
                    Some(n) => {
                        left -= n;
                        self.depth.charge(n)?;
                    }
                    None if steps_left < left => return Err(self.depth.steps_exceeded()),
                    None => {
                        return Err(Error::limit(format!(
                            "the results hold more than {MAX_RESULT_NODES} JSON values in all"
                        )));
                    }
                }
            }
            Ok(Cow::Owned(Value::Array(self.results.into_iter().map(owned).collect())))
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.results.is_empty()
    }

    fn env(&self) -> Env<'a> {
        Env { root: self.root, opts: self.opts, depth: self.depth }
    }

    fn render_cur(&self) -> String {
        let mut s = String::new();
        s.push(self.path.root as char);
        for seg in &self.cur {
            match seg {
                Seg::Prop(p) => {
                    s.push_str("['");
                    s.push_str(p);
                    s.push_str("']");
                }
                Seg::Props(ps) => {
                    let parts: Vec<String> = ps.iter().map(|p| format!("'{p}'")).collect();
                    s.push('[');
                    s.push_str(&parts.join(", "));
                    s.push(']');
                }
                Seg::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
            }
        }
        s
    }

    fn add(&mut self, v: Cow<'a, Value>, suffix: Option<&str>) {
        if self.want_paths {
            let mut p = self.render_cur();
            if let Some(sfx) = suffix {
                p.push('.');
                p.push_str(sfx);
            }
            self.result_paths.push(p);
        }
        self.results.push(v);
    }

    /// Run `f` with `seg` pushed on the current path, restoring it after.
    fn with_seg<R>(
        &mut self,
        seg: Seg<'a>,
        f: impl FnOnce(&mut Self) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let mark = self.cur.len();
        self.cur.push(seg);
        let r = f(self);
        self.cur.truncate(mark);
        r
    }

    fn upstream_index(&self, i: usize) -> i64 {
        self.upstream.get(i).copied().unwrap_or(-1)
    }

    fn set_upstream_index(&mut self, i: usize, v: i64) {
        if let Some(slot) = self.upstream.get_mut(i) {
            *slot = v;
        }
    }

    fn is_leaf(&self, i: usize) -> bool {
        self.path.is_leaf(i)
    }

    fn upstream_definite(&self, i: usize) -> bool {
        self.path.upstream_definite.get(i).copied().unwrap_or(true)
    }

    fn token_definite(&self, i: usize) -> bool {
        self.path.token_definite.get(i).copied().unwrap_or(true)
    }

    /// Leaf: add; otherwise evaluate the next token.
    fn next(&mut self, i: usize, v: &'a Value) -> Result<(), Error> {
        if self.is_leaf(i) {
            self.add(Cow::Borrowed(v), None);
            Ok(())
        } else {
            self.eval_token(i + 1, v)
        }
    }

    fn eval_token(&mut self, i: usize, model: &'a Value) -> Result<(), Error> {
        self.depth.step(self.results.len())?;
        let d = self.depth.get();
        if d >= MAX_DEPTH {
            return Err(Error::depth());
        }
        self.depth.set(d + 1);
        let r = self.eval_token_inner(i, model);
        self.depth.set(d);
        r
    }

    fn eval_token_inner(&mut self, i: usize, model: &'a Value) -> Result<(), Error> {
        let path: &'a CompiledPath = self.path;
        let Some(token) = path.tokens.get(i) else {
            return Ok(());
        };
        match token {
            Token::Property { props, .. } => self.eval_property(i, token, props, model),
            Token::Index(indexes) => {
                let Some(arr) = self.check_array_model(i, model)? else {
                    return Ok(());
                };
                for &ix in indexes {
                    self.handle_array_index(i, i64::from(ix), arr)?;
                }
                Ok(())
            }
            Token::Slice { from, to, kind } => {
                let Some(arr) = self.check_array_model(i, model)? else {
                    return Ok(());
                };
                self.eval_slice(i, *from, *to, *kind, arr)
            }
            Token::Wildcard => match model {
                Value::Object(map) => {
                    for (k, _) in map {
                        self.handle_object_property(i, map, k)?;
                    }
                    Ok(())
                }
                Value::Array(arr) => {
                    for idx in 0..arr.len() {
                        match self.handle_array_index(i, idx as i64, arr) {
                            Err(e) if e.is_not_found() && !self.opts.require_properties => {}
                            other => other?,
                        }
                    }
                    Ok(())
                }
                _ => Ok(()),
            },
            Token::Scan => {
                if self.is_leaf(i) {
                    return Err(Error::java(
                        "java.lang.IllegalStateException",
                        "Current path token is a leaf",
                    ));
                }
                self.walk(i + 1, model)
            }
            Token::Predicate(expr) => match model {
                Value::Object(_) => {
                    if self.accept(expr, model)? {
                        self.next(i, model)?;
                    }
                    Ok(())
                }
                Value::Array(arr) => {
                    for (idx, item) in arr.iter().enumerate() {
                        if self.accept(expr, item)? {
                            self.handle_array_index(i, idx as i64, arr)?;
                        }
                    }
                    Ok(())
                }
                _ => {
                    if self.upstream_definite(i) {
                        Err(Error::invalid_path(format!(
                            "Filter: {} can not be applied to primitives. Current context is: {}",
                            path.render_from(i),
                            java_to_string(model)
                        )))
                    } else {
                        Ok(())
                    }
                }
            },
            Token::Function { name, params, .. } => self.eval_function(i, name, params, model),
        }
    }

    fn eval_property(
        &mut self,
        i: usize,
        token: &'a Token,
        props: &'a [String],
        model: &'a Value,
    ) -> Result<(), Error> {
        let Value::Object(map) = model else {
            if !self.upstream_definite(i) || self.opts.suppress_exceptions {
                return Ok(());
            }
            return Err(Error::not_found(format!(
                "Expected to find an object with property {} in path {} but found '{}'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.",
                fragment(token),
                self.render_cur(),
                java_class_name(model)
            )));
        };
        if props.len() == 1 {
            return self.handle_object_property(i, map, &props[0]);
        }
        if self.is_leaf(i) {
            return self.merge_properties(map, props);
        }
        for p in props {
            self.handle_object_property(i, map, p)?;
        }
        Ok(())
    }

    /// `PathToken.handleObjectProperty` for a single property.
    fn handle_object_property(
        &mut self,
        i: usize,
        map: &'a Map<String, Value>,
        prop: &'a str,
    ) -> Result<(), Error> {
        self.with_seg(Seg::Prop(prop), |ctx| {
            let leaf = ctx.is_leaf(i);
            let val: &'a Value = match map.get(prop) {
                Some(v) => v,
                None => {
                    let o = ctx.opts;
                    if leaf {
                        if o.default_path_leaf_to_null {
                            &NULL
                        } else if o.suppress_exceptions || !o.require_properties {
                            return Ok(());
                        } else {
                            return Err(Error::not_found(format!(
                                "No results for path: {}",
                                ctx.render_cur()
                            )));
                        }
                    } else if o.suppress_exceptions
                        || !(o.require_properties || ctx.upstream_definite(i) && ctx.token_definite(i))
                    {
                        return Ok(());
                    } else {
                        return Err(Error::not_found(format!(
                            "Missing property in path {}",
                            ctx.render_cur()
                        )));
                    }
                }
            };
            if leaf {
                let idx = ctx.upstream_index(i);
                if idx == -1 || ctx.path.tail_prev_index == Some(idx) {
                    ctx.add(Cow::Borrowed(val), None);
                }
                Ok(())
            } else {
                ctx.eval_token(i + 1, val)
            }
        })
    }

    fn merge_properties(&mut self, map: &'a Map<String, Value>, props: &'a [String]) -> Result<(), Error> {
        self.with_seg(Seg::Props(props), |ctx| {
            let mut merged = Map::new();
            for p in props {
                match map.get(p) {
                    Some(v) => {
                        merged.insert(p.clone(), clone_value(v));
                    }
                    None => {
                        if ctx.opts.default_path_leaf_to_null {
                            merged.insert(p.clone(), Value::Null);
                        } else if ctx.opts.require_properties {
                            return Err(Error::not_found(format!(
                                "Missing property in path {}",
                                ctx.render_cur()
                            )));
                        }
                    }
                }
            }
            ctx.add(Cow::Owned(Value::Object(merged)), None);
            Ok(())
        })
    }

    /// `ArrayPathToken.checkArrayModel`.
    fn check_array_model(&self, i: usize, model: &'a Value) -> Result<Option<&'a Vec<Value>>, Error> {
        match model {
            Value::Array(a) => Ok(Some(a)),
            Value::Null => {
                if !self.upstream_definite(i) || self.opts.suppress_exceptions {
                    Ok(None)
                } else {
                    Err(Error::not_found(format!("The path {} is null", self.render_cur())))
                }
            }
            other => {
                if !self.upstream_definite(i) || self.opts.suppress_exceptions {
                    Ok(None)
                } else {
                    Err(Error::not_found(format!(
                        "Filter: {} can only be applied to arrays. Current context is: {}",
                        self.path.render_from(i),
                        java_to_string(other)
                    )))
                }
            }
        }
    }

    /// `PathToken.handleArrayIndex` (negative indexes count from the end;
    /// out-of-bounds access is silently skipped, as is any
    /// `IndexOutOfBoundsException` raised further down the chain).
    fn handle_array_index(&mut self, i: usize, index: i64, arr: &'a [Value]) -> Result<(), Error> {
        let len = arr.len() as i64;
        let eff = if index < 0 { len + index } else { index };
        let r = self.with_seg(Seg::Index(index), |ctx| {
            if eff < 0 || eff >= len {
                return Ok(());
            }
            let Some(v) = arr.get(eff as usize) else {
                return Ok(());
            };
            ctx.next(i, v)
        });
        match r {
            Err(e) if e.is_index_out_of_bounds() => Ok(()),
            other => other,
        }
    }

    fn eval_slice(
        &mut self,
        i: usize,
        from: Option<i32>,
        to: Option<i32>,
        kind: SliceKind,
        arr: &'a [Value],
    ) -> Result<(), Error> {
        let len = arr.len() as i64;
        let (start, end) = match kind {
            SliceKind::From => {
                let mut f = i64::from(from.unwrap_or(0));
                if f < 0 {
                    f += len;
                }
                let f = f.max(0);
                if len == 0 || f >= len {
                    return Ok(());
                }
                (f, len)
            }
            SliceKind::Between => {
                let f = i64::from(from.unwrap_or(0));
                let t = i64::from(to.unwrap_or(0)).min(len);
                if f >= t || len == 0 {
                    return Ok(());
                }
                (f, t)
            }
            SliceKind::To => {
                if len == 0 {
                    return Ok(());
                }
                let mut t = i64::from(to.unwrap_or(0));
                if t < 0 {
                    t += len;
                }
                (0, t.min(len))
            }
        };
        let mut k = start;
        while k < end {
            self.handle_array_index(i, k, arr)?;
            k += 1;
        }
        Ok(())
    }

    fn accept(&mut self, expr: &'a super::ast::Expr, item: &'a Value) -> Result<bool, Error> {
        let env = self.env();
        match filter::apply(expr, item, &env) {
            Ok(b) => Ok(b),
            Err(e) if e.is_invalid_path() => Ok(false),
            Err(e) => Err(e),
        }
    }

    // ---- deep scan -------------------------------------------------------

    fn scan_matches(&mut self, pt: usize, model: &'a Value) -> Result<bool, Error> {
        let path: &'a CompiledPath = self.path;
        Ok(match path.tokens.get(pt) {
            Some(Token::Property { props, .. }) => {
                let Value::Object(map) = model else {
                    return Ok(false);
                };
                if !self.token_definite(pt) {
                    return Ok(true);
                }
                if self.is_leaf(pt) && self.opts.default_path_leaf_to_null {
                    return Ok(true);
                }
                props.iter().all(|p| map.contains_key(p))
            }
            Some(Token::Index(_) | Token::Slice { .. }) => model.is_array(),
            Some(Token::Wildcard) => true,
            Some(Token::Predicate(expr)) => self.accept(expr, model)?,
            _ => false,
        })
    }

    fn walk(&mut self, pt: usize, model: &'a Value) -> Result<(), Error> {
        self.depth.step(self.results.len())?;
        let d = self.depth.get();
        if d >= MAX_DEPTH {
            return Err(Error::depth());
        }
        self.depth.set(d + 1);
        let r = match model {
            Value::Object(map) => self.walk_object(pt, map, model),
            Value::Array(arr) => self.walk_array(pt, arr, model),
            _ => Ok(()),
        };
        self.depth.set(d);
        r
    }

    fn walk_object(&mut self, pt: usize, map: &'a Map<String, Value>, model: &'a Value) -> Result<(), Error> {
        if self.scan_matches(pt, model)? {
            self.eval_token(pt, model)?;
        }
        for (k, v) in map {
            self.with_seg(Seg::Prop(k), |ctx| ctx.walk(pt, v))?;
        }
        Ok(())
    }

    fn walk_array(&mut self, pt: usize, arr: &'a [Value], model: &'a Value) -> Result<(), Error> {
        if self.scan_matches(pt, model)? {
            if self.is_leaf(pt) {
                self.eval_token(pt, model)?;
            } else {
                let next = pt + 1;
                for (idx, e) in arr.iter().enumerate() {
                    self.set_upstream_index(next, idx as i64);
                    self.with_seg(Seg::Index(idx as i64), |ctx| ctx.eval_token(next, e))?;
                }
            }
        }
        for (idx, e) in arr.iter().enumerate() {
            self.with_seg(Seg::Index(idx as i64), |ctx| ctx.walk(pt, e))?;
        }
        Ok(())
    }

    // ---- functions -------------------------------------------------------

    fn eval_function(
        &mut self,
        i: usize,
        name: &'a str,
        params: &'a Option<Vec<Param>>,
        model: &'a Value,
    ) -> Result<(), Error> {
        let Some(func) = functions::lookup(name) else {
            return Err(Error::invalid_path(format!("Function with name: {name} does not exist.")));
        };
        let env = self.env();
        // evaluateParameters: path arguments are evaluated against the root
        // document right away; JSON arguments are parsed when consumed.
        let mut values: Vec<ParamValue<'a>> = Vec::new();
        if let Some(ps) = params {
            for p in ps {
                values.push(match p {
                    Param::Path { path, .. } => {
                        ParamValue::Value(read_value(path, env.root, &env, env.opts)?)
                    }
                    Param::Json(text) => match smart::parse_permissive(text) {
                        Ok(v) => ParamValue::Value(Cow::Owned(v)),
                        Err(e) => ParamValue::Invalid(Error::InvalidJson {
                            message: format!("net.minidev.json.parser.ParseException: {}", e.0),
                        }),
                    },
                });
            }
        }
        let result = if func == Func::Length {
            self.length(params.as_deref(), model)?
        } else {
            functions::apply(func, model, params.as_ref().map(|_| values.as_slice()))?
        };
        if self.is_leaf(i) {
            self.add(Cow::Owned(result), Some(name));
            return Ok(());
        }
        self.add(Cow::Owned(clone_value(&result)), Some(name));
        // Evaluate the rest of the chain on the (owned) function result.
        let value = result;
        let mut child = Ctx {
            root: self.root,
            opts: self.opts,
            depth: self.depth,
            path: self.path,
            results: Vec::new(),
            result_paths: Vec::new(),
            want_paths: self.want_paths,
            cur: self.cur.clone(),
            upstream: std::mem::take(&mut self.upstream),
        };
        let r = child.eval_token(i + 1, &value);
        let Ctx { results, result_paths, upstream, .. } = child;
        self.upstream = upstream;
        self.results.extend(results.into_iter().map(|v| Cow::Owned(owned(v))));
        self.result_paths.extend(result_paths);
        r
    }

    /// Jayway's `Length` function, including its treatment of a path
    /// argument (evaluated against the current model with `[*]` appended).
    fn length(&mut self, params: Option<&'a [Param]>, model: &'a Value) -> Result<Value, Error> {
        if let Some(first) = params.and_then(|p| p.first()) {
            match first {
                Param::Json(_) => {
                    return Err(Error::java(
                        "java.lang.NullPointerException",
                        "Cannot invoke \"com.jayway.jsonpath.internal.Path.isFunctionPath()\" because the return value of \"com.jayway.jsonpath.internal.function.Parameter.getPath()\" is null",
                    ));
                }
                Param::Path { path, with_wildcard } => {
                    let p: &'a CompiledPath = match with_wildcard {
                        Some(w) => w,
                        None => path,
                    };
                    let env = Env { root: model, opts: self.opts, depth: self.depth };
                    let inner = read_value(p, model, &env, self.opts)?;
                    if let Value::Array(a) = inner.as_ref() {
                        return Ok(Value::from(a.len()));
                    }
                }
            }
        }
        Ok(match model {
            Value::Array(a) => Value::from(a.len()),
            Value::Object(m) => Value::from(m.len()),
            _ => Value::Null,
        })
    }
}

/// The JSON values in `v` (itself included), counted without recursion; `None`
/// past `limit`.
fn count_nodes_within(v: &Value, limit: u64) -> Option<u64> {
    let mut n = 0u64;
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        n += 1;
        if n > limit {
            return None;
        }
        match x {
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    Some(n)
}

/// Take ownership of a result without recursive cloning.
pub(crate) fn owned(v: Cow<'_, Value>) -> Value {
    match v {
        Cow::Borrowed(b) => clone_value(b),
        Cow::Owned(o) => o,
    }
}

/// Java class name of a json-smart value (for messages).
pub(crate) fn java_class_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Number(n) => java_number_class(n).name(),
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "net.minidev.json.JSONArray",
        Value::Object(_) => "java.util.LinkedHashMap",
    }
}

/// Java `toString()` of a json-smart value (for messages and `concat()`):
/// maps print as `{k=v, ...}`, arrays as compact JSON.
pub(crate) fn java_to_string(v: &Value) -> String {
    let mut out = String::new();
    write_java(v, &mut out, 0);
    out
}

fn write_java(v: &Value, out: &mut String, depth: usize) {
    if depth > 64 {
        out.push_str("...");
        return;
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&java_number_to_string(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(_) => write_json(v, out, depth),
        Value::Object(m) => {
            out.push('{');
            for (k, (key, val)) in m.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                write_java(val, out, depth + 1);
            }
            out.push('}');
        }
    }
}

fn write_json(v: &Value, out: &mut String, depth: usize) {
    if depth > 64 {
        out.push_str("...");
        return;
    }
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => write_java(v, out, depth),
        Value::String(s) => {
            out.push_str(&Value::String(s.clone()).to_string());
        }
        Value::Array(a) => {
            out.push('[');
            for (k, e) in a.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_json(e, out, depth + 1);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (k, (key, val)) in m.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_json(val, out, depth + 1);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonpath::JsonPath;
    use serde_json::json;

    fn eval(path: &str, doc: &Value) -> Result<Value, String> {
        JsonPath::parse(path)
            .and_then(|p| p.evaluate(doc))
            .map_err(|e| e.java_class().rsplit('.').next().unwrap_or("").to_string())
    }

    #[test]
    fn jayway_quirks_table() {
        let doc = json!({
            "arr": [1, 2, 3, 4],
            "nested": [[1, 2], [3]],
            "objs": [{"a": 1, "b": {"a": 2}}, {"a": 3}],
            "m": {"x": {"y": 1}},
            "s": "str",
            "n": null
        });
        let cases: Vec<(&str, Result<Value, &str>)> = vec![
            // slices: Jayway does not normalise a negative start in [a:b]
            ("$.arr[-2:2]", Ok(json!([3, 4, 1, 2]))),
            ("$.arr[1:-1]", Ok(json!([]))),
            ("$.arr[:-1]", Ok(json!([1, 2, 3]))),
            ("$.arr[-1:]", Ok(json!([4]))),
            ("$.arr[1:2:3]", Ok(json!([2]))),
            // negative index and out of bounds
            ("$.arr[-1]", Ok(json!(4))),
            ("$.arr[9]", Err("PathNotFoundException")),
            ("$.arr[9,0]", Ok(json!([1]))),
            // wrong types in definite paths
            ("$.arr.x", Err("PathNotFoundException")),
            ("$.m[0]", Err("PathNotFoundException")),
            ("$.n.x", Err("PathNotFoundException")),
            ("$.n[0]", Err("PathNotFoundException")),
            ("$.s[?(@.a)]", Err("InvalidPathException")),
            // ... but skipped in indefinite paths
            ("$.objs[*].b.a", Ok(json!([2]))),
            ("$.*.x", Ok(json!([json!({"y": 1})]))),
            // deep scan order: node first, then children in document order
            ("$..a", Ok(json!([1, 2, 3]))),
            ("$.objs..a", Ok(json!([1, 2, 3]))),
            // `..[n].prop` only keeps element n (Jayway's upstreamArrayIndex)
            ("$..[0].a", Ok(json!([1]))),
            ("$..[1].a", Ok(json!([3]))),
            // multi-property leaf merges into an object
            ("$.m['x','zz']", Ok(json!({"x": {"y": 1}}))),
            ("$.objs[*]['a','zz']", Ok(json!([{"a": 1}, {"a": 3}]))),
            // functions
            ("$.arr.length()", Ok(json!(4))),
            ("$.m.length()", Ok(json!(1))),
            ("$.s.length()", Ok(Value::Null)),
            ("$.arr.sum()", Ok(json!(10.0))),
            ("$..a.sum()", Ok(json!(6.0))),
            ("$..arr.length()", Ok(json!(4))),
            ("$.nested[*].length()", Ok(json!([2, 1]))),
            ("$.arr.length().x", Err("PathNotFoundException")),
            ("$.arr.nosuch()", Err("InvalidPathException")),
            ("$..length()", Err("IllegalStateException")),
        ];
        for (path, want) in cases {
            let got = eval(path, &doc);
            match (&got, &want) {
                (Ok(v), Ok(w)) => assert_eq!(v, w, "{path}"),
                (Err(e), Err(w)) => assert_eq!(e, w, "{path}"),
                _ => panic!("{path}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn filters_table() {
        let doc = json!({"items": [
            {"id": 0, "n": 5, "s": "5", "t": ["a", "b"]},
            {"id": 1, "n": 5.0, "s": "abc", "t": []},
            {"id": 2, "n": "5", "s": null},
            {"id": 3}
        ]});
        let cases: Vec<(&str, Value)> = vec![
            ("$.items[?(@.n == 5)].id", json!([0, 1, 2])),
            ("$.items[?(@.n === 5)].id", json!([0, 1])),
            ("$.items[?(@.s == 5)].id", json!([0])),
            ("$.items[?(@.n > 4)].id", json!([0, 1])),
            ("$.items[?(@.s)].id", json!([0, 1, 2])),
            ("$.items[?(!@.s)].id", json!([3])),
            ("$.items[?(@.s == null)].id", json!([2])),
            ("$.items[?(@.s =~ /A.*/i)].id", json!([1])),
            ("$.items[?(@.t size 2)].id", json!([0])),
            ("$.items[?(@.t empty true)].id", json!([1])),
            ("$.items[?(@.t anyof ['b'])].id", json!([0])),
            ("$.items[?(@.t noneof ['b'])].id", json!([1])),
            ("$.items[?(@.t subsetof ['a','b','c'])].id", json!([0, 1])),
            ("$.items[?(@.id in [1, 3])].id", json!([1, 3])),
            ("$.items[?(@.id nin [1, 3])].id", json!([0, 2])),
            ("$.items[?(@.n == 5 && @.s)].id", json!([0, 1, 2])),
            ("$.items[?(@.id == 0 || @.id == 3)].id", json!([0, 3])),
            ("$.items[?(!(@.id > 0))].id", json!([0])),
        ];
        for (path, want) in cases {
            assert_eq!(eval(path, &doc), Ok(want), "{path}");
        }
    }

    #[test]
    fn option_names() {
        assert!(Options::from_names(["NOPE"]).is_err());
        let o = Options::from_names(["AS_PATH_LIST", "SUPPRESS_EXCEPTIONS"]).unwrap();
        assert!(o.as_path_list && o.suppress_exceptions && !o.always_return_list);
    }

    #[test]
    fn java_to_string_forms() {
        let cases = [
            (json!({"a": 1, "b": [1, "x"]}), "{a=1, b=[1,\"x\"]}"),
            (json!(1.0), "1.0"),
            (json!("s"), "s"),
            (Value::Null, "null"),
        ];
        for (v, want) in cases {
            assert_eq!(java_to_string(&v), want);
        }
    }
}

#[cfg(test)]
mod limit_tests {
    use crate::jsonpath::{Error, JsonPath, Options};
    use serde_json::{Value, json};

    fn chain(depth: usize) -> Value {
        let mut v = json!({"b": 1});
        for _ in 0..depth {
            v = json!({"a": v, "b": 1});
        }
        v
    }

    fn tree(depth: usize, width: usize) -> Value {
        if depth == 0 {
            return json!({"a": 1});
        }
        json!({"a": (0..width).map(|_| tree(depth - 1, width)).collect::<Vec<_>>()})
    }

    fn read(path: &str, doc: &Value) -> Result<Value, Error> {
        JsonPath::parse(path).and_then(|p| p.evaluate_with(doc, &Options::default()))
    }

    /// Class 3: chained deep scans whose results multiply stop at the result bound, and
    /// filters that deep-scan inside deep scans stop at the step bound — fast, with a
    /// `gcsync.jsonpath.LimitExceeded` error; one scan over the same documents still works.
    #[test]
    fn chained_deep_scans_are_bounded() {
        let doc = chain(60);
        let started = std::time::Instant::now();
        let e = read("$..a..a..a..a", &doc).unwrap_err();
        assert_eq!(e.java_class(), "gcsync.jsonpath.LimitExceeded", "{e:?}");
        assert!(e.message().contains("JSON values in all"), "{e:?}");
        // The step bound, made small so that a debug build reaches it fast.
        let path = "$..[?(@..a)]..[?(@..a)]..[?(@..a)]..[?(@..a)]";
        let e = JsonPath::parse(path)
            .unwrap()
            .evaluate_within(&tree(5, 6), &Options::default(), 200_000)
            .unwrap_err();
        assert_eq!(e.java_class(), "gcsync.jsonpath.LimitExceeded", "{e:?}");
        assert!(e.message().contains("evaluation steps"), "{e:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
        let one = read("$..b", &doc).unwrap();
        assert_eq!(one.as_array().map(Vec::len), Some(61));
    }
}
