//! A JSONPath engine with the semantics of Jayway JsonPath 2.10.0 in its
//! default configuration (`Configuration.defaultConfiguration()`: json-smart
//! provider, no options), as used by Genesys Cloud data-action translation
//! maps.
//!
//! Owns: the public API ([`JsonPath`], [`Options`], [`Error`],
//! [`JavaNumberClass`]) and Jayway's `JsonPath.read` option handling.
//! Must not: refer to anything in the crate outside `crate::jsonpath` except
//! the shared number leaf `crate::javanum`; the module is a leaf that
//! otherwise only depends on `serde_json` and `regex`.
//!
//! # Usage
//!
//! ```
//! use gcsync::jsonpath::JsonPath;
//! let doc = serde_json::json!({"company": {"name": "Acme"}, "items": [{"price": 5}, {"price": 20.5}]});
//! let name = JsonPath::parse("$.company.name").unwrap();
//! assert_eq!(name.evaluate(&doc).unwrap(), "Acme");
//! let dear = JsonPath::parse("$.items[?(@.price > 10)].price").unwrap();
//! assert!(!dear.is_definite());
//! assert_eq!(dear.evaluate(&doc).unwrap(), serde_json::json!([20.5]));
//! // A missing property in a definite path is PathNotFound ("no value"):
//! assert!(JsonPath::parse("$.missing").unwrap().evaluate(&doc).is_err());
//! ```
//!
//! # Semantics reproduced
//!
//! * Definite paths (no `..`, `*`, filters, slices or index lists) return a
//!   single value; a missing property raises [`Error::PathNotFound`]
//!   (`No results for path: $['missing']`, or `Missing property in path
//!   $['a']` when it is not the last token). A JSON `null` found at the path
//!   is a value, not an error.
//! * Indefinite paths return an array; missing properties are skipped.
//! * Deep scan ordering, multi-property merging (`$['a','b']` -> object),
//!   negative indexes, Jayway's slice arithmetic (`[-2:2]`), filters with
//!   `BigDecimal` number comparison and string/number coercion, functions
//!   (`length() size() min() max() avg() sum() stddev() first() last()
//!   index() keys() concat() append()`), `$..x.fn()` inversion, and the
//!   Java exceptions Jayway lets escape (see [`Error`]).
//! * Numbers keep the Java class distinction: see [`JavaNumberClass`]. A
//!   Java `Double` is an `f64` in `serde_json` (so `100.0` stays `100.0`);
//!   aggregate functions return doubles, `length()` an integer. NaN and
//!   infinities (not representable in JSON) are returned as the strings
//!   `"NaN"`, `"Infinity"`, `"-Infinity"`, as Java prints them.
//!
//! # Known differences from Jayway (documented, deliberate)
//!
//! * Regular expressions use the `regex` crate: no look-around or
//!   back-references (such patterns fail to compile: `InvalidPath`), and
//!   `\d \w \s \b` plus case-insensitive matching are Unicode-aware (Java is
//!   ASCII-only without the `U`/`u` flags). The `d` and `u`/`U` flags are
//!   accepted and ignored.
//! * `Double.toString` uses shortest round-trip digits (JDK 19+); the JDK 17
//!   Jayway runs on occasionally prints one more digit. Only visible in
//!   string/number coercions inside filters.
//! * Documents are `serde_json` values: json-smart's `BigDecimal` (decimal
//!   literals over 18 characters) and integers beyond `u64` become `f64`.
//! * Jayway mutates compiled paths during evaluation (deep-scan
//!   `upstreamArrayIndex`, the `length()` wildcard hack) and caches them per
//!   path string, so a second evaluation of the same path in one JVM can
//!   differ from the first. This engine always behaves like the first
//!   evaluation of a freshly compiled path. `append()` returns a new array
//!   instead of mutating the document.
//! * Non-ASCII digits (`Character.isDigit`) are not accepted as indexes.
//! * Recursion is limited to [`MAX_DEPTH`] levels; deeper input yields
//!   [`Error::DepthLimit`] where Jayway would throw `StackOverflowError`.

mod ast;
mod chars;
mod error;
mod eval;
mod filter;
mod functions;
mod number;
mod parser;
mod smart;

use serde_json::Value;

pub use error::Error;
pub use eval::{MAX_DEPTH, MAX_RESULT_NODES, MAX_RESULTS, MAX_STEPS, Options};
pub use number::{JavaNumberClass, java_double_to_string, java_number_class};

use ast::{CompiledPath, Token};

/// A compiled JSONPath expression. Compile once, evaluate many times; it is
/// `Send + Sync` and evaluation never mutates it.
#[derive(Debug, Clone)]
pub struct JsonPath {
    text: String,
    compiled: CompiledPath,
}

