//! The function-action endpoints of the client (`impl Client`): the runtimes list, the
//! draft's and the published function settings, the upload URL, the upload itself (`PUT`
//! of the zip to the returned URL with every returned header) and a bounded wait for the
//! zip to become `Available`.
//!
//! Owns: these calls and their shapes ([`FunctionConfig`], [`FunctionZip`],
//! [`FunctionUpload`], [`FunctionRuntime`]) and their errors ([`FunctionError`]). The
//! upload URL is presigned: its query string is a credential, so it never appears in
//! errors or logs (only scheme, host and path do).
//! Must not: decide when to upload (apply does), print.

use super::client::{Client, Idempotency};
use super::error::Error;
use super::request::{Req, enc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// `FunctionRuntime`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionRuntime {
    /// `nodejs22.x`.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Available | Deprecated | Unavailable.
    #[serde(default)]
    pub status: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub date_end_of_life: Option<String>,
}

/// `FunctionZipConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionZip {
    /// Zip id.
    #[serde(default)]
    pub id: Option<String>,
    /// File name given with the upload request.
    #[serde(default)]
    pub name: Option<String>,
    /// Pending, Transferring, Available, Unknown, Invalid, InvalidFormat, InvalidFile.
    #[serde(default)]
    pub status: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error_message: Option<String>,
}

/// `FunctionConfig`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionConfig {
    /// The action id.
    #[serde(default)]
    pub id: Option<String>,
    /// The `Function` settings (description, handler, runtime, timeoutSeconds, zipId).
    #[serde(default)]
    pub function: Option<Value>,
    /// The zip.
    #[serde(default)]
    pub zip: Option<FunctionZip>,
    /// Recent failed uploads.
    #[serde(default)]
    pub upload_exception_history: Vec<FunctionZip>,
}

impl FunctionConfig {
    /// The zip's status, when there is a zip.
    #[must_use]
    pub fn zip_status(&self) -> Option<&str> {
        self.zip.as_ref().and_then(|z| z.status.as_deref())
    }
}

/// `FunctionUploadResponse`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionUpload {
    /// The presigned URL (a credential: never shown whole).
    pub url: String,
    /// Headers the upload must carry.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Validity of the URL.
    #[serde(default)]
    pub signed_url_timeout_seconds: Option<i64>,
}

impl std::fmt::Debug for FunctionUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionUpload")
            .field("url", &shown_url(&self.url))
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A URL without its query string (presigned URLs carry their signature there).
#[must_use]
pub fn shown_url(url: &str) -> String {
    // `split` yields at least one piece (the whole text when there is no separator).
    url.split(['?', '#']).next().unwrap_or_default().to_string()
}

/// Why a function call failed.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// A Genesys API call failed.
    #[error(transparent)]
    Api(#[from] Error),
    /// The upload URL refused the zip (wrong headers, expired URL, ...).
    #[error("the zip upload to {url} was refused: HTTP {status}: {message}")]
    Upload {
        /// Scheme, host and path of the URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The answer (an object store's error text).
        message: String,
    },
    /// The platform refused the uploaded zip.
    #[error("the uploaded zip of action `{action}` is {status}: {message}")]
    ZipFailed {
        /// The action id.
        action: String,
        /// The zip status.
        status: String,
        /// Its error message.
        message: String,
    },
    /// The zip did not become Available in time.
    #[error("the zip of action `{action}` is still {status} after {waited_s} s")]
    WaitTimeout {
        /// The action id.
        action: String,
        /// The last status seen.
        status: String,
        /// Seconds waited.
        waited_s: u64,
    },
}

impl From<FunctionError> for Error {
    fn from(e: FunctionError) -> Self {
        match e {
            FunctionError::Api(e) => e,
            other => Error::FunctionCode(other.to_string()),
        }
    }
}

/// How long apply waits for an uploaded zip to become `Available`.
pub const ZIP_WAIT: Duration = Duration::from_secs(300);

/// Zip statuses that will not turn `Available`.
pub const FAILED_ZIP_STATUSES: [&str; 4] = ["Invalid", "InvalidFormat", "InvalidFile", "Unknown"];

impl Client {
    /// `GET /actions/functions/runtimes`.
    pub async fn function_runtimes(&self) -> Result<Vec<FunctionRuntime>, Error> {
        self.json(Req::new(Method::GET, "/api/v2/integrations/actions/functions/runtimes", Idempotency::Safe))
            .await
    }

    /// `GET /actions/{id}/draft/function`.
    pub async fn get_draft_function(&self, id: &str) -> Result<FunctionConfig, Error> {
        let path = format!("/api/v2/integrations/actions/{}/draft/function", enc(id));
        self.json(Req::new(Method::GET, path, Idempotency::Safe)).await
    }

