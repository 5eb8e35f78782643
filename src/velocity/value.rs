//! Java-like runtime values: the objects a Velocity 1.7 template sees
//! (`Integer`, `Long`, `BigInteger`, `Double`, `String`, `ArrayList`,
//! `LinkedHashMap`, tool objects, ...), their Java `toString()` and
//! `equals()`, and the Jackson-style conversion from `serde_json::Value`.
//!
//! Owns: `Value`, `ValueMap`. Java `Double.toString` is the shared
//! `crate::javanum` leaf (re-exported as `java_double`). Must not touch: template
//! evaluation (see `eval.rs`) or tool behaviour (see `tools/`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// A tool object bound into the context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    /// VelocityTools `EscapeTool` (stock methods only).
    Esc,
    /// `EscapeTool` plus the Genesys additions (`jsonString`, `jsonEncode`,
    /// `jsonDecode`, `uriEncode`, `urlFormEncode`).
    GenesysEsc,
    /// VelocityTools 2.0 `MathTool`.
    Math,
    /// Genesys `$encoding` (`base64`).
    Encoding,
    /// Genesys `$successTemplateUtils`.
    SuccessTemplateUtils,
    /// Genesys `$urlTool`.
    UrlTool,
}

impl Tool {
    pub(crate) fn class_name(&self) -> &'static str {
        match self {
            Tool::Esc | Tool::GenesysEsc => "org.apache.velocity.tools.generic.EscapeTool",
            Tool::Math => "org.apache.velocity.tools.generic.MathTool",
            Tool::Encoding => "com.genesys.EncodingTool",
            Tool::SuccessTemplateUtils => "com.genesys.SuccessTemplateUtils",
            Tool::UrlTool => "com.genesys.UrlTool",
        }
    }
}

/// Non-data Java objects a template can hold. Opaque to callers.
#[derive(Clone, Debug)]
pub struct Object(pub(crate) ObjectKind);

#[derive(Clone, Debug)]
pub(crate) enum ObjectKind {
    /// `java.lang.Character` (from `String.charAt`).
    Char(u16),
    /// A Java array (`String[]` from `split`, ...).
    Array(Arc<Vec<Value>>, &'static str),
    /// A `Set`/`Collection` view (`keySet()`, `values()`, `entrySet()`).
    Collection(Arc<Vec<Value>>, &'static str),
    /// `Map.Entry`.
    Entry(Arc<(Value, Value)>),
    /// `$foreach` (`ForeachScope`).
    Foreach(Arc<ForeachScope>),
    /// A `#define`d block (`Block.Reference`).
    Define(Arc<super::ast::Block>),
    /// `java.lang.Class` (from `getClass()`).
    Class(&'static str),
}

#[derive(Clone, Debug)]
pub(crate) struct ForeachScope {
    pub index: i32,
    pub has_next: bool,
    pub parent: Option<Value>,
    pub replaced: Option<Value>,
    /// Identity of the loop (for `#break($foreach)`).
    pub id: u64,
}

/// A template value. Cloning is cheap (strings and containers are shared).
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Java `null`.
    #[default]
    Null,
    Bool(bool),
    /// `java.lang.Integer`.
    Int(i32),
    /// `java.lang.Long`.
    Long(i64),
    /// `java.math.BigInteger` (held as i128; results beyond that range are errors).
    BigInt(i128),
    /// `java.lang.Double`, printed Java-style (`21.0`, `1.0E21`).
    Double(f64),
    String(Arc<str>),
    /// `java.util.ArrayList`.
    List(Arc<Vec<Value>>),
    /// `java.util.LinkedHashMap` (insertion-ordered).
    Map(Arc<ValueMap>),
    /// A tool object (`$esc`, `$math`, ...).
    Tool(Tool),
    /// Any other Java object.
    Object(Object),
}

/// The deepest a value built at run time may nest (lists, maps, arrays, entries); a
/// template that nests deeper gets a located error instead of exhausting the stack (every
/// walk of a value — drop, `equals`, `hashCode`, `toString`, JSON — recurses per level).
pub(crate) const MAX_VALUE_DEPTH: usize = 1000;

/// The longest string `toString()` of a container builds (twice the default output limit):
/// past it the text is cut, and the renderer's size check refuses it. Time spent on a
/// structure that shares itself (`$a.add($a)` repeated) is bounded by it too.
pub(crate) const JAVA_STRING_CAP: usize = 16 * 1024 * 1024;

/// How big a value is as a tree: its container nesting and its container nodes (a shared
/// sub-structure counts every time it appears, as `equals`, `hashCode` and `toString` walk it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Nesting depth (0: not a container).
    pub depth: usize,
    /// Container nodes.
    pub nodes: u64,
}

/// Which bound [`Value::shape`] passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShapeLimit {
    /// Nested deeper than allowed.
    Depth,
    /// More container nodes than allowed.
    Nodes,
}

