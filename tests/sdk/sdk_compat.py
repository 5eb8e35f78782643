#!/usr/bin/env python3
"""Proof of fidelity: the official Genesys Cloud Python SDK (PureCloudPlatformClientV2) must work
against the gcsync emulator.

Run:  python sdk_compat.py
Env:  GCSYNC_EMULATOR_URL          e.g. http://127.0.0.1:41234   (required)
      GENESYS_CLOUD_CLIENT_ID      (required)
      GENESYS_CLOUD_CLIENT_SECRET  (required)
      GCSYNC_INTEGRATION_ID        optional: an existing custom-rest-actions integration id.
                                   If absent, one is found (by type) or created.

Prints "ok <step>" per passed step, "FAIL <step>: <why>" on the first failure, then a closing
"N passed, N failed" line. Exit code 0 only if every step passed.
Uses only the standard library and the SDK.
"""
import json
import os
import sys
import time
import uuid

EMU_URL = os.environ.get("GCSYNC_EMULATOR_URL", "").rstrip("/")
CLIENT_ID = os.environ.get("GENESYS_CLOUD_CLIENT_ID", "")
CLIENT_SECRET = os.environ.get("GENESYS_CLOUD_CLIENT_SECRET", "")
INTEGRATION_ID = os.environ.get("GCSYNC_INTEGRATION_ID", "").strip()

INTEGRATION_NAME = "gcsync sdk-compat"
DRAFT04 = "http://json-schema.org/draft-04/schema#"
RUN_ID = uuid.uuid4().hex[:10]
# Spaces on purpose: the SDK form-encodes query strings (space -> '+'), the server must decode that.
NAME_PREFIX = f"gcsync sdk-compat {RUN_ID}"
ACTION_NAME = f"{NAME_PREFIX} FetchUserProfile"
SECOND_NAME = f"{NAME_PREFIX} FetchUserProfile Copy"
CATEGORY = "gcsync sdk-compat"
CATEGORY_PATCHED = "gcsync sdk-compat patched"

URL_TEMPLATE = "${input.apiEndpoint}/$esc.url(${input.userId})"
REQUEST_TEMPLATE = "${input.rawRequest}"
SUCCESS_TEMPLATE = '{"fullName": ${fullName}, "email": ${email}, "companyName": ${companyName}}'
TRANSLATION_MAP = {"fullName": "$.name", "email": "$.email", "companyName": "$.company.name"}
HEADERS = {"Accept": "application/json"}
INPUT_PROPS = {
    "apiEndpoint": {"type": "string", "description": "Base URL of the user service"},
    "userId": {"type": "string", "description": "User id"},
}
OUTPUT_PROPS = {
    "fullName": {"type": "string"},
    "email": {"type": "string"},
    "companyName": {"type": "string"},
}


class StepFailed(Exception):
    pass


def mk(cls, **kw):
    """SDK models have no keyword constructor: instantiate, then set attributes."""
    obj = cls()
    for k, v in kw.items():
        check(k in obj.swagger_types, f"{cls.__name__} has no attribute {k!r}")
        setattr(obj, k, v)
    return obj


PASSED = []
CREATED_ACTION_IDS = []  # best-effort cleanup if a step fails midway


def check(cond, msg):
    if not cond:
        raise StepFailed(msg)


def step(name, fn, *args):
    try:
        result = fn(*args)
    except StepFailed as e:
        fail(name, str(e))
    except ApiException as e:  # noqa: F821 (imported in main)
        fail(name, f"unexpected ApiException status={e.status} reason={e.reason!r} body={e.body!r}")
    except Exception as e:
        fail(name, f"unexpected {type(e).__name__}: {e}")
    PASSED.append(name)
    print(f"ok {name}", flush=True)
    return result


def fail(name, why):
    print(f"FAIL {name}: {why}", flush=True)
    cleanup()
    print(f"{len(PASSED)} passed, 1 failed", flush=True)
    sys.exit(1)


def cleanup():
    api = GLOBAL.get("api")
    if api is None:
        return
    for aid in list(CREATED_ACTION_IDS):
        for fn in (api.delete_integrations_action, api.delete_integrations_action_draft):
            try:
                fn(aid)
            except Exception:
                pass


GLOBAL = {}


# ---------------------------------------------------------------------------------------------
# helpers

def expect_api_error(fn, statuses, what):
    """Call fn(); it must raise ApiException with a status in `statuses`. Returns the exception."""
    try:
        res = fn()
    except ApiException as e:  # noqa: F821
        check(e.status in statuses,
              f"{what}: expected HTTP {'/'.join(map(str, statuses))}, got {e.status} "
              f"(reason={e.reason!r}, body={e.body!r})")
        return e
    raise StepFailed(f"{what}: expected ApiException {statuses}, call succeeded and returned {res!r}")


def header(e, name):
    h = e.headers or {}
    for k, v in dict(h).items():
        if k.lower() == name.lower():
            return v
    return None


