//! Environments end to end: one manifest set, two emulators standing for two orgs (dev and
//! prod), `--env` choosing the org, the state file and the `{{ var.X }}` values.

use crate::assert_snapshot;
use crate::common::{BgEmulator, TestDir, code, render};
use std::process::{Command, Output, Stdio};

/// The manifest both environments share: URL, timeout and integration come from variables.
const MANIFEST: &str = r#"kind: DataAction
name: Lookup User
integration: "{{ var.integration }}"
category: "Profiles ({{ var.stage }})"
timeoutSeconds: "{{ var.timeout }}"
request:
  method: GET
  url: "{{ var.profileApi }}/$esc.url(${input.userId})"
  headers:
    Accept: application/json
inputs:
  userId: {type: string, required: true}
outputs:
  fullName: {type: string, from: $.name}
"#;

const DEV_SECRET: &str = "dev-secret-0d7c";
const PROD_SECRET: &str = "prod-secret-91aa";

/// An emulator standing for one org, with its own OAuth client.
struct Org {
    emu: BgEmulator,
    client_id: &'static str,
    secret: &'static str,
}

impl Org {
    fn start(name: &str, client_id: &'static str, secret: &'static str, integration: &str) -> Self {
        let emu = BgEmulator::start(gcsync::emulator::Config {
            org_name: name.into(),
            client_id: client_id.into(),
            client_secret: secret.into(),
            seed_integrations: vec![(integration.into(), "custom-rest-actions".into())],
            ..gcsync::emulator::Config::default()
        });
        Self { emu, client_id, secret }
    }

    /// A client logged in with this org's OAuth client (`BgEmulator::client` uses `local`).
    fn client(&self) -> gcsync::remote::Client {
        let target = gcsync::remote::config::Target {
            api_base: self.emu.url.clone(),
            login_base: self.emu.url.clone(),
            client_id: self.client_id.into(),
            client_secret: gcsync::remote::Secret::new(self.secret.into()),
        };
        gcsync::remote::Client::new(
            target,
            gcsync::remote::ClientOptions { rate_limit_per_minute: 0, ..Default::default() },
        )
        .unwrap()
    }

    /// (name, id, version) of every published action, sorted.
    fn actions(&self) -> Vec<(String, String, i64)> {
        let c = self.client();
        let mut v: Vec<_> = self
            .emu
            .rt
            .block_on(c.list_actions())
            .unwrap()
            .into_iter()
            .map(|a| (a.name, a.id, a.version))
            .collect();
        v.sort();
        v
    }
}

/// A project directory with two environments on two emulators.
struct Orgs {
    dir: TestDir,
    dev: Org,
    prod: Org,
}

impl Orgs {
    fn new() -> Self {
        let dev = Org::start("Dev Org", "dev-client", DEV_SECRET, "Profile API (dev)");
        let prod = Org::start("Prod Org", "prod-client", PROD_SECRET, "Profile API");
        let o = Self { dir: TestDir::new(), dev, prod };
        o.dir.write("manifests/lookup-user.yaml", MANIFEST);
        o.write_dev(10);
        // prod: the API URL from a variable (as CI would inject it), the default state path.
        o.dir.write(
            "environments/prod.yaml",
            "target:\n  apiUrlVar: PROD_GC_API_URL\n  clientIdVar: PROD_GC_CLIENT_ID\n  clientSecretVar: PROD_GC_CLIENT_SECRET\nvars:\n  stage: prod\n  integration: Profile API\n  profileApi: https://profiles.example.com/users\n  timeout: 20\n",
        );
        o
    }

    /// dev: the API URL fixed in the file, an explicit state path.
    fn write_dev(&self, timeout: u32) {
        self.dir.write(
            "environments/dev.yaml",
            format!(
                "target:\n  apiUrl: {}\n  clientIdVar: DEV_GC_CLIENT_ID\n  clientSecretVar: DEV_GC_CLIENT_SECRET\nstate: state/dev.state.json\nvars:\n  stage: dev\n  integration: Profile API (dev)\n  profileApi: https://dev.profiles.example.com/users\n  timeout: {timeout}\n",
                self.dev.emu.url
            ),
        );
    }

