//! Architect flows and dependency tracking in the emulator (issue 15): which flows consume which
//! data actions, as Genesys's dependency tracking reports it.
//!
//! Owns: the flow records ([`FlowRec`], persisted with the org as [`Architect`]), the dependency build
//! status, and the routes `GET /api/v2/flows`, `GET /api/v2/architect/dependencytracking/
//! consumingresources`, `GET|POST …/dependencytracking/build`, `GET …/deletedresourceconsumers`, plus
//! the admin routes `POST /__emulator/flows`, `DELETE /__emulator/flows/{id}` and
//! `PUT /__emulator/dependencytracking/build` ([`router`]).
//! Must not: touch actions, integrations or credentials (it only reads which action ids exist, to tell
//! deleted resources), implement faults (the gate does, by path prefix) or use gcsync's client.
//!
//! Model: a flow has a published and/or a checked-in version; both consume the same resources
//! (`consumes`: data actions, secure actions, common modules). Consumers are reported per flow version
//! and transitively through common modules (a flow calling a module that uses the action is listed too),
//! as the real service does. `POST …/build` completes the rebuild at once (status `OPERATIONAL`, no failed
//! objects); the admin route sets any status and failed objects, to test what clients do with an
//! incomplete answer.

// Handlers return early with a ready HTTP response; its size does not matter once per request.
#![allow(clippy::result_large_err)]

use super::App;
use super::routes::{authorize, bad_request, error, with_org};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Base path of dependency tracking.
pub const DEPENDENCY_BASE: &str = "/api/v2/architect/dependencytracking";

/// Largest page size the flow and dependency listings accept.
pub const MAX_PAGE_SIZE: usize = 500;

/// The permission dependency tracking needs to be read (named in 403s).
pub const VIEW_PERMISSION: &str = "architect:dependencyTracking:view";

/// Flow types (as `GET /api/v2/flows` writes them) the emulator accepts. The dependency type of a flow
/// is this with `FLOW` appended ([`dependency_type`]).
pub const FLOW_TYPES: &[&str] = &[
    "BOT",
    "BUSINESSPROCESS",
    "COMMONMODULE",
    "DIGITALBOT",
    "EMAILSEND",
    "INBOUNDCALL",
    "INBOUNDCHAT",
    "INBOUNDEMAIL",
    "INBOUNDSHORTMESSAGE",
    "INQUEUECALL",
    "INQUEUEEMAIL",
    "INQUEUESHORTMESSAGE",
    "OUTBOUNDCALL",
    "SECURECALL",
    "SURVEYINVITE",
    "VOICE",
    "VOICEMAIL",
    "VOICESURVEY",
    "WORKFLOW",
    "WORKITEM",
];

/// Resource types a flow may consume through the admin route.
pub const CONSUMED_TYPES: &[&str] = &["DATAACTION", "SECUREACTION", "COMMONMODULEFLOW"];

/// The dependency-tracking type of a flow type (`INBOUNDCALL` → `INBOUNDCALLFLOW`; `WORKFLOW` stays).
#[must_use]
pub fn dependency_type(flow_type: &str) -> String {
    if flow_type == "WORKFLOW" { flow_type.to_string() } else { format!("{flow_type}FLOW") }
}

/// One resource a flow consumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumed {
    /// The resource id (an action id, or a common module flow's id).
    pub id: String,
    /// `DATAACTION`, `SECUREACTION` or `COMMONMODULEFLOW`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// An Architect flow.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowRec {
    /// Id (a UUID).
    pub id: String,
    /// Name.
    pub name: String,
    /// Flow type as `GET /api/v2/flows` writes it (`INBOUNDCALL`, `COMMONMODULE`, …).
    pub flow_type: String,
    /// The published version (`"3.0"`), if the flow is published.
    pub published_version: Option<String>,
    /// The checked-in version (`"4.0"`), if any.
    pub checked_in_version: Option<String>,
    /// What the flow's versions consume.
    pub consumes: Vec<Consumed>,
}

