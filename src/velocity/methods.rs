//! Java method and property semantics for the objects a template can reach:
//! `String` (UTF-16 indices, Java regex via `jregex.rs`), `ArrayList`,
//! `LinkedHashMap` and its views, `Integer`/`Long`/`Double`/`BigInteger`,
//! `Boolean`, `Character`, `Map.Entry`, arrays (through Velocity's
//! `ArrayListWrapper`), `ForeachScope`, plus Velocity's `MathUtils` arithmetic.
//! Tool objects are dispatched to `tools/` (one file per tool).
//!
//! Owns: method lookup/overload emulation and exceptions (`Invoke::Throw`).
//! Must not touch: rendering, context/variables, parsing.

use std::sync::Arc;

use super::ast::BinOp;
use super::jregex;
use super::tools;
use super::value::{Object, ObjectKind, Value, ValueMap, java_string_hash};

/// Result of a Java method/property invocation.
#[derive(Debug)]
pub(crate) enum Invoke {
    /// No applicable public method (Velocity returns null / renders the literal).
    NotFound,
    /// Returned value (`Value::Null` for Java null).
    Ret(Value),
    /// A `void` method (Velocity renders it as an empty string).
    Void,
    /// The method threw: Java exception class and message.
    Throw(&'static str, String),
}

use Invoke::*;

const IOOBE: &str = "java.lang.IndexOutOfBoundsException";
const SIOOBE: &str = "java.lang.StringIndexOutOfBoundsException";
const NPE: &str = "java.lang.NullPointerException";

fn ret<V: Into<Value>>(v: V) -> Invoke {
    Ret(v.into())
}

fn s(v: &str) -> Invoke {
    Ret(Value::string(v))
}

// ------------------------------------------------------------------- numbers

/// `Number.intValue()` for the range operator.
pub(crate) fn int_value(v: &Value) -> Option<i32> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Long(l) => Some(*l as i32),
        Value::BigInt(b) => Some(*b as i32),
        Value::Double(d) => Some(*d as i32),
        _ => None,
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => f64::from(*i),
        Value::Long(l) => *l as f64,
        Value::BigInt(b) => *b as f64,
        Value::Double(d) => *d,
        _ => f64::NAN,
    }
}

fn as_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => i64::from(*i),
        Value::Long(l) => *l,
        Value::BigInt(b) => *b as i64,
        Value::Double(d) => *d as i64,
        _ => 0,
    }
}

fn type_rank(v: &Value) -> i32 {
    // MathUtils.typesBySize: Byte, Short, Integer, Long, Float, Double
    match v {
        Value::Int(_) => 2,
        Value::Long(_) => 3,
        Value::Double(_) => 5,
        _ => -1,
    }
}

fn wrap(value: i64, a: &Value, b: &Value) -> Value {
    let class = if type_rank(a) > type_rank(b) { a } else { b };
    match class {
        Value::Int(_) => match i32::try_from(value) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Long(value),
        },
        Value::Long(_) => Value::Long(value),
        _ => Value::BigInt(i128::from(value)),
    }
}

