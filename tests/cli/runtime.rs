//! `gcsync test` end to end: local runs against the local org's demo API, `--all` with
//! JUnit, `--remote` against an in-process emulator, the `--allow-writes` guard, secrets
//! kept out of the output, and `validate` with the template-aware rules.

use crate::common::{TestDir, code, render};
use insta::assert_snapshot;
use std::path::Path;
use std::process::Output;

/// Replaces what changes between runs (uuids, ports) with placeholders.
fn scrub(text: &str) -> String {
    let uuid = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    let text = uuid.replace_all(text, "[UUID]");
    port.replace_all(&text, "127.0.0.1:[PORT]").into_owned()
}

fn run(t: &TestDir, args: &[&str]) -> (Output, String) {
    let out = t.gcsync().args(args).output().unwrap();
    let shown = scrub(&render(&out, t.path()));
    (out, shown)
}

#[test]
fn local_run_of_fetch_user_profile_needs_no_internet() {
    let t = TestDir::new().with_repo_manifests();
    let (out, shown) = run(&t, &["--local", "test", "FetchUserProfile", "--input", "userId=1"]);
    assert_eq!(code(&out), 0, "{shown}");
    assert_snapshot!("local_run_found", shown);
    assert!(t.path().join("state/local-org.json").is_file(), "the local org keeps its data in state/");
}

#[test]
fn local_run_failure_as_json() {
    let t = TestDir::new().with_repo_manifests();
    let (out, shown) = run(&t, &["--local", "test", "FetchUserProfile", "--input", "userId=404", "--json"]);
    assert_eq!(code(&out), 1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["success"], serde_json::json!(false));
    assert_eq!(v["error"]["status"], serde_json::json!(404));
    assert_snapshot!("local_run_not_found_json", shown);
}

#[test]
fn local_run_without_the_local_org_cannot_resolve_gcsync_test() {
    let t = TestDir::new().with_repo_manifests();
    let (out, shown) = run(&t, &["test", "FetchUserProfile", "--input", "userId=1"]);
    assert_eq!(code(&out), 1);
    assert!(shown.contains("Cannot resolve the host 'profiles.gcsync.test'"), "{shown}");
    assert!(shown.contains("hint: `*.gcsync.test` hosts are served by the local org only"), "{shown}");
}

#[test]
fn all_cases_with_junit() {
    let t = TestDir::new().with_repo_manifests();
    let (out, shown) = run(&t, &["test", "--all", "--junit", "results.xml"]);
    assert_eq!(code(&out), 0, "{shown}");
    assert_snapshot!("all_cases", shown);
    assert_snapshot!("all_cases_junit", t.read("results.xml"));
    // With the local org, the live case runs too.
    let (out, shown) = run(&t, &["--local", "test", "--all"]);
    assert_eq!(code(&out), 0, "{shown}");
    assert!(shown.contains("8 passed, 0 failed\n"), "{shown}");
}

#[test]
fn all_cases_as_json() {
    let t = TestDir::new().with_repo_manifests();
    let (out, shown) = run(&t, &["test", "--all", "--json"]);
    assert_eq!(code(&out), 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64(), v["skipped"].as_u64()),
        (Some(7), Some(0), Some(1))
    );
    assert_snapshot!("all_cases_json", shown);
}

const FAILING_CASES: &str = r#"kind: DataAction
name: Echo
integration: Profile API
request: {method: GET, url: 'https://api.example.com/echo/$esc.url(${input.id})'}
inputs: {id: {type: string, required: true}}
outputs:
  value: {type: string, from: $.value}
tests:
  - name: right
    input: {id: "a"}
    response: {body: {value: x}}
    expect: {outputs: {value: x}}
  - name: wrong value
    input: {id: "a"}
    response: {body: {value: other}}
    expect: {outputs: {value: x}}
  - name: expected a failure
    input: {id: "a"}
    response: {body: {value: x}}
    expect: {failure: {status: 404}}
  - name: missing body file
    input: {id: "a"}
    response: {bodyFile: fixtures/nope.json}
    expect: {outputs: {value: x}}
"#;

