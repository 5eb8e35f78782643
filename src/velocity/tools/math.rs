//! VelocityTools 2.0 `MathTool` (`$math`), including its 2.0 quirks (number
//! parsing with grouping, result type matching, `null` on bad input).
//!
//! Owns: MathTool semantics. Must not touch: evaluation, other tools, Velocity
//! operator arithmetic (`methods.rs`).

use super::super::methods::Invoke::{self, *};
use super::super::value::Value;
use super::*;

// ------------------------------------------------------------------ MathTool

/// `DecimalFormat` (en_US, "#,##0.###") `parse`: Long when integral, else Double.
fn parse_number(st: &str) -> Option<Value> {
    let b = st.as_bytes();
    let mut i = 0;
    let neg = b.first() == Some(&b'-');
    if neg {
        i = 1;
    }
    let mut digits = String::new();
    let mut seen_dot = false;
    let mut any_digit = false;
    let mut exp: i64 = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            digits.push(c as char);
            any_digit = true;
            i += 1;
        } else if c == b',' && !seen_dot {
            if b.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
            } else {
                break;
            }
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
            digits.push('.');
            i += 1;
        } else if c == b'E' && any_digit {
            let mut j = i + 1;
            let mut eneg = false;
            if matches!(b.get(j), Some(b'+') | Some(b'-')) {
                eneg = b[j] == b'-';
                j += 1;
            }
            let start = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j > start {
                let e: i64 = st[start..j].parse().unwrap_or(i64::MAX / 4);
                exp = if eneg { -e } else { e };
            }
            break;
        } else {
            break;
        }
    }
    if !any_digit {
        return None;
    }
    let text = format!("{}{}e{}", if neg { "-" } else { "" }, digits.trim_end_matches('.'), exp);
    let v: f64 = text.parse().ok()?;
    if v.fract() == 0.0 && v.abs() < 9.2e18 && !(v == 0.0 && neg) {
        Some(Value::Long(v as i64))
    } else {
        Some(Value::Double(v))
    }
}

/// `ConversionUtils.toNumber(obj, "default", en_US)`.
fn to_number(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Int(_) | Value::Long(_) | Value::BigInt(_) | Value::Double(_) => Some(v.clone()),
        other => parse_number(&other.to_java_string()),
    }
}

fn dbl(v: &Value) -> f64 {
    match v {
        Value::Int(i) => f64::from(*i),
        Value::Long(l) => *l as f64,
        Value::BigInt(b) => *b as f64,
        Value::Double(d) => *d,
        _ => f64::NAN,
    }
}

fn int_value(v: &Value) -> i32 {
    match v {
        Value::Int(i) => *i,
        Value::Long(l) => *l as i32,
        Value::BigInt(b) => *b as i32,
        Value::Double(d) => *d as i32,
        _ => 0,
    }
}

/// `MathTool.matchType(double out, Number... in)`.
fn match_type(out: f64, ins: &[Option<&Value>]) -> Value {
    let mut integral = out.round_ties_even() == out;
    if integral {
        for n in ins {
            match n {
                None => break,
                Some(n) => {
                    if n.to_java_string().contains('.') {
                        integral = false;
                        break;
                    }
                }
            }
        }
    }
    if !integral {
        Value::Double(out)
    } else if out > f64::from(i32::MAX) || out < f64::from(i32::MIN) {
        Value::Long(out as i64)
    } else {
        Value::Int(out as i32)
    }
}

fn nums(args: &[Value]) -> Option<Vec<Value>> {
    args.iter().map(to_number).collect()
}

fn java_round(x: f64) -> i64 {
    // Math.round(double): floor(x + 0.5) with the 0.49999999999999994 fix
    if x.is_nan() {
        return 0;
    }
    let r = (x + 0.5).floor();
    if (r - x) > 0.5 { (r - 1.0) as i64 } else { r as i64 }
}