/// `MathUtils.compare` (-1, 0, 1).
pub(crate) fn num_compare(a: &Value, b: &Value) -> i32 {
    let ord = match (a, b) {
        (Value::Double(_), _) | (_, Value::Double(_)) => {
            let (x, y) = (as_f64(a), as_f64(b));
            if x < y {
                std::cmp::Ordering::Less
            } else if x > y {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        }
        (Value::BigInt(_), _) | (_, Value::BigInt(_)) => big(a).cmp(&big(b)),
        _ => as_i64(a).cmp(&as_i64(b)),
    };
    match ord {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

fn big(v: &Value) -> i128 {
    match v {
        Value::BigInt(b) => *b,
        other => i128::from(as_i64(other)),
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::BigInt(b) => *b == 0,
        other => as_f64(other) == 0.0,
    }
}

type MathErr = (&'static str, String);

/// `MathUtils` add/subtract/multiply/divide/modulo (division by zero yields null).
pub(crate) fn math_op(op: BinOp, a: &Value, b: &Value) -> Result<Value, MathErr> {
    if matches!(op, BinOp::Div | BinOp::Mod) && is_zero(b) {
        return Ok(Value::Null);
    }
    let overflow = || {
        ("gcsync.velocity.Unsupported", "BigInteger result beyond the supported 128-bit range".to_string())
    };
    let any_double = matches!(a, Value::Double(_)) || matches!(b, Value::Double(_));
    if any_double {
        let (x, y) = (as_f64(a), as_f64(b));
        return Ok(Value::Double(match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div => x / y,
            _ => x % y,
        }));
    }
    if matches!(a, Value::BigInt(_)) || matches!(b, Value::BigInt(_)) {
        let (x, y) = (big(a), big(b));
        let r = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            BinOp::Mul => x.checked_mul(y),
            BinOp::Div => x.checked_div(y),
            _ => {
                if y < 0 {
                    return Err((
                        "java.lang.ArithmeticException",
                        "BigInteger: modulus not positive".to_string(),
                    ));
                }
                x.checked_rem_euclid(y)
            }
        };
        return r.map(Value::BigInt).ok_or_else(overflow);
    }
    let (x, y) = (as_i64(a), as_i64(b));
    let r = match op {
        BinOp::Add => match x.checked_add(y) {
            Some(v) => v,
            None => return Ok(Value::BigInt(i128::from(x) + i128::from(y))),
        },
        BinOp::Sub => match x.checked_sub(y) {
            Some(v) => v,
            None => return Ok(Value::BigInt(i128::from(x) - i128::from(y))),
        },
        BinOp::Mul => match x.checked_mul(y) {
            Some(v) => v,
            None => return Ok(Value::BigInt(i128::from(x) * i128::from(y))),
        },
        BinOp::Div => x.wrapping_div(y),
        _ => x.wrapping_rem(y),
    };
    Ok(wrap(r, a, b))
}

// ------------------------------------------------------------------- strings

fn utf16(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn from16(u: &[u16]) -> String {
    String::from_utf16_lossy(u)
}

fn find16(hay: &[u16], needle: &[u16], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return (from <= hay.len()).then_some(from);
    }
    if from >= hay.len() || needle.len() > hay.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay[i..].starts_with(needle))
}

fn rfind16(hay: &[u16], needle: &[u16], from: i64) -> Option<usize> {
    if from < 0 || needle.len() > hay.len() {
        return None;
    }
    let max_start = (hay.len() - needle.len()).min(from as usize);
    (0..=max_start).rev().find(|&i| hay[i..].starts_with(needle))
}

fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn java_is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{1C}'..='\u{1F}')
        || (c.is_whitespace() && !matches!(c, '\u{A0}' | '\u{2007}' | '\u{202F}') && c != '\u{85}')
}

fn str_arg(v: &Value) -> Option<Option<&str>> {
    // Some(Some(s)) for a String, Some(None) for null (allowed for reference params)
    match v {
        Value::String(s) => Some(Some(s)),
        Value::Null => Some(None),
        _ => None,
    }
}

fn int_arg(v: &Value) -> Option<i32> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

fn char_arg(v: &Value) -> Option<u16> {
    match v {
        Value::Object(Object(ObjectKind::Char(c))) => Some(*c),
        _ => None,
    }
}

fn string_array(parts: Vec<String>) -> Value {
    Value::Object(Object(ObjectKind::Array(
        Arc::new(parts.into_iter().map(Value::from).collect()),
        "java.lang.String[]",
    )))
}

fn compare16(a: &[u16], b: &[u16]) -> i32 {
    for (x, y) in a.iter().zip(b.iter()) {
        if x != y {
            return i32::from(*x) - i32::from(*y);
        }
    }
    (a.len() as i64 - b.len() as i64) as i32
}

