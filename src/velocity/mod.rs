//! Apache Velocity template engine, "Genesys Cloud data-action dialect":
//! a faithful re-implementation of Velocity 1.7 (+ VelocityTools 2.0
//! `EscapeTool`/`MathTool`) plus the Genesys-only helpers. Parse once with
//! [`Template::parse`], render many times with [`Template::render`].
//!
//! Owns: the public API (`Template`, `Context`, `RenderOptions`,
//! `UndefinedBehavior`, `ToolSet`, `Reference`, re-exported `Value`/`Error`).
//! Must not touch: anything outside `crate::velocity` (this module is a leaf;
//! it may use the shared number leaf `crate::javanum`);
//! see `COMPATIBILITY.md` for every known difference from Velocity/Genesys.

mod ast;
mod error;
mod eval;
mod jregex;
mod lexer;
mod methods;
mod parser;
mod tools;
mod value;

use std::collections::HashMap;
use std::sync::Arc;

pub use error::{Error, ErrorKind};
pub use value::{Object, Tool, Value, ValueMap, java_double};

/// How undefined references behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum UndefinedBehavior {
    /// Stock Velocity (request templates): `${x}` renders its own source text,
    /// `$!{x}` renders nothing.
    #[default]
    Lenient,
    /// `runtime.references.strict = true` (success templates): an undefined
    /// reference is an error such as
    /// `Variable $Presences has not been set at successTemplate[line 1, column 20]`.
    Strict,
}

/// Options for one render.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    pub undefined: UndefinedBehavior,
    /// Work budget: one unit per node, expression, loop iteration, method call
    /// and range element. Exhaustion is an [`ErrorKind::FuelExhausted`] error.
    pub fuel: u64,
    /// Maximum output size in bytes ([`ErrorKind::OutputLimit`] beyond).
    pub max_output_bytes: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            undefined: UndefinedBehavior::Lenient,
            fuel: 5_000_000,
            max_output_bytes: 8 * 1024 * 1024,
        }
    }
}

impl RenderOptions {
    /// Options for a Genesys success template (strict references).
    pub fn strict() -> Self {
        RenderOptions { undefined: UndefinedBehavior::Strict, ..RenderOptions::default() }
    }
}

/// Which tool objects [`Context::bind_tools`] installs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolSet {
    /// Exactly what stock VelocityTools provides: `$esc` (EscapeTool) and
    /// `$math` (MathTool). Used for oracle conformance.
    Stock,
    /// The Genesys data-action set: `$esc` (with `jsonString`, `jsonEncode`,
    /// `jsonDecode`, `uriEncode`, `urlFormEncode`), `$math`, `$encoding`,
    /// `$successTemplateUtils`, `$urlTool`.
    Genesys,
}

/// Variables visible to a template (`name -> value`). A present-but-null
/// variable (`Value::Null`) differs from an absent one in strict mode.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub(crate) vars: HashMap<String, Value>,
}

impl Context {
    pub fn new() -> Self {
        Context::default()
    }

    /// Insert or replace a variable.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.vars.remove(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// Bind the tool objects of `set` (`$esc`, `$math`, ...).
    pub fn bind_tools(&mut self, set: ToolSet) -> &mut Self {
        match set {
            ToolSet::Stock => {
                self.insert("esc", Value::Tool(Tool::Esc));
                self.insert("math", Value::Tool(Tool::Math));
            }
            ToolSet::Genesys => {
                self.insert("esc", Value::Tool(Tool::GenesysEsc));
                self.insert("math", Value::Tool(Tool::Math));
                self.insert("encoding", Value::Tool(Tool::Encoding));
                self.insert("successTemplateUtils", Value::Tool(Tool::SuccessTemplateUtils));
                self.insert("urlTool", Value::Tool(Tool::UrlTool));
            }
        }
        self
    }

    /// A context holding every entry of a JSON object (Jackson conversion).
    pub fn from_json_map(map: &serde_json::Map<String, serde_json::Value>) -> Self {
        let mut c = Context::new();
        for (k, v) in map {
            c.vars.insert(k.clone(), Value::from(v));
        }
        c
    }
}

impl From<&serde_json::Map<String, serde_json::Value>> for Context {
    fn from(m: &serde_json::Map<String, serde_json::Value>) -> Self {
        Context::from_json_map(m)
    }
}

/// A `$reference` found in a template (for linters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// Root variable name (`input` in `${input.userId}`).
    pub root: String,
    /// Property/method names after the root (`["userId"]`; methods as `name()`,
    /// index accesses as `[]`).
    pub path: Vec<String>,
    /// `root.path...` joined with dots (`input.userId`).
    pub full_path: String,
    /// `$!x` / `$!{x}`.
    pub quiet: bool,
    /// `${x}` form.
    pub formal: bool,
    /// `\$x` (escaped).
    pub escaped: bool,
    /// Inside a double-quoted (interpolated) string literal.
    pub in_string_literal: bool,
    /// Part of a directive (`#if`, `#set`, `#foreach`, macro arguments, ...).
    pub in_directive: bool,
    /// 1-based line and column of the `$`.
    pub line: u32,
    pub column: u32,
}

