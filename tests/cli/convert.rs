//! `convert`: Genesys action JSON → manifests, and back through `render`.

use crate::common::{TestDir, code, run};
use insta::assert_snapshot;

const EXPORT: &str = r#"{
  "name": "Get Order Status",
  "integrationType": "custom-rest-actions",
  "actionType": "custom",
  "config": {
    "request": {
      "requestUrlTemplate": "https://api.example.com/orders/$esc.url(${input.orderId})",
      "requestType": "GET",
      "headers": { "Accept": "application/json", "UserAgent": "PureCloudIntegrations/1.0" },
      "requestTemplate": "${input.rawRequest}"
    },
    "response": {
      "translationMap": { "status": "$.status", "eta": "$.delivery.eta" },
      "translationMapDefaults": { "eta": "\"unknown\"" },
      "successTemplate": "{\r\n  \"status\": ${status},\r\n  \"eta\": ${eta}\r\n}"
    }
  },
  "contract": {
    "input": { "inputSchema": { "$schema": "http://json-schema.org/draft-04/schema#", "title": "Request", "type": "object",
      "required": ["orderId"], "properties": { "orderId": { "type": "string" } }, "additionalProperties": true } },
    "output": { "successSchema": { "$schema": "http://json-schema.org/draft-04/schema#", "title": "Response", "type": "object",
      "properties": { "status": { "type": "string" }, "eta": { "type": "string" } }, "additionalProperties": true } }
  },
  "secure": false
}"#;

#[test]
fn convert_ui_export_to_stdout() {
    let t = TestDir::new();
    t.write("order.json", EXPORT);
    assert_snapshot!(run(
        t.gcsync().args(["convert", "order.json", "--integration", "Orders API"]),
        t.path()
    ));
}

#[test]
fn convert_then_render_gives_the_same_action() {
    let t = TestDir::new();
    t.write("order.json", EXPORT);
    let out = t
        .gcsync()
        .args(["convert", "order.json", "-o", "m", "--integration", "Orders API"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let out = t.gcsync().args(["render", "Get Order Status", "-m", "m"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let rendered: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let original: serde_json::Value = serde_json::from_str(EXPORT).unwrap();
    assert_eq!(rendered["config"], original["config"]);
    assert_eq!(rendered["contract"], original["contract"]);
    assert_eq!(
        rendered["config"]["response"]["successTemplate"].as_str().unwrap(),
        "{\r\n  \"status\": ${status},\r\n  \"eta\": ${eta}\r\n}"
    );
    // Running again without --force refuses to overwrite, and says nothing was written.
    assert_snapshot!(run(t.gcsync().args(["convert", "order.json", "-o", "m"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    warning: order.json (`Get Order Status`): integration set to `Web Services Data Actions` (the JSON names none); pass --integration to choose
    error: `m/get-order-status.yaml` already exists; `Get Order Status` not written

    hint: pass --force to overwrite it, or write into another directory with -o
    error: 0 of 1 action written: 1 skipped (file exists)
    ");
    let out = t.gcsync().args(["convert", "order.json", "-o", "m", "--force"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn convert_api_shape_strips_org_fields_and_refuses_uri_only_templates() {
    let t = TestDir::new();
    let mut v: serde_json::Value = serde_json::from_str(EXPORT).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("integrationType");
    o.remove("actionType");
    o.insert("id".into(), "custom_-_3f1c".into());
    o.insert("integrationId".into(), "9c2e".into());
    o.insert("version".into(), 4.into());
    o.insert("category".into(), "Orders".into());
    o.insert("selfUri".into(), "/api/v2/integrations/actions/custom_-_3f1c".into());
    t.write("api.json", serde_json::to_string(&v).unwrap());
    let out = t.gcsync().args(["convert", "api.json", "--integration", "Orders API"]).output().unwrap();
    assert_eq!(code(&out), 0);
    let yaml = String::from_utf8_lossy(&out.stdout);
    assert!(yaml.contains("category: Orders"), "{yaml}");
    for org in ["custom_-_3f1c", "9c2e", "selfUri", "version"] {
        assert!(!yaml.contains(org), "{org} leaked into {yaml}");
    }
    v["config"]["response"].as_object_mut().unwrap().remove("successTemplate");
    v["config"]["response"]["successTemplateUri"] =
        "/api/v2/integrations/actions/custom_-_3f1c/templates/successtemplate.vm".into();
    t.write("uri.json", serde_json::to_string(&v).unwrap());
    assert_snapshot!(run(t.gcsync().args(["convert", "uri.json"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    error: uri.json: `successTemplate` is only present as a URI (`successTemplateUri`); refusing to write an empty template
    error: 0 of 1 action converted: 1 could not be converted
    ");
}

#[test]
fn convert_bad_json_names_the_place() {
    let t = TestDir::new();
    t.write("bad.json", "{\n  \"name\": \"x\",\n  \"config\": {,\n}");
    assert_snapshot!(run(t.gcsync().args(["convert", "bad.json"]), t.path()), @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    error: bad.json: not valid JSON at line 3, column 14: key must be a string
    error: 0 of 0 actions converted: 1 file could not be read as actions
    ");
}

#[test]
fn convert_refuses_two_actions_with_one_name() {
    let t = TestDir::new();
    t.write("a.json", EXPORT);
    t.write("b.json", EXPORT);
    assert_snapshot!(
        run(t.gcsync().args(["convert", "a.json", "b.json", "-o", "d", "--integration", "Orders API"]), t.path()),
        @r"
    exit: 1
    ----- stdout -----
    ----- stderr -----
    error: b.json: action `Get Order Status` has the same name as an action converted from `a.json`; not converted

    hint: action names must be unique; rename one of them in its JSON (or convert them separately) and run again
    wrote d/get-order-status.yaml (raw form)
    error: 1 of 2 actions written: 1 skipped (duplicate name)
    "
    );
    assert_eq!(std::fs::read_dir(t.path().join("d")).unwrap().count(), 1);
    let out = t.gcsync().args(["validate", "-m", "d"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    // To stdout too: the stream would not validate.
    let out =
        t.gcsync().args(["convert", "a.json", "a.json", "--integration", "Orders API"]).output().unwrap();
    assert_eq!(code(&out), 1);
    assert_eq!(String::from_utf8_lossy(&out.stdout).matches("kind: DataAction").count(), 1);
}

#[test]
fn convert_names_every_dropped_field() {
    let t = TestDir::new();
    let mut v: serde_json::Value = serde_json::from_str(EXPORT).unwrap();
    v["config"]["request"]["newReqField"] = "x".into();
    v["config"]["retries"] = 3.into();
    v["contract"]["input"]["x"] = serde_json::json!({});
    t.write("extra.json", serde_json::to_string(&v).unwrap());
    let out = t.gcsync().args(["convert", "extra.json", "--integration", "Orders API"]).output().unwrap();
    assert_eq!(code(&out), 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dropped `config.retries`, `config.request.newReqField`, `contract.input.x`: Genesys's action config and contract have no such fields (the API ignores them)"),
        "{err}"
    );
    // Empty inputs are errors, not silence.
    t.write("empty.json", "");
    t.write("none.json", "[]");
    for f in ["empty.json", "none.json"] {
        let out = t.gcsync().args(["convert", f]).output().unwrap();
        assert_eq!(code(&out), 1, "{f}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("{f}: not a Genesys data action")),
            "{f}"
        );
    }
}