def check_error_body(e, status, what):
    """The body of a Platform API error must be Genesys ErrorBody JSON."""
    ctype = header(e, "Content-Type") or ""
    check("json" in ctype.lower(), f"{what}: error Content-Type must be JSON, got {ctype!r}")
    try:
        body = json.loads(e.body)
    except (TypeError, ValueError):
        raise StepFailed(f"{what}: error body is not JSON: {e.body!r}")
    check(isinstance(body, dict), f"{what}: error body must be a JSON object: {body!r}")
    check(isinstance(body.get("message"), str) and body["message"],
          f"{what}: ErrorBody.message must be a non-empty string: {body!r}")
    check(isinstance(body.get("code"), str) and body["code"],
          f"{what}: ErrorBody.code must be a non-empty string: {body!r}")
    check(type(body.get("status")) is int and body["status"] == status,
          f"{what}: ErrorBody.status must be the integer {status}: {body!r}")
    check(isinstance(body.get("contextId"), str) and body["contextId"],
          f"{what}: ErrorBody.contextId must be a non-empty string: {body!r}")
    for k in ("details", "errors"):
        if k in body:
            check(isinstance(body[k], list), f"{what}: ErrorBody.{k} must be a list: {body!r}")
    if "messageParams" in body:
        check(isinstance(body["messageParams"], dict),
              f"{what}: ErrorBody.messageParams must be an object: {body!r}")
    # The SDK model must accept it too (this is how SDK users parse error bodies).
    model = GLOBAL["api_client"].deserialize(_FakeResp(e.body), "ErrorBody")
    check(model.status == status and model.code == body["code"],
          f"{what}: ErrorBody did not deserialize into the SDK model: {model!r}")
    return body


class _FakeResp:
    def __init__(self, data):
        self.data = data

    def getheader(self, name, default=None):
        return "application/json" if name.lower() == "content-type" else default


def schema_doc(props, required, title):
    kw = {"required": list(required)} if required else {}  # draft-04: "required" must not be []
    return mk(models.JsonSchemaDocument,  # noqa: F821
              schema=DRAFT04, title=title, type="object",
              properties=json.loads(json.dumps(props)), additional_properties=True, **kw)


def action_config(timeout=10, headers=None):
    return mk(models.ActionConfig,  # noqa: F821
        timeout_seconds=timeout,
        request=mk(models.RequestConfig,  # noqa: F821
            request_url_template=URL_TEMPLATE, request_type="GET",
            headers=dict(headers if headers is not None else HEADERS),
            request_template=REQUEST_TEMPLATE),
        response=mk(models.ResponseConfig,  # noqa: F821
            translation_map=dict(TRANSLATION_MAP), translation_map_defaults={},
            success_template=SUCCESS_TEMPLATE))


def action_contract(input_props=None, required=("apiEndpoint", "userId")):
    return mk(models.ActionContractInput,  # noqa: F821
        input=mk(models.PostInputContract,  # noqa: F821
            input_schema=schema_doc(input_props or INPUT_PROPS, required, "Request")),
        output=mk(models.PostOutputContract,  # noqa: F821
            success_schema=schema_doc(OUTPUT_PROPS, (), "Response")))


def post_action_input(name, integration_id, headers=None, input_props=None, required=None):
    kw = {}
    if required is not None:
        kw["required"] = required
    return mk(models.PostActionInput,  # noqa: F821
        name=name, category=CATEGORY, integration_id=integration_id, secure=False,
        config=action_config(headers=headers), contract=action_contract(input_props, **kw))


def check_action_basics(a, what, name, integration_id, category=None):
    check(isinstance(a, models.Action), f"{what}: expected Action model, got {type(a)}")  # noqa: F821
    check(isinstance(a.id, str) and a.id, f"{what}: Action.id must be a non-empty string: {a.id!r}")
    check(a.name == name, f"{what}: Action.name {a.name!r} != {name!r}")
    check(a.integration_id == integration_id,
          f"{what}: Action.integrationId {a.integration_id!r} != {integration_id!r}")
    if category is not None:
        check(a.category == category, f"{what}: Action.category {a.category!r} != {category!r}")
    check(type(a.version) is int and a.version >= 1,
          f"{what}: Action.version must be an integer >= 1, got {a.version!r}")
    check(a.secure is False, f"{what}: Action.secure must be boolean false, got {a.secure!r}")


# ---------------------------------------------------------------------------------------------
# steps

def s_bad_credentials():
    c = ApiClient(host=EMU_URL)  # noqa: F821
    e = expect_api_error(lambda: c.get_client_credentials_token(CLIENT_ID, CLIENT_SECRET + "-wrong"),
                         (401, 400), "client credentials with a wrong secret")
    check(c.access_token == "", "a failed token request must not leave an access token set")
    try:
        body = json.loads(e.body)
    except (TypeError, ValueError):
        raise StepFailed(f"token error body is not JSON: {e.body!r}")
    check(isinstance(body, dict) and isinstance(body.get("error"), str),
          f"token error body must be an OAuth error object with 'error': {body!r}")


def s_authenticate():
    c = ApiClient(host=EMU_URL)  # noqa: F821
    res = c.get_client_credentials_token(CLIENT_ID, CLIENT_SECRET)
    check(res is c, "get_client_credentials_token must return the ApiClient itself")
    check(isinstance(c.access_token, str) and len(c.access_token) >= 8,
          f"access_token must be a non-empty string, got {c.access_token!r}")
    GLOBAL["api_client"] = c
    GLOBAL["api"] = IntegrationsApi(c)  # noqa: F821


def s_bad_token():
    c = ApiClient(host=EMU_URL)  # noqa: F821
    c.access_token = "not-a-valid-token-" + RUN_ID
    e = expect_api_error(lambda: IntegrationsApi(c).get_integrations_actions(page_size=1),  # noqa: F821
                         (401,), "API call with an invalid bearer token")
    check_error_body(e, 401, "401 for invalid bearer token")