/// A parsed template. Cheap to share across threads (`Send + Sync`).
#[derive(Clone, Debug)]
pub struct Template {
    name: Arc<str>,
    root: Arc<ast::Block>,
}

impl Template {
    /// Parse `source`; `name` is the template name used in messages
    /// (`successTemplate[line 1, column 20]`).
    pub fn parse(source: &str, name: &str) -> Result<Template, Error> {
        let root = parser::parse_template(source, name)?;
        Ok(Template { name: Arc::from(name), root: Arc::new(root) })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Render with `ctx` (never modified: `#set` writes go to a render-local layer).
    pub fn render(&self, ctx: &Context, opts: &RenderOptions) -> Result<String, Error> {
        let mut r = eval::Renderer::new(&self.name, ctx, opts);
        let mut out = String::new();
        let res = r.init_block(&self.root).and_then(|_| r.render_block(&self.root, &mut out));
        match res {
            Ok(()) | Err(eval::Flow::StopAll) | Err(eval::Flow::BreakNearest) => Ok(out),
            Err(eval::Flow::BreakScope(_)) => Err(Error::new(
                ErrorKind::JavaRuntime("org.apache.velocity.runtime.directive.StopCommand"),
                "StopCommand: #break of a scope that is not active",
                Some(&self.name),
                0,
                0,
            )),
            Err(eval::Flow::Err(e)) => Err(e),
        }
    }

    /// Every `$reference` in the template, in source order.
    pub fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        collect_block(&self.root, &mut out);
        out.sort_by_key(|r| (r.line, r.column));
        out
    }
}

fn collect_block(b: &ast::Block, out: &mut Vec<Reference>) {
    for n in &b.0 {
        match n {
            ast::Node::Text(_) => {}
            ast::Node::Ref(r) => collect_ref(r, out),
            ast::Node::If(i) => {
                collect_expr(&i.cond, out);
                collect_block(&i.then, out);
                for (c, bb) in &i.elseifs {
                    collect_expr(c, out);
                    collect_block(bb, out);
                }
                if let Some(o) = &i.otherwise {
                    collect_block(o, out);
                }
            }
            ast::Node::Set(s) => {
                collect_ref(&s.left, out);
                collect_expr(&s.right, out);
            }
            ast::Node::Directive(d) => {
                for a in &d.args {
                    collect_expr(a, out);
                }
                if let Some(bb) = &d.body {
                    collect_block(bb, out);
                }
            }
        }
    }
}

fn collect_expr(e: &ast::Expr, out: &mut Vec<Reference>) {
    use ast::ExprKind::*;
    match &e.kind {
        Ref(r) => collect_ref(r, out),
        Str(s) => {
            if let Some(t) = &s.tree {
                collect_block(t, out);
            }
        }
        Range(a, b) | Bin(_, a, b) => {
            collect_expr(a, out);
            collect_expr(b, out);
        }
        Map(es) => {
            for (k, v) in es {
                collect_expr(k, out);
                collect_expr(v, out);
            }
        }
        List(es) => es.iter().for_each(|x| collect_expr(x, out)),
        Group(x) | Not(x) => collect_expr(x, out),
        _ => {}
    }
}

fn collect_ref(r: &ast::RefNode, out: &mut Vec<Reference>) {
    if r.ref_type == ast::RefType::Runt || !r.computable {
        return;
    }
    let mut path = Vec::new();
    for p in &r.parts {
        match p {
            ast::RefPart::Ident { name, .. } => path.push(name.clone()),
            ast::RefPart::Method { name, .. } => path.push(format!("{name}()")),
            ast::RefPart::Index { .. } => path.push("[]".to_string()),
        }
    }
    let mut full_path = r.root.clone();
    for p in &path {
        full_path.push('.');
        full_path.push_str(p);
    }
    out.push(Reference {
        root: r.root.clone(),
        path,
        full_path,
        quiet: r.ref_type == ast::RefType::Quiet,
        formal: r.first_image.starts_with("${") || r.first_image.starts_with("$!{"),
        escaped: r.escaped,
        in_string_literal: r.in_string,
        in_directive: r.in_directive,
        line: r.pos.line,
        column: r.pos.col,
    });
    for p in &r.parts {
        match p {
            ast::RefPart::Method { args, .. } => args.iter().for_each(|a| collect_expr(a, out)),
            ast::RefPart::Index { arg, .. } => collect_expr(arg, out),
            ast::RefPart::Ident { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests;
