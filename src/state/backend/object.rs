//! The object-store backend (S3, GCS, Azure) through the `object_store` crate.
//!
//! Owns: building each store from its standard variables (`AWS_*`, `GOOGLE_*`,
//! `AZURE_*`) with short retries (a wrong endpoint fails in seconds, not minutes),
//! conditional writes (`PutMode::Create` when no state was read, `PutMode::Update` with the
//! ETag/generation read otherwise: S3 `If-None-Match: *` / `If-Match`, GCS generation
//! preconditions, Azure `If-None-Match` / `If-Match`), the lock object `<key>.lock`
//! (created with a create-only put; released by read, compare id, delete — object stores
//! have no conditional delete), and the mapping of store errors to [`Error`].
//! Must not: parse the state's content beyond [`check_state`], or print.

use super::{Backend, Error, Location, LockInfo, Version, check_state, snippet};
use bytes::Bytes;
use object_store::path::Path;
use object_store::{
    ClientConfigKey, ObjectStore, ObjectStoreExt as _, PutMode, PutOptions, PutPayload, RetryConfig,
    UpdateVersion,
};
use std::sync::Arc;
use std::time::Duration;

/// A state object.
#[derive(Debug)]
pub struct ObjectBackend {
    location: Location,
    store: Arc<dyn ObjectStore>,
    /// `s3://bucket/` (how aside objects and the lock are shown).
    prefix: String,
    key: Path,
    lock_key: Path,
}

/// Retries: a few quick ones (a transient 5xx, a dropped connection), bounded so an
/// unreachable endpoint is an error in seconds.
fn retry() -> RetryConfig {
    RetryConfig {
        backoff: object_store::BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 2,
        retry_timeout: Duration::from_secs(15),
    }
}

/// Whether `url` is `http://` to a loopback address (plain HTTP is allowed there only).
fn http_loopback(url: &str) -> bool {
    url.to_ascii_lowercase().starts_with("http://")
        && matches!(super::Location::parse_with(url, &|_| None), Ok(Location::Http(_)))
}

impl ObjectBackend {
    /// A backend over an existing store (tests use `object_store`'s in-memory store).
    pub fn new(location: Location, store: Arc<dyn ObjectStore>) -> Result<Self, Error> {
        let (prefix, key) = match &location {
            Location::S3 { bucket, key } => (format!("s3://{bucket}/"), key),
            Location::Gcs { bucket, key } => (format!("gs://{bucket}/"), key),
            Location::Azure { container, key } => (format!("az://{container}/"), key),
            other => {
                return Err(Error::Config {
                    location: other.to_string(),
                    reason: "not an object-store location (this is a bug in gcsync)".into(),
                });
            }
        };
        let parse = |k: &str| {
            Path::parse(k).map_err(|e| Error::Config {
                location: location.to_string(),
                reason: format!("the key is not a valid object name: {e}"),
            })
        };
        let key_path = parse(key)?;
        let lock_key = parse(&format!("{key}.lock"))?;
        Ok(Self { prefix, key: key_path, lock_key, store, location })
    }

