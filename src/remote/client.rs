//! The Genesys Cloud Platform API client: the only code that talks HTTP to an org.
//!
//! Owns: sending — OAuth client credentials (token cached until shortly before expiry; one
//! re-auth on 401), the client-side rate limit (GCRA, default 300 requests/min per token, so
//! gcsync itself never causes 429s), bounded concurrency, reading answers up to their cap,
//! and carrying out the retry rule of [`super::policy`] (429 with `Retry-After` up to a cap,
//! default 60 s, a longer ask failing at once with [`Error::RetryAfterTooLong`]; 500/502/503/504
//! and lost connections repeated only when a repeat cannot duplicate work, otherwise
//! [`Error::Ambiguous`] for the caller to resolve by looking) — and the endpoint calls
//! (paths, query parameters, paging), each described as a [`super::request::Req`] and built
//! by [`super::request`]. Request logging at `-v`/`-vv` never shows the Authorization
//! header, the client secret, or bodies of credential calls.
//! Must not: decide what to change (plan/apply do) or print directly.

use super::Secret;
use super::config::Target;
use super::error::{ApiError, Error, Result};
use super::policy::{self, BodyCap, Decision, Outcome};
use super::request::{self, Accept, Req};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

/// The largest page size gcsync asks for (Genesys's maximum for list endpoints).
pub const MAX_PAGE_SIZE: usize = 500;

/// A logging hook: (level 0 = a wait the user should hear about — the org's rate limit, a
/// retry after a failed connection —, 1 = `-v`, 2 = `-vv`; message).
pub type LogFn = Arc<dyn Fn(u8, &str) + Send + Sync>;

/// Client tuning (see README "Connecting to an org"; `GCSYNC_*` variables in `cli::org`).
#[derive(Clone)]
pub struct ClientOptions {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Attempts per request, first included.
    pub max_attempts: u32,
    /// First backoff step.
    pub backoff_base: Duration,
    /// Largest backoff step.
    pub backoff_max: Duration,
    /// Longest `Retry-After` honoured; a server asking for more fails the request at once.
    pub retry_after_max: Duration,
    /// Client-side limit in requests per minute (0 = none).
    pub rate_limit_per_minute: u32,
    /// Requests that may go out back to back before the limit spaces them.
    pub rate_burst: u32,
    /// Requests in flight at once.
    pub parallelism: usize,
    /// Logging hook.
    pub log: Option<LogFn>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_attempts: 8,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(10),
            retry_after_max: Duration::from_secs(60),
            rate_limit_per_minute: 300,
            rate_burst: 5,
            parallelism: 4,
            log: None,
        }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .field("retry_after_max", &self.retry_after_max)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("parallelism", &self.parallelism)
            .finish_non_exhaustive()
    }
}

/// Whether repeating a request can duplicate work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads, deletes, versioned updates: safe to repeat.
    Safe,
    /// Creates, publishes: repeat only when provably not processed; a lost or 5xx answer is
    /// an unknown outcome the caller resolves by looking.
    Unsafe,
    /// Executions (`/test`, `/execute`): repeat only when provably not processed, and any
    /// answer — a 5xx included — is the outcome (the action's own failure), never "unknown":
    /// there is nothing to look up.
    Execution,
}

struct Token {
    value: Secret,
    refresh_at: Instant,
}

/// Generic cell rate algorithm limiter (fair across concurrent callers).
struct RateLimiter {
    interval: Option<Duration>,
    tolerance: Duration,
    tat: std::sync::Mutex<Instant>,
}

impl RateLimiter {
    fn new(per_minute: u32, burst: u32) -> Self {
        if per_minute == 0 {
            return Self {
                interval: None,
                tolerance: Duration::ZERO,
                tat: std::sync::Mutex::new(Instant::now()),
            };
        }
        let interval = Duration::from_secs_f64(60.0 / f64::from(per_minute));
        Self {
            interval: Some(interval),
            tolerance: interval * burst.saturating_sub(1),
            tat: std::sync::Mutex::new(Instant::now()),
        }
    }