/// One object the dependency build could not analyse (`FailedObject`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FailedObject {
    /// Id.
    pub id: String,
    /// Version.
    #[serde(default)]
    pub version: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Error code.
    #[serde(default)]
    pub error_code: Option<String>,
}

/// The dependency build (`DependencyStatus`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildState {
    /// Build id.
    pub build_id: String,
    /// `OPERATIONAL`, `BUILDINPROGRESS`, ….
    pub status: String,
    /// When the last build started (RFC 3339).
    pub date_started: String,
    /// When it completed.
    pub date_completed: Option<String>,
    /// Objects the build could not analyse.
    pub failed_objects: Vec<FailedObject>,
}

impl Default for BuildState {
    fn default() -> Self {
        BuildState {
            build_id: uuid::Uuid::new_v4().to_string(),
            status: "OPERATIONAL".into(),
            date_started: "2026-01-01T00:00:00.000Z".into(),
            date_completed: Some("2026-01-01T00:00:05.000Z".into()),
            failed_objects: Vec::new(),
        }
    }
}

/// Statuses `DependencyStatus.status` may take.
pub const BUILD_STATUSES: &[&str] = &[
    "BUILDINCOMPLETE",
    "BUILDINITIALIZING",
    "BUILDINPROGRESS",
    "BUILDQUEUED",
    "NOTBUILT",
    "OPERATIONAL",
    "OPERATIONALNEEDSREBUILD",
];

/// The Architect part of the org: flows by id and the dependency build (persisted with the org).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Architect {
    /// Flows by id.
    #[serde(default)]
    pub flows: BTreeMap<String, FlowRec>,
    /// The dependency build.
    #[serde(default)]
    pub build: BuildState,
}

/// Which flow versions a query looks at (`flowFilter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlowFilter {
    Both,
    Published,
    CheckedIn,
}

impl FlowFilter {
    fn parse(v: Option<&str>) -> Result<Self, Response> {
        match v {
            None | Some("") => Ok(FlowFilter::Both),
            Some("published") => Ok(FlowFilter::Published),
            Some("checkedIn") => Ok(FlowFilter::CheckedIn),
            Some(other) => Err(bad_request(&format!(
                "Value for flowFilter must be checkedIn or published, found '{other}'"
            ))),
        }
    }

    /// The versions of `f` this filter keeps.
    fn versions(self, f: &FlowRec) -> Vec<&str> {
        let mut out = Vec::new();
        if self != FlowFilter::CheckedIn
            && let Some(v) = &f.published_version
        {
            out.push(v.as_str());
        }
        if self != FlowFilter::Published
            && let Some(v) = &f.checked_in_version
            && !out.contains(&v.as_str())
        {
            out.push(v.as_str());
        }
        out
    }
}

impl Architect {
    /// The flows that consume `id` of `object_type`, directly or through common modules (each flow
    /// once, in id order).
    #[must_use]
    pub fn consumers_of(&self, id: &str, object_type: &str) -> Vec<&FlowRec> {
        let mut found: BTreeSet<&str> = BTreeSet::new();
        let mut targets: Vec<(String, String)> = vec![(id.to_string(), object_type.to_string())];
        while let Some((tid, ttype)) = targets.pop() {
            for f in self.flows.values() {
                if found.contains(f.id.as_str()) {
                    continue;
                }
                if f.consumes.iter().any(|c| c.id == tid && c.kind == ttype) {
                    found.insert(f.id.as_str());
                    if f.flow_type == "COMMONMODULE" {
                        targets.push((f.id.clone(), "COMMONMODULEFLOW".into()));
                    }
                }
            }
        }
        self.flows.values().filter(|f| found.contains(f.id.as_str())).collect()
    }
}