impl Value {
    /// Whether it holds other values (list, map, array, collection, entry).
    fn is_container(&self) -> bool {
        matches!(
            self,
            Value::List(_)
                | Value::Map(_)
                | Value::Object(Object(
                    ObjectKind::Array(..) | ObjectKind::Collection(..) | ObjectKind::Entry(_)
                ))
        )
    }

    /// The children of a container (`None` for scalars).
    fn children(&self) -> Option<Vec<&Value>> {
        match self {
            Value::List(l) => Some(l.iter().collect()),
            Value::Map(m) => Some(m.iter().flat_map(|(k, v)| [k, v]).collect()),
            Value::Object(Object(ObjectKind::Array(a, _) | ObjectKind::Collection(a, _))) => {
                Some(a.iter().collect())
            }
            Value::Object(Object(ObjectKind::Entry(e))) => Some(vec![&e.0, &e.1]),
            _ => None,
        }
    }

    /// The value's [`Shape`], walked without recursion; which limit it passed as soon as it
    /// nests deeper than `max_depth` or has more than `max_nodes` container nodes.
    pub(crate) fn shape(&self, max_depth: usize, max_nodes: u64) -> Result<Shape, ShapeLimit> {
        let mut out = Shape { depth: 0, nodes: 0 };
        let mut stack: Vec<(&Value, usize)> = vec![(self, 1)];
        while let Some((v, level)) = stack.pop() {
            let Some(children) = v.children() else { continue };
            out.nodes += 1;
            out.depth = out.depth.max(level);
            if out.depth > max_depth {
                return Err(ShapeLimit::Depth);
            }
            if out.nodes > max_nodes {
                return Err(ShapeLimit::Nodes);
            }
            stack.extend(children.into_iter().filter(|c| c.is_container()).map(|c| (c, level + 1)));
        }
        Ok(out)
    }

    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Java class name, as Velocity reports it.
    pub fn java_class(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "java.lang.Boolean",
            Value::Int(_) => "java.lang.Integer",
            Value::Long(_) => "java.lang.Long",
            Value::BigInt(_) => "java.math.BigInteger",
            Value::Double(_) => "java.lang.Double",
            Value::String(_) => "java.lang.String",
            Value::List(_) => "java.util.ArrayList",
            Value::Map(_) => "java.util.LinkedHashMap",
            Value::Tool(t) => t.class_name(),
            Value::Object(o) => match &o.0 {
                ObjectKind::Char(_) => "java.lang.Character",
                ObjectKind::Array(_, c) => c,
                ObjectKind::Collection(_, c) => c,
                ObjectKind::Entry(_) => "java.util.LinkedHashMap$Entry",
                ObjectKind::Foreach(_) => "org.apache.velocity.runtime.directive.ForeachScope",
                ObjectKind::Define(_) => "org.apache.velocity.runtime.directive.Block$Reference",
                ObjectKind::Class(_) => "java.lang.Class",
            },
        }
    }

    pub(crate) fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Long(_) | Value::BigInt(_) | Value::Double(_))
    }

    /// Java `toString()`. `None` only for objects whose rendering needs the
    /// evaluator (`#define` blocks).
    pub fn to_java_string(&self) -> String {
        let mut s = String::new();
        self.write_java(&mut s, 0);
        s
    }

    pub(crate) fn write_java(&self, out: &mut String, depth: usize) {
        if depth > 64 {
            out.push_str("...");
            return;
        }
        // Cut: the renderer refuses a string this long anyway.
        if out.len() > JAVA_STRING_CAP {
            return;
        }
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Long(i) => {
                let _ = write!(out, "{i}");
            }
            Value::BigInt(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Double(d) => out.push_str(&java_double(*d)),
            Value::String(s) => out.push_str(s),
            Value::List(l) => write_seq(out, l, depth),
            Value::Map(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    k.write_java(out, depth + 1);
                    out.push('=');
                    v.write_java(out, depth + 1);
                }
                out.push('}');
            }
            Value::Tool(t) => {
                let _ = write!(out, "{}@{:x}", t.class_name(), 0x1b6d3586u32);
            }
            Value::Object(o) => match &o.0 {
                ObjectKind::Char(c) => out.push_str(&String::from_utf16_lossy(&[*c])),
                ObjectKind::Array(a, c) => {
                    let elem = match *c {
                        "java.lang.String[]" => "[Ljava.lang.String;",
                        "char[]" => "[C",
                        "byte[]" => "[B",
                        _ => "[Ljava.lang.Object;",
                    };
                    let _ = write!(out, "{elem}@{:x}", 0x4554617cu32 ^ (a.len() as u32));
                }
                ObjectKind::Collection(l, _) => write_seq(out, l, depth),
                ObjectKind::Entry(e) => {
                    e.0.write_java(out, depth + 1);
                    out.push('=');
                    e.1.write_java(out, depth + 1);
                }
                ObjectKind::Foreach(_) => out.push_str("{}"),
                ObjectKind::Define(_) => out.push_str(""),
                ObjectKind::Class(c) => {
                    let _ = write!(out, "class {c}");
                }
            },
        }
    }

    /// Elements if this value is iterable as a Java collection/array.
    pub(crate) fn as_seq(&self) -> Option<&Arc<Vec<Value>>> {
        match self {
            Value::List(l) => Some(l),
            Value::Object(Object(ObjectKind::Array(a, _)))
            | Value::Object(Object(ObjectKind::Collection(a, _))) => Some(a),
            _ => None,
        }
    }

    /// Java `equals()` (for values of compatible classes).
    pub(crate) fn java_equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Long(a), Value::Long(b)) => a == b,
            (Value::BigInt(a), Value::BigInt(b)) => a == b,
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) => seq_equals(a, b),
            (Value::List(_), Value::Object(Object(ObjectKind::Collection(_, c))))
            | (Value::Object(Object(ObjectKind::Collection(_, c))), Value::List(_))
                if !c.contains("Set") =>
            {
                // AbstractList.equals requires a List; values() is not one
                false
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| w.java_equals(v)))
            }
            (Value::Tool(a), Value::Tool(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => match (&a.0, &b.0) {
                (ObjectKind::Char(x), ObjectKind::Char(y)) => x == y,
                (ObjectKind::Entry(x), ObjectKind::Entry(y)) => {
                    x.0.java_equals(&y.0) && x.1.java_equals(&y.1)
                }
                (ObjectKind::Collection(x, cx), ObjectKind::Collection(y, cy)) => {
                    cx == cy && x.len() == y.len() && x.iter().all(|e| y.iter().any(|f| f.java_equals(e)))
                }
                (ObjectKind::Array(x, _), ObjectKind::Array(y, _)) => Arc::ptr_eq(x, y),
                _ => false,
            },
            _ => false,
        }
    }

    /// Java `hashCode()` for the common types.
    pub(crate) fn java_hash(&self) -> i32 {
        match self {
            Value::Null => 0,
            Value::Bool(b) => {
                if *b {
                    1231
                } else {
                    1237
                }
            }
            Value::Int(i) => *i,
            Value::Long(l) => (*l ^ ((*l as u64) >> 32) as i64) as i32,
            Value::BigInt(b) => *b as i32,
            Value::Double(d) => {
                let bits = if d.is_nan() { 0x7ff8000000000000u64 } else { d.to_bits() };
                (bits ^ (bits >> 32)) as i32
            }
            Value::String(s) => java_string_hash(s),
            Value::List(l) => {
                let mut h: i32 = 1;
                for v in l.iter() {
                    h = h.wrapping_mul(31).wrapping_add(v.java_hash());
                }
                h
            }
            Value::Map(m) => {
                let mut h: i32 = 0;
                for (k, v) in m.iter() {
                    h = h.wrapping_add(k.java_hash() ^ v.java_hash());
                }
                h
            }
            Value::Object(Object(ObjectKind::Char(c))) => i32::from(*c),
            _ => 0x1b6d3586,
        }
    }
}

