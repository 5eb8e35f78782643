//! Environments: one set of manifests, several orgs (dev → test → prod).
//!
//! Owns: the environment file format (`environments/<name>.yaml`: the target org, the state
//! file path, `vars:` for `{{ var.NAME }}`), finding and listing environment files, reading
//! them with every problem located at file:line:column, and turning an environment's target
//! into the client's [`config::Target`] (fixed values from the file, or variables it names).
//!
//! ```yaml
//! target:                          # optional; default: the GENESYS_CLOUD_* variables
//!   region: eu_west_1              # or apiUrl: https://api.mypurecloud.ie (http:// only for loopback)
//!                                  # or regionVar/apiUrlVar: variables holding them (for CI)
//!                                  # or local: true (an embedded local org of its own)
//!   clientIdVar: DEV_GC_CLIENT_ID          # default GENESYS_CLOUD_CLIENT_ID
//!   clientSecretVar: DEV_GC_CLIENT_SECRET  # default GENESYS_CLOUD_CLIENT_SECRET
//! state: state/dev.state.json      # default state/<name>.state.json; or a URL (s3://, gs://, az://, https://)
//! vars:                            # values for {{ var.NAME }} in manifests
//!   profileApi: https://dev.profiles.example.com/users
//!   timeout: 10
//! ```
//!
//! Must not: substitute variables (that is `manifest::vars`), connect, read state or print.

use crate::diag::{Diagnostic, Diagnostics};
use crate::manifest::reader::{MapReader, Sink, Sp};
use crate::manifest::vars::{self, Vars};
use crate::remote::config::{self, EnvNames};
use crate::yaml::{self, Value};
use std::path::{Path, PathBuf};

/// Where environment files live unless `--environments-dir` / `GCSYNC_ENVIRONMENTS` say
/// otherwise.
pub const DEFAULT_DIR: &str = "environments";

const KEYS: [&str; 3] = ["target", "state", "vars"];
const TARGET_KEYS: [&str; 7] =
    ["region", "apiUrl", "regionVar", "apiUrlVar", "clientIdVar", "clientSecretVar", "local"];

/// One environment, read from its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// Its name (the file name without `.yaml`).
    pub name: String,
    /// The file.
    pub file: PathBuf,
    /// Which org.
    pub target: Target,
    /// The state file (default `state/<name>.state.json`).
    pub state: PathBuf,
    /// Values for `{{ var.NAME }}`.
    pub vars: Vars,
}

/// An environment's org.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// `local: true`: an embedded local org of its own, its data in this file.
    Local {
        /// The local org's data file (`state/<name>.local-org.json`).
        data: PathBuf,
    },
    /// A Genesys Cloud org (or an emulator on loopback).
    Remote(Remote),
}

/// A remote target: fixed values from the file, else the variables it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// Variable names (defaults: `GENESYS_CLOUD_*`).
    pub names: EnvNames,
    /// `region:` (a domain or key), fixed in the file.
    pub region: Option<String>,
    /// `apiUrl:`, fixed in the file.
    pub api_url: Option<String>,
}

impl Remote {
    /// The client target: the file's fixed region or API URL win over variables (which are
    /// then not read); credentials always come from the named variables (`get` looks one up).
    pub fn resolve(
        &self,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<config::Target, config::ConfigError> {
        let fixed = self.region.is_some() || self.api_url.is_some();
        config::from_env(&self.names, |k| {
            if fixed && k == self.names.api_url {
                return self.api_url.clone();
            }
            if fixed && k == self.names.region {
                return self.region.clone();
            }
            get(k)
        })
    }

    /// Where the org comes from, for messages (`region eu_west_1`, `$DEV_GC_API_URL`).
    #[must_use]
    pub fn describe(&self) -> String {
        match (&self.api_url, &self.region) {
            (Some(u), _) => format!("API URL `{u}`"),
            (None, Some(r)) => format!("region `{r}`"),
            (None, None) => format!("variables `{}` / `{}`", self.names.api_url, self.names.region),
        }
    }
}

/// Why an environment cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The directory does not exist.
    #[error("no environments directory `{dir}` (looking for environment `{name}`)")]
    NoDirectory {
        /// The directory.
        dir: String,
        /// The environment asked for.
        name: String,
    },
    /// Not a usable name.
    #[error("`{name}` is not an environment name (letters, digits, `_`, `-`, `.`; no path)")]
    BadName {
        /// The name given.
        name: String,
    },
    /// No such file.
    #[error("unknown environment `{name}`: no `{dir}/{name}.yaml`")]
    Unknown {
        /// The name given.
        name: String,
        /// The directory.
        dir: String,
        /// The environments that exist.
        known: Vec<String>,
    },
    /// The directory cannot be listed.
    #[error("cannot list `{dir}`: {reason}")]
    Io {
        /// The directory.
        dir: String,
        /// Why.
        reason: String,
    },
    /// The file has problems (the diagnostics say which).
    #[error("the environment file `{}` has {} error{}", .file.display(), .diags.error_count(), if .diags.error_count() == 1 { "" } else { "s" })]
    Invalid {
        /// The environment.
        name: String,
        /// The file.
        file: PathBuf,
        /// Every problem, located.
        diags: Diagnostics,
    },
}