def s_integration():
    api = GLOBAL["api"]
    if INTEGRATION_ID:
        i = api.get_integration(INTEGRATION_ID)
        check(i.id == INTEGRATION_ID, f"get_integration returned id {i.id!r}")
        check(i.integration_type is not None and i.integration_type.id == "custom-rest-actions",
              f"GCSYNC_INTEGRATION_ID must be a custom-rest-actions integration, got type "
              f"{getattr(i.integration_type, 'id', None)!r}")
        return i.id
    found, any_rest = None, None
    page = 1
    while page <= 50:
        lst = api.get_integrations(page_size=100, page_number=page)
        check(isinstance(lst, models.IntegrationEntityListing),  # noqa: F821
              f"get_integrations must return IntegrationEntityListing, got {type(lst)}")
        for i in lst.entities or []:
            if i.integration_type is not None and i.integration_type.id == "custom-rest-actions":
                any_rest = any_rest or i
                if i.name == INTEGRATION_NAME:
                    found = i
        if found or not lst.page_count or page >= lst.page_count:
            break
        page += 1
    chosen = found or any_rest
    if chosen is not None:
        return chosen.id
    body = mk(models.CreateIntegrationRequest,  # noqa: F821
        name=INTEGRATION_NAME, integration_type=mk(models.IntegrationType, id="custom-rest-actions"))  # noqa: F821
    i = api.post_integrations(body=body)
    check(isinstance(i, models.Integration) and isinstance(i.id, str) and i.id,  # noqa: F821
          f"post_integrations must return an Integration with an id, got {i!r}")
    check(i.integration_type is not None and i.integration_type.id == "custom-rest-actions",
          f"created integration has type {getattr(i.integration_type, 'id', None)!r}")
    check(i.intended_state != "outdated_sdk_version",
          f"Integration.intendedState must be one of ENABLED/DISABLED/DELETED/RESTORED")
    return i.id


def s_create_draft(integration_id):
    api = GLOBAL["api"]
    a = api.post_integrations_actions_drafts(post_action_input(ACTION_NAME, integration_id))
    check_action_basics(a, "post_integrations_actions_drafts", ACTION_NAME, integration_id, CATEGORY)
    CREATED_ACTION_IDS.append(a.id)
    return a


def s_get_draft(draft, integration_id):
    api = GLOBAL["api"]
    d = api.get_integrations_action_draft(draft.id, expand="contract", include_config=True)
    check_action_basics(d, "get_integrations_action_draft", ACTION_NAME, integration_id, CATEGORY)
    check(d.id == draft.id, f"draft id changed: {d.id!r} != {draft.id!r}")
    check(d.version == draft.version, f"draft version {d.version} != create response {draft.version}")
    check(d.config is not None and d.config.timeout_seconds == 10,
          f"draft config.timeoutSeconds must be 10, got {getattr(d.config, 'timeout_seconds', None)!r}")
    check(d.contract is not None and d.contract.input is not None
          and d.contract.input.input_schema is not None,
          "draft contract.input.inputSchema missing with expand=contract")
    return d


def s_patch_draft(draft):
    api = GLOBAL["api"]
    old = draft.version
    body = mk(models.UpdateDraftInput,  # noqa: F821
        name=ACTION_NAME, category=CATEGORY_PATCHED, config=action_config(timeout=20),
        contract=action_contract(), secure=False, version=old)
    a = api.patch_integrations_action_draft(draft.id, body)
    check(isinstance(a, models.Action), f"patch must return Action, got {type(a)}")  # noqa: F821
    check(a.id == draft.id, f"patched draft id {a.id!r} != {draft.id!r}")
    check(type(a.version) is int and a.version > old,
          f"draft version must increase after PATCH: before {old}, after {a.version!r}")
    check(a.category == CATEGORY_PATCHED, f"category not patched: {a.category!r}")
    again = api.get_integrations_action_draft(draft.id, include_config=True)
    check(again.version == a.version, f"GET draft version {again.version} != PATCH result {a.version}")
    check(again.category == CATEGORY_PATCHED, f"GET draft category {again.category!r} after PATCH")
    check(again.config is not None and again.config.timeout_seconds == 20,
          f"GET draft timeoutSeconds must be 20 after PATCH, got "
          f"{getattr(again.config, 'timeout_seconds', None)!r}")
    return a


def s_patch_stale(draft, stale_version):
    api = GLOBAL["api"]
    body = mk(models.UpdateDraftInput, name=ACTION_NAME, category=CATEGORY_PATCHED,  # noqa: F821
                                   version=stale_version)
    e = expect_api_error(lambda: api.patch_integrations_action_draft(draft.id, body), (409, 400),
                         "PATCH draft with a stale version")
    check_error_body(e, e.status, "stale version error")


def s_validate(draft):
    api = GLOBAL["api"]
    r = api.get_integrations_action_draft_validation(draft.id)
    check(isinstance(r, models.DraftValidationResult),  # noqa: F821
          f"expected DraftValidationResult, got {type(r)}")
    check(r.valid is True, f"draft must be valid (boolean true), got valid={r.valid!r} errors={r.errors!r}")
    check(not r.errors, f"valid draft must have no errors, got {r.errors!r}")


