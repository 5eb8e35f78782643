//! Path functions of Jayway 2.10.0 (`PathFunctionFactory`).
//!
//! Owns: `avg() stddev() sum() min() max()` (double aggregation with Jayway's
//! quirks, e.g. `max()` starting at `Double.MIN_VALUE`), `concat() append()
//! keys() first() last() index()`, and `Parameter.toList` argument
//! consumption. `length()`/`size()` live in `eval` because they evaluate a
//! path argument. Must not: refer to anything outside `crate::jsonpath`.

use std::borrow::Cow;

use serde_json::{Number, Value};

use super::error::{Error, INDEX_OOB};
use super::eval::java_to_string;
use super::number::{clone_value, number_as_f64};

/// A known path function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Avg,
    StdDev,
    Sum,
    Min,
    Max,
    Concat,
    Length,
    Append,
    Keys,
    First,
    Last,
    Index,
}

/// `PathFunctionFactory.FUNCTIONS`.
pub(crate) fn lookup(name: &str) -> Option<Func> {
    Some(match name {
        "avg" => Func::Avg,
        "stddev" => Func::StdDev,
        "sum" => Func::Sum,
        "min" => Func::Min,
        "max" => Func::Max,
        "concat" => Func::Concat,
        "length" | "size" => Func::Length,
        "append" => Func::Append,
        "keys" => Func::Keys,
        "first" => Func::First,
        "last" => Func::Last,
        "index" => Func::Index,
        _ => return None,
    })
}

/// A resolved function argument (`Parameter.getValue()`).
pub(crate) enum ParamValue<'a> {
    Value(Cow<'a, Value>),
    /// A JSON argument that json-smart could not parse; the error surfaces
    /// only when the function consumes the argument.
    Invalid(Error),
}

impl ParamValue<'_> {
    fn get(&self) -> Result<&Value, Error> {
        match self {
            ParamValue::Value(v) => Ok(v.as_ref()),
            ParamValue::Invalid(e) => Err(e.clone()),
        }
    }
}

const EMPTY_AGG: &str = "Aggregation function attempted to calculate value using empty array";

/// A Java double as JSON: NaN and infinities (not representable in JSON)
/// become the strings Java prints for them.
pub(crate) fn double_value(d: f64) -> Value {
    match Number::from_f64(d) {
        Some(n) => Value::Number(n),
        None => Value::String(super::number::java_double_to_string(d)),
    }
}