fn string_method(st: &str, name: &str, args: &[Value]) -> Invoke {
    match (name, args) {
        ("length", []) => ret(st.encode_utf16().count() as i32),
        ("isEmpty", []) => ret(st.is_empty()),
        ("isBlank", []) => ret(st.chars().all(java_is_whitespace)),
        ("toString" | "intern", []) => s(st),
        ("hashCode", []) => ret(java_string_hash(st)),
        ("toLowerCase", []) => s(&st.to_lowercase()),
        ("toUpperCase", []) => s(&st.to_uppercase()),
        ("trim", []) => s(java_trim(st)),
        ("strip", []) => s(st.trim_matches(java_is_whitespace)),
        ("stripLeading", []) => s(st.trim_start_matches(java_is_whitespace)),
        ("stripTrailing", []) => s(st.trim_end_matches(java_is_whitespace)),
        ("getClass", []) => Ret(Value::Object(Object(ObjectKind::Class("java.lang.String")))),
        ("equals", [o]) => ret(matches!(o, Value::String(x) if &**x == st)),
        ("equalsIgnoreCase", [o]) => match str_arg(o) {
            Some(Some(x)) => {
                let a = utf16(st);
                let b = utf16(x);
                ret(a.len() == b.len() && from16(&a).to_lowercase() == from16(&b).to_lowercase()
                    || st.to_uppercase() == x.to_uppercase())
            }
            Some(None) => ret(false),
            None => NotFound,
        },
        ("contentEquals", [o]) => match str_arg(o) {
            Some(Some(x)) => ret(x == st),
            Some(None) => Throw(NPE, "null".into()),
            None => NotFound,
        },
        ("charAt", [i]) => match int_arg(i) {
            Some(i) => {
                let u = utf16(st);
                match usize::try_from(i).ok().and_then(|i| u.get(i)) {
                    Some(c) => Ret(Value::Object(Object(ObjectKind::Char(*c)))),
                    None => Throw(SIOOBE, format!("index {i}, length {}", u.len())),
                }
            }
            None => NotFound,
        },
        ("substring", [b]) => match int_arg(b) {
            Some(b) => {
                let u = utf16(st);
                if b < 0 || b as usize > u.len() {
                    return Throw(SIOOBE, format!("begin {b}, end {}, length {}", u.len(), u.len()));
                }
                s(&from16(&u[b as usize..]))
            }
            None => NotFound,
        },
        ("substring" | "subSequence", [b, e]) => match (int_arg(b), int_arg(e)) {
            (Some(b), Some(e)) => {
                let u = utf16(st);
                if b < 0 || e < b || e as usize > u.len() {
                    return Throw(SIOOBE, format!("begin {b}, end {e}, length {}", u.len()));
                }
                s(&from16(&u[b as usize..e as usize]))
            }
            _ => NotFound,
        },
        ("indexOf", [x]) => index_of(st, x, 0, false),
        ("indexOf", [x, f]) => match int_arg(f) {
            Some(f) => index_of(st, x, f, false),
            None => NotFound,
        },
        ("lastIndexOf", [x]) => index_of(st, x, i32::MAX, true),
        ("lastIndexOf", [x, f]) => match int_arg(f) {
            Some(f) => index_of(st, x, f, true),
            None => NotFound,
        },
        ("contains", [x]) => match str_arg(x) {
            Some(Some(x)) => ret(st.contains(x)),
            Some(None) => Throw(NPE, "null".into()),
            None => NotFound,
        },
        ("startsWith", [x]) => match str_arg(x) {
            Some(Some(x)) => ret(st.starts_with(x)),
            Some(None) => Throw(NPE, "null".into()),
            None => NotFound,
        },
        ("startsWith", [x, f]) => match (str_arg(x), int_arg(f)) {
            (Some(Some(x)), Some(f)) => {
                let u = utf16(st);
                let p = utf16(x);
                ret(f >= 0 && (f as usize) <= u.len() && u[f as usize..].starts_with(&p))
            }
            (Some(None), Some(_)) => Throw(NPE, "null".into()),
            _ => NotFound,
        },
        ("endsWith", [x]) => match str_arg(x) {
            Some(Some(x)) => ret(st.ends_with(x)),
            Some(None) => Throw(NPE, "null".into()),
            None => NotFound,
        },
        ("concat", [x]) => match str_arg(x) {
            Some(Some(x)) => s(&format!("{st}{x}")),
            Some(None) => Throw(NPE, "null".into()),
            None => NotFound,
        },
        ("compareTo", [x]) => match str_arg(x) {
            Some(Some(x)) => ret(compare16(&utf16(st), &utf16(x))),
            Some(None) => Throw(NPE, "null".into()),
            None => NotFound,
        },
        ("compareToIgnoreCase", [x]) => match str_arg(x) {
            Some(Some(x)) => {
                let a: String = st.chars().flat_map(char::to_lowercase).collect();
                let b: String = x.chars().flat_map(char::to_lowercase).collect();
                ret(compare16(&utf16(&a), &utf16(&b)))
            }
            Some(None) => Throw(NPE, "null".into()),
            None => NotFound,
        },
        ("replace", [a, b]) => {
            if let (Some(x), Some(y)) = (char_arg(a), char_arg(b)) {
                let u: Vec<u16> = utf16(st).into_iter().map(|c| if c == x { y } else { c }).collect();
                return s(&from16(&u));
            }
            match (str_arg(a), str_arg(b)) {
                (Some(Some(x)), Some(Some(y))) => s(&st.replace(x, y)),
                (Some(_), Some(_)) => Throw(NPE, "null".into()),
                _ => NotFound,
            }
        }
        ("replaceAll" | "replaceFirst", [a, b]) => match (str_arg(a), str_arg(b)) {
            (Some(Some(re)), Some(Some(rep))) => match jregex::replace(st, re, rep, name == "replaceAll") {
                Ok(v) => s(&v),
                Err((c, m)) => Throw(c, m),
            },
            (Some(_), Some(_)) => Throw(NPE, "null".into()),
            _ => NotFound,
        },
        ("matches", [a]) => match str_arg(a) {
            Some(Some(re)) => match jregex::matches(st, re) {
                Ok(v) => ret(v),
                Err((c, m)) => Throw(c, m),
            },
            Some(None) => Throw(NPE, "null".into()),
            None => NotFound,
        },
        ("split", [a]) => split_call(st, a, 0),
        ("split", [a, l]) => match int_arg(l) {
            Some(l) => split_call(st, a, l),
            None => NotFound,
        },
        ("repeat", [n]) => match int_arg(n) {
            Some(n) if n < 0 => {
                Throw("java.lang.IllegalArgumentException", format!("count is negative: {n}"))
            }
            Some(n) => {
                if st.len().saturating_mul(n as usize) > 64 * 1024 * 1024 {
                    return Throw("java.lang.OutOfMemoryError", "Repeating exceeds limit".into());
                }
                s(&st.repeat(n as usize))
            }
            None => NotFound,
        },
        ("toCharArray", []) => Ret(Value::Object(Object(ObjectKind::Array(
            Arc::new(utf16(st).into_iter().map(|c| Value::Object(Object(ObjectKind::Char(c)))).collect()),
            "char[]",
        )))),
        ("join", [sep, rest @ ..]) if !rest.is_empty() => {
            let Some(Some(sep)) = str_arg(sep) else {
                return NotFound;
            };
            let items: Vec<Value> = if rest.len() == 1 {
                match rest[0].as_seq() {
                    Some(l) => l.to_vec(),
                    None => rest.to_vec(),
                }
            } else {
                rest.to_vec()
            };
            if items.iter().any(|v| !matches!(v, Value::String(_) | Value::Null)) {
                return NotFound;
            }
            let parts: Vec<String> = items.iter().map(|v| v.to_java_string()).collect();
            s(&parts.join(sep))
        }
        ("valueOf", [v]) => s(&v.to_java_string()),
        ("getBytes", []) => Ret(Value::Object(Object(ObjectKind::Array(
            Arc::new(st.bytes().map(|b| Value::Int(i32::from(b as i8))).collect()),
            "byte[]",
        )))),
        ("codePointAt", [i]) => match int_arg(i) {
            Some(i) => {
                let u = utf16(st);
                match usize::try_from(i).ok().filter(|&i| i < u.len()) {
                    Some(i) => {
                        let c = u[i];
                        if (0xD800..0xDC00).contains(&c)
                            && let Some(&lo) = u.get(i + 1)
                            && (0xDC00..0xE000).contains(&lo)
                        {
                            return ret(0x10000 + ((i32::from(c) - 0xD800) << 10) + (i32::from(lo) - 0xDC00));
                        }
                        ret(i32::from(c))
                    }
                    None => Throw(SIOOBE, format!("Index {i} out of bounds for length {}", u.len())),
                }
            }
            None => NotFound,
        },
        _ => NotFound,
    }
}

