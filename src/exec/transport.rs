//! Step 8's HTTP call, behind the [`Transport`] trait.
//!
//! Owns: the request/response types the pipeline hands over, the failure classes the
//! pipeline maps to Genesys error codes ([`TransportError`]: timeout, connection, TLS,
//! oversized answer), [`HttpTransport`] (reqwest + rustls, per-request timeout, the local
//! org's `*.gcsync.test` routing) and [`StubTransport`] (a canned answer for `tests:` cases
//! and benchmarks; a delay longer than the timeout is reported as a timeout without
//! sleeping).
//! Must not: know templates, schemas or Genesys error shapes (the pipeline does).

use std::future::Future;
use std::time::Duration;

/// Largest upstream answer read (bytes). Genesys documents no limit for web-services actions
/// (reference §9 Q9); Architect takes at most 2 MB, so 10 MB only guards memory.
pub const MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;

/// The domain the local org serves (`.test` is reserved by RFC 2606 and never resolves on
/// the internet).
pub const LOCAL_DEMO_DOMAIN: &str = "gcsync.test";

/// The outbound request of step 8.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// Upper-case method.
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers in order (the action's, then the platform's).
    pub headers: Vec<(String, String)>,
    /// Body (only for POST/PUT/PATCH).
    pub body: Option<String>,
    /// The action's timeout.
    pub timeout: Duration,
}

/// The upstream answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Output the upstream produced while answering (a function's `console.log` lines),
    /// shown in step 8's trace as `logs`; empty for HTTP.
    pub logs: Vec<String>,
    /// Notes for step 8's `warnings` (a function returning `statusCode: 4xx`); empty for HTTP.
    pub notes: Vec<String>,
}

impl HttpResponse {
    /// A header value by (case-insensitive) name.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why no answer arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No complete answer within the timeout.
    #[error("no answer within {} seconds", .0.as_secs_f64())]
    Timeout(Duration),
    /// DNS, refused or reset connections.
    #[error("{0}")]
    Connect(String),
    /// The TLS handshake failed (certificate errors included).
    #[error("TLS error: {0}")]
    Tls(String),
    /// The answer exceeded [`MAX_RESPONSE_BYTES`].
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    /// Anything else (an invalid header, a request that could not be built).
    #[error("{0}")]
    Other(String),
}

/// Sends step 8's request.
pub trait Transport: Sync {
    /// Sends `req` and reads the whole answer, honouring `req.timeout`.
    fn send(&self, req: &HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send;
}

/// A canned answer: what a `tests:` case's `response:` describes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StubTransport {
    /// The answer.
    pub response: HttpResponse,
    /// Simulated upstream latency: when it exceeds the request's timeout the stub reports a
    /// timeout at once (deterministic, no sleeping); otherwise it is ignored.
    pub delay: Duration,
}

impl StubTransport {
    /// A stub answering `status` with a JSON `body`.
    #[must_use]
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            response: HttpResponse {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                body: body.to_string().into_bytes(),
                ..HttpResponse::default()
            },
            delay: Duration::ZERO,
        }
    }

    /// The answer for `req`, synchronously (benchmarks use this directly).
    pub fn respond(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if self.delay > req.timeout {
            return Err(TransportError::Timeout(req.timeout));
        }
        if self.response.body.len() > MAX_RESPONSE_BYTES {
            return Err(TransportError::TooLarge(MAX_RESPONSE_BYTES));
        }
        Ok(self.response.clone())
    }
}

impl Transport for StubTransport {
    fn send(&self, req: &HttpRequest) -> impl Future<Output = Result<HttpResponse, TransportError>> + Send {
        let r = self.respond(req);
        async move { r }
    }
}

/// Real HTTP (reqwest, rustls with the platform's roots).
///
/// With [`HttpTransport::with_local_org`], a request to any `*.gcsync.test` host goes to
/// the local org's demo tree instead: `https://profiles.gcsync.test/users/1?x=y` →
/// `<local org>/demo/users/1?x=y`. Without it such hosts do not resolve (a connection
/// error), exactly as on the internet.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    local_org: Option<String>,
}