fn seq_equals(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.java_equals(y))
}

fn write_seq(out: &mut String, l: &[Value], depth: usize) {
    out.push('[');
    for (i, v) in l.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        v.write_java(out, depth + 1);
    }
    out.push(']');
}

/// Java `String.hashCode()`.
pub(crate) fn java_string_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for u in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(u));
    }
    h
}

/// Hashable identity of a map key (Java `equals` classes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum MapKey {
    Null,
    Bool(bool),
    Int(i32),
    Long(i64),
    BigInt(i128),
    Double(u64),
    Str(Arc<str>),
    Other(String),
}

impl MapKey {
    pub(crate) fn of(v: &Value) -> MapKey {
        match v {
            Value::Null => MapKey::Null,
            Value::Bool(b) => MapKey::Bool(*b),
            Value::Int(i) => MapKey::Int(*i),
            Value::Long(i) => MapKey::Long(*i),
            Value::BigInt(i) => MapKey::BigInt(*i),
            Value::Double(d) => MapKey::Double(if d.is_nan() { u64::MAX } else { d.to_bits() }),
            Value::String(s) => MapKey::Str(s.clone()),
            other => MapKey::Other(format!("{}:{}", other.java_class(), other.to_java_string())),
        }
    }
}

/// An insertion-ordered map with Java key equality (`LinkedHashMap`).
#[derive(Clone, Debug, Default)]
pub struct ValueMap {
    entries: Vec<(Value, Value)>,
    index: HashMap<MapKey, usize>,
}

