//! Genesys `$urlTool` (`optionalQueryParam`, assumption G7 in
//! `COMPATIBILITY.md`).
//!
//! Owns: the URL tool. Must not touch: evaluation, other tools.

use super::super::methods::Invoke::{self, *};
use super::super::value::Value;
use super::*;

pub(super) fn url_tool(name: &str, args: &[Value]) -> Invoke {
    match (name, args) {
        // ASSUMPTION (G7): optionalQueryParam(name, value[, first]) returns "" when
        // value is null or empty, otherwise "&name=value" (URLEncoder-encoded name
        // and value); when `first` is true the separator is "?" instead of "&".
        ("optionalQueryParam", [n, v]) | ("optionalQueryParam", [n, v, _]) => {
            let empty = match v {
                Value::Null => true,
                Value::String(st) => st.is_empty(),
                _ => false,
            };
            if empty {
                return s("");
            }
            let first = matches!(args.get(2), Some(Value::Bool(true)))
                || matches!(args.get(2), Some(Value::String(x)) if x.eq_ignore_ascii_case("true"));
            let sep = if first { '?' } else { '&' };
            s(format!("{sep}{}={}", url_encode(&sv(n)), url_encode(&sv(v))))
        }
        _ => NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::super::run_tool as run;
    use crate::velocity::value::{Tool, Value};

    #[test]
    fn optional_query_param() {
        let u = Tool::UrlTool;
        assert_eq!(run(u, "optionalQueryParam", &["q".into(), "a b".into()]), "&q=a+b");
        assert_eq!(run(u, "optionalQueryParam", &["q".into(), Value::Null]), "");
        assert_eq!(run(u, "optionalQueryParam", &["q".into(), "".into()]), "");
        assert_eq!(run(u, "optionalQueryParam", &["q".into(), "x".into(), Value::Bool(true)]), "?q=x");
        assert_eq!(run(u, "optionalQueryParam", &["n".into(), Value::Int(5)]), "&n=5");
    }
}