impl HttpTransport {
    /// A transport with no local-org routing.
    pub fn new() -> Result<Self, TransportError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| TransportError::Other(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { client, local_org: None })
    }

    /// Routes `*.gcsync.test` to `base` (`http://127.0.0.1:PORT` of the local org).
    #[must_use]
    pub fn with_local_org(mut self, base: impl Into<String>) -> Self {
        self.local_org = Some(base.into().trim_end_matches('/').to_string());
        self
    }

    /// The URL actually contacted for `url` (after local-org routing).
    #[must_use]
    pub fn route(&self, url: &str) -> String {
        let Some(base) = &self.local_org else { return url.to_string() };
        let Ok(parsed) = reqwest::Url::parse(url) else { return url.to_string() };
        let Some(host) = parsed.host_str() else { return url.to_string() };
        let host = host.to_ascii_lowercase();
        if host != LOCAL_DEMO_DOMAIN && !host.ends_with(&format!(".{LOCAL_DEMO_DOMAIN}")) {
            return url.to_string();
        }
        let mut out = format!("{base}/demo{}", parsed.path());
        if let Some(q) = parsed.query() {
            out.push('?');
            out.push_str(q);
        }
        out
    }

    async fn send_inner(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| TransportError::Other(format!("invalid HTTP method `{}`", req.method)))?;
        let url = self.route(&req.url);
        let mut b = self.client.request(method, &url).timeout(req.timeout);
        for (k, v) in &req.headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| TransportError::Other(format!("invalid header name `{k}`")))?;
            let value = reqwest::header::HeaderValue::from_str(v)
                .map_err(|_| TransportError::Other(format!("invalid value for header `{k}`")))?;
            b = b.header(name, value);
        }
        if let Some(body) = &req.body {
            b = b.body(body.clone());
        }
        let mut resp = b.send().await.map_err(|e| classify(&e, req.timeout, &url))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e, req.timeout, &url))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(TransportError::TooLarge(MAX_RESPONSE_BYTES));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse { status, headers, body, ..HttpResponse::default() })
    }
}

impl Transport for HttpTransport {
    async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        // reqwest's own timeout covers connect + headers + body; the outer one is a
        // backstop so a misbehaving peer can never hold a run longer than the action allows.
        match tokio::time::timeout(req.timeout + Duration::from_millis(250), self.send_inner(req)).await {
            Ok(r) => r,
            Err(_) => Err(TransportError::Timeout(req.timeout)),
        }
    }
}

/// Maps a reqwest error to a failure class with a short, stable message (reqwest's own
/// `Display` includes the URL, which may carry secrets; the cause chain is summarised).
fn classify(e: &reqwest::Error, timeout: Duration, url: &str) -> TransportError {
    if e.is_timeout() {
        return TransportError::Timeout(timeout);
    }
    let mut chain = Vec::new();
    let mut tls = false;
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        if s.downcast_ref::<rustls::Error>().is_some() {
            tls = true;
        }
        chain.push(s.to_string());
        src = s.source();
    }
    let text = chain.join(": ");
    let lower = text.to_ascii_lowercase();
    let host = reqwest::Url::parse(url)
        .ok()
        .map(|u| match (u.host_str(), u.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        })
        // No URL in the error: no host to name.
        .unwrap_or_default();
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
        return TransportError::Connect(format!("Cannot resolve the host '{name}'"));
    }
    if lower.contains("connection refused") {
        return TransportError::Connect(format!("Connection refused by {host}"));
    }
    if lower.contains("connection reset") {
        return TransportError::Connect(format!("Connection reset by {host}"));
    }
    let tls_words = ["certificate", "handshake", "corrupt message", "invalidcontenttype", "tls", "alert"];
    if tls || tls_words.iter().any(|w| lower.contains(w)) {
        let last = chain.last().cloned().unwrap_or_else(|| "handshake failed".into());
        return TransportError::Tls(format!("{host}: {last}"));
    }
    if e.is_connect() || e.is_request() || e.is_body() {
        let last = chain.last().cloned().unwrap_or_else(|| "the request failed".into());
        return TransportError::Connect(format!("Connection to {host} failed: {last}"));
    }
    TransportError::Other(chain.last().cloned().unwrap_or_else(|| "the request failed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(timeout_s: u64) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url: "https://x.example/a".into(),
            headers: vec![],
            body: None,
            timeout: Duration::from_secs(timeout_s),
        }
    }

    #[test]
    fn stub_reports_timeout_without_sleeping() {
        let mut s = StubTransport::json(200, &serde_json::json!({}));
        s.delay = Duration::from_millis(15_000);
        assert_eq!(s.respond(&req(10)), Err(TransportError::Timeout(Duration::from_secs(10))));
        assert!(s.respond(&req(20)).is_ok());
    }

    #[test]
    fn local_org_routing() {
        let t = HttpTransport::new().unwrap().with_local_org("http://127.0.0.1:9/");
        assert_eq!(
            t.route("https://profiles.gcsync.test/users/1?a=b"),
            "http://127.0.0.1:9/demo/users/1?a=b"
        );
        assert_eq!(t.route("https://GCSYNC.test/users/2"), "http://127.0.0.1:9/demo/users/2");
        assert_eq!(t.route("https://gcsync.test.example.com/x"), "https://gcsync.test.example.com/x");
        let plain = HttpTransport::new().unwrap();
        assert_eq!(
            plain.route("https://profiles.gcsync.test/users/1"),
            "https://profiles.gcsync.test/users/1"
        );
    }
}
