//! Where a state lives: the one location syntax of `--state`, `GCSYNC_STATE` and `state:`.
//!
//! Owns: parsing a location (a path, or an `s3://`, `gs://`, `az://`, `https://` or
//! loopback `http://` URL) into a [`Location`], the HTTP backend's settings taken from
//! `GCSYNC_HTTP_*` variables, and [`redact`] (a location as it may be printed). URLs are
//! parsed with reqwest's own `Url`, the parser of the client that connects, so what is
//! checked here (loopback, no credentials) is what is connected to.
//! Must not: connect, read credentials' values, or print.

use reqwest::Url;
use std::fmt;
use std::path::PathBuf;

/// The URL schemes a state location may have.
pub const SCHEMES: &str = "s3://BUCKET/KEY, gs://BUCKET/KEY, az://CONTAINER/KEY, https://HOST/PATH (http:// only to 127.0.0.1 or [::1])";

/// Where a state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A local file.
    Local(PathBuf),
    /// An S3 (or S3-compatible) object.
    S3 {
        /// Bucket.
        bucket: String,
        /// Object key.
        key: String,
    },
    /// A Google Cloud Storage object.
    Gcs {
        /// Bucket.
        bucket: String,
        /// Object name.
        key: String,
    },
    /// An Azure blob.
    Azure {
        /// Container.
        container: String,
        /// Blob name.
        key: String,
    },
    /// Terraform's HTTP backend protocol (GitLab-managed state).
    Http(Box<HttpLocation>),
}

/// The HTTP backend's addresses and methods (Terraform's `backend "http"` settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLocation {
    /// The state (`address`).
    pub url: Url,
    /// Where to lock (`lock_address`; default `<url>/lock`).
    pub lock_url: Url,
    /// Where to unlock (`unlock_address`; default the lock address).
    pub unlock_url: Url,
    /// Method that writes the state (`update_method`; default `POST`).
    pub update_method: String,
    /// Method that locks (`lock_method`; default `POST` for a GitLab state URL, else
    /// Terraform's `LOCK`).
    pub lock_method: String,
    /// Method that unlocks (`unlock_method`; default `DELETE` for a GitLab state URL, else
    /// Terraform's `UNLOCK`).
    pub unlock_method: String,
}

/// A location that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid state location `{shown}`: {reason}")]
pub struct ParseError {
    /// The location as given, credentials and query removed.
    pub shown: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            Location::Gcs { bucket, key } => write!(f, "gs://{bucket}/{key}"),
            Location::Azure { container, key } => write!(f, "az://{container}/{key}"),
            // Parsing refused credentials and queries, so the URL is safe to show; `redact`
            // anyway, so that a location built by hand never shows one either.
            Location::Http(h) => f.write_str(&redact(h.url.as_str())),
        }
    }
}

impl Location {
    /// Parses a location, taking the HTTP backend's settings from the process environment.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Self::parse_with(input, &|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Parses a location, taking the HTTP backend's settings from `env`.
    pub fn parse_with(input: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ParseError> {
        let err = |reason: String| ParseError { shown: redact(input), reason };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(err("the location is empty".into()));
        }
        let Some((scheme, _)) = trimmed.split_once("://") else {
            return Ok(Location::Local(PathBuf::from(input)));
        };
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "s3" | "gs" | "az" | "http" | "https") {
            return Err(err(format!(
                "unknown scheme `{scheme}://`; a state location is a file path or one of {SCHEMES}"
            )));
        }
        let url = Url::parse(trimmed).map_err(|e| err(format!("not a valid URL: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(err(match scheme.as_str() {
                "http" | "https" => "credentials in the URL are refused (they would show in logs and plans); set GCSYNC_HTTP_USERNAME and GCSYNC_HTTP_PASSWORD (or CI_JOB_TOKEN) instead".into(),
                _ => "credentials in the URL are refused (they would show in logs and plans); use the store's environment variables (README \"Remote state\")".into(),
            }));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(err(
                "a query or fragment is refused (it may carry a token that would show in logs and plans); give the bare URL and credentials in environment variables".into(),
            ));
        }
        match scheme.as_str() {
            "http" | "https" => http_location(url, env).map(|h| Location::Http(Box::new(h))).map_err(err),
            _ => {
                // No host: the empty bucket is refused just below, naming the form.
                let bucket = url.host_str().unwrap_or_default().to_string();
                if bucket.is_empty() {
                    let what = if scheme == "az" { "container" } else { "bucket" };
                    return Err(err(format!("no {what}; write {scheme}://{}/KEY", what.to_uppercase())));
                }
                if url.port().is_some() {
                    return Err(err(format!(
                        "a port is not part of a {scheme}:// location; set the endpoint in the store's environment variables (README \"Remote state\")"
                    )));
                }
                let raw_key = url.path().trim_start_matches('/');
                let key = percent_encoding::percent_decode_str(raw_key)
                    .decode_utf8()
                    .map_err(|_| err("the key is not UTF-8 once percent-decoded".into()))?
                    .into_owned();
                if key.is_empty() || key.ends_with('/') {
                    return Err(err(format!("no object key; write {scheme}://{bucket}/path/to/state.json")));
                }
                // The parser resolves `a/../b` to `b`: check the key as written, too.
                let written =
                    trimmed.split_once("://").and_then(|(_, r)| r.split_once('/')).map_or("", |(_, p)| p);
                if key
                    .split('/')
                    .chain(written.split('/'))
                    .any(|seg| seg.is_empty() || seg == "." || seg == "..")
                {
                    return Err(err("the key has an empty, `.` or `..` segment".into()));
                }
                Ok(match scheme.as_str() {
                    "s3" => Location::S3 { bucket, key },
                    "gs" => Location::Gcs { bucket, key },
                    _ => Location::Azure { container: bucket, key },
                })
            }
        }
    }

    /// Whether this is a local file.
    #[must_use]
    pub fn is_local(&self) -> bool {
        matches!(self, Location::Local(_))
    }
}

