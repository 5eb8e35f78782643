//! Renderer: walks the AST with Velocity 1.7's runtime semantics (reference
//! resolution and null rendering, strict references, `#set` null rule, `#if`
//! truthiness, comparisons and `MathUtils` arithmetic, `#foreach` with
//! `$foreach`/`$velocityCount`, `#break`/`#stop`, `#define`, `#evaluate`,
//! `#literal`, inline macros) under a fuel and output budget.
//!
//! Owns: render-time state (variable overlay, frames, macros), control flow.
//! Must not touch: parsing rules, Java method semantics (`methods.rs`), tools.

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::*;
use super::error::{Error, ErrorKind};
use super::methods::{self, Invoke};
use super::value::{ForeachScope, MAX_VALUE_DEPTH, Object, ObjectKind, ShapeLimit, Value, ValueMap};
use super::{Context, RenderOptions, UndefinedBehavior};

/// Non-local exits: errors and Velocity's `StopCommand`.
pub(crate) enum Flow {
    Err(Error),
    /// `#stop` (caught by `#evaluate` or the template).
    StopAll,
    /// `#break` without argument (nearest foreach/macro/evaluate/define).
    BreakNearest,
    /// `#break($scope)`: the scope id to stop.
    BreakScope(u64),
}

impl From<Error> for Flow {
    fn from(e: Error) -> Self {
        Flow::Err(e)
    }
}

type R<T> = Result<T, Flow>;

#[derive(Clone)]
struct MacroDef {
    params: Vec<String>,
    body: Arc<Block>,
}

struct Frame {
    /// `true` for `#evaluate` (every `#set` is local); `false` for macro calls
    /// (only the macro's own argument names are local).
    local_all: bool,
    vars: HashMap<String, Option<Value>>,
    /// `.literal.$name` entries: literal of the caller's argument.
    literals: HashMap<String, String>,
}

#[derive(Clone)]
enum Step {
    Key(Value),
    Idx(usize),
}

pub(crate) struct Renderer<'a> {
    name: &'a str,
    base: &'a Context,
    overlay: HashMap<String, Option<Value>>,
    frames: Vec<Frame>,
    strict: bool,
    fuel: u64,
    max_out: usize,
    macros: HashMap<String, MacroDef>,
    depth: usize,
    macro_depth: usize,
    scope_ids: u64,
    /// Scope ids of the foreach loops currently running.
    max_depth: usize,
    /// Bytes this evaluation allocated so far for strings and container elements (see
    /// [`MAX_ALLOC_BYTES`]).
    allocated: u64,
}

const MAX_RENDER_DEPTH: usize = 100;

/// The memory budget of one evaluation: the bytes it may allocate in all for strings and
/// container elements (cumulative, so a loop that keeps building large values runs out even
/// when each one is small enough).
pub(crate) const MAX_ALLOC_BYTES: u64 = 256 * 1024 * 1024;

/// What one container element costs against [`MAX_ALLOC_BYTES`].
const ELEMENT_BYTES: u64 = std::mem::size_of::<Value>() as u64;

/// Methods whose work grows with the whole structure of their receiver (`equals`,
/// `hashCode`, `toString` and the searches): its container nodes are charged to the fuel
/// before they run (every method's arguments are).
const WALKING_METHODS: [&str; 11] = [
    "equals",
    "hashCode",
    "toString",
    "contains",
    "containsAll",
    "containsValue",
    "indexOf",
    "lastIndexOf",
    "remove",
    "removeAll",
    "retainAll",
];

impl<'a> Renderer<'a> {
    pub(crate) fn new(name: &'a str, base: &'a Context, opts: &RenderOptions) -> Self {
        Renderer {
            name,
            base,
            overlay: HashMap::new(),
            frames: Vec::new(),
            strict: opts.undefined == UndefinedBehavior::Strict,
            fuel: opts.fuel,
            max_out: opts.max_output_bytes,
            macros: HashMap::new(),
            depth: 0,
            macro_depth: 0,
            scope_ids: 0,
            max_depth: MAX_RENDER_DEPTH,
            allocated: 0,
        }
    }

    /// Charges `bytes` of allocation to the evaluation's memory budget.
    fn alloc(&mut self, bytes: u64, pos: Pos) -> R<()> {
        self.allocated = self.allocated.saturating_add(bytes);
        if self.allocated > MAX_ALLOC_BYTES {
            return Err(self.err(
                ErrorKind::MemoryLimit,
                format!("Template exceeded its memory budget ({} MiB per evaluation)", MAX_ALLOC_BYTES >> 20),
                pos,
            ));
        }
        Ok(())
    }

    /// Admits a value about to sit `above` levels deep inside another: its container nodes
    /// are charged to the fuel (a structure sharing itself counts every time it appears), and
    /// the nesting it reaches must stay within [`MAX_VALUE_DEPTH`].
    fn admit(&mut self, v: &Value, above: usize, pos: Pos) -> R<()> {
        match v.shape(MAX_VALUE_DEPTH.saturating_sub(above), self.fuel) {
            Ok(s) => self.burn(s.nodes),
            Err(ShapeLimit::Nodes) => self.burn(self.fuel.saturating_add(1)),
            Err(ShapeLimit::Depth) => Err(self.err(
                ErrorKind::MemoryLimit,
                format!("Value nested too deeply (limit {MAX_VALUE_DEPTH} levels of lists and maps)"),
                pos,
            )),
        }
    }

    fn err(&self, kind: ErrorKind, msg: impl Into<String>, pos: Pos) -> Flow {
        Flow::Err(Error::new(kind, msg, Some(self.name), pos.line, pos.col))
    }

