//! The Platform API endpoints gcsync calls, as methods of [`Client`]: each describes its
//! request ([`Req`]: method, path, query, body, idempotency) and hands it to the client's
//! transport; listings go through bounded paging.
//!
//! Owns: paths, query parameters, paging (`list_all`: the page count bounded by
//! [`policy::pages_to_fetch`], an empty page ends the listing), and which calls are safe
//! to repeat.
//! Must not: send, retry or wait itself (`client` does), or decide what to change.

use super::client::{Client, Idempotency, Integration, MAX_PAGE_SIZE, OrgInfo, Page, resolve_integration};
use super::error::{Error, Result};
use super::policy;
use super::request::{Accept, Req, enc};
use crate::model::Action;
use reqwest::Method;
use serde_json::Value;

impl Client {
    /// `GET /api/v2/organizations/me`.
    pub async fn org(&self) -> Result<OrgInfo> {
        self.json(Req::new(Method::GET, "/api/v2/organizations/me", Idempotency::Safe)).await
    }

    /// Every page of a listing, the largest page size, pages after the first fetched
    /// concurrently (within the client's bounds). The page count is the smaller of the
    /// server's `pageCount` and `total` claims, at most [`policy::MAX_PAGES`]; a page with no
    /// entities ends the listing.
    async fn list_all<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        extra: &[(&'static str, String)],
    ) -> Result<Vec<T>> {
        use futures_util::StreamExt as _;
        let page_req = |n: u64| {
            let mut r = Req::new(Method::GET, path, Idempotency::Safe)
                .query("pageSize", MAX_PAGE_SIZE.to_string())
                .query("pageNumber", n.to_string());
            for (k, v) in extra {
                r = r.query(k, v.clone());
            }
            r
        };
        let first: Page<T> = self.json(page_req(1)).await?;
        let pages = policy::pages_to_fetch(
            first.page_count,
            first.total,
            first.entities.len(),
            MAX_PAGE_SIZE as u64,
        )
        .map_err(|claimed| Error::Decode {
            method: "GET".into(),
            path: path.to_string(),
            message: format!(
                "the listing claims {claimed} pages; gcsync reads at most {} pages of {MAX_PAGE_SIZE}",
                policy::MAX_PAGES
            ),
        })?;
        let mut out = first.entities;
        let mut rest = futures_util::stream::iter((2..=pages).map(|n| self.json::<Page<T>>(page_req(n))))
            .buffered(self.options.parallelism.max(1));
        while let Some(page) = rest.next().await {
            let page = page?;
            if page.entities.is_empty() {
                break;
            }
            out.extend(page.entities);
        }
        Ok(out)
    }

    /// Every published action (ids, names, versions; no config).
    pub async fn list_actions(&self) -> Result<Vec<Action>> {
        self.list_all("/api/v2/integrations/actions", &[]).await
    }

    /// Every draft.
    pub async fn list_drafts(&self) -> Result<Vec<Action>> {
        self.list_all("/api/v2/integrations/actions/drafts", &[]).await
    }

    /// Actions named exactly `name` (the API's `name` filter also matches partial names).
    pub async fn find_actions_by_name(&self, name: &str) -> Result<Vec<Action>> {
        let all: Vec<Action> =
            self.list_all("/api/v2/integrations/actions", &[("name", name.to_string())]).await?;
        Ok(all.into_iter().filter(|a| a.name == name).collect())
    }

    /// Drafts named exactly `name`.
    pub async fn find_drafts_by_name(&self, name: &str) -> Result<Vec<Action>> {
        let all: Vec<Action> =
            self.list_all("/api/v2/integrations/actions/drafts", &[("name", name.to_string())]).await?;
        Ok(all.into_iter().filter(|a| a.name == name).collect())
    }

    /// `GET /actions/{id}?expand=contract&includeConfig=true` (templates still URIs).
    pub async fn get_action(&self, id: &str, draft: bool) -> Result<Action> {
        let path = if draft {
            format!("/api/v2/integrations/actions/{}/draft", enc(id))
        } else {
            format!("/api/v2/integrations/actions/{}", enc(id))
        };
        self.json(
            Req::new(Method::GET, path, Idempotency::Safe)
                .query("expand", "contract")
                .query("includeConfig", "true"),
        )
        .await
    }

    /// A template's text (`requesttemplate.vm` / `successtemplate.vm`).
    pub async fn get_template(&self, id: &str, file: &str, draft: bool) -> Result<String> {
        let path = if draft {
            format!("/api/v2/integrations/actions/{}/draft/templates/{file}", enc(id))
        } else {
            format!("/api/v2/integrations/actions/{}/templates/{file}", enc(id))
        };
        let mut r = Req::new(Method::GET, path.clone(), Idempotency::Safe);
        r.accept = Accept::Text;
        let (_, body) = self.send(r).await?;
        String::from_utf8(body.to_vec()).map_err(|_| Error::Decode {
            method: "GET".into(),
            path,
            message: "template is not UTF-8".into(),
        })
    }

    /// An action with config, contract and both templates inlined. A template the API
    /// only gives as a URI is fetched; if that fails the whole call fails (never an empty
    /// template).
    pub async fn get_action_full(&self, id: &str, draft: bool) -> Result<Action> {
        let mut a = self.get_action(id, draft).await?;
        let (req_t, succ_t) = futures_util::try_join!(
            self.get_template(id, "requesttemplate.vm", draft),
            self.get_template(id, "successtemplate.vm", draft)
        )?;
        let config = a.config.get_or_insert_with(Default::default);
        config.request.request_template = Some(req_t);
        config.request.request_template_uri = None;
        config.response.success_template = Some(succ_t);
        config.response.success_template_uri = None;
        if let Some(c) = a.contract.as_mut() {
            c.input.extra.remove("inputSchemaUri");
            c.output.extra.remove("successSchemaUri");
        }
        Ok(a)
    }

    /// `POST /actions` (a published action). Not retried unless provably unprocessed.
    pub async fn create_action(&self, body: &Value) -> Result<Action> {
        self.json(Req::new(Method::POST, "/api/v2/integrations/actions", Idempotency::Unsafe).body(body))
            .await
    }

    /// `POST /actions/drafts`.
    pub async fn create_draft(&self, body: &Value) -> Result<Action> {
        self.json(
            Req::new(Method::POST, "/api/v2/integrations/actions/drafts", Idempotency::Unsafe).body(body),
        )
        .await
    }

    /// `POST /actions/{id}/draft` (a draft from the published action).
    pub async fn draft_from_published(&self, id: &str) -> Result<Action> {
        self.json(
            Req::new(
                Method::POST,
                format!("/api/v2/integrations/actions/{}/draft", enc(id)),
                Idempotency::Unsafe,
            )
            .body(&Value::Null),
        )
        .await
    }

    /// `PATCH /actions/{id}/draft` (`version` in the body).
    pub async fn patch_draft(&self, id: &str, body: &Value) -> Result<Action> {
        self.json(
            Req::new(
                Method::PATCH,
                format!("/api/v2/integrations/actions/{}/draft", enc(id)),
                Idempotency::Safe,
            )
            .body(body),
        )
        .await
    }

    /// `DELETE path`: `Ok(true)` when deleted, `Ok(false)` when it was already gone (404).
    async fn delete_gone_ok(&self, path: String) -> Result<bool> {
        match self.send(Req::new(Method::DELETE, path, Idempotency::Safe)).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `DELETE /actions/{id}/draft`; `Ok(false)` when there was none.
    pub async fn delete_draft(&self, id: &str) -> Result<bool> {
        self.delete_gone_ok(format!("/api/v2/integrations/actions/{}/draft", enc(id))).await
    }

    /// `GET /actions/{id}/draft/validation`.
    pub async fn validate_draft(&self, id: &str) -> Result<Value> {
        self.json(Req::new(
            Method::GET,
            format!("/api/v2/integrations/actions/{}/draft/validation", enc(id)),
            Idempotency::Safe,
        ))
        .await
    }

    /// `POST /actions/{id}/draft/publish` with the draft's version.
    pub async fn publish_draft(&self, id: &str, version: i64) -> Result<Action> {
        let body = serde_json::json!({ "version": version });
        self.json(
            Req::new(
                Method::POST,
                format!("/api/v2/integrations/actions/{}/draft/publish", enc(id)),
                Idempotency::Unsafe,
            )
            .body(&body),
        )
        .await
    }

    /// `PATCH /actions/{id}` (`UpdateActionInput`: name, category, config, version).
    pub async fn patch_action(&self, id: &str, body: &Value) -> Result<Action> {
        self.json(
            Req::new(Method::PATCH, format!("/api/v2/integrations/actions/{}", enc(id)), Idempotency::Safe)
                .body(body),
        )
        .await
    }

    /// `DELETE /actions/{id}`; `Ok(false)` when it was already gone (404).
    pub async fn delete_action(&self, id: &str) -> Result<bool> {
        self.delete_gone_ok(format!("/api/v2/integrations/actions/{}", enc(id))).await
    }

    /// `POST /actions/{id}/test` (or `/draft/test`): the TestExecutionResult.
    pub async fn test_action(&self, id: &str, draft: bool, input: &Value, flatten: bool) -> Result<Value> {
        let path = if draft {
            format!("/api/v2/integrations/actions/{}/draft/test", enc(id))
        } else {
            format!("/api/v2/integrations/actions/{}/test", enc(id))
        };
        let mut r = Req::new(Method::POST, path, Idempotency::Execution).body(input);
        r.sensitive = true;
        if flatten {
            r = r.query("flatten", "true");
        }
        self.json(r).await
    }

    /// `POST /actions/{id}/execute`.
    pub async fn execute_action(&self, id: &str, input: &Value, flatten: bool) -> Result<Value> {
        let mut r = Req::new(
            Method::POST,
            format!("/api/v2/integrations/actions/{}/execute", enc(id)),
            Idempotency::Execution,
        )
        .body(input);
        r.sensitive = true;
        if flatten {
            r = r.query("flatten", "true");
        }
        self.json(r).await
    }

    /// Every integration.
    pub async fn list_integrations(&self) -> Result<Vec<Integration>> {
        self.list_all("/api/v2/integrations", &[]).await
    }

    /// The integration named exactly `name`: `Ok(None)` if none; an error listing the ids if
    /// two share the name.
    pub async fn find_integration(&self, name: &str) -> Result<Option<Integration>> {
        let all = self.list_integrations().await?;
        resolve_integration(&all, name)
    }

    /// `GET /api/v2/integrations/{id}`.
    pub async fn get_integration(&self, id: &str) -> Result<Integration> {
        self.json(Req::new(Method::GET, format!("/api/v2/integrations/{}", enc(id)), Idempotency::Safe)).await
    }

    /// `POST /api/v2/integrations`.
    pub async fn create_integration(&self, name: &str, type_id: &str, notes: &str) -> Result<Integration> {
        let body = serde_json::json!({"name": name, "integrationType": {"id": type_id}, "notes": notes});
        self.json(Req::new(Method::POST, "/api/v2/integrations", Idempotency::Unsafe).body(&body)).await
    }

    /// `PATCH /api/v2/integrations/{id}`.
    pub async fn patch_integration(&self, id: &str, body: &Value) -> Result<Integration> {
        self.json(
            Req::new(Method::PATCH, format!("/api/v2/integrations/{}", enc(id)), Idempotency::Safe)
                .body(body),
        )
        .await
    }

    /// `DELETE /api/v2/integrations/{id}`; `Ok(false)` when already gone.
    pub async fn delete_integration(&self, id: &str) -> Result<bool> {
        self.delete_gone_ok(format!("/api/v2/integrations/{}", enc(id))).await
    }

    /// `GET /api/v2/integrations/{id}/config/current`.
    pub async fn get_integration_config(&self, id: &str) -> Result<Value> {
        self.json(Req::new(
            Method::GET,
            format!("/api/v2/integrations/{}/config/current", enc(id)),
            Idempotency::Safe,
        ))
        .await
    }

    /// `PUT /api/v2/integrations/{id}/config/current` (`version` in the body).
    pub async fn put_integration_config(&self, id: &str, body: &Value) -> Result<Value> {
        self.json(
            Req::new(
                Method::PUT,
                format!("/api/v2/integrations/{}/config/current", enc(id)),
                Idempotency::Safe,
            )
            .body(body),
        )
        .await
    }

    /// `POST /api/v2/integrations/credentials` (body never logged).
    pub async fn create_credential(&self, body: &Value) -> Result<Value> {
        let mut r =
            Req::new(Method::POST, "/api/v2/integrations/credentials", Idempotency::Unsafe).body(body);
        r.sensitive = true;
        self.json(r).await
    }

    /// `PUT /api/v2/integrations/credentials/{id}` (body never logged).
    pub async fn update_credential(&self, id: &str, body: &Value) -> Result<Value> {
        let mut r =
            Req::new(Method::PUT, format!("/api/v2/integrations/credentials/{}", enc(id)), Idempotency::Safe)
                .body(body);
        r.sensitive = true;
        self.json(r).await
    }

    /// `DELETE /api/v2/integrations/credentials/{id}`; `Ok(false)` when already gone.
    pub async fn delete_credential(&self, id: &str) -> Result<bool> {
        self.delete_gone_ok(format!("/api/v2/integrations/credentials/{}", enc(id))).await
    }

    /// Every credential (names and types only).
    pub async fn list_credentials(&self) -> Result<Vec<Value>> {
        self.list_all("/api/v2/integrations/credentials", &[]).await
    }
}