def s_publish(draft, integration_id):
    api = GLOBAL["api"]
    a = api.post_integrations_action_draft_publish(draft.id, mk(models.PublishDraftInput, version=draft.version))  # noqa: F821
    check_action_basics(a, "post_integrations_action_draft_publish", ACTION_NAME, integration_id,
                        CATEGORY_PATCHED)
    check(a.id == draft.id, f"published id {a.id!r} != draft id {draft.id!r}")
    return a


def s_create_published(integration_id):
    api = GLOBAL["api"]
    a = api.post_integrations_actions(post_action_input(SECOND_NAME, integration_id))
    check_action_basics(a, "post_integrations_actions", SECOND_NAME, integration_id, CATEGORY)
    CREATED_ACTION_IDS.append(a.id)
    return a


def s_list(action_id):
    api = GLOBAL["api"]
    lst = api.get_integrations_actions(page_size=100, name=ACTION_NAME)
    check(isinstance(lst, models.ActionEntityListing),  # noqa: F821
          f"expected ActionEntityListing, got {type(lst)}")
    check(isinstance(lst.entities, list), f"entities must be a list, got {lst.entities!r}")
    exact = [a for a in lst.entities if a.name == ACTION_NAME]
    check(len(exact) == 1, f"expected exactly one action named {ACTION_NAME!r}, got "
          f"{[(a.id, a.name) for a in lst.entities]}")
    check(exact[0].id == action_id, f"listed id {exact[0].id!r} != {action_id!r}")
    check(exact[0].category == CATEGORY_PATCHED, f"listed category {exact[0].category!r}")
    check(type(exact[0].version) is int, f"listed version must be int: {exact[0].version!r}")
    # name filter is partial: the Copy action also matches ACTION_NAME as a prefix
    names = sorted(a.name for a in lst.entities)
    check(SECOND_NAME in names, f"name filter must match partial names; got {names}")
    check(lst.page_number == 1 and lst.page_size == 100,
          f"paging echo: pageNumber={lst.page_number!r} pageSize={lst.page_size!r}")


def s_paging(ids):
    api = GLOBAL["api"]
    seen, page, total = [], 1, None
    while True:
        lst = api.get_integrations_actions(page_size=1, page_number=page, name=NAME_PREFIX,
                                           sort_by="name", sort_order="ASC")
        check(isinstance(lst, models.ActionEntityListing), f"page {page}: wrong type {type(lst)}")  # noqa: F821
        check(lst.page_size == 1, f"page {page}: pageSize must echo 1, got {lst.page_size!r}")
        check(lst.page_number == page, f"page {page}: pageNumber must echo {page}, got {lst.page_number!r}")
        check(type(lst.total) is int and lst.total == 2,
              f"page {page}: total must be 2 for prefix {NAME_PREFIX!r}, got {lst.total!r}")
        check(type(lst.page_count) is int and lst.page_count == 2,
              f"page {page}: pageCount must be 2, got {lst.page_count!r}")
        check(isinstance(lst.entities, list) and len(lst.entities) == 1,
              f"page {page}: expected 1 entity, got {lst.entities!r}")
        for k in ("first_uri", "self_uri", "last_uri"):
            v = getattr(lst, k)
            check(isinstance(v, str) and v.startswith("/api/v2/integrations/actions"),
                  f"page {page}: {k} must be an /api/v2/integrations/actions URI, got {v!r}")
        if page == 1:
            check(lst.previous_uri is None, f"page 1 must not have previousUri: {lst.previous_uri!r}")
            check(isinstance(lst.next_uri, str) and "pageNumber=2" in lst.next_uri,
                  f"page 1 must have nextUri pointing at pageNumber=2, got {lst.next_uri!r}")
        else:
            check(lst.next_uri is None, f"last page must not have nextUri: {lst.next_uri!r}")
            check(isinstance(lst.previous_uri, str) and "pageNumber=1" in lst.previous_uri,
                  f"page 2 must have previousUri pointing at pageNumber=1, got {lst.previous_uri!r}")
        seen.extend(a.id for a in lst.entities)
        if not lst.next_uri:
            break
        page += 1
        check(page <= 3, "paging did not terminate")
    check(sorted(seen) == sorted(ids), f"paged ids {seen} != created ids {ids}")
    check(len(set(seen)) == len(seen), f"duplicate ids across pages: {seen}")
    # past the end: empty page, same envelope
    lst = api.get_integrations_actions(page_size=1, page_number=3, name=NAME_PREFIX)
    check(lst.entities == [] and lst.total == 2,
          f"page past the end must have entities [] and total 2, got {lst.entities!r}/{lst.total!r}")


def s_get_plain(action_id):
    api = GLOBAL["api"]
    a = api.get_integrations_action(action_id)
    check(a.id == action_id and a.name == ACTION_NAME, f"get returned {a.id!r}/{a.name!r}")
    check(a.contract is None, f"without expand=contract, contract must be absent, got {a.contract!r}")
    check(a.config is None, f"without includeConfig=true, config must be absent, got {a.config!r}")