/// Whether `name` can name an environment file.
#[must_use]
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The environments in `dir` (file names of `*.yaml` / `*.yml` without the extension), sorted.
pub fn list(dir: &Path) -> Result<Vec<String>, Error> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Io { dir: dir.display().to_string(), reason: crate::fsutil::io_reason(&e) })?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && p.extension().and_then(|e| e.to_str()).is_some_and(|e| e == "yaml" || e == "yml")
        })
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .filter(|n| is_name(n))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Reads environment `name` from `dir`.
pub fn load(dir: &Path, name: &str) -> Result<Environment, Error> {
    if !is_name(name) {
        return Err(Error::BadName { name: name.into() });
    }
    if !dir.is_dir() {
        return Err(Error::NoDirectory { dir: dir.display().to_string(), name: name.into() });
    }
    let file = ["yaml", "yml"].iter().map(|ext| dir.join(format!("{name}.{ext}"))).find(|p| p.is_file());
    let Some(file) = file else {
        return Err(Error::Unknown { name: name.into(), dir: dir.display().to_string(), known: list(dir)? });
    };
    let mut diags = Diagnostics::new();
    let parsed = crate::manifest::read_manifest_file(&file, &mut diags)
        .and_then(|text| parse(name, &file, &text, &mut diags));
    match parsed {
        Some(env) if !diags.has_errors() => Ok(env),
        _ => Err(Error::Invalid { name: name.into(), file, diags }),
    }
}

/// Parses an environment file's text (every problem into `diags`).
pub fn parse(name: &str, file: &Path, text: &str, diags: &mut Diagnostics) -> Option<Environment> {
    let mut sink = Sink { file, diags };
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            sink.error("yaml-syntax", format!("invalid YAML: {}", e.message), e.pos);
            return None;
        }
    };
    let mut env = Environment {
        name: name.into(),
        file: file.to_path_buf(),
        target: Target::Remote(Remote { names: EnvNames::default(), region: None, api_url: None }),
        state: PathBuf::from(format!("state/{name}.state.json")),
        vars: Vars { environment: name.into(), file: file.to_path_buf(), values: Vec::new() },
    };
    let mut docs = docs.into_iter();
    let Some(doc) = docs.next() else { return Some(env) };
    if let Some(extra) = docs.next() {
        sink.error("env-documents", "an environment file holds one YAML document", extra.pos);
    }
    if matches!(doc.value, Value::Null) {
        return Some(env);
    }
    let what = format!("environment `{name}`");
    let mut r = MapReader::new(&doc, &what, &mut sink)?;
    if let Some((_, node)) = r.get("target") {
        match &node.value {
            Value::Null => {}
            _ => env.target = parse_target(name, node, &mut sink)?,
        }
    }
    if let Some(state) = r.string("state", &mut sink) {
        if state.value.trim().is_empty() {
            sink.error("empty", "`state` is empty", state.pos);
        } else if let Err(e) = crate::state::backend::Location::parse(&state.value) {
            sink.error("state-location", format!("`state`: {e}"), state.pos);
        } else {
            env.state = PathBuf::from(state.value);
        }
    }
    if let Some((_, node)) = r.get("vars") {
        match &node.value {
            Value::Null => {}
            Value::Map(entries) => {
                // (The YAML reader already refuses duplicate keys.)
                for (k, _) in entries {
                    if !vars::is_var_name(&k.name) {
                        sink.push(
                            Diagnostic::error(
                                "var-name",
                                format!("`{}` is not a variable name", k.name),
                                file,
                                k.pos,
                            )
                            .with_width(k.name.chars().count())
                            .with_hint("names start with a letter or `_`, then letters, digits, `_` or `-`"),
                        );
                    }
                }
                env.vars.values.clone_from(entries);
            }
            other => sink.error_hint(
                "wrong-type",
                format!("`vars` must be a mapping of names to values, found {}", other.type_name()),
                node.pos,
                "write `vars:` followed by `name: value` lines",
            ),
        }
    }
    r.finish(&KEYS, &mut sink);
    Some(env)
}

