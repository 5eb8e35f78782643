//! Foundation: validate, render, exit codes and hostile input.

use crate::common::{TestDir, code, run};
use insta::assert_snapshot;
use std::path::Path;

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn validate_repo_manifests() {
    let t = TestDir::new().with_repo_manifests();
    assert_snapshot!(run(t.gcsync().arg("validate"), t.path()), @r"
    exit: 0
    ----- stdout -----
    1 action, 1 integration in 2 files: no problems found
    ----- stderr -----
    ");
}

#[test]
fn validate_reports_every_problem_with_location() {
    let t = TestDir::new();
    copy_dir(&fixtures().join("manifests/invalid"), &t.path().join("m"));
    assert_snapshot!("validate_human", run(t.gcsync().args(["validate", "-m", "m"]), t.path()));
    assert_snapshot!("validate_json", run(t.gcsync().args(["validate", "-m", "m", "--json"]), t.path()));
}

#[test]
fn validate_accepts_files_and_repeated_paths() {
    let t = TestDir::new().with_repo_manifests();
    t.write("extra/one.yml", "kind: DataAction\nname: Other\nintegration: X\nrequest: {method: GET, url: 'https://x'}\ninputs: {}\noutputs: {}\n");
    let out = t
        .gcsync()
        .args(["validate", "-m", "manifests/fetch-user-profile.yaml", "-m", "extra"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 actions in 2 files"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn render_fetch_user_profile() {
    let t = TestDir::new().with_repo_manifests();
    assert_snapshot!(run(t.gcsync().args(["render", "FetchUserProfile"]), t.path()));
}

#[test]
fn render_is_deterministic_and_lists_all() {
    let t = TestDir::new().with_repo_manifests();
    let a = t.gcsync().arg("render").output().unwrap();
    let b = t.gcsync().arg("render").output().unwrap();
    assert_eq!(code(&a), 0);
    assert_eq!(a.stdout, b.stdout);
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(1));
}

#[test]
fn render_unknown_name_suggests() {
    let t = TestDir::new().with_repo_manifests();
    assert_snapshot!(run(t.gcsync().args(["render", "FetchUserProfil"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    error: no action named `FetchUserProfil` in the manifests

    hint: did you mean `FetchUserProfile`?
    ");
}

#[test]
fn render_refuses_invalid_manifests() {
    let t = TestDir::new();
    t.write("manifests/a.yaml", "kind: DataAction\nname: A\n");
    let out = t.gcsync().arg("render").output().unwrap();
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing required field `integration`"), "{err}");
    assert!(err.contains("manifests/a.yaml:1:1"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_errors_exit_1_and_help_exits_0() {
    let t = TestDir::new();
    let out = t.gcsync().arg("frobnicate").output().unwrap();
    assert_eq!(code(&out), 1);
    let out = t.gcsync().args(["validate", "--bogus"]).output().unwrap();
    assert_eq!(code(&out), 1);
    let out = t.gcsync().arg("--help").output().unwrap();
    assert_eq!(code(&out), 0);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Exit codes:"), "{help}");
    assert!(help.contains("2  changes present"), "{help}");
    for var in [
        "GENESYS_CLOUD_REGION",
        "GENESYS_CLOUD_CLIENT_ID",
        "GENESYS_CLOUD_CLIENT_SECRET",
        "GENESYS_CLOUD_API_URL",
        "GCSYNC_RATE_LIMIT",
        "GCSYNC_PARALLELISM",
        "GCSYNC_HTTP_TIMEOUT",
        "GCSYNC_MAX_ATTEMPTS",
        "GCSYNC_RETRY_AFTER_MAX",
    ] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(var)), "{var} undocumented:\n{help}");
    }
    let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for default in ["(default 300; 0 = off)", "(default 60)", "seconds (default 30)", "mypurecloud.ie"] {
        assert!(words.contains(default), "{default}:\n{help}");
    }
    let out = t.gcsync().arg("--version").output().unwrap();
    assert_eq!(code(&out), 0);
}

#[test]
fn every_command_and_flag_has_help_text() {
    let t = TestDir::new();
    for cmd in ["validate", "render", "convert"] {
        let out = t.gcsync().args([cmd, "--help"]).output().unwrap();
        assert_eq!(code(&out), 0, "{cmd}");
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines().filter(|l| l.trim_start().starts_with("-")) {
            // "  -m, --manifests <DIR|FILE>  Manifest directory ..." — a flag line followed by text.
            let described = line.split("  ").filter(|p| !p.trim().is_empty()).count() >= 2;
            assert!(
                described || text.contains(&format!("{}\n          ", line.trim_end())),
                "{cmd}: undocumented flag line {line:?}\n{text}"
            );
        }
    }
}

#[test]
fn hostile_inputs_end_in_clear_messages() {
    let t = TestDir::new();
    t.write("empty/e.yaml", "");
    t.write("comments/c.yaml", "# a comment\n\n# another\n");
    t.write("separators/s.yaml", "---\n---\n...\n---\n");
    t.write("garbage/g.yaml", [0x7f_u8, 0x45, 0x4c, 0x46, 0x00, 0x01, 0xff, 0xfe]);
    t.write("latin1/l.yaml", b"kind: DataAction\nname: Caf\xe9\n");
    t.write("scalar/s.yaml", "just a string\n");
    t.write("json/j.yaml", "{\"kind\": \"DataAction\", \"name\": 5}");
    t.write(
        "wrongtypes/w.yaml",
        "kind: DataAction\nname: [a]\nintegration: {x: 1}\nrequest: []\ninputs: 3\noutputs: {a: 1}\n",
    );
    std::fs::create_dir_all(t.path().join("nothing")).unwrap();
    t.write("nothing/readme.txt", "not a manifest");
    for (dir, expect) in [
        ("empty", "e.yaml:1:1"),
        ("comments", "the file has no YAML documents"),
        ("separators", "the file has no YAML documents"),
        ("garbage", "not valid UTF-8"),
        ("latin1", "l.yaml:2:10"),
        ("scalar", "a manifest document must be a mapping"),
        ("json", "`name` must be a string, found an integer"),
        ("wrongtypes", "`request` of `DataAction` must be a mapping, found a list"),
        ("nothing", "no manifests found in `nothing`"),
        ("does-not-exist", "cannot read `does-not-exist`: no such file or directory"),
    ] {
        let out = t.gcsync().args(["validate", "-m", dir]).output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(all.contains(expect), "{dir}: expected {expect:?} in\n{all}");
        assert!(!all.contains("panicked"), "{dir}: {all}");
        assert_eq!(code(&out), 1, "{dir}: {all}");
    }
}

#[test]
fn a_50_mb_file_is_refused_without_reading_it() {
    let t = TestDir::new();
    let f = std::fs::File::create(t.path().join("big.yaml")).unwrap();
    f.set_len(50 * 1024 * 1024).unwrap();
    assert_snapshot!(run(t.gcsync().args(["validate", "-m", "big.yaml"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    error[file-too-large]: `big.yaml` is 50.0 MB; manifest files are limited to 4 MB
     --> big.yaml
      = hint: is this really a manifest? split large manifests into several files

    1 error, 0 warnings (0 actions in 1 file)
    ----- stderr -----
    ");
}

#[test]
fn eval_speaks_the_oracle_protocol() {
    use std::io::Write as _;
    use std::process::Stdio;
    let t = TestDir::new();
    let run = |args: &[&str], input: &str| {
        let mut child = t.gcsync().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (code(&out), String::from_utf8_lossy(&out.stdout).to_string())
    };
    let (c, out) = run(
        &["eval"],
        r#"{"id":"a","kind":"velocity","template":"${input.userId} $esc.url($input.q)","context":{"input":{"userId":"u-42","q":"a bé"}},"tools":true}"#,
    );
    assert_eq!(c, 0);
    assert_eq!(out, "{\"id\":\"a\",\"ok\":true,\"output\":\"u-42 a+b%C3%A9\"}\n");
    let (_, out) = run(
        &["eval"],
        r#"[{"kind":"jsonpath","path":"$.missing","document":{}},{"kind":"jsonpath","path":"$.a.length()","document":{"a":[1,2]}}]"#,
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["error_type"], "com.jayway.jsonpath.PathNotFoundException");
    assert_eq!(v[1]["result"], 2);
    assert_eq!(v[1]["result_type"], "java.lang.Integer");
    let (_, out) = run(&["eval", "--jsonl"], "{\"kind\":\"velocity\",\"template\":\"#if(\"}\nnot json\n");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("ParseErrorException"), "{}", lines[0]);
    assert!(lines[1].contains("OracleBadRequest"), "{}", lines[1]);
    let (c, _) = run(&["eval"], "{broken");
    assert_eq!(c, 1);
}

const KEYS_ACTION: &str = "kind: DataAction
name: Keys
integration: I
request:
  method: GET
  url: https://x/$esc.url(${input.n})
  headers: {on: a, No: b, 010: c, 1.50: d, ~: e, null: f}
inputs:
  n: {type: string}
  on: {type: string}
  No: {type: string}
  null: {type: string}
  yes: {type: string}
outputs:
  y: {type: string, from: $.y}
  off: {type: string, from: $.off}
";

#[test]
fn mapping_keys_are_the_text_as_written() {
    let t = TestDir::new();
    t.write("f.yaml", KEYS_ACTION);
    let out = t.gcsync().args(["render", "-m", "f.yaml"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &v[0];
    let names = |o: &serde_json::Value| o.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&a["contract"]["input"]["inputSchema"]["properties"]), ["n", "on", "No", "null", "yes"]);
    assert_eq!(names(&a["contract"]["output"]["successSchema"]["properties"]), ["y", "off"]);
    assert_eq!(names(&a["config"]["response"]["translationMap"]), ["y", "off"]);
    assert_eq!(names(&a["config"]["request"]["headers"]), ["on", "No", "010", "1.50", "~", "null"]);
}

#[test]
fn keys_that_repeat_are_errors_naming_the_first() {
    let t = TestDir::new();
    t.write(
        "d.yaml",
        "kind: DataAction\nname: A\ninputs:\n  n: {type: string}\n  'n': {type: integer}\nname: B\n",
    );
    assert_snapshot!(run(t.gcsync().args(["validate", "-m", "d.yaml"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    error[yaml-syntax]: invalid YAML: duplicate key `n` (first at line 4)
     --> d.yaml:5:3
      |
    5 |   'n': {type: integer}
      |   ^
      = hint: fix the YAML syntax; other files are still checked

    1 error, 0 warnings (0 actions in 1 file)
    ----- stderr -----
    ");
}

#[test]
fn parser_limits_are_explained_in_plain_words() {
    let t = TestDir::new();
    t.write("deep.yaml", format!("{}1{}\n", "[".repeat(70), "]".repeat(70)));
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (i, prev) in ["b", "c", "d", "e", "f", "g"].iter().zip(["a", "b", "c", "d", "e", "f"]) {
        bomb.push_str(&format!("{i}: &{i} [{}]\n", vec![format!("*{prev}"); 10].join(", ")));
    }
    t.write("bomb.yaml", bomb);
    for (file, want) in [
        ("deep.yaml", "invalid YAML: nesting deeper than 64 levels"),
        ("bomb.yaml", "invalid YAML: document too large: more than 250000 nodes (alias expansion?)"),
    ] {
        let out = t.gcsync().args(["validate", "-m", file]).output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(code(&out), 1, "{all}");
        assert!(all.contains(want), "{file}: {all}");
        for leak in ["budget", "Nodes {", "Depth {", "(used", "Options", "Policy"] {
            assert!(!all.contains(leak), "{file}: library text `{leak}` in {all}");
        }
    }
}

#[test]
fn both_contract_forms_get_one_clear_message() {
    let t = TestDir::new();
    t.write(
        "b.yaml",
        "kind: DataAction\nname: Both\nintegration: I\nrequest: {method: GET, url: 'https://x'}\ninputs: {}\ncontract: {input: {type: object}, output: {type: object}}\nresponse: {successTemplate: '{}'}\n",
    );
    assert_snapshot!(run(t.gcsync().args(["validate", "-m", "b.yaml"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    error[contract-form]: `DataAction` `Both` has both `contract:` (raw form) and `inputs:` (shorthand form); the two contract forms are exclusive
     --> b.yaml:6:1
      |
    6 | contract: {input: {type: object}, output: {type: object}}
      | ^
      = hint: keep one: remove `inputs:` to keep the raw `contract:` + `response:`, or remove `contract:` (and `response.translationMap`/`translationMapDefaults`) to keep the shorthand

    1 error, 0 warnings (0 actions in 1 file)
    ----- stderr -----
    ");
}

#[test]
fn terraform_single_dash_flags_are_aliases_or_refused() {
    // Issue 13.10: `-out=plan.json` used to write a file named `ut=plan.json`.
    let t = TestDir::new().with_repo_manifests();
    let out = t
        .gcsync()
        .args(["--local", "plan", "-out=plan.json", "-no-color", "-detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(t.path().join("plan.json").is_file());
    assert!(!t.path().join("ut=plan.json").exists());
    assert_snapshot!(run(t.gcsync().args(["plan", "-allow-replace"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    error: `gcsync plan` has no flag `-allow-replace`

    hint: gcsync's long flags take two dashes: `gcsync plan --allow-replace`
    ");
    assert_snapshot!(run(t.gcsync().args(["plan", "-refresh-only"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    error: `gcsync plan` has no refresh-only mode

    hint: Terraform's `plan -refresh-only` is `gcsync drift`: it compares the org with the state and exits 2 on drift
    ");
    assert_snapshot!(run(t.gcsync().args(["validate", "-var-file=prod.tfvars"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    error: `gcsync validate` has no flag `-var-file`

    hint: gcsync's long flags take two dashes and a short flag takes its value after a space (`-m DIR`); `gcsync validate --help` lists them
    ");
}

#[test]
fn yaml_indentation_mistakes_name_the_wrong_line() {
    // Issue 13.15: the parser noticed on line 6 and said "mapping values are not allowed in this context".
    let t = TestDir::new();
    t.write(
        "m/a.yaml",
        "kind: DataAction\nname: A\nintegration: I\nrequest:\n  method GET\n  url: https://x\ninputs: {}\noutputs: {}\n",
    );
    assert_snapshot!(run(t.gcsync().args(["validate", "-m", "m"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    error[yaml-syntax]: invalid YAML: `method GET` is not a `key: value` pair: likely a missing `:` after `method`
     --> m/a.yaml:5:9
      |
    5 |   method GET
      |         ^
      = hint: fix the YAML syntax; other files are still checked

    1 error, 0 warnings (0 actions in 1 file)
    ----- stderr -----
    ");
}

#[test]
fn project_file_sets_rule_levels() {
    // Issue 13.1: a lint rule's level is set project-wide; Genesys's own rules stay errors.
    let t = TestDir::new();
    let action = "kind: DataAction\nname: A\nintegration: I\nrequest: {method: GET, url: 'https://x/u/${input.id}/${input.nme}'}\ninputs: {id: {type: string}}\noutputs: {}\n";
    t.write("m/a.yaml", action);
    let before = run(t.gcsync().args(["validate", "-m", "m"]), t.path());
    assert!(before.starts_with("exit: 1") && before.contains("warning[unescaped-input-url]"), "{before}");
    t.write("gcsync.yaml", "rules:\n  unescaped-input-url: off\n  undeclared-input: warning\n");
    assert_snapshot!(run(t.gcsync().args(["validate", "-m", "m"]), t.path()), @r"
    exit: 0
    ----- stdout -----
    warning[undeclared-input]: `request.url` reads `${input.nme}`, but the input contract has no `nme`
     --> m/a.yaml:4:54
      |
    4 | request: {method: GET, url: 'https://x/u/${input.id}/${input.nme}'}
      |                                                      ^
      = hint: declare `nme` in the inputs (a flow can only pass declared inputs)

    0 errors, 1 warning (1 action in 1 file)
    ----- stderr -----
    ");
    t.write("gcsync.yaml", "rules:\n  timeout-range: off\n  unescaped-input-jsn: warning\n");
    assert_snapshot!(run(t.gcsync().args(["validate", "-m", "m"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    error[project-file]: `timeout-range` mirrors what Genesys itself rejects, so its level cannot be changed: it is always an error
     --> gcsync.yaml:2:3
      |
    2 |   timeout-range: off
      |   ^
      = hint: Genesys would refuse the action: fix the manifest

    error[project-file]: there is no lint rule `unescaped-input-jsn`
     --> gcsync.yaml:3:3
      |
    3 |   unescaped-input-jsn: warning
      |   ^
      = hint: did you mean `unescaped-input-json`?

    warning[unescaped-input-url]: `${input.id}` is inserted into the URL unescaped; a value with `/`, `?`, `#`, `&` or a space changes the request
     --> m/a.yaml:4:42
      |
    4 | request: {method: GET, url: 'https://x/u/${input.id}/${input.nme}'}
      |                                          ^
      = hint: write `$esc.url(${input.id})` (Genesys does not escape for you)

    error[undeclared-input]: `request.url` reads `${input.nme}`, but the input contract has no `nme`
     --> m/a.yaml:4:54
      |
    4 | request: {method: GET, url: 'https://x/u/${input.id}/${input.nme}'}
      |                                                      ^
      = hint: declare `nme` in the inputs (a flow can only pass declared inputs)

    3 errors, 1 warning (1 action in 1 file)
    ----- stderr -----
    ");
}

#[test]
fn the_project_file_is_not_a_manifest() {
    let t = TestDir::new();
    t.write("a.yaml", "kind: DataAction\nname: A\nintegration: I\nrequest: {method: GET, url: 'https://x'}\ninputs: {}\noutputs: {}\n");
    t.write("gcsync.yaml", "rules:\n  get-body: off\n");
    let out = run(t.gcsync().args(["validate", "-m", "."]), t.path());
    assert!(out.starts_with("exit: 0") && out.contains("1 action in 1 file"), "{out}");
}