#[test]
fn failing_cases_exit_1_and_are_in_the_junit_report() {
    let t = TestDir::new();
    t.write("manifests/echo.yaml", FAILING_CASES);
    let (out, shown) = run(&t, &["test", "--all", "--junit", "out/junit.xml"]);
    assert_eq!(code(&out), 1);
    assert_snapshot!("failing_cases", shown);
    let junit = t.read("out/junit.xml");
    assert!(
        junit.contains(r#"<testsuite name="Echo" tests="4" skipped="0" errors="0" failures="3">"#),
        "{junit}"
    );
    assert!(
        junit.contains("<failure message=\"output `value`: expected &quot;x&quot;, got &quot;other&quot;\">"),
        "{junit}"
    );
}

#[test]
fn a_broken_tests_section_is_a_validate_error() {
    let t = TestDir::new();
    t.write(
        "manifests/echo.yaml",
        FAILING_CASES.replace("expect: {outputs: {value: x}}\n  - name: wrong", "expct: {}\n  - name: wrong"),
    );
    let (out, shown) = run(&t, &["test", "--all"]);
    assert_eq!(code(&out), 1);
    assert!(shown.contains("error[unknown-field]: unknown field `expct` in test case `right`"), "{shown}");
    assert!(shown.contains("did you mean `expect`?"), "{shown}");
}

const POST_ACTION: &str = r#"kind: DataAction
name: CreateNote
integration: Profile API
request:
  method: POST
  url: https://profiles.gcsync.test/users/notes
  body: '{"text": "$esc.jsonString(${input.text})"}'
inputs: {text: {type: string, required: true}}
outputs: {}
"#;

#[test]
fn non_get_actions_need_allow_writes() {
    let t = TestDir::new();
    t.write("manifests/note.yaml", POST_ACTION);
    let (out, shown) = run(&t, &["--local", "test", "CreateNote", "--input", "text=hi"]);
    assert_eq!(code(&out), 1);
    assert_snapshot!(shown, @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    error: `CreateNote` is a POST action: running it calls its live endpoint and may change data

    hint: pass `--allow-writes` to run it anyway, or add a stubbed case under `tests:` and run `gcsync test --all`
    ");
    assert!(!t.path().join("state").exists(), "refused before anything started");
    // With --allow-writes it runs (the demo API only answers GET: a 405 Failure).
    let (out, shown) = run(&t, &["--local", "test", "CreateNote", "--input", "text=hi", "--allow-writes"]);
    assert_eq!(code(&out), 1);
    assert!(shown.contains("Failure: status 405, method.not.allowed, ACTION.REMOTE_ENDPOINT"), "{shown}");
    assert!(shown.contains(r#"{"text": "hi"}"#), "the body was resolved: {shown}");
}

const SECURE_ACTION: &str = r#"kind: DataAction
name: SecureLookup
integration: Profile API
secure: true
request:
  method: GET
  url: https://profiles.gcsync.test/users/$esc.url(${input.userId})
  headers:
    X-Api-Key: ${credentials.apiKey}
inputs: {userId: {type: string, required: true}}
outputs:
  fullName: {type: string, from: $.name}
"#;

#[test]
fn credentials_and_secure_inputs_never_reach_the_output() {
    let t = TestDir::new();
    t.write("manifests/secure.yaml", SECURE_ACTION);
    for json in [false, true] {
        let mut cmd = t.gcsync();
        cmd.args([
            "-vv",
            "--local",
            "test",
            "SecureLookup",
            "--input",
            "userId=12",
            "--credential",
            "apiKey=PROFILE_KEY",
        ])
        .env("PROFILE_KEY", "pk-live-0123456789");
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(code(&out), 0, "{all}");
        assert!(!all.contains("pk-live-0123456789"), "{all}");
        assert!(!all.contains("users/12"), "the secure input leaked: {all}");
        assert!(all.contains("Luca Ferro"), "the output is shown: {all}");
        assert!(all.contains("[redacted]"), "{all}");
    }
    let (out, shown) = run(&t, &["test", "SecureLookup", "--credential", "apiKey=NOT_SET_ANYWHERE"]);
    assert_eq!(code(&out), 1);
    assert!(
        shown.contains("environment variable `NOT_SET_ANYWHERE` (for credential field `apiKey`) is not set"),
        "{shown}"
    );
}

#[test]
fn remote_runs_the_orgs_test_and_prints_the_same_trace() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let emu = rt
        .block_on(gcsync::emulator::start(gcsync::emulator::Config {
            seed_integrations: vec![("Profile API".into(), "custom-rest-actions".into())],
            ..gcsync::emulator::Config::default()
        }))
        .unwrap();
    let t = TestDir::new().with_repo_manifests();
    // The action must exist in the org: create it from the compiled manifest.
    rt.block_on(async {
        let target = gcsync::remote::config::Target {
            api_base: emu.url.clone(),
            login_base: emu.url.clone(),
            client_id: emu.client_id.clone(),
            client_secret: gcsync::remote::Secret::new(emu.client_secret.clone()),
        };
        let c = gcsync::remote::Client::new(target, gcsync::remote::ClientOptions::default()).unwrap();
        let iid = c.find_integration("Profile API").await.unwrap().unwrap().id;
        let (set, _) = gcsync::manifest::load(&[t.path().join("manifests")]);
        let mut spec = gcsync::manifest::compile::compile(set.action("FetchUserProfile").unwrap());
        spec.integration = iid;
        c.create_action(&spec.to_post_json("integrationId")).await.unwrap();
    });
    let remote = |args: &[&str]| {
        let out = t
            .gcsync()
            .args(args)
            .env("GENESYS_CLOUD_API_URL", &emu.url)
            .env("GENESYS_CLOUD_CLIENT_ID", &emu.client_id)
            .env("GENESYS_CLOUD_CLIENT_SECRET", &emu.client_secret)
            .output()
            .unwrap();
        let shown = scrub(&render(&out, t.path()));
        (out, shown)
    };
    // Inputs not given take the defaults of the org's input schema (apiEndpoint).
    let (out, shown) = remote(&["test", "FetchUserProfile", "--remote", "--input", "userId=2"]);
    assert_eq!(code(&out), 0, "{shown}");
    assert_snapshot!("remote_run", shown);
    let (out, shown) = remote(&["test", "FetchUserProfile", "--remote", "--draft", "--input", "userId=2"]);
    assert_eq!(code(&out), 1);
    assert!(shown.contains("error: no draft action named `FetchUserProfile` in the org"), "{shown}");
    let (out, shown) = remote(&["test", "Missing", "--remote"]);
    assert_eq!(code(&out), 1);
    assert!(shown.contains("error: no action named `Missing` in the org"), "{shown}");
    rt.block_on(emu.shutdown());
}

#[test]
fn usage_errors() {
    let t = TestDir::new().with_repo_manifests();
    let (out, shown) = run(&t, &["test"]);
    assert_eq!(code(&out), 1);
    assert!(shown.contains("error: `gcsync test` needs an action NAME"), "{shown}");
    let (out, shown) = run(&t, &["test", "FetchUserProfil"]);
    assert_eq!(code(&out), 1);
    assert!(shown.contains("did you mean `FetchUserProfile`?"), "{shown}");
    let (out, shown) = run(&t, &["test", "FetchUserProfile", "--input", "userId"]);
    assert_eq!(code(&out), 1);
    assert!(shown.contains("`userId` is not `name=value`"), "{shown}");
    let (out, _) = run(&t, &["test", "--all", "--input", "userId=1"]);
    assert_eq!(code(&out), 1, "clap conflicts exit 1");
}

#[test]
fn validate_reports_template_and_path_rules() {
    let t = TestDir::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifests/lint/showcase.yaml");
    t.write("m/showcase.yaml", std::fs::read(src).unwrap());
    let (out, shown) = run(&t, &["validate", "-m", "m"]);
    assert_eq!(code(&out), 1);
    assert_snapshot!("validate_lint_showcase", shown);
}

#[test]
fn a_silent_endpoint_is_architects_timeout() {
    // A listener that accepts connections and never answers: the 1 s timeout is certain.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            match s {
                Ok(s) => held.push(s),
                Err(_) => return,
            }
        }
    });
    let t = TestDir::new();
    t.write(
        "manifests/slow.yaml",
        format!(
            "kind: DataAction\nname: Slow\nintegration: Profile API\ntimeoutSeconds: 1\nrequest: {{method: GET, url: 'http://{addr}/slow'}}\ninputs: {{}}\noutputs: {{}}\n"
        ),
    );
    let (out, shown) = run(&t, &["test", "Slow"]);
    assert_eq!(code(&out), 1);
    let tail: String = shown.lines().skip_while(|l| !l.starts_with("   8")).collect::<Vec<_>>().join("\n");
    assert_snapshot!(tail, @r"
       8  FAIL  Execute
                GET http://127.0.0.1:[PORT]/slow → no answer
                status 504, timeout, ACTION.TIMEOUT
                REST call for action execute failed. Message: The request to the web service timed out after 1 seconds (timeoutSeconds) [[UUID]]

    Timeout: status 504, ACTION.TIMEOUT
      REST call for action execute failed. Message: The request to the web service timed out after 1 seconds (timeoutSeconds) [[UUID]]
    ----- stderr -----
    ");
}