/// The result of [`JsonPath::evaluate_typed`]: the value plus the Java class
/// Jayway would have returned for it (e.g. `java.lang.Integer`,
/// `net.minidev.json.JSONArray`, `java.util.LinkedHashMap$LinkedKeySet` for
/// `keys()`, or `null`).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    /// The result value.
    pub value: Value,
    /// Fully qualified Java class name of the top-level result.
    pub java_class: &'static str,
}

impl JsonPath {
    /// Compile a path (Jayway `JsonPath.compile`). Syntax errors are
    /// [`Error::InvalidPath`]; an empty path is
    /// `java.lang.IllegalArgumentException` as in Jayway.
    pub fn parse(path: &str) -> Result<JsonPath, Error> {
        if path.is_empty() {
            return Err(Error::Java {
                class: "java.lang.IllegalArgumentException",
                message: "path can not be null or empty".to_string(),
            });
        }
        let compiled = parser::compile(path, 0)?;
        Ok(JsonPath { text: path.to_string(), compiled })
    }

    /// The source text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Jayway's `isDefinite()`: the path yields at most one value.
    pub fn is_definite(&self) -> bool {
        self.compiled.definite
    }

    /// Whether the path ends in a function call (after `$..x.fn()`
    /// inversion).
    pub fn is_function_path(&self) -> bool {
        self.compiled.function_path
    }

    /// Jayway's normalised form (`$['a'][0]`).
    pub fn normalized(&self) -> String {
        self.compiled.render()
    }

    /// Evaluate with the default configuration.
    pub fn evaluate(&self, doc: &Value) -> Result<Value, Error> {
        self.evaluate_with(doc, &Options::default())
    }

    /// Evaluate with options (Jayway `JsonPath.read(json, configuration)`).
    pub fn evaluate_with(&self, doc: &Value, opts: &Options) -> Result<Value, Error> {
        self.read(doc, opts, eval::MAX_STEPS).map(|(v, _)| v)
    }

    /// [`JsonPath::evaluate_with`] with a smaller step bound than [`MAX_STEPS`] (for
    /// tests of the bounds that must run fast in debug builds).
    pub fn evaluate_within(&self, doc: &Value, opts: &Options, max_steps: u64) -> Result<Value, Error> {
        self.read(doc, opts, max_steps.min(eval::MAX_STEPS)).map(|(v, _)| v)
    }

    /// Evaluate and also report the Java class Jayway would return.
    pub fn evaluate_typed(&self, doc: &Value, opts: &Options) -> Result<Evaluated, Error> {
        let (value, key_set) = self.read(doc, opts, eval::MAX_STEPS)?;
        let java_class = if key_set && value.is_array() {
            "java.util.LinkedHashMap$LinkedKeySet"
        } else {
            java_class_of(&value)
        };
        Ok(Evaluated { value, java_class })
    }

    /// `JsonPath.read`: returns the value and whether it is a `keys()` set.
    fn read(&self, doc: &Value, opts: &Options, max_steps: u64) -> Result<(Value, bool), Error> {
        if doc.is_null() {
            return Err(Error::Java {
                class: "java.lang.IllegalArgumentException",
                message: "json can not be null".to_string(),
            });
        }
        let p = &self.compiled;
        let depth = eval::Budget::new(max_steps);
        let opts = *opts;
        let empty_list = || Value::Array(Vec::new());
        if p.function_path {
            if opts.as_path_list || opts.always_return_list {
                if opts.suppress_exceptions {
                    return Ok((if p.definite { Value::Null } else { empty_list() }, false));
                }
                return Err(Error::JsonPath {
                    message: "Options AS_PATH_LIST and ALWAYS_RETURN_LIST are not allowed when using path functions!".to_string(),
                });
            }
            let ctx = eval::run(p, doc, doc, opts, &depth, false)?;
            if opts.suppress_exceptions && ctx.is_empty() {
                return Ok((if p.definite { Value::Null } else { empty_list() }, false));
            }
            let is_keys =
                |t: Option<&Token>| matches!(t, Some(Token::Function { name, .. }) if name == "keys");
            let key_set = p.definite && (is_keys(p.tokens.first()) || is_keys(p.tokens.last()));
            return Ok((eval::owned(ctx.value()?), key_set));
        }
        if opts.as_path_list {
            let ctx = eval::run(p, doc, doc, opts, &depth, true)?;
            if ctx.is_empty() {
                if opts.suppress_exceptions {
                    return Ok((empty_list(), false));
                }
                return Err(Error::PathNotFound { message: format!("No results for path: {}", p.render()) });
            }
            let paths = ctx.result_paths.into_iter().map(Value::String).collect();
            return Ok((Value::Array(paths), false));
        }
        let ctx = eval::run(p, doc, doc, opts, &depth, false)?;
        if opts.suppress_exceptions && ctx.is_empty() {
            let v = if opts.always_return_list || !p.definite { empty_list() } else { Value::Null };
            return Ok((v, false));
        }
        let res = eval::owned(ctx.value()?);
        if opts.always_return_list && p.definite {
            return Ok((Value::Array(vec![res]), false));
        }
        Ok((res, false))
    }
}

