//! Java number semantics needed by the engine.
//!
//! Owns: [`Decimal`] (the subset of `java.math.BigDecimal` Jayway's filters
//! use: parsing, `compareTo`, `toString`, `intValue`) and the mapping of
//! `serde_json::Number` to the Java class json-smart would have produced
//! (Integer / Long / BigInteger / Double). `Double.toString` is the shared
//! [`crate::javanum`] leaf, re-exported here. Must not: refer to anything
//! outside `crate::jsonpath` except `crate::javanum`.
//!
//! Representation of Java numbers in `serde_json`: an integer that fits in
//! `i32` is a Java `Integer`, one that fits in `i64` a `Long`, a `u64` above
//! `i64::MAX` a `BigInteger`; every `f64` is a Java `Double` (so `100.0`
//! stays a double and serialises as `100.0`). json-smart's `BigDecimal` for
//! decimal literals longer than 18 characters is read as `f64` here.

use std::cmp::Ordering;

use serde_json::{Number, Value};

/// Java class of a JSON number as json-smart/Jayway would type it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JavaNumberClass {
    /// `java.lang.Integer`
    Integer,
    /// `java.lang.Long`
    Long,
    /// `java.math.BigInteger`
    BigInteger,
    /// `java.lang.Double`
    Double,
}

impl JavaNumberClass {
    /// Fully qualified Java class name.
    pub fn name(self) -> &'static str {
        match self {
            JavaNumberClass::Integer => "java.lang.Integer",
            JavaNumberClass::Long => "java.lang.Long",
            JavaNumberClass::BigInteger => "java.math.BigInteger",
            JavaNumberClass::Double => "java.lang.Double",
        }
    }
}

/// The Java class json-smart would give this number.
pub fn java_number_class(n: &Number) -> JavaNumberClass {
    if let Some(i) = n.as_i64() {
        if i32::try_from(i).is_ok() { JavaNumberClass::Integer } else { JavaNumberClass::Long }
    } else if n.as_u64().is_some() {
        JavaNumberClass::BigInteger
    } else {
        JavaNumberClass::Double
    }
}

/// Java `Number.toString()` for a JSON number.
pub(crate) fn java_number_to_string(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        java_double_to_string(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Java `Number.doubleValue()`.
pub(crate) fn number_as_f64(n: &Number) -> f64 {
    if let Some(i) = n.as_i64() {
        i as f64
    } else if let Some(u) = n.as_u64() {
        u as f64
    } else {
        n.as_f64().unwrap_or(f64::NAN)
    }
}

/// Java `Double.toString(d)` (the crate's one implementation, in
/// [`crate::javanum`]; JDK 19+ shortest digits).
pub use crate::javanum::double_to_string as java_double_to_string;

/// Subset of `java.math.BigDecimal`: value = unscaled * 10^(-scale).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decimal {
    neg: bool,
    /// Unscaled magnitude digits without leading zeros ("0" for zero).
    digits: String,
    scale: i64,
}

impl Decimal {
    /// `new BigDecimal(String)`; `None` where Java throws NumberFormatException.
    pub(crate) fn parse(text: &str) -> Option<Decimal> {
        let b = text.as_bytes();
        let mut i = 0;
        let mut neg = false;
        if let Some(&c) = b.first()
            && (c == b'-' || c == b'+')
        {
            neg = c == b'-';
            i = 1;
        }
        let mut digits = String::new();
        let mut scale: i64 = 0;
        let mut seen_digit = false;
        let mut seen_point = false;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_digit() {
                digits.push(c as char);
                seen_digit = true;
                if seen_point {
                    scale += 1;
                }
            } else if c == b'.' {
                if seen_point {
                    return None;
                }
                seen_point = true;
            } else if c == b'e' || c == b'E' {
                break;
            } else {
                return None;
            }
            i += 1;
        }
        if !seen_digit {
            return None;
        }
        if i < b.len() {
            // exponent
            i += 1;
            let exp_text = text.get(i..)?;
            let eb = exp_text.as_bytes();
            if eb.is_empty() {
                return None;
            }
            let (eneg, start) = match eb[0] {
                b'-' => (true, 1),
                b'+' => (false, 1),
                _ => (false, 0),
            };
            let rest = &exp_text[start..];
            if rest.is_empty() || !rest.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let e: i64 = rest.parse().ok()?;
            if e > 999_999_999 {
                return None;
            }
            scale -= if eneg { -e } else { e };
        }
        let trimmed = digits.trim_start_matches('0');
        let digits = if trimmed.is_empty() { "0".to_string() } else { trimmed.to_string() };
        Some(Decimal { neg, digits, scale })
    }

    /// `new BigDecimal(number.toString())` for a JSON number.
    pub(crate) fn from_number(n: &Number) -> Option<Decimal> {
        Decimal::parse(&java_number_to_string(n))
    }

    fn is_zero(&self) -> bool {
        self.digits == "0"
    }

    /// `BigDecimal.compareTo`.
    pub(crate) fn cmp_value(&self, other: &Decimal) -> Ordering {
        let (az, bz) = (self.is_zero(), other.is_zero());
        let sa = if az {
            0
        } else if self.neg {
            -1
        } else {
            1
        };
        let sb = if bz {
            0
        } else if other.neg {
            -1
        } else {
            1
        };
        if sa != sb {
            return sa.cmp(&sb);
        }
        if sa == 0 {
            return Ordering::Equal;
        }
        let mag = cmp_magnitude(self, other);
        if sa < 0 { mag.reverse() } else { mag }
    }

    /// `BigDecimal.toString()` (scientific notation when Java uses it).
    pub(crate) fn to_java_string(&self) -> String {
        let coeff = &self.digits;
        let len = coeff.len() as i64;
        let mut out = String::new();
        if self.neg && !self.is_zero() {
            out.push('-');
        }
        if self.scale == 0 {
            out.push_str(coeff);
            return out;
        }
        let adjusted = -self.scale + (len - 1);
        if self.scale > 0 && adjusted >= -6 {
            if len > self.scale {
                let p = (len - self.scale) as usize;
                out.push_str(&coeff[..p]);
                out.push('.');
                out.push_str(&coeff[p..]);
            } else {
                out.push_str("0.");
                for _ in 0..(self.scale - len) {
                    out.push('0');
                }
                out.push_str(coeff);
            }
        } else {
            out.push_str(&coeff[..1]);
            if len > 1 {
                out.push('.');
                out.push_str(&coeff[1..]);
            }
            out.push('E');
            if adjusted > 0 {
                out.push('+');
            }
            out.push_str(&adjusted.to_string());
        }
        out
    }

    /// `BigDecimal.intValue()` (truncation toward zero, low 32 bits).
    pub(crate) fn int_value(&self) -> i64 {
        // integer part digits
        let len = self.digits.len() as i64;
        let int_len = len - self.scale;
        if int_len <= 0 {
            return 0;
        }
        let mut acc: u64 = 0;
        for (k, ch) in self.digits.bytes().enumerate() {
            if (k as i64) < int_len {
                acc = acc.wrapping_mul(10).wrapping_add(u64::from(ch - b'0'));
            }
        }
        // trailing zeros for negative scale
        let zeros = (int_len - len).max(0);
        for _ in 0..zeros.min(64) {
            acc = acc.wrapping_mul(10);
        }
        let low = acc as u32 as i32;
        let v = if self.neg { low.wrapping_neg() } else { low };
        i64::from(v)
    }
}

