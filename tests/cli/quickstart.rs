//! The README's first command, as a new user runs it: `--local apply --auto-approve` twice.

use crate::common::{TestDir, code, render};

#[test]
fn local_apply_creates_fetch_user_profile_then_reports_no_changes() {
    let t = TestDir::new().with_repo_manifests();
    let out = t.gcsync().args(["--local", "apply", "--auto-approve"]).output().unwrap();
    let text = render(&out, t.path());
    assert_eq!(code(&out), 0, "{text}");
    assert!(text.contains("+ FetchUserProfile will be created"), "{text}");
    assert!(text.contains("+ integration Profile API will be created"), "{text}");
    assert!(text.contains("Apply complete: 2 added, 0 changed, 0 replaced, 0 destroyed."), "{text}");
    assert!(t.path().join("state/local-org.json").exists());
    let state: serde_json::Value = serde_json::from_str(&t.read("state/local.state.json")).unwrap();
    assert!(state["actions"]["FetchUserProfile"]["id"].as_str().unwrap().starts_with("custom_-_"));
    let out = t.gcsync().args(["--local", "apply", "--auto-approve"]).output().unwrap();
    let text = render(&out, t.path());
    assert_eq!(code(&out), 0, "{text}");
    assert!(text.contains("No changes. The org matches the manifests."), "{text}");
    assert_eq!(code(&t.gcsync().args(["--local", "plan", "--detailed-exitcode"]).output().unwrap()), 0);
    assert_eq!(code(&t.gcsync().args(["--local", "drift"]).output().unwrap()), 0);
    let out = t.gcsync().args(["--local", "state", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("FetchUserProfile\tcustom_-_"));
}

#[test]
fn without_credentials_the_error_names_the_variable() {
    let t = TestDir::new().with_repo_manifests();
    let out = t.gcsync().arg("plan").output().unwrap();
    assert_eq!(code(&out), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`GENESYS_CLOUD_CLIENT_ID` is not set"), "{err}");
    assert!(err.contains("--local"), "{err}");
}

/// Issue 13.11: the saved plan's hint runs exactly as printed — with `--local`, `-m` and
/// `--state` when the plan used them (before, `gcsync apply p.json` went to a real org).
#[test]
fn the_saved_plan_hint_runs_as_printed() {
    let t = TestDir::new().with_repo_manifests();
    let out = t
        .gcsync()
        .args(["--local", "plan", "-m", "manifests", "--state", "my state.json", "--out", "p.json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(code(&out), 0, "{text}");
    let hint = text
        .split("Apply exactly this plan with `")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .unwrap_or_else(|| panic!("no hint in {text}"));
    assert_eq!(hint, "gcsync --local apply -m manifests --state 'my state.json' p.json");
    // Run it as a shell would, with `gcsync` being this binary.
    let words: Vec<String> = shell_words(hint.strip_prefix("gcsync ").unwrap());
    let out = t.gcsync().args(&words).output().unwrap();
    let text = render(&out, t.path());
    assert_eq!(code(&out), 0, "{text}");
    assert!(text.contains("Apply complete: 2 added"), "{text}");
}

/// Splits a command line the way a POSIX shell splits words with single quotes.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut cur, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for ch in line.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(cur);
    }
    words
}