/// Routes of this module; merged into the emulator's router.
pub(super) fn router() -> Router<App> {
    Router::new()
        .route("/api/v2/flows", get(list_flows))
        .route(&format!("{DEPENDENCY_BASE}/consumingresources"), get(consuming_resources))
        .route(&format!("{DEPENDENCY_BASE}/build"), get(get_build).post(post_build))
        .route(&format!("{DEPENDENCY_BASE}/deletedresourceconsumers"), get(deleted_resource_consumers))
        .route("/__emulator/flows", post(admin_create_flow))
        .route("/__emulator/flows/{id}", delete(admin_delete_flow))
        .route("/__emulator/dependencytracking/build", axum::routing::put(admin_set_build))
}

// --- helpers -------------------------------------------------------------------------------

fn ok_json(status: StatusCode, v: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

/// The query as (name, value) pairs, repeated names kept (`type=A&type=B`).
fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn one<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// All values of a list parameter (repeated or comma-separated).
fn many(q: &[(String, String)], name: &str) -> Vec<String> {
    q.iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string))
        .collect()
}

/// The paging envelope over `entities`, or a 400 for a bad page size/number.
fn page(entities: Vec<Value>, q: &[(String, String)], base: &str) -> Result<Value, Response> {
    let size = match one(q, "pageSize") {
        None => 25,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(bad_request(&format!(
                    "Value for pageSize must be a whole number from 1 to {MAX_PAGE_SIZE}, found '{s}'"
                )));
            }
        },
    };
    let number = match one(q, "pageNumber") {
        None => 1,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(bad_request(&format!("Value for pageNumber must be 1 or more, found '{s}'"))),
        },
    };
    let total = entities.len();
    let page_count = total.div_ceil(size);
    let items: Vec<Value> = entities.into_iter().skip((number - 1).saturating_mul(size)).take(size).collect();
    let mut params: Vec<&(String, String)> =
        q.iter().filter(|(k, _)| k != "pageNumber" && k != "pageSize").collect();
    params.sort();
    let uri = |n: usize| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &params {
            s.append_pair(k, v);
        }
        s.append_pair("pageSize", &size.to_string());
        s.append_pair("pageNumber", &n.to_string());
        format!("{base}?{}", s.finish())
    };
    let mut m = Map::new();
    m.insert("entities".into(), Value::Array(items));
    m.insert("pageSize".into(), json!(size));
    m.insert("pageNumber".into(), json!(number));
    m.insert("total".into(), json!(total));
    m.insert("pageCount".into(), json!(page_count));
    m.insert("firstUri".into(), json!(uri(1)));
    m.insert("selfUri".into(), json!(uri(number)));
    m.insert("lastUri".into(), json!(uri(page_count.max(1))));
    if number < page_count {
        m.insert("nextUri".into(), json!(uri(number + 1)));
    }
    if number > 1 {
        m.insert("previousUri".into(), json!(uri(number - 1)));
    }
    Ok(Value::Object(m))
}

fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

// --- JSON views ----------------------------------------------------------------------------

fn flow_version_json(f: &FlowRec, version: &str, kind: &str) -> Value {
    json!({
        "id": version,
        "name": version,
        "commitVersion": version,
        "configurationVersion": version,
        "type": kind,
        "secure": f.flow_type == "SECURECALL",
        "debug": false,
        "dateCreated": 1_767_225_600_000_i64,
        "selfUri": format!("/api/v2/flows/{}/versions/{version}", f.id),
    })
}