    fn burn(&mut self, n: u64) -> R<()> {
        if self.fuel < n {
            self.fuel = 0;
            return Err(Flow::Err(Error::new(
                ErrorKind::FuelExhausted,
                "Template exceeded its fuel budget (runaway loop or recursion)",
                Some(self.name),
                0,
                0,
            )));
        }
        self.fuel -= n;
        Ok(())
    }

    fn write(&mut self, out: &mut String, s: &str) -> R<()> {
        if out.len() + s.len() > self.max_out {
            return Err(Flow::Err(Error::new(
                ErrorKind::OutputLimit,
                format!("Template output exceeded {} bytes", self.max_out),
                Some(self.name),
                0,
                0,
            )));
        }
        out.push_str(s);
        Ok(())
    }

    /// Bound intermediate strings (string literals, concatenation, method
    /// results) by the output limit and charge fuel for their size.
    fn check_size(&mut self, len: usize, pos: Pos) -> R<()> {
        if len > self.max_out {
            return Err(self.err(
                ErrorKind::OutputLimit,
                format!("Intermediate string exceeded {} bytes", self.max_out),
                pos,
            ));
        }
        self.alloc(len as u64, pos)?;
        self.burn((len / 256) as u64)
    }

    fn enter(&mut self, pos: Pos) -> R<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(self.err(ErrorKind::FuelExhausted, "Template evaluation nested too deeply", pos));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ------------------------------------------------------------- variables

    /// `context.get(name)`: `None` when absent, `Some(Null)` when present-but-null.
    fn get_var(&self, name: &str) -> Option<Value> {
        for f in self.frames.iter().rev() {
            if let Some(v) = f.vars.get(name) {
                return v.clone();
            }
        }
        if let Some(v) = self.overlay.get(name) {
            return v.clone();
        }
        self.base.vars.get(name).cloned()
    }

    fn put_var(&mut self, name: &str, v: Option<Value>) {
        for f in self.frames.iter_mut().rev() {
            if f.local_all || f.vars.contains_key(name) {
                f.vars.insert(name.to_string(), v);
                return;
            }
        }
        self.overlay.insert(name.to_string(), v);
    }

    fn var_mut(&mut self, name: &str) -> Option<&mut Value> {
        let fi = self.frames.iter().rposition(|f| f.vars.get(name).is_some_and(|v| v.is_some()));
        if let Some(i) = fi {
            return self.frames.get_mut(i)?.vars.get_mut(name)?.as_mut();
        }
        if !self.overlay.contains_key(name) {
            let v = self.base.vars.get(name)?.clone();
            self.overlay.insert(name.to_string(), Some(v));
        }
        self.overlay.get_mut(name)?.as_mut()
    }

