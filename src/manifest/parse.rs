//! Manifest documents → typed resources.
//!
//! Owns: the manifest *format* — which keys exist where, their types, required keys,
//! "exactly one contract form", unknown keys with suggestions, "a file has at least one
//! document". Produces
//! [`ActionManifest`]s with positions; a document with problems is reported and skipped.
//! Must not: apply Genesys's contract rules (that is `check`) or compile (that is `compile`).

use super::reader::{MapReader, Sink, Sp, expect_string, suggest};
use super::{
    ActionManifest, ContractForm, InputDecl, KINDS, ManifestSet, OutputDecl, RequestManifest, TypeDecl,
};
use crate::diag::Diagnostics;
use crate::yaml::{self, Node, Value};
use std::path::Path;

/// Keys of a `DataAction` document.
pub const ACTION_KEYS: [&str; 18] = [
    "kind",
    "name",
    "renamedFrom",
    "category",
    "integration",
    "description",
    "secure",
    "timeoutSeconds",
    "allowReplace",
    "allowBreakingFlows",
    "request",
    "inputs",
    "outputs",
    "contract",
    "response",
    "tests",
    "successTemplate",
    "function",
];
const REQUEST_KEYS: [&str; 4] = ["method", "url", "headers", "body"];
const INPUT_KEYS: [&str; 4] = ["type", "description", "required", "default"];
const OUTPUT_KEYS: [&str; 6] = ["type", "description", "from", "default", "items", "properties"];
const TYPE_KEYS: [&str; 4] = ["type", "description", "items", "properties"];
const INPUT_TYPES: [&str; 4] = ["string", "integer", "number", "boolean"];
const OUTPUT_TYPES: [&str; 6] = ["string", "integer", "number", "boolean", "array", "object"];

/// Parses one file's documents into `set`.
pub fn parse_file(file: &Path, text: &str, set: &mut ManifestSet, diags: &mut Diagnostics) {
    parse_file_with(file, text, None, set, diags);
}

/// [`parse_file`] with an environment's variables: `{{ var.NAME }}` is substituted in the
/// YAML tree before typed reading ([`super::vars`]).
pub fn parse_file_with(
    file: &Path,
    text: &str,
    vars: Option<&super::vars::Vars>,
    set: &mut ManifestSet,
    diags: &mut Diagnostics,
) {
    let mut sink = Sink { file, diags };
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            sink.error_hint(
                "yaml-syntax",
                format!("invalid YAML: {}", e.message),
                e.pos,
                "fix the YAML syntax; other files are still checked",
            );
            return;
        }
    };
    if docs.is_empty() {
        sink.error_hint(
            "empty-file",
            "the file has no YAML documents (it is empty, or only comments and `---`)",
            crate::yaml::Pos::new(1, 1),
            "a manifest holds at least one document with `kind:`; delete the file if it is not needed",
        );
    }
    let docs = super::vars::resolve_documents(docs, vars, Some(text), &mut sink, &mut set.vars_used);
    for doc in docs {
        parse_document(file, doc, set, &mut sink);
    }
}

fn parse_document(file: &Path, doc: Node, set: &mut ManifestSet, sink: &mut Sink<'_>) {
    let Value::Map(entries) = &doc.value else {
        sink.error(
            "not-a-resource",
            format!("a manifest document must be a mapping with `kind:`, found {}", doc.value.type_name()),
            doc.pos,
        );
        return;
    };
    let kind = entries.iter().find(|(k, _)| k.name == "kind").map(|(_, v)| v);
    let Some(kind_node) = kind else {
        sink.error_hint(
            "missing-kind",
            "missing `kind` (the resource type)",
            doc.pos,
            format!("add `kind: {}`", KINDS.join("` or `kind: ")),
        );
        return;
    };
    let Some(kind) = expect_string(kind_node, "`kind`", sink) else { return };
    match kind.value.as_str() {
        "DataAction" => {
            if let Some(a) = parse_action(file, &doc, sink) {
                set.actions.push(a);
            }
        }
        "Integration" => {
            if let Some(i) = super::integration::parse(file, &doc, sink) {
                set.integrations.push(i);
            }
        }
        other => {
            let hint = match suggest(other, &KINDS) {
                Some(s) => format!("did you mean `{s}`? kinds that exist: {}", KINDS.join(", ")),
                None => format!("kinds that exist: {}", KINDS.join(", ")),
            };
            sink.error_hint("unknown-kind", format!("unknown kind `{other}`"), kind.pos, hint);
        }
    }
}