fn parse_target(name: &str, node: &crate::yaml::Node, sink: &mut Sink<'_>) -> Option<Target> {
    let mut r = MapReader::new(node, "`target`", sink)?;
    let local = r.boolean("local", sink);
    let region = r.string("region", sink);
    let api_url = r.string("apiUrl", sink);
    let region_var = r.string("regionVar", sink);
    let api_url_var = r.string("apiUrlVar", sink);
    let client_id_var = r.string("clientIdVar", sink);
    let client_secret_var = r.string("clientSecretVar", sink);
    r.finish(&TARGET_KEYS, sink);
    let set: Vec<(&str, &Sp<String>)> = [
        ("region", &region),
        ("apiUrl", &api_url),
        ("regionVar", &region_var),
        ("apiUrlVar", &api_url_var),
        ("clientIdVar", &client_id_var),
        ("clientSecretVar", &client_secret_var),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    if local.is_some_and(|l| l.value) {
        for (k, v) in &set {
            sink.error_hint(
                "target-conflict",
                format!("`{k}` cannot be combined with `local: true`"),
                v.pos,
                format!("`local: true` is an embedded local org (data in `state/{name}.local-org.json`); remove `{k}`, or remove `local`"),
            );
        }
        return Some(Target::Local { data: PathBuf::from(format!("state/{name}.local-org.json")) });
    }
    let fixed = region.as_ref().map(|v| ("region", v)).or(api_url.as_ref().map(|v| ("apiUrl", v)));
    if let (Some(_), Some(u)) = (&region, &api_url) {
        sink.error_hint(
            "target-conflict",
            "`region` and `apiUrl` both name the org",
            u.pos,
            "keep one: `apiUrl` for an explicit API base (an emulator, a proxy), else `region`",
        );
    }
    if let Some((fk, _)) = fixed {
        for (k, v) in [("regionVar", &region_var), ("apiUrlVar", &api_url_var)] {
            if let Some(v) = v {
                sink.error_hint(
                    "target-conflict",
                    format!("`{k}` cannot be combined with `{fk}`"),
                    v.pos,
                    format!("`{fk}` fixes the org in the file; remove `{k}` (or `{fk}` to read the org from a variable)"),
                );
            }
        }
    }
    if let Some(r) = &region
        && config::region_domain(&r.value).is_none()
    {
        sink.error_hint("region", format!("unknown region `{}`", r.value), r.pos, config::accepted_regions());
    }
    if let Some(u) = &api_url
        && let Err(e) = config::check_url("apiUrl", u.value.trim())
    {
        sink.error("api-url", e.to_string(), u.pos);
    }
    let mut names = EnvNames::default();
    for (slot, v) in [
        (&mut names.region, &region_var),
        (&mut names.api_url, &api_url_var),
        (&mut names.client_id, &client_id_var),
        (&mut names.client_secret, &client_secret_var),
    ] {
        if let Some(v) = v {
            if is_env_var_name(&v.value) {
                slot.clone_from(&v.value);
            } else {
                sink.error_hint(
                    "env-var-name",
                    format!("`{}` is not an environment variable name", v.value),
                    v.pos,
                    "use letters, digits and `_`, not starting with a digit (e.g. `DEV_GC_CLIENT_ID`)",
                );
            }
        }
    }
    Some(Target::Remote(Remote {
        names,
        region: region.map(|r| r.value.trim().to_string()),
        api_url: api_url.map(|u| u.value.trim().trim_end_matches('/').to_string()),
    }))
}

fn is_env_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (code, line, column, message) of each diagnostic.
    type Found = Vec<(String, u32, u32, String)>;

    fn parse_text(text: &str) -> (Option<Environment>, Found) {
        let mut diags = Diagnostics::new();
        let env = parse("dev", Path::new("environments/dev.yaml"), text, &mut diags);
        let d =
            diags.sorted().into_iter().map(|d| (d.code.to_string(), d.line, d.column, d.message)).collect();
        (env, d)
    }

    #[test]
    fn defaults_and_full_file() {
        let (env, d) = parse_text("");
        assert_eq!(d, vec![]);
        let env = env.unwrap();
        assert_eq!(env.state, PathBuf::from("state/dev.state.json"));
        assert_eq!(
            env.target,
            Target::Remote(Remote { names: EnvNames::default(), region: None, api_url: None })
        );
        let (env, d) = parse_text(
            "target:\n  region: eu_west_1\n  clientIdVar: DEV_ID\n  clientSecretVar: DEV_SECRET\nstate: s/dev.json\nvars:\n  a: 1\n  b: x\n",
        );
        assert_eq!(d, vec![]);
        let env = env.unwrap();
        assert_eq!(env.state, PathBuf::from("s/dev.json"));
        let Target::Remote(r) = &env.target else { panic!("remote") };
        assert_eq!(r.names.client_id, "DEV_ID");
        assert_eq!(r.names.client_secret, "DEV_SECRET");
        assert_eq!(r.region.as_deref(), Some("eu_west_1"));
        assert_eq!(env.vars.values.len(), 2);
        assert_eq!(env.vars.get("a").map(|n| n.to_json()), Some(serde_json::json!(1)));
        let (env, _) = parse_text("target: {local: true}\n");
        assert_eq!(env.unwrap().target, Target::Local { data: PathBuf::from("state/dev.local-org.json") });
    }

    #[test]
    fn problems_are_located() {
        let (_, d) = parse_text(
            "target:\n  region: mars_1\n  apiUrl: http://example.com\n  clientIdVar: 1X\n  regin: x\nstate: ''\nvars:\n  ok: 1\n  bad name: 2\nextra: 1\n",
        );
        let codes: Vec<(&str, u32, u32)> = d.iter().map(|(c, l, col, _)| (c.as_str(), *l, *col)).collect();
        assert_eq!(
            codes,
            vec![
                ("region", 2, 11),
                ("target-conflict", 3, 11),
                ("api-url", 3, 11),
                ("env-var-name", 4, 16),
                ("unknown-field", 5, 3),
                ("empty", 6, 8),
                ("var-name", 9, 3),
                ("unknown-field", 10, 1),
            ]
        );
        let (_, d) = parse_text("target:\n  local: true\n  region: eu_west_1\n");
        assert_eq!(d[0].0, "target-conflict");
        let (_, d) = parse_text("target:\n  apiUrl: https://api.example.com\n  apiUrlVar: X\n");
        assert_eq!((d[0].0.as_str(), d[0].1), ("target-conflict", 3));
        let (_, d) = parse_text("vars: [1]\n");
        assert_eq!(d[0].0, "wrong-type");
        let (_, d) = parse_text("a: [\n");
        assert_eq!(d[0].0, "yaml-syntax");
        let (_, d) = parse_text("vars:\n  a: 1\n  a: 2\n");
        assert_eq!(d[0].0, "yaml-syntax", "duplicate keys");
        let (_, d) = parse_text("a: 1\n---\nb: 2\n");
        assert!(d.iter().any(|x| x.0 == "env-documents"));
    }

    #[test]
    fn resolve_prefers_fixed_values_and_reads_named_variables() {
        let get = |k: &str| match k {
            "DEV_ID" => Some("id".to_string()),
            "DEV_SECRET" => Some("secret".to_string()),
            "GENESYS_CLOUD_API_URL" => Some("http://127.0.0.1:9".to_string()),
            "DEV_URL" => Some("http://127.0.0.1:7".to_string()),
            _ => None,
        };
        let names = EnvNames {
            client_id: "DEV_ID".into(),
            client_secret: "DEV_SECRET".into(),
            ..EnvNames::default()
        };
        let fixed = Remote { names: names.clone(), region: Some("eu_west_1".into()), api_url: None };
        let t = fixed.resolve(get).unwrap();
        assert_eq!(t.api_base, "https://api.mypurecloud.ie", "GENESYS_CLOUD_API_URL is not read");
        let by_var = Remote {
            names: EnvNames { api_url: "DEV_URL".into(), ..names.clone() },
            region: None,
            api_url: None,
        };
        assert_eq!(by_var.resolve(get).unwrap().api_base, "http://127.0.0.1:7");
        let missing =
            Remote { names: EnvNames { client_id: "NOPE".into(), ..names }, region: None, api_url: None };
        assert!(missing.resolve(get).unwrap_err().to_string().contains("`NOPE` is not set"));
    }

    #[test]
    fn names_and_lookup() {
        assert!(is_name("dev") && is_name("prod-eu") && is_name("t.1"));
        assert!(!is_name("") && !is_name("../x") && !is_name("a/b") && !is_name(".hidden"));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(load(&dir.path().join("none"), "dev"), Err(Error::NoDirectory { .. })));
        std::fs::write(dir.path().join("dev.yaml"), "vars: {a: 1}\n").unwrap();
        std::fs::write(dir.path().join("prod.yml"), "target: {region: nowhere}\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert_eq!(list(dir.path()).unwrap(), vec!["dev".to_string(), "prod".to_string()]);
        assert_eq!(load(dir.path(), "dev").unwrap().vars.values.len(), 1);
        match load(dir.path(), "prd") {
            Err(Error::Unknown { known, .. }) => {
                assert_eq!(known, vec!["dev".to_string(), "prod".to_string()])
            }
            other => panic!("{other:?}"),
        }
        match load(dir.path(), "prod") {
            Err(Error::Invalid { diags, .. }) => assert_eq!(diags.error_count(), 1),
            other => panic!("{other:?}"),
        }
        assert!(matches!(load(dir.path(), "../x"), Err(Error::BadName { .. })));
    }
}