    async fn acquire(&self) {
        let Some(interval) = self.interval else { return };
        let wait = {
            let Ok(mut tat) = self.tat.lock() else { return };
            let now = Instant::now();
            let t = (*tat).max(now);
            let allowed = t.checked_sub(self.tolerance).unwrap_or(now);
            *tat = t + interval;
            allowed.saturating_duration_since(now)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// A Genesys Cloud API client.
pub struct Client {
    pub(super) http: reqwest::Client,
    target: Target,
    pub(super) options: ClientOptions,
    token: Mutex<Option<Token>>,
    limiter: RateLimiter,
    semaphore: Semaphore,
    requests: AtomicU64,
    token_requests: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("target", &self.target).finish_non_exhaustive()
    }
}

/// A page of a listing.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// Items.
    #[serde(default = "Vec::new")]
    pub entities: Vec<T>,
    /// Number of pages.
    #[serde(default)]
    pub page_count: Option<u64>,
    /// Number of items.
    #[serde(default)]
    pub total: Option<u64>,
}

/// `GET /api/v2/organizations/me`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct OrgInfo {
    /// Organization id.
    pub id: String,
    /// Organization name.
    #[serde(default)]
    pub name: String,
}

/// An integration as listed.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    /// Id.
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Type.
    #[serde(default)]
    pub integration_type: Option<IntegrationType>,
    /// ENABLED / DISABLED.
    #[serde(default)]
    pub intended_state: Option<String>,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// `config.current`.
    #[serde(default)]
    pub config: Option<Value>,
}

/// An integration type reference.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct IntegrationType {
    /// e.g. `custom-rest-actions`.
    pub id: String,
}

impl Integration {
    /// The type id, or "" when missing.
    #[must_use]
    pub fn type_id(&self) -> &str {
        self.integration_type.as_ref().map_or("", |t| t.id.as_str())
    }
}

impl Client {
    /// A client for `target`.
    pub fn new(target: Target, options: ClientOptions) -> Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("gcsync/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Transport {
                method: "-".into(),
                path: "-".into(),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        let parallelism = options.parallelism.max(1);
        Ok(Self {
            http,
            limiter: RateLimiter::new(options.rate_limit_per_minute, options.rate_burst.max(1)),
            semaphore: Semaphore::new(parallelism),
            target,
            options,
            token: Mutex::new(None),
            requests: AtomicU64::new(0),
            token_requests: AtomicU64::new(0),
        })
    }

    /// The target this client talks to.
    #[must_use]
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// API requests sent so far (token requests excluded).
    #[must_use]
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Token requests sent so far.
    #[must_use]
    pub fn token_request_count(&self) -> u64 {
        self.token_requests.load(Ordering::Relaxed)
    }