fn parse_action(file: &Path, doc: &Node, sink: &mut Sink<'_>) -> Option<ActionManifest> {
    let mut r = MapReader::new(doc, "`DataAction`", sink)?;
    r.get("kind");
    let name = r.required_string("name", sink);
    let what =
        name.as_ref().map_or_else(|| "`DataAction`".to_string(), |n| format!("`DataAction` `{}`", n.value));
    r.what = what.clone();
    let category = r.string("category", sink);
    let integration = r.required_string("integration", sink);
    let description = r.string("description", sink).map(|s| s.value);
    let secure = r.boolean("secure", sink);
    let timeout_seconds = r.integer("timeoutSeconds", sink);
    let allow_replace = r.boolean("allowReplace", sink).is_some_and(|b| b.value);
    let allow_breaking_flows = r.boolean("allowBreakingFlows", sink).is_some_and(|b| b.value);
    let renamed_from = r.string("renamedFrom", sink);
    let function = r.get("function").map(|(_, node)| super::function::parse(file, node, &what, sink));
    let request = match (r.get("request"), &function) {
        // A function action: `request:` is optional and has no `url`.
        (node, Some(_)) => super::function::parse_request(node.map(|(_, n)| n), doc.pos, &what, sink),
        (Some((_, node)), None) => parse_request(node, &what, sink),
        (None, None) => {
            sink.error("missing-field", format!("missing required field `request` in {what}"), r.pos);
            None
        }
    };
    let contract = parse_contract(&mut r, &what, sink);
    if let Some((k, _)) = r.get("successTemplate") {
        sink.error_hint(
            "misplaced-field",
            "`successTemplate` belongs under `response:`",
            k.pos,
            "write `response:` with `successTemplate:` under it",
        );
    }
    // `tests:` is read by the runtime (`gcsync test`); accepted here.
    let tests = r.get("tests").map(|(_, n)| n.clone());
    r.finish(&ACTION_KEYS, sink);
    Some(ActionManifest {
        file: file.to_path_buf(),
        pos: doc.pos,
        name: name?,
        category,
        integration: integration?,
        description,
        secure,
        timeout_seconds,
        allow_replace,
        allow_breaking_flows,
        renamed_from,
        request: request?,
        contract: contract?,
        tests,
        function: match function {
            Some(f) => Some(f?),
            None => None,
        },
    })
}

/// Reads a `request:` mapping (data actions and custom auth actions).
pub(crate) fn parse_request_node(node: &Node, what: &str, sink: &mut Sink<'_>) -> Option<RequestManifest> {
    parse_request(node, what, sink)
}

fn parse_request(node: &Node, what: &str, sink: &mut Sink<'_>) -> Option<RequestManifest> {
    let mut r = MapReader::new(node, &format!("`request` of {what}"), sink)?;
    let method = r.required_string("method", sink);
    let url = r.required_string("url", sink);
    let headers = r.string_map("headers", sink);
    let body = r.string("body", sink);
    r.finish(&REQUEST_KEYS, sink);
    Some(RequestManifest { pos: node.pos, method: method?, url: url?, headers, body })
}

