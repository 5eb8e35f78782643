//! The one redaction rule: how a secret is kept out of everything gcsync prints or records.
//!
//! Owns: [`Secrets`] — the set of secrets of one run in every encoding gcsync itself produces
//! of them ([`forms`]: raw, JSON-escaped, percent-encoded, form-encoded, base64 standard and
//! URL-safe) — and the rule applied to text and JSON values ([`Secrets::redact`],
//! [`Secrets::redact_value`]): a form of [`ANYWHERE_LEN`] bytes or more is replaced wherever
//! it occurs; a shorter one wherever it stands whole — the whole text, a whole JSON string
//! (`"…"`), a whole URL path segment, query or form value (between `/`, `?`, `&`, `=`, `#`,
//! `"` or the ends) — which is the shape an echoed request body or a built URL gives it. A
//! short value is not replaced inside other words: that would corrupt ordinary output (a
//! one-letter user name, or the emulator's public default secret `local` inside
//! `state/local.state.json`, a path a hint must print).
//! Used by the Printer (everything written to stdout/stderr), the runtime's trace and the
//! `tests:` case checks.
//! Must not: print, or know where secrets come from.

use base64::Engine as _;
use serde_json::Value;

/// The text that replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Forms at least this long (bytes) are replaced wherever they occur.
pub const ANYWHERE_LEN: usize = 8;

/// Characters that delimit a whole value in a URL, a query or form string, or JSON text.
const DELIMITERS: [char; 6] = ['"', '/', '?', '&', '=', '#'];

/// Every encoding gcsync produces of `secret`, distinct, longest first.
#[must_use]
pub fn forms(secret: &str) -> Vec<String> {
    if secret.is_empty() {
        return Vec::new();
    }
    let json = Value::String(secret.to_string()).to_string();
    let json_inner = json.get(1..json.len().saturating_sub(1)).map_or_else(String::new, str::to_string);
    let candidates = [
        secret.to_string(),
        json_inner,
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC).to_string(),
        form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        base64::engine::general_purpose::STANDARD.encode(secret),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
    ];
    let mut out: Vec<String> = Vec::new();
    for c in candidates {
        if !c.is_empty() && !out.contains(&c) {
            out.push(c);
        }
    }
    out.sort_by_key(|f| std::cmp::Reverse(f.len()));
    out
}

/// The secrets of one run, in every encoding (see the module doc for the rule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// Every form of every secret, longest first.
    forms: Vec<String>,
}

impl Secrets {
    /// No secrets.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a secret (every encoding of it).
    pub fn add(&mut self, secret: &str) {
        for f in forms(secret) {
            if !self.forms.contains(&f) {
                self.forms.push(f);
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// Registers every secret of `other`.
    pub fn extend(&mut self, other: &Secrets) {
        for f in &other.forms {
            if !self.forms.contains(f) {
                self.forms.push(f.clone());
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// Whether none is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every registered secret replaced by [`REDACTED`] (the module's rule).
    #[must_use]
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for f in &self.forms {
            if !out.contains(f.as_str()) {
                continue;
            }
            out = if f.len() >= ANYWHERE_LEN {
                out.replace(f.as_str(), REDACTED)
            } else {
                replace_whole(&out, f)
            };
        }
        out
    }

    /// Redacts every string inside a JSON value (object keys are gcsync's or the schema's
    /// names, never secrets).
    pub fn redact_value(&self, v: &mut Value) {
        if self.forms.is_empty() {
            return;
        }
        let mut stack = vec![v];
        while let Some(v) = stack.pop() {
            match v {
                Value::String(s) => {
                    let r = self.redact(s);
                    if r != *s {
                        *s = r;
                    }
                }
                Value::Array(a) => stack.extend(a.iter_mut()),
                Value::Object(m) => stack.extend(m.values_mut()),
                _ => {}
            }
        }
    }
}

/// `text` with the occurrences of `form` that stand whole replaced.
fn replace_whole(text: &str, form: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut before: Option<char> = None;
    while let Some(at) = rest.find(form) {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let prev = head.chars().next_back().or(before);
        let after = &tail[form.len()..];
        let next = after.chars().next();
        let whole = |c: Option<char>| c.is_none_or(|c| DELIMITERS.contains(&c));
        if whole(prev) && whole(next) {
            out.push_str(REDACTED);
            before = REDACTED.chars().next_back();
        } else {
            out.push_str(form);
            before = form.chars().next_back();
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_encoding_of_a_long_secret_is_replaced_anywhere() {
        let mut s = Secrets::new();
        s.add("pa\"ss wörd/1");
        let encodings = [
            "pa\"ss wörd/1".to_string(),
            "pa\\\"ss wörd/1".to_string(),
            "pa%22ss%20w%C3%B6rd%2F1".to_string(),
            "pa%22ss+w%C3%B6rd%2F1".to_string(),
            base64::engine::general_purpose::STANDARD.encode("pa\"ss wörd/1"),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("pa\"ss wörd/1"),
        ];
        for e in encodings {
            let text = format!("server said: {e}!");
            assert_eq!(s.redact(&text), "server said: [redacted]!", "{e}");
        }
    }

    #[test]
    fn a_short_secret_is_replaced_where_it_stands_whole() {
        let mut s = Secrets::new();
        s.add("abc");
        // An echoed request body, a URL path segment, a query value, the whole text.
        assert_eq!(
            s.redact(r#"bad body {"name":"x","clientSecret":"abc"}"#),
            r#"bad body {"name":"x","clientSecret":"[redacted]"}"#
        );
        assert_eq!(s.redact("https://h/users/abc?k=abc&j=1"), "https://h/users/[redacted]?k=[redacted]&j=1");
        assert_eq!(s.redact("abc"), "[redacted]");
        // Not inside other words.
        assert_eq!(s.redact("abcdef cabc abc.txt"), "abcdef cabc abc.txt");
        let mut local = Secrets::new();
        local.add("local");
        assert_eq!(
            local.redact("Plan for org `gcsync local org`, state `state/local.state.json`"),
            "Plan for org `gcsync local org`, state `state/local.state.json`"
        );
    }

    #[test]
    fn json_values_are_redacted_inside() {
        let mut s = Secrets::new();
        s.add("4111 1111");
        s.add("12");
        let mut v = json!({"a": ["card 4111 1111", "12", "2012"], "b": {"url": "https://x/users/12"}});
        s.redact_value(&mut v);
        assert_eq!(
            v,
            json!({"a": ["card [redacted]", "[redacted]", "2012"], "b": {"url": "https://x/users/[redacted]"}})
        );
    }
}