/// The `Flow` JSON of `GET /api/v2/flows`.
#[must_use]
pub fn flow_json(f: &FlowRec) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(f.id));
    m.insert("name".into(), json!(f.name));
    m.insert(
        "division".into(),
        json!({"id": "00000000-0000-0000-0000-000000000000", "name": "Home", "selfUri": "/api/v2/authorization/divisions/00000000-0000-0000-0000-000000000000"}),
    );
    m.insert("type".into(), json!(f.flow_type));
    m.insert("active".into(), json!(f.published_version.is_some()));
    m.insert("system".into(), json!(false));
    m.insert("deleted".into(), json!(false));
    if let Some(v) = &f.published_version {
        m.insert("publishedVersion".into(), flow_version_json(f, v, "PUBLISH"));
    }
    if let Some(v) = &f.checked_in_version {
        m.insert("checkedInVersion".into(), flow_version_json(f, v, "CHECKIN"));
    }
    m.insert("selfUri".into(), json!(format!("/api/v2/flows/{}", f.id)));
    Value::Object(m)
}

/// A `Dependency`: one version of a flow.
fn dependency_json(f: &FlowRec, version: &str) -> Value {
    json!({
        "id": f.id,
        "name": f.name,
        "version": version,
        "type": dependency_type(&f.flow_type),
        "deleted": false,
        "updated": false,
        "stateUnknown": false,
        "selfUri": format!("/api/v2/flows/{}", f.id),
    })
}

// --- flows ---------------------------------------------------------------------------------

async fn list_flows(State(app): State<App>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let q = pairs(raw.as_deref());
    let types = many(&q, "type");
    let ids = many(&q, "id");
    let name = one(&q, "name").map(str::to_lowercase);
    let listed = with_org(&app, |o| {
        let mut flows: Vec<&FlowRec> = o
            .architect
            .flows
            .values()
            .filter(|f| types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case(&f.flow_type)))
            .filter(|f| ids.is_empty() || ids.contains(&f.id))
            .filter(|f| name.as_deref().is_none_or(|n| name_matches(n, &f.name)))
            .collect();
        flows.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
        if one(&q, "sortOrder").is_some_and(|s| s.eq_ignore_ascii_case("desc")) {
            flows.reverse();
        }
        (flows.into_iter().map(flow_json).collect::<Vec<Value>>(), false)
    });
    match listed.and_then(|e| page(e, &q, "/api/v2/flows")) {
        Ok(v) => ok_json(StatusCode::OK, &v),
        Err(r) => r,
    }
}

/// Genesys's flow name filter: case-insensitive, `*` as a wildcard; without one, a prefix match.
fn name_matches(pattern: &str, name: &str) -> bool {
    let name = name.to_lowercase();
    if !pattern.contains('*') {
        return name.starts_with(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name.as_str();
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else {
            let Some(at) = rest.find(part) else { return false };
            rest = &rest[at + part.len()..];
        }
    }
    parts.last().is_none_or(|l| l.is_empty() || name.ends_with(l))
}

// --- dependency tracking -------------------------------------------------------------------

async fn consuming_resources(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let q = pairs(raw.as_deref());
    let Some(id) = one(&q, "id").filter(|s| !s.is_empty()) else {
        return bad_request("Missing the required parameter 'id'");
    };
    let Some(object_type) = one(&q, "objectType").filter(|s| !s.is_empty()) else {
        return bad_request("Missing the required parameter 'objectType'");
    };
    let known_flow_type = FLOW_TYPES.iter().any(|t| dependency_type(t) == object_type);
    if !(object_type == "DATAACTION" || object_type == "SECUREACTION" || known_flow_type) {
        return bad_request(&format!(
            "Value for objectType '{object_type}' is not supported here; use DATAACTION, SECUREACTION or a flow type such as COMMONMODULEFLOW"
        ));
    }
    let filter = match FlowFilter::parse(one(&q, "flowFilter")) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let resource_types = many(&q, "resourceType");
    let listed = with_org(&app, |o| {
        let entities: Vec<Value> = o
            .architect
            .consumers_of(id, object_type)
            .into_iter()
            .filter(|f| {
                resource_types.is_empty()
                    || resource_types.iter().any(|t| t.eq_ignore_ascii_case(&dependency_type(&f.flow_type)))
            })
            .flat_map(|f| filter.versions(f).into_iter().map(|v| dependency_json(f, v)).collect::<Vec<_>>())
            .collect();
        (entities, false)
    });
    match listed.and_then(|e| page(e, &q, &format!("{DEPENDENCY_BASE}/consumingresources"))) {
        Ok(v) => ok_json(StatusCode::OK, &v),
        Err(r) => r,
    }
}

fn build_json(b: &BuildState) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(b.build_id));
    m.insert("buildId".into(), json!(b.build_id));
    m.insert("status".into(), json!(b.status));
    m.insert("dateStarted".into(), json!(b.date_started));
    if let Some(d) = &b.date_completed {
        m.insert("dateCompleted".into(), json!(d));
    }
    m.insert("failedObjects".into(), serde_json::to_value(&b.failed_objects).unwrap_or(Value::Array(vec![])));
    m.insert("selfUri".into(), json!(format!("{DEPENDENCY_BASE}/build")));
    Value::Object(m)
}