fn parse_contract(r: &mut MapReader<'_>, what: &str, sink: &mut Sink<'_>) -> Option<ContractForm> {
    let shorthand = r.has("inputs") || r.has("outputs");
    let raw = r.has("contract");
    let response = r.get("response");
    if shorthand && raw {
        // Mark every contract key as read: they are known fields, wrongly combined.
        let pos = r.get("contract").map_or(r.pos, |(k, _)| k.pos);
        let short: Vec<&str> = ["inputs", "outputs"].into_iter().filter(|k| r.get(k).is_some()).collect();
        let short = short.iter().map(|k| format!("`{k}:`")).collect::<Vec<_>>().join(" and ");
        sink.error_hint(
            "contract-form",
            format!(
                "{what} has both `contract:` (raw form) and {short} (shorthand form); the two contract forms are exclusive"
            ),
            pos,
            format!(
                "keep one: remove {short} to keep the raw `contract:` + `response:`, or remove `contract:` (and `response.translationMap`/`translationMapDefaults`) to keep the shorthand"
            ),
        );
        return None;
    }
    if !shorthand && !raw {
        sink.error_hint(
            "missing-contract",
            format!("{what} has no contract"),
            r.pos,
            "declare `inputs:` and `outputs:` (shorthand), or `contract: {input, output}` with `response:` (raw)",
        );
        return None;
    }
    if shorthand {
        let mut success_template = None;
        if let Some((_, resp)) = response {
            let mut rr = MapReader::new(resp, "`response` (shorthand form)", sink)?;
            success_template = rr.string("successTemplate", sink);
            for key in ["translationMap", "translationMapDefaults"] {
                if let Some((k, _)) = rr.get(key) {
                    sink.error_hint(
                        "contract-form",
                        format!("`{key}` cannot be written in the shorthand form"),
                        k.pos,
                        "outputs define it: use `from:` and `default:` on each output, or switch to the raw form",
                    );
                }
            }
            rr.finish(&["successTemplate"], sink);
        }
        let (inputs_pos, inputs, rejected_inputs) = match r.get("inputs") {
            Some((k, node)) => {
                let inputs = parse_inputs(node, sink);
                // Names written under `inputs:` whose declaration was refused (already
                // reported): still declared as far as the template rules go.
                let rejected = match &node.value {
                    Value::Map(entries) => entries
                        .iter()
                        .map(|(key, _)| key.name.clone())
                        .filter(|n| !inputs.iter().any(|i| &i.name.value == n))
                        .collect(),
                    _ => Vec::new(),
                };
                (k.pos, inputs, rejected)
            }
            None => (r.pos, Vec::new(), Vec::new()),
        };
        let (outputs_pos, outputs) = match r.get("outputs") {
            Some((k, node)) => (k.pos, parse_outputs(node, sink)),
            None => (r.pos, Vec::new()),
        };
        return Some(ContractForm::Shorthand {
            inputs_pos,
            inputs,
            rejected_inputs,
            outputs_pos,
            outputs,
            success_template,
        });
    }
    let (_, contract) = r.get("contract")?;
    let mut cr = MapReader::new(contract, "`contract`", sink)?;
    // Missing halves are reported by the contract rules (`missing-contract`), so that an
    // imported custom-auth action (whose contract Genesys fixes) still converts losslessly.
    let input = cr.get("input").map(|(_, n)| n.clone());
    let output = cr.get("output").map(|(_, n)| n.clone());
    cr.finish(&["input", "output"], sink);
    let (mut tm, mut tmd, mut st) = (None, None, None);
    if let Some((_, resp)) = response {
        let mut rr = MapReader::new(resp, "`response`", sink)?;
        tm = rr.string_map("translationMap", sink);
        tmd = rr.string_map("translationMapDefaults", sink);
        st = rr.string("successTemplate", sink);
        rr.finish(&["translationMap", "translationMapDefaults", "successTemplate"], sink);
    }
    Some(ContractForm::Raw {
        pos: contract.pos,
        input,
        output,
        translation_map: tm,
        translation_map_defaults: tmd,
        success_template: st,
    })
}

fn parse_inputs(node: &Node, sink: &mut Sink<'_>) -> Vec<InputDecl> {
    let Value::Map(entries) = &node.value else {
        if node.value != Value::Null {
            sink.error(
                "wrong-type",
                format!("`inputs` must be a mapping of input names, found {}", node.value.type_name()),
                node.pos,
            );
        }
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, decl) in entries {
        let what = format!("input `{}`", key.name);
        let Some(mut r) = MapReader::new(decl, &what, sink) else { continue };
        let ty = r.required_string("type", sink);
        let description = r.string("description", sink).map(|s| s.value);
        let required = r.boolean("required", sink).is_some_and(|b| b.value);
        let default = r.get("default").map(|(_, n)| n.clone()).filter(|n| n.value != Value::Null);
        r.finish(&INPUT_KEYS, sink);
        let Some(ty) = ty else { continue };
        if !INPUT_TYPES.contains(&ty.value.as_str()) {
            let nested = ty.value == "object" || ty.value == "array";
            sink.error_hint(
                if nested { "input-nested" } else { "input-type" },
                format!("{what} has type `{}`; inputs may only be {}", ty.value, INPUT_TYPES.join(", ")),
                ty.pos,
                if nested {
                    "Genesys input contracts are flat: split the value into several inputs".to_string()
                } else {
                    format!("use one of {}", INPUT_TYPES.join(", "))
                },
            );
            continue;
        }
        if let Some(d) = &default {
            let fits = matches!(
                (ty.value.as_str(), &d.value),
                ("string", Value::Str(_))
                    | ("integer", Value::Int(_))
                    | ("number", Value::Int(_) | Value::Float(_))
                    | ("boolean", Value::Bool(_))
            );
            if !fits {
                sink.error_hint(
                    "input-default",
                    format!(
                        "the default of {what} is {}, but the input is `{}`",
                        d.value.type_name(),
                        ty.value
                    ),
                    d.pos,
                    if ty.value == "string" {
                        "quote the value to make it a string".to_string()
                    } else {
                        format!("write a {} value", ty.value)
                    },
                );
                continue;
            }
        }
        out.push(InputDecl { name: Sp::new(key.name.clone(), key.pos), ty, description, required, default });
    }
    out
}

