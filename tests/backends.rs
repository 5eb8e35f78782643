//! State backends against real servers started here on free loopback ports: S3 on `moto`
//! (`.venv-backends`, installed by .ci/run), Azure on Azurite (`tests/azurite`, npm), the
//! Terraform HTTP backend on tests/support/http_backend.rs (GitLab's semantics; shown
//! faithful by pointing the real `terraform` binary at it), GCS on object_store's in-memory
//! store (no local GCS server honours preconditions) through the same `ObjectBackend`.
//! A missing tool fails the test when `CI` is set and skips it with a printed reason
//! otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, clippy::panic)]

#[path = "support/http_backend.rs"]
mod http_backend;

use bytes::Bytes;
use gcsync::state::backend::{
    self, Backend, Error, Location, LockInfo, Version, http::HttpBackend, object::ObjectBackend,
};
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

// ---------------------------------------------------------------- helpers

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// `path` if it exists; else a failure under CI, a printed skip otherwise.
fn tool(path: PathBuf, what: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    assert!(!ci(), "CI is set but {what} is missing at `{}` (.ci/run installs it)", path.display());
    eprintln!("SKIPPED: {what} is missing at `{}` (run .ci/run to install it)", path.display());
    None
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Kills the child when dropped, also when a test panics.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` and waits until a line of its output (stdout or stderr) contains `marker`
/// followed by `127.0.0.1:PORT`; returns the port. Output keeps being drained.
fn spawn_listening(mut cmd: Command, marker: &str) -> (ChildGuard, u16) {
    let mut child = ChildGuard(cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn"));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    for pipe in [
        child.0.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        child.0.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            if let Ok(Some(status)) = child.0.try_wait() {
                panic!("the server exited ({status}) before listening:\n{}", seen.join("\n"));
            }
            continue;
        };
        if let Some(rest) = line.find(marker).map(|i| &line[i + marker.len()..])
            && let Some(port) = rest.split("127.0.0.1:").nth(1)
        {
            let digits: String = port.chars().take_while(char::is_ascii_digit).collect();
            return (child, digits.parse().expect("port"));
        }
        seen.push(line);
    }
    panic!("the server did not say it listens within 60 s:\n{}", seen.join("\n"));
}

/// A minimal gcsync state (what `check_state` requires).
fn state(lineage: &str, serial: u64) -> Bytes {
    Bytes::from(format!(
        "{{\n  \"version\": 1,\n  \"gcsync_version\": \"0.1.0\",\n  \"serial\": {serial},\n  \"lineage\": \"{lineage}\",\n  \"actions\": {{}}\n}}\n"
    ))
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The behaviour every remote backend shares, on two clients `a` and `b` of one location:
/// compare-and-swap writes (a conflict keeps the other writer's state and saves ours
/// aside), the lock (held → the holder named; wrong id refused; `--lock-timeout` waits),
/// and a lock broken by hand mid-run still cannot make a stale write land.
async fn shared_behaviour(a: &dyn Backend, b: &dyn Backend, read_aside: impl AsyncRead) {
    let shown = a.location().to_string();
    assert!(a.read().await.unwrap().is_none(), "{shown}: no state yet");
    let v1 = a.write(state("L", 1), None).await.unwrap();
    let e = b.write(state("M", 1), None).await.unwrap_err();
    assert!(matches!(e, Error::Conflict { .. }), "{shown}: create-only refused: {e}");
    assert!(e.to_string().contains(&format!("`{shown}` was changed by another writer")), "{e}");
    let (bytes, v1b) = b.read().await.unwrap().unwrap();
    assert_eq!((&bytes, &v1b), (&state("L", 1), &v1), "{shown}");

    let v2 = a.write(state("L", 2), Some(&v1)).await.unwrap();
    assert_ne!(v1, v2);
    let e = backend::save(b, state("L", 2), Some(&v1b), 2).await.unwrap_err();
    let Error::Conflict { saved_as: Some(saved), .. } = &e else { panic!("{shown}: {e}") };
    assert!(saved.ends_with(".conflict-2"), "{saved}");
    assert_eq!(read_aside.read(saved).await, state("L", 2), "{shown}: our state is kept aside");
    assert_eq!(a.read().await.unwrap().unwrap(), (state("L", 2), v2.clone()), "{shown}: theirs is kept");

    // Locks.
    let ia = LockInfo::new("apply", a.location());
    let ib = LockInfo::new("apply", b.location());
    a.lock(&ia).await.unwrap();
    let e = b.lock(&ib).await.unwrap_err();
    let Error::Held { holder: Some(h), .. } = &e else { panic!("{shown}: {e}") };
    assert_eq!((h.id.as_str(), h.operation.as_str(), h.pid), (ia.id.as_str(), "apply", ia.pid), "{shown}");
    assert!(e.to_string().contains(&format!("`{shown}` is locked by `apply` by ")), "{e}");
    let start = Instant::now();
    let e = backend::lock_waiting(b, &ib, Duration::ZERO, &mut |_, _| panic!("no wait with timeout 0")).await;
    assert!(matches!(e, Err(Error::Held { .. })) && start.elapsed() < Duration::from_secs(5), "fails fast");
    assert!(matches!(b.force_unlock("not-the-id").await, Err(Error::WrongLockId { .. })), "{shown}");
    let v3 = a.write(state("L", 3), Some(&v2)).await.unwrap();

    // `--lock-timeout`: b waits while a finishes.
    let mut waits = 0;
    let mut on_wait = |holder: &LockInfo, _: Duration| {
        assert_eq!(holder.id, ia.id);
        waits += 1;
    };
    let (released, got) = tokio::join!(
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            a.unlock(&ia.id).await
        },
        backend::lock_waiting(b, &ib, Duration::from_secs(10), &mut on_wait)
    );
    released.unwrap();
    got.unwrap();
    assert!(waits >= 1, "{shown}: waited for the holder");

    // b's lock is broken by hand (force-unlock) while b runs; a takes the lock and writes.
    // b's write, based on what it read before, still cannot land.
    let (_, b_read) = b.read().await.unwrap().unwrap();
    assert_eq!(b_read, v3);
    a.force_unlock(&ib.id).await.unwrap();
    let ia2 = LockInfo::new("apply", a.location());
    a.lock(&ia2).await.unwrap();
    let v4 = a.write(state("L", 4), Some(&v3)).await.unwrap();
    let e = b.write(state("L", 4), Some(&b_read)).await.unwrap_err();
    assert!(matches!(e, Error::Conflict { .. }), "{shown}: {e}");
    a.unlock(&ia2.id).await.unwrap();
    assert_eq!(a.read().await.unwrap().unwrap(), (state("L", 4), v4), "{shown}");
    assert!(matches!(a.unlock(&ia2.id).await, Err(Error::NotLocked { .. }) | Ok(())), "{shown}");
}

/// Reads back what `write_aside` saved (where it says it saved it).
trait AsyncRead {
    async fn read(&self, shown: &str) -> Bytes;
}

type OpenBackend = dyn Fn(&str) -> Box<dyn Backend> + Send + Sync;

/// Aside copies of an object store: read through a backend opened on that key.
struct ObjectAside(Arc<OpenBackend>);

impl AsyncRead for ObjectAside {
    async fn read(&self, shown: &str) -> Bytes {
        // The aside copy is a state too: read it as one.
        let b = (self.0)(shown);
        b.read().await.unwrap().expect("aside copy exists").0
    }
}

/// Aside copies in local files.
struct FileAside;

impl AsyncRead for FileAside {
    async fn read(&self, shown: &str) -> Bytes {
        Bytes::from(std::fs::read(shown).unwrap())
    }
}

// ---------------------------------------------------------------- S3 (moto)

/// A raw client for moto (an Authorization header that moto accepts without checking).
struct MotoRaw(reqwest::Client);

impl MotoRaw {
    fn get(&self, url: String) -> reqwest::RequestBuilder {
        self.0.get(url).header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
        )
    }

    fn put(&self, url: String) -> reqwest::RequestBuilder {
        self.0.put(url).header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
        )
    }
}

fn s3_env(port: u16) -> Vec<(String, String)> {
    vars(&[
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", &format!("http://127.0.0.1:{port}")),
    ])
}

fn remote(url: &str, env: &[(String, String)]) -> Box<dyn Backend> {
    backend::open_with_env(&Location::parse_with(url, &|_| None).unwrap(), env).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_on_moto() {
    let Some(moto) = tool(repo().join(".venv-backends/bin/moto_server"), "moto (PyPI `moto[server]`)") else {
        return;
    };
    let mut cmd = Command::new(moto);
    cmd.args(["-H", "127.0.0.1", "-p", "0"]);
    let (_guard, port) = spawn_listening(cmd, "Running on http://");
    let endpoint = format!("http://127.0.0.1:{port}");
    // Raw requests: bucket creation is not gcsync's business, and the 412 checks below go
    // around object_store. moto refuses anonymous object writes but does not verify
    // signatures, so any SigV4-shaped Authorization header does.
    let http = MotoRaw(http_client());
    let r = http.put(format!("{endpoint}/gcsync-state")).send().await.unwrap();
    assert!(r.status().is_success(), "create bucket: {}", r.status());
    let env = s3_env(port);

    let key = "s3://gcsync-state/prod/gcsync.state.json";
    let (a, b) = (remote(key, &env), remote(key, &env));
    let env2 = env.clone();
    let aside = ObjectAside(Arc::new(move |shown: &str| remote(shown, &env2)));
    shared_behaviour(a.as_ref(), b.as_ref(), aside).await;

    // moto itself refused the create-only put (412): the conflicts above were the server's.
    let r = http
        .put(format!("{endpoint}/gcsync-state/prod/gcsync.state.json"))
        .header("if-none-match", "*")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 412, "moto honours If-None-Match: *");
    let r = http
        .put(format!("{endpoint}/gcsync-state/prod/gcsync.state.json"))
        .header("if-match", "\"not-the-etag\"")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 412, "moto honours If-Match");

    // A missing bucket: named, not taken for "no state yet".
    let e = remote("s3://no-such-bucket/k.json", &env).read().await.unwrap_err();
    assert!(matches!(e, Error::NoContainer { .. }), "{e}");
    assert!(e.to_string().starts_with("the bucket of `s3://no-such-bucket/k.json` does not exist"), "{e}");
    let e = remote("s3://no-such-bucket/k.json", &env)
        .lock(&LockInfo::new("apply", a.location()))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NoContainer { .. }), "{e}");

    // Garbage in the lock object.
    let g = remote("s3://gcsync-state/garbage.json", &env);
    g.write_aside("lock", Bytes::from_static(b"{not json")).await.unwrap();
    let e = g.lock(&LockInfo::new("apply", g.location())).await.unwrap_err().to_string();
    assert!(
        e.contains("the lock `s3://gcsync-state/garbage.json.lock` of the state `s3://gcsync-state/garbage.json` is not a gcsync/Terraform lock"),
        "{e}"
    );

    // A state object that is not gcsync's (a Terraform state).
    let r = http
        .put(format!("{endpoint}/gcsync-state/tf.tfstate"))
        .body(r#"{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"x","resources":[]}"#)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let e = remote("s3://gcsync-state/tf.tfstate", &env).read().await.unwrap_err().to_string();
    assert!(
        e.starts_with("`s3://gcsync-state/tf.tfstate` is not a gcsync state: it is a Terraform state"),
        "{e}"
    );

    // An unreachable endpoint: an error in seconds, naming the location.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let start = Instant::now();
    let e = remote(key, &s3_env(closed)).read().await.unwrap_err();
    assert!(matches!(e, Error::Unreachable { .. }), "{e}");
    assert!(e.to_string().starts_with(&format!("cannot reach the state `{key}`")), "{e}");
    assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());
    assert!(!e.to_string().contains("testing"), "no credential in the message: {e}");
}