impl ValueMap {
    pub fn new() -> Self {
        ValueMap::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, k: &Value) -> Option<&Value> {
        self.index.get(&MapKey::of(k)).and_then(|&i| self.entries.get(i)).map(|e| &e.1)
    }

    pub fn get_str(&self, k: &str) -> Option<&Value> {
        self.index.get(&MapKey::Str(Arc::from(k))).and_then(|&i| self.entries.get(i)).map(|e| &e.1)
    }

    pub fn get_mut(&mut self, k: &Value) -> Option<&mut Value> {
        let i = *self.index.get(&MapKey::of(k))?;
        self.entries.get_mut(i).map(|e| &mut e.1)
    }

    pub fn contains_key(&self, k: &Value) -> bool {
        self.index.contains_key(&MapKey::of(k))
    }

    /// `put`: returns the previous value (Java semantics: insertion order kept).
    pub fn insert(&mut self, k: Value, v: Value) -> Option<Value> {
        let key = MapKey::of(&k);
        if let Some(&i) = self.index.get(&key)
            && let Some(e) = self.entries.get_mut(i)
        {
            return Some(std::mem::replace(&mut e.1, v));
        }
        self.index.insert(key, self.entries.len());
        self.entries.push((k, v));
        None
    }

    pub fn remove(&mut self, k: &Value) -> Option<Value> {
        let key = MapKey::of(k);
        let i = self.index.remove(&key)?;
        if i >= self.entries.len() {
            return None;
        }
        let (_, v) = self.entries.remove(i);
        for (j, (kk, _)) in self.entries.iter().enumerate().skip(i) {
            self.index.insert(MapKey::of(kk), j);
        }
        Some(v)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }
}

/// Java `Double.toString(double)` (the crate's one implementation, in
/// [`crate::javanum`]).
pub use crate::javanum::double_to_string as java_double;