    fn log(&self, level: u8, msg: &str) {
        if let Some(l) = &self.options.log {
            l(level, msg);
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let cap = policy::backoff_cap(self.options.backoff_base, self.options.backoff_max, attempt);
        // Full jitter: anywhere between 0 and the cap, so retries of many requests spread out.
        cap.mul_f64(fastrand::f64())
    }

    /// How long to wait before retrying an answer of `status`: the server's `Retry-After`
    /// when it gave one (an error when that is longer than the cap), else the backoff.
    fn retry_wait(
        &self,
        retry_after: Option<Duration>,
        attempt: u32,
        api: impl FnOnce() -> ApiError,
    ) -> Result<Duration> {
        match retry_after {
            Some(asked) if asked > self.options.retry_after_max => Err(Error::RetryAfterTooLong {
                api: Box::new(api()),
                asked_secs: policy::secs_rounded_up(asked),
                cap_secs: self.options.retry_after_max.as_secs(),
            }),
            Some(asked) => Ok(asked),
            None => Ok(self.backoff(attempt)),
        }
    }

    /// Sends one built request and reads its answer up to `cap`: the outcome for the retry
    /// rule, with the answer when there is one, or what went wrong.
    async fn attempt(&self, request: reqwest::Request, cap: BodyCap) -> Attempt {
        match self.http.execute(request).await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let ra = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(policy::parse_retry_after);
                match read_capped(resp, cap.bytes()).await {
                    Ok(body) => Attempt::Answer { status, body, retry_after: ra },
                    Err(ReadError::TooLarge) => Attempt::Failed {
                        outcome: Outcome::Permanent { sent: true },
                        message: format!(
                            "the answer (HTTP {status}) is larger than the {} gcsync reads from this endpoint; it was not read further",
                            human_bytes(cap.bytes())
                        ),
                    },
                    Err(ReadError::Broken(e)) => {
                        Attempt::Failed { outcome: Outcome::NoAnswer, message: describe(&e) }
                    }
                }
            }
            Err(e) => {
                let outcome = if e.is_connect() {
                    Outcome::NotSent
                } else if e.is_redirect() || e.is_builder() {
                    Outcome::Permanent { sent: e.is_redirect() }
                } else {
                    Outcome::NoAnswer
                };
                Attempt::Failed { outcome, message: describe(&e) }
            }
        }
    }

    /// A valid token (fetched when absent or about to expire; `force` fetches anew). The
    /// token request is safe to repeat and follows the same retry rule as any safe request.
    async fn token(&self, force: bool) -> Result<Secret> {
        let mut guard = self.token.lock().await;
        if !force
            && let Some(t) = guard.as_ref()
            && Instant::now() < t.refresh_at
        {
            return Ok(t.value.clone());
        }
        let transport = |message: String| Error::Transport {
            method: "POST".into(),
            path: "/oauth/token".into(),
            message,
        };
        let mut attempt = 0;
        let (status, body) = loop {
            attempt += 1;
            let request = request::token_request(
                &self.target.login_base,
                &self.target.client_id,
                self.target.client_secret.expose(),
                self.options.timeout,
            )
            .map_err(|e| transport(e.0))?;
            self.token_requests.fetch_add(1, Ordering::Relaxed);
            let (outcome, answer, message) = match self.attempt(request, BodyCap::Token).await {
                Attempt::Answer { status, body, retry_after } => {
                    self.log(1, &format!("POST /oauth/token → {status}"));
                    (Outcome::Status(status), Some((status, body, retry_after)), String::new())
                }
                Attempt::Failed { outcome, message } => {
                    self.log(1, &format!("POST /oauth/token → {message}"));
                    (outcome, None, message)
                }
            };
            match (policy::decide(outcome, attempt, self.options.max_attempts, Idempotency::Safe), answer) {
                (Decision::Retry, Some((status, body, retry_after))) => {
                    let wait = self.retry_wait(retry_after, attempt, || {
                        ApiError::from_body("POST", "/oauth/token", status, &body)
                    })?;
                    tokio::time::sleep(wait).await;
                }
                (Decision::Retry, None) => {
                    let wait = self.backoff(attempt);
                    self.log(
                        0,
                        &format!(
                            "logging in: {message}; retrying in {:.1} s (attempt {} of {})",
                            wait.as_secs_f64(),
                            attempt + 1,
                            self.options.max_attempts
                        ),
                    );
                    tokio::time::sleep(wait).await;
                }
                (_, Some((status, body, _))) => break (status, body),
                (_, None) => return Err(transport(message)),
            }
        };
        if !(200..300).contains(&status) {
            return Err(Error::Auth(Box::new(ApiError::from_body("POST", "/oauth/token", status, &body))));
        }
        #[derive(Deserialize)]
        struct TokenResponse {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let t: TokenResponse = serde_json::from_slice(&body).map_err(|e| Error::Decode {
            method: "POST".into(),
            path: "/oauth/token".into(),
            message: format!("no access_token in the token response ({e})"),
        })?;
        let lifetime = Duration::from_secs(t.expires_in.unwrap_or(3600));
        let secret = Secret::new(t.access_token);
        *guard = Some(Token { value: secret.clone(), refresh_at: Instant::now() + refresh_after(lifetime) });
        Ok(secret)
    }

    /// Sends a request through limiter, concurrency bound, auth and the retry rule
    /// ([`policy::decide`]).
    pub(crate) async fn send(&self, req: Req<'_>) -> Result<(u16, bytes::Bytes)> {
        let method_s = req.method.as_str().to_string();
        let shown_path = req.shown_path();
        let cap = if req.accept == Accept::Text { BodyCap::Template } else { BodyCap::Json };
        let mut attempt: u32 = 0;
        let mut reauthed = false;
        loop {
            attempt += 1;
            let token = self.token(false).await?;
            let request =
                request::api_request(&self.target.api_base, &req, token.expose(), self.options.timeout)
                    .map_err(|e| Error::Transport {
                        method: method_s.clone(),
                        path: req.path.clone(),
                        message: e.0,
                    })?;
            if let Some(b) = req.body
                && self.options.log.is_some()
                && !req.sensitive
            {
                self.log(2, &format!("{method_s} {} body: {}", req.path, truncate(&b.to_string(), 2000)));
            }
            self.limiter.acquire().await;
            let permit = self.semaphore.acquire().await;
            let started = Instant::now();
            self.requests.fetch_add(1, Ordering::Relaxed);
            let sent = self.attempt(request, cap).await;
            drop(permit);
            let ms = started.elapsed().as_millis();
            let (status, body, retry_after) = match sent {
                Attempt::Failed { outcome, message } => {
                    self.log(1, &format!("{method_s} {shown_path} → {message} ({ms} ms)"));
                    match policy::decide(outcome, attempt, self.options.max_attempts, req.idempotency) {
                        Decision::Retry => {
                            let wait = self.backoff(attempt);
                            self.log(
                                0,
                                &format!(
                                    "{method_s} {shown_path}: {message}; retrying in {:.1} s (attempt {} of {})",
                                    wait.as_secs_f64(),
                                    attempt + 1,
                                    self.options.max_attempts
                                ),
                            );
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        Decision::Ambiguous => {
                            return Err(Error::Ambiguous { method: method_s, path: req.path, message });
                        }
                        Decision::Done | Decision::GiveUp => {
                            return Err(Error::Transport { method: method_s, path: req.path, message });
                        }
                    }
                }
                Attempt::Answer { status, body, retry_after } => (status, body, retry_after),
            };
            self.log(1, &format!("{method_s} {shown_path} → {status} ({ms} ms)"));
            if self.options.log.is_some() && !req.sensitive && !(200..300).contains(&status) {
                self.log(
                    2,
                    &format!(
                        "{method_s} {} response: {}",
                        req.path,
                        truncate(&String::from_utf8_lossy(&body), 2000)
                    ),
                );
            }
            if status == 401 && !reauthed {
                reauthed = true;
                self.log(1, "token refused (401); logging in again once");
                self.token(true).await?;
                continue;
            }
            match policy::decide(Outcome::Status(status), attempt, self.options.max_attempts, req.idempotency)
            {
                Decision::Retry => {
                    let wait = self.retry_wait(retry_after, attempt, || {
                        ApiError::from_body(&method_s, &req.path, status, &body)
                    })?;
                    if status == 429 {
                        let level = if wait >= Duration::from_secs(1) { 0 } else { 1 };
                        self.log(
                            level,
                            &format!(
                                "the org is rate limiting this client (429); waiting {:.1} s as it asked (Retry-After)",
                                wait.as_secs_f64()
                            ),
                        );
                    }
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Decision::Ambiguous => {
                    return Err(Error::Ambiguous {
                        method: method_s,
                        path: req.path,
                        message: format!("HTTP {status}"),
                    });
                }
                Decision::Done | Decision::GiveUp => {}
            }
            if (200..300).contains(&status) {
                return Ok((status, body));
            }
            let api = Box::new(ApiError::from_body(&method_s, &req.path, status, &body));
            if api.is_version_conflict() {
                return Err(Error::VersionConflict(api));
            }
            return Err(Error::Api(api));
        }
    }

    pub(crate) async fn json<T: serde::de::DeserializeOwned>(&self, req: Req<'_>) -> Result<T> {
        let (method, path) = (req.method.as_str().to_string(), req.path.clone());
        let (_, body) = self.send(req).await?;
        serde_json::from_slice(&body).map_err(|e| Error::Decode { method, path, message: e.to_string() })
    }
}

/// Exact-name resolution among integrations; two with the same name is
/// [`Error::AmbiguousIntegration`] naming every id.
pub fn resolve_integration(all: &[Integration], name: &str) -> Result<Option<Integration>> {
    let matches: Vec<&Integration> = all.iter().filter(|i| i.name == name).collect();
    match matches.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        many => Err(Error::AmbiguousIntegration {
            name: name.to_string(),
            ids: many.iter().map(|i| i.id.clone()).collect(),
        }),
    }
}

/// How long a token is used before it is renewed: a minute early, or at 90% of a short
/// lifetime, so a request never goes out with a token about to expire.
#[must_use]
pub fn refresh_after(lifetime: Duration) -> Duration {
    lifetime.saturating_sub(Duration::from_secs(60).min(lifetime / 10))
}

/// A short description of a transport error without URLs (which could carry queries).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else if e.is_request() {
        "the connection broke while sending the request"
    } else {
        "network error"
    };
    let mut detail = String::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        detail = s.to_string();
        src = s.source();
    }
    if detail.is_empty() { kind.to_string() } else { format!("{kind}: {detail}") }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