fn index_of(s: &str, x: &Value, from: i32, last: bool) -> Invoke {
    let needle: Vec<u16> = match x {
        Value::String(n) => utf16(n),
        Value::Int(c) => match char::from_u32(*c as u32) {
            Some(ch) => ch.to_string().encode_utf16().collect(),
            None => return ret(-1),
        },
        Value::Null => return Throw(NPE, "null".into()),
        _ => return NotFound,
    };
    let hay = utf16(s);
    let r = if last {
        rfind16(&hay, &needle, i64::from(from))
    } else {
        find16(&hay, &needle, from.max(0) as usize)
    };
    ret(r.map(|i| i as i32).unwrap_or(-1))
}

fn split_call(s: &str, re: &Value, limit: i32) -> Invoke {
    match str_arg(re) {
        Some(Some(re)) => match jregex::split(s, re, limit) {
            Ok(parts) => Ret(string_array(parts)),
            Err((c, m)) => Throw(c, m),
        },
        Some(None) => Throw(NPE, "null".into()),
        None => NotFound,
    }
}

// -------------------------------------------------------------- collections

pub(crate) fn size_of(v: &Value) -> Option<i32> {
    match v {
        Value::Map(m) => Some(m.len() as i32),
        Value::Object(Object(ObjectKind::Foreach(_))) => Some(0),
        other => other.as_seq().map(|l| l.len() as i32),
    }
}

fn contains(l: &[Value], o: &Value) -> bool {
    l.iter().any(|x| x.java_equals(o))
}

