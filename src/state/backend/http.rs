//! Terraform's HTTP backend protocol, as GitLab-managed Terraform state speaks it.
//!
//! Owns: the requests — `GET` the state (200 with a body; 204, 404 or an empty body: none
//! yet), write it with the update method (`POST`) carrying `?ID=<lock id>` while locked
//! (the body is gcsync's state, whose top-level `serial` GitLab requires), lock and unlock
//! with the configured methods and addresses (lock info as the body; 409/423 answers parsed
//! as the holder's lock info) —, Basic auth from `GCSYNC_HTTP_USERNAME` and
//! `GCSYNC_HTTP_PASSWORD`, or `gitlab-ci-token` and `CI_JOB_TOKEN`, and the
//! compare-and-swap emulation: the protocol has no conditional write, so a write first
//! reads the state back and refuses when it is not what this run read (the lock, which a
//! GitLab write must carry, is what closes the remaining window).
//! Must not: print credentials (they live only in the request's header), follow
//! redirects (a redirect could carry them elsewhere), or parse the state beyond
//! [`check_state`].

use super::{Backend, Error, HttpLocation, Location, LockInfo, Version, check_state, snippet};
use bytes::Bytes;
use reqwest::{Method, StatusCode};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// A state behind Terraform's HTTP backend protocol.
pub struct HttpBackend {
    location: Location,
    h: HttpLocation,
    client: reqwest::Client,
    /// (user, password); never printed (hence no derived `Debug`).
    auth: Option<(String, String)>,
    /// The id of the lock this backend holds (writes carry it).
    held: Mutex<Option<String>>,
    /// Where [`Backend::write_aside`] puts its files (the working directory by default).
    aside_dir: PathBuf,
}

impl std::fmt::Debug for HttpBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpBackend")
            .field("location", &self.location.to_string())
            .field("auth", &self.auth.as_ref().map(|(u, _)| format!("{u}:***")))
            .finish_non_exhaustive()
    }
}

impl HttpBackend {
    /// The backend of `h`, credentials from `vars`.
    pub fn new(location: Location, h: HttpLocation, vars: &[(String, String)]) -> Result<Self, Error> {
        let var = |k: &str| vars.iter().find(|(n, v)| n == k && !v.is_empty()).map(|(_, v)| v.clone());
        let auth = match (var("GCSYNC_HTTP_USERNAME"), var("GCSYNC_HTTP_PASSWORD"), var("CI_JOB_TOKEN")) {
            (Some(u), Some(p), _) => Some((u, p)),
            (Some(_), None, _) | (None, Some(_), _) => {
                return Err(Error::Config {
                    location: location.to_string(),
                    reason: "set both GCSYNC_HTTP_USERNAME and GCSYNC_HTTP_PASSWORD, or neither".into(),
                });
            }
            (None, None, Some(token)) => Some(("gitlab-ci-token".to_string(), token)),
            (None, None, None) => None,
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("gcsync/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config {
                location: location.to_string(),
                reason: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self { location, h, client, auth, held: Mutex::new(None), aside_dir: PathBuf::new() })
    }

    /// Puts the files of [`Backend::write_aside`] in `dir` instead of the working directory.
    #[must_use]
    pub fn with_aside_dir(mut self, dir: PathBuf) -> Self {
        self.aside_dir = dir;
        self
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // Poisoning only means another thread panicked holding it; the value is whole.
        self.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn send(
        &self,
        op: &'static str,
        method: &str,
        url: reqwest::Url,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, Bytes), Error> {
        let method = Method::from_bytes(method.as_bytes()).map_err(|_| Error::Config {
            location: self.location.to_string(),
            reason: format!("`{method}` is not an HTTP method"),
        })?;
        let mut req = self.client.request(method, url);
        if let Some((u, p)) = &self.auth {
            req = req.basic_auth(u, Some(p));
        }
        if let Some(b) = body {
            req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(b);
        }
        let resp = req.send().await.map_err(|e| self.transport(op, &e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| self.transport(op, &e))?;
        Ok((status, bytes))
    }

    fn transport(&self, op: &'static str, e: &reqwest::Error) -> Error {
        // reqwest's message names the URL, which parsing made sure holds no secret.
        let mut detail = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            src = s.source();
        }
        if e.is_connect() || e.is_timeout() {
            Error::Unreachable { location: self.location.to_string(), detail: snippet(&detail) }
        } else {
            Error::Other { op, location: self.location.to_string(), detail: snippet(&detail) }
        }
    }

    /// An unexpected answer.
    fn status_error(&self, op: &'static str, status: StatusCode, body: &[u8], what: &str) -> Error {
        let location = self.location.to_string();
        let body = snippet(&String::from_utf8_lossy(body));
        let detail = if body.is_empty() {
            format!("{what} answered {status}")
        } else {
            format!("{what} answered {status}: {body}")
        };
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Denied {
                location,
                detail: format!(
                    "{detail} (Basic auth from GCSYNC_HTTP_USERNAME/GCSYNC_HTTP_PASSWORD, or CI_JOB_TOKEN; {})",
                    if self.auth.is_some() { "they were sent" } else { "none is set" }
                ),
            },
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED
                if op == "lock" || op == "unlock" =>
            {
                Error::Config {
                    location,
                    reason: format!(
                        "{detail}; set the methods the server speaks with GCSYNC_HTTP_LOCK_METHOD / GCSYNC_HTTP_UNLOCK_METHOD (GitLab: POST / DELETE)"
                    ),
                }
            }
            _ => Error::Other { op, location, detail },
        }
    }

    /// The holder's info from a 409/423 answer.
    fn holder(body: &[u8]) -> Option<LockInfo> {
        serde_json::from_slice::<LockInfo>(body).ok().filter(|h| !h.id.is_empty())
    }

    async fn get(&self) -> Result<Option<Bytes>, Error> {
        let (status, body) = self.send("read", "GET", self.h.url.clone(), None).await?;
        match status {
            StatusCode::OK if !body.is_empty() => Ok(Some(body)),
            StatusCode::OK | StatusCode::NO_CONTENT | StatusCode::NOT_FOUND => Ok(None),
            s => Err(self.status_error("read", s, &body, "the server")),
        }
    }

    async fn unlock_request(&self, id: &str) -> Result<(), Error> {
        let body = serde_json::to_vec(&serde_json::json!({ "ID": id })).map_err(|e| Error::Other {
            op: "unlock",
            location: self.location.to_string(),
            detail: e.to_string(),
        })?;
        let (status, answer) =
            self.send("unlock", &self.h.unlock_method, self.h.unlock_url.clone(), Some(body)).await?;
        match status {
            StatusCode::OK | StatusCode::NO_CONTENT => Ok(()),
            StatusCode::CONFLICT | StatusCode::LOCKED => Err(match Self::holder(&answer) {
                Some(h) if h.id != id => Error::WrongLockId {
                    location: self.location.to_string(),
                    found: h.id,
                    given: id.to_string(),
                },
                holder => Error::Held { location: self.location.to_string(), holder: holder.map(Box::new) },
            }),
            s => Err(self.status_error("unlock", s, &answer, "the unlock address")),
        }
    }
}

#[async_trait::async_trait]
impl Backend for HttpBackend {
    fn location(&self) -> &Location {
        &self.location
    }

