//! Manifest → canonical action ([`ActionSpec`]), exactly what the API receives.
//!
//! Owns: the shorthand compilation — draft-04 input/output schemas, translation map,
//! translation-map defaults (YAML values written as the JSON text Genesys expects) and,
//! unless one is given, a success template that emits exactly the declared outputs — and
//! the raw form's pass-through. Deterministic: equal manifests give equal bytes.
//! Must not: validate (that is `check`) or resolve the integration name (plan does).

use super::{ActionManifest, ContractForm, TypeDecl};
use crate::model::{
    ActionConfig, ActionSpec, Contract, ContractInput, ContractOutput, DEFAULT_REQUEST_TEMPLATE,
    DEFAULT_SUCCESS_TEMPLATE, DRAFT_04, RequestConfig, ResponseConfig,
};
use serde_json::{Map, Value, json};

/// Compiles one action manifest. Never fails: problems are reported by `check`.
#[must_use]
pub fn compile(m: &ActionManifest) -> ActionSpec {
    let headers = m.request.headers.as_ref().map(|h| {
        h.value.iter().map(|(k, v)| (k.value.clone(), Value::String(v.value.clone()))).collect::<Map<_, _>>()
    });
    let request = RequestConfig {
        request_url_template: m.request.url.value.clone(),
        request_type: m.request.method.value.clone(),
        request_template: Some(
            m.request.body.as_ref().map_or_else(|| DEFAULT_REQUEST_TEMPLATE.to_string(), |b| b.value.clone()),
        ),
        request_template_uri: None,
        headers,
        extra: Map::new(),
    };
    let (contract, response) = match &m.contract {
        ContractForm::Shorthand { inputs, outputs, success_template, .. } => {
            let mut props = Map::new();
            let mut required = Vec::new();
            for i in inputs {
                let mut p = Map::new();
                p.insert("type".into(), json!(i.ty.value));
                if let Some(d) = &i.description {
                    p.insert("description".into(), json!(d));
                }
                if let Some(d) = &i.default {
                    // Draft-04 `default`: Genesys ignores it; `gcsync test` fills missing inputs.
                    p.insert("default".into(), d.to_json());
                }
                props.insert(i.name.value.clone(), Value::Object(p));
                if i.required {
                    required.push(json!(i.name.value));
                }
            }
            let mut input = Map::new();
            input.insert("$schema".into(), json!(DRAFT_04));
            input.insert("title".into(), json!("Request"));
            input.insert("type".into(), json!("object"));
            if !required.is_empty() {
                input.insert("required".into(), Value::Array(required));
            }
            input.insert("properties".into(), Value::Object(props));
            input.insert("additionalProperties".into(), json!(true));

            let mut out_props = Map::new();
            let mut tm = Map::new();
            let mut tmd = Map::new();
            for o in outputs {
                out_props.insert(o.name.value.clone(), type_schema(&o.ty));
                tm.insert(o.name.value.clone(), json!(o.from.value));
                if let Some(d) = &o.default {
                    tmd.insert(o.name.value.clone(), json!(d.to_json().to_string()));
                }
            }
            let mut output = Map::new();
            output.insert("$schema".into(), json!(DRAFT_04));
            output.insert("title".into(), json!("Response"));
            output.insert("type".into(), json!("object"));
            output.insert("properties".into(), Value::Object(out_props));
            output.insert("additionalProperties".into(), json!(true));

            let template = success_template.as_ref().map_or_else(
                || generated_success_template(outputs.iter().map(|o| o.name.value.as_str())),
                |t| t.value.clone(),
            );
            (
                Contract {
                    input: ContractInput { input_schema: Some(Value::Object(input)), extra: Map::new() },
                    output: ContractOutput { success_schema: Some(Value::Object(output)), extra: Map::new() },
                    extra: Map::new(),
                },
                ResponseConfig {
                    translation_map: Some(tm),
                    translation_map_defaults: Some(tmd),
                    success_template: Some(template),
                    success_template_uri: None,
                    extra: Map::new(),
                },
            )
        }
        ContractForm::Raw {
            input,
            output,
            translation_map,
            translation_map_defaults,
            success_template,
            ..
        } => {
            let to_map = |v: &Option<super::reader::StringMap>| {
                v.as_ref().map(|m| {
                    m.value
                        .iter()
                        .map(|(k, v)| (k.value.clone(), Value::String(v.value.clone())))
                        .collect::<Map<_, _>>()
                })
            };
            (
                Contract {
                    input: ContractInput {
                        input_schema: input.as_ref().map(crate::yaml::Node::to_json),
                        extra: Map::new(),
                    },
                    output: ContractOutput {
                        success_schema: output.as_ref().map(crate::yaml::Node::to_json),
                        extra: Map::new(),
                    },
                    extra: Map::new(),
                },
                ResponseConfig {
                    translation_map: to_map(translation_map),
                    translation_map_defaults: to_map(translation_map_defaults),
                    success_template: Some(
                        success_template
                            .as_ref()
                            .map_or_else(|| DEFAULT_SUCCESS_TEMPLATE.to_string(), |t| t.value.clone()),
                    ),
                    success_template_uri: None,
                    extra: Map::new(),
                },
            )
        }
    };
    ActionSpec {
        name: m.name.value.clone(),
        category: m.category.as_ref().map_or_else(|| m.integration.value.clone(), |c| c.value.clone()),
        integration: m.integration.value.clone(),
        secure: m.secure.as_ref().is_some_and(|s| s.value),
        config: ActionConfig {
            timeout_seconds: m.timeout_seconds.as_ref().map(|t| t.value),
            request,
            response,
            extra: Map::new(),
        },
        contract,
    }
}

/// The success template that emits exactly the declared outputs, each inserted as the JSON
/// text of its translation-map value: `{"a": ${a}, "b": ${b}}`.
#[must_use]
pub fn generated_success_template<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let parts: Vec<String> = names.map(|n| format!("{}: ${{{n}}}", Value::String(n.to_string()))).collect();
    format!("{{{}}}", parts.join(", "))
}

fn type_schema(t: &TypeDecl) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(t.ty.value));
    if let Some(d) = &t.description {
        m.insert("description".into(), json!(d));
    }
    if let Some(items) = &t.items {
        m.insert("items".into(), type_schema(items));
    }
    if t.ty.value == "object" {
        let props: Map<String, Value> =
            t.properties.iter().map(|(k, v)| (k.value.clone(), type_schema(v))).collect();
        m.insert("properties".into(), Value::Object(props));
        m.insert("additionalProperties".into(), json!(true));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_template_escapes_keys() {
        assert_eq!(
            generated_success_template(["fullName", "email"].into_iter()),
            r#"{"fullName": ${fullName}, "email": ${email}}"#
        );
        assert_eq!(generated_success_template(std::iter::empty()), "{}");
    }
}