    /// `GET /actions/{id}/function` (the published settings).
    pub async fn get_function(&self, id: &str) -> Result<FunctionConfig, Error> {
        let path = format!("/api/v2/integrations/actions/{}/function", enc(id));
        self.json(Req::new(Method::GET, path, Idempotency::Safe)).await
    }

    /// `PUT /actions/{id}/draft/function` with a `Function` body.
    pub async fn put_draft_function(&self, id: &str, function: &Value) -> Result<FunctionConfig, Error> {
        let path = format!("/api/v2/integrations/actions/{}/draft/function", enc(id));
        self.json(Req::new(Method::PUT, path, Idempotency::Safe).body(function)).await
    }

    /// `POST /actions/{id}/draft/function/upload`: a URL to PUT the zip to.
    pub async fn request_function_upload(
        &self,
        id: &str,
        file_name: &str,
        signed_url_timeout_seconds: i64,
    ) -> Result<FunctionUpload, Error> {
        let path = format!("/api/v2/integrations/actions/{}/draft/function/upload", enc(id));
        let body = json!({"fileName": file_name, "signedUrlTimeoutSeconds": signed_url_timeout_seconds});
        let mut r = Req::new(Method::POST, path, Idempotency::Safe).body(&body);
        // The answer holds a presigned URL.
        r.sensitive = true;
        self.json(r).await
    }

    /// PUTs the zip to the upload URL with every header it came with (and
    /// `Content-Type: application/zip` unless one was given). Retried once on a dropped
    /// connection (a PUT of the same bytes is idempotent).
    pub async fn upload_function_zip(
        &self,
        upload: &FunctionUpload,
        zip: Vec<u8>,
    ) -> Result<(), FunctionError> {
        let shown = shown_url(&upload.url);
        let mut last = String::new();
        for _ in 0..2 {
            let mut b = self.http.put(&upload.url).timeout(Duration::from_secs(300)).body(zip.clone());
            let mut has_type = false;
            for (k, v) in &upload.headers {
                has_type |= k.eq_ignore_ascii_case("content-type");
                b = b.header(k.as_str(), v.as_str());
            }
            if !has_type {
                b = b.header("content-type", "application/zip");
            }
            match b.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if (200..300).contains(&status) {
                        return Ok(());
                    }
                    // The refusal's text is only shown; unreadable, the status alone says it.
                    let text = resp.text().await.unwrap_or_default();
                    return Err(FunctionError::Upload {
                        url: shown,
                        status,
                        message: text.trim().chars().take(500).collect(),
                    });
                }
                Err(e) => last = e.to_string().replace(&upload.url, &shown),
            }
        }
        Err(FunctionError::Api(Error::Transport { method: "PUT".into(), path: shown, message: last }))
    }

    /// Polls the draft's function until its zip is `Available` (at most `max_wait`, every
    /// `poll`), reporting each status seen to `progress`. A failed status is an error at once.
    pub async fn wait_function_zip(
        &self,
        id: &str,
        max_wait: Duration,
        poll: Duration,
        progress: impl Fn(&str),
    ) -> Result<FunctionConfig, FunctionError> {
        let started = Instant::now();
        let mut last_seen = String::new();
        loop {
            let cfg = self.get_draft_function(id).await?;
            let status = cfg.zip_status().unwrap_or("none").to_string();
            if status != last_seen {
                progress(&status);
                last_seen.clone_from(&status);
            }
            if status == "Available" {
                return Ok(cfg);
            }
            if FAILED_ZIP_STATUSES.contains(&status.as_str()) {
                let message =
                    cfg.zip.and_then(|z| z.error_message).unwrap_or_else(|| "no reason given".into());
                return Err(FunctionError::ZipFailed { action: id.to_string(), status, message });
            }
            if started.elapsed() >= max_wait {
                return Err(FunctionError::WaitTimeout {
                    action: id.to_string(),
                    status,
                    waited_s: started.elapsed().as_secs(),
                });
            }
            tokio::time::sleep(poll.min(max_wait.saturating_sub(started.elapsed()))).await;
        }
    }

    /// The whole code upload of a draft: request a URL, PUT the zip, wait for `Available`.
    pub async fn upload_function_code(
        &self,
        id: &str,
        file_name: &str,
        zip: Vec<u8>,
        max_wait: Duration,
        progress: impl Fn(&str),
    ) -> Result<FunctionConfig, FunctionError> {
        let upload = self.request_function_upload(id, file_name, 900).await?;
        self.upload_function_zip(&upload, zip).await?;
        self.wait_function_zip(id, max_wait, Duration::from_millis(250), progress).await
    }
}