/// `Parameter.toList(Number.class, ...)`.
fn numbers_of(params: &[ParamValue<'_>]) -> Result<Vec<f64>, Error> {
    let mut out = Vec::new();
    for p in params {
        match p.get()? {
            Value::Array(a) => {
                for e in a {
                    if let Value::Number(n) = e {
                        out.push(number_as_f64(n));
                    }
                }
            }
            Value::Number(n) => out.push(number_as_f64(n)),
            _ => {}
        }
    }
    Ok(out)
}

/// `Parameter.toList(String.class, ...)`.
fn strings_of(params: &[ParamValue<'_>]) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for p in params {
        match p.get()? {
            Value::Array(a) => {
                for e in a {
                    if !e.is_null() {
                        out.push(java_to_string(e));
                    }
                }
            }
            Value::Null => {}
            other => out.push(java_to_string(other)),
        }
    }
    Ok(out)
}

/// Invoke every function except `length()`.
pub(crate) fn apply(f: Func, model: &Value, params: Option<&[ParamValue<'_>]>) -> Result<Value, Error> {
    match f {
        Func::Avg | Func::StdDev | Func::Sum | Func::Min | Func::Max => aggregate(f, model, params),
        Func::Concat => {
            let mut s = String::new();
            if let Value::Array(a) = model {
                for e in a {
                    if let Value::String(x) = e {
                        s.push_str(x);
                    }
                }
            }
            if let Some(ps) = params {
                for x in strings_of(ps)? {
                    s.push_str(&x);
                }
            }
            Ok(Value::String(s))
        }
        Func::Append => {
            let mut out = clone_value(model);
            if let Some(ps) = params {
                for p in ps {
                    let v = p.get()?;
                    if let Value::Array(a) = &mut out {
                        a.push(clone_value(v));
                    }
                }
            }
            Ok(out)
        }
        Func::Keys => Ok(match model {
            Value::Object(m) => Value::Array(m.keys().map(|k| Value::String(k.clone())).collect()),
            _ => Value::Null,
        }),
        Func::First | Func::Last | Func::Index => {
            let Value::Array(list) = model else {
                return Err(Error::json_path(EMPTY_AGG));
            };
            let target: i64 = match f {
                Func::First => 0,
                Func::Last => -1,
                _ => {
                    let nums = numbers_of(params.unwrap_or(&[]))?;
                    match nums.first() {
                        Some(d) => java_int_value(*d),
                        None => {
                            return Err(Error::java(INDEX_OOB, "Index 0 out of bounds for length 0"));
                        }
                    }
                }
            };
            let n = list.len() as i64;
            if target >= 0 {
                return list.get(target as usize).map(clone_value).ok_or_else(|| {
                    Error::java(INDEX_OOB, format!("Index {target} out of bounds for length {n}"))
                });
            }
            let real = n + target;
            if real > 0 {
                // Out of range after the negative-index adjustment: Jayway answers null.
                Ok(list.get(real as usize).map(clone_value).unwrap_or(Value::Null))
            } else {
                Err(Error::json_path(format!("Target index:{target} larger than object count:{n}")))
            }
        }
        Func::Length => Ok(Value::Null),
    }
}

/// Java `Number.intValue()` of a double (saturating, NaN -> 0).
fn java_int_value(d: f64) -> i64 {
    if d.is_nan() {
        0
    } else if d >= f64::from(i32::MAX) {
        i64::from(i32::MAX)
    } else if d <= f64::from(i32::MIN) {
        i64::from(i32::MIN)
    } else {
        d.trunc() as i64
    }
}

fn aggregate(f: Func, model: &Value, params: Option<&[ParamValue<'_>]>) -> Result<Value, Error> {
    let mut values: Vec<f64> = Vec::new();
    if let Value::Array(a) = model {
        for e in a {
            if let Value::Number(n) = e {
                values.push(number_as_f64(n));
            }
        }
    }
    if let Some(ps) = params {
        values.extend(numbers_of(ps)?);
    }
    if values.is_empty() {
        return Err(Error::json_path(EMPTY_AGG));
    }
    let r = match f {
        Func::Sum => values.iter().fold(0.0, |acc, v| acc + v),
        Func::Avg => {
            let (mut sum, mut count) = (0.0f64, 0.0f64);
            for v in &values {
                count += 1.0;
                sum += v;
            }
            if count != 0.0 { sum / count } else { 0.0 }
        }
        Func::Min => {
            let mut m = f64::MAX;
            for &v in &values {
                if m > v {
                    m = v;
                }
            }
            m
        }
        Func::Max => {
            // Jayway starts at Double.MIN_VALUE (the smallest positive double).
            let mut m = f64::from_bits(1);
            for &v in &values {
                if m < v {
                    m = v;
                }
            }
            m
        }
        _ => {
            let (mut sum, mut sum_sq, mut count) = (0.0f64, 0.0f64, 0.0f64);
            for &v in &values {
                sum += v;
                sum_sq += v * v;
                count += 1.0;
            }
            (sum_sq / count - sum * sum / count / count).sqrt()
        }
    };
    Ok(double_value(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(f: Func, model: Value) -> Result<Value, Error> {
        apply(f, &model, None)
    }

    #[test]
    fn aggregation_table() {
        let cases = [
            (Func::Sum, json!([1, 2, 3]), json!(6.0)),
            (Func::Avg, json!([1, 2]), json!(1.5)),
            (Func::Min, json!([3, 1.5, "x"]), json!(1.5)),
            (Func::Max, json!([-1, -5]), json!(5e-324)),
            (Func::Max, json!([1, 20.5]), json!(20.5)),
            (Func::StdDev, json!([2, 4]), json!(1.0)),
        ];
        for (f, model, want) in cases {
            assert_eq!(run(f, model.clone()).unwrap(), want, "{f:?} {model}");
        }
    }

    #[test]
    fn aggregation_of_nothing_fails() {
        for f in [Func::Sum, Func::Avg, Func::Min, Func::Max, Func::StdDev] {
            let e = run(f, json!(["a"])).unwrap_err();
            assert_eq!(e.java_class(), "com.jayway.jsonpath.JsonPathException");
        }
    }

    #[test]
    fn sequence_table() {
        assert_eq!(run(Func::First, json!([1, 2])).unwrap(), json!(1));
        assert_eq!(run(Func::Last, json!([1, 2])).unwrap(), json!(2));
        assert!(run(Func::Last, json!([1])).is_err());
        assert_eq!(run(Func::First, json!([])).unwrap_err().java_class(), INDEX_OOB);
        assert!(run(Func::First, json!({"a": 1})).is_err());
    }

    #[test]
    fn misc_table() {
        assert_eq!(run(Func::Keys, json!({"b": 1, "a": 2})).unwrap(), json!(["b", "a"]));
        assert_eq!(run(Func::Keys, json!("s")).unwrap(), Value::Null);
        assert_eq!(run(Func::Concat, json!(["a", 1, "b"])).unwrap(), json!("ab"));
        assert_eq!(run(Func::Append, json!("s")).unwrap(), json!("s"));
    }
}