def s_get_full(action_id, integration_id):
    api = GLOBAL["api"]
    a = api.get_integrations_action(action_id, expand="contract", include_config=True)
    check_action_basics(a, "get_integrations_action", ACTION_NAME, integration_id, CATEGORY_PATCHED)
    c = a.contract
    check(c is not None and c.input is not None and c.output is not None,
          f"expand=contract must return contract.input and contract.output, got {c!r}")
    ins, outs = c.input.input_schema, c.output.success_schema
    check(ins is not None, "contract.input.inputSchema missing")
    check(outs is not None, "contract.output.successSchema missing")
    check(ins.type == "object" and outs.type == "object", f"schema types {ins.type!r}/{outs.type!r}")
    check(ins.schema == DRAFT04, f"inputSchema.$schema {ins.schema!r} != {DRAFT04!r}")
    check(outs.schema == DRAFT04, f"successSchema.$schema {outs.schema!r}")
    check(ins.properties == INPUT_PROPS, f"inputSchema.properties {ins.properties!r} != {INPUT_PROPS!r}")
    check(sorted(ins.required or []) == ["apiEndpoint", "userId"], f"inputSchema.required {ins.required!r}")
    check(outs.properties == OUTPUT_PROPS, f"successSchema.properties {outs.properties!r}")
    check(ins.title == "Request" and outs.title == "Response", f"titles {ins.title!r}/{outs.title!r}")
    check(ins.additional_properties is True, f"additionalProperties {ins.additional_properties!r}")
    cfg = a.config
    check(cfg is not None and cfg.request is not None and cfg.response is not None,
          f"includeConfig=true must return config.request and config.response, got {cfg!r}")
    check(cfg.timeout_seconds == 20, f"config.timeoutSeconds {cfg.timeout_seconds!r} != 20 (patched)")
    r = cfg.request
    check(r.request_url_template == URL_TEMPLATE, f"requestUrlTemplate {r.request_url_template!r}")
    check(r.request_type == "GET", f"requestType {r.request_type!r}")
    check(r.headers == HEADERS, f"headers {r.headers!r} != {HEADERS!r}")
    check(r.request_template is None,
          f"config.request must carry requestTemplateUri, not inline requestTemplate: {r.request_template!r}")
    check(isinstance(r.request_template_uri, str) and r.request_template_uri.endswith("/requesttemplate.vm"),
          f"requestTemplateUri must end with /requesttemplate.vm, got {r.request_template_uri!r}")
    s = cfg.response
    check(s.translation_map == TRANSLATION_MAP, f"translationMap {s.translation_map!r}")
    check(s.success_template is None,
          f"config.response must carry successTemplateUri, not inline successTemplate: {s.success_template!r}")
    check(isinstance(s.success_template_uri, str) and s.success_template_uri.endswith("/successtemplate.vm"),
          f"successTemplateUri must end with /successtemplate.vm, got {s.success_template_uri!r}")
    return a


def s_templates(action):
    api = GLOBAL["api"]
    for uri, sent in ((action.config.request.request_template_uri, REQUEST_TEMPLATE),
                      (action.config.response.success_template_uri, SUCCESS_TEMPLATE)):
        fname = uri.rsplit("/", 1)[-1]
        got = api.get_integrations_action_template(action.id, fname)
        check(isinstance(got, str), f"template {fname} must come back as str, got {type(got)}: {got!r}")
        check(got == sent, f"template {fname}: got {got!r}, sent {sent!r}")
        ctype = (api.api_client.last_response.getheader("Content-Type") or "")
        check(ctype.startswith("text/"), f"template {fname} must be served as text/*, got {ctype!r}")


def s_schemas(action):
    api = GLOBAL["api"]
    c = action.contract
    for uri, props in ((c.input.input_schema_uri, INPUT_PROPS), (c.output.success_schema_uri, OUTPUT_PROPS)):
        check(isinstance(uri, str) and "/schemas/" in uri, f"schema URI must contain /schemas/, got {uri!r}")
        doc = api.get_integrations_action_schema(action.id, uri.rsplit("/", 1)[-1])
        check(isinstance(doc, models.JsonSchemaDocument) and doc.properties == props,  # noqa: F821
              f"schema {uri}: got {doc!r}")


def s_delete(action_id):
    api = GLOBAL["api"]
    r = api.delete_integrations_action(action_id)
    check(r is None, f"delete must return None, got {r!r}")
    status = api.api_client.last_response.status
    check(status in (200, 202, 204), f"delete HTTP status {status}")
    if action_id in CREATED_ACTION_IDS:
        CREATED_ACTION_IDS.remove(action_id)


def s_get_deleted(action_id):
    api = GLOBAL["api"]
    e = expect_api_error(lambda: api.get_integrations_action(action_id), (404,),
                         "get_integrations_action on a deleted action")
    body = check_error_body(e, 404, "404 for deleted action")
    check(body["code"] == "not.found", f"404 ErrorBody.code must be 'not.found', got {body['code']!r}")


def _expect_create_400(body, what):
    api = GLOBAL["api"]
    try:
        a = api.post_integrations_actions(body)
    except ApiException as e:  # noqa: F821
        check(e.status == 400, f"{what}: expected HTTP 400, got {e.status} body={e.body!r}")
        return check_error_body(e, 400, what)
    CREATED_ACTION_IDS.append(a.id)
    raise StepFailed(f"{what}: expected ApiException 400, action was created: {a.id!r}")


def s_400_accept(integration_id):
    body = post_action_input(f"{NAME_PREFIX} bad accept", integration_id, headers={"Accept": "text/plain"})
    eb = _expect_create_400(body, "action with Accept: text/plain")
    check("accept" in eb["message"].lower(),
          f"message must mention the Accept header, got {eb['message']!r}")
    codes = [eb["code"]] + [d.get("errorCode") for d in eb.get("details") or [] if isinstance(d, dict)]
    check(any(isinstance(c, str) and c.replace(".", "_").upper() == "INVALID_SCHEMA" for c in codes),
          f"INVALID_SCHEMA must appear as code or details[].errorCode, got {codes}")