fn list_read(l: &[Value], name: &str, args: &[Value], class: &'static str, is_list: bool) -> Invoke {
    match (name, args) {
        ("size", []) => ret(l.len() as i32),
        ("isEmpty", []) => ret(l.is_empty()),
        ("contains", [o]) => ret(contains(l, o)),
        ("containsAll", [o]) => match o.as_seq() {
            Some(c) => ret(c.iter().all(|x| contains(l, x))),
            None if o.is_null() => Throw(NPE, "null".into()),
            None => NotFound,
        },
        ("toString", []) => {
            let mut out = String::new();
            Value::List(Arc::new(l.to_vec())).write_java(&mut out, 0);
            s(&out)
        }
        ("hashCode", []) => ret(Value::List(Arc::new(l.to_vec())).java_hash()),
        ("getClass", []) => Ret(Value::Object(Object(ObjectKind::Class(class)))),
        ("toArray", []) => {
            Ret(Value::Object(Object(ObjectKind::Array(Arc::new(l.to_vec()), "java.lang.Object[]"))))
        }
        ("get", [i]) if is_list => match int_arg(i) {
            Some(i) => match usize::try_from(i).ok().and_then(|i| l.get(i)) {
                Some(v) => Ret(v.clone()),
                None => Throw(IOOBE, format!("Index {i} out of bounds for length {}", l.len())),
            },
            None => NotFound,
        },
        ("indexOf", [o]) if is_list => {
            ret(l.iter().position(|x| x.java_equals(o)).map(|i| i as i32).unwrap_or(-1))
        }
        ("lastIndexOf", [o]) if is_list => {
            ret(l.iter().rposition(|x| x.java_equals(o)).map(|i| i as i32).unwrap_or(-1))
        }
        ("subList", [a, b]) if is_list => match (int_arg(a), int_arg(b)) {
            (Some(a), Some(b)) => {
                if a < 0 || b as usize > l.len() || a > b {
                    return Throw(IOOBE, format!("fromIndex: {a}, toIndex: {b}, size: {}", l.len()));
                }
                Ret(Value::List(Arc::new(l[a as usize..b as usize].to_vec())))
            }
            _ => NotFound,
        },
        _ => NotFound,
    }
}

fn map_read(m: &ValueMap, name: &str, args: &[Value]) -> Invoke {
    match (name, args) {
        ("size", []) => ret(m.len() as i32),
        ("isEmpty", []) => ret(m.is_empty()),
        // Java semantics: an absent key or element is null.
        ("get", [k]) => Ret(m.get(k).cloned().unwrap_or(Value::Null)),
        ("getOrDefault", [k, d]) => Ret(match m.get(k) {
            Some(v) => v.clone(),
            None => d.clone(),
        }),
        ("containsKey", [k]) => ret(m.contains_key(k)),
        ("containsValue", [v]) => ret(m.values().any(|x| x.java_equals(v))),
        ("keySet", []) => Ret(Value::Object(Object(ObjectKind::Collection(
            Arc::new(m.keys().cloned().collect()),
            "java.util.LinkedHashMap$LinkedKeySet",
        )))),
        ("values", []) => Ret(Value::Object(Object(ObjectKind::Collection(
            Arc::new(m.values().cloned().collect()),
            "java.util.LinkedHashMap$LinkedValues",
        )))),
        ("entrySet", []) => Ret(Value::Object(Object(ObjectKind::Collection(
            Arc::new(
                m.iter()
                    .map(|(k, v)| Value::Object(Object(ObjectKind::Entry(Arc::new((k.clone(), v.clone()))))))
                    .collect(),
            ),
            "java.util.LinkedHashMap$LinkedEntrySet",
        )))),
        ("toString", []) => s(&Value::Map(Arc::new(m.clone())).to_java_string()),
        ("hashCode", []) => ret(Value::Map(Arc::new(m.clone())).java_hash()),
        ("getClass", []) => Ret(Value::Object(Object(ObjectKind::Class("java.util.LinkedHashMap")))),
        _ => NotFound,
    }
}

/// Whether `name(args)` mutates the receiver (needs write-back).
pub(crate) fn is_mutator(recv: &Value, name: &str, args: &[Value]) -> bool {
    match recv {
        Value::List(_) => matches!(
            (name, args.len()),
            ("add", 1 | 2)
                | ("set", 2)
                | ("remove", 1)
                | ("clear", 0)
                | ("addAll", 1 | 2)
                | ("removeAll", 1)
                | ("retainAll", 1)
        ),
        Value::Map(_) => matches!(
            (name, args.len()),
            ("put", 2) | ("remove", 1) | ("clear", 0) | ("putAll", 1) | ("putIfAbsent", 2)
        ),
        Value::Object(Object(ObjectKind::Array(..))) => matches!((name, args.len()), ("set", 2)),
        _ => false,
    }
}