    /// A backend whose store is configured from `vars` (the process environment, or a
    /// test's).
    pub fn from_env(location: Location, vars: &[(String, String)]) -> Result<Self, Error> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config_err =
            |e: object_store::Error| Error::Config { location: location.to_string(), reason: e.to_string() };
        let prefixed = |p: &'static str| vars.iter().filter(move |(k, _)| k.starts_with(p));
        let store: Arc<dyn ObjectStore> = match &location {
            Location::S3 { bucket, .. } => {
                use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
                let mut b = AmazonS3Builder::new();
                for (k, v) in prefixed("AWS_") {
                    if let Ok(key) = k.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
                        b = b.with_config(key, v);
                        if matches!(key, AmazonS3ConfigKey::Endpoint) && http_loopback(v) {
                            b = b.with_allow_http(true);
                        }
                    }
                }
                let b = b
                    .with_bucket_name(bucket)
                    .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout), "5s")
                    .with_retry(retry());
                Arc::new(b.build().map_err(config_err)?)
            }
            Location::Gcs { bucket, .. } => {
                use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
                let mut b = GoogleCloudStorageBuilder::new();
                for (k, v) in prefixed("GOOGLE_") {
                    if let Ok(key) = k.to_ascii_lowercase().parse::<GoogleConfigKey>() {
                        b = b.with_config(key, v);
                    }
                }
                let b = b
                    .with_bucket_name(bucket)
                    .with_config(GoogleConfigKey::Client(ClientConfigKey::ConnectTimeout), "5s")
                    .with_retry(retry());
                Arc::new(b.build().map_err(config_err)?)
            }
            Location::Azure { container, .. } => {
                use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
                let mut b = MicrosoftAzureBuilder::new();
                for (k, v) in prefixed("AZURE_") {
                    if let Ok(key) = k.to_ascii_lowercase().parse::<AzureConfigKey>() {
                        b = b.with_config(key, v);
                        if matches!(key, AzureConfigKey::Endpoint) && http_loopback(v) {
                            b = b.with_allow_http(true);
                        }
                    }
                }
                let b = b
                    .with_container_name(container)
                    .with_config(AzureConfigKey::Client(ClientConfigKey::ConnectTimeout), "5s")
                    .with_retry(retry());
                Arc::new(b.build().map_err(config_err)?)
            }
            other => {
                return Err(Error::Config {
                    location: other.to_string(),
                    reason: "not an object-store location (this is a bug in gcsync)".into(),
                });
            }
        };
        Self::new(location, store)
    }

    fn shown(&self, key: &Path) -> String {
        format!("{}{key}", self.prefix)
    }

    fn container_word(&self) -> &'static str {
        if matches!(self.location, Location::Azure { .. }) { "container" } else { "bucket" }
    }

    /// A store error as ours, for operation `op`.
    fn map(&self, op: &'static str, e: object_store::Error) -> Error {
        let location = self.location.to_string();
        match e {
            object_store::Error::PermissionDenied { source, .. }
            | object_store::Error::Unauthenticated { source, .. } => {
                Error::Denied { location, detail: snippet(&source.to_string()) }
            }
            e if is_unreachable(&e) => Error::Unreachable { location, detail: snippet(&chain(&e)) },
            e => Error::Other { op, location, detail: snippet(&e.to_string()) },
        }
    }

    /// After a `NotFound`: is it the object, or the whole bucket/container that is missing?
    async fn missing_container(&self, e: object_store::Error) -> Error {
        let detail = snippet(&e.to_string());
        // Listing under the key itself is cheap (nothing is there) and fails on a missing bucket.
        // A listing never answers 404 but for a missing bucket; some stores' clients
        // report that 404 as `NotFound`, others (Azure) only in the error's text.
        match self.store.list_with_delimiter(Some(&self.key)).await {
            Err(e)
                if matches!(e, object_store::Error::NotFound { .. }) || {
                    let text = chain(&e);
                    ["404 Not Found", "NoSuchBucket", "ContainerNotFound"].iter().any(|m| text.contains(m))
                } =>
            {
                Error::NoContainer {
                    location: self.location.to_string(),
                    what: self.container_word(),
                    detail: snippet(&chain(&e)),
                }
            }
            Err(other) => self.map("read", other),
            Ok(_) => Error::Other { op: "write", location: self.location.to_string(), detail },
        }
    }

    async fn get(&self, key: &Path) -> Result<Option<(Bytes, Version)>, Error> {
        match self.store.get(key).await {
            Ok(r) => {
                let v = Version { e_tag: r.meta.e_tag.clone(), version: r.meta.version.clone() };
                let bytes = r.bytes().await.map_err(|e| self.map("read", e))?;
                Ok(Some((bytes, v)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.map("read", e)),
        }
    }

    /// Reads the lock object: `None` when there is none.
    async fn read_lock(&self) -> Result<Option<LockInfo>, Error> {
        let Some((bytes, _)) = self.get(&self.lock_key).await? else { return Ok(None) };
        serde_json::from_slice::<LockInfo>(&bytes).map(Some).map_err(|e| Error::BadLock {
            location: self.location.to_string(),
            lock: self.shown(&self.lock_key),
            reason: format!("not lock info JSON: {e}"),
        })
    }

    /// Deletes the lock if its id is `id`.
    async fn delete_lock(&self, id: &str) -> Result<(), Error> {
        match self.read_lock().await? {
            None => Err(Error::NotLocked { location: self.location.to_string() }),
            Some(info) if info.id != id => Err(Error::WrongLockId {
                location: self.location.to_string(),
                found: info.id,
                given: id.to_string(),
            }),
            Some(_) => self.store.delete(&self.lock_key).await.map_err(|e| self.map("unlock", e)),
        }
    }
}

/// The error and its sources, joined.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        src = s.source();
    }
    out
}