// ---------------------------------------------------------------- Azure (Azurite)

/// Creates a container with a SharedKey-signed request (object_store does not create
/// containers; Azurite checks signatures).
async fn azurite_create_container(port: u16, container: &str) {
    use base64::Engine as _;
    use hmac::{KeyInit as _, Mac as _};
    let b64 = base64::engine::general_purpose::STANDARD;
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let version = "2021-08-06";
    let acct = "devstoreaccount1";
    let to_sign = format!(
        "PUT\n{}x-ms-date:{date}\nx-ms-version:{version}\n/{acct}/{acct}/{container}\nrestype:container",
        "\n".repeat(11)
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&b64.decode(AZURITE_KEY).unwrap()).unwrap();
    mac.update(to_sign.as_bytes());
    let sig = b64.encode(mac.finalize().into_bytes());
    let r = http_client()
        .put(format!("http://127.0.0.1:{port}/{acct}/{container}?restype=container"))
        .header("x-ms-date", date)
        .header("x-ms-version", version)
        .header("content-length", "0")
        .header("authorization", format!("SharedKey {acct}:{sig}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "create container: {}", r.text().await.unwrap_or_default());
}

fn azure_env(port: u16, key: &str) -> Vec<(String, String)> {
    vars(&[
        ("AZURE_STORAGE_ACCOUNT_NAME", "devstoreaccount1"),
        ("AZURE_STORAGE_ACCOUNT_KEY", key),
        ("AZURE_STORAGE_ENDPOINT", &format!("http://127.0.0.1:{port}/devstoreaccount1")),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_on_azurite() {
    let Some(azurite) =
        tool(repo().join("tests/azurite/node_modules/.bin/azurite-blob"), "Azurite (npm `azurite`)")
    else {
        return;
    };
    let mut cmd = Command::new(azurite);
    cmd.args([
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        "0",
        "--inMemoryPersistence",
        "--skipApiVersionCheck",
        "--loose",
        "--disableTelemetry",
        "--silent",
    ]);
    let (_guard, port) = spawn_listening(cmd, "successfully listens on http://");
    azurite_create_container(port, "gcsync").await;
    let env = azure_env(port, AZURITE_KEY);
    let key = "az://gcsync/prod/gcsync.state.json";
    let (a, b) = (remote(key, &env), remote(key, &env));
    let env2 = env.clone();
    let aside = ObjectAside(Arc::new(move |shown: &str| remote(shown, &env2)));
    shared_behaviour(a.as_ref(), b.as_ref(), aside).await;

    // Wrong credentials: refused by Azurite, named, the key never shown.
    let wrong = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==";
    let e = remote(key, &azure_env(port, wrong)).read().await.unwrap_err();
    assert!(matches!(e, Error::Denied { .. }), "{e}");
    let text = e.to_string();
    assert!(text.starts_with(&format!("access to the state `{key}` was refused")), "{text}");
    assert!(!text.contains(wrong) && !text.contains(AZURITE_KEY), "{text}");

    // A missing container.
    let e = remote("az://nope/k.json", &env).read().await.unwrap_err();
    assert!(e.to_string().starts_with("the container of `az://nope/k.json` does not exist"), "{e}");
}

// ---------------------------------------------------------------- GCS (in-memory store)

#[tokio::test]
async fn gcs_through_the_in_memory_store() {
    // No local GCS server honours preconditions; object_store's in-memory store does, and
    // `ObjectBackend` drives it exactly as it drives the GCS client.
    let store = Arc::new(object_store::memory::InMemory::new());
    let loc = |k: &str| Location::parse_with(k, &|_| None).unwrap();
    let key = "gs://gcsync-state/prod/gcsync.state.json";
    let a = ObjectBackend::new(loc(key), store.clone()).unwrap();
    let b = ObjectBackend::new(loc(key), store.clone()).unwrap();
    let s2 = store.clone();
    let aside = ObjectAside(Arc::new(move |shown: &str| {
        Box::new(ObjectBackend::new(loc(shown), s2.clone()).unwrap()) as Box<dyn Backend>
    }));
    shared_behaviour(&a, &b, aside).await;
}

// ---------------------------------------------------------------- local file

#[tokio::test]
async fn local_file_cas_and_os_lock() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("state/gcsync.state.json");
    let loc = Location::Local(p.clone());
    let a = backend::open_with_env(&loc, &[]).unwrap();
    let b = backend::open_with_env(&loc, &[]).unwrap();
    assert!(a.read().await.unwrap().is_none());
    let v1 = a.write(state("L", 1), None).await.unwrap();
    assert!(matches!(b.write(state("M", 1), None).await, Err(Error::Conflict { .. })));
    let v2 = a.write(state("L", 2), Some(&v1)).await.unwrap();
    let e = backend::save(b.as_ref(), state("L", 2), Some(&v1), 2).await.unwrap_err();
    let Error::Conflict { saved_as: Some(saved), .. } = &e else { panic!("{e}") };
    assert_eq!(FileAside.read(saved).await, state("L", 2));
    assert_eq!(a.read().await.unwrap().unwrap().1, v2);
    let ia = LockInfo::new("apply", &loc);
    a.lock(&ia).await.unwrap();
    let e = b.lock(&LockInfo::new("plan", &loc)).await.unwrap_err();
    assert!(e.to_string().contains(&format!("(lock id {})", ia.id)), "{e}");
    let e = b.force_unlock(&ia.id).await.unwrap_err();
    assert!(matches!(e, Error::LiveLock { .. }), "a live holder's OS lock cannot be broken: {e}");
    a.unlock(&ia.id).await.unwrap();
}

/// A process killed with SIGKILL while holding the local lock leaves no lock behind.
#[tokio::test]
async fn local_lock_dies_with_its_process() {
    let Some(python) =
        ["/usr/bin/python3", "/usr/local/bin/python3"].iter().map(PathBuf::from).find(|p| p.exists())
    else {
        assert!(!ci(), "CI is set but python3 is missing");
        eprintln!("SKIPPED: no python3 to hold a lock in another process");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.json");
    let lock = dir.path().join("s.json.lock");
    std::fs::write(&lock, "").unwrap();
    // Another process takes the same kind of OS lock (flock, as std's `File::try_lock` on
    // Linux) and is killed while holding it.
    let mut child = ChildGuard(
        Command::new(python)
            .args([
                "-c",
                "import fcntl,sys,time; f=open(sys.argv[1],'r+'); fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
            ])
            .arg(&lock)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "locked");
    let b = backend::open_with_env(&Location::Local(p.clone()), &[]).unwrap();
    assert!(matches!(b.lock(&LockInfo::new("apply", b.location())).await, Err(Error::Held { .. })));
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    b.lock(&LockInfo::new("apply", b.location())).await.unwrap();
}

// ---------------------------------------------------------------- Terraform HTTP backend

fn http_backend(url: &str, env: &[(String, String)], aside: &Path) -> HttpBackend {
    let Location::Http(h) =
        Location::parse_with(url, &|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap()
    else {
        panic!("not http")
    };
    HttpBackend::new(Location::Http(h.clone()), *h, env).unwrap().with_aside_dir(aside.to_path_buf())
}

fn gitlab_methods() -> Vec<(String, String)> {
    vars(&[("GCSYNC_HTTP_LOCK_METHOD", "POST"), ("GCSYNC_HTTP_UNLOCK_METHOD", "DELETE")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_backend_with_gitlab_semantics() {
    let server = http_backend::start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let env = gitlab_methods();
    let a = http_backend(&server.url("prod"), &env, dir.path());
    let b = http_backend(&server.url("prod"), &env, dir.path());
    shared_behaviour(&a, &b, FileAside).await;
    let entry = server.entry("prod");
    assert_eq!(entry.versions.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3, 4], "a version per serial");
    assert!(entry.write_ids.iter().any(Option::is_some), "writes under a lock carry ?ID");
    assert!(entry.lock.is_none());

    // While a holds the lock, a write without it is refused by the server itself (409):
    // b's CAS check passes (it read the latest), the lock is what stops it.
    let ia = LockInfo::new("apply", a.location());
    a.lock(&ia).await.unwrap();
    let (_, v) = b.read().await.unwrap().unwrap();
    let e = b.write(state("L", 5), Some(&v)).await.unwrap_err().to_string();
    assert!(
        e.contains("the server refused the write: the lock is held by `apply`") && e.contains(&ia.id),
        "{e}"
    );
    // Terraform's default methods against a GitLab server: a clear configuration error.
    let tf_default = http_backend(&server.url("prod"), &[], dir.path());
    let e = tf_default.lock(&ia).await.unwrap_err().to_string();
    assert!(e.contains("405") && e.contains("GCSYNC_HTTP_LOCK_METHOD"), "{e}");
    a.unlock(&ia.id).await.unwrap();

    // The server requires a serial, like GitLab (gcsync's state always has one).
    let r = http_client().post(server.url("prod")).body("{}").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 422);

    // A Terraform state at the address is refused by name.
    let r = http_client()
        .post(server.url("tf"))
        .body(r#"{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"x","resources":[]}"#)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let e = http_backend(&server.url("tf"), &env, dir.path()).read().await.unwrap_err().to_string();
    assert!(
        e.contains(&format!("`{}` is not a gcsync state: it is a Terraform state", server.url("tf"))),
        "{e}"
    );

    // Unreachable.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{closed}/state/x");
    let e = http_backend(&url, &env, dir.path()).read().await.unwrap_err();
    assert!(matches!(e, Error::Unreachable { .. }) && e.to_string().contains(&url), "{e}");
}

#[tokio::test]
async fn http_backend_basic_auth_and_ci_job_token() {
    let server = http_backend::start(Some(("gitlab-ci-token", "job-t0ken"))).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = gitlab_methods();
    // No credentials, then wrong ones: refused, named, the password never shown.
    let e = http_backend(&server.url("s"), &env, dir.path()).read().await.unwrap_err().to_string();
    assert!(e.contains("was refused") && e.contains("401") && e.contains("none is set"), "{e}");
    let mut wrong = env.clone();
    wrong.extend(vars(&[("GCSYNC_HTTP_USERNAME", "me"), ("GCSYNC_HTTP_PASSWORD", "hunter2-secret")]));
    let e = http_backend(&server.url("s"), &wrong, dir.path()).read().await.unwrap_err().to_string();
    assert!(e.contains("they were sent") && !e.contains("hunter2"), "{e}");
    let half = vars(&[("GCSYNC_HTTP_USERNAME", "me")]);
    let loc = Location::parse_with(&server.url("s"), &|_| None).unwrap();
    let e = backend::open_with_env(&loc, &half).unwrap_err().to_string();
    assert!(e.contains("set both GCSYNC_HTTP_USERNAME and GCSYNC_HTTP_PASSWORD"), "{e}");
    // CI_JOB_TOKEN is used with user gitlab-ci-token.
    env.extend(vars(&[("CI_JOB_TOKEN", "job-t0ken")]));
    let b = http_backend(&server.url("s"), &env, dir.path());
    assert!(!format!("{b:?}").contains("job-t0ken"), "Debug hides the token");
    b.write(state("L", 1), None).await.unwrap();
    assert_eq!(b.read().await.unwrap().unwrap().0, state("L", 1));
}

/// The test server is faithful: the real `terraform` (http backend, GitLab's methods)
/// initialises, applies, and is refused while a gcsync lock is held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_agrees_with_the_test_server() {
    // Issue 14 allows skipping this one cross-check when `terraform` is absent (it is not on
    // any package registry .ci/run can reach), so a missing terraform skips loudly, also under CI.
    let tf = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("terraform")).find(|p| p.is_file()))
        .unwrap_or(None);
    let Some(tf) = tf else {
        eprintln!("SKIPPED: the terraform cross-check of the HTTP test server: `terraform` is not on PATH");
        return;
    };
    let server = http_backend::start(Some(("tf-user", "tf-pass"))).await;
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("tf");
    std::fs::write(
        dir.path().join("main.tf"),
        format!(
            r#"terraform {{
  backend "http" {{
    address        = "{url}"
    lock_address   = "{url}/lock"
    unlock_address = "{url}/lock"
    lock_method    = "POST"
    unlock_method  = "DELETE"
    username       = "tf-user"
    password       = "tf-pass"
    retry_max      = 0
  }}
}}

resource "terraform_data" "x" {{
  input = "one"
}}
"#
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let tf = tf.clone();
        let dir = dir.path().to_path_buf();
        let args: Vec<String> = args.iter().map(ToString::to_string).collect();
        async move {
            tokio::task::spawn_blocking(move || {
                Command::new(tf)
                    .args(&args)
                    .current_dir(&dir)
                    .env("CHECKPOINT_DISABLE", "1")
                    .env("TF_IN_AUTOMATION", "1")
                    .env("TF_CLI_CONFIG_FILE", dir.join("none.tfrc"))
                    .env("TF_DATA_DIR", dir.join(".terraform"))
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    let text = |o: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    };
    let o = run(&["init", "-input=false", "-no-color"]).await;
    assert!(o.status.success(), "terraform init:\n{}", text(&o));
    let o = run(&["apply", "-auto-approve", "-input=false", "-no-color"]).await;
    assert!(o.status.success(), "terraform apply:\n{}", text(&o));
    let entry = server.entry("tf");
    let body: serde_json::Value =
        serde_json::from_slice(entry.body.as_ref().expect("terraform wrote its state")).unwrap();
    assert!(body["serial"].as_u64().is_some() && body["terraform_version"].is_string(), "{body}");
    assert!(
        entry.write_ids.iter().all(Option::is_some),
        "terraform wrote under its lock: {:?}",
        entry.write_ids
    );
    assert!(entry.lock.is_none(), "terraform unlocked");
    let log = server.inner.lock().unwrap().log.clone();
    assert!(
        log.contains(&"POST /state/tf/lock".to_string())
            && log.contains(&"DELETE /state/tf/lock".to_string()),
        "{log:?}"
    );

    // gcsync holds the lock: terraform's apply is refused, naming gcsync's lock.
    let env =
        [gitlab_methods(), vars(&[("GCSYNC_HTTP_USERNAME", "tf-user"), ("GCSYNC_HTTP_PASSWORD", "tf-pass")])]
            .concat();
    let g = http_backend(&url, &env, dir.path());
    let info = LockInfo::new("apply", g.location());
    g.lock(&info).await.unwrap();
    let o = run(&["apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s"]).await;
    let out = text(&o);
    assert!(!o.status.success(), "a second apply while locked must fail:\n{out}");
    assert!(out.contains("Error acquiring the state lock") && out.contains(&info.id), "{out}");
    // And gcsync, pointed at terraform's state, refuses it by name.
    let e = g.read().await.unwrap_err().to_string();
    assert!(e.contains("is not a gcsync state: it is a Terraform state"), "{e}");
    g.unlock(&info.id).await.unwrap();
    let o = run(&["apply", "-auto-approve", "-input=false", "-no-color"]).await;
    assert!(o.status.success(), "apply after unlock:\n{}", text(&o));
}

#[test]
fn versions_compare_by_etag() {
    assert_eq!(Version::of_bytes(b"a"), Version::of_bytes(b"a"));
    assert_ne!(Version::of_bytes(b"a"), Version::of_bytes(b"b"));
}

// ---------------------------------------------------------------- gcsync on a remote state

/// A project whose environment `prod` is a local org with its state at `state`.
fn project(state: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("environments")).unwrap();
    std::fs::write(
        dir.path().join("environments/prod.yaml"),
        format!("target:\n  local: true\nstate: {state}\n"),
    )
    .unwrap();
    let manifests = dir.path().join("manifests");
    std::fs::create_dir_all(&manifests).unwrap();
    for f in ["profile-api.yaml", "fetch-user-profile.yaml"] {
        std::fs::copy(repo().join("manifests").join(f), manifests.join(f)).unwrap();
    }
    dir
}

fn gcsync(dir: &Path, env: &[(String, String)], args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gcsync"));
    c.current_dir(dir).args(args).env_remove("GCSYNC_STATE").env("NO_COLOR", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(mut c: Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// moto on a free port with the bucket `gcsync-state`, or `None` (a printed skip; a failure
/// under CI) when moto is not installed.
async fn moto_with_bucket() -> Option<(ChildGuard, u16, MotoRaw)> {
    let moto = tool(repo().join(".venv-backends/bin/moto_server"), "moto (PyPI `moto[server]`)")?;
    let mut cmd = Command::new(moto);
    cmd.args(["-H", "127.0.0.1", "-p", "0"]);
    let (guard, port) = spawn_listening(cmd, "Running on http://");
    let http = MotoRaw(http_client());
    let r = http.put(format!("http://127.0.0.1:{port}/gcsync-state")).send().await.unwrap();
    assert!(r.status().is_success(), "create bucket: {}", r.status());
    Some((guard, port, http))
}

// `state: s3://…` in an environment file: apply, plan, the lock (fail fast, wait, force-unlock),
// pull/push for a migration, all against moto.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcsync_on_an_s3_state() {
    let Some((_guard, port, _)) = moto_with_bucket().await else { return };
    let env = s3_env(port);
    let key = "s3://gcsync-state/prod/gcsync.state.json";
    let dir = project(key);
    let p = dir.path();

    let (code, out, err) = run(gcsync(p, &env, &["--env", "prod", "apply", "--auto-approve"]));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Apply complete: 2 added"), "{out}");
    let (bytes, _) = remote(key, &env).read().await.unwrap().expect("the state is in the bucket");
    let stored: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(stored["actions"]["FetchUserProfile"]["id"].is_string(), "{stored}");
    assert!(!p.join("state/prod.state.json").exists(), "no local state file");
    let (code, out, err) = run(gcsync(p, &env, &["--env", "prod", "plan", "--detailed-exitcode"]));
    assert_eq!(code, 0, "no changes: {out}\n{err}");

    // Another run holds the lock: fail fast, naming it and the way out.
    let other = remote(key, &env);
    let info = LockInfo::new("apply", other.location());
    other.lock(&info).await.unwrap();
    let (code, out, err) = run(gcsync(p, &env, &["--env", "prod", "apply", "--auto-approve"]));
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains(&format!("the state `{key}` is locked by `apply`")), "{err}");
    assert!(err.contains(&format!("force-unlock --state {key} {}", info.id)), "{err}");
    // `--lock-timeout` waits for it.
    let waiting = gcsync(p, &env, &["--env", "prod", "plan", "--lock-timeout", "30s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    other.unlock(&info.id).await.unwrap();
    let out = waiting.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("waiting"), "the wait is said: {err}");
    // A lock left behind goes with `force-unlock`.
    let info = LockInfo::new("apply", other.location());
    other.lock(&info).await.unwrap();
    let (code, _, err) = run(gcsync(p, &env, &["--env", "prod", "force-unlock", &info.id]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(gcsync(p, &env, &["--env", "prod", "plan", "--detailed-exitcode"]));
    assert_eq!(code, 0, "the lock is free again: {out}\n{err}");

    // Migration: pull, push elsewhere, plan against the copy; a second push is refused.
    let (code, pulled, err) = run(gcsync(p, &env, &["--env", "prod", "state", "pull"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(pulled.as_bytes(), &remote(key, &env).read().await.unwrap().unwrap().0[..]);
    std::fs::write(p.join("pulled.json"), &pulled).unwrap();
    let copy = "s3://gcsync-state/copy.json";
    let (code, _, err) =
        run(gcsync(p, &env, &["--env", "prod", "state", "push", "pulled.json", "--state", copy]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) =
        run(gcsync(p, &env, &["--env", "prod", "plan", "--state", copy, "--detailed-exitcode"]));
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, _, err) =
        run(gcsync(p, &env, &["--env", "prod", "state", "push", "pulled.json", "--state", copy]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("not newer than the serial"), "{err}");

    // Bad locations: named, exit 1, nothing written.
    let (code, _, err) = run(gcsync(p, &env, &["--env", "prod", "plan", "--state", "ftp://x/y.json"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ftp"), "{err}");
    let (code, _, err) =
        run(gcsync(p, &env, &["--env", "prod", "plan", "--state", "s3://no-such-bucket/s.json"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the bucket of `s3://no-such-bucket/s.json` does not exist"), "{err}");
    assert!(!err.contains("testing"), "no credential shown: {err}");
}

fn action_yaml(name: &str) -> String {
    format!(
        "kind: DataAction\nname: {name}\nintegration: Profile API\ntimeoutSeconds: 10\nrequest:\n  method: GET\n  url: https://api.example.com/users/$esc.url(${{input.userId}})\ninputs:\n  userId: {{type: string, required: true}}\noutputs:\n  fullName:\n    type: string\n    from: $.name\n"
    )
}

/// Starts an emulator (creates slowed down by `latency_ms`) on this runtime.
async fn slow_org(latency_ms: u64) -> gcsync::emulator::Running {
    gcsync::emulator::start(gcsync::emulator::Config {
        seed_integrations: vec![("Profile API".into(), "custom-rest-actions".into())],
        faults: vec![
            gcsync::emulator::faults::FaultSpec::parse(&format!(
                "latency ms={latency_ms} method=POST path=/api/v2/integrations/actions"
            ))
            .unwrap(),
        ],
        ..gcsync::emulator::Config::default()
    })
    .await
    .unwrap()
}

async fn org_actions(org: &gcsync::emulator::Running) -> Vec<String> {
    let target = gcsync::remote::config::Target {
        api_base: org.url.clone(),
        login_base: org.url.clone(),
        client_id: org.client_id.clone(),
        client_secret: gcsync::remote::Secret::new(org.client_secret.clone()),
    };
    let options = gcsync::remote::ClientOptions { rate_limit_per_minute: 0, ..Default::default() };
    let client = gcsync::remote::Client::new(target, options).unwrap();
    let mut names: Vec<String> = client.list_actions().await.unwrap().into_iter().map(|a| a.name).collect();
    names.sort();
    names
}

/// `gcsync ARGS` in `dir` against `org`, the state at `state` (async: the org runs on this
/// runtime).
fn gcsync_async(
    dir: &Path,
    org: &gcsync::emulator::Running,
    env: &[(String, String)],
    state: &str,
    args: &[&str],
) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_gcsync"));
    c.current_dir(dir)
        .args(args)
        .env("GCSYNC_STATE", state)
        .env("GENESYS_CLOUD_API_URL", &org.url)
        .env("GENESYS_CLOUD_CLIENT_ID", &org.client_id)
        .env("GENESYS_CLOUD_CLIENT_SECRET", &org.client_secret)
        .env("GCSYNC_RATE_LIMIT", "0")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

async fn finished(c: tokio::process::Child) -> (i32, String) {
    let out = c.wait_with_output().await.unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// The lock id in "… force-unlock --state LOCATION ID`".
fn lock_id_in(text: &str) -> String {
    let after = text.split("force-unlock --state ").nth(1).expect("a force-unlock hint");
    after.split('`').next().unwrap().split_whitespace().last().unwrap().to_string()
}

// Two applies at once on one S3 state: one wins, the other fails fast on the lock. An apply
// killed with SIGKILL at several moments converges when run again (after force-unlock):
// every action once, no duplicates, no orphans. A lock broken by hand mid-apply cannot make
// a stale write land: one of the two writers is refused, nothing is overwritten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_and_killed_applies_on_an_s3_state() {
    let Some((_guard, port, http)) = moto_with_bucket().await else { return };
    let env = s3_env(port);
    let key = "s3://gcsync-state/team.state.json";
    let org = slow_org(150).await;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("manifests")).unwrap();
    let write = |i: usize| {
        std::fs::write(p.join(format!("manifests/a{i:02}.yaml")), action_yaml(&format!("Action {i:02}")))
            .unwrap()
    };
    for i in 0..6 {
        write(i);
    }

    // Two at once.
    let a = gcsync_async(p, &org, &env, key, &["apply", "--auto-approve"]).spawn().unwrap();
    let b = gcsync_async(p, &org, &env, key, &["apply", "--auto-approve"]).spawn().unwrap();
    let (ra, rb) = tokio::join!(finished(a), finished(b));
    let mut codes = [ra.0, rb.0];
    codes.sort_unstable();
    assert_eq!(codes, [0, 1], "one wins, one fails:\n{}\n---\n{}", ra.1, rb.1);
    let loser = if ra.0 == 1 { &ra.1 } else { &rb.1 };
    assert!(loser.contains("is locked by `apply`"), "{loser}");
    assert_eq!(org_actions(&org).await.len(), 6);

    // SIGKILL at several moments of an apply of 6 more creates each time.
    let mut next = 6;
    for delay_ms in [300u64, 700, 1100] {
        for _ in 0..6 {
            write(next);
            next += 1;
        }
        let mut child = gcsync_async(p, &org, &env, key, &["apply", "--auto-approve"]).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        child.start_kill().unwrap();
        let _ = child.wait().await;
        // A killed process cannot unlock: the next run names the lock; force-unlock it.
        let (code, text) = finished(gcsync_async(p, &org, &env, key, &["plan"]).spawn().unwrap()).await;
        if code == 1 {
            assert!(text.contains("is locked by `apply`"), "{text}");
            let id = lock_id_in(&text);
            let (code, text) =
                finished(gcsync_async(p, &org, &env, key, &["force-unlock", &id]).spawn().unwrap()).await;
            assert_eq!(code, 0, "{text}");
        }
        let (code, text) =
            finished(gcsync_async(p, &org, &env, key, &["apply", "--auto-approve"]).spawn().unwrap()).await;
        assert_eq!(code, 0, "converges after a kill at {delay_ms} ms: {text}");
        let names = org_actions(&org).await;
        let unique: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(names.len(), next, "every action once: {names:?}");
        assert_eq!(unique.len(), names.len(), "no duplicates: {names:?}");
        let (code, text) =
            finished(gcsync_async(p, &org, &env, key, &["plan", "--detailed-exitcode"]).spawn().unwrap())
                .await;
        assert_eq!(code, 0, "nothing left to do, nothing orphaned: {text}");
    }

    // A lock broken by hand mid-apply (12 slow creates: ≈ 2 s): the other writer's state is
    // never overwritten.
    for _ in 0..12 {
        write(next);
        next += 1;
    }
    let a = gcsync_async(p, &org, &env, key, &["apply", "--auto-approve"]).spawn().unwrap();
    let lock_url = format!("http://127.0.0.1:{port}/gcsync-state/team.state.json.lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    let held: serde_json::Value = loop {
        let r = http.get(lock_url.clone()).send().await.unwrap();
        if r.status().is_success() {
            break r.json().await.unwrap();
        }
        assert!(Instant::now() < deadline, "apply never took the lock");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let id = held["ID"].as_str().expect("apply holds the lock").to_string();
    let (code, text) =
        finished(gcsync_async(p, &org, &env, key, &["force-unlock", &id]).spawn().unwrap()).await;
    assert_eq!(code, 0, "{text}");
    let b = gcsync_async(p, &org, &env, key, &["state", "rm", "Action 00"]).spawn().unwrap();
    let (ra, rb) = tokio::join!(finished(a), finished(b));
    let refused = [&ra, &rb]
        .into_iter()
        .filter(|(c, t)| *c == 1 && t.contains("was changed by another writer"))
        .count();
    assert_eq!(refused, 1, "exactly one writer is refused:\n{}\n---\n{}", ra.1, rb.1);
    let refused_text = if ra.0 == 1 { &ra.1 } else { &rb.1 };
    assert!(refused_text.contains("conflict-"), "our state is kept beside it: {refused_text}");
}

// GitLab-managed state through the binary: apply and plan with `--state https-like URL`
// (loopback http), Basic auth from `GCSYNC_HTTP_*`, a version per write, the lock released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcsync_on_a_gitlab_state() {
    let server = http_backend::start(Some(("gitlab-ci-token", "job-token-123"))).await;
    let org = slow_org(1).await;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("manifests")).unwrap();
    for i in 0..3 {
        std::fs::write(p.join(format!("manifests/a{i}.yaml")), action_yaml(&format!("Action {i}"))).unwrap();
    }
    let mut env = gitlab_methods();
    env.extend(vars(&[("CI_JOB_TOKEN", "job-token-123")]));
    let url = server.url("gcsync-prod");
    let (code, text) =
        finished(gcsync_async(p, &org, &env, &url, &["apply", "--auto-approve"]).spawn().unwrap()).await;
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("job-token-123"), "the token is never shown: {text}");
    let entry = server.entry("gcsync-prod");
    assert!(entry.lock.is_none(), "the lock was released");
    assert!(!entry.versions.is_empty(), "GitLab keeps a version per write");
    assert!(entry.write_ids.iter().all(Option::is_some), "every write carried the lock id");
    let (code, text) =
        finished(gcsync_async(p, &org, &env, &url, &["plan", "--detailed-exitcode"]).spawn().unwrap()).await;
    assert_eq!(code, 0, "{text}");
    // Wrong credentials: a clear error naming the location, nothing written.
    let bad = vars(&[
        ("GCSYNC_HTTP_LOCK_METHOD", "POST"),
        ("GCSYNC_HTTP_UNLOCK_METHOD", "DELETE"),
        ("CI_JOB_TOKEN", "wrong"),
    ]);
    let (code, text) = finished(gcsync_async(p, &org, &bad, &url, &["plan"]).spawn().unwrap()).await;
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&url) && !text.contains("wrong"), "{text}");
}
