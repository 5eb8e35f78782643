//! Building Platform API requests as values, without a network (as kube-rs's
//! `kube-core/src/request.rs`): the endpoint methods describe a request ([`Req`]), these
//! functions turn it into a `reqwest::Request` with URL, query, headers and body, and
//! `client` only sends it.
//!
//! Owns: the request description, URL joining and path-segment encoding, the
//! Authorization/Accept/Content-Type headers, the token request's form, and the way a
//! request is shown in logs (path and query, never a header).
//! Must not: send, retry, sleep or log.

use super::client::Idempotency;
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::Value;
use std::time::Duration;

/// How a body is expected back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// `application/json`.
    Json,
    /// `text/plain` (templates).
    Text,
}

/// One Platform API request, as an endpoint method describes it.
#[derive(Debug, Clone)]
pub struct Req<'a> {
    /// Method.
    pub method: Method,
    /// Path below the API base (`/api/v2/...`), segments already encoded.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(&'a str, String)>,
    /// JSON body.
    pub body: Option<&'a Value>,
    /// Whether repeating it can duplicate work.
    pub idempotency: Idempotency,
    /// The expected answer.
    pub accept: Accept,
    /// Never log the body (credentials, execution inputs).
    pub sensitive: bool,
}

impl<'a> Req<'a> {
    /// A request without query or body.
    pub fn new(method: Method, path: impl Into<String>, idempotency: Idempotency) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            idempotency,
            accept: Accept::Json,
            sensitive: false,
        }
    }
    /// Adds a query parameter.
    #[must_use]
    pub fn query(mut self, k: &'a str, v: impl Into<String>) -> Self {
        self.query.push((k, v.into()));
        self
    }
    /// Sets the JSON body.
    #[must_use]
    pub fn body(mut self, b: &'a Value) -> Self {
        self.body = Some(b);
        self
    }
    /// Path and query as shown in logs (`/api/v2/x?pageSize=500`).
    #[must_use]
    pub fn shown_path(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        format!("{}?{}", self.path, query_string(&self.query))
    }
}

/// Why a request could not be built: an invalid URL or header value (a token with CR/LF). No
/// network was involved, and repeating cannot help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(pub String);

fn query_string(q: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in q {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The `reqwest::Request` for `req` against `api_base` with bearer `token`.
pub fn api_request(
    api_base: &str,
    req: &Req<'_>,
    token: &str,
    timeout: Duration,
) -> Result<reqwest::Request, BuildError> {
    let mut url = reqwest::Url::parse(&format!("{api_base}{}", req.path))
        .map_err(|e| BuildError(format!("not a valid URL: {e}")))?;
    if !req.query.is_empty() {
        url.set_query(Some(&query_string(&req.query)));
    }
    let mut r = reqwest::Request::new(req.method.clone(), url);
    let h = r.headers_mut();
    h.insert(AUTHORIZATION, header(&format!("Bearer {token}"), "the access token")?);
    h.insert(
        ACCEPT,
        HeaderValue::from_static(if req.accept == Accept::Text { "text/plain" } else { "application/json" }),
    );
    if let Some(b) = req.body {
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        *r.body_mut() = Some(b.to_string().into());
    }
    *r.timeout_mut() = Some(timeout);
    Ok(r)
}

/// The OAuth client-credentials token request (`POST {login_base}/oauth/token`, HTTP Basic).
pub fn token_request(
    login_base: &str,
    client_id: &str,
    client_secret: &str,
    timeout: Duration,
) -> Result<reqwest::Request, BuildError> {
    use base64::Engine as _;
    let url = reqwest::Url::parse(&format!("{login_base}/oauth/token"))
        .map_err(|e| BuildError(format!("not a valid URL: {e}")))?;
    let mut r = reqwest::Request::new(Method::POST, url);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{client_secret}"));
    let h = r.headers_mut();
    h.insert(AUTHORIZATION, header(&format!("Basic {basic}"), "the client id")?);
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
    *r.body_mut() = Some(
        form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .finish()
            .into(),
    );
    *r.timeout_mut() = Some(timeout);
    Ok(r)
}

/// A sensitive header value; the error names what it holds, never the value.
fn header(value: &str, what: &str) -> Result<HeaderValue, BuildError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        BuildError(format!(
            "{what} contains characters not allowed in an HTTP header (CR, LF or other control characters)"
        ))
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// Percent-encodes a path segment.
#[must_use]
pub fn enc(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(enc("custom_-_a1b2"), "custom_-_a1b2");
        assert_eq!(enc("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn builds_a_get_with_query_and_bearer() {
        let req =
            Req::new(Method::GET, format!("/api/v2/integrations/actions/{}", enc("a/b")), Idempotency::Safe)
                .query("expand", "contract")
                .query("name", "A & B");
        let r = api_request("http://127.0.0.1:9", &req, "tok", Duration::from_secs(3)).unwrap();
        assert_eq!(r.method(), Method::GET);
        assert_eq!(
            r.url().as_str(),
            "http://127.0.0.1:9/api/v2/integrations/actions/a%2Fb?expand=contract&name=A+%26+B"
        );
        assert_eq!(r.headers()[AUTHORIZATION], "Bearer tok");
        assert!(r.headers()[AUTHORIZATION].is_sensitive());
        assert_eq!(r.headers()[ACCEPT], "application/json");
        assert!(r.headers().get(CONTENT_TYPE).is_none() && r.body().is_none());
        assert_eq!(r.timeout(), Some(&Duration::from_secs(3)));
        assert_eq!(req.shown_path(), "/api/v2/integrations/actions/a%2Fb?expand=contract&name=A+%26+B");
    }

    #[test]
    fn builds_a_json_post_and_a_text_get() {
        let body = serde_json::json!({"name": "A"});
        let req = Req::new(Method::POST, "/api/v2/integrations/actions", Idempotency::Unsafe).body(&body);
        let r = api_request("https://api.example.com", &req, "t", Duration::from_secs(1)).unwrap();
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(r.body().and_then(reqwest::Body::as_bytes), Some(&br#"{"name":"A"}"#[..]));
        let mut t = Req::new(Method::GET, "/t", Idempotency::Safe);
        t.accept = Accept::Text;
        let r = api_request("https://api.example.com", &t, "t", Duration::from_secs(1)).unwrap();
        assert_eq!(r.headers()[ACCEPT], "text/plain");
    }

    #[test]
    fn builds_the_token_request() {
        let r = token_request("https://login.example.com", "id", "s3cret", Duration::from_secs(1)).unwrap();
        assert_eq!(r.url().as_str(), "https://login.example.com/oauth/token");
        assert_eq!(r.headers()[AUTHORIZATION], "Basic aWQ6czNjcmV0");
        assert_eq!(r.body().and_then(reqwest::Body::as_bytes), Some(&b"grant_type=client_credentials"[..]));
    }

    #[test]
    fn control_characters_are_a_build_error_that_names_no_value() {
        let req = Req::new(Method::GET, "/x", Idempotency::Safe);
        let e = api_request("http://127.0.0.1:9", &req, "SeKrEt\r\nX-Evil: 1", Duration::from_secs(1))
            .unwrap_err();
        assert!(e.0.contains("access token") && !e.0.contains("SeKrEt"), "{e:?}");
    }
}