    /// `gcsync ARGS` with both orgs' credentials in the environment (each environment reads
    /// its own variables) and nothing in GENESYS_CLOUD_*.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.dir.gcsync();
        c.env("DEV_GC_CLIENT_ID", "dev-client")
            .env("DEV_GC_CLIENT_SECRET", DEV_SECRET)
            .env("PROD_GC_API_URL", &self.prod.emu.url)
            .env("PROD_GC_CLIENT_ID", "prod-client")
            .env("PROD_GC_CLIENT_SECRET", PROD_SECRET)
            .env("GCSYNC_RATE_LIMIT", "0")
            .args(args)
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn text(&self, args: &[&str]) -> String {
        let text = render(&self.run(args), self.dir.path());
        assert!(!text.contains(DEV_SECRET) && !text.contains(PROD_SECRET), "a secret leaked: {text}");
        text
    }

    fn snap(&self, args: &[&str]) -> String {
        self.text(args)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(code(&out), 0, "{}", render(&out, self.dir.path()));
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    fn state(&self, rel: &str) -> serde_json::Value {
        serde_json::from_str(&self.dir.read(rel)).unwrap()
    }

    fn org_id(org: &Org) -> String {
        org.emu.rt.block_on(org.client().org()).unwrap().id
    }

    /// (timeoutSeconds, category, URL template) of the one action in `org`.
    fn live(org: &Org) -> (i64, String, String) {
        let c = org.client();
        let actions = org.actions();
        assert_eq!(actions.len(), 1, "{actions:?}");
        let a = org.emu.rt.block_on(c.get_action(&actions[0].1, false)).unwrap();
        let v = serde_json::to_value(&a).unwrap();
        (
            v["config"]["timeoutSeconds"].as_i64().unwrap(),
            v["category"].as_str().unwrap().to_string(),
            v["config"]["request"]["requestUrlTemplate"].as_str().unwrap_or_default().to_string(),
        )
    }
}

#[test]
fn one_manifest_set_two_orgs() {
    let o = Orgs::new();
    let out = o.ok(&["--env", "dev", "apply", "--auto-approve"]);
    assert!(out.contains("Plan for environment `dev`, org `Dev Org`"), "{out}");
    assert!(out.contains("Apply complete: 1 added"), "{out}");
    let out = o.ok(&["--env", "prod", "apply", "--auto-approve"]);
    assert!(out.contains("Plan for environment `prod`, org `Prod Org`"), "{out}");

    // Each org got the action resolved with its own values.
    assert_eq!(
        Orgs::live(&o.dev),
        (
            10,
            "Profiles (dev)".into(),
            "https://dev.profiles.example.com/users/$esc.url(${input.userId})".into()
        )
    );
    assert_eq!(
        Orgs::live(&o.prod),
        (20, "Profiles (prod)".into(), "https://profiles.example.com/users/$esc.url(${input.userId})".into())
    );

    // State files never mix: one per environment, each naming its own org.
    let dev_state = o.state("state/dev.state.json");
    let prod_state = o.state("state/prod.state.json");
    assert_eq!(dev_state["org"]["org_id"], Orgs::org_id(&o.dev).as_str());
    assert_eq!(prod_state["org"]["org_id"], Orgs::org_id(&o.prod).as_str());
    assert_ne!(dev_state["org"]["org_id"], prod_state["org"]["org_id"]);
    assert_eq!(dev_state["actions"]["Lookup User"]["integration"], "Profile API (dev)");
    assert_eq!(prod_state["actions"]["Lookup User"]["integration"], "Profile API");
    assert!(!o.dir.path().join("state/gcsync.state.json").exists());

    // Nothing to do in either.
    assert_eq!(code(&o.run(&["--env", "dev", "plan", "--detailed-exitcode"])), 0);
    assert_eq!(code(&o.run(&["--env", "prod", "plan", "--detailed-exitcode"])), 0);

    // One variable changes in one environment: a change there only.
    o.write_dev(15);
    assert_eq!(code(&o.run(&["--env", "dev", "plan", "--detailed-exitcode"])), 2);
    assert_eq!(code(&o.run(&["--env", "prod", "plan", "--detailed-exitcode"])), 0);
    assert_snapshot!("env_plan_dev_changed", o.snap(&["--env", "dev", "plan"]));
    let json: serde_json::Value = serde_json::from_str(&o.ok(&["--env", "dev", "plan", "--json"])).unwrap();
    assert_eq!(json["environment"], "dev");
    assert_eq!(json["state"]["path"], "state/dev.state.json");

    // A saved dev plan is refused by prod (before prod's state is locked or read), and
    // without an environment.
    o.ok(&["--env", "dev", "plan", "--out", "dev.plan.json"]);
    let saved: serde_json::Value = serde_json::from_str(&o.dir.read("dev.plan.json")).unwrap();
    assert_eq!(saved["environment"], "dev");
    let prod_before = o.prod.actions();
    let prod_state_before = o.dir.read("state/prod.state.json");
    assert_snapshot!("env_apply_wrong_environment", o.snap(&["--env", "prod", "apply", "dev.plan.json"]));
    let out = o.text(&["apply", "dev.plan.json"]);
    assert!(
        out.starts_with("exit: 1") && out.contains("refusing to apply it without an environment"),
        "{out}"
    );
    assert_eq!(o.prod.actions(), prod_before, "prod untouched");
    assert_eq!(o.dir.read("state/prod.state.json"), prod_state_before);
    assert!(!o.dir.path().join("state/prod.state.json.lock").exists());

    // The right environment applies it.
    let out = o.ok(&["--env", "dev", "apply", "dev.plan.json"]);
    assert!(out.contains("Apply complete: 0 added, 1 changed"), "{out}");
    assert_eq!(Orgs::live(&o.dev).0, 15);
    assert_eq!(Orgs::live(&o.prod).0, 20);
    assert_eq!(code(&o.run(&["--env", "dev", "plan", "--detailed-exitcode"])), 0);

    // A changed variable makes a saved plan stale, like a changed manifest.
    o.write_dev(12);
    o.ok(&["--env", "dev", "plan", "--out", "dev.plan.json"]);
    o.write_dev(13);
    let out = o.text(&["--env", "dev", "apply", "dev.plan.json"]);
    assert!(
        out.starts_with("exit: 1")
            && out.contains("the manifests or the environment's `vars:` changed since the plan was made"),
        "{out}"
    );

    // drift and state commands follow the environment too.
    assert_eq!(code(&o.run(&["--env", "prod", "drift"])), 0);
    let out = o.ok(&["--env", "prod", "state", "list"]);
    assert!(out.starts_with("Lookup User\tcustom_-_"), "{out}");
}

#[test]
fn render_and_validate_resolve_the_environment() {
    let o = Orgs::new();
    assert_snapshot!("env_render_prod", o.snap(&["--env", "prod", "render", "Lookup User"]));
    assert_snapshot!("env_validate_all_ok", o.snap(&["validate", "--all-envs"]));
    let out = o.text(&["--env", "dev", "validate"]);
    assert!(
        out.starts_with("exit: 0")
            && out.contains("environment `dev`: 1 action in 1 file: no problems found"),
        "{out}"
    );
    // Without an environment, the manifest cannot be resolved.
    assert_snapshot!("env_plan_without_env", o.snap(&["plan"]));
}

#[test]
fn undefined_variables_and_broken_environment_files() {
    let o = Orgs::new();
    o.dir.write("manifests/lookup-user.yaml", MANIFEST.replace("var.profileApi", "var.profileAPI"));
    o.dir.write(
        "environments/broken.yaml",
        "target:\n  region: mars_north_1\n  apiUrl: http://example.com\nvars:\n  profileApi: x\n  bad name: 1\n",
    );
    assert_snapshot!("env_validate_undefined", o.snap(&["--env", "dev", "validate"]));
    assert_snapshot!("env_validate_all_problems", o.snap(&["validate", "--all-envs"]));
    assert_snapshot!("env_validate_all_json", o.snap(&["validate", "--all-envs", "--json"]));
    // plan stops before connecting.
    let out = o.text(&["--env", "prod", "plan"]);
    assert!(out.starts_with("exit: 1") && out.contains("error[undefined-var]"), "{out}");
    assert!(o.prod.emu.requests().is_empty(), "no request reached the org");
    // An environment file with errors stops every command, with its problems located.
    let out = o.text(&["--env", "broken", "plan"]);
    assert!(out.contains("environments/broken.yaml:2:11") && out.contains("has 4 errors"), "{out}");
}

#[test]
fn choosing_an_environment() {
    let o = Orgs::new();
    assert_snapshot!("env_unknown", o.snap(&["--env", "prd", "plan"]));
    let out = o.text(&["--env", "dev", "--local", "plan"]);
    assert!(
        out.starts_with("exit: 1") && out.contains("`--env` and `--local` cannot be used together"),
        "{out}"
    );
    let out = o.text(&["--env", "../dev", "plan"]);
    assert!(out.starts_with("exit: 1") && out.contains("is not an environment name"), "{out}");
    let out = o.text(&["--env", "dev", "convert", "x.json"]);
    assert!(out.starts_with("exit: 1") && out.contains("does not use an environment"), "{out}");
    let out = o.text(&["--env", "dev", "validate", "--all-envs"]);
    assert!(out.starts_with("exit: 1") && out.contains("drop `--env`"), "{out}");
    // Another directory: --environments-dir or GCSYNC_ENVIRONMENTS.
    std::fs::rename(o.dir.path().join("environments"), o.dir.path().join("envs")).unwrap();
    let out = o.text(&["--env", "dev", "validate"]);
    assert!(out.starts_with("exit: 1") && out.contains("no environments directory `environments`"), "{out}");
    o.ok(&["--environments-dir", "envs", "--env", "dev", "validate"]);
    let mut c = o.cmd(&["--env", "dev", "validate"]);
    c.env("GCSYNC_ENVIRONMENTS", "envs");
    assert_eq!(code(&c.output().unwrap()), 0);
    // GCSYNC_STATE does not pull an environment away from its own state file.
    let mut c = o.cmd(&["--environments-dir", "envs", "--env", "prod", "apply", "--auto-approve"]);
    c.env("GCSYNC_STATE", "state/shared.json");
    assert_eq!(code(&c.output().unwrap()), 0);
    assert!(o.dir.path().join("state/prod.state.json").exists());
    assert!(!o.dir.path().join("state/shared.json").exists());
}

#[test]
fn credentials_come_from_the_variables_the_environment_names() {
    let o = Orgs::new();
    // dev's variables hold prod's secret: the dev org refuses it, and it is never shown.
    let mut c = o.cmd(&["--env", "dev", "plan"]);
    c.env("DEV_GC_CLIENT_SECRET", PROD_SECRET);
    let text = render(&c.output().unwrap(), o.dir.path());
    assert!(text.starts_with("exit: 1"), "{text}");
    assert!(!text.contains(PROD_SECRET), "{text}");
    // The hint names the variables this environment reads, not GENESYS_CLOUD_*.
    assert!(
        text.contains("check `DEV_GC_CLIENT_ID` / `DEV_GC_CLIENT_SECRET`, the variables environment `dev` (`environments/dev.yaml`) reads"),
        "{text}"
    );
    assert!(!text.contains("GENESYS_CLOUD_CLIENT_ID"), "{text}");
    // An unreachable org: the hint names where the environment takes the address from.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut c = o.cmd(&["--env", "prod", "plan"]);
    c.env("PROD_GC_API_URL", format!("http://127.0.0.1:{closed}")).env("GCSYNC_MAX_ATTEMPTS", "1");
    let text = render(&c.output().unwrap(), o.dir.path());
    assert!(text.starts_with("exit: 1"), "{text}");
    assert!(
        text.contains("check the org's address (from variables `PROD_GC_API_URL` / `GENESYS_CLOUD_REGION`, per environment `prod`"),
        "{text}"
    );
    // A missing variable is named, with the environment it belongs to.
    let mut c = o.cmd(&["--env", "prod", "plan"]);
    c.env_remove("PROD_GC_API_URL");
    let text = render(&c.output().unwrap(), o.dir.path());
    assert!(text.contains("`PROD_GC_API_URL`"), "{text}");
    assert!(text.contains("environment `prod` (`environments/prod.yaml`)"), "{text}");
}

/// The example project in `examples/environments` (two local orgs and a real one): every
/// environment validates, its test case passes per environment, and dev and test are two
/// separate local orgs.
#[test]
fn the_example_project() {
    let t = TestDir::new();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/environments");
    for sub in ["manifests", "environments"] {
        for e in std::fs::read_dir(src.join(sub)).unwrap() {
            let e = e.unwrap();
            t.write(&format!("{sub}/{}", e.file_name().to_string_lossy()), std::fs::read(e.path()).unwrap());
        }
    }
    let run = |args: &[&str]| {
        let out = t.gcsync().args(args).stdin(Stdio::null()).output().unwrap();
        let text = render(&out, t.path());
        assert_eq!(code(&out), 0, "{text}");
        text
    };
    let text = run(&["validate", "--all-envs"]);
    assert!(text.contains("3 environments: all valid"), "{text}");
    for env in ["dev", "test", "prod"] {
        let text = run(&["--env", env, "test", "--all"]);
        assert!(text.contains("1 passed, 0 failed"), "{text}");
    }
    run(&["--env", "dev", "apply", "--auto-approve"]);
    let text = run(&["--env", "test", "plan"]);
    assert!(text.contains("+ LookupUser will be created"), "a separate org: {text}");
    assert!(text.contains("org `gcsync local org (test)`"), "{text}");
    let text = run(&["--env", "dev", "test", "LookupUser", "--input", "userId=1"]);
    assert!(text.contains("Success"), "{text}");
    assert!(
        t.path().join("state/dev.local-org.json").exists()
            && t.path().join("state/test.local-org.json").exists()
    );
}

#[test]
fn two_environments_on_one_org_never_share_a_state_file() {
    let o = Orgs::new();
    o.ok(&["--env", "dev", "apply", "--auto-approve"]);
    assert_eq!(o.state("state/dev.state.json")["environment"], "dev");
    // `test` points at dev's org and (by mistake) at dev's state file.
    o.dir.write(
        "environments/test.yaml",
        format!(
            "target:\n  apiUrl: {}\n  clientIdVar: DEV_GC_CLIENT_ID\n  clientSecretVar: DEV_GC_CLIENT_SECRET\nstate: state/dev.state.json\nvars:\n  stage: test\n  integration: Profile API (dev)\n  profileApi: https://test.profiles.example.com/users\n  timeout: 10\n",
            o.dev.emu.url
        ),
    );
    let out = o.run(&["--env", "test", "plan"]);
    assert_eq!(code(&out), 1, "{}", render(&out, o.dir.path()));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("belongs to environment `dev`, but this run targets environment `test`"), "{err}");
    // Without `--env` the dev state is refused too.
    o.dir.write(
        "plain/a.yaml",
        MANIFEST
            .replace("\"{{ var.integration }}\"", "Profile API (dev)")
            .replace("\"Profiles ({{ var.stage }})\"", "x")
            .replace("\"{{ var.timeout }}\"", "10")
            .replace("{{ var.profileApi }}", "https://x.example.com"),
    );
    let out = o
        .cmd(&["plan", "-m", "plain", "--state", "state/dev.state.json"])
        .env("GENESYS_CLOUD_API_URL", &o.dev.emu.url)
        .env("GENESYS_CLOUD_CLIENT_ID", "dev-client")
        .env("GENESYS_CLOUD_CLIENT_SECRET", DEV_SECRET)
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("this run targets no environment"),
        "{}",
        render(&out, o.dir.path())
    );
    // `validate --all-envs` names the shared file before any run.
    let out = o.run(&["validate", "--all-envs"]);
    assert_eq!(code(&out), 1, "{}", render(&out, o.dir.path()));
    let text = render(&out, o.dir.path());
    assert!(text.contains("state/dev.state.json") && text.contains("shared-state"), "{text}");
}
