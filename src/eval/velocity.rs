//! Oracle-protocol adapter: evaluates one `/tmp/oracle/oracle` velocity request
//! with this crate's engine and answers in the oracle's result format, so the
//! recorded oracle fixture can be replayed without Java.
//!
//! Owns: request/response JSON mapping. Must not touch: engine internals (uses
//! only the public `crate::velocity` API).

use serde_json::{Map, Value as J};

use crate::velocity::{Context, RenderOptions, Template, ToolSet, UndefinedBehavior};

/// Evaluate one oracle-protocol request:
/// `{"kind":"velocity","template","context","tools","properties":{"runtime.references.strict":"true"|"false"},"log_tag","id"}`.
///
/// `"tools": true` binds the stock VelocityTools objects (`$esc` = EscapeTool,
/// `$math` = MathTool), like the oracle (which also binds `$date`; Genesys has
/// no DateTool, so `$date` is left unbound). `"tools": "genesys"` binds the
/// Genesys set instead (not an oracle feature).
pub fn eval_velocity(req: &J) -> J {
    let mut out = Map::new();
    if let Some(id) = req.get("id") {
        out.insert("id".into(), id.clone());
    }
    let bad = |mut out: Map<String, J>, msg: &str| {
        out.insert("ok".into(), J::Bool(false));
        out.insert("error".into(), J::String(msg.to_string()));
        out.insert("error_type".into(), J::String("OracleBadRequest".into()));
        J::Object(out)
    };
    if req.get("kind").and_then(J::as_str) != Some("velocity") {
        return bad(out, "only kind=velocity is supported");
    }
    let Some(template) = req.get("template").and_then(J::as_str) else {
        return bad(out, "missing template");
    };
    let log_tag = req.get("log_tag").and_then(J::as_str).unwrap_or("template");
    let mut ctx = match req.get("context") {
        Some(J::Object(m)) => Context::from_json_map(m),
        Some(J::Null) | None => Context::new(),
        Some(_) => return bad(out, "context must be an object"),
    };
    match req.get("tools") {
        Some(J::Bool(true)) => {
            ctx.bind_tools(ToolSet::Stock);
        }
        Some(J::String(s)) if s == "genesys" => {
            ctx.bind_tools(ToolSet::Genesys);
        }
        Some(J::Array(names)) => {
            let has = |n: &str| names.iter().any(|x| x.as_str() == Some(n));
            if has("esc") || has("math") {
                let mut tmp = Context::new();
                tmp.bind_tools(ToolSet::Stock);
                for n in ["esc", "math"] {
                    if has(n)
                        && let Some(v) = tmp.get(n)
                    {
                        ctx.insert(n, v.clone());
                    }
                }
            }
        }
        _ => {}
    }
    let strict = req
        .get("properties")
        .and_then(|p| p.get("runtime.references.strict"))
        .map(|v| match v {
            J::String(s) => s.trim().eq_ignore_ascii_case("true"),
            J::Bool(b) => *b,
            _ => false,
        })
        .unwrap_or(false);
    let opts = RenderOptions {
        undefined: if strict { UndefinedBehavior::Strict } else { UndefinedBehavior::Lenient },
        ..RenderOptions::default()
    };
    let result = Template::parse(template, log_tag).and_then(|t| t.render(&ctx, &opts));
    match result {
        Ok(s) => {
            out.insert("ok".into(), J::Bool(true));
            out.insert("output".into(), J::String(s));
        }
        Err(e) => {
            out.insert("ok".into(), J::Bool(false));
            out.insert("error".into(), J::String(e.to_string()));
            out.insert("error_type".into(), J::String(e.kind.java_class().to_string()));
        }
    }
    J::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn echoes_id_and_renders() {
        let r = eval_velocity(&json!({"id": "x1", "kind": "velocity", "template": "${input.userId}",
            "context": {"input": {"userId": "u-42"}}, "tools": true}));
        assert_eq!(r, json!({"id": "x1", "ok": true, "output": "u-42"}));
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(keys[0], "id");
    }

    #[test]
    fn strict_error_type() {
        let r = eval_velocity(&json!({"kind": "velocity", "template": "$x",
            "properties": {"runtime.references.strict": "true"}}));
        assert_eq!(r["error_type"], "org.apache.velocity.exception.MethodInvocationException");
    }

    #[test]
    fn bad_request() {
        let r = eval_velocity(&json!({"kind": "jsonpath"}));
        assert_eq!(r["error_type"], "OracleBadRequest");
    }
}