/// Mutating methods, applied in place.
pub(crate) fn invoke_mut(recv: &mut Value, name: &str, args: &[Value]) -> Invoke {
    match recv {
        Value::List(l) => {
            let l = Arc::make_mut(l);
            match (name, args) {
                ("add", [v]) => {
                    l.push(v.clone());
                    ret(true)
                }
                ("add", [i, v]) => match int_arg(i) {
                    Some(i) if i >= 0 && (i as usize) <= l.len() => {
                        l.insert(i as usize, v.clone());
                        Void
                    }
                    Some(i) => Throw(IOOBE, format!("Index: {i}, Size: {}", l.len())),
                    None => NotFound,
                },
                ("set", [i, v]) => match int_arg(i) {
                    Some(i) => match usize::try_from(i).ok().and_then(|i| l.get_mut(i)) {
                        Some(slot) => Ret(std::mem::replace(slot, v.clone())),
                        None => Throw(IOOBE, format!("Index {i} out of bounds for length {}", l.len())),
                    },
                    None => NotFound,
                },
                ("remove", [i]) => match i {
                    Value::Int(i) => {
                        if *i >= 0 && (*i as usize) < l.len() {
                            Ret(l.remove(*i as usize))
                        } else {
                            Throw(IOOBE, format!("Index {i} out of bounds for length {}", l.len()))
                        }
                    }
                    o => match l.iter().position(|x| x.java_equals(o)) {
                        Some(p) => {
                            l.remove(p);
                            ret(true)
                        }
                        None => ret(false),
                    },
                },
                ("clear", []) => {
                    l.clear();
                    Void
                }
                ("addAll", [c]) => match c.as_seq() {
                    Some(items) => {
                        let changed = !items.is_empty();
                        l.extend(items.iter().cloned());
                        ret(changed)
                    }
                    None if c.is_null() => Throw(NPE, "null".into()),
                    None => NotFound,
                },
                ("removeAll" | "retainAll", [c]) => match c.as_seq() {
                    Some(items) => {
                        let before = l.len();
                        let keep_in = name == "retainAll";
                        l.retain(|x| contains(items, x) == keep_in);
                        ret(before != l.len())
                    }
                    None if c.is_null() => Throw(NPE, "null".into()),
                    None => NotFound,
                },
                _ => NotFound,
            }
        }
        Value::Map(m) => {
            let m = Arc::make_mut(m);
            match (name, args) {
                // Java `Map.put` returns the previous value, null when there was none.
                ("put", [k, v]) => Ret(m.insert(k.clone(), v.clone()).unwrap_or(Value::Null)),
                ("putIfAbsent", [k, v]) => match m.get(k) {
                    Some(x) if !x.is_null() => Ret(x.clone()),
                    // Java `Map.put` returns the previous value, null when there was none.
                    _ => Ret(m.insert(k.clone(), v.clone()).unwrap_or(Value::Null)),
                },
                // Java `Map.remove` returns the removed value, null when there was none.
                ("remove", [k]) => Ret(m.remove(k).unwrap_or(Value::Null)),
                ("clear", []) => {
                    m.clear();
                    Void
                }
                ("putAll", [o]) => match o {
                    Value::Map(src) => {
                        for (k, v) in src.iter() {
                            m.insert(k.clone(), v.clone());
                        }
                        Void
                    }
                    Value::Null => Throw(NPE, "null".into()),
                    _ => NotFound,
                },
                _ => NotFound,
            }
        }
        Value::Object(Object(ObjectKind::Array(a, _))) => match (name, args) {
            ("set", [i, v]) => match int_arg(i) {
                Some(i) => {
                    let a = Arc::make_mut(a);
                    match usize::try_from(i).ok().and_then(|i| a.get_mut(i)) {
                        Some(slot) => Ret(std::mem::replace(slot, v.clone())),
                        None => Throw(
                            "java.lang.ArrayIndexOutOfBoundsException",
                            format!("Index {i} out of bounds"),
                        ),
                    }
                }
                None => NotFound,
            },
            _ => NotFound,
        },
        other => invoke(other, name, args),
    }
}

// ----------------------------------------------------------------- dispatch