/// The result of one attempt.
enum Attempt {
    /// A complete answer (any status).
    Answer { status: u16, body: bytes::Bytes, retry_after: Option<Duration> },
    /// No usable answer.
    Failed { outcome: Outcome, message: String },
}

enum ReadError {
    TooLarge,
    Broken(reqwest::Error),
}

/// Reads a body, refusing one longer than `cap` bytes (by its Content-Length, or as soon as
/// the chunks read exceed it) instead of growing without bound.
async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
) -> std::result::Result<bytes::Bytes, ReadError> {
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Broken)? {
        if buf.len() + chunk.len() > cap {
            return Err(ReadError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// `16 MiB`, `64 KiB`.
fn human_bytes(n: usize) -> String {
    if n >= 1024 * 1024 && n.is_multiple_of(1024 * 1024) {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integration_resolution_is_exact_and_refuses_ambiguity() {
        let i = |id: &str, name: &str| Integration {
            id: id.into(),
            name: name.into(),
            integration_type: None,
            intended_state: None,
            notes: None,
            config: None,
        };
        let all = vec![i("1", "Profile API"), i("2", "Profile API v2"), i("3", "Dup"), i("4", "Dup")];
        assert_eq!(resolve_integration(&all, "Profile API").unwrap().unwrap().id, "1");
        assert!(resolve_integration(&all, "profile api").unwrap().is_none());
        let e = resolve_integration(&all, "Dup").unwrap_err();
        assert!(
            matches!(&e, Error::AmbiguousIntegration { name, ids } if name == "Dup" && ids == &["3", "4"]),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "2 integrations are named `Dup` (ids `3`, `4`): rename one in the org, or delete the one these actions must not use"
        );
        assert!(e.api().is_none(), "not an answer of the server");
    }

    #[test]
    fn tokens_are_renewed_before_expiry() {
        assert_eq!(refresh_after(Duration::from_secs(86_399)), Duration::from_secs(86_339));
        assert_eq!(refresh_after(Duration::from_secs(300)), Duration::from_secs(270));
        assert_eq!(refresh_after(Duration::from_secs(10)), Duration::from_secs(9));
        assert_eq!(refresh_after(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test]
    async fn limiter_spaces_requests_after_the_burst() {
        let l = RateLimiter::new(60_000, 3); // 1 ms interval
        let start = Instant::now();
        for _ in 0..13 {
            l.acquire().await;
        }
        // 3 immediately, then 10 more at 1 ms each: at least 9 ms in total.
        assert!(start.elapsed() >= Duration::from_millis(9));
    }
}