async fn get_build(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    match with_org(&app, |o| (build_json(&o.architect.build), false)) {
        Ok(v) => ok_json(StatusCode::OK, &v),
        Err(r) => r,
    }
}

async fn post_build(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let done = with_org(&app, |o| {
        let at = now();
        o.architect.build = BuildState {
            build_id: uuid::Uuid::new_v4().to_string(),
            status: "OPERATIONAL".into(),
            date_started: at.clone(),
            date_completed: Some(at),
            failed_objects: Vec::new(),
        };
        ((), true)
    });
    match done {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(r) => r,
    }
}

async fn deleted_resource_consumers(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(r) = authorize(&app, &headers) {
        return r;
    }
    let q = pairs(raw.as_deref());
    let filter = match FlowFilter::parse(one(&q, "flowFilter")) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let object_types = many(&q, "objectType");
    let consumed_types = many(&q, "consumedResourceType");
    let with_consumed = one(&q, "consumedResources") == Some("true");
    let name = one(&q, "name").map(str::to_lowercase);
    let listed = with_org(&app, |o| {
        let mut out = Vec::new();
        for f in o.architect.flows.values() {
            let gone: Vec<&Consumed> = f
                .consumes
                .iter()
                .filter(|c| consumed_types.is_empty() || consumed_types.contains(&c.kind))
                .filter(|c| match c.kind.as_str() {
                    "COMMONMODULEFLOW" => !o.architect.flows.contains_key(&c.id),
                    _ => !o.actions.contains_key(&c.id),
                })
                .collect();
            if gone.is_empty()
                || !(object_types.is_empty() || object_types.contains(&dependency_type(&f.flow_type)))
                || name.as_deref().is_some_and(|n| !name_matches(n, &f.name))
            {
                continue;
            }
            for v in filter.versions(f) {
                let mut obj = dependency_json(f, v);
                if with_consumed && let Value::Object(m) = &mut obj {
                    let consumed: Vec<Value> = gone
                        .iter()
                        .map(|c| {
                            json!({"id": c.id, "type": c.kind, "deleted": true, "updated": false, "stateUnknown": false})
                        })
                        .collect();
                    m.insert("consumedResources".into(), Value::Array(consumed));
                }
                out.push(obj);
            }
        }
        (out, false)
    });
    match listed.and_then(|e| page(e, &q, &format!("{DEPENDENCY_BASE}/deletedresourceconsumers"))) {
        Ok(v) => ok_json(StatusCode::OK, &v),
        Err(r) => r,
    }
}

// --- admin ---------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewFlow {
    name: String,
    #[serde(rename = "type")]
    flow_type: String,
    #[serde(default)]
    published_version: Option<Value>,
    #[serde(default)]
    checked_in_version: Option<Value>,
    #[serde(default)]
    consumes: Vec<Consumed>,
}