fn number_method(v: &Value, name: &str, args: &[Value]) -> Invoke {
    let class = v.java_class();
    match (name, args) {
        ("toString", []) => s(&v.to_java_string()),
        ("hashCode", []) => ret(v.java_hash()),
        ("equals", [o]) => ret(o.java_class() == class && v.java_equals(o)),
        ("intValue", []) => ret(int_value(v).unwrap_or(0)),
        ("longValue", []) => Ret(Value::Long(as_i64(v))),
        ("doubleValue", []) => Ret(Value::Double(as_f64(v))),
        ("compareTo", [o]) if o.java_class() == class => ret(num_compare(v, o)),
        ("compareTo", [Value::Null]) => Throw(NPE, "null".into()),
        ("isNaN", []) if matches!(v, Value::Double(_)) => ret(as_f64(v).is_nan()),
        ("isInfinite", []) if matches!(v, Value::Double(_)) => ret(as_f64(v).is_infinite()),
        ("getClass", []) => Ret(Value::Object(Object(ObjectKind::Class(class)))),
        _ => NotFound,
    }
}

/// Invoke a (non-mutating) public method.
pub(crate) fn invoke(recv: &Value, name: &str, args: &[Value]) -> Invoke {
    match recv {
        Value::Null => NotFound,
        Value::String(st) => string_method(st, name, args),
        Value::List(l) => match (name, args) {
            ("equals", [o]) => ret(recv.java_equals(o)),
            _ => list_read(l, name, args, "java.util.ArrayList", true),
        },
        Value::Map(m) => match (name, args) {
            ("equals", [o]) => ret(recv.java_equals(o)),
            _ => map_read(m, name, args),
        },
        Value::Bool(b) => match (name, args) {
            ("toString", []) => s(if *b { "true" } else { "false" }),
            ("booleanValue", []) => ret(*b),
            ("hashCode", []) => ret(recv.java_hash()),
            ("equals", [o]) => ret(matches!(o, Value::Bool(x) if x == b)),
            ("compareTo", [Value::Bool(o)]) => ret(i32::from(*b) - i32::from(*o)),
            ("getClass", []) => Ret(Value::Object(Object(ObjectKind::Class("java.lang.Boolean")))),
            _ => NotFound,
        },
        Value::Int(_) | Value::Long(_) | Value::BigInt(_) | Value::Double(_) => {
            number_method(recv, name, args)
        }
        Value::Tool(t) => tools::invoke(*t, name, args),
        Value::Object(Object(k)) => match k {
            ObjectKind::Char(c) => match (name, args) {
                ("toString", []) => s(&String::from_utf16_lossy(&[*c])),
                ("charValue", []) => Ret(recv.clone()),
                ("hashCode", []) => ret(i32::from(*c)),
                ("equals", [o]) => ret(recv.java_equals(o)),
                ("compareTo", [Value::Object(Object(ObjectKind::Char(o)))]) => {
                    ret(i32::from(*c) - i32::from(*o))
                }
                ("getClass", []) => Ret(Value::Object(Object(ObjectKind::Class("java.lang.Character")))),
                _ => NotFound,
            },
            ObjectKind::Array(a, class) => match (name, args) {
                ("toString", []) => s(&recv.to_java_string()),
                ("equals", [o]) => ret(recv.java_equals(o)),
                ("hashCode", []) => ret(recv.java_hash()),
                ("getClass", []) => Ret(Value::Object(Object(ObjectKind::Class(class)))),
                (
                    "size" | "isEmpty" | "contains" | "get" | "indexOf" | "lastIndexOf" | "containsAll"
                    | "subList" | "toArray",
                    _,
                ) => list_read(a, name, args, class, true),
                _ => NotFound,
            },
            ObjectKind::Collection(l, class) => match (name, args) {
                ("equals", [o]) => ret(recv.java_equals(o)),
                _ => list_read(l, name, args, class, false),
            },
            ObjectKind::Entry(e) => match (name, args) {
                ("getKey", []) => Ret(e.0.clone()),
                ("getValue", []) => Ret(e.1.clone()),
                ("toString", []) => s(&recv.to_java_string()),
                ("equals", [o]) => ret(recv.java_equals(o)),
                ("hashCode", []) => ret(e.0.java_hash() ^ e.1.java_hash()),
                ("getClass", []) => {
                    Ret(Value::Object(Object(ObjectKind::Class("java.util.LinkedHashMap$Entry"))))
                }
                _ => NotFound,
            },
            ObjectKind::Foreach(f) => match (name, args) {
                ("getIndex", []) => ret(f.index),
                ("getCount", []) => ret(f.index.wrapping_add(1)),
                ("hasNext" | "getHasNext", []) => ret(f.has_next),
                ("isFirst" | "getFirst", []) => ret(f.index < 1),
                ("isLast" | "getLast", []) => ret(!f.has_next),
                // The outermost `$foreach` has no parent: Velocity returns null.
                ("getParent", []) => Ret(f.parent.clone().unwrap_or(Value::Null)),
                ("getTopmost", []) => {
                    let mut cur = recv.clone();
                    let mut guard = 0;
                    while let Value::Object(Object(ObjectKind::Foreach(x))) = &cur {
                        guard += 1;
                        match &x.parent {
                            Some(p) if guard < 10_000 => cur = p.clone(),
                            _ => break,
                        }
                    }
                    Ret(cur)
                }
                ("getReplaced", []) => {
                    let mut cur = f.clone();
                    let mut guard = 0;
                    loop {
                        guard += 1;
                        if let Some(r) = &cur.replaced {
                            return Ret(r.clone());
                        }
                        match &cur.parent {
                            Some(Value::Object(Object(ObjectKind::Foreach(p)))) if guard < 10_000 => {
                                cur = p.clone()
                            }
                            _ => return Ret(Value::Null),
                        }
                    }
                }
                ("size", []) => ret(0),
                ("isEmpty", []) => ret(true),
                ("get", [_]) => Ret(Value::Null),
                ("toString", []) => s("{}"),
                ("getClass", []) => Ret(Value::Object(Object(ObjectKind::Class(
                    "org.apache.velocity.runtime.directive.ForeachScope",
                )))),
                _ => NotFound,
            },
            ObjectKind::Define(_) => NotFound,
            ObjectKind::Class(c) => match (name, args) {
                ("getName" | "getTypeName", []) => s(c),
                ("getSimpleName", []) => s(c.rsplit(['.', '$']).next().unwrap_or(c)),
                ("toString", []) => s(&format!("class {c}")),
                _ => NotFound,
            },
        },
    }
}