/// The GitLab-managed state path (`/api/v4/projects/ID/terraform/state/NAME`).
fn is_gitlab_state(url: &Url) -> bool {
    // A URL without a path (cannot be a base) is not GitLab's state path.
    let segs: Vec<&str> = url.path_segments().map(Iterator::collect).unwrap_or_default();
    segs.len() >= 7
        && segs[segs.len() - 7..segs.len() - 4] == ["api", "v4", "projects"]
        && segs[segs.len() - 3..segs.len() - 1] == ["terraform", "state"]
}

fn http_location(url: Url, env: &dyn Fn(&str) -> Option<String>) -> Result<HttpLocation, String> {
    // The one URL rule of gcsync (host, no credentials, http:// only to loopback).
    crate::remote::config::check_parsed_url(&url).map_err(|p| p.to_string())?;
    let other = |var: &str| -> Result<Option<Url>, String> {
        let Some(v) = env(var) else { return Ok(None) };
        match Location::parse_with(&v, &|_| None) {
            Ok(Location::Http(h)) => Ok(Some(h.url)),
            Ok(_) => Err(format!("{var} must be an http(s) URL, like the state location")),
            Err(e) => Err(format!("{var}: {}", e.reason)),
        }
    };
    let method = |var: &str, default: &str| -> Result<String, String> {
        let m = env(var).unwrap_or_else(|| default.to_string());
        if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!("{var} `{m}` is not an HTTP method"));
        }
        Ok(m.to_ascii_uppercase())
    };
    let lock_url = match other("GCSYNC_HTTP_LOCK_ADDRESS")? {
        Some(u) => u,
        None => {
            let mut u = url.clone();
            let path = format!("{}/lock", url.path().trim_end_matches('/'));
            u.set_path(&path);
            u
        }
    };
    let unlock_url = other("GCSYNC_HTTP_UNLOCK_ADDRESS")?.unwrap_or_else(|| lock_url.clone());
    let gitlab = is_gitlab_state(&url);
    Ok(HttpLocation {
        update_method: method("GCSYNC_HTTP_UPDATE_METHOD", "POST")?,
        lock_method: method("GCSYNC_HTTP_LOCK_METHOD", if gitlab { "POST" } else { "LOCK" })?,
        unlock_method: method("GCSYNC_HTTP_UNLOCK_METHOD", if gitlab { "DELETE" } else { "UNLOCK" })?,
        url,
        lock_url,
        unlock_url,
    })
}