/// A version as given (`"3.0"`, or a number `3` → `"3.0"`).
fn version_of(v: Option<&Value>, field: &str) -> Result<Option<String>, Response> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) if n.is_u64() => Ok(Some(format!("{n}.0"))),
        Some(other) => Err(bad_request(&format!("{field} must be a version such as \"3.0\", found {other}"))),
    }
}

async fn admin_create_flow(State(app): State<App>, body: Bytes) -> Response {
    let new: NewFlow = match serde_json::from_slice(&body) {
        Ok(n) => n,
        Err(e) => {
            return bad_request(&format!(
                "a flow is {{\"name\", \"type\", \"publishedVersion\", \"checkedInVersion\", \"consumes\": [{{\"id\", \"type\"}}]}}: {e}"
            ));
        }
    };
    let upper = new.flow_type.to_ascii_uppercase();
    let Some(flow_type) = FLOW_TYPES.iter().find(|t| **t == upper || dependency_type(t) == upper) else {
        return bad_request(&format!(
            "unknown flow type '{}'; expected one of {}",
            new.flow_type,
            FLOW_TYPES.iter().map(|t| dependency_type(t)).collect::<Vec<_>>().join(", ")
        ));
    };
    if new.name.trim().is_empty() {
        return bad_request("a flow needs a non-empty name");
    }
    let published = match version_of(new.published_version.as_ref(), "publishedVersion") {
        Ok(v) => v,
        Err(r) => return r,
    };
    let checked_in = match version_of(new.checked_in_version.as_ref(), "checkedInVersion") {
        Ok(v) => v,
        Err(r) => return r,
    };
    if published.is_none() && checked_in.is_none() {
        return bad_request("a flow needs a publishedVersion, a checkedInVersion or both");
    }
    if let Some(c) = new.consumes.iter().find(|c| !CONSUMED_TYPES.contains(&c.kind.as_str())) {
        return bad_request(&format!(
            "consumes: unknown type '{}' for '{}'; expected {}",
            c.kind,
            c.id,
            CONSUMED_TYPES.join(", ")
        ));
    }
    let created = with_org(&app, |o| {
        if let Some(c) = new.consumes.iter().find(|c| {
            c.kind == "COMMONMODULEFLOW"
                && o.architect.flows.get(&c.id).is_none_or(|f| f.flow_type != "COMMONMODULE")
        }) {
            return (Err(bad_request(&format!("consumes: no common module flow with id '{}'", c.id))), false);
        }
        if o.architect
            .flows
            .values()
            .any(|f| f.flow_type == *flow_type && f.name.eq_ignore_ascii_case(&new.name))
        {
            return (
                Err(error(
                    StatusCode::CONFLICT,
                    "conflict",
                    &format!("a {flow_type} flow named '{}' already exists", new.name),
                )),
                false,
            );
        }
        let id = uuid::Uuid::new_v4().to_string();
        o.architect.flows.insert(
            id.clone(),
            FlowRec {
                id: id.clone(),
                name: new.name.clone(),
                flow_type: (*flow_type).to_string(),
                published_version: published.clone(),
                checked_in_version: checked_in.clone(),
                consumes: new.consumes.clone(),
            },
        );
        (Ok(id), true)
    });
    match created {
        Ok(Ok(id)) => ok_json(StatusCode::CREATED, &json!({"id": id})),
        Ok(Err(r)) | Err(r) => r,
    }
}