fn parse_outputs(node: &Node, sink: &mut Sink<'_>) -> Vec<OutputDecl> {
    let Value::Map(entries) = &node.value else {
        if node.value != Value::Null {
            sink.error(
                "wrong-type",
                format!("`outputs` must be a mapping of output names, found {}", node.value.type_name()),
                node.pos,
            );
        }
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, decl) in entries {
        let what = format!("output `{}`", key.name);
        let Some(mut r) = MapReader::new(decl, &what, sink) else { continue };
        let from = r.string("from", sink);
        let default = r.get("default").map(|(_, n)| n.clone());
        let ty = parse_type_fields(&mut r, &what, sink, 0);
        r.finish(&OUTPUT_KEYS, sink);
        let from = match from {
            Some(f) if !f.value.trim().is_empty() => f,
            Some(f) => {
                sink.error_hint(
                    "empty-from",
                    format!("{what} has an empty `from:`"),
                    f.pos,
                    "give the JSONPath of the value in the response, e.g. `$.name`",
                );
                continue;
            }
            None => {
                sink.error_hint(
                    "missing-field",
                    format!("missing required field `from` in {what}"),
                    key.pos,
                    "give the JSONPath of the value in the response, e.g. `from: $.name`",
                );
                continue;
            }
        };
        let Some(ty) = ty else { continue };
        out.push(OutputDecl { name: Sp::new(key.name.clone(), key.pos), ty, from, default });
    }
    out
}

/// Reads `type`, `description`, `items`, `properties` from a reader (outputs and nested types).
fn parse_type_fields(
    r: &mut MapReader<'_>,
    what: &str,
    sink: &mut Sink<'_>,
    depth: usize,
) -> Option<TypeDecl> {
    if depth > 40 {
        sink.error("too-deep", format!("{what} nests too deeply"), r.pos);
        return None;
    }
    let ty = r.required_string("type", sink);
    let description = r.string("description", sink).map(|s| s.value);
    let items_node = r.get("items").map(|(k, n)| (k.pos, n));
    let props_node = r.get("properties").map(|(k, n)| (k.pos, n));
    let ty = ty?;
    if !OUTPUT_TYPES.contains(&ty.value.as_str()) {
        sink.error_hint(
            "output-type",
            format!("{what} has unknown type `{}`", ty.value),
            ty.pos,
            format!("use one of {}", OUTPUT_TYPES.join(", ")),
        );
        return None;
    }
    let mut items = None;
    match (ty.value.as_str(), items_node) {
        ("array", Some((_, n))) => {
            let mut ir = MapReader::new(n, &format!("`items` of {what}"), sink)?;
            let t = parse_type_fields(&mut ir, &format!("`items` of {what}"), sink, depth + 1);
            ir.finish(&TYPE_KEYS, sink);
            items = Some(Box::new(t?));
        }
        ("array", None) => {
            sink.error_hint(
                "missing-field",
                format!("{what} is an array without `items`"),
                ty.pos,
                "add `items: {type: string}` (or the element type)",
            );
            return None;
        }
        (_, Some((pos, _))) => {
            sink.error("misplaced-field", format!("`items` only applies to `type: array` ({what})"), pos);
        }
        (_, None) => {}
    }
    let mut properties = Vec::new();
    match (ty.value.as_str(), props_node) {
        ("object", Some((_, n))) => match &n.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let pwhat = format!("property `{}` of {what}", k.name);
                    let Some(mut pr) = MapReader::new(v, &pwhat, sink) else { continue };
                    let t = parse_type_fields(&mut pr, &pwhat, sink, depth + 1);
                    pr.finish(&TYPE_KEYS, sink);
                    if let Some(t) = t {
                        properties.push((Sp::new(k.name.clone(), k.pos), t));
                    }
                }
            }
            Value::Null => {}
            other => sink.error(
                "wrong-type",
                format!("`properties` of {what} must be a mapping, found {}", other.type_name()),
                n.pos,
            ),
        },
        (_, Some((pos, _))) => sink.error(
            "misplaced-field",
            format!("`properties` only applies to `type: object` ({what})"),
            pos,
        ),
        (_, None) => {}
    }
    Some(TypeDecl { ty, description, items, properties })
}
