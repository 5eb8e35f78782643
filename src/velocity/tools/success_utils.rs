//! Genesys `$successTemplateUtils` (`firstFromArray`,
//! `moveKeysIntoArrayOfObjects`), implemented from Genesys' documentation
//! (assumptions G5/G6 in `COMPATIBILITY.md`).
//!
//! Owns: the success-template helpers. Must not touch: evaluation, other tools.

use super::super::methods::Invoke::{self, *};
use super::super::value::{Value, java_double, to_json};
use super::*;

pub(super) fn success_utils(name: &str, args: &[Value]) -> Invoke {
    match (name, args) {
        // ASSUMPTION (G5): firstFromArray(jsonText[, default]) parses the text as
        // JSON; for a non-empty array it returns the first element re-serialised
        // as compact JSON text; for an empty array it returns `default` (or the
        // empty string when no default is given); a JSON value that is not an
        // array is returned re-serialised unchanged; text that is not JSON is an
        // error (MethodInvocationException).
        ("firstFromArray", [text]) | ("firstFromArray", [text, _]) => {
            if text.is_null() {
                return Ret(Value::Null);
            }
            let t = json_text_of(text);
            let parsed: serde_json::Value = match serde_json::from_str(&t) {
                Ok(v) => v,
                Err(e) => {
                    return Throw(
                        "java.lang.IllegalArgumentException",
                        format!("firstFromArray: not JSON: {e}"),
                    );
                }
            };
            match parsed {
                serde_json::Value::Array(a) => match a.first() {
                    Some(first) => s(first.to_string()),
                    None => match args.get(1) {
                        Some(d) if !d.is_null() => s(sv(d)),
                        _ => s(""),
                    },
                },
                other => s(other.to_string()),
            }
        }
        // ASSUMPTION (G6): moveKeysIntoArrayOfObjects(jsonObjectText[, keyName])
        // turns {"k1": {...}, "k2": {...}} into [{keyName: "k1", ...}, ...]
        // (keyName defaults to "key"; non-object values become
        // {keyName: k, "value": v}). Returns compact JSON text.
        ("moveKeysIntoArrayOfObjects", [text]) | ("moveKeysIntoArrayOfObjects", [text, _]) => {
            if text.is_null() {
                return Ret(Value::Null);
            }
            let key_name = match args.get(1) {
                Some(k) if !k.is_null() => sv(k),
                _ => "key".to_string(),
            };
            let t = json_text_of(text);
            let parsed: serde_json::Value = match serde_json::from_str(&t) {
                Ok(v) => v,
                Err(e) => {
                    return Throw(
                        "java.lang.IllegalArgumentException",
                        format!("moveKeysIntoArrayOfObjects: not JSON: {e}"),
                    );
                }
            };
            let serde_json::Value::Object(o) = parsed else {
                return Throw(
                    "java.lang.IllegalArgumentException",
                    "moveKeysIntoArrayOfObjects: expected a JSON object".to_string(),
                );
            };
            let mut arr = Vec::with_capacity(o.len());
            for (k, v) in o {
                let mut item = serde_json::Map::new();
                item.insert(key_name.clone(), serde_json::Value::String(k));
                match v {
                    serde_json::Value::Object(inner) => {
                        for (ik, iv) in inner {
                            item.insert(ik, iv);
                        }
                    }
                    other => {
                        item.insert("value".to_string(), other);
                    }
                }
                arr.push(serde_json::Value::Object(item));
            }
            s(serde_json::Value::Array(arr).to_string())
        }
        _ => NotFound,
    }
}

/// Text of a JSON argument: strings are taken verbatim; other values (lists,
/// maps built in the template) are serialised to JSON first.
fn json_text_of(v: &Value) -> String {
    match v {
        Value::String(st) => st.to_string(),
        Value::Double(d) => java_double(*d),
        other => to_json(other, 0).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::invoke;
    use crate::velocity::methods::Invoke::*;
    use crate::velocity::value::{Tool, Value};

    fn run(t: Tool, name: &str, args: &[Value]) -> String {
        match invoke(t, name, args) {
            Ret(v) => v.to_java_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn first_from_array() {
        let u = Tool::SuccessTemplateUtils;
        assert_eq!(run(u, "firstFromArray", &["[\"a\",\"b\"]".into()]), "\"a\"");
        assert_eq!(run(u, "firstFromArray", &["[{\"x\":1}]".into()]), "{\"x\":1}");
        assert_eq!(run(u, "firstFromArray", &["[]".into(), "\"\"".into()]), "\"\"");
        assert_eq!(run(u, "firstFromArray", &["[]".into()]), "");
        assert_eq!(run(u, "firstFromArray", &["[3]".into(), "0".into()]), "3");
        assert_eq!(run(u, "firstFromArray", &["7".into()]), "7");
        assert!(matches!(invoke(u, "firstFromArray", &["not json".into()]), Throw(..)));
    }

    #[test]
    fn move_keys_into_array() {
        let u = Tool::SuccessTemplateUtils;
        assert_eq!(
            run(u, "moveKeysIntoArrayOfObjects", &["{\"a\":{\"n\":1},\"b\":2}".into()]),
            "[{\"key\":\"a\",\"n\":1},{\"key\":\"b\",\"value\":2}]"
        );
        assert_eq!(
            run(u, "moveKeysIntoArrayOfObjects", &["{\"a\":{}}".into(), "id".into()]),
            "[{\"id\":\"a\"}]"
        );
    }
}