def s_400_nested(integration_id):
    props = dict(INPUT_PROPS)
    props["address"] = {"type": "object", "properties": {"city": {"type": "string"}}}
    body = post_action_input(f"{NAME_PREFIX} bad nested", integration_id, input_props=props)
    _expect_create_400(body, "action whose input schema has a nested object")


def s_cleanup_second(action_id):
    s_delete(action_id)
    expect_api_error(lambda: GLOBAL["api"].get_integrations_action(action_id), (404,),
                     "get on the deleted second action")


# ---------------------------------------------------------------------------------------------
# function data actions (integration type function-data-actions)

FUNCTION_NAME = f"{NAME_PREFIX} ScoreLead"


def s_fn_integration():
    api = GLOBAL["api"]
    body = mk(models.CreateIntegrationRequest,  # noqa: F821
        name=f"{NAME_PREFIX} functions", integration_type=mk(models.IntegrationType, id="function-data-actions"))  # noqa: F821
    i = api.post_integrations(body=body)
    check(i.integration_type is not None and i.integration_type.id == "function-data-actions",
          f"created integration has type {getattr(i.integration_type, 'id', None)!r}")
    return i.id


def s_fn_post_actions_refused(integration_id):
    api = GLOBAL["api"]
    e = expect_api_error(lambda: api.post_integrations_actions(post_action_input(FUNCTION_NAME, integration_id)),
                         (400,), "post_integrations_actions for a function integration")
    check_error_body(e, 400, "POST /actions refused for function actions")


def s_fn_draft(integration_id):
    api = GLOBAL["api"]
    a = api.post_integrations_actions_drafts(post_action_input(FUNCTION_NAME, integration_id))
    CREATED_ACTION_IDS.append(a.id)
    return a


def s_fn_runtimes():
    api = GLOBAL["api"]
    rts = api.get_integrations_actions_functions_runtimes()
    check(isinstance(rts, list) and rts, f"runtimes must be a non-empty list, got {rts!r}")
    check(all(isinstance(r, models.FunctionRuntime) for r in rts), "runtimes must be FunctionRuntime")  # noqa: F821
    names = [r.name for r in rts]
    check("nodejs22.x" in names, f"nodejs22.x missing from {names}")
    dep = [r for r in rts if r.status == "Deprecated"]
    check(dep and dep[0].date_end_of_life is not None and hasattr(dep[0].date_end_of_life, "year"),
          "a Deprecated runtime must carry dateEndOfLife as a date")


def s_fn_put_function(draft):
    api = GLOBAL["api"]
    body = mk(models.Function, description="Scores a lead", handler="src/index.handler",  # noqa: F821
              runtime="nodejs20.x", timeout_seconds=5)
    cfg = api.put_integrations_action_draft_function(draft.id, body)
    check(isinstance(cfg, models.FunctionConfig), f"FunctionConfig expected, got {type(cfg)}")  # noqa: F821
    check(cfg.function.handler == "src/index.handler" and cfg.function.timeout_seconds == 5,
          f"function settings not echoed: {cfg.function!r}")
    # (timeoutSeconds outside 1-15 is refused by the SDK itself before sending.)
    bad = mk(models.Function, description="x", handler="src/index.handler", runtime="python3.9")  # noqa: F821
    expect_api_error(lambda: api.put_integrations_action_draft_function(draft.id, bad), (400,),
                     "an unknown runtime")


