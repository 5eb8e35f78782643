//! Java number formatting shared by the two engines: `Double.toString(double)`.
//!
//! Owns: the one implementation of Java's `Double.toString` (JDK 19+
//! specification: the shortest decimal that rounds to the double, with the
//! two-digit rule for one-digit results, so `Double.MIN_VALUE` prints
//! `4.9E-324`). Must not: use anything else in the crate — it is a leaf that
//! `velocity` and `jsonpath` (both leaves themselves) may use, and nothing in
//! it knows about templates, paths or JSON.

/// Java `Double.toString(d)`: `NaN`, `Infinity`, `-0.0`, plain notation for
/// 10⁻³ ≤ |d| < 10⁷ (`21.0`, `0.001`), computerized scientific notation
/// otherwise (`1.0E21`, `1.5E-7`, `4.9E-324`).
pub fn double_to_string(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_string();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let (digits, exp) = java_digits(d.abs());
    let mut out = String::new();
    if d < 0.0 {
        out.push('-');
    }
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        // plain notation; value = d1.d2d3... * 10^exp
        let point = exp + 1; // digits before the decimal point
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
            out.push_str(&digits);
        } else {
            let p = point as usize;
            if digits.len() <= p {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', p - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..p]);
                out.push('.');
                out.push_str(&digits[p..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        out.push('E');
        out.push_str(&exp.to_string());
    }
    out
}

/// Decimal digits (no leading/trailing zeros beyond the first digit) and
/// exponent of a finite, positive `a`, with value = d1.d2d3... × 10^exp.
///
/// Rust's `{:e}` gives the shortest digits that round-trip. Java (JDK 19+)
/// does the same, except that when the shortest has one digit it picks, among
/// the decimals of length 1 or 2 that round to `a`, the one closest to `a`:
/// `Double.MIN_VALUE` (4.94…E-324) is `4.9E-324`, not `5.0E-324`.
fn java_digits(a: f64) -> (String, i64) {
    let (digits, exp) = split_sci(&format!("{a:e}"));
    if digits.len() == 1 {
        let (two, two_exp) = split_sci(&format!("{a:.1e}"));
        if two.len() == 2 && format!("{}.{}e{two_exp}", &two[..1], &two[1..]).parse::<f64>() == Ok(a) {
            return (two, two_exp);
        }
    }
    (digits, exp)
}

/// `"4.9e-324"` → (`"49"`, -324); trailing zeros of the mantissa dropped
/// (at least one digit kept).
fn split_sci(s: &str) -> (String, i64) {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    // The exponent is always a valid integer in Rust's `{:e}` output.
    let exp = exp.parse::<i64>().unwrap_or(0);
    let mut digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    if digits.is_empty() {
        digits.push('0');
    }
    (digits, exp)
}

#[cfg(test)]
mod tests {
    use super::double_to_string;

    #[test]
    fn java_double_to_string_table() {
        let cases = [
            (21.0, "21.0"),
            (1e21, "1.0E21"),
            (1.5e-7, "1.5E-7"),
            (0.1 + 0.2, "0.30000000000000004"),
            (100.0, "100.0"),
            (1e7, "1.0E7"),
            (9999999.0, "9999999.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (-2.5, "-2.5"),
            (-2.5e-5, "-2.5E-5"),
            (1234567.0, "1234567.0"),
            (123456789.125, "1.23456789125E8"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            // Double.MIN_VALUE and its small multiples: the two-digit rule
            (f64::from_bits(1), "4.9E-324"),
            (-f64::from_bits(1), "-4.9E-324"),
            (f64::from_bits(2), "9.9E-324"),
            (f64::from_bits(3), "1.5E-323"),
            (2.0, "2.0"),
            (0.3, "0.3"),
            (5e-324 * 10.0, "4.9E-323"),
        ];
        for (d, want) in cases {
            assert_eq!(double_to_string(d), want, "{d:e}");
        }
    }
}