/// Whether a connection could not be made (refused, DNS, timeout).
fn is_unreachable(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(h) = err.downcast_ref::<object_store::client::HttpError>()
            && matches!(
                h.kind(),
                object_store::client::HttpErrorKind::Connect | object_store::client::HttpErrorKind::Timeout
            )
        {
            return true;
        }
        if let Some(r) = err.downcast_ref::<reqwest::Error>()
            && (r.is_connect() || r.is_timeout())
        {
            return true;
        }
        cur = err.source();
    }
    false
}

#[async_trait::async_trait]
impl Backend for ObjectBackend {
    fn location(&self) -> &Location {
        &self.location
    }

    async fn read(&self) -> Result<Option<(Bytes, Version)>, Error> {
        match self.store.get(&self.key).await {
            Ok(r) => {
                let v = Version { e_tag: r.meta.e_tag.clone(), version: r.meta.version.clone() };
                let bytes = r.bytes().await.map_err(|e| self.map("read", e))?;
                check_state(&self.location, &bytes)?;
                Ok(Some((bytes, v)))
            }
            // No state yet — unless the bucket itself is missing.
            Err(e @ object_store::Error::NotFound { .. }) => match self.missing_container(e).await {
                Error::Other { .. } => Ok(None),
                other => Err(other),
            },
            Err(e) => Err(self.map("read", e)),
        }
    }