/// A location as it may be printed: user info and query replaced by `***`, whether or not
/// the text parses.
#[must_use]
pub fn redact(input: &str) -> String {
    let Some((scheme, rest)) = input.split_once("://") else {
        return input.to_string();
    };
    let (before_query, had_query) = match rest.find(['?', '#']) {
        Some(i) => (&rest[..i], true),
        None => (rest, false),
    };
    let (authority, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], &before_query[i..]),
        None => (before_query, ""),
    };
    let authority = match authority.rfind('@') {
        Some(i) => format!("***@{}", &authority[i + 1..]),
        None => authority.to_string(),
    };
    format!("{scheme}://{authority}{path}{}", if had_query { "?***" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Location, ParseError> {
        Location::parse_with(s, &|_| None)
    }

    #[test]
    fn paths_and_object_store_urls() {
        assert_eq!(parse("state/dev.state.json").unwrap(), Location::Local("state/dev.state.json".into()));
        assert_eq!(parse("C:\\s\\x.json").unwrap(), Location::Local("C:\\s\\x.json".into()));
        assert_eq!(
            parse("s3://my-bucket/gcsync/prod.state.json").unwrap(),
            Location::S3 { bucket: "my-bucket".into(), key: "gcsync/prod.state.json".into() }
        );
        assert_eq!(
            parse("S3://b/a%20b.json").unwrap(),
            Location::S3 { bucket: "b".into(), key: "a b.json".into() }
        );
        assert_eq!(parse("gs://b/k").unwrap(), Location::Gcs { bucket: "b".into(), key: "k".into() });
        assert_eq!(
            parse("az://c/d/k").unwrap(),
            Location::Azure { container: "c".into(), key: "d/k".into() }
        );
        assert_eq!(parse("gs://b/k").unwrap().to_string(), "gs://b/k");
    }

    #[test]
    fn bad_locations_say_why_and_never_show_secrets() {
        let cases = [
            ("ftp://h/x", "unknown scheme `ftp://`"),
            ("s3:///key", "no bucket; write s3://BUCKET/KEY"),
            ("az:///key", "no container; write az://CONTAINER/KEY"),
            ("s3://bucket", "no object key"),
            ("s3://bucket/dir/", "no object key"),
            ("s3://bucket/a/../b", "`..` segment"),
            ("s3://b:9000/k", "a port is not part"),
            ("s3://AKIA:s3cr3t@b/k", "credentials in the URL are refused"),
            ("https://user:s3cr3t@gitlab.example.com/x", "GCSYNC_HTTP_PASSWORD"),
            ("https://gitlab.example.com/x?private_token=s3cr3t", "a query or fragment is refused"),
            ("az://c/k?sig=s3cr3t", "a query or fragment is refused"),
            ("http://gitlab.example.com/state", "only allowed to a loopback address"),
            ("http://localhost:8080/state", "only allowed to a loopback address"),
            ("http://127.0.0.1.example.com/state", "only allowed to a loopback address"),
            ("", "empty"),
        ];
        for (input, want) in cases {
            let e = parse(input).unwrap_err().to_string();
            assert!(e.contains(want), "{input}: {e}");
            assert!(!e.contains("s3cr3t"), "{input}: {e}");
        }
    }

    #[test]
    fn http_defaults_follow_terraform_and_gitlab() {
        let Location::Http(h) = parse("http://127.0.0.1:8080/state/prod/").unwrap() else { panic!() };
        assert_eq!(h.lock_url.as_str(), "http://127.0.0.1:8080/state/prod/lock");
        assert_eq!(h.unlock_url, h.lock_url);
        assert_eq!(
            (h.update_method.as_str(), h.lock_method.as_str(), h.unlock_method.as_str()),
            ("POST", "LOCK", "UNLOCK")
        );
        assert!(parse("http://[::1]:1/s").is_ok());
        assert!(parse("http://0x7f.1/s").is_ok(), "reqwest's Url reads this as 127.0.0.1");

        let Location::Http(g) =
            parse("https://gitlab.example.com/api/v4/projects/42/terraform/state/prod").unwrap()
        else {
            panic!()
        };
        assert_eq!((g.lock_method.as_str(), g.unlock_method.as_str()), ("POST", "DELETE"));
        assert_eq!(
            g.lock_url.as_str(),
            "https://gitlab.example.com/api/v4/projects/42/terraform/state/prod/lock"
        );

        let env = |k: &str| match k {
            "GCSYNC_HTTP_LOCK_METHOD" => Some("put".to_string()),
            "GCSYNC_HTTP_UNLOCK_ADDRESS" => Some("https://h.example.com/unlock".to_string()),
            _ => None,
        };
        let Location::Http(c) = Location::parse_with("https://h.example.com/s", &env).unwrap() else {
            panic!()
        };
        assert_eq!(c.lock_method, "PUT");
        assert_eq!(c.unlock_url.as_str(), "https://h.example.com/unlock");
        let bad = |k: &str| (k == "GCSYNC_HTTP_LOCK_ADDRESS").then(|| "http://example.com/l".to_string());
        let e = Location::parse_with("https://h.example.com/s", &bad).unwrap_err().to_string();
        assert!(e.contains("GCSYNC_HTTP_LOCK_ADDRESS: plain http://"), "{e}");
    }

    #[test]
    fn redaction() {
        assert_eq!(redact("https://u:p@h.example.com/a?t=1"), "https://***@h.example.com/a?***");
        assert_eq!(redact("s3://b/k"), "s3://b/k");
        assert_eq!(redact("not a url"), "not a url");
        assert_eq!(redact("x://a:b@c"), "x://***@c");
    }
}