/// Compare magnitudes of two non-zero decimals.
fn cmp_magnitude(a: &Decimal, b: &Decimal) -> Ordering {
    // adjusted exponent = position of the most significant digit
    let ea = a.digits.len() as i64 - a.scale;
    let eb = b.digits.len() as i64 - b.scale;
    if ea != eb {
        return ea.cmp(&eb);
    }
    let da = a.digits.trim_end_matches('0');
    let db = b.digits.trim_end_matches('0');
    let n = da.len().max(db.len());
    for k in 0..n {
        let ca = da.as_bytes().get(k).copied().unwrap_or(b'0');
        let cb = db.as_bytes().get(k).copied().unwrap_or(b'0');
        if ca != cb {
            return ca.cmp(&cb);
        }
    }
    Ordering::Equal
}

/// Java `equals` between two JSON values as json-smart objects: numbers must
/// have the same Java class and value, maps compare without order, lists in
/// order. Nesting deeper than the engine limit is an error.
pub(crate) fn java_equals(a: &Value, b: &Value) -> Result<bool, crate::jsonpath::Error> {
    java_equals_at(a, b, 0)
}

fn java_equals_at(a: &Value, b: &Value, depth: usize) -> Result<bool, crate::jsonpath::Error> {
    if depth > crate::jsonpath::MAX_DEPTH {
        return Err(crate::jsonpath::Error::depth());
    }
    Ok(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => {
            let (cx, cy) = (java_number_class(x), java_number_class(y));
            if cx != cy {
                return Ok(false);
            }
            match cx {
                JavaNumberClass::Double => number_as_f64(x).to_bits() == number_as_f64(y).to_bits(),
                _ => x == y,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y.iter()) {
                if !java_equals_at(p, q, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => {
                        if !java_equals_at(v, w, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    None => return Ok(false),
                }
            }
            true
        }
        _ => false,
    })
}

/// Clone a JSON value without recursion (results may be arbitrarily deep
/// subtrees of the document).
pub(crate) fn clone_value(v: &Value) -> Value {
    enum Frame<'v> {
        Arr(std::slice::Iter<'v, Value>, Vec<Value>),
        Obj(serde_json::map::Iter<'v>, serde_json::Map<String, Value>, Option<String>),
    }
    fn open(v: &Value) -> Result<Frame<'_>, Value> {
        match v {
            Value::Array(a) => Ok(Frame::Arr(a.iter(), Vec::with_capacity(a.len()))),
            Value::Object(m) => Ok(Frame::Obj(m.iter(), serde_json::Map::new(), None)),
            other => Err(other.clone()),
        }
    }
    let mut stack = match open(v) {
        Ok(f) => vec![f],
        Err(scalar) => return scalar,
    };
    loop {
        let Some(top) = stack.last_mut() else {
            return Value::Null;
        };
        let (next, key): (Option<&Value>, Option<String>) = match top {
            Frame::Arr(it, _) => (it.next(), None),
            Frame::Obj(it, _, _) => match it.next() {
                Some((k, v)) => (Some(v), Some(k.clone())),
                None => (None, None),
            },
        };
        match next {
            Some(child) => match open(child) {
                Ok(frame) => {
                    if let Frame::Obj(_, _, pending) = top {
                        *pending = key;
                    }
                    stack.push(frame);
                }
                Err(scalar) => match top {
                    Frame::Arr(_, out) => out.push(scalar),
                    Frame::Obj(_, out, _) => {
                        // An object frame always sets the key before its value.
                        out.insert(key.unwrap_or_default(), scalar);
                    }
                },
            },
            None => {
                let done = match stack.pop() {
                    Some(Frame::Arr(_, out)) => Value::Array(out),
                    Some(Frame::Obj(_, out, _)) => Value::Object(out),
                    None => Value::Null,
                };
                match stack.last_mut() {
                    None => return done,
                    Some(Frame::Arr(_, out)) => out.push(done),
                    Some(Frame::Obj(_, out, pending)) => {
                        // An object frame always sets the key before its value.
                        out.insert(pending.take().unwrap_or_default(), done);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_to_string_table() {
        let cases: [(f64, &str); 14] = [
            (100.0, "100.0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1e21, "1.0E21"),
            (1e7, "1.0E7"),
            (9999999.0, "9999999.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (-2.5e-5, "-2.5E-5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (123456789.125, "1.23456789125E8"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (d, want) in cases {
            assert_eq!(java_double_to_string(d), want, "{d}");
        }
    }

    #[test]
    fn decimal_parse_and_string() {
        let cases = [
            ("100", Some("100")),
            ("100.0", Some("100.0")),
            ("1.0E21", Some("1.0E+21")),
            ("1e2", Some("1E+2")),
            ("-0.5", Some("-0.5")),
            ("0.0000001", Some("1E-7")),
            ("1.", Some("1")),
            (".5", Some("0.5")),
            ("", None),
            ("-", None),
            ("1e", None),
            ("1-2", None),
            ("1.2.3", None),
            ("abc", None),
        ];
        for (text, want) in cases {
            assert_eq!(Decimal::parse(text).map(|d| d.to_java_string()).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn decimal_compare() {
        let cases = [
            ("1", "1.0", Ordering::Equal),
            ("1e2", "100", Ordering::Equal),
            ("-1", "1", Ordering::Less),
            ("0", "-0.0", Ordering::Equal),
            ("10.5", "10.49", Ordering::Greater),
            ("-10.5", "-10.49", Ordering::Less),
            ("0.001", "1E-3", Ordering::Equal),
        ];
        for (a, b, want) in cases {
            let (x, y) = (Decimal::parse(a).unwrap(), Decimal::parse(b).unwrap());
            assert_eq!(x.cmp_value(&y), want, "{a} vs {b}");
        }
    }

    #[test]
    fn int_value_truncates() {
        let cases = [("3.9", 3), ("-3.9", -3), ("1e2", 100), ("0.5", 0), ("4294967297", 1)];
        for (text, want) in cases {
            assert_eq!(Decimal::parse(text).unwrap().int_value(), want, "{text}");
        }
    }

    #[test]
    fn clone_value_matches_clone() {
        let cases = [
            serde_json::json!(1),
            serde_json::json!({"a": [1, {"b": null, "c": [true, "x"]}], "d": {}}),
            serde_json::json!([[], [[]], {"k": [1.5]}]),
        ];
        for v in cases {
            assert_eq!(clone_value(&v), v);
        }
    }

    #[test]
    fn java_equals_table() {
        use serde_json::json;
        let cases = [
            (json!(1), json!(1), true),
            (json!(1), json!(1.0), false),
            (json!(1), json!(3_000_000_000i64), false),
            (json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1}), true),
            (json!([1, 2]), json!([2, 1]), false),
            (json!(0.0), json!(-0.0), false),
        ];
        for (a, b, want) in cases {
            assert_eq!(java_equals(&a, &b).unwrap(), want, "{a} vs {b}");
        }
    }

    #[test]
    fn number_classes() {
        let cases = [
            (serde_json::json!(5), JavaNumberClass::Integer),
            (serde_json::json!(3_000_000_000i64), JavaNumberClass::Long),
            (serde_json::json!(u64::MAX), JavaNumberClass::BigInteger),
            (serde_json::json!(1.0), JavaNumberClass::Double),
        ];
        for (v, want) in cases {
            let Value::Number(n) = v else { panic!() };
            assert_eq!(java_number_class(&n), want);
        }
    }
}