pub(super) fn math(name: &str, args: &[Value]) -> Invoke {
    let none = Ret(Value::Null);
    match name {
        "add" | "sub" | "mul" | "div" | "max" | "min" => {
            let Some(ns) = nums(args) else { return none };
            let mut value = match name {
                "mul" => 1.0,
                "max" => f64::from_bits(1), // Double.MIN_VALUE (the 2.0 quirk)
                "min" => f64::MAX,
                _ => 0.0,
            };
            for (i, n) in ns.iter().enumerate() {
                let d = dbl(n);
                match name {
                    "add" => value += d,
                    "sub" => {
                        if i == 0 {
                            value = d
                        } else {
                            value -= d
                        }
                    }
                    "mul" => value *= d,
                    "div" => {
                        if i == 0 {
                            value = d;
                        } else {
                            if d == 0.0 {
                                return none;
                            }
                            value /= d;
                        }
                    }
                    "max" => value = java_max(value, d),
                    _ => value = java_min(value, d),
                }
            }
            // the 2.0 implementation never fills the inputs array
            Ret(match_type(value, &[None]))
        }
        "pow" => match nums(args).as_deref() {
            Some([a, b]) => Ret(match_type(dbl(a).powf(dbl(b)), &[Some(a), Some(b)])),
            _ => none_or_nf(args.len() == 2),
        },
        "idiv" | "mod" => match nums(args).as_deref() {
            Some([a, b]) => {
                let (x, y) = (int_value(a), int_value(b));
                if y == 0 {
                    return none;
                }
                Ret(Value::Int(if name == "idiv" { x.wrapping_div(y) } else { x.wrapping_rem(y) }))
            }
            _ => none_or_nf(args.len() == 2),
        },
        "abs" => match nums(args).as_deref() {
            Some([a]) => Ret(match_type(dbl(a).abs(), &[Some(a)])),
            _ => none_or_nf(args.len() == 1),
        },
        "ceil" | "floor" | "round" => match nums(args).as_deref() {
            Some([a]) => {
                let d = dbl(a);
                let r = match name {
                    "ceil" => d.ceil(),
                    "floor" => d.floor(),
                    _ => d.round_ties_even(),
                };
                Ret(Value::Int(r as i32))
            }
            _ => none_or_nf(args.len() == 1),
        },
        "roundTo" => match nums(args).as_deref() {
            Some([p, v]) => {
                let places = int_value(p);
                let mut delta: i32 = 10;
                let mut j = 1;
                while j < places {
                    delta = delta.wrapping_mul(10);
                    j += 1;
                }
                let x = dbl(v) * f64::from(delta);
                Ret(Value::Double(java_round(x) as f64 / f64::from(delta)))
            }
            _ => none_or_nf(args.len() == 2),
        },
        "toInteger" => match args {
            [a] => match to_number(a) {
                Some(n) => Ret(Value::Int(int_value(&n))),
                None => none,
            },
            _ => NotFound,
        },
        "toDouble" => match args {
            [a] => match to_number(a) {
                Some(n) => Ret(Value::Double(dbl(&n))),
                None => none,
            },
            _ => NotFound,
        },
        "toNumber" => match args {
            [a] => to_number(a).map(Ret).unwrap_or(none),
            _ => NotFound,
        },
        // ASSUMPTION (G9): random values are deterministic (0.0 / lower bound).
        "getRandom" if args.is_empty() => Ret(Value::Double(0.0)),
        "random" => match nums(args).as_deref() {
            Some([a, b]) => {
                let both_int = !format!("{}{}", a.to_java_string(), b.to_java_string()).contains('.');
                if both_int {
                    Ret(match_type(dbl(a).floor(), &[Some(a), Some(b)]))
                } else {
                    Ret(Value::Double(dbl(a)))
                }
            }
            _ => none_or_nf(args.len() == 2),
        },
        "getTotal" | "getAverage" => {
            let items: Vec<Value> = match args {
                // The guard just checked `as_seq()`.
                [one] if one.as_seq().is_some() => one.as_seq().map(|l| l.to_vec()).unwrap_or_default(),
                [one] if one.is_null() => return none,
                many => many.to_vec(),
            };
            let mut total = 0.0;
            let mut first: Option<Value> = None;
            for it in &items {
                let Some(n) = to_number(it) else { return none };
                if first.is_none() {
                    first = Some(n.clone());
                }
                total += dbl(&n);
            }
            let t = match_type(total, &[first.as_ref()]);
            if name == "getTotal" {
                Ret(t)
            } else {
                let avg = dbl(&t) / items.len() as f64;
                Ret(match_type(avg, &[Some(&t)]))
            }
        }
        "getFormat" if args.is_empty() => s("default"),
        "getLocale" if args.is_empty() => s("en_US"),
        "getClass" if args.is_empty() => class("org.apache.velocity.tools.generic.MathTool"),
        _ => NotFound,
    }
}

fn none_or_nf(arity_ok: bool) -> Invoke {
    if arity_ok { Ret(Value::Null) } else { NotFound }
}

fn java_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

fn java_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

#[cfg(test)]
mod tests {
    use super::super::{invoke, run_tool as run};
    use crate::velocity::methods::Invoke::*;
    use crate::velocity::value::{Tool, Value};

    #[test]
    fn math_tool_matches_2_0_quirks() {
        assert_eq!(run(Tool::Math, "mul", &[Value::Double(10.5), Value::Int(2)]), "21");
        assert_eq!(run(Tool::Math, "div", &[Value::Int(7), Value::Int(2)]), "3.5");
        assert_eq!(run(Tool::Math, "pow", &[Value::Double(2.0), Value::Int(2)]), "4.0");
        assert_eq!(run(Tool::Math, "toInteger", &["3.7".into()]), "3");
        assert_eq!(run(Tool::Math, "add", &["1,000".into(), Value::Int(1)]), "1001");
        assert!(matches!(invoke(Tool::Math, "div", &[Value::Int(1), Value::Int(0)]), Ret(Value::Null)));
        assert_eq!(run(Tool::Math, "roundTo", &[Value::Int(2), Value::Double(1.23456)]), "1.23");
    }
}