    async fn write(&self, bytes: Bytes, expected: Option<&Version>) -> Result<Version, Error> {
        let mode = match expected {
            None => PutMode::Create,
            Some(v) => PutMode::Update(UpdateVersion { e_tag: v.e_tag.clone(), version: v.version.clone() }),
        };
        let opts = PutOptions { mode, ..PutOptions::default() };
        match self.store.put_opts(&self.key, PutPayload::from(bytes), opts).await {
            Ok(r) => Ok(Version { e_tag: r.e_tag, version: r.version }),
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                Err(Error::Conflict {
                    location: self.location.to_string(),
                    detail: match expected {
                        None => "a state appeared where there was none".into(),
                        Some(v) => format!("it is no longer {v}"),
                    },
                    saved_as: None,
                })
            }
            Err(e @ object_store::Error::NotFound { .. }) => Err(self.missing_container(e).await),
            Err(e) => Err(self.map("write", e)),
        }
    }

    async fn write_aside(&self, suffix: &str, bytes: Bytes) -> Result<String, Error> {
        let key = Path::parse(format!("{}.{suffix}", self.key)).map_err(|e| Error::Config {
            location: self.location.to_string(),
            reason: format!("`.{suffix}` makes an invalid object name: {e}"),
        })?;
        match self.store.put(&key, PutPayload::from(bytes)).await {
            Ok(_) => Ok(self.shown(&key)),
            Err(e @ object_store::Error::NotFound { .. }) => Err(self.missing_container(e).await),
            Err(e) => Err(self.map("write", e)),
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<(), Error> {
        let body = serde_json::to_vec_pretty(info).map_err(|e| Error::Other {
            op: "lock",
            location: self.location.to_string(),
            detail: e.to_string(),
        })?;
        // The holder may release between our failed create and our read: try again then.
        for _ in 0..3 {
            let opts = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
            match self.store.put_opts(&self.lock_key, PutPayload::from(body.clone()), opts).await {
                Ok(_) => return Ok(()),
                Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                    if let Some(holder) = self.read_lock().await? {
                        return Err(Error::Held {
                            location: self.location.to_string(),
                            holder: Some(Box::new(holder)),
                        });
                    }
                }
                Err(e @ object_store::Error::NotFound { .. }) => return Err(self.missing_container(e).await),
                Err(e) => return Err(self.map("lock", e)),
            }
        }
        Err(Error::Held { location: self.location.to_string(), holder: None })
    }

    async fn unlock(&self, id: &str) -> Result<(), Error> {
        self.delete_lock(id).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), Error> {
        self.delete_lock(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::state;
    use super::*;
    use object_store::memory::InMemory;

    fn gcs(store: &Arc<InMemory>) -> ObjectBackend {
        let loc = Location::Gcs { bucket: "b".into(), key: "gcsync/prod.state.json".into() };
        ObjectBackend::new(loc, store.clone()).unwrap()
    }

    #[tokio::test]
    async fn conditional_writes_on_the_in_memory_store() {
        let store = Arc::new(InMemory::new());
        let a = gcs(&store);
        let b = gcs(&store);
        assert!(a.read().await.unwrap().is_none());
        let v1 = a.write(state("L", 1), None).await.unwrap();
        // b also believed there was no state: refused.
        let e = b.write(state("M", 1), None).await.unwrap_err().to_string();
        assert!(e.contains("`gs://b/gcsync/prod.state.json` was changed by another writer"), "{e}");
        let (_, read) = b.read().await.unwrap().unwrap();
        assert_eq!(read, v1);
        let v2 = a.write(state("L", 2), Some(&v1)).await.unwrap();
        let e = super::super::save(&b, state("L", 2), Some(&read), 2).await.unwrap_err();
        assert!(
            matches!(&e, Error::Conflict { saved_as: Some(s), .. } if s == "gs://b/gcsync/prod.state.json.conflict-2"),
            "{e}"
        );
        assert_eq!(a.read().await.unwrap().unwrap().1, v2, "the other writer's state is kept");
        assert_eq!(
            b.get(&Path::from("gcsync/prod.state.json.conflict-2")).await.unwrap().unwrap().0,
            state("L", 2)
        );
    }

    #[tokio::test]
    async fn lock_object_create_only() {
        let store = Arc::new(InMemory::new());
        let a = gcs(&store);
        let b = gcs(&store);
        let ia = LockInfo::new("apply", a.location());
        a.lock(&ia).await.unwrap();
        let e = b.lock(&LockInfo::new("apply", b.location())).await.unwrap_err();
        assert!(matches!(&e, Error::Held { holder: Some(h), .. } if **h == ia), "{e}");
        assert!(matches!(b.force_unlock("x").await, Err(Error::WrongLockId { .. })));
        b.force_unlock(&ia.id).await.unwrap();
        assert!(matches!(a.unlock(&ia.id).await, Err(Error::NotLocked { .. })));
        b.lock(&LockInfo::new("apply", b.location())).await.unwrap();

        store
            .put(&Path::from("gcsync/prod.state.json.lock"), PutPayload::from_static(b"garbage"))
            .await
            .unwrap();
        let e = a.lock(&ia).await.unwrap_err().to_string();
        assert!(e.contains("the lock `gs://b/gcsync/prod.state.json.lock` of the state `gs://b/gcsync/prod.state.json` is not a gcsync/Terraform lock"), "{e}");
    }

    #[tokio::test]
    async fn a_foreign_object_is_refused() {
        let store = Arc::new(InMemory::new());
        store.put(&Path::from("gcsync/prod.state.json"), PutPayload::from_static(b"<html>")).await.unwrap();
        let e = gcs(&store).read().await.unwrap_err().to_string();
        assert!(e.starts_with("`gs://b/gcsync/prod.state.json` is not a gcsync state: not JSON"), "{e}");
    }
}