    async fn read(&self) -> Result<Option<(Bytes, Version)>, Error> {
        let Some(body) = self.get().await? else { return Ok(None) };
        check_state(&self.location, &body)?;
        let v = Version::of_bytes(&body);
        Ok(Some((body, v)))
    }

    async fn write(&self, bytes: Bytes, expected: Option<&Version>) -> Result<Version, Error> {
        // GitLab refuses a body without a top-level `serial` (422): check it is ours first.
        check_state(&self.location, &bytes)?;
        let found = self.get().await?.map(|b| Version::of_bytes(&b));
        if found.as_ref() != expected {
            return Err(Error::Conflict {
                location: self.location.to_string(),
                detail: format!(
                    "expected {}, found {}",
                    expected.map_or_else(|| "no state".to_string(), ToString::to_string),
                    found.map_or_else(|| "no state".to_string(), |v| v.to_string())
                ),
                saved_as: None,
            });
        }
        let mut url = self.h.url.clone();
        if let Some(id) = self.held().clone() {
            url.query_pairs_mut().append_pair("ID", &id);
        }
        let v = Version::of_bytes(&bytes);
        let (status, answer) = self.send("write", &self.h.update_method, url, Some(bytes.to_vec())).await?;
        match status {
            StatusCode::OK | StatusCode::CREATED | StatusCode::NO_CONTENT => Ok(v),
            StatusCode::CONFLICT | StatusCode::LOCKED => Err(Error::Conflict {
                location: self.location.to_string(),
                detail: match Self::holder(&answer) {
                    Some(h) => format!("the server refused the write: the lock is held by {h}"),
                    None => format!("the server refused the write ({status})"),
                },
                saved_as: None,
            }),
            s => Err(self.status_error("write", s, &answer, "the server")),
        }
    }

    async fn write_aside(&self, suffix: &str, bytes: Bytes) -> Result<String, Error> {
        let name = self
            .h
            .url
            .path_segments()
            .and_then(|mut s| s.rfind(|seg| !seg.is_empty()).map(str::to_string))
            .unwrap_or_else(|| "state".to_string());
        let path = self.aside_dir.join(format!("{name}.{suffix}"));
        crate::fsutil::write_private(&path, &bytes, false).map_err(|e| Error::Other {
            op: "write",
            location: path.display().to_string(),
            detail: crate::fsutil::io_reason(&e),
        })?;
        Ok(path.display().to_string())
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), Error> {
        let body = serde_json::to_vec(info).map_err(|e| Error::Other {
            op: "lock",
            location: self.location.to_string(),
            detail: e.to_string(),
        })?;
        let (status, answer) =
            self.send("lock", &self.h.lock_method, self.h.lock_url.clone(), Some(body)).await?;
        match status {
            StatusCode::OK => {
                *self.held() = Some(info.id.clone());
                Ok(())
            }
            StatusCode::CONFLICT | StatusCode::LOCKED => Err(Error::Held {
                location: self.location.to_string(),
                holder: Self::holder(&answer).map(Box::new),
            }),
            s => Err(self.status_error("lock", s, &answer, "the lock address")),
        }
    }

    async fn unlock(&self, id: &str) -> Result<(), Error> {
        self.unlock_request(id).await?;
        let mut held = self.held();
        if held.as_deref() == Some(id) {
            *held = None;
        }
        Ok(())
    }

    async fn force_unlock(&self, id: &str) -> Result<(), Error> {
        self.unlock(id).await
    }
}