def s_fn_upload(draft):
    import io
    import urllib.request
    import zipfile
    api = GLOBAL["api"]
    req = mk(models.FunctionUploadRequest, file_name="score.zip", signed_url_timeout_seconds=300)  # noqa: F821
    up = api.post_integrations_action_draft_function_upload(draft.id, req)
    check(isinstance(up, models.FunctionUploadResponse) and up.url and isinstance(up.headers, dict),  # noqa: F821
          f"FunctionUploadResponse expected, got {up!r}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("src/index.js", "exports.handler = async (e) => ({score: 1});")
    put = urllib.request.Request(up.url, data=buf.getvalue(), method="PUT", headers=dict(up.headers))
    with urllib.request.urlopen(put, timeout=10) as r:
        check(200 <= r.status < 300, f"upload PUT answered {r.status}")
    deadline = time.time() + 10
    while True:
        cfg = api.get_integrations_action_draft_function(draft.id)
        check(isinstance(cfg.zip, models.FunctionZipConfig), f"zip must be FunctionZipConfig: {cfg!r}")  # noqa: F821
        if cfg.zip.status == "Available":
            break
        check(cfg.zip.status == "Pending", f"unexpected zip status {cfg.zip.status!r}")
        check(time.time() < deadline, "zip not Available within 10 s")
        time.sleep(0.1)


def s_fn_publish(draft):
    api = GLOBAL["api"]
    d = api.get_integrations_action_draft(draft.id)
    api.post_integrations_action_draft_publish(draft.id, mk(models.PublishDraftInput, version=d.version))  # noqa: F821
    cfg = api.get_integrations_action_function(draft.id)
    check(isinstance(cfg, models.FunctionConfig) and cfg.function.runtime == "nodejs20.x",  # noqa: F821
          f"published FunctionConfig expected, got {cfg!r}")
    check(cfg.zip is not None and cfg.zip.status == "Available", f"published zip: {cfg.zip!r}")
    api.delete_integrations_action(draft.id)


# Architect flows and dependency tracking (issue 15). Flows are seeded through the emulator's
# admin route with the standard library (the SDK has no way to create a flow from JSON).

def admin(method, path, body=None):
    import urllib.request
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(EMU_URL + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


def s_flows_seed(action_id, second_id):
    module = admin("POST", "/__emulator/flows", {
        "name": f"{NAME_PREFIX} Lookup module", "type": "COMMONMODULEFLOW", "publishedVersion": "2.0",
        "consumes": [{"id": action_id, "type": "DATAACTION"}]})["id"]
    ivr = admin("POST", "/__emulator/flows", {
        "name": f"{NAME_PREFIX} Main IVR", "type": "INBOUNDCALLFLOW", "publishedVersion": "3.0",
        "checkedInVersion": "4.0", "consumes": [{"id": module, "type": "COMMONMODULEFLOW"}]})["id"]
    chat = admin("POST", "/__emulator/flows", {
        "name": f"{NAME_PREFIX} Chat", "type": "INBOUNDCHATFLOW", "publishedVersion": "1.0",
        "consumes": [{"id": action_id, "type": "DATAACTION"}, {"id": second_id, "type": "DATAACTION"}]})["id"]
    GLOBAL["architect"] = ArchitectApi(GLOBAL["api_client"])  # noqa: F821
    return {"module": module, "ivr": ivr, "chat": chat}


def s_get_flows(flows):
    api = GLOBAL["architect"]
    lst = api.get_flows(type=["inboundcall"], page_size=100)
    check(isinstance(lst, models.FlowEntityListing), f"get_flows must give FlowEntityListing, got {type(lst)}")  # noqa: F821
    ivr = [f for f in lst.entities if f.id == flows["ivr"]]
    check(len(ivr) == 1, f"the seeded IVR must be listed once, got {[f.id for f in lst.entities]}")
    f = ivr[0]
    check(f.type == "INBOUNDCALL", f"Flow.type {f.type!r} (outdated_sdk_version means a value the SDK rejects)")
    check(f.published_version is not None and f.published_version.id == "3.0"
          and f.published_version.type == "PUBLISH", f"publishedVersion {f.published_version!r}")
    check(f.checked_in_version is not None and f.checked_in_version.id == "4.0"
          and f.checked_in_version.type == "CHECKIN", f"checkedInVersion {f.checked_in_version!r}")
    check(f.active is True and f.division is not None, f"active {f.active!r} division {f.division!r}")
    check(all(x.type == "INBOUNDCALL" for x in lst.entities), "type filter")
    page = api.get_flows(page_size=1, page_number=1)
    check(page.page_size == 1 and page.total >= 3 and page.page_count == page.total
          and isinstance(page.next_uri, str), f"paging envelope {page.page_size}/{page.total}/{page.page_count}")


def s_consuming_resources(action_id, flows):
    api = GLOBAL["architect"]
    lst = api.get_architect_dependencytracking_consumingresources(action_id, "DATAACTION", version="1",
                                                                  page_size=2, page_number=1)
    check(isinstance(lst, models.ConsumingResourcesEntityListing), f"got {type(lst)}")  # noqa: F821
    check(lst.total == 4 and lst.page_count == 2 and len(lst.entities) == 2,
          f"module 2.0 + IVR 3.0/4.0 (through the module) + chat 1.0 = 4 by 2, got {lst.total}/{lst.page_count}")
    rest = api.get_architect_dependencytracking_consumingresources(action_id, "DATAACTION", version="1",
                                                                   page_size=2, page_number=2)
    got = sorted((d.id, d.version, d.type) for d in lst.entities + rest.entities)
    want = sorted([(flows["module"], "2.0", "COMMONMODULEFLOW"), (flows["ivr"], "3.0", "INBOUNDCALLFLOW"),
                   (flows["ivr"], "4.0", "INBOUNDCALLFLOW"), (flows["chat"], "1.0", "INBOUNDCHATFLOW")])
    check(got == want, f"consumers {got!r} != {want!r}")
    d = lst.entities[0]
    check(isinstance(d, models.Dependency) and d.deleted is False and d.state_unknown is False  # noqa: F821
          and isinstance(d.name, str) and isinstance(d.self_uri, str), f"Dependency {d!r}")
    pub = api.get_architect_dependencytracking_consumingresources(action_id, "DATAACTION", version="1",
                                                                  flow_filter="published")
    check(sorted(x.version for x in pub.entities if x.id == flows["ivr"]) == ["3.0"], "flowFilter=published")
    sec = api.get_architect_dependencytracking_consumingresources(action_id, "SECUREACTION", version="1")
    check(sec.total == 0 and sec.entities == [], f"nobody consumes it as a secure action, got {sec.total}")
    e = expect_api_error(lambda: api.get_architect_dependencytracking_consumingresources(
        action_id, "NOSUCHTYPE"), (400,), "an unknown objectType")
    check_error_body(e, 400, "400 for an unknown objectType")


def s_build():
    api = GLOBAL["architect"]
    b = api.get_architect_dependencytracking_build()
    check(isinstance(b, models.DependencyStatus) and b.status == "OPERATIONAL", f"build {b!r}")  # noqa: F821
    admin("PUT", "/__emulator/dependencytracking/build", {
        "status": "BUILDINPROGRESS", "failedObjects": [{"id": "f-9", "name": "Broken", "version": "1.0", "errorCode": "X"}]})
    b = api.get_architect_dependencytracking_build()
    check(b.status == "BUILDINPROGRESS", f"status {b.status!r}")
    check(len(b.failed_objects or []) == 1 and isinstance(b.failed_objects[0], models.FailedObject)  # noqa: F821
          and b.failed_objects[0].error_code == "X", f"failedObjects {b.failed_objects!r}")
    check(b.date_started is not None and b.date_completed is None, f"dates {b.date_started!r}/{b.date_completed!r}")
    r = api.post_architect_dependencytracking_build()
    check(r is None and api.api_client.last_response.status == 202, f"post build: {r!r}")
    b = api.get_architect_dependencytracking_build()
    check(b.status == "OPERATIONAL" and not b.failed_objects and b.date_completed is not None, f"after rebuild {b!r}")


def s_deleted_resource_consumers(action_id, flows):
    api = GLOBAL["architect"]
    lst = api.get_architect_dependencytracking_deletedresourceconsumers(consumed_resources=True, page_size=100)
    check(isinstance(lst, models.DependencyObjectEntityListing), f"got {type(lst)}")  # noqa: F821
    mine = sorted((o.id, o.type) for o in lst.entities if o.id in flows.values())
    check(mine == sorted([(flows["module"], "COMMONMODULEFLOW"), (flows["chat"], "INBOUNDCHATFLOW")]),
          f"the direct consumers of the deleted action, got {mine!r}")
    chat = [o for o in lst.entities if o.id == flows["chat"]][0]
    gone = [(c.id, c.type, c.deleted) for c in chat.consumed_resources or []]
    check(gone == [(action_id, "DATAACTION", True)], f"consumedResources {gone!r}")
    for fid in flows.values():
        admin("DELETE", f"/__emulator/flows/{fid}")


def main():
    global ApiClient, ArchitectApi, IntegrationsApi, ApiException, models
    missing = [k for k, v in (("GCSYNC_EMULATOR_URL", EMU_URL), ("GENESYS_CLOUD_CLIENT_ID", CLIENT_ID),
                              ("GENESYS_CLOUD_CLIENT_SECRET", CLIENT_SECRET)) if not v]
    if missing:
        print(f"FAIL setup: missing environment variable(s): {', '.join(missing)}", flush=True)
        print("0 passed, 1 failed", flush=True)
        return 2
    try:
        import PureCloudPlatformClientV2 as sdk
        from PureCloudPlatformClientV2 import ApiClient, ArchitectApi, IntegrationsApi, models
        from PureCloudPlatformClientV2.rest import ApiException
    except ImportError as e:
        print(f"FAIL setup: cannot import PureCloudPlatformClientV2: {e}", flush=True)
        print("0 passed, 1 failed", flush=True)
        return 2
    # The Configuration singleton's host is only a default; every ApiClient here is given host=
    # explicitly, so a ~/.genesyscloudpython/config file cannot redirect the test elsewhere.
    sdk.configuration.host = EMU_URL
    try:
        from importlib.metadata import version
        sdk_version = version("PureCloudPlatformClientV2")
    except Exception:
        sdk_version = "unknown"
    print(f"# PureCloudPlatformClientV2 {sdk_version} -> {EMU_URL} (run {RUN_ID})", flush=True)

    step("auth-wrong-credentials-401", s_bad_credentials)
    step("auth-client-credentials", s_authenticate)
    step("invalid-token-401", s_bad_token)
    integration_id = step("integration", s_integration)
    draft = step("draft-create", s_create_draft, integration_id)
    draft = step("draft-get", s_get_draft, draft, integration_id)
    patched = step("draft-patch", s_patch_draft, draft)
    step("draft-patch-stale-version-409", s_patch_stale, draft, draft.version)
    step("draft-validate", s_validate, patched)
    published = step("draft-publish", s_publish, patched, integration_id)
    second = step("create-published", s_create_published, integration_id)
    step("list-by-name", s_list, published.id)
    step("list-paging", s_paging, [published.id, second.id])
    step("get", s_get_plain, published.id)
    full = step("get-expand-contract-include-config", s_get_full, published.id, integration_id)
    step("templates", s_templates, full)
    step("schemas", s_schemas, full)
    flows = step("architect-seed-flows", s_flows_seed, published.id, second.id)
    step("architect-get-flows", s_get_flows, flows)
    step("architect-consumingresources", s_consuming_resources, published.id, flows)
    step("architect-dependencytracking-build", s_build)
    step("delete", s_delete, published.id)
    step("get-deleted-404", s_get_deleted, published.id)
    step("architect-deletedresourceconsumers", s_deleted_resource_consumers, published.id, flows)
    step("create-400-accept-text-plain", s_400_accept, integration_id)
    step("create-400-nested-input-object", s_400_nested, integration_id)
    step("delete-second", s_cleanup_second, second.id)
    fn_integration = step("function-integration", s_fn_integration)
    step("function-post-actions-400", s_fn_post_actions_refused, fn_integration)
    fn_draft = step("function-draft-create", s_fn_draft, fn_integration)
    step("function-runtimes", s_fn_runtimes)
    step("function-put-draft-function", s_fn_put_function, fn_draft)
    step("function-upload-available", s_fn_upload, fn_draft)
    step("function-publish-get-function", s_fn_publish, fn_draft)
    print(f"{len(PASSED)} passed, 0 failed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
