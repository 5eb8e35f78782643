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