/// Java class Jayway returns for a value of this shape.
pub fn java_class_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Number(n) => java_number_class(n).name(),
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "net.minidev.json.JSONArray",
        Value::Object(_) => "java.util.LinkedHashMap",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "company": {"name": "Acme", "address": {"city": "Oslo"}},
            "entities": [{"id": "e1", "name": "first"}, {"id": "e2", "name": "second"}],
            "items": [{"name": "cheap", "price": 5}, {"name": "mid", "price": 10}, {"name": "dear", "price": 20.5}],
            "n": null
        })
    }

    #[test]
    fn is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<JsonPath>();
    }

    #[test]
    fn readme_table() {
        let cases: Vec<(&str, Result<Value, &str>)> = vec![
            ("$.company.name", Ok(json!("Acme"))),
            ("$.entities[*].id", Ok(json!(["e1", "e2"]))),
            ("$..name", Ok(json!(["Acme", "first", "second", "cheap", "mid", "dear"]))),
            ("$.items[?(@.price > 10)].name", Ok(json!(["dear"]))),
            ("$.missing", Err("com.jayway.jsonpath.PathNotFoundException")),
            ("$.company.missing.deeper", Err("com.jayway.jsonpath.PathNotFoundException")),
            ("$.items[*].missing", Ok(json!([]))),
            ("$..price.max()", Ok(json!(20.5))),
            ("$.items.length()", Ok(json!(3))),
            ("$.items[-1:]", Ok(json!([{"name": "dear", "price": 20.5}]))),
            ("$[", Err("com.jayway.jsonpath.InvalidPathException")),
            ("$.n", Ok(Value::Null)),
            ("$['company']['name']", Ok(json!("Acme"))),
            ("$.company['name','missing']", Ok(json!({"name": "Acme"}))),
        ];
        let d = doc();
        for (path, want) in cases {
            let got = JsonPath::parse(path).and_then(|p| p.evaluate(&d));
            match (got, want) {
                (Ok(v), Ok(w)) => assert_eq!(v, w, "{path}"),
                (Err(e), Err(class)) => assert_eq!(e.java_class(), class, "{path}"),
                (g, w) => panic!("{path}: got {g:?}, want {w:?}"),
            }
        }
    }

    #[test]
    fn options_table() {
        let d = doc();
        let o = |names: &[&str]| Options::from_names(names.iter().copied()).unwrap();
        let cases: Vec<(&str, Options, Value)> = vec![
            ("$.missing", o(&["DEFAULT_PATH_LEAF_TO_NULL"]), Value::Null),
            ("$.missing", o(&["SUPPRESS_EXCEPTIONS"]), Value::Null),
            ("$..missing", o(&["SUPPRESS_EXCEPTIONS"]), json!([])),
            ("$.company.name", o(&["ALWAYS_RETURN_LIST"]), json!(["Acme"])),
            ("$.company", o(&["AS_PATH_LIST"]), json!(["$['company']"])),
            (
                "$.items[*].price",
                o(&["AS_PATH_LIST"]),
                json!(["$['items'][0]['price']", "$['items'][1]['price']", "$['items'][2]['price']"]),
            ),
        ];
        for (path, opts, want) in cases {
            let p = JsonPath::parse(path).unwrap();
            assert_eq!(p.evaluate_with(&d, &opts).unwrap(), want, "{path}");
        }
    }

    #[test]
    fn typed_results() {
        let d = json!({"a": {"x": 1}, "arr": [1, 2], "big": 3_000_000_000i64, "f": 1.0});
        let cases = [
            ("$.a.keys()", "java.util.LinkedHashMap$LinkedKeySet"),
            ("$.arr.length()", "java.lang.Integer"),
            ("$.arr.sum()", "java.lang.Double"),
            ("$.big", "java.lang.Long"),
            ("$.f", "java.lang.Double"),
            ("$.a", "java.util.LinkedHashMap"),
            ("$.arr", "net.minidev.json.JSONArray"),
        ];
        for (path, class) in cases {
            let r = JsonPath::parse(path).unwrap().evaluate_typed(&d, &Options::default()).unwrap();
            assert_eq!(r.java_class, class, "{path}");
        }
    }
}