/// Velocity property lookup (`getFoo()`/`getfoo()`, `Map.get`, `get("foo")`, `isFoo()`).
pub(crate) fn property(recv: &Value, id: &str) -> Option<Invoke> {
    if let Value::Map(m) = recv {
        if id == "class" || id == "Class" {
            return Some(Ret(Value::Object(Object(ObjectKind::Class("java.util.LinkedHashMap")))));
        }
        // Java semantics: an absent key or element is null.
        return Some(Ret(m.get_str(id).cloned().unwrap_or(Value::Null)));
    }
    let mut variants = Vec::with_capacity(2);
    variants.push(id.to_string());
    let mut cs = id.chars();
    if let Some(f) = cs.next() {
        let flipped: String = if f.is_lowercase() {
            f.to_uppercase().chain(cs).collect()
        } else {
            f.to_lowercase().chain(cs).collect()
        };
        if flipped != id {
            variants.push(flipped);
        }
    }
    for v in &variants {
        let getter = format!("get{v}");
        match invoke(recv, &getter, &[]) {
            NotFound => {}
            r => return Some(r),
        }
    }
    if let Value::Object(Object(ObjectKind::Foreach(_))) = recv {
        return Some(Ret(Value::Null));
    }
    for v in &variants {
        let getter = format!("is{v}");
        match invoke(recv, &getter, &[]) {
            NotFound => {}
            r @ Ret(Value::Bool(_)) => return Some(r),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_overflow_promotes_like_velocity() {
        let r = math_op(BinOp::Add, &Value::Int(i32::MAX), &Value::Int(1)).unwrap();
        assert!(matches!(r, Value::Long(2147483648)));
        let r = math_op(BinOp::Add, &Value::Long(i64::MAX), &Value::Int(1)).unwrap();
        assert!(matches!(r, Value::BigInt(_)));
        let r = math_op(BinOp::Div, &Value::Int(7), &Value::Int(0)).unwrap();
        assert!(r.is_null());
        let r = math_op(BinOp::Div, &Value::Int(-7), &Value::Int(2)).unwrap();
        assert!(matches!(r, Value::Int(-3)));
    }

    #[test]
    fn string_methods_follow_java() {
        let r = string_method("Hello", "substring", &[Value::Int(1), Value::Int(3)]);
        assert!(matches!(r, Ret(Value::String(s)) if &*s == "el"));
        let r = string_method("Hello", "substring", &[Value::Int(9)]);
        assert!(matches!(r, Throw(SIOOBE, _)));
        let r = string_method("Hello", "indexOf", &[Value::from("l")]);
        assert!(matches!(r, Ret(Value::Int(2))));
        let r = string_method("  x ", "trim", &[]);
        assert!(matches!(r, Ret(Value::String(s)) if &*s == "x"));
    }
}
