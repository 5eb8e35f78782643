//! `gcsync usage`: which Architect flows use each action, against the emulator's dependency tracking.

use crate::assert_snapshot;
use crate::common::{code, render};
use crate::flows::Env;
use serde_json::{Value, json};

fn action_yaml(name: &str) -> String {
    format!(
        "kind: DataAction\nname: {name}\nintegration: Profile API\ntimeoutSeconds: 10\nrequest:\n  method: GET\n  url: https://api.example.com/users/$esc.url(${{input.userId}})\n  headers:\n    Accept: application/json\ninputs:\n  userId: {{type: string, required: true}}\noutputs:\n  fullName:\n    type: string\n    from: $.name\n"
    )
}

#[test]
fn usage_lists_consuming_flows_and_unused_actions() {
    let e = Env::new();
    e.dir.write("manifests/a.yaml", action_yaml("FetchUserProfile"));
    e.dir.write("manifests/b.yaml", action_yaml("LookupOrder"));
    e.dir.write("manifests/c.yaml", action_yaml("Forgotten"));
    e.ok(&["apply", "--auto-approve"]);
    let profile = e.id_of("FetchUserProfile");
    let order = e.id_of("LookupOrder");
    let module = e.seed_flow(json!({"name": "Customer lookup", "type": "COMMONMODULEFLOW", "publishedVersion": "2.0", "consumes": [{"id": profile, "type": "DATAACTION"}]}));
    e.seed_flow(json!({"name": "Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "3.0", "checkedInVersion": "4.0", "consumes": [{"id": module, "type": "COMMONMODULEFLOW"}]}));
    e.seed_flow(json!({"name": "Orders chat", "type": "INBOUNDCHATFLOW", "checkedInVersion": "1.0", "consumes": [{"id": order, "type": "DATAACTION"}]}));

    e.emu.clear_requests();
    assert_snapshot!("usage_all_human", e.snap(&["usage", "--all"]));
    let api_calls =
        e.emu.requests().iter().filter(|r| r["path"].as_str().unwrap().starts_with("/api/")).count();
    assert_eq!(api_calls, 1 + 1 + 1 + 2 * 3, "org check, action list, build check, two queries per action");
    assert_snapshot!("usage_one_json", e.snap(&["usage", "FetchUserProfile", "--json"]));
    let out = e.run(&["usage", "--all", "--json"]);
    assert_eq!(code(&out), 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let unused: Vec<&str> = v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["unused"] == true)
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(unused, ["Forgotten"]);
    assert_eq!(v["complete"], true);

    // Bad input: an unknown name, and no name at all.
    let out = e.run(&["usage", "NoSuchAction"]);
    assert_eq!(code(&out), 1);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no action named `NoSuchAction` in the state or in the org"),
        "{}",
        render(&out, e.dir.path())
    );
    assert_eq!(code(&e.run(&["usage"])), 1, "a name or --all is required");
}

#[test]
fn usage_says_when_the_answer_is_incomplete() {
    let e = Env::new();
    e.dir.write("manifests/a.yaml", action_yaml("FetchUserProfile"));
    e.ok(&["apply", "--auto-approve"]);
    e.set_build(json!({"status": "BUILDINPROGRESS", "failedObjects": [{"id": "flow-9"}]}));
    assert_snapshot!("usage_incomplete_build_human", e.snap(&["usage", "FetchUserProfile"]));
    e.set_build(json!({"status": "OPERATIONAL"}));
    e.emu.set_faults(&["403 path=/api/v2/architect/dependencytracking/consumingresources"]);
    assert_snapshot!("usage_forbidden_human", e.snap(&["usage", "FetchUserProfile"]));
    let out = e.run(&["usage", "FetchUserProfile", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["complete"].as_bool(), v["actions"][0]["unused"].as_bool()),
        (Some(false), Some(false)),
        "never a silent 'unused'"
    );
}