async fn admin_delete_flow(State(app): State<App>, Path(id): Path<String>) -> Response {
    match with_org(&app, |o| {
        let removed = o.architect.flows.remove(&id).is_some();
        (removed, removed)
    }) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => error(StatusCode::NOT_FOUND, "not.found", &format!("flow '{id}' not found")),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetBuild {
    status: String,
    #[serde(default)]
    failed_objects: Vec<FailedObject>,
}

async fn admin_set_build(State(app): State<App>, body: Bytes) -> Response {
    let set: SetBuild = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return bad_request(&format!(
                "the build is {{\"status\", \"failedObjects\": [{{\"id\", \"name\", \"version\", \"errorCode\"}}]}}: {e}"
            ));
        }
    };
    if !BUILD_STATUSES.contains(&set.status.as_str()) {
        return bad_request(&format!(
            "unknown build status '{}'; expected one of {}",
            set.status,
            BUILD_STATUSES.join(", ")
        ));
    }
    let done = with_org(&app, |o| {
        let at = now();
        let completed = !matches!(
            set.status.as_str(),
            "BUILDINITIALIZING" | "BUILDINPROGRESS" | "BUILDQUEUED" | "NOTBUILT"
        );
        o.architect.build = BuildState {
            build_id: uuid::Uuid::new_v4().to_string(),
            status: set.status.clone(),
            date_started: at.clone(),
            date_completed: completed.then_some(at),
            failed_objects: set.failed_objects.clone(),
        };
        (build_json(&o.architect.build), true)
    });
    match done {
        Ok(v) => ok_json(StatusCode::OK, &v),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(id: &str, t: &str, p: Option<&str>, c: Option<&str>, consumes: &[(&str, &str)]) -> FlowRec {
        FlowRec {
            id: id.into(),
            name: format!("flow {id}"),
            flow_type: t.into(),
            published_version: p.map(Into::into),
            checked_in_version: c.map(Into::into),
            consumes: consumes.iter().map(|(i, k)| Consumed { id: (*i).into(), kind: (*k).into() }).collect(),
        }
    }

    #[test]
    fn consumers_are_transitive_through_common_modules() {
        let mut a = Architect::default();
        for f in [
            flow("m1", "COMMONMODULE", Some("1.0"), None, &[("act", "DATAACTION")]),
            flow("m2", "COMMONMODULE", Some("1.0"), None, &[("m1", "COMMONMODULEFLOW")]),
            flow("ivr", "INBOUNDCALL", Some("2.0"), None, &[("m2", "COMMONMODULEFLOW")]),
            flow("chat", "INBOUNDCHAT", Some("1.0"), None, &[("other", "DATAACTION")]),
            flow("sec", "INBOUNDCALL", Some("1.0"), None, &[("act", "SECUREACTION")]),
        ] {
            a.flows.insert(f.id.clone(), f);
        }
        let ids: Vec<&str> = a.consumers_of("act", "DATAACTION").iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["ivr", "m1", "m2"]);
        let ids: Vec<&str> = a.consumers_of("act", "SECUREACTION").iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["sec"]);
        assert!(a.consumers_of("nobody", "DATAACTION").is_empty());
    }

    #[test]
    fn flow_filter_picks_versions_without_duplicates() {
        let f = flow("f", "INBOUNDCALL", Some("3.0"), Some("4.0"), &[]);
        assert_eq!(FlowFilter::Both.versions(&f), ["3.0", "4.0"]);
        assert_eq!(FlowFilter::Published.versions(&f), ["3.0"]);
        assert_eq!(FlowFilter::CheckedIn.versions(&f), ["4.0"]);
        let same = flow("f", "INBOUNDCALL", Some("3.0"), Some("3.0"), &[]);
        assert_eq!(FlowFilter::Both.versions(&same), ["3.0"]);
    }

    #[test]
    fn dependency_types_follow_genesys() {
        assert_eq!(dependency_type("INBOUNDCALL"), "INBOUNDCALLFLOW");
        assert_eq!(dependency_type("COMMONMODULE"), "COMMONMODULEFLOW");
        assert_eq!(dependency_type("WORKFLOW"), "WORKFLOW");
    }

    #[test]
    fn name_filter_wildcards() {
        assert!(name_matches("main", "Main IVR"));
        assert!(name_matches("*ivr", "Main IVR"));
        assert!(name_matches("m*r", "Main IVR"));
        assert!(!name_matches("ivr", "Main IVR"));
        assert!(!name_matches("*chat*", "Main IVR"));
    }
}