impl From<&serde_json::Value> for Value {
    /// Jackson `ObjectMapper.readValue(json, Map.class)` defaults: integers become
    /// the smallest of Integer/Long/BigInteger that fits, other numbers Double.
    fn from(v: &serde_json::Value) -> Self {
        from_json_depth(v, 0)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::from(&v)
    }
}

fn from_json_depth(v: &serde_json::Value, depth: usize) -> Value {
    if depth > 512 {
        return Value::Null;
    }
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if let Ok(i) = i32::try_from(i) { Value::Int(i) } else { Value::Long(i) }
            } else if let Some(u) = n.as_u64() {
                Value::BigInt(i128::from(u))
            } else {
                Value::Double(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::String(Arc::from(s.as_str())),
        serde_json::Value::Array(a) => {
            Value::List(Arc::new(a.iter().map(|x| from_json_depth(x, depth + 1)).collect()))
        }
        serde_json::Value::Object(o) => {
            let mut m = ValueMap::new();
            for (k, x) in o {
                m.insert(Value::String(Arc::from(k.as_str())), from_json_depth(x, depth + 1));
            }
            Value::Map(Arc::new(m))
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(Arc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(Arc::from(s))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        match i32::try_from(i) {
            Ok(v) => Value::Int(v),
            Err(_) => Value::Long(i),
        }
    }
}

impl From<f64> for Value {
    fn from(d: f64) -> Self {
        Value::Double(d)
    }
}

/// Convert a value to JSON (used by Genesys helpers); non-data objects become
/// their Java string.
pub(crate) fn to_json(v: &Value, depth: usize) -> serde_json::Value {
    if depth > 512 {
        return serde_json::Value::Null;
    }
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Long(i) => serde_json::Value::from(*i),
        Value::BigInt(i) => serde_json::Number::from_string_unchecked_fallback(*i),
        Value::Double(d) => {
            // JSON has no NaN or Infinity: Jackson-style output writes null for them.
            serde_json::Number::from_f64(*d).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)
        }
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::List(l) => serde_json::Value::Array(l.iter().map(|x| to_json(x, depth + 1)).collect()),
        Value::Map(m) => {
            let mut o = serde_json::Map::new();
            for (k, x) in m.iter() {
                o.insert(k.to_java_string(), to_json(x, depth + 1));
            }
            serde_json::Value::Object(o)
        }
        other => serde_json::Value::String(other.to_java_string()),
    }
}

trait BigFallback {
    fn from_string_unchecked_fallback(i: i128) -> serde_json::Value;
}

impl BigFallback for serde_json::Number {
    fn from_string_unchecked_fallback(i: i128) -> serde_json::Value {
        if let Ok(v) = i64::try_from(i) {
            serde_json::Value::from(v)
        } else if let Ok(v) = u64::try_from(i) {
            serde_json::Value::from(v)
        } else {
            serde_json::Value::from(i as f64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_double_formatting() {
        assert_eq!(java_double(21.0), "21.0");
        assert_eq!(java_double(1e21), "1.0E21");
        assert_eq!(java_double(1.5e-7), "1.5E-7");
        assert_eq!(java_double(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(java_double(100.0), "100.0");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(0.001), "0.001");
        assert_eq!(java_double(-2.5), "-2.5");
        assert_eq!(java_double(1234567.0), "1234567.0");
    }

    #[test]
    fn jackson_number_mapping() {
        let v: Value = (&serde_json::json!({"a": 1, "b": 3000000000i64, "c": 1.5})).into();
        let Value::Map(m) = v else { panic!() };
        assert!(matches!(m.get_str("a"), Some(Value::Int(1))));
        assert!(matches!(m.get_str("b"), Some(Value::Long(3000000000))));
        assert!(matches!(m.get_str("c"), Some(Value::Double(_))));
    }

    #[test]
    fn collection_to_string() {
        let v: Value = (&serde_json::json!({"k": [1, "a", null], "m": {"x": true}})).into();
        assert_eq!(v.to_java_string(), "{k=[1, a, null], m={x=true}}");
    }
}