    fn place_mut(&mut self, root: &str, steps: &[Step]) -> Option<&mut Value> {
        let mut cur = self.var_mut(root)?;
        for s in steps {
            cur = match (cur, s) {
                (Value::Map(m), Step::Key(k)) => Arc::make_mut(m).get_mut(k)?,
                (Value::List(l), Step::Idx(i)) => Arc::make_mut(l).get_mut(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    fn literal_override(&self, null_string: &str) -> Option<String> {
        for f in self.frames.iter().rev() {
            if let Some(l) = f.literals.get(null_string) {
                return Some(l.clone());
            }
        }
        None
    }

    // ------------------------------------------------------------------ init

    /// The parts of Velocity's tree `init()` that matter at render time:
    /// directive argument validation and macro registration.
    pub(crate) fn init_block(&mut self, b: &Block) -> R<()> {
        for n in &b.0 {
            self.init_node(n)?;
        }
        Ok(())
    }

    fn init_expr(&mut self, e: &Expr) -> R<()> {
        match &e.kind {
            ExprKind::Str(s) => {
                if let Some(t) = &s.tree {
                    self.init_block(t)?;
                }
            }
            ExprKind::Ref(r) => self.init_ref(r)?,
            ExprKind::Range(a, b) | ExprKind::Bin(_, a, b) => {
                self.init_expr(a)?;
                self.init_expr(b)?;
            }
            ExprKind::Map(es) => {
                for (k, v) in es {
                    self.init_expr(k)?;
                    self.init_expr(v)?;
                }
            }
            ExprKind::List(es) => {
                for x in es {
                    self.init_expr(x)?;
                }
            }
            ExprKind::Group(x) | ExprKind::Not(x) => self.init_expr(x)?,
            _ => {}
        }
        Ok(())
    }

    fn init_ref(&mut self, r: &RefNode) -> R<()> {
        for p in &r.parts {
            match p {
                RefPart::Method { args, .. } => {
                    for a in args {
                        self.init_expr(a)?;
                    }
                }
                RefPart::Index { arg, .. } => self.init_expr(arg)?,
                RefPart::Ident { .. } => {}
            }
        }
        Ok(())
    }

    fn init_node(&mut self, n: &Node) -> R<()> {
        match n {
            Node::Text(_) => Ok(()),
            Node::Ref(r) => self.init_ref(r),
            Node::If(i) => {
                self.init_expr(&i.cond)?;
                self.init_block(&i.then)?;
                for (c, b) in &i.elseifs {
                    self.init_expr(c)?;
                    self.init_block(b)?;
                }
                if let Some(o) = &i.otherwise {
                    self.init_block(o)?;
                }
                Ok(())
            }
            Node::Set(s) => {
                self.init_ref(&s.left)?;
                self.init_expr(&s.right)
            }
            Node::Directive(d) => self.init_directive(d),
        }
    }

    fn init_directive(&mut self, d: &DirNode) -> R<()> {
        for a in &d.args {
            self.init_expr(a)?;
        }
        if let Some(b) = &d.body {
            self.init_block(b)?;
        }
        match d.kind {
            DirKind::Foreach if !d.has_parens => Err(self.err(
                ErrorKind::JavaRuntime("java.lang.NullPointerException"),
                "Cannot load from object array because \"this.children\" is null",
                d.pos,
            )),
            DirKind::Literal if !d.has_parens || (d.args.is_empty() && d.body_literal.is_none()) => Err(self
                .err(
                    ErrorKind::JavaRuntime("java.lang.NullPointerException"),
                    "#literal without arguments",
                    d.pos,
                )),
            DirKind::Break | DirKind::Stop if d.args.len() > 1 => Err(self.err(
                ErrorKind::Velocity,
                format!("The #{} directive only accepts a single argument", d.name),
                d.pos,
            )),
            DirKind::Define => {
                let kids = d.args.len() + usize::from(d.body.is_some());
                if kids != 2 {
                    return Err(self.err(ErrorKind::Velocity, "parameter missing: block name", d.pos));
                }
                Ok(())
            }
            DirKind::Evaluate => {
                let ok = d.args.len() == 1 && matches!(d.args[0].kind, ExprKind::Str(_) | ExprKind::Ref(_));
                if !ok {
                    return Err(self.err(
                        ErrorKind::Parse,
                        "#evaluate() requires exactly one argument (string literal or reference)",
                        d.pos,
                    ));
                }
                Ok(())
            }
            DirKind::Macro => {
                if let (Some(first), Some(body)) = (d.args.first(), &d.body)
                    && let ExprKind::Word(name) = &first.kind
                {
                    let params = d.args[1..]
                        .iter()
                        .map(|a| {
                            let img = match &a.kind {
                                ExprKind::Ref(r) => r.first_image.clone(),
                                _ => a.literal.to_string(),
                            };
                            img.strip_prefix('$').map(str::to_string).unwrap_or(img)
                        })
                        .collect();
                    self.macros
                        .entry(name.clone())
                        .or_insert(MacroDef { params, body: Arc::new(body.clone()) });
                }
                Ok(())
            }
            DirKind::MacroCall if self.strict && d.strict_candidate => {
                if let Some(w) = d.args.iter().find(|a| matches!(a.kind, ExprKind::Word(_))) {
                    return Err(self.err(
                        ErrorKind::Parse,
                        format!("Invalid arg '{}' in macro #{}", w.literal, d.name),
                        d.pos,
                    ));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    // ---------------------------------------------------------------- render

    pub(crate) fn render_block(&mut self, b: &Block, out: &mut String) -> R<()> {
        for n in &b.0 {
            self.render_node(n, out)?;
        }
        Ok(())
    }

    fn render_node(&mut self, n: &Node, out: &mut String) -> R<()> {
        self.burn(1)?;
        match n {
            Node::Text(t) => self.write(out, t),
            Node::Ref(r) => self.render_ref(r, out),
            Node::If(i) => {
                if self.eval_cond(&i.cond)? {
                    return self.render_block(&i.then, out);
                }
                for (c, b) in &i.elseifs {
                    if self.eval_cond(c)? {
                        return self.render_block(b, out);
                    }
                }
                if let Some(o) = &i.otherwise {
                    self.render_block(o, out)?;
                }
                Ok(())
            }
            Node::Set(s) => self.render_set(s),
            Node::Directive(d) => self.render_directive(d, out),
        }
    }

    fn render_ref(&mut self, r: &RefNode, out: &mut String) -> R<()> {
        if r.ref_type == RefType::Runt {
            return self.write(out, &r.root);
        }
        let value = self.exec_ref(r)?;
        let strict = self.strict && !r.strict_exempt;
        if r.escaped {
            let ns = self.literal_override(&r.null_string).unwrap_or_else(|| r.null_string.clone());
            self.write(out, &r.esc_prefix)?;
            if value.is_null() {
                self.write(out, "\\")?;
            }
            return self.write(out, &ns);
        }
        if !value.is_null() {
            let s = self.stringify(&value, r.pos)?;
            if let Some(s) = s {
                self.write(out, &r.esc_prefix)?;
                self.write(out, &r.more_prefix)?;
                return self.write(out, &s);
            }
        }
        if !strict {
            let ns = self.literal_override(&r.null_string).unwrap_or_else(|| r.null_string.clone());
            self.write(out, &r.esc_prefix)?;
            self.write(out, &r.esc_prefix)?;
            self.write(out, &r.more_prefix)?;
            return self.write(out, &ns);
        }
        if r.ref_type == RefType::Quiet {
            return Ok(());
        }
        Err(self.err(
            ErrorKind::Velocity,
            format!("Reference {} evaluated to null when attempting to render", r.literal),
            r.pos,
        ))
    }

    /// `toString()` of a value; `#define` blocks render themselves.
    fn stringify(&mut self, v: &Value, pos: Pos) -> R<Option<String>> {
        if let Value::Object(Object(ObjectKind::Define(b))) = v {
            let b = b.clone();
            if self.depth > self.max_depth / 2 {
                return Ok(None);
            }
            self.enter(pos)?;
            let mut s = String::new();
            let r = self.render_block(&b, &mut s);
            self.leave();
            match r {
                Ok(()) | Err(Flow::BreakNearest) => {}
                Err(e) => return Err(e),
            }
            return Ok(Some(s));
        }
        Ok(Some(v.to_java_string()))
    }

    fn java_string_of(&mut self, v: &Value, pos: Pos) -> R<String> {
        // Only `#define` blocks stringify to nothing (`None`): rendered as the empty text.
        Ok(self.stringify(v, pos)?.unwrap_or_default())
    }

    // ------------------------------------------------------------ references

    /// `ASTReference.execute()`. Returns `Value::Null` for Java null.
    fn exec_ref(&mut self, r: &RefNode) -> R<Value> {
        let mut steps = Vec::new();
        Ok(self.exec_ref_path(r, r.parts.len(), Some(&mut steps))?.0)
    }

    /// Executes the root and the first `n` parts; also returns the mutable path
    /// of the result when it is a plain container access.
    fn exec_ref_path(
        &mut self,
        r: &RefNode,
        n: usize,
        mut collect: Option<&mut Vec<Step>>,
    ) -> R<(Value, bool)> {
        if r.ref_type == RefType::Runt {
            return Ok((Value::Null, false));
        }
        self.enter(r.pos)?;
        let res = self.exec_ref_inner(r, n, &mut collect);
        self.leave();
        res
    }

    fn exec_ref_inner(
        &mut self,
        r: &RefNode,
        n: usize,
        collect: &mut Option<&mut Vec<Step>>,
    ) -> R<(Value, bool)> {
        let strict = self.strict && !r.strict_exempt;
        let mut result = match self.get_var(&r.root) {
            Some(v) => v,
            None => {
                if strict {
                    return Err(self.err(
                        ErrorKind::MethodInvocation,
                        format!("Variable ${} has not been set", r.root),
                        r.pos,
                    ));
                }
                Value::Null
            }
        };
        if result.is_null() && !strict {
            return Ok((Value::Null, false));
        }
        let mut path_ok = true;
        for part in r.parts.iter().take(n) {
            if result.is_null() {
                // only reachable in strict mode
                return Err(self.err(
                    ErrorKind::Velocity,
                    format!("Attempted to access '{}' on a null value", part.first_image()),
                    part.pos(),
                ));
            }
            self.burn(1)?;
            let (next, step) = self.exec_part(part, &result, strict, collect.as_deref(), r, path_ok)?;
            match (step, collect.as_deref_mut()) {
                (Some(s), Some(c)) if path_ok => c.push(s),
                _ => path_ok = false,
            }
            result = next;
            if result.is_null() && !strict {
                return Ok((Value::Null, false));
            }
        }
        Ok((result, path_ok))
    }

    /// Executes one part on `recv`; returns the value and, for container
    /// accesses, the step used (for write-back of mutations).
    fn exec_part(
        &mut self,
        part: &RefPart,
        recv: &Value,
        strict: bool,
        prefix: Option<&Vec<Step>>,
        r: &RefNode,
        path_ok: bool,
    ) -> R<(Value, Option<Step>)> {
        match part {
            RefPart::Ident { name, pos } => match methods::property(recv, name) {
                Some(Invoke::Ret(v)) => {
                    let step = if matches!(recv, Value::Map(_)) {
                        Some(Step::Key(Value::string(name.as_str())))
                    } else {
                        None
                    };
                    Ok((v, step))
                }
                Some(Invoke::Void) => Ok((Value::string(""), None)),
                Some(Invoke::Throw(cls, msg)) => Err(self.err(
                    ErrorKind::MethodInvocation,
                    format!(
                        "Invocation of method 'get{name}' in  class {} threw exception {cls}: {msg}",
                        recv.java_class()
                    ),
                    *pos,
                )),
                Some(Invoke::NotFound) | None => {
                    if strict {
                        return Err(self.err(
                            ErrorKind::MethodInvocation,
                            format!("Object '{}' does not contain property '{name}'", recv.java_class()),
                            *pos,
                        ));
                    }
                    Ok((Value::Null, None))
                }
            },
            RefPart::Method { name, args, pos } => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval_value(a)?);
                }
                self.call_method(recv, name, vals, *pos, strict, prefix, r, path_ok)
            }
            RefPart::Index { arg, pos } => {
                let mut a = self.eval_value(arg)?;
                if let Value::Int(i) = a
                    && i < 0
                {
                    match methods::size_of(recv) {
                        Some(sz) => a = Value::Int(sz.wrapping_add(i)),
                        None => {
                            return Err(self.err(
                                ErrorKind::Velocity,
                                format!(
                                    "A 'size()' method required for negative value {i} does not exist for class '{}'",
                                    recv.java_class()
                                ),
                                *pos,
                            ));
                        }
                    }
                }
                match methods::invoke(recv, "get", std::slice::from_ref(&a)) {
                    Invoke::Ret(v) => {
                        let step = match (recv, &a) {
                            (Value::Map(_), _) => Some(Step::Key(a.clone())),
                            (Value::List(_), Value::Int(i)) => usize::try_from(*i).ok().map(Step::Idx),
                            _ => None,
                        };
                        Ok((v, step))
                    }
                    Invoke::Void => Ok((Value::string(""), None)),
                    Invoke::Throw(cls, msg) => Err(self.err(
                        ErrorKind::Velocity,
                        format!(
                            "Error invoking method 'get({})' in {}: {cls}: {msg}",
                            a.java_class(),
                            recv.java_class()
                        ),
                        *pos,
                    )),
                    Invoke::NotFound => {
                        if strict {
                            return Err(self.err(
                                ErrorKind::MethodInvocation,
                                format!(
                                    "Object '{}' does not contain method get({})",
                                    recv.java_class(),
                                    a.java_class()
                                ),
                                *pos,
                            ));
                        }
                        Ok((Value::Null, None))
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn call_method(
        &mut self,
        recv: &Value,
        name: &str,
        args: Vec<Value>,
        pos: Pos,
        strict: bool,
        prefix: Option<&Vec<Step>>,
        r: &RefNode,
        path_ok: bool,
    ) -> R<(Value, Option<Step>)> {
        // Define blocks stringify themselves when passed to Java methods.
        let mut args = args;
        for a in args.iter_mut() {
            if let Value::Object(Object(ObjectKind::Define(_))) = a {
                let s = self.java_string_of(a, pos)?;
                *a = Value::string(s);
            }
        }
        // String methods scan their receiver and string arguments: one unit per 64 bytes.
        if let Value::String(r) = recv {
            let scanned: usize = r.len()
                + args.iter().map(|a| if let Value::String(s) = a { s.len() } else { 0 }).sum::<usize>();
            self.burn((scanned / 64) as u64)?;
        }
        let mutator = methods::is_mutator(recv, name, &args);
        if WALKING_METHODS.contains(&name) {
            self.admit(recv, 0, pos)?;
        }
        // Arguments are hashed, compared or printed by most methods (`containsKey($a)` hashes
        // `$a`); a mutator's are admitted below, with their depth.
        if !mutator {
            for a in &args {
                self.admit(a, 0, pos)?;
            }
        }
        let res = if mutator {
            // What the mutation stores sits below the receiver (itself `prefix` levels into
            // its variable); `addAll`/`putAll` copy every element.
            let above = prefix.map_or(0, Vec::len) + 1;
            for a in &args {
                self.admit(a, above, pos)?;
                if let Some(items) = a.as_seq() {
                    self.burn(items.len() as u64)?;
                    self.alloc(ELEMENT_BYTES * items.len() as u64, pos)?;
                } else if let Value::Map(m) = a {
                    self.burn(m.len() as u64)?;
                    self.alloc(2 * ELEMENT_BYTES * m.len() as u64, pos)?;
                }
            }
            self.alloc(ELEMENT_BYTES, pos)?;
            let mut done = None;
            if path_ok && let Some(steps) = prefix {
                let steps = steps.clone();
                if let Some(place) = self.place_mut(&r.root, &steps) {
                    done = Some(methods::invoke_mut(place, name, &args));
                }
            }
            match done {
                Some(x) => x,
                None => {
                    let mut tmp = recv.clone();
                    methods::invoke_mut(&mut tmp, name, &args)
                }
            }
        } else {
            methods::invoke(recv, name, &args)
        };
        if let Invoke::Ret(Value::String(st)) = &res {
            self.check_size(st.len(), pos)?;
        }
        match res {
            Invoke::Ret(v) => {
                let step = if name == "get" && args.len() == 1 {
                    match (recv, &args[0]) {
                        (Value::Map(_), k) => Some(Step::Key(k.clone())),
                        (Value::List(_), Value::Int(i)) => usize::try_from(*i).ok().map(Step::Idx),
                        _ => None,
                    }
                } else {
                    None
                };
                Ok((v, step))
            }
            Invoke::Void => Ok((Value::string(""), None)),
            Invoke::Throw(cls, msg) => Err(self.err(
                ErrorKind::MethodInvocation,
                format!(
                    "Invocation of method '{name}' in  class {} threw exception {cls}: {msg}",
                    recv.java_class()
                ),
                pos,
            )),
            Invoke::NotFound => {
                if strict {
                    let plist: Vec<&str> = args.iter().map(|a| a.java_class()).collect();
                    return Err(self.err(
                        ErrorKind::MethodInvocation,
                        format!(
                            "Object '{}' does not contain method {name}({})",
                            recv.java_class(),
                            plist.join(", ")
                        ),
                        pos,
                    ));
                }
                Ok((Value::Null, None))
            }
        }
    }

    // ------------------------------------------------------------------ #set

    fn render_set(&mut self, s: &SetNode) -> R<()> {
        let value = self.eval_value(&s.right)?;
        if value.is_null() && !self.strict {
            // directive.set.null.allowed=false: leave the variable unchanged
            return Ok(());
        }
        if s.left.parts.is_empty() {
            self.put_var(&s.left_key, Some(value));
            return Ok(());
        }
        self.set_value(&s.left, value)
    }

    /// `ASTReference.setValue()`.
    fn set_value(&mut self, r: &RefNode, value: Value) -> R<()> {
        let strict = self.strict && !r.strict_exempt;
        let n = r.parts.len();
        // root must exist (getVariableValue: strict mode reports unset variables)
        let root = match self.get_var(&r.root) {
            Some(v) => v,
            None if strict => {
                return Err(self.err(
                    ErrorKind::MethodInvocation,
                    format!("Variable ${} has not been set", r.root),
                    r.pos,
                ));
            }
            None => Value::Null,
        };
        if root.is_null() {
            return Ok(());
        }
        let mut steps = Vec::new();
        let (parent, path_ok) = {
            // execute all but the last part (nulls stop silently unless strict)
            let mut result = root;
            let mut ok = true;
            for (i, part) in r.parts.iter().take(n - 1).enumerate() {
                let (v, step) = self.exec_part(part, &result, strict, Some(&steps), r, ok)?;
                match step {
                    Some(st) if ok => steps.push(st),
                    _ => ok = false,
                }
                result = v;
                if result.is_null() {
                    if strict {
                        let next = &r.parts[i + 1];
                        return Err(self.err(
                            ErrorKind::MethodInvocation,
                            format!("Attempted to access '{}' on a null value", next.first_image()),
                            next.pos(),
                        ));
                    }
                    return Ok(());
                }
            }
            (result, ok)
        };
        let last = &r.parts[n - 1];
        let (method, key) = match last {
            RefPart::Ident { name, .. } => ("put", Value::string(name.as_str())),
            RefPart::Index { arg, .. } => {
                let mut a = self.eval_value(arg)?;
                if let Value::Int(i) = a
                    && i < 0
                    && let Some(sz) = methods::size_of(&parent)
                {
                    a = Value::Int(sz.wrapping_add(i));
                }
                ("set", a)
            }
            RefPart::Method { .. } => return Ok(()),
        };
        let is_ident = matches!(last, RefPart::Ident { .. });
        let args = [key, value];
        let can = matches!((&parent, is_ident), (Value::Map(_), _) | (Value::List(_), false));
        if !can {
            if strict {
                return Err(self.err(
                    ErrorKind::MethodInvocation,
                    format!(
                        "Object '{}' does not contain property '{}'",
                        parent.java_class(),
                        last.first_image()
                    ),
                    r.pos,
                ));
            }
            return Ok(());
        }
        let m = if matches!(parent, Value::Map(_)) { "put" } else { method };
        // The value goes `steps.len() + 1` levels below the variable.
        self.admit(&args[1], steps.len() + 1, r.pos)?;
        self.alloc(ELEMENT_BYTES, r.pos)?;
        let res = if path_ok {
            match self.place_mut(&r.root, &steps) {
                Some(place) => methods::invoke_mut(place, m, &args),
                None => Invoke::Ret(Value::Null),
            }
        } else {
            let mut tmp = parent;
            methods::invoke_mut(&mut tmp, m, &args)
        };
        if let Invoke::Throw(cls, msg) = res {
            return Err(self.err(
                ErrorKind::MethodInvocation,
                format!("Exception calling method '{m}': {cls}: {msg}"),
                last.pos(),
            ));
        }
        Ok(())
    }

    // ----------------------------------------------------------- expressions

    /// `value()` of an expression node.
    pub(crate) fn eval_value(&mut self, e: &Expr) -> R<Value> {
        self.burn(1)?;
        match &e.kind {
            ExprKind::Ref(r) => {
                if !r.computable {
                    return Ok(Value::Null);
                }
                self.exec_ref(r)
            }
            ExprKind::Str(s) => match &s.tree {
                None => Ok(Value::string(s.image.as_str())),
                Some(t) => {
                    self.enter(e.pos)?;
                    let mut buf = String::new();
                    let r = self.render_block(t, &mut buf);
                    self.leave();
                    r?;
                    if !s.contains_line_comment && !buf.is_empty() {
                        buf.pop();
                    }
                    self.check_size(buf.len(), e.pos)?;
                    Ok(Value::string(buf))
                }
            },
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Long(i) => Ok(Value::Long(*i)),
            ExprKind::BigInt(i) => Ok(Value::BigInt(*i)),
            ExprKind::Float(f) => Ok(Value::Double(*f)),
            ExprKind::True => Ok(Value::Bool(true)),
            ExprKind::False => Ok(Value::Bool(false)),
            ExprKind::Word(_) => Ok(Value::Null),
            ExprKind::Range(a, b) => {
                let l = self.eval_value(a)?;
                let r = self.eval_value(b)?;
                let (Some(l), Some(r)) = (methods::int_value(&l), methods::int_value(&r)) else {
                    return Ok(Value::Null);
                };
                let n = (i64::from(l) - i64::from(r)).unsigned_abs() + 1;
                self.burn(n)?;
                let step: i64 = if l >= r { -1 } else { 1 };
                let mut v = Vec::with_capacity(n.min(1 << 20) as usize);
                let mut x = i64::from(l);
                for _ in 0..n {
                    v.push(Value::Int(x as i32));
                    x += step;
                }
                Ok(Value::List(Arc::new(v)))
            }
            ExprKind::Map(es) => {
                let mut m = ValueMap::new();
                for (k, v) in es {
                    let kv = self.eval_value(k)?;
                    let vv = self.eval_value(v)?;
                    m.insert(kv, vv);
                }
                self.alloc(2 * ELEMENT_BYTES * es.len() as u64, e.pos)?;
                let m = Value::Map(Arc::new(m));
                self.admit(&m, 0, e.pos)?;
                Ok(m)
            }
            ExprKind::List(es) => {
                let mut v = Vec::with_capacity(es.len());
                for x in es {
                    v.push(self.eval_value(x)?);
                }
                self.alloc(ELEMENT_BYTES * es.len() as u64, e.pos)?;
                let l = Value::List(Arc::new(v));
                self.admit(&l, 0, e.pos)?;
                Ok(l)
            }
            ExprKind::Group(x) => self.eval_value(x),
            ExprKind::Not(x) => Ok(Value::Bool(!self.eval_cond(x)?)),
            ExprKind::Bin(op, a, b) => match op {
                BinOp::Or
                | BinOp::And
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Gt
                | BinOp::Le
                | BinOp::Ge => Ok(Value::Bool(self.eval_cond(e)?)),
                BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => self.eval_math(*op, a, b),
            },
        }
    }

    /// `evaluate()` of an expression node (truthiness).
    pub(crate) fn eval_cond(&mut self, e: &Expr) -> R<bool> {
        self.burn(1)?;
        match &e.kind {
            ExprKind::Ref(r) => {
                let v = self.exec_ref(r)?;
                Ok(match v {
                    Value::Null => false,
                    Value::Bool(b) => b,
                    _ => true,
                })
            }
            ExprKind::Group(x) => self.eval_cond(x),
            ExprKind::Not(x) => Ok(!self.eval_cond(x)?),
            ExprKind::True => Ok(true),
            ExprKind::Bin(op, a, b) => match op {
                BinOp::And => Ok(self.eval_cond(a)? && self.eval_cond(b)?),
                BinOp::Or => Ok(self.eval_cond(a)? || self.eval_cond(b)?),
                BinOp::Eq | BinOp::Ne => {
                    let l = self.eval_value(a)?;
                    let r = self.eval_value(b)?;
                    let eq = self.java_eq(&l, &r, e.pos)?;
                    Ok(if *op == BinOp::Eq { eq } else { !eq })
                }
                BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => {
                    let l = self.eval_value(a)?;
                    let r = self.eval_value(b)?;
                    if l.is_null() || r.is_null() {
                        if self.strict {
                            let side = if l.is_null() { "Left" } else { "Right" };
                            let lit = if l.is_null() { &a.literal } else { &b.literal };
                            return Err(self.err(
                                ErrorKind::Velocity,
                                format!("{side} side ({lit}) of comparison operation has null value"),
                                e.pos,
                            ));
                        }
                        return Ok(false);
                    }
                    if !l.is_number() || !r.is_number() {
                        if self.strict {
                            let side = if l.is_number() { "Right" } else { "Left" };
                            return Err(self.err(
                                ErrorKind::Velocity,
                                format!("{side} side of comparison operation is not a Number"),
                                e.pos,
                            ));
                        }
                        return Ok(false);
                    }
                    let c = methods::num_compare(&l, &r);
                    Ok(match op {
                        BinOp::Lt => c == -1,
                        BinOp::Gt => c == 1,
                        BinOp::Le => c <= 0,
                        _ => c >= 0,
                    })
                }
                _ => Ok(false),
            },
            // SimpleNode.evaluate(): everything else is false (and not evaluated)
            _ => Ok(false),
        }
    }

    /// `ASTEQNode` equality.
    fn java_eq(&mut self, l: &Value, r: &Value, pos: Pos) -> R<bool> {
        if l.is_number() && r.is_number() {
            return Ok(methods::num_compare(l, r) == 0);
        }
        if !l.is_null() && !r.is_null() && l.java_class() == r.java_class() {
            // `equals` walks both structures: charged first.
            self.admit(l, 0, pos)?;
            self.admit(r, 0, pos)?;
            return Ok(l.java_equals(r));
        }
        match (l.is_null(), r.is_null()) {
            (true, true) => Ok(true),
            (true, false) | (false, true) => Ok(false),
            _ => {
                let a = self.java_string_of(l, pos)?;
                let b = self.java_string_of(r, pos)?;
                Ok(a == b)
            }
        }
    }

    fn eval_math(&mut self, op: BinOp, a: &Expr, b: &Expr) -> R<Value> {
        let l = self.eval_value(a)?;
        let r = self.eval_value(b)?;
        if op == BinOp::Add && (matches!(l, Value::String(_)) || matches!(r, Value::String(_))) {
            let ls = if l.is_null() { a.literal.to_string() } else { self.java_string_of(&l, a.pos)? };
            let rs = if r.is_null() && !l.is_null() {
                b.literal.to_string()
            } else {
                self.java_string_of(&r, b.pos)?
            };
            self.check_size(ls.len() + rs.len(), a.pos)?;
            return Ok(Value::string(ls + &rs));
        }
        if !l.is_number() || !r.is_number() {
            return Ok(Value::Null);
        }
        match methods::math_op(op, &l, &r) {
            Ok(v) => Ok(v),
            Err((cls, msg)) => Err(self.err(ErrorKind::JavaRuntime(cls), msg, a.pos)),
        }
    }

    // ------------------------------------------------------------ directives

    fn render_directive(&mut self, d: &DirNode, out: &mut String) -> R<()> {
        match d.kind {
            DirKind::NotDirective => {
                self.write(out, "#")?;
                self.write(out, &d.name)
            }
            DirKind::Foreach => self.render_foreach(d, out),
            DirKind::Break => {
                if let Some(a) = d.args.first() {
                    let v = self.eval_value(a)?;
                    if let Value::Object(Object(ObjectKind::Foreach(s))) = &v {
                        return Err(Flow::BreakScope(scope_id(s)));
                    }
                    return Err(self.err(
                        ErrorKind::Velocity,
                        format!(
                            "{} is not a valid org.apache.velocity.runtime.directive.Scope instance",
                            a.literal
                        ),
                        d.pos,
                    ));
                }
                Err(Flow::BreakNearest)
            }
            DirKind::Stop => {
                if let Some(a) = d.args.first() {
                    self.eval_value(a)?;
                }
                Err(Flow::StopAll)
            }
            DirKind::Include | DirKind::Parse => {
                let Some(a) = d.args.first() else {
                    return Ok(());
                };
                let v = self.eval_value(a)?;
                let name = v.to_java_string();
                Err(self.err(ErrorKind::ResourceNotFound, format!("Unable to find resource '{name}'"), d.pos))
            }
            DirKind::Literal => {
                let text = match d.args.first() {
                    Some(a) => a.literal.to_string(),
                    None => String::new(),
                };
                // `#define` without a body renders nothing, as Velocity does.
                let body = d.body_literal.clone().unwrap_or_default();
                if d.args.is_empty() { self.write(out, &body) } else { self.write(out, &text) }
            }
            DirKind::Define => {
                let (Some(a), Some(body)) = (d.args.first(), &d.body) else {
                    return Ok(());
                };
                let key = match &a.kind {
                    ExprKind::Ref(r) => chars_from(&r.first_image, 1),
                    _ => chars_from(&a.literal, 1),
                };
                let v = Value::Object(Object(ObjectKind::Define(Arc::new(body.clone()))));
                self.put_var(&key, Some(v));
                Ok(())
            }
            DirKind::Evaluate => self.render_evaluate(d, out),
            DirKind::Macro => Ok(()),
            DirKind::MacroCall | DirKind::BlockMacro => self.render_macro_call(d, out),
        }
    }

    fn render_foreach(&mut self, d: &DirNode, out: &mut String) -> R<()> {
        if d.args.len() == 2 && d.body.is_some() {
            // child 2 is the block itself: its value() is null -> no output
            return Ok(());
        }
        if d.args.len() < 3 {
            return Err(self.err(
                ErrorKind::JavaRuntime("java.lang.ArrayIndexOutOfBoundsException"),
                format!("Index {} out of bounds", d.args.len() + 1),
                d.pos,
            ));
        }
        let element_key = match &d.args[0].kind {
            ExprKind::Ref(r) => r.root.clone(),
            _ => chars_from(&d.args[0].literal, 1),
        };
        let list = self.eval_value(&d.args[2])?;
        if list.is_null() {
            return Ok(());
        }
        let items: Arc<Vec<Value>> = match &list {
            Value::Map(m) => Arc::new(m.values().cloned().collect()),
            v => match v.as_seq() {
                Some(s) => s.clone(),
                None => {
                    if self.strict {
                        return Err(self.err(
                            ErrorKind::Velocity,
                            format!(
                                "#foreach parameter {} is of type {} and is either of wrong type or cannot be iterated.",
                                d.args[2].literal,
                                v.java_class()
                            ),
                            d.args[2].pos,
                        ));
                    }
                    return Ok(());
                }
            },
        };
        let saved_elem = self.get_var(&element_key);
        let saved_count = self.get_var("velocityCount");
        let saved_next = self.get_var("velocityHasNext");
        let prev_scope = self.get_var("foreach");
        self.scope_ids += 1;
        let id = self.scope_ids;
        let (parent, replaced) = match &prev_scope {
            Some(v @ Value::Object(Object(ObjectKind::Foreach(_)))) => (Some(v.clone()), None),
            Some(Value::Null) | None => (None, None),
            Some(v) => (None, Some(v.clone())),
        };
        let mut result = Ok(());
        let total = items.len();
        for (i, item) in items.iter().enumerate() {
            self.burn(1)?;
            let has_next = i + 1 < total;
            self.put_var("velocityCount", Some(Value::Int((i as i32).wrapping_add(1))));
            self.put_var("velocityHasNext", Some(Value::Bool(has_next)));
            self.put_var(&element_key, Some(item.clone()));
            let scope = ForeachScope {
                index: i as i32,
                has_next,
                parent: parent.clone(),
                replaced: replaced.clone(),
                id,
            };
            self.put_var("foreach", Some(Value::Object(Object(ObjectKind::Foreach(Arc::new(scope))))));
            let r = if d.args.len() > 3 {
                // Velocity 1.7 renders child 3 as the body
                match &d.args[3].kind {
                    ExprKind::Ref(rn) => self.render_ref(rn, out),
                    _ => Ok(()),
                }
            } else if let Some(b) = &d.body {
                self.render_block(b, out)
            } else {
                Ok(())
            };
            match r {
                Ok(()) => {}
                Err(Flow::BreakNearest) => break,
                Err(Flow::BreakScope(s)) if s == id => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        // clean()
        match saved_elem {
            Some(v) if !v.is_null() => self.put_var(&element_key, Some(v)),
            _ => self.put_var(&element_key, None),
        }
        match saved_count {
            Some(v) if !v.is_null() => self.put_var("velocityCount", Some(v)),
            _ => self.put_var("velocityCount", None),
        }
        match saved_next {
            Some(v) if !v.is_null() => self.put_var("velocityHasNext", Some(v)),
            _ => self.put_var("velocityHasNext", None),
        }
        if let Some(p) = parent {
            self.put_var("foreach", Some(p));
        } else if let Some(r) = replaced {
            self.put_var("foreach", Some(r));
        } else {
            self.put_var("foreach", None);
        }
        result
    }

    fn render_evaluate(&mut self, d: &DirNode, out: &mut String) -> R<()> {
        let Some(a) = d.args.first() else {
            return Ok(());
        };
        let v = self.eval_value(a)?;
        let src = if v.is_null() { String::new() } else { self.java_string_of(&v, d.pos)? };
        let tree = super::parser::parse_template(&src, self.name)
            .map_err(|e| self.err(ErrorKind::Parse, format!("#evaluate: {}", e.message), d.pos))?;
        self.enter(d.pos)?;
        let r = self.init_block(&tree).and_then(|_| self.render_block(&tree, out));
        self.leave();
        match r {
            Ok(()) | Err(Flow::StopAll) | Err(Flow::BreakNearest) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn render_macro_call(&mut self, d: &DirNode, out: &mut String) -> R<()> {
        let name = if d.kind == DirKind::BlockMacro {
            d.name.trim_start_matches('@').to_string()
        } else {
            d.name.clone()
        };
        let Some(m) = self.macros.get(&name).cloned() else {
            if self.strict && d.strict_candidate {
                return Err(self.err(ErrorKind::Velocity, format!("Macro '#{name}' is not defined"), d.pos));
            }
            return self.write(out, &d.literal);
        };
        if let Some(w) = d.args.iter().find(|a| matches!(a.kind, ExprKind::Word(_))) {
            return Err(self.err(
                ErrorKind::JavaRuntime("org.apache.velocity.exception.TemplateInitException"),
                format!("Invalid arg '{}' in macro #{name}", w.literal),
                d.pos,
            ));
        }
        if self.macro_depth >= 20 {
            return Err(self.err(
                ErrorKind::JavaRuntime("org.apache.velocity.exception.MacroOverflowException"),
                format!("Max calling depth of 20 was exceeded in macro '{name}'"),
                d.pos,
            ));
        }
        let mut vars = HashMap::new();
        let mut literals = HashMap::new();
        for (p, a) in m.params.iter().zip(d.args.iter()) {
            let v = self.eval_value(a)?;
            if let ExprKind::Ref(_) = a.kind {
                literals.insert(format!("${p}"), a.literal.to_string());
            }
            vars.insert(p.clone(), Some(v));
        }
        if d.kind == DirKind::BlockMacro
            && let Some(b) = &d.body
        {
            vars.insert(
                "bodyContent".to_string(),
                Some(Value::Object(Object(ObjectKind::Define(Arc::new(b.clone()))))),
            );
        }
        self.enter(d.pos)?;
        self.macro_depth += 1;
        self.frames.push(Frame { local_all: false, vars, literals });
        let r = self.render_block(&m.body, out);
        self.frames.pop();
        self.macro_depth -= 1;
        self.leave();
        match r {
            Ok(()) | Err(Flow::BreakNearest) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn scope_id(s: &ForeachScope) -> u64 {
    s.id
}

fn chars_from(s: &str, n: usize) -> String {
    s.chars().skip(n).collect()
}