#[test]
fn testing_one_action_shows_only_its_own_warnings() {
    let t = TestDir::new().with_repo_manifests();
    // Another manifest with a warning (an unescaped input in the URL).
    t.write(
        "manifests/noisy.yaml",
        "kind: DataAction\nname: Noisy\nintegration: Profile API\nrequest:\n  method: GET\n  url: https://x.example.com/${input.q}\ninputs:\n  q: {type: string}\noutputs:\n  a: {type: string, from: $.a}\n",
    );
    let (_, all) = run(&t, &["validate"]);
    assert!(all.contains("warning[") && all.contains("noisy.yaml"), "the warning exists: {all}");
    let (out, shown) = run(&t, &["--local", "test", "FetchUserProfile", "--input", "userId=1"]);
    assert_eq!(code(&out), 0, "{shown}");
    assert!(!shown.contains("noisy.yaml"), "{shown}");
    assert!(shown.contains("in other manifests not shown (`gcsync validate` lists them)"), "{shown}");
}

// A case's `bodyFile` stays inside the manifest's directory: `..` and absolute paths are
// refused by name, a file inside is read.
#[test]
fn body_files_are_confined_to_the_manifests_directory() {
    let t = TestDir::new();
    t.write("secret.txt", "not for tests");
    t.write("manifests/fixtures/ok.json", r#"{"value": "x"}"#);
    let manifest = FAILING_CASES.split("tests:\n").next().unwrap().to_string()
        + "tests:\n  - name: inside\n    input: {id: \"a\"}\n    response: {bodyFile: fixtures/ok.json, headers: {Content-Type: application/json}}\n    expect: {outputs: {value: x}}\n  - name: escape\n    input: {id: \"a\"}\n    response: {bodyFile: ../secret.txt}\n    expect: {outputs: {value: x}}\n";
    t.write("manifests/echo.yaml", &manifest);
    let (out, shown) = run(&t, &["test", "--all", "--json"]);
    assert_eq!(code(&out), 1, "{shown}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases[0]["status"], "passed", "{shown}");
    assert_eq!(cases[1]["status"], "failed");
    let problem = cases[1]["problems"][0].as_str().unwrap();
    assert!(problem.contains("leaves the manifest's directory"), "{problem}");
    assert!(!shown.contains("not for tests"));
}

// `expect.request` checks what the action sends: the URL, the listed headers (names in any
// case) and the body (as JSON when both sides are JSON).
#[test]
fn cases_can_assert_the_request() {
    let t = TestDir::new();
    t.write(
        "manifests/post.yaml",
        r#"kind: DataAction
name: Post It
integration: Profile API
request:
  method: POST
  url: 'https://api.example.com/items/$esc.url(${input.id})'
  headers: {X-Trace: abc}
  body: '{"id": "${input.id}", "n": 1}'
inputs: {id: {type: string, required: true}}
outputs:
  value: {type: string, from: $.value}
tests:
  - name: sends what it should
    input: {id: "a b"}
    response: {body: {value: x}}
    expect:
      outputs: {value: x}
      request:
        url: https://api.example.com/items/a+b
        headers: {x-trace: abc}
        body: {n: 1, id: "a b"}
  - name: wrong expectations
    input: {id: "a"}
    response: {body: {value: x}}
    expect:
      outputs: {value: x}
      request:
        headers: {X-Trace: other, X-Missing: y}
        body: {id: "b"}
"#,
    );
    let (out, shown) = run(&t, &["test", "--all", "--json"]);
    assert_eq!(code(&out), 1, "{shown}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases[0]["status"], "passed", "{shown}");
    let problems: Vec<&str> =
        cases[1]["problems"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert_eq!(
        problems,
        [
            "request header `X-Trace`: expected `other`, got `abc`",
            "request header `X-Missing`: expected `y`, not sent",
            "request body: expected {\"id\":\"b\"}, got `{\"id\": \"a\", \"n\": 1}`",
        ]
    );
    // An unknown key under `request` is a located validate error.
    t.write(
        "manifests/post.yaml",
        t.read("manifests/post.yaml").replace("        url: https", "        ur1: https"),
    );
    let (out, shown) = run(&t, &["validate"]);
    assert_eq!(code(&out), 1, "{shown}");
    assert!(shown.contains("ur1") && shown.contains("post.yaml:"), "{shown}");
}

// `validate` names an expected output the action does not declare (it could never pass).
#[test]
fn an_expected_output_that_is_not_declared_is_a_validate_error() {
    let t = TestDir::new();
    t.write(
        "manifests/echo.yaml",
        FAILING_CASES.replace(
            "expect: {outputs: {value: x}}\n  - name: wrong value",
            "expect: {outputs: {valeu: x}}\n  - name: wrong value",
        ),
    );
    let (out, shown) = run(&t, &["validate"]);
    assert_eq!(code(&out), 1, "{shown}");
    assert!(shown.contains("names `valeu`, which is not a declared output"), "{shown}");
    assert!(shown.contains("declared outputs: value"), "{shown}");
}
